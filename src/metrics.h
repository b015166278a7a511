/* metrics: the comparable numbers of one result (what `compare` gates on and
 * `--repeat` summarises), the "repeat" summary object, and scenario identity
 * (whether two results measured the same thing). Works on parsed result
 * documents (reader.h) and on result_to_json's output alike. */
#ifndef MB_METRICS_H
#define MB_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

#define METRICS_MAX_VALUE 1e15      /* largest rate (msgs/s), latency (µs) or CPU time (s) accepted */
#define METRICS_MAX_RUNS  1000000   /* largest repeat.runs accepted */

/* One result's comparable metrics. Rates in messages/s, latencies in µs,
 * cpu_s in seconds (user + system of the tool). Fields of a side the result
 * does not have (has_pub / has_sub false) are 0. */
struct metrics {
    double pub_msgs_per_s, sub_msgs_per_s;
    double p50_us, p90_us, p99_us, p999_us, max_us;
    double lost, duplicates;        /* messages */
    double cpu_s;
    bool has_pub, has_sub;
};

/* The metrics of a --repeat result: medians, and the spread over the runs.
 * For a single run median, min and max are all that run, and runs is 1. */
struct metrics_spread {
    struct metrics median, min, max;
    int runs;
};

/* The fields of struct metrics in a fixed order, for tables and JSON. */
enum metrics_side { METRICS_ANY, METRICS_PUB, METRICS_SUB };
struct metrics_field {
    const char *key;        /* key in repeat.metrics and in compare's JSON */
    const char *label;      /* in sentences: "latency p99" */
    const char *row;        /* as a table row, with the unit: "latency p99 (us)" */
    size_t offset;          /* of the double in struct metrics */
    enum metrics_side side; /* which side of a run must exist for the value to exist */
};
#define METRICS_NFIELDS 10
extern const struct metrics_field metrics_fields[METRICS_NFIELDS];

/* The value of field i (< METRICS_NFIELDS) in m. */
double metrics_value(const struct metrics *m, size_t i);

/* Whether m has field i (its side exists). */
bool metrics_has(const struct metrics *m, size_t i);

/* Read result's metrics into m, validating as it goes: mode is pub, sub or
 * both; publish/subscribe/latency_us are objects exactly when the mode has
 * that side; every value used is a finite number in [0, METRICS_MAX_VALUE]
 * (lost/duplicates: whole numbers <= 2^53); latency percentiles are ordered.
 * When result has a "repeat" object the medians are returned (see
 * metrics_extract_spread). Returns 0, or -1 with err ("key: problem") filled
 * and m zeroed. */
int metrics_extract(const struct cJSON *result, struct metrics *m, char *err, size_t errlen);

/* Like metrics_extract, and also the spread: from "repeat" (runs >= 1, each
 * metric {"median","min","max"} with min <= median <= max, present exactly
 * when its side exists) or, without "repeat", runs = 1 and
 * median = min = max = the run's metrics. Returns 0, or -1 with err filled. */
int metrics_extract_spread(const struct cJSON *result, struct metrics_spread *s,
                           char *err, size_t errlen);

/* The "repeat" object for a --repeat result of n runs (n >= 1):
 * {"runs": n, "metrics": {KEY: {"median", "min", "max"}, ...}} with the keys
 * of metrics_fields in order; a metric some run lacks (its side) is null. The
 * median of an even count is the mean of the two middle values. Caller owns
 * the result (cJSON_Delete); NULL when n is 0 or out of memory. */
struct cJSON *metrics_repeat_json(const struct metrics *runs, size_t n);

/* Compare the scenario of results a and b: mode and config's qos, size,
 * count, duration_s, publishers, subscribers, rate, inflight, protocol,
 * backlog, topic, shape, sub_topic, pub_qos, sub_qos, retain, clean and
 * session_expiry_s (a key missing from both is equal; run ids, threads,
 * hosts and timeouts are not part of a scenario). Writes the
 * differences to out as "qos 0 vs 1; size 16 vs 64" ("" when none; cut to
 * outlen like snprintf). Returns the number of differences. */
int metrics_scenario_diff(const struct cJSON *a, const struct cJSON *b, char *out, size_t outlen);

/* metrics_scenario_diff over the given dotted keys ("mode", "config.qos"); a
 * difference is named by the key's last part. Returns the number of
 * differences. */
int metrics_scenario_diff_keys(const struct cJSON *a, const struct cJSON *b,
                               const char *const *keys, size_t nkeys, char *out, size_t outlen);

#endif
