/*
 * standards.h — the national standards the rule functions compute with: the
 * air quality index of HJ 633-2012 (its seven daily items, individual indexes
 * rounded up to integers in exact arithmetic, levels and categories, the
 * names of primary and exceeding pollutants) and the surface-water classes of
 * GB 3838-2002 Table 1 (domain.md §3, §4 and §8).  Every function is pure;
 * the strings it returns are static.
 */
#ifndef QY_STANDARDS_H
#define QY_STANDARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The seven items of an HJ 633-2012 daily report, in the order of its Table 1. */
enum aqi_item { AQI_SO2, AQI_NO2, AQI_PM10, AQI_CO, AQI_O3_1H, AQI_O3_8H, AQI_PM25, AQI_ITEMS };

/* A set of AQI items, one bit each; AQI_O3_ANY stands for "O3" written without its period. */
#define AQI_O3_ANY (1u << AQI_ITEMS)

/* Returns the item of a name used in rules (so2 no2 pm10 co o3_1h o3_8h pm25), or -1. */
int aqi_item(const char *name);

/*
 * The individual index (IAQI) of a concentration (CO in mg/m³, the rest in
 * μg/m³; daily items: 24-hour means, O₃ its daily maximum 1-hour and 8-hour
 * values), rounded up to an integer as HJ 633-2012 requires.  Computed on the
 * decimal the value was written as, in integer arithmetic, so a value on a
 * breakpoint and every value between give the standard's integer.  False for
 * a negative value, one above the top breakpoint, and O₃-8h above 800 μg/m³
 * (HJ 633: that day's O₃ index comes from the 1-hour value alone).
 */
bool aqi_individual(enum aqi_item item, double concentration, int *iaqi);

/* Makes the tables of indexes (aqi_ceilings among them), once for the process: before they are read on a thread. */
void aqi_tables_need(void);

/* The highest index HJ 633-2012 gives. */
#define AQI_MAX 500

/*
 * Per index a of 0 … AQI_MAX, per item, the highest concentration whose
 * index is at most a (+inf when every index of the item is), made by
 * aqi_tables_need(): a concentration no higher has an index of at most a,
 * or none, exactly as aqi_individual() works it out; a higher one may have
 * any.
 */
extern double aqi_ceilings[AQI_MAX + 1][8];

/* The individual indexes of the seven items at once, in Table 1 order: -1 where aqi_individual() gives none; returns the largest. */
int aqi_individuals(const double concentration[AQI_ITEMS], int iaqi[AQI_ITEMS]);

/*
 * HJ 633-2012 Table 1 as data, for a self-check: the concentrations at which
 * an item's index reaches its steps (the IAQI of breakpoint i is step i), and
 * how many there are.
 */
const int *aqi_breakpoints(enum aqi_item item, int *count);
int aqi_step(int i);

/* The item's name as rules write it (so2 …) and as reports show it (SO2 …). */
const char *aqi_item_name(enum aqi_item item);

/* The AQI level 1–6 (一级 … 六级) of an AQI value; 0 for a negative one. */
int aqi_level(double aqi);

/* The level named by a 级别 (一级 … 六级) or 类别 (优 … 严重污染) text, or 0. */
int aqi_level_named(const char *s, size_t n);

/* The 类别 (优, 良, 轻度污染 …) and the 级别 (一级 …) of a level 1–6. */
const char *aqi_category_name(int level);
const char *aqi_grade_name(int level);

/* The names of a set of items in Table 1 order, joined by "、" ("" for none). */
const char *aqi_item_names(unsigned set);

/*
 * Reads a list of pollutant names (PM2.5, 细颗粒物, O₃-8h, 臭氧8小时 …,
 * separated by , 、 ； ; ， / or blanks; "—", "无" or nothing for none) into
 * a set.  False if a name is unknown.
 */
bool aqi_item_set(const char *s, size_t n, unsigned *set);

/* True if two sets name the same pollutants, a bare "O3" standing for either O₃ item. */
bool aqi_same_items(unsigned a, unsigned b);

/* GB 3838-2002 Table 1 items (water temperature aside), as rules name them. */
enum water_item {
	W_PH, W_DO, W_CODMN, W_COD, W_BOD5, W_NH3N, W_TP, W_TN, W_CU, W_ZN, W_FLUORIDE, W_SE,
	W_AS, W_HG, W_CD, W_CR6, W_PB, W_CN, W_PHENOL, W_OIL, W_LAS, W_SULFIDE, W_FECAL,
	W_ITEMS, W_TP_LAKE = W_ITEMS /* the lake limits of TP, as an item of their own */
};

/* Returns the item of a name used in rules (ph, do, codmn, … tp_lake), or -1. */
int water_item(const char *name);

/*
 * The GB 3838-2002 class of one measurement: 1–5, or 6 for worse than Ⅴ
 * (劣Ⅴ).  Where two classes share a limit, a value at it is the better class.
 * lake selects the lakes-and-reservoirs limits of total phosphorus; total
 * nitrogen has limits only for lakes and reservoirs, so for a river it has no
 * class (0).
 */
int water_class_of(enum water_item item, double value, bool lake);

/* GB 3838-2002 Table 1 as data, for a self-check: the Class Ⅰ–Ⅴ limits and the name of an item. */
const double *water_limits(enum water_item item);
const char *water_item_name(enum water_item item);

/* The class's name: Ⅰ … Ⅴ, 劣Ⅴ; NULL outside 1–6. */
const char *water_class_name(int cls);

#endif
