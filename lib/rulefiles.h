/*
 * rulefiles.h — the files a rule set reads: the rule file itself and the
 * reference tables it names.  A name in a rule file resolves only inside
 * directories the user trusts (the rule set's own, the rules directory, one
 * given with --ref-dir), after following symlinks; an absolute path or one
 * that leads outside is refused.  Only regular files are read, and at most
 * the size limit (--max-ref-size), so that a FIFO or a device cannot make a
 * load block or grow without end.  The limits are set once per run by the
 * command, before it loads rule sets.
 */
#ifndef QY_RULEFILES_H
#define QY_RULEFILES_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The default of --max-ref-size: far above any real table, far below a runaway. */
#define RULEFILES_MAX_SIZE (64ULL << 20)

/* Adds dir (borrowed, may be NULL) to where a rule file's names may resolve (--ref-dir). */
void rulefiles_set_ref_dir(const char *dir);
/* The directory given with --ref-dir, or NULL. */
const char *rulefiles_ref_dir(void);

/* Sets the largest rule file or reference table read, in bytes (--max-ref-size). */
void rulefiles_set_max_size(uint64_t bytes);
uint64_t rulefiles_max_size(void);

/*
 * Opens path for reading if it is a regular file of at most the size limit
 * (never blocking on a FIFO); otherwise returns -1 with the reason in why.
 */
int rulefiles_open(const char *path, char *why, size_t whylen);

/*
 * Reads a whole rule file opened as rulefiles_open does; returns it
 * NUL-terminated (owned) with its length, or NULL with the reason in why.
 */
char *rulefiles_read(const char *path, size_t *len, char *why, size_t whylen);

/*
 * The names of the *.json files in dir, sorted; sets *names (owned: each
 * name and the array) and returns how many, or -1 (errno set) when dir
 * cannot be opened.
 */
long rulefiles_list(const char *dir, char ***names);

/*
 * Resolves name, as a rule file wrote it, against roots[0..n) in turn: the
 * first root that holds it gives the path, which must then lie (symlinks
 * followed) inside one of the roots.  Sets out to the resolved path and
 * returns true, or returns false with the reason in why.
 */
bool rulefiles_resolve(const char *const *roots, size_t n, const char *name, struct buf *out,
		       char *why, size_t whylen);

#endif
