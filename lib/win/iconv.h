/*
 * iconv.h — the part of POSIX iconv that qy and freexl use, for Windows,
 * where neither the C library nor Debian has one: conversion to UTF-8 from
 * GBK and GB18030 (lib/win/gbdecode.c, as glibc decodes them), UTF-8,
 * UTF-16LE, and the Windows code pages by name (CP936, CP1252, ASCII,
 * MacRoman); and from UTF-8 back to GB18030 or GBK (by the same
 * tables), which qy-fix needs to keep a file in its encoding.  errno is set as POSIX says: EILSEQ at a byte that is not a
 * character, EINVAL when the input ends inside one, E2BIG when out is full.
 */
#ifndef QY_WIN_ICONV_H
#define QY_WIN_ICONV_H

#include <stddef.h>

typedef struct qy_iconv *iconv_t;

/* Opens a converter from fromcode to tocode (UTF-8, or GB18030/GBK from UTF-8); (iconv_t)-1 and EINVAL if unknown. */
iconv_t iconv_open(const char *tocode, const char *fromcode);
/* Converts as much of *in as fits in *out, advancing both; returns 0, or (size_t)-1 with errno. */
size_t iconv(iconv_t cd, char **in, size_t *inleft, char **out, size_t *outleft);
int iconv_close(iconv_t cd);

#endif
