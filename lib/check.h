/*
 * check.h — checking one data file against one rule set: structure (encoding,
 * title rows, header, ragged and blank rows), every column's built-in checks
 * and the unique keys.  Streams the file once; memory grows only with the
 * unique keys and the aggregate groups, within --max-memory when it is given.
 * A workbook (.xlsx, .xls) is checked by its sheet's rows, the same checks on
 * the same records; any other file that is not CSV gets one finding that says
 * what it is.
 */
#ifndef QY_CHECK_H
#define QY_CHECK_H

#include "csvread.h"
#include "diag.h"
#include "ruleset.h"

#include <stdbool.h>
#include <stdint.h>

struct check_options {
	enum csvr_encoding encoding;  /* CSVR_AUTO: decided per file */
	bool encoding_given;    /* --encoding overrides the rule set's dialect (default: auto) */
	size_t max_field;       /* bytes; 0: 1 MiB */
	uint64_t max_memory;    /* bytes the unique keys and groups of one file may hold; 0: no limit */
	void (*on_read)(void *ctx, uint64_t bytes);   /* progress, or NULL */
	void *on_read_ctx;
	const double *as_of;    /* the date rules judge deadlines and "so far" at (as_of()), or NULL */
	const char *path;       /* the file's name, for a workbook library that opens it; NULL: stdin */
	const char *sheet;      /* --sheet: a workbook's sheet, over the rule set's dialect.sheet */
	bool general_cells;     /* every cell by the general path, none by the usual cell's fast one (to test it) */
	/*
	 * Asked when a header lacks required columns of the rule set: returns
	 * the rule set the header fits instead (the file is then not checked,
	 * and one wrong-ruleset finding says so), or NULL.  NULL: never asked.
	 */
	const struct ruleset *(*fits_instead)(void *ctx, const struct ruleset *rs,
					      const struct csvr_record *header);
	void *fits_instead_ctx;
};

struct check_result {
	uint64_t records;       /* data records (not title, header or blank rows) */
	uint64_t bytes;         /* bytes read */
	const char *encoding;   /* "utf-8", "gbk", "gb18030", "utf-16" (static), or NULL if unknown */
	bool encoding_detected; /* told by the bytes, not as declared */
	bool unreadable;        /* a read error stopped the check, or the file changed (io-error reported) */
	bool size_changed;      /* a regular file changed size while it was read */
	bool over_budget;       /* a rule was dropped for want of memory (resource-limit reported) */
	const char *trouble;    /* what else stopped it, for stderr (static), or NULL */
	const struct ruleset *fits;  /* the rule set the header fits instead: not checked (wrong-ruleset reported) */
};

/*
 * Checks the file open on fd; diagnostics go to out, and out->county is set
 * to the county of its records when every record whose county is known has
 * the same one.
 */
void check_fd(const struct ruleset *rs, int fd, const struct check_options *opt,
	      struct diag_file *out, struct check_result *res);

#endif
