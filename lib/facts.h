/*
 * facts.h — the facts records of a diagnostic stream (design.md §3.4) read
 * back for qy-reconcile.  A store keeps, per rule set and export it was asked
 * for, each record's key, the parts its values combine by and the days it
 * covers, compactly in one arena; a record whose days another record of its
 * key already brings (or, for an export without dates, a second record of a
 * key) is noted as an overlap and left out, so nothing is counted twice.  The rest combine
 * by any part of their keys, as if the files had been one.  Memory grows with
 * the facts records, never with the rows they summarise.  The store owns
 * everything it holds; its rule sets are borrowed.
 */
#ifndef QY_FACTS_H
#define QY_FACTS_H

#include "arena.h"
#include "expr.h"
#include "strmap.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ruleset;
struct view;

/* What combining needs of one value in one record: n and the sum, hits, least or greatest by its aggregate. */
struct fact_part {
	double n, x;
};

/* One facts record kept: where it came from, its key, its values' parts, its days. */
struct fact {
	uint32_t file, sheet, column, cell; /* names in the store (0: none) */
	uint64_t row, line;
	struct value *keys;          /* one per key of its export; strings in the store's arena */
	struct fact_part *parts;     /* one per value; NULL for a value that cannot be combined */
	int32_t *runs;               /* its days as runs: first, last, first, last … */
	uint32_t nruns;
	uint32_t key_id;             /* its whole key, numbered in its table */
	bool left_out;               /* another record of its key has its days (or, without dates, the key): not combined */
};

/* The facts of one export ("air-daily/county-year") and what its rule set says they hold. */
struct facts_table {
	char *name;
	const struct ruleset *rs;
	const struct view *export;
	enum agg_kind *kinds;        /* per value */
	enum vtype *value_types;     /* per value */
	struct fact *facts;
	size_t n, cap;
	struct strmap key_index;     /* whole key → key_id */
	struct key_days *keys;       /* per key_id: the days taken */
	size_t nkeys, capkeys;
	bool combined;               /* a rule combines its records: a key sent twice is an overlap */
};

/* A record left out because another of its key had it (its days, or the key itself). */
struct facts_overlap {
	size_t table, fact, earlier; /* earlier: the record taken that has them */
	int32_t first_day;           /* the first day both have (with dates) */
	uint32_t days;               /* how many days both have (0: an export without dates) */
};

struct facts_store {
	struct facts_table *tables;
	size_t ntables;
	char **names;                /* files, sheets, columns and cells, each once; names[0] is "" */
	size_t nnames, capnames;
	struct strmap name_index;
	struct arena arena;
	struct facts_overlap *overlaps;
	size_t noverlaps, capoverlaps;
	uint64_t records;            /* facts records seen, kept or not */
};

void facts_store_init(struct facts_store *s);
void facts_store_free(struct facts_store *s);

/*
 * Keeps the facts of an export from now on; returns its table's index (one
 * table per export).  combined: a rule will combine its records, so that a
 * key (a day) sent twice must be found and left out.
 */
size_t facts_table_add(struct facts_store *s, const struct ruleset *rs, const struct view *export, bool combined);

/* The index of the table of "RULESET/EXPORT", or -1. */
long facts_table_find(const struct facts_store *s, const char *ruleset, const char *export);

/*
 * Takes one facts record of the stream: kept when the store has its table,
 * passed over otherwise.  Returns false, with the reason in why, when a kept
 * table's record is not what its rule set exports (a broken stream).
 */
bool facts_take(struct facts_store *s, json_t *record, char *why, size_t size);

/*
 * Once every record is in: for each key of a table a rule combines, takes
 * the record with the most days, then each whose days do not meet those
 * taken (without dates: the first record only), and leaves out the rest,
 * noting each as an overlap (in the order the records came).
 */
void facts_settle(struct facts_store *s);

/* The value a part comes to for its aggregate kind (a date when the value is one). */
struct value facts_part_value(enum agg_kind kind, enum vtype type, const struct fact_part *part);

/* Adds one part to another of the same kind. */
void facts_part_add(enum agg_kind kind, struct fact_part *into, const struct fact_part *part);

/* The name of a string id, "" for none. */
static inline const char *facts_name(const struct facts_store *s, uint32_t id) { return s->names[id]; }

#endif
