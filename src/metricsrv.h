/* metricsrv: live metrics during a run, as OpenMetrics / Prometheus text:
 * served on http://ADDR:PORT/metrics (--metrics-listen) and rewritten
 * atomically once a second to a file (--metrics-file, for node_exporter's
 * textfile collector). The metric names are documented in docs/reporting.md.
 *
 * Threads: the run's controller thread publishes (metricsrv_begin, _phase,
 * _connecting, _tick, _final): it formats the text and swaps it in under a
 * mutex. One server thread of this module answers scrapes and writes the
 * file from that copy. The workers never meet either: a slow scraper or a
 * slow disk cannot hold a worker, nor the controller past a pointer swap.
 * Every publishing function does nothing when m is NULL. */
#ifndef MB_METRICSRV_H
#define MB_METRICSRV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hist.h"
#include "options.h"

struct run_result;
struct metricsrv;

/* The latency histogram's bucket bounds, in seconds (then +Inf): MQTT
 * latencies from a loopback broker's tens of µs to a stalled one's seconds. */
#define METRICSRV_NBUCKETS 17
extern const double metricsrv_buckets_s[METRICSRV_NBUCKETS];

/* What the metrics say at one moment. */
struct metricsrv_state {
    char run_id[17];            /* 16 hex digits */
    enum mb_mode mode;
    const char *phase;          /* "connect", "warmup", "measure", "drain" or "done" */
    uint64_t published;         /* completed publishes in the measured phase */
    uint64_t received;          /* unique messages received in the measured phase */
    uint64_t lost, duplicates;  /* known when the run's accounting ends (final); 0 before */
    uint64_t errors;            /* failed clients; with failed publish calls once final */
    uint64_t reconnects;        /* --reconnect: lost connections made again; 0 without it */
    uint64_t connected;         /* clients connected (and subscribed) now */
    bool in_flight_known;       /* both: the next field means something */
    uint64_t in_flight;         /* completed publishes times their receivers, not yet received */
    bool final;                 /* the run's exact totals (metricsrv_final) */
    struct hist latency;        /* end-to-end latency of the measured phase so far */
};

/* The text of s on f: the Prometheus text format 0.0.4 (what node_exporter's
 * textfile collector and `promtool check metrics` read), or with openmetrics
 * OpenMetrics 1.0 (counter families without _total, an info family, # EOF).
 * Histogram bucket le counts the values whose histogram bucket's value
 * (hist_bucket_value: within 0.4%) is at most le. Returns 0, or -1 when f
 * reports an error. */
int metricsrv_format(FILE *f, const struct metricsrv_state *s, bool openmetrics);

/* Start serving: listen on listen_addr ("HOST:PORT", "[V6]:PORT" or ":PORT"
 * for every address; NULL for none) and rewrite file_path (NULL for none)
 * every second, until metricsrv_stop. Says on stderr where it serves. Returns
 * 0 with *out set, or -1 with err ("--metrics-listen ADDR: why") filled. */
int metricsrv_start(struct metricsrv **out, const char *listen_addr, const char *file_path, char *err, size_t errlen);

/* The port it listens on (useful after ":0"); 0 when not listening. */
int metricsrv_port(const struct metricsrv *m);

/* A new run of cfg: zero everything, phase "connect". */
void metricsrv_begin(struct metricsrv *m, const struct mb_config *cfg);

/* The run entered phase (enum run_phase in client.h). */
void metricsrv_phase(struct metricsrv *m, int phase);

/* During the connect phase: connected clients and failed ones so far.
 * Published at most twice a second. */
void metricsrv_connecting(struct metricsrv *m, uint64_t connected, uint64_t failed);

/* --reconnect: lost connections made again so far (published with the next
 * tick). */
void metricsrv_reconnects(struct metricsrv *m, uint64_t reconnects);

/* One progress tick of the measured phase: cumulative counts, the latencies
 * recorded since the previous tick (added to the histogram), connected and
 * failed clients, and (in_flight_known) the messages in flight. */
void metricsrv_tick(struct metricsrv *m, uint64_t published, uint64_t received, const struct hist *latency_since,
                    uint64_t connected, uint64_t failed, bool in_flight_known, uint64_t in_flight);

/* The run ended: its exact totals from r (after accounting), phase "done". */
void metricsrv_final(struct metricsrv *m, const struct run_result *r);

/* Stop serving, then write the file one last time (with the final totals).
 * Frees m (NULL is fine). Returns 0, or -1 with err filled when that last
 * write failed. */
int metricsrv_stop(struct metricsrv *m, char *err, size_t errlen);

#endif
