/* worker: one thread, one epoll loop, many clients. The main thread steers
 * workers through a shared phase and reads them through per-second snapshots;
 * everything else a worker measures is merged only after it has joined. */
#ifndef MB_WORKER_H
#define MB_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "hist.h"
#include "stats.h"

/* What a worker hands over once per progress tick. */
struct worker_snapshot {
    uint64_t sent;          /* completed publishes so far */
    uint64_t received;      /* unique messages received so far */
    struct hist lat_tick;   /* latencies recorded since the previous tick */
};

struct worker {
    int id;
    pthread_t thread;
    bool started;
    _Atomic int *phase;     /* owned by the run, shared by all workers */
    struct stats st;        /* written only by this worker's thread */
    struct client_env env;
    struct client *clients; /* publishers first, then subscribers, then the $SYS client */
    size_t nclients, cap;
    size_t npubs;
    struct client **pending;    /* clients with buffered input to read next turn */
    size_t npending;

    /* flow control (env.flow): this worker's view, refreshed every loop turn */
    uint64_t *allow;            /* [npubs]: what each of its publishers may still issue */
    bool *ready;                /* [npubs]: due to publish this turn (flow_deal) */
    size_t deal_next;           /* the publisher the next flow_deal starts at */
    uint64_t room;              /* uniform flow: what its publishers may issue in all */
    uint64_t last_min;          /* its subscribers' least frontier last published */
    uint64_t *fl_issued, *fl_allow;        /* [topology npubs] */
    uint64_t *fl_frontier, *fl_received;   /* [topology nsubs] */
    uint64_t *fl_progress;      /* [topology nreceivers] */
    uint64_t *fl_empty;         /* [topology npubs]: fl_allow with nothing in flight */
    bool drained;               /* this turn found half its window free or more (see flow_held) */
    uint64_t held_since_ns;     /* the window full since then (see flow_held); 0 = not */
    bool held_counting;         /* ... and counted as holding the publishers */

    uint64_t cpu_measure_ns;    /* thread CPU time when the measured phase began */

    /* conn (conn.h): this worker's part of the schedule; its clients are slots */
    uint64_t conn_next;         /* the next connect k it makes (k mod conn_nworkers == id) */
    uint64_t conn_total;        /* connects in the whole run */
    size_t conn_nworkers;
    bool conn_starved;          /* a connect was due with every slot busy, and the schedule not caught up */
    uint64_t cpu_end_ns;        /* thread CPU time when the thread left */

    int wakefd;                 /* eventfd in the worker's epoll set: main pokes it so a
                                   phase change or snapshot request is seen at once */
    _Atomic uint32_t tick_req;  /* main bumps it to ask for a snapshot */
    _Atomic uint32_t tick_ack;  /* the worker stores tick_req here once snap is filled */
    struct worker_snapshot snap;
};

/* Prepare worker id for up to max_clients clients. env_template carries the
 * run-wide fields of struct client_env (cfg, address, clock, run tag, pacing);
 * the worker completes it with its own stats, scratch buffer and epoll fd.
 * Returns 0, or -1 with err filled. */
int worker_init(struct worker *w, int id, size_t max_clients, const struct client_env *env_template,
                _Atomic int *phase, char *err, size_t errlen);

/* Add one client before worker_start (publishers must be added first);
 * topic is its publish topic or subscription filter (not copied).
 * Returns 0, or -1 with err filled. */
int worker_add_client(struct worker *w, enum client_role role, uint32_t index, const char *topic,
                      uint32_t quota, char *err, size_t errlen);

/* The --coalesce wait of w's loop (flow.h): the configured one on a thread
 * that holds subscribers and no publisher, else 0 (a wait would hold the
 * publishers). Known once the clients are added. */
uint64_t worker_coalesce_ns(const struct worker *w);

/* Start the thread. Returns 0, or -1 with err filled. */
int worker_start(struct worker *w, char *err, size_t errlen);

/* Wake the worker's loop now (after changing the phase). */
void worker_wake(struct worker *w);

/* Ask for a snapshot (call on every worker, then wait on each). */
void worker_request_snapshot(struct worker *w);

/* Wait up to timeout_ms for the snapshot asked last; returns 0 when it is in
 * w->snap, -1 on timeout. */
int worker_wait_snapshot(struct worker *w, int timeout_ms);

/* Join the thread (after the phase became PHASE_STOP). */
void worker_join(struct worker *w);

/* Free clients, trackers, buffers and the epoll fd. */
void worker_destroy(struct worker *w);

#endif
