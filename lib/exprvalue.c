/*
 * exprvalue.c — values apart from any expression: their order (plain and
 * natural), their text, their JSON, and the bytes that key a group by them.
 */
#include "expr.h"
#include "celltype.h"
#include "jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int value_order(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->type != V_STR)
		return (a->num > b->num) - (a->num < b->num);
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->str, b->str, n) : 0;
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/*
 * Compares texts in natural order, a run of digits against a run of digits by
 * value, the rest bytewise.  Where they first differ decides it bytewise, as
 * the usual identifiers (QY-AQ-0001, QY-AQ-0002) do, when neither byte there
 * is a digit, or both are and their runs end together: the runs before are
 * the same bytes, and digit runs of one length compare by value as bytewise.
 */
static int natural_order(const unsigned char *a, size_t na, const unsigned char *b, size_t nb)
{
	size_t p = 0, n = na < nb ? na : nb;
	while (p < n && a[p] == b[p])
		p++;
	if (p < n && is_digit(a[p]) == is_digit(b[p])) {
		size_t ea = p, eb = p;
		while (ea < na && is_digit(a[ea]))
			ea++;
		while (eb < nb && is_digit(b[eb]))
			eb++;
		if (ea == eb)
			return a[p] < b[p] ? -1 : 1;
	}
	size_t i = 0, j = 0;
	while (i < na && j < nb) {
		if (!is_digit(a[i]) || !is_digit(b[j])) {
			if (a[i] != b[j])
				return a[i] < b[j] ? -1 : 1;
			i++, j++;
			continue;
		}
		size_t zi = i, zj = j, ei, ej;
		while (zi < na && a[zi] == '0')
			zi++;
		while (zj < nb && b[zj] == '0')
			zj++;
		for (ei = zi; ei < na && is_digit(a[ei]); ei++)
			;
		for (ej = zj; ej < nb && is_digit(b[ej]); ej++)
			;
		if (ei - zi != ej - zj) /* more significant digits: the larger number */
			return ei - zi < ej - zj ? -1 : 1;
		int c = memcmp(a + zi, b + zj, ei - zi);
		if (c)
			return c;
		if (ei - i != ej - j) /* the same number: fewer leading zeros first */
			return ei - i < ej - j ? -1 : 1;
		i = ei, j = ej;
	}
	return (na - i > nb - j) - (na - i < nb - j);
}

int value_order_natural(const struct value *a, const struct value *b)
{
	if (a->type != V_STR || b->type != V_STR)
		return value_order(a, b);
	return natural_order((const unsigned char *)a->str, a->len, (const unsigned char *)b->str, b->len);
}

/*
 * Writes x, neither whole nor as large as 1e9, to four decimals as "%.4f"
 * would, into tmp; returns its length, or 0 when x*10000 lies so near a
 * half that the product's rounding error could decide it (then printf's
 * exact decimal must).  The product's error is under 0.002 for |x| < 1e9.
 */
static size_t four_decimals(double x, char *tmp)
{
	double scaled = fabs(x) * 10000.0, whole = floor(scaled);
	if (fabs(scaled - whole - 0.5) < 0.01)
		return 0;
	unsigned long long r = (unsigned long long)whole + (scaled - whole > 0.5);
	size_t len = 0;
	if (x < 0)
		tmp[len++] = '-';
	len += decimal_put(tmp + len, r / 10000);
	unsigned frac = (unsigned)(r % 10000);
	if (frac) {
		tmp[len++] = '.';
		for (unsigned unit = 1000; frac; unit /= 10) {
			tmp[len++] = (char)('0' + frac / unit);
			frac %= unit;
		}
	}
	return len;
}

/* Writes x as value_format does: whole numbers in full, others to four decimals without trailing zeros. */
static void number_format(double x, struct buf *out)
{
	char tmp[64];
	if (!(fabs(x) < 1e15)) {
		buf_addf(out, "%.15g", x);
		return;
	}
	size_t len;
	if (x == floor(x)) {
		len = 0;
		if (signbit(x))
			tmp[len++] = '-';
		len += decimal_put(tmp + len, (unsigned long long)fabs(x));
	} else if (!(fabs(x) < 1e9) || !(len = four_decimals(x, tmp))) {
		snprintf(tmp, sizeof tmp, "%.4f", x);
		len = strlen(tmp);
		while (len && tmp[len - 1] == '0')
			len--;
		if (len && tmp[len - 1] == '.')
			len--;
	}
	buf_add(out, tmp, len);
}

void value_format(const struct value *v, struct buf *out)
{
	char tmp[64];
	switch (v->type) {
	case V_NUM: number_format(v->num, out); break;
	case V_STR: buf_add(out, v->str, v->len); break;
	case V_DATE: format_date(v->num, tmp); buf_adds(out, tmp); break;
	case V_BOOL: buf_adds(out, v->num ? "true" : "false"); break;
	default: buf_adds(out, "null");
	}
}

void value_json(const struct value *v, struct buf *out)
{
	switch (v->type) {
	case V_NUM: case V_BOOL: value_format(v, out); break;
	case V_STR: jsonw_string(out, v->str, v->len); break;
	case V_DATE: {
		struct buf t = {0};
		value_format(v, &t);
		jsonw_string(out, t.data, t.len);
		buf_free(&t);
		break;
	}
	default: buf_adds(out, "null");
	}
}

void values_object_json(const char *const *names, const struct value *v, size_t n, struct buf *out)
{
	buf_addc(out, '{');
	for (size_t k = 0; k < n; k++) {
		jsonw_key(out, names[k]);
		value_json(&v[k], out);
	}
	buf_addc(out, '}');
}

void value_key(struct buf *key, const struct value *v)
{
	buf_addc(key, (char)('0' + v->type));
	if (v->type == V_STR) {
		uint32_t len = (uint32_t)v->len;
		buf_add(key, &len, sizeof len);
		buf_add(key, v->str, v->len);
	} else {
		buf_add(key, &v->num, sizeof v->num);
	}
}
