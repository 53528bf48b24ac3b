/*
 * gbdecode.h — GBK and GB18030 decoding and encoding by table, for systems whose iconv
 * cannot (Windows: lib/win/iconv.c).  The tables are written at build time
 * by mk/gbtables.c from glibc's iconv, so every build decodes the same way.
 */
#ifndef QY_GBDECODE_H
#define QY_GBDECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Two-byte cells: lead bytes 0x81-0xFE by trail bytes 0x40-0x7E and 0x80-0xFE. */
#define GB_TWO_BYTE_CELLS (126 * 190)

/* A run of four-byte sequences, by linear index, decoding to consecutive code points from cp (0: none). */
struct gb_run {
	uint32_t index, cp;
};

extern const uint32_t gb18030_two_byte[GB_TWO_BYTE_CELLS], gbk_two_byte[GB_TWO_BYTE_CELLS];
extern const struct gb_run gb18030_four_byte[];
extern const unsigned gb18030_four_byte_runs;

/*
 * Decodes the character at the start of s[0..n) in GBK (gbk true) or
 * GB18030: returns its length in bytes and sets *cp, or 0 when s ends inside
 * it, or -1 when s does not start with a character — the answers glibc's
 * iconv gives as success, EINVAL and EILSEQ.
 */
int gb_decode(const unsigned char *s, size_t n, bool gbk, uint32_t *cp);

/*
 * Encodes cp in GBK (gbk true) or GB18030 into out, as glibc's iconv does:
 * returns the length in bytes (1, 2 or 4), or -1 when the encoding has no
 * such character (GBK lacks many; GB18030 lacks only surrogates).  Not
 * thread-safe on its first call, which sorts the table it reads.
 */
int gb_encode(uint32_t cp, bool gbk, unsigned char out[4]);

#endif
