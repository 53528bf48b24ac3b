/*
 * qy-reconcile — check a batch of submissions as a whole: join the facts
 * that qy-check exported from each file and say where the tables disagree,
 * which key has no partner, what was sent twice and what was not sent.
 *
 * usage: qy-reconcile [--rules FILE]... [--period RANGE] [options] [STREAM...]
 *
 * Reads diagnostic streams (files or stdin) and copies them through
 * unchanged; keeps their facts records (design.md §3.4), then writes its own
 * findings (code reconcile or coverage, with the other side in "related")
 * and one "reconcile" record with their counts and status.  The rules come
 * from the reconciliation rule sets of the rules directory's reconcile/, or
 * --rules; the exports they read, from the table rule sets beside them.
 * Memory grows with the facts records, not with the rows behind them.
 */
#include "cli.h"
#include "diag.h"
#include "jsonw.h"
#include "platform.h"
#include "reconcile.h"
#include "rulefiles.h"
#include "ruleset.h"
#include "stream.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: qy-reconcile [--rules FILE]... [options] [STREAM...]\n"
	"\n"
	"Join the facts of a checked batch (the diagnostic stream of qy-check, files or\n"
	"stdin) across files, copy the stream through and add the findings.\n"
	"\n"
	"      --rules FILE       a reconciliation rule set (again for more; default: every\n"
	"                         reconcile/*.json of the rules directory)\n"
	"      --rules-dir DIR    rules directory, with the table rule sets the rules read\n"
	"                         (default: $QY_RULES or the installed one)\n"
	"      --ref-dir DIR      another directory a rule set's reference tables may be in\n"
	"      --max-ref-size SIZE\n"
	"                         largest rule file or reference table, K, M or G suffix\n"
	"      --period RANGE     the months or years each county must have sent every table\n"
	"                         for: 2025-01..2025-06, 2025-03, 2025 or 2021..2025\n"
	"      --format FMT       json (the stream and the findings) or text (the findings)\n"
	"                         (default: text on a terminal, else json)\n"
	"      --color WHEN       auto, always or never (text format)\n"
	"      --lang LANG        zh or en (default from LANG)\n"
	"      --fail-on LEVEL    error, warning or never (default: error)\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"\n"
	"Exit status: 0 nothing at or above the fail level, 1 findings, 2 a stream could\n"
	"not be read or is broken, or usage error, 3 a rule set is invalid.\n";

enum { OPT_RULES = 256, OPT_RULES_DIR, OPT_PERIOD, OPT_FORMAT, OPT_COLOR, OPT_LANG, OPT_FAIL_ON };

static const struct option long_options[] = {
	{"rules", required_argument, NULL, OPT_RULES},
	{"rules-dir", required_argument, NULL, OPT_RULES_DIR},
	CLI_RULE_FILE_OPTIONS,
	{"period", required_argument, NULL, OPT_PERIOD},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"color", required_argument, NULL, OPT_COLOR},
	{"lang", required_argument, NULL, OPT_LANG},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"rules", "FILE"}, {"rules-dir", "DIR"}, {"ref-dir", "DIR"}, {"format", "json text"},
	{"color", "auto always never"}, {"lang", "zh en"}, {"fail-on", "error warning never"}, {NULL, NULL},
};

struct settings {
	const char **rules;          /* --rules, in order */
	size_t nrules;
	const char *rules_dir;
	struct period_range period;
	bool has_period;
	struct diag_options diag;
};

/* Reads the command line into s; returns the index of the first stream argument. */
static int parse_args(int argc, char **argv, struct settings *s)
{
	const char *color = "auto", *format = NULL;
	int c;
	s->diag.lang = lang_from_env();
	s->diag.fail_on = SEV_ERROR;
	s->diag.max_per_rule = s->diag.max_errors = -1;
	s->diag.out = stdout;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_RULES:
			s->rules = xrealloc(s->rules, (s->nrules + 1) * sizeof *s->rules);
			s->rules[s->nrules++] = optarg;
			break;
		case OPT_RULES_DIR: s->rules_dir = optarg; break;
		case OPT_PERIOD:
			if (!period_parse(optarg, &s->period))
				cli_usage_error("--period takes months or years, such as 2025-01..2025-06, 2025-03, "
						"2025 or 2021..2025, not '%s'", optarg);
			s->has_period = true;
			break;
		case OPT_FORMAT: format = optarg; break;
		case OPT_COLOR: color = optarg; break;
		case OPT_LANG: s->diag.lang = cli_lang(optarg); break;
		case OPT_FAIL_ON: s->diag.fail_on = cli_fail_on(optarg); break;
		default:
			if (!cli_rule_file_option(c, optarg))
				cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	s->diag.format = cli_format(format, STDOUT_FILENO);
	s->diag.color = cli_color(color, STDOUT_FILENO) && s->diag.format == OUT_TEXT;
	return optind;
}

/*
 * Loads the rule sets: those given, or every reconcile/NAME.json of the rules
 * directory in name order.  Exits 3 when one is invalid, 2 when one cannot
 * be read or there are none.
 */
static void load_sets(struct reconciler *r, const struct settings *s)
{
	bool ok = true;
	for (size_t i = 0; i < s->nrules; i++)
		if (!reconciler_load(r, s->rules[i]))
			exit(access(s->rules[i], R_OK) == 0 ? EXIT_BADRULES : EXIT_TROUBLE);
	if (s->nrules)
		return;
	struct buf dir = {0};
	buf_addf(&dir, "%s/reconcile", r->rules_dir);
	char **names;
	long n = rulefiles_list(dir.data, &names);
	if (n < 0)
		die(EXIT_TROUBLE, "%s: cannot open the reconciliation rules: %s", dir.data, strerror(errno));
	for (long i = 0; i < n; i++) {
		struct buf path = {0};
		buf_addf(&path, "%s/%s", dir.data, names[i]);
		ok = reconciler_load(r, path.data) && ok;
		buf_free(&path);
		free(names[i]);
	}
	free(names);
	if (!n)
		die(EXIT_TROUBLE, "%s: no reconciliation rule set (*.json) in it", dir.data);
	buf_free(&dir);
	if (!ok)
		exit(EXIT_BADRULES);
}

/* Where the findings go: one diag_file counts them all, each about its own file. */
struct output {
	struct diag_file df;
	bool text;
};

/* Writes one finding; in text, the other side follows on a line of its own. */
static void emit(void *ctx, const char *file, const char *ruleset, const struct diag *d, const char *related_text)
{
	struct output *o = ctx;
	diag_file_about(&o->df, file, ruleset);
	diag_emit(&o->df, d);
	if (o->text && related_text && *related_text)
		printf("    %s %s\n", o->df.opt->lang == LANG_ZH ? "对照：" : "against:", related_text);
}

/* Writes the closing record ({"type":"reconcile", …}) or, in text, its line; returns whether it failed. */
static bool write_summary(const struct reconciler *r, struct output *o)
{
	const struct diag_file *f = &o->df;
	const uint64_t *n = f->counts;
	bool failed = false;
	for (int s = SEV_ERROR; s >= (int)f->opt->fail_on && f->opt->fail_on != SEV_NEVER; s--)
		failed = failed || n[s];
	struct buf b = {0};
	if (o->text) {
		unsigned long long e = n[SEV_ERROR], w = n[SEV_WARNING], i = n[SEV_INFO], facts = r->facts.records;
		if (f->opt->lang == LANG_ZH)
			buf_addf(&b, "核对：%llu 条 facts 记录，%zu 个核对规则集，错误 %llu，警告 %llu，提示 %llu —— %s\n",
				 facts, r->nsets, e, w, i, failed ? "未通过" : "通过");
		else
			buf_addf(&b, "reconciliation: %llu facts record%s, %zu rule set%s, %llu error%s, %llu warning%s, "
				 "%llu info — %s\n", facts, facts == 1 ? "" : "s", r->nsets, r->nsets == 1 ? "" : "s",
				 e, e == 1 ? "" : "s", w, w == 1 ? "" : "s", i, failed ? "fail" : "pass");
	} else {
		buf_adds(&b, "{\"type\":\"reconcile\",\"rulesets\":[");
		for (size_t s = 0; s < r->nsets; s++) {
			if (s)
				buf_addc(&b, ',');
			jsonw_string(&b, r->sets[s].holder->id, strlen(r->sets[s].holder->id));
		}
		buf_addf(&b, "],\"facts\":%llu,\"counts\":{\"error\":%llu,\"warning\":%llu,\"info\":%llu},"
			 "\"status\":\"%s\"}\n", (unsigned long long)r->facts.records, (unsigned long long)n[SEV_ERROR],
			 (unsigned long long)n[SEV_WARNING], (unsigned long long)n[SEV_INFO], failed ? "fail" : "pass");
	}
	fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	return failed;
}

/*
 * Copies the streams through (in json) and keeps their facts; returns false
 * when one cannot be read or holds a line that is not a record.
 */
static bool read_streams(struct reconciler *r, char **inputs, int n, bool copy)
{
	struct stream in;
	struct record rec;
	int got;
	char why[256];
	bool ok = true;
	stream_open(&in, inputs, n, false);
	while ((got = stream_next(&in, &rec)) > 0) {
		if (copy) {
			fwrite(rec.text, 1, rec.len, stdout);
			putchar('\n');
		}
		if (rec.type == REC_FACTS && !facts_take(&r->facts, rec.obj, why, sizeof why)) {
			warnmsg("%s:%llu: not a facts record qy-reconcile can use (%s)", in.name,
				(unsigned long long)in.lineno, why);
			ok = false;
			break;
		}
	}
	stream_close(&in);
	return ok && got >= 0;
}

int main(int argc, char **argv)
{
	struct settings s = {0};
	cli_init("qy-reconcile");
	int first = parse_args(argc, argv, &s);
	struct reconciler r;
	reconciler_init(&r, s.rules_dir ? s.rules_dir : ruleset_default_dir());
	load_sets(&r, &s);
	struct output o = {.text = s.diag.format == OUT_TEXT};
	if (!read_streams(&r, argv + first, argc - first, !o.text)) {
		warnmsg(s.diag.lang == LANG_ZH ? "诊断流无法读取或已损坏，不作核对" : "unreadable or broken stream: nothing reconciled");
		reconciler_free(&r);
		free(s.rules);
		close_stdout();
		return EXIT_TROUBLE;
	}
	diag_file_begin(&o.df, &s.diag, "-", NULL);
	reconciler_judge(&r, s.has_period ? &s.period : NULL, s.diag.lang, emit, &o);
	bool failed = write_summary(&r, &o);
	diag_file_release(&o.df);
	reconciler_free(&r);
	free(s.rules);
	close_stdout();
	return failed ? EXIT_FINDINGS : EXIT_PASS;
}
