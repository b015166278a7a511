/* outage: --reconnect's losses grouped into outages, pure (no I/O). Every
 * lost connection is an event (lost, back); events whose intervals overlap
 * (one client lost before another is back) make one outage, from the first
 * loss to the last client back. */
#ifndef MB_OUTAGE_H
#define MB_OUTAGE_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"

/* One client's lost connection (monotonic ns); back_ns 0: never back. */
struct outage_event {
    uint64_t lost_ns, back_ns;
};

/* A worker's first message received at or after back_ns, a moment every
 * client of the run was back (the last one's reconnect time). */
struct outage_rx {
    uint64_t back_ns, rx_ns;
};

struct outage {
    uint64_t start_ns;          /* the first client saw its connection lost */
    uint64_t end_ns;            /* the last client hit was back; 0: not every one came back */
    uint64_t flowing_ns;        /* the first message received after end_ns; 0: none */
    uint32_t clients;           /* connections lost in it */
    struct hist reconnect;      /* per connection: lost to back */
};

/* Group n events (sorted here, by lost_ns) into at most max outages in
 * out[] (each initialized here), with the first message received after
 * each from rx[]. Returns the number of outages there were (more than max:
 * only the first max are filled). */
size_t outage_group(struct outage_event *ev, size_t n, const struct outage_rx *rx, size_t nrx, struct outage *out,
                    size_t max);

#endif
