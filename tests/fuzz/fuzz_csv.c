/*
 * fuzz_csv — the CSV reader and the whole check of a file: arbitrary bytes,
 * any chunking, declared UTF-8 or GB18030 or decided from the bytes, against
 * the air-daily rule set with its row rules, aggregates and unique key.  The
 * first byte picks the encoding and the chunk size.  The reader must deliver the same records and events however the
 * input is cut: fed a byte at a time (every record through libcsv), in the
 * chosen chunks, and whole (plain records split without libcsv, with SSE2 and in
 * portable C).
 */
#include "check.h"
#include "csvread.h"
#include "diag.h"
#include "ruleset.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct ruleset *rs;

/* Writes a record, position and cells, into the transcript. */
static void on_record(void *ctx, const struct csvr_record *rec)
{
	struct buf *t = ctx;
	buf_addf(t, "R %llu %llu %llu %zu %zu %d|", (unsigned long long)rec->row,
		 (unsigned long long)rec->line, (unsigned long long)rec->offset, rec->ncells,
		 rec->total_cells, rec->unterminated);
	for (size_t i = 0; i < rec->ncells; i++) {
		buf_addf(t, "%zu %d:", rec->cells[i].len, rec->cells[i].oversized);
		buf_add(t, rec->cells[i].data, rec->cells[i].len);
		/* a cell marked ASCII is ASCII (the mark depends on the chunking, so it is not in the transcript) */
		for (size_t j = 0; rec->cells[i].ascii && j < rec->cells[i].len; j++)
			if ((unsigned char)rec->cells[i].data[j] >= 0x80)
				abort();
	}
	buf_addc(t, '\n');
}

/* Writes an event into the transcript. */
static void on_event(void *ctx, const struct csvr_event *ev)
{
	struct buf *t = ctx;
	buf_addf(t, "E %d %llu %llu %llu %zu %zu:", (int)ev->kind, (unsigned long long)ev->offset,
		 (unsigned long long)ev->line, (unsigned long long)ev->row, ev->cell, ev->nbytes);
	buf_add(t, ev->bytes, ev->nbytes);
	buf_addc(t, '\n');
}

/* The transcript of reading data in pieces of chunk bytes. */
static void transcript(const uint8_t *data, size_t size, size_t chunk, enum csvr_encoding enc,
		       enum csvr_split split, struct buf *t)
{
	struct csvr_options opt = {.encoding = enc, .max_field = 256, .split = split};
	struct csvr_handler h = {on_record, on_event, t};
	struct csvr *r = csvr_new(&opt, &h);
	for (size_t i = 0; i < size; i += chunk)
		csvr_feed(r, data + i, size - i < chunk ? size - i : chunk);
	csvr_finish(r);
	csvr_free(r);
}

/* Checks data against the rule set into *out (malloc'd); false if the input could not be set up. */
static bool check_output(const uint8_t *data, size_t size, enum csvr_encoding enc, char **out, size_t *len)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	FILE *f = open_memstream(out, len);
	struct diag_options dopt = {.format = enc ? OUT_TEXT : OUT_JSON, .max_per_rule = enc ? 2 : -1,
				    .max_errors = -1, .out = f};
	struct check_options copt = {.encoding = enc, .encoding_given = true, .max_field = 256};
	struct diag_file df;
	struct check_result res;
	diag_file_begin(&df, &dopt, "fuzz.csv", rs->id);
	check_fd(rs, fd, &copt, &df, &res);
	diag_file_end(&df, res.records, res.bytes, res.encoding);
	fclose(f);
	close(fd);
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;

	rs = ruleset_load(getenv("QY_FUZZ_RULES") ? getenv("QY_FUZZ_RULES") : "rules/air-daily.json");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const enum csvr_encoding encodings[] = {CSVR_UTF8, CSVR_GB18030, CSVR_AUTO, CSVR_AUTO};
	enum csvr_encoding enc = encodings[data[0] & 3];
	size_t chunk = (size_t)(data[0] >> 2) + 1;
	data++, size--;

	struct buf bytewise = {0}, chunked = {0}, whole = {0}, portable = {0};
	transcript(data, size, 1, enc, CSVR_SPLIT_FASTEST, &bytewise);
	transcript(data, size, chunk, enc, CSVR_SPLIT_FASTEST, &chunked);
	transcript(data, size, size ? size : 1, enc, CSVR_SPLIT_FASTEST, &whole);
	transcript(data, size, size ? size : 1, enc, CSVR_SPLIT_PORTABLE, &portable);
	if (bytewise.len != chunked.len || bytewise.len != whole.len || bytewise.len != portable.len ||
	    (bytewise.len && (memcmp(bytewise.data, chunked.data, bytewise.len) != 0 ||
			      memcmp(bytewise.data, whole.data, bytewise.len) != 0 ||
			      memcmp(bytewise.data, portable.data, bytewise.len) != 0))) {
		fprintf(stderr, "records differ with the chunking:\n--- bytewise\n");
		fwrite(bytewise.data, 1, bytewise.len, stderr);
		fprintf(stderr, "--- chunk %zu\n", chunk);
		fwrite(chunked.data, 1, chunked.len, stderr);
		fprintf(stderr, "--- whole\n");
		fwrite(whole.data, 1, whole.len, stderr);
		fprintf(stderr, "--- whole, split in portable C\n");
		fwrite(portable.data, 1, portable.len, stderr);
		abort();
	}
	buf_free(&bytewise), buf_free(&chunked), buf_free(&whole), buf_free(&portable);

	if (!rs)
		return 0;
	char *out = NULL;
	size_t len = 0;
	check_output(data, size, enc, &out, &len);
	free(out);
	return 0;
}
