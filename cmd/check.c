/*
 * qy-check — check county data files against the Qingyuan rule sets.
 *
 * usage: qy-check [-r ID | --rules FILE] [options] [FILE…]
 *
 * Each file is read once, streaming, and checked against the rule set named
 * with -r or --rules, or else the one whose "match" globs fit its name.  The
 * findings go to stdout as the diagnostic stream (JSON Lines), or as text on
 * a terminal.  With -j N, N files are checked at once by child processes and
 * each file's records are still printed together, in the order given.
 */
#include "book.h"
#include "check.h"
#include "cli.h"
#include "diag.h"
#include "header.h"
#include "msgcat.h"
#include "platform.h"
#include "progress.h"
#include "ruleset.h"
#include "util.h"
#include "workers.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: qy-check [-r ID | --rules FILE] [options] [FILE...]\n"
	"\n"
	"Check data files against a rule set and print the findings as JSON Lines\n"
	"(or as text on a terminal).  With no FILE, or when FILE is -, read stdin.\n"
	"\n"
	"  -r, --ruleset ID       use rule set ID from the rules directory\n"
	"      --rules FILE       use the rule set in FILE\n"
	"      --rules-dir DIR    rules directory (default: $QY_RULES or the installed one)\n"
	"      --ref-dir DIR      another directory a rule set's reference tables may be in\n"
	"      --max-ref-size SIZE\n"
	"                         largest rule file or reference table, K, M or G suffix\n"
	"                         (default: 64M)\n"
	"      --encoding ENC     auto (decided per file, the default), utf-8, gbk or gb18030\n"
	"      --sheet NAME       a workbook's sheet, by name or 1-based number\n"
	"      --format FMT       json or text (default: text on a terminal, else json)\n"
	"      --color WHEN       auto, always or never (text format)\n"
	"      --lang LANG        zh or en (default from LANG)\n"
	"      --fail-on LEVEL    error, warning or never (default: error)\n"
	"      --max-per-rule N   print at most N findings per rule and file\n"
	"      --max-errors N     print at most N errors per file (counts stay true)\n"
	"      --max-field SIZE   largest cell in bytes, K or M suffix, at most 1024M (default: 1M)\n"
	"      --as-of DATE       judge deadlines and progress at DATE, YYYY-MM-DD (default: today)\n"
	"      --max-memory SIZE  memory the unique keys and aggregate groups of one file may\n"
	"                         hold, K, M or G suffix (default: $QY_MAX_MEMORY, else no limit)\n"
	"  -j, --jobs N           check N files at once\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"\n"
	"Exit status: 0 nothing at or above the fail level, 1 findings, 2 a file could\n"
	"not be checked or usage error, 3 a rule set or reference table is invalid.\n";

enum {
	OPT_RULES = 256, OPT_RULES_DIR, OPT_ENCODING, OPT_FORMAT, OPT_COLOR, OPT_LANG,
	OPT_FAIL_ON, OPT_MAX_PER_RULE, OPT_MAX_ERRORS, OPT_MAX_FIELD, OPT_MAX_MEMORY, OPT_AS_OF, OPT_SHEET,
	OPT_LIST_SHEETS,
};

static const struct option long_options[] = {
	{"ruleset", required_argument, NULL, 'r'},
	{"rules", required_argument, NULL, OPT_RULES},
	{"rules-dir", required_argument, NULL, OPT_RULES_DIR},
	{"encoding", required_argument, NULL, OPT_ENCODING},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"color", required_argument, NULL, OPT_COLOR},
	{"lang", required_argument, NULL, OPT_LANG},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"max-per-rule", required_argument, NULL, OPT_MAX_PER_RULE},
	{"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
	{"max-field", required_argument, NULL, OPT_MAX_FIELD},
	{"as-of", required_argument, NULL, OPT_AS_OF},
	{"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
	{"jobs", required_argument, NULL, 'j'},
	CLI_RULE_FILE_OPTIONS,
	{"sheet", required_argument, NULL, OPT_SHEET},
	{"list-sheets", no_argument, NULL, OPT_LIST_SHEETS},  /* for the completion scripts */
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"ruleset", "RULESET"}, {"rules", "FILE"}, {"rules-dir", "DIR"}, {"ref-dir", "DIR"},
	{"encoding", "auto utf-8 gbk gb18030"}, {"format", "json text"}, {"color", "auto always never"},
	{"lang", "zh en"}, {"fail-on", "error warning never"}, {"sheet", "SHEET"}, {NULL, NULL},
};

struct settings {
	const char *ruleset_id, *rules_file, *rules_dir;
	bool list_sheets;          /* --list-sheets: name the workbooks' sheets, check nothing */
	double as_of;              /* days since 1970-01-01 */
	char today[16];            /* the date as_of took from the clock, or "" when --as-of gave it */
	struct check_options check;
	struct diag_options diag;
	long jobs;
	struct ruleset **sets;     /* candidates for automatic selection and suggestions */
	int nsets;
	bool sets_loaded;          /* with -r or --rules: loaded when a header first asks */
	struct ruleset *fixed;     /* from -r or --rules */
};

/* Cells are measured in 32 bits in expressions; no real cell comes near this. */
#define MAX_FIELD_LIMIT (1ULL << 30)
/* The largest --max-memory: beyond any machine that runs this. */
#define MAX_MEMORY_LIMIT (1ULL << 40)

/* Reads the command line into s; returns the index of the first file argument. */
static int parse_args(int argc, char **argv, struct settings *s)
{
	int c;
	const char *color = "auto", *format = NULL;
	s->diag.lang = lang_from_env();
	s->diag.fail_on = SEV_ERROR;
	s->diag.max_per_rule = s->diag.max_errors = -1;
	s->jobs = 1;
	const char *memory = getenv("QY_MAX_MEMORY");
	if (memory && *memory)
		s->check.max_memory = cli_size("QY_MAX_MEMORY", memory, MAX_MEMORY_LIMIT);
	while ((c = getopt_long(argc, argv, ":r:j:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'r': s->ruleset_id = optarg; break;
		case OPT_RULES: s->rules_file = optarg; break;
		case OPT_RULES_DIR: s->rules_dir = optarg; break;
		case OPT_ENCODING:
			s->check.encoding_given = true;
			if (!csvr_encoding_from_name(optarg, &s->check.encoding))
				cli_usage_error("unknown encoding '%s' (auto, utf-8, gbk, gb18030)", optarg);
			break;
		case OPT_FORMAT: format = optarg; break;
		case OPT_COLOR: color = optarg; break;
		case OPT_LANG: s->diag.lang = cli_lang(optarg); break;
		case OPT_FAIL_ON: s->diag.fail_on = cli_fail_on(optarg); break;
		case OPT_MAX_PER_RULE: s->diag.max_per_rule = cli_count("--max-per-rule", optarg); break;
		case OPT_MAX_ERRORS: s->diag.max_errors = cli_count("--max-errors", optarg); break;
		case OPT_MAX_FIELD: s->check.max_field = cli_size("--max-field", optarg, MAX_FIELD_LIMIT); break;
		case OPT_MAX_MEMORY: s->check.max_memory = cli_size("--max-memory", optarg, MAX_MEMORY_LIMIT); break;
		case OPT_AS_OF:
			if (!parse_date(optarg, strlen(optarg), &s->as_of))
				cli_usage_error("--as-of needs a date such as 2025-06-30, not '%s'", optarg);
			s->check.as_of = &s->as_of;
			break;
		case OPT_SHEET: s->check.sheet = optarg; break;
		case OPT_LIST_SHEETS: s->list_sheets = true; break;
		case 'j':
			s->jobs = cli_count("--jobs", optarg);
			if (s->jobs < 1)
				cli_usage_error("--jobs needs at least 1");
			break;
		default:
			if (!cli_rule_file_option(c, optarg))
				cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	if (s->ruleset_id && s->rules_file)
		cli_usage_error("give -r or --rules, not both");
	s->diag.format = cli_format(format, STDOUT_FILENO);
	s->diag.color = cli_color(color, STDOUT_FILENO);
	s->diag.color = s->diag.color && s->diag.format == OUT_TEXT;
	return optind;
}

/* Loads the rule set(s) the run needs; exits 2 or 3 when that fails. */
static void load_rules(struct settings *s)
{
	const char *dir = s->rules_dir ? s->rules_dir : ruleset_default_dir();
	if (s->rules_file) {
		if (!(s->fixed = ruleset_load(s->rules_file)))
			exit(access(s->rules_file, R_OK) == 0 ? EXIT_BADRULES : EXIT_TROUBLE);
		return;
	}
	if (s->ruleset_id) {
		if (!(s->fixed = ruleset_load_id(dir, s->ruleset_id)))
			exit(EXIT_BADRULES);
		return;
	}
	s->nsets = ruleset_load_dir(dir, &s->sets);
	s->sets_loaded = true;
	if (s->nsets < 0)
		exit(access(dir, R_OK) == 0 ? EXIT_BADRULES : EXIT_TROUBLE);
}

/*
 * check_options.fits_instead: the rule set of the rules directory that a
 * header fits better than rs.  With -r or --rules they are loaded on the
 * first such header; one that fails to load is left out.
 */
static const struct ruleset *fits_instead(void *ctx, const struct ruleset *rs, const struct csvr_record *header)
{
	struct settings *s = ctx;
	if (!s->sets_loaded) {
		s->sets_loaded = true;
		s->nsets = ruleset_load_dir(s->rules_dir ? s->rules_dir : ruleset_default_dir(), &s->sets);
		if (s->nsets < 0) /* the array ends at the last one loaded */
			for (s->nsets = 0; s->sets && s->sets[s->nsets]; s->nsets++)
				;
	}
	return header_best_fit(s->sets, (size_t)s->nsets, rs, header);
}

/* Picks the rule set for a file: the fixed one, or the first whose globs match. */
static const struct ruleset *select_ruleset(const struct settings *s, const char *file)
{
	if (s->fixed)
		return s->fixed;
	if (strcmp(file, "-") == 0)
		return NULL;
	return ruleset_for_name(s->sets, (size_t)s->nsets, file);
}

/* Emits the one diagnostic of a file that could not be checked, and its file record. */
static int report_unchecked(struct diag_file *df, const char *code, struct message message)
{
	struct diag d = DIAG_INIT;
	d.severity = SEV_ERROR;
	d.code = d.rule = code;
	d.message = message;
	diag_emit(df, &d);
	df->unchecked = true;
	diag_file_end(df, 0, 0, NULL);
	return EXIT_TROUBLE;
}

/* Opens a data file; directories and FIFOs-that-fail are refused with a reason. */
static int open_input(const char *file, int *why)
{
	if (strcmp(file, "-") == 0)
		return STDIN_FILENO;
	int fd = open(file, O_RDONLY);
	struct stat st;
	if (fd < 0) {
		int err = errno; /* Windows refuses to open a directory at all */
		*why = stat(file, &st) == 0 && S_ISDIR(st.st_mode) ? EISDIR : err;
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		*why = EISDIR;
		return -1;
	}
	return fd;
}

static struct progress bar;

/* Counts bytes read for the progress bar. */
static void count_read(void *ctx, uint64_t n)
{
	(void)ctx;
	progress_bytes(&bar, n);
}

/* Erases the bar before a line of output on the same terminal. */
static void clear_bar(void)
{
	progress_clear(&bar);
}

/* Sums the sizes of the regular files among the inputs, for the bar's total. */
static uint64_t total_size(char **files, int n)
{
	uint64_t total = 0;
	struct stat st;
	for (int i = 0; i < n; i++)
		if (strcmp(files[i], "-") && stat(files[i], &st) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	return total;
}

/*
 * Repeats on stderr, in the same words, a finding that keeps a file from
 * being checked, unless stdout is a terminal that shows it already.  In a
 * worker the line goes to the parent, which writes it in the file's place.
 */
static void echo_on_stderr(struct workers_out *to_parent, const char *file, const char *message)
{
	if (platform_is_terminal(STDOUT_FILENO))
		return;
	if (!to_parent) {
		warnmsg("%s: %s", file, message);
		return;
	}
	struct buf line = {0};
	warnmsg_buf(&line, "%s: %s", file, message);
	workers_send_err(to_parent, line.data, line.len);
	buf_free(&line);
}

/* Reports a file that could not be checked, here and on stderr; returns its exit status. */
static int unchecked(struct diag_file *df, struct workers_out *to_parent, const char *code, struct message message)
{
	echo_on_stderr(to_parent, df->file, message.text);
	return report_unchecked(df, code, message);
}

/* Says that a file whose name no rule set matches was checked with the rule set its header fits. */
static void chosen_by_header(struct diag_file *df, struct workers_out *to_parent, const struct ruleset *rs,
			     struct msgbuf *msg)
{
	struct diag d = DIAG_INIT;
	d.severity = SEV_WARNING;
	d.code = d.rule = "no-ruleset";
	d.message = MSG_SAY(msg, df->opt->lang, MSG_NO_RULESET_HEADER, ARG_TEXT("ruleset", rs->id),
			    ARG_PHRASE("title", rs->title_zh ? rs->title_zh : rs->id, rs->title_en ? rs->title_en : rs->id),
			    ARG_TEXT("name", rs->nmatch ? rs->match[0] : rs->id));
	echo_on_stderr(to_parent, df->file, d.message.text);
	diag_emit(df, &d);
}

/* Output of a file checked in a worker: to the parent, with the file's counts so far. */
static void send_to_parent(void *ctx, const struct diag_file *f, const char *data, size_t len)
{
	workers_send(ctx, data, len, f->counts);
}

/* Checks one file and writes its records to stdout, or to the parent; returns its exit status. */
static int check_one(const struct settings *s, const char *file, struct workers_out *to_parent)
{
	struct diag_options dopt = s->diag;
	struct diag_file df;
	struct buf msg = {0};
	struct msgbuf said = {0};
	dopt.out = stdout;
	if (to_parent) {
		dopt.write = send_to_parent;
		dopt.write_ctx = to_parent;
	}
	int why = 0, fd = open_input(file, &why);
	const struct ruleset *rs = select_ruleset(s, file), *by_header = NULL;
	if (!rs && fd >= 0 && fd != STDIN_FILENO)
		rs = by_header = header_fit_file(fd, s->sets, (size_t)s->nsets);
	diag_file_begin(&df, &dopt, file, rs ? rs->id : NULL);
	int rc = EXIT_TROUBLE;
	if (fd < 0 && why == ENOENT)
		rc = unchecked(&df, to_parent, "io-error", MSG_SAY0(&said, dopt.lang, MSG_MISSING_FILE));
	else if (fd < 0 && why == EISDIR)
		rc = unchecked(&df, to_parent, "io-error", MSG_SAY0(&said, dopt.lang, MSG_DIRECTORY));
	else if (fd < 0)
		rc = unchecked(&df, to_parent, "io-error", MSG_SAY(&said, dopt.lang, MSG_CANNOT_OPEN,
							ARG_PHRASE("error", diag_strerror(why, LANG_ZH), diag_strerror(why, LANG_EN))));
	else if (!rs && fd == STDIN_FILENO)
		rc = unchecked(&df, to_parent, "no-ruleset", MSG_SAY0(&said, dopt.lang, MSG_NO_RULESET_STDIN));
	else if (!rs)
		rc = unchecked(&df, to_parent, "no-ruleset", MSG_SAY0(&said, dopt.lang, MSG_NO_RULESET));
	if (fd < 0 || !rs) {
		if (fd > STDIN_FILENO)
			close(fd);
		msgbuf_free(&said);
		return rc;
	}
	if (by_header)
		chosen_by_header(&df, to_parent, rs, &said);
	struct check_result res;
	struct check_options copt = s->check;
	copt.path = fd == STDIN_FILENO ? NULL : file;
	check_fd(rs, fd, &copt, &df, &res);
	if (fd != STDIN_FILENO)
		close(fd);
	if (res.unreadable)
		echo_on_stderr(to_parent, file, res.trouble ? res.trouble
			   : res.size_changed ? diag_msg(&msg, dopt.lang, "读取时文件大小变了", "file changed size while it was read")
			   : diag_msg(&msg, dopt.lang, "读取出错", "read error"));
	if (res.over_budget)
		echo_on_stderr(to_parent, file, diag_msg(&msg, dopt.lang, "有规则需要的内存超过 --max-memory，未能检查到底",
				    "a rule needed more memory than --max-memory allows; it was not checked to the end"));
	if (res.fits)
		echo_on_stderr(to_parent, file, diag_msg(&msg, dopt.lang, "表头与规则集 %s 相符，未按 %s 检查", "the header fits rule set %s; "
				    "not checked with %s", res.fits->id, rs->id));
	df.unchecked = res.unreadable || res.over_budget || res.fits;
	df.encoding_source = res.encoding_detected ? "detected" : "declared";
	bool failed = diag_file_end(&df, res.records, res.bytes, res.encoding);
	buf_free(&msg);
	msgbuf_free(&said);
	return df.unchecked ? EXIT_TROUBLE : failed ? EXIT_FINDINGS : EXIT_PASS;
}

/* Frees the loaded rule sets. */
static void free_settings(struct settings *s)
{
	ruleset_free(s->fixed);
	for (int i = 0; i < s->nsets; i++)
		ruleset_free(s->sets[i]);
	free(s->sets);
}

/* Combines exit statuses: trouble outranks findings, findings outrank a pass. */
static int worse(int a, int b) { return a > b ? a : b; }

/* The files of a run with -j, as the workers and the parent see them. */
struct parallel {
	struct settings *s;
	char **files;
};

/* In a worker: checks file i, its output to the parent. */
static int run_file(void *ctx, int i, struct workers_out *out)
{
	struct parallel *p = ctx;
	bar.enabled = false; /* the parent draws the bar */
	return check_one(p->s, p->files[i], out);
}

/* In a worker that has checked its last file: frees what it inherited. */
static void worker_cleanup(void *ctx)
{
	free_settings(((struct parallel *)ctx)->s);
}

/* Collects records into a buffer. */
static void add_to_buf(void *ctx, const struct diag_file *f, const char *data, size_t len)
{
	(void)f;
	buf_add(ctx, data, len);
}

/*
 * Closes the output of a file whose worker died after sending the records
 * counted in counts: an io-error saying how, and a file record with status
 * "error" whose counts include what was already sent; the same on stderr.
 */
static int report_lost(void *ctx, int i, const uint64_t counts[3], int how, struct buf *out, struct buf *err)
{
	struct parallel *p = ctx;
	const char *file = p->files[i];
	struct diag_options dopt = p->s->diag;
	struct diag_file df;
	struct msgbuf msg = {0};
	struct message said;
	dopt.write = add_to_buf;
	dopt.write_ctx = out;
	const struct ruleset *rs = select_ruleset(p->s, file);
	diag_file_begin(&df, &dopt, file, rs ? rs->id : NULL);
	memcpy(df.counts, counts, sizeof df.counts);
	int sig, status;
	const char *signame;
	if (platform_signalled(how, &sig, &signame)) {
		warnmsg_buf(err, "%s: the worker checking it was killed by signal %d (%s)", file, sig, signame);
		said = MSG_SAY(&msg, dopt.lang, MSG_WORKER_SIGNAL, ARG_NUM("signal", sig), ARG_TEXT("name", signame));
	} else if (platform_exited(how, &status)) {
		warnmsg_buf(err, "%s: the worker checking it ended with status %d", file, status);
		said = MSG_SAY(&msg, dopt.lang, MSG_WORKER_STATUS, ARG_NUM("status", status));
	} else {
		warnmsg_buf(err, "%s: the worker checking it died", file);
		said = MSG_SAY0(&msg, dopt.lang, MSG_WORKER_DIED);
	}
	int rc = report_unchecked(&df, "io-error", said);
	msgbuf_free(&msg);
	return rc;
}

/* In the parent: writes records of the file being printed. */
static bool write_stdout(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	progress_clear(&bar);
	return fwrite(data, 1, len, stdout) == len;
}

/* In the parent: writes what a worker (or report_lost) says on stderr of the file being printed. */
static void write_stderr(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	progress_clear(&bar);
	fwrite(text, 1, len, stderr);
}

/* In the parent: a file's output is all written; the bar counts it. */
static void file_written(void *ctx, int i)
{
	struct parallel *p = ctx;
	struct stat info;
	if (strcmp(p->files[i], "-") && stat(p->files[i], &info) == 0 && S_ISREG(info.st_mode))
		bar.done += (uint64_t)info.st_size;
	progress_file_done(&bar);
}

/*
 * Checks files[0..n) in jobs worker processes that take them in turn, and
 * prints each file's output in the given order.  Returns the combined status.
 */
static int check_parallel(struct settings *s, char **files, int n, int jobs)
{
	struct parallel p = {s, files};
	char as_of_option[] = "--as-of", *restart[] = {as_of_option, s->today, NULL};
	struct workers_job job = {
		.nitems = n, .nworkers = jobs, .restart_args = s->today[0] ? restart : NULL, .ctx = &p,
		.run = run_file, .cleanup = worker_cleanup, .lost = report_lost, .write = write_stdout,
		.write_err = write_stderr, .done = file_written,
	};
	int rc = workers_run(&job);
	if (rc < 0) { /* stdout failed: close_stdout says how (nothing for a closed pipe) and exits 2 */
		close_stdout();
		die(EXIT_TROUBLE, "write error");
	}
	return rc;
}

/* Prints a sheet's name on a line of its own. */
static void print_sheet(void *ctx, const char *name)
{
	(void)ctx;
	puts(name);
}

int main(int argc, char **argv)
{
	static char *stdin_only[] = {"-", NULL};
	struct settings s = {0};
	cli_init("qy-check");
	int first = parse_args(argc, argv, &s);
	if (s.list_sheets) { /* what --sheet can name, for the completion scripts */
		for (int i = first; i < argc; i++)
			book_sheet_names(argv[i], print_sheet, NULL);
		close_stdout();
		return EXIT_PASS;
	}
	if (!s.check.as_of) { /* today, in local time */
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(s.today, sizeof s.today, "%Y-%m-%d", &tm);
		parse_date(s.today, strlen(s.today), &s.as_of);
		s.check.as_of = &s.as_of;
	}
	char **files = first < argc ? argv + first : stdin_only;
	int n = first < argc ? argc - first : 1;
	for (int i = 0, stdin_seen = 0; i < n; i++)
		if (!strcmp(files[i], "-") && stdin_seen++)
			cli_usage_error("'-' (stdin) can be read only once");
	load_rules(&s);
	s.check.fits_instead = fits_instead;
	s.check.fits_instead_ctx = &s;
	progress_init(&bar, total_size(files, n), n);
	if (bar.enabled) {
		s.check.on_read = count_read;
		s.diag.before_write = clear_bar;
	}
	/* more workers than files or processors would only take turns */
	int jobs = s.jobs < n ? (int)s.jobs : n;
	if (jobs > workers_processors())
		jobs = workers_processors();
	int rc = EXIT_PASS;
	if (jobs > 1)
		rc = check_parallel(&s, files, n, jobs);
	else
		for (int i = 0; i < n; i++) {
			rc = worse(rc, check_one(&s, files[i], NULL));
			progress_file_done(&bar);
		}
	progress_clear(&bar);
	free_settings(&s);
	close_stdout();
	return rc;
}
