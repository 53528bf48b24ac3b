/*
 * pipe-stall.c — for the Windows cases of a -j worker that dies in the middle
 * of a file: serves \\.\pipe\NAME as an input that gives the bytes of FEED
 * and then stalls, runs COMMAND (a qy-check -j that is given that pipe as one
 * of its files), and once a worker has read the first bytes, ends it as Task
 * Manager does (TerminateProcess, status 1) — or, with "crash", with the
 * status of an access violation (0xC0000005), as a crash would; or, with
 * "parent", ends the qy-check that started it (status 1, its output going to
 * NUL) and says whether any of its workers is still running ten seconds
 * later.  Built by `make check-windows` with mingw-w64 and run under Wine.
 *
 * usage: pipe-stall worker|crash|parent NAME FEED COMMAND [ARG...]
 * Prints COMMAND's output, then "rc=N" (its exit status) or, with parent,
 * "no worker left" or "a worker is still running".
 */
#include <windows.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <tlhelp32.h>
#include <wchar.h>

/* Fails the run with a message. */
static int fail(const char *what)
{
	printf("pipe-stall: %s (Windows error %lu)\n", what, (unsigned long)GetLastError());
	return 2;
}

/* The command line after the first four arguments of this one, as given. */
static const WCHAR *command_line(void)
{
	const WCHAR *p = GetCommandLineW();
	for (int skip = 0; skip < 4; skip++) {
		bool quoted = false;
		while (*p == L' ' || *p == L'\t')
			p++;
		for (; *p && (quoted || (*p != L' ' && *p != L'\t')); p++)
			if (*p == L'"')
				quoted = !quoted;
	}
	while (*p == L' ' || *p == L'\t')
		p++;
	return p;
}

/* Up to max processes whose parent is pid, opened to be waited for. */
static int children(DWORD pid, HANDLE *out, int max)
{
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	PROCESSENTRY32W e = {.dwSize = sizeof e};
	int n = 0;
	for (BOOL ok = Process32FirstW(snap, &e); ok && n < max; ok = Process32NextW(snap, &e))
		if (e.th32ParentProcessID == pid && (out[n] = OpenProcess(SYNCHRONIZE, FALSE, e.th32ProcessID)))
			n++;
	CloseHandle(snap);
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 5 || (strcmp(argv[1], "worker") && strcmp(argv[1], "crash") && strcmp(argv[1], "parent"))) {
		fputs("usage: pipe-stall worker|crash|parent NAME FEED COMMAND [ARG...]\n", stderr);
		return 2;
	}
	bool parent = strcmp(argv[1], "parent") == 0;
	UINT status = strcmp(argv[1], "crash") == 0 ? 0xC0000005 : 1;
	char feed[4096];
	FILE *f = fopen(argv[3], "rb");
	size_t nfeed = f ? fread(feed, 1, sizeof feed, f) : 0;
	if (f)
		fclose(f);
	WCHAR name[256];
	swprintf(name, 256, L"\\\\.\\pipe\\%hs", argv[2]);
	HANDLE pipe = CreateNamedPipeW(name, PIPE_ACCESS_OUTBOUND | FILE_FLAG_OVERLAPPED, PIPE_TYPE_BYTE | PIPE_WAIT, 1,
				       65536, 0, 0, NULL);
	if (pipe == INVALID_HANDLE_VALUE)
		return fail("cannot make the pipe");
	fflush(stdout);
	/* what a parent wrote before it was ended depends on timing: it goes to NUL */
	SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
	HANDLE nul = CreateFileW(L"NUL", GENERIC_WRITE, FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
	STARTUPINFOW si = {.cb = sizeof si};
	if (parent) {
		si.dwFlags = STARTF_USESTDHANDLES;
		si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
		si.hStdOutput = nul;
		si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
	}
	PROCESS_INFORMATION pi;
	WCHAR *command = _wcsdup(command_line());
	if (!CreateProcessW(NULL, command, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
		return fail("cannot start the command");
	/* a worker opens the pipe as its file: then it gets the first bytes, and stalls */
	OVERLAPPED connect = {.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)};
	if (!ConnectNamedPipe(pipe, &connect) && GetLastError() == ERROR_IO_PENDING) {
		HANDLE either[] = {connect.hEvent, pi.hProcess};
		if (WaitForMultipleObjects(2, either, FALSE, 60000) != WAIT_OBJECT_0)
			return fail("no worker opened the pipe");
	}
	OVERLAPPED write = {.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL)};
	DWORD n;
	if (!WriteFile(pipe, feed, (DWORD)nfeed, NULL, &write) && GetLastError() != ERROR_IO_PENDING)
		return fail("cannot feed the pipe");
	GetOverlappedResult(pipe, &write, &n, TRUE);
	ULONG worker_id;
	if (!GetNamedPipeClientProcessId(pipe, &worker_id))
		return fail("cannot tell the worker");
	HANDLE workers[64];
	int nworkers = parent ? children(pi.dwProcessId, workers, 64) : 0;
	HANDLE worker = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, worker_id);
	if (!worker)
		return fail("cannot reach the worker");
	if (!TerminateProcess(parent ? pi.hProcess : worker, status))
		return fail("cannot end it");
	DWORD rc = 0;
	WaitForSingleObject(pi.hProcess, 60000);
	GetExitCodeProcess(pi.hProcess, &rc);
	if (!parent) {
		printf("rc=%lu\n", (unsigned long)rc);
	} else {
		printf("parent rc=%lu\n", (unsigned long)rc);
		bool left = nworkers == 0 || WaitForMultipleObjects((DWORD)nworkers, workers, TRUE, 10000) != WAIT_OBJECT_0;
		puts(left ? "a worker is still running" : "no worker left");
	}
	CloseHandle(pipe);
	return 0;
}
