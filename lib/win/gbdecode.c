/* gbdecode.c — one GBK or GB18030 character at a time, as glibc decodes and encodes it. */
#include "gbdecode.h"

#include <stdlib.h>

/* The code point of a four-byte sequence by its linear index, or 0 (a binary search of the runs). */
static uint32_t four_byte(uint32_t index)
{
	unsigned lo = 0, hi = gb18030_four_byte_runs - 1; /* the last run only marks the end */
	if (index >= gb18030_four_byte[hi].index)
		return 0;
	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;
		if (gb18030_four_byte[mid].index <= index)
			lo = mid;
		else
			hi = mid;
	}
	const struct gb_run *r = &gb18030_four_byte[lo];
	return r->cp ? r->cp + (index - r->index) : 0;
}

int gb_decode(const unsigned char *s, size_t n, bool gbk, uint32_t *cp)
{
	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (gbk && s[0] == 0x80) { /* glibc's GBK, like code page 936, reads it as the euro sign */
		*cp = 0x20AC;
		return 1;
	}
	if (s[0] == 0x80 || s[0] == 0xFF)
		return -1;
	if (n < 2)
		return 0;
	if (!gbk && s[1] >= 0x30 && s[1] <= 0x39) {
		if (n < 4)
			return 0;
		if (s[2] < 0x81 || s[2] > 0xFE || s[3] < 0x30 || s[3] > 0x39)
			return -1;
		uint32_t index = (((uint32_t)(s[0] - 0x81) * 10 + (s[1] - 0x30)) * 126 + (s[2] - 0x81)) * 10 + (s[3] - 0x30);
		*cp = four_byte(index);
		return *cp ? 4 : -1;
	}
	if (s[1] < 0x40 || s[1] == 0x7F || s[1] == 0xFF)
		return -1;
	size_t cell = (size_t)(s[0] - 0x81) * 190 + (s[1] - 0x40) - (s[1] > 0x7F);
	*cp = (gbk ? gbk_two_byte : gb18030_two_byte)[cell];
	return *cp ? 2 : -1;
}

/* The two-byte cells of a table, sorted by the code point they decode to (built on first use). */
struct by_code_point {
	uint16_t cells[GB_TWO_BYTE_CELLS];
	unsigned n;
};

static const uint32_t *sort_table; /* the table compare_cells reads: set only while sorting */

/* Orders two cells by their code points, then by cell (the first cell of a code point is the one written). */
static int compare_cells(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	uint32_t cx = sort_table[x], cy = sort_table[y];
	return cx != cy ? (cx < cy ? -1 : 1) : (x > y) - (x < y);
}

/* The cells of table that hold characters, sorted by code point. */
static const struct by_code_point *sorted(const uint32_t *table, struct by_code_point *index)
{
	if (index->n)
		return index;
	for (unsigned cell = 0; cell < GB_TWO_BYTE_CELLS; cell++)
		if (table[cell])
			index->cells[index->n++] = (uint16_t)cell;
	sort_table = table;
	qsort(index->cells, index->n, sizeof *index->cells, compare_cells);
	sort_table = NULL;
	return index;
}

/* The two-byte cell that decodes to cp in table, or -1 (a binary search of its index). */
static long two_byte_cell(const uint32_t *table, struct by_code_point *index, uint32_t cp)
{
	const struct by_code_point *ix = sorted(table, index);
	unsigned lo = 0, hi = ix->n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (table[ix->cells[mid]] < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && table[ix->cells[lo]] == cp ? (long)ix->cells[lo] : -1;
}

int gb_encode(uint32_t cp, bool gbk, unsigned char out[4])
{
	static struct by_code_point gb_index, gbk_index;
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (gbk && cp == 0x20AC) {
		out[0] = 0x80;
		return 1;
	}
	long cell = gbk ? two_byte_cell(gbk_two_byte, &gbk_index, cp) : two_byte_cell(gb18030_two_byte, &gb_index, cp);
	if (cell >= 0) {
		unsigned trail = (unsigned)(cell % 190);
		out[0] = (unsigned char)(0x81 + cell / 190);
		out[1] = (unsigned char)(0x40 + trail + (trail >= 0x3F));
		return 2;
	}
	if (gbk)
		return -1;
	for (unsigned r = 0; r + 1 < gb18030_four_byte_runs; r++) {
		const struct gb_run *run = &gb18030_four_byte[r];
		uint32_t length = run[1].index - run->index;
		if (run->cp && cp >= run->cp && cp - run->cp < length) {
			uint32_t index = run->index + (cp - run->cp);
			out[3] = (unsigned char)(0x30 + index % 10);
			out[2] = (unsigned char)(0x81 + index / 10 % 126);
			out[1] = (unsigned char)(0x30 + index / 1260 % 10);
			out[0] = (unsigned char)(0x81 + index / 12600);
			return 4;
		}
	}
	return -1;
}
