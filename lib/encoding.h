/*
 * encoding.h — deciding which encoding a file is in, once, from a sample of
 * its first bytes (design.md §5): UTF-8 when the sample is valid UTF-8 and
 * reads as the text such files hold; GB18030 (what Chinese Excel saves) when
 * it decodes as GB18030 into plausible Chinese text; else UTF-8, whose bad
 * bytes the reader then reports.  Functions take byte ranges and allocate
 * nothing.
 */
#ifndef QY_ENCODING_H
#define QY_ENCODING_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes a decision looks at: the first 64 KiB, cut at the end of a line. */
#define ENCODING_SAMPLE (64 * 1024)

enum encoding_guess { GUESS_UTF8, GUESS_GB18030 };

/*
 * The length of the sample in s[0..n): all of it when whole (s is the entire
 * input) and it fits, else ENCODING_SAMPLE bytes cut back to just after their
 * last line break (uncut when there is none).
 */
size_t encoding_sample_len(const unsigned char *s, size_t n, bool whole);

/* Decides the encoding of a sample (BOMs are the caller's business). */
enum encoding_guess encoding_guess(const unsigned char *s, size_t n);

#endif
