/* advice.c — what a cell finding tells the clerk to write instead. */
#include "advice.h"
#include "util.h"

#include <string.h>

/* Chinese names of the column types, for messages; the identifiers with their form and an example. */
static const char *const type_zh[TYPE_COUNT] = {
	"文本", "整数", "数值", "0–100 的百分比", "日期（YYYY-MM-DD，如 2025-06-01）",
	"月份（YYYY-MM）", "年份（YYYY）", "是/否",
	"18 位统一社会信用代码（数字和大写字母，不用 I、O、Z、S、V，如 91441881MA51234567；"
	"无统一社会信用代码的单位填 H9 开头的 18 位编码）",
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

/* The message for a date or month column's cell that is no date; false if it says nothing more than the type. */
static bool advise_date(struct buf *msg, enum lang lang, const struct column *c, const char *s, size_t n,
			struct buf *expected_buf, const char **expected)
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
		diag_msg(msg, lang, "「%s」请写作 %s（%s）", "'%s' must be written %s (%s)", column_shown(c),
			 expected_buf->data, coltype_form(c->type));
		return true;
	case DATE_NO_SUCH_MONTH:
		diag_msg(msg, lang, "「%s」不是%s：没有 %d 月", "'%s' is not a real %s: there is no month %d",
			 column_shown(c), lang == LANG_ZH ? (month ? "月份" : "日期") : (month ? "month" : "date"), m);
		return true;
	case DATE_NO_SUCH_DAY:
		buf_reset(msg);
		if (lang == LANG_ZH && m == 2)
			buf_addf(msg, "「%s」不是日期：%d 年 2 月没有 %d 日", column_shown(c), y, d);
		else if (lang == LANG_ZH)
			buf_addf(msg, "「%s」不是日期：%d 月没有 %d 日", column_shown(c), m, d);
		else if (m == 2)
			buf_addf(msg, "'%s' is not a real date: February %d has only %d days", column_shown(c), y,
				 days_in_month(y, m));
		else
			buf_addf(msg, "'%s' is not a real date: %s has only %d days", column_shown(c), month_en[m - 1],
				 days_in_month(y, m));
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
 * or positions 1–2 that GB 32100-2015 Table 1 does not allow; false for any
 * other fault.
 */
static bool advise_code(struct buf *msg, enum lang lang, const struct column *c, const char *s)
{
	const struct uscc_department *dep;
	switch (code_fault(s, 18)) {
	case CODE_H9_FORM:
		diag_msg(msg, lang,
			 "「%s」以 H9 开头，是无统一社会信用代码单位的编码，应为 18 位：H9、6 位行政区划代码、"
			 "0000 加 5 位顺序码（或 9 位组织机构代码）、1 位小写字母（不用 i、o）",
			 "'%s' starts with H9, the code of a unit without a credit code, which has 18 characters: H9, "
			 "a 6-digit area code, 0000 and a 5-digit sequence (or a 9-character organisation code), and a "
			 "lowercase letter other than i and o", column_shown(c));
		return true;
	case CODE_KIND:
		dep = uscc_department(s[0]);
		diag_msg(msg, lang, "「%s」第 1–2 位为“%.2s”：按 GB 32100-2015 表1，登记管理部门 %c（%s）的机构类别只有 %s",
			 "'%s' begins \"%.2s\": in GB 32100-2015 Table 1, registration department %c (%s) registers only "
			 "the types %s", column_shown(c), s, dep->code, lang == LANG_ZH ? dep->zh : dep->en,
			 lang == LANG_ZH ? dep->types_zh : dep->types_en);
		return true;
	default:
		return false;
	}
}

const char *advice_type(struct buf *msg, enum lang lang, const struct column *c, const char *s, size_t n,
			struct buf *expected_buf, const char **expected)
{
	*expected = coltype_form(c->type);
	if ((c->type == TYPE_DATE || c->type == TYPE_MONTH) && advise_date(msg, lang, c, s, n, expected_buf, expected))
		return msg->data;
	if ((c->type == TYPE_USCC && n == 18) || (c->type == TYPE_PERMIT && n == 22)) {
		if (advise_code(msg, lang, c, s))
			return msg->data;
	}
	return diag_msg(msg, lang, "「%s」应为%s", "'%s' must be %s", column_shown(c),
			lang == LANG_ZH ? type_zh[c->type] : type_en[c->type]);
}

const char *advice_whitespace(struct buf *msg, enum lang lang, const struct column *c, bool blanks, bool width,
			      const char *fixed, size_t fixed_len)
{
	const char *what_zh = blanks && width ? "首尾有空格且含全角字符" : blanks ? "首尾有空格" : "含全角字符";
	const char *what_en = blanks && width ? "has blanks around it and full-width characters"
			      : blanks ? "has leading or trailing blanks"
				       : "has full-width characters where half-width belong";
	return diag_msg(msg, lang, "「%s」%s，应写作“%.*s”", "'%s' %s: write \"%.*s\"", column_shown(c),
			lang == LANG_ZH ? what_zh : what_en, (int)fixed_len, fixed);
}

const char *advice_pattern(struct buf *msg, enum lang lang, const struct column *c)
{
	const char *form = lang == LANG_ZH ? c->pattern_zh : c->pattern_en;
	if (!form)
		return diag_msg(msg, lang, "「%s」格式不符合要求", "'%s' does not have the required form", column_shown(c));
	return diag_msg(msg, lang, "「%s」格式不符合要求：应为%s", "'%s' does not have the required form: %s",
			column_shown(c), form);
}

const char *advice_reference(struct buf *msg, enum lang lang, const struct column *c, const char *s, size_t n)
{
	bool zh = lang == LANG_ZH;
	const char *words = zh ? c->ref_zh : c->ref_en;
	buf_reset(msg);
	if (zh)
		buf_addf(msg, "「%s」的值“%.*s”不在%s%s中", column_shown(c), (int)n, s, words ? "" : "参考表 ",
			 words ? words : c->ref_text);
	else
		buf_addf(msg, "'%s' value \"%.*s\" is not in %s%s", column_shown(c), (int)n, s,
			 words ? "" : "reference table ", words ? words : c->ref_text);
	size_t rows[ADVICE_SUGGESTIONS];
	size_t k = reftable_suggest(c->ref, c->ref_col, s, n, rows, ADVICE_SUGGESTIONS);
	for (size_t i = 0; i < k; i++) {
		const char *sep = i == 0 ? (zh ? "；是否为" : "; did you mean ")
				  : i + 1 < k ? (zh ? "、" : ", ") : (zh ? "或" : " or ");
		buf_addf(msg, zh ? "%s“%s”" : "%s\"%s\"", sep, reftable_cell(c->ref, rows[i], c->ref_col));
	}
	if (k)
		buf_adds(msg, zh ? "？" : "?");
	return msg->data;
}

const char *advice_case(struct buf *msg, enum lang lang, const struct column *c, const char *fixed, size_t n)
{
	return diag_msg(msg, lang, "「%s」的字母大小写不对：应写作 %.*s（已按此核对）",
			"'%s' has letters in the wrong case: write %.*s (checked as such)", column_shown(c), (int)n, fixed);
}

const char *advice_former(struct buf *msg, enum lang lang, const struct column *c, const char *s, size_t n,
			  const char *current, const char *ended)
{
	if (!*ended)
		return diag_msg(msg, lang, "「%s」写作“%.*s”，已改为“%s”", "'%s' is written \"%.*s\", which has become \"%s\"",
				column_shown(c), (int)n, s, current);
	return diag_msg(msg, lang, "「%s」写作“%.*s”，已于 %s 年改为“%s”", "'%s' is written \"%.*s\", which became \"%s\" in %s",
			column_shown(c), (int)n, s, lang == LANG_ZH ? ended : current, lang == LANG_ZH ? current : ended);
}
