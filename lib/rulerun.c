/*
 * rulerun.c — running the written rules on one file.
 *
 * Row rules are judged as each record arrives.  Aggregates and views keep one
 * set of accumulators per group, found through a hash of the group's key
 * values, which are kept in 8 bytes each (a number's bits, or a string kept
 * once per table), so that a view with a group a row stays small; tables
 * that group the same rows by keys written alike work the keys out once a
 * row for them all (shared_keys), and those never watched find a group they
 * have by the first one's (follow_leaders).  Coverage keeps the set of keys seen (per
 * group when asked).  Once the file has been read, each view's groups become
 * the rows of what reads from it, then every aggregate and coverage rule is
 * judged, in the order the groups first appeared.
 *
 * A sorted file need not be held: a view of the file's rows, and a row rule
 * judged in order, watch whether their groups come one after another in some
 * order of their keys (station, then day, say).  If the first WATCH_ROWS rows
 * keep to one, each group is ended as the next begins: a view's row goes on
 * to what reads from it, a rule's rows are judged and their findings kept
 * for the end, so memory holds one group, not the file.  A group that comes
 * back after it was ended means the file is not in that order after all:
 * the rules' groups are then made again from a second reading of the file
 * (rules_must_reread), which keeps every group as an unsorted file's are.
 * Either way the findings, and their order, are the same.
 *
 * The row rules judged as rows come are planned for the file once its
 * columns are known (plan_rules): what its missing columns settle in their
 * whens is settled, and a rule that cannot fire there is left out.
 */
#include "rules.h"
#include "arena.h"
#include "budget.h"
#include "celltype.h"
#include "held.h"
#include "jsonw.h"
#include "msgcat.h"
#include "ruleset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * How long a table watches its groups' order before it ends groups as they
 * close: a table that keeps rows (a rule judged in order's), for WATCH_ROWS
 * rows; one that keeps groups (a view's, an aggregate's), until it has
 * WATCH_GROUPS of them (one with fewer is small: it keeps them all).
 */
#define WATCH_ROWS 1024
#define WATCH_GROUPS 1024

#define NOT_HOLDING SIZE_MAX  /* rules_state.holding: findings go out as they are made */

/* What ends a streamed table's groups (end_groups). */
enum group_ends {
	ENDS_VIEW,        /* a view's: its rows go on to what reads from it */
	ENDS_ROW_RULE,    /* a row rule judged in order's: its rows are judged */
	ENDS_AGGREGATE,   /* an aggregate judged in order's: its rows fill the group's accumulators */
	ENDS_JUDGED,      /* an aggregate's: it is judged */
};

/* How a group table's groups end. */
enum table_mode {
	GROUPS_KEPT,      /* all of them at the end of the file */
	GROUPS_WATCHED,   /* kept, while watching whether they come in an order of their keys */
	GROUPS_STREAMED,  /* each as the next begins: only the open one is kept (an aggregate's keep
			     their accumulators, not their rows); no index */
};

/* The most group keys whose orders a table watches (4! = 24 orders, each with texts bytewise and in natural order: a bit each). */
#define WATCH_KEYS 4
#define WATCH_ORDERS 24

/* Of how many of a table's first keys the last string is remembered (group_table.recent). */
#define RECENT_KEYS 4

/* Where a group began: the file's row (line and row) of its first row. */
struct place {
	uint64_t line, row;
};

/*
 * Group keys that several tables list alike (the same source text, read from
 * the same rows): their values are worked out once a row for them all, and
 * a stamp tells the tables when they differ from the last row's, so that a
 * table whose last group has them need not compare them again.
 */
struct shared_keys {
	struct expr *const *group;
	size_t ngroup;
	int from;                /* the rows they read: -1 the file's, or a view's */
	uint64_t at;             /* the row (rules_state.rows_in) they were worked out on, or 0 */
	uint64_t stamp;          /* from 1, one more each time they came out other than the time before */
	bool null;               /* a key came out null */
	struct value *values;    /* ngroup; strings in text, so that the next row can be compared with them */
	struct buf text;
};

/* One aggregate's groups: key values and accumulators, in order of first appearance. */
struct group_table {
	uint64_t *index;         /* open addressing: a hash tag above the group's number + 1; 0 empty */
	size_t nindex;
	long last_group;         /* the previous row's group: sorted files repeat it */
	struct shared_keys *shared; /* the keys it shares with tables grouped alike, or NULL */
	uint64_t stamp;          /* with shared: its stamp when last_group was looked up, or 0 */
	uint64_t *words;         /* ngroups × ngroup: a key's number bits, or its string (see kept_string) */
	unsigned char *types;    /* ngroups × ngroup: each key's type */
	struct strmap strings;   /* a key string → its copy in texts, each kept once */
	struct arena texts;      /* the key strings: a 32-bit length, then the bytes */
	uint64_t recent[RECENT_KEYS]; /* the first keys' last strings kept (their words), or 0: rows repeat them */
	unsigned char *accs;     /* ngroups blocks of accumulators, one after another (agg_block_size) */
	struct place *places;    /* views' and exports': where each group began (nplaces of them, room for places_cap) */
	size_t ngroups, cap, nplaces, places_cap;
	uint64_t bytes;          /* memory taken from the budget for all of it */
	uint64_t values;         /* of which: percentile values kept */
	bool dropped;            /* over --max-memory: not judged in this file */
	struct day_set *days;    /* exports with dates: per group, the days its rows stand for */
	size_t ndays;
	uint64_t day_bytes;      /* of the bytes: the days kept */
	enum table_mode mode;
	uint64_t orders;         /* watched or streamed: the key orders its groups have kept so far, a bit each
				    (order k: bit 2k with texts bytewise, 2k + 1 in natural order) */
	uint64_t watched;        /* watched: the rows looked up so far */
	uint32_t signs;          /* watched or streamed: how the last keys compared that the orders were kept by (keeps_order) */
	unsigned char perms[WATCH_ORDERS][WATCH_KEYS]; /* watched or streamed: each order's keys, compared first first */
	enum group_ends ends;    /* watched or streamed: what it groups for, */
	size_t owner;            /* and which one */
	struct place *run_at;    /* aggregates judged in order: per group, where its longest run began */
	size_t nrun_at;
	struct group_table *leader; /* a table never watched that shares its keys with one looked up before it
				       on each row (follow_leaders), whose groups it numbers alike while
				       misaligned is false: that one's group is then its group */
	bool misaligned;         /* it made a group that is not the leader's of the same number */
	size_t held;             /* a streamed view's group (+ 1, or 0) of one row so far, whose values are
				    held_values and whose accumulators are not filled yet (grouping.hold) */
	struct value *held_values;
};

/* The days an export's group has rows for, sorted, each once. */
struct day_set {
	int32_t *days;
	uint32_t n, cap;
};

/* What feeds a group table: an aggregate's or a view's grouping, and its name for a resource-limit finding. */
struct grouping {
	struct group_table *table;
	struct expr *const *group;
	size_t ngroup;
	const struct expr *when;
	const struct agg_slot *slots;
	size_t nslots;
	const char *id, *kind_zh, *kind_en;
	bool places;                  /* keep where each group began (views', exports') */
	const struct expr *dates;     /* keep each group's days, or NULL */
	size_t block;                 /* the bytes of a group's accumulators: agg_block_size of the slots, kept
					 as the rows that feed a table read it, at less cost than working it out */
	const int *hold;              /* a view whose values are each a slot's count(), sum() or mean() of a column
					 (agg_holds): its values' slots (view_slot), else NULL.  A streamed
					 group's first row gives its values at once: a view of one row a group,
					 as a station's day is, then costs no accumulating and no reading back */
	int *hold_cell;               /* with hold: the values' slots' columns (agg_held_cell); owned */
	size_t nvalues;
};

/* One reader of a view's rows: a grouping they feed, or an aggregate judged in order, which keeps them. */
struct view_reader {
	const struct grouping *gr;    /* NULL for an aggregate judged in order */
	size_t aggregate;             /* that aggregate */
};

/* One coverage rule's record of what was seen. */
struct coverage_seen {
	struct strmap pairs;     /* serialised per value + key */
	struct strmap per_index; /* per values seen → order */
	struct value *per_seen;  /* strings owned */
	size_t nper, cap;
};

/* A view's rows, made once the rows it reads are all in: keys then values, a row a group. */
struct view_rows {
	struct value *values;    /* nrows × the view's columns; strings borrowed from its group table */
	const struct place *places; /* where each row's group began; borrowed from its group table */
	size_t nrows;
};

/*
 * A row kept until the file is read: where it was and the cells ordered rules
 * read, one per kept column (ruleset->kept_cols): their values, which a rule's
 * reduced tests read in place (row_test), then their texts and the texts'
 * lengths (kept_texts).
 */
struct kept_row {
	uint64_t row, line;
	const char *county;
	struct value values[];      /* strings point at their own copies */
};

/* A kept row's cells' texts (or NULL) and their lengths, after its nkept values. */
struct kept_texts {
	const char **text;
	size_t *len;
};

/* Where a kept row's texts and their lengths lie, after its nkept values. */
static struct kept_texts kept_texts(const struct kept_row *k, size_t nkept)
{
	const char **text = (const char **)(uintptr_t)&k->values[nkept];
	return (struct kept_texts){text, (size_t *)(text + nkept)};
}

/* Places among a kept row's values, in order. */
struct kept_places {
	size_t *at;              /* NULL until worked out */
	size_t n;
};

/*
 * A row rule judged as each row comes, as the rows of this file meet it
 * (plan_rules): its when with in_file() settled, and a column it requires
 * that the file does not have.
 */
struct planned_rule {
	size_t rule;
	struct expr_when when;           /* no operand: it has none, or it always holds */
	size_t absent;                   /* a required column the file lacks (the first), or SIZE_MAX */
};

/* One row (of the file or of a view) in an ordered rule's group, with its order key. */
struct ordered_entry {
	struct value order;              /* first: runs report where they began by it (eval_ctx.where) */
	const struct kept_row *kept;     /* a file's row, or NULL */
	const struct value *view_row;    /* a view's row, or NULL */
	uint64_t seq;                    /* its place among the rows read, to keep ties in that order */
	uint32_t group;
};

/* An ordered rule's rows, sorted by group and order once all are in; row rules group here. */
struct ordered_rows {
	struct ordered_entry *entries;
	size_t n, cap;
	bool sorted;                     /* by group and order, as they came or since sorted */
	struct group_table groups;       /* row rules only: their groups, no accumulators */
};

struct rules_state {
	const struct ruleset *rs;
	struct budget *budget;          /* what the groups and kept rows may hold, or NULL */
	uint64_t kept_bytes;            /* taken from it for the kept rows and ordered lists */
	bool ordered_dropped;           /* the rules in order ran out of it: not judged in this file */
	struct arena kept;              /* kept rows and the texts of order keys */
	struct kept_row *this_row;      /* the current row, once some ordered rule kept it */
	int *kept_at;                   /* per column: its place among a kept row's values, or -1 */
	const size_t *file_col;         /* the file's cell of each column */
	uint64_t seq;
	struct ordered_rows *ordered_rules, *ordered_aggregates; /* per row rule, per aggregate */
	double as_of;                   /* the run's date, when has_as_of */
	bool has_as_of;
	struct group_table *groups;     /* per aggregate */
	struct value *scratch;          /* a row's group key values, and their words after them */
	uint64_t *scratch_words;
	size_t nscratch;
	struct group_table *view_groups; /* per view */
	struct view_rows *view_rows;    /* per view */
	struct group_table *export_groups; /* per export */
	struct coverage_seen *seen;     /* per coverage rule */
	bool *absent_input;             /* per row rule: a required column not in the file was reported */
	struct diag_file *out;          /* the file's findings, while a row is run */
	struct held *held;              /* a list per row rule, then per aggregate: findings of its ended groups */
	size_t holding;                 /* the list findings go to instead of out while a group ended early is
					   judged, or NOT_HOLDING */
	long *ordered_group;            /* per row rule, then per aggregate: the current row's group */
	/* the rules a file's row goes to, by kind, listed once (rule_lists) rather than sought on every row */
	size_t *rules_now, nrules_now;       /* row rules judged as each row comes */
	struct planned_rule *planned;        /* those that may fire in this file, planned for its columns */
	size_t nplanned;
	const size_t *planned_for;           /* the columns' cells they were planned for, or NULL */
	size_t *row_tables, nrow_tables;     /* row rules judged in order that group rows for those sharing them */
	size_t *file_ordered, nfile_ordered; /* aggregates of the file's rows judged in order */
	size_t *file_aggregates, nfile_aggregates; /* the other aggregates of the file's rows */
	size_t *ordered_table;          /* per row rule judged in order: the first such rule that groups and
					   orders rows as it does, whose group table and rows it shares */
	const struct written_rule **sharers; /* the row rules judged in order, those of each such first rule t
						together, from sharers_at[t] to sharers_at[t + 1] */
	size_t *sharers_at;
	size_t *ordered_list;           /* per aggregate of the file's rows judged in order: the first such
					   aggregate that groups and orders rows as it does, whose list of rows
					   it shares (its when is judged as the rows are walked) */
	const struct written_rule **list_sharers; /* those aggregates, those of each such first one l together,
						     from list_sharers_at[l] to list_sharers_at[l + 1] */
	size_t *list_sharers_at;
	struct value *view_row;         /* room for one view row while a streamed view ends a group */
	struct grouping *groupings;     /* made once: per aggregate without its when, then with it; per view; per export */
	struct view_reader *readers;    /* what reads each view's rows, those of view v from readers_at[v] to
					   readers_at[v + 1], in the order they are fed */
	size_t *readers_at;
	struct walk_ring *ring;         /* the rows a walk of ordered rows looks back on, or NULL before the first */
	struct row_test *row_tests;     /* per row rule, its when's and its assert's reduced tests (reduce_rules) */
	struct kept_places *read_places; /* per row rule, then per aggregate: what the walks it leads read (walk_reads) */
	struct shared_keys *shared;     /* key lists more than one table groups by */
	size_t nshared;
	uint64_t *rows_in;              /* the file's rows, then each view's, run so far: from + 1 */
	int **view_slot;                /* per view, per value: the slot it is when one alone (direct_slot), or -1 */
	bool reread;                    /* a streamed group came back: the groups must be made from a second reading */
	bool rereading;                 /* this is that second reading: the groups' work only */
	uint64_t reread_from;           /* the first row whose aggregates the first reading did not run, or 0 */

	struct buf key, msg, msg_en, rule, text, json;
	struct msgbuf said;             /* the message of the finding being made */
};

static void ring_free(struct walk_ring *ring);

/*
 * The slot of a view's value k when the value is that one aggregate call and
 * agg_result gives what evaluating it would (a run's or count_distinct's
 * value needs the call itself), or -1: a view's row is made without the
 * evaluator where it can be.
 */
static int direct_slot(const struct view *view, size_t k)
{
	int slot = expr_aggregate_slot(view->values[k]);
	if (slot < 0)
		return -1;
	enum agg_kind kind = view->slots[slot].kind;
	return kind == AGG_LONGEST_RUN || kind == AGG_LONGEST_EQUAL_RUN || kind == AGG_COUNT_DISTINCT ? -1 : slot;
}

/* Lists the rules a file's row goes to, by kind (rules_state.rules_now and on). */
static void rule_lists(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	st->rules_now = xcalloc(rs->nrow_rules + 1, sizeof *st->rules_now);
	st->row_tables = xcalloc(rs->nrow_rules + 1, sizeof *st->row_tables);
	st->file_ordered = xcalloc(rs->naggregates + 1, sizeof *st->file_ordered);
	st->file_aggregates = xcalloc(rs->naggregates + 1, sizeof *st->file_aggregates);
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		if (!rs->row_rules[i].order)
			st->rules_now[st->nrules_now++] = i;
		else if (st->ordered_table[i] == i)
			st->row_tables[st->nrow_tables++] = i;
	}
	for (size_t a = 0; a < rs->naggregates; a++) {
		if (rs->aggregates[a].from >= 0)
			continue;
		if (rs->aggregates[a].order)
			st->file_ordered[st->nfile_ordered++] = a;
		else
			st->file_aggregates[st->nfile_aggregates++] = a;
	}
}

/* A table that groups rows, for share_keys: its keys and the rows it reads. */
struct keyed_table {
	struct group_table *table;
	struct expr *const *group;
	size_t ngroup;
	int from;
};

/* True if two tables group the same rows by keys written alike. */
static bool same_keys(const struct keyed_table *a, const struct keyed_table *b)
{
	if (a->from != b->from || a->ngroup != b->ngroup)
		return false;
	for (size_t k = 0; k < a->ngroup; k++)
		if (strcmp(expr_source(a->group[k]), expr_source(b->group[k])) != 0)
			return false;
	return true;
}

/*
 * Gives the tables that group the same rows by keys written alike one
 * shared_keys (group_table.shared), worked out once a row for them all.
 */
static void share_keys(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	struct keyed_table *t = xcalloc(rs->nrow_rules + rs->naggregates + rs->nviews + rs->nexports + 1, sizeof *t);
	size_t n = 0;
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		const struct written_rule *r = &rs->row_rules[i];
		if (r->order && st->ordered_table[i] == i) /* a row rule's rows are the file's */
			t[n++] = (struct keyed_table){&st->ordered_rules[i].groups, r->group, r->ngroup, -1};
	}
	for (size_t a = 0; a < rs->naggregates; a++) {
		const struct written_rule *r = &rs->aggregates[a];
		t[n++] = (struct keyed_table){&st->groups[a], r->group, r->ngroup, r->from};
	}
	for (size_t v = 0; v < rs->nviews; v++) {
		const struct view *view = &rs->views[v];
		t[n++] = (struct keyed_table){&st->view_groups[v], view->group, view->ngroup, view->from};
	}
	for (size_t e = 0; e < rs->nexports; e++) {
		const struct view *x = &rs->exports[e];
		t[n++] = (struct keyed_table){&st->export_groups[e], x->group, x->ngroup, x->from};
	}
	st->shared = xcalloc(n + 1, sizeof *st->shared);
	for (size_t i = 0; i < n; i++) {
		struct shared_keys *ks = NULL;
		for (size_t j = i + 1; j < n && t[i].ngroup && !t[i].table->shared; j++) {
			if (t[j].table->shared || !same_keys(&t[i], &t[j]))
				continue;
			if (!ks) {
				ks = &st->shared[st->nshared++];
				*ks = (struct shared_keys){.group = t[i].group, .ngroup = t[i].ngroup, .from = t[i].from,
							   .values = xcalloc(t[i].ngroup, sizeof *ks->values)};
			}
			t[j].table->shared = ks;
		}
		if (ks)
			t[i].table->shared = ks;
	}
	free(t);
	st->rows_in = xcalloc(rs->nviews + 1, sizeof *st->rows_in);
}

/*
 * Makes each table never watched (an export, a view of a view's rows) that
 * shares its keys with such a table looked up before it on each row (exports
 * first, then views, as rules_row and view_row_out feed them) follow the
 * first of them (group_table.leader).  Each keeps its own groups and index
 * (and takes as much memory as alone): the leader's numbering spares it the
 * look-up of a group it has, while it makes its groups as the leader did.
 */
static void follow_leaders(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	for (size_t k = 0; k < st->nshared; k++) {
		struct group_table *leader = NULL;
		for (size_t n = 0; n < rs->nexports + rs->nviews; n++) {
			struct group_table *t = n < rs->nexports ? &st->export_groups[n] : &st->view_groups[n - rs->nexports];
			if (t->shared != &st->shared[k] || (n >= rs->nexports && rs->views[n - rs->nexports].from < 0))
				continue;
			if (leader)
				t->leader = leader;
			else
				leader = t;
		}
	}
}

/* True if two rules judged in order of the file's rows group and order them by the same keys, written alike. */
static bool same_rows(const struct written_rule *a, const struct written_rule *b)
{
	if (a->from >= 0 || b->from >= 0 || a->ngroup != b->ngroup || !a->order || !b->order ||
	    strcmp(expr_source(a->order), expr_source(b->order)))
		return false;
	for (size_t k = 0; k < a->ngroup; k++)
		if (strcmp(expr_source(a->group[k]), expr_source(b->group[k])) != 0)
			return false;
	return true;
}

/*
 * Finds, per rule of n, the first rule that groups and orders the file's
 * rows as it does (same_rows), itself if none, into *first; and lists the
 * rules judged in order, those whose first sharer is rule t together, from
 * (*at)[t] to (*at)[t + 1] of *sharers.  The first keeps the rows, once,
 * for them all.
 */
static void list_sharers(const struct written_rule *rules, size_t n, size_t **first,
			 const struct written_rule ***sharers, size_t **at)
{
	*first = xcalloc(n + 1, sizeof **first);
	for (size_t i = 0; i < n; i++) {
		size_t t = 0;
		while (t < i && !same_rows(&rules[t], &rules[i]))
			t++;
		(*first)[i] = t;
	}
	*sharers = xcalloc(n + 1, sizeof **sharers);
	*at = xcalloc(n + 2, sizeof **at);
	size_t nsharers = 0;
	for (size_t t = 0; t < n; t++) {
		(*at)[t] = nsharers;
		for (size_t i = t; i < n; i++)
			if (rules[i].order && (*first)[i] == t)
				(*sharers)[nsharers++] = &rules[i];
	}
	(*at)[n] = nsharers;
}

/* An aggregate's grouping; when is left out where the caller judges it itself. */
static const struct grouping *aggregate_grouping(const struct rules_state *st, size_t a, bool with_when)
{
	return &st->groupings[2 * a + with_when];
}

static const struct grouping *view_grouping(const struct rules_state *st, size_t v)
{
	return &st->groupings[2 * st->rs->naggregates + v];
}

static const struct grouping *export_grouping(const struct rules_state *st, size_t e)
{
	return &st->groupings[2 * st->rs->naggregates + st->rs->nviews + e];
}

/*
 * Makes every table's grouping once (rules_state.groupings) and lists what
 * reads each view (readers), in the order view_row_out feeds them: exports,
 * views, then aggregates.
 */
static void make_groupings(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	struct grouping *g = st->groupings = xcalloc(2 * rs->naggregates + rs->nviews + rs->nexports + 1, sizeof *g);
	for (size_t a = 0; a < rs->naggregates; a++) {
		const struct written_rule *r = &rs->aggregates[a];
		for (int with_when = 0; with_when < 2; with_when++)
			*g++ = (struct grouping){&st->groups[a], r->group, r->ngroup, with_when ? r->when : NULL, r->slots,
						 r->nslots, r->id, "汇总规则", "aggregate", false, NULL,
						 agg_block_size(r->slots, r->nslots), NULL, NULL, 0};
	}
	for (size_t v = 0; v < rs->nviews; v++) {
		const struct view *view = &rs->views[v];
		bool direct = true;
		for (size_t k = 0; k < view->nvalues && direct; k++)
			direct = st->view_slot[v][k] >= 0;
		bool hold = direct && agg_holds(view->slots, view->nslots);
		int *cell = hold ? xcalloc(view->nvalues + 1, sizeof *cell) : NULL;
		for (size_t k = 0; k < view->nvalues && hold; k++)
			cell[k] = agg_held_cell(&view->slots[st->view_slot[v][k]]);
		*g++ = (struct grouping){&st->view_groups[v], view->group, view->ngroup, view->when, view->slots,
					 view->nslots, view->name, "视图", "view", true, NULL,
					 agg_block_size(view->slots, view->nslots), hold ? st->view_slot[v] : NULL, cell,
					 view->nvalues};
	}
	for (size_t e = 0; e < rs->nexports; e++) {
		const struct view *x = &rs->exports[e];
		*g++ = (struct grouping){&st->export_groups[e], x->group, x->ngroup, x->when, x->slots,
					 x->nslots, x->name, "导出", "export", true, x->dates, agg_block_size(x->slots, x->nslots),
					 NULL, NULL, 0};
	}
	st->readers = xcalloc(rs->nexports + rs->nviews + rs->naggregates + 1, sizeof *st->readers);
	st->readers_at = xcalloc(rs->nviews + 1, sizeof *st->readers_at);
	size_t n = 0;
	for (size_t v = 0; v < rs->nviews; v++) {
		st->readers_at[v] = n;
		for (size_t e = 0; e < rs->nexports; e++)
			if (rs->exports[e].from == (int)v)
				st->readers[n++] = (struct view_reader){export_grouping(st, e), 0};
		for (size_t w = v + 1; w < rs->nviews; w++)
			if (rs->views[w].from == (int)v)
				st->readers[n++] = (struct view_reader){view_grouping(st, w), 0};
		for (size_t a = 0; a < rs->naggregates; a++)
			if (rs->aggregates[a].from == (int)v)
				st->readers[n++] = (struct view_reader){rs->aggregates[a].order ? NULL : aggregate_grouping(st, a, true), a};
	}
	st->readers_at[rs->nviews] = n;
}

struct rules_state *rules_state_new(const struct ruleset *rs, struct budget *budget, const double *as_of)
{
	struct rules_state *st = xcalloc(1, sizeof *st);
	st->rs = rs;
	st->budget = budget;
	if (as_of)
		st->as_of = *as_of, st->has_as_of = true;
	st->absent_input = xcalloc(rs->nrow_rules + 1, sizeof *st->absent_input);
	st->groups = xcalloc(rs->naggregates + 1, sizeof *st->groups);
	st->ordered_rules = xcalloc(rs->nrow_rules + 1, sizeof *st->ordered_rules);
	st->ordered_aggregates = xcalloc(rs->naggregates + 1, sizeof *st->ordered_aggregates);
	st->view_groups = xcalloc(rs->nviews + 1, sizeof *st->view_groups);
	st->view_rows = xcalloc(rs->nviews + 1, sizeof *st->view_rows);
	st->export_groups = xcalloc(rs->nexports + 1, sizeof *st->export_groups);
	st->seen = xcalloc(rs->ncoverage + 1, sizeof *st->seen);
	st->held = held_new(rs->nrow_rules + rs->naggregates);
	st->holding = NOT_HOLDING;
	st->ordered_group = xcalloc(rs->nrow_rules + rs->naggregates + 1, sizeof *st->ordered_group);
	list_sharers(rs->row_rules, rs->nrow_rules, &st->ordered_table, &st->sharers, &st->sharers_at);
	/* aggregates that share a list see the same rows, so their group tables number their groups alike */
	list_sharers(rs->aggregates, rs->naggregates, &st->ordered_list, &st->list_sharers, &st->list_sharers_at);
	size_t width = 1;
	for (size_t v = 0; v < rs->nviews; v++)
		width = rs->views[v].out.n > width ? rs->views[v].out.n : width;
	st->view_row = xcalloc(width, sizeof *st->view_row);
	st->row_tests = xcalloc(2 * rs->nrow_rules + 1, sizeof *st->row_tests);
	st->read_places = xcalloc(rs->nrow_rules + rs->naggregates + 1, sizeof *st->read_places);
	st->kept_at = xcalloc(rs->ncols + 1, sizeof *st->kept_at);
	for (size_t c = 0; c < rs->ncols; c++)
		st->kept_at[c] = -1;
	for (size_t i = 0; i < rs->nkept; i++)
		st->kept_at[rs->kept_cols[i]] = (int)i;
	rule_lists(st);
	share_keys(st);
	follow_leaders(st);
	st->view_slot = xcalloc(rs->nviews + 1, sizeof *st->view_slot);
	for (size_t v = 0; v < rs->nviews; v++) {
		st->view_slot[v] = xcalloc(rs->views[v].nvalues + 1, sizeof **st->view_slot);
		for (size_t k = 0; k < rs->views[v].nvalues; k++)
			st->view_slot[v][k] = direct_slot(&rs->views[v], k);
	}
	make_groupings(st);
	for (size_t i = 0; i < rs->ncoverage; i++) {
		strmap_init(&st->seen[i].pairs);
		strmap_init(&st->seen[i].per_index);
	}
	return st;
}

/* The run's date for an evaluation context: NULL when none was given. */
static const double *as_of_of(const struct rules_state *st)
{
	return st->has_as_of ? &st->as_of : NULL;
}

/* Frees the strings a list of values owns. */
static void free_values(struct value *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].type == V_STR)
			free((char *)v[i].str);
	free(v);
}

/* Group i's block of accumulators in a table whose groups' blocks are of that many bytes, or NULL without any. */
static unsigned char *group_accs(const struct group_table *t, size_t i, size_t block)
{
	return block ? t->accs + i * block : NULL;
}

/* Frees a group table: its index, its keys and its accumulators (of n slots each); gives its memory back. */
static void free_group_table(struct rules_state *st, struct group_table *g, const struct agg_slot *slots, size_t n)
{
	free(g->index);
	free(g->words);
	free(g->types);
	strmap_free(&g->strings);
	arena_free(&g->texts);
	agg_acc_free(slots, n, g->accs, g->ngroups);
	free(g->accs);
	free(g->places);
	free(g->run_at);
	free(g->held_values);
	for (size_t i = 0; i < g->ndays; i++)
		free(g->days[i].days);
	free(g->days);
	budget_give(st->budget, g->bytes);
}

/* Frees the kept rows and ordered lists and gives their memory back. */
static void free_ordered(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		free(st->ordered_rules[i].entries);
		st->ordered_rules[i].entries = NULL;
		st->ordered_rules[i].n = st->ordered_rules[i].cap = 0;
	}
	for (size_t i = 0; i < rs->naggregates; i++) {
		free(st->ordered_aggregates[i].entries);
		st->ordered_aggregates[i].entries = NULL;
		st->ordered_aggregates[i].n = st->ordered_aggregates[i].cap = 0;
	}
	arena_free(&st->kept);
	budget_give(st->budget, st->kept_bytes);
	st->kept_bytes = 0;
}

void rules_state_free(struct rules_state *st)
{
	if (!st)
		return;
	const struct ruleset *rs = st->rs;
	for (size_t i = 0; i < rs->naggregates; i++)
		free_group_table(st, &st->groups[i], rs->aggregates[i].slots, rs->aggregates[i].nslots);
	for (size_t i = 0; i < rs->nviews; i++) {
		free_group_table(st, &st->view_groups[i], rs->views[i].slots, rs->views[i].nslots);
		free(st->view_rows[i].values);
	}
	free(st->view_groups);
	free(st->view_rows);
	for (size_t i = 0; i < rs->nexports; i++)
		free_group_table(st, &st->export_groups[i], rs->exports[i].slots, rs->exports[i].nslots);
	free(st->export_groups);
	for (size_t i = 0; i < rs->nrow_rules; i++)
		free_group_table(st, &st->ordered_rules[i].groups, NULL, 0);
	free_ordered(st);
	free(st->ordered_rules);
	free(st->ordered_aggregates);
	for (size_t i = 0; i < rs->ncoverage; i++) {
		strmap_free(&st->seen[i].pairs);
		strmap_free(&st->seen[i].per_index);
		free_values(st->seen[i].per_seen, st->seen[i].nper);
	}
	held_free(st->held);
	free(st->ordered_group);
	free(st->planned);
	free(st->rules_now), free(st->row_tables), free(st->file_ordered), free(st->file_aggregates);
	free(st->ordered_table);
	free(st->sharers);
	free(st->sharers_at);
	free(st->ordered_list);
	free(st->list_sharers);
	free(st->list_sharers_at);
	free(st->view_row);
	free(st->kept_at);
	for (size_t i = 0; i < 2 * rs->nrow_rules; i++)
		row_test_free(&st->row_tests[i]);
	free(st->row_tests);
	for (size_t i = 0; i < rs->nrow_rules + rs->naggregates; i++)
		free(st->read_places[i].at);
	free(st->read_places);
	for (size_t v = 0; v < rs->nviews; v++)
		free(view_grouping(st, v)->hold_cell);
	free(st->groupings), free(st->readers), free(st->readers_at);
	ring_free(st->ring);
	for (size_t i = 0; i < st->nshared; i++)
		free(st->shared[i].values), buf_free(&st->shared[i].text);
	free(st->shared);
	free(st->rows_in);
	for (size_t v = 0; v < rs->nviews; v++)
		free(st->view_slot[v]);
	free(st->view_slot);
	free(st->groups);
	free(st->scratch);
	free(st->seen);
	free(st->absent_input);
	buf_free(&st->key), buf_free(&st->msg), buf_free(&st->msg_en), buf_free(&st->rule), buf_free(&st->text);
	buf_free(&st->json), msgbuf_free(&st->said);
	free(st);
}

/* A key string kept in a table's texts: its length, then its bytes. */
static struct value kept_string(uint64_t word)
{
	const unsigned char *p = (const unsigned char *)(uintptr_t)word;
	uint32_t len;
	memcpy(&len, p, sizeof len);
	return (struct value){.str = (const char *)p + sizeof len, .len = len, .type = V_STR};
}

/* The key kept as word w of type type: a number's bits, or a string kept in the table. */
static inline struct value key_value(uint64_t w, enum vtype type)
{
	if (type == V_STR)
		return kept_string(w);
	struct value v = {.type = type};
	memcpy(&v.num, &w, sizeof w);
	return v;
}

/* Group i's key k of ngroup; a string points into the table, which keeps it as long as it lives. */
static struct value group_key(const struct group_table *g, size_t i, size_t ngroup, size_t k)
{
	return key_value(g->words[i * ngroup + k], (enum vtype)g->types[i * ngroup + k]);
}

/* Group i's key values, into keys. */
static void group_keys(const struct group_table *g, size_t i, size_t ngroup, struct value *keys)
{
	for (size_t k = 0; k < ngroup; k++)
		keys[k] = group_key(g, i, ngroup, k);
}

/* True if two key values are the same: a number by its bits, as value_key compares them. */
static inline bool same_key(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == V_STR)
		return a->len == b->len && bytes_equal(a->str, b->str, a->len);
	return bytes_equal(&a->num, &b->num, sizeof a->num);
}

/* True if the key kept as word w of type type is key. */
static inline bool key_is(uint64_t w, enum vtype type, const struct value *key)
{
	if (key->type != type)
		return false;
	struct value kept = key_value(w, type);
	return same_key(&kept, key);
}

/*
 * True if group i has the key words words of keys: a table keeps each string
 * once, so that words alike, of one type, are keys alike.
 */
static inline bool group_has_words(const struct group_table *g, size_t i, const uint64_t *words,
				   const struct value *keys, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (g->words[i * n + k] != words[k] || g->types[i * n + k] != (unsigned char)keys[k].type)
			return false;
	return true;
}

/* Every one of n keys, a bit each (as keys_alike gives them); beyond 64 keys, all bits. */
static uint64_t all_keys(size_t n)
{
	return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

/*
 * Which of keys group i has, key k as bit k: comparing a row's keys with the
 * last group's once tells both whether the row is in that group and, when it
 * is not, which keys need no ordering or lookup again.  (Beyond 64 keys: all
 * bits only when every key is alike.)
 */
static uint64_t keys_alike(const struct group_table *g, size_t i, const struct value *keys, size_t n)
{
	uint64_t alike = 0;
	bool all = true;
	for (size_t k = 0; k < n; k++) {
		if (!key_is(g->words[i * n + k], (enum vtype)g->types[i * n + k], &keys[k]))
			all = false;
		else if (k < 64)
			alike |= UINT64_C(1) << k;
	}
	return n > 64 && !all ? 0 : alike;
}

/*
 * The word key k's value is kept as: its number's bits, or its string's one
 * copy in the table, looked up only when it is not the one key k had last.
 */
static uint64_t key_word(struct group_table *g, size_t k, const struct value *v)
{
	uint64_t w;
	if (v->type != V_STR) {
		memcpy(&w, &v->num, sizeof w);
		return w;
	}
	if (k < RECENT_KEYS && g->recent[k]) {
		if (key_is(g->recent[k], V_STR, v))
			return g->recent[k];
	}
	bool inserted;
	uint64_t *copy = strmap_upsert(&g->strings, v->len ? v->str : "", v->len, &inserted);
	if (inserted) {
		uint32_t len = v->len;
		unsigned char *p = arena_alloc(&g->texts, sizeof len + len);
		memcpy(p, &len, sizeof len);
		memcpy(p + sizeof len, v->str, len);
		*copy = (uint64_t)(uintptr_t)p;
	}
	if (k < RECENT_KEYS)
		g->recent[k] = *copy;
	return *copy;
}

/* Doubles a group table's index, placing every group again by the hash of its words. */
static void grow_index(struct group_table *g, size_t ngroup)
{
	size_t n = g->nindex ? g->nindex * 2 : 64;
	uint64_t *index = xcalloc(n, sizeof *index);
	for (size_t i = 0; i < g->nindex; i++) {
		if (!g->index[i])
			continue;
		size_t group = (size_t)(g->index[i] & 0xFFFFFFFFu) - 1;
		size_t j = strmap_hash(&g->words[group * ngroup], ngroup * sizeof *g->words) & (n - 1);
		while (index[j])
			j = (j + 1) & (n - 1);
		index[j] = g->index[i];
	}
	free(g->index);
	g->index = index;
	g->nindex = n;
}

/* Copies a value so it outlives the record (strings duplicated). */
static struct value keep_value(const struct value *v)
{
	struct value c = *v;
	if (v->type == V_STR)
		c.str = xstrndup(v->str, v->len);
	return c;
}

const char *template_render(struct buf *out, const struct template *t, const struct eval_ctx *ctx,
			    void (*name)(void *arg, const char *name, struct buf *out), void *arg)
{
	buf_reset(out);
	for (size_t i = 0; i < t->nparts; i++) {
		const struct template_part *p = &t->parts[i];
		if (p->expr) {
			struct value v = expr_eval(p->expr, ctx);
			if (v.type == V_NULL)
				buf_adds(out, "—"); /* no value: a dash, as tables show it */
			else
				value_format(&v, out);
		} else if (p->is_name) {
			name(arg, p->text, out);
		} else {
			buf_adds(out, p->text);
		}
	}
	return out->data ? out->data : "";
}

struct message template_render_both(struct msgbuf *said, struct buf *zh, struct buf *en, const struct template message[2],
				    enum lang lang, const struct eval_ctx *ctx,
				    void (*name)(void *arg, const char *name, struct buf *out), void *arg)
{
	return msg_both(said, lang, template_render(zh, &message[LANG_ZH], ctx, name, arg),
			template_render(en, &message[LANG_EN], ctx, name, arg));
}

/* Renders a rule's message in both languages, in the state's buffers. */
static struct message render_both(struct rules_state *st, const struct template message[2], enum lang lang,
				  const struct eval_ctx *ctx, void (*name)(void *arg, const char *name, struct buf *out),
				  void *arg)
{
	return template_render_both(&st->said, &st->msg, &st->msg_en, message, lang, ctx, name, arg);
}

/* Writes a finding to out or, while a group ended before the end of the file is judged, holds it for the end. */
static void say(struct rules_state *st, struct diag_file *out, const struct diag *d)
{
	if (st->holding == NOT_HOLDING)
		diag_emit(out, d);
	else
		held_add(st->held, st->holding, d);
}

/* {name} in a row rule: the column's cell text. */
static void row_name(void *arg, const char *name, struct buf *out)
{
	const struct row_view *row = ((void **)arg)[0];
	const struct ruleset *rs = ((void **)arg)[1];
	int c = ruleset_column(rs, name);
	if (c >= 0 && row->text[c])
		buf_add(out, row->text[c], row->textlen[c]);
}

/* Emits a failed row rule, pointing at its first column's cell. */
static void row_finding(struct rules_state *st, const struct written_rule *r, const struct row_view *row,
			const struct eval_ctx *ctx, struct diag_file *out)
{
	enum lang lang = out->opt->lang;
	void *arg[2] = {(void *)row, (void *)st->rs};
	struct diag d = DIAG_INIT;
	d.severity = r->severity;
	d.code = r->code;
	d.rule = r->id;
	d.line = row->line;
	d.row = row->row;
	d.county = row->county;
	d.plan = r->plan ? r->plan : st->rs->plan;
	d.expected = expr_source(r->assert);
	if (r->ncols) {
		size_t c = r->cols[0];
		d.column = st->rs->cols[c].name;
		if (row->file_col[c] != SIZE_MAX) {
			d.cell = row->file_col[c];
			d.value = row->text[c] ? row->text[c] : "";
			d.value_len = row->text[c] ? row->textlen[c] : 0;
		}
	}
	if (r->message[lang].nparts) {
		d.message = render_both(st, r->message, lang, ctx, row_name, arg);
	} else {
		buf_reset(&st->msg);
		buf_reset(&st->msg_en);
		buf_addf(&st->msg, "不满足规则 %s：%s", r->id, expr_source(r->assert));
		buf_addf(&st->msg_en, "rule %s fails: %s", r->id, expr_source(r->assert));
		d.message = msg_both(&st->said, lang, st->msg.data, st->msg_en.data);
	}
	say(st, out, &d);
}

/* The state's room for n key values and n words (scratch, scratch_words). */
static struct value *scratch_keys(struct rules_state *st, size_t n)
{
	if (n > st->nscratch) {
		st->scratch = xrealloc(st->scratch, n * (sizeof *st->scratch + sizeof *st->scratch_words));
		st->scratch_words = (uint64_t *)(st->scratch + n);
		st->nscratch = n;
	}
	return st->scratch;
}

/* Group i's key values, in the state's scratch until the next row is grouped. */
static const struct value *group_key_values(struct rules_state *st, const struct group_table *g, size_t i,
					    size_t ngroup)
{
	struct value *keys = scratch_keys(st, ngroup);
	group_keys(g, i, ngroup, keys);
	return keys;
}

static void end_groups(struct rules_state *st, struct group_table *t, bool keep_last);

/* How many orders n keys have: n!. */
static unsigned key_orders(size_t n)
{
	unsigned f = 1;
	for (size_t k = 2; k <= n; k++)
		f *= (unsigned)k;
	return f;
}

/* The order-th of the n! orders of n keys (n <= WATCH_KEYS), as the key compared first, second, …. */
static void key_order(unsigned order, size_t n, unsigned char *perm)
{
	unsigned char left[WATCH_KEYS];
	for (size_t k = 0; k < n; k++)
		left[k] = (unsigned char)k;
	for (size_t k = n; k > 0; k--) {
		unsigned f = key_orders(k - 1);
		unsigned pick = order / f;
		order %= f;
		*perm++ = left[pick];
		memmove(&left[pick], &left[pick + 1], k - pick - 1);
	}
}

/*
 * Keeps, of the key orders a watched or streamed table's groups have come in
 * so far, those in which keys come after the previous group's (group i's);
 * true if one is left.  Texts are compared bytewise and, as a file numbered
 * S1, S2, …, S10 is sorted, in natural order.  alike: the keys known to be
 * the previous group's (keys_alike), which need no comparing.  Keys that
 * compare as the last time did (a file sorted by station and day: the same
 * station, a later day) leave the orders as they are, which that time kept.
 * (A group that comes back is never after itself in any order.)
 */
static bool keeps_order(struct group_table *t, size_t i, const struct value *keys, size_t n, uint64_t alike)
{
	int bytewise[WATCH_KEYS] = {0}, natural[WATCH_KEYS] = {0}; /* each key against the previous group's, once */
	uint32_t signs = 1u << 31; /* how they compared: 4 bits a key */
	for (size_t k = 0; k < n; k++) {
		if (alike >> k & 1)
			continue;
		struct value prev = group_key(t, i, n, k);
		bytewise[k] = value_order(&keys[k], &prev);
		natural[k] = bytewise[k] && keys[k].type == V_STR ? value_order_natural(&keys[k], &prev) : bytewise[k];
		signs |= (uint32_t)(((bytewise[k] > 0) - (bytewise[k] < 0) + 1) | ((natural[k] > 0) - (natural[k] < 0) + 1) << 2)
			 << 4 * k;
	}
	if (signs == t->signs)
		return t->orders != 0;
	t->signs = signs;
	for (uint64_t left = t->orders; left; left &= left - 1) {
		unsigned bit = (unsigned)__builtin_ctzll(left);
		const unsigned char *perm = t->perms[bit / 2];
		const int *compared = bit % 2 ? natural : bytewise;
		int c = 0;
		for (size_t k = 0; k < n && !c; k++)
			c = compared[perm[k]];
		if (c <= 0)
			t->orders &= ~(1ull << bit);
	}
	return t->orders != 0;
}

/*
 * Follows a watched or streamed table to a row whose group is not the last
 * one's: a watched table that leaves every order keeps all its groups from
 * now on; a streamed one ends its open group, or, out of order, asks for the
 * second reading (rules_must_reread).  keys: the row's, which must not be in
 * the state's scratch (ending a group reuses it); alike: as keeps_order's.
 */
static void follow_order(struct rules_state *st, struct group_table *t, const struct value *keys, size_t ngroup,
			 uint64_t alike)
{
	if (!keeps_order(t, (size_t)t->last_group, keys, ngroup, alike)) {
		if (t->mode == GROUPS_STREAMED)
			st->reread = true;
		t->mode = GROUPS_KEPT;
	} else if (t->mode == GROUPS_STREAMED) {
		end_groups(st, t, false);
	}
}

/*
 * Shared keys' values on the current row of the rows they read, worked out
 * on the first call for the row (in the state's scratch), or NULL when one is
 * null; they stay in ks until the keys are next worked out.  Values that
 * differ from the last worked out take a new stamp and a copy.  Keys whose
 * working out may have hit a pattern limit (ctx's trouble says one was hit)
 * are worked out again by the next table, so that each meets the limit as it
 * would alone.
 */
static const struct value *shared_values(struct rules_state *st, struct shared_keys *ks, const struct eval_ctx *ctx)
{
	uint64_t row = st->rows_in[ks->from + 1];
	if (ks->at == row)
		return ks->null ? NULL : ks->values;
	struct value *keys = scratch_keys(st, ks->ngroup);
	bool null = false, same = ks->stamp != 0;
	for (size_t k = 0; k < ks->ngroup && !null; k++) {
		keys[k] = expr_eval(ks->group[k], ctx);
		null = keys[k].type == V_NULL;
		same = same && !ks->null && same_key(&keys[k], &ks->values[k]);
	}
	ks->at = ctx->trouble && ctx->trouble->pattern_limit ? 0 : row;
	if (same && !null)
		return ks->values;
	if (null && ks->null)
		return NULL;
	ks->stamp++;
	ks->null = null;
	if (null)
		return NULL;
	buf_reset(&ks->text);
	for (size_t k = 0; k < ks->ngroup; k++)
		if (keys[k].type == V_STR && keys[k].len)
			buf_add(&ks->text, keys[k].str, keys[k].len);
	size_t at = 0;
	for (size_t k = 0; k < ks->ngroup; k++) {
		ks->values[k] = keys[k];
		if (keys[k].type == V_STR && keys[k].len) {
			ks->values[k].str = ks->text.data + at;
			at += keys[k].len;
		}
	}
	return ks->values;
}

/*
 * The group of a table that follows a leader (group_table.leader) with the
 * keys of the leader's last look-up, which are the row's: the leader's group
 * of the same number, while the table has made its groups as the leader did;
 * or -1 to look it up.
 */
static long leader_group(const struct group_table *g)
{
	const struct group_table *l = g->leader;
	if (!l || g->misaligned || l->dropped || !l->ngroups || l->stamp != g->shared->stamp)
		return -1;
	return l->last_group;
}

/* Makes group the table's last group, looked up with its shared keys' stamp. */
static long looked_up(struct group_table *g, long group)
{
	g->stamp = g->shared ? g->shared->stamp : 0;
	return g->last_group = group;
}

/*
 * True if a look-up of a group the table has, of the shared keys, would
 * grow nothing: its texts' map, which key_word may look a text up in (and
 * which grows on a look-up once past half full: a text may be other than
 * its key's last until a group is made), and, unless the group is the last
 * or the next, its index, which has room for one more group.
 */
static bool grows_nothing(const struct group_table *g, long group)
{
	const struct shared_keys *ks = g->shared;
	if (strmap_upsert_grows(&g->strings))
		for (size_t k = 0; k < ks->ngroup; k++)
			if (ks->values[k].type == V_STR)
				return false;
	return group == g->last_group || group == g->last_group + 1 || (g->ngroups + 1) * 4 <= g->nindex * 3;
}

/*
 * The group a table that shares keys knows the row's to be without a
 * look-up: its last (the keys of its last look-up) or its leader's
 * (leader_group), where looking it up would grow nothing, so that the table
 * takes its memory on the same rows as without a leader; or -2.
 */
static inline long known_group(struct group_table *g)
{
	if (g->ngroups && g->stamp == g->shared->stamp)
		return g->last_group;
	long led = leader_group(g);
	return led >= 0 && (size_t)led < g->ngroups && grows_nothing(g, led) ? looked_up(g, led) : -2;
}

/*
 * Finds or creates the group of the current row in a table grouped by ngroup
 * expressions with a block of accumulators of that many bytes; returns its number, or -1 for a null key
 * (find_group's work, once it has seen to a watched table's order).  A
 * streamed table keeps no index.  The row's keys are compared with the last
 * group's once: keys alike keep its words, and the order watch compares
 * only the others.  Not inlined: find_group, which is, calls it only when it must.
 */
static __attribute__((noinline)) long look_up_group(struct rules_state *st, struct group_table *g,
						    struct expr *const *group, size_t ngroup, size_t block,
						    const struct eval_ctx *ctx)
{
	const struct value *keys;
	if (g->shared) {
		keys = shared_values(st, g->shared, ctx);
		if (!keys)
			return -1;
		long known = known_group(g);
		if (known >= 0)
			return known;
		long led = leader_group(g); /* one it has is found as ever; one it makes now keeps the numbering
					       only if it is the leader's next */
		if (g->leader && (led < 0 || (size_t)led >= g->ngroups))
			g->misaligned = g->misaligned || (size_t)led != g->ngroups;
	} else {
		struct value *row_keys = scratch_keys(st, ngroup);
		for (size_t k = 0; k < ngroup; k++) {
			row_keys[k] = expr_eval(group[k], ctx);
			if (row_keys[k].type == V_NULL)
				return -1;
		}
		keys = row_keys;
	}
	/* (shared keys one stamp on from its last lookup's are other keys: they took it by differing) */
	bool other = g->shared && g->stamp + 1 == g->shared->stamp;
	uint64_t alike = 0; /* the keys the last group has, a bit each (other keys are not all alike) */
	if (g->ngroups && (!other || g->mode != GROUPS_KEPT)) {
		alike = keys_alike(g, (size_t)g->last_group, keys, ngroup);
		if (alike == all_keys(ngroup))
			return looked_up(g, g->last_group);
	}
	const uint64_t *last_words = g->ngroups ? &g->words[(size_t)g->last_group * ngroup] : NULL;
	struct value row_keys[WATCH_KEYS];
	uint64_t ended_words[WATCH_KEYS];
	if (g->mode != GROUPS_KEPT && g->ngroups) { /* (ngroup <= WATCH_KEYS) */
		/* ending the last group reuses the state's scratch, and its words' place: the keys and words are kept here */
		memcpy(row_keys, keys, ngroup * sizeof *keys);
		memcpy(ended_words, last_words, ngroup * sizeof *last_words);
		keys = row_keys;
		last_words = ended_words;
		follow_order(st, g, keys, ngroup, alike);
	}
	if (g->dropped) /* judging the groups it ended took more memory than the budget had */
		return -1;
	scratch_keys(st, ngroup);
	uint64_t *words = st->scratch_words;
	for (size_t k = 0; k < ngroup; k++) {
		if (k < 64 && alike >> k & 1) { /* its string, kept once, as key_word would find it */
			words[k] = last_words[k];
			if (k < RECENT_KEYS && keys[k].type == V_STR)
				g->recent[k] = words[k];
		} else {
			words[k] = key_word(g, k, &keys[k]);
		}
	}
	size_t i = 0;
	uint64_t tag = 0;
	if (g->mode != GROUPS_STREAMED) {
		/* the group made after the last one first: rows that come back in the order they first came find it so */
		size_t next = (size_t)g->last_group + 1;
		if (g->ngroups && next < g->ngroups && group_has_words(g, next, words, keys, ngroup))
			return looked_up(g, (long)next);
		if ((g->ngroups + 1) * 4 > g->nindex * 3)
			grow_index(g, ngroup);
		uint64_t hash = strmap_hash(words, ngroup * sizeof *words);
		tag = hash & ~(uint64_t)0xFFFFFFFFu;
		for (i = hash & (g->nindex - 1); g->index[i]; i = (i + 1) & (g->nindex - 1)) {
			size_t at = (size_t)(g->index[i] & 0xFFFFFFFFu) - 1;
			if ((g->index[i] & ~(uint64_t)0xFFFFFFFFu) == tag && group_has_words(g, at, words, keys, ngroup))
				return looked_up(g, (long)at);
		}
	}
	if (g->ngroups >= 0xFFFFFFFEu)
		die(EXIT_TROUBLE, "too many groups to remember");
	if (g->ngroups == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->words = xrealloc(g->words, g->cap * (ngroup + 1) * sizeof *g->words);
		g->types = xrealloc(g->types, g->cap * (ngroup + 1));
		g->accs = block ? xrealloc(g->accs, g->cap * block) : NULL;
	}
	for (size_t k = 0; k < ngroup; k++) {
		g->words[g->ngroups * ngroup + k] = words[k];
		g->types[g->ngroups * ngroup + k] = (unsigned char)keys[k].type;
	}
	if (block)
		memset(g->accs + g->ngroups * block, 0, block);
	if (g->mode != GROUPS_STREAMED)
		g->index[i] = tag | (g->ngroups + 1);
	looked_up(g, (long)g->ngroups);
	return (long)g->ngroups++;
}

/*
 * Finds or creates the group of the current row (look_up_group), without a
 * call where the row's shared keys are worked out and the table knows their
 * group (known_group): most tables' rows, in a sorted file or after a
 * leader's look-up.  A watched table that has kept an order long enough
 * starts ending its groups as they close (end_groups) first.
 */
static inline __attribute__((always_inline)) long find_group(struct rules_state *st, struct group_table *g,
							     struct expr *const *group, size_t ngroup, size_t block,
							     const struct eval_ctx *ctx)
{
	bool keeps_rows = g->ends == ENDS_ROW_RULE || g->ends == ENDS_AGGREGATE;
	if (g->mode == GROUPS_WATCHED && (keeps_rows ? ++g->watched > WATCH_ROWS : g->ngroups >= WATCH_GROUPS)) {
		g->mode = GROUPS_STREAMED;
		end_groups(st, g, true);
	}
	const struct shared_keys *ks = g->shared;
	if (ks && ks->at == st->rows_in[ks->from + 1]) {
		long known = ks->null ? -1 : known_group(g);
		if (known != -2)
			return known;
	}
	return look_up_group(st, g, group, ngroup, block, ctx);
}

/* Records the row's key (and per value) for a coverage rule. */
static void coverage_row(struct rules_state *st, size_t i, const struct row_view *row,
			 const struct eval_ctx *ctx)
{
	const struct coverage_rule *c = &st->rs->coverage[i];
	struct coverage_seen *s = &st->seen[i];
	if (!row->text[c->col] || !row->textlen[c->col])
		return;
	if (c->when) {
		struct value w = expr_eval(c->when, ctx);
		if (w.type != V_BOOL || !w.num)
			return;
	}
	buf_reset(&st->key);
	if (c->per) {
		struct value pv = expr_eval(c->per, ctx);
		if (pv.type == V_NULL)
			return;
		value_key(&st->key, &pv);
		bool inserted;
		uint64_t *n = strmap_upsert(&s->per_index, st->key.data, st->key.len, &inserted);
		if (inserted) {
			if (s->nper == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 16;
				s->per_seen = xrealloc(s->per_seen, s->cap * sizeof *s->per_seen);
			}
			*n = s->nper;
			s->per_seen[s->nper++] = keep_value(&pv);
		}
	}
	struct value k = {.type = V_STR, .str = row->text[c->col], .len = row->textlen[c->col]};
	value_key(&st->key, &k);
	strmap_put(&s->pairs, st->key.data, st->key.len, 1, NULL);
}

/*
 * Reports that a rule's matches() hit the pattern's match limit on this row,
 * so the rule could not be judged there: a warning at the cell it was
 * matching (or the rule's first column), as for a column's own pattern.
 */
static void pattern_limit_finding(struct rules_state *st, const struct written_rule *r,
				  const struct row_view *row, const struct eval_trouble *t, struct diag_file *out)
{
	struct diag d = DIAG_INIT;
	d.severity = SEV_WARNING;
	d.code = "pattern-limit";
	d.rule = r->id;
	d.line = row->line;
	d.row = row->row;
	d.county = row->county;
	d.plan = r->plan ? r->plan : st->rs->plan;
	long c = t->pattern_col >= 0 ? t->pattern_col : r->ncols ? (long)r->cols[0] : -1;
	if (c >= 0) {
		d.column = st->rs->cols[c].name;
		if (row->file_col[c] != SIZE_MAX) {
			d.cell = row->file_col[c];
			d.value = row->text[c] ? row->text[c] : "";
			d.value_len = row->text[c] ? row->textlen[c] : 0;
		}
	}
	d.message = MSG_SAY(&st->said, out->opt->lang, MSG_RULE_PATTERN_LIMIT, ARG_TEXT("rule", r->id));
	say(st, out, &d);
}

/* A when's or an assert's value v as judged: null (no verdict) when working it out hit a pattern's limit, which is reported. */
static struct value judged(struct rules_state *st, const struct written_rule *r, struct value v,
			   const struct row_view *row, const struct eval_ctx *ctx, struct diag_file *out)
{
	if (!ctx->trouble->pattern_limit)
		return v;
	pattern_limit_finding(st, r, row, ctx->trouble, out);
	return (struct value){.type = V_NULL};
}

/* Evaluates a when or an assert; a pattern-limit hit is reported and gives null (no verdict). */
static struct value judge(struct rules_state *st, const struct written_rule *r, const struct expr *e,
			  const struct row_view *row, const struct eval_ctx *ctx, struct diag_file *out)
{
	ctx->trouble->pattern_limit = false;
	return judged(st, r, expr_eval(e, ctx), row, ctx, out);
}

/* A column's name as the user sees it: its label, or its name. */
static const char *shown_name(const struct ruleset *rs, size_t col)
{
	return rs->cols[col].label ? rs->cols[col].label : rs->cols[col].name;
}

/*
 * Reports, once for the file, that a row rule requires a column the file does
 * not have; from then on its rows are not reported one by one.
 */
static void report_absent_input(struct rules_state *st, size_t i, size_t col, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	const struct written_rule *r = &rs->row_rules[i];
	enum lang lang = out->opt->lang;
	st->absent_input[i] = true;
	struct diag d = DIAG_INIT;
	d.severity = r->requires_severity;
	d.code = "cannot-verify";
	d.rule = r->id;
	d.column = rs->cols[col].name;
	d.plan = r->plan ? r->plan : rs->plan;
	d.message = MSG_SAY(&st->said, lang, MSG_CANNOT_VERIFY_COLUMN, ARG_TEXT("column", shown_name(rs, col)),
			    ARG_TEXT("rule", r->id));
	say(st, out, &d);
}

/*
 * Reports a row rule's inputs blank on this row, its required columns from
 * requires[from] (the first blank one) on: cannot-verify at the first,
 * naming them all, or, for a required column missing from the whole file,
 * once for the file.
 */
static void report_blank_inputs(struct rules_state *st, size_t i, size_t from, const struct row_view *row,
				struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	const struct written_rule *r = &rs->row_rules[i];
	size_t first = SIZE_MAX;
	for (size_t k = from; k < r->nrequires; k++) {
		size_t c = r->requires[k];
		if (row->values[c].type != V_NULL)
			continue;
		if (row->file_col[c] == SIZE_MAX) {
			if (!st->absent_input[i])
				report_absent_input(st, i, c, out);
			return;
		}
		if (first == SIZE_MAX) { /* the names go into text and msg_en, made empty only now: most rows have all */
			first = c;
			buf_reset(&st->text);
			buf_reset(&st->msg_en);
		} else {
			buf_adds(&st->text, "、");
			buf_adds(&st->msg_en, "', '");
		}
		buf_adds(&st->text, shown_name(rs, c));
		buf_adds(&st->msg_en, shown_name(rs, c));
	}
	enum lang lang = out->opt->lang;
	struct diag d = DIAG_INIT;
	d.severity = r->requires_severity;
	d.code = "cannot-verify";
	d.rule = r->id;
	d.line = row->line;
	d.row = row->row;
	d.county = row->county;
	d.plan = r->plan ? r->plan : rs->plan;
	d.column = rs->cols[first].name;
	if (row->file_col[first] != SIZE_MAX) {
		d.cell = row->file_col[first];
		d.value = row->text[first] ? row->text[first] : "";
		d.value_len = row->text[first] ? row->textlen[first] : 0;
	}
	d.message = MSG_SAY(&st->said, lang, MSG_CANNOT_VERIFY, ARG_PHRASE("columns", st->text.data, st->msg_en.data),
			    ARG_TEXT("rule", r->id));
	say(st, out, &d);
}

/*
 * True if every input a row rule requires has a value on this row;
 * otherwise reports them (report_blank_inputs).  Inline: it runs for every
 * rule with inputs on every row, and most rows have them all.
 */
static inline bool inputs_present(struct rules_state *st, size_t i, const struct row_view *row,
				  struct diag_file *out)
{
	const struct written_rule *r = &st->rs->row_rules[i];
	for (size_t k = 0; k < r->nrequires; k++)
		if (row->values[r->requires[k]].type == V_NULL) {
			report_blank_inputs(st, i, k, row, out);
			return false;
		}
	return true;
}

/* The memory a group table's index and key strings fill, in bytes (as account counts it). */
static uint64_t group_index_bytes(const struct group_table *t)
{
	return t->nindex * sizeof *t->index + strmap_bytes(&t->strings) + t->texts.used;
}

/*
 * Takes what a table's groups grew by from the budget: the memory they fill
 * (tables grow by doubling; the part not filled yet is not counted, as the
 * system gives it only when touched).  When the budget cannot give it, the
 * table is dropped for the rest of the file with a resource-limit finding at
 * this row (line and row 0: after the last).  kept_before: the values its
 * group kept before this row.
 */
static void account(struct rules_state *st, const struct grouping *gr, const unsigned char *accs,
		    uint64_t kept_before, uint64_t line, uint64_t row, struct diag_file *out)
{
	struct group_table *t = gr->table;
	if (accs)
		t->values += agg_acc_kept_bytes(gr->slots, gr->nslots, accs) - kept_before;
	uint64_t now = group_index_bytes(t) + t->values + t->day_bytes +
		       t->ngroups * (gr->ngroup * (sizeof *t->words + sizeof *t->types) + gr->block) +
		       t->nplaces * sizeof *t->places + t->ndays * sizeof *t->days;
	if (now <= t->bytes || budget_take(st->budget, now - t->bytes)) {
		t->bytes = now > t->bytes ? now : t->bytes;
		return;
	}
	struct budget_drop drop = {gr->id, gr->kind_zh, gr->kind_en, gr->id, t->bytes, now};
	budget_report_drop(st->budget, out, &drop, line, row);
	free_group_table(st, t, gr->slots, gr->nslots);
	memset(t, 0, sizeof *t);
	t->dropped = true;
}

/* Adds a day to a group's set (rows mostly come in order of days: then it goes at the end). */
static void note_day(struct group_table *t, size_t i, struct value day)
{
	if (day.type != V_DATE)
		return;
	if (i >= t->ndays) {
		t->days = xrealloc(t->days, t->cap * sizeof *t->days);
		memset(&t->days[t->ndays], 0, (t->cap - t->ndays) * sizeof *t->days);
		t->ndays = t->cap;
	}
	struct day_set *d = &t->days[i];
	int32_t v = (int32_t)day.num;
	uint32_t at = d->n;
	while (at > 0 && d->days[at - 1] > v)
		at--;
	if (at > 0 && d->days[at - 1] == v)
		return;
	if (d->n == d->cap) {
		t->day_bytes -= d->cap * sizeof *d->days;
		d->cap = d->cap ? d->cap * 2 : 4;
		d->days = xrealloc(d->days, d->cap * sizeof *d->days);
		t->day_bytes += d->cap * sizeof *d->days;
	}
	memmove(&d->days[at + 1], &d->days[at], (d->n - at) * sizeof *d->days);
	d->days[at] = v;
	d->n++;
}

/* Holds a streamed view's new group's values, made of its first row (grouping.hold); false where they cannot be. */
static bool hold_row(struct group_table *t, const struct grouping *gr, const struct eval_ctx *ctx)
{
	if (!t->held_values)
		t->held_values = xcalloc(gr->nvalues + 1, sizeof *t->held_values);
	return agg_hold_row(gr->hold_cell, gr->nvalues, ctx->row, t->held_values);
}

/*
 * Feeds a row to its group of a grouping (when it passes the when), within
 * the budget; a streamed view's new group holds its first row's values
 * (hold_row) until a second comes.
 */
static void feed(struct rules_state *st, const struct grouping *gr, const struct eval_ctx *ctx, uint64_t line,
		 uint64_t row, struct diag_file *out)
{
	struct group_table *t = gr->table;
	if (t->dropped)
		return;
	if (gr->when) {
		struct value w = expr_eval(gr->when, ctx);
		if (w.type != V_BOOL || !w.num)
			return;
	}
	long i = find_group(st, t, gr->group, gr->ngroup, gr->block, ctx);
	if (i < 0)
		return;
	bool first = gr->places && (size_t)i == t->nplaces;
	if (first) { /* a new group: groups are numbered as they come */
		if (t->nplaces == t->places_cap) { /* grown by doubling: a streamed view starts again at 0 each group */
			t->places_cap = t->places_cap ? t->places_cap * 2 : 64;
			t->places = xrealloc(t->places, t->places_cap * sizeof *t->places);
		}
		t->places[t->nplaces++] = (struct place){line, row};
	}
	if (gr->dates)
		note_day(t, (size_t)i, expr_eval(gr->dates, ctx));
	unsigned char *accs = group_accs(t, (size_t)i, gr->block);
	bool limited = st->budget && st->budget->limit;
	uint64_t kept = limited ? agg_acc_kept_bytes(gr->slots, gr->nslots, accs) : 0;
	if (first && gr->hold && t->mode == GROUPS_STREAMED && hold_row(t, gr, ctx)) {
		t->held = (size_t)i + 1;
	} else {
		if (t->held == (size_t)i + 1) { /* its second row */
			agg_unhold(gr->slots, gr->hold, gr->nvalues, t->held_values, accs);
			t->held = 0;
		}
		agg_update(gr->slots, gr->nslots, accs, ctx);
	}
	if (limited)
		account(st, gr, accs, kept, line, row, out);
}

/* Keeps the current row's cells that ordered rules read, once, in the arena. */
static struct kept_row *keep_row(struct rules_state *st, const struct row_view *row)
{
	const struct ruleset *rs = st->rs;
	if (st->this_row)
		return st->this_row;
	size_t n = rs->nkept;
	struct kept_row *k = arena_alloc(&st->kept, sizeof *k + n * (sizeof *k->values + sizeof(char *) + sizeof(size_t)));
	struct kept_texts texts = kept_texts(k, n);
	k->row = row->row;
	k->line = row->line;
	k->county = row->county;
	for (size_t i = 0; i < n; i++) {
		size_t c = rs->kept_cols[i];
		texts.len[i] = row->text[c] ? row->textlen[c] : 0;
		texts.text[i] = row->text[c] ? arena_copy(&st->kept, row->text[c], texts.len[i]) : NULL;
		k->values[i] = row->values[c];
		if (k->values[i].type == V_STR) /* the typed text is the cell's text, folded maybe: keep its own copy */
			k->values[i].str = arena_copy(&st->kept, row->values[c].str, row->values[c].len);
	}
	return st->this_row = k;
}

/* Orders entries by group, then order key (numbers and dates as such, texts bytewise), then place. */
static int by_group_and_order(const void *pa, const void *pb)
{
	const struct ordered_entry *a = pa, *b = pb;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	int c = value_order(&a->order, &b->order);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/*
 * True if entry b, added after a, comes after it by by_group_and_order: its
 * place is later, so a tie keeps them in order; numbers and dates of one type
 * are compared here, as rows mostly come in order.
 */
static bool comes_after(const struct ordered_entry *a, const struct ordered_entry *b)
{
	if (a->group != b->group)
		return a->group < b->group;
	if (a->order.type == b->order.type && a->order.type != V_STR)
		return !(a->order.num > b->order.num);
	return value_order(&a->order, &b->order) <= 0;
}

/* Adds a row to an ordered rule's list, in group g, with its order key (a text copied). */
static void add_ordered(struct rules_state *st, struct ordered_rows *o, long g, struct value order,
			const struct kept_row *kept, const struct value *view_row)
{
	if (g < 0 || order.type == V_NULL)
		return;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->entries = xrealloc(o->entries, o->cap * sizeof *o->entries);
	}
	if (order.type == V_STR)
		order.str = arena_copy(&st->kept, order.str, order.len);
	struct ordered_entry e = {order, kept, view_row, st->seq++, (uint32_t)g};
	o->sorted = !o->n || (o->sorted && comes_after(&o->entries[o->n - 1], &e));
	o->entries[o->n++] = e;
}

/*
 * Takes from the budget what the kept rows and the ordered lists grew by; when
 * it cannot give it, the rules judged in order are dropped for the rest of the
 * file (they need every row) with a resource-limit finding at this row.
 */
static void account_ordered(struct rules_state *st, const struct row_view *row, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	uint64_t now = st->kept.held;
	for (size_t i = 0; i < rs->nrow_rules; i++)
		now += st->ordered_rules[i].cap * sizeof(struct ordered_entry) +
		       group_index_bytes(&st->ordered_rules[i].groups);
	for (size_t i = 0; i < rs->naggregates; i++)
		now += st->ordered_aggregates[i].cap * sizeof(struct ordered_entry);
	if (now <= st->kept_bytes || budget_take(st->budget, now - st->kept_bytes)) {
		st->kept_bytes = now > st->kept_bytes ? now : st->kept_bytes;
		return;
	}
	struct buf names = {0};
	const char *first = NULL;
	for (size_t l = 0; l < 2; l++) {
		const struct written_rule *rules = l ? rs->aggregates : rs->row_rules;
		for (size_t i = 0, n = l ? rs->naggregates : rs->nrow_rules; i < n; i++)
			if (rules[i].order && rules[i].from < 0) {
				buf_addf(&names, "%s%s", names.len ? ", " : "", rules[i].id);
				first = first ? first : rules[i].id;
			}
	}
	struct budget_drop drop = {first, "按顺序核查的规则", "rules judged in order", names.data, st->kept_bytes, now};
	budget_report_drop(st->budget, out, &drop, row->line, row->row);
	buf_free(&names);
	free_ordered(st);
	st->ordered_dropped = true;
}

/* Files a file row under each rule judged in order (its group and order key now, the rest later). */
static void keep_for_ordered(struct rules_state *st, const struct row_view *row, const struct eval_ctx *ctx,
			     struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	if (!rs->nkept || st->ordered_dropped)
		return;
	st->this_row = NULL;
	long *group = st->ordered_group, *aggregate_group = group + rs->nrow_rules;
	/* first every group of the row, which may end the groups before */
	for (size_t t = 0; t < st->nrow_tables; t++) {
		size_t i = st->row_tables[t];
		const struct written_rule *r = &rs->row_rules[i];
		group[i] = find_group(st, &st->ordered_rules[i].groups, r->group, r->ngroup, 0, ctx);
	}
	for (size_t f = 0; f < st->nfile_ordered; f++) {
		size_t a = st->file_ordered[f];
		const struct written_rule *r = &rs->aggregates[a];
		aggregate_group[a] = -1;
		if (!st->groups[a].dropped)
			aggregate_group[a] = find_group(st, &st->groups[a], r->group, r->ngroup,
							aggregate_grouping(st, a, true)->block, ctx);
	}
	bool none_kept = true; /* (only these rules keep rows) */
	for (size_t t = 0; t < st->nrow_tables && none_kept; t++)
		none_kept = !st->ordered_rules[st->row_tables[t]].n;
	for (size_t f = 0; f < st->nfile_ordered && none_kept; f++)
		none_kept = !st->ordered_aggregates[st->file_ordered[f]].n;
	if (none_kept) /* every group that kept rows has ended: their memory serves the next */
		arena_free(&st->kept);
	for (size_t t = 0; t < st->nrow_tables; t++) {
		size_t i = st->row_tables[t];
		add_ordered(st, &st->ordered_rules[i], group[i], expr_eval(rs->row_rules[i].order, ctx), keep_row(st, row),
			    NULL);
	}
	for (size_t f = 0; f < st->nfile_ordered; f++) {
		size_t a = st->file_ordered[f];
		if (st->ordered_list[a] != a) /* its rows are kept in the first sharer's list */
			continue;
		long g = -1; /* the group in the tables of those sharing the list that are not dropped */
		for (size_t s = st->list_sharers_at[a]; s < st->list_sharers_at[a + 1] && g < 0; s++)
			g = aggregate_group[st->list_sharers[s] - rs->aggregates];
		if (g >= 0)
			add_ordered(st, &st->ordered_aggregates[a], g, expr_eval(rs->aggregates[a].order, ctx),
				    keep_row(st, row), NULL);
	}
	if (st->budget && st->budget->limit)
		account_ordered(st, row, out);
}

/*
 * Plans the row rules judged as each row comes for a file whose columns'
 * cells file_col gives: a rule whose when an absent column's in_file()
 * makes false is left out, and so is one that requires an absent column
 * once that has been reported, unless its when can still report a
 * pattern's limit.
 */
static void plan_rules(struct rules_state *st, const size_t *file_col)
{
	const struct ruleset *rs = st->rs;
	if (!st->planned)
		st->planned = xcalloc(st->nrules_now + 1, sizeof *st->planned);
	st->nplanned = 0;
	st->planned_for = file_col;
	for (size_t n = 0; n < st->nrules_now; n++) {
		size_t i = st->rules_now[n];
		const struct written_rule *r = &rs->row_rules[i];
		struct planned_rule *p = &st->planned[st->nplanned];
		*p = (struct planned_rule){.rule = i, .absent = SIZE_MAX};
		if (r->when) {
			expr_when_plan(&p->when, r->when, file_col);
			if (p->when.never)
				continue;
		}
		for (size_t k = 0; k < r->nrequires && p->absent == SIZE_MAX; k++)
			if (file_col[r->requires[k]] == SIZE_MAX)
				p->absent = r->requires[k];
		if (p->absent == SIZE_MAX || !st->absent_input[i] || p->when.may_trouble)
			st->nplanned++;
	}
}

/* Judges the row rules planned for the file on a row. */
static void judge_row_rules(struct rules_state *st, const struct row_view *row, const struct eval_ctx *ctx,
			    struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	if (row->file_col != st->planned_for)
		plan_rules(st, row->file_col);
	for (size_t n = 0; n < st->nplanned; n++) {
		const struct planned_rule *p = &st->planned[n];
		const struct written_rule *r = &rs->row_rules[p->rule];
		if (p->when.n) {
			ctx->trouble->pattern_limit = false;
			struct value w = judged(st, r, expr_when_eval(&p->when, ctx), row, ctx, out);
			if (w.type != V_BOOL || !w.num)
				continue;
		}
		if (p->absent != SIZE_MAX) {
			if (!st->absent_input[p->rule])
				report_absent_input(st, p->rule, p->absent, out);
			if (!p->when.may_trouble) { /* nothing more it can say in this file */
				memmove(&st->planned[n], &st->planned[n + 1], (--st->nplanned - n) * sizeof *st->planned);
				n--;
			}
			continue;
		}
		if (!inputs_present(st, p->rule, row, out))
			continue;
		struct value v = judge(st, r, r->assert, row, ctx, out);
		if (v.type == V_BOOL && !v.num)
			row_finding(st, r, row, ctx, out);
	}
}

void rules_row(struct rules_state *st, const struct row_view *row, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	struct eval_trouble trouble = {0}; /* read before a rule resets it by the keys tables share (shared_values) */
	struct eval_ctx ctx = {.rs = rs, .as_of = as_of_of(st), .row = row->values, .file_col = row->file_col, .trouble = &trouble,
			       .stamp = expr_row_stamp()};
	st->file_col = row->file_col;
	st->out = out;
	st->rows_in[0]++;
	if (!st->reread)
		keep_for_ordered(st, row, &ctx, out);
	if (!st->rereading)
		judge_row_rules(st, row, &ctx, out);
	if (st->reread) { /* the second reading makes the groups, from this row on too */
		if (!st->reread_from)
			st->reread_from = row->row;
		return;
	}
	/* on the second reading, the first told what troubled this row's aggregates */
	bool told = st->rereading && (!st->reread_from || row->row < st->reread_from);
	for (size_t f = 0; f < st->nfile_aggregates; f++) {
		size_t a = st->file_aggregates[f];
		const struct written_rule *r = &rs->aggregates[a];
		if (st->groups[a].dropped)
			continue;
		if (r->when) {
			struct value w = told ? expr_eval(r->when, &ctx) : judge(st, r, r->when, row, &ctx, out);
			if (w.type != V_BOOL || !w.num)
				continue;
		}
		trouble.pattern_limit = false;
		feed(st, aggregate_grouping(st, a, false), &ctx, row->line, row->row, out);
		if (trouble.pattern_limit && !told)
			pattern_limit_finding(st, r, row, &trouble, out);
	}
	for (size_t v = 0; v < rs->nviews; v++)
		if (rs->views[v].from < 0)
			feed(st, view_grouping(st, v), &ctx, row->line, row->row, out);
	for (size_t i = 0; i < rs->ncoverage; i++)
		coverage_row(st, i, row, &ctx);
	for (size_t e = 0; e < rs->nexports; e++)
		if (rs->exports[e].from < 0)
			feed(st, export_grouping(st, e), &ctx, row->line, row->row, out);
}

/* True if an aggregate judged in order reads view v: it points at the view's rows until the end. */
static bool view_rows_kept(const struct ruleset *rs, size_t v)
{
	for (size_t a = 0; a < rs->naggregates; a++)
		if (rs->aggregates[a].from == (int)v && rs->aggregates[a].order)
			return true;
	return false;
}

/* Starts watching a table's groups for an order of their keys; ends and owner: what ends them. */
static void watch(struct group_table *t, size_t ngroup, enum group_ends ends, size_t owner)
{
	t->mode = GROUPS_WATCHED;
	t->orders = (1ull << 2 * key_orders(ngroup)) - 1;
	t->signs = 0;
	for (unsigned order = 0; order < key_orders(ngroup); order++) /* worked out once, not on every group */
		key_order(order, ngroup, t->perms[order]);
	t->ends = ends;
	t->owner = owner;
}

void rules_stream_groups(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	for (size_t v = 0; v < rs->nviews; v++) {
		const struct view *view = &rs->views[v];
		if (view->from < 0 && view->ngroup && view->ngroup <= WATCH_KEYS && !view_rows_kept(rs, v))
			watch(&st->view_groups[v], view->ngroup, ENDS_VIEW, v);
	}
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		const struct written_rule *r = &rs->row_rules[i];
		if (r->order && r->ngroup && r->ngroup <= WATCH_KEYS && st->ordered_table[i] == i)
			watch(&st->ordered_rules[i].groups, r->ngroup, ENDS_ROW_RULE, i);
	}
	for (size_t a = 0; a < rs->naggregates; a++) {
		const struct written_rule *r = &rs->aggregates[a];
		if (!r->ngroup || r->ngroup > WATCH_KEYS)
			continue;
		if (!r->order)
			watch(&st->groups[a], r->ngroup, ENDS_JUDGED, a);
		else if (r->from < 0)
			watch(&st->groups[a], r->ngroup, ENDS_AGGREGATE, a);
	}
}

bool rules_must_reread(const struct rules_state *st)
{
	return st->reread;
}

struct rules_state *rules_state_reread(const struct rules_state *first, struct budget *budget)
{
	const struct ruleset *rs = first->rs;
	struct rules_state *st = rules_state_new(rs, budget, as_of_of(first));
	st->rereading = true;
	st->reread_from = first->reread_from;
	st->ordered_dropped = first->ordered_dropped;
	for (size_t a = 0; a < rs->naggregates; a++)
		st->groups[a].dropped = first->groups[a].dropped;
	for (size_t v = 0; v < rs->nviews; v++)
		st->view_groups[v].dropped = first->view_groups[v].dropped;
	for (size_t e = 0; e < rs->nexports; e++)
		st->export_groups[e].dropped = first->export_groups[e].dropped;
	return st;
}

/* The county of a group: its key that is the rule set's county column, as a code. */
static const char *group_county(const struct ruleset *rs, const struct written_rule *r,
				const struct value *keys, char *buf, size_t size)
{
	if (rs->county_mode == COUNTY_NONE)
		return NULL;
	for (size_t k = 0; k < r->ngroup; k++) {
		const size_t *cols;
		size_t n = expr_columns(r->group[k], &cols);
		/* a view's key of the county column's name is the county too */
		if (n != 1 || (r->from < 0 && cols[0] != rs->county_col) || keys[k].type != V_STR ||
		    strcmp(expr_key_name(r->group[k]), rs->cols[rs->county_col].name) != 0)
			continue;
		const struct column *c = &rs->cols[rs->county_col];
		size_t row;
		bool alias;
		if (!reftable_find(c->ref, c->ref_col, keys[k].str, keys[k].len, &row, &alias))
			return NULL;
		snprintf(buf, size, "%s", reftable_cell(rs->counties, row, rs->county_code_col));
		return buf;
	}
	return NULL;
}

struct group_names {
	const struct written_rule *r;
	const struct value *keys;
};

/* {name} in an aggregate: the group key of that name. */
static void group_name(void *arg, const char *name, struct buf *out)
{
	const struct group_names *gn = arg;
	for (size_t k = 0; k < gn->r->ngroup; k++)
		if (strcmp(expr_key_name(gn->r->group[k]), name) == 0)
			value_format(&gn->keys[k], out);
}

/* Writes the group object of design.md §3.1: {"county_code":"441881","year":2025}. */
static const char *group_json(struct rules_state *st, const struct written_rule *r, const struct value *keys)
{
	buf_reset(&st->json);
	buf_addc(&st->json, '{');
	for (size_t k = 0; k < r->ngroup; k++) {
		jsonw_key(&st->json, expr_key_name(r->group[k]));
		value_json(&keys[k], &st->json);
	}
	buf_addc(&st->json, '}');
	return st->json.data;
}

/*
 * Notes where the longest run (longest_run()) of group i of an aggregate
 * judged in order began, once its rows have been walked, for its finding to
 * point at: the file's row that began it, or the first file row of the view
 * row that did.  The rows themselves may be gone when the group is judged.
 */
static void note_run(struct rules_state *st, const struct written_rule *r, size_t i)
{
	size_t a = (size_t)(r - st->rs->aggregates);
	struct group_table *t = &st->groups[a];
	for (size_t k = 0; !t->dropped && k < r->nslots; k++) {
		if (r->slots[k].kind != AGG_LONGEST_RUN && r->slots[k].kind != AGG_LONGEST_EQUAL_RUN)
			continue;
		unsigned char *accs = group_accs(t, i, aggregate_grouping(st, a, true)->block);
		const struct ordered_entry *e = agg_acc_of(accs, &r->slots[k])->best_from;
		if (!e)
			continue;
		struct place at = {0};
		if (e->kept) {
			at = (struct place){e->kept->line, e->kept->row};
		} else if (e->view_row && r->from >= 0) {
			const struct view_rows *vr = &st->view_rows[r->from];
			at = vr->places[(size_t)(e->view_row - vr->values) / st->rs->views[r->from].out.n];
		}
		if (i >= t->nrun_at) {
			t->run_at = xrealloc(t->run_at, t->cap * sizeof *t->run_at);
			memset(&t->run_at[t->nrun_at], 0, (t->cap - t->nrun_at) * sizeof *t->run_at);
			t->nrun_at = t->cap;
		}
		t->run_at[i] = at;
		return;
	}
}

/* Judges group i of aggregate a: a finding when its assert fails. */
static void judge_group(struct rules_state *st, size_t a, size_t i, struct diag_file *out)
{
	const struct written_rule *r = &st->rs->aggregates[a];
	struct group_table *g = &st->groups[a];
	enum lang lang = out->opt->lang;
	char county[64];
	const struct value *keys = group_key_values(st, g, i, r->ngroup);
	struct eval_ctx ctx = {.rs = st->rs, .as_of = as_of_of(st), .keys = keys,
			       .accs = group_accs(g, i, aggregate_grouping(st, a, true)->block)};
	struct value v = expr_eval(r->assert, &ctx);
	if (v.type != V_BOOL || v.num)
		return;
	struct diag d = DIAG_INIT;
	d.severity = r->severity;
	d.code = r->code;
	d.rule = r->id;
	d.expected = expr_source(r->assert);
	d.plan = r->plan ? r->plan : st->rs->plan;
	d.county = group_county(st->rs, r, keys, county, sizeof county);
	if (i < g->nrun_at && g->run_at[i].row)
		d.row = g->run_at[i].row, d.line = g->run_at[i].line;
	char *gj = xstrdup(group_json(st, r, keys));
	d.group = gj;
	if (r->message[lang].nparts) {
		struct group_names gn = {r, keys};
		d.message = render_both(st, r->message, lang, &ctx, group_name, &gn);
	} else {
		buf_reset(&st->msg);
		buf_reset(&st->msg_en);
		buf_addf(&st->msg, "分组 %s 不满足 %s", gj, expr_source(r->assert));
		buf_addf(&st->msg_en, "group %s fails %s", gj, expr_source(r->assert));
		d.message = msg_both(&st->said, lang, st->msg.data, st->msg_en.data);
	}
	say(st, out, &d);
	free(gj);
}

/* Judges the groups of one aggregate: those it ended while the file was read were judged then. */
static void finish_aggregate(struct rules_state *st, size_t a, struct diag_file *out)
{
	held_write(st->held, st->rs->nrow_rules + a, out);
	for (size_t i = 0; i < st->groups[a].ngroups; i++)
		judge_group(st, a, i, out);
}

struct coverage_names {
	const struct coverage_rule *c;
	size_t key;
	const struct value *per;
};

/* {value}, {label} and {per} in a coverage message. */
static void coverage_name(void *arg, const char *name, struct buf *out)
{
	const struct coverage_names *cn = arg;
	if (!strcmp(name, "value"))
		buf_adds(out, cn->c->expected[cn->key]);
	else if (!strcmp(name, "label") && cn->c->expected_label[cn->key])
		buf_adds(out, cn->c->expected_label[cn->key]);
	else if (!strcmp(name, "per") && cn->per)
		value_format(cn->per, out);
}

/* Reports one expected key missing (for one per value, when given). */
static void coverage_finding(struct rules_state *st, const struct coverage_rule *c, size_t k,
			     const struct value *per, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	enum lang lang = out->opt->lang;
	const char *colname = rs->cols[c->col].name;
	const char *shown = rs->cols[c->col].label ? rs->cols[c->col].label : colname;
	const char *label = c->expected_label[k];
	struct diag d = DIAG_INIT;
	d.severity = c->severity;
	d.code = "coverage";
	d.rule = c->id;
	d.column = colname;
	d.plan = c->plan ? c->plan : rs->plan;
	d.county = rs->county_mode != COUNTY_NONE && c->col == rs->county_col &&
		   rs->county_mode == COUNTY_BY_CODE ? c->expected[k] : NULL;
	buf_reset(&st->json);
	buf_addc(&st->json, '{');
	if (per) {
		jsonw_key(&st->json, expr_key_name(c->per));
		value_json(per, &st->json);
	}
	jsonw_key(&st->json, colname);
	jsonw_string(&st->json, c->expected[k], strlen(c->expected[k]));
	buf_addc(&st->json, '}');
	d.group = st->json.data;
	if (c->message[lang].nparts) {
		struct coverage_names cn = {c, k, per};
		d.message = render_both(st, c->message, lang, NULL, coverage_name, &cn);
	} else {
		buf_reset(&st->text);
		if (per)
			value_format(per, &st->text);
		buf_reset(&st->msg);
		buf_reset(&st->msg_en);
		if (label)
			buf_addf(&st->msg, "缺少「%s」为 %s（%s）的记录", shown, c->expected[k], label);
		else
			buf_addf(&st->msg, "缺少「%s」为 %s 的记录", shown, c->expected[k]);
		if (per)
			buf_addf(&st->msg, "（%s = %s）", expr_key_name(c->per), st->text.data);
		buf_addf(&st->msg_en, "no record with '%s' = %s%s%s%s%s%s%s%s", shown, c->expected[k],
			 label ? " (" : "", label ? label : "", label ? ")" : "",
			 per ? " for " : "", per ? expr_key_name(c->per) : "", per ? " = " : "",
			 per ? st->text.data : "");
		d.message = msg_both(&st->said, lang, st->msg.data, st->msg_en.data);
	}
	diag_emit(out, &d);
}

/* Judges one coverage rule: every expected key, for every per value. */
static void finish_coverage(struct rules_state *st, size_t i, struct diag_file *out)
{
	const struct coverage_rule *c = &st->rs->coverage[i];
	struct coverage_seen *s = &st->seen[i];
	const struct value *pers = c->per_values ? c->per_values : s->per_seen;
	size_t nper = c->per ? (c->per_values ? c->nper_values : s->nper) : 1;
	struct buf key = {0};
	for (size_t p = 0; p < nper; p++) {
		for (size_t k = 0; k < c->nexpected; k++) {
			buf_reset(&key);
			if (c->per)
				value_key(&key, &pers[p]);
			struct value kv = {.type = V_STR, .str = c->expected[k], .len = strlen(c->expected[k])};
			value_key(&key, &kv);
			if (!strmap_get(&s->pairs, key.data, key.len, NULL))
				coverage_finding(st, c, k, c->per ? &pers[p] : NULL, out);
		}
	}
	buf_free(&key);
}

/*
 * Makes the row of group i of view v's table g into row (keys, then values)
 * and feeds it to the exports, views and aggregates that read from the view.
 */
static void view_row_out(struct rules_state *st, size_t v, const struct group_table *g, size_t i, struct value *row)
{
	const struct ruleset *rs = st->rs;
	const struct view *view = &rs->views[v];
	struct diag_file *out = st->out;
	st->rows_in[v + 1]++;
	group_keys(g, i, view->ngroup, row);
	struct eval_ctx made = {.rs = rs, .as_of = as_of_of(st), .keys = row,
				.accs = group_accs(g, i, view_grouping(st, v)->block)};
	if (g->held == i + 1)
		memcpy(&row[view->ngroup], g->held_values, view->nvalues * sizeof *row);
	for (size_t k = 0; k < view->nvalues && g->held != i + 1; k++) {
		int slot = st->view_slot[v][k];
		row[view->ngroup + k] = slot >= 0 ? agg_result(view->slots[slot].kind, view->slots[slot].p,
							      agg_acc_of(made.accs, &view->slots[slot]))
						  : expr_eval(view->values[k], &made);
	}
	struct eval_ctx ctx = {.rs = rs, .as_of = as_of_of(st), .row = row};
	struct place at = g->places[i];
	for (size_t n = st->readers_at[v]; n < st->readers_at[v + 1]; n++) {
		const struct view_reader *reader = &st->readers[n];
		if (reader->gr) {
			feed(st, reader->gr, &ctx, at.line, at.row, out);
			continue;
		}
		size_t a = reader->aggregate;
		const struct written_rule *r = &rs->aggregates[a];
		long group = find_group(st, &st->groups[a], r->group, r->ngroup, aggregate_grouping(st, a, true)->block, &ctx);
		add_ordered(st, &st->ordered_aggregates[a], group, expr_eval(r->order, &ctx), NULL, ctx.row);
	}
}

/*
 * Makes a view's rows from its groups (those still open, when it streamed
 * them), in the order they first appeared, and feeds each to what reads from
 * it.  The rows are kept only for aggregates judged in order; otherwise one
 * row at a time is made, fed and forgotten, so that a view with a group a
 * row costs no more at the end of the file.
 */
static void finish_view(struct rules_state *st, size_t v)
{
	const struct group_table *g = &st->view_groups[v];
	struct view_rows *vr = &st->view_rows[v];
	size_t width = st->rs->views[v].out.n;
	bool kept = view_rows_kept(st->rs, v);
	vr->values = xcalloc((kept ? g->ngroups : 1) * width + 1, sizeof *vr->values);
	vr->nrows = g->ngroups;
	vr->places = g->places;
	for (size_t i = 0; i < vr->nrows; i++)
		view_row_out(st, v, g, i, &vr->values[kept ? i * width : 0]);
}

/* Appends a number or a date as the facts write it: every digit a sum needs, a date as text. */
static void fact_number(double v, bool date, struct buf *b)
{
	char day[16];
	if (date) {
		format_date(v, day);
		jsonw_string(b, day, strlen(day));
	} else {
		jsonw_number(b, v);
	}
}

/*
 * Appends what combining an export's value across files needs, by its
 * aggregate: {"n":N,"sum":S} for mean and sum, {"n":N,"hits":H} for ratio,
 * {"n":N} for count, {"hits":H} for count_if, {"n":N,"min":X} and max; null
 * for one that cannot be combined (a percentile without its values).
 */
static void parts_json(const struct agg_slot *slot, const struct agg_acc *acc, struct buf *b)
{
	if (!agg_combinable(slot->kind)) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '{');
	if (slot->kind != AGG_COUNT_IF) {
		jsonw_key(b, "n");
		jsonw_number(b, acc->n);
	}
	if (slot->kind == AGG_SUM || slot->kind == AGG_MEAN) {
		jsonw_key(b, "sum");
		jsonw_number(b, acc->sum);
	} else if (slot->kind == AGG_RATIO || slot->kind == AGG_COUNT_IF) {
		jsonw_key(b, "hits");
		jsonw_number(b, acc->hits);
	} else if ((slot->kind == AGG_MIN || slot->kind == AGG_MAX) && acc->n) {
		jsonw_key(b, slot->kind == AGG_MIN ? "min" : "max");
		fact_number(slot->kind == AGG_MIN ? acc->lo : acc->hi, acc->date, b);
	}
	buf_addc(b, '}');
}

/* Appends a group's days as runs of consecutive days: ["2025-06-01/2025-06-30","2025-07-02"]. */
static void days_json(const struct day_set *d, struct buf *b)
{
	char from[16], to[16];
	buf_addc(b, '[');
	for (uint32_t i = 0; d && i < d->n;) {
		uint32_t j = i;
		while (j + 1 < d->n && d->days[j + 1] == d->days[j] + 1)
			j++;
		format_date(d->days[i], from);
		format_date(d->days[j], to);
		buf_addf(b, "%s\"%s%s%s\"", i ? "," : "", from, j > i ? "/" : "", j > i ? to : "");
		i = j + 1;
	}
	buf_addc(b, ']');
}

/* Writes one export's facts record for group i (design.md §3.4; "parts", "dates" and "cell" added). */
static void write_fact(struct rules_state *st, const struct view *x, const struct group_table *g, size_t i,
		       struct diag_file *out)
{
	struct buf *b = &st->json;
	const struct value *keys = group_key_values(st, g, i, x->ngroup);
	unsigned char *accs = group_accs(g, i, export_grouping(st, (size_t)(x - st->rs->exports))->block);
	struct eval_ctx ctx = {.rs = st->rs, .as_of = as_of_of(st), .keys = keys, .accs = accs};
	buf_reset(b);
	JSONW_LIT(b, "{\"type\":\"facts\",\"ruleset\":");
	jsonw_string(b, st->rs->id, strlen(st->rs->id));
	jsonw_key(b, "export");
	jsonw_string(b, x->name, strlen(x->name));
	jsonw_key(b, "file");
	jsonw_string(b, out->file, strlen(out->file));
	jsonw_key(b, "key");
	values_object_json(x->out_names, keys, x->ngroup, b);
	JSONW_LIT(b, ",\"values\":{");
	for (size_t k = 0; k < x->nvalues; k++) {
		struct value v = expr_eval(x->values[k], &ctx);
		jsonw_key(b, x->value_names[k]);
		if (v.type == V_NUM || v.type == V_DATE)
			fact_number(v.num, v.type == V_DATE, b);
		else
			value_json(&v, b);
	}
	JSONW_LIT(b, "},\"parts\":{");
	for (size_t k = 0; k < x->nvalues; k++) {
		int slot = expr_aggregate_slot(x->values[k]);
		jsonw_key(b, x->value_names[k]);
		parts_json(&x->slots[slot], agg_acc_of(accs, &x->slots[slot]), b);
	}
	buf_addc(b, '}');
	if (x->dates) {
		jsonw_key(b, "dates");
		days_json(i < g->ndays ? &g->days[i] : NULL, b);
	}
	uint64_t row = g->places[i].row, line = g->places[i].line;
	jsonw_key(b, "row");
	buf_add_uint(b, row);
	if (line) { /* a workbook's rows have no line */
		jsonw_key(b, "line");
		buf_add_uint(b, line);
	}
	if (x->cell >= 0 && st->file_col && st->file_col[x->cell] != SIZE_MAX) {
		char cell[24];
		cell_column_name(st->file_col[x->cell], cell);
		jsonw_key(b, "column");
		jsonw_string(b, st->rs->cols[x->cell].name, strlen(st->rs->cols[x->cell].name));
		jsonw_key(b, "cell");
		buf_addf(b, "\"%s%llu\"", cell, (unsigned long long)row);
	}
	if (out->sheet) {
		jsonw_key(b, "sheet");
		jsonw_string(b, out->sheet, strlen(out->sheet));
	}
	buf_adds(b, "}\n");
	diag_emit_record(out, b->data, b->len);
}

void rules_write_facts(struct rules_state *st, struct diag_file *out)
{
	for (size_t e = 0; e < st->rs->nexports; e++) {
		const struct group_table *g = &st->export_groups[e];
		for (size_t i = 0; !g->dropped && i < g->ngroups; i++)
			write_fact(st, &st->rs->exports[e], g, i, out);
	}
}

/* A kept row spread back over the rule set's columns, with its cells' texts, for a rule to read. */
struct spread_row {
	struct value *values;
	const char **text;
	size_t *textlen;
};

/*
 * Spreads a kept row over a row of the rule set's columns, zeroed once: only
 * the kept columns are ever written, those at places or all of them (places
 * NULL); their texts too when texts is true (all of them).
 */
static void spread(const struct ruleset *rs, const struct kept_row *k, const struct kept_places *places,
		   struct spread_row *out, bool texts)
{
	for (size_t i = 0, n = places ? places->n : rs->nkept; i < n; i++) {
		size_t at = places ? places->at[i] : i;
		out->values[rs->kept_cols[at]] = k->values[at];
	}
	struct kept_texts kept = kept_texts(k, rs->nkept);
	for (size_t i = 0; texts && i < rs->nkept; i++) {
		size_t c = rs->kept_cols[i];
		out->text[c] = kept.text[i];
		out->textlen[c] = kept.len[i];
	}
}

typedef void (*ordered_visit)(struct rules_state *, const struct written_rule *, const struct ordered_entry *,
			      const struct eval_ctx *, const struct row_view *, void *);

static void visit_row_rule(struct rules_state *st, const struct written_rule *r, const struct ordered_entry *e,
			   const struct eval_ctx *ctx, const struct row_view *row, void *arg);

/* A row rule's pass over its group before judging it: the row goes into the group's accumulators. */
static void feed_window(struct rules_state *st, const struct written_rule *r, const struct ordered_entry *e,
			const struct eval_ctx *ctx, const struct row_view *row, void *arg)
{
	(void)st, (void)e, (void)row, (void)arg;
	agg_update(r->slots, r->nslots, ctx->accs, ctx);
}

/* The rows a walk keeps spread over the rule set's columns: the last n of a group, for lag() to look back on. */
struct walk_ring {
	struct spread_row *rows;
	const struct value **history;
	size_t n, cap;
};

/*
 * The state's room for the last n rows of a walk, kept from walk to walk and
 * grown as one needs: its rows are zeroed once, as a walk spreads only the
 * columns its rules read (walk_reads; all the kept ones for a finding) and
 * they read no other, so what an earlier walk left in the rest is never
 * read.  (A walk never starts another.)
 */
static struct walk_ring *ring_ready(struct rules_state *st, size_t n)
{
	struct walk_ring *ring = st->ring ? st->ring : (st->ring = xcalloc(1, sizeof *st->ring));
	if (n > ring->cap) {
		size_t width = st->rs->ncols + 1;
		ring->rows = xrealloc(ring->rows, n * sizeof *ring->rows);
		ring->history = xrealloc(ring->history, n * sizeof *ring->history);
		for (size_t i = ring->cap; i < n; i++) {
			ring->rows[i].values = xcalloc(width, sizeof *ring->rows[i].values);
			ring->rows[i].text = xcalloc(width, sizeof *ring->rows[i].text);
			ring->rows[i].textlen = xcalloc(width, sizeof *ring->rows[i].textlen);
		}
		ring->cap = n;
	}
	ring->n = n;
	return ring;
}

static void ring_free(struct walk_ring *ring)
{
	for (size_t i = 0; ring && i < ring->cap; i++)
		free(ring->rows[i].values), free(ring->rows[i].text), free(ring->rows[i].textlen);
	if (ring)
		free(ring->rows), free(ring->history);
	free(ring);
}

/*
 * One rule of a walk, with what its visits see: its part of the group's
 * accumulators and kept values, and how far back it looks; judging a row
 * rule that needs neither the rows before nor inputs present, room for its
 * when and assert reduced on each group (reduce_rules).
 */
struct walked_rule {
	const struct written_rule *rule;
	unsigned char *accs;     /* or NULL */
	struct value *fixed;     /* or NULL */
	size_t lag;
	struct row_test *when, *assert; /* or NULL (when: also a rule without one) */
};

/* Marks the columns an expression reads, inside its aggregates too. */
static void mark_columns(bool *read, const struct expr *e)
{
	const size_t *cols;
	for (size_t k = 0, n = e ? expr_columns(e, &cols) : 0; k < n; k++)
		read[cols[k]] = true;
}

/*
 * The places among a kept row's values of what the rules of a walk read in
 * their when, assert and messages, where their aggregates' arguments are:
 * all that a pass filling their accumulators, or judging an aggregate's
 * rows, needs spread.  Worked out on the first walk the first rule leads.
 */
static const struct kept_places *walk_reads(struct rules_state *st, const struct written_rule *const *rules,
					    size_t nrules, bool row_rule)
{
	const struct ruleset *rs = st->rs;
	struct kept_places *p = &st->read_places[row_rule ? (size_t)(rules[0] - rs->row_rules)
							   : rs->nrow_rules + (size_t)(rules[0] - rs->aggregates)];
	if (p->at)
		return p;
	bool *read = xcalloc(rs->ncols + 1, sizeof *read);
	for (size_t k = 0; k < nrules; k++) {
		mark_columns(read, rules[k]->when);
		mark_columns(read, rules[k]->assert);
		for (int lang = 0; lang < 2; lang++)
			for (size_t i = 0; i < rules[k]->message[lang].nparts; i++)
				mark_columns(read, rules[k]->message[lang].parts[i].expr);
	}
	p->at = xcalloc(rs->nkept + 1, sizeof *p->at);
	for (size_t i = 0; i < rs->nkept; i++)
		if (read[rs->kept_cols[i]])
			p->at[p->n++] = i;
	free(read);
	return p;
}

/*
 * Walks the sorted rows [from, to) of one group, each with its history,
 * calling visit for each of the rules on each row, which is spread once for
 * them all.  Only judging a row rule reads the row's texts and its row view
 * (for a finding), and every kept value; the other visits are given the
 * values the rules read (reads) alone.
 */
static void walk_group(struct rules_state *st, const struct walked_rule *rules, size_t nrules,
		       struct ordered_rows *o, size_t from, size_t to, struct walk_ring *ring, ordered_visit visit,
		       const struct kept_places *reads, void *arg)
{
	const struct ruleset *rs = st->rs;
	const struct value **history = ring->history;
	bool reads_row = visit == visit_row_rule;
	struct eval_trouble trouble = {0};
	struct eval_ctx ctx = {.rs = rs, .as_of = as_of_of(st), .history = history, .trouble = reads_row ? &trouble : NULL};
	for (size_t i = from; i < to; i++) {
		const struct ordered_entry *e = &o->entries[i];
		struct spread_row *sr = &ring->rows[i % ring->n];
		const struct value *values = e->view_row;
		if (e->kept) {
			spread(rs, e->kept, reads_row ? NULL : reads, sr, reads_row);
			values = sr->values;
		}
		size_t back = i - from < ring->n - 1 ? i - from : ring->n - 1;
		for (size_t k = 1; k <= back; k++) {
			const struct ordered_entry *p = &o->entries[i - k];
			history[k - 1] = p->kept ? ring->rows[(i - k) % ring->n].values : p->view_row;
		}
		struct row_view view;
		if (e->kept && reads_row)
			view = (struct row_view){values, sr->text, sr->textlen, st->file_col, e->kept->line,
						 e->kept->row, e->kept->county};
		ctx.row = values;
		ctx.file_col = e->kept ? st->file_col : NULL;
		ctx.where = e;
		for (size_t k = 0; k < nrules; k++) {
			ctx.nhistory = back < rules[k].lag ? back : rules[k].lag; /* as far back as the rule looks */
			ctx.accs = rules[k].accs;
			ctx.fixed = rules[k].fixed;
			visit(st, rules[k].rule, e, &ctx, e->kept && reads_row ? &view : NULL, arg);
		}
	}
}

/*
 * Fills the accumulators of a walk's row rules, none of which looks back,
 * from the file's rows [from, to) of one group, each spread with the values
 * they read (reads) alone: walk_group's pass with feed_window, without its
 * history or a call a rule.
 */
static void fill_group(struct rules_state *st, const struct walked_rule *rules, size_t nrules,
		       const struct ordered_rows *o, size_t from, size_t to, struct walk_ring *ring,
		       const struct kept_places *reads)
{
	struct spread_row *sr = &ring->rows[0];
	struct eval_ctx ctx = {.rs = st->rs, .as_of = as_of_of(st), .history = ring->history, .row = sr->values,
			       .file_col = st->file_col};
	for (size_t i = from; i < to; i++) {
		const struct ordered_entry *e = &o->entries[i];
		spread(st->rs, e->kept, reads, sr, false);
		ctx.where = e;
		for (size_t k = 0; k < nrules; k++) {
			ctx.accs = rules[k].accs;
			agg_update(rules[k].rule->slots, rules[k].rule->nslots, ctx.accs, &ctx);
		}
	}
}

/*
 * Reduces the when and assert of each row rule of a walk on the group about
 * to be judged, whose accumulators are full and whose values of the group
 * are not worked out yet (row_test_reduce works them out now, once); true if
 * every rule's could be, so that judge_reduced may judge the group's rows.
 */
static bool reduce_rules(struct rules_state *st, const struct walked_rule *rules, size_t nrules)
{
	for (size_t k = 0; k < nrules; k++) {
		const struct walked_rule *w = &rules[k];
		struct eval_ctx ctx = {.rs = st->rs, .as_of = as_of_of(st), .accs = w->accs, .fixed = w->fixed};
		if (!w->assert || (w->when && !row_test_reduce(w->when, w->rule->when, &ctx, st->kept_at)) ||
		    !row_test_reduce(w->assert, w->rule->assert, &ctx, st->kept_at))
			return false;
	}
	return true;
}

/* True if a row's kept values fail a row rule whose when and assert are reduced on its group. */
static bool fails_reduced(const struct walked_rule *w, const struct value *cells)
{
	struct value v = w->when ? row_test_eval(w->when, cells) : (struct value){.type = V_BOOL, .num = 1};
	if (v.type != V_BOOL || !v.num)
		return false;
	v = row_test_eval(w->assert, cells);
	return v.type == V_BOOL && !v.num;
}

/* A finding of a row rule judged on a reduced group (judge_reduced): the row spread, as visit_row_rule's sees it. */
static void reduced_finding(struct rules_state *st, const struct walked_rule *w, const struct ordered_entry *e,
			    struct spread_row *sr, struct walk_ring *ring, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	spread(rs, e->kept, NULL, sr, true);
	struct row_view view = {sr->values, sr->text, sr->textlen, st->file_col, e->kept->line, e->kept->row,
				e->kept->county};
	struct eval_trouble trouble = {0};
	struct eval_ctx ctx = {.rs = rs, .as_of = as_of_of(st), .row = sr->values, .file_col = st->file_col,
			       .history = ring->history, .where = e, .trouble = &trouble, .accs = w->accs, .fixed = w->fixed};
	st->holding = (size_t)(w->rule - rs->row_rules);
	row_finding(st, w->rule, &view, &ctx, out);
}

/*
 * Judges the file's rows [from, to) of one group by row rules whose when and
 * assert are reduced on it (reduce_rules), rule by rule (each holds its own
 * findings): the tests read each row's kept values in place, with no call or
 * context, and those that test one cell alone only on the first row of each
 * kind of value of it (row_fails).  A row is spread only for a finding.
 */
static void judge_reduced(struct rules_state *st, const struct walked_rule *rules, size_t nrules,
			  const struct ordered_rows *o, size_t from, size_t to, struct walk_ring *ring,
			  struct diag_file *out)
{
	for (size_t k = 0; k < nrules; k++) {
		const struct walked_rule *w = &rules[k];
		struct row_fails plan;
		bool planned = row_fails_plan(&plan, w->when, w->assert);
		for (size_t i = from; i < to; i++) {
			const struct value *cells = o->entries[i].kept->values;
			bool fails;
			if (planned) {
				signed char *known = &plan.fails[row_fails_key(&plan, cells)];
				fails = *known >= 0 ? *known : (*known = fails_reduced(w, cells));
			} else {
				fails = fails_reduced(w, cells);
			}
			if (fails)
				reduced_finding(st, w, &o->entries[i], &ring->rows[i % ring->n], ring, out);
		}
	}
}

/*
 * Walks the rows that some rules judged in order share (row rules that
 * group and order alike, or one aggregate), sorted, group by group, the
 * groups numbered below until: calls visit for each rule on each row with an
 * evaluation context whose history holds the rows before it in its group (as
 * far back as the rule looks) and, for a file's row, its row view.  Row rules
 * that read their group as a whole (aggregates, robust_z()) have each group
 * walked twice: first to fill the group's accumulators, then to judge its
 * rows, which then see them; the group's kept values go after.  Returns where
 * the rows of the groups not walked begin.
 */
static size_t walk_ordered(struct rules_state *st, const struct written_rule *const *rules, size_t nrules,
			   struct ordered_rows *o, bool row_rule, size_t until, ordered_visit visit, void *arg)
{
	size_t first = 0, block = 0, nfixed = 0, lag = 0;
	for (size_t k = 0; k < nrules; k++) {
		block += row_rule ? agg_block_size(rules[k]->slots, rules[k]->nslots) : 0;
		nfixed += row_rule ? rules[k]->nfixed : 0;
		lag = (size_t)rules[k]->max_lag > lag ? (size_t)rules[k]->max_lag : lag;
	}
	unsigned char *accs = block ? xcalloc(block, 1) : NULL; /* a group's, while it is walked */
	struct value *fixed = nfixed ? xcalloc(nfixed, sizeof *fixed) : NULL;
	/* the rules as the pass that fills the accumulators sees them, then as the pass that judges */
	struct walked_rule *filling = xcalloc(2 * nrules + 1, sizeof *filling), *judging = filling + nrules;
	for (size_t k = 0, at = 0, value = 0; k < nrules; k++) {
		const struct written_rule *r = rules[k];
		unsigned char *its = accs && r->nslots ? accs + at : NULL;
		filling[k] = (struct walked_rule){r, its, NULL, (size_t)r->max_lag, NULL, NULL};
		judging[k] = (struct walked_rule){r, its, fixed && r->nfixed ? &fixed[value] : NULL, (size_t)r->max_lag,
						  NULL, NULL};
		if (row_rule && !r->max_lag && !r->nrequires) {
			struct row_test *tests = &st->row_tests[2 * (size_t)(r - st->rs->row_rules)];
			judging[k].when = r->when ? &tests[0] : NULL;
			judging[k].assert = &tests[1];
		}
		at += agg_block_size(r->slots, r->nslots);
		value += r->nfixed;
	}
	struct walk_ring *ring = ring_ready(st, lag + 1);
	const struct kept_places *reads = walk_reads(st, rules, nrules, row_rule);
	if (!o->sorted) /* rows that came in order, or that another rule sharing them sorted, are not sorted again */
		sort_items(o->entries, o->n, sizeof *o->entries, by_group_and_order);
	o->sorted = true;
	size_t i;
	for (i = 1; i <= o->n; i++) {
		if (i < o->n && o->entries[i].group == o->entries[first].group)
			continue;
		if (o->entries[first].group >= until)
			break;
		if (block && row_rule && !lag) /* (a row rule's rows are all the file's) */
			fill_group(st, filling, nrules, o, first, i, ring, reads);
		else if (block)
			walk_group(st, filling, nrules, o, first, i, ring, feed_window, reads, NULL);
		for (size_t k = 0; k < nfixed; k++)
			fixed[k] = (struct value){.type = V_ANY};
		if (row_rule && reduce_rules(st, judging, nrules))
			judge_reduced(st, judging, nrules, o, first, i, ring, arg);
		else
			walk_group(st, judging, nrules, o, first, i, ring, visit, reads, arg);
		if (block) {
			for (size_t k = 0; k < nrules; k++)
				agg_acc_free(rules[k]->slots, rules[k]->nslots, filling[k].accs, 1);
			memset(accs, 0, block);
		}
		for (size_t k = 0; k < nrules && !row_rule; k++)
			note_run(st, rules[k], o->entries[first].group);
		first = i;
	}
	free(accs);
	free(fixed);
	free(filling);
	return first;
}

/*
 * An ordered row rule on one row: when, requires, assert, as for a row as it
 * arrives; its findings are held (st->held), to be written rule by rule.
 * ctx has the walk's trouble, which judge clears before each evaluation.
 */
static void visit_row_rule(struct rules_state *st, const struct written_rule *r, const struct ordered_entry *e,
			   const struct eval_ctx *ctx, const struct row_view *row, void *arg)
{
	struct diag_file *out = arg;
	size_t i = (size_t)(r - st->rs->row_rules);
	(void)e;
	st->holding = i;
	if (r->when) {
		struct value w = judge(st, r, r->when, row, ctx, out);
		if (w.type != V_BOOL || !w.num)
			return;
	}
	if (r->nrequires && !inputs_present(st, i, row, out))
		return;
	struct value v = judge(st, r, r->assert, row, ctx, out);
	if (v.type == V_BOOL && !v.num)
		row_finding(st, r, row, ctx, out);
}

/* An ordered aggregate on one row: its when, then its group's accumulators, within the budget. */
static void visit_aggregate(struct rules_state *st, const struct written_rule *r, const struct ordered_entry *e,
			    const struct eval_ctx *ctx, const struct row_view *row, void *arg)
{
	struct diag_file *out = arg;
	size_t a = (size_t)(r - st->rs->aggregates);
	const struct grouping *gr = aggregate_grouping(st, a, true);
	(void)row;
	if (gr->table->dropped)
		return;
	if (r->when) {
		struct value w = expr_eval(r->when, ctx);
		if (w.type != V_BOOL || !w.num)
			return;
	}
	unsigned char *accs = group_accs(gr->table, e->group, gr->block);
	bool limited = st->budget && st->budget->limit;
	uint64_t kept = limited ? agg_acc_kept_bytes(r->slots, r->nslots, accs) : 0;
	agg_update(r->slots, r->nslots, accs, ctx);
	if (limited)
		account(st, gr, accs, kept, e->kept ? e->kept->line : 0, e->kept ? e->kept->row : 0, out);
}

/*
 * Walks the rows of the rules judged in order that share rule t's, t their
 * first sharer: row rules (ordered_table), holding their findings, or
 * aggregates (ordered_list); the groups numbered below until, for them all
 * at once.  Returns where the rows of the groups not walked begin.
 */
static size_t walk_sharers(struct rules_state *st, bool row_rules, size_t t, size_t until, struct diag_file *out)
{
	const struct written_rule **sharers = row_rules ? st->sharers : st->list_sharers;
	const size_t *at = row_rules ? st->sharers_at : st->list_sharers_at;
	struct ordered_rows *rows = row_rules ? &st->ordered_rules[t] : &st->ordered_aggregates[t];
	size_t rest = walk_ordered(st, &sharers[at[t]], at[t + 1] - at[t], rows, row_rules, until,
				   row_rules ? visit_row_rule : visit_aggregate, out);
	st->holding = NOT_HOLDING;
	return rest;
}

/*
 * Ends a streamed table's groups, all of them, or all but the last when it
 * starts streaming (the open group): a view's become rows for what reads
 * from it; a row rule's rows are judged, their findings held for the end of
 * the file.  The table then keeps only the open group, as its group 0, and
 * no index.
 */
static void end_groups(struct rules_state *st, struct group_table *t, bool keep_last)
{
	const struct ruleset *rs = st->rs;
	size_t n = t->ngroups, ended = keep_last && n ? n - 1 : n, ngroup, nslots;
	const struct agg_slot *slots;
	if (t->ends == ENDS_AGGREGATE) { /* the groups stay, to be judged at the end: only their rows go */
		/* (the rows of every aggregate sharing the list: the other sharers' tables then find none below ended) */
		size_t l = st->ordered_list[t->owner];
		struct ordered_rows *o = &st->ordered_aggregates[l];
		size_t rest = walk_sharers(st, false, l, ended, st->out);
		memmove(o->entries, o->entries + rest, (o->n - rest) * sizeof *o->entries);
		o->n -= rest;
		free(t->index);
		t->index = NULL;
		t->nindex = 0;
		return;
	}
	if (t->ends == ENDS_VIEW) {
		const struct view *view = &rs->views[t->owner];
		ngroup = view->ngroup, slots = view->slots, nslots = view->nslots;
		for (size_t i = 0; i < ended; i++)
			view_row_out(st, t->owner, t, i, st->view_row);
	} else if (t->ends == ENDS_JUDGED) {
		ngroup = rs->aggregates[t->owner].ngroup, slots = rs->aggregates[t->owner].slots,
		nslots = rs->aggregates[t->owner].nslots;
		st->holding = rs->nrow_rules + t->owner;
		for (size_t i = 0; i < ended; i++)
			judge_group(st, t->owner, i, st->out);
		st->holding = NOT_HOLDING;
	} else { /* the rows, judged by every rule that shares them */
		struct ordered_rows *o = &st->ordered_rules[t->owner];
		ngroup = rs->row_rules[t->owner].ngroup, slots = NULL, nslots = 0;
		size_t rest = walk_sharers(st, true, t->owner, ended, st->out);
		memmove(o->entries, o->entries + rest, (o->n - rest) * sizeof *o->entries);
		o->n -= rest;
		for (size_t k = 0; k < o->n; k++)
			o->entries[k].group = 0;
	}
	if (t->ends != ENDS_VIEW || !view_grouping(st, t->owner)->hold) /* (held slots keep no lists) */
		agg_acc_free(slots, nslots, t->accs, ended);
	size_t block = agg_block_size(slots, nslots);
	if (ended && ended < n) {
		memcpy(t->words, &t->words[ended * ngroup], ngroup * sizeof *t->words);
		memcpy(t->types, &t->types[ended * ngroup], ngroup * sizeof *t->types);
		if (block)
			memcpy(t->accs, t->accs + ended * block, block);
		if (t->nplaces)
			t->places[0] = t->places[ended];
	}
	t->ngroups = n - ended;
	t->held = t->held > ended ? t->held - ended : 0; /* the open group, now group 0, may hold its row */
	if (t->nplaces)
		t->nplaces = t->ngroups;
	t->last_group = 0;
	free(t->index);
	t->index = NULL;
	t->nindex = 0;
}

void rules_finish(struct rules_state *st, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	st->out = out;
	for (size_t v = 0; v < rs->nviews; v++)
		finish_view(st, v);
	/* the rules that share rows judge the rest of them together, holding the findings, written rule by rule */
	for (size_t i = 0; i < rs->nrow_rules; i++)
		if (rs->row_rules[i].order) {
			if (st->ordered_table[i] == i)
				walk_sharers(st, true, i, SIZE_MAX, out);
			held_write(st->held, i, out);
		}
	for (size_t a = 0; a < rs->naggregates; a++) {
		if (rs->aggregates[a].order && st->ordered_list[a] == a)
			walk_sharers(st, false, a, SIZE_MAX, out);
	}
	for (size_t a = 0; a < st->rs->naggregates; a++)
		finish_aggregate(st, a, out);
	for (size_t i = 0; i < st->rs->ncoverage; i++)
		finish_coverage(st, i, out);
}
