/* Result JSON (schema mqttbench.result.v1) written with cJSON, atomically. */
#include "result.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonfile.h"
#include "version.h"

int result_add_point(struct run_result *r, const struct result_point *p)
{
    if (r->npoints == r->cap_points) {
        size_t cap = r->cap_points ? r->cap_points * 2 : 64;
        struct result_point *np = realloc(r->points, cap * sizeof(*np));
        if (!np) return -1;
        r->points = np;
        r->cap_points = cap;
    }
    r->points[r->npoints++] = *p;
    return 0;
}

void result_free(struct run_result *r)
{
    free(r->points);
    r->points = NULL;
    r->npoints = r->cap_points = 0;
    free(r->workers);
    r->workers = NULL;
    r->nworkers = 0;
}

const char *result_status_name(enum result_status s)
{
    switch (s) {
    case RESULT_OK: return "ok";
    case RESULT_ABORTED: return "aborted";
    case RESULT_FAILED: return "failed";
    }
    return "failed";
}

void result_default_path(const struct mb_config *cfg, char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(buf, len, "results/mqttbench-%s-%s.json", options_mode_name(cfg->mode), stamp);
}

static double rate(uint64_t n, double seconds)
{
    return seconds > 0 ? (double)n / seconds : 0.0;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    size_t n = s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

/* Add s as a string, its invalid UTF-8 bytes as U+FFFD: user input (a Latin-1
 * --id-prefix) must not make the file invalid JSON. */
static void add_text(cJSON *o, const char *key, const char *s)
{
    if (!s) s = "";
    size_t len = strlen(s);
    char *t = malloc(3 * len + 1);
    if (!t) {
        cJSON_AddStringToObject(o, key, "");
        return;
    }
    size_t o_len = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_len(p);
        if (n) {
            memcpy(t + o_len, p, n);
            o_len += n;
            p += n;
        } else {
            memcpy(t + o_len, "\xEF\xBF\xBD", 3);
            o_len += 3;
            p++;
        }
    }
    t[o_len] = '\0';
    cJSON_AddStringToObject(o, key, t);
    free(t);
}

static cJSON *config_json(const struct mb_config *c)
{
    cJSON *o = cJSON_CreateObject();
    char runid[32];
    snprintf(runid, sizeof(runid), "%016llx", (unsigned long long)c->run_id);
    cJSON_AddStringToObject(o, "mode", options_mode_name(c->mode));
    if (c->host) add_text(o, "host", c->host);
    else cJSON_AddNullToObject(o, "host");
    cJSON_AddNumberToObject(o, "port", c->port);
    cJSON_AddBoolToObject(o, "spawn_broker", c->spawn_broker);
    cJSON_AddNumberToObject(o, "broker_max_queued", (double)c->broker_max_queued);
    add_text(o, "topic", c->topic);
    add_text(o, "id_prefix", c->id_prefix);
    cJSON_AddNumberToObject(o, "keepalive_s", c->keepalive_s);
    cJSON_AddStringToObject(o, "protocol", c->protocol == 5 ? "5" : "3.1.1");
    if (c->username) add_text(o, "username", c->username);
    else cJSON_AddNullToObject(o, "username");
    cJSON_AddBoolToObject(o, "password_set", c->password != NULL);
    cJSON_AddNumberToObject(o, "qos", c->qos);
    cJSON_AddNumberToObject(o, "size", (double)c->size);
    cJSON_AddNumberToObject(o, "count", (double)c->count);
    cJSON_AddNumberToObject(o, "duration_s", (double)c->duration_ns / 1e9);
    cJSON_AddNumberToObject(o, "publishers", c->publishers);
    cJSON_AddNumberToObject(o, "subscribers", c->subscribers);
    cJSON_AddNumberToObject(o, "threads", c->threads);
    cJSON_AddNumberToObject(o, "rate", c->rate);
    cJSON_AddNumberToObject(o, "inflight", c->inflight);
    cJSON_AddNumberToObject(o, "backlog", (double)c->backlog);
    cJSON_AddNumberToObject(o, "sub_delay_s", (double)c->sub_delay_ns / 1e9);
    cJSON_AddNumberToObject(o, "drain_timeout_s", (double)c->drain_timeout_ns / 1e9);
    cJSON_AddNumberToObject(o, "connect_timeout_s", (double)c->connect_timeout_ns / 1e9);
    cJSON_AddStringToObject(o, "run_id", runid);
    cJSON_AddNumberToObject(o, "report_every", (double)c->report_every);
    cJSON_AddStringToObject(o, "shape", c->shape);
    if (c->sub_topic) add_text(o, "sub_topic", c->sub_topic);
    else cJSON_AddNullToObject(o, "sub_topic");
    cJSON_AddNumberToObject(o, "pub_qos", c->pub_qos);
    cJSON_AddNumberToObject(o, "sub_qos", c->sub_qos);
    cJSON_AddBoolToObject(o, "retain", c->retain);
    cJSON_AddBoolToObject(o, "clean", c->clean);
    cJSON_AddNumberToObject(o, "session_expiry_s", (double)c->session_expiry_s);
    cJSON_AddNumberToObject(o, "connect_rate", c->connect_rate);
    cJSON *bind = cJSON_AddArrayToObject(o, "bind_addresses");
    for (int i = 0; i < c->nbind; i++) cJSON_AddItemToArray(bind, cJSON_CreateString(c->bind_addresses[i]));
    cJSON_AddNumberToObject(o, "warmup_s", (double)c->warmup_ns / 1e9);
    add_text(o, "control_prefix", c->control_prefix);
    cJSON_AddBoolToObject(o, "control", !c->no_control);
    cJSON_AddNumberToObject(o, "expect_publishers", (double)c->expect_publishers);
    cJSON_AddNumberToObject(o, "wait_subscribers", (double)c->wait_subscribers);
    cJSON_AddNumberToObject(o, "wait_timeout_s", (double)c->wait_timeout_ns / 1e9);
    cJSON_AddNumberToObject(o, "first_publisher", (double)c->first_publisher);
    cJSON_AddStringToObject(o, "clock", c->mode == MB_MODE_BOTH || c->clock_monotonic ? "monotonic" : "realtime");
    cJSON_AddBoolToObject(o, "processes", c->processes);
    cJSON_AddNumberToObject(o, "repeat", (double)c->repeat);
    cJSON_AddBoolToObject(o, "quiet", c->quiet);
    return o;
}

static cJSON *environment_json(const struct run_result *r)
{
    const struct result_env *e = &r->env;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tool", "mqttbench");
    cJSON_AddStringToObject(o, "version", MB_VERSION);
    cJSON_AddStringToObject(o, "git_revision", MB_GIT_REV);
    cJSON_AddStringToObject(o, "libmosquitto", version_libmosquitto());
    cJSON_AddStringToObject(o, "hostname", e->hostname);
    cJSON_AddStringToObject(o, "cpu_model", e->cpu_model);
    cJSON_AddNumberToObject(o, "cpu_count", e->cpu_count);
    cJSON_AddStringToObject(o, "kernel", e->kernel);
    cJSON_AddStringToObject(o, "start_time", e->start_time);
    cJSON_AddStringToObject(o, "broker_address", e->broker_address);
    cJSON_AddBoolToObject(o, "broker_spawned", e->broker_spawned);
    if (e->broker_version[0]) cJSON_AddStringToObject(o, "broker_version", e->broker_version);
    else cJSON_AddNullToObject(o, "broker_version");
    cJSON_AddStringToObject(o, "latency_clock",
                            r->cfg->mode == MB_MODE_BOTH || r->cfg->clock_monotonic ? "CLOCK_MONOTONIC"
                                                                                      : "CLOCK_REALTIME");
    return o;
}

static cJSON *histogram_json(const struct hist *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "layout", "log-linear-v1");
    cJSON_AddStringToObject(o, "unit", "ns");
    cJSON_AddNumberToObject(o, "sub_buckets", 128);
    cJSON_AddNumberToObject(o, "count", (double)h->count);
    cJSON_AddNumberToObject(o, "min_ns", h->count ? (double)h->min_ns : 0);
    cJSON_AddNumberToObject(o, "max_ns", (double)h->max_ns);
    cJSON_AddNumberToObject(o, "sum_ns", h->sum_ns);
    cJSON_AddNumberToObject(o, "sumsq_ns", h->sumsq_ns);
    uint64_t *pairs = malloc(sizeof(uint64_t) * 2 * HIST_BUCKETS);
    cJSON *arr = cJSON_AddArrayToObject(o, "buckets");
    if (pairs) {
        size_t n = hist_encode(h, pairs, HIST_BUCKETS);
        for (size_t i = 0; i < 2 * n; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)pairs[i]));
        free(pairs);
    }
    return o;
}

static cJSON *latency_json(const struct hist *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "count", (double)h->count);
    cJSON_AddNumberToObject(o, "min", h->count ? (double)h->min_ns / 1e3 : 0);
    cJSON_AddNumberToObject(o, "mean", hist_mean_ns(h) / 1e3);
    cJSON_AddNumberToObject(o, "stdev", hist_stdev_ns(h) / 1e3);
    static const struct { const char *key; double pct; } ps[] = {
        { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 }, { "p9999", 99.99 },
    };
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        cJSON_AddNumberToObject(o, ps[i].key, (double)hist_percentile(h, ps[i].pct) / 1e3);
    cJSON_AddNumberToObject(o, "max", (double)h->max_ns / 1e3);
    cJSON_AddItemToObject(o, "histogram", histogram_json(h));
    return o;
}

cJSON *result_to_json(const struct run_result *r)
{
    const struct mb_config *c = r->cfg;
    const struct stats *t = &r->total;
    bool pub = c->mode != MB_MODE_SUB, sub = c->mode != MB_MODE_PUB;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", RESULT_SCHEMA);
    cJSON_AddStringToObject(root, "status", result_status_name(r->status));
    if (r->status != RESULT_OK) add_text(root, "error", r->error[0] ? r->error : "unknown error");
    cJSON_AddStringToObject(root, "mode", options_mode_name(c->mode));
    cJSON_AddItemToObject(root, "config", config_json(c));
    cJSON_AddItemToObject(root, "environment", environment_json(r));

    cJSON *ph = cJSON_AddObjectToObject(root, "phases");
    cJSON_AddNumberToObject(ph, "connect_s", r->connect_s);
    cJSON_AddNumberToObject(ph, "warmup_s", (double)c->warmup_ns / 1e9);
    cJSON_AddNumberToObject(ph, "measure_s", r->measure_s);
    cJSON_AddNumberToObject(ph, "drain_s", r->drain_s);

    cJSON *cn = cJSON_AddObjectToObject(root, "connect");
    cJSON_AddNumberToObject(cn, "clients", (double)r->clients);
    cJSON_AddNumberToObject(cn, "connected", (double)t->connect_lat.count);
    cJSON_AddNumberToObject(cn, "failures", (double)r->connect_failures);
    cJSON *why = cJSON_AddObjectToObject(cn, "failure_reasons");
    for (size_t i = 0; i < r->nfailures; i++)
        cJSON_AddNumberToObject(why, r->failures[i].reason, (double)r->failures[i].count);
    cJSON_AddNumberToObject(cn, "clients_per_s", r->connect_s > 0 ? (double)t->connect_lat.count / r->connect_s : 0);
    cJSON_AddItemToObject(cn, "time_us", latency_json(&t->connect_lat));
    cJSON_AddNumberToObject(cn, "disconnects", (double)t->disconnects);

    if (pub) {
        cJSON *p = cJSON_AddObjectToObject(root, "publish");
        cJSON_AddNumberToObject(p, "messages", (double)t->pub_done);
        cJSON_AddNumberToObject(p, "bytes", (double)t->pub_bytes);
        cJSON_AddNumberToObject(p, "errors", (double)t->pub_errors);
        if (t->pub_error[0]) cJSON_AddStringToObject(p, "first_error", t->pub_error);
        else cJSON_AddNullToObject(p, "first_error");
        cJSON_AddNumberToObject(p, "duration_s", r->pub_duration_s);
        cJSON_AddNumberToObject(p, "msgs_per_s", rate(t->pub_done, r->pub_duration_s));
        cJSON_AddNumberToObject(p, "publishers", c->publishers);
        cJSON_AddNumberToObject(p, "target_msgs_per_s", c->rate);
        cJSON_AddNumberToObject(p, "missed_slots", (double)t->pub_missed_slots);
        cJSON_AddNumberToObject(p, "max_lag_ms", (double)t->pub_max_lag_ns / 1e6);
        cJSON_AddNumberToObject(p, "publishers_done", (double)r->publishers_done);
    } else {
        cJSON_AddNullToObject(root, "publish");
    }
    if (sub) {
        cJSON *s = cJSON_AddObjectToObject(root, "subscribe");
        cJSON_AddNumberToObject(s, "messages", (double)t->sub_unique);
        if (r->expected_known) cJSON_AddNumberToObject(s, "expected", (double)r->expected);
        else cJSON_AddNullToObject(s, "expected");
        cJSON_AddNumberToObject(s, "lost", (double)r->lost);
        cJSON_AddBoolToObject(s, "lost_exact", r->lost_exact);
        cJSON_AddNumberToObject(s, "in_flight", (double)r->in_flight);
        cJSON_AddNumberToObject(s, "duplicates", (double)r->duplicates);
        cJSON_AddNumberToObject(s, "out_of_order", (double)r->out_of_order);
        cJSON_AddNumberToObject(s, "foreign", (double)t->sub_foreign);
        cJSON_AddNumberToObject(s, "duration_s", r->sub_duration_s);
        cJSON_AddNumberToObject(s, "msgs_per_s", rate(t->sub_unique, r->sub_duration_s));
        cJSON_AddNumberToObject(s, "subscribers", c->subscribers);
        cJSON *lat = latency_json(&t->lat);
        bool intended = c->mode == MB_MODE_BOTH && c->rate > 0;
        cJSON_AddStringToObject(lat, "from", intended ? "intended" : "send");
        cJSON_AddNumberToObject(lat, "negative", (double)t->sub_negative);
        cJSON_AddItemToObject(root, "latency_us", lat);
        cJSON *svc = latency_json(&t->service_lat);
        cJSON_AddStringToObject(svc, "from", "send");
        cJSON_AddItemToObject(root, "service_latency_us", svc);
    } else {
        cJSON_AddNullToObject(root, "subscribe");
        cJSON_AddNullToObject(root, "latency_us");
        cJSON_AddNullToObject(root, "service_latency_us");
    }

    cJSON *warn = cJSON_AddArrayToObject(root, "warnings");
    for (size_t i = 0; i < r->nwarnings; i++) cJSON_AddItemToArray(warn, cJSON_CreateString(r->warnings[i]));

    cJSON *ck = cJSON_AddObjectToObject(root, "clock");
    cJSON_AddStringToObject(ck, "method", r->clock.method);
    cJSON_AddNumberToObject(ck, "offset_us", r->clock.offset_us);
    cJSON_AddNumberToObject(ck, "uncertainty_us", r->clock.uncertainty_us);
    cJSON_AddNumberToObject(ck, "drift_us", r->clock.drift_us);
    cJSON_AddNumberToObject(ck, "samples", r->clock.samples);
    cJSON *peers = cJSON_AddArrayToObject(ck, "publishers");
    for (size_t i = 0; i < r->clock.npeers; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "id", r->clock.peers[i].id);
        cJSON_AddNumberToObject(p, "offset_before_us", r->clock.peers[i].before_us);
        cJSON_AddNumberToObject(p, "offset_after_us", r->clock.peers[i].after_us);
        cJSON_AddNumberToObject(p, "uncertainty_us", r->clock.peers[i].uncertainty_us);
        cJSON_AddNumberToObject(p, "samples", r->clock.peers[i].samples);
        cJSON_AddItemToArray(peers, p);
    }

    cJSON *ts = cJSON_AddArrayToObject(root, "timeseries");
    for (size_t i = 0; i < r->npoints; i++) {
        const struct result_point *p = &r->points[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "t", p->t_s);
        cJSON_AddNumberToObject(e, "sent", (double)p->sent);
        cJSON_AddNumberToObject(e, "received", (double)p->received);
        cJSON_AddNumberToObject(e, "p50", p->p50_us);
        cJSON_AddNumberToObject(e, "p99", p->p99_us);
        cJSON_AddItemToArray(ts, e);
    }

    cJSON *ws = cJSON_AddArrayToObject(root, "workers");
    for (size_t i = 0; i < r->nworkers; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "cpu_s", r->workers[i].cpu_s);
        cJSON_AddNumberToObject(e, "utilization", r->workers[i].utilization);
        cJSON_AddItemToArray(ws, e);
    }
    cJSON_AddBoolToObject(root, "generator_saturated", r->generator_saturated);
    cJSON_AddBoolToObject(root, "schedule_lagging", r->schedule_lagging);
    cJSON *ss = cJSON_AddObjectToObject(root, "self_stall");
    cJSON_AddNumberToObject(ss, "count", (double)r->self_stall.count);
    cJSON_AddNumberToObject(ss, "total_s", r->self_stall.total_s);
    cJSON_AddNumberToObject(ss, "max_s", r->self_stall.max_s);

    cJSON *res = cJSON_AddObjectToObject(root, "resources");
    cJSON_AddNumberToObject(res, "cpu_user_s", r->cpu_user_s);
    cJSON_AddNumberToObject(res, "cpu_sys_s", r->cpu_sys_s);
    cJSON_AddNumberToObject(res, "peak_rss_kb", (double)r->peak_rss_kb);
    cJSON_AddNumberToObject(res, "read_syscalls", (double)r->read_syscalls);
    cJSON_AddNumberToObject(res, "write_syscalls", (double)r->write_syscalls);
    return root;
}

int result_write(const struct run_result *r, const char *path, char *err, size_t errlen)
{
    cJSON *root = result_to_json(r);
    if (!root) {
        snprintf(err, errlen, "%s: out of memory formatting the results", path);
        return -1;
    }
    int rc = jsonfile_write(root, path, err, errlen);
    cJSON_Delete(root);
    return rc;
}
