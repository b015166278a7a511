/* report: what people read — the progress line and the final summary. */
#ifndef MB_REPORT_H
#define MB_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "result.h"

/* One progress line on f: elapsed, sent (not in `sub`), received and the p99
 * of the last interval (µs; <= 0 prints "-"; not in `pub`), msgs/s of the
 * last interval. */
void report_progress(FILE *f, enum mb_mode mode, double elapsed_s, uint64_t sent, uint64_t received,
                     double msgs_per_s, double p99_us);

/* The human-readable summary table of a finished run on f. json_path is where
 * the results were written (NULL if they were not). */
void report_summary(FILE *f, const struct run_result *r, const char *json_path);

#endif
