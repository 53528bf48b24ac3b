/*
 * header.h — a header row and the rule sets it may belong to: the title
 * rows above it, the column a header cell names, how well a header fits a
 * rule set, and which of several rule sets a file's header fits, to suggest
 * one for a file whose name no rule set matches or that is checked with the
 * wrong one.  Nothing here keeps what it is given.
 */
#ifndef QY_HEADER_H
#define QY_HEADER_H

#include "csvread.h"
#include "ruleset.h"

#include <stdbool.h>
#include <stddef.h>

/* Rows at the top of a file that may be titles when a rule set does not say where its header is. */
#define HEADER_TITLE_ROWS_MAX 10

/* The column a header cell names (by name, label or alias, after trimming and folding), or -1. */
int header_column(const struct ruleset *rs, const char *cell, size_t len);

/* True for a title row: at most one non-empty cell, and that one names no column of rs. */
bool header_is_title_row(const struct ruleset *rs, const struct csvr_record *rec);

/* True if rec is not rs's header but a title row above it (by rs's header_row, or detected). */
bool header_above(const struct ruleset *rs, const struct csvr_record *rec);

struct header_fit {
	size_t named;              /* columns of the rule set the header names */
	size_t required_missing;   /* required columns it does not */
};

/* Measures how well a header row fits a rule set. */
void header_fit(const struct ruleset *rs, const struct csvr_record *header, struct header_fit *fit);

/*
 * The rule set of sets[0..n), other than except, that the header fits: it
 * names every required column and at least two, and more columns than any
 * other that does.  NULL when none does, or two tie.
 */
const struct ruleset *header_best_fit(struct ruleset *const *sets, size_t n, const struct ruleset *except,
				      const struct csvr_record *header);

/*
 * Reads the first rows of the file open on fd, finds each rule set's header
 * among them, and returns the rule set it fits as header_best_fit does; the
 * file is then read again from its start.  NULL when none fits or fd cannot
 * go back to its start (a pipe).
 */
const struct ruleset *header_fit_file(int fd, struct ruleset *const *sets, size_t n);

#endif
