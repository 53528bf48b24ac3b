/*
 * qy-gate — pass or fail a diagnostic stream against thresholds, for CI.
 *
 * usage: qy-gate [--max-errors N] [--max-warnings N] [--fail-on LEVEL]
 *                [--require-files N] [--lenient] [FILE...]
 *
 * Counts the findings of the stream (a file's true totals when its record
 * says some were held back by --max-*), prints a one-line verdict on stderr
 * and exits 0 (pass), 1 (fail) or 2 (the stream could not be read).
 */
#include "cli.h"
#include "diag.h"
#include "stream.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: qy-gate [options] [FILE...]\n"
	"\n"
	"Read a diagnostic stream (files or stdin) and pass or fail it.\n"
	"\n"
	"      --max-errors N     fail with more than N errors\n"
	"      --max-warnings N   fail with more than N warnings\n"
	"      --fail-on LEVEL    error, warning or never: fail on any finding at or above\n"
	"                         LEVEL that has no --max-* of its own (default: error)\n"
	"      --require-files N  fail if fewer than N files were checked\n"
	"      --lenient          skip lines that are not records instead of failing\n"
	"      --lang LANG        zh or en for the verdict (default from LANG)\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"\n"
	"Exit status: 0 pass, 1 fail, 2 the stream could not be read.\n";

enum { OPT_MAX_ERRORS = 256, OPT_MAX_WARNINGS, OPT_FAIL_ON, OPT_REQUIRE_FILES, OPT_LENIENT, OPT_LANG };

static const struct option long_options[] = {
	{"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
	{"max-warnings", required_argument, NULL, OPT_MAX_WARNINGS},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"require-files", required_argument, NULL, OPT_REQUIRE_FILES},
	{"lenient", no_argument, NULL, OPT_LENIENT},
	{"lang", required_argument, NULL, OPT_LANG},
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"fail-on", "error warning never"}, {"lang", "zh en"}, {NULL, NULL},
};

/* Findings of the file being read, until its file record settles them. */
struct tally {
	uint64_t total[3], pending[3], files;
};

/* Adds a file's findings: its record's totals when output was held back. */
static void settle(struct tally *t, const struct record *r)
{
	const uint64_t *use = r->suppressed ? r->counts : t->pending;
	for (int s = 0; s < 3; s++)
		t->total[s] += use[s], t->pending[s] = 0;
	t->files++;
}

int main(int argc, char **argv)
{
	long max[3] = {-1, -1, -1}, require_files = -1;
	enum severity fail_on = SEV_ERROR;
	bool lenient = false;
	enum lang lang = lang_from_env();
	int c;
	cli_init("qy-gate");
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_MAX_ERRORS: max[SEV_ERROR] = cli_count("--max-errors", optarg); break;
		case OPT_MAX_WARNINGS: max[SEV_WARNING] = cli_count("--max-warnings", optarg); break;
		case OPT_REQUIRE_FILES: require_files = cli_count("--require-files", optarg); break;
		case OPT_FAIL_ON: fail_on = cli_fail_on(optarg); break;
		case OPT_LENIENT: lenient = true; break;
		case OPT_LANG: lang = cli_lang(optarg); break;
		default:
			cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	struct stream in;
	struct record r;
	struct tally t = {0};
	int got;
	stream_open(&in, argv + optind, argc - optind, lenient);
	while ((got = stream_next(&in, &r)) > 0) {
		if (r.type == REC_DIAGNOSTIC)
			t.pending[r.severity]++;
		else if (r.type == REC_FILE)
			settle(&t, &r);
	}
	stream_close(&in);
	if (got < 0) {
		warnmsg(lang == LANG_ZH ? "无法读取诊断流，不作判定" : "unreadable stream: no verdict");
		return EXIT_TROUBLE;
	}
	for (int s = 0; s < 3; s++)
		t.total[s] += t.pending[s];

	struct buf why = {0};
	bool zh = lang == LANG_ZH;
	const char *sep = zh ? "；" : "; ";
	const char *names_zh[] = {"提示", "警告", "错误"}, *names_en[] = {"info", "warnings", "errors"};
	const char *options[] = {NULL, "--max-warnings", "--max-errors"};
	for (int s = SEV_ERROR; s >= SEV_WARNING; s--) {
		unsigned long long n = t.total[s];
		bool limited = max[s] >= 0;
		bool over = limited && n > (uint64_t)max[s];
		bool at_level = !limited && fail_on != SEV_NEVER && s >= (int)fail_on && n > 0;
		if (!over && !at_level)
			continue;
		if (why.len)
			buf_adds(&why, sep);
		if (over && zh)
			buf_addf(&why, "%s %llu 条，超过 %s %ld", names_zh[s], n, options[s], max[s]);
		else if (over)
			buf_addf(&why, "%llu %s, more than %s %ld", n, names_en[s], options[s], max[s]);
		else if (zh)
			buf_addf(&why, "%s %llu 条（--fail-on %s）", names_zh[s], n, severity_name(fail_on));
		else
			buf_addf(&why, "%llu %s (--fail-on %s)", n, names_en[s], severity_name(fail_on));
	}
	if (require_files >= 0 && t.files < (uint64_t)require_files) {
		if (why.len)
			buf_adds(&why, sep);
		buf_addf(&why, zh ? "只检查了 %llu 个文件，要求至少 %ld 个" : "only %llu files checked, %ld required",
			 (unsigned long long)t.files, require_files);
	}
	bool failed = why.len > 0;
	if (zh)
		fprintf(stderr, "qy-gate: %s —— %llu 个文件，错误 %llu，警告 %llu，提示 %llu%s%s\n",
			failed ? "未通过" : "通过", (unsigned long long)t.files,
			(unsigned long long)t.total[SEV_ERROR], (unsigned long long)t.total[SEV_WARNING],
			(unsigned long long)t.total[SEV_INFO], failed ? "：" : "", failed ? why.data : "");
	else
		fprintf(stderr, "qy-gate: %s — %llu file%s, %llu error%s, %llu warning%s, %llu info%s%s\n",
			failed ? "fail" : "pass", (unsigned long long)t.files, t.files == 1 ? "" : "s",
			(unsigned long long)t.total[SEV_ERROR], t.total[SEV_ERROR] == 1 ? "" : "s",
			(unsigned long long)t.total[SEV_WARNING], t.total[SEV_WARNING] == 1 ? "" : "s",
			(unsigned long long)t.total[SEV_INFO], failed ? ": " : "", failed ? why.data : "");
	buf_free(&why);
	return failed ? EXIT_FINDINGS : EXIT_PASS;
}
