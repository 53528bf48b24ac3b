/* cli.c — shared command-line conventions. */
#include "cli.h"
#include "platform.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_init(const char *name)
{
	progname = name;
	platform_init();
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

void cli_version(void)
{
	printf("%s %s\n", progname, QY_VERSION);
	exit(EXIT_PASS);
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
		if (strcmp(o->name, "list-options") == 0)
			continue;
		print_option("--", o->name, o, hints);
		if (o->val > ' ' && o->val < 127) {
			char shortname[2] = {(char)o->val, '\0'};
			print_option("-", shortname, o, hints);
		}
	}
	exit(EXIT_PASS);
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

void cli_standard(int c, char **argv, const char *usage, const struct option *opts,
		  const struct option_hint *hints)
{
	if (c == 'h') {
		fputs(usage, stdout);
		exit(EXIT_PASS);
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
