/*
 * csvwrite.h — writing CSV cells: quoted only when they hold the delimiter,
 * a quote or a line break (RFC 4180), so that a cell reads back as it was
 * written.  Appends to a caller's buffer; allocates nothing else.
 */
#ifndef QY_CSVWRITE_H
#define QY_CSVWRITE_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>

/* Appends cell s[0..n) to out, quoted (its quotes doubled) when it must be. */
void csvw_cell(struct buf *out, const char *s, size_t n, unsigned char delim);

#endif
