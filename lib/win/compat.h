/*
 * compat.h — what Microsoft's C library lacks of C11 and POSIX that qy uses;
 * the Windows build (mk/windows.sh) includes it first in every file.
 */
#ifndef QY_WIN_COMPAT_H
#define QY_WIN_COMPAT_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Opening never blocks on Windows, and there are no controlling terminals nor sockets as files. */
#define O_NONBLOCK 0
#define O_NOCTTY 0
#define S_ISSOCK(mode) 0

/*
 * No symlinks are seen through Microsoft's stat, so lstat is stat; a file's
 * permission bits are not kept on Windows, so setting them does nothing.
 */
#define lstat stat
static inline int fchmod(int fd, mode_t mode)
{
	(void)fd;
	(void)mode;
	return 0;
}

/* POSIX setenv, over _putenv_s, which sets the process's environment as well (GetTempPathW reads TMP there). */
static inline int setenv(const char *name, const char *value, int overwrite)
{
	if (!overwrite && getenv(name))
		return 0;
	return _putenv_s(name, value) ? -1 : 0;
}

/*
 * POSIX rename, which replaces a file already at to; Microsoft's refuses with
 * EEXIST (lib/win/posix.c).  Declared before stdio.h names it.
 */
int posix_rename(const char *from, const char *to);
#define rename posix_rename

/* POSIX pread: reads at offset, leaving the file's position where it was (lib/win/posix.c). */
ssize_t pread(int fd, void *buf, size_t n, off_t offset);

#endif
