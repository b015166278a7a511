/* Unit tests for src/reconnect.c: the --reconnect backoff and its syntax. */
#include "reconnect.h"
#include "test.h"

#include <string.h>


static void test_parse(void)
{
    uint64_t lo = 7, hi = 7;
    char err[200] = "";
    CHECK("100ms..5s", reconnect_parse("100ms..5s", "reconnect", &lo, &hi, err, sizeof(err)) == 0 &&
                           lo == 100000000ull && hi == 5000000000ull);
    CHECK("one duration: a fixed wait", reconnect_parse("250ms", "reconnect", &lo, &hi, err, sizeof(err)) == 0 &&
                                            lo == 250000000ull && hi == 250000000ull);
    static const char *const bad[] = { "", "..", "1s..", "..1s", "0..1s", "1s..2x", "abc", "1s...2s" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "'%s' refused", bad[i]);
        lo = hi = 7;
        err[0] = '\0';
        CHECKF(name, reconnect_parse(bad[i], "reconnect", &lo, &hi, err, sizeof(err)) == -1 && lo == 7 && hi == 7 &&
                         !strncmp(err, "--reconnect: expected a backoff such as 100ms..5s", 49), "err '%s'", err);
    }
    err[0] = '\0';
    CHECKF("longest shorter than first: refused, says so",
           reconnect_parse("5s..1s", "reconnect", &lo, &hi, err, sizeof(err)) == -1 &&
               strstr(err, "the longest wait is shorter than the first"), "err '%s'", err);
}

static void test_delay(void)
{
    const uint64_t ms = 1000000ull;
    CHECK("attempt 0 waits MIN", reconnect_delay_ns(100 * ms, 5000 * ms, 0) == 100 * ms);
    CHECK("attempt 1 waits twice MIN", reconnect_delay_ns(100 * ms, 5000 * ms, 1) == 200 * ms);
    CHECK("attempt 5 waits 3.2 s", reconnect_delay_ns(100 * ms, 5000 * ms, 5) == 3200 * ms);
    CHECK("attempt 6 capped at MAX", reconnect_delay_ns(100 * ms, 5000 * ms, 6) == 5000 * ms);
    CHECK("attempt 1000 capped at MAX, no overflow", reconnect_delay_ns(100 * ms, 5000 * ms, 1000) == 5000 * ms);
    CHECK("fixed: MIN = MAX", reconnect_delay_ns(250 * ms, 250 * ms, 3) == 250 * ms);
}

int main(void)
{
    test_parse();
    test_delay();
    return test_failures ? 1 : 0;
}
