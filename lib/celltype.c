/* celltype.c — parsing and validating typed cells. */
#include "celltype.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[TYPE_COUNT] = {
	"string", "integer", "number", "percent", "date", "month",
	"year", "boolean", "uscc", "permit", "water-class",
};

static const char *const type_forms[TYPE_COUNT] = {
	"text", "integer", "number", "percent 0-100", "YYYY-MM-DD", "YYYY-MM",
	"YYYY", "是/否, true/false or 1/0", "18-character unified social credit code (or H9 code)",
	"22-character permit number (USCC or H9 code + 3 digits + letter)", "Ⅰ-Ⅴ or 劣Ⅴ",
};

const char *coltype_name(enum coltype t) { return type_names[t]; }
const char *coltype_form(enum coltype t) { return type_forms[t]; }

bool coltype_from_name(const char *name, enum coltype *t)
{
	for (int i = 0; i < TYPE_COUNT; i++)
		if (strcmp(name, type_names[i]) == 0) {
			*t = (enum coltype)i;
			return true;
		}
	return false;
}

bool coltype_is_numeric(enum coltype t)
{
	return t == TYPE_INTEGER || t == TYPE_NUMBER || t == TYPE_PERCENT ||
	       t == TYPE_DATE || t == TYPE_MONTH || t == TYPE_YEAR;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

const double pow10_exact[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Reads the digits from i into the mantissa (its first 19 significant ones) and returns
 * where they end; digits counts the significant digits seen. */
static size_t read_mantissa(const char *s, size_t i, size_t n, uint64_t *mant, int *digits)
{
	for (; i < n && is_digit(s[i]); i++) {
		if (*digits < 19)
			*mant = *mant * 10 + (uint64_t)(s[i] - '0');
		if (*mant)
			(*digits)++;
	}
	return i;
}

/*
 * parse_number for any cell plain_decimal_value does not take: checks the
 * grammar, then converts: with at most 15 significant digits and no exponent,
 * mantissa / 10^k is one correctly rounded division (Clinger's fast path),
 * identical to strtod; anything else goes to strtod.
 */
bool parse_other_number(const char *s, size_t n, double *value)
{
	size_t i = 0;
	bool neg = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	uint64_t mant = 0;
	int digits = 0;
	size_t frac = 0, int_start = i;
	i = read_mantissa(s, i, n, &mant, &digits);
	bool have_int = i > int_start;
	bool have_frac = false;
	if (i < n && s[i] == '.') {
		size_t frac_start = ++i;
		i = read_mantissa(s, i, n, &mant, &digits);
		frac = i - frac_start;
		have_frac = i > frac_start;
	}
	if (!have_int && !have_frac)
		return false;
	bool have_exp = false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t exp_start = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == exp_start)
			return false;
		have_exp = true;
	}
	if (i != n)
		return false;
	if (!have_exp && digits <= 15 && frac <= 22) {
		double v = (double)mant / pow10_exact[frac];
		*value = neg ? -v : v;
		return true;
	}
	char tmp[64];
	char *copy = n < sizeof tmp ? tmp : malloc(n + 1);
	if (!copy)
		return false;
	memcpy(copy, s, n);
	copy[n] = '\0';
	double v = strtod(copy, NULL);
	if (copy != tmp)
		free(copy);
	if (!isfinite(v))
		return false;
	*value = v;
	return true;
}

/* Reads exactly len digits at s into *out. */
static bool read_digits(const char *s, size_t len, int *out)
{
	int v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

double month_first_day(double months)
{
	int y = (int)floor(months / 12);
	return (double)days_from_civil(y, (int)(months - y * 12.0) + 1, 1);
}

/* The last date turned into a day number or back: a row's year() and month() ask about the date just parsed. */
static _Thread_local double last_days = NAN; /* equal to no day */
static _Thread_local int last_y, last_m, last_d;

static void remember_date(double days, int y, int m, int d)
{
	last_days = days, last_y = y, last_m = m, last_d = d;
}

void civil_from_days(double days, int *y, int *m, int *d)
{
	if (days == last_days) {
		*y = last_y, *m = last_m, *d = last_d;
		return;
	}
	/* the next whole day of the same month, as sorted files go */
	if (days == last_days + 1 && last_d < 28 && days == (double)(long)days) {
		*y = last_y, *m = last_m, *d = last_d + 1;
		remember_date(days, *y, *m, *d);
		return;
	}
	long z = (long)days + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
	remember_date(days, *y, *m, *d);
}

void format_date(double days, char *out)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
		return;
	}
	const char text[] = {(char)('0' + y / 1000), (char)('0' + y / 100 % 10), (char)('0' + y / 10 % 10),
	                     (char)('0' + y % 10), '-', (char)('0' + m / 10), (char)('0' + m % 10), '-',
	                     (char)('0' + d / 10), (char)('0' + d % 10), '\0'};
	memcpy(out, text, sizeof text);
}

/*
 * The month parse_date saw last: a file's dates mostly stay in one month
 * from row to row, and its first day's number and length answer them
 * without days_from_civil.
 */
static _Thread_local struct date_month last_month;

bool parse_date_month(struct date_month *month, const char *s, size_t n, double *days)
{
	if (n != 10)
		return false;
	/* "YYYY-MM-" as one word: six digits and two dashes, checked at once */
	const uint64_t digit_bytes = 0x00FFFF00FFFFFFFFULL, dashes = 0x2D00002D00000000ULL;
	const uint64_t zeros = 0x3030303030303030ULL & digit_bytes;
	uint64_t w = load_le64(s);
	uint64_t x = (w ^ zeros) & digit_bytes; /* the digits' values, if they are digits */
	if ((w & ~digit_bytes) != dashes || (w & 0xF0F0F0F0F0F0F0F0ULL & digit_bytes) != zeros ||
	    ((x + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL & digit_bytes) != 0 || !is_digit(s[8]) ||
	    !is_digit(s[9]))
		return false;
	int y = (int)(x & 0xFF) * 1000 + (int)(x >> 8 & 0xFF) * 100 + (int)(x >> 16 & 0xFF) * 10 + (int)(x >> 24 & 0xFF);
	int m = (int)(x >> 40 & 0xFF) * 10 + (int)(x >> 48 & 0xFF);
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (w != month->head || !month->len) {
		if (m < 1 || m > 12)
			return false;
		*month = (struct date_month){.head = w, .first = days_from_civil(y, m, 1), .len = days_in_month(y, m)};
	}
	if (d < 1 || d > month->len)
		return false;
	*days = (double)(month->first + d - 1);
	remember_date(*days, y, m, d);
	return true;
}

double date_month_value(struct date_month *month, const char *s, size_t n)
{
	double days;
	return parse_date_month(month, s, n, &days) ? days : NAN;
}

bool parse_date(const char *s, size_t n, double *days)
{
	return parse_date_month(&last_month, s, n, days);
}

bool parse_month(const char *s, size_t n, double *months)
{
	int y, m;
	if (n != 7 || s[4] != '-' || !read_digits(s, 4, &y) || !read_digits(s + 5, 2, &m) ||
	    m < 1 || m > 12)
		return false;
	*months = y * 12.0 + m - 1;
	return true;
}

/* True if s[0..n) is the text lit. */
static bool equals(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Reads one or two digits; returns how many, 0 if there is none (or more). */
static size_t read_short_number(const char *s, size_t n, int *v)
{
	size_t k = 0;
	*v = 0;
	while (k < n && k < 2 && is_digit(s[k]))
		*v = *v * 10 + (s[k++] - '0');
	return k < n && is_digit(s[k]) ? 0 : k;
}

/* True if lit is at s + *i; then advances *i past it. */
static bool skip_text(const char *s, size_t n, size_t *i, const char *lit)
{
	size_t len = strlen(lit);
	if (n - *i < len || memcmp(s + *i, lit, len) != 0)
		return false;
	*i += len;
	return true;
}

/* True for the time Excel writes after a date at midnight: " 0:00", " 00:00:00". */
static bool is_midnight(const char *s, size_t n)
{
	static const char *const forms[] = {" 0:00", " 00:00", " 0:00:00", " 00:00:00"};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++)
		if (equals(s, n, forms[i]))
			return true;
	return false;
}

enum date_form date_form(const char *s, size_t n, bool month, int *y, int *m, int *d)
{
	size_t i = 4, k;
	char sep = 0;
	*d = 1;
	if (n < 4 || !read_digits(s, 4, y))
		return DATE_NOT;
	bool cjk = skip_text(s, n, &i, "年");
	if (!cjk && i < n && (s[i] == '-' || s[i] == '/' || s[i] == '.'))
		sep = s[i++];
	if ((!cjk && !sep) || !(k = read_short_number(s + i, n - i, m)))
		return DATE_NOT;
	bool iso = sep == '-' && k == 2;
	i += k;
	if (cjk && !skip_text(s, n, &i, "月"))
		return DATE_NOT;
	if (!month) {
		if (!cjk && !(i < n && s[i++] == sep))
			return DATE_NOT;
		if (!(k = read_short_number(s + i, n - i, d)))
			return DATE_NOT;
		iso = iso && k == 2;
		i += k;
		if (cjk && !skip_text(s, n, &i, "日"))
			skip_text(s, n, &i, "号");
		if (i < n && is_midnight(s + i, n - i)) {
			i = n;
			iso = false;
		}
	}
	if (i != n)
		return DATE_NOT;
	if (*m < 1 || *m > 12)
		return DATE_NO_SUCH_MONTH;
	if (*d < 1 || *d > days_in_month(*y, *m))
		return DATE_NO_SUCH_DAY;
	return iso ? DATE_ISO : DATE_OTHER_FORM;
}

/* GB 32100-2015 character set: the value of a character is its index. */
static const char uscc_chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int uscc_value(char c)
{
	const char *p = c ? strchr(uscc_chars, c) : NULL;
	return p ? (int)(p - uscc_chars) : -1;
}

char uscc_check_char(const char *s)
{
	static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += uscc_value(s[i]) * weights[i];
	return uscc_chars[(31 - sum % 31) % 31];
}

/*
 * GB 32100-2015 Table 1: the registration departments it lists and the
 * organisation types each registers.  Departments assigned after the
 * standard are not in it, and their codes are not judged here.
 */
static const struct uscc_department departments[] = {
	{'1', "1239", "机构编制", "the staffing authorities",
	 "1 机关、2 事业单位、3 中央编办直接管理机构编制的群众团体、9 其他",
	 "1 government body, 2 public institution, 3 mass organisation, 9 other"},
	{'5', "1239", "民政", "civil affairs", "1 社会团体、2 民办非企业单位、3 基金会、9 其他",
	 "1 social organisation, 2 private non-enterprise unit, 3 foundation, 9 other"},
	{'9', "123", "工商", "industry and commerce", "1 企业、2 个体工商户、3 农民专业合作社",
	 "1 enterprise, 2 individual business, 3 farmers' cooperative"},
	{'Y', "1", "其他", "other", "1", "1"},
};

const struct uscc_department *uscc_department(char c)
{
	for (size_t i = 0; i < sizeof departments / sizeof *departments; i++)
		if (departments[i].code == c)
			return &departments[i];
	return NULL;
}

bool code_is_h9(const char *s, size_t n)
{
	return n >= 2 && (s[0] == 'H' || s[0] == 'h') && s[1] == '9';
}

/*
 * The code the trial coding rules for stationary sources give a unit without
 * a credit code, in its place: "H9", the issuing authority's area code (6
 * digits), "0000" and a 5-digit sequence or the unit's 9-character
 * organisation code, and a lowercase letter other than i and o.
 */
static bool h9_form(const char *s)
{
	for (int i = 2; i < 8; i++)
		if (!is_digit(s[i]))
			return false;
	for (int i = 8; i < 16; i++)
		if (!is_digit(s[i]) && (s[i] < 'A' || s[i] > 'Z'))
			return false;
	return (is_digit(s[16]) || s[16] == 'X') && s[17] >= 'a' && s[17] <= 'z' && s[17] != 'i' && s[17] != 'o';
}

enum code_fault code_fault(const char *s, size_t n)
{
	if (n != 18)
		return CODE_FORM;
	if (code_is_h9(s, n))
		return s[0] == 'H' && h9_form(s) ? CODE_OK : CODE_H9_FORM;
	for (int i = 0; i < 18; i++)
		if (uscc_value(s[i]) < 0)
			return CODE_FORM;
	const struct uscc_department *dep = uscc_department(s[0]);
	if (dep && !strchr(dep->types, s[1]))
		return CODE_KIND;
	return uscc_check_char(s) == s[17] ? CODE_OK : CODE_CHECK_DIGIT;
}

enum parse_result uscc_check(const char *s, size_t n)
{
	switch (code_fault(s, n)) {
	case CODE_OK:
		return PARSE_OK;
	case CODE_CHECK_DIGIT:
		return PARSE_CHECK_DIGIT;
	default:
		return PARSE_BAD;
	}
}

/* HJ 608-2017: the unit's 18-character code, a sequence 001–999, then a letter. */
static enum parse_result permit_check(const char *s, size_t n)
{
	int seq;
	if (n != 22 || !read_digits(s + 18, 3, &seq) || seq == 0 || s[21] < 'A' || s[21] > 'Z')
		return PARSE_BAD;
	return uscc_check(s, 18);
}

bool code_fix_case(enum coltype t, const char *s, size_t n, char *out)
{
	if (t != TYPE_USCC && t != TYPE_PERMIT)
		return false;
	bool h9 = code_is_h9(s, n), changed = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (h9 && i == 17)
			out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		else
			out[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
		changed = changed || out[i] != c;
	}
	double v;
	return changed && cell_parse(t, out, n, &v) != PARSE_BAD;
}

static bool equals_nocase(const char *s, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
		if (c != lit[i])
			return false;
	}
	return true;
}

/* Water quality class: Roman numerals (Unicode or ASCII), 劣Ⅴ, optional 类. */
static bool parse_water_class(const char *s, size_t n, double *value)
{
	static const char *const forms[][3] = {
		{"Ⅰ", "I", NULL}, {"Ⅱ", "II", NULL}, {"Ⅲ", "III", NULL},
		{"Ⅳ", "IV", NULL}, {"Ⅴ", "V", NULL}, {"劣Ⅴ", "劣V", NULL},
	};
	if (n > 3 && memcmp(s + n - 3, "类", 3) == 0)
		n -= 3;
	for (int c = 0; c < 6; c++)
		for (int k = 0; forms[c][k]; k++)
			if (equals(s, n, forms[c][k])) {
				*value = c + 1;
				return true;
			}
	return false;
}

/* cell_parse for any type; cell_parse itself settles the commonest ones without calling it. */
enum parse_result cell_parse_typed(enum coltype t, const char *s, size_t n, double *value)
{
	int y;
	*value = 0;
	switch (t) {
	case TYPE_STRING:
		return PARSE_OK;
	case TYPE_INTEGER:
		return parse_integer(s, n, value) ? PARSE_OK : PARSE_BAD;
	case TYPE_NUMBER:
		return parse_number(s, n, value) ? PARSE_OK : PARSE_BAD;
	case TYPE_PERCENT:
		if (n && s[n - 1] == '%')
			n--;
		return parse_number(s, n, value) ? PARSE_OK : PARSE_BAD;
	case TYPE_DATE:
		return parse_date(s, n, value) ? PARSE_OK : PARSE_BAD;
	case TYPE_MONTH:
		return parse_month(s, n, value) ? PARSE_OK : PARSE_BAD;
	case TYPE_YEAR:
		if (n != 4 || !read_digits(s, 4, &y) || y < 1000)
			return PARSE_BAD;
		*value = y;
		return PARSE_OK;
	case TYPE_BOOLEAN:
		if (equals(s, n, "是") || equals(s, n, "1") || equals_nocase(s, n, "true")) {
			*value = 1;
			return PARSE_OK;
		}
		return equals(s, n, "否") || equals(s, n, "0") || equals_nocase(s, n, "false")
			       ? PARSE_OK : PARSE_BAD;
	case TYPE_USCC:
		return uscc_check(s, n);
	case TYPE_PERMIT:
		return permit_check(s, n);
	case TYPE_WATER_CLASS:
		return parse_water_class(s, n, value) ? PARSE_OK : PARSE_BAD;
	case TYPE_COUNT:
		break;
	}
	return PARSE_BAD;
}
