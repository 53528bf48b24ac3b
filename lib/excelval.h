/*
 * excelval.h — the text Excel shows for a stored cell value: numbers to 15
 * significant digits, date serial numbers (1900 or 1904 date system, with the
 * 1900 leap-year bug) as ISO dates, times and months by the cell's number
 * format, percentages with their sign.  Shared by the workbook readers and by
 * the commands that write workbooks.  Nothing here allocates but the buffers.
 */
#ifndef QY_EXCELVAL_H
#define QY_EXCELVAL_H

#include "util.h"

#include <stdbool.h>

/* What a number format makes of a number. */
enum excel_shape {
	SHAPE_NUMBER,    /* General and the other number formats: 15 significant digits */
	SHAPE_PERCENT,   /* 0%, 0.00%: a hundred times the value and a % sign */
	SHAPE_DATE,      /* YYYY-MM-DD */
	SHAPE_DATETIME,  /* YYYY-MM-DD HH:MM:SS */
	SHAPE_TIME,      /* HH:MM:SS */
	SHAPE_MONTH,     /* YYYY-MM */
	SHAPE_YEAR,      /* YYYY */
};

/* True for the shapes whose number is a date serial. */
static inline bool excel_shape_is_date(enum excel_shape s) { return s >= SHAPE_DATE; }

/*
 * The shape of number format id (built-in ids 0–163, Chinese locale ids
 * included), or of its format code when it has one (custom ids from 164 on).
 */
enum excel_shape excel_format_shape(int id, const char *code);

/* Appends a number as Excel shows it in General: 15 significant digits, 1E+15 past that. */
void excel_number_text(double v, struct buf *out);

/*
 * Turns a date serial into days since 1970-01-01 and seconds into the day.
 * False for what Excel cannot show as a date: negative serials, serials past
 * 9999-12-31, and the 1900 system's day 0 and 29 February 1900 (its
 * leap-year bug), which *fake_day then names (0 or 60).
 */
bool excel_serial_days(double serial, bool date1904, double *days, long *seconds, int *fake_day);

/* Appends a cell's number as its format shows it (dates in ISO form). */
void excel_value_text(double v, enum excel_shape shape, bool date1904, struct buf *out);

#endif
