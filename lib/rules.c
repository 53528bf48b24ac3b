/*
 * rules.c — loading the written rules of a rule set: lets, views, row rules,
 * aggregates and coverage, each expression compiled once and checked where it
 * stands.  rulerun.c runs them on a file, with the modules that share
 * rulestate.h.
 */
#include "rules.h"
#include "jsonw.h"
#include "ruleset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A literal part of a message: its text, and that text escaped once for the JSON of every finding. */
static void literal_part(struct template_part *part, const struct buf *lit)
{
	struct buf json = {0};
	jsonw_escape(&json, lit->data, lit->len);
	*part = (struct template_part){.text = xstrndup(lit->data, lit->len), .len = lit->len,
				       .json = xstrndup(json.data, json.len), .json_len = json.len, .twin = -1};
	buf_free(&json);
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
			literal_part(&out->parts[out->nparts++], &lit);
			buf_reset(&lit);
		}
		struct template_part *part = &out->parts[out->nparts++];
		*part = (struct template_part){.twin = -1};
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
			if (!names(L->rs, r, part->text) && rules_let_index(L->rs, part->text) >= 0) {
				char err[256]; /* {let}: its value, as {=let} */
				int pos;
				part->is_name = false;
				part->expr = expr_compile(part->text, scope, err, sizeof err, &pos);
				if (!part->expr)
					lerr(L, jpath, false, "rule '%s': in the message's {%s}: %s (at character %d)",
					     r->id, part->text, err, pos);
				free(part->text);
				part->text = NULL;
			} else if (!names(L->rs, r, part->text)) {
				lerr(L, jpath, false, "rule '%s': the message's {%s} names nothing here", r->id, part->text);
			}
		}
		s = end + 1;
	}
	if (lit.len) {
		out->parts = xrealloc(out->parts, (out->nparts + 1) * sizeof *out->parts);
		literal_part(&out->parts[out->nparts++], &lit);
	}
	buf_free(&lit);
}

/* Points each placeholder of en at the first of zh that renders the same: the same name, or the same expression. */
static void find_twins(const struct template *zh, struct template *en)
{
	for (size_t i = 0; i < en->nparts; i++) {
		struct template_part *e = &en->parts[i];
		for (size_t j = 0; j < zh->nparts && e->twin < 0; j++) {
			const struct template_part *z = &zh->parts[j];
			if (e->is_name ? z->is_name && strcmp(z->text, e->text) == 0
				       : e->expr && z->expr && strcmp(expr_source(z->expr), expr_source(e->expr)) == 0)
				e->twin = (int)j;
		}
	}
}

/* Reads a message ({"zh", "en"} or one string) into both templates. */
void rules_load_message(struct loader *L, json_t *obj, const char *key, const char *jpath,
			struct expr_scope *scope, struct written_rule *r, name_check names,
			struct template msg[2])
{
	char p[PATHMAX];
	char *zh, *en;
	get_text(L, obj, key, jpath, &zh, &en);
	sub(p, sizeof p, jpath, key, 0);
	if (zh)
		parse_template(L, zh, p, scope, r, names, &msg[LANG_ZH]);
	if (en && zh && strcmp(zh, en) == 0)
		msg[LANG_EN] = msg[LANG_ZH]; /* one string for both: shared, freed once */
	else if (en)
		parse_template(L, en, p, scope, r, names, &msg[LANG_EN]);
	if (zh && en && msg[LANG_EN].parts != msg[LANG_ZH].parts)
		find_twins(&msg[LANG_ZH], &msg[LANG_EN]);
	free(zh);
	free(en);
}

/* Reads "message" into both templates. */
static void load_message(struct loader *L, json_t *obj, const char *jpath, struct expr_scope *scope,
			 struct written_rule *r, name_check names, struct template msg[2])
{
	rules_load_message(L, obj, "message", jpath, scope, r, names, msg);
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
	bool integrity = strcmp(r->code, "integrity") == 0;
	r->severity = integrity ? SEV_WARNING : default_severity;
	const char *sev = get_string(L, obj, "severity", jpath, false);
	if (sev && !severity_from_name(sev, &r->severity, false))
		lerr(L, sub(p, sizeof p, jpath, "severity", 0), false, "severity must be error, warning or info");
	else if (integrity && r->severity == SEV_ERROR)
		lerr(L, sub(p, sizeof p, jpath, "severity", 0), false,
		     "an integrity finding asks the county to verify: its severity is warning or info, never error");
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

/* Reads "requires" (columns) and "requires_severity" (default info) of a row rule. */
static void load_requires(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r)
{
	char p[PATHMAX], q[PATHMAX];
	char **names;
	size_t n = get_strings(L, obj, "requires", jpath, &names);
	r->requires = xcalloc(n + 1, sizeof *r->requires);
	sub(p, sizeof p, jpath, "requires", 0);
	for (size_t i = 0; i < n; i++) {
		int c = ruleset_column(L->rs, names[i]);
		if (c < 0)
			lerr(L, sub(q, sizeof q, p, NULL, (long)i), false, "unknown column '%s'", names[i]);
		else
			r->requires[r->nrequires++] = (size_t)c;
		free(names[i]);
	}
	free(names);
	r->requires_severity = SEV_INFO;
	const char *sev = get_string(L, obj, "requires_severity", jpath, false);
	if (sev && !severity_from_name(sev, &r->requires_severity, false))
		lerr(L, sub(p, sizeof p, jpath, "requires_severity", 0), false,
		     "requires_severity must be error, warning or info");
}

/* Compiles "group", a list of expressions over the rows read; returns how many compiled. */
static size_t load_group(struct loader *L, json_t *obj, const char *jpath, const char *id,
			 struct expr_scope *row_scope, struct expr ***out)
{
	char p[PATHMAX], q[PATHMAX], err[256];
	char **groups;
	size_t n = get_strings(L, obj, "group", jpath, &groups), ngroup = 0;
	*out = xcalloc(n + 1, sizeof **out);
	sub(p, sizeof p, jpath, "group", 0);
	for (size_t i = 0; i < n; i++) {
		int pos;
		struct expr *g = expr_compile(groups[i], row_scope, err, sizeof err, &pos);
		if (!g)
			expr_error(L, sub(q, sizeof q, p, NULL, (long)i), id, err, pos);
		else
			(*out)[ngroup++] = g;
		free(groups[i]);
	}
	free(groups);
	return ngroup;
}

/*
 * Reads "order" (and, for a row rule, "group"): the rows of each group are then
 * judged in that order once the file is read, and the rule's expressions may
 * look back with prev() and lag().  The group and the order see only the row.
 */
static void load_order(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r,
		       struct expr_scope *row_scope, bool row_rule)
{
	char p[PATHMAX];
	r->order = load_expr(L, obj, "order", jpath, row_scope, r->id, false, V_ANY);
	if (row_rule && json_object_get(obj, "group")) {
		if (!json_object_get(obj, "order"))
			lerr(L, sub(p, sizeof p, jpath, "group", 0), true, "a row rule's 'group' needs an 'order'");
		r->ngroup = load_group(L, obj, jpath, r->id, row_scope, &r->group);
	}
	if (r->order && expr_type(r->order) == V_BOOL)
		lerr(L, sub(p, sizeof p, jpath, "order", 0), false, "rule '%s': the order must be a number, a date or a text",
		     r->id);
}

static void load_row_rule(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r)
{
	static const char *const keys[] = {"id", "group", "order", "when", "requires", "requires_severity",
					   "assert", "severity", "code", "message", "plan", "columns",
					   "description", NULL};
	r->from = -1;
	if (!load_common(L, obj, jpath, r, "rule", SEV_ERROR))
		return;
	check_keys(L, obj, jpath, keys);
	struct expr_scope scope = {.rs = L->rs};
	load_order(L, obj, jpath, r, &scope, true);
	/* judged in order, a row also sees its whole group: aggregates over it, robust_z(), … */
	scope.ordered = scope.aggregate = scope.per_row = r->order != NULL;
	scope.merges_slots = true;
	r->when = load_expr(L, obj, "when", jpath, &scope, r->id, false, V_BOOL);
	load_requires(L, obj, jpath, r);
	r->assert = load_expr(L, obj, "assert", jpath, &scope, r->id, true, V_BOOL);
	load_rule_columns(L, obj, jpath, r);
	load_message(L, obj, jpath, &scope, r, is_column, r->message);
	r->max_lag = scope.max_lag;
	r->slots = scope.slots;
	r->nslots = scope.nslots;
	r->nfixed = scope.nfixed;
}

/*
 * Reads "from": the view whose rows an aggregate or a view reads (it must
 * come before); returns its index, or -1 for the file's rows, and points
 * columns at that view's columns.
 */
static int load_from(struct loader *L, json_t *obj, const char *jpath, const struct expr_columns **columns)
{
	char p[PATHMAX];
	const char *from = get_string(L, obj, "from", jpath, false);
	*columns = NULL;
	if (!from)
		return -1;
	for (size_t v = 0; v < L->rs->nviews; v++)
		if (strcmp(L->rs->views[v].name, from) == 0) {
			*columns = &L->rs->views[v].out;
			return (int)v;
		}
	lerr(L, sub(p, sizeof p, jpath, "from", 0), false, "no view '%s' before this point in 'views'", from);
	return -1;
}

static void load_aggregate(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r)
{
	static const char *const keys[] = {"id", "from", "group", "order", "when", "assert", "severity", "code",
					   "message", "plan", "description", NULL};
	r->from = -1;
	if (!load_common(L, obj, jpath, r, "aggregate", SEV_ERROR))
		return;
	check_keys(L, obj, jpath, keys);
	struct expr_scope row_scope = {.rs = L->rs};
	r->from = load_from(L, obj, jpath, &row_scope.columns);
	r->ngroup = load_group(L, obj, jpath, r->id, &row_scope, &r->group);
	load_order(L, obj, jpath, r, &row_scope, false);
	row_scope.ordered = r->order != NULL;
	r->when = load_expr(L, obj, "when", jpath, &row_scope, r->id, false, V_BOOL);
	struct expr_scope scope = {.rs = L->rs, .columns = row_scope.columns, .aggregate = true,
				   .group = r->group, .ngroup = r->ngroup, .ordered = row_scope.ordered,
				   .max_lag = row_scope.max_lag, .merges_slots = true};
	r->assert = load_expr(L, obj, "assert", jpath, &scope, r->id, true, V_BOOL);
	load_message(L, obj, jpath, &scope, r, is_group_key, r->message);
	r->slots = scope.slots;
	r->nslots = scope.nslots;
	r->max_lag = scope.max_lag;
}

/*
 * Reads what only an export has: "dates", the day each row stands for (so
 * that a day sent in two files shows), and "cell", the column whose cell on
 * a group's first row its facts point at (the file's rows only).
 */
static void load_export_extras(struct loader *L, json_t *obj, const char *jpath, struct view *v,
			       struct expr_scope *row_scope)
{
	char p[PATHMAX];
	v->dates = load_expr(L, obj, "dates", jpath, row_scope, v->name, false, V_DATE);
	const char *cell = get_string(L, obj, "cell", jpath, false);
	if (!cell)
		return;
	sub(p, sizeof p, jpath, "cell", 0);
	if (v->from >= 0)
		lerr(L, p, false, "export '%s': 'cell' names a column of the file's rows, and a view's rows have no cells",
		     v->name);
	else if ((v->cell = ruleset_column(L->rs, cell)) < 0)
		lerr(L, p, false, "unknown column '%s'", cell);
}

/*
 * Reads one view, or an export: its group, its values (aggregates over the
 * group) and the columns its rows have.
 */
static void load_view(struct loader *L, json_t *obj, const char *jpath, struct view *v, bool export)
{
	static const char *const view_keys[] = {"from", "group", "when", "values", "description", NULL};
	static const char *const export_keys[] = {"id", "from", "group", "when", "dates", "cell", "values",
						  "description", NULL};
	char p[PATHMAX], q[PATHMAX], err[256];
	v->from = -1;
	v->cell = -1;
	if (!json_is_object(obj)) {
		lerr(L, jpath, false, "a view must be an object with 'group' and 'values'");
		return;
	}
	check_keys(L, obj, jpath, export ? export_keys : view_keys);
	struct expr_scope row_scope = {.rs = L->rs};
	v->from = load_from(L, obj, jpath, &row_scope.columns);
	v->ngroup = load_group(L, obj, jpath, v->name, &row_scope, &v->group);
	v->when = load_expr(L, obj, "when", jpath, &row_scope, v->name, false, V_BOOL);
	json_t *values = json_object_get(obj, "values");
	sub(p, sizeof p, jpath, "values", 0);
	if (!json_is_object(values) || !json_object_size(values)) {
		lerr(L, p, false, "'values' must be an object of name: aggregate expression");
		return;
	}
	struct expr_scope scope = {.rs = L->rs, .columns = row_scope.columns, .aggregate = true,
				   .group = v->group, .ngroup = v->ngroup};
	size_t n = json_object_size(values);
	v->value_names = xcalloc(n + 1, sizeof *v->value_names);
	v->values = xcalloc(n + 1, sizeof *v->values);
	v->out_names = xcalloc(v->ngroup + n + 1, sizeof *v->out_names);
	v->out_types = xcalloc(v->ngroup + n + 1, sizeof *v->out_types);
	for (size_t g = 0; g < v->ngroup; g++) {
		v->out_names[g] = expr_key_name(v->group[g]);
		v->out_types[g] = expr_type(v->group[g]);
	}
	const char *name;
	json_t *e;
	json_object_foreach(values, name, e) {
		sub(q, sizeof q, p, name, 0);
		bool clash = false;
		for (size_t k = 0; k < v->ngroup + v->nvalues; k++)
			clash = clash || strcmp(v->out_names[k], name) == 0;
		if (!is_identifier(name, false) || (name[0] >= '0' && name[0] <= '9') || clash) {
			lerr(L, q, true, "'%s' must be a name (letters, digits, '_') no other column of the view has", name);
			continue;
		}
		if (!json_is_string(e)) {
			lerr(L, q, false, "a value must be an aggregate expression (a string)");
			continue;
		}
		int pos;
		struct expr *x = expr_compile(json_string_value(e), &scope, err, sizeof err, &pos);
		if (!x) {
			lerr(L, q, false, "%s '%s': %s (at character %d)", export ? "export" : "view", v->name, err, pos);
			continue;
		}
		if (export && expr_aggregate_slot(x) < 0) {
			lerr(L, q, false, "export '%s': a value is one aggregate function, such as mean(pm25), "
			     "with nothing around it (what follows belongs in the reconciliation rule)", v->name);
			expr_free(x);
			continue;
		}
		v->value_names[v->nvalues] = xstrdup(name);
		v->values[v->nvalues] = x;
		v->out_names[v->ngroup + v->nvalues] = v->value_names[v->nvalues];
		v->out_types[v->ngroup + v->nvalues] = expr_type(x);
		v->nvalues++;
	}
	v->slots = scope.slots;
	v->nslots = scope.nslots;
	v->out = (struct expr_columns){v->out_names, v->out_types, v->ngroup + v->nvalues};
	if (export)
		load_export_extras(L, obj, jpath, v, &row_scope);
}

/* Reads "views", in order: a view may read from one before it. */
static void load_views(struct loader *L, json_t *root)
{
	char p[PATHMAX];
	json_t *views = json_object_get(root, "views");
	if (!views)
		return;
	if (!json_is_object(views)) {
		lerr(L, "views", false, "'views' must be an object of name: view");
		return;
	}
	struct ruleset *rs = L->rs;
	rs->views = xcalloc(json_object_size(views) + 1, sizeof *rs->views);
	const char *name;
	json_t *v;
	json_object_foreach(views, name, v) {
		sub(p, sizeof p, "views", name, 0);
		if (!is_identifier(name, true)) {
			lerr(L, p, true, "view name '%s' must be letters, digits, '-' and '_'", name);
			continue;
		}
		struct view *view = &rs->views[rs->nviews++];
		view->name = xstrdup(name);
		load_view(L, v, p, view, false);
	}
}

bool agg_combinable(enum agg_kind kind)
{
	return kind == AGG_COUNT || kind == AGG_COUNT_IF || kind == AGG_SUM || kind == AGG_MEAN ||
	       kind == AGG_MIN || kind == AGG_MAX || kind == AGG_RATIO;
}

/* Reads "exports", after the views they may read from; ids must be unique. */
static void load_exports(struct loader *L, json_t *root)
{
	char p[PATHMAX], q[PATHMAX];
	json_t *exports = json_object_get(root, "exports");
	if (!exports)
		return;
	if (!json_is_array(exports)) {
		lerr(L, "exports", false, "'exports' must be an array of exports");
		return;
	}
	struct ruleset *rs = L->rs;
	rs->exports = xcalloc(json_array_size(exports) + 1, sizeof *rs->exports);
	for (size_t i = 0; i < json_array_size(exports); i++) {
		json_t *obj = json_array_get(exports, i);
		sub(p, sizeof p, "exports", NULL, (long)i);
		const char *id = json_is_object(obj) ? get_string(L, obj, "id", p, true) : NULL;
		if (id && !is_identifier(id, true)) {
			lerr(L, sub(q, sizeof q, p, "id", 0), false, "export id '%s' must be letters, digits, '-' and '_'", id);
			continue;
		}
		for (size_t k = 0; id && k < rs->nexports; k++)
			if (strcmp(rs->exports[k].name, id) == 0)
				lerr(L, sub(q, sizeof q, p, "id", 0), false, "export id '%s' is used twice", id);
		struct view *e = &rs->exports[rs->nexports++];
		e->name = xstrdup(id ? id : "?");
		load_view(L, obj, p, e, true);
	}
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

int rules_let_index(const struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->nlets; i++)
		if (strcmp(rs->lets[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Reads "let": named sub-expressions, compiled where they are used, as part
 * of that expression, with that place's rules (check_lets looks at each once).
 */
static void load_lets(struct loader *L, json_t *root)
{
	struct ruleset *rs = L->rs;
	json_t *lets = json_object_get(root, "let");
	if (!lets)
		return;
	if (!json_is_object(lets)) {
		lerr(L, "let", false, "'let' must be an object of name: expression");
		return;
	}
	rs->lets = xcalloc(json_object_size(lets) + 1, sizeof *rs->lets);
	const char *name;
	json_t *v;
	char p[PATHMAX];
	json_object_foreach(lets, name, v) {
		sub(p, sizeof p, "let", name, 0);
		if (!is_identifier(name, false) || (name[0] >= '0' && name[0] <= '9'))
			lerr(L, p, true, "let name '%s' must be letters, digits and '_', not starting with a digit", name);
		else if (ruleset_column(rs, name) >= 0)
			lerr(L, p, true, "let name '%s' is also a column", name);
		else if (!json_is_string(v))
			lerr(L, p, false, "a let must be an expression (a string)");
		else
			rs->lets[rs->nlets++] = (struct let){xstrdup(name), xstrdup(json_string_value(v))};
	}
}

/*
 * Checks every let once, so that a mistake shows even in a let no rule uses:
 * compiled where aggregate functions, columns and looking back in order are
 * all allowed, over the rule set's columns or, failing that, some view's.
 */
static void check_lets(struct loader *L)
{
	const struct ruleset *rs = L->rs;
	char p[PATHMAX], err[256], first[256];
	for (size_t i = 0; i < rs->nlets; i++) {
		int pos, first_pos = 0;
		struct expr *e = NULL;
		for (size_t v = 0; v <= rs->nviews && !e; v++) {
			struct expr_scope scope = {.rs = rs, .aggregate = true, .ordered = true,
						   .columns = v ? &rs->views[v - 1].out : NULL};
			e = expr_compile(rs->lets[i].src, &scope, err, sizeof err, &pos);
			free(scope.slots);
			if (!v && !e)
				snprintf(first, sizeof first, "%s", err), first_pos = pos;
		}
		if (!e)
			lerr(L, sub(p, sizeof p, "let", rs->lets[i].name, 0), false, "%s (at character %d)", first, first_pos);
		expr_free(e);
	}
}

/* Adds an expression's columns to the set kept with each row. */
static void keep_columns(bool *keep, const struct expr *e)
{
	const size_t *cols;
	size_t n = e ? expr_columns(e, &cols) : 0;
	for (size_t k = 0; k < n; k++)
		keep[cols[k]] = true;
}

/*
 * The columns the rules judged in order on the file's rows read, in when,
 * assert, messages, requires or the cells they point at: each row keeps
 * those until the file is read.
 */
static void find_kept_columns(struct ruleset *rs)
{
	bool *keep = xcalloc(rs->ncols + 1, sizeof *keep);
	for (size_t l = 0; l < 2; l++) {
		const struct written_rule *rules = l ? rs->aggregates : rs->row_rules;
		size_t n = l ? rs->naggregates : rs->nrow_rules;
		for (size_t i = 0; i < n; i++) {
			const struct written_rule *r = &rules[i];
			if (!r->order || r->from >= 0)
				continue;
			keep_columns(keep, r->when);
			keep_columns(keep, r->assert);
			for (size_t k = 0; k < r->nrequires; k++)
				keep[r->requires[k]] = true;
			for (size_t k = 0; k < r->ncols; k++)
				keep[r->cols[k]] = true;
			for (int lang = 0; lang < 2; lang++)
				for (size_t p = 0; p < r->message[lang].nparts; p++) {
					const struct template_part *part = &r->message[lang].parts[p];
					keep_columns(keep, part->expr);
					int c = part->is_name ? ruleset_column(rs, part->text) : -1;
					if (c >= 0)
						keep[c] = true;
				}
		}
	}
	rs->kept_cols = xcalloc(rs->ncols + 1, sizeof *rs->kept_cols);
	for (size_t c = 0; c < rs->ncols; c++)
		if (keep[c])
			rs->kept_cols[rs->nkept++] = c;
	free(keep);
}

void rules_load(struct loader *L, json_t *root)
{
	struct ruleset *rs = L->rs;
	void *p;
	load_lets(L, root);
	bool broken_let = L->errors;
	load_views(L, root);
	check_lets(L);
	if (broken_let)
		return; /* every rule may use a let: a broken one would only repeat itself */
	rs->nrow_rules = load_array(L, root, "rules", sizeof *rs->row_rules, &p, load_row_rule_v);
	rs->row_rules = p;
	rs->naggregates = load_array(L, root, "aggregates", sizeof *rs->aggregates, &p, load_aggregate_v);
	rs->aggregates = p;
	rs->ncoverage = load_array(L, root, "coverage", sizeof *rs->coverage, &p, load_coverage_v);
	rs->coverage = p;
	load_exports(L, root);
	check_unique_ids(L, rs);
	find_kept_columns(rs);
}

static void free_template(struct template *t)
{
	for (size_t i = 0; i < t->nparts; i++) {
		free(t->parts[i].text);
		free(t->parts[i].json);
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
	free(r->requires);
	expr_free(r->order);
	for (size_t g = 0; g < r->ngroup; g++)
		expr_free(r->group[g]);
	free(r->group);
	free(r->slots);
}

static void free_view(struct view *v)
{
	free(v->name);
	expr_free(v->dates);
	for (size_t g = 0; g < v->ngroup; g++)
		expr_free(v->group[g]);
	free(v->group);
	expr_free(v->when);
	for (size_t k = 0; k < v->nvalues; k++)
		free(v->value_names[k]), expr_free(v->values[k]);
	free(v->value_names), free(v->values), free(v->slots);
	free(v->out_names), free(v->out_types);
}

void rules_free(struct ruleset *rs)
{
	free(rs->kept_cols);
	for (size_t i = 0; i < rs->nviews; i++)
		free_view(&rs->views[i]);
	free(rs->views);
	for (size_t i = 0; i < rs->nexports; i++)
		free_view(&rs->exports[i]);
	free(rs->exports);
	for (size_t i = 0; i < rs->nlets; i++)
		free(rs->lets[i].name), free(rs->lets[i].src);
	free(rs->lets);
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

/* ---- shared with qy-reconcile's rules ---- */

bool rules_load_common(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r,
		       const char *default_code, enum severity default_severity)
{
	return load_common(L, obj, jpath, r, default_code, default_severity);
}

struct expr *rules_load_expr(struct loader *L, json_t *obj, const char *key, const char *jpath,
			     struct expr_scope *scope, const char *id, bool required, enum vtype want)
{
	return load_expr(L, obj, key, jpath, scope, id, required, want);
}

void rules_load_expected(struct loader *L, json_t *obj, const char *jpath, struct coverage_rule *c)
{
	load_expected(L, obj, jpath, c);
}

void rules_free_written(struct written_rule *r)
{
	free_written(r);
}

void rules_free_messages(struct template msg[2])
{
	free_messages(msg);
}
