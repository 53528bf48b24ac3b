/* targets.c — reading and indexing the plan target table. */
#include "targets.h"
#include "celltype.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

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
	strmap_init(&tg->index);
	struct buf key = {0};
	for (size_t r = 0; r < t->nrows; r++) {
		const char *dir = reftable_cell(t, r, tg->c_direction);
		const char *bind = reftable_cell(t, r, tg->c_binding);
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
