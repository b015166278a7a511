/* tracker: per-publisher delivery accounting; see tracker.h for the model.
 *
 * The live gaps are gaps[first .. first+count), sorted, disjoint, all below
 * next. Dropping the oldest range is first++; new ranges go at the end. When the
 * end of the array is reached the live part is moved back to index 0 if at
 * least half the array is dead, otherwise the array doubles, up to
 * TRACKER_MAX_SLOTS = 2 * TRACKER_MAX_GAPS: with count <= TRACKER_MAX_GAPS, a
 * full array of that size always has first >= count, so moves stay amortised
 * O(1) per range even when every new range forgets an old one. Inserting or
 * removing a range in the middle (reordering) shifts the shorter side. */
#include "tracker.h"

#include <stdlib.h>
#include <string.h>

#define TRACKER_MAX_SLOTS (2u * TRACKER_MAX_GAPS)
#define TRACKER_INITIAL_SLOTS 16u
#define TRACKER_SET_INITIAL 16u

void tracker_init(struct tracker *t)
{
    *t = (struct tracker){ .gaps = NULL };
}

void tracker_free(struct tracker *t)
{
    free(t->gaps);
    tracker_init(t);
}

/* Forget the oldest (lowest) range: its seqs leave missing and join forgotten. */
static void tracker_drop_oldest(struct tracker *t)
{
    const struct tracker_gap *g = &t->gaps[t->first];
    uint64_t n = (uint64_t)g->hi - g->lo + 1;

    t->forgotten += n;
    t->missing -= n;
    t->first++;
    t->count--;
    if (t->count == 0)
        t->first = 0;
}

static void tracker_compact(struct tracker *t)
{
    memmove(t->gaps, t->gaps + t->first, (size_t)t->count * sizeof *t->gaps);
    t->first = 0;
}

/* Make gaps[first + count] a free slot. May move the live ranges (indexes into
 * gaps are stale afterwards) and, if malloc fails, forget the oldest range.
 * Returns 0, or -1 only when there is no array at all and none can be had. */
static int tracker_make_room(struct tracker *t)
{
    if (t->first + t->count < t->cap)
        return 0;
    if (t->first > 0 && t->first >= t->count) {
        tracker_compact(t);
        return 0;
    }
    if (t->cap < TRACKER_MAX_SLOTS) {
        uint32_t ncap = t->cap ? t->cap * 2 : TRACKER_INITIAL_SLOTS;
        if (ncap > TRACKER_MAX_SLOTS)
            ncap = TRACKER_MAX_SLOTS;
        struct tracker_gap *p = realloc(t->gaps, (size_t)ncap * sizeof *p);
        if (p) {
            t->gaps = p;
            t->cap = ncap;
            return 0;
        }
    }
    /* Out of memory (a full array of TRACKER_MAX_SLOTS is handled above). */
    if (t->count == 0)
        return -1;              /* count == 0 here means cap == 0 */
    if (t->first == 0)
        tracker_drop_oldest(t);
    tracker_compact(t);
    return 0;
}

/* Find the live range holding seq: sets *idx (absolute index) and returns 1,
 * or returns 0 if seq is in no range. Binary search. */
static int tracker_find(const struct tracker *t, uint32_t seq, uint32_t *idx)
{
    uint32_t lo = t->first, hi = t->first + t->count;

    /* First range with lo > seq. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->gaps[mid].lo <= seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == t->first || seq > t->gaps[lo - 1].hi)
        return 0;
    *idx = lo - 1;
    return 1;
}

/* Remove the (now empty) range at absolute index i, shifting the shorter side. */
static void tracker_remove(struct tracker *t, uint32_t i)
{
    uint32_t left = i - t->first;
    uint32_t right = t->first + t->count - 1 - i;

    if (left < right) {
        memmove(&t->gaps[t->first + 1], &t->gaps[t->first], (size_t)left * sizeof *t->gaps);
        t->first++;
    } else {
        memmove(&t->gaps[i], &t->gaps[i + 1], (size_t)right * sizeof *t->gaps);
    }
    t->count--;
    if (t->count == 0)
        t->first = 0;
}

/* seq, sent at sent_ns, lies strictly inside range i: replace it by
 * [lo, seq-1] and [seq+1, hi]. Returns 0, or -1 if making room forgot the
 * range (seq is then a duplicate). */
static int tracker_split(struct tracker *t, uint32_t i, uint32_t seq, uint64_t sent_ns)
{
    uint32_t left = i - t->first;
    uint32_t right = t->first + t->count - 1 - i;

    if (t->first > 0 && left < right) {
        /* Shift gaps[first .. i] down one slot: range i now sits at i - 1 and i. */
        struct tracker_gap g = t->gaps[i];
        memmove(&t->gaps[t->first - 1], &t->gaps[t->first], (size_t)(left + 1) * sizeof *t->gaps);
        t->first--;
        t->gaps[i - 1] = (struct tracker_gap){ g.lo, seq - 1, g.before_ns, sent_ns };
        t->gaps[i] = (struct tracker_gap){ seq + 1, g.hi, sent_ns, g.after_ns };
    } else {
        if (tracker_make_room(t) != 0 || !tracker_find(t, seq, &i))
            return -1;
        struct tracker_gap g = t->gaps[i];
        right = t->first + t->count - 1 - i;
        memmove(&t->gaps[i + 2], &t->gaps[i + 1], (size_t)right * sizeof *t->gaps);
        t->gaps[i] = (struct tracker_gap){ g.lo, seq - 1, g.before_ns, sent_ns };
        t->gaps[i + 1] = (struct tracker_gap){ seq + 1, g.hi, sent_ns, g.after_ns };
    }
    t->count++;
    return 0;
}

enum tracker_outcome tracker_record_slow(struct tracker *t, uint32_t seq, uint64_t sent_ns)
{
    if ((uint64_t)seq > t->next) {
        if (t->next == 0)
            t->lowest = seq;        /* the first message, and not seq 0 */
        uint64_t size = (uint64_t)seq - t->next;
        if (tracker_make_room(t) == 0) {
            t->gaps[t->first + t->count] =
                (struct tracker_gap){ (uint32_t)t->next, seq - 1, t->next ? t->last_ns : 0, sent_ns };
            t->count++;
            t->missing += size;
            if (t->count > TRACKER_MAX_GAPS)
                tracker_drop_oldest(t);
        } else {
            t->forgotten += size;   /* no memory at all: cannot remember this gap */
        }
        t->next = (uint64_t)seq + 1;
        t->last_ns = sent_ns;
        return TRACKER_IN_ORDER;
    }

    /* seq < next (seq == next is the inline fast path). */
    uint32_t i;
    if (!tracker_find(t, seq, &i)) {
        t->duplicates++;
        return TRACKER_DUPLICATE;
    }
    struct tracker_gap *g = &t->gaps[i];
    if (g->lo == g->hi) {
        tracker_remove(t, i);
    } else if (seq == g->lo) {
        g->lo++;
        g->before_ns = sent_ns;
    } else if (seq == g->hi) {
        g->hi--;
        g->after_ns = sent_ns;
    } else if (tracker_split(t, i, seq, sent_ns) != 0) {
        t->duplicates++;            /* its range was just forgotten */
        return TRACKER_DUPLICATE;
    }
    if (seq < t->lowest)
        t->lowest = seq;
    t->missing--;
    t->out_of_order++;
    if (t->count > TRACKER_MAX_GAPS)
        tracker_drop_oldest(t);
    return TRACKER_OUT_OF_ORDER;
}

uint64_t tracker_lost(const struct tracker *t, uint64_t expected)
{
    uint64_t received = tracker_received(t);

    if (expected == UINT64_MAX)
        return t->next - received;
    if (expected >= t->next)
        return expected - received;

    /* Seqs >= expected were received: count only the gaps below expected. */
    uint64_t lost = 0;
    for (uint32_t i = t->first; i < t->first + t->count; i++) {
        const struct tracker_gap *g = &t->gaps[i];
        if (g->lo >= expected)
            break;
        uint64_t hi = g->hi < expected ? g->hi : expected - 1;
        lost += hi - g->lo + 1;
    }
    return lost;
}

int tracker_set_init(struct tracker_set *set, size_t initial_capacity, size_t max_publishers)
{
    size_t n = initial_capacity < max_publishers ? initial_capacity : max_publishers;

    *set = (struct tracker_set){ .trackers = NULL, .count = 0, .max_publishers = max_publishers, .base = 0 };
    if (n == 0)
        return 0;
    if (n > SIZE_MAX / sizeof *set->trackers)
        return -1;
    set->trackers = malloc(n * sizeof *set->trackers);
    if (!set->trackers)
        return -1;
    for (size_t i = 0; i < n; i++)
        tracker_init(&set->trackers[i]);
    set->count = n;
    return 0;
}

void tracker_set_free(struct tracker_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        tracker_free(&set->trackers[i]);
    for (size_t i = 0; i < set->nfar; i++)
        tracker_free(&set->far[i].t);
    free(set->trackers);
    free(set->far);
    set->trackers = NULL;
    set->count = 0;
    set->far = NULL;
    set->nfar = set->far_cap = 0;
}

int tracker_set_range(struct tracker_set *set, uint32_t base, size_t capacity)
{
    size_t max = set->max_publishers;
    tracker_set_free(set);
    if (base >= max) return -1;
    if (capacity > max - base) capacity = max - base;
    if (tracker_set_init(set, capacity, max - base) != 0) return -1;
    set->max_publishers = max;
    set->base = base;
    return 0;
}

/* First far entry with index >= pub_index (binary search). */
static size_t far_find(const struct tracker_set *set, uint32_t pub_index)
{
    size_t lo = 0, hi = set->nfar;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set->far[mid].index < pub_index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The far tracker of pub_index, created when missing; NULL when the far
 * array is full or cannot grow. */
static struct tracker *far_tracker(struct tracker_set *set, uint32_t pub_index)
{
    size_t k = far_find(set, pub_index);
    if (k < set->nfar && set->far[k].index == pub_index)
        return &set->far[k].t;
    if (set->nfar == TRACKER_SET_MAX_FAR)
        return NULL;
    if (set->nfar == set->far_cap) {
        size_t ncap = set->far_cap ? set->far_cap * 2 : TRACKER_SET_INITIAL;
        if (ncap > TRACKER_SET_MAX_FAR)
            ncap = TRACKER_SET_MAX_FAR;
        struct tracker_far *p = realloc(set->far, ncap * sizeof *p);
        if (!p)
            return NULL;
        set->far = p;
        set->far_cap = ncap;
    }
    memmove(&set->far[k + 1], &set->far[k], (set->nfar - k) * sizeof *set->far);
    set->far[k].index = pub_index;
    tracker_init(&set->far[k].t);
    set->nfar++;
    return &set->far[k].t;
}

/* Grow the dense array to n slots; far entries now inside it move in. */
static int dense_grow(struct tracker_set *set, size_t n)
{
    if (n > SIZE_MAX / sizeof *set->trackers)
        return -1;
    struct tracker *p = realloc(set->trackers, n * sizeof *p);
    if (!p)
        return -1;
    for (size_t i = set->count; i < n; i++)
        tracker_init(&p[i]);
    set->trackers = p;
    set->count = n;
    size_t moved = 0;
    while (moved < set->nfar && set->far[moved].index - set->base < n) {
        p[set->far[moved].index - set->base] = set->far[moved].t;
        moved++;
    }
    if (moved) {
        memmove(set->far, set->far + moved, (set->nfar - moved) * sizeof *set->far);
        set->nfar -= moved;
    }
    return 0;
}

int tracker_set_record_grow(struct tracker_set *set, uint32_t pub_index, uint32_t seq, uint64_t sent_ns)
{
    if (pub_index >= set->max_publishers || pub_index < set->base)
        return -1;
    size_t idx = (size_t)(pub_index - set->base);
    size_t limit = set->max_publishers - set->base;
    if (idx < set->count)
        return (int)tracker_record(&set->trackers[idx], seq, sent_ns);
    if (idx < 2 * set->count + TRACKER_SET_INITIAL) {
        /* Near the end: publishers appearing one after another. */
        size_t n = set->count * 2;
        if (n < idx + 1)
            n = idx + 1;
        if (n < TRACKER_SET_INITIAL)
            n = TRACKER_SET_INITIAL;
        if (n > limit)
            n = limit;
        if (dense_grow(set, n) != 0)
            return -1;
        return (int)tracker_record(&set->trackers[idx], seq, sent_ns);
    }
    struct tracker *t = far_tracker(set, pub_index);
    return t ? (int)tracker_record(t, seq, sent_ns) : -1;
}

const struct tracker *tracker_set_get(const struct tracker_set *set, uint32_t pub_index)
{
    uint32_t i = pub_index - set->base;
    if (i < set->count)
        return &set->trackers[i];
    if (pub_index < set->base)
        return NULL;
    size_t k = far_find(set, pub_index);
    return k < set->nfar && set->far[k].index == pub_index ? &set->far[k].t : NULL;
}

size_t tracker_set_size(const struct tracker_set *set)
{
    return set->count + set->nfar;
}

const struct tracker *tracker_set_at(const struct tracker_set *set, size_t i, uint32_t *pub_index)
{
    if (i < set->count) {
        *pub_index = set->base + (uint32_t)i;
        return &set->trackers[i];
    }
    i -= set->count;
    if (i >= set->nfar)
        return NULL;
    *pub_index = set->far[i].index;
    return &set->far[i].t;
}

void tracker_set_totals(const struct tracker_set *set, struct tracker_totals *out)
{
    *out = (struct tracker_totals){ 0 };
    uint32_t index;
    for (size_t i = 0; i < tracker_set_size(set); i++) {
        const struct tracker *t = tracker_set_at(set, i, &index);
        if (t->next == 0)
            continue;
        out->publishers_seen++;
        out->received += tracker_received(t);
        out->duplicates += t->duplicates;
        out->out_of_order += t->out_of_order;
        out->missing += t->missing;
        out->forgotten += t->forgotten;
    }
}

/* A range of seqs seen, [lo, hi). */
struct seen_range {
    uint64_t lo, hi;
};

static int range_cmp(const void *a, const void *b)
{
    const struct seen_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int tracker_union(const struct tracker *const *ts, size_t n, uint64_t limit, uint64_t *below, uint64_t *all)
{
    *below = *all = 0;
    size_t total = 0;
    for (size_t k = 0; k < n; k++)
        if (ts[k] && ts[k]->next)
            total += (size_t)ts[k]->count + 1;
    if (!total)
        return 0;
    struct seen_range *r = malloc(total * sizeof *r);
    if (!r)
        return -1;
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        const struct tracker *t = ts[k];
        if (!t || !t->next)
            continue;
        uint64_t from = t->lowest;   /* seen: [lowest, next) less the live gaps */
        for (uint32_t g = 0; g < t->count; g++) {
            const struct tracker_gap *gap = &t->gaps[t->first + g];
            if (gap->lo > from)
                r[m++] = (struct seen_range){ from, gap->lo };
            if ((uint64_t)gap->hi + 1 > from)
                from = (uint64_t)gap->hi + 1;
        }
        if (t->next > from)
            r[m++] = (struct seen_range){ from, t->next };
    }
    qsort(r, m, sizeof *r, range_cmp);
    uint64_t lo = 0, hi = 0;   /* the merged range being built; empty when lo == hi */
    for (size_t i = 0; i <= m; i++) {
        if (i < m && r[i].lo <= hi && hi > lo) {
            if (r[i].hi > hi)
                hi = r[i].hi;
            continue;
        }
        if (hi > lo) {
            *all += hi - lo;
            if (lo < limit)
                *below += (hi < limit ? hi : limit) - lo;
        }
        if (i < m) {
            lo = r[i].lo;
            hi = r[i].hi;
        }
    }
    free(r);
    return 0;
}
