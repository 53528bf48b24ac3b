/*
 * held_test — findings held in several lists come back list by list in the
 * order they came, byte for byte as if written at once: when they fit in
 * memory, when most went to the temporary file, and when no temporary file
 * can be made (they stay in memory).
 */
#include "held.h"
#include "test.h"

#include <stdlib.h>

#define LISTS 3
#define FINDINGS 60000

/* Collects what a diag_file writes. */
static void collect(void *ctx, const struct diag_file *f, const char *data, size_t len)
{
	(void)f;
	buf_add(ctx, data, len);
}

/* The i-th finding, its texts in scratch (which must outlive the call to diag_emit or held_add). */
static struct diag finding(int i, char scratch[4][160])
{
	struct diag d = DIAG_INIT;
	snprintf(scratch[0], 160, "PM2.5 %d 超过本站当月中位数的 5 倍 (finding %d of a long file)", i % 500, i);
	snprintf(scratch[1], 160, "{\"value\":%d,\"median\":%d}", i % 500, i % 37);
	snprintf(scratch[2], 160, "%d.%d", i % 500, i % 10);
	snprintf(scratch[3], 160, "{\"station_id\":\"QY-AQ-%04d\",\"month\":%d}", i % 97, i % 12 + 1);
	d.severity = i % 3 ? SEV_WARNING : SEV_ERROR;
	d.code = "integrity";
	d.rule = i % 2 ? "spike-pm25" : "spike-pm10";
	d.message = (struct message){.text = scratch[0], .args = i % 5 ? scratch[1] : NULL};
	d.line = (uint64_t)i + 2, d.row = (uint64_t)i + 1;
	d.column = "pm25", d.cell = 5;
	d.value = i % 7 ? scratch[2] : NULL;
	d.value_len = i % 7 ? strlen(scratch[2]) : 0;
	d.group = i % 11 ? scratch[3] : NULL;
	d.county = i % 4 ? "清城区" : NULL;
	return d;
}

/* Holds n findings spread over the lists, writes the lists in the order 1, 0, 2, and compares with writing them at once. */
static void round_trip(const char *name, int n, bool expect_file)
{
	struct diag_options opt = {.format = OUT_JSON, .lang = LANG_ZH, .fail_on = SEV_ERROR, .max_per_rule = -1,
				   .max_errors = -1, .write = collect};
	struct buf want = {0}, got = {0};
	struct diag_file direct, later;
	opt.write_ctx = &want;
	diag_file_begin(&direct, &opt, "a.csv", "air-daily");
	struct diag_options opt2 = opt;
	opt2.write_ctx = &got;
	diag_file_begin(&later, &opt2, "a.csv", "air-daily");
	struct held *h = held_new(LISTS);
	char scratch[4][160];
	for (int i = 0; i < n; i++) {
		struct diag d = finding(i, scratch);
		held_add(h, (size_t)(i % LISTS), &d);
	}
	static const int order[LISTS] = {1, 0, 2};
	for (int k = 0; k < LISTS; k++)
		for (int i = order[k]; i < n; i += LISTS) {
			struct diag d = finding(i, scratch);
			diag_emit(&direct, &d);
		}
	bool in_file = held_in_file(h);
	for (int k = 0; k < LISTS; k++)
		held_write(h, (size_t)order[k], &later);
	held_free(h);
	CHECK(name, want.len > 0 && want.len == got.len && memcmp(want.data, got.data, want.len) == 0 &&
	      in_file == expect_file, "%zu bytes written, %zu wanted; in the file: %d", got.len, want.len, (int)in_file);
	diag_file_release(&direct);
	diag_file_release(&later);
	buf_free(&want);
	buf_free(&got);
}

int main(void)
{
	round_trip("a few findings, in memory", 100, false);
	round_trip("many findings, most in the temporary file", FINDINGS, true);
	setenv("TMPDIR", "/nonexistent/qy-held-test", 1); /* POSIX */
	setenv("TMP", "C:\\nonexistent\\qy-held-test", 1); /* Windows */
	round_trip("no temporary file to be had: all in memory", FINDINGS, false);
	return test_status();
}
