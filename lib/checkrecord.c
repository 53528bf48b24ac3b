/*
 * checkrecord.c — checking the records of a file as the reader hands them
 * over: the first non-title record becomes the header and the plan of its
 * cells; every later record is checked for its shape, cell by cell against
 * its column (type, range, length, pattern, enumeration, reference table),
 * then against the unique keys and the written rules, in file order.  Owns
 * the findings of a record and of its cells; reading the file is check.c's.
 */
#include "checker.h"
#include "advice.h"
#include "book.h"
#include "header.h"
#include "keyset.h"
#include "msgcat.h"
#include "rules.h"
#include "strmap.h"
#include "utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The column as the clerk sees it in the header: its label, else its name. */
static const char *shown(const struct column *c) { return column_shown(c); }

/* Emits a finding. */
void check_report(struct checker *k, const struct diag *d)
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
	check_report(k, d);
}

/* Emits a file-level diagnostic whose rule id is its code. */
void check_emit_file_level(struct checker *k, enum severity sev, const char *code,
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
		check_report(k, &d);
	}
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
void check_flush_byte_event(struct checker *k, const struct csvr_record *rec)
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
	check_report(k, &d);
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
	check_emit_file_level(k, SEV_ERROR, "wrong-ruleset", rec, 0, 0,
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

/*
 * How check_plain_cell decides the usual cell of a column (see enum
 * cell_fast): by its type, and for text by the one other check it has.
 */
static enum cell_fast fast_kind(const struct ruleset *rs, const struct column *c, size_t col, unsigned checks)
{
	static const unsigned char typed[TYPE_COUNT] = {
		[TYPE_NUMBER] = FAST_NUMBER, [TYPE_DATE] = FAST_DATE, [TYPE_INTEGER] = FAST_INTEGER,
	};
	if (c->type != TYPE_STRING)
		return checks ? FAST_NONE : typed[c->type];
	switch (checks) {
	case 0: return FAST_TEXT;
	case CHECKS_LENGTH: return FAST_TEXT_LENGTH;
	case CHECKS_PATTERN: return FAST_TEXT_PATTERN;
	case CHECKS_ENUM: return FAST_TEXT_ENUM;
	case CHECKS_REF: return col == rs->county_col && rs->county_mode != COUNTY_NONE ? FAST_TEXT_COUNTY : FAST_TEXT_REF;
	default: return FAST_TEXT_MORE;
	}
}

/*
 * A text's signature: its first and last four bytes (its first, middle and
 * last, when shorter), with its length; of two texts of the same length up
 * to 8 bytes, the same signature is the same text.
 */
static inline uint64_t enum_sig(const char *s, size_t n)
{
	if (n >= 4) {
		uint32_t first, last;
		memcpy(&first, s, 4), memcpy(&last, s + n - 4, 4);
		return ((uint64_t)first << 32 | last) ^ n;
	}
	if (!n)
		return 0;
	return ((uint64_t)(unsigned char)s[0] << 40 | (uint64_t)(unsigned char)s[n / 2] << 24 |
		(uint64_t)(unsigned char)s[n - 1] << 8) ^ n;
}

/* Where a text of signature sig goes in a column's enum_slots, by its multiplier. */
static inline unsigned enum_slot(const struct column_memo *m, uint64_t sig)
{
	return (unsigned)((sig * m->enum_mul) >> 58);
}

/*
 * Fills a column's enum_slots and enum_sigs from its enumeration, by the
 * first of 64 multipliers that gives each value a slot of its own (else the
 * last, some slots shared); all shared past 16 values: enum_has hashes those.
 */
static void plan_enum_slots(const struct column *c, struct column_memo *m)
{
	bool shared = true;
	for (uint64_t k = 0; k < 64 && shared; k++) {
		m->enum_mul = 0x9E3779B97F4A7C15ULL * (2 * k + 1);
		memset(m->enum_slots, c->nenum > 16 ? ENUM_SLOT_SHARED : 0, sizeof m->enum_slots);
		shared = false;
		for (size_t i = 0; i < c->nenum && c->nenum <= 16; i++) {
			m->enum_sigs[i] = enum_sig(c->enum_values[i], c->enum_lens[i]);
			unsigned char *at = &m->enum_slots[enum_slot(m, m->enum_sigs[i])];
			shared = shared || *at;
			*at = *at ? ENUM_SLOT_SHARED : (unsigned char)(i + 1);
		}
	}
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
		unsigned checks = (length ? CHECKS_LENGTH : 0) | (c->pattern ? CHECKS_PATTERN : 0) |
				  (c->nenum ? CHECKS_ENUM : 0) | (c->ref ? CHECKS_REF : 0);
		if (c->nenum)
			plan_enum_slots(c, &k->memos[k->file_to_col[f]]);
		k->plan[k->nplan++] = (struct cell_plan){
			.c = c, .file = (uint32_t)f, .col = (uint32_t)k->file_to_col[f], .type = c->type, .vtype = value_type(c->type),
			.required = c->required, .folds = coltype_folds_width(c->type),
			.code_case = c->type == TYPE_USCC || c->type == TYPE_PERMIT, .more = more, .checks = checks,
			.fast = k->opt->general_cells ? FAST_NONE : fast_kind(k->rs, c, k->file_to_col[f], checks),
			.lo = more && c->has_min ? c->min : -INFINITY, .hi = more && c->has_max ? c->max : INFINITY,
			.value = &k->values[k->file_to_col[f]], .text = &k->text[k->file_to_col[f]],
			.textlen = &k->textlen[k->file_to_col[f]],
		};
	}
}

/*
 * Makes the parts of the unique keys (but the whole-row one) for the header:
 * each key's cells, in turn, with how their columns' values compare.
 */
static struct key_part *plan_keys(const struct ruleset *rs, const size_t *col_to_file)
{
	size_t n = 0;
	for (size_t u = 0; u < rs->nunique; u++)
		n += rs->uniques[u].ncols;
	struct key_part *parts = xcalloc(n + 1, sizeof *parts), *part = parts;
	for (size_t u = 0; u < rs->nunique; u++)
		for (size_t i = 0; i < rs->uniques[u].ncols; i++, part++) {
			size_t col = rs->uniques[u].cols[i], f = col_to_file[col];
			enum coltype type = rs->cols[col].type;
			part->file = f == SIZE_MAX || f >= UINT32_MAX ? UINT32_MAX : (uint32_t)f;
			part->type = type == TYPE_DATE ? TYPE_STRING : type; /* dates compare as they are written */
		}
	return parts;
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
	free(k->order->key_parts);
	k->order->key_parts = plan_keys(rs, k->col_to_file);
	csvr_keep_cells(k->reader, rec->ncells + 1);
	if (k->book)
		book_keep_cells(k->book, rec->ncells + 1);
}

/* True if s is the text the memo holds; if not, it holds s from now on. */
static inline bool same_text(struct text_memo *m, const char *s, size_t n)
{
	if (m->valid && m->text.len == n && bytes_equal(m->text.data, s, n))
		return true;
	buf_reset(&m->text);
	buf_add(&m->text, s, n);
	m->valid = true;
	return false;
}

/* The slot of a short text in a memo's answers: the one that holds it, or the empty one where it goes. */
static struct memo_entry *memo_slot(const struct text_memo *m, const char *s, size_t n)
{
	const size_t mask = m->nslots - 1;
	for (size_t i = strmap_hash(s, n) & mask;; i = (i + 1) & mask) {
		struct memo_entry *e = &m->seen[i];
		if (!e->len || (e->len == n && bytes_equal(e->text, s, n)))
			return e;
	}
}

/*
 * Gives a memo twice the slots (MEMO_SLOTS_FIRST at first), its answers put
 * in their new places: a small file, or one of few stations, never makes
 * the room that MEMO_TEXTS texts need.
 */
static void grow_memo(struct text_memo *m)
{
	struct memo_entry *was = m->seen;
	size_t had = m->nslots;
	m->nslots = had ? 2 * had : MEMO_SLOTS_FIRST;
	m->seen = xcalloc(m->nslots, sizeof *m->seen);
	for (size_t i = 0; i < had; i++)
		if (was[i].len)
			*memo_slot(m, was[i].text, was[i].len) = was[i];
	free(was);
}

/* True if the memo kept an answer for s (not its last text), then in *answer. */
static bool recall(const struct text_memo *m, const char *s, size_t n, int64_t *answer)
{
	if (!m->seen || !n || n > MEMO_TEXT_MAX)
		return false;
	const struct memo_entry *e = memo_slot(m, s, n);
	*answer = e->answer;
	return e->len != 0;
}

/* Keeps the answer for s, which recall did not have, while the memo has room and s is short. */
static void remember(struct text_memo *m, const char *s, size_t n, int64_t answer)
{
	if (!n || n > MEMO_TEXT_MAX || m->nseen >= MEMO_TEXTS)
		return;
	if (2 * (m->nseen + 1) > m->nslots) /* (at most 2 * MEMO_TEXTS slots: nseen stays below MEMO_TEXTS) */
		grow_memo(m);
	struct memo_entry *e = memo_slot(m, s, n);
	e->answer = answer;
	e->len = (unsigned char)n;
	memcpy(e->text, s, n);
	m->nseen++;
}

/* Looks a cell up in its column's reference table, remembering the answers (text_memo). */
static inline bool find_ref(struct checker *k, size_t col, const char *s, size_t n, size_t *row, bool *alias)
{
	const struct column *c = &k->rs->cols[col];
	struct column_memo *m = &k->memos[col];
	int64_t kept;
	if (!same_text(&m->ref_text, s, n)) {
		if (recall(&m->ref_text, s, n, &kept)) {
			m->row = (size_t)(kept >> 2), m->found = kept >> 1 & 1, m->alias = kept & 1;
		} else {
			m->found = reftable_find(c->ref, c->ref_col, s, n, &m->row, &m->alias);
			remember(&m->ref_text, s, n, (int64_t)(m->found ? m->row : 0) << 2 | m->found << 1 | m->alias);
		}
	}
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

/* Looks the county cell c up, for a cell not written as the last record's, and remembers what it gave. */
static void look_up_county(struct checker *k, const struct csvr_cell *c)
{
	const struct ruleset *rs = k->rs;
	size_t lead = utf8_blank_len((const unsigned char *)c->data, c->len);
	size_t trail = utf8_blank_len_back((const unsigned char *)c->data + lead, c->len - lead);
	const char *s = c->data + lead;
	size_t n = c->len - lead - trail;
	k->county_found = find_ref(k, rs->county_col, s, n, &k->county_row, &k->county_alias);
	k->county_width = !k->county_found &&
			  find_ref_halfwidth(k, rs->county_col, s, n, &k->county_row, &k->county_alias);
	k->county_found = k->county_found || k->county_width;
	if (k->county_found)
		k->county = reftable_cell(rs->counties, k->county_row, rs->county_code_col);
	k->county_cell_len = c->len <= sizeof k->county_cell ? c->len : 0;
	memcpy(k->county_cell, c->data, k->county_cell_len);
	k->county_of_cell = k->county;
	if (k->county && !k->file_county)
		k->file_county = k->county;
	else if (k->county && !k->counties_differ && strcmp(k->county, k->file_county) != 0)
		k->counties_differ = true;
}

/*
 * Works out the record's county from the county column, if the rule set
 * has one.  A cell written as the last record's gives what it gave: the
 * same county, found as it was (a file is mostly of one county), decided
 * inline; look_up_county looks any other up.
 */
static inline void find_county(struct checker *k, const struct csvr_record *rec)
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
	k->county_looked_up = true;
	if (c->len && c->len == k->county_cell_len && bytes_equal(c->data, k->county_cell, c->len))
		k->county = k->county_of_cell; /* county_found, _row, _alias and _width stay as they were */
	else
		look_up_county(k, c);
}

/* Emits a finding about one cell of a column, at the severity given. */
static void cell_finding_at(struct checker *k, const struct csvr_record *rec, size_t file_col, size_t col,
			    enum check chk, enum severity severity, const char *expected, struct message message)
{
	const struct column *c = &k->rs->cols[col];
	const struct csvr_cell *cell = &rec->cells[file_col];
	if (!k->rule_ids)
		k->rule_ids = xcalloc(k->rs->ncols * CHK_COUNT, sizeof *k->rule_ids);
	char **id = &k->rule_ids[col * CHK_COUNT + chk]; /* made once: the same id at the same address for every finding */
	if (!*id) {
		struct buf b = {0};
		buf_addf(&b, "%s.%s", c->name, check_code(chk));
		*id = b.data;
	}
	struct diag d = DIAG_INIT;
	d.severity = severity;
	d.code = check_code(chk);
	d.rule = *id;
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

/* A column's range as its findings' expected. */
static const char *range_expected(struct checker *k, size_t col)
{
	const struct column *c = &k->rs->cols[col];
	struct expected_texts *t = &k->expected_texts[col];
	if (t->range)
		return t->range;
	struct buf e = {0};
	if (c->has_min && c->has_max)
		buf_addf(&e, ">= %s and <= %s", c->min_text, c->max_text);
	else if (c->has_min)
		buf_addf(&e, ">= %s", c->min_text);
	else
		buf_addf(&e, "<= %s", c->max_text);
	return t->range = e.data;
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
	char **expected = short_ ? &k->expected_texts[col].at_least : &k->expected_texts[col].at_most;
	if (!*expected) {
		struct buf e = {0};
		buf_addf(&e, "%s %ld characters", short_ ? "at least" : "at most", limit);
		*expected = e.data;
	}
	cell_finding(k, rec, f, col, CHK_LENGTH, *expected,
		     MSG_SAY(&k->msg, k->lang, short_ ? MSG_LENGTH_SHORT : MSG_LENGTH_LONG, ARG_TEXT("column", shown(c)),
			     ARG_NUM("length", chars), ARG_NUM(short_ ? "min" : "max", limit)));
}

/* Runs the pattern on a value; a match limit hit is a warning, not a verdict. */
static void check_pattern(struct checker *k, const struct csvr_record *rec, size_t f, size_t col,
			  const char *s, size_t n)
{
	const struct column *c = &k->rs->cols[col];
	struct column_memo *m = &k->memos[col];
	int64_t kept;
	if (!same_text(&m->pattern_text, s, n)) {
		if (recall(&m->pattern_text, s, n, &kept))
			m->pattern_rc = (int)kept;
		else {
			m->pattern_rc = ruleset_pattern_match(k->rs, c->pattern, c->match, s, n);
			remember(&m->pattern_text, s, n, m->pattern_rc);
		}
	}
	int rc = m->pattern_rc;
	if (rc >= 0 || (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21))
		return; /* matched, or invalid UTF-8 already reported */
	char **expected = &k->expected_texts[col].pattern;
	if (!*expected) {
		struct buf e = {0};
		buf_addf(&e, "matches %s", c->pattern_src);
		*expected = e.data;
	}
	if (rc == PCRE2_ERROR_NOMATCH) {
		cell_finding(k, rec, f, col, CHK_PATTERN, *expected, advice_pattern(&k->msg, k->lang, c));
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
		d.expected = *expected;
		d.message = MSG_SAY(&k->msg, k->lang, MSG_PATTERN_LIMIT, ARG_TEXT("column", shown(c)));
		emit_at(k, &d, rec);
		buf_free(&rule);
	}
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
static inline bool enum_has(const struct column *c, const char *s, size_t n)
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
 * enum_has for the usual cell, by its slot in the column's enum_slots:
 * false at once where no value goes, where only one does its signature
 * (and for a text past 8 bytes, its bytes) compared.
 */
static inline __attribute__((always_inline)) bool enum_slot_has(const struct column *c, const struct column_memo *m,
								const char *s, size_t n)
{
	uint64_t sig = enum_sig(s, n);
	unsigned i = m->enum_slots[enum_slot(m, sig)];
	if (i == ENUM_SLOT_SHARED)
		return enum_has(c, s, n);
	return i && m->enum_sigs[i - 1] == sig && c->enum_lens[i - 1] == n &&
	       (n <= 8 || bytes_equal(c->enum_values[i - 1], s, n));
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

/* Runs the checks of a cell after its type and range: length, pattern, enumeration, reference table. */
static void check_more(struct checker *k, const struct csvr_record *rec, const struct cell_plan *p,
		       const char *s, size_t n)
{
	const struct column *c = p->c;
	size_t f = p->file, col = p->col;
	unsigned checks = p->checks;
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

/* Makes a column's value null, without text, as it is until a cell of the record sets it. */
static void clear_column_state(struct checker *k, size_t col)
{
	k->values[col] = (struct value){0};
	k->text[col] = NULL;
	k->textlen[col] = 0;
}

/*
 * Runs every built-in check of one column on one cell: the general path, for
 * any cell check_plain_cell leaves.  Out of line: inlined into the loop over a
 * record's cells, it made the usual cell dearer (90 instructions a row).
 */
static __attribute__((noinline)) void check_cell(struct checker *k, const struct csvr_record *rec, const struct cell_plan *p)
{
	size_t f = p->file, col = p->col;
	const struct column *c = p->c;
	const struct csvr_cell *cell = &rec->cells[f];
	clear_column_state(k, col);
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

		struct msg_arg args[] = {ARG_TEXT("column", shown(c)), ARG_TEXTN("value", s, n),
					 ARG_TEXT("min", c->has_min ? c->min_text : ""), ARG_TEXT("max", c->has_max ? c->max_text : "")};
		cell_finding(k, rec, f, col, CHK_RANGE, range_expected(k, col),
			     !c->has_max ? msg_say(&k->msg, k->lang, MSG_RANGE_MIN, args, 3)
			     : !c->has_min ? msg_say(&k->msg, k->lang, MSG_RANGE_MAX, (struct msg_arg[]){args[0], args[1], args[3]}, 3)
					   : msg_say(&k->msg, k->lang, MSG_RANGE, args, 4));
	} else {
		set_value(k, p, s, n, v); /* out of range, it stays null: no rule counts or judges it */
	}
	if (p->checks) /* the usual column has none: its type (and range) is all there is to check */
		check_more(k, rec, p, s, n);
}

/*
 * Keeps a column's usual number (date) cell: true, with its value if keep,
 * if it is one (v not NaN) and in range.
 */
static inline __attribute__((always_inline)) bool plain_number(const struct cell_plan *p, const char *s, size_t n,
							      double v, enum vtype type, bool keep)
{
	if (!(v >= p->lo && v <= p->hi)) /* not of the type (NaN), or out of range */
		return false;
	if (!keep)
		return true;
	struct value *val = p->value; /* field by field, the type a constant: fewer stores than a compound literal */
	val->num = v;
	val->len = 0;
	val->type = type;
	*p->text = s;
	*p->textlen = n;
	return true;
}

/*
 * Keeps a column's usual text cell: true, with its value if keep, if it is
 * not empty and needs no trimming.  Inline in each case of check_plain_cell.
 */
static inline __attribute__((always_inline)) bool plain_text(const struct cell_plan *p, const char *s, size_t n,
							    bool keep)
{
	if (n == 0 || utf8_starts_blank((const unsigned char *)s, n) || utf8_ends_blank((const unsigned char *)s, n))
		return false;
	if (!keep)
		return true;
	struct value *val = p->value;
	val->str = s;
	val->len = (uint32_t)n;
	val->type = V_STR;
	*p->text = s;
	*p->textlen = n;
	return true;
}

/* True if the text memo m holds s. */
static inline bool memo_holds(const struct text_memo *m, const char *s, size_t n)
{
	return m->valid && m->text.len == n && bytes_equal(m->text.data, s, n);
}

/*
 * check_cell for the usual cell, inline in the loop over a record's cells:
 * one that needs no trimming or folding, of its column's type as the
 * plain parsers read it, in range, and for text passing the one other check
 * its column has as check_more would find, told by a byte length, a memo,
 * the county lookup or a scan of a short list, without a call and without
 * changing any memo.  Does what check_cell would do with it (but keep its
 * value, unless keep) and returns true (for text that may fail its other
 * checks, check_more decides them); returns false, having set no value,
 * for any other cell, which check_cell then decides.  Never given an
 * oversized or reported cell (check_record).
 */
static inline __attribute__((always_inline)) bool check_plain_cell(struct checker *k, const struct csvr_record *rec,
								   const struct csvr_cell *cells, struct cell_plan *p,
								   bool keep)
{
	const struct csvr_cell *cell = &cells[p->file];
	const char *s = cell->data;
	size_t n = cell->len;
	const struct column *c = p->c;
	/*
	 * No full-width check: the plain parsers take nothing past ASCII, and
	 * text columns do not fold.  No blank check but for text: the parsers
	 * take no blank (nor empty) cell either.
	 */
	bool passes;
	const struct text_memo *memo = NULL; /* a memo that must hold the cell as well */
	switch (p->fast) {
	case FAST_NUMBER:
		return plain_number(p, s, n, plain_decimal_value(s, n), V_NUM, keep);
	case FAST_DATE:
		return plain_number(p, s, n, date_in_value(&p->month, s, n), V_DATE, keep);
	case FAST_INTEGER:
		return plain_number(p, s, n, integer_value(s, n), V_NUM, keep);
	case FAST_TEXT:
		return plain_text(p, s, n, keep);
	case FAST_TEXT_LENGTH:
		if (!plain_text(p, s, n, keep))
			return false;
		passes = (c->max_length < 0 || n <= (size_t)c->max_length) &&
			 (c->min_length < 0 || (n + 3) / 4 >= (size_t)c->min_length);
		break;
	case FAST_TEXT_ENUM:
		if (!plain_text(p, s, n, keep))
			return false;
		passes = enum_slot_has(c, &k->memos[p->col], s, n);
		break;
	case FAST_TEXT_PATTERN:
		if (!plain_text(p, s, n, keep))
			return false;
		memo = &k->memos[p->col].pattern_text;
		passes = k->memos[p->col].pattern_rc >= 0;
		break;
	case FAST_TEXT_REF:
		if (!plain_text(p, s, n, keep))
			return false;
		memo = &k->memos[p->col].ref_text;
		passes = k->memos[p->col].found && !k->memos[p->col].alias;
		break;
	case FAST_TEXT_COUNTY: /* find_county asked already */
		if (!plain_text(p, s, n, keep))
			return false;
		passes = k->county_found && !k->county_alias && !k->county_width;
		break;
	case FAST_TEXT_MORE:
		if (!plain_text(p, s, n, keep))
			return false;
		passes = false;
		break;
	case FAST_NONE:
		return false;
	default: /* every kind has its case: no bounds test before the jump */
		__builtin_unreachable();
	}
	if (!passes || (memo && !memo_holds(memo, s, n)))
		check_more(k, rec, p, s, n);
	return true;
}

/* True if a cell of the record is oversized or reported: check_plain_cell takes neither. */
static bool marked_cell(const struct csvr_record *rec)
{
	for (size_t i = 0; i < rec->ncells; i++)
		if (rec->cells[i].oversized || rec->cells[i].reported)
			return true;
	return false;
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
static inline void add_key_part(struct buf *key, const char *s, size_t len)
{
	buf_grow(key, len + 10);
	char *at = key->data + key->len;
	if (len < 0x80) /* its own varint, one byte: the usual key cell */
		*at++ = (char)len;
	else
		at += varint_put((unsigned char *)at, len);
	if (len <= 16)
		copy_short(at, s, len);
	else
		memcpy(at, s, len);
	at[len] = '\0';
	key->len = (size_t)(at + len - key->data);
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
 * Points *p and *len at a key cell as its column's values compare, where the
 * text alone would tell equal values apart: an integer without a plus sign or
 * leading zeros (project 01 is project 1), a credit code or permit number in
 * its proper case (as it is checked).  Other cells stay as written.
 */
static void key_cell_as_compared(struct in_order *o, enum coltype type, const char **p, size_t *len)
{
	const char *s = *p;
	size_t n = *len;
	double v;
	if (type == TYPE_INTEGER && n > 1 && (s[0] == '+' || s[0] == '-' || s[0] == '0') &&
	    parse_integer(s, n, &v)) {
		buf_reset(&o->key_as_compared);
		buf_addf(&o->key_as_compared, "%.0f", v == 0 ? 0.0 : v); /* -0 and 0 alike */
	} else if ((type == TYPE_USCC || type == TYPE_PERMIT) && n) {
		buf_reset(&o->key_as_compared);
		buf_grow(&o->key_as_compared, n + 1);
		if (!code_fix_case(type, s, n, o->key_as_compared.data))
			return;
		o->key_as_compared.len = n;
	} else {
		return;
	}
	*p = o->key_as_compared.data;
	*len = o->key_as_compared.len;
}

/*
 * Points *p and *len at a key cell as the unique sets compare it: trimmed,
 * half-width, so that ２０２４ and 2024 are one key, and as its column's
 * values compare (key_cell_as_compared; TYPE_STRING: as written).
 */
static inline void key_cell(struct in_order *o, const struct csvr_cell *c, enum coltype type, const char **p,
			    size_t *len)
{
	size_t lead = utf8_blank_len((const unsigned char *)c->data, c->len);
	size_t n = c->len - lead - utf8_blank_len_back((const unsigned char *)c->data + lead, c->len - lead);
	const char *s = c->data + lead;
	if (!c->ascii && has_high_byte(s, n) && utf8_may_have_fullwidth((const unsigned char *)s, n)) {
		bool changed;
		buf_reset(&o->key_fold);
		buf_grow(&o->key_fold, n + 1);
		n = utf8_halfwidth((const unsigned char *)s, n, o->key_fold.data, &changed);
		s = o->key_fold.data;
	}
	if (type != TYPE_STRING)
		key_cell_as_compared(o, type, &s, &n);
	*p = s;
	*len = n;
}

/*
 * True if key_cell would give a key cell as it is: the usual cell, ASCII of
 * a column compared as written, with no blank (nothing up to a space) at
 * either end and under 128 bytes (its length is a one-byte varint).
 */
static inline bool key_cell_as_written(const struct csvr_cell *c, const struct key_part *part)
{
	const unsigned char *p = (const unsigned char *)c->data;
	return c->ascii && part->type == TYPE_STRING && c->len - 1 < 0x7F && p[0] > ' ' && p[c->len - 1] > ' ';
}

/*
 * Appends the cells of a unique key (not the whole-row one) from part to last
 * to text, each as key_cell gives it; false at the first that is absent or
 * blank, which makes the key incomplete.
 */
static inline bool add_key_cells(struct in_order *o, const struct csvr_record *rec, const struct key_part *part,
				 const struct key_part *last, struct buf *text)
{
	for (; part < last; part++) {
		if (part->file >= rec->ncells)
			return false;
		const struct csvr_cell *c = &rec->cells[part->file];
		const char *p = c->data;
		size_t len = c->len;
		if (!key_cell_as_written(c, part))
			key_cell(o, c, part->type, &p, &len);
		add_key_part(text, p, len);
		if (!len)
			return false;
	}
	return true;
}

/*
 * Makes the last record's keys (o->keys_kept) the record's, when its key
 * cells are but for the last two bytes of each key, digits in both (a
 * station's next day in a sorted file): each key's last two bytes are
 * written over, and its code is the last one's with those two digits
 * replaced (keyset_code_follow, as keyset_code would make it).  A cell equal
 * to a key cell as key_cell gave it (of a column compared as written) is
 * what key_cell gives, and so is one that differs from it in digits at its
 * end.  A key with a code is at most KEYSET_SHAPE_MAX bytes, so that each
 * cell's length is its one-byte varint.  False when they are not, some keys
 * perhaps changed: all are then built again.
 */
_Static_assert(KEYSET_SHAPE_MAX < 0x80, "a key cell's length with a code is one byte");

static inline __attribute__((always_inline)) bool keys_follow(struct in_order *o, const struct csvr_record *rec)
{
	const struct key_part *part = o->key_parts;
	for (size_t u = 0; u < o->rs->nunique; u++) {
		struct record_key *k = &o->keys[u];
		const struct key_part *last = part + o->rs->uniques[u].ncols - 1;
		unsigned char *at = (unsigned char *)o->key_text.data + k->at;
		const struct csvr_cell *c;
		for (;; part++) {
			if (part->file >= rec->ncells)
				return false;
			c = &rec->cells[part->file];
			if (*at != c->len || (part == last && c->len < 2) ||
			    !bytes_equal(at + 1, c->data, part == last ? c->len - 2 : c->len))
				return false;
			at += 1 + c->len;
			if (part == last)
				break;
		}
		part++;
		unsigned old_tens = at[-2] - (unsigned)'0', old_ones = at[-1] - (unsigned)'0';
		unsigned tens = (unsigned char)c->data[c->len - 2] - (unsigned)'0';
		unsigned ones = (unsigned char)c->data[c->len - 1] - (unsigned)'0';
		if (old_tens > 9 || old_ones > 9 || tens > 9 || ones > 9)
			return false;
		at[-2] = (unsigned char)c->data[c->len - 2], at[-1] = (unsigned char)c->data[c->len - 1];
		k->code = keyset_code_follow(&o->unique_sets[u], k->code, old_tens * 10 + old_ones, tens * 10 + ones);
		k->hash = keyset_prefetch(&o->unique_sets[u], o->key_text.data + k->at, k->len, k->code);
	}
	return true;
}

/*
 * keys_follow, when the last record's keys were kept, but for a while
 * after it failed: as long again as the failures in a row, so that in a
 * file not sorted by its key it is seldom tried (in a sorted one, it fails
 * once at a month's end).
 */
static inline __attribute__((always_inline)) bool try_keys_follow(struct in_order *o, const struct csvr_record *rec)
{
	if (!o->keys_kept)
		return false;
	if (o->follow_wait) {
		o->follow_wait--;
		return false;
	}
	if (keys_follow(o, rec)) {
		o->follow_misses = 0;
		return true;
	}
	o->follow_wait = ++o->follow_misses;
	return false;
}

/*
 * Builds a record's key for every unique set into o->keys, their bytes in
 * o->key_text, each cell as key_cell gives it.  A key with a blank or
 * absent cell is incomplete and never repeats.  The whole-row key is every
 * cell of the record, known columns or not, up to its last one that is not
 * blank (so a missing trailing cell equals a blank one); a row with nothing
 * in it has none.  The slot of each key is prefetched: the sets are too big
 * for the cache, and the cells checked before add_unique_keys give the
 * fetch time to arrive.  Notes whether keys_follow may make the next
 * record's keys from these: all complete, with codes, of cells compared as
 * written.
 */
static __attribute__((noinline)) void build_unique_keys(struct in_order *o, const struct csvr_record *rec)
{
	const struct ruleset *rs = o->rs;
	const struct key_part *part = o->key_parts;
	struct buf *text = &o->key_text;
	struct record_key *keys = o->keys;
	text->len = 0; /* its bytes are read by the keys' lengths only */
	o->keys_kept = true;
	for (size_t u = 0; u < rs->nunique; u++) {
		const struct unique_key *key = &rs->uniques[u];
		size_t at = text->len;
		bool complete;
		if (key->whole_row) {
			size_t end = at, len;
			const char *p;
			for (size_t i = 0; i < rec->ncells; i++) {
				key_cell(o, &rec->cells[i], TYPE_STRING, &p, &len);
				add_key_part(text, p, len);
				if (len)
					end = text->len;
			}
			text->len = end, complete = end > at;
		} else {
			complete = add_key_cells(o, rec, part, part + key->ncols, text);
			for (const struct key_part *end = part + key->ncols; part < end; part++)
				o->keys_kept = o->keys_kept && part->type == TYPE_STRING;
		}
		struct record_key *k = &keys[u]; /* field by field: code and hash matter only when complete */
		k->at = at;
		k->len = text->len - at;
		k->complete = complete;
		if (complete) {
			k->code = keyset_code(&o->unique_sets[u], text->data + at, k->len);
			k->hash = keyset_prefetch(&o->unique_sets[u], text->data + at, k->len, k->code);
		}
		o->keys_kept = o->keys_kept && complete && k->code && !key->whole_row;
	}
}

/* The rule a unique key's findings name: "station_id+date.unique", or "duplicate-row". */
static void unique_rule_name(const struct unique_key *key, struct buf *rule)
{
	buf_addf(rule, key->whole_row ? "%s" : "%s.unique", key->id);
}

/*
 * Adds a record's keys (built into o->key_text) to the unique sets; o->first[u]
 * becomes the row where a repeated key was first seen, or 0.  Returns true if
 * any key repeated.
 */
static bool add_unique_keys(struct in_order *o, struct record_key *keys, const struct row_view *view)
{
	bool repeated = false;
	for (size_t u = 0; u < o->rs->nunique; u++) {
		struct record_key *p = &keys[u];
		struct keyset *set = &o->unique_sets[u];
		o->first[u] = 0;
		if (!p->complete || o->dropped[u])
			continue;
		enum keyset_added added = keyset_add_hashed(set, o->key_text.data + p->at, p->len, &p->code,
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

/* Sets o->said to text followed by the row first was first seen at, in parentheses: a finding's expected. */
static const char *first_at(struct in_order *o, const char *text, uint64_t first)
{
	buf_reset(&o->said);
	buf_adds(&o->said, text);
	buf_add_uint(&o->said, first);
	buf_addc(&o->said, ')');
	return o->said.data;
}

/* Reports a row repeated whole: the row of its first occurrence, no cell of its own. */
static void report_duplicate_row(struct in_order *o, const struct unique_key *key, const struct csvr_record *rec,
				 const char *county, uint64_t first)
{
	struct diag d = DIAG_INIT;
	d.severity = key->severity;
	d.code = "duplicate-row";
	d.rule = key->id;
	d.line = rec->line;
	d.row = rec->row;
	d.county = county;
	d.expected = first_at(o, "a row of its own (first at row ", first);
	d.message = MSG_SAY(&o->msg, o->lang, MSG_DUPLICATE_ROW, ARG_NUM("first", first));
	diag_emit(o->out, &d);
}

/*
 * The texts of a unique key's findings that stay the same from one to the
 * next, made with its first: its rule's name and its columns' labels.
 */
static const struct unique_texts *unique_texts(struct in_order *o, size_t u)
{
	if (!o->unique_texts)
		o->unique_texts = xcalloc(o->rs->nunique, sizeof *o->unique_texts);
	struct unique_texts *t = &o->unique_texts[u];
	if (t->rule.data)
		return t;
	const struct unique_key *key = &o->rs->uniques[u];
	unique_rule_name(key, &t->rule);
	for (size_t i = 0; i < key->ncols; i++)
		buf_addf(&t->labels, "%s%s", i ? "+" : "", column_shown(&o->rs->cols[key->cols[i]]));
	return t;
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
		const struct unique_texts *t = unique_texts(o, u);
		buf_reset(&o->key_values);
		for (size_t i = 0; i < key->ncols; i++) {
			const struct csvr_cell *c = &rec->cells[o->col_to_file[key->cols[i]]];
			if (i)
				buf_add(&o->key_values, ", ", 2);
			buf_add(&o->key_values, c->data, strnlen(c->data, c->len)); /* a text up to a NUL, as the message */
		}
		char cell[16 + 24];
		cell_column_name(o->col_to_file[key->cols[0]], cell);
		size_t cell_len = strlen(cell);
		cell[cell_len + decimal_put(cell + cell_len, first)] = '\0';
		struct diag d = DIAG_INIT;
		d.severity = key->severity;
		d.code = "unique";
		d.rule = t->rule.data;
		d.line = rec->line;
		d.row = rec->row;
		d.county = county;
		d.column = rs->cols[key->cols[0]].name;
		d.cell = o->col_to_file[key->cols[0]];
		d.value = rec->cells[d.cell].data;
		d.value_len = rec->cells[d.cell].len;
		d.expected = first_at(o, "unique (first at row ", first);
		d.message = MSG_SAY(&o->msg, o->lang, MSG_UNIQUE, ARG_TEXT("columns", t->labels.data),
				    ARG_TEXT("values", o->key_values.data), ARG_NUM("first", first), ARG_TEXT("cell", cell));
		diag_emit(o->out, &d);
	}
}

/* Runs the checks bound to file order on a record whose cells were checked. */
static void check_in_order(struct in_order *o, const struct csvr_record *rec, struct record_key *keys,
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
		check_emit_file_level(k, SEV_INFO, "blank-row", rec, 0, 0, MSG_SAY0(m, k->lang, MSG_BLANK_ROW));
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
 * True for the usual record, which check_shape would count and pass without
 * a finding: whole, as many cells as the header has, its first not blank.
 */
static inline bool plain_shape(const struct checker *k, const struct csvr_record *rec)
{
	return rec->total_cells == k->header_cells && !rec->unterminated && rec->ncells && rec->cells[0].len &&
	       !utf8_starts_blank((const unsigned char *)rec->cells[0].data, rec->cells[0].len);
}

/*
 * Checks the cells of plans p to end of a record none of whose cells is
 * oversized or reported, keeping their values if keep (only the written
 * rules read them: without any, the usual cell's is not kept).  Inlined
 * into check_record for each.
 */
static inline __attribute__((always_inline)) void check_cells(struct checker *k, const struct csvr_record *rec,
							      struct cell_plan *p, const struct cell_plan *end, bool keep)
{
	for (const struct csvr_cell *cells = rec->cells; p < end; p++)
		if (!check_plain_cell(k, rec, cells, p, keep))
			check_cell(k, rec, p);
}

/*
 * Checks a data record's shape and cells into values, text and textlen; false
 * if it has no cells to check further (blank, or cut by an open quote).
 */
static bool check_record(struct checker *k, const struct csvr_record *rec)
{
	k->county = NULL;
	if (plain_shape(k, rec))
		k->records++;
	else if (!check_shape(k, rec))
		return false;
	find_county(k, rec);
	k->rowtext_reserved = false;
	if (!try_keys_follow(k->order, rec))
		build_unique_keys(k->order, rec);
	/*
	 * Each planned column's state (value, text) is set by its cell, or
	 * cleared when the record is too short to have it; the columns of no
	 * header cell stay as made, null.  No clearing of the whole row.
	 */
	struct cell_plan *p = k->plan, *end = p + k->nplan;
	if (rec->ncells < k->header_cells) /* a short record: only the plans of the cells it has */
		while (end > p && end[-1].file >= rec->ncells)
			clear_column_state(k, (--end)->col);
	if (!rec->unmarked && marked_cell(rec)) { /* a workbook's error value: check_cell sees to every cell */
		for (; p < end; p++)
			check_cell(k, rec, p);
		return true;
	}
	if (k->order->rules)
		check_cells(k, rec, p, end, true);
	else
		check_cells(k, rec, p, end, false);
	return true;
}

/* Reader callback: title rows, then the header, then data records. */
void check_on_record(void *ctx, const struct csvr_record *rec)
{
	struct checker *k = ctx;
	k->rows = rec->row;
	if (k->fits)
		return;
	check_flush_byte_event(k, rec);
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
