/*
 * gbdecode.c — checks lib/win/gbdecode.c against glibc's iconv on this
 * machine: every one-, two- and four-byte sequence, every cut sequence, and
 * random byte strings decoded start to end; every code point encoded.  Built and run on the build
 * machine by `make check-windows`; prints PASS/FAIL lines.
 */
#include "gbdecode.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* What glibc says about the start of s[0..n): the length and code point, 0 (EINVAL) or -1 (EILSEQ). */
static int glibc_decode(iconv_t cd, const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char out[4];
	char *in = (char *)s, *o = (char *)out;
	size_t inleft = n, outleft = sizeof out;
	iconv(cd, NULL, NULL, NULL, NULL);
	size_t rc = iconv(cd, &in, &inleft, &o, &outleft);
	if (outleft == 0) { /* one character out: E2BIG stopped the rest */
		*cp = (uint32_t)out[0] << 24 | (uint32_t)out[1] << 16 | (uint32_t)out[2] << 8 | out[3];
		return (int)(n - inleft);
	}
	if (rc != (size_t)-1)
		return 0; /* nothing to decode */
	return errno == EINVAL ? 0 : -1;
}

/* Compares both decoders on s[0..n); returns false (and says so) when they differ. */
static bool same(iconv_t cd, bool gbk, const unsigned char *s, size_t n)
{
	uint32_t a = 0, b = 0;
	int want = glibc_decode(cd, s, n, &a), got = gb_decode(s, n, gbk, &b);
	if (want == got && (want <= 0 || a == b))
		return true;
	if (failures++ < 20) {
		printf("FAIL %s:", gbk ? "GBK" : "GB18030");
		for (size_t i = 0; i < n; i++)
			printf(" %02X", s[i]);
		printf(": glibc %d U+%04X, table %d U+%04X\n", want, (unsigned)a, got, (unsigned)b);
	}
	return false;
}

/* Every sequence of the encoding's shape, whole and cut short. */
static void every_sequence(iconv_t cd, bool gbk)
{
	unsigned char s[4];
	bool ok = true;
	for (unsigned a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		ok &= same(cd, gbk, s, 1);
		for (unsigned b = 0; b < 256 && a >= 0x80; b++) {
			s[1] = (unsigned char)b;
			ok &= same(cd, gbk, s, 2);
			if (gbk || b < 0x30 || b > 0x39)
				continue;
			for (unsigned c = 0; c < 256; c++) {
				s[2] = (unsigned char)c;
				ok &= same(cd, gbk, s, 3);
				for (unsigned d = 0x28; d < 0x40; d++) {
					s[3] = (unsigned char)d;
					ok &= same(cd, gbk, s, 4);
				}
			}
		}
	}
	printf("%s every %s sequence decodes as glibc decodes it\n", ok ? "PASS" : "FAIL", gbk ? "GBK" : "GB18030");
}

/* Random strings of likely bytes, decoded character by character from every start. */
static void random_strings(iconv_t cd, bool gbk)
{
	static const unsigned char likely[] = {0x20, 0x2C, 0x30, 0x35, 0x39, 0x40, 0x7F, 0x80, 0x81, 0x84,
					       0x90, 0xA1, 0xB0, 0xD7, 0xFE, 0xFF, 0x0A, 0x41, 0xE3, 0x32};
	unsigned char s[64];
	bool ok = true;
	srand(18030);
	for (int round = 0; round < 200000; round++) {
		size_t n = (size_t)(rand() % (int)sizeof s);
		for (size_t i = 0; i < n; i++)
			s[i] = likely[rand() % (int)sizeof likely];
		for (size_t at = 0; at < n; at++)
			ok &= same(cd, gbk, s + at, n - at);
	}
	printf("%s random %s strings decode as glibc decodes them\n", ok ? "PASS" : "FAIL", gbk ? "GBK" : "GB18030");
}

/*
 * Every code point but the surrogates, encoded by the tables and by glibc
 * (from UTF-32BE) byte for byte, except where glibc drops a character.
 */
static void every_code_point(iconv_t cd, bool gbk)
{
	bool ok = true;
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		unsigned char in[4] = {(unsigned char)(cp >> 24), (unsigned char)(cp >> 16), (unsigned char)(cp >> 8),
				       (unsigned char)cp};
		unsigned char want[8], got[4];
		char *i = (char *)in, *o = (char *)want;
		size_t inleft = 4, outleft = sizeof want;
		iconv(cd, NULL, NULL, NULL, NULL);
		int want_len = iconv(cd, &i, &inleft, &o, &outleft) == (size_t)-1 ? -1 : (int)(sizeof want - outleft);
		int got_len = gb_encode(cp, gbk, got);
		if (want_len == 0 && got_len < 0 && cp >= 0xE0000 && cp <= 0xE007F)
			continue; /* glibc drops the tag characters unwritten; the table refuses them, losing nothing */
		if (want_len == got_len && (got_len < 0 || memcmp(want, got, (size_t)got_len) == 0))
			continue;
		ok = false;
		if (failures++ < 20)
			printf("FAIL %s: U+%04X: glibc %d bytes, table %d bytes\n", gbk ? "GBK" : "GB18030", (unsigned)cp,
			       want_len, got_len);
	}
	printf("%s every code point encodes in %s as glibc encodes it\n", ok ? "PASS" : "FAIL", gbk ? "GBK" : "GB18030");
}

int main(void)
{
	iconv_t gb = iconv_open("UTF-32BE", "GB18030"), gbk = iconv_open("UTF-32BE", "GBK");
	if (gb == (iconv_t)-1 || gbk == (iconv_t)-1) {
		printf("FAIL glibc's iconv has no GBK or GB18030\n");
		return 1;
	}
	every_sequence(gb, false);
	every_sequence(gbk, true);
	random_strings(gb, false);
	random_strings(gbk, true);
	iconv_close(gb);
	iconv_close(gbk);
	gb = iconv_open("GB18030", "UTF-32BE"), gbk = iconv_open("GBK", "UTF-32BE");
	if (gb == (iconv_t)-1 || gbk == (iconv_t)-1) {
		printf("FAIL glibc's iconv cannot encode GBK or GB18030\n");
		return 1;
	}
	every_code_point(gb, false);
	every_code_point(gbk, true);
	iconv_close(gb);
	iconv_close(gbk);
	return failures != 0;
}
