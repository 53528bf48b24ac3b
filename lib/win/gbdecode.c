/* gbdecode.c — one GBK or GB18030 character at a time, as glibc decodes it. */
#include "gbdecode.h"

/* The code point of a four-byte sequence by its linear index, or 0 (a binary search of the runs). */
static uint32_t four_byte(uint32_t index)
{
	unsigned lo = 0, hi = gb18030_four_byte_runs - 1; /* the last run only marks the end */
	if (index >= gb18030_four_byte[hi].index)
		return 0;
	while (hi - lo > 1) {
		unsigned mid = lo + (hi - lo) / 2;
		if (gb18030_four_byte[mid].index <= index)
			lo = mid;
		else
			hi = mid;
	}
	const struct gb_run *r = &gb18030_four_byte[lo];
	return r->cp ? r->cp + (index - r->index) : 0;
}

int gb_decode(const unsigned char *s, size_t n, bool gbk, uint32_t *cp)
{
	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (gbk && s[0] == 0x80) { /* glibc's GBK, like code page 936, reads it as the euro sign */
		*cp = 0x20AC;
		return 1;
	}
	if (s[0] == 0x80 || s[0] == 0xFF)
		return -1;
	if (n < 2)
		return 0;
	if (!gbk && s[1] >= 0x30 && s[1] <= 0x39) {
		if (n < 4)
			return 0;
		if (s[2] < 0x81 || s[2] > 0xFE || s[3] < 0x30 || s[3] > 0x39)
			return -1;
		uint32_t index = (((uint32_t)(s[0] - 0x81) * 10 + (s[1] - 0x30)) * 126 + (s[2] - 0x81)) * 10 + (s[3] - 0x30);
		*cp = four_byte(index);
		return *cp ? 4 : -1;
	}
	if (s[1] < 0x40 || s[1] == 0x7F || s[1] == 0xFF)
		return -1;
	size_t cell = (size_t)(s[0] - 0x81) * 190 + (s[1] - 0x40) - (s[1] > 0x7F);
	*cp = (gbk ? gbk_two_byte : gb18030_two_byte)[cell];
	return *cp ? 2 : -1;
}
