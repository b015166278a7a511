/* result: everything a run measured, and its JSON form (schema
 * mqttbench.result.v1, documented in docs/results.md): the one writer
 * (result_to_json) and the one validating reader (result_from_json) of that
 * schema. A result file read back is a struct run_result like the one a run
 * fills, so compare, merge and --repeat work on typed data.
 *
 * Adding a key: a field here, a line in result_to_json, a line in
 * result_from_json, and docs/results.md. result_from_json checks that every
 * key the writer writes for the typed data it read equals the file's, so a
 * field the reader forgets fails on the first real file. */
#ifndef MB_RESULT_H
#define MB_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "options.h"
#include "stats.h"
#include "tls.h"

#define RESULT_SCHEMA "mqttbench.result.v1"
#define RESULT_MAX_FAILURES 8   /* failure reasons kept; later ones count in the last */
#define RESULT_MAX_WARNINGS 16  /* warnings kept (result_add_warning) */
#define RESULT_MAX_OUTAGES 64   /* outages kept (outage.h); outages_total counts them all */
#define RESULT_MAX_PEERS 8      /* publishing processes in "clock" */
#define RESULT_MAX_RUNS 1000    /* runs of a --repeat result */

enum result_status { RESULT_OK, RESULT_ABORTED, RESULT_FAILED };

/* One progress tick. */
struct result_point {
    double t_s;             /* seconds since the measured phase began */
    uint64_t sent;          /* cumulative completed publishes */
    uint64_t received;      /* cumulative unique messages received */
    double p50_us, p99_us;  /* latency of the messages received in this second; 0 = none */
};

/* --reconnect: one outage (outage.h), times relative to the measured phase's start. */
struct result_outage {
    double start_s;         /* the first client saw its connection lost (< 0: before the measured phase) */
    bool ended;             /* every client hit was back */
    double end_s;           /* when the last of them was back (ended) */
    bool flowed;            /* a message was received after it ended */
    double flowing_s;       /* from start_s to the first message received after it ended (flowed) */
    uint64_t clients;       /* connections lost in it */
    struct hist reconnect;  /* per connection: lost to back */
    bool counted;           /* the message counts below are known (a subscribing run) */
    uint64_t lost, duplicates, redelivered;   /* the messages it owns (accounting.h) */
};

/* Per worker thread: how busy it was (the self-check). */
struct result_worker {
    double cpu_s;           /* thread CPU time during the run */
    double utilization;     /* cpu_s / wall time of the run, 0..1 */
};

struct result_env {
    char version[32];           /* mqttbench's, and its git revision (sysinfo_fill) */
    char git_revision[48];
    char libmosquitto[32];      /* at run time */
    char hostname[256];
    long pid;                   /* the process that wrote the result; 0 = unknown (older files) */
    char cpu_model[256];
    int cpu_count;
    char kernel[256];
    char start_time[32];        /* ISO 8601 UTC */
    char broker_address[300];   /* host:port as connected */
    bool broker_spawned;
    char broker_version[96];    /* $SYS/broker/version; "" when not published */
    bool latency_monotonic;     /* latencies on CLOCK_MONOTONIC (result_init; else CLOCK_REALTIME) */
    bool io_layer_off;          /* MQTTBENCH_NO_IOBUF turned the I/O layer off */
    struct tls_facts tls;       /* TLS in use when tls.library is not ""; negotiated fields
                                   from the first handshake */
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
    } peers[RESULT_MAX_PEERS];
};

/* One input of a merged result ("sources"). */
struct result_source {
    const char *path;           /* as given to merge (owned by the result's store) */
    char hostname[256];
    long pid;
    char start_time[32];
    enum mb_mode mode;
    enum result_status status;
    uint64_t run_id;
};

struct metrics_spread;
struct result_store;
struct sweep;

struct run_result {
    enum result_status status;
    char error[512];            /* when status is not OK */
    const struct mb_config *cfg;
    struct result_env env;

    /* from the configuration (result_init); merge sums or combines them */
    int publishers;             /* publish.publishers */
    int subscribers;            /* subscribe.subscribers */
    double target_msgs_per_s;   /* publish.target_msgs_per_s (--rate; 0 = unpaced) */
    bool latency_intended;      /* latency_us from the schedule ("intended"), else the send call */
    uint64_t coalesce_ns;       /* config.coalesce_s: --coalesce as in effect (the run sets 0 when no
                                   thread held subscribers alone); result_init: as configured */

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
    double tls_per_s;           /* TLS handshakes completed per second of the connect ramp */
    struct {
        char reason[96];
        uint64_t count;
    } failures[RESULT_MAX_FAILURES];   /* failures by reason (result_add_failure) */
    size_t nfailures;
    uint64_t clients;           /* connections the run opened (incl. the $SYS reader) */
    uint64_t publishers_done;   /* publishers that completed their quota */
    uint64_t conn_scheduled;    /* conn: connects the schedule held (total.conn counts the rest) */
    double conn_duration_s;     /* conn: from the first connect's due time to the last ready, at
                                   least the schedule's length; connects/s is done over it */

    struct result_point *points;
    size_t npoints, cap_points;

    struct result_outage *outages;  /* --reconnect: the first RESULT_MAX_OUTAGES (result_alloc) */
    size_t noutages;
    uint64_t outages_total;         /* all of them */
    bool outside_counted;           /* outages_outside is known (outages' counts with it) */
    struct {
        uint64_t lost, duplicates;  /* owned by no outage in outages[] */
    } outages_outside;

    struct result_worker *workers;
    size_t nworkers;
    struct result_clock clock;
    char warnings[RESULT_MAX_WARNINGS][256];   /* things the numbers depend on that went wrong */
    size_t nwarnings;
    struct {
        uint64_t count;         /* gaps in mqttbench's own polling: it was stopped (SIGSTOP,
                                   a VM pause, suspend) or not scheduled */
        double total_s, max_s;
    } self_stall;
    bool generator_saturated;   /* mqttbench, not the broker, limited the run */
    bool schedule_lagging;      /* paced: over 1% of messages left a whole slot late */
    bool flow_on;               /* both: the flow window (--backlog) applied (flow_enabled) */
    bool flow_paced_by_window;  /* the window held the publishers most of the run (flow.h) */
    double max_utilization;     /* busiest worker, 0..1 */

    double cpu_user_s, cpu_sys_s;
    long peak_rss_kb;
    uint64_t read_syscalls, write_syscalls;   /* on client sockets, this run (iobuf.h) */

    /* Only in files: a --repeat result (repeat, runs), a sweep (sweep, runs) or a merged one (sources). */
    struct metrics_spread *repeat;  /* the "repeat" summary; NULL when absent */
    struct run_result *runs;        /* every run of a --repeat, nruns of them */
    size_t nruns;
    struct result_source *sources;  /* the processes a merged result combines */
    size_t nsources;
    bool merged_split;              /* merged from pub and sub results ("pub+sub") */
    struct sweep *sweep;            /* a sweep (sweep.h): runs are its steps; NULL when none */
    struct result_store *store;     /* memory of the above, of cfg and its strings */
};

/* conn: the keys of conn.failed, by enum stats_conn_fail ("refused", "timeout",
 * "tcp", "tls", "subscribe", "lost"); the summary names the kinds so too. */
extern const char *const result_conn_fail_keys[STATS_CONN_NFAIL];

/* The lowest QoS in a stats grant mask (bit q: QoS q was granted), -1 for none. */
int result_qos_granted(uint8_t mask);

/* The warning a downgraded subscription gives ("the broker granted QoS 1 to
 * the QoS 2 subscriptions: ..."), into buf; returns false when there is none. */
bool result_qos_warning(const struct run_result *r, char *buf, size_t len);

/* Start r for a run of cfg: r->cfg and the fields taken from the
 * configuration (publishers, subscribers, target rate, latency start point,
 * latency clock). Leaves everything else alone; call before run_execute. */
void result_init(struct run_result *r, const struct mb_config *cfg);

/* Append one timeseries point. Returns 0, or -1 when out of memory. */
int result_add_point(struct run_result *r, const struct result_point *p);

/* Count n failures of reason into r->failures: the same reason adds up; a
 * new one takes the next free slot, and once all RESULT_MAX_FAILURES are
 * taken it counts in the last. The one rule for workers, files and merges. */
void result_add_failure(struct run_result *r, const char *reason, uint64_t n);

/* Append warning text (cut to 255 bytes) unless r already has it. When all
 * RESULT_MAX_WARNINGS are taken the last one says so. Returns 0, or -1 when
 * full. */
int result_add_warning(struct run_result *r, const char *text);

/* Free what r owns (arrays, runs, the store; not r itself) and zero r. */
void result_free(struct run_result *r);

/* "ok", "aborted" or "failed". */
const char *result_status_name(enum result_status s);

/* "pub", "sub" or "both", as in the results. */
const char *result_mode_name(enum mb_mode m);

/* n / seconds (0 when seconds is 0): every rate in a result. */
double result_rate(uint64_t n, double seconds);

/* Percentile pct of h in µs, as latency_us reports it. */
double result_percentile_us(const struct hist *h, double pct);

struct cJSON;

/* r as a cJSON object (schema mqttbench.result.v1); the caller owns it
 * (cJSON_Delete). Every string in it is valid UTF-8 (invalid bytes become
 * '?'). NULL when out of memory. */
struct cJSON *result_to_json(const struct run_result *r);

/* r's "config" object (the writer's). Caller owns it; NULL when out of memory. */
struct cJSON *result_config_json(const struct run_result *r);

/* Fill r (zeroed first; free it with result_free, also on failure) from doc,
 * a document reader_parse accepted. Every key the writer writes must be
 * present with a sound value, except those docs/results.md lists as newer
 * (warnings, environment.pid, ...); keys it does not know are ignored.
 * Strings are made valid UTF-8; histograms are checked (reader_histogram);
 * the keys the writer derives (rates, latency percentiles, mean, stdev, ...)
 * must agree with the values they come from. Returns 0, -1 with err
 * ("key: problem"), or -2 when out of memory; on failure r is left empty
 * (nothing to free). */
int result_from_json(const struct cJSON *doc, struct run_result *r, char *err, size_t errlen);

/* reader_load + result_from_json: r from the file at path. Returns 0, -1
 * with err ("PATH: problem"), or -2 when out of memory. */
int result_load(const char *path, struct run_result *r, char *err, size_t errlen);

/* reader_parse + result_from_json: r from len bytes at buf, called name in
 * messages. Returns as result_load. */
int result_parse(const char *buf, size_t len, const char *name, struct run_result *r, char *err, size_t errlen);

/* environment.start_time in seconds since the epoch; -1 when it is not
 * YYYY-MM-DDTHH:MM:SSZ. */
double result_start_s(const struct run_result *r);

/* n zeroed bytes in r's store (freed by result_free); NULL when out of memory. */
void *result_alloc(struct run_result *r, size_t n);

/* A copy of s in r's store (freed by result_free); NULL when out of memory. */
const char *result_strdup(struct run_result *r, const char *s);

/* A deep copy of cfg in r's store, set as r->cfg (and returned, for the
 * caller to adjust). NULL when out of memory. */
struct mb_config *result_set_config(struct run_result *r, const struct mb_config *cfg);

/* Write r as JSON to path atomically (temp file in the same directory, fsync,
 * rename), creating the directory when it is missing. Returns 0, or -1 with
 * err filled; on failure no file is left at path or beside it. */
int result_write(const struct run_result *r, const char *path, char *err, size_t errlen);

/* The default result path: results/mqttbench-<mode>-<UTC YYYYmmddTHHMMSSZ>.json. */
void result_default_path(const struct mb_config *cfg, char *buf, size_t len);

#endif
