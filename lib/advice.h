/*
 * advice.h — the messages of cell findings that tell the clerk what to
 * write: the form a type or pattern asks for in words (with an example for
 * the known identifiers, and what is wrong with a credit code), the proper
 * case of a code, the ISO form of a date written otherwise or the day a
 * month does not have, the text a cell with blanks or full-width characters
 * should hold, what a value missing from a reference table may have meant,
 * and what a former name or code has become.  Each makes its message in msg
 * (msgcat.h) in the chosen language, with the args that render it in the
 * other, and returns it.
 */
#ifndef QY_ADVICE_H
#define QY_ADVICE_H

#include "diag.h"
#include "msgcat.h"
#include "ruleset.h"

#include <stdbool.h>
#include <stddef.h>

/* The suggestions a reference finding gives at most. */
#define ADVICE_SUGGESTIONS 3

/*
 * The message for a cell s[0..n) (trimmed, half-width) that is not of its
 * column's type; *expected is set to the expected form (static, or in
 * expected_buf when it is the cell rewritten, such as "2025-06-01").
 */
struct message advice_type(struct msgbuf *msg, enum lang lang, const struct column *c, const char *s, size_t n,
			   struct buf *expected_buf, const char **expected);

/* The message for a cell with blanks around it and/or full-width characters; fixed is what to write. */
struct message advice_whitespace(struct msgbuf *msg, enum lang lang, const struct column *c, bool blanks, bool width,
				 const char *fixed, size_t fixed_len);

/* The message for a cell that does not match its column's pattern: the form in words when the rule set gives it. */
struct message advice_pattern(struct msgbuf *msg, enum lang lang, const struct column *c);

/*
 * The message for a value not in the column's reference table, naming the
 * table in words and giving up to ADVICE_SUGGESTIONS values it may have meant.
 */
struct message advice_reference(struct msgbuf *msg, enum lang lang, const struct column *c, const char *s, size_t n);

/* The message for a former value of a reference table (a historic name, an old code): current is today's, ended when it changed. */
struct message advice_former(struct msgbuf *msg, enum lang lang, const struct column *c, const char *s, size_t n,
			     const char *current, const char *ended);

/* The message for a credit code or permit number written in the wrong case; fixed is the code in its proper case. */
struct message advice_case(struct msgbuf *msg, enum lang lang, const struct column *c, const char *fixed, size_t n);

#endif
