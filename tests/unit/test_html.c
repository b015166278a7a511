/* html: the report's words and tables from typed results (the charts are
 * checked in a browser by tests/integration/report.sh). */
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "metrics.h"
#include "sample.h"
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
    free(t);

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

    CHECK("no runs: refused", html_write(stdout, runs, 0) == -1);
    result_free(&a);
    result_free(&b);
    result_free(&p);
    return test_failures ? 1 : 0;
}
