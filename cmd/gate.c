/*
 * qy-gate — pass or fail a diagnostic stream against thresholds, for CI.
 *
 * usage: qy-gate [--max-errors N] [--max-warnings N] [--fail-on LEVEL]
 *                [--require-files N] [--allow-empty] [--lenient] [FILE...]
 *
 * Counts the findings of the stream (a file's true totals when its record
 * says some were held back by --max-*), prints a one-line verdict on stderr
 * and exits 0 (pass), 1 (fail) or 2 (the stream could not be read).  It
 * trusts nothing it cannot check: a file record with counts that are not
 * whole numbers or an unknown status is a broken stream, a file that could
 * not be checked fails the gate, and so does a stream with no file at all.
 * A file recorded twice counts once for --require-files, and is reported.
 */
#include "cli.h"
#include "diag.h"
#include "stream.h"
#include "strmap.h"
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
	"      --allow-empty      pass a stream with no file in it (it fails by default)\n"
	"      --lenient          skip lines that are not records instead of failing\n"
	"      --lang LANG        zh or en for the verdict (default from LANG)\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"\n"
	"A file that could not be checked (status \"error\") fails the gate.\n"
	"\n"
	"Exit status: 0 pass, 1 fail, 2 the stream could not be read or is malformed.\n";

enum {
	OPT_MAX_ERRORS = 256, OPT_MAX_WARNINGS, OPT_FAIL_ON, OPT_REQUIRE_FILES, OPT_ALLOW_EMPTY, OPT_LENIENT,
	OPT_LANG
};

static const struct option long_options[] = {
	{"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
	{"max-warnings", required_argument, NULL, OPT_MAX_WARNINGS},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"require-files", required_argument, NULL, OPT_REQUIRE_FILES},
	{"allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY},
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
	uint64_t total[3], pending[3];
	uint64_t unchecked;        /* files with status "error" */
	struct strmap files;       /* file name → where its first record is */
	struct buf where;          /* "INPUT:LINE" of every first record, NUL-separated */
};

/*
 * Adds a file's findings (its record's totals when output was held back) and
 * notes the file; a second record of one file is reported and counts once.
 */
static void settle(struct tally *t, const struct record *r, const struct stream *in, enum lang lang)
{
	const uint64_t *use = r->suppressed ? r->counts : t->pending;
	for (int s = 0; s < 3; s++)
		t->total[s] += use[s], t->pending[s] = 0;
	t->unchecked += strcmp(r->status, "error") == 0;
	uint64_t first;
	if (!strmap_put(&t->files, r->file, strlen(r->file), t->where.len, &first)) {
		warnmsg(lang == LANG_ZH ? "%s:%llu：文件“%s”的第二条 file 记录（第一条在 %s），按一个文件计"
					: "%s:%llu: a second file record for '%s' (the first is at %s); the file counts once",
			in->name, (unsigned long long)in->lineno, r->file, t->where.data + first);
		return;
	}
	buf_addf(&t->where, "%s:%llu", in->name, (unsigned long long)in->lineno);
	buf_addc(&t->where, '\0');
}

/* Starts the next reason of a failed verdict. */
static void next_reason(struct buf *why, const char *sep)
{
	if (why->len)
		buf_adds(why, sep);
}

int main(int argc, char **argv)
{
	long max[3] = {-1, -1, -1}, require_files = -1;
	enum severity fail_on = SEV_ERROR;
	bool lenient = false, allow_empty = false;
	enum lang lang = lang_from_env();
	int c;
	cli_init("qy-gate");
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_MAX_ERRORS: max[SEV_ERROR] = cli_count("--max-errors", optarg); break;
		case OPT_MAX_WARNINGS: max[SEV_WARNING] = cli_count("--max-warnings", optarg); break;
		case OPT_REQUIRE_FILES: require_files = cli_count("--require-files", optarg); break;
		case OPT_FAIL_ON: fail_on = cli_fail_on(optarg); break;
		case OPT_ALLOW_EMPTY: allow_empty = true; break;
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
	strmap_init(&t.files);
	stream_open(&in, argv + optind, argc - optind, lenient);
	while ((got = stream_next(&in, &r)) > 0) {
		if (r.type == REC_DIAGNOSTIC)
			t.pending[r.severity]++;
		else if (r.type == REC_FILE)
			settle(&t, &r, &in, lang);
	}
	stream_close(&in);
	uint64_t files = strmap_count(&t.files);
	strmap_free(&t.files);
	buf_free(&t.where);
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
		next_reason(&why, sep);
		if (over && zh)
			buf_addf(&why, "%s %llu 条，超过 %s %ld", names_zh[s], n, options[s], max[s]);
		else if (over)
			buf_addf(&why, "%llu %s, more than %s %ld", n, names_en[s], options[s], max[s]);
		else if (zh)
			buf_addf(&why, "%s %llu 条（--fail-on %s）", names_zh[s], n, severity_name(fail_on));
		else
			buf_addf(&why, "%llu %s (--fail-on %s)", n, names_en[s], severity_name(fail_on));
	}
	if (require_files >= 0 && files < (uint64_t)require_files) {
		next_reason(&why, sep);
		buf_addf(&why, zh ? "只检查了 %llu 个文件，要求至少 %ld 个" : "only %llu files checked, %ld required",
			 (unsigned long long)files, require_files);
	}
	if (t.unchecked) {
		next_reason(&why, sep);
		buf_addf(&why, zh ? "%llu 个文件未能完整检查" : "%llu file%s could not be fully checked",
			 (unsigned long long)t.unchecked, t.unchecked == 1 ? "" : "s");
	}
	if (!files && !allow_empty) {
		next_reason(&why, sep);
		buf_adds(&why, zh ? "诊断流中没有任何文件（--allow-empty 可放行）"
				  : "no file in the stream (--allow-empty lets that pass)");
	}
	bool failed = why.len > 0;
	if (zh)
		fprintf(stderr, "qy-gate: %s —— %llu 个文件，错误 %llu，警告 %llu，提示 %llu%s%s\n",
			failed ? "未通过" : "通过", (unsigned long long)files,
			(unsigned long long)t.total[SEV_ERROR], (unsigned long long)t.total[SEV_WARNING],
			(unsigned long long)t.total[SEV_INFO], failed ? "：" : "", failed ? why.data : "");
	else
		fprintf(stderr, "qy-gate: %s — %llu file%s, %llu error%s, %llu warning%s, %llu info%s%s\n",
			failed ? "fail" : "pass", (unsigned long long)files, files == 1 ? "" : "s",
			(unsigned long long)t.total[SEV_ERROR], t.total[SEV_ERROR] == 1 ? "" : "s",
			(unsigned long long)t.total[SEV_WARNING], t.total[SEV_WARNING] == 1 ? "" : "s",
			(unsigned long long)t.total[SEV_INFO], failed ? ": " : "", failed ? why.data : "");
	buf_free(&why);
	return failed ? EXIT_FINDINGS : EXIT_PASS;
}
