/*
 * csvread_test — the CSV reader against every fixture in tests/csv: the dump
 * of records and events at full size must equal FIXTURE.dump, and feeding the
 * same bytes at every chunk size from one byte up must give the same dump.
 * A fixture named *.gb18030.csv is read as declared GB18030, *.auto.csv with
 * the encoding decided from its bytes, any other as declared UTF-8.
 * With UPDATE=1 the .dump files are rewritten (read them before committing).
 */
#include "csvread.h"
#include "platform.h"
#include "rulefiles.h"
#include "util.h"
#include "test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* Appends bytes with everything unprintable or special escaped. */
static void add_escaped(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			buf_adds(out, "\\n");
		else if (c == '\r')
			buf_adds(out, "\\r");
		else if (c == '\\' || c == '|' || c == ']')
			buf_addf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_addf(out, "\\x%02x", c);
		else
			buf_addc(out, (char)c);
	}
}

/* Cells said to be ASCII that hold a byte past it, over every fixture and chunk size. */
static size_t false_ascii;

/* Counts the cells of rec marked ASCII that are not. */
static void count_false_ascii(const struct csvr_record *rec)
{
	for (size_t i = 0; i < rec->ncells; i++)
		for (size_t j = 0; rec->cells[i].ascii && j < rec->cells[i].len; j++)
			if ((unsigned char)rec->cells[i].data[j] >= 0x80) {
				false_ascii++;
				break;
			}
}

static void on_record(void *ctx, const struct csvr_record *rec)
{
	struct buf *out = ctx;
	count_false_ascii(rec);
	buf_addf(out, "record row=%llu line=%llu offset=%llu cells=%zu/%zu%s [",
		 (unsigned long long)rec->row, (unsigned long long)rec->line,
		 (unsigned long long)rec->offset, rec->ncells, rec->total_cells,
		 rec->unterminated ? " unterminated" : "");
	for (size_t i = 0; i < rec->ncells; i++) {
		if (i)
			buf_addc(out, '|');
		add_escaped(out, rec->cells[i].data, rec->cells[i].len);
		if (rec->cells[i].oversized)
			buf_adds(out, "<cut>");
	}
	buf_adds(out, "]\n");
}

static void on_event(void *ctx, const struct csvr_event *ev)
{
	static const char *names[] = {"bom", "bad-bytes", "truncated", "nul",
				      "legacy", "utf16", "oversized", "unterminated", "encoding"};
	static const char *encodings[] = {"utf-8", "gbk", "gb18030", "auto"};
	struct buf *out = ctx;
	buf_addf(out, "event %s offset=%llu line=%llu row=%llu cell=%zu bytes=",
		 names[ev->kind], (unsigned long long)ev->offset,
		 (unsigned long long)ev->line, (unsigned long long)ev->row, ev->cell);
	if (ev->kind == CSVR_EV_ENCODING)
		buf_addf(out, " %s %s", encodings[ev->encoding], ev->detected ? "detected" : "declared");
	for (size_t i = 0; i < ev->nbytes; i++)
		buf_addf(out, "%02x", ev->bytes[i]);
	buf_addc(out, '\n');
}

/* How plain records are split: the fastest way, or a way tested for itself. */
static enum csvr_split way;

/* The cells of a record kept (csvr_keep_cells), or 0 for all. */
static size_t keep;

/* Reads data in pieces of chunk bytes and returns the dump. */
static char *dump(const char *data, size_t n, size_t chunk, enum csvr_encoding enc)
{
	struct buf out = {0};
	struct csvr_options opt = {.encoding = enc, .max_field = 64, .split = way};
	struct csvr_handler h = {on_record, on_event, &out};
	struct csvr *r = csvr_new(&opt, &h);
	if (keep)
		csvr_keep_cells(r, keep);
	for (size_t i = 0; i < n; i += chunk)
		csvr_feed(r, data + i, n - i < chunk ? n - i : chunk);
	csvr_finish(r);
	csvr_free(r);
	buf_addc(&out, 0);
	return out.data;
}

/* Reads a whole fixture file, or NULL when it cannot. */
static char *slurp(const char *path, size_t *len)
{
	char why[256];
	return rulefiles_read(path, len, why, sizeof why);
}

static void test_fixture(const char *dir, const char *name)
{
	char path[1024], dpath[1024];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(dpath, sizeof dpath, "%.*s.dump", (int)(strlen(path) - 4), path); /* (name ends in .csv) */
	size_t n, dn;
	char *data = slurp(path, &n);
	enum csvr_encoding enc = strstr(name, ".gb18030.") ? CSVR_GB18030
				 : strstr(name, ".auto.") ? CSVR_AUTO : CSVR_UTF8;
	way = CSVR_SPLIT_PORTABLE;
	char *whole_portable = dump(data, n, n ? n : 1, enc);
	way = CSVR_SPLIT_FASTEST;
	char *whole = dump(data, n, n ? n : 1, enc);
	char *want = slurp(dpath, &dn);
	CHECK(name, strcmp(whole, whole_portable) == 0, "split in portable C:\n%s", whole_portable);
	free(whole_portable);
	if (getenv("UPDATE")) {
		FILE *f = fopen(dpath, "wb");
		fputs(whole, f);
		fclose(f);
	} else {
		CHECK(name, want && strcmp(whole, want) == 0,
		      "dump differs from %s:\n%s", dpath, whole);
	}
	size_t bad = 0;
	for (size_t chunk = 1; chunk < n; chunk++) {
		char *d = dump(data, n, chunk, enc);
		if (strcmp(d, whole) != 0 && !bad)
			bad = chunk;
		free(d);
	}
	char label[1100];
	snprintf(label, sizeof label, "%s at every chunk size", name);
	CHECK(label, bad == 0, "chunk size %zu differs:\n%s", bad,
	      bad ? dump(data, n, bad, enc) : "");
	free(data);
	free(whole);
	free(want);
}

/*
 * An input longer than the encoding sample, GB18030 text in its first line
 * and a line that straddles the sample's end: read whole and in pieces that
 * fill the sample at once, just short of it, just past it, and slowly, the
 * records and events are the same, and the text is read as GB18030.
 */
static void test_longer_than_sample(void)
{
	static const char title[] = "\xD3\xA2\xB5\xC2\xCA\xD0\r\n";   /* 英德市 */
	static const char row[] = "441881,\xD3\xA2\xB5\xC2\xCA\xD0,\"a\r\nb\",12.5\r\n";
	struct buf in = {0};
	buf_adds(&in, title);
	while (in.len < 70000)
		buf_adds(&in, row);
	char *whole = dump(in.data, in.len, in.len, CSVR_AUTO);
	static const size_t chunks[] = {1, 3, 4096, 65535, 65536, 65537, 69999};
	size_t bad = 0;
	for (size_t i = 0; i < sizeof chunks / sizeof *chunks && !bad; i++) {
		char *d = dump(in.data, in.len, chunks[i], CSVR_AUTO);
		if (strcmp(d, whole) != 0)
			bad = chunks[i];
		free(d);
	}
	CHECK("longer than the sample: the same at every chunk size", bad == 0, "chunk size %zu differs", bad);
	CHECK("longer than the sample: read as GB18030", strstr(whole, "gb18030 detected") && strstr(whole, "英德市"),
	      "%.300s", whole);
	free(whole);
	buf_free(&in);
}

/* Writes each cell's ASCII mark of a record: 'a' known ASCII, '-' not known. */
static void on_ascii_marks(void *ctx, const struct csvr_record *rec)
{
	struct buf *out = ctx;
	for (size_t i = 0; i < rec->ncells; i++)
		buf_addc(out, rec->cells[i].ascii ? 'a' : '-');
	buf_addc(out, '\n');
	count_false_ascii(rec);
}

/* The ASCII marks of the records of data, fed whole. */
static char *ascii_marks(const char *data)
{
	struct buf out = {0};
	struct csvr_options opt = {.encoding = CSVR_UTF8};
	struct csvr_handler h = {on_ascii_marks, NULL, &out};
	struct csvr *r = csvr_new(&opt, &h);
	csvr_feed(r, data, strlen(data));
	csvr_finish(r);
	csvr_free(r);
	buf_addc(&out, 0);
	return out.data;
}

/*
 * A plain line's cells are marked ASCII when they are: a character past ASCII
 * marks its cell only, whether the delimiter after it is found a byte or a
 * word at a time; a quoted record (read by libcsv) is not marked, but one
 * with a tab or another control byte but NUL, LF and CR is plain.
 */
static void test_ascii_marks(void)
{
	char *got = ascii_marks("12,清新区,2021-01-01,x\n"
				"区abcdefg,12345678,abcdefgh区,abcdefgh\n"
				"abc,\"q\",1\n"
				"tab\there,\x01x,\x0c\n");
	CHECK_STR("a plain record's ASCII cells are marked", got, "a-aa\n-a-a\n---\naaa\n");
	free(got);
	CHECK("no cell marked ASCII holds a byte past ASCII", false_ascii == 0, "%zu cells", false_ascii);
}

/* Appends one generated line: cells of bytes drawn from pieces that matter to the splitter. */
static void add_generated_line(struct buf *in, unsigned *seed)
{
	static const char *const pieces[] = {
		"a", "1234567", "12.5", ",", ",", ",", "\"", "\"\"", "\r", "\r\n", "\n", "\0", "\t", " ",
		"清新区", "站点", "\xE3\x80\x80", "\xEF\xBC\x91", "\xC2\xA0", "\xF0\x9F\x98\x80",
		"\xE6\xB8", "\x80", "\xC0\xAF", "\xED\xA0\x80", "\xFF", "abcdefghijklmnop",
	};
	size_t npieces = sizeof pieces / sizeof *pieces;
	*seed = *seed * 1103515245u + 12345u;
	size_t count = (*seed >> 16) % 24;
	bool clean = (*seed >> 8) % 4 != 0;  /* most lines are plain: ASCII, CJK and delimiters only */
	for (size_t i = 0; i < count; i++) {
		*seed = *seed * 1103515245u + 12345u;
		size_t k = (*seed >> 16) % (clean ? 6 : npieces);
		const char *piece = clean && k >= 4 ? pieces[10 + k] : pieces[k];
		/* pieces[11] is a NUL: its length is one */
		buf_add(in, piece, k == 11 && !clean ? 1 : strlen(piece));
	}
	*seed = *seed * 1103515245u + 12345u;
	buf_adds(in, (*seed >> 16) % 5 == 0 ? "\r\n" : "\n");
}

/*
 * Plain records are split by the reader, any other by libcsv: over generated
 * lines (quotes, CR, LF, CRLF, NUL, text past ASCII valid and not, cells of
 * every length around the chunk size), the dump read whole, where plain
 * lines are split each way (SSE2, portable C), equals the dump read a
 * byte at a time, where every record goes through libcsv, and the dump read
 * in chunks that cut lines and characters anywhere.
 */
static void test_plain_against_libcsv(void)
{
	unsigned seed = 1;
	size_t bad = 0;
	for (int round = 0; round < 300 && !bad; round++) {
		struct buf in = {0};
		for (int line = 0; line < 20; line++)
			add_generated_line(&in, &seed);
		char *bytewise = dump(in.data, in.len, 1, CSVR_UTF8);
		static const size_t chunks[] = {0, 7, 16, 61};
		for (size_t c = 0; c < sizeof chunks / sizeof *chunks && !bad; c++)
			for (int w = 0; w < 2 && !bad; w++) {
				way = (enum csvr_split)w;
				char *d = dump(in.data, in.len, chunks[c] ? chunks[c] : in.len, CSVR_UTF8);
				if (strcmp(d, bytewise) != 0) {
					bad = round + 1;
					printf("# round %d, chunk %zu, way %d:\n%s# against\n%s", round, chunks[c], w, d, bytewise);
				}
				free(d);
			}
		way = CSVR_SPLIT_FASTEST;
		free(bytewise);
		buf_free(&in);
	}
	CHECK("plain records split as libcsv splits them", bad == 0, "round %zu differs", bad);
}

/*
 * Characters past ASCII at every offset of a chunk, whole, cut and broken,
 * also by the chunk's end, the record's and a line break (a continuation
 * byte after it does not count for the lead before it): each line read
 * with SSE2 (which checks a chunk of three-byte characters at once)
 * gives the dump it gives in portable C and read a byte at a time (libcsv).
 */
static void test_characters_across_blocks(void)
{
	static const char *const tails[] = {"", "x", ",", "\xB8", "\xB8\x85", "\xB8\x85\xE6", "\xB8\xE6\xB8\x85",
					    "\x85\x85", "\xB8\x85\x85", "\xB8\x85清新区,站点", "\xBC\x91",
					    "\n\xB8", "\n\x85\x85", "\xB8\n\x85"};
	size_t bad = 0;
	for (size_t pad = 0; pad < 140 && !bad; pad++)
		for (size_t t = 0; t < sizeof tails / sizeof *tails && !bad; t++)
			for (int lead = 0; lead < 3 && !bad; lead++) {
				struct buf in = {0};
				for (size_t i = 0; i < pad; i++)
					buf_addc(&in, i % 7 == 3 ? ',' : 'a');
				buf_adds(&in, lead == 0 ? "\xE6" : lead == 1 ? "清\xE6" : "\xEF");
				buf_adds(&in, tails[t]);
				buf_adds(&in, pad % 2 ? "\r\n" : "\n");
				char *bytewise = dump(in.data, in.len, 1, CSVR_UTF8);
				for (int w = 0; w < 2 && !bad; w++) {
					way = (enum csvr_split)w;
					char *d = dump(in.data, in.len, in.len, CSVR_UTF8);
					if (strcmp(d, bytewise) != 0) {
						bad = pad * 100 + t + 1;
						printf("# pad %zu, tail %zu, way %d:\n%s# against\n%s", pad, t, w, d, bytewise);
					}
					free(d);
				}
				way = CSVR_SPLIT_FASTEST;
				free(bytewise);
				buf_free(&in);
			}
	CHECK("characters cut and broken at every offset of a block are read as libcsv reads them", bad == 0,
	      "case %zu differs", bad);
}

/*
 * Compares the dump of in read a byte at a time (by libcsv) with its dumps
 * read whole and in chunks of each of chunks[0..nchunks), split each way;
 * returns false, having printed both, at the first that differs.
 */
static bool same_every_way(const struct buf *in, const size_t *chunks, size_t nchunks, const char *what)
{
	char *bytewise = dump(in->data, in->len, 1, CSVR_UTF8);
	bool same = true;
	for (size_t c = 0; c <= nchunks && same; c++)
		for (int w = 0; w < 2 && same; w++) {
			size_t chunk = c < nchunks && chunks[c] ? chunks[c] : in->len;
			way = (enum csvr_split)w;
			char *d = dump(in->data, in->len, chunk, CSVR_UTF8);
			if (strcmp(d, bytewise) != 0) {
				same = false;
				printf("# %s, chunk %zu, way %d:\n%s# against\n%s", what, chunk, w, d, bytewise);
			}
			free(d);
		}
	way = CSVR_SPLIT_FASTEST;
	free(bytewise);
	return same;
}

/*
 * The splitter finds a plain line's end itself: a line of every length
 * from 1 to 140 bytes (so its break falls at every offset of a chunk),
 * ended by LF, CRLF, a lone CR or nothing, after a BOM (so the input is
 * read as it is fed) and a line that moves it 0 to 17 bytes on, with a
 * cell past ASCII whose end is in a later chunk or not, read whole, in
 * chunks that end right after its CR or its LF, and in chunks of 16 and 17
 * bytes (which cut it anywhere), gives the dump read a byte at a time:
 * positions, cells and ASCII marks.
 */
static void test_line_ends(void)
{
	static const char *const breaks[] = {"\n", "\r\n", "\r", ""};
	size_t bad = 0;
	for (size_t len = 1; len <= 140 && !bad; len++)
		for (size_t b = 0; b < sizeof breaks / sizeof *breaks && !bad; b++)
			for (size_t shift = 0; shift <= 17 && !bad; shift++) {
				struct buf in = {0};
				buf_adds(&in, "\xEF\xBB\xBF");  /* a BOM settles the encoding: no sample is held */
				for (size_t i = 0; i < shift; i++)
					buf_addc(&in, i + 1 == shift ? '\n' : 'p');
				size_t line = in.len;
				if (len % 3 == 0)
					buf_adds(&in, "区");  /* a cell past ASCII, its end 0 to 40 bytes on */
				while (in.len - line < len)
					buf_addc(&in, (in.len - line) % 6 == 4 ? ',' : 'a');
				buf_adds(&in, breaks[b]);
				size_t cut = in.len;  /* just past the line's break: after CR and LF */
				if (*breaks[b])
					buf_adds(&in, "next,line\n");
				size_t chunks[] = {cut - (b == 1), cut, 16, 17};
				char what[64];
				snprintf(what, sizeof what, "length %zu, break %zu, shift %zu", len, b, shift);
				if (!same_every_way(&in, chunks, sizeof chunks / sizeof *chunks, what))
					bad = 1;
				buf_free(&in);
			}
	CHECK("plain lines ending at every offset of a block are read as libcsv reads them", bad == 0, "see above");
	CHECK("no cell marked ASCII holds a byte past ASCII", false_ascii == 0, "%zu cells", false_ascii);
}

/*
 * Plain lines (LF and CRLF, cells past ASCII) over more than one 64 KiB
 * read block: fed in the blocks a file is read in and around them, a
 * record cut by a block's end gives the dump read a byte at a time.
 */
static void test_lines_across_read_blocks(void)
{
	struct buf in = {0};
	buf_adds(&in, "\xEF\xBB\xBF");  /* a BOM settles the encoding: no sample is held */
	for (unsigned i = 0; in.len < 70000; i++)
		buf_addf(&in, "441803,清新区,QY-AQ-%04u,%.*s,2021-01-01,46,1.0%s", i, (int)(i % 23),
			 "abcdefghijklmnopqrstuvw", i % 5 == 0 ? "\r\n" : "\n");
	static const size_t chunks[] = {65536, 65535, 65537, 4096, 1000};
	CHECK("plain lines cut by the read blocks are read as libcsv reads them",
	      same_every_way(&in, chunks, sizeof chunks / sizeof *chunks, "across read blocks"), "see above");
	buf_free(&in);
}

/*
 * Cells past the limit are counted, not kept: lines of 1 to 80 cells,
 * their delimiters in one chunk or in two, with at most 3, 32 (the room
 * the reader starts with) or 33 kept, give the dump read a byte at a time
 * (libcsv): cells kept and cells counted.  So do lines of 60 cells down to
 * 1, whose first line's cells pass the room the reader starts with in one
 * chunk: the room grows to hold them, up to the limit when there is one.
 */
static void test_cells_past_the_limit(void)
{
	static const size_t keeps[] = {3, 32, 33, 40, 0};
	struct buf up = {0}, down = {0};
	buf_adds(&up, "\xEF\xBB\xBF");  /* a BOM settles the encoding: no sample is held */
	for (size_t cells = 1; cells <= 80; cells++) {
		for (size_t i = 0; i < cells; i++)
			buf_adds(&up, i == 0 ? "" : i % 5 == 1 ? ",区" : ",");
		buf_adds(&up, cells % 2 ? "\n" : "\r\n");
	}
	buf_adds(&down, "\xEF\xBB\xBF");
	for (size_t cells = 60; cells >= 1; cells--) {
		for (size_t i = 1; i < cells; i++)
			buf_addc(&down, ',');
		buf_adds(&down, "x\n");
	}
	static const size_t chunks[] = {7, 64};
	bool same = true;
	for (size_t k = 0; k < sizeof keeps / sizeof *keeps && same; k++) {
		keep = keeps[k];
		same = same_every_way(&up, chunks, sizeof chunks / sizeof *chunks, "cells past the limit") &&
		       same_every_way(&down, chunks, sizeof chunks / sizeof *chunks, "cells past the room");
	}
	keep = 0;
	CHECK("cells past the limit are counted as libcsv counts them", same, "see above");
	buf_free(&up);
	buf_free(&down);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/csv";
	platform_init(); /* the fixtures are read as bytes, as the commands read files (Windows: binary) */
	DIR *d = opendir(dir);
	if (!d) {
		printf("FAIL csvread: cannot open %s\n", dir);
		return 1;
	}
	struct dirent *e;
	char *names[256];
	int count = 0;
	while ((e = readdir(d)) && count < 256) {
		size_t len = strlen(e->d_name);
		if (len > 4 && strcmp(e->d_name + len - 4, ".csv") == 0)
			names[count++] = xstrdup(e->d_name);
	}
	closedir(d);
	for (int i = 0; i < count; i++) {
		test_fixture(dir, names[i]);
		free(names[i]);
	}
	test_longer_than_sample();
	test_plain_against_libcsv();
	test_characters_across_blocks();
	test_line_ends();
	test_lines_across_read_blocks();
	test_cells_past_the_limit();
	test_ascii_marks();
	return test_status();
}
