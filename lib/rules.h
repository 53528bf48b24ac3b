/*
 * rules.h — the written rules of a rule set (design.md §6–7): row rules
 * (`rules`: when/assert per record), aggregates (`aggregates`: an assert per
 * group, judged after the last record) and coverage (`coverage`: every
 * expected key present, optionally per group).  Loaded with the rule set;
 * the per-file state is a struct rules_state.  Memory grows with the number
 * of groups (and the values a percentile keeps), never with the rows, and
 * stays within the file's budget (--max-memory).
 */
#ifndef QY_RULES_H
#define QY_RULES_H

#include "diag.h"
#include "expr.h"
#include "jsonload.h"
#include "strmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct budget;
struct ruleset;

/* A message template: text with {name} and {=expression} placeholders. */
struct template_part {
	char *text;            /* literal text, or the placeholder's name */
	char *json;            /* literal text: as escaped in a JSON string */
	size_t len, json_len;  /* of the literal text and of json */
	struct expr *expr;     /* {=…} */
	bool is_name;
	int twin;              /* English: the Chinese part that renders the same (same name or expression), or -1 */
};

struct template {
	struct template_part *parts;
	size_t nparts;
};

/*
 * A view ("views"): a named aggregation whose groups become rows, one a
 * group, of the group keys and then the values, for the aggregates (and
 * views) that read "from" it: a county-day of the stations' means, say.
 * An export ("exports") is a view whose groups are written out instead, one
 * facts record a group (design.md §3.4), for qy-reconcile to join across
 * files; each of its values is one aggregate call, so that the facts of one
 * key from several files combine.
 */
struct view {
	char *name;
	int from;                     /* the earlier view whose rows it reads, or -1: the file's */
	struct expr **group;
	size_t ngroup;
	struct expr *when;
	char **value_names;
	struct expr **values;         /* aggregate expressions over the group */
	size_t nvalues;
	struct agg_slot *slots;
	size_t nslots;
	const char **out_names;       /* its rows' columns: the key names, then the value names */
	enum vtype *out_types;
	struct expr_columns out;
	/* exports only */
	struct expr *dates;           /* the day a row stands for, listed in the facts so overlaps show; or NULL */
	int cell;                     /* the column whose cell on a group's first row the facts name, or -1 */
};

/* True if an export's value of this kind carries what combining across files needs. */
bool agg_combinable(enum agg_kind kind);

struct written_rule {
	char *id, *plan, *code;
	char *description[2];         /* by enum lang, or NULL */
	enum severity severity;
	struct expr *when, *assert;
	struct template message[2];   /* by enum lang */
	size_t *cols;                 /* columns a row finding points at */
	size_t ncols;
	size_t *requires;             /* row rules: inputs without which there is no verdict */
	size_t nrequires;
	enum severity requires_severity; /* of the cannot-verify finding when one is missing */
	/* aggregates, and row rules judged in order */
	int from;                     /* the view whose rows it reads, or -1: the file's */
	struct expr **group;
	size_t ngroup;
	struct agg_slot *slots;
	size_t nslots;
	struct expr *order;           /* rows are judged per group in this order (prev(), lag(), runs), or NULL */
	int max_lag;                  /* the furthest its expressions look back */
	size_t nfixed;                /* row rules judged in order: their values of the group alone (eval_ctx.fixed) */
};

struct coverage_rule {
	char *id, *plan;
	char *description[2];
	enum severity severity;
	size_t col;                   /* the column whose values must cover the set */
	char **expected;              /* the expected keys, in order */
	char **expected_label;        /* their names from the reference table, or NULL */
	size_t nexpected;
	struct expr *per;             /* optional: per group */
	struct expr *when;
	struct value *per_values;     /* listed per values, or NULL: those seen */
	size_t nper_values;
	char **per_owned;
	struct template message[2];
};

/* Reads "let", "views", "rules", "aggregates", "coverage" and "exports" into the rule set. */
void rules_load(struct loader *L, json_t *root);

/*
 * The parts of loading written rules that qy-reconcile's rules share:
 * the common members (id, severity, code, plan, description), an expression,
 * a message whose {name} placeholders names accepts, and coverage's expected
 * keys ("ref": TABLE.COLUMN or "values", less "except").
 */
typedef bool (*name_check)(const struct ruleset *rs, const struct written_rule *r, const char *name);
bool rules_load_common(struct loader *L, json_t *obj, const char *jpath, struct written_rule *r,
		       const char *default_code, enum severity default_severity);
struct expr *rules_load_expr(struct loader *L, json_t *obj, const char *key, const char *jpath,
			     struct expr_scope *scope, const char *id, bool required, enum vtype want);
void rules_load_message(struct loader *L, json_t *obj, const char *key, const char *jpath,
			struct expr_scope *scope, struct written_rule *r, name_check names,
			struct template msg[2]);
void rules_load_expected(struct loader *L, json_t *obj, const char *jpath, struct coverage_rule *c);
void rules_free_written(struct written_rule *r);
void rules_free_messages(struct template msg[2]);

/*
 * Renders a message given in both languages (indexed by enum lang) into zh
 * and en: {=…} parts evaluated in ctx (null shows as a dash), {name} parts by
 * the caller's function, each once where both languages have it.  The
 * finding shows it in lang and carries both (msgcat.h), so that a report
 * renders either.
 */
struct msgbuf;
struct message template_render_both(struct msgbuf *said, struct buf *zh, struct buf *en, const struct template message[2],
				    enum lang lang, const struct eval_ctx *ctx,
				    void (*name)(void *arg, const char *name, struct buf *out), void *arg);

/* The index of the rule set's let of that name, or -1. */
int rules_let_index(const struct ruleset *rs, const char *name);
void rules_free(struct ruleset *rs);

/* What the rules see of one record. */
struct row_view {
	const struct value *values;   /* per column */
	const char *const *text;      /* per column: trimmed cell text, or NULL */
	const size_t *textlen;
	const size_t *file_col;       /* per column: 0-based cell index, or SIZE_MAX */
	uint64_t line, row;
	const char *county;
};

struct rules_state;

/*
 * The per-file state of a rule set's rules; the aggregates' groups take their
 * memory from budget (borrowed), and an aggregate that would pass it is
 * dropped for the rest of the file with a resource-limit finding.  as_of is
 * the date deadlines and "so far" are judged at (days since 1970-01-01), or NULL.
 */
struct rules_state *rules_state_new(const struct ruleset *rs, struct budget *budget, const double *as_of);
void rules_state_free(struct rules_state *st);

/* Runs the row rules on a record and feeds it to the aggregates and coverage. */
void rules_row(struct rules_state *st, const struct row_view *row, struct diag_file *out);

/*
 * Lets the groups of views of the file's rows, and of row rules judged in
 * order, end as they close when the file turns out to come in an order of
 * their keys, so that a sorted file is not held in memory.  Only for a file
 * that can be read again (rules_must_reread): a regular file.
 */
void rules_stream_groups(struct rules_state *st);

/*
 * True if a group came back after it was ended (the file left the order its
 * first rows kept): what the groups made is void, and the file must be read
 * again, its records given to rules_row of a state from rules_state_reread,
 * which is then finished instead.
 */
bool rules_must_reread(const struct rules_state *st);

/*
 * A state for that second reading: it makes the groups alone (the first
 * reading judged and reported each row), keeping them all, and what the
 * first reading dropped for want of memory stays dropped.
 */
struct rules_state *rules_state_reread(const struct rules_state *first, struct budget *budget);

/* Judges every aggregate group and coverage set after the last record. */
void rules_finish(struct rules_state *st, struct diag_file *out);

/*
 * Writes the facts records of the exports (design.md §3.4), after the file's
 * findings and before its file record; an export dropped for want of memory
 * writes none (its resource-limit finding says so).
 */
void rules_write_facts(struct rules_state *st, struct diag_file *out);

#endif
