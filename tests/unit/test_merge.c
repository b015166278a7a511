/* merge_results on typed results: the workers' rules, warnings kept, pub +
 * sub into both, a copy of one process refused (reliability #10), inputs
 * that did not run together warned about, and what merge makes reads back. */
#include "sample.h"
#include "merge.h"
#include "test.h"

static char err[1024];
static struct run_result in[3], out, again;
static struct mb_config cfg[3];

static void free_all(void)
{
    for (int i = 0; i < 3; i++) result_free(&in[i]);
    result_free(&out);
    result_free(&again);
}

static void test_same_scenario(void)
{
    const char *names[] = { "a.json", "b.json" };
    sample_result(&in[0], &cfg[0], MB_MODE_BOTH);
    sample_result(&in[1], &cfg[1], MB_MODE_BOTH);

    /* a byte copy of one result: the same process twice */
    int rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("copy: refused (reliability #10)",
           rc == -1 && !strcmp(err, "a.json and b.json hold the result of one process (run id 0123456789abcdef, both "
                                    "on host-??, pid 4242, started 2026-12-01T10:00:00Z): its messages would count twice"),
           "%d %s", rc, err);
    result_free(&out);

    /* another process of the same run */
    in[1].env.pid = 5000;
    snprintf(in[1].env.hostname, sizeof(in[1].env.hostname), "host-b");
    in[1].nwarnings = 0;
    result_add_warning(&in[1], "a warning only b has");
    result_add_failure(&in[1], "timed out", 1);
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("two processes: merged", rc == 0, "%s", err);
    const struct stats *t = &out.total;
    CHECK("counts summed", t->pub_done == 40000 && t->sub_unique == 2 * 59990 && out.lost == 20 &&
                               out.expected == 120000 && out.clients == 12 && out.publishers == 4 &&
                               out.subscribers == 6 && out.target_msgs_per_s == 2 * 8000.5);
    CHECK("histograms merged (stats_merge)", t->lat.count == 2 * 59990 && t->connect_lat.count == 12 &&
                                                 t->lat.min_ns == in[0].total.lat.min_ns);
    CHECK("durations: the longest", out.pub_duration_s == 2.4999 && out.connect_s == in[0].connect_s);
    CHECK("failures by the workers' rule", out.nfailures == 2 && out.failures[0].count == 4 &&
                                               !strcmp(out.failures[1].reason, "timed out"));
    CHECKF("warnings: every input's (code review 2.5)", out.nwarnings == 2 && strstr(out.warnings[1], "only b has"),
           "%zu", out.nwarnings);
    CHECK("workers: all of them", out.nworkers == 4);
    CHECK("timeseries on the wall clock", out.npoints == 3 && out.points[2].sent == 2 * 24000);
    CHECK("sources: both processes", out.nsources == 2 && out.sources[1].pid == 5000 &&
                                         !strcmp(out.sources[1].path, "b.json") && !out.merged_split);
    CHECK("config: the first input's", out.cfg->publishers == 2 && out.cfg != in[0].cfg);

    /* what merge makes reads back and writes the same bytes */
    char *t1 = sample_text(&out);
    rc = t1 ? sample_read(t1, &again, err, sizeof(err)) : -1;
    char *t2 = rc == 0 ? sample_text(&again) : NULL;
    CHECKF("merged: round trip", t1 && t2 && strcmp(t1, t2) == 0, "%d %s", rc, err);
    free(t1);
    free(t2);

    /* a merged result merged again with one of its processes */
    const char *names3[] = { "ab.json", "a.json" };
    in[2] = out;
    memset(&out, 0, sizeof(out));
    struct run_result pair[2] = { in[2], in[0] };
    rc = merge_results(pair, names3, 2, &out, err, sizeof(err));
    CHECKF("merged + one of its inputs: refused", rc == -1 && strstr(err, "ab.json and a.json hold the result of one "
                                                                      "process"), "%d %s", rc, err);
    result_free(&out);

    /* inputs that did not run at the same time: merged, with a warning */
    snprintf(in[1].env.start_time, sizeof(in[1].env.start_time), "2026-12-01T11:00:00Z");
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("an hour apart: merged", rc == 0, "%s", err);
    CHECKF("an hour apart: warned", out.nwarnings == 3 && strstr(out.warnings[2], "b.json started at 2026-12-01T11:00:00Z, 3596 s after "
                                                                         "a.json (started at 2026-12-01T10:00:00Z) had ended"),
           "%zu '%s'", out.nwarnings, out.nwarnings > 2 ? out.warnings[2] : "");
    CHECK("an hour apart: the earliest start time", !strcmp(out.env.start_time, "2026-12-01T10:00:00Z"));
    result_free(&out);
    snprintf(in[1].env.start_time, sizeof(in[1].env.start_time), "2026-12-01T10:00:02Z");
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("two seconds apart: no warning", rc == 0 && out.nwarnings == 2, "%d %zu", rc, out.nwarnings);
    result_free(&out);

    /* one input was cut short: in flight adds up, and the whole is not exact */
    in[1].in_flight = 6;
    in[1].lost_exact = false;
    in[1].self_stall.count = 1;
    in[1].self_stall.total_s = in[1].self_stall.max_s = 2.5;
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("in flight in one input: summed, not exact", rc == 0 && out.in_flight == 6 && !out.lost_exact &&
           out.self_stall.count == 1 && out.self_stall.max_s == 2.5, "%d %s", rc, err);
    result_free(&out);
    in[1].in_flight = 0;
    in[1].lost_exact = true;

    /* one input did not know what to expect: neither does the merge */
    in[1].expected = 0;
    in[1].expected_known = false;
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECK("expected unknown in one input: unknown", rc == 0 && out.expected == 0 && !out.expected_known);
    result_free(&out);

    /* sums past 2^53 cannot be written exactly */
    in[1].total.pub_done = (UINT64_C(1) << 53) - 5;
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("sum past 2^53: refused", rc == -1 && strstr(err, "the merged result would not be valid: publish.messages:"),
           "%d %s", rc, err);
    result_free(&out);

    cfg[1].qos = 0;
    in[1].total.pub_done = 1;
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("another scenario: refused", rc == -1 && !strcmp(err, "a.json and b.json ran different scenarios: qos 1 vs 0"),
           "%s", err);
    free_all();
}

static void test_pub_sub(void)
{
    const char *names[] = { "sub.json", "pub.json" };
    sample_result(&in[0], &cfg[0], MB_MODE_SUB);
    sample_result(&in[1], &cfg[1], MB_MODE_PUB);
    int rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("pub+sub: merged", rc == 0, "%s", err);
    CHECK("pub+sub: mode both", out.cfg->mode == MB_MODE_BOTH && out.merged_split);
    CHECK("pub+sub: config the pub's, subscribers the sub's", out.cfg->publishers == 2 && out.cfg->subscribers == 3);
    CHECK("pub+sub: publish from pub, subscribe from sub", out.total.pub_done == 20000 && out.total.sub_unique == 59990 &&
                                                               out.publishers == 2 && out.subscribers == 3);
    CHECK("pub+sub: latency from the send call", !out.latency_intended && out.expected_known);
    CHECK("pub+sub: the sub's clock", out.clock.npeers == 1);
    result_free(&out);

    in[0].coalesce_ns = 200000;     /* the sub's thread waited; the pub's never does */
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("pub+sub: the --coalesce wait the sub made", rc == 0 && out.coalesce_ns == 200000, "%s", err);
    result_free(&out);
    in[0].coalesce_ns = 0;

    cfg[1].run_id = 0xaa;
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("pub+sub of two runs: refused", rc == -1 && strstr(err, "pub.json (pub) and sub.json (sub) are not parts of "
                                                                  "one run: run_id 00000000000000aa vs 0123456789abcdef"),
           "%s", err);
    result_free(&out);

    sample_result(&in[2], &cfg[2], MB_MODE_BOTH);
    const char *three[] = { "sub.json", "pub.json", "both.json" };
    cfg[1].run_id = cfg[0].run_id;
    rc = merge_results(in, three, 3, &out, err, sizeof(err));
    CHECKF("both with pub/sub: refused", rc == -1 && strstr(err, "cannot merge `both` results with `pub`/`sub`"), "%s",
           err);
    free_all();
}

/* A run's values split into two processes' results: their merge is the run
 * (every key the writer writes, but sources and merged), byte for byte. */
static void test_halves(void)
{
    static struct run_result whole, half[2];
    static struct mb_config cw, ch[2];
    sample_result(&whole, &cw, MB_MODE_BOTH);
    stats_init(&whole.total);
    for (int k = 0; k < 2; k++) {
        sample_result(&half[k], &ch[k], MB_MODE_BOTH);
        stats_init(&half[k].total);
        half[k].env.pid += k;
        half[k].publishers = 1;
        half[k].subscribers = 1 + k;
        half[k].target_msgs_per_s = 4000.25;
        half[k].clients = 3;
        half[k].connect_failures = 1;
        memset(half[k].failures, 0, sizeof(half[k].failures));
        half[k].nfailures = 0;
        result_add_failure(&half[k], "connection refused", 1);
        half[k].publishers_done = 1;
        half[k].expected = 30000;
        half[k].lost = 5;
        half[k].duplicates = 2;
        half[k].out_of_order = 3 + k;
        half[k].cpu_user_s = half[k].cpu_sys_s = 0.0625;
        half[k].read_syscalls = 617;
        half[k].write_syscalls = 283 + (uint64_t)k;
        for (size_t i = 0; i < half[k].npoints; i++) {
            half[k].points[i].sent /= 2;
            half[k].points[i].received /= 2;
        }
    }
    half[1].pub_duration_s = 2.3;               /* the longest counts */
    half[1].nworkers = 0;                       /* whole's workers are all in half 0 */
    half[1].clock.npeers = 0;                   /* the clock is the first input's */
    half[1].points[0].p99_us = 1;               /* per second: the larger */
    whole.cpu_user_s = whole.cpu_sys_s = 0.125;
    whole.write_syscalls = 567;
    whole.out_of_order = 7;
    for (uint64_t i = 0; i < 2000; i++) {       /* sums stay below 2^53: exact in any order */
        uint64_t v = 20000 + (i * 7919) % 60000, sv = v - 1000, cv = 100000 + i;
        struct stats *h = &half[i % 2].total;
        hist_record(&whole.total.lat, v);
        hist_record(&h->lat, v);
        hist_record(&whole.total.service_lat, sv);
        hist_record(&h->service_lat, sv);
        if (i < 6) {
            hist_record(&whole.total.connect_lat, cv);
            hist_record(&h->connect_lat, cv);
        }
    }
    struct stats *w = &whole.total;
    w->pub_done = 20000, w->pub_bytes = 1280000, w->pub_errors = 1, w->pub_missed_slots = 3;
    w->pub_max_lag_ns = 1234567, w->sub_unique = 2000, w->sub_foreign = 2, w->sub_negative = 1, w->disconnects = 1;
    for (int k = 0; k < 2; k++) {
        struct stats *h = &half[k].total;
        h->pub_done = 10000, h->pub_bytes = 640000, h->pub_errors = (uint64_t)k, h->pub_missed_slots = 1 + (uint64_t)k;
        h->pub_max_lag_ns = k ? 1234567 : 5, h->sub_unique = 1000, h->sub_foreign = 1;
        h->sub_negative = (uint64_t)k, h->disconnects = (uint64_t)k;
    }
    const char *names[] = { "a.json", "b.json" };
    int rc = merge_results(half, names, 2, &out, err, sizeof(err));
    CHECKF("halves: merged", rc == 0, "%s", err);
    out.sources = NULL;
    out.nsources = 0;
    char *tw = sample_text(&whole), *tm = rc == 0 ? sample_text(&out) : NULL;
    CHECK("halves: the merge is the whole, byte for byte", tw && tm && strcmp(tw, tm) == 0);
    sample_show_difference(tw, tm);
    free(tw);
    free(tm);
    result_free(&whole);
    result_free(&half[0]);
    result_free(&half[1]);
    result_free(&out);
}

/* Shards of one split: each index once, one N; a missing one is named. */
static void test_shards(void)
{
    const char *names[] = { "p0", "p1", "p2" };
    for (int i = 0; i < 3; i++) {
        sample_result(&in[i], &cfg[i], MB_MODE_PUB);
        in[i].env.pid = 100 + i;
        in[i].nwarnings = 0;
        cfg[i].shard_index = i;
        cfg[i].shard_count = 3;
    }
    int rc = merge_results(in, names, 3, &out, err, sizeof(err));
    CHECKF("shards: 3 of 3 merged, no warning", rc == 0 && out.nwarnings == 0, "%d %s", rc, err);
    CHECK("shards: the merge is the whole run, shard 0 of 1", out.cfg->shard_index == 0 && out.cfg->shard_count == 1);
    result_free(&out);

    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("shards: 2 of 3 merged, shard 2 named missing", rc == 0 && out.nwarnings == 1 &&
           !strcmp(out.warnings[0], "1 of the 3 pub shards is missing (2): the publish counts are those of the other "
                                    "shards"), "%d %s / %s", rc, err, out.nwarnings ? out.warnings[0] : "");
    result_free(&out);

    cfg[2].shard_index = 1;
    rc = merge_results(in, names, 3, &out, err, sizeof(err));
    CHECKF("shards: one index twice is refused", rc == -1 &&
           !strcmp(err, "p1 and p2 are both pub shard 1 of 3: they ran the same share, which would count twice"),
           "%d %s", rc, err);
    result_free(&out);

    cfg[2].shard_index = 2;
    cfg[2].shard_count = 4;
    rc = merge_results(in, names, 3, &out, err, sizeof(err));
    CHECKF("shards: two splits are refused", rc == -1 && strstr(err, "p0 ran as pub shard 0 of 3, p2 as shard 2 of 4"),
           "%d %s", rc, err);
    result_free(&out);

    cfg[2].shard_index = 0;
    cfg[2].shard_count = 1;
    rc = merge_results(in, names, 3, &out, err, sizeof(err));
    CHECKF("shards: a shard with a process that was not sharded is refused", rc == -1 && strstr(err, "not one split"),
           "%d %s", rc, err);
    result_free(&out);

    /* the pub and the sub of one shard (both --shard): that shard, no warning */
    result_free(&in[1]);
    sample_result(&in[1], &cfg[1], MB_MODE_SUB);
    in[1].nwarnings = 0;
    cfg[0].shard_index = cfg[1].shard_index = 1;
    cfg[0].shard_count = cfg[1].shard_count = 2;
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("shards: pub + sub of one shard stay that shard", rc == 0 && out.nwarnings == 0 &&
           out.cfg->shard_index == 1 && out.cfg->shard_count == 2, "%d %s", rc, err);
    free_all();
}

/* --reconnect: each process's outages kept with their counts; outside summed,
 * known only when every subscribing process knew it. */
static void test_outages(void)
{
    const char *names[] = { "a.json", "b.json" };
    for (int i = 0; i < 2; i++) {
        sample_result(&in[i], &cfg[i], MB_MODE_BOTH);
        in[i].env.pid = 4242 + i;
        in[i].outages = result_alloc(&in[i], sizeof(*in[i].outages));
        in[i].noutages = in[i].outages_total = 1;
        in[i].outages[0] = (struct result_outage){ .start_s = 1, .clients = 1, .counted = true, .lost = 3u + i };
        hist_init(&in[i].outages[0].reconnect);
        in[i].outside_counted = true;
        in[i].outages_outside.lost = 10u * (i + 1);
        in[i].outages_outside.duplicates = 1;
    }
    int rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECKF("outages: kept one after another, outside summed",
           rc == 0 && out.noutages == 2 && out.outages[0].lost == 3 && out.outages[1].lost == 4 &&
               out.outside_counted && out.outages_outside.lost == 30 && out.outages_outside.duplicates == 2,
           "%d %s", rc, err);
    result_free(&out);
    in[1].outside_counted = false;   /* an older file */
    rc = merge_results(in, names, 2, &out, err, sizeof(err));
    CHECK("outages: outside unknown when one process did not count it", rc == 0 && !out.outside_counted);
    free_all();
}

int main(void)
{
    test_shards();
    test_halves();
    test_same_scenario();
    test_pub_sub();
    test_outages();
    return test_failures ? 1 : 0;
}
