/*
 * sheet.h — where a workbook reader (xlsx.c, xls.c) puts what it reads: the
 * choice of worksheet, its cells, and its problems.  Cells arrive sparse, as
 * workbooks keep them; they leave as the records a CSV reader would give for
 * the same sheet saved as CSV: one per sheet row, dense from column A, the
 * blank rows between filled ones included (trailing ones are not), positions
 * the sheet's own.  Each record comes with what the cells held (number,
 * date, boolean, error) for a reader that writes them back.
 *
 * A cell problem (an error value, a formula without its value) is sent just
 * before its row's record, and the cell comes with "reported" set: the
 * problem is its finding (the cell's text is the error value, or empty).  A problem that stops reading (a limit, a broken
 * part) stops the sheet: sheet_stopped() then says so.  Strings in events and
 * records are borrowed for the call.
 */
#ifndef QY_SHEET_H
#define QY_SHEET_H

#include "csvread.h"
#include "excelval.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Excel's own bounds: rows and columns past these are not a sheet but an attack. */
#define SHEET_MAX_ROWS 1048576
#define SHEET_MAX_COLS 16384

enum book_value { BV_EMPTY, BV_TEXT, BV_NUMBER, BV_BOOL, BV_ERROR };

/* What a workbook cell holds, beside the text the record gives. */
struct book_cell {
	enum book_value type;
	double number;            /* a number or date serial as stored; a boolean 0 or 1 */
	int format_id;            /* number format id; 0 is General */
	const char *format_code;  /* the format's code when it has one, else NULL */
	enum excel_shape shape;   /* what the format makes of a number */
	bool date1904;            /* the workbook counts dates from 1904 */
};

/* What an input that is not CSV turned out to be. */
enum book_kind {
	BOOK_TEXT, BOOK_XLSX, BOOK_XLS, BOOK_ZIP, BOOK_OLE2, BOOK_PDF, BOOK_UTF16,
	BOOK_WORD, BOOK_POWERPOINT, BOOK_ODS, BOOK_ODT,
};

enum book_event_kind {
	BOOK_EV_NO_VALUE,     /* a formula without a cached value (value: the formula) */
	BOOK_EV_ERROR_VALUE,  /* an error value such as #N/A (value: it) */
	BOOK_EV_OVERSIZED,    /* a cell over the size limit: kept in part */
	BOOK_EV_LIMIT,        /* a bound against hostile workbooks was reached; reading stopped */
	BOOK_EV_BROKEN,       /* a part cannot be read (detail: why); reading stopped */
	BOOK_EV_READER_DIED,  /* the .xls reader's child died or sent what makes no sense; reading stopped */
	BOOK_EV_NO_SHEET,     /* the sheet asked for is not there (detail: the sheets); reading stopped */
	BOOK_EV_NOT_TABLE,    /* not CSV and not a workbook qy reads (what); nothing read */
	BOOK_EV_ENCRYPTED,    /* the workbook is password-protected; nothing read */
};

enum book_limit {
	LIMIT_RATIO,      /* a part inflates more than SHEET_RATIO times its compressed size */
	LIMIT_PART_SIZE,  /* a part is larger than amount bytes */
	LIMIT_STRINGS,    /* the shared strings hold more than amount bytes or strings */
	LIMIT_DEPTH,      /* XML nested deeper than amount */
	LIMIT_DTD,        /* a part declares a DTD (entities), which no workbook needs */
	LIMIT_COLUMNS,    /* a cell beyond column XFD */
	LIMIT_ROWS,       /* a row beyond 1048576 */
	LIMIT_COUNT,      /* more than amount sheets, styles or formats */
	LIMIT_SPOOL,      /* a workbook on standard input larger than amount bytes */
	LIMIT_READER_TIME, /* the .xls reader's child used amount seconds of processor time */
};

struct book_event {
	enum book_event_kind kind;
	uint64_t row;             /* sheet row, or 0 */
	size_t col;               /* 0-based column, or SIZE_MAX */
	const char *value;        /* the formula or error value, or NULL */
	const char *part;         /* the workbook part concerned, or NULL */
	const char *detail;       /* a library's reason, or the sheets' names, or NULL */
	enum book_limit limit;
	uint64_t amount;          /* the bound that was reached */
	enum book_kind what;      /* for BOOK_EV_NOT_TABLE */
};

struct book_handler {
	void (*sheet)(void *ctx, const char *name);   /* the sheet chosen, before its first record */
	void (*record)(void *ctx, const struct csvr_record *rec, const struct book_cell *cells);
	void (*event)(void *ctx, const struct book_event *ev);
	void *ctx;
	/* when set, told the sheets' names instead, and nothing is read */
	void (*sheets)(void *ctx, char *const *names, const bool *hidden, size_t n);
};

struct sheet;

/*
 * A sink for one workbook: wanted names the sheet (a name, else a 1-based
 * index; NULL for the first visible one), max_field bounds a cell's bytes.
 */
struct sheet *sheet_new(const struct book_handler *h, const char *wanted, size_t max_field);
void sheet_free(struct sheet *s);

/*
 * Chooses among a workbook's sheets (names in workbook order, hidden[i] for
 * hidden ones); returns the index, or -1 after a BOOK_EV_NO_SHEET event, or
 * -1 after telling a handler that only lists the sheets.
 */
long sheet_pick(struct sheet *s, char *const *names, const bool *hidden, size_t n);

/*
 * Keeps at most n cells of each later record (the rest are only counted) and
 * pads a shorter record with empty cells to n - 1: in a sheet every row
 * reaches the header's last column, and one cell more is all a check of
 * extra cells needs.
 */
void sheet_keep_cells(struct sheet *s, size_t n);

/*
 * Adds the cell of sheet row row (1-based) and column col (0-based) with its
 * text; rows come in ascending order.  problem, when not NULL, is the cell's
 * own finding (sent with its row, the cell then reported).  False once
 * reading has stopped.
 */
bool sheet_cell(struct sheet *s, uint64_t row, size_t col, const char *text, size_t len,
		const struct book_cell *info, const struct book_event *problem);

/* Sends a problem that is not about one cell; a stopping one stops the sheet. */
void sheet_problem(struct sheet *s, const struct book_event *ev);

/* Delivers the last filled row. */
void sheet_finish(struct sheet *s);

/* True once a problem stopped reading. */
bool sheet_stopped(const struct sheet *s);

#endif
