/* posix.c — the POSIX calls that Microsoft's C library lacks, for Windows (declared in compat.h). */
#include <errno.h>
#include <io.h>
#include <stdio.h>

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
