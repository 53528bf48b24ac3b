/* platform_test — the platform module on whichever system runs it (Linux, or Windows under Wine). */
#include "cli.h"
#include "platform.h"
#include "test.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef _WIN32
#include <io.h>
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

int main(void)
{
	cli_init("platform_test");
	test_paths();
	test_system();
	return test_status();
}
