/* reftable.c — loading and indexing reference tables. */
#include "reftable.h"
#include "csvread.h"
#include "expr.h"
#include "rulefiles.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIAS_FLAG (1ULL << 63)
#define FORMER_FLAG (1ULL << 62)
#define SUGGEST_CHARS 64   /* values longer than this get no suggestion */

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

/* The next '|'-separated alias of a list, advancing *list; false at the end. */
static bool next_alias(const char **list, const char **alias, size_t *len)
{
	while (**list == '|')
		(*list)++;
	if (!**list)
		return false;
	*alias = *list;
	*len = strcspn(*list, "|");
	*list += *len;
	return true;
}

/* Notes that alias character from stands for name character to; a character seen standing for two is dropped. */
static void add_variant(struct reftable *t, uint32_t from, uint32_t to)
{
	for (size_t i = 0; i < t->nvariants; i++)
		if (t->variants[i][0] == from) {
			if (t->variants[i][1] != to)
				t->variants[i][1] = 0;
			return;
		}
	t->variants = xrealloc(t->variants, (t->nvariants + 1) * sizeof *t->variants);
	t->variants[t->nvariants][0] = from;
	t->variants[t->nvariants++][1] = to;
}

/* True if a character appears in some name: then it is no variant of another. */
static bool in_a_name(const struct reftable *t, uint32_t cp)
{
	uint32_t cps[SUGGEST_CHARS];
	for (size_t r = 0; r < t->nrows; r++) {
		const char *name = reftable_cell(t, r, t->name_col);
		size_t n = utf8_decode_all(name, strlen(name), cps, SUGGEST_CHARS);
		for (size_t i = 0; n != SIZE_MAX && i < n; i++)
			if (cps[i] == cp)
				return true;
	}
	return false;
}

/* Learns the variant characters from the aliases as long as their names, where they differ. */
static void learn_variants(struct reftable *t)
{
	if (t->name_col < 0 || t->alias_col < 0)
		return;
	uint32_t name[SUGGEST_CHARS], alias[SUGGEST_CHARS];
	for (size_t r = 0; r < t->nrows; r++) {
		const char *text = reftable_cell(t, r, t->name_col), *list = reftable_cell(t, r, t->alias_col), *a;
		size_t n = utf8_decode_all(text, strlen(text), name, SUGGEST_CHARS), len;
		while (n != SIZE_MAX && next_alias(&list, &a, &len))
			if (utf8_decode_all(a, len, alias, SUGGEST_CHARS) == n)
				for (size_t i = 0; i < n; i++)
					if (alias[i] != name[i])
						add_variant(t, alias[i], name[i]);
	}
	size_t kept = 0;
	for (size_t i = 0; i < t->nvariants; i++)
		if (t->variants[i][1] && !in_a_name(t, t->variants[i][0]))
			memcpy(t->variants[kept++], t->variants[i], sizeof *t->variants);
	t->nvariants = kept;
}

static void on_event(void *ctx, const struct csvr_event *ev)
{
	struct loading *L = ctx;
	if (ev->kind != CSVR_EV_BOM && ev->kind != CSVR_EV_ENCODING)
		load_fail(L, "line %llu: not valid UTF-8 CSV", ev->line);
}

struct reftable *reftable_load(const char *path, char *err, size_t errlen)
{
	char why[256];
	int fd = rulefiles_open(path, why, sizeof why);
	if (fd < 0) {
		snprintf(err, errlen, "%s", why);
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
	uint64_t total = 0;
	while (!L.failed && (n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			load_fail(&L, "read error", 0);
		else if ((total += (uint64_t)n) > rulefiles_max_size())
			load_fail(&L, "grew past --max-ref-size (%llu bytes) while it was read", rulefiles_max_size());
		else
			csvr_feed(r, chunk, (size_t)n);
	}
	if (!L.failed)
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
	t->ended_col = reftable_column(t, "ended");
	t->former_col = xcalloc(t->ncols, sizeof *t->former_col);
	for (size_t i = 0; i < t->ncols; i++) {
		char former[256];
		snprintf(former, sizeof former, "former_%s", t->colnames[i]);
		t->former_col[i] = reftable_column(t, former);
	}
	learn_variants(t);
	return t;
}

void reftable_free(struct reftable *t)
{
	if (!t)
		return;
	expr_forget(); /* lookups remembered by its address */
	for (size_t i = 0; i < t->ncols; i++) {
		free(t->colnames[i]);
		if (t->index)
			strmap_free(&t->index[i]);
		if (t->spellings)
			free(t->spellings[i].cps), free(t->spellings[i].texts), free(t->spellings[i].kept);
	}
	free(t->spellings);
	free(t->colnames);
	free(t->former_col);
	free(t->index);
	free(t->variants);
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

/* Adds the '|'-separated values of column list to the index of column col, as its rows', marked with flag. */
static void index_list(struct reftable *t, int col, int list_col, uint64_t flag)
{
	for (size_t r = 0; r < t->nrows; r++) {
		const char *list = reftable_cell(t, r, list_col), *a;
		size_t len;
		while (next_alias(&list, &a, &len))
			strmap_put(&t->index[col], a, len, r | flag, NULL);
	}
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
	if (col == t->name_col && t->alias_col >= 0)
		index_list(t, col, t->alias_col, ALIAS_FLAG);
	if (t->former_col[col] >= 0)
		index_list(t, col, t->former_col[col], FORMER_FLAG);
}

bool reftable_find(const struct reftable *t, int col, const char *s, size_t n,
		   size_t *row, bool *alias)
{
	uint64_t v;
	if (!strmap_get(&t->index[col], s, n, &v))
		return false;
	*row = (size_t)(v & ~(ALIAS_FLAG | FORMER_FLAG));
	*alias = (v & (ALIAS_FLAG | FORMER_FLAG)) != 0;
	return true;
}

const char *reftable_former(const struct reftable *t, int col, const char *s, size_t n)
{
	uint64_t v;
	if (!strmap_get(&t->index[col], s, n, &v) || !(v & FORMER_FLAG))
		return NULL;
	return t->ended_col >= 0 ? reftable_cell(t, (size_t)(v & ~FORMER_FLAG), t->ended_col) : "";
}

/* Writes s with its variant characters folded into out (4*n+1 bytes); returns the length, or 0 if none was. */
static size_t fold_variants(const struct reftable *t, const char *s, size_t n, char *out)
{
	size_t o = 0;
	bool changed = false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (!len)
			return 0;
		size_t v = 0;
		while (v < t->nvariants && t->variants[v][0] != cp)
			v++;
		if (v < t->nvariants) {
			o += utf8_encode(t->variants[v][1], out + o);
			changed = true;
		} else {
			memcpy(out + o, s + i, len);
			o += len;
		}
		i += len;
	}
	return changed ? o : 0;
}

bool reftable_find_variant(const struct reftable *t, int col, const char *s, size_t n, size_t *row)
{
	if (col != t->name_col || !t->nvariants)
		return false;
	char *folded = xmalloc(4 * n + 1);
	size_t len = fold_variants(t, s, n, folded);
	bool alias, found = len && reftable_find(t, col, folded, len, row, &alias);
	free(folded);
	return found;
}

/*
 * The Levenshtein distance between two short strings of code points when it
 * is at most cap, else cap + 1: a length difference past cap, or a row of the
 * table all past it, settles that without the rest.
 */
static size_t distance_within(const uint32_t *a, size_t na, const uint32_t *b, size_t nb, size_t cap)
{
	if ((na > nb ? na - nb : nb - na) > cap)
		return cap + 1;
	size_t rows[2][SUGGEST_CHARS + 1], *prev = rows[0], *cur = rows[1];
	for (size_t j = 0; j <= nb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t least = cur[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			least = cur[j] < least ? cur[j] : least;
		}
		if (least > cap)
			return cap + 1;
		size_t *swap = prev;
		prev = cur, cur = swap;
	}
	return prev[nb] <= cap ? prev[nb] : cap + 1;
}

/*
 * Decodes, once per column, the texts a value of it may be near: each row's
 * value, and for the name column its aliases, in table order.  A text that
 * cannot be decoded (or is too long) is left out: nothing is near it.
 */
static const struct ref_spellings *spellings_of(struct reftable *t, int col)
{
	if (!t->spellings)
		t->spellings = xcalloc(t->ncols, sizeof *t->spellings);
	struct ref_spellings *sp = &t->spellings[col];
	if (sp->built)
		return sp;
	sp->built = true;
	size_t cap_texts = 0, cap_cps = 256, ncps = 0;
	uint32_t cps[SUGGEST_CHARS];
	sp->cps = xmalloc(cap_cps * sizeof *sp->cps); /* an empty text has none, but its address */
	for (size_t r = 0; r < t->nrows; r++) {
		const char *list = "", *a = reftable_cell(t, r, col);
		size_t len = strlen(a);
		if (col == t->name_col && t->alias_col >= 0)
			list = reftable_cell(t, r, t->alias_col);
		do {
			size_t m = utf8_decode_all(a, len, cps, SUGGEST_CHARS);
			if (m == SIZE_MAX)
				continue;
			if (sp->ntexts == cap_texts) {
				cap_texts = cap_texts ? 2 * cap_texts : 16;
				sp->texts = xrealloc(sp->texts, cap_texts * sizeof *sp->texts);
			}
			while (ncps + m > cap_cps) {
				cap_cps *= 2;
				sp->cps = xrealloc(sp->cps, cap_cps * sizeof *sp->cps);
			}
			memcpy(sp->cps + ncps, cps, m * sizeof *cps);
			sp->texts[sp->ntexts++] = (struct ref_spelling){.row = r, .at = ncps, .len = m};
			ncps += m;
		} while (next_alias(&list, &a, &len));
	}
	return sp;
}

/* The suggestions for s, found anew. */
static size_t suggest(struct reftable *t, int col, const char *s, size_t n, size_t *rows, size_t max)
{
	size_t count = 0, variant_row = SIZE_MAX;
	if (max && reftable_find_variant(t, col, s, n, &variant_row))
		rows[count++] = variant_row;
	uint32_t cps[SUGGEST_CHARS];
	size_t chars = count < max ? utf8_decode_all(s, n, cps, SUGGEST_CHARS) : SIZE_MAX;
	if (chars == SIZE_MAX)
		return count;
	/*
	 * One pass: the rows one edit away fill rows from the front, those two
	 * away its free end from the back, latest first, giving way to the ones;
	 * then the twos are put in table order after the ones.
	 */
	size_t limit = chars >= 6 ? 2 : 1, ones = count, twos = 0;
	const struct ref_spellings *sp = spellings_of(t, col);
	for (size_t i = 0; i < sp->ntexts && ones < max;) {
		size_t r = sp->texts[i].row, best = limit + 1;
		for (; i < sp->ntexts && sp->texts[i].row == r; i++) {
			size_t e = distance_within(cps, chars, sp->cps + sp->texts[i].at, sp->texts[i].len, limit);
			best = e < best ? e : best;
		}
		if (r == variant_row || best == 0 || best > limit)
			continue;
		if (best == 1) {
			twos -= ones + twos == max; /* the latest two gives way */
			rows[ones++] = r;
		} else if (ones + twos < max) {
			rows[max - ++twos] = r;
		}
	}
	for (size_t i = 0; i < twos / 2; i++) {
		size_t swap = rows[max - 1 - i];
		rows[max - 1 - i] = rows[max - twos + i];
		rows[max - twos + i] = swap;
	}
	memmove(rows + ones, rows + max - twos, twos * sizeof *rows);
	return ones + twos;
}

/* The slot where the suggestions for s are kept, or NULL for a value too long to keep (or empty). */
static struct ref_suggested *kept_slot(struct reftable *t, int col, const char *s, size_t n, size_t max)
{
	if (!n || n > REF_KEPT_BYTES || max > REF_KEPT_ROWS)
		return NULL;
	struct ref_spellings *sp = &t->spellings[col];
	if (!sp->kept)
		sp->kept = xcalloc(REF_KEPT_VALUES, sizeof *sp->kept);
	return &sp->kept[strmap_hash(s, n) % REF_KEPT_VALUES];
}

size_t reftable_suggest(struct reftable *t, int col, const char *s, size_t n, size_t *rows, size_t max)
{
	spellings_of(t, col);
	struct ref_suggested *kept = kept_slot(t, col, s, n, max);
	if (kept && kept->len == n && kept->max == max && memcmp(kept->text, s, n) == 0) {
		memcpy(rows, kept->rows, kept->count * sizeof *rows);
		return kept->count;
	}
	size_t count = suggest(t, col, s, n, rows, max);
	if (kept) {
		kept->len = n, kept->max = max, kept->count = count;
		memcpy(kept->text, s, n);
		memcpy(kept->rows, rows, count * sizeof *rows);
	}
	return count;
}
