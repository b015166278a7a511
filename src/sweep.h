/* sweep: capacity search. `mqttbench sweep` runs `both` at rising paced
 * rates (each step a full run on fresh connections, with its own warm-up),
 * judges every step against an objective (--slo 'p99<10ms,loss=0'), and,
 * with --find-max, bisects between the highest passing and the lowest
 * failing rate to --resolution. The result is the knee step's result with a
 * "sweep" section and every step in "runs" (docs/results.md, docs/sweep.md).
 *
 * Everything here is pure (no libmosquitto): the objective and rate list
 * parsers, the verdict on one step, the next rate of the search, the knee,
 * and the "sweep" section's JSON, written and read back. The loop that runs
 * the steps (sweep_execute) takes the step runner as a callback, so the
 * search is tested without a broker. */
#ifndef MB_SWEEP_H
#define MB_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "result.h"

#define SWEEP_MAX_TERMS 8
#define SWEEP_MAX_RATES 32    /* --rates, --steps */
#define SWEEP_MAX_STEPS 64    /* steps of one sweep, search included */
#define SWEEP_DEFAULT_SLO "loss=0,dup=0,rate>=95%"

enum sweep_what {
    SWEEP_LATENCY,   /* a percentile of the corrected latency (from the intended send time) */
    SWEEP_LOSS,      /* messages lost or never delivered (lost + in_flight) */
    SWEEP_DUP,       /* duplicates */
    SWEEP_RATE,      /* published msgs/s as a fraction of the target */
};

/* One term of an objective: value OP limit. */
struct sweep_term {
    enum sweep_what what;
    double pct;          /* SWEEP_LATENCY: the percentile (99, 99.9); 100 = max */
    double limit;        /* µs (latency), messages or a fraction (loss, dup), a fraction (rate) */
    bool fraction;       /* loss, dup: limit is a fraction of the expected messages ("0.1%") */
    bool strict;         /* < or >, else <=, >= or = */
};

struct sweep_objective {
    struct sweep_term terms[SWEEP_MAX_TERMS];
    size_t n;
    char text[256];      /* as given, normalised: no spaces */
};

/* Parse s ("p99<10ms,p99.9<=50ms,loss=0,dup=0,rate>=95%") into o. Terms:
 * pN or max with < or <= and a duration; loss and dup with =, < or <= and a
 * count or a percentage; rate with >= or > and a percentage of the target.
 * 0, or -1 with one line in err naming the term. */
int sweep_parse_objective(const char *s, struct sweep_objective *o, char *err, size_t errlen);

/* --rates "10k,20k,50k": strictly rising rates above 0, at most
 * SWEEP_MAX_RATES. Returns how many, or -1 with one line in err. */
int sweep_parse_rates(const char *s, double *rates, size_t max, char *err, size_t errlen);

/* --from F --to T --steps N: N rates from F to T, geometric (each the last
 * times (T/F)^(1/(N-1))), rounded to whole msgs/s. N >= 2, 0 < F < T.
 * Returns N, or -1 with one line in err. */
int sweep_geometric(double from, double to, long steps, double *rates, size_t max, char *err, size_t errlen);

/* What the search and the result know of one step; all of it but
 * tool_limited is derived from the step's run. */
struct sweep_step {
    double target;               /* msgs/s asked for (the run's --rate) */
    double published, delivered; /* msgs/s achieved: published, and unique messages received */
    double p50_us, p99_us, p999_us, max_us;   /* corrected latency (from the intended send time) */
    double service_p99_us;       /* from the actual send call */
    double loss, duplicates;     /* lost + in_flight; duplicates */
    double cpu_s;                /* mqttbench's CPU time (user + system) in this step */
    bool tool_limited;           /* mqttbench, not the broker, set the pace (report_bottleneck) */
    bool pass;
    char why[160];               /* the first term it broke, or the run's failure; "" when it passed */
};

/* Fill st from run r (r->cfg->rate is the target) and judge it against o. */
void sweep_judge(const struct sweep_objective *o, const struct run_result *r, bool tool_limited,
                 struct sweep_step *st);

/* The "sweep" section of a result: what was asked, and each step's
 * tool_limited mark (the rest comes from the runs). */
struct sweep {
    struct sweep_objective obj;
    double rates[SWEEP_MAX_RATES];   /* the planned steps, rising */
    size_t nrates;
    bool find_max;
    double resolution;               /* --find-max stops when first failing / highest passing - 1 <= this */
    double step_s, warmup_s;
    bool tool_limited[SWEEP_MAX_STEPS];   /* per run, in the order run */
};

/* The knee of n judged steps: the lowest failing target, the highest
 * passing target below it, and whether the failure was mqttbench's own. */
struct sweep_knee {
    long pass;          /* index of the highest passing step below the first failure; -1: none */
    long fail;          /* index of the lowest failing step; -1: none */
    bool tool_limited;  /* the failing step (or, with none failing, the last) was mqttbench's limit */
};
void sweep_knee(const struct sweep_step *steps, size_t n, struct sweep_knee *k);

/* The next target after the n judged steps of s, into *next: 1, or 0 when
 * the search is over. Steps up the planned rates until one fails; stops at
 * a failure mqttbench itself caused, or a run that failed; with find_max,
 * then bisects (geometric mean) between the knee's two steps until they are
 * within the resolution. Never returns a rate above a failing one. */
int sweep_next(const struct sweep *s, const struct sweep_step *steps, size_t n, double *next);

/* One step: run cfg (its rate set to the step's) and fill r (result_init'd
 * by the caller) and *tool_limited. Returns 0, or -1 to stop the sweep
 * (interrupted). */
typedef int (*sweep_step_fn)(void *ctx, const struct mb_config *cfg, struct run_result *r, bool *tool_limited);

/* Run the search: steps into runs (room for SWEEP_MAX_STEPS, each cfgs[i]
 * a copy of base with the step's rate, --step-duration, no count), judged
 * into steps. Progress lines on log. Returns the number of steps run. */
size_t sweep_execute(struct sweep *s, const struct mb_config *base, struct mb_config *cfgs, struct run_result *runs,
                     struct sweep_step *steps, sweep_step_fn fn, void *ctx, FILE *log);

/* The knee and how the search ended, in one sentence, into buf. */
void sweep_verdict(const struct sweep *s, const struct sweep_step *steps, size_t n, char *buf, size_t len);

/* The summary table and the verdict. */
void sweep_print(FILE *f, const struct sweep *s, const struct run_result *runs, size_t n);

struct cJSON;
/* The "sweep" section of r (r->sweep, r->runs). NULL when out of memory. */
struct cJSON *sweep_to_json(const struct run_result *r);

/* Read the stored parts of the "sweep" section x into s (its derived keys are
 * checked by result_from_json's self-check). 0, or -1 with err. */
int sweep_from_json(const struct cJSON *x, size_t nruns, struct sweep *s, char *err, size_t errlen);

/* The judged steps of the sweep result r (r->sweep, r->runs) into steps
 * (room for SWEEP_MAX_STEPS), how many into *n, and their knee into *k. */
void sweep_steps_of(const struct run_result *r, struct sweep_step *steps, size_t *n, struct sweep_knee *k);

/* The knee step's target, and the highest passing one, of r (NaN when r is
 * no sweep or nothing passed): what compare gates on. */
double sweep_knee_rate(const struct run_result *r);

/* What sweep_compare compared: each side's knee (highest passing target,
 * msgs/s; 0 when none passed) and first failing target (INFINITY when none
 * failed), and the knee's drop in percent of the base's. */
struct sweep_verdict {
    bool judged;                /* the knees were compared (else nothing below is set) */
    double base_knee, base_fail, new_knee, new_fail, drop_pct;
    bool new_tool_limited;      /* mqttbench set the pace at nw's knee */
};

/* compare on two sweeps: the knee (highest passing rate) of nw against
 * base's. The base's knee is known only within its bracket (highest passing
 * to lowest failing); nw regresses when its knee is below base's by more than
 * max_drop_pct and its own first failing rate is at or below base's knee (the
 * brackets do not overlap: outside the base's noise). Prints the comparison
 * on f (as a Markdown table when markdown) and fills v; returns 0 (OK), 1
 * (regression, why filled) or 2 (not comparable: the base has no knee or
 * mqttbench set its pace; why filled). */
int sweep_compare(const struct run_result *base, const struct run_result *nw, double max_drop_pct, bool markdown,
                  FILE *f, struct sweep_verdict *v, char *why, size_t len);

#endif
