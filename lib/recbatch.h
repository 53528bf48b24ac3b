/*
 * recbatch.h — a batch of data records on their way from the thread that
 * reads a file and checks its cells to the thread that runs the checks bound
 * to file order (unique keys, written rules) and prints.  Each record's cells
 * are copied into memory that does not move while the batch lives, beside its
 * typed values and its cell findings, already rendered.
 */
#ifndef QY_RECBATCH_H
#define QY_RECBATCH_H

#include "csvread.h"
#include "diag.h"
#include "expr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A rendered finding: offsets into the batch's lines. */
struct batch_finding {
	enum severity severity;
	size_t rule, text, len;
};

struct batch_record {
	struct csvr_record rec;    /* cells: see recbatch_record */
	size_t first_cell;
	const char *county;        /* of the record (a reference-table cell), or NULL */
	bool checked;              /* its cells were checked: the ordered checks apply */
	size_t first_finding, nfindings;
};

struct recbatch {
	size_t ncols;
	char *arena;               /* cell texts and folded texts: never moves */
	size_t used, cap;
	struct csvr_cell *cells;
	size_t ncells, cells_cap;
	struct batch_record *recs;
	size_t nrecs, recs_cap;
	struct value *values;      /* recs_cap × ncols */
	const char **text;
	size_t *textlen;
	struct batch_finding *findings;
	size_t nfindings, findings_cap;
	struct buf lines;          /* rendered findings and their rule ids */
	uint64_t bytes_read;       /* input read while the batch filled (for a progress bar) */
};

/* Makes an empty batch for up to records records of ncols values, and bytes bytes of text. */
void recbatch_init(struct recbatch *b, size_t ncols, size_t records, size_t bytes);
void recbatch_free(struct recbatch *b);
/* Empties a batch for reuse. */
void recbatch_clear(struct recbatch *b);

/* True if the batch has room for the record, with room to fold every cell. */
bool recbatch_fits(const struct recbatch *b, const struct csvr_record *rec);
/* True if the batch has no room left for another record. */
bool recbatch_full(const struct recbatch *b);

/*
 * Copies a record in (recbatch_fits said yes) and returns its entry; *copy
 * becomes the record with its cells in the batch.
 */
struct batch_record *recbatch_add(struct recbatch *b, const struct csvr_record *rec,
				  struct csvr_record *copy);
/* Room for n bytes of folded text of the last record added. */
char *recbatch_text_room(struct recbatch *b, size_t n);
/* Renders a finding of the last record added, as out would print it. */
void recbatch_add_finding(struct recbatch *b, const struct diag_file *out, const struct diag *d);

/* Record i, its cells pointing into the batch. */
const struct csvr_record *recbatch_record(struct recbatch *b, size_t i);

#endif
