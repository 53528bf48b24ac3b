/*
 * diag.h — the diagnostic stream of design.md §3: one finding per line as
 * JSON (fixed key order, nothing time-dependent) or as compiler-style text for
 * a terminal, with per-file counting, output caps and the closing "file"
 * record.  A struct diag borrows every string it points at; diag_emit copies
 * what it needs.
 */
#ifndef QY_DIAG_H
#define QY_DIAG_H

#include "strmap.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum severity { SEV_INFO, SEV_WARNING, SEV_ERROR, SEV_NEVER };
enum lang { LANG_EN, LANG_ZH };
enum out_format { OUT_JSON, OUT_TEXT };
/* A file's verdict, the "status" of its file record: "error" when it could not be (fully) checked. */
enum file_status { FILE_PASS, FILE_FAIL, FILE_ERROR };

const char *severity_name(enum severity s);
/* Parses "error", "warning", "info" (and "never" when allow_never). */
bool severity_from_name(const char *name, enum severity *s, bool allow_never);

/* The user's language from LC_ALL, LC_MESSAGES or LANG: zh for zh_*, else en. */
enum lang lang_from_env(void);

/* Writes a spreadsheet column name (A, B, …, Z, AA, …) for a 0-based index. */
void cell_column_name(size_t index, char out[16]);

/*
 * A finding's message: its text in the chosen language, and the "args" that
 * render it again in either (a JSON object, msgcat.h), or NULL.
 */
struct message {
	const char *text;
	const char *args;
	size_t args_len;    /* 0: not known */
	const char *json;   /* the text as a quoted JSON string (made with it, so that it is escaped once), or NULL */
	size_t json_len;
};

/* A message of text only. */
#define MESSAGE_TEXT(s) ((struct message){.text = (s), .args = NULL})

struct diag {
	enum severity severity;
	const char *code;       /* from the catalogue, e.g. "range" */
	const char *rule;       /* local rule id; the ruleset id is prefixed */
	struct message message;
	uint64_t line, row;     /* 0: not located */
	const char *column;     /* canonical column name, or NULL */
	size_t cell;            /* 0-based column index in the file; SIZE_MAX: none */
	const char *value;      /* cell text, or NULL */
	size_t value_len;
	const char *expected;   /* or NULL */
	const char *group;      /* a JSON object of group keys, or NULL */
	const char *cell_ref;   /* the cell as text ("F3"), overriding cell and row; or NULL */
	const char *county;     /* or NULL */
	const char *plan;       /* or NULL */
	const char *sheet;      /* the worksheet of a workbook, or NULL (diag_emit fills in the file's) */
	const char *fixed;      /* qy-fix: the cell's new text (value holds the old one), or NULL */
	size_t fixed_len;
	const char *related;    /* qy-reconcile: a JSON array of the other side's {file, row, …}, or NULL */
};

/* An empty diagnostic: no position, no cell. */
#define DIAG_INIT { .cell = SIZE_MAX }

struct diag_file;

struct diag_options {
	enum out_format format;
	enum lang lang;
	enum severity fail_on;  /* SEV_NEVER: never fail */
	long max_per_rule;      /* < 0: no cap */
	long max_errors;        /* < 0: no cap */
	bool color;
	FILE *out;
	void (*before_write)(void);   /* e.g. erase a progress bar; or NULL */
	/*
	 * Where output goes instead of out, when set: called with whole records
	 * (one or more lines) and the file's counts so far.
	 */
	void (*write)(void *ctx, const struct diag_file *f, const char *data, size_t len);
	void *write_ctx;
};

/* Counting and output state for one input file. */
struct diag_file {
	const struct diag_options *opt;
	const char *file, *ruleset;
	uint64_t counts[3];
	uint64_t suppressed, printed_errors;
	bool unchecked;        /* set when the file could not be (fully) checked: status "error" */
	const char *county;    /* the county of all its rows, set before diag_file_end; or NULL */
	struct strmap per_rule;
	struct buf line;
	struct buf rule_head;  /* JSON every finding of the file repeats: ,"rule":"RULESET/ */
	struct buf file_tail;  /* and ","file":"FILE" after the rule id */
	struct diag_kept_table *kept; /* the JSON of the parts findings take from their rules, by rule (diag.c); or NULL */
	char *sheet;           /* the worksheet of a workbook (owned), or NULL */
	const char *encoding_source;  /* "detected" or "declared", set before diag_file_end; or NULL */
	const char *output;           /* qy-fix: the file the repaired copy went to, or NULL */
	struct digits { uint64_t of; size_t len; char text[20]; } line_digits, row_digits; /* the last line and row written, for the row's next findings */
	struct { char text[24], json[48]; size_t json_len; } last_county; /* the county member last written (json_len 0: none), for the next */
};

void diag_file_begin(struct diag_file *f, const struct diag_options *opt,
		     const char *file, const char *ruleset);
void diag_emit(struct diag_file *f, const struct diag *d);
/*
 * Writes a record of another type (a facts record: one JSON line, newline
 * included) among the file's findings; the text format shows none.
 */
void diag_emit_record(struct diag_file *f, const char *json, size_t len);

/*
 * Makes the findings emitted next be about another file and rule set (or
 * none): qy-reconcile's findings are about many files, counted as one run.
 */
void diag_file_about(struct diag_file *f, const char *file, const char *ruleset);

/* Frees what a diag_file holds without writing its file record (qy-reconcile writes its own). */
void diag_file_release(struct diag_file *f);

/* Names the worksheet a workbook's findings from now on, and its file record, are about. */
void diag_file_sheet(struct diag_file *f, const char *name);
/*
 * Writes the "file" record (or the text summary) and returns true if the
 * file failed or could not be checked.
 */
bool diag_file_end(struct diag_file *f, uint64_t records, uint64_t bytes, const char *encoding);

/*
 * Appends one finding as "file:line: severity[rule]: message (cell F3: "value")",
 * or "file[sheet]:row: …" for a finding in a workbook's sheet.
 */
void diag_render_text(struct buf *b, const struct diag_options *o, const char *file,
		      const char *ruleset, const struct diag *d);

/* Appends a file's one-line summary: records, counts by severity, verdict. */
void diag_render_summary(struct buf *b, const struct diag_options *o, const char *file,
			 const uint64_t counts[3], uint64_t records, uint64_t suppressed,
			 enum file_status status);

/* What a system error number means, in the chosen language (strerror's words in English). */
const char *diag_strerror(int err, enum lang lang);

/* Formats a message in the chosen language: zh and en take the same arguments. */
const char *diag_msg(struct buf *b, enum lang lang, const char *zh, const char *en, ...);

#endif
