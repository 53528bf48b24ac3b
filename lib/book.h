/*
 * book.h — inputs that are not CSV.  Their first bytes tell them apart: a zip
 * archive (an .xlsx workbook, or a Word or OpenDocument file), an OLE2 file
 * (an .xls workbook, or a Word or PowerPoint 97–2003 file, or an encrypted
 * workbook), a PDF, UTF-16 text without a byte-order mark.  A workbook is read
 * into records, sheet by sheet position, through the handler of sheet.h; any
 * other kind gets one event that says what the file is and how to make it a
 * table qy reads.  Messages come in Chinese and English.
 */
#ifndef QY_BOOK_H
#define QY_BOOK_H

#include "diag.h"
#include "msgcat.h"
#include "sheet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of an input's start that book_kind_of needs to see, when the input has them. */
#define BOOK_HEAD 512

/*
 * What an input's first n bytes say it is: BOOK_ZIP, BOOK_OLE2, BOOK_PDF,
 * BOOK_UTF16 (UTF-16 text without a byte-order mark: a BOM is the CSV
 * reader's to report), or BOOK_TEXT for anything else.  Looks at BOOK_HEAD
 * bytes at most, however many the caller read.
 */
enum book_kind book_kind_of(const unsigned char *head, size_t n);

struct book_options {
	const char *path;      /* the file's name, or NULL for standard input */
	const char *sheet;     /* a sheet name or 1-based index; NULL: the first visible sheet */
	size_t max_field;      /* bytes of a cell; 0: 1 MiB */
};

struct book;

/* A reader for one input; the options' strings must outlive it. */
struct book *book_new(const struct book_options *opt, const struct book_handler *h);
void book_free(struct book *b);

/* As sheet_keep_cells, for the records still to come. */
void book_keep_cells(struct book *b, size_t n);

/*
 * Reads the input open on fd, of kind BOOK_ZIP, BOOK_OLE2 or BOOK_PDF (the
 * last only to be named), whose first nhead
 * bytes, already read, are head; an input that cannot be reread (a pipe) is
 * first copied to a temporary file.  *bytes is the input's size.  Returns
 * false when reading stopped short (an event said why).
 */
bool book_read(struct book *b, enum book_kind kind, int fd, const void *head, size_t nhead,
	       uint64_t *bytes);

/* The diagnostic code of an event: "workbook", "file-type" or "cell-too-large". */
const char *book_event_code(const struct book_event *ev);

/* An event's message in the chosen language, made in b (msgcat.h). */
struct message book_event_message(const struct book_event *ev, enum lang lang, struct msgbuf *b);

/*
 * Tells each(ctx, name) the visible sheets of the workbook at path, in
 * workbook order, reading no more of it than that takes; false when it is no
 * workbook or cannot be read.
 */
bool book_sheet_names(const char *path, void (*each)(void *ctx, const char *name), void *ctx);

#endif
