/* html: the report's words and tables from typed results (the charts are
 * checked in a browser by tests/integration/report.sh). */
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "metrics.h"
#include "sample.h"
#include "sweep.h"
#include "test.h"

static char *page(const struct html_run *runs, size_t n, int *rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    *rc = html_write(f, runs, n);
    fclose(f);
    return text;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

/* A sweep of three steps (1k passes, 2k passes, 4k fails on p99, the last
 * marked as mqttbench's own limit) with the 2k step on top. */
static void sweep_sample(struct run_result *top, struct run_result *steps, struct mb_config *cfgs, struct sweep *s)
{
    static const double rate[] = { 1000, 2000, 4000 }, p99_us[] = { 2000, 5000, 40000 };
    char err[128];
    memset(s, 0, sizeof(*s));
    sweep_parse_objective("p99<10ms,loss=0", &s->obj, err, sizeof(err));
    s->nrates = 3;
    s->step_s = 2;
    s->warmup_s = 0.5;
    for (size_t i = 0; i < 3; i++) {
        sample_result(&steps[i], &cfgs[i], MB_MODE_BOTH);
        cfgs[i].rate = s->rates[i] = rate[i];
        steps[i].lost = steps[i].in_flight = 0;
        stats_init(&steps[i].total);
        steps[i].total.pub_done = steps[i].total.sub_unique = (uint64_t)(rate[i] * 0.99);
        steps[i].pub_duration_s = steps[i].sub_duration_s = 1;
        for (int k = 0; k < 100; k++) hist_record(&steps[i].total.lat, (uint64_t)(p99_us[i] * 1e3 * (k + 1) / 100));
        hist_record(&steps[i].total.service_lat, 300000);
    }
    s->tool_limited[2] = true;
    *top = steps[1];
    top->runs = steps;
    top->nruns = 3;
    top->sweep = s;
}

int main(void)
{
    static struct run_result a, b, p;
    static struct mb_config ca, cb, cp;
    sample_result(&a, &ca, MB_MODE_BOTH);
    sample_result(&b, &cb, MB_MODE_BOTH);
    sample_result(&p, &cp, MB_MODE_PUB);
    result_add_warning(&a, "a warning with </script><img src=x> in it & more");
    b.total.sub_unique = 29995;     /* half the rate of a */
    struct html_run runs[] = { { "a.json", &a }, { "b<x>.json", &b }, { "pub.json", &p } };

    int rc;
    char *t = page(runs, 1, &rc);
    CHECK("one run: written", rc == 0 && t);
    CHECK("one run: a complete document", !strncmp(t, "<!DOCTYPE html>", 15) && strstr(t, "</html>\n"));
    CHECK("one run: the title is the scenario", strstr(t, "<title>mqttbench report: both, QoS 1, 64-byte payloads") != NULL);
    CHECK("one run: data, style and script inline", count(t, "<style>") == 1 && count(t, "<script>") == 1 &&
                                                        count(t, "id=\"mqttbench-data\"") == 1);
    CHECK("one run: nothing to fetch", !strstr(t, "src=\"") && !strstr(t, "href=") && !strstr(t, "<link"));
    /* The summary's NOTE, its continuation lines joined; the warning in words. */
    CHECKF("one run: the summary's note in words",
           strstr(t, "<li class=\"note\"><b>note</b> 0.0% of the messages left a whole slot late (the latest by "
                     "1.23ms), yet the rate held at 8000 msgs/s: the broker kept up on average; the late slots are "
                     "jitter (mqttbench&#39;s scheduling, the OS or brief waits on the broker), which latency from "
                     "the scheduled send time includes</li>") != NULL,
           "%s", strstr(t, "class=\"notes\""));
    CHECK("one run: the summary's LOSS line", strstr(t, "<li class=\"loss\"><b>loss</b> 0.017% of the expected "
                                                       "messages never arrived</li>") != NULL);
    CHECK("one run: a warning escaped in the page",
          strstr(t, "<li class=\"warning\"><b>warning</b> a warning with &lt;/script&gt;&lt;img src=x&gt; in it &amp; more</li>"));
    CHECK("one run: no raw markup from the result anywhere", !strstr(t, "</script><img"));
    CHECK("one run: the metrics table has every compared metric", count(t, "<tr data-metric=") == METRICS_NFIELDS);
    CHECK("one run: delivery row with the exact counts",
          strstr(t, "<td>20,000</td><td>60,000</td><td>59,990</td><td class=\"bad\">10</td><td>0.017%</td><td>4</td>"
                    "<td>7</td><td>2</td><td>exact</td>") != NULL);
    CHECK("one run: plot data has the percentile rows and series", strstr(t, "\"latency\":{\"p\":[0,10,20,30,40,50,55") &&
                                                                      strstr(t, "\"seconds\":{\"t\":[1.0001,"));
    CHECK("one run: paced, so service latency is plotted", !strstr(t, "\"service\":null"));
    CHECK("one run: no outages", strstr(t, "\"outages\":[]") != NULL);
    free(t);

    /* cut short: messages in flight are not loss, and loss is no share yet */
    a.in_flight = 42;
    t = page(runs, 1, &rc);
    CHECKF("in flight: the delivery row says so far, no loss share",
           rc == 0 && t && strstr(t, "<td class=\"bad\">10</td><td>\xe2\x80\x93</td>") &&
               strstr(t, "<td>so far: 42 in flight, the run did not wait for the tail</td>"),
           "%s", t ? strstr(t, "class=\"delivery\"") : "");
    free(t);
    a.in_flight = 0;

    /* --reconnect: an outage that ended, counted; one not back by the end */
    struct result_outage outs[2] = {
        { .start_s = 1.5, .ended = true, .end_s = 2.25, .clients = 3, .counted = true, .lost = 9, .duplicates = 2 },
        { .start_s = 4, .clients = 1 },
    };
    a.outages = outs;
    a.noutages = 2;
    t = page(runs, 1, &rc);
    CHECKF("outages: in the plot data, an open one's end null, uncounted ones' counts null",
           rc == 0 && t && strstr(t, "\"outages\":[{\"start_s\":1.5,\"end_s\":2.25,\"clients\":3,\"lost\":9,"
                                     "\"duplicates\":2},{\"start_s\":4,\"end_s\":null,\"clients\":1,\"lost\":null,"
                                     "\"duplicates\":null}]"), "%s", t ? strstr(t, "\"outages\"") : "");
    free(t);
    a.outages = NULL;
    a.noutages = 0;

    t = page(runs, 3, &rc);
    CHECK("three runs: written", rc == 0 && t);
    CHECK("three runs: a card each", count(t, "<article class=\"run\"") == 3);
    CHECK("three runs: file names escaped", strstr(t, "B \xc2\xb7 b&lt;x&gt;.json") != NULL);
    CHECKF("three runs: change against the first", strstr(t, "<small class=\"delta\">-50.0%</small>") != NULL, "%s",
           strstr(t, "subscribe_msgs_per_s"));
    CHECK("three runs: a side a run lacks is a dash", strstr(t, "<td class=\"none\">\xe2\x80\x93</td>") != NULL);
    CHECK("three runs: pub has no latency to plot", strstr(t, "\"mode\":\"pub\"") &&
                                                       strstr(strstr(t, "\"mode\":\"pub\""), "\"latency\":null"));
    CHECK("three runs: the pub row says it receives nothing", strstr(t, "a pub result receives nothing") != NULL);
    free(t);

    /* Sweeps: the curve's section, the steps by target, the knee marked. */
    static struct run_result top, steps[3];
    static struct mb_config cfgs[3];
    static struct sweep sw;
    sweep_sample(&top, steps, cfgs, &sw);
    struct html_run sruns[] = { { "sweep.json", &top }, { "a.json", &a } };
    t = page(sruns, 2, &rc);
    CHECK("sweep: written", rc == 0 && t);
    CHECK("sweep: one curve section and one steps table", count(t, "id=\"chart-sweep\"") == 1 &&
                                                            count(t, "<table class=\"sweep-steps\"") == 1);
    CHECKF("sweep: the steps by target with their numbers",
           strstr(t, "<tr class=\"pass\"><th>1</th><td>1,000</td><td>990</td><td>990</td>") &&
               strstr(t, "<tr class=\"pass knee-pass\"><th>2</th><td>2,000</td>") &&
               strstr(t, "<tr class=\"tool knee-fail\"><th>3</th><td>4,000</td>"),
           "%s", strstr(t, "sweep-steps"));
    CHECKF("sweep: the failing step says why and whose limit it was",
          strstr(t, "<b>FAIL</b>: p99 39.7ms, objective &lt; 10.0ms <span class=\"tool\">mqttbench set the pace</span>") != NULL, "%.300s", strstr(t, "<b>FAIL"));
    CHECK("sweep: the card names the step it shows", strstr(t, "show the knee step, at 2000 msgs/s") != NULL);
    CHECK("sweep: the plot data has the steps and knee", strstr(t, "\"sweep\":{\"objective\":\"p99<10ms,loss=0\"") == NULL &&
                                                           strstr(t, "\"sweep\":{\"objective\":\"p99\\u003c10ms,loss=0\"") &&
                                                           strstr(t, "\"max_passing_msgs_per_s\":2000"));
    CHECK("sweep: a plain run has no sweep data", strstr(t, "\"sweep\":null") != NULL);
    free(t);
    t = page(runs, 2, &rc);
    CHECK("no sweep: no curve section", rc == 0 && !strstr(t, "id=\"chart-sweep\"") && !strstr(t, "<table class=\"sweep-steps\""));
    free(t);
    for (size_t i = 0; i < 3; i++) result_free(&steps[i]);

    CHECK("no runs: refused", html_write(stdout, runs, 0) == -1);
    result_free(&a);
    result_free(&b);
    result_free(&p);
    return test_failures ? 1 : 0;
}
