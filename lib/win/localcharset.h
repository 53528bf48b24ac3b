/*
 * localcharset.h — libiconv's companion call, which freexl's build asks for:
 * the name of the character set of the process's strings.  For qy's
 * executables that is UTF-8 (their manifest says so).
 */
#ifndef QY_WIN_LOCALCHARSET_H
#define QY_WIN_LOCALCHARSET_H

const char *locale_charset(void);

#endif
