/*
 * rules.c — loading and running row rules, aggregates and coverage.
 *
 * Row rules are judged as each record arrives.  Aggregates keep one set of
 * accumulators per group, found through a hash of the group's key values;
 * coverage keeps the set of keys seen (per group when asked).  Both are
 * judged once the file has been read, in the order the groups first appeared.
 */
#include "rules.h"
#include "budget.h"
#include "jsonw.h"
#include "ruleset.h"
#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading ---- */

/* Says whether a {name} placeholder means something where the template is used. */
typedef bool (*name_check)(const struct ruleset *rs, const struct written_rule *r, const char *name);

static bool is_column(const struct ruleset *rs, const struct written_rule *r, const char *name)
{
	(void)r;
	return ruleset_column(rs, name) >= 0;
}

static bool is_group_key(const struct ruleset *rs, const struct written_rule *r, const char *name)
{
	(void)rs;
	for (size_t g = 0; g < r->ngroup; g++)
		if (strcmp(expr_key_name(r->group[g]), name) == 0)
			return true;
	return false;
}

static bool is_coverage_name(const struct ruleset *rs, const struct written_rule *r, const char *name)
{
	(void)rs, (void)r;
	return !strcmp(name, "value") || !strcmp(name, "label") || !strcmp(name, "per");
}

/* Reports an expression error with the rule id and the character position. */
static void expr_error(struct loader *L, const char *jpath, const char *id, const char *err, int pos)
{
	lerr(L, jpath, false, "rule '%s': %s (at character %d)", id ? id : "?", err, pos);
}

/* Compiles one expression member of a rule; NULL when absent or wrong. */
static struct expr *load_expr(struct loader *L, json_t *obj, const char *key, const char *jpath,
			      struct expr_scope *scope, const char *id, bool required,
			      enum vtype want)
{
	char p[PATHMAX], err[256];
	const char *src = get_string(L, obj, key, jpath, required);
	if (!src)
		return NULL;
	sub(p, sizeof p, jpath, key, 0);
	int pos;
	struct expr *e = expr_compile(src, scope, err, sizeof err, &pos);
	if (!e) {
		expr_error(L, p, id, err, pos);
		return NULL;
	}
	enum vtype t = expr_type(e);
	if (want != V_ANY && t != want && t != V_ANY && t != V_NULL) {
		lerr(L, p, false, "rule '%s': '%s' must be a %s, not a %s", id, key, vtype_name(want), vtype_name(t));
		expr_free(e);
		return NULL;
	}
	return e;
}

/* Splits a message into text, {name} and {=expression} parts. */
static void parse_template(struct loader *L, const char *text, const char *jpath, struct expr_scope *scope,
			   struct written_rule *r, name_check names, struct template *out)
{
	struct buf lit = {0};
	const char *s = text;
	memset(out, 0, sizeof *out);
	while (*s) {
		bool placeholder = s[0] == '{' && s[1] != '{';
		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			buf_addc(&lit, s[0]);
			s += 2;
			continue;
		}
		if (!placeholder) {
			buf_addc(&lit, *s++);
			continue;
		}
		const char *end = s + 1;
		bool quoted = false;
		while (*end && (quoted || *end != '}')) {
			if (*end == '"')
				quoted = !quoted;
			end += *end == '\\' && end[1] ? 2 : 1;
		}
		if (!*end) {
			lerr(L, jpath, false, "rule '%s': '{' without a closing '}' in the message", r->id);
			break;
		}
		out->parts = xrealloc(out->parts, (out->nparts + 2) * sizeof *out->parts);
		if (lit.len) {
			out->parts[out->nparts++] = (struct template_part){.text = xstrndup(lit.data, lit.len)};
			buf_reset(&lit);
		}
		struct template_part *part = &out->parts[out->nparts++];
		memset(part, 0, sizeof *part);
		if (s[1] == '=') {
			char *src = xstrndup(s + 2, (size_t)(end - s - 2)), err[256];
			int pos;
			part->expr = expr_compile(src, scope, err, sizeof err, &pos);
			if (!part->expr)
				lerr(L, jpath, false, "rule '%s': in the message's {=%s}: %s (at character %d)", r->id, src, err, pos);
			free(src);
		} else {
			part->text = xstrndup(s + 1, (size_t)(end - s - 1));
			part->is_name = true;
			if (!names(L->rs, r, part->text))
				lerr(L, jpath, false, "rule '%s': the message's {%s} names nothing here", r->id, part->text);
		}
		s = end + 1;
	}
	if (lit.len) {
		out->parts = xrealloc(out->parts, (out->nparts + 1) * sizeof *out->parts);
		out->parts[out->nparts++] = (struct template_part){.text = xstrndup(lit.data, lit.len)};
	}
	buf_free(&lit);
}

/* Reads "message" ({"zh", "en"} or one string) into both templates. */
static void load_message(struct loader *L, json_t *obj, const char *jpath, struct expr_scope *scope,
			 struct written_rule *r, name_check names, struct template msg[2])
{
	char p[PATHMAX];
	char *zh, *en;
	get_text(L, obj, "message", jpath, &zh, &en);
	sub(p, sizeof p, jpath, "message", 0);
	if (zh)
		parse_template(L, zh, p, scope, r, names, &msg[LANG_ZH]);
	if (en && zh && strcmp(zh, en) == 0)
		msg[LANG_EN] = msg[LANG_ZH]; /* one string for both: shared, freed once */
	else if (en)
		parse_template(L, en, p, scope, r, names, &msg[LANG_EN]);
	free(zh);
	free(en);
}

/* Reads the members every written rule has: id, severity, code, plan. */
static bool load_common(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r,
			const char *default_code, enum severity default_severity)
{
	char p[PATHMAX];
	if (!json_is_object(obj)) {
		lerr(L, jpath, false, "a rule must be an object");
		r->id = xstrdup("?");
		r->code = xstrdup(default_code);
		return false;
	}
	r->id = dup_string(L, obj, "id", jpath, true);
	if (r->id && !is_identifier(r->id, true))
		lerr(L, sub(p, sizeof p, jpath, "id", 0), false, "rule id '%s' must be letters, digits, '-' and '_'", r->id);
	if (!r->id)
		r->id = xstrdup("?");
	r->plan = dup_string(L, obj, "plan", jpath, false);
	get_text(L, obj, "description", jpath, &r->description[LANG_ZH], &r->description[LANG_EN]);
	r->code = dup_string(L, obj, "code", jpath, false);
	if (!r->code)
		r->code = xstrdup(default_code);
	else if (!is_identifier(r->code, true))
		lerr(L, sub(p, sizeof p, jpath, "code", 0), false, "code '%s' must be kebab-case", r->code);
	r->severity = default_severity;
	const char *sev = get_string(L, obj, "severity", jpath, false);
	if (sev && !severity_from_name(sev, &r->severity, false))
		lerr(L, sub(p, sizeof p, jpath, "severity", 0), false, "severity must be error, warning or info");
	return true;
}

/* Reads "columns": the cells a row rule's findings point at. */
static void load_rule_columns(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r)
{
	char p[PATHMAX], q[PATHMAX];
	char **names;
	size_t n = get_strings(L, obj, "columns", jpath, &names);
	if (!json_object_get(obj, "columns")) {
		const size_t *cols = NULL;
		size_t k = r->assert ? expr_columns(r->assert, &cols) : 0;
		r->cols = xcalloc(k + 1, sizeof *r->cols);
		if (k)
			memcpy(r->cols, cols, k * sizeof *cols);
		r->ncols = k;
		free(names);
		return;
	}
	r->cols = xcalloc(n + 1, sizeof *r->cols);
	sub(p, sizeof p, jpath, "columns", 0);
	for (size_t i = 0; i < n; i++) {
		int c = ruleset_column(L->rs, names[i]);
		if (c < 0)
			lerr(L, sub(q, sizeof q, p, NULL, (long)i), false, "unknown column '%s'", names[i]);
		else
			r->cols[r->ncols++] = (size_t)c;
		free(names[i]);
	}
	free(names);
}

static void load_row_rule(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r)
{
	static const char *const keys[] = {"id", "when", "assert", "severity", "code", "message",
					   "plan", "columns", "description", NULL};
	if (!load_common(L, obj, jpath, r, "rule", SEV_ERROR))
		return;
	check_keys(L, obj, jpath, keys);
	struct expr_scope scope = {.rs = L->rs};
	r->when = load_expr(L, obj, "when", jpath, &scope, r->id, false, V_BOOL);
	r->assert = load_expr(L, obj, "assert", jpath, &scope, r->id, true, V_BOOL);
	load_rule_columns(L, obj, jpath, r);
	load_message(L, obj, jpath, &scope, r, is_column, r->message);
}

static void load_aggregate(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r)
{
	static const char *const keys[] = {"id", "group", "when", "assert", "severity", "code",
					   "message", "plan", "description", NULL};
	char p[PATHMAX], q[PATHMAX], err[256];
	if (!load_common(L, obj, jpath, r, "aggregate", SEV_ERROR))
		return;
	check_keys(L, obj, jpath, keys);
	struct expr_scope row_scope = {.rs = L->rs};
	char **groups;
	size_t n = get_strings(L, obj, "group", jpath, &groups);
	r->group = xcalloc(n + 1, sizeof *r->group);
	sub(p, sizeof p, jpath, "group", 0);
	for (size_t i = 0; i < n; i++) {
		int pos;
		struct expr *g = expr_compile(groups[i], &row_scope, err, sizeof err, &pos);
		if (!g)
			expr_error(L, sub(q, sizeof q, p, NULL, (long)i), r->id, err, pos);
		else
			r->group[r->ngroup++] = g;
		free(groups[i]);
	}
	free(groups);
	r->when = load_expr(L, obj, "when", jpath, &row_scope, r->id, false, V_BOOL);
	struct expr_scope scope = {.rs = L->rs, .aggregate = true, .group = r->group, .ngroup = r->ngroup};
	r->assert = load_expr(L, obj, "assert", jpath, &scope, r->id, true, V_BOOL);
	load_message(L, obj, jpath, &scope, r, is_group_key, r->message);
	r->slots = scope.slots;
	r->nslots = scope.nslots;
}

/* Reads a list of per-group values for coverage: numbers or strings. */
static void load_per_values(struct loader *L, json_t *obj, const char *jpath, struct coverage_rule *c)
{
	char p[PATHMAX], q[PATHMAX];
	json_t *arr = json_object_get(obj, "per_values");
	if (!arr)
		return;
	sub(p, sizeof p, jpath, "per_values", 0);
	if (!json_is_array(arr)) {
		lerr(L, p, false, "'per_values' must be an array");
		return;
	}
	size_t n = json_array_size(arr);
	c->per_values = xcalloc(n + 1, sizeof *c->per_values);
	c->per_owned = xcalloc(n + 1, sizeof *c->per_owned);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);
		if (json_is_number(v)) {
			c->per_values[c->nper_values++] = (struct value){.type = V_NUM, .num = json_number_value(v)};
		} else if (json_is_string(v)) {
			char *s = c->per_owned[c->nper_values] = xstrdup(json_string_value(v));
			c->per_values[c->nper_values++] = (struct value){.type = V_STR, .str = s, .len = strlen(s)};
		} else {
			lerr(L, sub(q, sizeof q, p, NULL, (long)i), false, "expected a number or a string");
		}
	}
}

/* Reads where coverage's expected keys come from: a reference table column or a list. */
static void load_expected(struct loader *L, json_t *obj, const char *jpath, struct coverage_rule *c)
{
	char p[PATHMAX];
	char **except;
	size_t nexcept = get_strings(L, obj, "except", jpath, &except);
	const char *ref = get_string(L, obj, "ref", jpath, false);
	if (ref) {
		sub(p, sizeof p, jpath, "ref", 0);
		const char *dot = strchr(ref, '.');
		struct reftable *t = NULL;
		for (size_t i = 0; dot && i < L->rs->nrefs && !t; i++)
			if (strlen(L->rs->refs[i].name) == (size_t)(dot - ref) &&
			    !memcmp(L->rs->refs[i].name, ref, (size_t)(dot - ref)))
				t = L->rs->refs[i].table;
		int col = t ? reftable_column(t, dot + 1) : -1;
		if (col < 0) {
			lerr(L, p, false, "'%s' is not TABLE.COLUMN of a table in 'refs'", ref);
		} else {
			c->expected = xcalloc(t->nrows + 1, sizeof *c->expected);
			c->expected_label = xcalloc(t->nrows + 1, sizeof *c->expected_label);
			for (size_t r = 0; r < t->nrows; r++) {
				const char *v = reftable_cell(t, r, col);
				bool skip = false;
				for (size_t k = 0; k < nexcept && !skip; k++)
					skip = strcmp(except[k], v) == 0;
				if (skip)
					continue;
				c->expected_label[c->nexpected] = t->name_col >= 0 && t->name_col != col
					? xstrdup(reftable_cell(t, r, t->name_col)) : NULL;
				c->expected[c->nexpected++] = xstrdup(v);
			}
		}
	} else {
		c->nexpected = get_strings(L, obj, "values", jpath, &c->expected);
		c->expected_label = xcalloc(c->nexpected + 1, sizeof *c->expected_label);
		if (!json_object_get(obj, "values"))
			lerr(L, jpath, false, "coverage '%s' needs 'ref' or 'values'", c->id);
	}
	for (size_t k = 0; k < nexcept; k++)
		free(except[k]);
	free(except);
}

static void load_coverage(struct loader *L, json_t *obj, const char *jpath, struct coverage_rule *c)
{
	static const char *const keys[] = {"id", "column", "ref", "values", "except", "per", "per_values",
					   "when", "severity", "message", "plan", "description", NULL};
	struct written_rule common = {0};
	char p[PATHMAX];
	if (!load_common(L, obj, jpath, &common, "coverage", SEV_ERROR)) {
		c->id = common.id;
		free(common.code);
		return;
	}
	c->id = common.id;
	c->plan = common.plan;
	c->description[0] = common.description[0];
	c->description[1] = common.description[1];
	c->severity = common.severity;
	free(common.code);
	check_keys(L, obj, jpath, keys);
	const char *col = get_string(L, obj, "column", jpath, true);
	int ci = col ? ruleset_column(L->rs, col) : -1;
	if (col && ci < 0)
		lerr(L, sub(p, sizeof p, jpath, "column", 0), false, "unknown column '%s'", col);
	c->col = ci < 0 ? 0 : (size_t)ci;
	load_expected(L, obj, jpath, c);
	struct expr_scope scope = {.rs = L->rs};
	c->per = load_expr(L, obj, "per", jpath, &scope, c->id, false, V_ANY);
	c->when = load_expr(L, obj, "when", jpath, &scope, c->id, false, V_BOOL);
	load_per_values(L, obj, jpath, c);
	if (c->per_values && !c->per)
		lerr(L, sub(p, sizeof p, jpath, "per_values", 0), true, "'per_values' needs 'per'");
	struct written_rule names = {.id = c->id};
	load_message(L, obj, jpath, &scope, &names, is_coverage_name, c->message);
}

/* Reads one of the arrays of written rules; ids must be unique across the rule set. */
static size_t load_array(struct loader *L, json_t *root, const char *key, size_t size, void **out,
			 void (*load)(struct loader *, json_t *, const char *, void *))
{
	char p[PATHMAX];
	json_t *arr = json_object_get(root, key);
	*out = NULL;
	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		lerr(L, key, false, "'%s' must be an array", key);
		return 0;
	}
	size_t n = json_array_size(arr);
	*out = xcalloc(n + 1, size);
	for (size_t i = 0; i < n; i++)
		load(L, json_array_get(arr, i), sub(p, sizeof p, key, NULL, (long)i), (char *)*out + i * size);
	return n;
}

static void load_row_rule_v(struct loader *L, json_t *o, const char *p, void *r) { load_row_rule(L, o, p, r); }
static void load_aggregate_v(struct loader *L, json_t *o, const char *p, void *r) { load_aggregate(L, o, p, r); }
static void load_coverage_v(struct loader *L, json_t *o, const char *p, void *r) { load_coverage(L, o, p, r); }

/* Reports a rule id used twice: findings must name one rule. */
static void check_unique_ids(struct loader *L, struct ruleset *rs)
{
	struct { const char *key; size_t n, size; const void *base; } lists[] = {
		{"rules", rs->nrow_rules, sizeof *rs->row_rules, rs->row_rules},
		{"aggregates", rs->naggregates, sizeof *rs->aggregates, rs->aggregates},
		{"coverage", rs->ncoverage, sizeof *rs->coverage, rs->coverage},
	};
	struct strmap seen;
	char p[PATHMAX], q[PATHMAX];
	strmap_init(&seen);
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < lists[l].n; i++) {
			const char *item = (const char *)lists[l].base + i * lists[l].size;
			const char *id = l < 2 ? ((const struct written_rule *)item)->id
					       : ((const struct coverage_rule *)item)->id;
			if (strcmp(id, "?") && !strmap_put(&seen, id, strlen(id), i, NULL))
				lerr(L, sub(q, sizeof q, sub(p, sizeof p, lists[l].key, NULL, (long)i), "id", 0),
				     false, "rule id '%s' is used twice", id);
		}
	strmap_free(&seen);
}

void rules_load(struct loader *L, json_t *root)
{
	struct ruleset *rs = L->rs;
	void *p;
	rs->nrow_rules = load_array(L, root, "rules", sizeof *rs->row_rules, &p, load_row_rule_v);
	rs->row_rules = p;
	rs->naggregates = load_array(L, root, "aggregates", sizeof *rs->aggregates, &p, load_aggregate_v);
	rs->aggregates = p;
	rs->ncoverage = load_array(L, root, "coverage", sizeof *rs->coverage, &p, load_coverage_v);
	rs->coverage = p;
	check_unique_ids(L, rs);
}

static void free_template(struct template *t)
{
	for (size_t i = 0; i < t->nparts; i++) {
		free(t->parts[i].text);
		expr_free(t->parts[i].expr);
	}
	free(t->parts);
}

/* Frees both languages' templates, which may be one shared template. */
static void free_messages(struct template msg[2])
{
	if (msg[LANG_EN].parts != msg[LANG_ZH].parts)
		free_template(&msg[LANG_EN]);
	free_template(&msg[LANG_ZH]);
}

static void free_written(struct written_rule *r)
{
	free(r->id), free(r->plan), free(r->code);
	free(r->description[0]), free(r->description[1]);
	expr_free(r->when);
	expr_free(r->assert);
	free_messages(r->message);
	free(r->cols);
	for (size_t g = 0; g < r->ngroup; g++)
		expr_free(r->group[g]);
	free(r->group);
	free(r->slots);
}

void rules_free(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->nrow_rules; i++)
		free_written(&rs->row_rules[i]);
	for (size_t i = 0; i < rs->naggregates; i++)
		free_written(&rs->aggregates[i]);
	for (size_t i = 0; i < rs->ncoverage; i++) {
		struct coverage_rule *c = &rs->coverage[i];
		free(c->id), free(c->plan);
		free(c->description[0]), free(c->description[1]);
		for (size_t k = 0; k < c->nexpected; k++)
			free(c->expected[k]), free(c->expected_label[k]);
		free(c->expected), free(c->expected_label);
		expr_free(c->per), expr_free(c->when);
		for (size_t k = 0; k < c->nper_values; k++)
			free(c->per_owned[k]);
		free(c->per_owned), free(c->per_values);
		free_messages(c->message);
	}
	free(rs->row_rules), free(rs->aggregates), free(rs->coverage);
}

/* ---- running ---- */

/* One aggregate's groups: key values and accumulators, in order of first appearance. */
struct group_table {
	struct strmap index;     /* serialised key → group number */
	long last_group;         /* the previous row's group: sorted files repeat it */
	struct value *keys;      /* ngroups × ngroup, strings owned */
	struct agg_acc *accs;    /* ngroups × nslots */
	size_t ngroups, cap;
	uint64_t bytes;          /* memory taken from the budget for all of it */
	uint64_t strings, values;/* of which: key strings, and percentile values kept */
	size_t counted;          /* groups whose key strings are in strings */
	bool dropped;            /* over --max-memory: not judged in this file */
};

/* One coverage rule's record of what was seen. */
struct coverage_seen {
	struct strmap pairs;     /* serialised per value + key */
	struct strmap per_index; /* per values seen → order */
	struct value *per_seen;  /* strings owned */
	size_t nper, cap;
};

struct rules_state {
	const struct ruleset *rs;
	struct budget *budget;
	struct group_table *groups;     /* per aggregate */
	struct coverage_seen *seen;     /* per coverage rule */
	struct buf key, msg, rule, text, json;
};

struct rules_state *rules_state_new(const struct ruleset *rs, struct budget *budget)
{
	struct rules_state *st = xcalloc(1, sizeof *st);
	st->rs = rs;
	st->budget = budget;
	st->groups = xcalloc(rs->naggregates + 1, sizeof *st->groups);
	st->seen = xcalloc(rs->ncoverage + 1, sizeof *st->seen);
	for (size_t i = 0; i < rs->naggregates; i++)
		strmap_init(&st->groups[i].index);
	for (size_t i = 0; i < rs->ncoverage; i++) {
		strmap_init(&st->seen[i].pairs);
		strmap_init(&st->seen[i].per_index);
	}
	return st;
}

/* Frees the strings a list of values owns. */
static void free_values(struct value *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].type == V_STR)
			free((char *)v[i].str);
	free(v);
}

/* Frees an aggregate's groups and gives their memory back to the budget. */
static void free_groups(struct rules_state *st, size_t a)
{
	const struct written_rule *r = &st->rs->aggregates[a];
	struct group_table *g = &st->groups[a];
	strmap_free(&g->index);
	free_values(g->keys, g->ngroups * r->ngroup);
	agg_acc_free(g->accs, g->ngroups * r->nslots);
	free(g->accs);
	budget_give(st->budget, g->bytes);
}

void rules_state_free(struct rules_state *st)
{
	if (!st)
		return;
	const struct ruleset *rs = st->rs;
	for (size_t i = 0; i < rs->naggregates; i++)
		free_groups(st, i);
	for (size_t i = 0; i < rs->ncoverage; i++) {
		strmap_free(&st->seen[i].pairs);
		strmap_free(&st->seen[i].per_index);
		free_values(st->seen[i].per_seen, st->seen[i].nper);
	}
	free(st->groups);
	free(st->seen);
	buf_free(&st->key), buf_free(&st->msg), buf_free(&st->rule), buf_free(&st->text), buf_free(&st->json);
	free(st);
}

/* Appends a value to a hash key, typed so that "1" and 1 stay apart. */
static void key_add(struct buf *key, const struct value *v)
{
	buf_addc(key, (char)('0' + v->type));
	if (v->type == V_STR) {
		uint32_t len = (uint32_t)v->len;
		buf_add(key, &len, sizeof len);
		buf_add(key, v->str, v->len);
	} else {
		buf_add(key, &v->num, sizeof v->num);
	}
}

/* True if two lists of group key values would give the same key_add bytes. */
static bool same_keys(const struct value *a, const struct value *b, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (a[k].type != b[k].type)
			return false;
		if (a[k].type == V_STR ? a[k].len != b[k].len || memcmp(a[k].str, b[k].str, a[k].len) != 0
				       : memcmp(&a[k].num, &b[k].num, sizeof a[k].num) != 0)
			return false;
	}
	return true;
}

/* Copies a value so it outlives the record (strings duplicated). */
static struct value keep_value(const struct value *v)
{
	struct value c = *v;
	if (v->type == V_STR)
		c.str = xstrndup(v->str, v->len);
	return c;
}

/* Renders a template; {name} parts are resolved by the caller's function. */
static const char *render(struct rules_state *st, const struct template *t, const struct eval_ctx *ctx,
			  void (*name)(void *arg, const char *name, struct buf *out), void *arg)
{
	buf_reset(&st->msg);
	for (size_t i = 0; i < t->nparts; i++) {
		const struct template_part *p = &t->parts[i];
		if (p->expr) {
			struct value v = expr_eval(p->expr, ctx);
			value_format(&v, &st->msg);
		} else if (p->is_name) {
			name(arg, p->text, &st->msg);
		} else {
			buf_adds(&st->msg, p->text);
		}
	}
	return st->msg.data ? st->msg.data : "";
}

/* {name} in a row rule: the column's cell text. */
static void row_name(void *arg, const char *name, struct buf *out)
{
	const struct row_view *row = ((void **)arg)[0];
	const struct ruleset *rs = ((void **)arg)[1];
	int c = ruleset_column(rs, name);
	if (c >= 0 && row->text[c])
		buf_add(out, row->text[c], row->textlen[c]);
}

/* Emits a failed row rule, pointing at its first column's cell. */
static void row_finding(struct rules_state *st, const struct written_rule *r, const struct row_view *row,
			const struct eval_ctx *ctx, struct diag_file *out)
{
	enum lang lang = out->opt->lang;
	const struct template *t = &r->message[lang];
	void *arg[2] = {(void *)row, (void *)st->rs};
	struct diag d = DIAG_INIT;
	d.severity = r->severity;
	d.code = r->code;
	d.rule = r->id;
	d.line = row->line;
	d.row = row->row;
	d.county = row->county;
	d.plan = r->plan ? r->plan : st->rs->plan;
	d.expected = expr_source(r->assert);
	if (r->ncols) {
		size_t c = r->cols[0];
		d.column = st->rs->cols[c].name;
		if (row->file_col[c] != SIZE_MAX) {
			d.cell = row->file_col[c];
			d.value = row->text[c] ? row->text[c] : "";
			d.value_len = row->text[c] ? row->textlen[c] : 0;
		}
	}
	if (t->nparts) {
		d.message = render(st, t, ctx, row_name, arg);
	} else {
		buf_reset(&st->msg);
		buf_addf(&st->msg, lang == LANG_ZH ? "不满足规则 %s：%s" : "rule %s fails: %s", r->id,
			 expr_source(r->assert));
		d.message = st->msg.data;
	}
	diag_emit(out, &d);
}

/* Finds or creates the group of the current row; returns its number or -1 for a null key. */
static long find_group(struct rules_state *st, size_t a, const struct eval_ctx *ctx)
{
	const struct written_rule *r = &st->rs->aggregates[a];
	struct group_table *g = &st->groups[a];
	struct value keys[32];
	size_t nk = r->ngroup < 32 ? r->ngroup : 32;
	for (size_t k = 0; k < nk; k++) {
		keys[k] = expr_eval(r->group[k], ctx);
		if (keys[k].type == V_NULL)
			return -1;
	}
	if (g->ngroups && same_keys(keys, &g->keys[(size_t)g->last_group * r->ngroup], nk))
		return g->last_group;
	buf_reset(&st->key);
	for (size_t k = 0; k < nk; k++)
		key_add(&st->key, &keys[k]);
	bool inserted;
	uint64_t *slot = strmap_upsert(&g->index, st->key.data ? st->key.data : "", st->key.len, &inserted);
	if (!inserted)
		return g->last_group = (long)*slot;
	if (g->ngroups == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->keys = xrealloc(g->keys, g->cap * (r->ngroup + 1) * sizeof *g->keys);
		g->accs = xrealloc(g->accs, g->cap * (r->nslots + 1) * sizeof *g->accs);
	}
	for (size_t k = 0; k < nk; k++)
		g->keys[g->ngroups * r->ngroup + k] = keep_value(&keys[k]);
	memset(&g->accs[g->ngroups * r->nslots], 0, r->nslots * sizeof *g->accs);
	*slot = g->ngroups;
	g->last_group = (long)g->ngroups;
	return (long)g->ngroups++;
}

/* Records the row's key (and per value) for a coverage rule. */
static void coverage_row(struct rules_state *st, size_t i, const struct row_view *row,
			 const struct eval_ctx *ctx)
{
	const struct coverage_rule *c = &st->rs->coverage[i];
	struct coverage_seen *s = &st->seen[i];
	if (!row->text[c->col] || !row->textlen[c->col])
		return;
	if (c->when) {
		struct value w = expr_eval(c->when, ctx);
		if (w.type != V_BOOL || !w.num)
			return;
	}
	buf_reset(&st->key);
	if (c->per) {
		struct value pv = expr_eval(c->per, ctx);
		if (pv.type == V_NULL)
			return;
		key_add(&st->key, &pv);
		bool inserted;
		uint64_t *n = strmap_upsert(&s->per_index, st->key.data, st->key.len, &inserted);
		if (inserted) {
			if (s->nper == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 16;
				s->per_seen = xrealloc(s->per_seen, s->cap * sizeof *s->per_seen);
			}
			*n = s->nper;
			s->per_seen[s->nper++] = keep_value(&pv);
		}
	}
	struct value k = {.type = V_STR, .str = row->text[c->col], .len = row->textlen[c->col]};
	key_add(&st->key, &k);
	strmap_put(&s->pairs, st->key.data, st->key.len, 1, NULL);
}

/* The percentile values (and max_change pairs) a group's accumulators keep, in bytes. */
static uint64_t values_kept(const struct agg_acc *accs, size_t n)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += accs[i].nvals * sizeof *accs[i].vals;
	return bytes;
}

/*
 * Feeds a row to group g of aggregate a, then takes what its groups grew by
 * from the budget: the memory they fill (tables grow by doubling; the part
 * not filled yet is not counted, as the system gives it only when touched).
 * When the budget cannot give it, the aggregate is dropped for the rest of
 * the file with a resource-limit finding at this row.
 */
static void update_within_budget(struct rules_state *st, size_t a, long g, const struct eval_ctx *ctx,
				 const struct row_view *row, struct diag_file *out)
{
	const struct written_rule *r = &st->rs->aggregates[a];
	struct group_table *t = &st->groups[a];
	struct agg_acc *accs = &t->accs[(size_t)g * r->nslots];
	if (!st->budget || !st->budget->limit) {
		agg_update(r->slots, r->nslots, accs, ctx);
		return;
	}
	uint64_t kept = values_kept(accs, r->nslots);
	agg_update(r->slots, r->nslots, accs, ctx);
	t->values += values_kept(accs, r->nslots) - kept;
	for (; t->counted < t->ngroups; t->counted++)
		for (size_t k = 0; k < r->ngroup; k++)
			if (t->keys[t->counted * r->ngroup + k].type == V_STR)
				t->strings += budget_block_size(t->keys[t->counted * r->ngroup + k].len + 1);
	uint64_t now = strmap_bytes(&t->index) + t->strings + t->values +
		       t->ngroups * (r->ngroup * sizeof *t->keys + r->nslots * sizeof *t->accs);
	if (now <= t->bytes || budget_take(st->budget, now - t->bytes)) {
		t->bytes = now > t->bytes ? now : t->bytes;
		return;
	}
	struct budget_drop drop = {r->id, "汇总规则", "aggregate", r->id, t->bytes, now};
	budget_report_drop(st->budget, out, &drop, row->line, row->row);
	free_groups(st, a);
	memset(t, 0, sizeof *t);
	strmap_init(&t->index);
	t->dropped = true;
}

void rules_row(struct rules_state *st, const struct row_view *row, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	struct eval_ctx ctx = {.rs = rs, .row = row->values};
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		const struct written_rule *r = &rs->row_rules[i];
		if (r->when) {
			struct value w = expr_eval(r->when, &ctx);
			if (w.type != V_BOOL || !w.num)
				continue;
		}
		struct value v = expr_eval(r->assert, &ctx);
		if (v.type == V_BOOL && !v.num)
			row_finding(st, r, row, &ctx, out);
	}
	for (size_t a = 0; a < rs->naggregates; a++) {
		const struct written_rule *r = &rs->aggregates[a];
		if (st->groups[a].dropped)
			continue;
		if (r->when) {
			struct value w = expr_eval(r->when, &ctx);
			if (w.type != V_BOOL || !w.num)
				continue;
		}
		long g = find_group(st, a, &ctx);
		if (g >= 0)
			update_within_budget(st, a, g, &ctx, row, out);
	}
	for (size_t i = 0; i < rs->ncoverage; i++)
		coverage_row(st, i, row, &ctx);
}

/* The county of a group: its key that is the rule set's county column, as a code. */
static const char *group_county(const struct ruleset *rs, const struct written_rule *r,
				const struct value *keys, char *buf, size_t size)
{
	if (rs->county_mode == COUNTY_NONE)
		return NULL;
	for (size_t k = 0; k < r->ngroup; k++) {
		const size_t *cols;
		size_t n = expr_columns(r->group[k], &cols);
		if (n != 1 || cols[0] != rs->county_col || keys[k].type != V_STR ||
		    strcmp(expr_key_name(r->group[k]), rs->cols[rs->county_col].name) != 0)
			continue;
		const struct column *c = &rs->cols[rs->county_col];
		size_t row;
		bool alias;
		if (!reftable_find(c->ref, c->ref_col, keys[k].str, keys[k].len, &row, &alias))
			return NULL;
		snprintf(buf, size, "%s", reftable_cell(rs->counties, row, rs->county_code_col));
		return buf;
	}
	return NULL;
}

struct group_names {
	const struct written_rule *r;
	const struct value *keys;
};

/* {name} in an aggregate: the group key of that name. */
static void group_name(void *arg, const char *name, struct buf *out)
{
	const struct group_names *gn = arg;
	for (size_t k = 0; k < gn->r->ngroup; k++)
		if (strcmp(expr_key_name(gn->r->group[k]), name) == 0)
			value_format(&gn->keys[k], out);
}

/* Writes the group object of design.md §3.1: {"county_code":"441881","year":2025}. */
static const char *group_json(struct rules_state *st, const struct written_rule *r, const struct value *keys)
{
	buf_reset(&st->json);
	buf_addc(&st->json, '{');
	for (size_t k = 0; k < r->ngroup; k++) {
		jsonw_key(&st->json, expr_key_name(r->group[k]));
		value_json(&keys[k], &st->json);
	}
	buf_addc(&st->json, '}');
	return st->json.data;
}

/* Judges every group of one aggregate. */
static void finish_aggregate(struct rules_state *st, size_t a, struct diag_file *out)
{
	const struct written_rule *r = &st->rs->aggregates[a];
	struct group_table *g = &st->groups[a];
	enum lang lang = out->opt->lang;
	char county[64];
	for (size_t i = 0; i < g->ngroups; i++) {
		const struct value *keys = &g->keys[i * r->ngroup];
		struct eval_ctx ctx = {.rs = st->rs, .keys = keys, .accs = &g->accs[i * r->nslots]};
		struct value v = expr_eval(r->assert, &ctx);
		if (v.type != V_BOOL || v.num)
			continue;
		struct diag d = DIAG_INIT;
		d.severity = r->severity;
		d.code = r->code;
		d.rule = r->id;
		d.expected = expr_source(r->assert);
		d.plan = r->plan ? r->plan : st->rs->plan;
		d.county = group_county(st->rs, r, keys, county, sizeof county);
		char *gj = xstrdup(group_json(st, r, keys));
		d.group = gj;
		if (r->message[lang].nparts) {
			struct group_names gn = {r, keys};
			d.message = render(st, &r->message[lang], &ctx, group_name, &gn);
		} else {
			buf_reset(&st->msg);
			buf_addf(&st->msg, lang == LANG_ZH ? "分组 %s 不满足 %s" : "group %s fails %s", gj,
				 expr_source(r->assert));
			d.message = st->msg.data;
		}
		diag_emit(out, &d);
		free(gj);
	}
}

struct coverage_names {
	const struct coverage_rule *c;
	size_t key;
	const struct value *per;
};

/* {value}, {label} and {per} in a coverage message. */
static void coverage_name(void *arg, const char *name, struct buf *out)
{
	const struct coverage_names *cn = arg;
	if (!strcmp(name, "value"))
		buf_adds(out, cn->c->expected[cn->key]);
	else if (!strcmp(name, "label") && cn->c->expected_label[cn->key])
		buf_adds(out, cn->c->expected_label[cn->key]);
	else if (!strcmp(name, "per") && cn->per)
		value_format(cn->per, out);
}

/* Reports one expected key missing (for one per value, when given). */
static void coverage_finding(struct rules_state *st, const struct coverage_rule *c, size_t k,
			     const struct value *per, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	enum lang lang = out->opt->lang;
	const char *colname = rs->cols[c->col].name;
	const char *shown = rs->cols[c->col].label ? rs->cols[c->col].label : colname;
	const char *label = c->expected_label[k];
	struct diag d = DIAG_INIT;
	d.severity = c->severity;
	d.code = "coverage";
	d.rule = c->id;
	d.column = colname;
	d.plan = c->plan ? c->plan : rs->plan;
	d.county = rs->county_mode != COUNTY_NONE && c->col == rs->county_col &&
		   rs->county_mode == COUNTY_BY_CODE ? c->expected[k] : NULL;
	buf_reset(&st->json);
	buf_addc(&st->json, '{');
	if (per) {
		jsonw_key(&st->json, expr_key_name(c->per));
		value_json(per, &st->json);
	}
	jsonw_key(&st->json, colname);
	jsonw_string(&st->json, c->expected[k], strlen(c->expected[k]));
	buf_addc(&st->json, '}');
	d.group = st->json.data;
	if (c->message[lang].nparts) {
		struct coverage_names cn = {c, k, per};
		d.message = render(st, &c->message[lang], NULL, coverage_name, &cn);
	} else {
		buf_reset(&st->text);
		if (per)
			value_format(per, &st->text);
		buf_reset(&st->msg);
		if (lang == LANG_ZH && label)
			buf_addf(&st->msg, "缺少「%s」为 %s（%s）的记录", shown, c->expected[k], label);
		else if (lang == LANG_ZH)
			buf_addf(&st->msg, "缺少「%s」为 %s 的记录", shown, c->expected[k]);
		if (lang == LANG_ZH && per)
			buf_addf(&st->msg, "（%s = %s", expr_key_name(c->per), st->text.data);
		if (lang == LANG_EN)
			buf_addf(&st->msg, "no record with '%s' = %s%s%s%s%s%s%s%s", shown, c->expected[k],
				 label ? " (" : "", label ? label : "", label ? ")" : "",
				 per ? " for " : "", per ? expr_key_name(c->per) : "", per ? " = " : "",
				 per ? st->text.data : "");
		if (lang == LANG_ZH && per)
			buf_adds(&st->msg, "）");
		d.message = st->msg.data;
	}
	diag_emit(out, &d);
}

/* Judges one coverage rule: every expected key, for every per value. */
static void finish_coverage(struct rules_state *st, size_t i, struct diag_file *out)
{
	const struct coverage_rule *c = &st->rs->coverage[i];
	struct coverage_seen *s = &st->seen[i];
	const struct value *pers = c->per_values ? c->per_values : s->per_seen;
	size_t nper = c->per ? (c->per_values ? c->nper_values : s->nper) : 1;
	struct buf key = {0};
	for (size_t p = 0; p < nper; p++) {
		for (size_t k = 0; k < c->nexpected; k++) {
			buf_reset(&key);
			if (c->per)
				key_add(&key, &pers[p]);
			struct value kv = {.type = V_STR, .str = c->expected[k], .len = strlen(c->expected[k])};
			key_add(&key, &kv);
			if (!strmap_get(&s->pairs, key.data, key.len, NULL))
				coverage_finding(st, c, k, c->per ? &pers[p] : NULL, out);
		}
	}
	buf_free(&key);
}

void rules_finish(struct rules_state *st, struct diag_file *out)
{
	for (size_t a = 0; a < st->rs->naggregates; a++)
		finish_aggregate(st, a, out);
	for (size_t i = 0; i < st->rs->ncoverage; i++)
		finish_coverage(st, i, out);
}
