/*
 * qy-rules — list, show, lint and explain rule sets.
 *
 * usage: qy-rules [--rules-dir DIR] [--lang zh|en] [list] [--json]
 *        qy-rules show ID [--json]
 *        qy-rules lint FILE...
 *        qy-rules explain RULE-ID
 *        qy-rules check-functions
 *
 * lint runs exactly the checks qy-check runs when it loads a rule set, then
 * warns about rules that can never fire and an id that differs from the file
 * name (qy-check -r ID looks for ID.json).  check-functions evaluates the
 * standards' functions at every breakpoint and class limit and checks what
 * HJ 633-2012 and GB 3838-2002 say they give there.
 */
#include "cli.h"
#include "diag.h"
#include "expr.h"
#include "jsonw.h"
#include "platform.h"
#include "rules.h"
#include "ruleset.h"
#include "standards.h"
#include "table.h"
#include "utf8.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: qy-rules [options] [list]\n"
	"       qy-rules [options] show ID\n"
	"       qy-rules [options] lint FILE...\n"
	"       qy-rules [options] explain RULE-ID\n"
	"       qy-rules check-functions\n"
	"\n"
	"  list              the rule sets: id, title, version, file (also with no subcommand)\n"
	"  show ID           a rule set's columns and rules as tables\n"
	"  lint FILE...      check rule files as qy-check does; warn about rules that never fire\n"
	"  explain RULE-ID   what a rule (ruleset/rule, e.g. air-daily/pm25.range) checks\n"
	"  check-functions   aqi() and water_class() at every breakpoint and class limit\n"
	"\n"
	"      --rules-dir DIR  rules directory (default: $QY_RULES or the installed one)\n"
	"      --ref-dir DIR    another directory a rule set's reference tables may be in\n"
	"      --max-ref-size SIZE\n"
	"                       largest rule file or reference table, K, M or G suffix\n"
	"                       (default: 64M)\n"
	"      --json           list and show as JSON\n"
	"      --ids            list only the rule set ids, one a line\n"
	"      --rule-ids       list every rule id (ruleset/rule) of every rule set, one a line\n"
	"      --counties       list the county codes and names, a tab between, one a line\n"
	"      --lang LANG      zh or en (default from LANG)\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"\n"
	"Exit status: 0 fine, 2 usage error or unknown rule set, 3 a rule set is invalid.\n";

enum { OPT_RULES_DIR = 256, OPT_JSON, OPT_IDS, OPT_RULE_IDS, OPT_COUNTIES, OPT_LANG };

static const struct option long_options[] = {
	{"rules-dir", required_argument, NULL, OPT_RULES_DIR},
	{"json", no_argument, NULL, OPT_JSON},
	{"ids", no_argument, NULL, OPT_IDS},
	{"rule-ids", no_argument, NULL, OPT_RULE_IDS},
	{"counties", no_argument, NULL, OPT_COUNTIES},
	{"lang", required_argument, NULL, OPT_LANG},
	CLI_RULE_FILE_OPTIONS,
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"rules-dir", "DIR"}, {"ref-dir", "DIR"}, {"lang", "zh en"}, {NULL, NULL},
};

static const char *rules_dir;
static bool json, ids_only, rule_ids, counties;
static enum lang lang;

/* Picks the text of the chosen language, falling back to the other. */
static const char *in_lang(const char *zh, const char *en)
{
	const char *s = lang == LANG_ZH ? zh : en;
	return s ? s : lang == LANG_ZH ? en : zh;
}

/* Loads every rule set of the directory or exits 3. */
static int load_all(struct ruleset ***sets)
{
	int n = ruleset_load_dir(rules_dir, sets);
	if (n < 0)
		exit(access(rules_dir, R_OK) == 0 ? EXIT_BADRULES : EXIT_TROUBLE);
	return n;
}

static void free_all(struct ruleset **sets, int n)
{
	for (int i = 0; i < n; i++)
		ruleset_free(sets[i]);
	free(sets);
}

/* Loads one rule set by id, exiting 2 if there is none and 3 if it is invalid. */
static struct ruleset *load_one(const char *id)
{
	struct ruleset *rs = ruleset_load_id(rules_dir, id);
	if (!rs)
		exit(EXIT_BADRULES);
	return rs;
}

/* Appends "key": "value" (skipped when value is NULL). */
static void json_field(struct buf *b, const char *key, const char *value)
{
	if (!value)
		return;
	jsonw_key(b, key);
	jsonw_string(b, value, strlen(value));
}

/* True when a built-in check applies to a column: it can give a finding. */
static bool check_applies(const struct column *c, enum check k)
{
	switch (k) {
	case CHK_REQUIRED: return c->required;
	case CHK_CHECK_DIGIT: return c->type == TYPE_USCC || c->type == TYPE_PERMIT;
	case CHK_RANGE: return c->has_min || c->has_max;
	case CHK_LENGTH: return c->min_length >= 0 || c->max_length >= 0;
	case CHK_PATTERN: return c->pattern_src != NULL;
	case CHK_ENUM: return c->nenum > 0;
	case CHK_REFERENCE: case CHK_ALIAS: return c->ref != NULL;
	default: return true;
	}
}

/* Prints every rule id of a rule set that a finding can carry and explain takes, one a line. */
static void print_rule_ids(const struct ruleset *rs)
{
	for (size_t i = 0; i < rs->nrow_rules; i++)
		printf("%s/%s\n", rs->id, rs->row_rules[i].id);
	for (size_t i = 0; i < rs->naggregates; i++)
		printf("%s/%s\n", rs->id, rs->aggregates[i].id);
	for (size_t i = 0; i < rs->ncoverage; i++)
		printf("%s/%s\n", rs->id, rs->coverage[i].id);
	for (size_t i = 0; i < rs->nunique; i++)
		printf("%s/%s%s\n", rs->id, rs->uniques[i].id, rs->uniques[i].whole_row ? "" : ".unique");
	for (size_t i = 0; i < rs->ncols; i++)
		for (int k = 0; k < CHK_COUNT; k++)
			if (check_applies(&rs->cols[i], (enum check)k))
				printf("%s/%s.%s\n", rs->id, rs->cols[i].name, check_code((enum check)k));
}

/* Prints the county codes and names of the rules directory, a tab between (for completion). */
static int print_counties(void)
{
	struct reftable *t = ruleset_counties(rules_dir);
	if (!t)
		die(EXIT_TROUBLE, "no county table (ref/counties.csv with code and name) in the rules directory");
	for (size_t r = 0; r < t->nrows; r++)
		printf("%s\t%s\n", reftable_cell(t, r, 0), reftable_cell(t, r, t->name_col));
	reftable_free(t);
	return EXIT_PASS;
}

static int cmd_list(void)
{
	if (counties)
		return print_counties();
	struct ruleset **sets;
	int n = load_all(&sets);
	struct table *t = table_new(4);
	const char *head[] = {"id", lang == LANG_ZH ? "名称" : "title", lang == LANG_ZH ? "版本" : "version",
			      lang == LANG_ZH ? "文件" : "file"};
	table_add(t, head);
	for (int i = 0; i < n; i++) {
		const struct ruleset *rs = sets[i];
		if (ids_only) {
			puts(rs->id);
			continue;
		}
		if (rule_ids) {
			print_rule_ids(rs);
			continue;
		}
		if (json) {
			struct buf b = {0};
			buf_addc(&b, '{');
			json_field(&b, "id", rs->id);
			json_field(&b, "title", in_lang(rs->title_zh, rs->title_en));
			json_field(&b, "version", rs->version);
			json_field(&b, "file", rs->path);
			buf_adds(&b, "}\n");
			fputs(b.data, stdout);
			buf_free(&b);
			continue;
		}
		const char *row[] = {rs->id, in_lang(rs->title_zh, rs->title_en), rs->version, rs->path};
		table_add(t, row);
	}
	if (!json && !ids_only && !rule_ids)
		table_print(t, stdout, true);
	table_free(t);
	free_all(sets, n);
	return EXIT_PASS;
}

/* Joins group keys (a rule's, an export's) with ", ". */
static void group_text(struct expr *const *group, size_t n, struct buf *b)
{
	buf_reset(b);
	for (size_t g = 0; g < n; g++)
		buf_addf(b, "%s%s", g ? ", " : "", expr_source(group[g]));
}

/* Prints the exports qy-reconcile reads: id, the view they read from and the group, the values. */
static void exports_text(const struct ruleset *rs, struct buf *b)
{
	if (!rs->nexports)
		return;
	struct table *t = table_new(3);
	const char *head[] = {"export", "from / group", "values"};
	table_add(t, head);
	for (size_t i = 0; i < rs->nexports; i++) {
		const struct view *x = &rs->exports[i];
		struct buf values = {0};
		group_text(x->group, x->ngroup, b);
		if (x->from >= 0) {
			struct buf from = {0};
			buf_addf(&from, "%s: %s", rs->views[x->from].name, b->data ? b->data : "");
			buf_reset(b);
			buf_adds(b, from.data);
			buf_free(&from);
		}
		for (size_t k = 0; k < x->nvalues; k++)
			buf_addf(&values, "%s%s = %s", k ? ", " : "", x->value_names[k], expr_source(x->values[k]));
		const char *row[] = {x->name, b->data ? b->data : "", values.data ? values.data : ""};
		table_add(t, row);
		buf_free(&values);
	}
	printf("\n");
	table_print(t, stdout, true);
	table_free(t);
}

static void show_text(const struct ruleset *rs)
{
	struct buf b = {0};
	printf("%s %s — %s (%s)\n", rs->id, rs->version ? rs->version : "", in_lang(rs->title_zh, rs->title_en), rs->path);
	if (rs->plan)
		printf("plan: %s\n", rs->plan);
	for (size_t i = 0; i < rs->nmatch; i++)
		printf("%s%s", i ? ", " : "match: ", rs->match[i]);
	printf("%s\n", rs->nmatch ? "" : "match: (none)");
	struct table *t = table_new(6);
	const char *head[] = {"column", "label", "type", "required", "unit", "checks"};
	table_add(t, head);
	for (size_t i = 0; i < rs->ncols; i++) {
		const struct column *c = &rs->cols[i];
		column_allowed(c, lang, &b);
		const char *row[] = {c->name, c->label, coltype_name(c->type), c->required ? "yes" : "", c->unit, b.data};
		table_add(t, row);
	}
	printf("\n");
	table_print(t, stdout, true);
	table_free(t);
	size_t shown = 0;
	for (size_t i = 0; i < rs->nunique; i++)
		if (!rs->uniques[i].whole_row)
			printf("%s%s", shown++ ? ", " : "\nunique: ", rs->uniques[i].id);
	if (shown)
		printf("\n");
	for (size_t i = 0; i < rs->nunique; i++)
		if (rs->uniques[i].whole_row)
			printf("%sduplicate rows: %s\n", shown ? "" : "\n", severity_name(rs->uniques[i].severity));
	if (rs->nrow_rules + rs->naggregates + rs->ncoverage) {
		t = table_new(4);
		const char *rhead[] = {"rule", "severity", "when / group", "assert"};
		table_add(t, rhead);
		for (size_t i = 0; i < rs->nrow_rules; i++) {
			const struct written_rule *r = &rs->row_rules[i];
			const char *row[] = {r->id, severity_name(r->severity), r->when ? expr_source(r->when) : "",
					     expr_source(r->assert)};
			table_add(t, row);
		}
		for (size_t i = 0; i < rs->naggregates; i++) {
			const struct written_rule *r = &rs->aggregates[i];
			group_text(r->group, r->ngroup, &b);
			const char *row[] = {r->id, severity_name(r->severity), b.data, expr_source(r->assert)};
			table_add(t, row);
		}
		for (size_t i = 0; i < rs->ncoverage; i++) {
			const struct coverage_rule *c = &rs->coverage[i];
			buf_reset(&b);
			buf_addf(&b, "every %s%s%s", rs->cols[c->col].name, c->per ? " per " : "", c->per ? expr_source(c->per) : "");
			const char *row[] = {c->id, severity_name(c->severity), "", b.data};
			table_add(t, row);
		}
		printf("\n");
		table_print(t, stdout, true);
		table_free(t);
	}
	exports_text(rs, &b);
	buf_free(&b);
}

/* Appends "group": [the group keys' expressions], when there are any. */
static void group_json(struct buf *o, struct expr *const *group, size_t n)
{
	if (!n)
		return;
	jsonw_key(o, "group");
	buf_addc(o, '[');
	for (size_t g = 0; g < n; g++) {
		if (g)
			buf_addc(o, ',');
		jsonw_string(o, expr_source(group[g]), strlen(expr_source(group[g])));
	}
	buf_addc(o, ']');
}

/* Writes a written rule as a JSON object. */
static void rule_json(struct buf *o, const struct written_rule *r)
{
	buf_addc(o, '{');
	json_field(o, "id", r->id);
	json_field(o, "severity", severity_name(r->severity));
	json_field(o, "code", r->code);
	group_json(o, r->group, r->ngroup);
	json_field(o, "when", r->when ? expr_source(r->when) : NULL);
	json_field(o, "assert", expr_source(r->assert));
	json_field(o, "plan", r->plan);
	buf_addc(o, '}');
}

static void show_json(const struct ruleset *rs)
{
	struct buf o = {0}, b = {0};
	buf_addc(&o, '{');
	json_field(&o, "ruleset", rs->id);
	json_field(&o, "version", rs->version);
	json_field(&o, "title", in_lang(rs->title_zh, rs->title_en));
	json_field(&o, "plan", rs->plan);
	json_field(&o, "file", rs->path);
	jsonw_key(&o, "columns");
	buf_addc(&o, '[');
	for (size_t i = 0; i < rs->ncols; i++) {
		const struct column *c = &rs->cols[i];
		buf_adds(&o, i ? ",{" : "{");
		json_field(&o, "name", c->name);
		json_field(&o, "label", c->label);
		json_field(&o, "type", coltype_name(c->type));
		jsonw_key(&o, "required");
		buf_adds(&o, c->required ? "true" : "false");
		json_field(&o, "unit", c->unit);
		column_allowed(c, lang, &b);
		json_field(&o, "checks", b.len ? b.data : NULL);
		jsonw_key(&o, "severity");
		buf_addc(&o, '{');
		for (int k = 0; k < CHK_COUNT; k++)
			json_field(&o, check_code((enum check)k), severity_name(c->severity[k]));
		buf_adds(&o, "}}");
	}
	buf_addc(&o, ']');
	const char *lists[] = {"rules", "aggregates"};
	for (int l = 0; l < 2; l++) {
		const struct written_rule *rules = l ? rs->aggregates : rs->row_rules;
		size_t n = l ? rs->naggregates : rs->nrow_rules;
		jsonw_key(&o, lists[l]);
		buf_addc(&o, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_addc(&o, ',');
			rule_json(&o, &rules[i]);
		}
		buf_addc(&o, ']');
	}
	jsonw_key(&o, "exports");
	buf_addc(&o, '[');
	for (size_t i = 0; i < rs->nexports; i++) {
		const struct view *x = &rs->exports[i];
		buf_adds(&o, i ? ",{" : "{");
		json_field(&o, "id", x->name);
		json_field(&o, "from", x->from >= 0 ? rs->views[x->from].name : NULL);
		group_json(&o, x->group, x->ngroup);
		jsonw_key(&o, "values");
		buf_addc(&o, '{');
		for (size_t k = 0; k < x->nvalues; k++)
			json_field(&o, x->value_names[k], expr_source(x->values[k]));
		buf_adds(&o, "}}");
	}
	buf_addc(&o, ']');
	buf_adds(&o, "}\n");
	fputs(o.data, stdout);
	buf_free(&o), buf_free(&b);
}

static int cmd_show(const char *id)
{
	struct ruleset *rs = load_one(id);
	if (json)
		show_json(rs);
	else
		show_text(rs);
	ruleset_free(rs);
	return EXIT_PASS;
}

/* Warns about a constant when or assert: such a rule fires always or never. */
static int lint_constant(const char *file, const char *where, const char *id, const struct expr *e,
			 bool is_when)
{
	if (!e || !expr_is_constant(e))
		return 0;
	struct eval_ctx ctx = {0};
	struct value v = expr_eval(e, &ctx);
	bool is_true = v.type == V_BOOL && v.num, is_false = v.type == V_BOOL && !v.num;
	if (is_when && is_true)
		return 0;
	if (!is_when && is_false)
		fprintf(stderr, "%s: %s: %s: warning: rule '%s' fires on every row: its assert is always false\n",
			progname, file, where, id);
	else
		fprintf(stderr, "%s: %s: %s: warning: rule '%s' can never fire: its %s is always %s\n", progname,
			file, where, id, is_when ? "when" : "assert", is_true ? "true" : is_false ? "false" : "null");
	return 1;
}

/*
 * Warns about a row rule whose assert a blank cell can make null, so that the
 * rule goes silent on that row: an input neither required by the column, nor
 * listed in the rule's requires, nor tested in its when.
 */
static int lint_silent_on_null(const char *file, const char *where, const struct ruleset *rs,
			       const struct written_rule *r)
{
	bool *covered = xcalloc(rs->ncols + 1, sizeof *covered);
	size_t *inputs = xcalloc(rs->ncols + 1, sizeof *inputs);
	for (size_t c = 0; c < rs->ncols; c++)
		covered[c] = rs->cols[c].required;
	for (size_t k = 0; k < r->nrequires; k++)
		covered[r->requires[k]] = true;
	const size_t *cols;
	size_t n = r->when ? expr_columns(r->when, &cols) : 0;
	for (size_t k = 0; k < n; k++)
		covered[cols[k]] = true;
	n = expr_null_inputs(r->assert, covered, rs->ncols, inputs);
	struct buf names = {0};
	for (size_t k = 0; k < n; k++)
		buf_addf(&names, "%s'%s'", k ? ", " : "", rs->cols[inputs[k]].name);
	if (n)
		fprintf(stderr, "%s: %s: %s: warning: rule '%s' is silent when %s %s blank: list %s in 'requires' "
			"(a cannot-verify finding) or test %s in 'when'\n", progname, file, where, r->id, names.data,
			n > 1 ? "are" : "is", n > 1 ? "them" : "it", n > 1 ? "them" : "it");
	buf_free(&names);
	free(covered);
	free(inputs);
	return n > 0;
}

/* Lints one loaded rule set; returns the number of warnings. */
static int lint_rules(const char *file, const struct ruleset *rs)
{
	int warnings = 0;
	char where[64];
	const char *base = platform_basename(file);
	if (strlen(base) != strlen(rs->id) + 5 || strncmp(base, rs->id, strlen(rs->id)) != 0) {
		fprintf(stderr, "%s: %s: warning: rule set id '%s' differs from the file name: qy-check -r %s looks for %s.json\n",
			progname, file, rs->id, rs->id, rs->id);
		warnings++;
	}
	if (!rs->nmatch) {
		fprintf(stderr, "%s: %s: warning: no 'match' globs: files are checked against it only with -r or --rules\n",
			progname, file);
		warnings++;
	}
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		snprintf(where, sizeof where, "rules[%zu]", i);
		int never = lint_constant(file, where, rs->row_rules[i].id, rs->row_rules[i].when, true);
		warnings += never;
		warnings += lint_constant(file, where, rs->row_rules[i].id, rs->row_rules[i].assert, false);
		if (!never)
			warnings += lint_silent_on_null(file, where, rs, &rs->row_rules[i]);
	}
	for (size_t i = 0; i < rs->naggregates; i++) {
		snprintf(where, sizeof where, "aggregates[%zu]", i);
		warnings += lint_constant(file, where, rs->aggregates[i].id, rs->aggregates[i].when, true);
		warnings += lint_constant(file, where, rs->aggregates[i].id, rs->aggregates[i].assert, false);
	}
	for (size_t i = 0; i < rs->ncoverage; i++)
		if (rs->coverage[i].nexpected == 0) {
			fprintf(stderr, "%s: %s: coverage[%zu]: warning: rule '%s' can never fire: it expects no keys\n",
				progname, file, i, rs->coverage[i].id);
			warnings++;
		}
	return warnings;
}

static int cmd_lint(char **files, int n)
{
	int rc = EXIT_PASS;
	for (int i = 0; i < n; i++) {
		struct ruleset *rs = ruleset_load(files[i]);
		if (!rs) {
			rc = access(files[i], R_OK) == 0 ? EXIT_BADRULES : (rc == EXIT_BADRULES ? rc : EXIT_TROUBLE);
			continue;
		}
		int warnings = lint_rules(files[i], rs);
		printf("%s: ok: %zu columns, %zu rules, %zu aggregates, %zu coverage%s\n", files[i], rs->ncols,
		       rs->nrow_rules, rs->naggregates, rs->ncoverage, warnings ? " (with warnings)" : "");
		ruleset_free(rs);
	}
	return rc;
}

/* What the file-level checks mean, for explain. */
static const struct { const char *code, *zh, *en; } structural[] = {
	{"io-error", "文件无法读取", "the file could not be read"},
	{"no-ruleset", "没有规则集与文件名匹配（表头相符时按其检查，为警告）", "no rule set matches the file name (a warning when the file was checked with the rule set its header fits)"},
	{"wrong-ruleset", "表头缺少所用规则集的必填列而与另一规则集相符：未检查", "the header lacks required columns of the rule set given and fits another: not checked"},
	{"encoding-error", "字节不符合文件编码（给出字节偏移），含 NUL 字节或为 UTF-16", "bytes not valid in the file's encoding (with the byte offset), a NUL byte, or a UTF-16 file"},
	{"legacy-encoding", "按 GB18030/GBK 读取（自动判断或已声明）为提示；声明为 UTF-8 的文件实为 GB18030 时不读取，为错误并给出改法", "read as GB18030/GBK, detected or declared (info); GB18030 where UTF-8 was declared is not read (an error naming the fix)"},
	{"bom", "文件带 UTF-8 BOM，已去除", "a UTF-8 byte-order mark was stripped"},
	{"empty-file", "文件为空、找不到表头，或只有表头", "the file is empty, has no header, or has only a header"},
	{"missing-column", "缺少必填列（错误）或可选列（提示）", "a required column (error) or an optional one (info) is absent"},
	{"unknown-column", "表头中有规则集不认识的列，不做检查", "a header cell names no column; it is not checked"},
	{"duplicate-column", "同一列在表头中出现两次，只检查第一次", "a column appears twice in the header; only the first is checked"},
	{"blank-header", "表头单元格为空", "a header cell is blank"},
	{"extra-cell", "本行单元格多于表头列数", "the row has more cells than the header"},
	{"missing-cell", "本行单元格少于表头列数", "the row has fewer cells than the header"},
	{"blank-row", "空行", "a blank row"},
	{"unterminated-quote", "引号未闭合，字段延续到文件末尾", "a quoted field runs to the end of the file"},
	{"cell-too-large", "单元格超过 --max-field 上限", "a cell exceeds --max-field"},
	{"file-type", "文件既不是 CSV 也不是工作簿（Word、OpenDocument、PDF 等），并说明如何另存", "the file is neither CSV nor a workbook (Word, OpenDocument, PDF …); the message says how to save the table"},
	{"workbook", "工作簿无法读取或超出上限；公式没有保存计算结果；单元格为错误值（如 #N/A）", "a workbook cannot be read or reaches a limit; a formula without a saved value; an error value such as #N/A"},
};

/* Describes one built-in check of a column. */
static void describe_check(const struct column *c, enum check k, struct buf *b)
{
	bool zh = lang == LANG_ZH;
	const char *label = c->label ? c->label : c->name;
	switch (k) {
	case CHK_REQUIRED: buf_addf(b, zh ? "「%s」不能为空" : "'%s' must not be empty", label); break;
	case CHK_TYPE: buf_addf(b, zh ? "「%s」须为 %s" : "'%s' must be %s", label, coltype_form(c->type)); break;
	case CHK_CHECK_DIGIT: buf_addf(b, zh ? "「%s」的校验位须符合 GB 32100-2015" : "the check character of '%s' must follow GB 32100-2015", label); break;
	case CHK_RANGE: case CHK_LENGTH: {
		struct buf allowed = {0};
		column_allowed(c, lang, &allowed);
		buf_addf(b, zh ? "「%s」：%s" : "'%s': %s", label, allowed.data);
		buf_free(&allowed);
		break;
	}
	case CHK_PATTERN:
		if (c->pattern_zh)
			buf_addf(b, zh ? "「%s」须为%s（%s）" : "'%s' must be %s (%s)", label, zh ? c->pattern_zh : c->pattern_en,
				 c->pattern_src);
		else
			buf_addf(b, zh ? "「%s」须匹配 %s" : "'%s' must match %s", label, c->pattern_src ? c->pattern_src : "");
		break;
	case CHK_ENUM: buf_addf(b, zh ? "「%s」须为 %s" : "'%s' must be %s", label, c->enum_text ? c->enum_text : ""); break;
	case CHK_REFERENCE:
		if (c->ref_zh)
			buf_addf(b, zh ? "「%s」须出现在%s（%s）中" : "'%s' must be in %s (%s)", label, zh ? c->ref_zh : c->ref_en,
				 c->ref_text);
		else
			buf_addf(b, zh ? "「%s」须出现在参考表 %s 中" : "'%s' must be in reference table %s", label,
				 c->ref_text ? c->ref_text : "");
		break;
	case CHK_ALIAS: buf_addf(b, zh ? "「%s」用了别名而非规范写法（%s）" : "'%s' uses an alias rather than the canonical form (%s)", label, c->ref_text ? c->ref_text : ""); break;
	default: buf_addf(b, zh ? "「%s」首尾不能有空格，数字须为半角" : "'%s' has no leading or trailing blanks and half-width digits", label); break;
	}
}

/* Prints one "label: value" line of an explanation. */
static void line(const char *zh, const char *en, const char *value)
{
	const char *label = lang == LANG_ZH ? zh : en;
	if (!value || !*value)
		return;
	fputs(label, stdout);
	for (size_t w = utf8_width(label, strlen(label)); w < 11; w++)
		fputc(' ', stdout);
	printf("%s\n", value);
}

static void explain_written(const struct ruleset *rs, const struct written_rule *r, const char *kind)
{
	struct buf b = {0};
	printf("%s/%s — %s\n", rs->id, r->id, kind);
	line("级别:", "severity:", severity_name(r->severity));
	line("代码:", "code:", r->code);
	line("说明:", "about:", in_lang(r->description[0], r->description[1]));
	if (r->ngroup) {
		group_text(r->group, r->ngroup, &b);
		line("分组:", "group:", b.data);
	}
	line("条件:", "when:", r->when ? expr_source(r->when) : NULL);
	line("检查:", "assert:", expr_source(r->assert));
	line("规划:", "plan:", r->plan ? r->plan : rs->plan);
	buf_reset(&b);
	const struct template *t = &r->message[lang];
	for (size_t i = 0; i < t->nparts; i++) {
		if (t->parts[i].expr)
			buf_addf(&b, "{=%s}", expr_source(t->parts[i].expr));
		else if (t->parts[i].is_name)
			buf_addf(&b, "{%s}", t->parts[i].text);
		else
			buf_adds(&b, t->parts[i].text);
	}
	line("示例:", "example:", b.len ? b.data : NULL);
	buf_free(&b);
}

static int cmd_explain(const char *rule_id)
{
	const char *slash = strchr(rule_id, '/');
	if (!slash)
		cli_usage_error("a rule id is RULESET/RULE, e.g. air-daily/pm25.range, not '%s'", rule_id);
	char *set = xstrndup(rule_id, (size_t)(slash - rule_id));
	const char *local = slash + 1;
	struct ruleset *rs = load_one(set);
	free(set);
	bool zh = lang == LANG_ZH, found = false;
	for (size_t i = 0; i < rs->nrow_rules; i++)
		if (!strcmp(rs->row_rules[i].id, local) && (found = true))
			explain_written(rs, &rs->row_rules[i], zh ? "行规则（逐行检查）" : "row rule (checked on every row)");
	for (size_t i = 0; i < rs->naggregates; i++)
		if (!strcmp(rs->aggregates[i].id, local) && (found = true))
			explain_written(rs, &rs->aggregates[i], zh ? "汇总规则（按分组在读完文件后检查）" : "aggregate (checked per group after the last row)");
	for (size_t i = 0; i < rs->ncoverage; i++)
		if (!strcmp(rs->coverage[i].id, local) && (found = true)) {
			const struct coverage_rule *c = &rs->coverage[i];
			printf("%s/%s — %s\n", rs->id, c->id, zh ? "覆盖规则（应出现的取值）" : "coverage (values that must appear)");
			line("级别:", "severity:", severity_name(c->severity));
			line("列:", "column:", rs->cols[c->col].name);
			line("分组:", "per:", c->per ? expr_source(c->per) : NULL);
			line("规划:", "plan:", c->plan ? c->plan : rs->plan);
		}
	const char *dot = strrchr(local, '.');
	for (size_t i = 0; dot && i < rs->ncols; i++) {
		const struct column *c = &rs->cols[i];
		if (strlen(c->name) != (size_t)(dot - local) || strncmp(c->name, local, (size_t)(dot - local)))
			continue;
		for (int k = 0; k < CHK_COUNT; k++) {
			if (strcmp(check_code((enum check)k), dot + 1))
				continue;
			found = true;
			struct buf b = {0};
			describe_check(c, (enum check)k, &b);
			printf("%s/%s — %s\n", rs->id, local, zh ? "列检查（内置）" : "column check (built in)");
			line("级别:", "severity:", severity_name(c->severity[k]));
			line("检查:", "checks:", b.data);
			line("单位:", "unit:", c->unit);
			line("说明:", "about:", c->description);
			buf_free(&b);
		}
	}
	for (size_t i = 0; dot && i < rs->nunique; i++)
		if (strlen(rs->uniques[i].id) == (size_t)(dot - local) && !strncmp(rs->uniques[i].id, local, (size_t)(dot - local)) &&
		    !strcmp(dot + 1, "unique") && (found = true)) {
			printf("%s/%s — %s\n", rs->id, local, zh ? "唯一键" : "unique key");
			line("级别:", "severity:", severity_name(rs->uniques[i].severity));
			line("检查:", "checks:", zh ? "这些列的取值组合在文件中只能出现一次；重复时指出首次出现的行" : "the combination appears once in the file; a repeat names the row of the first");
		}
	for (size_t i = 0; i < rs->nunique; i++)
		if (rs->uniques[i].whole_row && !strcmp(local, rs->uniques[i].id) && (found = true)) {
			printf("%s/%s — %s\n", rs->id, local, zh ? "重复行检查（内置，规则集开启）" : "duplicate-row check (built in, on in this rule set)");
			line("级别:", "severity:", severity_name(rs->uniques[i].severity));
			line("检查:", "checks:", zh ? "同一行（每个单元格，空白也算，首尾空格不计）在文件中只能出现一次；重复时指出首次出现的行"
					      : "a row (every cell, blanks included, leading and trailing blanks not) appears once in the file; a repeat names the row of the first");
		}
	for (size_t i = 0; i < sizeof structural / sizeof *structural; i++)
		if (!strcmp(structural[i].code, local) && (found = true)) {
			printf("%s/%s — %s\n", rs->id, local, zh ? "文件结构检查（内置）" : "file structure check (built in)");
			line("检查:", "checks:", zh ? structural[i].zh : structural[i].en);
		}
	if (!found)
		warnmsg("no rule '%s' in rule set '%s'; 'qy-rules show %s' lists them", local, rs->id, rs->id);
	ruleset_free(rs);
	return found ? EXIT_PASS : EXIT_TROUBLE;
}

/* One self-check as a table row: what was computed, what the standard says; counts a failure. */
static void expect_int(struct table *t, int *failed, const char *item, const char *where, double arg, int got,
		       bool have, int want, bool want_have)
{
	bool ok = have == want_have && (!have || got == want);
	char value[32], result[16], standard[16];
	*failed += !ok;
	snprintf(value, sizeof value, "%.10g", arg);
	snprintf(result, sizeof result, have ? "%d" : "none", got);
	snprintf(standard, sizeof standard, want_have ? "%d" : "none", want);
	const char *cells[] = {item, where, value, result, standard, ok ? "ok" : "WRONG"};
	table_add(t, cells);
}

/* A table for the self-check, its numbers right-aligned. */
static struct table *check_table(const char *result)
{
	struct table *t = table_new(6);
	table_align_right(t, 2), table_align_right(t, 3), table_align_right(t, 4);
	const char *head[] = {"item", "where", "value", result, "standard", "check"};
	table_add(t, head);
	return t;
}

/*
 * aqi() at every HJ 633-2012 breakpoint (the step's index exactly), just
 * above it (one more, as the index is rounded up) and halfway along each
 * segment (the mean of its steps); water_class() at every GB 3838-2002 limit
 * (the better class where two share it) and just past it (a worse class).
 */
static int cmd_check_functions(void)
{
	int failed = 0, iaqi;
	char where[64];
	struct table *t = check_table("IAQI");
	printf("aqi(), HJ 633-2012 Table 1\n\n");
	for (int item = 0; item < AQI_ITEMS; item++) {
		int n;
		const int *bp = aqi_breakpoints(item, &n);
		const char *name = aqi_item_name(item);
		for (int i = 0; i < n; i++) {
			snprintf(where, sizeof where, "breakpoint %d", i);
			bool have = aqi_individual(item, bp[i], &iaqi);
			expect_int(t, &failed, name, where, bp[i], iaqi, have, aqi_step(i), true);
			have = aqi_individual(item, bp[i] + 0.001, &iaqi);
			expect_int(t, &failed, name, "just above", bp[i] + 0.001, iaqi, have, aqi_step(i) + 1, i + 1 < n);
			if (i + 1 < n) {
				double mid = (bp[i] + bp[i + 1]) / 2.0;
				have = aqi_individual(item, mid, &iaqi);
				expect_int(t, &failed, name, "halfway", mid, iaqi, have, (aqi_step(i) + aqi_step(i + 1)) / 2, true);
			}
		}
	}
	table_print(t, stdout, true);
	table_free(t);
	t = check_table("class");
	printf("\nwater_class(), GB 3838-2002 Table 1 (lake limits for tp_lake and tn)\n\n");
	for (int item = W_DO; item <= W_TP_LAKE; item++) {
		if (item == W_FECAL || item == W_ITEMS)
			continue;
		const double *lim = water_limits(item);
		bool lake = item == W_TN;
		const char *name = water_item_name(item);
		for (int k = 0; k < 5; k++) {
			if (k > 0 && lim[k - 1] == lim[k])
				continue; /* a limit two classes share: judged at its better class */
			snprintf(where, sizeof where, "class %s limit", water_class_name(k + 1));
			expect_int(t, &failed, name, where, lim[k], water_class_of(item, lim[k], lake), true, k + 1, true);
			double past = item == W_DO ? lim[k] - lim[k] / 1000 : lim[k] + lim[k] / 1000;
			int next = k + 1;
			while (next < 5 && lim[next] == lim[k])
				next++;
			expect_int(t, &failed, name, "just past it", past, water_class_of(item, past, lake), true, next + 1, true);
		}
	}
	static const double ph[] = {5.9, 6, 9, 9.1};
	for (int i = 0; i < 4; i++)
		expect_int(t, &failed, "ph", "6–9, every class", ph[i], water_class_of(W_PH, ph[i], false), true,
			   ph[i] >= 6 && ph[i] <= 9 ? 1 : 6, true);
	table_print(t, stdout, true);
	table_free(t);
	printf("\n%s\n", failed ? "some functions disagree with the standards" : "every check agrees with the standards");
	return failed ? EXIT_FINDINGS : EXIT_PASS;
}

int main(int argc, char **argv)
{
	int c;
	cli_init("qy-rules");
	lang = lang_from_env();
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_RULES_DIR: rules_dir = optarg; break;
		case OPT_JSON: json = true; break;
		case OPT_IDS: ids_only = true; break;
		case OPT_RULE_IDS: rule_ids = true; break;
		case OPT_COUNTIES: counties = true; break;
		case OPT_LANG: lang = cli_lang(optarg); break;
		default:
			if (!cli_rule_file_option(c, optarg))
				cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	if (!rules_dir)
		rules_dir = ruleset_default_dir();
	const char *cmd = optind < argc ? argv[optind++] : "list"; /* alone, it lists the rule sets */
	int nargs = argc - optind;
	int rc;
	if (!strcmp(cmd, "list") && nargs == 0)
		rc = cmd_list();
	else if (!strcmp(cmd, "show") && nargs == 1)
		rc = cmd_show(argv[optind]);
	else if (!strcmp(cmd, "lint") && nargs >= 1)
		rc = cmd_lint(argv + optind, nargs);
	else if (!strcmp(cmd, "explain") && nargs == 1)
		rc = cmd_explain(argv[optind]);
	else if (!strcmp(cmd, "check-functions") && nargs == 0)
		rc = cmd_check_functions();
	else if (strcmp(cmd, "list") && strcmp(cmd, "show") && strcmp(cmd, "lint") && strcmp(cmd, "explain") &&
		 strcmp(cmd, "check-functions"))
		cli_usage_error("unknown subcommand '%s' (list, show, lint, explain, check-functions)", cmd);
	else
		cli_usage_error("wrong arguments for '%s'", cmd);
	close_stdout();
	return rc;
}
