/* keyset.c — compact open addressing over an append-only key arena. */
#include "keyset.h"
#include "platform.h"
#include "strmap.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK (1u << 20)
#define HUGE_PAGE (2u << 20)
#define REF_MASK ((1ULL << 48) - 1)

void keyset_init(struct keyset *ks) { memset(ks, 0, sizeof *ks); }

static void free_slots(uint64_t *slots, size_t n);

void keyset_free(struct keyset *ks)
{
	struct budget *budget = ks->budget;
	for (size_t i = 0; i < ks->nblocks; i++)
		free(ks->blocks[i]);
	free(ks->blocks);
	free_slots(ks->slots, ks->nslots);
	budget_give(budget, ks->bytes);
	memset(ks, 0, sizeof *ks);
	ks->budget = budget;
}

/* Writes v as a varint (7 bits a byte); returns the bytes written. */
static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;
	do {
		p[n++] = (unsigned char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

static size_t get_varint(const unsigned char *p, uint64_t *v)
{
	size_t n = 0;
	int shift = 0;
	*v = 0;
	do {
		*v |= (uint64_t)(p[n] & 0x7F) << shift;
		shift += 7;
	} while (p[n++] & 0x80);
	return n;
}

/* The stored record a slot points at: its key and value. */
static const unsigned char *record(const struct keyset *ks, uint64_t slot, size_t *len, uint64_t *value)
{
	uint64_t ref = (slot & REF_MASK) - 1;
	const unsigned char *p = ks->blocks[ref >> 32] + (ref & 0xFFFFFFFFu);
	uint64_t l;
	p += get_varint(p, &l);
	*len = (size_t)l;
	if (value)
		get_varint(p + l, value);
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
	size_t n = put_varint(p, len);
	memcpy(p + n, key, len);
	n += len;
	n += put_varint(p + n, value);
	ks->used += n;
	return ref + 1;
}

void keyset_reserve(struct keyset *ks, size_t n)
{
	size_t slots = 1024;
	while (slots * 3 < 4 * n)
		slots *= 2;
	if (slots > ks->nslots)
		resize(ks, slots); /* short of budget: the set grows as keys come instead */
}

uint64_t keyset_hash(const void *key, size_t len) { return strmap_hash(key, len); }

void keyset_prefetch(const struct keyset *ks, uint64_t hash)
{
	if (ks->nslots)
		__builtin_prefetch(&ks->slots[hash & (ks->nslots - 1)], 1);
}

enum keyset_added keyset_add_hashed(struct keyset *ks, const void *key, size_t len, uint64_t hash,
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
