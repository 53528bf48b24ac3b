/* arena.c — a bump allocator over a list of blocks, each 64 KiB or one piece's size. */
#include "arena.h"
#include "util.h"

#include <stdlib.h>

#define BLOCK_SIZE ((size_t)64 << 10)

struct arena_block {
	struct arena_block *next;
	size_t size;
	alignas(max_align_t) unsigned char data[];
};

void *arena_alloc_block(struct arena *a, size_t n)
{
	size_t size = n > BLOCK_SIZE ? n : BLOCK_SIZE;
	struct arena_block *b;
	if (size == BLOCK_SIZE && a->spare) {
		b = a->spare;
		a->spare = b->next;
	} else {
		b = xmalloc(sizeof *b + size);
		b->size = size;
	}
	b->next = a->blocks;
	a->blocks = b;
	a->held += size;
	a->free = b->data + n;
	a->end = b->data + size;
	a->used += n;
	return b->data;
}

/* Frees a list of blocks. */
static void free_blocks(struct arena_block *b)
{
	for (struct arena_block *next; b; b = next) {
		next = b->next;
		free(b);
	}
}

void arena_free(struct arena *a)
{
	arena_empty(a);
	free_blocks(a->spare);
	a->spare = NULL;
}

void arena_empty(struct arena *a)
{
	for (struct arena_block *b = a->blocks, *next; b; b = next) {
		next = b->next;
		if (b->size == BLOCK_SIZE) {
			b->next = a->spare;
			a->spare = b;
		} else {
			free(b);
		}
	}
	a->blocks = NULL;
	a->free = a->end = NULL;
	a->used = a->held = 0;
}
