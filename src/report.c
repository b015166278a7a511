/* Progress lines and the end-of-run summary. */
#include "report.h"

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

static double per_s(uint64_t n, double s)
{
    return s > 0 ? (double)n / s : 0;
}

void report_summary(FILE *f, const struct run_result *r, const char *json_path)
{
    const struct mb_config *c = r->cfg;
    const struct stats *t = &r->total;
    char a[32], b[32];
    fprintf(f, "\nmqttbench %s: %s, QoS %d", options_mode_name(c->mode), result_status_name(r->status),
            c->mode == MB_MODE_SUB ? c->sub_qos : c->pub_qos);
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
    if (r->generator_saturated)
        fprintf(f, "  NOTE         mqttbench itself was the bottleneck (busiest worker %.0f%% CPU%s): the broker\n"
                   "               may do better than these numbers; add --threads, cores or load hosts\n",
                100 * r->max_utilization, r->schedule_lagging ? ", schedule slipping" : "");
    else if (r->schedule_lagging)
        fprintf(f, "  NOTE         publishers fell behind their schedule while mqttbench had CPU to spare:\n"
                   "               the broker did not keep up with %.0f msgs/s\n", c->rate);
    for (size_t i = 0; i < r->nwarnings; i++) fprintf(f, "  WARNING      %s\n", r->warnings[i]);
    if (json_path) fprintf(f, "\n  results      %s\n", json_path);
}
