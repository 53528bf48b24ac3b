/*
 * gen — writes the benchmark's daily air-quality file to stdout: N rows
 * (default 1,000,000) over 8 counties, one station-day each, dates from
 * 2021-01-01, six pollutants with the AQI and level that follow from them
 * (HJ 633), and about 2% of the pollutant cells defective in the ways county
 * files are (negative, text, out of range, full-width, blank-padded).
 * A fixed seed makes the file the same on every machine; a second argument
 * gives another seed, for other rows of the same kind (mk/train.sh's).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 0x2021202520212025ULL;

static uint32_t rnd(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state >> 11);
}

static const char *const counties[8][2] = {
	{"441802", "清城区"}, {"441803", "清新区"}, {"441821", "佛冈县"}, {"441823", "阳山县"},
	{"441825", "连山壮族瑶族自治县"}, {"441826", "连南瑶族自治县"}, {"441881", "英德市"},
	{"441882", "连州市"},
};

/* HJ 633-2012 breakpoints, as in lib/standards.c. */
static const double levels_iaqi[] = {0, 50, 100, 150, 200, 300, 400, 500};
static const double bp[6][8] = {
	{0, 35, 75, 115, 150, 250, 350, 500}, {0, 50, 150, 250, 350, 420, 500, 600},
	{0, 50, 150, 475, 800, 1600, 2100, 2620}, {0, 40, 80, 180, 280, 565, 750, 940},
	{0, 2, 4, 14, 24, 36, 48, 60}, {0, 100, 160, 215, 265, 800, 1e9, 1e9},
};

static double iaqi(int p, double c)
{
	for (int i = 1; i < 8; i++)
		if (c <= bp[p][i])
			return (levels_iaqi[i] - levels_iaqi[i - 1]) / (bp[p][i] - bp[p][i - 1]) * (c - bp[p][i - 1]) + levels_iaqi[i - 1];
	return 500;
}

static const char *level_of(double aqi)
{
	static const char *const names[] = {"优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"};
	int i = aqi <= 50 ? 0 : aqi <= 100 ? 1 : aqi <= 150 ? 2 : aqi <= 200 ? 3 : aqi <= 300 ? 4 : 5;
	return names[i];
}

/* Prints a pollutant value, defective in about one cell of fifty. */
static void value(double v, int decimals)
{
	switch (rnd() % 50 == 0 ? rnd() % 5 : 9) {
	case 0: printf(",-%.*f", decimals, v); break;
	case 1: printf(",N/A"); break;
	case 2: printf(",%.*f", decimals, v * 1000); break;
	case 3: printf(",３%d", (int)v % 10); break;
	case 4: printf(", %.*f", decimals, v); break;
	default: printf(",%.*f", decimals, v);
	}
}

int main(int argc, char **argv)
{
	long rows = argc > 1 ? atol(argv[1]) : 1000000;
	if (argc > 2)
		state ^= strtoull(argv[2], NULL, 10) * 0x9E3779B97F4A7C15ULL;
	const int days = 1826; /* 2021-01-01 .. 2025-12-31 */
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	printf("区县代码,区县,站点编号,站点名称,日期,PM2.5,PM10,SO2,NO2,CO,O3-8h,AQI,空气质量级别\n");
	for (long i = 0; i < rows; i++) {
		int station = (int)(i / days) + 1, day = (int)(i % days);
		const char *const *c = counties[station % 8];
		int y = 2021, m = 0, d = day;
		for (;;) {
			int ylen = (y % 4 == 0) ? 366 : 365;
			if (d < ylen)
				break;
			d -= ylen;
			y++;
		}
		for (;; m++) {
			int len = mdays[m] + (m == 1 && y % 4 == 0);
			if (d < len)
				break;
			d -= len;
		}
		double v[6] = {5 + rnd() % 60, 0, 3 + rnd() % 15, 8 + rnd() % 40, 3 + rnd() % 12, 40 + rnd() % 150};
		v[1] = v[0] + 5 + rnd() % 30;
		v[4] /= 10;
		double aqi = 0;
		for (int p = 0; p < 6; p++)
			aqi = fmax(aqi, iaqi(p, v[p]));
		aqi = ceil(aqi);
		printf("%s,%s,QY-AQ-%04d,站点%04d,%04d-%02d-%02d", c[0], c[1], station, station, y, m + 1, d + 1);
		for (int p = 0; p < 6; p++)
			value(v[p], p == 4 ? 1 : 0);
		printf(",%.0f,%s\n", aqi, level_of(aqi));
	}
	return 0;
}
