/*
 * celltype.h — the column types of design.md §6 and the parsers that turn a
 * cell's text into a comparable number.  Parsers take trimmed, half-width text
 * (not NUL-terminated) and allocate nothing.
 */
#ifndef QY_CELLTYPE_H
#define QY_CELLTYPE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum coltype {
	TYPE_STRING, TYPE_INTEGER, TYPE_NUMBER, TYPE_PERCENT, TYPE_DATE, TYPE_MONTH,
	TYPE_YEAR, TYPE_BOOLEAN, TYPE_USCC, TYPE_PERMIT, TYPE_WATER_CLASS, TYPE_COUNT
};

enum parse_result {
	PARSE_OK,
	PARSE_BAD,         /* not of the type at all */
	PARSE_CHECK_DIGIT, /* well-formed code whose check character is wrong */
};

/* Returns the type's name as written in rule sets. */
const char *coltype_name(enum coltype t);
/* Looks a type name up; returns false if unknown. */
bool coltype_from_name(const char *name, enum coltype *t);
/* A short statement of the expected form, for the "expected" key. */
const char *coltype_form(enum coltype t);
/* True for types whose cells are numbers (full-width digits are then a finding). */
bool coltype_is_numeric(enum coltype t);
/* True for the types of numbers, dates and codes: full-width forms there are a finding and are folded. */
static inline bool coltype_folds_width(enum coltype t)
{
	return t != TYPE_STRING && t != TYPE_WATER_CLASS && t != TYPE_BOOLEAN;
}

/*
 * Parses a cell of type t.  On success *value holds a comparable number:
 * numbers as themselves, dates as days since 1970-01-01, months as
 * year*12+month-1, booleans 0/1, water classes 1–6 (6 is 劣Ⅴ); strings and
 * codes leave it 0.
 */
enum parse_result cell_parse_typed(enum coltype t, const char *s, size_t n, double *value);

/* Exact powers of ten up to 1e22, the range in which double holds them exactly. */
extern const double pow10_exact[23];

/*
 * The usual number cell: at most 15 characters, digits and at most one point
 * (with a digit on some side of it).  Converted as parse_number would, since
 * it has at most 15 significant digits; NaN, having decided nothing, for
 * anything else (a range test rejects NaN too).  Inline: every number cell
 * pays for it.
 */
static inline double plain_decimal_value(const char *s, size_t n)
{
	if (n - 1 > 14) /* n is 0, or over 15 */
		return NAN;
	uint64_t mant = 0;
	size_t i = 0, frac = 0;
	unsigned d;
	do { /* the digits before the point: all of them, mostly */
		if ((d = (unsigned)(unsigned char)s[i] - '0') > 9)
			break;
		mant = mant * 10 + d;
	} while (++i < n);
	if (i < n) {
		if (s[i] != '.' || n == 1)
			return NAN; /* not a digit or the point, or "." alone */
		frac = n - i - 1;
		while (++i < n) {
			if ((d = (unsigned)(unsigned char)s[i] - '0') > 9)
				return NAN;
			mant = mant * 10 + d;
		}
	}
	double v = (double)(int64_t)mant; /* at most 15 digits: exact, and as int64_t a shorter conversion */
	return frac ? v / pow10_exact[frac] : v;
}

/* parse_number for the cells plain_decimal_value does not take. */
bool parse_other_number(const char *s, size_t n, double *value);

/* Parses a plain decimal number ([+-]digits[.digits][e±digits]); exact as strtod. */
static inline bool parse_number(const char *s, size_t n, double *value)
{
	double v = plain_decimal_value(s, n);
	if (isnan(v))
		return parse_other_number(s, n, value);
	*value = v;
	return true;
}

/*
 * An integer of at most 15 digits, with an optional sign, or NaN for
 * anything else.  Inline: every integer cell pays for it.
 */
static inline double integer_value(const char *s, size_t n)
{
	/* at most 15 digits: exact in a double, as parse_number would give it */
	size_t i = n && (s[0] == '-' || s[0] == '+');
	if (i == n || n - i > 15)
		return NAN;
	uint64_t v = 0;
	for (size_t k = i; k < n; k++) {
		unsigned d = (unsigned)(unsigned char)s[k] - '0';
		if (d > 9)
			return NAN;
		v = v * 10 + d;
	}
	return s[0] == '-' ? -(double)v : (double)v;
}

/* Parses an integer of at most 15 digits, with an optional sign. */
static inline bool parse_integer(const char *s, size_t n, double *value)
{
	double v = integer_value(s, n);
	if (isnan(v))
		return false;
	*value = v;
	return true;
}

/* Parses YYYY-MM-DD (a real calendar day) into days since 1970-01-01. */
bool parse_date(const char *s, size_t n, double *days);

/*
 * The month of the last date parse_date_month read: its "YYYY-MM-" as one
 * word (byte k of the text is bits 8k to 8k+7), the number of its first
 * day and its length in days (0: no month yet).
 */
struct date_month {
	uint64_t head;
	long first;
	int len;
};

/* parse_date, remembering the month in *month (a column's dates mostly stay in one month). */
bool parse_date_month(struct date_month *month, const char *s, size_t n, double *days);

/* parse_date_month's day number, or NaN for a cell that is not a date. */
double date_month_value(struct date_month *month, const char *s, size_t n);

/*
 * date_month_value, the usual date, a day of the month read last, decided
 * inline: its first eight bytes are the month's, and its day is in it.
 */
static inline double date_in_value(struct date_month *month, const char *s, size_t n)
{
	if (n == 10 && month->len && load_le64(s) == month->head) {
		unsigned tens = (unsigned)(unsigned char)s[8] - '0', ones = (unsigned)(unsigned char)s[9] - '0';
		int d = (int)(tens * 10 + ones);
		if (tens < 10 && ones < 10 && d >= 1 && d <= month->len)
			return (double)(month->first + d - 1);
	}
	return date_month_value(month, s, n);
}

/* cell_parse_typed, with the commonest column types (every cell pays for this) decided inline. */
static inline enum parse_result cell_parse(enum coltype t, const char *s, size_t n, double *value)
{
	*value = 0;
	if (t == TYPE_STRING)
		return PARSE_OK;
	if (t == TYPE_NUMBER)
		return parse_number(s, n, value) ? PARSE_OK : PARSE_BAD;
	if (t == TYPE_DATE)
		return parse_date(s, n, value) ? PARSE_OK : PARSE_BAD;
	if (t == TYPE_INTEGER)
		return parse_integer(s, n, value) ? PARSE_OK : PARSE_BAD;
	return cell_parse_typed(t, s, n, value);
}

/* Parses YYYY-MM into year*12+month-1. */
bool parse_month(const char *s, size_t n, double *months);

/* Days in month m (1–12) of year y. */
int days_in_month(int y, int m);

/* The day number of the first day of a month given as year*12+month-1. */
double month_first_day(double months);

/* Day numbers beyond this, either side of 1970-01-01 (about year ±8200), are not dates. */
#define DATE_DAYS_LIMIT 3000000.0

/* Splits a day number within DATE_DAYS_LIMIT into year, month (1–12) and day. */
void civil_from_days(double days, int *y, int *m, int *d);

/* Formats a day number back as YYYY-MM-DD into out (16 bytes of room). */
void format_date(double days, char *out);

/* How a date or month cell is written, for advice and repair beyond what cell_parse accepts. */
enum date_form {
	DATE_NOT,            /* no date in a form this knows */
	DATE_ISO,            /* YYYY-MM-DD (YYYY-MM), a real day (month) */
	DATE_OTHER_FORM,     /* a real day in another form: 2025/6/1, 2025.6.1, 2025-6-1, 2025年6月1日 */
	DATE_NO_SUCH_MONTH,  /* a month over 12, or 0 */
	DATE_NO_SUCH_DAY,    /* a day the month does not have: 2025-06-31 */
};

/*
 * Reads a date (a month when month is set: 2025/6, 2025年6月) in the ISO form
 * or one of the others clerks write, a date perhaps followed by Excel's time
 * of midnight (" 0:00"); sets *y, *m and *d (1 for a month) as written.
 */
enum date_form date_form(const char *s, size_t n, bool month, int *y, int *m, int *d);

/*
 * Checks an 18-character unified social credit code (GB 32100-2015), or the
 * H9 code the trial coding rules for stationary sources give a unit without
 * one in its place.
 */
enum parse_result uscc_check(const char *s, size_t n);

/* What is wrong with an 18-character credit code (or H9 code), if anything. */
enum code_fault {
	CODE_OK,
	CODE_FORM,         /* not 18 characters of the code's set */
	CODE_H9_FORM,      /* starts with H9 but is not the trial rules' code of a unit without a credit code */
	CODE_KIND,         /* positions 1–2: a department of GB 32100-2015 Table 1 with a type it does not register */
	CODE_CHECK_DIGIT,  /* well-formed, but the check character is wrong */
};
enum code_fault code_fault(const char *s, size_t n);

/* The check character the first 17 characters of a well-formed code call for. */
char uscc_check_char(const char *s);

/* A registration department of GB 32100-2015 Table 1 and the organisation types it registers. */
struct uscc_department {
	char code;
	const char *types;               /* the type characters (position 2) it allows */
	const char *zh, *en;             /* the department's name */
	const char *types_zh, *types_en; /* its types, each with its character */
};

/* The Table 1 entry of a department character, or NULL for one the table does not list. */
const struct uscc_department *uscc_department(char c);

/* True if s starts with the H9 of a unit without a credit code (h9 too: the case is a separate fault). */
bool code_is_h9(const char *s, size_t n);

/*
 * Writes a credit code or permit number (column type t) in its proper case
 * into out (n bytes): capitals, but the lowercase letter that ends an H9
 * code.  True if that changes it and makes it of the type.
 */
bool code_fix_case(enum coltype t, const char *s, size_t n, char *out);

#endif
