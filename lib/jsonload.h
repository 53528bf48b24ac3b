/*
 * jsonload.h — helpers for reading a rule file with jansson: typed getters
 * that report a wrong type, unknown-key checks, and error messages located
 * at the line and column of a JSON path ("FILE:LINE:COL: PATH: message").
 * Strings returned by get_string are borrowed from the jansson document;
 * dup_string and get_strings return owned copies.
 */
#ifndef QY_JSONLOAD_H
#define QY_JSONLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PATHMAX 256

struct ruleset;

/* The state of loading one rule file. */
struct loader {
	const char *path;
	char *text;
	size_t len;
	int errors;
	struct ruleset *rs;
};

/*
 * Reads and parses a rule file (a BOM is skipped, duplicate keys refused)
 * into a loader for it; NULL, the reason printed, when it cannot be read or
 * is not JSON.  The caller frees L->text.
 */
json_t *loader_open(struct loader *L, const char *path);

/* Reports a mistake at the position of a JSON path (its key when at_key). */
void lerr(struct loader *L, const char *jpath, bool at_key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Builds "parent.key" (key given) or "parent[idx]" into out. */
const char *sub(char *out, size_t size, const char *parent, const char *key, long idx);

/* Reports every key of obj not in allowed (a NULL-terminated list). */
void check_keys(struct loader *L, json_t *obj, const char *jpath, const char *const *allowed);

/* Returns a string member (NULL when absent), reporting a wrong type or a missing required key. */
const char *get_string(struct loader *L, json_t *obj, const char *key, const char *jpath,
		       bool required);
char *dup_string(struct loader *L, json_t *obj, const char *key, const char *jpath, bool required);

/* Reads an array of non-empty strings; returns the count and sets *out (owned). */
size_t get_strings(struct loader *L, json_t *obj, const char *key, const char *jpath, char ***out);

/* Reads {"zh": …, "en": …} or one string for both; either may be missing. */
void get_text(struct loader *L, json_t *obj, const char *key, const char *jpath, char **zh,
	      char **en);

/* True for an ASCII identifier (with '-' allowed when dashes). */
bool is_identifier(const char *s, bool dashes);

#endif
