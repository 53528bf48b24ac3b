/*
 * rulerun.c — running the written rules on one file: the state of a run
 * (rules_state_new), the driver that takes each record to the rules
 * (rules_row) and the finish that judges what was kept (rules_finish).
 *
 * Row rules are judged as each record arrives; the record goes on to the
 * group tables of aggregates, views and exports (rulegroups.c), to the rules
 * judged in order (ruleorder.c), and to each coverage rule's set of keys
 * seen (per group when asked).  Once the file has been read, each view's
 * groups become the rows of what reads from it (ruleviews.c), then the rules
 * judged in order walk their rows, and every aggregate and coverage rule is
 * judged, in the order the groups first appeared (rulefindings.c).
 *
 * The row rules judged as rows come are planned for the file once its
 * columns are known (plan_rules): what its missing columns settle in their
 * whens is settled, and a rule that cannot fire there is left out.
 */
#include "rulestate.h"

#include <stdlib.h>
#include <string.h>

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
			st->file_aggregates[st->nfile_aggregates++] = (struct file_aggregate){
				.rule = &rs->aggregates[a], .dropped = &st->groups[a].dropped};
	}
}

/* Lists the groupings of the views and exports of the file's rows (rules_state.file_feeds), and the aggregates'. */
static void feed_lists(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	st->file_feeds = xcalloc(rs->nviews + rs->nexports + 1, sizeof *st->file_feeds);
	for (size_t v = 0; v < rs->nviews; v++)
		if (rs->views[v].from < 0)
			st->file_feeds[st->nfile_views++] = view_grouping(st, v);
	for (size_t e = 0; e < rs->nexports; e++)
		if (rs->exports[e].from < 0)
			st->file_feeds[st->nfile_views + st->nfile_exports++] = export_grouping(st, e);
	for (size_t f = 0; f < st->nfile_aggregates; f++)
		st->file_aggregates[f].gr = aggregate_grouping(st, (size_t)(st->file_aggregates[f].rule - rs->aggregates), false);
}

/*
 * True when each value of a view is one slot alone (view_slot) and each slot
 * is some value's: a held first row (agg_holds) gives the values, and only
 * such slots are filled from them when a second row comes.
 */
static bool every_slot_a_value(const struct view *view, const int *view_slot)
{
	for (size_t k = 0; k < view->nvalues; k++)
		if (view_slot[k] < 0)
			return false;
	for (size_t slot = 0; slot < view->nslots; slot++) {
		bool named = false;
		for (size_t k = 0; k < view->nvalues && !named; k++)
			named = view_slot[k] == (int)slot;
		if (!named)
			return false;
	}
	return true;
}

/* The number of groupings make_groupings makes. */
static size_t ngroupings(const struct ruleset *rs)
{
	return 2 * rs->naggregates + rs->nviews + rs->nexports;
}

/*
 * Reduces each grouping's when that tests the row's cells alone to those
 * tests (grouping.when_test), a cell read where it lies in the row.  A
 * grouping's when reads no value of a group (only a row rule judged in
 * order has those), so that nothing of it is left out.
 */
static void plan_when_tests(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	size_t width = rs->ncols;
	for (size_t v = 0; v < rs->nviews; v++)
		width = rs->views[v].out.n > width ? rs->views[v].out.n : width;
	int *at = xcalloc(width + 1, sizeof *at);
	for (size_t c = 0; c < width; c++)
		at[c] = (int)c;
	for (size_t k = 0; k < ngroupings(rs); k++) {
		struct grouping *g = &st->groupings[k];
		if (g->when && !(g->when_cells = row_test_reduce(&g->when_test, g->when, NULL, at)))
			row_test_free(&g->when_test);
	}
	free(at);
}

/*
 * Makes every table's grouping once (rules_state.groupings) and lists what
 * reads each view (readers), in the order view_row_out feeds them: exports,
 * views, then aggregates.
 */
static void make_groupings(struct rules_state *st)
{
	const struct ruleset *rs = st->rs;
	struct grouping *g = st->groupings = xcalloc(ngroupings(rs) + 1, sizeof *g);
	for (size_t a = 0; a < rs->naggregates; a++) {
		const struct written_rule *r = &rs->aggregates[a];
		size_t own_block = agg_block_size(r->slots, r->nslots), block = own_block, at = 0;
		if (st->join_of[a] != SIZE_MAX) { /* its accumulators after those of the aggregates before it */
			const struct joined_table *j = &st->joins[st->join_of[a]];
			block = j->block;
			for (size_t k = j->first; k < a; k++)
				at += agg_block_size(rs->aggregates[k].slots, rs->aggregates[k].nslots);
		}
		for (int with_when = 0; with_when < 2; with_when++)
			*g++ = (struct grouping){aggregate_table(st, a), r->group, r->ngroup, with_when ? r->when : NULL,
						 r->slots, r->nslots, r->id, "汇总规则", "aggregate", false, NULL, block, at,
						 own_block, &st->groups[a], NULL, NULL, 0, false, {0}};
	}
	for (size_t v = 0; v < rs->nviews; v++) {
		const struct view *view = &rs->views[v];
		bool hold = every_slot_a_value(view, st->view_slot[v]) && agg_holds(view->slots, view->nslots);
		int *cell = hold ? xcalloc(view->nvalues + 1, sizeof *cell) : NULL;
		for (size_t k = 0; k < view->nvalues && hold; k++)
			cell[k] = agg_held_cell(&view->slots[st->view_slot[v][k]]);
		size_t block = agg_block_size(view->slots, view->nslots);
		*g++ = (struct grouping){&st->view_groups[v], view->group, view->ngroup, view->when, view->slots,
					 view->nslots, view->name, "视图", "view", true, NULL, block, 0, block,
					 &st->view_groups[v], hold ? st->view_slot[v] : NULL, cell, view->nvalues, false, {0}};
	}
	for (size_t e = 0; e < rs->nexports; e++) {
		const struct view *x = &rs->exports[e];
		size_t block = agg_block_size(x->slots, x->nslots);
		*g++ = (struct grouping){&st->export_groups[e], x->group, x->ngroup, x->when, x->slots,
					 x->nslots, x->name, "导出", "export", true, x->dates, block, 0, block,
					 &st->export_groups[e], NULL, NULL, 0, false, {0}};
	}
	plan_when_tests(st);
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
	st->row_ctx = (struct eval_ctx){.rs = rs, .as_of = as_of_of(st), .trouble = &st->trouble};
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
	join_tables(st);
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
	feed_lists(st);
	for (size_t i = 0; i < rs->ncoverage; i++) {
		strmap_init(&st->seen[i].pairs);
		strmap_init(&st->seen[i].per_index);
	}
	return st;
}

/* Frees the strings a list of values owns. */
static void free_values(struct value *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].type == V_STR)
			free((char *)v[i].str);
	free(v);
}

void rules_state_free(struct rules_state *st)
{
	if (!st)
		return;
	const struct ruleset *rs = st->rs;
	for (size_t i = 0; i < rs->naggregates; i++)
		free_group_table(st, &st->groups[i], rs->aggregates[i].slots, rs->aggregates[i].nslots);
	free_joins(st);
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
	keep_plan_free(st->keep);
	free(st->planned), free(st->passed_rows);
	free(st->rules_now), free(st->row_tables), free(st->file_ordered), free(st->file_aggregates), free(st->file_feeds);
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
	for (size_t k = 0; st->groupings && k < ngroupings(rs); k++)
		row_test_free(&st->groupings[k].when_test);
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
	rules_findings_free(st);
	buf_free(&st->key), buf_free(&st->msg), buf_free(&st->msg_en), buf_free(&st->rule), buf_free(&st->text);
	buf_free(&st->json), msgbuf_free(&st->said);
	free(st);
}

/* Copies a value so it outlives the record (strings duplicated). */
static struct value keep_value(const struct value *v)
{
	struct value c = *v;
	if (v->type == V_STR)
		c.str = xstrndup(v->str, v->len);
	return c;
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
 * Picks how a planned rule that requires no absent column is judged on a
 * row: an assert that compares two cells, or their aqi_level()s, reads them
 * in place (and they are the inputs it requires, when it requires no
 * others); a when that tests a value for null that the assert compares a
 * cell with works the value out once for both (expr_guards_compare), and
 * reads that cell in place likewise; and a rule whose planned when,
 * assert and required columns read text cells alone (expr_text_inputs) is
 * not judged again on a row whose cells are those of the last row it judged
 * without a finding (passed_texts).  A rule whose two cells, their levels or
 * its guard are read in place, and that reads nothing else, is passed on the
 * usual row by that test alone, as one read from text cells alone is by the
 * rows it passed (planned_rule.quick).
 */
static void plan_judging(struct planned_rule *p, const struct written_rule *r, struct passed_cells *passed_rows)
{
	p->compares_cells = expr_compares_cells(r->assert, &p->compared);
	p->compares_levels = !p->compares_cells && expr_compares_levels(r->assert, &p->compared);
	p->guarded = expr_guards_compare(&p->when, r->assert, &p->guard);
	int read[2] = {p->compared.left, p->compared.right}; /* the cells the assert reads, when it gives a value */
	if (p->guarded)
		read[0] = read[1] = p->guard.cell;
	p->requires_compared = p->compares_cells || p->compares_levels || p->guarded;
	for (size_t k = 0; k < r->nrequires; k++)
		if ((int)r->requires[k] != read[0] && (int)r->requires[k] != read[1])
			p->requires_compared = false;
	struct passed_texts *t = &p->passed;
	int n = 0;
	for (int k = 0; k < p->when.n && n >= 0; k++)
		n = expr_text_inputs(p->when.e, p->when.node[k], t->cols, n, PASSED_CELLS);
	if (n >= 0)
		n = expr_text_inputs(r->assert, -1, t->cols, n, PASSED_CELLS);
	for (size_t k = 0; k < r->nrequires && n >= 0; k++) {
		int c = (int)r->requires[k], j = 0;
		while (j < n && t->cols[j] != c)
			j++;
		n = j < n ? n : n < PASSED_CELLS ? (t->cols[n] = c, n + 1) : -1;
	}
	t->n = n > 0 ? n : 0;
	if (t->n) {
		t->rows = passed_rows;
		memset(passed_rows, 0, PASSED_ROWS * sizeof *passed_rows);
	}
	bool plain = !t->n && p->requires_compared && !p->when.n;
	p->quick = t->n ? QUICK_TEXTS
		 : plain && p->compares_cells ? QUICK_CELLS
		 : plain && p->compares_levels ? QUICK_LEVELS
		 : p->requires_compared && p->guarded && p->guard.items ? QUICK_AQI_BOUND : QUICK_NONE;
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
	if (!st->planned) {
		st->planned = xcalloc(st->nrules_now + 1, sizeof *st->planned);
		/* (a rule's rows are emptied where plan_judging gives them to it) */
		st->passed_rows = xmalloc((st->nrules_now * PASSED_ROWS + 1) * sizeof *st->passed_rows);
	}
	st->nplanned = 0;
	st->planned_for = file_col;
	for (size_t n = 0; n < st->nrules_now; n++) {
		size_t i = st->rules_now[n];
		const struct written_rule *r = &rs->row_rules[i];
		struct planned_rule *p = &st->planned[st->nplanned];
		*p = (struct planned_rule){.rule = i, .written = r, .absent = SIZE_MAX};
		if (r->when) {
			expr_when_plan(&p->when, r->when, file_col);
			if (p->when.never)
				continue;
		}
		for (size_t k = 0; k < r->nrequires && p->absent == SIZE_MAX; k++)
			if (file_col[r->requires[k]] == SIZE_MAX)
				p->absent = r->requires[k];
		if (p->absent == SIZE_MAX || !st->absent_input[i] || p->when.may_trouble) {
			if (p->absent == SIZE_MAX)
				plan_judging(p, r, &st->passed_rows[st->nplanned * PASSED_ROWS]);
			if (!p->quick && !p->guarded && p->when.checks_first)
				p->quick = QUICK_WHEN_FALSE; /* (aqi == null first: false on most rows) */
			st->nplanned++;
		}
	}
}

/* Plans the whens of the aggregates of the file's rows for a file whose columns' cells file_col gives. */
static void plan_file_whens(struct rules_state *st, const size_t *file_col)
{
	for (size_t f = 0; f < st->nfile_aggregates; f++) {
		struct file_aggregate *a = &st->file_aggregates[f];
		if (a->rule->when) {
			expr_when_plan(&a->when, a->rule->when, file_col);
			a->by_cell = a->when.checks_first && a->when.n == 1;
		}
	}
	st->file_whens_for = file_col;
}

/* True if the cells that t reads of a row are those kept in r: the same bytes, nulls for nulls. */
static inline bool passed_as(const struct passed_texts *t, const struct passed_cells *r, const struct value *row)
{
	return r->kept && row_texts_same(r->len, r->bytes, t->cols, t->n, row);
}

/* The place among t's rows that the cells it reads of a row pick: a hash of their lengths and last four bytes. */
static int passed_place(const struct passed_texts *t, const struct value *row)
{
	uint32_t h = 0;
	for (int k = 0; k < t->n; k++) {
		const struct value *c = &row[t->cols[k]];
		uint32_t len = c->type == V_STR ? c->len : UINT32_MAX, tail = 0;
		if (len != UINT32_MAX && len >= 4)
			memcpy(&tail, c->str + len - 4, 4);
		else
			for (uint32_t i = 0; len != UINT32_MAX && i < len; i++)
				tail = tail << 8 | (unsigned char)c->str[i];
		h = (h ^ tail ^ len) * 0x9E3779B1u;
	}
	_Static_assert((PASSED_ROWS & (PASSED_ROWS - 1)) == 0, "a power of two");
	return (int)(h >> 24) & (PASSED_ROWS - 2); /* a place's first row */
}

/* True if the cells that t reads of a row are one of the two kept in their place, which then becomes the last. */
static __attribute__((noinline)) bool passed_in_place(struct passed_texts *t, const struct value *row)
{
	const struct passed_cells *r = &t->rows[passed_place(t, row)];
	if (!passed_as(t, r, row) && !passed_as(t, ++r, row))
		return false;
	memcpy(&t->last, r, sizeof *r);
	return true;
}

/* True if the cells that t reads are those of a row that passed: the last such row's, or those kept in their place. */
static inline bool passed_before(struct passed_texts *t, const struct value *row)
{
	return passed_as(t, &t->last, row) || passed_in_place(t, row);
}

/*
 * Keeps the cells that t reads of a row that passed, as the last and in
 * their place (the first of its two while it is free, else the second), when
 * they are texts or nulls that fit.
 */
static void keep_passed(struct passed_texts *t, const struct value *row)
{
	struct passed_cells *r = &t->rows[passed_place(t, row)];
	r += r->kept;
	r->kept = t->last.kept = row_texts_keep(r->len, r->bytes, sizeof r->bytes, t->cols, t->n, row);
	if (r->kept)
		memcpy(&t->last, r, sizeof *r);
}

/* True if a planned rule's quick test (plan_judging) passes it on a row: nothing more to do there. */
static inline bool passes_quickly(struct planned_rule *p, const struct value *row)
{
	switch (p->quick) {
	case QUICK_CELLS: return cells_compared_holds(&p->compared, row) == 1;
	case QUICK_LEVELS: return levels_compared_holds(&p->compared, row) == 1;
	case QUICK_AQI_BOUND: return expr_guard_holds(&p->guard, row);
	case QUICK_WHEN_FALSE: return cell_check_holds(&p->when.first, row) == 0;
	case QUICK_TEXTS: return passed_before(&p->passed, row);
	default: return false;
	}
}

/* Judges a planned rule on a row that its quick test did not pass: its when, its inputs, its assert. */
static __attribute__((noinline)) void judge_planned(struct rules_state *st, struct planned_rule *p,
						    const struct row_view *row, const struct eval_ctx *ctx,
						    struct diag_file *out)
{
	struct value guarded = {.type = V_NULL};
	if (p->guarded) { /* (nothing in it can hit a pattern's limit) */
		ctx->trouble->pattern_limit = false;
		guarded = expr_guard_value(&p->guard, ctx);
		if (guarded.type == V_NULL) {
			if (p->passed.n)
				keep_passed(&p->passed, row->values);
			return;
		}
	} else if (p->when.n) {
		ctx->trouble->pattern_limit = false;
		struct value w = judged(st, p->written, expr_when_value(&p->when, ctx), row, ctx, out);
		if (w.type != V_BOOL || !w.num) {
			if (p->passed.n && !ctx->trouble->pattern_limit)
				keep_passed(&p->passed, row->values);
			return;
		}
	}
	if (p->absent != SIZE_MAX) {
		if (!st->absent_input[p->rule])
			report_absent_input(st, p->rule, p->absent, out);
		if (!p->when.may_trouble) /* nothing more it can say in this file: planned again without it */
			st->planned_for = NULL;
		return;
	}
	/* cells read in place: present when they give the assert's value (1 or 0) */
	int holds = p->compares_cells ? cells_compared_holds(&p->compared, row->values)
		  : p->compares_levels ? levels_compared_holds(&p->compared, row->values)
		  : p->guarded ? guard_compare_holds(&p->guard, guarded, row->values) : -1;
	if (!(holds >= 0 && p->requires_compared) && !inputs_present(st, p->rule, row, out))
		return;
	struct value v;
	if (holds >= 0 || holds == -2) {
		ctx->trouble->pattern_limit = false; /* as judge leaves it */
		v = holds >= 0 ? (struct value){.type = V_BOOL, .num = holds} : (struct value){.type = V_NULL};
	} else {
		v = judge(st, p->written, p->written->assert, row, ctx, out);
	}
	if (v.type == V_BOOL && !v.num)
		row_finding(st, p->written, row, ctx, out);
	else if (p->passed.n && !ctx->trouble->pattern_limit)
		keep_passed(&p->passed, row->values);
}

/* Judges the row rules planned for the file on a row: those the usual row passes by their quick tests alone. */
static void judge_row_rules(struct rules_state *st, const struct row_view *row, const struct eval_ctx *ctx,
			    struct diag_file *out)
{
	if (row->file_col != st->planned_for)
		plan_rules(st, row->file_col);
	const struct value *cells = row->values;
	bool passed = false; /* the rule before passed quickly, leaving no trouble, as its when or its assert would */
	for (struct planned_rule *p = st->planned, *end = p + st->nplanned; p < end; p++) {
		if (passes_quickly(p, cells)) {
			passed = true;
			continue;
		}
		if (passed)
			ctx->trouble->pattern_limit = false;
		judge_planned(st, p, row, ctx, out);
		passed = false;
	}
	if (passed)
		ctx->trouble->pattern_limit = false;
}

void rules_row(struct rules_state *st, const struct row_view *row, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	struct eval_ctx *ctx = &st->row_ctx;
	st->trouble = (struct eval_trouble){0}; /* read before a rule resets it by the keys tables share (shared_values) */
	ctx->row = row->values;
	ctx->file_col = row->file_col;
	ctx->stamp = expr_row_stamp();
	st->file_col = row->file_col;
	st->out = out;
	st->rows_in[0]++;
	if (!st->reread)
		keep_for_ordered(st, row, ctx, out);
	if (!st->rereading)
		judge_row_rules(st, row, ctx, out);
	if (st->reread) { /* the second reading makes the groups, from this row on too */
		if (!st->reread_from)
			st->reread_from = row->row;
		return;
	}
	/* on the second reading, the first told what troubled this row's aggregates */
	bool told = st->rereading && (!st->reread_from || row->row < st->reread_from);
	if (row->file_col != st->file_whens_for)
		plan_file_whens(st, row->file_col);
	feed_file_aggregates(st, row, ctx, told, out);
	const struct grouping *const *feed = st->file_feeds, *const *views_end = feed + st->nfile_views;
	for (; feed < views_end; feed++)
		feed_grouping(st, *feed, ctx, row->line, row->row, out);
	for (size_t i = 0; i < rs->ncoverage; i++)
		coverage_row(st, i, row, ctx);
	for (const struct grouping *const *end = feed + st->nfile_exports; feed < end; feed++)
		feed_grouping(st, *feed, ctx, row->line, row->row, out);
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
