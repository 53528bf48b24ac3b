/*
 * ruleorder.c — the rules judged in order of a run of the written rules:
 * the file's rows they keep (each once, the cells they read), their lists
 * of rows by group and order key, and the walks of those lists, sorted,
 * group by group.  A walk judges row rules with the rows before each in its
 * group to look back on (lag(), prev()), or, where a rule's when and assert
 * reduce to tests of the row's cells on the group, by those tests alone;
 * and it fills the accumulators of aggregates judged in order.  Rules that
 * group and order rows alike share one list, walked once for them all.
 *
 * An aggregate's list whose table keeps every group to the end of the file
 * (a daily report's stations, whose days come back day after day), but
 * whose first WATCH_ROWS rows came in order in each group, keeps none from
 * then on: each row fills its group's accumulators as it comes (arrive), as
 * a walk would have in that order, and where the group's runs began is kept
 * apart (hold_runs).  A row that comes before its group's last asks for the
 * file's second reading (rules_must_reread), which keeps the rows.
 */
#include "rulestate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A kept row's cells' texts (or NULL) and their lengths. */
struct kept_texts {
	const char **text;
	size_t *len;
};

/* Where a kept row's nkept texts and their lengths lie (k->text); both NULL where it keeps none. */
static struct kept_texts kept_texts(const struct kept_row *k, size_t nkept)
{
	return (struct kept_texts){k->text, k->text ? (size_t *)(k->text + nkept) : NULL};
}

struct keep_plan;
static void list_finders(struct rules_state *st, struct keep_plan *p);
static bool may_give_finding(struct keep_plan *p, const struct value *cells);

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
void list_sharers(const struct written_rule *rules, size_t n, size_t **first,
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

/* Frees the kept rows and ordered lists and gives their memory back. */
void free_ordered(struct rules_state *st)
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
	st->ordered_room = 0;
	arena_free(&st->kept);
	budget_give(st->budget, st->kept_bytes);
	st->kept_bytes = 0;
}

/*
 * Keeps the current row's cells that ordered rules read, once, in the arena:
 * their values, and their texts where a row rule judged in order may fail
 * the row (may_give_finding), as only a finding reads them.
 */
static struct kept_row *keep_row(struct rules_state *st, const struct row_view *row)
{
	const struct ruleset *rs = st->rs;
	const size_t *cols = rs->kept_cols;
	const struct value *cells = row->values;
	size_t n = rs->nkept;
	struct kept_row *k = arena_alloc(&st->kept, sizeof *k + n * sizeof *k->values);
	k->row = row->row;
	k->line = row->line;
	k->county = row->county;
	k->text = NULL;
	struct value *values = k->values; /* (read once: a text's copy may write anywhere) */
#pragma GCC unroll 8 /* (a row keeps a few cells: the loop's count and test cost as much as a copy) */
	for (size_t i = 0; i < n; i++) {
		const struct value *c = &cells[cols[i]];
		values[i] = *c;
		if (c->type == V_STR) /* the typed text is the cell's text, folded maybe: keep its own copy */
			values[i].str = arena_copy(&st->kept, c->str, c->len);
	}
	if (!may_give_finding(st->keep, k->values))
		return k;
	k->text = arena_alloc(&st->kept, n * (sizeof(char *) + sizeof(size_t)));
	struct kept_texts texts = kept_texts(k, n);
#pragma GCC unroll 8
	for (size_t i = 0; i < n; i++) {
		size_t c = rs->kept_cols[i];
		texts.len[i] = row->text[c] ? row->textlen[c] : 0;
		texts.text[i] = row->text[c] ? arena_copy(&st->kept, row->text[c], texts.len[i]) : NULL;
	}
	return k;
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
static inline __attribute__((always_inline)) void add_entry(struct rules_state *st, struct ordered_rows *o, long g,
							   struct value order, const struct kept_row *kept,
							   const struct value *view_row)
{
	if (g < 0 || order.type == V_NULL)
		return;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		st->ordered_room += (cap - o->cap) * sizeof *o->entries;
		o->entries = xrealloc(o->entries, cap * sizeof *o->entries);
		o->cap = cap;
	}
	if (order.type == V_STR)
		order.str = arena_copy(&st->kept, order.str, order.len);
	struct ordered_entry *e = &o->entries[o->n];
	*e = (struct ordered_entry){order, kept, view_row, st->seq++, (uint32_t)g};
	o->sorted = !o->n || (o->sorted && comes_after(e - 1, e));
	o->n++;
}

void add_ordered(struct rules_state *st, struct ordered_rows *o, long g, struct value order,
		 const struct kept_row *kept, const struct value *view_row)
{
	add_entry(st, o, g, order, kept, view_row);
}

/*
 * Takes from the budget what the kept rows and the ordered lists grew by; when
 * it cannot give it, the rules judged in order are dropped for the rest of the
 * file (they need every row) with a resource-limit finding at this row.
 */
static void account_ordered(struct rules_state *st, const struct row_view *row, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	uint64_t now = st->kept.held + st->ordered_room; /* (only the row rules' first sharers group rows) */
	for (size_t t = 0; t < st->nrow_tables; t++)
		now += group_index_bytes(&st->ordered_rules[st->row_tables[t]].groups);
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

/*
 * A table that keep_for_ordered looks a row's group up in: a row rule's
 * (the first of those that share a list), an aggregate's own, or a joined
 * table, looked up once for all the aggregates in it.
 */
struct kept_table {
	struct group_table *table;
	struct expr *const *group;
	size_t ngroup, block;
	long now;                     /* the row's group, or -1 */
};

/* An aggregate that shares a list of rows: where its memory taken and its being dropped are kept, and its table. */
struct kept_sharer {
	const struct group_table *own;
	size_t table;                 /* in keep_plan.tables */
};

/*
 * A list of rows a file's row goes to, as keep_for_ordered meets it: a row
 * rule's (the first of those that share it), whose group is the row's in its
 * table, or an aggregate's (the first of those that share it), whose group
 * is the row's in the table of its first sharer not dropped; and its order
 * key, a column's cell read in place where it is one.
 */
struct kept_list {
	struct ordered_rows *o;
	const struct expr *order;
	int order_col;                /* or -1: order is evaluated */
	bool order_read;              /* its order key is read anew, not the list before's (by the same column) */
	size_t table;                 /* a row rule's, in keep_plan.tables */
	const struct kept_sharer *sharers; /* an aggregate's: those that share it (none: a row rule's) */
	size_t nsharers;
	bool arriving;                /* an aggregate's whose rows fill its sharers' groups as they come (arrive) */
	bool unordered;               /* an aggregate's whose rows are kept to the end of their groups: one of
					 its groups' rows came out of order, a rule looks back (lag()), the
					 file cannot be read again, or its table streams or batches its groups */
	uint64_t seen;                /* an aggregate's: the rows it has taken in order (from WATCH_ROWS on,
					 decide_arriving decides) */
	enum vtype order_type;        /* the type of its order keys, a number's or a date's (V_NULL before the first) */
	const struct joined_table *join; /* arriving: the joined table whose slots fill all its sharers at once
					    (none has a when, no budget limits them), or NULL: one by one */
	double *last;                 /* per group (nlast of them), the order key of its last row, or NaN: none yet */
	size_t nlast;
};

/*
 * A row rule judged in order's tests of cells alone (cells_test), as
 * keep_row asks whether the rule may fail a row: where they test one cell,
 * the numbers of the type they compare it with that the rule may fail,
 * worked out once on a number of each kind (row_fails), are those from lo
 * to hi when they lie together, so that such a cell is told by two
 * comparisons; any other value is looked up (may_fail_known).
 */
struct finder {
	uint32_t cell;
	enum vtype type;              /* or V_ANY: every value is looked up */
	double lo, hi;                /* lo > hi: none */
	struct cells_test *test;
};

/*
 * What keep_for_ordered does on each of a file's rows, worked out on the
 * first (keep_plan_make) rather than sought on each: the lists of rows, the
 * row rules' first, and the aggregates.
 */
struct keep_plan {
	struct kept_list *lists;
	size_t nlists, nrow_lists;
	struct kept_table *tables;
	size_t ntables;
	struct kept_sharer *sharers;  /* the aggregates' lists' sharers, one after another */
	struct finder *finders;       /* the row rules' tests of cells alone (may_give_finding) */
	size_t nfinders;
	bool all_find;                /* one of those rules has none: it may fail any row */
};

/* A list of rows as keep_for_ordered meets it, with its order key. */
static struct kept_list kept_list(struct ordered_rows *o, const struct expr *order)
{
	bool month_part;
	int col = expr_key_cell(order, &month_part);
	return (struct kept_list){.o = o, .order = order, .order_col = month_part ? -1 : col};
}

/* The room a list indexed by group grows to, from n, for index i: doubled, or to i + 1. */
static size_t room_for(size_t n, size_t i)
{
	return i + 1 > 2 * n ? i + 1 : 2 * n;
}

/* True if one of the aggregates that share aggregate a's list of rows looks back (lag()). */
static bool looks_back(const struct rules_state *st, size_t a)
{
	for (size_t s = st->list_sharers_at[a]; s < st->list_sharers_at[a + 1]; s++)
		if (st->list_sharers[s]->max_lag)
			return true;
	return false;
}

/* Makes an aggregate's list keep its rows to the end of their groups from now on (kept_list.unordered). */
static void never_arrive(struct kept_list *l)
{
	l->unordered = true;
	free(l->last);
	l->last = NULL, l->nlast = 0;
}

/*
 * Notes a row of group g, with order key order, in an aggregate's list:
 * true if it comes after the group's last row in that order (a number's or
 * a date's, of the type the list's first had); if not, the list is
 * unordered from now on.
 */
static bool comes_in_order(struct kept_list *l, long g, struct value order)
{
	if (l->order_type == V_NULL && (order.type == V_NUM || order.type == V_DATE))
		l->order_type = order.type;
	if ((size_t)g >= l->nlast) {
		size_t n = room_for(l->nlast, (size_t)g);
		l->last = xrealloc(l->last, n * sizeof *l->last);
		for (size_t i = l->nlast; i < n; i++)
			l->last[i] = NAN;
		l->nlast = n;
	}
	if (order.type != l->order_type || order.num < l->last[g]) {
		never_arrive(l);
		return false;
	}
	l->last[g] = order.num;
	return true;
}

static void start_arriving(struct rules_state *st, struct kept_list *l, struct diag_file *out);

/*
 * Decides, once an aggregate's list has taken WATCH_ROWS rows, each group's
 * in order, and its table has watched its groups as long, whether its
 * sharers are fed its rows as they come: where the table keeps all its
 * groups (their rows would all be kept to the end of the file), not where
 * it streams or batches them (it keeps a group's rows, or a batch's, at a
 * time, and a walk fills the accumulators at less cost a row).
 */
static void decide_arriving(struct rules_state *st, const struct keep_plan *p, struct kept_list *l,
			    struct diag_file *out)
{
	enum table_mode mode = p->tables[l->sharers[0].table].table->mode;
	if (mode == GROUPS_WATCHED)
		return;
	if (mode == GROUPS_KEPT) {
		start_arriving(st, l, out);
		return;
	}
	never_arrive(l);
}

static void arrive(struct rules_state *st, struct kept_list *l, long g, struct value order,
		   const struct row_view *row, const struct eval_ctx *ctx, struct diag_file *out);

/* Plans keep_for_ordered's work on a file's rows (keep_plan). */
static struct keep_plan *keep_plan_make(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	struct keep_plan *p = xcalloc(1, sizeof *p);
	p->lists = xcalloc(st->nrow_tables + st->nfile_ordered + 1, sizeof *p->lists);
	p->tables = xcalloc(st->nrow_tables + st->nfile_ordered + 1, sizeof *p->tables);
	p->sharers = xcalloc(st->nfile_ordered + 1, sizeof *p->sharers);
	size_t *table_of = xcalloc(st->nfile_ordered + 1, sizeof *table_of); /* per aggregate of file_ordered */
	for (size_t t = 0; t < st->nrow_tables; t++) {
		size_t i = st->row_tables[t];
		const struct written_rule *r = &rs->row_rules[i];
		struct kept_list *l = &p->lists[p->nlists++];
		*l = kept_list(&st->ordered_rules[i], r->order);
		l->unordered = true; /* (a row rule's rows are judged in their group: kept to its end) */
		l->table = p->ntables;
		p->tables[p->ntables++] = (struct kept_table){&st->ordered_rules[i].groups, r->group, r->ngroup, 0, -1};
	}
	p->nrow_lists = p->nlists;
	for (size_t f = 0; f < st->nfile_ordered; f++) { /* (those in a joined table follow the first) */
		size_t a = st->file_ordered[f];
		const struct grouping *gr = aggregate_grouping(st, a, true);
		if (st->join_of[a] == SIZE_MAX || st->joins[st->join_of[a]].first == a)
			p->tables[p->ntables++] = (struct kept_table){gr->table, gr->group, gr->ngroup, gr->block, -1};
		table_of[f] = p->ntables - 1;
	}
	size_t nsharers = 0;
	for (size_t f = 0; f < st->nfile_ordered; f++) {
		size_t a = st->file_ordered[f];
		if (st->ordered_list[a] != a) /* its rows are kept in the first sharer's list */
			continue;
		struct kept_list *l = &p->lists[p->nlists++];
		*l = kept_list(&st->ordered_aggregates[a], rs->aggregates[a].order);
		l->sharers = &p->sharers[nsharers];
		for (size_t s = st->list_sharers_at[a]; s < st->list_sharers_at[a + 1]; s++) {
			size_t k = 0; /* (a sharer of an aggregate of the file's rows is one) */
			while (st->file_ordered[k] != (size_t)(st->list_sharers[s] - rs->aggregates))
				k++;
			p->sharers[nsharers++] = (struct kept_sharer){aggregate_grouping(st, st->file_ordered[k], true)->own,
								      table_of[k]};
		}
		l->nsharers = (size_t)(&p->sharers[nsharers] - l->sharers);
		l->unordered = !st->may_arrive || looks_back(st, a);
	}
	free(table_of);
	for (size_t t = 0; t < p->nlists; t++)
		p->lists[t].order_read = !t || p->lists[t].order_col < 0 || p->lists[t].order_col != p->lists[t - 1].order_col;
	list_finders(st, p);
	return p;
}

void keep_plan_free(struct keep_plan *p)
{
	for (size_t t = 0; p && t < p->nlists; t++)
		free(p->lists[t].last);
	if (p)
		free(p->lists), free(p->tables), free(p->sharers), free(p->finders);
	free(p);
}

/* The order key of a list of rows on the row. */
static inline struct value order_of(const struct kept_list *l, const struct eval_ctx *ctx)
{
	if (l->order_col < 0)
		return expr_eval(l->order, ctx);
	return ctx->row ? ctx->row[l->order_col] : (struct value){.type = V_NULL};
}

/*
 * The row's group in a list of rows: a row rule's table's, or that of an
 * aggregate's first sharer whose table lives.  A dropped sharer's table is
 * gone (now -1) unless it is joined, and then it lives for the partners next
 * to it in the list, which give the same table's group.
 */
static inline long list_group(const struct keep_plan *p, const struct kept_list *l)
{
	if (!l->nsharers)
		return p->tables[l->table].now;
	for (size_t s = 0; s < l->nsharers; s++)
		if (p->tables[l->sharers[s].table].now >= 0)
			return p->tables[l->sharers[s].table].now;
	return -1;
}

/* True if no list of rows of the file's holds any (only these rules keep rows). */
static bool none_kept(const struct keep_plan *p)
{
	for (size_t t = 0; t < p->nlists; t++)
		if (p->lists[t].o->n)
			return false;
	return true;
}

/* Files a file row under each rule judged in order (its group and order key now, the rest later). */
void keep_for_ordered(struct rules_state *st, const struct row_view *row, const struct eval_ctx *ctx,
		      struct diag_file *out)
{
	if (!st->rs->nkept || st->ordered_dropped)
		return;
	struct keep_plan *p = st->keep ? st->keep : (st->keep = keep_plan_make(st));
	struct kept_list *lists = p->lists;
	struct kept_table *tables = p->tables;
	/* first every group of the row, which may end the groups before */
	for (size_t f = 0; f < p->ntables; f++) {
		struct kept_table *t = &tables[f];
		t->now = t->table->dropped ? -1 : find_group(st, t->table, t->group, t->ngroup, t->block, ctx);
	}
	bool keeps = p->nrow_lists > 0; /* (a row rule's list keeps the row, in a group or not) */
	for (size_t t = p->nrow_lists; t < p->nlists && !keeps; t++)
		keeps = !lists[t].arriving && list_group(p, &lists[t]) >= 0;
	if (none_kept(p)) /* every group that kept rows has ended: their memory serves the next */
		arena_empty(&st->kept);
	const struct kept_row *k = keeps ? keep_row(st, row) : NULL;
	struct value order = {.type = V_NULL};
	for (size_t t = 0; t < p->nlists; t++) {
		struct kept_list *l = &lists[t];
		if (l->order_read)
			order = order_of(l, ctx);
		long g = list_group(p, l);
		if (!l->unordered && !l->arriving && g >= 0 && order.type != V_NULL && comes_in_order(l, g, order) &&
		    ++l->seen >= WATCH_ROWS)
			decide_arriving(st, p, l, out);
		if (l->arriving)
			arrive(st, l, g, order, row, ctx, out);
		else
			add_entry(st, l->o, g, order, k, NULL);
	}
	if (st->budget && st->budget->limit)
		account_ordered(st, row, out);
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
 * NULL); their texts too when texts is true (all of them; none, as blanks,
 * for a row that keeps none, which no rule fails).
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
		out->text[c] = kept.text ? kept.text[i] : NULL;
		out->textlen[c] = kept.text ? kept.len[i] : 0;
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

struct walk_plan;

/*
 * The rows a walk keeps spread over the rule set's columns: the last n of a
 * group, for lag() to look back on; the plans of the walks of each list of
 * rows (walk_plan_of), per row rule, then per aggregate, that leads one; and
 * where the longest runs of the groups walked began.
 */
struct walk_ring {
	struct spread_row *rows;
	const struct value **history;
	size_t n, cap;
	struct walk_plan *plans; /* or NULL before the first walk */
	size_t nplans;
	struct arena runs;       /* where the longest runs of the groups walked began (note_run) */
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

static void plans_free(struct walk_ring *ring);

void ring_free(struct walk_ring *ring)
{
	for (size_t i = 0; ring && i < ring->cap; i++)
		free(ring->rows[i].values), free(ring->rows[i].text), free(ring->rows[i].textlen);
	if (ring)
		plans_free(ring), free(ring->rows), free(ring->history), arena_free(&ring->runs);
	free(ring);
}

/* True if a slot notes where its runs began (longest_run(), longest_equal_run()). */
static bool notes_runs(const struct agg_slot *s)
{
	return s->kind == AGG_LONGEST_RUN || s->kind == AGG_LONGEST_EQUAL_RUN;
}

/* Notes that the longest run of aggregate a's group i began at a file's row at (group_table.run_at). */
static void set_run_at(struct rules_state *st, size_t a, size_t i, struct place at)
{
	struct group_table *t = &st->groups[a]; /* (in a joined table, its own) */
	if (i >= t->nrun_at) {
		size_t cap = aggregate_table(st, a)->cap;
		t->run_at = xrealloc(t->run_at, cap * sizeof *t->run_at);
		memset(&t->run_at[t->nrun_at], 0, (cap - t->nrun_at) * sizeof *t->run_at);
		t->nrun_at = cap;
	}
	t->run_at[i] = at;
}

/*
 * Notes where the longest runs (longest_run()) of group i of an aggregate
 * judged in order began, once its rows have been walked: the order key
 * their results give, copied where it stays (walk_ring.runs) without the
 * row, as the rows may be gone when the group is judged; and, for the
 * first, for its finding to point at, the file's row that began it, or the
 * first file row of the view row that did.
 */
static void note_run(struct rules_state *st, const struct written_rule *r, size_t i)
{
	size_t a = (size_t)(r - st->rs->aggregates);
	struct group_table *t = &st->groups[a]; /* (in a joined table, its own, where run_at is kept) */
	bool placed = false;
	for (size_t k = 0; !t->dropped && k < r->nslots; k++) {
		if (!notes_runs(&r->slots[k]))
			continue;
		unsigned char *accs = grouping_accs(aggregate_grouping(st, a, true), i);
		struct agg_acc *acc = agg_acc_of(accs, &r->slots[k]);
		const struct ordered_entry *e = acc->best_from;
		if (!e)
			continue;
		struct ordered_entry *from = arena_alloc(&st->ring->runs, sizeof *from);
		*from = (struct ordered_entry){.order = e->order}; /* (no row: a group noted again keeps its place) */
		if (from->order.type == V_STR)
			from->order.str = arena_copy(&st->ring->runs, from->order.str, from->order.len);
		acc->best_from = from;
		if (placed || (!e->kept && !e->view_row))
			continue;
		placed = true;
		struct place at = {0};
		if (e->kept) {
			at = (struct place){e->kept->line, e->kept->row};
		} else if (e->view_row && r->from >= 0) {
			const struct view_rows *vr = &st->view_rows[r->from];
			at = vr->places[(size_t)(e->view_row - vr->values) / st->rs->views[r->from].out.n];
		}
		set_run_at(st, a, i, at);
	}
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
 * Walks the n sorted rows of one group (rows), each with its history,
 * calling visit for each of the rules on each row, which is spread once for
 * them all.  Only judging a row rule reads the row's texts and its row view
 * (for a finding), and every kept value; the other visits are given the
 * values the rules read (reads) alone.
 */
static void walk_group(struct rules_state *st, const struct walked_rule *rules, size_t nrules,
		       const struct ordered_entry *rows, size_t n, struct walk_ring *ring, ordered_visit visit,
		       const struct kept_places *reads, void *arg)
{
	const struct ruleset *rs = st->rs;
	const struct value **history = ring->history;
	bool reads_row = visit == visit_row_rule;
	struct eval_trouble trouble = {0};
	struct eval_ctx ctx = {.rs = rs, .as_of = as_of_of(st), .history = history, .trouble = reads_row ? &trouble : NULL};
	for (size_t i = 0; i < n; i++) {
		const struct ordered_entry *e = &rows[i];
		struct spread_row *sr = &ring->rows[i % ring->n];
		const struct value *values = e->view_row;
		if (e->kept) {
			spread(rs, e->kept, reads_row ? NULL : reads, sr, reads_row);
			values = sr->values;
		}
		size_t back = i < ring->n - 1 ? i : ring->n - 1;
		for (size_t k = 1; k <= back; k++) {
			const struct ordered_entry *p = &rows[i - k];
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
 * Lays the slots of a walk's row rules, or of aggregates that share a group
 * table (join_tables), end to end into joined, as joined_slots does: rule
 * k's own, or lists[k] when lists is not NULL, and only those of the rules
 * live says when it is not NULL.  Returns how many, or SIZE_MAX where a
 * slot that gives its argument's value would lie at AGG_SHARED_MAX or
 * beyond.
 */
size_t join_slots(struct agg_slot *joined, const struct written_rule *const *rules, size_t nrules,
		  struct agg_slot *const *lists, const bool *live)
{
	size_t i = 0, at = 0;
	for (size_t k = 0; k < nrules; k++) {
		const struct written_rule *r = rules[k];
		for (size_t j = 0; j < r->nslots && (!live || live[k]); j++, i++) {
			joined[i] = lists ? lists[k][j] : r->slots[j];
			joined[i].at += (uint32_t)at;
			if (joined[i].read == AGG_READ_SHARED)
				joined[i].shared += (int)(i - j);
			if (joined[i].gives && i >= AGG_SHARED_MAX)
				return SIZE_MAX;
		}
		at += agg_block_size(r->slots, r->nslots);
	}
	agg_plan_runs(joined, i);
	return i;
}

/*
 * The slots of a walk's row rules as one table over their accumulators laid
 * end to end (walk_ordered's accs), so that filling a group makes one
 * agg_update call a row for them all: each slot's offset moved by its rule's
 * place in the block, and the earlier slot whose argument it takes by its
 * rule's place in the table.  NULL when a slot that gives its argument's
 * value would lie at AGG_SHARED_MAX or beyond, where agg_update keeps none:
 * the rules are then updated one by one.
 */
static struct agg_slot *joined_slots(const struct written_rule *const *rules, size_t nrules, size_t *n)
{
	size_t total = 0;
	for (size_t k = 0; k < nrules; k++)
		total += rules[k]->nslots;
	struct agg_slot *joined = xcalloc(total + 1, sizeof *joined);
	*n = join_slots(joined, rules, nrules, NULL, NULL);
	if (*n == SIZE_MAX)
		free(joined), joined = NULL;
	return joined;
}

/*
 * A copy of n slots whose steps read a row's cells alone, each the cell of its
 * column, with its column's place among a kept row's values instead: a walk
 * then updates them from a kept row's values in place, unspread; NULL if a
 * slot reads more (an argument evaluated, a test through its node) or a
 * column not kept.
 */
static struct agg_slot *slots_on_kept(const struct agg_slot *slots, size_t n, const int *kept_at)
{
	struct agg_slot *on = xcalloc(n + 1, sizeof *on);
	for (size_t i = 0; i < n; i++) {
		on[i] = slots[i];
		switch (slots[i].step) {
		case AGG_STEP_COUNT:
			continue;
		case AGG_STEP_SUM_CELL: case AGG_STEP_COUNT_PRESENT: case AGG_STEP_BAND: case AGG_STEP_KEEP_CELL:
		case AGG_STEP_KEEP_COUNT_CELL: case AGG_STEP_EQUAL_RUN_CELL:
			on[i].cell = kept_at[slots[i].cell];
			if (on[i].cell >= 0)
				continue;
			break;
		default:
			break;
		}
		free(on);
		return NULL;
	}
	return on;
}

/*
 * Fills the accumulators of a walk's row rules, none of which looks back,
 * from the n file rows of one group (rows), each spread with the values
 * they read (reads) alone: walk_group's pass with feed_window, without its
 * history, and with one call a row over joined (joined_slots, nslots of
 * them, on accs) if it is not NULL, else a call a rule; joined may read the
 * kept rows' values in place (on_kept: slots_on_kept's).
 */
static void fill_group(struct rules_state *st, const struct walked_rule *rules, size_t nrules,
		       const struct agg_slot *joined, size_t nslots, bool on_kept, unsigned char *accs,
		       const struct ordered_entry *rows, size_t n, struct walk_ring *ring,
		       const struct kept_places *reads)
{
	struct spread_row *sr = &ring->rows[0];
	struct eval_ctx ctx = {.rs = st->rs, .as_of = as_of_of(st), .history = ring->history, .row = sr->values,
			       .file_col = st->file_col, .accs = accs};
	for (size_t i = 0; i < n; i++) {
		const struct ordered_entry *e = &rows[i];
		ctx.where = e;
		if (on_kept) {
			ctx.row = e->kept->values;
			agg_update(joined, nslots, accs, &ctx);
			continue;
		}
		spread(st->rs, e->kept, reads, sr, false);
		if (joined) {
			agg_update(joined, nslots, accs, &ctx);
			continue;
		}
		for (size_t k = 0; k < nrules; k++) {
			ctx.accs = rules[k].accs;
			agg_update(rules[k].rule->slots, rules[k].rule->nslots, ctx.accs, &ctx);
		}
	}
}

/*
 * Fills the accumulators of a walk's aggregates, none of which looks back,
 * from the n rows of one group (rows; file rows spread with the values
 * they read, reads, alone): visit_aggregate's work on each row, with each
 * rule's block of the group found once for the group rather than once a
 * row.  Only without a memory limit, where no table is dropped in a walk.
 * Aggregates without a when whose slots read a file's row's cells alone
 * read its kept values in place (on_kept, per rule: slots_on_kept's); those
 * of one joined table, with one call a row over joined (nslots of them) if
 * it is not NULL.
 */
static void feed_aggregates(struct rules_state *st, const struct written_rule *const *rules, size_t nrules,
			    unsigned char **accs, struct agg_slot *const *on_kept, const struct agg_slot *joined,
			    size_t nslots, const struct ordered_entry *rows, size_t n, struct walk_ring *ring,
			    const struct kept_places *reads)
{
	const struct ruleset *rs = st->rs;
	for (size_t k = 0; k < nrules; k++) {
		size_t a = (size_t)(rules[k] - rs->aggregates);
		const struct grouping *gr = aggregate_grouping(st, a, true);
		accs[k] = gr->own->dropped ? NULL : grouping_accs(gr, rows[0].group);
	}
	for (size_t k = 0; k < nrules && joined; k++)
		joined = accs[k] ? joined : NULL;
	struct spread_row *sr = &ring->rows[0];
	struct eval_ctx ctx = {.rs = rs, .as_of = as_of_of(st), .history = ring->history};
	const struct ordered_entry *e = rows, *end = rows + n;
	if (on_kept && joined) /* one call a row (the first's block begins the joined table's) */
		for (; e < end && e->kept; e++) {
			ctx.where = e;
			ctx.row = e->kept->values;
			agg_update(joined, nslots, accs[0], &ctx);
		}
	for (; e < end; e++) { /* (a list holds a view's rows or the file's, not both) */
		ctx.where = e;
		if (on_kept && e->kept) {
			ctx.row = e->kept->values;
			for (size_t k = 0; k < nrules; k++)
				if (accs[k])
					agg_update(on_kept[k], rules[k]->nslots, accs[k], &ctx);
			continue;
		}
		ctx.row = e->view_row;
		if (e->kept) {
			spread(rs, e->kept, reads, sr, false);
			ctx.row = sr->values;
		}
		ctx.file_col = e->kept ? st->file_col : NULL;
		for (size_t k = 0; k < nrules; k++) {
			const struct written_rule *r = rules[k];
			if (!accs[k])
				continue;
			if (r->when) {
				struct value w = expr_eval(r->when, &ctx);
				if (w.type != V_BOOL || !w.num)
					continue;
			}
			agg_update(r->slots, r->nslots, accs[k], &ctx);
		}
	}
}

/* Forgets n values of a walk's rules of the group before (walked_rule.fixed), to be worked out on the next. */
static void forget_fixed(struct value *fixed, size_t n)
{
	for (size_t k = 0; k < n; k++)
		fixed[k] = (struct value){.type = V_ANY};
}

/*
 * Reduces the when and assert of each row rule of a walk that may fail a
 * row of the group about to be judged (live), whose accumulators are full
 * and whose values of the group are forgotten (row_test_reduce works them
 * out now, once); true if every such rule's could be, so that
 * judge_reduced may judge the group's rows, those of the rules judged says.
 * A rule whose when is false on every row of the group (too few values for
 * a median) is not judged, and its assert not reduced: its values of the
 * group (the median) are not worked out.
 */
static bool reduce_rules(struct rules_state *st, const struct walked_rule *rules, size_t nrules, const bool *live,
			 bool *judged)
{
	for (size_t k = 0; k < nrules; k++) {
		const struct walked_rule *w = &rules[k];
		judged[k] = false;
		if (!live[k])
			continue;
		forget_fixed(w->fixed, w->rule->nfixed);
		struct eval_ctx ctx = {.rs = st->rs, .as_of = as_of_of(st), .accs = w->accs, .fixed = w->fixed};
		if (!w->assert || (w->when && !row_test_reduce(w->when, w->rule->when, &ctx, st->kept_at)))
			return false;
		if (w->when && w->when->is_and && w->when->settled)
			continue;
		if (!row_test_reduce(w->assert, w->rule->assert, &ctx, st->kept_at))
			return false;
		judged[k] = true;
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
 * Judges the n file rows of one group (rows) by row rules whose when and
 * assert are reduced on it (reduce_rules), rule by rule (each holds its own
 * findings), those reduce_rules judged (may fail one of them) alone: the
 * tests read each row's kept values in place, with no call or context, and
 * those that test one cell alone only on the first row of each kind of
 * value of it (row_fails).  A row is spread only for a finding.
 */
static void judge_reduced(struct rules_state *st, const struct walked_rule *rules, size_t nrules, const bool *judged,
			  const struct ordered_entry *rows, size_t n, struct walk_ring *ring,
			  struct diag_file *out)
{
	for (size_t k = 0; k < nrules; k++) {
		const struct walked_rule *w = &rules[k];
		if (!judged[k])
			continue;
		struct row_fails plan;
		bool planned = row_fails_plan(&plan, w->when, w->assert);
		for (size_t i = 0; i < n; i++) {
			if (!rows[i].kept->text) /* (it fails no rule: may_give_finding) */
				continue;
			const struct value *cells = rows[i].kept->values;
			bool fails;
			if (planned) {
				signed char *known = &plan.fails[row_fails_key(&plan, cells)];
				fails = *known >= 0 ? *known : (*known = fails_reduced(w, cells));
			} else {
				fails = fails_reduced(w, cells);
			}
			if (fails)
				reduced_finding(st, w, &rows[i], &ring->rows[i % ring->n], ring, out);
		}
	}
}

/*
 * A row rule's when and assert, of those judge_reduced may judge, reduced
 * to the tests of a row's cells alone (row_test_reduce without a group):
 * the same on every group, and passed by every row the rule fails, on
 * whatever group, where when is a chain of && (or none) and assert one of
 * ||, as spike-pm25's pm25 != null and pm25 <= 75.  A group none of whose
 * rows passes them gives the rule no finding: its values of the group
 * (median(pm25)) need not be worked out, nor its rows judged.
 */
struct cells_test {
	struct row_test when, assert;
	bool by_when, by_assert;      /* which of them tells rows apart */
	bool planned;                 /* they test one cell alone: plan memoises each kind of value of it */
	struct row_fails plan;
};

/*
 * Works out a row rule's tests of cells alone, c (cells_test), once for all
 * its walks.  A rule that calls matches() has none: each of its rows is
 * judged, so that a pattern stopped by its limit is told on every row it
 * is (pattern-limit), as the rules judged row by row tell it.
 */
static void cells_test_make(struct cells_test *c, const struct written_rule *r, const int *kept_at)
{
	bool troubles = expr_calls_matches(r->assert) || (r->when && expr_calls_matches(r->when));
	c->by_when = !troubles && r->when && row_test_reduce(&c->when, r->when, NULL, kept_at) && c->when.is_and;
	c->by_assert = !troubles && row_test_reduce(&c->assert, r->assert, NULL, kept_at) && !c->assert.is_and;
	c->planned = (c->by_when || c->by_assert) &&
		     row_fails_plan(&c->plan, c->by_when ? &c->when : NULL, c->by_assert ? &c->assert : NULL);
}

/* True if a row's kept values pass a row rule's tests of cells alone: the rule may fail it. */
static bool may_fail(const struct cells_test *c, const struct value *cells)
{
	struct value v;
	if (c->by_when && ((v = row_test_eval(&c->when, cells)).type != V_BOOL || !v.num))
		return false;
	return !c->by_assert || ((v = row_test_eval(&c->assert, cells)).type == V_BOOL && !v.num);
}

/* may_fail, looked up for a test of one cell alone on the first row of each kind of value of it (row_fails). */
static bool may_fail_known(struct cells_test *c, const struct value *cells)
{
	if (!c->planned)
		return may_fail(c, cells);
	signed char *known = &c->plan.fails[row_fails_key(&c->plan, cells)];
	return *known >= 0 ? *known : (*known = may_fail(c, cells));
}

/* True if each of n rules may fail a row of the group walked (live, per rule). */
static bool all_live(const bool *live, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (!live[k])
			return false;
	return true;
}

/*
 * Notes in live which of a walk's row rules may fail one of the n file rows
 * of a group (rows), by their tests of cells alone (cells_test), which
 * ntested of them have (each other may, as untested says); true if one
 * may.  One pass over the rows: a row that keeps no texts fails no rule,
 * and is passed over at once; each other tests the rules not yet found live.
 */
static bool live_rules(struct cells_test *cells, size_t nrules, const bool *untested, size_t ntested,
		       const struct ordered_entry *rows, size_t n, bool *live)
{
	size_t left = ntested;
	memcpy(live, untested, nrules * sizeof *live);
	for (size_t i = 0; i < n && left; i++) {
		const struct kept_row *kept = rows[i].kept;
		if (!kept->text)
			continue;
		for (size_t k = 0; k < nrules; k++)
			if (!live[k] && may_fail_known(&cells[k], kept->values))
				live[k] = true, left--;
	}
	return left < nrules;
}

/*
 * What the walks of one list of rows need besides the rows, the same on each
 * walk (a streamed table walks its list group by group): the walked rules,
 * with a group's accumulators and kept values, as the pass that fills the
 * accumulators sees them and as the pass that judges; the row rules' slots
 * joined (joined_slots); room for the aggregates' blocks (feed_aggregates).
 */
struct walk_plan {
	bool made;
	size_t nrules, block, nfixed, lag;
	unsigned char *accs;          /* a group's, while it is walked, or NULL */
	struct value *fixed;          /* or NULL */
	struct walked_rule *filling, *judging;
	struct agg_slot *joined;      /* or NULL */
	size_t njoined;
	bool joined_on_kept;          /* joined reads kept rows' values in place (slots_on_kept) */
	unsigned char **feeding;      /* aggregates fed group by group, or NULL */
	struct agg_slot **on_kept;    /* with feeding: per aggregate, its slots on kept values, or NULL;
					 with cells: per row rule, or NULL */
	struct agg_slot *live_slots;  /* with cells and on_kept: room for those of the rules live joined */
	struct cells_test *cells;     /* row rules judge_reduced may judge: per rule, or NULL */
	bool *untested;               /* with cells: per rule, true if it has no tests of cells alone */
	size_t ntested;               /* with cells: how many have */
	bool *live;                   /* with cells: per rule, whether it may fail a row of the group walked */
	bool *judged;                 /* with cells: per rule, whether judge_reduced judges it on the group walked */
	bool *joined_live;            /* with live_slots: the rules live whose slots it holds, nlive of them */
	size_t nlive;                 /* or SIZE_MAX: none yet */
};

/* True if a walk's aggregates are those of one joined table, in its order. */
static bool whole_join(const struct rules_state *st, const struct written_rule *const *rules, size_t nrules)
{
	size_t j = st->join_of[(size_t)(rules[0] - st->rs->aggregates)];
	if (j == SIZE_MAX || st->joins[j].n != nrules)
		return false;
	for (size_t k = 0; k < nrules; k++)
		if (rules[k] != &st->rs->aggregates[st->joins[j].first + k])
			return false;
	return true;
}

/* Frees n lists of slots (those of a walk plan's on_kept) and the list of them; returns NULL. */
static struct agg_slot **slots_free(struct agg_slot **slots, size_t n)
{
	for (size_t k = 0; slots && k < n; k++)
		free(slots[k]);
	free(slots);
	return NULL;
}

/*
 * The plan of the walks of the rows that rules share, made on the first and
 * kept in the state's ring for the rest, where the first rule's place keeps
 * it (as walk_reads does).
 */
static struct walk_plan *walk_plan_of(struct rules_state *st, const struct written_rule *const *rules,
				      size_t nrules, bool row_rule)
{
	const struct ruleset *rs = st->rs;
	struct walk_ring *ring = ring_ready(st, 1);
	if (!ring->plans) {
		ring->nplans = rs->nrow_rules + rs->naggregates;
		ring->plans = xcalloc(ring->nplans + 1, sizeof *ring->plans);
	}
	struct walk_plan *p = &ring->plans[row_rule ? (size_t)(rules[0] - rs->row_rules)
						    : rs->nrow_rules + (size_t)(rules[0] - rs->aggregates)];
	if (p->made)
		return p;
	size_t block = 0, nfixed = 0, lag = 0;
	for (size_t k = 0; k < nrules; k++) {
		block += row_rule ? agg_block_size(rules[k]->slots, rules[k]->nslots) : 0;
		nfixed += row_rule ? rules[k]->nfixed : 0;
		lag = (size_t)rules[k]->max_lag > lag ? (size_t)rules[k]->max_lag : lag;
	}
	unsigned char *accs = block ? xcalloc(block, 1) : NULL;
	struct value *fixed = nfixed ? xcalloc(nfixed, sizeof *fixed) : NULL;
	struct walked_rule *filling = xcalloc(2 * nrules + 1, sizeof *filling), *judging = filling + nrules;
	struct cells_test *cells = NULL;
	bool *live = NULL, *judged = NULL;
	for (size_t k = 0, at = 0, value = 0; k < nrules; k++) {
		const struct written_rule *r = rules[k];
		unsigned char *its = accs && r->nslots ? accs + at : NULL;
		filling[k] = (struct walked_rule){r, its, NULL, (size_t)r->max_lag, NULL, NULL};
		judging[k] = (struct walked_rule){r, its, fixed && r->nfixed ? &fixed[value] : NULL, (size_t)r->max_lag,
						  NULL, NULL};
		if (row_rule && !r->max_lag && !r->nrequires) {
			struct row_test *tests = &st->row_tests[2 * (size_t)(r - rs->row_rules)];
			judging[k].when = r->when ? &tests[0] : NULL;
			judging[k].assert = &tests[1];
			cells = cells ? cells : xcalloc(nrules, sizeof *cells);
			live = live ? live : xcalloc(nrules, sizeof *live);
			judged = judged ? judged : xcalloc(nrules, sizeof *judged);
			cells_test_make(&cells[k], r, st->kept_at);
		}
		at += agg_block_size(r->slots, r->nslots);
		value += r->nfixed;
	}
	bool *untested = cells ? xcalloc(nrules, sizeof *untested) : NULL;
	size_t ntested = 0;
	for (size_t k = 0; k < nrules && cells; k++) {
		untested[k] = !cells[k].by_when && !cells[k].by_assert;
		ntested += !untested[k];
	}
	size_t njoined = 0;
	struct agg_slot *joined = block && row_rule && !lag ? joined_slots(rules, nrules, &njoined) : NULL;
	/* aggregates that need no look back are fed group by group, where no table may be dropped on the way */
	unsigned char **feeding = !row_rule && !lag && !(st->budget && st->budget->limit)
					  ? xcalloc(nrules, sizeof *feeding) : NULL;
	struct agg_slot *joined_on_kept = joined ? slots_on_kept(joined, njoined, st->kept_at) : NULL;
	if (joined_on_kept)
		free(joined), joined = joined_on_kept;
	struct agg_slot **on_kept = feeding || (cells && block && !lag) ? xcalloc(nrules, sizeof *on_kept) : NULL;
	for (size_t k = 0; k < nrules && on_kept; k++)
		if ((!row_rule && rules[k]->when) ||
		    !(on_kept[k] = slots_on_kept(rules[k]->slots, rules[k]->nslots, st->kept_at)))
			on_kept = slots_free(on_kept, k + 1);
	if (!row_rule && on_kept && whole_join(st, rules, nrules)) { /* one call a row fills them all */
		const struct joined_table *j = &st->joins[st->join_of[(size_t)(rules[0] - rs->aggregates)]];
		joined = joined_on_kept = slots_on_kept(j->slots, j->nslots, st->kept_at);
		njoined = j->nslots;
	}
	struct agg_slot *live_slots = NULL;
	bool *joined_live = NULL;
	if (on_kept && row_rule) {
		size_t total = 0;
		for (size_t k = 0; k < nrules; k++)
			total += rules[k]->nslots;
		live_slots = xcalloc(total + 1, sizeof *live_slots);
		joined_live = xcalloc(nrules, sizeof *joined_live);
	}
	*p = (struct walk_plan){true, nrules, block, nfixed, lag, accs, fixed, filling, judging, joined, njoined,
				joined_on_kept != NULL, feeding, on_kept, live_slots, cells, untested, ntested, live, judged,
				joined_live, SIZE_MAX};
	return p;
}

/*
 * The least and the greatest number of kind k of those a row_fails tells
 * apart (row_fails_key: 2j below bound j and above the one before, 2j + 1
 * bound j); false if no number is of that kind.
 */
static bool kind_span(const struct row_fails *f, int k, double *least, double *most)
{
	int j = k / 2;
	if (k % 2) {
		*least = *most = f->bounds[j];
		return true;
	}
	bool some = true;
	*least = j ? nextafter(f->bounds[j - 1], INFINITY) : -INFINITY;
	*most = j < f->nbounds ? nextafter(f->bounds[j], -INFINITY) : INFINITY;
	if (j)
		some &= *least > f->bounds[j - 1];
	if (j < f->nbounds)
		some &= *most < f->bounds[j];
	return some && *least <= *most;
}

/*
 * Makes a finder of a row rule's tests of cells alone: the numbers it may
 * fail, where they lie together, found by judging a number of each kind on
 * cells (the kept values, null, left so).
 */
static struct finder finder_of(struct cells_test *c, struct value *cells)
{
	struct finder fd = {.type = V_ANY, .test = c};
	const struct row_fails *f = &c->plan;
	if (!c->planned || f->type == V_ANY)
		return fd;
	double lo = INFINITY, hi = -INFINITY;
	bool ended = false; /* a kind it passes came after one it fails */
	for (int k = 0; k <= 2 * f->nbounds; k++) {
		double least, most;
		if (!kind_span(f, k, &least, &most))
			continue;
		cells[f->cell] = (struct value){.num = least, .type = f->type};
		bool fails = may_fail(c, cells);
		cells[f->cell] = (struct value){.type = V_NULL};
		if (fails && ended)
			return fd;
		if (fails)
			lo = lo > hi ? least : lo, hi = most;
		ended |= !fails && lo <= hi;
	}
	fd.cell = f->cell, fd.type = f->type, fd.lo = lo, fd.hi = hi;
	return fd;
}

/* Lists the finders of the row rules judged in order (keep_plan), from the plans of the walks to come. */
static void list_finders(struct rules_state *st, struct keep_plan *p)
{
	p->finders = xcalloc(st->sharers_at[st->rs->nrow_rules] + 1, sizeof *p->finders);
	struct value *cells = xcalloc(st->rs->nkept + 1, sizeof *cells);
	for (size_t t = 0; t < st->nrow_tables; t++) {
		size_t i = st->row_tables[t], n = st->sharers_at[i + 1] - st->sharers_at[i];
		struct walk_plan *w = walk_plan_of(st, &st->sharers[st->sharers_at[i]], n, true);
		for (size_t k = 0; k < n; k++) {
			p->all_find |= !w->cells || (!w->cells[k].by_when && !w->cells[k].by_assert);
			if (w->cells)
				p->finders[p->nfinders++] = finder_of(&w->cells[k], cells);
		}
	}
	free(cells);
}

/*
 * Makes a finder that found a row the first to be asked on the next (the
 * order they are asked in tells nothing but how soon a row that may be
 * failed is found: the rule most often failed, first); returns true.
 */
static bool first_finder(struct keep_plan *p, struct finder *f)
{
	if (f != p->finders) {
		struct finder first = p->finders[0];
		p->finders[0] = *f, *f = first;
	}
	return true;
}

/*
 * True if a row rule judged in order may fail a row with these kept values
 * (cells): one without tests of cells alone (cells_test) may fail any.  A
 * row none may fail gives no finding, whatever its group, so its texts are
 * never read.
 */
static bool may_give_finding(struct keep_plan *p, const struct value *cells)
{
	if (p->all_find)
		return true;
	for (struct finder *f = p->finders, *end = f + p->nfinders; f < end; f++) {
		const struct value *v = &cells[f->cell];
		if (v->type == f->type) {
			if (v->num < f->lo || v->num > f->hi) /* a number it passes */
				continue;
			if (v->num == v->num) /* (NaN is a kind of its own) */
				return first_finder(p, f);
		}
		if (may_fail_known(f->test, cells))
			return first_finder(p, f);
	}
	return false;
}

/* Frees the ring's walk plans, with the room their accumulators' lists keep from group to group. */
static void plans_free(struct walk_ring *ring)
{
	for (size_t i = 0; i < ring->nplans; i++) {
		struct walk_plan *p = &ring->plans[i];
		for (size_t k = 0; k < p->nrules && p->accs; k++)
			agg_acc_free(p->filling[k].rule->slots, p->filling[k].rule->nslots, p->filling[k].accs, 1);
		free(p->accs);
		free(p->fixed);
		free(p->filling);
		free(p->joined);
		free(p->feeding);
		slots_free(p->on_kept, p->nrules);
		free(p->live_slots);
		free(p->joined_live);
		for (size_t k = 0; k < p->nrules && p->cells; k++)
			row_test_free(&p->cells[k].when), row_test_free(&p->cells[k].assert);
		free(p->cells);
		free(p->untested);
		free(p->live);
		free(p->judged);
	}
	free(ring->plans);
}

/*
 * The slots of the row rules of a walk that may fail a row of the group
 * walked (p->live) joined into p->live_slots (join_slots), from their
 * slots on kept values; kept from the group before where the same rules
 * are live, as they mostly are.  Returns how many.
 */
static size_t live_slots(struct walk_plan *p, const struct written_rule *const *rules)
{
	if (p->nlive != SIZE_MAX && !memcmp(p->joined_live, p->live, p->nrules * sizeof *p->live))
		return p->nlive;
	memcpy(p->joined_live, p->live, p->nrules * sizeof *p->live);
	return p->nlive = join_slots(p->live_slots, rules, p->nrules, p->on_kept, p->live);
}

/*
 * Counts the places of a list's rows by key (keys[i], each below nkeys)
 * into count, nkeys + 1 of them, zeroed: where the rows of each key begin,
 * in a list sorted by key.
 */
static void count_places(uint32_t *count, const uint32_t *keys, size_t n, size_t nkeys)
{
	memset(count, 0, (nkeys + 1) * sizeof *count);
	for (size_t i = 0; i < n; i++)
		count[keys[i] + 1]++;
	for (size_t k = 0; k < nkeys; k++)
		count[k + 1] += count[k];
}

/*
 * Sorts a list's rows as by_group_and_order does, in two passes that count
 * keys, each keeping the order of rows of one key: by order key, then by
 * group.  Only a list whose rows came in order of place, whose order keys
 * are whole numbers of one type (days) none far from the others, and whose
 * groups are not many more than its rows: true if it was such (and is
 * sorted), false if not (and is untouched).  A sort by comparisons takes
 * some twenty of them a row, each through a call.
 */
static bool sort_by_counting(struct ordered_rows *o)
{
	struct ordered_entry *e = o->entries;
	size_t n = o->n;
	if (n < 64 || n >= UINT32_MAX / 4 || e[0].order.type == V_STR)
		return false;
	double least = e[0].order.num, most = least;
	size_t groups = 0;
	for (size_t i = 0; i < n; i++) {
		double x = e[i].order.num;
		if (e[i].order.type != e[0].order.type || !(x >= -0x1p52 && x <= 0x1p52) || x != (double)(int64_t)x ||
		    (i && e[i].seq <= e[i - 1].seq))
			return false;
		least = x < least ? x : least;
		most = x > most ? x : most;
		groups = e[i].group >= groups ? (size_t)e[i].group + 1 : groups;
	}
	size_t limit = 4 * n + 4096;
	if (most - least >= (double)limit || groups >= limit)
		return false;
	size_t nkeys = (size_t)(most - least) + 1;
	uint32_t *keys = xmalloc(n * sizeof *keys), *by_order = xmalloc(n * sizeof *by_order);
	uint32_t *to = xmalloc(n * sizeof *to);
	uint32_t *count = xmalloc(((nkeys > groups ? nkeys : groups) + 1) * sizeof *count);
	for (size_t i = 0; i < n; i++)
		keys[i] = (uint32_t)(e[i].order.num - least);
	count_places(count, keys, n, nkeys);
	for (size_t i = 0; i < n; i++)
		by_order[count[keys[i]]++] = (uint32_t)i;
	for (size_t i = 0; i < n; i++)
		keys[i] = e[i].group;
	count_places(count, keys, n, groups);
	for (size_t j = 0; j < n; j++) /* to[i]: where row by_order[j] = i goes */
		to[by_order[j]] = count[keys[by_order[j]]]++;
	for (size_t i = 0; i < n; i++) /* each row put in its place, along the cycle it begins */
		while (to[i] != i) {
			uint32_t j = to[i];
			struct ordered_entry t = e[j];
			e[j] = e[i], e[i] = t;
			to[i] = to[j], to[j] = j;
		}
	free(keys), free(by_order), free(to), free(count);
	return true;
}

/*
 * Where the rows of entries[first]'s group end in a list sorted by group
 * (of n rows): found by steps that double, then halve, as a group mostly
 * has many rows.
 */
static size_t group_end(const struct ordered_entry *entries, size_t first, size_t n)
{
	uint32_t group = entries[first].group;
	size_t in = first, step = 1; /* entries[in] is of the group */
	while (step < n - in && entries[in + step].group == group)
		in += step, step *= 2;
	size_t out = step < n - in ? in + step : n; /* the first not of it, or n */
	while (out - in > 1) {
		size_t mid = in + (out - in) / 2;
		if (entries[mid].group == group)
			in = mid;
		else
			out = mid;
	}
	return out;
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
	struct walk_plan *p = walk_plan_of(st, rules, nrules, row_rule);
	size_t first = 0, block = p->block, nfixed = p->nfixed, lag = p->lag, njoined = p->njoined;
	unsigned char *accs = p->accs, **feeding = p->feeding;
	struct value *fixed = p->fixed;
	const struct walked_rule *filling = p->filling, *judging = p->judging;
	const struct agg_slot *joined = p->joined;
	bool joined_on_kept = p->joined_on_kept;
	struct walk_ring *ring = ring_ready(st, lag + 1);
	const struct kept_places *reads = walk_reads(st, rules, nrules, row_rule);
	if (!o->sorted && !sort_by_counting(o)) /* rows that came in order, or that another rule sharing them
						     sorted, are not sorted again */
		sort_items(o->entries, o->n, sizeof *o->entries, by_group_and_order);
	o->sorted = true;
	const struct ordered_entry *entries = o->entries;
	for (size_t i, n = o->n; first < n; first = i) {
		uint32_t group = entries[first].group;
		if (group >= until)
			break;
		i = group_end(entries, first, n);
		if (p->cells && !live_rules(p->cells, nrules, p->untested, p->ntested, entries + first, i - first, p->live))
			continue; /* no rule may fail a row of the group: nothing to fill or judge */
		size_t nlive = block && row_rule && !lag && p->on_kept && !all_live(p->live, nrules)
				       ? live_slots(p, rules) : SIZE_MAX;
		if (nlive != SIZE_MAX) /* the slots of the rules that may fail a row alone */
			fill_group(st, filling, nrules, p->live_slots, nlive, true, accs, entries + first, i - first, ring, reads);
		else if (block && row_rule && !lag) /* (a row rule's rows are all the file's) */
			fill_group(st, filling, nrules, joined, njoined, joined_on_kept, accs, entries + first, i - first, ring, reads);
		else if (block)
			walk_group(st, filling, nrules, entries + first, i - first, ring, feed_window, reads, NULL);
		if (p->cells && reduce_rules(st, judging, nrules, p->live, p->judged)) {
			judge_reduced(st, judging, nrules, p->judged, entries + first, i - first, ring, arg);
		} else if (feeding) {
			feed_aggregates(st, rules, nrules, feeding, p->on_kept, joined, njoined, entries + first, i - first, ring, reads);
		} else {
			forget_fixed(fixed, nfixed);
			walk_group(st, judging, nrules, entries + first, i - first, ring, visit, reads, arg);
		}
		for (size_t k = 0; k < nrules && block; k++) /* the next group's, the room of their lists kept */
			if (nlive == SIZE_MAX || p->live[k]) /* (the others' were not filled) */
				agg_acc_empty(rules[k]->slots, rules[k]->nslots, filling[k].accs);
		for (size_t k = 0; k < nrules && !row_rule; k++)
			note_run(st, rules[k], group);
	}
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
	if (gr->own->dropped)
		return;
	if (r->when) {
		struct value w = expr_eval(r->when, ctx);
		if (w.type != V_BOOL || !w.num)
			return;
	}
	unsigned char *accs = grouping_accs(gr, e->group);
	bool limited = st->budget && st->budget->limit;
	uint64_t kept = limited ? agg_acc_kept_bytes(r->slots, r->nslots, accs) : 0;
	agg_update(r->slots, r->nslots, accs, ctx);
	if (limited)
		account_group(st, gr, accs, kept, e->kept ? e->kept->line : 0, e->kept ? e->kept->row : 0, out);
}

/* Aggregate r's run marks for its group g (group_table.marks), made (zeroed) on its first row. */
static struct run_mark *marks_of(struct group_table *t, const struct written_rule *r, size_t g)
{
	if (g >= t->nmarks) {
		size_t n = room_for(t->nmarks, g);
		t->marks = xrealloc(t->marks, n * sizeof *t->marks);
		memset(&t->marks[t->nmarks], 0, (n - t->nmarks) * sizeof *t->marks);
		t->nmarks = n;
	}
	if (!t->marks[g]) {
		size_t runs = 0;
		for (size_t k = 0; k < r->nslots; k++)
			runs += notes_runs(&r->slots[k]);
		t->marks[g] = xcalloc(runs, sizeof **t->marks);
		t->mark_bytes += runs * sizeof **t->marks;
	}
	return t->marks[g];
}

/*
 * Keeps where the runs of aggregate r's group began that row e, just fed,
 * began or made the longest (eval_ctx.where was e): in the group's run
 * marks, where they stay when e is gone; the first run's longest also in
 * group_table.run_at, as note_run does for a group walked.
 */
static void hold_runs(struct rules_state *st, const struct written_rule *r, const struct ordered_entry *e)
{
	size_t a = (size_t)(r - st->rs->aggregates);
	struct group_table *t = &st->groups[a]; /* (in a joined table, its own) */
	if (t->dropped)
		return;
	unsigned char *accs = grouping_accs(aggregate_grouping(st, a, true), e->group);
	bool placed = false; /* an earlier run has a longest */
	for (size_t k = 0, run = 0; k < r->nslots; k++) {
		if (!notes_runs(&r->slots[k]))
			continue;
		struct agg_acc *acc = agg_acc_of(accs, &r->slots[k]);
		bool began = acc->run_from == e;
		/* (a longest held is never the current run: the same means that e made it the longest) */
		if (!began && !(acc->run_from && acc->best_from == acc->run_from)) {
			placed = placed || acc->best_from;
			run++;
			continue;
		}
		struct run_mark *m = marks_of(t, r, e->group) + run++;
		if (began) {
			m->from = e->order;
			m->from_at = (struct place){e->kept->line, e->kept->row};
			acc->run_from = &m->from;
		}
		if (acc->best_from == e || acc->best_from == &m->from) {
			m->best = m->from;
			acc->best_from = &m->best;
			if (!placed)
				set_run_at(st, a, e->group, m->from_at);
		}
		placed = placed || acc->best_from;
	}
}

/*
 * Feeds a file's row e (ctx's, where: e) to the aggregates that share an
 * arriving list, as a walk would: with one call where their joined table's
 * slots fill them all (kept_list.join).
 */
static void feed_arrived(struct rules_state *st, const struct kept_list *l, const struct ordered_entry *e,
			 const struct eval_ctx *ctx, struct diag_file *out)
{
	size_t a = (size_t)(l->o - st->ordered_aggregates);
	const struct written_rule *const *sharer = &st->list_sharers[st->list_sharers_at[a]];
	const struct written_rule *const *end = &st->list_sharers[st->list_sharers_at[a + 1]];
	if (l->join)
		agg_update(l->join->slots, l->join->nslots, grouping_accs(aggregate_grouping(st, a, true), e->group), ctx);
	for (const struct written_rule *const *r = sharer; r < end; r++) {
		if (!l->join)
			visit_aggregate(st, *r, e, ctx, NULL, out);
		hold_runs(st, *r, e);
	}
}

/* The joined table an arriving list's sharers may all be fed through at once (kept_list.join), or NULL. */
static const struct joined_table *arriving_join(const struct rules_state *st, size_t a)
{
	const struct written_rule *const *sharers = &st->list_sharers[st->list_sharers_at[a]];
	size_t n = st->list_sharers_at[a + 1] - st->list_sharers_at[a];
	if ((st->budget && st->budget->limit) || !whole_join(st, sharers, n))
		return NULL;
	for (size_t k = 0; k < n; k++)
		if (sharers[k]->when)
			return NULL;
	return &st->joins[st->join_of[a]];
}

/*
 * Starts feeding an aggregate's list's rows to its sharers as they come
 * (kept_list.arriving), once its first WATCH_ROWS rows came in order in each
 * group: the rows it keeps go first, each group's in the order they came,
 * and the list keeps none from now on.
 */
static void start_arriving(struct rules_state *st, struct kept_list *l, struct diag_file *out)
{
	struct ordered_rows *o = l->o;
	l->join = arriving_join(st, (size_t)(o - st->ordered_aggregates));
	struct spread_row *sr = &ring_ready(st, 1)->rows[0];
	struct eval_ctx ctx = {.rs = st->rs, .as_of = as_of_of(st), .row = sr->values, .file_col = st->file_col};
	for (size_t i = 0; i < o->n; i++) { /* (as they came: a table that keeps its groups walks none before the end) */
		const struct ordered_entry *e = &o->entries[i];
		spread(st->rs, e->kept, NULL, sr, false);
		ctx.where = e;
		feed_arrived(st, l, e, &ctx, out);
	}
	o->n = 0;
	l->arriving = true;
}

/*
 * Feeds a file's row of group g, with order key order, to the aggregates
 * that share an arriving list.  A row that comes before its group's last
 * means the file is not in order after all: it is read a second time
 * (rules_must_reread), which keeps the rows, and this reading feeds none.
 */
static void arrive(struct rules_state *st, struct kept_list *l, long g, struct value order,
		   const struct row_view *row, const struct eval_ctx *ctx, struct diag_file *out)
{
	if (g < 0 || order.type == V_NULL || l->unordered)
		return;
	if (!comes_in_order(l, g, order)) {
		st->reread = true;
		return;
	}
	struct kept_row at = {.row = row->row, .line = row->line, .county = row->county};
	struct ordered_entry here = {order, &at, NULL, st->seq++, (uint32_t)g};
	struct eval_ctx c = *ctx;
	c.where = &here;
	c.trouble = NULL; /* (as a walk's) */
	c.nhistory = 0;
	feed_arrived(st, l, &here, &c, out);
}

/*
 * Walks the rows of the rules judged in order that share rule t's, t their
 * first sharer: row rules (ordered_table), holding their findings, or
 * aggregates (ordered_list); the groups numbered below until, for them all
 * at once.  Returns where the rows of the groups not walked begin.
 */
size_t walk_sharers(struct rules_state *st, bool row_rules, size_t t, size_t until, struct diag_file *out)
{
	const struct written_rule **sharers = row_rules ? st->sharers : st->list_sharers;
	const size_t *at = row_rules ? st->sharers_at : st->list_sharers_at;
	struct ordered_rows *rows = row_rules ? &st->ordered_rules[t] : &st->ordered_aggregates[t];
	size_t rest = walk_ordered(st, &sharers[at[t]], at[t + 1] - at[t], rows, row_rules, until,
				   row_rules ? visit_row_rule : visit_aggregate, out);
	st->holding = NOT_HOLDING;
	return rest;
}
