/* outage: --reconnect's losses grouped into outages, pure (no I/O). Every
 * lost connection is an event (lost, back); events whose intervals overlap
 * (one client lost before another is back) make one outage, from the first
 * loss to the last client back. */
#ifndef MB_OUTAGE_H
#define MB_OUTAGE_H

#include <stdbool.h>
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

/* An outage's interval, for attributing messages to it (monotonic ns). */
struct outage_window {
    uint64_t start_ns;
    uint64_t end_ns;            /* 0: open (a client never came back) */
};

/* A message a subscriber logged for the outages (client.c): a duplicate,
 * from its send time to its arrival; or a redelivered one (see
 * outage_count), over the down time of the subscriber it crossed. */
struct outage_flight {
    uint64_t from_ns, to_ns;
    bool duplicate;
};

/* What became of the messages an outage owns. */
struct outage_count {
    uint64_t lost;              /* never arrived */
    uint64_t duplicates;        /* extra copies */
    uint64_t redelivered;       /* unique messages a subscriber received after its reconnect
                                   that were sent before it lost its connection: its session
                                   (or a publisher's resend) carried them across */
};

/* The rule that gives a message to an outage: the first of the n windows
 * (in time order) that overlaps [from_ns, to_ns], the time the message was
 * in the system: sent (or, for a message lost in a gap, the send time of the
 * last one seen before it; 0: none) until received (for a lost one, the
 * send time of the first one seen after it; UINT64_MAX: none). Returns n
 * when none overlaps (the message is outside every outage). */
size_t outage_owner(const struct outage_window *w, size_t n, uint64_t from_ns, uint64_t to_ns);

/* Add the nf flights to counts[] (one per window), each to the outage
 * outage_owner names: duplicates and redelivered. Returns the duplicates
 * given to an outage. */
uint64_t outage_count_flights(const struct outage_window *w, size_t n, const struct outage_flight *f, size_t nf,
                              struct outage_count *counts);

#endif
