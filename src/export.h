/* export: a result's data in the formats other tools read: the per-second
 * series as CSV (one row a second, for spreadsheets and plotting scripts)
 * and a latency histogram as HdrHistogram's percentile distribution (.hgrm,
 * what HdrHistogram's plotter and wrk2 users plot). The row functions are
 * pure; the writers print to a FILE; export_write puts what a writer printed
 * into a file the way results are written (jsonfile_write_text). The formats
 * are described in docs/reporting.md. */
#ifndef MB_EXPORT_H
#define MB_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "hist.h"
#include "result.h"

/* Reporting points per halving of the distance to 100%: HdrHistogram's
 * default for outputPercentileDistribution (0%, 10%, ... 50%, 55%, ... 75%,
 * 77.5%, ...). */
#define EXPORT_TICKS_PER_HALF 5

/* One row of a percentile distribution. */
struct export_pct_row {
    double percentile;      /* the level reported, 0..100 */
    uint64_t value_ns;      /* the value at it: hist_bucket_value of the bucket that
                               reaches the level; the 0% row is min_ns, the 100% row
                               max_ns (as hist_percentile) */
    uint64_t total_count;   /* values in that bucket and below */
};

/* The percentile distribution of h as HdrHistogram's percentile iterator
 * visits it: levels from 0 in steps of 100 / (ticks * 2^(k+1)) while the
 * level is in the k-th halving of the distance to 100%; each level is
 * reported at the first bucket whose cumulative share reaches it (several
 * levels may share a bucket); the last bucket is reported once, at 100%.
 * *rows (caller frees; NULL when h is empty) receives the rows in order.
 * Returns their number, or -1 when out of memory. */
long export_percentiles(const struct hist *h, int ticks_per_half, struct export_pct_row **rows);

/* h as HdrHistogram's percentile distribution text on f: the header, one
 * row per export_percentiles row (value in milliseconds with 6 decimals,
 * percentile as a fraction, total count, 1/(1-percentile)), the 100% row
 * without the last column, then the #[Mean ...], #[Max ...] and
 * #[Buckets ...] footer (mqttbench's histogram is HdrHistogram's layout with
 * 29 buckets of 256 sub-buckets). Returns 0, or -1 when out of memory or
 * when f reports an error. */
int export_hgrm(FILE *f, const struct hist *h);

/* One second of r's timeseries, as the CSV and the HTML report show it. */
struct export_second {
    double t_s;                 /* seconds since the measured phase began */
    const char *phase;          /* "measure", or "drain" once publishing had ended */
    uint64_t sent, received;    /* cumulative */
    double sent_per_s;          /* over the interval since the previous point; -1 = none */
    double received_per_s;      /*   (the interval has no length) */
    double p50_us, p99_us;      /* of the messages received in the interval; 0 = none */
};

/* Row i (< r->npoints) of r's series. */
void export_second(const struct run_result *r, size_t i, struct export_second *row);

/* r's timeseries as CSV on f: the header line
 * "t_s,phase,sent,received,sent_per_s,received_per_s,p50_us,p99_us", then one
 * row a point; an empty cell where a value is none. Returns 0, or -1 when f
 * reports an error. */
int export_csv(FILE *f, const struct run_result *r);

/* Write what print(f, arg) prints to path with jsonfile_write_text (a regular
 * file atomically, "-" to standard output). print returns 0 or -1. Returns 0,
 * or -1 with err ("PATH: why") filled. */
int export_write(const char *path, int (*print)(FILE *f, const void *arg), const void *arg,
                 char *err, size_t errlen);

/* export_write adapters: arg is a struct run_result; hgrm writes its
 * latency_us histogram. */
int export_print_csv(FILE *f, const void *result);
int export_print_hgrm(FILE *f, const void *result);

#endif
