/* control: the run's control plane over the broker, for `pub` and `sub`
 * started as separate commands (other hosts, or `both --processes`).
 *
 * Topics, under PREFIX = <--control-prefix>/<run id hex>, QoS 1, never
 * retained (some brokers, RabbitMQ 3.x among them, deliver retained messages
 * only to exact-topic subscriptions, and others refuse retained publishes):
 *   PREFIX/pub/<pid>/start   a publishing process: its publisher indexes, count, size,
 *                            QoS; sent again every second until it ends
 *   PREFIX/pub/<pid>/end     exactly what each of its publishers sent; sent again every
 *                            second until it leaves (a subscriber may have been cut off)
 *   PREFIX/pub/<pid>/abort   it leaves without an end (gave up, failed, interrupted)
 *   PREFIX/pub/<pid>/gone    its will: the broker sends it when the process vanished
 *   PREFIX/sub/<sid>/ready   a subscribing process listens, and the publishing processes
 *                            whose clock it has measured; sent again every second
 *   PREFIX/sub/<sid>/done    the subscriber has finished (publishers may leave)
 *   PREFIX/sub/<sid>/gone    its will
 *   PREFIX/clock/req/<pid>   NTP-style request from a subscriber (t1)
 *   PREFIX/clock/resp/<sid>  the publisher's answer (t1, t2 receipt, t3 send)
 * Process ids are "<hostname>-<pid>". Payloads are small JSON objects. So the
 * start order of the processes does not matter, and a process that joins late
 * learns of the others within a second.
 *
 * --reconnect: every announcement and will carries "inst" (random per process:
 * a restarted process with the same id is another participant) and "conn"
 * (which connection of its control client sent it, from 1; the will names the
 * connection it belongs to). A will of a publisher's newest connection marks
 * it down, not gone; an announcement on a newer connection brings it back. A
 * publisher neither ended nor left that has been silent for --wait-timeout,
 * while our own control client was connected, has left. On each (re)connect
 * a process announces again at once (start or end, ready).
 *
 * Everything arriving here comes from any client of the broker: every field
 * is checked (type, range) before use, and a message that fails is ignored.
 *
 * Threads: the worker that owns the control client calls control_on_message,
 * control_tick and control_flush; the main thread calls the rest. A mutex
 * guards the state (control traffic is rare; the data path never takes it),
 * except the clock-offset table, which the data path reads lock-free. No
 * library call is made while the mutex is held. */
#ifndef MB_CONTROL_H
#define MB_CONTROL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define CONTROL_MAX_PEERS 64
#define CONTROL_CLOCK_SAMPLES 32
#define CONTROL_ANNOUNCE_NS 1000000000ull  /* start and ready are sent again this often */
#define CONTROL_OUTBOX 256

/* One clock-offset estimate: peer clock + offset = our clock. */
struct control_clock {
    int64_t offset_ns;
    int64_t uncertainty_ns;   /* half the smallest round trip */
    int samples;
};

/* A publishing process as its announcements describe it. */
struct control_pub {
    char id[96];
    uint32_t first, count;      /* its publisher indexes: first .. first+count-1 */
    bool ended;
    bool left;                  /* it announced abort, or its will arrived, before an end */
    bool left_before_publishing; /* ... and it had not started publishing */
    char left_reason[300];      /* from its abort announcement; "" when none given */
    uint64_t inst;              /* its "inst" (0: it sends none, an older mqttbench) */
    uint32_t conn;              /* the newest connection of its control client we heard of */
    bool down;                  /* --reconnect: the will of that connection arrived */
    uint64_t heard_ns;          /* monotonic: when it last announced anything, or its will came */
    uint64_t *sent;             /* [count], from its end announcement */
    uint64_t sent_total;
    struct control_clock before, after;
    bool synced_before, synced_after;
};

/* A subscribing process as the publisher side sees it. */
struct control_sub {
    char id[96];
    bool ready;                 /* it announced ready */
    bool synced;                /* it has measured our clock */
    bool done;                  /* it announced done */
    bool gone;                  /* its will arrived (of its newest connection) */
    uint32_t conn;              /* the newest connection of its control client we heard of */
};

/* Lock-free offset lookup for the data path: publisher index ranges. */
struct control_offsets {
    size_t n;
    struct { uint32_t first, count; int64_t offset_ns; } r[CONTROL_MAX_PEERS];
};

/* Called by control_flush to publish one message on the control client. */
typedef int (*control_send_fn)(void *ctx, const char *topic, const char *payload, size_t len);

/* One queued control message. */
struct control_msg {
    char topic[400];
    char *payload;              /* owned; NULL for a clock answer (made at send time) */
    enum { CONTROL_MSG_PLAIN, CONTROL_MSG_CLOCK_REQ, CONTROL_MSG_CLOCK_RESP } kind;
    int64_t t1, t2;             /* clock answer: the request's t1 and its arrival t2 */
};

struct control {
    pthread_mutex_t mu;
    const struct mb_config *cfg;
    char prefix[300];
    char self_id[96];
    uint64_t inst;              /* this process, random: "inst" in what it sends */
    uint32_t conns;             /* connections of our control client so far ("conn") */
    bool up;                    /* our control client is connected */
    int64_t skew_ns;            /* MQTTBENCH_TEST_CLOCK_SKEW_NS: tests shift this clock */

    /* outbox, filled by any thread, sent by control_flush: out[head..nout) */
    struct control_msg out[CONTROL_OUTBOX];
    size_t head, nout;
    uint64_t announce_next_ns;  /* monotonic: the next periodic start/ready */
    bool announcing;            /* start (pub) or ready (sub) was announced and is repeated */
    bool left;                  /* abort or done was announced: repeat nothing */
    bool ended;                 /* pub: end was announced; it is repeated instead of start */
    uint64_t *end_sent;         /* pub: the end's counts, end_count of them from end_first */
    uint32_t end_first, end_count;
    bool publishing;            /* pub: past the start barrier */
    uint32_t start_first, start_count;

    /* subscriber side */
    struct control_pub pubs[CONTROL_MAX_PEERS];
    size_t npubs;
    char overlap[200];          /* two publishing processes announced overlapping indexes */
    int sync_peer;              /* index in pubs being measured, -1 none */
    bool sync_after;            /* the measurement is the one after the run */
    int sync_sent, sync_got;
    uint64_t sync_next_ns;
    int64_t best_rtt_ns;
    struct control_clock sync_best;
    _Atomic(struct control_offsets *) offsets;
    struct control_offsets *retired[CONTROL_MAX_PEERS + 1]; /* replaced tables: a worker may
                                                               still read one; freed at the end */
    size_t nretired;

    /* publisher side */
    struct control_sub subs[CONTROL_MAX_PEERS];
    size_t nsubs;
};

/* Set up for cfg (prefix from --control-prefix and the run id). Cannot fail. */
void control_init(struct control *c, const struct mb_config *cfg, const char *hostname);
void control_free(struct control *c);

/* Topics the control client subscribes to (for this process's role); writes up
 * to max pointers into topics (owned by c) and returns how many. */
size_t control_subscriptions(struct control *c, char topics[][400], size_t max);

/* The control client's will (sent by the broker when this process vanishes
 * without a DISCONNECT) for its next connection: its topic and payload into
 * the buffers. Set it again before every connect. */
void control_will(struct control *c, char *topic, size_t topiclen, char *payload, size_t paylen);

/* Our control client is connected and subscribed (worker thread): count the
 * connection, and after a reconnect announce again at once what the other
 * side needs (start or end, ready). */
void control_connected(struct control *c);
/* Our control client lost its connection (worker thread): until it is back,
 * a publisher's silence is not its own. */
void control_lost(struct control *c);

/* A control message arrived (worker thread). recv_ns: our wall clock at receipt.
 * Any bytes are safe here: what does not parse or is out of range is ignored. */
void control_on_message(struct control *c, const char *topic, const void *payload, size_t len,
                        uint64_t recv_ns);

/* Drive the clock measurement and the periodic announcements, and (sub,
 * --reconnect) give up on publishers silent for --wait-timeout (worker
 * thread, every loop turn). */
void control_tick(struct control *c, uint64_t now_mono_ns);

/* Send what is queued (worker thread). send is called without the mutex held. */
void control_flush(struct control *c, control_send_fn send, void *ctx);

/* Publisher side (main thread). */
void control_announce_start(struct control *c, uint32_t first, uint32_t count);
/* The start barrier passed: from now on a departure is not "before publishing". */
void control_publishing(struct control *c);
void control_announce_end(struct control *c, uint32_t first, const uint64_t *sent, uint32_t count);
/* Leaving without an end: tell the subscribers why (reason may be NULL). Once. */
void control_announce_abort(struct control *c, const char *reason);
/* Subscribers that announced ready and are still there (and, when
 * want_synced, measured our clock). */
size_t control_ready_subscribers(struct control *c, bool want_synced);
/* Subscribers that announced done, or vanished after announcing ready. */
size_t control_done_subscribers(struct control *c);

/* Subscriber side (main thread). */
void control_announce_ready(struct control *c);
void control_announce_done(struct control *c);
/* Start measuring every publisher's clock again (after the run). */
void control_sync_after(struct control *c);
/* True while a clock measurement is under way or queued. */
bool control_syncing(struct control *c);
/* Copy of the announced publishing processes (sent arrays not copied). */
size_t control_publishers(struct control *c, struct control_pub *out, size_t max);
/* Expected messages per publisher index from end announcements, into
 * expected[0..n) (UINT64_MAX where unknown); returns processes ended. */
size_t control_expected(struct control *c, uint64_t *expected, size_t n);
/* A publishing process that left without announcing its end: true, with one
 * line naming it and why in why (whylen bytes); false when none did. */
bool control_publisher_left(struct control *c, char *why, size_t whylen);

/* The data path: clock offset for publisher pub_index (0 when unknown). */
static inline int64_t control_offset(const struct control *c, uint32_t pub_index)
{
    const struct control_offsets *o = atomic_load_explicit(&((struct control *)c)->offsets, memory_order_acquire);
    if (!o) return 0;
    for (size_t i = 0; i < o->n; i++)
        if (pub_index - o->r[i].first < o->r[i].count) return o->r[i].offset_ns;
    return 0;
}

/* Subscriber: publishing processes announced, those that ended, and what
 * the ended ones sent in all. */
void control_progress(struct control *c, size_t *announced, size_t *ended, uint64_t *sent_total);

/* Publisher leaving: when neither an end nor an abort was announced, announce
 * an abort without a reason (at exit). */
void control_clear_start(struct control *c);

/* Our wall clock as the control plane and payload stamps see it (ns, incl. test skew). */
uint64_t control_now_ns(const struct control *c);

#endif
