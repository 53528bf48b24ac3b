/* posix.c — the POSIX calls that Microsoft's C library lacks, for Windows (declared in compat.h). */
#include <errno.h>
#include <stdbool.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

ssize_t pread(int fd, void *buf, size_t n, off_t offset)
{
	long long was = _lseeki64(fd, 0, SEEK_CUR);
	if (was < 0 || _lseeki64(fd, offset, SEEK_SET) < 0)
		return -1;
	int got = _read(fd, buf, n > 0x7fffffff ? 0x7fffffff : (unsigned)n);
	int err = errno;
	_lseeki64(fd, was, SEEK_SET);
	errno = err;
	return got;
}

/* A UTF-8 path as Windows's wide characters, malloc'd; NULL if it is not UTF-8. */
static wchar_t *wide_path(const char *path)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
	wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
	if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n) != n) {
		free(w);
		w = NULL;
	}
	return w;
}

int posix_rename(const char *from, const char *to)
{
	wchar_t *wfrom = wide_path(from), *wto = wide_path(to);
	bool moved = wfrom && wto && MoveFileExW(wfrom, wto, MOVEFILE_REPLACE_EXISTING);
	DWORD err = GetLastError();
	free(wfrom);
	free(wto);
	if (moved)
		return 0;
	errno = !wfrom || !wto || err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND ? ENOENT
		: err == ERROR_ACCESS_DENIED || err == ERROR_SHARING_VIOLATION ? EACCES : EIO;
	return -1;
}
