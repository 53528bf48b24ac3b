/*
 * msgcat.h — the catalogue of built-in messages, so that a finding can be
 * read in either language long after it was written.  Each message has a
 * stable id ("range", "range.min", "io-error.open") and a template in Chinese
 * and in English whose {key} parts are its parameters.  A writer makes the
 * text in the chosen language and the "args" object of the stream at once
 * ({"msg":"range.min","column":"PM2.5","value":"-2","min":"0"}); a reader
 * renders args again in any language.  A message written in a rule set is
 * carried as its two texts, {"zh":"…","en":"…"}.  qy-diagnostics(7) lists
 * every id with its keys.
 *
 * A struct message borrows its strings from the struct msgbuf that made it:
 * they last until that buffer makes its next message.
 */
#ifndef QY_MSGCAT_H
#define QY_MSGCAT_H

#include "diag.h"
#include "util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum msg_id {
	/* reading a file */
	MSG_BOM, MSG_BOM_DECLARED, MSG_LEGACY_DETECTED, MSG_LEGACY_DECLARED, MSG_LEGACY_NOT_READ,
	MSG_ENCODING_BYTE, MSG_ENCODING_NUL, MSG_ENCODING_TRUNCATED, MSG_ENCODING_UTF16,
	MSG_CELL_TOO_LARGE, MSG_UNTERMINATED, MSG_EMPTY_FILE, MSG_NO_HEADER, MSG_HEADER_ONLY,
	MSG_SIZE_CHANGED, MSG_READ_FAILED, MSG_MISSING_FILE, MSG_DIRECTORY, MSG_CANNOT_OPEN,
	MSG_WORKER_SIGNAL, MSG_WORKER_STATUS, MSG_WORKER_DIED,
	/* choosing the rule set */
	MSG_NO_RULESET, MSG_NO_RULESET_STDIN, MSG_NO_RULESET_HEADER, MSG_WRONG_RULESET,
	/* the header and the shape of rows */
	MSG_BLANK_HEADER, MSG_UNKNOWN_COLUMN, MSG_DUPLICATE_COLUMN, MSG_MISSING_COLUMN,
	MSG_MISSING_OPTIONAL, MSG_MISSING_OPTIONALS, MSG_BLANK_ROW, MSG_EXTRA_CELL, MSG_MISSING_CELL,
	/* cells */
	MSG_REQUIRED, MSG_TYPE, MSG_TYPE_FORM, MSG_TYPE_NO_MONTH, MSG_TYPE_NO_DAY, MSG_TYPE_FEBRUARY,
	MSG_TYPE_H9, MSG_TYPE_CODE_KIND, MSG_TYPE_CASE, MSG_WHITESPACE, MSG_WHITESPACE_WIDTH,
	MSG_WHITESPACE_BOTH,
	MSG_RANGE, MSG_RANGE_MIN, MSG_RANGE_MAX, MSG_LENGTH_SHORT, MSG_LENGTH_LONG,
	MSG_PATTERN, MSG_PATTERN_FORM, MSG_PATTERN_LIMIT, MSG_ENUM, MSG_REFERENCE, MSG_REFERENCE_SUGGEST,
	MSG_ALIAS, MSG_ALIAS_FORMER, MSG_ALIAS_FORMER_YEAR, MSG_CHECK_DIGIT, MSG_CHECK_DIGIT_PERMIT,
	/* rows and rules */
	MSG_UNIQUE, MSG_DUPLICATE_ROW, MSG_RULE_PATTERN_LIMIT, MSG_CANNOT_VERIFY, MSG_CANNOT_VERIFY_COLUMN,
	MSG_RESOURCE_LIMIT,
	/* qy-reconcile: across files */
	MSG_RECONCILE_OVERLAP, MSG_RECONCILE_OVERLAP_DAYS, MSG_RECONCILE_UNDECIDED, MSG_RECONCILE_MISSING,
	MSG_RECONCILE_FAILS, MSG_COVERAGE_NOT_SENT, MSG_COVERAGE_NO_PERIOD,
	/* workbooks and other kinds of file */
	MSG_BOOK_ZIP_BOMB, MSG_BOOK_PART_SIZE, MSG_BOOK_STRINGS, MSG_BOOK_DEPTH, MSG_BOOK_DTD,
	MSG_BOOK_COLUMNS, MSG_BOOK_ROWS, MSG_BOOK_COUNT, MSG_BOOK_STDIN, MSG_BOOK_NO_VALUE,
	MSG_BOOK_ERROR_VALUE, MSG_BOOK_CELL_TOO_LARGE, MSG_BOOK_DAMAGED, MSG_BOOK_READER_DIED,
	MSG_BOOK_READER_TIME, MSG_BOOK_NO_SHEET, MSG_BOOK_PASSWORD, MSG_BOOK_XLS, MSG_FILE_WORD, MSG_FILE_POWERPOINT, MSG_FILE_ODS, MSG_FILE_ODT,
	MSG_FILE_PDF, MSG_FILE_ZIP, MSG_FILE_OFFICE,
	/* qy-fix: repairs made, and copies refused */
	MSG_FIXED_BLANKS, MSG_FIXED_WIDTH, MSG_FIXED_CASE, MSG_FIXED_DATES, MSG_FIXED_NAMES,
	MSG_FIXED_TRANSCODE, MSG_FIXED_BOM_ADDED, MSG_FIXED_BOM_REMOVED, MSG_FIXED_EOL,
	MSG_FIXED_TITLE_ROW, MSG_FIXED_BLANK_ROW,
	MSG_FIX_NO_GB18030, MSG_FIX_CANNOT_ENCODE, MSG_FIX_BAD_BYTES, MSG_FIX_UTF16, MSG_FIX_LEGACY, MSG_FIX_CELL_TOO_LARGE,
	MSG_FIX_UNTERMINATED, MSG_FIX_WRONG_RULESET, MSG_FIX_NO_RULESET, MSG_FIX_STDIN,
	MSG_FIX_OUTPUT_IS_INPUT, MSG_FIX_BACKUP_EXISTS, MSG_FIX_REPLACE, MSG_FIX_WRITE, MSG_FIX_COPY_BESIDE,
	MSG_FIX_READ, MSG_FIX_WRITE_COPY,
	MSG_COUNT
};

/* One message of the catalogue: its id in the stream and its two templates. */
struct msg_def {
	const char *id, *zh, *en;
};

/* The catalogue, indexed by enum msg_id. */
extern const struct msg_def msg_defs[MSG_COUNT];

/*
 * A parameter: text (len bytes, or up to its NUL), a whole number, or a
 * phrase whose words differ by language (zh and en both set).  Make them
 * with the ARG_ macros.
 */
struct msg_arg {
	const char *key;
	const char *text;
	size_t len;
	const char *zh, *en;
	unsigned long long number;
};

#define ARG_TEXT(k, s) ((struct msg_arg){.key = (k), .text = (s), .len = SIZE_MAX})
#define ARG_TEXTN(k, s, n) ((struct msg_arg){.key = (k), .text = (s), .len = (n)})
#define ARG_NUM(k, v) ((struct msg_arg){.key = (k), .number = (unsigned long long)(v)})
#define ARG_PHRASE(k, z, e) ((struct msg_arg){.key = (k), .zh = (z), .en = (e)})

/* Where messages are made: the text, the args and the text as a JSON string of the last one (owned). */
struct msgbuf {
	struct buf text, args, json;
};

/* The parameters a message has at most. */
#define MSG_ARGS_MAX 16

/* Makes message id from its parameters: the text in lang, and the args of both languages. */
struct message msg_say(struct msgbuf *m, enum lang lang, enum msg_id id, const struct msg_arg *args, size_t n);

#define MSG_SAY(m, lang, id, ...)                                                                  \
	msg_say((m), (lang), (id), (const struct msg_arg[]){__VA_ARGS__},                          \
		sizeof((const struct msg_arg[]){__VA_ARGS__}) / sizeof(struct msg_arg))
#define MSG_SAY0(m, lang, id) msg_say((m), (lang), (id), NULL, 0)

/* A message written in a rule set, given in both languages: the args are the two texts. */
struct message msg_both(struct msgbuf *m, enum lang lang, const char *zh, const char *en);

/*
 * msg_both's message from texts its caller writes: shown (shown_len bytes)
 * is the text in lang, and json(args, which, ctx) appends the text in
 * language which as a JSON string.
 */
struct message msg_both_written(struct msgbuf *m, enum lang lang, const char *shown, size_t shown_len,
				void (*json)(struct buf *args, enum lang which, void *ctx), void *ctx);

/* Copies a message (and its JSON, when it has it) into m, so that it outlives the buffer that made it. */
struct message msg_keep(struct msgbuf *m, struct message said);

void msgbuf_free(struct msgbuf *m);

/*
 * Renders the args of a stream record in lang into out (reset first): true
 * when they could be; false for none, an unknown id (a newer version's) or a
 * missing key, and the record's own message is the one to show.
 */
bool msg_render(struct buf *out, enum lang lang, json_t *args);

/* The catalogue entry of an id, or NULL. */
const struct msg_def *msg_find(const char *id);

#endif
