/* termtext.c — control characters written visibly for terminals. */
#include "termtext.h"
#include "utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * True for the characters that show as nothing: zero-width spaces and joiners,
 * direction marks (U+200B–U+200F), the word joiner U+2060 and U+FEFF.  A cell
 * that seems empty or that seems to equal another may hold one.
 */
static bool shows_as_nothing(uint32_t cp)
{
	return (cp >= 0x200B && cp <= 0x200F) || cp == 0x2060 || cp == 0xFEFF;
}

static const char hex[] = "0123456789abcdef";

/* Appends a character that shows as nothing as \uXXXX. */
static void add_unicode_escape(struct buf *b, uint32_t cp)
{
	char esc[6] = {'\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15], hex[cp & 15]};
	buf_add(b, esc, sizeof esc);
}

/* Appends one code point or byte as \xNN. */
static void add_hex(struct buf *b, unsigned v)
{
	char esc[4] = {'\\', 'x', hex[(v >> 4) & 15], hex[v & 15]};
	buf_add(b, esc, sizeof esc);
}

void termtext_add(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		const unsigned char *run = p;
		for (;;) { /* plain ASCII and printable characters past it (CJK, the usual text): one copy */
			while (p < end && *p >= 0x20 && *p < 0x7F)
				p++;
			uint32_t cp;
			size_t len = p < end && *p >= 0x80 ? utf8_decode(p, (size_t)(end - p), &cp) : 0;
			if (!len || cp <= 0x9F || shows_as_nothing(cp))
				break;
			p += len;
		}
		buf_add(b, run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p < 0x80) {
			add_hex(b, *p++);
			continue;
		}
		uint32_t cp;
		size_t len = utf8_decode(p, (size_t)(end - p), &cp);
		if (len == 0)
			add_hex(b, *p++);
		else if (cp <= 0x9F)
			add_hex(b, cp), p += len;
		else if (shows_as_nothing(cp))
			add_unicode_escape(b, cp), p += len;
		else
			buf_add(b, p, len), p += len;
	}
	buf_add(b, "", 0); /* an empty text still leaves a NUL-terminated buffer */
}

void termtext_adds(struct buf *b, const char *s) { termtext_add(b, s, strlen(s)); }
