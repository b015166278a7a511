/* The control plane: announcements, the start barrier, clock offsets. */
#include "control.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define CONTROL_SYNC_GAP_NS 2000000ull   /* between two clock requests */

uint64_t control_now_ns(const struct control *c)
{
    return clock_real_ns() + (uint64_t)c->skew_ns;
}

int control_init(struct control *c, const struct mb_config *cfg, const char *hostname)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->cfg = cfg;
    c->sync_peer = -1;
    snprintf(c->prefix, sizeof(c->prefix), "%s/%016llx", cfg->control_prefix, (unsigned long long)cfg->run_id);
    snprintf(c->self_id, sizeof(c->self_id), "%s-%ld", hostname, (long)getpid());
    for (char *p = c->self_id; *p; p++)
        if (*p == '/' || *p == '+' || *p == '#') *p = '_';
    const char *skew = getenv("MQTTBENCH_TEST_CLOCK_SKEW_NS");
    if (skew && *skew) c->skew_ns = strtoll(skew, NULL, 10);
    return 0;
}

void control_free(struct control *c)
{
    for (size_t i = 0; i < c->nout; i++) free(c->out[i].payload);
    for (size_t i = 0; i < c->npubs; i++) free(c->pubs[i].sent);
    free(atomic_load(&c->offsets));
    for (size_t i = 0; i < c->nretired; i++) free(c->retired[i]);
    pthread_mutex_destroy(&c->mu);
}

/* Queue a message; takes ownership of payload (caller holds the mutex). */
static void queue_locked(struct control *c, const char *topic, char *payload, bool retain)
{
    if (c->nout == sizeof(c->out) / sizeof(c->out[0])) {
        free(payload);   /* the outbox is drained every loop turn: cannot fill in practice */
        return;
    }
    snprintf(c->out[c->nout].topic, sizeof(c->out[0].topic), "%s", topic);
    c->out[c->nout].payload = payload;
    c->out[c->nout].retain = retain;
    c->out[c->nout].clock_resp = false;
    c->out[c->nout].t1 = 0;
    c->nout++;
}

static void queue_json(struct control *c, const char *topic, cJSON *obj, bool retain)
{
    char *text = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (text) queue_locked(c, topic, text, retain);
}

size_t control_subscriptions(struct control *c, char topics[][400], size_t max)
{
    size_t n = 0;
    if (max < 3) return 0;
    if (c->cfg->mode == MB_MODE_SUB) {
        snprintf(topics[n++], 400, "%s/pub/+/+", c->prefix);
        snprintf(topics[n++], 400, "%s/clock/resp/%s", c->prefix, c->self_id);
    } else {
        snprintf(topics[n++], 400, "%s/sub/+/+", c->prefix);
        snprintf(topics[n++], 400, "%s/clock/req/%s", c->prefix, c->self_id);
    }
    return n;
}

static double num(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static struct control_pub *find_pub(struct control *c, const char *id, bool create)
{
    for (size_t i = 0; i < c->npubs; i++)
        if (!strcmp(c->pubs[i].id, id)) return &c->pubs[i];
    if (!create || c->npubs == CONTROL_MAX_PEERS) return NULL;
    struct control_pub *p = &c->pubs[c->npubs++];
    memset(p, 0, sizeof(*p));
    snprintf(p->id, sizeof(p->id), "%s", id);
    return p;
}

/* Publish the offsets the data path uses (a fresh immutable table). */
static void publish_offsets_locked(struct control *c)
{
    struct control_offsets *o = calloc(1, sizeof(*o));
    if (!o) return;
    for (size_t i = 0; i < c->npubs && o->n < CONTROL_MAX_PEERS; i++) {
        const struct control_pub *p = &c->pubs[i];
        if (!p->synced_before) continue;
        o->r[o->n].first = p->first;
        o->r[o->n].count = p->count;
        o->r[o->n].offset_ns = p->before.offset_ns;
        o->n++;
    }
    /* A worker may still be reading the old table: keep it until the end. */
    struct control_offsets *old = atomic_exchange_explicit(&c->offsets, o, memory_order_acq_rel);
    if (old) {
        if (c->nretired < sizeof(c->retired) / sizeof(c->retired[0])) c->retired[c->nretired++] = old;
        /* else: more replacements than publishers can cause; cannot happen */
    }
}

static void announce_ready_locked(struct control *c)
{
    char topic[400];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->self_id);
    cJSON_AddNumberToObject(o, "subscribers", c->cfg->subscribers);
    cJSON *synced = cJSON_AddArrayToObject(o, "synced");
    for (size_t i = 0; i < c->npubs; i++)
        if (c->pubs[i].synced_before) cJSON_AddItemToArray(synced, cJSON_CreateString(c->pubs[i].id));
    snprintf(topic, sizeof(topic), "%s/sub/%s/ready", c->prefix, c->self_id);
    queue_json(c, topic, o, true);
}

/* Subscriber: a publishing process spoke. */
static void on_pub_message(struct control *c, const char *id, const char *kind, const cJSON *o)
{
    struct control_pub *p = find_pub(c, id, true);
    if (!p) return;
    if (!strcmp(kind, "start")) {
        p->first = (uint32_t)num(o, "first", 0);
        p->count = (uint32_t)num(o, "count", 0);
        for (size_t i = 0; i < c->npubs && !c->overlap[0]; i++) {
            const struct control_pub *q = &c->pubs[i];
            if (q != p && q->count && p->count && p->first < q->first + q->count && q->first < p->first + p->count)
                snprintf(c->overlap, sizeof(c->overlap),
                         "publishing processes %s and %s use overlapping publisher indexes "
                         "(give each its own --first-publisher range)", q->id, p->id);
        }
        if (!p->synced_before && c->sync_peer < 0) {
            c->sync_peer = (int)(p - c->pubs);
            c->sync_after = false;
            c->sync_sent = c->sync_got = 0;
            c->best_rtt_ns = INT64_MAX;
            c->sync_next_ns = 0;
        }
    } else if (!strcmp(kind, "end")) {
        const cJSON *sent = cJSON_GetObjectItemCaseSensitive(o, "sent");
        p->first = (uint32_t)num(o, "first", p->first);
        uint32_t n = (uint32_t)cJSON_GetArraySize(sent);
        free(p->sent);
        p->sent = calloc(n ? n : 1, sizeof(uint64_t));
        p->count = n;
        p->sent_total = 0;
        for (uint32_t i = 0; p->sent && i < n; i++) {
            const cJSON *v = cJSON_GetArrayItem(sent, (int)i);
            p->sent[i] = cJSON_IsNumber(v) && v->valuedouble >= 0 ? (uint64_t)v->valuedouble : 0;
            p->sent_total += p->sent[i];
        }
        p->ended = true;
    }
}

/* Subscriber: one clock answer (NTP: offset = ((t2 - t1) + (t3 - t4)) / 2). */
static void on_clock_resp(struct control *c, const cJSON *o, uint64_t t4)
{
    if (c->sync_peer < 0) return;
    struct control_pub *p = &c->pubs[c->sync_peer];
    const char *from = str(o, "from");
    if (!from || strcmp(from, p->id)) return;
    int64_t t1 = (int64_t)num(o, "t1", 0), t2 = (int64_t)num(o, "t2", 0), t3 = (int64_t)num(o, "t3", 0);
    int64_t rtt = ((int64_t)t4 - t1) - (t3 - t2);
    c->sync_got++;
    if (rtt >= 0 && rtt < c->best_rtt_ns) {
        c->best_rtt_ns = rtt;
        /* peer clock + offset = our clock */
        c->sync_best.offset_ns = ((t1 - t2) + ((int64_t)t4 - t3)) / 2;
        c->sync_best.uncertainty_ns = rtt / 2;
    }
    c->sync_best.samples = c->sync_got;
}

void control_on_message(struct control *c, const char *topic, const void *payload, size_t len,
                        uint64_t recv_ns)
{
    size_t plen = strlen(c->prefix);
    if (strncmp(topic, c->prefix, plen) != 0 || topic[plen] != '/') return;
    const char *rest = topic + plen + 1;
    cJSON *o = len ? cJSON_ParseWithLength(payload, len) : NULL;
    pthread_mutex_lock(&c->mu);
    char id[96], kind[32];
    if (sscanf(rest, "pub/%95[^/]/%31s", id, kind) == 2 && o) {
        on_pub_message(c, id, kind, o);
    } else if (!strncmp(rest, "clock/resp/", 11) && o) {
        on_clock_resp(c, o, recv_ns);
    } else if (sscanf(rest, "sub/%95[^/]/%31s", id, kind) == 2) {
        size_t i = 0;
        while (i < c->nready && strcmp(c->ready_subs[i], id)) i++;
        if (!strcmp(kind, "ready") && o && i == c->nready && c->nready < CONTROL_MAX_PEERS)
            snprintf(c->ready_subs[c->nready++], sizeof(c->ready_subs[0]), "%s", id);
        if (!strcmp(kind, "ready") && o && i < CONTROL_MAX_PEERS) {
            const cJSON *synced = cJSON_GetObjectItemCaseSensitive(o, "synced"), *s;
            cJSON_ArrayForEach(s, synced)
                if (cJSON_IsString(s) && !strcmp(s->valuestring, c->self_id)) c->ready_synced[i] = true;
        }
        if (!strcmp(kind, "done")) c->ndone++;
    } else if (!strncmp(rest, "clock/req/", 10) && o && c->nout < sizeof(c->out) / sizeof(c->out[0])) {
        /* Publisher: answer at once; t3 is stamped when the answer is sent. */
        const char *from = str(o, "from");
        if (from) {
            snprintf(c->out[c->nout].topic, sizeof(c->out[0].topic), "%s/clock/resp/%s", c->prefix, from);
            c->out[c->nout].payload = NULL;
            c->out[c->nout].retain = false;
            c->out[c->nout].clock_resp = true;
            c->out[c->nout].t1 = (int64_t)num(o, "t1", 0);
            c->out[c->nout].t2 = (int64_t)recv_ns;   /* already on our (skewed) clock */
            c->nout++;
        }
    }
    pthread_mutex_unlock(&c->mu);
    cJSON_Delete(o);
}

void control_tick(struct control *c, uint64_t now_mono_ns)
{
    pthread_mutex_lock(&c->mu);
    if (c->sync_peer >= 0) {
        struct control_pub *p = &c->pubs[c->sync_peer];
        bool enough = c->sync_got >= CONTROL_CLOCK_SAMPLES;
        bool gave_up = c->sync_sent >= CONTROL_CLOCK_SAMPLES * 2 && now_mono_ns > c->sync_next_ns + 100000000ull;
        if (enough || gave_up) {
            if (c->sync_got > 0) {
                if (c->sync_after) {
                    p->after = c->sync_best;
                    p->synced_after = true;
                } else {
                    p->before = c->sync_best;
                    p->synced_before = true;
                    publish_offsets_locked(c);
                    announce_ready_locked(c);
                }
            }
            c->sync_peer = -1;
            /* Next publisher that still needs measuring. */
            for (size_t i = 0; i < c->npubs; i++) {
                bool need = c->sync_after ? !c->pubs[i].synced_after : !c->pubs[i].synced_before;
                if (need && c->pubs[i].count) {
                    c->sync_peer = (int)i;
                    c->sync_sent = c->sync_got = 0;
                    c->best_rtt_ns = INT64_MAX;
                    c->sync_next_ns = 0;
                    break;
                }
            }
        } else if (now_mono_ns >= c->sync_next_ns && c->sync_sent < CONTROL_CLOCK_SAMPLES * 2) {
            char topic[400], payload[160];
            snprintf(topic, sizeof(topic), "%s/clock/req/%s", c->prefix, p->id);
            /* t1 is stamped in control_flush, right before it leaves */
            snprintf(payload, sizeof(payload), "{\"from\":\"%s\",\"seq\":%d}", c->self_id, c->sync_sent);
            if (c->nout < sizeof(c->out) / sizeof(c->out[0])) {
                snprintf(c->out[c->nout].topic, sizeof(c->out[0].topic), "%s", topic);
                c->out[c->nout].payload = strdup(payload);
                c->out[c->nout].retain = false;
                c->out[c->nout].clock_resp = false;
                c->out[c->nout].t1 = -1;   /* marks a request: stamp t1 at send */
                c->nout++;
            }
            c->sync_sent++;
            c->sync_next_ns = now_mono_ns + CONTROL_SYNC_GAP_NS;
        }
    }
    pthread_mutex_unlock(&c->mu);
}

void control_flush(struct control *c, control_send_fn send, void *ctx)
{
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->nout; i++) {
        char buf[400];
        const char *payload = c->out[i].payload;
        if (c->out[i].clock_resp) {
            snprintf(buf, sizeof(buf), "{\"from\":\"%s\",\"t1\":%lld,\"t2\":%lld,\"t3\":%llu}", c->self_id,
                     (long long)c->out[i].t1, (long long)c->out[i].t2, (unsigned long long)control_now_ns(c));
            payload = buf;
        } else if (c->out[i].t1 == -1 && payload) {
            size_t l = strlen(payload);   /* a clock request: append t1 now */
            snprintf(buf, sizeof(buf), "%.*s,\"t1\":%llu}", (int)(l - 1), payload,
                     (unsigned long long)control_now_ns(c));
            payload = buf;
        }
        send(ctx, c->out[i].topic, payload ? payload : "", payload ? strlen(payload) : 0, c->out[i].retain);
        free(c->out[i].payload);
        c->out[i].payload = NULL;
        c->out[i].t1 = 0;
    }
    c->nout = 0;
    pthread_mutex_unlock(&c->mu);
}

void control_announce_start(struct control *c, uint32_t first, uint32_t count)
{
    const struct mb_config *cfg = c->cfg;
    char topic[400];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->self_id);
    cJSON_AddNumberToObject(o, "first", first);
    cJSON_AddNumberToObject(o, "count", count);
    cJSON_AddNumberToObject(o, "messages", (double)cfg->count);
    cJSON_AddNumberToObject(o, "size", (double)cfg->size);
    cJSON_AddNumberToObject(o, "qos", cfg->pub_qos);
    cJSON_AddStringToObject(o, "clock", cfg->clock_monotonic ? "monotonic" : "realtime");
    snprintf(topic, sizeof(topic), "%s/pub/%s/start", c->prefix, c->self_id);
    pthread_mutex_lock(&c->mu);
    queue_json(c, topic, o, true);   /* retained: a subscriber that starts later still learns of us */
    pthread_mutex_unlock(&c->mu);
}

void control_announce_end(struct control *c, uint32_t first, const uint64_t *sent, uint32_t count)
{
    char topic[400];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->self_id);
    cJSON_AddNumberToObject(o, "first", first);
    cJSON *arr = cJSON_AddArrayToObject(o, "sent");
    for (uint32_t i = 0; i < count; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)sent[i]));
    snprintf(topic, sizeof(topic), "%s/pub/%s/end", c->prefix, c->self_id);
    pthread_mutex_lock(&c->mu);
    queue_json(c, topic, o, false);
    pthread_mutex_unlock(&c->mu);
}

size_t control_ready_subscribers(struct control *c, bool want_synced)
{
    pthread_mutex_lock(&c->mu);
    size_t n = 0;
    for (size_t i = 0; i < c->nready; i++)
        if (!want_synced || c->ready_synced[i]) n++;
    pthread_mutex_unlock(&c->mu);
    return n;
}

size_t control_done_subscribers(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->ndone;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void control_announce_ready(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    announce_ready_locked(c);
    pthread_mutex_unlock(&c->mu);
}

void control_announce_done(struct control *c)
{
    char topic[400];
    pthread_mutex_lock(&c->mu);
    snprintf(topic, sizeof(topic), "%s/sub/%s/done", c->prefix, c->self_id);
    queue_locked(c, topic, strdup("{}"), false);
    /* Clear the retained ready so a later run with this id starts clean. */
    snprintf(topic, sizeof(topic), "%s/sub/%s/ready", c->prefix, c->self_id);
    queue_locked(c, topic, NULL, true);
    pthread_mutex_unlock(&c->mu);
}

void control_sync_after(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    c->sync_after = true;
    c->sync_peer = -1;
    for (size_t i = 0; i < c->npubs; i++)
        if (!c->pubs[i].synced_after && c->pubs[i].count) {
            c->sync_peer = (int)i;
            c->sync_sent = c->sync_got = 0;
            c->best_rtt_ns = INT64_MAX;
            c->sync_next_ns = 0;
            break;
        }
    pthread_mutex_unlock(&c->mu);
}

bool control_syncing(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    bool s = c->sync_peer >= 0;
    pthread_mutex_unlock(&c->mu);
    return s;
}

size_t control_publishers(struct control *c, struct control_pub *out, size_t max)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->npubs < max ? c->npubs : max;
    for (size_t i = 0; i < n; i++) {
        out[i] = c->pubs[i];
        out[i].sent = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    return n;
}

size_t control_expected(struct control *c, uint64_t *expected, size_t n)
{
    pthread_mutex_lock(&c->mu);
    size_t ended = 0;
    for (size_t i = 0; i < n; i++) expected[i] = UINT64_MAX;
    for (size_t k = 0; k < c->npubs; k++) {
        const struct control_pub *p = &c->pubs[k];
        if (!p->ended || !p->sent) continue;
        ended++;
        for (uint32_t i = 0; i < p->count; i++)
            if ((size_t)p->first + i < n) expected[p->first + i] = p->sent[i];
    }
    pthread_mutex_unlock(&c->mu);
    return ended;
}

void control_progress(struct control *c, size_t *announced, size_t *ended, uint64_t *sent_total)
{
    pthread_mutex_lock(&c->mu);
    *announced = c->npubs;
    *ended = 0;
    *sent_total = 0;
    for (size_t i = 0; i < c->npubs; i++)
        if (c->pubs[i].ended) {
            (*ended)++;
            *sent_total += c->pubs[i].sent_total;
        }
    pthread_mutex_unlock(&c->mu);
}

void control_clear_start(struct control *c)
{
    char topic[400];
    snprintf(topic, sizeof(topic), "%s/pub/%s/start", c->prefix, c->self_id);
    pthread_mutex_lock(&c->mu);
    queue_locked(c, topic, NULL, true);
    pthread_mutex_unlock(&c->mu);
}
