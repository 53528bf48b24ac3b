/* util.c — allocation, byte buffers and error messages. */
#include "util.h"
#include "platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "qy";

/* Fails the run when memory is exhausted rather than checking half a file. */
static void *check_alloc(void *p)
{
	if (!p)
		die(EXIT_TROUBLE, "out of memory");
	return p;
}

void *xmalloc(size_t n) { return check_alloc(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t size) { return check_alloc(calloc(n ? n : 1, size ? size : 1)); }
void *xrealloc(void *p, size_t n) { return check_alloc(realloc(p, n ? n : 1)); }
char *xstrdup(const char *s) { return check_alloc(strdup(s)); }

char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

#define WARNING_MAX 4096 /* bytes of a line of warnmsg, its newline too */

/*
 * Formats "progname: message" and a newline into line, cut to fit; returns
 * its length.  On the stack: "out of memory" must be said without memory.
 */
static size_t format_warning(char line[WARNING_MAX], const char *fmt, va_list ap)
{
	int n = snprintf(line, WARNING_MAX - 1, "%s: ", progname);
	if (n > 0 && n < WARNING_MAX - 1) {
		int m = vsnprintf(line + n, WARNING_MAX - 1 - (size_t)n, fmt, ap);
		n += m < 0 ? 0 : m;
	}
	if (n < 0)
		n = 0;
	if (n > WARNING_MAX - 2)
		n = WARNING_MAX - 2; /* a message this long is cut */
	line[n++] = '\n';
	return (size_t)n;
}

/*
 * Prints "progname: message" and a newline on stderr, in one write, so that
 * the lines of processes that share stderr (-j workers) never interleave.
 */
static void vwarnmsg(const char *fmt, va_list ap)
{
	char line[WARNING_MAX];
	fwrite(line, 1, format_warning(line, fmt, ap), stderr);
}

void warnmsg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarnmsg(fmt, ap);
	va_end(ap);
}

void warnmsg_buf(struct buf *b, const char *fmt, ...)
{
	char line[WARNING_MAX];
	va_list ap;
	va_start(ap, fmt);
	buf_add(b, line, format_warning(line, fmt, ap));
	va_end(ap);
}

void die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarnmsg(fmt, ap);
	va_end(ap);
	exit(status);
}

void buf_grow_slow(struct buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_add_slow(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

size_t decimal_put(char *out, unsigned long long v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				    "8081828384858687888990919293949596979899";
	size_t n = 1;
	for (unsigned long long ten = 10; n < 20 && v >= ten; ten *= 10)
		n++;
	char *p = out + n;
	for (; v >= 100; v /= 100)
		p -= 2, memcpy(p, pairs + 2 * (v % 100), 2);
	if (v >= 10)
		memcpy(p - 2, pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return n;
}

void buf_add_uint(struct buf *b, unsigned long long v)
{
	buf_grow(b, 20);
	b->len += decimal_put(b->data + b->len, v);
	b->data[b->len] = '\0';
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	buf_grow(b, 128); /* most messages fit: format once */
	size_t room = b->cap - b->len;
	int n = vsnprintf(b->data + b->len, room, fmt, ap);
	if (n >= 0 && (size_t)n >= room) {
		buf_grow(b, (size_t)n);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	if (n > 0)
		b->len += (size_t)n;
	b->data[b->len] = '\0';
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void sort_items(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

void copy_to_stdout(FILE *f)
{
	char tmp[65536];
	size_t n;
	rewind(f);
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		fwrite(tmp, 1, n, stdout);
}

void close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (platform_broken_pipe(errno))
			_exit(EXIT_TROUBLE);
		die(EXIT_TROUBLE, "write error: %s", strerror(errno));
	}
	if (fclose(stdout) != 0 && !platform_broken_pipe(errno))
		die(EXIT_TROUBLE, "write error: %s", strerror(errno));
}

/* Writes all n bytes to fd; false on error. */
bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w, n -= (size_t)w;
	}
	return true;
}

size_t varint_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	do {
		p[n++] = (unsigned char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

size_t varint_get(const unsigned char *p, uint64_t *v)
{
	size_t n = 0;
	int shift = 0;
	*v = 0;
	do {
		*v |= (uint64_t)(p[n] & 0x7F) << shift;
		shift += 7;
	} while (p[n++] & 0x80);
	return n;
}
