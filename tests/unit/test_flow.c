/* Unit tests for flow.c: the pacing schedule, the default backlog, and the
 * flow-control bound per receiver (a share group counted once). */
#include "flow.h"
#include "test.h"

#include <inttypes.h>
#include <string.h>

static struct mb_config cfg_of(int pubs, int subs, const char *shape, const char *sub_topic)
{
    struct mb_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = MB_MODE_BOTH;
    cfg.publishers = pubs;
    cfg.subscribers = subs;
    cfg.shape = shape;
    cfg.topic = "mqttbench/test";
    cfg.sub_topic = sub_topic;
    cfg.id_prefix = "mqttbench";
    cfg.backlog = 10;
    return cfg;
}

static void test_due(void)
{
    CHECK("due: publisher 0, seq 0 at t0", flow_due_ns(1000, 400, 4, 0, 0) == 1000);
    CHECK("due: publishers spread over a slot", flow_due_ns(1000, 400, 4, 3, 0) == 1300);
    CHECK("due: one slot per seq", flow_due_ns(1000, 400, 4, 1, 5) == 1000 + 100 + 2000);
}

static void test_default_backlog(void)
{
    struct mb_config cfg = cfg_of(1, 1, "all", NULL);
    CHECK("default backlog: QoS 0", flow_default_backlog(&cfg) == 500);
    cfg.sub_qos = 1;
    CHECK("default backlog: QoS 0 publishes, QoS 1 subscription", flow_default_backlog(&cfg) == 10);
    cfg.pub_qos = 1;
    CHECK("default backlog: QoS 1", flow_default_backlog(&cfg) == 10);
    cfg.pub_qos = 2;
    cfg.sub_qos = 2;
    CHECK("default backlog: QoS 2", flow_default_backlog(&cfg) == 100);
    cfg.mode = MB_MODE_PUB;
    CHECK("default backlog: none outside both", flow_default_backlog(&cfg) == 0);
}

/* --coalesce: only an unpaced QoS 0 `both`. */
static void test_default_coalesce(void)
{
    struct mb_config cfg = cfg_of(1, 1, "all", NULL);
    CHECK("default coalesce: unpaced QoS 0 both", flow_default_coalesce_ns(&cfg) == 100000);
    cfg.rate = 1000;
    CHECK("default coalesce: none in a paced run", flow_default_coalesce_ns(&cfg) == 0);
    cfg.rate = 0;
    cfg.sub_qos = 1;
    CHECK("default coalesce: none with a QoS 1 subscription", flow_default_coalesce_ns(&cfg) == 0);
    cfg.sub_qos = 0;
    cfg.pub_qos = 1;
    CHECK("default coalesce: none publishing at QoS 1", flow_default_coalesce_ns(&cfg) == 0);
    cfg.mode = MB_MODE_SUB;
    cfg.pub_qos = cfg.sub_qos = 0;
    CHECK("default coalesce: none in a lone sub", flow_default_coalesce_ns(&cfg) == 0);
}

/* flow_deal: the room in full bursts, every publisher in turn. */
static void test_deal(void)
{
    bool ready[5] = { true, true, true, true, true };
    uint64_t out[5];
    size_t next = flow_deal(15, 5, 8, ready, 0, out);
    CHECK("deal: full bursts from the start", out[0] == 8 && out[1] == 7 && out[2] == 0 && out[3] == 0 && out[4] == 0);
    CHECK("deal: the next starts after the last served", next == 2);
    next = flow_deal(15, 5, 8, ready, next, out);
    CHECK("deal: the others' turn", out[2] == 8 && out[3] == 7 && out[0] == 0 && out[1] == 0 && out[4] == 0);
    next = flow_deal(15, 5, 8, ready, next, out);
    CHECK("deal: round the end", out[4] == 8 && out[0] == 7 && next == 1);
    ready[1] = ready[2] = false;
    next = flow_deal(9, 5, 8, ready, 1, out);
    CHECK("deal: only the ready", out[1] == 0 && out[2] == 0 && out[3] == 8 && out[4] == 1 && out[0] == 0 && next == 0);
    ready[1] = ready[2] = true;
    flow_deal(UINT64_MAX, 5, 8, ready, 3, out);
    CHECK("deal: room for all: a burst each", out[0] == 8 && out[1] == 8 && out[2] == 8 && out[3] == 8 && out[4] == 8);
    flow_deal(0, 5, 8, ready, 3, out);
    CHECK("deal: no room", out[0] == 0 && out[1] == 0 && out[2] == 0 && out[3] == 0 && out[4] == 0);
    CHECK("deal: no publishers", flow_deal(3, 0, 8, ready, 3, out) == 0);
    uint64_t sum = 0;
    flow_deal(3, 5, 1, ready, 0, out);
    for (int i = 0; i < 5; i++) sum += out[i];
    CHECK("deal: never more than the room, however small", sum == 3);
    CHECK("room: a worker's part of it, rounded up", flow_uniform_room(10, 104, 100, 4, 3) == 5);
    CHECK("room: all the publishers: the room itself", flow_uniform_room(10, 104, 100, 100, 100) == 6);
    CHECK("room: no subscriber", flow_uniform_room(10, 104, UINT64_MAX, 4, 3) == UINT64_MAX);
    CHECK("room: the allowance is the room of one", flow_uniform_room(10, 104, 100, 4, 1) ==
                                                     flow_uniform_allowance(10, 104, 100, 4));
}

static void test_uniform(void)
{
    CHECK("uniform: no subscriber, no bound", flow_uniform_allowance(10, 50, UINT64_MAX, 1) == UINT64_MAX);
    CHECK("uniform: backlog reached", flow_uniform_allowance(10, 110, 100, 1) == 0);
    CHECK("uniform: the rest", flow_uniform_allowance(10, 104, 100, 1) == 6);
    CHECK("uniform: shared among publishers, rounded up", flow_uniform_allowance(10, 104, 100, 4) == 2);
    CHECK("uniform: a frontier ahead of issued (lost tail skipped)", flow_uniform_allowance(10, 100, 105, 2) == 5);
}

static void test_share_group(void)
{
    /* 2 publishers, 4 subscribers in one share group: one receiver. */
    struct mb_config cfg = cfg_of(2, 4, "all", "$share/g/mqttbench/test");
    struct topology t;
    char err[256];
    CHECK("share: topology", topology_build(&t, &cfg, "h", 1, err, sizeof(err)) == 0 && t.nreceivers == 1);
    /* 2000 issued; the broker dealt them out, each member read 100 so far,
     * but each has seen a sequence near the head of both streams. */
    uint64_t issued[2] = { 1000, 1000 }, frontier[4] = { 1990, 1994, 1996, 1999 }, received[4] = { 100, 100, 100, 100 };
    uint64_t progress[1], allow[2];
    flow_receiver_progress(&t, frontier, received, progress);
    CHECKF("share: a group's progress is what its members received", progress[0] == 400, "%" PRIu64, progress[0]);
    flow_allowances(&t, 500, issued, progress, allow);
    CHECKF("share: a group 1600 behind holds both publishers", allow[0] == 0 && allow[1] == 0,
           "%" PRIu64 " %" PRIu64, allow[0], allow[1]);
    received[0] = received[1] = received[2] = received[3] = 450;  /* 1800 of 2000 through */
    flow_receiver_progress(&t, frontier, received, progress);
    flow_allowances(&t, 500, issued, progress, allow);
    CHECKF("share: 200 behind leaves 300, 150 each", allow[0] == 150 && allow[1] == 150,
           "%" PRIu64 " %" PRIu64, allow[0], allow[1]);
    topology_free(&t);
}

static void test_pairs(void)
{
    struct mb_config cfg = cfg_of(3, 3, "pairs", NULL);
    struct topology t;
    char err[256];
    CHECK("pairs: topology", topology_build(&t, &cfg, "h", 1, err, sizeof(err)) == 0 && t.nreceivers == 3);
    uint64_t issued[3] = { 100, 100, 100 }, frontier[3] = { 100, 60, 95 }, received[3] = { 100, 60, 95 };
    uint64_t progress[3], allow[3];
    flow_receiver_progress(&t, frontier, received, progress);
    flow_allowances(&t, 10, issued, progress, allow);
    CHECKF("pairs: each publisher follows its own subscriber", allow[0] == 10 && allow[1] == 0 && allow[2] == 5,
           "%" PRIu64 " %" PRIu64 " %" PRIu64, allow[0], allow[1], allow[2]);
    topology_free(&t);
}

static void test_fan_in(void)
{
    /* 4 publishers on their own topics, 2 subscribers of mqttbench/test/+:
     * the one further behind sets the room, shared among the publishers. */
    struct mb_config cfg = cfg_of(4, 2, "fan-in", NULL);
    struct topology t;
    char err[256];
    CHECK("fan-in: topology", topology_build(&t, &cfg, "h", 1, err, sizeof(err)) == 0 && t.nreceivers == 2);
    uint64_t issued[4] = { 50, 50, 50, 50 }, frontier[2] = { 190, 200 }, received[2] = { 190, 200 };
    uint64_t progress[2], allow[4];
    flow_receiver_progress(&t, frontier, received, progress);
    flow_allowances(&t, 20, issued, progress, allow);
    CHECKF("fan-in: the slower subscriber's room, shared among all", allow[0] == 3 && allow[3] == 3,
           "%" PRIu64 " %" PRIu64, allow[0], allow[3]);
    topology_free(&t);

    struct topology t2;
    cfg = cfg_of(4, 1, "all", "mqttbench/test");
    cfg.topic = "mqttbench/%i";
    cfg.sub_topic = "mqttbench/2";
    CHECK("one publisher heard: topology", topology_build(&t2, &cfg, "h", 1, err, sizeof(err)) == 0);
    uint64_t issued2[4] = { 1000, 1000, 30, 1000 }, f2[1] = { 25 }, r2[1] = { 25 }, p2[1];
    flow_receiver_progress(&t2, f2, r2, p2);
    flow_allowances(&t2, 10, issued2, p2, allow);
    CHECKF("one publisher heard: others are not held, the heard one is", allow[0] == UINT64_MAX &&
           allow[2] == 5 && allow[3] == UINT64_MAX, "%" PRIu64 " %" PRIu64, allow[0], allow[2]);
    topology_free(&t2);
}

static void test_paced_by_window(void)
{
    CHECK("window: held most of the time", flow_paced_by_window(0.8, 1.0));
    CHECK("window: held half the time is not most", !flow_paced_by_window(0.5, 1.0));
    CHECK("window: no publishing time", !flow_paced_by_window(0, 0));
    CHECK("drained: a window of 1 with its 1 free", flow_half_free(1, 1));
    CHECK("drained: half of 10 free", flow_half_free(5, 10));
    CHECK("drained: an odd half rounds up (5 of 11 is not)", !flow_half_free(5, 11) && flow_half_free(6, 11));
    CHECK("drained: 20 of 500 trickling back is not", !flow_half_free(20, 500));
    CHECK("drained: no subscriber, no window", flow_half_free(UINT64_MAX, UINT64_MAX));
}

int main(void)
{
    test_due();
    test_deal();
    test_default_coalesce();
    test_default_backlog();
    test_uniform();
    test_share_group();
    test_pairs();
    test_fan_in();
    test_paced_by_window();
    return test_failures ? 1 : 0;
}
