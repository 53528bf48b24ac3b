/*
 * qy-fix — repair what is safe to repair in county data files, and say
 * exactly what changed.
 *
 * usage: qy-fix [-r ID | --rules FILE] [options] FILE...
 *
 * Each file is read as qy-check reads it (its encoding decided from its
 * bytes, title rows, the header matched to the rule set's columns) and
 * written again as a repaired copy: FILE.fixed.csv beside it (--suffix), or
 * -o OUT, or with --in-place FILE itself after its original was kept as
 * FILE plus the --backup suffix.  The cell repairs are lib/repair.c's
 * (blanks, full-width forms, capital letters in codes, date forms, aliases
 * and variant spellings of reference values); the whole file is transcoded
 * to UTF-8, its line ends and BOM kept or changed as asked, its title rows
 * removed on request.  Cells are written back with the quoting they need.
 *
 * stdout is the diagnostic stream of what changed: one "fixed" record per
 * change (severity info; the rule whose finding it clears; the old text in
 * "value", the new one in "fixed"), then the file's record, which names the
 * copy in "output".  A file that cannot be written again without losing a
 * byte (bytes invalid in GB18030, an open quote, UTF-16) is refused with one
 * finding and no copy.  Positions refer to the input file.
 */
#include "check.h"
#include "cli.h"
#include "csvread.h"
#include "csvwrite.h"
#include "diag.h"
#include "header.h"
#include "msgcat.h"
#include "platform.h"
#include "repair.h"
#include "ruleset.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: qy-fix [-r ID | --rules FILE] [options] FILE...\n"
	"\n"
	"Write a repaired copy of each FILE and print what changed as JSON Lines.\n"
	"The input is never changed, unless --in-place, and then its original is kept.\n"
	"\n"
	"  -r, --ruleset ID       use rule set ID from the rules directory\n"
	"      --rules FILE       use the rule set in FILE\n"
	"      --rules-dir DIR    rules directory (default: $QY_RULES or the installed one)\n"
	"  -o, --output OUT       write the copy to OUT (one FILE only)\n"
	"      --suffix SUFFIX    write FILE's copy beside it, SUFFIX before its extension\n"
	"                         (default: .fixed, so a.csv gives a.fixed.csv)\n"
	"      --in-place         replace FILE, keeping the original (needs --backup)\n"
	"      --backup SUFFIX    with --in-place: keep the original as FILE plus SUFFIX\n"
	"      --only LIST        only these repairs (comma-separated; see below)\n"
	"      --skip LIST        all default repairs but these\n"
	"      --remove-titles    also remove the title rows above the header (repair titles)\n"
	"      --bom              start the copy with a UTF-8 byte-order mark (for Excel)\n"
	"      --no-bom           leave out the byte-order mark the input had\n"
	"      --eol crlf|lf      line ends of the copy (default: as the input's first line)\n"
	"      --encoding ENC     input encoding: auto (the default), utf-8, gbk or gb18030\n"
	"      --lang LANG        zh or en (default from LANG)\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"\n"
	"Repairs: transcode (to UTF-8), blanks (around values), width (full-width digits\n"
	"and letters where numbers, dates and codes belong), case (a credit code's\n"
	"letters), dates (2025/6/1 and 2025年6月1日 to 2025-06-01), names (aliases and\n"
	"variant spellings to the canonical value); all by default, and titles (remove\n"
	"the title rows above the header) when asked.\n"
	"\n"
	"Exit status: 0 every copy written, 2 a file could not be repaired or usage\n"
	"error, 3 a rule set or reference table is invalid.\n";

enum {
	OPT_RULES = 256, OPT_RULES_DIR, OPT_SUFFIX, OPT_IN_PLACE, OPT_BACKUP, OPT_ONLY, OPT_SKIP,
	OPT_BOM, OPT_NO_BOM, OPT_EOL, OPT_ENCODING, OPT_LANG, OPT_REMOVE_TITLES,
};

static const struct option long_options[] = {
	{"ruleset", required_argument, NULL, 'r'},
	{"rules", required_argument, NULL, OPT_RULES},
	{"rules-dir", required_argument, NULL, OPT_RULES_DIR},
	{"output", required_argument, NULL, 'o'},
	{"suffix", required_argument, NULL, OPT_SUFFIX},
	{"in-place", no_argument, NULL, OPT_IN_PLACE},
	{"backup", required_argument, NULL, OPT_BACKUP},
	{"only", required_argument, NULL, OPT_ONLY},
	{"skip", required_argument, NULL, OPT_SKIP},
	{"remove-titles", no_argument, NULL, OPT_REMOVE_TITLES},
	{"bom", no_argument, NULL, OPT_BOM},
	{"no-bom", no_argument, NULL, OPT_NO_BOM},
	{"eol", required_argument, NULL, OPT_EOL},
	{"encoding", required_argument, NULL, OPT_ENCODING},
	{"lang", required_argument, NULL, OPT_LANG},
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"ruleset", "RULESET"}, {"rules", "FILE"}, {"rules-dir", "DIR"}, {"output", "FILE"},
	{"only", "transcode blanks width case dates names titles"},
	{"skip", "transcode blanks width case dates names titles"},
	{"eol", "crlf lf"}, {"encoding", "auto utf-8 gbk gb18030"}, {"lang", "zh en"}, {NULL, NULL},
};

/* The repairs made unless --only says otherwise: all but removing title rows. */
#define DEFAULT_REPAIRS (((1u << REPAIR_COUNT) - 1) & ~(1u << REPAIR_TITLES))

/* A copy keeps every cell whole, up to the largest cell qy-check reads (--max-field 1024M). */
#define MAX_CELL (1u << 30)

struct settings {
	const char *ruleset_id, *rules_file, *rules_dir, *output, *suffix, *backup;
	bool in_place;
	unsigned repairs;          /* bits 1 << enum repair */
	int bom;                   /* -1 leave it out, 0 as the input, 1 add it */
	const char *eol;           /* "\r\n", "\n", or NULL: as the input's first line */
	enum csvr_encoding encoding;
	bool encoding_given;
	struct diag_options diag;
	struct ruleset *fixed;     /* from -r or --rules */
	struct ruleset **sets;     /* the rules directory, to choose by name or header */
	int nsets;
};

/* Parses a comma-separated list of repair names into bits. */
static unsigned parse_repairs(const char *option, const char *list)
{
	unsigned bits = 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		enum repair r;
		if (!repair_from_name(p, n, &r))
			cli_usage_error("%s: unknown repair '%.*s' (transcode, blanks, width, case, dates, names, titles)",
					option, (int)n, p);
		bits |= 1u << r;
		p += n + (p[n] == ',');
	}
	return bits;
}

/* Reads the command line into s; returns the index of the first file argument. */
static int parse_args(int argc, char **argv, struct settings *s)
{
	int c;
	bool only = false, titles = false;
	unsigned skip = 0;
	s->diag = (struct diag_options){.format = OUT_JSON, .lang = lang_from_env(), .fail_on = SEV_ERROR,
					.max_per_rule = -1, .max_errors = -1};
	s->repairs = DEFAULT_REPAIRS;
	s->encoding = CSVR_AUTO;
	while ((c = getopt_long(argc, argv, ":r:o:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'r': s->ruleset_id = optarg; break;
		case OPT_RULES: s->rules_file = optarg; break;
		case OPT_RULES_DIR: s->rules_dir = optarg; break;
		case 'o': s->output = optarg; break;
		case OPT_SUFFIX: s->suffix = optarg; break;
		case OPT_IN_PLACE: s->in_place = true; break;
		case OPT_BACKUP: s->backup = optarg; break;
		case OPT_ONLY: s->repairs = parse_repairs("--only", optarg), only = true; break;
		case OPT_SKIP: skip |= parse_repairs("--skip", optarg); break;
		case OPT_REMOVE_TITLES: titles = true; break;
		case OPT_BOM: s->bom = 1; break;
		case OPT_NO_BOM: s->bom = -1; break;
		case OPT_EOL:
			if (strcmp(optarg, "crlf") && strcmp(optarg, "lf"))
				cli_usage_error("--eol must be crlf or lf, not '%s'", optarg);
			s->eol = optarg[0] == 'c' ? "\r\n" : "\n";
			break;
		case OPT_ENCODING:
			s->encoding_given = true;
			if (!csvr_encoding_from_name(optarg, &s->encoding))
				cli_usage_error("unknown encoding '%s' (auto, utf-8, gbk, gb18030)", optarg);
			break;
		case OPT_LANG: s->diag.lang = cli_lang(optarg); break;
		default:
			cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	if (only && skip)
		cli_usage_error("give --only or --skip, not both");
	s->repairs = (s->repairs | (titles ? 1u << REPAIR_TITLES : 0)) & ~skip;
	if (s->ruleset_id && s->rules_file)
		cli_usage_error("give -r or --rules, not both");
	if (optind >= argc)
		cli_usage_error("name the files to repair");
	if ((s->output != NULL) + (s->suffix != NULL) + s->in_place > 1)
		cli_usage_error("give one of -o, --suffix and --in-place");
	if (s->output && argc - optind > 1)
		cli_usage_error("-o writes one file; give --suffix for several");
	if (s->output && !strcmp(s->output, "-"))
		cli_usage_error("-o needs a file: standard output carries what changed");
	if (s->in_place && !s->backup)
		cli_usage_error("--in-place needs --backup SUFFIX: the original is always kept");
	if (s->backup && (!s->in_place || !*s->backup))
		cli_usage_error("--backup SUFFIX goes with --in-place and must not be empty");
	if (s->suffix && !*s->suffix)
		cli_usage_error("--suffix must not be empty: the copy would replace the input");
	if (!s->output && !s->in_place && !s->suffix)
		s->suffix = ".fixed";
	return optind;
}

/* Loads the rule set(s) the run needs: the directory always, to choose by name or header. */
static void load_rules(struct settings *s)
{
	const char *dir = s->rules_dir ? s->rules_dir : ruleset_default_dir();
	if (s->rules_file && !(s->fixed = ruleset_load(s->rules_file)))
		exit(access(s->rules_file, R_OK) == 0 ? EXIT_BADRULES : EXIT_TROUBLE);
	if (s->ruleset_id && !(s->fixed = ruleset_load_id(dir, s->ruleset_id)))
		exit(EXIT_BADRULES);
	s->nsets = ruleset_load_dir(dir, &s->sets);
	if (s->nsets < 0 && !s->fixed)
		exit(access(dir, R_OK) == 0 ? EXIT_BADRULES : EXIT_TROUBLE);
	if (s->nsets < 0) /* with -r the others only suggest: those that loaded do */
		for (s->nsets = 0; s->sets && s->sets[s->nsets]; s->nsets++)
			;
}

/* The repair of one file: its reading, its copy, and what is said about it. */
struct fixer {
	const struct settings *s;
	const struct ruleset *rs;
	struct diag_file *df;          /* the fixed records, held until the copy is whole */
	enum lang lang;
	FILE *out;                     /* the copy, a temporary file until it is complete */
	iconv_t to_legacy;             /* to write the copy in its GB18030 again, or (iconv_t)-1 */
	enum csvr_encoding encoding;   /* the input's */
	const char *stopped_on;        /* the encoding that stopped the reading ("utf-16", "gb18030"), or NULL */
	bool encoding_detected, had_bom, started, header_done;
	const char *eol;               /* the copy's line end */
	int first_eol;                 /* the input's first line end: 0 unknown, '\n', 'c' (CRLF), '\r' */
	bool saw_cr;                   /* the last byte scanned for it was a CR */
	int *file_to_col;              /* rule column of each header cell, or -1 */
	size_t header_cells;
	uint64_t records;
	struct buf line, cell, conv;
	struct msgbuf msg;
	const struct csvr_record *rec; /* the record being repaired */
	size_t cell_index;
	const char *refused_code;      /* why the file gets no copy, or NULL */
	struct msgbuf refused;         /* its message */
};

/* Refuses to write a copy, keeping the first reason. */
static void refuse(struct fixer *x, const char *code, struct message message)
{
	if (x->refused_code)
		return;
	x->refused_code = code;
	msg_keep(&x->refused, message);
}

/* A system error as a message's "error" parameter, in both languages. */
static struct msg_arg error_phrase(int err)
{
	return ARG_PHRASE("error", diag_strerror(err, LANG_ZH), diag_strerror(err, LANG_EN));
}

/* Emits a fixed record; cell is SIZE_MAX for a change to the whole file. */
static void said(struct fixer *x, const char *rule, const struct csvr_record *rec, size_t cell, const char *column,
		 const char *old, size_t old_len, const char *new, size_t new_len, struct message message)
{
	struct diag d = DIAG_INIT;
	d.severity = SEV_INFO;
	d.code = "fixed";
	d.rule = rule;
	d.message = message;
	if (rec) {
		d.line = rec->line;
		d.row = rec->row;
	}
	d.column = column;
	d.cell = cell;
	d.value = old;
	d.value_len = old_len;
	d.fixed = new;
	d.fixed_len = new_len;
	diag_emit(x->df, &d);
}

/* Writes bytes to the copy, in its encoding. */
static void put(struct fixer *x, const char *s, size_t n)
{
	if (x->to_legacy == (iconv_t)-1) {
		fwrite(s, 1, n, x->out);
		return;
	}
	char *in = (char *)s;
	size_t inleft = n;
	buf_reset(&x->conv);
	buf_grow(&x->conv, 4 * n + 16);
	char *o = x->conv.data;
	size_t outleft = x->conv.cap - 1;
	if (iconv(x->to_legacy, &in, &inleft, &o, &outleft) == (size_t)-1)
		refuse(x, "encoding-error", MSG_SAY0(&x->msg, x->lang, MSG_FIX_NO_GB18030));
	fwrite(x->conv.data, 1, (size_t)(o - x->conv.data), x->out);
}

/* The line end a copy gets when --eol does not say: the input's first, else LF. */
static const char *input_eol(const struct fixer *x)
{
	return x->first_eol == 'c' ? "\r\n" : x->first_eol == '\r' ? "\r" : "\n";
}

/* Starts the copy before its first line: the BOM, the line ends, and what changed in them. */
static void start_copy(struct fixer *x)
{
	const struct settings *s = x->s;
	x->started = true;
	bool utf8 = x->to_legacy == (iconv_t)-1;
	bool bom = utf8 && (s->bom > 0 || (s->bom == 0 && x->had_bom));
	if (bom)
		fputs("\xEF\xBB\xBF", x->out);
	if (bom != x->had_bom)
		said(x, "bom", NULL, SIZE_MAX, NULL, NULL, 0, NULL, 0,
		     MSG_SAY0(&x->msg, x->lang, bom ? MSG_FIXED_BOM_ADDED : MSG_FIXED_BOM_REMOVED));
	x->eol = s->eol ? s->eol : input_eol(x);
	if (x->first_eol && strcmp(x->eol, input_eol(x)) != 0)
		said(x, "eol", NULL, SIZE_MAX, NULL, NULL, 0, NULL, 0,
		     MSG_SAY(&x->msg, x->lang, MSG_FIXED_EOL, ARG_TEXT("eol", !strcmp(x->eol, "\r\n") ? "CRLF" : "LF")));
}

/* Notes the input's first line end, from its raw bytes. */
static void scan_eol(struct fixer *x, const char *s, size_t n)
{
	for (size_t i = 0; i < n && !x->first_eol; i++) {
		if (x->saw_cr)
			x->first_eol = s[i] == '\n' ? 'c' : '\r';
		else if (s[i] == '\n')
			x->first_eol = '\n';
		x->saw_cr = s[i] == '\r';
	}
}

/* repair_cell's report: one fixed record per change. */
static void on_change(void *ctx, const struct repair_change *ch)
{
	struct fixer *x = ctx;
	int col = x->file_to_col[x->cell_index];
	const struct column *c = &x->rs->cols[col];
	struct buf rule = {0};
	buf_addf(&rule, "%s.%s", c->name, check_code(ch->clears));
	enum msg_id id = ch->repair == REPAIR_BLANKS ? MSG_FIXED_BLANKS
			 : ch->repair == REPAIR_WIDTH ? MSG_FIXED_WIDTH
			 : ch->repair == REPAIR_CASE ? MSG_FIXED_CASE
			 : ch->repair == REPAIR_DATES ? MSG_FIXED_DATES : MSG_FIXED_NAMES;
	struct message m = MSG_SAY(&x->msg, x->lang, id, ARG_TEXT("column", column_shown(c)),
				   ARG_TEXTN("write", ch->new, ch->new_len));
	said(x, rule.data, x->rec, x->cell_index, c->name, ch->old, ch->old_len, ch->new, ch->new_len, m);
	buf_free(&rule);
}

/* Maps header cells to columns as qy-check does (a column named twice: its first cell). */
static void read_header(struct fixer *x, const struct csvr_record *rec)
{
	x->header_done = true;
	x->header_cells = rec->ncells;
	x->file_to_col = xcalloc(rec->ncells + 1, sizeof *x->file_to_col);
	bool *taken = xcalloc(x->rs->ncols + 1, sizeof *taken);
	for (size_t i = 0; i < rec->ncells; i++) {
		int col = header_column(x->rs, rec->cells[i].data, rec->cells[i].len);
		x->file_to_col[i] = col >= 0 && !taken[col] ? col : -1;
		if (col >= 0)
			taken[col] = true;
	}
	free(taken);
}

/* Refuses a file whose header fits another rule set better, as qy-check would not check it. */
static bool wrong_ruleset(struct fixer *x, const struct csvr_record *rec)
{
	struct header_fit fit;
	header_fit(x->rs, rec, &fit);
	const struct ruleset *other = fit.required_missing
		? header_best_fit(x->s->sets, (size_t)x->s->nsets, x->rs, rec) : NULL;
	if (other)
		refuse(x, "wrong-ruleset",
		       MSG_SAY(&x->msg, x->lang, MSG_FIX_WRONG_RULESET, ARG_TEXT("ruleset", x->rs->id),
			       ARG_TEXT("fits", other->id)));
	return other != NULL;
}

/* Reader callback: titles (kept, or removed on request), the header, then data records repaired. */
static void on_record(void *ctx, const struct csvr_record *rec)
{
	struct fixer *x = ctx;
	if (x->refused_code)
		return;
	if (rec->unterminated) {
		refuse(x, "unterminated-quote",
		       MSG_SAY(&x->msg, x->lang, MSG_FIX_UNTERMINATED, ARG_NUM("line", rec->line)));
		return;
	}
	if (!x->started)
		start_copy(x);
	bool data = x->header_done;
	if (!data && header_above(x->rs, rec)) {
		if (x->s->repairs & 1u << REPAIR_TITLES) {
			size_t i = 0;
			while (i < rec->ncells && csvr_cell_blank(&rec->cells[i]))
				i++;
			said(x, "title-row", rec, SIZE_MAX, NULL, i < rec->ncells ? rec->cells[i].data : "",
			     i < rec->ncells ? rec->cells[i].len : 0, NULL, 0,
			     MSG_SAY0(&x->msg, x->lang, i < rec->ncells ? MSG_FIXED_TITLE_ROW : MSG_FIXED_BLANK_ROW));
			return;
		}
	} else if (!data) {
		if (wrong_ruleset(x, rec))
			return;
		read_header(x, rec);
	}
	x->rec = rec;
	buf_reset(&x->line);
	bool blank = true;
	for (size_t i = 0; i < rec->ncells; i++) {
		const struct csvr_cell *c = &rec->cells[i];
		const char *text = c->data;
		size_t len = c->len;
		int col = data && i < x->header_cells ? x->file_to_col[i] : -1;
		x->cell_index = i;
		if (col >= 0 && repair_cell(&x->rs->cols[col], x->s->repairs, text, len, &x->cell, on_change, x))
			text = x->cell.data, len = x->cell.len;
		blank = blank && csvr_cell_blank(c);
		if (i)
			buf_addc(&x->line, (char)x->rs->delimiter);
		csvw_cell(&x->line, text, len, x->rs->delimiter);
	}
	x->records += data && !blank;
	buf_adds(&x->line, x->eol);
	put(x, x->line.data, x->line.len);
}

/* Reader callback: the encoding, a BOM, and what keeps a copy from being faithful. */
static void on_event(void *ctx, const struct csvr_event *ev)
{
	struct fixer *x = ctx;
	enum lang l = x->lang;
	unsigned long long at = ev->offset;
	switch (ev->kind) {
	case CSVR_EV_BOM:
		x->had_bom = true;
		break;
	case CSVR_EV_ENCODING:
		x->encoding = ev->encoding;
		x->encoding_detected = ev->detected;
		if (ev->encoding == CSVR_UTF8)
			break;
		if (x->s->repairs & 1u << REPAIR_TRANSCODE) {
			const char *from = ev->encoding == CSVR_GBK ? "GBK" : "GB18030";
			said(x, "transcode", NULL, SIZE_MAX, NULL, from, strlen(from), "UTF-8", 5,
			     MSG_SAY(&x->msg, l, MSG_FIXED_TRANSCODE, ARG_TEXT("encoding", from)));
		} else if ((x->to_legacy = iconv_open(ev->encoding == CSVR_GBK ? "GBK" : "GB18030", "UTF-8")) ==
			   (iconv_t)-1) {
			refuse(x, "encoding-error", MSG_SAY0(&x->msg, l, MSG_FIX_CANNOT_ENCODE));
		}
		break;
	case CSVR_EV_BAD_BYTES:
	case CSVR_EV_TRUNCATED:
		if (x->encoding != CSVR_UTF8) /* transcoding put U+FFFD where they were: they would be lost */
			refuse(x, "encoding-error",
			       MSG_SAY(&x->msg, l, MSG_FIX_BAD_BYTES, ARG_NUM("offset", at)));
		break;
	case CSVR_EV_UTF16:
		x->stopped_on = "utf-16";
		refuse(x, "encoding-error", MSG_SAY0(&x->msg, l, MSG_FIX_UTF16));
		break;
	case CSVR_EV_LEGACY:
		x->stopped_on = "gb18030";
		refuse(x, "legacy-encoding",
		       MSG_SAY0(&x->msg, l, MSG_FIX_LEGACY));
		break;
	case CSVR_EV_OVERSIZED:
		refuse(x, "cell-too-large", MSG_SAY0(&x->msg, l, MSG_FIX_CELL_TOO_LARGE));
		break;
	case CSVR_EV_NUL:
	case CSVR_EV_UNTERMINATED: /* NUL bytes are copied as they are; an open quote is told by its record */
		break;
	}
}

/* FILE with suffix before its extension: a/b.csv gives a/b.fixed.csv, a/b gives a/b.fixed. */
static char *with_suffix(const char *file, const char *suffix)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	const char *dot = strrchr(base, '.');
	struct buf b = {0};
	if (!dot || dot == base)
		buf_addf(&b, "%s%s", file, suffix);
	else
		buf_addf(&b, "%.*s%s%s", (int)(dot - file), file, suffix, dot);
	return b.data;
}

/* The directory of a path, for the temporary copy that is renamed into place. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? xstrndup(path, (size_t)(slash - path + 1)) : xstrdup("");
}

/* Reads fd into the fixer, which writes the copy; returns the bytes read, or sets *err. */
static uint64_t read_into(struct fixer *x, int fd, struct csvr *reader, int *err)
{
	static char chunk[1024 * 1024];
	uint64_t bytes = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			*err = errno;
		if (n <= 0)
			break;
		bytes += (uint64_t)n;
		scan_eol(x, chunk, (size_t)n);
		if (!x->refused_code && !csvr_stopped(reader))
			csvr_feed(reader, chunk, (size_t)n);
	}
	return bytes;
}

/* Puts the finished temporary copy in place (keeping the original first when in place); false on failure. */
static bool install(struct fixer *x, const char *tmp, const char *file, const char *dest)
{
	const struct settings *s = x->s;
	if (s->in_place) {
		struct buf backup = {0};
		struct stat st;
		buf_addf(&backup, "%s%s", file, s->backup);
		bool ok = lstat(backup.data, &st) != 0 && errno == ENOENT;
		if (!ok)
			refuse(x, "io-error", MSG_SAY(&x->msg, x->lang, MSG_FIX_BACKUP_EXISTS, ARG_TEXT("file", backup.data)));
		else if (rename(file, backup.data) != 0 || rename(tmp, dest) != 0)
			ok = false, refuse(x, "io-error", MSG_SAY(&x->msg, x->lang, MSG_FIX_REPLACE, error_phrase(errno)));
		buf_free(&backup);
		return ok;
	}
	if (rename(tmp, dest) != 0) {
		refuse(x, "io-error", MSG_SAY(&x->msg, x->lang, MSG_FIX_WRITE, ARG_TEXT("file", dest), error_phrase(errno)));
		return false;
	}
	return true;
}

/* Opens the temporary copy beside dest, with the mode the copy will have. */
static FILE *open_copy(const char *dest, const char *file, struct buf *tmp, int *err)
{
	char *dir = dir_of(dest);
	buf_addf(tmp, "%s.qy-fix-XXXXXX", dir);
	free(dir);
	int fd = mkstemp(tmp->data);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	struct stat st;
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, strcmp(file, "-") && stat(file, &st) == 0 ? st.st_mode & 07777 : 0666 & ~mask);
	return fdopen(fd, "wb");
}

/*
 * Reports a file that gets no copy: one finding and its file record, straight
 * to stdout, and the message on stderr unless stdout is a terminal showing it.
 */
static int report_refusal(const struct settings *s, const char *file, const struct ruleset *rs, const char *code,
			  struct message message, uint64_t bytes, const char *encoding, const char *source)
{
	struct diag_options dopt = s->diag;
	struct diag_file df;
	dopt.out = stdout;
	diag_file_begin(&df, &dopt, file, rs ? rs->id : NULL);
	struct diag d = DIAG_INIT;
	d.severity = SEV_ERROR;
	d.code = d.rule = code;
	d.message = message;
	diag_emit(&df, &d);
	df.encoding_source = source;
	diag_file_end(&df, 0, bytes, encoding);
	if (!isatty(STDOUT_FILENO))
		warnmsg("%s: %s", file, message.text);
	return EXIT_TROUBLE;
}

/* The rule set for a file: given, or by its name, or by its header. */
static const struct ruleset *choose(const struct settings *s, const char *file, int fd)
{
	if (s->fixed)
		return s->fixed;
	const struct ruleset *rs = strcmp(file, "-") ? ruleset_for_name(s->sets, (size_t)s->nsets, file) : NULL;
	return rs ? rs : fd == STDIN_FILENO ? NULL : header_fit_file(fd, s->sets, (size_t)s->nsets);
}

static const char *encoding_name(enum csvr_encoding e)
{
	return e == CSVR_GBK ? "gbk" : e == CSVR_GB18030 ? "gb18030" : "utf-8";
}

/* Repairs one file into its copy; returns its exit status. */
static int fix_one(const struct settings *s, const char *file)
{
	struct msgbuf msg = {0};
	enum lang lang = s->diag.lang;
	int fd = strcmp(file, "-") ? open(file, O_RDONLY) : STDIN_FILENO;
	struct stat st;
	if (fd < 0 || (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))) {
		int err = fd < 0 ? errno : EISDIR;
		if (fd >= 0)
			close(fd);
		int rc = report_refusal(s, file, NULL, "io-error", MSG_SAY(&msg, lang, MSG_CANNOT_OPEN, error_phrase(err)),
					0, NULL, NULL);
		msgbuf_free(&msg);
		return rc;
	}
	const struct ruleset *rs = choose(s, file, fd);
	char *dest = s->output ? xstrdup(s->output) : s->in_place ? xstrdup(file) : NULL;
	if (!dest && strcmp(file, "-"))
		dest = with_suffix(file, s->suffix);
	struct message problem = !rs ? MSG_SAY0(&msg, lang, MSG_FIX_NO_RULESET)
				 : !dest ? MSG_SAY0(&msg, lang, MSG_FIX_STDIN)
				 : !s->in_place && platform_same_file(file, dest)
				   ? MSG_SAY(&msg, lang, MSG_FIX_OUTPUT_IS_INPUT, ARG_TEXT("file", dest))
				   : MESSAGE_TEXT(NULL);
	if (problem.text) {
		if (fd != STDIN_FILENO)
			close(fd);
		int rc = report_refusal(s, file, rs, rs ? "io-error" : "no-ruleset", problem, 0, NULL, NULL);
		free(dest);
		msgbuf_free(&msg);
		return rc;
	}

	struct buf tmp = {0};
	int err = 0;
	struct fixer x = {.s = s, .rs = rs, .lang = lang, .to_legacy = (iconv_t)-1, .encoding = CSVR_UTF8};
	x.out = open_copy(dest, file, &tmp, &err);
	if (!x.out) {
		if (fd != STDIN_FILENO)
			close(fd);
		int rc = report_refusal(s, file, rs, "io-error",
					MSG_SAY(&msg, lang, MSG_FIX_COPY_BESIDE, ARG_TEXT("file", dest), error_phrase(err)),
					0, NULL, NULL);
		free(dest), buf_free(&tmp), msgbuf_free(&msg);
		return rc;
	}
	FILE *held = tmpfile();
	if (!held)
		die(EXIT_TROUBLE, "cannot create a temporary file: %s", strerror(errno));
	struct diag_options dopt = s->diag;
	struct diag_file df;
	dopt.out = held;
	diag_file_begin(&df, &dopt, file, rs->id);
	x.df = &df;
	struct csvr_options ropt = {
		.delimiter = rs->delimiter, .max_field = MAX_CELL,
		.encoding = s->encoding_given ? s->encoding : rs->encoding_declared ? rs->encoding : CSVR_AUTO,
	};
	struct csvr_handler h = {on_record, on_event, &x};
	struct csvr *reader = csvr_new(&ropt, &h);
	if (!reader)
		die(EXIT_TROUBLE, "iconv cannot convert from %s", encoding_name(ropt.encoding));
	uint64_t bytes = read_into(&x, fd, reader, &err);
	if (err)
		refuse(&x, "io-error", MSG_SAY(&msg, lang, MSG_FIX_READ, error_phrase(err)));
	if (!x.refused_code)
		csvr_finish(reader);
	if (!x.started && !x.refused_code)
		start_copy(&x);
	csvr_free(reader);
	if (fd != STDIN_FILENO)
		close(fd);
	if (fclose(x.out) != 0 && !x.refused_code)
		refuse(&x, "io-error", MSG_SAY(&msg, lang, MSG_FIX_WRITE_COPY, error_phrase(errno)));
	bool unchanged_in_place = s->in_place && df.counts[SEV_INFO] == 0;
	if (unchanged_in_place && !x.refused_code)
		unlink(tmp.data); /* nothing to change: the file stays as it is, with no backup */
	else if (x.refused_code || !install(&x, tmp.data, file, dest))
		unlink(tmp.data);
	int rc = EXIT_PASS;
	const char *encoding = x.stopped_on ? x.stopped_on : encoding_name(x.encoding);
	const char *source = x.stopped_on || x.encoding_detected ? "detected" : "declared";
	if (x.refused_code) {
		diag_file_end(&df, 0, 0, NULL); /* its records are dropped with held: the file was not repaired */
		fclose(held);
		rc = report_refusal(s, file, rs, x.refused_code, (struct message){.text = x.refused.text.data, .args = x.refused.args.len ? x.refused.args.data : NULL},
				    bytes, encoding, source);
	} else {
		df.encoding_source = source;
		df.output = dest;
		diag_file_end(&df, x.records, bytes, encoding);
		copy_to_stdout(held);
		fclose(held);
	}
	if (x.to_legacy != (iconv_t)-1)
		iconv_close(x.to_legacy);
	free(x.file_to_col);
	buf_free(&x.line), buf_free(&x.cell), buf_free(&x.conv), msgbuf_free(&x.msg);
	msgbuf_free(&x.refused), buf_free(&tmp), msgbuf_free(&msg);
	free(dest);
	return rc;
}

int main(int argc, char **argv)
{
	struct settings s = {0};
	cli_init("qy-fix");
	int first = parse_args(argc, argv, &s);
	load_rules(&s);
	int rc = EXIT_PASS;
	for (int i = first; i < argc; i++) {
		int one = fix_one(&s, argv[i]);
		rc = one > rc ? one : rc;
	}
	ruleset_free(s.fixed);
	for (int i = 0; i < s.nsets; i++)
		ruleset_free(s.sets[i]);
	free(s.sets);
	close_stdout();
	return rc;
}
