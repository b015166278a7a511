/* compare: `mqttbench compare BASE.json NEW.json` — the verdict CI gates on.
 * The rules (documented in docs/ci.md) live in compare_evaluate; compare_main
 * is the command: options, loading, the table, the verdict file. */
#ifndef MB_COMPARE_H
#define MB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics.h"

/* Exit codes of `mqttbench compare` (main returns them unchanged). */
enum { COMPARE_EXIT_OK = 0, COMPARE_EXIT_REGRESSION = 1, COMPARE_EXIT_UNUSABLE = 2 };

struct compare_opts {
    double max_throughput_drop_pct; /* publish/subscribe msgs/s may drop this much (default 10) */
    double max_latency_rise_pct;    /* p50 and p99 may rise this much (default 20) */
    bool allow_loss;                /* lost/duplicates in NEW are not a regression */
};

enum compare_verdict {
    COMPARE_INFO,       /* "-": informational row, or a value one side lacks */
    COMPARE_BETTER,
    COMPARE_WORSE,      /* a regression */
    COMPARE_NOISE,      /* "within noise": inside the limit or the base's spread */
    COMPARE_ALLOWED,    /* worse, but accepted (--allow-loss) */
};

struct compare_row {
    bool present;               /* both results have the metric */
    double base, new_value;     /* the values compared (medians; worst run for lost/duplicates) */
    double base_min, base_max;  /* the base's spread (equal to base for a single run) */
    double delta;               /* new_value - base */
    bool pct_valid;             /* delta_pct is defined (base not 0, result finite) */
    double delta_pct;           /* delta / base * 100 */
    enum compare_verdict verdict;
    char why[160];              /* for COMPARE_WORSE: "subscribe msgs/s dropped 20.0% (limit 10%)" */
};

struct compare_report {
    struct compare_row rows[METRICS_NFIELDS];   /* in metrics_fields order */
    int regressions;                            /* rows with COMPARE_WORSE */
};

/* Apply the rules to one metric pair (see docs/ci.md): throughput rows regress
 * when the drop exceeds the limit, p50/p99 when the rise exceeds it; a value
 * inside the base's [min, max] (base with repeats) is within noise; lost or
 * duplicates above 0 and above the base regress unless allow_loss; other rows
 * are informational. Fills rep (no allocation, never fails). */
void compare_evaluate(const struct metrics_spread *base, const struct metrics_spread *nw,
                      const struct compare_opts *o, struct compare_report *rep);

struct run_result;

/* One line of res's scenario, as compare prints it: mode, QoS, size, count
 * or duration, clients ("both, QoS 1, 64-byte payloads, 1000 messages, ..."). */
void compare_scenario_line(const struct run_result *res, char *buf, size_t len);

/* "better", "worse", "within noise", "allowed" or "-". */
const char *compare_verdict_name(enum compare_verdict v);

/* The `compare` command; argv[0] is "compare". Prints the table on stdout,
 * one "regression: ..." line per regressed metric and any error on stderr.
 * Returns the exit code: COMPARE_EXIT_OK, COMPARE_EXIT_REGRESSION, or
 * COMPARE_EXIT_UNUSABLE for bad usage, unusable input or different scenarios
 * (without --force), and when --json OUT cannot be written. */
int compare_main(int argc, char **argv);

#endif
