/* Unit tests for topology.c: topic expansion, shapes, share groups, who
 * should hear whom, and the check that every filter hears a publisher. */
#include "topology.h"
#include "test.h"

#include <string.h>

static struct mb_config cfg_of(int pubs, int subs, const char *topic, const char *sub_topic, const char *shape)
{
    struct mb_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = MB_MODE_BOTH;
    cfg.publishers = pubs;
    cfg.subscribers = subs;
    cfg.topic = topic;
    cfg.sub_topic = sub_topic;
    cfg.shape = shape;
    cfg.id_prefix = "mb";
    cfg.run_id = 0x1234;
    return cfg;
}

static void test_all(void)
{
    struct mb_config cfg = cfg_of(3, 2, "mqttbench/test", NULL, "all");
    struct topology t;
    char err[256];
    CHECK("all: builds", topology_build(&t, &cfg, "h", 0x1234, err, sizeof(err)) == 0);
    CHECK("all: two receivers hearing everyone, uniform", t.nreceivers == 2 && t.matches[0].all &&
                                                          t.matches[1].all && t.uniform);
    CHECK("all: fanout 2 per publisher", t.pub_fanout[0] == 2 && t.pub_fanout[2] == 2);
    topology_free(&t);
}

static void test_share(void)
{
    struct mb_config cfg = cfg_of(2, 4, "mqttbench/test", "$share/g/mqttbench/test", "all");
    struct topology t;
    char err[256];
    CHECK("share: builds", topology_build(&t, &cfg, "h", 0x1234, err, sizeof(err)) == 0);
    CHECK("share: one receiver of 4 members", t.nreceivers == 1 && t.receiver_members[0] == 4 &&
                                              t.receiver_shared[0] && !t.uniform);
    CHECK("share: each publisher reaches it once", t.pub_fanout[0] == 1 && t.pub_fanout[1] == 1);
    topology_free(&t);
}

static void test_pairs(void)
{
    struct mb_config cfg = cfg_of(3, 3, "mqttbench/test", NULL, "pairs");
    struct topology t;
    char err[256];
    CHECK("pairs: builds", topology_build(&t, &cfg, "h", 0x1234, err, sizeof(err)) == 0);
    CHECK("pairs: topics per publisher", !strcmp(t.pub_topics[2], "mqttbench/test/2") &&
                                         !strcmp(t.sub_filters[2], "mqttbench/test/2"));
    CHECK("pairs: receiver 1 hears publisher 1 only", !t.matches[1].all && t.matches[1].n == 1 &&
                                                      topology_match_has(&t.matches[1], 1) &&
                                                      !topology_match_has(&t.matches[1], 0) &&
                                                      !topology_match_has(&t.matches[1], 2));
    topology_free(&t);
}

static void test_match_has(void)
{
    uint32_t list[] = { 1, 4, 9 };
    struct topology_match m = { .all = false, .pubs = list, .n = 3 };
    CHECK("match: in the list", topology_match_has(&m, 4) && topology_match_has(&m, 9) && topology_match_has(&m, 1));
    CHECK("match: between and beyond", !topology_match_has(&m, 0) && !topology_match_has(&m, 5) &&
                                       !topology_match_has(&m, 10));
    struct topology_match none = { .all = false, .pubs = NULL, .n = 0 };
    CHECK("match: an empty list hears nobody", !topology_match_has(&none, 0));
    struct topology_match all = { .all = true };
    CHECK("match: all", topology_match_has(&all, 12345));
}

static void test_check(void)
{
    char err[512] = "";
    struct mb_config cfg = cfg_of(1, 1, "mqttbench/a.b", "mqttbench/a/b", "all");
    int rc = topology_check(&cfg, err, sizeof(err));
    CHECKF("check: a filter that hears nobody is refused, with the '.' hint", rc == -1 &&
           !strcmp(err, "subscriber 0's filter 'mqttbench/a/b' matches no publisher topic (publisher 0 publishes to "
                        "'mqttbench/a.b'; '.' is not a level separator in MQTT, though RabbitMQ maps it to '/')"),
           "'%s'", err);
    cfg = cfg_of(2, 3, "mqttbench/%i", "mqttbench/%i", "all");
    rc = topology_check(&cfg, err, sizeof(err));
    CHECKF("check: the first subscriber that hears nobody is named", rc == -1 &&
           !strncmp(err, "subscriber 2's filter 'mqttbench/2' matches no publisher topic (publisher 0 publishes to "
                         "'mqttbench/0')", 200), "'%s'", err);
    cfg = cfg_of(2, 2, "mqttbench/%i", "mqttbench/+", "all");
    CHECK("check: wildcards that match pass", topology_check(&cfg, err, sizeof(err)) == 0);
    cfg = cfg_of(2, 2, "mqttbench/test", "$share/g/other", "all");
    rc = topology_check(&cfg, err, sizeof(err));
    CHECKF("check: a share group's filter too", rc == -1 && strstr(err, "'$share/g/other' matches no publisher"),
           "'%s'", err);
    cfg = cfg_of(1, 1, "mqttbench/a.b", "other", "all");
    cfg.mode = MB_MODE_SUB;
    CHECK("check: only in both", topology_check(&cfg, err, sizeof(err)) == 0);
}

int main(void)
{
    test_all();
    test_share();
    test_pairs();
    test_match_has();
    test_check();
    return test_failures ? 1 : 0;
}
