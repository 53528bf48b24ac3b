/*
 * standards.h — the national standards the rule functions compute with:
 * the individual air quality index of HJ 633-2012 and the surface-water
 * quality class of GB 3838-2002 (tables in domain.md §3 and §4).
 */
#ifndef QY_STANDARDS_H
#define QY_STANDARDS_H

#include <stdbool.h>

/* Returns the index of an AQI pollutant name (pm25, pm10, so2, no2, co, o3_8h), or -1. */
int aqi_pollutant(const char *name);

/*
 * Individual AQI of a 24-hour concentration (O₃: daily maximum 8-hour); CO in
 * mg/m³, the rest in μg/m³.  Not rounded.  Returns false for a negative value
 * or one above the top breakpoint (O₃-8h above 800 needs the 1-hour value).
 */
bool aqi_individual(int pollutant, double concentration, double *iaqi);

/* Returns the index of a water parameter (do, codmn, cod, bod5, nh3n, tp, tp_lake, ph), or -1. */
int water_param(const char *name);

/* GB 3838 class of one measurement: 1–5, or 6 for worse than Ⅴ (劣Ⅴ). */
int water_class_of(int param, double value);

#endif
