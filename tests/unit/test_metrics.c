/* metrics: extraction from typed results (the numbers the writer writes),
 * the repeat summary (medians, spreads) read and written, and scenario
 * identity. */
#include <math.h>

#include "sample.h"
#include "metrics.h"
#include "stats.h"
#include "test.h"


static void test_extract(void)
{
    static struct run_result r;
    static struct mb_config c;
    struct metrics m;
    sample_result(&r, &c, MB_MODE_BOTH);
    metrics_extract(&r, &m);
    CHECK("extract: both", m.has_pub && m.has_sub);
    CHECK("extract: rates as written", m.pub_msgs_per_s == 20000 / 2.4999 && m.sub_msgs_per_s == 59990 / 2.51);
    CHECK("extract: loss", m.lost == 10 && m.duplicates == 4);
    CHECK("extract: cpu is user + sys", m.cpu_s == 0.375);
    cJSON *doc = result_to_json(&r);
    const cJSON *lat = cJSON_GetObjectItem(doc, "latency_us");
    CHECK("extract: percentiles as written", m.p50_us == cJSON_GetObjectItem(lat, "p50")->valuedouble &&
                                                 m.p90_us == cJSON_GetObjectItem(lat, "p90")->valuedouble &&
                                                 m.p99_us == cJSON_GetObjectItem(lat, "p99")->valuedouble &&
                                                 m.p999_us == cJSON_GetObjectItem(lat, "p999")->valuedouble &&
                                                 m.max_us == cJSON_GetObjectItem(lat, "max")->valuedouble);
    cJSON_Delete(doc);
    struct metrics_spread s;
    metrics_extract_spread(&r, &s);
    CHECK("extract: a single run is its own spread", s.runs == 1 && s.min.p99_us == m.p99_us &&
                                                         s.max.p99_us == m.p99_us && s.median.p99_us == m.p99_us);
    result_free(&r);

    sample_result(&r, &c, MB_MODE_PUB);
    metrics_extract(&r, &m);
    CHECK("extract: pub", m.has_pub && !m.has_sub && m.p99_us == 0 && m.lost == 0);
    CHECK("extract: pub has no latency field", metrics_has(&m, 0) && !metrics_has(&m, 4) && metrics_has(&m, 9));
    result_free(&r);
    sample_result(&r, &c, MB_MODE_SUB);
    metrics_extract(&r, &m);
    CHECK("extract: sub", !m.has_pub && m.has_sub && m.pub_msgs_per_s == 0);
    result_free(&r);
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

/* The "repeat" object of n runs, as a --repeat result holds it. */
static cJSON *repeat_json(const struct metrics *runs, size_t n)
{
    struct metrics_spread s;
    return metrics_repeat(runs, n, &s) == 0 ? metrics_spread_json(&s) : NULL;
}

static void test_repeat(void)
{
    struct metrics runs[4] = {
        run_with(100, 200, 30, 0), run_with(300, 100, 10, 5), run_with(200, 400, 20, 0), run_with(1000, 300, 40, 1),
    };
    struct metrics_spread none;
    CHECK("repeat: no runs, no sides", metrics_repeat(runs, 0, &none) == 0 && none.runs == 0 && !none.median.has_pub);

    cJSON *rep = repeat_json(runs, 3);
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

    rep = repeat_json(runs, 4);
    CHECK("repeat: even median is the mean of the middle two",
          rj(rep, "publish_msgs_per_s", "median") == 250 && rj(rep, "subscribe_msgs_per_s", "median") == 250 &&
              rj(rep, "latency_p99_us", "median") == 25 && rj(rep, "lost", "median") == 0.5);

    /* a result's spread is its "repeat" summary */
    static struct run_result r;
    static struct mb_config c;
    struct metrics_spread s, got;
    sample_result(&r, &c, MB_MODE_BOTH);
    CHECK("repeat: the spread of 4 runs", metrics_repeat(runs, 4, &s) == 0 && s.runs == 4 && s.median.p99_us == 25 &&
                                              s.min.pub_msgs_per_s == 100 && s.max.lost == 5 && s.median.has_sub);
    cJSON *again = metrics_spread_json(&s);
    CHECK("repeat: the spread written is metrics_repeat_json's", cJSON_Compare(rep, again, 1));
    cJSON_Delete(again);
    cJSON_Delete(rep);
    r.repeat = &s;
    metrics_extract_spread(&r, &got);
    CHECK("repeat: a result's spread is its summary", got.runs == 4 && got.median.p99_us == 25 && got.max.lost == 5);
    r.repeat = NULL;
    result_free(&r);

    /* a side some run lacks is null */
    runs[1].has_sub = false;
    rep = repeat_json(runs, 2);
    CHECK("repeat: a side one run lacks is null",
          cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "metrics"), "latency_p99_us")) &&
              rj(rep, "publish_msgs_per_s", "median") == 200);
    cJSON_Delete(rep);
}

static void test_scenario(void)
{
    static struct run_result a, b;
    static struct mb_config ca, cb;
    char out[512];
    sample_result(&a, &ca, MB_MODE_BOTH);
    sample_result(&b, &cb, MB_MODE_BOTH);
    CHECK("scenario: same", metrics_scenario_diff(&a, &b, out, sizeof(out)) == 0 && out[0] == '\0');
    cb.run_id = 0xffff;
    cb.threads = 8;
    cb.host = "other.example";
    CHECK("scenario: run id, threads and host do not count", metrics_scenario_diff(&a, &b, out, sizeof(out)) == 0);
    cb.qos = 0;
    cb.size = 16;
    int n = metrics_scenario_diff(&a, &b, out, sizeof(out));
    CHECKF("scenario: qos and size", n == 2 && !strcmp(out, "qos 1 vs 0; size 64 vs 16"), "%d '%s'", n, out);
    cb.shape = "pairs";
    cb.topic = "other";
    cb.mode = MB_MODE_PUB;
    n = metrics_scenario_diff(&a, &b, out, sizeof(out));
    CHECKF("scenario: mode, topic, shape",
           n == 5 && !strcmp(out, "mode both vs pub; topic bench/%i vs other; qos 1 vs 0; size 64 vs 16; "
                                  "shape all vs pairs"), "%d '%s'", n, out);
    char small[12];
    n = metrics_scenario_diff(&a, &b, small, sizeof(small));
    CHECK("scenario: cut to the buffer, still counted", n == 5 && strlen(small) == sizeof(small) - 1);
    cb.sub_topic = "$share/g/bench/#";
    cb.protocol = 4;
    n = metrics_scenario_diff(&a, &b, out, sizeof(out));
    CHECKF("scenario: sub_topic null vs set, protocol", n == 7 && strstr(out, "protocol 5 vs 3.1.1") &&
                                                            strstr(out, "sub_topic null vs $share/g/bench/#"),
           "%d '%s'", n, out);
    snprintf(b.env.tls.library, sizeof(b.env.tls.library), "OpenSSL 3.0.19");
    n = metrics_scenario_diff(&a, &b, out, sizeof(out));
    CHECKF("scenario: TLS on one side only", n == 8 && strstr(out, "; tls off vs on"), "%d '%s'", n, out);
    snprintf(a.env.tls.library, sizeof(a.env.tls.library), "OpenSSL 3.0.19");
    n = metrics_scenario_diff(&a, &b, out, sizeof(out));
    CHECKF("scenario: TLS on both sides", n == 7 && !strstr(out, "tls"), "%d '%s'", n, out);
    static const char *const keys[] = { "run_id" };
    n = metrics_scenario_diff_keys(&a, &b, keys, 1, out, sizeof(out));
    CHECKF("scenario: chosen keys", n == 1 && !strcmp(out, "run_id 0123456789abcdef vs 000000000000ffff"), "%d '%s'",
           n, out);
    result_free(&a);
    result_free(&b);
}

int main(void)
{
    test_extract();
    test_repeat();
    test_scenario();
    return test_failures ? 1 : 0;
}
