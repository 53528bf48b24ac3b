/*
 * reftable.h — reference tables (the CSV files under rules/ref): a header row, then rows of
 * text, loaded once per run and indexed by any column a rule looks values up
 * in.  A column named "aliases" holds other spellings of the "name" column,
 * separated by '|'; looking up "name" finds them too and says so.
 * The table owns all its strings; lookups return borrowed pointers.
 */
#ifndef QY_REFTABLE_H
#define QY_REFTABLE_H

#include "strmap.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>

struct reftable {
	char *path;
	char **colnames;
	size_t ncols, nrows;
	struct buf text;        /* every cell, NUL-separated */
	size_t *cells;          /* nrows*ncols offsets into text */
	struct strmap *index;   /* per column, built by reftable_index */
	int name_col, alias_col;
};

/*
 * Loads a table, a regular file of at most --max-ref-size bytes (rulefiles.h);
 * on failure returns NULL and writes why to err.
 */
struct reftable *reftable_load(const char *path, char *err, size_t errlen);
void reftable_free(struct reftable *t);

/* Returns the index of a column by header name, or -1. */
int reftable_column(const struct reftable *t, const char *name);

/* Builds the lookup index of a column (idempotent). */
void reftable_index(struct reftable *t, int col);

/*
 * Finds a value in an indexed column: returns true and sets *row; *alias is
 * set when the value matched only as an alias of the name column.
 */
bool reftable_find(const struct reftable *t, int col, const char *s, size_t n,
		   size_t *row, bool *alias);

/* Returns the text of a cell (NUL-terminated, borrowed). */
const char *reftable_cell(const struct reftable *t, size_t row, int col);

#endif
