/* metrics: comparable metrics of a result, the repeat summary, scenario identity. */
#include "metrics.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optspec.h"
#include "reader.h"
#include "result.h"

#define F(field) offsetof(struct metrics, field)
const struct metrics_field metrics_fields[METRICS_NFIELDS] = {
    { "publish_msgs_per_s",   "publish msgs/s",   "publish msgs/s",     F(pub_msgs_per_s), METRICS_PUB, METRICS_THROUGHPUT, 0 },
    { "subscribe_msgs_per_s", "subscribe msgs/s", "subscribe msgs/s",   F(sub_msgs_per_s), METRICS_SUB, METRICS_THROUGHPUT, 0 },
    { "latency_p50_us",       "latency p50",      "latency p50 (us)",   F(p50_us),         METRICS_SUB, METRICS_LATENCY, 1 },
    { "latency_p90_us",       "latency p90",      "latency p90 (us)",   F(p90_us),         METRICS_SUB, METRICS_INFO, 1 },
    { "latency_p99_us",       "latency p99",      "latency p99 (us)",   F(p99_us),         METRICS_SUB, METRICS_LATENCY, 1 },
    { "latency_p999_us",      "latency p99.9",    "latency p99.9 (us)", F(p999_us),        METRICS_SUB, METRICS_INFO, 1 },
    { "latency_max_us",       "latency max",      "latency max (us)",   F(max_us),         METRICS_SUB, METRICS_INFO, 1 },
    { "lost",                 "lost",             "lost",               F(lost),           METRICS_SUB, METRICS_LOSS, 0 },
    { "duplicates",           "duplicates",       "duplicates",         F(duplicates),     METRICS_SUB, METRICS_LOSS, 0 },
    { "cpu_s",                "tool CPU",         "tool CPU (s)",       F(cpu_s),          METRICS_ANY, METRICS_INFO, 3 },
    { "connects_per_s",       "connects/s",       "connects/s",         F(connects_per_s), METRICS_CONN, METRICS_THROUGHPUT, 1 },
    { "connect_p50_us",       "connect p50",      "connect p50 (us)",   F(connect_p50_us), METRICS_CONN, METRICS_LATENCY, 1 },
    { "connect_p99_us",       "connect p99",      "connect p99 (us)",   F(connect_p99_us), METRICS_CONN, METRICS_LATENCY, 1 },
    { "connect_failures",     "connect failures", "connect failures",   F(connect_failures), METRICS_CONN, METRICS_LOSS, 0 },
};
#undef F

void metrics_set(struct metrics *m, size_t i, double v)
{
    memcpy((char *)m + metrics_fields[i].offset, &v, sizeof(v));
}

double metrics_value(const struct metrics *m, size_t i)
{
    double v;
    memcpy(&v, (const char *)m + metrics_fields[i].offset, sizeof(v));
    return v;
}

bool metrics_has(const struct metrics *m, size_t i)
{
    switch (metrics_fields[i].side) {
    case METRICS_PUB: return m->has_pub;
    case METRICS_SUB: return m->has_sub;
    case METRICS_CONN: return m->has_conn;
    case METRICS_ANY: return true;
    }
    return false;
}

void metrics_extract(const struct run_result *r, struct metrics *m)
{
    const struct stats *t = &r->total;
    memset(m, 0, sizeof(*m));
    m->has_pub = mb_mode_publishes(r->cfg->mode);
    m->has_sub = mb_mode_subscribes(r->cfg->mode);
    m->has_conn = r->cfg->mode == MB_MODE_CONN;
    if (m->has_conn) {
        m->connects_per_s = result_rate(t->conn.done, r->conn_duration_s);
        m->connect_p50_us = result_percentile_us(&t->connect_lat, 50);
        m->connect_p99_us = result_percentile_us(&t->connect_lat, 99);
        for (int k = 0; k < STATS_CONN_NFAIL; k++) m->connect_failures += (double)t->conn.failed[k];
    }
    if (m->has_pub)
        m->pub_msgs_per_s = result_rate(t->pub_done, r->pub_duration_s);
    if (m->has_sub) {
        m->sub_msgs_per_s = result_rate(t->sub_unique, r->sub_duration_s);
        m->p50_us = result_percentile_us(&t->lat, 50);
        m->p90_us = result_percentile_us(&t->lat, 90);
        m->p99_us = result_percentile_us(&t->lat, 99);
        m->p999_us = result_percentile_us(&t->lat, 99.9);
        m->max_us = result_percentile_us(&t->lat, 100);
        m->lost = (double)r->lost;
        m->duplicates = (double)r->duplicates;
    }
    m->cpu_s = r->cpu_user_s + r->cpu_sys_s;
}

void metrics_extract_spread(const struct run_result *r, struct metrics_spread *s)
{
    if (r->repeat) {
        *s = *r->repeat;
        return;
    }
    metrics_extract(r, &s->median);
    s->min = s->max = s->median;
    s->runs = 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int metrics_repeat(const struct metrics *runs, size_t n, struct metrics_spread *s)
{
    double *v = malloc((n ? n : 1) * sizeof(*v));
    memset(s, 0, sizeof(*s));
    if (!v)
        return -1;
    s->runs = (int)n;
    s->median.has_pub = s->median.has_sub = s->median.has_conn = n > 0;
    for (size_t r = 0; r < n; r++) {
        s->median.has_pub = s->median.has_pub && runs[r].has_pub;
        s->median.has_sub = s->median.has_sub && runs[r].has_sub;
        s->median.has_conn = s->median.has_conn && runs[r].has_conn;
    }
    s->min.has_pub = s->max.has_pub = s->median.has_pub;
    s->min.has_sub = s->max.has_sub = s->median.has_sub;
    s->min.has_conn = s->max.has_conn = s->median.has_conn;
    for (size_t i = 0; n && i < METRICS_NFIELDS; i++) {
        if (!metrics_has(&s->median, i))
            continue;
        for (size_t r = 0; r < n; r++)
            v[r] = metrics_value(&runs[r], i);
        qsort(v, n, sizeof(*v), cmp_double);
        metrics_set(&s->median, i, n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
        metrics_set(&s->min, i, v[0]);
        metrics_set(&s->max, i, v[n - 1]);
    }
    free(v);
    return 0;
}

cJSON *metrics_spread_json(const struct metrics_spread *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *mets = o ? cJSON_CreateObject() : NULL;
    if (!o || !mets)
        goto oom;
    if (!cJSON_AddNumberToObject(o, "runs", s->runs) || !cJSON_AddItemToObject(o, "metrics", mets)) {
        cJSON_Delete(mets);
        goto oom;
    }
    for (size_t i = 0; i < METRICS_NFIELDS; i++) {
        if (!metrics_has(&s->median, i)) {
            if (!cJSON_AddNullToObject(mets, metrics_fields[i].key))
                goto oom;
            continue;
        }
        cJSON *e = cJSON_AddObjectToObject(mets, metrics_fields[i].key);
        if (!e || !cJSON_AddNumberToObject(e, "median", metrics_value(&s->median, i)) ||
            !cJSON_AddNumberToObject(e, "min", metrics_value(&s->min, i)) ||
            !cJSON_AddNumberToObject(e, "max", metrics_value(&s->max, i)))
            goto oom;
    }
    return o;
oom:
    cJSON_Delete(o);
    return NULL;
}

/* The differences at keys of a and b ("config" objects), as described at
 * metrics_scenario_diff. */
static int diff_objects(const cJSON *a, const cJSON *b, const char *const *keys, size_t nkeys, char *out,
                        size_t outlen)
{
    int ndiff = 0;
    size_t used = 0;
    if (out && outlen)
        out[0] = '\0';
    for (size_t i = 0; i < nkeys; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, keys[i]);
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, keys[i]);
        if (cJSON_Compare(x, y, 1))
            continue;
        ndiff++;
        if (!out || used + 1 >= outlen)
            continue;
        char va[64], vb[64];
        reader_show_value(x, va, sizeof(va));
        reader_show_value(y, vb, sizeof(vb));
        int n = snprintf(out + used, outlen - used, "%s%s %s vs %s", ndiff > 1 ? "; " : "", keys[i], va, vb);
        if (n > 0)
            used += (size_t)n < outlen - used ? (size_t)n : outlen - used - 1;
    }
    return ndiff;
}

int metrics_scenario_diff_keys(const struct run_result *a, const struct run_result *b, const char *const *keys,
                               size_t nkeys, char *out, size_t outlen)
{
    cJSON *ca = result_config_json(a), *cb = result_config_json(b);
    int n = ca && cb ? diff_objects(ca, cb, keys, nkeys, out, outlen) : -1;
    cJSON_Delete(ca);
    cJSON_Delete(cb);
    return n;
}

int metrics_scenario_diff(const struct run_result *a, const struct run_result *b, char *out, size_t outlen)
{
    const char *keys[OPT_MAX_ROWS + 1];
    size_t n = 0;
    keys[n++] = "mode";
    OPT_FOR_EACH(s)
        if ((s->flags & OPT_SCENARIO) && n < sizeof(keys) / sizeof(keys[0])) keys[n++] = s->key;
    int nd = metrics_scenario_diff_keys(a, b, keys, n, out, outlen);
    /* TLS on or off is a scenario of its own (no one option says it). */
    bool ta = a->env.tls.library[0] != '\0', tb = b->env.tls.library[0] != '\0';
    if (nd >= 0 && ta != tb) {
        size_t used = out && outlen ? strlen(out) : 0;
        if (out && used + 1 < outlen)
            snprintf(out + used, outlen - used, "%stls %s vs %s", nd ? "; " : "", ta ? "on" : "off", tb ? "on" : "off");
        nd++;
    }
    return nd;
}
