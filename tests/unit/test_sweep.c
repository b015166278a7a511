/* Unit tests for src/sweep.c: the objective and rate parsers, the verdict on
 * one step, the search against a simulated broker, and the "sweep" section
 * written and read back. */
#include "sweep.h"
#include "test.h"

#include <math.h>
#include <string.h>

#include "sample.h"

static void test_objective(void)
{
    struct sweep_objective o;
    char err[256];
    CHECK("slo: a full objective parses",
          sweep_parse_objective("p99<10ms, p99.9<=50ms,loss=0,dup=0,rate>=95%", &o, err, sizeof(err)) == 0 &&
              o.n == 5 && o.terms[0].what == SWEEP_LATENCY && o.terms[0].pct == 99 && o.terms[0].limit == 10000 &&
              o.terms[0].strict && o.terms[1].pct == 99.9 && !o.terms[1].strict && o.terms[2].what == SWEEP_LOSS &&
              o.terms[2].limit == 0 && o.terms[4].what == SWEEP_RATE && fabs(o.terms[4].limit - 0.95) < 1e-12 &&
              !strcmp(o.text, "p99<10ms,p99.9<=50ms,loss=0,dup=0,rate>=95%"));
    CHECK("slo: p999, max and a loss percentage",
          sweep_parse_objective("p999<2ms,max<1s,loss<=0.1%", &o, err, sizeof(err)) == 0 && o.terms[0].pct == 99.9 &&
              o.terms[1].pct == 100 && o.terms[2].fraction && fabs(o.terms[2].limit - 0.001) < 1e-12);
    static const struct { const char *in, *want; } bad[] = {
        { "", "expected terms" },
        { "p99", "no comparison" },
        { "p99>10ms", "takes < or <=" },
        { "p100<10ms", "percentile" },
        { "p0<10ms", "percentile" },
        { "px<10ms", "percentile" },
        { "p99<10", "" },   /* a bare number is seconds: accepted, checked below */
        { "p99<10xs", "duration" },
        { "p99<0ms", "duration" },
        { "loss>0", "takes =" },
        { "loss<0", "nothing is below 0" },
        { "loss=-1", "count" },
        { "loss=101%", "count" },
        { "rate<=95%", "rate takes" },
        { "rate>=95", "percentage" },
        { "rate>=0%", "percentage" },
        { "rate>=150%", "percentage" },
        { "throughput>5", "unknown term" },
        { "p99<10ms,", "empty term" },
        { "p99<10ms,,loss=0", "empty term" },
        { "p99<<10ms", "" },
        { "p99<=<10ms", "bad comparison" },
        { "a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1", "" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char label[128];
        int rc = sweep_parse_objective(bad[i].in, &o, err, sizeof(err));
        snprintf(label, sizeof(label), "slo: '%s' is %s", bad[i].in, !strcmp(bad[i].in, "p99<10") ? "accepted" : "refused");
        if (!strcmp(bad[i].in, "p99<10")) {
            CHECK(label, rc == 0 && o.terms[0].limit == 10e6);
            continue;
        }
        CHECKF(label, rc == -1 && strstr(err, bad[i].want) && !strncmp(err, "--slo: ", 7) && !strchr(err, '\n'),
               "rc %d, '%s'", rc, err);
    }
}

static void test_rates(void)
{
    double r[SWEEP_MAX_RATES];
    char err[256];
    CHECK("rates: 10k,20k,50k", sweep_parse_rates("10k,20k,50k", r, SWEEP_MAX_RATES, err, sizeof(err)) == 3 &&
                                    r[0] == 10000 && r[1] == 20000 && r[2] == 50000);
    CHECK("rates: one rate", sweep_parse_rates("500", r, SWEEP_MAX_RATES, err, sizeof(err)) == 1 && r[0] == 500);
    static const struct { const char *in, *want; } bad[] = {
        { "", "expected rates" }, { "10k,", "expected rates" }, { ",10k", "expected rates" },
        { "10k,5k", "must rise" }, { "10k,10k", "must rise" }, { "0,10k", "above 0" }, { "ten", "expected rates" },
        { "-5", "expected rates" }, { "2000M", "at most" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char label[128];
        snprintf(label, sizeof(label), "rates: '%s' is refused", bad[i].in);
        int rc = sweep_parse_rates(bad[i].in, r, SWEEP_MAX_RATES, err, sizeof(err));
        CHECKF(label, rc == -1 && strstr(err, bad[i].want) && !strncmp(err, "--rates: ", 9), "rc %d, '%s'", rc, err);
    }
    CHECK("rates: more than the room is refused", sweep_parse_rates("1,2,3", r, 2, err, sizeof(err)) == -1 &&
                                                      strstr(err, "at most 2"));
    CHECK("geometric: 1k to 8k in 4 steps doubles",
          sweep_geometric(1000, 8000, 4, r, SWEEP_MAX_RATES, err, sizeof(err)) == 4 && r[0] == 1000 && r[1] == 2000 &&
              r[2] == 4000 && r[3] == 8000);
    CHECK("geometric: --to below --from is refused",
          sweep_geometric(1000, 500, 4, r, SWEEP_MAX_RATES, err, sizeof(err)) == -1 && strstr(err, "--to"));
    CHECK("geometric: too many steps for the range is refused",
          sweep_geometric(1, 3, 10, r, SWEEP_MAX_RATES, err, sizeof(err)) == -1 && strstr(err, "--steps"));
    CHECK("geometric: one step is refused", sweep_geometric(1, 3, 1, r, SWEEP_MAX_RATES, err, sizeof(err)) == -1);
}

/* A simulated broker: latency 1 ms up to knee msgs/s, 50 ms above; the
 * generator keeps up to tool msgs/s (0: always). */
struct fake {
    double knee, tool;
    int calls;
    double asked[SWEEP_MAX_STEPS];
};

static int fake_step(void *ctx, const struct mb_config *cfg, struct run_result *r, bool *tool_limited)
{
    struct fake *f = ctx;
    struct mb_config dummy;
    sample_result(r, &dummy, MB_MODE_BOTH);
    r->cfg = cfg;
    r->target_msgs_per_s = cfg->rate;
    f->asked[f->calls++] = cfg->rate;
    r->status = RESULT_OK;
    r->lost = r->in_flight = r->duplicates = 0;
    stats_init(&r->total);
    bool tool = f->tool > 0 && cfg->rate > f->tool;
    double got = tool ? f->tool : cfg->rate;
    r->total.pub_done = r->total.sub_unique = (uint64_t)got;
    r->expected = (uint64_t)got;
    r->expected_known = true;
    r->pub_duration_s = r->sub_duration_s = 1;
    for (int i = 0; i < 100; i++) hist_record(&r->total.lat, cfg->rate > f->knee ? 50000000 : 1000000);
    hist_record(&r->total.service_lat, 500000);
    *tool_limited = tool;
    return 0;
}

static size_t search(struct fake *f, const char *rates, bool find_max, double res, struct sweep *s,
                     struct run_result *runs, struct sweep_step *steps, struct mb_config *base, struct mb_config *cfgs)
{
    char err[256];
    struct run_result b;
    memset(s, 0, sizeof(*s));
    sample_result(&b, base, MB_MODE_BOTH);
    result_free(&b);
    base->rate = 0;
    sweep_parse_objective("p99<10ms,loss=0,rate>=95%", &s->obj, err, sizeof(err));
    s->nrates = (size_t)sweep_parse_rates(rates, s->rates, SWEEP_MAX_RATES, err, sizeof(err));
    s->find_max = find_max;
    s->resolution = res;
    s->step_s = 1;
    s->warmup_s = 0.5;
    return sweep_execute(s, base, cfgs, runs, steps, fake_step, f, NULL);
}

static void free_runs(struct run_result *runs, size_t n)
{
    for (size_t i = 0; i < n; i++) result_free(&runs[i]);
}

static void test_search(void)
{
    static struct sweep s;
    static struct run_result runs[SWEEP_MAX_STEPS];
    static struct sweep_step steps[SWEEP_MAX_STEPS];
    static struct mb_config base, cfgs[SWEEP_MAX_STEPS];
    struct sweep_knee k;
    char v[600];

    struct fake f = { .knee = 3000 };
    size_t n = search(&f, "1k,2k,4k,8k,16k", false, 0.05, &s, runs, steps, &base, cfgs);
    sweep_knee(steps, n, &k);
    CHECKF("search: steps up and stops at the first failure, never past it",
           n == 3 && f.asked[2] == 4000 && k.pass == 1 && k.fail == 2 && !k.tool_limited, "n %zu", n);
    CHECK("search: each step has the step's rate, duration and warm-up, no count",
          cfgs[1].rate == 2000 && cfgs[1].duration_ns == 1000000000ull && cfgs[1].warmup_ns == 500000000ull &&
              cfgs[1].count == 0 && cfgs[1].run_id == base.run_id + 1);
    sweep_verdict(&s, steps, n, v, sizeof(v));
    CHECKF("search: the verdict names the knee and why", strstr(v, "holds at 2000") && strstr(v, "fails at 4000") &&
           strstr(v, "p99"), "'%s'", v);
    free_runs(runs, n);

    memset(&f, 0, sizeof(f));
    f.knee = 3000;
    n = search(&f, "1k,2k,4k,8k,16k", true, 0.05, &s, runs, steps, &base, cfgs);
    sweep_knee(steps, n, &k);
    double lo = steps[k.pass].target, hi = steps[k.fail].target;
    CHECKF("search: --find-max bisects to the resolution around the knee",
           lo <= 3000 && hi > 3000 && hi / lo - 1 <= 0.05 && n <= 3 + 6, "pass %.0f fail %.0f in %zu steps", lo, hi, n);
    bool above = false;
    for (size_t i = 3; i < n; i++) above |= f.asked[i] >= 4000 || f.asked[i] <= 2000;
    CHECK("search: bisection stays between the knee's two steps", !above);
    free_runs(runs, n);

    memset(&f, 0, sizeof(f));
    f.knee = 1e9;
    f.tool = 5000;
    n = search(&f, "1k,2k,4k,8k,16k", true, 0.05, &s, runs, steps, &base, cfgs);
    sweep_knee(steps, n, &k);
    sweep_verdict(&s, steps, n, v, sizeof(v));
    CHECKF("search: past mqttbench's own limit the search stops and says so, without bisecting",
           n == 4 && k.tool_limited && k.pass == 2 && strstr(v, "mqttbench itself could not keep up") &&
           strstr(v, "at least 4000"), "n %zu, '%s'", n, v);
    free_runs(runs, n);

    memset(&f, 0, sizeof(f));
    f.knee = 500;
    n = search(&f, "1k,2k", true, 0.05, &s, runs, steps, &base, cfgs);
    sweep_verdict(&s, steps, n, v, sizeof(v));
    CHECKF("search: a failing first step ends it", n == 1 && strstr(v, "fails at the lowest rate"), "n %zu '%s'", n, v);
    free_runs(runs, n);

    memset(&f, 0, sizeof(f));
    f.knee = 1e9;
    n = search(&f, "1k,2k", true, 0.05, &s, runs, steps, &base, cfgs);
    sweep_verdict(&s, steps, n, v, sizeof(v));
    CHECKF("search: all passing says the knee is higher", n == 2 && strstr(v, "held at every rate"), "'%s'", v);
    free_runs(runs, n);
}

static void test_roundtrip(void)
{
    static struct sweep s;
    static struct run_result runs[SWEEP_MAX_STEPS];
    static struct sweep_step steps[SWEEP_MAX_STEPS];
    static struct mb_config base, cfgs[SWEEP_MAX_STEPS];
    struct fake f = { .knee = 3000 };
    size_t n = search(&f, "1k,2k,4k", true, 0.05, &s, runs, steps, &base, cfgs);
    struct sweep_knee k;
    sweep_knee(steps, n, &k);
    CHECK("json: the simulated sweep has a knee", k.pass >= 0);
    if (k.pass < 0) return;
    struct run_result top = runs[k.pass];
    top.runs = runs;
    top.nruns = n;
    top.sweep = &s;
    top.store = NULL;
    char *text = sample_text(&top);
    struct run_result back;
    char err[600] = "";
    int rc = text ? sample_read(text, &back, err, sizeof(err)) : -9;
    CHECKF("json: a sweep result reads back", rc == 0 && back.sweep && back.nruns == n, "rc %d: %s", rc, err);
    char *again = rc == 0 ? sample_text(&back) : NULL;
    CHECK("json: and writes the same bytes", again && text && !strcmp(text, again));
    sample_show_difference(text, again);
    CHECKF("json: the knee rate for compare", rc == 0 && fabs(sweep_knee_rate(&back) - steps[k.pass].target) < 1e-9,
           "%f", rc == 0 ? sweep_knee_rate(&back) : -1);
    CHECK("json: the objective, its terms and the knee are written",
          text && strstr(text, "\"objective\":\t\"p99<10ms,loss=0,rate>=95%\"") &&
              strstr(text, "\"max_passing_msgs_per_s\"") && strstr(text, "\"first_failing_msgs_per_s\""));
    free(again);
    if (rc == 0) result_free(&back);
    /* a derived step value changed in the file: the self-check refuses it */
    char *p = text ? strstr(text, "\"pass\":\ttrue") : NULL;
    if (p) {
        memcpy(p, "\"pass\":false", 12);
        rc = sample_read(text, &back, err, sizeof(err));
        CHECKF("json: a derived step value that disagrees is refused", rc == -1 && strstr(err, "sweep.steps"),
               "rc %d: %s", rc, err);
        if (rc == 0) result_free(&back);
    }
    free(text);
    free_runs(runs, n);
}

/* A sweep result of the simulated broker with this knee (freed by the caller). */
static void sweep_result(double knee, struct run_result *top, struct sweep *s, struct run_result *runs,
                         struct mb_config *base, struct mb_config *cfgs)
{
    static struct sweep_step steps[SWEEP_MAX_STEPS];
    struct fake f = { .knee = knee };
    size_t n = search(&f, "1k,2k,4k,8k", true, 0.05, s, runs, steps, base, cfgs);
    struct sweep_knee k;
    sweep_knee(steps, n, &k);
    *top = runs[k.pass >= 0 ? k.pass : 0];
    top->runs = runs;
    top->nruns = n;
    top->sweep = s;
}

static void test_compare(void)
{
    static struct sweep sa, sb;
    static struct run_result ra[SWEEP_MAX_STEPS], rb[SWEEP_MAX_STEPS];
    static struct mb_config ba, bb, ca[SWEEP_MAX_STEPS], cb[SWEEP_MAX_STEPS];
    struct run_result a, b;
    struct sweep_verdict v;
    char why[400] = "";
    FILE *null = fopen("/dev/null", "w");
    sweep_result(5000, &a, &sa, ra, &ba, ca);
    sweep_result(5100, &b, &sb, rb, &bb, cb);
    CHECKF("compare: a knee within the base's bracket is OK",
           sweep_compare(&a, &b, 10, false, null, &v, why, sizeof(why)) == 0, "%s", why);
    CHECKF("compare: the same sweep is OK", sweep_compare(&a, &a, 10, false, null, &v, why, sizeof(why)) == 0, "%s",
           why);
    CHECKF("compare: the verdict holds the knees", v.judged && v.base_knee == v.new_knee && v.base_knee >= 4000 &&
                                                       v.base_knee < 5000 && v.drop_pct == 0 && !v.new_tool_limited,
           "%d %g %g %g", v.judged, v.base_knee, v.new_knee, v.drop_pct);
    for (size_t i = 0; i < b.nruns; i++) result_free(&rb[i]);
    sweep_result(1500, &b, &sb, rb, &bb, cb);
    int rc = sweep_compare(&a, &b, 10, false, null, &v, why, sizeof(why));
    CHECKF("compare: a knee far below the base's is a regression", rc == 1 && strstr(why, "knee dropped"),
           "rc %d: %s", rc, why);
    CHECKF("compare: the regression's verdict holds both brackets",
           v.judged && v.new_knee < v.base_knee && v.new_fail <= v.base_knee && v.drop_pct > 10, "%g %g %g %g",
           v.base_knee, v.new_knee, v.new_fail, v.drop_pct);
    char *md = NULL;
    size_t mdlen = 0;
    FILE *mf = open_memstream(&md, &mdlen);
    rc = sweep_compare(&a, &b, 10, true, mf, &v, why, sizeof(why));
    fclose(mf);
    CHECKF("compare: --format markdown gives a table and the verdict in bold",
           rc == 1 && md && strstr(md, "| sweep | knee (msgs/s) | first failing (msgs/s) |") &&
               strstr(md, "| base | ") && strstr(md, "**verdict: REGRESSION**"), "%s", md ? md : "");
    free(md);
    CHECKF("compare: the other way round is OK", sweep_compare(&b, &a, 10, false, null, &v, why, sizeof(why)) == 0,
           "%s", why);
    for (size_t i = 0; i < b.nruns; i++) result_free(&rb[i]);
    for (size_t i = 0; i < a.nruns; i++) result_free(&ra[i]);
    fclose(null);
}

int main(void)
{
    test_objective();
    test_rates();
    test_search();
    test_roundtrip();
    test_compare();
    return test_failures ? 1 : 0;
}
