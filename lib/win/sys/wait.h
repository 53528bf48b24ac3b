/*
 * sys/wait.h — for Windows, which cannot fork: fork() fails with ENOSYS, so
 * code that starts worker processes compiles, and callers that look at
 * PLATFORM_CAN_FORK (platform.h) never take that way there.
 */
#ifndef QY_WIN_SYS_WAIT_H
#define QY_WIN_SYS_WAIT_H

#include <sys/types.h>

#define WIFEXITED(status) (((status) & 0x7F) == 0)
#define WEXITSTATUS(status) (((status) >> 8) & 0xFF)

/* Fails: there is no fork on Windows. */
pid_t fork(void);
/* Fails: no child was ever started. */
pid_t waitpid(pid_t pid, int *status, int options);
/* A pipe in binary mode (the C library's _pipe). */
int pipe(int fds[2]);

#endif
