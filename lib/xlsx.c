/*
 * xlsx.c — an .xlsx/.xlsm workbook read part by part: _rels/.rels names the
 * workbook part, the workbook lists the sheets and the date system, its
 * relationships give the sheet's part, the shared strings and the styles; the
 * styles say which number formats are dates; the shared strings are loaded
 * once; the sheet itself is streamed, one cell at a time, into the sink.
 *
 * Every part goes through one reader that holds the line against hostile
 * archives: a size limit per part, an inflation-ratio limit (zip bombs), a
 * nesting-depth limit, and no DTD at all (no workbook part has one, and
 * entities are how XML bombs work; behind that, expat since 2.4 bounds entity
 * expansion by default).  Names are compared without their namespace prefix.
 */
#include "xlsx.h"
#include "utf8.h"
#include "util.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#define NS_SEP '\x01'                 /* expat's namespace separator: in no name */
#define RATIO_LIMIT 200               /* inflated bytes per compressed byte, past RATIO_FLOOR */
#define RATIO_FLOOR (16ull << 20)
#define DEPTH_LIMIT 64
#define SMALL_PART (64ull << 20)      /* relationships, workbook, styles */
#define STRINGS_PART (1ull << 30)
#define SHEET_PART (8ull << 30)
#define STRINGS_BYTES (256ull << 20)
#define STRINGS_COUNT (8u << 20)
#define COUNT_LIMIT 65536             /* sheets, cell formats, number formats */
#define FORMULA_MAX 1024              /* bytes of a formula kept for its finding */
#define CHUNK 65536

struct rel {
	char *id, *type, *target;
};

struct numfmt {
	int id;
	char *code;
};

struct xlsx;
typedef void (*start_fn)(struct xlsx *x, const char *name, const char **attrs);
typedef void (*end_fn)(struct xlsx *x, const char *name);

struct xlsx {
	zip_t *zip;
	struct sheet *sink;
	size_t max_field;
	bool date1904;
	char *workbook;              /* the workbook part's name */
	char **names, **rel_ids;     /* the sheets, in workbook order */
	bool *hidden;
	size_t nsheets;
	struct rel *rels;            /* of the workbook part */
	size_t nrels;
	struct numfmt *numfmts;
	size_t nnumfmts;
	struct book_cell *xfs;       /* per cell format: its number format and shape */
	size_t nxfs;
	struct buf strings;          /* the shared strings, each NUL-terminated */
	size_t *string_at;           /* nstrings + 1 offsets */
	size_t nstrings;

	/* the part being read */
	XML_Parser parser;
	const char *part;
	start_fn start;
	end_fn end;
	int depth;
	bool stop;                   /* a limit or a broken part ended reading */
	struct buf *collect;         /* where character data goes, or NULL */
	size_t collect_max;
	int skip_depth;              /* inside <rPh> (phonetic runs): text not collected */
	bool in_xfs, in_si, in_is;

	/* the cell being read */
	uint64_t row;
	size_t col;
	bool have_col;
	char type[16];
	size_t style;
	bool has_v, has_f, has_is;
	struct buf v, f, text;
};

/* The part of a name after its namespace. */
static const char *local(const char *name)
{
	const char *sep = strrchr(name, NS_SEP);
	return sep ? sep + 1 : name;
}

/* An attribute's value by local name, or NULL. */
static const char *attr(const char **attrs, const char *name)
{
	for (size_t i = 0; attrs[i]; i += 2)
		if (strcmp(local(attrs[i]), name) == 0)
			return attrs[i + 1];
	return NULL;
}

/* Reports a problem that stops reading, and stops the part being parsed. */
static void stop_with(struct xlsx *x, struct book_event *ev)
{
	if (!ev->part)
		ev->part = x->part;
	sheet_problem(x->sink, ev);
	x->stop = true;
	if (x->parser)
		XML_StopParser(x->parser, XML_FALSE);
}

static void broken(struct xlsx *x, const char *why)
{
	struct book_event ev = {.kind = BOOK_EV_BROKEN, .col = SIZE_MAX, .detail = why};
	stop_with(x, &ev);
}

static void limit_hit(struct xlsx *x, enum book_limit limit, uint64_t amount)
{
	struct book_event ev = {.kind = BOOK_EV_LIMIT, .col = SIZE_MAX, .limit = limit, .amount = amount};
	stop_with(x, &ev);
}

static void XMLCALL on_start(void *ud, const char *name, const char **attrs)
{
	struct xlsx *x = ud;
	if (x->stop)
		return;
	if (++x->depth > DEPTH_LIMIT) {
		limit_hit(x, LIMIT_DEPTH, DEPTH_LIMIT);
		return;
	}
	if (x->skip_depth) {
		x->skip_depth++;
		return;
	}
	x->start(x, local(name), attrs);
}

static void XMLCALL on_end(void *ud, const char *name)
{
	struct xlsx *x = ud;
	x->depth--;
	if (x->stop)
		return;
	if (x->skip_depth) {
		x->skip_depth--;
		return;
	}
	if (x->end)
		x->end(x, local(name));
}

/* Keeps character data for the element being collected, up to its bound. */
static void XMLCALL on_text(void *ud, const char *s, int len)
{
	struct xlsx *x = ud;
	if (!x->collect || x->skip_depth || len <= 0 || x->stop)
		return;
	size_t room = x->collect->len < x->collect_max ? x->collect_max - x->collect->len : 0;
	buf_add(x->collect, s, (size_t)len < room ? (size_t)len : room);
}

static void XMLCALL on_doctype(void *ud, const char *name, const char *sysid, const char *pubid,
			       int internal)
{
	(void)name, (void)sysid, (void)pubid, (void)internal;
	limit_hit(ud, LIMIT_DTD, 0);
}

/* Starts collecting character data into b, at most max bytes (more marks it as oversized). */
static void collect(struct xlsx *x, struct buf *b, size_t max)
{
	x->collect = b;
	x->collect_max = max;
}

/*
 * Starts collecting a cell's text into b: as written, where an _xHHHH_
 * escape of seven bytes may stand for one, enough that once unescaped
 * (cell_text) it still holds a byte past max_field if the cell does.
 */
static void collect_cell_text(struct xlsx *x, struct buf *b)
{
	size_t want = x->max_field + 1;
	collect(x, b, want > SIZE_MAX / 7 ? SIZE_MAX : want * 7);
}

/*
 * Parses one part of the archive with the given element handlers.  Returns
 * false when the part is missing (a problem when required) or reading
 * stopped.
 */
static bool read_part(struct xlsx *x, const char *name, uint64_t limit, start_fn start, end_fn end,
		      bool required)
{
	x->part = name;
	zip_int64_t idx = zip_name_locate(x->zip, name, ZIP_FL_NOCASE);
	if (idx < 0) {
		if (required)
			broken(x, "part missing");
		return false;
	}
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(x->zip, (zip_uint64_t)idx, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
	    st.size > limit) {
		limit_hit(x, LIMIT_PART_SIZE, limit);
		return false;
	}
	uint64_t packed = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
	zip_file_t *f = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0);
	if (!f) {
		broken(x, zip_strerror(x->zip));
		return false;
	}
	x->parser = XML_ParserCreateNS(NULL, NS_SEP);
	if (!x->parser)
		die(EXIT_TROUBLE, "out of memory");
	XML_SetUserData(x->parser, x);
	XML_SetElementHandler(x->parser, on_start, on_end);
	XML_SetCharacterDataHandler(x->parser, on_text);
	XML_SetStartDoctypeDeclHandler(x->parser, on_doctype);
	x->start = start, x->end = end;
	x->depth = x->skip_depth = 0;
	x->collect = NULL;
	char *chunk = xmalloc(CHUNK);
	uint64_t inflated = 0;
	for (;;) {
		zip_int64_t n = zip_fread(f, chunk, CHUNK);
		if (n < 0) {
			broken(x, zip_file_strerror(f));
			break;
		}
		inflated += (uint64_t)n;
		if (inflated > limit) {
			limit_hit(x, LIMIT_PART_SIZE, limit);
			break;
		}
		if (inflated > RATIO_FLOOR && inflated / RATIO_LIMIT > packed) {
			limit_hit(x, LIMIT_RATIO, RATIO_LIMIT);
			break;
		}
		if (XML_Parse(x->parser, chunk, (int)n, n == 0) == XML_STATUS_ERROR) {
			if (!x->stop) {
				struct buf why = {0};
				buf_addf(&why, "line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(x->parser),
					 XML_ErrorString(XML_GetErrorCode(x->parser)));
				broken(x, why.data);
				buf_free(&why);
			}
			break;
		}
		if (n == 0 || x->stop)
			break;
	}
	free(chunk);
	XML_ParserFree(x->parser);
	x->parser = NULL;
	zip_fclose(f);
	return !x->stop;
}

/* Resolves a relationship's target against the directory of the part that names it. */
static char *resolve(const char *from, const char *target)
{
	struct buf path = {0};
	if (target[0] == '/') {
		target++;
	} else {
		const char *slash = strrchr(from, '/');
		if (slash)
			buf_add(&path, from, (size_t)(slash - from) + 1);
	}
	while (strncmp(target, "../", 3) == 0) {
		target += 3;
		if (path.len)
			path.len--; /* the trailing slash */
		while (path.len && path.data[path.len - 1] != '/')
			path.len--;
	}
	buf_adds(&path, target);
	return path.data;
}

/* The relationships part of a part: dir/_rels/name.rels. */
static char *rels_part(const char *part)
{
	struct buf path = {0};
	const char *slash = strrchr(part, '/');
	if (slash)
		buf_add(&path, part, (size_t)(slash - part) + 1);
	buf_addf(&path, "_rels/%s.rels", slash ? slash + 1 : part);
	return path.data;
}

/* True if a relationship type names kind ("…/officeDocument"). */
static bool rel_is(const char *type, const char *kind)
{
	size_t n = strlen(type), k = strlen(kind);
	return n > k && type[n - k - 1] == '/' && strcmp(type + n - k, kind) == 0;
}

static void root_rel_start(struct xlsx *x, const char *name, const char **attrs)
{
	const char *type = attr(attrs, "Type"), *target = attr(attrs, "Target");
	if (strcmp(name, "Relationship") == 0 && type && target && !x->workbook &&
	    rel_is(type, "officeDocument"))
		x->workbook = resolve("", target);
}

static void rel_start(struct xlsx *x, const char *name, const char **attrs)
{
	const char *id = attr(attrs, "Id"), *type = attr(attrs, "Type"), *target = attr(attrs, "Target");
	if (strcmp(name, "Relationship") != 0 || !id || !type || !target)
		return;
	if (x->nrels == COUNT_LIMIT) {
		limit_hit(x, LIMIT_COUNT, COUNT_LIMIT);
		return;
	}
	x->rels = xrealloc(x->rels, (x->nrels + 1) * sizeof *x->rels);
	x->rels[x->nrels++] = (struct rel){xstrdup(id), xstrdup(type), resolve(x->workbook, target)};
}

static enum book_kind zip_kind(zip_t *zip);

static void workbook_start(struct xlsx *x, const char *name, const char **attrs)
{
	if (x->depth == 1 && strcmp(name, "workbook") != 0) { /* a Word or PowerPoint main part */
		struct book_event ev = {.kind = BOOK_EV_NOT_TABLE, .col = SIZE_MAX, .what = zip_kind(x->zip)};
		stop_with(x, &ev);
	} else if (strcmp(name, "workbookPr") == 0) {
		const char *d = attr(attrs, "date1904");
		x->date1904 = d && (strcmp(d, "1") == 0 || strcmp(d, "true") == 0);
	} else if (strcmp(name, "sheet") == 0) {
		const char *sheet = attr(attrs, "name"), *id = attr(attrs, "id"), *state = attr(attrs, "state");
		if (!sheet || !id)
			return;
		if (x->nsheets == COUNT_LIMIT) {
			limit_hit(x, LIMIT_COUNT, COUNT_LIMIT);
			return;
		}
		size_t n = x->nsheets++;
		x->names = xrealloc(x->names, x->nsheets * sizeof *x->names);
		x->rel_ids = xrealloc(x->rel_ids, x->nsheets * sizeof *x->rel_ids);
		x->hidden = xrealloc(x->hidden, x->nsheets * sizeof *x->hidden);
		x->names[n] = xstrdup(sheet);
		x->rel_ids[n] = xstrdup(id);
		x->hidden[n] = state && strcmp(state, "visible") != 0;
	}
}

static void styles_start(struct xlsx *x, const char *name, const char **attrs)
{
	const char *id = attr(attrs, "numFmtId");
	if (strcmp(name, "cellXfs") == 0) {
		x->in_xfs = true;
	} else if (strcmp(name, "numFmt") == 0 && id) {
		const char *code = attr(attrs, "formatCode");
		if (x->nnumfmts == COUNT_LIMIT) {
			limit_hit(x, LIMIT_COUNT, COUNT_LIMIT);
			return;
		}
		x->numfmts = xrealloc(x->numfmts, (x->nnumfmts + 1) * sizeof *x->numfmts);
		x->numfmts[x->nnumfmts++] = (struct numfmt){atoi(id), xstrdup(code ? code : "")};
	} else if (strcmp(name, "xf") == 0 && x->in_xfs) {
		if (x->nxfs == COUNT_LIMIT) {
			limit_hit(x, LIMIT_COUNT, COUNT_LIMIT);
			return;
		}
		x->xfs = xrealloc(x->xfs, (x->nxfs + 1) * sizeof *x->xfs);
		x->xfs[x->nxfs++] = (struct book_cell){.format_id = id ? atoi(id) : 0};
	}
}

static void styles_end(struct xlsx *x, const char *name)
{
	if (strcmp(name, "cellXfs") == 0)
		x->in_xfs = false;
}

/* Gives every cell format its number format's code and shape, once the styles are read. */
static void shape_formats(struct xlsx *x)
{
	for (size_t i = 0; i < x->nxfs; i++) {
		struct book_cell *c = &x->xfs[i];
		for (size_t k = 0; k < x->nnumfmts && !c->format_code; k++)
			if (x->numfmts[k].id == c->format_id)
				c->format_code = x->numfmts[k].code;
		c->shape = excel_format_shape(c->format_id, c->format_code);
		c->date1904 = x->date1904;
	}
}

/*
 * Replaces the _xHHHH_ escapes of OOXML text (a character XML cannot hold,
 * such as a carriage return) with the character; _x005F_ is the underscore.
 */
static void unescape_text(struct buf *b)
{
	if (!memchr(b->data ? b->data : "", '_', b->len))
		return;
	size_t out = 0;
	for (size_t i = 0; i < b->len;) {
		unsigned cp = 0;
		bool hex = i + 7 <= b->len && b->data[i] == '_' && b->data[i + 1] == 'x' && b->data[i + 6] == '_';
		for (size_t k = 2; hex && k < 6; k++) {
			char c = b->data[i + k];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
				: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
			hex = d >= 0;
			cp = cp * 16 + (unsigned)(d < 0 ? 0 : d);
		}
		if (hex && !(cp >= 0xD800 && cp <= 0xDFFF)) {
			out += utf8_encode(cp, b->data + out); /* at most 3 bytes for 7 read */
			i += 7;
		} else {
			b->data[out++] = b->data[i++];
		}
	}
	b->len = out;
	b->data[out] = '\0';
}

/* A cell's text collected by collect_cell_text, unescaped, and cut to one byte past max_field, which marks it oversized. */
static void cell_text(const struct xlsx *x, struct buf *b)
{
	unescape_text(b);
	if (b->len > x->max_field + 1)
		b->len = x->max_field + 1, b->data[b->len] = '\0';
}

static void strings_start(struct xlsx *x, const char *name, const char **attrs)
{
	(void)attrs;
	if (strcmp(name, "si") == 0) {
		x->in_si = true;
		buf_reset(&x->text);
	} else if (strcmp(name, "rPh") == 0) {
		x->skip_depth = 1;
	} else if (strcmp(name, "t") == 0 && x->in_si) {
		collect_cell_text(x, &x->text);
	}
}

static void strings_end(struct xlsx *x, const char *name)
{
	if (strcmp(name, "t") == 0) {
		x->collect = NULL;
	} else if (strcmp(name, "si") == 0 && x->in_si) {
		x->in_si = false;
		cell_text(x, &x->text);
		if (x->nstrings + 1 >= STRINGS_COUNT || x->strings.len + x->text.len >= STRINGS_BYTES) {
			limit_hit(x, LIMIT_STRINGS, x->nstrings + 1 >= STRINGS_COUNT ? STRINGS_COUNT : STRINGS_BYTES);
			return;
		}
		if ((x->nstrings & (x->nstrings + 1)) == 0) /* 0, 1, 3, 7, …: grow by doubling */
			x->string_at = xrealloc(x->string_at, 2 * (x->nstrings + 1) * sizeof *x->string_at);
		x->string_at[x->nstrings++] = x->strings.len;
		buf_add(&x->strings, x->text.data ? x->text.data : "", x->text.len);
		buf_addc(&x->strings, '\0');
	}
}

/* Reads a cell reference such as "AB12" into a 0-based column and a row; false if it is not one. */
static bool parse_ref(const char *ref, size_t *col, uint64_t *row)
{
	size_t c = 0;
	uint64_t r = 0;
	const char *p = ref;
	for (; *p >= 'A' && *p <= 'Z'; p++)
		if ((c = c * 26 + (size_t)(*p - 'A' + 1)) > SHEET_MAX_COLS + 1)
			c = SHEET_MAX_COLS + 1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((r = r * 10 + (uint64_t)(*p - '0')) > SHEET_MAX_ROWS + 1)
			r = SHEET_MAX_ROWS + 1;
	if (*p || c == 0 || r == 0)
		return false;
	*col = c - 1;
	*row = r;
	return true;
}

static void sheet_start(struct xlsx *x, const char *name, const char **attrs)
{
	if (strcmp(name, "row") == 0) {
		const char *r = attr(attrs, "r");
		char *end = NULL;
		x->row = r ? strtoull(r, &end, 10) : x->row + 1;
		x->have_col = false;
		if (r && (*end || x->row == 0))
			broken(x, "a row number that is not one");
	} else if (strcmp(name, "c") == 0) {
		const char *r = attr(attrs, "r"), *t = attr(attrs, "t"), *s = attr(attrs, "s");
		uint64_t row = x->row;
		size_t col = x->have_col ? x->col + 1 : 0;
		if (r && !parse_ref(r, &col, &row)) {
			broken(x, "a cell reference that is not one");
			return;
		}
		x->row = row, x->col = col, x->have_col = true;
		snprintf(x->type, sizeof x->type, "%s", t ? t : "n");
		x->style = s ? strtoul(s, NULL, 10) : 0;
		x->has_v = x->has_f = x->has_is = false;
		buf_reset(&x->v), buf_reset(&x->f), buf_reset(&x->text);
	} else if (strcmp(name, "v") == 0) {
		x->has_v = true;
		collect_cell_text(x, &x->v);
	} else if (strcmp(name, "f") == 0) {
		x->has_f = true;
		collect(x, &x->f, FORMULA_MAX);
	} else if (strcmp(name, "is") == 0) {
		x->has_is = x->in_is = true;
	} else if (strcmp(name, "rPh") == 0) {
		x->skip_depth = 1;
	} else if (strcmp(name, "t") == 0 && x->in_is) {
		collect_cell_text(x, &x->text);
	}
}

/* Hands the cell just read to the sink: its value as Excel shows it, or its problem. */
static void finish_cell(struct xlsx *x)
{
	struct book_cell info = x->style < x->nxfs ? x->xfs[x->style] : (struct book_cell){.date1904 = x->date1904};
	struct book_event problem = {.row = x->row, .col = x->col};
	const char *t = x->type;
	struct buf *text = &x->v;
	info.type = BV_TEXT;
	bool no_value = !x->has_v || (x->v.len == 0 && x->has_f && strcmp(t, "str") != 0);
	if (no_value && !x->has_is) {
		if (!x->has_f)
			return; /* a formatted empty cell */
		problem.kind = BOOK_EV_NO_VALUE;
		buf_reset(&x->text);
		buf_addf(&x->text, "=%s", x->f.data ? x->f.data : "");
		problem.value = x->text.data;
		info.type = BV_EMPTY;
		sheet_cell(x->sink, x->row, x->col, "", 0, &info, &problem);
		return;
	}
	if (strcmp(t, "s") == 0) {
		char *end;
		unsigned long long i = strtoull(x->v.data ? x->v.data : "", &end, 10);
		if (!x->v.len || *end || i >= x->nstrings) {
			broken(x, "a shared string that is not in the table");
			return;
		}
		sheet_cell(x->sink, x->row, x->col, x->strings.data + x->string_at[i],
			   strlen(x->strings.data + x->string_at[i]), &info, NULL);
		return;
	}
	if (strcmp(t, "inlineStr") == 0 || (x->has_is && !x->has_v)) {
		text = &x->text;
		cell_text(x, text);
	} else if (strcmp(t, "str") == 0) {
		cell_text(x, text);
	} else if (strcmp(t, "b") == 0) {
		info.type = BV_BOOL;
		info.number = x->v.len && x->v.data[0] == '1';
		buf_reset(&x->text);
		buf_adds(&x->text, info.number ? "TRUE" : "FALSE");
		text = &x->text;
	} else if (strcmp(t, "e") == 0) {
		info.type = BV_ERROR;
		problem.kind = BOOK_EV_ERROR_VALUE;
		problem.value = x->v.data ? x->v.data : "";
		sheet_cell(x->sink, x->row, x->col, problem.value, x->v.len, &info, &problem);
		return;
	} else if (strcmp(t, "d") == 0) {
		char *tee = x->v.data ? strchr(x->v.data, 'T') : NULL; /* ISO 8601: the date part, or date and time */
		if (tee && strncmp(tee, "T00:00:00", 9) == 0)
			x->v.len = (size_t)(tee - x->v.data);
		else if (tee)
			*tee = ' ';
	} else if (x->v.len) {
		char *end;
		double v = strtod(x->v.data, &end);
		if (!*end) {
			info.type = BV_NUMBER;
			info.number = v;
			buf_reset(&x->text);
			excel_value_text(v, info.shape, x->date1904, &x->text);
			text = &x->text;
		}
	}
	sheet_cell(x->sink, x->row, x->col, text->data ? text->data : "", text->len, &info, NULL);
}

static void sheet_end(struct xlsx *x, const char *name)
{
	if (strcmp(name, "v") == 0 || strcmp(name, "f") == 0 || strcmp(name, "t") == 0)
		x->collect = NULL;
	else if (strcmp(name, "is") == 0)
		x->in_is = false;
	else if (strcmp(name, "c") == 0 && !x->stop)
		finish_cell(x);
	if (sheet_stopped(x->sink) && !x->stop) {
		x->stop = true;
		XML_StopParser(x->parser, XML_FALSE);
	}
}

/* The target of the workbook relationship with this id or of this type, or NULL. */
static const char *rel_target(const struct xlsx *x, const char *id, const char *type)
{
	for (size_t i = 0; i < x->nrels; i++)
		if (id ? strcmp(x->rels[i].id, id) == 0 : rel_is(x->rels[i].type, type))
			return x->rels[i].target;
	return NULL;
}

/* What a zip archive that is no workbook holds, by the parts that tell the formats apart. */
static enum book_kind zip_kind(zip_t *zip)
{
	if (zip_name_locate(zip, "word/document.xml", ZIP_FL_NOCASE) >= 0)
		return BOOK_WORD;
	if (zip_name_locate(zip, "ppt/presentation.xml", ZIP_FL_NOCASE) >= 0)
		return BOOK_POWERPOINT;
	zip_int64_t idx = zip_name_locate(zip, "mimetype", 0);
	zip_file_t *f = idx >= 0 ? zip_fopen_index(zip, (zip_uint64_t)idx, 0) : NULL;
	char mime[128] = "";
	if (f) {
		zip_int64_t n = zip_fread(f, mime, sizeof mime - 1);
		mime[n > 0 ? n : 0] = '\0';
		zip_fclose(f);
	}
	if (strstr(mime, "opendocument.spreadsheet"))
		return BOOK_ODS;
	if (strstr(mime, "opendocument"))
		return BOOK_ODT;
	return BOOK_ZIP;
}

static void free_xlsx(struct xlsx *x)
{
	free(x->workbook);
	for (size_t i = 0; i < x->nsheets; i++)
		free(x->names[i]), free(x->rel_ids[i]);
	free(x->names), free(x->rel_ids), free(x->hidden);
	for (size_t i = 0; i < x->nrels; i++)
		free(x->rels[i].id), free(x->rels[i].type), free(x->rels[i].target);
	free(x->rels);
	for (size_t i = 0; i < x->nnumfmts; i++)
		free(x->numfmts[i].code);
	free(x->numfmts), free(x->xfs);
	buf_free(&x->strings);
	free(x->string_at);
	buf_free(&x->v), buf_free(&x->f), buf_free(&x->text);
	if (x->zip)
		zip_discard(x->zip);
}

/* Reads the parts in order; stops at the first that fails. */
static void read_workbook(struct xlsx *x)
{
	read_part(x, "_rels/.rels", SMALL_PART, root_rel_start, NULL, false);
	if (x->stop)
		return;
	if (!x->workbook)
		x->workbook = xstrdup("xl/workbook.xml");
	if (zip_name_locate(x->zip, x->workbook, ZIP_FL_NOCASE) < 0) {
		struct book_event ev = {.kind = BOOK_EV_NOT_TABLE, .col = SIZE_MAX, .what = zip_kind(x->zip)};
		sheet_problem(x->sink, &ev);
		return;
	}
	char *rels = rels_part(x->workbook);
	bool ok = read_part(x, x->workbook, SMALL_PART, workbook_start, NULL, true) &&
		  read_part(x, rels, SMALL_PART, rel_start, NULL, true);
	free(rels);
	if (!ok)
		return;
	x->part = x->workbook;
	if (x->nsheets == 0) {
		broken(x, "no worksheet");
		return;
	}
	long pick = sheet_pick(x->sink, x->names, x->hidden, x->nsheets);
	if (pick < 0)
		return;
	const char *sheet = rel_target(x, x->rel_ids[pick], NULL);
	const char *styles = rel_target(x, NULL, "styles");
	const char *strings = rel_target(x, NULL, "sharedStrings");
	if (!sheet) {
		broken(x, "the sheet's part is not named");
		return;
	}
	if (styles && !read_part(x, styles, SMALL_PART, styles_start, styles_end, false) && x->stop)
		return;
	shape_formats(x);
	if (strings && !read_part(x, strings, STRINGS_PART, strings_start, strings_end, false) && x->stop)
		return;
	if (read_part(x, sheet, SHEET_PART, sheet_start, sheet_end, true))
		sheet_finish(x->sink);
}

void xlsx_read(int fd, struct sheet *s, size_t max_field)
{
	struct xlsx x = {.sink = s, .max_field = max_field};
	int copy = dup(fd), err = 0;
	if (copy < 0 || lseek(copy, 0, SEEK_SET) != 0 || !(x.zip = zip_fdopen(copy, 0, &err))) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, err);
		struct book_event ev = {.kind = BOOK_EV_BROKEN, .col = SIZE_MAX,
					.detail = copy < 0 ? "cannot duplicate the file" : zip_error_strerror(&ze)};
		sheet_problem(s, &ev);
		zip_error_fini(&ze);
		if (copy >= 0)
			close(copy);
		return;
	}
	read_workbook(&x);
	free_xlsx(&x);
}
