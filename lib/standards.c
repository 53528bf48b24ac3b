/* standards.c — HJ 633-2012 IAQI breakpoints and GB 3838-2002 class limits. */
#include "standards.h"

#include <stdbool.h>
#include <string.h>

static const char *const pollutants[] = {"pm25", "pm10", "so2", "no2", "co", "o3_8h"};

/* HJ 633-2012 table 1, 24-hour values (O₃: 8-hour), for IAQI 0…500 (domain.md §3). */
static const double iaqi_levels[] = {0, 50, 100, 150, 200, 300, 400, 500};
static const double breakpoints[6][8] = {
	{0, 35, 75, 115, 150, 250, 350, 500},     /* PM2.5 */
	{0, 50, 150, 250, 350, 420, 500, 600},    /* PM10 */
	{0, 50, 150, 475, 800, 1600, 2100, 2620}, /* SO₂ 24 h, not the 1-hour table */
	{0, 40, 80, 180, 280, 565, 750, 940},     /* NO₂ */
	{0, 2, 4, 14, 24, 36, 48, 60},            /* CO, mg/m³ */
	{0, 100, 160, 215, 265, 800, -1, -1},     /* O₃ 8 h: no breakpoint above 800 */
};

int aqi_pollutant(const char *name)
{
	for (int i = 0; i < 6; i++)
		if (strcmp(name, pollutants[i]) == 0)
			return i;
	return -1;
}

/* The slope of each breakpoint segment, (IAQI_hi - IAQI_lo) / (BP_hi - BP_lo), worked out once. */
static const double *segment_slopes(int pollutant)
{
	static double slopes[6][8];
	static bool ready;
	if (!ready) {
		for (int p = 0; p < 6; p++)
			for (int i = 1; i < 8 && breakpoints[p][i] >= 0; i++)
				slopes[p][i] = (iaqi_levels[i] - iaqi_levels[i - 1]) /
					       (breakpoints[p][i] - breakpoints[p][i - 1]);
		ready = true;
	}
	return slopes[pollutant];
}

bool aqi_individual(int pollutant, double c, double *iaqi)
{
	const double *bp = breakpoints[pollutant];
	if (c < 0)
		return false;
	for (int i = 1; i < 8 && bp[i] >= 0; i++)
		if (c <= bp[i]) {
			/* HJ 633-2012 formula (1), with the slope computed as it would be inline */
			*iaqi = segment_slopes(pollutant)[i] * (c - bp[i - 1]) + iaqi_levels[i - 1];
			return true;
		}
	return false;
}

static const char *const params[] = {"do", "codmn", "cod", "bod5", "nh3n", "tp", "tp_lake", "ph"};

/* GB 3838-2002 table 1, Class Ⅰ–Ⅴ limits in mg/L (domain.md §4); DO is a minimum. */
static const double limits[7][5] = {
	{7.5, 6, 5, 3, 2},           /* DO ≥ */
	{2, 4, 6, 10, 15},           /* CODMn */
	{15, 15, 20, 30, 40},        /* COD */
	{3, 3, 4, 6, 10},            /* BOD₅ */
	{0.15, 0.5, 1.0, 1.5, 2.0},  /* NH₃-N */
	{0.02, 0.1, 0.2, 0.3, 0.4},  /* TP, rivers */
	{0.01, 0.025, 0.05, 0.1, 0.2}, /* TP, lakes and reservoirs */
};

int water_param(const char *name)
{
	for (int i = 0; i < 8; i++)
		if (strcmp(name, params[i]) == 0)
			return i;
	return -1;
}

int water_class_of(int param, double v)
{
	if (param == 7) /* pH 6–9 in every class */
		return v >= 6 && v <= 9 ? 1 : 6;
	for (int cls = 0; cls < 5; cls++)
		if (param == 0 ? v >= limits[0][cls] : v <= limits[param][cls])
			return cls + 1; /* where two classes share a limit, the better one */
	return 6;
}
