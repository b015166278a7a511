/* outage: losses grouped into outages (see outage.h). */
#include "outage.h"

#include <stdbool.h>
#include <stdlib.h>

static int by_lost(const void *a, const void *b)
{
    const struct outage_event *x = a, *y = b;
    return x->lost_ns < y->lost_ns ? -1 : x->lost_ns > y->lost_ns;
}

/* The first message received after o ended, from marks set while it was
 * ending (a mark's back_ns falls inside the outage). */
static uint64_t first_rx(const struct outage *o, const struct outage_rx *rx, size_t nrx)
{
    uint64_t best = 0;
    for (size_t i = 0; i < nrx; i++)
        if (rx[i].back_ns >= o->start_ns && rx[i].back_ns <= o->end_ns && rx[i].rx_ns >= o->end_ns &&
            (!best || rx[i].rx_ns < best))
            best = rx[i].rx_ns;
    return best;
}

size_t outage_group(struct outage_event *ev, size_t n, const struct outage_rx *rx, size_t nrx, struct outage *out,
                    size_t max)
{
    qsort(ev, n, sizeof(*ev), by_lost);
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        /* ev[i..j) is one outage: each loss comes before every earlier
         * client of it is back */
        uint64_t end = 0;
        bool open = false;
        size_t j = i;
        for (; j < n && (j == i || open || ev[j].lost_ns <= end); j++) {
            if (!ev[j].back_ns) open = true;
            else if (ev[j].back_ns > end) end = ev[j].back_ns;
        }
        if (k < max) {
            struct outage *o = &out[k];
            o->start_ns = ev[i].lost_ns;
            o->end_ns = open ? 0 : end;
            o->clients = (uint32_t)(j - i);
            hist_init(&o->reconnect);
            for (size_t e = i; e < j; e++)
                if (ev[e].back_ns) hist_record(&o->reconnect, ev[e].back_ns - ev[e].lost_ns);
            o->flowing_ns = open ? 0 : first_rx(o, rx, nrx);
        }
        k++;
        i = j;
    }
    return k;
}

size_t outage_owner(const struct outage_window *w, size_t n, uint64_t from_ns, uint64_t to_ns)
{
    for (size_t k = 0; k < n; k++)
        if (w[k].start_ns <= to_ns && (!w[k].end_ns || w[k].end_ns >= from_ns)) return k;
    return n;
}

uint64_t outage_count_flights(const struct outage_window *w, size_t n, const struct outage_flight *f, size_t nf,
                              struct outage_count *counts)
{
    uint64_t owned = 0;
    for (size_t i = 0; i < nf; i++) {
        size_t k = outage_owner(w, n, f[i].from_ns, f[i].to_ns);
        if (k == n) continue;
        if (f[i].duplicate) {
            counts[k].duplicates++;
            owned++;
        } else {
            counts[k].redelivered++;
        }
    }
    return owned;
}
