/*
 * cli.h — what every command does the same way: --version, the hidden
 * --list-options that shell completions read, usage errors (stderr, exit 2)
 * and the name the messages carry.
 */
#ifndef QY_CLI_H
#define QY_CLI_H

#include "diag.h"

#include <getopt.h>
#include <stdint.h>

/* Option values every command shares (beside 'h'); command options start at 256. */
enum { CLI_VERSION = 1000, CLI_LIST_OPTIONS, CLI_REF_DIR, CLI_MAX_REF_SIZE };

/* The options every command has: --help, --version and the hidden --list-options. */
#define CLI_STANDARD_OPTIONS                                                   \
	{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, CLI_VERSION}, \
	{"list-options", no_argument, NULL, CLI_LIST_OPTIONS}

/* The options of every command that loads rule sets: what a rule set may read (rulefiles.h). */
#define CLI_RULE_FILE_OPTIONS                                                  \
	{"ref-dir", required_argument, NULL, CLI_REF_DIR},                     \
	{"max-ref-size", required_argument, NULL, CLI_MAX_REF_SIZE}

/* Takes --ref-dir or --max-ref-size; false for any other option. */
bool cli_rule_file_option(int c, const char *arg);

struct option_hint;

/*
 * Handles what getopt_long returned that is not a command's own option:
 * --help (usage on stdout, exit 0), --version, --list-options, or an error
 * (exit 2).  Printing that stdout cannot take (a full disk) is exit 2 too.
 * Never returns.
 */
void cli_standard(int c, char **argv, const char *usage, const struct option *opts,
		  const struct option_hint *hints) __attribute__((noreturn));

/* Sets progname for messages. */
void cli_init(const char *name);

/* Prints "NAME VERSION" and exits 0 (2 when stdout cannot be written). */
void cli_version(void) __attribute__((noreturn));

/* What an option's argument can be, for shell completion: a list of words, or FILE, DIR, RULESET. */
struct option_hint {
	const char *name;
	const char *values;
};

/*
 * Prints every option one per line for the completion scripts: "--name" when
 * it takes no argument, "--name=" for free text, "--name=VALUES" with a hint;
 * short options the same, after their long twins.  Exits 0 (2 when stdout
 * cannot be written).
 */
void cli_list_options(const struct option *opts, const struct option_hint *hints)
	__attribute__((noreturn));

/* Prints "NAME: message" and the --help hint on stderr, exits 2. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Reports what getopt_long (run with opterr = 0 and an optstring that starts
 * with ':') did not accept: an unknown option or a missing argument.  Exits 2.
 */
void cli_bad_option(int c, char **argv) __attribute__((noreturn));

/* Parses --lang: zh or en. */
enum lang cli_lang(const char *arg);

/* Parses --fail-on: error, warning or never. */
enum severity cli_fail_on(const char *arg);

/* Parses --format (json or text; NULL: text on a terminal fd, else json). */
enum out_format cli_format(const char *arg, int fd);

/* Parses --color (auto, always, never): whether to colour output to a stream on fd. */
bool cli_color(const char *arg, int fd);

/* Parses a whole number >= 0 or fails with a usage error naming the option. */
long cli_count(const char *option, const char *arg);

/*
 * Parses a size in bytes with an optional K, M or G suffix (powers of 1024)
 * from 1 byte to max, or fails with a usage error naming the option.
 */
uint64_t cli_size(const char *option, const char *arg, uint64_t max);

#endif
