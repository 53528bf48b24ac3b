/* recbatch.c — filling and reading a batch of records. */
#include "recbatch.h"

#include <stdlib.h>
#include <string.h>

struct recbatch *recbatch_new(size_t ncols, size_t records, size_t bytes)
{
	if (bytes > UINT32_MAX || records == 0)
		return NULL;
	/* cache lines of its own: the two threads take turns at neighbouring batches */
	struct recbatch *b = aligned_alloc(64, (sizeof *b + 63) / 64 * 64);
	if (!b)
		return NULL;
	memset(b, 0, sizeof *b);
	b->ncols = ncols;
	b->cap = bytes;
	b->recs_cap = records;
	b->cells_cap = records * 16;
	b->arena = malloc(bytes);
	b->recs = calloc(records, sizeof *b->recs);
	b->cells = calloc(b->cells_cap, sizeof *b->cells);
	b->values = calloc(records * ncols + 1, sizeof *b->values);
	b->text = calloc(records * ncols + 1, sizeof *b->text);
	b->textlen = calloc(records * ncols + 1, sizeof *b->textlen);
	if (!b->arena || !b->recs || !b->cells || !b->values || !b->text || !b->textlen) {
		recbatch_free(b);
		return NULL;
	}
	return b;
}

void recbatch_free(struct recbatch *b)
{
	if (!b)
		return;
	free(b->arena), free(b->cells), free(b->view), free(b->recs);
	free(b->values), free((void *)b->text), free(b->textlen);
	free(b->findings);
	buf_free(&b->texts);
	free(b);
}

void recbatch_clear(struct recbatch *b)
{
	b->used = b->ncells = b->nrecs = b->nfindings = 0;
	b->bytes_read = 0;
	buf_reset(&b->texts);
}

/*
 * The bytes from a record's first kept cell to the end of its last, when the
 * cells lie in that span in order, a few bytes apart at most (delimiters,
 * quotes, line breaks, as the reader delivers them), so that one copy takes
 * them all; else 0.
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

bool recbatch_full(const struct recbatch *b) { return b->nrecs == b->recs_cap; }

struct batch_record *recbatch_add(struct recbatch *b, const struct csvr_record *rec)
{
	size_t span = record_span(rec), bytes = span ? span : record_bytes(rec);
	if (b->nrecs == b->recs_cap || bytes > (b->cap - b->used) / 2)
		return NULL;
	if (b->ncells + rec->ncells > b->cells_cap) {
		b->cells_cap = (b->ncells + rec->ncells) * 2 + 64;
		b->cells = xrealloc(b->cells, b->cells_cap * sizeof *b->cells);
	}
	struct batch_cell *cells = &b->cells[b->ncells];
	if (span) {
		memcpy(b->arena + b->used, rec->cells[0].data, span);
		for (size_t i = 0; i < rec->ncells; i++)
			cells[i].at = (uint32_t)(b->used + (size_t)(rec->cells[i].data - rec->cells[0].data));
		b->used += span;
	} else {
		for (size_t i = 0; i < rec->ncells; i++) {
			cells[i].at = (uint32_t)b->used;
			if (rec->cells[i].len)
				memcpy(b->arena + b->used, rec->cells[i].data, rec->cells[i].len);
			b->used += rec->cells[i].len;
		}
	}
	for (size_t i = 0; i < rec->ncells; i++)
		cells[i].len = (uint32_t)rec->cells[i].len << 2 | (uint32_t)rec->cells[i].reported << 1 |
			       rec->cells[i].oversized;
	struct batch_record *br = &b->recs[b->nrecs++];
	*br = (struct batch_record){.rec = *rec, .first_cell = b->ncells, .first_finding = b->nfindings};
	b->ncells += rec->ncells;
	return br;
}

char *recbatch_text_room(struct recbatch *b, size_t n)
{
	char *room = b->arena + b->used;
	b->used += n;
	return room;
}

/* Copies a string into the batch's texts; returns its offset. */
static size_t keep_text(struct recbatch *b, const char *s)
{
	size_t at = b->texts.len;
	buf_add(&b->texts, s, strlen(s) + 1);
	return at;
}

void recbatch_add_finding(struct recbatch *b, const struct diag *d)
{
	if (b->nfindings == b->findings_cap) {
		b->findings_cap = b->findings_cap ? 2 * b->findings_cap : 64;
		b->findings = xrealloc(b->findings, b->findings_cap * sizeof *b->findings);
	}
	struct batch_finding *f = &b->findings[b->nfindings++];
	f->d = *d;
	f->message = keep_text(b, d->message.text);
	f->args = d->message.args ? keep_text(b, d->message.args) : SIZE_MAX;
	f->rule = keep_text(b, d->rule);
	f->expected = d->expected ? keep_text(b, d->expected) : SIZE_MAX;
	b->recs[b->nrecs - 1].nfindings++;
}

const struct diag *recbatch_finding(struct recbatch *b, size_t f)
{
	struct batch_finding *bf = &b->findings[f];
	bf->d.message.text = b->texts.data + bf->message;
	bf->d.message.args = bf->args == SIZE_MAX ? NULL : b->texts.data + bf->args;
	bf->d.rule = b->texts.data + bf->rule;
	bf->d.expected = bf->expected == SIZE_MAX ? NULL : b->texts.data + bf->expected;
	return &bf->d;
}

const struct csvr_record *recbatch_record(struct recbatch *b, size_t i)
{
	struct batch_record *br = &b->recs[i];
	if (br->rec.ncells > b->view_cap) {
		b->view_cap = br->rec.ncells * 2;
		b->view = xrealloc(b->view, b->view_cap * sizeof *b->view);
	}
	const struct batch_cell *cells = &b->cells[br->first_cell];
	for (size_t c = 0; c < br->rec.ncells; c++)
		b->view[c] = (struct csvr_cell){.data = b->arena + cells[c].at, .len = cells[c].len >> 2,
						.oversized = cells[c].len & 1, .reported = cells[c].len >> 1 & 1};
	br->rec.cells = b->view;
	return &br->rec;
}
