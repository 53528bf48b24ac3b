/*
 * encoding.c — the encoding of a file from a sample of it.
 *
 * Valid UTF-8 is UTF-8, with one exception: a sample whose only non-ASCII
 * characters are two-byte sequences, some of them neither Latin-1 nor μ
 * (Greek, Cyrillic, Hebrew…), is what GB18030 text such as 英 (D3 A2) looks
 * like when read as UTF-8, so GB18030 is asked about too.  A sample with
 * invalid UTF-8 is UTF-8 with a few bad bytes when its valid multibyte
 * characters outnumber them; otherwise it is GB18030 when it decodes as
 * GB18030 and reads as Chinese: at most one character in eight private-use
 * or from the four-byte ranges, at most one bad byte for four characters
 * (a file may be damaged in places), and at least a third from GB 2312
 * (the common hanzi, full-width forms and punctuation; the rest may be GBK's
 * traditional and rarer hanzi).  Latin-1 text, which also decodes as GBK,
 * lands in GBK's rarer rows and is left as UTF-8.
 */
#include "encoding.h"
#include "utf8.h"

#include <stdint.h>
#include <string.h>

size_t encoding_sample_len(const unsigned char *s, size_t n, bool whole)
{
	if (whole && n <= ENCODING_SAMPLE)
		return n;
	size_t len = n < ENCODING_SAMPLE ? n : ENCODING_SAMPLE;
	for (size_t i = len; i > 0; i--)
		if (s[i - 1] == '\n' || s[i - 1] == '\r')
			return i;
	return len;
}

/* What a sample holds when read as UTF-8. */
struct utf8_tally {
	size_t multibyte;   /* valid characters of two bytes or more */
	size_t wide;        /* of three or four bytes (CJK among them) */
	size_t odd;         /* of two bytes, neither Latin-1 nor μ */
	size_t bad;         /* invalid sequences, each counted at its first byte */
};

static void tally_utf8(const unsigned char *s, size_t n, struct utf8_tally *t)
{
	for (size_t i = 0; i < n;) {
		uint64_t w;
		if (i + 8 <= n && (memcpy(&w, s + i, 8), !(w & 0x8080808080808080ULL))) {
			i += 8; /* eight ASCII bytes, as most of a data file is */
			continue;
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (!len) {
			t->bad++;
			i++;
			continue;
		}
		t->multibyte++;
		if (len > 2)
			t->wide++;
		else if (cp > 0xFF && cp != 0x3BC)
			t->odd++;
		i += len;
	}
}

/* What a sample holds when read as GB18030. */
struct gb_tally {
	size_t chars;       /* non-ASCII characters */
	size_t common;      /* in GB 2312: rows A1–A9 (symbols, full-width forms) and B0–F7 (hanzi) */
	size_t rare;        /* private use, or four bytes long */
	size_t bad;         /* byte sequences GB18030 does not have */
};

/* True for a byte in [lo, hi]. */
static bool in(unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; }

static void tally_gb18030(const unsigned char *s, size_t n, struct gb_tally *t)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (!in(c, 0x81, 0xFE)) {
			t->bad++;
			i++;
			continue;
		}
		if (i + 1 == n)
			return; /* cut by the end of the sample */
		unsigned char d = s[i + 1];
		if (in(d, 0x30, 0x39)) {
			if (i + 4 > n)
				return;
			if (!in(s[i + 2], 0x81, 0xFE) || !in(s[i + 3], 0x30, 0x39)) {
				t->bad++;
				i++;
				continue;
			}
			t->chars++;
			t->rare++;
			i += 4;
			continue;
		}
		if (!in(d, 0x40, 0xFE) || d == 0x7F) {
			t->bad++;
			i++;
			continue;
		}
		t->chars++;
		if (d >= 0xA1 && (in(c, 0xA1, 0xA9) || in(c, 0xB0, 0xF7)))
			t->common++;
		else if ((d >= 0xA1 && (in(c, 0xAA, 0xAF) || c >= 0xF8)) || (in(c, 0xA1, 0xA7) && d < 0xA1))
			t->rare++;
		i += 2;
	}
}

/* True if the sample decodes as GB18030 into text that reads as Chinese. */
static bool plausible_gb18030(const unsigned char *s, size_t n)
{
	struct gb_tally t = {0};
	tally_gb18030(s, n, &t);
	return t.chars > 0 && t.rare * 8 <= t.chars && t.bad * 4 <= t.chars && t.common * 3 >= t.chars;
}

/* True if some byte leads a UTF-8 sequence of three or four bytes (as CJK text has): 0xE0 or more. */
static bool has_wide_lead(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 0xE0)
			return true;
	return false;
}

enum encoding_guess encoding_guess(const unsigned char *s, size_t n)
{
	bool partial;
	/* the usual sample, valid UTF-8 with CJK in it, is settled without the tally */
	if (utf8_valid_prefix(s, n, &partial) == n && has_wide_lead(s, n))
		return GUESS_UTF8;
	struct utf8_tally u = {0};
	tally_utf8(s, n, &u);
	if (u.bad == 0 && (u.wide > 0 || u.odd == 0))
		return GUESS_UTF8;
	if (u.bad > 0 && u.bad < u.multibyte)
		return GUESS_UTF8; /* UTF-8 with a few bad bytes */
	return plausible_gb18030(s, n) ? GUESS_GB18030 : GUESS_UTF8;
}
