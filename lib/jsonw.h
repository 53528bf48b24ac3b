/*
 * jsonw.h — writing JSON text into a buffer: strings escaped byte-exactly
 * (invalid UTF-8 becomes U+FFFD, so the output is always valid JSON) and
 * base64 for raw bytes.  Used for the diagnostic stream, whose fixed key order
 * and byte-identical output are part of the contract.
 */
#ifndef QY_JSONW_H
#define QY_JSONW_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>

/* Appends s[0..n) as a quoted JSON string; returns false if bytes were replaced. */
bool jsonw_string(struct buf *b, const char *s, size_t n);

/* Appends s[0..n) escaped for the inside of a JSON string, without quotes. */
bool jsonw_escape(struct buf *b, const char *s, size_t n);

/* Appends a string literal, whose length is known when compiled: JSONW_LIT(b, ",\"row\":"). */
#define JSONW_LIT(b, lit) buf_add((b), (lit), sizeof(lit) - 1)

/* Appends ,"key": — the separator is left out for the first key of an object. */
void jsonw_key(struct buf *b, const char *key);

/*
 * Appends a number in the fewest digits that read back as exactly the same
 * double (what summed parts need to combine without drift); null when not finite.
 */
void jsonw_number(struct buf *b, double v);

/* Appends s[0..n) in standard base64. */
void base64_encode(struct buf *b, const unsigned char *s, size_t n);

#endif
