/*
 * csvread.c — positions, encodings and size limits around libcsv.
 *
 * The input is cut into segments that end right after a line break ("\n",
 * "\r\n" or a lone "\r"), so a record can only end at the end of a segment and
 * its start offset and line are known exactly.  libcsv runs with CSV_REPALL_NL
 * so blank lines are records too (they are rows in a spreadsheet); the empty
 * record it reports for the "\n" of a "\r\n" pair is dropped.  The usual
 * record, one line of valid UTF-8 without a quote, is split here instead
 * (plain_line), exactly as libcsv would split it, sixteen bytes at a time,
 * with SSE2 or in portable C, in the same pass that finds where the line
 * ends; the reader's tests and the CSV fuzzer compare the ways on every
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
/* libcsv's parser state for "inside a field" (libcsv.c: FIELD_BEGUN). */
#define LIBCSV_FIELD_BEGUN 2

struct csvr {
	struct csv_parser parser;
	struct csvr_handler h;
	struct csvr_options opt;
	iconv_t cd;               /* (iconv_t)-1 for UTF-8 input */
	enum csvr_encoding enc;   /* the encoding read: UTF-8 until decided otherwise */
	bool plain_delimiter;     /* the delimiter lets plain_line split lines (ASCII, not a quote or break) */

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
	bool field_oversized;
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
 * it unless the limit is what filled it; returns the room now.  The rare
 * path of new_cell and split_blocks, kept out of line.
 */
static size_t grow_room(struct csvr *r)
{
	if (r->cap_cells < r->keep_cells) {
		r->cap_cells = r->cap_cells ? r->cap_cells * 2 : 32;
		r->cells = xrealloc(r->cells, r->cap_cells * sizeof *r->cells);
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
	struct csvr_cell *c = new_cell(r);
	if (!c)
		return;
	*c = (struct csvr_cell){.off = r->cellbuf.len, .len = len, .oversized = oversized};
	buf_add(&r->cellbuf, data, len);
}

/* Delivers the record whose cells are ready, with its position, and starts the next. */
static void deliver(struct csvr *r)
{
	r->row_ended = true;
	flush_bytes(r);
	struct csvr_record rec = {
		.cells = r->cells, .ncells = r->ncells, .total_cells = r->total_cells,
		.row = ++r->rows, .line = r->rec_line, .offset = r->rec_offset,
		.unterminated = r->unterminated,
	};
	r->h.record(r->h.ctx, &rec);
	r->ncells = r->total_cells = 0;
	if (r->cellbuf.len)
		buf_reset(&r->cellbuf);
	r->unterminated = false;
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
	for (size_t i = 0; i < r->ncells; i++)
		r->cells[i].data = r->cellbuf.data + r->cells[i].off;
	deliver(r);
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
	r->line = r->rec_line = 1;
	r->keep_cells = SIZE_MAX;
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

/*
 * Checks the characters past ASCII from at on, a run of them up to the next
 * ASCII byte (or the end of s[0..n)); returns where the run ends, or 0 at an
 * invalid or incomplete character.
 */
static size_t valid_run_end(const unsigned char *s, size_t at, size_t n)
{
	do {
		size_t len = utf8_char_len(s + at, n - at);
		if (!len)
			return 0;
		at += len;
	} while (at < n && s[at] >= 0x80);
	return at;
}

/* Bytes a plain record is cut in at a time. */
#define BLOCK 16

/* What a block of bytes holds, one bit a byte (bit k for byte k). */
struct block_marks {
	unsigned delims;  /* the delimiter */
	unsigned high;    /* bytes past ASCII */
	unsigned stops;   /* a quote or NUL: not a plain record */
	unsigned breaks;  /* LF or CR: the end of the line */
};

/* One bit a byte, bit k for byte k: the high bits (0x80 of each byte) of a word gathered. */
static inline unsigned gather_high_bits(uint64_t high)
{
	return (unsigned)(((high >> 7) * 0x0102040810204080ULL) >> 56);
}

/* The marks of the eight bytes at p, in portable C. */
static inline struct block_marks marks_of_word(const unsigned char *p, unsigned char delim)
{
	uint64_t w = load_le64(p);
	return (struct block_marks){
		.delims = gather_high_bits(zero_bytes(w ^ (ONES * delim))),
		.high = gather_high_bits(w & HIGH_BITS),
		.stops = gather_high_bits(zero_in_either(w ^ (ONES * '"'), w)),
		.breaks = gather_high_bits(zero_in_either(w ^ (ONES * '\n'), w ^ (ONES * '\r'))),
	};
}

/* The marks of the block at p, two words at a time in portable C. */
static inline struct block_marks marks_of_words(const unsigned char *p, unsigned char delim)
{
	struct block_marks lo = marks_of_word(p, delim), hi = marks_of_word(p + 8, delim);
	return (struct block_marks){lo.delims | hi.delims << 8, lo.high | hi.high << 8, lo.stops | hi.stops << 8,
				    lo.breaks | hi.breaks << 8};
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* The marks of the block at p, with SSE2. */
static inline struct block_marks marks_of_vector(const unsigned char *p, unsigned char delim)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i stops = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_setzero_si128()));
	__m128i breaks = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
				      _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
	return (struct block_marks){
		.delims = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)delim))),
		.high = (unsigned)_mm_movemask_epi8(v),
		.stops = (unsigned)_mm_movemask_epi8(stops),
		.breaks = (unsigned)_mm_movemask_epi8(breaks),
	};
}
/*
 * The three-byte characters of the block at p, one bit a byte: their lead
 * bytes E1–EC (always valid with two continuation bytes, as utf8_char_len
 * knows) in *lead and the continuation bytes 80–BF in *cont.
 */
static inline void cjk_marks_of_vector(const unsigned char *p, unsigned *lead, unsigned *cont)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i leads = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8((char)0xE1)), v),
				      _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8((char)0xEC)), v));
	*lead = (unsigned)_mm_movemask_epi8(leads);
	*cont = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xC0)),
							   _mm_set1_epi8((char)0x80)));
}
#else
#define marks_of_vector marks_of_words
#endif

/* The marks of the block at p: with SSE2 where there is SSE2, unless told portable. */
static inline struct block_marks marks_of(const unsigned char *p, unsigned char delim, bool portable)
{
	return portable ? marks_of_words(p, delim) : marks_of_vector(p, delim);
}

/*
 * Where the block of s[at..n), fewer than BLOCK bytes, the last of the
 * input at hand, can be read whole: its last BLOCK bytes, without a copy,
 * when there are that many (its bytes then start at bit *shift), else a
 * copy in tmp, the bytes past n NUL (the caller leaves them out).
 */
static inline const unsigned char *tail_block(const unsigned char *s, size_t at, size_t n,
					      unsigned char tmp[BLOCK], unsigned *shift)
{
	if (n < BLOCK) {
		memset(tmp, 0, BLOCK);
		memcpy(tmp, s, n);
		*shift = 0;
		return tmp;
	}
	*shift = (unsigned)(at + BLOCK - n);
	return s + n - BLOCK;
}

/* The marks of s[at..n), fewer than BLOCK bytes, the last of the input at hand. */
static struct block_marks marks_of_tail(const unsigned char *s, size_t at, size_t n, unsigned char delim,
					bool portable)
{
	unsigned char tmp[BLOCK];
	unsigned shift;
	struct block_marks m = marks_of(tail_block(s, at, n, tmp, &shift), delim, portable);
	return (struct block_marks){m.delims >> shift, m.high >> shift, m.stops >> shift, m.breaks >> shift};
}

/*
 * Checks the bytes past ASCII of the block at s[base..) not yet checked
 * (todo, one bit a byte, all before text) at once, when they are all
 * three-byte characters of the usual kind (CJK): each lead byte E1–EC
 * followed by two continuation bytes before text.  Returns where the last
 * of those characters ends (past the block when one runs over into the
 * next), or 0 when the block holds anything else or a character text cuts:
 * then valid_run_end decides, one character at a time.  The block is read
 * within s[0..n).  With SSE2 only (portable: always 0).
 */
static inline __attribute__((always_inline))
size_t cjk_block_end(const unsigned char *s, size_t base, size_t n, size_t text, unsigned todo, bool portable)
{
#if defined(__SSE2__)
	unsigned lead, cont;
	if (portable)
		return 0;
	if (base + BLOCK <= n) {
		cjk_marks_of_vector(s + base, &lead, &cont);
	} else {
		unsigned char tmp[BLOCK];
		unsigned shift;
		cjk_marks_of_vector(tail_block(s, base, n, tmp, &shift), &lead, &cont);
		lead >>= shift, cont >>= shift;
	}
	lead &= todo, cont &= todo;
	unsigned long long expect = (unsigned long long)lead << 1 | (unsigned long long)lead << 2;
	if (todo != (lead | cont) || cont != (expect & ((1u << BLOCK) - 1)))
		return 0;
	size_t end = base + (size_t)(64 - __builtin_clzll(expect));  /* just past the last continuation byte */
	for (size_t at = base + BLOCK; at < end; at++)  /* continuation bytes in the next block */
		if (at >= text || (s[at] & 0xC0) != 0x80)
			return 0;
	return end;
#else
	(void)s, (void)base, (void)n, (void)text, (void)todo, (void)portable;
	return 0;
#endif
}

/*
 * Keeps cell number i of the line being split, data[0..len), in cells when
 * the room (*room) or the limit lets it; returns where the cells are now
 * (they move when the room grows).
 */
static inline struct csvr_cell *keep_cell(struct csvr *r, struct csvr_cell *cells, size_t *room, size_t i,
					  const unsigned char *data, size_t len, bool ascii)
{
	struct csvr_cell cell = {.data = (const char *)data, .len = len, .ascii = ascii};
	if (i < *room)
		cells[i] = cell;
	else if (i < (*room = grow_room(r)))
		cells = r->cells, cells[i] = cell;
	return cells;
}

/*
 * Cuts the line at the start of s[0..n) into cells at the delimiters while
 * it looks for the line's end, checking that the line is UTF-8 without a
 * quote or NUL; returns where its line break (LF or CR) is, or 0 at the
 * first quote or NUL, at an invalid byte, when s holds no line break, or
 * when the line is empty.  It goes BLOCK bytes at a time, with SSE2 unless
 * portable: the block's delimiters, bytes past ASCII, forbidden bytes and
 * line breaks are each a mask of one bit a byte; the characters past ASCII
 * are validated a block at a time when they are the usual three-byte ones
 * (cjk_block_end), else one by one.  Inlined whole into each caller, so that
 * the SSE2 and the portable ways are each compiled for themselves.
 */
static inline __attribute__((always_inline))
size_t split_line(struct csvr *r, const unsigned char *s, size_t n, unsigned char delim, bool portable)
{
	struct csvr_cell *cells = r->cells;
	size_t ncells = 0, room = cell_room(r);
	size_t start = 0;       /* where the cell in progress starts */
	size_t checked = 0;     /* the characters before are valid UTF-8 */
	unsigned high = 0;      /* not 0: the cell in progress has a byte past ASCII in an earlier block */
	for (size_t base = 0; base < n; base += BLOCK) {
		bool whole = base + BLOCK <= n;
		struct block_marks m = whole ? marks_of(s + base, delim, portable)
					     : marks_of_tail(s, base, n, delim, portable);
		unsigned inside = whole ? (1u << BLOCK) - 1 : (1u << (n - base)) - 1;
		unsigned breaks = m.breaks & inside;
		unsigned line_end = breaks & -breaks;  /* the bit of the line break, when it is in this block */
		if (line_end)
			inside = line_end - 1;
		if (m.stops & inside)
			return 0;
		unsigned hi = m.high & inside, ends = (m.delims & inside) | line_end;
		if (hi) {
			size_t text = line_end ? base + (size_t)__builtin_ctz(line_end) : n, from, end;
			from = checked > base ? checked - base : 0;
			unsigned todo = from < BLOCK ? hi & (~0u << from) : 0;  /* bytes past ASCII not yet checked */
			if (todo && (end = cjk_block_end(s, base, n, text, todo, portable)))
				checked = end, todo = 0;
			for (unsigned h = todo; h; ) {
				size_t at = base + (size_t)__builtin_ctz(h);
				if (at >= checked && !(checked = valid_run_end(s, at, text)))
					return 0;
				h = checked - base >= BLOCK ? 0 : h & (~0u << (checked - base));
			}
		}
		/*
		 * The ends of the cells with a byte past ASCII: adding each such
		 * byte's bit (and bit 0 for a cell begun so in an earlier block)
		 * to ~ends carries up to the next cell end and stops there.
		 */
		unsigned wide_ends = (~ends + hi + (high != 0)) & ends;
		high = ends ? hi >> (31 - __builtin_clz(ends)) : high | hi;  /* the cell in progress has one */
		for (; ends; ends &= ends - 1, ncells++) {
			unsigned bit = (unsigned)__builtin_ctz(ends);
			size_t at = base + bit;
			cells = keep_cell(r, cells, &room, ncells, s + start, at - start, !(wide_ends >> bit & 1));
			start = at + 1;
		}
		if (line_end) {
			r->total_cells = ncells;
			r->ncells = ncells < room ? ncells : room; /* room is the limit when ncells passed it */
			return start - 1;
		}
	}
	return 0;
}

/*
 * The common case without libcsv: a whole UTF-8 record on the line at the
 * start of s[0..n), with no quote, no NUL and no cell over the size limit,
 * starting where libcsv is between records.  Its cells are cut at the
 * delimiters and borrowed from s, the record is delivered as libcsv would
 * have delivered it, and the position moves past the line.  Returns the
 * bytes taken, line break included, or 0, having done nothing, for anything
 * else (also for a line whose break s does not hold yet).
 */
static size_t plain_line(struct csvr *r, const unsigned char *s, size_t n)
{
	if (r->cd != (iconv_t)-1 || !r->plain_delimiter || r->parser.pstate != 0 || r->total_cells)
		return 0;
	/* split_line with SSE2 where there is SSE2, unless the reader is told to be portable (as the tests do) */
	size_t text = r->opt.portable ? split_line(r, s, n, r->opt.delimiter, true)
				      : split_line(r, s, n, r->opt.delimiter, false);
	if (text == 0 || text > r->opt.max_field) {
		r->ncells = r->total_cells = 0;
		return 0;
	}
	size_t used = text + 1;
	int end = s[text];
	if (end == '\r' && used < n && s[used] == '\n')
		used++, end = 0;  /* libcsv's bookkeeping after a CRLF is as after its dropped empty LF row */
	r->last_row_end = end;
	deliver(r);
	account_segment(r, s, used);
	return used;
}

/*
 * Processes s[0..n) line by line, and what plain_line does not take segment
 * by segment.  Returns the bytes consumed: less than n only when the input
 * ends inside a character and more may follow.
 */
static size_t process(struct csvr *r, const unsigned char *s, size_t n, bool final)
{
	size_t i = 0;
	while (i < n && !r->stopped) {
		size_t used = plain_line(r, s + i, n - i);
		if (used) {
			i += used;
			continue;
		}
		size_t end = segment_end(s, n, i), len = end - i;
		/* a segment that ends at a line break is complete: a character cut there is cut for good */
		bool complete = final || s[end - 1] == '\n' || s[end - 1] == '\r';
		check_nul(r, s + i, len);
		used = r->cd == (iconv_t)-1 ? utf8_segment(r, s + i, len, complete)
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
