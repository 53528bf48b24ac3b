/*
 * arena_test — the arena hands out aligned pieces that keep their bytes, and
 * counts what it holds exactly as a --max-memory budget reads it: a piece
 * that fits the room left in a block goes there, one that does not starts a
 * new 64 KiB block (or a block of its own size when larger), and freeing
 * leaves an empty arena that serves again.  Emptying keeps the blocks of the
 * usual size, which the pieces after take before any new one.
 */
#include "arena.h"
#include "test.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define BLOCK ((size_t)64 << 10)
#define ALIGN alignof(max_align_t)

int main(void)
{
	struct arena a = {0};
	char *first = arena_copy(&a, "QY-AQ-0001", 10);
	CHECK("a copy keeps its bytes", memcmp(first, "QY-AQ-0001", 10) == 0, "got '%.10s'", first);
	CHECK("the first piece takes a block", a.held == BLOCK && a.used == ALIGN, "held %zu, used %zu", a.held, a.used);

	char *second = arena_alloc(&a, 1);
	CHECK("pieces are aligned, one after another", second == first + ALIGN && (uintptr_t)second % ALIGN == 0,
	      "first %p, second %p", (void *)first, (void *)second);
	char *empty = arena_copy(&a, NULL, 0);
	CHECK("an empty copy still takes a piece", empty == second + ALIGN && a.used == 3 * ALIGN, "used %zu", a.used);

	/* fill the block to its last byte: a piece that fits exactly stays in it */
	size_t left = BLOCK - a.used;
	char *last = arena_alloc(&a, left);
	CHECK("a piece that fits the room left exactly stays in the block", a.held == BLOCK && last == empty + ALIGN,
	      "held %zu", a.held);
	last[left - 1] = 'z';
	char *next = arena_alloc(&a, 1);
	CHECK("a full block: the next piece starts a new one", a.held == 2 * BLOCK && a.used == BLOCK + ALIGN,
	      "held %zu, used %zu", a.held, a.used);
	CHECK("the pieces before keep their bytes", first[0] == 'Q' && last[left - 1] == 'z', "changed");
	(void)next;

	/* a piece larger than a block takes a block of its own size, and the next goes to a new block */
	char *big = arena_alloc(&a, BLOCK + 1);
	size_t big_size = (BLOCK + 1 + ALIGN - 1) / ALIGN * ALIGN;
	CHECK("a piece larger than a block has its own", a.held == 2 * BLOCK + big_size, "held %zu", a.held);
	big[BLOCK] = 'b';
	arena_alloc(&a, 1);
	CHECK("after it, a new block", a.held == 3 * BLOCK + big_size && big[BLOCK] == 'b', "held %zu", a.held);

	/* a piece that does not fit what is left starts a block, though the room left is not nothing */
	arena_free(&a);
	CHECK("freed: nothing held", a.held == 0 && a.used == 0, "held %zu, used %zu", a.held, a.used);
	arena_alloc(&a, BLOCK - ALIGN);
	arena_alloc(&a, 2 * ALIGN);
	CHECK("a piece larger than the room left starts a block", a.held == 2 * BLOCK && a.used == BLOCK + ALIGN,
	      "held %zu, used %zu", a.held, a.used);
	arena_free(&a);
	char *again = arena_copy(&a, "441803", 6);
	CHECK("a freed arena serves again", a.held == BLOCK && memcmp(again, "441803", 6) == 0, "held %zu", a.held);
	arena_free(&a);

	/* emptied, it keeps its blocks of the usual size and hands them out again, a larger one not */
	char *one = arena_alloc(&a, BLOCK), *two = arena_alloc(&a, BLOCK);
	arena_alloc(&a, 2 * BLOCK);
	arena_empty(&a);
	CHECK("emptied: nothing held, nothing used", a.held == 0 && a.used == 0 && a.spare, "held %zu, used %zu",
	      a.held, a.used);
	char *reused = arena_alloc(&a, 10), *reused2 = arena_alloc(&a, BLOCK);
	CHECK("the kept blocks serve first", (reused == one || reused == two) && (reused2 == one || reused2 == two) &&
	      reused != reused2 && a.held == 2 * BLOCK && !a.spare, "held %zu", a.held);
	memset(reused2, 'x', BLOCK); /* (each the whole usual size: under ASan, a byte past it is an error) */
	arena_alloc(&a, 1);
	CHECK("past them, a new block", a.held == 3 * BLOCK, "held %zu", a.held);
	arena_empty(&a);
	arena_free(&a);
	CHECK("freed after emptied: nothing kept", a.held == 0 && !a.spare && !a.blocks, "held %zu", a.held);

	/* a copy of every length up to past the short ones keeps its bytes and writes none after them, read from
	   the end of an allocation of its own (under ASan, a byte read past it is an error) */
	size_t wrong = 0, first_wrong = 0;
	for (size_t n = 0; n <= 40; n++) {
		unsigned char *src = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++)
			src[i] = (unsigned char)(n * 31 + i * 7 + 1);
		unsigned char *room = arena_alloc(&a, 64);
		memset(room, 0xEE, 64);
		copy_short((char *)room, src, n > 16 ? 16 : n);
		bool ok = memcmp(room, src, n > 16 ? 16 : n) == 0 && room[n > 16 ? 16 : n] == 0xEE;
		unsigned char *copy = arena_copy(&a, src, n);
		ok = ok && memcmp(copy, src, n) == 0;
		if (!ok && !wrong++)
			first_wrong = n;
		free(src);
	}
	CHECK("copies of 0 to 40 bytes keep their bytes, and short ones write none after them", wrong == 0,
	      "%zu lengths wrong, the first %zu", wrong, first_wrong);
	arena_free(&a);
	return test_status();
}
