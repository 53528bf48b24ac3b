/*
 * arena.h — memory for many small pieces that live and die together (the
 * rows a rule must keep until the file is read): allocated from large
 * blocks, never moved, freed all at once.  It counts what it holds, so a
 * caller can bound it.  A piece that fits the current block is handed out
 * inline (arena_alloc), as rows are kept a cell at a time.
 */
#ifndef QY_ARENA_H
#define QY_ARENA_H

#include "util.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct arena {
	struct arena_block *blocks;
	unsigned char *free, *end; /* the current block's room not yet handed out */
	size_t used;       /* bytes handed out, padding included */
	size_t held;       /* bytes of the blocks */
	struct arena_block *spare; /* blocks arena_empty kept, handed out again before new ones */
};

/* Starts a new block for n bytes (rounded) that the current one has no room for, and returns them. */
void *arena_alloc_block(struct arena *a, size_t n);

/* Returns n bytes aligned for any object; they stay where they are until arena_free. */
static inline void *arena_alloc(struct arena *a, size_t n)
{
	size_t align = alignof(max_align_t);
	n = (n + align - 1) & ~(align - 1);
	if (!a->free || (size_t)(a->end - a->free) < n)
		return arena_alloc_block(a, n);
	void *p = a->free;
	a->free += n;
	a->used += n;
	return p;
}

/* Copies n bytes into the arena and returns the copy. */
static inline void *arena_copy(struct arena *a, const void *p, size_t n)
{
	void *q = arena_alloc(a, n ? n : 1);
	if (n > 16)
		memcpy(q, p, n);
	else
		copy_short(q, p, n); /* a row's kept cells are mostly that short */
	return q;
}

/* Frees every block; the arena is empty and reusable. */
void arena_free(struct arena *a);

/*
 * Empties the arena, but keeps its blocks of the usual size for the pieces
 * to come (not counted in held): rows kept a month at a time, freed and
 * taken again every month, would make the heap shrink and grow each time.
 */
void arena_empty(struct arena *a);

#endif
