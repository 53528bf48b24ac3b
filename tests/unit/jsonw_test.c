/*
 * jsonw_test — escaping writes exactly what a plain byte-at-a-time escaper
 * writes: every printable ASCII byte, '"', '\\', each control byte, valid
 * and invalid UTF-8, in strings of every length up to 40 built from those
 * pieces, also when a string escaped before changed in place; every byte
 * value at every place of short strings, every pair of bytes, every lead
 * byte with every second byte, and long strings; numbers and
 * short pieces are written as printf and memcpy would, and a JSON key comes
 * with its separator only after a value.
 */
#include "jsonw.h"
#include "test.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>

/* The escaping of s[0..n), one byte or character at a time: what jsonw_escape must match. */
static bool reference_escape(struct buf *b, const unsigned char *s, size_t n)
{
	bool clean = true;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = c >= 0x80 ? utf8_char_len(s + i, n - i) : 1;
		if (c == '"' || c == '\\') {
			buf_addf(b, "\\%c", c);
		} else if (c == '\n' || c == '\r' || c == '\t') {
			buf_adds(b, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\t");
		} else if (c < 0x20) {
			buf_addf(b, "\\u%04x", c);
		} else if (!len) {
			buf_adds(b, "\xEF\xBF\xBD");
			clean = false;
			len = 1;
		} else {
			buf_add(b, (const char *)s + i, len);
		}
		i += len;
	}
	return clean;
}

/* Pieces the random strings are made of: plain ASCII, everything that is escaped, UTF-8 good and bad. */
static const char *const pieces[] = {
	"a", "Z", "0", " ", "~", "\x7f", "\"", "\\", "\n", "\r", "\t", "\x01", "\x1f",
	"超标", "。", "é", "\xF0\x9F\x98\x80", "\xE4\xB8", "\x80", "\xFF", "\xC0\xAF", "\xED\xA0\x80",
	"abcdefghijklmnop", "PM2.5 above limit",
};

/*
 * A string escaped the long way is escaped anew when it changed in place:
 * the same address and length with other bytes (the escaped forms kept of
 * strings escaped lately must not come back for them).
 */
static void test_changed_in_place(void)
{
	char s[64];
	int wrong = 0;
	for (int round = 0; round < 200; round++) {
		struct buf got = {0}, want = {0};
		snprintf(s, sizeof s, "二氧化硫%c“%d”\\\"", 'a' + round % 26, round % 10);
		size_t n = strlen(s);
		for (int again = 0; again < 2; again++) { /* the second time may find it kept */
			buf_reset(&got), buf_reset(&want);
			bool clean = jsonw_escape(&got, s, n);
			bool want_clean = reference_escape(&want, (const unsigned char *)s, n);
			wrong += clean != want_clean || strcmp(got.data, want.data) != 0;
		}
		s[round % 8 == 0 ? 3 : n - 1] = round % 3 ? 'x' : '\xFF'; /* changed in place, same length */
		buf_reset(&got), buf_reset(&want);
		bool clean = jsonw_escape(&got, s, n);
		bool want_clean = reference_escape(&want, (const unsigned char *)s, n);
		wrong += clean != want_clean || strcmp(got.data, want.data) != 0;
		buf_free(&got), buf_free(&want);
	}
	CHECK("a string changed in place is escaped anew", wrong == 0, "%d escaped wrongly", wrong);
}

/* Checks jsonw_escape and jsonw_string on s[0..n) against the reference; adds 1 to *wrong and notes the first string that differs. */
static void check_one(const unsigned char *s, size_t n, int *wrong, char first[200])
{
	static struct buf got, quoted, want; /* kept from one short string to the next */
	if (n > 256) /* a long string starts from empty buffers, where too little room made shows */
		buf_free(&got), buf_free(&quoted), buf_free(&want);
	buf_reset(&got), buf_reset(&quoted), buf_reset(&want);
	buf_adds(&got, "<"), buf_adds(&quoted, "<"), buf_adds(&want, "<");
	bool clean = jsonw_escape(&got, (const char *)s, n);
	bool quoted_clean = jsonw_string(&quoted, (const char *)s, n);
	bool want_clean = reference_escape(&want, s, n);
	bool same = clean == want_clean && got.len == want.len && memcmp(got.data, want.data, got.len) == 0 &&
		    got.data[got.len] == '\0';
	bool quoted_same = quoted_clean == want_clean && quoted.len == want.len + 2 && quoted.data[1] == '"' &&
			   memcmp(quoted.data + 2, want.data + 1, want.len - 1) == 0 &&
			   quoted.data[quoted.len - 1] == '"' && quoted.data[quoted.len] == '\0';
	if ((!same || !quoted_same) && !(*wrong)++) {
		int k = snprintf(first, 200, "%zu bytes:", n);
		for (size_t i = 0; i < n && k < 190; i++)
			k += snprintf(first + k, 200 - (size_t)k, " %02x", s[i]);
	}
}

/*
 * Every byte value at every place of strings of 1 to 40 bytes, among plain
 * ASCII, Chinese and bytes that are escaped: the eight bytes at a time, the
 * last bytes of a string and its first all meet each value.
 */
static void test_every_byte_everywhere(void)
{
	static const char *const fills[] = {"abcdefgh", "超标超标", "a\"b\\c\nd\x01"};
	unsigned char s[48];
	int wrong = 0;
	char first[200] = "";
	for (size_t f = 0; f < sizeof fills / sizeof *fills; f++)
		for (size_t n = 1; n <= 40; n++)
			for (size_t at = 0; at < n; at++)
				for (int c = 0; c < 256; c++) {
					for (size_t i = 0; i < n; i++)
						s[i] = (unsigned char)fills[f][i % strlen(fills[f])];
					s[at] = (unsigned char)c;
					check_one(s, n, &wrong, first);
				}
	CHECK("every byte value at every place of 1 to 40 bytes escapes as byte-at-a-time", wrong == 0,
	      "%d differ; first: %s", wrong, first);
}

/*
 * Every pair of bytes, across the boundary of two words and at the end;
 * and every byte from 0x80 followed by every second byte and a choice of
 * third and fourth, whole or cut short by the end of the string: overlong
 * forms, surrogates, past U+10FFFF, stray continuation bytes.
 */
static void test_pairs_and_sequences(void)
{
	static const unsigned char later[] = {0x00, 0x22, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
	static const unsigned char fourth[] = {0x41, 0x80, 0xBF, 0xC0};
	unsigned char s[24];
	int wrong = 0;
	char first[200] = "";
	for (int a = 0; a < 256; a++)
		for (int b = 0; b < 256; b++)
			for (size_t at = 5; at <= 8; at++) {
				memcpy(s, "0123456789abcdef", 16);
				s[at] = (unsigned char)a, s[at + 1] = (unsigned char)b;
				check_one(s, at + 2, &wrong, first);
				check_one(s, 14, &wrong, first);
			}
	CHECK("every pair of bytes across a word boundary and at the end", wrong == 0, "%d differ; first: %s", wrong,
	      first);
	wrong = 0;
	for (int lead = 0x80; lead < 0x100; lead++) {
		memcpy(s, "ab", 2);
		s[2] = (unsigned char)lead;
		check_one(s, 3, &wrong, first);
		for (int second = 0; second < 256; second++) {
			s[3] = (unsigned char)second;
			check_one(s, 4, &wrong, first);
			for (size_t t = 0; t < sizeof later; t++) {
				s[4] = later[t];
				check_one(s, 5, &wrong, first);
				for (size_t u = 0; u < sizeof fourth; u++) {
					s[5] = fourth[u], s[6] = 'z';
					check_one(s, 7, &wrong, first);
				}
			}
		}
	}
	CHECK("every lead byte with every second byte, whole and cut short", wrong == 0, "%d differ; first: %s",
	      wrong, first);
}

/*
 * Long strings: a character across each 4,096-byte step of the escaper,
 * escapes there, strings that grow six and three times over (every byte a
 * control byte, or a byte that starts no character), so that the room made
 * at once is enough, and one long run of Chinese.
 */
static void test_long(void)
{
	static const char *const pieces[] = {"\xE8\xB6\x85", "\xF0\x9F\x98\x80", "\"", "\x01", "\xE8\xB6", "\xC3\xA9"};
	size_t len = 3 * 4096 + 40;
	unsigned char *s = malloc(len);
	int wrong = 0;
	char first[200] = "";
	for (size_t p = 0; p < sizeof pieces / sizeof *pieces; p++)
		for (size_t shift = 0; shift < 8; shift++) {
			memset(s, 'x', len);
			for (size_t step = 4096; step < len; step += 4096) {
				size_t at = step - shift;
				memcpy(s + at, pieces[p], strlen(pieces[p]));
			}
			check_one(s, len, &wrong, first);
			check_one(s, 4096 + 3 - shift, &wrong, first);
		}
	memset(s, 0x1F, len);
	check_one(s, len, &wrong, first);
	memset(s, 0xFF, len); /* three bytes out for each */
	check_one(s, len, &wrong, first);
	for (size_t i = 0; i + 3 <= len; i += 3)
		memcpy(s + i, "\xE8\xB6\x85", 3);
	check_one(s, len, &wrong, first);
	for (size_t i = 0; i < len; i++)
		s[i] = (unsigned char)(i * 7 + i / 5);
	check_one(s, len, &wrong, first);
	CHECK("long strings: characters and escapes at each step, six times the bytes", wrong == 0,
	      "%d differ; first: %s", wrong, first);
	free(s);
	struct buf b = {0};
	jsonw_string(&b, "a\xE2\x80\xA8" "b\xE2\x80\xA9", 8);
	CHECK_STR("U+2028 and U+2029 are written as they are", b.data, "\"a\xE2\x80\xA8" "b\xE2\x80\xA9\"");
	buf_free(&b);
}

/* Numbers come out as printf writes them, and short pieces as memcpy copies them. */
static void test_numbers_and_pieces(void)
{
	int wrong = 0;
	unsigned long long edges[] = {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65535, 99999, 100000, 4294967295u,
				      9999999999999999999u, 10000000000000000000u, 18446744073709551615u};
	struct buf got = {0};
	char want[48];
	for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
		for (int d = -1; d <= 1; d++) {
			unsigned long long v = edges[i] + (unsigned long long)d;
			buf_reset(&got);
			buf_adds(&got, "x");
			buf_add_uint(&got, v);
			snprintf(want, sizeof want, "x%llu", v);
			wrong += strcmp(got.data, want) != 0;
		}
	CHECK("buf_add_uint writes what %llu writes", wrong == 0, "%d differ", wrong);
	wrong = 0;
	const char *src = "0123456789abcdefghijklmnopqrstuvwxyz";
	for (size_t n = 0; n <= 36; n++) {
		buf_reset(&got);
		buf_adds(&got, "<");
		buf_add_piece(&got, src, n);
		buf_adds(&got, ">");
		snprintf(want, sizeof want, "<%.*s>", (int)n, src);
		wrong += strcmp(got.data, want) != 0 || got.len != n + 2;
	}
	CHECK("buf_add_piece copies every length up to 36", wrong == 0, "%d differ", wrong);
	buf_free(&got);
}

int main(void)
{
	test_changed_in_place();
	test_every_byte_everywhere();
	test_pairs_and_sequences();
	test_long();
	test_numbers_and_pieces();
	unsigned seed = 12345;
	int mismatches = 0;
	char first_bad[200] = "";
	for (int round = 0; round < 20000; round++) {
		struct buf in = {0}, got = {0}, want = {0};
		seed = seed * 1103515245u + 12345u;
		size_t target = (seed >> 8) % 41;
		while (in.len < target) {
			seed = seed * 1103515245u + 12345u;
			buf_adds(&in, pieces[(seed >> 8) % (sizeof pieces / sizeof *pieces)]);
		}
		bool clean_got = jsonw_escape(&got, in.data ? in.data : "", in.len);
		bool clean_want = reference_escape(&want, (const unsigned char *)(in.data ? in.data : ""), in.len);
		if (clean_got != clean_want || got.len != want.len || (got.len && memcmp(got.data, want.data, got.len))) {
			if (!mismatches++)
				snprintf(first_bad, sizeof first_bad, "'%s' gave '%s', want '%s'",
					 in.data, got.data, want.data);
		}
		buf_free(&in), buf_free(&got), buf_free(&want);
	}
	CHECK("escape matches byte-at-a-time on 20000 strings", mismatches == 0, "%d differ; first: %s",
	      mismatches, first_bad);

	struct buf b = {0};
	jsonw_string(&b, "a\"b\\c\x01 超标\xFF", strlen("a\"b\\c\x01 超标\xFF"));
	CHECK_STR("quotes, backslash, control, CJK, bad byte", b.data,
		  "\"a\\\"b\\\\c\\u0001 超标\xEF\xBF\xBD\"");
	buf_reset(&b);
	const char *long_ascii = "0123456789abcdefghijklmnopqrstuvwxyz\"ABCDEFGH\\";
	jsonw_escape(&b, long_ascii, strlen(long_ascii));
	CHECK_STR("a quote and backslash after a long plain run", b.data,
		  "0123456789abcdefghijklmnopqrstuvwxyz\\\"ABCDEFGH\\\\");
	buf_reset(&b);
	buf_addc(&b, '{');
	jsonw_key(&b, "a");
	buf_addc(&b, '1');
	jsonw_key(&b, "b");
	buf_addc(&b, '2');
	CHECK_STR("keys and separators", b.data, "{\"a\":1,\"b\":2");
	buf_free(&b);
	return test_status();
}
