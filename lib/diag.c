/* diag.c — rendering, counting and capping diagnostics. */
#include "diag.h"
#include "jsonw.h"
#include "termtext.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_MAX 200

static const char *const severity_names[] = {"info", "warning", "error", "never"};

const char *severity_name(enum severity s) { return severity_names[s]; }

bool severity_from_name(const char *name, enum severity *s, bool allow_never)
{
	for (int i = 0; i <= SEV_NEVER; i++)
		if (strcmp(name, severity_names[i]) == 0 && (i != SEV_NEVER || allow_never)) {
			*s = (enum severity)i;
			return true;
		}
	return false;
}

enum lang lang_from_env(void)
{
	const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	for (int i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strncmp(v, "zh", 2) == 0 ? LANG_ZH : LANG_EN;
	}
	return LANG_EN;
}

/* Writes the letters of a 0-based column index, without a NUL; returns how many (at most 15). */
static size_t column_letters(size_t index, char *out)
{
	char tmp[16];
	size_t n = 0;
	size_t v = index + 1;
	if (index < 26) { /* most tables' columns: one letter */
		out[0] = (char)('A' + index);
		return 1;
	}
	while (v > 0 && n < 15) {
		tmp[n++] = (char)('A' + (v - 1) % 26);
		v = (v - 1) / 26;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

void cell_column_name(size_t index, char out[16])
{
	out[column_letters(index, out)] = '\0';
}

const char *diag_strerror(int err, enum lang lang)
{
	static const struct { int err; const char *zh; } words[] = {
		{ENOENT, "文件不存在"}, {EACCES, "没有读取权限"}, {EPERM, "不允许读取"},
		{EISDIR, "这是一个目录，不是文件"}, {ENOTDIR, "路径中有一段不是目录"},
		{ELOOP, "符号链接层数过多"}, {ENAMETOOLONG, "文件名太长"}, {EIO, "输入输出错误"},
		{EMFILE, "打开的文件太多"}, {ENFILE, "系统打开的文件太多"}, {ENOMEM, "内存不足"},
		{ENXIO, "设备不存在"}, {EINVAL, "参数无效"}, {EFBIG, "文件太大"}, {EOVERFLOW, "文件太大"},
		{EAGAIN, "暂时无法读取"}, {ETXTBSY, "文件正被使用"}, {ENODEV, "设备不支持读取"},
	};
	if (lang != LANG_ZH)
		return strerror(err);
	static _Thread_local char other[32];
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (words[i].err == err)
			return words[i].zh;
	snprintf(other, sizeof other, "系统错误 %d", err);
	return other;
}

const char *diag_msg(struct buf *b, enum lang lang, const char *zh, const char *en, ...)
{
	va_list ap;
	buf_reset(b);
	va_start(ap, en);
	buf_vaddf(b, lang == LANG_ZH ? zh : en, ap);
	va_end(ap);
	return b->data;
}

/*
 * The JSON a finding takes from its rule, kept for the rule's next findings:
 * the line's start up to the file's name (severity, code, rule), and its
 * column, expected and plan members.  Found again by the addresses of the
 * rule, column and expected (two slots may hold them) and checked against
 * copies of the texts it was made from, so that a text changed in place is
 * written anew.
 */
enum { KEPT_CODE, KEPT_RULE, KEPT_COLUMN, KEPT_EXPECTED, KEPT_PLAN, KEPT_TEXTS };
#define KEPT_SLOTS 256 /* a power of two: the top bits of a hash pick one */
#define KEPT_TEXT_MAX 192
struct diag_kept {
	enum severity severity;
	const char *at[KEPT_TEXTS];    /* the texts' addresses (NULL: none), */
	size_t len[KEPT_TEXTS];        /* their lengths */
	char text[KEPT_TEXT_MAX];      /* and their bytes, one after another, each with its NUL */
	size_t head_len, column_at, expected_at, plan_at; /* where in json the members start; each ends where the next does */
	struct buf json;               /* empty: the slot holds nothing */
	uint64_t used;                 /* when last found or made: of two slots, the one used longer ago is made anew */
};
struct diag_kept_table {
	uint64_t clock;
	struct diag_kept slot[KEPT_SLOTS + 1]; /* the last for texts too long to keep: made anew each time */
};

/* Empties the kept JSON: the file's name or rule set changed. */
static void kept_forget(struct diag_file *f)
{
	for (size_t i = 0; f->kept && i <= KEPT_SLOTS; i++)
		buf_reset(&f->kept->slot[i].json);
}

/* True when slot e holds the JSON of these texts at this severity: the same addresses, holding the bytes copied. */
static inline bool kept_same(const struct diag_kept *e, enum severity severity, const char *const at[KEPT_TEXTS])
{
	if (!e->json.len || e->severity != severity)
		return false;
	for (int k = 0; k < KEPT_TEXTS; k++)
		if (e->at[k] != at[k])
			return false;
	const char *t = e->text;
	for (int k = 0; k < KEPT_TEXTS; t += e->len[k++] + 1)
		if (at[k] && strcmp(t, at[k]) != 0)
			return false;
	return true;
}

/* Appends ,"key": and s as a JSON string when s is not NULL. */
static void member(struct buf *b, const char *key, size_t key_len, const char *s, size_t n)
{
	if (!s)
		return;
	buf_add(b, key, key_len);
	jsonw_string(b, s, n);
}
#define MEMBER(b, key, s, n) member((b), (key), sizeof(key) - 1, (s), (n))

/* The JSON of d's parts that come from its rule, made when no slot holds them. */
static const struct diag_kept *kept_parts(struct diag_file *f, const struct diag *d)
{
#define HEAD(severity) "{\"type\":\"diagnostic\",\"severity\":\"" severity "\",\"code\":"
	static const struct { const char *text; size_t len; } heads[] = {
		{HEAD("info"), sizeof HEAD("info") - 1}, {HEAD("warning"), sizeof HEAD("warning") - 1},
		{HEAD("error"), sizeof HEAD("error") - 1}, {HEAD("never"), sizeof HEAD("never") - 1},
	};
#undef HEAD
	const char *at[KEPT_TEXTS] = {d->code, d->rule, d->column, d->expected, d->plan};
	if (!f->kept)
		f->kept = xcalloc(1, sizeof *f->kept);
	struct diag_kept_table *t = f->kept;
	uint64_t h = ((uintptr_t)d->rule ^ (uintptr_t)d->column * 3 ^ (uintptr_t)d->expected * 5) *
		     0x9E3779B97F4A7C15u >> 56;
	struct diag_kept *e0 = &t->slot[h], *e1 = &t->slot[h ^ 1];
	struct diag_kept *e = kept_same(e0, d->severity, at) ? e0 : kept_same(e1, d->severity, at) ? e1 : NULL;
	if (e) {
		e->used = ++t->clock;
		return e;
	}
	size_t len[KEPT_TEXTS], total = 0;
	for (int k = 0; k < KEPT_TEXTS; k++)
		total += (len[k] = at[k] ? strlen(at[k]) : 0) + 1;
	if (total > KEPT_TEXT_MAX) {
		e = &t->slot[KEPT_SLOTS];
	} else {
		e = e0->used <= e1->used ? e0 : e1;
		e->used = ++t->clock;
		char *copy = e->text;
		for (int k = 0; k < KEPT_TEXTS; k++) {
			memcpy(copy, at[k] ? at[k] : "", len[k] + 1);
			copy += len[k] + 1;
		}
	}
	e->severity = d->severity;
	memcpy(e->at, at, sizeof e->at), memcpy(e->len, len, sizeof e->len);
	struct buf *b = &e->json;
	buf_reset(b);
	buf_add(b, heads[d->severity].text, heads[d->severity].len);
	jsonw_string(b, d->code, len[KEPT_CODE]);
	buf_add(b, f->rule_head.data, f->rule_head.len);
	jsonw_escape(b, d->rule, len[KEPT_RULE]);
	buf_add(b, f->file_tail.data, f->file_tail.len);
	e->head_len = e->column_at = b->len;
	MEMBER(b, ",\"column\":", d->column, len[KEPT_COLUMN]);
	e->expected_at = b->len;
	MEMBER(b, ",\"expected\":", d->expected, len[KEPT_EXPECTED]);
	e->plan_at = b->len;
	MEMBER(b, ",\"plan\":", d->plan, len[KEPT_PLAN]);
	return e;
}

void diag_file_begin(struct diag_file *f, const struct diag_options *opt,
		     const char *file, const char *ruleset)
{
	memset(f, 0, sizeof *f);
	f->opt = opt;
	strmap_init(&f->per_rule);
	diag_file_about(f, file, ruleset);
}

void diag_file_about(struct diag_file *f, const char *file, const char *ruleset)
{
	f->file = file;
	f->ruleset = ruleset;
	kept_forget(f);
	buf_reset(&f->rule_head);
	buf_reset(&f->file_tail);
	if (f->opt->format != OUT_JSON)
		return;
	buf_adds(&f->rule_head, ",\"rule\":\"");
	if (ruleset) {
		jsonw_escape(&f->rule_head, ruleset, strlen(ruleset));
		buf_addc(&f->rule_head, '/');
	}
	buf_adds(&f->file_tail, "\",\"file\":");
	jsonw_string(&f->file_tail, file, strlen(file));
}

/* Cuts a value to VALUE_MAX bytes without splitting a UTF-8 character. */
static size_t value_cut(const char *s, size_t n)
{
	if (n <= VALUE_MAX)
		return n;
	size_t cut = VALUE_MAX;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	return cut;
}


/* The decimal digits of v, from last time when v is the number they were made for: a row's findings share its line and row. */
static const struct digits *digits_of(struct digits *last, uint64_t v)
{
	if (last->of != v || !last->len) {
		last->of = v;
		last->len = decimal_put(last->text, v);
	}
	return last;
}

/*
 * Writes a diagnostic's spreadsheet cell ("F3") into out and its length into
 * *len; false when it has none.  A cell given as text is the diagnostic's
 * cell even when empty (qy-report passes on what it read).
 */
static bool cell_ref(const struct diag *d, const struct digits *row, char out[40], size_t *len)
{
	if (d->cell_ref) {
		snprintf(out, 40, "%s", d->cell_ref);
		*len = strlen(out);
		return true;
	}
	if (d->cell == SIZE_MAX || !d->row)
		return false;
	cell_column_name(d->cell, out);
	size_t n = strlen(out);
	if (row)
		memcpy(out + n, row->text, row->len), n += row->len;
	else
		n += decimal_put(out + n, d->row);
	out[n] = '\0';
	*len = n;
	return true;
}

/* Appends the county member, the last one's again when the county is the same (a file is mostly of one). */
static void county_member(struct diag_file *f, const char *county)
{
	struct buf *b = &f->line;
	if (f->last_county.json_len && strcmp(f->last_county.text, county) == 0) {
		buf_add_piece(b, f->last_county.json, f->last_county.json_len);
		return;
	}
	size_t at = b->len, n = strlen(county);
	JSONW_LIT(b, ",\"county\":");
	jsonw_string(b, county, n);
	f->last_county.json_len = 0;
	if (n < sizeof f->last_county.text && b->len - at <= sizeof f->last_county.json) {
		memcpy(f->last_county.text, county, n + 1);
		memcpy(f->last_county.json, b->data + at, b->len - at);
		f->last_county.json_len = b->len - at;
	}
}

/* Appends one diagnostic as a JSON line. */
static void render_json(struct diag_file *f, const struct diag *d)
{
	struct buf *b = &f->line;
	const struct diag_kept *e = kept_parts(f, d);
	const char *json = e->json.data;
	const struct digits *line = d->row && d->line ? digits_of(&f->line_digits, d->line) : NULL; /* workbooks: no line */
	const struct digits *row = !d->row ? NULL : line && d->row == d->line ? line /* mostly the line's number */
						  : digits_of(&f->row_digits, d->row);
	if (!d->message.json) {
		buf_add(b, json, e->head_len);
		JSONW_LIT(b, ",\"message\":");
		jsonw_string(b, d->message.text, strlen(d->message.text));
	}
	size_t column_len = e->expected_at - e->column_at;
	buf_grow(b, e->head_len + 11 + d->message.json_len + 2 * (8 + sizeof row->text) + column_len + 10 + 15 +
			    sizeof row->text); /* the members up to the cell's, written at once */
	char *p = b->data + b->len;
	if (d->message.json) {
		p = put_bytes(p, json, e->head_len);
		memcpy(p, ",\"message\":", 11), p += 11;
		p = put_bytes(p, d->message.json, d->message.json_len);
	}
	if (line) {
		memcpy(p, ",\"line\":", 8), p += 8;
		p = put_bytes(p, line->text, line->len);
	}
	if (row) {
		memcpy(p, ",\"row\":", 7), p += 7;
		p = put_bytes(p, row->text, row->len);
	}
	p = put_bytes(p, json + e->column_at, column_len);
	if (!d->cell_ref && d->cell != SIZE_MAX && row) { /* letters and digits: nothing to escape */
		memcpy(p, ",\"cell\":\"", 9), p += 9;
		p += column_letters(d->cell, p);
		p = put_bytes(p, row->text, row->len);
		*p++ = '"';
	}
	*p = '\0';
	b->len = (size_t)(p - b->data);
	if (d->cell_ref) {
		char cell[40];
		size_t cell_len;
		cell_ref(d, row, cell, &cell_len);
		JSONW_LIT(b, ",\"cell\":");
		jsonw_string(b, cell, cell_len);
	}
	if (d->value) {
		size_t n = value_cut(d->value, d->value_len);
		JSONW_LIT(b, ",\"value\":");
		if (!jsonw_string(b, d->value, n)) {
			JSONW_LIT(b, ",\"value_bytes\":\"");
			base64_encode(b, (const unsigned char *)d->value, n);
			buf_addc(b, '"');
		}
	}
	buf_add_piece(b, json + e->expected_at, e->plan_at - e->expected_at);
	if (d->group) {
		JSONW_LIT(b, ",\"group\":");
		buf_adds(b, d->group);
	}
	if (d->county)
		county_member(f, d->county);
	buf_add_piece(b, json + e->plan_at, e->json.len - e->plan_at);
	if (d->sheet) {
		JSONW_LIT(b, ",\"sheet\":");
		jsonw_string(b, d->sheet, strlen(d->sheet));
	}
	if (d->related) {
		JSONW_LIT(b, ",\"related\":");
		buf_adds(b, d->related);
	}
	if (d->message.args) {
		JSONW_LIT(b, ",\"args\":");
		buf_add(b, d->message.args, d->message.args_len ? d->message.args_len : strlen(d->message.args));
	}
	if (d->fixed) {
		JSONW_LIT(b, ",\"fixed\":");
		jsonw_string(b, d->fixed, d->fixed_len);
	}
	JSONW_LIT(b, "}\n");
}

/* Starts an ANSI colour when colour is on. */
static void color(struct buf *b, const struct diag_options *o, const char *code)
{
	if (o->color)
		buf_adds(b, code);
}

static const char *const severity_colors[] = {"\033[1;36m", "\033[1;33m", "\033[1;31m", ""};
static const char *const severity_zh[] = {"提示", "警告", "错误", ""};

void diag_render_text(struct buf *b, const struct diag_options *o, const char *file,
		      const char *ruleset, const struct diag *d)
{
	char cell[40];
	size_t cell_len;
	color(b, o, "\033[1m");
	termtext_adds(b, file);
	if (d->sheet) {
		buf_addc(b, '[');
		termtext_adds(b, d->sheet);
		buf_addc(b, ']');
	}
	if (d->line || (d->sheet && d->row)) {
		buf_addc(b, ':');
		buf_add_uint(b, d->line ? d->line : d->row);
	}
	buf_adds(b, ": ");
	color(b, o, "\033[0m");
	color(b, o, severity_colors[d->severity]);
	buf_adds(b, o->lang == LANG_ZH ? severity_zh[d->severity] : severity_name(d->severity));
	color(b, o, "\033[0m");
	buf_addc(b, '[');
	if (ruleset) {
		termtext_adds(b, ruleset);
		buf_addc(b, '/');
	}
	termtext_adds(b, d->rule);
	buf_adds(b, "]: ");
	termtext_adds(b, d->message.text);
	if (cell_ref(d, NULL, cell, &cell_len)) {
		buf_adds(b, o->lang == LANG_ZH ? "（单元格 " : " (cell ");
		termtext_adds(b, cell);
		if (d->value) {
			size_t n = value_cut(d->value, d->value_len);
			struct buf v = {0};
			jsonw_string(&v, d->value, n);
			buf_adds(b, o->lang == LANG_ZH ? "：" : ": ");
			termtext_add(b, v.data, v.len);
			buf_free(&v);
		}
		buf_adds(b, o->lang == LANG_ZH ? "）" : ")");
	}
	buf_addc(b, '\n');
}

/* Writes the line buffer out and empties it. */
static void flush_line(struct diag_file *f)
{
	if (f->opt->before_write)
		f->opt->before_write();
	if (f->opt->write)
		f->opt->write(f->opt->write_ctx, f, f->line.data, f->line.len);
	else
		fwrite(f->line.data, 1, f->line.len, f->opt->out);
	buf_reset(&f->line);
}

/* True when the output caps let this diagnostic be printed. */
static bool within_caps(struct diag_file *f, const struct diag *d)
{
	const struct diag_options *o = f->opt;
	if (o->max_per_rule >= 0) {
		bool inserted;
		uint64_t *printed = strmap_upsert(&f->per_rule, d->rule, strlen(d->rule), &inserted);
		if (*printed >= (uint64_t)o->max_per_rule)
			return false;
		(*printed)++;
	}
	if (d->severity == SEV_ERROR && o->max_errors >= 0) {
		if (f->printed_errors >= (uint64_t)o->max_errors)
			return false;
		f->printed_errors++;
	}
	return true;
}

void diag_file_sheet(struct diag_file *f, const char *name)
{
	free(f->sheet);
	f->sheet = xstrdup(name);
}

void diag_emit(struct diag_file *f, const struct diag *d)
{
	struct diag in_sheet;
	if (f->sheet && !d->sheet) {
		in_sheet = *d;
		in_sheet.sheet = f->sheet;
		d = &in_sheet;
	}
	f->counts[d->severity]++;
	if (!within_caps(f, d)) {
		f->suppressed++;
		return;
	}
	if (f->opt->format == OUT_JSON)
		render_json(f, d);
	else
		diag_render_text(&f->line, f->opt, f->file, f->ruleset, d);
	flush_line(f);
}

void diag_emit_record(struct diag_file *f, const char *json, size_t len)
{
	if (f->opt->format != OUT_JSON)
		return;
	buf_add(&f->line, json, len);
	flush_line(f);
}

/* True when the counts reach the fail level. */
static bool file_failed(const struct diag_file *f)
{
	enum severity level = f->opt->fail_on;
	for (int s = SEV_ERROR; s >= (int)level && level != SEV_NEVER; s--)
		if (f->counts[s])
			return true;
	return false;
}

void diag_render_summary(struct buf *b, const struct diag_options *o, const char *file,
			 const uint64_t counts[3], uint64_t records, uint64_t suppressed,
			 enum file_status status)
{
	static const char *const verdict_zh[] = {"通过", "未通过", "未能完整检查"};
	static const char *const verdict_en[] = {"pass", "fail", "not fully checked"};
	unsigned long long e = counts[SEV_ERROR], w = counts[SEV_WARNING], i = counts[SEV_INFO], r = records;
	color(b, o, "\033[1m");
	termtext_adds(b, file);
	if (o->lang == LANG_ZH)
		buf_addf(b, "：%llu 条记录，错误 %llu，警告 %llu，提示 %llu —— %s",
			 r, e, w, i, verdict_zh[status]);
	else
		buf_addf(b, ": %llu record%s, %llu error%s, %llu warning%s, %llu info — %s",
			 r, r == 1 ? "" : "s", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s", i,
			 verdict_en[status]);
	color(b, o, "\033[0m");
	if (suppressed)
		buf_addf(b, o->lang == LANG_ZH ? "（另有 %llu 条未显示）" : " (%llu not shown)",
			 (unsigned long long)suppressed);
	buf_addc(b, '\n');
}

/* Appends the closing "file" record of design.md §3.2. */
static void render_file_record(struct diag_file *f, uint64_t records, uint64_t bytes,
			       const char *encoding, enum file_status status)
{
	static const char *const status_json[] = {"\"pass\"", "\"fail\"", "\"error\""};
	struct buf *b = &f->line;
	buf_adds(b, "{\"type\":\"file\"");
	jsonw_key(b, "file");
	jsonw_string(b, f->file, strlen(f->file));
	jsonw_key(b, "ruleset");
	if (f->ruleset)
		jsonw_string(b, f->ruleset, strlen(f->ruleset));
	else
		buf_adds(b, "null");
	jsonw_key(b, "records");
	buf_add_uint(b, records);
	jsonw_key(b, "bytes");
	buf_add_uint(b, bytes);
	jsonw_key(b, "encoding");
	if (encoding)
		jsonw_string(b, encoding, strlen(encoding));
	else
		buf_adds(b, "null");
	jsonw_key(b, "encoding_source");
	if (encoding && f->encoding_source)
		jsonw_string(b, f->encoding_source, strlen(f->encoding_source));
	else
		buf_adds(b, "null");
	jsonw_key(b, "counts");
	buf_addf(b, "{\"error\":%llu,\"warning\":%llu,\"info\":%llu}",
		 (unsigned long long)f->counts[SEV_ERROR],
		 (unsigned long long)f->counts[SEV_WARNING],
		 (unsigned long long)f->counts[SEV_INFO]);
	jsonw_key(b, "suppressed");
	buf_add_uint(b, f->suppressed);
	jsonw_key(b, "status");
	buf_adds(b, status_json[status]);
	if (f->county) {
		jsonw_key(b, "county");
		jsonw_string(b, f->county, strlen(f->county));
	}
	if (f->sheet) {
		jsonw_key(b, "sheet");
		jsonw_string(b, f->sheet, strlen(f->sheet));
	}
	if (f->output) {
		jsonw_key(b, "output");
		jsonw_string(b, f->output, strlen(f->output));
	}
	buf_adds(b, "}\n");
}

bool diag_file_end(struct diag_file *f, uint64_t records, uint64_t bytes, const char *encoding)
{
	enum file_status status = f->unchecked ? FILE_ERROR : file_failed(f) ? FILE_FAIL : FILE_PASS;
	if (f->opt->format == OUT_JSON)
		render_file_record(f, records, bytes, encoding, status);
	else
		diag_render_summary(&f->line, f->opt, f->file, f->counts, records, f->suppressed, status);
	flush_line(f);
	if (f->opt->out == stdout && ferror(stdout))
		close_stdout(); /* its reader is gone or the disk full: stop now (Windows has no SIGPIPE) */
	diag_file_release(f);
	return status != FILE_PASS;
}

void diag_file_release(struct diag_file *f)
{
	buf_free(&f->line);
	buf_free(&f->rule_head);
	buf_free(&f->file_tail);
	for (size_t i = 0; f->kept && i <= KEPT_SLOTS; i++)
		buf_free(&f->kept->slot[i].json);
	free(f->kept);
	f->kept = NULL;
	free(f->sheet);
	f->sheet = NULL;
	strmap_free(&f->per_rule);
}
