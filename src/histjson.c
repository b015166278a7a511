/* histjson: latency_us in result JSON; mirrors result.c's writer. */
#include "histjson.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hist.h"

/* A number that reads back as exactly v. cJSON prints 15 significant digits
 * whenever they give back v within DBL_EPSILON, so a sum above 2^50 or a
 * sum of squares can lose its last bits, and a merge of such files is then
 * only nearly exact. %.17g always round-trips. */
static cJSON *exact_number(double v)
{
    char buf[40];
    if (!isfinite(v))
        return cJSON_CreateNumber(v);
    snprintf(buf, sizeof(buf), "%.17g", v);
    return cJSON_CreateRaw(buf);
}

static void add_exact(cJSON *o, const char *key, double v)
{
    cJSON *x = exact_number(v);
    if (x && !cJSON_AddItemToObject(o, key, x))
        cJSON_Delete(x);
}

cJSON *histjson_histogram(const struct hist *h)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "layout", "log-linear-v1");
    cJSON_AddStringToObject(o, "unit", "ns");
    cJSON_AddNumberToObject(o, "sub_buckets", HIST_SUB_BUCKETS);
    add_exact(o, "count", (double)h->count);
    add_exact(o, "min_ns", h->count ? (double)h->min_ns : 0);
    add_exact(o, "max_ns", (double)h->max_ns);
    add_exact(o, "sum_ns", h->sum_ns);
    add_exact(o, "sumsq_ns", h->sumsq_ns);
    cJSON *arr = cJSON_AddArrayToObject(o, "buckets");
    uint64_t *pairs = malloc(sizeof(uint64_t) * 2 * HIST_BUCKETS);
    if (!arr || !pairs) {
        free(pairs);
        cJSON_Delete(o);
        return NULL;
    }
    size_t n = hist_encode(h, pairs, HIST_BUCKETS);
    for (size_t i = 0; i < 2 * n; i++) {
        cJSON *v = cJSON_CreateNumber((double)pairs[i]);
        if (!v) {
            free(pairs);
            cJSON_Delete(o);
            return NULL;
        }
        cJSON_AddItemToArray(arr, v);
    }
    free(pairs);
    return o;
}

cJSON *histjson_latency_us(const struct hist *h)
{
    static const struct { const char *key; double pct; } ps[] = {
        { "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 }, { "p9999", 99.99 },
    };
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "count", (double)h->count);
    cJSON_AddNumberToObject(o, "min", h->count ? (double)h->min_ns / 1e3 : 0);
    cJSON_AddNumberToObject(o, "mean", hist_mean_ns(h) / 1e3);
    cJSON_AddNumberToObject(o, "stdev", hist_stdev_ns(h) / 1e3);
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        cJSON_AddNumberToObject(o, ps[i].key, (double)hist_percentile(h, ps[i].pct) / 1e3);
    cJSON_AddNumberToObject(o, "max", (double)h->max_ns / 1e3);
    cJSON *hj = histjson_histogram(h);
    if (!hj || !cJSON_AddItemToObject(o, "histogram", hj)) {
        cJSON_Delete(hj);
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
