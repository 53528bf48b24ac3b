/*
 * reftable.h — reference tables (the CSV files under rules/ref): a header row, then rows of
 * text, loaded once per run and indexed by any column a rule looks values up
 * in.  A column named "aliases" holds other spellings of the "name" column,
 * separated by '|'; looking up "name" finds them too and says so.  The
 * aliases also teach the table its variant characters (縣 for 县, 區 for
 * 区: an alias character where its name has another, never one a name
 * uses), so that a spelling in those variants is found, and a near miss
 * gets suggestions.  A column named "former_COLUMN" holds the values COLUMN
 * had before (a former name, an old code), separated by '|', and a column
 * "ended" the year they went out of use: looking COLUMN up finds them as it
 * finds aliases, and reftable_former tells them apart.
 * The table owns all its strings; lookups return borrowed pointers.
 */
#ifndef QY_REFTABLE_H
#define QY_REFTABLE_H

#include "strmap.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The texts of a column decoded for suggestions (reftable_suggest), in table
 * order, and the suggestions made lately for values not in it (a misspelt
 * value comes back on many rows), each in the slot its hash picks.
 */
#define REF_KEPT_VALUES 256 /* a power of two */
#define REF_KEPT_BYTES 48
#define REF_KEPT_ROWS 4
struct ref_spellings {
	bool built;
	uint32_t *cps;          /* every text's code points */
	struct ref_spelling {
		size_t row;
		size_t at, len; /* its code points, cps[at..at+len) */
	} *texts;
	size_t ntexts;
	struct ref_suggested {
		size_t len;     /* of the value; 0: the slot is empty */
		size_t max, count, rows[REF_KEPT_ROWS];
		char text[REF_KEPT_BYTES];
	} *kept;                /* REF_KEPT_VALUES slots, made with the first */
};

struct reftable {
	char *path;
	char **colnames;
	size_t ncols, nrows;
	struct buf text;        /* every cell, NUL-separated */
	size_t *cells;          /* nrows*ncols offsets into text */
	struct strmap *index;   /* per column, built by reftable_index */
	int name_col, alias_col;
	int *former_col;        /* per column, the column of its former values, or -1 */
	int ended_col;          /* when the former values went out of use, or -1 */
	uint32_t (*variants)[2];  /* variant character → the name's, learned from the aliases */
	size_t nvariants;
	struct ref_spellings *spellings; /* per column, made by its first reftable_suggest */
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
 * set when the value matched only as an alias of the name column or as a
 * former value of the column.
 */
bool reftable_find(const struct reftable *t, int col, const char *s, size_t n,
		   size_t *row, bool *alias);

/*
 * If s is a former value of an indexed column, returns when it went out of
 * use (the row's "ended" cell, "" when the table has none); else NULL.
 */
const char *reftable_former(const struct reftable *t, int col, const char *s, size_t n);

/*
 * Finds a value of the name column written with variant characters (英德縣
 * is 英德县 folded, 佛岡縣 佛冈县): true, with *row, when the folded value is
 * a name or an alias; the fold never adds a second candidate.
 */
bool reftable_find_variant(const struct reftable *t, int col, const char *s, size_t n, size_t *row);

/*
 * Fills rows (up to max) with the rows whose value in an indexed column is
 * nearest to s: its variant fold, or within one edit (two for values of six
 * characters or more), names matched through their aliases too; nearest
 * first, then in table order.  Returns how many.  The column's texts are
 * decoded on its first call, and the suggestions for lately seen values kept,
 * in t (hence not const).
 */
size_t reftable_suggest(struct reftable *t, int col, const char *s, size_t n, size_t *rows, size_t max);

/* Returns the text of a cell (NUL-terminated, borrowed). */
const char *reftable_cell(const struct reftable *t, size_t row, int col);

#endif
