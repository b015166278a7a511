/* One worker thread: an epoll loop that connects, publishes for and reads
 * from its share of the clients. */
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "payload.h"

#define WORKER_MAX_EVENTS 512
#define WORKER_PUBLISH_BURST 64      /* messages per publisher per loop turn */
#define WORKER_IDLE_NS 20000000ull   /* longest sleep: the phase is checked this often */
#define WORKER_MISC_NS 1000000000ull /* keepalive housekeeping period */
#define WORKER_FLOW_WAIT_NS 100000ull  /* recheck after the subscribers caught up this long */
#define WORKER_FORGET_NS 3000000000ull /* --no-clean: time to remove the sessions at the end */

int worker_init(struct worker *w, int id, size_t max_clients, const struct client_env *env_template,
                _Atomic int *phase, char *err, size_t errlen)
{
    memset(w, 0, sizeof(*w));
    w->id = id;
    w->phase = phase;
    stats_init(&w->st);
    hist_init(&w->snap.lat_tick);
    w->env = *env_template;
    w->env.st = &w->st;
    w->env.error[0] = '\0';
    w->env.broker_version[0] = '\0';
    w->wakefd = -1;
    w->env.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->env.epfd < 0) {
        snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    w->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    if (w->wakefd < 0 || epoll_ctl(w->env.epfd, EPOLL_CTL_ADD, w->wakefd, &ev) != 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    size_t size = w->env.cfg->size ? w->env.cfg->size : PAYLOAD_HEADER_SIZE;
    w->env.scratch = malloc(size);
    w->clients = calloc(max_clients ? max_clients : 1, sizeof(*w->clients));
    w->pending = calloc(max_clients ? max_clients : 1, sizeof(*w->pending));
    if (!w->env.scratch || !w->clients || !w->pending) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    payload_init(w->env.scratch, size, w->env.cfg->run_id, 0);
    w->cap = max_clients;
    w->env.phase = phase;
    if (w->env.flow) {
        w->env.flow->workers[id].wakefd = w->wakefd;
        const struct topology *t = w->env.flow->topo;
        size_t P = t->npubs ? t->npubs : 1, S = t->nsubs ? t->nsubs : 1, R = t->nreceivers ? t->nreceivers : 1;
        w->allow = calloc(max_clients ? max_clients : 1, sizeof(*w->allow));
        w->ready = calloc(max_clients ? max_clients : 1, sizeof(*w->ready));
        w->fl_issued = calloc(P, sizeof(uint64_t));
        w->fl_allow = calloc(P, sizeof(uint64_t));
        w->fl_frontier = calloc(S, sizeof(uint64_t));
        w->fl_received = calloc(S, sizeof(uint64_t));
        w->fl_progress = calloc(R, sizeof(uint64_t));
        w->fl_empty = calloc(P, sizeof(uint64_t));
        if (!w->allow || !w->ready || !w->fl_issued || !w->fl_allow || !w->fl_frontier || !w->fl_received ||
            !w->fl_progress || !w->fl_empty) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        flow_allowances(t, w->env.flow->backlog, w->fl_issued, w->fl_progress, w->fl_empty);   /* all zero */
    }
    return 0;
}

int worker_add_client(struct worker *w, enum client_role role, uint32_t index, const char *topic,
                      uint32_t quota, char *err, size_t errlen)
{
    if (w->nclients >= w->cap) {
        snprintf(err, errlen, "worker %d: too many clients", w->id);
        return -1;
    }
    struct client *c = &w->clients[w->nclients];
    if (client_init(c, &w->env, role, index, topic, quota, err, errlen) != 0) {
        client_close(c);   /* what client_init made before it failed */
        client_free(c);
        return -1;
    }
    if (role == CLIENT_PUB) {
        w->npubs++;
    }
    w->nclients++;
    return 0;
}

static void take_snapshot(struct worker *w, uint32_t req)
{
    w->snap.sent = w->st.pub_done;
    w->snap.received = w->st.sub_unique;
    memcpy(&w->snap.lat_tick, &w->st.lat_tick, sizeof(w->snap.lat_tick));
    hist_reset(&w->st.lat_tick);
    atomic_store_explicit(&w->tick_ack, req, memory_order_release);
}

/* Flow control: what each of this worker's publishers may still issue,
 * into w->allow, from every worker's latest counters; w->drained when
 * that is half of what an empty window allows or more and the worker
 * holds subscribers too (see flow_held). */
static void flow_refresh(struct worker *w)
{
    struct flow *f = w->env.flow;
    const struct topology *t = f->topo;
    if (f->uniform) {
        uint64_t issued = 0, min = UINT64_MAX;
        for (size_t k = 0; k < f->nworkers; k++) {
            issued += atomic_load_explicit(&f->workers[k].issued, memory_order_relaxed);
            uint64_t m = atomic_load_explicit(&f->workers[k].min_frontier, memory_order_relaxed);
            if (m < min) min = m;
        }
        uint64_t a = flow_uniform_allowance(f->backlog, issued, min, t->npubs);
        for (size_t i = 0; i < w->npubs; i++) w->allow[i] = a;
        w->room = flow_uniform_room(f->backlog, issued, min, t->npubs, w->npubs);
        w->drained = w->nclients > w->npubs &&
                     flow_half_free(w->room, flow_uniform_room(f->backlog, 0, 0, t->npubs, w->npubs));
        return;
    }
    for (size_t i = 0; i < t->npubs; i++) w->fl_issued[i] = atomic_load_explicit(&f->pub_issued[i], memory_order_relaxed);
    for (size_t j = 0; j < t->nsubs; j++) {
        w->fl_frontier[j] = atomic_load_explicit(&f->sub_frontier[j], memory_order_relaxed);
        w->fl_received[j] = atomic_load_explicit(&f->sub_received[j], memory_order_relaxed);
    }
    flow_receiver_progress(t, w->fl_frontier, w->fl_received, w->fl_progress);
    flow_allowances(t, f->backlog, w->fl_issued, w->fl_progress, w->fl_allow);
    w->drained = false;
    for (size_t i = 0; i < w->npubs; i++) {
        w->allow[i] = w->fl_allow[w->clients[i].index];
        w->drained = w->drained || (w->nclients > w->npubs &&
                                    flow_half_free(w->allow[i], w->fl_empty[w->clients[i].index]));
    }
}

/* Flow control: what this worker's clients have done, for every worker. */
static void flow_publish(struct worker *w)
{
    struct flow *f = w->env.flow;
    uint64_t issued = 0, min = UINT64_MAX;
    for (size_t i = 0; i < w->npubs; i++) {
        const struct client *c = &w->clients[i];
        uint64_t n = (uint64_t)c->issued + c->warm_issued;
        issued += n;
        if (!f->uniform) atomic_store_explicit(&f->pub_issued[c->index], n, memory_order_relaxed);
    }
    for (size_t k = w->npubs; k < w->nclients; k++) {
        const struct client *c = &w->clients[k];
        if (c->role != CLIENT_SUB) continue;
        if (c->frontier < min) min = c->frontier;
        if (!f->uniform) {
            atomic_store_explicit(&f->sub_frontier[c->index], c->frontier, memory_order_relaxed);
            atomic_store_explicit(&f->sub_received[c->index], c->received, memory_order_relaxed);
        }
    }
    atomic_store_explicit(&f->workers[w->id].issued, issued, memory_order_relaxed);
    atomic_store_explicit(&f->workers[w->id].min_frontier, min, memory_order_relaxed);
    if (w->nclients > w->npubs && min != w->last_min) {   /* progress: wake the held */
        w->last_min = min;
        for (size_t k = 0; k < f->nworkers; k++) {
            if (k == (size_t)w->id || !atomic_load_explicit(&f->workers[k].held, memory_order_relaxed)) continue;
            if (atomic_exchange_explicit(&f->workers[k].held, 0, memory_order_acq_rel)) {
                uint64_t one = 1;
                if (write(f->workers[k].wakefd, &one, sizeof(one)) < 0) { }
            }
        }
    }
}

/* The time this worker's publishers were held by the flow window, in
 * st.flow_held_ns. A round that ends with the window full (held: a
 * publisher is ready but has no room, and no other could send) starts a
 * candidate interval. A later round confirms it, from the start, when it
 * finds the window still full (it publishes nothing). Room that trickles
 * back by the next turn (a broker that is the bottleneck, delivering
 * steadily) discards it, except on a thread that also holds subscribers:
 * there a round trip is one turn (the ack and the delivery wake it
 * together), so a round that finds the window drained (w->drained: the
 * broker delivered all it was given) confirms it too. Not on a thread of
 * publishers alone: one the scheduler kept waiting finds the window
 * drained whatever set the pace. */
static void flow_held(struct worker *w, bool held, bool published, uint64_t now)
{
    if (held && published && !w->held_counting && !(w->drained && w->held_since_ns)) {
        w->held_since_ns = now;   /* a candidate */
    } else if (held) {
        if (!w->held_since_ns) w->held_since_ns = now;
        w->held_counting = true;
    } else {
        if (w->held_counting) w->st.flow_held_ns += now - w->held_since_ns;
        w->held_counting = false;
        w->held_since_ns = 0;
    }
}

/* Publish for every publisher that may; returns the earliest next due time
 * (UINT64_MAX: nothing to send until an event arrives). */
static uint64_t publish_round(struct worker *w, uint64_t now, bool warm)
{
    bool flow = w->env.flow != NULL;
    if (flow) flow_refresh(w);
    if (flow && w->env.flow->uniform && w->npubs > 1 && w->allow[0] < WORKER_PUBLISH_BURST) {
        for (size_t i = 0; i < w->npubs; i++) w->ready[i] = client_next_due_ns(&w->clients[i], now, warm) == 0;
        w->deal_next = flow_deal(w->room, w->npubs, WORKER_PUBLISH_BURST, w->ready, w->deal_next, w->allow);
    }
    uint64_t next = UINT64_MAX;
    size_t held = 0, busy = 0, issued = 0;
    for (size_t i = 0; i < w->npubs; i++) {
        struct client *c = &w->clients[i];
        uint64_t allowed = flow ? w->allow[i] : UINT64_MAX;
        int burst = allowed < WORKER_PUBLISH_BURST ? (int)allowed : WORKER_PUBLISH_BURST;
        int n = burst ? client_publish_some(c, now, burst, warm) : 0;
        issued += (size_t)n;
        uint64_t due = client_next_due_ns(c, now, warm);
        if (due == 0 && allowed == (uint64_t)n && allowed < WORKER_PUBLISH_BURST) {
            due = now + WORKER_FLOW_WAIT_NS;   /* ready to send, but the window is full */
            held++;
        } else if (due == 0) {
            busy++;                            /* more to send next turn (its burst ended) */
        }
        if (due < next) next = due;
    }
    if (flow) {
        /* A window smaller than a burst turns over faster than the recheck
         * (10 messages per WORKER_FLOW_WAIT_NS caps QoS 1 at 100k msgs/s):
         * then a thread whose subscribers progress wakes us (flow_publish).
         * A larger window keeps the recheck: waking on every bit of progress
         * cost QoS 0 10% of its rate, the pipeline running emptier. */
        if (held && !busy && w->env.flow->backlog < WORKER_PUBLISH_BURST)
            atomic_store_explicit(&w->env.flow->workers[w->id].held, 1, memory_order_release);
        flow_publish(w);
        if (!warm) flow_held(w, held && !busy, issued > 0, now);
    }
    return next;
}

/* True when c is among the first `limit` entries of w->pending (the clients
 * re-queued this turn; epoll reports each of its fds once per call). */
static bool client_queued(const struct worker *w, const struct client *c, size_t limit)
{
    for (size_t i = 0; i < w->npending && i < limit; i++)
        if (w->pending[i] == c) return true;
    return false;
}

static int wait_events(struct worker *w, struct epoll_event *evs, uint64_t timeout_ns)
{
    struct timespec ts = { (time_t)(timeout_ns / 1000000000ull), (long)(timeout_ns % 1000000000ull) };
    int n = epoll_pwait2(w->env.epfd, evs, WORKER_MAX_EVENTS, &ts, NULL);
    if (n < 0 && errno == ENOSYS)
        n = epoll_wait(w->env.epfd, evs, WORKER_MAX_EVENTS, (int)((timeout_ns + 999999) / 1000000));
    return n;
}

static void pause_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) { }
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[WORKER_MAX_EVENTS];
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, NULL);   /* signals are main's business */
    prctl(PR_SET_TIMERSLACK, 1UL);              /* wake on schedule, not 50 us later */
    const struct mb_config *cfg = w->env.cfg;
    uint64_t ramp_start = clock_mono_ns();
    size_t next_connect = 0;

    uint64_t next_misc = clock_mono_ns() + WORKER_MISC_NS;
    uint32_t tick_seen = 0;
    bool stopped_publishing = false;
    uint64_t coalesce = worker_coalesce_ns(w);
    bool found = false;         /* the last wait returned events */
    for (;;) {
        int phase = atomic_load_explicit(w->phase, memory_order_acquire);
        if (phase == PHASE_STOP) {
            if (w->env.control && w->id == 0 && w->nclients)   /* last words: end, done or abort */
                control_flush(w->env.control, client_send, &w->clients[w->nclients - 1]);
            if (w->env.flow) flow_held(w, false, false, clock_mono_ns());   /* a run cut short while held */
            break;
        }
        uint64_t now = clock_mono_ns();
        uint64_t timeout = WORKER_IDLE_NS;
        if (cfg->mode == MB_MODE_CONN) {   /* connection churn: conn.c starts and ends the connects */
            if (phase == PHASE_MEASURE) timeout = conn_worker_turn(w, now, timeout);
            next_connect = w->nclients;
        }
        /* Connect ramp: --connect-rate spreads the connects so the broker's
         * listen backlog does not overflow. */
        while (next_connect < w->nclients &&
               now >= ramp_start + next_connect * w->env.connect_interval_ns) {
            struct client *c = &w->clients[next_connect++];
            size_t k = c->role == CLIENT_PUB ? c->index : (size_t)cfg->publishers + c->index;
            client_connect(c, cfg->nbind ? cfg->bind_addresses[k % (size_t)cfg->nbind] : NULL);
        }
        if (next_connect < w->nclients) {
            uint64_t due = ramp_start + next_connect * w->env.connect_interval_ns;
            if (due - now < timeout) timeout = due - now;
        }
        if (atomic_load_explicit(&w->env.down, memory_order_relaxed)) {
            /* --reconnect: clients whose backoff ended try again */
            for (size_t i = 0; i < w->nclients; i++) {
                uint64_t due = client_retry(&w->clients[i], now);
                if (due != UINT64_MAX && due - now < timeout) timeout = due > now ? due - now : 0;
            }
        }
        if (phase == PHASE_STOP_PUBLISHING && !stopped_publishing) {
            for (size_t i = 0; i < w->npubs; i++) client_stop_publishing(&w->clients[i]);
            stopped_publishing = true;
            if (w->env.flow) flow_held(w, false, false, now);
        }
        if (phase >= PHASE_MEASURE && !w->cpu_measure_ns) w->cpu_measure_ns = thread_cpu_ns();
        if (phase >= PHASE_WARMUP && w->npubs) {
            uint64_t due = publish_round(w, now, phase == PHASE_WARMUP);
            if (due == 0) timeout = 0;
            else if (due != UINT64_MAX && due - now < timeout) timeout = due - now;
        }
        if (w->npending) timeout = 0;
        else if (coalesce && found) pause_ns(coalesce);   /* let more arrive: see flow.h */
        int n = wait_events(w, evs, timeout);
        found = n > 0;
        /* First the clients whose input waits in their read buffer, then the
         * new events; a client left with buffered input is queued again. */
        size_t np = w->npending;
        w->npending = 0;
        for (size_t i = 0; i < np; i++) {
            struct client *c = w->pending[i];
            if (client_handle(c, EPOLLIN)) w->pending[w->npending++] = c;
        }
        size_t requeued = w->npending;
        for (int i = 0; i < n; i++) {
            struct client *c = evs[i].data.ptr;
            if (!c) {           /* the wake-up eventfd */
                uint64_t v;
                if (read(w->wakefd, &v, sizeof(v)) < 0) { }
                continue;
            }
            if (client_handle(c, evs[i].events) && !client_queued(w, c, requeued))
                w->pending[w->npending++] = c;
        }

        if (w->env.flow) flow_publish(w);   /* subscribers' progress, for every worker's publishers */
        if (w->env.control && w->id == 0 && w->nclients) {
            /* The control client is this worker's last client. */
            control_tick(w->env.control, clock_mono_ns());
            control_flush(w->env.control, client_send, &w->clients[w->nclients - 1]);
        }
        uint32_t req = atomic_load_explicit(&w->tick_req, memory_order_acquire);
        if (req != tick_seen) {
            take_snapshot(w, req);
            tick_seen = req;
        }
        now = clock_mono_ns();
        if (now >= next_misc) {
            for (size_t i = 0; i < w->nclients; i++) client_misc(&w->clients[i]);
            next_misc = now + WORKER_MISC_NS;
        }
    }
    w->cpu_end_ns = thread_cpu_ns();
    for (size_t i = 0; i < w->nclients; i++) client_close(&w->clients[i]);
    if (client_leaves_session(cfg)) {
        /* Sessions nobody will resume would collect every later run's
         * messages on the broker (RabbitMQ keeps them a day). */
        uint64_t deadline = clock_mono_ns() + WORKER_FORGET_NS;
        for (size_t i = 0; i < w->nclients; i++)
            if (w->clients[i].role != CLIENT_SYS) client_forget_session(&w->clients[i], deadline);
    }
    return NULL;
}

uint64_t worker_coalesce_ns(const struct worker *w)
{
    bool subscribers = false;
    for (size_t i = w->npubs; i < w->nclients && !subscribers; i++) subscribers = w->clients[i].role == CLIENT_SUB;
    return w->npubs || !subscribers ? 0 : w->env.cfg->coalesce_ns;
}

int worker_start(struct worker *w, char *err, size_t errlen)
{
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start worker thread: %s", strerror(rc));
        return -1;
    }
    w->started = true;
    return 0;
}

void worker_wake(struct worker *w)
{
    uint64_t one = 1;
    if (w->wakefd >= 0 && write(w->wakefd, &one, sizeof(one)) < 0) { }
}

void worker_request_snapshot(struct worker *w)
{
    atomic_fetch_add_explicit(&w->tick_req, 1, memory_order_release);
    worker_wake(w);
}

int worker_wait_snapshot(struct worker *w, int timeout_ms)
{
    uint32_t want = atomic_load_explicit(&w->tick_req, memory_order_relaxed);
    for (int waited = 0; ; waited++) {
        if (atomic_load_explicit(&w->tick_ack, memory_order_acquire) == want) return 0;
        if (waited >= timeout_ms * 10) return -1;
        usleep(100);
    }
}

void worker_join(struct worker *w)
{
    if (w->started) pthread_join(w->thread, NULL);
    w->started = false;
}

void worker_destroy(struct worker *w)
{
    for (size_t i = 0; i < w->nclients; i++) {
        client_close(&w->clients[i]);
        client_free(&w->clients[i]);
    }
    free(w->clients);
    w->clients = NULL;
    free(w->pending);
    w->pending = NULL;
    free(w->allow);
    free(w->ready);
    w->ready = NULL;
    free(w->fl_issued);
    free(w->fl_allow);
    free(w->fl_frontier);
    free(w->fl_received);
    free(w->fl_progress);
    free(w->fl_empty);
    w->allow = w->fl_issued = w->fl_allow = w->fl_frontier = w->fl_received = w->fl_progress = NULL;
    free(w->env.scratch);
    w->env.scratch = NULL;
    free(w->env.lost_log);
    free(w->env.rx_marks);
    free(w->env.flights);
    w->env.flights = NULL;
    w->env.lost_log = NULL;
    w->env.rx_marks = NULL;
    if (w->env.epfd >= 0) close(w->env.epfd);
    w->env.epfd = -1;
    if (w->wakefd >= 0) close(w->wakefd);
    w->wakefd = -1;
}
