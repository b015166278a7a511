/* result: everything a run measured, and its JSON form (schema
 * mqttbench.result.v1, documented in docs/results.md). */
#ifndef MB_RESULT_H
#define MB_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "options.h"
#include "stats.h"

#define RESULT_SCHEMA "mqttbench.result.v1"

enum result_status { RESULT_OK, RESULT_ABORTED, RESULT_FAILED };

/* One progress tick. */
struct result_point {
    double t_s;             /* seconds since the measured phase began */
    uint64_t sent;          /* cumulative completed publishes */
    uint64_t received;      /* cumulative unique messages received */
    double p50_us, p99_us;  /* latency of the messages received in this second; 0 = none */
};

/* Per worker thread: how busy it was (the self-check). */
struct result_worker {
    double cpu_s;           /* thread CPU time during the run */
    double utilization;     /* cpu_s / wall time of the run, 0..1 */
};

struct result_env {
    char hostname[256];
    char cpu_model[256];
    int cpu_count;
    char kernel[256];
    char start_time[32];        /* ISO 8601 UTC */
    char broker_address[300];   /* host:port as connected */
    bool broker_spawned;
    char broker_version[96];    /* $SYS/broker/version; "" when not published */
};

/* How latencies were made comparable across clocks. */
struct result_clock {
    char method[80];
    double offset_us;           /* subscriber clock - publisher clock (before the run) */
    double uncertainty_us;      /* half the best round trip, or the drift if larger */
    double drift_us;            /* offset after the run - offset before */
    int samples;
    size_t npeers;
    struct {
        char id[96];
        double before_us, after_us, uncertainty_us;
        int samples;
    } peers[8];
};

struct run_result {
    enum result_status status;
    char error[512];            /* when status is not OK */
    const struct mb_config *cfg;
    struct result_env env;

    /* phases (seconds) */
    double connect_s;           /* until every client was connected and subscribed */
    double measure_s;           /* from the start of publishing to the end of the drain */
    double drain_s;             /* from the last completed publish to the end */

    /* totals over all workers */
    struct stats total;
    double pub_duration_s;      /* start of publishing to the last completion */
    double sub_duration_s;      /* start (both) or first message (sub) to the last message */
    uint64_t expected;          /* messages the subscribers should have received */
    bool expected_known;        /* expected is known (else lost counts gaps only) */
    uint64_t lost;              /* expected messages known not to have arrived (accounting.h) */
    uint64_t in_flight;         /* expected, neither received nor known lost: the run did not wait */
    bool lost_exact;            /* lost is the whole truth (accounting.h) */
    uint64_t duplicates;
    uint64_t out_of_order;
    uint64_t forgotten;         /* > 0: gap tracking overflowed, loss is approximate */
    uint64_t connect_failures;
    struct {
        char reason[96];
        uint64_t count;
    } failures[8];              /* failures by reason, summed over workers */
    size_t nfailures;
    uint64_t clients;           /* connections the run opened (incl. the $SYS reader) */
    uint64_t publishers_done;   /* publishers that completed their quota */

    struct result_point *points;
    size_t npoints, cap_points;

    struct result_worker *workers;
    size_t nworkers;
    struct result_clock clock;
    char warnings[8][256];      /* things the numbers depend on that went wrong */
    size_t nwarnings;
    struct {
        uint64_t count;         /* gaps in mqttbench's own polling: it was stopped (SIGSTOP,
                                   a VM pause, suspend) or not scheduled */
        double total_s, max_s;
    } self_stall;
    bool generator_saturated;   /* mqttbench, not the broker, limited the run */
    bool schedule_lagging;      /* paced: over 1% of messages left a whole slot late */
    double max_utilization;     /* busiest worker, 0..1 */

    double cpu_user_s, cpu_sys_s;
    long peak_rss_kb;
    uint64_t read_syscalls, write_syscalls;   /* whole process, whole run */
};

/* Append one timeseries point. Returns 0, or -1 when out of memory. */
int result_add_point(struct run_result *r, const struct result_point *p);

/* Free the arrays in r (not r itself). */
void result_free(struct run_result *r);

/* "ok", "aborted" or "failed". */
const char *result_status_name(enum result_status s);

struct cJSON;

/* r as a cJSON object (schema mqttbench.result.v1); the caller owns it
 * (cJSON_Delete). NULL when out of memory. */
struct cJSON *result_to_json(const struct run_result *r);

/* Write r as JSON to path atomically (temp file in the same directory, fsync,
 * rename), creating the directory when it is missing. Returns 0, or -1 with
 * err filled; on failure no file is left at path or beside it. */
int result_write(const struct run_result *r, const char *path, char *err, size_t errlen);

/* The default result path: results/mqttbench-<mode>-<UTC YYYYmmddTHHMMSSZ>.json. */
void result_default_path(const struct mb_config *cfg, char *buf, size_t len);

#endif
