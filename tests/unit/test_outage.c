/* Unit tests for src/outage.c: lost connections grouped into outages. */
#include "outage.h"
#include "test.h"

#include <stdlib.h>

static struct outage out[4];

static void test_group(void)
{
    /* two clients lost 1 ms apart, back at 500 and 700 ms; a third lost at
     * 2 s, back at 2.1 s: two outages. Given out of order. */
    const uint64_t ms = 1000000ull;
    struct outage_event ev[] = {
        { 2000 * ms, 2100 * ms }, { 1001 * ms, 1700 * ms }, { 1000 * ms, 1500 * ms },
    };
    struct outage_rx rx[] = {
        { 1700 * ms, 1703 * ms },   /* worker 0's first message after all were back */
        { 1700 * ms, 1702 * ms },   /* worker 1's: the earlier one counts */
        { 1500 * ms, 1501 * ms },   /* a mark from another worker's moment: not after the end */
        { 2100 * ms, 2150 * ms },
    };
    size_t n = outage_group(ev, 3, rx, 4, out, 4);
    CHECK("two outages", n == 2);
    CHECK("first: from the first loss to the last back", out[0].start_ns == 1000 * ms && out[0].end_ns == 1700 * ms);
    CHECK("first: 2 clients, 2 reconnect times, 500 and 699 ms",
          out[0].clients == 2 && out[0].reconnect.count == 2 && out[0].reconnect.min_ns == 500 * ms &&
              out[0].reconnect.max_ns == 699 * ms);
    CHECK("first: flowing at the earliest message after the end", out[0].flowing_ns == 1702 * ms);
    CHECK("second: alone", out[1].start_ns == 2000 * ms && out[1].end_ns == 2100 * ms && out[1].clients == 1 &&
                               out[1].flowing_ns == 2150 * ms);
}

static void test_open(void)
{
    const uint64_t ms = 1000000ull;
    /* a client never back: the outage stays open and takes later losses */
    struct outage_event ev[] = { { 100 * ms, 0 }, { 200 * ms, 300 * ms }, { 900 * ms, 950 * ms } };
    size_t n = outage_group(ev, 3, NULL, 0, out, 4);
    CHECK("never back: one outage, open", n == 1 && out[0].end_ns == 0 && out[0].clients == 3 &&
                                              out[0].reconnect.count == 2 && out[0].flowing_ns == 0);
    struct outage_event touch[] = { { 100 * ms, 200 * ms }, { 200 * ms, 250 * ms } };
    n = outage_group(touch, 2, NULL, 0, out, 4);
    CHECK("a loss at the moment another is back: one outage", n == 1 && out[0].end_ns == 250 * ms);
    CHECK("no message after it: flowing 0", out[0].flowing_ns == 0);
    CHECK("no events: no outage", outage_group(touch, 0, NULL, 0, out, 4) == 0);
}

static void test_max(void)
{
    struct outage_event ev[6];
    for (int i = 0; i < 6; i++) ev[i] = (struct outage_event){ (uint64_t)(i + 1) * 1000, (uint64_t)(i + 1) * 1000 + 10 };
    size_t n = outage_group(ev, 6, NULL, 0, out, 4);
    CHECK("more than max: all counted, max filled", n == 6 && out[3].start_ns == 4000);
}

/* The owner rule: the first outage a flight overlaps. */
static void test_owner(void)
{
    const struct outage_window w[] = { { 200, 250 }, { 800, 0 } };   /* the second never ended */
    CHECK("owner: a gap around the first outage", outage_owner(w, 2, 190, 300) == 0);
    CHECK("owner: touching the start counts", outage_owner(w, 2, 100, 200) == 0);
    CHECK("owner: touching the end counts", outage_owner(w, 2, 250, 260) == 0);
    CHECK("owner: between the two, none", outage_owner(w, 2, 251, 799) == 2);
    CHECK("owner: an open outage owns everything after it", outage_owner(w, 2, 5000, UINT64_MAX) == 1);
    CHECK("owner: spanning both, the first", outage_owner(w, 2, 0, UINT64_MAX) == 0);
    CHECK("owner: no outages, none", outage_owner(w, 0, 0, UINT64_MAX) == 0);
    const struct outage_flight f[] = {
        { 190, 260, true },    /* a copy in flight across the first */
        { 500, 501, true },    /* a duplicate outside */
        { 210, 240, false },   /* redelivered to a subscriber down from 210 to 240 */
        { 900, 950, false },   /* one down in the open second */
        { 300, 400, false },   /* a down time in no outage (cannot happen; counts nowhere) */
    };
    struct outage_count c[2] = { { 0 } };
    uint64_t owned = outage_count_flights(w, 2, f, 5, c);
    CHECKF("flights: duplicates and redelivered by outage", owned == 1 && c[0].duplicates == 1 &&
           c[0].redelivered == 1 && c[1].duplicates == 0 && c[1].redelivered == 1 && c[0].lost == 0,
           "owned %llu dup %llu/%llu redelivered %llu/%llu", (unsigned long long)owned,
           (unsigned long long)c[0].duplicates, (unsigned long long)c[1].duplicates,
           (unsigned long long)c[0].redelivered, (unsigned long long)c[1].redelivered);
}

int main(void)
{
    test_group();
    test_open();
    test_max();
    test_owner();
    return test_failures ? 1 : 0;
}
