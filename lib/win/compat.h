/*
 * compat.h — what Microsoft's C library lacks of C11 that qy uses; the
 * Windows build (mk/windows.sh) includes it first in every file.
 */
#ifndef QY_WIN_COMPAT_H
#define QY_WIN_COMPAT_H

#include <stdlib.h>

/*
 * C11's aligned_alloc.  qy aligns blocks only to keep two threads off each
 * other's cache lines, never for correctness, so malloc's 16 bytes do (and
 * free() frees them, as the standard says; _aligned_malloc's would not).
 */
static inline void *aligned_alloc(size_t alignment, size_t size)
{
	(void)alignment;
	return malloc(size);
}

#endif
