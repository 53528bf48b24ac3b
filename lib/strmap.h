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

/*
 * True if a[0..n) equals b[0..n), as memcmp would say.  Keys of 4 to 16 bytes
 * (codes, names, station numbers) are compared as two overlapping words each,
 * without a call.
 */
static inline bool strmap_bytes_equal(const void *a, const void *b, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a0, a1, b0, b1;
		memcpy(&a0, a, 8), memcpy(&b0, b, 8);
		memcpy(&a1, (const char *)a + n - 8, 8), memcpy(&b1, (const char *)b + n - 8, 8);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	if (n >= 4 && n < 8) {
		uint32_t a0, a1, b0, b1;
		memcpy(&a0, a, 4), memcpy(&b0, b, 4);
		memcpy(&a1, (const char *)a + n - 4, 4), memcpy(&b1, (const char *)b + n - 4, 4);
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;
	}
	return n == 0 || memcmp(a, b, n) == 0;
}

/* Returns the number of keys. */
static inline size_t strmap_count(const struct strmap *m) { return m->count; }

#endif
