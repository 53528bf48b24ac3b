/* fnmatch.c — shell patterns for Windows (see fnmatch.h). */
#include "fnmatch.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* Whether c is in the class named by name[0..n) ("digit"); *known says whether the name is one. */
static bool in_class(const char *name, size_t n, unsigned char c, bool *known)
{
	static const struct { const char *name; int (*test)(int); } classes[] = {
		{"alnum", isalnum}, {"alpha", isalpha}, {"blank", isblank}, {"cntrl", iscntrl},
		{"digit", isdigit}, {"graph", isgraph}, {"lower", islower}, {"print", isprint},
		{"punct", ispunct}, {"space", isspace}, {"upper", isupper}, {"xdigit", isxdigit},
	};
	for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
		if (strlen(classes[i].name) == n && memcmp(classes[i].name, name, n) == 0) {
			*known = true;
			return c < 0x80 && classes[i].test(c);
		}
	*known = false;
	return false;
}

/*
 * Matches c against the bracket expression starting after '[' at p; returns
 * the pattern just past its ']' and sets *hit, or NULL when the bracket is
 * not closed (then '[' is an ordinary character).
 */
static const char *bracket(const char *p, unsigned char c, bool *hit)
{
	bool negate = *p == '!' || *p == '^';
	if (negate)
		p++;
	bool found = false, first = true;
	while (first || *p != ']') {
		first = false;
		if (!*p)
			return NULL;
		if (p[0] == '[' && p[1] == ':') {
			const char *end = strstr(p + 2, ":]");
			bool known = false, in = end && in_class(p + 2, (size_t)(end - p - 2), c, &known);
			if (known) {
				found |= in;
				p = end + 2;
				continue;
			}
		}
		unsigned char lo = (unsigned char)*p++;
		if (lo == '\\' && *p)
			lo = (unsigned char)*p++;
		unsigned char hi = lo;
		if (p[0] == '-' && p[1] && p[1] != ']') {
			p++;
			hi = (unsigned char)*p++;
			if (hi == '\\' && *p)
				hi = (unsigned char)*p++;
		}
		if (lo <= c && c <= hi)
			found = true;
	}
	*hit = found != negate;
	return p + 1;
}

int fnmatch(const char *pattern, const char *string, int flags)
{
	(void)flags;
	const char *p = pattern, *s = string, *star = NULL, *resume = NULL;
	while (*s) {
		bool hit = false;
		const char *next = NULL;
		if (*p == '*') {
			while (*p == '*')
				p++;
			star = p;
			resume = s;
			continue;
		}
		if (*p == '?') {
			hit = true, next = p + 1;
		} else if (*p == '[' && (next = bracket(p + 1, (unsigned char)*s, &hit))) {
			/* matched or not as a bracket expression */
		} else if (p[0] == '\\' && !p[1]) {
			return FNM_NOMATCH; /* a pattern cannot end in a lone escape */
		} else {
			const char *lit = *p == '\\' ? p + 1 : p;
			hit = *lit && *lit == *s;
			next = lit + 1;
		}
		if (hit) {
			p = next;
			s++;
		} else if (star) {
			p = star;
			s = ++resume;
		} else {
			return FNM_NOMATCH;
		}
	}
	while (*p == '*')
		p++;
	return *p ? FNM_NOMATCH : 0;
}
