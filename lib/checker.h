/*
 * checker.h — private to check.c and checkrecord.c: the state of one check
 * of one file (struct checker), shared by the file driver that sets it up and
 * feeds it (check.c) and the checks of each record it is fed (checkrecord.c).
 * Not part of the library's interface; the checker and its in-order state are
 * owned by check_fd, which makes and frees them.
 */
#ifndef QY_CHECKER_H
#define QY_CHECKER_H

#include "check.h"
#include "budget.h"
#include "keyset.h"
#include "msgcat.h"
#include "rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMO_TEXT_MAX 23          /* bytes of a text whose answer a memo keeps beside the last one */
#define MEMO_TEXTS 1024           /* such texts a memo keeps, at most (in twice as many slots) */
#define MEMO_SLOTS_FIRST 64       /* a memo's slots at first: doubled while it is half full */

/* A short text a column answered a question about, and the answer (0 bytes long: an empty slot). */
struct memo_entry {
	int64_t answer;
	unsigned char len;
	char text[MEMO_TEXT_MAX];
};

/*
 * A column's last cell text, to answer a question about it (a reference
 * lookup, a pattern) again without asking: sorted files repeat the same
 * county and station row after row.  Beside it, the answers for the first
 * MEMO_TEXTS short texts asked about (none until a second text comes): a
 * file listed day by day goes through every station every day.
 */
struct text_memo {
	struct buf text;
	bool valid;
	struct memo_entry *seen;  /* by strmap_hash, nslots of them (a power of two), or NULL */
	size_t nseen, nslots;
};

/* An enum_slots entry shared by two values or more (or any, past 16 values): look the value up. */
#define ENUM_SLOT_SHARED 0xFF

/*
 * A column's memos: its last reference lookup and its last pattern match;
 * and, made with the header, its enumeration's values by slot (checkrecord.c's
 * enum_slot, by a multiplier that mostly gives each value a slot of its own):
 * 0 where none goes, i + 1 where only value i does, with their signatures
 * (enum_sig), which tell apart the values of up to 8 bytes.
 */
struct column_memo {
	struct text_memo ref_text, pattern_text;
	bool found, alias;
	size_t row;
	int pattern_rc;
	unsigned char enum_slots[64];
	uint64_t enum_sigs[16], enum_mul;
};

/* A record's key for one unique set: bytes at in a key text. */
struct record_key {
	size_t at, len;
	uint64_t code, hash;       /* its keyset_code and keyset_hash (0: not worked out, see keyset_prefetch) */
	bool complete;             /* false if a key cell is missing or blank */
};

/*
 * A cell of a unique key, made with the header: its header cell (UINT32_MAX:
 * none) and how its column's values compare (TYPE_STRING: as written).
 */
struct key_part {
	uint32_t file;
	enum coltype type;
};

/* The checks of a cell_plan after its type and range, one bit each. */
enum { CHECKS_LENGTH = 1, CHECKS_PATTERN = 2, CHECKS_ENUM = 4, CHECKS_REF = 8 };

/*
 * How check_plain_cell decides a column's usual cell (trimmed, half-width,
 * of its type, in range, passing its one other check) without the general
 * path: a plain decimal, a date, an integer (columns of these types with no
 * other check), or text with no other check, or with the one named (its
 * memo or county lookup, a length, an enumeration), or with several
 * (check_more then runs them); FAST_NONE for the columns it leaves to
 * check_cell (codes, the less common types, typed columns with more checks).
 */
enum cell_fast {
	FAST_NONE, FAST_NUMBER, FAST_DATE, FAST_INTEGER, FAST_TEXT, FAST_TEXT_LENGTH, FAST_TEXT_PATTERN,
	FAST_TEXT_ENUM, FAST_TEXT_REF, FAST_TEXT_COUNTY, FAST_TEXT_MORE
};

/*
 * What check_cell does to the cells of one header cell's column, made once
 * with the header: the column's facts the loop reads, side by side, in file
 * order (header cells of no column have none).
 */
struct cell_plan {
	const struct column *c;
	uint32_t file, col;        /* the header cell, its rule column */
	enum coltype type;
	enum vtype vtype;          /* of its values, as the written rules see them */
	bool required;
	bool folds;                /* coltype_folds_width: full-width forms are folded and reported */
	bool code_case;            /* a credit code or permit number, its case checked */
	bool more;                 /* has a range, length, pattern, enum or reference to check */
	unsigned char checks;      /* which of length, pattern, enum and reference: CHECKS_* bits */
	unsigned char fast;        /* enum cell_fast */
	double lo, hi;             /* its range, -inf and inf where it has none */
	struct date_month month;   /* a date column's month read last */
	struct value *value;       /* its column's state in the checker: &values[col], &text[col], &textlen[col] */
	const char **text;
	size_t *textlen;
};

/* The checks that must see the records in file order (unique keys, written rules), and the output. */
struct in_order {
	const struct ruleset *rs;
	const struct check_options *opt;
	struct diag_file *out;
	enum lang lang;
	const size_t *col_to_file;   /* set with the header */
	struct keyset *unique_sets;
	bool *dropped;               /* per unique set: dropped for want of memory (--max-memory) */
	struct budget budget;        /* what the unique sets and the rules' groups may hold */
	uint64_t *first;             /* per unique set: where the record's key was first seen, or 0 */
	struct record_key *keys;     /* per unique set, of the record being checked */
	struct key_part *key_parts;  /* the cells of each unique key but the whole-row one, in turn; set with the header */
	struct buf key_text;
	bool keys_kept;              /* key_text and keys hold the last record's keys, all complete, with codes */
	unsigned follow_misses, follow_wait; /* keys_follow's failures in a row, and the records to wait after them */
	struct buf key_fold;         /* a key cell made half-width */
	struct buf key_as_compared;  /* a key cell as its column's values compare */
	struct unique_texts {        /* per unique set, made with its first finding */
		struct buf rule, labels;
	} *unique_texts;
	struct buf key_values;       /* a repeated key's values, for its finding */
	struct buf said;             /* the expected of a repeated key's finding */
	struct rules_state *rules;
	bool groups_only;            /* a second reading for the rules' groups: the unique keys were checked */
	struct msgbuf msg;
};

struct checker {
	const struct ruleset *rs;
	const struct check_options *opt;
	struct diag_file *out;
	struct csvr *reader;
	struct book *book;         /* reading a workbook, or NULL */
	bool book_stop;            /* the workbook could not be read to its end */
	const char *book_trouble;  /* why, when it is not a workbook at all (static), or NULL */
	enum csvr_encoding requested;  /* as declared or given, or CSVR_AUTO */
	enum csvr_encoding encoding;   /* the one read, once the reader decided */
	bool encoding_known, encoding_detected;
	enum lang lang;
	size_t max_field;
	bool header_done;
	bool legacy_stop;
	const struct ruleset *fits;  /* the rule set the header fits instead: nothing more is checked */
	size_t header_cells;
	int *file_to_col;          /* rule column of each header cell, or -1 */
	size_t *col_to_file;       /* header cell of each rule column, or SIZE_MAX */
	struct in_order *order;
	struct column_memo *memos;   /* per column */
	struct expected_texts *expected_texts; /* per column */
	struct msgbuf msg;
	struct buf folded, expected;
	char **rule_ids;           /* per column and check: its findings' rule id, "column.code", made on the first; or NULL */
	uint64_t records;
	uint64_t rows;
	uint64_t file_size;        /* of a regular file, to size the unique sets; 0 if unknown */
	bool byte_event_pending;   /* a bad byte waits for its record to find its cell */
	struct csvr_event byte_event;
	struct msgbuf byte_event_message;
	const char *county;        /* of the record being checked (a reference-table cell), or NULL */
	bool county_looked_up;     /* the county column's reference lookup, done once a record */
	bool county_found, county_alias, county_width;  /* county_width: found in half-width */
	size_t county_row;
	char county_cell[32];      /* the county cell, as written, of the last record find_county read it in */
	size_t county_cell_len;    /* 0: none (empty, or too long to keep) */
	const char *county_of_cell;  /* the county that cell gave */
	const char *file_county;   /* the county of every record whose county is known so far, or NULL */
	bool counties_differ;      /* two records of the file are of different counties */
	struct value *values;      /* per column: the typed value of the current record (text and textlen follow it) */
	struct cell_plan *plan;    /* per header cell of a column, in file order; made with the header */
	size_t nplan;
	const char **text;         /* per column: its trimmed cell text */
	size_t *textlen;
	struct buf rowtext;        /* folded cell texts of the current record */
	bool rowtext_reserved;     /* rowtext has room for the whole record */
};

/* The bytes of a column's state for the current record: its value, text and text length. */
#define COLUMN_STATE_SIZE (sizeof(struct value) + sizeof(const char *) + sizeof(size_t))

/* What a column's findings of range, length and pattern give as expected, each made on its first. */
struct expected_texts {
	char *range, *at_least, *at_most, *pattern;
};

/* Emits a finding. */
void check_report(struct checker *k, const struct diag *d);

/* Emits a file-level diagnostic whose rule id is its code. */
void check_emit_file_level(struct checker *k, enum severity sev, const char *code,
			   const struct csvr_record *rec, uint64_t line, uint64_t row,
			   struct message message);

/* Emits a held byte event, pointing at the cell that holds the bytes when rec has it. */
void check_flush_byte_event(struct checker *k, const struct csvr_record *rec);

/* Reader callback: title rows, then the header, then data records. */
void check_on_record(void *ctx, const struct csvr_record *rec);

#endif
