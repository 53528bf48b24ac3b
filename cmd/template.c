/*
 * qy-template — a blank submission template for a rule set, or its data
 * dictionary.
 *
 * usage: qy-template [--bom] [--names] ID
 *        qy-template --xlsx [--lang zh|en] ID > FILE.xlsx
 *        qy-template --dictionary [--lang zh|en] ID
 *
 * The template is one CSV header row: the columns' labels, whatever the
 * language (their names with --names), which qy-check matches back to the
 * columns.  --bom starts it
 * with a UTF-8 byte-order mark so that Excel opens it as UTF-8.  The
 * dictionary is Markdown: each column's label, type, unit, whether it is
 * required, its allowed values and the rules that read it.
 *
 * --xlsx writes the template as a workbook (libxlsxwriter) that Excel and WPS
 * enforce while the clerk types: the header row bold and frozen; each column
 * with its number format and its data validation from the rule set —
 * dropdown lists of enums, reference tables, booleans and water classes from
 * a hidden sheet, whole-number, decimal and date ranges from min and max,
 * text lengths — with an input message and an error alert made from the
 * column's allowed values, unit and description; and the data dictionary on a
 * second sheet.  A check whose severity is a warning warns instead of refusing.
 */
#include "cli.h"
#include "csvwrite.h"
#include "diag.h"
#include "expr.h"
#include "rules.h"
#include "ruleset.h"
#include "utf8.h"
#include "util.h"
#include "xlsxout.h"

#include <math.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: qy-template [--bom] [--names] ID\n"
	"       qy-template --xlsx [--lang zh|en] ID > FILE.xlsx\n"
	"       qy-template --dictionary [--lang zh|en] ID\n"
	"\n"
	"Print a blank CSV template (the header row) for rule set ID, or a workbook\n"
	"template with Excel data validation, or its data dictionary in Markdown.\n"
	"\n"
	"      --bom            start the CSV with a UTF-8 byte-order mark (for Excel)\n"
	"      --xlsx           write an .xlsx workbook that validates what is typed\n"
	"      --names          a header of the column names, not their labels\n"
	"      --dictionary     print the data dictionary instead\n"
	"      --lang LANG      the dictionary's language, zh or en; default from LANG\n"
	"      --rules-dir DIR  rules directory (default: $QY_RULES or the installed one)\n"
	"      --ref-dir DIR    another directory a rule set's reference tables may be in\n"
	"      --max-ref-size SIZE\n"
	"                       largest rule file or reference table, K, M or G suffix\n"
	"                       (default: 64M)\n"
	"  -h, --help           show this help\n"
	"      --version        show the version\n";

enum { OPT_BOM = 256, OPT_DICTIONARY, OPT_LANG, OPT_RULES_DIR, OPT_XLSX, OPT_NAMES };

static const struct option long_options[] = {
	{"bom", no_argument, NULL, OPT_BOM},
	{"dictionary", no_argument, NULL, OPT_DICTIONARY},
	{"names", no_argument, NULL, OPT_NAMES},
	{"lang", required_argument, NULL, OPT_LANG},
	{"rules-dir", required_argument, NULL, OPT_RULES_DIR},
	CLI_RULE_FILE_OPTIONS,
	{"xlsx", no_argument, NULL, OPT_XLSX},
	CLI_STANDARD_OPTIONS,
	{NULL, 0, NULL, 0},
};

static const struct option_hint hints[] = {
	{"lang", "zh en"}, {"rules-dir", "DIR"}, {"ref-dir", "DIR"}, {NULL, NULL},
};

/* Writes the template: one header row of the labels (or names), after a BOM on request. */
static void print_template(const struct ruleset *rs, bool names, bool bom)
{
	struct buf line = {0};
	if (bom)
		buf_adds(&line, "\xEF\xBB\xBF");
	for (size_t i = 0; i < rs->ncols; i++) {
		const char *text = names ? rs->cols[i].name : column_shown(&rs->cols[i]);
		if (i)
			buf_addc(&line, ',');
		csvw_cell(&line, text, strlen(text), ',');
	}
	buf_addc(&line, '\n');
	fwrite(line.data, 1, line.len, stdout);
	buf_free(&line);
}

/* Writes text for a Markdown table cell: pipes escaped, line breaks as spaces. */
static void md_cell(const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", stdout);
		else if (*s == '\n' || *s == '\r')
			putchar(' ');
		else
			putchar(*s);
	}
}

/* True if expression e reads column col. */
static bool reads(const struct expr *e, size_t col)
{
	const size_t *cols;
	size_t n = e ? expr_columns(e, &cols) : 0;
	for (size_t i = 0; i < n; i++)
		if (cols[i] == col)
			return true;
	return false;
}

/* Lists the written rules and unique keys that read a column. */
static void rules_touching(const struct ruleset *rs, size_t col, struct buf *b)
{
	buf_reset(b);
	for (size_t i = 0; i < rs->nunique; i++)
		for (size_t k = 0; k < rs->uniques[i].ncols; k++)
			if (rs->uniques[i].cols[k] == col && !rs->uniques[i].whole_row)
				buf_addf(b, "%s%s.unique", b->len ? ", " : "", rs->uniques[i].id);
	for (size_t i = 0; i < rs->nrow_rules; i++) {
		const struct written_rule *r = &rs->row_rules[i];
		if (reads(r->when, col) || reads(r->assert, col))
			buf_addf(b, "%s%s", b->len ? ", " : "", r->id);
	}
	for (size_t i = 0; i < rs->naggregates; i++) {
		const struct written_rule *r = &rs->aggregates[i];
		bool hit = reads(r->when, col) || reads(r->assert, col);
		for (size_t g = 0; g < r->ngroup && !hit; g++)
			hit = reads(r->group[g], col);
		if (hit)
			buf_addf(b, "%s%s", b->len ? ", " : "", r->id);
	}
	for (size_t i = 0; i < rs->ncoverage; i++)
		if (rs->coverage[i].col == col)
			buf_addf(b, "%s%s", b->len ? ", " : "", rs->coverage[i].id);
}

static void print_dictionary(const struct ruleset *rs, enum lang lang)
{
	bool zh = lang == LANG_ZH;
	struct buf a = {0}, r = {0};
	printf("# %s (%s)\n\n", zh ? (rs->title_zh ? rs->title_zh : rs->id) : (rs->title_en ? rs->title_en : rs->id), rs->id);
	if (rs->plan)
		printf("%s%s\n\n", zh ? "规划依据：" : "Plan: ", rs->plan);
	if (rs->description)
		printf("%s\n\n", rs->description);
	printf(zh ? "| 列 | 名称 | 类型 | 单位 | 必填 | 允许值 | 相关规则 |\n"
		  : "| column | label | type | unit | required | allowed values | rules that read it |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < rs->ncols; i++) {
		const struct column *c = &rs->cols[i];
		column_allowed(c, lang, &a);
		rules_touching(rs, i, &r);
		printf("| `%s` | ", c->name);
		md_cell(c->label);
		printf(" | %s | ", coltype_name(c->type));
		md_cell(c->unit);
		printf(" | %s | ", c->required ? (zh ? "是" : "yes") : "");
		md_cell(a.data);
		printf(" | ");
		md_cell(r.data);
		printf(" |\n");
	}
	buf_free(&a), buf_free(&r);
}

/* Excel's bounds on a validation's title and message, in characters. */
#define TITLE_CHARS 32
#define MESSAGE_CHARS 255
#define SHEET_NAME_CHARS 31

/* A copy of s cut to at most max characters (with "…" when cut). */
static char *cut_chars(const char *s, size_t max)
{
	size_t n = strlen(s), bytes = 0, chars = 0;
	while (bytes < n && chars < max - 1) {
		size_t len = utf8_char_len((const unsigned char *)s + bytes, n - bytes);
		bytes += len ? len : 1;
		chars++;
	}
	if (bytes < n && utf8_char_len((const unsigned char *)s + bytes, n - bytes) == n - bytes)
		bytes = n; /* one character left: it fits */
	struct buf b = {0};
	buf_add(&b, s, bytes);
	if (bytes < n)
		buf_adds(&b, "…");
	return b.data ? b.data : xstrdup("");
}

/* The values a column's dropdown offers: its enum, its reference column (each value once), its type's words. */
static const char **column_list(const struct column *c, size_t *n)
{
	static const char *const yes_no[] = {"是", "否"};
	static const char *const classes[] = {"Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"};
	const char **v = NULL;
	*n = 0;
	if (c->nenum) {
		v = xmalloc(c->nenum * sizeof *v);
		for (size_t i = 0; i < c->nenum; i++)
			v[(*n)++] = c->enum_values[i];
	} else if (c->ref) {
		struct strmap seen;
		uint64_t was;
		strmap_init(&seen);
		v = xmalloc((c->ref->nrows + 1) * sizeof *v);
		for (size_t r = 0; r < c->ref->nrows; r++) {
			const char *cell = reftable_cell(c->ref, r, c->ref_col);
			if (*cell && strmap_put(&seen, cell, strlen(cell), 0, &was))
				v[(*n)++] = cell;
		}
		strmap_free(&seen);
	} else if (c->type == TYPE_BOOLEAN || c->type == TYPE_WATER_CLASS) {
		const char *const *words = c->type == TYPE_BOOLEAN ? yes_no : classes;
		size_t count = c->type == TYPE_BOOLEAN ? 2 : 6;
		v = xmalloc(count * sizeof *v);
		for (size_t i = 0; i < count; i++)
			v[(*n)++] = words[i];
	}
	return v;
}

/* The number format a column's cells get: dates as ISO dates, codes and text as text. */
static const char *column_format(enum coltype t)
{
	switch (t) {
	case TYPE_DATE: return "yyyy-mm-dd";
	case TYPE_MONTH: return "yyyy-mm";
	case TYPE_PERCENT: return "0.0%";
	case TYPE_INTEGER: case TYPE_YEAR: return "0";
	case TYPE_NUMBER: return "General";
	default: return "@";
	}
}

/* A day number (days since 1970-01-01) as libxlsxwriter's date. */
static lxw_datetime datetime_of(double days)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	return (lxw_datetime){.year = y, .month = m, .day = d};
}

/* How Excel answers a value outside the validation: a refusal, or a warning for a check that only warns. */
static uint8_t error_type(enum severity s)
{
	return s == SEV_ERROR ? LXW_VALIDATION_ERROR_TYPE_STOP
		: s == SEV_WARNING ? LXW_VALIDATION_ERROR_TYPE_WARNING : LXW_VALIDATION_ERROR_TYPE_INFORMATION;
}

/* Sets a validation's range from the column's min and max (scaled, as a percentage's cells hold fractions). */
static void set_range(lxw_data_validation *v, const struct column *c, double scale)
{
	v->criteria = c->has_min && c->has_max ? LXW_VALIDATION_CRITERIA_BETWEEN
		: c->has_min ? LXW_VALIDATION_CRITERIA_GREATER_THAN_OR_EQUAL_TO
		: LXW_VALIDATION_CRITERIA_LESS_THAN_OR_EQUAL_TO;
	v->minimum_number = c->min * scale;
	v->maximum_number = c->max * scale;
	v->value_number = c->has_min ? c->min * scale : c->max * scale;
}

/* Sets a date validation from min and max (months are counted as year*12+month-1). */
static void set_date_range(lxw_data_validation *v, const struct column *c)
{
	double lo = c->min, hi = c->max;
	if (c->type == TYPE_MONTH)
		lo = month_first_day(lo), hi = month_first_day(hi);
	v->validate = LXW_VALIDATION_TYPE_DATE;
	set_range(v, c, 1);
	v->minimum_datetime = datetime_of(lo);
	v->maximum_datetime = datetime_of(hi);
	v->value_datetime = c->has_min ? v->minimum_datetime : v->maximum_datetime;
}

/*
 * A column's data validation below the header: a list from the hidden sheet
 * (list_formula), else a range or a length by its type, else none but the
 * input message.  The messages say what the column allows, its unit and its
 * description.
 */
static void validate_column(lxw_worksheet *ws, size_t col, const struct column *c, enum lang lang,
			    const char *list_formula)
{
	bool zh = lang == LANG_ZH;
	lxw_data_validation v = {.validate = LXW_VALIDATION_TYPE_ANY};
	enum severity sev = c->severity[CHK_TYPE];
	long min_len = c->min_length, max_len = c->max_length;
	if (c->type == TYPE_USCC && max_len < 0)
		min_len = max_len = 18;
	else if (c->type == TYPE_PERMIT && max_len < 0)
		min_len = max_len = 22;
	if (list_formula) {
		v.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
		v.value_formula = (char *)list_formula;
		sev = c->severity[c->ref ? CHK_REFERENCE : c->nenum ? CHK_ENUM : CHK_TYPE];
	} else if ((c->type == TYPE_INTEGER || c->type == TYPE_YEAR) && (c->has_min || c->has_max)) {
		v.validate = LXW_VALIDATION_TYPE_INTEGER;
		set_range(&v, c, 1);
		sev = c->severity[CHK_RANGE];
	} else if ((c->type == TYPE_NUMBER || c->type == TYPE_PERCENT) && (c->has_min || c->has_max)) {
		v.validate = LXW_VALIDATION_TYPE_DECIMAL;
		set_range(&v, c, c->type == TYPE_PERCENT ? 0.01 : 1);
		sev = c->severity[CHK_RANGE];
	} else if ((c->type == TYPE_DATE || c->type == TYPE_MONTH) && (c->has_min || c->has_max)) {
		set_date_range(&v, c);
		sev = c->severity[CHK_RANGE];
	} else if (min_len >= 0 || max_len >= 0) {
		v.validate = LXW_VALIDATION_TYPE_LENGTH;
		v.criteria = max_len < 0 ? LXW_VALIDATION_CRITERIA_GREATER_THAN_OR_EQUAL_TO
			     : LXW_VALIDATION_CRITERIA_BETWEEN;
		v.minimum_number = v.value_number = min_len < 0 ? 0 : (double)min_len;
		v.maximum_number = (double)max_len;
		sev = c->severity[CHK_LENGTH];
	}
	v.error_type = error_type(sev);
	struct buf allowed = {0}, input = {0}, error = {0}, title = {0};
	column_allowed(c, lang, &allowed);
	buf_adds(&input, c->required ? (zh ? "必填" : "Required") : (zh ? "可不填" : "Optional"));
	if (list_formula)
		buf_adds(&input, zh ? "；从下拉列表中选择" : "; pick from the list");
	else if (allowed.len)
		buf_addf(&input, zh ? "；%s" : "; %s", allowed.data);
	if (c->unit)
		buf_addf(&input, zh ? "；单位 %s" : "; unit %s", c->unit);
	buf_adds(&input, zh ? "。" : ".");
	if (c->description)
		buf_addf(&input, " %s", c->description);
	buf_addf(&title, "%s", c->label && zh ? c->label : c->name);
	if (list_formula)
		buf_addf(&error, zh ? "「%s」请从下拉列表中选择" : "'%s': pick a value from the list", title.data);
	else
		buf_addf(&error, zh ? "「%s」应为 %s" : "'%s' must be %s", title.data,
			 allowed.len ? allowed.data : coltype_form(c->type));
	v.input_title = cut_chars(title.data, TITLE_CHARS);
	v.input_message = cut_chars(input.data, MESSAGE_CHARS);
	v.error_title = cut_chars(zh ? "取值不符合要求" : "Value not allowed", TITLE_CHARS);
	v.error_message = cut_chars(error.data, MESSAGE_CHARS);
	lxw_error err = worksheet_data_validation_range(ws, 1, (lxw_col_t)col, LXW_ROW_MAX - 1, (lxw_col_t)col, &v);
	if (err != LXW_NO_ERROR)
		die(EXIT_TROUBLE, "column '%s': data validation: %s", c->name, lxw_strerror(err));
	free(v.input_title), free(v.input_message), free(v.error_title), free(v.error_message);
	buf_free(&allowed), buf_free(&input), buf_free(&error), buf_free(&title);
}

/* A sheet name Excel accepts made from text: no []:*?/\, at most 31 characters. */
static char *sheet_name(const char *text)
{
	char *name = cut_chars(text, SHEET_NAME_CHARS);
	for (char *p = name; *p; p++)
		if (strchr("[]:*?/\\", *p))
			*p = '_';
	return name;
}

/* Writes the data dictionary on its own sheet: the table of print_dictionary. */
static void write_dictionary_sheet(lxw_workbook *wb, lxw_worksheet *ws, const struct ruleset *rs, enum lang lang)
{
	bool zh = lang == LANG_ZH;
	static const char *const heads_zh[] = {"列", "名称", "类型", "单位", "必填", "允许值", "说明", "相关规则"};
	static const char *const heads_en[] = {"column", "label", "type", "unit", "required", "allowed values",
					       "description", "rules that read it"};
	static const double widths[] = {16, 16, 10, 10, 6, 40, 40, 40};
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	lxw_format *wrap = workbook_add_format(wb);
	format_set_text_wrap(wrap);
	format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
	const char *title = zh ? (rs->title_zh ? rs->title_zh : rs->id) : (rs->title_en ? rs->title_en : rs->id);
	struct buf head = {0}, a = {0}, r = {0};
	buf_addf(&head, "%s (%s%s%s)", title, rs->id, rs->version ? " " : "", rs->version ? rs->version : "");
	worksheet_write_string(ws, 0, 0, head.data, bold);
	if (rs->plan) {
		buf_reset(&head);
		buf_addf(&head, "%s%s", zh ? "规划依据：" : "Plan: ", rs->plan);
		worksheet_write_string(ws, 1, 0, head.data, NULL);
	}
	for (lxw_col_t k = 0; k < 8; k++) {
		worksheet_set_column(ws, k, k, widths[k], wrap);
		worksheet_write_string(ws, 3, k, zh ? heads_zh[k] : heads_en[k], bold);
	}
	for (size_t i = 0; i < rs->ncols; i++) {
		const struct column *c = &rs->cols[i];
		lxw_row_t row = (lxw_row_t)(4 + i);
		column_allowed(c, lang, &a);
		rules_touching(rs, i, &r);
		const char *cells[] = {c->name, c->label, coltype_name(c->type), c->unit,
				       c->required ? (zh ? "是" : "yes") : "", a.data, c->description, r.data};
		for (lxw_col_t k = 0; k < 8; k++)
			if (cells[k] && *cells[k])
				worksheet_write_string(ws, row, k, cells[k], NULL);
	}
	worksheet_freeze_panes(ws, 4, 0);
	buf_free(&head), buf_free(&a), buf_free(&r);
}

/*
 * Writes the workbook template: the data sheet (header of labels, bold and
 * frozen; formats, widths and validations per column), the dictionary, and
 * the hidden sheet the dropdown lists read.
 */
static void write_workbook(const struct ruleset *rs, enum lang lang)
{
	bool zh = lang == LANG_ZH;
	struct xlsxout o;
	xlsxout_start(&o, false);
	lxw_workbook *wb = o.book;
	char *data_name = sheet_name(zh && rs->title_zh ? rs->title_zh : rs->id);
	lxw_worksheet *data = workbook_add_worksheet(wb, data_name);
	lxw_worksheet *dict = workbook_add_worksheet(wb, zh ? "说明" : "dictionary");
	const char *lists_name = zh ? "列表" : "lists";
	lxw_worksheet *lists = workbook_add_worksheet(wb, lists_name);
	worksheet_hide(lists);
	lxw_format *header = workbook_add_format(wb);
	format_set_bold(header);
	format_set_bg_color(header, 0xDDEBF7);
	format_set_border(header, LXW_BORDER_THIN);
	size_t nlists = 0;
	struct buf formula = {0};
	for (size_t i = 0; i < rs->ncols; i++) {
		const struct column *c = &rs->cols[i];
		const char *label = zh && c->label ? c->label : c->name;
		lxw_format *cells = workbook_add_format(wb);
		format_set_num_format(cells, column_format(c->type));
		size_t width = utf8_width(label, strlen(label)) + 4;
		worksheet_set_column(data, (lxw_col_t)i, (lxw_col_t)i, width < 12 ? 12 : width > 40 ? 40 : (double)width,
				     cells);
		worksheet_write_string(data, 0, (lxw_col_t)i, label, header);
		size_t n;
		const char **values = column_list(c, &n);
		const char *list = NULL;
		if (n) {
			char letter[16];
			cell_column_name(nlists, letter);
			worksheet_write_string(lists, 0, (lxw_col_t)nlists, label, header);
			for (size_t k = 0; k < n && k + 1 < LXW_ROW_MAX; k++)
				worksheet_write_string(lists, (lxw_row_t)(k + 1), (lxw_col_t)nlists, values[k], NULL);
			buf_reset(&formula);
			buf_addf(&formula, "='%s'!$%s$2:$%s$%zu", lists_name, letter, letter, n + 1);
			list = formula.data;
			nlists++;
		}
		validate_column(data, i, c, lang, list);
		free(values);
	}
	worksheet_freeze_panes(data, 1, 0);
	worksheet_activate(data);
	write_dictionary_sheet(wb, dict, rs, lang);
	buf_free(&formula);
	free(data_name);
	xlsxout_finish(&o);
}

int main(int argc, char **argv)
{
	int c;
	bool bom = false, dictionary = false, xlsx = false, names = false;
	const char *dir = NULL;
	enum lang lang = lang_from_env();
	cli_init("qy-template");
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_BOM: bom = true; break;
		case OPT_DICTIONARY: dictionary = true; break;
		case OPT_XLSX: xlsx = true; break;
		case OPT_NAMES: names = true; break;
		case OPT_RULES_DIR: dir = optarg; break;
		case OPT_LANG: lang = cli_lang(optarg); break;
		default:
			if (!cli_rule_file_option(c, optarg))
				cli_standard(c, argv, usage_text, long_options, hints);
		}
	}
	if (optind + 1 != argc)
		cli_usage_error("name one rule set, e.g. qy-template air-daily");
	if ((bom || names) && dictionary)
		cli_usage_error("--bom and --names apply to the CSV template, not to --dictionary");
	if (xlsx && (bom || names || dictionary))
		cli_usage_error("--xlsx writes a workbook: give it without --bom, --names and --dictionary");
	struct ruleset *rs = ruleset_load_id(dir ? dir : ruleset_default_dir(), argv[optind]);
	if (!rs)
		return EXIT_BADRULES;
	if (dictionary)
		print_dictionary(rs, lang);
	else if (xlsx)
		write_workbook(rs, lang);
	else
		print_template(rs, names, bom);
	ruleset_free(rs);
	close_stdout();
	return EXIT_PASS;
}
