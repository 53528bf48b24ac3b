/*
 * csvread.h — a push reader for CSV over libcsv that knows where it is.
 *
 * libcsv reports no positions, so the reader cuts its input into segments that
 * end at a line break and hands libcsv one segment at a time: every record then
 * ends at the end of a known segment, which gives each record its exact byte
 * offset and physical line.  A plain one-line record (no quote) is split by
 * the reader itself, faster and with the same result.  The reader also strips and reports a UTF-8 BOM,
 * validates UTF-8 (or transcodes GBK/GB18030 with iconv while positions keep
 * referring to the original bytes), turns CRLF pairs into one line break, and
 * bounds the memory a single cell may take.
 *
 * Cell pointers in a record are borrowed: valid only during the record
 * callback.  Input may be fed in pieces of any size, down to one byte.
 *
 * The encoding is decided once, before the first record: a UTF-8 BOM makes it
 * UTF-8; otherwise a declared GBK or GB18030 is read as declared, and
 * CSVR_AUTO (or declared UTF-8) holds the first bytes until a sample of them
 * decides between UTF-8 and GB18030 (encoding.h).
 */
#ifndef QY_CSVREAD_H
#define QY_CSVREAD_H

#include "utf8.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum csvr_encoding { CSVR_UTF8, CSVR_GBK, CSVR_GB18030, CSVR_AUTO };

struct csvr_cell {
	const char *data; /* UTF-8 (or the raw bytes, when they were invalid) */
	size_t len;
	size_t off;       /* private: offset in the reader's cell buffer */
	bool oversized;   /* cut to the size limit */
	bool reported;    /* a workbook cell whose problem is its finding (error value): not checked */
	bool ascii;       /* known to be ASCII only; false when it is not, or not known */
};

struct csvr_record {
	const struct csvr_cell *cells;
	size_t ncells;      /* cells kept (at most the limit set by csvr_keep_cells) */
	size_t total_cells; /* cells the record really has */
	uint64_t row;       /* 1-based record number, title and header rows included */
	uint64_t line;      /* 1-based physical line where the record starts */
	uint64_t offset;    /* byte offset in the original input where it starts */
	bool unterminated;  /* a quoted field ran to the end of the input */
	bool unmarked;      /* no cell is oversized or reported (false: not known) */
};

enum csvr_event_kind {
	CSVR_EV_BOM,             /* UTF-8 BOM stripped */
	CSVR_EV_BAD_BYTES,       /* bytes invalid in the input encoding */
	CSVR_EV_TRUNCATED,       /* input ends inside a multibyte character */
	CSVR_EV_NUL,             /* NUL byte in the text */
	CSVR_EV_LEGACY,          /* GB18030 text where UTF-8 was declared; reading stopped */
	CSVR_EV_UTF16,           /* UTF-16 byte-order mark; reading stopped */
	CSVR_EV_OVERSIZED,       /* a cell exceeded the size limit */
	CSVR_EV_UNTERMINATED,    /* a quoted field never closed */
	CSVR_EV_ENCODING,        /* the encoding is decided (before any record) */
};

struct csvr_event {
	enum csvr_event_kind kind;
	uint64_t offset;          /* byte offset of the problem (of the record, for cells) */
	uint64_t line, row;       /* where: the line of the byte, the record it is in */
	size_t cell;              /* 0-based cell index (oversized only), else SIZE_MAX */
	unsigned char bytes[4];   /* the offending bytes, for the message */
	size_t nbytes;
	enum csvr_encoding encoding;  /* CSVR_EV_ENCODING: the one read (never CSVR_AUTO) */
	bool detected;            /* CSVR_EV_ENCODING: decided by the bytes, not as declared */
};

struct csvr_handler {
	void (*record)(void *ctx, const struct csvr_record *rec);
	void (*event)(void *ctx, const struct csvr_event *ev);
	void *ctx;
};

/* How plain records are split: with SSE2 where the build has it, or (to test that way) in portable C. */
enum csvr_split { CSVR_SPLIT_FASTEST, CSVR_SPLIT_PORTABLE };

struct csvr_options {
	unsigned char delimiter;   /* ',' by default */
	enum csvr_encoding encoding;  /* as declared, or CSVR_AUTO */
	size_t max_field;          /* bytes; 0 means the default of 1 MiB */
	enum csvr_split split;     /* CSVR_SPLIT_FASTEST unless testing a way */
};

struct csvr;

/* True if a cell holds nothing but blanks (space, tab, U+3000, NBSP). */
static inline bool csvr_cell_blank(const struct csvr_cell *c)
{
	return utf8_blank_len((const unsigned char *)c->data, c->len) == c->len;
}

/* Looks an encoding up by the name rule sets and --encoding give it: auto, utf-8 (utf8), gbk, gb18030. */
bool csvr_encoding_from_name(const char *name, enum csvr_encoding *e);

/* Creates a reader; the handler is copied.  Returns NULL if iconv lacks the encoding. */
struct csvr *csvr_new(const struct csvr_options *opt, const struct csvr_handler *h);
void csvr_free(struct csvr *r);

/* Limits how many cells of each later record are kept (the rest are only counted). */
void csvr_keep_cells(struct csvr *r, size_t n);

/* Feeds the next n bytes of input. */
void csvr_feed(struct csvr *r, const void *data, size_t n);

/* Ends the input: flushes the last record and reports what was left open. */
void csvr_finish(struct csvr *r);

/* True once reading stopped for good (UTF-16, or GB18030 declared as UTF-8). */
bool csvr_stopped(const struct csvr *r);

/* The encoding being read: UTF-8 until the decision says otherwise. */
enum csvr_encoding csvr_encoding(const struct csvr *r);


#endif
