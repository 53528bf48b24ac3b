/*
 * qy-stat — count the findings of a diagnostic stream.
 *
 * usage: qy-stat [--by FIELDS] [--json | --csv] [FILE...]
 *
 * Groups the diagnostics by any of severity, code, rule, ruleset, file,
 * county and column (default: severity) and prints a count per group and a
 * total, as a table aligned by display width, JSON or CSV.  Grouping by
 * file lists the files that passed too, with zero, from their file records.
 * A finding without a county of its own is counted for its file's county,
 * from the file record that follows it (the county of all the file's rows),
 * and grouping by county lists every county a file record names, with zero
 * when none of its findings is in the stream.
 */
#include "cli.h"
#include "diag.h"
#include "jsonw.h"
#include "stream.h"
#include "strmap.h"
#include "table.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: qy-stat [--by FIELDS] [--json | --csv] [FILE...]\n"
	"\n"
	"Count the findings of a diagnostic stream (files or stdin).\n"
	"\n"
	"      --by FIELDS   comma-separated: severity, code, rule, ruleset, file, county,\n"
	"                    column (default: severity)\n"
	"      --json        one JSON document\n"
	"      --csv         CSV with a header row\n"
	"      --lenient     skip lines that are not records instead of failing\n"
	"  -h, --help        show this help\n"
	"      --version     show the version\n"
	"\n"
	"Exit status: 0, or 2 for a usage error or an unreadable stream.\n";

enum { OPT_BY = 256, OPT_JSON, OPT_CSV, OPT_LENIENT };

static const struct option long_options[] = {
	{"by", required_argument, NULL, OPT_BY},
	{"json", no_argument, NULL, OPT_JSON},
	{"csv", no_argument, NULL, OPT_CSV},
	{"lenient", no_argument, NULL, OPT_LENIENT},
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"by", "severity code rule ruleset file county column"}, {NULL, NULL},
};

enum field { F_SEVERITY, F_CODE, F_RULE, F_RULESET, F_FILE, F_COUNTY, F_COLUMN, F_COUNT };
static const char *const field_names[F_COUNT] = {"severity", "code", "rule", "ruleset", "file", "county", "column"};

#define MAX_BY 7

struct group {
	char *keys[MAX_BY];
	uint64_t count;
};

struct stats {
	enum field by[MAX_BY];
	int nby;
	struct strmap index;
	struct group *groups;
	size_t ngroups, cap;
	uint64_t total, files, suppressed;
};

/* The value of a field for a record ("" when absent). */
static const char *field_value(const struct record *r, enum field f, char *tmp, size_t size)
{
	const char *v = NULL;
	if (r->type == REC_FILE && f != F_FILE && f != F_RULESET && f != F_COUNTY)
		return ""; /* a file record knows its file, rule set and county only */
	switch (f) {
	case F_SEVERITY: v = severity_name(r->severity); break;
	case F_CODE: v = r->code; break;
	case F_RULE: v = r->rule; break;
	case F_RULESET: v = r->type == REC_FILE ? r->ruleset : record_ruleset(r, tmp, size); break;
	case F_FILE: v = r->file; break;
	case F_COUNTY: v = r->county; break;
	default: v = r->column; break;
	}
	return v ? v : "";
}

/* The key values of a record, by st->by; a rule set's is copied into ruleset (it lives in a reused buffer). */
static void key_values(const struct stats *st, const struct record *r, const char *vals[MAX_BY], char *ruleset, size_t size)
{
	for (int i = 0; i < st->nby; i++)
		vals[i] = field_value(r, st->by[i], ruleset, size);
}

/* Finds or adds the group of key values; returns it. */
static struct group *group_of_values(struct stats *st, const char *const vals[MAX_BY])
{
	struct buf key = {0};
	for (int i = 0; i < st->nby; i++)
		buf_add(&key, vals[i], strlen(vals[i]) + 1);
	bool inserted;
	uint64_t *slot = strmap_upsert(&st->index, key.data, key.len, &inserted);
	if (inserted) {
		if (st->ngroups == st->cap) {
			st->cap = st->cap ? st->cap * 2 : 32;
			st->groups = xrealloc(st->groups, st->cap * sizeof *st->groups);
		}
		struct group *g = &st->groups[st->ngroups];
		memset(g, 0, sizeof *g);
		const char *p = key.data;
		for (int i = 0; i < st->nby; i++, p += strlen(p) + 1)
			g->keys[i] = xstrdup(p);
		*slot = st->ngroups++;
	}
	buf_free(&key);
	return &st->groups[*slot];
}

/* Finds or adds the group of a record's key values; returns it. */
static struct group *group_of(struct stats *st, const struct record *r)
{
	char tmp[256];
	const char *vals[MAX_BY];
	key_values(st, r, vals, tmp, sizeof tmp);
	return group_of_values(st, vals);
}

/* A finding without a county, waiting for its file record to say the file's county. */
struct pending {
	char *file;
	char *vals[MAX_BY];
};

/* The findings waiting for their file's county, in stream order. */
struct waiting {
	struct pending *items;
	size_t n, cap;
};

/* Holds a county-less finding until the county of its file is known. */
static void wait_for_county(struct waiting *w, const struct stats *st, const struct record *r)
{
	char tmp[256];
	const char *vals[MAX_BY];
	key_values(st, r, vals, tmp, sizeof tmp);
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->items = xrealloc(w->items, w->cap * sizeof *w->items);
	}
	struct pending *p = &w->items[w->n++];
	p->file = xstrdup(r->file);
	for (int i = 0; i < st->nby; i++)
		p->vals[i] = xstrdup(vals[i]);
}

/* Counts the waiting findings of file (all of them when NULL) for county ("" when none). */
static void count_waiting(struct waiting *w, struct stats *st, const char *file, const char *county)
{
	size_t left = 0;
	for (size_t k = 0; k < w->n; k++) {
		struct pending *p = &w->items[k];
		if (file && strcmp(p->file, file) != 0) {
			w->items[left++] = *p;
			continue;
		}
		const char *vals[MAX_BY];
		for (int i = 0; i < st->nby; i++)
			vals[i] = st->by[i] == F_COUNTY ? county : p->vals[i];
		group_of_values(st, vals)->count++;
		for (int i = 0; i < st->nby; i++)
			free(p->vals[i]);
		free(p->file);
	}
	w->n = left;
}

static const struct stats *sort_target;

/* Orders groups by their keys; severities from error down. */
static int compare_groups(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	const struct stats *st = sort_target;
	for (int i = 0; i < st->nby; i++) {
		int c;
		if (st->by[i] == F_SEVERITY) {
			enum severity sx = SEV_INFO, sy = SEV_INFO;
			severity_from_name(x->keys[i], &sx, false);
			severity_from_name(y->keys[i], &sy, false);
			c = (int)sy - (int)sx;
		} else {
			c = strcmp(x->keys[i], y->keys[i]);
		}
		if (c)
			return c;
	}
	return 0;
}

/* Parses --by into the field list. */
static void parse_by(struct stats *st, const char *arg)
{
	char *copy = xstrdup(arg), *save = NULL;
	st->nby = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int f = 0;
		while (f < F_COUNT && strcmp(field_names[f], t) != 0)
			f++;
		if (f == F_COUNT)
			cli_usage_error("unknown field '%s' (severity, code, rule, ruleset, file, county, column)", t);
		if (st->nby == MAX_BY)
			cli_usage_error("too many fields in --by");
		st->by[st->nby++] = (enum field)f;
	}
	free(copy);
	if (!st->nby)
		cli_usage_error("--by needs at least one field");
}

/*
 * Appends a CSV cell, quoted when needed.  A cell that starts with = + - @,
 * a tab or a carriage return gets a leading ' (OWASP's rule against CSV
 * injection), so that a spreadsheet shows it as text, not as a formula.
 */
static void csv_cell(struct buf *b, const char *s)
{
	bool formula = *s && strchr("=+-@\t\r", *s);
	if (!strpbrk(s, ",\"\r\n")) {
		if (formula)
			buf_addc(b, '\'');
		buf_adds(b, s);
		return;
	}
	buf_addc(b, '"');
	if (formula)
		buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_addc(b, '"');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static void print_json(const struct stats *st)
{
	struct buf b = {0};
	buf_adds(&b, "{\"by\":[");
	for (int i = 0; i < st->nby; i++) {
		if (i)
			buf_addc(&b, ',');
		jsonw_string(&b, field_names[st->by[i]], strlen(field_names[st->by[i]]));
	}
	buf_adds(&b, "],\"groups\":[");
	for (size_t g = 0; g < st->ngroups; g++) {
		buf_adds(&b, g ? ",{" : "{");
		for (int i = 0; i < st->nby; i++) {
			jsonw_key(&b, field_names[st->by[i]]);
			jsonw_string(&b, st->groups[g].keys[i], strlen(st->groups[g].keys[i]));
		}
		jsonw_key(&b, "count");
		buf_addf(&b, "%llu}", (unsigned long long)st->groups[g].count);
	}
	buf_addf(&b, "],\"total\":%llu,\"files\":%llu,\"suppressed\":%llu}\n", (unsigned long long)st->total,
		 (unsigned long long)st->files, (unsigned long long)st->suppressed);
	fputs(b.data, stdout);
	buf_free(&b);
}

static void print_csv(const struct stats *st)
{
	struct buf b = {0};
	for (int i = 0; i < st->nby; i++)
		buf_addf(&b, "%s,", field_names[st->by[i]]);
	buf_adds(&b, "count\n");
	for (size_t g = 0; g < st->ngroups; g++) {
		for (int i = 0; i < st->nby; i++) {
			csv_cell(&b, st->groups[g].keys[i]);
			buf_addc(&b, ',');
		}
		buf_addf(&b, "%llu\n", (unsigned long long)st->groups[g].count);
	}
	fputs(b.data, stdout);
	buf_free(&b);
}

static void print_table(const struct stats *st)
{
	struct table *t = table_new((size_t)st->nby + 1);
	const char *row[MAX_BY + 1];
	char count[32];
	table_align_right(t, (size_t)st->nby);
	for (int i = 0; i < st->nby; i++)
		row[i] = field_names[st->by[i]];
	row[st->nby] = "count";
	table_add(t, row);
	for (size_t g = 0; g < st->ngroups; g++) {
		for (int i = 0; i < st->nby; i++)
			row[i] = *st->groups[g].keys[i] ? st->groups[g].keys[i] : "-";
		snprintf(count, sizeof count, "%llu", (unsigned long long)st->groups[g].count);
		row[st->nby] = count;
		table_add(t, row);
	}
	for (int i = 0; i < st->nby; i++)
		row[i] = i == 0 ? "total" : "";
	snprintf(count, sizeof count, "%llu", (unsigned long long)st->total);
	row[st->nby] = count;
	table_add(t, row);
	table_print(t, stdout, true);
	table_free(t);
	if (st->suppressed)
		printf("(%llu more findings were held back by --max-per-rule or --max-errors and are not counted)\n",
		       (unsigned long long)st->suppressed);
}

int main(int argc, char **argv)
{
	struct stats st = {.by = {F_SEVERITY}, .nby = 1};
	bool json = false, csv = false, lenient = false;
	int c;
	cli_init("qy-stat");
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_BY: parse_by(&st, optarg); break;
		case OPT_JSON: json = true; break;
		case OPT_CSV: csv = true; break;
		case OPT_LENIENT: lenient = true; break;
		default:
			cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	if (json && csv)
		cli_usage_error("give --json or --csv, not both");
	bool by_file = false, by_county = false;
	for (int i = 0; i < st.nby; i++) {
		by_file = by_file || st.by[i] == F_FILE;
		by_county = by_county || st.by[i] == F_COUNTY;
	}
	struct waiting waiting = {0};
	strmap_init(&st.index);
	struct stream in;
	struct record r;
	int got;
	stream_open(&in, argv + optind, argc - optind, lenient);
	while ((got = stream_next(&in, &r)) > 0) {
		if (r.type == REC_DIAGNOSTIC) {
			if (by_county && !r.county)
				wait_for_county(&waiting, &st, &r);
			else
				group_of(&st, &r)->count++;
			st.total++;
		} else if (r.type == REC_FILE) {
			st.files++;
			st.suppressed += r.suppressed;
			if (by_county)
				count_waiting(&waiting, &st, r.file, r.county ? r.county : "");
			if ((by_county && r.county) || (by_file && !r.counts[0] && !r.counts[1] && !r.counts[2]))
				group_of(&st, &r); /* a county of the stream, a file that passed: a row, of zero if need be */
		}
	}
	count_waiting(&waiting, &st, NULL, "");
	free(waiting.items);
	stream_close(&in);
	if (got < 0)
		return EXIT_TROUBLE;
	sort_target = &st;
	sort_items(st.groups, st.ngroups, sizeof *st.groups, compare_groups);
	if (json)
		print_json(&st);
	else if (csv)
		print_csv(&st);
	else
		print_table(&st);
	for (size_t g = 0; g < st.ngroups; g++)
		for (int i = 0; i < st.nby; i++)
			free(st.groups[g].keys[i]);
	free(st.groups);
	strmap_free(&st.index);
	close_stdout();
	return EXIT_PASS;
}
