/*
 * test.h — the smallest test harness: each check prints "PASS name" or
 * "FAIL name: detail"; tests/run counts the lines.  main returns
 * test_status().
 */
#ifndef QY_TEST_H
#define QY_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures;

#define CHECK(name, cond, ...)                                                 \
	do {                                                                   \
		if (cond) {                                                    \
			printf("PASS %s\n", name);                             \
		} else {                                                       \
			test_failures++;                                       \
			printf("FAIL %s: ", name);                             \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

#define CHECK_STR(name, got, want)                                             \
	CHECK(name, strcmp((got), (want)) == 0, "got '%s', want '%s'", (got), (want))

static inline int test_status(void) { return test_failures ? 1 : 0; }

#endif
