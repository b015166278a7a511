/* Result JSON (schema mqttbench.result.v1): the writer, written atomically,
 * and the validating reader that turns a file back into a struct run_result. */
#include "result.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errmsg.h"
#include "jsonfile.h"
#include "metrics.h"
#include "optspec.h"
#include "reader.h"
#include "shard.h"
#include "sweep.h"

/* Memory a result owns besides its arrays: its config and strings (read or
 * merged results), repeat and sources. One node per allocation. */
struct result_store {
    struct result_store *next;
    max_align_t data[];
};

void *result_alloc(struct run_result *r, size_t n)
{
    struct result_store *s = calloc(1, sizeof(*s) + n);
    if (!s)
        return NULL;
    s->next = r->store;
    r->store = s;
    return s->data;
}

const char *result_strdup(struct run_result *r, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = result_alloc(r, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void result_init(struct run_result *r, const struct mb_config *cfg)
{
    r->cfg = cfg;
    r->publishers = cfg->publishers;
    r->subscribers = cfg->subscribers;
    r->target_msgs_per_s = cfg->rate;
    r->latency_intended = cfg->mode == MB_MODE_BOTH && cfg->rate > 0;
    r->coalesce_ns = cfg->coalesce_ns;
    r->env.latency_monotonic = cfg->mode == MB_MODE_BOTH || cfg->mode == MB_MODE_CONN || cfg->clock_monotonic;
}

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

void result_add_failure(struct run_result *r, const char *reason, uint64_t n)
{
    size_t j = 0;
    while (j < r->nfailures && strcmp(r->failures[j].reason, reason) != 0) j++;
    if (j == r->nfailures) {
        if (j == RESULT_MAX_FAILURES) j--;
        else snprintf(r->failures[r->nfailures++].reason, sizeof(r->failures[0].reason), "%s", reason);
    }
    r->failures[j].count += n;
}

int result_add_warning(struct run_result *r, const char *text)
{
    for (size_t i = 0; i < r->nwarnings; i++)
        if (strncmp(r->warnings[i], text, sizeof(r->warnings[i]) - 1) == 0) return 0;
    if (r->nwarnings == RESULT_MAX_WARNINGS) {
        snprintf(r->warnings[RESULT_MAX_WARNINGS - 1], sizeof(r->warnings[0]),
                 "more than %d warnings; the rest were left out", RESULT_MAX_WARNINGS - 1);
        return -1;
    }
    snprintf(r->warnings[r->nwarnings++], sizeof(r->warnings[0]), "%s", text);
    return 0;
}

void result_free(struct run_result *r)
{
    free(r->points);
    free(r->workers);
    for (size_t i = 0; i < r->nruns; i++) result_free(&r->runs[i]);
    free(r->runs);
    for (struct result_store *s = r->store, *next; s; s = next) {
        next = s->next;
        free(s);
    }
    memset(r, 0, sizeof(*r));
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

const char *result_mode_name(enum mb_mode m)
{
    switch (m) {
    case MB_MODE_PUB: return "pub";
    case MB_MODE_SUB: return "sub";
    case MB_MODE_BOTH: return "both";
    case MB_MODE_CONN: return "conn";
    }
    return "both";
}

void result_default_path(const struct mb_config *cfg, char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(buf, len, "results/mqttbench-%s-%s.json", result_mode_name(cfg->mode), stamp);
}

int result_qos_granted(uint8_t mask)
{
    for (int q = 0; q <= 2; q++)
        if (mask & (1u << q)) return q;
    return -1;
}

bool result_qos_warning(const struct run_result *r, char *buf, size_t len)
{
    const struct mb_config *c = r->cfg;
    int g = result_qos_granted(r->total.sub_qos_granted);
    /* In both, a grant below the publish QoS failed the run, and said so. */
    if (c->mode == MB_MODE_PUB || g < 0 || g >= c->sub_qos || (c->mode == MB_MODE_BOTH && c->pub_qos > g))
        return false;
    snprintf(buf, len, "the broker granted QoS %d to the QoS %d subscriptions: messages reached the "
             "subscribers at QoS %d at most", g, c->sub_qos, g);
    return true;
}

/* One side's QoS: asked for, and what the broker granted (null: no answer). */
static cJSON *qos_side_json(int requested, uint8_t granted_mask)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "requested", requested);
    int g = result_qos_granted(granted_mask);
    if (g >= 0) cJSON_AddNumberToObject(o, "granted", g);
    else cJSON_AddNullToObject(o, "granted");
    return o;
}

/* Make s valid UTF-8 in place: every byte that does not start or continue a
 * well-formed sequence (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF) becomes '?'. */
static void fix_utf8(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        unsigned char c = p[0];
        size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
                 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
        bool ok = n > 0;
        for (size_t i = 1; ok && i < n; i++)
            ok = (p[i] & 0xc0) == 0x80;
        if (ok && n == 3)
            ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] > 0x9f);
        if (ok && n == 4)
            ok = !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] > 0x8f);
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

/* fix_utf8 on every string and key of x. */
static void fix_utf8_tree(cJSON *x)
{
    for (; x; x = x->next) {
        if (x->string) fix_utf8(x->string);
        if (cJSON_IsString(x) && x->valuestring) fix_utf8(x->valuestring);
        fix_utf8_tree(x->child);
    }
}

double result_rate(uint64_t n, double seconds)
{
    return seconds > 0 ? (double)n / seconds : 0.0;
}

double result_percentile_us(const struct hist *h, double pct)
{
    return (double)hist_percentile(h, pct) / 1e3;
}

/* Row s of the option table as `config` records it. */
static void config_add(cJSON *o, const struct opt_spec *s, const struct mb_config *c)
{
    const void *f = optspec_cfield(s, c);
    const char *word;
    char hex[32];
    if (s->flags & OPT_SECRET) {
        cJSON_AddBoolToObject(o, s->key, *(const char *const *)f != NULL);
        return;
    }
    if (s->kind == OPT_CHOICE) {
        if ((word = optspec_choice_name(s, c))) cJSON_AddStringToObject(o, s->key, word);
        else cJSON_AddNullToObject(o, s->key);
        return;
    }
    switch (s->ctype) {
    case OPT_C_INT:
    case OPT_C_LONG:
        cJSON_AddNumberToObject(o, s->key, (double)optspec_get_int(s, c));
        break;
    case OPT_C_BOOL:
        cJSON_AddBoolToObject(o, s->key, *(const bool *)f != ((s->flags & OPT_RECORD_NOT) != 0));
        break;
    case OPT_C_U64:
        if (s->kind == OPT_HEX) {
            snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)*(const uint64_t *)f);
            cJSON_AddStringToObject(o, s->key, hex);
        } else {
            cJSON_AddNumberToObject(o, s->key, (double)*(const uint64_t *)f / (s->kind == OPT_DURATION ? 1e9 : 1));
        }
        break;
    case OPT_C_DOUBLE:
        cJSON_AddNumberToObject(o, s->key, *(const double *)f);
        break;
    case OPT_C_STR:
        if (*(const char *const *)f) cJSON_AddStringToObject(o, s->key, *(const char *const *)f);
        else cJSON_AddNullToObject(o, s->key);
        break;
    case OPT_C_OTHER: {   /* the one list: --bind-address */
        cJSON *bind = cJSON_AddArrayToObject(o, s->key);
        for (int i = 0; i < c->nbind; i++) cJSON_AddItemToArray(bind, cJSON_CreateString(c->bind_addresses[i]));
        break;
    }
    case OPT_C_NONE:
        break;
    }
}

cJSON *result_config_json(const struct run_result *r)
{
    /* --clock is recorded as the clock the latencies use (in both, always
     * the monotonic one), so the reader checks the two agree; --coalesce as
     * in effect. */
    struct mb_config c = *r->cfg;
    c.clock_monotonic = r->env.latency_monotonic;
    c.coalesce_ns = r->coalesce_ns;
    shard_whole_config(&c);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "mode", result_mode_name(c.mode));
    OPT_FOR_EACH(s)
        if (s->key) config_add(o, s, &c);
    return o;
}

static cJSON *environment_json(const struct run_result *r)
{
    const struct result_env *e = &r->env;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tool", "mqttbench");
    cJSON_AddStringToObject(o, "version", e->version);
    cJSON_AddStringToObject(o, "git_revision", e->git_revision);
    cJSON_AddStringToObject(o, "libmosquitto", e->libmosquitto);
    cJSON_AddStringToObject(o, "hostname", e->hostname);
    cJSON_AddNumberToObject(o, "pid", (double)e->pid);
    cJSON_AddStringToObject(o, "cpu_model", e->cpu_model);
    cJSON_AddNumberToObject(o, "cpu_count", e->cpu_count);
    cJSON_AddStringToObject(o, "kernel", e->kernel);
    cJSON_AddStringToObject(o, "start_time", e->start_time);
    cJSON_AddStringToObject(o, "broker_address", e->broker_address);
    cJSON_AddBoolToObject(o, "broker_spawned", e->broker_spawned);
    if (e->broker_version[0]) cJSON_AddStringToObject(o, "broker_version", e->broker_version);
    else cJSON_AddNullToObject(o, "broker_version");
    cJSON_AddStringToObject(o, "latency_clock", e->latency_monotonic ? "CLOCK_MONOTONIC" : "CLOCK_REALTIME");
    cJSON_AddStringToObject(o, "io_layer", e->io_layer_off ? "off" : "iobuf");
    if (e->tls.library[0]) {
        cJSON *t = cJSON_AddObjectToObject(o, "tls");
        cJSON_AddStringToObject(t, "library", e->tls.library);
        cJSON_AddStringToObject(t, "protocol", e->tls.protocol);
        cJSON_AddStringToObject(t, "cipher", e->tls.cipher);
        cJSON_AddStringToObject(t, "alpn", e->tls.alpn);
        cJSON_AddStringToObject(t, "verify", e->tls.verify);
    } else {
        cJSON_AddNullToObject(o, "tls");
    }
    return o;
}

static cJSON *histogram_json(const struct hist *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "layout", "log-linear-v1");
    cJSON_AddStringToObject(o, "unit", "ns");
    cJSON_AddNumberToObject(o, "sub_buckets", HIST_SUB_BUCKETS);
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
        cJSON_AddNumberToObject(o, ps[i].key, result_percentile_us(h, ps[i].pct));
    cJSON_AddNumberToObject(o, "max", (double)h->max_ns / 1e3);
    cJSON_AddItemToObject(o, "histogram", histogram_json(h));
    return o;
}

const char *const result_conn_fail_keys[STATS_CONN_NFAIL] = {
    [STATS_CONN_REFUSED] = "refused", [STATS_CONN_TIMEOUT] = "timeout", [STATS_CONN_TCP] = "tcp",
    [STATS_CONN_TLS] = "tls", [STATS_CONN_SUBSCRIBE] = "subscribe", [STATS_CONN_LOST] = "lost",
};

static cJSON *conn_json(const struct run_result *r)
{
    const struct stats_conn *k = &r->total.conn;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "scheduled", (double)r->conn_scheduled);
    cJSON_AddNumberToObject(o, "started", (double)k->started);
    cJSON_AddNumberToObject(o, "done", (double)k->done);
    cJSON *f = cJSON_AddObjectToObject(o, "failed");
    for (int i = 0; i < STATS_CONN_NFAIL; i++) cJSON_AddNumberToObject(f, result_conn_fail_keys[i], (double)k->failed[i]);
    cJSON_AddNumberToObject(o, "takeovers", (double)k->takeovers);
    cJSON_AddNumberToObject(o, "duration_s", r->conn_duration_s);
    cJSON_AddNumberToObject(o, "connects_per_s", result_rate(k->done, r->conn_duration_s));
    cJSON_AddNumberToObject(o, "target_per_s", r->target_msgs_per_s);
    cJSON_AddNumberToObject(o, "late", (double)k->late);
    cJSON_AddNumberToObject(o, "slot_waits", (double)k->slot_waits);
    cJSON_AddNumberToObject(o, "max_lag_ms", (double)k->max_lag_ns / 1e6);
    return o;
}

cJSON *result_to_json(const struct run_result *r)
{
    const struct mb_config *c = r->cfg;
    const struct stats *t = &r->total;
    bool pub = mb_mode_publishes(c->mode), sub = mb_mode_subscribes(c->mode);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", RESULT_SCHEMA);
    cJSON_AddStringToObject(root, "status", result_status_name(r->status));
    if (r->status != RESULT_OK) cJSON_AddStringToObject(root, "error", r->error[0] ? r->error : "unknown error");
    cJSON_AddStringToObject(root, "mode", result_mode_name(c->mode));
    cJSON_AddItemToObject(root, "config", result_config_json(r));
    cJSON_AddItemToObject(root, "environment", environment_json(r));

    cJSON *qos = cJSON_AddObjectToObject(root, "qos");
    if (pub) cJSON_AddItemToObject(qos, "publish", qos_side_json(c->pub_qos, t->pub_qos_granted));
    else cJSON_AddNullToObject(qos, "publish");
    if (sub) cJSON_AddItemToObject(qos, "subscribe", qos_side_json(c->sub_qos, t->sub_qos_granted));
    else cJSON_AddNullToObject(qos, "subscribe");

    if (r->flow_on) {
        cJSON *fl = cJSON_AddObjectToObject(root, "flow");
        cJSON_AddNumberToObject(fl, "backlog", (double)c->backlog);
        cJSON_AddNumberToObject(fl, "held_s", (double)t->flow_held_ns / 1e9);
        cJSON_AddBoolToObject(fl, "paced_by_window", r->flow_paced_by_window);
    } else {
        cJSON_AddNullToObject(root, "flow");
    }

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
    cJSON_AddItemToObject(cn, "tcp_us", latency_json(&t->connect_tcp));
    if (r->env.tls.library[0]) {
        cJSON_AddItemToObject(cn, "tls_us", latency_json(&t->connect_tls));
        cJSON_AddNumberToObject(cn, "tls_handshakes_per_s", r->tls_per_s);
    } else {
        cJSON_AddNullToObject(cn, "tls_us");
        cJSON_AddNullToObject(cn, "tls_handshakes_per_s");
    }
    cJSON_AddItemToObject(cn, "connack_us", latency_json(&t->connect_connack));
    cJSON_AddNumberToObject(cn, "disconnects", (double)t->disconnects);
    cJSON_AddNumberToObject(cn, "reconnects", (double)t->reconnects);
    cJSON_AddItemToObject(cn, "reconnect_us", latency_json(&t->reconnect_time));
    cJSON_AddNumberToObject(cn, "lost_unsent", (double)t->lost_unsent);

    if (pub) {
        cJSON *p = cJSON_AddObjectToObject(root, "publish");
        cJSON_AddNumberToObject(p, "messages", (double)t->pub_done);
        cJSON_AddNumberToObject(p, "bytes", (double)t->pub_bytes);
        cJSON_AddNumberToObject(p, "errors", (double)t->pub_errors);
        if (t->pub_error[0]) cJSON_AddStringToObject(p, "first_error", t->pub_error);
        else cJSON_AddNullToObject(p, "first_error");
        cJSON_AddNumberToObject(p, "duration_s", r->pub_duration_s);
        cJSON_AddNumberToObject(p, "msgs_per_s", result_rate(t->pub_done, r->pub_duration_s));
        cJSON_AddNumberToObject(p, "publishers", r->publishers);
        cJSON_AddNumberToObject(p, "target_msgs_per_s", r->target_msgs_per_s);
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
        cJSON_AddNumberToObject(s, "msgs_per_s", result_rate(t->sub_unique, r->sub_duration_s));
        cJSON_AddNumberToObject(s, "subscribers", r->subscribers);
        cJSON *lat = latency_json(&t->lat);
        cJSON_AddStringToObject(lat, "from", r->latency_intended ? "intended" : "send");
        cJSON_AddNumberToObject(lat, "negative", (double)t->sub_negative);
        cJSON_AddItemToObject(root, "latency_us", lat);
        cJSON *svc = latency_json(&t->service_lat);
        cJSON_AddStringToObject(svc, "from", "send");
        cJSON_AddItemToObject(root, "service_latency_us", svc);
        cJSON_AddItemToObject(root, "outage_latency_us", latency_json(&t->lat_outage));
    } else {
        cJSON_AddNullToObject(root, "subscribe");
        cJSON_AddNullToObject(root, "latency_us");
        cJSON_AddNullToObject(root, "service_latency_us");
        cJSON_AddNullToObject(root, "outage_latency_us");
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
    cJSON *outs = cJSON_AddArrayToObject(root, "outages");
    for (size_t i = 0; i < r->noutages; i++) {
        const struct result_outage *o = &r->outages[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "start_s", o->start_s);
        if (o->ended) cJSON_AddNumberToObject(e, "end_s", o->end_s);
        else cJSON_AddNullToObject(e, "end_s");
        cJSON_AddNumberToObject(e, "clients", (double)o->clients);
        cJSON_AddItemToObject(e, "reconnect_us", latency_json(&o->reconnect));
        if (o->flowed) cJSON_AddNumberToObject(e, "flowing_s", o->flowing_s);
        else cJSON_AddNullToObject(e, "flowing_s");
        const char *const cname[] = { "lost", "duplicates", "redelivered" };
        const uint64_t cv[] = { o->lost, o->duplicates, o->redelivered };
        for (size_t k = 0; k < 3; k++)
            if (o->counted) cJSON_AddNumberToObject(e, cname[k], (double)cv[k]);
            else cJSON_AddNullToObject(e, cname[k]);
        cJSON_AddItemToArray(outs, e);
    }
    cJSON_AddNumberToObject(root, "outages_total", (double)r->outages_total);
    if (r->outside_counted) {
        cJSON *os = cJSON_AddObjectToObject(root, "outages_outside");
        cJSON_AddNumberToObject(os, "lost", (double)r->outages_outside.lost);
        cJSON_AddNumberToObject(os, "duplicates", (double)r->outages_outside.duplicates);
    } else {
        cJSON_AddNullToObject(root, "outages_outside");
    }
    if (c->mode == MB_MODE_CONN) cJSON_AddItemToObject(root, "conn", conn_json(r));
    else cJSON_AddNullToObject(root, "conn");
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

    if (r->repeat) cJSON_AddItemToObject(root, "repeat", metrics_spread_json(r->repeat));
    if (r->runs) {
        cJSON *runs = cJSON_AddArrayToObject(root, "runs");
        for (size_t i = 0; i < r->nruns; i++) cJSON_AddItemToArray(runs, result_to_json(&r->runs[i]));
    }
    if (r->sweep) cJSON_AddItemToObject(root, "sweep", sweep_to_json(r));
    if (r->sources) {
        cJSON *mg = cJSON_AddObjectToObject(root, "merged");
        cJSON_AddNumberToObject(mg, "inputs", (double)r->nsources);
        cJSON_AddStringToObject(mg, "kind", r->merged_split ? "pub+sub" : "same scenario");
        cJSON_AddStringToObject(mg, "timeseries_percentiles",
                                "max of the inputs' values in each second (an upper bound)");
        cJSON *src = cJSON_AddArrayToObject(root, "sources");
        for (size_t i = 0; i < r->nsources; i++) {
            const struct result_source *so = &r->sources[i];
            char runid[32];
            snprintf(runid, sizeof(runid), "%016" PRIx64, so->run_id);
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "path", so->path);
            cJSON_AddStringToObject(e, "hostname", so->hostname);
            cJSON_AddNumberToObject(e, "pid", (double)so->pid);
            cJSON_AddStringToObject(e, "start_time", so->start_time);
            cJSON_AddStringToObject(e, "mode", result_mode_name(so->mode));
            cJSON_AddStringToObject(e, "status", result_status_name(so->status));
            cJSON_AddStringToObject(e, "run_id", runid);
            cJSON_AddItemToArray(src, e);
        }
    }
    fix_utf8_tree(root);
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

/* ---- the reader ---- */

#define RD_MAX 1e15     /* largest rate, latency (µs), seconds, CPU time, offset or RSS accepted */

/* One object being read: keys are looked up in obj, messages start with
 * prefix ("timeseries[3]."), and the first failure sticks (rc -1, or -2 out
 * of memory), so a section reads as a plain list of fields. */
struct rd {
    const cJSON *obj;
    const char *prefix;
    struct run_result *r;
    char *err;
    size_t errlen;
    int rc;
};

__attribute__((format(printf, 2, 3)))
static void rd_fail(struct rd *d, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    if (d->rc) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    errmsg_set(d->err, d->errlen, "%s%s", d->prefix, msg);
    d->rc = strcmp(msg, "out of memory") == 0 ? -2 : -1;
}

/* The number at key: finite, in [lo, hi], and a whole number when whole. */
static double rd_num(struct rd *d, const char *key, double lo, double hi, bool whole)
{
    char why[300];
    double v = 0;
    if (d->rc) return 0;
    if (reader_number(d->obj, key, lo, hi, &v, why, sizeof(why)) != 0) {
        rd_fail(d, "%s", why);
    } else if (whole && floor(v) != v) {
        reader_number_text(v, why, sizeof(why));
        rd_fail(d, "%s: %s is not a whole number", key, why);
    }
    return d->rc ? 0 : v;
}

static uint64_t rd_count(struct rd *d, const char *key) { return (uint64_t)rd_num(d, key, 0, READER_MAX_COUNT, true); }
static int rd_int(struct rd *d, const char *key, double lo, double hi) { return (int)rd_num(d, key, lo, hi, true); }
static double rd_real(struct rd *d, const char *key, double lo) { return rd_num(d, key, lo, RD_MAX, false); }

/* A duration the writer wrote as ns / scale (seconds: 1e9, ms: 1e6), in ns:
 * the ns whose division gives the value exactly, when there is one. */
static uint64_t rd_ns(struct rd *d, const char *key, double scale)
{
    double v = rd_num(d, key, 0, READER_MAX_COUNT / scale, false), x = round(v * scale);
    for (double k = -2; k <= 2; k++)
        if (x + k >= 0 && (x + k) / scale == v) return (uint64_t)(x + k);
    return (uint64_t)x;
}

static bool rd_bool(struct rd *d, const char *key)
{
    const cJSON *x = reader_find(d->obj, key);
    if (!cJSON_IsBool(x)) rd_fail(d, "%s: %s", key, x ? "expected true or false" : "missing");
    return !d->rc && cJSON_IsTrue(x);
}

/* The string at key, made valid UTF-8: into buf (refused when it does not
 * fit its len bytes: mqttbench never writes that) or, with buf NULL, as a
 * copy in r's store. A null gives NULL when nullable. */
static const char *rd_str(struct rd *d, const char *key, char *buf, size_t len, bool nullable)
{
    char why[300];
    const char *s;
    if (buf) buf[0] = '\0';
    if (d->rc || (nullable && cJSON_IsNull(reader_find(d->obj, key)))) return NULL;
    if (reader_string(d->obj, key, &s, why, sizeof(why)) != 0) {
        rd_fail(d, "%s", why);
        return NULL;
    }
    if (buf && strlen(s) >= len) {
        rd_fail(d, "%s: %zu bytes, longer than the %zu a result holds", key, strlen(s), len - 1);
        return NULL;
    }
    char *c = buf ? strcpy(buf, s) : (char *)result_strdup(d->r, s);
    if (c) fix_utf8(c);
    else rd_fail(d, "out of memory");
    return c;
}

/* The string at key as the index of its value in names[0..n-1]. */
static int rd_pick(struct rd *d, const char *key, const char *const *names, int n)
{
    char why[300], shown[64];
    const char *s;
    if (d->rc) return 0;
    if (reader_string(d->obj, key, &s, why, sizeof(why)) != 0) {
        rd_fail(d, "%s", why);
        return 0;
    }
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) return i;
    reader_sanitize(s, 32, shown, sizeof(shown));
    rd_fail(d, "%s: \"%s\", expected \"%s\" or \"%s\"%s", key, shown, names[0], names[n - 1], n > 2 ? " (or ...)" : "");
    return 0;
}

static enum mb_mode rd_mode(struct rd *d, const char *key)
{
    const char *const names[] = { result_mode_name(MB_MODE_PUB), result_mode_name(MB_MODE_SUB),
                                  result_mode_name(MB_MODE_BOTH), result_mode_name(MB_MODE_CONN) };
    return (enum mb_mode)rd_pick(d, key, names, 4);
}

static enum result_status rd_status(struct rd *d, const char *key)
{
    const char *const names[] = { result_status_name(RESULT_OK), result_status_name(RESULT_ABORTED),
                                  result_status_name(RESULT_FAILED) };
    return (enum result_status)rd_pick(d, key, names, 3);
}

static uint64_t rd_run_id(struct rd *d, const char *key)
{
    char id[17];
    rd_str(d, key, id, sizeof(id), false);
    if (!d->rc && strspn(id, "0123456789abcdef") != 16) rd_fail(d, "%s: \"%s\" is not 16 hex digits", key, id);
    return d->rc ? 0 : strtoull(id, NULL, 16);
}

/* "YYYY-MM-DDTHH:MM:SSZ" as seconds since the epoch; -1 when it is not one. */
static double parse_utc(const char *s)
{
    struct tm tm;
    int len = 0;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &len) != 6 || len != 20 || s[len] != '\0' || tm.tm_year < 1970 ||
        tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? -1 : (double)t;
}

double result_start_s(const struct run_result *r)
{
    return parse_utc(r->env.start_time);
}

/* A start time into buf; "" (unknown) only when may_be_empty. */
static void rd_time(struct rd *d, const char *key, char *buf, size_t len, bool may_be_empty)
{
    rd_str(d, key, buf, len, false);
    if (!d->rc && parse_utc(buf) < 0 && !(may_be_empty && !buf[0]))
        rd_fail(d, "%s: \"%.32s\" is not YYYY-MM-DDTHH:MM:SSZ", key, buf);
}

/* The latency object at key (latency_us, connect.time_us, ...) into h. */
static void rd_hist(struct rd *d, const char *key, struct hist *h)
{
    char why[300];
    const cJSON *lat = reader_find(d->obj, key);
    if (!d->rc && reader_histogram(lat, h, why, sizeof(why)) != 0) rd_fail(d, "%s.%s", key, why);
}

/* The array at key, at most max entries; NULL when missing and optional. */
static const cJSON *rd_array(struct rd *d, const char *key, size_t max, bool optional)
{
    const cJSON *a = reader_find(d->obj, key);
    if (d->rc || (!a && optional)) return NULL;
    if (!cJSON_IsArray(a)) rd_fail(d, "%s: %s", key, a ? "expected an array" : "missing");
    else if ((size_t)cJSON_GetArraySize(a) > max) rd_fail(d, "%s: more than %zu entries", key, max);
    return d->rc ? NULL : a;
}

/* A sub-reader for one array entry x, named key[i]. */
static struct rd rd_entry(const struct rd *d, const cJSON *x, char *prefix, size_t len, const char *key, size_t i)
{
    snprintf(prefix, len, "%s[%zu].", key, i);
    return (struct rd){ .obj = x, .prefix = prefix, .r = d->r, .err = d->err, .errlen = d->errlen, .rc = d->rc };
}

/* Row s of the option table from `config`, as config_add wrote it. */
static void read_config_key(struct rd *d, const struct opt_spec *s, struct mb_config *c)
{
    char key[64];
    void *f = optspec_field(s, c);
    snprintf(key, sizeof(key), "config.%s", s->key);
    if ((s->flags & OPT_NEWER) && !reader_find(d->obj, key)) {   /* an older file */
        if (s->def) optspec_apply(s, c, s->def, NULL, 0);
        return;
    }
    if (s->flags & OPT_SECRET) {
        *(const char **)f = rd_bool(d, key) ? OPT_NOT_RECORDED : NULL;
        return;
    }
    if (s->kind == OPT_CHOICE && !s->def && cJSON_IsNull(reader_find(d->obj, key))) return;   /* not given */
    if (s->kind == OPT_CHOICE) {
        const char *words[16];
        int n = (int)optspec_choice_words(s, words, 16);
        int i = rd_pick(d, key, words, n);
        if (!d->rc) optspec_apply(s, c, words[i], NULL, 0);
        return;
    }
    switch (s->ctype) {
    case OPT_C_INT:
    case OPT_C_LONG:
        optspec_set_int(s, c, (long long)rd_num(d, key, (s->flags & OPT_UNSET_NEG) ? -1 : 0,
                                                s->kind == OPT_QOS ? 2 : s->ctype == OPT_C_INT ? INT_MAX
                                                                                               : READER_MAX_COUNT,
                                                true));
        break;
    case OPT_C_BOOL:
        *(bool *)f = rd_bool(d, key) != ((s->flags & OPT_RECORD_NOT) != 0);
        break;
    case OPT_C_U64:
        *(uint64_t *)f = s->kind == OPT_HEX ? rd_run_id(d, key) : s->kind == OPT_DURATION ? rd_ns(d, key, 1e9)
                                                                                          : rd_count(d, key);
        break;
    case OPT_C_DOUBLE:
        *(double *)f = rd_real(d, key, 0);
        break;
    case OPT_C_STR:
        *(const char **)f = rd_str(d, key, NULL, 0, s->def == NULL);
        break;
    case OPT_C_OTHER: {   /* the one list: --bind-address */
        const cJSON *bind = rd_array(d, key, sizeof(c->bind_addresses) / sizeof(c->bind_addresses[0]), false);
        for (const cJSON *b = bind ? bind->child : NULL; b; b = b->next) {
            char prefix[48];
            struct rd e = rd_entry(d, b, prefix, sizeof(prefix), key, (size_t)c->nbind);
            if (!cJSON_IsString(b) || strlen(b->valuestring) >= sizeof(c->bind_addresses[0]))
                rd_fail(&e, "expected an address of at most %zu bytes", sizeof(c->bind_addresses[0]) - 1);
            else fix_utf8(strcpy(c->bind_addresses[c->nbind++], b->valuestring));
            d->rc = e.rc;
        }
        break;
    }
    case OPT_C_NONE:
        break;
    }
}

static void read_config(struct rd *d, struct mb_config *c)
{
    c->mode = rd_mode(d, "config.mode");
    OPT_FOR_EACH(s)
        if (s->key) read_config_key(d, s, c);
}

static void read_env(struct rd *d, struct result_env *e)
{
    const char *const clocks[] = { "CLOCK_REALTIME", "CLOCK_MONOTONIC" };
    rd_str(d, "environment.version", e->version, sizeof(e->version), false);
    rd_str(d, "environment.git_revision", e->git_revision, sizeof(e->git_revision), false);
    rd_str(d, "environment.libmosquitto", e->libmosquitto, sizeof(e->libmosquitto), false);
    rd_str(d, "environment.hostname", e->hostname, sizeof(e->hostname), false);
    e->pid = reader_find(d->obj, "environment.pid") ? rd_int(d, "environment.pid", 0, INT_MAX) : 0;
    rd_str(d, "environment.cpu_model", e->cpu_model, sizeof(e->cpu_model), false);
    e->cpu_count = rd_int(d, "environment.cpu_count", 0, INT_MAX);
    rd_str(d, "environment.kernel", e->kernel, sizeof(e->kernel), false);
    rd_time(d, "environment.start_time", e->start_time, sizeof(e->start_time), false);
    rd_str(d, "environment.broker_address", e->broker_address, sizeof(e->broker_address), false);
    e->broker_spawned = rd_bool(d, "environment.broker_spawned");
    rd_str(d, "environment.broker_version", e->broker_version, sizeof(e->broker_version), true);
    e->latency_monotonic = rd_pick(d, "environment.latency_clock", clocks, 2);
    /* newer key: a result without it ran with the layer on */
    const char *const layers[] = { "iobuf", "off" };
    e->io_layer_off = reader_find(d->obj, "environment.io_layer") && rd_pick(d, "environment.io_layer", layers, 2);
    /* newer key: a result without it ran without TLS */
    const cJSON *tls = reader_find(d->obj, "environment.tls");
    if (tls && !cJSON_IsNull(tls)) {
        rd_str(d, "environment.tls.library", e->tls.library, sizeof(e->tls.library), false);
        rd_str(d, "environment.tls.protocol", e->tls.protocol, sizeof(e->tls.protocol), false);
        rd_str(d, "environment.tls.cipher", e->tls.cipher, sizeof(e->tls.cipher), false);
        rd_str(d, "environment.tls.alpn", e->tls.alpn, sizeof(e->tls.alpn), false);
        rd_str(d, "environment.tls.verify", e->tls.verify, sizeof(e->tls.verify), false);
        if (!d->rc && !e->tls.library[0]) rd_fail(d, "environment.tls.library: must not be empty");
    }
}

static void read_counts(struct rd *d, struct run_result *r, bool pub, bool sub)
{
    struct stats *t = &r->total;
    const cJSON *why = reader_find(d->obj, "connect.failure_reasons");
    r->connect_s = rd_real(d, "phases.connect_s", 0);
    r->measure_s = rd_real(d, "phases.measure_s", 0);
    r->drain_s = rd_real(d, "phases.drain_s", 0);
    r->clients = rd_count(d, "connect.clients");
    r->connect_failures = rd_count(d, "connect.failures");
    if (!cJSON_IsObject(why)) rd_fail(d, "connect.failure_reasons: %s", why ? "expected an object" : "missing");
    for (const cJSON *x = d->rc ? NULL : why->child; x && !d->rc; x = x->next) {
        char reason[sizeof(r->failures[0].reason)], key[128];
        snprintf(reason, sizeof(reason), "%s", x->string);
        fix_utf8(reason);
        struct rd e = { .obj = why, .prefix = "connect.failure_reasons.", .r = r, .err = d->err, .errlen = d->errlen };
        reader_sanitize(x->string, 40, key, sizeof(key));
        if (cJSON_IsNumber(x) && x->valuedouble >= 0 && x->valuedouble <= READER_MAX_COUNT &&
            floor(x->valuedouble) == x->valuedouble)
            result_add_failure(r, reason, (uint64_t)x->valuedouble);
        else
            rd_fail(&e, "%s: expected a count", key);
        d->rc = e.rc;
    }
    rd_hist(d, "connect.time_us", &t->connect_lat);
    /* newer keys: the connect phase split (older files have none) */
    if (reader_find(d->obj, "connect.tcp_us")) rd_hist(d, "connect.tcp_us", &t->connect_tcp);
    if (reader_find(d->obj, "connect.connack_us")) rd_hist(d, "connect.connack_us", &t->connect_connack);
    if (r->env.tls.library[0]) {
        rd_hist(d, "connect.tls_us", &t->connect_tls);
        r->tls_per_s = rd_real(d, "connect.tls_handshakes_per_s", 0);
    }
    t->disconnects = rd_count(d, "connect.disconnects");
    /* newer keys: --reconnect (older files have none) */
    if (reader_find(d->obj, "connect.reconnects")) {
        t->reconnects = rd_count(d, "connect.reconnects");
        rd_hist(d, "connect.reconnect_us", &t->reconnect_time);
        t->lost_unsent = rd_count(d, "connect.lost_unsent");
    }
    if (pub) {
        t->pub_done = rd_count(d, "publish.messages");
        t->pub_bytes = rd_count(d, "publish.bytes");
        t->pub_errors = rd_count(d, "publish.errors");
        if (reader_find(d->obj, "publish.first_error"))   /* newer key */
            rd_str(d, "publish.first_error", t->pub_error, sizeof(t->pub_error), true);
        r->pub_duration_s = rd_real(d, "publish.duration_s", 0);
        r->publishers = rd_int(d, "publish.publishers", 0, INT_MAX);
        r->target_msgs_per_s = rd_real(d, "publish.target_msgs_per_s", 0);
        t->pub_missed_slots = rd_count(d, "publish.missed_slots");
        t->pub_max_lag_ns = rd_ns(d, "publish.max_lag_ms", 1e6);
        r->publishers_done = rd_count(d, "publish.publishers_done");
    }
    if (sub) {
        const char *const from[] = { "send", "intended" };
        t->sub_unique = rd_count(d, "subscribe.messages");
        bool known = !cJSON_IsNull(reader_find(d->obj, "subscribe.expected"));
        r->expected = known ? rd_count(d, "subscribe.expected") : 0;
        r->lost = rd_count(d, "subscribe.lost");
        r->lost_exact = rd_bool(d, "subscribe.lost_exact");
        r->expected_known = known;
        if (reader_find(d->obj, "subscribe.in_flight"))   /* newer key */
            r->in_flight = rd_count(d, "subscribe.in_flight");
        /* Not exact with nothing in flight: gap tracking overflowed, or a
         * publisher's count was missing; the summary says "approximate". */
        r->forgotten = known && !r->lost_exact && !r->in_flight;
        if (r->lost_exact && !known) rd_fail(d, "subscribe.lost_exact: true, but expected is null");
        r->duplicates = rd_count(d, "subscribe.duplicates");
        r->out_of_order = rd_count(d, "subscribe.out_of_order");
        t->sub_foreign = rd_count(d, "subscribe.foreign");
        r->sub_duration_s = rd_real(d, "subscribe.duration_s", 0);
        r->subscribers = rd_int(d, "subscribe.subscribers", 0, INT_MAX);
        rd_hist(d, "latency_us", &t->lat);
        r->latency_intended = rd_pick(d, "latency_us.from", from, 2);
        t->sub_negative = rd_count(d, "latency_us.negative");
        rd_hist(d, "service_latency_us", &t->service_lat);
        if (reader_find(d->obj, "outage_latency_us")) rd_hist(d, "outage_latency_us", &t->lat_outage);   /* newer */
    }
    r->generator_saturated = rd_bool(d, "generator_saturated");
    r->schedule_lagging = rd_bool(d, "schedule_lagging");
    if (reader_find(d->obj, "self_stall")) {   /* newer key */
        r->self_stall.count = rd_count(d, "self_stall.count");
        r->self_stall.total_s = rd_real(d, "self_stall.total_s", 0);
        r->self_stall.max_s = rd_real(d, "self_stall.max_s", 0);
    }
    r->cpu_user_s = rd_real(d, "resources.cpu_user_s", 0);
    r->cpu_sys_s = rd_real(d, "resources.cpu_sys_s", 0);
    r->peak_rss_kb = (long)rd_count(d, "resources.peak_rss_kb");
    r->read_syscalls = rd_count(d, "resources.read_syscalls");
    r->write_syscalls = rd_count(d, "resources.write_syscalls");
}

/* conn's counts (newer key: only conn results have it). */
static void read_conn(struct rd *d, struct run_result *r)
{
    struct stats_conn *k = &r->total.conn;
    char key[48];
    r->conn_scheduled = rd_count(d, "conn.scheduled");
    k->started = rd_count(d, "conn.started");
    k->done = rd_count(d, "conn.done");
    for (int i = 0; i < STATS_CONN_NFAIL; i++) {
        snprintf(key, sizeof(key), "conn.failed.%s", result_conn_fail_keys[i]);
        k->failed[i] = rd_count(d, key);
    }
    k->takeovers = rd_count(d, "conn.takeovers");
    r->conn_duration_s = rd_real(d, "conn.duration_s", 0);
    r->target_msgs_per_s = rd_real(d, "conn.target_per_s", 0);
    k->late = rd_count(d, "conn.late");
    k->slot_waits = rd_count(d, "conn.slot_waits");
    if (k->slot_waits > k->late) rd_fail(d, "conn.slot_waits: more than conn.late");
    k->max_lag_ns = rd_ns(d, "conn.max_lag_ms", 1e6);
}

/* One side of `qos`: its granted QoS as a stats grant mask (0: none). */
static uint8_t rd_qos_side(struct rd *d, const char *side, int requested)
{
    char key[48];
    snprintf(key, sizeof(key), "qos.%s.requested", side);
    if (rd_int(d, key, 0, 2) != requested) rd_fail(d, "%s: not the configured QoS %d", key, requested);
    snprintf(key, sizeof(key), "qos.%s.granted", side);
    if (cJSON_IsNull(reader_find(d->obj, key))) return 0;
    return (uint8_t)(1u << rd_int(d, key, 0, 2));
}

/* `qos` and `flow` (newer keys: a result without them reads as not known). */
static void read_qos_flow(struct rd *d, struct run_result *r, bool pub, bool sub)
{
    const struct mb_config *c = r->cfg;
    if (reader_find(d->obj, "qos")) {
        if (pub) r->total.pub_qos_granted = rd_qos_side(d, "publish", c->pub_qos);
        if (sub) r->total.sub_qos_granted = rd_qos_side(d, "subscribe", c->sub_qos);
    }
    const cJSON *fl = reader_find(d->obj, "flow");
    r->flow_on = fl && !cJSON_IsNull(fl);
    if (r->flow_on) {
        r->total.flow_held_ns = rd_ns(d, "flow.held_s", 1e9);
        r->flow_paced_by_window = rd_bool(d, "flow.paced_by_window");
    }
}

/* warnings, clock, timeseries and workers: the arrays. */
static void read_lists(struct rd *d, struct run_result *r)
{
    char p[48];
    size_t i = 0;
    const cJSON *a = rd_array(d, "warnings", RESULT_MAX_WARNINGS, true);
    for (const cJSON *x = a ? a->child : NULL; x; x = x->next, i++) {
        if (!cJSON_IsString(x)) rd_fail(d, "warnings[%zu]: expected a string", i);
        else if (strlen(x->valuestring) >= sizeof(r->warnings[0]))
            rd_fail(d, "warnings[%zu]: longer than the %zu bytes a result holds", i, sizeof(r->warnings[0]) - 1);
        else fix_utf8(strcpy(r->warnings[r->nwarnings++], x->valuestring));
    }
    struct result_clock *ck = &r->clock;
    rd_str(d, "clock.method", ck->method, sizeof(ck->method), false);
    ck->offset_us = rd_real(d, "clock.offset_us", -RD_MAX);
    ck->uncertainty_us = rd_real(d, "clock.uncertainty_us", 0);
    ck->drift_us = rd_real(d, "clock.drift_us", -RD_MAX);
    ck->samples = rd_int(d, "clock.samples", 0, INT_MAX);
    a = rd_array(d, "clock.publishers", RESULT_MAX_PEERS, false);
    for (const cJSON *x = a ? a->child : NULL; x; x = x->next, ck->npeers++) {
        struct rd e = rd_entry(d, x, p, sizeof(p), "clock.publishers", ck->npeers);
        rd_str(&e, "id", ck->peers[ck->npeers].id, sizeof(ck->peers[0].id), false);
        ck->peers[ck->npeers].before_us = rd_real(&e, "offset_before_us", -RD_MAX);
        ck->peers[ck->npeers].after_us = rd_real(&e, "offset_after_us", -RD_MAX);
        ck->peers[ck->npeers].uncertainty_us = rd_real(&e, "uncertainty_us", 0);
        ck->peers[ck->npeers].samples = rd_int(&e, "samples", 0, INT_MAX);
        d->rc = e.rc;
    }
    a = rd_array(d, "timeseries", SIZE_MAX, false);
    for (const cJSON *x = a ? a->child : NULL; x && !d->rc; x = x->next) {
        struct rd e = rd_entry(d, x, p, sizeof(p), "timeseries", r->npoints);
        struct result_point pt = { rd_real(&e, "t", 0), rd_count(&e, "sent"), rd_count(&e, "received"),
                                   rd_real(&e, "p50", 0), rd_real(&e, "p99", 0) };
        if (r->npoints && pt.t_s < r->points[r->npoints - 1].t_s) rd_fail(&e, "t: goes back in time");
        if (!e.rc && result_add_point(r, &pt) != 0) rd_fail(&e, "out of memory");
        d->rc = e.rc;
    }
    a = rd_array(d, "outages", RESULT_MAX_OUTAGES, true);   /* newer key */
    if (a && a->child && !(r->outages = result_alloc(r, (size_t)cJSON_GetArraySize(a) * sizeof(*r->outages))))
        rd_fail(d, "out of memory");
    for (const cJSON *x = d->rc || !a ? NULL : a->child; x; x = x->next) {
        struct rd e = rd_entry(d, x, p, sizeof(p), "outages", r->noutages);
        struct result_outage *o = &r->outages[r->noutages++];
        o->start_s = rd_real(&e, "start_s", -RD_MAX);
        o->ended = !cJSON_IsNull(reader_find(x, "end_s"));
        if (o->ended) o->end_s = rd_real(&e, "end_s", -RD_MAX);
        o->clients = rd_count(&e, "clients");
        rd_hist(&e, "reconnect_us", &o->reconnect);
        o->flowed = !cJSON_IsNull(reader_find(x, "flowing_s"));
        if (o->flowed) o->flowing_s = rd_real(&e, "flowing_s", 0);
        const cJSON *lost = reader_find(x, "lost");   /* newer keys */
        o->counted = lost && !cJSON_IsNull(lost);
        if (o->counted) {
            o->lost = rd_count(&e, "lost");
            o->duplicates = rd_count(&e, "duplicates");
            o->redelivered = rd_count(&e, "redelivered");
        }
        d->rc = e.rc;
    }
    if (reader_find(d->obj, "outages_total")) r->outages_total = rd_count(d, "outages_total");
    const cJSON *os = reader_find(d->obj, "outages_outside");   /* newer key */
    r->outside_counted = os && !cJSON_IsNull(os);
    if (r->outside_counted) {
        r->outages_outside.lost = rd_count(d, "outages_outside.lost");
        r->outages_outside.duplicates = rd_count(d, "outages_outside.duplicates");
    }
    a = rd_array(d, "workers", SIZE_MAX, false);
    if (a && a->child && !(r->workers = calloc((size_t)cJSON_GetArraySize(a), sizeof(*r->workers))))
        rd_fail(d, "out of memory");
    for (const cJSON *x = d->rc ? NULL : a->child; x; x = x->next) {
        struct rd e = rd_entry(d, x, p, sizeof(p), "workers", r->nworkers);
        struct result_worker *w = &r->workers[r->nworkers++];
        w->cpu_s = rd_real(&e, "cpu_s", 0);
        w->utilization = rd_real(&e, "utilization", 0);
        r->max_utilization = w->utilization > r->max_utilization ? w->utilization : r->max_utilization;
        d->rc = e.rc;
    }
}

/* merged and sources (merge's output). */
static void read_sources(struct rd *d, struct run_result *r)
{
    const char *const kinds[] = { "same scenario", "pub+sub" };
    char p[48];
    r->merged_split = rd_pick(d, "merged.kind", kinds, 2);
    const cJSON *a = rd_array(d, "sources", SIZE_MAX, false);
    if (a && !a->child) rd_fail(d, "sources: empty");
    if (!d->rc && !(r->sources = result_alloc(r, (size_t)cJSON_GetArraySize(a) * sizeof(*r->sources))))
        rd_fail(d, "out of memory");
    for (const cJSON *x = d->rc ? NULL : a->child; x; x = x->next) {
        struct rd e = rd_entry(d, x, p, sizeof(p), "sources", r->nsources);
        struct result_source *so = &r->sources[r->nsources++];
        so->path = rd_str(&e, "path", NULL, 0, false);
        rd_str(&e, "hostname", so->hostname, sizeof(so->hostname), false);
        so->pid = reader_find(x, "pid") ? rd_int(&e, "pid", 0, INT_MAX) : 0;
        if (reader_find(x, "start_time")) rd_time(&e, "start_time", so->start_time, sizeof(so->start_time), true);
        so->mode = rd_mode(&e, "mode");
        so->status = rd_status(&e, "status");
        so->run_id = rd_run_id(&e, "run_id");
        d->rc = e.rc;
    }
}

/* The "repeat" summary rep of a --repeat result: runs, and each metric of a
 * side r has as {median, min, max} with min <= median <= max. */
static void read_repeat(struct rd *d, struct run_result *r, const cJSON *rep)
{
    static const char *const what[] = { "median", "min", "max" };
    struct metrics_spread *s = r->repeat = result_alloc(r, sizeof(*s));
    struct rd e = { .obj = rep, .prefix = "repeat.", .r = r, .err = d->err, .errlen = d->errlen };
    if (!s) {
        rd_fail(d, "out of memory");
        return;
    }
    metrics_extract(r, &s->median);
    s->min = s->max = s->median;
    s->runs = rd_int(&e, "runs", 1, RESULT_MAX_RUNS);
    struct metrics *m[3] = { &s->median, &s->min, &s->max };
    for (size_t i = 0; i < METRICS_NFIELDS; i++) {
        for (int k = 0; k < 3 && metrics_has(&s->median, i); k++) {
            char key[96];
            snprintf(key, sizeof(key), "metrics.%s.%s", metrics_fields[i].key, what[k]);
            metrics_set(m[k], i, rd_real(&e, key, 0));
        }
        if (metrics_value(&s->min, i) > metrics_value(&s->median, i) ||
            metrics_value(&s->median, i) > metrics_value(&s->max, i))
            rd_fail(&e, "metrics.%s: needs min <= median <= max", metrics_fields[i].key);
    }
    d->rc = e.rc;
}

/* Where mine (the writer's view of what was read) and file disagree: each
 * key of mine the file has must hold the same value (strings once made valid
 * UTF-8); a key the file lacks (file NULL) is newer than the file, but must
 * still be writable. path (used bytes of 512) names the place. Returns 0, or
 * -1 with err filled. */
static int agree(const cJSON *file, const cJSON *mine, char *path, size_t used, char *err, size_t errlen)
{
    bool same = !file ||
                (cJSON_IsNumber(mine) ? cJSON_IsNumber(file) && file->valuedouble == mine->valuedouble
                 : cJSON_IsArray(mine) ? cJSON_IsArray(file) && cJSON_GetArraySize(file) == cJSON_GetArraySize(mine)
                 : cJSON_IsObject(mine) ? cJSON_IsObject(file)
                 : cJSON_IsString(mine) ? cJSON_IsString(file) : cJSON_Compare(file, mine, true));
    if (same && file && cJSON_IsString(mine)) {
        char *f = strdup(file->valuestring);
        if (f) fix_utf8(f);
        same = f && strcmp(f, mine->valuestring) == 0;
        free(f);
    }
    if (!same || (cJSON_IsNumber(mine) && !isfinite(mine->valuedouble))) {
        char fv[64], mv[64];
        reader_show_value(file, fv, sizeof(fv));
        reader_show_value(mine, mv, sizeof(mv));
        return errmsg_set(err, errlen, "%s: %s, but the rest of the result gives %s", path, fv, mv);
    }
    const cJSON *f = file ? file->child : NULL;
    size_t i = 0;
    for (const cJSON *m = mine->child; m; m = m->next, i++) {
        int n = cJSON_IsArray(mine) ? snprintf(path + used, 512 - used, "[%zu]", i)
                                    : snprintf(path + used, 512 - used, "%s%s", used ? "." : "", m->string);
        const cJSON *fm = cJSON_IsArray(mine) ? f : cJSON_GetObjectItemCaseSensitive(file, m->string);
        f = f ? f->next : NULL;
        if (!(used == 0 && m->string && strcmp(m->string, "runs") == 0) &&      /* runs: each read on its own */
            agree(fm, m, path, n > 0 && used + (size_t)n < 512 ? used + (size_t)n : used, err, errlen) != 0)
            return -1;
        path[used] = '\0';
    }
    return 0;
}

int result_from_json(const cJSON *doc, struct run_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    stats_init(&r->total);
    struct rd d = { .obj = doc, .prefix = "", .r = r, .err = err, .errlen = errlen };
    struct mb_config *cfg = result_alloc(r, sizeof(*cfg));
    r->cfg = cfg;
    if (!cfg) {
        rd_fail(&d, "out of memory");
        return d.rc;
    }
    const char *const schema[] = { RESULT_SCHEMA, RESULT_SCHEMA };
    rd_pick(&d, "schema", schema, 2);
    r->status = rd_status(&d, "status");
    if (r->status != RESULT_OK) rd_str(&d, "error", r->error, sizeof(r->error), false);
    enum mb_mode mode = rd_mode(&d, "mode");
    read_config(&d, cfg);
    r->coalesce_ns = cfg->coalesce_ns;   /* the file records it as in effect */
    if (!d.rc && cfg->mode != mode)
        rd_fail(&d, "config.mode: \"%s\", but mode is \"%s\"", result_mode_name(cfg->mode), result_mode_name(mode));
    read_env(&d, &r->env);
    read_counts(&d, r, mb_mode_publishes(mode), mb_mode_subscribes(mode));
    read_qos_flow(&d, r, mb_mode_publishes(mode), mb_mode_subscribes(mode));
    if (mode == MB_MODE_CONN) read_conn(&d, r);
    read_lists(&d, r);

    /* --repeat: the summary, then every run (each a whole result) */
    const cJSON *rep = reader_find(doc, "repeat"), *runs = rd_array(&d, "runs", RESULT_MAX_RUNS, true);
    if (!d.rc && rep && !cJSON_IsNull(rep)) read_repeat(&d, r, rep);
    if (runs && !d.rc && !(r->runs = calloc((size_t)cJSON_GetArraySize(runs) + 1, sizeof(*r->runs))))
        rd_fail(&d, "out of memory");
    for (const cJSON *x = d.rc || !runs ? NULL : runs->child; x && !d.rc; x = x->next) {
        char why[400];
        struct run_result *one = &r->runs[r->nruns++];
        int rc = cJSON_IsObject(x) ? result_from_json(x, one, why, sizeof(why)) : -1;
        if (!cJSON_IsObject(x)) snprintf(why, sizeof(why), "expected an object");
        else if (rc == 0 && (one->repeat || one->runs || one->sources || one->sweep))
            rc = -1, snprintf(why, sizeof(why), "a run of a --repeat result or a sweep has no repeat, runs, "
                              "sources or sweep");
        if (rc != 0) rd_fail(&d, "runs[%zu]: %s", r->nruns - 1, rc == -2 ? "out of memory" : why);
    }
    if (!d.rc && (reader_find(doc, "merged") || reader_find(doc, "sources"))) read_sources(&d, r);
    const cJSON *sw = reader_find(doc, "sweep");
    if (!d.rc && sw && !cJSON_IsNull(sw)) {
        char why[400];
        if (!(r->sweep = result_alloc(r, sizeof(*r->sweep)))) rd_fail(&d, "out of memory");
        else if (!runs || rep) rd_fail(&d, "sweep: needs runs (its steps) and no repeat");
        else if (sweep_from_json(sw, r->nruns, r->sweep, why, sizeof(why)) != 0) rd_fail(&d, "%s", why);
    }
    if (!d.rc) {
        /* What the writer makes of it must be what the file says. */
        cJSON *mine = result_to_json(r);
        char path[512] = "";
        if (!mine) rd_fail(&d, "out of memory");
        else if (agree(doc, mine, path, 0, err, errlen) != 0) d.rc = -1;
        cJSON_Delete(mine);
    }
    if (d.rc) result_free(r);   /* a refused file leaves nothing to free */
    return d.rc;
}

/* result_from_json on doc (freed here), with name in front of its messages. */
static int from_doc(cJSON *doc, const char *name, struct run_result *r, char *err, size_t errlen)
{
    char why[600];
    int rc = result_from_json(doc, r, why, sizeof(why));
    cJSON_Delete(doc);
    if (rc != 0) errmsg_set(err, errlen, "%s: %s", name, why);
    return rc;
}

int result_load(const char *path, struct run_result *r, char *err, size_t errlen)
{
    cJSON *doc;
    memset(r, 0, sizeof(*r));
    return reader_load(path, &doc, err, errlen) != 0 ? -1 : from_doc(doc, path, r, err, errlen);
}

int result_parse(const char *buf, size_t len, const char *name, struct run_result *r, char *err, size_t errlen)
{
    cJSON *doc;
    memset(r, 0, sizeof(*r));
    return reader_parse(buf, len, name, &doc, err, errlen) != 0 ? -1 : from_doc(doc, name, r, err, errlen);
}

struct mb_config *result_set_config(struct run_result *r, const struct mb_config *src)
{
    struct mb_config *c = result_alloc(r, sizeof(*c));
    if (!c) return NULL;
    *c = *src;
    bool ok = true;
    OPT_FOR_EACH(s) {
        const char **str = s->ctype == OPT_C_STR ? optspec_field(s, c) : NULL;
        if (str && *str && (s->flags & OPT_SECRET)) *str = OPT_NOT_RECORDED;
        else if (str && *str && !(*str = result_strdup(r, *str))) ok = false;
    }
    r->cfg = c;
    r->coalesce_ns = c->coalesce_ns;
    return ok ? c : NULL;
}
