/*
 * fuzz_csv — the CSV reader and the whole check of a file: arbitrary bytes,
 * any chunking, UTF-8 or GB18030, against the air-daily rule set with its row
 * rules, aggregates and unique key.  The first byte picks the encoding and the
 * chunk size.
 */
#include "check.h"
#include "csvread.h"
#include "diag.h"
#include "ruleset.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct ruleset *rs;
static FILE *sink;

static void on_record(void *ctx, const struct csvr_record *rec)
{
	size_t *n = ctx;
	for (size_t i = 0; i < rec->ncells; i++)
		*n += rec->cells[i].len;
}

static void on_event(void *ctx, const struct csvr_event *ev)
{
	(void)ctx, (void)ev;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;

	rs = ruleset_load(getenv("QY_FUZZ_RULES") ? getenv("QY_FUZZ_RULES") : "rules/air-daily.json");
	sink = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum csvr_encoding enc = data[0] & 1 ? CSVR_GB18030 : CSVR_UTF8;
	size_t chunk = (size_t)(data[0] >> 1) + 1;
	data++, size--;

	size_t total = 0;
	struct csvr_options opt = {.encoding = enc, .max_field = 256};
	struct csvr_handler h = {on_record, on_event, &total};
	struct csvr *r = csvr_new(&opt, &h);
	for (size_t i = 0; i < size; i += chunk)
		csvr_feed(r, data + i, size - i < chunk ? size - i : chunk);
	csvr_finish(r);
	csvr_free(r);

	if (!rs)
		return 0;
	int fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	struct diag_options dopt = {.format = enc ? OUT_TEXT : OUT_JSON, .max_per_rule = -1, .max_errors = -1, .out = sink};
	struct check_options copt = {.encoding = enc, .encoding_given = true, .max_field = 256};
	struct diag_file df;
	struct check_result res;
	diag_file_begin(&df, &dopt, "fuzz.csv", rs->id);
	check_fd(rs, fd, &copt, &df, &res);
	diag_file_end(&df, res.records, res.bytes, res.encoding);
	close(fd);
	return 0;
}
