/*
 * reconcile.c — loading reconciliation rule sets and judging the facts of a
 * stream with them: each input's records filtered (where), narrowed to the
 * latest (latest) and combined by the join keys; every key of the inputs
 * that have all the join keys judged (or reported without its partner);
 * every county, period and table of a coverage rule looked for.
 */
#include "reconcile.h"
#include "msgcat.h"
#include "celltype.h"
#include "jsonload.h"
#include "jsonw.h"
#include "reftable.h"
#include "ruleset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void reconciler_init(struct reconciler *r, const char *rules_dir)
{
	memset(r, 0, sizeof *r);
	r->rules_dir = rules_dir;
	facts_store_init(&r->facts);
}

static void free_rule(struct recon_rule *rule)
{
	rules_free_written(&rule->base);
	rules_free_messages(rule->missing_message);
	for (size_t i = 0; i < rule->ninputs; i++) {
		struct recon_input *in = &rule->inputs[i];
		free(in->alias), free(in->join), free(in->join_at);
		expr_free(in->where);
	}
	free(rule->inputs);
	for (size_t k = 0; k < rule->njoin; k++)
		free(rule->join[k]);
	free(rule->join);
	for (size_t k = 0; k < rule->columns.n; k++)
		if (k >= rule->njoin) /* the join keys' names are the join's own */
			free(rule->col_names[k]);
	free(rule->col_names), free(rule->col_types);
}

static void free_coverage(struct recon_coverage *c)
{
	struct coverage_rule *b = &c->base;
	free(b->id), free(b->plan), free(b->description[0]), free(b->description[1]);
	for (size_t k = 0; k < b->nexpected; k++)
		free(b->expected[k]), free(b->expected_label[k]);
	free(b->expected), free(b->expected_label);
	rules_free_messages(b->message);
	free(c->tables), free(c->keys);
}

static void free_set(struct recon_set *set)
{
	for (size_t i = 0; i < set->nrules; i++)
		free_rule(&set->rules[i]);
	for (size_t i = 0; i < set->ncoverage; i++)
		free_coverage(&set->coverage[i]);
	free(set->rules), free(set->coverage);
	free(set->path);
	ruleset_free(set->holder);
}

void reconciler_free(struct reconciler *r)
{
	for (size_t i = 0; i < r->nsets; i++)
		free_set(&r->sets[i]);
	free(r->sets);
	for (size_t i = 0; i < r->ntables; i++)
		ruleset_free(r->tables[i]);
	free(r->tables);
	facts_store_free(&r->facts);
}

/* ---- loading ---- */

/* The table rule set of an id from the rules directory, loaded once; NULL (reported) when it cannot be. */
static const struct ruleset *table_ruleset(struct reconciler *r, struct loader *L, const char *jpath,
					   const char *id, size_t idlen)
{
	for (size_t i = 0; i < r->ntables; i++)
		if (strlen(r->tables[i]->id) == idlen && memcmp(r->tables[i]->id, id, idlen) == 0)
			return r->tables[i];
	struct buf path = {0};
	buf_addf(&path, "%s/%.*s.json", r->rules_dir, (int)idlen, id);
	struct ruleset *rs = NULL;
	if (access(path.data, R_OK) != 0)
		lerr(L, jpath, false, "no rule set '%.*s' in %s", (int)idlen, id, r->rules_dir);
	else if (!(rs = ruleset_load(path.data)))
		lerr(L, jpath, false, "rule set '%.*s' (%s) does not load", (int)idlen, id, path.data);
	buf_free(&path);
	if (!rs)
		return NULL;
	r->tables = xrealloc(r->tables, (r->ntables + 1) * sizeof *r->tables);
	r->tables[r->ntables++] = rs;
	return rs;
}

/* Finds "RULESET/EXPORT": the export of a table rule set; NULL (reported) when there is none. */
static const struct view *find_export(struct reconciler *r, struct loader *L, const char *jpath, const char *name,
				      const struct ruleset **rs)
{
	const char *slash = strchr(name, '/');
	if (!slash || slash == name || !slash[1]) {
		lerr(L, jpath, false, "'%s' must name RULESET/EXPORT, e.g. air-daily/county-year", name);
		return NULL;
	}
	if (!(*rs = table_ruleset(r, L, jpath, name, (size_t)(slash - name))))
		return NULL;
	for (size_t e = 0; e < (*rs)->nexports; e++)
		if (strcmp((*rs)->exports[e].name, slash + 1) == 0)
			return &(*rs)->exports[e];
	lerr(L, jpath, false, "rule set '%s' has no export '%s'", (*rs)->id, slash + 1);
	return NULL;
}

/* The place of a key among an export's keys, or -1. */
static int export_key(const struct view *x, const char *name)
{
	for (size_t k = 0; k < x->ngroup; k++)
		if (strcmp(x->out_names[k], name) == 0)
			return (int)k;
	return -1;
}

/* An export's keys in words, for a message: "county_code, project_id". */
static const char *key_list(const struct view *x, struct buf *out)
{
	buf_reset(out);
	for (size_t k = 0; k < x->ngroup; k++)
		buf_addf(out, "%s%s", k ? ", " : "", x->out_names[k]);
	return out->data ? out->data : "none";
}

/* Reads a severity, or "none" (SEV_NEVER) for a missing side that is not a finding. */
static bool read_missing(struct loader *L, json_t *obj, const char *jpath, enum severity *out)
{
	char p[PATHMAX];
	const char *s = get_string(L, obj, "missing", jpath, false);
	if (!s)
		return false;
	if (strcmp(s, "none") == 0)
		*out = SEV_NEVER;
	else if (!severity_from_name(s, out, false))
		lerr(L, sub(p, sizeof p, jpath, "missing", 0), false, "'missing' must be error, warning, info or none");
	return true;
}

/* Reads an input's own "join": the rule's join keys it is matched on, when fewer than all. */
static void load_input_join(struct loader *L, json_t *obj, const char *jpath, const struct recon_rule *rule,
			    const struct view *x, struct recon_input *in)
{
	char p[PATHMAX], q[PATHMAX];
	char **names = NULL;
	struct buf keys = {0};
	size_t n = obj && json_object_get(obj, "join") ? get_strings(L, obj, "join", jpath, &names) : 0;
	bool own = names != NULL;
	size_t count = own ? n : rule->njoin;
	in->join = xcalloc(count + 1, sizeof *in->join);
	in->join_at = xcalloc(count + 1, sizeof *in->join_at);
	sub(p, sizeof p, jpath, own ? "join" : NULL, own ? 0 : -1);
	for (size_t k = 0; k < count; k++) {
		const char *name = own ? names[k] : rule->join[k];
		int at = -1, key = export_key(x, name);
		for (size_t j = 0; j < rule->njoin && at < 0; j++)
			if (strcmp(rule->join[j], name) == 0)
				at = (int)j;
		if (own)
			sub(q, sizeof q, p, NULL, (long)k);
		if (at < 0)
			lerr(L, own ? q : jpath, false, "'%s' is not one of the rule's join keys", name);
		else if (key < 0)
			lerr(L, own ? q : jpath, false, "input '%s' has no key '%s' (its keys: %s)", in->alias, name,
			     key_list(x, &keys));
		else
			in->join[in->njoin] = (size_t)key, in->join_at[in->njoin++] = (size_t)at;
	}
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
	buf_free(&keys);
}

/* Reads one input: "RULESET/EXPORT", or {"facts", "where", "latest", "join", "missing"}. */
static void load_input(struct reconciler *r, struct loader *L, json_t *spec, const char *jpath,
		       struct recon_rule *rule, struct recon_input *in, enum severity missing)
{
	static const char *const keys[] = {"facts", "where", "latest", "join", "missing", NULL};
	char p[PATHMAX];
	json_t *obj = json_is_object(spec) ? spec : NULL;
	const char *name = json_is_string(spec) ? json_string_value(spec) : NULL;
	in->latest = -1;
	in->missing = missing;
	if (obj) {
		check_keys(L, obj, jpath, keys);
		name = get_string(L, obj, "facts", jpath, true);
	} else if (!name) {
		lerr(L, jpath, false, "an input is \"RULESET/EXPORT\" or an object with \"facts\"");
	}
	const struct ruleset *rs = NULL;
	const struct view *x = name ? find_export(r, L, obj ? sub(p, sizeof p, jpath, "facts", 0) : jpath, name, &rs)
				    : NULL;
	if (!x)
		return;
	in->table = facts_table_add(&r->facts, rs, x, true);
	load_input_join(L, obj, jpath, rule, x, in);
	if (!obj)
		return;
	read_missing(L, obj, jpath, &in->missing);
	struct expr_scope scope = {.rs = L->rs, .columns = &x->out};
	in->where = rules_load_expr(L, obj, "where", jpath, &scope, rule->base.id, false, V_BOOL);
	const char *latest = get_string(L, obj, "latest", jpath, false);
	if (latest) {
		sub(p, sizeof p, jpath, "latest", 0);
		in->latest = export_key(x, latest);
		if (in->latest < 0 || (x->out_types[in->latest] != V_NUM && x->out_types[in->latest] != V_DATE))
			lerr(L, p, false, "'latest' names a key of %s/%s that is a number or a date, not '%s'", rs->id,
			     x->name, latest);
		for (size_t k = 0; k < in->njoin && in->latest >= 0; k++)
			if (in->join[k] == (size_t)in->latest)
				lerr(L, p, false, "'latest' cannot be a join key: '%s'", latest);
	}
}

/* The export an input reads. */
static const struct view *input_export(const struct reconciler *r, const struct recon_input *in)
{
	return r->facts.tables[in->table].export;
}

/*
 * Lays out the columns a rule's expressions read: the join keys by name, then
 * per input ALIAS.VALUE for each value, ALIAS._keys (the whole keys combined)
 * and ALIAS._files (the files they came from).  A join key's type must be the
 * same on every side that has it.
 */
static void lay_out_columns(const struct reconciler *r, struct loader *L, const char *jpath, struct recon_rule *rule)
{
	size_t n = rule->njoin;
	for (size_t i = 0; i < rule->ninputs; i++)
		n += input_export(r, &rule->inputs[i])->nvalues + 2;
	rule->col_names = xcalloc(n + 1, sizeof *rule->col_names);
	rule->col_types = xcalloc(n + 1, sizeof *rule->col_types);
	for (size_t k = 0; k < rule->njoin; k++) {
		rule->col_names[k] = rule->join[k];
		rule->col_types[k] = V_NULL;
	}
	size_t at = rule->njoin;
	for (size_t i = 0; i < rule->ninputs; i++) {
		const struct recon_input *in = &rule->inputs[i];
		const struct view *x = input_export(r, in);
		for (size_t k = 0; k < in->njoin; k++) {
			enum vtype *have = &rule->col_types[in->join_at[k]], t = x->out_types[in->join[k]];
			if (*have != V_NULL && *have != t && *have != V_ANY && t != V_ANY)
				lerr(L, jpath, false, "rule '%s': key '%s' is a %s on one side and a %s on another",
				     rule->base.id, rule->join[in->join_at[k]], vtype_name(*have), vtype_name(t));
			*have = t;
		}
		rule->inputs[i].first_col = at;
		for (size_t k = 0; k < x->nvalues; k++) {
			struct buf name = {0};
			buf_addf(&name, "%s.%s", in->alias, x->value_names[k]);
			rule->col_names[at] = name.data;
			rule->col_types[at++] = x->out_types[x->ngroup + k];
		}
		for (int k = 0; k < 2; k++) {
			struct buf name = {0};
			buf_addf(&name, "%s.%s", in->alias, k ? "_files" : "_keys");
			rule->col_names[at] = name.data;
			rule->col_types[at++] = V_NUM;
		}
	}
	rule->columns = (struct expr_columns){(const char *const *)rule->col_names, rule->col_types, at};
}

static int rule_column(const struct recon_rule *rule, const char *name)
{
	for (size_t k = 0; k < rule->columns.n; k++)
		if (strcmp(rule->col_names[k], name) == 0)
			return (int)k;
	return -1;
}

/* {name} in a rule's message: one of its columns. */
static bool is_rule_name(const struct ruleset *rs, const struct written_rule *r, const char *name)
{
	(void)rs;
	return rule_column((const struct recon_rule *)r, name) >= 0;
}

/*
 * The aggregate of a rule column that is an input's value, or -1 for a key
 * or a count of keys and files; *input is set to the input.
 */
static int column_kind(const struct reconciler *r, const struct recon_rule *rule, size_t col, size_t *input)
{
	for (size_t i = 0; i < rule->ninputs; i++) {
		const struct recon_input *in = &rule->inputs[i];
		const struct facts_table *t = &r->facts.tables[in->table];
		if (col >= in->first_col && col < in->first_col + t->export->nvalues) {
			*input = i;
			return (int)t->kinds[col - in->first_col];
		}
	}
	return -1;
}

/* Refuses a column an expression of the rule reads that cannot be combined across files. */
static void refuse_uncombinable(const struct reconciler *r, struct loader *L, const char *jpath,
				const struct recon_rule *rule, size_t col)
{
	size_t input;
	int kind = column_kind(r, rule, col, &input);
	if (kind >= 0 && !agg_combinable((enum agg_kind)kind))
		lerr(L, jpath, false, "rule '%s' reads %s, which cannot be combined across files (a percentile, "
		     "max_change or longest_run carries no parts): a reconciliation cannot use it", rule->base.id,
		     rule->col_names[col]);
}

static void refuse_in_expr(const struct reconciler *r, struct loader *L, const char *jpath,
			   const struct recon_rule *rule, const struct expr *e)
{
	const size_t *cols;
	size_t n = e ? expr_columns(e, &cols) : 0;
	for (size_t k = 0; k < n; k++)
		refuse_uncombinable(r, L, jpath, rule, cols[k]);
}

/* Every expression and placeholder of a rule (and its inputs' where) must read combinable values only. */
static void check_combinable(const struct reconciler *r, struct loader *L, const char *jpath,
			     const struct recon_rule *rule)
{
	refuse_in_expr(r, L, jpath, rule, rule->base.when);
	refuse_in_expr(r, L, jpath, rule, rule->base.assert);
	const struct template *msgs[] = {&rule->base.message[0], &rule->base.message[1],
					 &rule->missing_message[0], &rule->missing_message[1]};
	for (int m = 0; m < 4; m++)
		for (size_t p = 0; p < msgs[m]->nparts && (m % 2 == 0 || msgs[m]->parts != msgs[m - 1]->parts); p++) {
			const struct template_part *part = &msgs[m]->parts[p];
			refuse_in_expr(r, L, jpath, rule, part->expr);
			int col = part->is_name ? rule_column(rule, part->text) : -1;
			if (col >= 0)
				refuse_uncombinable(r, L, jpath, rule, (size_t)col);
		}
	for (size_t i = 0; i < rule->ninputs; i++) {
		const struct recon_input *in = &rule->inputs[i];
		const struct facts_table *t = &r->facts.tables[in->table];
		const size_t *cols;
		size_t n = in->where ? expr_columns(in->where, &cols) : 0;
		for (size_t k = 0; k < n; k++)
			if (cols[k] >= t->export->ngroup && !agg_combinable(t->kinds[cols[k] - t->export->ngroup]))
				lerr(L, jpath, false, "rule '%s': the where of '%s' reads %s, which cannot be combined "
				     "across files", rule->base.id, in->alias, t->export->out_names[cols[k]]);
	}
}

/* Reads "inputs": at least two sides, each ALIAS: input, one at least with every join key. */
static void load_inputs(struct reconciler *r, struct loader *L, json_t *obj, const char *jpath,
			struct recon_rule *rule, enum severity missing)
{
	char p[PATHMAX], q[PATHMAX];
	json_t *inputs = json_object_get(obj, "inputs");
	sub(p, sizeof p, jpath, "inputs", 0);
	if (!json_is_object(inputs) || json_object_size(inputs) < 2) {
		lerr(L, inputs ? p : jpath, false, "rule '%s' needs 'inputs': two or more ALIAS: \"RULESET/EXPORT\"",
		     rule->base.id);
		return;
	}
	rule->inputs = xcalloc(json_object_size(inputs) + 1, sizeof *rule->inputs);
	const char *alias;
	json_t *spec;
	bool full = false;
	json_object_foreach(inputs, alias, spec) {
		sub(q, sizeof q, p, alias, 0);
		if (!is_identifier(alias, false)) {
			lerr(L, q, true, "input name '%s' must be letters, digits and '_' (it is written %s.VALUE)", alias,
			     alias);
			continue;
		}
		struct recon_input *in = &rule->inputs[rule->ninputs++];
		in->alias = xstrdup(alias);
		load_input(r, L, spec, q, rule, in, missing);
		full = full || in->njoin == rule->njoin;
	}
	if (!L->errors && !full)
		lerr(L, p, false, "rule '%s': one input at least must have every join key", rule->base.id);
}

/* Reads "about": the input a finding points at (default: the first). */
static void load_about(struct loader *L, json_t *obj, const char *jpath, struct recon_rule *rule)
{
	char p[PATHMAX];
	const char *about = get_string(L, obj, "about", jpath, false);
	if (!about)
		return;
	for (size_t i = 0; i < rule->ninputs; i++)
		if (strcmp(rule->inputs[i].alias, about) == 0) {
			rule->about = i;
			return;
		}
	lerr(L, sub(p, sizeof p, jpath, "about", 0), false, "'about' must name one of the inputs, not '%s'", about);
}

static void load_rule(struct reconciler *r, struct loader *L, json_t *obj, const char *jpath,
		      struct recon_rule *rule)
{
	static const char *const keys[] = {"id", "severity", "code", "plan", "description", "inputs", "join",
					   "about", "when", "assert", "missing", "message", "missing_message", NULL};
	rule->base.from = -1;
	if (!rules_load_common(L, obj, jpath, &rule->base, "reconcile", SEV_ERROR))
		return;
	check_keys(L, obj, jpath, keys);
	int before = L->errors;
	if (!json_object_get(obj, "join"))
		lerr(L, jpath, false, "rule '%s' needs 'join': the keys its inputs meet on", rule->base.id);
	rule->njoin = get_strings(L, obj, "join", jpath, &rule->join);
	enum severity missing = SEV_NEVER;
	read_missing(L, obj, jpath, &missing);
	load_inputs(r, L, obj, jpath, rule, missing);
	if (L->errors > before)
		return;
	lay_out_columns(r, L, jpath, rule);
	load_about(L, obj, jpath, rule);
	struct expr_scope scope = {.rs = L->rs, .columns = &rule->columns};
	rule->base.when = rules_load_expr(L, obj, "when", jpath, &scope, rule->base.id, false, V_BOOL);
	rule->base.assert = rules_load_expr(L, obj, "assert", jpath, &scope, rule->base.id, true, V_BOOL);
	rules_load_message(L, obj, "message", jpath, &scope, &rule->base, is_rule_name, rule->base.message);
	rules_load_message(L, obj, "missing_message", jpath, &scope, &rule->base, is_rule_name,
			   rule->missing_message);
	check_combinable(r, L, jpath, rule);
}

/* {name} in a coverage message: the county, its name, the period, the table and its title. */
static bool is_coverage_name(const struct ruleset *rs, const struct written_rule *r, const char *name)
{
	(void)rs, (void)r;
	return !strcmp(name, "county") || !strcmp(name, "label") || !strcmp(name, "period") ||
	       !strcmp(name, "table") || !strcmp(name, "title");
}

/* Reads a coverage rule's "tables": exports with a county_code, a year and (monthly) a month key. */
static void load_coverage_tables(struct reconciler *r, struct loader *L, json_t *obj, const char *jpath,
				 struct recon_coverage *c)
{
	static const char *const key_names[] = {"county_code", "year", "month"};
	char p[PATHMAX], q[PATHMAX];
	char **names;
	size_t n = get_strings(L, obj, "tables", jpath, &names);
	if (!n)
		lerr(L, jpath, false, "coverage '%s' needs 'tables': the RULESET/EXPORT each county must send",
		     c->base.id);
	c->tables = xcalloc(n + 1, sizeof *c->tables);
	c->keys = xcalloc(n + 1, sizeof *c->keys);
	sub(p, sizeof p, jpath, "tables", 0);
	for (size_t i = 0; i < n; i++) {
		const struct ruleset *rs;
		sub(q, sizeof q, p, NULL, (long)i);
		const struct view *x = find_export(r, L, q, names[i], &rs);
		free(names[i]);
		if (!x)
			continue;
		int need = c->period == PERIOD_MONTH ? 3 : 2;
		for (int k = 0; k < need; k++) {
			int at = export_key(x, key_names[k]);
			if (at < 0)
				lerr(L, q, false, "%s/%s has no key '%s', which a %s coverage needs", rs->id, x->name,
				     key_names[k], c->period == PERIOD_MONTH ? "monthly" : "yearly");
			c->keys[c->ntables][k] = at < 0 ? 0 : (size_t)at;
		}
		c->tables[c->ntables++] = facts_table_add(&r->facts, rs, x, false);
	}
	free(names);
}

static void load_coverage(struct reconciler *r, struct loader *L, json_t *obj, const char *jpath,
			  struct recon_coverage *c)
{
	static const char *const keys[] = {"id", "severity", "plan", "description", "ref", "values", "except",
					   "period", "tables", "message", NULL};
	char p[PATHMAX];
	struct written_rule common = {0};
	bool ok = rules_load_common(L, obj, jpath, &common, "coverage", SEV_ERROR);
	c->base.id = common.id;
	c->base.plan = common.plan;
	c->base.description[0] = common.description[0];
	c->base.description[1] = common.description[1];
	c->base.severity = common.severity;
	free(common.code);
	if (!ok)
		return;
	check_keys(L, obj, jpath, keys);
	const char *period = get_string(L, obj, "period", jpath, true);
	if (period && strcmp(period, "month") && strcmp(period, "year"))
		lerr(L, sub(p, sizeof p, jpath, "period", 0), false, "'period' must be month or year");
	c->period = period && !strcmp(period, "year") ? PERIOD_YEAR : PERIOD_MONTH;
	rules_load_expected(L, obj, jpath, &c->base);
	load_coverage_tables(r, L, obj, jpath, c);
	struct expr_scope scope = {.rs = L->rs};
	struct written_rule names = {.id = c->base.id};
	rules_load_message(L, obj, "message", jpath, &scope, &names, is_coverage_name, c->base.message);
}

/* Reports an id used twice in a set: findings must name one rule. */
static void check_ids(struct loader *L, const struct recon_set *set)
{
	char p[PATHMAX];
	for (size_t i = 0; i < set->nrules + set->ncoverage; i++) {
		const char *id = i < set->nrules ? set->rules[i].base.id : set->coverage[i - set->nrules].base.id;
		for (size_t j = 0; id && j < i; j++) {
			const char *other = j < set->nrules ? set->rules[j].base.id : set->coverage[j - set->nrules].base.id;
			if (other && strcmp(id, "?") && strcmp(id, other) == 0) {
				if (i < set->nrules)
					sub(p, sizeof p, "rules", NULL, (long)i);
				else
					sub(p, sizeof p, "coverage", NULL, (long)(i - set->nrules));
				lerr(L, p, false, "rule id '%s' is used twice", id);
			}
		}
	}
}

/* Reads the rules and coverage of a set's document. */
static void load_set(struct reconciler *r, struct loader *L, json_t *root, struct recon_set *set)
{
	static const char *const keys[] = {"reconcile", "version", "title", "plan", "description", "refs", "rules",
					   "coverage", NULL};
	char p[PATHMAX];
	if (!json_is_object(root)) {
		lerr(L, "", false, "a reconciliation rule set must be a JSON object");
		return;
	}
	check_keys(L, root, "", keys);
	ruleset_load_about(L, root, "reconcile");
	ruleset_load_refs(L, root, strcmp(r->rules_dir, ruleset_default_dir()) ? r->rules_dir : NULL);
	if (L->errors)
		return;
	json_t *rules = json_object_get(root, "rules"), *coverage = json_object_get(root, "coverage");
	if (rules && !json_is_array(rules))
		lerr(L, "rules", false, "'rules' must be an array");
	if (coverage && !json_is_array(coverage))
		lerr(L, "coverage", false, "'coverage' must be an array");
	if (!json_is_array(rules) && !json_is_array(coverage))
		lerr(L, "", false, "a reconciliation rule set has 'rules' or 'coverage'");
	size_t nr = json_is_array(rules) ? json_array_size(rules) : 0;
	size_t nc = json_is_array(coverage) ? json_array_size(coverage) : 0;
	set->rules = xcalloc(nr + 1, sizeof *set->rules);
	set->coverage = xcalloc(nc + 1, sizeof *set->coverage);
	for (size_t i = 0; i < nr; i++, set->nrules++)
		load_rule(r, L, json_array_get(rules, i), sub(p, sizeof p, "rules", NULL, (long)i), &set->rules[i]);
	for (size_t i = 0; i < nc; i++, set->ncoverage++)
		load_coverage(r, L, json_array_get(coverage, i), sub(p, sizeof p, "coverage", NULL, (long)i),
			      &set->coverage[i]);
	check_ids(L, set);
}

bool reconciler_load(struct reconciler *r, const char *path)
{
	struct loader L;
	json_t *root = loader_open(&L, path);
	if (!root)
		return false;
	struct recon_set set = {.path = xstrdup(path), .holder = xcalloc(1, sizeof *set.holder)};
	set.holder->path = xstrdup(path);
	L.rs = set.holder;
	load_set(r, &L, root, &set);
	json_decref(root);
	free(L.text);
	if (L.errors) {
		free_set(&set);
		return false;
	}
	r->sets = xrealloc(r->sets, (r->nsets + 1) * sizeof *r->sets);
	r->sets[r->nsets++] = set;
	return true;
}

/* Reads YYYY or YYYY-MM at s, exactly; returns the characters read, or 0. */
static size_t read_period(const char *s, int *year, int *month)
{
	size_t n = 0;
	for (; n < 4; n++)
		if (s[n] < '0' || s[n] > '9')
			return 0;
	*year = atoi(s);
	*month = 0;
	if (s[4] != '-')
		return 4;
	if (s[5] < '0' || s[5] > '9' || s[6] < '0' || s[6] > '9')
		return 0;
	*month = (s[5] - '0') * 10 + (s[6] - '0');
	return *month >= 1 && *month <= 12 ? 7 : 0;
}

bool period_parse(const char *text, struct period_range *out)
{
	int y1, m1, y2, m2;
	size_t a = read_period(text, &y1, &m1), b = 0;
	if (!a)
		return false;
	if (!text[a]) {
		y2 = y1, m2 = m1;
	} else if (text[a] != '.' || text[a + 1] != '.' || !(b = read_period(text + a + 2, &y2, &m2)) ||
		   text[a + 2 + b] || (m1 == 0) != (m2 == 0)) {
		return false;
	}
	out->kind = m1 ? PERIOD_MONTH : PERIOD_YEAR;
	out->first_year = y1, out->first_month = m1 ? m1 : 1;
	out->last_year = y2, out->last_month = m2 ? m2 : 12;
	return y1 >= 1900 && out->first_year * 12 + out->first_month <= out->last_year * 12 + out->last_month &&
	       y2 - y1 <= 100;
}

/* ---- judging ---- */

/* One key of an input: its records combined. */
struct entry {
	const struct value *keys;     /* the first record's whole key */
	struct fact_part *parts;      /* per value, combined */
	size_t *facts;                /* the records, in stream order */
	size_t nfacts, cap;
	uint32_t nkeys, nfiles;       /* whole keys and files they came from */
};

/* An input's records combined by its join keys, in order of first appearance. */
struct combination {
	struct strmap index;          /* join key bytes → entry */
	struct entry *entries;
	size_t n, cap;
};

/* The bytes of an input's join key from a record's whole key. */
static void project(const struct recon_input *in, const struct value *keys, struct buf *b)
{
	buf_reset(b);
	for (size_t k = 0; k < in->njoin; k++)
		value_key(b, &keys[in->join[k]]);
}

/* A record's keys and values as a row its export's expressions read (where). */
static void fact_row(const struct facts_table *t, const struct fact *f, struct value *row)
{
	const struct view *x = t->export;
	memcpy(row, f->keys, x->ngroup * sizeof *row);
	for (size_t k = 0; k < x->nvalues; k++)
		row[x->ngroup + k] = agg_combinable(t->kinds[k])
			? facts_part_value(t->kinds[k], t->value_types[k], &f->parts[k]) : (struct value){.type = V_NULL};
}

/* True if a record is one an input takes: not left out, and its where holds. */
static bool takes(const struct reconciler *r, const struct recon_set *set, const struct recon_input *in,
		  const struct fact *f, struct value *row)
{
	const struct facts_table *t = &r->facts.tables[in->table];
	if (f->left_out)
		return false;
	if (!in->where)
		return true;
	fact_row(t, f, row);
	struct eval_ctx ctx = {.rs = set->holder, .row = row};
	struct value w = expr_eval(in->where, &ctx);
	return w.type == V_BOOL && w.num;
}

/* Combines an input's records by its join keys (only the latest, when it says so). */
static void combine(const struct reconciler *r, const struct recon_set *set, const struct recon_input *in,
		    struct combination *c)
{
	const struct facts_table *t = &r->facts.tables[in->table];
	const struct view *x = t->export;
	struct value *row = xcalloc(x->ngroup + x->nvalues + 1, sizeof *row);
	struct strmap latest, files;
	bool *key_seen = xcalloc(t->nkeys + 1, sizeof *key_seen);
	struct buf key = {0}, pair = {0};
	const struct value **best = NULL;
	size_t nbest = 0;
	strmap_init(&c->index), strmap_init(&latest), strmap_init(&files);
	if (in->latest >= 0) { /* the greatest latest key of each join key */
		for (size_t i = 0; i < t->n; i++) {
			const struct fact *f = &t->facts[i];
			if (!takes(r, set, in, f, row))
				continue;
			project(in, f->keys, &key);
			bool inserted;
			uint64_t *at = strmap_upsert(&latest, key.data ? key.data : "", key.len, &inserted);
			if (inserted) {
				best = xrealloc(best, (nbest + 1) * sizeof *best);
				*at = nbest++;
				best[*at] = &f->keys[in->latest];
			} else if (value_order(&f->keys[in->latest], best[*at]) > 0) {
				best[*at] = &f->keys[in->latest];
			}
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct fact *f = &t->facts[i];
		if (!takes(r, set, in, f, row))
			continue;
		project(in, f->keys, &key);
		uint64_t b;
		if (in->latest >= 0 && strmap_get(&latest, key.data ? key.data : "", key.len, &b) &&
		    value_order(&f->keys[in->latest], best[b]) != 0)
			continue;
		bool inserted;
		uint64_t *at = strmap_upsert(&c->index, key.data ? key.data : "", key.len, &inserted);
		if (inserted) {
			if (c->n == c->cap) {
				c->cap = c->cap ? c->cap * 2 : 16;
				c->entries = xrealloc(c->entries, c->cap * sizeof *c->entries);
			}
			*at = c->n;
			c->entries[c->n++] = (struct entry){.keys = f->keys,
							    .parts = xcalloc(x->nvalues + 1, sizeof(struct fact_part))};
		}
		struct entry *e = &c->entries[*at];
		for (size_t k = 0; k < x->nvalues; k++)
			if (agg_combinable(t->kinds[k]))
				facts_part_add(t->kinds[k], &e->parts[k], &f->parts[k]);
		if (e->nfacts == e->cap) {
			e->cap = e->cap ? e->cap * 2 : 4;
			e->facts = xrealloc(e->facts, e->cap * sizeof *e->facts);
		}
		e->facts[e->nfacts++] = i;
		if (!key_seen[f->key_id])
			key_seen[f->key_id] = true, e->nkeys++;
		buf_reset(&pair);
		uint64_t entry = *at;
		buf_add(&pair, &entry, sizeof entry);
		buf_add(&pair, &f->file, sizeof f->file);
		e->nfiles += strmap_put(&files, pair.data, pair.len, 0, NULL);
	}
	strmap_free(&latest), strmap_free(&files);
	buf_free(&key), buf_free(&pair);
	free(row), free(key_seen), free(best);
}

static void free_combination(struct combination *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->entries[i].parts), free(c->entries[i].facts);
	free(c->entries);
	strmap_free(&c->index);
}

/* What a judge needs at hand: the reconciler, the set, the language and where findings go. */
struct judge {
	const struct reconciler *r;
	const struct recon_set *set;
	enum lang lang;
	recon_emit emit;
	void *ctx;
	struct buf msg, msg_en, keys[2], others[2], group, related, related_text;
	struct msgbuf said;
};

/* A key's values in words, in both languages: "区县代码 441881、年份 2024" and "county_code 441881, year 2024". */
static void key_words(const struct ruleset *rs, const char *const *names, const struct value *v, size_t n,
		      struct buf out[2])
{
	buf_reset(&out[LANG_ZH]), buf_reset(&out[LANG_EN]);
	for (size_t k = 0; k < n; k++) {
		int col = rs ? ruleset_column(rs, names[k]) : -1;
		const char *zh = col >= 0 ? column_shown(&rs->cols[col]) /* a key of year(date) or month(date) has no column */
				 : !strcmp(names[k], "year") ? "年份" : !strcmp(names[k], "month") ? "月份" : names[k];
		buf_addf(&out[LANG_ZH], "%s%s ", k ? "、" : "", zh);
		buf_addf(&out[LANG_EN], "%s%s ", k ? ", " : "", names[k]);
		value_format(&v[k], &out[LANG_ZH]);
		value_format(&v[k], &out[LANG_EN]);
	}
}

/* A key as the group object of a finding: {"county_code":"441881","year":2024}. */
static void key_json(const char *const *names, const struct value *v, size_t n, struct buf *out)
{
	buf_reset(out);
	values_object_json(names, v, n, out);
}

/* The county code among a key's values, when one is called county_code. */
static const char *key_county(const char *const *names, const struct value *v, size_t n, char *buf, size_t size)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(names[k], "county_code") == 0 && v[k].type == V_STR) {
			snprintf(buf, size, "%.*s", (int)v[k].len, v[k].str);
			return buf;
		}
	return NULL;
}

/* Adds a record's place to the related array (and its words): {"file":…, "row":…, "cell":…, "sheet":…}. */
static void add_related(struct judge *j, const struct fact *f)
{
	const struct facts_store *s = &j->r->facts;
	buf_addc(&j->related, j->related.len ? ',' : '[');
	buf_adds(&j->related, "{\"file\":");
	jsonw_string(&j->related, facts_name(s, f->file), strlen(facts_name(s, f->file)));
	if (f->row) {
		buf_adds(&j->related, ",\"row\":");
		buf_add_uint(&j->related, f->row);
	}
	if (f->cell) {
		buf_adds(&j->related, ",\"cell\":");
		jsonw_string(&j->related, facts_name(s, f->cell), strlen(facts_name(s, f->cell)));
	}
	if (f->sheet) {
		buf_adds(&j->related, ",\"sheet\":");
		jsonw_string(&j->related, facts_name(s, f->sheet), strlen(facts_name(s, f->sheet)));
	}
	buf_addc(&j->related, '}');
	buf_addf(&j->related_text, "%s%s", j->related_text.len ? ", " : "", facts_name(s, f->file));
	if (f->sheet)
		buf_addf(&j->related_text, "[%s]", facts_name(s, f->sheet));
	if (f->line || f->row)
		buf_addf(&j->related_text, ":%llu", (unsigned long long)(f->line ? f->line : f->row));
}

static void start_related(struct judge *j)
{
	buf_reset(&j->related);
	buf_reset(&j->related_text);
}

static void end_related(struct judge *j)
{
	if (!j->related.len)
		buf_addc(&j->related, '[');
	buf_addc(&j->related, ']');
}

/* Points a finding at a record: its file, row, line, column and cell. */
static const char *locate(const struct judge *j, const struct fact *f, struct diag *d)
{
	const struct facts_store *s = &j->r->facts;
	d->row = f->row;
	d->line = f->line;
	d->column = f->column ? facts_name(s, f->column) : NULL;
	d->cell_ref = f->cell ? facts_name(s, f->cell) : NULL;
	d->sheet = f->sheet ? facts_name(s, f->sheet) : NULL;
	return facts_name(s, f->file);
}

/* Reports the records left out because an earlier file had sent their key (their days). */
static void judge_overlaps(struct judge *j)
{
	const struct facts_store *s = &j->r->facts;
	for (size_t o = 0; o < s->noverlaps; o++) {
		const struct facts_overlap *ov = &s->overlaps[o];
		const struct facts_table *t = &s->tables[ov->table];
		const struct fact *f = &t->facts[ov->fact], *first = &t->facts[ov->earlier];
		const struct view *x = t->export;
		char county[64], day[16];
		struct buf rule = {0};
		buf_addf(&rule, "%s.overlap", x->name);
		key_words(t->rs, x->out_names, f->keys, x->ngroup, j->keys);
		key_json(x->out_names, f->keys, x->ngroup, &j->group);
		start_related(j);
		add_related(j, first);
		end_related(j);
		struct diag d = DIAG_INIT;
		d.severity = SEV_ERROR;
		d.code = "reconcile";
		d.rule = rule.data;
		d.group = j->group.data;
		d.county = key_county(x->out_names, f->keys, x->ngroup, county, sizeof county);
		d.related = j->related.data;
		const char *file = locate(j, f, &d), *other = facts_name(s, first->file);
		format_date(ov->first_day, day);
		if (ov->days)
			d.message = MSG_SAY(&j->said, j->lang, MSG_RECONCILE_OVERLAP_DAYS, ARG_PHRASE("key", j->keys[LANG_ZH].data, j->keys[LANG_EN].data), ARG_NUM("days", ov->days),
					    ARG_TEXT("from", day), ARG_TEXT("file", other));
		else
			d.message = MSG_SAY(&j->said, j->lang, MSG_RECONCILE_OVERLAP, ARG_PHRASE("key", j->keys[LANG_ZH].data, j->keys[LANG_EN].data), ARG_TEXT("file", other));
		j->emit(j->ctx, file, t->rs->id, &d, j->related_text.data);
		buf_free(&rule);
	}
}

/* What a rule's evaluation reads: the key's values, then each input's values and counts. */
static void rule_row(const struct judge *j, const struct recon_rule *rule, const struct value *keys,
		     struct entry *const *found, struct value *row)
{
	memcpy(row, keys, rule->njoin * sizeof *row);
	for (size_t i = 0; i < rule->ninputs; i++) {
		const struct recon_input *in = &rule->inputs[i];
		const struct facts_table *t = &j->r->facts.tables[in->table];
		const struct entry *e = found[i];
		size_t at = in->first_col;
		for (size_t k = 0; k < t->export->nvalues; k++, at++)
			row[at] = e && agg_combinable(t->kinds[k])
				? facts_part_value(t->kinds[k], t->value_types[k], &e->parts[k]) : (struct value){.type = V_NULL};
		row[at++] = e ? (struct value){.type = V_NUM, .num = e->nkeys} : (struct value){.type = V_NULL};
		row[at] = e ? (struct value){.type = V_NUM, .num = e->nfiles} : (struct value){.type = V_NULL};
	}
}

struct rule_names {
	const struct recon_rule *rule;
	const struct value *row;
};

/* {name} in a rule's message: the column's value, a dash when it has none. */
static void rule_name(void *arg, const char *name, struct buf *out)
{
	const struct rule_names *rn = arg;
	int col = rule_column(rn->rule, name);
	if (col < 0 || rn->row[col].type == V_NULL)
		buf_adds(out, "—");
	else
		value_format(&rn->row[col], out);
}

/* What a rule's finding says: its assert failed, a side has no partner, or the assert had no value. */
enum verdict { ASSERT_FAILED, SIDE_MISSING, UNDECIDED };

/* Writes one finding of a rule: at the about side's first record, the others related. */
static void rule_finding(struct judge *j, const struct recon_rule *rule, struct entry *const *found,
			 const struct value *keys, const struct value *row, size_t at, enum severity severity,
			 const struct template *msg, enum verdict verdict)
{
	bool missing_side = verdict == SIDE_MISSING;
	char county[64];
	struct buf id = {0};
	const struct facts_table *t = &j->r->facts.tables[rule->inputs[at].table];
	const struct fact *where = &t->facts[found[at]->facts[0]];
	start_related(j);
	for (size_t i = 0; i < rule->ninputs; i++) {
		const struct facts_table *ti = &j->r->facts.tables[rule->inputs[i].table];
		for (size_t k = 0; found[i] && k < found[i]->nfacts; k++)
			if (i != at || k)
				add_related(j, &ti->facts[found[i]->facts[k]]);
	}
	end_related(j);
	key_words(t->rs, (const char *const *)rule->join, keys, rule->njoin, j->keys);
	key_json((const char *const *)rule->join, keys, rule->njoin, &j->group);
	struct diag d = DIAG_INIT;
	d.severity = severity;
	d.code = verdict == UNDECIDED ? "cannot-verify" : missing_side ? "reconcile" : rule->base.code;
	d.rule = rule->base.id;
	d.group = j->group.data;
	d.county = key_county((const char *const *)rule->join, keys, rule->njoin, county, sizeof county);
	d.plan = rule->base.plan ? rule->base.plan : j->set->holder->plan;
	d.expected = missing_side ? NULL : expr_source(rule->base.assert);
	d.related = j->related.data;
	const char *file = locate(j, where, &d);
	if (verdict == UNDECIDED) {
		d.message = MSG_SAY(&j->said, j->lang, MSG_RECONCILE_UNDECIDED, ARG_PHRASE("key", j->keys[LANG_ZH].data, j->keys[LANG_EN].data), ARG_TEXT("rule", rule->base.id),
				    ARG_TEXT("assert", expr_source(rule->base.assert)));
	} else if (msg[j->lang].nparts) {
		struct rule_names rn = {rule, row};
		struct eval_ctx ctx = {.rs = j->set->holder, .row = row};
		d.message = template_render_both(&j->said, &j->msg, &j->msg_en, msg, j->lang, &ctx, rule_name, &rn);
	} else if (missing_side) {
		buf_reset(&j->others[LANG_ZH]), buf_reset(&j->others[LANG_EN]);
		for (size_t i = 0; i < rule->ninputs; i++) {
			if (found[i])
				continue;
			const char *name = j->r->facts.tables[rule->inputs[i].table].name;
			buf_addf(&j->others[LANG_ZH], "%s%s", j->others[LANG_ZH].len ? "、" : "", name);
			buf_addf(&j->others[LANG_EN], "%s%s", j->others[LANG_EN].len ? ", " : "", name);
		}
		d.message = MSG_SAY(&j->said, j->lang, MSG_RECONCILE_MISSING, ARG_PHRASE("key", j->keys[LANG_ZH].data, j->keys[LANG_EN].data), ARG_TEXT("table", t->name),
				    ARG_PHRASE("others", j->others[LANG_ZH].data, j->others[LANG_EN].data));
	} else {
		d.message = MSG_SAY(&j->said, j->lang, MSG_RECONCILE_FAILS, ARG_PHRASE("key", j->keys[LANG_ZH].data, j->keys[LANG_EN].data),
				    ARG_TEXT("assert", expr_source(rule->base.assert)));
	}
	j->emit(j->ctx, file, j->set->holder->id, &d, j->related_text.data);
	buf_free(&id);
}

/* Looks a key up in an input's combination, by the join keys it has. */
static struct entry *find_entry(const struct recon_input *in, struct combination *c, const struct value *keys,
				struct buf *b)
{
	buf_reset(b);
	for (size_t k = 0; k < in->njoin; k++)
		value_key(b, &keys[in->join_at[k]]);
	uint64_t at;
	return strmap_get(&c->index, b->data ? b->data : "", b->len, &at) ? &c->entries[at] : NULL;
}

/* Judges one key of a rule: a side missing, or the when and the assert over every side. */
static void judge_key(struct judge *j, const struct recon_rule *rule, struct combination *comb,
		      const struct value *keys, struct value *row, struct entry **found, struct buf *b)
{
	size_t present = rule->ninputs, missing = 0;
	for (size_t i = 0; i < rule->ninputs; i++) {
		found[i] = find_entry(&rule->inputs[i], &comb[i], keys, b);
		if (!found[i])
			missing++;
		else if (present == rule->ninputs || i == rule->about)
			present = i;
	}
	rule_row(j, rule, keys, found, row);
	if (missing) {
		enum severity worst = SEV_INFO;
		for (size_t i = 0; i < rule->ninputs; i++) {
			if (found[i])
				continue;
			if (rule->inputs[i].missing == SEV_NEVER)
				return; /* the key matters only where this side has it */
			if (rule->inputs[i].missing > worst)
				worst = rule->inputs[i].missing;
		}
		rule_finding(j, rule, found, keys, row, present, worst, rule->missing_message, SIDE_MISSING);
		return;
	}
	struct eval_ctx ctx = {.rs = j->set->holder, .row = row};
	if (rule->base.when) {
		struct value w = expr_eval(rule->base.when, &ctx);
		if (w.type != V_BOOL || !w.num)
			return;
	}
	struct value v = expr_eval(rule->base.assert, &ctx);
	if (v.type == V_BOOL && !v.num)
		rule_finding(j, rule, found, keys, row, rule->about, rule->base.severity, rule->base.message,
			     ASSERT_FAILED);
	else if (v.type != V_BOOL) /* a value it reads is empty: say so rather than pass in silence */
		rule_finding(j, rule, found, keys, row, rule->about, SEV_INFO, NULL, UNDECIDED);
}

/*
 * Judges a rule: combines each input, then walks every key of the inputs
 * that have all the join keys, in the order they first appear.
 */
static void judge_rule(struct judge *j, const struct recon_rule *rule)
{
	struct combination *comb = xcalloc(rule->ninputs, sizeof *comb);
	struct entry **found = xcalloc(rule->ninputs, sizeof *found);
	struct value *row = xcalloc(rule->columns.n + 1, sizeof *row);
	struct value *keys = xcalloc(rule->njoin + 1, sizeof *keys);
	struct strmap seen;
	struct buf b = {0};
	strmap_init(&seen);
	for (size_t i = 0; i < rule->ninputs; i++)
		combine(j->r, j->set, &rule->inputs[i], &comb[i]);
	for (size_t i = 0; i < rule->ninputs; i++) {
		const struct recon_input *in = &rule->inputs[i];
		if (in->njoin != rule->njoin)
			continue;
		for (size_t e = 0; e < comb[i].n; e++) {
			for (size_t k = 0; k < in->njoin; k++)
				keys[in->join_at[k]] = comb[i].entries[e].keys[in->join[k]];
			buf_reset(&b);
			for (size_t k = 0; k < rule->njoin; k++)
				value_key(&b, &keys[k]);
			if (strmap_put(&seen, b.data ? b.data : "", b.len, 0, NULL))
				judge_key(j, rule, comb, keys, row, found, &b);
		}
	}
	for (size_t i = 0; i < rule->ninputs; i++)
		free_combination(&comb[i]);
	strmap_free(&seen);
	buf_free(&b);
	free(comb), free(found), free(row), free(keys);
}

/* The facts a coverage table has: county, year and month seen. */
static void coverage_seen(const struct reconciler *r, const struct recon_coverage *c, size_t t, struct strmap *seen)
{
	const struct facts_table *table = &r->facts.tables[c->tables[t]];
	struct buf b = {0};
	for (size_t i = 0; i < table->n; i++) {
		const struct value *k = table->facts[i].keys;
		buf_reset(&b);
		for (int part = 0; part < (c->period == PERIOD_MONTH ? 3 : 2); part++)
			value_key(&b, &k[c->keys[t][part]]);
		strmap_put(seen, b.data, b.len, 0, NULL);
	}
	buf_free(&b);
}

struct coverage_names {
	const char *county, *label, *period, *table, *title;
};

static void coverage_name(void *arg, const char *name, struct buf *out)
{
	const struct coverage_names *cn = arg;
	buf_adds(out, !strcmp(name, "county") ? cn->county : !strcmp(name, "label") ? cn->label
		      : !strcmp(name, "period") ? cn->period : !strcmp(name, "table") ? cn->table : cn->title);
}

/* Reports one table a county has not sent for one period. */
static void coverage_finding(struct judge *j, const struct recon_coverage *c, size_t county, size_t t,
			     int year, int month)
{
	const struct coverage_rule *b = &c->base;
	const struct facts_table *table = &j->r->facts.tables[c->tables[t]];
	const char *title = j->lang == LANG_ZH ? table->rs->title_zh : table->rs->title_en;
	char period[16];
	if (month)
		snprintf(period, sizeof period, "%04d-%02d", year, month);
	else
		snprintf(period, sizeof period, "%04d", year);
	const char *label = b->expected_label[county] ? b->expected_label[county] : b->expected[county];
	struct coverage_names cn = {b->expected[county], label, period, table->rs->id, title ? title : table->rs->id};
	struct buf who[2] = {{0}, {0}}; /* 连南瑶族自治县（441826）, or the code alone when it has no name */
	buf_adds(&who[LANG_ZH], label), buf_adds(&who[LANG_EN], label);
	if (b->expected_label[county])
		buf_addf(&who[LANG_ZH], "（%s）", cn.county), buf_addf(&who[LANG_EN], " (%s)", cn.county);
	buf_reset(&j->group);
	buf_adds(&j->group, "{\"county_code\":");
	jsonw_string(&j->group, cn.county, strlen(cn.county));
	buf_adds(&j->group, ",\"period\":");
	jsonw_string(&j->group, period, strlen(period));
	buf_adds(&j->group, ",\"table\":");
	jsonw_string(&j->group, table->name, strlen(table->name));
	buf_addc(&j->group, '}');
	struct diag d = DIAG_INIT;
	d.severity = b->severity;
	d.code = "coverage";
	d.rule = b->id;
	d.group = j->group.data;
	d.county = cn.county;
	d.plan = b->plan ? b->plan : j->set->holder->plan;
	if (b->message[j->lang].nparts) {
		d.message = template_render_both(&j->said, &j->msg, &j->msg_en, b->message, j->lang, NULL, coverage_name,
						 &cn);
	} else {
		d.message = MSG_SAY(&j->said, j->lang, MSG_COVERAGE_NOT_SENT, ARG_PHRASE("who", who[LANG_ZH].data, who[LANG_EN].data),
				    ARG_TEXT("period", period), ARG_TEXT("ruleset", table->rs->id),
				    ARG_PHRASE("title", table->rs->title_zh ? table->rs->title_zh : table->rs->id,
					       table->rs->title_en ? table->rs->title_en : table->rs->id));
	}
	j->emit(j->ctx, "-", j->set->holder->id, &d, NULL);
	buf_free(&who[LANG_ZH]), buf_free(&who[LANG_EN]);
}

/* Judges a coverage rule over the periods: every county, period and table. */
static void judge_coverage(struct judge *j, const struct recon_coverage *c, const struct period_range *p)
{
	if (!p) {
		struct diag d = DIAG_INIT;
		d.severity = SEV_INFO;
		d.code = "cannot-verify";
		d.rule = c->base.id;
		d.message = MSG_SAY(&j->said, j->lang, MSG_COVERAGE_NO_PERIOD, ARG_TEXT("rule", c->base.id));
		j->emit(j->ctx, "-", j->set->holder->id, &d, NULL);
		return;
	}
	struct strmap *seen = xcalloc(c->ntables + 1, sizeof *seen);
	for (size_t t = 0; t < c->ntables; t++) {
		strmap_init(&seen[t]);
		coverage_seen(j->r, c, t, &seen[t]);
	}
	struct buf b = {0};
	int first = p->first_year * 12 + p->first_month - 1, last = p->last_year * 12 + p->last_month - 1;
	for (size_t county = 0; county < c->base.nexpected; county++) {
		struct value code = {.type = V_STR, .str = c->base.expected[county],
				     .len = (uint32_t)strlen(c->base.expected[county])};
		for (int m = first; m <= last; m++) {
			int year = m / 12, month = m % 12 + 1;
			if (c->period == PERIOD_YEAR && (month != 1 || m + 11 > last))
				continue; /* a whole year of the range, once */
			struct value y = {.type = V_NUM, .num = year}, mo = {.type = V_NUM, .num = month};
			for (size_t t = 0; t < c->ntables; t++) {
				buf_reset(&b);
				value_key(&b, &code);
				value_key(&b, &y);
				if (c->period == PERIOD_MONTH)
					value_key(&b, &mo);
				if (!strmap_get(&seen[t], b.data, b.len, NULL))
					coverage_finding(j, c, county, t, year, c->period == PERIOD_MONTH ? month : 0);
			}
		}
	}
	for (size_t t = 0; t < c->ntables; t++)
		strmap_free(&seen[t]);
	free(seen);
	buf_free(&b);
}

void reconciler_judge(struct reconciler *r, const struct period_range *periods, enum lang lang,
		      recon_emit emit, void *ctx)
{
	struct judge j = {.r = r, .lang = lang, .emit = emit, .ctx = ctx};
	facts_settle(&r->facts);
	judge_overlaps(&j);
	for (size_t s = 0; s < r->nsets; s++) {
		j.set = &r->sets[s];
		for (size_t i = 0; i < j.set->nrules; i++)
			judge_rule(&j, &j.set->rules[i]);
		for (size_t i = 0; i < j.set->ncoverage; i++)
			judge_coverage(&j, &j.set->coverage[i], periods);
	}
	buf_free(&j.msg), buf_free(&j.msg_en), buf_free(&j.group), buf_free(&j.related), buf_free(&j.related_text);
	for (int l = 0; l < 2; l++)
		buf_free(&j.keys[l]), buf_free(&j.others[l]);
	msgbuf_free(&j.said);
}
