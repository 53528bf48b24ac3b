/*
 * jsonpos.h — finds where a JSON path ("columns[3].pattern") stands in JSON
 * text, so that rule-set errors found after parsing still point at a line and
 * column.  jansson keeps no positions for values, hence this small scanner.
 */
#ifndef QY_JSONPOS_H
#define QY_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Looks path up in text[0..len).  When at_key is true and the last step is an
 * object key, the key's position is given, else the value's.  Returns false
 * if the path is not found.  Lines and columns are 1-based; columns count
 * characters.
 */
bool jsonpos_find(const char *text, size_t len, const char *path, bool at_key,
		  int *line, int *col);

/* The 1-based line and column (in characters) of byte at of text. */
void jsonpos_of_offset(const char *text, size_t at, int *line, int *col);

#endif
