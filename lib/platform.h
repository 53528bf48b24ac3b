/*
 * platform.h — what differs between POSIX systems and Windows, in one place:
 * terminals and consoles, the program's own directory, path names, the
 * temporary directory, running another command, big zeroed memory and
 * whether a process can fork.  The rest of qy calls these and stays free of
 * #ifdef.
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
#define PLATFORM_CAN_FORK false
#else
#define PLATFORM_EXE_SUFFIX ""
#define PLATFORM_CAN_FORK true
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

/* The directory for temporary files: $TMPDIR or /tmp (on Windows the user's temporary folder). */
const char *platform_temp_dir(void);

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

/* Whether the address space is limited to fewer than bytes (POSIX RLIMIT_AS; never on Windows). */
bool platform_memory_below(size_t bytes);

/*
 * bytes of zeroed memory straight from the system (fresh pages, so clearing
 * costs nothing), on huge pages where the system has them; dies when out of
 * memory.  Freed with platform_free_pages and the same size.
 */
void *platform_zeroed_pages(size_t bytes);
void platform_free_pages(void *p, size_t bytes);

#endif
