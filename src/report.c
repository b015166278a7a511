/* Progress lines and the end-of-run summary. */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "flow.h"
#include "units.h"

static const char *fmt_us(double us, char *buf, size_t len)
{
    if (us <= 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    return units_format_duration((uint64_t)(us * 1000.0 + 0.5), buf, len);
}

void report_progress(FILE *f, enum mb_mode mode, double elapsed_s, uint64_t sent, uint64_t received,
                     double msgs_per_s, double p99_us)
{
    char a[32], b[32], c[32], d[32];
    fprintf(f, "[%6.1fs]", elapsed_s);
    if (mode != MB_MODE_SUB) fprintf(f, " sent %8s ", units_format_count(sent, a, sizeof(a)));
    if (mode != MB_MODE_PUB) fprintf(f, " recv %8s ", units_format_count(received, b, sizeof(b)));
    fprintf(f, " %8s msgs/s", units_format_count((uint64_t)(msgs_per_s + 0.5), c, sizeof(c)));
    if (mode != MB_MODE_PUB) fprintf(f, "  p99 %s", fmt_us(p99_us, d, sizeof(d)));
    fprintf(f, "\n");
}

void report_conn_progress(FILE *f, double elapsed_s, uint64_t started, uint64_t done, uint64_t failed,
                          double done_per_s)
{
    char a[32], b[32], c[32], d[32];
    fprintf(f, "[%6.1fs] started %8s  done %8s  failed %8s  %8s connects/s\n", elapsed_s,
            units_format_count(started, a, sizeof(a)), units_format_count(done, b, sizeof(b)),
            units_format_count(failed, c, sizeof(c)), units_format_count((uint64_t)(done_per_s + 0.5), d, sizeof(d)));
}

static double per_s(uint64_t n, double s)
{
    return s > 0 ? (double)n / s : 0;
}

void report_stall_error(const struct report_stall *s, char *buf, size_t len)
{
    if (s->pub_errors) {
        snprintf(buf, len, "mosquitto_publish failed %llu time%s (%s), then no message completed or arrived "
                 "for %.1f s", (unsigned long long)s->pub_errors, s->pub_errors == 1 ? "" : "s",
                 s->pub_error && s->pub_error[0] ? s->pub_error : "unknown error", s->idle_s);
    } else if (s->has_subscribers && !s->arrived && s->published) {
        snprintf(buf, len, "stalled: no subscriber received any message in %.1f s: the broker accepted the "
                 "subscription but routed nothing to it (unsupported $share? a filter that matches no "
                 "publisher? an ACL? '.' in a topic on RabbitMQ?)", s->idle_s);
    } else if (s->flow_paused) {
        snprintf(buf, len, "stalled: no message arrived for %.1f s while the publishers waited for the "
                 "subscribers (mqttbench's --backlog %llu window): the broker stopped delivering",
                 s->idle_s, (unsigned long long)s->backlog);
    } else {
        snprintf(buf, len, "stalled: no message completed or arrived for %.1f s "
                 "(the broker stopped acknowledging or delivering)", s->idle_s);
    }
}

/* Paced runs: the achieved rate counts as the target within this fraction. */
#define REPORT_RATE_HELD 0.97

static double achieved_rate(const struct run_result *r)
{
    return r->pub_duration_s > 0 ? (double)r->total.pub_done / r->pub_duration_s : 0;
}

enum report_bottleneck report_bottleneck(const struct run_result *r)
{
    const struct mb_config *c = r->cfg;
    bool paced = c->rate > 0 && c->mode != MB_MODE_SUB && r->total.pub_done;
    bool short_of_target = paced && achieved_rate(r) < REPORT_RATE_HELD * c->rate;
    if (r->self_stall.count && (short_of_target || r->schedule_lagging)) return REPORT_SELF_STALL;
    if (r->generator_saturated) return REPORT_GENERATOR;
    if (paced && r->outages_total && (short_of_target || r->schedule_lagging)) return REPORT_OUTAGE;
    if (short_of_target && c->sub_delay_ns && c->mode == MB_MODE_BOTH) return REPORT_SUB_DELAY;
    if (short_of_target) return REPORT_BROKER;
    if (paced && r->schedule_lagging) return REPORT_JITTER;
    return REPORT_NONE;
}

/* --sub-delay in `both`: the subscribers received under 90% of the rate at
 * which the messages meant for them were published (*rx of *tx msgs/s):
 * mqttbench's own slow consumers, at most 1/T each, set delivery's pace. */
static bool sub_delay_behind(const struct run_result *r, double *rx, double *tx)
{
    const struct mb_config *c = r->cfg;
    if (!c->sub_delay_ns || c->mode != MB_MODE_BOTH || !r->expected_known || r->pub_duration_s <= 0 ||
        r->sub_duration_s <= 0)
        return false;
    *rx = per_s(r->total.sub_unique, r->sub_duration_s);
    *tx = per_s(r->expected, r->pub_duration_s);
    return *rx < 0.9 * *tx;
}

/* The NOTE lines: every claim about who set the pace is made here. */
static void print_notes(FILE *f, const struct run_result *r)
{
    const struct mb_config *c = r->cfg;
    const struct stats *t = &r->total;
    char a[32];
    if (r->self_stall.count)
        fprintf(f, "  NOTE         mqttbench itself was stopped or not scheduled for %.1f s (%llu pause%s, the\n"
                   "               longest %.1f s): latencies, rates and the schedule include that time;\n"
                   "               the broker is not to blame for it\n",
                r->self_stall.total_s, (unsigned long long)r->self_stall.count,
                r->self_stall.count == 1 ? "" : "s", r->self_stall.max_s);
    switch (report_bottleneck(r)) {
    case REPORT_GENERATOR:
        fprintf(f, "  NOTE         mqttbench itself was the bottleneck (busiest worker %.0f%% CPU%s): the broker\n"
                   "               may do better than these numbers; add --threads, cores or load hosts\n",
                100 * r->max_utilization, r->schedule_lagging ? ", schedule slipping" : "");
        break;
    case REPORT_BROKER:
        fprintf(f, "  NOTE         publishers fell behind their schedule while mqttbench had CPU to spare:\n"
                   "               the broker did not keep up with %.0f msgs/s (achieved %.0f msgs/s)\n",
                c->rate, achieved_rate(r));
        break;
    case REPORT_SUB_DELAY:
        fprintf(f, "  NOTE         publishers fell behind their schedule (achieved %.0f of %.0f msgs/s) in a run\n"
                   "               with --sub-delay %s: each wait blocks its thread, and a publisher on that\n"
                   "               thread waits with it; mqttbench itself may have set this pace, not the broker\n",
                achieved_rate(r), c->rate, units_format_duration(c->sub_delay_ns, a, sizeof(a)));
        break;
    case REPORT_JITTER:
    case REPORT_OUTAGE: {
        bool outage = report_bottleneck(r) == REPORT_OUTAGE;
        fprintf(f, "  NOTE         %.1f%% of the messages left a whole slot late (the latest by %s), %s\n"
                   "               rate %s %.0f msgs/s: %s\n",
                100.0 * (double)t->pub_missed_slots / (double)t->pub_done,
                units_format_duration(t->pub_max_lag_ns, a, sizeof(a)), outage ? "and the" : "yet the",
                outage ? "was" : "held at", achieved_rate(r),
                outage ? "publishers wait while they reconnect, then catch up on\n"
                         "               their schedule; the outages above account for the late slots,\n"
                         "               which latency from the scheduled send time includes"
                       : "the broker kept up on average; the late slots are jitter\n"
                         "               (mqttbench's scheduling, the OS or brief waits on the broker), which\n"
                         "               latency from the scheduled send time includes");
        break;
    }
    case REPORT_SELF_STALL:
    case REPORT_NONE:
        break;
    }
    double rx, tx;
    if (sub_delay_behind(r, &rx, &tx))
        fprintf(f, "  NOTE         subscribers received %.0f msgs/s of the %.0f msgs/s published for them:\n"
                   "               --sub-delay %s lets each take at most %.0f msgs/s, so mqttbench's own slow\n"
                   "               subscribers set the delivery rate, and latency includes the queue behind them\n",
                rx, tx, units_format_duration(c->sub_delay_ns, a, sizeof(a)), 1e9 / (double)c->sub_delay_ns);
    /* The held time is direct evidence, whatever the CPU (a saturated
     * worker gets its own NOTE above): the JSON says so, and so does this. */
    if (r->flow_on && r->flow_paced_by_window)
        fprintf(f, "  NOTE         publishers waited on mqttbench's flow window (--backlog %llu) %.0f%% of the\n"
                   "               time: the rate is what %llu messages in flight allow, which may be less than\n"
                   "               the broker sustains; compare with a larger --backlog (0 = off)\n",
                (unsigned long long)c->backlog, 100.0 * (double)t->flow_held_ns / 1e9 / r->pub_duration_s,
                (unsigned long long)c->backlog);
}

/* One side's QoS as granted: "1", or "1 (2 requested)" after a downgrade. */
static const char *qos_side(int requested, uint8_t granted_mask, char *buf, size_t len)
{
    int g = result_qos_granted(granted_mask);
    if (g >= 0 && g < requested) snprintf(buf, len, "%d (%d requested)", g, requested);
    else snprintf(buf, len, "%d", requested);
    return buf;
}

/* The header's QoS: "QoS 1" when both sides agree, else each side's. Never
 * a QoS the broker did not grant. */
static const char *qos_text(const struct run_result *r, char *buf, size_t len)
{
    const struct mb_config *c = r->cfg;
    char p[32], s[32];
    qos_side(c->pub_qos, r->total.pub_qos_granted, p, sizeof(p));
    qos_side(c->sub_qos, r->total.sub_qos_granted, s, sizeof(s));
    if (c->mode == MB_MODE_PUB) snprintf(buf, len, "QoS %s", p);
    else if (c->mode == MB_MODE_SUB) snprintf(buf, len, "QoS %s", s);
    else if (!strcmp(p, s)) snprintf(buf, len, "QoS %s", p);
    else snprintf(buf, len, "publish QoS %s, subscribe QoS %s", p, s);
    return buf;
}

/* conn: the connect timings (TCP, TLS, MQTT parts) and the counts. */
static void conn_summary(FILE *f, const struct run_result *r)
{
    const struct mb_config *c = r->cfg;
    const struct stats *t = &r->total;
    const struct stats_conn *k = &t->conn;
    char a[32], b[32];
    fprintf(f, "\n  %-12s %14s %12s %14s\n", "", "connects", "seconds", "connects/s");
    fprintf(f, "  %-12s %14llu %12.3f %14.1f   (ready: CONNACK accepted%s)\n", "done", (unsigned long long)k->done,
            r->conn_duration_s, per_s(k->done, r->conn_duration_s), c->conn_subscribe ? ", then SUBACK" : "");
    fprintf(f, "  %-12s target %.0f connects/s, %llu scheduled, %llu started; %llu started a whole interval late, "
               "the latest by %s\n", "schedule", c->rate, (unsigned long long)r->conn_scheduled,
            (unsigned long long)k->started, (unsigned long long)k->late,
            units_format_duration(k->max_lag_ns, a, sizeof(a)));
    fprintf(f, "  %-12s", "failed");
    for (int i = 0; i < STATS_CONN_NFAIL; i++)
        fprintf(f, " %s %llu", result_conn_fail_keys[i], (unsigned long long)k->failed[i]);
    fprintf(f, "\n");
    for (size_t i = 0; i < r->nfailures; i++)
        fprintf(f, "  %-12s %llu x %s\n", "", (unsigned long long)r->failures[i].count, r->failures[i].reason);
    if (c->id_pool) fprintf(f, "  %-12s %llu (connections the broker closed for a newer connect with their id)\n",
                            "takeovers", (unsigned long long)k->takeovers);
    static const struct { const char *name; double pct; } ps[] = { { "p50", 50 }, { "p90", 90 }, { "p99", 99 },
                                                                     { "p99.9", 99.9 }, { "max", 100 } };
    const struct { const char *name; const struct hist *h; } parts[] = {
        { "connect", &t->connect_lat }, { "  tcp", &t->connect_tcp },
        { "  tls", r->env.tls.library[0] ? &t->connect_tls : NULL }, { "  connack", &t->connect_connack },
    };
    fprintf(f, "\n  %-12s", "latency");
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) fprintf(f, " %10s", ps[i].name);
    fprintf(f, "\n");
    for (size_t p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
        if (!parts[p].h || !parts[p].h->count) continue;
        fprintf(f, "  %-12s", parts[p].name);
        for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
            fprintf(f, " %10s", units_format_duration(hist_percentile(parts[p].h, ps[i].pct), b, sizeof(b)));
        fprintf(f, "\n");
    }
    if (r->env.tls.library[0] && r->env.tls.protocol[0])
        fprintf(f, "  %-12s %s %s, %.0f handshakes/s\n", "tls", r->env.tls.protocol, r->env.tls.cipher, r->tls_per_s);
    fprintf(f, "\n  mqttbench    cpu %.2fs user + %.2fs sys, peak RSS %ld KiB\n", r->cpu_user_s, r->cpu_sys_s,
            r->peak_rss_kb);
    if (r->generator_saturated)
        fprintf(f, "  NOTE         a worker thread was near 100%% CPU: mqttbench, not the broker, may have set the pace\n");
    else if (r->schedule_lagging && k->slot_waits * 2 >= k->late)
        fprintf(f, "  NOTE         the schedule was not kept: %llu of %llu connects started a whole interval late,\n"
                   "               %llu of them waiting for one of the --clients %d connections to end (connects\n"
                   "               and lifetimes took longer than the schedule leaves them: raise --clients)\n",
                (unsigned long long)k->late, (unsigned long long)k->started, (unsigned long long)k->slot_waits,
                c->conn_clients);
    else if (r->schedule_lagging)
        fprintf(f, "  NOTE         the schedule was not kept: %llu of %llu connects started a whole interval late,\n"
                   "               %llu of them for want of a free connection: mqttbench itself was late\n",
                (unsigned long long)k->late, (unsigned long long)k->started, (unsigned long long)k->slot_waits);
}

void report_summary(FILE *f, const struct run_result *r, const char *json_path)
{
    const struct mb_config *c = r->cfg;
    const struct stats *t = &r->total;
    char a[32], b[32], q[96];
    if (c->mode == MB_MODE_CONN) {
        if (c->lifetime_ns) units_format_duration(c->lifetime_ns, a, sizeof(a));
        else snprintf(a, sizeof(a), "0 (DISCONNECT once ready)");
        fprintf(f, "\nmqttbench conn: %s, %d client%s, lifetime %s%s%s, %zu thread%s\n", result_status_name(r->status),
                c->conn_clients, c->conn_clients == 1 ? "" : "s", a,
                c->conn_subscribe ? ", subscribing" : "", r->env.tls.library[0] ? ", TLS" : "", r->nworkers,
                r->nworkers == 1 ? "" : "s");
        fprintf(f, "broker %s%s%s%s\n", r->env.broker_address, r->env.broker_spawned ? " (started by mqttbench)" : "",
                r->env.broker_version[0] ? ", " : "", r->env.broker_version);
        if (r->status != RESULT_OK) fprintf(f, "error: %s\n", r->error);
        if (r->nworkers) conn_summary(f, r);
        for (size_t i = 0; i < r->nwarnings; i++) fprintf(f, "  WARNING      %s\n", r->warnings[i]);
        if (json_path) fprintf(f, "\n  results      %s\n", json_path);
        return;
    }
    fprintf(f, "\nmqttbench %s: %s, %s", result_mode_name(c->mode), result_status_name(r->status),
            qos_text(r, q, sizeof(q)));
    /* Only the side this mode runs: a `sub` knows no payload size or publishers. */
    if (c->mode != MB_MODE_SUB)
        fprintf(f, ", %llu-byte payloads, %d publisher%s", (unsigned long long)c->size, c->publishers,
                c->publishers == 1 ? "" : "s");
    if (c->mode != MB_MODE_PUB) fprintf(f, ", %d subscriber%s", c->subscribers, c->subscribers == 1 ? "" : "s");
    fprintf(f, ", %zu thread%s\n", r->nworkers, r->nworkers == 1 ? "" : "s");
    fprintf(f, "broker %s%s%s%s\n", r->env.broker_address, r->env.broker_spawned ? " (started by mqttbench)" : "",
            r->env.broker_version[0] ? ", " : "", r->env.broker_version);
    if (r->status != RESULT_OK) fprintf(f, "error: %s\n", r->error);
    if (!r->nworkers) {         /* nothing ran: no table to show */
        if (json_path) fprintf(f, "results: %s\n", json_path);
        return;
    }
    fprintf(f, "\n  %-12s %14s %12s %14s\n", "", "messages", "seconds", "msgs/s");
    if (c->mode != MB_MODE_SUB)
        fprintf(f, "  %-12s %14llu %12.3f %14.0f   (completed: written%s)\n", "published",
                (unsigned long long)t->pub_done, r->pub_duration_s, per_s(t->pub_done, r->pub_duration_s),
                c->pub_qos == 0 ? " to the socket" : c->pub_qos == 1 ? " and PUBACKed" : " and PUBCOMPed");
    if (c->mode != MB_MODE_SUB && t->pub_errors)
        fprintf(f, "  %-12s %14llu calls of mosquitto_publish failed (the first: %s)\n", "errors",
                (unsigned long long)t->pub_errors, t->pub_error[0] ? t->pub_error : "unknown error");
    if (c->mode != MB_MODE_SUB && c->rate > 0)
        fprintf(f, "  %-12s target %.0f msgs/s; %llu messages left a whole slot late, the latest by %s\n",
                "schedule", c->rate, (unsigned long long)t->pub_missed_slots,
                units_format_duration(t->pub_max_lag_ns, a, sizeof(a)));
    if (c->mode != MB_MODE_PUB) {
        fprintf(f, "  %-12s %14llu %12.3f %14.0f\n", "received", (unsigned long long)t->sub_unique,
                r->sub_duration_s, per_s(t->sub_unique, r->sub_duration_s));
        fprintf(f, "\n  delivery     expected %s  lost %llu%s  duplicates %llu  out of order %llu  foreign %llu\n",
                r->expected_known ? units_format_count(r->expected, a, sizeof(a)) : "unknown",
                (unsigned long long)r->lost,
                !r->expected_known ? " (gaps only: tail unknown)"
                : r->in_flight     ? " (so far)"
                : r->forgotten     ? " (approximate)" : "",
                (unsigned long long)r->duplicates, (unsigned long long)r->out_of_order,
                (unsigned long long)t->sub_foreign);
        /* Loss is a percentage of what was expected only when nothing is left
         * in flight: an interrupted or stalled run did not lose its tail. */
        if (r->in_flight)
            fprintf(f, "  in flight    %llu not accounted for: the run did not wait for the tail\n",
                    (unsigned long long)r->in_flight);
        else if (r->lost && r->expected_known && r->expected)
            fprintf(f, "  LOSS         %.3f%% of the expected messages never arrived%s\n",
                    100.0 * (double)r->lost / (double)r->expected, r->forgotten ? " (approximate)" : "");
        const struct hist *h = &t->lat;
        if (h->count) {
            bool intended = c->mode == MB_MODE_BOTH && c->rate > 0;
            fprintf(f, "\n  latency      (end to end, %s clock, from the %s)\n",
                    c->mode == MB_MODE_BOTH || c->clock_monotonic ? "monotonic" : "wall",
                    intended ? "scheduled send time" : "publisher's send call");
            if (intended)
                fprintf(f, "               service latency p99 %s (excludes time the generator was late)\n",
                        units_format_duration(hist_percentile(&t->service_lat, 99), b, sizeof(b)));
            if (r->coalesce_ns)
                fprintf(f, "               includes up to %s a subscribers' thread waited to read more at once\n"
                           "               (--coalesce, while messages kept coming; 0 = off)\n",
                        units_format_duration(r->coalesce_ns, b, sizeof(b)));
            static const struct { const char *name; double pct; } ps[] = {
                { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p99.9", 99.9 }, { "p99.99", 99.99 },
            };
            fprintf(f, "  %-8s %10s\n", "min", units_format_duration(h->min_ns, a, sizeof(a)));
            fprintf(f, "  %-8s %10s   stdev %s\n", "mean",
                    units_format_duration((uint64_t)hist_mean_ns(h), a, sizeof(a)),
                    units_format_duration((uint64_t)hist_stdev_ns(h), b, sizeof(b)));
            for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
                fprintf(f, "  %-8s %10s\n", ps[i].name, units_format_duration(hist_percentile(h, ps[i].pct), a, sizeof(a)));
            fprintf(f, "  %-8s %10s\n", "max", units_format_duration(h->max_ns, a, sizeof(a)));
        }
    }
    if (c->mode == MB_MODE_SUB && r->clock.npeers) {
        fprintf(f, "\n  clock        offset to the publisher %.1f us +- %.1f us (%d samples, drift %.1f us)\n",
                r->clock.offset_us, r->clock.uncertainty_us, r->clock.samples, r->clock.drift_us);
        double p50_us = (double)hist_percentile(&t->lat, 50) / 1e3;
        if (t->lat.count && r->clock.uncertainty_us > 0.1 * p50_us)
            fprintf(f, "  NOTE         the clock uncertainty is %.0f%% of the median latency: read latencies\n"
                       "               as +- %.1f us\n", 100 * r->clock.uncertainty_us / (p50_us > 0 ? p50_us : 1),
                    r->clock.uncertainty_us);
    }
    fprintf(f, "\n  mqttbench    cpu %.2fs user + %.2fs sys, peak RSS %ld KiB, connect %.3fs\n",
            r->cpu_user_s, r->cpu_sys_s, r->peak_rss_kb, r->connect_s);
    if (r->env.tls.library[0] && t->connect_tls.count) {
        char h50[32], h99[32], tcp[32], ack[32], ramp[64] = "";
        if (c->connect_rate > 0) snprintf(ramp, sizeof(ramp), " (ramp: --connect-rate %.0f)", c->connect_rate);
        fprintf(f, "  tls          %s %s: handshake p50 %s p99 %s (tcp p50 %s, CONNACK p50 %s), %.0f handshakes/s%s\n",
                r->env.tls.protocol, r->env.tls.cipher,
                units_format_duration(hist_percentile(&t->connect_tls, 50), h50, sizeof(h50)),
                units_format_duration(hist_percentile(&t->connect_tls, 99), h99, sizeof(h99)),
                units_format_duration(hist_percentile(&t->connect_tcp, 50), tcp, sizeof(tcp)),
                units_format_duration(hist_percentile(&t->connect_connack, 50), ack, sizeof(ack)), r->tls_per_s,
                ramp);
    }
    for (size_t i = 0; i < r->noutages; i++) {
        const struct result_outage *o = &r->outages[i];
        char p50[32], mx[32], flow[64] = "nothing received after it";
        if (o->flowed) snprintf(flow, sizeof(flow), "messages flowing %.3fs after it began", o->flowing_s);
        fprintf(f, "  outage %-5zu at %.3fs: %" PRIu64 " connection%s lost, ", i + 1, o->start_s, o->clients,
                o->clients == 1 ? "" : "s");
        if (o->ended)
            fprintf(f, "all back after %.3fs (reconnect p50 %s, max %s),\n               %s\n", o->end_s - o->start_s,
                    units_format_duration(hist_percentile(&o->reconnect, 50), p50, sizeof(p50)),
                    units_format_duration(o->reconnect.max_ns, mx, sizeof(mx)), flow);
        else
            fprintf(f, "not all back by the end\n");
        if (o->counted)
            fprintf(f, "               messages: %" PRIu64 " lost, %" PRIu64 " duplicated, %" PRIu64 " redelivered\n",
                    o->lost, o->duplicates, o->redelivered);
    }
    if (r->noutages && r->outside_counted)
        fprintf(f, "  outside      outages: %" PRIu64 " lost, %" PRIu64 " duplicated\n", r->outages_outside.lost,
                r->outages_outside.duplicates);
    if (t->lat_outage.count) {
        char p50[32], p99[32], mx[32];
        fprintf(f, "  outage lat   %" PRIu64 " messages delayed by outages: p50 %s p99 %s max %s (not in the latency "
                   "above)\n", t->lat_outage.count,
                units_format_duration(hist_percentile(&t->lat_outage, 50), p50, sizeof(p50)),
                units_format_duration(hist_percentile(&t->lat_outage, 99), p99, sizeof(p99)),
                units_format_duration(t->lat_outage.max_ns, mx, sizeof(mx)));
    }
    if (r->outages_total > r->noutages)
        fprintf(f, "  outages      %" PRIu64 " in all (the first %zu above)\n", r->outages_total, r->noutages);
    print_notes(f, r);
    for (size_t i = 0; i < r->nwarnings; i++) fprintf(f, "  WARNING      %s\n", r->warnings[i]);
    if (json_path) fprintf(f, "\n  results      %s\n", json_path);
}
