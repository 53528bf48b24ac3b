/*
 * keyset.c — keys as codes in 12-byte slots, the others by open addressing
 * over an append-only key arena.
 */
#include "keyset.h"
#include "platform.h"
#include "strmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK (1u << 20)
#define HUGE_PAGE (2u << 20)
#define REF_MASK ((1ULL << 48) - 1)
#define CODE_DIGITS 12            /* 10^12 < 2^40: the digits of a code */
#define CODE_SHIFT KEYSET_CODE_SHIFT
#define SHAPES_MAX 4096           /* shapes a set numbers; keys of any other are kept whole */

/* A key kept as its code, with its value: 12 bytes, so that ten million keys take about 150 MB. */
struct keyset_code_slot {
	uint32_t code_lo, code_hi, value;
};

/* Where the run stood before one of its keys: that key's code and value follow from these. */
struct keyset_run_mark {
	uint64_t code, value;   /* the key before (0, 0 before the first) */
	size_t at;              /* the key's first byte in the run */
};

void keyset_init(struct keyset *ks) { memset(ks, 0, sizeof *ks); }

static void free_slots(uint64_t *slots, size_t n);

static void free_codes(struct keyset_code_slot *codes, size_t n);

void keyset_free(struct keyset *ks)
{
	struct budget *budget = ks->budget;
	free_codes(ks->codes, ks->ncodes);
	if (ks->shapes)
		strmap_free(ks->shapes);
	free(ks->shapes);
	for (size_t i = 0; i < ks->nblocks; i++)
		free(ks->blocks[i]);
	free(ks->blocks);
	free_slots(ks->slots, ks->nslots);
	free(ks->run);
	free(ks->marks);
	budget_give(budget, ks->bytes);
	memset(ks, 0, sizeof *ks);
	ks->budget = budget;
}

/* The stored record a slot points at: its key and value. */
static const unsigned char *record(const struct keyset *ks, uint64_t slot, size_t *len, uint64_t *value)
{
	uint64_t ref = (slot & REF_MASK) - 1;
	const unsigned char *p = ks->blocks[ref >> 32] + (ref & 0xFFFFFFFFu);
	uint64_t l;
	p += varint_get(p, &l);
	*len = (size_t)l;
	if (value)
		varint_get(p + l, value);
	return p;
}

static uint64_t tag_of(uint64_t hash) { return ((hash >> 48) | 1) << 48; }

/* True if a slot array of n slots is big enough to be mapped from the kernel (see new_slots). */
static bool mapped(size_t n) { return n * sizeof(uint64_t) >= HUGE_PAGE; }

/*
 * A zeroed slot array.  A big one comes straight from the system, whose
 * fresh pages are zero already, on huge pages where it has them: every add
 * touches one random slot, and with small pages most adds would also miss
 * the TLB.
 */
static uint64_t *new_slots(size_t n)
{
	if (!mapped(n))
		return xcalloc(n, sizeof(uint64_t));
	return platform_zeroed_pages(n * sizeof(uint64_t));
}

/* Frees a slot array made by new_slots. */
static void free_slots(uint64_t *slots, size_t n)
{
	if (!mapped(n))
		free(slots);
	else
		platform_free_pages(slots, n * sizeof(uint64_t));
}

/* A zeroed code slot array, from the system when big, as new_slots. */
static struct keyset_code_slot *new_codes(size_t n)
{
	if (n * sizeof(struct keyset_code_slot) < HUGE_PAGE)
		return xcalloc(n, sizeof(struct keyset_code_slot));
	return platform_zeroed_pages(n * sizeof(struct keyset_code_slot));
}

static void free_codes(struct keyset_code_slot *codes, size_t n)
{
	if (n * sizeof(struct keyset_code_slot) < HUGE_PAGE)
		free(codes);
	else
		platform_free_pages(codes, n * sizeof(struct keyset_code_slot));
}

static uint64_t code_of(const struct keyset_code_slot *s) { return s->code_lo | (uint64_t)s->code_hi << 32; }

/* The slot a code's hash starts at: the table need not be a power of two, so that it can fit the file. */
static size_t code_start(uint64_t hash, size_t n) { return (size_t)(((hash >> 32) * (uint64_t)n) >> 32); }

/* Finds the slot holding code in a code slot array of n, or the empty one where it would go. */
static struct keyset_code_slot *find_code(struct keyset_code_slot *codes, size_t n, uint64_t code, uint64_t hash)
{
	for (size_t i = code_start(hash, n);; i = i + 1 == n ? 0 : i + 1) {
		uint64_t c = code_of(&codes[i]);
		if (c == code || !c)
			return &codes[i];
	}
}

/* True if n code slots hold the set's coded keys and more others with at most 85% of them in use. */
static bool codes_take(const struct keyset *ks, size_t more, size_t n) { return (ks->coded + more) * 20 <= n * 17; }

/*
 * Resizes the code slot array to n slots (fewer than 2^32), placing every
 * code again; false when the budget cannot give the new array.
 */
static bool resize_codes(struct keyset *ks, size_t n)
{
	if (n > UINT32_MAX)
		die(EXIT_TROUBLE, "too many unique keys to remember");
	if (!budget_take(ks->budget, n * sizeof *ks->codes)) {
		ks->needed = ks->bytes + n * sizeof *ks->codes;
		return false;
	}
	struct keyset_code_slot *codes = new_codes(n);
	for (size_t i = 0; i < ks->ncodes; i++) {
		uint64_t c = code_of(&ks->codes[i]);
		if (c)
			*find_code(codes, n, c, keyset_hash(NULL, 0, c)) = ks->codes[i];
	}
	free_codes(ks->codes, ks->ncodes);
	budget_give(ks->budget, ks->ncodes * sizeof *ks->codes);
	ks->bytes += (n - ks->ncodes) * sizeof *ks->codes;
	ks->codes = codes;
	ks->ncodes = n;
	return true;
}

/* The number of a shape, numbering it when it is new and there is room; 0 when it has none. */
static uint64_t shape_number(struct keyset *ks, const unsigned char *shape, size_t len)
{
	if (len == ks->last_shape_len && ks->last_shape_id && bytes_equal(shape, ks->last_shape, len))
		return ks->last_shape_id;
	if (!ks->shapes) {
		ks->shapes = xmalloc(sizeof *ks->shapes);
		strmap_init(ks->shapes);
	}
	uint64_t id;
	if (!strmap_get(ks->shapes, shape, len, &id)) {
		/* at most: the slots again (or the first 16 of 32 bytes), and the shape's bytes */
		size_t before = strmap_bytes(ks->shapes), most = before + 16 * 32 + len;
		if (ks->shapes_closed || strmap_count(ks->shapes) + 1 >= SHAPES_MAX || !budget_take(ks->budget, most)) {
			ks->shapes_closed = true; /* never numbered: its keys are kept whole, now and later */
			return 0;
		}
		id = strmap_count(ks->shapes) + 1;
		strmap_put(ks->shapes, shape, len, id, NULL);
		size_t grown = strmap_bytes(ks->shapes) - before;
		budget_give(ks->budget, most - grown);
		ks->bytes += grown;
	}
	memcpy(ks->last_shape, shape, len);
	ks->last_shape_len = len;
	ks->last_shape_id = id;
	return id;
}

/* Where two keys of len bytes first differ, eight bytes at a time; len if nowhere. */
static size_t common_prefix(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			break;
	}
	while (i < len && a[i] == b[i])
		i++;
	return i;
}

/* The word w with 0x80 in each byte that is an ASCII digit, and 0 in the others. */
static inline uint64_t digit_bytes(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80;
	uint64_t low = w & ~highs; /* adding to bytes below 0x80 carries into no other byte */
	uint64_t from_0 = low + ones * (0x80 - '0'), past_9 = low + ones * (0x80 - '9' - 1);
	return from_0 & ~past_9 & ~w & highs;
}

/*
 * Copies the key into copy and puts its shape into shape (each digit made
 * '0'), its digits into *digits and their count into *ndigits; false past
 * CODE_DIGITS.
 */
static bool key_shape(const unsigned char *p, size_t len, unsigned char *copy, unsigned char *shape, uint64_t *digits,
		      unsigned *ndigits)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t value = 0;
	unsigned count = 0;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) { /* eight bytes at a time: the digits are found by mask */
		uint64_t w, m;
		memcpy(&w, p + i, 8);
		memcpy(copy + i, &w, 8);
		m = digit_bytes(w); /* each byte on its own: the same on either byte order */
		uint64_t whole = (m >> 7) * 0xFF, zeroed = (w & ~whole) | (ones * '0' & whole);
		memcpy(shape + i, &zeroed, 8);
		w = bytes_from_lowest(w);
		for (m = bytes_from_lowest(m); m; m &= m - 1, count++) /* bit 8k+7 marks byte k a digit */
			value = value * 10 + (w >> (__builtin_ctzll(m) - 7) & 0x0F);
		if (count > CODE_DIGITS)
			return false;
	}
	for (; i < len; i++) {
		copy[i] = p[i];
		if (p[i] >= '0' && p[i] <= '9') {
			if (++count > CODE_DIGITS)
				return false;
			value = value * 10 + (uint64_t)(p[i] - '0');
			shape[i] = '0';
		} else {
			shape[i] = p[i];
		}
	}
	*digits = value;
	*ndigits = count;
	return true;
}

/* 10^k for k up to CODE_DIGITS. */
static const uint64_t pow10_u64[CODE_DIGITS + 1] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
	10000000000ULL, 100000000000ULL, 1000000000000ULL,
};

/* A key's digits, ndigits of them read in its order, in the order its code reads them (keyset.rotation). */
static uint64_t code_digits(unsigned rotation, uint64_t digits, unsigned ndigits)
{
	if (!rotation || rotation >= ndigits)
		return digits;
	return digits % pow10_u64[rotation] * pow10_u64[ndigits - rotation] + digits / pow10_u64[rotation];
}

/* The weight in a code of the last of a key's ndigits digits. */
static uint64_t last_digit_weight(unsigned rotation, unsigned ndigits)
{
	return !rotation || rotation >= ndigits ? 1 : pow10_u64[ndigits - rotation];
}

/* Notes in the memo its code's digits, from its digits in the key's order. */
static void memo_code_digits(struct keyset *ks)
{
	ks->memo_code = code_digits(ks->rotation, ks->memo_digits, ks->memo_ndigits);
	ks->memo_scale = last_digit_weight(ks->rotation, ks->memo_ndigits);
}

/*
 * The code is worked out from the last key's: keys that follow each other
 * (a station's days) differ in their last bytes, and the bytes before the
 * first that differs have the last key's shape and digits (the last key's
 * digits without as many as its shape has zeros from there on).  Only the
 * bytes from there on are read, one by one, and the shape is looked up only
 * when it changed; a key that differs in more than its last eight bytes is
 * read whole, eight bytes at a time.
 */
uint64_t keyset_code_read(struct keyset *ks, const void *key, size_t len)
{
	const unsigned char *p = key;
	if (len > KEYSET_SHAPE_MAX)
		return 0;
	uint64_t id = ks->memo_id, digits;
	unsigned ndigits;
	bool follows = id && len == ks->memo_len;  /* the memo holds a key of the same length */
	size_t from = follows ? common_prefix(p, ks->memo_key, len) : 0;
	if (follows && from == len)
		return id << CODE_SHIFT | ks->memo_code;
	ks->memo_id = 0; /* until the key is read in full */
	if (!follows || len - from > 8) {
		if (!key_shape(p, len, ks->memo_key, ks->memo_shape, &digits, &ndigits))
			return 0;
		if (!follows || !bytes_equal(ks->memo_shape, ks->last_shape, len)) /* last_shape: the memo's until now */
			id = shape_number(ks, ks->memo_shape, len);
	} else {
		unsigned dropped = 0;  /* the last key's digits from there on */
		for (size_t i = from; i < len; i++)
			dropped += ks->memo_shape[i] == '0';
		ndigits = ks->memo_ndigits - dropped;
		digits = ks->memo_digits / pow10_u64[dropped];
		bool same_shape = true;
		for (size_t i = from; i < len; i++) {
			unsigned char c = p[i], shaped = c;
			if (c >= '0' && c <= '9') {
				if (++ndigits > CODE_DIGITS)
					return 0;
				digits = digits * 10 + (uint64_t)(c - '0');
				shaped = '0';
			}
			same_shape = same_shape && shaped == ks->memo_shape[i];
			ks->memo_key[i] = c;
			ks->memo_shape[i] = shaped;
		}
		if (!same_shape)
			id = shape_number(ks, ks->memo_shape, len);
	}
	ks->memo_len = len;
	ks->memo_id = id;
	ks->memo_digits = digits;
	ks->memo_ndigits = ndigits;
	memo_code_digits(ks);
	return id ? id << CODE_SHIFT | ks->memo_code : 0;
}

/*
 * Resizes the slot array to n slots, placing every key again from its stored
 * bytes; false when the budget cannot give the new array.
 */
static bool resize(struct keyset *ks, size_t n)
{
	if (!budget_take(ks->budget, n * sizeof(uint64_t))) {
		ks->needed = ks->bytes + n * sizeof(uint64_t);
		return false;
	}
	uint64_t *slots = new_slots(n);
	for (size_t i = 0; i < ks->nslots; i++) {
		if (!ks->slots[i])
			continue;
		size_t len;
		const unsigned char *key = record(ks, ks->slots[i], &len, NULL);
		size_t j = strmap_hash(key, len) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = ks->slots[i];
	}
	free_slots(ks->slots, ks->nslots);
	budget_give(ks->budget, ks->nslots * sizeof(uint64_t));
	ks->bytes += (n - ks->nslots) * sizeof(uint64_t);
	ks->slots = slots;
	ks->nslots = n;
	return true;
}

/* Stores a key and its value in the arena; returns its reference, or 0 when the budget is spent. */
static uint64_t store(struct keyset *ks, const void *key, size_t len, uint64_t value)
{
	size_t need = len + 20;
	if (!ks->nblocks || ks->used + need > ks->last_size) {
		size_t size = need > BLOCK ? need : BLOCK;
		if (ks->nblocks >= 0xFFFF)
			die(EXIT_TROUBLE, "too many unique keys to remember");
		if (!budget_take(ks->budget, size)) {
			ks->needed = ks->bytes + size;
			return 0;
		}
		ks->bytes += size;
		ks->blocks = xrealloc(ks->blocks, (ks->nblocks + 1) * sizeof *ks->blocks);
		ks->blocks[ks->nblocks++] = xmalloc(size);
		ks->used = 0;
		ks->last_size = size;
	}
	unsigned char *p = ks->blocks[ks->nblocks - 1] + ks->used;
	uint64_t ref = ((uint64_t)(ks->nblocks - 1) << 32) | ks->used;
	size_t n = varint_put(p, len);
	memcpy(p + n, key, len);
	n += len;
	n += varint_put(p + n, value);
	ks->used += n;
	return ref + 1;
}

void keyset_reserve(struct keyset *ks, size_t n)
{
	if (!ks->run_ended) {
		ks->reserved = n;
		return;
	}
	if (ks->coded >= ks->count) { /* the keys so far have codes: the rest will, mostly */
		size_t slots = n / 4 * 5 + 1024;
		if (slots > ks->ncodes)
			resize_codes(ks, slots); /* short of budget: the set grows as keys come instead */
		return;
	}
	size_t slots = 1024;
	while (slots * 3 < 4 * n)
		slots *= 2;
	if (slots > ks->nslots)
		resize(ks, slots); /* short of budget: the set grows as keys come instead */
}

uint64_t keyset_hash_whole(const void *key, size_t len) { return strmap_hash(key, len); }

void keyset_prefetch_slot(const struct keyset *ks, uint64_t code, uint64_t hash)
{
	if (code && ks->ncodes)
		__builtin_prefetch(&ks->codes[code_start(hash, ks->ncodes)], 1);
	else if (!code && ks->nslots)
		__builtin_prefetch(&ks->slots[hash & (ks->nslots - 1)], 1);
}

static enum keyset_added add_whole(struct keyset *ks, const void *key, size_t len, uint64_t hash,
				   uint64_t value, uint64_t *existing);

/*
 * Adds a key by its code.  A value past 32 bits does not fit a code's slot:
 * such a key is kept whole, and from then on a code not found is looked for
 * whole as well.
 */
static enum keyset_added add_code(struct keyset *ks, const void *key, size_t len, uint64_t code, uint64_t hash,
				  uint64_t value, uint64_t *existing)
{
	if (!codes_take(ks, 1, ks->ncodes) && !resize_codes(ks, ks->ncodes ? ks->ncodes * 2 : 1024))
		return KEYSET_FULL;
	struct keyset_code_slot *s = find_code(ks->codes, ks->ncodes, code, hash);
	if (code_of(s)) {
		if (existing)
			*existing = s->value;
		return KEYSET_SEEN;
	}
	if (value > UINT32_MAX || ks->wide_values) {
		enum keyset_added added = add_whole(ks, key, len, strmap_hash(key, len), value, existing);
		ks->wide_values = ks->wide_values || added == KEYSET_NEW;
		return added;
	}
	*s = (struct keyset_code_slot){(uint32_t)code, (uint32_t)(code >> 32), (uint32_t)value};
	ks->coded++;
	return KEYSET_NEW;
}

/* varint_put for a difference in the run, which is mostly one byte, written without a call. */
static inline size_t run_varint(unsigned char *p, uint64_t v)
{
	if (v >= 0x80)
		return varint_put(p, v);
	*p = (unsigned char)v;
	return 1;
}

/* The marks' room for n marks, which doubles: the least power of two not below n. */
static size_t marks_cap(size_t n)
{
	size_t cap = n ? 1 : 0;
	while (cap < n)
		cap *= 2;
	return cap;
}

/*
 * Adds a key to the run, as the differences of its code and value from the
 * last key's, with a mark every KEYSET_RUN_STEP keys; false when the budget
 * cannot give the memory.
 */
bool keyset_run_add(struct keyset *ks, uint64_t code, uint64_t value)
{
	if (ks->run_count % KEYSET_RUN_STEP == 0) {
		size_t had = marks_cap(ks->nmarks), cap = marks_cap(ks->nmarks + 1);
		if (cap > had) {
			if (!budget_take(ks->budget, (cap - had) * sizeof *ks->marks)) {
				ks->needed = ks->bytes + (cap - had) * sizeof *ks->marks;
				return false;
			}
			ks->bytes += (cap - had) * sizeof *ks->marks;
			ks->marks = xrealloc(ks->marks, cap * sizeof *ks->marks);
		}
		ks->marks[ks->nmarks++] = (struct keyset_run_mark){ks->run_code, ks->run_value, ks->run_bytes};
	}
	if (ks->run_bytes + 20 > ks->run_cap) {
		size_t cap = ks->run_cap ? ks->run_cap * 2 : 4096;
		if (!budget_take(ks->budget, cap - ks->run_cap)) {
			ks->needed = ks->bytes + cap - ks->run_cap;
			return false;
		}
		ks->bytes += cap - ks->run_cap;
		ks->run = xrealloc(ks->run, cap);
		ks->run_cap = cap;
	}
	ks->run_bytes += run_varint(ks->run + ks->run_bytes, code - ks->run_code);
	ks->run_bytes += run_varint(ks->run + ks->run_bytes, value - ks->run_value);
	ks->run_code = code;
	ks->run_value = value;
	ks->run_count++;
	return true;
}

/* Reads the run's key at *at, from the one before's code and value in *code and *value, and moves *at past it. */
static inline void run_next(const struct keyset *ks, size_t *at, uint64_t *code, uint64_t *value)
{
	uint64_t dc, dv;
	*at += varint_get(ks->run + *at, &dc);
	*at += varint_get(ks->run + *at, &dv);
	*code += dc, *value += dv;
}

/* Looks for a code in the run: the last mark at or below it, then the keys after it; false if absent. */
static bool run_find(const struct keyset *ks, uint64_t code, uint64_t *existing)
{
	if (!ks->run_count || code > ks->run_code)
		return false;
	size_t lo = 0, hi = ks->nmarks; /* the marks whose key's code is at most code: [0, lo) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, at = ks->marks[mid].at;
		uint64_t delta;
		varint_get(ks->run + at, &delta);
		if (ks->marks[mid].code + delta <= code)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	const struct keyset_run_mark *m = &ks->marks[lo - 1];
	uint64_t c = m->code, v = m->value;
	for (size_t at = m->at, i = 0; i < KEYSET_RUN_STEP && at < ks->run_bytes; i++) {
		run_next(ks, &at, &c, &v);
		if (c >= code) {
			if (c == code && existing)
				*existing = v;
			return c == code;
		}
	}
	return false;
}

/*
 * Moves the run's keys into the code slots and gives its memory back, so
 * that a later key is looked for in the slots alone; leaves it as it is when
 * the slots cannot take it (a value past 32 bits, or the budget).
 */
static void move_run(struct keyset *ks)
{
	if (ks->run_value > UINT32_MAX || ks->wide_values)
		return;
	size_t n = ks->ncodes ? ks->ncodes : 1024;
	while (!codes_take(ks, ks->run_count, n))
		n *= 2;
	if (n > ks->ncodes && !resize_codes(ks, n))
		return;
	uint64_t c = 0, v = 0;
	for (size_t at = 0; at < ks->run_bytes;) {
		run_next(ks, &at, &c, &v);
		*find_code(ks->codes, ks->ncodes, c, keyset_hash(NULL, 0, c)) =
			(struct keyset_code_slot){(uint32_t)c, (uint32_t)(c >> 32), (uint32_t)v};
	}
	ks->coded += ks->run_count;
	uint64_t freed = ks->run_cap + marks_cap(ks->nmarks) * sizeof *ks->marks;
	budget_give(ks->budget, freed);
	ks->bytes -= freed;
	free(ks->run);
	free(ks->marks);
	ks->run = NULL, ks->marks = NULL;
	ks->run_bytes = ks->run_cap = ks->run_count = ks->nmarks = 0;
	ks->run_code = ks->run_value = 0;
}

/*
 * Ends the run: the keys from now on go to the slots, which get the room
 * reserved for them.  A run that ended within its first KEYSET_RUN_MOVE keys
 * (a file sorted by day, then station, whose run is its first day's
 * stations) goes into the slots too, where looking a key up takes a probe,
 * not a search of the run and up to KEYSET_RUN_STEP differences read one by
 * one; a longer one stays, in its two bytes a key.
 */
static void end_run(struct keyset *ks)
{
	ks->run_ended = true;
	if (ks->reserved > ks->run_count)
		keyset_reserve(ks, ks->reserved - ks->run_count);
	if (ks->run_count && ks->run_count <= KEYSET_RUN_MOVE)
		move_run(ks);
}

/* A code of a key of ndigits digits read in order, with its last rotation digits read first instead. */
static uint64_t code_rotated(uint64_t code, unsigned ndigits, unsigned rotation)
{
	return code >> CODE_SHIFT << CODE_SHIFT | code_digits(rotation, code & ((1ULL << CODE_SHIFT) - 1), ndigits);
}

/*
 * True if, with the last rotation digits of each key read first, the run's
 * keys, all of shape id with ndigits digits, would still rise, and the code
 * next (of that shape, read in order) would follow the last of them.
 */
static bool run_rises_rotated(const struct keyset *ks, uint64_t id, unsigned ndigits, unsigned rotation, uint64_t next)
{
	uint64_t c = 0, v = 0, last = 0;
	for (size_t at = 0, i = 0; at < ks->run_bytes; i++) {
		run_next(ks, &at, &c, &v);
		uint64_t now = code_rotated(c, ndigits, rotation);
		if (c >> CODE_SHIFT != id || (i && now <= last))
			return false;
		last = now;
	}
	return code_rotated(next, ndigits, rotation) > last;
}

/*
 * Writes the run again with each key's last rotation digits read first (all
 * of ndigits digits, as run_rises_rotated found them rising), its marks where
 * they were in keys; false, the run as it was, when the budget cannot give
 * the room it grows to.
 */
static bool rotate_run(struct keyset *ks, unsigned ndigits, unsigned rotation)
{
	unsigned char scratch[20];
	uint64_t c = 0, v = 0, was_c = 0, was_v = 0;
	size_t need = 20; /* (room for one more key, as keyset_run_add keeps) */
	for (size_t at = 0; at < ks->run_bytes;) { /* first the room it takes */
		run_next(ks, &at, &c, &v);
		uint64_t now = code_rotated(c, ndigits, rotation);
		need += run_varint(scratch, now - was_c) + run_varint(scratch, v - was_v);
		was_c = now, was_v = v;
	}
	size_t cap = ks->run_cap;
	while (cap < need)
		cap *= 2;
	if (!budget_take(ks->budget, cap))
		return false;
	unsigned char *run = xmalloc(cap);
	size_t out = 0;
	uint64_t rc = 0, rv = 0;
	c = 0, v = 0;
	for (size_t at = 0, i = 0; at < ks->run_bytes; i++) {
		run_next(ks, &at, &c, &v);
		uint64_t now = code_rotated(c, ndigits, rotation);
		if (i % KEYSET_RUN_STEP == 0)
			ks->marks[i / KEYSET_RUN_STEP] = (struct keyset_run_mark){rc, rv, out};
		out += run_varint(run + out, now - rc);
		out += run_varint(run + out, v - rv);
		rc = now, rv = v;
	}
	free(ks->run);
	budget_give(ks->budget, ks->run_cap);
	ks->bytes += cap - ks->run_cap;
	ks->run = run;
	ks->run_cap = cap;
	ks->run_bytes = out;
	ks->run_code = rc;
	return true;
}

/*
 * When the run first ends, short (a file listed day by day, keyed by
 * station and date: its first day's stations), tries reading each key's
 * last digits first from now on, as many as keep the run and the key next
 * (of code *code, value value) rising: the most of them that do, from all
 * but one digit down to two (a key's last two digits stay side by side, for
 * keyset_code_follow).  The run's keys and the next must be of one shape.
 * True when it reads them so: the run is written again, the memo's code
 * and *code are in the new order, and the key joins the run.  Decided once:
 * a run it keeps going has a rotation, and one it does not ends.
 */
static bool choose_rotation(struct keyset *ks, uint64_t *code, uint64_t value)
{
	if (ks->rotation || !*code || !ks->run_count || ks->run_count > KEYSET_RUN_MOVE || value < ks->run_value)
		return false;
	uint64_t id = *code >> CODE_SHIFT;
	if (id != ks->memo_id) /* (the memo is the next key's shape: its digits) */
		return false;
	unsigned ndigits = ks->memo_ndigits;
	for (unsigned rotation = ndigits - 1; rotation >= 2 && rotation < ndigits; rotation--) {
		if (!run_rises_rotated(ks, id, ndigits, rotation, *code))
			continue;
		if (!rotate_run(ks, ndigits, rotation))
			return false;
		ks->rotation = rotation;
		memo_code_digits(ks);
		*code = code_rotated(*code, ndigits, rotation);
		return true;
	}
	return false;
}

enum keyset_added keyset_add_past_run(struct keyset *ks, const void *key, size_t len, uint64_t *code_of_key,
				      uint64_t hash, uint64_t value, uint64_t *existing)
{
	if (!ks->run_ended && choose_rotation(ks, code_of_key, value))
		return keyset_run_add(ks, *code_of_key, value) ? KEYSET_NEW : KEYSET_FULL;
	uint64_t code = *code_of_key;
	if (!ks->run_ended)
		end_run(ks);
	if (!hash)
		hash = keyset_hash(key, len, code);
	if (code && run_find(ks, code, existing))
		return KEYSET_SEEN;
	if (code)
		return add_code(ks, key, len, code, hash, value, existing);
	return add_whole(ks, key, len, hash, value, existing);
}

/* Adds a key kept whole, in the arena, found through the 8-byte slots. */
static enum keyset_added add_whole(struct keyset *ks, const void *key, size_t len, uint64_t hash,
				   uint64_t value, uint64_t *existing)
{
	/* at most three quarters full: 8-byte slots keep a probe run within a cache line or two */
	if ((ks->count + 1) * 4 > ks->nslots * 3 && !resize(ks, ks->nslots ? ks->nslots * 2 : 1024))
		return KEYSET_FULL;
	uint64_t tag = tag_of(hash);
	size_t mask = ks->nslots - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		uint64_t s = ks->slots[i];
		if (!s) {
			uint64_t ref = store(ks, key, len, value);
			if (!ref)
				return KEYSET_FULL;
			ks->slots[i] = tag | ref;
			ks->count++;
			return KEYSET_NEW;
		}
		if ((s & ~REF_MASK) != tag)
			continue;
		size_t klen;
		uint64_t v;
		const unsigned char *k = record(ks, s, &klen, &v);
		if (klen == len && (len == 0 || memcmp(k, key, len) == 0)) {
			if (existing)
				*existing = v;
			return KEYSET_SEEN;
		}
	}
}
