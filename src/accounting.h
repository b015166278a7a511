/* accounting: delivery accounting as pure functions. From what every
 * subscriber's trackers saw and what the publishers sent, work out for every
 * receiver (a plain subscriber, or a share group counted once) what it should
 * have received and what became of it. No broker, no threads: `both` and `sub`
 * call it after the workers joined, and the unit tests call it on trackers
 * they fill by hand.
 *
 * The words (docs/results.md defines them for users):
 *   expected   messages the receivers should have received (per receiver);
 *   received   of those, the ones that arrived (once each per receiver);
 *   lost       expected messages known not to have arrived. When the run
 *              waited for the tail, every expected message that did not
 *              arrive. Otherwise only those skipped below a sequence number
 *              a plain subscriber already saw (brokers deliver a topic in
 *              order), and none in a share group;
 *   in_flight  expected messages neither received nor known lost: the run
 *              stopped (interrupted, failed, stalled, --duration) before they
 *              could arrive. 0 when the run waited for the tail;
 *   lost_exact expected is known for every publisher, gap tracking never
 *              overflowed, and nothing is left in flight. */
#ifndef MB_ACCOUNTING_H
#define MB_ACCOUNTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outage.h"
#include "topology.h"
#include "tracker.h"

struct delivery {
    bool expected_known;        /* expected is known (else: gaps only, expected 0) */
    uint64_t expected;          /* summed over receivers */
    uint64_t received;          /* unique, once per receiver */
    uint64_t lost;
    uint64_t in_flight;
    bool lost_exact;
    uint64_t duplicates;        /* repeats at one subscriber, plus copies that several
                                   members of a share group received */
    uint64_t shared_copies;     /* the share-group part of duplicates */
    uint64_t out_of_order;
    uint64_t forgotten;         /* > 0: gap tracking overflowed, counts approximate */
};

/* --reconnect: the outages to give deliveries to, and what they got. A
 * plain subscriber's lost messages go to the outage outage_owner names for
 * each gap (from the send time of the message seen before it to that of the
 * one seen after; the tail the run waited for: from the last one seen, open
 * ended); duplicates and redelivered messages by their flights
 * (outage_count_flights). What no outage owns is outside: losses in no
 * window, a share group's (its members' gaps prove nothing), what gap
 * tracking forgot, and duplicates no flight was logged for (copies across a
 * share group). So for lost and duplicates, the sum over the outages plus
 * outside is the run's total. */
struct delivery_outages {
    const struct outage_window *w;      /* in time order */
    size_t n;
    const struct outage_flight *flights;
    size_t nflights;
    struct outage_count *count;         /* out: n entries */
    struct outage_count outside;        /* out: lost and duplicates (redelivered 0) */
};

/* `both`: receiver r of tp should hear the publishers tp->matches[r] names,
 * and publisher i completed sent[i] messages (i < tp->npubs). subs[j] is
 * subscriber j's tracker set (NULL: the subscriber was never made).
 * tail_waited: the run waited for the last messages (it was not cut short).
 * Fills *out, and outages' counts when it is not NULL. Returns 0, or -1 when out of memory (*out then incomplete). */
int accounting_both(const struct topology *tp, const struct tracker_set *const *subs, const uint64_t *sent,
                    bool tail_waited, struct delivery *out, struct delivery_outages *outages);

/* What a `sub` knows of what the publishers sent. */
struct accounting_sub_basis {
    const uint64_t *sent;       /* sent[p]: messages publisher p announced it completed,
                                   UINT64_MAX when unknown; NULL: no announcement */
    size_t npubs;               /* entries in sent */
    bool complete;              /* every publishing process expected announced its end */
    bool count_given;           /* no announcement: each receiver expects count */
    uint64_t count;             /* --count: unique messages per receiver */
    bool tail_waited;           /* the run waited for the last messages */
};

/* `sub`: every receiver of tp hears every publisher. Against the announced
 * counts when there are any, else against --count, else the gaps only
 * (expected unknown: lost counts what plain subscribers skipped between the
 * first and the highest sequence number seen of each publisher). outages as
 * in accounting_both (NULL: none); only losses against announced counts are
 * given to outages. Returns 0, or -1 when out of memory. */
int accounting_sub(const struct topology *tp, const struct tracker_set *const *subs,
                   const struct accounting_sub_basis *basis, struct delivery *out,
                   struct delivery_outages *outages);

#endif
