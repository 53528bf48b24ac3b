/*
 * strmap.h — a hash map from byte strings to 64-bit values, with the keys
 * copied into one arena owned by the map.  Open addressing, one probe sequence,
 * no per-key allocation: it backs enum sets, reference-table indexes, header
 * matching and the unique-key sets that must hold a million keys cheaply.
 */
#ifndef QY_STRMAP_H
#define QY_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct strmap_slot;

struct strmap {
	struct strmap_slot *slots;
	size_t nslots, count;
	char *arena;
	size_t arena_len, arena_cap;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m);

/* Hashes a byte string (exposed so callers can hash once and probe twice). */
uint64_t strmap_hash(const void *key, size_t len);

/* Mixes word w into the running hash h: strmap_hash's step, for hashes of several values. */
static inline uint64_t strmap_hash_in(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
	return h ^ h >> 29;
}

/*
 * Mixes key[0..len) into h eight bytes at a time (strmap_hash_in) and sets
 * *last to the bytes left, 0–7 of them, as one word, read without a
 * variable-length copy: the last eight bytes when len is 8 or more (they
 * overlap bytes mixed in), else two four-byte reads or three bytes.  The
 * caller mixes *last in, with len, which this does not.
 */
static inline uint64_t strmap_hash_bytes(uint64_t h, const void *key, size_t len, uint64_t *last)
{
	const unsigned char *p = key;
	size_t left = len;
	for (; left >= 8; p += 8, left -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = strmap_hash_in(h, w);
	}
	uint64_t w = 0;
	if (len >= 8) {
		memcpy(&w, p + left - 8, 8);
	} else if (left >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + left - 4, 4);
		w = lo | (uint64_t)hi << 32;
	} else if (left) {
		w = p[0] | (uint64_t)p[left / 2] << 8 | (uint64_t)p[left - 1] << 16;
	}
	*last = w;
	return h;
}

/* Looks key up; returns true and sets *value when present. */
bool strmap_get(const struct strmap *m, const void *key, size_t len, uint64_t *value);

/*
 * Inserts key with value unless present.  Returns true if inserted; when the
 * key was there already returns false and sets *existing to its value.
 */
bool strmap_put(struct strmap *m, const void *key, size_t len, uint64_t value,
		uint64_t *existing);

/*
 * Returns a pointer to key's value, inserting key with value 0 when absent
 * (*inserted says which).  The pointer is valid until the next insertion.
 */
uint64_t *strmap_upsert(struct strmap *m, const void *key, size_t len, bool *inserted);

/* The memory the map's slots and stored keys take, in bytes. */
size_t strmap_bytes(const struct strmap *m);

/* Returns the number of keys. */
static inline size_t strmap_count(const struct strmap *m) { return m->count; }

/* True if the next strmap_upsert, even of a key the map has, doubles its slots first (as it does past half full). */
static inline bool strmap_upsert_grows(const struct strmap *m) { return (m->count + 1) * 2 > m->nslots; }

#endif
