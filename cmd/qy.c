/*
 * qy — run a qy command: "qy NAME ARGS" runs qy-NAME ARGS, as git does.
 *
 * usage: qy NAME [ARGS...]
 *        qy help [NAME]
 *        qy --version
 *
 * qy-NAME is looked for next to qy first, then on PATH.
 */
#include "cli.h"
#include "platform.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct { const char *name, *about; } commands[] = {
	{"check", "check data files against rule sets (the diagnostic stream)"},
	{"rules", "list, show, lint and explain rule sets"},
	{"template", "a blank submission template (CSV or a validating workbook) or a data dictionary"},
	{"fix", "repair what is safe to repair in data files, and say what changed"},
	{"annotate", "a checked file as a workbook, its findings coloured and commented"},
	{"reconcile", "check a batch as a whole: what disagrees across files, or was not sent"},
	{"filter", "keep the findings of a stream that match"},
	{"stat", "count the findings of a stream"},
	{"report", "render a stream as text, markdown, html, junit, sarif or github"},
	{"gate", "pass or fail a stream against thresholds"},
};

static const struct option long_options[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"list-options", no_argument, NULL, 'L'},
	{NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: qy NAME [ARGS...]\n       qy help [NAME]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].about);
	fprintf(out, "\n'qy help NAME' shows a command's options; each is also qy-NAME.\n");
}

/* Runs qy-NAME from qy's own directory, else from PATH; returns only on failure. */
static void run(const char *name, char **args)
{
	char path[PATH_MAX + 256];
	char cmd[128];
	snprintf(cmd, sizeof cmd, "qy-%s", name);
	args[0] = cmd;
	const char *self = platform_exe_dir();
	int len = self ? snprintf(path, sizeof path, "%s/%s%s", self, cmd, PLATFORM_EXE_SUFFIX) : -1;
	if (len > 0 && (size_t)len < sizeof path && access(path, R_OK) == 0)
		platform_exec(path, args, false);
	platform_exec(cmd, args, true);
	bool zh = lang_from_env() == LANG_ZH;
	if (errno == ENOENT)
		die(EXIT_TROUBLE, zh ? "没有“%s”这个命令；qy help 列出所有命令" : "'%s' is not a qy command; 'qy help' lists them",
		    name);
	die(EXIT_TROUBLE, zh ? "无法运行 qy-%s：%s" : "cannot run qy-%s: %s", name, diag_strerror(errno, zh ? LANG_ZH : LANG_EN));
}

int main(int argc, char **argv)
{
	cli_init("qy");
	if (argc < 2) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		close_stdout();
		return EXIT_PASS;
	}
	if (!strcmp(argv[1], "--version"))
		cli_version();
	if (!strcmp(argv[1], "--list-options")) {
		for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
			puts(commands[i].name);
		puts("help");
		cli_list_options(long_options, NULL);
	}
	if (argv[1][0] == '-')
		cli_usage_error("unknown option '%s'", argv[1]);
	if (!strcmp(argv[1], "help")) {
		char *args[] = {NULL, "--help", NULL};
		run(argv[2], args);
	}
	run(argv[1], argv + 1);
	return EXIT_TROUBLE;
}
