/*
 * standards.c — HJ 633-2012 (AQI) and GB 3838-2002 Table 1 (surface-water
 * classes).  Individual air indexes are computed on the decimal a value was
 * written as, in 64-bit integer arithmetic, because the standard rounds
 * them up to integers and a floating-point slope lands on the wrong side of
 * an integer (PM2.5 4.9 must give exactly 7, not 7.000000000000001); those
 * of whole concentrations are worked out once, into a table (and so are the
 * highest concentrations of each index, aqi_ceilings), and those of
 * concentrations well away from where the index steps in floating point,
 * which gives the same integer there.
 */
#include "standards.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static const char *const aqi_names[AQI_ITEMS] = {"so2", "no2", "pm10", "co", "o3_1h", "o3_8h", "pm25"};
static const char *const aqi_shown[AQI_ITEMS] = {"SO2", "NO2", "PM10", "CO", "O3_1h", "O3_8h", "PM2.5"};

/* HJ 633-2012 Table 1: the concentration at IAQI 0, 50, 100, 150, 200, 300, 400 and 500. */
static const int iaqi_steps[8] = {0, 50, 100, 150, 200, 300, 400, 500};
static const int breakpoints[AQI_ITEMS][8] = {
	[AQI_SO2] = {0, 50, 150, 475, 800, 1600, 2100, 2620},     /* 24 h, not the 1-hour table */
	[AQI_NO2] = {0, 40, 80, 180, 280, 565, 750, 940},         /* 24 h */
	[AQI_PM10] = {0, 50, 150, 250, 350, 420, 500, 600},       /* 24 h */
	[AQI_CO] = {0, 2, 4, 14, 24, 36, 48, 60},                 /* 24 h, mg/m³ */
	[AQI_O3_1H] = {0, 160, 200, 300, 400, 800, 1000, 1200},   /* daily maximum 1-hour value */
	[AQI_O3_8H] = {0, 100, 160, 215, 265, 800, -1, -1},       /* daily maximum 8-hour mean: none above 800 */
	[AQI_PM25] = {0, 35, 75, 115, 150, 250, 350, 500},        /* 24 h */
};

int aqi_item(const char *name)
{
	for (int i = 0; i < AQI_ITEMS; i++)
		if (strcmp(name, aqi_names[i]) == 0)
			return i;
	return -1;
}

const int *aqi_breakpoints(enum aqi_item item, int *count)
{
	*count = 0;
	while (*count < 8 && breakpoints[item][*count] >= 0)
		(*count)++;
	return breakpoints[item];
}

int aqi_step(int i)
{
	return iaqi_steps[i];
}

const char *aqi_item_name(enum aqi_item item)
{
	return aqi_names[item];
}

/* Powers of ten that a double holds exactly. */
static const double exact_pow10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * The decimal m / 10^scale a double was written as: the one with the fewest
 * decimal places that rounds back to the same double, which for anything
 * written with at most 15 significant digits is exactly what was written.  A
 * value with no such decimal (a computed one) is taken to nine places.
 */
static bool written_decimal(double v, int64_t *m, int *scale)
{
	for (int k = 0; k < 23; k++) {
		double scaled = v * exact_pow10[k];
		if (!(fabs(scaled) < 9007199254740992.0)) /* 2^53: integers stop being exact */
			break;
		double r = nearbyint(scaled);
		if (r / exact_pow10[k] == v) {
			*m = (int64_t)r;
			*scale = k;
			return true;
		}
	}
	double scaled = nearbyint(v * 1e9);
	if (!(fabs(scaled) < 9e18))
		return false;
	*m = (int64_t)scaled;
	*scale = 9;
	return true;
}

/* The index of the decimal m / 10^scale (m >= 0), or -1 above the item's top breakpoint. */
static int index_of_decimal(enum aqi_item item, int64_t m, int scale)
{
	/*
	 * Past nine decimals, the value rounded up to nine has the same index:
	 * the index steps only past a breakpoint (an integer) and past a C where
	 * (I_hi - I_lo)(C - BP_lo) / (BP_hi - BP_lo) is an integer, a C of at
	 * most two decimals (I_hi - I_lo is 50 or 100), and rounding up to nine
	 * decimals passes no such C.  Nine keep every product below in 64 bits.
	 */
	for (; scale > 9; scale--)
		m = m / 10 + (m % 10 != 0);
	int64_t unit = 1;
	for (int k = 0; k < scale; k++)
		unit *= 10;
	const int *bp = breakpoints[item];
	for (int i = 1; i < 8 && bp[i] >= 0; i++) {
		if (m > bp[i] * unit)
			continue;
		/* HJ 633-2012 formula (1), rounded up: I_lo + ceil((I_hi - I_lo)(C - BP_lo) / (BP_hi - BP_lo)) */
		int64_t num = (iaqi_steps[i] - iaqi_steps[i - 1]) * (m - bp[i - 1] * unit);
		int64_t den = (bp[i] - bp[i - 1]) * unit;
		return iaqi_steps[i - 1] + (int)(num / den + (num % den != 0));
	}
	return -1;
}

/*
 * The index of every whole concentration up to the highest top breakpoint
 * (SO2's), and of every one of one decimal up to 100.0 (CO's all; most
 * reports write whole μg/m³ and CO in tenths of mg/m³), made once.
 */
#define WHOLE_MAX 2620
#define TENTHS_MAX 1000
static short whole_index[AQI_ITEMS][WHOLE_MAX + 1];
static short tenths_index[AQI_ITEMS][TENTHS_MAX + 1];
static pthread_once_t whole_index_once = PTHREAD_ONCE_INIT;
static atomic_bool whole_index_made;

double aqi_ceilings[AQI_MAX + 1][8];

/*
 * The highest concentration of an item whose index is at most a: within the
 * segment where a falls, BP_lo + (a - I_lo)(BP_hi - BP_lo) / (I_hi - I_lo),
 * a decimal of at most two places (I_hi - I_lo is 50 or 100), as the double
 * nearest it; +inf at or past the item's top step.  A double c <= it when
 * the decimal index_of_decimal() takes for c is at most it (a decimal of two
 * places and any other that a double holds apart are two doubles), and so
 * when its index is at most a; a c above it may still round to it (taken
 * to nine places), so nothing is said there.
 */
static double ceiling_of(enum aqi_item item, int a)
{
	const int *bp = breakpoints[item];
	for (int i = 1; i < 8 && bp[i] >= 0; i++)
		if (a < iaqi_steps[i]) {
			int64_t di = iaqi_steps[i] - iaqi_steps[i - 1];
			int64_t hundredths = bp[i - 1] * 100 + (a - iaqi_steps[i - 1]) * (bp[i] - bp[i - 1]) * 100 / di;
			return (double)hundredths / 100;
		}
	return INFINITY;
}

static void make_whole_index(void)
{
	for (int item = 0; item < AQI_ITEMS; item++) {
		for (int c = 0; c <= WHOLE_MAX; c++)
			whole_index[item][c] = (short)index_of_decimal((enum aqi_item)item, c, 0);
		for (int t = 0; t <= TENTHS_MAX; t++)
			tenths_index[item][t] = (short)index_of_decimal((enum aqi_item)item, t, 1);
		for (int a = 0; a <= AQI_MAX; a++)
			aqi_ceilings[a][item] = ceiling_of((enum aqi_item)item, a);
	}
	atomic_store_explicit(&whole_index_made, true, memory_order_release);
}

/* What index_away_from_steps() gives for a concentration too near a point where the index steps. */
#define NEAR_A_STEP (-2)

/*
 * The index of a concentration c > 0 worked out in floating point, when c
 * lies well away from every point where the index steps, or NEAR_A_STEP.
 * Within a segment the index is I_lo + ceil(s) for s = (I_hi - I_lo)(C -
 * BP_lo) / (BP_hi - BP_lo), so it steps where s is an integer (at
 * breakpoints too).  The decimal index_of_decimal() takes for c lies within
 * 1.01e-9 of it up to the top breakpoint (half an ulp of c, then nine
 * decimals rounded up, or to nearest), which moves s by at most 25 times
 * that (CO's steepest slope, 50 / 2 mg/m³); s as computed here is off by
 * less than 1e-13.  So when s is more than 1e-6 from an integer, the written
 * decimal has the same segment and the same ceiling, and far enough above
 * the top breakpoint it has none.  Averages of several stations, of many
 * decimals, take this path rather than the search for their decimal.
 */
static int index_away_from_steps(enum aqi_item item, double c)
{
	const double margin = 1e-6;
	const int *bp = breakpoints[item];
	int i = 1;
	for (; i < 8 && bp[i] >= 0; i++) {
		if (c > bp[i])
			continue;
		double s = (c - bp[i - 1]) * (iaqi_steps[i] - iaqi_steps[i - 1]) / (bp[i] - bp[i - 1]);
		int below = (int)s; /* s >= 0, so its floor */
		if (s - below < margin || s - below > 1 - margin)
			return NEAR_A_STEP;
		return iaqi_steps[i - 1] + below + 1;
	}
	return c > bp[i - 1] + margin ? -1 : NEAR_A_STEP;
}

/*
 * The index of a concentration, or -1 for none, once the tables are made.  A
 * value of one decimal t/10 (not a whole one) is the double nearest t/10 for
 * no other t, and written_decimal() gives it as (t, 1): its index is
 * tenths_index[item][t].  Any other is worked out in floating point where
 * that is sure to give the written decimal's index, else from that decimal.
 */
static inline int individual_index(enum aqi_item item, double c)
{
	if (!(c >= 0))
		return -1;
	if (c <= WHOLE_MAX && c == (int)c)
		return whole_index[item][(int)c];
	if (c * 10 <= TENTHS_MAX && (double)(int)(c * 10 + 0.5) / 10 == c)
		return tenths_index[item][(int)(c * 10 + 0.5)];
	int iaqi = index_away_from_steps(item, c);
	if (iaqi != NEAR_A_STEP)
		return iaqi;
	int64_t m;
	int scale;
	return written_decimal(c, &m, &scale) ? index_of_decimal(item, m, scale) : -1;
}

void aqi_tables_need(void)
{
	if (!atomic_load_explicit(&whole_index_made, memory_order_acquire))
		pthread_once(&whole_index_once, make_whole_index);
}

bool aqi_individual(enum aqi_item item, double c, int *iaqi)
{
	aqi_tables_need();
	*iaqi = individual_index(item, c);
	return *iaqi >= 0;
}

/* The index of item k of c into iaqi, and the larger of it and best: each item's table a constant once unrolled. */
#define AQI_ITEM_INTO(k) (iaqi[k] = individual_index(k, c[k]), best = iaqi[k] > best ? iaqi[k] : best)

int aqi_individuals(const double c[AQI_ITEMS], int iaqi[AQI_ITEMS])
{
	aqi_tables_need();
	int best = -1;
	AQI_ITEM_INTO(AQI_SO2), AQI_ITEM_INTO(AQI_NO2), AQI_ITEM_INTO(AQI_PM10), AQI_ITEM_INTO(AQI_CO);
	AQI_ITEM_INTO(AQI_O3_1H), AQI_ITEM_INTO(AQI_O3_8H), AQI_ITEM_INTO(AQI_PM25);
	_Static_assert(AQI_ITEMS == 7, "every item is worked out");
	return best;
}
#undef AQI_ITEM_INTO

int aqi_level(double aqi)
{
	static const double tops[5] = {50, 100, 150, 200, 300};
	if (!(aqi >= 0))
		return 0;
	int level = 1;
	while (level <= 5 && aqi > tops[level - 1])
		level++;
	return level;
}

static const char *const categories[6] = {"优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"};
static const char *const grades[6] = {"一级", "二级", "三级", "四级", "五级", "六级"};

/* The bytes of a grade (two characters), and of the categories of levels 1–2 and of levels 3–6. */
#define GRADE_BYTES 6
#define GOOD_BYTES 3
#define POLLUTED_BYTES 12

/* The level of names[from..to) that s is, all of them bytes long (a constant where this is inlined), or 0. */
static inline __attribute__((always_inline)) int level_among(const char *s, const char *const *names, int from,
							     int to, size_t bytes)
{
	for (int i = from; i < to; i++)
		if (memcmp(s, names[i], bytes) == 0)
			return i + 1;
	return 0;
}

/* Compares a text with the names of its length alone, which the compiler compares without a call. */
int aqi_level_named(const char *s, size_t n)
{
	return n == GRADE_BYTES ? level_among(s, grades, 0, 6, GRADE_BYTES)
	     : n == GOOD_BYTES ? level_among(s, categories, 0, 2, GOOD_BYTES)
	     : n == POLLUTED_BYTES ? level_among(s, categories, 2, 6, POLLUTED_BYTES) : 0;
}

const char *aqi_category_name(int level)
{
	return level >= 1 && level <= 6 ? categories[level - 1] : NULL;
}

const char *aqi_grade_name(int level)
{
	return level >= 1 && level <= 6 ? grades[level - 1] : NULL;
}

/* Every set's names, made once: "" for none, "PM2.5、O3_8h" … ("O3" for the bare bit last). */
static char set_names[2u << AQI_ITEMS][64];
static pthread_once_t set_names_once = PTHREAD_ONCE_INIT;

static void make_set_names(void)
{
	for (unsigned set = 0; set < 2u << AQI_ITEMS; set++) {
		char *out = set_names[set];
		size_t used = 0;
		for (int i = 0; i <= AQI_ITEMS; i++)
			if (set & (1u << i))
				used += (size_t)snprintf(out + used, sizeof set_names[set] - used, "%s%s",
							 used ? "、" : "", i < AQI_ITEMS ? aqi_shown[i] : "O3");
	}
}

const char *aqi_item_names(unsigned set)
{
	pthread_once(&set_names_once, make_set_names);
	return set_names[set & ((2u << AQI_ITEMS) - 1)];
}

/* Reads one UTF-8 character of s[0..n) into *cp; returns its length (1 for a stray byte). */
static size_t next_char(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
	if (len > n)
		len = 1;
	*cp = len == 1 ? s[0] : s[0] & (0xFF >> (len + 1));
	for (size_t k = 1; k < len; k++)
		*cp = (*cp << 6) | (s[k] & 0x3F);
	return len;
}

/*
 * Folds one pollutant name for comparison: ASCII lower case; full-width forms
 * and subscript digits to ASCII; blanks, '-', '_', '·' and brackets of either
 * width dropped.  Writes at most size bytes; false if it does not fit.
 */
static bool fold_name(const unsigned char *s, size_t n, char *out, size_t size)
{
	size_t used = 0;
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = next_char(s + i, n - i, &cp);
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		if (cp >= 0x2080 && cp <= 0x2089)
			cp = '0' + (cp - 0x2080);
		if (cp >= 'A' && cp <= 'Z')
			cp += 'a' - 'A';
		bool dropped = cp == ' ' || cp == '\t' || cp == '-' || cp == '_' || cp == '(' || cp == ')' ||
			       cp == 0xB7 || cp == 0x3000;
		if (!dropped) {
			size_t bytes = cp < 0x80 ? 1 : len;
			if (used + bytes >= size)
				return false;
			if (cp < 0x80)
				out[used++] = (char)cp;
			else
				memcpy(out + used, s + i, bytes), used += bytes;
		}
		i += len;
	}
	out[used] = '\0';
	return true;
}

/* Folded names of each item; the last row is the bare O3. */
static const char *const item_aliases[AQI_ITEMS + 1][6] = {
	[AQI_SO2] = {"so2", "二氧化硫"},
	[AQI_NO2] = {"no2", "二氧化氮"},
	[AQI_PM10] = {"pm10", "可吸入颗粒物", "颗粒物pm10"},
	[AQI_CO] = {"co", "一氧化碳"},
	[AQI_O3_1H] = {"o31h", "o31小时", "臭氧1小时", "臭氧1h", "o3一小时"},
	[AQI_O3_8H] = {"o38h", "o38小时", "臭氧8小时", "臭氧8h", "o3八小时"},
	[AQI_PM25] = {"pm2.5", "pm25", "细颗粒物", "颗粒物pm2.5"},
	[AQI_ITEMS] = {"o3", "臭氧"},
};

/* True for a code point that separates names in a list: , 、 ； ; ， / */
static bool is_separator(unsigned cp)
{
	return cp == ',' || cp == ';' || cp == '/' || cp == 0x3001 || cp == 0xFF1B || cp == 0xFF0C ||
	       cp == 0xFF0F;
}

/* True if a name means "none": empty once folded, a dash of any kind, or 无. */
static bool means_none(const char *folded)
{
	return !*folded || !strcmp(folded, "无") ||
	       strspn(folded, "\xE2\x80\x94\x93") == strlen(folded); /* — and – */
}

bool aqi_item_set(const char *text, size_t n, unsigned *set)
{
	const unsigned char *s = (const unsigned char *)text;
	*set = 0;
	size_t start = 0;
	for (size_t i = 0; i <= n;) {
		unsigned cp = 0;
		size_t len = i < n ? next_char(s + i, n - i, &cp) : 1;
		if (i < n && !is_separator(cp)) {
			i += len;
			continue;
		}
		char name[64];
		if (!fold_name(s + start, i - start, name, sizeof name))
			return false;
		if (!means_none(name)) {
			int found = -1;
			for (int k = 0; k <= AQI_ITEMS && found < 0; k++)
				for (int a = 0; a < 6 && item_aliases[k][a]; a++)
					if (!strcmp(name, item_aliases[k][a]))
						found = k;
			if (found < 0)
				return false;
			*set |= 1u << found;
		}
		i += len;
		start = i;
	}
	return true;
}

bool aqi_same_items(unsigned a, unsigned b)
{
	const unsigned o3 = 1u << AQI_O3_1H | 1u << AQI_O3_8H;
	if ((a & ~(o3 | AQI_O3_ANY)) != (b & ~(o3 | AQI_O3_ANY)))
		return false;
	bool any_a = a & AQI_O3_ANY, any_b = b & AQI_O3_ANY;
	unsigned oa = a & o3, ob = b & o3;
	if (!any_a && !any_b)
		return oa == ob;
	if (any_a && any_b)
		return true;
	/* a bare O3 on one side stands for the O₃ item(s) the other names, at least one */
	return any_a ? (oa & ~ob) == 0 && (ob || oa) : (ob & ~oa) == 0 && (oa || ob);
}

/* GB 3838-2002 Table 1, Class Ⅰ–Ⅴ limits in mg/L (faecal coliforms per litre); DO is a minimum. */
static const struct {
	const char *name;
	double limits[5];
} water_table[W_ITEMS + 1] = {
	[W_PH] = {"ph", {6, 6, 6, 6, 6}}, /* 6–9 in every class: see water_class_of */
	[W_DO] = {"do", {7.5, 6, 5, 3, 2}},
	[W_CODMN] = {"codmn", {2, 4, 6, 10, 15}},
	[W_COD] = {"cod", {15, 15, 20, 30, 40}},
	[W_BOD5] = {"bod5", {3, 3, 4, 6, 10}},
	[W_NH3N] = {"nh3n", {0.15, 0.5, 1.0, 1.5, 2.0}},
	[W_TP] = {"tp", {0.02, 0.1, 0.2, 0.3, 0.4}},
	[W_TN] = {"tn", {0.2, 0.5, 1.0, 1.5, 2.0}},
	[W_CU] = {"cu", {0.01, 1.0, 1.0, 1.0, 1.0}},
	[W_ZN] = {"zn", {0.05, 1.0, 1.0, 2.0, 2.0}},
	[W_FLUORIDE] = {"fluoride", {1.0, 1.0, 1.0, 1.5, 1.5}},
	[W_SE] = {"se", {0.01, 0.01, 0.01, 0.02, 0.02}},
	[W_AS] = {"as", {0.05, 0.05, 0.05, 0.1, 0.1}},
	[W_HG] = {"hg", {0.00005, 0.00005, 0.0001, 0.001, 0.001}},
	[W_CD] = {"cd", {0.001, 0.005, 0.005, 0.005, 0.01}},
	[W_CR6] = {"cr6", {0.01, 0.05, 0.05, 0.05, 0.1}},
	[W_PB] = {"pb", {0.01, 0.01, 0.05, 0.05, 0.1}},
	[W_CN] = {"cn", {0.005, 0.05, 0.2, 0.2, 0.2}},
	[W_PHENOL] = {"phenol", {0.002, 0.002, 0.005, 0.01, 0.1}},
	[W_OIL] = {"oil", {0.05, 0.05, 0.05, 0.5, 1.0}},
	[W_LAS] = {"las", {0.2, 0.2, 0.2, 0.3, 0.3}},
	[W_SULFIDE] = {"sulfide", {0.05, 0.1, 0.2, 0.5, 1.0}},
	[W_FECAL] = {"fecal_coliform", {200, 2000, 10000, 20000, 40000}},
	[W_TP_LAKE] = {"tp_lake", {0.01, 0.025, 0.05, 0.1, 0.2}},
};

int water_item(const char *name)
{
	for (int i = 0; i <= W_ITEMS; i++)
		if (strcmp(name, water_table[i].name) == 0)
			return i;
	return -1;
}

int water_class_of(enum water_item item, double v, bool lake)
{
	if (item == W_PH)
		return v >= 6 && v <= 9 ? 1 : 6;
	if (item == W_TN && !lake)
		return 0; /* total nitrogen is judged for lakes and reservoirs only */
	if (item == W_TP && lake)
		item = W_TP_LAKE;
	for (int cls = 0; cls < 5; cls++)
		if (item == W_DO ? v >= water_table[item].limits[cls] : v <= water_table[item].limits[cls])
			return cls + 1; /* where two classes share a limit, the better one */
	return 6;
}

const double *water_limits(enum water_item item)
{
	return water_table[item].limits;
}

const char *water_item_name(enum water_item item)
{
	return water_table[item].name;
}

const char *water_class_name(int cls)
{
	static const char *const names[6] = {"Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"};
	return cls >= 1 && cls <= 6 ? names[cls - 1] : NULL;
}
