/* platform_test — the platform module on whichever system runs it (Linux, or Windows under Wine). */
#include "cli.h"
#include "platform.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#ifdef _WIN32
#include <io.h>
#include <windows.h>
#endif

static void test_paths(void)
{
	CHECK_STR("basename after '/'", platform_basename("samples/英德市.csv"), "英德市.csv");
	CHECK_STR("basename of a bare name", platform_basename("英德市.csv"), "英德市.csv");
	CHECK("absolute '/'", platform_is_absolute("/rules"), "not absolute");
	CHECK("relative", !platform_is_absolute("rules/ref"), "absolute");
#ifdef _WIN32
	CHECK_STR("basename after '\\'", platform_basename("C:\\数据\\英德市.csv"), "英德市.csv");
	CHECK_STR("basename after a drive", platform_basename("D:英德市.csv"), "英德市.csv");
	CHECK("absolute with a drive", platform_is_absolute("C:\\rules") && platform_is_absolute("c:/rules"), "not absolute");
	CHECK("absolute '\\'", platform_is_absolute("\\rules"), "not absolute");
#else
	CHECK_STR("'\\' is part of a name", platform_basename("a\\b.csv"), "a\\b.csv");
	CHECK("a drive is a name", !platform_is_absolute("C:\\rules"), "absolute");
#endif
	const char *dir = platform_exe_dir();
	CHECK("executable's directory", dir && strcmp(platform_basename(dir), "tests") == 0, "got '%s'", dir ? dir : "(null)");
}

static void test_system(void)
{
	CHECK("processors", platform_processors() >= 1, "got %ld", platform_processors());
	size_t bytes = (size_t)4 << 20;
	unsigned char *p = platform_zeroed_pages(bytes);
	size_t nonzero = 0;
	for (size_t i = 0; i < bytes; i += 4093)
		nonzero += p[i] != 0;
	p[0] = p[bytes - 1] = 1;
	platform_free_pages(p, bytes);
	CHECK("zeroed pages", nonzero == 0, "%zu bytes not zero", nonzero);
#ifdef _WIN32
	int null = open("NUL", O_WRONLY);
#else
	int null = open("/dev/null", O_WRONLY);
#endif
	CHECK("the null device is no terminal", null >= 0 && !platform_is_terminal(null) && !platform_escapes(null),
	      "it is one");
	close(null);
	FILE *f = tmpfile();
	CHECK("a file is no terminal", f && !platform_is_terminal(fileno(f)) && !platform_colours(fileno(f)), "it is one");
	if (f)
		fclose(f);
#ifdef _WIN32
	/* tests/run reads this through a pipe: no "\r\n" there, and files read as bytes */
	CHECK("stdout to a pipe is binary", _setmode(STDOUT_FILENO, _O_BINARY) == _O_BINARY, "text mode");
	CHECK("files open as binary", _fmode == _O_BINARY, "text mode");
#endif
}

/*
 * A guarded child's job: "spin" uses processor time, for 20 s at most, then
 * says it was not stopped; "sleep" waits 1.5 s, using none, and says so.
 */
static void guarded_job(const char *job, int fd)
{
	time_t start = time(NULL);
	const char *said = "slept";
	if (strcmp(job, "spin") == 0) {
		for (volatile unsigned long n = 0; time(NULL) - start < 20; n++)
			;
		said = "not stopped";
	} else {
#ifdef _WIN32
		Sleep(1500);
#else
		nanosleep(&(struct timespec){1, 500000000}, NULL);
#endif
	}
	if (write(fd, said, strlen(said)) < 0)
		return;
}

static void guarded_body(void *ctx, int fd) { guarded_job(ctx, fd); }

/* Runs job in a guarded child of 1 s of processor time: what it wrote, and how it ended in *how. */
static void run_guarded(const char *job, char *got, size_t size, int *how)
{
	size_t n = 0;
	struct platform_worker *w = platform_guarded_start(job, 1, guarded_body, (void *)job);
	if (!w) {
		snprintf(got, size, "(no child)");
		*how = -1;
		return;
	}
	for (;;) {
		bool ready;
		if (platform_worker_poll(&w, 1, &ready) < 0)
			continue;
		long r = platform_worker_read(w, got + n, size - 1 - n);
		if (r <= 0 && !(r < 0 && errno == EAGAIN))
			break;
		n += r > 0 ? (size_t)r : 0;
	}
	got[n] = '\0';
	*how = platform_worker_end(w);
}

/*
 * A guarded child is ended at its limit of processor time (even where its
 * parent ignores SIGXCPU, as one started with it ignored does), and not for
 * time it spends waiting.
 */
static void test_guarded(void)
{
	char got[64];
	int how, status;
#ifdef SIGXCPU
	void (*was)(int) = signal(SIGXCPU, SIG_IGN);
#endif
	run_guarded("spin", got, sizeof got, &how);
#ifdef SIGXCPU
	signal(SIGXCPU, was);
#endif
	CHECK("a spinning child is stopped at 1 s of processor time", platform_out_of_time(how) && got[0] == '\0',
	      "it ended with status %#x after writing '%s'", (unsigned)how, got);
	run_guarded("sleep", got, sizeof got, &how);
	CHECK("a child that waits is not stopped", !platform_out_of_time(how) && platform_exited(how, &status) &&
	      status == 0 && strcmp(got, "slept") == 0, "it ended with status %#x after writing '%s'", (unsigned)how, got);
}

int main(void)
{
	const char *job;
	int fd;
	if (platform_guarded_child(&job, &fd)) { /* started again by test_guarded (Windows) */
		guarded_job(job, fd);
		return 0;
	}
	cli_init("platform_test");
	test_paths();
	test_system();
	test_guarded();
	return test_status();
}
