/* table.c — display-width alignment for terminal tables. */
#include "table.h"
#include "termtext.h"
#include "utf8.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct table {
	size_t ncols, nrows, cap;
	char **cells;      /* nrows × ncols */
	size_t *width;     /* widest display width per column */
	bool *right;
};

struct table *table_new(size_t ncols)
{
	struct table *t = xcalloc(1, sizeof *t);
	t->ncols = ncols;
	t->width = xcalloc(ncols, sizeof *t->width);
	t->right = xcalloc(ncols, sizeof *t->right);
	return t;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t->right);
	free(t);
}

void table_align_right(struct table *t, size_t col) { t->right[col] = true; }

void table_add(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
	}
	for (size_t c = 0; c < t->ncols; c++) {
		struct buf shown = {0};
		termtext_adds(&shown, cells[c] ? cells[c] : "");
		t->cells[t->nrows * t->ncols + c] = shown.data;
		size_t w = utf8_width(shown.data, shown.len);
		if (w > t->width[c])
			t->width[c] = w;
	}
	t->nrows++;
}

/* Writes n spaces. */
static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

void table_print(const struct table *t, FILE *out, bool header)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t gap = t->width[c] - utf8_width(s, strlen(s));
			bool last = c + 1 == t->ncols;
			if (t->right[c])
				pad(out, gap);
			fputs(s, out);
			if (!t->right[c] && !last)
				pad(out, gap);
			if (!last)
				fputs("  ", out);
		}
		fputc('\n', out);
		if (r == 0 && header) {
			size_t total = 0;
			for (size_t c = 0; c < t->ncols; c++)
				total += t->width[c] + (c + 1 < t->ncols ? 2 : 0);
			if (total > 100)
				total = 100; /* a rule under a long last column need not span it */
			for (size_t i = 0; i < total; i++)
				fputc('-', out);
			fputc('\n', out);
		}
	}
}
