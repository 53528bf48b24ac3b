/*
 * targets.h — the plan's indicator targets (rules/ref/targets.csv, design.md
 * §6): one row per indicator and scope with the 2020 baseline, the 2025
 * target, the direction (<= or >=) and whether it is binding (约束性) or
 * expected (预期性); optionally its kind (a level, or a cumulative reduction
 * on 2020 given as a positive percentage) and, in rows of their own, the
 * bureau's target for a single year (year, annual_target).  A county without
 * its own row takes the city's (441800).  The table is borrowed from the
 * rule set's refs.
 */
#ifndef QY_TARGETS_H
#define QY_TARGETS_H

#include "reftable.h"
#include "strmap.h"

#include <stdbool.h>
#include <stddef.h>

#define TARGETS_CITY "441800"

struct targets {
	const struct reftable *table;
	int c_id, c_scope, c_baseline, c_target, c_direction, c_binding;
	int c_year, c_annual, c_kind;  /* optional: annual targets and the indicator's kind, or -1 */
	struct strmap index; /* "id\x1fscope" → row; "id\x1fscope\x1fyear" → an annual target's row */
};

/* Checks the table's columns and indexes it; on failure writes err and returns false. */
bool targets_init(struct targets *tg, const struct reftable *table, char *err, size_t errlen);
void targets_free(struct targets *tg);

/* True if the table has an indicator with this id (in any scope). */
bool targets_has(const struct targets *tg, const char *id, size_t len);

/* Finds the row for id in scope (NULL or unknown scope: the city). */
bool targets_row(const struct targets *tg, const char *id, size_t idlen, const char *scope,
		 size_t scopelen, size_t *row);

/* Reads a number from a column of a row; false when the cell is empty or not a number. */
bool targets_number(const struct targets *tg, size_t row, int col, double *v);

/* True when the row's indicator is binding (约束性). */
bool targets_binding(const struct targets *tg, size_t row);

/* True when lower values are better (direction "<="). */
bool targets_lower_better(const struct targets *tg, size_t row);

/* True if v is at least as good as w in the row's direction. */
bool targets_meets(const struct targets *tg, size_t row, double v, double w);

/*
 * Where an indicator should stand by the end of year (or by as_of, if that
 * is earlier; as_of may be NULL): the bureau's annual target for that year
 * where the table has one; the 2025 target itself for a target the 2020
 * baseline already meets (保持: it must not get worse than the target); else
 * the straight line from the 2020 baseline to the 2025 target (序时进度).
 * False when the table lacks a figure this needs.
 */
bool targets_due(const struct targets *tg, size_t row, double year, const double *as_of, double *due);

/*
 * The share of the plan period (2021–2025) elapsed by the end of year, or by
 * as_of if that is earlier (NULL: not given): 0 to 1, whole years in fifths.
 */
double targets_elapsed(double year, const double *as_of);

/* True if the row's indicator is a cumulative reduction on 2020 (kind "reduction"). */
bool targets_cumulative(const struct targets *tg, size_t row);

#endif
