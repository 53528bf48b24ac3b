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

/*
 * The high bit of each byte of w (byte k of memory in bits 8k to 8k+7) that
 * JSON does not take as it is: below a space, the quote, the backslash, or
 * past ASCII.  Exact at the lowest such byte, the only one looked at: above
 * it a borrow may set others.
 */
static inline uint64_t special_bytes(uint64_t w)
{
	uint64_t quote = w ^ ('"' * ONES), backslash = w ^ ('\\' * ONES);
	return (w | ((w - 0x20 * ONES) & ~w) | ((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash)) &
	       HIGHS;
}

/* Four bytes as a word whose byte k is bits 8k to 8k+7. */
static inline uint32_t load_le32(const unsigned char *u)
{
	uint32_t w;
	memcpy(&w, u, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap32(w);
#endif
	return w;
}

/* The n bytes at u, n from 1 to 7, as the low bytes of a word (byte k in bits 8k to 8k+7), zeros above. */
static inline uint64_t load_short(const unsigned char *u, size_t n)
{
	if (n >= 4)
		return load_le32(u) | ((uint64_t)load_le32(u + n - 4) >> 8 * (8 - n)) << 32;
	return u[0] | (uint64_t)u[n / 2] << 8 * (n / 2) | (uint64_t)u[n - 1] << 8 * (n - 1);
}

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

/* Input bytes escaped between two checks for room: their worst case, six bytes each, is made room for at once. */
#define ESCAPE_STEP 4096

/*
 * Appends s[0..n) escaped; false if bytes were replaced.  Eight bytes are looked at a time and stored as they are,
 * before it is known whether they all can be: the output moves on past
 * those that can.  A byte that cannot goes one character at a time, and so
 * do the characters past ASCII that follow it (a run of Chinese).
 */
static bool escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	bool clean = true;
	size_t i = 0;
	buf_grow(b, (n < ESCAPE_STEP ? n : ESCAPE_STEP) * 6 + 16);
	char *o = b->data + b->len;
	for (;;) {
		size_t end = n - i > ESCAPE_STEP ? i + ESCAPE_STEP : n;
		while (i < end) {
			uint64_t m;
			size_t left = end - i;
			if (left >= 8) {
				uint64_t w;
				memcpy(&w, u + i, 8);
				memcpy(o, &w, 8);
				m = special_bytes(bytes_from_lowest(w));
				if (!m) {
					i += 8, o += 8;
					continue;
				}
			} else { /* the last bytes: as one word, from the last eight when there are so many */
				uint64_t w = end >= 8 ? load_le64(u + end - 8) >> 8 * (8 - left) : load_short(u + i, left);
				m = special_bytes(w) & (~0ull >> 8 * (8 - left));
				copy_short(o, u + i, left);
				if (!m) {
					i += left, o += left;
					break;
				}
			}
			size_t plain = (size_t)__builtin_ctzll(m) / 8;
			i += plain, o += plain;
			do { /* bytes that are not taken as they are, and characters past ASCII */
				unsigned char c = u[i];
				uint32_t four;
				if (c >= 0x80 && n - i >= 4 && ((four = load_le32(u + i)) & 0xC0C0F0) == 0x8080E0 &&
				    c != 0xE0 && c != 0xED) { /* three bytes from E1 to EF but ED: most of Chinese */
					memcpy(o, u + i, 4); /* four at once: room was made for six */
					i += 3, o += 3;
				} else if (c >= 0x80) {
					size_t len = utf8_char_len(u + i, n - i);
					if (len) {
						if (n - i >= 4) { /* four bytes at once: room was made for six */
							memcpy(o, u + i, 4);
						} else {
							o[0] = (char)c, o[1] = (char)u[i + 1];
							if (len > 2)
								o[2] = (char)u[i + 2];
						}
						i += len, o += len;
					} else { /* a byte that starts no valid character */
						memcpy(o, "\xEF\xBF\xBD", 3);
						clean = false;
						i++, o += 3;
					}
				} else if (c == '"' || c == '\\') {
					o[0] = '\\', o[1] = (char)c;
					i++, o += 2;
				} else if (c == '\n' || c == '\r' || c == '\t') {
					o[0] = '\\', o[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
					i++, o += 2;
				} else {
					memcpy(o, "\\u00", 4);
					o[4] = hex[c >> 4], o[5] = hex[c & 15];
					i++, o += 6;
				}
			} while (i < end && u[i] >= 0x80); /* a run of Chinese goes on here */
		}
		b->len = (size_t)(o - b->data);
		if (i >= n)
			break;
		buf_grow(b, (n - i < ESCAPE_STEP ? n - i : ESCAPE_STEP) * 6 + 16); /* a character may have run past end */
		o = b->data + b->len;
	}
	*o = '\0';
	b->len = (size_t)(o - b->data);
	return clean;
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
#define LATELY_SLOTS 64
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
	if (n <= 16 && plain_short((const unsigned char *)s, n)) {
		buf_add_piece(b, s, n);
		return true;
	}
	struct lately *kept = n <= LATELY_MAX ? lately_slot(s, n) : NULL;
	if (kept && kept->len == n && memcmp(kept->raw, s, n) == 0) {
		buf_add(b, kept->esc, kept->esc_len);
		return kept->clean;
	}
	size_t start = b->len;
	bool clean = escape(b, s, n);
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
	if (v > -1e15 && v < 1e15 && v == (double)(long long)v) { /* a whole number (a count, mostly): %.15g's digits */
		if (v < 0)
			buf_addc(b, '-');
		buf_add_uint(b, (unsigned long long)(v < 0 ? -v : v));
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
