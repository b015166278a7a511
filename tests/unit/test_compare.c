/* compare_evaluate: the verdict rules CI relies on (docs/ci.md). */
#include <string.h>

#include "compare.h"
#include "metrics.h"
#include "test.h"

enum { PUB, SUB, P50, P90, P99, P999, PMAX, LOST, DUPS, CPU };

static struct metrics_spread single(double pub, double sub, double p50, double p99, double lost)
{
    struct metrics_spread s;
    memset(&s, 0, sizeof(s));
    struct metrics *m = &s.median;
    m->has_pub = m->has_sub = true;
    m->pub_msgs_per_s = pub;
    m->sub_msgs_per_s = sub;
    m->p50_us = p50;
    m->p90_us = p99 * 0.9;
    m->p99_us = p99;
    m->p999_us = p99 * 2;
    m->max_us = p99 * 3;
    m->lost = lost;
    m->cpu_s = 1;
    s.min = s.max = *m;
    s.runs = 1;
    return s;
}

static const struct compare_opts defaults = { 10, 20, false };

static struct compare_report eval(const struct metrics_spread *b, const struct metrics_spread *n,
                                  const struct compare_opts *o)
{
    struct compare_report r;
    compare_evaluate(b, n, o, &r);
    return r;
}

int main(void)
{
    struct metrics_spread base = single(1000, 2000, 100, 400, 0), nw;
    struct compare_report r;

    r = eval(&base, &base, &defaults);
    CHECK("identical: no regression", r.regressions == 0);
    CHECK("identical: gated rows within noise", r.rows[PUB].verdict == COMPARE_NOISE &&
                                                    r.rows[P99].verdict == COMPARE_NOISE &&
                                                    r.rows[LOST].verdict == COMPARE_NOISE);
    CHECK("identical: informational rows", r.rows[P90].verdict == COMPARE_INFO && r.rows[P999].verdict == COMPARE_INFO &&
                                               r.rows[PMAX].verdict == COMPARE_INFO && r.rows[CPU].verdict == COMPARE_INFO);

    nw = single(1000, 1600, 100, 400, 0);
    r = eval(&base, &nw, &defaults);
    CHECK("throughput -20%: regression", r.regressions == 1 && r.rows[SUB].verdict == COMPARE_WORSE);
    CHECKF("throughput -20%: message", !strcmp(r.rows[SUB].why, "subscribe msgs/s dropped 20.0% (limit 10%)"),
           "'%s'", r.rows[SUB].why);
    CHECK("throughput -20%: delta", r.rows[SUB].delta == -400 && r.rows[SUB].pct_valid && r.rows[SUB].delta_pct == -20);

    nw = single(900, 2000, 100, 400, 0);
    r = eval(&base, &nw, &defaults);
    CHECK("throughput -10% exactly: within the limit", r.regressions == 0 && r.rows[PUB].verdict == COMPARE_NOISE);
    nw = single(899, 2000, 100, 400, 0);
    r = eval(&base, &nw, &defaults);
    CHECK("throughput -10.1%: regression", r.regressions == 1 && r.rows[PUB].verdict == COMPARE_WORSE);
    nw = single(1200, 2000, 100, 400, 0);
    r = eval(&base, &nw, &defaults);
    CHECK("throughput +20%: better", r.regressions == 0 && r.rows[PUB].verdict == COMPARE_BETTER);
    struct compare_opts loose = { 25, 20, false };
    nw = single(1000, 1600, 100, 400, 0);
    r = eval(&base, &nw, &loose);
    CHECK("throughput -20% with a 25% limit: within noise", r.regressions == 0 && r.rows[SUB].verdict == COMPARE_NOISE);

    nw = single(1000, 2000, 100, 600, 0);
    r = eval(&base, &nw, &defaults);
    CHECK("p99 +50%: regression", r.regressions == 1 && r.rows[P99].verdict == COMPARE_WORSE);
    CHECKF("p99 +50%: message", !strcmp(r.rows[P99].why, "latency p99 rose 50.0% (limit 20%)"), "'%s'", r.rows[P99].why);
    CHECK("p99 +50%: p90/p99.9/max only informational", r.rows[P90].verdict == COMPARE_INFO &&
                                                           r.rows[P999].verdict == COMPARE_INFO);
    nw = single(1000, 2000, 130, 400, 0);
    r = eval(&base, &nw, &defaults);
    CHECK("p50 +30%: regression", r.regressions == 1 && r.rows[P50].verdict == COMPARE_WORSE);
    nw = single(1000, 2000, 50, 200, 0);
    r = eval(&base, &nw, &defaults);
    CHECK("latency halved: better", r.regressions == 0 && r.rows[P50].verdict == COMPARE_BETTER &&
                                        r.rows[P99].verdict == COMPARE_BETTER);

    nw = single(1000, 2000, 100, 400, 7);
    r = eval(&base, &nw, &defaults);
    CHECK("loss in NEW: regression", r.regressions == 1 && r.rows[LOST].verdict == COMPARE_WORSE);
    CHECKF("loss in NEW: message", strstr(r.rows[LOST].why, "lost: 7 messages in NEW (base 0)") != NULL, "'%s'",
           r.rows[LOST].why);
    struct compare_opts allow = { 10, 20, true };
    r = eval(&base, &nw, &allow);
    CHECK("loss in NEW with --allow-loss: allowed", r.regressions == 0 && r.rows[LOST].verdict == COMPARE_ALLOWED);
    struct metrics_spread lossy = single(1000, 2000, 100, 400, 7);
    r = eval(&lossy, &nw, &defaults);
    CHECK("loss no more than base: not a regression", r.regressions == 0 && r.rows[LOST].verdict == COMPARE_NOISE);
    r = eval(&lossy, &base, &defaults);
    CHECK("loss gone: better", r.rows[LOST].verdict == COMPARE_BETTER);
    nw = single(1000, 2000, 100, 400, 0);
    nw.median.duplicates = nw.max.duplicates = 2;
    r = eval(&base, &nw, &defaults);
    CHECK("duplicates in NEW: regression", r.regressions == 1 && r.rows[DUPS].verdict == COMPARE_WORSE);

    /* Base with repeats: inside [min, max] is noise, however far from the median. */
    struct metrics_spread rb = single(1000, 2000, 100, 400, 0);
    rb.runs = 5;
    rb.min.sub_msgs_per_s = 1500;
    rb.max.sub_msgs_per_s = 2100;
    rb.min.p99_us = 300;
    rb.max.p99_us = 700;
    nw = single(1000, 1600, 100, 650, 0);
    r = eval(&rb, &nw, &defaults);
    CHECK("repeat: -20% inside the base spread is noise", r.rows[SUB].verdict == COMPARE_NOISE);
    CHECK("repeat: +62% inside the base spread is noise", r.rows[P99].verdict == COMPARE_NOISE && r.regressions == 0);
    CHECK("repeat: the row carries the spread", r.rows[SUB].base_min == 1500 && r.rows[SUB].base_max == 2100);
    nw = single(1000, 1400, 100, 400, 0);
    r = eval(&rb, &nw, &defaults);
    CHECK("repeat: below the spread and beyond the limit regresses", r.regressions == 1 &&
                                                                        r.rows[SUB].verdict == COMPARE_WORSE);
    /* both with repeats: medians compared; loss judged on the worst run */
    struct metrics_spread rn = single(1000, 1950, 100, 400, 0);
    rn.runs = 3;
    rn.max.lost = 4;
    r = eval(&rb, &rn, &defaults);
    CHECK("repeat both: medians compared", r.rows[SUB].new_value == 1950 && r.rows[SUB].base == 2000);
    CHECK("repeat both: worst run's loss regresses", r.rows[LOST].verdict == COMPARE_WORSE && r.rows[LOST].new_value == 4);

    /* a side missing, and a zero base */
    nw = single(1000, 2000, 100, 400, 0);
    nw.median.has_sub = false;
    r = eval(&base, &nw, &defaults);
    CHECK("missing side: rows not present", !r.rows[SUB].present && r.rows[SUB].verdict == COMPARE_INFO &&
                                                r.rows[PUB].present && r.regressions == 0);
    struct metrics_spread zero = single(0, 2000, 100, 400, 0);
    nw = single(0, 2000, 100, 400, 0);
    r = eval(&zero, &nw, &defaults);
    CHECK("zero base: no percentage, no verdict", !r.rows[PUB].pct_valid && r.rows[PUB].verdict == COMPARE_INFO);

    CHECK("verdict names", !strcmp(compare_verdict_name(COMPARE_NOISE), "within noise") &&
                               !strcmp(compare_verdict_name(COMPARE_INFO), "-") &&
                               !strcmp(compare_verdict_name(COMPARE_WORSE), "worse"));
    return test_failures ? 1 : 0;
}
