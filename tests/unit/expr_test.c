/*
 * expr_test — the expression language: precedence and associativity, every
 * operator with null on either side, three-valued logic, every function
 * (aqi at and between breakpoints, water_class at each class limit, dates
 * across month and leap-year ends, targets), load-time errors with their
 * positions, and the evaluators of the common shapes (a column against a
 * literal, chains of such tests, two columns compared, a value a when tests
 * for null compared with a column) against the general ones, cell by cell.
 */
#include "celltype.h"
#include "expr.h"
#include "exprnode.h"
#include "ruleset.h"
#include "standards.h"
#include "test.h"

#include <math.h>

static struct ruleset *rs;
static struct value row[7];

enum { N_, M_, S_, D_, B_, MON_, CODE_ };

/* Sets the test row: n, m, s, d, b (null when the pointer or number says so). */
static void set_row(double n, double m, const char *s, const char *d, int b)
{
	double days;
	row[N_] = isnan(n) ? (struct value){.type = V_NULL} : (struct value){.type = V_NUM, .num = n};
	row[M_] = isnan(m) ? (struct value){.type = V_NULL} : (struct value){.type = V_NUM, .num = m};
	row[S_] = s ? (struct value){.type = V_STR, .str = s, .len = strlen(s)} : (struct value){.type = V_NULL};
	row[D_] = d && parse_date(d, strlen(d), &days) ? (struct value){.type = V_DATE, .num = days}
						      : (struct value){.type = V_NULL};
	row[B_] = b < 0 ? (struct value){.type = V_NULL} : (struct value){.type = V_BOOL, .num = b};
	row[MON_] = (struct value){.type = V_NULL};
	row[CODE_] = (struct value){.type = V_STR, .str = "441881", .len = 6};
}

/* The number of distinct pairs among n, worked out by comparing each with those before it (NAN, a
 * blank, equals only NAN). */
static int distinct_pairs(double (*pairs)[2], int n)
{
	int distinct = 0;
	for (int i = 0; i < n; i++) {
		bool seen = false;
		for (int j = 0; j < i && !seen; j++) {
			bool same = true;
			for (int k = 0; k < 2; k++)
				same = same && (isnan(pairs[i][k]) ? isnan(pairs[j][k]) : pairs[i][k] == pairs[j][k]);
			seen = same;
		}
		distinct += !seen;
	}
	return distinct;
}

/* e, an aggregate of the scope's slots, over n rows whose n and m are the pairs (in February 2024's
 * group), its accumulators freed after. */
static struct value pairs_counted(const struct expr_scope *scope, const struct expr *e, double (*pairs)[2], int n)
{
	struct agg_acc accs[4] = {0};
	for (int i = 0; i < n; i++) {
		set_row(pairs[i][0], pairs[i][1], NULL, "2024-02-10", 1);
		struct eval_ctx ctx = {.rs = rs, .row = row};
		agg_update(scope->slots, scope->nslots, (unsigned char *)accs, &ctx);
	}
	struct value key = {.type = V_NUM, .num = 2};
	struct eval_ctx ctx = {.rs = rs, .keys = &key, .accs = (unsigned char *)accs};
	struct value v = expr_eval(e, &ctx);
	agg_acc_free(scope->slots, scope->nslots, (unsigned char *)accs, 1);
	return v;
}

/* Evaluates src on the test row and renders the result ("null" for null). */
static const char *run(const char *src)
{
	static struct buf out;
	char err[256];
	int pos;
	struct expr_scope scope = {.rs = rs};
	struct expr *e = expr_compile(src, &scope, err, sizeof err, &pos);
	buf_reset(&out);
	if (!e) {
		buf_addf(&out, "error %d: %s", pos, err);
		return out.data;
	}
	struct eval_ctx ctx = {.rs = rs, .row = row};
	struct value v = expr_eval(e, &ctx);
	value_format(&v, &out);
	expr_free(e);
	free(scope.slots);
	return out.data;
}

#define EXPECT(src, want) CHECK_STR(src, run(src), want)

static void test_precedence(void)
{
	set_row(2, 3, "x", "2024-02-28", 1);
	EXPECT("1 + 2 * 3", "7");
	EXPECT("(1 + 2) * 3", "9");
	EXPECT("10 - 4 - 3", "3");
	EXPECT("24 / 4 / 2", "3");
	EXPECT("-n * m", "-6");
	EXPECT("1 + 2 < 4 && 2 > 1", "true");
	EXPECT("true || false && false", "true");
	EXPECT("!false && false", "false");
	EXPECT("n > 1 ? 10 : 20", "10");
	EXPECT("false ? 1 : true ? 2 : 3", "2");
	EXPECT("n in [1, 2, 3]", "true");
	EXPECT("s in [\"a\", \"b\"]", "false");
	EXPECT("7 / 2", "3.5");
	EXPECT("1 / 0", "null");
}

static void test_nulls(void)
{
	set_row(NAN, 3, NULL, NULL, -1);
	const char *null_ops[] = {"n + 1", "1 - n", "n * 2", "2 / n", "-n", "n == 1", "1 != n",
				  "n < 1", "n <= 1", "1 > n", "n >= 1", "!b", "n in [1, 2]",
				  "b ? 1 : 2", "s == \"x\"", "len(s)", "year(d)", "abs(n)",
				  "round(n, 1)", "min(n, m)", "max(m, n)", "aqi(\"pm25\", n)",
				  "water_class(\"cod\", n)", "ceil(n)", "floor(n)", "max_of(n)",
				  "min_of(n, n)", "coalesce(n, null)", "twice_n", "best_or_zero + n"};
	for (size_t i = 0; i < sizeof null_ops / sizeof *null_ops; i++)
		EXPECT(null_ops[i], "null");
	EXPECT("is_null(n)", "true");
	EXPECT("n == null", "true");
	EXPECT("null != n", "false");
	EXPECT("m != null && n == null", "true");
	EXPECT("null == null", "true");
	EXPECT("is_null(m)", "false");
	EXPECT("false && b", "false");
	EXPECT("b && false", "false");
	EXPECT("true && b", "null");
	EXPECT("b && true", "null");
	EXPECT("true || b", "true");
	EXPECT("b || true", "true");
	EXPECT("false || b", "null");
	EXPECT("b || b", "null");
	EXPECT("m in [1, null]", "null");
	EXPECT("m in [3, null]", "true");
	/* the null-skipping forms: null only when every argument is */
	EXPECT("max_of(n, m)", "3");
	EXPECT("min_of(m, n, 5)", "3");
	EXPECT("max_of(n, m) == null", "false");
	EXPECT("coalesce(n, m, 7)", "3");
	EXPECT("coalesce(n, 7, m)", "7");
	EXPECT("best_or_zero", "3");
	EXPECT("coalesce(s, \"none\")", "none");
}

static void test_functions(void)
{
	set_row(-2.5, 3, "清远ab", "2024-02-29", 1);
	EXPECT("len(s)", "4");
	EXPECT("abs(n)", "2.5");
	EXPECT("round(2.345, 2)", "2.35");
	EXPECT("round(n, 0)", "-3");
	EXPECT("min(3, 1, 2)", "1");
	EXPECT("max(3, 1, 2)", "3");
	EXPECT("max_of(3, 1, 2)", "3");
	EXPECT("min_of(d, date(\"2020-01-01\"))", "2020-01-01");
	EXPECT("ceil(n)", "-2");
	EXPECT("floor(n)", "-3");
	EXPECT("ceil(7.000000000000001)", "8");
	EXPECT("floor(2)", "2");
	/* lets are expanded where they are used, lets inside lets too */
	EXPECT("twice_n", "-5");
	EXPECT("twice_n * twice_n + 1", "26");
	EXPECT("quadruple_n", "-10");
	EXPECT("year(d)", "2024");
	EXPECT("month(d)", "2");
	EXPECT("day(d)", "29");
	EXPECT("days_in_month(d)", "29");
	EXPECT("days_in_month(date(\"2023-02-01\"))", "28");
	EXPECT("days_in_month(date(\"2025-04-30\"))", "30");
	EXPECT("d + 1", "2024-03-01");
	EXPECT("date(\"2025-01-01\") - 1", "2024-12-31");
	EXPECT("d + 1e300", "null");
	EXPECT("1e300 * 3", "3e+300");
	EXPECT("1e300 * 1e300", "null");
	EXPECT("round(1e300, 10)", "null");
	EXPECT("0 - 2.5e15", "-2.5e+15");
	EXPECT("999999999999999", "999999999999999");
	EXPECT("year(d - 1e300)", "null");
	EXPECT("d + 2000000", "7499-12-23");
	EXPECT("date(\"2025-01-01\") - date(\"2024-01-01\")", "366");
	EXPECT("d < date(\"2024-03-01\")", "true");
	EXPECT("matches(s, \"^清远\")", "true");
	EXPECT("matches(s, \"[0-9]\")", "false");
	EXPECT("lookup(\"counties\", code, \"name\")", "英德市");
	EXPECT("lookup(\"counties.name\", \"连山县\", \"code\")", "441825");
	EXPECT("lookup(\"counties\", \"999999\", \"name\")", "null");
	EXPECT("number(\"12.5\")", "12.5");
	EXPECT("class(\"劣Ⅴ\")", "6");
	EXPECT("substr(\"91441881MA4W0000X1\", 3, 6)", "441881");
	EXPECT("substr(s, 2, 2)", "远a");
	EXPECT("substr(s, 4, 9)", "b");
	EXPECT("substr(s, 9, 1)", "");
	EXPECT("substr(s, 0, 1)", "清");
}

static void test_aqi(void)
{
	set_row(0, 0, NULL, NULL, 0);
	/* at breakpoints */
	EXPECT("aqi(\"pm25\", 35)", "50");
	EXPECT("aqi(\"pm25\", 75)", "100");
	EXPECT("aqi(\"pm25\", 500)", "500");
	EXPECT("aqi(\"pm10\", 150)", "100");
	EXPECT("aqi(\"so2\", 475)", "150");
	EXPECT("aqi(\"no2\", 280)", "200");
	EXPECT("aqi(\"co\", 4)", "100");
	EXPECT("aqi(\"co\", 60)", "500");
	EXPECT("aqi(\"o3_8h\", 160)", "100");
	EXPECT("aqi(\"o3_8h\", 800)", "300");
	/* between breakpoints: (I_hi - I_lo)/(BP_hi - BP_lo)·(C - BP_lo) + I_lo */
	EXPECT("aqi(\"pm25\", 55)", "75");
	EXPECT("aqi(\"pm10\", 100)", "75");
	EXPECT("aqi(\"so2\", 100)", "75");
	EXPECT("aqi(\"no2\", 60)", "75");
	EXPECT("aqi(\"co\", 3)", "75");
	EXPECT("aqi(\"o3_8h\", 130)", "75");
	EXPECT("aqi(\"pm25\", 0)", "0");
	/* off the scale */
	EXPECT("aqi(\"pm25\", 501)", "null");
	EXPECT("aqi(\"o3_8h\", 801)", "null");
	EXPECT("aqi(\"pm25\", -1)", "null");
	/* rounded up to an integer (HJ 633-2012), computed on the decimal as written */
	EXPECT("aqi(\"pm25\", 4.9)", "7");
	EXPECT("aqi(\"pm25\", 75.5)", "101");
	EXPECT("aqi(\"pm25\", 35.1)", "51");
	EXPECT("aqi(\"pm25\", 75.0000000001)", "101");
	EXPECT("aqi(\"pm25\", 74.99999999999)", "100");
	EXPECT("aqi(\"pm25\", 0.0000000001)", "1");
	EXPECT("aqi(\"co\", 2.00000000000001)", "51");
	EXPECT("aqi(\"co\", 0.1)", "3");
	EXPECT("aqi(\"o3_1h\", 200)", "100");
	EXPECT("aqi(\"o3_1h\", 1200)", "500");
	EXPECT("aqi(\"o3_1h\", 1200.1)", "null");
	/* the seven daily items: so2, no2, pm10, co, o3_1h, o3_8h, pm25 */
	EXPECT("aqi_day(5, 20, 40, 0.6, 150, 120, 75.5)", "101");
	EXPECT("aqi_top(5, 20, 40, 0.6, 150, 120, 75.5)", "PM2.5");
	EXPECT("aqi_over(5, 20, 40, 0.6, 150, 120, 75.5)", "PM2.5");
	EXPECT("aqi_day(5, 20, 40, 0.6, 240, 150, 75)", "120");
	EXPECT("aqi_top(5, 20, 150, 0.6, 200, 160, 75)", "PM10、O3_1h、O3_8h、PM2.5");
	EXPECT("aqi_over(5, 20, 150, 0.6, 200, 160, 75)", "");
	/* O3-8h above 800 has no index of its own: the 1-hour value stands */
	EXPECT("aqi_day(5, 20, 40, 0.6, 1000, 900, 10)", "400");
	EXPECT("aqi_top(5, 20, 40, 0.6, 1000, 900, 10)", "O3_1h");
	/* items missing: a lower bound, null only when none is there */
	EXPECT("aqi_day(n, n, n, n, n, n, 120)", "158");
	EXPECT("aqi_day(null, null, null, null, null, null, null)", "null");
	EXPECT("aqi_top(null, null, null, null, null, null, null)", "");
	EXPECT("aqi_level(50)", "1");
	EXPECT("aqi_level(51)", "2");
	EXPECT("aqi_level(301)", "6");
	EXPECT("aqi_level(\"轻度污染\")", "3");
	EXPECT("aqi_level(\"五级\")", "5");
	EXPECT("aqi_level(\"很好\")", "null");
	EXPECT("aqi_category(101)", "轻度污染");
	EXPECT("aqi_grade(100)", "二级");
	EXPECT("same_pollutants(\"PM2.5、O3_8h\", \"O₃-8h，细颗粒物\")", "true");
	EXPECT("same_pollutants(\"臭氧\", \"O3_8h\")", "true");
	EXPECT("same_pollutants(\"O3\", \"PM2.5\")", "false");
	EXPECT("same_pollutants(\"—\", \"\")", "true");
	EXPECT("same_pollutants(\"无\", \"PM10\")", "false");
	EXPECT("same_pollutants(\"PM2.6\", \"PM2.6\")", "false");
	EXPECT("same_pollutants(\"ＰＭ２．５ / pm10\", \"PM10、PM2.5\")", "true");
}

/*
 * aqi_level() of a text names a level by each of the twelve names alone:
 * a name with one byte changed, cut short or run on names none.
 */
static void test_aqi_level_names(void)
{
	bool named = true;
	char what[80] = "";
	for (int level = 1; level <= 6 && named; level++)
		for (int grade = 0; grade < 2 && named; grade++) {
			const char *name = grade ? aqi_grade_name(level) : aqi_category_name(level);
			size_t n = strlen(name);
			char other[32];
			snprintf(what, sizeof what, "%s as written", name);
			named = aqi_level_named(name, n) == level;
			for (size_t k = 0; k < n && named; k++) {
				memcpy(other, name, n);
				other[k] ^= 1;
				snprintf(what, sizeof what, "%s with byte %zu changed", name, k);
				named = aqi_level_named(other, n) == 0;
			}
			if (!named)
				break;
			memcpy(other, name, n), other[n] = 'x';
			snprintf(what, sizeof what, "%s cut short or run on", name);
			named = aqi_level_named(name, n - 1) == 0 && aqi_level_named(other, n + 1) == 0;
		}
	CHECK("each level's category and grade name it, and nothing near them does", named, "%s", what);
}

static void test_water(void)
{
	set_row(0, 0, NULL, NULL, 0);
	EXPECT("water_class(\"cod\", 15)", "1");
	EXPECT("water_class(\"cod\", 15.1)", "3");
	EXPECT("water_class(\"cod\", 40)", "5");
	EXPECT("water_class(\"cod\", 40.1)", "6");
	EXPECT("water_class(\"bod5\", 3)", "1");
	EXPECT("water_class(\"do\", 7.5)", "1");
	EXPECT("water_class(\"do\", 7.4)", "2");
	EXPECT("water_class(\"do\", 2)", "5");
	EXPECT("water_class(\"do\", 1.9)", "6");
	EXPECT("water_class(\"nh3n\", 0.15)", "1");
	EXPECT("water_class(\"nh3n\", 0.5)", "2");
	EXPECT("water_class(\"nh3n\", 1.0)", "3");
	EXPECT("water_class(\"nh3n\", 1.5)", "4");
	EXPECT("water_class(\"nh3n\", 2.0)", "5");
	EXPECT("water_class(\"codmn\", 6)", "3");
	EXPECT("water_class(\"tp\", 0.2)", "3");
	EXPECT("water_class(\"tp_lake\", 0.2)", "5");
	EXPECT("water_class(\"tp_lake\", 0.025)", "2");
	EXPECT("water_class(\"ph\", 6)", "1");
	EXPECT("water_class(\"ph\", 9.1)", "6");
	EXPECT("water_class(\"tp\", 0.2, true)", "5");
	EXPECT("water_class(\"tp\", 0.2, false)", "3");
	EXPECT("water_class(\"tn\", 0.6, true)", "3");
	EXPECT("water_class(\"tn\", 0.6, false)", "null");
	EXPECT("water_class(\"hg\", 0.00005)", "1");
	EXPECT("water_class(\"hg\", 0.00006)", "3");
	EXPECT("water_class(\"cu\", 0.5)", "2");
	EXPECT("water_class(\"fluoride\", 1.0)", "1");
	EXPECT("water_class(\"oil\", 0.06)", "4");
	EXPECT("water_class(\"fecal_coliform\", 2000)", "2");
	EXPECT("water_class_name(6)", "劣Ⅴ");
	EXPECT("water_class_name(3)", "Ⅲ");
	EXPECT("water_class_name(7)", "null");
	EXPECT("name_of_max(\"溶解氧\", 2, \"总磷\", 4, \"氨氮\", 4)", "总磷");
	EXPECT("name_of_max(\"溶解氧\", n, \"总磷\", null)", "溶解氧");
}

static void test_targets(void)
{
	set_row(23, 21, NULL, NULL, 0);
	EXPECT("target(\"pm25_annual\")", "22");
	EXPECT("target(\"pm25_annual\", code)", "20");
	EXPECT("target(\"pm25_annual\", \"441802\")", "22");
	EXPECT("baseline(\"pm25_annual\", code)", "24");
	EXPECT("progress(\"pm25_annual\", n, code)", "0.25");
	EXPECT("progress(\"pm25_annual\", m)", "1.3333");
	EXPECT("progress(\"good_days\", 93.5)", "0.5");
	/* a target the 2020 baseline already meets is kept, not approached */
	EXPECT("progress(\"forest\", 58)", "null");
	EXPECT("on_track(\"forest\", 58, 2023)", "true");
	EXPECT("on_track(\"forest\", 57, 2023)", "false");
	EXPECT("due(\"forest\", 2021)", "58");
	/* the straight line from the baseline, or the bureau's target for the year */
	EXPECT("due(\"good_days\", 2022)", "93.2");
	EXPECT("due(\"good_days\", 2023)", "94.5");
	EXPECT("on_track(\"good_days\", 93.5, 2022)", "true");
	EXPECT("on_track(\"good_days\", 93, 2022)", "false");
	EXPECT("on_track(\"good_days\", 95, 2021)", "true");
	EXPECT("on_track(\"good_days\", 94, 2023)", "false");
	EXPECT("due(\"pm25_annual\", 2024, code)", "20.8");
	EXPECT("on_track(\"pm25_annual\", 21, 2024, code)", "false");
	EXPECT("on_track(\"pm25_annual\", 20.5, 2024, code)", "true");
	/* a cumulative reduction on 2020, a positive percentage */
	EXPECT("due(\"co2_cut\", 2023)", "10.8");
	EXPECT("on_track(\"co2_cut\", 11, 2023)", "true");
	EXPECT("progress(\"co2_cut\", 9)", "0.5");
	EXPECT("progress(\"ecology\", 1)", "null");
	EXPECT("schedule(2023)", "0.6");
	EXPECT("schedule(2026)", "1");
	EXPECT("binding(\"pm25_annual\")", "true");
	EXPECT("binding(\"forest\")", "false");
}

static void test_errors(void)
{
	EXPECT("n +", "error 4: expression ends too early");
	EXPECT("(n + 1", "error 7: expected ')'");
	EXPECT("pm2 > 1", "error 1: unknown column 'pm2'");
	EXPECT("n > foo(1)", "error 5: unknown function 'foo'");
	EXPECT("len(s, s)", "error 1: len() takes 1 argument, not 2");
	EXPECT("n + s", "error 3: arithmetic needs numbers, not a number and a string");
	EXPECT("s == 1", "error 3: cannot compare a string with a number");
	EXPECT("n > 1 && 2", "error 7: '&&' needs booleans, not a boolean and a number");
	EXPECT("mean(n) > 1", "error 1: aggregate function mean() is only allowed in aggregates");
	EXPECT("1 < n < 3", "error 7: comparisons do not chain; use &&");
	EXPECT("aqi(\"pm1\", n)", "error 1: unknown pollutant 'pm1' (so2, no2, pm10, co, o3_1h, o3_8h, pm25)");
	EXPECT("name_of_max(\"a\", n, \"b\")", "error 1: name_of_max() takes pairs of a name and a value");
	EXPECT("name_of_max(s, n)", "error 13: each name of name_of_max() must be a string literal");
	EXPECT("in_file(n + 1)", "error 11: in_file() takes a column");
	EXPECT("prev(n) > 1", "error 1: prev() needs rows in order: give the rule an 'order'");
	EXPECT("water_class(\"cod\", s)", "error 20: argument 2 of water_class() must be a number, not a string");
	EXPECT("matches(s, \"(\")", "error 1: bad pattern at offset 1: missing closing parenthesis");
	EXPECT("target(\"nope\")", "error 8: no indicator 'nope' in the target table");
	EXPECT("lookup(\"regions\", s, \"x\")", "error 1: no reference table 'regions' in 'refs'");
	EXPECT("date(\"2025-02-30\")", "error 1: '2025-02-30' is not a date (YYYY-MM-DD)");
	EXPECT("s == \"清远\" && @", "error 14: unexpected character '@'");
	EXPECT("n ? 1 : 2", "error 3: the condition of '?:' must be a boolean, not a number");
	EXPECT("coalesce(n, s)", "error 13: the arguments of coalesce() are a number and a string");
	EXPECT("max_of(n, s)", "error 11: max_of() compares numbers or dates, not a string");
	EXPECT("len(twice_n)", "error 3: in let 'twice_n': argument 1 of len() must be a string, not a number");
	EXPECT("n + (twice_n", "error 13: expected ')'");
	/* found by fuzzing: a backslash at the very end of a string read past the expression */
	EXPECT("   (\"    c\\", "error 5: unterminated string");
	struct buf deep = {0};
	for (int i = 0; i < 10000; i++)
		buf_addc(&deep, '(');
	buf_adds(&deep, "1");
	CHECK("10,000 parentheses are refused", strstr(run(deep.data), "nested more than 200 levels") != NULL,
	      "got %s", run(deep.data));
	buf_free(&deep);
}

/* Aggregates: accumulate three rows and judge one group. */
static struct expr *month_key[1];

/* A scope of aggregates grouped by month(d), whose key month_key holds until the caller frees it. */
static struct expr_scope by_month(void)
{
	char err[256];
	int pos;
	struct expr_scope rs_scope = {.rs = rs};
	month_key[0] = expr_compile("month(d)", &rs_scope, err, sizeof err, &pos);
	return (struct expr_scope){.rs = rs, .aggregate = true, .group = month_key, .ngroup = 1};
}

static void test_aggregates(void)
{
	char err[256];
	int pos;
	struct expr_scope scope = by_month();
	const char *src = "count() == 3 && count_if(n > 1) == 2 && sum(n) == 6 && mean(n) == 2 && "
			  "min(n) == 1 && max(n) == 3 && ratio(b) == 0.5 && percentile(n, 50) == 2 && "
			  "round(max_change(n, m), 4) == 0.6667 && month(d) == 2";
	struct expr *e = expr_compile(src, &scope, err, sizeof err, &pos);
	CHECK("aggregate compiles", e != NULL, "%s at %d", err, pos);
	if (!e)
		return;
	size_t slots = scope.nslots;
	struct expr *again = expr_compile("mean(n) + count() == 5 && percentile(n, 90) > 0 && "
					  "count_if(n > 1) == 2 && count_if(n > 2) == 1 && max(n) == 3",
					  &scope, err, sizeof err, &pos);
	CHECK("aggregates written again share their slots", again && scope.nslots == slots + 2,
	      "%zu slots after %zu", scope.nslots, slots);
	struct agg_acc accs[16] = {0};
	double ns[] = {1, 2, 3}, years[] = {2023, 2021, 2022};
	int bs[] = {1, 0, -1};
	for (int i = 0; i < 3; i++) {
		set_row(ns[i], years[i], NULL, "2024-02-10", bs[i]);
		struct eval_ctx ctx = {.rs = rs, .row = row};
		agg_update(scope.slots, scope.nslots, (unsigned char *)accs, &ctx);
	}
	struct value key = {.type = V_NUM, .num = 2};
	struct eval_ctx ctx = {.rs = rs, .keys = &key, .accs = (unsigned char *)accs};
	struct value v = expr_eval(e, &ctx);
	CHECK("aggregate values", v.type == V_BOOL && v.num == 1, "got type %d %g", v.type, v.num);
	v = again ? expr_eval(again, &ctx) : (struct value){.type = V_NULL};
	CHECK("shared slots give the same values", v.type == V_BOOL && v.num == 1, "got type %d %g", v.type, v.num);
	agg_acc_free(scope.slots, scope.nslots, (unsigned char *)accs, 1);
	expr_free(again);
	expr_free(e);
	free(scope.slots);
	struct expr_scope bad = {.rs = rs, .aggregate = true, .group = month_key, .ngroup = 1};
	e = expr_compile("mean(n) > m", &bad, err, sizeof err, &pos);
	CHECK("column outside aggregate must be a key", !e && strstr(err, "'m' is used outside"), "%s", err);
	e = expr_compile("sum(count())", &bad, err, sizeof err, &pos);
	CHECK("nested aggregate refused", !e && strstr(err, "around another aggregate"), "%s", err);
	free(bad.slots);
	expr_free(month_key[0]);
}

/*
 * count_distinct over values that pack alike or nearly alike (0 and -0, tenths
 * and the double next to them, the edges of the one- and two-byte forms,
 * decimals past three, huge, tiny and negative numbers, blanks), against
 * counting pairs that compare equal with ==, blanks equal to each other.
 */
static void test_count_distinct(void)
{
	static const double tricky[] = {0, -0.0, 0.1, 0.30000000000000004, 0.3, 1, 223, 224, 225.5, 409.5, 409.6,
					409.59999999999997, 4095.9, 0.001, 0.0015, 0.0001, -1, -1.5, -0.1, 12.345,
					12.3456, 1e15, 9007199254740993.0, 1e300, 5e-324, NAN, 0.29999999999999993,
					0.7, 35.5, 35.50000000000001, 224.5, 0.05, 409.7, -409.5};
	const size_t ntricky = sizeof tricky / sizeof *tricky;
	char err[256];
	int pos;
	struct expr_scope scope = by_month();
	struct expr *e = expr_compile("count_distinct(n, m)", &scope, err, sizeof err, &pos);
	CHECK("count_distinct compiles", e != NULL, "%s at %d", err, pos);
	if (!e)
		return;
	uint64_t state = 2021;
	bool agree = true;
	int round = 0, want = 0;
	struct value v = {0};
	for (; round < 200 && agree; round++) {
		double pairs[64][2];
		int n = 1 + round % 64;
		for (int i = 0; i < n; i++) {
			for (int k = 0; k < 2; k++) {
				state = state * 6364136223846793005ULL + 1442695040888963407ULL;
				pairs[i][k] = tricky[(state >> 33) % ntricky]; /* NAN stands for a blank */
			}
		}
		want = distinct_pairs(pairs, n);
		v = pairs_counted(&scope, e, pairs, n);
		agree = v.type == V_NUM && v.num == want;
	}
	CHECK("count_distinct agrees with == in 200 groups", agree, "group %d: %g, want %d", round, v.num, want);
	int k = 0;
	while (k < 4096 && (double)k / 10 * 10 == k)
		k++;
	CHECK("a tenth below 409.6 times 10 is its whole number again (packing reads tenths so)", k == 4096,
	      "%d / 10 * 10 is not %d", k, k);
	expr_free(e);
	free(scope.slots);
	expr_free(month_key[0]);
}

/* HJ 633-2012 formula (1) on the decimal m / 10^scale, rounded up, from the public breakpoints: -1 off the scale. */
static int reference_index(enum aqi_item item, long long m, int scale)
{
	long long unit = 1;
	for (int k = 0; k < scale; k++)
		unit *= 10;
	int count;
	const int *bp = aqi_breakpoints(item, &count);
	for (int i = 1; i < count; i++) {
		if (m > bp[i] * unit)
			continue;
		long long num = (long long)(aqi_step(i) - aqi_step(i - 1)) * (m - bp[i - 1] * unit);
		long long den = (bp[i] - bp[i - 1]) * unit;
		return aqi_step(i - 1) + (int)(num / den + (num % den != 0));
	}
	return -1;
}

/*
 * Individual indexes of every concentration of one decimal up to 100.0 (a
 * table) and of two decimals (worked out), each item, against the formula.
 */
static void test_aqi_decimals(void)
{
	bool agree = true;
	double bad = 0;
	int item = 0, got = 0, want = 0;
	for (item = 0; item < AQI_ITEMS && agree; item++)
		for (long long m = 0; m <= 10000 && agree; m++) {
			for (int scale = 1; scale <= 2 && agree; scale++) {
				if (scale == 1 && m > 1000)
					continue;
				double c = (double)m / (scale == 1 ? 10 : 100);
				want = reference_index((enum aqi_item)item, m, scale);
				got = -1;
				bool ok = aqi_individual((enum aqi_item)item, c, &got);
				agree = ok ? got == want : want < 0;
				bad = c;
			}
		}
	CHECK("aqi of every tenth to 100 and hundredth to 100, each item, as the formula", agree,
	      "item %d at %.17g: %d, want %d", item - 1, bad, got, want);
}

/* The index aqi_individual() gives, or -1 for none. */
static int individual_or_none(enum aqi_item item, double c)
{
	int iaqi = -1;
	return aqi_individual(item, c, &iaqi) ? iaqi : -1;
}

/*
 * Individual indexes on either side of every point t where one steps (where
 * (I_hi - I_lo)(t - BP_lo) / (BP_hi - BP_lo) is an integer, breakpoints
 * too), each item, against the formula: t, and t plus and minus 10^-j written
 * with j decimals (2 to 11, at most 15 digits, so read back as written); and
 * the doubles next to a t that a double holds exactly, above 91: no
 * decimal short enough for written_decimal() gives them, so they are taken
 * to nine places, which is t (not from 512 to 901, where doubles lie further
 * apart than 13 decimals: written with 13, they are rounded up to nine).
 */
static void test_aqi_near_steps(void)
{
	bool agree = true;
	double bad = 0;
	int item = 0, got = 0, want = 0;
	long long checked = 0;
	for (item = 0; item < AQI_ITEMS && agree; item++) {
		int count;
		const int *bp = aqi_breakpoints((enum aqi_item)item, &count);
		for (int i = 1; i < count && agree; i++) {
			int steps = aqi_step(i) - aqi_step(i - 1), span = bp[i] - bp[i - 1];
			for (int n = 0; n <= steps && agree; n++) {
				long long t = bp[i - 1] * 100LL + n * span * 100LL / steps; /* in hundredths */
				long long unit = 1;
				for (int j = 2; j <= 11 && agree; j++, unit *= 10) {
					for (int side = -1; side <= 1 && agree; side++) {
						long long m = t * unit + side;
						if (m < 0 || (side == 0 && j > 2))
							continue;
						char text[48];
						long long pow10 = unit * 100;
						snprintf(text, sizeof text, "%lld.%0*lld", m / pow10, j, m % pow10);
						bad = strtod(text, NULL);
						want = reference_index((enum aqi_item)item, m, j);
						got = individual_or_none((enum aqi_item)item, bad);
						agree = got == want;
						checked++;
					}
				}
				if (t % 25 != 0 || t <= 9100 || (t >= 51200 && t < 90100) || !agree)
					continue;
				want = reference_index((enum aqi_item)item, t, 2);
				double at = (double)t / 100;
				for (int side = -1; side <= 1 && agree; side += 2) {
					bad = nextafter(at, side * INFINITY);
					got = individual_or_none((enum aqi_item)item, bad);
					agree = got == want;
					checked++;
				}
			}
		}
	}
	CHECK("aqi on either side of every step, each item, as the formula", agree,
	      "item %d at %.17g: %d, want %d (%lld checked)", item - 1, bad, got, want, checked);
}

/*
 * The highest concentration of each item whose index is at most a, for
 * every a of 0 to 500 (aqi_ceilings): it has an index of at most a, and the
 * next hundredth one above a or none; where it is +inf, no whole
 * concentration to 3000 has an index above a.
 */
static void test_aqi_ceilings(void)
{
	bool agree = true;
	int item = 0, a = 0, got = 0;
	double at = 0;
	aqi_tables_need();
	for (item = 0; item < AQI_ITEMS && agree; item++)
		for (a = 0; a <= AQI_MAX && agree; a++) {
			at = aqi_ceilings[a][item];
			if (at == INFINITY) {
				for (int c = 0; c <= 3000 && agree; c++)
					agree = individual_or_none((enum aqi_item)item, c) <= a;
				continue;
			}
			long long hundredths = llround(at * 100);
			got = individual_or_none((enum aqi_item)item, at);
			int next = reference_index((enum aqi_item)item, hundredths + 1, 2);
			agree = (double)hundredths / 100 == at && got >= 0 && got <= a && (next > a || next < 0);
		}
	CHECK("the highest concentration of each index, each item", agree, "item %d, index %d at %.17g: %d",
	      item - 1, a - 1, at, got);
}

/*
 * aqi_day(), aqi_top() and aqi_over() in turn on seven items of which one
 * changes each time, in each place, and on a blank where the seven were
 * numbers: each answer is the one of its own items, never the last call's.
 */
static void test_aqi_items_in_turn(void)
{
	static const char *const low[AQI_ITEMS] = {"5", "20", "40", "0.6", "150", "60", "30"};
	static const char *const high[AQI_ITEMS] = {"700", "300", "300", "15", "500", "300", "160"};
	static const char *const shown[AQI_ITEMS] = {"SO2", "NO2", "PM10", "CO", "O3_1h", "O3_8h", "PM2.5"};
	bool agree = true;
	char src[160], got_day[32] = "", got_top[32] = "", got_over[32] = "";
	int k = 0;
	for (k = 0; k < AQI_ITEMS && agree; k++) {
		for (int round = 0; round < 3 && agree; round++) {
			const char *items[AQI_ITEMS];
			for (int i = 0; i < AQI_ITEMS; i++)
				items[i] = i != k ? low[i] : round == 1 ? high[i] : round == 2 ? "null" : low[i];
			const char *fn[3] = {"aqi_day", "aqi_top", "aqi_over"};
			char *got[3] = {got_day, got_top, got_over};
			for (int f = 0; f < 3; f++) {
				snprintf(src, sizeof src, "%s(%s, %s, %s, %s, %s, %s, %s)", fn[f], items[0], items[1],
					 items[2], items[3], items[4], items[5], items[6]);
				snprintf(got[f], 32, "%s", run(src));
			}
			/* the low items' largest index is O3_1h's 47 (150 μg/m³), then PM2.5's 43 (30 μg/m³) */
			agree = round == 1 ? atoi(got_day) > 100 && strcmp(got_top, shown[k]) == 0 &&
						   strcmp(got_over, shown[k]) == 0
					 : strcmp(got_day, k == AQI_O3_1H && round == 2 ? "43" : "47") == 0 &&
						   strcmp(got_over, "") == 0;
		}
	}
	CHECK("aqi_day, aqi_top and aqi_over in turn, one item changing", agree,
	      "item %d: %s, %s, %s", k - 1, got_day, got_top, got_over);
}

/*
 * The seven indexes at once (aqi_individuals, each item's table its own)
 * against each item's alone, with the largest, on tuples of blanks,
 * negatives, whole numbers, tenths, hundredths and values past the top
 * breakpoints, every value in every place.
 */
static void test_aqi_individuals_at_once(void)
{
	static const double values[] = {-1, -0.0, 0, 1, 4.9, 35, 35.01, 75.5, 100, 120, 160, 215.75, 250.25, 501, 801,
					 1200, 2620, 2620.5, 3000, 0.6, 14.1, 60.01};
	const int nvalues = (int)(sizeof values / sizeof *values);
	bool agree = true;
	int round = 0, item = 0, iaqi[AQI_ITEMS] = {0}, best = -1, want = -1;
	double c[AQI_ITEMS];
	for (round = 0; round < nvalues * nvalues && agree; round++) {
		for (int k = 0; k < AQI_ITEMS; k++)
			c[k] = values[(round / nvalues * (k + 1) + round % nvalues * (k + 3) + k) % nvalues];
		best = aqi_individuals(c, iaqi);
		want = -1;
		for (item = 0; item < AQI_ITEMS && agree; item++) {
			int alone = individual_or_none((enum aqi_item)item, c[item]);
			agree = iaqi[item] == alone;
			want = alone > want ? alone : want;
		}
		agree = agree && best == want;
	}
	CHECK("the seven indexes at once as each item's alone", agree, "round %d, item %d at %g: %d (largest %d, want %d)",
	      round - 1, item - 1, item ? c[item - 1] : 0, item ? iaqi[item - 1] : 0, best, want);
}

/* The p-th percentile as it was defined: the values sorted (stably), then interpolated between ranks. */
static double reference_percentile(const double *vals, size_t n, double p)
{
	double *v = malloc(n * sizeof *v);
	memcpy(v, vals, n * sizeof *v);
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	double k = 1 + (double)(n - 1) * p / 100;
	size_t s = (size_t)floor(k);
	double r = s >= n ? v[n - 1] : v[s - 1] + (v[s] - v[s - 1]) * (k - (double)s);
	free(v);
	return r;
}

/*
 * Percentiles picked by selection, bit for bit those of a sort: lists of 1 to
 * 300 values with repeats, 0 and -0, negatives, values in order or reversed
 * and values all apart; several percentiles read of one list in turn, as a
 * rule and its message do.
 */
static void test_percentile_selection(void)
{
	static const double values[] = {0, -0.0, 0, 1, 1, 2.5, -3, 75, 75.5, 1e-9, -0.0, 35, 1e15, 0.1, 0.30000000000000004};
	static const double ps[] = {50, 95, 90, 0, 100, 25, 99.9, 50, 1, 75};
	uint64_t state = 633;
	bool agree = true;
	size_t n = 0;
	double p = 0, got = 0, want = 0;
	for (int round = 0; round < 400 && agree; round++) {
		n = 1 + (size_t)round % 300;
		double *list = malloc(n * sizeof *list);
		for (size_t i = 0; i < n; i++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			int order = round % 5;
			list[i] = order == 1 ? (double)i : order == 2 ? (double)(n - i) / 3
				: order == 4 ? (double)(state >> 11) / 9007199254740992.0 * 1000 - 500
				: values[(state >> 33) % (sizeof values / sizeof *values)] + (order == 3 ? (double)(state >> 60) : 0);
		}
		struct agg_acc acc = {.vals = malloc(n * sizeof *list), .nvals = (uint32_t)n, .cap = (uint32_t)n, .listed = true};
		memcpy(acc.vals, list, n * sizeof *list);
		for (size_t k = 0; k < sizeof ps / sizeof *ps && agree; k++) {
			p = ps[(k + (size_t)round) % (sizeof ps / sizeof *ps)];
			struct value v = agg_result(AGG_PERCENTILE, p, &acc);
			want = reference_percentile(list, n, p);
			got = v.num;
			agree = v.type == V_NUM && memcmp(&got, &want, sizeof got) == 0;
		}
		free(acc.vals);
		free(list);
	}
	CHECK("percentiles by selection are bit for bit those of a sort", agree, "%zu values, p %g: %.17g, want %.17g",
	      n, p, got, want);
	double six[] = {5, 1, 4, 2, 3, 0};
	struct agg_acc acc = {.vals = malloc(sizeof six), .nvals = 5, .cap = 6, .listed = true};
	memcpy(acc.vals, six, sizeof six);
	struct value first = agg_result(AGG_PERCENTILE, 50, &acc);
	struct value again = agg_result(AGG_PERCENTILE, 50, &acc);
	acc.nvals = 6; /* a value comes in */
	struct value more = agg_result(AGG_PERCENTILE, 50, &acc);
	struct value other = agg_result(AGG_PERCENTILE, 25, &acc);
	CHECK("a percentile is selected, remembered for its p until a value comes in, the values left in place",
	      first.num == 3 && again.num == 3 && more.num == 2.5 && other.num == 1.25 && !acc.sorted &&
	      !memcmp(acc.vals, six, sizeof six), "%g %g %g %g, sorted %d", first.num, again.num, more.num, other.num,
	      acc.sorted);
	free(acc.vals);
}

/*
 * A slot whose argument another slot of the scope has (count_if(x) in one
 * expression, ratio(x) in another) takes its value from it, with nulls and
 * falses among the rows; a column or a test of one is read in place, and so
 * is a band of one column, which count_if() and ratio() each test.
 */
static void test_shared_arguments(void)
{
	char err[256];
	int pos;
	struct expr_scope scope = by_month();
	struct expr *assert = expr_compile("count_if(n > 1 && m < 5) + count_if(m > 0) + count_if(n > 1 && n < 5)",
					   &scope, err, sizeof err, &pos);
	struct expr *message = expr_compile("ratio(n > 1 && m < 5) * 100 + ratio(m > 0) + mean(n) + ratio(n > 1 && n < 5)",
					    &scope, err, sizeof err, &pos);
	CHECK("shared arguments compile", assert && message, "%s at %d", err, pos);
	if (!assert || !message)
		return;
	CHECK("the same argument is read once", scope.nslots == 7 && scope.slots[3].read == AGG_READ_SHARED &&
	      scope.slots[3].shared == 0 && scope.slots[0].gives && scope.slots[1].read == AGG_READ_TEST &&
	      scope.slots[4].read == AGG_READ_SHARED && scope.slots[5].read == AGG_READ_CELL,
	      "%zu slots, reads %d %d %d", scope.nslots, scope.nslots > 3 ? (int)scope.slots[3].read : -1,
	      scope.nslots > 4 ? (int)scope.slots[4].read : -1, scope.nslots > 5 ? (int)scope.slots[5].read : -1);
	CHECK("a band is tested by each of its slots", scope.nslots == 7 && scope.slots[2].step == AGG_STEP_BAND &&
	      scope.slots[6].step == AGG_STEP_BAND && !scope.slots[2].gives && scope.slots[6].read != AGG_READ_SHARED,
	      "%zu slots", scope.nslots);
	struct agg_acc accs[8] = {0};
	double ns[] = {0, 2, NAN, 4, 7, 3}, ms[] = {1, -1, 2, NAN, 0, 5};
	for (int i = 0; i < 6; i++) {
		set_row(ns[i], ms[i], NULL, "2024-02-10", 1);
		struct eval_ctx ctx = {.rs = rs, .row = row};
		agg_update(scope.slots, scope.nslots, (unsigned char *)accs, &ctx);
	}
	struct value key = {.type = V_NUM, .num = 2};
	struct eval_ctx ctx = {.rs = rs, .keys = &key, .accs = (unsigned char *)accs};
	struct value a = expr_eval(assert, &ctx), b = expr_eval(message, &ctx);
	/*
	 * n > 1 && m < 5: true on (2, -1) and (7, 0), false on (0, 1) and (3, 5), null on the two with a blank;
	 * m > 0: 1, 2, 5 of five; n > 1 && n < 5: 2, 4, 3 of the five numbers
	 */
	CHECK("shared arguments count as their own", a.type == V_NUM && a.num == 2 + 3 + 3 && b.type == V_NUM &&
	      b.num == 2.0 / 4 * 100 + 3.0 / 5 + 16.0 / 5 + 3.0 / 5, "got %g and %.17g", a.num, b.num);
	agg_acc_free(scope.slots, scope.nslots, (unsigned char *)accs, 1);
	expr_free(message);
	expr_free(assert);
	free(scope.slots);
	expr_free(month_key[0]);
}

/* True if two accumulators hold the same numbers, bit for bit, and the same list and runs. */
/* Slot i's accumulator in a block of a test's (an array of struct agg_acc, room for every slot). */
#define ACC(block, i) agg_acc_of((unsigned char *)(block), &scope.slots[i])

/* True if two count_distinct accumulators keep the same tuples in pieces alike. */
static bool same_pieces(const struct tuple_piece *x, const struct tuple_piece *y)
{
	for (; x && y; x = x->older, y = y->older)
		if (x->used != y->used || memcmp(x->bytes, y->bytes, x->used) != 0)
			return false;
	return !x && !y;
}

static bool same_acc(const struct agg_acc *x, const struct agg_acc *y, enum agg_kind kind)
{
	if (agg_acc_size(kind) < sizeof *x) /* numbers and flags alone */
		return memcmp(x, y, agg_acc_size(kind)) == 0;
	return memcmp(&x->n, &y->n, sizeof x->n) == 0 && memcmp(&x->sum, &y->sum, sizeof x->sum) == 0 &&
	       memcmp(&x->hits, &y->hits, sizeof x->hits) == 0 && memcmp(&x->lo, &y->lo, sizeof x->lo) == 0 &&
	       memcmp(&x->hi, &y->hi, sizeof x->hi) == 0 && x->listed == y->listed && x->packed == y->packed &&
	       (x->listed ? x->nvals == y->nvals && (x->packed ? same_pieces(x->pieces, y->pieces)
							       : memcmp(x->vals, y->vals, x->nvals * sizeof *x->vals) == 0)
			  : x->run_from == y->run_from && x->best_from == y->best_from);
}

/* Compiles n sources into scope, one slot each (what: the check's name); false, said so, if they do not. */
static bool compile_slots(const char *const *sources, size_t n, struct expr_scope *scope, struct expr **e,
			  const char *what)
{
	char err[256] = "";
	int pos = 0;
	bool compiled = true;
	for (size_t i = 0; i < n; i++) {
		e[i] = expr_compile(sources[i], scope, err, sizeof err, &pos);
		compiled = compiled && e[i];
	}
	CHECK(what, compiled && scope->nslots == n, "%s at %d", err, pos);
	return compiled && scope->nslots == n;
}

/*
 * Compiles the n sources into e as aggregates judged in order by month
 * (scope), each a slot; *first_other: the first slot whose run is not the
 * one runs gives it, or n.  False if they do not compile.
 */
static bool runs_compiled(const char *const *sources, size_t n, const unsigned char *runs, struct expr_scope *scope,
			  struct expr **e, size_t *first_other)
{
	*scope = by_month();
	scope->ordered = true;
	if (!compile_slots(sources, n, scope, e, "the runs' aggregates compile"))
		return false;
	size_t i = 0;
	while (i < n && scope->slots[i].run == runs[i])
		i++;
	*first_other = i;
	return true;
}

/* The slots copied, each to be updated by the general update (AGG_STEP_ANY) rather than its own step. */
static void general_slots(const struct agg_slot *slots, size_t n, struct agg_slot *general)
{
	memcpy(general, slots, n * sizeof *general);
	for (size_t i = 0; i < n; i++)
		general[i].step = AGG_STEP_ANY;
}

/* Feeds the test row (its record at where) to slots' own steps, into fast, and to the general update, into slow. */
static void feed_both(const struct agg_slot *slots, const struct agg_slot *general, size_t n, struct agg_acc *fast,
		      struct agg_acc *slow, const struct value *where)
{
	struct eval_ctx ctx = {.rs = rs, .row = row, .where = where};
	agg_update(slots, n, (unsigned char *)fast, &ctx);
	agg_update(general, n, (unsigned char *)slow, &ctx);
}

/*
 * The first of n slots (compiled from sources) whose accumulators in fast
 * and slow differ, or n; a difference is told in what.
 */
static size_t first_differing(const struct agg_slot *slots, size_t n, const char *const *sources,
			      struct agg_acc *fast, struct agg_acc *slow, char *what, size_t size)
{
	size_t i = 0;
	while (i < n && same_acc(agg_acc_of((unsigned char *)fast, &slots[i]), agg_acc_of((unsigned char *)slow, &slots[i]),
				 slots[i].kind))
		i++;
	if (i < n) {
		const struct agg_acc *f = agg_acc_of((unsigned char *)fast, &slots[i]);
		const struct agg_acc *g = agg_acc_of((unsigned char *)slow, &slots[i]);
		snprintf(what, size, "%s: hits %g against %g, n %g against %g", sources[i], f->hits, g->hits, f->n, g->n);
	}
	return i;
}

/*
 * Each step agg_update takes in place (a count, a column's sum or mean, its
 * percentile, its presence, a test of it, a band of it for count_if() and
 * ratio(), its longest equal run) leaves the accumulator as the general update does,
 * over rows with blanks, numbers, equal runs and a cell of another type, in a
 * table of all of them and in a table of its own (which agg_update takes
 * without its loop); and a band another aggregate reads (longest_run) hands
 * its value on.
 */
static void test_steps_in_place(void)
{
	static const char *const sources[] = {
		"count()", "mean(n)", "sum(m)", "percentile(n, 90)", "count_if(n != null)", "count_if(n > 1 && n <= 5)",
		"ratio(n > 1 && n <= 5)", "count_if(m >= 0 && m < 3)", "ratio(b == true && b != false)",
		"count_if(n > 1 && m > 1)", "longest_equal_run(n)", "min(n)", "longest_run(n > 1 && n <= 5)",
		"count_if(n == null)"};
	static const enum agg_step steps[] = {
		AGG_STEP_COUNT, AGG_STEP_SUM_CELL, AGG_STEP_SUM_CELL, AGG_STEP_KEEP_CELL, AGG_STEP_COUNT_PRESENT,
		AGG_STEP_BAND, AGG_STEP_BAND, AGG_STEP_BAND, AGG_STEP_BAND, AGG_STEP_ANY, AGG_STEP_EQUAL_RUN_CELL,
		AGG_STEP_ANY, AGG_STEP_ANY, AGG_STEP_COUNT_IF_TEST};
	enum { NSRC = sizeof sources / sizeof *sources };
	struct expr_scope scope = by_month();
	scope.ordered = true;
	struct expr *e[NSRC];
	bool picked = true;
	if (!compile_slots(sources, NSRC, &scope, e, "the steps' aggregates compile"))
		return;
	size_t i = 0;
	for (; i < NSRC && picked; i++)
		picked = scope.slots[i].step == steps[i];
	CHECK("each aggregate takes its step", picked && scope.slots[12].read == AGG_READ_SHARED && scope.slots[5].gives,
	      "%s takes step %d", sources[i - 1], (int)scope.slots[i - 1].step);
	struct agg_slot general[NSRC];
	general_slots(scope.slots, NSRC, general);
	struct agg_acc fast[NSRC] = {{0}}, slow[NSRC] = {{0}}, lone[NSRC] = {{0}};
	struct value where[600];
	uint64_t state = 20;
	for (int r = 0; r < 600; r++) {
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned pick = (unsigned)(state >> 33);
		static const double numbers[] = {NAN, 0, 1, 1.5, 2, 3, 5, 5, 5, 6, -1, 2.5};
		set_row(numbers[pick % 12], numbers[pick / 12 % 12], pick % 5 ? "a" : NULL, "2024-02-10", (int)(pick / 144 % 3) - 1);
		if (pick % 17 == 0)
			row[N_] = (struct value){.type = V_STR, .str = "5", .len = 1}; /* a cell of another type than its tests' */
		where[r] = (struct value){.type = V_NUM, .num = r};
		feed_both(scope.slots, general, NSRC, fast, slow, &where[r]);
		struct eval_ctx ctx = {.rs = rs, .row = row, .where = &where[r]};
		for (i = 0; i < NSRC; i++) /* (but the one that takes another's value, which a table of its own has not) */
			if (scope.slots[i].read != AGG_READ_SHARED)
				agg_update(&scope.slots[i], 1, (unsigned char *)lone, &ctx);
	}
	char what[200] = "";
	CHECK("steps in place leave what the general update does",
	      first_differing(scope.slots, NSRC, sources, fast, slow, what, sizeof what) == NSRC, "%s", what);
	memcpy(ACC(lone, 12), ACC(slow, 12), agg_acc_size(scope.slots[12].kind)); /* left out above */
	CHECK("each step in a table of its own leaves what the general update does",
	      first_differing(scope.slots, NSRC, sources, lone, slow, what, sizeof what) == NSRC, "%s", what);
	CHECK("the rows fill every kind of step", ACC(fast, 5)->hits > 0 && ACC(fast, 5)->hits < 600 && ACC(fast, 6)->n < 600 &&
	      ACC(fast, 8)->hits > 0 && ACC(fast, 10)->hi >= 2 && ACC(fast, 3)->nvals > 32, "hits %g, n %g, run %g, kept %u",
	      ACC(fast, 5)->hits, ACC(fast, 6)->n, ACC(fast, 10)->hi, ACC(fast, 3)->nvals);
	agg_acc_free(scope.slots, NSRC, (unsigned char *)fast, 1);
	agg_acc_free(scope.slots, NSRC, (unsigned char *)slow, 1);
	agg_acc_free(scope.slots, NSRC, (unsigned char *)lone, 1);
	for (i = 0; i < NSRC; i++)
		expr_free(e[i]);
	free(scope.slots);
	expr_free(month_key[0]);
}

/*
 * count_distinct counts its tuples as they come while they are few and in
 * a table of them by their hashes at the end past that: groups of 1 to 40
 * distinct tuples (the few and the many, and 16 and 17 either side of the
 * change) and of 300 (a table larger than the one on the stack), each tuple
 * coming once and then again in random order (0 again as -0, blanks), read
 * from the cells and evaluated, all count exactly their distinct tuples;
 * 40 tuples in 64 bits of marks make many a mark come twice.
 */
static void test_count_distinct_as_they_come(void)
{
	static const char *const sources[] = {"count_distinct(n, m)", "count_distinct(n + 0, m)"};
	struct expr_scope scope = by_month();
	struct expr *e[2];
	if (!compile_slots(sources, 2, &scope, e, "count_distinct of cells and of expressions compile"))
		return;
	uint64_t state = 633;
	bool agree = true;
	int tuples = 0, which = 0;
	struct value v = {0};
	for (int size = 0; size <= 40 && agree; size++) {
		tuples = size < 40 ? size + 1 : 300;
		struct agg_acc accs[4] = {0};
		for (int r = 0; r < 3 * tuples; r++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			int k = r < tuples ? r : (int)(state >> 33) % tuples;
			double n = k ? k / 2.0 : r < tuples ? 0.0 : -0.0, m = k % 5 ? 300.5 + k : NAN;
			set_row(n, m, NULL, "2024-02-10", 1);
			struct eval_ctx ctx = {.rs = rs, .row = row};
			agg_update(scope.slots, scope.nslots, (unsigned char *)accs, &ctx);
		}
		struct value key = {.type = V_NUM, .num = 2};
		struct eval_ctx ctx = {.rs = rs, .keys = &key, .accs = (unsigned char *)accs};
		for (which = 0; which < 2 && agree; which++) {
			v = expr_eval(e[which], &ctx);
			agree = v.type == V_NUM && v.num == tuples;
		}
		agg_acc_free(scope.slots, scope.nslots, (unsigned char *)accs, 1);
	}
	CHECK("count_distinct counts tuples that come again once, few or many", agree, "%s over %d tuples: %g",
	      sources[which - 1], tuples, v.num);
	for (int i = 0; i < 2; i++)
		expr_free(e[i]);
	free(scope.slots);
	expr_free(month_key[0]);
}

/*
 * count_distinct of wide tuples, whose packed values take a byte, two or
 * more, in any mix: tuples of 3, 6 and 9 values (past a word) of two
 * columns over and over, each value of a byte, of two, blank or longer, so
 * that tuples all of single bytes are followed by ones that begin with a
 * value of two or a blank, and longer values lie anywhere in a word, and of
 * seven single bytes (a boolean) and the two columns, the word's last byte
 * the first of theirs, and of 16 values (the most), whose tuples of long
 * values are too wide for a piece of the usual size: groups of 1 to 60
 * rows, 16 and 17 distinct tuples either side of counting as they come,
 * count as many as there are distinct pairs of the two columns.
 */
static void test_count_distinct_wide(void)
{
	static const char *const sources[] = {"count_distinct(n, m, n)", "count_distinct(n, m, n, m, n, m)",
					      "count_distinct(n, m, n, m, n, m, n, m, n)",
					      "count_distinct(b, b, b, b, b, b, b, n, m)",
					      "count_distinct(n, m, n, m, n, m, n, m, n, m, n, m, n, m, n, m)"};
	static const double values[] = {0, 7, 35, 223, 0.9, 224, 409.5, NAN, 0.001, 1e300, 3, 0.5};
	const size_t nvalues = sizeof values / sizeof *values;
	uint64_t state = 663;
	bool agree = true;
	int rows = 0, want = 0;
	struct value v = {0};
	size_t which = 0;
	for (which = 0; which < sizeof sources / sizeof *sources && agree; which++) {
		struct expr_scope scope = by_month();
		struct expr *e;
		if (!compile_slots(&sources[which], 1, &scope, &e, "count_distinct of wide tuples compiles"))
			return;
		for (rows = 1; rows <= 60 && agree; rows++) {
			double pairs[60][2];
			for (int r = 0; r < rows; r++) {
				state = state * 6364136223846793005ULL + 1442695040888963407ULL;
				int k = (int)(state >> 33) % (rows < 30 ? 5 * rows : 144); /* most come once; some again */
				pairs[r][0] = values[k % nvalues], pairs[r][1] = values[k / nvalues % nvalues];
			}
			want = distinct_pairs(pairs, rows);
			v = pairs_counted(&scope, e, pairs, rows);
			agree = v.type == V_NUM && v.num == want;
		}
		expr_free(e);
		free(scope.slots);
		expr_free(month_key[0]);
	}
	CHECK("count_distinct counts wide tuples of values of a byte, two and more", agree, "%s over %d rows: %g, want %d",
	      sources[which - 1], rows - 1, v.num, want);
}

/*
 * The runs agg_update takes in one pass (agg_plan_runs) leave what the
 * general update of each slot does, bit for bit, on groups of no row, one
 * row, two and many: bands of one column side by side (a number outside
 * them all passes them by in one test, which each ratio() counts), sums,
 * percentiles, longest equal runs and null tests of columns side by side,
 * and count_distinct() of columns alone, over blanks, numbers of every
 * packed form (whole, tenths, decimals, any other, -0, the extremes) and
 * a cell of another type.  A table of no slots (NULL) is fed nothing.
 */
static void test_runs_in_place(void)
{
	static const char *const sources[] = {
		"count_if(n > 1 && n <= 2)", "ratio(n > 2 && n < 5)", "count_if(n >= 5 && n <= 5)", "ratio(n == 6 && n != 7)",
		"count_if(n <= 0.5 && n != 9)", "count_if(m > 0 && m <= 1)", "ratio(m > 1 && m <= 300)", "mean(n)",
		"mean(m)", "sum(n)", "percentile(n, 90)", "median(m)", "longest_equal_run(n)", "longest_equal_run(m)",
		"count_if(n != null)", "count_if(m != null)", "count_distinct(n, m, b)", "count_distinct(d, n)", "count()"};
	static const unsigned char runs[] = {5, 4, 3, 2, 1, 2, 1, 3, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1};
	enum { NSRC = sizeof sources / sizeof *sources };
	struct expr_scope scope;
	struct expr *e[NSRC];
	size_t i;
	if (!runs_compiled(sources, NSRC, runs, &scope, e, &i))
		return;
	CHECK("neighbours of one step make runs", i == NSRC && scope.slots[16].step == AGG_STEP_DISTINCT_CELLS,
	      "%s: run %d", i < NSRC ? sources[i] : "", i < NSRC ? scope.slots[i].run : 0);
	CHECK("a run of bands reaches as far as its bands", scope.slots[0].band.reach[0] == -INFINITY &&
	      scope.slots[0].band.reach[1] == 6 && scope.slots[4].band.reach[0] == -INFINITY &&
	      scope.slots[4].band.reach[1] == 0.5 && scope.slots[5].band.reach[0] == 0 && scope.slots[5].band.reach[1] == 300,
	      "reach %g to %g", scope.slots[0].band.reach[0], scope.slots[0].band.reach[1]);
	struct agg_slot general[NSRC];
	general_slots(scope.slots, NSRC, general);
	static const double numbers[] = {NAN, 0, -0.0, 1, 1.5, 2, 3, 4.999, 5, 5, 5, 6, 6.5, 7, -1, -0.5, 250, 300.25,
					 1e300, -1e300, 1e-300, 0.1, 409.5, 1234.567, 2.5e15, 1.0 / 3};
	enum { NNUM = sizeof numbers / sizeof *numbers };
	static const int sizes[] = {0, 1, 2, 700};
	struct value where[700];
	uint64_t state = 7;
	bool same = true, inside = false, outside = false;
	double hits = 0;
	for (size_t g = 0; g < sizeof sizes / sizeof *sizes && same; g++) {
		struct agg_acc fast[NSRC] = {{0}}, slow[NSRC] = {{0}};
		struct eval_ctx none = {.rs = rs, .row = row};
		agg_update(NULL, 0, (unsigned char *)fast, &none); /* a table of no slots: no block is touched */
		for (int r = 0; r < sizes[g]; r++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			unsigned pick = (unsigned)(state >> 33);
			double n = numbers[pick % NNUM];
			set_row(n, numbers[pick / NNUM % NNUM], NULL, pick % 7 ? "2024-02-10" : NULL, (int)(pick / 997 % 3) - 1);
			if (pick % 19 == 0)
				row[N_] = (struct value){.type = V_STR, .str = "5", .len = 1}; /* a cell of another type than its tests' */
			inside = inside || (n > 1 && n < 7), outside = outside || n > 7 || n < -1;
			where[r] = (struct value){.type = V_NUM, .num = r};
			feed_both(scope.slots, general, NSRC, fast, slow, &where[r]);
		}
		char what[200] = "";
		same = first_differing(scope.slots, NSRC, sources, fast, slow, what, sizeof what) == NSRC;
		CHECK("runs leave what the general update does", same, "%d rows, %s", sizes[g], what);
		for (i = 0; i < 4; i++)
			hits += ACC(fast, i)->hits;
		agg_acc_free(scope.slots, NSRC, (unsigned char *)fast, 1);
		agg_acc_free(scope.slots, NSRC, (unsigned char *)slow, 1);
	}
	CHECK("the rows fall inside the bands and outside them", inside && outside && hits > 0, "hits %g", hits);
	for (i = 0; i < NSRC; i++)
		expr_free(e[i]);
	free(scope.slots);
	expr_free(month_key[0]);
}

/*
 * A table that is one run is fed by agg_update in one pass, without
 * update_runs' loop: each run of a table (bands of a column, sums and
 * means with the counts between them, longest equal runs and null tests of
 * columns, two percentiles, a test of a column), fed as a table of its own,
 * leaves what the general update of its slots does, bit for bit, over 700
 * rows whose percentiles' lists grow past their room again and again; and so
 * does a percentile that counts its numbers for a count_if(x != null)
 * merged into it.
 */
static void test_runs_alone(void)
{
	static const char *const sources[] = {
		"count_if(n > 1 && n <= 2)", "ratio(n > 2 && n < 5)", "count_if(n >= 5 && n <= 5)", "mean(n)", "count()",
		"sum(m)", "longest_equal_run(n)", "longest_equal_run(m)", "count_if(n != null)", "count_if(m != null)",
		"percentile(n, 90)", "median(m)", "count_if(n == null)", "ratio(m > 0 && m <= 300)"};
	static const unsigned char runs[] = {3, 2, 1, 3, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1};
	enum { NSRC = sizeof sources / sizeof *sources };
	struct expr_scope scope;
	struct expr *e[NSRC];
	size_t i;
	if (!runs_compiled(sources, NSRC, runs, &scope, e, &i))
		return;
	CHECK("a count joins the run of sums and means about it", i == NSRC && scope.slots[4].step == AGG_STEP_COUNT,
	      "%s: run %d", i < NSRC ? sources[i] : "", i < NSRC ? scope.slots[i].run : 0);
	struct expr_scope merging = {.rs = rs, .aggregate = true, .group = month_key, .ngroup = 1, .merges_slots = true};
	struct expr *m[2];
	static const char *const counted[] = {"median(n)", "count_if(n != null)"};
	char err[256] = "";
	int pos = 0;
	m[0] = expr_compile(counted[0], &merging, err, sizeof err, &pos);
	m[1] = expr_compile(counted[1], &merging, err, sizeof err, &pos);
	CHECK("a percentile counts its numbers for a count_if(x != null) merged into it",
	      m[0] && m[1] && merging.nslots == 1 && merging.slots[0].step == AGG_STEP_KEEP_COUNT_CELL, "%s at %d", err, pos);
	struct agg_slot general[NSRC], counted_general[1];
	general_slots(scope.slots, NSRC, general);
	general_slots(merging.slots, 1, counted_general);
	struct agg_acc alone[NSRC] = {{0}}, slow[NSRC] = {{0}}, counts[1] = {{0}}, counts_slow[1] = {{0}};
	static const double numbers[] = {NAN, 0, -0.0, 1, 1.5, 2, 3, 4.999, 5, 5, 5, 6, 6.5, 7, -1, 250, 300, 1e300};
	enum { NNUM = sizeof numbers / sizeof *numbers };
	struct value where[700];
	uint64_t state = 11;
	double last = 0, run = 0, longest = 0; /* n's longest run of one number, blanks and texts passed by, counted plainly */
	for (int r = 0; r < 700; r++) {
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned pick = (unsigned)(state >> 33);
		set_row(numbers[pick % NNUM], numbers[pick / NNUM % NNUM], NULL, "2024-02-10", 1);
		if (pick % 19 == 0)
			row[N_] = (struct value){.type = V_STR, .str = "5", .len = 1}; /* a cell of another type than its tests' */
		if (row[N_].type == V_NUM) {
			run = run && row[N_].num == last ? run + 1 : 1, last = row[N_].num;
			longest = run > longest ? run : longest;
		}
		where[r] = (struct value){.type = V_NUM, .num = r};
		struct eval_ctx ctx = {.rs = rs, .row = row, .where = &where[r]};
		for (i = 0; i < NSRC; i += scope.slots[i].run)
			agg_update(&scope.slots[i], scope.slots[i].run, (unsigned char *)alone, &ctx);
		agg_update(general, NSRC, (unsigned char *)slow, &ctx);
		agg_update(merging.slots, 1, (unsigned char *)counts, &ctx);
		agg_update(counted_general, 1, (unsigned char *)counts_slow, &ctx);
	}
	char what[200] = "";
	CHECK("each run in a table of its own leaves what the general update does",
	      first_differing(scope.slots, NSRC, sources, alone, slow, what, sizeof what) == NSRC, "%s", what);
	CHECK("a longest equal run is the longest run of one number", ACC(alone, 6)->hi == longest && longest >= 2,
	      "%g, not %g", ACC(alone, 6)->hi, longest);
	CHECK("a counting percentile in a table of its own leaves what the general update does",
	      first_differing(merging.slots, 1, counted, counts, counts_slow, what, sizeof what) == 1 &&
	      counts[0].hits > 0 && counts[0].nvals > 256, "%s; hits %g, kept %u", what, counts[0].hits, counts[0].nvals);
	agg_acc_free(scope.slots, NSRC, (unsigned char *)alone, 1);
	agg_acc_free(scope.slots, NSRC, (unsigned char *)slow, 1);
	agg_acc_free(merging.slots, 1, (unsigned char *)counts, 1);
	agg_acc_free(merging.slots, 1, (unsigned char *)counts_slow, 1);
	for (i = 0; i < NSRC; i++)
		expr_free(e[i]);
	for (i = 0; i < 2; i++)
		expr_free(m[i]);
	free(scope.slots);
	free(merging.slots);
	expr_free(month_key[0]);
}

/*
 * A table of count() and one other slot that make two runs is fed by
 * agg_update without update_runs' loop: the count added, the other slot
 * taken as a table of its own.  Each such table (count_distinct() of
 * columns, a percentile whose list grows past its room, a band, a
 * longest_run(), a ratio() evaluated), a count joined to a mean's run, and
 * a count before two slots that share an argument, leave what the general
 * update of their slots does, bit for bit, over 700 rows, a few of them no
 * row at all (each argument null).
 */
static void test_count_and_one_other(void)
{
	static const char *const tables[][3] = {
		{"count()", "count_distinct(n, m)"}, {"count()", "percentile(n, 90)"}, {"count()", "ratio(n > 1 && n <= 5)"},
		{"count()", "longest_run(n > 2)"}, {"count()", "ratio(b)"}, {"count()", "mean(n)"},
		{"count()", "count_if(n > 1 && m > 1)", "ratio(n > 1 && m > 1)"}};
	enum { NTAB = sizeof tables / sizeof *tables };
	static const double numbers[] = {NAN, 0, -0.0, 1, 1.5, 2, 3, 5, 5, 6, -1, 250, 300.25, 1e300};
	enum { NNUM = sizeof numbers / sizeof *numbers };
	for (size_t t = 0; t < NTAB; t++) {
		size_t n = tables[t][2] ? 3 : 2;
		struct expr_scope scope = by_month();
		scope.ordered = true;
		struct expr *e[3];
		if (!compile_slots(tables[t], n, &scope, e, "count() and other aggregates compile"))
			return;
		bool planned = scope.slots[0].step == AGG_STEP_COUNT && scope.slots[0].run == (t == 5 ? 2 : 1) &&
			       (n == 2 || scope.slots[2].read == AGG_READ_SHARED);
		CHECK("count() is a run of its own but beside a mean, and the last slot of three takes a value given",
		      planned, "%s: run %d", tables[t][1], scope.slots[0].run);
		struct agg_slot general[3];
		general_slots(scope.slots, n, general);
		struct agg_acc fast[3] = {{0}}, slow[3] = {{0}};
		struct value where[700];
		uint64_t state = 29 + t;
		for (int r = 0; r < 700; r++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			unsigned pick = (unsigned)(state >> 33);
			set_row(numbers[pick % NNUM], numbers[pick / NNUM % NNUM], NULL, "2024-02-10", (int)(pick / 997 % 3) - 1);
			where[r] = (struct value){.type = V_NUM, .num = r};
			struct eval_ctx ctx = {.rs = rs, .row = r % 97 == 50 ? NULL : row, .where = &where[r]};
			agg_update(scope.slots, n, (unsigned char *)fast, &ctx);
			agg_update(general, n, (unsigned char *)slow, &ctx);
		}
		char what[200] = "";
		CHECK("count() and one other slot leave what the general update does",
		      first_differing(scope.slots, n, tables[t], fast, slow, what, sizeof what) == n && ACC(fast, 0)->n == 700,
		      "%s", what);
		agg_acc_free(scope.slots, n, (unsigned char *)fast, 1);
		agg_acc_free(scope.slots, n, (unsigned char *)slow, 1);
		for (size_t i = 0; i < n; i++)
			expr_free(e[i]);
		free(scope.slots);
		expr_free(month_key[0]);
	}
}

/* The bytes a varint of v takes, 7 bits a byte. */
static size_t varint_bytes(uint64_t v)
{
	size_t n = 1;
	for (; v >= 128; v >>= 7)
		n++;
	return n;
}

/*
 * The bytes count_distinct packs a value in, by the forms pack_value's
 * comment gives, worked out plainly: a blank 1; a whole number below 224, 1;
 * tenths below 409.6, 2; a number of at most three decimals, 1 and its
 * zigzag varint; any other 9.
 */
static size_t packed_bytes(double d)
{
	static const double scale[] = {1, 10, 100, 1000};
	if (isnan(d))
		return 1;
	if (d >= 0 && d < 224 && d == floor(d))
		return 1;
	if (d >= 0 && d < 409.6 && floor(d * 10) / 10 == d)
		return 2;
	for (int s = 0; s < 4; s++) {
		if (!(fabs(d * scale[s]) < 9007199254740992.0) || round(d * scale[s]) / scale[s] != d)
			continue;
		long long k = llround(d * scale[s]);
		return 1 + varint_bytes(k < 0 ? ~((uint64_t)k << 1) : (uint64_t)k << 1);
	}
	return 9;
}

/*
 * Each value of a count_distinct's tuple is kept in the bytes its packed
 * form takes, which the memory limit counts: whole numbers and tenths
 * about the edges of the one- and two-byte forms (223, 224, 409.5, 409.6
 * and the doubles next to them), 0 and -0, negative, decimal, huge and tiny
 * numbers and a blank, each in a group of its own.
 */
static void test_packed_sizes(void)
{
	struct expr_scope scope = by_month();
	const char *source = "count_distinct(n)";
	struct expr *e;
	if (!compile_slots(&source, 1, &scope, &e, "count_distinct of a column compiles"))
		return;
	double values[8500];
	size_t n = 0;
	static const double edges[] = {0, -0.0, 223, 224, 225, 223.9, 224.1, 409.5, 409.6, 409.7, 35.5, 0.05, -1, -0.5,
				       -409.5, 12.345, 12.3456, 1e15, 9007199254740993.0, 1e300, 5e-324, NAN, 1.0 / 3};
	for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
		values[n++] = edges[k];
	for (int k = 0; k < 4200; k++) /* every tenth up to 420, and the double just below each */
		values[n++] = k / 10.0, values[n++] = nextafter(k / 10.0, -1);
	size_t k = 0;
	uint64_t kept = 0;
	for (; k < n; k++) {
		struct agg_acc acc = {0};
		set_row(values[k], 0, NULL, "2024-02-10", 1);
		struct eval_ctx ctx = {.rs = rs, .row = row};
		agg_update(scope.slots, 1, (unsigned char *)&acc, &ctx);
		kept = agg_acc_kept_bytes(scope.slots, 1, (unsigned char *)&acc);
		agg_acc_free(scope.slots, 1, (unsigned char *)&acc, 1);
		if (kept != packed_bytes(values[k]))
			break;
	}
	CHECK("each value is kept in the bytes of its packed form", k == n, "%.17g: %llu bytes, not %zu",
	      k < n ? values[k] : 0, (unsigned long long)kept, k < n ? packed_bytes(values[k]) : 0);
	expr_free(e);
	free(scope.slots);
	expr_free(month_key[0]);
}

/* The slots test_merged_slots's first sources keep: which merged, into what, and which did not. */
static bool merged_as_written(const struct agg_slot *s, size_t n)
{
	return n == 10 && s[4].kind == AGG_RATIO && s[4].step == AGG_STEP_BAND && s[3].kind == AGG_RATIO &&
	       s[3].step == AGG_STEP_ANY && s[5].kind == AGG_PERCENTILE && s[5].counts &&
	       s[5].step == AGG_STEP_KEEP_COUNT_CELL && s[0].kind == AGG_COUNT_IF && !s[2].counts && !s[6].counts &&
	       !s[9].counts && s[7].kind == AGG_COUNT_IF && s[8].kind == AGG_COUNT_IF;
}

/* The slots test_merged_slots's second sources keep: none merged. */
static bool none_merged(const struct agg_slot *s, size_t n)
{
	(void)s;
	return n == 9;
}

/* True if each slot's accumulator follows the one before, of its kind's size: none overlaps another. */
static bool laid_end_to_end(const struct agg_slot *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].at != (i ? s[i - 1].at + s[i - 1].size : 0) || s[i].size != agg_acc_size(s[i].kind))
			return false;
	return true;
}

/*
 * Compiles sources in a scope that merges slots and in one that does not (a
 * view's), checks the merged slots (slots_ok, laid end to end) and that each expression gives
 * the same, bit for bit, over rows of numbers and blanks, as a checked file's are.
 */
static void check_merges(const char *name, const char *const *sources, size_t nsources,
			 bool (*slots_ok)(const struct agg_slot *, size_t), size_t apart_slots)
{
	char err[256];
	int pos;
	struct expr_scope merged = by_month(), apart = merged;
	merged.merges_slots = true;
	struct expr *e[8], *f[8];
	bool compiled = nsources <= 8;
	for (size_t i = 0; i < nsources && compiled; i++) {
		e[i] = expr_compile(sources[i], &merged, err, sizeof err, &pos);
		f[i] = expr_compile(sources[i], &apart, err, sizeof err, &pos);
		compiled = e[i] && f[i];
	}
	CHECK(name, compiled && slots_ok(merged.slots, merged.nslots) && apart.nslots == apart_slots &&
	      laid_end_to_end(merged.slots, merged.nslots),
	      "%zu slots and %zu apart", merged.nslots, apart.nslots);
	if (!compiled)
		return;
	struct agg_acc one[16] = {{0}}, other[16] = {{0}};
	uint64_t state = 7;
	for (int r = 0; r < 500; r++) {
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned pick = (unsigned)(state >> 33);
		static const double numbers[] = {NAN, 0, 1, 1.5, 2, 3, 5, 5, -0.0, 6, 2.5, 4.75, NAN};
		set_row(numbers[pick % 13], numbers[pick / 13 % 13], pick % 5 ? "a" : NULL, pick % 7 ? "2024-02-10" : NULL, 1);
		struct eval_ctx ctx = {.rs = rs, .row = row};
		agg_update(merged.slots, merged.nslots, (unsigned char *)one, &ctx);
		agg_update(apart.slots, apart.nslots, (unsigned char *)other, &ctx);
	}
	struct value key = {.type = V_NUM, .num = 2};
	struct eval_ctx ctx = {.rs = rs, .keys = &key, .accs = (unsigned char *)one};
	struct eval_ctx ctx_apart = {.rs = rs, .keys = &key, .accs = (unsigned char *)other};
	size_t i = 0;
	struct value a = {0}, b = {0};
	for (; i < nsources; i++) {
		a = expr_eval(e[i], &ctx), b = expr_eval(f[i], &ctx_apart);
		if (a.type != b.type || memcmp(&a.num, &b.num, sizeof a.num) != 0 || a.type != V_NUM)
			break;
	}
	CHECK("merged slots give what slots of their own do", i == nsources, "%s: %.17g against %.17g",
	      i < nsources ? sources[i] : "", a.num, b.num);
	agg_acc_free(merged.slots, merged.nslots, (unsigned char *)one, 1);
	agg_acc_free(apart.slots, apart.nslots, (unsigned char *)other, 1);
	for (i = 0; i < nsources; i++)
		expr_free(e[i]), expr_free(f[i]);
	free(merged.slots);
	free(apart.slots);
	expr_free(month_key[0]);
}

/*
 * In a rule's scope (merges_slots) count_if(x) and ratio(x) keep one slot,
 * and so do count_if(x != null) and a percentile of the number column x,
 * whichever is written first; what is not the same keeps a slot of its own:
 * another argument, another column, a text or date column, a count_if(x !=
 * null) that is not the last slot when the percentile comes.
 */
static void test_merged_slots(void)
{
	static const char *const sources[] = {
		"count_if(m != null) + count()",
		"median(m) + count_if(m > 2)",
		"count_if(n > 1 && n <= 5) + count_if(n != null) * 7 + percentile(n, 90)",
		"median(n) + 1000 * ratio(n > 1 && n <= 5) + count_if(n != null)",
		"ratio(m > 2) + count_if(m != null) + count_if(s != null) + count_if(d != null)",
		"percentile(n, 10) + median(m) * 2"};
	static const char *const others[] = {
		"count_if(n != null) + median(m)",
		"count_if(m > 1) + ratio(m > 2)",
		"percentile(n, 75) + count_if(m + 0 != null) + ratio(n >= 1)",
		"count_if(n > 1) * count_if(m == null)"};
	check_merges("count_if and ratio of one argument, and a percentile and the count of its column, keep one slot",
		     sources, sizeof sources / sizeof *sources, merged_as_written, 13);
	check_merges("other arguments and other columns keep slots of their own", others, sizeof others / sizeof *others,
		     none_merged, 9);
	/* a percentile that takes a count_if's slot, in an expression that then fails, leaves the slot its own expression's */
	char err[256];
	int pos;
	struct expr_scope scope = by_month();
	scope.merges_slots = true;
	struct expr *when = expr_compile("count_if(n != null) >= 2", &scope, err, sizeof err, &pos);
	struct expr *failed = expr_compile("median(n) > nosuch", &scope, err, sizeof err, &pos);
	struct expr *assert = expr_compile("median(n) + count_if(n != null) > 0", &scope, err, sizeof err, &pos);
	CHECK("a failed expression leaves a merged slot to the one that made it", when && !failed && assert &&
	      scope.nslots == 1 && scope.slots[0].expr == when && scope.slots[0].counts, "%zu slots", scope.nslots);
	expr_free(when);
	expr_free(assert);
	free(scope.slots);
	expr_free(month_key[0]);
}

/* A text value of s. */
static struct value text(const char *s) { return (struct value){.type = V_STR, .str = s, .len = strlen(s)}; }

/*
 * Natural order from its definition, as -1, 0 or 1: each text cut into
 * pieces, a run of digits or one other byte; pieces compared in turn, two
 * runs by their value (the one with more digits but for leading zeros is
 * larger, then digit by digit), then the one with fewer leading zeros first;
 * any other two by their first bytes; a text that runs out first is smaller.
 */
static int natural_reference(const char *a, const char *b)
{
	for (;;) {
		if (!*a || !*b)
			return (*a != 0) - (*b != 0);
		size_t ra = strspn(a, "0123456789"), rb = strspn(b, "0123456789");
		if (!ra || !rb) {
			if (*a != *b)
				return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
			a++, b++;
			continue;
		}
		size_t za = 0, zb = 0;
		while (za < ra && a[za] == '0')
			za++;
		while (zb < rb && b[zb] == '0')
			zb++;
		if (ra - za != rb - zb)
			return ra - za < rb - zb ? -1 : 1;
		int c = strncmp(a + za, b + zb, ra - za);
		if (c)
			return c < 0 ? -1 : 1;
		if (za != zb)
			return za < zb ? -1 : 1;
		a += ra, b += rb;
	}
}

/*
 * Natural order: digits by value, the same value with fewer zeros first, the
 * rest bytewise; and over random texts of letters and digits, an order
 * (antisymmetric, transitive, 0 only for equal texts), as streaming relies on.
 */
static void test_natural_order(void)
{
	static const char *const rising[] = {"", "0", "00", "1", "01", "2", "10", "A", "QY-AQ-2", "QY-AQ-10", "S1",
					     "S2", "S9x", "S10", "S10a", "S011", "b"};
	size_t i = 0;
	for (; i + 1 < sizeof rising / sizeof *rising; i++) {
		struct value a = text(rising[i]), b = text(rising[i + 1]);
		if (value_order_natural(&a, &b) >= 0 || value_order_natural(&b, &a) <= 0)
			break;
	}
	CHECK("natural order of examples", i + 1 == sizeof rising / sizeof *rising, "'%s' and '%s'", rising[i],
	      i + 1 < sizeof rising / sizeof *rising ? rising[i + 1] : "");
	static char texts[300][8];
	uint64_t state = 7;
	for (int i = 0; i < 300; i++) {
		int len = i % 7;
		for (int k = 0; k < len; k++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			texts[i][k] = "0019aZ"[(state >> 33) % 6];
		}
		texts[i][len] = 0;
	}
	bool order = true;
	for (int i = 0; i < 300 && order; i++)
		for (int j = 0; j < 300 && order; j++) {
			struct value a = text(texts[i]), b = text(texts[j]);
			int ab = value_order_natural(&a, &b), ba = value_order_natural(&b, &a);
			order = (ab > 0) - (ab < 0) == -((ba > 0) - (ba < 0)) && (ab == 0) == (strcmp(texts[i], texts[j]) == 0);
			for (int k = 0; k < 300 && order; k += 7) {
				struct value c = text(texts[k]);
				if (ab < 0 && value_order_natural(&b, &c) < 0)
					order = value_order_natural(&a, &c) < 0;
			}
		}
	CHECK("natural order is an order on 300 texts", order, "it is not");
	int agree = 0, pairs = 0;
	for (int i = 0; i < 300; i++)
		for (int j = 0; j < 300; j++, pairs++) {
			struct value a = text(texts[i]), b = text(texts[j]);
			int ab = value_order_natural(&a, &b);
			agree += (ab > 0) - (ab < 0) == natural_reference(texts[i], texts[j]);
		}
	CHECK("natural order as its definition gives it, on 90,000 pairs", agree == pairs, "%d of %d agree", agree, pairs);
}

/* Evaluates a compiled expression on the test row and renders the result. */
static const char *value_of(const struct expr *e)
{
	static struct buf out;
	struct eval_ctx ctx = {.rs = rs, .row = row};
	struct value v = expr_eval(e, &ctx);
	buf_reset(&out);
	value_format(&v, &out);
	return out.data;
}

/* Evaluates a compiled expression in a context and renders the result. */
static const char *value_of_ctx(const struct expr *e, const struct eval_ctx *ctx)
{
	static struct buf out;
	struct value v = expr_eval(e, ctx);
	buf_reset(&out);
	value_format(&v, &out);
	return out.data;
}

/*
 * year(), month(), day() and days_in_month() of a date column, which read the
 * month last asked for when a date falls in it, against civil_from_days, on
 * dates that walk on and back across months, years, leap days and 1970, and
 * on parts of a day (truncated towards 1970-01-01, as civil_from_days takes
 * them) and -0.
 */
static void test_date_parts_remembered(void)
{
	static const char *const src[4] = {"year(d)", "month(d)", "day(d)", "days_in_month(d)"};
	static const double fixed[] = {0, -0.0, -1, -0.5, 0.5, -1.5, -31, -32, 30.999, 31, 58, 59, 60, 59.5,
				       19782, 19782.25, 19723, 19722, 19753, 19752, 19783, 19812, 19813, -365, 0};
	struct expr_scope scope = {.rs = rs};
	char err[256];
	int pos;
	struct expr *e[4];
	for (int f = 0; f < 4; f++)
		e[f] = expr_compile(src[f], &scope, err, sizeof err, &pos);
	set_row(1, 1, "x", NULL, 1);
	bool same = true;
	char what[160] = "";
	unsigned seed = 7;
	double day = 19000;
	for (size_t i = 0; i < 4000 && same; i++) {
		if (i < sizeof fixed / sizeof *fixed) {
			day = fixed[i];
		} else { /* on by a day mostly, now and then a jump back or on, or into a day's parts */
			seed = seed * 1103515245 + 12345;
			unsigned r = seed >> 16 & 31;
			day += r < 20 ? 1 : r < 24 ? -(double)(r * 7) : r < 28 ? (double)(r * 11) : r == 28 ? 0.5 : -400.25;
		}
		row[D_] = (struct value){.type = V_DATE, .num = day};
		int y, m, d;
		civil_from_days(day, &y, &m, &d);
		const int want[4] = {y, m, d, days_in_month(y, m)};
		for (int f = 0; f < 4 && same; f++) {
			struct eval_ctx ctx = {.rs = rs, .row = row};
			struct value v = expr_eval(e[f], &ctx);
			same = v.type == V_NUM && v.num == want[f];
			if (!same)
				snprintf(what, sizeof what, "%s of day %g is %g, not %d", src[f], day, v.num, want[f]);
		}
	}
	CHECK("date parts of the month last asked for are civil_from_days's", same, "%s", what);
	for (int f = 0; f < 4; f++)
		expr_free(e[f]);
	free(scope.slots);
}

/*
 * aqi_day(), aqi_top() and aqi_over() of seven columns, whose cells are read
 * where they lie, against the same calls with an argument that is not a
 * column (evaluated), on rows of blanks, negatives, decimals, values
 * on and past the top breakpoints, with and without a row's stamp, first
 * on their row or after the evaluated call.
 */
static void test_aqi_items_of_cells(void)
{
	static const double values[] = {NAN, 0, -0.0, -1, 4.9, 35, 75.5, 120, 160, 250.25, 501, 801, 1200, 2620, 3000};
	static const char *const fn[3] = {"aqi_day", "aqi_top", "aqi_over"};
	const size_t nvalues = sizeof values / sizeof *values;
	char err[256], src[96], want[64] = "";
	int pos;
	struct expr_scope scope = {.rs = rs};
	struct expr *of_cells[3], *evaluated[3];
	for (int f = 0; f < 3; f++) {
		snprintf(src, sizeof src, "%s(n, m, m, n, n, m, n)", fn[f]);
		of_cells[f] = expr_compile(src, &scope, err, sizeof err, &pos);
		snprintf(src, sizeof src, "%s(n, m, m, n, n, m, n * 1)", fn[f]);
		evaluated[f] = expr_compile(src, &scope, err, sizeof err, &pos);
		CHECK("aqi calls compile", of_cells[f] && evaluated[f], "%s at %d", err, pos);
		if (!of_cells[f] || !evaluated[f])
			return;
	}
	bool agree = true;
	const char *got = "";
	size_t i = 0, j = 0;
	int f = 0;
	for (int stamped = 0; stamped < 2 && agree; stamped++)
		for (f = 0; f < 3 && agree; f++)
			for (i = 0; i < nvalues && agree; i++)
				for (j = 0; j < nvalues && agree; j++) {
					set_row(values[i], values[j], j % 2 ? "75" : NULL, NULL, (int)(i % 3) - 1);
					struct eval_ctx ctx = {.rs = rs, .row = row, .stamp = stamped ? expr_row_stamp() : 0};
					/* first on its row, every other time: a stamp not seen yet, read straight in */
					bool cells_first = (i + j) % 2;
					static char got_first[64];
					if (cells_first)
						snprintf(got_first, sizeof got_first, "%s", value_of_ctx(of_cells[f], &ctx));
					snprintf(want, sizeof want, "%s", value_of_ctx(evaluated[f], &ctx));
					got = cells_first ? got_first : value_of_ctx(of_cells[f], &ctx);
					agree = strcmp(got, want) == 0;
				}
	CHECK("aqi_day, aqi_top and aqi_over of columns as of evaluated arguments", agree,
	      "%s with n %g, m %g: %s, want %s", fn[f - 1], values[i - 1], values[j - 1], got, want);
	for (f = 0; f < 3; f++) {
		expr_free(of_cells[f]);
		expr_free(evaluated[f]);
	}
	free(scope.slots);
}

/*
 * aqi_day() of columns compared with a number by <= and by > (held against
 * the ceilings of its whole part) as aqi_day() of an evaluated argument
 * compared with it, on pairs of values about the ceilings and the tops, each
 * number from below 0 to past 500.
 */
static void test_aqi_day_compared(void)
{
	static const double values[] = {NAN, 0, -0.0, -1, 4.9, 34.99, 35, 35.01, 74.99, 75, 75.000000001, 75.01, 100,
					 150, 160, 160.4, 250.25, 475, 500, 501, 800, 800.5, 801, 1200, 2620, 3000};
	static const char *const numbers[] = {"-1", "0", "49", "50", "99.5", "100", "100.5", "101", "150", "299", "300",
					      "499", "500", "600"};
	const size_t nvalues = sizeof values / sizeof *values, nnumbers = sizeof numbers / sizeof *numbers;
	char err[256], src[96], want[64] = "", got[64] = "";
	int pos;
	bool agree = true;
	size_t i = 0, j = 0, k = 0;
	int op = 0;
	struct expr_scope scope = {.rs = rs};
	for (k = 0; k < nnumbers && agree; k++)
		for (op = 0; op < 2 && agree; op++) {
			snprintf(src, sizeof src, "aqi_day(n, m, m, n, n, m, n) %s %s", op ? ">" : "<=", numbers[k]);
			struct expr *of_cells = expr_compile(src, &scope, err, sizeof err, &pos);
			snprintf(src, sizeof src, "aqi_day(n, m, m, n, n, m, n * 1) %s %s", op ? ">" : "<=", numbers[k]);
			struct expr *evaluated = expr_compile(src, &scope, err, sizeof err, &pos);
			agree = of_cells && evaluated;
			for (i = 0; i < nvalues && agree; i++)
				for (j = 0; j < nvalues && agree; j++) {
					set_row(values[i], values[j], NULL, NULL, 0);
					struct eval_ctx ctx = {.rs = rs, .row = row, .stamp = expr_row_stamp()};
					snprintf(got, sizeof got, "%s", value_of_ctx(of_cells, &ctx));
					snprintf(want, sizeof want, "%s", value_of_ctx(evaluated, &ctx));
					agree = strcmp(got, want) == 0;
				}
			expr_free(of_cells);
			expr_free(evaluated);
		}
	free(scope.slots);
	CHECK("aqi_day of columns compared with a number as of evaluated arguments", agree,
	      "%s with n %g, m %g: %s, want %s", src, values[i - 1], values[j - 1], got, want);
}

/*
 * A cell at least aqi_day() of seven columns (m >= aqi_day(n, …)) passes by
 * expr_guard_holds where the cell is a number from 0 whose whole part's
 * ceilings (aqi_ceilings) no item that is a number is above: items of other
 * types count for none, whatever their bits as numbers; and a row it passes
 * is one that the when skips or the assert holds on.
 */
static void test_aqi_guard(void)
{
	static const struct value items[] = {
		{.type = V_NULL}, {.type = V_NUM, .num = 0}, {.type = V_NUM, .num = 35}, {.type = V_NUM, .num = 35.01},
		{.type = V_NUM, .num = 75}, {.type = V_NUM, .num = 75.01}, {.type = V_NUM, .num = 150}, {.type = V_NUM, .num = 800},
		{.type = V_NUM, .num = NAN}, {.type = V_NUM, .num = -1}, {.type = V_DATE, .num = 1e6}, {.type = V_BOOL, .num = 1},
	};
	static const struct value bounds[] = {
		{.type = V_NULL}, {.type = V_NUM, .num = -1}, {.type = V_NUM, .num = 0}, {.type = V_NUM, .num = 50},
		{.type = V_NUM, .num = 74.5}, {.type = V_NUM, .num = 100}, {.type = V_NUM, .num = 101}, {.type = V_NUM, .num = 500},
		{.type = V_NUM, .num = 600}, {.type = V_DATE, .num = 100},
	};
	size_t file_col[7] = {0, 1, 2, 3, 4, 5, 6};
	char err[256], what[160] = "";
	int pos;
	struct expr_scope scope = {.rs = rs};
	struct expr *when = expr_compile("aqi_day(n, n, n, n, n, n, n) != null", &scope, err, sizeof err, &pos);
	struct expr *assert = expr_compile("m >= aqi_day(n, n, n, n, n, n, n)", &scope, err, sizeof err, &pos);
	struct expr_when w;
	struct guarded_compare g;
	bool guards = when && assert;
	if (guards) {
		expr_when_plan(&w, when, file_col);
		guards = expr_guards_compare(&w, assert, &g) && g.items;
	}
	CHECK("m >= aqi_day of columns, guarded", guards, "not taken for it");
	size_t wrong = 0, passed = 0;
	for (size_t i = 0; guards && i < sizeof items / sizeof *items; i++)
		for (size_t j = 0; j < sizeof bounds / sizeof *bounds; j++) {
			set_row(NAN, NAN, NULL, NULL, -1);
			row[N_] = items[i], row[M_] = bounds[j];
			const struct value *b = &bounds[j];
			bool want = b->type == V_NUM && b->num >= 0;
			for (int k = 0; k < AQI_ITEMS && want; k++)
				want = items[i].type != V_NUM || !(items[i].num > aqi_ceilings[b->num >= AQI_MAX ? AQI_MAX : (int)b->num][k]);
			bool holds = expr_guard_holds(&g, row);
			struct eval_ctx ctx = {.rs = rs, .row = row, .file_col = file_col};
			struct value skips = expr_when_eval(&w, &ctx), v = expr_eval(assert, &ctx);
			bool sound = !holds || !(skips.type == V_BOOL && skips.num) || !(v.type == V_BOOL && !v.num);
			passed += holds;
			if ((holds != want || !sound) && !wrong++)
				snprintf(what, sizeof what, "item %zu, bound %zu: %s, want %s%s", i, j, holds ? "passes" : "not",
					 want ? "passes" : "not", sound ? "" : ", where the assert fails");
		}
	CHECK("m >= aqi_day of columns passed by the ceilings of m", !guards || (wrong == 0 && passed > 0), "%zu wrong, the first %s",
	      wrong, what);
	expr_free(when);
	expr_free(assert);
	free(scope.slots);
}

/*
 * aqi_day() of two orders of the same two columns on one stamped row, in
 * every order of three calls (each order of columns read where they lie
 * and evaluated, on that row or on a row without a stamp between): the
 * row's items of one order of columns are not those of the other, nor what
 * an evaluated call or another row worked out last.
 */
static void test_aqi_items_of_other_columns(void)
{
	static const char *const srcs[4] = {"aqi_day(n, m, m, n, n, m, n)", "aqi_day(m, n, n, m, m, n, m)",
					    "aqi_day(n, m, m, n, n, m, n * 1)", "aqi_day(m, n, n, m, m, n, m * 1)"};
	char err[256], want[2][4][16];
	int pos, k;
	struct expr_scope scope = {.rs = rs};
	struct expr *e[4];
	for (k = 0; k < 4; k++) {
		e[k] = expr_compile(srcs[k], &scope, err, sizeof err, &pos);
		CHECK("aqi calls compile", e[k] != NULL, "%s at %d", err, pos);
		if (!e[k])
			return;
	}
	struct value rows[2][7]; /* the stamped row, and the other: its columns swapped */
	set_row(80, 41, NULL, NULL, -1);
	memcpy(rows[0], row, sizeof row);
	set_row(41, 80, NULL, NULL, -1);
	memcpy(rows[1], row, sizeof row);
	for (int r = 0; r < 2; r++)
		for (k = 0; k < 4; k++) { /* without a stamp, worked out each time */
			struct eval_ctx ctx = {.rs = rs, .row = rows[r]};
			snprintf(want[r][k], sizeof want[r][k], "%s", value_of_ctx(e[k], &ctx));
		}
	CHECK("the two orders give two indexes", strcmp(want[0][0], want[0][1]) != 0 && !strcmp(want[0][0], want[0][2]) &&
	      !strcmp(want[0][1], want[0][3]) && !strcmp(want[0][0], want[1][1]),
	      "%s, %s, %s, %s", want[0][0], want[0][1], want[0][2], want[0][3]);
	bool agree = true;
	int order = 0, r = 0;
	const char *got = "";
	for (order = 0; order < 512 && agree; order++) { /* three calls, each any of eight */
		uint64_t stamp = expr_row_stamp();
		for (int step = 0; step < 3 && agree; step++) {
			int call = order >> (3 * step) & 7;
			k = call & 3, r = call >> 2;
			struct eval_ctx ctx = {.rs = rs, .row = rows[r], .stamp = r ? 0 : stamp};
			got = value_of_ctx(e[k], &ctx);
			agree = strcmp(got, want[r][k]) == 0;
		}
	}
	CHECK("aqi_day of other columns on one row", agree, "order %d: %s on row %d gave %s, want %s", order - 1, srcs[k],
	      r, got, want[r][k]);
	for (k = 0; k < 4; k++)
		expr_free(e[k]);
	free(scope.slots);
}

/*
 * A let computed by a function is remembered from one expression to the next
 * by its input cells: a changed cell, even 0 to -0, computes it again, and an
 * aggregate's argument sees each row's value.
 */
static void test_remembered_lets(void)
{
	char err[256];
	int pos;
	struct expr_scope scope = {.rs = rs};
	struct expr *index = expr_compile("pm25_index", &scope, err, sizeof err, &pos);
	struct expr *above = expr_compile("pm25_index > 50", &scope, err, sizeof err, &pos);
	struct expr *rounded = expr_compile("n_rounded", &scope, err, sizeof err, &pos);
	CHECK("lets compile", index && above && rounded, "%s at %d", err, pos);
	if (!index || !above || !rounded)
		return;
	set_row(35, 0, NULL, NULL, -1);
	CHECK_STR("a let's value", value_of(index), "50");
	CHECK_STR("the same let in another expression", value_of(above), "false");
	set_row(75, 0, NULL, NULL, -1);
	CHECK_STR("a let on a changed cell", value_of(above), "true");
	CHECK_STR("and again where it was first read", value_of(index), "100");
	set_row(NAN, 0, NULL, NULL, -1);
	CHECK_STR("a let on a blank cell", value_of(index), "null");
	set_row(0, 0, NULL, NULL, -1);
	CHECK_STR("a let of 0", value_of(rounded), "0");
	set_row(-0.0, 0, NULL, NULL, -1);
	CHECK_STR("a let of -0 is not the one of 0", value_of(rounded), "-0");
	expr_free(index);
	expr_free(above);
	expr_free(rounded);

	struct expr_scope totals = {.rs = rs, .aggregate = true};
	struct expr *sum = expr_compile("sum(pm25_index)", &totals, err, sizeof err, &pos);
	CHECK("a let in an aggregate compiles", sum != NULL, "%s at %d", err, pos);
	if (!sum)
		return;
	struct agg_acc accs[1] = {0};
	double ns[] = {35, 75, 35};
	for (int i = 0; i < 3; i++) {
		set_row(ns[i], 0, NULL, NULL, -1);
		struct eval_ctx ctx = {.rs = rs, .row = row};
		agg_update(totals.slots, totals.nslots, (unsigned char *)accs, &ctx);
	}
	struct eval_ctx ctx = {.rs = rs, .accs = (unsigned char *)accs};
	struct value v = expr_eval(sum, &ctx);
	CHECK("a let in an aggregate reads every row", v.type == V_NUM && v.num == 200, "got type %d %g", v.type, v.num);
	expr_free(sum);
	free(totals.slots);
}

/*
 * A let that is a string is remembered by the row's stamp alone: a new stamp
 * works it out again, the same stamp gives it again, and a row without a
 * stamp always works it out.
 */
static void test_lets_by_stamp(void)
{
	char err[256];
	int pos;
	struct expr_scope scope = {.rs = rs};
	struct expr *head = expr_compile("s_head", &scope, err, sizeof err, &pos);
	struct expr *again = expr_compile("s_head == \"ab\"", &scope, err, sizeof err, &pos);
	CHECK("a string let compiles", head && again, "%s at %d", err, pos);
	if (!head || !again)
		return;
	struct eval_ctx ctx = {.rs = rs, .row = row, .stamp = expr_row_stamp()};
	set_row(0, 0, "abc", NULL, -1);
	struct value v = expr_eval(head, &ctx);
	CHECK("a string let on a stamped row", v.type == V_STR && v.len == 2 && !memcmp(v.str, "ab", 2), "got type %d", v.type);
	CHECK_STR("the same let in another expression", value_of_ctx(again, &ctx), "true");
	set_row(0, 0, "xyz", NULL, -1);
	CHECK_STR("the same stamp gives the row's value again", value_of_ctx(again, &ctx), "true");
	ctx.stamp = expr_row_stamp();
	CHECK_STR("a new stamp works it out on the new row", value_of_ctx(again, &ctx), "false");
	CHECK_STR("and the let is the new row's", value_of_ctx(head, &ctx), "xy");
	set_row(0, 0, "abd", NULL, -1);
	ctx.stamp = 0;
	CHECK_STR("a row without a stamp works it out", value_of_ctx(again, &ctx), "true");
	set_row(0, 0, "xyz", NULL, -1);
	CHECK_STR("every time", value_of_ctx(again, &ctx), "false");
	expr_free(head);
	expr_free(again);
}

/*
 * An expression of text cells alone that calls a function is remembered by
 * the cells' bytes: on rows whose cells repeat, change in place (the same
 * bytes' address, other bytes), go blank, empty or past what a memo keeps,
 * it gives what its own evaluator gives; one that reads a number, gives a
 * text or holds a remembered let is not remembered.
 */
static void test_remembered_texts(void)
{
	static char key[] = "441802", code[] = "441802", name[] = "清城区";
	static char longer[200];
	memset(longer, '4', sizeof longer - 1);
	struct { char *s; const char *set_s; char *code; const char *set_code; } rows[] = {
		{key, NULL, code, NULL}, {key, NULL, code, NULL}, {key, "441803", code, NULL}, {key, NULL, code, "441803"},
		{NULL, NULL, code, NULL}, {NULL, NULL, code, NULL}, {key, NULL, NULL, NULL}, {key, NULL, NULL, NULL},
		{name, NULL, code, NULL}, {name, NULL, code, NULL}, {key, "441802", code, NULL}, {"", NULL, code, NULL},
		{"", NULL, "", NULL}, {longer, NULL, code, NULL}, {longer, NULL, code, NULL}, {key, NULL, code, "441802"},
		{key, NULL, code, NULL}, {key, NULL, code, NULL},
	};
	char err[256];
	int pos;
	struct expr_scope scope = {.rs = rs};
	struct expr *e = expr_compile("lookup(\"counties\", s, \"name\") == lookup(\"counties\", code, \"name\")", &scope,
				      err, sizeof err, &pos);
	struct expr *with_number = expr_compile("lookup(\"counties\", s, \"code\") == code && n > 1", &scope, err, sizeof err, &pos);
	struct expr *text = expr_compile("lookup(\"counties\", s, \"name\")", &scope, err, sizeof err, &pos);
	struct expr *with_let = expr_compile("s_head == \"44\"", &scope, err, sizeof err, &pos);
	CHECK("texts compile", e && with_number && text && with_let, "%s at %d", err, pos);
	if (!e || !with_number || !text || !with_let)
		return;
	const struct node *root = &e->nodes[e->root];
	CHECK("lookups of text cells are remembered by their bytes", root->fn == expr_remembered_by_texts, "another evaluator");
	CHECK("nothing that reads a number, gives a text or holds a let is",
	      with_number->nodes[with_number->root].fn != expr_remembered_by_texts &&
		      text->nodes[text->root].fn != expr_remembered_by_texts &&
		      with_let->nodes[with_let->root].fn != expr_remembered_by_texts, "one is");
	bool agree = true;
	size_t i = 0;
	char got[32] = "", want[32] = "";
	for (i = 0; i < sizeof rows / sizeof *rows && agree; i++) {
		if (rows[i].set_s)
			memcpy(rows[i].s, rows[i].set_s, strlen(rows[i].set_s)); /* the same address, other bytes */
		if (rows[i].set_code)
			memcpy(rows[i].code, rows[i].set_code, strlen(rows[i].set_code));
		set_row(0, 0, rows[i].s, NULL, -1);
		row[CODE_] = rows[i].code ? (struct value){.type = V_STR, .str = rows[i].code, .len = strlen(rows[i].code)}
					  : (struct value){.type = V_NULL};
		struct eval_ctx ctx = {.rs = rs, .row = row, .stamp = expr_row_stamp()};
		snprintf(got, sizeof got, "%s", value_of_ctx(e, &ctx));
		struct value v = root->unremembered(e, root, &ctx);
		struct buf b = {0};
		value_format(&v, &b);
		snprintf(want, sizeof want, "%s", b.data ? b.data : "");
		buf_free(&b);
		agree = strcmp(got, want) == 0;
	}
	CHECK("a root remembered by its texts gives its own evaluator's value on every row", agree, "row %zu: %s, want %s",
	      i - 1, got, want);
	/* a name (nine bytes) and a code (six) that differ from the last row's by one byte, at each place */
	struct expr *by_name = expr_compile("lookup(\"counties.name\", s, \"code\") == lookup(\"counties\", code, \"code\")",
					    &scope, err, sizeof err, &pos);
	const struct node *name_root = by_name ? &by_name->nodes[by_name->root] : NULL;
	agree = name_root && name_root->fn == expr_remembered_by_texts;
	for (size_t k = 0; k < 9 + 6 && agree; k++) {
		char changed_name[] = "清城区", changed_code[] = "441802";
		for (int step = 0; step < 2 && agree; step++) {
			if (step && k < 9)
				changed_name[k] ^= 1;
			else if (step)
				changed_code[k - 9] ^= 1;
			set_row(0, 0, changed_name, NULL, -1);
			row[CODE_] = (struct value){.type = V_STR, .str = changed_code, .len = strlen(changed_code)};
			struct eval_ctx ctx = {.rs = rs, .row = row, .stamp = expr_row_stamp()};
			snprintf(got, sizeof got, "%s", value_of_ctx(by_name, &ctx));
			struct value v = name_root->unremembered(by_name, name_root, &ctx);
			snprintf(want, sizeof want, "%s", v.type == V_NULL ? "null" : v.num ? "true" : "false");
			agree = strcmp(got, want) == 0;
			i = k;
		}
	}
	CHECK("a text one byte from the last row's is not taken for it", agree, "byte %zu: %s, want %s", i, got, want);
	expr_free(by_name);
	expr_free(e);
	expr_free(with_number);
	expr_free(text);
	expr_free(with_let);
	free(scope.slots);
}

/*
 * lookup() gives the table's answer whatever key it looked up last: the same
 * key again, another, a number, a key longer than it remembers, a blank, and
 * after an expression was freed.
 */
static void test_lookup_memo(void)
{
	static const struct { const char *key; const char *want; } keys[] = {
		{"441802", "清城区"}, {"441802", "清城区"}, {"441803", "清新区"}, {"441802", "清城区"},
		{"999999", "null"}, {"999999", "null"}, {"44180", "null"}, {"4418020", "null"},
		{"441802441802441802441802441802441802441802441802441802", "null"}, {"441803", "清新区"}, {NULL, "null"},
		{"441803", "清新区"},
	};
	char err[256];
	int pos;
	struct expr_scope scope = {.rs = rs};
	struct expr *name = expr_compile("lookup(\"counties\", s, \"name\")", &scope, err, sizeof err, &pos);
	struct expr *of_number = expr_compile("lookup(\"counties\", n, \"name\")", &scope, err, sizeof err, &pos);
	CHECK("lookups compile", name && of_number, "%s at %d", err, pos);
	if (!name || !of_number)
		return;
	for (int between = 0; between < 2; between++) /* the same columns of the table looked up by a number between them */
		for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
			set_row(441821 + (double)(i % 2) * 60, 0, keys[i].key, NULL, -1);
			char what[160];
			snprintf(what, sizeof what, "lookup of key %zu (%s)%s", i, keys[i].key ? keys[i].key : "blank",
				 between ? ", numbers between" : "");
			CHECK_STR(what, value_of(name), keys[i].want);
			if (!between)
				continue;
			snprintf(what, sizeof what, "lookup of a number between them (%zu)", i);
			CHECK_STR(what, value_of(of_number), i % 2 ? "英德市" : "佛冈县");
		}
	expr_free(name);
	set_row(0, 0, "441803", NULL, -1);
	name = expr_compile("lookup(\"counties\", s, \"code\")", &scope, err, sizeof err, &pos);
	CHECK_STR("a lookup after an expression was freed", value_of(name), "441803");
	expr_free(name);
	expr_free(of_number);
	free(scope.slots);
}

/*
 * A when planned for a file judges each row as the whole when does, for
 * files with and without each column (whose cells are then null), and
 * settles what the file's columns settle.
 */
static void test_when_plans(void)
{
	static const char *const whens[] = {
		"in_file(n)", "in_file(n) && n > 1", "in_file(m) && in_file(n) && n > 1 && m < 5",
		"n > 1 && in_file(m)", "n > 1 && in_file(m) && m < 5", "!in_file(n) && m > 1",
		"n != null && m != null && d != null", "!(n != null && m != null) && d != null",
		"m == null && n > 1", "(n > 1 || m == null) && d != null", "in_file(n) || m > 1",
		"(m != null ? n > 1 : true) && b == true", "m + 1 > 2 && n > 1", "-m < 0 || n == null",
		"is_null(m) && b", "n > 1", "b", "n != null", "b == true && m + 1 > 2", "n >= 2 && m + 1 > 2",
	};
	/* those whose first operand, in a file with every column, tests one cell (a chain of such tests alone is one operand) */
	static const char *const cell_first[] = {
		"n > 1 && in_file(m)", "n > 1 && in_file(m) && m < 5", "is_null(m) && b", "n > 1", "n != null",
		"b == true && m + 1 > 2", "n >= 2 && m + 1 > 2",
	};
	const struct value cells[] = {
		{.type = V_NULL}, {.type = V_NUM, .num = 0}, {.type = V_NUM, .num = 2}, {.type = V_NUM, .num = 7},
	};
	const size_t ncells = sizeof cells / sizeof *cells;
	static const struct { const char *when; unsigned absent; int left; } settled[] = {
		/* a when, a layout (bits: n, m, d absent), the operands left to evaluate (-1: it never holds) */
		{"in_file(n)", 0, 0}, {"in_file(n)", 1, -1}, {"in_file(n) && n > 1", 0, 1}, {"in_file(n) && n > 1", 1, -1},
		{"in_file(m) && in_file(n) && n > 1 && m < 5", 0, 2}, {"n > 1 && in_file(m) && m < 5", 2, 2},
		{"n != null && m != null && d != null", 2, -1}, {"n != null && m != null && d != null", 4, -1},
		{"!(n != null && m != null) && d != null", 2, 1}, {"(n > 1 || m == null) && d != null", 2, 1},
		{"(n > 1 || m == null) && d != null", 6, -1}, {"m + 1 > 2 && n > 1", 2, -1}, {"is_null(m) && b", 2, 1},
	};
	char err[256];
	int pos;
	for (size_t i = 0; i < sizeof whens / sizeof *whens; i++) {
		struct expr_scope scope = {.rs = rs};
		struct expr *e = expr_compile(whens[i], &scope, err, sizeof err, &pos);
		if (!e) {
			CHECK(whens[i], false, "does not compile: %s at %d", err, pos);
			continue;
		}
		size_t rows = 0, differ = 0;
		char first[200] = "";
		for (unsigned absent = 0; absent < 8; absent++) {
			size_t file_col[7] = {0, 1, 2, 3, 4, 5, 6};
			if (absent & 1)
				file_col[N_] = SIZE_MAX;
			if (absent & 2)
				file_col[M_] = SIZE_MAX;
			if (absent & 4)
				file_col[D_] = SIZE_MAX;
			struct expr_when w;
			expr_when_plan(&w, e, file_col);
			struct eval_ctx ctx = {.rs = rs, .row = row, .file_col = file_col};
			for (size_t kn = 0; kn < ncells; kn++)
				for (size_t km = 0; km < ncells; km++)
					for (int b = -1; b <= 1; b++) {
						set_row(NAN, NAN, NULL, b ? "2024-02-29" : NULL, b);
						row[N_] = absent & 1 ? cells[0] : cells[kn];
						row[M_] = absent & 2 ? cells[0] : cells[km];
						if (absent & 4)
							row[D_] = cells[0];
						struct value whole = expr_eval(e, &ctx), planned = expr_when_eval(&w, &ctx);
						struct value inline_first = expr_when_value(&w, &ctx);
						bool holds = whole.type == V_BOOL && whole.num;
						rows++;
						if ((holds != (planned.type == V_BOOL && planned.num) || (w.never && holds) ||
						     inline_first.type != planned.type || inline_first.num != planned.num) &&
						    !differ++)
							snprintf(first, sizeof first, "layout %u, cells %zu %zu %d: %s", absent, kn, km, b,
								 holds ? "holds" : "does not hold");
					}
			for (size_t k = 0; k < sizeof settled / sizeof *settled; k++)
				if (!strcmp(settled[k].when, whens[i]) && settled[k].absent == absent) {
					char what[160];
					snprintf(what, sizeof what, "%s in a file of layout %u leaves %d operand(s)", whens[i], absent,
						 settled[k].left);
					CHECK(what, settled[k].left < 0 ? w.never : !w.never && w.n == settled[k].left,
					      "%d operands left%s", w.n, w.never ? ", never holds" : "");
				}
		}
		struct expr_when w;
		expr_when_plan(&w, e, NULL);
		bool inline_first = false;
		for (size_t k = 0; k < sizeof cell_first / sizeof *cell_first; k++)
			inline_first |= strcmp(whens[i], cell_first[k]) == 0;
		char what[160];
		snprintf(what, sizeof what, "%s has its first operand tested inline: %s", whens[i], inline_first ? "yes" : "no");
		CHECK(what, w.checks_first == inline_first, "it is%s", w.checks_first ? "" : " not");
		snprintf(what, sizeof what, "%s planned as the whole judges it, on %zu rows", whens[i], rows);
		CHECK(what, differ == 0, "%zu rows differ, the first at %s", differ, first);
		expr_free(e);
		free(scope.slots);
	}
}

/* Writes src with each {name} as name (special) or as coalesce(name), which no special evaluator reads as a column. */
static void spell(const char *src, bool special, struct buf *out)
{
	buf_reset(out);
	for (const char *p = src; *p; p++) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		if (!end) {
			buf_addc(out, *p);
			continue;
		}
		buf_addf(out, special ? "%.*s" : "coalesce(%.*s)", (int)(end - p - 1), p + 1);
		p = end;
	}
}

/* True if two values are the same to the bit: type, text, number (0 and -0 apart). */
static bool same_value(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == V_STR)
		return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	return a->type == V_NULL || memcmp(&a->num, &b->num, sizeof a->num) == 0;
}

/* True if some node of a has an evaluator that no node of b has: a was compiled to another form. */
static bool evaluated_otherwise(const struct expr *a, const struct expr *b)
{
	for (int i = 0; i < a->nnodes; i++) {
		bool shared = false;
		for (int k = 0; k < b->nnodes && !shared; k++)
			shared = a->nodes[i].fn == b->nodes[k].fn;
		if (!shared)
			return true;
	}
	return false;
}

/*
 * Each shape with an evaluator of its own gives what the general evaluators
 * give, on every combination of cells around its literals (null, numbers on
 * and beside them, 0 and -0, dates, texts, booleans) and without a row.
 */
static void test_special_shapes(void)
{
	static const char *const shapes[] = {
		"{n} == 5", "{n} != 5", "{n} < 5", "{n} <= 5", "{n} > 5", "{n} >= 5",
		"{n} == 0", "{n} != 0", "{n} < 0", "{n} <= 0", "{n} > 0", "{n} >= 0",
		"{n} > 4.999999", "{n} <= 1e300", "{n} == 1",
		"{d} == date(\"2024-02-29\")", "{d} < date(\"2024-02-29\")", "{d} >= date(\"2024-02-29\")",
		"{b} == true", "{b} != false",
		"{n} != null", "{n} == null", "is_null({n})", "!is_null({d})", "{b} != null",
		"year({d})", "month({d})", "day({d})", "days_in_month({d})",
		"{n} == {m}", "{n} < {m}", "{n} >= {m} + 1", "{d} <= {d} - 1", "{s} == \"5\"", "{s} < \"\"", "{s} >= {s}",
		"{n} > 1 && {n} <= 5", "{n} > 1 || {n} <= -1", "{n} == 5 && {m} == 5", "{n} == 5 || {m} == 5",
		"{n} != null && {m} != null && {d} != null && {b} != null",
		"{n} == null || {m} == null || {b} == true",
		"{n} > 1 && {m} < 5 && {b} == false", "{n} < 0 || {m} >= 0 || {d} == null",
		"({n} > 1 && {m} > 1) || {n} == null", "{n} >= 0 && ({m} == null || {m} > 4)",
		"!({n} > 1 && {m} <= 5)", "{n} > 1 && {n} + 1 > 2",
	};
	static const double days_leap = 19782; /* 2024-02-29 */
	const struct value cells[] = {
		{.type = V_NULL}, {.type = V_NUM, .num = 5}, {.type = V_NUM, .num = 4.999999},
		{.type = V_NUM, .num = 5.000001}, {.type = V_NUM, .num = 4}, {.type = V_NUM, .num = 6},
		{.type = V_NUM, .num = 0}, {.type = V_NUM, .num = -0.0}, {.type = V_NUM, .num = -5},
		{.type = V_NUM, .num = 1}, {.type = V_NUM, .num = 1e300}, {.type = V_DATE, .num = 5},
		{.type = V_DATE, .num = days_leap}, {.type = V_DATE, .num = days_leap + 1}, {.type = V_DATE, .num = 0},
		{.type = V_STR, .str = "5", .len = 1}, {.type = V_STR, .str = "", .len = 0}, {.type = V_STR, .str = "50", .len = 2},
		{.type = V_STR, .str = "4", .len = 1},
		{.type = V_BOOL, .num = 1}, {.type = V_BOOL, .num = 0},
	};
	const size_t ncells = sizeof cells / sizeof *cells;
	struct buf src = {0};
	char err[256];
	int pos;
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		struct expr_scope scope = {.rs = rs};
		spell(shapes[i], true, &src);
		struct expr *special = expr_compile(src.data, &scope, err, sizeof err, &pos);
		spell(shapes[i], false, &src);
		struct expr *general = expr_compile(src.data, &scope, err, sizeof err, &pos);
		if (!special || !general) {
			CHECK(shapes[i], false, "does not compile: %s at %d", err, pos);
			expr_free(special), expr_free(general);
			continue;
		}
		char what[160];
		snprintf(what, sizeof what, "%s has an evaluator of its own", shapes[i]);
		CHECK(what, evaluated_otherwise(special, general), "it is evaluated as the general form");
		struct eval_ctx ctx = {.rs = rs};
		struct value a = expr_eval(special, &ctx), b = expr_eval(general, &ctx);
		size_t rows = 1, differ = 0;
		char first[200] = "";
		if (!same_value(&a, &b))
			differ++, snprintf(first, sizeof first, "without a row: type %d %g against type %d %g", a.type, a.num, b.type, b.num);
		ctx.row = row;
		set_row(NAN, NAN, "x", NULL, -1);
		for (size_t kn = 0; kn < ncells; kn++)
			for (size_t km = 0; km < ncells; km++)
				for (size_t kd = 0; kd < ncells; kd += 3) {
					row[N_] = cells[kn], row[M_] = cells[km], row[D_] = cells[kd];
					row[B_] = cells[(kn + km + kd) % ncells], row[S_] = cells[(kn * 7 + km) % ncells];
					a = expr_eval(special, &ctx), b = expr_eval(general, &ctx);
					rows++;
					if (!same_value(&a, &b) && !differ++)
						snprintf(first, sizeof first, "cells %zu %zu %zu: type %d %g against type %d %g",
							 kn, km, kd, a.type, a.num, b.type, b.num);
				}
		snprintf(what, sizeof what, "%s as the general evaluators give it, on %zu rows", shapes[i], rows);
		CHECK(what, differ == 0, "%zu rows differ, the first %s", differ, first);
		expr_free(special);
		expr_free(general);
		free(scope.slots);
	}
	buf_free(&src);
}

/*
 * Two aqi_level() calls compared, worked out in one step, against the
 * comparison of the two levels each evaluated apart (coalesce() of each),
 * with every operator, on numbers about each level's top, names of
 * levels, unknown names, blanks and booleans on either side, and with a
 * side that is a let remembered on its own (n_level), with and without a
 * row's stamp.
 */
static void test_compared_levels(void)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
	static const char *const sides[][2] = {
		{"aqi_level(n)", "aqi_level(s)"}, {"aqi_level(s)", "aqi_level(m)"}, {"aqi_level(b)", "aqi_level(n)"},
		{"aqi_level(s)", "n_level"}, {"n_level", "aqi_level(m)"},
	};
	static const double numbers[] = {NAN, -1, 0, 50, 50.5, 100, 101, 150, 151, 200, 250, 300, 301, 1e300};
	static const char *const names[] = {NULL, "优", "良", "轻度污染", "严重污染", "一级", "三级", "六级", "很好", ""};
	const size_t nnumbers = sizeof numbers / sizeof *numbers, nnames = sizeof names / sizeof *names;
	char err[256], src[96];
	int pos;
	for (size_t side = 0; side < sizeof sides / sizeof *sides; side++)
		for (size_t op = 0; op < sizeof ops / sizeof *ops; op++) {
			struct expr_scope scope = {.rs = rs};
			snprintf(src, sizeof src, "%s %s %s", sides[side][0], ops[op], sides[side][1]);
			struct expr *special = expr_compile(src, &scope, err, sizeof err, &pos);
			snprintf(src, sizeof src, "coalesce(%s) %s coalesce(%s)", sides[side][0], ops[op], sides[side][1]);
			struct expr *general = expr_compile(src, &scope, err, sizeof err, &pos);
			if (!special || !general) {
				CHECK(src, false, "does not compile: %s at %d", err, pos);
				expr_free(special), expr_free(general);
				continue;
			}
			bool own = evaluated_otherwise(special, general), agree = true;
			size_t i = 0, j = 0, k = 0;
			struct value a = null_value, b = null_value;
			for (i = 0; i < nnumbers && agree; i++)
				for (j = 0; j < nnumbers && agree; j += 3)
					for (k = 0; k < nnames && agree; k++) {
						set_row(numbers[i], numbers[j], names[k], NULL, (int)((i + k) % 3) - 1);
						struct eval_ctx ctx = {.rs = rs, .row = row, .stamp = k % 2 ? expr_row_stamp() : 0};
						a = expr_eval(special, &ctx), b = expr_eval(general, &ctx);
						agree = same_value(&a, &b);
					}
			snprintf(src, sizeof src, "%s %s %s in one step as apart", sides[side][0], ops[op], sides[side][1]);
			CHECK(src, own && agree, "%s: n %g, m %g, s %s: type %d %g against type %d %g",
			      own ? "differs" : "evaluated as the general form", numbers[i - 1], numbers[j - 3],
			      names[k - 1] ? names[k - 1] : "(blank)", a.type, a.num, b.type, b.num);
			expr_free(special);
			expr_free(general);
			free(scope.slots);
		}
}

/* The cells row rules' direct judging is tried on: null, numbers (NaN, 0 and -0 among them), dates, texts, booleans. */
static const struct value direct_cells[] = {
	{.type = V_NULL}, {.type = V_NUM, .num = 0}, {.type = V_NUM, .num = -0.0}, {.type = V_NUM, .num = 2},
	{.type = V_NUM, .num = 7}, {.type = V_NUM, .num = -3.5}, {.type = V_NUM, .num = NAN},
	{.type = V_DATE, .num = 2}, {.type = V_DATE, .num = 19782}, {.type = V_STR, .str = "2", .len = 1},
	{.type = V_STR, .str = "b", .len = 1}, {.type = V_BOOL, .num = 0}, {.type = V_BOOL, .num = 1},
};

#define NDIRECT (sizeof direct_cells / sizeof *direct_cells)

/*
 * Each of srcs compiles and is not taken for two cells compared (nor, with
 * levels, for their aqi_level()s compared).
 */
static void check_not_compared(const char *const *srcs, size_t n, bool levels)
{
	char err[256];
	int pos;
	for (size_t k = 0; k < n; k++) {
		struct expr_scope scope = {.rs = rs};
		struct expr *e = expr_compile(srcs[k], &scope, err, sizeof err, &pos);
		struct cells_compared c;
		char what[120];
		snprintf(what, sizeof what, "%s is not two cells%s compared", srcs[k], levels ? "' levels" : "");
		CHECK(what, e && !(levels && expr_compares_levels(e, &c)) && !expr_compares_cells(e, &c),
		      "it is taken for one");
		expr_free(e);
		free(scope.slots);
	}
}

/* A way of judging two cells in place, and the cells to try it on. */
struct in_place {
	const char *form, *flipped;  /* the expression around its operator, and with its sides swapped */
	bool (*finds)(const struct expr *e, struct cells_compared *c);
	int (*holds)(const struct cells_compared *c, const struct value *row);
	int left, right;             /* the row's columns the two cells go in */
	const struct value *cells;
	size_t ncells;
	bool numbers_judged;         /* every pair of numbers, dates or booleans of one type must be judged in place */
};

/* What cells_compared_holds gives, as the function check_in_place calls. */
static int cells_holds(const struct cells_compared *c, const struct value *row) { return cells_compared_holds(c, row); }

/*
 * For every operator, both ways round, the expression is found (t->finds)
 * and judged in place (t->holds) as expr_eval judges it on every pair of
 * t's cells: 1 or 0 as its boolean, -2 as its null; -1 leaves the pair to
 * expr_eval.
 */
static void check_in_place(const struct in_place *t)
{
	static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
	char err[256], src[64];
	int pos;
	for (size_t op = 0; op < sizeof ops / sizeof *ops; op++)
		for (int flip = 0; flip < 2; flip++) {
			struct expr_scope scope = {.rs = rs};
			snprintf(src, sizeof src, flip ? t->flipped : t->form, ops[op]);
			struct expr *e = expr_compile(src, &scope, err, sizeof err, &pos);
			struct cells_compared c;
			bool found = e && t->finds(e, &c);
			size_t differ = 0, judged = 0, numbers = 0;
			char first[120] = "";
			for (size_t i = 0; found && i < t->ncells; i++)
				for (size_t j = 0; j < t->ncells; j++) {
					set_row(NAN, NAN, NULL, NULL, -1);
					row[t->left] = t->cells[i], row[t->right] = t->cells[j];
					struct eval_ctx ctx = {.rs = rs, .row = row};
					struct value v = expr_eval(e, &ctx);
					int holds = t->holds(&c, row);
					enum vtype type = t->cells[i].type;
					bool same_type_numbers = t->numbers_judged && type == t->cells[j].type &&
								 (type == V_NUM || type == V_DATE || type == V_BOOL);
					numbers += same_type_numbers;
					judged += holds >= 0;
					bool same = holds >= 0    ? v.type == V_BOOL && v.num == holds
						    : holds == -2 ? v.type == V_NULL
								  : !same_type_numbers;
					if (!same && !differ++)
						snprintf(first, sizeof first, "cells %zu and %zu: %d against type %d %g", i, j, holds,
							 v.type, v.num);
				}
			char what[120];
			snprintf(what, sizeof what, "%s judged in place as expr_eval judges it", src);
			CHECK(what, found && differ == 0 && (!t->numbers_judged || judged == numbers),
			      "%s; %zu of %zu pairs judged, %zu differ, the first %s", found ? "found" : "not found", judged,
			      numbers, differ, first);
			expr_free(e);
			free(scope.slots);
		}
}

/*
 * Two columns compared (expr_compares_cells) are judged in place as
 * expr_eval judges them, on every pair of cells whose comparison
 * cells_compared_holds gives, and it gives every pair of numbers, dates or
 * booleans of one type; other shapes are not taken for it.
 */
static void test_cells_compared(void)
{
	static const char *const others[] = {"n <= 5", "n <= m + 1", "coalesce(n) <= m", "n + 0 <= m", "n <= m && b"};
	check_in_place(&(struct in_place){.form = "n %s m", .flipped = "m %s n", .finds = expr_compares_cells,
					  .holds = cells_holds, .left = N_, .right = M_, .cells = direct_cells,
					  .ncells = NDIRECT, .numbers_judged = true});
	check_not_compared(others, sizeof others / sizeof *others, false);
}

/*
 * aqi_level() of one column compared with aqi_level() of another
 * (expr_compares_levels) is judged in place (levels_compared_holds) as
 * expr_eval judges it, on every pair of cells: AQIs on and off the
 * levels' tops, names of categories and grades, other texts, blanks and
 * other types; other shapes are not taken for it.
 */
static void test_levels_compared(void)
{
	static const char *const others[] = {"aqi_level(n) == n_level", "aqi_level(n + 0) == aqi_level(s)",
					     "aqi_level(n) == 3", "aqi_level(n) + 0 == aqi_level(s)"};
	static const struct value cells[] = {
		{.type = V_NULL}, {.type = V_NUM, .num = -1}, {.type = V_NUM, .num = 0}, {.type = V_NUM, .num = 50},
		{.type = V_NUM, .num = 50.5}, {.type = V_NUM, .num = 101}, {.type = V_NUM, .num = 300},
		{.type = V_NUM, .num = 301}, {.type = V_NUM, .num = NAN}, {.type = V_STR, .str = "优", .len = 3},
		{.type = V_STR, .str = "轻度污染", .len = 12}, {.type = V_STR, .str = "六级", .len = 6},
		{.type = V_STR, .str = "二级", .len = 6}, {.type = V_STR, .str = "很好", .len = 6},
		{.type = V_STR, .str = "", .len = 0}, {.type = V_DATE, .num = 2}, {.type = V_BOOL, .num = 1},
	};
	check_in_place(&(struct in_place){.form = "aqi_level(n) %s aqi_level(s)", .flipped = "aqi_level(s) %s aqi_level(n)",
					  .finds = expr_compares_levels, .holds = levels_compared_holds, .left = N_,
					  .right = S_, .cells = cells, .ncells = sizeof cells / sizeof *cells});
	check_not_compared(others, sizeof others / sizeof *others, true);
}

/*
 * A when that tests a value for null and an assert that compares a cell
 * with the same value (expr_guards_compare) give, with the value worked out
 * once (expr_guard_value), what the planned when and expr_eval of the
 * assert give, on every pair of cells; other pairs are not taken for it.
 */
static void test_guarded_compare(void)
{
	static const struct { const char *when, *assert; bool guards; } pairs[] = {
		{"twice_n != null", "m >= twice_n", true}, {"n * 2 != null", "m < n * 2", true},
		{"best_or_zero != null", "m == best_or_zero", true}, {"n_level != null", "m != n_level", true},
		{"n + 1 != null", "m > n + 1", true}, {"in_file(m) && twice_n != null", "m <= twice_n", true},
		{"twice_n != null", "m >= n * 3", false}, {"twice_n != null", "twice_n <= m", false},
		{"twice_n != null && b", "m >= twice_n", false}, {"n > 1", "m >= n", false},
		{"n != null", "m >= n", false}, {"s_head != null", "matches(s, \"^a\") == (m > 1)", false},
	};
	char err[256];
	int pos;
	size_t file_col[7] = {0, 1, 2, 3, 4, 5, 6};
	for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) {
		struct expr_scope scope = {.rs = rs};
		struct expr *when = expr_compile(pairs[k].when, &scope, err, sizeof err, &pos);
		struct expr *assert = expr_compile(pairs[k].assert, &scope, err, sizeof err, &pos);
		char what[160];
		if (!when || !assert) {
			CHECK(pairs[k].when, false, "does not compile: %s at %d", err, pos);
			expr_free(when), expr_free(assert);
			continue;
		}
		struct expr_when w;
		expr_when_plan(&w, when, file_col);
		struct guarded_compare g;
		bool guards = expr_guards_compare(&w, assert, &g);
		snprintf(what, sizeof what, "when %s, assert %s: one value for both: %s", pairs[k].when, pairs[k].assert,
			 pairs[k].guards ? "yes" : "no");
		CHECK(what, guards == pairs[k].guards, "it is%s", guards ? "" : " not");
		size_t differ = 0, judged = 0, numbers = 0;
		char first[160] = "";
		for (size_t i = 0; guards && i < NDIRECT; i++)
			for (size_t j = 0; j < NDIRECT; j++) {
				set_row(NAN, NAN, "abc", NULL, -1);
				row[N_] = direct_cells[i], row[M_] = direct_cells[j], row[D_] = direct_cells[j];
				struct eval_ctx ctx = {.rs = rs, .row = row, .file_col = file_col, .stamp = j % 2 ? expr_row_stamp() : 0};
				struct value planned = expr_when_eval(&w, &ctx), v = expr_guard_value(&g, &ctx);
				bool when_holds = planned.type == V_BOOL && planned.num, bad = when_holds != (v.type != V_NULL);
				if (when_holds) {
					struct value whole = expr_eval(assert, &ctx);
					int holds = guard_compare_holds(&g, v, row);
					const struct value *c = &row[g.cell];
					bool same_type_numbers = c->type == v.type && (v.type == V_NUM || v.type == V_DATE || v.type == V_BOOL);
					numbers += same_type_numbers;
					judged += holds >= 0;
					bad |= (holds >= 0 && (whole.type != V_BOOL || whole.num != holds)) ||
					       (holds == -2 && whole.type != V_NULL) || (same_type_numbers && holds < 0);
				}
				if (bad && !differ++)
					snprintf(first, sizeof first, "cells %zu and %zu", i, j);
			}
		if (guards) {
			snprintf(what, sizeof what, "when %s, assert %s: as the when and the assert give", pairs[k].when,
				 pairs[k].assert);
			CHECK(what, differ == 0 && judged == numbers && numbers > 0, "%zu of %zu judged in place, %zu differ, the first %s",
			      judged, numbers, differ, first);
		}
		expr_free(when);
		expr_free(assert);
		free(scope.slots);
	}
}

/*
 * The text cells a row rule's parts read (expr_text_inputs), each once, for
 * what follows from them alone; none (-1) for what reads a number, the
 * file's columns or a pattern, or more cells than asked.
 */
static void test_text_inputs(void)
{
	static const struct { const char *src; int max, n; int cols[2]; } cases[] = {
		{"lookup(\"counties.name\", s, \"code\") == lookup(\"counties\", code, \"code\")", 8, 2, {S_, CODE_}},
		{"s != null", 8, 1, {S_}}, {"s == code || code == s", 8, 2, {S_, CODE_}}, {"s_head == \"ab\"", 8, 1, {S_}},
		{"true", 8, 0, {0}}, {"s == code", 1, -1, {0}}, {"n > 1", 8, -1, {0}}, {"s == code && n > 1", 8, -1, {0}},
		{"in_file(s)", 8, -1, {0}}, {"matches(s, \"^a\")", 8, -1, {0}}, {"len(s) > m", 8, -1, {0}},
	};
	char err[256];
	int pos;
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		struct expr_scope scope = {.rs = rs};
		struct expr *e = expr_compile(cases[k].src, &scope, err, sizeof err, &pos);
		int cols[8] = {0};
		int n = e ? expr_text_inputs(e, -1, cols, 0, cases[k].max) : -2;
		bool right = n == cases[k].n;
		for (int i = 0; right && i < n; i++)
			right = cols[i] == cases[k].cols[i];
		char what[160];
		snprintf(what, sizeof what, "%s reads %d text cell(s) alone", cases[k].src, cases[k].n);
		CHECK(what, right, "%d: %d %d", n, cols[0], cols[1]);
		expr_free(e);
		free(scope.slots);
	}
}

/* The cells of the rows of groups reduced tests are tried on: blanks and numbers first, then other types. */
static const struct value reduced_cells[] = {
	{.type = V_NULL}, {.type = V_NULL}, {.type = V_NUM, .num = 5}, {.type = V_NUM, .num = 4.999999},
	{.type = V_NUM, .num = 75}, {.type = V_NUM, .num = 400}, {.type = V_NUM, .num = 0},
	{.type = V_NUM, .num = -0.0}, {.type = V_NUM, .num = -5}, {.type = V_NUM, .num = 1},
	{.type = V_NUM, .num = 2}, {.type = V_NUM, .num = 3}, {.type = V_DATE, .num = 5},
	{.type = V_DATE, .num = 19782}, {.type = V_STR, .str = "5", .len = 1}, {.type = V_BOOL, .num = 1},
	{.type = V_BOOL, .num = 0},
};

/* Each column's place in a row, as reduced tests read it. */
static const int reduced_at[] = {N_, M_, S_, D_, B_, MON_, CODE_};

/*
 * A row rule judged in order's when and assert reduced on a group
 * (row_test_reduce), against evaluating them whole (expr_eval, the group's
 * values worked out on the way), on every row of many groups of cells of
 * every type, blanks among them; and the shapes that are not reduced.
 */
static void test_reduced_tests(void)
{
	static const struct {
		const char *src;
		bool reduced;
	} shapes[] = {
		{"n != null && count_if(n != null) >= 3", true},
		{"n <= 5 * median(n) || n <= 75", true},
		{"n <= 5 * median(n)", true},
		{"count() > 2", true},
		{"false", true},
		{"count() < 2 && n > 1 || true", false},
		{"n > 1 || true", true},
		{"n > mean(m) && m < max(n) && b == true && n != null", true},
		{"d >= min(d) && n != null", true},
		{"n < percentile(m, 90) || n == null || count_if(b) > 1", true},
		{"mean(n) > 2 && n >= 0 || m <= sum(m)", false},
		{"mean(n) > 2 && (n >= 0 && m <= sum(m))", true},
		{"n != mean(m) && (n > 1 || m > 1)", false},
		{"n > lag(n, 1)", false},
		{"n + 1 > mean(n)", false},
		{"s == \"5\" || n > median(n)", false},
	};
	const struct value *cells = reduced_cells;
	const size_t ncells = sizeof reduced_cells / sizeof *reduced_cells;
	const int *at = reduced_at;
	char err[256];
	int pos;
	uint64_t state = 2025;
	struct row_test reduced_test = {0}, *t = &reduced_test;
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		struct expr_scope scope = {.rs = rs, .ordered = true, .aggregate = true, .per_row = true};
		struct expr *e = expr_compile(shapes[i].src, &scope, err, sizeof err, &pos);
		if (!e || scope.nslots > 16 || scope.nfixed > 8) {
			CHECK(shapes[i].src, false, "does not compile: %s at %d", err, pos);
			expr_free(e);
			free(scope.slots);
			continue;
		}
		size_t rows = 0, differ = 0, groups = 0, reduced = 0;
		char first[200] = "";
		for (; groups < 300; groups++) {
			struct value group[12][7];
			size_t n = 1 + groups % 12;
			struct agg_acc accs[16] = {0};
			for (size_t r = 0; r < n; r++) {
				set_row(NAN, NAN, NULL, NULL, -1);
				for (size_t c = 0; c < 7; c++) {
					state = state * 6364136223846793005ULL + 1442695040888963407ULL;
					row[c] = c == B_ || c == D_ || groups % 3 ? cells[(state >> 33) % ncells]
										 : cells[(state >> 33) % 12]; /* blanks and numbers */
				}
				memcpy(group[r], row, sizeof row);
				struct eval_ctx ctx = {.rs = rs, .row = row};
				agg_update(scope.slots, scope.nslots, (unsigned char *)accs, &ctx);
			}
			struct value whole[8], fixed[8];
			for (size_t k = 0; k < 8; k++)
				whole[k] = fixed[k] = (struct value){.type = V_ANY};
			struct eval_ctx on_group = {.rs = rs, .accs = (unsigned char *)accs, .fixed = fixed};
			if (!row_test_reduce(t, e, &on_group, at)) {
				agg_acc_free(scope.slots, scope.nslots, (unsigned char *)accs, 1);
				continue;
			}
			reduced++;
			for (size_t r = 0; r < n; r++, rows++) {
				memcpy(row, group[r], sizeof row);
				struct eval_ctx ctx = {.rs = rs, .row = row, .accs = (unsigned char *)accs, .fixed = whole};
				struct value a = expr_eval(e, &ctx), b = row_test_eval(t, row);
				if (!same_value(&a, &b) && !differ++)
					snprintf(first, sizeof first, "group %zu row %zu: type %d %g against type %d %g", groups,
						 r, b.type, b.num, a.type, a.num);
			}
			agg_acc_free(scope.slots, scope.nslots, (unsigned char *)accs, 1);
		}
		char what[200];
		snprintf(what, sizeof what, "%s %s on %zu groups", shapes[i].src,
			 shapes[i].reduced ? "reduced" : "not reduced", groups);
		CHECK(what, shapes[i].reduced ? reduced == groups : reduced == 0, "reduced on %zu", reduced);
		snprintf(what, sizeof what, "%s reduced as evaluated whole, on %zu rows", shapes[i].src, rows);
		CHECK(what, differ == 0, "%zu rows differ, the first %s", differ, first);
		expr_free(e);
		free(scope.slots);
	}
	row_test_free(t);
}

/* True if a row fails a rule of reduced when (NULL: none) and assert, as row_test_eval gives them. */
static bool fails_whole(const struct row_test *when, const struct row_test *assert, const struct value *cells)
{
	struct value w = when ? row_test_eval(when, cells) : (struct value){.type = V_BOOL, .num = 1};
	if (w.type != V_BOOL || !w.num)
		return false;
	struct value a = row_test_eval(assert, cells);
	return a.type == V_BOOL && !a.num;
}

/*
 * A row rule's reduced when and assert that test one cell alone, judged by
 * that cell's kind of value (row_fails: the first row of each kind worked
 * out, the others looked up), against judging every row whole, on the rows
 * of many groups, in order, and on rows whose cell is each number compared
 * with, the numbers next to it either side, NaN and the infinities; a rule
 * that tests two cells is not planned.
 */
static void test_row_fails(void)
{
	static const struct {
		const char *when, *assert;
		bool planned;
	} rules[] = {
		{"n != null && count_if(n != null) >= 3", "n <= 5 * median(n) || n <= 75", true},
		{NULL, "n <= 5 * median(n)", true},
		{"n != null", "n < percentile(n, 90) && n > min(n) && n != 2", true},
		{NULL, "n > 1 || n == null", true},
		{"d >= min(d)", "d <= max(d) || d == null", true},
		{"b == true", "b != false && count() > 2", true},
		{"count() > 2", "false", true},
		{"n > 1", "m < 3", false},
	};
	const size_t ncells = sizeof reduced_cells / sizeof *reduced_cells;
	uint64_t state = 2026;
	char err[256];
	int pos;
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
		struct expr_scope scope = {.rs = rs, .ordered = true, .aggregate = true, .per_row = true};
		struct expr *when = rules[i].when ? expr_compile(rules[i].when, &scope, err, sizeof err, &pos) : NULL;
		struct expr *assert = expr_compile(rules[i].assert, &scope, err, sizeof err, &pos);
		if ((rules[i].when && !when) || !assert || scope.nslots > 16 || scope.nfixed > 8) {
			CHECK(rules[i].assert, false, "does not compile: %s at %d", err, pos);
			expr_free(when);
			expr_free(assert);
			free(scope.slots);
			continue;
		}
		struct row_test when_test = {0}, assert_test = {0};
		size_t rows = 0, differ = 0, planned = 0, groups;
		char first[200] = "";
		for (groups = 0; groups < 300; groups++) {
			struct value group[12 + 3 * ROW_FAILS_BOUNDS + 3][7];
			size_t n = 1 + groups % 12;
			struct agg_acc accs[16] = {0};
			for (size_t r = 0; r < n; r++) {
				for (size_t c = 0; c < 7; c++) {
					state = state * 6364136223846793005ULL + 1442695040888963407ULL;
					group[r][c] = reduced_cells[(state >> 33) % ncells];
				}
				memcpy(row, group[r], sizeof row);
				struct eval_ctx ctx = {.rs = rs, .row = row};
				agg_update(scope.slots, scope.nslots, (unsigned char *)accs, &ctx);
			}
			struct value fixed[8];
			for (size_t k = 0; k < 8; k++)
				fixed[k] = (struct value){.type = V_ANY};
			struct eval_ctx on_group = {.rs = rs, .accs = (unsigned char *)accs, .fixed = fixed};
			struct row_fails plan;
			if ((when && !row_test_reduce(&when_test, when, &on_group, reduced_at)) ||
			    !row_test_reduce(&assert_test, assert, &on_group, reduced_at) ||
			    !row_fails_plan(&plan, when ? &when_test : NULL, &assert_test)) {
				agg_acc_free(scope.slots, scope.nslots, (unsigned char *)accs, 1);
				continue;
			}
			planned++;
			/* the group's rows, then its tested cell at and beside each number compared with, NaN, infinities */
			double edges[3 * ROW_FAILS_BOUNDS + 3] = {NAN, INFINITY, -INFINITY};
			size_t nedges = 3;
			for (int b = 0; b < plan.nbounds; b++) {
				edges[nedges++] = plan.bounds[b];
				edges[nedges++] = nextafter(plan.bounds[b], INFINITY);
				edges[nedges++] = nextafter(plan.bounds[b], -INFINITY);
			}
			for (size_t k = 0; k < nedges; k++) {
				memcpy(group[n + k], group[k % n], sizeof group[n + k]);
				group[n + k][plan.cell] = (struct value){.type = plan.type == V_ANY ? V_NUM : plan.type,
									 .num = edges[k]};
			}
			for (size_t r = 0; r < n + nedges; r++, rows++) {
				signed char *known = &plan.fails[row_fails_key(&plan, group[r])];
				bool whole = fails_whole(when ? &when_test : NULL, &assert_test, group[r]);
				if (*known < 0)
					*known = whole;
				if (*known != whole && !differ++)
					snprintf(first, sizeof first, "group %zu row %zu: type %d %g", groups, r,
						 group[r][plan.cell].type, group[r][plan.cell].num);
			}
			agg_acc_free(scope.slots, scope.nslots, (unsigned char *)accs, 1);
		}
		char what[300];
		snprintf(what, sizeof what, "%s / %s %s on %zu groups", rules[i].when ? rules[i].when : "-",
			 rules[i].assert, rules[i].planned ? "planned" : "not planned", groups);
		CHECK(what, rules[i].planned ? planned > groups / 2 : planned == 0, "planned on %zu", planned);
		snprintf(what, sizeof what, "%s / %s by its cell's kind as judged whole, on %zu rows",
			 rules[i].when ? rules[i].when : "-", rules[i].assert, rows);
		CHECK(what, differ == 0, "%zu rows differ, the first %s", differ, first);
		row_test_free(&when_test);
		row_test_free(&assert_test);
		expr_free(when);
		expr_free(assert);
		free(scope.slots);
	}
}

/*
 * A group's block holds each slot's accumulator at its kind's size, one
 * after another (count() 8 bytes, sum() and mean() 16, count_if() and
 * ratio() 24, min() and max() 48, a list 64), in a block of their sum; and
 * each aggregate of the block gives what it gives alone, in an accumulator of
 * its own, over rows with blanks and dates.
 */
static void test_block_layout(void)
{
	static const char *const sources[] = {"count()", "min(d)", "sum(m)", "count_if(n > 1)", "max(d)", "mean(n)",
					      "ratio(m >= 0)", "median(n)", "max(n)"};
	static const uint32_t at[] = {0, 8, 56, 72, 96, 144, 160, 184, 248};
	enum { NSRC = sizeof sources / sizeof *sources };
	char err[256];
	int pos;
	struct expr_scope scope = by_month(), alone[NSRC];
	struct expr *e[NSRC], *own[NSRC];
	bool compiled = true;
	for (size_t i = 0; i < NSRC; i++) {
		alone[i] = (struct expr_scope){.rs = rs, .aggregate = true, .group = month_key, .ngroup = 1};
		e[i] = expr_compile(sources[i], &scope, err, sizeof err, &pos);
		own[i] = expr_compile(sources[i], &alone[i], err, sizeof err, &pos);
		compiled = compiled && e[i] && own[i];
	}
	CHECK("the block's aggregates compile", compiled && scope.nslots == NSRC, "%s at %d", err, pos);
	size_t i = 0;
	while (compiled && i < NSRC && scope.slots[i].at == at[i])
		i++;
	CHECK("each accumulator lies at its kind's place", i == NSRC && agg_block_size(scope.slots, NSRC) == 296,
	      "%s at %u, block of %zu bytes", i < NSRC ? sources[i] : "", i < NSRC && compiled ? scope.slots[i].at : 0,
	      compiled ? agg_block_size(scope.slots, scope.nslots) : 0);
	if (!compiled || scope.nslots != NSRC) {
		for (i = 0; i < NSRC; i++)
			expr_free(e[i]), expr_free(own[i]), free(alone[i].slots);
		free(scope.slots);
		expr_free(month_key[0]);
		return;
	}
	unsigned char *block = calloc(1, agg_block_size(scope.slots, NSRC)); /* no byte more: ASan sees a slot overrun it */
	struct agg_acc each[NSRC] = {{0}};
	uint64_t state = 7;
	for (int r = 0; r < 200; r++) {
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned pick = (unsigned)(state >> 33);
		static const double numbers[] = {NAN, 0, 1, 1.5, 2, 3, 5, -1, 2.5, 40};
		char day[16];
		snprintf(day, sizeof day, "2024-02-%02u", pick / 100 % 29 + 1);
		set_row(numbers[pick % 10], numbers[pick / 10 % 10], NULL, pick % 7 ? day : NULL, -1);
		struct eval_ctx ctx = {.rs = rs, .row = row};
		agg_update(scope.slots, NSRC, block, &ctx);
		for (i = 0; i < NSRC; i++)
			agg_update(alone[i].slots, 1, (unsigned char *)&each[i], &ctx);
	}
	struct value key = {.type = V_NUM, .num = 2}, v = {0}, w = {0};
	for (i = 0; i < NSRC; i++) {
		struct eval_ctx in_block = {.rs = rs, .keys = &key, .accs = block};
		struct eval_ctx apart = {.rs = rs, .keys = &key, .accs = (unsigned char *)&each[i]};
		v = expr_eval(e[i], &in_block), w = expr_eval(own[i], &apart);
		if (!same_value(&v, &w))
			break;
	}
	struct eval_ctx in_block = {.rs = rs, .keys = &key, .accs = block};
	struct value first_day = expr_eval(e[1], &in_block);
	CHECK("each aggregate of a block gives what it gives alone", i == NSRC && first_day.type == V_DATE,
	      "%s: %g (type %d) against %g (type %d)", i < NSRC ? sources[i] : "", v.num, v.type, w.num, w.type);
	agg_acc_free(scope.slots, NSRC, block, 1);
	free(block);
	for (i = 0; i < NSRC; i++) {
		agg_acc_free(alone[i].slots, alone[i].nslots, (unsigned char *)&each[i], 1);
		expr_free(e[i]), expr_free(own[i]), free(alone[i].slots);
	}
	free(scope.slots);
	expr_free(month_key[0]);
}

/*
 * A group's one row held (agg_hold_row) gives what accumulating it gives
 * (agg_update, then agg_result), bit for bit: a mean of -0 is 0, of a blank
 * none; and a second row added once the held values are made accumulators
 * (agg_unhold) gives what two rows accumulated give.  A number that is not
 * finite is not held; a scope with another kind of aggregate holds nothing.
 */
static void test_held_rows(void)
{
	static const char *const sources[] = {"mean(n)", "sum(m)", "count()", "mean(m)"};
	enum { NSRC = sizeof sources / sizeof *sources };
	static const double numbers[] = {NAN, 0, -0.0, 1.5, 2, 1e300, -3, 0.1};
	enum { NNUM = sizeof numbers / sizeof *numbers };
	char err[256];
	int pos;
	struct expr_scope scope = by_month();
	struct expr *e[NSRC];
	int slot[NSRC], cell[NSRC];
	bool compiled = true;
	for (size_t i = 0; i < NSRC; i++) {
		e[i] = expr_compile(sources[i], &scope, err, sizeof err, &pos);
		compiled = compiled && e[i];
	}
	for (size_t i = 0; i < NSRC && compiled; i++)
		slot[i] = expr_aggregate_slot(e[i]), cell[i] = agg_held_cell(&scope.slots[slot[i]]);
	CHECK("counts, sums and means of columns can be held", compiled && agg_holds(scope.slots, scope.nslots),
	      "%s at %d", err, pos);
	size_t block_size = compiled ? agg_block_size(scope.slots, scope.nslots) : 0;
	unsigned char *twice = calloc(1, block_size + 1), *held = calloc(1, block_size + 1);
	bool same = compiled;
	const char *where = "";
	for (int a = 0; a < NNUM * NNUM && same; a++)
		for (int b = 0; b < NNUM * NNUM && same; b++) {
			memset(twice, 0, block_size), memset(held, 0, block_size);
			struct value values[NSRC], v;
			struct eval_ctx ctx = {.rs = rs, .row = row};
			set_row(numbers[a % NNUM], numbers[a / NNUM], NULL, NULL, -1);
			agg_update(scope.slots, scope.nslots, twice, &ctx);
			same = agg_hold_row(cell, NSRC, row, values);
			for (size_t i = 0; i < NSRC && same; i++) {
				const struct agg_slot *s = &scope.slots[slot[i]];
				v = agg_result(s->kind, s->p, agg_acc_of(twice, s));
				same = same_value(&v, &values[i]), where = "one row";
			}
			agg_unhold(scope.slots, slot, NSRC, values, held);
			set_row(numbers[b % NNUM], numbers[b / NNUM], NULL, NULL, -1);
			agg_update(scope.slots, scope.nslots, twice, &ctx);
			agg_update(scope.slots, scope.nslots, held, &ctx);
			for (size_t i = 0; i < NSRC && same; i++) {
				const struct agg_slot *s = &scope.slots[slot[i]];
				v = agg_result(s->kind, s->p, agg_acc_of(twice, s));
				struct value w = agg_result(s->kind, s->p, agg_acc_of(held, s));
				same = same_value(&v, &w), where = "two rows";
			}
			if (!same)
				printf("# %s: n %g, m %g then n %g, m %g\n", where, numbers[a % NNUM], numbers[a / NNUM],
				       numbers[b % NNUM], numbers[b / NNUM]);
		}
	CHECK("a held row gives what accumulating it gives, and so does a second row added", same, "see above");
	struct value values[NSRC];
	set_row(INFINITY, 1, NULL, NULL, -1);
	CHECK("a number that is not finite is not held", !compiled || !agg_hold_row(cell, NSRC, row, values), "held");
	if (compiled) { /* no row: what accumulating it gives, each cell null */
		struct eval_ctx none = {.rs = rs};
		memset(twice, 0, block_size);
		agg_update(scope.slots, scope.nslots, twice, &none);
		same = agg_hold_row(cell, NSRC, NULL, values);
		for (size_t i = 0; i < NSRC && same; i++) {
			const struct agg_slot *s = &scope.slots[slot[i]];
			struct value v = agg_result(s->kind, s->p, agg_acc_of(twice, s));
			same = same_value(&v, &values[i]), where = sources[i];
		}
	}
	CHECK("no row held gives what accumulating it gives", same, "%s", where);
	free(twice), free(held);
	for (size_t i = 0; i < NSRC; i++)
		expr_free(e[i]);
	free(scope.slots);
	expr_free(month_key[0]);
	scope = by_month();
	struct expr *other = expr_compile("max(n)", &scope, err, sizeof err, &pos);
	CHECK("a scope with another aggregate holds nothing", other && !agg_holds(scope.slots, scope.nslots), "%s", err);
	expr_free(other);
	free(scope.slots);
	expr_free(month_key[0]);
}

/* The text printf gives a number that value_format writes: written independently, the slow way. */
static void number_by_printf(double x, char *out, size_t size)
{
	if (!(fabs(x) < 1e15)) {
		snprintf(out, size, "%.15g", x);
		return;
	}
	snprintf(out, size, x == floor(x) ? "%.0f" : "%.4f", x);
	if (x == floor(x))
		return;
	size_t len = strlen(out);
	while (out[len - 1] == '0')
		out[--len] = 0;
	if (out[len - 1] == '.')
		out[--len] = 0;
}

/*
 * value_format of numbers against printf's text: whole numbers, -0, halves
 * of the fourth decimal that are exact in binary (k/32) and those that are
 * not, values a hair either side of them, decimals as a clerk writes them,
 * tiny negatives ("-0"), and random numbers of every size up to and past
 * 1e9 and 1e15, where the fast writing gives way to printf's.
 */
static void test_number_text(void)
{
	struct buf got = {0};
	char want[64], first[200] = "";
	unsigned long long seed = 0x9e3779b97f4a7c15u;
	size_t tried = 0, wrong = 0;
	for (int i = 0; i < 400000; i++) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		unsigned r = (unsigned)(seed >> 33);
		double x;
		switch (i % 8) {
		case 0: x = (double)(int)(r % 2000001) - 1000000; break;                 /* whole */
		case 1: x = (double)(r % 64001) / 32 - 1000; break;                      /* exact halves and quarters */
		case 2: x = nextafter((double)(r % 64001) / 32, i & 8 ? 1e300 : -1e300); break;
		case 3: x = ((double)(r % 2000001) + 0.5) / 10000; break;                /* halves not exact in binary */
		case 4: x = (double)(int)(r % 200001 - 100000) / (i & 8 ? 10 : 1000); break;  /* as written */
		case 5: x = -(double)(r % 1000 + 1) * 1e-9; break;                      /* rounds to -0 */
		case 6: x = ldexp((double)(seed >> 11), (int)(r % 90) - 80) * (r & 1 ? -1 : 1); break;
		default: x = (r & 1 ? 1e9 : 1e15) + ((double)(r % 2001) - 1000) / 64; break;
		}
		number_by_printf(x, want, sizeof want);
		buf_reset(&got);
		struct value v = {.type = V_NUM, .num = x};
		value_format(&v, &got);
		tried++;
		if (strcmp(got.data, want)) {
			if (!wrong++)
				snprintf(first, sizeof first, "%.17g: got '%s', want '%s'", x, got.data, want);
		}
	}
	const double fixed[] = {0.0, -0.0, 0.03125, -0.03125, 0.00015, 2.5e-5, -1e-5, 0.99995, 999999999.99995, 1e9, -1e9 + 0.5};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
		number_by_printf(fixed[i], want, sizeof want);
		buf_reset(&got);
		struct value v = {.type = V_NUM, .num = fixed[i]};
		value_format(&v, &got);
		tried++;
		if (strcmp(got.data, want) && !wrong++)
			snprintf(first, sizeof first, "%.17g: got '%s', want '%s'", fixed[i], got.data, want);
	}
	char what[80];
	snprintf(what, sizeof what, "value_format writes %zu numbers as printf does", tried);
	CHECK(what, wrong == 0, "%zu differ, the first %s", wrong, first);
	buf_free(&got);
}

int main(void)
{
	rs = ruleset_load("tests/rules/expr.json");
	if (!rs) {
		printf("FAIL expr: cannot load tests/rules/expr.json\n");
		return 1;
	}
	test_precedence();
	test_nulls();
	test_functions();
	test_date_parts_remembered();
	test_aqi();
	test_aqi_level_names();
	test_aqi_decimals();
	test_aqi_near_steps();
	test_aqi_ceilings();
	test_aqi_items_in_turn();
	test_aqi_items_of_cells();
	test_aqi_day_compared();
	test_aqi_items_of_other_columns();
	test_aqi_individuals_at_once();
	test_water();
	test_targets();
	test_errors();
	test_aggregates();
	test_count_distinct();
	test_count_distinct_as_they_come();
	test_count_distinct_wide();
	test_percentile_selection();
	test_shared_arguments();
	test_steps_in_place();
	test_runs_in_place();
	test_runs_alone();
	test_count_and_one_other();
	test_packed_sizes();
	test_merged_slots();
	test_natural_order();
	test_remembered_lets();
	test_special_shapes();
	test_compared_levels();
	test_cells_compared();
	test_levels_compared();
	test_guarded_compare();
	test_aqi_guard();
	test_text_inputs();
	test_reduced_tests();
	test_row_fails();
	test_lets_by_stamp();
	test_lookup_memo();
	test_remembered_texts();
	test_when_plans();
	test_block_layout();
	test_held_rows();
	test_number_text();
	ruleset_free(rs);
	return test_status();
}
