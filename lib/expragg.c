/*
 * expragg.c — the aggregates' accumulators: what a row adds to each slot of
 * its group's block, and what the slots come to once the group is complete.
 * A row updates each aggregate slot by the step picked for it when compiled
 * (agg_step): the commonest read their column themselves, a band of one
 * column (aqi > 95 && aqi <= 100) is tested from the two literals its slot
 * keeps, and a slot whose argument an earlier one has takes that one's
 * value.  Neighbouring slots of one step make a run (agg_plan_runs), taken
 * in one pass, and so do counts among sums and means: bands of one column
 * side by side are passed by in one test by a number outside them all.  A
 * table that is one run (the commonest), or count() and one other slot, is
 * fed without a frame by its step's feed, any other by a loop over its runs
 * (update_runs).
 * Percentiles select their two ranks rather than sort, and remember what
 * they come to until another value comes in; count_distinct keeps
 * its tuples packed, a few bytes a value, in pieces of a fixed size taken
 * as they fill, and counts them as they come while they are few, past that
 * at the end in a table of them by their hashes; a group of one row whose
 * slots only count, or sum or average a column, is held as the values it
 * comes to until a second row comes (agg_hold_row).  The slots' arguments
 * are evaluated by expreval.c, through exprnode.h's inline helpers.
 */
#include "exprnode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Orders two numbers, for sorting a list of them. */
static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * Sorts a percentile's numbers: the few of a small group (a station-month's
 * daily values) by insertion, with no call a comparison, which also takes
 * numbers already in order in one pass; more by qsort.  Insertion keeps equal
 * numbers (0 and -0) in the order they came, as qsort's merge sort does.
 */
static void sort_numbers(double *v, size_t n)
{
	if (n > 64) {
		sort_items(v, n, sizeof *v, by_value);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Sorts an accumulator's numbers, once until another comes in. */
static void sort_kept(struct agg_acc *acc)
{
	if (!acc->sorted) {
		sort_numbers(acc->vals, acc->nvals);
		acc->sorted = true;
	}
}

/* The values a percentile selects from in two lists of its own at most, on the stack (a station-month's days). */
#define SELECT_ON_STACK 64

/*
 * Gives the r-th and the (r+1)-th smallest of v[0..n) (r < n - 1): the two
 * values a percentile interpolates between, in expected linear time rather
 * than a sort's n log n, v left as it is.  Each pass splits the values left
 * about a pivot (the median of three) into those below it, kept in place,
 * and those above it, into the other list, with no branch a value, as the
 * commoner outcome of a comparison is no likelier than the other; the
 * pivot's equals are counted and dropped.  The (r+1)-th is the pivot again,
 * the least above it or the least of what an earlier pass set above.
 */
static void select_ranks(const double *v, size_t n, size_t r, double *at, double *next)
{
	double on_stack[2 * SELECT_ON_STACK];
	double *room = n <= SELECT_ON_STACK ? on_stack : xmalloc(2 * n * sizeof *room);
	double *below = room, *over = room + n, above = INFINITY; /* above: the least value known above those left */
	const double *left = v;
	for (;;) {
		double x = left[0], y = left[n / 2], z = left[n - 1];
		double lo = y < x ? y : x, hi = y < x ? x : y;
		double pivot = z < lo ? lo : z > hi ? hi : z;
		size_t nb = 0, no = 0;
		for (size_t i = 0; i < n; i++) {
			double t = left[i];
			below[nb] = t, over[no] = t; /* (below may be left itself: nb <= i) */
			nb += t < pivot;
			no += t > pivot;
		}
		size_t upto = n - no; /* those below and the pivot's equals */
		if (r < nb) {
			above = pivot;
			left = below, n = nb;
		} else if (r >= upto) {
			double *t = over;
			r -= upto;
			over = below, below = t, left = t, n = no;
		} else {
			*at = pivot;
			if (r + 1 < upto) {
				*next = pivot;
			} else {
				for (size_t k = 0; k < no; k++)
					above = over[k] < above ? over[k] : above;
				*next = above;
			}
			break;
		}
	}
	if (room != on_stack)
		free(room);
}

/*
 * The p-th percentile of the values, interpolating between ranks:
 * k = 1 + (n-1)p/100, X[s] + (X[s+1] - X[s])(k - s) with s = floor(k).  The
 * two ranks are selected, not sorted for, unless the values are sorted
 * already: values that compare equal are the same number or 0 and -0, and
 * X[s] + (X[s+1] - X[s])(k - s) comes out the same whichever zero stands
 * where.  The largest (s = n) is sorted for.
 */
static double percentile_of(struct agg_acc *acc, double p)
{
	double k = 1 + (double)(acc->nvals - 1) * p / 100;
	size_t s = (size_t)floor(k);
	if (s >= acc->nvals) {
		sort_kept(acc);
		return acc->vals[acc->nvals - 1];
	}
	double below, above;
	if (acc->sorted)
		below = acc->vals[s - 1], above = acc->vals[s];
	else
		select_ranks(acc->vals, acc->nvals, s - 1, &below, &above);
	return below + (above - below) * (k - (double)s);
}

/*
 * A percentile's value (percentile_of), remembered in its accumulator's
 * unused numbers until another value comes in: lo holds it, of the p in hi,
 * worked out on the n values in n; so a rule and its message, or a rule
 * reading it on each row of its group, work it out once.
 */
double percentile(struct agg_acc *acc, double p)
{
	if (acc->n != acc->nvals || acc->hi != p)
		acc->lo = percentile_of(acc, p), acc->n = acc->nvals, acc->hi = p;
	return acc->lo;
}

/* Orders (time, value) pairs by time. */
static int by_time(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/*
 * The largest relative change between values whose times differ by exactly
 * one (year on year): |x(t) - x(t-1)| / |x(t-1)|; null when there is no such pair.
 */
static struct value max_change(struct agg_acc *acc)
{
	size_t n = acc->nvals / 2;
	if (!acc->sorted) {
		sort_items(acc->vals, n, 2 * sizeof *acc->vals, by_time);
		acc->sorted = true;
	}
	bool found = false;
	double best = 0;
	for (size_t i = 1; i < n; i++) {
		double t0 = acc->vals[2 * i - 2], v0 = acc->vals[2 * i - 1];
		double t1 = acc->vals[2 * i], v1 = acc->vals[2 * i + 1];
		if (t1 - t0 != 1 || v0 == 0)
			continue;
		double change = fabs(v1 - v0) / fabs(v0);
		if (!found || change > best)
			best = change;
		found = true;
	}
	return found ? num(best) : null_value;
}

/*
 * The median absolute deviation of the kept values (sorted once), about
 * their median; when it is 0 (more than half the values equal), the mean
 * absolute deviation times 1.2533/1.4826, so that the robust standard
 * deviation 1.4826·MAD stays the scale of a normal distribution (Iglewicz
 * and Hoaglin's fallback).
 */
double mad(struct agg_acc *acc)
{
	if (acc->hits) /* worked out once a group: lo holds it until a value comes in */
		return acc->lo;
	sort_kept(acc); /* the deviations are summed in the values' order: sorted, as they always were */
	double med = percentile_of(acc, 50), *dev = xmalloc((acc->nvals + 1) * sizeof *dev), sum = 0;
	for (size_t i = 0; i < acc->nvals; i++)
		sum += dev[i] = fabs(acc->vals[i] - med);
	struct agg_acc d = {.vals = dev, .nvals = acc->nvals};
	double m = percentile_of(&d, 50);
	free(dev);
	acc->hits = 1;
	return acc->lo = m > 0 ? m : sum / (double)acc->nvals * 1.2533 / 1.4826;
}

/*
 * A count_distinct accumulator counts its distinct tuples in hits as they
 * come while there are at most this many (a county-day's stations), and
 * keeps in lo's bytes a bit of each one's mark (tuple_hash); past them,
 * hits stays one more and distinct() counts the kept tuples at the end.
 */
#define DISTINCT_COUNTED_MAX 16

/*
 * The bytes of a piece of tuples (struct tuple_piece) a group takes when its
 * newest is full, unless a tuple needs more: a piece and its malloc header
 * make 128 bytes.  The groups of a table filled in turn (a county-day's,
 * station after station) take their pieces in turn too, so that a row's
 * tuple goes next to the row before's: grown in place, a group's bytes lay
 * a group's length from the next's, and the rows' writes went a page apart.
 */
#define TUPLE_PIECE_BYTES 104

/* The most bytes a tuple packs to, and the word past it that tuple_hash reads (zeroed by the packer). */
#define TUPLE_MAX_BYTES (EXPR_DISTINCT_MAX * 9 + 8)

/* The bytes of the packed value at p (see pack_value). */
static size_t packed_len(const unsigned char *p)
{
	if (*p < 0xE0 || *p == 0xFF)
		return 1;
	if (*p < 0xF0)
		return 2;
	if (*p == 0xF4)
		return 9;
	uint64_t zigzag;
	return 1 + varint_get(p + 1, &zigzag);
}

/* The bytes of the packed tuple of width values at p. */
static size_t tuple_len(const unsigned char *p, size_t width)
{
	size_t len = 0;
	for (size_t k = 0; k < width; k++)
		len += packed_len(p + len);
	return len;
}

/*
 * A hash of a packed tuple's len bytes at p, mixed eight at a time, of the
 * last word only the bytes of the tuple (a word is read past it: a tuple is
 * packed into TUPLE_MAX_BYTES, and a piece keeps room for one after its
 * last): tuples with different hashes differ.
 */
static inline uint64_t tuple_hash(const unsigned char *p, size_t len)
{
	const uint64_t mix = 0x9E3779B97F4A7C15u;
	uint64_t h = len * mix, word;
	size_t k = 0;
	for (; len - k > sizeof word; k += sizeof word) {
		memcpy(&word, p + k, sizeof word);
		h = (h ^ word) * mix;
	}
	memcpy(&word, p + k, sizeof word);
	unsigned past = 8 * (unsigned)(sizeof word - (len - k)); /* the bits of the bytes after the tuple's */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	word &= ~(uint64_t)0 << past;
#else
	word &= ~(uint64_t)0 >> past;
#endif
	return (h ^ word) * mix;
}

/* A packed tuple of count_distinct in distinct()'s table: where its bytes are, and how many (0: no tuple). */
struct packed_tuple {
	const unsigned char *at;
	size_t len;
};

/*
 * The distinct tuples among the kept ones of a count_distinct accumulator,
 * of width values each, counted in a table of them by their hashes, at most
 * half full.
 */
static __attribute__((noinline)) double count_tuples(const struct agg_acc *acc, size_t width)
{
	unsigned bits = 8; /* of the table's size: twice the tuples kept (n), or more */
	while (((size_t)1 << bits) < 2 * (size_t)acc->n)
		bits++;
	size_t mask = ((size_t)1 << bits) - 1, count = 0;
	struct packed_tuple few[256], *t = bits == 8 ? memset(few, 0, sizeof few) : xcalloc(mask + 1, sizeof *t);
	for (const struct tuple_piece *piece = acc->pieces; piece; piece = piece->older) {
		for (size_t at = 0, len; at < piece->used; at += len) {
			const unsigned char *p = piece->bytes + at;
			len = tuple_len(p, width);
			for (size_t i = (size_t)(tuple_hash(p, len) >> (64 - bits));; i = (i + 1) & mask) {
				if (!t[i].len) {
					t[i] = (struct packed_tuple){p, len};
					count++;
					break;
				}
				if (t[i].len == len && !memcmp(t[i].at, p, len))
					break;
			}
		}
	}
	if (t != few)
		free(t);
	return (double)count;
}

/* count_distinct(): as counted when the tuples came (count_new_tuple) while they were few, else by count_tuples. */
static inline double distinct(const struct agg_acc *acc, size_t width)
{
	return acc->hits <= DISTINCT_COUNTED_MAX ? acc->hits : count_tuples(acc, width);
}

/* Where a run began, as its order key: the caller's row record starts with it (see eval_ctx.where). */
static struct value run_start(const void *where)
{
	return where ? *(const struct value *)where : null_value;
}

/* The value of an aggregate for the group being judged. */
struct value aggregate(const struct node *x, const struct eval_ctx *ctx)
{
	struct agg_acc *acc = acc_at(ctx, x->acc);
	switch ((enum agg_kind)x->param) {
	case AGG_LONGEST_RUN: return x->part ? run_start(acc->best_from) : num(acc->hi);
	case AGG_LONGEST_EQUAL_RUN:
		return x->part == 1 ? run_start(acc->best_from) : x->part == 2 ? (acc->hi ? num(acc->sum) : null_value)
									       : num(acc->hi);
	case AGG_COUNT_DISTINCT: return num(distinct(acc, (size_t)x->nargs));
	default: return agg_result((enum agg_kind)x->param, x->lit.num, acc);
	}
}

/*
 * What an accumulator that keeps a list of values comes to: a percentile's,
 * max_change's or the MAD's.  Not inlined, so that agg_result's other cases
 * need no stack frame.
 */
static __attribute__((noinline)) struct value kept_result(enum agg_kind kind, double p, struct agg_acc *acc)
{
	if (kind == AGG_MAX_CHANGE)
		return max_change(acc);
	if (!acc->nvals)
		return null_value;
	return num(kind == AGG_MAD ? mad(acc) : percentile(acc, p));
}

/* Counts, sums and the like straight from their numbers (a view's row takes many); kept lists by kept_result. */
struct value agg_result(enum agg_kind kind, double p, struct agg_acc *acc)
{
	switch (kind) {
	case AGG_COUNT: return num(acc->n);
	case AGG_COUNT_IF: return num(acc->hits);
	case AGG_SUM: return acc->n ? num(acc->sum) : null_value;
	case AGG_MEAN: return acc->n ? num(acc->sum / acc->n) : null_value;
	case AGG_MIN: case AGG_MAX:
		if (!acc->n)
			return null_value;
		return (struct value){.type = acc->date ? V_DATE : V_NUM,
				      .num = kind == AGG_MIN ? acc->lo : acc->hi};
	case AGG_RATIO: return acc->n ? num(acc->hits / acc->n) : null_value;
	case AGG_PERCENTILE: case AGG_MAX_CHANGE: case AGG_MAD: return kept_result(kind, p, acc);
	case AGG_LONGEST_RUN: case AGG_LONGEST_EQUAL_RUN: return num(acc->hi);
	case AGG_COUNT_DISTINCT: return null_value; /* needs its arguments' count: aggregate() answers */
	}
	return null_value;
}

/* True if v, of the band's type, passes both its comparisons. */
static inline bool in_band(const struct agg_band *band, double v)
{
	return num_passes(v, band->lit[0], band->passes[0]) && num_passes(v, band->lit[1], band->passes[1]);
}

/*
 * A band (expr_band) on a cell: -1 (null) when the cell is not of the
 * literals' type (both comparisons are null then), else 1 if both hold and
 * 0 if not: what expr_cell_tests() gives for the two.
 */
static inline int band_holds(const struct agg_band *band, const struct value *cell)
{
	if (cell->type != band->type)
		return -1;
	return in_band(band, cell->num);
}

/* Doubles the room of an accumulator's list of numbers. */
static void grow_numbers(struct agg_acc *a)
{
	if (a->cap > UINT32_MAX / 2)
		die(EXIT_TROUBLE, "too many values in one group to keep");
	a->cap = a->cap ? a->cap * 2 : 32;
	a->vals = xrealloc(a->vals, a->cap * sizeof *a->vals);
	a->listed = true;
}

/* Appends v to a list of numbers that has room for it. */
static inline void put_number(struct agg_acc *a, double v)
{
	a->vals[a->nvals++] = v;
	a->sorted = false;
}

/* Appends a number to an accumulator's list (percentile values, max_change pairs). */
static inline void keep_number(struct agg_acc *a, double v)
{
	if (a->nvals == a->cap)
		grow_numbers(a);
	put_number(a, v);
}

/* Packs a number of neither short form of pack_value's: out of line, so that packing the commoner ones calls nothing. */
static __attribute__((noinline)) size_t pack_long(unsigned char *p, double d)
{
	static const double scale[] = {1, 10, 100, 1000};
	for (int s = 0; s < 4; s++) {
		if (!(fabs(d * scale[s]) < 9007199254740992.0))
			continue;
		long long k = llround(d * scale[s]);
		if ((double)k / scale[s] != d)
			continue;
		p[0] = (unsigned char)(0xF0 + s);
		return 1 + varint_put(p + 1, k < 0 ? ~((uint64_t)k << 1) : (uint64_t)k << 1);
	}
	p[0] = 0xF4;
	memcpy(p + 1, &d, sizeof d);
	return 9;
}

/*
 * Packs a value of a count_distinct tuple so that two values are equal
 * exactly when their bytes are, and most take a byte or two: a whole number
 * below 224 is its byte; tenths below 409.6, 0xE0 + the high bits and a
 * byte; a number of at most three decimals, 0xF0 + the decimals and its
 * zigzag varint; any other, 0xF4 and its 8 bytes; a blank, 0xFF (blanks
 * equal each other).  A value's form follows from the value alone, so equal
 * values pack alike (0 and -0 as well).  Returns the bytes written, at most 9.
 */
#define PACK_BITS_224 UINT64_C(0x406C000000000000)   /* 224's bits */
#define PACK_BITS_409_6 UINT64_C(0x407999999999999A) /* 409.6's */
static inline size_t pack_value(unsigned char *p, const struct value *v)
{
	double d = v->num;
	if (v->type == V_NULL) {
		*p = 0xFF;
		return 1;
	}
	uint64_t bits; /* of numbers from 0 up, one is below another exactly when its bits are: one test each */
	memcpy(&bits, &d, sizeof bits);
	if ((bits < PACK_BITS_224 || d == 0) && d == (double)(int)d) { /* (d == 0: -0, whose sign bit is set) */
		*p = (unsigned char)(int)d;
		return 1;
	}
	/* k / 10 * 10 is k again for each k below 4096: d * 10, truncated, is the tenths that give d if any do */
	long long tenths = bits < PACK_BITS_409_6 ? (long long)(d * 10) : -1; /* (-0 has gone) */
	if (tenths >= 0 && (double)tenths / 10 == d) {
		p[0] = (unsigned char)(0xE0 | tenths >> 8), p[1] = (unsigned char)(tenths & 0xFF);
		return 2;
	}
	return pack_long(p, d);
}

/* True if a count_distinct accumulator's kept tuples of width values hold the len bytes at p. */
static bool holds_tuple(const struct agg_acc *a, size_t width, const unsigned char *p, size_t len)
{
	for (const struct tuple_piece *piece = a->pieces; piece; piece = piece->older) {
		for (size_t at = 0, kept; at < piece->used; at += kept) {
			kept = tuple_len(piece->bytes + at, width);
			if (kept == len && !memcmp(piece->bytes + at, p, len))
				return true;
		}
	}
	return false;
}

/*
 * Counts the tuple of width values packed at p, len bytes, if no kept one
 * is the same (see DISTINCT_COUNTED_MAX): one whose mark's bit no kept
 * tuple set is new; one whose bit is set is looked for.
 */
static inline void count_new_tuple(struct agg_acc *a, const unsigned char *p, size_t len, size_t width)
{
	if (a->hits > DISTINCT_COUNTED_MAX)
		return;
	uint64_t marks, mark = (uint64_t)1 << (tuple_hash(p, len) >> 58); /* one of 64 bits */
	memcpy(&marks, &a->lo, sizeof marks);
	if (marks & mark && holds_tuple(a, width, p, len))
		return;
	marks |= mark;
	memcpy(&a->lo, &marks, sizeof marks);
	a->hits++;
}

/*
 * Keeps a tuple of width values packed at p, len bytes (and room for a word
 * past them), in a count_distinct accumulator: counted if new while they
 * are few, then copied into its newest piece, or a new one.
 */
static void keep_packed(struct agg_acc *a, const unsigned char *p, size_t len, size_t width)
{
	count_new_tuple(a, p, len, width);
	struct tuple_piece *piece = a->pieces;
	if (!piece || piece->used + len + sizeof(uint64_t) > piece->room) {
		uint32_t room = len + sizeof(uint64_t) > TUPLE_PIECE_BYTES ? (uint32_t)(len + sizeof(uint64_t))
									   : TUPLE_PIECE_BYTES;
		if (a->nvals > UINT32_MAX / 2)
			die(EXIT_TROUBLE, "too many values in one group to keep");
		piece = xmalloc(sizeof *piece + room);
		*piece = (struct tuple_piece){a->pieces, 0, room};
		a->pieces = piece;
		a->listed = a->packed = true;
	}
	memcpy(piece->bytes + piece->used, p, len);
	piece->used += (uint32_t)len;
	a->nvals += (uint32_t)len;
	a->n++;
}

/* Frees the list a listed accumulator keeps: count_distinct's pieces of tuples, or the values. */
static void free_list(struct agg_acc *a)
{
	if (!a->packed) {
		free(a->vals);
		return;
	}
	for (struct tuple_piece *piece = a->pieces, *older; piece; piece = older) {
		older = piece->older;
		free(piece);
	}
}

/*
 * Keeps a tuple of count_distinct, packed.  first: the value of the call's
 * first argument, the others read where they lie on the row or evaluated.
 */
static void keep_tuple(struct agg_acc *a, const struct agg_slot *s, const struct value *first, const struct eval_ctx *row)
{
	const struct node *c = &s->expr->nodes[s->call];
	size_t width = (size_t)c->nargs;
	unsigned char tuple[TUPLE_MAX_BYTES], *p = tuple;
	p += pack_value(p, first);
	for (size_t k = 1; k < width; k++) {
		struct value held;
		p += pack_value(p, value_at(s->expr, s->expr->argv[c->args + k], row, &held));
	}
	memset(p, 0, sizeof(uint64_t));
	keep_packed(a, tuple, (size_t)(p - tuple), width);
}

/*
 * Adds a number to longest_equal_run's accumulator: hits counts the current
 * run, of the value in lo, which began at run_from; hi is the longest, of the
 * value in sum, which began at best_from.  where: the row's record.
 */
static inline void equal_run(struct agg_acc *a, double v, const void *where)
{
	if (v != a->lo || !a->hits) /* (the commoner first: the value changes) */
		a->hits = 0, a->lo = v, a->run_from = where;
	if (++a->hits > a->hi)
		a->hi = a->hits, a->best_from = a->run_from, a->sum = a->lo;
}

/* A slot's argument on this row, read as the slot was set to (see agg_read): in the row, in *held or in given. */
static inline const struct value *slot_argument(const struct agg_slot *s, const struct eval_ctx *row,
						struct value *held, const struct value *given)
{
	switch (s->read) {
	case AGG_READ_CELL:
		if (!row->row)
			break;
		return &row->row[s->cell];
	case AGG_READ_TEST: *held = cell_test(&s->expr->nodes[s->arg], row); return held;
	case AGG_READ_SHARED: return &given[s->shared];
	default: break;
	}
	*held = eval(s->expr, s->arg, row);
	return held;
}

/* Adds a row to slot i by its kind, its argument read as the slot says; given: as in agg_update. */
static void update_slot(const struct agg_slot *s, struct agg_acc *a, size_t i, const struct eval_ctx *row,
			struct value *given)
{
	if (s->kind == AGG_COUNT) {
		a->n++;
		return;
	}
	struct value held;
	const struct value *v = slot_argument(s, row, &held, given);
	if (s->gives)
		given[i] = *v;
	switch (s->kind) {
	case AGG_COUNT_IF:
		a->hits += v->type == V_BOOL && v->num;
		break;
	case AGG_RATIO:
		if (v->type == V_BOOL)
			a->n++, a->hits += v->num;
		break;
	case AGG_SUM: case AGG_MEAN:
		if (v->type == V_NUM)
			a->n++, a->sum += v->num;
		break;
	case AGG_MIN: case AGG_MAX:
		if (v->type != V_NUM && v->type != V_DATE)
			break;
		if (!a->n || v->num < a->lo)
			a->lo = v->num;
		if (!a->n || v->num > a->hi)
			a->hi = v->num;
		a->date = v->type == V_DATE;
		a->n++;
		break;
	case AGG_PERCENTILE:
		if (v->type == V_NUM)
			keep_number(a, v->num), a->hits += s->counts;
		break;
	case AGG_LONGEST_RUN:
		/* hits: the current run; hi: the longest, which began at best_from */
		if (v->type == V_BOOL && v->num) {
			if (!a->hits)
				a->run_from = row->where;
			if (++a->hits > a->hi)
				a->hi = a->hits, a->best_from = a->run_from;
		} else {
			a->hits = 0;
		}
		break;
	case AGG_LONGEST_EQUAL_RUN:
		/* blanks neither break a run nor lengthen it; hits: the current run of run_value */
		if (v->type == V_NUM)
			equal_run(a, v->num, row->where);
		break;
	case AGG_MAD:
		if (v->type == V_NUM)
			keep_number(a, v->num), a->hits = 0;
		break;
	case AGG_COUNT_DISTINCT:
		keep_tuple(a, s, v, row);
		break;
	case AGG_MAX_CHANGE: {
		struct value t = eval(s->expr, s->arg2, row);
		if (v->type == V_NUM && t.type == V_NUM)
			keep_number(a, t.num), keep_number(a, v->num);
		break;
	}
	default:
		break;
	}
}

size_t agg_acc_size(enum agg_kind kind)
{
	switch (kind) {
	case AGG_COUNT: return offsetof(struct agg_acc, sum);
	case AGG_SUM: case AGG_MEAN: return offsetof(struct agg_acc, hits);
	case AGG_COUNT_IF: case AGG_RATIO: return offsetof(struct agg_acc, lo);
	case AGG_MIN: case AGG_MAX: return offsetof(struct agg_acc, vals); /* date, then room up to the next double */
	default: return sizeof(struct agg_acc);
	}
}

/* True if a kind's accumulator may hold a list of values (agg_acc.listed), to free and to count. */
static bool lists(enum agg_kind kind)
{
	return 1u << kind & (1u << AGG_PERCENTILE | 1u << AGG_MAD | 1u << AGG_MAX_CHANGE | 1u << AGG_COUNT_DISTINCT);
}

/* The least and the greatest number that comparing with lit passes (passes: as agg_band's), bounds included. */
static void comparison_reach(double lit, unsigned char passes, double *least, double *greatest)
{
	*least = passes & 1 ? -INFINITY : lit;
	*greatest = passes & 4 ? INFINITY : lit;
}

/* True if a slot counts rows or sums a column: a run of them may mix the two (sum_cells). */
static bool tallies(const struct agg_slot *s)
{
	return s->step == AGG_STEP_COUNT || s->step == AGG_STEP_SUM_CELL;
}

/* True if slot t may follow slot s in a run: the same step, of a kind a run takes; bands of one column and type, giving no value on. */
static bool joins_run(const struct agg_slot *s, const struct agg_slot *t)
{
	if (s->step != t->step)
		return tallies(s) && tallies(t);
	switch (s->step) {
	case AGG_STEP_COUNT: case AGG_STEP_SUM_CELL: case AGG_STEP_KEEP_CELL: case AGG_STEP_KEEP_COUNT_CELL:
	case AGG_STEP_EQUAL_RUN_CELL: case AGG_STEP_COUNT_PRESENT:
		return true;
	case AGG_STEP_BAND:
		return !s->gives && !t->gives && s->cell == t->cell && s->band.type == t->band.type;
	default:
		return false;
	}
}

void agg_plan_runs(struct agg_slot *slots, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		struct agg_slot *s = &slots[i], *next = i + 1 < n ? s + 1 : NULL;
		bool joins = next && joins_run(s, next) && next->run < UINT8_MAX;
		s->run = joins ? (uint8_t)(next->run + 1) : 1;
		if (s->step != AGG_STEP_BAND)
			continue;
		double least[2], greatest[2];
		for (int k = 0; k < 2; k++)
			comparison_reach(s->band.lit[k], s->band.passes[k], &least[k], &greatest[k]);
		s->band.reach[0] = fmax(least[0], least[1]), s->band.reach[1] = fmin(greatest[0], greatest[1]);
		if (joins) {
			s->band.reach[0] = fmin(s->band.reach[0], next->band.reach[0]);
			s->band.reach[1] = fmax(s->band.reach[1], next->band.reach[1]);
		}
	}
}

/* The slots of the run that slot s begins (agg_slot.run, 1 or more once planned), of the left ones. */
static inline size_t run_of(const struct agg_slot *s, size_t left)
{
	return s->run < left ? s->run : left;
}

/* Adds a row's cells to a run of sums or means of columns and of counts [s, stop). */
static inline void sum_cells(const struct agg_slot *s, const struct agg_slot *stop, unsigned char *block,
			     const struct value *cells)
{
	for (; s < stop; s++) {
		struct agg_acc *a = agg_acc_of(block, s);
		if (s->step == AGG_STEP_COUNT) {
			a->n++;
			continue;
		}
		const struct value *c = &cells[s->cell];
		if (c->type == V_NUM)
			a->n++, a->sum += c->num;
	}
}

/* Adds a row's cells to a run of count_if(x != null) of columns [s, stop). */
static inline void count_present_cells(const struct agg_slot *s, const struct agg_slot *stop, unsigned char *block,
				       const struct value *cells)
{
	for (; s < stop; s++)
		if (cells[s->cell].type != V_NULL)
			agg_acc_of(block, s)->hits++;
}

/* Adds a row's cells to a run of longest_equal_run() of columns [s, stop); where: the row's record. */
static inline void equal_run_cells(const struct agg_slot *s, const struct agg_slot *stop, unsigned char *block,
				   const struct value *cells, const void *where)
{
	for (; s < stop; s++) {
		const struct value *c = &cells[s->cell];
		if (c->type == V_NUM)
			equal_run(agg_acc_of(block, s), c->num, where);
	}
}

/* Adds a row's cells to a run of percentiles of columns [s, stop), each counting its numbers in hits too if the step says so. */
static inline void keep_cells(const struct agg_slot *s, const struct agg_slot *stop, unsigned char *block,
			      const struct value *cells)
{
	bool counts = s->step == AGG_STEP_KEEP_COUNT_CELL;
	for (; s < stop; s++) {
		const struct value *c = &cells[s->cell];
		if (c->type == V_NUM) {
			struct agg_acc *a = agg_acc_of(block, s);
			keep_number(a, c->num);
			if (counts)
				a->hits++;
		}
	}
}

/*
 * Adds a row's cell to a run of bands of it [s, stop) (agg_plan_runs),
 * count_if() or ratio() each, none giving its value on: a number outside
 * the run's reach holds for none of them, which each ratio() counts; any
 * other is tested band by band.
 */
static inline void band_run(const struct agg_slot *s, const struct agg_slot *stop, unsigned char *block,
			    const struct value *cell)
{
	if (cell->type != s->band.type)
		return;
	double v = cell->num;
	if (v < s->band.reach[0] || v > s->band.reach[1]) {
		for (; s < stop; s++)
			if (s->kind == AGG_RATIO)
				agg_acc_of(block, s)->n++;
		return;
	}
	for (; s < stop; s++) { /* (each of the run's type, tested once above) */
		struct agg_acc *a = agg_acc_of(block, s);
		if (in_band(&s->band, v))
			a->hits++;
		if (s->kind == AGG_RATIO)
			a->n++;
	}
}

/* Feeds a row to a table of one count_distinct() of columns alone: keeps its tuple, packed, read from the row's cells. */
static void feed_distinct(const struct agg_slot *s, size_t n, unsigned char *block, const struct eval_ctx *row)
{
	(void)n;
	const struct node *c = &s->expr->nodes[s->call];
	const int *col = s->expr->arg_cols + c->args, *end = col + c->nargs;
	unsigned char tuple[TUPLE_MAX_BYTES], *p = tuple;
	for (; col < end; col++)
		p += pack_value(p, &row->row[*col]);
	memset(p, 0, sizeof(uint64_t));
	keep_packed(agg_acc_of(block, s), tuple, (size_t)(p - tuple), (size_t)c->nargs);
}

/* count_if() of a test of a column alone, tested in place. */
static inline void count_if_test(const struct agg_slot *s, unsigned char *block, const struct eval_ctx *row)
{
	struct value t = cell_test(&s->expr->nodes[s->arg], row);
	agg_acc_of(block, s)->hits += t.type == V_BOOL && t.num;
}

/*
 * Feeds a row to a table run by run, each by its step, the arguments that
 * later slots take kept in given: the tables agg_update does not take in
 * one pass.  Not inlined, so that agg_update and the other feeds need no
 * frame.
 */
static __attribute__((noinline)) void update_runs(const struct agg_slot *slots, size_t n, unsigned char *block,
						  const struct eval_ctx *row)
{
	struct value given[AGG_SHARED_MAX]; /* the arguments' values later slots take (set before they are read) */
	const struct value *cells = row->row;
	if (!cells) { /* no row: each slot reads its argument as null */
		for (size_t i = 0; i < n; i++)
			update_slot(&slots[i], agg_acc_of(block, &slots[i]), i, row, given);
		return;
	}
	for (const struct agg_slot *s = slots; n; ) {
		struct agg_acc *a = agg_acc_of(block, s);
		size_t run = 1;
		switch (s->step) {
		case AGG_STEP_COUNT: case AGG_STEP_SUM_CELL: sum_cells(s, s + (run = run_of(s, n)), block, cells); break;
		case AGG_STEP_COUNT_IF_TEST: count_if_test(s, block, row); break;
		case AGG_STEP_COUNT_PRESENT: count_present_cells(s, s + (run = run_of(s, n)), block, cells); break;
		case AGG_STEP_BAND: {
			if (!s->gives) {
				band_run(s, s + (run = run_of(s, n)), block, &cells[s->cell]);
				break;
			}
			int in = band_holds(&s->band, &cells[s->cell]);
			given[s - slots] = in < 0 ? null_value : boolean(in);
			if (in > 0) /* (counts are whole numbers: adding 0 would change none) */
				a->hits++;
			if (in >= 0 && s->kind == AGG_RATIO)
				a->n++;
			break;
		}
		case AGG_STEP_KEEP_CELL: case AGG_STEP_KEEP_COUNT_CELL:
			keep_cells(s, s + (run = run_of(s, n)), block, cells);
			break;
		case AGG_STEP_EQUAL_RUN_CELL:
			equal_run_cells(s, s + (run = run_of(s, n)), block, cells, row->where);
			break;
		case AGG_STEP_DISTINCT_CELLS: feed_distinct(s, 1, block, row); break;
		default: update_slot(s, a, (size_t)(s - slots), row, given);
		}
		s += run, n -= run;
	}
}

/* Feeds a row to a table that is one run of sums, means and counts. */
static void feed_sums(const struct agg_slot *s, size_t n, unsigned char *block, const struct eval_ctx *row)
{
	sum_cells(s, s + n, block, row->row);
}

/* Feeds a row to a table of one count_if() of a test of a column. */
static void feed_count_if_test(const struct agg_slot *s, size_t n, unsigned char *block, const struct eval_ctx *row)
{
	(void)n;
	count_if_test(s, block, row);
}

/* Feeds a row to a table that is one run of count_if(x != null) of columns. */
static void feed_present(const struct agg_slot *s, size_t n, unsigned char *block, const struct eval_ctx *row)
{
	count_present_cells(s, s + n, block, row->row);
}

/*
 * Feeds a row to a table that is one run of bands of a column.  A band that
 * gives its value on is a run of its own, and a table of its own gives it
 * to none: its readers are other slots of its table (update_runs).
 */
static void feed_bands(const struct agg_slot *s, size_t n, unsigned char *block, const struct eval_ctx *row)
{
	band_run(s, s + n, block, &row->row[s->cell]);
}

/* Feeds a row to a table of one percentile of a column whose list has room; any other to update_runs. */
static void feed_kept(const struct agg_slot *s, size_t n, unsigned char *block, const struct eval_ctx *row)
{
	struct agg_acc *a = agg_acc_of(block, s);
	const struct value *c = &row->row[s->cell];
	if (n > 1 || a->nvals == a->cap) { /* (keep_number would grow the list: a call) */
		update_runs(s, n, block, row);
		return;
	}
	if (c->type == V_NUM) { /* keep_cells, with room */
		put_number(a, c->num);
		if (s->step == AGG_STEP_KEEP_COUNT_CELL)
			a->hits++;
	}
}

/* Feeds a row to a table that is one run of longest_equal_run() of columns. */
static void feed_equal_runs(const struct agg_slot *s, size_t n, unsigned char *block, const struct eval_ctx *row)
{
	equal_run_cells(s, s + n, block, row->row, row->where);
}

/*
 * How agg_update feeds a row to a table that is one run of a step: in one
 * pass, without a frame, the steps that read the row's cells or count; the
 * others (AGG_STEP_ANY) by update_runs.
 */
static void (*const feeds[])(const struct agg_slot *, size_t, unsigned char *, const struct eval_ctx *) = {
	[AGG_STEP_ANY] = update_runs, [AGG_STEP_COUNT] = feed_sums, [AGG_STEP_SUM_CELL] = feed_sums,
	[AGG_STEP_COUNT_IF_TEST] = feed_count_if_test, [AGG_STEP_COUNT_PRESENT] = feed_present,
	[AGG_STEP_BAND] = feed_bands, [AGG_STEP_KEEP_CELL] = feed_kept, [AGG_STEP_KEEP_COUNT_CELL] = feed_kept,
	[AGG_STEP_EQUAL_RUN_CELL] = feed_equal_runs, [AGG_STEP_DISTINCT_CELLS] = feed_distinct,
};
_Static_assert(sizeof feeds / sizeof *feeds == AGG_STEP_DISTINCT_CELLS + 1, "a feed for each step");

/*
 * A table that is one run (agg_plan_runs) is fed by its step's feed: a
 * station's stuck readings, the bands of a column, a month's valid days, a
 * median whose list has room, a day's means and its count, a county-day's
 * distinct sets of values.  So is a table of count() and one other slot (a
 * county-day's stations and its distinct sets, a year's days and its
 * percentile): the count added, the other taken as a table of its own,
 * which it is, as a count gives no value on.  Any other goes to
 * update_runs.
 */
void agg_update(const struct agg_slot *slots, size_t n, unsigned char *block, const struct eval_ctx *row)
{
	if (!n) /* (no slots may be NULL: it is not read then) */
		return;
	if (!row->row) {
		update_runs(slots, n, block, row);
		return;
	}
	if (slots->run < n) {
		if (n != 2 || slots->step != AGG_STEP_COUNT) { /* (a longer table's slots may take given values by place) */
			update_runs(slots, n, block, row);
			return;
		}
		agg_acc_of(block, slots)->n++; /* count() and one other slot: that one a table, and a run, of its own */
		slots++, n--;
	}
	feeds[slots->step](slots, n, block, row);
}

bool agg_holds(const struct agg_slot *slots, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (slots[i].step != AGG_STEP_COUNT && slots[i].step != AGG_STEP_SUM_CELL)
			return false;
	return true;
}

/* The column a held slot's aggregate reads (its sum's or mean's), or -1 for count(). */
int agg_held_cell(const struct agg_slot *slot)
{
	return slot->step == AGG_STEP_SUM_CELL ? slot->cell : -1;
}

bool agg_hold_row(const int *cell, size_t n, const struct value *cells, struct value *values)
{
	if (!cells) { /* (no row: each cell null) */
		for (size_t k = 0; k < n; k++)
			values[k] = cell[k] < 0 ? num(1) : null_value;
		return true;
	}
	for (size_t k = 0; k < n; k++) {
		struct value *v = &values[k];
		if (cell[k] < 0) {
			*v = num(1);
			continue;
		}
		const struct value *c = &cells[cell[k]];
		if (c->type != V_NUM) {
			*v = null_value;
			continue;
		}
		if (!isfinite(c->num))
			return false;
		v->num = 0.0 + c->num; /* a sum of 0 and it, divided by 1 for a mean; stored field by field, */
		v->len = 0, v->type = V_NUM; /* which takes two stores where a whole value takes four */
	}
	return true;
}

void agg_unhold(const struct agg_slot *slots, const int *slot, size_t n, const struct value *values,
		unsigned char *block)
{
	for (size_t k = 0; k < n; k++) {
		const struct agg_slot *s = &slots[slot[k]];
		struct agg_acc *a = agg_acc_of(block, s);
		if (s->step == AGG_STEP_COUNT)
			a->n = 1;
		else if (values[k].type == V_NUM)
			a->n = 1, a->sum = values[k].num;
	}
}

void agg_acc_free(const struct agg_slot *slots, size_t n, unsigned char *blocks, size_t nblocks)
{
	size_t size = agg_block_size(slots, n);
	for (size_t i = 0; i < n; i++) {
		if (!lists(slots[i].kind))
			continue;
		for (size_t g = 0; g < nblocks; g++) {
			struct agg_acc *a = agg_acc_of(blocks + g * size, &slots[i]);
			if (a->listed)
				free_list(a);
		}
	}
}

void agg_acc_empty(const struct agg_slot *slots, size_t n, unsigned char *block)
{
	for (size_t i = 0; i < n; i++) {
		struct agg_acc *a = agg_acc_of(block, &slots[i]);
		bool listed = lists(slots[i].kind) && a->listed;
		if (!listed || a->packed) { /* (a list of numbers keeps its room; tuples' pieces go) */
			if (listed)
				free_list(a);
			memset(a, 0, agg_acc_size(slots[i].kind));
			continue;
		}
		double *vals = a->vals;
		uint32_t cap = a->cap;
		memset(a, 0, sizeof *a);
		a->vals = vals, a->cap = cap, a->listed = true;
	}
}

uint64_t agg_acc_kept_bytes(const struct agg_slot *slots, size_t n, const unsigned char *block)
{
	uint64_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const struct agg_acc *a = agg_acc_of_const(block, &slots[i]);
		if (lists(slots[i].kind) && a->listed)
			bytes += a->packed ? a->nvals : a->nvals * sizeof *a->vals;
	}
	return bytes;
}
