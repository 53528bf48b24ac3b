/*
 * keyset_test — a key is found again exactly, whether it is kept as a code or
 * whole: keys that differ in one digit, in a digit's place or in a byte that
 * is not a digit stay apart; values past 32 bits and shapes past the set's
 * limit are kept whole and still found; a budget that runs out says so.
 * Keys that come in rising order are kept as a run, without slots, and are
 * found again as exactly as the others, whatever comes after the run, and
 * so are those of a run that ended short and went to the slots.  Keys of
 * station and date listed day by day are read date first, and stay a run.
 */
#include "keyset.h"
#include "test.h"

#include <stdint.h>
#include <stdio.h>

/* Adds a text key with value; returns what the set did and, when seen, the value kept. */
static enum keyset_added add(struct keyset *ks, const char *key, uint64_t value, uint64_t *existing)
{
	size_t len = strlen(key);
	uint64_t code = keyset_code(ks, key, len);
	return keyset_add_hashed(ks, key, len, &code, keyset_prefetch(ks, key, len, code), value, existing);
}

/* A key of a shape of its own for each i below 8192: its bits as letters, then a digit. */
static void shape_key(char key[16], int i)
{
	for (int b = 0; b < 13; b++)
		key[b] = (i >> b) & 1 ? 'a' : 'b';
	key[13] = '7', key[14] = 0;
}

/*
 * Adds keys to a new set as a plain list of when each was first seen would:
 * the first rising keys rising (every fifth), the rest of the total drawn at
 * random among them and the keys between; true when the set agrees with the
 * list on every key, new or seen and with which value.  *left is the run's
 * length at the end.
 */
static bool agrees_with_list(int rising, int total, size_t *left)
{
	static uint64_t seen_at[KEYSET_RUN_MOVE * 5 + 5];
	int keys = rising * 5 > 20000 ? rising * 5 : 20000;
	memset(seen_at, 0, sizeof seen_at);
	struct keyset ks;
	keyset_init(&ks);
	uint64_t state = 12345, first;
	bool agree = true;
	char key[16];
	for (int i = 0; i < total; i++) {
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		int n = i < rising ? i * 5 : (int)((state >> 33) % (uint64_t)keys);
		snprintf(key, sizeof key, "K%06d", n);
		enum keyset_added got = add(&ks, key, (uint64_t)i + 1, &first);
		if (seen_at[n])
			agree = agree && got == KEYSET_SEEN && first == seen_at[n];
		else
			agree = agree && got == KEYSET_NEW, seen_at[n] = (uint64_t)i + 1;
	}
	*left = ks.run_count;
	keyset_free(&ks);
	return agree;
}

/*
 * Checks keyset_code against a byte-at-a-time reading on random keys of every
 * length to 64: digits, letters, separators and bytes past ASCII whose low
 * seven bits are digits, at every offset within the words read at once.  The
 * code's digits are the key's digits in order, its shape number is the one
 * the key's shape (each digit made '0') gets, and a key past twelve digits has
 * no code.  Returns the number of keys that disagree.
 */
static int random_codes_disagree(void)
{
	static const unsigned char alphabet[] = "0123456789-/|AZaz \xB0\xB9\xBA\xE4\x7F:";
	unsigned seed = 2021;
	int bad = 0;
	for (int round = 0; round < 40; round++) {
		struct keyset ks;
		keyset_init(&ks);
		for (int i = 0; i < 500; i++) {
			unsigned char key[64], shape[64];
			seed = seed * 1103515245u + 12345u;
			size_t len = (seed >> 8) % 65;
			uint64_t digits = 0;
			int ndigits = 0;
			for (size_t j = 0; j < len; j++) {
				seed = seed * 1103515245u + 12345u;
				/* mostly digits, so that many keys have a code */
				key[j] = (seed >> 12) % 3 ? (unsigned char)('0' + (seed >> 16) % 10)
							 : alphabet[(seed >> 16) % (sizeof alphabet - 1)];
				bool digit = key[j] >= '0' && key[j] <= '9';
				if (digit)
					digits = digits * 10 + (uint64_t)(key[j] - '0'), ndigits++;
				shape[j] = digit ? '0' : key[j];
			}
			uint64_t code = keyset_code(&ks, key, len), of_shape = keyset_code(&ks, shape, len);
			bool want_code = ndigits <= 12;
			if (want_code ? (code == 0 || (code & ((1ULL << 40) - 1)) != digits || code >> 40 != of_shape >> 40)
				      : code != 0)
				bad++;
		}
		keyset_free(&ks);
	}
	return bad;
}

/*
 * keyset_code works a key out from the one before it: over runs of keys that
 * each differ from the last in a few bytes (a digit, a digit made a letter
 * or a byte past ASCII, anywhere, mostly near the end; now and then a key of
 * another length or past twelve digits), its codes are those of a set that
 * forgets the last key before every call.  Returns the keys that disagree.
 */
static int following_codes_disagree(void)
{
	static const unsigned char alphabet[] = "0123456789-/|AZaz \xB0\xB9\xBA\xE4\x7F:";
	unsigned seed = 2025;
	int bad = 0;
	struct keyset ks, fresh;
	keyset_init(&ks);
	keyset_init(&fresh);
	unsigned char key[64];
	size_t len = 22;
	memcpy(key, "\nQY-AQ-0001\n2021-01-01", len);
	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned what = (seed >> 8) % 16;
		if (what == 0) { /* another length */
			len = 1 + (seed >> 12) % 40;
			for (size_t j = 0; j < len; j++)
				key[j] = (unsigned char)('0' + (j * 7 + seed) % 10);
		}
		for (unsigned changes = 1 + (seed >> 20) % 3; changes--;) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 10) % 4 ? len - 1 - (seed >> 14) % (len < 10 ? len : 10) : (seed >> 14) % len;
			key[at] = (seed >> 24) % 4 ? (unsigned char)('0' + (seed >> 16) % 10)
						   : alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		fresh.memo_id = 0;
		uint64_t code = keyset_code(&ks, key, len), want = keyset_code(&fresh, key, len);
		bad += code != want;
	}
	keyset_free(&ks);
	keyset_free(&fresh);
	return bad;
}

/*
 * A station's days, as a sorted file has them: the keys that differ from
 * the last only in their last two bytes (the day of the month) are worked
 * out from those, and the others (a new month, year or station, a key that
 * ends in a letter, or in a digit after a letter) are read again; every code
 * is that of a set that forgets the last key.  Returns the keys that disagree.
 */
static int station_days_disagree(void)
{
	static const char *const tails[] = {"01", "09", "10", "19", "28", "29", "30", "31", "0a", "a1", "a0", "99"};
	struct keyset ks, fresh;
	keyset_init(&ks);
	keyset_init(&fresh);
	int bad = 0;
	for (int station = 0; station < 3; station++)
		for (int month = 0; month < 14; month++)
			for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
				char key[64];
				int len = snprintf(key, sizeof key, "\nQY-AQ-%04d\n%04d-%02d-%s", station * 7 + 1,
						   2021 + month / 12, month % 12 + 1, tails[t]);
				fresh.memo_id = 0;
				bad += keyset_code(&ks, key, (size_t)len) != keyset_code(&fresh, key, (size_t)len);
			}
	keyset_free(&ks);
	keyset_free(&fresh);
	return bad;
}

/* The key of a station and a day n days after 2024-12-20 (across a year's and months' ends). */
static void station_day_key(char key[48], int station, int n)
{
	static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = 2024, m = 12, d = 20 + n;
	while (d > month_days[m - 1] + (m == 2 && y % 4 == 0)) {
		d -= month_days[m - 1] + (m == 2 && y % 4 == 0);
		if (++m > 12)
			m = 1, y++;
	}
	snprintf(key, 48, "QY-AQ-%04d|%04d-%02d-%02d", station, y, m, d);
}

/*
 * A report listed day by day, stations days: the run of the first day's
 * stations ends at the second day's first key, and from then on the set
 * reads a key's date before its station (its last eight digits first), so
 * that day after day the keys go on as one run.  Then more keys drawn at
 * random, stations and days among those listed and a few past them, some of
 * one station's days one after the other (a key worked out from the one
 * before).  True when the set agrees with a plain list of when each key was
 * first seen, on every key; *run is the run's length after the days listed,
 * *rotation the digits read first, *bad_codes the keys whose codes differ
 * from those of a set that reads each key anew with the same digits first.
 */
static bool by_day_agrees(int stations, int days, int more, size_t *run, unsigned *rotation, int *bad_codes)
{
	static uint64_t seen_at[310][260];
	memset(seen_at, 0, sizeof seen_at);
	struct keyset ks, fresh;
	keyset_init(&ks);
	keyset_init(&fresh);
	uint64_t first, state = 99, row = 0;
	bool agree = true;
	char key[48];
	*bad_codes = 0;
	for (int i = 0; i < stations * days + more; i++) {
		int station = i % stations + 1, n = i / stations;
		if (i >= stations * days) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			if ((state >> 60) % 4) /* one station's next day, or a random one */
				station = (int)((state >> 33) % (uint64_t)(stations + 3)) + 1,
				n = (int)((state >> 13) % (uint64_t)(days + 5));
			else
				n = (n + 1) % (days + 5);
		}
		if (i == stations * days)
			*run = ks.run_count, *rotation = ks.rotation;
		station_day_key(key, station, n);
		size_t len = strlen(key);
		enum keyset_added got = add(&ks, key, ++row, &first);
		uint64_t *at = &seen_at[station][n];
		if (*at)
			agree = agree && got == KEYSET_SEEN && first == *at;
		else
			agree = agree && got == KEYSET_NEW, *at = row;
		fresh.rotation = ks.rotation, fresh.memo_id = 0;
		*bad_codes += keyset_code(&ks, key, len) != keyset_code(&fresh, key, len);
	}
	keyset_free(&ks);
	keyset_free(&fresh);
	return agree;
}

int main(void)
{
	struct keyset ks;
	keyset_init(&ks);
	uint64_t first = 0;

	CHECK("code for a station and a date", keyset_code(&ks, "QY-AQ-0001|2021-01-01", 21) != 0, "no code");
	CHECK("no code past twelve digits", keyset_code(&ks, "1234567890123", 13) == 0, "a code");
	CHECK("same key, same code", keyset_code(&ks, "QY-AQ-0001|2021-01-01", 21) == keyset_code(&ks, "QY-AQ-0001|2021-01-01", 21),
	      "codes differ");
	int disagree = random_codes_disagree();
	CHECK("codes of random keys read as byte by byte", disagree == 0, "%d keys disagree", disagree);
	disagree = following_codes_disagree();
	CHECK("codes worked out from the key before", disagree == 0, "%d keys disagree", disagree);
	disagree = station_days_disagree();
	CHECK("a station's days worked out from the day before", disagree == 0, "%d keys disagree", disagree);
	CHECK("leading zeros count", keyset_code(&ks, "A01", 3) != keyset_code(&ks, "A1", 2), "same code");

	bool all_new = true;
	char key[64];
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof key, "QY-AQ-%04d|2021-%02d-%02d", i % 97, i / 97 % 12 + 1, i / 1164 + 1);
		all_new = all_new && add(&ks, key, (uint64_t)i + 2, NULL) == KEYSET_NEW;
	}
	CHECK("distinct coded keys are new", all_new, "one was seen");
	CHECK("a coded key seen again", add(&ks, "QY-AQ-0005|2021-01-01", 7, &first) == KEYSET_SEEN && first == 7,
	      "first %llu", (unsigned long long)first);
	CHECK("a letter apart", add(&ks, "QY-AQ-0005|2021-01-0I", 9, NULL) == KEYSET_NEW, "seen");
	CHECK("digits moved", add(&ks, "QY-AQ-00051|2021-01-0", 9, NULL) == KEYSET_NEW, "seen");
	CHECK("a long key kept whole", add(&ks, "QY-AQ-0005|2021-01-01|12345678901234", 11, NULL) == KEYSET_NEW, "seen");
	CHECK("a long key seen again", add(&ks, "QY-AQ-0005|2021-01-01|12345678901234", 12, &first) == KEYSET_SEEN &&
	      first == 11, "first %llu", (unsigned long long)first);

	uint64_t wide = (uint64_t)1 << 40;
	CHECK("a row past 32 bits", add(&ks, "QY-AQ-9999|2099-12-31", wide, NULL) == KEYSET_NEW, "seen");
	CHECK("its row kept whole", add(&ks, "QY-AQ-9999|2099-12-31", 5, &first) == KEYSET_SEEN && first == wide,
	      "first %llu", (unsigned long long)first);
	CHECK("coded keys found after", add(&ks, "QY-AQ-0006|2021-01-01", 5, &first) == KEYSET_SEEN && first == 8,
	      "first %llu", (unsigned long long)first);

	all_new = true;
	for (int i = 0; i < 5000; i++) { /* a shape each: past the limit, kept whole */
		shape_key(key, i);
		all_new = all_new && add(&ks, key, (uint64_t)i + 1, NULL) == KEYSET_NEW;
	}
	CHECK("many shapes are new", all_new, "one was seen");
	all_new = true;
	for (int i = 0; i < 5000; i++) {
		shape_key(key, i);
		all_new = all_new && add(&ks, key, 1, &first) == KEYSET_SEEN && first == (uint64_t)i + 1;
	}
	CHECK("many shapes seen again", all_new, "one was new or had another row");
	keyset_free(&ks);

	/* a run: station then day, rising; then every key again, keys between and keys after */
	keyset_init(&ks);
	all_new = true;
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof key, "QY-AQ-%04d|%07d", i / 1000, i % 1000 * 3);
		all_new = all_new && add(&ks, key, (uint64_t)i * 2 + 1, NULL) == KEYSET_NEW;
	}
	CHECK("rising keys make a run", all_new && ks.run_count == 100000 && !ks.ncodes && !ks.nslots,
	      "run of %zu, %zu code slots", ks.run_count, ks.ncodes);
	CHECK("a run takes about two bytes a key", ks.bytes < 100000 * 4, "%llu bytes", (unsigned long long)ks.bytes);
	bool found = true, apart = true;
	for (int i = 99999; i >= 0; i -= 7) { /* found from the end back, across the marks */
		snprintf(key, sizeof key, "QY-AQ-%04d|%07d", i / 1000, i % 1000 * 3);
		found = found && add(&ks, key, 1, &first) == KEYSET_SEEN && first == (uint64_t)i * 2 + 1;
		snprintf(key, sizeof key, "QY-AQ-%04d|%07d", i / 1000, i % 1000 * 3 + 1);
		apart = apart && add(&ks, key, 1, NULL) == KEYSET_NEW;
	}
	CHECK("every key of the run found again, with its value", found, "one was not");
	CHECK("keys between the run's are new", apart, "one was seen");
	CHECK("the first and the last", add(&ks, "QY-AQ-0000|0000000", 1, &first) == KEYSET_SEEN && first == 1 &&
	      add(&ks, "QY-AQ-0099|0002997", 1, &first) == KEYSET_SEEN && first == 199999, "first %llu", (unsigned long long)first);
	CHECK("keys after the run are kept in slots", add(&ks, "QY-AQ-0100|0000000", 3, NULL) == KEYSET_NEW &&
	      add(&ks, "QY-AQ-0100|0000000", 1, &first) == KEYSET_SEEN && first == 3 && ks.ncodes, "first %llu", (unsigned long long)first);
	keyset_free(&ks);

	/* against a plain list: a rising start, then keys in any order, some again; a start short enough
	   goes to the slots when the order breaks, a longer one stays a run */
	size_t left;
	bool kept;
	CHECK("a short run and slots agree with a plain list", agrees_with_list(3000, 20000, &left) && left == 0,
	      "run of %zu left", left);
	CHECK("a long run and slots agree with a plain list",
	      agrees_with_list(KEYSET_RUN_MOVE + 1, KEYSET_RUN_MOVE * 5, &left) && left == KEYSET_RUN_MOVE + 1,
	      "run of %zu left", left);

	/* listed day by day: the date read first keeps one run, past KEYSET_RUN_MOVE keys and its marks */
	unsigned rotation;
	int bad_codes;
	CHECK("listed by day: one run, the date read first, as a plain list",
	      by_day_agrees(300, 250, 20000, &left, &rotation, &bad_codes) && left == 300 * 250 && rotation == 8 &&
	      bad_codes == 0, "run of %zu, last %u digits first, %d codes differ", left, rotation, bad_codes);
	CHECK("a short run read by date first, then slots, as a plain list",
	      by_day_agrees(7, 40, 3000, &left, &rotation, &bad_codes) && left == 7 * 40 && rotation == 8 &&
	      bad_codes == 0, "run of %zu, last %u digits first, %d codes differ", left, rotation, bad_codes);
	keyset_init(&ks); /* a first day's stations out of order: no order keeps the run */
	kept = add(&ks, "QY-AQ-0002|2025-01-01", 1, NULL) == KEYSET_NEW &&
	       add(&ks, "QY-AQ-0001|2025-01-01", 2, NULL) == KEYSET_NEW &&
	       add(&ks, "QY-AQ-0002|2025-01-01", 3, &first) == KEYSET_SEEN && first == 1;
	CHECK("stations out of order: read in order, the keys in slots", kept && ks.rotation == 0 && ks.run_ended &&
	      ks.coded == 2, "last %u digits first, %zu coded", ks.rotation, ks.coded);
	keyset_free(&ks);

	/* rising keys whose value falls (rows handed over out of order) leave the run: no negative difference */
	keyset_init(&ks);
	kept = add(&ks, "K00001", 10, NULL) == KEYSET_NEW && add(&ks, "K00002", 20, NULL) == KEYSET_NEW &&
		    add(&ks, "K00003", 5, NULL) == KEYSET_NEW && add(&ks, "K00004", 30, NULL) == KEYSET_NEW;
	CHECK("a falling value ends the run, whose two keys go to the slots", kept && ks.run_count == 0 && ks.coded == 4,
	      "run of %zu, %zu coded", ks.run_count, ks.coded);
	bool values = true;
	const uint64_t want[] = {10, 20, 5, 30};
	for (int k = 0; k < 4; k++) {
		snprintf(key, sizeof key, "K%05d", k + 1);
		values = values && add(&ks, key, 99, &first) == KEYSET_SEEN && first == want[k];
	}
	CHECK("keys before and after a falling value keep their values", values, "key %s: %llu", key,
	      (unsigned long long)first);
	keyset_free(&ks);

	struct budget budget = {.limit = 64 * 1024};
	keyset_init(&ks);
	ks.budget = &budget;
	enum keyset_added added = KEYSET_NEW;
	int i = 0;
	for (; i < 100000 && added == KEYSET_NEW; i++) {
		snprintf(key, sizeof key, "S%d", i);
		added = add(&ks, key, (uint64_t)i + 1, NULL);
	}
	CHECK("a spent budget stops the set", added == KEYSET_FULL && ks.needed > budget.limit && budget.used <= budget.limit,
	      "added %d at %d, needed %llu", (int)added, i, (unsigned long long)ks.needed);
	keyset_free(&ks);
	CHECK("freeing gives the budget back", budget.used == 0, "used %llu", (unsigned long long)budget.used);
	return test_status();
}
