/* series: the per-second progress series (result "timeseries") of processes
 * that ran at the same time, merged into one series on the wall clock. */
#ifndef MB_SERIES_H
#define MB_SERIES_H

#include <stddef.h>

#include "result.h"

/* One process's series. */
struct series {
    const struct result_point *points;  /* in non-decreasing t_s */
    size_t n;
    double start_s;                     /* wall clock of its t_s = 0, seconds since the epoch */
};

/* Merge n series by wall-clock second. A point lands at start_s + t_s; the
 * merged series starts at the earliest start_s, and each point goes to the
 * nearest whole second of the merged clock (progress ticks come near whole
 * seconds, so each second gets one tick per series; a final partial point
 * less than half a second after its last tick shares that tick's second).
 * Per second: t_s is the latest point's, sent and received are the sums of
 * each series' latest cumulative values so far (carried forward), and p50/p99
 * are the largest values of the points in that second: an upper bound, since
 * per-second latencies of several processes cannot be combined exactly
 * without their histograms. On success *out (caller frees; NULL when there
 * are no points) holds *nout points and 0 is returned; -1 when out of memory. */
int series_merge(const struct series *in, size_t n, struct result_point **out, size_t *nout);

#endif
