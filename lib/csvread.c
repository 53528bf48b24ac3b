/*
 * csvread.c — positions, encodings and size limits around libcsv.
 *
 * The input is cut into segments that end right after a line break ("\n",
 * "\r\n" or a lone "\r"), so a record can only end at the end of a segment and
 * its start offset and line are known exactly.  libcsv runs with CSV_REPALL_NL
 * so blank lines are records too (they are rows in a spreadsheet); the empty
 * record it reports for the "\n" of a "\r\n" pair is dropped.  The usual
 * records, lines of valid UTF-8 without a quote, are split here instead
 * (split_lines), exactly as libcsv would split them, from masks of one bit
 * a byte over sixty-four bytes at a time, made with SSE2 or in portable C;
 * the reader's tests and the CSV fuzzer compare the two ways on every
 * input.  Unless the encoding is forced, the first bytes are held until a
 * sample of them decides it (encoding.h), once, before any record is read.
 */
#include "csvread.h"
#include "encoding.h"
#include "utf8.h"
#include "util.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_FIELD (1024 * 1024)

/* Bytes plain lines are scanned in at a time: one bit a byte of a 64-bit mask. */
#define CHUNK 64

/* libcsv's parser state for "inside a field" (libcsv.c: FIELD_BEGUN). */
#define LIBCSV_FIELD_BEGUN 2

struct csvr {
	struct csv_parser parser;
	struct csvr_handler h;
	struct csvr_options opt;
	iconv_t cd;               /* (iconv_t)-1 for UTF-8 input */
	enum csvr_encoding enc;   /* the encoding read: UTF-8 until decided otherwise */
	bool plain_delimiter;     /* the delimiter lets split_lines split lines (ASCII, not a quote or break) */
	bool portable;            /* split_lines makes its masks in portable C even with SSE2 (to test that way) */

	uint64_t offset;          /* original bytes accounted for so far */
	uint64_t line;            /* physical line at offset */
	bool prev_cr;             /* the byte before offset was '\r' */
	uint64_t rec_offset, rec_line;
	uint64_t rows;
	bool row_ended;           /* a row callback ran in the current segment */
	int last_row_end;         /* terminator of the last record, 0 after a CRLF pair */

	struct csvr_cell *cells;
	size_t ncells, cap_cells, total_cells, keep_cells;
	struct buf cellbuf;
	struct csvr_cell spare;   /* where split_lines puts the cells past the limit */
	size_t dropped;           /* how many it put there in the line being split */
	bool field_oversized;
	bool record_oversized;    /* a cell of the record in progress was cut to the size limit */
	bool unterminated;

	unsigned char carry[8];   /* an incomplete character held for the next feed */
	size_t ncarry;
	bool sniffed;             /* the first bytes were checked for a BOM */
	bool stopped;
	bool decided;             /* the encoding is settled */
	struct buf pending;       /* the first bytes, held until the encoding is decided */
	struct csvr_event bad;    /* the earliest byte-level problem of the record in progress */
	bool has_bad;
	struct buf conv;          /* transcoded segment */
};

static size_t process(struct csvr *r, const unsigned char *s, size_t n, bool final);

/* Sends an event about the record in progress. */
static void emit(struct csvr *r, enum csvr_event_kind kind, uint64_t offset,
		 const unsigned char *bytes, size_t nbytes)
{
	struct csvr_event ev = {
		.kind = kind, .offset = offset, .line = r->rec_line,
		.row = r->rows + 1, .cell = SIZE_MAX,
	};
	if (kind == CSVR_EV_OVERSIZED)
		ev.cell = r->total_cells;
	ev.nbytes = nbytes > sizeof ev.bytes ? sizeof ev.bytes : nbytes;
	if (bytes)
		memcpy(ev.bytes, bytes, ev.nbytes);
	if (r->h.event)
		r->h.event(r->h.ctx, &ev);
}

/*
 * Notes a byte-level problem; a record reports only its earliest one (just
 * before the record itself), so a bad file is not a flood and the report does
 * not depend on how the input was cut into pieces.
 */
static void emit_bytes(struct csvr *r, enum csvr_event_kind kind, uint64_t offset,
		       const unsigned char *bytes, size_t nbytes)
{
	if (r->has_bad && r->bad.offset <= offset)
		return;
	r->has_bad = true;
	r->bad = (struct csvr_event){
		.kind = kind, .offset = offset, .line = r->rec_line, .row = r->rows + 1, .cell = SIZE_MAX,
	};
	r->bad.nbytes = nbytes > sizeof r->bad.bytes ? sizeof r->bad.bytes : nbytes;
	memcpy(r->bad.bytes, bytes, r->bad.nbytes);
}

/* Sends the held byte-level problem of the record in progress. */
static void flush_bytes(struct csvr *r)
{
	if (!r->has_bad)
		return;
	r->has_bad = false;
	if (r->h.event)
		r->h.event(r->h.ctx, &r->bad);
}

/* How many cells r->cells holds before it must grow or the limit is reached. */
static inline size_t cell_room(const struct csvr *r)
{
	return r->cap_cells < r->keep_cells ? r->cap_cells : r->keep_cells;
}

/*
 * Makes room for one more cell when the room (cell_room) is full: doubles
 * it unless the limit is what filled it; returns the room now.  New cells
 * are cleared: outside a record of libcsv's, no cell is marked oversized
 * or reported, so that split_lines sets only a cell's text and ASCII mark.
 * CHUNK more cells follow the room, where put_cells may put a chunk's
 * cells before it sees whether the room holds them.  The rare path of
 * new_cell, more_room and past_room, kept out of line.
 */
static size_t grow_room(struct csvr *r)
{
	if (r->cap_cells < r->keep_cells) {
		size_t had = r->cap_cells ? r->cap_cells + CHUNK : 0;
		r->cap_cells = r->cap_cells ? r->cap_cells * 2 : 32;
		r->cells = xrealloc(r->cells, (r->cap_cells + CHUNK) * sizeof *r->cells);
		memset(r->cells + had, 0, (r->cap_cells + CHUNK - had) * sizeof *r->cells);
	}
	return cell_room(r);
}

/* Counts a cell of the record in progress; returns where to keep it, or NULL past the limit. */
static inline struct csvr_cell *new_cell(struct csvr *r)
{
	r->total_cells++;
	if (r->ncells == cell_room(r) && r->ncells == grow_room(r))
		return NULL;
	return &r->cells[r->ncells++];
}

/* libcsv field callback: keeps a copy of the cell until the record ends. */
static void on_field(void *data, size_t len, void *ctx)
{
	struct csvr *r = ctx;
	if (len > r->opt.max_field) {
		if (!r->field_oversized)
			emit(r, CSVR_EV_OVERSIZED, r->rec_offset, NULL, 0);
		r->field_oversized = true;
		len = r->opt.max_field;
	}
	bool oversized = r->field_oversized;
	r->field_oversized = false;
	r->record_oversized |= oversized;
	struct csvr_cell *c = new_cell(r);
	if (!c)
		return;
	*c = (struct csvr_cell){.off = r->cellbuf.len, .len = len, .oversized = oversized};
	buf_add(&r->cellbuf, data, len);
}

/* Delivers the record whose cells are ready, with its position, and starts the next. */
static inline __attribute__((always_inline)) void deliver(struct csvr *r)
{
	r->row_ended = true;
	flush_bytes(r);
	struct csvr_record rec = {
		.cells = r->cells, .ncells = r->ncells, .total_cells = r->total_cells,
		.row = ++r->rows, .line = r->rec_line, .offset = r->rec_offset,
		.unterminated = r->unterminated, .unmarked = !r->record_oversized,
	};
	r->h.record(r->h.ctx, &rec);
	r->ncells = r->total_cells = 0;
	if (r->cellbuf.len)
		buf_reset(&r->cellbuf);
	r->unterminated = r->record_oversized = false;
}

/* libcsv row callback: points the cells at their copies and delivers the record. */
static void on_row(int c, void *ctx)
{
	struct csvr *r = ctx;
	r->row_ended = true;
	if (r->total_cells == 0 && c == '\n' && r->last_row_end == '\r') {
		r->last_row_end = 0; /* the LF of a CRLF pair */
		return;
	}
	r->last_row_end = c;
	size_t n = r->ncells;
	for (size_t i = 0; i < n; i++)
		r->cells[i].data = r->cellbuf.data + r->cells[i].off;
	deliver(r);
	for (size_t i = 0; i < n; i++)
		r->cells[i].oversized = false;  /* as split_lines expects (grow_room) */
}

/* Hands UTF-8 text to libcsv and keeps any one cell within the size limit. */
static void parse(struct csvr *r, const void *s, size_t n)
{
	if (n == 0)
		return;
	if (csv_parse(&r->parser, s, n, on_field, on_row, r) != n)
		die(EXIT_TROUBLE, "csv: %s", csv_strerror(csv_error(&r->parser)));
	/* One byte of slack: a closing quote may still be dropped from the end. */
	if (r->parser.entry_pos > r->opt.max_field + 1) {
		if (!r->field_oversized)
			emit(r, CSVR_EV_OVERSIZED, r->rec_offset, NULL, 0);
		r->field_oversized = true;
		r->parser.entry_pos = r->opt.max_field + 1;
	}
}

/* Tells libcsv that no byte is a trimmable space: blanks are data. */
static int never_space(unsigned char c)
{
	(void)c;
	return 0;
}

bool csvr_encoding_from_name(const char *name, enum csvr_encoding *e)
{
	static const struct { const char *name; enum csvr_encoding e; } names[] = {
		{"auto", CSVR_AUTO}, {"utf-8", CSVR_UTF8}, {"utf8", CSVR_UTF8}, {"gbk", CSVR_GBK},
		{"gb18030", CSVR_GB18030},
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(name, names[i].name) == 0) {
			*e = names[i].e;
			return true;
		}
	return false;
}

struct csvr *csvr_new(const struct csvr_options *opt, const struct csvr_handler *h)
{
	struct csvr *r = xcalloc(1, sizeof *r);
	r->opt = *opt;
	if (!r->opt.delimiter)
		r->opt.delimiter = ',';
	if (!r->opt.max_field)
		r->opt.max_field = DEFAULT_MAX_FIELD;
	r->h = *h;
	r->cd = (iconv_t)-1;
	if (opt->encoding == CSVR_GBK || opt->encoding == CSVR_GB18030) {
		r->cd = iconv_open("UTF-8", opt->encoding == CSVR_GBK ? "GBK" : "GB18030");
		if (r->cd == (iconv_t)-1) {
			free(r);
			return NULL;
		}
	}
	if (csv_init(&r->parser, CSV_REPALL_NL) != 0)
		die(EXIT_TROUBLE, "out of memory");
	csv_set_delim(&r->parser, r->opt.delimiter);
	unsigned char d = r->opt.delimiter;
	r->plain_delimiter = d < 0x80 && d != '"' && d != '\r' && d != '\n' && d != '\0';
	csv_set_space_func(&r->parser, never_space);
	r->portable = opt->split == CSVR_SPLIT_PORTABLE;
	r->line = r->rec_line = 1;
	r->keep_cells = SIZE_MAX;
	grow_room(r);  /* cells from the start: split_lines points into them */
	return r;
}

void csvr_free(struct csvr *r)
{
	if (!r)
		return;
	csv_free(&r->parser);
	if (r->cd != (iconv_t)-1)
		iconv_close(r->cd);
	free(r->cells);
	buf_free(&r->cellbuf);
	buf_free(&r->pending);
	buf_free(&r->conv);
	free(r);
}

void csvr_keep_cells(struct csvr *r, size_t n) { r->keep_cells = n; }
bool csvr_stopped(const struct csvr *r) { return r->stopped; }
enum csvr_encoding csvr_encoding(const struct csvr *r) { return r->enc; }

/* Returns the end of the segment starting at i: just past the next line break. */
static size_t segment_end(const unsigned char *s, size_t n, size_t i)
{
	const unsigned char *lf = memchr(s + i, '\n', n - i);
	size_t limit = lf ? (size_t)(lf - s) : n;
	const unsigned char *cr = memchr(s + i, '\r', limit - i);
	if (cr && (size_t)(cr - s) + 1 < limit)
		return (size_t)(cr - s) + 1;        /* a lone CR */
	return lf ? limit + 1 : (cr ? (size_t)(cr - s) + 1 : n);
}

/* Validates and parses one UTF-8 segment; returns the bytes consumed. */
static size_t utf8_segment(struct csvr *r, const unsigned char *s, size_t n, bool final)
{
	size_t i = 0;
	while (i < n) {
		bool partial;
		size_t v = i + utf8_valid_prefix(s + i, n - i, &partial);
		parse(r, s + i, v - i);
		if (v == n || (partial && !final))
			return v;
		emit_bytes(r, partial ? CSVR_EV_TRUNCATED : CSVR_EV_BAD_BYTES,
			   r->offset + v, s + v, partial ? n - v : 1);
		parse(r, s + v, 1);
		i = v + 1;
	}
	return n;
}

/* Appends the replacement character to the transcoding buffer. */
static void add_replacement(struct buf *b)
{
	buf_add(b, "\xEF\xBF\xBD", 3);
}

/* Transcodes one GBK/GB18030 segment to UTF-8 and parses it; returns bytes consumed. */
static size_t legacy_segment(struct csvr *r, const unsigned char *s, size_t n, bool final)
{
	char *in = (char *)s;
	size_t inleft = n;
	buf_reset(&r->conv);
	buf_grow(&r->conv, 2 * n + 16);
	while (inleft > 0) {
		char *out = r->conv.data + r->conv.len;
		size_t outleft = r->conv.cap - r->conv.len - 1;
		size_t rc = iconv(r->cd, &in, &inleft, &out, &outleft);
		r->conv.len = (size_t)(out - r->conv.data);
		if (rc != (size_t)-1)
			break;
		if (errno == E2BIG) {
			buf_grow(&r->conv, 2 * inleft + 16);
		} else if (errno == EINVAL && !final) {
			break;
		} else {
			/* a character cut by a line break is bad, as when iconv sees the whole line */
			bool truncated = errno == EINVAL && s[n - 1] != '\n' && s[n - 1] != '\r';
			size_t at = (size_t)((unsigned char *)in - s);
			emit_bytes(r, truncated ? CSVR_EV_TRUNCATED : CSVR_EV_BAD_BYTES,
				   r->offset + at, s + at, truncated ? inleft : 1);
			add_replacement(&r->conv);
			in++;
			inleft--;
		}
	}
	parse(r, r->conv.data, r->conv.len);
	return (size_t)((unsigned char *)in - s);
}

/* Moves the position past a fully consumed segment, counting its line break. */
static void account_segment(struct csvr *r, const unsigned char *s, size_t n)
{
	unsigned char last = s[n - 1];
	r->offset += n;
	if (last == '\r' || (last == '\n' && !(n == 1 && r->prev_cr)))
		r->line++;
	r->prev_cr = last == '\r';
	if (r->row_ended) {
		r->row_ended = false;
		r->rec_offset = r->offset;
		r->rec_line = r->line;
	}
}

/*
 * account_segment for a plain line of n bytes just delivered (split_lines):
 * it ends at a line break, a lone CR when cr, and ends a record.
 */
static inline void account_line(struct csvr *r, size_t n, bool cr)
{
	r->offset += n;
	r->line++;
	r->prev_cr = cr;
	r->row_ended = false;
	r->rec_offset = r->offset;
	r->rec_line = r->line;
}

/* Reports NUL bytes, which no text export contains. */
static void check_nul(struct csvr *r, const unsigned char *s, size_t n)
{
	const unsigned char *z = memchr(s, '\0', n);
	if (z)
		emit_bytes(r, CSVR_EV_NUL, r->offset + (uint64_t)(z - s), z, 1);
}

#define ONES 0x0101010101010101ULL
#define HIGH_BITS 0x8080808080808080ULL

/* The high bit of each zero byte of w, exactly (no borrow runs into the next byte). */
static inline uint64_t zero_bytes(uint64_t w)
{
	uint64_t low7 = ~HIGH_BITS;
	return ~(((w & low7) + low7) | w) & HIGH_BITS;
}

/* The high bit of each byte that is zero in a or in b, exactly (no borrow runs into the next byte). */
static inline uint64_t zero_in_either(uint64_t a, uint64_t b)
{
	uint64_t low7 = ~HIGH_BITS;
	return ~((((a & low7) + low7) | a) & (((b & low7) + low7) | b)) & HIGH_BITS;
}

/* The line breaks among the specials (LF, CR, quote, NUL), as bits by byte value. */
#define LINE_BREAKS (1ULL << '\n' | 1ULL << '\r')

/*
 * What a chunk of bytes holds, one bit a byte (bit k for byte k).  The
 * lead and continuation bytes are found with SSE2 only (in portable
 * C they are 0, and every byte past ASCII is checked a character at a time).
 */
struct chunk_marks {
	uint64_t delims;    /* the delimiter */
	uint64_t specials;  /* LF or CR (a line's end), a quote or NUL (not a plain line) */
	uint64_t high;      /* bytes past ASCII */
	uint64_t leads;     /* leads of three-byte characters valid with any continuation bytes: E1–EC, EE, EF */
	uint64_t conts;     /* continuation bytes, 80–BF */
};

/* One bit a byte, bit k for byte k: the high bits (0x80 of each byte) of a word gathered. */
static inline uint64_t gather_high_bits(uint64_t high)
{
	return ((high >> 7) * 0x0102040810204080ULL) >> 56;
}

/* The marks of the chunk at p, eight bytes at a time in portable C (no leads or continuation bytes). */
static inline struct chunk_marks marks_of_words(const unsigned char *p, unsigned char delim)
{
	struct chunk_marks m = {0};
	for (unsigned k = 0; k < CHUNK; k += 8) {
		uint64_t w = load_le64(p + k);
		uint64_t specials = zero_in_either(w ^ (ONES * '"'), w) |
				    zero_in_either(w ^ (ONES * '\n'), w ^ (ONES * '\r'));
		m.delims |= gather_high_bits(zero_bytes(w ^ (ONES * delim))) << k;
		m.specials |= gather_high_bits(specials) << k;
		m.high |= gather_high_bits(w & HIGH_BITS) << k;
	}
	return m;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* The bits of the sixteen bytes a vector compare set, as a mask from bit k on. */
static inline uint64_t vector_bits(__m128i v, unsigned k)
{
	return (uint64_t)(unsigned)_mm_movemask_epi8(v) << k;
}

/* Adds the delimiters, specials and bytes past ASCII of the sixteen bytes at p + k to m, from bit k on. */
static inline __attribute__((always_inline))
void mark_vector(const unsigned char *p, unsigned k, unsigned char delim, struct chunk_marks *m)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
	__m128i specials = _mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_setzero_si128())),
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
	m->delims |= vector_bits(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)delim)), k);
	m->specials |= vector_bits(specials, k);
	m->high |= vector_bits(v, k);
}

/*
 * Adds the leads and continuation bytes of the sixteen bytes at p + k to m,
 * from bit k on.  As signed bytes, continuation bytes are below (char)0xC0;
 * adding 0x9F takes the leads E1–EF, and only them, to the signed bytes
 * below (char)0x8F; ED is left out.
 */
static inline __attribute__((always_inline))
void mark_vector_utf8(const unsigned char *p, unsigned k, struct chunk_marks *m)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
	__m128i leads = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xED)),
					 _mm_cmpgt_epi8(_mm_set1_epi8((char)0x8F),
							_mm_add_epi8(v, _mm_set1_epi8((char)0x9F))));
	m->leads |= vector_bits(leads, k);
	m->conts |= vector_bits(_mm_cmpgt_epi8(_mm_set1_epi8((char)0xC0), v), k);
}

/* The marks of the chunk at p, sixteen bytes at a time with SSE2; leads and continuations only when it has bytes past ASCII. */
static inline __attribute__((always_inline))
struct chunk_marks marks_of_vectors(const unsigned char *p, unsigned char delim)
{
	struct chunk_marks m = {0};
	mark_vector(p, 0, delim, &m), mark_vector(p, 16, delim, &m);
	mark_vector(p, 32, delim, &m), mark_vector(p, 48, delim, &m);
	if (m.high) {
		mark_vector_utf8(p, 0, &m), mark_vector_utf8(p, 16, &m);
		mark_vector_utf8(p, 32, &m), mark_vector_utf8(p, 48, &m);
	}
	return m;
}
#else
#define marks_of_vectors marks_of_words
#endif


/* The marks of the chunk at p: with SSE2 where there is SSE2, unless told portable. */
static inline __attribute__((always_inline))
struct chunk_marks marks_of(const unsigned char *p, unsigned char delim, bool portable)
{
	return portable ? marks_of_words(p, delim) : marks_of_vectors(p, delim);
}

/*
 * The marks of the last chunk of s[0..n), at base, shorter than CHUNK: read
 * through the last CHUNK bytes of s (or a copy when s is shorter), its
 * marks shifted down to start at base and cut at n.
 */
static struct chunk_marks marks_of_tail(const unsigned char *s, size_t base, size_t n, unsigned char delim,
					bool portable)
{
	unsigned char tmp[CHUNK];
	const unsigned char *p = s + n - CHUNK;
	unsigned shift = (unsigned)(base + CHUNK - n);
	if (n < CHUNK) {
		memset(tmp, 0, CHUNK);
		memcpy(tmp, s, n);
		p = tmp, shift = 0;
	}
	struct chunk_marks m = marks_of(p, delim, portable);
	uint64_t inside = ~0ULL >> (CHUNK - (n - base));
	return (struct chunk_marks){m.delims >> shift & inside, m.specials >> shift & inside, m.high >> shift & inside,
				    m.leads >> shift & inside, m.conts >> shift & inside};
}

/* What the masks of one chunk hand to the next. */
struct chunk_carry {
	uint64_t wanted;  /* the continuation bytes its last leads ask for, from bit 0 of the next chunk */
	uint64_t wide;    /* 1: the bytes after its last cell end include one past ASCII */
};

/*
 * The bytes past ASCII of a chunk that its masks do not show to be part of
 * a valid character: a byte that is neither a lead (m->leads) nor a
 * continuation byte, a continuation byte no lead asks for, a place where
 * one is asked for and missing.  Without leads and continuation bytes
 * (portable C), every byte past ASCII.  A lead that a line break cuts off
 * from the bytes it asks for makes its own line doubtful there, and a run
 * of plain lines stops at the first invalid one: no continuation byte
 * counts for a lead on an earlier line.
 */
static inline uint64_t utf8_doubts(const struct chunk_marks *m, struct chunk_carry *c)
{
	uint64_t wanted = m->leads << 1 | m->leads << 2 | c->wanted;
	c->wanted = m->leads >> 62 | m->leads >> 63;
	return (m->high & ~(m->leads | m->conts)) | (m->conts ^ wanted);
}

/*
 * The cell ends (delimiters and specials) of a chunk whose cells hold a byte
 * past ASCII: adding each such byte's bit (and bit 0 for a cell begun so in
 * an earlier chunk) to the complement of the ends carries up to the next end
 * and stops there; what carries out of the chunk is the cell in progress.
 */
static inline uint64_t wide_ends(const struct chunk_marks *m, struct chunk_carry *c)
{
	uint64_t ends = m->delims | m->specials;
	uint64_t t = ~ends + c->wide, sum = t + m->high;
	c->wide = (t < c->wide) | (sum < m->high);
	return sum & ends;
}

/*
 * Where cell c (the next of the line being split) is kept when the room is
 * full: in the room grown, or, past the limit, in r->spare, counted in
 * r->dropped.  Out of line: the rare path of put_cell.
 */
static struct csvr_cell *more_room(struct csvr *r, const struct csvr_cell *c)
{
	if (c != &r->spare + 1) {
		size_t i = (size_t)(c - r->cells);
		if (i < grow_room(r))
			return r->cells + i;
	}
	r->dropped++;
	return &r->spare;
}

/* Keeps a cell of the line being split, text[0..len), at *c, the next place, and moves *c on (more_room). */
static inline __attribute__((always_inline))
void put_cell(struct csvr *r, struct csvr_cell **c, struct csvr_cell **room_end, const unsigned char *text,
	      size_t len, bool ascii)
{
	if (*c == *room_end) {
		*c = more_room(r, *c);
		*room_end = *c == &r->spare ? &r->spare + 1 : r->cells + cell_room(r);
	}
	(*c)->data = (const char *)text;
	(*c)->len = len;
	(*c)->ascii = ascii;
	(*c)++;
}

/*
 * Where the cells of the line being split that put_cells put from the room
 * on, up to c, are kept: in the room grown to hold them, or, past the
 * limit, nowhere, counted in r->dropped, the next ones in r->spare.  Sets
 * *room_end to match.  Out of line: the rare path of put_cells.
 */
static struct csvr_cell *past_room(struct csvr *r, const struct csvr_cell *c, struct csvr_cell **room_end)
{
	size_t n = (size_t)(c - r->cells), room = cell_room(r), grown;
	while (room < n && (grown = grow_room(r)) > room)
		room = grown;
	if (n <= room) {
		*room_end = r->cells + room;
		return r->cells + n;
	}
	r->dropped += n - room;
	*room_end = &r->spare + 1;
	return &r->spare + 1;
}

/*
 * Keeps the cells that end at the delimiter bits d of the chunk at chunk
 * (narrow: its ASCII cell ends), the first from *start on, moving *c and
 * *start past them.  In the room, they are put without a test of the room
 * a cell: the CHUNK cells after it take what it does not, which past_room
 * then sees to.
 */
static inline __attribute__((always_inline))
void put_cells(struct csvr *r, struct csvr_cell **c, struct csvr_cell **room_end, const unsigned char **start,
	       const unsigned char *chunk, uint64_t d, uint64_t narrow)
{
	if (*room_end == &r->spare + 1) {
		for (; d; d &= d - 1) {
			unsigned bit = (unsigned)__builtin_ctzll(d);
			put_cell(r, c, room_end, *start, (size_t)(chunk + bit - *start), narrow >> bit & 1);
			*start = chunk + bit + 1;
		}
		return;
	}
	struct csvr_cell *at_cell = *c;
	const unsigned char *from = *start;
	for (; d; d &= d - 1, at_cell++) {
		unsigned bit = (unsigned)__builtin_ctzll(d);
		at_cell->data = (const char *)from;
		at_cell->len = (size_t)(chunk + bit - from);
		at_cell->ascii = narrow >> bit & 1;
		from = chunk + bit + 1;
	}
	*c = at_cell > *room_end ? past_room(r, at_cell, room_end) : at_cell;
	*start = from;
}

/*
 * Splits and delivers the plain lines at the start of s[0..n), as libcsv
 * would have split and delivered them, and moves the position past them;
 * returns the bytes taken.  A plain line is a whole record on one line
 * that ends in s (LF, CRLF or a lone CR), not empty, of valid UTF-8
 * without a quote or NUL, no longer than the size limit; the first line
 * that is not stops the run, undelivered.  The bytes are read a chunk at
 * a time into masks of one bit a byte, with SSE2 unless portable; a line's
 * cells are cut at the delimiter bits, and its characters past ASCII are
 * checked one at a time only where the masks do not vouch for them
 * (utf8_doubts).  Inlined whole into its caller, so that the SSE2 and the
 * portable ways are each compiled for themselves.
 */
static inline __attribute__((always_inline))
size_t split_lines(struct csvr *r, const unsigned char *s, size_t n, unsigned char delim, bool portable)
{
	struct csvr_cell *c = r->cells, *room_end = c + cell_room(r);  /* the next cell, the end of the room */
	size_t line = 0;        /* where the line in progress starts: the lines before are delivered */
	const unsigned char *start = s;  /* where its cell in progress starts */
	uint64_t doubtful = 0;  /* not 0: it has bytes past ASCII the masks do not vouch for */
	struct chunk_carry carry = {0};
	for (size_t base = 0; base < n; base += CHUNK) {
		struct chunk_marks m = base + CHUNK <= n ? marks_of(s + base, delim, portable)
							 : marks_of_tail(s, base, n, delim, portable);
		uint64_t doubts = utf8_doubts(&m, &carry), narrow = ~wide_ends(&m, &carry);  /* at a cell's end: ASCII */
		const unsigned char *chunk = s + base;
		unsigned from = start > chunk ? (unsigned)(start - chunk) : 0;  /* the bytes before are taken */
		for (;;) {
			uint64_t rest = ~0ULL << from, stop = m.specials & rest, end = stop & -stop;
			uint64_t span = end ? rest & (end | (end - 1)) : rest;  /* the line's, up to its end */
			doubtful |= doubts & span;
			put_cells(r, &c, &room_end, &start, chunk, m.delims & span, narrow);
			if (!end)
				break;
			unsigned bit = (unsigned)__builtin_ctzll(end);
			size_t at = base + bit;
			int brk = s[at];
			bool partial;
			if (!(LINE_BREAKS >> brk & 1) || at == line || at - line > r->opt.max_field ||
			    (doubtful && utf8_valid_prefix(s + line, at - line, &partial) != at - line))
				goto out;
			put_cell(r, &c, &room_end, start, (size_t)(s + at - start), narrow >> bit & 1);
			size_t used = at + 1;
			if (brk == '\r' && used < n && s[used] == '\n')
				used++, brk = 0;  /* libcsv's bookkeeping after a CRLF is as after its dropped empty LF row */
			r->ncells = r->dropped ? cell_room(r) : (size_t)(c - r->cells);
			r->total_cells = r->ncells + r->dropped;
			r->last_row_end = brk;
			deliver(r);
			account_line(r, used - line, brk == '\r');
			line = used, start = s + used;
			c = r->cells, room_end = c + cell_room(r), r->dropped = 0;  /* the record's handler may limit the cells */
			doubtful = 0;
			if (used - base >= CHUNK)
				break;
			from = (unsigned)(used - base);
		}
	}
out:
	r->ncells = r->total_cells = r->dropped = 0;
	return line;
}

/*
 * The common case without libcsv: the plain lines (split_lines) at the
 * start of s[0..n), where libcsv is between records and the input is
 * UTF-8, split the reader's way.  Returns the bytes taken, 0 when there is
 * none.
 */
static size_t plain_lines(struct csvr *r, const unsigned char *s, size_t n)
{
	if (r->cd != (iconv_t)-1 || !r->plain_delimiter || r->parser.pstate != 0 || r->total_cells)
		return 0;
	return r->portable ? split_lines(r, s, n, r->opt.delimiter, true)
			   : split_lines(r, s, n, r->opt.delimiter, false);
}

/*
 * Processes s[0..n): the plain lines (plain_lines), and segment by segment
 * what they do not take.  Returns the bytes consumed: less than n only when
 * the input ends inside a character and more may follow.
 */
static size_t process(struct csvr *r, const unsigned char *s, size_t n, bool final)
{
	size_t i = 0;
	while (i < n && !r->stopped) {
		i += plain_lines(r, s + i, n - i);
		if (i == n)
			break;
		size_t end = segment_end(s, n, i), len = end - i;
		/* a segment that ends at a line break is complete: a character cut there is cut for good */
		bool complete = final || s[end - 1] == '\n' || s[end - 1] == '\r';
		check_nul(r, s + i, len);
		size_t used = r->cd == (iconv_t)-1 ? utf8_segment(r, s + i, len, complete)
						   : legacy_segment(r, s + i, len, complete);
		if (used < len) {
			r->offset += used;
			return i + used;
		}
		account_segment(r, s + i, len);
		i = end;
	}
	return n;
}

/* Feeds bytes after any held incomplete character, holding a new one at the end. */
static void feed_range(struct csvr *r, const unsigned char *s, size_t n, bool final)
{
	while (r->ncarry > 0 && (n > 0 || final) && !r->stopped) {
		unsigned char tmp[sizeof r->carry];
		size_t held = r->ncarry;  /* at most 3: the start of one character */
		size_t take = n < sizeof tmp - held ? n : sizeof tmp - held;
		if (take > 3)
			take = 3;
		memcpy(tmp, r->carry, held);
		memcpy(tmp + held, s, take);
		r->ncarry = 0;
		size_t used = process(r, tmp, held + take, final && take == n);
		s += take;
		n -= take;
		memcpy(r->carry, tmp + used, held + take - used);
		r->ncarry = held + take - used;
		if (final && n == 0)
			break;
	}
	if (n > 0 && !r->stopped) {
		size_t used = process(r, s, n, final);
		memcpy(r->carry, s + used, n - used);
		r->ncarry = n - used;
	}
}

/* Sends the event that says which encoding is read, and whether the bytes decided it. */
static void emit_encoding(struct csvr *r, bool detected)
{
	struct csvr_event ev = {
		.kind = CSVR_EV_ENCODING, .offset = r->offset, .line = 1, .row = 1,
		.cell = SIZE_MAX, .encoding = r->enc, .detected = detected,
	};
	if (r->h.event)
		r->h.event(r->h.ctx, &ev);
}

/*
 * Decides the encoding from the sample at the start of s[0..n) (whole: s is
 * all the input).  Declared UTF-8 that reads as GB18030 stops the reading
 * with an event that names the first byte UTF-8 does not allow.
 */
static void decide(struct csvr *r, const unsigned char *s, size_t n, bool whole)
{
	size_t len = encoding_sample_len(s, n, whole);
	bool gb = encoding_guess(s, len) == GUESS_GB18030;
	r->decided = true;
	if (gb && r->opt.encoding == CSVR_UTF8) {
		size_t at = 0, breaks = 0;
		bool quote = false;
		for (; at < len && s[at] < 0x80; at++) {
			breaks += s[at] == '\n' || (s[at] == '\r' && (at + 1 == len || s[at + 1] != '\n'));
			quote = quote || s[at] == '"';
		}
		/* where the first non-ASCII character is; its record is known unless a quote came first */
		struct csvr_event ev = {
			.kind = CSVR_EV_LEGACY, .offset = r->offset + at, .line = 1 + breaks,
			.row = quote ? 0 : 1 + breaks, .cell = SIZE_MAX,
			.nbytes = len - at < sizeof ev.bytes ? len - at : sizeof ev.bytes,
		};
		memcpy(ev.bytes, s + at, ev.nbytes);
		if (r->h.event)
			r->h.event(r->h.ctx, &ev);
		r->stopped = true;
		return;
	}
	if (gb && (r->cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1)
		gb = false;
	r->enc = gb ? CSVR_GB18030 : CSVR_UTF8;
	emit_encoding(r, r->opt.encoding == CSVR_AUTO);
}

/*
 * Holds the first bytes of the input until a sample's worth (or all of it,
 * when final) is there, decides the encoding, then reads them.  The usual
 * first feed of a big file is decided where it lies, without a copy.
 */
static void take_sample(struct csvr *r, const unsigned char *s, size_t n, bool final)
{
	if (r->ncarry) {
		buf_add(&r->pending, r->carry, r->ncarry);
		r->ncarry = 0;
	}
	if (r->pending.len == 0 && n >= ENCODING_SAMPLE) {
		decide(r, s, n, false);
		if (!r->stopped)
			feed_range(r, s, n, final);
		return;
	}
	buf_add(&r->pending, s, n);
	if (r->pending.len < ENCODING_SAMPLE && !final)
		return;
	struct buf held = r->pending;
	memset(&r->pending, 0, sizeof r->pending);
	const unsigned char *p = held.data ? (const unsigned char *)held.data : s;
	decide(r, p, held.len, final);
	if (!r->stopped)
		feed_range(r, p, held.len, final);
	buf_free(&held);
}

/*
 * Looks at the first bytes of the input, s[0..n), for a byte-order mark;
 * returns the bytes to skip.  A UTF-8 BOM settles the encoding whatever was
 * declared; a declared GBK or GB18030 without one is settled as declared.
 */
static size_t sniff(struct csvr *r, const unsigned char *s, size_t n)
{
	r->sniffed = true;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		emit(r, CSVR_EV_BOM, 0, s, 3);
		r->offset = r->rec_offset = 3;
		if (r->cd != (iconv_t)-1)
			iconv_close(r->cd);
		r->cd = (iconv_t)-1;
		r->enc = CSVR_UTF8;
		r->decided = true;
		emit_encoding(r, r->opt.encoding != CSVR_UTF8);
		return 3;
	}
	if (n >= 2 && (memcmp(s, "\xFF\xFE", 2) == 0 || memcmp(s, "\xFE\xFF", 2) == 0)) {
		emit(r, CSVR_EV_UTF16, 0, s, 2);
		r->stopped = true;
	} else if (r->cd != (iconv_t)-1) {
		r->enc = r->opt.encoding;
		r->decided = true;
		emit_encoding(r, false);
	}
	return 0;
}

/* Sniffs the first three bytes held in carry (fewer at the end of a short input). */
static void sniff_carry(struct csvr *r)
{
	size_t skip = sniff(r, r->carry, r->ncarry);
	memmove(r->carry, r->carry + skip, r->ncarry - skip);
	r->ncarry -= skip;
}

/* Reads s[0..n) once the encoding is decided, or holds it for the decision. */
static void read_bytes(struct csvr *r, const unsigned char *s, size_t n, bool final)
{
	if (r->stopped)
		return;
	if (!r->decided)
		take_sample(r, s, n, final);
	else
		feed_range(r, s, n, final); /* held bytes go first: an incomplete character */
}

void csvr_feed(struct csvr *r, const void *data, size_t n)
{
	const unsigned char *s = data;
	if (!r->sniffed && r->ncarry == 0 && n >= 3) {
		size_t skip = sniff(r, s, n);
		s += skip;
		n -= skip;
	} else if (!r->sniffed) {
		size_t take = 3 - r->ncarry < n ? 3 - r->ncarry : n;
		memcpy(r->carry + r->ncarry, s, take);
		r->ncarry += take;
		s += take;
		n -= take;
		if (r->ncarry < 3)
			return;
		sniff_carry(r);
	}
	read_bytes(r, s, n, false);
}

void csvr_finish(struct csvr *r)
{
	static const unsigned char nothing[1];
	if (!r->sniffed)
		sniff_carry(r);
	read_bytes(r, nothing, 0, true);
	if (r->stopped) {
		flush_bytes(r);
		return;
	}
	if (r->parser.pstate == LIBCSV_FIELD_BEGUN && r->parser.quoted) {
		r->unterminated = true;
		emit(r, CSVR_EV_UNTERMINATED, r->rec_offset, NULL, 0);
	}
	if (csv_fini(&r->parser, on_field, on_row, r) != 0)
		die(EXIT_TROUBLE, "csv: %s", csv_strerror(csv_error(&r->parser)));
	flush_bytes(r);
}
