/*
 * targets.h — the plan's indicator targets (rules/ref/targets.csv, design.md
 * §6): one row per indicator and scope with the 2020 baseline, the 2025
 * target, the direction (<= or >=) and whether it is binding (约束性) or
 * expected (预期性).  A county without its own row takes the city's (441800).
 * The table is borrowed from the rule set's refs.
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
	struct strmap index; /* "id\x1fscope" → row */
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

#endif
