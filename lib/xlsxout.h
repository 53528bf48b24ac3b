/*
 * xlsxout.h — a workbook written with libxlsxwriter to standard output.
 * libxlsxwriter writes to a named file, so the workbook is made in a
 * temporary file and copied out when it is closed; a workbook is never
 * written to a terminal.  The caller owns the lxw_workbook until
 * xlsxout_finish, which closes and frees it.
 */
#ifndef QY_XLSXOUT_H
#define QY_XLSXOUT_H

#include <xlsxwriter.h>

#include <stdbool.h>

struct xlsxout {
	lxw_workbook *book;
	char *path;              /* the temporary file */
};

/*
 * Refuses (exit 2, naming the fix) when standard output is a terminal;
 * else starts a workbook, in constant-memory mode when rows_in_order (rows
 * then have to be written in order, each sheet's rows top to bottom).
 */
void xlsxout_start(struct xlsxout *o, bool rows_in_order);

/* Closes the workbook and copies it to standard output; exits 2 on failure. */
void xlsxout_finish(struct xlsxout *o);

#endif
