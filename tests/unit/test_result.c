/* result: the one writer and the one typed reader of mqttbench.result.v1.
 * A result written, read back and written again gives the same bytes (every
 * mode, failed runs, --repeat and merged results); what the reader refuses
 * and what it accepts from older files; the shared failure and warning
 * rules. */
#include "sample.h"
#include "metrics.h"
#include "test.h"

static char err[1024];

/* r -> text -> typed -> text: the same bytes. */
static void round_trip(const char *name, const struct run_result *r)
{
    char label[160];
    struct run_result back;
    char *t1 = sample_text(r);
    int rc = t1 ? sample_read(t1, &back, err, sizeof(err)) : -1;
    snprintf(label, sizeof(label), "round trip: %s reads back", name);
    CHECKF(label, rc == 0, "%s", err);
    char *t2 = rc == 0 ? sample_text(&back) : NULL;
    snprintf(label, sizeof(label), "round trip: %s writes the same bytes", name);
    CHECKF(label, t1 && t2 && strcmp(t1, t2) == 0, "%zu vs %zu bytes", t1 ? strlen(t1) : 0, t2 ? strlen(t2) : 0);
    sample_show_difference(t1, t2);
    free(t1);
    free(t2);
    result_free(&back);
}

static void test_round_trip(void)
{
    static struct run_result r, runs[2];
    static struct mb_config c, rc[2];
    sample_result(&r, &c, MB_MODE_BOTH);
    round_trip("both", &r);
    CHECK("round trip: both has warnings", r.nwarnings == 1);
    c.coalesce_ns = r.coalesce_ns = 100000;
    round_trip("a --coalesce wait in effect", &r);
    r.coalesce_ns = 0;              /* configured, but no thread held subscribers alone */
    round_trip("a --coalesce wait not in effect", &r);
    c.coalesce_ns = 0;
    result_free(&r);

    sample_result(&r, &c, MB_MODE_PUB);
    round_trip("pub", &r);
    r.total.pub_errors = 3;
    snprintf(r.total.pub_error, sizeof(r.total.pub_error), "Out of memory.");
    round_trip("pub, mosquitto_publish failed", &r);
    result_free(&r);

    sample_result(&r, &c, MB_MODE_SUB);
    r.expected = 0;
    r.expected_known = false;       /* `sub` without --count or announcements: expected null */
    r.lost_exact = false;
    round_trip("sub, expected unknown", &r);
    r.expected = 5;
    r.forgotten = 3;                /* known, but gap tracking overflowed: not exact */
    r.expected_known = true;
    round_trip("sub, loss approximate", &r);
    r.expected = 0;
    round_trip("sub, nothing expected, loss approximate", &r);
    r.status = RESULT_FAILED;
    snprintf(r.error, sizeof(r.error), "connection to the broker lost: \xe2\x80\x9c" "EOF\xe2\x80\x9d");
    round_trip("failed sub", &r);
    r.in_flight = 7;                /* cut short: not accounted for */
    r.self_stall.count = 1;
    r.self_stall.total_s = r.self_stall.max_s = 2.000123;
    round_trip("failed sub, messages in flight, mqttbench stopped", &r);
    result_free(&r);

    /* --repeat: the median run at the top, the summary, every run */
    struct metrics m[2];
    for (int k = 0; k < 2; k++) {
        sample_result(&runs[k], &rc[k], MB_MODE_BOTH);
        rc[k].run_id += (uint64_t)k;
        runs[k].total.pub_done += (uint64_t)k * 100;
        metrics_extract(&runs[k], &m[k]);
    }
    struct metrics_spread spread;
    sample_result(&r, &c, MB_MODE_BOTH);
    CHECK("repeat: summary of two runs", metrics_repeat(m, 2, &spread) == 0 && spread.runs == 2);
    r.repeat = &spread;
    r.runs = runs;
    r.nruns = 2;
    round_trip("--repeat result", &r);
    r.repeat = NULL;
    r.runs = NULL;
    r.nruns = 0;
    result_free(&r);
    result_free(&runs[0]);
    result_free(&runs[1]);

    /* --reconnect: two outages with what they own, and the rest outside */
    sample_result(&r, &c, MB_MODE_BOTH);
    r.outages = result_alloc(&r, 2 * sizeof(*r.outages));
    r.noutages = r.outages_total = 2;
    r.outages[0] = (struct result_outage){ .start_s = 1.5, .ended = true, .end_s = 2.25, .flowed = true,
                                           .flowing_s = 0.8, .clients = 3, .counted = true, .lost = 7,
                                           .duplicates = 2, .redelivered = 20 };
    r.outages[1] = (struct result_outage){ .start_s = 4, .clients = 1, .counted = true };
    hist_init(&r.outages[0].reconnect);
    hist_init(&r.outages[1].reconnect);
    hist_record(&r.outages[0].reconnect, 700000000);
    r.outside_counted = true;
    r.outages_outside.lost = 5;
    r.outages_outside.duplicates = 1;
    round_trip("outages with their counts", &r);
    char *text = sample_text(&r);
    CHECK("outages: the counts are written", text && strstr(text, "\"redelivered\":\t20") &&
                                                 strstr(text, "\"outages_outside\":\t{"));
    free(text);
    r.outages[0].counted = r.outages[1].counted = r.outside_counted = false;   /* an older file */
    round_trip("outages without counts (null)", &r);
    result_free(&r);

    /* merged: sources */
    struct result_source src[2] = {
        { "a.json", "host-a", 11, "2026-12-01T10:00:00Z", MB_MODE_PUB, RESULT_OK, 0x42 },
        { "b/\xc3\xa9.json", "host-b", 12, "2026-12-01T10:00:01Z", MB_MODE_SUB, RESULT_ABORTED, 0x42 },
    };
    sample_result(&r, &c, MB_MODE_BOTH);
    r.sources = src;
    r.nsources = 2;
    r.merged_split = true;
    round_trip("merged result", &r);
    r.sources = NULL;
    r.nsources = 0;
    result_free(&r);
}

static enum mb_mode edit_mode = MB_MODE_BOTH;

/* The sample result of edit_mode as text, with the item at dotted path set to
 * json (deleted when NULL), read back: the result_from_json status. */
static int edited(const char *path, const char *json)
{
    static struct run_result r, back;
    static struct mb_config c;
    sample_result(&r, &c, edit_mode);
    cJSON *doc = result_to_json(&r);
    result_free(&r);
    char parent[256];
    snprintf(parent, sizeof(parent), "%s", path);
    char *dot = strrchr(parent, '.');
    cJSON *obj = doc;
    const char *key = path;
    if (dot) {
        *dot = '\0';
        obj = (cJSON *)reader_find(doc, parent);
        key = dot + 1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (json) cJSON_AddItemToObject(obj, key, cJSON_Parse(json));
    char *text = jsonfile_print(doc);
    cJSON_Delete(doc);
    err[0] = '\0';
    int rc = sample_read(text, &back, err, sizeof(err));
    free(text);
    result_free(&back);
    return rc;
}

static void refused(const char *name, const char *path, const char *json, const char *want)
{
    int rc = edited(path, json);
    CHECKF(name, rc == -1 && strstr(err, want) && !strchr(err, '\n'), "rc %d, err '%s', wanted '%s'", rc, err, want);
}

static void test_refused(void)
{
    refused("read: a rate that does not fit its counts", "publish.msgs_per_s", "1",
            "publish.msgs_per_s: 1, but the rest of the result gives 8000.32");
    refused("read: a percentile that is not the histogram's", "latency_us.p99", "1",
            "latency_us.p99: 1, but the rest of the result gives");
    refused("read: a stdev that is not the sums'", "service_latency_us.stdev", "12345", "service_latency_us.stdev: 12345");
    refused("read: connected is the connect times' count", "connect.connected", "99", "connect.connected: 99, but");
    refused("read: another tool", "environment.tool", "\"othertool\"", "environment.tool: othertool, but the rest of the result gives mqttbench");
    refused("read: config.clock agrees with the latency clock", "config.clock", "\"realtime\"",
            "config.clock: realtime, but the rest of the result gives monotonic");
    refused("read: lost_exact without expected", "subscribe.expected", "null", "lost_exact: true, but expected is null");
    refused("read: a contract key missing", "subscribe.lost", NULL, "subscribe.lost: missing");
    refused("read: publish null in both", "publish", "null", "publish: expected an object, found null");
    refused("read: config.mode agrees with mode", "config.mode", "\"sub\"", "config.mode: \"sub\", but mode is \"both\"");
    edit_mode = MB_MODE_PUB;
    refused("read: subscribe in a pub result", "subscribe", "{}", "subscribe: {}, but the rest of the result gives null");
    edit_mode = MB_MODE_BOTH;
    refused("read: absurd sumsq (reliability #18)", "latency_us.histogram.sumsq_ns", "1e308",
            "latency_us.histogram.sumsq_ns: 1e+308 does not fit");
    refused("read: run id not 16 hex digits", "config.run_id", "\"ffff\"", "config.run_id: \"ffff\" is not 16 hex digits");
    refused("read: start time not UTC", "environment.start_time", "\"yesterday\"", "is not YYYY-MM-DDTHH:MM:SSZ");
    refused("read: an over-long hostname", "environment.hostname",
            "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"", "environment.hostname: 265 bytes, longer than the 255");
    refused("read: the timeseries goes back in time", "timeseries", "[{\"t\":2,\"sent\":1,\"received\":1,\"p50\":0,\"p99\":0},"
            "{\"t\":1,\"sent\":1,\"received\":1,\"p50\":0,\"p99\":0}]", "timeseries[1].t: goes back in time");
    refused("read: a failed run names its error", "status", "\"failed\"", "error: missing");
    refused("read: a warning not a string", "warnings", "[1]", "warnings[0]: expected a string");
    refused("read: a repeat summary out of order", "repeat",
            "{\"runs\":2,\"metrics\":{\"cpu_s\":{\"median\":3,\"min\":4,\"max\":5}}}",
            "repeat.metrics.publish_msgs_per_s: missing");
    static const char rep_ok[] = "{\"runs\":3,\"metrics\":{"
        "\"publish_msgs_per_s\":{\"median\":2,\"min\":1,\"max\":3},\"subscribe_msgs_per_s\":{\"median\":2,\"min\":1,\"max\":3},"
        "\"latency_p50_us\":{\"median\":2,\"min\":1,\"max\":3},\"latency_p90_us\":{\"median\":2,\"min\":1,\"max\":3},"
        "\"latency_p99_us\":{\"median\":2,\"min\":1,\"max\":3},\"latency_p999_us\":{\"median\":2,\"min\":1,\"max\":3},"
        "\"latency_max_us\":{\"median\":2,\"min\":1,\"max\":3},\"lost\":{\"median\":2,\"min\":1,\"max\":3},"
        "\"duplicates\":{\"median\":2,\"min\":1,\"max\":3},\"cpu_s\":{\"median\":2,\"min\":1,\"max\":3}}}";
    CHECKF("read: a repeat summary", edited("repeat", rep_ok) == 0, "%s", err);
    char rep[2048];
    snprintf(rep, sizeof(rep), "%s", rep_ok);
    memcpy(strstr(rep, "\"median\":2,\"min\":1,\"max\":3},\"cpu_s\""), "\"median\":4", 10);
    refused("read: repeat: median outside [min, max]", "repeat", rep, "repeat.metrics.duplicates: needs min <= median <= max");
    snprintf(rep, sizeof(rep), "%s", rep_ok);
    memcpy(strstr(rep, "\"runs\":3"), "\"runs\":0", 8);
    refused("read: repeat: zero runs", "repeat", rep, "repeat.runs: 0 is below the minimum 1");
    refused("read: repeat: fractional runs", "repeat", "{\"runs\":2.5}", "repeat.runs: 2.5 is not a whole number");
    refused("read: repeat: a median not a number", "repeat",
            "{\"runs\":2,\"metrics\":{\"publish_msgs_per_s\":{\"median\":\"2\"}}}",
            "repeat.metrics.publish_msgs_per_s.median: expected a number, found a string");
    refused("read: a repeat metric of a side the result lacks", "repeat",
            "{\"runs\":1,\"metrics\":{\"publish_msgs_per_s\":{\"median\":1,\"min\":1,\"max\":1}}}",
            "repeat.metrics.subscribe_msgs_per_s: missing");
    edit_mode = MB_MODE_PUB;
    refused("read: a repeat metric of a side the result lacks", "repeat",
            "{\"runs\":1,\"metrics\":{\"publish_msgs_per_s\":{\"median\":1,\"min\":1,\"max\":1},"
            "\"cpu_s\":{\"median\":1,\"min\":1,\"max\":1},\"lost\":{\"median\":1,\"min\":1,\"max\":1}}}",
            "repeat.metrics.lost: {\"median\":1,\"min\":1,\"max\":1}, but the rest of the result gives null");
    edit_mode = MB_MODE_BOTH;
    refused("read: histogram.count is the buckets'", "latency_us.histogram.count", "7", "latency_us.histogram.count: 7, but");
    refused("read: latency_us.count is the histogram's", "latency_us.count", "7", "latency_us.count: 7, but");
    refused("read: sub_buckets", "latency_us.histogram.sub_buckets", "64", "latency_us.histogram.sub_buckets: 64, but");
    refused("read: a nested run's problem is named", "runs", "[{\"schema\":\"mqttbench.result.v1\"}]", "runs[0]: status: missing");
    refused("read: sources without merged", "sources", "[]", "merged: missing");

    CHECKF("read: warnings may be missing (older files)", edited("warnings", NULL) == 0, "%s", err);
    CHECKF("read: environment.pid may be missing (older files)", edited("environment.pid", NULL) == 0, "%s", err);
    CHECKF("read: config.shard and config.shards may be missing (older files)",
           edited("config.shard", NULL) == 0 && edited("config.shards", NULL) == 0, "%s", err);
    CHECKF("read: config.qos may not", edited("config.qos", NULL) == -1 && strstr(err, "config.qos: missing"), "%s",
           err);
    CHECKF("read: a key this version does not know is ignored", edited("environment.future_key", "{\"a\":[1]}") == 0,
           "%s", err);
}

static void test_utf8(void)
{
    static struct run_result r, back;
    static struct mb_config c;
    sample_result(&r, &c, MB_MODE_BOTH);
    /* a broker's $SYS payload and a cut message: not UTF-8 */
    snprintf(r.env.broker_version, sizeof(r.env.broker_version), "mosquitto \xff\xfe version");
    snprintf(r.error, sizeof(r.error), "cut in a character: \xc3");
    r.status = RESULT_FAILED;
    char *text = sample_text(&r);
    CHECK("utf-8: the writer writes valid UTF-8", text && strstr(text, "\"mosquitto ?? version\"") &&
                                                      strstr(text, "cut in a character: ?\""));
    free(text);
    snprintf(r.env.broker_version, sizeof(r.env.broker_version), "mosquitto");
    text = sample_text(&r);
    /* invalid bytes put back into the file: read as '?' (reliability #18) */
    char *at = text ? strstr(text, "host-\xc3\xa4") : NULL;
    if (at) memcpy(at, "host-\xed\xa0", 7);          /* a surrogate: not UTF-8 */
    int rc = at ? sample_read(text, &back, err, sizeof(err)) : -1;
    CHECKF("utf-8: invalid bytes are read as '?'", rc == 0 && strcmp(back.env.hostname, "host-??") == 0, "%d %s '%s'",
           rc, err, back.env.hostname);
    char *again = rc == 0 ? sample_text(&back) : NULL;
    CHECK("utf-8: and written as '?'", again && strstr(again, "\"host-??\""));
    free(again);
    free(text);
    result_free(&back);
    result_free(&r);
}

static void test_rules(void)
{
    static struct run_result r;
    memset(&r, 0, sizeof(r));
    char reason[32];
    for (int i = 0; i < 10; i++) {
        snprintf(reason, sizeof(reason), "reason %d", i);
        result_add_failure(&r, reason, 1);
    }
    result_add_failure(&r, "reason 0", 5);
    CHECK("failures: 8 reasons kept", r.nfailures == RESULT_MAX_FAILURES);
    CHECK("failures: the same reason adds up", r.failures[0].count == 6);
    CHECK("failures: later reasons count in the last", r.failures[7].count == 3 && !strcmp(r.failures[7].reason, "reason 7"));

    CHECK("warnings: added", result_add_warning(&r, "a") == 0 && r.nwarnings == 1);
    CHECK("warnings: the same text once", result_add_warning(&r, "a") == 0 && r.nwarnings == 1);
    int rc = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(reason, sizeof(reason), "w%d", i);
        rc = result_add_warning(&r, reason);
    }
    CHECK("warnings: full", rc == -1 && r.nwarnings == RESULT_MAX_WARNINGS);
    CHECKF("warnings: the last says some were left out",
           strstr(r.warnings[RESULT_MAX_WARNINGS - 1], "the rest were left out") != NULL, "%s",
           r.warnings[RESULT_MAX_WARNINGS - 1]);
}

int main(void)
{
    test_round_trip();
    test_refused();
    test_utf8();
    test_rules();
    return test_failures ? 1 : 0;
}
