/* iconv.c — conversion to UTF-8 for Windows (see iconv.h), one character at a time. */
#include "iconv.h"
#include "gbdecode.h"
#include "localcharset.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

enum source { SRC_GB18030, SRC_GBK, SRC_UTF8, SRC_UTF16LE, SRC_CODEPAGE };

struct qy_iconv {
	enum source source;
	UINT codepage;
	int to_gb; /* 0: to UTF-8; 1: from UTF-8 to GB18030; 2: to GBK (lib/win/gbdecode.c) */
};

/* True if a and b are the same name, ignoring ASCII case and the dashes and underscores in b. */
static bool same_name(const char *a, const char *b)
{
	for (;; a++, b++) {
		while (*a == '-' || *a == '_')
			a++;
		while (*b == '-' || *b == '_')
			b++;
		char x = (char)(*a >= 'a' && *a <= 'z' ? *a - 32 : *a), y = (char)(*b >= 'a' && *b <= 'z' ? *b - 32 : *b);
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

/* The Windows code page a name means ("CP1252", "WINDOWS-1252", "ASCII", "MacRoman"), or 0. */
static UINT codepage_of(const char *name)
{
	if (same_name(name, "ASCII") || same_name(name, "US-ASCII"))
		return 20127;
	if (same_name(name, "MACROMAN") || same_name(name, "MACINTOSH"))
		return 10000;
	const char *digits = (name[0] == 'C' || name[0] == 'c') && (name[1] == 'P' || name[1] == 'p') ? name + 2
			     : strncasecmp(name, "WINDOWS-", 8) == 0 ? name + 8 : NULL;
	if (!digits || !*digits)
		return 0;
	char *end;
	unsigned long cp = strtoul(digits, &end, 10);
	return *end || cp == 0 || cp > 65535 || !IsValidCodePage((UINT)cp) ? 0 : (UINT)cp;
}

iconv_t iconv_open(const char *tocode, const char *fromcode)
{
	struct qy_iconv c = {SRC_CODEPAGE, 0, 0};
	if (same_name(fromcode, "UTF-8") && (same_name(tocode, "GB18030") || same_name(tocode, "GBK"))) {
		c.source = SRC_UTF8;
		c.to_gb = same_name(tocode, "GBK") ? 2 : 1;
	} else if (same_name(fromcode, "GB18030"))
		c.source = SRC_GB18030;
	else if (same_name(fromcode, "GBK") || same_name(fromcode, "CP936"))
		c.source = SRC_GBK;
	else if (same_name(fromcode, "UTF-8"))
		c.source = SRC_UTF8;
	else if (same_name(fromcode, "UTF-16LE"))
		c.source = SRC_UTF16LE;
	else
		c.codepage = codepage_of(fromcode);
	if ((!c.to_gb && !same_name(tocode, "UTF-8")) || (c.source == SRC_CODEPAGE && !c.codepage)) {
		errno = EINVAL;
		return (iconv_t)-1;
	}
	struct qy_iconv *cd = malloc(sizeof *cd);
	if (!cd) {
		errno = ENOMEM;
		return (iconv_t)-1;
	}
	*cd = c;
	return cd;
}

int iconv_close(iconv_t cd)
{
	free(cd);
	return 0;
}

/* Writes cp as UTF-8 into u (4 bytes at most); returns the length. */
static int put_utf8(uint32_t cp, unsigned char *u)
{
	if (cp < 0x80)
		return u[0] = (unsigned char)cp, 1;
	if (cp < 0x800)
		return u[0] = (unsigned char)(0xC0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3F)), 2;
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	u[0] = (unsigned char)(0xF0 | cp >> 18);
	u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	u[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes one UTF-16LE character: its length, 0 when cut, -1 when a lone surrogate. */
static int utf16le(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (n < 2)
		return 0;
	uint32_t hi = (uint32_t)(s[0] | s[1] << 8);
	if (hi < 0xD800 || hi > 0xDFFF)
		return *cp = hi, 2;
	if (hi > 0xDBFF)
		return -1;
	if (n < 4)
		return 0;
	uint32_t lo = (uint32_t)(s[2] | s[3] << 8);
	if (lo < 0xDC00 || lo > 0xDFFF)
		return -1;
	*cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
	return 4;
}

/* Decodes one UTF-8 character (no overlong forms, surrogates or values past U+10FFFF). */
static int utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	int len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
		  : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : -1;
	if (len < 0)
		return -1;
	uint32_t v = len == 1 ? s[0] : (uint32_t)(s[0] & (0x7F >> len));
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return 0;
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		v = v << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)))
		return -1;
	*cp = v;
	return len;
}

/* Decodes one character of a Windows code page (one byte, or two after a lead byte). */
static int codepage(UINT page, const unsigned char *s, size_t n, uint32_t *cp)
{
	int len = IsDBCSLeadByteEx(page, s[0]) ? 2 : 1;
	if ((size_t)len > n)
		return 0;
	WCHAR w[2];
	int got = MultiByteToWideChar(page, MB_ERR_INVALID_CHARS, (const char *)s, len, w, 2);
	if (got == 1 && (w[0] < 0xD800 || w[0] > 0xDFFF))
		return *cp = w[0], len;
	if (got == 2 && w[0] >= 0xD800 && w[0] <= 0xDBFF && w[1] >= 0xDC00 && w[1] <= 0xDFFF)
		return *cp = 0x10000 + ((uint32_t)(w[0] - 0xD800) << 10) + (w[1] - 0xDC00), len;
	return -1;
}

size_t iconv(iconv_t cd, char **in, size_t *inleft, char **out, size_t *outleft)
{
	if (!in || !*in)
		return 0; /* no shift state to reset */
	while (*inleft > 0) {
		const unsigned char *s = (const unsigned char *)*in;
		uint32_t cp = 0;
		int len;
		switch (cd->source) {
		case SRC_GB18030: len = gb_decode(s, *inleft, false, &cp); break;
		case SRC_GBK: len = gb_decode(s, *inleft, true, &cp); break;
		case SRC_UTF8: len = utf8(s, *inleft, &cp); break;
		case SRC_UTF16LE: len = utf16le(s, *inleft, &cp); break;
		default: len = codepage(cd->codepage, s, *inleft, &cp); break;
		}
		if (len <= 0) {
			errno = len == 0 ? EINVAL : EILSEQ;
			return (size_t)-1;
		}
		unsigned char u[4];
		int ulen = cd->to_gb ? gb_encode(cp, cd->to_gb == 2, u) : put_utf8(cp, u);
		if (ulen < 0) {
			errno = EILSEQ;
			return (size_t)-1;
		}
		if ((size_t)ulen > *outleft) {
			errno = E2BIG;
			return (size_t)-1;
		}
		memcpy(*out, u, (size_t)ulen);
		*out += ulen;
		*outleft -= (size_t)ulen;
		*in += len;
		*inleft -= (size_t)len;
	}
	return 0;
}

const char *locale_charset(void)
{
	static char name[16];
	UINT page = GetACP();
	if (page == CP_UTF8)
		return "UTF-8";
	snprintf(name, sizeof name, "CP%u", page);
	return name;
}
