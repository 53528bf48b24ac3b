/*
 * sheet.c — a sheet's sparse cells gathered row by row and handed on as
 * dense records.  A row is held until the next one starts (or the sheet
 * ends), so a row with no text stays unsent and becomes a blank record only
 * when a filled row follows it.
 */
#include "sheet.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A cell of the row being gathered: its text at an offset in the row's text. */
struct held_cell {
	size_t col, at, len;
	struct book_cell info;
	bool oversized, reported;
};

/* A cell problem waiting for its row: its value at an offset in the row's text. */
struct held_event {
	struct book_event ev;
	size_t value_at;       /* SIZE_MAX: none */
};

struct sheet {
	struct book_handler h;
	char *wanted;
	size_t max_field;
	size_t keep;             /* cells kept per record; SIZE_MAX until told */
	uint64_t row;            /* the row being gathered, 0 before the first */
	uint64_t sent;           /* the last row sent */
	struct held_cell *cells;
	size_t ncells, cells_cap;
	struct held_event *events;
	size_t nevents, events_cap;
	struct buf text;
	struct csvr_cell *out;   /* the record being sent */
	struct book_cell *info;
	size_t out_cap;
	bool stopped;
};

struct sheet *sheet_new(const struct book_handler *h, const char *wanted, size_t max_field)
{
	struct sheet *s = xcalloc(1, sizeof *s);
	s->h = *h;
	s->wanted = wanted ? xstrdup(wanted) : NULL;
	s->max_field = max_field;
	s->keep = SIZE_MAX;
	return s;
}

void sheet_free(struct sheet *s)
{
	if (!s)
		return;
	free(s->wanted);
	free(s->cells), free(s->events), free(s->out), free(s->info);
	buf_free(&s->text);
	free(s);
}

/* True if s is a whole number from 1 to n written in digits; *index is then 0-based. */
static bool sheet_number(const char *s, size_t n, long *index)
{
	char *end;
	if (*s < '1' || *s > '9')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v > n)
		return false;
	*index = (long)v - 1;
	return true;
}

long sheet_pick(struct sheet *s, char *const *names, const bool *hidden, size_t n)
{
	long pick = -1;
	if (s->h.sheets) {
		s->h.sheets(s->h.ctx, names, hidden, n);
		s->stopped = true;
		return -1;
	}
	if (!s->wanted) {
		for (size_t i = 0; i < n && pick < 0; i++)
			if (!hidden[i])
				pick = (long)i;
		if (pick < 0 && n)
			pick = 0;
	} else {
		for (size_t i = 0; i < n && pick < 0; i++)
			if (strcmp(names[i], s->wanted) == 0)
				pick = (long)i;
		for (size_t i = 0; i < n && pick < 0; i++) /* Excel's sheet names ignore case */
			if (strcasecmp(names[i], s->wanted) == 0)
				pick = (long)i;
		if (pick < 0)
			sheet_number(s->wanted, n, &pick);
	}
	if (pick >= 0) {
		if (s->h.sheet)
			s->h.sheet(s->h.ctx, names[pick]);
		return pick;
	}
	struct buf list = {0};
	for (size_t i = 0; i < n; i++)
		buf_addf(&list, "%s\"%s\"", i ? ", " : "", names[i]);
	struct book_event ev = {.kind = BOOK_EV_NO_SHEET, .col = SIZE_MAX, .value = s->wanted,
				.detail = list.data ? list.data : ""};
	sheet_problem(s, &ev);
	buf_free(&list);
	return -1;
}

void sheet_keep_cells(struct sheet *s, size_t n)
{
	s->keep = n;
}

/* Makes room for n cells in the record being sent. */
static void out_room(struct sheet *s, size_t n)
{
	if (n <= s->out_cap)
		return;
	s->out_cap = n < 64 ? 64 : n;
	s->out = xrealloc(s->out, s->out_cap * sizeof *s->out);
	s->info = xrealloc(s->info, s->out_cap * sizeof *s->info);
}

/* Sends sheet row row as a record of the held cells (none: a blank row). */
static void send_record(struct sheet *s, uint64_t row, bool with_cells)
{
	size_t width = 0;
	for (size_t i = 0; with_cells && i < s->ncells; i++)
		if (s->cells[i].col + 1 > width)
			width = s->cells[i].col + 1;
	size_t total = width, kept = width;
	if (s->keep != SIZE_MAX) {
		if (s->keep > 0 && total < s->keep - 1)
			total = s->keep - 1;
		kept = total < s->keep ? total : s->keep;
	}
	if (total == 0)
		total = kept = 1; /* a blank line of a CSV file is one empty cell */
	out_room(s, kept);
	for (size_t i = 0; i < kept; i++) {
		s->out[i] = (struct csvr_cell){.data = ""};
		s->info[i] = (struct book_cell){.type = BV_EMPTY};
	}
	for (size_t i = 0; with_cells && i < s->ncells; i++) {
		const struct held_cell *c = &s->cells[i];
		if (c->col >= kept)
			continue;
		s->out[c->col] = (struct csvr_cell){.data = s->text.data + c->at, .len = c->len,
						    .oversized = c->oversized, .reported = c->reported};
		s->info[c->col] = c->info;
	}
	struct csvr_record rec = {.cells = s->out, .ncells = kept, .total_cells = total, .row = row};
	s->h.record(s->h.ctx, &rec, s->info);
}

/* Sends the gathered row, after the blank rows before it and its cells' problems. */
static void flush_row(struct sheet *s)
{
	if (s->ncells == 0 || s->stopped)
		return;
	while (++s->sent < s->row)
		send_record(s, s->sent, false);
	for (size_t i = 0; i < s->nevents; i++) {
		struct book_event ev = s->events[i].ev;
		ev.value = s->events[i].value_at == SIZE_MAX ? NULL : s->text.data + s->events[i].value_at;
		s->h.event(s->h.ctx, &ev);
	}
	send_record(s, s->row, true);
	s->ncells = s->nevents = 0;
	buf_reset(&s->text);
}

/* Keeps a cell problem until its row is sent; its value is copied. */
static void hold_event(struct sheet *s, const struct book_event *ev)
{
	if (s->nevents == s->events_cap) {
		s->events_cap = s->events_cap ? 2 * s->events_cap : 16;
		s->events = xrealloc(s->events, s->events_cap * sizeof *s->events);
	}
	struct held_event *h = &s->events[s->nevents++];
	h->ev = *ev;
	h->value_at = SIZE_MAX;
	if (ev->value) {
		h->value_at = s->text.len;
		buf_add(&s->text, ev->value, strlen(ev->value) + 1);
	}
}

/* Length of s[0..n) cut to at most max bytes, not inside a UTF-8 character. */
static size_t cut_utf8(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

bool sheet_cell(struct sheet *s, uint64_t row, size_t col, const char *text, size_t len,
		const struct book_cell *info, const struct book_event *problem)
{
	if (s->stopped)
		return false;
	struct book_event limit = {.kind = BOOK_EV_LIMIT, .row = row, .col = SIZE_MAX};
	if (row < s->row) {
		struct book_event order = {.kind = BOOK_EV_BROKEN, .row = row, .col = SIZE_MAX,
					   .detail = "rows out of order"};
		sheet_problem(s, &order);
		return false;
	}
	if (row > SHEET_MAX_ROWS || row == 0) {
		limit.limit = LIMIT_ROWS, limit.amount = SHEET_MAX_ROWS;
		sheet_problem(s, &limit);
		return false;
	}
	if (col >= SHEET_MAX_COLS) {
		limit.limit = LIMIT_COLUMNS, limit.amount = SHEET_MAX_COLS;
		sheet_problem(s, &limit);
		return false;
	}
	if (row != s->row) {
		flush_row(s);
		s->row = row;
	}
	if (len == 0 && !problem)
		return true;
	if (s->ncells == s->cells_cap) {
		s->cells_cap = s->cells_cap ? 2 * s->cells_cap : 64;
		s->cells = xrealloc(s->cells, s->cells_cap * sizeof *s->cells);
	}
	struct held_cell *c = &s->cells[s->ncells++];
	size_t kept = cut_utf8(text, len, s->max_field);
	*c = (struct held_cell){.col = col, .at = s->text.len, .len = kept, .info = *info,
				.oversized = kept < len, .reported = problem != NULL};
	buf_add(&s->text, text, kept);
	buf_addc(&s->text, '\0');
	if (problem)
		hold_event(s, problem);
	if (c->oversized) {
		struct book_event big = {.kind = BOOK_EV_OVERSIZED, .row = row, .col = col};
		hold_event(s, &big);
	}
	return true;
}

void sheet_problem(struct sheet *s, const struct book_event *ev)
{
	if (s->stopped)
		return;
	if (ev->kind >= BOOK_EV_LIMIT)
		s->stopped = true;
	s->h.event(s->h.ctx, ev);
}

void sheet_finish(struct sheet *s)
{
	flush_row(s);
}

bool sheet_stopped(const struct sheet *s)
{
	return s->stopped;
}
