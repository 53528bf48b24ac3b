/*
 * encoding_test — the encoding decision on the texts county files start
 * with: every county name and alias, the common title words and single
 * cells, each in GB18030, UTF-8 and UTF-8 with a BOM's worth of context;
 * every common hanzi alone; Latin-1 and UTF-8 with a bad byte; the sample cut.
 */
#include "encoding.h"
#include "util.h"
#include "test.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The texts a file may start with: the 8 counties and the city, their aliases, title words. */
static const char *const words[] = {
	"清城区", "清新区", "佛冈县", "阳山县", "连山壮族瑶族自治县", "连南瑶族自治县", "英德市",
	"连州市", "清远市", "清城區", "佛岡縣", "陽山縣", "连山县", "连南县", "英德", "英",
	"年", "月", "日", "日报", "月报", "清单", "空气", "水质", "项目", "指标", "任务", "统计",
	"汇总", "断面", "排放源", "重点项目", "空气质量日报", "2025年", "6月", "（2025年6月）",
	"区县", "站点", "日期", "备注", "合计",
};

/* Converts UTF-8 text to GB18030 into out; returns the length. */
static size_t to_gb18030(const char *s, char *out, size_t room)
{
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	if (cd == (iconv_t)-1) {
		fprintf(stderr, "encoding_test: this system cannot convert to GB18030\n");
		exit(1);
	}
	char *in = (char *)s, *o = out;
	size_t inleft = strlen(s), outleft = room;
	iconv(cd, &in, &inleft, &o, &outleft);
	iconv_close(cd);
	return room - outleft;
}

/* The guess for the text "before WORD after" in the encoding asked for. */
static enum encoding_guess guess(const char *before, const char *word, const char *after, bool gb)
{
	struct buf text = {0};
	buf_addf(&text, "%s%s%s", before, word, after);
	char gbtext[1024];
	size_t n = gb ? to_gb18030(text.data, gbtext, sizeof gbtext) : text.len;
	enum encoding_guess g = encoding_guess(gb ? (unsigned char *)gbtext : (unsigned char *)text.data, n);
	buf_free(&text);
	return g;
}

static void test_words(void)
{
	/* a title row, a header cell, a data cell, a cell alone, a cell and its line break */
	static const char *const contexts[][2] = {
		{"", "空气质量日报（2025年6月）\n区县,数值\n英德市,1\n"}, {"", ",2025\n"},
		{"区县,数值\n", ",1\n"}, {"", ""}, {"", "\r\n"}, {"\"", "\"\n"},
	};
	int bad_gb = 0, bad_utf8 = 0;
	char detail[4096] = "";
	for (size_t w = 0; w < sizeof words / sizeof *words; w++)
		for (size_t c = 0; c < sizeof contexts / sizeof *contexts; c++) {
			if (guess(contexts[c][0], words[w], contexts[c][1], true) != GUESS_GB18030) {
				bad_gb++;
				snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " gb18030:%s#%zu", words[w], c);
			}
			if (guess(contexts[c][0], words[w], contexts[c][1], false) != GUESS_UTF8) {
				bad_utf8++;
				snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " utf-8:%s#%zu", words[w], c);
			}
		}
	CHECK("county names and title words in GB18030 and UTF-8", bad_gb == 0 && bad_utf8 == 0,
	      "%d GB18030 and %d UTF-8 texts misread:%s", bad_gb, bad_utf8, detail);
}

/*
 * Every common hanzi (GB 2312 level 1) alone is GB18030, except the few
 * whose two bytes are also Latin-1 or μ in UTF-8 (lead C2 or C3, and CE BC):
 * a file holding nothing but "á" is read as the UTF-8 it is valid as.
 */
static void test_single_hanzi(void)
{
	int misread = 0;
	char first[32] = "";
	for (unsigned lead = 0xB0; lead <= 0xD7; lead++)
		for (unsigned trail = 0xA1; trail <= 0xFE; trail++) {
			if (lead == 0xD7 && trail > 0xF9)
				break;
			unsigned char s[2] = {(unsigned char)lead, (unsigned char)trail};
			bool also_utf8 = ((lead == 0xC2 || lead == 0xC3) && trail <= 0xBF) || (lead == 0xCE && trail == 0xBC);
			if ((encoding_guess(s, 2) == GUESS_GB18030) == also_utf8) {
				if (!misread++)
					snprintf(first, sizeof first, "%02X%02X", lead, trail);
			}
		}
	CHECK("every common hanzi alone", misread == 0, "%d misread, the first %s", misread, first);
}

static void test_not_gb18030(void)
{
	const char *latin1 = "name,city\nM\xFCller,K\xF6ln\nJos\xE9,S\xE3o Paulo\n";
	CHECK("Latin-1 is not GB18030", encoding_guess((const unsigned char *)latin1, strlen(latin1)) == GUESS_UTF8,
	      "read as GB18030");
	const char *bad = "区县,站点\n英德市,英红\n\xFF,清城区\n";
	CHECK("UTF-8 with a bad byte stays UTF-8", encoding_guess((const unsigned char *)bad, strlen(bad)) == GUESS_UTF8,
	      "read as GB18030");
	const char *units = "PM2.5(μg/m³),PM10\n1,2\n";
	CHECK("UTF-8 Greek and Latin-1 stay UTF-8", encoding_guess((const unsigned char *)units, strlen(units)) == GUESS_UTF8,
	      "read as GB18030");
	const unsigned char gb_bad[] = {0xC7, 0xF8, 0xCF, 0xD8, ',', '1', '\n', 0x80, ',', 0xD3, 0xA2, 0xB5, 0xC2,
					0xCA, 0xD0, 0xC1, 0xAC, 0xD6, 0xDD, 0xCA, 0xD0, '\n'};
	CHECK("GB18030 with a bad byte stays GB18030", encoding_guess(gb_bad, sizeof gb_bad) == GUESS_GB18030,
	      "read as UTF-8");
	const unsigned char pua[] = {0xAA, 0xA1, 0xAB, 0xA2, ',', 0xF8, 0xA1, '\n'};
	CHECK("private use is not plausible", encoding_guess(pua, sizeof pua) == GUESS_UTF8, "read as GB18030");
	CHECK("ASCII is UTF-8", encoding_guess((const unsigned char *)"a,b\n", 4) == GUESS_UTF8, "read as GB18030");
	CHECK("nothing is UTF-8", encoding_guess((const unsigned char *)"", 0) == GUESS_UTF8, "read as GB18030");
}

static void test_sample_len(void)
{
	size_t n = ENCODING_SAMPLE + 100;
	unsigned char *s = xmalloc(n);
	memset(s, 'a', n);
	s[10] = '\n';
	s[ENCODING_SAMPLE - 5] = '\n';
	CHECK("sample cut after the last line break", encoding_sample_len(s, n, false) == ENCODING_SAMPLE - 4, "%zu",
	      encoding_sample_len(s, n, false));
	s[ENCODING_SAMPLE - 5] = 'a';
	s[10] = 'a';
	CHECK("a sample without a line break is not cut", encoding_sample_len(s, n, false) == ENCODING_SAMPLE, "%zu",
	      encoding_sample_len(s, n, false));
	CHECK("a whole short input is the sample", encoding_sample_len(s, 100, true) == 100, "%zu",
	      encoding_sample_len(s, 100, true));
	free(s);
}

int main(void)
{
	test_words();
	test_single_hanzi();
	test_not_gb18030();
	test_sample_len();
	return test_status();
}
