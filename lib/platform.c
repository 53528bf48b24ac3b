/* platform.c — the POSIX and the Windows side of platform.h, one #ifdef each. */
#ifndef _WIN32
#define _GNU_SOURCE /* madvise(MADV_HUGEPAGE) where the system has it, sched_getaffinity, MAP_ANONYMOUS */
#endif
#include "platform.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
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

/* The volume and index of the file at path, false if it cannot be opened. */
static bool file_identity(const char *path, BY_HANDLE_FILE_INFORMATION *info)
{
	WCHAR *wide = widen(path);
	if (!wide)
		return false;
	HANDLE h = CreateFileW(wide, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
			       FILE_FLAG_BACKUP_SEMANTICS, NULL);
	free(wide);
	if (h == INVALID_HANDLE_VALUE)
		return false;
	bool ok = GetFileInformationByHandle(h, info);
	CloseHandle(h);
	return ok;
}

bool platform_same_file(const char *a, const char *b)
{
	BY_HANDLE_FILE_INFORMATION ia, ib;
	return file_identity(a, &ia) && file_identity(b, &ib) && ia.dwVolumeSerialNumber == ib.dwVolumeSerialNumber &&
	       ia.nFileIndexHigh == ib.nFileIndexHigh && ia.nFileIndexLow == ib.nFileIndexLow;
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

int platform_scratch_file(void)
{
	WCHAR dir[MAX_PATH + 1], name[MAX_PATH + 1];
	DWORD n = GetTempPathW(MAX_PATH + 1, dir);
	if (n == 0 || n > MAX_PATH || !GetTempFileNameW(dir, L"qy", 0, name)) {
		errno = path_errno(GetLastError());
		return -1;
	}
	HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
			       FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		errno = path_errno(GetLastError());
		DeleteFileW(name);
		return -1;
	}
	int fd = _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY);
	if (fd < 0)
		CloseHandle(h);
	return fd;
}

int platform_temp_file(const char *prefix, char **path)
{
	WCHAR dir[MAX_PATH + 1], name[MAX_PATH + 1];
	WCHAR *wide = widen(prefix);
	DWORD n = GetTempPathW(MAX_PATH + 1, dir);
	bool made = n > 0 && n <= MAX_PATH && GetTempFileNameW(dir, wide, 0, name);
	free(wide);
	if (!made) {
		errno = path_errno(GetLastError());
		return -1;
	}
	HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			       NULL, TRUNCATE_EXISTING, FILE_ATTRIBUTE_TEMPORARY, NULL);
	int fd = h == INVALID_HANDLE_VALUE ? -1 : _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY);
	if (fd < 0) {
		errno = h == INVALID_HANDLE_VALUE ? path_errno(GetLastError()) : EMFILE;
		if (h != INVALID_HANDLE_VALUE)
			CloseHandle(h);
		DeleteFileW(name);
		return -1;
	}
	*path = narrow(name);
	return fd;
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

/*
 * Windows ends a crashed process with an exception code for its status:
 * each here with the C library's signal for it (the one its signal()
 * handlers get) and its name.  Any other status from 0x80000000 on is an
 * exception too, taken as an abnormal end (SIGABRT).
 */
static const struct {
	DWORD code;
	int sig;
	const char *name;
} exceptions[] = {
	{0xC0000005, SIGSEGV, "access violation"}, {0xC00000FD, SIGSEGV, "stack overflow"},
	{0xC0000006, SIGSEGV, "in-page error"}, {0x80000002, SIGSEGV, "misaligned data"},
	{0xC000008C, SIGSEGV, "array bounds exceeded"}, {0xC000001D, SIGILL, "illegal instruction"},
	{0xC0000096, SIGILL, "privileged instruction"}, {0xC0000094, SIGFPE, "integer division by zero"},
	{0xC0000095, SIGFPE, "integer overflow"}, {0xC000008E, SIGFPE, "floating-point division by zero"},
	{0xC0000090, SIGFPE, "floating-point invalid operation"}, {0xC000013A, SIGINT, "Ctrl+C"},
	{0xC0000409, SIGABRT, "fail fast"}, {0xC0000017, SIGABRT, "out of memory"},
};

/* Statuses are exit codes; -1 (0xFFFFFFFF) stands for one that is not known. */
bool platform_exited(int how, int *status)
{
	if (how < 0)
		return false;
	*status = how;
	return true;
}

bool platform_signalled(int how, int *sig, const char **name)
{
	static char named[64];
	if (how >= -1)
		return false;
	DWORD code = (DWORD)how;
	*sig = SIGABRT;
	const char *what = "exception";
	for (size_t i = 0; i < sizeof exceptions / sizeof *exceptions; i++)
		if (exceptions[i].code == code) {
			*sig = exceptions[i].sig;
			what = exceptions[i].name;
		}
	snprintf(named, sizeof named, "%s, 0x%08lX", what, (unsigned long)code);
	*name = named;
	return true;
}

/* ---- worker processes: the same program with a named pipe, over an inherited mapping ---- */

#define WORKER_READ (64u << 10)

struct platform_worker {
	HANDLE process, pipe;
	OVERLAPPED read;         /* the read under way on pipe; its event is set when it is done */
	bool reading;            /* a read was started and has not been taken */
	bool ended;              /* the pipe has ended: the worker closed it, or died */
	DWORD got, taken;        /* bytes the last read brought, and those handed out */
	char data[WORKER_READ];
};

static HANDLE shared_map;        /* the mapping of platform_shared_new's block, handed to workers */
static size_t shared_size;
static HANDLE parent_process;    /* in a worker: its parent, to die with */
static unsigned pipes_made;

void *platform_shared_new(size_t bytes)
{
	SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
	shared_map = CreateFileMappingW(INVALID_HANDLE_VALUE, &inherit, PAGE_READWRITE, (DWORD)((uint64_t)bytes >> 32),
					(DWORD)bytes, NULL); /* pages of the paging file: zeroed */
	void *p = shared_map ? MapViewOfFile(shared_map, FILE_MAP_ALL_ACCESS, 0, 0, bytes) : NULL;
	if (!p) {
		if (shared_map)
			CloseHandle(shared_map);
		shared_map = NULL;
		errno = ENOMEM;
		return NULL;
	}
	shared_size = bytes;
	return p;
}

void platform_shared_free(void *p, size_t bytes)
{
	(void)bytes;
	UnmapViewOfFile(p);
	if (shared_map)
		CloseHandle(shared_map);
	shared_map = NULL;
}

/* An inheritable copy of a standard handle, or NULL when there is none. */
static HANDLE inheritable(DWORD which)
{
	HANDLE h = GetStdHandle(which), copy = NULL;
	if (h && h != INVALID_HANDLE_VALUE &&
	    !DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &copy, 0, TRUE, DUPLICATE_SAME_ACCESS))
		copy = NULL;
	return copy;
}

/*
 * The command line of a worker: this program, restart_args, then the
 * arguments this process got; *argc is how many arguments that makes.
 */
static WCHAR *worker_command(char *const *restart_args, int *argc)
{
	WCHAR exe[MAX_PATH];
	DWORD n = GetModuleFileNameW(NULL, exe, MAX_PATH);
	if (n == 0 || n >= MAX_PATH)
		return NULL;
	char *self = narrow(exe);
	struct buf line = {0};
	quote_arg(&line, self);
	free(self);
	*argc = __argc;
	for (char *const *a = restart_args; a && *a; a++, ++*argc) {
		buf_addc(&line, ' ');
		quote_arg(&line, *a);
	}
	for (int i = 1; i < __argc; i++) {
		buf_addc(&line, ' ');
		quote_arg(&line, __argv[i]);
	}
	WCHAR *wide = widen(line.data);
	buf_free(&line);
	return wide;
}

/*
 * A pipe for a child to write to: its read end in a new platform_worker, and
 * its write end, inheritable, in *write_end; NULL when it cannot be made.
 */
static struct platform_worker *pipe_from_child(HANDLE *write_end)
{
	WCHAR name[80];
	swprintf(name, 80, L"\\\\.\\pipe\\qy-worker-%lu-%u", (unsigned long)GetCurrentProcessId(), pipes_made++);
	struct platform_worker *w = xcalloc(1, sizeof *w);
	SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
	*write_end = INVALID_HANDLE_VALUE;
	w->pipe = CreateNamedPipeW(name, PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
				   PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 0,
				   WORKER_READ, 0, NULL);
	w->read.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (w->pipe != INVALID_HANDLE_VALUE && w->read.hEvent)
		*write_end = CreateFileW(name, GENERIC_WRITE, 0, &inherit, OPEN_EXISTING, 0, NULL);
	if (*write_end == INVALID_HANDLE_VALUE) {
		platform_worker_forget(w);
		return NULL;
	}
	return w;
}

/* Opens NUL for a child's standard stream, inheritable. */
static HANDLE null_device(void)
{
	SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
	return CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
			   OPEN_EXISTING, 0, NULL);
}

/*
 * Starts command with the standard handles given and variable set to value
 * while it starts; sets w->process.  False, with Windows's error in *error, when it cannot.
 */
static bool start_child(struct platform_worker *w, WCHAR *command, const WCHAR *variable, const WCHAR *value,
			HANDLE in, HANDLE out, HANDLE err, DWORD *error)
{
	STARTUPINFOW si = {.cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES, .hStdInput = in, .hStdOutput = out,
			   .hStdError = err};
	PROCESS_INFORMATION pi;
	SetEnvironmentVariableW(variable, value);
	/* a console of this process is the child's too; without one, it has none (no
	   console host started for each) */
	bool ok = CreateProcessW(NULL, command, NULL, NULL, TRUE, GetConsoleWindow() ? 0 : DETACHED_PROCESS, NULL,
				 NULL, &si, &pi);
	*error = GetLastError();
	SetEnvironmentVariableW(variable, NULL);
	if (ok) {
		CloseHandle(pi.hThread);
		w->process = pi.hProcess;
	}
	return ok;
}

/*
 * The worker gets its pipe's write end, the shared mapping and a handle of
 * this process (to die with it) by inheritance, and their values, its slot,
 * the shared size and its number of arguments in QY_WORKER, set only while
 * it starts.  Its standard input and error are this process's; its standard
 * output is NUL, since all it sends goes through the pipe.
 */
struct platform_worker *platform_worker_start(int slot, char *const *restart_args,
					      void (*body)(void *ctx, int slot, int fd), void *ctx)
{
	(void)body, (void)ctx;
	HANDLE write_end = INVALID_HANDLE_VALUE, parent = NULL, out = INVALID_HANDLE_VALUE;
	HANDLE in = inheritable(STD_INPUT_HANDLE), err = inheritable(STD_ERROR_HANDLE);
	int argc;
	WCHAR *command = worker_command(restart_args, &argc);
	struct platform_worker *w = pipe_from_child(&write_end);
	out = null_device();
	bool ok = command && shared_map && w && out != INVALID_HANDLE_VALUE &&
		  DuplicateHandle(GetCurrentProcess(), GetCurrentProcess(), GetCurrentProcess(), &parent, SYNCHRONIZE,
				  TRUE, 0);
	if (ok) {
		WCHAR env[160];
		DWORD error;
		swprintf(env, 160, L"%d %llu %llu %llu %llu %d", slot, (unsigned long long)(uintptr_t)write_end,
			 (unsigned long long)(uintptr_t)shared_map, (unsigned long long)(uintptr_t)parent,
			 (unsigned long long)shared_size, argc);
		ok = start_child(w, command, L"QY_WORKER", env, in, out, err, &error);
		if (!ok)
			warnmsg("cannot start a worker: CreateProcess failed (Windows error %lu)", (unsigned long)error);
	} else {
		warnmsg("cannot start a worker: no pipe to it (Windows error %lu)", (unsigned long)GetLastError());
	}
	HANDLE ours[] = {write_end, out, in, err, parent};
	for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
		if (ours[i] && ours[i] != INVALID_HANDLE_VALUE)
			CloseHandle(ours[i]);
	free(command);
	if (!ok && w) {
		platform_worker_forget(w);
		return NULL;
	}
	return ok ? w : NULL;
}

/*
 * The status of a guarded child ended at its limit of processor time: the
 * NTSTATUS of a quota exceeded, which no crash gives.
 */
#define GUARDED_OUT_OF_TIME 0xC0000044u

static ULONGLONG cpu_limit_ms; /* in a guarded child: the processor time it may use */

/* Milliseconds of a FILETIME duration. */
static ULONGLONG filetime_ms(FILETIME t) { return (((ULONGLONG)t.dwHighDateTime << 32) | t.dwLowDateTime) / 10000; }

/*
 * In a guarded child: ends it once it has used cpu_limit_ms of processor
 * time, looking again when what is left could have been used (one thread
 * works: its processor time passes no faster than the clock).
 */
static DWORD WINAPI watch_time(void *unused)
{
	(void)unused;
	FILETIME created, exited, kernel, user;
	ULONGLONG used;
	while (GetProcessTimes(GetCurrentProcess(), &created, &exited, &kernel, &user) &&
	       (used = filetime_ms(kernel) + filetime_ms(user)) < cpu_limit_ms)
		Sleep((DWORD)(cpu_limit_ms - used));
	TerminateProcess(GetCurrentProcess(), GUARDED_OUT_OF_TIME); /* at the limit, or unwatched: it must not run on */
	return 0;
}

/*
 * Windows cannot fork: the child is this program started again, with no
 * arguments, NUL for its standard streams, its pipe's write end by
 * inheritance, and the handle's value, its limit of processor time and the
 * job in QY_GUARDED, set only while it starts; cli_init finds it
 * (platform_guarded_child) and does the job.  Job objects would bound its
 * time too, but Wine does not enforce their limits: the child watches itself.
 */
struct platform_worker *platform_guarded_start(const char *job, unsigned cpu_seconds,
					       void (*body)(void *ctx, int fd), void *ctx)
{
	(void)body, (void)ctx;
	HANDLE write_end, null = null_device();
	WCHAR exe[MAX_PATH];
	DWORD n = GetModuleFileNameW(NULL, exe, MAX_PATH), error;
	struct platform_worker *w = null != INVALID_HANDLE_VALUE && n > 0 && n < MAX_PATH ? pipe_from_child(&write_end) : NULL;
	bool ok = false;
	if (w) {
		struct buf line = {0}, value = {0};
		char *self = narrow(exe);
		quote_arg(&line, self);
		buf_addf(&value, "%llu %u %s", (unsigned long long)(uintptr_t)write_end, cpu_seconds, job);
		WCHAR *command = widen(line.data), *env = widen(value.data);
		ok = start_child(w, command, L"QY_GUARDED", env, null, null, null, &error);
		free(self), free(command), free(env);
		buf_free(&line), buf_free(&value);
		CloseHandle(write_end);
		if (!ok)
			platform_worker_forget(w);
	}
	if (null != INVALID_HANDLE_VALUE)
		CloseHandle(null);
	return ok ? w : NULL;
}

bool platform_guarded_child(const char **job, int *fd)
{
	static char *given;
	const char *v = getenv("QY_GUARDED");
	unsigned long long pipe;
	unsigned seconds;
	int at = 0;
	if (!v || sscanf(v, "%llu %u %n", &pipe, &seconds, &at) != 2 || at == 0)
		return false;
	given = xstrdup(v + at);
	SetEnvironmentVariableW(L"QY_GUARDED", NULL);
	SetErrorMode(GetErrorMode() | SEM_NOGPFAULTERRORBOX); /* a crash ends it quietly: its parent says what happened */
	cpu_limit_ms = (ULONGLONG)seconds * 1000;
	HANDLE watch = CreateThread(NULL, 64 << 10, watch_time, NULL, 0, NULL);
	if (!watch)
		_exit(EXIT_TROUBLE); /* it would have no limit: its parent says the job was not done */
	CloseHandle(watch);
	*fd = _open_osfhandle((intptr_t)pipe, _O_WRONLY | _O_BINARY);
	*job = given;
	return *fd >= 0;
}

/* Starts reading what w sends, unless a read is under way, its data is not all taken, or it ended. */
static void start_read(struct platform_worker *w)
{
	if (w->reading || w->ended || w->taken < w->got)
		return;
	w->got = w->taken = 0;
	ResetEvent(w->read.hEvent);
	if (ReadFile(w->pipe, w->data, sizeof w->data, NULL, &w->read) || GetLastError() == ERROR_IO_PENDING)
		w->reading = true;
	else
		w->ended = true; /* ERROR_BROKEN_PIPE: the worker has closed its end */
}

/* Takes a finished read of w; whether w has something for its reader: data, or its end. */
static bool take_read(struct platform_worker *w)
{
	DWORD n = 0;
	if (w->reading) {
		if (!GetOverlappedResult(w->pipe, &w->read, &n, FALSE)) {
			if (GetLastError() == ERROR_IO_INCOMPLETE)
				return false;
			w->ended = true;
		}
		w->reading = false;
		w->got = n;
		w->taken = 0;
	}
	return w->ended || w->taken < w->got;
}

int platform_worker_poll(struct platform_worker *const *workers, int n, bool *ready)
{
	HANDLE events[MAXIMUM_WAIT_OBJECTS];
	DWORD nevents = 0;
	int count = 0;
	for (int k = 0; k < n; k++) {
		start_read(workers[k]);
		count += ready[k] = take_read(workers[k]);
	}
	if (count > 0 || n == 0)
		return count;
	for (int k = 0; k < n && nevents < MAXIMUM_WAIT_OBJECTS; k++)
		if (workers[k]->reading)
			events[nevents++] = workers[k]->read.hEvent;
	if (nevents && WaitForMultipleObjects(nevents, events, FALSE, INFINITE) == WAIT_FAILED) {
		errno = EIO;
		return -1;
	}
	for (int k = 0; k < n; k++)
		count += ready[k] = take_read(workers[k]);
	return count;
}

long platform_worker_read(struct platform_worker *w, void *buf, size_t len)
{
	if (w->taken < w->got) {
		size_t n = w->got - w->taken < len ? w->got - w->taken : len;
		memcpy(buf, w->data + w->taken, n);
		w->taken += (DWORD)n;
		return (long)n;
	}
	if (w->ended)
		return 0;
	errno = EAGAIN;
	return -1;
}

bool platform_out_of_time(int how) { return (DWORD)how == GUARDED_OUT_OF_TIME; }

void platform_worker_kill(struct platform_worker *w) { TerminateProcess(w->process, 1); }

/* Ends a read under way, so that its buffer can go. */
static void cancel_read(struct platform_worker *w)
{
	DWORD n;
	if (w->reading) {
		CancelIoEx(w->pipe, &w->read);
		GetOverlappedResult(w->pipe, &w->read, &n, TRUE);
		w->reading = false;
	}
}

int platform_worker_end(struct platform_worker *w)
{
	HANDLE process = w->process;
	w->process = NULL;
	platform_worker_forget(w);
	DWORD code;
	if (WaitForSingleObject(process, INFINITE) != WAIT_OBJECT_0 || !GetExitCodeProcess(process, &code))
		code = (DWORD)-1;
	CloseHandle(process);
	return (int)code;
}

void platform_worker_forget(struct platform_worker *w)
{
	cancel_read(w);
	if (w->pipe && w->pipe != INVALID_HANDLE_VALUE)
		CloseHandle(w->pipe);
	if (w->read.hEvent)
		CloseHandle(w->read.hEvent);
	if (w->process)
		CloseHandle(w->process);
	free(w);
}

static HANDLE watcher, watch_ended; /* in a worker: the thread that watches its parent, and what stops it */

/* In a worker: ends it when its parent has ended, unless told to stop watching first. */
static DWORD WINAPI watch_parent(void *unused)
{
	(void)unused;
	HANDLE either[] = {parent_process, watch_ended};
	if (WaitForMultipleObjects(2, either, FALSE, INFINITE) == WAIT_OBJECT_0)
		TerminateProcess(GetCurrentProcess(), EXIT_TROUBLE);
	return 0;
}

/* A crash ends the worker quietly, without an error box: its parent tells what happened. */
void platform_worker_bind(void)
{
	SetErrorMode(GetErrorMode() | SEM_NOGPFAULTERRORBOX);
	watch_ended = parent_process ? CreateEventW(NULL, TRUE, FALSE, NULL) : NULL;
	watcher = watch_ended ? CreateThread(NULL, 64 << 10, watch_parent, NULL, 0, NULL) : NULL;
}

/* Stops the watching thread and waits for it, so that no thread is left waiting when the worker exits. */
void platform_worker_unbind(void)
{
	if (watcher) {
		SetEvent(watch_ended);
		WaitForSingleObject(watcher, INFINITE);
		CloseHandle(watcher);
		watcher = NULL;
	}
	if (watch_ended)
		CloseHandle(watch_ended);
	watch_ended = NULL;
}

bool platform_parent_alive(void)
{
	return !parent_process || WaitForSingleObject(parent_process, 0) == WAIT_TIMEOUT;
}

bool platform_worker_child(int *slot, int *fd, void **shared, size_t bytes)
{
	const char *v = getenv("QY_WORKER");
	unsigned long long pipe, map, parent, size;
	int s, argc;
	if (!v)
		return false;
	if (sscanf(v, "%d %llu %llu %llu %llu %d", &s, &pipe, &map, &parent, &size, &argc) != 6)
		die(EXIT_TROUBLE, "QY_WORKER is set, but this process was not started as a worker");
	if (size != bytes || argc != __argc)
		die(EXIT_TROUBLE, "a worker was started for another run than its parent's");
	parent_process = (HANDLE)(uintptr_t)parent;
	*shared = MapViewOfFile((HANDLE)(uintptr_t)map, FILE_MAP_ALL_ACCESS, 0, 0, bytes);
	*fd = _open_osfhandle((intptr_t)pipe, _O_WRONLY | _O_BINARY);
	if (!*shared || *fd < 0)
		die(EXIT_TROUBLE, "a worker cannot reach its parent");
	*slot = s;
	return true;
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

bool platform_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

const char *platform_temp_dir(void)
{
	const char *dir = getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}

int platform_scratch_file(void)
{
	struct buf name = {0};
	buf_addf(&name, "%s/qy-scratch-XXXXXX", platform_temp_dir());
	int fd = mkstemp(name.data);
	if (fd >= 0)
		unlink(name.data);
	buf_free(&name);
	return fd;
}

int platform_temp_file(const char *prefix, char **path)
{
	struct buf name = {0};
	buf_addf(&name, "%s/%s-XXXXXX", platform_temp_dir(), prefix);
	int fd = mkstemp(name.data);
	if (fd < 0) {
		buf_free(&name);
		return -1;
	}
	*path = name.data;
	return fd;
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

/* Statuses are waitpid's; -1 stands for one that is not known. */
bool platform_exited(int how, int *status)
{
	if (how == -1 || !WIFEXITED(how))
		return false;
	*status = WEXITSTATUS(how);
	return true;
}

bool platform_signalled(int how, int *sig, const char **name)
{
	if (how == -1 || !WIFSIGNALED(how))
		return false;
	*sig = WTERMSIG(how);
	*name = strsignal(*sig);
	return true;
}

/* ---- worker processes: forked, each with a pipe, over anonymous shared memory ---- */

struct platform_worker {
	pid_t pid;
	int fd;                  /* the read end of its pipe */
};

static pid_t parent_pid;         /* in a worker: the process that forked it */

void *platform_shared_new(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void platform_shared_free(void *p, size_t bytes) { munmap(p, bytes); }

struct platform_worker *platform_worker_start(int slot, char *const *restart_args,
					      void (*body)(void *ctx, int slot, int fd), void *ctx)
{
	(void)restart_args;
	int p[2];
	if (pipe(p) != 0) {
		warnmsg("cannot start a worker: pipe: %s", strerror(errno));
		return NULL;
	}
	fflush(stdout); /* a worker must not inherit output the parent has not written yet */
	parent_pid = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		warnmsg("cannot start a worker: fork: %s", strerror(errno));
		close(p[0]), close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		close(p[0]);
		body(ctx, slot, p[1]);
		_exit(EXIT_TROUBLE); /* body does not return */
	}
	close(p[1]);
#ifdef F_SETPIPE_SZ
	/* (a pipe that stays at its first size is only slower) */
	(void)fcntl(p[0], F_SETPIPE_SZ, (int)PLATFORM_PIPE_ROOM);
#endif
	struct platform_worker *w = xmalloc(sizeof *w);
	*w = (struct platform_worker){.pid = pid, .fd = p[0]};
	return w;
}

int platform_worker_poll(struct platform_worker *const *workers, int n, bool *ready)
{
	if (n <= 0)
		return 0;
	struct pollfd *fds = xcalloc((size_t)n, sizeof *fds);
	for (int k = 0; k < n; k++)
		fds[k] = (struct pollfd){.fd = workers[k]->fd, .events = POLLIN};
	int got = poll(fds, (nfds_t)n, -1);
	for (int k = 0; k < n; k++)
		ready[k] = got > 0 && fds[k].revents;
	free(fds);
	return got;
}

long platform_worker_read(struct platform_worker *w, void *buf, size_t len) { return read(w->fd, buf, len); }

/*
 * In a guarded child: ends it with SIGXCPU once it has used seconds of
 * processor time, and with SIGKILL a second later should SIGXCPU be caught;
 * within a hard limit this process was given, if that is lower.
 */
static void limit_processor_time(unsigned seconds)
{
	struct rlimit was, cpu = {seconds, (rlim_t)seconds + 1};
	if (getrlimit(RLIMIT_CPU, &was) == 0 && was.rlim_max != RLIM_INFINITY && was.rlim_max < cpu.rlim_max) {
		cpu.rlim_max = was.rlim_max;
		if (cpu.rlim_cur > cpu.rlim_max)
			cpu.rlim_cur = cpu.rlim_max;
	}
	setrlimit(RLIMIT_CPU, &cpu);
	sigset_t xcpu;
	sigemptyset(&xcpu);
	sigaddset(&xcpu, SIGXCPU);
	signal(SIGXCPU, SIG_DFL); /* neither ignored nor blocked, whatever this process inherited */
	sigprocmask(SIG_UNBLOCK, &xcpu, NULL);
}

struct platform_worker *platform_guarded_start(const char *job, unsigned cpu_seconds,
					       void (*body)(void *ctx, int fd), void *ctx)
{
	(void)job;
	int p[2];
	if (pipe(p) != 0)
		return NULL;
	fflush(stdout); /* the child must not inherit output the parent has not written yet */
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]), close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		close(p[0]);
		int null = open("/dev/null", O_RDWR);
		for (int fd = 0; fd <= 2 && null >= 0; fd++)
			dup2(null, fd);
		struct rlimit none = {0, 0};
		setrlimit(RLIMIT_CORE, &none);
		limit_processor_time(cpu_seconds);
		setenv("LIBC_FATAL_STDERR_", "1", 1); /* glibc's abort messages to stderr, not the terminal */
		body(ctx, p[1]);
		_exit(0);
	}
	close(p[1]);
	struct platform_worker *w = xmalloc(sizeof *w);
	*w = (struct platform_worker){.pid = pid, .fd = p[0]};
	return w;
}

bool platform_guarded_child(const char **job, int *fd)
{
	(void)job, (void)fd;
	return false;
}

bool platform_out_of_time(int how) { return how != -1 && WIFSIGNALED(how) && WTERMSIG(how) == SIGXCPU; }

void platform_worker_kill(struct platform_worker *w) { kill(w->pid, SIGKILL); }

int platform_worker_end(struct platform_worker *w)
{
	int how = -1;
	close(w->fd);
	while (waitpid(w->pid, &how, 0) < 0 && errno == EINTR)
		;
	free(w);
	return how;
}

void platform_worker_forget(struct platform_worker *w)
{
	close(w->fd);
	free(w);
}

void platform_worker_bind(void)
{
#ifdef PR_SET_PDEATHSIG
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
}

void platform_worker_unbind(void) {}

/* A parent that is gone (before PR_SET_PDEATHSIG, or where there is none) has left the worker to init. */
bool platform_parent_alive(void) { return getppid() == parent_pid; }

bool platform_worker_child(int *slot, int *fd, void **shared, size_t bytes)
{
	(void)slot, (void)fd, (void)shared, (void)bytes;
	return false;
}

#endif
