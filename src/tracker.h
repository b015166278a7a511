/* tracker: exact per-publisher delivery accounting (loss, duplicates, reorder)
 * for one subscriber.
 *
 * A struct tracker follows ONE publisher's stream, whose sequence numbers are
 * expected to be 0, 1, 2, ... It keeps `next` (highest seq seen + 1) and a
 * sorted array of the missing ranges ("gaps") below next. On receipt of seq:
 *   seq == next  in order: next++ (inline fast path, no allocation);
 *   seq >  next  gap [next, seq-1] is added, next = seq + 1; counted in order;
 *   seq <  next  if seq lies in a gap it is removed from it (binary search,
 *                splitting the range if needed) and counted out_of_order;
 *                otherwise it is a duplicate.
 * So received (unique) = next - missing - forgotten, computed, not counted.
 *
 * Each gap keeps the send times of the messages seen on either side of it
 * (the payload carries them): the lost messages were sent between the two,
 * which is what gives a loss to an outage (outage_owner).
 *
 * Memory is bounded: at most TRACKER_MAX_GAPS live ranges per tracker, in an
 * array of at most 2 * TRACKER_MAX_GAPS slots of 24 bytes (3 MiB; the slack keeps
 * dropping the oldest range O(1) amortised). When a new range would exceed the cap,
 * the oldest (lowest) range is dropped and its size added to `forgotten`; a
 * message that later arrives from a forgotten range is counted as a duplicate,
 * not as received, so received/lost/duplicates are then approximate (each such
 * late message adds one to lost and one to duplicates). The same happens if the
 * gap array cannot grow because malloc fails. Callers should flag the accounting
 * as approximate whenever forgotten > 0.
 *
 * Sequence numbers are uint32 and are assumed not to wrap (2^32 messages per
 * publisher). Nothing here is thread-safe: one tracker_set per subscriber thread,
 * totals merged after the threads join. */
#ifndef MB_TRACKER_H
#define MB_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#define TRACKER_MAX_GAPS 65536u   /* ranges kept per tracker before forgetting */

/* One missing range of sequence numbers, inclusive at both ends. */
struct tracker_gap {
    uint32_t lo;
    uint32_t hi;
    uint64_t before_ns;         /* send time of seq lo - 1 (0: not seen, lo is the first) */
    uint64_t after_ns;          /* send time of seq hi + 1 */
};

/* Accounting for one publisher stream. Zero-initialised == empty (tracker_init).
 * Read the counters directly or through the accessors below. 72 bytes. */
struct tracker {
    uint64_t next;              /* highest seq seen + 1; 0 = nothing seen yet */
    uint64_t missing;           /* total size of the gaps (seqs not seen yet) */
    uint64_t duplicates;        /* messages whose seq was already seen (or forgotten) */
    uint64_t out_of_order;      /* unique messages that arrived after a higher seq */
    uint64_t forgotten;         /* seqs in ranges dropped at the gap cap: if > 0 the
                                   counts are approximate */
    struct tracker_gap *gaps;   /* owned; live ranges are gaps[first .. first+count) */
    uint32_t first;             /* index of the oldest live range in gaps */
    uint32_t count;             /* number of live ranges, <= TRACKER_MAX_GAPS */
    uint32_t cap;               /* slots allocated in gaps */
    uint32_t lowest;            /* lowest seq seen (0 until something was seen) */
    uint64_t last_ns;           /* send time of seq next - 1 */
};

/* What tracker_record made of one message. */
enum tracker_outcome {
    TRACKER_IN_ORDER = 0,       /* new, and the highest seq so far */
    TRACKER_OUT_OF_ORDER = 1,   /* new, filled a gap */
    TRACKER_DUPLICATE = 2,      /* seen before (or in a forgotten range) */
};

/* Make t empty. No allocation. */
void tracker_init(struct tracker *t);

/* Release the gap array and make t empty again (reusable). */
void tracker_free(struct tracker *t);

/* Out-of-line part of tracker_record for seq != next; do not call directly.
 * May allocate (a new gap); never fails: on malloc failure it forgets ranges. */
enum tracker_outcome tracker_record_slow(struct tracker *t, uint32_t seq, uint64_t sent_ns);

/* Account for one received message with sequence number seq, sent at
 * sent_ns (any clock the caller compares it with; 0 when unknown). The
 * in-order case is one compare, one increment and one store, with no
 * allocation. Never fails. */
static inline enum tracker_outcome tracker_record(struct tracker *t, uint32_t seq, uint64_t sent_ns)
{
    if (__builtin_expect((uint64_t)seq == t->next, 1)) {
        t->next++;
        t->last_ns = sent_ns;
        return TRACKER_IN_ORDER;
    }
    return tracker_record_slow(t, seq, sent_ns);
}

/* Unique messages received (counted once each, whatever their order). */
static inline uint64_t tracker_received(const struct tracker *t)
{
    return t->next - t->missing - t->forgotten;
}

/* Seqs below next not received yet: the total size of the gaps. Excludes the
 * tail after the highest seq seen and the forgotten ranges. */
static inline uint64_t tracker_missing(const struct tracker *t)
{
    return t->missing;
}

/* Seqs that did not arrive between the lowest and the highest seq seen: the
 * gaps, less the leading range [0, lowest) that a subscriber which started
 * after the publisher never could have seen. 0 when nothing was seen. */
static inline uint64_t tracker_skipped(const struct tracker *t)
{
    return t->next ? t->next - t->lowest - tracker_received(t) : 0;
}

/* Messages lost, given expected = the number of messages the publisher really
 * sent (seqs 0 .. expected-1): expected - received, which includes the tail
 * after the last seq seen. Exact when forgotten == 0. If seqs >= expected were
 * received (the sent count disagrees with the stream), only the gaps below
 * expected are counted. Pass expected = UINT64_MAX when the sent count is
 * unknown: the result is then the gaps only, next - received (= missing() +
 * forgotten; the tail cannot be known). */
uint64_t tracker_lost(const struct tracker *t, uint64_t expected);

/* A publisher outside a set's dense range. */
struct tracker_far {
    uint32_t index;
    struct tracker t;
};

#define TRACKER_SET_MAX_FAR 65536u   /* publishers a set tracks outside its dense range */

/* Trackers by publisher index: a dense array for a range that grows as
 * publishers appear one after another, and a sorted array for indexes far
 * beyond it (a stray message with publisher index 0xFFFFF costs one entry,
 * not a million). Memory is about 72 bytes per publisher seen (80 far from
 * the others). */
struct tracker_set {
    struct tracker *trackers;   /* owned; trackers[0 .. count) are initialised */
    size_t count;               /* slots initialised (a slot with next == 0 was never seen) */
    size_t max_publishers;      /* indexes >= this are rejected */
    uint32_t base;              /* trackers[i] is publisher base + i; indexes below are rejected */
    struct tracker_far *far;    /* owned; sorted by index, every index >= base + count */
    size_t nfar, far_cap;       /* entries used / allocated */
};

/* Sums over all publishers of a set. */
struct tracker_totals {
    uint64_t publishers_seen;   /* trackers that received at least one message */
    uint64_t received;          /* unique messages */
    uint64_t duplicates;
    uint64_t out_of_order;
    uint64_t missing;           /* gaps below each publisher's highest seq */
    uint64_t forgotten;         /* > 0: the other counts are approximate */
};

/* Set up an empty set for publisher indexes 0 .. max_publishers-1 (e.g.
 * PAYLOAD_MAX_PUBLISHERS), pre-allocating min(initial_capacity, max_publishers)
 * trackers (0 allocates nothing). Returns 0, or -1 if that allocation fails (set
 * is then empty but valid, and still safe to tracker_set_free). */
int tracker_set_init(struct tracker_set *set, size_t initial_capacity, size_t max_publishers);

/* Track only publishers base .. base + capacity - 1 densely (a subscriber that
 * hears a known range, e.g. one publisher in `pairs`): call right after
 * tracker_set_init, before any record. Indexes below base are rejected. */
int tracker_set_range(struct tracker_set *set, uint32_t base, size_t capacity);

/* Release every tracker and the array; set becomes empty (init again to reuse). */
void tracker_set_free(struct tracker_set *set);

/* Out-of-line part of tracker_set_record for an index beyond the dense
 * array; do not call directly. An index near its end (within twice the
 * array's size) grows the array (at least doubling, capped at
 * max_publishers); one further away gets an entry in the far array (at most
 * TRACKER_SET_MAX_FAR). Returns the tracker_outcome (>= 0), or -1 on an index
 * >= max_publishers or below base, a full far array, or malloc failure. */
int tracker_set_record_grow(struct tracker_set *set, uint32_t pub_index, uint32_t seq, uint64_t sent_ns);

/* Account for message seq of publisher pub_index, sent at sent_ns (as
 * tracker_record). Returns the message's
 * enum tracker_outcome (>= 0), or -1 when
 * pub_index >= max_publishers or the array could not grow: the message was not
 * accounted and the caller counts it as foreign. Allocates only when the set
 * grows or a gap appears. */
static inline int tracker_set_record(struct tracker_set *set, uint32_t pub_index, uint32_t seq, uint64_t sent_ns)
{
    uint32_t i = pub_index - set->base;   /* wraps for indexes below base */
    if (__builtin_expect(i < set->count, 1)) {
        return (int)tracker_record(&set->trackers[i], seq, sent_ns);
    }
    return tracker_set_record_grow(set, pub_index, seq, sent_ns);
}

/* The tracker of publisher pub_index, or NULL if none was ever created for it
 * (a non-NULL tracker with next == 0 has received nothing). Owned by the set;
 * valid until the set grows (the next tracker_set_record) or is freed. */
const struct tracker *tracker_set_get(const struct tracker_set *set, uint32_t pub_index);

/* Trackers in the set (seen or not): walk them with tracker_set_at. */
size_t tracker_set_size(const struct tracker_set *set);

/* The i-th tracker of the set in increasing publisher index (i <
 * tracker_set_size), its index in *pub_index. Same lifetime as
 * tracker_set_get. */
const struct tracker *tracker_set_at(const struct tracker_set *set, size_t i, uint32_t *pub_index);

/* Fill *out with the sums over every publisher in the set. */
void tracker_set_totals(const struct tracker_set *set, struct tracker_totals *out);

/* Distinct seqs seen by any of the n trackers (NULL entries allowed): what a
 * share group received together. *all gets them all, *below those < limit
 * (limit UINT64_MAX: all). Works on the ranges seen, not on a bitmap, so a
 * stray seq 0xFFFFFFFF costs nothing. Approximate when a tracker forgot gaps.
 * Returns 0, or -1 when out of memory. */
int tracker_union(const struct tracker *const *ts, size_t n, uint64_t limit, uint64_t *below, uint64_t *all);

#endif
