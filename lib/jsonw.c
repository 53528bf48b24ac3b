/* jsonw.c — JSON string escaping and base64. */
#include "jsonw.h"
#include "utf8.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* True when one of the word's eight bytes is zero. */
static inline bool has_zero_byte(uint64_t w)
{
	return ((w - ONES) & ~w & HIGHS) != 0;
}

/*
 * True when all eight bytes of w are printable ASCII other than the quote and the backslash:
 * none is past ASCII, below a space, or one of the two.  Most of a finding's
 * text is such bytes, and eight go at a time.
 */
static inline bool plain_bytes(uint64_t w)
{
	bool below_space = ((w - 0x20 * ONES) & ~w & HIGHS) != 0; /* exact where no byte is past ASCII */
	return !(w & HIGHS) && !below_space && !has_zero_byte(w ^ ('"' * ONES)) &&
	       !has_zero_byte(w ^ ('\\' * ONES));
}

/* True when s[0..n), at most 16 bytes, is printable ASCII other than the quote and the backslash, looked at a word or two at a time. */
static inline bool plain_short(const unsigned char *u, size_t n)
{
	uint64_t w;
	if (n >= 8) {
		uint64_t last;
		memcpy(&w, u, 8), memcpy(&last, u + n - 8, 8);
		return plain_bytes(w) && plain_bytes(last);
	}
	if (n >= 4) {
		uint32_t first, last;
		memcpy(&first, u, 4), memcpy(&last, u + n - 4, 4);
		return plain_bytes(first | (uint64_t)last << 32);
	}
	for (size_t k = 0; k < n; k++)
		if (u[k] < 0x20 || u[k] >= 0x80 || u[k] == '"' || u[k] == '\\')
			return false;
	return true;
}

/* Length of the run at s that JSON takes as it is: printable ASCII and valid UTF-8 characters. */
static size_t plain_run(const unsigned char *u, size_t n)
{
	size_t j = 0;
	uint64_t w;
	for (; j + 8 <= n; j += 8) {
		memcpy(&w, u + j, 8);
		if (!plain_bytes(w))
			break;
	}
	if (j < n && n - j < 8 && n >= 8) { /* the short tail at once: the last eight bytes, overlapping what went before */
		memcpy(&w, u + n - 8, 8);
		if (plain_bytes(w))
			return n;
	}
	while (j < n) {
		unsigned char c = u[j];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			j++;
		} else if (c >= 0x80) {
			size_t len = utf8_char_len(u + j, n - j);
			if (!len)
				break;
			j += len;
		} else {
			break;
		}
	}
	return j;
}

bool jsonw_string(struct buf *b, const char *s, size_t n)
{
	if (n <= 16 && plain_short((const unsigned char *)s, n)) { /* a name, a code, a number: no call, no loop */
		buf_grow(b, n + 2);
		char *p = b->data + b->len;
		p[0] = '"';
		copy_short(p + 1, s, n);
		p[n + 1] = '"';
		p[n + 2] = '\0';
		b->len += n + 2;
		return true;
	}
	buf_addc(b, '"');
	bool clean = jsonw_escape(b, s, n);
	buf_addc(b, '"');
	return clean;
}

/*
 * Strings escaped lately that took the long way (Chinese names and phrases
 * come back on every finding of their column), found again by where they
 * are and checked byte for byte, so that a string that changed in place is
 * escaped anew.
 */
#define LATELY_SLOTS 16
#define LATELY_MAX 96
struct lately {
	size_t len, esc_len; /* len 0: empty slot */
	bool clean;
	char raw[LATELY_MAX], esc[LATELY_MAX * 2];
};
static _Thread_local struct lately lately[LATELY_SLOTS];

/* The slot s[0..n) is kept in. */
static struct lately *lately_slot(const char *s, size_t n)
{
	return &lately[((uintptr_t)s >> 3 ^ (uintptr_t)s >> 11 ^ n) % LATELY_SLOTS];
}

bool jsonw_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	bool clean = true;
	if (n <= 16 && plain_short(u, n)) {
		buf_add_piece(b, s, n);
		return true;
	}
	struct lately *kept = n <= LATELY_MAX ? lately_slot(s, n) : NULL;
	if (kept && kept->len == n && memcmp(kept->raw, s, n) == 0) {
		buf_add(b, kept->esc, kept->esc_len);
		return kept->clean;
	}
	size_t start = b->len;
	buf_grow(b, n + 2);
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t run = plain_run(u + i, n - i);
		if (run) {
			buf_add_piece(b, s + i, run);
			i += run;
		} else if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
			i++;
		} else if (c < 0x20) {
			switch (c) {
			case '\n': buf_adds(b, "\\n"); break;
			case '\r': buf_adds(b, "\\r"); break;
			case '\t': buf_adds(b, "\\t"); break;
			default:
				buf_adds(b, "\\u00");
				buf_addc(b, hex[c >> 4]);
				buf_addc(b, hex[c & 15]);
			}
			i++;
		} else { /* a byte that starts no valid character */
			buf_adds(b, "\xEF\xBF\xBD");
			clean = false;
			i++;
		}
	}
	if (kept && b->len - start <= sizeof kept->esc) {
		kept->len = n, kept->esc_len = b->len - start, kept->clean = clean;
		memcpy(kept->raw, s, n);
		memcpy(kept->esc, b->data + start, kept->esc_len);
	}
	return clean;
}

void jsonw_key(struct buf *b, const char *key)
{
	if (b->len && b->data[b->len - 1] != '{')
		buf_addc(b, ',');
	buf_addc(b, '"');
	buf_add(b, key, strlen(key));
	JSONW_LIT(b, "\":");
}

void jsonw_number(struct buf *b, double v)
{
	char tmp[40];
	if (!isfinite(v)) {
		buf_adds(b, "null");
		return;
	}
	if (v == 0) { /* -0 too */
		buf_addc(b, '0');
		return;
	}
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(tmp, sizeof tmp, "%.*g", digits, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	buf_adds(b, tmp);
}

void base64_encode(struct buf *b, const unsigned char *s, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		buf_addc(b, tab[v >> 18 & 63]);
		buf_addc(b, tab[v >> 12 & 63]);
		buf_addc(b, i + 1 < n ? tab[v >> 6 & 63] : '=');
		buf_addc(b, i + 2 < n ? tab[v & 63] : '=');
	}
}
