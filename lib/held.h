/*
 * held.h — findings kept to be written later in their place: those of the
 * groups a sorted file ended while it was read, which belong at the end of
 * the file, rule by rule.  Each of a set's lists keeps its findings in the
 * order they came, packed, in memory until the set holds HELD_MEMORY bytes;
 * then the packed findings go to one temporary file the set shares, so that
 * a big file with a finding every few rows does not hold them all.  A
 * finding's strings that would not last are copied; those a rule set owns
 * (its code, rule, column, plan) are pointed at.  Owns its memory and file.
 */
#ifndef QY_HELD_H
#define QY_HELD_H

#include "diag.h"

#include <stdbool.h>
#include <stddef.h>

/* (small: the same buffers serve again after each move to the file, where growing
 * them to megabytes touched as many fresh pages as it held findings) */
#define HELD_MEMORY (256u << 10)

struct held;

/* A set of nlists empty lists. */
struct held *held_new(size_t nlists);
void held_free(struct held *h);

/* Keeps a copy of d at the end of a list. */
void held_add(struct held *h, size_t list, const struct diag *d);

/* True if some findings went to the temporary file. */
bool held_in_file(const struct held *h);

/* Writes a list's findings to out in the order they came, and empties it. */
void held_write(struct held *h, size_t list, struct diag_file *out);

#endif
