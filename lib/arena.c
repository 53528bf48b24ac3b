/* arena.c — a bump allocator over a list of blocks, each 64 KiB or one piece's size. */
#include "arena.h"
#include "util.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE ((size_t)64 << 10)

struct arena_block {
	struct arena_block *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	size_t align = alignof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	struct arena_block *b = a->blocks;
	if (!b || b->size - b->used < n) {
		size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;
		b = xmalloc(sizeof *b + size);
		b->size = size;
		b->used = 0;
		b->next = a->blocks;
		a->blocks = b;
		a->held += size;
	}
	void *p = b->data + b->used;
	b->used += n;
	a->used += n;
	return p;
}

void *arena_copy(struct arena *a, const void *p, size_t n)
{
	void *q = arena_alloc(a, n ? n : 1);
	if (n)
		memcpy(q, p, n);
	return q;
}

void arena_free(struct arena *a)
{
	for (struct arena_block *b = a->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->blocks = NULL;
	a->used = a->held = 0;
}
