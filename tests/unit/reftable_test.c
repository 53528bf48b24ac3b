/*
 * reftable_test — the county table's variant characters, its former names and
 * codes, and the values a near miss is told it may have meant; those last
 * also against the plain way of finding them (every distance worked out in
 * full, a pass for each distance) over many generated near misses.
 */
#include "reftable.h"
#include "utf8.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static struct reftable *t;
static int code_col, name_col;

/* The suggestions for s in a column, as "a|b|c". */
static const char *suggest(int col, const char *s)
{
	static char out[256];
	size_t rows[3];
	size_t k = reftable_suggest(t, col, s, strlen(s), rows, 3);
	out[0] = '\0';
	for (size_t i = 0; i < k; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "|" : "", reftable_cell(t, rows[i], col));
	return out;
}

/* The name a variant spelling folds into, or "" if none. */
static const char *variant(const char *s)
{
	size_t row;
	return reftable_find_variant(t, name_col, s, strlen(s), &row) ? reftable_cell(t, row, name_col) : "";
}

/* The value in col of the row s is found at, with " alias" when s matched only as an alias or a former value. */
static const char *found(int col, const char *s)
{
	static char out[256];
	size_t row;
	bool alias;
	if (!reftable_find(t, col, s, strlen(s), &row, &alias))
		return "(none)";
	snprintf(out, sizeof out, "%s%s", reftable_cell(t, row, col), alias ? " alias" : "");
	return out;
}

/* When a former value went out of use, or "(none)". */
static const char *former(int col, const char *s)
{
	const char *ended = reftable_former(t, col, s, strlen(s));
	return ended ? ended : "(none)";
}

/* The full Levenshtein distance from s to a text, or SIZE_MAX when the text cannot be decoded. */
static size_t plain_distance(const uint32_t *a, size_t na, const char *text, size_t len)
{
	uint32_t b[64];
	size_t nb = utf8_decode_all(text, len, b, 64), prev[65], cur[65];
	if (nb == SIZE_MAX)
		return SIZE_MAX;
	for (size_t j = 0; j <= nb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= na; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]), del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof prev);
	}
	return prev[nb];
}

/* The suggestions the plain way: for each distance in turn, every row's nearest text, names through their aliases. */
static size_t plain_suggest(int col, const char *s, size_t n, size_t *rows, size_t max)
{
	size_t count = 0, variant_row = SIZE_MAX;
	if (max && reftable_find_variant(t, col, s, n, &variant_row))
		rows[count++] = variant_row;
	uint32_t cps[64];
	size_t chars = utf8_decode_all(s, n, cps, 64);
	if (chars == SIZE_MAX)
		return count;
	for (size_t d = 1; d <= (chars >= 6 ? 2u : 1u) && count < max; d++)
		for (size_t r = 0; r < t->nrows && count < max; r++) {
			const char *v = reftable_cell(t, r, col), *list = col == name_col ? reftable_cell(t, r, t->alias_col) : "";
			size_t best = plain_distance(cps, chars, v, strlen(v));
			for (size_t len; *list; list += len + (list[len] == '|')) {
				len = strcspn(list, "|");
				size_t e = len ? plain_distance(cps, chars, list, len) : SIZE_MAX;
				best = e < best ? e : best;
			}
			if (best == d && r != variant_row)
				rows[count++] = r;
		}
	return count;
}

static unsigned long long seed = 88172645463325252ULL;

static size_t pick(size_t n)
{
	seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
	return (size_t)(seed % n);
}

/* A near miss of a text of the table: up to four edits of characters the table uses, or a few others. */
static size_t near_miss(char *out, int col)
{
	static const char *const others[] = {"x", "1", "0", " ", "縣", "區", "市", "县", "连", "德", "４", "\xff", "\xe5\xbf"};
	uint32_t cps[80];
	size_t n = 0, r = pick(t->nrows);
	const char *from = reftable_cell(t, r, pick(4) ? col : (int)pick(t->ncols));
	if (col == name_col && pick(3) == 0 && *reftable_cell(t, r, t->alias_col))
		from = reftable_cell(t, r, t->alias_col);
	for (size_t i = 0, len; from[i] && n < 70; i += len)
		if (!(len = utf8_decode((const unsigned char *)from + i, strlen(from + i), &cps[n++])))
			return 0;
	for (size_t e = pick(5); e > 0; e--) {
		const char *o = others[pick(sizeof others / sizeof *others)];
		uint32_t c;
		size_t at = pick(n + 1), kind = pick(3);
		if (!utf8_decode((const unsigned char *)o, strlen(o), &c))
			c = 0xFFFFFFFF; /* an invalid byte, written as it is */
		if (pick(2) && n) { /* a character the table uses */
			const char *u = reftable_cell(t, pick(t->nrows), col);
			utf8_decode((const unsigned char *)u, strlen(u), &c);
		}
		if (kind == 0 && n < 75) {
			memmove(cps + at + 1, cps + at, (n - at) * sizeof *cps);
			cps[at] = c, n++;
		} else if (kind == 1 && at < n) {
			memmove(cps + at, cps + at + 1, (n - at - 1) * sizeof *cps);
			n--;
		} else if (at < n) {
			cps[at] = c;
		}
	}
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		if (cps[i] == 0xFFFFFFFF)
			out[len++] = (char)0xFF;
		else
			len += utf8_encode(cps[i], out + len);
	return len;
}

/* The suggestions for many near misses, as reftable_suggest gives them and the plain way, for up to four of them. */
static void against_plain_way(int col, const char *name)
{
	size_t differ = 0, some = 0, tries = 20000;
	char first[512] = "";
	for (size_t i = 0; i < tries; i++) {
		char s[512];
		size_t n = near_miss(s, col), max = pick(5), got[4], want[4];
		size_t k = reftable_suggest(t, col, s, n, got, max), w = plain_suggest(col, s, n, want, max);
		some += w > 1;
		if (k != w || memcmp(got, want, k * sizeof *got) != 0) {
			if (!differ++)
				snprintf(first, sizeof first, "%.*s (max %zu): %zu suggestions, want %zu", (int)n, s, max, k, w);
		}
	}
	CHECK(name, differ == 0 && some > tries / 50, "%zu of %zu differ, first %s; %zu with two or more", differ, tries,
	      first, some);
}

int main(void)
{
	char err[256];
	t = reftable_load("rules/ref/counties.csv", err, sizeof err);
	if (!t) {
		printf("FAIL load counties: %s\n", err);
		return 1;
	}
	code_col = reftable_column(t, "code");
	name_col = reftable_column(t, "name");
	reftable_index(t, code_col);
	reftable_index(t, name_col);
	CHECK_STR("縣 folds to 县", variant("阳山縣"), "阳山县");
	CHECK_STR("區 folds to 区", variant("清新區"), "清新区");
	CHECK_STR("a fold that names nothing", variant("英德縣"), "");
	CHECK_STR("县 is no variant of 市: names have it", variant("佛冈县"), "");
	CHECK_STR("traditional county suggested", suggest(name_col, "英德縣"), "英德市");
	CHECK_STR("name cut short", suggest(name_col, "英德"), "英德市");
	CHECK_STR("Japanese form", suggest(name_col, "英徳市"), "英德市");
	CHECK_STR("through an alias", suggest(name_col, "连山"), "连山壮族瑶族自治县");
	CHECK_STR("the variant fold first, then near ones", suggest(name_col, "陽山县"), "阳山县|连山壮族瑶族自治县");
	CHECK_STR("at most three codes, nearest first", suggest(code_col, "441883"), "441803|441823|441881");
	CHECK_STR("nothing near", suggest(name_col, "北京市"), "");
	against_plain_way(name_col, "names' near misses suggest as the plain way finds them");
	against_plain_way(code_col, "codes' near misses suggest as the plain way finds them");
	against_plain_way(reftable_column(t, "ended"), "a column of blanks and years suggests as the plain way");
	CHECK_STR("清新县 became 清新区", found(name_col, "清新县"), "清新区 alias");
	CHECK_STR("…in 2012", former(name_col, "清新县"), "2012");
	CHECK_STR("441827 became 441803 in 2012", former(code_col, "441827"), "2012");
	CHECK_STR("441827 looks up as 441803", found(code_col, "441827"), "441803 alias");
	CHECK_STR("連縣 became 连州市 in 1994", former(name_col, "連縣"), "1994");
	CHECK_STR("an alias is no former name", former(name_col, "連州市"), "(none)");
	CHECK_STR("a name is no former name", former(name_col, "清新区"), "(none)");
	CHECK_STR("连州县 is no name of the table", found(name_col, "连州县"), "(none)");
	reftable_free(t);
	return test_status();
}
