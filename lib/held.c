/*
 * held.c — a finding packed as its struct diag, then the length and bytes of
 * each string it points at that would not last (its message's JSON as a
 * place in its args when it is there); a list's packed findings in
 * one buffer, and the pieces of it already in the temporary file.
 */
#include "held.h"
#include "platform.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NO_TEXT UINT32_MAX

/* A piece of a list's packed findings written to the temporary file. */
struct held_piece {
	uint64_t at, len;
};

struct held_list {
	struct buf packed;           /* the findings not yet written to the file */
	struct held_piece *pieces;   /* those that were, in order, before them */
	size_t npieces;
};

struct held {
	struct held_list *lists;
	size_t nlists;
	uint64_t in_memory;          /* bytes of packed findings in the lists' buffers */
	int fd;                      /* the temporary file, or -1 */
	uint64_t file_end;
	bool file_failed;            /* it could not be made or written: everything stays in memory */
};

struct held *held_new(size_t nlists)
{
	struct held *h = xcalloc(1, sizeof *h);
	h->lists = xcalloc(nlists ? nlists : 1, sizeof *h->lists);
	h->nlists = nlists;
	h->fd = -1;
	return h;
}

void held_free(struct held *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nlists; i++) {
		buf_free(&h->lists[i].packed);
		free(h->lists[i].pieces);
	}
	free(h->lists);
	if (h->fd >= 0)
		close(h->fd);
	free(h);
}

/* Appends a string's length and bytes with a NUL, so that it is read in place (or that there is none). */
static void pack_text(struct buf *b, const char *s, size_t len)
{
	uint32_t n = s ? (uint32_t)len : NO_TEXT;
	buf_add(b, &n, sizeof n);
	if (s) {
		buf_add(b, s, len);
		buf_add(b, "", 1);
	}
}

/* Reads back a string packed by pack_text; returns where the next begins. */
static const char *unpack_text(const char *p, const char **s, size_t *len)
{
	uint32_t n;
	memcpy(&n, p, sizeof n);
	p += sizeof n;
	*s = n == NO_TEXT ? NULL : p;
	*len = n == NO_TEXT ? 0 : n;
	return n == NO_TEXT ? p : p + n + 1;
}

/*
 * Moves every list's packed findings to the temporary file (made the first
 * time); when that cannot be done they stay where they are, and so do the
 * ones that come later.
 */
static void spill(struct held *h)
{
	if (h->fd < 0 && (h->fd = platform_scratch_file()) < 0) {
		h->file_failed = true;
		return;
	}
	for (size_t i = 0; i < h->nlists; i++) {
		struct held_list *l = &h->lists[i];
		if (!l->packed.len)
			continue;
		if (!write_all(h->fd, l->packed.data, l->packed.len)) {
			h->file_failed = true; /* what was written stays in the file, the rest in memory */
			return;
		}
		l->pieces = xrealloc(l->pieces, (l->npieces + 1) * sizeof *l->pieces);
		l->pieces[l->npieces++] = (struct held_piece){h->file_end, l->packed.len};
		h->file_end += l->packed.len;
		h->in_memory -= l->packed.len;
		buf_reset(&l->packed);
	}
}

void held_add(struct held *h, size_t list, const struct diag *d)
{
	struct buf *b = &h->lists[list].packed;
	size_t before = b->len;
	buf_add(b, d, sizeof *d);
	const struct message *m = &d->message;
	size_t args_len = !m->args ? 0 : m->args_len ? m->args_len : strlen(m->args);
	pack_text(b, m->text, strlen(m->text));
	pack_text(b, m->args, args_len);
	/* the text's JSON: where it is in the args (a rule set's message), or its own copy */
	uintptr_t json = (uintptr_t)m->json, args = (uintptr_t)m->args;
	bool in_args = m->json && m->args && json >= args && json + m->json_len <= args + args_len;
	uint32_t at[2] = {in_args ? (uint32_t)(json - args) : NO_TEXT, (uint32_t)m->json_len};
	buf_add(b, at, sizeof at);
	if (!in_args)
		pack_text(b, m->json, m->json_len);
	pack_text(b, d->value, d->value_len);
	pack_text(b, d->group, d->group ? strlen(d->group) : 0);
	pack_text(b, d->county, d->county ? strlen(d->county) : 0);
	h->in_memory += b->len - before;
	if (h->in_memory > HELD_MEMORY && !h->file_failed)
		spill(h);
}

bool held_in_file(const struct held *h) { return h->file_end > 0; }

/* Writes the packed findings of bytes[0, len) to out. */
static void write_packed(const char *p, size_t len, struct diag_file *out)
{
	if (!len) /* and p may be NULL: a list that held nothing */
		return;
	const char *end = p + len;
	while (p < end) {
		struct diag d;
		memcpy(&d, p, sizeof d);
		p += sizeof d;
		size_t n;
		p = unpack_text(p, &d.message.text, &n);
		p = unpack_text(p, &d.message.args, &d.message.args_len);
		uint32_t at[2];
		memcpy(at, p, sizeof at);
		p += sizeof at;
		if (at[0] != NO_TEXT)
			d.message.json = d.message.args + at[0], d.message.json_len = at[1];
		else
			p = unpack_text(p, &d.message.json, &d.message.json_len);
		p = unpack_text(p, &d.value, &d.value_len);
		p = unpack_text(p, &d.group, &n);
		p = unpack_text(p, &d.county, &n);
		diag_emit(out, &d);
	}
}

void held_write(struct held *h, size_t list, struct diag_file *out)
{
	struct held_list *l = &h->lists[list];
	struct buf piece = {0};
	for (size_t i = 0; i < l->npieces; i++) {
		buf_reset(&piece);
		buf_grow(&piece, (size_t)l->pieces[i].len);
		for (uint64_t got = 0; got < l->pieces[i].len;) {
			ssize_t n = pread(h->fd, piece.data + got, (size_t)(l->pieces[i].len - got), (off_t)(l->pieces[i].at + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				die(EXIT_TROUBLE, "cannot read back the findings kept in a temporary file: %s",
				    n < 0 ? strerror(errno) : "it is shorter than written");
			got += (uint64_t)n;
		}
		write_packed(piece.data, (size_t)l->pieces[i].len, out);
	}
	buf_free(&piece);
	write_packed(l->packed.data, l->packed.len, out);
	h->in_memory -= l->packed.len;
	buf_free(&l->packed);
	free(l->pieces);
	l->pieces = NULL;
	l->npieces = 0;
}
