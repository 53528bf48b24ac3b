/*
 * expreval.c — evaluating compiled expressions: operators with the null rule,
 * the row functions, and the aggregate accumulators.  Evaluation is a
 * recursive walk whose depth the parser bounds, through an evaluator function
 * picked for each node when it is compiled; it allocates nothing.  The shapes
 * rules test most rows with (a column against a literal, a column's null
 * test, a chain of && or || of those, year() of a column) have evaluators of
 * their own that read the cells directly.  A row updates each aggregate
 * slot by the step picked for it when compiled (agg_step): the commonest
 * read their column themselves, a band of one column (aqi > 95 && aqi <=
 * 100) is tested from the two literals its slot keeps, and a slot whose
 * argument an earlier one has takes that one's value.  Percentiles select
 * their two ranks rather than sort.  aqi_day(), aqi_top() and aqi_over()
 * share the individual indexes of the last seven items they were given (of
 * seven columns, read where they lie); lookup() remembers the last key it
 * found in each table column, a let holds for the row whose stamp it was
 * worked out on, and an expression of text cells alone that calls a function
 * (a lookup of the row's county) holds while those cells' bytes do.  A when
 * is planned once a file's columns are known (expr_when_plan): what they
 * settle drops out.  A rule judged in order is reduced, once its group's
 * values are known, to tests of cells against constants (row_test_reduce).
 */
#include "exprnode.h"
#include "celltype.h"
#include "jsonw.h"
#include "ruleset.h"
#include "standards.h"
#include "targets.h"
#include "utf8.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct value null_value = {.type = V_NULL};

/* How many times an expression has been freed: what a thread remembered before then may be gone. */
static atomic_ulong generation = 1; /* 0 is a memo never filled */

/* A number, or null when arithmetic has run past what a double holds. */
static struct value num(double v) { return isfinite(v) ? (struct value){.type = V_NUM, .num = v} : null_value; }
static struct value boolean(bool v) { return (struct value){.type = V_BOOL, .num = v}; }

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

/* Compares two strings byte by byte, a prefix first: -1, 0 or 1. */
static int compare_text(const struct value *x, const struct value *y)
{
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, n);
	if (c)
		return c < 0 ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Per comparison operator, the outcomes of a comparison that make it true: bit 0 less, 1 equal, 2 greater. */
static const unsigned char holds[] = {[OP_EQ] = 2, [OP_NE] = 5, [OP_LT] = 1, [OP_LE] = 3, [OP_GT] = 4, [OP_GE] = 6};

/* Compares two non-null values: 1 if the outcome is one of passes (see holds), 0 if not, -1 if they do not compare. */
static inline int compare(const struct value *x, const struct value *y, unsigned passes)
{
	if (x->type != y->type)
		return -1;
	if (x->type == V_STR)
		return passes >> (compare_text(x, y) + 1) & 1;
	return num_passes(x->num, y->num, passes);
}

/* Evaluates + - * / with the null rule and date arithmetic. */
static struct value arith(enum op op, struct value x, struct value y)
{
	if (x.type == V_NULL || y.type == V_NULL)
		return null_value;
	if (x.type == V_DATE && y.type == V_NUM && (op == OP_ADD || op == OP_SUB)) {
		double days = op == OP_ADD ? x.num + y.num : x.num - y.num;
		if (!(fabs(days) <= DATE_DAYS_LIMIT))
			return null_value;
		return (struct value){.type = V_DATE, .num = days};
	}
	if (x.type == V_DATE && y.type == V_DATE && op == OP_SUB)
		return num(x.num - y.num);
	if (x.type != V_NUM || y.type != V_NUM)
		return null_value;
	switch (op) {
	case OP_ADD: return num(x.num + y.num);
	case OP_SUB: return num(x.num - y.num);
	case OP_MUL: return num(x.num * y.num);
	default: return y.num == 0 ? null_value : num(x.num / y.num);
	}
}

/* Turns a key value into text for a table lookup. */
static const char *key_text(const struct value *v, char *tmp, size_t size, size_t *len)
{
	if (v->type == V_STR) {
		*len = v->len;
		return v->str;
	}
	struct buf b = {0};
	value_format(v, &b);
	snprintf(tmp, size, "%s", b.data ? b.data : "");
	buf_free(&b);
	*len = strlen(tmp);
	return tmp;
}

/* Finds the target-table row for an indicator and an optional scope value. */
static bool target_row(const struct eval_ctx *ctx, const struct value *id, const struct value *scope,
		       size_t *row)
{
	if (id->type != V_STR || !ctx->rs->targets)
		return false;
	const char *s = scope && scope->type == V_STR ? scope->str : NULL;
	size_t slen = s ? scope->len : 0;
	return targets_row(ctx->rs->targets, id->str, id->len, s, slen, row);
}

/* Share of the way from baseline to target that value has come. */
static struct value progress(const struct targets *tg, size_t row, double v)
{
	double b = 0, t;
	if ((!targets_cumulative(tg, row) && !targets_number(tg, row, tg->c_baseline, &b)) ||
	    !targets_number(tg, row, tg->c_target, &t) || targets_meets(tg, row, b, t))
		return null_value; /* a target met in 2020 has no way to come: it is kept, or not */
	return num((v - b) / (t - b));
}

/* on_track(): the value meets the 2025 target, or stands where the schedule says it should by then. */
static struct value on_track(const struct targets *tg, size_t row, double v, double year, const double *as_of)
{
	double t, due;
	if (targets_number(tg, row, tg->c_target, &t) && targets_meets(tg, row, v, t))
		return boolean(true);
	if (!targets_due(tg, row, year, as_of, &due))
		return null_value;
	return boolean(targets_meets(tg, row, v, due));
}

/* Byte length of the character a lead byte starts (1 for ASCII and stray bytes). */
static size_t char_bytes(unsigned char lead)
{
	return lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
}

/* Characters start… (1-based) of s, at most len of them, as in Excel's MID. */
static struct value substring(const struct value *s, double start, double len)
{
	const unsigned char *u = (const unsigned char *)s->str;
	size_t i = 0;
	for (double k = 1; k < start && i < s->len; k++)
		i += char_bytes(u[i]);
	size_t from = i < s->len ? i : s->len;
	for (double k = 0; k < len && i < s->len; k++)
		i += char_bytes(u[i]);
	if (i > s->len)
		i = s->len;
	return (struct value){.type = V_STR, .str = s->str + from, .len = i - from};
}

/*
 * min() or max() of the arguments: null unless all are numbers, or all dates.
 * min_of() and max_of() skip null arguments: null only when all are null.
 */
static struct value min_max(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	bool skip_null = x->index == F_MIN_OF || x->index == F_MAX_OF;
	bool least = x->index == F_MIN || x->index == F_MIN_OF;
	struct value best = null_value;
	for (int k = 0; k < x->nargs; k++) {
		struct value v = eval(e, e->argv[x->args + k], ctx);
		if (v.type == V_NULL && skip_null)
			continue;
		if ((v.type != V_NUM && v.type != V_DATE) || (best.type != V_NULL && v.type != best.type))
			return null_value;
		if (best.type == V_NULL || (least ? v.num < best.num : v.num > best.num))
			best = v;
	}
	return best;
}

/* coalesce(): the first argument that is not null. */
static struct value ev_coalesce(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	for (int k = 0; k < x->nargs; k++) {
		struct value v = eval(e, e->argv[x->args + k], ctx);
		if (v.type != V_NULL)
			return v;
	}
	return null_value;
}

/* aqi(pollutant, c): the pollutant was resolved when compiled, so only c is evaluated. */
static struct value ev_aqi(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value c = eval(e, e->argv[x->args + 1], ctx);
	int iaqi;
	return c.type == V_NUM && aqi_individual(x->param, c.num, &iaqi) ? num(iaqi) : null_value;
}

/*
 * The seven daily items' concentrations (none as -1) and their individual
 * indexes (-1 for none), with the largest.  The last of each thread is
 * remembered by the concentrations, bit for bit, and the row's stamp, as
 * aqi_day(), aqi_top() and aqi_over() of one row (a let each) ask for the
 * same seven.
 */
struct aqi_items {
	bool filled;
	uint64_t stamp;           /* the row they were worked out on (eval_ctx.stamp), or 0 */
	double c[AQI_ITEMS];
	int iaqi[AQI_ITEMS], best;
};

static _Thread_local struct aqi_items last_items;

/*
 * The seven items' indexes of concentrations c, worked out unless they are
 * the last ones', which a row with another stamp than theirs (ctx.stamp)
 * does not have them look for.
 */
static const struct aqi_items *aqi_items_of(const double c[AQI_ITEMS], uint64_t stamp)
{
	struct aqi_items *m = &last_items;
	uint64_t differ = !m->filled || (stamp && stamp != m->stamp);
	for (int k = 0; k < AQI_ITEMS && !differ; k++) {
		uint64_t now_bits, then_bits;
		memcpy(&now_bits, &c[k], sizeof now_bits);
		memcpy(&then_bits, &m->c[k], sizeof then_bits);
		differ |= now_bits ^ then_bits;
	}
	if (!differ)
		return m;
	m->best = aqi_individuals(c, m->iaqi);
	memcpy(m->c, c, sizeof m->c);
	m->filled = true;
	m->stamp = stamp;
	return m;
}

/*
 * aqi_day(), aqi_top() and aqi_over() of the seven daily items (so2, no2,
 * pm10, co, o3_1h, o3_8h, pm25), given their concentrations c (none as -1):
 * the largest individual index of those that have one, the names of the
 * items that reach it, and the names of the items above 100.  With items
 * missing, the largest index is a lower bound of the AQI.
 */
static struct value aqi_items_value(const struct node *x, const double c[AQI_ITEMS], uint64_t stamp)
{
	const struct aqi_items *items = aqi_items_of(c, stamp);
	int best = items->best;
	if (x->index == F_AQI_DAY)
		return best >= 0 ? num(best) : null_value;
	unsigned set = 0;
	for (int k = 0; k < AQI_ITEMS; k++)
		if (x->index == F_AQI_TOP ? items->iaqi[k] == best && best >= 0 : items->iaqi[k] > 100)
			set |= 1u << k;
	const char *names = aqi_item_names(set);
	return (struct value){.type = V_STR, .str = names, .len = (uint32_t)strlen(names)};
}

/* aqi_day(), aqi_top() or aqi_over() of any seven arguments, each evaluated. */
static struct value ev_aqi_items(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	double c[AQI_ITEMS];
	for (int k = 0; k < AQI_ITEMS; k++) {
		struct value held;
		const struct value *v = value_at(e, e->argv[x->args + k], ctx, &held);
		c[k] = v->type == V_NUM ? v->num : -1; /* none, as a negative concentration */
	}
	return aqi_items_value(x, c, ctx->stamp);
}

/* aqi_day(), aqi_top() or aqi_over() of seven columns, as rule sets write them: the cells read where they lie. */
static struct value ev_aqi_items_of_cells(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	if (!ctx->row)
		return ev_aqi_items(e, x, ctx);
	const int *cols = e->arg_cols + x->args;
	double c[AQI_ITEMS];
	for (int k = 0; k < AQI_ITEMS; k++) {
		const struct value *v = &ctx->row[cols[k]];
		c[k] = v->type == V_NUM ? v->num : -1;
	}
	return aqi_items_value(x, c, ctx->stamp);
}

/* True if every argument of call x is a column. */
static bool args_are_columns(const struct expr *e, const struct node *x)
{
	for (int k = 0; k < x->nargs; k++)
		if (e->arg_cols[x->args + k] < 0)
			return false;
	return true;
}

/* water_class(item, v[, lake]), the item resolved when compiled; no class is null. */
static struct value ev_water_class(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value c = eval(e, e->argv[x->args + 1], ctx);
	struct value lake = x->nargs > 2 ? eval(e, e->argv[x->args + 2], ctx) : null_value;
	if (c.type != V_NUM)
		return null_value;
	int cls = water_class_of(x->param, c.num, lake.type == V_BOOL && lake.num);
	return cls ? num(cls) : null_value;
}

/* name_of_max(name, value, …): the first name whose value is the largest; null if none has one. */
static struct value ev_name_of_max(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value best = null_value, name = null_value;
	for (int k = 0; k + 1 < x->nargs; k += 2) {
		struct value v = eval(e, e->argv[x->args + k + 1], ctx);
		if (v.type == V_NUM && (best.type == V_NULL || v.num > best.num)) {
			best = v;
			name = eval(e, e->argv[x->args + k], ctx);
		}
	}
	return name;
}

/*
 * prev(x) and lag(x, n): x evaluated on the row n before this one in the
 * group's order (prev is lag 1); null for the first rows of a group.
 */
static struct value ev_lag(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	size_t n = (size_t)x->param;
	if (!ctx->history || ctx->nhistory < n)
		return null_value;
	struct eval_ctx back = *ctx;
	back.row = ctx->history[n - 1];
	back.stamp = 0; /* another row's */
	back.history = ctx->history + n;
	back.nhistory = ctx->nhistory - n;
	return eval(e, e->argv[x->args], &back);
}

/* equal(a, b): a == b, where two nulls are equal and a null differs from any value (never null). */
static struct value ev_equal(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value a = eval(e, e->argv[x->args], ctx), b = eval(e, e->argv[x->args + 1], ctx);
	if (a.type == V_NULL || b.type == V_NULL)
		return boolean(a.type == b.type);
	return boolean(compare(&a, &b, holds[OP_EQ]) == 1);
}

/* Text as a value; NULL is null. */
static struct value text(const char *s)
{
	return s ? (struct value){.type = V_STR, .str = s, .len = (uint32_t)strlen(s)} : null_value;
}

/*
 * The month of the last date from 1970 on whose parts were asked for on this
 * thread: its days since 1970-01-01 from first to before end, its year and
 * its month.  A file's rows of a month come together, and each asks for its
 * group's year and month.  None yet: end before first.
 */
static _Thread_local struct {
	double first, end, year, month;
} last_month = {.first = 1, .end = 0};

/* year(), month(), day() or days_in_month() (fn) of a date that civil_from_days takes apart; remembers its month. */
static __attribute__((noinline)) struct value date_part_of(int fn, double days)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	if (days >= 0 && m >= 1 && m <= 12) { /* truncated to its day, as civil_from_days does, from 1970 on alone */
		last_month.first = (double)((long)days - d + 1);
		last_month.end = last_month.first + days_in_month(y, m);
		last_month.year = y, last_month.month = m;
	}
	return num(fn == F_YEAR ? y : fn == F_MONTH ? m : fn == F_DAY ? d : days_in_month(y, m));
}

/* year(), month(), day() or days_in_month() (fn) of a date: of the month last asked for, without a call. */
static inline struct value date_part(int fn, struct value v)
{
	if (v.type != V_DATE)
		return null_value;
	if (!(v.num >= last_month.first && v.num < last_month.end))
		return date_part_of(fn, v.num);
	double part = fn == F_YEAR ? last_month.year : fn == F_MONTH ? last_month.month
		: fn == F_DAY ? (double)((long)v.num - (long)last_month.first + 1)
		: last_month.end - last_month.first;
	return (struct value){.type = V_NUM, .num = part};
}

static struct value ev_date_part(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	return date_part(x->index, eval(e, e->argv[x->args], ctx));
}

/* A date part of a column, which a group's key often is (year(date)): the cell read directly. */
static struct value ev_date_part_cell(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return date_part(x->index, cell(ctx, x->cell));
}

/* in_file(column): whether the file has the column, which no cell of it changes. */
static struct value ev_in_file(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	const struct node *col = &e->nodes[e->argv[x->args]];
	return ctx->file_col ? boolean(ctx->file_col[col->index] != SIZE_MAX) : null_value;
}

static struct value ev_is_null(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	return boolean(eval(e, e->argv[x->args], ctx).type == V_NULL);
}

static struct value ev_abs(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value v = eval(e, e->argv[x->args], ctx);
	return v.type == V_NUM ? num(fabs(v.num)) : null_value;
}

/* aqi_level(x): the HJ 633-2012 level of an AQI, or of a category's or grade's name; null for none. */
static struct value ev_aqi_level(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value v = eval(e, e->argv[x->args], ctx);
	int level = v.type == V_NUM ? aqi_level(v.num) : v.type == V_STR ? aqi_level_named(v.str, v.len) : 0;
	return level ? num(level) : null_value;
}

/* The cell of lookup() node x's column on the row of its table where its key column holds key (not null); null if none does. */
static struct value look_up(const struct node *x, const struct value *key)
{
	char tmp[64];
	size_t len, row;
	bool alias;
	const char *k = key_text(key, tmp, sizeof tmp, &len);
	if (!reftable_find(x->table, x->keycol, k, len, &row, &alias))
		return null_value;
	const char *v = reftable_cell(x->table, row, x->param);
	return (struct value){.type = V_STR, .str = v, .len = strlen(v)};
}

/* How many lookups a thread remembers the last key of, and the longest key text remembered. */
#define LOOKUP_MEMOS 8
#define LOOKUP_KEY_MAX 48

/*
 * The last key looked up in one column of a reference table for another,
 * with what it gave: a file's rows repeat their county row after row.
 */
struct lookup_memo {
	const struct reftable *table;
	int keycol, col;
	unsigned long generation;      /* no expression or table freed since (expr_forget) */
	enum vtype key_type;           /* the key's type */
	uint32_t key_len;              /* a string key's length, its bytes in text */
	double key_num;                /* a number, date or boolean key's value */
	char text[LOOKUP_KEY_MAX];
	struct value out;
};

static _Thread_local struct lookup_memo lookup_memos[LOOKUP_MEMOS];

/* True if a key is the one a memo holds: the same string, or the same bits of a number, date or boolean. */
static inline bool same_lookup_key(const struct lookup_memo *m, const struct value *key)
{
	if (m->key_type != key->type)
		return false;
	if (key->type == V_STR)
		return m->key_len == key->len && (!key->len || memcmp(m->text, key->str, key->len) == 0);
	return memcmp(&m->key_num, &key->num, sizeof key->num) == 0;
}

/* lookup(table, key, column), the table and columns resolved when compiled: its last key's answer again when the key is the same. */
static struct value ev_lookup(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value key = eval(e, e->argv[x->args + 1], ctx);
	if (key.type == V_NULL || !x->table)
		return null_value;
	uintptr_t h = (uintptr_t)x->table / 16 ^ (uintptr_t)x->keycol * 31 ^ (uintptr_t)x->param * 7;
	struct lookup_memo *m = &lookup_memos[h % LOOKUP_MEMOS];
	unsigned long now = atomic_load_explicit(&generation, memory_order_relaxed);
	if (m->generation == now && m->table == x->table && m->keycol == x->keycol && m->col == x->param &&
	    same_lookup_key(m, &key))
		return m->out;
	struct value v = look_up(x, &key);
	if (key.type != V_STR || key.len <= LOOKUP_KEY_MAX) {
		m->table = x->table, m->keycol = x->keycol, m->col = x->param, m->generation = now;
		m->key_type = key.type, m->out = v;
		if (key.type == V_STR) {
			m->key_len = key.len;
			if (key.len)
				memcpy(m->text, key.str, key.len);
		} else {
			m->key_num = key.num;
		}
	}
	return v;
}

/* Any other function call (none takes more than four arguments): the arguments, then the function. */
static struct value call(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value a[4];
	for (int k = 0; k < x->nargs && k < 4; k++)
		a[k] = eval(e, e->argv[x->args + k], ctx);
	size_t row;
	switch ((enum fn)x->index) {
	case F_LEN: return a[0].type == V_STR ? num((double)utf8_count((const unsigned char *)a[0].str, a[0].len)) : null_value;
	case F_AQI_CATEGORY: return a[0].type == V_NUM ? text(aqi_category_name(aqi_level(a[0].num))) : null_value;
	case F_AQI_GRADE: return a[0].type == V_NUM ? text(aqi_grade_name(aqi_level(a[0].num))) : null_value;
	case F_SAME_POLLUTANTS: {
		unsigned x0, x1;
		if (a[0].type != V_STR || a[1].type != V_STR)
			return null_value;
		/* a name neither side knows is a mismatch to show, not a pass */
		if (!aqi_item_set(a[0].str, a[0].len, &x0) || !aqi_item_set(a[1].str, a[1].len, &x1))
			return boolean(false);
		return boolean(aqi_same_items(x0, x1));
	}
	case F_WATER_CLASS_NAME:
		return a[0].type == V_NUM && a[0].num == floor(a[0].num) ? text(water_class_name((int)a[0].num)) : null_value;
	case F_AS_OF: return ctx->as_of ? (struct value){.type = V_DATE, .num = *ctx->as_of} : null_value;
	case F_CEIL: return a[0].type == V_NUM ? num(ceil(a[0].num)) : null_value;
	case F_FLOOR: return a[0].type == V_NUM ? num(floor(a[0].num)) : null_value;
	case F_ROUND: {
		if (a[0].type != V_NUM || a[1].type != V_NUM)
			return null_value;
		double scale = pow(10, a[1].num);
		return num(round(a[0].num * scale) / scale);
	}
	case F_MATCHES: {
		if (a[0].type != V_STR)
			return null_value;
		int rc = ruleset_pattern_match(ctx->rs, x->re, x->md, a[0].str, a[0].len);
		if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH)
			return boolean(rc >= 0);
		const struct node *subject = &e->nodes[e->argv[x->args]];
		if (ctx->trouble && (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
				     rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)) {
			ctx->trouble->pattern_limit = true;
			ctx->trouble->pattern_col = subject->op == OP_COL ? subject->index : -1;
		}
		return null_value;
	}
	case F_TARGET: case F_BASELINE: {
		double v;
		if (!target_row(ctx, &a[0], x->nargs > 1 ? &a[1] : NULL, &row))
			return null_value;
		const struct targets *tg = ctx->rs->targets;
		return targets_number(tg, row, x->index == F_TARGET ? tg->c_target : tg->c_baseline, &v) ? num(v) : null_value;
	}
	case F_PROGRESS:
		if (a[1].type != V_NUM || !target_row(ctx, &a[0], x->nargs > 2 ? &a[2] : NULL, &row))
			return null_value;
		return progress(ctx->rs->targets, row, a[1].num);
	case F_SCHEDULE: return a[0].type == V_NUM ? num(targets_elapsed(a[0].num, ctx->as_of)) : null_value;
	case F_DUE: {
		double due;
		if (a[1].type != V_NUM || !target_row(ctx, &a[0], x->nargs > 2 ? &a[2] : NULL, &row))
			return null_value;
		return targets_due(ctx->rs->targets, row, a[1].num, ctx->as_of, &due) ? num(due) : null_value;
	}
	case F_ON_TRACK:
		if (a[1].type != V_NUM || a[2].type != V_NUM || !target_row(ctx, &a[0], x->nargs > 3 ? &a[3] : NULL, &row))
			return null_value;
		return on_track(ctx->rs->targets, row, a[1].num, a[2].num, ctx->as_of);
	case F_BINDING:
		return target_row(ctx, &a[0], NULL, &row) ? boolean(targets_binding(ctx->rs->targets, row)) : null_value;
	case F_NUMBER: {
		double v;
		if (a[0].type == V_NUM)
			return a[0];
		return a[0].type == V_STR && parse_number(a[0].str, a[0].len, &v) ? num(v) : null_value;
	}
	case F_CLASS: {
		double v;
		return a[0].type == V_STR && cell_parse(TYPE_WATER_CLASS, a[0].str, a[0].len, &v) == PARSE_OK ? num(v) : null_value;
	}
	case F_SUBSTR:
		if (a[0].type != V_STR || a[1].type != V_NUM || a[2].type != V_NUM)
			return null_value;
		return substring(&a[0], a[1].num, a[2].num);
	default:
		return null_value;
	}
}

/* Orders two numbers, for sorting a list of them. */
static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * Sorts a percentile's numbers: the few of a small group (a station-month's
 * daily values) by insertion, with no call a comparison, which also takes
 * numbers already in order in one pass; more by qsort.  Insertion keeps equal
 * numbers (0 and -0) in the order they came, as qsort's merge sort does.
 */
static void sort_numbers(double *v, size_t n)
{
	if (n > 64) {
		sort_items(v, n, sizeof *v, by_value);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Sorts an accumulator's numbers, once until another comes in. */
static void sort_kept(struct agg_acc *acc)
{
	if (!acc->sorted) {
		sort_numbers(acc->vals, acc->nvals);
		acc->sorted = true;
	}
}

/* Swaps two numbers of a list. */
static inline void swap_numbers(double *v, size_t i, size_t j)
{
	double t = v[i];
	v[i] = v[j], v[j] = t;
}

/*
 * Moves the r-th smallest of v[0..n) (r < n - 1) to v[r], the smaller ones
 * before it and the others after (Hoare's selection, the pivot the median of
 * three), and gives it and the (r+1)-th smallest: the two values a
 * percentile interpolates between, in expected linear time rather than a
 * sort's n log n.
 */
static void select_ranks(double *v, size_t n, size_t r, double *at, double *next)
{
	size_t lo = 0, hi = n - 1;
	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < v[lo])
			swap_numbers(v, mid, lo);
		if (v[hi] < v[lo])
			swap_numbers(v, hi, lo);
		if (v[hi] < v[mid])
			swap_numbers(v, hi, mid);
		double pivot = v[mid];
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (pivot < v[j])
				j--;
			if (i <= j) {
				swap_numbers(v, i, j);
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		/* now v[lo..j] <= pivot <= v[i..hi], and v[j+1..i-1] == pivot */
		if (r <= j)
			hi = j;
		else if (r >= i)
			lo = i;
		else
			break;
	}
	*at = v[r];
	double least = v[r + 1];
	for (size_t k = r + 2; k < n; k++)
		if (v[k] < least)
			least = v[k];
	*next = least;
}

/*
 * The p-th percentile of the values, interpolating between ranks:
 * k = 1 + (n-1)p/100, X[s] + (X[s+1] - X[s])(k - s) with s = floor(k).  The
 * two ranks are selected, not sorted for: values that compare equal are the
 * same number or 0 and -0, and X[s] + (X[s+1] - X[s])(k - s) comes out the
 * same whichever zero stands where.  The largest (s = n) is sorted for, and
 * so is any read after the first, so that a rule reading the percentile on
 * each row of its group sorts once.
 */
static double percentile(struct agg_acc *acc, double p)
{
	double k = 1 + (double)(acc->nvals - 1) * p / 100;
	size_t s = (size_t)floor(k);
	if (s >= acc->nvals) {
		sort_kept(acc);
		return acc->vals[acc->nvals - 1];
	}
	if (acc->selected)
		sort_kept(acc); /* read again (robust_z() on each row of a group): sorted once, then read in place */
	double below, above;
	if (acc->sorted) {
		below = acc->vals[s - 1], above = acc->vals[s];
	} else {
		select_ranks(acc->vals, acc->nvals, s - 1, &below, &above);
		acc->selected = true;
	}
	return below + (above - below) * (k - (double)s);
}

/* Orders (time, value) pairs by time. */
static int by_time(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/*
 * The largest relative change between values whose times differ by exactly
 * one (year on year): |x(t) - x(t-1)| / |x(t-1)|; null when there is no such pair.
 */
static struct value max_change(struct agg_acc *acc)
{
	size_t n = acc->nvals / 2;
	if (!acc->sorted) {
		sort_items(acc->vals, n, 2 * sizeof *acc->vals, by_time);
		acc->sorted = true;
	}
	bool found = false;
	double best = 0;
	for (size_t i = 1; i < n; i++) {
		double t0 = acc->vals[2 * i - 2], v0 = acc->vals[2 * i - 1];
		double t1 = acc->vals[2 * i], v1 = acc->vals[2 * i + 1];
		if (t1 - t0 != 1 || v0 == 0)
			continue;
		double change = fabs(v1 - v0) / fabs(v0);
		if (!found || change > best)
			best = change;
		found = true;
	}
	return found ? num(best) : null_value;
}

/*
 * The median absolute deviation of the kept values (sorted once), about
 * their median; when it is 0 (more than half the values equal), the mean
 * absolute deviation times 1.2533/1.4826, so that the robust standard
 * deviation 1.4826·MAD stays the scale of a normal distribution (Iglewicz
 * and Hoaglin's fallback).
 */
static double mad(struct agg_acc *acc)
{
	if (acc->hits) /* worked out once a group: lo holds it until a value comes in */
		return acc->lo;
	sort_kept(acc); /* the deviations are summed in the values' order: sorted, as they always were */
	double med = percentile(acc, 50), *dev = xmalloc((acc->nvals + 1) * sizeof *dev), sum = 0;
	for (size_t i = 0; i < acc->nvals; i++)
		sum += dev[i] = fabs(acc->vals[i] - med);
	struct agg_acc d = {.vals = dev, .nvals = acc->nvals};
	double m = percentile(&d, 50);
	free(dev);
	acc->hits = 1;
	return acc->lo = m > 0 ? m : sum / (double)acc->nvals * 1.2533 / 1.4826;
}

/* The accumulator at a byte offset in the block of the group being judged. */
static inline struct agg_acc *acc_at(const struct eval_ctx *ctx, int at)
{
	return (struct agg_acc *)(void *)(ctx->accs + at);
}

/*
 * robust_z(x): (x − the group's median) / (1.4826 · its MAD), the modified
 * z-score of Iglewicz and Hoaglin, so that one spike does not hide itself by
 * inflating a mean and a standard deviation; deviates(x, k): |robust_z| > k.
 * Null without x or without values in the group.
 */
static struct value ev_robust_z(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value v = eval(e, e->argv[x->args], ctx);
	struct agg_acc *median = ctx->accs ? acc_at(ctx, x->part) : NULL;
	if (v.type != V_NUM || !median || !median->nvals)
		return null_value;
	double med = percentile(median, 50), spread = 1.4826 * mad(acc_at(ctx, x->keycol));
	double z = spread > 0 ? (v.num - med) / spread : v.num == med ? 0 : HUGE_VAL;
	if (x->index == F_ROBUST_Z)
		return isfinite(z) ? num(z) : null_value;
	struct value k = eval(e, e->argv[x->args + 1], ctx);
	return k.type == V_NUM ? boolean(fabs(z) > k.num) : null_value;
}

/* A packed tuple of count_distinct: where its bytes are, and how many. */
struct packed_tuple {
	const unsigned char *at;
	size_t len;
};

/* Orders packed tuples by length, then bytes: equal tuples come together. */
static int packed_cmp(const void *a, const void *b)
{
	const struct packed_tuple *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->at, y->at, x->len);
}

/* The bytes of the packed value at p (see pack_value). */
static size_t packed_len(const unsigned char *p)
{
	if (*p < 0xE0 || *p == 0xFF)
		return 1;
	if (*p < 0xF0)
		return 2;
	if (*p == 0xF4)
		return 9;
	uint64_t zigzag;
	return 1 + varint_get(p + 1, &zigzag);
}

/* count_distinct(): the distinct tuples among the kept ones, of width values each, sorted to be counted. */
static double distinct(const struct agg_acc *acc, size_t width)
{
	struct packed_tuple few[64], *t = few; /* on the heap past 64 */
	size_t n = 0, cap = 64;
	for (size_t at = 0; at < acc->nvals; n++) {
		if (n == cap) {
			t = t == few ? memcpy(xmalloc(2 * cap * sizeof *t), few, sizeof few) : xrealloc(t, 2 * cap * sizeof *t);
			cap *= 2;
		}
		t[n].at = acc->tuples + at;
		for (size_t k = 0; k < width; k++)
			at += packed_len(acc->tuples + at);
		t[n].len = (size_t)(acc->tuples + at - t[n].at);
	}
	size_t count = 0;
	if (n <= 16) { /* a county-day's stations: each tuple against those before it, cheaper than a sort */
		for (size_t i = 0; i < n; i++) {
			size_t j = 0;
			while (j < i && (t[j].len != t[i].len || memcmp(t[j].at, t[i].at, t[i].len) != 0))
				j++;
			count += j == i;
		}
	} else {
		sort_items(t, n, sizeof *t, packed_cmp);
		for (size_t i = 0; i < n; i++)
			count += i == 0 || packed_cmp(&t[i - 1], &t[i]) != 0;
	}
	if (t != few)
		free(t);
	return (double)count;
}

/* Where a run began, as its order key: the caller's row record starts with it (see eval_ctx.where). */
static struct value run_start(const void *where)
{
	return where ? *(const struct value *)where : null_value;
}

/* The value of an aggregate for the group being judged. */
static struct value aggregate(const struct node *x, const struct eval_ctx *ctx)
{
	struct agg_acc *acc = acc_at(ctx, x->acc);
	switch ((enum agg_kind)x->param) {
	case AGG_LONGEST_RUN: return x->part ? run_start(acc->best_from) : num(acc->hi);
	case AGG_LONGEST_EQUAL_RUN:
		return x->part == 1 ? run_start(acc->best_from) : x->part == 2 ? (acc->hi ? num(acc->sum) : null_value)
									       : num(acc->hi);
	case AGG_COUNT_DISTINCT: return num(distinct(acc, (size_t)x->nargs));
	default: return agg_result((enum agg_kind)x->param, x->lit.num, acc);
	}
}

/*
 * What an accumulator that keeps a list of values comes to: a percentile's,
 * max_change's or the MAD's.  Not inlined, so that agg_result's other cases
 * need no stack frame.
 */
static __attribute__((noinline)) struct value kept_result(enum agg_kind kind, double p, struct agg_acc *acc)
{
	if (kind == AGG_MAX_CHANGE)
		return max_change(acc);
	if (!acc->nvals)
		return null_value;
	return num(kind == AGG_MAD ? mad(acc) : percentile(acc, p));
}

/* Counts, sums and the like straight from their numbers (a view's row takes many); kept lists by kept_result. */
struct value agg_result(enum agg_kind kind, double p, struct agg_acc *acc)
{
	switch (kind) {
	case AGG_COUNT: return num(acc->n);
	case AGG_COUNT_IF: return num(acc->hits);
	case AGG_SUM: return acc->n ? num(acc->sum) : null_value;
	case AGG_MEAN: return acc->n ? num(acc->sum / acc->n) : null_value;
	case AGG_MIN: case AGG_MAX:
		if (!acc->n)
			return null_value;
		return (struct value){.type = acc->date ? V_DATE : V_NUM,
				      .num = kind == AGG_MIN ? acc->lo : acc->hi};
	case AGG_RATIO: return acc->n ? num(acc->hits / acc->n) : null_value;
	case AGG_PERCENTILE: case AGG_MAX_CHANGE: case AGG_MAD: return kept_result(kind, p, acc);
	case AGG_LONGEST_RUN: case AGG_LONGEST_EQUAL_RUN: return num(acc->hi);
	case AGG_COUNT_DISTINCT: return null_value; /* needs its arguments' count: aggregate() answers */
	}
	return null_value;
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

static struct value ev_compare_cell(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return compare_cell(x, ctx);
}

static struct value ev_cell_present(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return cell_present(x, ctx);
}

static struct value ev_cell_absent(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return cell_absent(x, ctx);
}

bool expr_tests_a_cell(const struct node *x)
{
	return x->fn == ev_compare_cell || x->fn == ev_cell_present || x->fn == ev_cell_absent;
}

/* The value of a test of a column (see expr_tests_a_cell), in place. */
static inline struct value cell_test(const struct node *x, const struct eval_ctx *ctx)
{
	if (x->fn == ev_compare_cell)
		return compare_cell(x, ctx);
	return x->fn == ev_cell_present ? cell_present(x, ctx) : cell_absent(x, ctx);
}

/*
 * && or || of tests of columns alone, its operands left to right: the first
 * that settles it (false for &&, true for ||) is its value, else null if one
 * was null, else true for && and false for ||: what logic() gives, nested,
 * without a call for each operand.
 */
struct value expr_cell_tests(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	bool is_and = x->op == OP_AND, unknown = false;
	for (int k = 0; k < x->ntests; k++) {
		struct value v = cell_test(&e->nodes[e->argv[x->tests + k]], ctx);
		if (v.type != V_BOOL)
			unknown = true;
		else if ((bool)v.num != is_and)
			return v;
	}
	return unknown ? null_value : boolean(is_and);
}

bool expr_band(const struct expr *e, const struct node *x, struct agg_band *band)
{
	if (x->fn != expr_cell_tests || x->op != OP_AND || x->ntests != 2)
		return false;
	const struct node *lo = &e->nodes[e->argv[x->tests]], *hi = &e->nodes[e->argv[x->tests + 1]];
	if (lo->fn != ev_compare_cell || hi->fn != ev_compare_cell || lo->cell != hi->cell ||
	    lo->against.type != hi->against.type)
		return false;
	*band = (struct agg_band){.type = lo->against.type, .lit = {lo->against.num, hi->against.num},
				  .passes = {holds[lo->op], holds[hi->op]}};
	return true;
}

/*
 * A band (expr_band) on a cell: -1 (null) when the cell is not of the
 * literals' type (both comparisons are null then), else 1 if both hold and
 * 0 if not: what expr_cell_tests() gives for the two.
 */
static inline int band_holds(const struct agg_band *band, const struct value *cell)
{
	if (cell->type != band->type)
		return -1;
	return num_passes(cell->num, band->lit[0], band->passes[0]) && num_passes(cell->num, band->lit[1], band->passes[1]);
}

/* Evaluates && and || in three-valued logic. */
static struct value logic(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	bool is_and = x->op == OP_AND;
	struct value l = eval(e, x->a, ctx);
	if (l.type == V_BOOL && (bool)l.num != is_and)
		return l; /* false && …, true || … */
	struct value r = eval(e, x->b, ctx);
	if (r.type == V_BOOL && (bool)r.num != is_and)
		return r;
	if (l.type != V_BOOL || r.type != V_BOOL)
		return null_value;
	return boolean(is_and);
}

/* Lists the operands of the chain of && (evaluated by logic()) at node n into w, left to right; false past EXPR_CONJUNCTS. */
static bool list_conjuncts(const struct expr *e, int n, struct expr_when *w)
{
	const struct node *x = &e->nodes[n];
	if (x->op == OP_AND && x->fn == logic)
		return list_conjuncts(e, x->a, w) && list_conjuncts(e, x->b, w);
	if (w->n == EXPR_CONJUNCTS)
		return false;
	w->node[w->n++] = n;
	return true;
}

/* What a part of an expression is on every row of one file, when the file's columns settle it. */
enum settled { VARIES, SETTLED_FALSE, SETTLED_TRUE, SETTLED_NULL };

/* Three-valued && (or ||, when is_and is false) of two settled parts. */
static enum settled settled_logic(bool is_and, enum settled l, enum settled r)
{
	enum settled settles = is_and ? SETTLED_FALSE : SETTLED_TRUE, keeps = is_and ? SETTLED_TRUE : SETTLED_FALSE;
	if (l == settles || r == settles)
		return settles;
	if (l == VARIES || r == VARIES)
		return VARIES;
	return l == keeps && r == keeps ? keeps : SETTLED_NULL;
}

/*
 * What node n is on every row of a file whose columns' cells file_col gives:
 * in_file() is settled, and so is a column the file lacks, which is null
 * on each row, and what follows from these alone (its null test, a
 * comparison or arithmetic with it, !, && and ||, ?:).
 */
static enum settled settled_by_file(const struct expr *e, int n, const size_t *file_col)
{
	const struct node *x = &e->nodes[n];
	enum settled a, b;
	switch (x->op) {
	case OP_COL:
		return file_col[x->index] == SIZE_MAX ? SETTLED_NULL : VARIES;
	case OP_CALL:
		if (x->index == F_IN_FILE)
			return file_col[e->nodes[e->argv[x->args]].index] != SIZE_MAX ? SETTLED_TRUE : SETTLED_FALSE;
		if (x->index != F_IS_NULL)
			return VARIES;
		a = settled_by_file(e, e->argv[x->args], file_col);
		return a == VARIES ? VARIES : a == SETTLED_NULL ? SETTLED_TRUE : SETTLED_FALSE;
	case OP_NOT:
		a = settled_by_file(e, x->a, file_col);
		return a == SETTLED_TRUE ? SETTLED_FALSE : a == SETTLED_FALSE ? SETTLED_TRUE : a;
	case OP_NEG:
		return settled_by_file(e, x->a, file_col) == SETTLED_NULL ? SETTLED_NULL : VARIES;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV:
	case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
		a = settled_by_file(e, x->a, file_col);
		b = settled_by_file(e, x->b, file_col);
		return a == SETTLED_NULL || b == SETTLED_NULL ? SETTLED_NULL : VARIES;
	case OP_AND: case OP_OR:
		return settled_logic(x->op == OP_AND, settled_by_file(e, x->a, file_col), settled_by_file(e, x->b, file_col));
	case OP_COND:
		a = settled_by_file(e, x->c, file_col);
		return a == SETTLED_NULL ? SETTLED_NULL : a == SETTLED_TRUE ? settled_by_file(e, x->a, file_col)
			: a == SETTLED_FALSE ? settled_by_file(e, x->b, file_col) : VARIES;
	default:
		return VARIES;
	}
}

/* True if an expression calls matches(), whose pattern may hit its limit on a row. */
static bool calls_matches(const struct expr *e)
{
	for (int i = 0; i < e->nnodes; i++)
		if (e->nodes[i].op == OP_CALL && e->nodes[i].index == F_MATCHES)
			return true;
	return false;
}

void expr_when_plan(struct expr_when *w, const struct expr *e, const size_t *file_col)
{
	struct expr_when all = {.e = e};
	*w = (struct expr_when){.e = e, .may_trouble = calls_matches(e)};
	if (!list_conjuncts(e, e->root, &all)) {
		w->node[w->n++] = e->root;
		return;
	}
	for (int k = 0; k < all.n; k++) {
		const struct node *x = &e->nodes[all.node[k]];
		/* an operand that may report a pattern's limit is settled only when it is in_file() */
		enum settled v = !file_col || (w->may_trouble && !(x->op == OP_CALL && x->index == F_IN_FILE))
					 ? VARIES : settled_by_file(e, all.node[k], file_col);
		if (v == SETTLED_TRUE)
			continue; /* the chain is what follows it */
		w->node[w->n++] = all.node[k];
		if (v != VARIES) { /* false or null: the when never holds, and what follows is not evaluated */
			w->never = w->n == 1;
			return;
		}
	}
}

struct value expr_when_eval(const struct expr_when *w, const struct eval_ctx *ctx)
{
	if (w->n == 1)
		return eval(w->e, w->node[0], ctx);
	bool unknown = false;
	for (int k = 0; k < w->n; k++) {
		struct value v = eval(w->e, w->node[k], ctx);
		if (v.type != V_BOOL)
			unknown = true;
		else if (!v.num)
			return v;
	}
	return unknown ? null_value : boolean(true);
}

/* Evaluates "x in [...]": null when x is null, or when nothing matched and an item was null. */
static struct value member(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value v = eval(e, x->a, ctx);
	if (v.type == V_NULL)
		return null_value;
	bool saw_null = false;
	for (int k = 0; k < x->nargs; k++) {
		struct value item = eval(e, e->argv[x->args + k], ctx);
		if (item.type == V_NULL)
			saw_null = true;
		else if (compare(&v, &item, holds[OP_EQ]) == 1)
			return boolean(true);
	}
	return saw_null ? null_value : boolean(false);
}

static struct value ev_key(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return ctx->keys ? ctx->keys[x->index] : null_value;
}

static struct value ev_agg(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return ctx->accs ? aggregate(x, ctx) : null_value;
}

/* An aggregate whose value agg_result() gives alone (count, mean, a percentile…): no other case to pass. */
static struct value ev_agg_result(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return ctx->accs ? agg_result((enum agg_kind)x->param, x->lit.num, acc_at(ctx, x->acc)) : null_value;
}

static struct value ev_neg(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value v = eval(e, x->a, ctx);
	return v.type == V_NUM ? num(-v.num) : null_value;
}

static struct value ev_not(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value v = eval(e, x->a, ctx);
	return v.type == V_BOOL ? boolean(!v.num) : null_value;
}

static struct value ev_arith(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	return arith(x->op, eval(e, x->a, ctx), eval(e, x->b, ctx));
}

static struct value ev_cond(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value c = eval(e, x->c, ctx);
	if (c.type != V_BOOL)
		return null_value;
	return eval(e, c.num ? x->a : x->b, ctx);
}

/* Comparisons: null if either side is null or the two cannot be compared. */
static inline struct value comparison(enum op op, struct value l, struct value r)
{
	if (l.type == V_NULL || r.type == V_NULL)
		return null_value;
	int c = compare(&l, &r, holds[op]);
	return c < 0 ? null_value : boolean(c);
}

static struct value ev_compare(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value l = eval(e, x->a, ctx);
	return comparison(x->op, l, eval(e, x->b, ctx));
}

/* A column compared with what is not a literal (pm25 <= 5 * median(pm25)): the cell read directly. */
static struct value ev_compare_cell_with(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value l = cell(ctx, x->cell);
	return comparison(x->op, l, eval(e, x->b, ctx));
}

/* "x != null": not(is_null(x)) in one step. */
static struct value ev_not_null(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	const struct node *test = &e->nodes[x->a];
	return boolean(eval(e, e->argv[test->args], ctx).type != V_NULL);
}

/* The evaluator of a node that reads a column itself (see expr_evaluator_of), its operands set; or NULL. */
static evaluator cell_evaluator(const struct expr *e, struct node *x)
{
	const struct node *a = x->a >= 0 ? &e->nodes[x->a] : NULL;
	const struct node *b = x->b >= 0 ? &e->nodes[x->b] : NULL;
	if (x->op >= OP_EQ && x->op <= OP_GE && a->op == OP_COL && b->op == OP_LIT &&
	    (b->lit.type == V_NUM || b->lit.type == V_DATE || b->lit.type == V_BOOL)) {
		x->cell = a->index, x->against = b->lit;
		return ev_compare_cell;
	}
	if (x->op >= OP_EQ && x->op <= OP_GE && a->op == OP_COL) {
		x->cell = a->index;
		return ev_compare_cell_with;
	}
	if (x->op == OP_NOT && a->op == OP_CALL && a->index == F_IS_NULL && e->nodes[e->argv[a->args]].op == OP_COL) {
		x->cell = e->nodes[e->argv[a->args]].index;
		return ev_cell_present;
	}
	if (x->op != OP_CALL || x->nargs != 1 || e->nodes[e->argv[x->args]].op != OP_COL)
		return NULL;
	evaluator fn = x->index == F_IS_NULL ? ev_cell_absent
		     : x->index == F_YEAR || x->index == F_MONTH || x->index == F_DAY || x->index == F_DAYS_IN_MONTH
			     ? ev_date_part_cell : NULL;
	if (fn)
		x->cell = e->nodes[e->argv[x->args]].index;
	return fn;
}

evaluator expr_evaluator_of(const struct expr *e, struct node *x)
{
	evaluator of_cell = cell_evaluator(e, x);
	if (of_cell)
		return of_cell;
	if (x->op == OP_NOT && e->nodes[x->a].op == OP_CALL && e->nodes[x->a].index == F_IS_NULL)
		return ev_not_null;
	switch (x->op) {
	case OP_LIT: return ev_lit;
	case OP_COL: return ev_col;
	case OP_KEY: return ev_key;
	case OP_AGG:
		return x->param == AGG_LONGEST_RUN || x->param == AGG_LONGEST_EQUAL_RUN || x->param == AGG_COUNT_DISTINCT
			       ? ev_agg : ev_agg_result;
	case OP_NEG: return ev_neg;
	case OP_NOT: return ev_not;
	case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: return ev_arith;
	case OP_AND: case OP_OR: return logic;
	case OP_COND: return ev_cond;
	case OP_IN: return member;
	case OP_CALL: break;
	default: return ev_compare;
	}
	switch ((enum fn)x->index) {
	case F_IS_NULL: return ev_is_null;
	case F_IN_FILE: return ev_in_file;
	case F_LOOKUP: return ev_lookup;
	case F_AQI_LEVEL: return ev_aqi_level;
	case F_YEAR: case F_MONTH: case F_DAY: case F_DAYS_IN_MONTH: return ev_date_part;
	case F_ABS: return ev_abs;
	case F_MIN: case F_MAX: case F_MIN_OF: case F_MAX_OF: return min_max;
	case F_COALESCE: return ev_coalesce;
	case F_AQI: return ev_aqi;
	case F_AQI_DAY: case F_AQI_TOP: case F_AQI_OVER:
		return args_are_columns(e, x) ? ev_aqi_items_of_cells : ev_aqi_items;
	case F_NAME_OF_MAX: return ev_name_of_max;
	case F_PREV: case F_LAG: return ev_lag;
	case F_ROBUST_Z: case F_DEVIATES: return ev_robust_z;
	case F_EQUAL: return ev_equal;
	case F_WATER_CLASS: return ev_water_class;
	default: return call;
	}
}

bool expr_is_constant(const struct expr *e)
{
	for (int i = 0; i < e->nnodes; i++)
		if (e->nodes[i].op == OP_COL || e->nodes[i].op == OP_KEY || e->nodes[i].op == OP_AGG ||
		    (e->nodes[i].op == OP_CALL && e->nodes[i].index == F_AS_OF))
			return false;
	return true;
}

/*
 * A let's value with the row and the cells it came from.  Rules that name
 * the same let (aqi_calc in a when, in its assert and inside good_day)
 * compute it once a row: on a row with a stamp (eval_ctx.stamp) the value
 * holds for that row, and a number, date or boolean of a few cells is also
 * remembered by those cells, so that it holds wherever the same let is read
 * again on the same cells (an earlier row of a group's order, a view's row)
 * and never outlives them.  A string is remembered by the row alone: a
 * cell's bytes are the row's.
 */
struct memo {
	const struct let *lets;             /* the rule set, */
	const struct expr_columns *columns; /* the columns its names mean, */
	unsigned long generation;           /* and no expression freed since */
	uint64_t stamp;                     /* the row it was worked out on, or 0 */
	bool by_inputs;                     /* in holds the cells it came from */
	struct value in[MEMO_INPUTS], out;
};

static _Thread_local struct memo memos[MEMO_LETS];
_Static_assert(sizeof(struct value) == 2 * sizeof(uint64_t), "a cell is compared as two 64-bit words");

/* The rows a thread has stamped so far. */
static _Thread_local uint64_t rows_stamped;

void expr_forget(void)
{
	atomic_fetch_add_explicit(&generation, 1, memory_order_relaxed);
}

uint64_t expr_row_stamp(void)
{
	return ++rows_stamped;
}

/* Keeps v as let x's value on the row of ctx (and, when by_inputs, for its input cells: the caller keeps them). */
static void remember(struct memo *m, const struct expr *e, unsigned long now, const struct eval_ctx *ctx,
		     struct value v, bool by_inputs)
{
	m->lets = e->lets, m->columns = e->columns, m->generation = now;
	m->stamp = ctx->stamp, m->by_inputs = by_inputs, m->out = v;
}

struct value expr_remembered(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	if (!ctx->row)
		return x->unremembered(e, x, ctx);
	struct memo *m = &memos[x->memo];
	unsigned long now = atomic_load_explicit(&generation, memory_order_relaxed);
	bool same_lets = m->generation == now && m->lets == e->lets && m->columns == e->columns;
	if (same_lets && ctx->stamp && m->stamp == ctx->stamp)
		return m->out;
	struct value v;
	if (x->ninputs < 0) { /* by the row alone */
		v = x->unremembered(e, x, ctx);
		if (ctx->stamp)
			remember(m, e, now, ctx, v, false);
		return v;
	}
	const int *cols = e->memo_cols + x->inputs;
	bool strings = false;
	uint64_t differ = !same_lets || !m->by_inputs;
	for (int k = 0; k < x->ninputs; k++) {
		/* the same bits are the same cell (0 and -0 print apart); other bits, padding too, only miss */
		uint64_t now_bits[2], then_bits[2];
		memcpy(now_bits, &ctx->row[cols[k]], sizeof now_bits);
		memcpy(then_bits, &m->in[k], sizeof then_bits);
		differ |= (now_bits[0] ^ then_bits[0]) | (now_bits[1] ^ then_bits[1]);
		strings |= ctx->row[cols[k]].type == V_STR;
	}
	if (!strings && !differ) {
		m->stamp = ctx->stamp;
		return m->out;
	}
	v = x->unremembered(e, x, ctx);
	if (strings || v.type == V_STR) {
		if (ctx->stamp)
			remember(m, e, now, ctx, v, false);
		return v;
	}
	remember(m, e, now, ctx, v, true);
	for (int k = 0; k < x->ninputs; k++)
		m->in[k] = ctx->row[cols[k]];
	return v;
}

/*
 * The value of a root of text cells alone (see expr_remembered_by_texts) with
 * the bytes of the cells it came from, one after another: a blank's length
 * is BLANK_TEXT.
 */
struct text_memo {
	const struct expr *e;          /* its expression, */
	unsigned long generation;      /* and no expression or table freed since */
	uint32_t len[MEMO_INPUTS];
	char bytes[TEXT_MEMO_BYTES];
	struct value out;
};

#define BLANK_TEXT UINT32_MAX

static _Thread_local struct text_memo text_memos[TEXT_MEMOS];

/* Keeps v as the value of e's root for the text cells cols[0..n) of row, when they are texts or blanks that fit. */
static void remember_texts(struct text_memo *m, const struct expr *e, unsigned long now, const int *cols, int n,
			   const struct value *row, struct value v)
{
	m->e = NULL;
	if (v.type == V_STR)
		return;
	size_t used = 0;
	for (int k = 0; k < n; k++) {
		const struct value *c = &row[cols[k]];
		if (c->type == V_NULL) {
			m->len[k] = BLANK_TEXT;
			continue;
		}
		if (c->type != V_STR || c->len > TEXT_MEMO_BYTES - used)
			return;
		m->len[k] = c->len;
		if (c->len)
			memcpy(m->bytes + used, c->str, c->len);
		used += c->len;
	}
	m->e = e, m->generation = now, m->out = v;
}

/* True if the text cells cols[0..n) of row are those memo m keeps, blanks for blanks. */
static inline bool same_texts(const struct text_memo *m, const int *cols, int n, const struct value *row)
{
	const char *kept = m->bytes;
	for (int k = 0; k < n; k++) {
		const struct value *c = &row[cols[k]];
		if (c->type == V_NULL) {
			if (m->len[k] != BLANK_TEXT)
				return false;
			continue;
		}
		if (c->type != V_STR || m->len[k] != c->len || (c->len && memcmp(kept, c->str, c->len) != 0))
			return false;
		kept += c->len;
	}
	return true;
}

struct value expr_remembered_by_texts(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	if (!ctx->row)
		return x->unremembered(e, x, ctx);
	struct text_memo *m = &text_memos[e->text_memo];
	unsigned long now = atomic_load_explicit(&generation, memory_order_relaxed);
	const int *cols = e->memo_cols + x->inputs;
	if (m->e == e && m->generation == now && same_texts(m, cols, x->ninputs, ctx->row))
		return m->out;
	struct value v = x->unremembered(e, x, ctx);
	remember_texts(m, e, now, cols, x->ninputs, ctx->row, v);
	return v;
}

struct value expr_fixed(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	if (!ctx->fixed)
		return x->unfixed(e, x, ctx);
	struct value *v = &ctx->fixed[x->fixed];
	if (v->type == V_ANY)
		*v = x->unfixed(e, x, ctx);
	return *v;
}

void row_test_free(struct row_test *t)
{
	free(t->checks);
	*t = (struct row_test){0};
}

/* Adds to t the test of a cell x, reading cell at[] of the rows, compared with against when it compares. */
static void add_test(struct row_test *t, const struct node *x, const int *at, struct value against)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 4;
		t->checks = xrealloc(t->checks, (size_t)t->cap * sizeof *t->checks);
	}
	bool compares = x->fn != ev_cell_present && x->fn != ev_cell_absent;
	t->checks[t->n++] = (struct cell_check){.cell = (uint32_t)at[x->cell], .compares = compares,
						 .present = x->fn == ev_cell_present,
						 .passes = compares ? holds[x->op] : 0, .type = against.type,
						 .against = against.num};
}

/*
 * Adds operand n of t's chain: a literal or a value of the group (settling
 * the chain, leaving it unknown, or nothing), a test of a cell, or a cell compared with
 * a value of the group, which becomes a test of the cell against it; false
 * for anything else.
 */
static bool reduce_operand(struct row_test *t, const struct expr *e, int n, const struct eval_ctx *ctx, const int *at)
{
	const struct node *x = &e->nodes[n];
	if ((x->op == OP_AND || x->op == OP_OR) && (x->op == OP_AND) == t->is_and && x->memo < 0 && x->fixed < 0)
		return reduce_operand(t, e, x->a, ctx, at) && reduce_operand(t, e, x->b, ctx, at);
	if (x->fixed >= 0 || x->op == OP_LIT) {
		struct value v = x->op == OP_LIT ? x->lit : expr_fixed(e, x, ctx);
		if (v.type != V_BOOL)
			t->unknown = true;
		else if ((bool)v.num != t->is_and)
			t->settled = true;
		return true;
	}
	bool test = expr_tests_a_cell(x);
	if ((!test && (x->fn != ev_compare_cell_with || e->nodes[x->b].fixed < 0)) || at[x->cell] < 0)
		return false;
	if (test) {
		add_test(t, x, at, x->against);
		return true;
	}
	struct value against = expr_fixed(e, &e->nodes[x->b], ctx);
	if (against.type == V_NULL) { /* compared with null: null */
		t->unknown = true;
		return true;
	}
	if (against.type != V_NUM && against.type != V_DATE && against.type != V_BOOL)
		return false;
	add_test(t, x, at, against); /* (a cell of another type, null among them, gives null either way) */
	return true;
}

bool row_test_reduce(struct row_test *t, const struct expr *e, const struct eval_ctx *ctx, const int *at)
{
	const struct node *root = &e->nodes[e->root];
	bool chain = (root->op == OP_AND || root->op == OP_OR) && root->memo < 0 && root->fixed < 0;
	t->is_and = !chain || root->op == OP_AND; /* one operand alone is a chain of one */
	t->unknown = t->settled = false;
	t->n = 0;
	return chain ? reduce_operand(t, e, root->a, ctx, at) && reduce_operand(t, e, root->b, ctx, at)
		     : reduce_operand(t, e, e->root, ctx, at);
}

/* Adds the cell and the numbers compared with of t's checks to f; false if t tests another cell or type. */
static bool plan_checks(struct row_fails *f, const struct row_test *t, bool *cell_known)
{
	for (int k = 0; t && k < t->n; k++) {
		const struct cell_check *c = &t->checks[k];
		if (*cell_known && c->cell != f->cell)
			return false;
		f->cell = c->cell;
		*cell_known = true;
		if (!c->compares)
			continue;
		if ((c->type != V_NUM && c->type != V_DATE && c->type != V_BOOL) ||
		    (f->type != V_ANY && c->type != f->type) || c->against != c->against)
			return false;
		f->type = c->type;
		int j = 0;
		while (j < f->nbounds && f->bounds[j] < c->against)
			j++;
		if (j < f->nbounds && f->bounds[j] == c->against)
			continue;
		if (f->nbounds == ROW_FAILS_BOUNDS)
			return false;
		for (int i = f->nbounds; i > j; i--)
			f->bounds[i] = f->bounds[i - 1];
		f->bounds[j] = c->against;
		f->nbounds++;
	}
	return true;
}

bool row_fails_plan(struct row_fails *f, const struct row_test *when, const struct row_test *assert)
{
	f->type = V_ANY; /* (no cell is of that type: with none compared with, every type but null is another) */
	f->nbounds = 0;
	f->cell = 0;
	bool cell_known = false;
	if (!plan_checks(f, when, &cell_known) || !plan_checks(f, assert, &cell_known))
		return false;
	memset(f->fails, -1, (size_t)(2 * f->nbounds + 4) * sizeof *f->fails);
	return true;
}

int expr_aggregate_slot(const struct expr *e)
{
	const struct node *x = &e->nodes[e->root];
	return x->op == OP_AGG ? x->index : -1;
}

struct value expr_eval(const struct expr *e, const struct eval_ctx *ctx)
{
	return eval(e, e->root, ctx);
}

/* Doubles the room of an accumulator's list of numbers. */
static void grow_numbers(struct agg_acc *a)
{
	if (a->cap > UINT32_MAX / 2)
		die(EXIT_TROUBLE, "too many values in one group to keep");
	a->cap = a->cap ? a->cap * 2 : 32;
	a->vals = xrealloc(a->vals, a->cap * sizeof *a->vals);
	a->listed = true;
}

/* Appends a number to an accumulator's list (percentile values, max_change pairs). */
static inline void keep_number(struct agg_acc *a, double v)
{
	if (a->nvals == a->cap)
		grow_numbers(a);
	a->vals[a->nvals++] = v;
	a->sorted = false;
}

/*
 * Packs a value of a count_distinct tuple so that two values are equal
 * exactly when their bytes are, and most take a byte or two: a whole number
 * below 224 is its byte; tenths below 409.6, 0xE0 + the high bits and a
 * byte; a number of at most three decimals, 0xF0 + the decimals and its
 * zigzag varint; any other, 0xF4 and its 8 bytes; a blank, 0xFF (blanks
 * equal each other).  A value's form follows from the value alone, so equal
 * values pack alike (0 and -0 as well).  Returns the bytes written, at most 9.
 */
static inline size_t pack_value(unsigned char *p, const struct value *v)
{
	static const double scale[] = {1, 10, 100, 1000};
	double d = v->num;
	if (v->type == V_NULL) {
		*p = 0xFF;
		return 1;
	}
	if (d >= 0 && d < 224 && d == (double)(int)d) {
		*p = (unsigned char)(int)d;
		return 1;
	}
	/* k / 10 * 10 is k again for each k below 4096: d * 10, truncated, is the tenths that give d if any do */
	long long tenths = d >= 0 && d < 409.6 ? (long long)(d * 10) : -1;
	if (tenths >= 0 && (double)tenths / 10 == d) {
		p[0] = (unsigned char)(0xE0 | tenths >> 8), p[1] = (unsigned char)(tenths & 0xFF);
		return 2;
	}
	for (int s = 0; s < 4; s++) {
		if (!(fabs(d * scale[s]) < 9007199254740992.0))
			continue;
		long long k = llround(d * scale[s]);
		if ((double)k / scale[s] != d)
			continue;
		p[0] = (unsigned char)(0xF0 + s);
		return 1 + varint_put(p + 1, k < 0 ? ~((uint64_t)k << 1) : (uint64_t)k << 1);
	}
	p[0] = 0xF4;
	memcpy(p + 1, &d, sizeof d);
	return 9;
}

/*
 * Keeps a tuple of count_distinct, packed: its bytes grow by half again when
 * full.  first: the value of the call's first argument, the others read
 * where they lie on the row.
 */
static void keep_tuple(struct agg_acc *a, const struct agg_slot *s, const struct value *first, const struct eval_ctx *row)
{
	const struct node *c = &s->expr->nodes[s->call];
	size_t width = (size_t)c->nargs;
	if (a->nvals + width * 9 > a->cap) {
		if (a->cap > UINT32_MAX / 2)
			die(EXIT_TROUBLE, "too many values in one group to keep");
		a->cap = a->cap + a->cap / 2 + (uint32_t)width * 9 + 64;
		a->tuples = xrealloc(a->tuples, a->cap);
	}
	a->listed = a->packed = true;
	a->nvals += pack_value(a->tuples + a->nvals, first);
	for (size_t k = 1; k < width; k++) {
		struct value held;
		a->nvals += pack_value(a->tuples + a->nvals, value_at(s->expr, s->expr->argv[c->args + k], row, &held));
	}
}

/*
 * Adds a number to longest_equal_run's accumulator: hits counts the current
 * run, of the value in lo, which began at run_from; hi is the longest, of the
 * value in sum, which began at best_from.  where: the row's record.
 */
static inline void equal_run(struct agg_acc *a, double v, const void *where)
{
	if (!a->hits || v != a->lo)
		a->hits = 0, a->lo = v, a->run_from = where;
	if (++a->hits > a->hi)
		a->hi = a->hits, a->best_from = a->run_from, a->sum = a->lo;
}

/* A slot's argument on this row, read as the slot was set to (see agg_read): in the row, in *held or in given. */
static inline const struct value *slot_argument(const struct agg_slot *s, const struct eval_ctx *row,
						struct value *held, const struct value *given)
{
	switch (s->read) {
	case AGG_READ_CELL:
		if (!row->row)
			break;
		return &row->row[s->cell];
	case AGG_READ_TEST: *held = cell_test(&s->expr->nodes[s->arg], row); return held;
	case AGG_READ_SHARED: return &given[s->shared];
	default: break;
	}
	*held = eval(s->expr, s->arg, row);
	return held;
}

/* Adds a row to slot i by its kind, its argument read as the slot says; given: as in agg_update. */
static void update_slot(const struct agg_slot *s, struct agg_acc *a, size_t i, const struct eval_ctx *row,
			struct value *given)
{
	if (s->kind == AGG_COUNT) {
		a->n++;
		return;
	}
	struct value held;
	const struct value *v = slot_argument(s, row, &held, given);
	if (s->gives)
		given[i] = *v;
	switch (s->kind) {
	case AGG_COUNT_IF:
		a->hits += v->type == V_BOOL && v->num;
		break;
	case AGG_RATIO:
		if (v->type == V_BOOL)
			a->n++, a->hits += v->num;
		break;
	case AGG_SUM: case AGG_MEAN:
		if (v->type == V_NUM)
			a->n++, a->sum += v->num;
		break;
	case AGG_MIN: case AGG_MAX:
		if (v->type != V_NUM && v->type != V_DATE)
			break;
		if (!a->n || v->num < a->lo)
			a->lo = v->num;
		if (!a->n || v->num > a->hi)
			a->hi = v->num;
		a->date = v->type == V_DATE;
		a->n++;
		break;
	case AGG_PERCENTILE:
		if (v->type == V_NUM)
			keep_number(a, v->num);
		break;
	case AGG_LONGEST_RUN:
		/* hits: the current run; hi: the longest, which began at best_from */
		if (v->type == V_BOOL && v->num) {
			if (!a->hits)
				a->run_from = row->where;
			if (++a->hits > a->hi)
				a->hi = a->hits, a->best_from = a->run_from;
		} else {
			a->hits = 0;
		}
		break;
	case AGG_LONGEST_EQUAL_RUN:
		/* blanks neither break a run nor lengthen it; hits: the current run of run_value */
		if (v->type == V_NUM)
			equal_run(a, v->num, row->where);
		break;
	case AGG_MAD:
		if (v->type == V_NUM)
			keep_number(a, v->num), a->hits = 0;
		break;
	case AGG_COUNT_DISTINCT:
		keep_tuple(a, s, v, row);
		break;
	case AGG_MAX_CHANGE: {
		struct value t = eval(s->expr, s->arg2, row);
		if (v->type == V_NUM && t.type == V_NUM)
			keep_number(a, t.num), keep_number(a, v->num);
		break;
	}
	default:
		break;
	}
}

size_t agg_acc_size(enum agg_kind kind)
{
	switch (kind) {
	case AGG_COUNT: return offsetof(struct agg_acc, sum);
	case AGG_SUM: case AGG_MEAN: return offsetof(struct agg_acc, hits);
	case AGG_COUNT_IF: case AGG_RATIO: return offsetof(struct agg_acc, lo);
	case AGG_MIN: case AGG_MAX: return offsetof(struct agg_acc, vals); /* date, then room up to the next double */
	default: return sizeof(struct agg_acc);
	}
}

/* True if a kind's accumulator may hold a list of values (agg_acc.listed), to free and to count. */
static bool lists(enum agg_kind kind)
{
	return 1u << kind & (1u << AGG_PERCENTILE | 1u << AGG_MAD | 1u << AGG_MAX_CHANGE | 1u << AGG_COUNT_DISTINCT);
}

void agg_update(const struct agg_slot *slots, size_t n, unsigned char *block, const struct eval_ctx *row)
{
	struct value given[AGG_SHARED_MAX]; /* the arguments' values later slots take (set before they are read) */
	const struct value *cells = row->row, *c;
	for (size_t i = 0; i < n; i++) {
		const struct agg_slot *s = &slots[i];
		struct agg_acc *a = agg_acc_of(block, s);
		switch (s->step) {
		case AGG_STEP_COUNT:
			a->n++;
			break;
		case AGG_STEP_SUM_CELL:
			c = cells ? &cells[s->cell] : NULL;
			if (c && c->type == V_NUM)
				a->n++, a->sum += c->num;
			break;
		case AGG_STEP_COUNT_IF_TEST: {
			struct value t = cell_test(&s->expr->nodes[s->arg], row);
			a->hits += t.type == V_BOOL && t.num;
			break;
		}
		case AGG_STEP_BAND: {
			int in = cells ? band_holds(&s->band, &cells[s->cell]) : -1;
			if (s->gives)
				given[i] = in < 0 ? null_value : boolean(in);
			if (in >= 0)
				a->hits += in, a->n += s->kind == AGG_RATIO;
			break;
		}
		case AGG_STEP_KEEP_CELL:
			c = cells ? &cells[s->cell] : NULL;
			if (c && c->type == V_NUM)
				keep_number(a, c->num);
			break;
		case AGG_STEP_EQUAL_RUN_CELL:
			c = cells ? &cells[s->cell] : NULL;
			if (c && c->type == V_NUM)
				equal_run(a, c->num, row->where);
			break;
		default:
			update_slot(s, a, i, row, given);
		}
	}
}

bool agg_holds(const struct agg_slot *slots, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (slots[i].step != AGG_STEP_COUNT && slots[i].step != AGG_STEP_SUM_CELL)
			return false;
	return true;
}

/* The column a held slot's aggregate reads (its sum's or mean's), or -1 for count(). */
int agg_held_cell(const struct agg_slot *slot)
{
	return slot->step == AGG_STEP_SUM_CELL ? slot->cell : -1;
}

bool agg_hold_row(const int *cell, size_t n, const struct value *cells, struct value *values)
{
	for (size_t k = 0; k < n; k++) {
		const struct value *c = cell[k] < 0 ? NULL : cells ? &cells[cell[k]] : &null_value;
		if (!c)
			values[k] = num(1);
		else if (c->type != V_NUM)
			values[k] = null_value;
		else if (isfinite(c->num))
			values[k] = (struct value){.type = V_NUM, .num = 0.0 + c->num}; /* a sum of 0 and it, divided by 1 for a mean */
		else
			return false;
	}
	return true;
}

void agg_unhold(const struct agg_slot *slots, const int *slot, size_t n, const struct value *values,
		unsigned char *block)
{
	for (size_t k = 0; k < n; k++) {
		const struct agg_slot *s = &slots[slot[k]];
		struct agg_acc *a = agg_acc_of(block, s);
		if (s->step == AGG_STEP_COUNT)
			a->n = 1;
		else if (values[k].type == V_NUM)
			a->n = 1, a->sum = values[k].num;
	}
}

void agg_acc_free(const struct agg_slot *slots, size_t n, unsigned char *blocks, size_t nblocks)
{
	size_t size = agg_block_size(slots, n);
	for (size_t i = 0; i < n; i++) {
		if (!lists(slots[i].kind))
			continue;
		for (size_t g = 0; g < nblocks; g++) {
			struct agg_acc *a = agg_acc_of(blocks + g * size, &slots[i]);
			if (a->listed)
				free(a->vals);
		}
	}
}

uint64_t agg_acc_kept_bytes(const struct agg_slot *slots, size_t n, const unsigned char *block)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const struct agg_acc *a = agg_acc_of_const(block, &slots[i]);
		if (lists(slots[i].kind) && a->listed)
			bytes += a->packed ? a->nvals : a->nvals * sizeof *a->vals;
	}
	return bytes;
}

int value_order(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->type != V_STR)
		return (a->num > b->num) - (a->num < b->num);
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->str, b->str, n) : 0;
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Compares texts in natural order, a run of digits against a run of digits by value, the rest bytewise. */
static int natural_order(const unsigned char *a, size_t na, const unsigned char *b, size_t nb)
{
	size_t i = 0, j = 0;
	while (i < na && j < nb) {
		if (a[i] < '0' || a[i] > '9' || b[j] < '0' || b[j] > '9') {
			if (a[i] != b[j])
				return a[i] < b[j] ? -1 : 1;
			i++, j++;
			continue;
		}
		size_t zi = i, zj = j, ei, ej;
		while (zi < na && a[zi] == '0')
			zi++;
		while (zj < nb && b[zj] == '0')
			zj++;
		for (ei = zi; ei < na && a[ei] >= '0' && a[ei] <= '9'; ei++)
			;
		for (ej = zj; ej < nb && b[ej] >= '0' && b[ej] <= '9'; ej++)
			;
		if (ei - zi != ej - zj) /* more significant digits: the larger number */
			return ei - zi < ej - zj ? -1 : 1;
		int c = memcmp(a + zi, b + zj, ei - zi);
		if (c)
			return c;
		if (ei - i != ej - j) /* the same number: fewer leading zeros first */
			return ei - i < ej - j ? -1 : 1;
		i = ei, j = ej;
	}
	return (na - i > nb - j) - (na - i < nb - j);
}

int value_order_natural(const struct value *a, const struct value *b)
{
	if (a->type != V_STR || b->type != V_STR)
		return value_order(a, b);
	return natural_order((const unsigned char *)a->str, a->len, (const unsigned char *)b->str, b->len);
}

void value_format(const struct value *v, struct buf *out)
{
	char tmp[64];
	switch (v->type) {
	case V_NUM:
		if (!(fabs(v->num) < 1e15)) {
			buf_addf(out, "%.15g", v->num);
		} else if (v->num == floor(v->num)) {
			buf_addf(out, "%.0f", v->num);
		} else {
			snprintf(tmp, sizeof tmp, "%.4f", v->num);
			size_t len = strlen(tmp);
			while (len && tmp[len - 1] == '0')
				len--;
			if (len && tmp[len - 1] == '.')
				len--;
			buf_add(out, tmp, len);
		}
		break;
	case V_STR: buf_add(out, v->str, v->len); break;
	case V_DATE: format_date(v->num, tmp); buf_adds(out, tmp); break;
	case V_BOOL: buf_adds(out, v->num ? "true" : "false"); break;
	default: buf_adds(out, "null");
	}
}

void value_json(const struct value *v, struct buf *out)
{
	switch (v->type) {
	case V_NUM: case V_BOOL: value_format(v, out); break;
	case V_STR: jsonw_string(out, v->str, v->len); break;
	case V_DATE: {
		struct buf t = {0};
		value_format(v, &t);
		jsonw_string(out, t.data, t.len);
		buf_free(&t);
		break;
	}
	default: buf_adds(out, "null");
	}
}

void values_object_json(const char *const *names, const struct value *v, size_t n, struct buf *out)
{
	buf_addc(out, '{');
	for (size_t k = 0; k < n; k++) {
		jsonw_key(out, names[k]);
		value_json(&v[k], out);
	}
	buf_addc(out, '}');
}

void value_key(struct buf *key, const struct value *v)
{
	buf_addc(key, (char)('0' + v->type));
	if (v->type == V_STR) {
		uint32_t len = (uint32_t)v->len;
		buf_add(key, &len, sizeof len);
		buf_add(key, v->str, v->len);
	} else {
		buf_add(key, &v->num, sizeof v->num);
	}
}
