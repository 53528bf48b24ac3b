/*
 * checkcells_test — the usual cell's fast path (check_plain_cell) against the
 * general one (check_cell): over generated files of cells that matter to
 * either (numbers, dates and codes valid, out of range and malformed;
 * blanks; full-width forms; text past ASCII valid and not, GB18030 bytes;
 * NUL; quoted cells with line breaks; CRLF; a text an enumeration's value
 * begins and ends as), the findings are the same with the fast path as with
 * every cell taken by the general path, for rule sets with every column type
 * and with patterns, enumerations, lengths and reference tables, read as
 * UTF-8 and as GB18030, with a small cell limit too.
 */
#include "check.h"
#include "diag.h"
#include "platform.h"
#include "ruleset.h"
#include "util.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Cell texts drawn at random; some are several cells or end the line. */
static const char *const pieces[] = {
	"12", "0", "-3", "+5", "12.5", ".5", "12.", ".", "1e3", "1234567890123456", "600", "-5.6",
	"2021-01-01", "2025-12-31", "2020-12-31", "2024-02-29", "2023-02-29", "2021-13-01", "2021-1-1",
	"2024-01", "2024", "是", "否", "true", "Ⅱ", "劣Ⅴ", "12%",
	"91441800MA4UJ0E14X", "91441800ma4uj0e14x", "91441800MA4UJ0E14Y", "91441800MA4UJ0E14X001P",
	"QY-AQ-0001", "QY-AQ-01", "清新区", "英德市", "441803", "优", "良", "轻度污染", "轻庆污染", "前期", "ab", "abcdefg",
	"", " ", " 12", "12 ", "\t7", "\xE3\x80\x80" "12", "12\xC2\xA0", "１２", "２０２１-０１-０１", "ＱＹ-ＡＱ-０００１",
	"\xC7\xE5\xD0\xC2\xC7\xF8", "\xFF", "\xE6\xB8", "\xED\xA0\x80", "\xF0\x9F\x98\x80", "a\0b",
	"\"12\"", "\"1,2\"", "\"a\nb\"", "\"a\r\nb\"", "\"\"\"q\"\"\"", ",", ",,", "\r\n", "\n",
};

/* Appends a generated file: the rule set's header, then rows of cells drawn from pieces. */
static void generate(struct buf *in, const char *header, unsigned *seed)
{
	size_t npieces = sizeof pieces / sizeof *pieces;
	buf_adds(in, header);
	for (int row = 0; row < 400; row++) {
		*seed = *seed * 1103515245u + 12345u;
		int cells = 10 + (int)((*seed >> 16) % 6);
		for (int c = 0; c < cells; c++) {
			*seed = *seed * 1103515245u + 12345u;
			const char *p = pieces[(*seed >> 16) % npieces];
			if (c)
				buf_addc(in, ',');
			buf_add(in, p, p[0] == 'a' && !p[1] ? 3 : strlen(p));  /* "a\0b" is three bytes */
		}
		*seed = *seed * 1103515245u + 12345u;
		buf_adds(in, (*seed >> 16) % 7 == 0 ? "\r\n" : "\n");
	}
}

/* Appends a finding's line to the transcript (a struct buf). */
static void add_to_transcript(void *ctx, const struct diag_file *f, const char *data, size_t len)
{
	(void)f;
	buf_add(ctx, data, len);
}

/* Checks data (a file in memory) into a malloc'd transcript. */
static char *check_text(const struct ruleset *rs, const char *data, size_t size, const struct check_options *copt)
{
	int fd = platform_scratch_file();
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	struct buf out = {0};
	struct diag_options dopt = {.format = OUT_JSON, .max_per_rule = -1, .max_errors = -1,
				    .write = add_to_transcript, .write_ctx = &out};
	struct diag_file df;
	struct check_result res;
	diag_file_begin(&df, &dopt, "cells.csv", rs->id);
	check_fd(rs, fd, copt, &df, &res);
	diag_file_end(&df, res.records, res.bytes, res.encoding);
	close(fd);
	buf_add(&out, "", 0); /* NUL-terminated, even when empty */
	return out.data;
}

/* Compares the fast path with the general one on generated files for one rule set. */
static void test_rule_set(const char *path, const char *header)
{
	struct ruleset *rs = ruleset_load(path);
	if (!rs) {
		CHECK(path, false, "cannot load");
		return;
	}
	static const struct check_options ways[] = {
		{.encoding = CSVR_UTF8, .encoding_given = true},
		{.encoding = CSVR_GB18030, .encoding_given = true},
		{.encoding = CSVR_UTF8, .encoding_given = true, .max_field = 24},
	};
	unsigned seed = 7;
	size_t bad = 0, findings = 0;
	for (int round = 0; round < 20 && !bad; round++) {
		struct buf in = {0};
		generate(&in, header, &seed);
		for (size_t w = 0; w < sizeof ways / sizeof *ways && !bad; w++) {
			struct check_options general = ways[w];
			general.general_cells = true;
			char *fast = check_text(rs, in.data, in.len, &ways[w]);
			char *slow = check_text(rs, in.data, in.len, &general);
			if (strcmp(fast, slow) != 0) {
				bad = round + 1;
				printf("# %s, round %d, way %zu: the fast path gives\n%.2000s\n# the general one\n%.2000s", path,
				       round, w, fast, slow);
			}
			for (const char *p = slow; (p = strstr(p, "\"severity\"")); p++)
				findings++;
			free(fast), free(slow);
		}
		buf_free(&in);
	}
	char name[256];
	snprintf(name, sizeof name, "%s: the usual cell's fast path finds what the general path finds", path);
	CHECK(name, bad == 0 && findings > 1000, "round %zu differs (%zu findings)", bad, findings);
	ruleset_free(rs);
}

int main(void)
{
	test_rule_set("tests/rules/types.json", "名称,数量,金额,比例,日期,月份,年份,是否,统一社会信用代码,排污许可证编号,水质类别,区县,状态\n");
	test_rule_set("tests/rules/air-columns.json",
		      "区县代码,区县,站点编号,站点名称,日期,PM2.5,PM10,SO2,NO2,CO,O3-8h,AQI,空气质量级别\n");
	return test_status();
}
