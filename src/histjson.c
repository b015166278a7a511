/* histjson: latency_us in result JSON; mirrors result.c's writer. */
#include "histjson.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

#include "hist.h"

cJSON *histjson_histogram(const struct hist *h)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "layout", "log-linear-v1");
    cJSON_AddStringToObject(o, "unit", "ns");
    cJSON_AddNumberToObject(o, "sub_buckets", HIST_SUB_BUCKETS);
    cJSON_AddNumberToObject(o, "count", (double)h->count);
    cJSON_AddNumberToObject(o, "min_ns", h->count ? (double)h->min_ns : 0);
    cJSON_AddNumberToObject(o, "max_ns", (double)h->max_ns);
    cJSON_AddNumberToObject(o, "sum_ns", h->sum_ns);
    cJSON_AddNumberToObject(o, "sumsq_ns", h->sumsq_ns);
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
