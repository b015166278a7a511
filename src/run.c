/* The run controller: phases connect -> measure -> drain, progress, totals. */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounting.h"
#include "clock.h"
#include "conn.h"
#include "metricsrv.h"
#include "payload.h"
#include "report.h"
#include "sysinfo.h"
#include "topology.h"
#include "worker.h"

#define RUN_POLL_NS 5000000ull       /* how often the controller looks at the workers */
#define RUN_TICK_NS 1000000000ull    /* progress / timeseries period */
#define RUN_SUB_MAX_PUBLISHERS (1u << 20) /* sub: publisher indexes tracked (64 B each) */
#define RUN_SELF_STALL_NS 250000000ull /* a poll this much late: mqttbench itself was stopped */

struct run {
    const struct mb_config *cfg;
    struct run_result *res;
    volatile sig_atomic_t *interrupted;
    struct worker *workers;
    size_t nworkers;
    struct flow flow;
    struct topology topo;
    struct control ctl;
    bool has_ctl;
    bool clients_made;      /* setup_workers made every client: there is something to account */
    bool tail_waited;       /* stopped when everything was in, or after the drain timeout: not cut short */
    uint64_t ended_ns;      /* sub: when the last expected publishing process announced its end */
    uint64_t resumed_ns;    /* when mqttbench last came back from its own stall (0 = never) */
    uint64_t stall_idle_ns; /* stalled: how long nothing completed or arrived */
    double start_user_s, start_sys_s;   /* process CPU when this run began */
    uint64_t start_reads, start_writes;
    size_t nclients;
    _Atomic int phase;
    _Atomic uint32_t down_all;     /* --reconnect: clients down, every worker's (client_env) */
    _Atomic uint64_t all_back_ns;  /* --reconnect: when the last of them was back */
    struct outage_window *outage_win; /* --reconnect: res->outages' intervals, for the accounting */
    uint64_t t0_ns;
    /* progress state */
    uint64_t next_tick_ns, last_tick_ns, last_tick_sent, last_tick_received;
    uint64_t next_report;
    struct hist tick_hist;
    struct metricsrv *metrics;  /* published from this (the controller) thread only */
};

/* Live totals read from the workers' atomics. */
struct run_live {
    uint64_t sent, sent_weighted, received, last_rx_ns;
    uint32_t ready, finished, failed;
    uint32_t down;          /* --reconnect: clients that lost their connection, not back yet */
    uint64_t reconnects;
};

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
    nanosleep(&ts, NULL);   /* EINTR is fine: the caller looks at the flags */
}

/* Sleep one poll period. A sleep that took far longer means mqttbench itself
 * was stopped (SIGSTOP, a VM pause, suspend: CLOCK_BOOTTIME counts them all)
 * or not scheduled: it is recorded, and the broker gets a fresh drain timeout
 * from now. Returns the stall in ns, 0 for none. */
static uint64_t poll_sleep(struct run *r)
{
    uint64_t before = clock_ns(CLOCK_BOOTTIME);
    sleep_ns(RUN_POLL_NS);
    uint64_t took = clock_ns(CLOCK_BOOTTIME) - before;
    if (took < RUN_POLL_NS + RUN_SELF_STALL_NS) return 0;
    uint64_t stall = took - RUN_POLL_NS;
    double s = (double)stall / 1e9;
    r->res->self_stall.count++;
    r->res->self_stall.total_s += s;
    if (s > r->res->self_stall.max_s) r->res->self_stall.max_s = s;
    r->resumed_ns = clock_mono_ns();
    return stall;
}

static void live_read(const struct run *r, struct run_live *l)
{
    memset(l, 0, sizeof(*l));
    for (size_t i = 0; i < r->nworkers; i++) {
        struct client_env *e = &r->workers[i].env;
        l->sent += atomic_load_explicit(&e->live_sent, memory_order_relaxed);
        l->sent_weighted += atomic_load_explicit(&e->live_sent_weighted, memory_order_relaxed);
        l->received += atomic_load_explicit(&e->live_received, memory_order_relaxed);
        uint64_t rx = atomic_load_explicit(&e->live_last_rx_ns, memory_order_relaxed);
        if (rx > l->last_rx_ns) l->last_rx_ns = rx;
        l->ready += atomic_load_explicit(&e->ready, memory_order_relaxed);
        l->finished += atomic_load_explicit(&e->finished, memory_order_relaxed);
        l->failed += atomic_load_explicit(&e->failed, memory_order_relaxed);
        l->down += atomic_load_explicit(&e->down, memory_order_relaxed);
        l->reconnects += atomic_load_explicit(&e->reconnects, memory_order_relaxed);
    }
}

/* Set the phase and wake every worker so none sleeps through it. */
static void set_phase(struct run *r, int phase)
{
    atomic_store_explicit(&r->phase, phase, memory_order_release);
    for (size_t i = 0; i < r->nworkers; i++) worker_wake(&r->workers[i]);
    metricsrv_phase(r->metrics, phase);
}

static const char *first_error(const struct run *r)
{
    for (size_t i = 0; i < r->nworkers; i++)
        if (r->workers[i].env.error[0]) return r->workers[i].env.error;
    return "a client failed";
}

static void set_status(struct run *r, enum result_status st, const char *fmt, const char *arg)
{
    if (r->res->status != RESULT_OK) return;
    r->res->status = st;
    snprintf(r->res->error, sizeof(r->res->error), fmt, arg);
}

/* Interrupted, or a client failed: set the status and return true. */
static bool cut_short(struct run *r, const struct run_live *l, const char *when)
{
    if (*r->interrupted) {
        set_status(r, RESULT_ABORTED, "interrupted %s", when);
        return true;
    }
    if (l->failed) {
        set_status(r, RESULT_FAILED, "%s", first_error(r));
        return true;
    }
    return false;
}

/* The publisher (topology index) subscriber j hears when it hears exactly
 * one and is not in a share group; UINT32_MAX otherwise. */
static uint32_t only_publisher(const struct topology *t, size_t j, size_t P)
{
    uint32_t r = t->sub_receiver[j];
    const struct topology_match *m = &t->matches[r];
    if (t->receiver_shared[r]) return UINT32_MAX;
    if (m->all) return P == 1 ? 0 : UINT32_MAX;
    return m->n == 1 ? m->pubs[0] : UINT32_MAX;
}

/* Build workers and hand out clients: publisher i to worker i % T, subscriber j
 * to worker (P + j) % T, so one publisher and one subscriber get a core each. */
static int setup_workers(struct run *r, const struct run_target *target, char *err, size_t errlen)
{
    const struct mb_config *cfg = r->cfg;
    size_t P = (size_t)cfg->publishers, S = (size_t)cfg->subscribers;
    size_t T = (size_t)cfg->threads;
    if (T > P + S) T = P + S;
    if (T < 1) T = 1;
    struct client_env tmpl;
    client_env_init(&tmpl, cfg, target->ip, target->port, target->tls);
    tmpl.stamp_clock = cfg->mode == MB_MODE_BOTH || cfg->clock_monotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    if (r->has_ctl) {
        tmpl.control = &r->ctl;
        tmpl.stamp_skew_ns = r->ctl.skew_ns;   /* this process's (test-skewed) wall clock */
    }
    if (cfg->reconnect) {
        tmpl.down_all = &r->down_all;
        tmpl.all_back_ns = &r->all_back_ns;
    }
    tmpl.run_tag = payload_run_tag(cfg->run_id);
    tmpl.warm_tag = cfg->warmup_ns ? (uint16_t)(tmpl.run_tag ^ 0x8000u) : tmpl.run_tag;
    tmpl.match_run_tag = cfg->mode == MB_MODE_BOTH || cfg->run_id_given;
    if (cfg->rate > 0) tmpl.slot_ns = (uint64_t)(1e9 * (double)P / cfg->rate);
    tmpl.schedule_known = tmpl.slot_ns && cfg->mode == MB_MODE_BOTH;

    r->workers = calloc(T, sizeof(*r->workers));
    if (!r->workers) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (topology_build(&r->topo, cfg, r->res->env.hostname, tmpl.run_tag, err, errlen) != 0) return -1;
    /* An unpaced `both` at QoS 1/2 where every subscriber hears one
     * publisher: each subscriber goes on its publisher's thread, so the
     * window and the acknowledgements turn over in one loop, without a
     * wake-up across threads (1 -> 1 at QoS 1: 1.3x the rate with the
     * broker on the same 2 cores; docs/performance.md). Not with several
     * publishers per subscriber: two QoS 1 publishers on one thread made a
     * stock mosquitto 2.0.11 drop messages. */
    bool colocate = cfg->mode == MB_MODE_BOTH && cfg->pub_qos > 0 && flow_enabled(cfg) && P && S;
    for (size_t j = 0; colocate && j < S; j++) colocate = only_publisher(&r->topo, j, P) != UINT32_MAX;
    if (colocate && T > P) T = P;
    if (cfg->connect_rate > 0) tmpl.connect_interval_ns = (uint64_t)(1e9 * (double)T / cfg->connect_rate);
    if (flow_enabled(cfg)) {
        if (flow_init(&r->flow, cfg->backlog, &r->topo, T, err, errlen) != 0) return -1;
        tmpl.flow = &r->flow;
    }
    /* With --coalesce in `both`, publishers and subscribers go on threads
     * of their own (the first tp threads publish), so that a subscribers'
     * thread can wait for more messages without holding a publisher.
     * Otherwise every thread takes both: a paced run's publishers spread
     * over all threads (5,000 paced publishers on one thread of two kept
     * it 98% busy going through them, against 36% for 2,500 each). */
    size_t tp = T, ts0 = 0, ts = T;
    if (!colocate && cfg->coalesce_ns && cfg->mode == MB_MODE_BOTH && T >= 2 && P && S) {
        tp = (T * P + (P + S) / 2) / (P + S);
        if (tp < 1) tp = 1;
        if (tp > T - 1) tp = T - 1;
        ts0 = tp;
        ts = T - tp;
    }
    /* Room per worker: its publishers, its subscribers, and one more (the
     * $SYS/control client of worker 0). */
    size_t pubs_per = (P + tp - 1) / tp, subs_per = (S + ts - 1) / ts;
    if (colocate) {   /* a thread takes the subscribers of its publishers: at most these many */
        size_t *n = calloc(T, sizeof(*n));
        if (!n) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        subs_per = 0;
        for (size_t j = 0; j < S; j++) {
            size_t k = only_publisher(&r->topo, j, P) % T;
            if (++n[k] > subs_per) subs_per = n[k];
        }
        free(n);
    }
    for (size_t i = 0; i < T; i++) {
        size_t per = (i < tp ? pubs_per : 0) + (i >= ts0 ? subs_per : 0) + 1;
        if (worker_init(&r->workers[i], (int)i, per, &tmpl, &r->phase, err, errlen) != 0) return -1;
        r->nworkers++;
    }
    for (size_t i = 0; i < P; i++) {
        uint64_t quota = UINT32_MAX;
        if (cfg->count) quota = cfg->count / P + (i < cfg->count % P ? 1 : 0);
        struct worker *w = &r->workers[i % tp];
        uint32_t gi = (uint32_t)(i + (size_t)cfg->first_publisher);
        if (worker_add_client(w, CLIENT_PUB, gi, r->topo.pub_topics[i], (uint32_t)quota, err, errlen) != 0)
            return -1;
        /* In `both` each message should reach this many receivers; a lone
         * `pub` cannot know, and counts 1. */
        if (cfg->mode == MB_MODE_BOTH) w->clients[w->nclients - 1].fanout = r->topo.pub_fanout[i];
    }
    for (size_t j = 0; j < S; j++) {
        size_t k = colocate ? only_publisher(&r->topo, j, P) % T : ts0 ? ts0 + j % ts : (P + j) % T;
        struct worker *w = &r->workers[k];
        if (worker_add_client(w, CLIENT_SUB, (uint32_t)j, r->topo.sub_filters[j], 0, err, errlen) != 0) return -1;
        struct client *c = &w->clients[w->nclients - 1];
        c->tracks.max_publishers = cfg->mode == MB_MODE_BOTH ? P : RUN_SUB_MAX_PUBLISHERS;
        if (cfg->mode == MB_MODE_BOTH) {
            /* Trackers only for the publishers this subscriber should hear
             * (one in `pairs`): memory grows with pairs, not pairs squared. */
            const struct topology_match *m = &r->topo.matches[r->topo.sub_receiver[j]];
            c->hears = m;
            uint32_t lo = m->all || !m->n ? 0 : m->pubs[0];
            uint32_t hi = m->all || !m->n ? (uint32_t)P : m->pubs[m->n - 1] + 1;
            if (tracker_set_range(&c->tracks, lo, hi - lo) != 0) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
    }
    /* One extra client reads $SYS/broker/version for the results. */
    if (worker_add_client(&r->workers[0], CLIENT_SYS, 0, NULL, 0, err, errlen) != 0) return -1;
    r->nclients = P + S + 1;
    r->res->coalesce_ns = 0;   /* as in effect: what a thread waits, if any does */
    for (size_t i = 0; i < T; i++)
        if (worker_coalesce_ns(&r->workers[i])) r->res->coalesce_ns = worker_coalesce_ns(&r->workers[i]);
    return 0;
}

static uint64_t sum_hist_percentile_us(const struct hist *h, double pct)
{
    return h->count ? hist_percentile(h, pct) : 0;
}

/* How long a tick waits for each worker's snapshot (ms): in the run, briefly,
 * so a worker held up (a --sub-delay wait blocks its thread) cannot hold up
 * the controller's checks or a Ctrl-C; at the end, long enough for the last
 * point to hold the totals. */
#define RUN_SNAPSHOT_WAIT_MS 20
#define RUN_FINAL_SNAPSHOT_WAIT_MS 500

/* Collect one snapshot from every worker: a timeseries point and a progress
 * line. A worker that does not answer within wait_ms is counted by its live
 * counters (the same counts, stored as each message completes or arrives),
 * and its latencies go into the next point. */
static void tick(struct run *r, uint64_t now, int wait_ms)
{
    const struct mb_config *cfg = r->cfg;
    for (size_t i = 0; i < r->nworkers; i++) worker_request_snapshot(&r->workers[i]);
    hist_reset(&r->tick_hist);
    uint64_t sent = 0, received = 0;
    for (size_t i = 0; i < r->nworkers; i++) {
        struct worker *w = &r->workers[i];
        if (worker_wait_snapshot(w, wait_ms) == 0) {
            sent += w->snap.sent;
            received += w->snap.received;
            hist_merge(&r->tick_hist, &w->snap.lat_tick);
        } else {
            sent += atomic_load_explicit(&w->env.live_sent, memory_order_relaxed);
            received += atomic_load_explicit(&w->env.live_received, memory_order_relaxed);
        }
    }
    struct result_point p = {
        .t_s = (double)(now - r->t0_ns) / 1e9, .sent = sent, .received = received,
        .p50_us = (double)sum_hist_percentile_us(&r->tick_hist, 50) / 1e3,
        .p99_us = (double)sum_hist_percentile_us(&r->tick_hist, 99) / 1e3,
    };
    result_add_point(r->res, &p);
    if (r->metrics) {
        struct run_live l;
        live_read(r, &l);
        metricsrv_reconnects(r->metrics, l.reconnects);
        metricsrv_tick(r->metrics, sent, received, &r->tick_hist, l.ready > l.failed + l.down ? l.ready - l.failed - l.down : 0, l.failed,
                       cfg->mode == MB_MODE_BOTH, l.sent_weighted > l.received ? l.sent_weighted - l.received : 0);
    }
    if (!cfg->quiet) {
        double dt = (double)(now - r->last_tick_ns) / 1e9;
        uint64_t delta = cfg->mode == MB_MODE_PUB ? sent - r->last_tick_sent : received - r->last_tick_received;
        report_progress(stderr, cfg->mode, p.t_s, sent, received, dt > 0 ? (double)delta / dt : 0, p.p99_us);
    }
    r->last_tick_ns = now;
    r->last_tick_sent = sent;
    r->last_tick_received = received;
}

static void report_counts(struct run *r, uint64_t received)
{
    if (!r->cfg->report_every) return;
    const char *what = r->cfg->mode == MB_MODE_PUB ? "sent" : "received";
    while (received >= r->next_report) {
        printf("%s %" PRIu64 "\n", what, r->next_report);
        r->next_report += r->cfg->report_every;
    }
    fflush(stdout);
}

/* Phase 1: connect (and subscribe) every client. Returns 0 when all are ready. */
static int connect_phase(struct run *r)
{
    const struct mb_config *cfg = r->cfg;
    uint64_t start = clock_mono_ns();
    struct run_live l;
    int rc = 0;
    for (;;) {
        live_read(r, &l);
        metricsrv_connecting(r->metrics, l.ready > l.failed + l.down ? l.ready - l.failed - l.down : 0, l.failed);
        if (cut_short(r, &l, "while connecting")) {
            rc = -1;
            break;
        }
        if (l.ready == r->nclients) break;
        uint64_t now = clock_mono_ns();
        if (now - start > cfg->connect_timeout_ns) {
            char why[160];
            snprintf(why, sizeof(why), "%u of %zu clients connected within the connect timeout",
                     l.ready, r->nclients);
            set_status(r, RESULT_FAILED, "could not connect to the broker: %s", why);
            rc = -1;
            break;
        }
        start += poll_sleep(r);   /* our own stall is not the broker's slowness */
    }
    /* Also when it failed or was interrupted: the time was spent. */
    r->res->connect_s = (double)(clock_mono_ns() - start) / 1e9;
    return rc;
}

/* Per-publisher completed counts, indexed by publisher index. */
static uint64_t *publisher_done_counts(const struct run *r)
{
    size_t P = (size_t)r->cfg->publishers;
    uint64_t *done = calloc(P ? P : 1, sizeof(*done));
    if (!done) return NULL;
    for (size_t i = 0; i < r->nworkers; i++) {
        const struct worker *w = &r->workers[i];
        for (size_t k = 0; k < w->npubs; k++)
            done[w->clients[k].index - (uint32_t)r->cfg->first_publisher] = w->clients[k].done;
    }
    return done;
}

/* pub: announce the run, then wait for --wait-subscribers subscribers to be
 * ready and (wall clock) to have measured our clock. Returns 0 to go on. */
static int start_barrier(struct run *r)
{
    const struct mb_config *cfg = r->cfg;
    control_announce_start(&r->ctl, (uint32_t)cfg->first_publisher, (uint32_t)cfg->publishers);
    uint64_t start = clock_mono_ns();
    bool said = false;
    for (;;) {
        size_t ready = control_ready_subscribers(&r->ctl, !cfg->clock_monotonic);
        if (ready >= (size_t)cfg->wait_subscribers) {
            control_publishing(&r->ctl);
            return 0;
        }
        if (*r->interrupted) {
            set_status(r, RESULT_ABORTED, "interrupted while waiting for subscribers%s", "");
            control_announce_abort(&r->ctl, r->res->error);   /* the subscribers stop waiting */
            return -1;
        }
        uint64_t now = clock_mono_ns();
        if (!said && !cfg->quiet && now - start > 1000000000ull) {
            fprintf(stderr, "mqttbench: waiting for %ld subscriber process%s of run %016llx (%zu ready)\n",
                    cfg->wait_subscribers, cfg->wait_subscribers == 1 ? "" : "es",
                    (unsigned long long)cfg->run_id, ready);
            said = true;
        }
        if (now - start > cfg->wait_timeout_ns) {
            char why[200];
            snprintf(why, sizeof(why), "%zu of %ld subscriber processes of run %016llx were ready within %.0f s "
                     "(are they running, with the same --run-id and broker? or raise --wait-timeout)",
                     ready, cfg->wait_subscribers, (unsigned long long)cfg->run_id,
                     (double)cfg->wait_timeout_ns / 1e9);
            set_status(r, RESULT_FAILED, "start barrier: %s", why);
            control_announce_abort(&r->ctl, r->res->error);
            return -1;
        }
        sleep_ns(RUN_POLL_NS * 2);
    }
}

/* After the measured phase. pub: announce what was sent, then linger so the
 * subscribers can measure our clock again. sub: measure every publisher's
 * clock again, then say done. */
static void control_epilogue(struct run *r)
{
    const struct mb_config *cfg = r->cfg;
    if (r->res->status != RESULT_OK) {
        /* Cut short: only take our retained announcements back. */
        if (cfg->mode == MB_MODE_PUB) control_clear_start(&r->ctl);
        else control_announce_done(&r->ctl);
        sleep_ns(50000000ull);
        return;
    }
    if (cfg->mode == MB_MODE_PUB) {
        uint64_t *done = publisher_done_counts(r);
        if (done) control_announce_end(&r->ctl, (uint32_t)cfg->first_publisher, done, (uint32_t)cfg->publishers);
        free(done);
        size_t want = control_ready_subscribers(&r->ctl, false);
        if ((size_t)cfg->wait_subscribers > want) want = (size_t)cfg->wait_subscribers;
        uint64_t wait = cfg->drain_timeout_ns + 3000000000ull, until = clock_mono_ns() + wait;
        struct run_live l;
        while (want && control_done_subscribers(&r->ctl) < want && clock_mono_ns() < until && !*r->interrupted) {
            sleep_ns(RUN_POLL_NS * 2);
            live_read(r, &l);
            /* --reconnect: while a client of ours (the control client among
             * them) is reconnecting, the subscribers may not have our end */
            if (l.down) until = clock_mono_ns() + wait;
        }
        control_clear_start(&r->ctl);
    } else {
        control_sync_after(&r->ctl);
        uint64_t until = clock_mono_ns() + 3000000000ull;
        while (control_syncing(&r->ctl) && clock_mono_ns() < until && !*r->interrupted) sleep_ns(RUN_POLL_NS);
        control_announce_done(&r->ctl);
    }
    sleep_ns(50000000ull);   /* let the worker send the last control messages */
}

/* Phases 2 and 3: publish, then let subscribers drain. */
static void measure_phase(struct run *r)
{
    const struct mb_config *cfg = r->cfg;
    size_t P = (size_t)cfg->publishers, S = (size_t)cfg->subscribers;
    bool pub = cfg->mode != MB_MODE_SUB;
    if (r->has_ctl && cfg->mode == MB_MODE_SUB) control_announce_ready(&r->ctl);
    if (r->has_ctl && cfg->mode == MB_MODE_PUB && start_barrier(r) != 0) return;
    if (cfg->warmup_ns && pub) {
        /* Warm-up: publish under another run tag, measure nothing. */
        set_phase(r, PHASE_WARMUP);
        if (!cfg->quiet) fprintf(stderr, "mqttbench: warming up for %.1f s\n", (double)cfg->warmup_ns / 1e9);
        uint64_t until = clock_mono_ns() + cfg->warmup_ns;
        struct run_live wl;
        while (clock_mono_ns() < until) {
            poll_sleep(r);
            live_read(r, &wl);
            if (cut_short(r, &wl, "during the warm-up")) return;
        }
    }
    r->t0_ns = clock_mono_ns();
    for (size_t i = 0; i < r->nworkers; i++) r->workers[i].env.t0_ns = r->t0_ns;
    set_phase(r, PHASE_MEASURE);
    r->last_tick_ns = r->t0_ns;
    r->next_tick_ns = r->t0_ns + RUN_TICK_NS;
    r->next_report = cfg->report_every;

    uint64_t pub_end_ns = 0, stop_pub_ns = 0, last_sent = 0, last_progress_ns = r->t0_ns;
    struct run_live l;
    for (;;) {
        poll_sleep(r);
        live_read(r, &l);
        uint64_t now = clock_mono_ns();   /* after the counters: none is later than now */
        /* Time mqttbench itself stood still is nobody's silence: the end rules
         * and the stall check count from when it came back. */
        if (l.last_rx_ns < r->resumed_ns) l.last_rx_ns = r->resumed_ns;
        if (last_progress_ns < r->resumed_ns) last_progress_ns = r->resumed_ns;
        if (cut_short(r, &l, "by a signal")) break;
        /* --reconnect: a client is still reconnecting (it gives up after the
         * connect timeout, failing the run): not a stall, and the end rules
         * wait for it. */
        if (l.down) {
            l.last_rx_ns = now;
            last_progress_ns = now;
        }
        report_counts(r, cfg->mode == MB_MODE_PUB ? l.sent : l.received);
        if (now >= r->next_tick_ns) {
            tick(r, now, RUN_SNAPSHOT_WAIT_MS);
            r->next_tick_ns += RUN_TICK_NS;
            if (r->next_tick_ns <= now) r->next_tick_ns = now + RUN_TICK_NS;
        }
        if (l.sent != last_sent) {
            last_sent = l.sent;
            last_progress_ns = now;
        }
        int phase = atomic_load_explicit(&r->phase, memory_order_relaxed);
        uint64_t active = l.last_rx_ns > last_progress_ns ? l.last_rx_ns : last_progress_ns;
        if (pub && phase == PHASE_MEASURE && now > active &&
            now - active > cfg->drain_timeout_ns + 2 * r->workers[0].env.slot_ns) {
            /* The error is written after the workers joined, on all the evidence. */
            r->stall_idle_ns = now - active;
            set_status(r, RESULT_FAILED, "stalled%s", "");
            break;
        }
        if (pub && !pub_end_ns) {
            if (phase == PHASE_MEASURE && cfg->duration_ns && now - r->t0_ns >= cfg->duration_ns) {
                set_phase(r, PHASE_STOP_PUBLISHING);
                stop_pub_ns = now;
            }
            if (l.finished == P) {
                pub_end_ns = now;
                set_phase(r, PHASE_STOP_PUBLISHING);
            } else if (stop_pub_ns && now - last_progress_ns > cfg->drain_timeout_ns) {
                pub_end_ns = now;   /* unacknowledged publishes will not complete: stop waiting */
            }
        }
        if (cfg->mode == MB_MODE_PUB) {
            if (pub_end_ns) break;
        } else if (cfg->mode == MB_MODE_BOTH) {
            if (pub_end_ns) {
                uint64_t since = l.last_rx_ns > pub_end_ns ? l.last_rx_ns : pub_end_ns;
                if (l.received >= l.sent_weighted || now - since >= cfg->drain_timeout_ns) {
                    r->tail_waited = true;
                    break;
                }
            }
        } else {
            size_t announced = 0, ended = 0;
            uint64_t sent_total = 0;
            if (r->has_ctl) control_progress(&r->ctl, &announced, &ended, &sent_total);
            size_t want = cfg->expect_publishers ? (size_t)cfg->expect_publishers : announced;
            char left[400];
            if (r->has_ctl && control_publisher_left(&r->ctl, left, sizeof(left))) {
                /* It will never announce its end: waiting would hang (or end
                 * in an `ok` without its messages). */
                set_status(r, RESULT_FAILED, "%s", left);
                break;
            }
            if (cfg->expect_publishers && announced < want && !l.received && now - r->t0_ns > cfg->wait_timeout_ns) {
                char why[160];
                snprintf(why, sizeof(why), "%zu of %ld publishing processes of run %016llx announced themselves "
                         "within %.0f s (same --run-id and broker? raise --wait-timeout)", announced,
                         cfg->expect_publishers, (unsigned long long)cfg->run_id, (double)cfg->wait_timeout_ns / 1e9);
                set_status(r, RESULT_FAILED, "%s", why);
                break;
            }
            if (want && ended >= want) {
                /* Every publishing process said what it sent: wait for exactly that. */
                if (!r->ended_ns) r->ended_ns = now;
                uint64_t since = l.last_rx_ns > r->ended_ns ? l.last_rx_ns : r->ended_ns;
                if (l.received >= sent_total * S || now - since >= cfg->drain_timeout_ns) {
                    r->tail_waited = true;
                    break;
                }
                continue;
            }
            if (cfg->count_given && l.received >= cfg->count * S) {
                r->tail_waited = true;
                break;
            }
            if (cfg->duration_ns && now - r->t0_ns >= cfg->duration_ns) break;
            if (l.received && !announced && now - l.last_rx_ns >= cfg->drain_timeout_ns) {
                r->tail_waited = true;   /* the tail had its chance to arrive */
                break;
            }
        }
    }
    uint64_t end = clock_mono_ns();
    live_read(r, &l);
    report_counts(r, cfg->mode == MB_MODE_PUB ? l.sent : l.received);
    /* The last point holds the totals: a final one unless the last tick was
     * under 50 ms ago and nothing has moved since. */
    if (end - r->last_tick_ns > RUN_TICK_NS / 20 || l.sent != r->last_tick_sent || l.received != r->last_tick_received)
        tick(r, end, *r->interrupted ? RUN_SNAPSHOT_WAIT_MS : RUN_FINAL_SNAPSHOT_WAIT_MS);
    r->res->measure_s = (double)(end - r->t0_ns) / 1e9;
    if (pub_end_ns) r->res->drain_s = (double)(end - pub_end_ns) / 1e9;
}

/* Messages that cannot come from this run's publishers through the broker:
 * say where they likely came from (reliability #12). */
static void warn_strangers(const struct run *r)
{
    const struct mb_config *cfg = r->cfg;
    struct run_result *res = r->res;
    const struct stats *t = &res->total;
    /* QoS 0 is delivered at most once: a repeat is another message with the
     * same run tag, publisher and sequence number. Overlapping announced
     * ranges have their own warning. */
    int qos = cfg->mode == MB_MODE_BOTH && cfg->pub_qos < cfg->sub_qos ? cfg->pub_qos : cfg->sub_qos;
    bool overlap = r->has_ctl && r->ctl.overlap[0];
    char w[256];
    if (qos == 0 && res->duplicates && !overlap) {
        snprintf(w, sizeof(w), "%llu duplicates at QoS 0, which the broker cannot cause: another run with the same "
                 "run id or topic, or a resumed session (--no-clean)", (unsigned long long)res->duplicates);
        result_add_warning(res, w);
    }
    if (t->sub_negative && (cfg->mode == MB_MODE_BOTH || cfg->clock_monotonic)) {
        snprintf(w, sizeof(w), "%llu negative latencies on one clock: messages from another run with the same "
                 "run id or topic, or a resumed session (--no-clean)", (unsigned long long)t->sub_negative);
        result_add_warning(res, w);
    }
    if (t->sub_foreign) {
        snprintf(w, sizeof(w), "%llu foreign messages (not of this run): another run on the same topic, a "
                 "retained message, or a resumed session (--no-clean)", (unsigned long long)t->sub_foreign);
        result_add_warning(res, w);
    }
}

/* Subscriber tracker sets by subscriber index. */
static const struct tracker_set **subscriber_trackers(const struct run *r)
{
    const struct tracker_set **subs = calloc((size_t)r->cfg->subscribers + 1, sizeof(*subs));
    if (!subs) return NULL;
    for (size_t i = 0; i < r->nworkers; i++) {
        const struct worker *w = &r->workers[i];
        for (size_t k = 0; k < w->nclients; k++)
            if (w->clients[k].role == CLIENT_SUB) subs[w->clients[k].index] = &w->clients[k].tracks;
    }
    return subs;
}

/* The accounting into the result; `messages` counts a message once per
 * receiver, like expected and lost. */
static void take_delivery(struct run_result *res, const struct delivery *d)
{
    res->expected_known = d->expected_known;
    res->expected = d->expected;
    res->lost = d->lost;
    res->in_flight = d->in_flight;
    res->lost_exact = d->lost_exact;
    res->duplicates = d->duplicates;
    res->out_of_order = d->out_of_order;
    res->forgotten = d->forgotten;
    res->total.sub_unique -= d->shared_copies < res->total.sub_unique ? d->shared_copies : res->total.sub_unique;
}

/* --reconnect: what the accounting needs to give messages to the outages
 * (the workers' flights gathered); NULL without --reconnect or out of memory
 * (the outages then show no counts). Free with outages_done. */
static struct delivery_outages *outages_basis(struct run *r, struct delivery_outages *ob)
{
    if (!r->cfg->reconnect) return NULL;
    size_t nf = 0;
    for (size_t i = 0; i < r->nworkers; i++) nf += r->workers[i].env.nflights;
    struct outage_flight *f = malloc((nf ? nf : 1) * sizeof(*f));
    struct outage_count *c = calloc(r->res->noutages + 1, sizeof(*c));
    if (!f || !c || (r->res->noutages && !r->outage_win)) {
        free(f);
        free(c);
        return NULL;
    }
    nf = 0;
    for (size_t i = 0; i < r->nworkers; i++) {
        const struct client_env *e = &r->workers[i].env;
        if (e->nflights) memcpy(f + nf, e->flights, e->nflights * sizeof(*f));
        nf += e->nflights;
    }
    *ob = (struct delivery_outages){ .w = r->outage_win, .n = r->res->noutages, .flights = f, .nflights = nf,
                                     .count = c };
    return ob;
}

/* The counts into the result (ok: the accounting succeeded), and free ob. */
static void outages_done(struct run_result *res, struct delivery_outages *ob, bool ok)
{
    if (!ob) return;
    for (size_t k = 0; ok && k < res->noutages; k++) {
        struct result_outage *o = &res->outages[k];
        o->counted = true;
        o->lost = ob->count[k].lost;
        o->duplicates = ob->count[k].duplicates;
        o->redelivered = ob->count[k].redelivered;
    }
    res->outside_counted = ok;
    res->outages_outside.lost = ob->outside.lost;
    res->outages_outside.duplicates = ob->outside.duplicates;
    free((void *)ob->flights);
    free(ob->count);
}

/* `both`: every receiver against what each publisher it should hear really sent. */
static void account_both(struct run *r)
{
    uint64_t *done = publisher_done_counts(r);
    const struct tracker_set **subs = subscriber_trackers(r);
    struct delivery d;
    struct delivery_outages obs, *ob = outages_basis(r, &obs);
    bool waited = r->tail_waited && r->res->status == RESULT_OK;
    bool ok = done && subs && accounting_both(&r->topo, subs, done, waited, &d, ob) == 0;
    if (!ok)
        set_status(r, RESULT_FAILED, "out of memory counting deliveries%s", "");
    else
        take_delivery(r->res, &d);
    outages_done(r->res, ob, ok);
    free(done);
    free(subs);
}

/* Clock section of the results. */
static void account_clock(struct run *r)
{
    const struct mb_config *cfg = r->cfg;
    struct result_clock *ck = &r->res->clock;
    if (cfg->mode == MB_MODE_BOTH || cfg->clock_monotonic) {
        snprintf(ck->method, sizeof(ck->method), "%s",
                 cfg->mode == MB_MODE_BOTH ? "one process: CLOCK_MONOTONIC" : "one host: shared CLOCK_MONOTONIC");
        return;
    }
    if (cfg->mode == MB_MODE_PUB || !r->has_ctl) {
        snprintf(ck->method, sizeof(ck->method), "%s",
                 cfg->mode == MB_MODE_PUB ? "publisher: stamps CLOCK_REALTIME" : "none: CLOCK_REALTIME as is");
        return;
    }
    struct control_pub pubs[CONTROL_MAX_PEERS];
    size_t n = control_publishers(&r->ctl, pubs, CONTROL_MAX_PEERS);
    snprintf(ck->method, sizeof(ck->method), "NTP-style over the broker, min round trip of %d", CONTROL_CLOCK_SAMPLES);
    for (size_t i = 0; i < n; i++) {
        if (!pubs[i].synced_before) continue;
        double before = (double)pubs[i].before.offset_ns / 1e3;
        double after = pubs[i].synced_after ? (double)pubs[i].after.offset_ns / 1e3 : before;
        double unc = (double)pubs[i].before.uncertainty_ns / 1e3;
        if (pubs[i].synced_after && (double)pubs[i].after.uncertainty_ns / 1e3 > unc)
            unc = (double)pubs[i].after.uncertainty_ns / 1e3;
        double drift = after - before;
        if (fabs(drift) / 2 > unc) unc = fabs(drift) / 2;
        if (ck->npeers < sizeof(ck->peers) / sizeof(ck->peers[0])) {
            snprintf(ck->peers[ck->npeers].id, sizeof(ck->peers[0].id), "%s", pubs[i].id);
            ck->peers[ck->npeers].before_us = before;
            ck->peers[ck->npeers].after_us = after;
            ck->peers[ck->npeers].uncertainty_us = unc;
            ck->peers[ck->npeers].samples = pubs[i].before.samples;
            ck->npeers++;
        }
        if (ck->npeers == 1 || unc > ck->uncertainty_us) {
            ck->offset_us = before;
            ck->drift_us = drift;
            ck->uncertainty_us = unc;
        }
        ck->samples += pubs[i].before.samples + (pubs[i].synced_after ? pubs[i].after.samples : 0);
    }
    if (!ck->npeers) snprintf(ck->method, sizeof(ck->method), "none: no publisher clock measured (CLOCK_REALTIME as is)");
}

/* `sub`: every receiver against what the publishing processes announced
 * they sent (exact, tail included); else against --count; else the gaps seen. */
static void account_sub(struct run *r)
{
    const struct mb_config *cfg = r->cfg;
    struct run_result *res = r->res;
    size_t announced = 0, ended = 0;
    uint64_t sent_total = 0;
    if (r->has_ctl) control_progress(&r->ctl, &announced, &ended, &sent_total);
    if (r->has_ctl && r->ctl.overlap[0]) result_add_warning(res, r->ctl.overlap);
    const struct tracker_set **subs = subscriber_trackers(r);
    uint64_t *expected = NULL;
    size_t n = 0;   /* publisher indexes announced: 0 .. n-1 */
    if (ended) {
        struct control_pub pubs[CONTROL_MAX_PEERS];
        size_t np = control_publishers(&r->ctl, pubs, CONTROL_MAX_PEERS);
        for (size_t i = 0; i < np; i++)
            if ((size_t)pubs[i].first + pubs[i].count > n) n = (size_t)pubs[i].first + pubs[i].count;
        expected = calloc(n ? n : 1, sizeof(*expected));
        if (expected) control_expected(&r->ctl, expected, n);
    }
    size_t want = cfg->expect_publishers ? (size_t)cfg->expect_publishers : announced;
    struct accounting_sub_basis basis = {
        .sent = expected, .npubs = n, .complete = ended >= want, .count_given = cfg->count_given,
        .count = cfg->count, .tail_waited = r->tail_waited && res->status == RESULT_OK,
    };
    struct delivery d;
    struct delivery_outages obs, *ob = outages_basis(r, &obs);
    bool ok = subs && !(ended && !expected) && accounting_sub(&r->topo, subs, &basis, &d, ob) == 0;
    if (!ok)
        set_status(r, RESULT_FAILED, "out of memory counting deliveries%s", "");
    else
        take_delivery(res, &d);
    outages_done(res, ob, ok);
    free(subs);
    free(expected);
}

/* --reconnect: the workers' lost connections grouped into outages. */
static void collect_outages(struct run *r)
{
    struct run_result *res = r->res;
    size_t n = 0, nrx = 0;
    for (size_t i = 0; i < r->nworkers; i++) {
        n += r->workers[i].env.nlost;
        nrx += r->workers[i].env.nrx;
    }
    if (!n) return;
    struct outage_event *ev = malloc(n * sizeof(*ev));
    struct outage_rx *rx = malloc((nrx ? nrx : 1) * sizeof(*rx));
    struct outage *out = malloc(RESULT_MAX_OUTAGES * sizeof(*out));
    res->outages = result_alloc(res, RESULT_MAX_OUTAGES * sizeof(*res->outages));
    if (!ev || !rx || !out || !res->outages) {
        set_status(r, RESULT_FAILED, "out of memory counting outages%s", "");
        res->outages = NULL;
    } else {
        n = nrx = 0;
        for (size_t i = 0; i < r->nworkers; i++) {
            const struct client_env *e = &r->workers[i].env;
            if (e->nlost) memcpy(ev + n, e->lost_log, e->nlost * sizeof(*ev));
            if (e->nrx) memcpy(rx + nrx, e->rx_marks, e->nrx * sizeof(*rx));
            n += e->nlost;
            nrx += e->nrx;
        }
        res->outages_total = outage_group(ev, n, rx, nrx, out, RESULT_MAX_OUTAGES);
        res->noutages = res->outages_total < RESULT_MAX_OUTAGES ? res->outages_total : RESULT_MAX_OUTAGES;
        r->outage_win = malloc((res->noutages ? res->noutages : 1) * sizeof(*r->outage_win));
        for (size_t k = 0; k < res->noutages; k++) {
            if (r->outage_win) r->outage_win[k] = (struct outage_window){ out[k].start_ns, out[k].end_ns };
            struct result_outage *o = &res->outages[k];
            /* before the measured phase (t0 0: it never began): from the run's first connect */
            uint64_t t0 = r->t0_ns ? r->t0_ns : res->total.connect_first_ns;
            o->start_s = ((double)out[k].start_ns - (double)t0) / 1e9;
            o->ended = out[k].end_ns != 0;
            o->end_s = o->ended ? ((double)out[k].end_ns - (double)t0) / 1e9 : 0;
            o->flowed = out[k].flowing_ns != 0;
            o->flowing_s = o->flowed ? (double)(out[k].flowing_ns - out[k].start_ns) / 1e9 : 0;
            o->clients = out[k].clients;
            o->reconnect = out[k].reconnect;
        }
    }
    free(ev);
    free(rx);
    free(out);
}

static void collect(struct run *r, uint64_t end_ns)
{
    const struct mb_config *cfg = r->cfg;
    struct run_result *res = r->res;
    stats_init(&res->total);
    res->nworkers = r->nworkers;
    res->clients = r->nclients;
    res->workers = calloc(r->nworkers, sizeof(*res->workers));
    for (size_t i = 0; i < r->nworkers; i++) {
        struct worker *w = &r->workers[i];
        stats_merge(&res->total, &w->st);
        res->connect_failures += atomic_load(&w->env.failed);
        for (size_t k = 0; k < sizeof(w->env.failures) / sizeof(w->env.failures[0]); k++) {
            if (!w->env.failures[k].count) break;
            result_add_failure(res, w->env.failures[k].reason, w->env.failures[k].count);
        }
        res->publishers_done += atomic_load(&w->env.finished);
        if (!res->env.broker_version[0] && w->env.broker_version[0])
            snprintf(res->env.broker_version, sizeof(res->env.broker_version), "%s", w->env.broker_version);
        if (!res->env.tls.protocol[0] && w->env.tls_facts.protocol[0]) res->env.tls = w->env.tls_facts;
        if (res->workers && r->t0_ns && w->cpu_measure_ns) {
            double cpu = (double)(w->cpu_end_ns - w->cpu_measure_ns) / 1e9;
            double wall = (double)(end_ns - r->t0_ns) / 1e9;
            res->workers[i].cpu_s = cpu;
            res->workers[i].utilization = wall > 0 ? cpu / wall : 0;
            if (res->workers[i].utilization > res->max_utilization) res->max_utilization = res->workers[i].utilization;
        }
    }
    collect_outages(r);
    const struct stats *t = &res->total;
    if (t->tls_last_ns > t->connect_first_ns)   /* handshakes per second over the ramp */
        res->tls_per_s = (double)t->connect_tls.count * 1e9 / (double)(t->tls_last_ns - t->connect_first_ns);
    /* Self-check: a worker near 100% CPU, or a schedule slipping while the
     * workers were busy, means the generator set the pace, not the broker. */
    res->schedule_lagging = cfg->rate > 0 && t->pub_done && t->pub_missed_slots * 100 > t->pub_done;
    res->generator_saturated = res->max_utilization >= 0.9 ||
                               (res->schedule_lagging && res->max_utilization >= 0.7);
    if (r->t0_ns) {
        uint64_t pub_end = res->publishers_done == (uint64_t)cfg->publishers && t->pub_last_done_ns
                               ? t->pub_last_done_ns : end_ns;
        res->pub_duration_s = (double)(pub_end - r->t0_ns) / 1e9;
        if (t->rx_last_ns) {
            uint64_t from = cfg->mode == MB_MODE_SUB ? t->rx_first_ns : r->t0_ns;
            res->sub_duration_s = (double)(t->rx_last_ns - from) / 1e9;
        }
    }

    res->flow_on = flow_enabled(cfg);
    res->flow_paced_by_window = res->flow_on && flow_paced_by_window((double)t->flow_held_ns / 1e9,
                                                                     res->pub_duration_s);
    char qw[200];
    if (result_qos_warning(res, qw, sizeof(qw))) result_add_warning(res, qw);

    if (r->stall_idle_ns) {
        struct report_stall s = {
            .idle_s = (double)r->stall_idle_ns / 1e9, .has_subscribers = cfg->mode == MB_MODE_BOTH,
            .arrived = t->sub_valid + t->sub_warmup + t->sub_foreign, .published = t->pub_done,
            .pub_errors = t->pub_errors, .pub_error = t->pub_error,
            /* the window held the publishers through the silence (worker.c counts it) */
            .flow_paused = res->flow_on && t->flow_held_ns >= r->stall_idle_ns / 10 * 9,
            .backlog = cfg->backlog,
        };
        report_stall_error(&s, res->error, sizeof(res->error));
    }
    /* Delivery accounting, when the clients it counts exist. */
    if (r->clients_made && cfg->mode == MB_MODE_BOTH) account_both(r);
    else if (r->clients_made && cfg->mode == MB_MODE_SUB) account_sub(r);
    free(r->outage_win);
    r->outage_win = NULL;
    if (r->clients_made && cfg->mode != MB_MODE_PUB) warn_strangers(r);
    account_clock(r);
    /* This run's share of the process's CPU and syscalls (--repeat runs
     * several in one process); peak RSS is the process's. */
    double u, s;
    uint64_t rd, wr;
    sysinfo_resources(&u, &s, &res->peak_rss_kb);
    sysinfo_syscalls(&rd, &wr);
    res->cpu_user_s = u - r->start_user_s;
    res->cpu_sys_s = s - r->start_sys_s;
    res->read_syscalls = rd - r->start_reads;
    res->write_syscalls = wr - r->start_writes;
}

void run_execute(const struct mb_config *cfg, const struct run_target *target,
                 struct run_result *res, volatile sig_atomic_t *interrupted)
{
    if (cfg->mode == MB_MODE_CONN) {   /* connection churn: its own schedule (conn.h) */
        conn_execute(cfg, target, res, interrupted);
        return;
    }
    struct run r;
    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.res = res;
    r.interrupted = interrupted;
    r.metrics = target->metrics;
    metricsrv_begin(r.metrics, cfg);
    atomic_init(&r.phase, PHASE_CONNECT);
    hist_init(&r.tick_hist);
    res->cfg = cfg;
    res->status = RESULT_OK;
    long rss;
    sysinfo_resources(&r.start_user_s, &r.start_sys_s, &rss);
    sysinfo_syscalls(&r.start_reads, &r.start_writes);

    char err[256] = "";
    r.has_ctl = cfg->mode != MB_MODE_BOTH && !cfg->no_control;
    if (r.has_ctl) control_init(&r.ctl, cfg, res->env.hostname);
    if (setup_workers(&r, target, err, sizeof(err)) == 0) {
        r.clients_made = true;
        for (size_t i = 0; i < r.nworkers; i++) {
            if (worker_start(&r.workers[i], err, sizeof(err)) != 0) {
                set_status(&r, RESULT_FAILED, "%s", err);
                break;
            }
        }
        if (res->status == RESULT_OK && connect_phase(&r) == 0) {
            measure_phase(&r);
            if (r.has_ctl) control_epilogue(&r);
        }
    } else {
        set_status(&r, RESULT_FAILED, "%s", err);
    }
    set_phase(&r, PHASE_STOP);
    for (size_t i = 0; i < r.nworkers; i++) worker_join(&r.workers[i]);
    collect(&r, clock_mono_ns());
    metricsrv_final(r.metrics, res);
    for (size_t i = 0; i < r.nworkers; i++) worker_destroy(&r.workers[i]);
    free(r.workers);
    flow_free(&r.flow);
    topology_free(&r.topo);
    if (r.has_ctl) control_free(&r.ctl);
}
