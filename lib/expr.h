/*
 * expr.h — the expression language of design.md §7, used by `when`,
 * `assert`, aggregate `group` and message templates.
 *
 * An expression is parsed once (Pratt parser), type-checked and compiled to
 * a node array; evaluating it per row walks that array and allocates
 * nothing.  Strings in values are borrowed from the row's cells, the
 * expression's literals or a reference table.  A let that a function
 * computes from the row's cells is remembered, per thread, by the row's
 * stamp (eval_ctx.stamp) and, when it is a number, date or boolean of a few
 * cells, by those cells, so the rules that name it on one row compute it once.
 * An expression that a function computes from a few text cells alone (a
 * lookup of the row's county) is remembered by those cells' bytes, which a
 * file repeats row after row.
 *
 * Null rule: arithmetic and comparison with null give null; && and || follow
 * three-valued logic; an assert that is null does not fail and a when that is
 * null skips the rule (the callers apply those two).
 *
 * In an aggregate scope, aggregate functions (count, count_if, sum, mean,
 * min, max, ratio, percentile, max_change) become accumulator slots that the caller
 * feeds row by row with agg_update; any other part of the expression must be
 * a group key (a column or expression of the rule's "group").
 */
#ifndef QY_EXPR_H
#define QY_EXPR_H

#include "standards.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ruleset;

enum vtype { V_NULL, V_NUM, V_STR, V_DATE, V_BOOL, V_ANY };

/* 16 bytes, so that evaluators return values in registers. */
struct value {
	union {
		double num;       /* numbers, dates (days since 1970-01-01), booleans 0/1 */
		const char *str;  /* strings: borrowed, not NUL-terminated */
	};
	uint32_t len;             /* strings: bytes (a cell is at most --max-field) */
	enum vtype type;
};

/* Returns the name of a type ("number", "string", …). */
const char *vtype_name(enum vtype t);

enum agg_kind {
	AGG_COUNT, AGG_COUNT_IF, AGG_SUM, AGG_MEAN, AGG_MIN, AGG_MAX, AGG_RATIO, AGG_PERCENTILE,
	AGG_MAX_CHANGE, AGG_LONGEST_RUN, AGG_MAD, AGG_COUNT_DISTINCT, AGG_LONGEST_EQUAL_RUN
};

struct expr;

/* How agg_update comes by a slot's argument on a row, picked once compiled (the default evaluates it). */
enum agg_read {
	AGG_READ_EVAL,     /* evaluates the argument */
	AGG_READ_NONE,     /* count(): no argument */
	AGG_READ_CELL,     /* the argument is a column: its cell, where it lies */
	AGG_READ_TEST,     /* the argument tests a column alone (expr_tests_a_cell): tested in place */
	AGG_READ_SHARED,   /* an earlier slot's argument is the same expression: its value, worked out once */
};

/*
 * What agg_update does with a slot on a row, picked once compiled: the
 * commonest pairs of an aggregate and the way its argument is read have
 * steps of their own, any other reads its argument (agg_read), then adds it.
 */
enum agg_step {
	AGG_STEP_ANY,          /* the argument as read says, then the kind's update */
	AGG_STEP_COUNT,        /* count() */
	AGG_STEP_SUM_CELL,     /* sum() or mean() of a column */
	AGG_STEP_COUNT_IF_TEST, /* count_if() of a test of a column alone */
	AGG_STEP_COUNT_PRESENT, /* count_if() of a column != null */
	AGG_STEP_BAND,         /* count_if() or ratio() of a band of a column (agg_band) */
	AGG_STEP_KEEP_CELL,    /* percentile() or median() of a column */
	AGG_STEP_KEEP_COUNT_CELL, /* the same, which counts its numbers in hits too (agg_slot.counts) */
	AGG_STEP_EQUAL_RUN_CELL, /* longest_equal_run() of a column */
	AGG_STEP_DISTINCT_CELLS, /* count_distinct() of columns alone */
};

/* The slots a row's update can give an argument's value on to (AGG_READ_SHARED): the first of a scope. */
#define AGG_SHARED_MAX 64

/* Two comparisons of a column with literals of one type, both to hold: aqi > 95 && aqi <= 100. */
struct agg_band {
	double lit[2];
	unsigned char passes[2]; /* per comparison, the outcomes that pass it: bit 0 less, 1 equal, 2 greater */
	enum vtype type;         /* the literals' */
	double reach[2];         /* the least and the greatest number that this band or a later one of its
				    run (agg_slot.run) may hold for: outside them, none of the run does */
};

/* One aggregate function call: what to accumulate, from which expression node. */
struct agg_slot {
	enum agg_kind kind;
	const struct expr *expr;
	int arg;           /* node index of the argument, or -1 for count() */
	int arg2;          /* max_change: node index of the time argument */
	double p;          /* percentile */
	int call;          /* count_distinct: the call's node, whose arguments make the tuple */
	enum agg_step step; /* what a row does to it */
	enum agg_read read; /* how its argument is read on a row */
	int cell;          /* AGG_READ_CELL, AGG_STEP_COUNT_PRESENT and AGG_STEP_BAND: the column */
	struct agg_band band; /* AGG_STEP_BAND */
	int shared;        /* AGG_READ_SHARED: the earlier slot whose argument's value it takes */
	bool gives;        /* a later slot takes this one's argument's value */
	bool counts;       /* a percentile of a column that also counts its numbers in hits, for a
			      count_if(x != null) of the column that takes its slot (see add_slot) */
	bool replan;       /* changed by a later call to serve it too: its read and step are picked again */
	uint8_t run;       /* this slot and the run - 1 after it take its step in one pass (agg_plan_runs; counts and
			      sums take each other's): 1 or more */
	uint32_t at, size; /* its accumulator's byte offset in a group's block, and its bytes (agg_acc_size,
			      kept: agg_block_size, on every walk and group's end, reads it for less than a call) */
};

#define EXPR_DISTINCT_MAX 16 /* count_distinct's arguments at most: the width of a tuple */

/*
 * A piece of a count_distinct accumulator's packed tuples (see expragg.c),
 * each tuple whole in one piece, with room past the last for a word that
 * hashing it reads.
 */
struct tuple_piece {
	struct tuple_piece *older;
	uint32_t used, room;          /* its tuples' bytes, and the bytes it has */
	unsigned char bytes[];
};

/*
 * The running state of one slot for one group.  Runs count in hits (the
 * current run) and hi (the longest); longest_equal_run keeps the current
 * run's value in lo and the longest's in sum; a percentile remembers its
 * last value in lo (see percentile()); count_distinct counts its tuples
 * in n, its distinct ones while few in hits (see expragg.c).  A slot keeps a
 * list of values (listed) or where its runs began, never both: they share
 * their bytes.  A kind's accumulator is the first bytes of it that the kind
 * reads and writes (agg_acc_size): count() has n alone, 8 bytes; sum() and
 * mean() 16; count_if() and ratio() 24; min() and max() 48; lists and runs
 * all 64.
 */
struct agg_acc {
	double n;          /* rows (count), non-null values, or count_distinct's tuples */
	double sum, hits, lo, hi;
	bool date;         /* min and max saw dates */
	bool listed;       /* vals or tuples hold a list (freed with the slot) */
	bool packed;       /* tuples, not vals */
	bool sorted;
	union {
		struct {
			union {
				double *vals;          /* percentile: values; max_change: (time, value) pairs */
				struct tuple_piece *pieces; /* count_distinct: its tuples, packed, newest piece first */
			};
			uint32_t nvals, cap;           /* values kept and their room; packed, the tuples' bytes */
		};
		struct {
			const void *run_from, *best_from; /* runs: where the current and the longest run began */
		};
	};
};

/* Columns an expression reads when they are not the rule set's own: a view's, by name and type. */
struct expr_columns {
	const char *const *names;
	const enum vtype *types;
	size_t n;
};

/* Where an expression is compiled: the rule set's names and, for aggregates, the group. */
struct expr_scope {
	const struct ruleset *rs;
	const struct expr_columns *columns; /* the columns a name means, or NULL: the rule set's */
	bool aggregate;
	struct expr *const *group;   /* group key expressions */
	size_t ngroup;
	struct agg_slot *slots;      /* grown by expr_compile; owned by the caller */
	size_t nslots, capslots;
	bool ordered;                /* rows come in a group's order: prev(), lag(), longest_run() */
	int max_lag;                 /* raised by expr_compile to the furthest lag() it saw */
	bool per_row;                /* a row rule judged in order: its aggregates are its group's, read on each row */
	bool merges_slots;           /* a rule's: one slot may serve aggregates of different kinds, count_if(x)
					and ratio(x), each call reading it as its own kind (not a view's or an
					export's, whose values are read by their slots' kinds) */
	size_t nfixed;               /* such a rule's values of the group alone (5 * median(x)), each worked out
					once a group: grown by expr_compile */
};

/* What an evaluation could not decide, for the caller to report; evaluation only sets it. */
struct eval_trouble {
	bool pattern_limit;          /* matches() hit PCRE2's match or depth limit */
	int pattern_col;             /* the column it was matching, or -1 */
};

struct eval_ctx {
	const struct ruleset *rs;
	struct eval_trouble *trouble; /* or NULL */
	const struct value *row;     /* one value per rule-set column */
	const size_t *file_col;      /* per column: its cell in the file, SIZE_MAX if absent; or NULL */
	const struct value *keys;    /* group key values */
	unsigned char *accs;         /* accumulators of the group: its block (agg_slot.at) */
	const struct value *const *history; /* in a group's order: the rows before, the last first */
	size_t nhistory;
	const void *where;           /* in a group's order: the caller's record of this row, which
					starts with the row's order key (a struct value) */
	const double *as_of;         /* the date the run judges as of (days since 1970-01-01), or NULL */
	struct value *fixed;         /* a row rule judged in order: its values of the group alone, each of
					type V_ANY until worked out on the group's first row; or NULL */
	uint64_t stamp;              /* the row's, from expr_row_stamp, by which its lets are remembered; or 0 */
};

/*
 * Forgets every remembered value and lookup: called when an expression
 * goes, whose let another may reuse the address of, and when a reference
 * table goes, whose address another may reuse.
 */
void expr_forget(void);

/* A stamp for the next row a thread evaluates on (eval_ctx.stamp), never 0 and never given before on that thread. */
uint64_t expr_row_stamp(void);

/*
 * Compiles src.  On error returns NULL, writes the message to err and the
 * 1-based character position to *pos.
 */
struct expr *expr_compile(const char *src, struct expr_scope *scope, char *err, size_t errlen,
			  int *pos);
void expr_free(struct expr *e);

/* The static type of the result (V_ANY when it depends on the data). */
enum vtype expr_type(const struct expr *e);
/* The source text as written. */
const char *expr_source(const struct expr *e);
/* A group key's name: its column, the function of one column ("year"), or its text. */
const char *expr_key_name(const struct expr *e);
/* The rule-set columns read outside aggregate functions and inside, in order of first use. */
size_t expr_columns(const struct expr *e, const size_t **cols);

struct value expr_eval(const struct expr *e, const struct eval_ctx *ctx);

/* True if the number v compared with lit has an outcome that passes lists (bit 0 less, 1 equal, 2 greater). */
static inline bool num_passes(double v, double lit, unsigned passes)
{
	return passes >> ((v > lit) - (v < lit) + 1) & 1;
}

/* One test of a row's cell in a reduced test (row_test). */
struct cell_check {
	uint32_t cell;           /* its place in the rows it is given */
	bool compares;           /* compared with against: of its type, the outcomes passes says pass */
	bool present;            /* else: the cell is not null (true) or null (false) */
	unsigned char passes;    /* bit 0: less, 1: equal, 2: greater */
	enum vtype type;
	double against;
};

/* Whether a row's cell passes check c: 1 or 0, or -1 (null) for a cell of another type than it is compared with. */
static inline int cell_check_holds(const struct cell_check *c, const struct value *row)
{
	const struct value *v = &row[c->cell];
	if (!c->compares)
		return (v->type != V_NULL) == c->present;
	return v->type != c->type ? -1 : num_passes(v->num, c->against, c->passes);
}

/*
 * A row rule judged in order's when or assert on the rows of one group, once
 * the group's values are known (eval_ctx.fixed): && or || of tests of cells
 * against constants, as pm25 <= 5 * median(pm25) || pm25 <= 75 becomes
 * pm25 <= 41.5 || pm25 <= 75 on a group.  Made by row_test_reduce; its
 * checks are its own.
 */
struct row_test {
	bool is_and;
	bool unknown;            /* an operand is null on every row of the group */
	bool settled;            /* an operand settles it on every row: false for &&, true for || */
	struct cell_check *checks;
	int n, cap;
};

/* Frees a reduced test's checks, leaving it empty. */
void row_test_free(struct row_test *t);

/*
 * Reduces e to t on the group whose accumulators and values of the group ctx
 * has (its row is not read), the group's values worked out now; a test of
 * column c reads cell at[c] of the rows it is given.  False when e is not of
 * that shape: it is then evaluated whole, row by row.  With ctx NULL, the
 * operands that read values of the group are left out: the tests of the
 * row's cells alone, the same on every group, which every row that makes a
 * chain of && true (or one of || false) makes so too.
 */
bool row_test_reduce(struct row_test *t, const struct expr *e, const struct eval_ctx *ctx, const int *at);

/*
 * What e gives on a row (its cells placed as row_test_reduce's at says), as
 * expr_eval would on that row of the group: the first test that settles the
 * chain, else null if one was null, else true for && and false for ||.
 * Inline, as it runs a few times a rule on every row of a group.
 */
static inline struct value row_test_eval(const struct row_test *t, const struct value *row)
{
	if (t->settled)
		return (struct value){.type = V_BOOL, .num = !t->is_and};
	bool unknown = t->unknown;
	for (int k = 0; k < t->n; k++) {
		int holds = cell_check_holds(&t->checks[k], row);
		if (holds < 0)
			unknown = true;
		else if ((bool)holds != t->is_and)
			return (struct value){.type = V_BOOL, .num = holds};
	}
	return unknown ? (struct value){.type = V_NULL} : (struct value){.type = V_BOOL, .num = t->is_and};
}

/* The most numbers a row rule's reduced tests may compare one cell with to be judged by that cell (row_fails). */
#define ROW_FAILS_BOUNDS 8

/*
 * A row rule's when and assert reduced on a group (row_test) that test one
 * cell alone: what they give on a row then depends only on that cell's
 * kind of value (row_fails_key), null, of another type than they compare
 * with, NaN, or a number of that type by where it falls among those they
 * compare with; whether a row of each kind fails the rule is worked out on
 * the first row of that kind and looked up for the others.  Made by
 * row_fails_plan, for one group.
 */
struct row_fails {
	uint32_t cell;
	enum vtype type;                      /* the type the tests compare with, or V_ANY when none compares */
	int nbounds;
	double bounds[ROW_FAILS_BOUNDS];      /* the numbers compared with, ascending, each once */
	signed char fails[2 * ROW_FAILS_BOUNDS + 4]; /* per kind of value: 1 fails, 0 passes, -1 not yet known */
};

/*
 * Plans f for the rows of a group whose reduced when (NULL: it has none)
 * and assert test one cell alone, comparing it with at most
 * ROW_FAILS_BOUNDS numbers of one type; false if they do not.
 */
bool row_fails_plan(struct row_fails *f, const struct row_test *when, const struct row_test *assert);

/*
 * The kind of value of a row's tested cell (its cells placed as
 * row_test_reduce's at says), an index into f->fails: a number of the type
 * compared with below bounds[0] 0, equal to it 1, between it and bounds[1]
 * 2, and on; then null, another type, NaN.
 */
static inline int row_fails_key(const struct row_fails *f, const struct value *row)
{
	const struct value *v = &row[f->cell];
	int n = f->nbounds;
	if (v->type != f->type)
		return v->type == V_NULL ? 2 * n + 1 : 2 * n + 2;
	double x = v->num;
	if (x != x)
		return 2 * n + 3;
	int j = 0;
	while (j < n && f->bounds[j] < x)
		j++;
	return 2 * j + (j < n && f->bounds[j] == x);
}

/* The most operands of a when's chain of && that a file's plan of it lists (a longer chain is kept whole). */
#define EXPR_CONJUNCTS 8

/*
 * A when as the rows of one file meet it: the operands of its chain of &&
 * left to evaluate, left to right, once those that the file's columns
 * settle are settled (in_file(), a null test of a column the file lacks, and
 * what follows from them): one that is true drops out; one that is false
 * or null ends the chain, and comes first when the when never holds there.
 * No operand left: the when always holds.  An expression not a chain of &&
 * is its one operand.
 */
struct expr_when {
	const struct expr *e;
	int node[EXPR_CONJUNCTS];
	int n;
	bool never;                  /* an operand that is false or null on every row comes first */
	bool may_trouble;            /* evaluating it may set eval_trouble (matches()) */
	bool checks_first;           /* the first operand tests one cell alone (county != null, aqi == null): */
	struct cell_check first;     /* that test, which expr_when_value makes without a call */
};

/* True if an expression calls matches(), whose pattern may hit its limit on a row (eval_trouble). */
bool expr_calls_matches(const struct expr *e);

/* Plans when for a file whose columns' cells file_col gives (SIZE_MAX: absent). */
void expr_when_plan(struct expr_when *w, const struct expr *when, const size_t *file_col);

/* What the planned when gives on a row of that file: what expr_eval of it gives, as a when is judged (true or not). */
struct value expr_when_eval(const struct expr_when *w, const struct eval_ctx *ctx);

/*
 * What expr_when_eval gives, its first operand tested inline when it tests
 * one cell alone: most rows' whens are settled by a cell being null or not,
 * without a call.
 */
static inline struct value expr_when_value(const struct expr_when *w, const struct eval_ctx *ctx)
{
	if (w->checks_first && ctx->row) {
		int holds = cell_check_holds(&w->first, ctx->row);
		if (holds == 0 || (holds > 0 && w->n == 1))
			return (struct value){.type = V_BOOL, .num = holds};
	}
	return expr_when_eval(w, ctx);
}

/*
 * a compared with b, passing on the outcomes passes (bit 0 less, 1 equal, 2
 * greater), when both are of one type that is a number, date or boolean: 1
 * or 0, as expr_eval gives it; -1 for any other pair, which expr_eval judges.
 */
static inline int numbers_compared(const struct value *a, const struct value *b, unsigned char passes)
{
	if (a->type != b->type || (a->type != V_NUM && a->type != V_DATE && a->type != V_BOOL))
		return -1;
	return num_passes(a->num, b->num, passes);
}

/*
 * A row rule whose planned when is one value tested for null (aqi_calc !=
 * null) and whose assert compares a column with that value (aqi >= aqi_calc):
 * the value is worked out once for both (expr_guard_value), and a cell of
 * its type of number compared with it in place (guard_compare_holds).
 */
struct guarded_compare {
	const struct expr *when;
	int value;                   /* the when's node that is tested */
	int cell;                    /* the column compared with it, */
	unsigned char passes;        /* passing on these outcomes (bit 0 less, 1 equal, 2 greater) */
	const int *items;            /* a cell >= aqi_day() of seven columns: those columns (see expr_guard_holds); or NULL */
};

/*
 * True if g's rule is sure to pass on a row without its value worked out: a
 * cell >= aqi_day() of seven columns passes, or its when skips it, when the
 * cell is a number from which no item's concentration gives a higher index
 * (aqi_ceilings), as on most rows.  False tells nothing.
 */
bool expr_guard_holds(const struct guarded_compare *g, const struct value *row);

/* True if planned when w and assert are of that shape, written to g. */
bool expr_guards_compare(const struct expr_when *w, const struct expr *assert, struct guarded_compare *g);

/* The value g's when tests for null on a row, as its when and its assert work it out. */
struct value expr_guard_value(const struct guarded_compare *g, const struct eval_ctx *ctx);

/*
 * What g's assert gives on a row whose guarded value is v (not null): null
 * (-2) when the cell is null, 1 or 0 when the cell is of v's type and that
 * is a number, date or boolean; -1 for any other cell, which expr_eval judges.
 */
static inline int guard_compare_holds(const struct guarded_compare *g, struct value v, const struct value *row)
{
	const struct value *c = &row[g->cell];
	return c->type == V_NULL ? -2 : numbers_compared(c, &v, g->passes);
}

/*
 * The columns (of ncols, those not marked in covered) whose being null can
 * make the value null, written to out (room for ncols); returns how many.
 * Lint uses it to find an assert that a blank cell silences.
 */
size_t expr_null_inputs(const struct expr *e, const bool *covered, size_t ncols, size_t *out);

/* The slot of an expression that is one aggregate call and nothing more (an export's value), or -1. */
int expr_aggregate_slot(const struct expr *e);

/*
 * The column a group key is (station_id), or whose year() or month() it is
 * (*month_part set): a row whose cell is the last group's, or of the same
 * month, has that group's key.  -1 for any other key.
 */
int expr_key_cell(const struct expr *e, bool *month_part);

/*
 * Adds to cols (n of them so far) the text columns that node of e (the root
 * when node is -1) reads, each once; returns how many cols then holds, or
 * -1 when its value does not follow from the row's cells alone (an equal
 * row gives it again), or it reads a column that is not text, or more than
 * max columns.  A row rule read from such cells alone gives what it gave
 * while they hold the same bytes.
 */
int expr_text_inputs(const struct expr *e, int node, int *cols, int n, int max);

/* Two columns compared (pm25 <= pm10): their cells, and the outcomes that pass (bit 0 less, 1 equal, 2 greater). */
struct cells_compared {
	int left, right;
	unsigned char passes;
};

/* True if e is two columns compared, written to c. */
bool expr_compares_cells(const struct expr *e, struct cells_compared *c);

/*
 * What the comparison c gives on a row whose two cells are of one type that
 * is a number, date or boolean, as expr_eval gives it: 1 or 0; -1 for any
 * other cells (null, texts, two types), which expr_eval judges.
 */
static inline int cells_compared_holds(const struct cells_compared *c, const struct value *row)
{
	return numbers_compared(&row[c->left], &row[c->right], c->passes);
}

/*
 * True if e is aqi_level() of one column compared with aqi_level() of
 * another (aqi_level(grade) == aqi_level(aqi)), written to c; what it gives
 * on a row is levels_compared_holds: 1 or 0, or -2 (null) when a cell has
 * no level.
 */
bool expr_compares_levels(const struct expr *e, struct cells_compared *c);

/* The HJ 633-2012 level of an AQI, or of a category's or grade's name; 0 for none. */
static inline int value_level(const struct value *v)
{
	return v->type == V_NUM ? aqi_level(v->num) : v->type == V_STR ? aqi_level_named(v->str, v->len) : 0;
}

/* Inline, as cells_compared_holds: it runs on every row, with a call for each cell's level alone. */
static inline int levels_compared_holds(const struct cells_compared *c, const struct value *row)
{
	int l = value_level(&row[c->left]), r = value_level(&row[c->right]);
	return l && r ? num_passes(l, r, c->passes) : -2;
}

/* A blank cell's length among the texts row_texts_keep keeps. */
#define BLANK_TEXT UINT32_MAX

/*
 * Keeps the text cells cols[0..n) of row in bytes (room of them), one after
 * another, each one's length in len (a blank's BLANK_TEXT); false when one
 * is neither a text nor a blank, or they do not fit.
 */
static inline bool row_texts_keep(uint32_t *len, char *bytes, size_t room, const int *cols, int n,
				  const struct value *row)
{
	size_t used = 0;
	for (int k = 0; k < n; k++) {
		const struct value *c = &row[cols[k]];
		if (c->type == V_NULL) {
			len[k] = BLANK_TEXT;
			continue;
		}
		if (c->type != V_STR || c->len > room - used)
			return false;
		len[k] = c->len;
		if (c->len)
			memcpy(bytes + used, c->str, c->len);
		used += c->len;
	}
	return true;
}

/* True if the text cells cols[0..n) of row are those row_texts_keep kept in len and bytes, blanks for blanks. */
static inline bool row_texts_same(const uint32_t *len, const char *bytes, const int *cols, int n,
				  const struct value *row)
{
	for (int k = 0; k < n; k++) {
		const struct value *c = &row[cols[k]];
		if (c->type == V_NULL) {
			if (len[k] != BLANK_TEXT)
				return false;
			continue;
		}
		if (c->type != V_STR || len[k] != c->len || !bytes_equal(bytes, c->str, c->len))
			return false;
		bytes += c->len;
	}
	return true;
}

/* True if a key expr_key_cell finds a date's part of is its year(), false for its month(). */
bool expr_key_is_year(const struct expr *e);

/* True if the value does not depend on the data (no column, group key or aggregate). */
bool expr_is_constant(const struct expr *e);

/* The bytes of a kind's accumulator in a group's block: those of struct agg_acc it uses. */
size_t agg_acc_size(enum agg_kind kind);
/* The bytes of a group's block of accumulators for n slots (0 for none): the last one's end. */
static inline size_t agg_block_size(const struct agg_slot *slots, size_t n)
{
	return n ? (size_t)slots[n - 1].at + slots[n - 1].size : 0;
}
/* A slot's accumulator in a group's block. */
static inline struct agg_acc *agg_acc_of(unsigned char *block, const struct agg_slot *slot)
{
	return (struct agg_acc *)(void *)(block + slot->at);
}
/* A slot's accumulator in a group's block, to read. */
static inline const struct agg_acc *agg_acc_of_const(const unsigned char *block, const struct agg_slot *slot)
{
	return (const struct agg_acc *)(const void *)(block + slot->at);
}

/*
 * Marks the runs of slots that agg_update takes in one pass (agg_slot.run):
 * neighbours that sum, keep or count a column each (counts of rows among
 * sums), or that count bands of one column, which a number outside all of
 * them passes by in one test.
 * Called once a table of slots is made or joined; a slot's run never
 * reaches past the table it is marked in.
 */
void agg_plan_runs(struct agg_slot *slots, size_t n);
/* Feeds one row to every slot's accumulator in a group's block. */
void agg_update(const struct agg_slot *slots, size_t n, unsigned char *block, const struct eval_ctx *row);
/*
 * What an accumulator comes to for its aggregate (p: a percentile's); a
 * percentile reorders its values (selects, or sorts).  A run's length, not where it began, and no
 * count_distinct(), whose answer needs the call (the expression evaluator has it).
 */
struct value agg_result(enum agg_kind kind, double p, struct agg_acc *acc);
/*
 * A group of one row need not be accumulated.  When every slot is a count()
 * or a sum() or mean() of a column alone (agg_holds), agg_hold_row gives
 * the n values that aggregates come to on a group of one row of cells, as
 * agg_result would give them (cell: per value, its slot's agg_held_cell), or
 * false where it cannot (a number that is not finite); agg_unhold makes from
 * those values (slot: each one's slot) the accumulators agg_update would
 * have made of the row in a zeroed block, so that a second row can be added.
 */
bool agg_holds(const struct agg_slot *slots, size_t n);
int agg_held_cell(const struct agg_slot *slot);
bool agg_hold_row(const int *cell, size_t n, const struct value *cells, struct value *values);
void agg_unhold(const struct agg_slot *slots, const int *slot, size_t n, const struct value *values,
		unsigned char *block);
/* Frees the value lists of nblocks groups' blocks of accumulators, one after another. */
void agg_acc_free(const struct agg_slot *slots, size_t n, unsigned char *blocks, size_t nblocks);
/* Empties a block of accumulators for another group, as new but for the room of their lists of numbers (agg_acc_free frees it). */
void agg_acc_empty(const struct agg_slot *slots, size_t n, unsigned char *block);
/* The bytes a group's accumulators' value lists fill. */
uint64_t agg_acc_kept_bytes(const struct agg_slot *slots, size_t n, const unsigned char *block);

/* Orders two values: by type, then numbers and dates as such, texts bytewise (sorting, not the language's <). */
int value_order(const struct value *a, const struct value *b);
/* As value_order, but texts in natural order: runs of digits by their value (S2 before S10), then fewer leading zeros first. */
int value_order_natural(const struct value *a, const struct value *b);

/* Appends a value as message text: numbers without trailing zeros, dates as YYYY-MM-DD. */
void value_format(const struct value *v, struct buf *out);
/* Appends a value as JSON. */
void value_json(const struct value *v, struct buf *out);
/* Appends named values as a JSON object: {"county_code":"441802","year":2024}. */
void values_object_json(const char *const *names, const struct value *v, size_t n, struct buf *out);
/* Appends a value to a hash key's bytes, typed so that "1" and 1 stay apart. */
void value_key(struct buf *key, const struct value *v);

#endif
