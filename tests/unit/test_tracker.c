/* Unit tests for tracker.c: per-publisher loss/duplicate/reorder accounting,
 * checked by hand on small streams and against a brute-force bitmap on large
 * random ones; the gap cap; tracker_set growth and bounds. */
#include "test.h"
#include "tracker.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Feed a list of seqs; returns the outcome of the last one. */
static enum tracker_outcome feed(struct tracker *t, const uint32_t *seqs, size_t n)
{
    enum tracker_outcome o = TRACKER_IN_ORDER;
    for (size_t i = 0; i < n; i++)
        o = tracker_record(t, seqs[i], 0);
    return o;
}

static void test_in_order(void)
{
    struct tracker t;
    int all_in_order = 1;

    tracker_init(&t);
    for (uint32_t s = 0; s < 1000; s++)
        if (tracker_record(&t, s, 0) != TRACKER_IN_ORDER)
            all_in_order = 0;
    CHECK("tracker in order: every outcome in order", all_in_order);
    CHECK("tracker in order: counters",
          tracker_received(&t) == 1000 && tracker_missing(&t) == 0 && t.duplicates == 0 &&
          t.out_of_order == 0 && t.forgotten == 0);
    CHECK("tracker in order: no allocation", t.gaps == NULL && t.cap == 0);
    CHECK("tracker in order: lost(1000) == 0", tracker_lost(&t, 1000) == 0);
    CHECK("tracker in order: lost(unknown) == 0", tracker_lost(&t, UINT64_MAX) == 0);
    CHECK("tracker in order: lost(1005) counts the tail", tracker_lost(&t, 1005) == 5);
    tracker_free(&t);

    tracker_init(&t);
    CHECK("tracker empty: lost(10) == 10", tracker_lost(&t, 10) == 10 && tracker_received(&t) == 0);
    tracker_free(&t);
}

static void test_gap_then_tail(void)
{
    struct tracker t;

    tracker_init(&t);
    for (uint32_t s = 0; s < 5; s++)
        tracker_record(&t, s, 0);
    CHECK("tracker gap: jump counts as in order", tracker_record(&t, 10, 0) == TRACKER_IN_ORDER);
    for (uint32_t s = 11; s < 20; s++)
        tracker_record(&t, s, 0);
    CHECK("tracker gap: received 15, missing 5",
          tracker_received(&t) == 15 && tracker_missing(&t) == 5 && t.out_of_order == 0 &&
          t.duplicates == 0);
    CHECK("tracker gap: one range [5,9]", t.count == 1 && t.gaps[t.first].lo == 5 && t.gaps[t.first].hi == 9);
    CHECK("tracker gap: lost(25) = gap + tail = 10", tracker_lost(&t, 25) == 10);
    CHECK("tracker gap: lost(unknown) = gap only = 5", tracker_lost(&t, UINT64_MAX) == 5);
    CHECK("tracker gap: lost(7) counts gaps below 7 only", tracker_lost(&t, 7) == 2);
    tracker_free(&t);
}

static void test_duplicates(void)
{
    static const uint32_t seqs[] = { 0, 1, 1, 2, 0, 2 };
    struct tracker t;

    tracker_init(&t);
    CHECK("tracker dup: last outcome duplicate",
          feed(&t, seqs, sizeof seqs / sizeof seqs[0]) == TRACKER_DUPLICATE);
    CHECK("tracker dup: received 3, duplicates 3",
          tracker_received(&t) == 3 && t.duplicates == 3 && t.out_of_order == 0 &&
          tracker_lost(&t, 3) == 0);
    tracker_free(&t);
}

static void test_reorder(void)
{
    static const uint32_t seqs[] = { 0, 2, 1, 3 };
    static const uint32_t seqs_dup[] = { 0, 2, 1, 1, 3, 2 };
    struct tracker t;

    tracker_init(&t);
    tracker_record(&t, 0, 0);
    tracker_record(&t, 2, 0);
    CHECK("tracker reorder: late seq is out of order", tracker_record(&t, 1, 0) == TRACKER_OUT_OF_ORDER);
    tracker_record(&t, 3, 0);
    CHECK("tracker reorder 0 2 1 3: out_of_order 1, lost 0, no dups",
          t.out_of_order == 1 && tracker_lost(&t, 4) == 0 && t.duplicates == 0 &&
          tracker_received(&t) == 4 && t.count == 0);
    tracker_free(&t);

    tracker_init(&t);
    feed(&t, seqs, sizeof seqs / sizeof seqs[0]);
    CHECK("tracker reorder via feed", t.out_of_order == 1 && tracker_missing(&t) == 0);
    tracker_free(&t);

    tracker_init(&t);
    feed(&t, seqs_dup, sizeof seqs_dup / sizeof seqs_dup[0]);
    CHECK("tracker dup of a reordered message: out_of_order 1, duplicates 2",
          t.out_of_order == 1 && t.duplicates == 2 && tracker_received(&t) == 4 &&
          tracker_lost(&t, 4) == 0);
    tracker_free(&t);

    /* Splitting: 0, 10, then 5 leaves [1,4] and [6,9]. */
    tracker_init(&t);
    tracker_record(&t, 0, 0);
    tracker_record(&t, 10, 0);
    tracker_record(&t, 5, 0);
    CHECK("tracker split: two ranges [1,4] [6,9]",
          t.count == 2 && t.gaps[t.first].lo == 1 && t.gaps[t.first].hi == 4 &&
          t.gaps[t.first + 1].lo == 6 && t.gaps[t.first + 1].hi == 9 && tracker_missing(&t) == 8);
    CHECK("tracker split: lost(5) counts [1,4] only", tracker_lost(&t, 5) == 4);
    static const uint32_t fill[] = { 9, 1, 4, 7, 2, 6, 3, 8 };
    feed(&t, fill, sizeof fill / sizeof fill[0]);
    CHECK("tracker split: all filled, no ranges left",
          t.count == 0 && tracker_missing(&t) == 0 && t.out_of_order == 9 && tracker_received(&t) == 11);
    CHECK("tracker split: refill is a duplicate", tracker_record(&t, 5, 0) == TRACKER_DUPLICATE);
    tracker_free(&t);
}

/* xorshift64*: deterministic, seeded per run. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

enum shuffle { SHUFFLE_FULL, SHUFFLE_LOCAL };

/* Send seqs 0..n-1, drop drop_pct %, duplicate dup_pct %, reorder, then check
 * every outcome and the final counts against a bitmap. Returns 1 if all match. */
static int random_run(uint64_t seed, uint32_t n, unsigned drop_pct, unsigned dup_pct,
                      enum shuffle mode, uint32_t window)
{
    uint64_t rng = seed;
    uint32_t *msgs = malloc((size_t)n * 2 * sizeof *msgs);
    uint8_t *seen = calloc(n, 1);
    size_t m = 0;
    int ok = 1;

    if (!msgs || !seen) {
        free(msgs);
        free(seen);
        return 0;
    }
    for (uint32_t s = 0; s < n; s++) {
        if (rng_next(&rng) % 100 < drop_pct)
            continue;
        msgs[m++] = s;
        if (rng_next(&rng) % 100 < dup_pct)
            msgs[m++] = s;
    }
    if (mode == SHUFFLE_FULL) {
        for (size_t i = m; i > 1; i--) {
            size_t j = rng_next(&rng) % i;
            uint32_t tmp = msgs[i - 1];
            msgs[i - 1] = msgs[j];
            msgs[j] = tmp;
        }
    } else {
        for (size_t i = 0; i + 1 < m; i++) {
            size_t j = i + rng_next(&rng) % window;
            if (j >= m)
                j = m - 1;
            uint32_t tmp = msgs[i];
            msgs[i] = msgs[j];
            msgs[j] = tmp;
        }
    }

    struct tracker t;
    uint64_t bf_next = 0, bf_received = 0, bf_dup = 0, bf_ooo = 0;
    size_t first_bad = SIZE_MAX;

    tracker_init(&t);
    for (size_t i = 0; i < m; i++) {
        uint32_t s = msgs[i];
        enum tracker_outcome want;
        if (seen[s]) {
            want = TRACKER_DUPLICATE;
            bf_dup++;
        } else if (s >= bf_next) {
            want = TRACKER_IN_ORDER;
            seen[s] = 1;
            bf_received++;
            bf_next = (uint64_t)s + 1;
        } else {
            want = TRACKER_OUT_OF_ORDER;
            seen[s] = 1;
            bf_received++;
            bf_ooo++;
        }
        if (tracker_record(&t, s, 0) != want && first_bad == SIZE_MAX)
            first_bad = i;
    }
    uint64_t bf_missing = 0;
    for (uint64_t s = 0; s < bf_next; s++)
        bf_missing += !seen[s];

    if (first_bad != SIZE_MAX) {
        printf("  seed %" PRIu64 ": first wrong outcome at message %zu (seq %" PRIu32 ")\n",
               seed, first_bad, msgs[first_bad]);
        ok = 0;
    }
    if (tracker_received(&t) != bf_received || t.duplicates != bf_dup || t.out_of_order != bf_ooo ||
        tracker_missing(&t) != bf_missing || tracker_lost(&t, n) != n - bf_received ||
        tracker_lost(&t, UINT64_MAX) != bf_missing || t.forgotten != 0 || t.next != bf_next) {
        printf("  seed %" PRIu64 ": received %" PRIu64 "/%" PRIu64 " dup %" PRIu64 "/%" PRIu64
               " ooo %" PRIu64 "/%" PRIu64 " missing %" PRIu64 "/%" PRIu64 " lost %" PRIu64 "/%" PRIu64
               " forgotten %" PRIu64 "\n",
               seed, tracker_received(&t), bf_received, t.duplicates, bf_dup, t.out_of_order, bf_ooo,
               tracker_missing(&t), bf_missing, tracker_lost(&t, n), n - bf_received, t.forgotten);
        ok = 0;
    }
    tracker_free(&t);
    free(msgs);
    free(seen);
    return ok;
}

static void test_random(void)
{
    int ok = 1;
    for (uint64_t seed = 1; seed <= 5; seed++)
        ok &= random_run(seed * UINT64_C(0x9E3779B97F4A7C15), 100000, 5, 3, SHUFFLE_FULL, 0);
    CHECK("tracker random permutation of 100k, 5% drops, 3% dups == bitmap", ok);

    ok = 1;
    for (uint64_t seed = 1; seed <= 5; seed++)
        ok &= random_run(seed * UINT64_C(0xD1B54A32D192ED03), 100000, 2, 2, SHUFFLE_LOCAL, 64);
    CHECK("tracker local reordering (window 64) of 100k, drops, dups == bitmap", ok);

    ok = random_run(42, 100000, 50, 50, SHUFFLE_FULL, 0) &&
         random_run(43, 100000, 0, 0, SHUFFLE_FULL, 0) &&
         random_run(44, 100000, 90, 0, SHUFFLE_LOCAL, 1000) &&
         random_run(45, 100000, 0, 0, SHUFFLE_LOCAL, 1);
    CHECK("tracker random: heavy loss, no loss, in order == bitmap", ok);
}

static void test_gap_cap(void)
{
    struct tracker t;
    const uint32_t extra = 10;

    /* 0, 2, 4, ...: every even seq opens a one-seq gap below it. */
    tracker_init(&t);
    for (uint32_t k = 0; k <= TRACKER_MAX_GAPS + extra; k++)
        tracker_record(&t, 2 * k, 0);
    CHECKF("tracker cap: ranges capped at TRACKER_MAX_GAPS", t.count == TRACKER_MAX_GAPS,
           "count %" PRIu32, t.count);
    CHECKF("tracker cap: oldest ranges forgotten", t.forgotten == extra && tracker_missing(&t) == TRACKER_MAX_GAPS,
           "forgotten %" PRIu64 " missing %" PRIu64, t.forgotten, tracker_missing(&t));
    CHECK("tracker cap: oldest live range is [21,21]", t.gaps[t.first].lo == 2 * extra + 1);
    CHECK("tracker cap: received still exact", tracker_received(&t) == TRACKER_MAX_GAPS + extra + 1);
    CHECK("tracker cap: array stays within 2x the cap", t.cap <= 2 * TRACKER_MAX_GAPS);

    uint64_t sent = t.next;
    uint64_t lost_before = tracker_lost(&t, sent);
    CHECK("tracker cap: lost(sent) exact before late arrivals", lost_before == TRACKER_MAX_GAPS + extra);
    CHECK("tracker cap: lost(unknown) = missing + forgotten",
          tracker_lost(&t, UINT64_MAX) == TRACKER_MAX_GAPS + extra);
    CHECK("tracker cap: seq from a forgotten range counts as duplicate",
          tracker_record(&t, 1, 0) == TRACKER_DUPLICATE && t.duplicates == 1);
    CHECK("tracker cap: forgotten imprecision: lost stays one too high",
          tracker_lost(&t, sent) == lost_before);
    CHECK("tracker cap: seq from the oldest live range is out of order",
          tracker_record(&t, 2 * extra + 1, 0) == TRACKER_OUT_OF_ORDER && t.out_of_order == 1 &&
          tracker_lost(&t, sent) == lost_before - 1);

    /* Steady state: keep opening ranges well past the cap. */
    for (uint32_t k = TRACKER_MAX_GAPS + extra + 1; k <= 4 * TRACKER_MAX_GAPS; k++)
        tracker_record(&t, 2 * k, 0);
    CHECK("tracker cap: steady state keeps the cap and the array bound",
          t.count == TRACKER_MAX_GAPS && t.cap <= 2 * TRACKER_MAX_GAPS &&
          tracker_received(&t) + tracker_missing(&t) + t.forgotten == t.next);
    tracker_free(&t);

    /* Splitting a range while at the cap forgets the oldest range. */
    tracker_init(&t);
    for (uint32_t k = 0; k <= TRACKER_MAX_GAPS; k++)
        tracker_record(&t, 4 * k, 0);   /* ranges [4k+1, 4k+3] */
    uint64_t missing = tracker_missing(&t);
    CHECK("tracker cap split: full", t.count == TRACKER_MAX_GAPS && t.forgotten == 0);
    CHECK("tracker cap split: middle of a range is out of order",
          tracker_record(&t, 4 * 1000 + 2, 0) == TRACKER_OUT_OF_ORDER);
    CHECK("tracker cap split: oldest range (3 seqs) forgotten",
          t.count == TRACKER_MAX_GAPS && t.forgotten == 3 && tracker_missing(&t) == missing - 4 &&
          t.gaps[t.first].lo == 5);
    tracker_free(&t);
}

static void test_set(void)
{
    struct tracker_set set;
    struct tracker_totals tot;

    CHECK("tracker set init", tracker_set_init(&set, 2, 100) == 0 && set.count == 2);
    CHECK("tracker set record pub 0", tracker_set_record(&set, 0, 0, 0) == 0);
    tracker_set_record(&set, 0, 5, 0);  /* pub 0: gap [1,4] */
    CHECK("tracker set: pub 50, far beyond 2 slots, goes to the far array",
          tracker_set_record(&set, 50, 0, 0) == 0 && set.count == 2 && set.nfar == 1);
    CHECK("tracker set keeps state across growth",
          tracker_set_get(&set, 0) && tracker_missing(tracker_set_get(&set, 0)) == 4 &&
          tracker_set_get(&set, 0)->next == 6);
    tracker_set_record(&set, 0, 3, 0);  /* out of order */
    tracker_set_record(&set, 50, 0, 0); /* duplicate */
    tracker_set_record(&set, 50, 1, 0);
    CHECK("tracker set max index ok", tracker_set_record(&set, 99, 0, 0) == 0 && set.nfar == 2);
    CHECK("tracker set index == max rejected", tracker_set_record(&set, 100, 0, 0) == -1);
    CHECK("tracker set index UINT32_MAX rejected", tracker_set_record(&set, UINT32_MAX, 0, 0) == -1);
    CHECK("tracker set get out of range is NULL", tracker_set_get(&set, 100) == NULL);
    CHECK("tracker set get unseen has next 0", tracker_set_get(&set, 1) && tracker_set_get(&set, 1)->next == 0);
    CHECK("tracker set get never created is NULL", tracker_set_get(&set, 7) == NULL);

    tracker_set_totals(&set, &tot);
    CHECKF("tracker set totals",
           tot.publishers_seen == 3 && tot.received == 3 + 2 + 1 && tot.duplicates == 1 &&
           tot.out_of_order == 1 && tot.missing == 3 && tot.forgotten == 0,
           "seen %" PRIu64 " recv %" PRIu64 " dup %" PRIu64 " ooo %" PRIu64 " missing %" PRIu64,
           tot.publishers_seen, tot.received, tot.duplicates, tot.out_of_order, tot.missing);

    tracker_set_free(&set);
    CHECK("tracker set free empties", set.count == 0 && set.trackers == NULL);

    CHECK("tracker set init with no capacity", tracker_set_init(&set, 0, UINT32_C(1) << 24) == 0 &&
          set.count == 0 && set.trackers == NULL);
    CHECK("tracker set index 1<<24 rejected without allocating",
          tracker_set_record(&set, UINT32_C(1) << 24, 0, 0) == -1 && set.count == 0);
    CHECK("tracker set first record allocates", tracker_set_record(&set, 3, 0, 0) == 0 && set.count >= 4);
    int grew_ok = 1;
    for (uint32_t p = 0; p < 5000; p += 7)
        if (tracker_set_record(&set, p, 1, 0) != 0)
            grew_ok = 0;
    tracker_set_totals(&set, &tot);
    CHECK("tracker set repeated growth", grew_ok && set.count >= 4995 && set.nfar == 0 && tot.publishers_seen == 716);
    tracker_set_free(&set);

    CHECK("tracker set initial capacity clamped to max",
          tracker_set_init(&set, 1000, 10) == 0 && set.count == 10);
    tracker_set_free(&set);
}

/* Publisher indexes far apart cost an entry each, not a dense array up to the
 * highest (reliability #7: one stray message with publisher index 0xFFFFF
 * made every `sub` subscriber allocate 64 MB). */
static void test_set_sparse(void)
{
    struct tracker_set set;
    struct tracker_totals tot;

    tracker_set_init(&set, 1, UINT32_C(1) << 20);
    for (uint32_t p = 0; p < 4; p++)
        tracker_set_record(&set, p, 0, 0);
    CHECK("tracker set sparse: stray index 0xFFFFF accepted", tracker_set_record(&set, 0xFFFFF, 7, 0) == 0);
    CHECKF("tracker set sparse: the dense array stays small", set.count <= 64 && set.nfar == 1,
           "count %zu nfar %zu", set.count, set.nfar);
    CHECK("tracker set sparse: the stray's tracker", tracker_set_get(&set, 0xFFFFF) &&
          tracker_set_get(&set, 0xFFFFF)->next == 8 && tracker_set_get(&set, 0xFFFFE) == NULL);
    tracker_set_totals(&set, &tot);
    CHECK("tracker set sparse: totals include it", tot.publishers_seen == 5 && tot.received == 5);
    uint32_t prev = 0, idx;
    int sorted = 1;
    size_t seen = 0;
    for (size_t i = 0; i < tracker_set_size(&set); i++) {
        const struct tracker *t = tracker_set_at(&set, i, &idx);
        if (i && idx <= prev) sorted = 0;
        prev = idx;
        if (t->next) seen++;
    }
    CHECK("tracker set sparse: walked in index order", sorted && seen == 5 && prev == 0xFFFFF);
    tracker_set_free(&set);
    CHECK("tracker set sparse: free empties the far array", set.nfar == 0 && set.far == NULL);

    /* A far entry moves into the dense array when it grows over it. */
    tracker_set_init(&set, 1, 1000);
    tracker_set_record(&set, 40, 0, 0);
    tracker_set_record(&set, 40, 2, 0);   /* gap [1,1] */
    CHECK("tracker set migrate: 40 starts far", set.nfar == 1);
    for (uint32_t p = 0; p < 40; p++)
        tracker_set_record(&set, p, 0, 0);
    CHECK("tracker set migrate: dense now covers 40", set.count > 40 && set.nfar == 0);
    CHECK("tracker set migrate: state kept", tracker_set_get(&set, 40) && tracker_set_get(&set, 40)->next == 3 &&
          tracker_missing(tracker_set_get(&set, 40)) == 1);
    CHECK("tracker set migrate: record after the move", tracker_set_record(&set, 40, 1, 0) == TRACKER_OUT_OF_ORDER);
    tracker_set_free(&set);

    /* The far array is bounded: a flood of distinct stray indexes ends as foreign. */
    tracker_set_init(&set, 1, UINT32_C(1) << 24);
    int all_ok = 1;
    for (uint32_t k = 0; k < TRACKER_SET_MAX_FAR; k++)
        if (tracker_set_record(&set, (UINT32_C(1) << 23) + 2 * k, 0, 0) != 0) all_ok = 0;
    CHECK("tracker set far cap: up to the cap accepted", all_ok && set.nfar == TRACKER_SET_MAX_FAR);
    CHECK("tracker set far cap: one more rejected", tracker_set_record(&set, (UINT32_C(1) << 23) - 100, 0, 0) == -1);
    CHECK("tracker set far cap: known ones still recorded",
          tracker_set_record(&set, UINT32_C(1) << 23, 1, 0) == TRACKER_IN_ORDER);
    tracker_set_free(&set);
}

/* lowest and skipped: what came before the first message seen is not counted
 * as skipped (a subscriber may start after its publisher). */
static void test_skipped(void)
{
    struct tracker t;

    tracker_init(&t);
    CHECK("tracker skipped: nothing seen", tracker_skipped(&t) == 0);
    uint32_t s1[] = { 1000, 1001, 1003 };
    feed(&t, s1, 3);
    CHECK("tracker skipped: first seen 1000", t.lowest == 1000 && tracker_skipped(&t) == 1 &&
          tracker_lost(&t, UINT64_MAX) == 1001);
    tracker_record(&t, 500, 0);
    CHECK("tracker skipped: an earlier one lowers it", t.lowest == 500 && tracker_skipped(&t) == 500);
    tracker_free(&t);

    tracker_init(&t);
    tracker_record(&t, 0, 0);
    tracker_record(&t, 3, 0);
    CHECK("tracker skipped: from seq 0", t.lowest == 0 && tracker_skipped(&t) == 2);
    tracker_free(&t);

    /* reliability #7: one message with seq 0xFFFFFFFF skipped nothing. */
    tracker_init(&t);
    tracker_record(&t, UINT32_MAX, 0);
    CHECKF("tracker skipped: a lone seq 0xFFFFFFFF skipped nothing", tracker_skipped(&t) == 0,
           "%" PRIu64, tracker_skipped(&t));
    tracker_free(&t);
}

/* tracker_union over ranges: a share group's distinct messages. */
static void test_union(void)
{
    struct tracker a, b, c;
    uint64_t below, all;

    tracker_init(&a);
    tracker_init(&b);
    tracker_init(&c);
    uint32_t sa[] = { 0, 1, 2, 5, 6, 7, 8, 9 };     /* gap [3,4] */
    uint32_t sb[] = { 3, 4, 5, 10, 11, 12 };        /* lowest 3, gap [6,9] */
    feed(&a, sa, 8);
    feed(&b, sb, 6);
    const struct tracker *two[] = { &a, NULL, &b };
    CHECK("tracker union: all", tracker_union(two, 3, UINT64_MAX, &below, &all) == 0 && all == 13 && below == 13);
    CHECK("tracker union: below 10", tracker_union(two, 3, 10, &below, &all) == 0 && all == 13 && below == 10);
    CHECK("tracker union: below 4", tracker_union(two, 3, 4, &below, &all) == 0 && below == 4);
    tracker_record(&c, UINT32_MAX, 0);
    const struct tracker *three[] = { &a, &b, &c };
    CHECK("tracker union: a seq 0xFFFFFFFF is one message",
          tracker_union(three, 3, UINT64_MAX, &below, &all) == 0 && all == 14);
    const struct tracker *none[] = { NULL };
    CHECK("tracker union: nothing", tracker_union(none, 1, 5, &below, &all) == 0 && all == 0 && below == 0);
    tracker_free(&a);
    tracker_free(&b);
    tracker_free(&c);
}

/* A gap keeps the send times of its neighbours, and fills narrow them. */
static void test_gap_times(void)
{
    struct tracker t;
    tracker_init(&t);
    tracker_record(&t, 0, 100);
    tracker_record(&t, 1, 110);
    tracker_record(&t, 8, 180);   /* gap [2, 7] sent between 110 and 180 */
    const struct tracker_gap *g = &t.gaps[t.first];
    CHECK("gap times: the neighbours' send times", t.count == 1 && g->lo == 2 && g->hi == 7 && g->before_ns == 110 &&
                                                       g->after_ns == 180 && t.last_ns == 180);
    tracker_record(&t, 2, 120);   /* from below */
    tracker_record(&t, 7, 170);   /* from above */
    g = &t.gaps[t.first];
    CHECK("gap times: a fill at either end moves that end's time",
          t.count == 1 && g->lo == 3 && g->hi == 6 && g->before_ns == 120 && g->after_ns == 170);
    tracker_record(&t, 4, 140);   /* splits [3, 6] */
    CHECK("gap times: a split gives each half the filler's time",
          t.count == 2 && t.gaps[t.first].lo == 3 && t.gaps[t.first].hi == 3 && t.gaps[t.first].before_ns == 120 &&
              t.gaps[t.first].after_ns == 140 && t.gaps[t.first + 1].lo == 5 && t.gaps[t.first + 1].hi == 6 &&
              t.gaps[t.first + 1].before_ns == 140 && t.gaps[t.first + 1].after_ns == 170);
    tracker_free(&t);
    /* gaps [1,1] [3,7] [9,9]; filling 1 drops the first from the left, so
     * the split of [3,7] shifts to the left (the other branch) */
    const uint32_t seqs[] = { 0, 2, 8, 10, 1 };
    for (size_t i = 0; i < 5; i++) tracker_record(&t, seqs[i], seqs[i] * 10u);
    uint32_t first = t.first;
    tracker_record(&t, 5, 50);
    CHECK("gap times: a split shifting left keeps the times",
          first == 1 && t.first == 0 && t.count == 3 && t.gaps[t.first].lo == 3 && t.gaps[t.first].hi == 4 &&
              t.gaps[t.first].before_ns == 20 && t.gaps[t.first].after_ns == 50 && t.gaps[t.first + 1].lo == 6 &&
              t.gaps[t.first + 1].hi == 7 && t.gaps[t.first + 1].before_ns == 50 &&
              t.gaps[t.first + 1].after_ns == 80 && t.gaps[t.first + 2].before_ns == 80 &&
              t.gaps[t.first + 2].after_ns == 100);
    tracker_free(&t);
    tracker_record(&t, 5, 50);    /* the first message is not seq 0: nothing before the gap */
    CHECK("gap times: a leading gap has no time before it",
          t.count == 1 && t.gaps[t.first].before_ns == 0 && t.gaps[t.first].after_ns == 50);
    tracker_free(&t);
}

int main(void)
{
    test_in_order();
    test_gap_then_tail();
    test_duplicates();
    test_reorder();
    test_random();
    test_gap_cap();
    test_set();
    test_set_sparse();
    test_skipped();
    test_union();
    test_gap_times();
    return test_failures ? 1 : 0;
}
