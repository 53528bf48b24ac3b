/* celltype_test — number, date, code and class parsing at their edges. */
#include "celltype.h"
#include "test.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The fast number path must agree with strtod to the last bit. */
static void test_numbers(void)
{
	const char *same[] = {"0", "-0", "12", "3.5", "0.1", "0.3", "123456789012345",
			      "1234567890.12345", "99999.99999", "1e3", "-2.5E-3", ".5", "5.",
			      "+7", "0.000000000000000000001", "1234567890123456789"};
	for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
		double v = -1;
		bool ok = parse_number(same[i], strlen(same[i]), &v);
		double want = strtod(same[i], NULL);
		char name[64];
		snprintf(name, sizeof name, "number %s", same[i]);
		CHECK(name, ok && memcmp(&v, &want, sizeof v) == 0, "got %.17g, strtod %.17g", v, want);
	}
	/* 200,000 plain decimals of 1 to 16 characters, the point anywhere */
	uint64_t seed = 88172645463325252ULL;
	size_t differ = 0;
	char first[32] = "";
	for (int t = 0; t < 200000; t++) {
		char text[24];
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		size_t len = 1 + seed % 16, dot = (seed >> 8) % (len + 4); /* often no point */
		for (size_t i = 0; i < len; i++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			text[i] = i == dot ? '.' : (char)('0' + seed % 10);
		}
		text[len] = '\0';
		if (strcmp(text, ".") == 0)
			continue;
		double v = -1, want = strtod(text, NULL);
		if (!parse_number(text, len, &v) || memcmp(&v, &want, sizeof v) != 0) {
			if (!differ++)
				snprintf(first, sizeof first, "%s", text);
		}
	}
	CHECK("200,000 plain decimals agree with strtod", differ == 0, "%zu differ, first %s", differ, first);
	const char *bad[] = {"", "-", ".", "1.2.3", "1e", "e5", "abc", "1,234", " 1", "1 ",
			     "inf", "nan", "0x10", "1e999"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		double v;
		char name[64];
		snprintf(name, sizeof name, "not a number '%s'", bad[i]);
		CHECK(name, !parse_number(bad[i], strlen(bad[i]), &v), "accepted");
	}
}

/* Dates across month ends and leap years, and their round trip. */
static void test_dates(void)
{
	double d, e;
	char out[16];
	CHECK("1970-01-01 is day 0", parse_date("1970-01-01", 10, &d) && d == 0, "got %g", d);
	CHECK("2024-02-29 exists", parse_date("2024-02-29", 10, &d), "rejected");
	CHECK("2023-02-29 does not", !parse_date("2023-02-29", 10, &d), "accepted");
	CHECK("2000-02-29 exists", parse_date("2000-02-29", 10, &d), "rejected");
	CHECK("1900-02-29 does not", !parse_date("1900-02-29", 10, &d), "accepted");
	CHECK("2025-04-31 does not", !parse_date("2025-04-31", 10, &d), "accepted");
	CHECK("2025/06/01 is not a date", !parse_date("2025/06/01", 10, &d), "accepted");
	parse_date("2024-02-28", 10, &d);
	parse_date("2024-03-01", 10, &e);
	CHECK("leap day between", e - d == 2, "got %g", e - d);
	parse_date("2025-12-31", 10, &d);
	format_date(d + 1, out);
	CHECK_STR("day after 2025-12-31", out, "2026-01-01");
	CHECK("days in Feb 2024", days_in_month(2024, 2) == 29, "wrong");
	CHECK("days in Feb 2025", days_in_month(2025, 2) == 28, "wrong");
	CHECK("month 2025-06", parse_month("2025-06", 7, &d) && d == 2025 * 12 + 5, "got %g", d);
	CHECK("month 2025-13", !parse_month("2025-13", 7, &d), "accepted");
	/* day after day (the next-day shortcut) and backwards (computed in full) agree, and invert */
	int ys[3000], ms[3000], ds[3000];
	bool same = true;
	for (int i = 0; i < 3000; i++)
		civil_from_days(-400.0 + 11 * i / 10, &ys[i], &ms[i], &ds[i]);
	for (int i = 2999; i >= 0; i--) {
		int y, m, dd;
		double back;
		civil_from_days(-400.0 + 11 * i / 10, &y, &m, &dd);
		snprintf(out, sizeof out, "%04d-%02d-%02d", y, m, dd);
		same = same && y == ys[i] && m == ms[i] && dd == ds[i] && parse_date(out, 10, &back) &&
		       back == -400.0 + 11 * i / 10;
	}
	CHECK("day numbers to dates, in either order", same, "differ");
}

/* parse_date as its definition reads: YYYY-MM-DD one byte at a time, days counted by years and months. */
static bool reference_date(const char *s, size_t n, double *days)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	int f[3] = {0, 0, 0}, at[3] = {0, 5, 8}, len[3] = {4, 2, 2};
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < len[k]; i++) {
			char c = s[at[k] + i];
			if (c < '0' || c > '9')
				return false;
			f[k] = f[k] * 10 + (c - '0');
		}
	if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > days_in_month(f[0], f[1]))
		return false;
	long count = 0;
	for (int y = 1970; y < f[0]; y++)
		count += 365 + (days_in_month(y, 2) == 29);
	for (int y = f[0]; y < 1970; y++)
		count -= 365 + (days_in_month(y, 2) == 29);
	for (int m = 1; m < f[1]; m++)
		count += days_in_month(f[0], m);
	*days = (double)(count + f[2] - 1);
	return true;
}

/*
 * parse_date reads eight bytes at once and remembers the last month: over
 * generated cells (real and unreal days, in runs of one month and at random,
 * with bytes near the digits, blanks, full-width digits, bad UTF-8, other
 * lengths) it agrees with the byte-at-a-time reading, value and all; and
 * so does date_in_value, which decides a day of the month read last inline.
 */
static void test_date_differential(void)
{
	static const char *const odd[] = {"/", ":", "?", " ", "\xb2", "\xff", "\x80", "\x00", ".", "+", "\x3d", "\x2c"};
	uint64_t seed = 0x9E3779B97F4A7C15ULL;
	size_t differ = 0, valid = 0, differ_in = 0;
	char first[64] = "", first_in[64] = "";
	struct date_month month = {0};
	for (int t = 0; t < 400000; t++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		char text[32];
		int y = t % 3 == 0 ? (int)(seed % 10000) : 1996 + (int)(seed % 40);
		int m = t % 5 == 0 ? (int)(seed >> 20 & 15) : 1 + (int)(seed >> 20) % 12;
		int d = t % 2 ? 1 + (t / 2) % 31 : (int)(seed >> 28 & 31) + (t % 7 == 0);
		snprintf(text, sizeof text, "%04d-%02d-%02d", y % 10000, m, d);
		size_t n = 10;
		unsigned kind = (unsigned)(seed >> 40) % 16;
		if (kind == 1) { /* one byte replaced */
			const char *c = odd[(seed >> 44) % (sizeof odd / sizeof *odd)];
			text[(seed >> 50) % 10] = c[0];
		} else if (kind == 2) { /* a full-width digit in place of two bytes and one more */
			size_t at = (seed >> 50) % 8;
			memmove(text + at + 3, text + at + 2, 10 - at - 2);
			memcpy(text + at, "\xef\xbc\x92", 3);
			n = 11;
		} else if (kind == 3) { /* a blank before or after */
			if (seed >> 50 & 1) {
				memmove(text + 1, text, 10);
				text[0] = ' ';
			} else {
				text[10] = ' ';
			}
			n = 11;
		} else if (kind == 4) { /* one byte short, or a byte of the next cell read too */
			n = seed >> 50 & 1 ? 9 : 11;
			text[10] = '1';
		} else if (kind == 5) { /* a byte off by one either way */
			text[(seed >> 50) % 10] += (seed >> 56 & 1) ? 1 : -1;
		}
		double got = -1e9, want = -1e9;
		bool ok = parse_date(text, n, &got), want_ok = reference_date(text, n, &want);
		valid += want_ok;
		double in = date_in_value(&month, text, n);
		bool in_ok = !isnan(in);
		if ((in_ok != want_ok || (in_ok && in != want)) && !differ_in++)
			snprintf(first_in, sizeof first_in, "%.*s: %d %.0f, want %d %.0f", (int)n, text, in_ok, in, want_ok, want);
		if (ok != want_ok || (ok && got != want)) {
			if (!differ++)
				snprintf(first, sizeof first, "%.*s: %d %.0f, want %d %.0f", (int)n, text, ok, got, want_ok, want);
		}
	}
	CHECK("parse_date agrees with the byte-at-a-time reading", differ == 0, "%zu differ, first %s", differ, first);
	CHECK("date_in_value agrees with the byte-at-a-time reading", differ_in == 0, "%zu differ, first %s", differ_in,
	      first_in);
	CHECK("the generated cells hold real days", valid > 100000, "only %zu", valid);
}

/* Unified social credit codes: the worked example of domain.md §5, its faults, positions 1–2, H9 codes, case. */
static void test_codes(void)
{
	double v;
	CHECK("valid USCC", uscc_check("91130200699229617X", 18) == PARSE_OK, "rejected");
	CHECK("check character", uscc_check_char("91130200699229617X") == 'X', "wrong");
	CHECK("pilot code fails only the check", uscc_check("91350100M0001TGQXM", 18) == PARSE_CHECK_DIGIT, "wrong");
	CHECK("letter I is not allowed", uscc_check("91130200699229617I", 18) == PARSE_BAD, "accepted");
	CHECK("17 characters", uscc_check("91130200699229617", 17) == PARSE_BAD, "accepted");
	CHECK("permit", cell_parse(TYPE_PERMIT, "91130200699229617X001P", 22, &v) == PARSE_OK, "rejected");
	CHECK("permit sequence 000", cell_parse(TYPE_PERMIT, "91130200699229617X000P", 22, &v) == PARSE_BAD, "accepted");
	CHECK("permit letter", cell_parse(TYPE_PERMIT, "91130200699229617X0011", 22, &v) == PARSE_BAD, "accepted");
	CHECK("positions 1-2: 93 is a farmers' cooperative", code_fault("93441826MA53H6T8WF", 18) == CODE_OK, "rejected");
	CHECK("positions 1-2: 59 is civil affairs, other", code_fault("59441826MA53H6T8W1", 18) == CODE_OK, "rejected");
	CHECK("positions 1-2: 94 is no type of 工商", code_fault("94441826MA53H6T8WC", 18) == CODE_KIND, "accepted");
	CHECK("positions 1-2: 15 is no type of 机构编制", code_fault("15441826MA53H6T8WH", 18) == CODE_KIND, "accepted");
	CHECK("positions 1-2: Y2 is no type of 其他", code_fault("Y2441826MA53H6T8WW", 18) == CODE_KIND, "accepted");
	CHECK("positions 1-2: a department not in Table 1 is not judged", code_fault("N2441826MA53H6T8W5", 18) == CODE_OK,
	      "rejected");
	CHECK("a wrong pair is no credit code", uscc_check("94441826MA53H6T8WC", 18) == PARSE_BAD, "accepted");
	CHECK("H9 code with a sequence", cell_parse(TYPE_USCC, "H9441800000000001a", 18, &v) == PARSE_OK, "rejected");
	CHECK("H9 code with an organisation code", code_fault("H944180212345678Xb", 18) == CODE_OK, "rejected");
	CHECK("H9 permit", cell_parse(TYPE_PERMIT, "H9441800000000001a002P", 22, &v) == PARSE_OK, "rejected");
	CHECK("H9 code ends in i", code_fault("H9441800000000001i", 18) == CODE_H9_FORM, "accepted");
	CHECK("H9 code with a letter in the area", code_fault("H94418A0000000001a", 18) == CODE_H9_FORM, "accepted");
	char fixed[32] = "";
	CHECK("lowercase check character put right",
	      code_fix_case(TYPE_USCC, "91441826MA4Y9P2Q0k", 18, fixed) && !memcmp(fixed, "91441826MA4Y9P2Q0K", 18),
	      "got %.18s", fixed);
	CHECK("H9 code's letter put in lowercase",
	      code_fix_case(TYPE_PERMIT, "h9441800000000001A001p", 22, fixed) &&
	      !memcmp(fixed, "H9441800000000001a001P", 22), "got %.22s", fixed);
	CHECK("a code in its case is not changed", !code_fix_case(TYPE_USCC, "H9441800000000001a", 18, fixed), "changed");
	CHECK("lowercase that makes no code is no case fault", !code_fix_case(TYPE_USCC, "91441826ma4y9p2q0", 17, fixed),
	      "fixed");
	CHECK("water class Ⅲ", cell_parse(TYPE_WATER_CLASS, "Ⅲ", 3, &v) == PARSE_OK && v == 3, "got %g", v);
	CHECK("water class 劣V类", cell_parse(TYPE_WATER_CLASS, "劣V类", strlen("劣V类"), &v) == PARSE_OK && v == 6, "got %g", v);
	CHECK("water class VI", cell_parse(TYPE_WATER_CLASS, "VI", 2, &v) == PARSE_BAD, "accepted");
	CHECK("boolean TRUE", cell_parse(TYPE_BOOLEAN, "TRUE", 4, &v) == PARSE_OK && v == 1, "wrong");
	CHECK("boolean 否", cell_parse(TYPE_BOOLEAN, "否", 3, &v) == PARSE_OK && v == 0, "wrong");
	CHECK("percent 45%", cell_parse(TYPE_PERCENT, "45%", 3, &v) == PARSE_OK && v == 45, "wrong");
	CHECK("integer 1.0", cell_parse(TYPE_INTEGER, "1.0", 3, &v) == PARSE_BAD, "accepted");
	CHECK("integer -0 is negative zero", cell_parse(TYPE_INTEGER, "-0", 2, &v) == PARSE_OK && v == 0 && signbit(v),
	      "got %g", v);
	CHECK("integer +7", cell_parse(TYPE_INTEGER, "+7", 2, &v) == PARSE_OK && v == 7, "got %g", v);
	CHECK("integer of 15 digits", cell_parse(TYPE_INTEGER, "999999999999999", 15, &v) == PARSE_OK &&
	      v == 999999999999999.0, "got %.17g", v);
	CHECK("integer of 16 digits", cell_parse(TYPE_INTEGER, "1000000000000000", 16, &v) == PARSE_BAD, "accepted");
	CHECK("integer sign alone", cell_parse(TYPE_INTEGER, "-", 1, &v) == PARSE_BAD, "accepted");
	CHECK("year 0999", cell_parse(TYPE_YEAR, "0999", 4, &v) == PARSE_BAD, "accepted");
}

/* The date forms clerks write, read for advice and repair. */
static void test_date_forms(void)
{
	static const struct {
		const char *text;
		bool month;
		enum date_form form;
		int y, m, d;
	} cases[] = {
		{"2025-06-01", false, DATE_ISO, 2025, 6, 1},
		{"2025/6/1", false, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025.06.01", false, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025-6-1", false, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025年6月1日", false, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025年6月1号", false, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025年6月1", false, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025/6/1 0:00", false, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025-06-01 00:00:00", false, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025-06-31", false, DATE_NO_SUCH_DAY, 2025, 6, 31},
		{"2024-02-29", false, DATE_ISO, 2024, 2, 29},
		{"2025/2/29", false, DATE_NO_SUCH_DAY, 2025, 2, 29},
		{"2025-13-01", false, DATE_NO_SUCH_MONTH, 2025, 13, 1},
		{"2025/6-1", false, DATE_NOT, 0, 0, 0},
		{"2025/6/1 8:30", false, DATE_NOT, 0, 0, 0},
		{"6/1/2025", false, DATE_NOT, 0, 0, 0},
		{"2025/123/1", false, DATE_NOT, 0, 0, 0},
		{"20250601", false, DATE_NOT, 0, 0, 0},
		{"2025-06", true, DATE_ISO, 2025, 6, 1},
		{"2025/6", true, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025年6月", true, DATE_OTHER_FORM, 2025, 6, 1},
		{"2025年6", true, DATE_NOT, 0, 0, 0},
		{"2025-00", true, DATE_NO_SUCH_MONTH, 2025, 0, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int y = 0, m = 0, d = 0;
		enum date_form f = date_form(cases[i].text, strlen(cases[i].text), cases[i].month, &y, &m, &d);
		char name[96];
		snprintf(name, sizeof name, "date form %s", cases[i].text);
		CHECK(name, f == cases[i].form && (f == DATE_NOT || (y == cases[i].y && m == cases[i].m && d == cases[i].d)),
		      "form %d, %d-%d-%d", (int)f, y, m, d);
	}
}

/*
 * cell_parse decides the commonest types inline: for every type and a spread
 * of cells it must agree with cell_parse_typed, result and value (0 when bad).
 */
static void test_inline_dispatch(void)
{
	static const char *const cells[] = {
		"", "0", "-0", "+7", "12", "1.5", ".5", "5.", ".", "1e3", "-2.25", "999999999999999",
		"1000000000000000", "2021-01-01", "2024-02-29", "2023-02-29", "2025-06", "2025", "45%",
		"是", "true", "Ⅲ", "abc", "1,5", " 1", "91130200699229617X",
	};
	size_t differ = 0;
	for (int t = 0; t < TYPE_COUNT; t++)
		for (size_t i = 0; i < sizeof cells / sizeof *cells; i++) {
			double inline_v = -1, typed_v = -1;
			size_t n = strlen(cells[i]);
			enum parse_result a = cell_parse((enum coltype)t, cells[i], n, &inline_v);
			enum parse_result b = cell_parse_typed((enum coltype)t, cells[i], n, &typed_v);
			if (a != b || memcmp(&inline_v, &typed_v, sizeof inline_v) != 0) {
				if (!differ)
					printf("type %d cell '%s': %d %g, typed %d %g\n", t, cells[i], a, inline_v, b, typed_v);
				differ++;
			}
		}
	CHECK("cell_parse agrees with cell_parse_typed on every type", differ == 0, "%zu differ", differ);
}

/* format_date writes back every day of years 0–9999 as parse_date reads it, and the rest as printf does. */
static void test_date_round_trip(void)
{
	double first, last, got = 0;
	parse_date("0000-01-01", 10, &first);
	parse_date("9999-12-31", 10, &last);
	size_t differ = 0;
	char out[16], bad[16] = "";
	for (double day = first; day <= last; day++) {
		format_date(day, out);
		if ((strlen(out) != 10 || !parse_date(out, 10, &got) || got != day) && !differ++)
			memcpy(bad, out, sizeof bad);
	}
	CHECK("format_date reads back as the same day, years 0-9999", differ == 0, "%zu differ, first %s", differ, bad);
	CHECK("the round trip spans ten thousand years", last - first == 3652424, "spans %.0f days", last - first);
	static const double beyond[] = {-800000, -719529, 2932897, 2999999};
	for (size_t i = 0; i < sizeof beyond / sizeof *beyond; i++) {
		int y, m, d;
		char want[16];
		civil_from_days(beyond[i], &y, &m, &d);
		snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
		format_date(beyond[i], out);
		CHECK_STR("a day outside years 0-9999 written as printf does", out, want);
	}
}

int main(void)
{
	test_numbers();
	test_dates();
	test_date_differential();
	test_date_round_trip();
	test_date_forms();
	test_codes();
	test_inline_dispatch();
	return test_status();
}
