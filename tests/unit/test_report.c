/* Unit tests for report.c's evidence rules: who set the pace of a run (the
 * NOTE), and what a stalled run's error says. No broker. */
#include "test.h"
#include "report.h"

#include <stdlib.h>
#include <string.h>

/* A paced `both` run of rate msgs/s that completed done messages in seconds,
 * missed slots of them late. */
static void paced(struct run_result *r, struct mb_config *c, double rate, uint64_t done, double seconds,
                  uint64_t missed)
{
    memset(r, 0, sizeof(*r));
    memset(c, 0, sizeof(*c));
    c->mode = MB_MODE_BOTH;
    c->rate = rate;
    r->cfg = c;
    r->total.pub_done = done;
    r->pub_duration_s = seconds;
    r->total.pub_missed_slots = missed;
    r->schedule_lagging = missed * 100 > done;   /* as run.c sets it */
    r->max_utilization = 0.2;
}

static void test_bottleneck(void)
{
    struct run_result r;
    struct mb_config c;

    paced(&r, &c, 2000, 20000, 10.0, 0);
    CHECK("bottleneck: on schedule, nothing to say", report_bottleneck(&r) == REPORT_NONE);

    /* brokers D9: RabbitMQ at 2000 msgs/s, 2.6% of the 0.5 ms slots missed,
     * 2000 msgs/s achieved: no broker claim. */
    paced(&r, &c, 2000, 20006, 10.003, 530);
    CHECK("bottleneck: slots missed but the rate held is jitter, no broker verdict",
          report_bottleneck(&r) == REPORT_JITTER);

    paced(&r, &c, 10000, 50000, 10.0, 30000);
    CHECK("bottleneck: short of the target with CPU to spare is the broker", report_bottleneck(&r) == REPORT_BROKER);

    c.sub_delay_ns = 1000000;       /* its own slow subscribers may have blocked the publishers */
    CHECK("bottleneck: short of the target with --sub-delay is not the broker",
          report_bottleneck(&r) == REPORT_SUB_DELAY);
    c.mode = MB_MODE_PUB;           /* a pub has no subscribers to wait for */
    CHECK("bottleneck: --sub-delay does not matter to a pub", report_bottleneck(&r) == REPORT_BROKER);
    c.mode = MB_MODE_BOTH;
    c.sub_delay_ns = 0;

    r.max_utilization = 0.95;
    r.generator_saturated = true;
    CHECK("bottleneck: a saturated worker is mqttbench", report_bottleneck(&r) == REPORT_GENERATOR);

    /* reliability #6: SIGSTOP for 5 s in a paced run. */
    paced(&r, &c, 10000, 50354, 10.0, 50354);
    r.self_stall.count = 1;
    r.self_stall.total_s = r.self_stall.max_s = 5.0;
    CHECK("bottleneck: mqttbench stopped is never the broker", report_bottleneck(&r) == REPORT_SELF_STALL);

    /* --reconnect: a broker restart held the publishers 1.5 s of a 5 s run */
    paced(&r, &c, 2000, 10008, 5.0, 3300);
    CHECK("bottleneck: without outages the late slots are jitter", report_bottleneck(&r) == REPORT_JITTER);
    r.outages_total = 1;
    CHECK("bottleneck: with an outage they are the outage's, not jitter", report_bottleneck(&r) == REPORT_OUTAGE);
    paced(&r, &c, 2000, 6000, 5.0, 3300);
    r.outages_total = 1;
    CHECK("bottleneck: short of the target with an outage is not 'the broker did not keep up'",
          report_bottleneck(&r) == REPORT_OUTAGE);

    paced(&r, &c, 0, 100000, 1.0, 0);
    CHECK("bottleneck: unpaced, nothing to say", report_bottleneck(&r) == REPORT_NONE);
    r.generator_saturated = true;
    CHECK("bottleneck: unpaced and saturated", report_bottleneck(&r) == REPORT_GENERATOR);
}

static void test_stall_error(void)
{
    char buf[512];
    struct report_stall s = { .idle_s = 3.0, .has_subscribers = true, .arrived = 0, .published = 500,
                              .flow_paused = true, .backlog = 500 };

    /* brokers D7: aedes/RabbitMQ without $share. */
    report_stall_error(&s, buf, sizeof(buf));
    CHECKF("stall: nothing ever arrived", strstr(buf, "no subscriber received any message") &&
           !strstr(buf, "stopped acknowledging"), "%s", buf);

    s.arrived = 1000;
    report_stall_error(&s, buf, sizeof(buf));
    CHECKF("stall: held by our own window is not 'stopped acknowledging'",
           strstr(buf, "--backlog 500") && !strstr(buf, "acknowledging"), "%s", buf);

    s.flow_paused = false;
    report_stall_error(&s, buf, sizeof(buf));
    CHECKF("stall: otherwise the broker stopped acknowledging or delivering",
           !strncmp(buf, "stalled: no message completed or arrived for 3.0 s", 50) &&
           strstr(buf, "acknowledging or delivering"), "%s", buf);

    /* reliability #13: mosquitto_publish out of memory. */
    s.pub_errors = 27;
    s.pub_error = "Out of memory.";
    report_stall_error(&s, buf, sizeof(buf));
    CHECKF("stall: a failing mosquitto_publish is named, the broker is not",
           strstr(buf, "mosquitto_publish failed 27 times (Out of memory.)") && !strstr(buf, "broker"), "%s", buf);

    struct report_stall pub = { .idle_s = 3.0, .published = 0 };
    report_stall_error(&pub, buf, sizeof(buf));
    CHECKF("stall: pub alone", strstr(buf, "acknowledging") && !strstr(buf, "subscriber"), "%s", buf);
}

/* The summary of r, as text (freed by the caller). */
static char *summary_of(const struct run_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    report_summary(f, r, "r.json");
    fclose(f);
    return buf;
}

/* A run held by its own window says so, even when its worker was busy
 * enough to count as saturated (CI saw that on a 0.1 s --backlog 1 run). */
static void test_window_note(void)
{
    static struct run_result r;
    static struct mb_config c;
    paced(&r, &c, 0, 2000, 0.1, 0);
    c.qos = 1;
    c.backlog = 1;
    r.flow_on = r.flow_paced_by_window = true;
    r.generator_saturated = true;
    r.max_utilization = 0.95;
    r.nworkers = 1;
    c.publishers = c.subscribers = 1;
    stats_init(&r.total);
    r.total.pub_done = 2000;
    r.total.flow_held_ns = 99000000;
    char *t = summary_of(&r);
    CHECKF("window note: printed beside a saturated worker's",
           t && strstr(t, "publishers waited on mqttbench's flow window (--backlog 1) 99% of the") &&
               strstr(t, "mqttbench itself was the bottleneck"), "%s", t ? t : "");
    free(t);
}

int main(void)
{
    test_bottleneck();
    test_window_note();
    test_stall_error();
    return test_failures ? 1 : 0;
}
