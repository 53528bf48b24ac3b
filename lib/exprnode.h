/*
 * exprnode.h — the compiled form of an expression, private to expr.c (which
 * parses and type-checks it), exprcall.c (which type-checks its calls),
 * exprplan.c (which plans how it is evaluated), expreval.c (which evaluates
 * it) and expragg.c (which keeps its aggregates' accumulators).  Nodes live
 * in one array and refer to each other by index.
 */
#ifndef QY_EXPRNODE_H
#define QY_EXPRNODE_H

#include "expr.h"
#include "reftable.h"

#include <math.h>

enum op {
	OP_LIT, OP_COL, OP_KEY, OP_AGG, OP_CALL, OP_NEG, OP_NOT,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_AND, OP_OR, OP_COND, OP_IN,
};

enum fn {
	F_IS_NULL, F_LEN, F_YEAR, F_MONTH, F_DAY, F_DAYS_IN_MONTH, F_ABS, F_ROUND, F_MIN, F_MAX,
	F_MATCHES, F_LOOKUP, F_TARGET, F_BASELINE, F_PROGRESS, F_SCHEDULE, F_BINDING, F_AQI,
	F_WATER_CLASS, F_DATE, F_NUMBER, F_CLASS, F_SUBSTR, F_MAX_OF, F_MIN_OF, F_COALESCE,
	F_CEIL, F_FLOOR, F_AQI_DAY, F_AQI_TOP, F_AQI_OVER, F_AQI_LEVEL, F_AQI_CATEGORY, F_AQI_GRADE,
	F_SAME_POLLUTANTS, F_WATER_CLASS_NAME, F_NAME_OF_MAX, F_IN_FILE, F_PREV, F_LAG, F_LONGEST_RUN, F_AS_OF, F_DUE, F_ON_TRACK, F_MEDIAN, F_MAD, F_COUNT_DISTINCT,
	F_LONGEST_RUN_FROM, F_LONGEST_EQUAL_RUN, F_LONGEST_EQUAL_RUN_FROM, F_LONGEST_EQUAL_RUN_VALUE,
	F_ROBUST_Z, F_DEVIATES, F_EQUAL,
	F_COUNT, F_COUNT_IF, F_SUM, F_MEAN, F_AGG_MIN, F_AGG_MAX, F_RATIO, F_PERCENTILE,
	F_MAX_CHANGE,
};

struct node;
struct expr;
struct eval_ctx;

/* Evaluates one node; chosen per node once compiled, so evaluation needs no switch on the op. */
typedef struct value (*evaluator)(const struct expr *e, const struct node *x, const struct eval_ctx *ctx);

struct node {
	evaluator fn;
	enum op op;
	enum vtype type;
	int pos;                  /* byte offset in its source text */
	int let;                  /* that text: the let it was expanded from, or -1 for the expression's own */
	int depth;                /* levels of the subtree it roots, itself included */
	int a, b, c;              /* children, -1 when absent */
	int args, nargs;          /* call arguments and 'in' lists: indexes into argv */
	struct value lit;         /* OP_LIT */
	int index;                /* column, group key, slot, or function id */
	int acc;                  /* an aggregate: its slot's accumulator's byte offset in a group's block */
	int param;                /* pollutant, water parameter or table column; an aggregate's kind */
	int part;                 /* a run aggregate: 0 its length, 1 where it began, 2 its value;
				     robust_z(), deviates(): the byte offset of the median's
				     accumulator in a group's block (keycol: of the MAD's) */
	const struct reftable *table;
	int keycol;               /* lookup(): the key column; robust_z(), deviates(): the MAD's accumulator */
	void *re, *md;            /* pcre2 code and match data for matches() */
	int memo;                 /* a let whose value is remembered by its inputs (expreval.c), or -1 */
	int inputs, ninputs;      /* that let's input columns: indexes into memo_cols; ninputs -1: by the row alone */
	evaluator unremembered;   /* and its own evaluator */
	int fixed;                /* a value of the group that is the same on each of its rows (expr_fixed), or -1 */
	evaluator unfixed;        /* and its own evaluator */
	int cell;                 /* an evaluator of one shape (a column compared with something, a
				     column's null test, a date part of a column): the column it reads */
	struct value against;     /* a column against a literal: that literal */
	int tests, ntests;        /* && or || of tests of columns alone (expr_cell_tests): its operands, indexes into argv */
};

struct expr {
	char *src;
	const struct let *lets;   /* the rule set's, for the text of expanded nodes */
	struct node *nodes;
	int nnodes, cap;
	int *argv;
	int nargv, capargv;
	int *arg_cols;            /* per entry of argv, the column its node is, or -1: read by the evaluators of calls of columns */
	int root;
	enum vtype type;
	char *key_name;
	size_t *cols;
	size_t ncols;
	char **owned;             /* string literals */
	size_t nowned;
	const struct expr_columns *columns; /* the scope's columns (NULL: the rule set's), naming remembered lets */
	int *memo_cols;           /* the input columns of remembered lets, and of a root remembered by its texts */
	int nmemo_cols;
	int text_memo;            /* a root of text cells alone remembered by their bytes: the thread's slot it takes */
};

/* The furthest lag(x, n) may look back. */
#define MAX_LAG 400

/* The most arguments a call may have. */
#define MAX_ARGS 64

/* How many lets (the first of the rule set), of how many input columns each, a thread remembers. */
#define MEMO_LETS 32
#define MEMO_INPUTS 8

/* How many roots of text cells alone a thread remembers, and the most bytes of their cells each keeps. */
#define TEXT_MEMOS 16
#define TEXT_MEMO_BYTES 128

/*
 * The evaluator of a compiled node; for the shapes rules use most on each row
 * (a column compared with a literal or anything else, a column tested for
 * null, year() or month() of a column), one that reads the column itself,
 * whose operands it copies into the node.
 */
evaluator expr_evaluator_of(const struct expr *e, struct node *x);

/* The evaluator of a remembered let's root: its value again when its input cells are the same. */
struct value expr_remembered(const struct expr *e, const struct node *x, const struct eval_ctx *ctx);

/*
 * The evaluator of an expression's root that a function computes from text
 * cells alone (lookup(…, county, …) == lookup(…, county_code, …)): its
 * value again while those cells hold the same bytes.
 */
struct value expr_remembered_by_texts(const struct expr *e, const struct node *x, const struct eval_ctx *ctx);

/* The evaluator of a value of the group alone: worked out on a group's first row, the same on the rest. */
struct value expr_fixed(const struct expr *e, const struct node *x, const struct eval_ctx *ctx);

/* True if a node tests one column alone: compares it with a literal, or tests it for null. */
bool expr_tests_a_cell(const struct node *x);

/* The evaluator of a chain of && (or of ||) whose operands all test a column alone, listed in tests. */
struct value expr_cell_tests(const struct expr *e, const struct node *x, const struct eval_ctx *ctx);

/*
 * True if a node is a band of one column: && of two comparisons of it with
 * literals of one type (aqi > 95 && aqi <= 100), written to band.
 */
bool expr_band(const struct expr *e, const struct node *x, struct agg_band *band);

/*
 * What the parser (expr.c) shares with the type checks of calls (exprcall.c):
 * the tokens, the parser's state, and the error it records first.
 */
enum tok {
	T_END, T_NUM, T_STR, T_IDENT, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA,
	T_QUEST, T_COLON, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_NOT, T_EQ, T_NE, T_LT, T_LE,
	T_GT, T_GE, T_AND, T_OR, T_IN, T_TRUE, T_FALSE, T_NULL, T_BAD,
};

struct parser {
	struct expr *e;
	struct expr_scope *scope;
	const char *s;
	size_t i;
	enum tok tok;
	size_t tok_pos, tok_len;
	double tok_num;
	struct buf tok_str;
	int depth;
	int let;                  /* the let being expanded (P->s is its text), or -1 */
	int *let_parent;          /* per let being expanded: the let it is expanded in, or -1 */
	bool failed;
	char *err;
	size_t errlen;
	int err_pos;
};

/* A function the parser knows: its name, id, how many arguments, and whether it aggregates. */
struct fninfo {
	const char *name;
	enum fn id;
	int min_args, max_args;
	bool aggregate;
};

/* Node i of the expression being parsed. */
static inline struct node *N(struct parser *P, int i) { return &P->e->nodes[i]; }

/* True if a value of type have may stand where want is expected. */
static inline bool fits(enum vtype have, enum vtype want)
{
	return have == want || have == V_ANY || have == V_NULL || want == V_ANY;
}

/* Records the first error, at a node (which may come from a let) (expr.c). */
void perr_node(struct parser *P, const struct node *x, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The type checks of calls (exprcall.c): a row function's, which resolves
 * its literal arguments; an aggregate's, which becomes an accumulator slot of
 * the scope; and whether a subtree holds an aggregate call.
 */
enum vtype check_call(struct parser *P, int call, const struct fninfo *f);
enum vtype make_aggregate(struct parser *P, int call, const struct fninfo *f);
bool contains_aggregate(const struct expr *e, int n);

/* True if node n of a and node m of b are the same expression, literal for literal (exprcall.c). */
bool same_tree(const struct expr *a, int n, const struct expr *b, int m);

/* Appends argument node indexes to the expression's list; returns where they start (expr.c). */
int add_args(struct expr *e, const int *items, int n);

/*
 * The passes that plan a parsed expression's evaluation (exprplan.c), which
 * expr_compile runs in this order: remembered lets, values of the group (in
 * a row rule judged in order), joined tests of cells, a root remembered by
 * its text cells, and how the slots made since first, and those a later
 * call changed (agg_slot.replan), read their arguments (and the scope's
 * runs of slots, agg_plan_runs, marked again).
 */
void remember_lets(struct expr *e);
void fix_group_values(struct expr *e, int n, struct expr_scope *scope);
void join_cell_tests(struct expr *e);
void remember_by_texts(struct expr *e, const struct expr_scope *scope);
void pick_slot_reads(struct expr_scope *sc, size_t first);

/* The value of an aggregate for the group being judged (expragg.c). */
struct value aggregate(const struct node *x, const struct eval_ctx *ctx);

/* The p-th percentile of an accumulator's numbers, and their median absolute deviation (expragg.c). */
double percentile(struct agg_acc *acc, double p);
double mad(struct agg_acc *acc);

/* The evaluators of a test of one column alone (expr_tests_a_cell), which cell_test tells apart (expreval.c). */
struct value ev_compare_cell(const struct expr *e, const struct node *x, const struct eval_ctx *ctx);
struct value ev_cell_present(const struct expr *e, const struct node *x, const struct eval_ctx *ctx);
struct value ev_cell_absent(const struct expr *e, const struct node *x, const struct eval_ctx *ctx);

/*
 * The helpers of evaluation that the accumulators (expragg.c) take on each
 * row as well, inline here so that neither side pays a call for them.
 */
static const struct value null_value = {.type = V_NULL};

/* A number, or null when arithmetic has run past what a double holds. */
static inline struct value num(double v) { return isfinite(v) ? (struct value){.type = V_NUM, .num = v} : null_value; }
static inline struct value boolean(bool v) { return (struct value){.type = V_BOOL, .num = v}; }

static inline struct value ev_lit(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e, (void)ctx;
	return x->lit;
}

/* A cell of the row; null outside a row (a group's values are judged without one). */
static inline struct value cell(const struct eval_ctx *ctx, int col)
{
	return ctx->row ? ctx->row[col] : null_value;
}

static inline struct value ev_col(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return cell(ctx, x->index);
}

/* Evaluates node n: a column or a literal inline, anything else through its evaluator. */
static inline struct value eval(const struct expr *e, int n, const struct eval_ctx *ctx)
{
	const struct node *x = &e->nodes[n];
	if (x->op == OP_COL)
		return ev_col(e, x, ctx);
	if (x->op == OP_LIT)
		return ev_lit(e, x, ctx);
	return x->fn(e, x, ctx);
}

/* Node n's value: a cell of the row where it lies, anything else evaluated into *held (cheaper than a copy of the cell). */
static inline const struct value *value_at(const struct expr *e, int n, const struct eval_ctx *ctx, struct value *held)
{
	const struct node *x = &e->nodes[n];
	if (x->op == OP_COL && ctx->row)
		return &ctx->row[x->index];
	*held = eval(e, n, ctx);
	return held;
}

/* Per comparison operator, the outcomes of a comparison that make it true: bit 0 less, 1 equal, 2 greater. */
static const unsigned char holds[] = {[OP_EQ] = 2, [OP_NE] = 5, [OP_LT] = 1, [OP_LE] = 3, [OP_GT] = 4, [OP_GE] = 6};

/* The accumulator at a byte offset in the block of the group being judged. */
static inline struct agg_acc *acc_at(const struct eval_ctx *ctx, int at)
{
	return (struct agg_acc *)(void *)(ctx->accs + at);
}

/*
 * A column compared with a number, date or boolean literal: compare() on the
 * cell itself, which a cell of another type (null among them) cannot pass.
 */
static inline struct value compare_cell(const struct node *x, const struct eval_ctx *ctx)
{
	if (!ctx->row || ctx->row[x->cell].type != x->against.type)
		return null_value;
	double v = ctx->row[x->cell].num, lit = x->against.num;
	return boolean(num_passes(v, lit, holds[x->op]));
}

/* "column != null", reading the cell itself. */
static inline struct value cell_present(const struct node *x, const struct eval_ctx *ctx)
{
	return boolean(ctx->row && ctx->row[x->cell].type != V_NULL);
}

/* "column == null", reading the cell itself. */
static inline struct value cell_absent(const struct node *x, const struct eval_ctx *ctx)
{
	return boolean(!ctx->row || ctx->row[x->cell].type == V_NULL);
}

/* The value of a test of a column (see expr_tests_a_cell), in place. */
static inline struct value cell_test(const struct node *x, const struct eval_ctx *ctx)
{
	if (x->fn == ev_compare_cell)
		return compare_cell(x, ctx);
	return x->fn == ev_cell_present ? cell_present(x, ctx) : cell_absent(x, ctx);
}

#endif
