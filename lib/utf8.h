/*
 * utf8.h — strict UTF-8 validation, character counting and the folding used to
 * match header cells and spot full-width characters.  All functions take
 * byte ranges that need not be NUL-terminated and allocate nothing.
 */
#ifndef QY_UTF8_H
#define QY_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Returns the length of the valid UTF-8 prefix of s[0..n).  When the rest is
 * a sequence cut off by the end of the range, *partial is set to true (more
 * bytes may complete it); otherwise the byte at the returned offset is invalid.
 */
size_t utf8_valid_prefix(const unsigned char *s, size_t n, bool *partial);

/* Decodes one character; returns its length, or 0 (and *cp = U+FFFD) when invalid. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Decodes s[0..n) into at most max code points: how many, or SIZE_MAX if s is invalid or has more. */
size_t utf8_decode_all(const char *s, size_t n, uint32_t *cps, size_t max);

/*
 * Length of the valid character at s[0..n) (n > 0), or 0 if it is not one.
 * ASCII and the usual CJK character (lead E1–EC, always valid with two
 * continuation bytes) are decided inline.
 */
static inline size_t utf8_char_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xE1 && c <= 0xEC && n > 2 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80)
		return 3;
	uint32_t cp;
	return utf8_decode(s, n, &cp);
}

/* Encodes cp into out (4 bytes room); returns the length. */
size_t utf8_encode(uint32_t cp, char *out);

/* Counts characters; each invalid byte counts as one. */
size_t utf8_count(const unsigned char *s, size_t n);

/* Byte length of the blanks (space, tab, U+3000, NBSP, U+200B, U+FEFF) at the start, and at the end, of s. */
size_t utf8_blank_len_slow(const unsigned char *s, size_t n);
size_t utf8_blank_len_back_slow(const unsigned char *s, size_t n);

/*
 * Bytes a blank can start (1) or end (2) with: ' ' and '\t'; NBSP is C2 A0,
 * U+3000 is E3 80 80, U+200B is E2 80 8B and U+FEFF is EF BB BF.  Any other
 * first or last byte means no blanks at that end, which settles the usual
 * cell inline.
 */
extern const unsigned char utf8_blank_edge[256];

/* True if s starts with a blank: its first byte can, and its first character is one. */
static inline bool utf8_starts_blank(const unsigned char *s, size_t n)
{
	if (n == 0 || !(utf8_blank_edge[s[0]] & 1))
		return false;
	if (s[0] < 0x80)
		return true;
	if (s[0] == 0xC2)
		return n >= 2 && s[1] == 0xA0;
	if (n < 3)
		return false;
	uint32_t head = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
	return head == 0xE38080 || head == 0xE2808B || head == 0xEFBBBF;
}

/* True if s ends with a blank: its last byte can, and its last character is one. */
static inline bool utf8_ends_blank(const unsigned char *s, size_t n)
{
	if (n == 0 || !(utf8_blank_edge[s[n - 1]] & 2))
		return false;
	if (s[n - 1] < 0x80)
		return true;
	if (s[n - 1] == 0xA0)
		return n >= 2 && s[n - 2] == 0xC2;
	if (n < 3)
		return false;
	uint32_t tail = (uint32_t)s[n - 3] << 16 | (uint32_t)s[n - 2] << 8 | s[n - 1];
	return tail == 0xE38080 || tail == 0xE2808B || tail == 0xEFBBBF;
}

static inline size_t utf8_blank_len(const unsigned char *s, size_t n)
{
	return utf8_starts_blank(s, n) ? utf8_blank_len_slow(s, n) : 0;
}

static inline size_t utf8_blank_len_back(const unsigned char *s, size_t n)
{
	return utf8_ends_blank(s, n) ? utf8_blank_len_back_slow(s, n) : 0;
}

/*
 * Appends to out (at most 4*n+1 bytes room) the folded form of s: blanks at
 * both ends trimmed, full-width ASCII (U+FF01–U+FF5E, U+3000) made half-width,
 * and ASCII letters lower-cased.  Returns the folded length.
 */
size_t utf8_fold_name(const unsigned char *s, size_t n, char *out);

/*
 * Copies s to out with full-width ASCII forms made half-width; returns the new
 * length (never more than n) and sets *changed if anything was folded.
 */
size_t utf8_halfwidth(const unsigned char *s, size_t n, char *out, bool *changed);

/* True if s may hold a full-width form (U+FF01–U+FF5E) or U+3000: a cheap pre-check. */
static inline bool utf8_may_have_fullwidth(const unsigned char *s, size_t n)
{
	unsigned char any = 0;
	for (size_t i = 0; i < n; i++)
		any |= s[i];
	if (!(any & 0x80))
		return false; /* ASCII, as most typed cells are */
	for (size_t i = 0; i < n; i++)
		if (s[i] == 0xEF || s[i] == 0xE3)
			return true;
	return false;
}

/* Display width of a string on a terminal: East Asian wide characters count 2. */
size_t utf8_width(const char *s, size_t n);

#endif
