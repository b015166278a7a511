/* A typed result with every field set, for the result, merge and metrics
 * tests: what a real run of each mode fills in. */
#ifndef MB_TEST_SAMPLE_H
#define MB_TEST_SAMPLE_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfile.h"
#include "options.h"
#include "reader.h"
#include "result.h"

/* Fill c and r (r zeroed first) as a run of mode would; r->cfg = c. Free r
 * with result_free. */
static inline void sample_result(struct run_result *r, struct mb_config *c, enum mb_mode mode)
{
    memset(c, 0, sizeof(*c));
    c->mode = mode;
    c->host = "broker.example";
    c->port = 1883;
    c->topic = "bench/%i";
    c->id_prefix = "mb";
    c->shape = "all";
    c->control_prefix = "mqttbench/ctl";
    c->username = "\xc3\xbcser";        /* "üser" */
    c->password = "secret";
    c->keepalive_s = 60;
    c->protocol = 5;
    c->qos = c->pub_qos = c->sub_qos = 1;
    c->size = 64;
    c->count = 20000;
    c->duration_ns = 1500000000;
    c->publishers = mode == MB_MODE_SUB ? 0 : 2;
    c->subscribers = mode == MB_MODE_PUB ? 0 : 3;
    c->threads = 2;
    c->rate = mode == MB_MODE_SUB ? 0 : 8000.5;
    c->inflight = 20;
    c->backlog = mode == MB_MODE_BOTH ? 10 : 0;
    c->sub_delay_ns = 1234;
    c->drain_timeout_ns = 3000000000ull;
    c->connect_timeout_ns = 10000000000ull;
    c->connect_rate = 2000;
    snprintf(c->bind_addresses[0], sizeof(c->bind_addresses[0]), "127.0.0.1");
    c->nbind = 1;
    c->warmup_ns = mode == MB_MODE_BOTH ? 250000000 : 0;
    c->wait_subscribers = mode == MB_MODE_PUB ? 1 : 0;
    c->wait_timeout_ns = 30000000000ull;
    c->run_id = 0x0123456789abcdefull;
    c->repeat = 1;
    c->session_expiry_s = -1;
    c->clean = true;
    c->clock_monotonic = mode != MB_MODE_BOTH;

    memset(r, 0, sizeof(*r));
    result_init(r, c);
    stats_init(&r->total);
    struct result_env *e = &r->env;
    snprintf(e->version, sizeof(e->version), "0.1.0");
    snprintf(e->git_revision, sizeof(e->git_revision), "0123456789ab");
    snprintf(e->libmosquitto, sizeof(e->libmosquitto), "2.0.11");
    snprintf(e->hostname, sizeof(e->hostname), "host-\xc3\xa4");
    e->pid = mode == MB_MODE_PUB ? 4243 : 4242;
    snprintf(e->cpu_model, sizeof(e->cpu_model), "Test CPU @ 2.00GHz");
    e->cpu_count = 2;
    snprintf(e->kernel, sizeof(e->kernel), "Linux 6.1.0 x86_64");
    snprintf(e->start_time, sizeof(e->start_time), "2026-12-01T10:00:00Z");
    snprintf(e->broker_address, sizeof(e->broker_address), "broker.example:1883");
    snprintf(e->broker_version, sizeof(e->broker_version), "mosquitto version 2.0.11");

    r->connect_s = 0.012345678;
    r->measure_s = 2.5;
    r->drain_s = mode == MB_MODE_SUB ? 0 : 0.1;
    struct stats *t = &r->total;
    for (uint64_t i = 1; i <= 6; i++) hist_record(&t->connect_lat, 100000 + i * 7919);
    t->disconnects = 1;
    r->clients = 6;
    r->connect_failures = 2;
    result_add_failure(r, "connection refused", 2);
    if (mode != MB_MODE_SUB) {
        t->pub_done = 20000;
        t->pub_bytes = 1280000;
        t->pub_errors = 1;
        t->pub_missed_slots = 3;
        t->pub_max_lag_ns = 1234567;
        r->pub_duration_s = 2.4999;
        r->publishers_done = 2;
    }
    if (mode != MB_MODE_PUB) {
        t->sub_unique = 59990;
        t->sub_foreign = 2;
        t->sub_negative = 1;
        for (uint64_t i = 0; i < 59990; i++) {
            hist_record(&t->lat, 20000 + (i * 7919) % 900000);
            hist_record(&t->service_lat, 19000 + (i * 104729) % 800000);
        }
        r->sub_duration_s = 2.51;
        r->expected = 60000;
        r->expected_known = true;
        r->lost = 10;
        r->lost_exact = true;
        r->duplicates = 4;
        r->out_of_order = 7;
    }
    for (int i = 1; i <= 3; i++) {
        struct result_point p = { i * 1.0001, (uint64_t)i * 8000, (uint64_t)i * 23990, 120.5 * i, 880.25 * i };
        result_add_point(r, &p);
    }
    r->workers = calloc(2, sizeof(*r->workers));
    r->nworkers = 2;
    r->workers[0] = (struct result_worker){ 0.75, 0.3 };
    r->workers[1] = (struct result_worker){ 1.25, 0.5 };
    r->max_utilization = 0.5;
    snprintf(r->clock.method, sizeof(r->clock.method), "NTP-style over the broker, min round trip of 32");
    r->clock.offset_us = -12.5;
    r->clock.uncertainty_us = 3.25;
    r->clock.drift_us = 0.5;
    r->clock.samples = 64;
    r->clock.npeers = 1;
    snprintf(r->clock.peers[0].id, sizeof(r->clock.peers[0].id), "pubhost-4243");
    r->clock.peers[0].before_us = -12.5;
    r->clock.peers[0].after_us = -12;
    r->clock.peers[0].uncertainty_us = 3.25;
    r->clock.peers[0].samples = 32;
    result_add_warning(r, "publishing processes pubhost-1 and pubhost-2 announced overlapping publisher indexes");
    r->schedule_lagging = mode != MB_MODE_SUB;
    r->cpu_user_s = 0.25;
    r->cpu_sys_s = 0.125;
    r->peak_rss_kb = 5000;
    r->read_syscalls = 1234;
    r->write_syscalls = 567;
}

/* r as the text result_write writes (caller frees). */
static inline char *sample_text(const struct run_result *r)
{
    cJSON *doc = result_to_json(r);
    char *text = doc ? jsonfile_print(doc) : NULL;
    cJSON_Delete(doc);
    return text;
}

/* text read back into r (result_free it): result_parse's status, err filled. */
static inline int sample_read(const char *text, struct run_result *r, char *err, size_t errlen)
{
    return result_parse(text, strlen(text), "T", r, err, errlen);
}

/* Print where two texts that should be equal first differ (nothing when equal). */
static inline void sample_show_difference(const char *a, const char *b)
{
    size_t i = 0;
    if (!a || !b || strcmp(a, b) == 0) return;
    while (a[i] == b[i]) i++;
    printf("# first difference at byte %zu: '%.80s' vs '%.80s'\n", i, a + (i > 40 ? i - 40 : 0), b + (i > 40 ? i - 40 : 0));
}

#endif
