/* platform.c — the POSIX and the Windows side of platform.h, one #ifdef each. */
#ifndef _WIN32
#define _GNU_SOURCE /* madvise(MADV_HUGEPAGE) where the system has it, sched_getaffinity, MAP_ANONYMOUS */
#endif
#include "platform.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <windows.h>
#else
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

const char *platform_basename(const char *path)
{
	const char *base = path;
	for (const char *p = path; *p; p++)
#ifdef _WIN32
		if (*p == '/' || *p == '\\' || (*p == ':' && p == path + 1))
#else
		if (*p == '/')
#endif
			base = p + 1;
	return base;
}

bool platform_is_absolute(const char *path)
{
#ifdef _WIN32
	bool drive = ((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) && path[1] == ':';
	return path[0] == '/' || path[0] == '\\' || drive;
#else
	return path[0] == '/';
#endif
}

#ifdef _WIN32

/* Neither cmd.exe nor PowerShell expands incoming\*.csv: the C library does, before main. */
int _dowildcard = -1;

static UINT saved_output_cp, saved_input_cp;
static bool escapes_on[3];

/* Puts the console's code pages back as they were, for the shell that started us. */
static void restore_console(void)
{
	SetConsoleOutputCP(saved_output_cp);
	SetConsoleCP(saved_input_cp);
}

/* The console handle behind fd, or NULL when fd is not a console. */
static HANDLE console_of(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	DWORD mode;
	return h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode) ? h : NULL;
}

void platform_init(void)
{
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX);
	_fmode = _O_BINARY; /* files opened later read and write bytes as they are */
	if ((saved_output_cp = GetConsoleOutputCP()) != 0) {
		saved_input_cp = GetConsoleCP();
		SetConsoleOutputCP(CP_UTF8);
		SetConsoleCP(CP_UTF8);
		atexit(restore_console);
	}
	for (int fd = 0; fd <= 2; fd++) {
		HANDLE console = console_of(fd);
		_setmode(fd, console ? _O_TEXT : _O_BINARY);
		DWORD mode;
		if (fd > 0 && console && GetConsoleMode(console, &mode))
			escapes_on[fd] = (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) ||
					 SetConsoleMode(console, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING);
	}
}

bool platform_is_terminal(int fd) { return console_of(fd) != NULL; }
bool platform_escapes(int fd) { return fd >= 0 && fd <= 2 && escapes_on[fd] && console_of(fd); }
bool platform_colours(int fd) { return platform_escapes(fd); }

int platform_terminal_width(int fd)
{
	CONSOLE_SCREEN_BUFFER_INFO info;
	HANDLE h = console_of(fd);
	if (!h || !GetConsoleScreenBufferInfo(h, &info))
		return 0;
	return info.srWindow.Right - info.srWindow.Left + 1;
}

/* A write to a pipe fails only when its reader has gone (errno is EINVAL or EPIPE, and stale by now). */
bool platform_broken_pipe(int err)
{
	return err == EPIPE || GetFileType((HANDLE)_get_osfhandle(STDOUT_FILENO)) == FILE_TYPE_PIPE;
}

/* s in UTF-16, owned; NULL when it is not UTF-8. */
static WCHAR *widen(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	WCHAR *w = n > 0 ? xmalloc((size_t)n * sizeof *w) : NULL;
	if (w && !MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n)) {
		free(w);
		w = NULL;
	}
	return w;
}

/* w in UTF-8, owned. */
static char *narrow(const WCHAR *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s = xmalloc(n > 0 ? (size_t)n : 1);
	if (n <= 0 || !WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL))
		s[0] = '\0';
	return s;
}

/* The errno for a Windows error about a path. */
static int path_errno(DWORD error)
{
	switch (error) {
	case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_NAME:
	case ERROR_BAD_NETPATH: case ERROR_BAD_NET_NAME: case ERROR_INVALID_DRIVE:
		return ENOENT;
	case ERROR_DIRECTORY:
		return ENOTDIR;
	case ERROR_ACCESS_DENIED: case ERROR_SHARING_VIOLATION:
		return EACCES;
	case ERROR_FILENAME_EXCED_RANGE:
		return ENAMETOOLONG;
	default:
		return EIO;
	}
}

/*
 * The final name of the file open as h ("\\?\C:\…", "\\?\UNC\server\…"),
 * symlinks and junctions followed, owned; or else, on a volume that has no
 * such name, the full path of name as written.
 */
static WCHAR *final_name(HANDLE h, const WCHAR *name)
{
	DWORD n = GetFinalPathNameByHandleW(h, NULL, 0, FILE_NAME_NORMALIZED);
	WCHAR *full = xmalloc((n ? n : 1) * sizeof *full);
	if (n && GetFinalPathNameByHandleW(h, full, n, FILE_NAME_NORMALIZED) < n)
		return full;
	free(full);
	n = GetFullPathNameW(name, 0, NULL, NULL);
	full = xmalloc((n ? n : 1) * sizeof *full);
	if (!n || GetFullPathNameW(name, n, full, NULL) >= n)
		full[0] = L'\0';
	return full;
}

char *platform_realpath(const char *path)
{
	WCHAR *wide = widen(path);
	if (!wide) {
		errno = ENOENT; /* not UTF-8: no file has that name */
		return NULL;
	}
	HANDLE h = CreateFileW(wide, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			       FILE_FLAG_BACKUP_SEMANTICS, NULL); /* the flag lets a directory open */
	if (h == INVALID_HANDLE_VALUE) {
		errno = path_errno(GetLastError());
		free(wide);
		return NULL;
	}
	WCHAR *full = final_name(h, wide);
	CloseHandle(h);
	free(wide);
	const WCHAR *p = full;
	bool unc = wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0;
	if (unc)
		p += 6; /* "\\server\share\…" */
	else if (wcsncmp(p, L"\\\\?\\", 4) == 0)
		p += 4;
	char *real = narrow(p);
	if (unc)
		real[0] = real[1] = '\\';
	free(full);
	if (!real[0]) {
		free(real);
		errno = EIO;
		return NULL;
	}
	for (char *c = real; *c; c++)
		if (*c == '\\')
			*c = '/';
	if (real[0] >= 'a' && real[0] <= 'z' && real[1] == ':')
		real[0] = (char)(real[0] - 'a' + 'A');
	return real;
}

const char *platform_temp_dir(void)
{
	static char dir[MAX_PATH * 3];
	WCHAR wide[MAX_PATH + 1];
	DWORD n = GetTempPathW(MAX_PATH + 1, wide);
	if (n == 0 || n > MAX_PATH ||
	    !WideCharToMultiByte(CP_UTF8, 0, wide, (int)n + 1, dir, (int)sizeof dir, NULL, NULL))
		return ".";
	size_t len = strlen(dir);
	if (len > 3 && dir[len - 1] == '\\') /* "C:\Users\…\Temp\" but "C:\" */
		dir[len - 1] = '\0';
	return dir;
}

const char *platform_exe_dir(void)
{
	static char dir[MAX_PATH * 3];
	WCHAR wide[MAX_PATH];
	DWORD n = GetModuleFileNameW(NULL, wide, MAX_PATH);
	if (n == 0 || n >= MAX_PATH ||
	    !WideCharToMultiByte(CP_UTF8, 0, wide, (int)n + 1, dir, (int)sizeof dir, NULL, NULL))
		return NULL;
	char *base = (char *)platform_basename(dir);
	if (base == dir)
		return NULL;
	base[-1] = '\0';
	return dir;
}

/*
 * Writes one argument of a command line so that the child's C library reads
 * it back unchanged: quoted when it has blanks or quotes (or is empty), with
 * the backslashes before a quote doubled, as CommandLineToArgvW expects.
 */
static void quote_arg(struct buf *line, const char *arg)
{
	if (*arg && !strpbrk(arg, " \t\n\v\"")) {
		buf_adds(line, arg);
		return;
	}
	buf_addc(line, '"');
	for (const char *p = arg;; p++) {
		size_t slashes = 0;
		while (*p == '\\')
			p++, slashes++;
		if (!*p) {
			for (size_t i = 0; i < 2 * slashes; i++)
				buf_addc(line, '\\');
			break;
		}
		for (size_t i = 0; i < (*p == '"' ? 2 * slashes + 1 : slashes); i++)
			buf_addc(line, '\\');
		buf_addc(line, *p);
	}
	buf_addc(line, '"');
}

void platform_exec(const char *path, char **args, bool search)
{
	size_t n = 0;
	while (args[n])
		n++;
	/* spawn joins the arguments with spaces: hand it each one quoted */
	char **quoted = xcalloc(n + 1, sizeof *quoted);
	for (size_t i = 0; i < n; i++) {
		struct buf one = {0};
		quote_arg(&one, args[i]);
		quoted[i] = one.data;
	}
	fflush(stdout);
	intptr_t rc = search ? _spawnvp(_P_WAIT, path, (const char *const *)quoted)
			     : _spawnv(_P_WAIT, path, (const char *const *)quoted);
	int saved = errno;
	for (size_t i = 0; i < n; i++)
		free(quoted[i]);
	free(quoted);
	if (rc != -1)
		exit((int)rc);
	errno = saved;
}

long platform_processors(void)
{
	SYSTEM_INFO info;
	GetSystemInfo(&info);
	return info.dwNumberOfProcessors > 0 ? (long)info.dwNumberOfProcessors : 1;
}

int platform_usable_processors(void)
{
	DWORD_PTR mine, system;
	int n = 0;
	if (GetProcessAffinityMask(GetCurrentProcess(), &mine, &system))
		for (; mine; mine &= mine - 1)
			n++;
	return n > 0 ? n : (int)platform_processors();
}

bool platform_memory_below(size_t bytes)
{
	(void)bytes;
	return false;
}

void *platform_zeroed_pages(size_t bytes)
{
	void *p = VirtualAlloc(NULL, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
	if (!p)
		die(EXIT_TROUBLE, "out of memory");
	return p;
}

void platform_free_pages(void *p, size_t bytes)
{
	(void)bytes;
	if (p)
		VirtualFree(p, 0, MEM_RELEASE);
}

#else /* POSIX */

#define HUGE_PAGE (2u << 20)

void platform_init(void) {}

bool platform_is_terminal(int fd) { return isatty(fd); }
bool platform_escapes(int fd) { return isatty(fd); }

bool platform_colours(int fd)
{
	const char *term = getenv("TERM");
	return isatty(fd) && term && strcmp(term, "dumb") != 0;
}

int platform_terminal_width(int fd)
{
	struct winsize ws;
	return ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
}

bool platform_broken_pipe(int err) { return err == EPIPE; }

char *platform_realpath(const char *path) { return realpath(path, NULL); }

const char *platform_temp_dir(void)
{
	const char *dir = getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}

const char *platform_exe_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return dir;
}

void platform_exec(const char *path, char **args, bool search)
{
	if (search)
		execvp(path, args);
	else
		execv(path, args);
}

long platform_processors(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

int platform_usable_processors(void)
{
#ifdef CPU_COUNT
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
#endif
	return (int)platform_processors();
}

bool platform_memory_below(size_t bytes)
{
	struct rlimit as;
	return getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY && as.rlim_cur < (rlim_t)bytes;
}

/*
 * Maps the pages from the kernel, whose fresh pages are zero already (it
 * clears each when first touched), aligned to huge pages and asking for
 * them: a hash table touches one random slot per add, and with small pages
 * most adds would also miss the TLB.
 */
void *platform_zeroed_pages(size_t bytes)
{
	char *map = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		die(EXIT_TROUBLE, "out of memory");
	size_t lead = (HUGE_PAGE - (uintptr_t)map % HUGE_PAGE) % HUGE_PAGE;
	if (lead)
		munmap(map, lead);
	munmap(map + lead + bytes, HUGE_PAGE - lead);
#ifdef MADV_HUGEPAGE
	madvise(map + lead, bytes, MADV_HUGEPAGE);
#endif
	return map + lead;
}

void platform_free_pages(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

#endif
