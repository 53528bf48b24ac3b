/*
 * recbatch.h — a batch of data records on their way from the thread that
 * reads a file and checks its cells to the thread that runs the checks bound
 * to file order (unique keys, written rules) and prints.  Each record's cells
 * are copied into memory that does not move while the batch lives, beside its
 * typed values and its cell findings, to be printed in order.
 */
#ifndef QY_RECBATCH_H
#define QY_RECBATCH_H

#include "csvread.h"
#include "diag.h"
#include "expr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A finding: its strings that do not outlive the check of a cell are kept in the batch's texts. */
struct batch_finding {
	struct diag d;
	size_t message, args, rule, expected;   /* offsets in texts; args and expected SIZE_MAX for none */
};

/* A cell: its bytes in the arena, its length times four, plus one if it was cut to the size limit, plus two if reported. */
struct batch_cell {
	uint32_t at, len;
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
	struct batch_cell *cells;
	size_t ncells, cells_cap;
	struct csvr_cell *view;    /* the cells of the record recbatch_record gave last */
	size_t view_cap;
	struct batch_record *recs;
	size_t nrecs, recs_cap;
	struct value *values;      /* recs_cap × ncols */
	const char **text;
	size_t *textlen;
	struct batch_finding *findings;
	size_t nfindings, findings_cap;
	struct buf texts;          /* the findings' messages, rule ids and expectations */
	uint64_t bytes_read;       /* input read while the batch filled (for a progress bar) */
};

/*
 * An empty batch for up to records records of ncols values, and bytes bytes
 * of text; NULL when memory is short (the check then stays in one thread).
 */
struct recbatch *recbatch_new(size_t ncols, size_t records, size_t bytes);
void recbatch_free(struct recbatch *b);
/* Empties a batch for reuse. */
void recbatch_clear(struct recbatch *b);

/* True if the batch has no room left for another record. */
bool recbatch_full(const struct recbatch *b);

/*
 * Copies a record in and returns its entry; NULL if the batch has no room for
 * it and for a folded copy of every cell.
 */
struct batch_record *recbatch_add(struct recbatch *b, const struct csvr_record *rec);
/* Room for n bytes of folded text of the last record added. */
char *recbatch_text_room(struct recbatch *b, size_t n);
/*
 * Keeps a finding of the last record added: its message, rule and expected
 * copied, its other strings (the cell value among them) borrowed.
 */
void recbatch_add_finding(struct recbatch *b, const struct diag *d);
/* Finding f as it was added; valid until the next call. */
const struct diag *recbatch_finding(struct recbatch *b, size_t f);

/* Record i, its cells pointing into the batch; valid until the next call. */
const struct csvr_record *recbatch_record(struct recbatch *b, size_t i);

#endif
