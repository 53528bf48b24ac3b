/*
 * expreval.c — evaluating compiled expressions on a row: operators with the
 * null rule and the row functions.  Evaluation is a recursive walk whose
 * depth the parser bounds, through an evaluator function picked for each
 * node when it is compiled; it allocates nothing.  The shapes rules test
 * most rows with (a column against a literal, a column's null test, a chain
 * of && or || of those, year() of a column) have evaluators of their own
 * that read the cells directly.  aqi_day(), aqi_top() and aqi_over() share
 * the individual indexes of the last seven items they were given (of seven
 * columns, read where they lie); lookup() remembers the last key it found in
 * each table column, a let holds for the row whose stamp it was worked out
 * on, and an expression of text cells alone that calls a function (a lookup
 * of the row's county) holds while those cells' bytes do.  A when is planned
 * once a file's columns are known (expr_when_plan): what they settle drops
 * out.  A rule judged in order is reduced, once its group's values are
 * known, to tests of cells against constants (row_test_reduce).  The
 * aggregates' accumulators are expragg.c's; values' order and text are
 * exprvalue.c's.
 */
#include "exprnode.h"
#include "celltype.h"
#include "ruleset.h"
#include "standards.h"
#include "targets.h"
#include "utf8.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many times an expression has been freed: what a thread remembered before then may be gone. */
static atomic_ulong generation = 1; /* 0 is a memo never filled */

/* Compares two strings byte by byte, a prefix first: -1, 0 or 1. */
static int compare_text(const struct value *x, const struct value *y)
{
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, n);
	if (c)
		return c < 0 ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

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
 * aqi_day(), aqi_top() and aqi_over() of one row (lets that rules and
 * messages read again) ask for the same seven; read from seven columns of
 * a stamped row, they are that row's items of those columns, and are not
 * compared again.
 */
struct aqi_items {
	bool filled;
	uint64_t stamp;           /* the row they were worked out on (eval_ctx.stamp), or 0 */
	int cols[AQI_ITEMS];      /* the columns of that row they were read from; -1 first: not read from columns */
	double c[AQI_ITEMS];
	int iaqi[AQI_ITEMS], best;
};

static _Thread_local struct aqi_items last_items;

/* True if the thread's last items are not of the row with this stamp (none are, or another row's). */
static inline bool items_stale(const struct aqi_items *m, uint64_t stamp)
{
	return !m->filled || (stamp && stamp != m->stamp);
}

/* Works out the indexes of the concentrations m holds, on the row with this stamp. */
static inline const struct aqi_items *fill_items(struct aqi_items *m, uint64_t stamp)
{
	m->best = aqi_individuals(m->c, m->iaqi);
	m->filled = true;
	m->stamp = stamp;
	return m;
}

/*
 * The seven items' indexes of concentrations c, worked out unless they are
 * the last ones', which a row with another stamp than theirs (ctx.stamp)
 * does not have them look for.
 */
static const struct aqi_items *aqi_items_of(const double c[AQI_ITEMS], uint64_t stamp)
{
	struct aqi_items *m = &last_items;
	uint64_t differ = items_stale(m, stamp);
	for (int k = 0; k < AQI_ITEMS && !differ; k++) {
		uint64_t now_bits, then_bits;
		memcpy(&now_bits, &c[k], sizeof now_bits);
		memcpy(&then_bits, &m->c[k], sizeof then_bits);
		differ |= now_bits ^ then_bits;
	}
	if (!differ)
		return m;
	memcpy(m->c, c, sizeof m->c);
	m->cols[0] = -1;
	return fill_items(m, stamp);
}

/*
 * aqi_day(), aqi_top() and aqi_over() of the seven daily items (so2, no2,
 * pm10, co, o3_1h, o3_8h, pm25) whose indexes items has: the largest
 * individual index of those that have one, the names of the items that
 * reach it, and the names of the items above 100.  With items missing, the
 * largest index is a lower bound of the AQI.
 */
static inline struct value aqi_items_value(const struct node *x, const struct aqi_items *items)
{
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

/* aqi_day(), aqi_top() or aqi_over() of any seven arguments (none as -1), each evaluated. */
static struct value ev_aqi_items(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	double c[AQI_ITEMS];
	for (int k = 0; k < AQI_ITEMS; k++) {
		struct value held;
		const struct value *v = value_at(e, e->argv[x->args + k], ctx, &held);
		c[k] = v->type == V_NUM ? v->num : -1; /* none, as a negative concentration */
	}
	return aqi_items_value(x, aqi_items_of(c, ctx->stamp));
}

/* The cells cols[] of row as the seven items' concentrations into c: none (null, or not a number) as -1. */
static inline void concentrations(double c[AQI_ITEMS], const struct value *row, const int *cols)
{
	_Static_assert(AQI_ITEMS == 7, "every item is read");
#define ITEM_AT(k) (c[k] = row[cols[k]].type == V_NUM ? row[cols[k]].num : -1)
	ITEM_AT(0), ITEM_AT(1), ITEM_AT(2), ITEM_AT(3), ITEM_AT(4), ITEM_AT(5), ITEM_AT(6);
#undef ITEM_AT
}

/*
 * aqi_day(), aqi_top() or aqi_over() of seven columns, as rule sets write
 * them: the cells read where they lie; on a row not seen before (another
 * stamp) straight into the thread's last items, with nothing to compare,
 * and on a row whose items of these columns they are, not read at all.
 * Not a let remembered by expr_remembered: these are its memo.
 */
static struct value ev_aqi_items_of_cells(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	if (!ctx->row)
		return ev_aqi_items(e, x, ctx);
	const int *cols = e->arg_cols + x->args;
	const struct value *row = ctx->row;
	struct aqi_items *m = &last_items;
	if (ctx->stamp && items_stale(m, ctx->stamp)) {
		concentrations(m->c, row, cols);
		memcpy(m->cols, cols, sizeof m->cols);
		return aqi_items_value(x, fill_items(m, ctx->stamp));
	}
	if (ctx->stamp && memcmp(m->cols, cols, sizeof m->cols) == 0) /* this row's items of these columns */
		return aqi_items_value(x, m);
	double c[AQI_ITEMS];
	concentrations(c, row, cols);
	const struct aqi_items *items = aqi_items_of(c, ctx->stamp);
	if (ctx->stamp) /* the row's items of these columns, compared or worked out again */
		memcpy(m->cols, cols, sizeof m->cols);
	return aqi_items_value(x, items);
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

/* aqi_level(x): x's level (value_level), its argument read where it lies when a column; null for none. */
static struct value ev_aqi_level(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value held;
	int level = value_level(value_at(e, e->argv[x->args], ctx, &held));
	return level ? num(level) : null_value;
}

/* What aqi_level() node y gives on the row (0 for null): without a call of its own unless a let or a value of the group wraps it. */
static inline int level_at(const struct expr *e, const struct node *y, const struct eval_ctx *ctx)
{
	if (y->fn != ev_aqi_level) {
		struct value v = y->fn(e, y, ctx);
		return v.type == V_NUM ? (int)v.num : 0;
	}
	struct value held;
	return value_level(value_at(e, e->argv[y->args], ctx, &held));
}

/*
 * Two aqi_level() calls compared (aqi_level(grade) == aqi_level(aqi)), as
 * the category and grade rules write them: both levels worked out in one
 * step, what comparison() gives of the two (null when either has none).
 */
static struct value ev_compare_levels(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	int l = level_at(e, &e->nodes[x->a], ctx), r = level_at(e, &e->nodes[x->b], ctx);
	return l && r ? boolean(num_passes(l, r, holds[x->op])) : null_value;
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
		return m->key_len == key->len && bytes_equal(m->text, key->str, key->len);
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

struct value ev_compare_cell(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return compare_cell(x, ctx);
}

struct value ev_cell_present(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return cell_present(x, ctx);
}

struct value ev_cell_absent(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	(void)e;
	return cell_absent(x, ctx);
}

bool expr_tests_a_cell(const struct node *x)
{
	return x->fn == ev_compare_cell || x->fn == ev_cell_present || x->fn == ev_cell_absent;
}

/* The check of a test of a cell x (expr_tests_a_cell, or a cell compared with against), reading the rows' cell at. */
static struct cell_check cell_check_of(const struct node *x, int at, struct value against)
{
	bool compares = x->fn != ev_cell_present && x->fn != ev_cell_absent;
	return (struct cell_check){.cell = (uint32_t)at, .compares = compares, .present = x->fn == ev_cell_present,
				   .passes = compares ? holds[x->op] : 0, .type = against.type, .against = against.num};
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

bool expr_calls_matches(const struct expr *e)
{
	for (int i = 0; i < e->nnodes; i++)
		if (e->nodes[i].op == OP_CALL && e->nodes[i].index == F_MATCHES)
			return true;
	return false;
}

void expr_when_plan(struct expr_when *w, const struct expr *e, const size_t *file_col)
{
	struct expr_when all = {.e = e};
	*w = (struct expr_when){.e = e, .may_trouble = expr_calls_matches(e)};
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
			break;
		}
	}
	const struct node *first = w->n ? &e->nodes[w->node[0]] : NULL;
	if (first && expr_tests_a_cell(first)) {
		w->checks_first = true;
		w->first = cell_check_of(first, first->cell, first->against);
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

/*
 * aqi_day() of seven columns compared with a number by <= or > (aqi_calc >
 * 100, as good_day writes it): what comparison() gives of the two, with
 * each item held against its ceiling for the number's whole part b
 * (aqi_ceilings): an item at or below it has an index of at most b, or
 * none when it is negative, and only one above it (or whose index has no
 * ceiling) has its index worked out.  An index above b settles it.
 */
static struct value ev_aqi_day_compared(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	double lit = e->nodes[x->b].lit.num;
	if (!ctx->row || !(lit >= 0))
		return ev_compare(e, x, ctx);
	aqi_tables_need();
	int b = lit >= AQI_MAX ? AQI_MAX : (int)lit;
	const double *ceiling = aqi_ceilings[b];
	const int *cols = e->arg_cols + e->nodes[x->a].args;
	bool some = false; /* an item has an index, of at most b */
	for (int k = 0; k < AQI_ITEMS; k++) {
		const struct value *v = &ctx->row[cols[k]];
		if (v->type != V_NUM)
			continue;
		if (v->num <= ceiling[k] && ceiling[k] < INFINITY) {
			some |= v->num >= 0;
			continue;
		}
		int iaqi;
		if (aqi_individual((enum aqi_item)k, v->num, &iaqi) && iaqi > b)
			return boolean(x->op == OP_GT);
		some |= iaqi >= 0;
	}
	return some ? boolean(x->op == OP_LE) : null_value;
}

/* A column compared with what is not a literal (pm25 <= 5 * median(pm25)): the cell read directly. */
static struct value ev_compare_cell_with(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	struct value l = cell(ctx, x->cell);
	return comparison(x->op, l, eval(e, x->b, ctx));
}

bool expr_compares_cells(const struct expr *e, struct cells_compared *c)
{
	const struct node *x = &e->nodes[e->root];
	if (x->op < OP_EQ || x->op > OP_GE || x->fn != ev_compare_cell_with || e->nodes[x->a].op != OP_COL ||
	    e->nodes[x->b].op != OP_COL)
		return false;
	*c = (struct cells_compared){.left = e->nodes[x->a].index, .right = e->nodes[x->b].index, .passes = holds[x->op]};
	return true;
}

bool expr_compares_levels(const struct expr *e, struct cells_compared *c)
{
	const struct node *x = &e->nodes[e->root];
	if (x->fn != ev_compare_levels)
		return false;
	const struct node *a = &e->nodes[x->a], *b = &e->nodes[x->b];
	if (a->fn != ev_aqi_level || b->fn != ev_aqi_level || e->arg_cols[a->args] < 0 || e->arg_cols[b->args] < 0)
		return false;
	*c = (struct cells_compared){.left = e->arg_cols[a->args], .right = e->arg_cols[b->args], .passes = holds[x->op]};
	return true;
}

/* "x != null": not(is_null(x)) in one step. */
static struct value ev_not_null(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	const struct node *test = &e->nodes[x->a];
	return boolean(eval(e, e->argv[test->args], ctx).type != V_NULL);
}

bool expr_guards_compare(const struct expr_when *w, const struct expr *assert, struct guarded_compare *g)
{
	if (w->n != 1 || w->may_trouble || expr_calls_matches(assert))
		return false;
	const struct node *test = &w->e->nodes[w->node[0]], *x = &assert->nodes[assert->root];
	if (test->fn != ev_not_null || x->fn != ev_compare_cell_with)
		return false;
	int value = w->e->argv[w->e->nodes[test->a].args];
	if (!same_tree(w->e, value, assert, x->b))
		return false;
	const struct node *v = &w->e->nodes[value];
	bool aqi_day = v->fn == ev_aqi_items_of_cells && v->index == F_AQI_DAY && x->op == OP_GE;
	if (aqi_day)
		aqi_tables_need(); /* for expr_guard_holds on the rows to come */
	*g = (struct guarded_compare){.when = w->e, .value = value, .cell = x->cell, .passes = holds[x->op],
				      .items = aqi_day ? w->e->arg_cols + v->args : NULL};
	return true;
}

/* True if no item of g that is a number is above its ceiling in a row: what expr_guard_holds tells once some cell's bits are. */
static __attribute__((noinline)) bool numbers_below(const struct guarded_compare *g, const struct value *row,
						   const double *ceiling)
{
	const int *cols = g->items;
	bool above = false;
#define ABOVE(k) (above |= row[cols[k]].type == V_NUM && row[cols[k]].num > ceiling[k])
	ABOVE(0), ABOVE(1), ABOVE(2), ABOVE(3), ABOVE(4), ABOVE(5), ABOVE(6);
#undef ABOVE
	return !above;
}

bool expr_guard_holds(const struct guarded_compare *g, const struct value *row)
{
	const struct value *bound = &row[g->cell];
	if (!g->items || bound->type != V_NUM || !(bound->num >= 0))
		return false;
	/* the cell at least every index ⇔ its whole part at least every index */
	const double *ceiling = aqi_ceilings[bound->num >= AQI_MAX ? AQI_MAX : (int)bound->num];
	const int *cols = g->items;
	_Static_assert(AQI_ITEMS == 7, "every item is read");
	/* each cell's bits read as a number whatever its type first: no number is above its ceiling unless one of these is */
	bool above = false;
#define BITS_ABOVE(k) (above |= row[cols[k]].num > ceiling[k])
	BITS_ABOVE(0), BITS_ABOVE(1), BITS_ABOVE(2), BITS_ABOVE(3), BITS_ABOVE(4), BITS_ABOVE(5), BITS_ABOVE(6);
#undef BITS_ABOVE
	return !above || numbers_below(g, row, ceiling);
}

struct value expr_guard_value(const struct guarded_compare *g, const struct eval_ctx *ctx)
{
	return eval(g->when, g->value, ctx);
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
	default:
		if (e->nodes[x->a].op == OP_CALL && e->nodes[x->a].index == F_AQI_LEVEL && e->nodes[x->b].op == OP_CALL &&
		    e->nodes[x->b].index == F_AQI_LEVEL)
			return ev_compare_levels;
		if ((x->op == OP_LE || x->op == OP_GT) && e->nodes[x->a].op == OP_CALL && e->nodes[x->a].index == F_AQI_DAY &&
		    args_are_columns(e, &e->nodes[x->a]) && e->nodes[x->b].op == OP_LIT && e->nodes[x->b].lit.type == V_NUM)
			return ev_aqi_day_compared;
		return ev_compare;
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

static _Thread_local struct text_memo text_memos[TEXT_MEMOS];

/* Keeps v as the value of e's root for the text cells cols[0..n) of row, when they are texts or blanks that fit. */
static void remember_texts(struct text_memo *m, const struct expr *e, unsigned long now, const int *cols, int n,
			   const struct value *row, struct value v)
{
	m->e = NULL;
	if (v.type == V_STR || !row_texts_keep(m->len, m->bytes, sizeof m->bytes, cols, n, row))
		return;
	m->e = e, m->generation = now, m->out = v;
}

struct value expr_remembered_by_texts(const struct expr *e, const struct node *x, const struct eval_ctx *ctx)
{
	if (!ctx->row)
		return x->unremembered(e, x, ctx);
	struct text_memo *m = &text_memos[e->text_memo];
	unsigned long now = atomic_load_explicit(&generation, memory_order_relaxed);
	const int *cols = e->memo_cols + x->inputs;
	if (m->e == e && m->generation == now && row_texts_same(m->len, m->bytes, cols, x->ninputs, ctx->row))
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
	t->checks[t->n++] = cell_check_of(x, at[x->cell], against);
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
		if (!ctx && x->op != OP_LIT) /* a value of the group, left out */
			return true;
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
	if (!ctx) /* compared with a value of the group: left out */
		return true;
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
