/*
 * fnmatch.h — POSIX fnmatch for Windows, whose C library has none: '*', '?',
 * bracket expressions with ranges, '!' or '^' and [:classes:], and '\'
 * escapes, byte by byte as glibc matches in the C locale.  Only flags 0.
 */
#ifndef QY_WIN_FNMATCH_H
#define QY_WIN_FNMATCH_H

#define FNM_NOMATCH 1

/* 0 when string matches pattern, FNM_NOMATCH when it does not. */
int fnmatch(const char *pattern, const char *string, int flags);

#endif
