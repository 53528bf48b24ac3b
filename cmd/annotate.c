/*
 * qy-annotate — a checked file given back as a workbook with its findings on it.
 *
 * usage: qy-check FILE | qy-annotate [--lang zh|en] FILE [STREAM...] > OUT.xlsx
 *
 * Reads the diagnostic stream (the STREAM files, or stdin), keeps the records
 * of FILE, then reads FILE itself — a CSV file in the encoding its file record
 * names, or the sheet of a workbook its findings name — and writes a new
 * workbook (libxlsxwriter) to stdout: a first sheet 检查结果 listing every
 * finding with a link to its cell, the file-level findings (coverage,
 * aggregates, targets) among them; then a copy of the data in which every
 * cell with a finding is filled by severity (red error, amber warning, blue
 * info) and carries a comment with the messages, and a first column flags the
 * rows with findings.  Cells keep their values and number formats; they sit
 * one column to the right of where they were, for the flags, and the list
 * names each finding's cell as qy-check did.  --lang chooses the language of
 * it all, messages too (rendered again from their args; a message without
 * them, or from a newer version, is shown as the stream has it).  FILE is
 * only read.  Rows are written in order, so memory grows with the findings,
 * not with the file.
 */
#include "book.h"
#include "cli.h"
#include "csvread.h"
#include "diag.h"
#include "stream.h"
#include "strmap.h"
#include "utf8.h"
#include "util.h"
#include "xlsxout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: qy-check FILE | qy-annotate [--lang zh|en] FILE [STREAM...] > OUT.xlsx\n"
	"\n"
	"Write FILE (CSV or a workbook) as a new workbook with its findings from the\n"
	"diagnostic stream (the STREAM files, or stdin): cells with findings coloured\n"
	"by severity and commented, rows with findings flagged in a first column, and\n"
	"a first sheet listing every finding with a link to its cell.\n"
	"\n"
	"      --lang LANG     zh or en for the sheet names and headings (default from LANG)\n"
	"  -h, --help         show this help\n"
	"      --version      show the version\n"
	"\n"
	"Exit status: 0 written, 2 trouble (usage, an unreadable file or stream).\n";

enum { OPT_LANG = 256 };

static const struct option long_options[] = {
	{"lang", required_argument, NULL, OPT_LANG},
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {{"lang", "zh en"}, {NULL, NULL}};

/* Excel's bounds: characters in a cell, hyperlinks on a sheet. */
#define CELL_CHARS 32767
#define MAX_LINKS 65530

/* Fill colours by severity (info, warning, error): Excel's own blue, amber and red. */
static const lxw_color_t fills[] = {0xDDEBF7, 0xFFEB9C, 0xFFC7CE};

/* A finding of FILE, as far as the workbook shows it. */
struct note {
	enum severity severity;
	char *code, *rule, *message, *cell, *column, *value;
	uint64_t row;              /* 0: about the whole file */
	size_t col;                /* 0-based; SIZE_MAX: no cell */
	size_t order;              /* place in the stream */
};

/* What the stream says about FILE. */
struct findings {
	struct note *notes;
	size_t n, cap;
	bool seen;                 /* a record of FILE was read */
	char *encoding, *sheet, *ruleset, *status;
	uint64_t counts[3], records;
	bool have_counts;
};

/* The workbook being written and where the copy of the data has got to. */
struct writer {
	lxw_workbook *book;
	lxw_worksheet *list, *data;
	char *data_name;
	enum lang lang;
	struct note **sorted;      /* notes with a row, by row, column, then stream order */
	size_t nsorted, next;
	struct strmap formats;     /* "severity|id|code" → lxw_format * */
	lxw_format **made;
	size_t nmade;
	lxw_format *bold;
	struct buf text;
	int64_t last_row;          /* the last sheet row written, 0-based; -1 none */
	const char *problem;       /* why the file could not be read, or NULL */
	struct msgbuf problem_text;
};

/* True if two paths name the same file as given: "./a.csv" is "a.csv". */
static bool same_file(const char *a, const char *b)
{
	while (a[0] == '.' && a[1] == '/')
		a += 2;
	while (b[0] == '.' && b[1] == '/')
		b += 2;
	return strcmp(a, b) == 0;
}

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

/* A cell reference ("AB12") as a 0-based column, or SIZE_MAX. */
static size_t ref_column(const char *ref)
{
	size_t col = 0;
	const char *p = ref;
	for (; p && *p >= 'A' && *p <= 'Z' && col <= SHEET_MAX_COLS; p++)
		col = col * 26 + (size_t)(*p - 'A' + 1);
	return p && p != ref && *p >= '0' && *p <= '9' && col <= SHEET_MAX_COLS ? col - 1 : SIZE_MAX;
}

/* Reads the stream and keeps FILE's records; exits 2 when a stream cannot be read. */
static void read_findings(char **inputs, int n, const char *file, enum lang lang, struct findings *f)
{
	struct buf said = {0};
	struct stream s;
	struct record r;
	int rc;
	stream_open(&s, inputs, n, false);
	while ((rc = stream_next(&s, &r)) > 0) {
		if ((r.type != REC_DIAGNOSTIC && r.type != REC_FILE) || !same_file(r.file, file))
			continue;
		f->seen = true;
		if (r.sheet && !f->sheet)
			f->sheet = xstrdup(r.sheet);
		if (r.type == REC_FILE) {
			free(f->encoding), free(f->ruleset), free(f->status);
			f->encoding = dup_or_null(r.encoding);
			f->ruleset = dup_or_null(r.ruleset);
			f->status = dup_or_null(r.status);
			memcpy(f->counts, r.counts, sizeof f->counts);
			f->records = r.records;
			f->have_counts = true;
			continue;
		}
		if (f->n == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 64;
			f->notes = xrealloc(f->notes, f->cap * sizeof *f->notes);
		}
		f->notes[f->n] = (struct note){
			.severity = r.severity, .code = xstrdup(r.code), .rule = xstrdup(r.rule),
			.message = xstrdup(record_message(&r, lang, &said)), .cell = dup_or_null(r.cell), .column = dup_or_null(r.column),
			.value = dup_or_null(r.value), .row = r.row, .col = r.cell ? ref_column(r.cell) : SIZE_MAX,
			.order = f->n,
		};
		f->n++;
	}
	stream_close(&s);
	buf_free(&said);
	if (rc < 0)
		exit(EXIT_TROUBLE);
}

static int by_position(const void *a, const void *b)
{
	const struct note *x = *(struct note *const *)a, *y = *(struct note *const *)b;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	size_t xc = x->col == SIZE_MAX ? 0 : x->col + 1, yc = y->col == SIZE_MAX ? 0 : y->col + 1;
	if (xc != yc)
		return xc < yc ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static const char *severity_word(enum severity s, enum lang lang)
{
	static const char *const zh[] = {"提示", "警告", "错误"};
	return lang == LANG_ZH ? zh[s] : severity_name(s);
}

/* The format of a data cell: its number format, filled by severity (SEV_NEVER: no fill). */
static lxw_format *cell_format(struct writer *w, enum severity sev, const struct book_cell *info)
{
	int id = info && info->type == BV_NUMBER ? info->format_id : 0;
	const char *code = info && info->type == BV_NUMBER && info->format_code ? info->format_code : "";
	if (sev == SEV_NEVER && id == 0 && !*code)
		return NULL;
	struct buf key = {0};
	buf_addf(&key, "%d|%d|%s", (int)sev, id, code);
	bool inserted;
	uint64_t *slot = strmap_upsert(&w->formats, key.data, key.len, &inserted);
	buf_free(&key);
	if (!inserted)
		return w->made[*slot];
	lxw_format *f = workbook_add_format(w->book);
	if (*code)
		format_set_num_format(f, code);
	else if (id)
		format_set_num_format_index(f, (uint8_t)id);
	if (sev != SEV_NEVER) {
		format_set_pattern(f, LXW_PATTERN_SOLID);
		format_set_bg_color(f, fills[sev]);
	}
	w->made = xrealloc(w->made, (w->nmade + 1) * sizeof *w->made);
	w->made[w->nmade] = f;
	*slot = w->nmade++;
	return f;
}

/* True if s[0..n) starts with an OOXML escape such as _x000D_. */
static bool is_escape(const char *s, size_t n)
{
	if (n < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_')
		return false;
	for (int i = 2; i < 6; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	return true;
}

/*
 * Cell text as a workbook may hold it: valid UTF-8 (U+FFFD for the rest), no
 * NUL, at most CELL_CHARS, and text that looks like an OOXML escape (_x0041_)
 * escaped itself (_x005F_x0041_), as libxlsxwriter leaves it to its caller.
 */
static const char *cell_text(struct writer *w, const char *s, size_t n)
{
	buf_reset(&w->text);
	size_t chars = 0;
	for (size_t i = 0; i < n && chars < CELL_CHARS; chars++) {
		size_t len = s[i] ? utf8_char_len((const unsigned char *)s + i, n - i) : 0;
		if (is_escape(s + i, n - i))
			buf_adds(&w->text, "_x005F");
		if (len)
			buf_add(&w->text, s + i, len);
		else
			buf_adds(&w->text, "\xEF\xBF\xBD");
		i += len ? len : 1;
	}
	return w->text.data ? w->text.data : "";
}

/* The flag of a row: its counts by severity ("错误 1、警告 2"). */
static void flag_text(struct buf *b, const size_t counts[3], enum lang lang)
{
	buf_reset(b);
	for (int s = SEV_ERROR; s >= SEV_INFO; s--)
		if (counts[s])
			buf_addf(b, "%s%s %zu", b->len ? (lang == LANG_ZH ? "、" : ", ") : "",
				 severity_word((enum severity)s, lang), counts[s]);
}

/*
 * Writes the comment of one cell, made of the messages of notes[0..n), all
 * about the cell at (row, col) of the copy.
 */
static void write_comment(struct writer *w, lxw_row_t row, lxw_col_t col, struct note **notes, size_t n)
{
	struct buf text = {0};
	for (size_t i = 0; i < n; i++)
		buf_addf(&text, "%s%s%s%s", i ? "\n" : "", severity_word(notes[i]->severity, w->lang),
			 w->lang == LANG_ZH ? "：" : ": ", notes[i]->message);
	lxw_comment_options opt = {.author = "qy", .x_scale = 2.5, .y_scale = n > 2 ? 2.0 : 1.2};
	worksheet_write_comment_opt(w->data, row, col, cell_text(w, text.data, text.len), &opt);
	buf_free(&text);
}

/*
 * Writes sheet row row (1-based) of the copy: the flag, the cells of rec (or
 * none), and the findings of the row, which are next in w->sorted.
 */
static void write_row(struct writer *w, uint64_t row, const struct csvr_record *rec, const struct book_cell *info)
{
	lxw_row_t r = (lxw_row_t)(row - 1);
	size_t first = w->next, counts[3] = {0};
	while (w->next < w->nsorted && w->sorted[w->next]->row == row)
		counts[w->sorted[w->next++]->severity]++;
	size_t last = w->next;
	enum severity worst = counts[SEV_ERROR] ? SEV_ERROR : counts[SEV_WARNING] ? SEV_WARNING
			      : counts[SEV_INFO] ? SEV_INFO : SEV_NEVER;
	struct buf flag = {0};
	if (worst != SEV_NEVER) {
		flag_text(&flag, counts, w->lang);
		worksheet_write_string(w->data, r, 0, flag.data, cell_format(w, worst, NULL));
	} else if (row == 1) {
		worksheet_write_string(w->data, r, 0, w->lang == LANG_ZH ? "检查" : "check", w->bold);
	}
	buf_free(&flag);
	/* each data cell, filled by its worst finding */
	size_t k = first;
	for (size_t c = 0; rec && c < rec->ncells; c++) {
		enum severity sev = SEV_NEVER;
		while (k < last && (w->sorted[k]->col == SIZE_MAX || w->sorted[k]->col < c))
			k++;
		for (size_t j = k; j < last && w->sorted[j]->col == c; j++)
			if (sev == SEV_NEVER || w->sorted[j]->severity > sev)
				sev = w->sorted[j]->severity;
		const struct csvr_cell *cell = &rec->cells[c];
		const struct book_cell *bc = info ? &info[c] : NULL;
		lxw_format *fmt = cell_format(w, sev, bc);
		lxw_col_t col = (lxw_col_t)(c + 1);
		if (bc && bc->type == BV_NUMBER) {
			double v = bc->number;
			if (bc->date1904 && excel_shape_is_date(bc->shape))
				v += 1462; /* the copy counts dates from 1900 */
			worksheet_write_number(w->data, r, col, v, fmt);
		} else if (bc && bc->type == BV_BOOL) {
			worksheet_write_boolean(w->data, r, col, bc->number != 0, fmt);
		} else if (cell->len) {
			worksheet_write_string(w->data, r, col, cell_text(w, cell->data, cell->len), fmt);
		} else if (fmt) {
			worksheet_write_blank(w->data, r, col, fmt);
		}
	}
	/* the comments: one per cell with findings, and the row's own on its flag */
	for (size_t i = first; i < last;) {
		size_t j = i + 1;
		while (j < last && w->sorted[j]->col == w->sorted[i]->col)
			j++;
		size_t c = w->sorted[i]->col;
		lxw_col_t col = c == SIZE_MAX ? 0 : (lxw_col_t)(c + 1);
		if (c != SIZE_MAX && (!rec || c >= rec->ncells)) {
			enum severity sev = SEV_INFO;
			for (size_t m = i; m < j; m++)
				if (w->sorted[m]->severity > sev)
					sev = w->sorted[m]->severity;
			worksheet_write_blank(w->data, r, col, cell_format(w, sev, NULL));
		}
		write_comment(w, r, col, w->sorted + i, j - i);
		i = j;
	}
	w->last_row = (int64_t)r;
}

/* Writes the rows with findings but no record that come before sheet row row (0: all that are left). */
static void write_rows_before(struct writer *w, uint64_t row)
{
	while (w->next < w->nsorted && (row == 0 || w->sorted[w->next]->row < row)) {
		uint64_t r = w->sorted[w->next]->row;
		if ((int64_t)r - 1 <= w->last_row) { /* a second record of a row already written */
			w->next++;
			continue;
		}
		write_row(w, r, NULL, NULL);
	}
}

/* A record of FILE: its row of the copy, after any rows of findings before it. */
static void on_record(void *ctx, const struct csvr_record *rec, const struct book_cell *info)
{
	struct writer *w = ctx;
	if (w->problem || (int64_t)rec->row - 1 <= w->last_row || rec->row > SHEET_MAX_ROWS)
		return;
	write_rows_before(w, rec->row);
	write_row(w, rec->row, rec, info);
}

static void on_csv_record(void *ctx, const struct csvr_record *rec)
{
	on_record(ctx, rec, NULL);
}

/* A problem that stops reading the file; cell problems are in the stream already. */
static void on_book_event(void *ctx, const struct book_event *ev)
{
	struct writer *w = ctx;
	if (ev->kind >= BOOK_EV_LIMIT && !w->problem)
		w->problem = book_event_message(ev, w->lang, &w->problem_text).text;
}

static void on_csv_event(void *ctx, const struct csvr_event *ev)
{
	struct writer *w = ctx;
	if (ev->kind == CSVR_EV_UTF16 && !w->problem)
		w->problem = w->lang == LANG_ZH ? "文件为 UTF-16 编码" : "the file is UTF-16";
}

/* The encoding a file record names, for the CSV reader. */
static enum csvr_encoding encoding_of(const char *name)
{
	if (name && strcmp(name, "gb18030") == 0)
		return CSVR_GB18030;
	if (name && strcmp(name, "gbk") == 0)
		return CSVR_GBK;
	return CSVR_UTF8;
}

static void on_sheet(void *ctx, const char *name)
{
	(void)ctx, (void)name;
}

/* Reads FILE into the copy: its first bytes tell a workbook from CSV. */
static void copy_data(struct writer *w, const char *file, const struct findings *f)
{
	int fd = open(file, O_RDONLY);
	if (fd < 0)
		die(EXIT_TROUBLE, "%s: %s", file, strerror(errno));
	char head[BOOK_HEAD];
	ssize_t n = read(fd, head, sizeof head);
	if (n < 0)
		die(EXIT_TROUBLE, "%s: %s", file, strerror(errno));
	enum book_kind kind = book_kind_of((const unsigned char *)head, (size_t)n);
	if (kind != BOOK_TEXT) {
		struct book_options opt = {.path = file, .sheet = f->sheet};
		struct book_handler h = {.sheet = on_sheet, .record = on_record, .event = on_book_event, .ctx = w};
		struct book *b = book_new(&opt, &h);
		uint64_t bytes;
		book_read(b, kind, fd, head, (size_t)n, &bytes);
		book_free(b);
	} else {
		struct csvr_options opt = {.encoding = encoding_of(f->encoding)};
		struct csvr_handler h = {on_csv_record, on_csv_event, w};
		struct csvr *r = csvr_new(&opt, &h);
		if (!r)
			die(EXIT_TROUBLE, "iconv cannot convert from %s", f->encoding);
		char *chunk = xmalloc(1 << 20);
		csvr_feed(r, head, (size_t)n);
		while (!csvr_stopped(r) && (n = read(fd, chunk, 1 << 20)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die(EXIT_TROUBLE, "%s: %s", file, strerror(errno));
			csvr_feed(r, chunk, (size_t)n);
		}
		csvr_finish(r);
		csvr_free(r);
		free(chunk);
	}
	close(fd);
	if (w->problem)
		die(EXIT_TROUBLE, "%s: %s", file, w->problem);
	write_rows_before(w, 0);
}

/* The copy's cell of a finding, for a link: "internal:'数据'!D5" (its row's flag when it has no cell). */
static void link_target(struct buf *b, const struct writer *w, const struct note *n)
{
	char letter[16];
	cell_column_name(n->col == SIZE_MAX ? 0 : n->col + 1, letter);
	buf_reset(b);
	buf_addf(b, "internal:'%s'!%s%llu", w->data_name, letter, (unsigned long long)n->row);
}

/* Writes the first sheet: a summary, then every finding with a link to its cell. */
static void write_list(struct writer *w, const char *file, const struct findings *f)
{
	bool zh = w->lang == LANG_ZH;
	lxw_worksheet *ws = w->list;
	static const char *const heads_zh[] = {"严重程度", "行", "单元格", "列", "值", "说明", "规则", "代码"};
	static const char *const heads_en[] = {"severity", "row", "cell", "column", "value", "message", "rule", "code"};
	static const double widths[] = {10, 8, 10, 14, 18, 70, 30, 16};
	struct buf b = {0}, target = {0};
	buf_addf(&b, zh ? "检查结果：%s" : "Findings: %s", file);
	if (f->sheet)
		buf_addf(&b, zh ? "（工作表“%s”）" : " (sheet '%s')", f->sheet);
	worksheet_write_string(ws, 0, 0, cell_text(w, b.data, b.len), w->bold);
	buf_reset(&b);
	if (f->ruleset)
		buf_addf(&b, zh ? "规则集 %s；" : "rule set %s; ", f->ruleset);
	if (f->have_counts)
		buf_addf(&b, zh ? "%llu 条记录，错误 %llu，警告 %llu，提示 %llu —— %s" : "%llu records, %llu errors, %llu warnings, %llu info — %s",
			 (unsigned long long)f->records, (unsigned long long)f->counts[SEV_ERROR],
			 (unsigned long long)f->counts[SEV_WARNING], (unsigned long long)f->counts[SEV_INFO],
			 f->status && strcmp(f->status, "pass") == 0 ? (zh ? "通过" : "pass") : (zh ? "未通过" : "fail"));
	if (b.len)
		worksheet_write_string(ws, 1, 0, b.data, NULL);
	for (lxw_col_t k = 0; k < 8; k++) {
		worksheet_set_column(ws, k, k, widths[k], NULL);
		worksheet_write_string(ws, 3, k, zh ? heads_zh[k] : heads_en[k], w->bold);
	}
	size_t links = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct note *n = &f->notes[i];
		lxw_row_t r = (lxw_row_t)(4 + i);
		worksheet_write_string(ws, r, 0, severity_word(n->severity, w->lang), cell_format(w, n->severity, NULL));
		if (n->row) {
			worksheet_write_number(ws, r, 1, (double)n->row, NULL);
			buf_reset(&b);
			if (n->cell)
				buf_adds(&b, n->cell);
			else
				buf_addf(&b, zh ? "第 %llu 行" : "row %llu", (unsigned long long)n->row);
			link_target(&target, w, n);
			if (links < MAX_LINKS && n->row <= SHEET_MAX_ROWS) {
				worksheet_write_url_opt(ws, r, 2, target.data, NULL, b.data, NULL);
				links++;
			} else {
				worksheet_write_string(ws, r, 2, b.data, NULL);
			}
		}
		const char *texts[] = {n->column, n->value, n->message, n->rule, n->code};
		for (int k = 0; k < 5; k++)
			if (texts[k] && *texts[k])
				worksheet_write_string(ws, r, (lxw_col_t)(3 + k), cell_text(w, texts[k], strlen(texts[k])),
						       NULL);
	}
	if (f->n)
		worksheet_autofilter(ws, 3, 0, (lxw_row_t)(3 + f->n), 7);
	worksheet_freeze_panes(ws, 4, 0);
	buf_free(&b), buf_free(&target);
}

/* A sheet name Excel accepts: no []:*?/\, at most 31 characters, not the list's name. */
static char *data_sheet_name(const char *sheet, enum lang lang)
{
	const char *list = lang == LANG_ZH ? "检查结果" : "findings";
	const char *base = sheet ? sheet : lang == LANG_ZH ? "数据" : "data";
	struct buf b = {0};
	size_t n = strlen(base), bytes = 0;
	for (size_t chars = 0; bytes < n && chars < 28; chars++) {
		size_t len = utf8_char_len((const unsigned char *)base + bytes, n - bytes);
		bytes += len ? len : 1;
	}
	buf_add(&b, base, bytes);
	for (char *p = b.data; *p; p++)
		if (strchr("[]:*?/\\'", *p))
			*p = '_';
	if (strcmp(b.data, list) == 0)
		buf_adds(&b, " 2");
	return b.data;
}

int main(int argc, char **argv)
{
	int c;
	enum lang lang = lang_from_env();
	cli_init("qy-annotate");
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_LANG: lang = cli_lang(optarg); break;
		default: cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	if (optind >= argc)
		cli_usage_error("name the checked file: qy-check FILE | qy-annotate FILE > OUT.xlsx");
	const char *file = argv[optind];
	if (access(file, R_OK) != 0)
		die(EXIT_TROUBLE, "%s: %s", file, strerror(errno));
	struct findings f = {0};
	read_findings(argv + optind + 1, argc - optind - 1, file, lang, &f);
	if (!f.seen)
		die(EXIT_TROUBLE, "the stream has no records of '%s'; check it first: qy-check %s | qy-annotate %s",
		    file, file, file);
	struct writer w = {.lang = lang, .last_row = -1};
	strmap_init(&w.formats);
	w.sorted = xmalloc((f.n + 1) * sizeof *w.sorted);
	for (size_t i = 0; i < f.n; i++)
		if (f.notes[i].row)
			w.sorted[w.nsorted++] = &f.notes[i];
	sort_items(w.sorted, w.nsorted, sizeof *w.sorted, by_position);
	struct xlsxout out;
	xlsxout_start(&out, true);
	w.book = out.book;
	w.bold = workbook_add_format(w.book);
	format_set_bold(w.bold);
	w.data_name = data_sheet_name(f.sheet, lang);
	w.list = workbook_add_worksheet(w.book, lang == LANG_ZH ? "检查结果" : "findings");
	w.data = workbook_add_worksheet(w.book, w.data_name);
	worksheet_freeze_panes(w.data, 0, 1);
	worksheet_set_column(w.data, 0, 0, 16, NULL);
	write_list(&w, file, &f);
	copy_data(&w, file, &f);
	xlsxout_finish(&out);
	for (size_t i = 0; i < f.n; i++) {
		struct note *n = &f.notes[i];
		free(n->code), free(n->rule), free(n->message), free(n->cell), free(n->column), free(n->value);
	}
	free(f.notes), free(f.encoding), free(f.sheet), free(f.ruleset), free(f.status);
	free(w.sorted), free(w.made), free(w.data_name);
	strmap_free(&w.formats);
	buf_free(&w.text), msgbuf_free(&w.problem_text);
	close_stdout();
	return EXIT_PASS;
}
