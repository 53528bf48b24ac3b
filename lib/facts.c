/*
 * facts.c — keeping the facts records of a stream: parsing each against its
 * export, numbering whole keys, and leaving out a record whose key (whose
 * days) an earlier record already brought.
 */
#include "facts.h"
#include "celltype.h"
#include "rules.h"
#include "ruleset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The days taken for one whole key, as sorted runs that do not touch. */
struct key_days {
	int32_t *runs;
	uint32_t nruns;
};

void facts_store_init(struct facts_store *s)
{
	memset(s, 0, sizeof *s);
	strmap_init(&s->name_index);
	s->names = xcalloc(16, sizeof *s->names);
	s->capnames = 16;
	s->names[s->nnames++] = xstrdup("");
	strmap_put(&s->name_index, "", 0, 0, NULL);
}

void facts_store_free(struct facts_store *s)
{
	for (size_t i = 0; i < s->ntables; i++) {
		struct facts_table *t = &s->tables[i];
		free(t->name), free(t->kinds), free(t->value_types), free(t->facts);
		strmap_free(&t->key_index);
		for (size_t k = 0; k < t->nkeys; k++)
			free(t->keys[k].runs);
		free(t->keys);
	}
	free(s->tables);
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	strmap_free(&s->name_index);
	arena_free(&s->arena);
	free(s->overlaps);
}

size_t facts_table_add(struct facts_store *s, const struct ruleset *rs, const struct view *export, bool combined)
{
	long have = facts_table_find(s, rs->id, export->name);
	if (have >= 0) {
		s->tables[have].combined = s->tables[have].combined || combined;
		return (size_t)have;
	}
	s->tables = xrealloc(s->tables, (s->ntables + 1) * sizeof *s->tables);
	struct facts_table *t = &s->tables[s->ntables];
	memset(t, 0, sizeof *t);
	struct buf name = {0};
	buf_addf(&name, "%s/%s", rs->id, export->name);
	t->name = name.data;
	t->rs = rs;
	t->export = export;
	t->combined = combined;
	t->kinds = xcalloc(export->nvalues + 1, sizeof *t->kinds);
	t->value_types = xcalloc(export->nvalues + 1, sizeof *t->value_types);
	for (size_t k = 0; k < export->nvalues; k++) {
		t->kinds[k] = export->slots[expr_aggregate_slot(export->values[k])].kind;
		t->value_types[k] = expr_type(export->values[k]);
	}
	strmap_init(&t->key_index);
	return s->ntables++;
}

long facts_table_find(const struct facts_store *s, const char *ruleset, const char *export)
{
	size_t n = strlen(ruleset);
	for (size_t i = 0; i < s->ntables; i++) {
		const char *name = s->tables[i].name;
		if (strncmp(name, ruleset, n) == 0 && name[n] == '/' && strcmp(name + n + 1, export) == 0)
			return (long)i;
	}
	return -1;
}

/* The id of a name, kept once. */
static uint32_t intern(struct facts_store *s, const char *name)
{
	uint64_t id;
	if (!name)
		return 0;
	if (strmap_get(&s->name_index, name, strlen(name), &id))
		return (uint32_t)id;
	if (s->nnames == s->capnames) {
		s->capnames *= 2;
		s->names = xrealloc(s->names, s->capnames * sizeof *s->names);
	}
	strmap_put(&s->name_index, name, strlen(name), s->nnames, NULL);
	s->names[s->nnames] = xstrdup(name);
	return (uint32_t)s->nnames++;
}

static const char *string_member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Reads a key value as its export's group gives it: a number, a text, a date or a truth. */
static bool read_key(struct facts_store *s, json_t *v, enum vtype type, struct value *out)
{
	if (json_is_number(v) && (type == V_NUM || type == V_ANY)) {
		*out = (struct value){.type = V_NUM, .num = json_number_value(v)};
		return true;
	}
	if (json_is_boolean(v) && (type == V_BOOL || type == V_ANY)) {
		*out = (struct value){.type = V_BOOL, .num = json_is_true(v)};
		return true;
	}
	if (!json_is_string(v))
		return false;
	const char *text = json_string_value(v);
	size_t len = json_string_length(v);
	if (type == V_DATE)
		return parse_date(text, len, &out->num) && (out->type = V_DATE);
	if (type != V_STR && type != V_ANY)
		return false;
	*out = (struct value){.type = V_STR, .str = arena_copy(&s->arena, text, len), .len = (uint32_t)len};
	return true;
}

/* Reads a part's number, a date when the value is one. */
static bool part_number(json_t *v, bool date, double *out)
{
	if (date && json_is_string(v))
		return parse_date(json_string_value(v), json_string_length(v), out);
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return isfinite(*out);
}

/* Reads the parts of one value: {"n":…, "sum"|"hits"|"min"|"max":…} as its kind writes them. */
static bool read_part(json_t *o, enum agg_kind kind, enum vtype type, struct fact_part *out)
{
	static const char *const second[] = {
		[AGG_COUNT_IF] = "hits", [AGG_SUM] = "sum", [AGG_MEAN] = "sum", [AGG_MIN] = "min",
		[AGG_MAX] = "max", [AGG_RATIO] = "hits",
	};
	if (!json_is_object(o))
		return false;
	memset(out, 0, sizeof *out);
	if (kind != AGG_COUNT_IF && (!part_number(json_object_get(o, "n"), false, &out->n) || out->n < 0))
		return false;
	if (kind == AGG_COUNT)
		return true;
	json_t *x = json_object_get(o, second[kind]);
	if (!x && (kind == AGG_MIN || kind == AGG_MAX))
		return out->n == 0; /* the least of nothing is not written */
	return part_number(x, type == V_DATE, &out->x);
}

/* Reads "dates": days and runs of days, kept sorted and merged. */
static bool read_days(struct facts_store *s, json_t *dates, struct fact *f)
{
	if (!json_is_array(dates))
		return false;
	size_t n = json_array_size(dates);
	int32_t *runs = arena_alloc(&s->arena, (2 * n + 1) * sizeof *runs);
	uint32_t nruns = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(dates, i);
		const char *text = json_is_string(d) ? json_string_value(d) : NULL;
		size_t len = text ? json_string_length(d) : 0;
		const char *slash = text ? memchr(text, '/', len) : NULL;
		double first, last;
		if (!text || !parse_date(text, slash ? (size_t)(slash - text) : len, &first))
			return false;
		last = first;
		if (slash && !parse_date(slash + 1, len - (size_t)(slash + 1 - text), &last))
			return false;
		if (last < first || (nruns && first <= runs[2 * nruns - 1]))
			return false; /* written sorted, each day once */
		if (nruns && first == runs[2 * nruns - 1] + 1)
			runs[2 * nruns - 1] = (int32_t)last;
		else
			runs[2 * nruns] = (int32_t)first, runs[2 * nruns + 1] = (int32_t)last, nruns++;
	}
	f->runs = runs;
	f->nruns = nruns;
	return true;
}

/*
 * Where two lists of runs meet: returns the days both have and sets *first
 * to the earliest of them.
 */
static uint32_t runs_meet(const int32_t *a, uint32_t na, const int32_t *b, uint32_t nb, int32_t *first)
{
	uint32_t days = 0, i = 0, j = 0;
	while (i < na && j < nb) {
		int32_t lo = a[2 * i] > b[2 * j] ? a[2 * i] : b[2 * j];
		int32_t hi = a[2 * i + 1] < b[2 * j + 1] ? a[2 * i + 1] : b[2 * j + 1];
		if (lo <= hi) {
			if (!days)
				*first = lo;
			days += (uint32_t)(hi - lo + 1);
		}
		if (a[2 * i + 1] < b[2 * j + 1])
			i++;
		else
			j++;
	}
	return days;
}

/* Adds a record's runs to the days taken for its key. */
static void take_days(struct key_days *k, const struct fact *f)
{
	int32_t *merged = xcalloc(2 * (k->nruns + f->nruns) + 1, sizeof *merged);
	uint32_t n = 0, i = 0, j = 0;
	while (i < k->nruns || j < f->nruns) {
		const int32_t *r = j >= f->nruns || (i < k->nruns && k->runs[2 * i] < f->runs[2 * j])
					   ? &k->runs[2 * i++] : &f->runs[2 * j++];
		if (n && r[0] <= merged[2 * n - 1] + 1) {
			if (r[1] > merged[2 * n - 1])
				merged[2 * n - 1] = r[1];
		} else {
			merged[2 * n] = r[0], merged[2 * n + 1] = r[1], n++;
		}
	}
	free(k->runs);
	k->runs = merged;
	k->nruns = n;
}

/* Numbers a record's whole key in its table. */
static uint32_t number_key(struct facts_table *t, const struct value *keys)
{
	struct buf key = {0};
	for (size_t k = 0; k < t->export->ngroup; k++)
		value_key(&key, &keys[k]);
	bool inserted;
	uint64_t *id = strmap_upsert(&t->key_index, key.data ? key.data : "", key.len, &inserted);
	buf_free(&key);
	if (inserted) {
		if (t->nkeys == t->capkeys) {
			t->capkeys = t->capkeys ? t->capkeys * 2 : 64;
			t->keys = xrealloc(t->keys, t->capkeys * sizeof *t->keys);
		}
		*id = t->nkeys;
		t->keys[t->nkeys++] = (struct key_days){0};
	}
	return (uint32_t)*id;
}

/* The days a record covers. */
static uint64_t fact_days(const struct fact *f)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < f->nruns; i++)
		n += (uint64_t)(f->runs[2 * i + 1] - f->runs[2 * i]) + 1;
	return n;
}

/* A record's place in the order a key's records are taken in. */
struct take_order {
	uint32_t key_id;
	uint64_t days;
	size_t fact;
};

/* Orders a table's records by key, then the most days first, then as they came. */
static int by_key_and_days(const void *pa, const void *pb)
{
	const struct take_order *a = pa, *b = pb;
	if (a->key_id != b->key_id)
		return a->key_id < b->key_id ? -1 : 1;
	if (a->days != b->days)
		return a->days > b->days ? -1 : 1;
	return (a->fact > b->fact) - (a->fact < b->fact);
}

static int by_place(const void *pa, const void *pb)
{
	const struct facts_overlap *a = pa, *b = pb;
	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	return (a->fact > b->fact) - (a->fact < b->fact);
}

/*
 * Decides, for each key of a combined table, which records are taken: the
 * one with the most days first, then each whose days do not meet those
 * taken (an export without dates: the first only); the others are overlaps.
 */
static void settle_table(struct facts_store *s, size_t ti)
{
	struct facts_table *t = &s->tables[ti];
	struct take_order *order = xcalloc(t->n + 1, sizeof *order);
	for (size_t i = 0; i < t->n; i++)
		order[i] = (struct take_order){t->facts[i].key_id, fact_days(&t->facts[i]), i};
	sort_items(order, t->n, sizeof *order, by_key_and_days);
	for (size_t i = 0, first = 0; i < t->n; i++) {
		struct fact *f = &t->facts[order[i].fact];
		struct key_days *kd = &t->keys[f->key_id];
		if (!i || f->key_id != order[i - 1].key_id) {
			first = i;
			take_days(kd, f);
			continue;
		}
		int32_t day = 0;
		uint32_t days = runs_meet(kd->runs, kd->nruns, f->runs, f->nruns, &day);
		if (t->export->dates && !days) {
			take_days(kd, f);
			continue;
		}
		size_t earlier = order[first].fact; /* the taken record it meets */
		for (size_t k = first; k < i; k++) {
			const struct fact *g = &t->facts[order[k].fact];
			int32_t d;
			if (!g->left_out && (!t->export->dates || runs_meet(g->runs, g->nruns, f->runs, f->nruns, &d))) {
				earlier = order[k].fact;
				break;
			}
		}
		f->left_out = true;
		if (s->noverlaps == s->capoverlaps) {
			s->capoverlaps = s->capoverlaps ? s->capoverlaps * 2 : 16;
			s->overlaps = xrealloc(s->overlaps, s->capoverlaps * sizeof *s->overlaps);
		}
		s->overlaps[s->noverlaps++] = (struct facts_overlap){ti, order[i].fact, earlier, day, days};
	}
	free(order);
}

void facts_settle(struct facts_store *s)
{
	for (size_t t = 0; t < s->ntables; t++)
		if (s->tables[t].combined)
			settle_table(s, t);
	sort_items(s->overlaps, s->noverlaps, sizeof *s->overlaps, by_place);
}

bool facts_take(struct facts_store *s, json_t *record, char *why, size_t size)
{
	const char *ruleset = string_member(record, "ruleset"), *export = string_member(record, "export");
	const char *file = string_member(record, "file");
	s->records++;
	long ti = ruleset && export ? facts_table_find(s, ruleset, export) : -1;
	if (ti < 0)
		return true;
	struct facts_table *t = &s->tables[ti];
	const struct view *x = t->export;
	json_t *key = json_object_get(record, "key"), *parts = json_object_get(record, "parts");
	json_t *row = json_object_get(record, "row"), *line = json_object_get(record, "line");
	if (!file || !json_is_object(key) || !json_is_object(parts)) {
		snprintf(why, size, "a facts record of %s needs \"file\", \"key\" and \"parts\"", t->name);
		return false;
	}
	if ((row && (!json_is_integer(row) || json_integer_value(row) < 0)) ||
	    (line && (!json_is_integer(line) || json_integer_value(line) < 0))) {
		snprintf(why, size, "\"row\" and \"line\" of a facts record are whole numbers from 0");
		return false;
	}
	struct fact f = {
		.file = intern(s, file), .sheet = intern(s, string_member(record, "sheet")),
		.column = intern(s, string_member(record, "column")), .cell = intern(s, string_member(record, "cell")),
		.row = row ? (uint64_t)json_integer_value(row) : 0, .line = line ? (uint64_t)json_integer_value(line) : 0,
	};
	f.keys = arena_alloc(&s->arena, (x->ngroup + 1) * sizeof *f.keys);
	for (size_t k = 0; k < x->ngroup; k++)
		if (!read_key(s, json_object_get(key, x->out_names[k]), x->out_types[k], &f.keys[k])) {
			snprintf(why, size, "key \"%s\" of %s is missing or not a %s", x->out_names[k], t->name,
				 vtype_name(x->out_types[k]));
			return false;
		}
	f.parts = arena_alloc(&s->arena, (x->nvalues + 1) * sizeof *f.parts);
	for (size_t k = 0; k < x->nvalues; k++)
		if (agg_combinable(t->kinds[k]) &&
		    !read_part(json_object_get(parts, x->value_names[k]), t->kinds[k], t->value_types[k], &f.parts[k])) {
			snprintf(why, size, "the parts of \"%s\" of %s are missing or not what its aggregate writes",
				 x->value_names[k], t->name);
			return false;
		}
	if (x->dates && !read_days(s, json_object_get(record, "dates"), &f)) {
		snprintf(why, size, "\"dates\" of %s must be days and runs of days (2025-06-01/2025-06-30), in order",
			 t->name);
		return false;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->facts = xrealloc(t->facts, t->cap * sizeof *t->facts);
	}
	f.key_id = number_key(t, f.keys);
	t->facts[t->n++] = f;
	return true;
}

struct value facts_part_value(enum agg_kind kind, enum vtype type, const struct fact_part *part)
{
	struct agg_acc acc = {.n = part->n, .sum = part->x, .hits = part->x, .lo = part->x, .hi = part->x,
			      .date = type == V_DATE};
	return agg_result(kind, 0, &acc);
}

void facts_part_add(enum agg_kind kind, struct fact_part *into, const struct fact_part *part)
{
	bool had = into->n > 0;
	into->n += part->n;
	if (kind == AGG_MIN || kind == AGG_MAX) {
		if (part->n && (!had || (kind == AGG_MIN ? part->x < into->x : part->x > into->x)))
			into->x = part->x;
	} else {
		into->x += part->x;
	}
}
