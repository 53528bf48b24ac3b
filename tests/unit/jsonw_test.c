/*
 * jsonw_test — escaping writes exactly what a plain byte-at-a-time escaper
 * writes: every printable ASCII byte, '"', '\\', each control byte, valid
 * and invalid UTF-8, in strings of every length up to 40 built from those
 * pieces, also when a string escaped before changed in place; numbers and
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
