/*
 * strmap_test — bytes_equal (util.h), which the map compares keys with, agrees with memcmp for every length to 24
 * and a difference at every byte, whatever follows the bytes compared, and a map finds each key it was given, of
 * every length, and none that differs from one in a single byte.
 */
#include "strmap.h"
#include "util.h"
#include "test.h"

#include <stdint.h>

int main(void)
{
	unsigned char a[24], b[24];
	int wrong = 0;
	for (size_t n = 0; n <= sizeof a; n++) {
		for (size_t i = 0; i < sizeof a; i++) /* past n the bytes differ: they must not count */
			a[i] = (unsigned char)('A' + i), b[i] = i < n ? a[i] : (unsigned char)'z';
		wrong += bytes_equal(a, b, n) != true;
		for (size_t at = 0; at < n; at++)
			for (int bit = 0; bit < 8; bit++) {
				b[at] ^= (unsigned char)(1u << bit);
				wrong += bytes_equal(a, b, n) != (memcmp(a, b, n) == 0);
				b[at] ^= (unsigned char)(1u << bit);
			}
	}
	CHECK("bytes_equal agrees with memcmp", wrong == 0, "%d comparisons wrong", wrong);

	struct strmap m;
	strmap_init(&m);
	char key[32];
	for (size_t n = 0; n < sizeof key; n++) {
		memset(key, 'k', n);
		strmap_put(&m, key, n, n + 100, NULL);
	}
	int missing = 0, extra = 0;
	for (size_t n = 0; n < sizeof key; n++) {
		uint64_t v = 0;
		memset(key, 'k', n);
		missing += !strmap_get(&m, key, n, &v) || v != n + 100;
		for (size_t at = 0; at < n; at++) {
			key[at] = 'j';
			extra += strmap_get(&m, key, n, NULL);
			key[at] = 'k';
		}
	}
	CHECK("every key of every length is found", missing == 0, "%d missing", missing);
	CHECK("a key a byte apart is not found", extra == 0, "%d found", extra);
	uint64_t first = 0;
	memset(key, 'k', 12);
	CHECK("a key put twice keeps its first value", !strmap_put(&m, key, 12, 7, &first) && first == 112,
	      "first %llu", (unsigned long long)first);
	strmap_free(&m);
	return test_status();
}
