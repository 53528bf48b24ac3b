/* posix.c — the process calls of sys/wait.h for Windows: fork fails, pipe is _pipe. */
#include "sys/wait.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>

pid_t fork(void)
{
	errno = ENOSYS;
	return -1;
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	(void)pid, (void)status, (void)options;
	errno = ECHILD;
	return -1;
}

int pipe(int fds[2]) { return _pipe(fds, 65536, _O_BINARY); }
