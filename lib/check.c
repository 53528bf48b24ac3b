/*
 * check.c — one pass over a file: reads it (a CSV file chunk by chunk, or a
 * workbook's sheet), hands its records to the record checks (checkrecord.c)
 * with their positions, turns the reader's events into findings, and reports
 * what the end of the input shows; a file whose rules' groups came back is
 * read a second time for them.  Messages come in Chinese and English side
 * by side.
 */
#include "check.h"
#include "checker.h"
#include "book.h"
#include "keyset.h"
#include "msgcat.h"
#include "rules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (1024 * 1024)

/* An encoding as messages name it. */
static const char *encoding_label(enum csvr_encoding e)
{
	return e == CSVR_GBK ? "GBK" : e == CSVR_GB18030 ? "GB18030" : "UTF-8";
}

/* Turns a reader event into its diagnostic. */
static void on_event(void *ctx, const struct csvr_event *ev)
{
	struct checker *k = ctx;
	struct msgbuf *m = &k->msg;
	struct message said = {0};
	unsigned long long at = ev->offset;
	const char *code = "encoding-error";
	enum severity sev = SEV_ERROR;
	switch (ev->kind) {
	case CSVR_EV_BOM:
		code = "bom";
		sev = SEV_INFO;
		if (k->requested == CSVR_GBK || k->requested == CSVR_GB18030)
			said = MSG_SAY(m, k->lang, MSG_BOM_DECLARED, ARG_TEXT("encoding", encoding_label(k->requested)));
		else
			said = MSG_SAY0(m, k->lang, MSG_BOM);
		break;
	case CSVR_EV_ENCODING:
		k->encoding = ev->encoding;
		k->encoding_known = true;
		k->encoding_detected = ev->detected;
		if (ev->encoding == CSVR_UTF8)
			return;
		code = "legacy-encoding";
		sev = SEV_INFO;
		said = MSG_SAY(m, k->lang, ev->detected ? MSG_LEGACY_DETECTED : MSG_LEGACY_DECLARED,
			       ARG_TEXT("encoding", encoding_label(ev->encoding)));
		check_emit_file_level(k, sev, code, NULL, 0, 0, said);
		return;
	case CSVR_EV_BAD_BYTES:
	case CSVR_EV_NUL:
		k->byte_event = *ev;
		k->byte_event_pending = true;
		if (ev->kind == CSVR_EV_NUL) {
			said = MSG_SAY(m, k->lang, MSG_ENCODING_NUL, ARG_NUM("offset", at));
		} else {
			char byte[3];
			snprintf(byte, sizeof byte, "%02X", ev->bytes[0]);
			said = MSG_SAY(m, k->lang, MSG_ENCODING_BYTE, ARG_NUM("offset", at), ARG_TEXT("byte", byte),
				       ARG_TEXT("encoding", encoding_label(k->encoding)));
		}
		msg_keep(&k->byte_event_message, said);
		return;
	case CSVR_EV_TRUNCATED:
		said = MSG_SAY(m, k->lang, MSG_ENCODING_TRUNCATED, ARG_NUM("offset", at));
		break;
	case CSVR_EV_UTF16:
		said = MSG_SAY0(m, k->lang, MSG_ENCODING_UTF16);
		break;
	case CSVR_EV_LEGACY:
		code = "legacy-encoding";
		k->legacy_stop = true;
		said = MSG_SAY(m, k->lang, MSG_LEGACY_NOT_READ, ARG_NUM("offset", at));
		break;
	case CSVR_EV_OVERSIZED: {
		struct diag d = DIAG_INIT;
		d.severity = SEV_ERROR;
		d.code = d.rule = "cell-too-large";
		d.cell = ev->cell;
		d.line = ev->line;
		d.row = ev->row;
		d.message = MSG_SAY(m, k->lang, MSG_CELL_TOO_LARGE, ARG_NUM("limit", k->max_field));
		check_report(k, &d);
		return;
	}
	case CSVR_EV_UNTERMINATED:
		code = "unterminated-quote";
		said = MSG_SAY(m, k->lang, MSG_UNTERMINATED, ARG_NUM("line", ev->line));
		break;
	}
	check_emit_file_level(k, sev, code, NULL, ev->line, ev->row, said);
}

/* Reports what the end of the input shows: nothing at all, no header, no data. */
static void check_end(struct checker *k, uint64_t bytes)
{
	struct msgbuf *m = &k->msg;
	if (k->legacy_stop || k->fits)
		return;
	if (bytes == 0 || (k->rows == 0 && !k->header_done))
		check_emit_file_level(k, SEV_ERROR, "empty-file", NULL, 0, 0, MSG_SAY0(m, k->lang, MSG_EMPTY_FILE));
	else if (!k->header_done)
		check_emit_file_level(k, SEV_ERROR, "empty-file", NULL, 0, 0,
				MSG_SAY(m, k->lang, MSG_NO_HEADER, ARG_NUM("rows", k->rows)));
	else if (k->records == 0)
		check_emit_file_level(k, SEV_WARNING, "empty-file", NULL, 0, 0, MSG_SAY0(m, k->lang, MSG_HEADER_ONLY));
}

/* The in-order state of a check. */
static struct in_order *new_in_order(const struct ruleset *rs, const struct check_options *opt,
				     struct diag_file *out)
{
	struct in_order *o = xmalloc(sizeof *o);
	*o = (struct in_order){.rs = rs, .opt = opt, .out = out, .lang = out->opt->lang};
	o->budget.limit = opt->max_memory;
	o->unique_sets = xcalloc(rs->nunique + 1, sizeof *o->unique_sets);
	o->dropped = xcalloc(rs->nunique + 1, sizeof *o->dropped);
	for (size_t u = 0; u < rs->nunique; u++)
		o->unique_sets[u].budget = &o->budget;
	o->keys = xcalloc(rs->nunique + 1, sizeof *o->keys);
	o->first = xcalloc(rs->nunique + 1, sizeof *o->first);
	if (rs->nrow_rules || rs->naggregates || rs->ncoverage || rs->nexports)
		o->rules = rules_state_new(rs, &o->budget, opt->as_of);
	return o;
}

static void free_in_order(struct in_order *o)
{
	for (size_t u = 0; u < o->rs->nunique; u++)
		keyset_free(&o->unique_sets[u]);
	free(o->unique_sets), free(o->dropped);
	free(o->keys), free(o->first), free(o->key_parts);
	buf_free(&o->key_text), buf_free(&o->key_fold), buf_free(&o->key_as_compared), msgbuf_free(&o->msg);
	for (size_t u = 0; o->unique_texts && u < o->rs->nunique; u++)
		buf_free(&o->unique_texts[u].rule), buf_free(&o->unique_texts[u].labels);
	free(o->unique_texts), buf_free(&o->key_values), buf_free(&o->said);
	rules_state_free(o->rules);
	free(o);
}

/*
 * Reports a regular file whose size changed while it was read (truncated or
 * still being written): its findings are not those of one whole file.
 */
static void check_size_kept(struct checker *k, int fd, struct check_result *res)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || (res->bytes == k->file_size && (uint64_t)st.st_size == k->file_size))
		return;
	check_emit_file_level(k, SEV_ERROR, "io-error", NULL, 0, 0,
			MSG_SAY(&k->msg, k->lang, MSG_SIZE_CHANGED, ARG_NUM("opened", k->file_size), ARG_NUM("read", res->bytes),
				ARG_NUM("now", st.st_size)));
	res->unreadable = res->size_changed = true;
}

static const char *encoding_name(enum csvr_encoding e)
{
	return e == CSVR_GBK ? "gbk" : e == CSVR_GB18030 ? "gb18030" : "utf-8";
}

/* Workbook callback: the sheet chosen names every later finding of the file. */
static void on_sheet(void *ctx, const char *name)
{
	struct checker *k = ctx;
	diag_file_sheet(k->out, name);
}

/* Workbook callback: a sheet row is a record like a CSV line. */
static void on_book_record(void *ctx, const struct csvr_record *rec, const struct book_cell *cells)
{
	(void)cells;
	check_on_record(ctx, rec);
}

/* Workbook callback: a problem of the file or of one cell becomes its finding. */
static void on_book_event(void *ctx, const struct book_event *ev)
{
	struct checker *k = ctx;
	if (ev->kind == BOOK_EV_OVERSIZED || (ev->kind == BOOK_EV_NOT_TABLE && ev->what == BOOK_UTF16)) {
		struct csvr_event same = {.kind = ev->kind == BOOK_EV_OVERSIZED ? CSVR_EV_OVERSIZED : CSVR_EV_UTF16,
					  .row = ev->row ? ev->row : 1, .line = ev->row ? 0 : 1, .cell = ev->col};
		on_event(k, &same);
		return;
	}
	if (ev->kind == BOOK_EV_NOT_TABLE)
		k->book_trouble = "not CSV and not a workbook";
	else if (ev->kind == BOOK_EV_ENCRYPTED)
		k->book_trouble = "the workbook is protected by a password";
	struct diag d = DIAG_INIT;
	d.severity = SEV_ERROR;
	d.code = d.rule = book_event_code(ev);
	d.message = book_event_message(ev, k->lang, &k->msg);
	d.row = ev->row;
	if (ev->row && ev->col != SIZE_MAX) {
		int col = k->file_to_col && ev->col < k->header_cells ? k->file_to_col[ev->col] : -1;
		d.cell = ev->col;
		d.column = col >= 0 ? k->rs->cols[col].name : NULL;
		d.value = ev->value;
		d.value_len = ev->value ? strlen(ev->value) : 0;
	}
	check_report(k, &d);
}

/*
 * Reads an input that is not CSV, whose first n bytes are in head: a
 * workbook's sheet goes through on_record as a CSV file's lines would; any
 * other kind gets its one finding.
 */
static void check_book(struct checker *k, int fd, enum book_kind kind, const char *head, size_t n,
		       struct check_result *res)
{
	struct book_options bopt = {
		.path = k->opt->path, .sheet = k->opt->sheet ? k->opt->sheet : k->rs->sheet,
		.max_field = k->max_field,
	};
	struct book_handler h = {.sheet = on_sheet, .record = on_book_record, .event = on_book_event, .ctx = k};
	k->book = book_new(&bopt, &h);
	k->book_stop = !book_read(k->book, kind, fd, head, n, &res->bytes);
	if (k->opt->on_read)
		k->opt->on_read(k->opt->on_read_ctx, res->bytes);
	book_free(k->book);
	k->book = NULL;
	res->encoding = kind == BOOK_UTF16 ? "utf-16" : NULL;
	if (k->book_stop && kind != BOOK_UTF16) {
		res->unreadable = true;
		res->trouble = k->book_trouble ? k->book_trouble : "the workbook could not be read";
	}
}

/* Reads an input's first bytes, enough to tell a workbook from CSV; returns how many. */
static size_t read_head(int fd, char *chunk, int *read_error)
{
	size_t have = 0;
	while (have < BOOK_HEAD) {
		ssize_t n = read(fd, chunk + have, READ_CHUNK - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			*read_error = errno;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	return have;
}

/* Counts n bytes of CSV input read into chunk and feeds them to the reader. */
static void take_input(struct checker *k, const char *chunk, size_t n, struct check_result *res)
{
	res->bytes += (uint64_t)n;
	if (k->opt->on_read)
		k->opt->on_read(k->opt->on_read_ctx, (uint64_t)n);
	if (!csvr_stopped(k->reader) && !k->fits)
		csvr_feed(k->reader, chunk, n);
}

/* Sets up a checker of one file against rs, its findings going to out. */
static void checker_init(struct checker *k, const struct ruleset *rs, const struct check_options *opt,
			 struct diag_file *out)
{
	*k = (struct checker){.rs = rs, .opt = opt, .out = out, .lang = out->opt->lang};
	struct csvr_options ropt = {
		.delimiter = rs->delimiter,
		.encoding = opt->encoding_given ? opt->encoding : rs->encoding_declared ? rs->encoding : CSVR_AUTO,
		.max_field = opt->max_field,
	};
	struct csvr_handler h = {check_on_record, on_event, k};
	k->requested = ropt.encoding;
	k->encoding = ropt.encoding == CSVR_AUTO ? CSVR_UTF8 : ropt.encoding;
	k->max_field = opt->max_field ? opt->max_field : 1024 * 1024;
	k->reader = csvr_new(&ropt, &h);
	if (!k->reader)
		die(EXIT_TROUBLE, "iconv cannot convert from %s", encoding_name(ropt.encoding));
	k->order = new_in_order(rs, opt, out);
	/* one block: values, then text, then textlen; each cell of a record sets its column's */
	k->values = xcalloc(rs->ncols + 1, COLUMN_STATE_SIZE);
	k->text = (const char **)(k->values + rs->ncols);
	k->textlen = (size_t *)(k->text + rs->ncols);
	k->memos = xcalloc(rs->ncols + 1, sizeof *k->memos);
	k->expected_texts = xcalloc(rs->ncols + 1, sizeof *k->expected_texts);
}

/* Frees what a checker holds but its in-order state (free_in_order). */
static void checker_free(struct checker *k)
{
	const struct ruleset *rs = k->rs;
	csvr_free(k->reader);
	free(k->file_to_col);
	free(k->col_to_file);
	msgbuf_free(&k->msg), msgbuf_free(&k->byte_event_message);
	buf_free(&k->folded), buf_free(&k->expected);
	for (size_t i = 0; k->rule_ids && i < rs->ncols * CHK_COUNT; i++)
		free(k->rule_ids[i]);
	free(k->rule_ids);
	for (size_t i = 0; i < rs->ncols; i++) {
		buf_free(&k->memos[i].ref_text.text), buf_free(&k->memos[i].pattern_text.text);
		free(k->memos[i].ref_text.seen), free(k->memos[i].pattern_text.seen);
		struct expected_texts *t = &k->expected_texts[i];
		free(t->range), free(t->at_least), free(t->at_most), free(t->pattern);
	}
	free(k->memos), free(k->expected_texts);
	free(k->values); /* text and textlen with it */
	free(k->plan);
	buf_free(&k->rowtext);
}

/* Reports a read of the file that failed at offset with errno error: an io-error, and the file unread. */
static void report_read_error(struct checker *k, uint64_t offset, int error, struct check_result *res)
{
	check_emit_file_level(k, SEV_ERROR, "io-error", NULL, 0, 0,
			MSG_SAY(&k->msg, k->lang, MSG_READ_FAILED, ARG_NUM("offset", offset),
				ARG_PHRASE("error", diag_strerror(error, LANG_ZH), diag_strerror(error, LANG_EN))));
	res->unreadable = true;
}

/* Feeds the rest of a CSV file to the checker's reader, chunk by chunk; returns errno of a read that failed, or 0. */
static int read_csv(struct checker *k, int fd, char *chunk, struct check_result *res)
{
	for (;;) {
		ssize_t n = read(fd, chunk, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return 0;
		take_input(k, chunk, (size_t)n, res);
	}
}

/* A diag_options write that writes nothing: the second reading's checker says what the first said. */
static void write_nothing(void *ctx, const struct diag_file *f, const char *data, size_t len)
{
	(void)ctx, (void)f, (void)data, (void)len;
}

/*
 * Reads a regular file a second time, for its rules' groups alone, when the
 * first reading ended groups that came back later (rules_must_reread): the
 * cells, unique keys and row rules, checked the first time, are not reported
 * again.  Returns that reading's in-order state, whose rules are the ones to
 * finish, or NULL, with an io-error finding, if the file cannot be read again.
 */
static struct in_order *reread(struct checker *first, int fd, char *chunk, struct check_result *res)
{
	struct diag_options quiet = *first->out->opt;
	quiet.write = write_nothing;
	quiet.before_write = NULL;
	struct diag_file muted;
	diag_file_begin(&muted, &quiet, first->out->file, first->out->ruleset);
	struct check_options opt = *first->opt;
	opt.on_read = NULL;
	opt.fits_instead = NULL;
	struct checker k;
	checker_init(&k, first->rs, &opt, &muted);
	struct in_order *o = k.order;
	o->out = first->out;
	o->opt = first->opt;
	o->groups_only = true;
	rules_state_free(o->rules);
	o->rules = rules_state_reread(first->order->rules, &o->budget);
	rules_state_free(first->order->rules); /* what it made is void */
	first->order->rules = NULL;
	struct check_result again = {0};
	int error = lseek(fd, 0, SEEK_SET) == 0 ? read_csv(&k, fd, chunk, &again) : errno;
	if (!error && again.bytes != res->bytes)
		error = EIO;
	if (error) {
		report_read_error(first, again.bytes, error, res);
		free_in_order(o);
		o = NULL;
	} else {
		csvr_finish(k.reader);
		/* the rules point at the header's columns until they are finished: the same header, kept by the first */
		free(first->col_to_file);
		first->col_to_file = k.col_to_file;
		first->order->col_to_file = k.col_to_file;
		k.col_to_file = NULL;
	}
	checker_free(&k);
	diag_file_release(&muted);
	return o;
}

void check_fd(const struct ruleset *rs, int fd, const struct check_options *opt,
	      struct diag_file *out, struct check_result *res)
{
	struct checker k;
	memset(res, 0, sizeof *res);
	checker_init(&k, rs, opt, out);
	struct stat st;
	bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (regular)
		k.file_size = (uint64_t)st.st_size;
	char *chunk = xmalloc(READ_CHUNK);
	int read_error = 0;
	size_t head = read_head(fd, chunk, &read_error);
	enum book_kind kind = read_error ? BOOK_TEXT : book_kind_of((const unsigned char *)chunk, head);
	if (kind != BOOK_TEXT)
		check_book(&k, fd, kind, chunk, head, res);
	if (kind == BOOK_TEXT && regular && k.order->rules)
		rules_stream_groups(k.order->rules); /* a sorted file's groups end as they close; it can be read again */
	if (kind == BOOK_TEXT && head)
		take_input(&k, chunk, head, res);
	if (kind == BOOK_TEXT && !read_error)
		read_error = read_csv(&k, fd, chunk, res);
	struct in_order *again = NULL;
	if (read_error) {
		report_read_error(&k, res->bytes, read_error, res);
	} else {
		if (kind == BOOK_TEXT)
			csvr_finish(k.reader);
		check_flush_byte_event(&k, NULL);
		bool judged = k.order->rules && k.header_done && !k.legacy_stop && !k.book_stop;
		if (judged && rules_must_reread(k.order->rules)) {
			again = reread(&k, fd, chunk, res);
			judged = again != NULL;
		}
		struct rules_state *rules = again ? again->rules : k.order->rules;
		if (judged)
			rules_finish(rules, out);
		if (!csvr_stopped(k.reader) && !k.book_stop)
			check_end(&k, res->bytes);
		if (regular)
			check_size_kept(&k, fd, res);
		if (judged && !res->unreadable) /* the facts of a whole file only */
			rules_write_facts(rules, out);
	}
	free(chunk);
	if (kind == BOOK_TEXT) {
		res->encoding = k.encoding_known ? encoding_name(k.encoding) : NULL; /* NULL: not read far enough */
		res->encoding_detected = k.encoding_detected;
		if (csvr_stopped(k.reader)) { /* UTF-16, or GB18030 declared as UTF-8: told by the bytes */
			res->encoding = k.legacy_stop ? "gb18030" : "utf-16";
			res->encoding_detected = true;
		}
	}
	res->records = k.records;
	if (!k.counties_differ)
		out->county = k.file_county;
	res->over_budget = k.order->budget.refused || (again && again->budget.refused);
	res->fits = k.fits;
	if (again)
		free_in_order(again);
	free_in_order(k.order);
	checker_free(&k);
}
