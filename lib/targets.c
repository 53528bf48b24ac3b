/* targets.c — reading and indexing the plan target table. */
#include "targets.h"
#include "celltype.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * Checks what one row's figures can mean: an annual target has a year and a
 * number; a reduction is a positive percentage cut on 2020 that is better
 * when larger (direction >=), so its sign cannot be read backwards.
 */
static bool row_consistent(const struct targets *tg, size_t r, char *err, size_t errlen)
{
	const struct reftable *t = tg->table;
	const char *kind = tg->c_kind >= 0 ? reftable_cell(t, r, tg->c_kind) : "";
	double v;
	if (tg->c_year >= 0 && *reftable_cell(t, r, tg->c_year)) {
		const char *year = reftable_cell(t, r, tg->c_year);
		if (!parse_number(year, strlen(year), &v) || v < 2021 || v > 2025 || v != (int)v ||
		    !targets_number(tg, r, tg->c_annual, &v)) {
			snprintf(err, errlen, "row %zu: an annual target needs a year from 2021 to 2025 and a number in "
				 "annual_target", r + 2);
			return false;
		}
	}
	if (*kind && strcmp(kind, "level") && strcmp(kind, "reduction")) {
		snprintf(err, errlen, "row %zu: kind must be level or reduction, not '%s'", r + 2, kind);
		return false;
	}
	if (!strcmp(kind, "reduction") &&
	    (strcmp(reftable_cell(t, r, tg->c_direction), ">=") ||
	     (targets_number(tg, r, tg->c_target, &v) && v < 0) ||
	     (targets_number(tg, r, tg->c_baseline, &v) && v != 0))) {
		snprintf(err, errlen, "row %zu: a reduction is a cut on 2020 in percent: direction >=, a target of 0 "
			 "or more (18 for an 18%% cut), no baseline but 0", r + 2);
		return false;
	}
	return true;
}

bool targets_init(struct targets *tg, const struct reftable *t, char *err, size_t errlen)
{
	static const char *const need[] = {"id", "scope", "baseline_2020", "target_2025",
					   "direction", "binding"};
	int *cols[] = {&tg->c_id, &tg->c_scope, &tg->c_baseline, &tg->c_target,
		       &tg->c_direction, &tg->c_binding};
	memset(tg, 0, sizeof *tg);
	tg->table = t;
	for (int i = 0; i < 6; i++)
		if ((*cols[i] = reftable_column(t, need[i])) < 0) {
			snprintf(err, errlen, "target table has no column '%s'", need[i]);
			return false;
		}
	tg->c_year = reftable_column(t, "year");
	tg->c_annual = reftable_column(t, "annual_target");
	tg->c_kind = reftable_column(t, "kind");
	if ((tg->c_year < 0) != (tg->c_annual < 0)) {
		snprintf(err, errlen, "target table has '%s' without '%s'", tg->c_year < 0 ? "annual_target" : "year",
			 tg->c_year < 0 ? "year" : "annual_target");
		return false;
	}
	strmap_init(&tg->index);
	struct buf key = {0};
	for (size_t r = 0; r < t->nrows; r++) {
		const char *dir = reftable_cell(t, r, tg->c_direction);
		const char *bind = reftable_cell(t, r, tg->c_binding);
		const char *year = tg->c_year >= 0 ? reftable_cell(t, r, tg->c_year) : "";
		if (!row_consistent(tg, r, err, errlen)) {
			buf_free(&key);
			return false;
		}
		if (*year) { /* an annual target: found by id, scope and year only */
			buf_reset(&key);
			buf_addf(&key, "%s\x1f%s\x1f%s", reftable_cell(t, r, tg->c_id), reftable_cell(t, r, tg->c_scope), year);
			strmap_put(&tg->index, key.data, key.len, r, NULL);
			continue;
		}
		if (strcmp(dir, "<=") && strcmp(dir, ">=")) {
			snprintf(err, errlen, "row %zu: direction must be <= or >=, not '%s'", r + 2, dir);
			buf_free(&key);
			return false;
		}
		if (strcmp(bind, "约束性") && strcmp(bind, "预期性")) {
			snprintf(err, errlen, "row %zu: binding must be 约束性 or 预期性, not '%s'", r + 2, bind);
			buf_free(&key);
			return false;
		}
		buf_reset(&key);
		buf_addf(&key, "%s\x1f%s", reftable_cell(t, r, tg->c_id), reftable_cell(t, r, tg->c_scope));
		strmap_put(&tg->index, key.data, key.len, r, NULL);
		buf_reset(&key);
		buf_addf(&key, "%s", reftable_cell(t, r, tg->c_id));
		strmap_put(&tg->index, key.data, key.len, r, NULL);
	}
	buf_free(&key);
	return true;
}

void targets_free(struct targets *tg)
{
	strmap_free(&tg->index);
}

bool targets_has(const struct targets *tg, const char *id, size_t len)
{
	return strmap_get(&tg->index, id, len, NULL);
}

bool targets_row(const struct targets *tg, const char *id, size_t idlen, const char *scope,
		 size_t scopelen, size_t *row)
{
	char key[256];
	uint64_t v;
	for (int pass = 0; pass < 2; pass++) {
		const char *s = pass == 0 ? scope : TARGETS_CITY;
		size_t slen = pass == 0 ? scopelen : strlen(TARGETS_CITY);
		if (!s || idlen + slen + 1 > sizeof key)
			continue;
		memcpy(key, id, idlen);
		key[idlen] = '\x1f';
		memcpy(key + idlen + 1, s, slen);
		if (strmap_get(&tg->index, key, idlen + 1 + slen, &v)) {
			*row = (size_t)v;
			return true;
		}
	}
	return false;
}

bool targets_number(const struct targets *tg, size_t row, int col, double *v)
{
	const char *s = reftable_cell(tg->table, row, col);
	return *s && parse_number(s, strlen(s), v);
}

bool targets_binding(const struct targets *tg, size_t row)
{
	return strcmp(reftable_cell(tg->table, row, tg->c_binding), "约束性") == 0;
}

bool targets_lower_better(const struct targets *tg, size_t row)
{
	return strcmp(reftable_cell(tg->table, row, tg->c_direction), "<=") == 0;
}

bool targets_meets(const struct targets *tg, size_t row, double v, double w)
{
	return targets_lower_better(tg, row) ? v <= w : v >= w;
}

bool targets_cumulative(const struct targets *tg, size_t row)
{
	return tg->c_kind >= 0 && strcmp(reftable_cell(tg->table, row, tg->c_kind), "reduction") == 0;
}

double targets_elapsed(double year, const double *as_of)
{
	double years = year - 2020; /* whole years, to the end of year */
	if (as_of) {
		int y, m, d;
		civil_from_days(*as_of, &y, &m, &d);
		char jan1[16];
		double first;
		snprintf(jan1, sizeof jan1, "%04d-01-01", y);
		if (y <= year && parse_date(jan1, 10, &first)) /* the run's date comes first: part of its year */
			years = y - 2021 + (*as_of - first + 1) / (days_in_month(y, 2) == 29 ? 366 : 365);
	}
	double f = years / 5;
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

bool targets_due(const struct targets *tg, size_t row, double year, const double *as_of, double *due)
{
	char key[256], y[16];
	uint64_t annual;
	const char *id = reftable_cell(tg->table, row, tg->c_id), *scope = reftable_cell(tg->table, row, tg->c_scope);
	snprintf(y, sizeof y, "%.0f", year);
	int n = snprintf(key, sizeof key, "%s\x1f%s\x1f%s", id, scope, y);
	if (tg->c_year >= 0 && n > 0 && (size_t)n < sizeof key && strmap_get(&tg->index, key, (size_t)n, &annual))
		return targets_number(tg, (size_t)annual, tg->c_annual, due);
	double b, t;
	if (!targets_number(tg, row, tg->c_target, &t))
		return false;
	if (targets_cumulative(tg, row))
		b = 0;
	else if (!targets_number(tg, row, tg->c_baseline, &b))
		return false;
	if (targets_meets(tg, row, b, t)) { /* already met in 2020: maintain it */
		*due = t;
		return true;
	}
	*due = b + (t - b) * targets_elapsed(year, as_of);
	return true;
}
