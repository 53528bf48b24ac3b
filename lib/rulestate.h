/*
 * rulestate.h — the state of a run of the written rules on one file, private
 * to the modules that run them: rulerun.c (the state, the driver of each row
 * and the finish), rulegroups.c (group tables), ruleorder.c (rules judged in
 * order), ruleviews.c (views' rows and exports' facts) and rulefindings.c
 * (findings and their messages).  rules.h is the interface to the rest of qy.
 * The look-up of a row's group (find_group) and the judging of a rule's when
 * and assert are inline here: every row runs them, from more than one module.
 */
#ifndef QY_RULESTATE_H
#define QY_RULESTATE_H

#include "rules.h"
#include "arena.h"
#include "budget.h"
#include "held.h"
#include "msgcat.h"
#include "ruleset.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
	GROUPS_BATCHED,   /* kept, and all ended as the keys of a prefix rise (a daily report's month,
			     say, whose stations come back day after day): a table that keeps rows */
};

/* The most group keys whose orders a table watches (4! = 24 orders, each with texts bytewise and in natural order: a bit each). */
#define WATCH_KEYS 4

#define WATCH_ORDERS 24

/*
 * The prefixes of one or two of a table's keys it watches (group_table.prefix):
 * 4 of one key and 12 of two for 4 keys, each with texts bytewise and in
 * natural order (a bit each).
 */
#define WATCH_PREFIXES 16

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
	const uint64_t *rows_in; /* of those, the rows run so far (rules_state.rows_in[from + 1]) */
	uint64_t at;             /* the row (rows_in) they were worked out on, or 0 */
	uint64_t stamp;          /* from 1, one more each time they came out other than the time before */
	bool null;               /* a key came out null */
	struct value *values;    /* ngroup; strings in text, so that the next row can be compared with them */
	struct buf text;
	struct group_table *owed; /* a table that stepped to its next group (step_shared_keys), whose keys the */
	size_t owed_group;        /* values are but are not written yet (settle_shared), and that group; or NULL */
};

/*
 * How find_group reads a table's key straight from a row (expr_key_cell): a
 * column, whose cell the last group's key word is, or year() or month() of a
 * date column, which the last group's key is while the date is in the month
 * of the row last looked up (from month_from to before month_to).
 */
struct key_read {
	int cell;
	bool month_part;
	bool year;               /* with month_part: the key is year(), else month() */
	double month_from, month_to;
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
	struct key_read reads[WATCH_KEYS]; /* a table without shared keys, of columns and their months alone: */
	size_t nreads;           /* its keys as find_group reads them, or 0 (planned on its first look-up) */
	bool reads_planned, reads_months; /* (a year() or month() among them) */
	unsigned char *accs;     /* ngroups blocks of accumulators, one after another (agg_block_size) */
	struct place *places;    /* views' and exports': where each group began (nplaces of them, room for places_cap) */
	size_t ngroups, cap, nplaces, places_cap;
	uint64_t bytes;          /* memory taken from the budget for all of it */
	uint64_t values;         /* of which: percentile values kept */
	bool dropped;            /* over --max-memory: not judged in this file */
	bool plain;              /* it keeps no days and has no budget to keep to (feed_grouping) */
	struct day_set *days;    /* exports with dates: per group, the days its rows stand for */
	size_t ndays;
	uint64_t day_bytes;      /* of the bytes: the days kept */
	enum table_mode mode;
	uint64_t orders;         /* watched or streamed: the key orders its groups have kept so far, a bit each
				    (order k: bit 2k with texts bytewise, 2k + 1 in natural order) */
	uint64_t watched;        /* watched: the rows looked up so far */
	uint32_t signs;          /* watched or streamed: how the last keys compared that the orders were kept by (keeps_order) */
	unsigned char perms[WATCH_ORDERS][WATCH_KEYS]; /* watched or streamed: each order's keys, compared first first */
	uint64_t prefixes;       /* watched or batched, of a table that keeps rows: the prefixes whose keys never fell
				    from a group to the next so far, a bit each as orders' (prefix k: bits 2k, 2k + 1) */
	uint64_t must;           /* batched: the prefixes that rose at every end of its groups so far (all before the
				    first): while one of them lives, no group it ended can come back */
	uint64_t batch_keys;     /* batched: the keys of the prefixes among must that live, a bit each */
	unsigned char prefix[WATCH_PREFIXES][3]; /* each prefix's length (1 or 2), then its keys, compared first first */
	enum group_ends ends;    /* watched or streamed: what it groups for, */
	size_t owner;            /* and which one */
	struct place *run_at;    /* aggregates judged in order: per group, where its longest run began */
	size_t nrun_at;
	struct run_mark **marks; /* an aggregate fed its rows as they come (kept_list.arriving): per group (nmarks */
	size_t nmarks;           /* of them), where its runs began, or NULL before its first row */
	uint64_t mark_bytes;     /* the bytes of those run marks */
	struct group_table *leader; /* a table that shares its keys with one looked up before it on each row
				       (follow_leaders), whose groups it numbers alike while neither is
				       misaligned: that one's group is then its group */
	bool misaligned;         /* it made a group that is not the leader's of the same number, or ended groups */
	size_t held;             /* a streamed view's group (+ 1, or 0) of one row so far, whose view row is
				    held_row and whose accumulators are not filled yet (grouping.hold) */
	struct value *held_row;  /* its keys, then its values: the row view_row_out feeds as it is */
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
	size_t at, own_block;         /* an aggregate's in a joined table (joined_table): where its accumulators
					 lie in a group's block of the table's block bytes, and their bytes; else 0
					 and block */
	struct group_table *own;      /* where its memory taken and its being dropped are kept: the table, or for
					 an aggregate in a joined table, its own (empty) group_table */
	const int *hold;              /* a view whose values are each a slot's count(), sum() or mean() of a column
					 (agg_holds): its values' slots (view_slot), else NULL.  A streamed
					 group's first row gives its values at once: a view of one row a group,
					 as a station's day is, then costs no accumulating and no reading back */
	int *hold_cell;               /* with hold: the values' slots' columns (agg_held_cell); owned */
	size_t nvalues;
	bool when_cells;              /* its when is && or || of tests of the row's cells alone: when_test */
	struct row_test when_test;    /* (row_test_reduce), which gives what evaluating it would, inline */
};

/*
 * One group table for aggregates of the file's rows judged in order, next
 * to one another in the rule set, that share a list of rows (list_sharers)
 * and have the same when: they see the same rows, so they have the same
 * groups, looked up once a row for them all.  A group's block is their
 * blocks laid end to end, each where its expressions read it.  The memory
 * each takes is counted as if it had its own table (account_group on its
 * grouping.own), so that each is dropped where it would be alone; the
 * table goes when all of them are.
 */
struct joined_table {
	struct group_table table;
	struct agg_slot *slots;       /* the aggregates' slots laid end to end */
	size_t nslots, block;
	size_t first, n;              /* aggregates first to first + n - 1 */
	size_t live;                  /* of those, not dropped */
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
	struct eval_ctx feed;    /* the context its rows are fed to their readers in (view_row_out), kept
				    from row to row: rs and as_of set on the first, row and stamp on each */
};

/*
 * A row kept until the file is read: where it was and the cells ordered rules
 * read, one per kept column (ruleset->kept_cols): their values, which a rule's
 * reduced tests read in place (row_test), and their texts and the texts'
 * lengths (kept_texts), which only a row rule's finding reads: a row that no
 * row rule judged in order may fail by its cells' tests keeps none.
 */
struct kept_row {
	uint64_t row, line;
	const char *county;
	const char **text;          /* nkept texts (or NULL), then their lengths; or NULL: none kept */
	struct value values[];      /* strings point at their own copies */
};

/* Places among a kept row's values, in order. */
struct kept_places {
	size_t *at;              /* NULL until worked out */
	size_t n;
};

/* How many text cells a row rule passed_texts remembers may read, and the most bytes of them it keeps. */
#define PASSED_CELLS 8
#define PASSED_BYTES 120

/* How many rows' cells a passed_texts keeps, two to a place: a file's counties, its rows in any order. */
#define PASSED_ROWS 32

/* The text cells of a row that a rule judged without a finding. */
struct passed_cells {
	bool kept;                       /* len and bytes hold such a row's cells */
	uint32_t len[PASSED_CELLS];      /* each cell's bytes, one after another; a null's is BLANK_TEXT */
	char bytes[PASSED_BYTES];
};

/*
 * The text cells (cols) that a row rule's planned when, its assert and its
 * required columns read, none of which reads anything else of the row
 * (expr_text_inputs), and their bytes on rows that it judged without a
 * finding: a row with the same bytes gives none either, without its when and
 * assert worked out again.  A file's rows repeat their county row after row,
 * and a file of few counties in any order repeats a few: the last row's
 * cells are looked at first, then the two kept in the place that the row's
 * bytes pick (passed_place).
 */
struct passed_texts {
	int cols[PASSED_CELLS];
	int n;
	struct passed_cells last;
	struct passed_cells *rows;       /* PASSED_ROWS of them, n > 0 (rules_state.passed_rows) */
};

/*
 * A test that passes a planned rule on the usual row before anything else
 * of it is looked at (plan_judging); where it does not pass, the rule is
 * judged as any other.
 */
enum quick_pass {
	QUICK_NONE,
	QUICK_CELLS,      /* it has no when and its two cells compared hold (cells_compared_holds) */
	QUICK_LEVELS,     /* it has no when and its two cells' levels compared hold (levels_compared_holds) */
	QUICK_AQI_BOUND,  /* its guard is sure to hold (expr_guard_holds) */
	QUICK_WHEN_FALSE, /* the first test of its when, of one cell, is false */
	QUICK_TEXTS,      /* the text cells it reads are those of a row it passed (passed_texts) */
};

/*
 * A row rule judged as each row comes, as the rows of this file meet it
 * (plan_rules): its when with in_file() settled, and a column it requires
 * that the file does not have.
 */
struct planned_rule {
	size_t rule;
	const struct written_rule *written; /* the row rule it is */
	struct expr_when when;           /* no operand: it has none, or it always holds */
	size_t absent;                   /* a required column the file lacks (the first), or SIZE_MAX */
	bool compares_cells;             /* its assert compares two cells (expr_compares_cells), */
	bool compares_levels;            /* or their aqi_level()s (expr_compares_levels): */
	struct cells_compared compared;  /* which, read in place where they are numbers (cells_compared_holds) */
	bool requires_compared;          /* it requires no other cells than those read in place (these, or the guard's) */
	bool guarded;                    /* its when tests a value for null that its assert compares a cell
					    with (expr_guards_compare): */
	struct guarded_compare guard;    /* which, worked out once for both */
	enum quick_pass quick;           /* what passes it on the usual row */
	struct passed_texts passed;      /* a rule read from text cells alone (n > 0): rows that passed */
};

/* An aggregate of the file's rows not judged in order, as rules_row feeds it its rows. */
struct file_aggregate {
	const struct written_rule *rule;
	const struct grouping *gr;       /* its grouping without its when, which rules_row judges: */
	struct expr_when when;           /* planned for the file's columns (rules_state.file_whens_for), */
	bool by_cell;                    /* which is one cell's test alone (expr_when.first) */
	const bool *dropped;             /* its group_table.dropped */
};

/* One row (of the file or of a view) in an ordered rule's group, with its order key. */
struct ordered_entry {
	struct value order;              /* first: runs report where they began by it (eval_ctx.where) */
	const struct kept_row *kept;     /* a file's row, or NULL */
	const struct value *view_row;    /* a view's row, or NULL */
	uint64_t seq;                    /* its place among the rows read, to keep ties in that order */
	uint32_t group;
};

/*
 * Where a run (longest_run(), longest_equal_run()) of a group fed its rows as
 * they come began, kept while the group lives, as eval_ctx.where points at a
 * row's order key only while it is fed: the current run's order key and row,
 * and the longest's order key.
 */
struct run_mark {
	struct value from, best;
	struct place from_at;
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
	uint64_t ordered_room;          /* the bytes of the ordered lists' room for entries (their cap), all of them */
	bool ordered_dropped;           /* the rules in order ran out of it: not judged in this file */
	struct arena kept;              /* kept rows and the texts of order keys */
	struct keep_plan *keep;         /* what keep_for_ordered does on a file's row, or NULL before the first */
	int *kept_at;                   /* per column: its place among a kept row's values, or -1 */
	const size_t *file_col;         /* the file's cell of each column */
	struct eval_ctx row_ctx;        /* what a file's row is judged in: its row, columns and stamp set on each */
	struct eval_trouble trouble;    /* row_ctx's */
	uint64_t seq;
	struct ordered_rows *ordered_rules, *ordered_aggregates; /* per row rule, per aggregate */
	double as_of;                   /* the run's date, when has_as_of */
	bool has_as_of;
	struct group_table *groups;     /* per aggregate: its groups, or, in a joined table, its memory taken */
	struct joined_table *joins;     /* tables that aggregates share */
	size_t njoins;
	size_t *join_of;                /* per aggregate: its joined table, or SIZE_MAX */
	struct value *scratch;          /* a row's group key values, and their words after them */
	uint64_t *scratch_words;
	size_t nscratch;
	struct group_table *view_groups; /* per view */
	struct view_rows *view_rows;    /* per view */
	struct group_table *export_groups; /* per export */
	struct coverage_seen *seen;     /* per coverage rule */
	bool *absent_input;             /* per row rule: a required column not in the file was reported */
	struct blank_said *blank_said;  /* per row rule, made when first needed: its last messages for blank inputs */
	struct diag_file *out;          /* the file's findings, while a row is run */
	struct held *held;              /* a list per row rule, then per aggregate: findings of its ended groups */
	size_t holding;                 /* the list findings go to instead of out while a group ended early is
					   judged, or NOT_HOLDING */
	/* the rules a file's row goes to, by kind, listed once (rule_lists) rather than sought on every row */
	size_t *rules_now, nrules_now;       /* row rules judged as each row comes */
	struct planned_rule *planned;        /* those that may fire in this file, planned for its columns */
	struct passed_cells *passed_rows;    /* PASSED_ROWS for each of them (planned_rule.passed) */
	size_t nplanned;
	const size_t *planned_for;           /* the columns' cells they were planned for, or NULL */
	size_t *row_tables, nrow_tables;     /* row rules judged in order that group rows for those sharing them */
	size_t *file_ordered, nfile_ordered; /* aggregates of the file's rows judged in order */
	struct file_aggregate *file_aggregates; /* the other aggregates of the file's rows, */
	size_t nfile_aggregates;
	const size_t *file_whens_for;        /* their whens planned for these columns' cells (or NULL) */
	const struct grouping **file_feeds;  /* the views of the file's rows, then its exports */
	size_t nfile_views, nfile_exports;
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
	bool may_arrive;                /* a file that can be read again: an aggregate judged in order may be fed
					   its rows as they come (kept_list.arriving) */
	uint64_t reread_from;           /* the first row whose aggregates the first reading did not run, or 0 */

	struct buf key, msg, msg_en, rule, text, json;
	struct msgbuf said;             /* the message of the finding being made */
};

/* rulegroups.c */
void join_tables(struct rules_state *st);
void free_joins(struct rules_state *st);
void share_keys(struct rules_state *st);
void follow_leaders(struct rules_state *st);
void settle_shared(struct shared_keys *ks);
void free_group_table(struct rules_state *st, struct group_table *g, const struct agg_slot *slots, size_t n);
void group_keys(const struct group_table *g, size_t i, size_t ngroup, struct value *keys);
const struct value *group_key_values(struct rules_state *st, const struct group_table *g, size_t i,
				     size_t ngroup);
__attribute__((noinline)) long look_up_group(struct rules_state *st, struct group_table *g,
					     struct expr *const *group, size_t ngroup, size_t block,
					     const struct eval_ctx *ctx);
uint64_t group_index_bytes(const struct group_table *t);
void account_group(struct rules_state *st, const struct grouping *gr, const unsigned char *accs,
		   uint64_t kept_before, uint64_t line, uint64_t row, struct diag_file *out);
void feed_grouping(struct rules_state *st, const struct grouping *gr, const struct eval_ctx *ctx, uint64_t line,
		   uint64_t row, struct diag_file *out);
void feed_readers(struct rules_state *st, const struct view_reader *reader, const struct view_reader *end,
		  const struct eval_ctx *ctx, uint64_t line, uint64_t row, struct diag_file *out);
void feed_file_aggregates(struct rules_state *st, const struct row_view *row, const struct eval_ctx *ctx, bool told,
			  struct diag_file *out);
void end_groups(struct rules_state *st, struct group_table *t, bool keep_last);

/*
 * Ends a table's watch: one whose groups kept an order of their keys is
 * streamed from now on, its groups but the open one ended (end_groups); one
 * whose groups kept the order of a prefix alone is batched.
 */
void end_watch(struct rules_state *st, struct group_table *t);

/* ruleorder.c */
void list_sharers(const struct written_rule *rules, size_t n, size_t **first,
		  const struct written_rule ***sharers, size_t **at);
void free_ordered(struct rules_state *st);
void add_ordered(struct rules_state *st, struct ordered_rows *o, long g, struct value order,
		 const struct kept_row *kept, const struct value *view_row);
void keep_for_ordered(struct rules_state *st, const struct row_view *row, const struct eval_ctx *ctx,
		      struct diag_file *out);
void keep_plan_free(struct keep_plan *p);
void ring_free(struct walk_ring *ring);
size_t join_slots(struct agg_slot *joined, const struct written_rule *const *rules, size_t nrules,
		  struct agg_slot *const *lists, const bool *live);
size_t walk_sharers(struct rules_state *st, bool row_rules, size_t t, size_t until, struct diag_file *out);

/* ruleviews.c */
int direct_slot(const struct view *view, size_t k);
bool view_rows_kept(const struct ruleset *rs, size_t v);
void keep_view_row(struct rules_state *st, size_t a, const struct eval_ctx *ctx);
void view_row_out(struct rules_state *st, size_t v, const struct group_table *g, size_t i, struct value *row);
void finish_view(struct rules_state *st, size_t v);

/* rulefindings.c */
void row_finding(struct rules_state *st, const struct written_rule *r, const struct row_view *row,
		 const struct eval_ctx *ctx, struct diag_file *out);
void pattern_limit_finding(struct rules_state *st, const struct written_rule *r,
			   const struct row_view *row, const struct eval_trouble *t, struct diag_file *out);
void report_absent_input(struct rules_state *st, size_t i, size_t col, struct diag_file *out);
/* Frees what the findings keep in st. */
void rules_findings_free(struct rules_state *st);
void report_blank_inputs(struct rules_state *st, size_t i, size_t from, const struct row_view *row,
			 struct diag_file *out);
void judge_group(struct rules_state *st, size_t a, size_t i, struct diag_file *out);
void finish_aggregate(struct rules_state *st, size_t a, struct diag_file *out);
void finish_coverage(struct rules_state *st, size_t i, struct diag_file *out);

/* An aggregate's grouping; when is left out where the caller judges it itself. */
static inline const struct grouping *aggregate_grouping(const struct rules_state *st, size_t a, bool with_when)
{
	return &st->groupings[2 * a + with_when];
}

/* The table that holds aggregate a's groups: its own, or the joined table it is in. */
static inline struct group_table *aggregate_table(const struct rules_state *st, size_t a)
{
	return st->join_of[a] == SIZE_MAX ? &st->groups[a] : &st->joins[st->join_of[a]].table;
}

/* Group i's accumulators of a grouping, in its table (NULL without any). */
static inline unsigned char *grouping_accs(const struct grouping *gr, size_t i)
{
	return gr->block ? gr->table->accs + i * gr->block + gr->at : NULL;
}

/* A view's grouping. */
static inline const struct grouping *view_grouping(const struct rules_state *st, size_t v)
{
	return &st->groupings[2 * st->rs->naggregates + v];
}

/* An export's grouping. */
static inline const struct grouping *export_grouping(const struct rules_state *st, size_t e)
{
	return &st->groupings[2 * st->rs->naggregates + st->rs->nviews + e];
}

/* The run's date for an evaluation context: NULL when none was given. */
static inline const double *as_of_of(const struct rules_state *st)
{
	return st->has_as_of ? &st->as_of : NULL;
}

/* Group i's block of accumulators in a table whose groups' blocks are of that many bytes, or NULL without any. */
static inline unsigned char *group_accs(const struct group_table *t, size_t i, size_t block)
{
	return block ? t->accs + i * block : NULL;
}

/*
 * The group of a table that follows a leader (group_table.leader) with the
 * keys of the leader's last look-up: the leader's group of the same number,
 * while the table has made its groups as the leader did and neither has
 * ended any (misaligned); or -1.
 */
static inline long leaders_last(const struct group_table *g)
{
	const struct group_table *l = g->leader;
	if (!l || g->misaligned || l->misaligned || l->dropped || !l->ngroups || l->stamp != g->shared->stamp)
		return -1;
	return l->last_group;
}

/*
 * The group of a table that follows a leader with the keys of the leader's
 * last look-up, which are the row's (leaders_last), where the table does not
 * watch its groups' order (which its own look-up follows); or -1 to look it up.
 */
static inline long leader_group(const struct group_table *g)
{
	return g->mode == GROUPS_KEPT ? leaders_last(g) : -1;
}

/* Makes group the table's last group, looked up with its shared keys' stamp. */
static inline long looked_up(struct group_table *g, long group)
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
static inline bool grows_nothing(const struct group_table *g, long group)
{
	struct shared_keys *ks = g->shared;
	if (strmap_upsert_grows(&g->strings)) {
		if (ks->owed)
			settle_shared(ks);
		for (size_t k = 0; k < ks->ngroup; k++)
			if (ks->values[k].type == V_STR)
				return false;
	}
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

/* The key string kept as word (group_table.words): a 32-bit length, then the bytes. */
static inline struct value kept_string(uint64_t word)
{
	const unsigned char *p = (const unsigned char *)(uintptr_t)word;
	uint32_t len;
	memcpy(&len, p, sizeof len);
	return (struct value){.str = (const char *)p + sizeof len, .len = len, .type = V_STR};
}

/*
 * True if a row of cells is in group i of a table whose keys are read from
 * the row (in_last_group; a year or month key is tested against the last
 * group's month).
 */
static inline __attribute__((always_inline)) bool in_group(const struct group_table *g, size_t i, const struct value *cells)
{
	size_t n = g->nreads, at = i * n;
	for (size_t k = n; k-- > 0;) {
		const struct key_read *r = &g->reads[k];
		const struct value *c = &cells[r->cell];
		if (r->month_part) {
			if (c->type != V_DATE || !(c->num >= r->month_from && c->num < r->month_to))
				return false;
			continue;
		}
		uint64_t w = g->words[at + k];
		if (c->type != (enum vtype)g->types[at + k])
			return false;
		if (c->type == V_STR) {
			struct value kept = kept_string(w);
			if (kept.len != c->len || !bytes_equal(kept.str, c->str, c->len))
				return false;
		} else if (!bytes_equal(&w, &c->num, sizeof w)) {
			return false;
		}
	}
	return true;
}

/*
 * True if a row of cells is in the last group of a table whose keys are read
 * from the row (group_table.reads): each column's cell is its key, bit for
 * bit or byte for byte, and each date whose year or month is a key lies in
 * the month of the last row looked up.  The last key first: in a sorted file
 * it is the one that changes most often (a station's day).
 */
static inline __attribute__((always_inline)) bool in_last_group(const struct group_table *g, const struct value *cells)
{
	return in_group(g, (size_t)g->last_group, cells);
}

/* True if a watched table groups rows it keeps (a rule's judged in order), not only accumulators. */
static inline bool keeps_rows(const struct group_table *g)
{
	return g->ends == ENDS_ROW_RULE || g->ends == ENDS_AGGREGATE;
}

/*
 * Finds or creates the group of the current row (look_up_group), without a
 * call where the row's shared keys are worked out and the table knows their
 * group (known_group), or the row's cells are its last group's keys
 * (in_last_group): most tables' rows, in a sorted file or after a leader's
 * look-up.  A watched table that has kept an order, or a prefix's, long
 * enough starts ending its groups as they close (end_watch) first.
 */
static inline __attribute__((always_inline)) long find_group(struct rules_state *st, struct group_table *g,
							     struct expr *const *group, size_t ngroup, size_t block,
							     const struct eval_ctx *ctx)
{
	if (g->mode == GROUPS_WATCHED && (keeps_rows(g) ? ++g->watched > WATCH_ROWS : g->ngroups >= WATCH_GROUPS))
		end_watch(st, g);
	struct shared_keys *ks = g->shared;
	uint64_t row = ks ? *ks->rows_in : 0;
	if (ks && ks->at == row) {
		long known = ks->null ? -1 : known_group(g);
		if (known != -2)
			return known;
	}
	if (g->nreads && g->ngroups && ctx->row && in_last_group(g, ctx->row)) {
		if (ks && g->stamp == ks->stamp) /* the shared keys are still its group's: the row's, for the others */
			ks->at = row;
		return g->last_group;
	}
	return look_up_group(st, g, group, ngroup, block, ctx);
}

/* A when's or an assert's value v as judged: null (no verdict) when working it out hit a pattern's limit, which is reported. */
static inline struct value judged(struct rules_state *st, const struct written_rule *r, struct value v,
				  const struct row_view *row, const struct eval_ctx *ctx, struct diag_file *out)
{
	if (!ctx->trouble->pattern_limit)
		return v;
	pattern_limit_finding(st, r, row, ctx->trouble, out);
	return (struct value){.type = V_NULL};
}

/* Evaluates a when or an assert; a pattern-limit hit is reported and gives null (no verdict). */
static inline struct value judge(struct rules_state *st, const struct written_rule *r, const struct expr *e,
				 const struct row_view *row, const struct eval_ctx *ctx, struct diag_file *out)
{
	ctx->trouble->pattern_limit = false;
	return judged(st, r, expr_eval(e, ctx), row, ctx, out);
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

#endif
