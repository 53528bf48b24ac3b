/*
 * keyset.h — a set of byte-string keys with a 64-bit value each, for the
 * unique-key check: millions of keys in little memory.  A slot is 8 bytes (a
 * 16-bit hash tag and where the key lives), at most three quarters of them in
 * use; each key is stored once, with its value, in 1 MiB blocks that never
 * move.  Owns its memory.
 */
#ifndef QY_KEYSET_H
#define QY_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keyset {
	uint64_t *slots;
	size_t nslots, count;
	unsigned char **blocks;
	size_t nblocks, used;     /* bytes used in the last block */
	size_t last_size;         /* size of the last block */
};

void keyset_init(struct keyset *ks);
void keyset_free(struct keyset *ks);

/* Makes room for n keys at once, so that a big file does not rehash as it grows. */
void keyset_reserve(struct keyset *ks, size_t n);

/*
 * Adds key with value.  Returns true if it was new; otherwise leaves the set
 * as it was and sets *existing to the value stored with the key.
 */
bool keyset_add(struct keyset *ks, const void *key, size_t len, uint64_t value, uint64_t *existing);

#endif
