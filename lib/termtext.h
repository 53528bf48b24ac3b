/*
 * termtext.h — text from files made safe to show on a terminal.  A cell, a
 * message or a file name may hold control characters (ESC starts the
 * sequences that move the cursor, recolour or retitle a terminal); the text
 * renderings write them visibly as \xNN instead, so what a reader sees is
 * what the file holds.  Used by every rendering meant for a terminal: the
 * text findings of qy-check and qy-report and the tables of qy-stat.
 */
#ifndef QY_TERMTEXT_H
#define QY_TERMTEXT_H

#include "util.h"

#include <stddef.h>

/*
 * Appends s[0..n) with every C0 control (tab and newline included), DEL,
 * C1 control (U+0080–U+009F) and byte that is not UTF-8 written as \xNN,
 * and every character that shows as nothing (U+200B–U+200F, U+2060, U+FEFF)
 * as \uXXXX.
 */
void termtext_add(struct buf *b, const char *s, size_t n);

/* The same for a NUL-terminated string. */
void termtext_adds(struct buf *b, const char *s);

#endif
