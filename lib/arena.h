/*
 * arena.h — memory for many small pieces that live and die together (the
 * rows a rule must keep until the file is read): allocated from large
 * blocks, never moved, freed all at once.  It counts what it holds, so a
 * caller can bound it.
 */
#ifndef QY_ARENA_H
#define QY_ARENA_H

#include <stddef.h>

struct arena {
	struct arena_block *blocks;
	size_t used;       /* bytes handed out, padding included */
	size_t held;       /* bytes of the blocks */
};

/* Returns n bytes aligned for any object; they stay where they are until arena_free. */
void *arena_alloc(struct arena *a, size_t n);

/* Copies n bytes into the arena and returns the copy. */
void *arena_copy(struct arena *a, const void *p, size_t n);

/* Frees every block; the arena is empty and reusable. */
void arena_free(struct arena *a);

#endif
