/*
 * xls.c — a BIFF workbook through libfreexl, which loads the file whole
 * (BIFF8 bounds a sheet at 65,536 rows and 256 columns) and gives each cell
 * as an integer, a double, a text or a date already written out.  libfreexl
 * does not tell formulas, booleans, error values or percentage formats apart
 * from plain values: a .xls is checked by the values it stores.
 *
 * libfreexl trusts the file: on some damaged ones it writes past its buffers
 * and frees what it never allocated.  So it runs in a child process
 * (platform_guarded_start: forked, or on Windows this program started again)
 * that writes what it read to a pipe, in a dump of its own, and this process
 * checks the dump and hands it to the sheet.  A child that dies, or whose
 * dump stops short or makes no sense, gives the workbook one finding
 * (BOOK_EV_READER_DIED), never a crash.  On some others libfreexl loops for
 * hours (a sector chain that leads back to itself): the child may use
 * READER_SECONDS of processor time and one more a MiB of the file, far more
 * than libfreexl needs, and one stopped there gives the workbook a finding
 * of its own (LIMIT_READER_TIME), never a hang.  Where no child can be made
 * the same dump is made and read in this process.
 *
 * The dump, one letter a message, numbers in this machine's byte order (both
 * ends are one program):
 *   'F'                          libfreexl cannot open the file
 *   'P'                          the workbook is obfuscated with a password
 *   'N' count, (length, bytes)…  the sheets' names
 *   'X'                          the sheet asked for cannot be selected or measured
 *   'C' row col 'n' double       a number cell (row and column 0-based)
 *   'C' row col 't' length bytes a text cell
 *   'E'                          the end: the dump is whole
 * A pass lists the sheets or, once one is picked, gives its cells.
 */
#include "xls.h"
#include "platform.h"
#include "util.h"

#include <errno.h>
#include <freexl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	DUMP_FLUSH = 1 << 16,        /* bytes a pass gathers before it writes them */
	DUMP_TEXT_MAX = 1 << 20,     /* a name or a cell longer than this is not libfreexl's */
	DUMP_SHEETS_MAX = 65536,     /* libfreexl numbers sheets with an unsigned short */
	DUMP_ROWS_MAX = 65536,       /* BIFF8's bounds */
	DUMP_COLS_MAX = 256,
	READER_SECONDS = 5,          /* a pass's processor time, and a second more a MiB */
};

/* How a pass ended. */
enum pass_end { PASS_READ, PASS_DIED, PASS_OUT_OF_TIME };

/* What this process makes of a dump. */
struct replay {
	struct sheet *s;
	struct buf pending;          /* bytes of a message not yet whole */
	struct buf text;             /* a number's text */
	char **names;
	uint32_t nnames;
	bool cannot_open, obfuscated, no_cells;
	bool giving_cells;           /* the pass is the picked sheet's: only cells may come */
	bool whole, bad;             /* 'E' came; a message made no sense */
};

/* Where a pass writes: a child's pipe, or the replay in this process. */
struct dump {
	struct buf out;
	int fd;                      /* the pipe, or -1 */
	struct replay *direct;       /* with no pipe: where the bytes go */
};

struct pass {
	const char *path;
	long pick;                   /* the sheet whose cells to give, or -1 for the names */
};

static void replay_feed(struct replay *r, const void *p, size_t n);

/* Hands what a pass has gathered on; a pipe whose reader is gone ends the child. */
static void dump_flush(struct dump *d)
{
	if (d->fd < 0) {
		replay_feed(d->direct, d->out.data, d->out.len);
	} else {
		for (size_t at = 0; at < d->out.len;) {
			ssize_t put = write(d->fd, d->out.data + at, d->out.len - at);
			if (put < 0 && errno == EINTR)
				continue;
			if (put <= 0)
				_exit(EXIT_TROUBLE);
			at += (size_t)put;
		}
	}
	buf_reset(&d->out);
}

/* Adds a message's bytes; a whole message may be handed on once enough have gathered. */
static void dump_put(struct dump *d, const void *p, size_t n) { buf_add(&d->out, p, n); }
static void dump_letter(struct dump *d, char c) { buf_addc(&d->out, c); }
static void dump_u32(struct dump *d, uint32_t v) { dump_put(d, &v, sizeof v); }
static void dump_bytes(struct dump *d, const char *p)
{
	size_t n = p ? strlen(p) : 0;
	dump_u32(d, (uint32_t)(n > DUMP_TEXT_MAX ? DUMP_TEXT_MAX + 1 : n));
	dump_put(d, p, n > DUMP_TEXT_MAX ? 0 : n);
}
static void dump_message_done(struct dump *d)
{
	if (d->out.len >= DUMP_FLUSH)
		dump_flush(d);
}

/* Whether the sheet the dump feeds in this process wants no more. */
static bool dump_stopped(const struct dump *d) { return d->direct && sheet_stopped(d->direct->s); }

/* Writes one cell of the active sheet, when it holds a number or a text. */
static void dump_cell(const void *xl, unsigned row, unsigned short col, struct dump *d)
{
	FreeXL_CellValue v;
	if (freexl_get_cell_value(xl, row, col, &v) != FREEXL_OK)
		return;
	uint32_t where[2] = {row, col};
	switch (v.type) {
	case FREEXL_CELL_INT:
	case FREEXL_CELL_DOUBLE: {
		double number = v.type == FREEXL_CELL_INT ? (double)v.value.int_value : v.value.double_value;
		dump_letter(d, 'C'), dump_put(d, where, sizeof where), dump_letter(d, 'n');
		dump_put(d, &number, sizeof number);
		break;
	}
	case FREEXL_CELL_TEXT:
	case FREEXL_CELL_SST_TEXT:
	case FREEXL_CELL_DATE:
	case FREEXL_CELL_DATETIME:
	case FREEXL_CELL_TIME:
		dump_letter(d, 'C'), dump_put(d, where, sizeof where), dump_letter(d, 't');
		dump_bytes(d, v.value.text_value);
		break;
	default:
		return;
	}
	dump_message_done(d);
}

/* One pass of libfreexl over the file: the sheets' names, or the cells of the sheet picked. */
static void read_pass(const struct pass *p, struct dump *d)
{
	const void *xl = NULL;
	unsigned int password = 0, nsheets = 0, rows = 0;
	unsigned short cols = 0;
	if (freexl_open(p->path, &xl) != FREEXL_OK) {
		dump_letter(d, 'F');
	} else if (p->pick < 0) {
		freexl_get_info(xl, FREEXL_BIFF_PASSWORD, &password);
		freexl_get_info(xl, FREEXL_BIFF_SHEET_COUNT, &nsheets);
		if (password == FREEXL_BIFF_OBFUSCATED) {
			dump_letter(d, 'P');
		} else {
			dump_letter(d, 'N'), dump_u32(d, nsheets);
			for (unsigned i = 0; i < nsheets && i < DUMP_SHEETS_MAX; i++) {
				const char *name = NULL;
				freexl_get_worksheet_name(xl, (unsigned short)i, &name);
				dump_bytes(d, name);
				dump_message_done(d);
			}
		}
	} else if (freexl_select_active_worksheet(xl, (unsigned short)p->pick) == FREEXL_OK &&
		   freexl_worksheet_dimensions(xl, &rows, &cols) == FREEXL_OK) {
		for (unsigned r = 0; r < rows && !dump_stopped(d); r++)
			for (unsigned short c = 0; c < cols && !dump_stopped(d); c++)
				dump_cell(xl, r, c, d);
	} else {
		dump_letter(d, 'X');
	}
	freexl_close(xl);
	dump_letter(d, 'E');
	dump_flush(d);
}

/* The child's work: one pass, written to its pipe. */
static void child_pass(void *ctx, int fd)
{
	struct dump d = {.fd = fd};
	read_pass(ctx, &d);
	buf_free(&d.out);
}

bool xls_serve(const char *job, int fd)
{
	char *end;
	long pick = strtol(job, &end, 10);
	if (end == job || *end != ' ')
		return false;
	struct pass p = {.path = end + 1, .pick = pick};
	child_pass(&p, fd);
	return true;
}

/* Takes n bytes at *at of a message of len bytes into out; false when they have not all come. */
static bool take(const char *m, size_t len, size_t *at, void *out, size_t n)
{
	if (len - *at < n)
		return false;
	memcpy(out, m + *at, n);
	*at += n;
	return true;
}

/* Reads a length and that many bytes; false when they have not all come, bad when the length is not libfreexl's. */
static bool take_text(struct replay *r, const char *m, size_t len, size_t *at, const char **text, uint32_t *n)
{
	if (!take(m, len, at, n, sizeof *n))
		return false;
	if (*n > DUMP_TEXT_MAX) {
		r->bad = true;
		return false;
	}
	if (len - *at < *n)
		return false;
	*text = m + *at;
	*at += *n;
	return true;
}

/* Hands one cell to the sheet. */
static void replay_cell(struct replay *r, uint32_t row, uint32_t col, bool number, double value,
			const char *text, uint32_t n)
{
	struct book_cell info = {.type = BV_TEXT};
	if (number) {
		info.type = BV_NUMBER;
		info.number = value;
		buf_reset(&r->text);
		excel_number_text(value, &r->text);
		text = r->text.data ? r->text.data : "", n = (uint32_t)r->text.len;
	}
	sheet_cell(r->s, (uint64_t)row + 1, col, text ? text : "", n, &info, NULL);
}

/*
 * Acts on the message at the front of m (len bytes): the bytes it took, or 0
 * when it has not all come (or made no sense: then r->bad).
 */
static size_t replay_message(struct replay *r, const char *m, size_t len)
{
	size_t at = 1;
	switch (m[0]) {
	case 'F': r->cannot_open = true; return at;
	case 'P': r->obfuscated = true; return at;
	case 'X': r->no_cells = true; return at;
	case 'E': r->whole = true; return at;
	case 'N': {
		uint32_t count, n;
		const char *name;
		if (!take(m, len, &at, &count, sizeof count))
			return 0;
		if (count > DUMP_SHEETS_MAX || r->names || r->giving_cells) {
			r->bad = true;
			return 0;
		}
		for (uint32_t i = 0; i < count; i++)
			if (!take_text(r, m, len, &at, &name, &n))
				return 0;
		r->names = xcalloc((size_t)count + 1, sizeof *r->names);
		r->nnames = count;
		at = 1 + sizeof count;
		for (uint32_t i = 0; i < count; i++) {
			take_text(r, m, len, &at, &name, &n);
			r->names[i] = xstrndup(name, n);
		}
		return at;
	}
	case 'C': {
		uint32_t where[2], n = 0;
		char kind;
		double value = 0;
		const char *text = NULL;
		if (!take(m, len, &at, where, sizeof where) || !take(m, len, &at, &kind, 1))
			return 0;
		if (!r->giving_cells || where[0] >= DUMP_ROWS_MAX || where[1] >= DUMP_COLS_MAX ||
		    (kind != 'n' && kind != 't')) {
			r->bad = true;
			return 0;
		}
		if (kind == 'n' ? !take(m, len, &at, &value, sizeof value) : !take_text(r, m, len, &at, &text, &n))
			return 0;
		replay_cell(r, where[0], where[1], kind == 'n', value, text, n);
		return at;
	}
	default:
		r->bad = true;
		return 0;
	}
}

/* Adds bytes of a dump and acts on each message that is now whole. */
static void replay_feed(struct replay *r, const void *p, size_t n)
{
	buf_add(&r->pending, p, n);
	size_t at = 0;
	while (at < r->pending.len && !r->whole && !r->bad && !sheet_stopped(r->s)) {
		size_t used = replay_message(r, r->pending.data + at, r->pending.len - at);
		if (used == 0)
			break;
		at += used;
	}
	if (at > 0) {
		memmove(r->pending.data, r->pending.data + at, r->pending.len - at);
		r->pending.len -= at;
	}
}

/*
 * Runs one pass, in a child of cpu_seconds where one can be made, and reads
 * its dump: PASS_DIED when the child died or its dump was not whole,
 * PASS_OUT_OF_TIME when it was stopped at its limit, unless the sheet
 * stopped wanting it first.
 */
static enum pass_end run_pass(struct replay *r, const char *path, long pick, unsigned cpu_seconds)
{
	struct pass p = {.path = path, .pick = pick};
	r->whole = r->bad = false;
	r->giving_cells = pick >= 0;
	buf_reset(&r->pending);
	struct buf job = {0};
	buf_addf(&job, "%ld %s", pick, path);
	struct platform_worker *w = platform_guarded_start(job.data, cpu_seconds, child_pass, &p);
	buf_free(&job);
	if (!w) {
		struct dump d = {.fd = -1, .direct = r};
		read_pass(&p, &d);
		buf_free(&d.out);
		return (r->whole && !r->bad) || sheet_stopped(r->s) ? PASS_READ : PASS_DIED;
	}
	char *chunk = xmalloc(DUMP_FLUSH);
	for (;;) {
		bool ready;
		if (r->whole || r->bad || sheet_stopped(r->s))
			break;
		if (platform_worker_poll(&w, 1, &ready) < 0 && errno != EINTR)
			break;
		long got = platform_worker_read(w, chunk, DUMP_FLUSH);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			break;
		replay_feed(r, chunk, (size_t)got);
	}
	free(chunk);
	bool stopped = sheet_stopped(r->s) && !r->whole;
	if (!r->whole)
		platform_worker_kill(w);
	int how = platform_worker_end(w), status;
	if (stopped || (r->whole && !r->bad && r->pending.len == 0 && platform_exited(how, &status) && status == 0))
		return PASS_READ;
	return platform_out_of_time(how) ? PASS_OUT_OF_TIME : PASS_DIED;
}

/* Tells the sheet why the reader could not read the workbook through, after a pass of cpu_seconds. */
static void reader_failed(struct sheet *s, enum pass_end end, unsigned cpu_seconds)
{
	struct book_event ev = {.kind = BOOK_EV_READER_DIED, .col = SIZE_MAX};
	if (end == PASS_OUT_OF_TIME)
		ev.kind = BOOK_EV_LIMIT, ev.limit = LIMIT_READER_TIME, ev.amount = cpu_seconds;
	sheet_problem(s, &ev);
}

bool xls_read(const char *path, uint64_t bytes, struct sheet *s)
{
	struct replay r = {.s = s};
	bool opened = true;
	unsigned cpu_seconds = READER_SECONDS + (unsigned)(bytes >> 20);
	enum pass_end end = run_pass(&r, path, -1, cpu_seconds);
	if (end != PASS_READ) {
		reader_failed(s, end, cpu_seconds);
	} else if (r.cannot_open) {
		opened = false;
	} else if (r.obfuscated) {
		struct book_event ev = {.kind = BOOK_EV_ENCRYPTED, .col = SIZE_MAX};
		sheet_problem(s, &ev);
	} else {
		bool *hidden = xcalloc((size_t)r.nnames + 1, sizeof *hidden);
		long pick = r.nnames ? sheet_pick(s, r.names, hidden, r.nnames) : -1;
		free(hidden);
		if (r.nnames == 0) {
			struct book_event ev = {.kind = BOOK_EV_BROKEN, .col = SIZE_MAX, .detail = "no worksheet"};
			sheet_problem(s, &ev);
		}
		if (pick >= 0) {
			if ((end = run_pass(&r, path, pick, cpu_seconds)) != PASS_READ)
				reader_failed(s, end, cpu_seconds);
			else if (!r.no_cells)
				sheet_finish(s);
		}
	}
	for (uint32_t i = 0; i < r.nnames; i++)
		free(r.names[i]);
	free(r.names);
	buf_free(&r.pending), buf_free(&r.text);
	return opened;
}
