/* html: the self-contained HTML report of one or more results (`mqttbench
 * report`, and --report on a run): scenario, environment and verdict in
 * words, the key metrics side by side, the delivery table, and charts of the
 * per-second rates and latencies with the phases marked, the latency
 * percentile distribution on a "nines" axis and the connect times. One file
 * with its data, style and script inline: nothing is fetched when it is
 * opened. The charts are inline SVG drawn by src/html.js from the data that
 * html_write embeds (docs/reporting.md). */
#ifndef MB_HTML_H
#define MB_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "result.h"

#define HTML_MAX_RUNS 8     /* results in one report (one colour each) */

/* One result in a report. */
struct html_run {
    const char *name;               /* shown with it: its file name, or "this run" */
    const struct run_result *r;
};

/* The report of runs[0..n) (1 <= n <= HTML_MAX_RUNS) as one HTML document
 * on f. The first run is the base the others are compared with. Returns 0,
 * or -1 when out of memory or when f reports an error. */
int html_write(FILE *f, const struct html_run *runs, size_t n);

/* Check, before anything is read or run, that each output asked for (NULL:
 * not asked) can be written (jsonfile_check). Returns 0, or -1 with err. */
int html_check_outputs(const char *report, const char *csv, const char *hgrm, char *err, size_t errlen);

/* Write the outputs asked for (NULL: not asked): the HTML report of
 * runs[0..n), and the CSV and HdrHistogram text of runs[0] (n must be 1 for
 * those). Each that cannot be written is said in one line on stderr, after
 * prefix ("mqttbench: "). Returns the number that could not be written. */
int html_write_outputs(const struct html_run *runs, size_t n, const char *report, const char *csv, const char *hgrm,
                       const char *prefix);

/* The `report` command; argv[0] is "report". Reads every file with
 * result_load, then writes the HTML report (-o), and for one input the CSV
 * (--csv) and HdrHistogram (--hgrm) exports. Returns the exit code: 0, 1 when
 * an output could not be written, 2 for bad usage or an input the reader
 * refuses (one line on stderr). */
int html_report_main(int argc, char **argv);

#endif
