/*
 * qy-report — render a diagnostic stream for people and for CI.
 *
 * usage: qy-report [--format FORMAT] [options] [FILE...]
 *
 * Formats: text (compiler style, grouped by file), markdown (a summary table
 * and findings per file), html (one self-contained page with charts drawn as
 * inline SVG and sortable tables), junit (a testsuite per file, a testcase
 * per rule), sarif (SARIF 2.1.0, at most 25,000 results, most severe first)
 * and github (workflow commands, at most 10 per severity).
 */
#include "cli.h"
#include "diag.h"
#include "jsonw.h"
#include "reftable.h"
#include "ruleset.h"
#include "stream.h"
#include "strmap.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: qy-report [--format FORMAT] [options] [FILE...]\n"
	"\n"
	"Render a diagnostic stream (files or stdin).\n"
	"\n"
	"  -f, --format FORMAT  text, markdown, html, junit, sarif or github (default: text)\n"
	"      --lang LANG      zh or en (default from LANG)\n"
	"      --color WHEN     auto, always or never (text)\n"
	"      --fail-on LEVEL  error, warning or never: what junit counts as a failure (default: error)\n"
	"      --title TEXT     the report's title (markdown, html)\n"
	"      --lenient        skip lines that are not records instead of failing\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n"
	"\n"
	"Exit status: 0, or 2 for a usage error or an unreadable stream.\n";

enum { OPT_LANG = 256, OPT_COLOR, OPT_FAIL_ON, OPT_TITLE, OPT_LENIENT };

static const struct option long_options[] = {
	{"format", required_argument, NULL, 'f'},
	{"lang", required_argument, NULL, OPT_LANG},
	{"color", required_argument, NULL, OPT_COLOR},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"title", required_argument, NULL, OPT_TITLE},
	{"lenient", no_argument, NULL, OPT_LENIENT},
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"format", "text markdown html junit sarif github"}, {"lang", "zh en"},
	{"color", "auto always never"}, {"fail-on", "error warning never"}, {NULL, NULL},
};

#ifndef QY_URL /* config.mk's URL: where SARIF says qy is documented */
#define QY_URL "file:///usr/local/share/man/man7/qy-diagnostics.7"
#endif

#define SARIF_MAX_RESULTS 25000
#define GITHUB_MAX_PER_SEVERITY 10

struct finding {
	enum severity severity;
	char *rule, *code, *message, *column, *cell, *value, *county, *expected, *plan;
	uint64_t line, row;
};

/* One input file of the stream, its findings and its file record. */
struct report_file {
	char *name, *ruleset, *county;   /* county: the file record's, when all its rows are of one */
	struct finding *findings;
	size_t n, cap;
	uint64_t counts[3], records, suppressed;
	bool has_record, failed, unchecked;
};

struct report {
	struct report_file *files;
	size_t nfiles, cap;
	struct strmap index;       /* file name → files[] */
	enum lang lang;
	enum severity fail_on;
	bool color;
	const char *title;
	uint64_t totals[3];
	struct buf said;           /* a message rendered again in lang */
};

static char *dup_or_null(const char *s) { return s ? xstrdup(s) : NULL; }

/* Finds or adds the entry of a file name. */
static struct report_file *file_entry(struct report *rp, const char *name)
{
	bool inserted;
	uint64_t *slot = strmap_upsert(&rp->index, name, strlen(name), &inserted);
	if (inserted) {
		if (rp->nfiles == rp->cap) {
			rp->cap = rp->cap ? rp->cap * 2 : 16;
			rp->files = xrealloc(rp->files, rp->cap * sizeof *rp->files);
		}
		memset(&rp->files[rp->nfiles], 0, sizeof *rp->files);
		rp->files[rp->nfiles].name = xstrdup(name);
		*slot = rp->nfiles++;
	}
	return &rp->files[*slot];
}

/* Takes in one record of the stream. */
static void add_record(struct report *rp, const struct record *r)
{
	char tmp[256];
	if (r->type == REC_FILE) {
		struct report_file *f = file_entry(rp, r->file);
		memcpy(f->counts, r->counts, sizeof f->counts);
		f->records = r->records;
		f->suppressed = r->suppressed;
		f->has_record = true;
		f->unchecked = r->status && strcmp(r->status, "error") == 0;
		f->failed = f->unchecked || (r->status && strcmp(r->status, "fail") == 0);
		if (!f->ruleset)
			f->ruleset = dup_or_null(r->ruleset);
		if (!f->county)
			f->county = dup_or_null(r->county);
		return;
	}
	if (r->type != REC_DIAGNOSTIC)
		return;
	struct report_file *f = file_entry(rp, r->file);
	if (!f->ruleset && *record_ruleset(r, tmp, sizeof tmp))
		f->ruleset = xstrdup(tmp);
	if (f->has_record) { /* after its file record: qy-reconcile's, which the record did not count */
		f->counts[r->severity]++;
		f->failed = f->failed || r->severity == SEV_ERROR;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->findings = xrealloc(f->findings, f->cap * sizeof *f->findings);
	}
	f->findings[f->n++] = (struct finding){
		.severity = r->severity, .rule = xstrdup(r->rule), .code = xstrdup(r->code),
		.message = xstrdup(record_message(r, rp->lang, &rp->said)), .column = dup_or_null(r->column),
		.cell = dup_or_null(r->cell),
		.value = dup_or_null(r->value), .county = dup_or_null(r->county),
		.expected = dup_or_null(r->expected), .plan = dup_or_null(r->plan),
		.line = r->line, .row = r->row,
	};
}

/*
 * Counts each file's findings as the stream holds them, and the totals, so
 * that every table and chart agrees with qy-stat on the same stream, filtered
 * or not; what a file record counts beyond them (held back by --max-*, or
 * filtered out) is the file's "not shown".  A file without a file record
 * fails when it has errors.
 */
static void finish_counts(struct report *rp)
{
	for (size_t i = 0; i < rp->nfiles; i++) {
		struct report_file *f = &rp->files[i];
		uint64_t said = f->counts[0] + f->counts[1] + f->counts[2];
		memset(f->counts, 0, sizeof f->counts);
		for (size_t k = 0; k < f->n; k++)
			f->counts[f->findings[k].severity]++;
		if (!f->has_record)
			f->failed = f->counts[SEV_ERROR] > 0;
		else if (said > f->n && said - f->n > f->suppressed)
			f->suppressed = said - f->n;
		for (int s = 0; s < 3; s++)
			rp->totals[s] += f->counts[s];
	}
}

static bool zh(const struct report *rp) { return rp->lang == LANG_ZH; }
static const char *tr(const struct report *rp, const char *zh_text, const char *en_text)
{
	return zh(rp) ? zh_text : en_text;
}

static const char *severity_label(const struct report *rp, enum severity s)
{
	static const char *const names_zh[] = {"提示", "警告", "错误"};
	return zh(rp) ? names_zh[s] : severity_name(s);
}

/* ---- text ---- */

/* A struct diag view of a finding, for the shared text renderer. */
static struct diag as_diag(const struct finding *x)
{
	struct diag d = DIAG_INIT;
	d.severity = x->severity;
	d.code = x->code;
	d.rule = x->rule;
	d.message = MESSAGE_TEXT(x->message);
	d.line = x->line;
	d.row = x->row;
	d.column = x->column;
	d.cell_ref = x->cell;
	d.value = x->value;
	d.value_len = x->value ? strlen(x->value) : 0;
	return d;
}

static void report_text(const struct report *rp)
{
	struct diag_options o = {.format = OUT_TEXT, .lang = rp->lang, .color = rp->color, .out = stdout};
	struct buf b = {0};
	for (size_t i = 0; i < rp->nfiles; i++) {
		const struct report_file *f = &rp->files[i];
		for (size_t k = 0; k < f->n; k++) {
			struct diag d = as_diag(&f->findings[k]);
			diag_render_text(&b, &o, f->name, NULL, &d);
		}
		diag_render_summary(&b, &o, f->name, f->counts, f->records, f->suppressed,
				    f->unchecked ? FILE_ERROR : f->failed ? FILE_FAIL : FILE_PASS);
		fwrite(b.data, 1, b.len, stdout);
		buf_reset(&b);
	}
	buf_free(&b);
}

/* ---- markdown ---- */

/*
 * Writes text fit for a Markdown table cell or heading: whatever could start
 * a link, an image, HTML, emphasis or code is backslash-escaped, so that text
 * from the stream stays text; line breaks become spaces.
 */
static void md(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (strchr("\\`*_[]()!<>|", *s))
			putc('\\', out);
		putc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
	}
}

/* Writes text as a code span in a table cell: fenced by more backticks than it holds in a row. */
static void md_code(const char *s)
{
	size_t run = 0, longest = 0;
	for (const char *p = s; *p; p++)
		run = *p == '`' ? run + 1 : 0, longest = run > longest ? run : longest;
	bool pad = *s == '`' || (*s && s[strlen(s) - 1] == '`');
	for (size_t i = 0; i <= longest; i++)
		putchar('`');
	if (pad)
		putchar(' ');
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\'); /* a table cell ends at a bare pipe, even in code */
		putchar(*s == '\n' || *s == '\r' ? ' ' : *s);
	}
	if (pad)
		putchar(' ');
	for (size_t i = 0; i <= longest; i++)
		putchar('`');
}

/* Writes the head of a Markdown report: its title, the totals and a table of the files. */
static void markdown_summary(const struct report *rp, FILE *out)
{
	fprintf(out, "# ");
	md(out, rp->title ? rp->title : tr(rp, "qy 检查报告", "qy check report"));
	fprintf(out, "\n\n");
	fprintf(out, tr(rp, "共 %zu 个文件：错误 %llu，警告 %llu，提示 %llu。\n\n", "%zu files: %llu errors, %llu warnings, %llu info.\n\n"),
		rp->nfiles, (unsigned long long)rp->totals[SEV_ERROR], (unsigned long long)rp->totals[SEV_WARNING],
		(unsigned long long)rp->totals[SEV_INFO]);
	fprintf(out, "%s\n|---|---|---:|---:|---:|---:|---|\n",
		tr(rp, "| 文件 | 规则集 | 记录 | 错误 | 警告 | 提示 | 结论 |", "| file | rule set | records | errors | warnings | info | result |"));
	for (size_t i = 0; i < rp->nfiles; i++) {
		const struct report_file *f = &rp->files[i];
		fprintf(out, "| ");
		md(out, f->name);
		fprintf(out, " | ");
		md(out, f->ruleset);
		fprintf(out, " | %llu | %llu | %llu | %llu | %s |\n", (unsigned long long)f->records,
			(unsigned long long)f->counts[SEV_ERROR], (unsigned long long)f->counts[SEV_WARNING],
			(unsigned long long)f->counts[SEV_INFO], f->failed ? tr(rp, "❌ 未通过", "❌ fail") : tr(rp, "✅ 通过", "✅ pass"));
	}
}

static void report_markdown(const struct report *rp)
{
	markdown_summary(rp, stdout);
	for (size_t i = 0; i < rp->nfiles; i++) {
		const struct report_file *f = &rp->files[i];
		if (!f->n)
			continue;
		printf("\n## ");
		md(stdout, f->name);
		printf("\n\n%s\n|---:|---|---|---|---|\n",
		       tr(rp, "| 行 | 单元格 | 级别 | 规则 | 说明 |", "| row | cell | severity | rule | message |"));
		for (size_t k = 0; k < f->n; k++) {
			const struct finding *x = &f->findings[k];
			if (x->row)
				printf("| %llu | ", (unsigned long long)x->row);
			else
				printf("|  | ");
			md(stdout, x->cell);
			printf(" | %s | ", severity_label(rp, x->severity));
			md_code(x->rule);
			printf(" | ");
			md(stdout, x->message);
			printf(" |\n");
		}
		if (f->suppressed)
			printf(tr(rp, "\n另有 %llu 条发现不在本报告中（因 --max-* 未输出，或已筛除）。\n",
				  "\n%llu more findings are not in this report (held back by --max-*, or filtered out).\n"),
			       (unsigned long long)f->suppressed);
	}
}

/* ---- html ---- */

/* Writes text escaped for XML and HTML alike. */
static void xml(const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", stdout); break;
		case '<': fputs("&lt;", stdout); break;
		case '>': fputs("&gt;", stdout); break;
		case '"': fputs("&quot;", stdout); break;
		case '\'': fputs("&apos;", stdout); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputs("\xEF\xBF\xBD", stdout); /* not allowed in XML 1.0 */
			else
				putchar(*s);
		}
	}
}

/* Counts per county: a key, and a count per severity. */
struct county_counts {
	char *county;
	uint64_t n[3], targets;
};

static int by_county(const void *a, const void *b)
{
	return strcmp(((const struct county_counts *)a)->county, ((const struct county_counts *)b)->county);
}

/* The tally of a county, added when new. */
static struct county_counts *county_slot(struct strmap *index, struct county_counts **cc, size_t *count, const char *c)
{
	bool inserted;
	uint64_t *slot = strmap_upsert(index, c, strlen(c), &inserted);
	if (inserted) {
		*cc = xrealloc(*cc, (*count + 1) * sizeof **cc);
		memset(&(*cc)[*count], 0, sizeof **cc);
		(*cc)[*count].county = xstrdup(c);
		*slot = (*count)++;
	}
	return &(*cc)[*slot];
}

/*
 * Tallies the findings by county, sorted by county code ("" first): a
 * finding without a county of its own counts for its file's (as qy-stat
 * counts it), and the county of a file record is there with 0 when its file
 * has no findings, so a county that passed is seen to have passed.
 */
static struct county_counts *count_by_county(const struct report *rp, size_t *n)
{
	struct strmap index;
	struct county_counts *cc = NULL;
	size_t count = 0;
	strmap_init(&index);
	for (size_t i = 0; i < rp->nfiles; i++) {
		if (rp->files[i].county)
			county_slot(&index, &cc, &count, rp->files[i].county);
		for (size_t k = 0; k < rp->files[i].n; k++) {
			const struct finding *x = &rp->files[i].findings[k];
			const char *county = x->county ? x->county : rp->files[i].county; /* a file-level finding: its file's */
			struct county_counts *c = county_slot(&index, &cc, &count, county ? county : "");
			c->n[x->severity]++;
			c->targets += strcmp(x->code, "target") == 0;
		}
	}
	strmap_free(&index);
	sort_items(cc, count, sizeof *cc, by_county);
	*n = count;
	return cc;
}

static const char *const severity_fill[] = {"#0366d6", "#dbab09", "#d73a49"};

/* Writes a county's chart label: its code and, when known, its name. */
static void county_label(const struct report *rp, const struct reftable *names, const char *county)
{
	size_t row;
	bool alias;
	if (!*county) {
		xml(tr(rp, "（无区县）", "(no county)"));
		return;
	}
	xml(county);
	if (names && reftable_find(names, 0, county, strlen(county), &row, &alias)) {
		putchar(' ');
		xml(reftable_cell(names, row, names->name_col));
	}
}

/* The size of a chart: narrow enough to be read unscaled on a phone (390 px), scaled down by CSS when the screen is narrower. */
enum { CHART_WIDTH = 360, CHART_BAR_WIDTH = 300, CHART_BAR = 16, CHART_ROW = 40 };

/* Opens a chart's svg element, its height h. */
static void svg_open(const char *id, int h)
{
	printf("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
	       id, CHART_WIDTH, h, CHART_WIDTH, h);
}

/*
 * Draws findings by county as bars stacked by severity, under a legend: each
 * county's name above its bar and its total after it, a county without
 * findings with 0 and no bar.
 */
static void svg_by_county(const struct report *rp, const struct county_counts *cc, size_t n,
			  const struct reftable *names)
{
	uint64_t most = 1;
	for (size_t i = 0; i < n; i++)
		if (cc[i].n[0] + cc[i].n[1] + cc[i].n[2] > most)
			most = cc[i].n[0] + cc[i].n[1] + cc[i].n[2];
	const int top = 28;
	svg_open("by-county", top + (int)n * CHART_ROW + 4);
	printf("<g class=\"legend\">");
	for (int s = SEV_ERROR, x = 0; s >= SEV_INFO; s--, x += 90) {
		printf("<rect x=\"%d\" y=\"4\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, severity_fill[s]);
		printf("<text x=\"%d\" y=\"15\">%s</text>", x + 16, severity_label(rp, (enum severity)s));
	}
	printf("</g>\n");
	for (size_t i = 0; i < n; i++) {
		int y = top + (int)i * CHART_ROW;
		double x = 0;
		printf("<text x=\"0\" y=\"%d\">", y + 12);
		county_label(rp, names, cc[i].county);
		printf("</text>\n");
		for (int s = SEV_ERROR; s >= SEV_INFO; s--) {
			if (!cc[i].n[s])
				continue;
			double w = (double)CHART_BAR_WIDTH * (double)cc[i].n[s] / (double)most;
			printf("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" data-county=\"", x, y + 17, w,
			       CHART_BAR, severity_fill[s]);
			xml(cc[i].county);
			printf("\" data-severity=\"%s\" data-count=\"%llu\"><title>%llu</title></rect>\n", severity_name((enum severity)s),
			       (unsigned long long)cc[i].n[s], (unsigned long long)cc[i].n[s]);
			x += w;
		}
		printf("<text x=\"%.1f\" y=\"%d\" class=\"total\" data-county=\"", x + 4, y + 30);
		xml(cc[i].county);
		printf("\">%llu</text>\n", (unsigned long long)(cc[i].n[0] + cc[i].n[1] + cc[i].n[2]));
	}
	printf("</svg>\n");
}

/* Draws, per county, how many plan targets were not met or are behind schedule. */
static void svg_targets(const struct report *rp, const struct county_counts *cc, size_t n,
			const struct reftable *names)
{
	uint64_t most = 0;
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		most = cc[i].targets > most ? cc[i].targets : most;
		shown += cc[i].targets > 0;
	}
	if (!shown) {
		printf("<p>%s</p>\n", tr(rp, "没有关于规划目标的发现。", "No findings about plan targets."));
		return;
	}
	svg_open("targets", (int)shown * CHART_ROW + 4);
	int row = 0;
	for (size_t i = 0; i < n; i++) {
		if (!cc[i].targets)
			continue;
		int y = row++ * CHART_ROW;
		double w = (double)CHART_BAR_WIDTH * (double)cc[i].targets / (double)most;
		printf("<text x=\"0\" y=\"%d\">", y + 12);
		county_label(rp, names, cc[i].county);
		printf("</text><rect x=\"0\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#6f42c1\" data-county=\"", y + 17, w,
		       CHART_BAR);
		xml(cc[i].county);
		printf("\" data-targets=\"%llu\"/><text x=\"%.1f\" y=\"%d\">%llu</text>\n", (unsigned long long)cc[i].targets,
		       w + 4, y + 30, (unsigned long long)cc[i].targets);
	}
	printf("</svg>\n");
}

static const char html_style[] =
	"body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;color:#24292e}"
	"table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #d1d5da;padding:4px 8px;text-align:left;vertical-align:top}"
	"th{background:#f6f8fa}table.sortable th{cursor:pointer}td.n{text-align:right}"
	".error{color:#d73a49}.warning{color:#b08800}.info{color:#0366d6}.wide{overflow-x:auto}"
	".chart{max-width:100%;height:auto}.chart text{font-size:13px;fill:#24292e}"
	".fail{color:#d73a49;font-weight:bold}.pass{color:#28a745;font-weight:bold}"
	"@media (max-width:600px){body{margin:.5em}}";

/* Sorting is the one thing that needs JavaScript: a header sorts the rows of its own table by its own column. */
static const char html_script[] =
	"//<![CDATA[\n"
	"document.querySelectorAll('table.sortable th').forEach(function (th) {\n"
	"  th.addEventListener('click', function () {\n"
	"    var col = th.cellIndex, body = th.closest('table').tBodies[0], rows = Array.prototype.slice.call(body.rows);\n"
	"    var dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir === 1 ? 'asc' : 'desc';\n"
	"    rows.sort(function (a, b) {\n"
	"      var x = a.cells[col].textContent, y = b.cells[col].textContent, nx = Number(x), ny = Number(y);\n"
	"      return dir * (x === '' || y === '' || isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny);\n"
	"    });\n"
	"    rows.forEach(function (r) { body.appendChild(r); });\n"
	"  });\n"
	"});\n"
	"//]]>\n";

/* True for a 核实性 finding: a plausibility pattern or a repeated row, which the county is asked to verify. */
static bool is_integrity(const struct finding *x)
{
	return strcmp(x->code, "integrity") == 0 || strcmp(x->code, "duplicate-row") == 0;
}

/* Writes the head of a sortable table of findings, with a file column when there are several files. */
static void html_findings_head(const struct report *rp, bool with_file)
{
	printf("<div class=\"wide\"><table class=\"sortable\"><thead><tr>");
	if (with_file)
		printf("<th>%s</th>", tr(rp, "文件", "file"));
	printf("<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>\n",
	       tr(rp, "行", "row"), tr(rp, "单元格", "cell"), tr(rp, "级别", "severity"), tr(rp, "规则", "rule"),
	       tr(rp, "说明", "message"), tr(rp, "单元格内容", "value"));
}

/* Writes one finding as a table row; file is its file when the table has a file column, else NULL. */
static void html_finding(const struct report *rp, const char *file, const struct finding *x)
{
	printf("<tr>");
	if (file) {
		printf("<td>");
		xml(file);
		printf("</td>");
	}
	printf("<td class=\"n\">");
	if (x->row)
		printf("%llu", (unsigned long long)x->row);
	printf("</td><td>");
	xml(x->cell);
	printf("</td><td class=\"%s\">%s</td><td>", severity_name(x->severity), severity_label(rp, x->severity));
	xml(x->rule);
	printf("</td><td>");
	xml(x->message);
	printf("</td><td>");
	xml(x->value);
	printf("</td></tr>\n");
}

/* A rule and how many findings it has. */
struct rule_count {
	const char *rule;
	uint64_t n;
};

/* Most findings first, then by rule id. */
static int by_count_then_rule(const void *a, const void *b)
{
	const struct rule_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->rule, y->rule);
}

/*
 * Writes the 核实性 findings in a section of their own, one table per rule
 * (each rule is one pattern: a stuck run, a spike, a copied series, heaping
 * under a limit, a repeated row), most frequent first, after a word on what
 * they are and what the county is to do.
 */
static void html_integrity(const struct report *rp)
{
	struct strmap index;
	struct rule_count *rules = NULL;
	size_t nrules = 0;
	strmap_init(&index);
	for (size_t i = 0; i < rp->nfiles; i++)
		for (size_t k = 0; k < rp->files[i].n; k++) {
			const struct finding *x = &rp->files[i].findings[k];
			if (!is_integrity(x))
				continue;
			bool inserted;
			uint64_t *slot = strmap_upsert(&index, x->rule, strlen(x->rule), &inserted);
			if (inserted) {
				rules = xrealloc(rules, (nrules + 1) * sizeof *rules);
				rules[nrules].rule = x->rule;
				rules[nrules].n = 0;
				*slot = nrules++;
			}
			rules[*slot].n++;
		}
	printf("<h2 id=\"integrity\">%s</h2>\n", tr(rp, "数据核实（核实性发现）", "Data to verify (integrity findings)"));
	if (!nrules) {
		printf("<p>%s</p>\n", tr(rp, "没有核实性发现：没有看到卡值、突变、复制的数据、限值下的堆积或重复行。",
					 "No integrity findings: no stuck values, spikes, copied data, values heaped under a limit or repeated rows were seen."));
		strmap_free(&index);
		return;
	}
	printf("<p>%s</p>\n",
	       tr(rp, "这些发现不是格式、范围或一致性错误，而是数据呈现出不合常理的模式：连续多日相同的数值（仪器卡值或手工填写）、"
		      "远高于本站当月中位数的突变、两个站点或两个时期完全相同的数据、集中在限值之下的数值、整行重复。"
		      "它们是警告而非错误：请区县逐条核实，确有其事的说明原因，录入有误的改正后重新报送。",
		      "These findings are not format, range or consistency errors but patterns in the data that are hard to believe: the same "
		      "value day after day (a stuck analyser or typed-in figures), a spike far above the station's monthly median, two "
		      "stations or two periods with identical data, values heaped just under a limit, a row repeated whole. They are "
		      "warnings, not errors: the county is to verify each one, explain what is real and correct and resend what is not."));
	sort_items(rules, nrules, sizeof *rules, by_count_then_rule);
	for (size_t g = 0; g < nrules; g++) {
		printf("<h3>");
		xml(rules[g].rule);
		printf(" <span class=\"warning\">%llu</span></h3>\n", (unsigned long long)rules[g].n);
		html_findings_head(rp, true);
		for (size_t i = 0; i < rp->nfiles; i++)
			for (size_t k = 0; k < rp->files[i].n; k++) {
				const struct finding *x = &rp->files[i].findings[k];
				if (is_integrity(x) && strcmp(x->rule, rules[g].rule) == 0)
					html_finding(rp, rp->files[i].name, x);
			}
		printf("</tbody></table></div>\n");
	}
	free(rules);
	strmap_free(&index);
}

static void report_html(const struct report *rp)
{
	const char *title = rp->title ? rp->title : tr(rp, "qy 检查报告", "qy check report");
	size_t ncounties;
	struct county_counts *cc = count_by_county(rp, &ncounties);
	printf("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"%s\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
	       zh(rp) ? "zh-CN" : "en");
	xml(title);
	printf("</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", html_style);
	xml(title);
	printf("</h1>\n<p>");
	printf(tr(rp, "共 %zu 个文件：<span class=\"error\">错误 %llu</span>，<span class=\"warning\">警告 %llu</span>，<span class=\"info\">提示 %llu</span>。",
		  "%zu files: <span class=\"error\">%llu errors</span>, <span class=\"warning\">%llu warnings</span>, <span class=\"info\">%llu info</span>."),
	       rp->nfiles, (unsigned long long)rp->totals[SEV_ERROR], (unsigned long long)rp->totals[SEV_WARNING],
	       (unsigned long long)rp->totals[SEV_INFO]);
	printf("</p>\n<div class=\"wide\"><table class=\"sortable\" id=\"files\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>\n",
	       tr(rp, "文件", "file"), tr(rp, "规则集", "rule set"), tr(rp, "记录", "records"), tr(rp, "错误", "errors"),
	       tr(rp, "警告", "warnings"), tr(rp, "提示", "info"), tr(rp, "结论", "result"));
	for (size_t i = 0; i < rp->nfiles; i++) {
		const struct report_file *f = &rp->files[i];
		printf("<tr><td><a href=\"#file-%zu\">", i);
		xml(f->name);
		printf("</a></td><td>");
		xml(f->ruleset);
		printf("</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"%s\">%s</td></tr>\n",
		       (unsigned long long)f->records, (unsigned long long)f->counts[SEV_ERROR],
		       (unsigned long long)f->counts[SEV_WARNING], (unsigned long long)f->counts[SEV_INFO],
		       f->failed ? "fail" : "pass", f->failed ? tr(rp, "未通过", "fail") : tr(rp, "通过", "pass"));
	}
	printf("</tbody></table></div>\n<h2>%s</h2>\n", tr(rp, "按区县和级别的发现", "Findings by county and severity"));
	struct reftable *names = ruleset_counties(NULL);
	svg_by_county(rp, cc, ncounties, names);
	printf("<h2>%s</h2>\n", tr(rp, "未达到或落后于序时进度的规划目标（按区县）", "Plan targets not met or behind schedule, by county"));
	svg_targets(rp, cc, ncounties, names);
	reftable_free(names);
	html_integrity(rp);
	for (size_t i = 0; i < rp->nfiles; i++) {
		const struct report_file *f = &rp->files[i];
		size_t integrity = 0;
		for (size_t k = 0; k < f->n; k++)
			integrity += is_integrity(&f->findings[k]);
		printf("<h2 id=\"file-%zu\">", i);
		xml(f->name);
		printf("</h2>\n");
		if (!f->n && !f->suppressed)
			printf("<p class=\"pass\">%s</p>\n", tr(rp, "没有发现。", "No findings."));
		if (integrity)
			printf(tr(rp, "<p>另有 %zu 条核实性发现，见<a href=\"#integrity\">数据核实</a>一节。</p>\n",
				  "<p>%zu integrity findings more are in <a href=\"#integrity\">Data to verify</a>.</p>\n"), integrity);
		if (f->suppressed)
			printf(tr(rp, "<p>另有 %llu 条发现不在本报告中（因 --max-* 未输出，或已筛除）。</p>\n",
				  "<p>%llu more findings are not in this report (held back by --max-*, or filtered out).</p>\n"),
			       (unsigned long long)f->suppressed);
		if (f->n == integrity)
			continue;
		html_findings_head(rp, false);
		for (size_t k = 0; k < f->n; k++)
			if (!is_integrity(&f->findings[k]))
				html_finding(rp, NULL, &f->findings[k]);
		printf("</tbody></table></div>\n");
	}
	printf("<script>\n%s</script>\n</body>\n</html>\n", html_script);
	for (size_t i = 0; i < ncounties; i++)
		free(cc[i].county);
	free(cc);
}

/* ---- junit ---- */

/* True when a finding counts as a failure at the fail level. */
static bool is_failure(const struct report *rp, enum severity s)
{
	return rp->fail_on != SEV_NEVER && s >= rp->fail_on;
}

/* Writes one finding as a line of a failure or system-out text. */
static void junit_line(const struct finding *x)
{
	if (x->line)
		printf("line %llu", (unsigned long long)x->line);
	if (x->cell) {
		printf(" cell ");
		xml(x->cell);
	}
	printf("%s%s: ", x->line || x->cell ? " " : "", severity_name(x->severity));
	xml(x->message);
	printf("\n");
}

static void report_junit(const struct report *rp)
{
	uint64_t tests = 0, failures = 0;
	/* rules per file: a testcase each; a file without findings has one passing case */
	struct strmap seen;
	for (size_t i = 0; i < rp->nfiles; i++) {
		strmap_init(&seen);
		const struct report_file *f = &rp->files[i];
		for (size_t k = 0; k < f->n; k++) {
			bool inserted;
			uint64_t *fails = strmap_upsert(&seen, f->findings[k].rule, strlen(f->findings[k].rule), &inserted);
			if (inserted)
				tests++;
			if (is_failure(rp, f->findings[k].severity) && !(*fails)++)
				failures++;
		}
		tests += f->n == 0;
		strmap_free(&seen);
	}
	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"qy\" tests=\"%llu\" failures=\"%llu\" errors=\"0\">\n",
	       (unsigned long long)tests, (unsigned long long)failures);
	for (size_t i = 0; i < rp->nfiles; i++) {
		const struct report_file *f = &rp->files[i];
		size_t ncases = 0, nfail = 0;
		const char **rules = xcalloc(f->n + 1, sizeof *rules);
		strmap_init(&seen);
		for (size_t k = 0; k < f->n; k++) {
			bool inserted;
			uint64_t *fails = strmap_upsert(&seen, f->findings[k].rule, strlen(f->findings[k].rule), &inserted);
			if (inserted)
				rules[ncases++] = f->findings[k].rule;
			if (is_failure(rp, f->findings[k].severity) && !(*fails)++)
				nfail++;
		}
		printf("  <testsuite name=\"");
		xml(f->name);
		printf("\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n", ncases ? ncases : 1, nfail);
		if (!ncases) {
			printf("    <testcase classname=\"");
			xml(f->name);
			printf("\" name=\"%s\"/>\n", f->ruleset ? f->ruleset : "qy-check");
		}
		for (size_t c = 0; c < ncases; c++) {
			uint64_t fails = 0;
			strmap_get(&seen, rules[c], strlen(rules[c]), &fails);
			printf("    <testcase classname=\"");
			xml(f->name);
			printf("\" name=\"");
			xml(rules[c]);
			printf("\">\n");
			if (fails) {
				printf("      <failure type=\"qy\" message=\"%llu %s\">", (unsigned long long)fails,
				       fails == 1 ? "finding" : "findings");
				for (size_t k = 0; k < f->n; k++)
					if (!strcmp(f->findings[k].rule, rules[c]) && is_failure(rp, f->findings[k].severity))
						junit_line(&f->findings[k]);
				printf("</failure>\n");
			}
			bool other = false;
			for (size_t k = 0; k < f->n && !other; k++)
				other = !strcmp(f->findings[k].rule, rules[c]) && !is_failure(rp, f->findings[k].severity);
			if (other) {
				printf("      <system-out>");
				for (size_t k = 0; k < f->n; k++)
					if (!strcmp(f->findings[k].rule, rules[c]) && !is_failure(rp, f->findings[k].severity))
						junit_line(&f->findings[k]);
				printf("</system-out>\n");
			}
			printf("    </testcase>\n");
		}
		printf("  </testsuite>\n");
		strmap_free(&seen);
		free(rules);
	}
	printf("</testsuites>\n");
}

/* ---- sarif ---- */

static const char *sarif_level(enum severity s)
{
	return s == SEV_ERROR ? "error" : s == SEV_WARNING ? "warning" : "note";
}

/*
 * Appends a file name as a URI: unreserved bytes and '/' kept, the rest %XX.
 * An absolute path is a file URI (file:///data/a.csv), a Windows one too
 * (file:///C:/…), with its '\\' as '/'; a relative one is a relative
 * reference, which the result resolves against %SRCROOT%.  Returns whether
 * it is relative.
 */
static bool uri(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	bool drive = ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) && s[1] == ':' &&
		     (s[2] == '\\' || s[2] == '/');
	bool absolute = drive || s[0] == '/';
	if (drive) {
		buf_addf(b, "file:///%c:", s[0]);
		s += 2;
	} else if (absolute) {
		buf_adds(b, "file://");
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			buf_addc(b, '/');
		else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			 strchr("-._~/", *p))
			buf_addc(b, (char)*p);
		else
			buf_addf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
	return !absolute;
}

/* Appends "key":"text" with the text escaped. */
static void json_text(struct buf *b, const char *key, const char *text)
{
	jsonw_key(b, key);
	jsonw_string(b, text, strlen(text));
}

struct ranked {
	const struct report_file *file;
	const struct finding *x;
	size_t order;
};

/* Most severe first, then in stream order: what a capped run keeps. */
static int by_severity_then_order(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->x->severity != y->x->severity)
		return (int)y->x->severity - (int)x->x->severity;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void report_sarif(const struct report *rp)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < rp->nfiles; i++)
		total += rp->files[i].n;
	struct ranked *all = xcalloc(total + 1, sizeof *all);
	for (size_t i = 0; i < rp->nfiles; i++)
		for (size_t j = 0; j < rp->files[i].n; j++, k++)
			all[k] = (struct ranked){&rp->files[i], &rp->files[i].findings[j], k};
	sort_items(all, total, sizeof *all, by_severity_then_order);
	size_t kept = total < SARIF_MAX_RESULTS ? total : SARIF_MAX_RESULTS;
	uint64_t left[3] = {0};
	for (size_t i = kept; i < total; i++)
		left[all[i].x->severity]++;

	struct strmap rule_index;
	struct buf o = {0}, rules = {0}, msg = {0};
	size_t nrules = 0;
	strmap_init(&rule_index);
	buf_adds(&rules, "[");
	for (size_t i = 0; i < kept; i++) {
		const struct finding *x = all[i].x;
		if (!strmap_put(&rule_index, x->rule, strlen(x->rule), nrules, NULL))
			continue;
		buf_adds(&rules, nrules++ ? ",{" : "{");
		json_text(&rules, "id", x->rule);
		buf_reset(&msg);
		buf_addf(&msg, "%s: %s.", x->code, x->expected ? x->expected : x->rule);
		jsonw_key(&rules, "shortDescription");
		buf_adds(&rules, "{");
		json_text(&rules, "text", msg.data);
		buf_adds(&rules, "}");
		buf_reset(&msg);
		buf_addf(&msg, "Finding code '%s'%s%s. Run 'qy-rules explain %s' for what the rule checks and where it comes from.",
			 x->code, x->plan ? "; plan reference: " : "", x->plan ? x->plan : "", x->rule);
		jsonw_key(&rules, "help");
		buf_adds(&rules, "{");
		json_text(&rules, "text", msg.data);
		buf_adds(&rules, "}");
		jsonw_key(&rules, "defaultConfiguration");
		buf_addf(&rules, "{\"level\":\"%s\"}}", sarif_level(x->severity));
	}
	buf_adds(&rules, "]");

	buf_adds(&o, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{");
	buf_addf(&o, "\"tool\":{\"driver\":{\"name\":\"qy-check\",\"version\":\"%s\",\"informationUri\":", QY_VERSION);
	jsonw_string(&o, QY_URL, strlen(QY_URL));
	buf_adds(&o, ",\"rules\":");
	buf_add(&o, rules.data, rules.len);
	buf_adds(&o, "}},\"invocations\":[{\"executionSuccessful\":true");
	if (kept < total) {
		buf_reset(&msg);
		buf_addf(&msg, "%zu of %zu results are left out (SARIF viewers take at most %d a run): %llu errors, %llu warnings, %llu notes. The full list is in the diagnostic stream.",
			 total - kept, total, SARIF_MAX_RESULTS, (unsigned long long)left[SEV_ERROR],
			 (unsigned long long)left[SEV_WARNING], (unsigned long long)left[SEV_INFO]);
		buf_adds(&o, ",\"toolExecutionNotifications\":[{\"level\":\"note\",\"message\":{");
		json_text(&o, "text", msg.data);
		buf_adds(&o, "}}]");
	}
	buf_adds(&o, "}],\"results\":[");
	for (size_t i = 0; i < kept; i++) {
		const struct finding *x = all[i].x;
		uint64_t index = 0;
		strmap_get(&rule_index, x->rule, strlen(x->rule), &index);
		buf_adds(&o, i ? ",{" : "{");
		json_text(&o, "ruleId", x->rule);
		buf_addf(&o, ",\"ruleIndex\":%llu,\"level\":\"%s\",\"message\":{", (unsigned long long)index, sarif_level(x->severity));
		buf_reset(&msg);
		buf_adds(&msg, x->message);
		if (x->cell)
			buf_addf(&msg, " (cell %s%s%s%s)", x->cell, x->value ? ": \"" : "", x->value ? x->value : "",
				 x->value ? "\"" : "");
		json_text(&o, "text", msg.data);
		buf_adds(&o, "},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"");
		if (uri(&o, all[i].file->name))
			buf_adds(&o, "\",\"uriBaseId\":\"%SRCROOT%\"}");
		else
			buf_adds(&o, "\"}");
		/* findings about a whole file or group point at its first line */
		buf_addf(&o, ",\"region\":{\"startLine\":%llu}", (unsigned long long)(x->line ? x->line : 1));
		buf_adds(&o, "}}]}");
	}
	buf_adds(&o, "]}]}\n");
	fputs(o.data, stdout);
	buf_free(&o), buf_free(&rules), buf_free(&msg);
	strmap_free(&rule_index);
	free(all);
}

/* ---- github ---- */

/* Writes a workflow-command value: % CR LF escaped, and , : too in properties. */
static void gh(const char *s, bool property)
{
	for (; s && *s; s++) {
		if (*s == '%')
			fputs("%25", stdout);
		else if (*s == '\r')
			fputs("%0D", stdout);
		else if (*s == '\n')
			fputs("%0A", stdout);
		else if (property && *s == ':')
			fputs("%3A", stdout);
		else if (property && *s == ',')
			fputs("%2C", stdout);
		else
			putchar(*s);
	}
}

/* The job summary file GitHub names in GITHUB_STEP_SUMMARY, opened to append; NULL when there is none (or it cannot be opened, said on stderr). */
static FILE *github_step_summary_open(void)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	FILE *out = path && *path ? fopen(path, "a") : NULL;
	if (path && *path && !out)
		warnmsg("GITHUB_STEP_SUMMARY: %s: %s", path, strerror(errno));
	return out;
}

/* Writes the run's summary in Markdown to the job summary, and closes it. */
static void github_step_summary(const struct report *rp, const uint64_t more[3], FILE *out)
{
	markdown_summary(rp, out);
	if (more[0] + more[1] + more[2])
		fprintf(out, tr(rp, "\n另有错误 %llu、警告 %llu、提示 %llu 条未作为注释显示（GitHub 每级最多显示 10 条），完整列表见诊断流。\n",
				"\n%llu more errors, %llu more warnings and %llu more notices are not shown as annotations (GitHub shows 10 of each); the full list is in the diagnostic stream.\n"),
			(unsigned long long)more[SEV_ERROR], (unsigned long long)more[SEV_WARNING], (unsigned long long)more[SEV_INFO]);
	if (fclose(out) != 0)
		warnmsg("GITHUB_STEP_SUMMARY: %s", strerror(errno));
}

/*
 * Writes workflow commands: GitHub shows at most 10 annotations of each
 * level a step, so at most 10 of each are written, the summary among them:
 * it goes to the job summary when GITHUB_STEP_SUMMARY is set, and is
 * otherwise one ::notice, for which one notice fewer is shown.
 */
static void report_github(const struct report *rp)
{
	static const char *const commands[] = {"notice", "warning", "error"};
	uint64_t shown[3] = {0}, more[3] = {0}, room[3] = {GITHUB_MAX_PER_SEVERITY, GITHUB_MAX_PER_SEVERITY, GITHUB_MAX_PER_SEVERITY};
	FILE *summary = github_step_summary_open();
	if (!summary)
		room[SEV_INFO]--;
	for (int s = SEV_ERROR; s >= SEV_INFO; s--)
		for (size_t i = 0; i < rp->nfiles; i++)
			for (size_t k = 0; k < rp->files[i].n; k++) {
				const struct finding *x = &rp->files[i].findings[k];
				if ((int)x->severity != s)
					continue;
				if (shown[s] == room[s]) {
					more[s]++;
					continue;
				}
				shown[s]++;
				printf("::%s file=", commands[s]);
				gh(rp->files[i].name, true);
				if (x->line)
					printf(",line=%llu", (unsigned long long)x->line);
				printf(",title=");
				gh(x->rule, true);
				printf("::");
				gh(x->message, false);
				if (x->cell) {
					printf(" (cell ");
					gh(x->cell, false);
					printf(")");
				}
				putchar('\n');
			}
	if (summary) {
		github_step_summary(rp, more, summary);
		return;
	}
	printf("::notice title=qy::%zu files: %llu errors, %llu warnings, %llu info", rp->nfiles,
	       (unsigned long long)rp->totals[SEV_ERROR], (unsigned long long)rp->totals[SEV_WARNING],
	       (unsigned long long)rp->totals[SEV_INFO]);
	if (more[0] + more[1] + more[2])
		printf("; %llu more errors, %llu more warnings and %llu more notices are not shown (GitHub shows 10 of each): see the full report",
		       (unsigned long long)more[SEV_ERROR], (unsigned long long)more[SEV_WARNING], (unsigned long long)more[SEV_INFO]);
	putchar('\n');
}

static void free_report(struct report *rp)
{
	for (size_t i = 0; i < rp->nfiles; i++) {
		struct report_file *f = &rp->files[i];
		for (size_t k = 0; k < f->n; k++) {
			struct finding *x = &f->findings[k];
			free(x->rule), free(x->code), free(x->message), free(x->column), free(x->cell);
			free(x->value), free(x->county), free(x->expected), free(x->plan);
		}
		free(f->findings), free(f->name), free(f->ruleset), free(f->county);
	}
	free(rp->files);
	strmap_free(&rp->index);
	buf_free(&rp->said);
}

int main(int argc, char **argv)
{
	struct report rp = {.lang = lang_from_env(), .fail_on = SEV_ERROR};
	const char *format = "text", *color = "auto";
	bool lenient = false;
	int c;
	cli_init("qy-report");
	while ((c = getopt_long(argc, argv, ":f:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case OPT_LANG: rp.lang = cli_lang(optarg); break;
		case OPT_COLOR: color = optarg; break;
		case OPT_FAIL_ON: rp.fail_on = cli_fail_on(optarg); break;
		case OPT_TITLE: rp.title = optarg; break;
		case OPT_LENIENT: lenient = true; break;
		default:
			cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	static const char *const formats[] = {"text", "markdown", "html", "junit", "sarif", "github"};
	void (*const renderers[])(const struct report *) = {report_text, report_markdown, report_html,
							    report_junit, report_sarif, report_github};
	int which = -1;
	for (int i = 0; i < 6; i++)
		if (strcmp(format, formats[i]) == 0)
			which = i;
	if (which < 0)
		cli_usage_error("unknown format '%s' (text, markdown, html, junit, sarif, github)", format);
	rp.color = cli_color(color, STDOUT_FILENO);
	strmap_init(&rp.index);
	struct stream in;
	struct record r;
	int got;
	stream_open(&in, argv + optind, argc - optind, lenient);
	while ((got = stream_next(&in, &r)) > 0)
		add_record(&rp, &r);
	stream_close(&in);
	if (got < 0) {
		free_report(&rp);
		return EXIT_TROUBLE;
	}
	finish_counts(&rp);
	renderers[which](&rp);
	free_report(&rp);
	close_stdout();
	return EXIT_PASS;
}
