/* jsonpos.c — a position-keeping JSON skimmer for error messages. */
#include "jsonpos.h"

#include <stdlib.h>
#include <string.h>

struct scan {
	const char *s;
	size_t n, i;
	int depth;
};

static void skip_ws(struct scan *sc)
{
	while (sc->i < sc->n && strchr(" \t\r\n", sc->s[sc->i]) && sc->s[sc->i])
		sc->i++;
}

/* True for a byte that ends a scalar: a separator, a closing bracket or a blank (never NUL). */
static bool ends_scalar(char c)
{
	return c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips a string starting at its opening quote. */
static void skip_string(struct scan *sc)
{
	sc->i++;
	while (sc->i < sc->n && sc->s[sc->i] != '"')
		sc->i += sc->s[sc->i] == '\\' ? 2 : 1;
	sc->i++;
}

/* Skips any value; depth-limited so hostile nesting cannot exhaust the stack. */
static bool skip_value(struct scan *sc)
{
	skip_ws(sc);
	if (sc->i >= sc->n)
		return false;
	char c = sc->s[sc->i];
	if (c == '"') {
		skip_string(sc);
		return true;
	}
	if (c != '{' && c != '[') { /* a scalar, or a stray byte (a NUL, a '}' in an array): at least one byte */
		do
			sc->i++;
		while (sc->i < sc->n && !ends_scalar(sc->s[sc->i]));
		return true;
	}
	if (++sc->depth > 1000)
		return false;
	char close = c == '{' ? '}' : ']';
	sc->i++;
	for (;;) {
		skip_ws(sc);
		if (sc->i >= sc->n)
			return false;
		if (sc->s[sc->i] == close) {
			sc->i++;
			sc->depth--;
			return true;
		}
		if (sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (c == '{') {
			skip_string(sc);
			skip_ws(sc);
			sc->i++; /* ':' */
		}
		if (!skip_value(sc))
			return false;
	}
}

/* Moves into the member key (of length klen) of the object at sc->i. */
static bool enter_key(struct scan *sc, const char *key, size_t klen, size_t *key_at)
{
	skip_ws(sc);
	if (sc->i >= sc->n || sc->s[sc->i] != '{')
		return false;
	sc->i++;
	for (;;) {
		skip_ws(sc);
		if (sc->i >= sc->n || sc->s[sc->i] == '}')
			return false;
		if (sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		size_t start = sc->i;
		skip_string(sc);
		bool match = sc->i - start - 2 == klen && memcmp(sc->s + start + 1, key, klen) == 0;
		skip_ws(sc);
		sc->i++; /* ':' */
		if (match) {
			*key_at = start;
			skip_ws(sc);
			return true;
		}
		if (!skip_value(sc))
			return false;
	}
}

/* Moves into element idx of the array at sc->i. */
static bool enter_index(struct scan *sc, long idx)
{
	skip_ws(sc);
	if (sc->i >= sc->n || sc->s[sc->i] != '[')
		return false;
	sc->i++;
	for (long k = 0;; k++) {
		skip_ws(sc);
		if (sc->i >= sc->n || sc->s[sc->i] == ']')
			return false;
		if (k == idx)
			return true;
		if (!skip_value(sc))
			return false;
		skip_ws(sc);
		if (sc->i < sc->n && sc->s[sc->i] == ',')
			sc->i++;
	}
}

bool jsonpos_find(const char *text, size_t len, const char *path, bool at_key,
		  int *line, int *col)
{
	struct scan sc = {text, len, 0, 0};
	size_t at = 0, key_at = 0;
	bool last_was_key = false;
	const char *p = path;
	while (*p) {
		if (*p == '[') {
			char *end;
			long idx = strtol(p + 1, &end, 10);
			if (*end != ']' || !enter_index(&sc, idx))
				return false;
			p = end + 1;
			last_was_key = false;
		} else {
			if (*p == '.')
				p++;
			size_t klen = strcspn(p, ".[");
			if (!enter_key(&sc, p, klen, &key_at))
				return false;
			p += klen;
			last_was_key = true;
		}
	}
	skip_ws(&sc);
	at = at_key && last_was_key ? key_at : sc.i;
	jsonpos_of_offset(text, at < len ? at : len, line, col);
	return true;
}

void jsonpos_of_offset(const char *text, size_t at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < at; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}
