/* libFuzzer target for the control plane: control messages are the one input
 * that reaches mqttbench from the network, from any client of the broker.
 *
 * An input is a sequence of messages separated by NUL bytes, each
 * "TOPIC-SUFFIX\nPAYLOAD" (the topic is PREFIX/TOPIC-SUFFIX); the first byte
 * picks the side (odd: a sub, even: a pub). They go through
 * control_on_message in order, with control_tick and control_flush between
 * them, then through every query the run makes. Built by `make fuzz`, run by
 * `make fuzz-run` (tests/fuzz/fuzz.mk). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sink(void *ctx, const char *topic, const char *payload, size_t len)
{
    size_t *n = ctx;
    *n += strlen(topic) + len + (len ? (unsigned char)payload[len - 1] : 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct mb_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = data[0] & 1 ? MB_MODE_SUB : MB_MODE_PUB;
    cfg.control_prefix = "p";
    cfg.run_id = 1;
    cfg.publishers = cfg.subscribers = 1;
    if (data[0] & 2) {   /* --reconnect: wills mark peers down, silence is a departure */
        cfg.reconnect = "1s";
        cfg.wait_timeout_ns = 1000000;
    }
    static struct control c;
    control_init(&c, &cfg, "fuzz");
    control_connected(&c);
    if (cfg.mode == MB_MODE_SUB) control_announce_ready(&c);
    else control_announce_start(&c, 0, 1);
    size_t out = 0;
    uint64_t now = 1;
    const uint8_t *p = data + 1, *end = data + size;
    while (p < end) {
        const uint8_t *rec_end = memchr(p, 0, (size_t)(end - p));
        if (!rec_end) rec_end = end;
        const uint8_t *nl = memchr(p, '\n', (size_t)(rec_end - p));
        char topic[512];
        size_t tlen = nl ? (size_t)(nl - p) : (size_t)(rec_end - p);
        if (tlen > 400) tlen = 400;
        int n = snprintf(topic, sizeof(topic), "p/0000000000000001/");
        memcpy(topic + n, p, tlen);
        topic[n + (int)tlen] = '\0';
        const uint8_t *payload = nl ? nl + 1 : rec_end;
        control_on_message(&c, topic, payload, (size_t)(rec_end - payload), 1700000000000000000ull + now);
        now += 2500000;   /* a clock request per message */
        control_tick(&c, now);
        control_flush(&c, sink, &out);
        p = rec_end + 1;
    }
    char why[400];
    uint64_t expected[64], total;
    size_t announced, ended;
    struct control_pub pubs[CONTROL_MAX_PEERS];
    control_publisher_left(&c, why, sizeof(why));
    control_expected(&c, expected, 64);
    control_progress(&c, &announced, &ended, &total);
    control_publishers(&c, pubs, CONTROL_MAX_PEERS);
    control_ready_subscribers(&c, true);
    control_done_subscribers(&c);
    control_sync_after(&c);
    control_tick(&c, now + 1000000000ull);
    control_offset(&c, 0);
    control_announce_done(&c);
    control_flush(&c, sink, &out);
    control_free(&c);
    return 0;
}
