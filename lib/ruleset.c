/* ruleset.c — loading, validating and compiling rule sets. */
#include "ruleset.h"
#include "jsonload.h"
#include "platform.h"
#include "rulefiles.h"
#include "rules.h"
#include "targets.h"
#include "utf8.h"
#include "util.h"

#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef QY_RULES_DIR
#define QY_RULES_DIR "/usr/local/share/qy/rules"
#endif

/* Backtracking budget for one cell: enough for any sane pattern, far from a hang. */
#define MATCH_LIMIT 1000000
#define DEPTH_LIMIT 10000

static const char *const check_codes[CHK_COUNT] = {
	"required", "type-error", "check-digit", "range", "length", "pattern",
	"enum", "reference", "alias", "whitespace",
};

/* Defaults of design.md §3.3 and domain.md §5–6: what must be fixed is an error. */
static const enum severity check_defaults[CHK_COUNT] = {
	SEV_ERROR, SEV_ERROR, SEV_WARNING, SEV_ERROR, SEV_ERROR, SEV_ERROR,
	SEV_ERROR, SEV_ERROR, SEV_WARNING, SEV_WARNING,
};

const char *check_code(enum check c) { return check_codes[c]; }

/* Reads "dialect". */
static void load_dialect(struct loader *L, json_t *root)
{
	static const char *const keys[] = {"header_row", "skip_rows", "encoding", "delimiter", "sheet", NULL};
	struct ruleset *rs = L->rs;
	json_t *d = json_object_get(root, "dialect");
	rs->delimiter = ',';
	if (!d)
		return;
	if (!json_is_object(d)) {
		lerr(L, "dialect", false, "'dialect' must be an object");
		return;
	}
	check_keys(L, d, "dialect", keys);
	json_t *hr = json_object_get(d, "header_row"), *sk = json_object_get(d, "skip_rows");
	if (hr && (!json_is_integer(hr) || json_integer_value(hr) < 1))
		lerr(L, "dialect.header_row", false, "'header_row' must be a whole number from 1");
	else if (hr)
		rs->header_row = (long)json_integer_value(hr);
	if (sk && (!json_is_integer(sk) || json_integer_value(sk) < 0))
		lerr(L, "dialect.skip_rows", false, "'skip_rows' must be a whole number from 0");
	else if (sk && hr)
		lerr(L, "dialect.skip_rows", true, "give 'header_row' or 'skip_rows', not both");
	else if (sk)
		rs->header_row = (long)json_integer_value(sk) + 1;
	const char *enc = get_string(L, d, "encoding", "dialect", false);
	if (enc && !csvr_encoding_from_name(enc, &rs->encoding))
		lerr(L, "dialect.encoding", false, "unknown encoding '%s' (auto, utf-8, gbk, gb18030)", enc);
	else if (enc)
		rs->encoding_declared = rs->encoding != CSVR_AUTO; /* auto: as if not declared, each file decides */
	const char *delim = get_string(L, d, "delimiter", "dialect", false);
	if (delim) {
		if (strcmp(delim, ",") && strcmp(delim, "\t") && strcmp(delim, ";"))
			lerr(L, "dialect.delimiter", false, "delimiter must be \",\", \"\\t\" or \";\"");
		else
			rs->delimiter = (unsigned char)delim[0];
	}
	json_t *sheet = json_object_get(d, "sheet");
	if (json_is_integer(sheet) && json_integer_value(sheet) >= 1) {
		struct buf index = {0};
		buf_addf(&index, "%lld", (long long)json_integer_value(sheet));
		rs->sheet = index.data;
	} else if (sheet && (!json_is_string(sheet) || !*json_string_value(sheet))) {
		lerr(L, "dialect.sheet", false, "'sheet' must be a sheet name or a whole number from 1");
	} else if (sheet) {
		rs->sheet = xstrdup(json_string_value(sheet));
	}
}

/* Directory part of the rule file's path, for resolving reference tables. */
static char *rule_dir(const char *path)
{
	const char *base = platform_basename(path);
	return base > path ? xstrndup(path, (size_t)(base - path - 1)) : xstrdup(".");
}

/* Reads a table's "labels": column name to its name in words, each column of the table. */
static void load_ref_labels(struct loader *L, json_t *spec, const char *jpath, struct named_table *nt)
{
	char p[PATHMAX], q[PATHMAX];
	json_t *labels = json_object_get(spec, "labels");
	if (!labels)
		return;
	sub(p, sizeof p, jpath, "labels", 0);
	if (!json_is_object(labels)) {
		lerr(L, p, false, "'labels' must be an object of column: text");
		return;
	}
	nt->labels = xcalloc(json_object_size(labels) + 1, sizeof *nt->labels);
	const char *col;
	json_t *v;
	json_object_foreach(labels, col, v) {
		struct ref_label *l = &nt->labels[nt->nlabels];
		if (reftable_column(nt->table, col) < 0) {
			lerr(L, sub(q, sizeof q, p, col, 0), true, "reference table '%s' has no column '%s'", nt->name, col);
			continue;
		}
		get_text(L, labels, col, p, &l->zh, &l->en);
		l->column = xstrdup(col);
		nt->nlabels++;
	}
}

/*
 * Reads "refs" and loads every table it names: a table is a file name, or
 * {"file": NAME, "labels": {COLUMN: TEXT}} to name its columns in messages.
 */
static void load_refs(struct loader *L, json_t *root, const char *also)
{
	static const char *const keys[] = {"file", "labels", NULL};
	struct ruleset *rs = L->rs;
	json_t *refs = json_object_get(root, "refs");
	if (!refs)
		return;
	if (!json_is_object(refs)) {
		lerr(L, "refs", false, "'refs' must be an object of name: file");
		return;
	}
	char *dir = rule_dir(L->path);
	const char *roots[] = {dir, also, rulefiles_ref_dir(), ruleset_default_dir()};
	rs->refs = xcalloc(json_object_size(refs) + 1, sizeof *rs->refs);
	const char *name;
	json_t *v;
	char p[PATHMAX];
	struct buf full = {0};
	json_object_foreach(refs, name, v) {
		sub(p, sizeof p, "refs", name, 0);
		const char *file = json_is_string(v) ? json_string_value(v) : NULL;
		if (json_is_object(v)) {
			check_keys(L, v, p, keys);
			file = get_string(L, v, "file", p, true);
		} else if (!file) {
			lerr(L, p, false, "'%s' must be a file name or an object with \"file\"", name);
		}
		if (!file)
			continue;
		char err[PATHMAX * 4];
		struct reftable *t = NULL;
		if (!rulefiles_resolve(roots, sizeof roots / sizeof *roots, file, &full, err, sizeof err)) {
			lerr(L, p, false, "reference table '%s': '%s': %s", name, file, err);
		} else if (!(t = reftable_load(full.data, err, sizeof err))) {
			lerr(L, p, false, "reference table '%s': '%s': %s", name, file, err);
		} else {
			struct named_table *nt = &rs->refs[rs->nrefs++];
			*nt = (struct named_table){.name = xstrdup(name), .table = t};
			if (json_is_object(v))
				load_ref_labels(L, v, p, nt);
		}
	}
	buf_free(&full);
	free(dir);
}

/* Finds a named reference table. */
static struct named_table *find_named(const struct ruleset *rs, const char *name, size_t len)
{
	for (size_t i = 0; i < rs->nrefs; i++)
		if (strlen(rs->refs[i].name) == len && memcmp(rs->refs[i].name, name, len) == 0)
			return &rs->refs[i];
	return NULL;
}

static struct reftable *find_table(const struct ruleset *rs, const char *name, size_t len)
{
	struct named_table *nt = find_named(rs, name, len);
	return nt ? nt->table : NULL;
}

/* Reads a min or max bound; its JSON type must suit the column type. */
static void load_bound(struct loader *L, json_t *col, struct column *c, const char *key,
		       const char *jpath, bool *has, double *value, char **text)
{
	char p[PATHMAX];
	json_t *v = json_object_get(col, key);
	if (!v)
		return;
	sub(p, sizeof p, jpath, key, 0);
	bool numeric = c->type == TYPE_INTEGER || c->type == TYPE_NUMBER ||
		       c->type == TYPE_PERCENT || c->type == TYPE_YEAR;
	if (numeric && json_is_number(v)) {
		*value = json_number_value(v);
		char tmp[64];
		snprintf(tmp, sizeof tmp, "%.15g", *value);
		*text = xstrdup(tmp);
		*has = true;
	} else if ((c->type == TYPE_DATE || c->type == TYPE_MONTH) && json_is_string(v)) {
		const char *s = json_string_value(v);
		bool ok = c->type == TYPE_DATE ? parse_date(s, strlen(s), value)
					       : parse_month(s, strlen(s), value);
		if (!ok)
			lerr(L, p, false, "'%s' is not a %s", s, coltype_form(c->type));
		*text = xstrdup(s);
		*has = ok;
	} else if (numeric || c->type == TYPE_DATE || c->type == TYPE_MONTH) {
		lerr(L, p, false, "'%s' of a %s column must be a %s", key, coltype_name(c->type),
		     numeric ? "number" : "string in the form " "YYYY-MM-DD or YYYY-MM");
	} else {
		lerr(L, p, true, "'%s' does not apply to %s columns", key, coltype_name(c->type));
	}
}

/* Reads min_length or max_length. */
static long load_length(struct loader *L, json_t *col, const char *key, const char *jpath)
{
	char p[PATHMAX];
	json_t *v = json_object_get(col, key);
	if (!v)
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		lerr(L, sub(p, sizeof p, jpath, key, 0), false, "'%s' must be a whole number", key);
		return -1;
	}
	return (long)json_integer_value(v);
}

/* Compiles the pattern with JIT; a bad regex names PCRE2's offset. */
static void load_pattern(struct loader *L, struct column *c, const char *jpath)
{
	char p[PATHMAX];
	int code;
	PCRE2_SIZE offset;
	c->pattern = pcre2_compile((PCRE2_SPTR)c->pattern_src, PCRE2_ZERO_TERMINATED,
				   PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &code, &offset, NULL);
	if (!c->pattern) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		lerr(L, sub(p, sizeof p, jpath, "pattern", 0), false,
		     "bad pattern at offset %zu: %s", (size_t)offset, (char *)msg);
		return;
	}
	pcre2_jit_compile(c->pattern, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	c->match = pcre2_match_data_create_from_pattern(c->pattern, NULL);
}

/* Reads the enum list into a set and a readable "expected" text. */
static void load_enum(struct loader *L, json_t *col, struct column *c, const char *jpath)
{
	c->nenum = get_strings(L, col, "enum", jpath, &c->enum_values);
	if (!json_object_get(col, "enum"))
		return;
	struct buf text = {0};
	buf_adds(&text, "one of ");
	c->enum_lens = xcalloc(c->nenum + 1, sizeof *c->enum_lens);
	for (size_t i = 0; i < c->nenum; i++) {
		const char *v = c->enum_values[i];
		c->enum_lens[i] = strlen(v);
		strmap_put(&c->enum_set, v, strlen(v), i, NULL);
		if (i < 12)
			buf_addf(&text, "%s%s", i ? ", " : "", v);
		else if (i == 12)
			buf_adds(&text, ", …");
	}
	c->enum_text = text.data;
}

/* Resolves "table.column" for a ref check. */
static void load_ref(struct loader *L, struct column *c, const char *jpath)
{
	char p[PATHMAX];
	sub(p, sizeof p, jpath, "ref", 0);
	const char *dot = strchr(c->ref_text, '.');
	if (!dot) {
		lerr(L, p, false, "'ref' must be TABLE.COLUMN, e.g. counties.code");
		return;
	}
	struct named_table *nt = find_named(L->rs, c->ref_text, (size_t)(dot - c->ref_text));
	struct reftable *t = nt ? nt->table : NULL;
	if (!t) {
		lerr(L, p, false, "no reference table '%.*s' in 'refs'", (int)(dot - c->ref_text),
		     c->ref_text);
		return;
	}
	for (size_t i = 0; i < nt->nlabels; i++)
		if (strcmp(nt->labels[i].column, dot + 1) == 0)
			c->ref_zh = nt->labels[i].zh, c->ref_en = nt->labels[i].en;
	int col = reftable_column(t, dot + 1);
	if (col < 0) {
		lerr(L, p, false, "reference table '%.*s' has no column '%s'",
		     (int)(dot - c->ref_text), c->ref_text, dot + 1);
		return;
	}
	reftable_index(t, col);
	c->ref = t;
	c->ref_col = col;
}

/* Reads "severity": one level for every check, or an object by check code. */
static void load_severity(struct loader *L, json_t *col, struct column *c, const char *jpath)
{
	char p[PATHMAX], q[PATHMAX];
	memcpy(c->severity, check_defaults, sizeof c->severity);
	json_t *v = json_object_get(col, "severity");
	if (!v)
		return;
	sub(p, sizeof p, jpath, "severity", 0);
	enum severity s;
	if (json_is_string(v)) {
		if (!severity_from_name(json_string_value(v), &s, false))
			lerr(L, p, false, "severity must be error, warning or info");
		for (int i = 0; i < CHK_COUNT; i++)
			c->severity[i] = s;
		return;
	}
	if (!json_is_object(v)) {
		lerr(L, p, false, "severity must be a level or an object of check: level");
		return;
	}
	const char *key;
	json_t *lv;
	json_object_foreach(v, key, lv) {
		int i = 0;
		while (i < CHK_COUNT && strcmp(check_codes[i], key) != 0)
			i++;
		sub(q, sizeof q, p, key, 0);
		if (i == CHK_COUNT)
			lerr(L, q, true, "unknown check '%s'", key);
		else if (!json_is_string(lv) || !severity_from_name(json_string_value(lv), &s, false))
			lerr(L, q, false, "severity must be error, warning or info");
		else
			c->severity[i] = s;
	}
}

/* Adds a folded header spelling of column idx; two columns may not share one. */
static void add_header_name(struct loader *L, const char *spelling, size_t idx, const char *jpath)
{
	size_t n = strlen(spelling);
	char *folded = xmalloc(4 * n + 1);
	size_t len = utf8_fold_name((const unsigned char *)spelling, n, folded);
	uint64_t other;
	if (!strmap_put(&L->rs->header_names, folded, len, idx, &other) && other != idx)
		lerr(L, jpath, false, "'%s' also names column '%s'", spelling,
		     L->rs->cols[other].name);
	free(folded);
}

/* Reads one column definition. */
static void load_column(struct loader *L, json_t *col, size_t idx)
{
	static const char *const keys[] = {
		"name", "label", "aliases", "type", "required", "unit", "min", "max",
		"min_length", "max_length", "pattern", "pattern_description", "enum", "ref", "severity",
		"description", NULL};
	char jpath[PATHMAX], p[PATHMAX];
	struct column *c = &L->rs->cols[idx];
	sub(jpath, sizeof jpath, "columns", NULL, (long)idx);
	c->min_length = c->max_length = -1;
	strmap_init(&c->enum_set);
	if (!json_is_object(col)) {
		lerr(L, jpath, false, "a column must be an object");
		c->name = xstrdup("?");
		return;
	}
	check_keys(L, col, jpath, keys);
	c->name = dup_string(L, col, "name", jpath, true);
	if (!c->name)
		c->name = xstrdup("?");
	else if (!is_identifier(c->name, false))
		lerr(L, sub(p, sizeof p, jpath, "name", 0), false,
		     "column name '%s' must be an ASCII identifier (letters, digits, _)", c->name);
	bool duplicate = false;
	for (size_t i = 0; i < idx && !duplicate; i++)
		duplicate = strcmp(L->rs->cols[i].name, c->name) == 0;
	if (duplicate)
		lerr(L, sub(p, sizeof p, jpath, "name", 0), false, "duplicate column '%s'", c->name);
	c->label = dup_string(L, col, "label", jpath, false);
	c->unit = dup_string(L, col, "unit", jpath, false);
	c->description = dup_string(L, col, "description", jpath, false);
	c->naliases = get_strings(L, col, "aliases", jpath, &c->aliases);
	const char *type = get_string(L, col, "type", jpath, false);
	if (type && !coltype_from_name(type, &c->type))
		lerr(L, sub(p, sizeof p, jpath, "type", 0), false,
		     "unknown type '%s' (string, integer, number, percent, date, month, year, "
		     "boolean, uscc, permit, water-class)", type);
	json_t *req = json_object_get(col, "required");
	if (req && !json_is_boolean(req))
		lerr(L, sub(p, sizeof p, jpath, "required", 0), false, "'required' must be true or false");
	c->required = req && json_is_true(req);
	load_bound(L, col, c, "min", jpath, &c->has_min, &c->min, &c->min_text);
	load_bound(L, col, c, "max", jpath, &c->has_max, &c->max, &c->max_text);
	if (c->type == TYPE_PERCENT) {
		if (!c->has_min || c->min < 0)
			c->min = 0, c->has_min = true, free(c->min_text), c->min_text = xstrdup("0");
		if (!c->has_max || c->max > 100)
			c->max = 100, c->has_max = true, free(c->max_text), c->max_text = xstrdup("100");
	}
	if (c->has_min && c->has_max && c->min > c->max)
		lerr(L, sub(p, sizeof p, jpath, "min", 0), false, "'min' is greater than 'max'");
	c->min_length = load_length(L, col, "min_length", jpath);
	c->max_length = load_length(L, col, "max_length", jpath);
	c->pattern_src = dup_string(L, col, "pattern", jpath, false);
	if (c->pattern_src)
		load_pattern(L, c, jpath);
	get_text(L, col, "pattern_description", jpath, &c->pattern_zh, &c->pattern_en);
	if (c->pattern_zh && !c->pattern_src)
		lerr(L, sub(p, sizeof p, jpath, "pattern_description", 0), true,
		     "'pattern_description' describes a 'pattern', and the column has none");
	load_enum(L, col, c, jpath);
	c->ref_text = dup_string(L, col, "ref", jpath, false);
	if (c->ref_text)
		load_ref(L, c, jpath);
	load_severity(L, col, c, jpath);
	if (duplicate)
		return;
	add_header_name(L, c->name, idx, jpath);
	if (c->label)
		add_header_name(L, c->label, idx, sub(p, sizeof p, jpath, "label", 0));
	for (size_t i = 0; i < c->naliases; i++)
		add_header_name(L, c->aliases[i], idx, sub(p, sizeof p, jpath, "aliases", 0));
}

/* Reads "columns". */
static void load_columns(struct loader *L, json_t *root)
{
	json_t *cols = json_object_get(root, "columns");
	if (!cols) {
		lerr(L, "", false, "missing key 'columns'");
		return;
	}
	if (!json_is_array(cols) || json_array_size(cols) == 0) {
		lerr(L, "columns", false, "'columns' must be a non-empty array");
		return;
	}
	L->rs->ncols = json_array_size(cols);
	L->rs->cols = xcalloc(L->rs->ncols, sizeof *L->rs->cols);
	for (size_t i = 0; i < L->rs->ncols; i++)
		load_column(L, json_array_get(cols, i), i);
}

/* Reads one unique key: an array of column names or {"columns": […], "severity": …}. */
static void load_unique_key(struct loader *L, json_t *v, const char *jpath)
{
	static const char *const keys[] = {"columns", "severity", NULL};
	struct unique_key *u = &L->rs->uniques[L->rs->nunique];
	char p[PATHMAX];
	u->severity = SEV_ERROR;
	json_t *arr = v;
	if (json_is_object(v)) {
		check_keys(L, v, jpath, keys);
		const char *sev = get_string(L, v, "severity", jpath, false);
		if (sev && !severity_from_name(sev, &u->severity, false))
			lerr(L, sub(p, sizeof p, jpath, "severity", 0), false,
			     "severity must be error, warning or info");
		arr = json_object_get(v, "columns");
		jpath = sub(p, sizeof p, jpath, "columns", 0);
	}
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		lerr(L, jpath, false, "a unique key must be a non-empty array of column names");
		return;
	}
	struct buf id = {0};
	u->cols = xcalloc(json_array_size(arr), sizeof *u->cols);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char q[PATHMAX];
		json_t *name = json_array_get(arr, i);
		int col = json_is_string(name) ? ruleset_column(L->rs, json_string_value(name)) : -1;
		if (col < 0) {
			lerr(L, sub(q, sizeof q, jpath, NULL, (long)i), false, "unknown column '%s'",
			     json_is_string(name) ? json_string_value(name) : "?");
			continue;
		}
		u->cols[u->ncols++] = (size_t)col;
		buf_addf(&id, "%s%s", id.len ? "+" : "", json_string_value(name));
	}
	u->id = id.data ? id.data : xstrdup("");
	L->rs->nunique++;
}

/* Reads "unique". */
static void load_uniques(struct loader *L, json_t *root)
{
	char p[PATHMAX];
	json_t *u = json_object_get(root, "unique");
	if (!u)
		return;
	if (!json_is_array(u)) {
		lerr(L, "unique", false, "'unique' must be an array of keys");
		return;
	}
	L->rs->uniques = xcalloc(json_array_size(u) + 1, sizeof *L->rs->uniques);
	for (size_t i = 0; i < json_array_size(u); i++)
		load_unique_key(L, json_array_get(u, i), sub(p, sizeof p, "unique", NULL, (long)i));
}

/*
 * Reads "duplicate_rows": a severity that switches on the check for rows
 * repeated whole, a unique key over every cell of a record, blanks included.
 */
static void load_duplicate_rows(struct loader *L, json_t *root)
{
	struct ruleset *rs = L->rs;
	json_t *v = json_object_get(root, "duplicate_rows");
	enum severity sev;
	if (!v || !rs->ncols)
		return;
	if (!json_is_string(v) || !severity_from_name(json_string_value(v), &sev, false)) {
		lerr(L, "duplicate_rows", false, "'duplicate_rows' is the severity of a row repeated whole: error, warning or info");
		return;
	}
	rs->uniques = xrealloc(rs->uniques, (rs->nunique + 2) * sizeof *rs->uniques);
	struct unique_key *u = &rs->uniques[rs->nunique++];
	*u = (struct unique_key){.id = xstrdup("duplicate-row"), .severity = sev, .whole_row = true};
}

/* Picks the column that tells each record's county: a ref to counties.code or .name. */
static void find_county_column(struct ruleset *rs)
{
	for (int pass = 0; pass < 2 && rs->county_mode == COUNTY_NONE; pass++)
		for (size_t i = 0; i < rs->ncols; i++) {
			struct column *c = &rs->cols[i];
			if (!c->ref || !c->ref_text || strncmp(c->ref_text, "counties.", 9) != 0)
				continue;
			const char *want = pass == 0 ? "code" : "name";
			if (strcmp(c->ref_text + 9, want) != 0)
				continue;
			rs->county_col = i;
			rs->county_mode = pass == 0 ? COUNTY_BY_CODE : COUNTY_BY_NAME;
			rs->counties = c->ref;
			rs->county_code_col = reftable_column(c->ref, "code");
			if (rs->county_code_col < 0)
				rs->county_mode = COUNTY_NONE;
			break;
		}
}

/* Indexes the plan target table when the rule set names one "targets". */
static void load_targets(struct loader *L)
{
	struct ruleset *rs = L->rs;
	struct reftable *t = find_table(rs, "targets", 7);
	char err[256];
	if (!t)
		return;
	rs->targets = xcalloc(1, sizeof *rs->targets);
	if (!targets_init(rs->targets, t, err, sizeof err)) {
		lerr(L, "refs.targets", false, "%s", err);
		free(rs->targets);
		rs->targets = NULL;
	}
}

/* Reads the top-level keys once the document parsed. */
static void load_root(struct loader *L, json_t *root)
{
	static const char *const keys[] = {
		"ruleset", "version", "title", "plan", "description", "match", "dialect",
		"refs", "columns", "unique", "duplicate_rows", "let", "views", "rules", "aggregates", "coverage", "exports",
		NULL};
	struct ruleset *rs = L->rs;
	if (!json_is_object(root)) {
		lerr(L, "", false, "a rule set must be a JSON object");
		return;
	}
	check_keys(L, root, "", keys);
	ruleset_load_about(L, root, "ruleset");
	rs->nmatch = get_strings(L, root, "match", "", &rs->match);
	load_dialect(L, root);
	load_refs(L, root, NULL);
	load_columns(L, root);
	load_uniques(L, root);
	load_duplicate_rows(L, root);
	find_county_column(rs);
	load_targets(L);
	if (!L->errors)
		rules_load(L, root);
}

void ruleset_load_about(struct loader *L, json_t *root, const char *id_key)
{
	struct ruleset *rs = L->rs;
	rs->id = dup_string(L, root, id_key, "", true);
	if (rs->id && !is_identifier(rs->id, true))
		lerr(L, id_key, false, "rule set id '%s' must be letters, digits, '-' and '_'", rs->id);
	rs->version = dup_string(L, root, "version", "", false);
	rs->plan = dup_string(L, root, "plan", "", false);
	get_text(L, root, "title", "", &rs->title_zh, &rs->title_en);
	char *desc_en = NULL;
	get_text(L, root, "description", "", &rs->description, &desc_en);
	free(desc_en);
}

void ruleset_load_refs(struct loader *L, json_t *root, const char *also)
{
	load_refs(L, root, also);
	load_targets(L);
}

struct ruleset *ruleset_load(const char *path)
{
	struct loader L;
	json_t *root = loader_open(&L, path);
	if (!root)
		return NULL;
	L.rs = xcalloc(1, sizeof *L.rs);
	L.rs->path = xstrdup(path);
	strmap_init(&L.rs->header_names);
	L.rs->match_ctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(L.rs->match_ctx, MATCH_LIMIT);
	pcre2_set_depth_limit(L.rs->match_ctx, DEPTH_LIMIT);
	load_root(&L, root);
	json_decref(root);
	free(L.text);
	if (L.errors) {
		ruleset_free(L.rs);
		return NULL;
	}
	return L.rs;
}

struct ruleset *ruleset_load_id(const char *dir, const char *id)
{
	struct buf path = {0};
	buf_addf(&path, "%s/%s.json", dir, id);
	if (access(path.data, R_OK) != 0)
		die(EXIT_TROUBLE, "unknown rule set '%s' (no %s); 'qy-rules list' shows them", id, path.data);
	struct ruleset *rs = ruleset_load(path.data);
	buf_free(&path);
	return rs;
}

const struct ruleset *ruleset_for_name(struct ruleset *const *sets, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++)
		if (ruleset_matches(sets[i], file))
			return sets[i];
	return NULL;
}

/* Frees a NULL-terminated or counted string list. */
static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->ncols; i++) {
		struct column *c = &rs->cols[i];
		free(c->name), free(c->label), free(c->unit), free(c->description);
		free_strings(c->aliases, c->naliases);
		free(c->min_text), free(c->max_text), free(c->pattern_src);
		free(c->pattern_zh), free(c->pattern_en);
		pcre2_match_data_free(c->match);
		pcre2_code_free(c->pattern);
		free_strings(c->enum_values, c->nenum);
		free(c->enum_lens);
		strmap_free(&c->enum_set);
		free(c->enum_text), free(c->ref_text);
	}
	rules_free(rs);
	if (rs->targets)
		targets_free(rs->targets);
	free(rs->targets);
	free(rs->cols);
	for (size_t i = 0; i < rs->nunique; i++)
		free(rs->uniques[i].cols), free(rs->uniques[i].id);
	free(rs->uniques);
	for (size_t i = 0; i < rs->nrefs; i++) {
		free(rs->refs[i].name), reftable_free(rs->refs[i].table);
		for (size_t l = 0; l < rs->refs[i].nlabels; l++)
			free(rs->refs[i].labels[l].column), free(rs->refs[i].labels[l].zh), free(rs->refs[i].labels[l].en);
		free(rs->refs[i].labels);
	}
	free(rs->refs);
	strmap_free(&rs->header_names);
	pcre2_match_context_free(rs->match_ctx);
	free_strings(rs->match, rs->nmatch);
	free(rs->id), free(rs->version), free(rs->title_zh), free(rs->title_en);
	free(rs->plan), free(rs->description), free(rs->path);
	free(rs->sheet);
	free(rs);
}

void column_allowed(const struct column *c, enum lang lang, struct buf *b)
{
	bool zh = lang == LANG_ZH;
	buf_reset(b);
	if (c->has_min && c->has_max)
		buf_addf(b, "%s–%s", c->min_text, c->max_text);
	else if (c->has_min)
		buf_addf(b, "≥ %s", c->min_text);
	else if (c->has_max)
		buf_addf(b, "≤ %s", c->max_text);
	if (c->min_length >= 0 || c->max_length >= 0) {
		buf_addf(b, "%s%s ", b->len ? "; " : "", zh ? "字符数" : "characters");
		if (c->max_length < 0)
			buf_addf(b, "≥ %ld", c->min_length);
		else
			buf_addf(b, "%ld–%ld", c->min_length < 0 ? 0 : c->min_length, c->max_length);
	}
	for (size_t i = 0; i < c->nenum; i++)
		buf_addf(b, "%s%s", i ? (zh ? "、" : ", ") : (b->len ? "; " : ""), c->enum_values[i]);
	if (c->pattern_src)
		buf_addf(b, "%s`%s`", b->len ? "; " : "", c->pattern_src);
	if (c->ref_text)
		buf_addf(b, "%s%s %s", b->len ? "; " : "", zh ? "见参考表" : "in", c->ref_text);
	if (!b->data)
		buf_adds(b, "");
}

const char *column_shown(const struct column *c)
{
	return c->label ? c->label : c->name;
}

int ruleset_column(const struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->ncols; i++)
		if (rs->cols[i].name && strcmp(rs->cols[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Lower-cases ASCII letters in place, so globs match whatever the case. */
static void ascii_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* A workbook's name as its CSV export would be called: "x.xlsx" → "x.csv"; NULL for other names. */
static char *as_csv_name(const char *name)
{
	static const char *const workbook_ext[] = {".xlsx", ".xlsm", ".xls"};
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof workbook_ext / sizeof *workbook_ext; i++) {
		size_t e = strlen(workbook_ext[i]);
		if (n > e && strcmp(name + n - e, workbook_ext[i]) == 0) {
			char *csv = xmalloc(n - e + 5);
			memcpy(csv, name, n - e);
			memcpy(csv + n - e, ".csv", 5);
			return csv;
		}
	}
	return NULL;
}

/* A glob written for "*.csv" matches the same name as a workbook: 英德市_空气质量日报.xlsx. */
bool ruleset_matches(const struct ruleset *rs, const char *filename)
{
	char *name = xstrdup(platform_basename(filename));
	ascii_lower(name);
	char *csv = as_csv_name(name);
	bool hit = false;
	for (size_t i = 0; i < rs->nmatch && !hit; i++) {
		char *glob = xstrdup(rs->match[i]);
		ascii_lower(glob);
		hit = fnmatch(glob, name, 0) == 0 || (csv && fnmatch(glob, csv, 0) == 0);
		free(glob);
	}
	free(name), free(csv);
	return hit;
}

int ruleset_load_dir(const char *dir, struct ruleset ***sets)
{
	*sets = NULL;
	char **names;
	long listed = rulefiles_list(dir, &names);
	if (listed < 0) {
		warnmsg("%s: cannot open rules directory: %s", dir, strerror(errno));
		return -1;
	}
	size_t n = (size_t)listed;
	int count = 0, failed = 0;
	*sets = xcalloc(n + 1, sizeof **sets);
	for (size_t i = 0; i < n; i++) {
		struct buf path = {0};
		buf_addf(&path, "%s/%s", dir, names[i]);
		struct ruleset *rs = ruleset_load(path.data);
		if (rs)
			(*sets)[count++] = rs;
		else
			failed = 1;
		buf_free(&path);
		free(names[i]);
	}
	free(names);
	return failed ? -1 : count;
}

/* True if path is an existing directory. */
static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * An installed QY_RULES_DIR is absolute; a relative one (the Windows zip)
 * lies beside the executable.  Failing both, a build tree's rules are one up
 * from the executable.
 */
const char *ruleset_default_dir(void)
{
	static char beside[PATH_MAX];
	const char *env = getenv("QY_RULES");
	if (env && *env)
		return env;
	bool installed = platform_is_absolute(QY_RULES_DIR);
	if (installed && is_dir(QY_RULES_DIR))
		return QY_RULES_DIR;
	const char *exe = platform_exe_dir();
	int n = exe ? snprintf(beside, sizeof beside, "%s/%s", exe, installed ? "../rules" : QY_RULES_DIR) : -1;
	if (n > 0 && (size_t)n < sizeof beside && (is_dir(beside) || !installed))
		return beside;
	return QY_RULES_DIR;
}

int ruleset_pattern_match(const struct ruleset *rs, pcre2_code *re, pcre2_match_data *md,
			  const char *s, size_t n)
{
	bool partial;
	if (utf8_valid_prefix((const unsigned char *)s, n, &partial) == n) {
		int rc = pcre2_jit_match(re, (PCRE2_SPTR)s, n, 0, 0, md, rs->match_ctx);
		if (rc != PCRE2_ERROR_JIT_BADOPTION)
			return rc; /* not JIT-compiled: the interpreter below */
	}
	return pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, rs->match_ctx);
}

struct reftable *ruleset_counties(const char *dir)
{
	char err[256];
	struct buf path = {0};
	buf_addf(&path, "%s/ref/counties.csv", dir ? dir : ruleset_default_dir());
	struct reftable *t = reftable_load(path.data, err, sizeof err);
	buf_free(&path);
	if (t && (reftable_column(t, "code") != 0 || t->name_col < 0)) {
		reftable_free(t);
		return NULL;
	}
	if (t)
		reftable_index(t, 0);
	return t;
}
