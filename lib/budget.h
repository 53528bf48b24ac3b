/*
 * budget.h — the memory one file's checks may hold (--max-memory).  The
 * state a file needs grows with what its rules must remember: the unique
 * key sets and the aggregate groups take bytes from the file's budget as they
 * grow and give them back when freed.  A rule whose state would pass the
 * limit is dropped for the rest of the file, with a resource-limit finding.
 * A budget is used by one thread at a time (the in-order checks of a file),
 * so it needs no lock.
 */
#ifndef QY_BUDGET_H
#define QY_BUDGET_H

#include "diag.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct budget {
	uint64_t limit;     /* bytes; 0: no limit */
	uint64_t used;
	bool refused;       /* a rule was dropped for want of memory (set by who dropped it) */
};

/* Takes bytes from b (NULL: no budget); false, and nothing taken, when that would pass its limit. */
bool budget_take(struct budget *b, uint64_t bytes);

/* Gives back bytes taken from b (NULL: no budget). */
void budget_give(struct budget *b, uint64_t bytes);

/* Writes a size for a message: "512 KiB", "1.25 MiB", "640.0 MiB", "1.50 GiB". */
void budget_size_text(uint64_t bytes, char out[32]);

/* A rule that ran out of budget: its id in findings, its kind and name in words, its memory. */
struct budget_drop {
	const char *rule;             /* "station_id+date.unique" */
	const char *kind_zh, *kind_en; /* "唯一键", "unique key" */
	const char *name;             /* "station_id+date" */
	uint64_t held, needed;        /* what it holds, what it would have held */
};

/*
 * Reports a rule dropped for want of memory: a resource-limit error at the
 * row where it ran out, naming the rule, the memory it needed and what the
 * other rules hold; marks the budget refused.
 */
void budget_report_drop(struct budget *b, struct diag_file *out, const struct budget_drop *drop,
			uint64_t line, uint64_t row);

#endif
