/* reftable.c — loading and indexing reference tables. */
#include "reftable.h"
#include "csvread.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIAS_FLAG (1ULL << 63)

struct loading {
	struct reftable *t;
	size_t cap_rows;
	char *err;
	size_t errlen;
	bool failed;
};

/* Records the first problem met while loading. */
static void load_fail(struct loading *L, const char *fmt, unsigned long long a)
{
	if (!L->failed)
		snprintf(L->err, L->errlen, fmt, a);
	L->failed = true;
}

/* Takes the header row as column names, later rows as data (blank rows skipped). */
static void on_record(void *ctx, const struct csvr_record *rec)
{
	struct loading *L = ctx;
	struct reftable *t = L->t;
	if (!t->colnames) {
		t->ncols = rec->ncells;
		t->colnames = xcalloc(t->ncols, sizeof *t->colnames);
		for (size_t i = 0; i < rec->ncells; i++)
			t->colnames[i] = xstrndup(rec->cells[i].data, rec->cells[i].len);
		return;
	}
	if (rec->ncells == 0 || (rec->ncells == 1 && rec->cells[0].len == 0))
		return;
	if (rec->ncells != t->ncols) {
		if (!L->failed)
			snprintf(L->err, L->errlen, "line %llu has %zu cells, the header %zu (a comma inside a cell needs quotes)",
				 (unsigned long long)rec->line, rec->ncells, t->ncols);
		L->failed = true;
		return;
	}
	if (t->nrows == L->cap_rows) {
		L->cap_rows = L->cap_rows ? L->cap_rows * 2 : 64;
		t->cells = xrealloc(t->cells, L->cap_rows * t->ncols * sizeof *t->cells);
	}
	for (size_t i = 0; i < t->ncols; i++) {
		const struct csvr_cell *c = &rec->cells[i];
		size_t lead = utf8_blank_len((const unsigned char *)c->data, c->len);
		size_t trail = utf8_blank_len_back((const unsigned char *)c->data + lead, c->len - lead);
		t->cells[t->nrows * t->ncols + i] = t->text.len;
		buf_add(&t->text, c->data + lead, c->len - lead - trail);
		buf_addc(&t->text, '\0');
	}
	t->nrows++;
}

static void on_event(void *ctx, const struct csvr_event *ev)
{
	struct loading *L = ctx;
	if (ev->kind != CSVR_EV_BOM && ev->kind != CSVR_EV_ENCODING)
		load_fail(L, "line %llu: not valid UTF-8 CSV", ev->line);
}

struct reftable *reftable_load(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	struct reftable *t = xcalloc(1, sizeof *t);
	t->path = xstrdup(path);
	struct loading L = {.t = t, .err = err, .errlen = errlen};
	struct csvr_options opt = {.encoding = CSVR_UTF8};
	struct csvr_handler h = {on_record, on_event, &L};
	struct csvr *r = csvr_new(&opt, &h);
	char chunk[65536];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		csvr_feed(r, chunk, (size_t)n);
	if (n < 0)
		load_fail(&L, "read error", 0);
	csvr_finish(r);
	csvr_free(r);
	close(fd);
	if (!L.failed && !t->colnames)
		load_fail(&L, "no header row", 0);
	if (L.failed) {
		reftable_free(t);
		return NULL;
	}
	t->index = xcalloc(t->ncols, sizeof *t->index);
	t->name_col = reftable_column(t, "name");
	t->alias_col = reftable_column(t, "aliases");
	return t;
}

void reftable_free(struct reftable *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++) {
		free(t->colnames[i]);
		if (t->index)
			strmap_free(&t->index[i]);
	}
	free(t->colnames);
	free(t->index);
	free(t->cells);
	buf_free(&t->text);
	free(t->path);
	free(t);
}

int reftable_column(const struct reftable *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->colnames[i], name) == 0)
			return (int)i;
	return -1;
}

const char *reftable_cell(const struct reftable *t, size_t row, int col)
{
	return t->text.data + t->cells[row * t->ncols + (size_t)col];
}

void reftable_index(struct reftable *t, int col)
{
	struct strmap *m = &t->index[col];
	if (strmap_count(m) || !t->nrows)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		const char *v = reftable_cell(t, r, col);
		strmap_put(m, v, strlen(v), r, NULL);
	}
	if (col != t->name_col || t->alias_col < 0)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		const char *a = reftable_cell(t, r, t->alias_col);
		while (*a) {
			size_t len = strcspn(a, "|");
			if (len)
				strmap_put(m, a, len, r | ALIAS_FLAG, NULL);
			a += len + (a[len] == '|');
		}
	}
}

bool reftable_find(const struct reftable *t, int col, const char *s, size_t n,
		   size_t *row, bool *alias)
{
	uint64_t v;
	if (!strmap_get(&t->index[col], s, n, &v))
		return false;
	*row = (size_t)(v & ~ALIAS_FLAG);
	*alias = (v & ALIAS_FLAG) != 0;
	return true;
}
