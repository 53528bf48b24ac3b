/*
 * exprplan.c — planning how a parsed expression is evaluated, the passes
 * after parsing and type-checking: lets remembered by their inputs, a row
 * expression of text cells alone remembered by their bytes, values of the
 * group fixed on its first row, chains of tests of cells joined into one
 * step, how each aggregate slot reads its argument; and which inputs can
 * make an expression null (expr_null_inputs).  expr.c parses and
 * type-checks what these passes plan; expreval.c runs it.
 */
#include "exprnode.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/*
 * True if subtree n's value follows from the row's cells alone: no group key,
 * aggregate, earlier row, file layout, date of the run or pattern match (whose
 * limits are reported on the side), so equal cells give an equal value.
 */
static bool from_cells_alone(const struct expr *e, int n)
{
	if (n < 0)
		return true;
	const struct node *x = &e->nodes[n];
	if (x->op == OP_KEY || x->op == OP_AGG)
		return false;
	if (x->op == OP_CALL)
		switch ((enum fn)x->index) {
		case F_MATCHES: case F_IN_FILE: case F_PREV: case F_LAG: case F_AS_OF: case F_SCHEDULE:
		case F_DUE: case F_ON_TRACK: case F_ROBUST_Z: case F_DEVIATES:
			return false;
		default:
			break;
		}
	for (int k = 0; k < x->nargs; k++)
		if (!from_cells_alone(e, e->argv[x->args + k]))
			return false;
	return from_cells_alone(e, x->a) && from_cells_alone(e, x->b) && from_cells_alone(e, x->c);
}

/* True if subtree n calls a function other than is_null(): what is worth remembering. */
static bool calls_function(const struct expr *e, int n)
{
	if (n < 0)
		return false;
	const struct node *x = &e->nodes[n];
	if (x->op == OP_CALL && x->index != F_IS_NULL)
		return true;
	for (int k = 0; k < x->nargs; k++)
		if (calls_function(e, e->argv[x->args + k]))
			return true;
	return calls_function(e, x->a) || calls_function(e, x->b) || calls_function(e, x->c);
}

/*
 * Adds the columns subtree n reads to cols (*ncols of them so far), once
 * each; false past max, or, with texts_only, for a column that is not text.
 */
static bool add_columns(const struct expr *e, int n, bool texts_only, int *cols, int *ncols, int max)
{
	if (n < 0)
		return true;
	const struct node *x = &e->nodes[n];
	if (x->op == OP_COL) {
		if (texts_only && x->type != V_STR)
			return false;
		for (int k = 0; k < *ncols; k++)
			if (cols[k] == x->index)
				return true;
		if (*ncols == max)
			return false;
		cols[(*ncols)++] = x->index;
		return true;
	}
	for (int k = 0; k < x->nargs; k++)
		if (!add_columns(e, e->argv[x->args + k], texts_only, cols, ncols, max))
			return false;
	return add_columns(e, x->a, texts_only, cols, ncols, max) && add_columns(e, x->b, texts_only, cols, ncols, max) &&
	       add_columns(e, x->c, texts_only, cols, ncols, max);
}

/* Makes the columns subtree n reads its let's inputs, once each, at the end of e's memo_cols; false past MEMO_INPUTS. */
static bool add_inputs(struct expr *e, int n, struct node *let)
{
	int cols[MEMO_INPUTS], ncols = 0;
	if (!add_columns(e, n, false, cols, &ncols, MEMO_INPUTS))
		return false;
	if (ncols) {
		e->memo_cols = xrealloc(e->memo_cols, (size_t)(e->nmemo_cols + ncols) * sizeof *e->memo_cols);
		memcpy(e->memo_cols + e->nmemo_cols, cols, (size_t)ncols * sizeof *cols);
		e->nmemo_cols += ncols;
	}
	let->ninputs = ncols;
	return true;
}

/* True if the arguments of call node n are all columns. */
static bool columns_alone(const struct expr *e, int n)
{
	const struct node *c = &e->nodes[n];
	for (int k = 0; k < c->nargs; k++)
		if (e->arg_cols[c->args + k] < 0)
			return false;
	return true;
}

/*
 * Makes the root of each let expanded here remember its value, which rules
 * that name the same let read again for the same row, when a function
 * computes it from the row's cells alone (a few null tests cost less than
 * remembering them).  A number, date or boolean of at most MEMO_INPUTS cells
 * is remembered by those cells too; any other (a string may be borrowed from
 * the row, and dies with it; aqi_day() and its kin remember their last items
 * themselves, for the three of them, on any row) by the row alone.  Those
 * of seven columns are not remembered here: what they remember is the
 * row's items of those columns, as cheap to read again as a memo.
 */
void remember_lets(struct expr *e)
{
	for (int i = 0; i < e->nnodes; i++) {
		struct node *x = &e->nodes[i];
		if (x->memo < 0)
			continue;
		int used = e->nmemo_cols;
		x->inputs = used;
		bool remembers_itself = x->op == OP_CALL && (x->index == F_AQI_DAY || x->index == F_AQI_TOP ||
							    x->index == F_AQI_OVER);
		bool worth = x->memo < MEMO_LETS && !(remembers_itself && columns_alone(e, i)) && calls_function(e, i) &&
			     from_cells_alone(e, i);
		bool by_inputs = (x->type == V_NUM || x->type == V_DATE || x->type == V_BOOL) && !remembers_itself;
		if (!worth) {
			x->memo = -1;
			continue;
		}
		if (!by_inputs || !add_inputs(e, i, x)) {
			e->nmemo_cols = used;
			x->ninputs = -1;
		}
		x->unremembered = x->fn;
		x->fn = expr_remembered;
	}
}

/* True if every column subtree n reads is a text column, and no let in it is remembered by itself. */
static bool reads_texts_alone(const struct expr *e, int n)
{
	if (n < 0)
		return true;
	const struct node *x = &e->nodes[n];
	if (x->op == OP_COL)
		return x->type == V_STR;
	if (x->memo >= 0)
		return false;
	for (int k = 0; k < x->nargs; k++)
		if (!reads_texts_alone(e, e->argv[x->args + k]))
			return false;
	return reads_texts_alone(e, x->a) && reads_texts_alone(e, x->b) && reads_texts_alone(e, x->c);
}

/*
 * Makes a row expression that a function computes from at most MEMO_INPUTS
 * text cells alone, to a number, date or boolean, remember its value by
 * those cells' bytes: the rows of a file repeat their county, station or
 * section row after row, and a rule that looks their names and codes up
 * (county-name-matches-code) gives the same answer until one changes.
 * Measured cells (numbers) rarely repeat, so what reads one is left alone,
 * and so is what holds a remembered let, whose value is the row's (by its stamp).
 */
void remember_by_texts(struct expr *e, const struct expr_scope *scope)
{
	static atomic_uint next_slot;
	struct node *x = &e->nodes[e->root];
	if (scope->aggregate || x->memo >= 0 || x->fixed >= 0 || x->fn == expr_cell_tests ||
	    (x->type != V_BOOL && x->type != V_NUM && x->type != V_DATE) || !calls_function(e, e->root) ||
	    !from_cells_alone(e, e->root) || !reads_texts_alone(e, e->root))
		return;
	int used = e->nmemo_cols;
	x->inputs = used;
	x->ninputs = 0;
	if (!add_inputs(e, e->root, x) || x->ninputs == 0) {
		e->nmemo_cols = used;
		x->ninputs = 0;
		return;
	}
	e->text_memo = (int)(atomic_fetch_add_explicit(&next_slot, 1, memory_order_relaxed) % TEXT_MEMOS);
	x->unremembered = x->fn;
	x->fn = expr_remembered_by_texts;
}

/*
 * True if subtree n reads nothing of the row, only the group (aggregates,
 * group keys; reads_group set then), literals and what functions make of them.
 */
static bool of_group_alone(const struct expr *e, int n, bool *reads_group)
{
	if (n < 0)
		return true;
	const struct node *x = &e->nodes[n];
	if (x->op == OP_AGG || x->op == OP_KEY) /* an aggregate's argument is read by the rows before, not here */
		return *reads_group = true;
	if (x->op == OP_COL)
		return false;
	if (x->op == OP_CALL)
		switch ((enum fn)x->index) {
		case F_MATCHES: case F_IN_FILE: case F_PREV: case F_LAG: case F_ROBUST_Z: case F_DEVIATES:
			return false;
		default:
			break;
		}
	for (int k = 0; k < x->nargs; k++)
		if (!of_group_alone(e, e->argv[x->args + k], reads_group))
			return false;
	return of_group_alone(e, x->a, reads_group) && of_group_alone(e, x->b, reads_group) &&
	       of_group_alone(e, x->c, reads_group);
}

/*
 * In a row rule judged in order, makes each largest subtree that reads the
 * group alone (count_if(x != null) >= 10, 5 * median(x)) a value of the
 * group, worked out on its first row and read again on the others.
 */
void fix_group_values(struct expr *e, int n, struct expr_scope *scope)
{
	if (n < 0)
		return;
	struct node *x = &e->nodes[n];
	bool reads_group = false;
	if (of_group_alone(e, n, &reads_group) && reads_group) {
		x->fixed = (int)scope->nfixed++;
		x->unfixed = x->fn;
		x->fn = expr_fixed;
		return;
	}
	for (int k = 0; k < x->nargs; k++)
		fix_group_values(e, e->argv[x->args + k], scope);
	fix_group_values(e, x->a, scope);
	fix_group_values(e, x->b, scope);
	fix_group_values(e, x->c, scope);
}

/* The most operands a chain of tests of columns is evaluated as one (expr_cell_tests). */
#define MAX_TESTS 32

/*
 * Lists the operands of the chain of op (&& or ||) that node n heads, left to
 * right, into tests; false if one is not a test of a column alone or there
 * are too many.  A chain remembered or fixed as a whole keeps its own evaluator.
 */
static bool gather_tests(const struct expr *e, int n, enum op op, int *tests, int *ntests)
{
	const struct node *x = &e->nodes[n];
	if (x->op == op && x->memo < 0 && x->fixed < 0)
		return gather_tests(e, x->a, op, tests, ntests) && gather_tests(e, x->b, op, tests, ntests);
	if (!expr_tests_a_cell(x) || *ntests == MAX_TESTS)
		return false;
	tests[(*ntests)++] = n;
	return true;
}

/* Evaluates each chain of && (or of ||) of tests of columns alone in one step, without a call per operand. */
void join_cell_tests(struct expr *e)
{
	for (int i = 0; i < e->nnodes; i++) {
		struct node *x = &e->nodes[i];
		int tests[MAX_TESTS], ntests = 0;
		if ((x->op != OP_AND && x->op != OP_OR) || x->memo >= 0 || x->fixed >= 0 ||
		    !gather_tests(e, i, x->op, tests, &ntests))
			continue;
		x->tests = add_args(e, tests, ntests);
		x->ntests = ntests;
		x->fn = expr_cell_tests;
	}
}

/*
 * Picks how agg_update reads the argument of slot i: a column's cell where
 * it lies, a test of a column in place, or the value of an earlier slot's
 * same argument (ratio(x) in a message and count_if(x) in its assert), so
 * that each row works each argument out once; and the step of its own that
 * the commonest aggregates of a column take.  A band of a column
 * (count_if(aqi > 95 && aqi <= 100)) is cheaper to test again than to hand
 * on: count_if() and ratio() of one test it in place.
 */
static void pick_slot_read(struct expr_scope *sc, size_t i)
{
	struct agg_slot *s = &sc->slots[i];
	const struct expr *e = s->expr;
	s->replan = false;
	if (s->arg < 0) {
		s->read = AGG_READ_NONE;
		s->step = s->kind == AGG_COUNT ? AGG_STEP_COUNT : AGG_STEP_ANY;
		return;
	}
	const struct node *x = &e->nodes[s->arg];
	bool band = (s->kind == AGG_COUNT_IF || s->kind == AGG_RATIO) && expr_band(e, x, &s->band);
	s->read = x->op == OP_COL ? AGG_READ_CELL : expr_tests_a_cell(x) ? AGG_READ_TEST : AGG_READ_EVAL;
	bool present = s->kind == AGG_COUNT_IF && x->fn == ev_cell_present;
	bool distinct_cells = s->kind == AGG_COUNT_DISTINCT && columns_alone(e, s->call);
	s->cell = x->op == OP_COL ? x->index : band ? e->nodes[e->argv[x->tests]].cell : present ? x->cell : -1;
	for (size_t j = 0; s->read != AGG_READ_CELL && !band && j < i && j < AGG_SHARED_MAX; j++) {
		struct agg_slot *o = &sc->slots[j];
		if (o->arg >= 0 && o->read != AGG_READ_SHARED && same_tree(o->expr, o->arg, e, s->arg)) {
			s->read = AGG_READ_SHARED, s->shared = (int)j, o->gives = true;
			if (o->step != AGG_STEP_BAND)
				o->step = AGG_STEP_ANY; /* which keeps the value for s, as a band's step does */
			break;
		}
	}
	s->step = s->read == AGG_READ_CELL && (s->kind == AGG_SUM || s->kind == AGG_MEAN) ? AGG_STEP_SUM_CELL
		: s->read == AGG_READ_CELL && s->kind == AGG_PERCENTILE
			? (s->counts ? AGG_STEP_KEEP_COUNT_CELL : AGG_STEP_KEEP_CELL)
		: s->read == AGG_READ_CELL && s->kind == AGG_LONGEST_EQUAL_RUN ? AGG_STEP_EQUAL_RUN_CELL
		: present && s->read == AGG_READ_TEST ? AGG_STEP_COUNT_PRESENT
		: s->read == AGG_READ_TEST && s->kind == AGG_COUNT_IF ? AGG_STEP_COUNT_IF_TEST
		: band ? AGG_STEP_BAND
		: distinct_cells ? AGG_STEP_DISTINCT_CELLS
		: AGG_STEP_ANY;
	if (s->gives && s->step != AGG_STEP_BAND) /* picked again (replan) after a later slot took its value */
		s->step = AGG_STEP_ANY;
}

void pick_slot_reads(struct expr_scope *sc, size_t first)
{
	for (size_t i = 0; i < sc->nslots; i++)
		if (i >= first || sc->slots[i].replan)
			pick_slot_read(sc, i);
	agg_plan_runs(sc->slots, sc->nslots);
}

/*
 * Marks the columns whose presence the left side of && or || settles for its
 * right side: "x != null && …" and "x == null || …" (through nested && or ||).
 */
static void mark_tested(const struct expr *e, int n, enum op op, bool *covered)
{
	const struct node *x = &e->nodes[n];
	bool is_null_call = x->op == OP_CALL && x->index == F_IS_NULL;
	bool not_null = x->op == OP_NOT && e->nodes[x->a].op == OP_CALL && e->nodes[x->a].index == F_IS_NULL;
	if (x->op == op) {
		mark_tested(e, x->a, op, covered);
		mark_tested(e, x->b, op, covered);
	} else if (op == OP_AND ? not_null : is_null_call) {
		const struct node *test = op == OP_AND ? &e->nodes[x->a] : x;
		const struct node *arg = &e->nodes[e->argv[test->args]];
		if (arg->op == OP_COL)
			covered[arg->index] = true;
	}
}

/*
 * Whether subtree n can be null when some of the inputs not in covered are
 * null, marking those inputs in hit: null passes through operators and
 * functions, but is_null(), equal(), in_file() and count-like aggregates are
 * never null, and coalesce(), max_of() and min_of() are null only when every
 * argument can be.
 */
static bool null_from_inputs(const struct expr *e, int n, const bool *covered, size_t ncols, bool *hit)
{
	const struct node *x = &e->nodes[n];
	switch (x->op) {
	case OP_LIT: return x->lit.type == V_NULL;
	case OP_COL:
		if (covered[x->index])
			return false;
		hit[x->index] = true;
		return true;
	case OP_KEY: case OP_AGG: return false;
	default: break;
	}
	bool all = x->nargs > 0, any = false;
	bool lenient = x->op == OP_CALL && (x->index == F_COALESCE || x->index == F_MAX_OF || x->index == F_MIN_OF);
	if (x->op == OP_CALL && (x->index == F_IS_NULL || x->index == F_EQUAL || x->index == F_IN_FILE))
		return false;
	if (x->op == OP_AND || x->op == OP_OR) { /* "x != null && f(x)": f sees x present */
		bool *inner = xcalloc(ncols + 1, sizeof *inner);
		memcpy(inner, covered, ncols * sizeof *inner);
		mark_tested(e, x->a, x->op, inner);
		bool left = null_from_inputs(e, x->a, covered, ncols, hit); /* both sides, for what each hits */
		bool right = null_from_inputs(e, x->b, inner, ncols, hit);
		free(inner);
		return left || right;
	}
	const int kids[3] = {x->a, x->b, x->c};
	for (int k = 0; k < 3; k++)
		if (kids[k] >= 0)
			any |= null_from_inputs(e, kids[k], covered, ncols, hit);
	for (int k = 0; k < x->nargs; k++) {
		bool one = null_from_inputs(e, e->argv[x->args + k], covered, ncols, hit);
		any |= one;
		all &= one;
	}
	return lenient ? all : any;
}

size_t expr_null_inputs(const struct expr *e, const bool *covered, size_t ncols, size_t *out)
{
	bool *hit = xcalloc(ncols + 1, sizeof *hit);
	size_t n = 0;
	if (null_from_inputs(e, e->root, covered, ncols, hit))
		for (size_t c = 0; c < ncols; c++)
			if (hit[c])
				out[n++] = c;
	free(hit);
	return n;
}

int expr_key_cell(const struct expr *e, bool *month_part)
{
	const struct node *x = &e->nodes[e->root];
	*month_part = false;
	if (x->op == OP_COL)
		return x->index;
	if (x->op != OP_CALL || (x->index != F_YEAR && x->index != F_MONTH) || x->nargs != 1 ||
	    e->nodes[e->argv[x->args]].op != OP_COL)
		return -1;
	*month_part = true;
	return e->nodes[e->argv[x->args]].index;
}

int expr_text_inputs(const struct expr *e, int node, int *cols, int n, int max)
{
	int at = node < 0 ? e->root : node;
	if (!from_cells_alone(e, at) || !add_columns(e, at, true, cols, &n, max))
		return -1;
	return n;
}

bool expr_key_is_year(const struct expr *e)
{
	const struct node *x = &e->nodes[e->root];
	return x->op == OP_CALL && x->index == F_YEAR;
}
