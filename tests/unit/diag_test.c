/*
 * diag_test — a finding's JSON line is the same whether the file wrote
 * findings of its rule before or not: the parts kept by rule (severity,
 * code, rule, column, expected, plan) are written anew when one of their
 * texts changed in place, at the same address, or the severity differs,
 * when many rules share the slots, when the texts are too long to keep, and
 * after the file's name changed; so is the county kept from the finding
 * before, and a row's number that is not its line's; the cell is its
 * column's letters and row.
 */
#include "diag.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

/* Where the findings of a diag_file go: appended to the buf given as ctx. */
static void collect(void *ctx, const struct diag_file *f, const char *data, size_t len)
{
	(void)f;
	buf_add(ctx, data, len);
}

/* What d is written as by a file that wrote nothing before: the reference for one kept from finding to finding. */
static void fresh_line(struct buf *out, const struct diag_options *opt, const char *file, const char *ruleset,
		       const struct diag *d)
{
	struct diag_options o = *opt;
	o.write_ctx = out;
	struct diag_file f;
	diag_file_begin(&f, &o, file, ruleset);
	diag_emit(&f, d);
	diag_file_release(&f);
}

static unsigned seed = 2024;

static unsigned next(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

int main(void)
{
	static const char *const codes[] = {"range", "whitespace", "type-error", "cannot-verify"};
	static const char *const columns[] = {"pm25", "pm10", "站点名称", "a\"b"};
	static const char *const expecteds[] = {">= 0 and <= 60", "no leading or trailing blanks", "half-width characters",
						"pm25 <= pm10"};
	static const char *const plans[] = {"第四章 · 大气环境质量改善", "HJ 633-2012 5.1: AQI the largest IAQI"};
	static const char *const counties[] = {"441803", "441821", "4418", "县\"名\""};
	char rule[64], expected[256], long_text[300], county[32];
	struct buf got = {0}, want = {0};
	struct diag_options opt = {.format = OUT_JSON, .lang = LANG_EN, .max_per_rule = -1, .max_errors = -1,
				   .write = collect, .write_ctx = &got};
	struct diag_file f;
	const char *file = "data/air.csv";
	diag_file_begin(&f, &opt, file, "air-daily");
	memset(long_text, 'x', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	int wrong = 0;
	char first[400] = "";
	for (int i = 0; i < 20000; i++) {
		struct diag d = DIAG_INIT;
		d.severity = (enum severity)next(3);
		d.code = codes[next(4)];
		/* the rule's text in one buffer, changed in place (at times to the same length) */
		snprintf(rule, sizeof rule, next(2) ? "col%u.%s" : "rule-%u", next(40), d.code);
		d.rule = next(8) ? rule : "pm25-le-pm10";
		d.column = next(5) ? columns[next(4)] : NULL;
		if (next(3)) {
			snprintf(expected, sizeof expected, "%s", expecteds[next(4)]);
			d.expected = next(2) ? expected : expecteds[next(4)];
		}
		if (!next(50))
			d.expected = long_text; /* too long to keep */
		d.plan = next(3) ? plans[next(2)] : NULL;
		d.line = d.row = 1 + next(100000);
		if (!next(4)) /* a row on a line of its own, or below a cell that runs over lines */
			d.row = next(2) ? d.line + 1 : 1 + next(100000);
		if (!next(1000))
			d.line = d.row = 12345678901234567890u;
		if (next(4)) { /* the county in one buffer, changed in place (at times to a longer one) */
			snprintf(county, sizeof county, "%s", counties[next(4)]);
			d.county = next(2) ? county : counties[next(4)];
		}
		d.cell = next(4) ? next(60) : SIZE_MAX;
		d.value = next(2) ? "-1" : NULL;
		d.value_len = d.value ? 2 : 0;
		d.message = MESSAGE_TEXT("message");
		if (i == 10000) { /* another file from here on */
			file = "other/air.csv";
			diag_file_about(&f, file, "air-daily");
		}
		buf_reset(&got), buf_reset(&want);
		diag_emit(&f, &d);
		fresh_line(&want, &opt, file, "air-daily", &d);
		if ((got.len != want.len || memcmp(got.data, want.data, got.len) != 0) && !wrong++)
			snprintf(first, sizeof first, "got %s want %s", got.data, want.data);
	}
	diag_file_release(&f);
	CHECK("a finding's line is the same whether its rule's parts were kept or not", wrong == 0,
	      "%d differ; first: %s", wrong, first);

	struct diag d = DIAG_INIT;
	d.severity = SEV_ERROR;
	d.code = "range";
	d.rule = "co.range";
	d.message = MESSAGE_TEXT("'CO' value -0.3 is out of range");
	d.line = 591, d.row = 590;
	d.column = "co";
	d.cell = 26 * 27; /* AAA */
	d.value = "-0.3", d.value_len = 4;
	d.expected = ">= 0 and <= 60";
	d.county = "441803";
	d.plan = "第四章";
	buf_reset(&want);
	fresh_line(&want, &opt, "a.csv", "air-daily", &d);
	CHECK_STR("a finding's members in their order, its cell the column's letters and the row", want.data,
		  "{\"type\":\"diagnostic\",\"severity\":\"error\",\"code\":\"range\",\"rule\":\"air-daily/co.range\","
		  "\"file\":\"a.csv\",\"message\":\"'CO' value -0.3 is out of range\",\"line\":591,\"row\":590,"
		  "\"column\":\"co\",\"cell\":\"AAA590\",\"value\":\"-0.3\",\"expected\":\">= 0 and <= 60\","
		  "\"county\":\"441803\",\"plan\":\"第四章\"}\n");
	buf_free(&got), buf_free(&want);
	return test_status();
}
