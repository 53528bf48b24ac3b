/*
 * stream.h — reading the diagnostic stream (design.md §3) back: one record per
 * line from files or stdin, checked enough that the pipeline commands can
 * trust the keys they use: a file record's counts are whole numbers from 0
 * and its status is pass, fail or error, or the line is not a record.  A record borrows everything from the reader and
 * is valid until the next call; its text is the line exactly as read, so a
 * record from a newer version passes through unchanged.
 */
#ifndef QY_STREAM_H
#define QY_STREAM_H

#include "diag.h"
#include "util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The record types of design.md §3; REC_OTHER is a newer one, passed through or ignored. */
enum record_type { REC_DIAGNOSTIC, REC_FILE, REC_FACTS, REC_RECONCILE, REC_OTHER };

struct record {
	enum record_type type;
	json_t *obj;
	const char *text;         /* the line, without its newline */
	size_t len;
	/* diagnostic records (strings NULL when absent; file also of any other record that has one) */
	enum severity severity;
	const char *code, *rule, *file, *message, *column, *cell, *value, *expected, *county, *plan;
	json_t *args;             /* what renders the message again (msgcat.h), or NULL */
	uint64_t line, row;
	const char *sheet;        /* a workbook's sheet (both types), or NULL */
	/* file records (and facts records: ruleset, file; county: the county of all the file's rows, or NULL) */
	const char *ruleset, *status, *encoding;
	uint64_t counts[3], records, bytes, suppressed;
};

struct stream {
	char **inputs;            /* file names; "-" is stdin */
	int ninputs, next;
	FILE *f;
	const char *name;         /* of the input being read, for messages */
	uint64_t lineno;
	bool lenient;
	struct buf line;
	json_t *obj;
	int skipped;              /* invalid lines skipped under lenient */
};

/* Prepares to read the inputs in order (none: stdin). */
void stream_open(struct stream *s, char **inputs, int n, bool lenient);

/*
 * Reads the next record: returns 1, or 0 at the end of the last input, or
 * -1 after reporting an unreadable input or an invalid line (without lenient).
 */
int stream_next(struct stream *s, struct record *r);

void stream_close(struct stream *s);

/*
 * A diagnostic's message in lang: rendered again from its args into out when
 * they allow it, else the message as written.
 */
const char *record_message(const struct record *r, enum lang lang, struct buf *out);

/* The rule set part of a rule id ("air-daily/pm25.range" → "air-daily"), into out. */
const char *record_ruleset(const struct record *r, char *out, size_t size);

#endif
