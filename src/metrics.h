/* metrics: the comparable numbers of one result (what `compare` gates on and
 * `--repeat` summarises), the "repeat" summary object, and scenario identity
 * (whether two results measured the same thing). Works on typed results
 * (struct run_result: a run's, or a file's from result_from_json). */
#ifndef MB_METRICS_H
#define MB_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;
struct run_result;


/* One result's comparable metrics. Rates in messages/s, latencies in µs,
 * cpu_s in seconds (user + system of the tool); conn's in connects/s and µs.
 * Fields of a side the result does not have (has_pub / has_sub / has_conn
 * false) are 0. */
struct metrics {
    double pub_msgs_per_s, sub_msgs_per_s;
    double p50_us, p90_us, p99_us, p999_us, max_us;
    double lost, duplicates;        /* messages */
    double cpu_s;
    double connects_per_s;          /* conn: connects done per second */
    double connect_p50_us, connect_p99_us; /* conn: connect call to ready (connect.time_us) */
    double connect_failures;        /* conn: failed connects and connections, every kind */
    bool has_pub, has_sub, has_conn;
};

/* The metrics of a --repeat result: medians, and the spread over the runs.
 * For a single run median, min and max are all that run, and runs is 1. */
struct metrics_spread {
    struct metrics median, min, max;
    int runs;
};

/* The fields of struct metrics in a fixed order, for tables and JSON, and
 * how compare judges and prints each. */
enum metrics_side { METRICS_ANY, METRICS_PUB, METRICS_SUB, METRICS_CONN };
enum metrics_kind {
    METRICS_THROUGHPUT,     /* regresses when it drops beyond the limit */
    METRICS_LATENCY,        /* regresses when it rises beyond the limit */
    METRICS_LOSS,           /* regresses when above 0 and above the base; the worst run counts
                               (messages lost or duplicated, connects failed) */
    METRICS_INFO,           /* shown, never judged */
};
struct metrics_field {
    const char *key;        /* key in repeat.metrics and in compare's JSON */
    const char *label;      /* in sentences: "latency p99" */
    const char *row;        /* as a table row, with the unit: "latency p99 (us)" */
    size_t offset;          /* of the double in struct metrics */
    enum metrics_side side; /* which side of a run must exist for the value to exist */
    enum metrics_kind kind;
    int decimals;           /* in compare's table */
};
#define METRICS_NFIELDS 14
extern const struct metrics_field metrics_fields[METRICS_NFIELDS];

/* The value of field i (< METRICS_NFIELDS) in m. */
double metrics_value(const struct metrics *m, size_t i);

/* Set field i of m to v. */
void metrics_set(struct metrics *m, size_t i, double v);

/* Whether m has field i (its side exists). */
bool metrics_has(const struct metrics *m, size_t i);

/* r's own metrics, the numbers its result file shows (the repeat summary
 * aside). Never fails: result_from_json validated the values. */
void metrics_extract(const struct run_result *r, struct metrics *m);

/* r's spread: its "repeat" summary when it has one, else runs = 1 and
 * median = min = max = metrics_extract's. */
void metrics_extract_spread(const struct run_result *r, struct metrics_spread *s);

/* The spread of n >= 1 runs: each metric's median (of an even count, the
 * mean of the two middle values), min and max, each on its own; a side some
 * run lacks is left out (has_pub/has_sub false). Returns 0, or -1 when out
 * of memory. */
int metrics_repeat(const struct metrics *runs, size_t n, struct metrics_spread *s);

/* The "repeat" object of s: {"runs": N, "metrics": {KEY: {"median", "min",
 * "max"}, ...}} with the keys of metrics_fields in order, null for a side s
 * lacks. Caller owns it; NULL when out of memory. */
struct cJSON *metrics_spread_json(const struct metrics_spread *s);

/* Compare the scenario of results a and b: mode and the config keys of the
 * option rows marked OPT_SCENARIO (optspec.c: qos, size, count, topic ...;
 * run ids, threads, hosts and timeouts are not part of a scenario), as the
 * writer writes them, in config's order, then TLS on or off
 * (environment.tls: "tls off vs on"). Writes the differences to out as
 * "qos 0 vs 1; size 16 vs 64" ("" when none; cut to outlen like snprintf).
 * Returns the number of differences, or -1 when out of memory. */
int metrics_scenario_diff(const struct run_result *a, const struct run_result *b, char *out, size_t outlen);

/* metrics_scenario_diff over the given keys of "config" ("qos", "run_id").
 * Returns the number of differences, or -1 when out of memory. */
int metrics_scenario_diff_keys(const struct run_result *a, const struct run_result *b,
                               const char *const *keys, size_t nkeys, char *out, size_t outlen);

#endif
