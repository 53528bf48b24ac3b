/* repair.c — the safe repairs of a cell, one step after another. */
#include "repair.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

static const char *const repair_names[REPAIR_COUNT] = {
	"transcode", "blanks", "width", "case", "dates", "names", "titles",
};

const char *repair_name(enum repair r) { return repair_names[r]; }

bool repair_from_name(const char *name, size_t n, enum repair *r)
{
	for (int i = 0; i < REPAIR_COUNT; i++)
		if (strlen(repair_names[i]) == n && memcmp(repair_names[i], name, n) == 0) {
			*r = (enum repair)i;
			return true;
		}
	return false;
}

/* A cell's text as the repairs go: the current text, and two buffers a step writes into in turn. */
struct mending {
	const char *text;
	size_t len;
	struct buf bufs[2];
	int next;
	bool changed;
	void (*report)(void *ctx, const struct repair_change *ch);
	void *ctx;
};

/* Room for a step's new text, in the buffer the current text is not in. */
static struct buf *step_room(struct mending *m, size_t n)
{
	struct buf *b = &m->bufs[m->next];
	buf_reset(b);
	buf_grow(b, n + 1);
	return b;
}

/* Makes s[0..n) the current text, reporting the change. */
static void step(struct mending *m, enum repair r, enum check clears, const char *s, size_t n)
{
	struct repair_change ch = {r, clears, m->text, s, m->len, n};
	if (m->report)
		m->report(m->ctx, &ch);
	if (m->bufs[m->next].data && s == m->bufs[m->next].data)
		m->next ^= 1;
	m->text = s;
	m->len = n;
	m->changed = true;
}

/* True if a reference value is in its column's table, as written or as an alias. */
static bool in_table(const struct column *c, const char *s, size_t n)
{
	size_t row;
	bool alias;
	return reftable_find(c->ref, c->ref_col, s, n, &row, &alias);
}

static void mend_blanks(struct mending *m)
{
	const unsigned char *u = (const unsigned char *)m->text;
	size_t lead = utf8_blank_len(u, m->len);
	size_t trail = lead < m->len ? utf8_blank_len_back(u + lead, m->len - lead) : 0;
	if ((lead || trail) && lead + trail < m->len) /* a blank cell stays: it is empty, not padded */
		step(m, REPAIR_BLANKS, CHK_WHITESPACE, m->text + lead, m->len - lead - trail);
}

static void mend_width(struct mending *m, const struct column *c)
{
	if ((!coltype_folds_width(c->type) && !c->ref) || !utf8_may_have_fullwidth((const unsigned char *)m->text, m->len))
		return;
	struct buf *b = step_room(m, m->len);
	bool changed;
	size_t n = utf8_halfwidth((const unsigned char *)m->text, m->len, b->data, &changed);
	if (changed && (coltype_folds_width(c->type) || in_table(c, b->data, n)))
		step(m, REPAIR_WIDTH, CHK_WHITESPACE, b->data, n);
}

static void mend_case(struct mending *m, const struct column *c)
{
	struct buf *b = step_room(m, m->len);
	if (code_fix_case(c->type, m->text, m->len, b->data))
		step(m, REPAIR_CASE, CHK_TYPE, b->data, m->len);
}

static void mend_date(struct mending *m, const struct column *c)
{
	int y, mo, d;
	bool month = c->type == TYPE_MONTH;
	if ((c->type != TYPE_DATE && !month) || date_form(m->text, m->len, month, &y, &mo, &d) != DATE_OTHER_FORM)
		return;
	struct buf *b = step_room(m, 16);
	if (month)
		buf_addf(b, "%04d-%02d", y, mo);
	else
		buf_addf(b, "%04d-%02d-%02d", y, mo, d);
	step(m, REPAIR_DATES, CHK_TYPE, b->data, b->len);
}

static void mend_name(struct mending *m, const struct column *c)
{
	size_t row;
	bool alias = false; /* stays false for a variant spelling, which is a reference finding */
	if (!c->ref)
		return;
	if (reftable_find(c->ref, c->ref_col, m->text, m->len, &row, &alias)) {
		if (!alias)
			return;
	} else if (!reftable_find_variant(c->ref, c->ref_col, m->text, m->len, &row)) {
		return;
	}
	const char *canonical = reftable_cell(c->ref, row, c->ref_col);
	step(m, REPAIR_NAMES, alias ? CHK_ALIAS : CHK_REFERENCE, canonical, strlen(canonical));
}

bool repair_cell(const struct column *c, unsigned mask, const char *s, size_t n, struct buf *out,
		 void (*changed)(void *ctx, const struct repair_change *ch), void *ctx)
{
	struct mending m = {.text = s, .len = n, .report = changed, .ctx = ctx};
	if (mask & 1u << REPAIR_BLANKS)
		mend_blanks(&m);
	if (mask & 1u << REPAIR_WIDTH)
		mend_width(&m, c);
	if (mask & 1u << REPAIR_CASE)
		mend_case(&m, c);
	if (mask & 1u << REPAIR_DATES)
		mend_date(&m, c);
	if (mask & 1u << REPAIR_NAMES)
		mend_name(&m, c);
	buf_reset(out);
	buf_add(out, m.text, m.len);
	buf_free(&m.bufs[0]);
	buf_free(&m.bufs[1]);
	return m.changed;
}
