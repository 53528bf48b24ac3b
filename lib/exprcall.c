/*
 * exprcall.c — type-checking the calls of an expression as the parser meets
 * them: a row function's arguments, and the literal ones resolved once (the
 * table and columns of lookup(), the pattern of matches(), a pollutant or
 * water item, a date); an aggregate call made an accumulator slot of the
 * scope, one slot for the same aggregate of the same argument; robust_z()
 * and deviates() fed by two slots of their group.  expr.c parses, finds the
 * function by name and calls in here.
 */
#include "exprnode.h"
#include "celltype.h"
#include "ruleset.h"
#include "standards.h"
#include "targets.h"

#include <stdlib.h>
#include <string.h>

/* Requires argument k of a call to be a string literal; returns it or NULL. */
static const char *literal_arg(struct parser *P, int call, int k, const char *what)
{
	struct node *n = N(P, P->e->argv[N(P, call)->args + k]);
	if (n->op != OP_LIT || n->lit.type != V_STR) {
		perr_node(P, n, "%s must be a string literal", what);
		return NULL;
	}
	return n->lit.str;
}

/* Checks the type of argument k of a call. */
static void want_arg(struct parser *P, int call, int k, enum vtype want, const char *fname)
{
	struct node *n = N(P, P->e->argv[N(P, call)->args + k]);
	if (!fits(n->type, want))
		perr_node(P, n, "argument %d of %s() must be a %s, not a %s", k + 1, fname,
		     vtype_name(want), vtype_name(n->type));
}

/* Finds the reference table named by lookup()'s first argument ("table" or "table.keycolumn"). */
static void resolve_lookup(struct parser *P, int call)
{
	const struct ruleset *rs = P->scope->rs;
	const char *tname = literal_arg(P, call, 0, "the table of lookup()");
	const char *cname = literal_arg(P, call, 2, "the column of lookup()");
	if (!tname || !cname)
		return;
	struct node *n = N(P, call);
	size_t tlen = strcspn(tname, ".");
	struct reftable *t = NULL;
	for (size_t i = 0; i < rs->nrefs && !t; i++)
		if (strlen(rs->refs[i].name) == tlen && !memcmp(rs->refs[i].name, tname, tlen))
			t = rs->refs[i].table;
	if (!t) {
		perr_node(P, n, "no reference table '%.*s' in 'refs'", (int)tlen, tname);
		return;
	}
	int key = tname[tlen] ? reftable_column(t, tname + tlen + 1) : 0;
	int col = reftable_column(t, cname);
	if (key < 0 || col < 0) {
		perr_node(P, n, "reference table '%.*s' has no column '%s'", (int)tlen, tname,
		     key < 0 ? tname + tlen + 1 : cname);
		return;
	}
	reftable_index((struct reftable *)t, key);
	n->table = t;
	n->keycol = key;
	n->param = col;
}

/* Compiles the pattern of matches() once. */
static void compile_matches(struct parser *P, int call)
{
	const char *pat = literal_arg(P, call, 1, "the pattern of matches()");
	if (!pat)
		return;
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		perr_node(P, N(P, call), "bad pattern at offset %zu: %s", (size_t)off, (char *)msg);
		return;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	N(P, call)->re = re;
	N(P, call)->md = pcre2_match_data_create_from_pattern(re, NULL);
}

static int add_slot(struct expr_scope *sc, const struct agg_slot *slot);

/*
 * robust_z(x) and deviates(x, k), in a rule judged on its group's rows: x's
 * distance from the group's median in robust standard deviations.  Their
 * argument feeds two slots of the group, its median and its MAD.
 */
static enum vtype window_call(struct parser *P, int call, const struct fninfo *f)
{
	struct expr_scope *sc = P->scope;
	struct node *n = N(P, call);
	if (!sc->aggregate || !sc->ordered || sc->group) {
		perr_node(P, n, "%s() compares a row with its group: it belongs in a row rule with 'order' (and 'group')",
			  f->name);
		return V_ANY;
	}
	want_arg(P, call, 0, V_NUM, f->name);
	if (f->id == F_DEVIATES)
		want_arg(P, call, 1, V_NUM, f->name);
	struct agg_slot median = {.kind = AGG_PERCENTILE, .expr = P->e, .arg = P->e->argv[n->args], .p = 50};
	struct agg_slot mad = {.kind = AGG_MAD, .expr = P->e, .arg = P->e->argv[n->args]};
	int median_slot = add_slot(sc, &median), mad_slot = add_slot(sc, &mad);
	n->part = (int)sc->slots[median_slot].at;
	n->keycol = (int)sc->slots[mad_slot].at;
	return f->id == F_DEVIATES ? V_BOOL : V_NUM;
}

/* Type-checks a row function call and resolves its literal arguments. */
enum vtype check_call(struct parser *P, int call, const struct fninfo *f)
{
	struct node *n = N(P, call);
	const char *name = f->name;
	const struct ruleset *rs = P->scope->rs;
	const char *lit;
	int nargs = n->nargs;
	switch (f->id) {
	case F_IS_NULL: return V_BOOL;
	case F_LEN: want_arg(P, call, 0, V_STR, name); return V_NUM;
	case F_YEAR: case F_MONTH: case F_DAY: case F_DAYS_IN_MONTH:
		want_arg(P, call, 0, V_DATE, name);
		return V_NUM;
	case F_ABS: case F_CEIL: case F_FLOOR: want_arg(P, call, 0, V_NUM, name); return V_NUM;
	case F_COALESCE: {
		enum vtype t = V_NULL;
		for (int k = 0; k < nargs; k++) {
			const struct node *a = N(P, P->e->argv[n->args + k]);
			if (t == V_NULL || t == V_ANY)
				t = a->type == V_NULL ? t : a->type;
			else if (!fits(a->type, t))
				perr_node(P, a, "the arguments of coalesce() are a %s and a %s", vtype_name(t),
					  vtype_name(a->type));
		}
		return t == V_NULL ? V_ANY : t;
	}
	case F_ROUND: want_arg(P, call, 0, V_NUM, name); want_arg(P, call, 1, V_NUM, name); return V_NUM;
	case F_MIN: case F_MAX: case F_MIN_OF: case F_MAX_OF: {
		enum vtype t = V_NULL;
		for (int k = 0; k < nargs; k++) {
			enum vtype at = N(P, P->e->argv[n->args + k])->type;
			if (t == V_NULL || t == V_ANY)
				t = at;
			if (!fits(at, t) || (at != V_NUM && at != V_DATE && at != V_ANY && at != V_NULL))
				perr_node(P, N(P, P->e->argv[n->args + k]),
				     "%s() compares numbers or dates, not a %s", name, vtype_name(at));
		}
		return t == V_NULL ? V_ANY : t;
	}
	case F_MATCHES: want_arg(P, call, 0, V_STR, name); compile_matches(P, call); return V_BOOL;
	case F_LOOKUP: resolve_lookup(P, call); return V_STR;
	case F_TARGET: case F_BASELINE: case F_PROGRESS: case F_BINDING: case F_DUE: case F_ON_TRACK:
		if (!rs->targets) {
			perr_node(P, n, "%s() needs a reference table named 'targets' in 'refs'", name);
			return V_ANY;
		}
		want_arg(P, call, 0, V_STR, name);
		lit = N(P, P->e->argv[n->args])->op == OP_LIT && N(P, P->e->argv[n->args])->lit.type == V_STR
			      ? N(P, P->e->argv[n->args])->lit.str : NULL;
		if (lit && !targets_has(rs->targets, lit, strlen(lit)))
			perr_node(P, N(P, P->e->argv[n->args]), "no indicator '%s' in the target table", lit);
		/* the numbers after the id: progress(id, value), due(id, year), on_track(id, value, year) */
		int numbers = f->id == F_PROGRESS || f->id == F_DUE ? 1 : f->id == F_ON_TRACK ? 2 : 0;
		for (int k = 1; k <= numbers; k++)
			want_arg(P, call, k, V_NUM, name);
		if (nargs > numbers + 1)
			want_arg(P, call, nargs - 1, V_STR, name);
		return f->id == F_BINDING || f->id == F_ON_TRACK ? V_BOOL : V_NUM;
	case F_SCHEDULE: want_arg(P, call, 0, V_NUM, name); return V_NUM;
	case F_AQI:
		if ((lit = literal_arg(P, call, 0, "the pollutant of aqi()")) && (n->param = aqi_item(lit)) < 0)
			perr_node(P, n, "unknown pollutant '%s' (so2, no2, pm10, co, o3_1h, o3_8h, pm25)", lit);
		want_arg(P, call, 1, V_NUM, name);
		return V_NUM;
	case F_AQI_DAY: case F_AQI_TOP: case F_AQI_OVER:
		for (int k = 0; k < nargs; k++)
			want_arg(P, call, k, V_NUM, name);
		return f->id == F_AQI_DAY ? V_NUM : V_STR;
	case F_AQI_LEVEL: return V_NUM;
	case F_AQI_CATEGORY: case F_AQI_GRADE: case F_WATER_CLASS_NAME:
		want_arg(P, call, 0, V_NUM, name);
		return V_STR;
	case F_SAME_POLLUTANTS:
		want_arg(P, call, 0, V_STR, name);
		want_arg(P, call, 1, V_STR, name);
		return V_BOOL;
	case F_NAME_OF_MAX:
		if (nargs % 2)
			perr_node(P, n, "name_of_max() takes pairs of a name and a value");
		for (int k = 0; k + 1 < nargs; k += 2) {
			literal_arg(P, call, k, "each name of name_of_max()");
			want_arg(P, call, k + 1, V_NUM, name);
		}
		return V_STR;
	case F_PREV: case F_LAG: {
		if (!P->scope->ordered) {
			perr_node(P, n, "%s() needs rows in order: give the rule an 'order'", name);
			return V_ANY;
		}
		int lag = 1;
		if (f->id == F_LAG) {
			const struct node *k = N(P, P->e->argv[n->args + 1]);
			if (k->op != OP_LIT || k->lit.type != V_NUM || k->lit.num < 1 || k->lit.num > MAX_LAG ||
			    k->lit.num != (int)k->lit.num) {
				perr_node(P, k, "the lag of lag() must be a whole number from 1 to %d", MAX_LAG);
				return V_ANY;
			}
			lag = (int)k->lit.num;
		}
		n->param = lag;
		if (lag > P->scope->max_lag)
			P->scope->max_lag = lag;
		return N(P, P->e->argv[n->args])->type;
	}
	case F_ROBUST_Z: case F_DEVIATES: return window_call(P, call, f);
	case F_EQUAL: return V_BOOL;
	case F_IN_FILE:
		if (N(P, P->e->argv[n->args])->op != OP_COL)
			perr_node(P, N(P, P->e->argv[n->args]), "in_file() takes a column");
		return V_BOOL;
	case F_WATER_CLASS:
		if ((lit = literal_arg(P, call, 0, "the item of water_class()")) && (n->param = water_item(lit)) < 0)
			perr_node(P, n, "unknown item '%s' (ph, do, codmn, cod, bod5, nh3n, tp, tn, cu, zn, fluoride, se, "
				  "as, hg, cd, cr6, pb, cn, phenol, oil, las, sulfide, fecal_coliform, tp_lake)", lit);
		want_arg(P, call, 1, V_NUM, name);
		if (nargs == 3)
			want_arg(P, call, 2, V_BOOL, name);
		return V_NUM;
	case F_DATE:
		if ((lit = literal_arg(P, call, 0, "the argument of date()"))) {
			double d;
			if (!parse_date(lit, strlen(lit), &d))
				perr_node(P, n, "'%s' is not a date (YYYY-MM-DD)", lit);
			n->op = OP_LIT;
			n->lit = (struct value){.type = V_DATE, .num = d};
		}
		return V_DATE;
	case F_NUMBER: return V_NUM;
	case F_AS_OF: return V_DATE;
	case F_CLASS: want_arg(P, call, 0, V_STR, name); return V_NUM;
	case F_SUBSTR:
		want_arg(P, call, 0, V_STR, name);
		want_arg(P, call, 1, V_NUM, name);
		want_arg(P, call, 2, V_NUM, name);
		return V_STR;
	default: return V_ANY;
	}
}

/* True if node n of a and node m of b are the same expression, literal for literal. */
bool same_tree(const struct expr *a, int n, const struct expr *b, int m)
{
	if ((n < 0) != (m < 0))
		return false;
	if (n < 0)
		return true;
	const struct node *x = &a->nodes[n], *y = &b->nodes[m];
	if (x->op != y->op || x->type != y->type || x->index != y->index || x->param != y->param ||
	    x->table != y->table || x->keycol != y->keycol || x->nargs != y->nargs ||
	    x->lit.type != y->lit.type || x->lit.len != y->lit.len)
		return false;
	if (x->op == OP_LIT && (x->lit.type == V_STR ? x->lit.len && memcmp(x->lit.str, y->lit.str, x->lit.len) != 0
						     : x->lit.num != y->lit.num))
		return false;
	for (int k = 0; k < x->nargs; k++)
		if (!same_tree(a, a->argv[x->args + k], b, b->argv[y->args + k]))
			return false;
	return same_tree(a, x->a, b, y->a) && same_tree(a, x->b, b, y->b) && same_tree(a, x->c, b, y->c);
}

/* The slot already made for the same aggregate of the same argument, or -1. */
static int existing_slot(const struct expr_scope *sc, const struct agg_slot *slot)
{
	for (size_t i = 0; i < sc->nslots; i++) {
		const struct agg_slot *o = &sc->slots[i];
		if (o->kind == slot->kind && o->p == slot->p &&
		    (slot->kind == AGG_COUNT_DISTINCT ? same_tree(o->expr, o->call, slot->expr, slot->call)
						      : same_tree(o->expr, o->arg, slot->expr, slot->arg)) &&
		    (slot->kind != AGG_MAX_CHANGE || same_tree(o->expr, o->arg2, slot->expr, slot->arg2)))
			return (int)i;
	}
	return -1;
}

/* Turns an aggregate call into an accumulator slot of the scope. */
enum vtype make_aggregate(struct parser *P, int call, const struct fninfo *f)
{
	struct expr_scope *sc = P->scope;
	struct node *n = N(P, call);
	struct agg_slot slot = {.expr = P->e, .arg = n->nargs ? P->e->argv[n->args] : -1};
	enum vtype argt = slot.arg >= 0 ? N(P, slot.arg)->type : V_NULL;
	enum vtype ret = V_NUM;
	switch (f->id) {
	case F_COUNT: slot.kind = AGG_COUNT; break;
	case F_COUNT_IF: slot.kind = AGG_COUNT_IF; want_arg(P, call, 0, V_BOOL, f->name); break;
	case F_SUM: slot.kind = AGG_SUM; want_arg(P, call, 0, V_NUM, f->name); break;
	case F_MEAN: slot.kind = AGG_MEAN; want_arg(P, call, 0, V_NUM, f->name); break;
	case F_AGG_MIN: case F_AGG_MAX:
		slot.kind = f->id == F_AGG_MIN ? AGG_MIN : AGG_MAX;
		if (argt != V_NUM && argt != V_DATE && argt != V_ANY && argt != V_NULL)
			perr_node(P, n, "%s() takes numbers or dates, not a %s", f->name, vtype_name(argt));
		ret = argt == V_DATE ? V_DATE : argt == V_NUM ? V_NUM : V_ANY;
		break;
	case F_RATIO: slot.kind = AGG_RATIO; want_arg(P, call, 0, V_BOOL, f->name); break;
	case F_LONGEST_RUN: case F_LONGEST_RUN_FROM:
		slot.kind = AGG_LONGEST_RUN;
		want_arg(P, call, 0, V_BOOL, f->name);
		n->part = f->id == F_LONGEST_RUN_FROM;
		ret = f->id == F_LONGEST_RUN_FROM ? V_ANY : V_NUM;
		if (!sc->ordered)
			perr_node(P, n, "%s() needs rows in order: give the rule an 'order'", f->name);
		break;
	case F_LONGEST_EQUAL_RUN: case F_LONGEST_EQUAL_RUN_FROM: case F_LONGEST_EQUAL_RUN_VALUE:
		slot.kind = AGG_LONGEST_EQUAL_RUN;
		want_arg(P, call, 0, V_NUM, f->name);
		n->part = f->id == F_LONGEST_EQUAL_RUN ? 0 : f->id == F_LONGEST_EQUAL_RUN_FROM ? 1 : 2;
		ret = n->part == 1 ? V_ANY : V_NUM;
		if (!sc->ordered)
			perr_node(P, n, "%s() needs rows in order: give the rule an 'order'", f->name);
		break;
	case F_MEDIAN: slot.kind = AGG_PERCENTILE; slot.p = 50; want_arg(P, call, 0, V_NUM, f->name); break;
	case F_MAD: slot.kind = AGG_MAD; want_arg(P, call, 0, V_NUM, f->name); break;
	case F_COUNT_DISTINCT:
		slot.kind = AGG_COUNT_DISTINCT;
		slot.call = call;
		for (int k = 0; k < n->nargs; k++) {
			enum vtype t = N(P, P->e->argv[n->args + k])->type;
			if (t == V_STR)
				perr_node(P, N(P, P->e->argv[n->args + k]), "count_distinct() counts numbers, dates and booleans, not texts");
		}
		break;
	case F_MAX_CHANGE:
		slot.kind = AGG_MAX_CHANGE;
		want_arg(P, call, 0, V_NUM, f->name);
		want_arg(P, call, 1, V_NUM, f->name);
		slot.arg2 = P->e->argv[n->args + 1];
		break;
	default: {
		slot.kind = AGG_PERCENTILE;
		want_arg(P, call, 0, V_NUM, f->name);
		struct node *p = N(P, P->e->argv[n->args + 1]);
		if (p->op != OP_LIT || p->lit.type != V_NUM || p->lit.num < 0 || p->lit.num > 100)
			perr_node(P, p, "the percentile must be a number from 0 to 100");
		slot.p = p->lit.num;
	}
	}
	n->op = OP_AGG;
	n->param = (int)slot.kind;
	n->lit.num = slot.p;
	n->index = add_slot(sc, &slot);
	n->acc = (int)sc->slots[n->index].at;
	return ret;
}

/* The number column that node n of e is, or -1. */
static int number_column(const struct expr *e, int n)
{
	return n >= 0 && e->nodes[n].op == OP_COL && e->nodes[n].type == V_NUM ? e->nodes[n].index : -1;
}

/* The number column whose presence node n of e tests (x != null, parsed as !is_null(x)), or -1. */
static int present_number(const struct expr *e, int n)
{
	if (n < 0 || e->nodes[n].op != OP_NOT || e->nodes[n].a < 0)
		return -1;
	const struct node *test = &e->nodes[e->nodes[n].a];
	return test->op == OP_CALL && test->index == F_IS_NULL ? number_column(e, e->argv[test->args]) : -1;
}

/*
 * In a rule's scope (merges_slots), the slot already made that can keep a
 * new aggregate as well as its own, made to; or -1.  count_if(x) counts the
 * hits ratio(x) does, which counts its non-null values besides; count_if(x
 * != null) of a number column x counts the numbers (a number column's cells
 * are numbers or null) that a percentile of x keeps, once the percentile
 * counts them in hits too (agg_slot.counts).  A count_if() that a new ratio()
 * or percentile could keep becomes it, a percentile only in the last slot,
 * whose accumulator may grow in place; each call still reads the slot as its
 * own kind, which is why a view's slots, read by their kinds, are not merged.
 */
static int merged_slot(struct expr_scope *sc, const struct agg_slot *slot)
{
	for (size_t i = 0; i < sc->nslots; i++) {
		struct agg_slot *o = &sc->slots[i];
		int column = o->kind == AGG_PERCENTILE ? number_column(o->expr, o->arg)
			   : o->kind == AGG_COUNT_IF ? present_number(o->expr, o->arg) : -1;
		bool same = (o->kind == AGG_COUNT_IF || o->kind == AGG_RATIO) &&
			    (slot->kind == AGG_COUNT_IF || slot->kind == AGG_RATIO) &&
			    same_tree(o->expr, o->arg, slot->expr, slot->arg);
		if (same) {
			o->replan |= o->kind != AGG_RATIO;
			o->kind = AGG_RATIO;
			return (int)i;
		}
		if (column < 0)
			continue;
		if (o->kind == AGG_PERCENTILE && slot->kind == AGG_COUNT_IF && present_number(slot->expr, slot->arg) == column) {
			o->replan |= !o->counts;
			o->counts = true;
			return (int)i;
		}
		if (o->kind == AGG_COUNT_IF && slot->kind == AGG_PERCENTILE && i + 1 == sc->nslots && !o->gives &&
		    number_column(slot->expr, slot->arg) == column) {
			/* of the column its own expression tests, which outlives the new one's should that fail to compile */
			o->arg = o->expr->argv[o->expr->nodes[o->expr->nodes[o->arg].a].args];
			o->kind = AGG_PERCENTILE;
			o->p = slot->p;
			o->size = (uint32_t)agg_acc_size(AGG_PERCENTILE);
			o->counts = o->replan = true;
			return (int)i;
		}
	}
	return -1;
}

/*
 * The scope's slot for an aggregate: one written twice (in the assert and the
 * message) is accumulated once, and so is one another slot can keep as well
 * (merged_slot).  A new one's accumulator follows the last's in a group's block.
 */
static int add_slot(struct expr_scope *sc, const struct agg_slot *slot)
{
	int i = existing_slot(sc, slot);
	if (i < 0 && sc->merges_slots)
		i = merged_slot(sc, slot);
	if (i >= 0)
		return i;
	if (sc->nslots == sc->capslots) {
		sc->capslots = sc->capslots ? sc->capslots * 2 : 4;
		sc->slots = xrealloc(sc->slots, sc->capslots * sizeof *sc->slots);
	}
	sc->slots[sc->nslots] = *slot;
	sc->slots[sc->nslots].at = (uint32_t)agg_block_size(sc->slots, sc->nslots);
	sc->slots[sc->nslots].size = (uint32_t)agg_acc_size(slot->kind);
	return (int)sc->nslots++;
}


/* True if the subtree at node n holds an aggregate call. */
bool contains_aggregate(const struct expr *e, int n)
{
	if (n < 0)
		return false;
	const struct node *x = &e->nodes[n];
	if (x->op == OP_AGG)
		return true;
	for (int k = 0; k < x->nargs; k++)
		if (contains_aggregate(e, e->argv[x->args + k]))
			return true;
	return contains_aggregate(e, x->a) || contains_aggregate(e, x->b) || contains_aggregate(e, x->c);
}
