/*
 * rulefindings.c — the findings of a run of the written rules and their
 * messages: templates rendered with a rule's values, a row rule that fails,
 * a pattern's limit hit, inputs that cannot be verified, an aggregate's
 * group that fails (its group object and county), and a coverage rule's
 * missing keys.  While a group ended before the end of the file is judged,
 * its findings are held for the end (say).
 */
#include "rulestate.h"
#include "jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parts of a template rendered with their places noted; longer ones are rendered without. */
#define PLACED_MAX 32

/*
 * Renders t into out; with at, notes where each part's text begins (at[i]; at[nparts] is the end) and copies
 * a part that has a twin from the other language's rendering, from[from_at[twin]..from_at[twin + 1]).
 */
static void render_parts(struct buf *out, const struct template *t, size_t *at, const struct buf *from,
			 const size_t *from_at, const struct eval_ctx *ctx,
			 void (*name)(void *arg, const char *name, struct buf *out), void *arg)
{
	buf_reset(out);
	for (size_t i = 0; i < t->nparts; i++) {
		const struct template_part *p = &t->parts[i];
		if (at)
			at[i] = out->len;
		if (from && p->twin >= 0) {
			size_t b = from_at[p->twin], e = from_at[p->twin + 1];
			if (e > b)
				buf_add(out, from->data + b, e - b);
		} else if (p->expr) {
			struct value v = expr_eval(p->expr, ctx);
			if (v.type == V_NULL)
				buf_adds(out, "—"); /* no value: a dash, as tables show it */
			else
				value_format(&v, out);
		} else if (p->is_name) {
			name(arg, p->text, out);
		} else {
			buf_add(out, p->text, p->len);
		}
	}
	if (at)
		at[t->nparts] = out->len;
}

/*
 * Appends t's rendering text (its parts at at[]) as a JSON string: literal
 * parts as escaped when loaded, each run of the others escaped at once (a
 * literal part starts and ends whole characters, so this is the text escaped).
 */
static void json_parts(struct buf *b, const struct template *t, const struct buf *text, const size_t *at)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < t->nparts;) {
		if (t->parts[i].json) {
			buf_add(b, t->parts[i].json, t->parts[i].json_len);
			i++;
			continue;
		}
		size_t from = at[i];
		while (i < t->nparts && !t->parts[i].json)
			i++;
		if (at[i] > from)
			jsonw_escape(b, text->data + from, at[i] - from);
	}
	buf_addc(b, '"');
}

/* A message's templates rendered in both languages, by language: the texts and where their parts begin. */
struct rendered {
	const struct template *t[2];
	const struct buf *text[2];
	const size_t *at[2];
};

/* Appends the rendering in language which (ctx: struct rendered) as a JSON string, for msg_both_written. */
static void rendered_json(struct buf *args, enum lang which, void *ctx)
{
	const struct rendered *r = ctx;
	json_parts(args, r->t[which], r->text[which], r->at[which]);
}

/* True when a rendering holds a NUL byte, where msg_both's texts end. */
static bool has_nul(const struct buf *b)
{
	return b->len && strlen(b->data) != b->len;
}

struct message template_render_both(struct msgbuf *said, struct buf *zh, struct buf *en, const struct template message[2],
				    enum lang lang, const struct eval_ctx *ctx,
				    void (*name)(void *arg, const char *name, struct buf *out), void *arg)
{
	const struct template *tz = &message[LANG_ZH], *te = &message[LANG_EN];
	size_t zat[PLACED_MAX + 1], eat[PLACED_MAX + 1];
	bool placed = tz->nparts <= PLACED_MAX && te->nparts <= PLACED_MAX;
	bool shared = te->parts == tz->parts;
	render_parts(zh, tz, placed ? zat : NULL, NULL, NULL, ctx, name, arg);
	if (shared && placed) {
		buf_reset(en);
		buf_add(en, zh->data ? zh->data : "", zh->len);
		memcpy(eat, zat, (tz->nparts + 1) * sizeof *zat);
	} else {
		render_parts(en, te, placed ? eat : NULL, placed ? zh : NULL, placed ? zat : NULL, ctx, name, arg);
	}
	if (!placed || has_nul(zh) || has_nul(en))
		return msg_both(said, lang, zh->data ? zh->data : "", en->data ? en->data : "");
	struct rendered both = {{[LANG_ZH] = tz, [LANG_EN] = te}, {[LANG_ZH] = zh, [LANG_EN] = en},
				{[LANG_ZH] = zat, [LANG_EN] = eat}};
	const struct buf *shown = both.text[lang];
	return msg_both_written(said, lang, shown->data ? shown->data : "", shown->len, rendered_json, &both);
}

/* Renders a rule's message in both languages, in the state's buffers. */
static struct message render_both(struct rules_state *st, const struct template message[2], enum lang lang,
				  const struct eval_ctx *ctx, void (*name)(void *arg, const char *name, struct buf *out),
				  void *arg)
{
	return template_render_both(&st->said, &st->msg, &st->msg_en, message, lang, ctx, name, arg);
}

/* Writes a finding to out or, while a group ended before the end of the file is judged, holds it for the end. */
static void say(struct rules_state *st, struct diag_file *out, const struct diag *d)
{
	if (st->holding == NOT_HOLDING)
		diag_emit(out, d);
	else
		held_add(st->held, st->holding, d);
}

struct row_names {
	const struct row_view *row;
	const struct ruleset *rs;
	const struct written_rule *r;
};

/* {name} in a row rule: the column's cell text; mostly one of the rule's own columns, looked at first (names are unique). */
static void row_name(void *arg, const char *name, struct buf *out)
{
	const struct row_names *rn = arg;
	int c = -1;
	for (size_t k = 0; k < rn->r->ncols && c < 0; k++)
		if (strcmp(rn->rs->cols[rn->r->cols[k]].name, name) == 0)
			c = (int)rn->r->cols[k];
	if (c < 0)
		c = ruleset_column(rn->rs, name);
	if (c >= 0 && rn->row->text[c])
		buf_add(out, rn->row->text[c], rn->row->textlen[c]);
}

/* Emits a failed row rule, pointing at its first column's cell. */
void row_finding(struct rules_state *st, const struct written_rule *r, const struct row_view *row,
		 const struct eval_ctx *ctx, struct diag_file *out)
{
	enum lang lang = out->opt->lang;
	struct row_names arg = {row, st->rs, r};
	struct diag d = DIAG_INIT;
	d.severity = r->severity;
	d.code = r->code;
	d.rule = r->id;
	d.line = row->line;
	d.row = row->row;
	d.county = row->county;
	d.plan = r->plan ? r->plan : st->rs->plan;
	d.expected = expr_source(r->assert);
	if (r->ncols) {
		size_t c = r->cols[0];
		d.column = st->rs->cols[c].name;
		if (row->file_col[c] != SIZE_MAX) {
			d.cell = row->file_col[c];
			d.value = row->text[c] ? row->text[c] : "";
			d.value_len = row->text[c] ? row->textlen[c] : 0;
		}
	}
	if (r->message[lang].nparts) {
		d.message = render_both(st, r->message, lang, ctx, row_name, &arg);
	} else {
		buf_reset(&st->msg);
		buf_reset(&st->msg_en);
		buf_addf(&st->msg, "不满足规则 %s：%s", r->id, expr_source(r->assert));
		buf_addf(&st->msg_en, "rule %s fails: %s", r->id, expr_source(r->assert));
		d.message = msg_both(&st->said, lang, st->msg.data, st->msg_en.data);
	}
	say(st, out, &d);
}

/*
 * Reports that a rule's matches() hit the pattern's match limit on this row,
 * so the rule could not be judged there: a warning at the cell it was
 * matching (or the rule's first column), as for a column's own pattern.
 */
void pattern_limit_finding(struct rules_state *st, const struct written_rule *r,
			   const struct row_view *row, const struct eval_trouble *t, struct diag_file *out)
{
	struct diag d = DIAG_INIT;
	d.severity = SEV_WARNING;
	d.code = "pattern-limit";
	d.rule = r->id;
	d.line = row->line;
	d.row = row->row;
	d.county = row->county;
	d.plan = r->plan ? r->plan : st->rs->plan;
	long c = t->pattern_col >= 0 ? t->pattern_col : r->ncols ? (long)r->cols[0] : -1;
	if (c >= 0) {
		d.column = st->rs->cols[c].name;
		if (row->file_col[c] != SIZE_MAX) {
			d.cell = row->file_col[c];
			d.value = row->text[c] ? row->text[c] : "";
			d.value_len = row->text[c] ? row->textlen[c] : 0;
		}
	}
	d.message = MSG_SAY(&st->said, out->opt->lang, MSG_RULE_PATTERN_LIMIT, ARG_TEXT("rule", r->id));
	say(st, out, &d);
}

/* A column's name as the user sees it: its label, or its name. */
static const char *shown_name(const struct ruleset *rs, size_t col)
{
	return rs->cols[col].label ? rs->cols[col].label : rs->cols[col].name;
}

/*
 * Reports, once for the file, that a row rule requires a column the file does
 * not have; from then on its rows are not reported one by one.
 */
void report_absent_input(struct rules_state *st, size_t i, size_t col, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	const struct written_rule *r = &rs->row_rules[i];
	enum lang lang = out->opt->lang;
	st->absent_input[i] = true;
	struct diag d = DIAG_INIT;
	d.severity = r->requires_severity;
	d.code = "cannot-verify";
	d.rule = r->id;
	d.column = rs->cols[col].name;
	d.plan = r->plan ? r->plan : rs->plan;
	d.message = MSG_SAY(&st->said, lang, MSG_CANNOT_VERIFY_COLUMN, ARG_TEXT("column", shown_name(rs, col)),
			    ARG_TEXT("rule", r->id));
	say(st, out, &d);
}

/* The messages for blank inputs a row rule keeps: rows that lack an input mostly lack one of a few. */
#define BLANK_KEPT 4

/* A row rule's messages for blank inputs, each in its lang and for the required columns blank (bit k: requires[k]). */
struct blank_said {
	struct {
		uint64_t blank; /* 0: none kept */
		enum lang lang;
		struct msgbuf kept;
		struct message said;
	} kept[BLANK_KEPT];
	size_t next; /* the one replaced next */
};

void rules_findings_free(struct rules_state *st)
{
	for (size_t i = 0; st->blank_said && i < st->rs->nrow_rules; i++)
		for (size_t k = 0; k < BLANK_KEPT; k++)
			msgbuf_free(&st->blank_said[i].kept[k].kept);
	free(st->blank_said);
}

/*
 * The cannot-verify message naming a row rule's required columns blank on
 * the row, from requires[from] on (bit k of blank: requires[k], for the first
 * 64); kept per rule and set of columns.
 */
static struct message blank_message(struct rules_state *st, size_t i, const struct row_view *row, size_t from,
				    uint64_t blank, enum lang lang)
{
	const struct ruleset *rs = st->rs;
	const struct written_rule *r = &rs->row_rules[i];
	bool keep = r->nrequires <= 64;
	if (!st->blank_said)
		st->blank_said = xcalloc(rs->nrow_rules, sizeof *st->blank_said);
	struct blank_said *b = &st->blank_said[i];
	for (size_t k = 0; keep && k < BLANK_KEPT; k++)
		if (b->kept[k].blank == blank && b->kept[k].lang == lang)
			return b->kept[k].said;
	buf_reset(&st->text);
	buf_reset(&st->msg_en);
	for (size_t k = from; k < r->nrequires; k++) {
		size_t c = r->requires[k];
		if (row->values[c].type != V_NULL)
			continue;
		if (k > from) { /* requires[from] is the first blank one */
			buf_adds(&st->text, "、");
			buf_adds(&st->msg_en, "', '");
		}
		buf_adds(&st->text, shown_name(rs, c));
		buf_adds(&st->msg_en, shown_name(rs, c));
	}
	struct message said = MSG_SAY(&st->said, lang, MSG_CANNOT_VERIFY,
				      ARG_PHRASE("columns", st->text.data, st->msg_en.data), ARG_TEXT("rule", r->id));
	if (!keep)
		return said;
	size_t k = b->next;
	b->next = (k + 1) % BLANK_KEPT;
	b->kept[k].said = msg_keep(&b->kept[k].kept, said);
	b->kept[k].blank = blank, b->kept[k].lang = lang;
	return b->kept[k].said;
}

/*
 * Reports a row rule's inputs blank on this row, its required columns from
 * requires[from] (the first blank one) on: cannot-verify at the first,
 * naming them all, or, for a required column missing from the whole file,
 * once for the file.
 */
void report_blank_inputs(struct rules_state *st, size_t i, size_t from, const struct row_view *row,
			 struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	const struct written_rule *r = &rs->row_rules[i];
	size_t first = SIZE_MAX, first_k = from;
	uint64_t blank = 0;
	for (size_t k = from; k < r->nrequires; k++) {
		size_t c = r->requires[k];
		if (row->values[c].type != V_NULL)
			continue;
		if (row->file_col[c] == SIZE_MAX) {
			if (!st->absent_input[i])
				report_absent_input(st, i, c, out);
			return;
		}
		if (first == SIZE_MAX)
			first = c, first_k = k;
		if (k < 64)
			blank |= (uint64_t)1 << k;
	}
	enum lang lang = out->opt->lang;
	struct diag d = DIAG_INIT;
	d.severity = r->requires_severity;
	d.code = "cannot-verify";
	d.rule = r->id;
	d.line = row->line;
	d.row = row->row;
	d.county = row->county;
	d.plan = r->plan ? r->plan : rs->plan;
	d.column = rs->cols[first].name;
	if (row->file_col[first] != SIZE_MAX) {
		d.cell = row->file_col[first];
		d.value = row->text[first] ? row->text[first] : "";
		d.value_len = row->text[first] ? row->textlen[first] : 0;
	}
	d.message = blank_message(st, i, row, first_k, blank, lang);
	say(st, out, &d);
}

/* The county of a group: its key that is the rule set's county column, as a code. */
static const char *group_county(const struct ruleset *rs, const struct written_rule *r,
				const struct value *keys, char *buf, size_t size)
{
	if (rs->county_mode == COUNTY_NONE)
		return NULL;
	for (size_t k = 0; k < r->ngroup; k++) {
		const size_t *cols;
		size_t n = expr_columns(r->group[k], &cols);
		/* a view's key of the county column's name is the county too */
		if (n != 1 || (r->from < 0 && cols[0] != rs->county_col) || keys[k].type != V_STR ||
		    strcmp(expr_key_name(r->group[k]), rs->cols[rs->county_col].name) != 0)
			continue;
		const struct column *c = &rs->cols[rs->county_col];
		size_t row;
		bool alias;
		if (!reftable_find(c->ref, c->ref_col, keys[k].str, keys[k].len, &row, &alias))
			return NULL;
		snprintf(buf, size, "%s", reftable_cell(rs->counties, row, rs->county_code_col));
		return buf;
	}
	return NULL;
}

struct group_names {
	const struct written_rule *r;
	const struct value *keys;
};

/* {name} in an aggregate: the group key of that name. */
static void group_name(void *arg, const char *name, struct buf *out)
{
	const struct group_names *gn = arg;
	for (size_t k = 0; k < gn->r->ngroup; k++)
		if (strcmp(expr_key_name(gn->r->group[k]), name) == 0)
			value_format(&gn->keys[k], out);
}

/* Writes the group object of design.md §3.1: {"county_code":"441881","year":2025}. */
static const char *group_json(struct rules_state *st, const struct written_rule *r, const struct value *keys)
{
	buf_reset(&st->json);
	buf_addc(&st->json, '{');
	for (size_t k = 0; k < r->ngroup; k++) {
		jsonw_key(&st->json, expr_key_name(r->group[k]));
		value_json(&keys[k], &st->json);
	}
	buf_addc(&st->json, '}');
	return st->json.data;
}

/* Judges group i of aggregate a: a finding when its assert fails. */
void judge_group(struct rules_state *st, size_t a, size_t i, struct diag_file *out)
{
	const struct written_rule *r = &st->rs->aggregates[a];
	const struct group_table *g = &st->groups[a]; /* (in a joined table, its own, where run_at is kept) */
	enum lang lang = out->opt->lang;
	char county[64];
	const struct value *keys = group_key_values(st, aggregate_table(st, a), i, r->ngroup);
	struct eval_ctx ctx = {.rs = st->rs, .as_of = as_of_of(st), .keys = keys,
			       .accs = grouping_accs(aggregate_grouping(st, a, true), i)};
	struct value v = expr_eval(r->assert, &ctx);
	if (v.type != V_BOOL || v.num)
		return;
	struct diag d = DIAG_INIT;
	d.severity = r->severity;
	d.code = r->code;
	d.rule = r->id;
	d.expected = expr_source(r->assert);
	d.plan = r->plan ? r->plan : st->rs->plan;
	d.county = group_county(st->rs, r, keys, county, sizeof county);
	if (i < g->nrun_at && g->run_at[i].row)
		d.row = g->run_at[i].row, d.line = g->run_at[i].line;
	char *gj = xstrdup(group_json(st, r, keys));
	d.group = gj;
	if (r->message[lang].nparts) {
		struct group_names gn = {r, keys};
		d.message = render_both(st, r->message, lang, &ctx, group_name, &gn);
	} else {
		buf_reset(&st->msg);
		buf_reset(&st->msg_en);
		buf_addf(&st->msg, "分组 %s 不满足 %s", gj, expr_source(r->assert));
		buf_addf(&st->msg_en, "group %s fails %s", gj, expr_source(r->assert));
		d.message = msg_both(&st->said, lang, st->msg.data, st->msg_en.data);
	}
	say(st, out, &d);
	free(gj);
}

/* Judges the groups of one aggregate: those it ended while the file was read were judged then. */
void finish_aggregate(struct rules_state *st, size_t a, struct diag_file *out)
{
	held_write(st->held, st->rs->nrow_rules + a, out);
	for (size_t i = 0; !st->groups[a].dropped && i < aggregate_table(st, a)->ngroups; i++)
		judge_group(st, a, i, out);
}

struct coverage_names {
	const struct coverage_rule *c;
	size_t key;
	const struct value *per;
};

/* {value}, {label} and {per} in a coverage message. */
static void coverage_name(void *arg, const char *name, struct buf *out)
{
	const struct coverage_names *cn = arg;
	if (!strcmp(name, "value"))
		buf_adds(out, cn->c->expected[cn->key]);
	else if (!strcmp(name, "label") && cn->c->expected_label[cn->key])
		buf_adds(out, cn->c->expected_label[cn->key]);
	else if (!strcmp(name, "per") && cn->per)
		value_format(cn->per, out);
}

/* Reports one expected key missing (for one per value, when given). */
static void coverage_finding(struct rules_state *st, const struct coverage_rule *c, size_t k,
			     const struct value *per, struct diag_file *out)
{
	const struct ruleset *rs = st->rs;
	enum lang lang = out->opt->lang;
	const char *colname = rs->cols[c->col].name;
	const char *shown = rs->cols[c->col].label ? rs->cols[c->col].label : colname;
	const char *label = c->expected_label[k];
	struct diag d = DIAG_INIT;
	d.severity = c->severity;
	d.code = "coverage";
	d.rule = c->id;
	d.column = colname;
	d.plan = c->plan ? c->plan : rs->plan;
	d.county = rs->county_mode != COUNTY_NONE && c->col == rs->county_col &&
		   rs->county_mode == COUNTY_BY_CODE ? c->expected[k] : NULL;
	buf_reset(&st->json);
	buf_addc(&st->json, '{');
	if (per) {
		jsonw_key(&st->json, expr_key_name(c->per));
		value_json(per, &st->json);
	}
	jsonw_key(&st->json, colname);
	jsonw_string(&st->json, c->expected[k], strlen(c->expected[k]));
	buf_addc(&st->json, '}');
	d.group = st->json.data;
	if (c->message[lang].nparts) {
		struct coverage_names cn = {c, k, per};
		d.message = render_both(st, c->message, lang, NULL, coverage_name, &cn);
	} else {
		buf_reset(&st->text);
		if (per)
			value_format(per, &st->text);
		buf_reset(&st->msg);
		buf_reset(&st->msg_en);
		if (label)
			buf_addf(&st->msg, "缺少「%s」为 %s（%s）的记录", shown, c->expected[k], label);
		else
			buf_addf(&st->msg, "缺少「%s」为 %s 的记录", shown, c->expected[k]);
		if (per)
			buf_addf(&st->msg, "（%s = %s）", expr_key_name(c->per), st->text.data);
		buf_addf(&st->msg_en, "no record with '%s' = %s%s%s%s%s%s%s%s", shown, c->expected[k],
			 label ? " (" : "", label ? label : "", label ? ")" : "",
			 per ? " for " : "", per ? expr_key_name(c->per) : "", per ? " = " : "",
			 per ? st->text.data : "");
		d.message = msg_both(&st->said, lang, st->msg.data, st->msg_en.data);
	}
	diag_emit(out, &d);
}

/* Judges one coverage rule: every expected key, for every per value. */
void finish_coverage(struct rules_state *st, size_t i, struct diag_file *out)
{
	const struct coverage_rule *c = &st->rs->coverage[i];
	struct coverage_seen *s = &st->seen[i];
	const struct value *pers = c->per_values ? c->per_values : s->per_seen;
	size_t nper = c->per ? (c->per_values ? c->nper_values : s->nper) : 1;
	struct buf key = {0};
	for (size_t p = 0; p < nper; p++) {
		for (size_t k = 0; k < c->nexpected; k++) {
			buf_reset(&key);
			if (c->per)
				value_key(&key, &pers[p]);
			struct value kv = {.type = V_STR, .str = c->expected[k], .len = strlen(c->expected[k])};
			value_key(&key, &kv);
			if (!strmap_get(&s->pairs, key.data, key.len, NULL))
				coverage_finding(st, c, k, c->per ? &pers[p] : NULL, out);
		}
	}
	buf_free(&key);
}
