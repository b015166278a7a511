/* histjson: a latency histogram as result JSON, the "latency_us" object of
 * schema mqttbench.result.v1 (docs/results.md): for `merge`, which rebuilds
 * latency_us from a merged histogram and must write exactly what a run that
 * recorded every value itself would have written. The keys and the number
 * expressions are result.c's; keep the two in step (tests/integration/merge.sh
 * compares them key by key). Write it with jsonfile_write, which prints
 * numbers bit-exact. */
#ifndef MB_HISTJSON_H
#define MB_HISTJSON_H

struct cJSON;
struct hist;

/* The latency_us object for h: count, min, mean, stdev, p50, p90, p99, p999,
 * p9999, max (µs) and histogram (ns, the compact mergeable form). The extra
 * key "negative" is not included. Caller owns the result (cJSON_Delete);
 * NULL when out of memory. */
struct cJSON *histjson_latency_us(const struct hist *h);

/* The compact histogram object for h: layout, unit, sub_buckets, count,
 * min_ns, max_ns, sum_ns, sumsq_ns, buckets. Caller owns it; NULL when out of
 * memory. */
struct cJSON *histjson_histogram(const struct hist *h);

#endif
