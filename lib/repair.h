/*
 * repair.h — the safe repairs of a cell, as qy-fix makes them: what qy-check
 * flags and exactly one text mends.  Blanks around a value are trimmed,
 * full-width forms made half-width where a number, date or code belongs (or
 * where that finds a reference value), a credit code's letters made
 * capital, a date written 2025/6/1 or 2025年6月1日 made ISO, an alias or a
 * variant spelling of a reference value made canonical.  Each change names
 * the check whose finding it clears.  A number is never guessed and a value
 * that could be mended two ways is left alone.
 */
#ifndef QY_REPAIR_H
#define QY_REPAIR_H

#include "ruleset.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>

/* The repairs, each switchable; the file-level ones (transcode, titles) are qy-fix's own. */
enum repair {
	REPAIR_TRANSCODE, REPAIR_BLANKS, REPAIR_WIDTH, REPAIR_CASE, REPAIR_DATES, REPAIR_NAMES,
	REPAIR_TITLES, REPAIR_COUNT
};

/* The name of a repair on the command line ("blanks", "dates", …). */
const char *repair_name(enum repair r);

/* Looks a repair up by name (n bytes); false if there is none. */
bool repair_from_name(const char *name, size_t n, enum repair *r);

/* One change to a cell: the repair, the check whose finding it clears, the text before and after. */
struct repair_change {
	enum repair repair;
	enum check clears;
	const char *old, *new;   /* borrowed, valid during the callback */
	size_t old_len, new_len;
};

/*
 * Applies the repairs whose bits are set in mask ((1 << REPAIR_x) | …) to
 * the text s[0..n) of a cell of column c, in the order blanks, width, case,
 * dates, names; calls changed for each one that changes the text.  The
 * result is left in out (reset first).  Returns true if anything changed.
 */
bool repair_cell(const struct column *c, unsigned mask, const char *s, size_t n, struct buf *out,
		 void (*changed)(void *ctx, const struct repair_change *ch), void *ctx);

#endif
