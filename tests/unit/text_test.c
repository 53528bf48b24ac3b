/* text_test — UTF-8 validation and folding, JSON and terminal escaping, the string map, JSON positions. */
#include "jsonpos.h"
#include "jsonw.h"
#include "strmap.h"
#include "termtext.h"
#include "utf8.h"
#include "test.h"

#include <stdio.h>

static void test_utf8(void)
{
	bool partial;
	CHECK("valid mixed", utf8_valid_prefix((const unsigned char *)"ab清远", 8, &partial) == 8, "cut");
	CHECK("overlong rejected", utf8_valid_prefix((const unsigned char *)"a\xC0\xAF", 3, &partial) == 1 && !partial, "accepted");
	CHECK("surrogate rejected", utf8_valid_prefix((const unsigned char *)"\xED\xA0\x80", 3, &partial) == 0 && !partial, "accepted");
	CHECK("cut sequence is partial", utf8_valid_prefix((const unsigned char *)"a\xE6\xB8", 3, &partial) == 1 && partial, "not partial");
	CHECK("count characters", utf8_count((const unsigned char *)"清远a", 7) == 3, "wrong");
	char out[64];
	size_t n = utf8_fold_name((const unsigned char *)"\xE3\x80\x80ＰＭ２.５ ", strlen("\xE3\x80\x80ＰＭ２.５ "), out);
	CHECK_STR("fold full-width header", (out[n] = 0, out), "pm2.5");
	CHECK("width of CJK", utf8_width("清远ab", 8) == 6, "wrong");
}

/*
 * The inline tests of a cell's ends against the slow character-by-character
 * ones: every text of up to three bytes drawn from the bytes blanks are made of
 * and bytes that share their first or last byte (CJK, quotation marks), with
 * text before or after.
 */
static void test_blank_ends(void)
{
	static const unsigned char pool[] = {' ', '\t', 'a', 0xC2, 0xA0, 0xE3, 0x80, 0xE2, 0x8B, 0x9C,
					     0xEF, 0xBB, 0xBF, 0xE6, 0xB8, 0x85};
	const size_t np = sizeof pool;
	size_t wrong = 0, cases = 0;
	unsigned char t[5];
	for (size_t len = 1; len <= 3; len++) {
		size_t total = 1;
		for (size_t k = 0; k < len; k++)
			total *= np;
		for (size_t code = 0; code < total; code++) {
			size_t c = code;
			for (size_t k = 0; k < len; k++, c /= np)
				t[k + 1] = pool[c % np];
			t[0] = t[len + 1] = 'x';
			const unsigned char *alone = t + 1, *before = t, *after = t + 1;
			wrong += utf8_starts_blank(alone, len) != (utf8_blank_len_slow(alone, len) > 0);
			wrong += utf8_ends_blank(alone, len) != (utf8_blank_len_back_slow(alone, len) > 0);
			wrong += utf8_ends_blank(before, len + 1) != (utf8_blank_len_back_slow(before, len + 1) > 0);
			wrong += utf8_starts_blank(after, len + 1) != (utf8_blank_len_slow(after, len + 1) > 0);
			cases += 4;
		}
	}
	CHECK("blank ends inline against the slow tests", wrong == 0 && cases > 10000, "%zu of %zu differ", wrong, cases);
}

static void test_termtext(void)
{
	struct buf b = {0};
	const char s[] = "a\x1b[31m\tb\x7f\xC2\x9B" "2J\x9b\xC2\xA0清\n";
	termtext_add(&b, s, sizeof s - 1);
	CHECK_STR("controls shown as \\xNN", b.data, "a\\x1b[31m\\x09b\\x7f\\x9b2J\\x9b\xC2\xA0清\\x0a");
	buf_reset(&b);
	const char cjk[] = "清远\xC2\x85市ab\x7f区\xE4\xB8";
	termtext_add(&b, cjk, sizeof cjk - 1);
	CHECK_STR("controls within and after CJK runs", b.data, "清远\\x85市ab\\x7f区\\xe4\\xb8");
	buf_reset(&b);
	const char unseen[] = "\xE2\x80\x8B清\xE2\x80\x8A\xEF\xBB\xBF\xE2\x81\xA0" "a\xE2\x80\x8F\xE2\x80\x90";
	termtext_add(&b, unseen, sizeof unseen - 1);
	CHECK_STR("characters that show as nothing, within and after CJK runs", b.data,
		  "\\u200b清\xE2\x80\x8A\\ufeff\\u2060a\\u200f\xE2\x80\x90");
	buf_reset(&b);
	termtext_add(&b, "", 0);
	CHECK_STR("empty text", b.data, "");
	buf_free(&b);
}

static void test_json(void)
{
	struct buf b = {0};
	bool clean = jsonw_string(&b, "a\"\\\n\x01\xff清", 9);
	CHECK_STR("escaping", b.data, "\"a\\\"\\\\\\n\\u0001\xEF\xBF\xBD清\"");
	CHECK("invalid byte reported", !clean, "clean");
	buf_reset(&b);
	base64_encode(&b, (const unsigned char *)"\xff\xfe", 2);
	CHECK_STR("base64", b.data, "//4=");
	buf_free(&b);
	const char *doc = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"c\": {\"d\": true}\n}";
	int line, col;
	CHECK("path a[1].b", jsonpos_find(doc, strlen(doc), "a[1].b", false, &line, &col) && line == 2 && col == 18,
	      "got %d:%d", line, col);
	CHECK("key c.d", jsonpos_find(doc, strlen(doc), "c.d", true, &line, &col) && line == 3 && col == 9,
	      "got %d:%d", line, col);
	CHECK("missing path", !jsonpos_find(doc, strlen(doc), "c.e", true, &line, &col), "found");
	/* a stray byte where a value ends (a NUL, a '}' in an array) is skipped over, never stopped at */
	static const char nul_doc[] = "{\"a\": [0\0], \"b\": 1}";
	CHECK("past a NUL in an array", jsonpos_find(nul_doc, sizeof nul_doc - 1, "b", true, &line, &col) && col == 13,
	      "got %d:%d", line, col);
	const char *brace_doc = "{\"a\": [0}], \"b\": 1}";
	CHECK("past a } in an array", jsonpos_find(brace_doc, strlen(brace_doc), "b", true, &line, &col) && col == 13,
	      "got %d:%d", line, col);
}

static void test_strmap(void)
{
	struct strmap m;
	strmap_init(&m);
	char key[32];
	bool ok = true;
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		ok = ok && strmap_put(&m, key, strlen(key), (uint64_t)i, NULL);
	}
	uint64_t v = 0, old = 0;
	CHECK("100000 distinct keys", ok && strmap_count(&m) == 100000, "count %zu", strmap_count(&m));
	CHECK("lookup", strmap_get(&m, "k4242", 5, &v) && v == 4242, "got %llu", (unsigned long long)v);
	CHECK("duplicate refused", !strmap_put(&m, "k7", 2, 1, &old) && old == 7, "old %llu", (unsigned long long)old);
	CHECK("absent", !strmap_get(&m, "k100000", 7, &v), "found");
	CHECK("empty key", strmap_put(&m, "", 0, 9, NULL) && strmap_get(&m, "", 0, &v) && v == 9, "wrong");
	strmap_free(&m);
}

int main(void)
{
	test_utf8();
	test_blank_ends();
	test_termtext();
	test_json();
	test_strmap();
	return test_status();
}
