/* Delivery accounting: receiver by receiver, publisher by publisher; see
 * accounting.h for the words. */
#include "accounting.h"

#include <stdlib.h>
#include <string.h>

enum basis {
    BASIS_PER_PUBLISHER,    /* each publisher's sent count is known */
    BASIS_COUNT,            /* each receiver expects a total (--count) */
    BASIS_GAPS,             /* nothing is known of what was sent */
};

/* One accounting pass: the rules, and what the receivers should hear. */
struct pass {
    const struct topology *tp;
    const struct tracker_set *const *subs;
    enum basis basis;
    bool tail_waited;
    uint64_t count;                 /* BASIS_COUNT */
    const uint64_t *sent;           /* BASIS_PER_PUBLISHER: by publisher index */
    size_t npubs;                   /* entries in sent */
    bool by_topology;               /* `both`: receiver r hears tp->matches[r] only */
    struct delivery_outages *ob;    /* --reconnect: outages to give losses to; NULL: none */
};

/* What receiver r should get from publisher p; UINT64_MAX when unknown or
 * when r should not hear p. */
static uint64_t expected_of(const struct pass *ps, size_t r, uint32_t p)
{
    if (ps->basis != BASIS_PER_PUBLISHER || p >= ps->npubs) return UINT64_MAX;
    if (ps->by_topology && !topology_match_has(&ps->tp->matches[r], p)) return UINT64_MAX;
    return ps->sent[p];
}

/* Expected messages that did not arrive: all lost when the run waited for
 * the tail; else lost only as far as gaps prove it, the rest in flight. */
static uint64_t add_missing(const struct pass *ps, uint64_t missing, uint64_t proven, struct delivery *d)
{
    if (ps->tail_waited) {
        d->lost += missing;
        return missing;
    }
    uint64_t lost = proven < missing ? proven : missing;
    d->lost += lost;
    d->in_flight += missing - lost;
    return lost;
}

/* n messages lost, sent between from_ns and to_ns: to the outage that owns
 * them, else outside. */
static void give(struct delivery_outages *ob, uint64_t n, uint64_t from_ns, uint64_t to_ns)
{
    size_t k = outage_owner(ob->w, ob->n, from_ns, to_ns);
    if (k < ob->n) ob->count[k].lost += n;
    else ob->outside.lost += n;
}

/* A plain subscriber lost `lost` messages of a publisher that sent e, t its
 * tracker (NULL: nothing arrived): gap by gap below e, then the tail when
 * the run waited for it. What is left (ranges gap tracking forgot, whose
 * send times are gone) is outside. */
static void give_loss(const struct pass *ps, const struct tracker *t, uint64_t e, uint64_t lost)
{
    struct delivery_outages *ob = ps->ob;
    uint64_t given = 0;
    for (uint32_t i = 0; t && i < t->count && given < lost; i++) {
        const struct tracker_gap *g = &t->gaps[t->first + i];
        if (g->lo >= e) break;
        uint64_t n = (g->hi < e ? (uint64_t)g->hi : e - 1) - g->lo + 1;
        if (n > lost - given) n = lost - given;
        give(ob, n, g->before_ns, g->after_ns);
        given += n;
    }
    uint64_t next = t ? t->next : 0;
    if (ps->tail_waited && e > next && given < lost) {
        uint64_t n = e - next < lost - given ? e - next : lost - given;
        give(ob, n, next ? t->last_ns : 0, UINT64_MAX);
        given += n;
    }
    ob->outside.lost += lost - given;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The publisher indexes receiver r's members saw, plus those it should hear,
 * sorted and unique, in *out (caller frees). Returns how many, or -1. */
static long receiver_publishers(const struct pass *ps, const struct tracker_set *const *members, size_t nm,
                                size_t r, uint32_t **out)
{
    size_t n = ps->basis == BASIS_PER_PUBLISHER ? ps->npubs : 0;
    for (size_t k = 0; k < nm; k++) n += tracker_set_size(members[k]);
    uint32_t *idx = malloc((n ? n : 1) * sizeof(*idx));
    if (!idx) return -1;
    size_t m = 0;
    for (size_t k = 0; k < nm; k++) {
        uint32_t p;
        for (size_t i = 0; i < tracker_set_size(members[k]); i++)
            if (tracker_set_at(members[k], i, &p)->next) idx[m++] = p;
    }
    for (size_t p = 0; ps->basis == BASIS_PER_PUBLISHER && p < ps->npubs; p++)
        if (expected_of(ps, r, (uint32_t)p) != UINT64_MAX) idx[m++] = (uint32_t)p;
    qsort(idx, m, sizeof(*idx), cmp_u32);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (!u || idx[u - 1] != idx[i]) idx[u++] = idx[i];
    *out = idx;
    return (long)u;
}

/* Receiver r: its members' trackers, publisher by publisher. */
static int account_receiver(const struct pass *ps, size_t r, const struct tracker_set *const *members, size_t nm,
                            const struct tracker **ts, struct delivery *d)
{
    uint32_t *pubs = NULL;
    long np = receiver_publishers(ps, members, nm, r, &pubs);
    if (np < 0) return -1;
    uint64_t received = 0, proven = 0;   /* this receiver: unique received, gaps seen */
    int rc = 0;
    for (long i = 0; i < np; i++) {
        uint32_t p = pubs[i];
        uint64_t e = expected_of(ps, r, p);
        uint64_t all, missing = 0, gaps = 0, skipped = 0;
        if (nm == 1) {
            /* A plain subscriber: the broker delivers in order, so a gap
             * below the highest sequence number seen is a message lost. */
            const struct tracker *t = tracker_set_get(members[0], p);
            all = t ? tracker_received(t) : 0;
            if (e != UINT64_MAX) missing = t ? tracker_lost(t, e) : e;
            gaps = t ? tracker_lost(t, UINT64_MAX) : 0;
            skipped = t ? tracker_skipped(t) : 0;
        } else {
            /* A share group: a message counts once however many members got
             * it; a member's gaps prove nothing (another member had them). */
            uint64_t sum = 0, below;
            for (size_t k = 0; k < nm; k++) {
                ts[k] = tracker_set_get(members[k], p);
                if (ts[k]) sum += tracker_received(ts[k]);
            }
            if (tracker_union(ts, nm, e, &below, &all) != 0) {
                rc = -1;
                break;
            }
            d->shared_copies += sum - all;
            if (e != UINT64_MAX) missing = e > below ? e - below : 0;
        }
        received += all;
        if (e != UINT64_MAX) {
            d->expected += e;
            uint64_t lost = add_missing(ps, missing, gaps, d);
            if (ps->ob && nm == 1) give_loss(ps, tracker_set_get(members[0], p), e, lost);
            else if (ps->ob) ps->ob->outside.lost += lost;
        } else if (ps->basis == BASIS_GAPS) {
            d->lost += skipped;   /* the tail, and what came before the first seen, unknown */
            if (ps->ob) ps->ob->outside.lost += skipped;
        }
        proven += gaps;
    }
    free(pubs);
    d->received += received;
    if (rc == 0 && ps->basis == BASIS_COUNT) {
        d->expected += ps->count;
        uint64_t lost = add_missing(ps, ps->count > received ? ps->count - received : 0, nm == 1 ? proven : 0, d);
        if (ps->ob) ps->ob->outside.lost += lost;
    }
    return rc;
}

static int account(const struct pass *ps, bool complete, struct delivery *d)
{
    const struct topology *tp = ps->tp;
    memset(d, 0, sizeof(*d));
    if (ps->ob) {
        memset(ps->ob->count, 0, ps->ob->n * sizeof(*ps->ob->count));
        ps->ob->outside = (struct outage_count){ 0 };
    }
    for (size_t j = 0; j < tp->nsubs; j++) {
        if (!ps->subs[j]) continue;
        struct tracker_totals tt;
        tracker_set_totals(ps->subs[j], &tt);
        d->duplicates += tt.duplicates;
        d->out_of_order += tt.out_of_order;
        d->forgotten += tt.forgotten;
    }
    const struct tracker_set **members = calloc(tp->nsubs + 1, sizeof(*members));
    const struct tracker **ts = calloc(tp->nsubs + 1, sizeof(*ts));
    int rc = members && ts ? 0 : -1;
    for (size_t r = 0; rc == 0 && r < tp->nreceivers; r++) {
        size_t nm = 0;
        for (size_t j = 0; j < tp->nsubs; j++)
            if (tp->sub_receiver[j] == r && ps->subs[j]) members[nm++] = ps->subs[j];
        rc = account_receiver(ps, r, members, nm, ts, d);
    }
    free(members);
    free(ts);
    d->duplicates += d->shared_copies;
    if (ps->ob) {
        uint64_t owned = outage_count_flights(ps->ob->w, ps->ob->n, ps->ob->flights, ps->ob->nflights, ps->ob->count);
        ps->ob->outside.duplicates = d->duplicates > owned ? d->duplicates - owned : 0;
    }
    d->expected_known = ps->basis != BASIS_GAPS;
    d->lost_exact = d->expected_known && complete && d->forgotten == 0 && d->in_flight == 0;
    return rc;
}

int accounting_both(const struct topology *tp, const struct tracker_set *const *subs, const uint64_t *sent,
                    bool tail_waited, struct delivery *out, struct delivery_outages *outages)
{
    struct pass ps = { .tp = tp, .subs = subs, .basis = BASIS_PER_PUBLISHER, .tail_waited = tail_waited,
                       .sent = sent, .npubs = tp->npubs, .by_topology = true, .ob = outages };
    return account(&ps, true, out);
}

int accounting_sub(const struct topology *tp, const struct tracker_set *const *subs,
                   const struct accounting_sub_basis *basis, struct delivery *out,
                   struct delivery_outages *outages)
{
    struct pass ps = { .tp = tp, .subs = subs, .tail_waited = basis->tail_waited, .ob = outages };
    if (basis->sent) {
        ps.basis = BASIS_PER_PUBLISHER;
        ps.sent = basis->sent;
        ps.npubs = basis->npubs;
    } else if (basis->count_given) {
        ps.basis = BASIS_COUNT;
        ps.count = basis->count;
    } else {
        ps.basis = BASIS_GAPS;
    }
    return account(&ps, basis->sent ? basis->complete : true, out);
}
