/* jsonw.c — JSON string escaping and base64. */
#include "jsonw.h"
#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool jsonw_string(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	bool clean = jsonw_escape(b, s, n);
	buf_addc(b, '"');
	return clean;
}

/* True if none of the eight bytes at u needs escaping or checking: printable ASCII other than '"' and '\\'. */
static inline bool plain_ascii_word(const unsigned char *u)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t w;
	memcpy(&w, u, 8);
	uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
	uint64_t special = w                           /* a byte past ASCII */
			   | ((w - ones * 0x20) & ~w)        /* a control byte (below 0x20) */
			   | ((quote - ones) & ~quote)       /* a '"' */
			   | ((backslash - ones) & ~backslash); /* a '\\' */
	return !(special & highs);
}

/*
 * Length of the run at s that JSON takes as it is: printable ASCII and valid
 * UTF-8 characters.  ASCII goes eight bytes at a time once a plain byte is seen.
 */
static size_t plain_run(const unsigned char *u, size_t n)
{
	size_t j = 0;
	while (j < n) {
		unsigned char c = u[j];
		if (c >= 0x80) {
			size_t len = utf8_char_len(u + j, n - j);
			if (!len)
				break;
			j += len;
		} else if (c >= 0x20 && c != '"' && c != '\\') {
			j++;
			while (n - j >= 8 && plain_ascii_word(u + j))
				j += 8;
			if (n - j < 8 && j < n && n >= 8 && plain_ascii_word(u + n - 8))
				j = n; /* the last eight bytes overlap the ones just taken */
		} else {
			break;
		}
	}
	return j;
}

bool jsonw_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	bool clean = true;
	buf_grow(b, n + 2);
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		size_t run = plain_run(u + i, n - i);
		if (run) {
			buf_add(b, s + i, run);
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
