/*
 * util.h — memory, growable byte buffers and error reporting shared by every
 * command.  Allocation failure is fatal (exit 2): a checker that runs out of
 * memory cannot give a trustworthy verdict.  Strings returned by x* functions
 * are owned by the caller.
 */
#ifndef QY_UTIL_H
#define QY_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define QY_VERSION "0.1.0"

/* Exit codes of design.md §4. */
enum { EXIT_PASS = 0, EXIT_FINDINGS = 1, EXIT_TROUBLE = 2, EXIT_BADRULES = 3 };

extern const char *progname;

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Prints "progname: message" on stderr. */
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "progname: message" on stderr and exits with status. */
void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

struct buf;
/* Appends to b the line warnmsg would print, for stderr that is written later (by a -j parent). */
void warnmsg_buf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable byte buffer; data is always NUL-terminated after len bytes. */
struct buf {
	char *data;
	size_t len, cap;
};

void buf_grow_slow(struct buf *b, size_t extra);
void buf_add_slow(struct buf *b, const void *p, size_t n);

/* Makes room for extra more bytes (and the NUL); inline because most calls find it. */
static inline void buf_grow(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		buf_grow_slow(b, extra);
}

/* Appends n bytes; inline because every cell of every record passes here. */
static inline void buf_add(struct buf *b, const void *p, size_t n)
{
	if (!b->data || n >= b->cap - b->len) {
		buf_add_slow(b, p, n);
		return;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/*
 * Copies n bytes, at most 16, without calling memcpy: two overlapping words
 * (or halves), or under four the first, middle and last byte.
 */
static inline void copy_short(char *dst, const void *src, size_t n)
{
	const char *s = src;
	if (n >= 8) {
		uint64_t first, last;
		memcpy(&first, s, 8), memcpy(&last, s + n - 8, 8);
		memcpy(dst, &first, 8), memcpy(dst + n - 8, &last, 8);
	} else if (n >= 4) {
		uint32_t first, last;
		memcpy(&first, s, 4), memcpy(&last, s + n - 4, 4);
		memcpy(dst, &first, 4), memcpy(dst + n - 4, &last, 4);
	} else if (n) { /* one to three bytes: the first, the middle and the last cover them */
		dst[0] = s[0], dst[n / 2] = s[n / 2], dst[n - 1] = s[n - 1];
	}
}

/* Copies n bytes to p, where room was made (up to 16 without a call, as copy_short), and returns the end. */
static inline char *put_bytes(char *p, const void *s, size_t n)
{
	if (n <= 16)
		copy_short(p, s, n);
	else
		memcpy(p, s, n);
	return p + n;
}

/*
 * Appends n bytes as buf_add does, copying up to 16 without a call: for the
 * many short pieces (names, codes, numbers) a line of output is made of,
 * where calling memcpy costs more than the copy.
 */
static inline void buf_add_piece(struct buf *b, const void *p, size_t n)
{
	if (n > 16) {
		buf_add(b, p, n);
		return;
	}
	buf_grow(b, n);
	copy_short(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static inline void buf_addc(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}
void buf_adds(struct buf *b, const char *s);
/* Appends v in decimal. */
void buf_add_uint(struct buf *b, unsigned long long v);
/* Writes v in decimal at out, two digits a step and without a NUL; returns its length (at most 20). */
size_t decimal_put(char *out, unsigned long long v);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/* Writes v as a varint, 7 bits a byte, low first, the high bit saying more follow; returns the bytes (at most 10). */
size_t varint_put(unsigned char *p, uint64_t v);
/* Reads a varint written by varint_put into *v; returns its bytes. */
size_t varint_get(const unsigned char *p, uint64_t *v);

/* A word read from memory with its bytes numbered from the lowest: byte k of memory is bits 8k to 8k+7, as on little-endian machines. */
static inline uint64_t bytes_from_lowest(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The eight bytes at p as a word whose byte k is bits 8k to 8k+7. */
static inline uint64_t load_le64(const void *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return bytes_from_lowest(w);
}

/*
 * True if a[0..n) equals b[0..n), as memcmp would say.  Keys of up to 32
 * bytes (codes, names, station numbers, a station and a day) are compared a
 * byte, or overlapping words, at a time, without a call.
 */
static inline bool bytes_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	if (n >= 8 && n <= 16) {
		uint64_t p0, q0, p1, q1;
		memcpy(&p0, p, 8), memcpy(&q0, q, 8), memcpy(&p1, p + n - 8, 8), memcpy(&q1, q + n - 8, 8);
		return ((p0 ^ q0) | (p1 ^ q1)) == 0;
	}
	if (n > 16 && n <= 32) /* two halves of up to 16 bytes, overlapping */
		return bytes_equal(p, q, 16) && bytes_equal(p + n - 16, q + n - 16, 16);
	if (n >= 4 && n < 8) {
		uint32_t p0, q0, p1, q1;
		memcpy(&p0, p, 4), memcpy(&q0, q, 4), memcpy(&p1, p + n - 4, 4), memcpy(&q1, q + n - 4, 4);
		return ((p0 ^ q0) | (p1 ^ q1)) == 0;
	}
	if (n < 4) {
		for (size_t k = 0; k < n; k++)
			if (p[k] != q[k])
				return false;
		return true;
	}
	return memcmp(p, q, n) == 0;
}

/* Writes all n bytes to fd, again after an interruption; false on error (errno says which). */
bool write_all(int fd, const char *p, size_t n);

/* qsort that accepts an empty array (qsort's base may not be NULL even for 0 items). */
void sort_items(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Copies a temporary file, from its start, to stdout (a child's output, what a file said). */
void copy_to_stdout(FILE *f);

/* Flushes and closes stdout; a write error is fatal (exit 2), EPIPE quiet. */
void close_stdout(void);

#endif
