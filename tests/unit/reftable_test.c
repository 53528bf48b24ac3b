/*
 * reftable_test — the county table's variant characters, its former names and
 * codes, and the values a near miss is told it may have meant.
 */
#include "reftable.h"
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
