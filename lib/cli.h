/*
 * cli.h — what every command does the same way: --version, the hidden
 * --list-options that shell completions read, usage errors (stderr, exit 2)
 * and the name the messages carry.
 */
#ifndef QY_CLI_H
#define QY_CLI_H

#include <getopt.h>

/* Sets progname for messages. */
void cli_init(const char *name);

/* Prints "NAME VERSION" and exits 0. */
void cli_version(void) __attribute__((noreturn));

/* Prints every long option (and the short ones in shorts) one per line, exits 0. */
void cli_list_options(const struct option *opts, const char *shorts) __attribute__((noreturn));

/* Prints "NAME: message" and the --help hint on stderr, exits 2. */
void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Parses a whole number >= 0 or fails with a usage error naming the option. */
long cli_count(const char *option, const char *arg);

#endif
