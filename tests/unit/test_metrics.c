/* metrics: extraction from what the writer writes, validation, the repeat
 * summary (medians, spreads) and scenario identity. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "options.h"
#include "reader.h"
#include "result.h"
#include "stats.h"
#include "test.h"

static char err[1024];

/* A result document from result_to_json for a small synthetic run. */
static cJSON *written_result(enum mb_mode mode)
{
    static struct mb_config cfg;
    static struct run_result r;
    memset(&cfg, 0, sizeof(cfg));
    memset(&r, 0, sizeof(r));
    cfg.mode = mode;
    cfg.topic = "mqttbench/test";
    cfg.id_prefix = "mqttbench";
    cfg.protocol = 4;
    cfg.qos = 1;
    cfg.size = 64;
    cfg.count = 1000;
    cfg.publishers = mode == MB_MODE_SUB ? 0 : 1;
    cfg.subscribers = mode == MB_MODE_PUB ? 0 : 2;
    r.cfg = &cfg;
    snprintf(r.env.start_time, sizeof(r.env.start_time), "2026-01-02T03:04:05Z");
    stats_init(&r.total);
    r.total.pub_done = 1000;
    r.total.pub_bytes = 64000;
    r.pub_duration_s = 0.5;
    r.total.sub_unique = 1998;
    r.sub_duration_s = 0.8;
    r.expected = 2000;
    r.expected_known = true;
    r.lost = 2;
    r.duplicates = 3;
    for (uint64_t i = 1; i <= 1998; i++)
        hist_record(&r.total.lat, 10000 + i * 100);
    r.cpu_user_s = 0.25;
    r.cpu_sys_s = 0.125;
    return result_to_json(&r);
}

static cJSON *reparse(cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    cJSON *back = NULL;
    if (reader_parse(text, strlen(text), "R.json", &back, err, sizeof(err)) != 0)
        printf("# reparse: %s\n", err);
    free(text);
    cJSON_Delete(doc);
    return back;
}

static void test_extract(void)
{
    struct metrics m;
    cJSON *doc = reparse(written_result(MB_MODE_BOTH));
    int rc = metrics_extract(doc, &m, err, sizeof(err));
    CHECKF("extract: both", rc == 0 && m.has_pub && m.has_sub, "%s", err);
    CHECK("extract: rates", m.pub_msgs_per_s == 2000 && m.sub_msgs_per_s == 1998 / 0.8);
    CHECK("extract: loss", m.lost == 2 && m.duplicates == 3);
    CHECK("extract: cpu is user + sys", m.cpu_s == 0.375);
    const cJSON *lat = cJSON_GetObjectItem(doc, "latency_us");
    CHECK("extract: percentiles as written", m.p50_us == cJSON_GetObjectItem(lat, "p50")->valuedouble &&
                                                 m.p99_us == cJSON_GetObjectItem(lat, "p99")->valuedouble &&
                                                 m.max_us == 10000 * 1e-3 + 199.8 && m.p90_us <= m.p99_us);
    struct metrics_spread s;
    rc = metrics_extract_spread(doc, &s, err, sizeof(err));
    CHECK("extract: a single run is its own spread", rc == 0 && s.runs == 1 && s.min.p99_us == m.p99_us &&
                                                         s.max.p99_us == m.p99_us && s.median.p99_us == m.p99_us);

    /* wrong inputs: each one line naming the key */
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(doc, "latency_us"), "p90", cJSON_CreateNumber(1));
    CHECKF("extract: percentiles out of order", metrics_extract(doc, &m, err, sizeof(err)) == -1 &&
                                                    strstr(err, "latency_us.p90: 1 is below the previous percentile"),
           "%s", err);
    CHECK("extract: zeroed on failure", m.p50_us == 0 && !m.has_pub);
    cJSON_Delete(doc);

    doc = reparse(written_result(MB_MODE_BOTH));
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(doc, "subscribe"), "lost", cJSON_CreateNumber(1.5));
    CHECKF("extract: fractional lost", metrics_extract(doc, &m, err, sizeof(err)) == -1 &&
                                           !strcmp(err, "subscribe.lost: 1.5 is not a whole number"), "%s", err);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(doc, "subscribe"), "lost", cJSON_CreateNumber(1e300));
    CHECKF("extract: huge lost", metrics_extract(doc, &m, err, sizeof(err)) == -1 &&
                                     strstr(err, "subscribe.lost: 1e+300 is above the maximum"), "%s", err);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(doc, "subscribe"), "lost", cJSON_CreateNumber(0));
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(doc, "publish"), "msgs_per_s", cJSON_CreateNumber(-1));
    CHECKF("extract: negative rate", metrics_extract(doc, &m, err, sizeof(err)) == -1 &&
                                         !strcmp(err, "publish.msgs_per_s: negative (-1)"), "%s", err);
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItem(doc, "publish"), "msgs_per_s", cJSON_CreateNumber(1e16));
    CHECKF("extract: absurd rate", metrics_extract(doc, &m, err, sizeof(err)) == -1 && strstr(err, "above the maximum"),
           "%s", err);
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(doc, "publish"), "msgs_per_s");
    CHECKF("extract: missing rate", metrics_extract(doc, &m, err, sizeof(err)) == -1 &&
                                        !strcmp(err, "publish.msgs_per_s: missing"), "%s", err);
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "publish", cJSON_CreateNull());
    CHECKF("extract: publish null in both", metrics_extract(doc, &m, err, sizeof(err)) == -1 &&
                                                !strcmp(err, "publish: null in mode both"), "%s", err);
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "mode", cJSON_CreateString("bench"));
    CHECKF("extract: unknown mode", metrics_extract(doc, &m, err, sizeof(err)) == -1 &&
                                        strstr(err, "mode: \"bench\", expected"), "%s", err);
    cJSON_Delete(doc);

    doc = reparse(written_result(MB_MODE_PUB));
    CHECKF("extract: pub", metrics_extract(doc, &m, err, sizeof(err)) == 0 && m.has_pub && !m.has_sub &&
                               m.p99_us == 0 && m.lost == 0, "%s", err);
    CHECK("extract: pub has no latency field", metrics_has(&m, 0) && !metrics_has(&m, 4) && metrics_has(&m, 9));
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "subscribe", cJSON_CreateObject());
    CHECKF("extract: subscribe present in pub", metrics_extract(doc, &m, err, sizeof(err)) == -1 &&
                                                    !strcmp(err, "subscribe: present in mode pub"), "%s", err);
    cJSON_Delete(doc);

    doc = reparse(written_result(MB_MODE_SUB));
    CHECKF("extract: sub", metrics_extract(doc, &m, err, sizeof(err)) == 0 && !m.has_pub && m.has_sub, "%s", err);
    cJSON_Delete(doc);
}

static struct metrics run_with(double pub, double sub, double p99, double lost)
{
    struct metrics m;
    memset(&m, 0, sizeof(m));
    m.has_pub = m.has_sub = true;
    m.pub_msgs_per_s = pub;
    m.sub_msgs_per_s = sub;
    m.p50_us = p99 / 2;
    m.p90_us = p99 * 0.9;
    m.p99_us = p99;
    m.p999_us = p99 * 1.5;
    m.max_us = p99 * 2;
    m.lost = lost;
    m.cpu_s = 1;
    return m;
}

static double rj(const cJSON *rep, const char *key, const char *what)
{
    const cJSON *e = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "metrics"), key), what);
    return cJSON_IsNumber(e) ? e->valuedouble : NAN;
}

static void test_repeat(void)
{
    struct metrics runs[4] = {
        run_with(100, 200, 30, 0), run_with(300, 100, 10, 5), run_with(200, 400, 20, 0), run_with(1000, 300, 40, 1),
    };
    CHECK("repeat: no runs gives NULL", metrics_repeat_json(runs, 0) == NULL);

    cJSON *rep = metrics_repeat_json(runs, 3);
    CHECK("repeat: runs", cJSON_GetObjectItem(rep, "runs")->valuedouble == 3);
    CHECK("repeat: odd median", rj(rep, "publish_msgs_per_s", "median") == 200 &&
                                    rj(rep, "subscribe_msgs_per_s", "median") == 200 &&
                                    rj(rep, "latency_p99_us", "median") == 20 && rj(rep, "lost", "median") == 0);
    CHECK("repeat: min and max", rj(rep, "publish_msgs_per_s", "min") == 100 &&
                                     rj(rep, "publish_msgs_per_s", "max") == 300 && rj(rep, "lost", "max") == 5);
    int nkeys = 0;
    for (const cJSON *c = cJSON_GetObjectItem(rep, "metrics")->child; c; c = c->next) {
        CHECK("repeat: keys in metrics_fields order", !strcmp(c->string, metrics_fields[nkeys].key));
        nkeys++;
    }
    CHECK("repeat: every metric", nkeys == METRICS_NFIELDS);
    cJSON_Delete(rep);

    rep = metrics_repeat_json(runs, 4);
    CHECK("repeat: even median is the mean of the middle two",
          rj(rep, "publish_msgs_per_s", "median") == 250 && rj(rep, "subscribe_msgs_per_s", "median") == 250 &&
              rj(rep, "latency_p99_us", "median") == 25 && rj(rep, "lost", "median") == 0.5);

    /* read back through a result document */
    cJSON *doc = reparse(written_result(MB_MODE_BOTH));
    cJSON_AddItemToObject(doc, "repeat", rep);
    struct metrics_spread s;
    struct metrics m;
    int rc = metrics_extract_spread(doc, &s, err, sizeof(err));
    CHECKF("repeat: spread read back", rc == 0 && s.runs == 4 && s.median.pub_msgs_per_s == 250 &&
                                           s.min.pub_msgs_per_s == 100 && s.max.pub_msgs_per_s == 1000 &&
                                           s.max.lost == 5 && s.median.has_sub, "%d %s", rc, err);
    CHECK("repeat: metrics_extract gives the medians",
          metrics_extract(doc, &m, err, sizeof(err)) == 0 && m.p99_us == 25 && m.cpu_s == 1);

    cJSON *p99 = cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "metrics"), "latency_p99_us");
    cJSON_ReplaceItemInObjectCaseSensitive(p99, "median", cJSON_CreateNumber(50));
    CHECKF("repeat: median outside [min, max]", metrics_extract_spread(doc, &s, err, sizeof(err)) == -1 &&
                                                    strstr(err, "repeat.metrics.latency_p99_us: needs min <= median <= max"),
           "%s", err);
    cJSON_ReplaceItemInObjectCaseSensitive(p99, "median", cJSON_CreateString("25"));
    CHECKF("repeat: median a string", metrics_extract_spread(doc, &s, err, sizeof(err)) == -1 &&
                                          !strcmp(err, "repeat.metrics.latency_p99_us.median: expected a number, found a string"),
           "%s", err);
    cJSON_ReplaceItemInObjectCaseSensitive(p99, "median", cJSON_CreateNumber(25));
    cJSON_ReplaceItemInObjectCaseSensitive(rep, "runs", cJSON_CreateNumber(0));
    CHECKF("repeat: zero runs", metrics_extract_spread(doc, &s, err, sizeof(err)) == -1 &&
                                    strstr(err, "repeat.runs: 0 is below the minimum 1"), "%s", err);
    cJSON_ReplaceItemInObjectCaseSensitive(rep, "runs", cJSON_CreateNumber(2.5));
    CHECKF("repeat: fractional runs", metrics_extract_spread(doc, &s, err, sizeof(err)) == -1 &&
                                          strstr(err, "not a whole number"), "%s", err);
    cJSON_ReplaceItemInObjectCaseSensitive(rep, "runs", cJSON_CreateNumber(4));
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(rep, "metrics"), "lost");
    CHECKF("repeat: metric missing", metrics_extract_spread(doc, &s, err, sizeof(err)) == -1 &&
                                         !strcmp(err, "repeat.metrics.lost: missing"), "%s", err);
    cJSON_Delete(doc);

    /* a side some run lacks is null, and a pub result's repeat has no sub metrics */
    runs[1].has_sub = false;
    rep = metrics_repeat_json(runs, 2);
    CHECK("repeat: a side one run lacks is null",
          cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "metrics"), "latency_p99_us")) &&
              rj(rep, "publish_msgs_per_s", "median") == 200);
    doc = reparse(written_result(MB_MODE_BOTH));
    cJSON_AddItemToObject(doc, "repeat", rep);
    CHECKF("repeat: null for a side the result has", metrics_extract_spread(doc, &s, err, sizeof(err)) == -1 &&
                                                         strstr(err, "repeat.metrics.subscribe_msgs_per_s"), "%s", err);
    cJSON_Delete(doc);
    doc = reparse(written_result(MB_MODE_PUB));
    cJSON_AddItemToObject(doc, "repeat", metrics_repeat_json(runs, 2));
    CHECKF("repeat: null sub metrics fit a pub result", metrics_extract_spread(doc, &s, err, sizeof(err)) == 0 &&
                                                            s.runs == 2 && s.median.pub_msgs_per_s == 200, "%s", err);
    cJSON_Delete(doc);
    runs[1].has_sub = true;
    doc = reparse(written_result(MB_MODE_PUB));
    cJSON_AddItemToObject(doc, "repeat", metrics_repeat_json(runs, 2));
    CHECKF("repeat: sub metrics present for a pub result", metrics_extract_spread(doc, &s, err, sizeof(err)) == -1 &&
                                                               strstr(err, "present, but the result has no such side"),
           "%s", err);
    cJSON_Delete(doc);
}

static void test_scenario(void)
{
    char out[512];
    cJSON *a = reparse(written_result(MB_MODE_BOTH)), *b = reparse(written_result(MB_MODE_BOTH));
    CHECK("scenario: same", metrics_scenario_diff(a, b, out, sizeof(out)) == 0 && out[0] == '\0');
    cJSON *cb = cJSON_GetObjectItem(b, "config");
    cJSON_ReplaceItemInObjectCaseSensitive(cb, "run_id", cJSON_CreateString("ffff"));
    cJSON_ReplaceItemInObjectCaseSensitive(cb, "threads", cJSON_CreateNumber(8));
    CHECK("scenario: run id and threads do not count", metrics_scenario_diff(a, b, out, sizeof(out)) == 0);
    cJSON_ReplaceItemInObjectCaseSensitive(cb, "qos", cJSON_CreateNumber(0));
    cJSON_ReplaceItemInObjectCaseSensitive(cb, "size", cJSON_CreateNumber(16));
    int n = metrics_scenario_diff(a, b, out, sizeof(out));
    CHECKF("scenario: qos and size", n == 2 && !strcmp(out, "qos 1 vs 0; size 64 vs 16"), "%d '%s'", n, out);
    cJSON_AddStringToObject(cb, "shape", "burst");
    cJSON_ReplaceItemInObjectCaseSensitive(cb, "topic", cJSON_CreateString("other"));
    cJSON_ReplaceItemInObjectCaseSensitive(b, "mode", cJSON_CreateString("pub"));
    n = metrics_scenario_diff(a, b, out, sizeof(out));
    CHECKF("scenario: mode, topic, shape",
           n == 5 && !strcmp(out, "mode both vs pub; qos 1 vs 0; size 64 vs 16; topic mqttbench/test vs other; "
                                  "shape (none) vs burst"), "%d '%s'", n, out);
    char small[12];
    n = metrics_scenario_diff(a, b, small, sizeof(small));
    CHECK("scenario: cut to the buffer, still counted", n == 5 && strlen(small) == sizeof(small) - 1);
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(a, "config"), "protocol");
    n = metrics_scenario_diff(a, b, out, sizeof(out));
    CHECKF("scenario: a missing key differs", n == 6 && strstr(out, "protocol (none) vs 3.1.1"), "%d '%s'", n, out);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

int main(void)
{
    test_extract();
    test_repeat();
    test_scenario();
    return test_failures ? 1 : 0;
}
