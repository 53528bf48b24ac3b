/* strmap.c — open-addressing string map with keys in an arena. */
#include "strmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct strmap_slot {
	uint64_t hash;   /* 0 marks an empty slot */
	uint64_t value;
	size_t key_off;
	size_t key_len;
};

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof *m);
}

void strmap_free(struct strmap *m)
{
	free(m->slots);
	free(m->arena);
	memset(m, 0, sizeof *m);
}

size_t strmap_bytes(const struct strmap *m)
{
	return m->nslots * sizeof *m->slots + m->arena_len;
}

/* Mixes a 64-bit word well enough for table indexes (from splitmix64). */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/*
 * One multiply and shift per word, and mix() at the end: cheap for the short
 * keys of unique sets and groups, and every input bit reaches every output bit.
 */
uint64_t strmap_hash(const void *key, size_t len)
{
	uint64_t w, h = strmap_hash_bytes(0x9E3779B97F4A7C15ULL ^ len, key, len, &w); /* (len is in the seed) */
	h = mix(h ^ w);
	return h ? h : 1;
}

/* Finds the slot holding key, or the empty slot where it would go. */
static struct strmap_slot *find_slot(const struct strmap *m, uint64_t hash,
				     const void *key, size_t len)
{
	size_t mask = m->nslots - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct strmap_slot *s = &m->slots[i];
		if (s->hash == 0)
			return s;
		if (s->hash == hash && s->key_len == len && bytes_equal(m->arena + s->key_off, key, len))
			return s;
	}
}

/* Doubles the table when it is more than half full, rehashing from stored hashes. */
static void grow(struct strmap *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 16;
	struct strmap_slot *old = m->slots;
	size_t oldn = m->nslots;
	m->slots = xcalloc(n, sizeof *m->slots);
	m->nslots = n;
	for (size_t i = 0; i < oldn; i++) {
		if (!old[i].hash)
			continue;
		size_t j = old[i].hash & (n - 1);
		while (m->slots[j].hash)
			j = (j + 1) & (n - 1);
		m->slots[j] = old[i];
	}
	free(old);
}

bool strmap_get(const struct strmap *m, const void *key, size_t len, uint64_t *value)
{
	if (!m->nslots)
		return false;
	struct strmap_slot *s = find_slot(m, strmap_hash(key, len), key, len);
	if (!s->hash)
		return false;
	if (value)
		*value = s->value;
	return true;
}

uint64_t *strmap_upsert(struct strmap *m, const void *key, size_t len, bool *inserted)
{
	if (strmap_upsert_grows(m))
		grow(m);
	uint64_t hash = strmap_hash(key, len);
	struct strmap_slot *s = find_slot(m, hash, key, len);
	*inserted = s->hash == 0;
	if (!*inserted)
		return &s->value;
	if (m->arena_len + len > m->arena_cap) {
		size_t cap = m->arena_cap ? m->arena_cap : 4096;
		while (cap < m->arena_len + len)
			cap *= 2;
		m->arena = xrealloc(m->arena, cap);
		m->arena_cap = cap;
	}
	if (len)
		memcpy(m->arena + m->arena_len, key, len);
	s->hash = hash;
	s->value = 0;
	s->key_off = m->arena_len;
	s->key_len = len;
	m->arena_len += len;
	m->count++;
	return &s->value;
}

bool strmap_put(struct strmap *m, const void *key, size_t len, uint64_t value,
		uint64_t *existing)
{
	bool inserted;
	uint64_t *v = strmap_upsert(m, key, len, &inserted);
	if (inserted)
		*v = value;
	else if (existing)
		*existing = *v;
	return inserted;
}
