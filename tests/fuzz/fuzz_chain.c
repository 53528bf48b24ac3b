/*
 * fuzz_chain — deep and long expressions through the whole checker.  The
 * input picks a shape (a chain of one binary operator, or nesting by
 * parentheses, unary operators, calls or conditionals), its length (up to
 * 65,535) and its terms; the expression becomes the assert of a rule set.  A
 * rule set deeper than the limit must be refused; one within it must give the
 * same findings for its first rows whether those rows are a small file or the
 * start of a big one.
 */
#include "check.h"
#include "diag.h"
#include "ruleset.h"
#include "util.h"

#include "fuzz_file.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEPTH_LIMIT 200

static const char *const numeric_terms[] = {"a", "b", "1", "a * 2", "abs(b)", "max_of(a, b)", "coalesce(b, 0)", "2.5"};
static const char *const boolean_terms[] = {"a > 1", "b != null", "is_null(a)", "a <= b", "true", "a in [1, 2]"};
static const char *const negatable_terms[] = {"is_null(a)", "true", "(a > 1)", "(b != null)"};

struct shape {
	const char *open, *close;   /* nesting: written before and after the inner part */
	const char *op;             /* a chain: written between terms */
	bool boolean;               /* its terms and result are booleans */
	int extra;                  /* levels one repetition adds (to the tree, or to the parser's recursion) */
};

static const struct shape shapes[] = {
	{NULL, NULL, " + ", false, 1}, {NULL, NULL, " * ", false, 1}, {NULL, NULL, " - ", false, 1},
	{NULL, NULL, " || ", true, 1}, {NULL, NULL, " && ", true, 1},
	{"(", ")", NULL, false, 1}, {"-", "", NULL, false, 1}, {"!", "", NULL, true, 1},
	{"abs(", ")", NULL, false, 1}, {"max_of(a, ", ")", NULL, false, 1},
	{"(a > 1 ? ", " : 0)", NULL, false, 2},
};

/* Writes the expression a shape makes with n repetitions around or between terms; returns its depth. */
static int build(const struct shape *sh, unsigned n, unsigned char pick, struct buf *e)
{
	bool negated = sh->open && sh->open[0] == '!';
	const char *const *terms = negated ? negatable_terms : sh->boolean ? boolean_terms : numeric_terms;
	size_t nterms = negated ? sizeof negatable_terms / sizeof *negatable_terms
			: sh->boolean ? sizeof boolean_terms / sizeof *boolean_terms
				      : sizeof numeric_terms / sizeof *numeric_terms;
	const char *term = terms[pick % nterms];
	int term_depth = strchr(term, ' ') || strchr(term, '(') ? 2 : 1;
	if (sh->op) {
		/* a term with the chain's own operator (a * 2 in a chain of *) lengthens the chain */
		int merged = strstr(term, sh->op) != NULL, deepest = merged ? 1 : term_depth;
		buf_adds(e, term);
		for (unsigned i = 1; i < n; i++) {
			const char *t = terms[(pick + i) % nterms];
			int depth = strchr(t, ' ') || strchr(t, '(') ? 2 : 1;
			buf_adds(e, sh->op);
			buf_adds(e, t);
			if (strstr(t, sh->op))
				merged++;
			else if (depth > deepest)
				deepest = depth;
		}
		if (!sh->boolean)
			buf_adds(e, " > 3");
		return (int)(n ? n - 1 : 0) + merged + deepest + !sh->boolean;
	}
	for (unsigned i = 0; i < n; i++)
		buf_adds(e, sh->open);
	buf_adds(e, term);
	for (unsigned i = 0; i < n; i++)
		buf_adds(e, sh->close);
	if (!sh->boolean)
		buf_adds(e, " > 3");
	return (int)n * sh->extra + term_depth + !sh->boolean;
}

/* Checks data (a CSV in memory) into a malloc'd transcript. */
static char *check_text(const struct ruleset *rs, const char *data, size_t size)
{
	int fd = memfd_create("fuzz-chain", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct diag_options dopt = {.format = OUT_JSON, .max_per_rule = -1, .max_errors = -1, .out = f};
	struct check_options copt = {0};
	struct diag_file df;
	struct check_result res;
	diag_file_begin(&df, &dopt, "chain.csv", rs->id);
	check_fd(rs, fd, &copt, &df, &res);
	diag_file_end(&df, res.records, res.bytes, res.encoding);
	fclose(f);
	close(fd);
	return out;
}

/* The findings of rows 2 to last, the small file's data rows, one a line. */
static void first_rows(const char *transcript, long last, struct buf *out)
{
	for (const char *line = transcript; *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line + 1) : strlen(line);
		const char *row = memmem(line, n, "\"row\":", 6); /* within the line: strstr would scan to the end */
		if (row) {
			long r = strtol(row + 6, NULL, 10);
			if (r >= 2 && r <= last)
				buf_add(out, line, n);
		}
		line += n;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_file_init("chain", "json");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	const struct shape *sh = &shapes[data[0] % (sizeof shapes / sizeof *shapes)];
	unsigned n = (unsigned)data[1] | (unsigned)data[2] << 8;
	struct buf expr = {0}, rules = {0}, small = {0}, big = {0}, a = {0}, b = {0};
	int depth = build(sh, n, data[3], &expr);
	buf_addf(&rules, "{\"ruleset\": \"chain\", \"columns\": [{\"name\": \"a\", \"type\": \"number\"}, "
		 "{\"name\": \"b\", \"type\": \"number\"}], \"rules\": [{\"id\": \"chain\", \"assert\": \"%s\"}]}",
		 expr.data);
	char *path = fuzz_file_write((const uint8_t *)rules.data, rules.len);
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
	dup2(null, STDERR_FILENO); /* a refused rule set explains itself there: not wanted here */
	struct ruleset *rs = path ? ruleset_load(path) : NULL;
	dup2(saved, STDERR_FILENO);
	close(saved), close(null);
	if (depth > DEPTH_LIMIT + 4 && rs) {
		fprintf(stdout, "a rule %d levels deep was accepted: %.200s\n", depth, expr.data);
		abort();
	}
	if (depth <= DEPTH_LIMIT - 4 && !rs) {
		fprintf(stdout, "a rule %d levels deep was refused: %.200s\n", depth, expr.data);
		abort();
	}
	if (rs) {
		buf_adds(&small, "a,b\n");
		long last = 1;
		for (size_t i = 4; i < size && i < 14; i++, last++)
			buf_addf(&small, "%d,%s\n", data[i] % 7, data[i] & 8 ? "" : data[i] & 16 ? "2" : "0.5");
		buf_add(&big, small.data, small.len);
		for (int i = 0; i < 300; i++)
			buf_addf(&big, "%d,%d\n", i % 5, i % 3);
		char *one = check_text(rs, small.data, small.len);
		char *two = check_text(rs, big.data, big.len);
		first_rows(one, last, &a);
		first_rows(two, last, &b);
		if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)) {
			fprintf(stdout, "the first rows differ between a small file and a big one:\n--- small\n%.300s\n--- big\n%.300s\n",
				a.data ? a.data : "", b.data ? b.data : "");
			abort();
		}
		free(one), free(two);
		ruleset_free(rs);
	}
	buf_free(&expr), buf_free(&rules), buf_free(&small), buf_free(&big), buf_free(&a), buf_free(&b);
	return 0;
}
