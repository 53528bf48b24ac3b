/* header.c — header rows, title rows and the rule set a header fits. */
#include "header.h"
#include "utf8.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEEK_BYTES (1024 * 1024)   /* read at most this much of a file for its header */
#define PEEK_CELLS 1024            /* and keep at most this many cells of a row */

int header_column(const struct ruleset *rs, const char *cell, size_t len)
{
	char small[256];
	char *folded = 4 * len + 1 <= sizeof small ? small : xmalloc(4 * len + 1);
	size_t n = utf8_fold_name((const unsigned char *)cell, len, folded);
	uint64_t col;
	bool found = n && strmap_get(&rs->header_names, folded, n, &col);
	if (folded != small)
		free(folded);
	return found ? (int)col : -1;
}

bool header_is_title_row(const struct ruleset *rs, const struct csvr_record *rec)
{
	size_t filled = 0, last = 0;
	for (size_t i = 0; i < rec->ncells; i++)
		if (!csvr_cell_blank(&rec->cells[i]))
			filled++, last = i;
	if (filled == 0)
		return true;
	if (filled > 1 || rs->ncols == 1)
		return false;
	return header_column(rs, rec->cells[last].data, rec->cells[last].len) < 0;
}

bool header_above(const struct ruleset *rs, const struct csvr_record *rec)
{
	if (rs->header_row)
		return (long)rec->row < rs->header_row;
	return rec->row <= HEADER_TITLE_ROWS_MAX && header_is_title_row(rs, rec);
}

void header_fit(const struct ruleset *rs, const struct csvr_record *header, struct header_fit *fit)
{
	bool *seen = xcalloc(rs->ncols + 1, sizeof *seen);
	*fit = (struct header_fit){0};
	for (size_t i = 0; i < header->ncells; i++) {
		int col = header_column(rs, header->cells[i].data, header->cells[i].len);
		if (col >= 0 && !seen[col]) {
			seen[col] = true;
			fit->named++;
		}
	}
	for (size_t c = 0; c < rs->ncols; c++)
		fit->required_missing += rs->cols[c].required && !seen[c];
	free(seen);
}

/* The best fit so far among the rule sets considered, and whether another fits as well. */
struct best {
	const struct ruleset *rs;
	size_t named;
	bool tie;
};

/* Weighs one rule set and its header against the best so far. */
static void consider(struct best *b, const struct ruleset *rs, const struct csvr_record *header)
{
	struct header_fit fit;
	header_fit(rs, header, &fit);
	if (fit.required_missing || fit.named < 2 || fit.named < b->named)
		return;
	b->tie = fit.named == b->named;
	b->rs = rs;
	b->named = fit.named;
}

const struct ruleset *header_best_fit(struct ruleset *const *sets, size_t n, const struct ruleset *except,
				      const struct csvr_record *header)
{
	struct best b = {0};
	for (size_t i = 0; i < n; i++)
		if (sets[i] != except)
			consider(&b, sets[i], header);
	return b.tie ? NULL : b.rs;
}

/* The first rows of a file, their cells copied. */
struct peek {
	struct csvr_record recs[HEADER_TITLE_ROWS_MAX + 1];
	struct buf text[HEADER_TITLE_ROWS_MAX + 1];
	size_t n;
};

/* Reader callback: keeps a copy of each of the first rows. */
static void keep_row(void *ctx, const struct csvr_record *rec)
{
	struct peek *p = ctx;
	if (p->n > HEADER_TITLE_ROWS_MAX)
		return;
	struct buf *t = &p->text[p->n];
	struct csvr_cell *cells = xcalloc(rec->ncells + 1, sizeof *cells);
	for (size_t i = 0; i < rec->ncells; i++) {
		cells[i] = (struct csvr_cell){.off = t->len, .len = rec->cells[i].len};
		buf_add(t, rec->cells[i].data, rec->cells[i].len);
	}
	for (size_t i = 0; i < rec->ncells; i++)
		cells[i].data = t->data + cells[i].off;
	p->recs[p->n] = *rec;
	p->recs[p->n++].cells = cells;
}

/* Reads the first rows of the file on fd, split at delim, into p; false on a read error. */
static bool peek_rows(int fd, unsigned char delim, struct peek *p)
{
	struct csvr_options opt = {.delimiter = delim, .encoding = CSVR_AUTO};
	struct csvr_handler h = {keep_row, NULL, p};
	struct csvr *r = csvr_new(&opt, &h);
	csvr_keep_cells(r, PEEK_CELLS);
	char chunk[65536];
	size_t total = 0;
	ssize_t got = 0;
	while (p->n <= HEADER_TITLE_ROWS_MAX && total < PEEK_BYTES && !csvr_stopped(r)) {
		got = read(fd, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		total += (size_t)got;
		csvr_feed(r, chunk, (size_t)got);
	}
	if (got == 0)
		csvr_finish(r);
	csvr_free(r);
	return got >= 0;
}

static void free_peek(struct peek *p)
{
	for (size_t i = 0; i < p->n; i++)
		free((void *)p->recs[i].cells), buf_free(&p->text[i]);
	p->n = 0;
}

const struct ruleset *header_fit_file(int fd, struct ruleset *const *sets, size_t n)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	struct best b = {0};
	bool done[256] = {false}; /* delimiters read with */
	for (size_t i = 0; i < n; i++) {
		unsigned char delim = sets[i]->delimiter;
		if (done[delim])
			continue;
		done[delim] = true;
		struct peek p = {.n = 0};
		bool ok = lseek(fd, 0, SEEK_SET) == 0 && peek_rows(fd, delim, &p);
		for (size_t k = i; ok && k < n; k++) {
			if (sets[k]->delimiter != delim)
				continue;
			size_t h = 0;
			while (h < p.n && header_above(sets[k], &p.recs[h]))
				h++;
			if (h < p.n)
				consider(&b, sets[k], &p.recs[h]);
		}
		free_peek(&p);
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		return NULL;
	return b.tie ? NULL : b.rs;
}
