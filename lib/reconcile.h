/*
 * reconcile.h — reconciliation rule sets (rules/reconcile/NAME.json, design.md
 * §3.5): rules that join the facts of two or more exports on keys and
 * assert over every side, and coverage rules that list the tables each
 * county must send for each period.  A reconciler loads them with the table
 * rule sets whose exports they read (from the rules directory), takes the
 * facts records of a stream into its store, then judges: the records an
 * earlier file had already sent, each rule's keys, each missing table.  It
 * owns the rule sets it loaded and the facts it keeps.
 */
#ifndef QY_RECONCILE_H
#define QY_RECONCILE_H

#include "diag.h"
#include "facts.h"
#include "rules.h"

#include <stdbool.h>
#include <stddef.h>

/* One side of a rule: the facts of an export, filtered, combined by the rule's join keys. */
struct recon_input {
	char *alias;
	size_t table;                 /* in the reconciler's store */
	size_t *join;                 /* per join key it has: that key's place in its export's key */
	size_t *join_at;              /* and in the rule's join */
	size_t njoin;                 /* fewer than the rule's: one entry serves every key that agrees (a baseline) */
	struct expr *where;           /* over its export's keys and values, per record; or NULL */
	int latest;                   /* the key of its export whose greatest value alone is kept per join key, or -1 */
	enum severity missing;        /* a key the others have and it lacks: a finding of this severity, or SEV_NEVER */
	size_t first_col;             /* its first column in the rule's expressions */
};

/* A reconciliation rule; base holds what every written rule has (when, assert, message …). */
struct recon_rule {
	struct written_rule base;
	struct recon_input *inputs;
	size_t ninputs;
	char **join;
	size_t njoin;
	size_t about;                 /* the input a finding points at */
	struct template missing_message[2];
	char **col_names;             /* the join keys, then per input ALIAS.VALUE …, ALIAS._keys, ALIAS._files */
	enum vtype *col_types;
	struct expr_columns columns;
};

enum recon_period { PERIOD_MONTH, PERIOD_YEAR };

/* A coverage rule: every county (base.expected) has facts of every table for every period. */
struct recon_coverage {
	struct coverage_rule base;
	size_t *tables;               /* in the store */
	size_t (*keys)[3];            /* per table: where its county, year and month keys are */
	size_t ntables;
	enum recon_period period;
};

struct recon_set {
	char *path;
	struct ruleset *holder;       /* its id, title, plan and "refs" (and target table), which expressions may read */
	struct recon_rule *rules;
	size_t nrules;
	struct recon_coverage *coverage;
	size_t ncoverage;
};

/* The periods of --period: months or years, first to last (inclusive). */
struct period_range {
	enum recon_period kind;
	int first_year, first_month, last_year, last_month;
};

/* Parses "2025-01..2025-06", "2025-03", "2025" or "2021..2025"; false when it is none of them. */
bool period_parse(const char *text, struct period_range *out);

/* A finding for the caller to write: about this file (or "-") and rule set, with the other side in words too. */
typedef void (*recon_emit)(void *ctx, const char *file, const char *ruleset, const struct diag *d,
			   const char *related_text);

struct reconciler {
	const char *rules_dir;        /* where the table rule sets are (borrowed) */
	struct recon_set *sets;
	size_t nsets;
	struct ruleset **tables;      /* the table rule sets named, each loaded once */
	size_t ntables;
	struct facts_store facts;
};

void reconciler_init(struct reconciler *r, const char *rules_dir);
void reconciler_free(struct reconciler *r);

/* Loads one reconciliation rule set; false, its mistakes printed, when it is invalid. */
bool reconciler_load(struct reconciler *r, const char *path);

/*
 * Judges what the store holds: first the records left out as overlaps, then
 * each rule set's rules and coverage (for the periods, or a cannot-verify
 * finding per coverage rule when there are none).
 */
void reconciler_judge(struct reconciler *r, const struct period_range *periods, enum lang lang,
		      recon_emit emit, void *ctx);

#endif
