/* mergesec: the sections of a merged result, each by its own rule. */
#include "mergesec.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "histjson.h"
#include "metrics.h"
#include "reader.h"
#include "result.h"
#include "series.h"

#define MERGE_MAX_RSS_KB  1e15

enum side { SIDE_ALL, SIDE_PUB, SIDE_SUB };

int mergesec_fail(struct mergesec *m, const char *fmt, ...)
{
    if (m->err && m->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->err, m->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool uses(const struct mergesec_input *in, enum side s)
{
    return s == SIDE_ALL || (s == SIDE_PUB ? in->pub : in->sub);
}

/* Whether every input of side s has key (an extra key may be missing). */
static bool all_have(const struct mergesec *m, enum side s, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (uses(&m->in[i], s) && !reader_find(m->in[i].doc, key))
            return false;
    return true;
}

static int sum_count(struct mergesec *m, enum side s, const char *key, uint64_t *out)
{
    char why[300];
    uint64_t total = 0;
    for (size_t i = 0; i < m->n; i++) {
        uint64_t v;
        if (!uses(&m->in[i], s))
            continue;
        if (reader_count(m->in[i].doc, key, &v, why, sizeof(why)) != 0)
            return mergesec_fail(m, "%s: %s", m->in[i].name, why);
        total += v;
        if ((double)total > READER_MAX_COUNT)
            return mergesec_fail(m, "%s: the sum of %s exceeds 2^53", m->in[i].name, key);
    }
    *out = total;
    return 0;
}

/* Sum (or with take_max, the largest) of a non-negative number at key. */
static int fold_number(struct mergesec *m, enum side s, const char *key, double hi, bool take_max, double *out)
{
    char why[300];
    double acc = 0;
    for (size_t i = 0; i < m->n; i++) {
        double v;
        if (!uses(&m->in[i], s))
            continue;
        if (reader_number(m->in[i].doc, key, 0, hi, &v, why, sizeof(why)) != 0)
            return mergesec_fail(m, "%s: %s", m->in[i].name, why);
        acc = take_max ? (v > acc ? v : acc) : acc + v;
    }
    *out = acc;
    return 0;
}

/* Add the folded value at key (path below the root) to obj as name. An extra
 * key (optional) that some input lacks is left out. */
static int add_count(struct mergesec *m, cJSON *obj, enum side s, const char *key, const char *name, bool optional)
{
    uint64_t v;
    if (optional && !all_have(m, s, key))
        return 0;
    if (sum_count(m, s, key, &v) != 0)
        return -1;
    if (!cJSON_AddNumberToObject(obj, name, (double)v))
        m->oom = true;
    return 0;
}

static int add_number(struct mergesec *m, cJSON *obj, enum side s, const char *key, const char *name,
                      double hi, bool take_max, bool optional, double *value)
{
    double v;
    if (optional && !all_have(m, s, key))
        return 0;
    if (fold_number(m, s, key, hi, take_max, &v) != 0)
        return -1;
    if (!cJSON_AddNumberToObject(obj, name, v))
        m->oom = true;
    if (value)
        *value = v;
    return 0;
}

static int merge_publish(struct mergesec *m, cJSON *root)
{
    cJSON *p = cJSON_AddObjectToObject(root, "publish");
    uint64_t msgs;
    double dur;
    if (!p) {
        m->oom = true;
        return 0;
    }
    if (sum_count(m, SIDE_PUB, "publish.messages", &msgs) != 0 ||
        fold_number(m, SIDE_PUB, "publish.duration_s", MERGE_MAX_SECONDS, true, &dur) != 0)
        return -1;
    cJSON_AddNumberToObject(p, "messages", (double)msgs);
    if (add_count(m, p, SIDE_PUB, "publish.bytes", "bytes", false) != 0 ||
        add_count(m, p, SIDE_PUB, "publish.errors", "errors", false) != 0)
        return -1;
    cJSON_AddNumberToObject(p, "duration_s", dur);
    cJSON_AddNumberToObject(p, "msgs_per_s", dur > 0 ? (double)msgs / dur : 0.0);
    if (add_count(m, p, SIDE_PUB, "publish.publishers", "publishers", true) != 0 ||
        add_number(m, p, SIDE_PUB, "publish.target_msgs_per_s", "target_msgs_per_s", METRICS_MAX_VALUE, false,
                   true, NULL) != 0 ||
        add_count(m, p, SIDE_PUB, "publish.missed_slots", "missed_slots", true) != 0 ||
        add_number(m, p, SIDE_PUB, "publish.max_lag_ms", "max_lag_ms", METRICS_MAX_VALUE, true, true, NULL) != 0 ||
        add_count(m, p, SIDE_PUB, "publish.publishers_done", "publishers_done", true) != 0)
        return -1;
    return 0;
}

static int merge_subscribe(struct mergesec *m, cJSON *root)
{
    cJSON *s = cJSON_AddObjectToObject(root, "subscribe");
    uint64_t msgs;
    double dur;
    if (!s) {
        m->oom = true;
        return 0;
    }
    if (sum_count(m, SIDE_SUB, "subscribe.messages", &msgs) != 0 ||
        fold_number(m, SIDE_SUB, "subscribe.duration_s", MERGE_MAX_SECONDS, true, &dur) != 0)
        return -1;
    cJSON_AddNumberToObject(s, "messages", (double)msgs);
    /* expected: known only when every input knew it */
    bool known = true;
    for (size_t i = 0; i < m->n; i++) {
        const cJSON *e = reader_find(m->in[i].doc, "subscribe.expected");
        if (m->in[i].sub && !cJSON_IsNumber(e))
            known = false;
    }
    if (known) {
        if (add_count(m, s, SIDE_SUB, "subscribe.expected", "expected", false) != 0)
            return -1;
    } else {
        cJSON_AddNullToObject(s, "expected");
    }
    if (add_count(m, s, SIDE_SUB, "subscribe.lost", "lost", false) != 0)
        return -1;
    bool exact = known;
    for (size_t i = 0; i < m->n; i++)
        if (m->in[i].sub && !cJSON_IsTrue(reader_find(m->in[i].doc, "subscribe.lost_exact")))
            exact = false;
    cJSON_AddBoolToObject(s, "lost_exact", exact);
    if (add_count(m, s, SIDE_SUB, "subscribe.duplicates", "duplicates", false) != 0 ||
        add_count(m, s, SIDE_SUB, "subscribe.out_of_order", "out_of_order", false) != 0 ||
        add_count(m, s, SIDE_SUB, "subscribe.foreign", "foreign", false) != 0)
        return -1;
    cJSON_AddNumberToObject(s, "duration_s", dur);
    cJSON_AddNumberToObject(s, "msgs_per_s", dur > 0 ? (double)msgs / dur : 0.0);
    if (add_count(m, s, SIDE_SUB, "subscribe.subscribers", "subscribers", true) != 0)
        return -1;
    return 0;
}

/* Whether every input of side s has an object at key. */
static bool all_objects(const struct mergesec *m, enum side s, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (uses(&m->in[i], s) && !cJSON_IsObject(reader_find(m->in[i].doc, key)))
            return false;
    return true;
}

/* A latency object (latency_us, service_latency_us, connect.time_us) merged
 * over the inputs of side s: the histograms merged exactly, the keys rebuilt
 * the way the writer makes them (histjson), and "from" kept when every input
 * says the same. Added to obj as name; *out (may be NULL) gets it. */
static int merge_latency(struct mergesec *m, cJSON *obj, enum side s, const char *key, const char *name,
                         cJSON **out)
{
    struct hist *total = malloc(sizeof(*total)), *one = malloc(sizeof(*one));
    char why[300];
    int rc = 0;
    const char *from = NULL;
    bool same_from = true;
    if (!total || !one) {
        m->oom = true;
        goto out;
    }
    hist_init(total);
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        if (!uses(&m->in[i], s))
            continue;
        const cJSON *lat = reader_find(m->in[i].doc, key);
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(lat, "from");
        if (reader_histogram(lat, one, why, sizeof(why)) != 0) {
            rc = mergesec_fail(m, "%s: %s.%s", m->in[i].name, key, why);
            break;
        }
        hist_merge(total, one);
        if (!cJSON_IsString(f) || (from && strcmp(from, f->valuestring) != 0))
            same_from = false;
        else
            from = f->valuestring;
    }
    if (rc == 0) {
        cJSON *l = histjson_latency_us(total);
        if (!l || !cJSON_AddItemToObject(obj, name, l)) {
            cJSON_Delete(l);
            m->oom = true;
        } else {
            if (same_from && from)
                cJSON_AddStringToObject(l, "from", from);
            if (out)
                *out = l;
        }
    }
out:
    free(total);
    free(one);
    return rc;
}

/* connect (extra): counts summed, failure reasons summed by reason, connect
 * times merged exactly, clients_per_s = connected / the longest connect phase. */
static int merge_connect(struct mergesec *m, cJSON *root)
{
    if (!all_objects(m, SIDE_ALL, "connect"))
        return 0;
    cJSON *c = cJSON_AddObjectToObject(root, "connect");
    if (!c) {
        m->oom = true;
        return 0;
    }
    if (add_count(m, c, SIDE_ALL, "connect.clients", "clients", true) != 0 ||
        add_count(m, c, SIDE_ALL, "connect.connected", "connected", true) != 0 ||
        add_count(m, c, SIDE_ALL, "connect.failures", "failures", true) != 0)
        return -1;
    if (all_objects(m, SIDE_ALL, "connect.failure_reasons")) {
        cJSON *fr = cJSON_AddObjectToObject(c, "failure_reasons");
        if (!fr) {
            m->oom = true;
            return 0;
        }
        for (size_t i = 0; i < m->n; i++) {
            const cJSON *in = reader_find(m->in[i].doc, "connect.failure_reasons");
            for (const cJSON *r = in->child; r; r = r->next) {
                double v = r->valuedouble;
                if (!cJSON_IsNumber(r) || !(v >= 0 && v <= READER_MAX_COUNT) || floor(v) != v) {
                    char shown[64];
                    reader_sanitize(r->string, 40, shown, sizeof(shown));
                    return mergesec_fail(m, "%s: connect.failure_reasons.%s: expected a count", m->in[i].name, shown);
                }
                cJSON *have = cJSON_GetObjectItemCaseSensitive(fr, r->string);
                if (have) cJSON_SetNumberValue(have, have->valuedouble + v);
                else if (!cJSON_AddNumberToObject(fr, r->string, v)) m->oom = true;
            }
        }
    }
    const cJSON *connected = cJSON_GetObjectItemCaseSensitive(c, "connected");
    if (connected && all_have(m, SIDE_ALL, "phases.connect_s")) {
        double connect_s;
        if (fold_number(m, SIDE_ALL, "phases.connect_s", MERGE_MAX_SECONDS, true, &connect_s) != 0)
            return -1;
        cJSON_AddNumberToObject(c, "clients_per_s", connect_s > 0 ? connected->valuedouble / connect_s : 0);
    }
    if (all_objects(m, SIDE_ALL, "connect.time_us") &&
        merge_latency(m, c, SIDE_ALL, "connect.time_us", "time_us", NULL) != 0)
        return -1;
    if (add_count(m, c, SIDE_ALL, "connect.disconnects", "disconnects", true) != 0)
        return -1;
    return 0;
}

/* clock (extra): the receiving side's clock estimate, from the first input
 * that subscribed (or the first input). */
static void merge_clock(struct mergesec *m, cJSON *root)
{
    size_t from = 0;
    while (from < m->n && !m->in[from].sub)
        from++;
    const cJSON *ck = reader_find(m->in[from < m->n ? from : 0].doc, "clock");
    if (!cJSON_IsObject(ck))
        return;
    cJSON *d = cJSON_Duplicate(ck, 1);
    if (!d || !cJSON_AddItemToObject(root, "clock", d)) {
        cJSON_Delete(d);
        m->oom = true;
    }
}

/* timeseries: validated, then merged on the wall clock (series.h). Each
 * input's series starts at its environment.start_time + phases.connect_s. */
static int merge_timeseries(struct mergesec *m, cJSON *root)
{
    char why[300];
    struct series *in = calloc(m->n, sizeof(*in));
    struct series_point *merged = NULL;
    size_t nmerged = 0;
    cJSON *arr = cJSON_AddArrayToObject(root, "timeseries");
    int rc = 0;
    if (!in || !arr) {
        m->oom = true;
        goto out;
    }
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        const cJSON *ts = reader_find(m->in[i].doc, "timeseries");
        if (!cJSON_IsArray(ts)) {
            rc = mergesec_fail(m, "%s: timeseries: expected an array", m->in[i].name);
            break;
        }
        size_t cnt = (size_t)cJSON_GetArraySize(ts), j = 0;
        struct series_point *pts = calloc(cnt ? cnt : 1, sizeof(*pts));
        if (!pts) {
            m->oom = true;
            break;
        }
        in[i].points = pts;
        in[i].start_s = m->in[i].start_s;
        for (const cJSON *e = ts->child; e; e = e->next, j++) {
            struct series_point *p = &pts[j];
            uint64_t sent, received;
            if (reader_number(e, "t", 0, MERGE_MAX_SECONDS, &p->t_s, why, sizeof(why)) != 0 ||
                reader_count(e, "sent", &sent, why, sizeof(why)) != 0 ||
                reader_count(e, "received", &received, why, sizeof(why)) != 0 ||
                reader_number(e, "p50", 0, METRICS_MAX_VALUE, &p->p50_us, why, sizeof(why)) != 0 ||
                reader_number(e, "p99", 0, METRICS_MAX_VALUE, &p->p99_us, why, sizeof(why)) != 0) {
                rc = mergesec_fail(m, "%s: timeseries[%zu].%s", m->in[i].name, j, why);
                break;
            }
            if (j > 0 && p->t_s < pts[j - 1].t_s) {
                char tt[32];
                reader_number_text(p->t_s, tt, sizeof(tt));
                rc = mergesec_fail(m, "%s: timeseries[%zu].t: %s goes back in time", m->in[i].name, j, tt);
                break;
            }
            p->sent = (double)sent;
            p->received = (double)received;
        }
        in[i].n = j;
    }
    if (rc != 0 || m->oom)
        goto out;
    if (series_merge(in, m->n, &merged, &nmerged) != 0) {
        m->oom = true;
        goto out;
    }
    for (size_t k = 0; k < nmerged; k++) {
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(arr, e)) {
            cJSON_Delete(e);
            m->oom = true;
            break;
        }
        cJSON_AddNumberToObject(e, "t", merged[k].t_s);
        cJSON_AddNumberToObject(e, "sent", merged[k].sent);
        cJSON_AddNumberToObject(e, "received", merged[k].received);
        cJSON_AddNumberToObject(e, "p50", merged[k].p50_us);
        cJSON_AddNumberToObject(e, "p99", merged[k].p99_us);
    }
out:
    if (in)
        for (size_t i = 0; i < m->n; i++)
            free((void *)in[i].points);
    free(in);
    free(merged);
    return rc;
}

/* workers (extra): every input's workers, in input order. */
static void merge_workers(struct mergesec *m, cJSON *root)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "workers");
    if (!arr) {
        m->oom = true;
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        const cJSON *ws = reader_find(m->in[i].doc, "workers");
        if (!cJSON_IsArray(ws))
            continue;
        for (const cJSON *w = ws->child; w; w = w->next) {
            cJSON *d = cJSON_Duplicate(w, 1);
            if (!d || !cJSON_AddItemToArray(arr, d)) {
                cJSON_Delete(d);
                m->oom = true;
                return;
            }
        }
    }
}

static int merge_resources(struct mergesec *m, cJSON *root)
{
    cJSON *r = cJSON_AddObjectToObject(root, "resources");
    if (!r) {
        m->oom = true;
        return 0;
    }
    if (add_number(m, r, SIDE_ALL, "resources.cpu_user_s", "cpu_user_s", METRICS_MAX_VALUE, false, false, NULL) ||
        add_number(m, r, SIDE_ALL, "resources.cpu_sys_s", "cpu_sys_s", METRICS_MAX_VALUE, false, false, NULL) ||
        add_number(m, r, SIDE_ALL, "resources.peak_rss_kb", "peak_rss_kb", MERGE_MAX_RSS_KB, true, false, NULL) ||
        add_count(m, r, SIDE_ALL, "resources.read_syscalls", "read_syscalls", true) ||
        add_count(m, r, SIDE_ALL, "resources.write_syscalls", "write_syscalls", true))
        return -1;
    return 0;
}

/* Set obj[key] to item (taking it), replacing any old value. */
static void set_item(struct mergesec *m, cJSON *obj, const char *key, cJSON *item)
{
    bool ok = item && (cJSON_GetObjectItemCaseSensitive(obj, key)
                           ? cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)
                           : cJSON_AddItemToObject(obj, key, item));
    if (!ok) {
        cJSON_Delete(item);
        m->oom = true;
    }
}

static int merge_header(struct mergesec *m, cJSON *root, bool split)
{
    size_t worst = 0, first_pub = 0, first_sub = 0;
    for (size_t i = m->n; i-- > 0;) {
        if (m->in[i].status >= m->in[worst].status) worst = i;
        if (m->in[i].pub) first_pub = i;
        if (m->in[i].sub) first_sub = i;
    }
    static const char *const names[] = { "ok", "aborted", "failed" };
    const char *mode;
    char why[300];
    if (reader_string(m->in[split ? first_pub : 0].doc, "mode", &mode, why, sizeof(why)) != 0)
        return mergesec_fail(m, "%s: %s", m->in[0].name, why);
    cJSON_AddStringToObject(root, "schema", RESULT_SCHEMA);
    cJSON_AddStringToObject(root, "status", names[m->in[worst].status]);
    if (m->in[worst].status != 0) {
        char buf[700], shown[560];
        const cJSON *e = reader_find(m->in[worst].doc, "error");
        reader_sanitize(cJSON_IsString(e) ? e->valuestring : "unknown error", 500, shown, sizeof(shown));
        snprintf(buf, sizeof(buf), "%s: %s", m->in[worst].name, shown);
        cJSON_AddStringToObject(root, "error", buf);
    }
    cJSON_AddStringToObject(root, "mode", split ? "both" : mode);

    cJSON *cfg = cJSON_Duplicate(reader_find(m->in[split ? first_pub : 0].doc, "config"), 1);
    if (!cfg || !cJSON_AddItemToObject(root, "config", cfg)) {
        cJSON_Delete(cfg);
        m->oom = true;
        return 0;
    }
    if (split) {
        const cJSON *subs = reader_find(m->in[first_sub].doc, "config.subscribers");
        set_item(m, cfg, "mode", cJSON_CreateString("both"));
        if (subs)
            set_item(m, cfg, "subscribers", cJSON_Duplicate(subs, 1));
    }

    /* environment: the first input's, with the earliest start time */
    size_t earliest = 0;
    for (size_t i = 1; i < m->n; i++)
        if (m->in[i].start_s < m->in[earliest].start_s)
            earliest = i;
    cJSON *env = cJSON_Duplicate(reader_find(m->in[0].doc, "environment"), 1);
    if (!env || !cJSON_AddItemToObject(root, "environment", env)) {
        cJSON_Delete(env);
        m->oom = true;
        return 0;
    }
    const cJSON *st = reader_find(m->in[earliest].doc, "environment.start_time");
    set_item(m, env, "start_time", cJSON_Duplicate(st, 1));

    if (all_have(m, SIDE_ALL, "phases")) {
        /* extra: every numeric key all inputs have; the longest phase, the summed failures */
        const cJSON *first = reader_find(m->in[0].doc, "phases");
        cJSON *ph = cJSON_AddObjectToObject(root, "phases");
        if (!ph) {
            m->oom = true;
            return 0;
        }
        for (const cJSON *k = cJSON_IsObject(first) ? first->child : NULL; k; k = k->next) {
            char key[96];
            if (!cJSON_IsNumber(k) || strlen(k->string) > 64)
                continue;
            snprintf(key, sizeof(key), "phases.%s", k->string);
            if (strcmp(k->string, "connect_failures") == 0
                    ? add_count(m, ph, SIDE_ALL, key, k->string, true)
                    : add_number(m, ph, SIDE_ALL, key, k->string, MERGE_MAX_SECONDS, true, true, NULL))
                return -1;
        }
    }
    return 0;
}

static int merge_sources(struct mergesec *m, cJSON *root, bool split)
{
    cJSON *mg = cJSON_AddObjectToObject(root, "merged");
    cJSON *src = cJSON_AddArrayToObject(root, "sources");
    if (!mg || !src) {
        m->oom = true;
        return 0;
    }
    cJSON_AddNumberToObject(mg, "inputs", (double)m->n);
    cJSON_AddStringToObject(mg, "kind", split ? "pub+sub" : "same scenario");
    cJSON_AddStringToObject(mg, "timeseries_percentiles", "max of the inputs' values in each second (an upper bound)");
    for (size_t i = 0; i < m->n; i++) {
        const cJSON *doc = m->in[i].doc;
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(src, e)) {
            cJSON_Delete(e);
            m->oom = true;
            return 0;
        }
        const cJSON *host = reader_find(doc, "environment.hostname"), *runid = reader_find(doc, "config.run_id");
        cJSON_AddStringToObject(e, "path", m->in[i].name);
        if (cJSON_IsString(host)) cJSON_AddStringToObject(e, "hostname", host->valuestring);
        else cJSON_AddNullToObject(e, "hostname");
        cJSON_AddStringToObject(e, "mode", m->in[i].pub && m->in[i].sub ? "both" : m->in[i].pub ? "pub" : "sub");
        cJSON_AddStringToObject(e, "status", cJSON_GetStringValue(reader_find(doc, "status")));
        if (cJSON_IsString(runid)) cJSON_AddStringToObject(e, "run_id", runid->valuestring);
        else cJSON_AddNullToObject(e, "run_id");
    }
    return 0;
}

int mergesec_build(struct mergesec *m, cJSON *root, bool split)
{
    bool any_pub = false, any_sub = false;
    for (size_t i = 0; i < m->n; i++) {
        any_pub = any_pub || m->in[i].pub;
        any_sub = any_sub || m->in[i].sub;
    }
    int rc = merge_header(m, root, split);
    if (rc == 0 && !m->oom)
        rc = merge_connect(m, root);
    if (rc == 0 && !m->oom) {
        if (any_pub) rc = merge_publish(m, root);
        else cJSON_AddNullToObject(root, "publish");
    }
    if (rc == 0 && !m->oom) {
        if (any_sub) rc = merge_subscribe(m, root);
        else cJSON_AddNullToObject(root, "subscribe");
    }
    if (rc == 0 && !m->oom) {
        cJSON *lat = NULL;
        if (!any_sub) {
            cJSON_AddNullToObject(root, "latency_us");
        } else if (merge_latency(m, root, SIDE_SUB, "latency_us", "latency_us", &lat) != 0) {
            rc = -1;
        } else if (lat) {
            rc = add_count(m, lat, SIDE_SUB, "latency_us.negative", "negative", true);
        }
    }
    if (rc == 0 && !m->oom) {
        if (!any_sub) cJSON_AddNullToObject(root, "service_latency_us");
        else if (all_objects(m, SIDE_SUB, "service_latency_us"))
            rc = merge_latency(m, root, SIDE_SUB, "service_latency_us", "service_latency_us", NULL);
    }
    if (rc == 0 && !m->oom)
        merge_clock(m, root);
    if (rc == 0 && !m->oom)
        rc = merge_timeseries(m, root);
    if (rc == 0 && !m->oom) {
        merge_workers(m, root);
        bool saturated = false, lagging = false, has_lagging = false;
        for (size_t i = 0; i < m->n; i++) {
            const cJSON *lag = reader_find(m->in[i].doc, "schedule_lagging");
            saturated = saturated || cJSON_IsTrue(reader_find(m->in[i].doc, "generator_saturated"));
            lagging = lagging || cJSON_IsTrue(lag);
            has_lagging = has_lagging || cJSON_IsBool(lag);
        }
        cJSON_AddBoolToObject(root, "generator_saturated", saturated);
        if (has_lagging)
            cJSON_AddBoolToObject(root, "schedule_lagging", lagging);
        rc = merge_resources(m, root);
    }
    if (rc == 0 && !m->oom)
        rc = merge_sources(m, root, split);
    return rc;
}
