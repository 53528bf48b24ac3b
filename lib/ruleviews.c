/*
 * ruleviews.c — views and exports of a run of the written rules: a view's
 * groups made into rows for the exports, views and aggregates that read
 * from it (view_row_out), and an export's groups written out as facts
 * records (write_fact), which qy-combine adds up across files.
 */
#include "rulestate.h"
#include "jsonw.h"

#include <stdlib.h>
#include <string.h>

/*
 * The slot of a view's value k when the value is that one aggregate call and
 * agg_result gives what evaluating it would (a run's or count_distinct's
 * value needs the call itself), or -1: a view's row is made without the
 * evaluator where it can be.
 */
int direct_slot(const struct view *view, size_t k)
{
	int slot = expr_aggregate_slot(view->values[k]);
	if (slot < 0)
		return -1;
	enum agg_kind kind = view->slots[slot].kind;
	return kind == AGG_LONGEST_RUN || kind == AGG_LONGEST_EQUAL_RUN || kind == AGG_COUNT_DISTINCT ? -1 : slot;
}

/* True if an aggregate judged in order reads view v: it points at the view's rows until the end. */
bool view_rows_kept(const struct ruleset *rs, size_t v)
{
	for (size_t a = 0; a < rs->naggregates; a++)
		if (rs->aggregates[a].from == (int)v && rs->aggregates[a].order)
			return true;
	return false;
}

/*
 * Makes the row of group i of view v's table g into row: its keys, then its
 * values from its accumulators, a slot's straight from agg_result, any other
 * by the evaluator.  Out of view_row_out's way: most rows it feeds are held.
 */
static __attribute__((noinline)) void make_view_row(struct rules_state *st, size_t v, const struct group_table *g,
						    size_t i, struct value *row)
{
	const struct view *view = &st->rs->views[v];
	const int *slots = st->view_slot[v];
	unsigned char *accs = group_accs(g, i, view_grouping(st, v)->block);
	struct value *values = row + view->ngroup;
	group_keys(g, i, view->ngroup, row);
	for (size_t k = 0; k < view->nvalues; k++) {
		if (slots[k] >= 0) {
			const struct agg_slot *s = &view->slots[slots[k]];
			values[k] = agg_result(s->kind, s->p, agg_acc_of(accs, s));
			continue;
		}
		struct eval_ctx made = {.rs = st->rs, .as_of = as_of_of(st), .keys = row, .accs = accs};
		values[k] = expr_eval(view->values[k], &made);
	}
}

/*
 * Keeps a view's row, ctx's, in its group of aggregate a, judged in order:
 * out of feed_readers' way, which feeds most rows to groupings alone.
 */
__attribute__((noinline)) void keep_view_row(struct rules_state *st, size_t a, const struct eval_ctx *ctx)
{
	const struct written_rule *r = &st->rs->aggregates[a];
	long group = find_group(st, &st->groups[a], r->group, r->ngroup, aggregate_grouping(st, a, true)->block, ctx);
	add_ordered(st, &st->ordered_aggregates[a], group, expr_eval(r->order, ctx), NULL, ctx->row);
}

/* The context view v's rows are fed in (view_rows.feed), made on its first row. */
static struct eval_ctx *feed_ctx(struct rules_state *st, size_t v)
{
	struct eval_ctx *ctx = &st->view_rows[v].feed;
	if (!ctx->rs)
		ctx->rs = st->rs, ctx->as_of = as_of_of(st);
	return ctx;
}

/*
 * Makes the row of group i of view v's table g into row (keys, then values;
 * a group held as its row, group_table.held, has it made) and feeds it, in
 * ctx, to the exports, views and aggregates that read from the view.  The
 * row is stamped like a file's row, so that a let its readers read on it
 * again (good_day in a when, an assert and an export) is its memo's at once.
 */
static inline __attribute__((always_inline)) void row_out(struct rules_state *st, size_t v,
							  const struct group_table *g, size_t i, struct value *row,
							  struct eval_ctx *ctx)
{
	st->rows_in[v + 1]++;
	if (g->held == i + 1)
		row = g->held_row;
	else
		make_view_row(st, v, g, i, row);
	ctx->row = row, ctx->stamp = expr_row_stamp();
	struct place at = g->places[i];
	feed_readers(st, &st->readers[st->readers_at[v]], &st->readers[st->readers_at[v + 1]], ctx, at.line, at.row,
		     st->out);
}

/* Makes and feeds the row of one group of a view (row_out): a streamed view's, as the group ends. */
void view_row_out(struct rules_state *st, size_t v, const struct group_table *g, size_t i, struct value *row)
{
	row_out(st, v, g, i, row, feed_ctx(st, v));
}

/*
 * Makes a view's rows from its groups (those still open, when it streamed
 * them), in the order they first appeared, and feeds each to what reads from
 * it (row_out).  The rows are kept only for aggregates judged in order;
 * otherwise one row at a time is made, fed and forgotten, so that a view
 * with a group a row costs no more at the end of the file.
 */
void finish_view(struct rules_state *st, size_t v)
{
	const struct group_table *g = &st->view_groups[v];
	struct view_rows *vr = &st->view_rows[v];
	size_t width = st->rs->views[v].out.n;
	bool kept = view_rows_kept(st->rs, v);
	vr->values = xcalloc((kept ? g->ngroups : 1) * width + 1, sizeof *vr->values);
	vr->nrows = g->ngroups;
	vr->places = g->places;
	struct eval_ctx *ctx = feed_ctx(st, v);
	for (size_t i = 0; i < vr->nrows; i++)
		row_out(st, v, g, i, &vr->values[kept ? i * width : 0], ctx);
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
		if (i)
			buf_addc(b, ',');
		buf_addc(b, '"');
		format_date(d->days[i], from);
		buf_adds(b, from);
		if (j > i) {
			buf_addc(b, '/');
			format_date(d->days[j], to);
			buf_adds(b, to);
		}
		buf_addc(b, '"');
		i = j + 1;
	}
	buf_addc(b, ']');
}

/* Writes the start every facts record of export x has into head: its type, rule set, export, file and "key". */
static void facts_head(const struct rules_state *st, const struct view *x, const struct diag_file *out,
		       struct buf *head)
{
	buf_reset(head);
	JSONW_LIT(head, "{\"type\":\"facts\",\"ruleset\":");
	jsonw_string(head, st->rs->id, strlen(st->rs->id));
	JSONW_LIT(head, ",\"export\":");
	jsonw_string(head, x->name, strlen(x->name));
	JSONW_LIT(head, ",\"file\":");
	jsonw_string(head, out->file, strlen(out->file));
	JSONW_LIT(head, ",\"key\":");
}

/*
 * Writes one export's facts record for group i after its start, head
 * (facts_head; design.md §3.4; "parts", "dates" and "cell" added).
 */
static void write_fact(struct rules_state *st, const struct view *x, const struct group_table *g, size_t i,
		       const struct buf *head, struct diag_file *out)
{
	struct buf *b = &st->json;
	const struct value *keys = group_key_values(st, g, i, x->ngroup);
	unsigned char *accs = group_accs(g, i, export_grouping(st, (size_t)(x - st->rs->exports))->block);
	struct eval_ctx ctx = {.rs = st->rs, .as_of = as_of_of(st), .keys = keys, .accs = accs};
	buf_reset(b);
	buf_add(b, head->data, head->len);
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
		JSONW_LIT(b, ",\"dates\":");
		days_json(i < g->ndays ? &g->days[i] : NULL, b);
	}
	uint64_t row = g->places[i].row, line = g->places[i].line;
	JSONW_LIT(b, ",\"row\":");
	buf_add_uint(b, row);
	if (line) { /* a workbook's rows have no line */
		JSONW_LIT(b, ",\"line\":");
		buf_add_uint(b, line);
	}
	if (x->cell >= 0 && st->file_col && st->file_col[x->cell] != SIZE_MAX) {
		char cell[24];
		cell_column_name(st->file_col[x->cell], cell);
		JSONW_LIT(b, ",\"column\":");
		jsonw_string(b, st->rs->cols[x->cell].name, strlen(st->rs->cols[x->cell].name));
		JSONW_LIT(b, ",\"cell\":");
		buf_addf(b, "\"%s%llu\"", cell, (unsigned long long)row);
	}
	if (out->sheet) {
		JSONW_LIT(b, ",\"sheet\":");
		jsonw_string(b, out->sheet, strlen(out->sheet));
	}
	JSONW_LIT(b, "}\n");
	diag_emit_record(out, b->data, b->len);
}

void rules_write_facts(struct rules_state *st, struct diag_file *out)
{
	struct buf head = {0};
	for (size_t e = 0; e < st->rs->nexports; e++) {
		const struct group_table *g = &st->export_groups[e];
		facts_head(st, &st->rs->exports[e], out, &head);
		for (size_t i = 0; !g->dropped && i < g->ngroups; i++)
			write_fact(st, &st->rs->exports[e], g, i, &head, out);
	}
	buf_free(&head);
}
