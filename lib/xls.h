/*
 * xls.h — reading an Excel 97–2003 workbook (.xls, BIFF8; also what WPS
 * saves as .xls) into a sheet sink through libfreexl.
 */
#ifndef QY_XLS_H
#define QY_XLS_H

#include "sheet.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Reads the workbook at path, of bytes bytes, into s: the sheet s picks, its
 * cells, its problems.  False, with nothing sent, when libfreexl cannot open
 * the file as a workbook (the caller then says what the file is).
 */
bool xls_read(const char *path, uint64_t bytes, struct sheet *s);

/*
 * In this program started again to read a .xls for its parent (Windows):
 * does job, one pass of the reader, writing its dump to fd; false when job
 * is not one.
 */
bool xls_serve(const char *job, int fd);

#endif
