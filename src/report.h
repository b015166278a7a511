/* report: what people read — the progress line and the final summary. */
#ifndef MB_REPORT_H
#define MB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"

/* One progress line on f: elapsed, sent (not in `sub`), received and the p99
 * of the last interval (µs; <= 0 prints "-"; not in `pub`), msgs/s of the
 * last interval. */
void report_progress(FILE *f, enum mb_mode mode, double elapsed_s, uint64_t sent, uint64_t received,
                     double msgs_per_s, double p99_us);

/* conn: one progress line on f: elapsed, connects started, done (ready) and
 * failed so far, connects done per second of the last interval. */
void report_conn_progress(FILE *f, double elapsed_s, uint64_t started, uint64_t done, uint64_t failed,
                          double done_per_s);

/* What a run saw when it stalled (nothing completed or arrived for the
 * drain timeout), so the error says no more about the broker than that. */
struct report_stall {
    double idle_s;              /* how long nothing completed or arrived */
    bool has_subscribers;       /* subscribers ran in this process (`both`) */
    uint64_t arrived;           /* messages of any kind the subscribers received
                                   (valid, warm-up or foreign) */
    uint64_t published;         /* publishes that completed */
    uint64_t pub_errors;        /* mosquitto_publish calls that failed */
    const char *pub_error;      /* the first one's reason ("" = none) */
    bool flow_paused;           /* publishers were held by mqttbench's --backlog window */
    uint64_t backlog;           /* that window, in messages */
};

/* The one-line error of a stalled run, into buf (len bytes): a failing
 * mosquitto_publish, subscriptions that never received anything ("no
 * subscriber received any message: ..."), publishers held by mqttbench's own
 * window while subscribers got nothing, or the broker that stopped
 * acknowledging or delivering. */
void report_stall_error(const struct report_stall *s, char *buf, size_t len);

/* Who set the pace of a run, on the evidence in r: the NOTE the summary
 * prints. Only REPORT_BROKER blames the broker: a paced run fell short of its
 * target rate while mqttbench had CPU to spare, was never stopped and made
 * no subscriber wait (--sub-delay). */
enum report_bottleneck {
    REPORT_NONE,                /* nothing to say */
    REPORT_SELF_STALL,          /* mqttbench itself was stopped or not scheduled */
    REPORT_GENERATOR,           /* mqttbench's CPU */
    REPORT_JITTER,              /* paced: slots missed, the rate held */
    REPORT_SUB_DELAY,           /* paced `both`: the rate fell short with --sub-delay, which blocks
                                   its thread and, through it, publishers */
    REPORT_BROKER,              /* paced: the rate fell short of the target */
    REPORT_OUTAGE,              /* paced, --reconnect: slots missed or the rate short, with outages */
};
enum report_bottleneck report_bottleneck(const struct run_result *r);

/* The human-readable summary table of a finished run on f. json_path is where
 * the results were written (NULL if they were not). */
void report_summary(FILE *f, const struct run_result *r, const char *json_path);

#endif
