/*
 * platform.h — what differs between POSIX systems and Windows, in one place:
 * terminals and consoles, the program's own directory, path names, the
 * temporary directory, running another command, big zeroed memory, how a
 * child process ended, and the worker processes of qy-check -j (forked on
 * POSIX; on Windows the same program started again as a worker).  The rest
 * of qy calls these and stays free of #ifdef.
 *
 * On Windows the executables carry a manifest that makes UTF-8 the process
 * code page (Windows 10 1903 and later), so char strings — arguments, file
 * names, environment — are UTF-8 as on Linux; platform_init sets the console
 * to UTF-8 as well.  Strings returned are static or borrowed unless said.
 */
#ifndef QY_PLATFORM_H
#define QY_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

#ifdef _WIN32
#define PLATFORM_EXE_SUFFIX ".exe"
#else
#define PLATFORM_EXE_SUFFIX ""
#endif

/*
 * Prepares the standard streams; every command calls it first (cli_init
 * does).  On Windows: UTF-8 console code pages (restored at exit), binary
 * files and pipes (so JSON Lines end in "\n" and input bytes are counted as
 * they are), text mode only on a console ("\r\n"), virtual-terminal
 * sequences where the console has them, and no console window error boxes.
 * Elsewhere nothing is needed: a closed pipe ends the process with SIGPIPE.
 */
void platform_init(void);

/* Whether fd is an interactive terminal (on Windows a console: not NUL, not a file). */
bool platform_is_terminal(int fd);

/* Whether fd is a terminal that acts on escape sequences (erasing a line, moving the cursor). */
bool platform_escapes(int fd);

/* Whether fd is a terminal that shows ANSI colours: POSIX: TERM set and not "dumb". */
bool platform_colours(int fd);

/* The terminal's width in columns on fd, or 0 when unknown. */
int platform_terminal_width(int fd);

/* Whether a failed write to stdout went to a pipe that its reader has closed (the quiet end of a pipeline). */
bool platform_broken_pipe(int err);

/* The directory of the running executable, or NULL when it cannot be told. */
const char *platform_exe_dir(void);

/* The last component of a path: after the last '/' (on Windows also '\' or a drive's ':'). */
const char *platform_basename(const char *path);

/* Whether a path is absolute: "/…" (on Windows also "\…" and "C:…"). */
bool platform_is_absolute(const char *path);

/*
 * The absolute path of an existing file with every symlink (on Windows also
 * junction) followed, its separators '/' (on Windows the drive letter upper
 * case: "C:/Users/…"), owned; NULL with errno (ENOENT, ENOTDIR…) when it
 * cannot be resolved.  Two names of one file resolve to the same string.
 */
char *platform_realpath(const char *path);

/*
 * True if two paths name one existing file: the same device and inode, on
 * Windows the same volume and file index (its stat gives every file inode 0).
 */
bool platform_same_file(const char *a, const char *b);

/* The directory for temporary files: $TMPDIR or /tmp (on Windows the user's temporary folder). */
const char *platform_temp_dir(void);

/*
 * A temporary file without a name, in platform_temp_dir, open for reading
 * and writing (binary), that is gone once closed or once the process ends:
 * its descriptor, or -1 with errno.
 */
int platform_scratch_file(void);

/*
 * A new temporary file in platform_temp_dir, named prefix and something
 * unique, open for reading and writing (binary), that another process may
 * open by its name while this one holds it (on Windows too): its descriptor,
 * and its name in *path (owned; the caller closes, then unlinks it), or -1
 * with errno.
 */
int platform_temp_file(const char *prefix, char **path);

/*
 * Runs the program at path (search: looked up on PATH) with args, in place of
 * this one: POSIX execv; on Windows the program runs as a child with the same
 * standard streams and this process exits with its status.  Returns only
 * when the program cannot be started (errno says why).
 */
void platform_exec(const char *path, char **args, bool search);

/* The number of processors online (at least 1). */
long platform_processors(void);

/* The processors this process may run on (its affinity; at least 1). */
int platform_usable_processors(void);

/*
 * bytes of zeroed memory straight from the system (fresh pages, so clearing
 * costs nothing), on huge pages where the system has them; dies when out of
 * memory.  Freed with platform_free_pages and the same size.
 */
void *platform_zeroed_pages(size_t bytes);
void platform_free_pages(void *p, size_t bytes);

/*
 * How a child process ended, from the status platform_worker_end returns.
 * platform_exited: it exited, with *status.  platform_signalled: a signal
 * ended it, with its number and name (on Windows an exception, numbered as
 * the C library's signal for it, an access violation as SIGSEGV, and named
 * with its code: "access violation, 0xC0000005").  The name is static.
 */
bool platform_exited(int how, int *status);
bool platform_signalled(int how, int *sig, const char **name);

/*
 * Worker processes (lib/workers.c): each writes to its parent through a pipe
 * of its own and takes work from memory it shares with the parent.  On POSIX
 * a worker is forked and runs a function.  Windows cannot fork: there a
 * worker is this program started again, with restart_args before the
 * arguments this process was given and its pipe, slot and the shared memory
 * handed down; it runs as its parent did up to workers_run, which finds that
 * it is a worker (platform_worker_child) and works instead of starting any.
 */
struct platform_worker;

/* Zeroed memory shared with the workers started after it, one block at a time; NULL with errno. */
void *platform_shared_new(size_t bytes);
void platform_shared_free(void *p, size_t bytes);

/*
 * What a worker's pipe holds where the system lets a pipe be made that big
 * (Linux: F_SETPIPE_SZ, up to fs.pipe-max-size, 1 MiB by default): a worker
 * then writes many frames before it waits for the parent to read, and the
 * parent reads them in one go.  Elsewhere a pipe holds what it holds.
 */
#define PLATFORM_PIPE_ROOM (1u << 20)

/*
 * Starts a worker for slot: on POSIX the child calls body(ctx, slot, fd),
 * which never returns, fd being the write end of its pipe (made to hold
 * PLATFORM_PIPE_ROOM where it can be).  Returns NULL, with a message on
 * stderr, when it cannot.
 */
struct platform_worker *platform_worker_start(int slot, char *const *restart_args,
					      void (*body)(void *ctx, int slot, int fd), void *ctx);

/*
 * Waits until at least one of workers[0..n) has sent output or ended, and
 * sets ready[k] for each that has; returns how many, or -1 with errno (EINTR:
 * a signal came first).
 */
int platform_worker_poll(struct platform_worker *const *workers, int n, bool *ready);

/* Reads what a ready worker sent: the bytes read, 0 once its pipe has ended, -1 with errno. */
long platform_worker_read(struct platform_worker *w, void *buf, size_t len);

/*
 * Runs a job in a child process whose standard streams lead nowhere and which
 * leaves no core file, so that a library that corrupts memory on a hostile
 * file takes only the child down, and which is ended once it has used
 * cpu_seconds (at least 1) of processor time, so that one that loops forever
 * does not hang its parent (platform_out_of_time then tells).  On POSIX the
 * child is forked and calls body(ctx, fd), fd being the write end of its
 * pipe, and ends with status 0 when body returns; RLIMIT_CPU bounds it
 * (SIGXCPU, and SIGKILL a second later should that be caught).  Windows
 * cannot fork: there the child is this program started again, which finds
 * job (a string) with platform_guarded_child, and a thread of its own ends
 * it at the limit.  Read it with platform_worker_poll and
 * platform_worker_read, stop it with platform_worker_kill, end it with
 * platform_worker_end.  NULL when no child can be made: the caller then does
 * the work itself.
 */
struct platform_worker *platform_guarded_start(const char *job, unsigned cpu_seconds,
					       void (*body)(void *ctx, int fd), void *ctx);

/*
 * In this program started again by platform_guarded_start (Windows): sets
 * the job it was given and the write end of its pipe, and starts the thread
 * that ends it at its limit of processor time.  Always false on POSIX, where
 * such children are forked.
 */
bool platform_guarded_child(const char **job, int *fd);

/* Whether a child of platform_guarded_start, by how platform_worker_end says it ended, was ended at its limit of processor time. */
bool platform_out_of_time(int how);

/* Stops a worker at once: SIGKILL; on Windows TerminateProcess with status 1, as Task Manager does. */
void platform_worker_kill(struct platform_worker *w);

/* Closes the pipe from a worker, waits for it to end and frees it; returns how it ended. */
int platform_worker_end(struct platform_worker *w);

/* In a forked worker: lets go of another worker its parent started (closes that pipe here). */
void platform_worker_forget(struct platform_worker *w);

/*
 * In a worker: makes it die with its parent (Linux PR_SET_PDEATHSIG; Windows
 * a thread that waits for the parent); platform_parent_alive tells, between
 * items, whether the parent is still there where the system cannot do that.
 */
void platform_worker_bind(void);
bool platform_parent_alive(void);

/* In a worker about to exit: undoes platform_worker_bind (on Windows, ends its thread first). */
void platform_worker_unbind(void);

/*
 * Whether this process is a worker started as a new program (Windows): then
 * sets its slot, the write end of its pipe and the shared block of bytes.  A
 * worker whose run is not its parent's (other arguments, another number of
 * workers, so another size of shared block) exits with status 2.  Always
 * false on POSIX, where workers are forked.
 */
bool platform_worker_child(int *slot, int *fd, void **shared, size_t bytes);

#endif
