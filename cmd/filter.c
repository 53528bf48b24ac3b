/*
 * qy-filter — keep the findings of a diagnostic stream that match.
 *
 * usage: qy-filter [options] [FILE...]
 *
 * Diagnostics are kept when they match every criterion given (or none, with
 * --invert); each criterion takes a comma-separated list, globs where it
 * says so.  File and facts records are kept unless --no-file-records or
 * --type leaves them out (and --file applies to them too), so the output is
 * still a valid stream; qy-reconcile's summary record is kept unless --type
 * leaves it out, and a record type newer than this always passes.  Lines
 * pass through byte for byte.
 *
 * --county keeps a county's own files whole: a file whose file record names
 * the county (all its rows are of it) keeps its findings that have no county
 * (a missing column, a bad byte), its facts and its file record; another
 * county's file loses them all.  A file of several counties keeps only the
 * findings of the county, without its facts and file record, whose totals
 * would count the others.  A file record comes after the file's findings, so
 * under --county those are held until it comes (memory grows with one
 * file's findings).
 */
#include "cli.h"
#include "diag.h"
#include "stream.h"
#include "util.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: qy-filter [options] [FILE...]\n"
	"\n"
	"Keep the records of a diagnostic stream (files or stdin) that match.\n"
	"Each option takes a comma-separated list.\n"
	"\n"
	"  -s, --severity LEVELS  a minimum (warning: warnings and errors) or a list (error,info)\n"
	"  -c, --code GLOBS       diagnostic codes, e.g. range,type-*\n"
	"  -r, --rule GLOBS       rule ids, e.g. 'air-daily/*'\n"
	"  -f, --file GLOBS       file names (file records too)\n"
	"      --county CODES     county codes\n"
	"      --column NAMES     column names\n"
	"      --type TYPES       keep only these records: diagnostic, file, facts, reconcile\n"
	"  -v, --invert           keep the diagnostics that do not match\n"
	"      --no-file-records  drop the file records\n"
	"      --lenient          skip lines that are not records instead of failing\n"
	"  -h, --help             show this help\n"
	"      --version          show the version\n"
	"\n"
	"Exit status: 0, or 2 for a usage error or an unreadable stream.\n";

enum { OPT_COUNTY = 256, OPT_COLUMN, OPT_TYPE, OPT_NO_FILE_RECORDS, OPT_LENIENT };

static const struct option long_options[] = {
	{"severity", required_argument, NULL, 's'},
	{"code", required_argument, NULL, 'c'},
	{"rule", required_argument, NULL, 'r'},
	{"file", required_argument, NULL, 'f'},
	{"county", required_argument, NULL, OPT_COUNTY},
	{"column", required_argument, NULL, OPT_COLUMN},
	{"type", required_argument, NULL, OPT_TYPE},
	{"invert", no_argument, NULL, 'v'},
	{"no-file-records", no_argument, NULL, OPT_NO_FILE_RECORDS},
	{"lenient", no_argument, NULL, OPT_LENIENT},
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"severity", "error warning info"}, {"county", "COUNTY"}, {"type", "diagnostic file facts reconcile"},
	{NULL, NULL},
};

/* A comma-separated list of patterns, split once. */
struct list {
	char **items;
	size_t n;
	bool glob;
};

static void list_parse(struct list *l, const char *arg, bool glob)
{
	char *copy = xstrdup(arg), *save = NULL;
	l->glob = glob;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
		l->items[l->n++] = xstrdup(t);
	}
	free(copy);
	if (!l->n)
		cli_usage_error("an empty list: '%s'", arg);
}

/* True when the list is unset, or value matches one of its items. */
static bool list_match(const struct list *l, const char *value)
{
	if (!l->n)
		return true;
	if (!value)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (l->glob ? fnmatch(l->items[i], value, 0) == 0 : strcmp(l->items[i], value) == 0)
			return true;
	return false;
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
}

struct criteria {
	bool severities[3], by_severity;
	struct list code, rule, file, county, column;
	bool invert, file_records;
	bool types[REC_OTHER];     /* the record types kept (--type) */
};

/* Reads --severity: one level is a minimum, several are a list. */
static void parse_severity(struct criteria *c, const char *arg)
{
	struct list l = {0};
	list_parse(&l, arg, false);
	c->by_severity = true;
	for (size_t i = 0; i < l.n; i++) {
		enum severity s;
		if (!severity_from_name(l.items[i], &s, false))
			cli_usage_error("unknown severity '%s' (error, warning, info)", l.items[i]);
		if (l.n == 1)
			for (int k = s; k <= SEV_ERROR; k++)
				c->severities[k] = true;
		else
			c->severities[s] = true;
	}
	list_free(&l);
}

/* Reads --type: the record types to keep, of those this version knows. */
static void parse_types(struct criteria *c, const char *arg)
{
	static const char *const names[REC_OTHER] = {"diagnostic", "file", "facts", "reconcile"};
	struct list l = {0};
	list_parse(&l, arg, false);
	memset(c->types, 0, sizeof c->types);
	for (size_t i = 0; i < l.n; i++) {
		int t = 0;
		while (t < REC_OTHER && strcmp(l.items[i], names[t]) != 0)
			t++;
		if (t == REC_OTHER)
			cli_usage_error("--type takes diagnostic, file, facts or reconcile, not '%s'", l.items[i]);
		c->types[t] = true;
	}
	list_free(&l);
}

/* True when a diagnostic meets every criterion; county is its own, or else its file's. */
static bool matches(const struct criteria *c, const struct record *r, const char *county)
{
	return (!c->by_severity || c->severities[r->severity]) && list_match(&c->code, r->code) &&
	       list_match(&c->rule, r->rule) && list_match(&c->file, r->file) &&
	       list_match(&c->county, county) && list_match(&c->column, r->column);
}

/* A record held until its file's county is known: its line, and what deciding needs. */
struct held {
	char *text, *file;
	size_t len;
	bool keep;          /* decided: a record with a county of its own, or of another type */
	bool by_file;       /* a diagnostic without a county: it belongs to its file's county */
	bool with_file;     /* facts, kept if their file record is */
	bool matches_else;  /* such a diagnostic meets every criterion but the county */
};

/* The records held back, in stream order. */
struct holding {
	struct held *items;
	size_t n, cap;
};

/* Writes a record's line as it was read. */
static void write_line(const char *text, size_t len)
{
	fwrite(text, 1, len, stdout);
	putchar('\n');
}

/* True when a county (NULL: none) is one --county asks for, or one it does not with --invert. */
static bool county_kept(const struct criteria *c, const char *county)
{
	return (county && list_match(&c->county, county)) != c->invert;
}

/* Holds a record of a file whose file record has not come yet. */
static void hold(struct holding *h, const struct criteria *c, const struct record *r)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->items = xrealloc(h->items, h->cap * sizeof *h->items);
	}
	struct held *x = &h->items[h->n++];
	*x = (struct held){.text = xstrndup(r->text, r->len), .len = r->len, .file = xstrdup(r->file), .keep = true};
	if (r->type == REC_FACTS) { /* a file's facts go with its file record */
		x->keep = false;
		x->with_file = c->types[REC_FACTS] && c->file_records && list_match(&c->file, r->file);
		return;
	}
	if (r->type != REC_DIAGNOSTIC) {
		x->keep = r->type == REC_OTHER || c->types[r->type];
		return;
	}
	x->by_file = !r->county;
	if (x->by_file)
		x->matches_else = matches(c, r, c->county.items[0]);
	else
		x->keep = c->types[REC_DIAGNOSTIC] && matches(c, r, r->county) != c->invert;
}

/*
 * Writes or drops the held records of file (all of them when file is NULL, at
 * the end of the stream), a county-less finding by the county of the file
 * record (NULL: none, or no file record).
 */
static void release(struct holding *h, const struct criteria *c, const char *file, const char *county)
{
	size_t left = 0;
	for (size_t i = 0; i < h->n; i++) {
		struct held *x = &h->items[i];
		if (file && strcmp(x->file, file) != 0) {
			h->items[left++] = *x;
			continue;
		}
		bool keep = x->keep;
		if (x->by_file) /* judged by its file's county; failing the other criteria, only --invert keeps it */
			keep = c->types[REC_DIAGNOSTIC] && (x->matches_else ? county_kept(c, county) : c->invert);
		else if (x->with_file)
			keep = county_kept(c, county);
		if (keep)
			write_line(x->text, x->len);
		free(x->text), free(x->file);
	}
	h->n = left;
}

int main(int argc, char **argv)
{
	struct criteria c = {.file_records = true, .types = {true, true, true, true}};
	bool lenient = false;
	int opt;
	cli_init("qy-filter");
	while ((opt = getopt_long(argc, argv, ":s:c:r:f:vh", long_options, NULL)) != -1) {
		switch (opt) {
		case 's': parse_severity(&c, optarg); break;
		case 'c': list_parse(&c.code, optarg, true); break;
		case 'r': list_parse(&c.rule, optarg, true); break;
		case 'f': list_parse(&c.file, optarg, true); break;
		case OPT_COUNTY: list_parse(&c.county, optarg, false); break;
		case OPT_COLUMN: list_parse(&c.column, optarg, false); break;
		case OPT_TYPE: parse_types(&c, optarg); break;
		case 'v': c.invert = true; break;
		case OPT_NO_FILE_RECORDS: c.file_records = false; break;
		case OPT_LENIENT: lenient = true; break;
		default:
			cli_standard(opt, argv, usage_text, long_options, hints);
		}
	}
	struct stream in;
	struct record r;
	int got;
	struct holding held = {0};
	stream_open(&in, argv + optind, argc - optind, lenient);
	while ((got = stream_next(&in, &r)) > 0) {
		bool keep;
		if (c.county.n && r.type != REC_FILE && r.file) {
			hold(&held, &c, &r);
			continue;
		}
		if (c.county.n && r.type == REC_FILE)
			release(&held, &c, r.file, r.county);
		if (r.type == REC_OTHER)
			keep = true; /* a newer record type passes through */
		else if (!c.types[r.type])
			keep = false;
		else if (r.type == REC_DIAGNOSTIC)
			keep = matches(&c, &r, r.county) != c.invert;
		else if (r.type == REC_FILE || r.type == REC_FACTS)
			keep = c.file_records && list_match(&c.file, r.file) && (!c.county.n || county_kept(&c, r.county));
		else
			keep = true;
		if (keep)
			write_line(r.text, r.len);
	}
	release(&held, &c, NULL, NULL);
	free(held.items);
	stream_close(&in);
	list_free(&c.code), list_free(&c.rule), list_free(&c.file), list_free(&c.county), list_free(&c.column);
	close_stdout();
	return got < 0 ? EXIT_TROUBLE : EXIT_PASS;
}
