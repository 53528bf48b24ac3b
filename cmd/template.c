/*
 * qy-template — a blank submission template for a rule set, or its data
 * dictionary.
 *
 * usage: qy-template [--bom] [--names] ID
 *        qy-template --dictionary [--lang zh|en] ID
 *
 * The template is one CSV header row: the columns' labels, whatever the
 * language (their names with --names), which qy-check matches back to the
 * columns.  --bom starts it
 * with a UTF-8 byte-order mark so that Excel opens it as UTF-8.  The
 * dictionary is Markdown: each column's label, type, unit, whether it is
 * required, its allowed values and the rules that read it.
 */
#include "cli.h"
#include "csvwrite.h"
#include "diag.h"
#include "expr.h"
#include "rules.h"
#include "ruleset.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: qy-template [--bom] [--names] ID\n"
	"       qy-template --dictionary [--lang zh|en] ID\n"
	"\n"
	"Print a blank CSV template (the header row) for rule set ID, or its data\n"
	"dictionary in Markdown.\n"
	"\n"
	"      --bom            start the CSV with a UTF-8 byte-order mark (for Excel)\n"
	"      --names          a header of the column names, not their labels\n"
	"      --dictionary     print the data dictionary instead\n"
	"      --lang LANG      the dictionary's language, zh or en; default from LANG\n"
	"      --rules-dir DIR  rules directory (default: $QY_RULES or the installed one)\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n";

enum { OPT_BOM = 256, OPT_DICTIONARY, OPT_LANG, OPT_RULES_DIR, OPT_NAMES };

static const struct option long_options[] = {
	{"bom", no_argument, NULL, OPT_BOM},
	{"dictionary", no_argument, NULL, OPT_DICTIONARY},
	{"names", no_argument, NULL, OPT_NAMES},
	{"lang", required_argument, NULL, OPT_LANG},
	{"rules-dir", required_argument, NULL, OPT_RULES_DIR},
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"lang", "zh en"}, {"rules-dir", "DIR"}, {NULL, NULL},
};

/* Writes the template: one header row of the labels (or names), after a BOM on request. */
static void print_template(const struct ruleset *rs, bool names, bool bom)
{
	struct buf line = {0};
	if (bom)
		buf_adds(&line, "\xEF\xBB\xBF");
	for (size_t i = 0; i < rs->ncols; i++) {
		const char *text = names ? rs->cols[i].name : column_shown(&rs->cols[i]);
		if (i)
			buf_addc(&line, ',');
		csvw_cell(&line, text, strlen(text), ',');
	}
	buf_addc(&line, '\n');
	fwrite(line.data, 1, line.len, stdout);
	buf_free(&line);
}

/* Writes text for a Markdown table cell: pipes escaped, line breaks as spaces. */
static void md_cell(const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", stdout);
		else if (*s == '\n' || *s == '\r')
			putchar(' ');
		else
			putchar(*s);
	}
}

/* True if expression e reads column col. */
static bool reads(const struct expr *e, size_t col)
{
	const size_t *cols;
	size_t n = e ? expr_columns(e, &cols) : 0;
	for (size_t i = 0; i < n; i++)
		if (cols[i] == col)
			return true;
	return false;
}

/* Lists the written rules and unique keys that read a column. */
static void rules_touching(const struct ruleset *rs, size_t col, struct buf *b)
{
	buf_reset(b);
	for (size_t i = 0; i < rs->nunique; i++)
		for (size_t k = 0; k < rs->uniques[i].ncols; k++)
			if (rs->uniques[i].cols[k] == col)
				buf_addf(b, "%s%s.unique", b->len ? ", " : "", rs->uniques[i].id);
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		const struct written_rule *r = &rs->row_rules[i];
		if (reads(r->when, col) || reads(r->assert, col))
			buf_addf(b, "%s%s", b->len ? ", " : "", r->id);
	}
	for (size_t i = 0; i < rs->naggregates; i++) {
		const struct written_rule *r = &rs->aggregates[i];
		bool hit = reads(r->when, col) || reads(r->assert, col);
		for (size_t g = 0; g < r->ngroup && !hit; g++)
			hit = reads(r->group[g], col);
		if (hit)
			buf_addf(b, "%s%s", b->len ? ", " : "", r->id);
	}
	for (size_t i = 0; i < rs->ncoverage; i++)
		if (rs->coverage[i].col == col)
			buf_addf(b, "%s%s", b->len ? ", " : "", rs->coverage[i].id);
}

static void print_dictionary(const struct ruleset *rs, enum lang lang)
{
	bool zh = lang == LANG_ZH;
	struct buf a = {0}, r = {0};
	printf("# %s (%s)\n\n", zh ? (rs->title_zh ? rs->title_zh : rs->id) : (rs->title_en ? rs->title_en : rs->id), rs->id);
	if (rs->plan)
		printf("%s%s\n\n", zh ? "规划依据：" : "Plan: ", rs->plan);
	if (rs->description)
		printf("%s\n\n", rs->description);
	printf(zh ? "| 列 | 名称 | 类型 | 单位 | 必填 | 允许值 | 相关规则 |\n"
		  : "| column | label | type | unit | required | allowed values | rules that read it |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < rs->ncols; i++) {
		const struct column *c = &rs->cols[i];
		column_allowed(c, lang, &a);
		rules_touching(rs, i, &r);
		printf("| `%s` | ", c->name);
		md_cell(c->label);
		printf(" | %s | ", coltype_name(c->type));
		md_cell(c->unit);
		printf(" | %s | ", c->required ? (zh ? "是" : "yes") : "");
		md_cell(a.data);
		printf(" | ");
		md_cell(r.data);
		printf(" |\n");
	}
	buf_free(&a), buf_free(&r);
}

int main(int argc, char **argv)
{
	int c;
	bool bom = false, dictionary = false, names = false;
	const char *dir = NULL;
	enum lang lang = lang_from_env();
	cli_init("qy-template");
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_BOM: bom = true; break;
		case OPT_DICTIONARY: dictionary = true; break;
		case OPT_NAMES: names = true; break;
		case OPT_RULES_DIR: dir = optarg; break;
		case OPT_LANG: lang = cli_lang(optarg); break;
		default:
			cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	if (optind + 1 != argc)
		cli_usage_error("name one rule set, e.g. qy-template air-daily");
	if ((bom || names) && dictionary)
		cli_usage_error("--bom and --names apply to the CSV template, not to --dictionary");
	struct ruleset *rs = ruleset_load_id(dir ? dir : ruleset_default_dir(), argv[optind]);
	if (!rs)
		return EXIT_BADRULES;
	if (dictionary)
		print_dictionary(rs, lang);
	else
		print_template(rs, names, bom);
	ruleset_free(rs);
	close_stdout();
	return EXIT_PASS;
}
