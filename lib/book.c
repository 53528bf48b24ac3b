/*
 * book.c — telling inputs apart by their first bytes, getting a workbook into
 * a file that its library can seek in, and handing it to the reader of its
 * format.  An OLE2 file libfreexl cannot open is named by the streams its
 * directory lists (WordDocument, PowerPoint Document, EncryptedPackage,
 * Workbook), found by their UTF-16 names.
 */
#include "book.h"
#include "platform.h"
#include "msgcat.h"
#include "xls.h"
#include "xlsx.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_LIMIT (2ull << 30)       /* a workbook on standard input */
#define OLE2_SCAN (64u << 20)          /* bytes of an OLE2 file searched for its streams' names */
#define SCAN_CHUNK (1u << 20)

struct book {
	struct book_options opt;
	struct sheet *sink;
	struct book_handler h;
};

enum book_kind book_kind_of(const unsigned char *head, size_t n)
{
	if (n >= 4 && memcmp(head, "PK\3\4", 4) == 0)
		return BOOK_ZIP;
	if (n >= 4 && memcmp(head, "PK\5\6", 4) == 0) /* an empty archive */
		return BOOK_ZIP;
	if (n >= 8 && memcmp(head, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
		return BOOK_OLE2;
	if (n >= 5 && memcmp(head, "%PDF-", 5) == 0)
		return BOOK_PDF;
	if (n >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF)))
		return BOOK_TEXT; /* UTF-16 with its mark: the CSV reader says so */
	if (n > BOOK_HEAD)
		n = BOOK_HEAD;
	size_t zero_even = 0, zero_odd = 0, pairs = n / 2;
	for (size_t i = 0; i + 1 < n; i += 2)
		zero_even += head[i] == 0, zero_odd += head[i + 1] == 0;
	if (pairs >= 4 && ((zero_even == 0 && zero_odd * 10 >= pairs * 3) ||
			   (zero_odd == 0 && zero_even * 10 >= pairs * 3)))
		return BOOK_UTF16; /* ASCII in UTF-16: every other byte NUL */
	return BOOK_TEXT;
}

struct book *book_new(const struct book_options *opt, const struct book_handler *h)
{
	struct book *b = xcalloc(1, sizeof *b);
	b->opt = *opt;
	b->h = *h;
	b->sink = sheet_new(h, opt->sheet, opt->max_field ? opt->max_field : 1024 * 1024);
	return b;
}

void book_free(struct book *b)
{
	if (!b)
		return;
	sheet_free(b->sink);
	free(b);
}

void book_keep_cells(struct book *b, size_t n)
{
	sheet_keep_cells(b->sink, n);
}

/* Sends a stopping event about the whole input. */
static void whole_file_event(struct book *b, enum book_event_kind kind, enum book_kind what,
			     enum book_limit limit, uint64_t amount, const char *detail)
{
	struct book_event ev = {.kind = kind, .col = SIZE_MAX, .what = what, .limit = limit,
				.amount = amount, .detail = detail};
	sheet_problem(b->sink, &ev);
}

/*
 * Copies the input (head, then the rest of fd) into a temporary file whose
 * name goes in *path (unlinked by the caller), one the .xls reader's child
 * can open; returns its descriptor, or -1 after an event.
 */
static int spool(struct book *b, int fd, const void *head, size_t nhead, char **path, uint64_t *bytes)
{
	int out = platform_temp_file("qy-book", path);
	if (out < 0) {
		whole_file_event(b, BOOK_EV_BROKEN, BOOK_TEXT, 0, 0, "cannot create a temporary file");
		return -1;
	}
	char *chunk = xmalloc(SCAN_CHUNK);
	bool ok = write_all(out, head, nhead);
	*bytes = nhead;
	while (ok) {
		ssize_t n = read(fd, chunk, SCAN_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		if ((*bytes += (uint64_t)n) > SPOOL_LIMIT) {
			whole_file_event(b, BOOK_EV_LIMIT, BOOK_TEXT, LIMIT_SPOOL, SPOOL_LIMIT, NULL);
			ok = false;
			break;
		}
		ok = write_all(out, chunk, (size_t)n);
	}
	free(chunk);
	if (!ok) {
		if (!sheet_stopped(b->sink))
			whole_file_event(b, BOOK_EV_BROKEN, BOOK_TEXT, 0, 0, "cannot copy standard input");
		close(out);
		return -1;
	}
	return out;
}

/* True if needle occurs in hay[0..n). */
static bool contains(const char *hay, size_t n, const char *needle, size_t len)
{
	for (size_t i = 0; i + len <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, len) == 0)
			return true;
	return false;
}

/* Says what an OLE2 file that is not a readable workbook is, by its streams' names. */
static void name_ole2(struct book *b, int fd)
{
	static const struct {
		const char *name;
		enum book_kind kind;
	} streams[] = {
		{"EncryptedPackage", BOOK_XLSX}, {"WordDocument", BOOK_WORD},
		{"PowerPoint Document", BOOK_POWERPOINT}, {"Workbook", BOOK_XLS}, {"Book", BOOK_XLS},
	};
	enum { NSTREAMS = sizeof streams / sizeof streams[0] };
	char needles[NSTREAMS][48];
	size_t lens[NSTREAMS];
	for (size_t i = 0; i < NSTREAMS; i++) { /* the names as UTF-16LE */
		lens[i] = 2 * strlen(streams[i].name);
		for (size_t k = 0; streams[i].name[k]; k++)
			needles[i][2 * k] = streams[i].name[k], needles[i][2 * k + 1] = '\0';
	}
	char *chunk = xmalloc(SCAN_CHUNK + 64);
	size_t keep = 0, found = NSTREAMS;
	off_t at = 0;
	while (at < OLE2_SCAN && found == NSTREAMS) {
		ssize_t n = pread(fd, chunk + keep, SCAN_CHUNK, at);
		if (n <= 0)
			break;
		at += n;
		size_t have = keep + (size_t)n;
		for (size_t i = 0; i < NSTREAMS && found == NSTREAMS; i++)
			if (contains(chunk, have, needles[i], lens[i]))
				found = i;
		keep = have < 48 ? have : 48; /* a name across two chunks */
		memmove(chunk, chunk + have - keep, keep);
	}
	free(chunk);
	if (found < NSTREAMS && streams[found].kind == BOOK_XLSX)
		whole_file_event(b, BOOK_EV_ENCRYPTED, BOOK_XLSX, 0, 0, NULL);
	else
		whole_file_event(b, BOOK_EV_NOT_TABLE, found < NSTREAMS ? streams[found].kind : BOOK_OLE2, 0, 0,
				 NULL);
}

bool book_read(struct book *b, enum book_kind kind, int fd, const void *head, size_t nhead,
	       uint64_t *bytes)
{
	*bytes = nhead;
	if (kind != BOOK_ZIP && kind != BOOK_OLE2) {
		whole_file_event(b, BOOK_EV_NOT_TABLE, kind, 0, 0, NULL);
		return false;
	}
	struct stat st;
	char *temp = NULL;
	const char *path = b->opt.path;
	int in = fd;
	if (path && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		*bytes = (uint64_t)st.st_size;
	} else {
		if ((in = spool(b, fd, head, nhead, &temp, bytes)) < 0) {
			if (temp)
				unlink(temp);
			free(temp);
			return false;
		}
		path = temp;
	}
	if (kind == BOOK_ZIP)
		xlsx_read(in, b->sink, b->opt.max_field ? b->opt.max_field : 1024 * 1024);
	else if (!xls_read(path, *bytes, b->sink))
		name_ole2(b, in);
	if (temp) {
		close(in);
		unlink(temp);
		free(temp);
	}
	return !sheet_stopped(b->sink);
}

const char *book_event_code(const struct book_event *ev)
{
	if (ev->kind == BOOK_EV_OVERSIZED)
		return "cell-too-large";
	if (ev->kind == BOOK_EV_NOT_TABLE && ev->what != BOOK_XLS)
		return "file-type";
	return "workbook";
}

/* A limit's message. */
static struct message limit_message(const struct book_event *ev, enum lang lang, struct msgbuf *b)
{
	unsigned long long n = ev->amount, mib = ev->amount >> 20;
	const char *part = ev->part ? ev->part : "";
	switch (ev->limit) {
	case LIMIT_RATIO:
		return MSG_SAY(b, lang, MSG_BOOK_ZIP_BOMB, ARG_TEXT("part", part), ARG_NUM("ratio", n));
	case LIMIT_PART_SIZE:
		return MSG_SAY(b, lang, MSG_BOOK_PART_SIZE, ARG_TEXT("part", part), ARG_NUM("mib", mib));
	case LIMIT_STRINGS:
		return MSG_SAY(b, lang, MSG_BOOK_STRINGS, ARG_NUM("limit", n));
	case LIMIT_DEPTH:
		return MSG_SAY(b, lang, MSG_BOOK_DEPTH, ARG_TEXT("part", part), ARG_NUM("limit", n));
	case LIMIT_DTD:
		return MSG_SAY(b, lang, MSG_BOOK_DTD, ARG_TEXT("part", part));
	case LIMIT_COLUMNS:
		return MSG_SAY(b, lang, MSG_BOOK_COLUMNS, ARG_NUM("row", ev->row), ARG_NUM("column", n));
	case LIMIT_ROWS:
		return MSG_SAY(b, lang, MSG_BOOK_ROWS, ARG_NUM("limit", n));
	case LIMIT_COUNT:
		return MSG_SAY(b, lang, MSG_BOOK_COUNT, ARG_TEXT("part", part), ARG_NUM("limit", n));
	case LIMIT_READER_TIME:
		return MSG_SAY(b, lang, MSG_BOOK_READER_TIME, ARG_NUM("seconds", n));
	case LIMIT_SPOOL:
		break;
	}
	return MSG_SAY(b, lang, MSG_BOOK_STDIN, ARG_NUM("mib", mib));
}

/* The message for a file that is not a table qy reads, naming the fix. */
static struct message not_table_message(enum book_kind what, enum lang lang, struct msgbuf *b)
{
	switch (what) {
	case BOOK_WORD: return MSG_SAY0(b, lang, MSG_FILE_WORD);
	case BOOK_POWERPOINT: return MSG_SAY0(b, lang, MSG_FILE_POWERPOINT);
	case BOOK_ODS: return MSG_SAY0(b, lang, MSG_FILE_ODS);
	case BOOK_ODT: return MSG_SAY0(b, lang, MSG_FILE_ODT);
	case BOOK_PDF: return MSG_SAY0(b, lang, MSG_FILE_PDF);
	case BOOK_ZIP: return MSG_SAY0(b, lang, MSG_FILE_ZIP);
	case BOOK_XLS: return MSG_SAY0(b, lang, MSG_BOOK_XLS);
	default: return MSG_SAY0(b, lang, MSG_FILE_OFFICE);
	}
}

struct message book_event_message(const struct book_event *ev, enum lang lang, struct msgbuf *b)
{
	const char *value = ev->value ? ev->value : "", *detail = ev->detail ? ev->detail : "";
	const char *part = ev->part ? ev->part : "";
	switch (ev->kind) {
	case BOOK_EV_NO_VALUE:
		return MSG_SAY(b, lang, MSG_BOOK_NO_VALUE, ARG_TEXT("formula", value));
	case BOOK_EV_ERROR_VALUE:
		return MSG_SAY(b, lang, MSG_BOOK_ERROR_VALUE, ARG_TEXT("value", value));
	case BOOK_EV_OVERSIZED:
		return MSG_SAY0(b, lang, MSG_BOOK_CELL_TOO_LARGE);
	case BOOK_EV_LIMIT:
		return limit_message(ev, lang, b);
	case BOOK_EV_BROKEN: {
		struct buf where = {0};
		buf_addf(&where, "%s%s%s", part, *part ? ": " : "", detail);
		struct message said = MSG_SAY(b, lang, MSG_BOOK_DAMAGED, ARG_TEXT("detail", where.data ? where.data : ""));
		buf_free(&where);
		return said;
	}
	case BOOK_EV_READER_DIED:
		return MSG_SAY0(b, lang, MSG_BOOK_READER_DIED);
	case BOOK_EV_NO_SHEET:
		return MSG_SAY(b, lang, MSG_BOOK_NO_SHEET, ARG_TEXT("sheet", value), ARG_TEXT("sheets", detail));
	case BOOK_EV_NOT_TABLE:
		return not_table_message(ev->what, lang, b);
	case BOOK_EV_ENCRYPTED:
		break;
	}
	return MSG_SAY0(b, lang, MSG_BOOK_PASSWORD);
}

/* What listing a workbook's sheets collects: where to tell each visible one. */
struct sheet_lister {
	void (*each)(void *ctx, const char *name);
	void *ctx;
	bool told;
};

static void tell_sheets(void *ctx, char *const *names, const bool *hidden, size_t n)
{
	struct sheet_lister *l = ctx;
	for (size_t i = 0; i < n; i++)
		if (!hidden[i])
			l->each(l->ctx, names[i]);
	l->told = true;
}

static void ignore_event(void *ctx, const struct book_event *ev)
{
	(void)ctx, (void)ev;
}

bool book_sheet_names(const char *path, void (*each)(void *ctx, const char *name), void *ctx)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	unsigned char head[BOOK_HEAD];
	ssize_t n = read(fd, head, sizeof head);
	enum book_kind kind = n > 0 ? book_kind_of(head, (size_t)n) : BOOK_TEXT;
	struct sheet_lister l = {each, ctx, false};
	if (kind == BOOK_ZIP || kind == BOOK_OLE2) {
		struct book_options opt = {.path = path};
		struct book_handler h = {.event = ignore_event, .ctx = &l, .sheets = tell_sheets};
		struct book *b = book_new(&opt, &h);
		uint64_t bytes;
		book_read(b, kind, fd, head, (size_t)n, &bytes);
		book_free(b);
	}
	close(fd);
	return l.told;
}
