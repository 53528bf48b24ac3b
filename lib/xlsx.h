/*
 * xlsx.h — reading an Office Open XML workbook (.xlsx, .xlsm) into a sheet
 * sink: libzip opens the archive, expat streams each part.  Any other zip
 * archive (a Word or OpenDocument file) is named as what it is.
 */
#ifndef QY_XLSX_H
#define QY_XLSX_H

#include "sheet.h"

#include <stddef.h>

/*
 * Reads the workbook in the seekable file open on fd (not closed, its offset
 * moved) into s: the sheet s picks, its cells, its problems.  max_field bounds
 * a cell's bytes as in the sink.
 */
void xlsx_read(int fd, struct sheet *s, size_t max_field);

#endif
