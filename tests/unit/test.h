/* Minimal unit-test harness: each CHECK prints "PASS name" or "FAIL name: why".
 * tests/run.sh counts those lines and prints the "N passed, N failed" summary. */
#ifndef MB_TEST_H
#define MB_TEST_H
#include <stdio.h>

extern int test_failures;

/* Record one named check; cond true means pass. Prints one line either way. */
#define CHECK(name, cond) do { \
        if (cond) { printf("PASS %s\n", (name)); } \
        else { printf("FAIL %s: %s (%s:%d)\n", (name), #cond, __FILE__, __LINE__); test_failures++; } \
    } while (0)

/* Like CHECK but prints a formatted reason on failure. */
#define CHECKF(name, cond, ...) do { \
        if (cond) { printf("PASS %s\n", (name)); } \
        else { printf("FAIL %s: ", (name)); printf(__VA_ARGS__); printf(" (%s:%d)\n", __FILE__, __LINE__); test_failures++; } \
    } while (0)

#endif
