/*
 * xls.c — a BIFF workbook through libfreexl, which loads the file whole
 * (BIFF8 bounds a sheet at 65,536 rows and 256 columns) and gives each cell
 * as an integer, a double, a text or a date already written out.  libfreexl
 * does not tell formulas, booleans, error values or percentage formats apart
 * from plain values: a .xls is checked by the values it stores.
 */
#include "xls.h"
#include "util.h"

#include <freexl.h>
#include <stdlib.h>
#include <string.h>

/* Hands one cell of the active sheet to the sink. */
static void read_cell(const void *xl, struct sheet *s, unsigned row, unsigned short col, struct buf *text)
{
	FreeXL_CellValue v;
	if (freexl_get_cell_value(xl, row, col, &v) != FREEXL_OK)
		return;
	struct book_cell info = {.type = BV_TEXT};
	buf_reset(text);
	switch (v.type) {
	case FREEXL_CELL_INT:
	case FREEXL_CELL_DOUBLE:
		info.type = BV_NUMBER;
		info.number = v.type == FREEXL_CELL_INT ? (double)v.value.int_value : v.value.double_value;
		excel_number_text(info.number, text);
		break;
	case FREEXL_CELL_TEXT:
	case FREEXL_CELL_SST_TEXT:
	case FREEXL_CELL_DATE:
	case FREEXL_CELL_DATETIME:
	case FREEXL_CELL_TIME:
		buf_adds(text, v.value.text_value ? v.value.text_value : "");
		break;
	default:
		return;
	}
	sheet_cell(s, (uint64_t)row + 1, col, text->data ? text->data : "", text->len, &info, NULL);
}

bool xls_read(const char *path, struct sheet *s)
{
	const void *xl = NULL;
	if (freexl_open(path, &xl) != FREEXL_OK) {
		freexl_close(xl);
		return false;
	}
	unsigned int password = 0, nsheets = 0, rows = 0;
	unsigned short cols = 0;
	freexl_get_info(xl, FREEXL_BIFF_PASSWORD, &password);
	freexl_get_info(xl, FREEXL_BIFF_SHEET_COUNT, &nsheets);
	if (password == FREEXL_BIFF_OBFUSCATED) {
		struct book_event ev = {.kind = BOOK_EV_ENCRYPTED, .col = SIZE_MAX};
		sheet_problem(s, &ev);
		freexl_close(xl);
		return true;
	}
	char **names = xcalloc(nsheets + 1, sizeof *names);
	bool *hidden = xcalloc(nsheets + 1, sizeof *hidden);
	for (unsigned i = 0; i < nsheets; i++) {
		const char *name = NULL;
		freexl_get_worksheet_name(xl, (unsigned short)i, &name);
		names[i] = xstrdup(name ? name : "");
	}
	long pick = nsheets ? sheet_pick(s, names, hidden, nsheets) : -1;
	if (nsheets == 0) {
		struct book_event ev = {.kind = BOOK_EV_BROKEN, .col = SIZE_MAX, .detail = "no worksheet"};
		sheet_problem(s, &ev);
	}
	if (pick >= 0 && freexl_select_active_worksheet(xl, (unsigned short)pick) == FREEXL_OK &&
	    freexl_worksheet_dimensions(xl, &rows, &cols) == FREEXL_OK) {
		struct buf text = {0};
		for (unsigned r = 0; r < rows && !sheet_stopped(s); r++)
			for (unsigned short c = 0; c < cols && !sheet_stopped(s); c++)
				read_cell(xl, s, r, c, &text);
		sheet_finish(s);
		buf_free(&text);
	}
	for (unsigned i = 0; i < nsheets; i++)
		free(names[i]);
	free(names), free(hidden);
	freexl_close(xl);
	return true;
}
