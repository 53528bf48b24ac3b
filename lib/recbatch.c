/* recbatch.c — filling and reading a batch of records. */
#include "recbatch.h"

#include <stdlib.h>
#include <string.h>

void recbatch_init(struct recbatch *b, size_t ncols, size_t records, size_t bytes)
{
	memset(b, 0, sizeof *b);
	b->ncols = ncols;
	b->arena = xmalloc(bytes);
	b->cap = bytes;
	b->recs = xcalloc(records, sizeof *b->recs);
	b->cells_cap = records * 16;
	b->cells = xmalloc(b->cells_cap * sizeof *b->cells);
	b->recs_cap = records;
	b->values = xcalloc(records * ncols + 1, sizeof *b->values);
	b->text = xcalloc(records * ncols + 1, sizeof *b->text);
	b->textlen = xcalloc(records * ncols + 1, sizeof *b->textlen);
}

void recbatch_free(struct recbatch *b)
{
	free(b->arena), free(b->cells), free(b->recs);
	free(b->values), free((void *)b->text), free(b->textlen);
	free(b->findings);
	buf_free(&b->lines);
}

void recbatch_clear(struct recbatch *b)
{
	b->used = b->ncells = b->nrecs = b->nfindings = 0;
	b->bytes_read = 0;
	buf_reset(&b->lines);
}

/*
 * The bytes from a record's first kept cell to the end of its last, when the
 * cells lie in that span in order (as the reader delivers them), so that one
 * copy takes them all; else 0.
 */
static size_t record_span(const struct csvr_record *rec)
{
	if (rec->ncells == 0 || !rec->cells[0].data)
		return 0;
	const char *start = rec->cells[0].data, *end = start;
	for (size_t i = 0; i < rec->ncells; i++) {
		const struct csvr_cell *c = &rec->cells[i];
		if (!c->data || c->data < end || (size_t)(c->data - end) > 64)
			return 0;
		end = c->data + c->len;
	}
	return (size_t)(end - start);
}

/* The bytes a record's kept cells hold. */
static size_t record_bytes(const struct csvr_record *rec)
{
	size_t n = 0;
	for (size_t i = 0; i < rec->ncells; i++)
		n += rec->cells[i].len;
	return n;
}

bool recbatch_fits(const struct recbatch *b, const struct csvr_record *rec)
{
	size_t span = record_span(rec), bytes = span ? span : record_bytes(rec);
	return b->nrecs < b->recs_cap && bytes <= (b->cap - b->used) / 2;
}

bool recbatch_full(const struct recbatch *b) { return b->nrecs == b->recs_cap; }

struct batch_record *recbatch_add(struct recbatch *b, const struct csvr_record *rec,
				  struct csvr_record *copy)
{
	if (b->ncells + rec->ncells > b->cells_cap) {
		b->cells_cap = (b->ncells + rec->ncells) * 2 + 64;
		b->cells = xrealloc(b->cells, b->cells_cap * sizeof *b->cells);
	}
	struct csvr_cell *cells = &b->cells[b->ncells];
	size_t span = record_span(rec);
	memcpy(cells, rec->cells, rec->ncells * sizeof *cells);
	if (span) {
		char *to = memcpy(b->arena + b->used, rec->cells[0].data, span);
		for (size_t i = 0; i < rec->ncells; i++)
			cells[i].data = to + (rec->cells[i].data - rec->cells[0].data);
		b->used += span;
	} else {
		for (size_t i = 0; i < rec->ncells; i++) {
			cells[i].data = b->arena + b->used;
			if (rec->cells[i].len)
				memcpy(b->arena + b->used, rec->cells[i].data, rec->cells[i].len);
			b->used += rec->cells[i].len;
		}
	}
	struct batch_record *br = &b->recs[b->nrecs++];
	*br = (struct batch_record){.rec = *rec, .first_cell = b->ncells, .first_finding = b->nfindings};
	b->ncells += rec->ncells;
	*copy = *rec;
	copy->cells = cells;
	return br;
}

char *recbatch_text_room(struct recbatch *b, size_t n)
{
	char *room = b->arena + b->used;
	b->used += n;
	return room;
}

void recbatch_add_finding(struct recbatch *b, const struct diag_file *out, const struct diag *d)
{
	if (b->nfindings == b->findings_cap) {
		b->findings_cap = b->findings_cap ? 2 * b->findings_cap : 64;
		b->findings = xrealloc(b->findings, b->findings_cap * sizeof *b->findings);
	}
	struct batch_finding *f = &b->findings[b->nfindings++];
	f->severity = d->severity;
	f->rule = b->lines.len;
	buf_add(&b->lines, d->rule, strlen(d->rule) + 1);
	f->text = b->lines.len;
	diag_render(out, d, &b->lines);
	f->len = b->lines.len - f->text;
	b->recs[b->nrecs - 1].nfindings++;
}

const struct csvr_record *recbatch_record(struct recbatch *b, size_t i)
{
	struct batch_record *br = &b->recs[i];
	br->rec.cells = &b->cells[br->first_cell];
	return &br->rec;
}
