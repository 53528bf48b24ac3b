/* utf8.c — strict UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF). */
#include "utf8.h"

#include <string.h>

/* Returns the sequence length promised by lead byte c, or 0 if c cannot lead. */
static size_t seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF)
		return 3;
	if (c >= 0xF0 && c <= 0xF4)
		return 4;
	return 0;
}

/* Checks that the continuation bytes present are legal for lead byte s[0]. */
static bool continuation_ok(const unsigned char *s, size_t have)
{
	if (have > 1) {
		unsigned char c0 = s[0], c1 = s[1];
		if ((c1 & 0xC0) != 0x80)
			return false;
		if (c0 == 0xE0 && c1 < 0xA0)
			return false; /* overlong */
		if (c0 == 0xED && c1 > 0x9F)
			return false; /* surrogate */
		if (c0 == 0xF0 && c1 < 0x90)
			return false; /* overlong */
		if (c0 == 0xF4 && c1 > 0x8F)
			return false; /* above U+10FFFF */
	}
	for (size_t i = 2; i < have; i++)
		if ((s[i] & 0xC0) != 0x80)
			return false;
	return true;
}

size_t utf8_valid_prefix(const unsigned char *s, size_t n, bool *partial)
{
	size_t i = 0;
	*partial = false;
	while (i < n) {
		/* ASCII fast path, eight bytes at a time. */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		size_t valid = utf8_char_len(s + i, n - i);
		if (valid) {
			i += valid;
			continue;
		}
		/* not a whole valid character: bad here, or cut off by the end of the range */
		size_t len = seq_len(s[i]);
		if (len == 0)
			return i;
		size_t have = n - i < len ? n - i : len;
		if (!continuation_ok(s + i, have))
			return i;
		if (have < len) {
			*partial = true;
			return i;
		}
		i += len;
	}
	return i;
}

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = n ? seq_len(s[0]) : 0;
	if (len == 0 || len > n || !continuation_ok(s, len)) {
		*cp = 0xFFFD;
		return 0;
	}
	switch (len) {
	case 1: *cp = s[0]; break;
	case 2: *cp = (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F); break;
	case 3: *cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F); break;
	default:
		*cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
		      (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
	}
	return len;
}

size_t utf8_decode_all(const char *s, size_t n, uint32_t *cps, size_t max)
{
	size_t count = 0;
	for (size_t i = 0; i < n; count++) {
		size_t len = count < max ? utf8_decode((const unsigned char *)s + i, n - i, &cps[count]) : 0;
		if (!len)
			return SIZE_MAX;
		i += len;
	}
	return count;
}

size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t utf8_count(const unsigned char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; count++) {
		size_t len = utf8_char_len(s + i, n - i);
		i += len ? len : 1;
	}
	return count;
}

const unsigned char utf8_blank_edge[256] = {
	[' '] = 3, ['\t'] = 3, [0xC2] = 1, [0xE3] = 1, [0xA0] = 2, [0x80] = 2,
	[0xE2] = 1, [0x8B] = 2, [0xEF] = 1, [0xBF] = 2,
};

/*
 * Returns the byte length of cp when it is a blank, else 0: a space, a tab,
 * U+3000, NBSP, and the characters that show as nothing (a zero-width space
 * U+200B, a byte-order mark U+FEFF pasted into a cell), so that a cell
 * holding only those is as empty as it looks.
 */
static size_t blank_cp_len(uint32_t cp, size_t len)
{
	return (cp == ' ' || cp == '\t' || cp == 0x3000 || cp == 0xA0 || cp == 0x200B || cp == 0xFEFF) ? len : 0;
}

size_t utf8_blank_len_slow(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (!len || !blank_cp_len(cp, len))
			break;
		i += len;
	}
	return i;
}

size_t utf8_blank_len_back_slow(const unsigned char *s, size_t n)
{
	size_t end = n;
	while (end > 0) {
		size_t start = end - 1;
		while (start > 0 && end - start < 4 && (s[start] & 0xC0) == 0x80)
			start--;
		uint32_t cp;
		size_t len = utf8_decode(s + start, end - start, &cp);
		if (len != end - start || !blank_cp_len(cp, len))
			break;
		end = start;
	}
	return n - end;
}

/* Maps a full-width form to its ASCII counterpart, or returns 0. */
static uint32_t halfwidth_of(uint32_t cp)
{
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		return cp - 0xFF01 + 0x21;
	if (cp == 0x3000)
		return ' ';
	return 0;
}

size_t utf8_halfwidth(const unsigned char *s, size_t n, char *out, bool *changed)
{
	size_t o = 0;
	*changed = false;
	for (size_t i = 0; i < n;) {
		uint32_t cp, half;
		size_t len = s[i] < 0x80 ? 0 : utf8_decode(s + i, n - i, &cp);
		if (len && (half = halfwidth_of(cp))) {
			out[o++] = (char)half;
			*changed = true;
			i += len;
		} else {
			size_t copy = len ? len : 1;
			memcpy(out + o, s + i, copy);
			o += copy;
			i += copy;
		}
	}
	return o;
}

size_t utf8_fold_name(const unsigned char *s, size_t n, char *out)
{
	size_t lead = utf8_blank_len(s, n);
	size_t trail = lead < n ? utf8_blank_len_back(s + lead, n - lead) : 0;
	bool changed;
	size_t len = utf8_halfwidth(s + lead, n - lead - trail, out, &changed);
	for (size_t i = 0; i < len; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	out[len] = '\0';
	return len;
}

/* True for code points a terminal draws two columns wide (East Asian Wide/Fullwidth). */
static bool is_wide(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
	       (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	       (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

size_t utf8_width(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t width = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode(u + i, n - i, &cp);
		width += (len && is_wide(cp)) ? 2 : 1;
		i += len ? len : 1;
	}
	return width;
}
