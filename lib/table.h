/*
 * table.h — a text table aligned by display width, so that Chinese text
 * (two columns a character) lines up with ASCII.  The table copies the cells
 * it is given, with control characters written visibly (termtext.h).
 */
#ifndef QY_TABLE_H
#define QY_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct table;

struct table *table_new(size_t ncols);
void table_free(struct table *t);

/* Marks a column right-aligned (numbers). */
void table_align_right(struct table *t, size_t col);

/* Adds a row of ncols cells (NULL prints empty). */
void table_add(struct table *t, const char *const *cells);

/* Prints the rows, the first one followed by a rule when header is true. */
void table_print(const struct table *t, FILE *out, bool header);

#endif
