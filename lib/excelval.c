/*
 * excelval.c — numbers and date serials as Excel shows them.  A number
 * format is read only as far as the checker needs: is it a date, a time, a
 * month, a percentage; the digits themselves are always Excel's 15
 * significant ones, so 35.299999999999997 reads 35.3 whatever the format.
 */
#include "excelval.h"
#include "celltype.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 9999-12-31, Excel's last day, in days since 1970-01-01. */
#define LAST_DAY 2932896.0
/* 1970-01-01 as a serial of the 1900 and of the 1904 date system. */
#define EPOCH_1900 25569.0
#define EPOCH_1904 24107.0

/* Shapes of the built-in formats that are not plain numbers (Chinese locale ids 27–36, 50–58). */
static enum excel_shape builtin_shape(int id)
{
	switch (id) {
	case 9: case 10:
		return SHAPE_PERCENT;
	case 14: case 15: case 16: case 28: case 29: case 30: case 31:
	case 51: case 53: case 54: case 58:
		return SHAPE_DATE;
	case 17: case 27: case 36: case 50: case 52: case 57:
		return SHAPE_MONTH;
	case 18: case 19: case 20: case 21: case 32: case 33: case 34: case 35:
	case 45: case 46: case 47: case 55: case 56:
		return SHAPE_TIME;
	case 22:
		return SHAPE_DATETIME;
	default:
		return SHAPE_NUMBER;
	}
}

/* The date and time letters of a format section, m told apart as month or minute. */
struct format_tokens {
	bool year, month, day, hour, minute, second, percent;
};

/*
 * Reads the first section of a format code: quoted text, escaped characters,
 * fill and padding characters and [colour]/[$-804] brackets say nothing;
 * [h]/[mm]/[ss] and AM/PM are times.  An m is a minute after an h or before
 * an s, else a month.
 */
static struct format_tokens read_tokens(const char *code)
{
	struct format_tokens t = {0};
	char seq[64];
	size_t n = 0;
	for (const char *p = code; *p && *p != ';'; p++) {
		char c = (char)tolower((unsigned char)*p);
		if (c == '"') {
			while (p[1] && p[1] != '"')
				p++;
			if (p[1])
				p++;
		} else if (c == '\\' || c == '_' || c == '*') {
			if (p[1])
				p++;
		} else if (c == '[') {
			char lead = (char)tolower((unsigned char)p[1]);
			if ((lead == 'h' || lead == 'm' || lead == 's') && n < sizeof seq)
				seq[n++] = 'h'; /* elapsed time: an m after it is minutes */
			while (p[1] && p[1] != ']')
				p++;
			if (p[1])
				p++;
		} else if (strncasecmp(p, "am/pm", 5) == 0 || strncasecmp(p, "a/p", 3) == 0) {
			t.hour = true;
			p += c == 'a' && tolower((unsigned char)p[1]) == 'm' ? 4 : 2;
		} else if (c == '%') {
			t.percent = true;
		} else if (strchr("ymdhs", c) && c && (n == 0 || seq[n - 1] != c) && n < sizeof seq) {
			seq[n++] = c;
		}
	}
	for (size_t i = 0; i < n; i++) {
		switch (seq[i]) {
		case 'y': t.year = true; break;
		case 'd': t.day = true; break;
		case 'h': t.hour = true; break;
		case 's': t.second = true; break;
		case 'm':
			if ((i > 0 && seq[i - 1] == 'h') || (i + 1 < n && seq[i + 1] == 's'))
				t.minute = true;
			else
				t.month = true;
			break;
		}
	}
	return t;
}

enum excel_shape excel_format_shape(int id, const char *code)
{
	if (!code || !*code)
		return builtin_shape(id);
	struct format_tokens t = read_tokens(code);
	bool date = t.year || t.month || t.day, time = t.hour || t.minute || t.second;
	if (date && time)
		return SHAPE_DATETIME;
	if (date)
		return t.day || !t.year ? SHAPE_DATE : t.month ? SHAPE_MONTH : SHAPE_YEAR;
	if (time)
		return SHAPE_TIME;
	return t.percent ? SHAPE_PERCENT : SHAPE_NUMBER;
}

void excel_number_text(double v, struct buf *out)
{
	if (v == 0) {
		buf_addc(out, '0');
		return;
	}
	if (!isfinite(v)) {
		buf_adds(out, "#NUM!");
		return;
	}
	char e[40], digits[16];
	snprintf(e, sizeof e, "%.14e", v); /* [-]d.dddddddddddddde±XX: 15 significant digits */
	const char *p = e;
	if (*p == '-') {
		buf_addc(out, '-');
		p++;
	}
	int nd = 0;
	digits[nd++] = *p++;
	for (p++; *p != 'e'; p++)
		digits[nd++] = *p;
	int exp = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp >= 15 || exp < -9) {
		buf_addc(out, digits[0]);
		if (nd > 1) {
			buf_addc(out, '.');
			buf_add(out, digits + 1, (size_t)nd - 1);
		}
		buf_addf(out, "E%c%02d", exp < 0 ? '-' : '+', abs(exp));
	} else if (exp >= 0) {
		for (int i = 0; i <= exp; i++)
			buf_addc(out, i < nd ? digits[i] : '0');
		if (nd > exp + 1) {
			buf_addc(out, '.');
			buf_add(out, digits + exp + 1, (size_t)(nd - exp - 1));
		}
	} else {
		buf_adds(out, "0.");
		for (int i = -1; i > exp; i--)
			buf_addc(out, '0');
		buf_add(out, digits, (size_t)nd);
	}
}

bool excel_serial_days(double serial, bool date1904, double *days, long *seconds, int *fake_day)
{
	*fake_day = -1;
	if (!(serial >= 0))
		return false;
	double whole = floor(serial);
	long secs = lround((serial - whole) * 86400.0);
	if (secs >= 86400)
		secs -= 86400, whole += 1;
	*seconds = secs;
	if (date1904) {
		*days = whole - EPOCH_1904;
	} else if (whole == 0 || whole == 60) {
		*fake_day = (int)whole; /* 1900-01-00 and 1900-02-29, which Excel shows */
		return false;
	} else {
		*days = whole < 60 ? whole - EPOCH_1900 + 1 : whole - EPOCH_1900;
	}
	return *days <= LAST_DAY;
}

void excel_value_text(double v, enum excel_shape shape, bool date1904, struct buf *out)
{
	if (shape == SHAPE_NUMBER) {
		excel_number_text(v, out);
		return;
	}
	if (shape == SHAPE_PERCENT) {
		excel_number_text(v * 100, out);
		buf_addc(out, '%');
		return;
	}
	double days;
	long secs;
	int fake, y = 1900, m = 1, d = 0;
	if (excel_serial_days(v, date1904, &days, &secs, &fake))
		civil_from_days(days, &y, &m, &d);
	else if (fake == 60)
		m = 2, d = 29;
	else if (fake < 0) {
		excel_number_text(v, out); /* Excel shows ####: the checker sees the number */
		return;
	}
	switch (shape) {
	case SHAPE_DATE: buf_addf(out, "%04d-%02d-%02d", y, m, d); break;
	case SHAPE_MONTH: buf_addf(out, "%04d-%02d", y, m); break;
	case SHAPE_YEAR: buf_addf(out, "%04d", y); break;
	case SHAPE_DATETIME:
		buf_addf(out, "%04d-%02d-%02d %02ld:%02ld:%02ld", y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
		break;
	default:
		buf_addf(out, "%02ld:%02ld:%02ld", secs / 3600, secs / 60 % 60, secs % 60);
		break;
	}
}
