/* jsonload.c — reading rule files with jansson and reporting mistakes at their position. */
#include "jsonload.h"
#include "jsonpos.h"
#include "rulefiles.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *loader_open(struct loader *L, const char *path)
{
	char why[256];
	memset(L, 0, sizeof *L);
	L->path = path;
	L->text = rulefiles_read(path, &L->len, why, sizeof why);
	if (!L->text) {
		warnmsg("%s: cannot read rule set: %s", path, why);
		return NULL;
	}
	if (L->len >= 3 && memcmp(L->text, "\xEF\xBB\xBF", 3) == 0) { /* a BOM, as Windows editors write */
		L->len -= 3;
		memmove(L->text, L->text + 3, L->len + 1);
	}
	const char *nul = memchr(L->text, '\0', L->len);
	if (nul) { /* which jansson would pass over outside a string */
		int line, col;
		jsonpos_of_offset(L->text, (size_t)(nul - L->text), &line, &col);
		warnmsg("%s:%d:%d: a NUL byte: a rule file is text", path, line, col);
		free(L->text);
		L->text = NULL;
		return NULL;
	}
	json_error_t jerr;
	json_t *root = json_loadb(L->text, L->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		warnmsg("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		free(L->text);
		L->text = NULL;
	}
	return root;
}

/* Reports a rule-file mistake at the position of a JSON path. */
void lerr(struct loader *L, const char *jpath, bool at_key, const char *fmt, ...)
{
	int line, col;
	va_list ap;
	if (jpath && jsonpos_find(L->text, L->len, jpath, at_key, &line, &col))
		fprintf(stderr, "%s: %s:%d:%d: %s: ", progname, L->path, line, col, jpath);
	else if (jpath && *jpath)
		fprintf(stderr, "%s: %s: %s: ", progname, L->path, jpath);
	else
		fprintf(stderr, "%s: %s: ", progname, L->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	L->errors++;
}

/* Builds "parent.key" or "parent[i]" into out. */
const char *sub(char *out, size_t size, const char *parent, const char *key, long idx)
{
	int n = key ? snprintf(out, size, "%s%s%s", parent, *parent ? "." : "", key)
		    : snprintf(out, size, "%s[%ld]", parent, idx);
	if (n < 0 || (size_t)n >= size)
		out[size - 1] = '\0'; /* a path this deep is cut, not wrong */
	return out;
}

/* Reports every key of obj not in allowed (a NULL-terminated list). */
void check_keys(struct loader *L, json_t *obj, const char *jpath, const char *const *allowed)
{
	const char *key;
	json_t *v;
	char p[PATHMAX];
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (int i = 0; allowed[i] && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok)
			lerr(L, sub(p, sizeof p, jpath, key, 0), true, "unknown key '%s'", key);
	}
}

/* Returns a string member (or NULL when absent), reporting a wrong type. */
const char *get_string(struct loader *L, json_t *obj, const char *key,
			      const char *jpath, bool required)
{
	char p[PATHMAX];
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (required)
			lerr(L, jpath, false, "missing key '%s'", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		lerr(L, sub(p, sizeof p, jpath, key, 0), false, "'%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

/* Returns a copy of a string member, or NULL. */
char *dup_string(struct loader *L, json_t *obj, const char *key, const char *jpath,
			bool required)
{
	const char *s = get_string(L, obj, key, jpath, required);
	return s ? xstrdup(s) : NULL;
}

/* Reads an array of strings; returns the count and sets *out (owned). */
size_t get_strings(struct loader *L, json_t *obj, const char *key, const char *jpath,
			  char ***out)
{
	char p[PATHMAX], q[PATHMAX];
	json_t *arr = json_object_get(obj, key);
	*out = NULL;
	if (!arr)
		return 0;
	sub(p, sizeof p, jpath, key, 0);
	if (!json_is_array(arr)) {
		lerr(L, p, false, "'%s' must be an array of strings", key);
		return 0;
	}
	size_t n = json_array_size(arr), k = 0;
	*out = xcalloc(n + 1, sizeof **out);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_string(v) || !*json_string_value(v))
			lerr(L, sub(q, sizeof q, p, NULL, (long)i), false, "expected a non-empty string");
		else
			(*out)[k++] = xstrdup(json_string_value(v));
	}
	return k;
}

/* Reads a {"zh": …, "en": …} object, or a plain string used for both. */
void get_text(struct loader *L, json_t *obj, const char *key, const char *jpath,
		     char **zh, char **en)
{
	static const char *const keys[] = {"zh", "en", NULL};
	char p[PATHMAX];
	json_t *v = json_object_get(obj, key);
	*zh = *en = NULL;
	if (!v)
		return;
	sub(p, sizeof p, jpath, key, 0);
	if (json_is_string(v)) {
		*zh = xstrdup(json_string_value(v));
		*en = xstrdup(json_string_value(v));
	} else if (json_is_object(v)) {
		check_keys(L, v, p, keys);
		*zh = dup_string(L, v, "zh", p, false);
		*en = dup_string(L, v, "en", p, false);
		if (!*zh && *en)
			*zh = xstrdup(*en);
		if (!*en && *zh)
			*en = xstrdup(*zh);
	} else {
		lerr(L, p, false, "'%s' must be a string or an object with \"zh\" and \"en\"", key);
	}
}

/* True for an ASCII identifier, the form of column names and rule ids. */
bool is_identifier(const char *s, bool dashes)
{
	if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || (dashes && *s == '-')))
			return false;
	return true;
}
