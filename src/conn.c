/* conn: connection churn on the workers (see conn.h). */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "conn_plan.h"
#include "payload.h"
#include "report.h"
#include "run.h"
#include "sysinfo.h"
#include "worker.h"

#define CONN_POLL_NS 5000000ull       /* how often the controller looks at the workers */
#define CONN_TICK_NS 1000000000ull    /* progress line period */
#define CONN_START_DELAY_NS 20000000ull /* the schedule begins this long after the workers are told */

/* The slot's connect ended (lifetime over, timed out or failed): close it;
 * the slot is free again once c->m is NULL. */
static void end_connect(struct client *c)
{
    client_conn_release(c);
    client_close(c);
}

/* Start connect k in the free slot c. */
static void start_connect(struct worker *w, struct client *c, uint64_t k, uint64_t due, uint64_t now)
{
    struct client_env *env = &w->env;
    const struct mb_config *cfg = env->cfg;
    char err[256];
    uint64_t interval = conn_interval_ns(cfg), lag = now > due ? now - due : 0;
    w->st.conn.started++;
    atomic_fetch_add_explicit(&env->conn_started, 1, memory_order_relaxed);
    if (interval && lag >= interval) {
        w->st.conn.late++;
        if (w->conn_starved) w->st.conn.slot_waits++;
    }
    if (lag > w->st.conn.max_lag_ns) w->st.conn.max_lag_ns = lag;
    client_free(c);   /* the previous connect's buffers */
    uint64_t id = conn_id_number(cfg, k);
    if (client_init(c, env, CLIENT_CONN, (uint32_t)id, cfg->topic, 0, err, sizeof(err)) != 0) {
        client_close(c);
        client_free(c);
        client_conn_not_started(env, err);
        return;
    }
    c->conn_seq = k;
    c->conn_id = id;
    if (env->conn_id_gen)   /* a connection still holding this id is taken over from now on */
        c->conn_gen = atomic_fetch_add_explicit(&env->conn_id_gen[id], 1, memory_order_relaxed) + 1;
    client_connect(c, cfg->nbind ? cfg->bind_addresses[k % (uint64_t)cfg->nbind] : NULL);
}

uint64_t conn_worker_turn(struct worker *w, uint64_t now, uint64_t max_ns)
{
    const struct mb_config *cfg = w->env.cfg;
    uint64_t next = now + max_ns, interval = conn_interval_ns(cfg);
    size_t free_slots = 0;
    for (size_t i = 0; i < w->nclients; i++) {
        struct client *c = &w->clients[i];
        if (!c->m) {
            free_slots++;
            continue;
        }
        uint64_t at = UINT64_MAX;
        if (c->state == CLIENT_READY) {
            at = c->conn_ready_ns + cfg->lifetime_ns;
        } else if (c->state == CLIENT_CONNECTING || c->state == CLIENT_NEW) {
            at = c->connect_start_ns + cfg->connect_timeout_ns;
            if (now >= at) client_conn_timeout(c);
        } else {
            at = now;   /* failed or closed */
        }
        if (now >= at) {
            end_connect(c);
            free_slots++;
        } else if (at < next) {
            next = at;
        }
    }
    /* A closed slot leaves the list of clients with buffered input: the
     * connect that takes the slot next must not be read before its socket
     * is up. */
    size_t keep = 0;
    for (size_t i = 0; i < w->npending; i++)
        if (w->pending[i]->m) w->pending[keep++] = w->pending[i];
    w->npending = keep;
    size_t slot = 0;
    while (w->conn_next < w->conn_total) {
        uint64_t due = w->env.t0_ns + w->conn_next * interval;
        if (due > now) {
            if (due < next) next = due;
            w->conn_starved = false;   /* caught up with the schedule */
            break;
        }
        if (!free_slots) {   /* every slot busy: it starts late, when one frees */
            w->conn_starved = true;
            break;
        }
        while (w->clients[slot].m) slot++;
        start_connect(w, &w->clients[slot], w->conn_next, due, now);
        free_slots--;
        if (w->clients[slot].m && w->clients[slot].state == CLIENT_FAILED) {
            end_connect(&w->clients[slot]);
            free_slots++;
        }
        w->conn_next += w->conn_nworkers;
    }
    return next > now ? next - now : 0;
}

/* Every worker's live counts. */
struct conn_live {
    uint64_t started, settled, done, failed;
};

static void live_read(struct worker *ws, size_t n, struct conn_live *l)
{
    memset(l, 0, sizeof(*l));
    for (size_t i = 0; i < n; i++) {
        struct client_env *e = &ws[i].env;
        l->started += atomic_load_explicit(&e->conn_started, memory_order_relaxed);
        l->settled += atomic_load_explicit(&e->conn_settled, memory_order_relaxed);
        l->done += atomic_load_explicit(&e->conn_done, memory_order_relaxed);
        l->failed += atomic_load_explicit(&e->conn_failed, memory_order_relaxed);
    }
}

static void set_phase(_Atomic int *phase, struct worker *ws, size_t n, int p)
{
    atomic_store_explicit(phase, p, memory_order_release);
    for (size_t i = 0; i < n; i++) worker_wake(&ws[i]);
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
    nanosleep(&ts, NULL);
}

/* --id-pool: what the workers share about the client ids. */
struct conn_pool {
    _Atomic uint64_t *gen;      /* per id: connects started with it */
    _Atomic uint64_t *open;     /* per id: ready connections not closed */
    _Atomic uint64_t overlap;   /* ready connections beyond the first of their id */
};

/* The workers: T of them (at most --clients), slot i of the run on worker i mod T. */
static int setup(const struct mb_config *cfg, const struct run_target *target, struct worker *ws, size_t T,
                 _Atomic int *phase, struct conn_pool *pool, size_t *made, char *err, size_t errlen)
{
    struct client_env tmpl;
    client_env_init(&tmpl, cfg, target->ip, target->port, target->tls);
    tmpl.stamp_clock = CLOCK_MONOTONIC;
    tmpl.run_tag = tmpl.warm_tag = payload_run_tag(cfg->run_id);
    tmpl.conn_id_gen = pool->gen;
    tmpl.conn_id_open = pool->open;
    tmpl.conn_overlap = &pool->overlap;
    uint64_t total = conn_total(cfg);
    for (size_t i = 0; i < T; i++) {
        size_t slots = ((size_t)cfg->conn_clients - i + T - 1) / T;
        if (worker_init(&ws[i], (int)i, slots, &tmpl, phase, err, errlen) != 0) return -1;
        (*made)++;
        struct worker *w = &ws[i];
        for (size_t k = 0; k < slots; k++) {   /* empty slots: start_connect fills them */
            memset(&w->clients[k], 0, sizeof(w->clients[k]));
            w->clients[k].fd = -1;
            w->clients[k].env = &w->env;
            w->clients[k].role = CLIENT_CONN;
        }
        w->nclients = slots;
        w->conn_next = i;
        w->conn_total = total;
        w->conn_nworkers = T;
    }
    return 0;
}

/* The workers' measurements into res. */
static void collect(const struct mb_config *cfg, struct worker *ws, size_t T, struct run_result *res,
                    uint64_t t0, uint64_t end)
{
    stats_init(&res->total);
    res->nworkers = T;
    res->clients = (uint64_t)cfg->conn_clients;
    res->workers = calloc(T, sizeof(*res->workers));
    for (size_t i = 0; i < T; i++) {
        struct worker *w = &ws[i];
        stats_merge(&res->total, &w->st);
        for (size_t k = 0; k < sizeof(w->env.failures) / sizeof(w->env.failures[0]); k++) {
            if (!w->env.failures[k].count) break;
            result_add_failure(res, w->env.failures[k].reason, w->env.failures[k].count);
        }
        if (!res->env.tls.protocol[0] && w->env.tls_facts.protocol[0]) res->env.tls = w->env.tls_facts;
        if (res->workers && w->cpu_measure_ns && end > t0) {
            double cpu = (double)(w->cpu_end_ns - w->cpu_measure_ns) / 1e9;
            res->workers[i].cpu_s = cpu;
            res->workers[i].utilization = cpu / ((double)(end - t0) / 1e9);
            if (res->workers[i].utilization > res->max_utilization) res->max_utilization = res->workers[i].utilization;
        }
    }
    const struct stats *t = &res->total;
    for (int k = 0; k < STATS_CONN_NFAIL; k++) res->connect_failures += t->conn.failed[k];
    snprintf(res->clock.method, sizeof(res->clock.method), "one process: CLOCK_MONOTONIC");
    res->conn_scheduled = conn_total(cfg);
    double span = (double)res->conn_scheduled / cfg->rate;
    double last = t->conn.last_done_ns > t0 ? (double)(t->conn.last_done_ns - t0) / 1e9 : 0;
    /* Cut short (interrupted): the part of the schedule that ran. */
    if (t->conn.started < res->conn_scheduled) span = (double)(end - t0) / 1e9;
    res->conn_duration_s = last > span ? last : span;
    res->connect_s = (double)(end - t0) / 1e9;
    res->measure_s = res->connect_s;
    if (t->tls_last_ns > t->connect_first_ns)
        res->tls_per_s = (double)t->connect_tls.count * 1e9 / (double)(t->tls_last_ns - t->connect_first_ns);
    /* Open loop: over 1% of the connects a whole interval late means the
     * schedule was not kept (busy slots, or mqttbench itself). */
    res->schedule_lagging = t->conn.started && t->conn.late * 100 > t->conn.started;
    res->generator_saturated = res->max_utilization >= 0.9 ||
                               (res->schedule_lagging && res->max_utilization >= 0.7);
}

void conn_execute(const struct mb_config *cfg, const struct run_target *target, struct run_result *res,
                  volatile sig_atomic_t *interrupted)
{
    double start_user, start_sys, u, s;
    uint64_t start_rd, start_wr, rd, wr;
    long rss;
    sysinfo_resources(&start_user, &start_sys, &rss);
    sysinfo_syscalls(&start_rd, &start_wr);
    res->cfg = cfg;
    res->status = RESULT_OK;
    size_t T = (size_t)cfg->threads < (size_t)cfg->conn_clients ? (size_t)cfg->threads : (size_t)cfg->conn_clients;
    if (T < 1) T = 1;
    struct worker *ws = calloc(T, sizeof(*ws));
    struct conn_pool pool = { NULL, NULL, 0 };
    if (cfg->id_pool) {
        pool.gen = calloc((size_t)cfg->id_pool, sizeof(*pool.gen));
        pool.open = calloc((size_t)cfg->id_pool, sizeof(*pool.open));
    }
    _Atomic int phase;
    atomic_init(&phase, PHASE_CONNECT);
    size_t made = 0;
    char err[256] = "";
    uint64_t total = conn_total(cfg), t0 = clock_mono_ns(), end = t0;
    if (!ws || (cfg->id_pool && (!pool.gen || !pool.open))) {
        res->status = RESULT_FAILED;
        snprintf(res->error, sizeof(res->error), "out of memory");
    } else if (setup(cfg, target, ws, T, &phase, &pool, &made, err, sizeof(err)) != 0) {
        res->status = RESULT_FAILED;
        snprintf(res->error, sizeof(res->error), "%s", err);
    } else {
        for (size_t i = 0; i < T && res->status == RESULT_OK; i++)
            if (worker_start(&ws[i], err, sizeof(err)) != 0) {
                res->status = RESULT_FAILED;
                snprintf(res->error, sizeof(res->error), "%s", err);
            }
    }
    if (res->status == RESULT_OK) {
        t0 = clock_mono_ns() + CONN_START_DELAY_NS;
        for (size_t i = 0; i < T; i++) ws[i].env.t0_ns = t0;
        set_phase(&phase, ws, T, PHASE_MEASURE);
        /* The schedule, then the connects under way: each ends by its timeout. */
        uint64_t span = (uint64_t)((double)total / cfg->rate * 1e9);
        uint64_t next_tick = t0 + CONN_TICK_NS, last_done = 0;
        struct conn_live l;
        for (;;) {
            sleep_ns(CONN_POLL_NS);
            live_read(ws, T, &l);
            uint64_t now = clock_mono_ns();
            if (*interrupted) {
                res->status = RESULT_ABORTED;
                snprintf(res->error, sizeof(res->error), "interrupted after %llu of %llu connects",
                         (unsigned long long)l.started, (unsigned long long)total);
                break;
            }
            /* --id-pool: also until the broker closed (and we saw it close)
             * every connection a newer one with its id took over. */
            uint64_t overlap = atomic_load_explicit(&pool.overlap, memory_order_relaxed);
            if (l.started == total && l.settled == total && !overlap) break;
            if (now > t0 + span + cfg->connect_timeout_ns + CONN_TICK_NS && l.settled == l.started) break;
            if (now >= next_tick && !cfg->quiet) {
                report_conn_progress(stderr, (double)(now - t0) / 1e9, l.started, l.done, l.failed,
                                     (double)(l.done - last_done) * 1e9 / (double)(now - next_tick + CONN_TICK_NS));
                last_done = l.done;
                next_tick += CONN_TICK_NS;
                if (next_tick <= now) next_tick = now + CONN_TICK_NS;
            }
        }
        end = clock_mono_ns();
    }
    set_phase(&phase, ws, made, PHASE_STOP);
    for (size_t i = 0; i < made; i++) worker_join(&ws[i]);
    if (made) collect(cfg, ws, made, res, t0, end);
    if (res->status == RESULT_OK && !res->total.conn.done) {
        res->status = RESULT_FAILED;
        snprintf(res->error, sizeof(res->error), "not one of %llu connects succeeded%s%s",
                 (unsigned long long)res->total.conn.started, res->nfailures ? ": " : "",
                 res->nfailures ? res->failures[0].reason : "");
    }
    sysinfo_resources(&u, &s, &res->peak_rss_kb);
    sysinfo_syscalls(&rd, &wr);
    res->cpu_user_s = u - start_user;
    res->cpu_sys_s = s - start_sys;
    res->read_syscalls = rd - start_rd;
    res->write_syscalls = wr - start_wr;
    for (size_t i = 0; i < made; i++) worker_destroy(&ws[i]);
    free(ws);
    free(pool.gen);
    free(pool.open);
}
