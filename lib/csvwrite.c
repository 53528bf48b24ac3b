/* csvwrite.c — CSV cells with the quoting they need. */
#include "csvwrite.h"

#include <string.h>

void csvw_cell(struct buf *out, const char *s, size_t n, unsigned char delim)
{
	bool quote = false;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == (char)delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		buf_add(out, s, n);
		return;
	}
	buf_addc(out, '"');
	for (const char *p = s, *end = s + n; p < end;) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		size_t run = q ? (size_t)(q - p) + 1 : (size_t)(end - p);
		buf_add(out, p, run);
		if (q)
			buf_addc(out, '"');
		p += run;
	}
	buf_addc(out, '"');
}
