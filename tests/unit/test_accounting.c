/* Unit tests for accounting.c: the delivery accounting of `both` and `sub`
 * on tracker sets filled by hand, with topologies built by hand: no broker. */
#include "test.h"
#include "accounting.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A hand-made topology: nsubs subscribers, receiver_of[j] each; a receiver
 * hears every publisher (hears == NULL) or hears[r] (one publisher each). */
struct fixture {
    struct topology tp;
    uint32_t sub_receiver[8], receiver_members[8];
    bool receiver_shared[8];
    struct topology_match matches[8];
    uint32_t one[8];
    struct tracker_set sets[8];
    const struct tracker_set *subs[8];
};

static void fixture_init(struct fixture *f, size_t npubs, size_t nsubs, const uint32_t *receiver_of,
                         const int *hears)
{
    memset(f, 0, sizeof(*f));
    f->tp.npubs = npubs;
    f->tp.nsubs = nsubs;
    f->tp.sub_receiver = f->sub_receiver;
    f->tp.receiver_members = f->receiver_members;
    f->tp.receiver_shared = f->receiver_shared;
    f->tp.matches = f->matches;
    for (size_t j = 0; j < nsubs; j++) {
        uint32_t r = receiver_of ? receiver_of[j] : (uint32_t)j;
        f->sub_receiver[j] = r;
        f->receiver_members[r]++;
        if (r + 1 > f->tp.nreceivers) f->tp.nreceivers = r + 1;
        tracker_set_init(&f->sets[j], 1, UINT32_C(1) << 20);
        f->subs[j] = &f->sets[j];
    }
    for (size_t r = 0; r < f->tp.nreceivers; r++) {
        f->receiver_shared[r] = f->receiver_members[r] > 1;
        if (hears) {
            f->one[r] = (uint32_t)hears[r];
            f->matches[r] = (struct topology_match){ .all = false, .pubs = &f->one[r], .n = 1 };
        } else {
            f->matches[r] = (struct topology_match){ .all = true };
        }
    }
}

static void fixture_free(struct fixture *f)
{
    for (size_t j = 0; j < f->tp.nsubs; j++) tracker_set_free(&f->sets[j]);
}

/* Subscriber j received seqs[0..n) from publisher p. */
static void got(struct fixture *f, size_t j, uint32_t p, const uint32_t *seqs, size_t n)
{
    for (size_t i = 0; i < n; i++) tracker_set_record(&f->sets[j], p, seqs[i], 0);
}

static void got_range(struct fixture *f, size_t j, uint32_t p, uint32_t lo, uint32_t hi)
{
    for (uint32_t s = lo; s < hi; s++) tracker_set_record(&f->sets[j], p, s, 0);
}

#define D_FMT "expected %" PRIu64 " received %" PRIu64 " lost %" PRIu64 " in_flight %" PRIu64 \
              " dup %" PRIu64 " copies %" PRIu64 " exact %d known %d"
#define D_ARGS(d) (d).expected, (d).received, (d).lost, (d).in_flight, (d).duplicates, (d).shared_copies, \
                  (d).lost_exact, (d).expected_known

static void test_pairs(void)
{
    struct fixture f;
    int hears[] = { 0, 1 };
    fixture_init(&f, 2, 2, NULL, hears);
    got_range(&f, 0, 0, 0, 5);
    uint32_t s1[] = { 0, 1, 3 };
    got(&f, 1, 1, s1, 3);
    uint64_t sent[] = { 5, 5 };
    struct delivery d;
    CHECK("accounting pairs: ok", accounting_both(&f.tp, f.subs, sent, true, &d, NULL) == 0);
    CHECKF("accounting pairs, waited: gap and tail lost, exact",
           d.expected == 10 && d.received == 8 && d.lost == 2 && d.in_flight == 0 && d.lost_exact &&
           d.expected_known, D_FMT, D_ARGS(d));
    accounting_both(&f.tp, f.subs, sent, false, &d, NULL);
    CHECKF("accounting pairs, cut short: the gap lost, the tail in flight, not exact",
           d.expected == 10 && d.lost == 1 && d.in_flight == 1 && !d.lost_exact, D_FMT, D_ARGS(d));
    /* A message of publisher 0 at subscriber 1, which should hear only
     * publisher 1: not expected, not lost. */
    tracker_set_record(&f.sets[1], 0, 0, 0);
    accounting_both(&f.tp, f.subs, sent, true, &d, NULL);
    CHECKF("accounting pairs: an unexpected publisher adds nothing to expected or lost",
           d.expected == 10 && d.lost == 2, D_FMT, D_ARGS(d));
    fixture_free(&f);
}

static void test_fan_in(void)
{
    struct fixture f;
    fixture_init(&f, 3, 1, NULL, NULL);
    got_range(&f, 0, 0, 0, 3);
    got_range(&f, 0, 2, 0, 2);
    uint64_t sent[] = { 3, 0, 4 };
    struct delivery d;
    accounting_both(&f.tp, f.subs, sent, true, &d, NULL);
    CHECKF("accounting fan-in: 7 expected, publisher 2's tail lost",
           d.expected == 7 && d.received == 5 && d.lost == 2 && d.lost_exact, D_FMT, D_ARGS(d));
    /* Publisher 1 sent 2 that never arrived: never seen counts fully. */
    sent[1] = 2;
    accounting_both(&f.tp, f.subs, sent, true, &d, NULL);
    CHECKF("accounting fan-in: a publisher never heard counts fully", d.expected == 9 && d.lost == 4,
           D_FMT, D_ARGS(d));
    accounting_both(&f.tp, f.subs, sent, false, &d, NULL);
    CHECKF("accounting fan-in, cut short: all of it in flight (no gap proves a loss)",
           d.lost == 0 && d.in_flight == 4 && !d.lost_exact, D_FMT, D_ARGS(d));
    fixture_free(&f);
}

static void test_share_group(void)
{
    struct fixture f;
    uint32_t rcv[] = { 0, 0, 1 };   /* a group of two, and a plain subscriber */
    fixture_init(&f, 1, 3, rcv, NULL);
    uint32_t m0[] = { 0, 1, 2, 3 }, m1[] = { 2, 3, 4 };
    got(&f, 0, 0, m0, 4);
    got(&f, 1, 0, m1, 3);
    got_range(&f, 2, 0, 0, 6);
    tracker_set_record(&f.sets[2], 0, 1, 0);   /* a duplicate at one subscriber */
    uint64_t sent[] = { 6 };
    struct delivery d;
    accounting_both(&f.tp, f.subs, sent, true, &d, NULL);
    CHECKF("accounting share group: counted once, copies are duplicates",
           d.expected == 12 && d.received == 5 + 6 && d.lost == 1 && d.shared_copies == 2 &&
           d.duplicates == 2 + 1 && d.lost_exact, D_FMT, D_ARGS(d));
    accounting_both(&f.tp, f.subs, sent, false, &d, NULL);
    CHECKF("accounting share group, cut short: a member's gap proves nothing",
           d.lost == 0 && d.in_flight == 1 && !d.lost_exact, D_FMT, D_ARGS(d));
    fixture_free(&f);
}

static void test_cut_short_everything_in(void)
{
    struct fixture f;
    fixture_init(&f, 1, 2, NULL, NULL);
    got_range(&f, 0, 0, 0, 100);
    got_range(&f, 1, 0, 0, 100);
    uint64_t sent[] = { 100 };
    struct delivery d;
    accounting_both(&f.tp, f.subs, sent, false, &d, NULL);
    CHECKF("accounting cut short with everything in: exact",
           d.expected == 200 && d.lost == 0 && d.in_flight == 0 && d.lost_exact, D_FMT, D_ARGS(d));
    /* Nothing published at all (aborted while connecting): expected 0, known. */
    uint64_t none[] = { 0 };
    struct fixture g;
    fixture_init(&g, 1, 1, NULL, NULL);
    accounting_both(&g.tp, g.subs, none, false, &d, NULL);
    CHECKF("accounting nothing published: expected 0 known, exact",
           d.expected_known && d.expected == 0 && d.lost == 0 && d.lost_exact, D_FMT, D_ARGS(d));
    /* A subscriber that was never made counts as one that got nothing. */
    g.subs[0] = NULL;
    none[0] = 3;
    CHECK("accounting a subscriber never made: no crash",
          accounting_both(&g.tp, g.subs, none, true, &d, NULL) == 0 && d.expected == 3 && d.lost == 3);
    fixture_free(&f);
    fixture_free(&g);
}

static void test_sub_announced(void)
{
    struct fixture f;
    fixture_init(&f, 0, 1, NULL, NULL);
    got_range(&f, 0, 0, 0, 4);
    got_range(&f, 0, 1, 0, 10);            /* a publisher that never announced its end */
    uint32_t p2[] = { 0, 2 };
    got(&f, 0, 2, p2, 2);
    uint64_t sent[] = { 4, UINT64_MAX, 3 };
    struct accounting_sub_basis b = { .sent = sent, .npubs = 3, .complete = true, .tail_waited = true };
    struct delivery d;
    CHECK("accounting sub announced: ok", accounting_sub(&f.tp, f.subs, &b, &d, NULL) == 0);
    CHECKF("accounting sub announced: against what was announced",
           d.expected == 7 && d.lost == 1 && d.in_flight == 0 && d.lost_exact && d.expected_known, D_FMT,
           D_ARGS(d));
    b.complete = false;
    accounting_sub(&f.tp, f.subs, &b, &d, NULL);
    CHECKF("accounting sub announced: an end missing, not exact", d.lost == 1 && !d.lost_exact, D_FMT, D_ARGS(d));
    /* An announced publisher this sub never heard. */
    uint64_t sent4[] = { 4, UINT64_MAX, 3, 5 };
    b = (struct accounting_sub_basis){ .sent = sent4, .npubs = 4, .complete = true, .tail_waited = false };
    accounting_sub(&f.tp, f.subs, &b, &d, NULL);
    CHECKF("accounting sub announced, cut short: the gap lost, the unheard in flight",
           d.expected == 12 && d.lost == 1 && d.in_flight == 5 && !d.lost_exact, D_FMT, D_ARGS(d));
    fixture_free(&f);
}

static void test_sub_count(void)
{
    struct fixture f;
    uint32_t rcv[] = { 0, 1, 1 };   /* a plain subscriber, and a group of two */
    fixture_init(&f, 0, 3, rcv, NULL);
    uint32_t s0[] = { 0, 1, 3, 4 };           /* gap [2] */
    got(&f, 0, 0, s0, 4);
    got_range(&f, 0, 1, 0, 4);
    got_range(&f, 1, 0, 0, 5);
    got_range(&f, 2, 0, 3, 8);                /* overlaps 3, 4 with the other member */
    struct accounting_sub_basis b = { .count_given = true, .count = 10, .tail_waited = true };
    struct delivery d;
    accounting_sub(&f.tp, f.subs, &b, &d, NULL);
    CHECKF("accounting sub --count: per receiver, a group once",
           d.expected == 20 && d.received == 8 + 8 && d.lost == 2 + 2 && d.shared_copies == 2 && d.lost_exact,
           D_FMT, D_ARGS(d));
    b.tail_waited = false;
    accounting_sub(&f.tp, f.subs, &b, &d, NULL);
    CHECKF("accounting sub --count, cut short: the plain gap lost, the rest in flight",
           d.lost == 1 && d.in_flight == 3 && !d.lost_exact, D_FMT, D_ARGS(d));
    fixture_free(&f);
}

static void test_sub_gaps_only(void)
{
    struct fixture f;
    uint32_t rcv[] = { 0, 1, 1 };
    fixture_init(&f, 0, 3, rcv, NULL);
    uint32_t s0[] = { 1000, 1001, 1003, 1004, 1005 };   /* joined late; 1002 skipped */
    got(&f, 0, 0, s0, 5);
    tracker_set_record(&f.sets[0], 0xFFFFF, UINT32_MAX, 0); /* one stray message */
    got_range(&f, 1, 0, 0, 3);
    got_range(&f, 2, 0, 5, 9);                /* a member's gap [0,4] proves nothing */
    struct accounting_sub_basis b = { .tail_waited = true };
    struct delivery d;
    accounting_sub(&f.tp, f.subs, &b, &d, NULL);
    CHECKF("accounting sub gaps only: what was skipped, not what came before or a stray",
           !d.expected_known && d.expected == 0 && d.lost == 1 && d.in_flight == 0 && !d.lost_exact &&
           d.received == 6 + 7, D_FMT, D_ARGS(d));
    fixture_free(&f);
}

/* Subscriber j received seqs lo .. hi-1 of publisher p, seq s sent at s * 10. */
static void got_timed(struct fixture *f, size_t j, uint32_t p, uint32_t lo, uint32_t hi)
{
    for (uint32_t s = lo; s < hi; s++) tracker_set_record(&f->sets[j], p, s, (uint64_t)s * 10);
}

/* --reconnect: every loss and duplicate goes to one outage or outside, and
 * the sums are the run's. */
static void test_outages(void)
{
    struct fixture f;
    uint32_t receiver_of[] = { 0, 1, 1 };   /* a plain subscriber, and a share group of two */
    fixture_init(&f, 1, 3, receiver_of, NULL);
    got_timed(&f, 0, 0, 0, 20);
    got_timed(&f, 0, 0, 30, 60);    /* 20..29 lost, sent 190..300: around the first outage */
    got_timed(&f, 0, 0, 61, 80);    /* 60 lost, sent 590..610: in no outage */
    got_timed(&f, 0, 0, 85, 90);    /* 80..84 lost, sent 790..850: in the second */
    got_timed(&f, 0, 0, 19, 20);    /* two duplicates */
    got_timed(&f, 0, 0, 50, 51);
    got_timed(&f, 1, 0, 0, 50);     /* the group: 95..99 lost (outside), 49 twice (a copy) */
    got_timed(&f, 2, 0, 49, 95);
    uint64_t sent[] = { 100 };
    const struct outage_window w[] = { { 200, 250 }, { 800, 0 } };   /* the second never ended */
    const struct outage_flight fl[] = { { 190, 260, true }, { 500, 501, true }, { 210, 240, false } };
    struct outage_count c[2];
    struct delivery_outages ob = { .w = w, .n = 2, .flights = fl, .nflights = 3, .count = c };
    struct delivery d;
    accounting_both(&f.tp, f.subs, sent, true, &d, &ob);
    /* the tail 90..99 (after 890) is the open outage's */
    CHECKF("outages: each gap to the outage around it, the tail to the open one, the rest outside",
           d.lost == 31 && c[0].lost == 10 && c[1].lost == 15 && ob.outside.lost == 6, D_FMT " / %" PRIu64
           " %" PRIu64 " outside %" PRIu64, D_ARGS(d), c[0].lost, c[1].lost, ob.outside.lost);
    CHECK("outages: lost over the outages plus outside is the run's", c[0].lost + c[1].lost + ob.outside.lost == d.lost);
    CHECKF("outages: duplicates by flight, the share group's copy outside",
           d.duplicates == 3 && c[0].duplicates == 1 && c[1].duplicates == 0 && ob.outside.duplicates == 2 &&
               c[0].duplicates + c[1].duplicates + ob.outside.duplicates == d.duplicates,
           "dup %" PRIu64 " %" PRIu64 " %" PRIu64 " outside %" PRIu64, d.duplicates, c[0].duplicates, c[1].duplicates,
           ob.outside.duplicates);
    CHECK("outages: a message redelivered after a reconnect in the first is its", c[0].redelivered == 1 && c[1].redelivered == 0);
    accounting_both(&f.tp, f.subs, sent, false, &d, &ob);
    CHECKF("outages, cut short: the tail is in flight, owned by none; sums still the run's",
           d.lost == 16 && c[0].lost == 10 && c[1].lost == 5 && ob.outside.lost == 1, D_FMT " / %" PRIu64
           " %" PRIu64 " outside %" PRIu64, D_ARGS(d), c[0].lost, c[1].lost, ob.outside.lost);
    ob.n = 0;   /* no outage at all: everything outside */
    accounting_both(&f.tp, f.subs, sent, true, &d, &ob);
    CHECK("outages: none, all outside", ob.outside.lost == d.lost && ob.outside.duplicates == d.duplicates);
    fixture_free(&f);
}

int main(void)
{
    test_pairs();
    test_fan_in();
    test_share_group();
    test_cut_short_everything_in();
    test_sub_announced();
    test_sub_count();
    test_sub_gaps_only();
    test_outages();
    return test_failures ? 1 : 0;
}
