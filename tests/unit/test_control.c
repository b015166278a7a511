/* Unit tests for control.c: what arrives from the broker is checked before
 * use, the announcements a subscriber and a publisher act on, and the outbox
 * is sent without the control mutex held. */
#include "clock.h"
#include "control.h"
#include "test.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static struct mb_config cfg_of(enum mb_mode mode)
{
    struct mb_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = mode;
    cfg.control_prefix = "mqttbench/ctl";
    cfg.run_id = 0x2f1c;
    cfg.subscribers = 1;
    cfg.publishers = 1;
    return cfg;
}

#define PREFIX "mqttbench/ctl/0000000000002f1c"

static void deliver(struct control *c, const char *topic, const char *payload)
{
    control_on_message(c, topic, payload, strlen(payload), 1700000000000000000ull);
}

static size_t npubs(struct control *c)
{
    struct control_pub pubs[CONTROL_MAX_PEERS];
    return control_publishers(c, pubs, CONTROL_MAX_PEERS);
}

static void test_ranges(void)
{
    struct mb_config cfg = cfg_of(MB_MODE_SUB);
    struct control c;
    control_init(&c, &cfg, "host");
    deliver(&c, PREFIX "/pub/a-1/start", "{\"first\":1e20,\"count\":-5}");
    deliver(&c, PREFIX "/pub/a-1/start", "{\"first\":0,\"count\":0}");
    deliver(&c, PREFIX "/pub/a-1/start", "{\"first\":16777215,\"count\":2}");
    deliver(&c, PREFIX "/pub/a-1/start", "{\"first\":0.5,\"count\":1}");
    deliver(&c, PREFIX "/pub/a-1/start", "{\"first\":\"0\",\"count\":1}");
    deliver(&c, PREFIX "/pub/a-1/start", "[1,2]");
    deliver(&c, PREFIX "/pub/a-1/start", "not json");
    deliver(&c, PREFIX "/pub/a-1/start/extra", "{\"first\":0,\"count\":1}");
    deliver(&c, PREFIX "/pub/a-1/hello", "{\"first\":0,\"count\":1}");
    deliver(&c, PREFIX "/pub/a-1/end", "{\"first\":0,\"sent\":[1e300]}");
    deliver(&c, PREFIX "/pub/a-1/end", "{\"first\":0,\"sent\":[-1]}");
    deliver(&c, PREFIX "/pub/a-1/end", "{\"first\":0,\"sent\":[]}");
    deliver(&c, PREFIX "/pub/a-1/end", "{\"first\":0,\"sent\":3}");
    CHECKF("control: out-of-range or malformed announcements create no publisher", npubs(&c) == 0,
           "%zu publishers", npubs(&c));

    deliver(&c, PREFIX "/pub/a-1/start", "{\"first\":4,\"count\":2}");
    struct control_pub pubs[CONTROL_MAX_PEERS];
    size_t n = control_publishers(&c, pubs, CONTROL_MAX_PEERS);
    CHECK("control: a valid start announces a publisher", n == 1 && pubs[0].first == 4 && pubs[0].count == 2);
    deliver(&c, PREFIX "/pub/a-1/start", "{\"first\":4,\"count\":2}");
    CHECK("control: a repeated start is the same publisher", npubs(&c) == 1);

    deliver(&c, PREFIX "/pub/a-1/end", "{\"first\":4,\"sent\":[10,20.5]}");
    size_t announced, ended;
    uint64_t total;
    control_progress(&c, &announced, &ended, &total);
    CHECK("control: an end with a fractional count is ignored", ended == 0);
    deliver(&c, PREFIX "/pub/a-1/end", "{\"first\":4,\"sent\":[10,20]}");
    control_progress(&c, &announced, &ended, &total);
    CHECK("control: a valid end counts", announced == 1 && ended == 1 && total == 30);
    uint64_t expected[8];
    control_expected(&c, expected, 8);
    CHECK("control: expected per publisher index", expected[4] == 10 && expected[5] == 20 &&
                                                   expected[3] == UINT64_MAX && expected[6] == UINT64_MAX);
    char why[400];
    deliver(&c, PREFIX "/pub/a-1/abort", "{\"reason\":\"late\",\"before_publishing\":true}");
    CHECK("control: an abort after the end is not a departure", !control_publisher_left(&c, why, sizeof(why)));
    control_free(&c);
}

static void test_left(void)
{
    struct mb_config cfg = cfg_of(MB_MODE_SUB);
    struct control c;
    control_init(&c, &cfg, "host");
    char why[400] = "";
    deliver(&c, PREFIX "/pub/x-9/abort", "{\"reason\":\"r\",\"before_publishing\":true}");
    CHECK("control: an abort from an unknown publisher is ignored", !control_publisher_left(&c, why, sizeof(why)));
    deliver(&c, PREFIX "/pub/x-9/start", "{\"first\":0,\"count\":1}");
    deliver(&c, PREFIX "/pub/x-9/abort",
            "{\"reason\":\"start barrier: 1 of 2\\nready\",\"before_publishing\":true}");
    bool left = control_publisher_left(&c, why, sizeof(why));
    CHECKF("control: a publisher that gave up is named, on one line",
           left && !strcmp(why, "publisher x-9 gave up before publishing: start barrier: 1 of 2 ready"), "'%s'", why);
    control_free(&c);

    control_init(&c, &cfg, "host");
    deliver(&c, PREFIX "/pub/y-1/start", "{\"first\":0,\"count\":1}");
    deliver(&c, PREFIX "/pub/y-1/gone", "{\"id\":\"y-1\"}");
    left = control_publisher_left(&c, why, sizeof(why));
    CHECKF("control: a will names a publisher that vanished",
           left && strstr(why, "publisher y-1 left without announcing its end"), "'%s'", why);
    control_free(&c);
}

static void test_subscribers(void)
{
    struct mb_config cfg = cfg_of(MB_MODE_PUB);
    struct control c;
    control_init(&c, &cfg, "host");
    char self[160];
    snprintf(self, sizeof(self), "{\"synced\":[\"%s\"]}", c.self_id);
    deliver(&c, PREFIX "/sub/s-1/ready", "{\"synced\":[]}");
    deliver(&c, PREFIX "/sub/s-1/ready", "{\"synced\":[]}");
    deliver(&c, PREFIX "/sub/s-2/ready", self);
    deliver(&c, PREFIX "/sub/s-3/ready", "{\"synced\":7}");
    CHECK("control: ready subscribers, once each", control_ready_subscribers(&c, false) == 3);
    CHECK("control: synced subscribers", control_ready_subscribers(&c, true) == 1);
    deliver(&c, PREFIX "/sub/s-1/gone", "{}");
    CHECK("control: a vanished subscriber is no longer ready", control_ready_subscribers(&c, false) == 2);
    deliver(&c, PREFIX "/sub/s-2/done", "{}");
    CHECK("control: done and vanished subscribers", control_done_subscribers(&c) == 2);
    control_free(&c);
}

struct flush_probe {
    struct control *c;
    int sent, locked;
    char last_topic[400], last_payload[400];
};

static int probe_send(void *ctx, const char *topic, const char *payload, size_t len)
{
    struct flush_probe *p = ctx;
    /* The mutex must be free while a message goes out. */
    if (pthread_mutex_trylock(&p->c->mu) == 0) pthread_mutex_unlock(&p->c->mu);
    else p->locked++;
    p->sent++;
    snprintf(p->last_topic, sizeof(p->last_topic), "%s", topic);
    snprintf(p->last_payload, sizeof(p->last_payload), "%.*s", (int)len, payload);
    return 0;
}

static void test_flush(void)
{
    struct mb_config cfg = cfg_of(MB_MODE_PUB);
    struct control c;
    control_init(&c, &cfg, "host");
    control_announce_start(&c, 0, 1);
    deliver(&c, PREFIX "/clock/req/x", "{\"from\":\"s-1\",\"t1\":1000}");
    deliver(&c, PREFIX "/clock/req/x", "{\"from\":\"s/#\",\"t1\":1000}");
    deliver(&c, PREFIX "/clock/req/x", "{\"from\":\"s-1\",\"t1\":-4}");
    struct flush_probe p = { .c = &c };
    control_flush(&c, probe_send, &p);
    CHECKF("control: start and one valid clock answer sent", p.sent == 2, "%d sent", p.sent);
    CHECK("control: sent without the control mutex held", p.locked == 0);
    CHECK("control: the clock answer goes to the asker",
          !strcmp(p.last_topic, PREFIX "/clock/resp/s-1") && strstr(p.last_payload, "\"t1\":1000,\"t2\":"));
    p.sent = 0;
    control_tick(&c, UINT64_MAX / 2);
    control_flush(&c, probe_send, &p);
    CHECK("control: the start is announced again", p.sent == 1 && strstr(p.last_topic, "/start"));
    control_announce_abort(&c, "why");
    control_announce_abort(&c, "again");
    p.sent = 0;
    control_tick(&c, UINT64_MAX - 1);
    control_flush(&c, probe_send, &p);
    CHECKF("control: one abort, then no more starts", p.sent == 1 && strstr(p.last_topic, "/abort") &&
           strstr(p.last_payload, "\"before_publishing\":true"), "%d sent, %s", p.sent, p.last_payload);
    control_free(&c);
}

static void test_sub_flush(void)
{
    struct mb_config cfg = cfg_of(MB_MODE_SUB);
    struct control c;
    control_init(&c, &cfg, "host");
    control_announce_ready(&c);
    deliver(&c, PREFIX "/pub/p-1/start", "{\"first\":0,\"count\":1}");
    struct flush_probe p = { .c = &c };
    control_tick(&c, 1);
    control_flush(&c, probe_send, &p);
    CHECKF("control: ready, then a clock request stamped at send", p.sent == 2 &&
           strstr(p.last_topic, "/clock/req/p-1") && strstr(p.last_payload, ",\"t1\":"), "%d %s", p.sent,
           p.last_payload);
    char will_topic[400], will[200];
    control_will(&c, will_topic, sizeof(will_topic), will, sizeof(will));
    CHECK("control: a sub's will", strstr(will_topic, PREFIX "/sub/") && strstr(will_topic, "/gone"));
    control_free(&c);
}

/* --reconnect, subscriber side: a will marks a publisher down, not gone; an
 * announcement on a newer connection brings it back; a will of an older
 * connection says nothing; silence for --wait-timeout while we are connected
 * is a departure; another process under the same id is one too. */
static void test_reconnect_sub(void)
{
    struct mb_config cfg = cfg_of(MB_MODE_SUB);
    cfg.reconnect = "100ms..1s";
    cfg.wait_timeout_ns = 2000000000ull;
    struct control c;
    control_init(&c, &cfg, "host");
    control_connected(&c);
    char why[400] = "";
    deliver(&c, PREFIX "/pub/p-1/start", "{\"first\":0,\"count\":1,\"inst\":\"00000000000000a1\",\"conn\":1}");
    deliver(&c, PREFIX "/pub/p-1/gone", "{\"id\":\"p-1\",\"inst\":\"00000000000000a1\",\"conn\":1}");
    CHECK("control: with --reconnect, a will is not a departure", !control_publisher_left(&c, why, sizeof(why)));
    deliver(&c, PREFIX "/pub/p-1/start", "{\"first\":0,\"count\":1,\"inst\":\"00000000000000a1\",\"conn\":1}");
    struct control_pub pubs[CONTROL_MAX_PEERS];
    control_publishers(&c, pubs, CONTROL_MAX_PEERS);
    CHECK("control: a late message of the connection whose will came leaves it down", pubs[0].down);
    deliver(&c, PREFIX "/pub/p-1/start", "{\"first\":0,\"count\":1,\"inst\":\"00000000000000a1\",\"conn\":2}");
    control_publishers(&c, pubs, CONTROL_MAX_PEERS);
    CHECK("control: an announcement on a newer connection brings it back", !pubs[0].down && pubs[0].conn == 2);
    deliver(&c, PREFIX "/pub/p-1/gone", "{\"id\":\"p-1\",\"inst\":\"00000000000000a1\",\"conn\":1}");
    control_publishers(&c, pubs, CONTROL_MAX_PEERS);
    CHECK("control: the will of an older connection is ignored", !pubs[0].down);

    uint64_t now = clock_mono_ns();
    control_lost(&c);
    control_tick(&c, now + 3000000000ull);
    CHECK("control: no silence counts while our own control client is down",
          !control_publisher_left(&c, why, sizeof(why)));
    control_connected(&c);
    control_tick(&c, now + 1000000000ull);
    CHECK("control: silent for less than --wait-timeout: still there", !control_publisher_left(&c, why, sizeof(why)));
    deliver(&c, PREFIX "/pub/p-1/gone", "{\"id\":\"p-1\",\"inst\":\"00000000000000a1\",\"conn\":2}");
    control_tick(&c, clock_mono_ns() + 2100000000ull);
    bool left = control_publisher_left(&c, why, sizeof(why));
    CHECKF("control: down for --wait-timeout: left, named, and why",
           left && !strcmp(why, "publisher p-1 left without announcing its end: its connection to the broker ended "
                                "without a DISCONNECT (killed?) and it did not come back within 2 s (--wait-timeout)"),
           "'%s'", why);
    control_free(&c);

    control_init(&c, &cfg, "host");
    control_connected(&c);
    deliver(&c, PREFIX "/pub/q-1/start", "{\"first\":0,\"count\":1,\"inst\":\"b2\",\"conn\":1}");
    control_tick(&c, clock_mono_ns() + 2100000000ull);
    left = control_publisher_left(&c, why, sizeof(why));
    CHECKF("control: silent for --wait-timeout without a will: left", left && strstr(why, "nothing heard from it"),
           "'%s'", why);
    control_free(&c);

    control_init(&c, &cfg, "host");
    deliver(&c, PREFIX "/pub/q-1/start", "{\"first\":0,\"count\":1,\"inst\":\"b2\",\"conn\":3}");
    deliver(&c, PREFIX "/pub/q-1/end", "{\"first\":0,\"sent\":[7],\"inst\":\"b2\",\"conn\":3}");
    deliver(&c, PREFIX "/pub/q-1/gone", "{\"id\":\"q-1\",\"inst\":\"b2\",\"conn\":3}");
    size_t announced, ended;
    uint64_t total;
    control_progress(&c, &announced, &ended, &total);
    CHECK("control: a will after the end changes nothing", ended == 1 && total == 7 &&
                                                           !control_publisher_left(&c, why, sizeof(why)));
    deliver(&c, PREFIX "/pub/r-1/start", "{\"first\":1,\"count\":1,\"inst\":\"c3\",\"conn\":1}");
    deliver(&c, PREFIX "/pub/r-1/start", "{\"first\":1,\"count\":1,\"inst\":\"c4\",\"conn\":1}");
    left = control_publisher_left(&c, why, sizeof(why));
    CHECKF("control: another process under the same id: the first has left",
           left && strstr(why, "publisher r-1 left") && strstr(why, "another process announced itself"), "'%s'", why);
    control_free(&c);

    cfg.reconnect = NULL;
    control_init(&c, &cfg, "host");
    deliver(&c, PREFIX "/pub/p-1/start", "{\"first\":0,\"count\":1,\"inst\":\"a1\",\"conn\":2}");
    deliver(&c, PREFIX "/pub/p-1/gone", "{\"id\":\"p-1\",\"inst\":\"a1\",\"conn\":1}");
    CHECK("control: without --reconnect, an older connection's will is ignored too",
          !control_publisher_left(&c, why, sizeof(why)));
    control_free(&c);
}

/* --reconnect, publisher side: the end is repeated (a subscriber may have
 * been cut off when it went), announced again at once on a reconnect, and
 * never followed by an abort; a subscriber back on a newer connection is
 * ready again; the will names the next connection. */
static void test_reconnect_pub(void)
{
    struct mb_config cfg = cfg_of(MB_MODE_PUB);
    cfg.reconnect = "100ms..1s";
    struct control c;
    control_init(&c, &cfg, "host");
    char will_topic[400], will[200];
    control_will(&c, will_topic, sizeof(will_topic), will, sizeof(will));
    CHECKF("control: the first will names connection 1 and the instance",
           strstr(will, "\"conn\":1}") && strstr(will, "\"inst\":\""), "%s", will);
    control_connected(&c);
    control_will(&c, will_topic, sizeof(will_topic), will, sizeof(will));
    CHECKF("control: after a connection, the will is the next one's", strstr(will, "\"conn\":2}"), "%s", will);

    struct flush_probe p = { .c = &c };
    control_announce_start(&c, 0, 2);
    control_flush(&c, probe_send, &p);
    CHECKF("control: the start names its connection", strstr(p.last_payload, "\"conn\":1"), "%s", p.last_payload);
    uint64_t sent[2] = { 5, 6 };
    control_announce_end(&c, 0, sent, 2);
    p.sent = 0;
    control_flush(&c, probe_send, &p);
    CHECKF("control: the end", p.sent == 1 && strstr(p.last_topic, "/end") &&
           strstr(p.last_payload, "\"sent\":[5,6]"), "%d %s", p.sent, p.last_payload);
    p.sent = 0;
    control_tick(&c, UINT64_MAX / 2);
    control_flush(&c, probe_send, &p);
    CHECKF("control: the end is announced again, not the start", p.sent == 1 && strstr(p.last_topic, "/end") &&
           strstr(p.last_payload, "\"sent\":[5,6]"), "%d %s", p.sent, p.last_topic);
    control_lost(&c);
    control_connected(&c);
    p.sent = 0;
    control_flush(&c, probe_send, &p);
    CHECKF("control: back after a loss, the end again at once, on connection 2", p.sent == 1 &&
           strstr(p.last_topic, "/end") && strstr(p.last_payload, "\"conn\":2"), "%d %s", p.sent, p.last_payload);
    control_announce_abort(&c, NULL);
    p.sent = 0;
    control_flush(&c, probe_send, &p);
    CHECK("control: no abort after the end", p.sent == 0);

    deliver(&c, PREFIX "/sub/s-1/ready", "{\"synced\":[],\"conn\":1}");
    deliver(&c, PREFIX "/sub/s-1/gone", "{\"conn\":1}");
    CHECK("control: a vanished subscriber is not done with --reconnect", control_done_subscribers(&c) == 0);
    deliver(&c, PREFIX "/sub/s-1/ready", "{\"synced\":[],\"conn\":1}");
    CHECK("control: its ready sent before its will: still gone", control_ready_subscribers(&c, false) == 0);
    deliver(&c, PREFIX "/sub/s-1/ready", "{\"synced\":[],\"conn\":2}");
    CHECK("control: ready again on a newer connection", control_ready_subscribers(&c, false) == 1);
    control_free(&c);
}

int main(void)
{
    test_ranges();
    test_left();
    test_subscribers();
    test_flush();
    test_sub_flush();
    test_reconnect_sub();
    test_reconnect_pub();
    return test_failures ? 1 : 0;
}
