/*
 * check.c — one pass over a file: the reader hands over records with their
 * positions, the first non-title record becomes the header, and every later
 * record is checked cell by cell against its column, then against the
 * unique keys and the written rules.  Messages come in Chinese and English
 * side by side.
 */
#include "check.h"
#include "advice.h"
#include "book.h"
#include "header.h"
#include "keyset.h"
#include "msgcat.h"
#include "rules.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (1024 * 1024)

/*
 * A column's last cell text, to answer a question about it (a reference
 * lookup, a pattern) again without asking: sorted files repeat the same
 * county and station row after row.
 */
struct text_memo {
	struct buf text;
	bool valid;
};

/* A column's memos: its last reference lookup and its last pattern match. */
struct column_memo {
	struct text_memo ref_text, pattern_text;
	bool found, alias;
	size_t row;
	int pattern_rc;
};

/* A record's key for one unique set: bytes at in a key text. */
struct record_key {
	size_t at, len;
	uint64_t code, hash;       /* its keyset_code and keyset_hash */
	bool complete;             /* false if a key cell is missing or blank */
};

/* The checks of a cell_plan after its type and range, one bit each. */
enum { CHECKS_LENGTH = 1, CHECKS_PATTERN = 2, CHECKS_ENUM = 4, CHECKS_REF = 8 };

/*
 * What check_cell does to the cells of one header cell's column, made once
 * with the header: the column's facts the loop reads, side by side, in file
 * order (header cells of no column have none).
 */
struct cell_plan {
	const struct column *c;
	uint32_t file, col;        /* the header cell, its rule column */
	enum coltype type;
	enum vtype vtype;          /* of its values, as the written rules see them */
	bool required;
	bool folds;                /* coltype_folds_width: full-width forms are folded and reported */
	bool code_case;            /* a credit code or permit number, its case checked */
	bool more;                 /* has a range, length, pattern, enum or reference to check */
	unsigned char checks;      /* which of length, pattern, enum and reference: CHECKS_* bits */
	double lo, hi;             /* its range, -inf and inf where it has none */
};

/* The checks that must see the records in file order (unique keys, written rules), and the output. */
struct in_order {
	const struct ruleset *rs;
	const struct check_options *opt;
	struct diag_file *out;
	enum lang lang;
	const size_t *col_to_file;   /* set with the header */
	struct keyset *unique_sets;
	bool *dropped;               /* per unique set: dropped for want of memory (--max-memory) */
	struct budget budget;        /* what the unique sets and the rules' groups may hold */
	uint64_t *first;             /* per unique set: where the record's key was first seen, or 0 */
	struct record_key *keys;     /* per unique set, of the record being checked */
	struct buf key_text;
	struct buf key_fold;         /* a key cell made half-width */
	struct rules_state *rules;
	bool groups_only;            /* a second reading for the rules' groups: the unique keys were checked */
	struct msgbuf msg;
};

struct checker {
	const struct ruleset *rs;
	const struct check_options *opt;
	struct diag_file *out;
	struct csvr *reader;
	struct book *book;         /* reading a workbook, or NULL */
	bool book_stop;            /* the workbook could not be read to its end */
	const char *book_trouble;  /* why, when it is not a workbook at all (static), or NULL */
	enum csvr_encoding requested;  /* as declared or given, or CSVR_AUTO */
	enum csvr_encoding encoding;   /* the one read, once the reader decided */
	bool encoding_known, encoding_detected;
	enum lang lang;
	size_t max_field;
	bool header_done;
	bool legacy_stop;
	const struct ruleset *fits;  /* the rule set the header fits instead: nothing more is checked */
	size_t header_cells;
	int *file_to_col;          /* rule column of each header cell, or -1 */
	size_t *col_to_file;       /* header cell of each rule column, or SIZE_MAX */
	struct in_order *order;
	struct column_memo *memos;   /* per column */
	struct range_texts *ranges;  /* per column, made on its first range finding */
	struct msgbuf msg;
	struct buf folded, expected, rule;
	uint64_t records;
	uint64_t rows;
	uint64_t file_size;        /* of a regular file, to size the unique sets; 0 if unknown */
	bool byte_event_pending;   /* a bad byte waits for its record to find its cell */
	struct csvr_event byte_event;
	struct msgbuf byte_event_message;
	const char *county;        /* of the record being checked (a reference-table cell), or NULL */
	bool county_looked_up;     /* the county column's reference lookup, done once a record */
	bool county_found, county_alias, county_width;  /* county_width: found in half-width */
	size_t county_row;
	const char *file_county;   /* the county of every record whose county is known so far, or NULL */
	bool counties_differ;      /* two records of the file are of different counties */
	struct value *values;      /* per column: the typed value of the current record (text and textlen follow it) */
	struct cell_plan *plan;    /* per header cell of a column, in file order; made with the header */
	size_t nplan;
	const char **text;         /* per column: its trimmed cell text */
	size_t *textlen;
	struct buf rowtext;        /* folded cell texts of the current record */
	bool rowtext_reserved;     /* rowtext has room for the whole record */
};

/* The bytes of a column's state for the current record: its value, text and text length. */
#define COLUMN_STATE_SIZE (sizeof(struct value) + sizeof(const char *) + sizeof(size_t))

/* The column as the clerk sees it in the header: its label, else its name. */
static const char *shown(const struct column *c) { return column_shown(c); }

/* An encoding as messages name it. */
static const char *encoding_label(enum csvr_encoding e)
{
	return e == CSVR_GBK ? "GBK" : e == CSVR_GB18030 ? "GB18030" : "UTF-8";
}

/* Emits a finding. */
static void report(struct checker *k, const struct diag *d)
{
	diag_emit(k->out, d);
}

/* Fills the position of a record into a diagnostic and emits it. */
static void emit_at(struct checker *k, struct diag *d, const struct csvr_record *rec)
{
	if (rec) {
		d->line = rec->line;
		d->row = rec->row;
	}
	if (!d->county)
		d->county = k->county;
	report(k, d);
}

/* Emits a file-level diagnostic whose rule id is its code. */
static void emit_file_level(struct checker *k, enum severity sev, const char *code,
			    const struct csvr_record *rec, uint64_t line, uint64_t row,
			    struct message message)
{
	struct diag d = DIAG_INIT;
	d.severity = sev;
	d.code = d.rule = code;
	d.message = message;
	if (rec)
		emit_at(k, &d, rec);
	else {
		d.line = line;
		d.row = row;
		report(k, &d);
	}
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
		emit_file_level(k, sev, code, NULL, 0, 0, said);
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
		report(k, &d);
		return;
	}
	case CSVR_EV_UNTERMINATED:
		code = "unterminated-quote";
		said = MSG_SAY(m, k->lang, MSG_UNTERMINATED, ARG_NUM("line", ev->line));
		break;
	}
	emit_file_level(k, sev, code, NULL, ev->line, ev->row, said);
}

/* True if s holds U+FFFD, which transcoding puts where bytes were invalid. */
static bool has_replacement_char(const char *s, size_t n)
{
	const char *end = s + n;
	for (const char *p = s; end - p >= 3 && (p = memchr(p, '\xEF', (size_t)(end - p) - 2)); p++)
		if (memcmp(p, "\xEF\xBF\xBD", 3) == 0)
			return true;
	return false;
}

/* True if a cell holds the bytes a byte event was about. */
static bool cell_has_bad_bytes(const struct checker *k, const struct csvr_cell *c)
{
	if (k->byte_event.kind == CSVR_EV_NUL)
		return memchr(c->data, '\0', c->len) != NULL;
	if (k->encoding != CSVR_UTF8) /* transcoding left U+FFFD in place of them */
		return has_replacement_char(c->data, c->len);
	bool partial;
	return utf8_valid_prefix((const unsigned char *)c->data, c->len, &partial) < c->len;
}

/* Emits a held byte event, pointing at the cell that holds the bytes when rec has it. */
static void flush_byte_event(struct checker *k, const struct csvr_record *rec)
{
	if (!k->byte_event_pending)
		return;
	struct diag d = DIAG_INIT;
	d.severity = SEV_ERROR;
	d.code = d.rule = "encoding-error";
	d.message = (struct message){.text = k->byte_event_message.text.data, .args = k->byte_event_message.args.data};
	d.line = k->byte_event.line;
	d.row = k->byte_event.row;
	for (size_t i = 0; rec && i < rec->ncells; i++)
		if (cell_has_bad_bytes(k, &rec->cells[i])) {
			int col = k->file_to_col && i < k->header_cells ? k->file_to_col[i] : -1;
			d.cell = i;
			d.column = col >= 0 ? k->rs->cols[col].name : NULL;
			d.value = rec->cells[i].data;
			d.value_len = rec->cells[i].len;
			break;
		}
	report(k, &d);
	k->byte_event_pending = false;
}

/*
 * Reports, when the header lacks required columns and fits another rule set,
 * that the file is checked with the wrong one, instead of a finding for each
 * missing and unknown column; true if it did.
 */
static bool wrong_ruleset(struct checker *k, const struct csvr_record *rec)
{
	struct header_fit fit;
	if (!k->opt->fits_instead)
		return false;
	header_fit(k->rs, rec, &fit);
	if (!fit.required_missing || !(k->fits = k->opt->fits_instead(k->opt->fits_instead_ctx, k->rs, rec)))
		return false;
	const struct ruleset *other = k->fits;
	emit_file_level(k, SEV_ERROR, "wrong-ruleset", rec, 0, 0,
			MSG_SAY(&k->msg, k->lang, MSG_WRONG_RULESET, ARG_TEXT("ruleset", k->rs->id),
				ARG_NUM("missing", fit.required_missing), ARG_TEXT("fits", other->id),
				ARG_PHRASE("title", other->title_zh ? other->title_zh : other->id,
					   other->title_en ? other->title_en : other->id)));
	return true;
}

/* The type of a column's values as the written rules see them. */
static enum vtype value_type(enum coltype t)
{
	static const enum vtype types[TYPE_COUNT] = {
		[TYPE_STRING] = V_STR, [TYPE_USCC] = V_STR, [TYPE_PERMIT] = V_STR,
		[TYPE_DATE] = V_DATE, [TYPE_MONTH] = V_DATE, [TYPE_BOOLEAN] = V_BOOL,
		[TYPE_INTEGER] = V_NUM, [TYPE_NUMBER] = V_NUM, [TYPE_PERCENT] = V_NUM,
		[TYPE_YEAR] = V_NUM, [TYPE_WATER_CLASS] = V_NUM,
	};
	return types[t];
}

/* Makes the plan of each header cell that is a rule column, in file order. */
static void plan_cells(struct checker *k)
{
	k->plan = xcalloc(k->header_cells + 1, sizeof *k->plan);
	for (size_t f = 0; f < k->header_cells; f++) {
		if (k->file_to_col[f] < 0)
			continue;
		const struct column *c = &k->rs->cols[k->file_to_col[f]];
		bool length = c->min_length >= 0 || c->max_length >= 0;
		bool more = c->has_min || c->has_max || length || c->pattern || c->nenum || c->ref;
		k->plan[k->nplan++] = (struct cell_plan){
			.c = c, .file = (uint32_t)f, .col = (uint32_t)k->file_to_col[f], .type = c->type, .vtype = value_type(c->type),
			.required = c->required, .folds = coltype_folds_width(c->type),
			.code_case = c->type == TYPE_USCC || c->type == TYPE_PERMIT, .more = more,
			.checks = (length ? CHECKS_LENGTH : 0) | (c->pattern ? CHECKS_PATTERN : 0) |
				  (c->nenum ? CHECKS_ENUM : 0) | (c->ref ? CHECKS_REF : 0),
			.lo = more && c->has_min ? c->min : -INFINITY, .hi = more && c->has_max ? c->max : INFINITY,
		};
	}
}

/* Maps header cells to columns and reports unknown, duplicate, blank and missing ones. */
static void read_header(struct checker *k, const struct csvr_record *rec)
{
	const struct ruleset *rs = k->rs;
	struct msgbuf *m = &k->msg;
	k->header_done = true;
	k->header_cells = rec->ncells;
	k->file_to_col = xcalloc(rec->ncells + 1, sizeof *k->file_to_col);
	k->col_to_file = xmalloc((rs->ncols + 1) * sizeof *k->col_to_file);
	for (size_t i = 0; i < rs->ncols; i++)
		k->col_to_file[i] = SIZE_MAX;
	for (size_t i = 0; i < rec->ncells; i++) {
		const struct csvr_cell *c = &rec->cells[i];
		struct diag d = DIAG_INIT;
		char letter[16], first[16];
		k->file_to_col[i] = -1;
		buf_reset(&k->folded);
		buf_grow(&k->folded, 4 * c->len + 1);
		size_t len = utf8_fold_name((const unsigned char *)c->data, c->len, k->folded.data);
		uint64_t col;
		d.cell = i;
		d.value = c->data;
		d.value_len = c->len;
		cell_column_name(i, letter);
		if (len == 0) {
			d.severity = SEV_WARNING;
			d.code = d.rule = "blank-header";
			d.message = MSG_SAY(m, k->lang, MSG_BLANK_HEADER, ARG_TEXT("letter", letter));
		} else if (!strmap_get(&rs->header_names, k->folded.data, len, &col)) {
			d.severity = SEV_INFO;
			d.code = d.rule = "unknown-column";
			d.message = MSG_SAY(m, k->lang, MSG_UNKNOWN_COLUMN, ARG_TEXTN("header", c->data, c->len),
					    ARG_TEXT("letter", letter));
		} else if (k->col_to_file[col] != SIZE_MAX) {
			cell_column_name(k->col_to_file[col], first);
			d.severity = SEV_ERROR;
			d.code = d.rule = "duplicate-column";
			d.column = rs->cols[col].name;
			d.message = MSG_SAY(m, k->lang, MSG_DUPLICATE_COLUMN, ARG_TEXT("column", shown(&rs->cols[col])),
					    ARG_TEXT("letter", letter), ARG_TEXT("first", first));
		} else {
			k->col_to_file[col] = i;
			k->file_to_col[i] = (int)col;
			continue;
		}
		emit_at(k, &d, rec);
	}
	/* each missing required column is an error; the optional ones absent are named in one info */
	struct buf optional_zh = {0}, optional_en = {0};
	const char *first_optional = NULL;
	size_t absent = 0;
	for (size_t i = 0; i < rs->ncols; i++) {
		const struct column *c = &rs->cols[i];
		if (k->col_to_file[i] != SIZE_MAX)
			continue;
		if (!c->required) {
			buf_addf(&optional_zh, "%s%s", optional_zh.len ? "」「" : "", shown(c));
			buf_addf(&optional_en, "%s%s", optional_en.len ? "', '" : "", shown(c));
			first_optional = first_optional ? first_optional : c->name;
			absent++;
			continue;
		}
		struct diag d = DIAG_INIT;
		d.severity = SEV_ERROR;
		d.code = d.rule = "missing-column";
		d.column = c->name;
		d.message = MSG_SAY(m, k->lang, MSG_MISSING_COLUMN, ARG_TEXT("column", shown(c)));
		emit_at(k, &d, rec);
	}
	if (first_optional) {
		struct diag d = DIAG_INIT;
		d.severity = SEV_INFO;
		d.code = d.rule = "missing-column";
		d.column = first_optional;
		d.message = absent == 1
			? MSG_SAY(m, k->lang, MSG_MISSING_OPTIONAL, ARG_TEXT("column", optional_zh.data))
			: MSG_SAY(m, k->lang, MSG_MISSING_OPTIONALS, ARG_PHRASE("columns", optional_zh.data, optional_en.data));
		emit_at(k, &d, rec);
	}
	buf_free(&optional_zh), buf_free(&optional_en);
	plan_cells(k);
	k->order->col_to_file = k->col_to_file;
	csvr_keep_cells(k->reader, rec->ncells + 1);
	if (k->book)
		book_keep_cells(k->book, rec->ncells + 1);
}

/* True if s is the text the memo holds; if not, it holds s from now on. */
static bool same_text(struct text_memo *m, const char *s, size_t n)
{
	if (m->valid && m->text.len == n && bytes_equal(m->text.data, s, n))
		return true;
	buf_reset(&m->text);
	buf_add(&m->text, s, n);
	m->valid = true;
	return false;
}

/* Looks a cell up in its column's reference table, remembering the last answer. */
static bool find_ref(struct checker *k, size_t col, const char *s, size_t n, size_t *row, bool *alias)
{
	const struct column *c = &k->rs->cols[col];
	struct column_memo *m = &k->memos[col];
	if (!same_text(&m->ref_text, s, n))
		m->found = reftable_find(c->ref, c->ref_col, s, n, &m->row, &m->alias);
	*row = m->row;
	*alias = m->alias;
	return m->found;
}

/*
 * Looks up the half-width form of a value written with full-width
 * characters (４４１８８１ for 441881), leaving it in k->folded; true if the
 * table has it.
 */
static bool find_ref_halfwidth(struct checker *k, size_t col, const char *s, size_t n, size_t *row, bool *alias)
{
	if (!utf8_may_have_fullwidth((const unsigned char *)s, n))
		return false;
	bool changed;
	buf_reset(&k->folded);
	buf_grow(&k->folded, n + 1);
	k->folded.len = utf8_halfwidth((const unsigned char *)s, n, k->folded.data, &changed);
	return changed && find_ref(k, col, k->folded.data, k->folded.len, row, alias);
}

/* Works out the record's county from the county column, if the rule set has one. */
static void find_county(struct checker *k, const struct csvr_record *rec)
{
	const struct ruleset *rs = k->rs;
	k->county = NULL;
	k->county_looked_up = false;
	if (rs->county_mode == COUNTY_NONE)
		return;
	size_t f = k->col_to_file[rs->county_col];
	if (f == SIZE_MAX || f >= rec->ncells)
		return;
	const struct csvr_cell *c = &rec->cells[f];
	size_t lead = utf8_blank_len((const unsigned char *)c->data, c->len);
	size_t trail = utf8_blank_len_back((const unsigned char *)c->data + lead, c->len - lead);
	const char *s = c->data + lead;
	size_t n = c->len - lead - trail;
	k->county_looked_up = true;
	k->county_found = find_ref(k, rs->county_col, s, n, &k->county_row, &k->county_alias);
	k->county_width = !k->county_found &&
			  find_ref_halfwidth(k, rs->county_col, s, n, &k->county_row, &k->county_alias);
	k->county_found = k->county_found || k->county_width;
	if (k->county_found)
		k->county = reftable_cell(rs->counties, k->county_row, rs->county_code_col);
	if (k->county && !k->file_county)
		k->file_county = k->county;
	else if (k->county && !k->counties_differ && strcmp(k->county, k->file_county) != 0)
		k->counties_differ = true;
}

/* Emits a finding about one cell of a column, at the severity given. */
static void cell_finding_at(struct checker *k, const struct csvr_record *rec, size_t file_col, size_t col,
			    enum check chk, enum severity severity, const char *expected, struct message message)
{
	const struct column *c = &k->rs->cols[col];
	const struct csvr_cell *cell = &rec->cells[file_col];
	buf_reset(&k->rule);
	buf_adds(&k->rule, c->name);
	buf_addc(&k->rule, '.');
	buf_adds(&k->rule, check_code(chk));
	struct diag d = DIAG_INIT;
	d.severity = severity;
	d.code = check_code(chk);
	d.rule = k->rule.data;
	d.message = message;
	d.column = c->name;
	d.cell = file_col;
	d.value = cell->data;
	d.value_len = cell->len;
	d.expected = expected;
	emit_at(k, &d, rec);
}

/* Emits a finding about one cell of a column, at the severity of its check. */
static void cell_finding(struct checker *k, const struct csvr_record *rec, size_t file_col,
			 size_t col, enum check chk, const char *expected, struct message message)
{
	cell_finding_at(k, rec, file_col, col, chk, k->rs->cols[col].severity[chk], expected, message);
}

/* A column's allowed range, as the finding's "expected"; made once. */
struct range_texts {
	char *expected;
};

static const struct range_texts *range_texts(struct checker *k, size_t col)
{
	const struct column *c = &k->rs->cols[col];
	struct range_texts *t = &k->ranges[col];
	if (t->expected)
		return t;
	struct buf e = {0};
	if (c->has_min && c->has_max)
		buf_addf(&e, ">= %s and <= %s", c->min_text, c->max_text);
	else if (c->has_min)
		buf_addf(&e, ">= %s", c->min_text);
	else
		buf_addf(&e, "<= %s", c->max_text);
	t->expected = e.data;
	return t;
}

/* Checks a value's length in characters against min_length and max_length. */
static void check_length(struct checker *k, const struct csvr_record *rec, size_t f, size_t col,
			 const char *s, size_t n)
{
	const struct column *c = &k->rs->cols[col];
	/* a character is 1 to 4 bytes: the byte length alone mostly decides, without counting */
	if ((c->max_length < 0 || n <= (size_t)c->max_length) && (c->min_length < 0 || (n + 3) / 4 >= (size_t)c->min_length))
		return;
	size_t chars = utf8_count((const unsigned char *)s, n);
	bool short_ = c->min_length >= 0 && chars < (size_t)c->min_length;
	bool long_ = c->max_length >= 0 && chars > (size_t)c->max_length;
	if (!short_ && !long_)
		return;
	long limit = short_ ? c->min_length : c->max_length;
	buf_reset(&k->expected);
	buf_addf(&k->expected, "%s %ld characters", short_ ? "at least" : "at most", limit);
	char *expected = xstrdup(k->expected.data);
	cell_finding(k, rec, f, col, CHK_LENGTH, expected,
		     MSG_SAY(&k->msg, k->lang, short_ ? MSG_LENGTH_SHORT : MSG_LENGTH_LONG, ARG_TEXT("column", shown(c)),
			     ARG_NUM("length", chars), ARG_NUM(short_ ? "min" : "max", limit)));
	free(expected);
}

/* Runs the pattern on a value; a match limit hit is a warning, not a verdict. */
static void check_pattern(struct checker *k, const struct csvr_record *rec, size_t f, size_t col,
			  const char *s, size_t n)
{
	const struct column *c = &k->rs->cols[col];
	struct column_memo *m = &k->memos[col];
	if (!same_text(&m->pattern_text, s, n))
		m->pattern_rc = ruleset_pattern_match(k->rs, c->pattern, c->match, s, n);
	int rc = m->pattern_rc;
	if (rc >= 0 || (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21))
		return; /* matched, or invalid UTF-8 already reported */
	buf_reset(&k->expected);
	buf_addf(&k->expected, "matches %s", c->pattern_src);
	char *expected = xstrdup(k->expected.data);
	if (rc == PCRE2_ERROR_NOMATCH) {
		cell_finding(k, rec, f, col, CHK_PATTERN, expected, advice_pattern(&k->msg, k->lang, c));
	} else {
		struct diag d = DIAG_INIT;
		struct buf rule = {0};
		buf_addf(&rule, "%s.pattern", c->name);
		d.severity = SEV_WARNING;
		d.code = "pattern-limit";
		d.rule = rule.data;
		d.column = c->name;
		d.cell = f;
		d.value = rec->cells[f].data;
		d.value_len = rec->cells[f].len;
		d.expected = expected;
		d.message = MSG_SAY(&k->msg, k->lang, MSG_PATTERN_LIMIT, ARG_TEXT("column", shown(c)));
		emit_at(k, &d, rec);
		buf_free(&rule);
	}
	free(expected);
}

static char *fold_room(struct checker *k, const struct csvr_record *rec, size_t n);

/*
 * Looks a value up in the column's reference table; aliases and former
 * values (a historic name, an old code) give a warning, and a value in
 * full-width characters whose half-width form is there a whitespace warning
 * (the rules see the half-width form).
 */
static void check_ref(struct checker *k, const struct csvr_record *rec, size_t f, size_t col,
		      const char *s, size_t n)
{
	const struct column *c = &k->rs->cols[col];
	size_t row;
	bool alias, found, width;
	if (col == k->rs->county_col && k->county_looked_up) /* find_county asked already */
		found = k->county_found, row = k->county_row, alias = k->county_alias, width = k->county_width;
	else
		found = find_ref(k, col, s, n, &row, &alias), width = false;
	if (!found)
		found = width = find_ref_halfwidth(k, col, s, n, &row, &alias);
	else if (width) /* find_county's fold, made again: k->folded has served other cells since */
		find_ref_halfwidth(k, col, s, n, &row, &alias);
	if (width) { /* the half-width form is what the rules see, and what the clerk is told to write */
		s = memcpy(fold_room(k, rec, k->folded.len), k->folded.data, k->folded.len);
		n = k->folded.len;
		if (c->type == TYPE_STRING) /* the other types fold full-width forms in check_cell */
			k->values[col] = (struct value){.type = V_STR, .str = s, .len = (uint32_t)n};
		cell_finding(k, rec, f, col, CHK_WHITESPACE, "half-width characters",
			     advice_whitespace(&k->msg, k->lang, c, false, true, s, n));
	}
	if (!found) {
		cell_finding(k, rec, f, col, CHK_REFERENCE, c->ref_text, advice_reference(&k->msg, k->lang, c, s, n));
	} else if (alias) {
		const char *canonical = reftable_cell(c->ref, row, c->ref_col);
		const char *ended = reftable_former(c->ref, c->ref_col, s, n);
		cell_finding(k, rec, f, col, CHK_ALIAS, canonical,
			     ended ? advice_former(&k->msg, k->lang, c, s, n, canonical, ended)
				   : MSG_SAY(&k->msg, k->lang, MSG_ALIAS, ARG_TEXT("column", shown(c)),
					     ARG_TEXTN("value", s, n), ARG_TEXT("canonical", canonical)));
	}
}

/* Keeps a cell's typed value for the written rules: its text, or its number (a month as its first day). */
static void set_value(struct checker *k, const struct cell_plan *p, const char *s, size_t n, double v)
{
	struct value *val = &k->values[p->col];
	if (p->vtype == V_STR)
		*val = (struct value){.type = V_STR, .str = s, .len = (uint32_t)n};
	else
		*val = (struct value){.type = p->vtype, .num = p->type == TYPE_MONTH ? month_first_day(v) : v};
}

/*
 * True if a value is one of the column's enum values: a list of up to 16 is
 * scanned (its lengths and first bytes rule out most values without a
 * memcmp, cheaper than hashing the value), a longer one hashed.
 */
static bool enum_has(const struct column *c, const char *s, size_t n)
{
	if (c->nenum > 16)
		return strmap_get(&c->enum_set, s, n, NULL);
	for (size_t i = 0; i < c->nenum; i++)
		if (c->enum_lens[i] == n && (n == 0 || (c->enum_values[i][0] == s[0] &&
							 bytes_equal(c->enum_values[i], s, n))))
			return true;
	return false;
}

/*
 * Room for n bytes of a folded cell text that lasts as long as the record's
 * values: rowtext, which makes room for every cell of the record on its
 * first folded cell (texts already folded into it must not move).
 */
static char *fold_room(struct checker *k, const struct csvr_record *rec, size_t n)
{
	if (!k->rowtext_reserved) {
		size_t bytes = 0;
		for (size_t f = 0; f < rec->ncells; f++)
			bytes += rec->cells[f].len;
		buf_reset(&k->rowtext);
		buf_grow(&k->rowtext, bytes + 1);
		k->rowtext_reserved = true;
	}
	char *room = k->rowtext.data + k->rowtext.len;
	k->rowtext.len += n;
	return room;
}

/* The cell of the record's credit code column that holds code (18 characters), or SIZE_MAX. */
static size_t credit_code_cell(const struct checker *k, const struct csvr_record *rec, const char *code)
{
	for (size_t i = 0; i < k->rs->ncols; i++) {
		size_t f = k->col_to_file[i];
		if (k->rs->cols[i].type != TYPE_USCC || f == SIZE_MAX || f >= rec->ncells)
			continue;
		const unsigned char *u = (const unsigned char *)rec->cells[f].data;
		size_t n = rec->cells[f].len, lead = utf8_blank_len(u, n);
		size_t len = n - lead - utf8_blank_len_back(u + lead, n - lead);
		if (len == 18 && memcmp(u + lead, code, 18) == 0)
			return f;
	}
	return SIZE_MAX;
}

/*
 * Reports a wrong check character.  A permit number carries its holder's
 * credit code: when the record's credit code cell holds the same code, the
 * warning is given there and the permit's finding (info) refers to it.
 */
static void check_digit_finding(struct checker *k, const struct csvr_record *rec, size_t f, size_t col,
				const char *s)
{
	const struct column *c = &k->rs->cols[col];
	char want[2] = {uscc_check_char(s), '\0'};
	size_t code_cell = c->type == TYPE_PERMIT ? credit_code_cell(k, rec, s) : SIZE_MAX;
	if (code_cell == SIZE_MAX) {
		cell_finding(k, rec, f, col, CHK_CHECK_DIGIT, want,
			     MSG_SAY(&k->msg, k->lang, MSG_CHECK_DIGIT, ARG_TEXT("column", shown(c)), ARG_TEXTN("char", s + 17, 1),
				     ARG_TEXT("want", want)));
		return;
	}
	char cell[40];
	cell_column_name(code_cell, cell);
	snprintf(cell + strlen(cell), sizeof cell - strlen(cell), "%llu", (unsigned long long)rec->row);
	cell_finding_at(k, rec, f, col, CHK_CHECK_DIGIT, SEV_INFO, want,
			MSG_SAY(&k->msg, k->lang, MSG_CHECK_DIGIT_PERMIT, ARG_TEXT("column", shown(c)), ARG_TEXT("cell", cell)));
}

/*
 * A credit code or permit number in the wrong case (a lowercase check
 * character, most often) is a warning, not a type error: it is checked, and
 * seen by the rules, in its proper case.  Returns the text to check.
 */
static const char *fix_code_case(struct checker *k, const struct csvr_record *rec, size_t f, size_t col,
				 const char *s, size_t n)
{
	enum severity sev = k->rs->cols[col].severity[CHK_TYPE];
	buf_reset(&k->folded);
	buf_grow(&k->folded, n + 1);
	if (!code_fix_case(k->rs->cols[col].type, s, n, k->folded.data))
		return s;
	s = memcpy(fold_room(k, rec, n), k->folded.data, n);
	k->folded.data[n] = '\0';
	cell_finding_at(k, rec, f, col, CHK_TYPE, sev < SEV_WARNING ? sev : SEV_WARNING, k->folded.data,
			advice_case(&k->msg, k->lang, &k->rs->cols[col], s, n));
	return s;
}

/* Runs every built-in check of one column on one cell. */
static void check_cell(struct checker *k, const struct csvr_record *rec, const struct cell_plan *p)
{
	size_t f = p->file, col = p->col;
	const struct column *c = p->c;
	const struct csvr_cell *cell = &rec->cells[f];
	if (cell->oversized || cell->reported)
		return;
	const unsigned char *u = (const unsigned char *)cell->data;
	size_t lead = utf8_blank_len(u, cell->len);
	size_t trail = lead < cell->len ? utf8_blank_len_back(u + lead, cell->len - lead) : 0;
	const char *s = cell->data + lead;
	size_t n = cell->len - lead - trail;
	k->text[col] = s;
	k->textlen[col] = n;
	if (n == 0) {
		if (p->required)
			cell_finding(k, rec, f, col, CHK_REQUIRED, "a value",
				     MSG_SAY(&k->msg, k->lang, MSG_REQUIRED, ARG_TEXT("column", shown(c))));
		return;
	}
	bool width = false;
	if (!cell->ascii && p->folds && utf8_may_have_fullwidth((const unsigned char *)s, n)) {
		bool changed;
		buf_reset(&k->folded);
		buf_grow(&k->folded, n + 1);
		size_t len = utf8_halfwidth((const unsigned char *)s, n, k->folded.data, &changed);
		if (changed) {
			s = memcpy(fold_room(k, rec, len), k->folded.data, len);
			n = len;
			width = true;
		}
	}
	if (lead || trail || width)
		cell_finding(k, rec, f, col, CHK_WHITESPACE, width ? "half-width characters" : "no leading or trailing blanks",
			     advice_whitespace(&k->msg, k->lang, c, lead || trail, width, s, n));
	if (p->code_case)
		s = fix_code_case(k, rec, f, col, s, n);
	double v;
	enum parse_result pr = cell_parse(p->type, s, n, &v);
	if (pr == PARSE_BAD) {
		const char *expected;
		struct message said = advice_type(&k->msg, k->lang, c, s, n, &k->expected, &expected);
		cell_finding(k, rec, f, col, CHK_TYPE, expected, said);
		return;
	}
	if (pr == PARSE_CHECK_DIGIT)
		check_digit_finding(k, rec, f, col, s);
	if (p->more && (v < p->lo || v > p->hi)) {
		const struct range_texts *range = range_texts(k, col);
		struct msg_arg args[] = {ARG_TEXT("column", shown(c)), ARG_TEXTN("value", s, n),
					 ARG_TEXT("min", c->has_min ? c->min_text : ""), ARG_TEXT("max", c->has_max ? c->max_text : "")};
		cell_finding(k, rec, f, col, CHK_RANGE, range->expected,
			     !c->has_max ? msg_say(&k->msg, k->lang, MSG_RANGE_MIN, args, 3)
			     : !c->has_min ? msg_say(&k->msg, k->lang, MSG_RANGE_MAX, (struct msg_arg[]){args[0], args[1], args[3]}, 3)
					   : msg_say(&k->msg, k->lang, MSG_RANGE, args, 4));
	} else {
		set_value(k, p, s, n, v); /* out of range, it stays null: no rule counts or judges it */
	}
	unsigned checks = p->checks;
	if (!checks) /* the usual column: its type (and range) is all there is to check */
		return;
	if (checks & CHECKS_LENGTH)
		check_length(k, rec, f, col, s, n);
	if (checks & CHECKS_PATTERN)
		check_pattern(k, rec, f, col, s, n);
	if ((checks & CHECKS_ENUM) && !enum_has(c, s, n))
		cell_finding(k, rec, f, col, CHK_ENUM, c->enum_text,
			     MSG_SAY(&k->msg, k->lang, MSG_ENUM, ARG_TEXT("column", shown(c)), ARG_TEXTN("value", s, n)));
	if (checks & CHECKS_REF)
		check_ref(k, rec, f, col, s, n);
}

/* Sizes the unique sets for the rows the whole file will likely have, from the first ones. */
static void reserve_unique_sets(struct checker *k, const struct csvr_record *rec)
{
	uint64_t per_row = rec->offset / rec->row + 1;
	size_t expected = (size_t)(k->file_size / per_row) + 1024;
	for (size_t u = 0; u < k->rs->nunique; u++)
		keyset_reserve(&k->order->unique_sets[u], expected);
}

/* Appends one cell to a composite key, length first, so that ("ab","c") and ("a","bc") differ. */
static void add_key_part(struct buf *key, const char *s, size_t len)
{
	unsigned char prefix[10];
	buf_add(key, prefix, varint_put(prefix, len));
	buf_add(key, s, len);
}

/* True if s has a byte past ASCII, eight at a time: a key cell that has none needs no folding. */
static inline bool has_high_byte(const char *s, size_t n)
{
	uint64_t any = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		any |= w;
	}
	for (; i < n; i++)
		any |= (unsigned char)s[i];
	return any & 0x8080808080808080ULL;
}

/*
 * Builds a record's key for every unique set into keys, their bytes appended
 * to text: each cell trimmed and half-width, so that ２０２４ and 2024 are one key.
 * A key with a blank or absent cell is incomplete and never repeats.  The
 * whole-row key is every cell of the record, known columns or not, up to its
 * last one that is not blank (so a missing trailing cell equals a blank one);
 * a row with nothing in it has none.
 */
static void build_unique_keys(struct in_order *o, const struct csvr_record *rec, struct buf *text,
			      struct record_key *keys)
{
	const struct ruleset *rs = o->rs;
	for (size_t u = 0; u < rs->nunique; u++) {
		const struct unique_key *key = &rs->uniques[u];
		bool complete = true;
		size_t at = text->len, end = at, n = key->whole_row ? rec->ncells : key->ncols;
		for (size_t i = 0; i < n && complete; i++) {
			size_t f = key->whole_row ? i : o->col_to_file[key->cols[i]];
			if (f == SIZE_MAX || f >= rec->ncells) {
				complete = false;
				break;
			}
			const struct csvr_cell *c = &rec->cells[f];
			size_t lead = utf8_blank_len((const unsigned char *)c->data, c->len);
			size_t len = c->len - lead - utf8_blank_len_back((const unsigned char *)c->data + lead, c->len - lead);
			const char *p = c->data + lead;
			complete = len > 0 || key->whole_row;
			if (has_high_byte(p, len) && utf8_may_have_fullwidth((const unsigned char *)p, len)) {
				bool changed;
				buf_reset(&o->key_fold);
				buf_grow(&o->key_fold, len + 1);
				len = utf8_halfwidth((const unsigned char *)p, len, o->key_fold.data, &changed);
				p = o->key_fold.data;
			}
			add_key_part(text, p, len);
			if (len)
				end = text->len;
		}
		if (key->whole_row)
			text->len = end, complete = end > at;
		keys[u] = (struct record_key){.at = at, .len = text->len - at, .complete = complete};
		if (complete) {
			keys[u].code = keyset_code(&o->unique_sets[u], text->data + at, keys[u].len);
			keys[u].hash = keyset_hash(text->data + at, keys[u].len, keys[u].code);
		}
	}
}

/* The rule a unique key's findings name: "station_id+date.unique", or "duplicate-row". */
static void unique_rule_name(const struct unique_key *key, struct buf *rule)
{
	buf_addf(rule, key->whole_row ? "%s" : "%s.unique", key->id);
}

/*
 * Prefetches the slots of a record's keys: the sets are too big for the
 * cache, and the work done before add_unique_keys gives the fetch time to arrive.
 */
static void prefetch_unique_keys(const struct in_order *o, const struct record_key *keys)
{
	for (size_t u = 0; u < o->rs->nunique; u++)
		if (keys[u].complete)
			keyset_prefetch(&o->unique_sets[u], keys[u].code, keys[u].hash);
}

/*
 * Adds a record's keys (built into o->key_text) to the unique sets; o->first[u]
 * becomes the row where a repeated key was first seen, or 0.  Returns true if
 * any key repeated.
 */
static bool add_unique_keys(struct in_order *o, const struct record_key *keys, const struct row_view *view)
{
	bool repeated = false;
	for (size_t u = 0; u < o->rs->nunique; u++) {
		const struct record_key *p = &keys[u];
		struct keyset *set = &o->unique_sets[u];
		o->first[u] = 0;
		if (!p->complete || o->dropped[u])
			continue;
		enum keyset_added added = keyset_add_hashed(set, o->key_text.data + p->at, p->len, p->code,
							    p->hash, view->row, &o->first[u]);
		if (added == KEYSET_SEEN) {
			repeated = true;
		} else if (added == KEYSET_FULL) { /* the set would pass --max-memory: drop it */
			const struct unique_key *key = &o->rs->uniques[u];
			struct buf rule = {0};
			unique_rule_name(key, &rule);
			struct budget_drop drop = {rule.data, key->whole_row ? "重复行检查" : "唯一键",
						   key->whole_row ? "duplicate-row check" : "unique key", key->id, set->bytes, set->needed};
			budget_report_drop(&o->budget, o->out, &drop, view->line, view->row);
			buf_free(&rule);
			keyset_free(set);
			o->dropped[u] = true;
		}
	}
	return repeated;
}

/* Reports a row repeated whole: the row of its first occurrence, no cell of its own. */
static void report_duplicate_row(struct in_order *o, const struct unique_key *key, const struct csvr_record *rec,
				 const char *county, uint64_t first)
{
	struct buf expected = {0};
	buf_addf(&expected, "a row of its own (first at row %llu)", (unsigned long long)first);
	struct diag d = DIAG_INIT;
	d.severity = key->severity;
	d.code = "duplicate-row";
	d.rule = key->id;
	d.line = rec->line;
	d.row = rec->row;
	d.county = county;
	d.expected = expected.data;
	d.message = MSG_SAY(&o->msg, o->lang, MSG_DUPLICATE_ROW, ARG_NUM("first", first));
	diag_emit(o->out, &d);
	buf_free(&expected);
}

/* Reports the keys add_unique_keys found repeated, naming the row of each one's first occurrence. */
static void report_repeats(struct in_order *o, const struct csvr_record *rec, const char *county)
{
	const struct ruleset *rs = o->rs;
	for (size_t u = 0; u < rs->nunique; u++) {
		const struct unique_key *key = &rs->uniques[u];
		uint64_t first = o->first[u];
		if (!first)
			continue;
		if (key->whole_row) {
			report_duplicate_row(o, key, rec, county, first);
			continue;
		}
		struct buf values = {0}, labels = {0};
		for (size_t i = 0; i < key->ncols; i++) {
			const struct csvr_cell *c = &rec->cells[o->col_to_file[key->cols[i]]];
			buf_addf(&values, "%s%.*s", i ? ", " : "", (int)c->len, c->data);
			buf_addf(&labels, "%s%s", i ? "+" : "", column_shown(&rs->cols[key->cols[i]]));
		}
		char cell[40];
		cell_column_name(o->col_to_file[key->cols[0]], cell);
		snprintf(cell + strlen(cell), sizeof cell - strlen(cell), "%llu", (unsigned long long)first);
		struct buf rule = {0}, expected = {0};
		unique_rule_name(key, &rule);
		buf_addf(&expected, "unique (first at row %llu)", (unsigned long long)first);
		struct diag d = DIAG_INIT;
		d.severity = key->severity;
		d.code = "unique";
		d.rule = rule.data;
		d.line = rec->line;
		d.row = rec->row;
		d.county = county;
		d.column = rs->cols[key->cols[0]].name;
		d.cell = o->col_to_file[key->cols[0]];
		d.value = rec->cells[d.cell].data;
		d.value_len = rec->cells[d.cell].len;
		d.expected = expected.data;
		d.message = MSG_SAY(&o->msg, o->lang, MSG_UNIQUE, ARG_TEXT("columns", labels.data), ARG_TEXT("values", values.data),
				    ARG_NUM("first", first), ARG_TEXT("cell", cell));
		diag_emit(o->out, &d);
		buf_free(&values), buf_free(&labels), buf_free(&rule), buf_free(&expected);
	}
}

/* Runs the checks bound to file order on a record whose cells were checked. */
static void check_in_order(struct in_order *o, const struct csvr_record *rec, const struct record_key *keys,
			   const struct row_view *view)
{
	if (!o->groups_only && add_unique_keys(o, keys, view))
		report_repeats(o, rec, view->county);
	if (o->rules)
		rules_row(o->rules, view, o->out);
}

/* The record's values as the written rules see them. */
static struct row_view row_view_of(const struct checker *k, const struct csvr_record *rec)
{
	return (struct row_view){
		.values = k->values, .text = k->text, .textlen = k->textlen,
		.file_col = k->col_to_file, .line = rec->line, .row = rec->row,
		.county = k->county,
	};
}

/* Checks the shape of a data record: ragged or blank.  Returns false to skip its cells. */
static bool check_shape(struct checker *k, const struct csvr_record *rec)
{
	struct msgbuf *m = &k->msg;
	bool blank = true;
	for (size_t i = 0; i < rec->ncells && blank; i++)
		blank = csvr_cell_blank(&rec->cells[i]);
	if (blank && rec->total_cells <= rec->ncells) {
		emit_file_level(k, SEV_INFO, "blank-row", rec, 0, 0, MSG_SAY0(m, k->lang, MSG_BLANK_ROW));
		return false;
	}
	k->records++;
	if (rec->unterminated)
		return false;
	if (rec->total_cells > k->header_cells) {
		bool data_lost = rec->total_cells > rec->ncells;
		for (size_t i = k->header_cells; i < rec->ncells && !data_lost; i++)
			data_lost = !csvr_cell_blank(&rec->cells[i]);
		struct diag d = DIAG_INIT;
		d.severity = data_lost ? SEV_ERROR : SEV_INFO;
		d.code = d.rule = "extra-cell";
		d.cell = k->header_cells;
		if (k->header_cells < rec->ncells) {
			d.value = rec->cells[k->header_cells].data;
			d.value_len = rec->cells[k->header_cells].len;
		}
		d.message = MSG_SAY(m, k->lang, MSG_EXTRA_CELL, ARG_NUM("cells", rec->total_cells),
				    ARG_NUM("columns", k->header_cells));
		emit_at(k, &d, rec);
	} else if (rec->total_cells < k->header_cells) {
		struct diag d = DIAG_INIT;
		int col = k->file_to_col[rec->total_cells];
		d.severity = SEV_ERROR;
		d.code = d.rule = "missing-cell";
		d.cell = rec->total_cells;
		d.column = col >= 0 ? k->rs->cols[col].name : NULL;
		d.message = MSG_SAY(m, k->lang, MSG_MISSING_CELL, ARG_NUM("cells", rec->total_cells),
				    ARG_NUM("columns", k->header_cells));
		emit_at(k, &d, rec);
	}
	return true;
}

/*
 * Checks a data record's shape and cells into values, text and textlen; false
 * if it has no cells to check further (blank, or cut by an open quote).
 */
static bool check_record(struct checker *k, const struct csvr_record *rec)
{
	k->county = NULL;
	if (!check_shape(k, rec))
		return false;
	find_county(k, rec);
	/* all zero is null, no text */
	memset(k->values, 0, k->rs->ncols * COLUMN_STATE_SIZE); /* values, text and textlen */
	k->rowtext_reserved = false;
	buf_reset(&k->order->key_text);
	build_unique_keys(k->order, rec, &k->order->key_text, k->order->keys);
	prefetch_unique_keys(k->order, k->order->keys);
	const struct cell_plan *p = k->plan, *end = p + k->nplan;
	if (rec->ncells < k->header_cells) /* a short record: only the plans of the cells it has */
		while (end > p && end[-1].file >= rec->ncells)
			end--;
	for (; p < end; p++)
		check_cell(k, rec, p);
	return true;
}

/* Reader callback: title rows, then the header, then data records. */
static void on_record(void *ctx, const struct csvr_record *rec)
{
	struct checker *k = ctx;
	k->rows = rec->row;
	if (k->fits)
		return;
	flush_byte_event(k, rec);
	if (!k->header_done) {
		if (!header_above(k->rs, rec) && !wrong_ruleset(k, rec))
			read_header(k, rec);
		return;
	}
	if (!check_record(k, rec))
		return;
	if (k->records == 256 && k->file_size && k->rs->nunique && !k->opt->max_memory)
		reserve_unique_sets(k, rec);
	struct row_view view = row_view_of(k, rec);
	check_in_order(k->order, rec, k->order->keys, &view);
}

/* Reports what the end of the input shows: nothing at all, no header, no data. */
static void check_end(struct checker *k, uint64_t bytes)
{
	struct msgbuf *m = &k->msg;
	if (k->legacy_stop || k->fits)
		return;
	if (bytes == 0 || (k->rows == 0 && !k->header_done))
		emit_file_level(k, SEV_ERROR, "empty-file", NULL, 0, 0, MSG_SAY0(m, k->lang, MSG_EMPTY_FILE));
	else if (!k->header_done)
		emit_file_level(k, SEV_ERROR, "empty-file", NULL, 0, 0,
				MSG_SAY(m, k->lang, MSG_NO_HEADER, ARG_NUM("rows", k->rows)));
	else if (k->records == 0)
		emit_file_level(k, SEV_WARNING, "empty-file", NULL, 0, 0, MSG_SAY0(m, k->lang, MSG_HEADER_ONLY));
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
	free(o->keys), free(o->first);
	buf_free(&o->key_text), buf_free(&o->key_fold), msgbuf_free(&o->msg);
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
	emit_file_level(k, SEV_ERROR, "io-error", NULL, 0, 0,
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
	on_record(ctx, rec);
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
	report(k, &d);
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
	struct csvr_handler h = {on_record, on_event, k};
	k->requested = ropt.encoding;
	k->encoding = ropt.encoding == CSVR_AUTO ? CSVR_UTF8 : ropt.encoding;
	k->max_field = opt->max_field ? opt->max_field : 1024 * 1024;
	k->reader = csvr_new(&ropt, &h);
	if (!k->reader)
		die(EXIT_TROUBLE, "iconv cannot convert from %s", encoding_name(ropt.encoding));
	k->order = new_in_order(rs, opt, out);
	/* one block, cleared with one memset a record */
	k->values = xcalloc(rs->ncols + 1, COLUMN_STATE_SIZE);
	k->text = (const char **)(k->values + rs->ncols);
	k->textlen = (size_t *)(k->text + rs->ncols);
	k->memos = xcalloc(rs->ncols + 1, sizeof *k->memos);
	k->ranges = xcalloc(rs->ncols + 1, sizeof *k->ranges);
}

/* Frees what a checker holds but its in-order state (free_in_order). */
static void checker_free(struct checker *k)
{
	const struct ruleset *rs = k->rs;
	csvr_free(k->reader);
	free(k->file_to_col);
	free(k->col_to_file);
	msgbuf_free(&k->msg), msgbuf_free(&k->byte_event_message);
	buf_free(&k->folded), buf_free(&k->expected), buf_free(&k->rule);
	for (size_t i = 0; i < rs->ncols; i++) {
		buf_free(&k->memos[i].ref_text.text), buf_free(&k->memos[i].pattern_text.text);
		free(k->ranges[i].expected);
	}
	free(k->memos), free(k->ranges);
	free(k->values); /* text and textlen with it */
	free(k->plan);
	buf_free(&k->rowtext);
}

/* Reports a read of the file that failed at offset with errno error: an io-error, and the file unread. */
static void report_read_error(struct checker *k, uint64_t offset, int error, struct check_result *res)
{
	emit_file_level(k, SEV_ERROR, "io-error", NULL, 0, 0,
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
		flush_byte_event(&k, NULL);
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
