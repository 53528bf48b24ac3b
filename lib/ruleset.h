/*
 * ruleset.h — rule sets (design.md §6): one JSON file describing a kind of
 * submission, compiled once at load time — patterns JIT-compiled with a match
 * limit, enums hashed, reference tables loaded and indexed, header names
 * folded for matching.  Every mistake in a rule file is reported as
 * "FILE:LINE:COL: PATH: message" on stderr and makes loading fail.
 * A loaded ruleset owns everything it points at.
 */
#ifndef QY_RULESET_H
#define QY_RULESET_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "celltype.h"
#include "csvread.h"
#include "diag.h"
#include "jsonload.h"
#include "reftable.h"
#include "strmap.h"

#include <stdbool.h>
#include <stddef.h>

/* The built-in checks of a column, each with its own severity. */
enum check {
	CHK_REQUIRED, CHK_TYPE, CHK_CHECK_DIGIT, CHK_RANGE, CHK_LENGTH, CHK_PATTERN,
	CHK_ENUM, CHK_REFERENCE, CHK_ALIAS, CHK_WHITESPACE, CHK_COUNT
};

/* The diagnostic code of a check ("type-error", "range", …). */
const char *check_code(enum check c);

struct column {
	char *name, *label, *unit, *description;
	char **aliases;
	size_t naliases;
	enum coltype type;
	bool required;
	bool has_min, has_max;
	double min, max;
	char *min_text, *max_text;      /* as written, for messages */
	long min_length, max_length;    /* -1: none */
	char *pattern_src;
	char *pattern_zh, *pattern_en;  /* "pattern_description": the form in words, or NULL */
	pcre2_code *pattern;
	pcre2_match_data *match;
	char **enum_values;
	size_t *enum_lens;
	size_t nenum;
	struct strmap enum_set;
	char *enum_text;                /* "one of A, B, …" */
	struct reftable *ref;
	int ref_col;
	char *ref_text;                 /* "table.column" */
	const char *ref_zh, *ref_en;    /* the referenced column in words ("区县名称表"), or NULL; borrowed from refs */
	enum severity severity[CHK_COUNT];
};

struct unique_key {
	size_t *cols;
	size_t ncols;
	char *id;                       /* "station_id+date"; "duplicate-row" for the whole row */
	enum severity severity;
	bool whole_row;                 /* every cell, blanks included: a row repeated whole (no cols) */
};

/* What a reference table's column is called in messages ("区县名称表", "the county name list"). */
struct ref_label {
	char *column, *zh, *en;
};

struct named_table {
	char *name;
	struct reftable *table;
	struct ref_label *labels;
	size_t nlabels;
};

enum county_mode { COUNTY_NONE, COUNTY_BY_CODE, COUNTY_BY_NAME };

/* A named sub-expression ("let"): its text is compiled where the name is used. */
struct let {
	char *name, *src;
};

struct ruleset {
	char *id, *version, *title_zh, *title_en, *plan, *description, *path;
	char **match;
	size_t nmatch;
	unsigned char delimiter;
	long header_row;                /* 0: detect */
	char *sheet;                    /* a workbook's sheet: name or 1-based index; NULL: the first visible */
	enum csvr_encoding encoding;
	bool encoding_declared;
	struct column *cols;
	size_t ncols;
	struct strmap header_names;     /* folded name, label or alias → column */
	struct unique_key *uniques;
	size_t nunique;
	struct named_table *refs;
	size_t nrefs;
	size_t county_col;              /* valid when county_mode != COUNTY_NONE */
	enum county_mode county_mode;
	struct reftable *counties;
	int county_code_col;
	pcre2_match_context *match_ctx;
	struct targets *targets;        /* from the "targets" reference table, or NULL */
	struct let *lets;
	size_t nlets;
	struct view *views;
	size_t nviews;
	struct view *exports;           /* "exports": views written out as facts records */
	size_t nexports;
	size_t *kept_cols;              /* the columns rules judged in order read: kept with each row */
	size_t nkept;
	struct written_rule *row_rules, *aggregates;
	size_t nrow_rules, naggregates;
	struct coverage_rule *coverage;
	size_t ncoverage;
};

/*
 * Matches a compiled pattern of the rule set (pcre2_match's result), through
 * PCRE2's JIT fast path when the subject is valid UTF-8, since that path does
 * not check it.
 */
int ruleset_pattern_match(const struct ruleset *rs, pcre2_code *re, pcre2_match_data *md,
			  const char *s, size_t n);

/*
 * Reads what every rule file says of itself into L's rule set: its id (under
 * id_key: "ruleset", or qy-reconcile's "reconcile"), version, plan, title and
 * description.
 */
void ruleset_load_about(struct loader *L, json_t *root, const char *id_key);

/*
 * Reads the "refs" of a rule file into L's rule set, names resolving in the
 * file's directory, in also (may be NULL), --ref-dir and the rules
 * directory; a table named targets becomes the plan target table.  For rule
 * files that are not a table's (qy-reconcile's).
 */
void ruleset_load_refs(struct loader *L, json_t *root, const char *also);

/* Loads and compiles a rule set; prints every error and returns NULL on failure. */
struct ruleset *ruleset_load(const char *path);

/*
 * Loads rule set id from dir (ID.json): NULL, its errors printed, when it is
 * invalid; an id with no file there is a usage mistake (message, exit 2).
 */
struct ruleset *ruleset_load_id(const char *dir, const char *id);

/* The first of sets whose match globs fit a file's name, or NULL. */
const struct ruleset *ruleset_for_name(struct ruleset *const *sets, size_t n, const char *file);
void ruleset_free(struct ruleset *rs);

/* The column as the clerk sees it in the header: its label, else its name. */
const char *column_shown(const struct column *c);

/* Finds a column by canonical name; returns its index or -1. */
int ruleset_column(const struct ruleset *rs, const char *name);

/* Writes what a column allows (range, length, list, pattern, reference) in a short line. */
void column_allowed(const struct column *c, enum lang lang, struct buf *out);

/*
 * True if a file name (its last component) matches one of the match globs;
 * a workbook (.xlsx, .xlsm, .xls) also matches as if it ended in .csv.
 */
bool ruleset_matches(const struct ruleset *rs, const char *filename);

/*
 * Loads every *.json rule set in dir, sorted by file name.  Returns the count
 * (0 with *sets NULL for an empty directory), or -1 if any failed to load.
 */
int ruleset_load_dir(const char *dir, struct ruleset ***sets);

/* The rules directory: $QY_RULES, the installed one, or rules (Windows) or ../rules beside the binary. */
const char *ruleset_default_dir(void);

/*
 * The county table of a rules directory (NULL: the default one), ref/counties.csv,
 * indexed by its first column, code, for the names of counties; NULL when it is
 * absent or has no code and name columns.  Owned by the caller.
 */
struct reftable *ruleset_counties(const char *dir);

#endif
