/* cli.c — shared command-line conventions. */
#include "cli.h"
#include "platform.h"
#include "rulefiles.h"
#include "util.h"
#include "xls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_init(const char *name)
{
	progname = name;
	platform_init();
	/* stdout to a file or a pipe is written 64 KiB at a time, not at the device's block
	 * size (4 KiB for a pipe or /dev/null): a write a few findings costs more than
	 * writing them; a terminal keeps its line buffering */
	static char out_buffer[64 << 10];
	if (!platform_is_terminal(1))
		setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
	const char *job;
	int fd;
	if (platform_guarded_child(&job, &fd)) /* started again to read a .xls (Windows) */
		_exit(xls_serve(job, fd) ? EXIT_PASS : EXIT_TROUBLE);
	opterr = 0; /* cli_bad_option words the errors, under the command's own name */
}

void cli_bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	if (c == ':')
		cli_usage_error("option '%s' needs an argument", arg);
	if (optopt && strncmp(arg, "--", 2) != 0)
		cli_usage_error("unknown option '-%c'", optopt);
	cli_usage_error("unrecognized option '%s'", arg);
}

/* Ends a command whose whole job was to print: exit 0, or 2 when stdout could not take it. */
static void __attribute__((noreturn)) exit_printed(void)
{
	close_stdout();
	exit(EXIT_PASS);
}

void cli_version(void)
{
	printf("%s %s\n", progname, QY_VERSION);
	exit_printed();
}

/* Prints one option line: the name and, when it takes an argument, its hint. */
static void print_option(const char *dashes, const char *name, const struct option *o,
			 const struct option_hint *hints)
{
	printf("%s%s", dashes, name);
	if (o->has_arg != no_argument) {
		const char *values = "";
		for (const struct option_hint *h = hints; h && h->name; h++)
			if (strcmp(h->name, o->name) == 0)
				values = h->values;
		printf("=%s", values);
	}
	putchar('\n');
}

void cli_list_options(const struct option *opts, const struct option_hint *hints)
{
	for (const struct option *o = opts; o->name; o++) {
		if (strncmp(o->name, "list-", 5) == 0) /* --list-options and the other helpers completion calls */
			continue;
		print_option("--", o->name, o, hints);
		if (o->val > ' ' && o->val < 127) {
			char shortname[2] = {(char)o->val, '\0'};
			print_option("-", shortname, o, hints);
		}
	}
	exit_printed();
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", progname);
	exit(EXIT_TROUBLE);
}

long cli_count(const char *option, const char *arg)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0)
		cli_usage_error("%s needs a whole number, not '%s'", option, arg);
	return v;
}

/* Writes a size limit the way a user would type it: 1024M rather than 1G, 64M, 512K. */
static void size_text(uint64_t size, char *out, size_t len)
{
	static const char units[] = "KMG";
	int unit = -1;
	while (unit < 2 && size % 1024 == 0 && size / 1024 >= 1024)
		size /= 1024, unit++;
	if (unit < 0)
		snprintf(out, len, "%llu", (unsigned long long)size);
	else
		snprintf(out, len, "%llu%c", (unsigned long long)size, units[unit]);
}

uint64_t cli_size(const char *option, const char *arg, uint64_t max)
{
	char *end, most[32];
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	int shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (errno || end == arg || *end || v == 0 || arg[0] == '-' || v > (max >> shift)) {
		size_text(max, most, sizeof most);
		cli_usage_error("%s needs a size from 1 to %s, such as 1048576, 512K or 4M, not '%s'",
				option, most, arg);
	}
	return (uint64_t)v << shift;
}

void cli_standard(int c, char **argv, const char *usage, const struct option *opts,
		  const struct option_hint *hints)
{
	if (c == 'h') {
		fputs(usage, stdout);
		exit_printed();
	}
	if (c == CLI_VERSION)
		cli_version();
	if (c == CLI_LIST_OPTIONS)
		cli_list_options(opts, hints);
	cli_bad_option(c, argv);
}

enum lang cli_lang(const char *arg)
{
	if (strcmp(arg, "zh") && strcmp(arg, "en"))
		cli_usage_error("--lang must be zh or en, not '%s'", arg);
	return arg[0] == 'z' ? LANG_ZH : LANG_EN;
}

enum severity cli_fail_on(const char *arg)
{
	enum severity s;
	if (!severity_from_name(arg, &s, true) || s == SEV_INFO)
		cli_usage_error("--fail-on must be error, warning or never, not '%s'", arg);
	return s;
}

enum out_format cli_format(const char *arg, int fd)
{
	if (!arg)
		return platform_is_terminal(fd) ? OUT_TEXT : OUT_JSON;
	if (strcmp(arg, "json") == 0)
		return OUT_JSON;
	if (strcmp(arg, "text") != 0)
		cli_usage_error("--format must be json or text, not '%s'", arg);
	return OUT_TEXT;
}

bool cli_color(const char *arg, int fd)
{
	if (strcmp(arg, "always") == 0)
		return true;
	if (strcmp(arg, "never") == 0)
		return false;
	if (strcmp(arg, "auto") != 0)
		cli_usage_error("--color must be auto, always or never, not '%s'", arg);
	return platform_colours(fd) && !getenv("NO_COLOR");
}

bool cli_rule_file_option(int c, const char *arg)
{
	struct stat st;
	if (c == CLI_MAX_REF_SIZE) {
		rulefiles_set_max_size(cli_size("--max-ref-size", arg, 1ULL << 40));
		return true;
	}
	if (c != CLI_REF_DIR)
		return false;
	if (stat(arg, &st) != 0 || !S_ISDIR(st.st_mode))
		cli_usage_error("--ref-dir needs a directory, not '%s'", arg);
	rulefiles_set_ref_dir(arg);
	return true;
}
