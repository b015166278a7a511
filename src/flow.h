/* flow: the pace of publishers in `both`. Two policies live here, as pure
 * functions on plain numbers (no libmosquitto, no threads), plus the shared
 * counters the worker threads feed them with:
 *
 *  - pacing (--rate): every publisher on an absolute schedule;
 *  - flow control (--backlog): a publisher pauses while a receiver that
 *    should hear it is `backlog` messages or more behind. A receiver is a
 *    plain subscriber, or a share group counted once.
 *
 * "Behind" counts publishes issued (handed to libmosquitto: a QoS 1/2
 * message may arrive before its publisher's ack) against a receiver's
 * progress. A subscriber's progress is its frontier (highest sequence seen
 * + 1, summed over publishers), so lost messages do not hold publishers. A
 * share group's progress is what its members received in all: each member
 * sees sequences near the head while the others lag (the broker deals the
 * messages out as they arrive), so frontiers, summed or not, would call a
 * group that is far behind caught up. A group that loses `backlog` messages
 * or more therefore holds the publishers until the run stalls. Warm-up
 * messages count on both sides. */
#ifndef MB_FLOW_H
#define MB_FLOW_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "topology.h"

/* Flow control is on: `both`, a --backlog, no --rate. */
bool flow_enabled(const struct mb_config *cfg);

/* The default --backlog for cfg's mode and QoS (0 outside `both`): 500 at
 * QoS 0 (half of mosquitto's default max_queued_messages); 10 when publishing
 * at QoS 1 (mosquitto 2.0.11 drops QoS 1 messages for a subscriber fed by two
 * or more publishers once about 20 wait for it); 100 when publishing at QoS 2
 * (no loss measured there, and up to 1.7x the rate of 10). */
uint64_t flow_default_backlog(const struct mb_config *cfg);

/* The default --coalesce: 100 us in `both` without --rate at QoS 0, else 0.
 * A subscriber that reads as soon as a message arrives wakes for every one
 * or two: each wake-up costs it a context switch and the broker a segment
 * and an ACK of its own (docs/performance.md). Waiting a little after a
 * wake-up that found messages lets the next read find many. It adds at most
 * that wait to a message's latency, and only while messages keep coming: a
 * paced run's latency must stay untouched, and a lone `sub` cannot know
 * whether its publishers are paced, so both default to 0. */
uint64_t flow_default_coalesce_ns(const struct mb_config *cfg);

/* Paced: monotonic time (ns) message seq of publisher index is due: t0 +
 * the publisher's offset within a slot (slot_ns * index / publishers) + seq
 * slots. */
uint64_t flow_due_ns(uint64_t t0_ns, uint64_t slot_ns, uint32_t publishers, uint32_t index, uint32_t seq);

/* Every receiver is one subscriber that hears every publisher: each
 * publisher may issue ceil((backlog - behind) / publishers) more, where
 * behind = issued (all publishers) - the slowest subscriber's frontier.
 * UINT64_MAX when there is no subscriber (min_frontier UINT64_MAX). */
uint64_t flow_uniform_allowance(uint64_t backlog, uint64_t issued, uint64_t min_frontier, uint64_t publishers);

/* The room of `mine` of the publishers in the uniform case:
 * ceil((backlog - behind) * mine / publishers); UINT64_MAX when there is no
 * subscriber. flow_uniform_allowance is the room of one. */
uint64_t flow_uniform_room(uint64_t backlog, uint64_t issued, uint64_t min_frontier, uint64_t publishers,
                           uint64_t mine);

/* Deal a worker's room (flow_uniform_room of its n publishers) out in bursts
 * of up to `burst`, instead of an even share each: with many publishers the
 * even share is a few messages, every publisher's few cost a write() of
 * their own (100 publishers on one subscriber with a window of 500: 5
 * messages a syscall), and a share rounded up to 1 lets n messages out
 * where the room was less (100 publishers, window 10: 100 in flight, and
 * mosquitto drops QoS 1 messages past about 20). Only the publishers with
 * ready[i] take part; out[i] is what publisher i may issue now (0 for the
 * others). The deal starts at publisher `start` and goes round; returns
 * where the next deal should start, so that every publisher has its turn. */
size_t flow_deal(uint64_t room, size_t n, uint64_t burst, const bool *ready, size_t start, uint64_t *out);

/* Each receiver's progress into progress[t->nreceivers], from every
 * subscriber's frontier and received count (indexed by subscriber). */
void flow_receiver_progress(const struct topology *t, const uint64_t *sub_frontier, const uint64_t *sub_received,
                            uint64_t *progress);

/* Per publisher (allow[t->npubs]): how many more messages it may issue now.
 * For each receiver r, remaining = backlog - (what the publishers it hears
 * issued - progress[r]), shared evenly (rounded up) among those publishers;
 * a publisher gets the least share of the receivers that hear it, and
 * UINT64_MAX when none does. So a receiver's outstanding deliveries stay
 * below backlog + (publishers it hears - 1). */
void flow_allowances(const struct topology *t, uint64_t backlog, const uint64_t *pub_issued,
                     const uint64_t *progress, uint64_t *allow);

/* The shared state of flow control in one `both` run. Each live counter is
 * written by the worker that owns the client, read by every worker. */
struct flow {
    uint64_t backlog;                /* messages */
    const struct topology *topo;     /* who should hear whom */
    bool uniform;                    /* every subscriber hears every publisher, no share
                                        groups: only the slowest subscriber matters */
    size_t nworkers;
    struct flow_worker {             /* uniform: one worker's totals */
        _Atomic uint64_t issued;     /* its publishers' issued messages */
        _Atomic uint64_t min_frontier; /* its subscribers' least frontier; UINT64_MAX if none */
        _Atomic int held;            /* its publishers wait for room: wake it when there is some */
        int wakefd;                  /* its wake-up eventfd (worker.c) */
        char pad[40];                /* a cache line each */
    } *workers;
    _Atomic uint64_t *pub_issued;    /* otherwise: [npubs] by publisher index */
    _Atomic uint64_t *sub_frontier;  /* [nsubs] by subscriber index */
    _Atomic uint64_t *sub_received;  /* [nsubs] */
};

/* Set up flow control for backlog over topology t (not copied: must outlive
 * f) with nworkers workers. Returns 0, or -1 with err filled. */
int flow_init(struct flow *f, uint64_t backlog, const struct topology *t, size_t nworkers, char *err, size_t errlen);
void flow_free(struct flow *f);

/* Room is half of what an empty window allows (`empty`) or more: the
 * window drained. UINT64_MAX (no subscriber) counts as free. */
bool flow_half_free(uint64_t room, uint64_t empty);

/* A run is paced by the flow window when its publishers were held by it
 * for more than half of their publishing time. */
bool flow_paced_by_window(double held_s, double pub_duration_s);

#endif
