/* metrics: comparable metrics of a result, the repeat summary, scenario identity. */
#include "errmsg.h"
#include "metrics.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

const struct metrics_field metrics_fields[METRICS_NFIELDS] = {
    { "publish_msgs_per_s",   "publish msgs/s",   "publish msgs/s",     offsetof(struct metrics, pub_msgs_per_s), METRICS_PUB },
    { "subscribe_msgs_per_s", "subscribe msgs/s", "subscribe msgs/s",   offsetof(struct metrics, sub_msgs_per_s), METRICS_SUB },
    { "latency_p50_us",       "latency p50",      "latency p50 (us)",   offsetof(struct metrics, p50_us),         METRICS_SUB },
    { "latency_p90_us",       "latency p90",      "latency p90 (us)",   offsetof(struct metrics, p90_us),         METRICS_SUB },
    { "latency_p99_us",       "latency p99",      "latency p99 (us)",   offsetof(struct metrics, p99_us),         METRICS_SUB },
    { "latency_p999_us",      "latency p99.9",    "latency p99.9 (us)", offsetof(struct metrics, p999_us),        METRICS_SUB },
    { "latency_max_us",       "latency max",      "latency max (us)",   offsetof(struct metrics, max_us),         METRICS_SUB },
    { "lost",                 "lost",             "lost",               offsetof(struct metrics, lost),           METRICS_SUB },
    { "duplicates",           "duplicates",       "duplicates",         offsetof(struct metrics, duplicates),     METRICS_SUB },
    { "cpu_s",                "tool CPU",         "tool CPU (s)",       offsetof(struct metrics, cpu_s),          METRICS_ANY },
};


static double *field_ptr(struct metrics *m, size_t i)
{
    return (double *)(void *)((char *)m + metrics_fields[i].offset);
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
    case METRICS_ANY: return true;
    }
    return false;
}

/* The run's own metrics, ignoring "repeat". */
static int extract_run(const cJSON *r, struct metrics *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    const char *mode;
    const cJSON *pub, *sub, *lat;
    if (reader_string(r, "mode", &mode, err, errlen) != 0)
        return -1;
    if (strcmp(mode, "pub") != 0 && strcmp(mode, "sub") != 0 && strcmp(mode, "both") != 0) {
        char shown[64];
        reader_sanitize(mode, 32, shown, sizeof(shown));
        errmsg_set(err, errlen, "mode: \"%s\", expected \"pub\", \"sub\" or \"both\"", shown);
        return -1;
    }
    bool want_pub = strcmp(mode, "sub") != 0, want_sub = strcmp(mode, "pub") != 0;
    if (reader_object(r, "publish", 1, &pub, err, errlen) != 0 ||
        reader_object(r, "subscribe", 1, &sub, err, errlen) != 0 ||
        reader_object(r, "latency_us", 1, &lat, err, errlen) != 0)
        return -1;
    if ((pub != NULL) != want_pub) {
        errmsg_set(err, errlen, "publish: %s in mode %s", pub ? "present" : "null", mode);
        return -1;
    }
    if ((sub != NULL) != want_sub || (lat != NULL) != want_sub) {
        errmsg_set(err, errlen, "%s: %s in mode %s", (sub != NULL) != want_sub ? "subscribe" : "latency_us",
                (sub != NULL) != want_sub ? (sub ? "present" : "null") : (lat ? "present" : "null"), mode);
        return -1;
    }
    if (want_pub &&
        reader_number(r, "publish.msgs_per_s", 0, METRICS_MAX_VALUE, &m->pub_msgs_per_s, err, errlen) != 0)
        goto fail;
    if (want_sub) {
        static const struct { const char *key; size_t off; } lk[] = {
            { "latency_us.p50", offsetof(struct metrics, p50_us) },
            { "latency_us.p90", offsetof(struct metrics, p90_us) },
            { "latency_us.p99", offsetof(struct metrics, p99_us) },
            { "latency_us.p999", offsetof(struct metrics, p999_us) },
            { "latency_us.max", offsetof(struct metrics, max_us) },
        };
        uint64_t lost, dups;
        if (reader_number(r, "subscribe.msgs_per_s", 0, METRICS_MAX_VALUE, &m->sub_msgs_per_s, err, errlen) != 0 ||
            reader_count(r, "subscribe.lost", &lost, err, errlen) != 0 ||
            reader_count(r, "subscribe.duplicates", &dups, err, errlen) != 0)
            goto fail;
        m->lost = (double)lost;
        m->duplicates = (double)dups;
        double prev = 0;
        for (size_t i = 0; i < sizeof(lk) / sizeof(lk[0]); i++) {
            double v;
            if (reader_number(r, lk[i].key, 0, METRICS_MAX_VALUE, &v, err, errlen) != 0)
                goto fail;
            if (v < prev) {
                char vt[32], pt[32];
                reader_number_text(v, vt, sizeof(vt));
                reader_number_text(prev, pt, sizeof(pt));
                errmsg_set(err, errlen, "%s: %s is below the previous percentile %s", lk[i].key, vt, pt);
                goto fail;
            }
            memcpy((char *)m + lk[i].off, &v, sizeof(v));
            prev = v;
        }
    }
    double user, sys;
    if (reader_number(r, "resources.cpu_user_s", 0, METRICS_MAX_VALUE, &user, err, errlen) != 0 ||
        reader_number(r, "resources.cpu_sys_s", 0, METRICS_MAX_VALUE, &sys, err, errlen) != 0)
        goto fail;
    m->cpu_s = user + sys;
    m->has_pub = want_pub;
    m->has_sub = want_sub;
    return 0;
fail:
    memset(m, 0, sizeof(*m));
    return -1;
}

int metrics_extract_spread(const cJSON *result, struct metrics_spread *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    struct metrics run;
    if (extract_run(result, &run, err, errlen) != 0)
        return -1;
    const cJSON *rep = cJSON_GetObjectItemCaseSensitive(result, "repeat");
    if (!rep || cJSON_IsNull(rep)) {
        s->median = s->min = s->max = run;
        s->runs = 1;
        return 0;
    }
    double runs;
    if (reader_object(result, "repeat", 0, &rep, err, errlen) != 0 ||
        reader_number(result, "repeat.runs", 1, METRICS_MAX_RUNS, &runs, err, errlen) != 0)
        goto fail;
    if (floor(runs) != runs) {
        char vt[32];
        reader_number_text(runs, vt, sizeof(vt));
        errmsg_set(err, errlen, "repeat.runs: %s is not a whole number", vt);
        goto fail;
    }
    const cJSON *mets;
    if (reader_object(result, "repeat.metrics", 0, &mets, err, errlen) != 0)
        goto fail;
    s->median = s->min = s->max = run;      /* has_pub/has_sub from the run itself */
    for (size_t i = 0; i < METRICS_NFIELDS; i++) {
        const struct metrics_field *f = &metrics_fields[i];
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(mets, f->key);
        if (!metrics_has(&run, i)) {
            if (e && !cJSON_IsNull(e)) {
                errmsg_set(err, errlen, "repeat.metrics.%s: present, but the result has no such side", f->key);
                goto fail;
            }
            continue;
        }
        char path[96];
        double med, lo, hi;
        snprintf(path, sizeof(path), "repeat.metrics.%s.median", f->key);
        if (reader_number(result, path, 0, METRICS_MAX_VALUE, &med, err, errlen) != 0)
            goto fail;
        snprintf(path, sizeof(path), "repeat.metrics.%s.min", f->key);
        if (reader_number(result, path, 0, METRICS_MAX_VALUE, &lo, err, errlen) != 0)
            goto fail;
        snprintf(path, sizeof(path), "repeat.metrics.%s.max", f->key);
        if (reader_number(result, path, 0, METRICS_MAX_VALUE, &hi, err, errlen) != 0)
            goto fail;
        if (!(lo <= med && med <= hi)) {
            char lt[32], mt[32], ht[32];
            reader_number_text(lo, lt, sizeof(lt));
            reader_number_text(med, mt, sizeof(mt));
            reader_number_text(hi, ht, sizeof(ht));
            errmsg_set(err, errlen, "repeat.metrics.%s: needs min <= median <= max (%s, %s, %s)", f->key, lt, mt, ht);
            goto fail;
        }
        *field_ptr(&s->median, i) = med;
        *field_ptr(&s->min, i) = lo;
        *field_ptr(&s->max, i) = hi;
    }
    s->runs = (int)runs;
    return 0;
fail:
    memset(s, 0, sizeof(*s));
    return -1;
}

int metrics_extract(const cJSON *result, struct metrics *m, char *err, size_t errlen)
{
    struct metrics_spread s;
    int rc = metrics_extract_spread(result, &s, err, errlen);
    *m = s.median;
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

cJSON *metrics_repeat_json(const struct metrics *runs, size_t n)
{
    if (n == 0)
        return NULL;
    double *v = malloc(n * sizeof(*v));
    cJSON *o = cJSON_CreateObject();
    cJSON *mets = o ? cJSON_CreateObject() : NULL;
    if (!v || !o || !mets)
        goto oom;
    if (!cJSON_AddNumberToObject(o, "runs", (double)n) || !cJSON_AddItemToObject(o, "metrics", mets)) {
        cJSON_Delete(mets);
        goto oom;
    }
    for (size_t i = 0; i < METRICS_NFIELDS; i++) {
        bool all = true;
        for (size_t r = 0; r < n; r++) {
            all = all && metrics_has(&runs[r], i);
            v[r] = metrics_value(&runs[r], i);
        }
        if (!all) {
            if (!cJSON_AddNullToObject(mets, metrics_fields[i].key))
                goto oom;
            continue;
        }
        qsort(v, n, sizeof(*v), cmp_double);
        double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        cJSON *e = cJSON_AddObjectToObject(mets, metrics_fields[i].key);
        if (!e || !cJSON_AddNumberToObject(e, "median", med) || !cJSON_AddNumberToObject(e, "min", v[0]) ||
            !cJSON_AddNumberToObject(e, "max", v[n - 1]))
            goto oom;
    }
    free(v);
    return o;
oom:
    free(v);
    cJSON_Delete(o);
    return NULL;
}

/* One value for a scenario difference: numbers %.15g, strings as-is (made
 * printable, cut), other JSON compact, a missing key "(none)". */
static void show_value(const cJSON *x, char *buf, size_t len)
{
    if (!x) {
        snprintf(buf, len, "(none)");
    } else if (cJSON_IsNumber(x)) {
        snprintf(buf, len, "%.15g", x->valuedouble);
    } else if (cJSON_IsString(x) && x->valuestring) {
        reader_sanitize(x->valuestring, 40, buf, len);
    } else {
        char *s = cJSON_PrintUnformatted(x);
        reader_sanitize(s ? s : "?", 40, buf, len);
        free(s);
    }
}

static bool same_value(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return !a && !b;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return a->valuedouble == b->valuedouble;
    return cJSON_Compare(a, b, 1);
}

int metrics_scenario_diff_keys(const cJSON *a, const cJSON *b, const char *const *keys, size_t nkeys,
                               char *out, size_t outlen)
{
    int ndiff = 0;
    size_t used = 0;
    if (out && outlen)
        out[0] = '\0';
    for (size_t i = 0; i < nkeys; i++) {
        const cJSON *x = reader_find(a, keys[i]), *y = reader_find(b, keys[i]);
        if (same_value(x, y))
            continue;
        ndiff++;
        if (!out || used + 1 >= outlen)
            continue;
        const char *name = strrchr(keys[i], '.');
        name = name ? name + 1 : keys[i];
        char va[64], vb[64];
        show_value(x, va, sizeof(va));
        show_value(y, vb, sizeof(vb));
        int n = snprintf(out + used, outlen - used, "%s%s %s vs %s", ndiff > 1 ? "; " : "", name, va, vb);
        if (n > 0)
            used += (size_t)n < outlen - used ? (size_t)n : outlen - used - 1;
    }
    return ndiff;
}

int metrics_scenario_diff(const cJSON *a, const cJSON *b, char *out, size_t outlen)
{
    static const char *const keys[] = {
        "mode", "config.qos", "config.size", "config.count", "config.duration_s", "config.publishers",
        "config.subscribers", "config.rate", "config.inflight", "config.protocol", "config.backlog",
        "config.topic", "config.shape", "config.sub_topic", "config.pub_qos", "config.sub_qos",
        "config.retain", "config.clean", "config.session_expiry_s",
    };
    return metrics_scenario_diff_keys(a, b, keys, sizeof(keys) / sizeof(keys[0]), out, outlen);
}
