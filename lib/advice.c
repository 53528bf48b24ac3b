/* advice.c — what a cell finding tells the clerk to write instead. */
#include "advice.h"
#include "msgcat.h"
#include "util.h"

#include <string.h>

/* Chinese names of the column types, for messages; the identifiers with their form and an example. */
static const char *const type_zh[TYPE_COUNT] = {
	"文本", "整数", "数值", "0–100 的百分比", "日期（YYYY-MM-DD，如 2025-06-01）",
	"月份（YYYY-MM）", "年份（YYYY）", "是/否",
	("18 位统一社会信用代码（数字和大写字母，不用 I、O、Z、S、V，如 91441881MA51234567；"
	 "无统一社会信用代码的单位填 H9 开头的 18 位编码）"),
	"22 位排污许可证编号：统一社会信用代码（或 H9 开头的编码）18 位 + 3 位流水号 + 1 位字母，如 91441881MA51234567001P",
	"水质类别（Ⅰ–Ⅴ、劣Ⅴ）",
};

/* English names of the column types, for messages. */
static const char *const type_en[TYPE_COUNT] = {
	"text", "an integer", "a number", "a percentage from 0 to 100",
	"a date (YYYY-MM-DD, e.g. 2025-06-01)", "a month (YYYY-MM)", "a year (YYYY)",
	"是/否, true/false or 1/0",
	"an 18-character unified social credit code (digits and capital letters except I, O, Z, S, V, "
	"e.g. 91441881MA51234567; a unit without one gives its H9 code)",
	"a 22-character discharge permit number: the 18-character credit code (or H9 code), a 3-digit sequence "
	"and a letter, e.g. 91441881MA51234567001P",
	"a water class (Ⅰ–Ⅴ, 劣Ⅴ)",
};

static const char *const month_en[12] = {
	"January", "February", "March", "April", "May", "June", "July", "August", "September",
	"October", "November", "December",
};

/*
 * The message for a date or month column's cell that is no date; false (and
 * *said untouched) if it says nothing more than the type.
 */
static bool advise_date(struct msgbuf *msg, enum lang lang, const struct column *c, const char *s, size_t n,
			struct buf *expected_buf, const char **expected, struct message *said)
{
	int y, m, d;
	bool month = c->type == TYPE_MONTH;
	switch (date_form(s, n, month, &y, &m, &d)) {
	case DATE_OTHER_FORM:
		buf_reset(expected_buf);
		if (month)
			buf_addf(expected_buf, "%04d-%02d", y, m);
		else
			buf_addf(expected_buf, "%04d-%02d-%02d", y, m, d);
		*expected = expected_buf->data;
		*said = MSG_SAY(msg, lang, MSG_TYPE_FORM, ARG_TEXT("column", column_shown(c)),
				ARG_TEXT("write", expected_buf->data), ARG_TEXT("form", coltype_form(c->type)));
		return true;
	case DATE_NO_SUCH_MONTH:
		*said = MSG_SAY(msg, lang, MSG_TYPE_NO_MONTH, ARG_TEXT("column", column_shown(c)),
				ARG_PHRASE("what", month ? "月份" : "日期", month ? "month" : "date"), ARG_NUM("month", m));
		return true;
	case DATE_NO_SUCH_DAY:
		if (m == 2)
			*said = MSG_SAY(msg, lang, MSG_TYPE_FEBRUARY, ARG_TEXT("column", column_shown(c)), ARG_NUM("year", y),
					ARG_NUM("day", d), ARG_NUM("days", days_in_month(y, m)));
		else
			*said = MSG_SAY(msg, lang, MSG_TYPE_NO_DAY, ARG_TEXT("column", column_shown(c)), ARG_NUM("month", m),
					ARG_TEXT("month_name", month_en[m - 1]), ARG_NUM("day", d),
					ARG_NUM("days", days_in_month(y, m)));
		return true;
	case DATE_NOT:
	case DATE_ISO:
		break;
	}
	return false;
}

/*
 * The message for a credit code (the first 18 characters of a permit number)
 * whose fault has words of its own: an H9 code not of the trial rules' form,
 * or positions 1–2 that GB 32100-2015 Table 1 does not allow; false (and
 * *said untouched) for any other fault.
 */
static bool advise_code(struct msgbuf *msg, enum lang lang, const struct column *c, const char *s,
			struct message *said)
{
	const struct uscc_department *dep;
	char department[2] = {0};
	switch (code_fault(s, 18)) {
	case CODE_H9_FORM:
		*said = MSG_SAY(msg, lang, MSG_TYPE_H9, ARG_TEXT("column", column_shown(c)));
		return true;
	case CODE_KIND:
		dep = uscc_department(s[0]);
		department[0] = dep->code;
		*said = MSG_SAY(msg, lang, MSG_TYPE_CODE_KIND, ARG_TEXT("column", column_shown(c)), ARG_TEXTN("prefix", s, 2),
				ARG_TEXT("department", department), ARG_PHRASE("name", dep->zh, dep->en),
				ARG_PHRASE("types", dep->types_zh, dep->types_en));
		return true;
	default:
		return false;
	}
}

struct message advice_type(struct msgbuf *msg, enum lang lang, const struct column *c, const char *s, size_t n,
			   struct buf *expected_buf, const char **expected)
{
	struct message said;
	*expected = coltype_form(c->type);
	if ((c->type == TYPE_DATE || c->type == TYPE_MONTH) &&
	    advise_date(msg, lang, c, s, n, expected_buf, expected, &said))
		return said;
	if ((c->type == TYPE_USCC && n == 18) || (c->type == TYPE_PERMIT && n == 22)) {
		if (advise_code(msg, lang, c, s, &said))
			return said;
	}
	return MSG_SAY(msg, lang, MSG_TYPE, ARG_TEXT("column", column_shown(c)),
		       ARG_PHRASE("type", type_zh[c->type], type_en[c->type]));
}

struct message advice_whitespace(struct msgbuf *msg, enum lang lang, const struct column *c, bool blanks, bool width,
				 const char *fixed, size_t fixed_len)
{
	return MSG_SAY(msg, lang, blanks && width ? MSG_WHITESPACE_BOTH : blanks ? MSG_WHITESPACE : MSG_WHITESPACE_WIDTH,
		       ARG_TEXT("column", column_shown(c)), ARG_TEXTN("write", fixed, fixed_len));
}

struct message advice_pattern(struct msgbuf *msg, enum lang lang, const struct column *c)
{
	if (!c->pattern_zh)
		return MSG_SAY(msg, lang, MSG_PATTERN, ARG_TEXT("column", column_shown(c)));
	return MSG_SAY(msg, lang, MSG_PATTERN_FORM, ARG_TEXT("column", column_shown(c)),
		       ARG_PHRASE("form", c->pattern_zh, c->pattern_en));
}

/* Appends the values a reference finding suggests, quoted and joined as lang writes a list of choices. */
static void suggestions(struct buf *b, bool zh, const struct column *c, const size_t *rows, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		const char *sep = i == 0 ? "" : i + 1 < k ? (zh ? "、" : ", ") : (zh ? "或" : " or ");
		buf_addf(b, zh ? "%s“%s”" : "%s\"%s\"", sep, reftable_cell(c->ref, rows[i], c->ref_col));
	}
}

struct message advice_reference(struct msgbuf *msg, enum lang lang, const struct column *c, const char *s, size_t n)
{
	struct buf table_zh = {0}, table_en = {0}, suggest_zh = {0}, suggest_en = {0};
	buf_adds(&table_zh, c->ref_zh ? c->ref_zh : "参考表 "); /* no printf: a finding of every cell can be one of these */
	if (!c->ref_zh)
		buf_adds(&table_zh, c->ref_text);
	buf_adds(&table_en, c->ref_en ? c->ref_en : "reference table ");
	if (!c->ref_en)
		buf_adds(&table_en, c->ref_text);
	size_t rows[ADVICE_SUGGESTIONS];
	size_t k = reftable_suggest(c->ref, c->ref_col, s, n, rows, ADVICE_SUGGESTIONS);
	suggestions(&suggest_zh, true, c, rows, k);
	suggestions(&suggest_en, false, c, rows, k);
	struct msg_arg args[] = {ARG_TEXT("column", column_shown(c)), ARG_TEXTN("value", s, n),
				 ARG_PHRASE("table", table_zh.data, table_en.data),
				 ARG_PHRASE("suggestions", suggest_zh.data, suggest_en.data)};
	struct message said = msg_say(msg, lang, k ? MSG_REFERENCE_SUGGEST : MSG_REFERENCE, args, k ? 4 : 3);
	buf_free(&table_zh), buf_free(&table_en), buf_free(&suggest_zh), buf_free(&suggest_en);
	return said;
}

struct message advice_case(struct msgbuf *msg, enum lang lang, const struct column *c, const char *fixed, size_t n)
{
	return MSG_SAY(msg, lang, MSG_TYPE_CASE, ARG_TEXT("column", column_shown(c)), ARG_TEXTN("write", fixed, n));
}

struct message advice_former(struct msgbuf *msg, enum lang lang, const struct column *c, const char *s, size_t n,
			     const char *current, const char *ended)
{
	if (!*ended)
		return MSG_SAY(msg, lang, MSG_ALIAS_FORMER, ARG_TEXT("column", column_shown(c)), ARG_TEXTN("value", s, n),
			       ARG_TEXT("canonical", current));
	return MSG_SAY(msg, lang, MSG_ALIAS_FORMER_YEAR, ARG_TEXT("column", column_shown(c)), ARG_TEXTN("value", s, n),
		       ARG_TEXT("canonical", current), ARG_TEXT("year", ended));
}
