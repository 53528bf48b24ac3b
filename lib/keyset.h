/*
 * keyset.h — a set of byte-string keys with a 64-bit value each, for the
 * unique-key check: millions of keys in little memory.  A key with few
 * digits (a station code and a date) is kept as a code of 8 bytes: the
 * number of its shape (the key with every digit made 0, each shape kept
 * once) above its digits read as one decimal number.  The code gives the key
 * back exactly, so codes are compared, never guessed at; a slot holds the
 * code and a 32-bit value, 12 bytes, at most 85% of them in use.
 * Any other key has an 8-byte slot (a 16-bit hash tag and where the key
 * lives), at most three quarters of them in use, and is stored once, with
 * its value, in 1 MiB blocks that never move.
 * The keys of a file sorted by its key come with rising codes: as long as
 * they do, from the first key on, they need no slots at all.  They are kept
 * as a run, each code and value as its difference from the one before (about
 * two bytes a key), with a mark every KEYSET_RUN_STEP keys to search it by;
 * no key can repeat in it, and a key that comes later is looked for there
 * as well as in the slots (a run that ends short goes to the slots).  When
 * the run first ends short, the set may read a key's last digits first from
 * then on, if the run would go on so (a file listed day by day, keyed by
 * station and date: the date's digits first).  Owns its memory, which it
 * takes from a budget when it has one.
 */
#ifndef QY_KEYSET_H
#define QY_KEYSET_H

#include "budget.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keyset_code_slot;
struct keyset_run_mark;
struct strmap;

#define KEYSET_SHAPE_MAX 64       /* bytes of a key that may have a code */
#define KEYSET_RUN_STEP 64        /* keys of the run between two marks */
#define KEYSET_RUN_MOVE 65536     /* keys of a run short enough to go to the slots when it ends */
#define KEYSET_CODE_SHIFT 40      /* a code is its shape's number above this many bits of digits */

struct keyset {
	struct keyset_code_slot *codes;  /* the keys kept as codes (0: empty) */
	size_t ncodes, coded;     /* slots, keys in them */
	struct strmap *shapes;    /* a coded key's shape → its number */
	bool shapes_closed;       /* no more shapes: the rest of the keys are kept whole */
	bool wide_values;         /* some coded key is kept whole, for a value past 32 bits */
	unsigned char last_shape[KEYSET_SHAPE_MAX];  /* the shape found last, and its number */
	size_t last_shape_len;
	uint64_t last_shape_id;
	/* the key keyset_code read last (if memo_id is not 0): its bytes, their shape, its digits */
	unsigned char memo_key[KEYSET_SHAPE_MAX], memo_shape[KEYSET_SHAPE_MAX];
	size_t memo_len;
	uint64_t memo_digits;
	unsigned memo_ndigits;
	uint64_t memo_id;         /* the number of its shape, or 0 */
	uint64_t memo_code;       /* its digits in the order its code reads them (rotation) */
	uint64_t memo_scale;      /* the weight in that order of its last digit (its tens' is ten times it) */
	unsigned rotation;        /* a code reads a key's last this many digits first, where it has more (0: in order;
				     chosen, for good, the first time the run ends) */
	uint64_t *slots;
	size_t nslots, count;
	unsigned char *run;       /* the run: codes and values rising, as differences */
	size_t run_bytes, run_cap, run_count;
	struct keyset_run_mark *marks;  /* every KEYSET_RUN_STEP keys of the run: where it stood */
	size_t nmarks;
	uint64_t run_code, run_value;   /* the run's last key */
	bool run_ended;           /* a key came that could not join it: the rest go to the slots */
	size_t reserved;          /* keys keyset_reserve made room for while the run lasted */
	unsigned char **blocks;
	size_t nblocks, used;     /* bytes used in the last block */
	size_t last_size;         /* size of the last block */
	struct budget *budget;    /* where its memory comes from, or NULL (set after keyset_init) */
	uint64_t bytes;           /* the memory it holds */
	uint64_t needed;          /* after KEYSET_FULL: what it would have held */
};

/* What keyset_add_hashed did. */
enum keyset_added { KEYSET_NEW, KEYSET_SEEN, KEYSET_FULL };

void keyset_init(struct keyset *ks);
void keyset_free(struct keyset *ks);

/*
 * Makes room for n keys at once, so that a big file does not rehash as it
 * grows; not when the budget cannot give that room.  While the keys form a
 * run, the room is made only when it ends, for the keys still to come.
 */
void keyset_reserve(struct keyset *ks, size_t n);

/* keyset_code for a key that is not the last one's with other last two digits: the general way. */
uint64_t keyset_code_read(struct keyset *ks, const void *key, size_t len);

/*
 * The code of a key of the shape keyset_code read last, from code, the
 * code of a key that differed from it only in its last two digits, was
 * (as a number from 0 to 99): those two digits are now now.
 */
static inline uint64_t keyset_code_follow(const struct keyset *ks, uint64_t code, unsigned was, unsigned now)
{
	return code - was * ks->memo_scale + now * ks->memo_scale;
}

/*
 * The code of a key that has one (see above), or 0; a key's first code
 * gives its shape a number, so the same key always has the same code.
 * The usual key of a sorted file, a station's next day in the same month,
 * is decided inline: when only its last two bytes differ from the last
 * key's and they are digits in both, the code is the last one's with those
 * two digits replaced (keyset_code_follow).
 */
static inline uint64_t keyset_code(struct keyset *ks, const void *key, size_t len)
{
	const unsigned char *p = key;
	if (ks->memo_id && len == ks->memo_len && len >= 2) {
		unsigned tens = (unsigned)p[len - 2] - '0', ones = (unsigned)p[len - 1] - '0';
		unsigned char *last = ks->memo_key + len - 2;
		if (tens < 10 && ones < 10 && ks->memo_shape[len - 2] == '0' && ks->memo_shape[len - 1] == '0' &&
		    bytes_equal(p, ks->memo_key, len - 2)) {
			unsigned was = (unsigned)(last[0] - '0') * 10 + (unsigned)(last[1] - '0'), now = tens * 10 + ones;
			ks->memo_digits = ks->memo_digits - was + now;
			ks->memo_code = keyset_code_follow(ks, ks->memo_code, was, now);
			last[0] = p[len - 2], last[1] = p[len - 1];
			return ks->memo_id << KEYSET_CODE_SHIFT | ks->memo_code;
		}
	}
	return keyset_code_read(ks, key, len);
}

/* The hash of a key kept whole (its code is 0). */
uint64_t keyset_hash_whole(const void *key, size_t len);

/*
 * The hash of a key and its code, which keyset_prefetch and keyset_add_hashed
 * take.  Inline: every record's key is hashed, and most have a code.
 */
static inline uint64_t keyset_hash(const void *key, size_t len, uint64_t code)
{
	if (!code)
		return keyset_hash_whole(key, len);
	code *= 0x9E3779B97F4A7C15ULL; /* as strmap's mix: every bit of the code reaches the high half */
	code ^= code >> 29;
	code *= 0xbf58476d1ce4e5b9ULL;
	return code ^ code >> 32;
}

/* keyset_prefetch for a set that has slots. */
void keyset_prefetch_slot(const struct keyset *ks, uint64_t code, uint64_t hash);

/*
 * Asks the processor to fetch the slot a key's hash starts at, so that an add
 * made a little later finds it in cache: the table is too big to stay there.
 * Returns the key's keyset_hash, or 0 when the set has no slots yet: the keys
 * of a sorted file go to the run, and need neither hash nor fetch (the test is
 * inline, the fetch, keyset_prefetch_slot, is not).
 */
static inline uint64_t keyset_prefetch(const struct keyset *ks, const void *key, size_t len, uint64_t code)
{
	if (!ks->ncodes && !ks->nslots)
		return 0;
	uint64_t hash = keyset_hash(key, len, code);
	keyset_prefetch_slot(ks, code, hash);
	return hash;
}

/*
 * Adds a code that follows the run's last where keyset_add_hashed does not
 * write it inline: at a mark, with a difference past one byte, or when the
 * run's room must grow; false when the budget cannot give the memory.
 */
bool keyset_run_add(struct keyset *ks, uint64_t code, uint64_t value);

/* keyset_add_hashed for any key but one that joins the run. */
enum keyset_added keyset_add_past_run(struct keyset *ks, const void *key, size_t len, uint64_t *code,
				      uint64_t hash, uint64_t value, uint64_t *existing);

/*
 * Adds key, whose keyset_code is *code, with value: KEYSET_NEW.  When the
 * set comes to read keys' digits in another order (see above), *code
 * becomes the key's code in the new one.  hash is its
 * keyset_hash, or 0 to have it worked out if it is needed (a real hash of 0
 * is worked out again as 0).  When the key is there already, leaves the set
 * as it was and sets *existing to the value stored with the key: KEYSET_SEEN.
 * When the budget cannot give the memory the key needs, leaves the set as it
 * was and sets needed: KEYSET_FULL.  Inline: a key of a sorted file joins the
 * run, without the rest's frame, and the usual one, a code and a value a
 * little past the last key's and not the first after a mark, without a call.
 */
static inline enum keyset_added keyset_add_hashed(struct keyset *ks, const void *key, size_t len, uint64_t *code_of_key,
						  uint64_t hash, uint64_t value, uint64_t *existing)
{
	uint64_t code = *code_of_key;
	if (!ks->run_ended && code && (!ks->run_count || (code > ks->run_code && value >= ks->run_value))) {
		uint64_t dc = code - ks->run_code, dv = value - ks->run_value;
		if (ks->run_count % KEYSET_RUN_STEP && (dc | dv) < 0x80 && ks->run_bytes + 20 <= ks->run_cap) {
			ks->run[ks->run_bytes] = (unsigned char)dc; /* as keyset_run_add writes it: two one-byte varints */
			ks->run[ks->run_bytes + 1] = (unsigned char)dv;
			ks->run_bytes += 2;
			ks->run_code = code;
			ks->run_value = value;
			ks->run_count++;
			return KEYSET_NEW;
		}
		return keyset_run_add(ks, code, value) ? KEYSET_NEW : KEYSET_FULL;
	}
	return keyset_add_past_run(ks, key, len, code_of_key, hash, value, existing);
}

#endif
