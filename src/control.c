/* The control plane: announcements, the start barrier, clock offsets. */
#include "control.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "payload.h"

#define CONTROL_SYNC_GAP_NS 2000000ull   /* between two clock requests */
#define CONTROL_MAX_SENT 9007199254740992.0  /* 2^53: the largest count a JSON double holds exactly */

uint64_t control_now_ns(const struct control *c)
{
    return clock_real_ns() + (uint64_t)c->skew_ns;
}

/* Make s usable as one topic level. */
static void topic_level(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '/' || *p == '+' || *p == '#') *p = '_';
}

void control_init(struct control *c, const struct mb_config *cfg, const char *hostname)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->cfg = cfg;
    c->sync_peer = -1;
    snprintf(c->prefix, sizeof(c->prefix), "%s/%016llx", cfg->control_prefix, (unsigned long long)cfg->run_id);
    snprintf(c->self_id, sizeof(c->self_id), "%s-%ld", hostname, (long)getpid());
    topic_level(c->self_id);
    /* Not the pid alone: in containers every process may be pid 1. */
    if (getrandom(&c->inst, sizeof(c->inst), 0) != (ssize_t)sizeof(c->inst))
        c->inst = clock_real_ns() ^ ((uint64_t)getpid() << 32);
    if (!c->inst) c->inst = 1;   /* 0 means "none sent" */
    const char *skew = getenv("MQTTBENCH_TEST_CLOCK_SKEW_NS");
    if (skew && *skew) c->skew_ns = strtoll(skew, NULL, 10);
}

void control_free(struct control *c)
{
    for (size_t i = c->head; i < c->nout; i++) free(c->out[i].payload);
    for (size_t i = 0; i < c->npubs; i++) free(c->pubs[i].sent);
    free(c->end_sent);
    free(atomic_load(&c->offsets));
    for (size_t i = 0; i < c->nretired; i++) free(c->retired[i]);
    pthread_mutex_destroy(&c->mu);
}

/* The next free outbox slot, or NULL when full (caller holds the mutex). */
static struct control_msg *outbox_slot(struct control *c)
{
    if (c->nout == CONTROL_OUTBOX) return NULL;  /* drained every loop turn: cannot fill in practice */
    struct control_msg *m = &c->out[c->nout++];
    memset(m, 0, sizeof(*m));
    return m;
}

/* Queue a message; takes ownership of payload (caller holds the mutex). */
static void queue_locked(struct control *c, const char *topic, char *payload)
{
    struct control_msg *m = outbox_slot(c);
    if (!m) {
        free(payload);
        return;
    }
    snprintf(m->topic, sizeof(m->topic), "%s", topic);
    m->payload = payload;
}

static void queue_json(struct control *c, const char *topic, cJSON *obj)
{
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    if (text) queue_locked(c, topic, text);
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

void control_will(struct control *c, char *topic, size_t topiclen, char *payload, size_t paylen)
{
    snprintf(topic, topiclen, "%s/%s/%s/gone", c->prefix, c->cfg->mode == MB_MODE_SUB ? "sub" : "pub", c->self_id);
    pthread_mutex_lock(&c->mu);
    uint32_t next = c->conns + 1;
    pthread_mutex_unlock(&c->mu);
    snprintf(payload, paylen, "{\"id\":\"%s\",\"inst\":\"%016llx\",\"conn\":%u}", c->self_id,
             (unsigned long long)c->inst, next);
}

/* Who we are, in every announcement: id, instance, connection. */
static cJSON *identity_locked(const struct control *c)
{
    char inst[17];
    snprintf(inst, sizeof(inst), "%016llx", (unsigned long long)c->inst);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->self_id);
    cJSON_AddStringToObject(o, "inst", inst);
    cJSON_AddNumberToObject(o, "conn", c->conns);
    return o;
}

/* A whole number in [lo, hi] under key: true and *out, else false. */
static bool get_number(const cJSON *o, const char *key, double lo, double hi, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= lo && d <= hi) || d != floor(d)) return false;
    *out = d;
    return true;
}

/* A wall-clock stamp in ns (as int64). */
static bool get_stamp(const cJSON *o, const char *key, int64_t *out)
{
    double d;
    /* 2^62 ns is year 2116: stamps beyond are junk, and the arithmetic on
     * four of them must not overflow. */
    if (!get_number(o, key, 0, 4611686018427387904.0, &d)) return false;
    *out = (int64_t)d;
    return true;
}

/* A process id that can serve as one topic level. */
static const char *get_id(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v)) return NULL;
    const char *s = v->valuestring;
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(((struct control_pub *)0)->id) || strpbrk(s, "/+#")) return NULL;
    return s;
}

/* A publisher index range: count in [1, max], first + count <= max. */
static bool get_range(const cJSON *o, uint32_t *first, uint32_t *count)
{
    double f, n;
    if (!get_number(o, "first", 0, PAYLOAD_MAX_PUBLISHERS - 1, &f) ||
        !get_number(o, "count", 1, PAYLOAD_MAX_PUBLISHERS, &n) || f + n > PAYLOAD_MAX_PUBLISHERS)
        return false;
    *first = (uint32_t)f;
    *count = (uint32_t)n;
    return true;
}

/* The sender's instance: 1 to 16 hex digits, not all zero; 0 when absent or
 * malformed (an older mqttbench sends none). */
static uint64_t get_inst(const cJSON *o)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, "inst") : NULL;
    if (!cJSON_IsString(v)) return 0;
    const char *s = v->valuestring;
    size_t n = strlen(s);
    if (n < 1 || n > 16 || strspn(s, "0123456789abcdefABCDEF") != n) return 0;
    return strtoull(s, NULL, 16);
}

/* The sender's control connection (1, 2, ...); 0 when absent. */
static uint32_t get_conn(const cJSON *o)
{
    double d;
    return o && get_number(o, "conn", 1, UINT32_MAX, &d) ? (uint32_t)d : 0;
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

static struct control_sub *find_sub(struct control *c, const char *id, bool create)
{
    for (size_t i = 0; i < c->nsubs; i++)
        if (!strcmp(c->subs[i].id, id)) return &c->subs[i];
    if (!create || c->nsubs == CONTROL_MAX_PEERS) return NULL;
    struct control_sub *s = &c->subs[c->nsubs++];
    memset(s, 0, sizeof(*s));
    snprintf(s->id, sizeof(s->id), "%s", id);
    return s;
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
    cJSON *o = identity_locked(c);
    cJSON_AddNumberToObject(o, "subscribers", c->cfg->subscribers);
    cJSON *synced = cJSON_AddArrayToObject(o, "synced");
    for (size_t i = 0; i < c->npubs; i++)
        if (c->pubs[i].synced_before) cJSON_AddItemToArray(synced, cJSON_CreateString(c->pubs[i].id));
    snprintf(topic, sizeof(topic), "%s/sub/%s/ready", c->prefix, c->self_id);
    queue_json(c, topic, o);
}

static void announce_start_locked(struct control *c)
{
    const struct mb_config *cfg = c->cfg;
    char topic[400];
    cJSON *o = identity_locked(c);
    cJSON_AddNumberToObject(o, "first", c->start_first);
    cJSON_AddNumberToObject(o, "count", c->start_count);
    cJSON_AddNumberToObject(o, "messages", (double)cfg->count);
    cJSON_AddNumberToObject(o, "size", (double)cfg->size);
    cJSON_AddNumberToObject(o, "qos", cfg->pub_qos);
    cJSON_AddStringToObject(o, "clock", cfg->clock_monotonic ? "monotonic" : "realtime");
    snprintf(topic, sizeof(topic), "%s/pub/%s/start", c->prefix, c->self_id);
    queue_json(c, topic, o);
}

static void announce_end_locked(struct control *c)
{
    char topic[400];
    cJSON *o = identity_locked(c);
    cJSON_AddNumberToObject(o, "first", c->end_first);
    cJSON *arr = cJSON_AddArrayToObject(o, "sent");
    for (uint32_t i = 0; i < c->end_count; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)c->end_sent[i]));
    snprintf(topic, sizeof(topic), "%s/pub/%s/end", c->prefix, c->self_id);
    queue_json(c, topic, o);
}

/* What is repeated every second, and again at once after a reconnect. */
static void announce_again_locked(struct control *c)
{
    if (c->cfg->mode == MB_MODE_SUB) announce_ready_locked(c);
    else if (c->ended) announce_end_locked(c);
    else announce_start_locked(c);
}

static void start_sync_locked(struct control *c, int peer)
{
    c->sync_peer = peer;
    c->sync_sent = c->sync_got = 0;
    c->best_rtt_ns = INT64_MAX;
    c->sync_next_ns = 0;
}

/* Subscriber: the publisher entry a message of its own (start, end, abort)
 * speaks for, NULL when it must be ignored: unknown (and not to be created),
 * or sent by another process under the same id. */
static struct control_pub *pub_spoke(struct control *c, const char *id, const cJSON *o, bool create)
{
    struct control_pub *p = find_pub(c, id, create);
    if (!p) return NULL;
    uint64_t inst = get_inst(o);
    if (inst && p->inst && inst != p->inst) {
        /* Its messages would pass for the first process's (sequence numbers
         * from 0 again): that one has left, whatever this one says. */
        if (!p->ended && !p->left) {
            p->left = true;
            snprintf(p->left_reason, sizeof(p->left_reason), "another process announced itself under its id "
                     "(restarted? give every process its own --id-prefix or host name)");
        }
        return NULL;
    }
    if (inst) p->inst = inst;
    uint32_t conn = get_conn(o);
    if (conn > p->conn) {   /* a newer connection than the one whose will came: back */
        p->conn = conn;
        p->down = false;
    }
    p->heard_ns = clock_mono_ns();
    return p;
}

/* Subscriber: a publishing process spoke. */
static void on_pub_message(struct control *c, const char *id, const char *kind, const cJSON *o)
{
    if (!strcmp(kind, "start")) {
        uint32_t first, count;
        if (!o || !get_range(o, &first, &count)) return;
        struct control_pub *p = pub_spoke(c, id, o, true);
        if (!p || p->ended || p->left) return;
        p->first = first;
        p->count = count;
        for (size_t i = 0; i < c->npubs && !c->overlap[0]; i++) {
            const struct control_pub *q = &c->pubs[i];
            if (q != p && q->count && p->first < q->first + q->count && q->first < p->first + p->count)
                snprintf(c->overlap, sizeof(c->overlap),
                         "publishing processes %s and %s use overlapping publisher indexes "
                         "(give each its own --first-publisher range)", q->id, p->id);
        }
        if (!p->synced_before && c->sync_peer < 0 && !c->sync_after) start_sync_locked(c, (int)(p - c->pubs));
    } else if (!strcmp(kind, "end")) {
        double f;
        const cJSON *sent = o ? cJSON_GetObjectItemCaseSensitive(o, "sent") : NULL;
        if (!cJSON_IsArray(sent) || !get_number(o, "first", 0, PAYLOAD_MAX_PUBLISHERS - 1, &f)) return;
        int n = cJSON_GetArraySize(sent);
        if (n < 1 || f + n > PAYLOAD_MAX_PUBLISHERS) return;
        uint64_t *v = calloc((size_t)n, sizeof(uint64_t));
        if (!v) return;
        uint64_t total = 0;
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, sent) {
            if (!cJSON_IsNumber(e) || !(e->valuedouble >= 0 && e->valuedouble <= CONTROL_MAX_SENT) ||
                e->valuedouble != floor(e->valuedouble)) {
                free(v);
                return;
            }
            v[i] = (uint64_t)e->valuedouble;
            total += v[i++];
        }
        struct control_pub *p = pub_spoke(c, id, o, true);
        if (!p) {
            free(v);
            return;
        }
        free(p->sent);
        p->sent = v;
        p->first = (uint32_t)f;
        p->count = (uint32_t)n;
        p->sent_total = total;
        p->ended = true;
        p->left = false;
        p->down = false;
    } else if (!strcmp(kind, "abort")) {
        struct control_pub *p = pub_spoke(c, id, o, false);
        if (!p || p->ended || p->left) return;   /* unknown to us, or already accounted for */
        p->left = true;
        const cJSON *before = o ? cJSON_GetObjectItemCaseSensitive(o, "before_publishing") : NULL;
        p->left_before_publishing = cJSON_IsTrue(before);
        const cJSON *why = o ? cJSON_GetObjectItemCaseSensitive(o, "reason") : NULL;
        if (cJSON_IsString(why)) snprintf(p->left_reason, sizeof(p->left_reason), "%s", why->valuestring);
        for (char *s = p->left_reason; *s; s++)
            if ((unsigned char)*s < 0x20) *s = ' ';   /* one line, whatever was sent */
    } else if (!strcmp(kind, "gone")) {
        /* Its will: sent by the broker, so it speaks for the connection it
         * names, and says nothing of a newer one. */
        struct control_pub *p = find_pub(c, id, false);
        uint64_t inst = get_inst(o);
        uint32_t conn = get_conn(o);
        if (!p || p->ended || p->left || (inst && p->inst && inst != p->inst) || conn < p->conn) return;
        p->conn = conn;
        if (c->cfg->reconnect) {
            p->down = true;   /* it may come back; control_tick gives up on it */
            p->heard_ns = clock_mono_ns();   /* --wait-timeout from the will */
            return;
        }
        p->left = true;
        snprintf(p->left_reason, sizeof(p->left_reason), "its connection to the broker ended without a "
                 "DISCONNECT (killed?)");
    }
}

/* Publisher: a subscribing process spoke. */
static void on_sub_message(struct control *c, const char *id, const char *kind, const cJSON *o)
{
    if (!strcmp(kind, "ready")) {
        if (!o) return;
        struct control_sub *s = find_sub(c, id, true);
        if (!s) return;
        uint32_t conn = get_conn(o);
        if (s->gone && conn <= s->conn) return;   /* sent before its will: still gone */
        if (conn > s->conn) {
            s->conn = conn;
            s->gone = false;   /* back on a newer connection (--reconnect) */
        }
        if (s->done) return;
        s->ready = true;
        const cJSON *synced = cJSON_GetObjectItemCaseSensitive(o, "synced"), *e;
        if (!cJSON_IsArray(synced)) return;
        cJSON_ArrayForEach(e, synced)
            if (cJSON_IsString(e) && !strcmp(e->valuestring, c->self_id)) s->synced = true;
    } else if (!strcmp(kind, "done")) {
        struct control_sub *s = find_sub(c, id, true);
        if (s) s->done = true;
    } else if (!strcmp(kind, "gone")) {
        struct control_sub *s = find_sub(c, id, false);
        uint32_t conn = get_conn(o);
        if (s && conn >= s->conn) {   /* the will of its newest connection */
            s->conn = conn;
            s->gone = true;
        }
    }
}

/* Subscriber: one clock answer (NTP: offset = ((t2 - t1) + (t3 - t4)) / 2). */
static void on_clock_resp(struct control *c, const cJSON *o, uint64_t t4)
{
    if (c->sync_peer < 0) return;
    struct control_pub *p = &c->pubs[c->sync_peer];
    const char *from = get_id(o, "from");
    int64_t t1, t2, t3;
    if (!from || strcmp(from, p->id) || !get_stamp(o, "t1", &t1) || !get_stamp(o, "t2", &t2) ||
        !get_stamp(o, "t3", &t3) || t4 > (uint64_t)INT64_MAX / 2)
        return;
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

/* Publisher: a clock request; answered at once, t3 stamped when it leaves. */
static void on_clock_req(struct control *c, const cJSON *o, uint64_t recv_ns)
{
    const char *from = get_id(o, "from");
    int64_t t1;
    if (!from || !get_stamp(o, "t1", &t1)) return;
    struct control_msg *m = outbox_slot(c);
    if (!m) return;
    snprintf(m->topic, sizeof(m->topic), "%s/clock/resp/%s", c->prefix, from);
    m->kind = CONTROL_MSG_CLOCK_RESP;
    m->t1 = t1;
    m->t2 = (int64_t)recv_ns;   /* already on our (skewed) clock */
}

void control_on_message(struct control *c, const char *topic, const void *payload, size_t len,
                        uint64_t recv_ns)
{
    size_t plen = strlen(c->prefix);
    if (strncmp(topic, c->prefix, plen) != 0 || topic[plen] != '/') return;
    const char *rest = topic + plen + 1;
    cJSON *o = len ? cJSON_ParseWithLength(payload, len) : NULL;
    if (o && !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        o = NULL;
    }
    char id[96], kind[32], tail;
    bool sub = c->cfg->mode == MB_MODE_SUB;
    pthread_mutex_lock(&c->mu);
    if (sub && sscanf(rest, "pub/%95[^/]/%31[^/]%c", id, kind, &tail) == 2) {
        on_pub_message(c, id, kind, o);
    } else if (sub && !strncmp(rest, "clock/resp/", 11) && o) {
        on_clock_resp(c, o, recv_ns);
    } else if (!sub && sscanf(rest, "sub/%95[^/]/%31[^/]%c", id, kind, &tail) == 2) {
        on_sub_message(c, id, kind, o);
    } else if (!sub && !strncmp(rest, "clock/req/", 10) && o) {
        on_clock_req(c, o, recv_ns);
    }
    pthread_mutex_unlock(&c->mu);
    cJSON_Delete(o);
}

/* Sub, --reconnect: a publisher that announces every second and has said
 * nothing for --wait-timeout (its will, or no word at all) is not coming
 * back: it has left. Silence while our own client was down does not count
 * (control_connected starts every publisher's clock again). */
static void give_up_silent_locked(struct control *c, uint64_t now_mono_ns)
{
    uint64_t limit = c->cfg->wait_timeout_ns;
    for (size_t i = 0; i < c->npubs; i++) {
        struct control_pub *p = &c->pubs[i];
        if (p->ended || p->left || !p->count || now_mono_ns <= p->heard_ns + limit) continue;
        p->left = true;
        if (p->down)
            snprintf(p->left_reason, sizeof(p->left_reason), "its connection to the broker ended without a "
                     "DISCONNECT (killed?) and it did not come back within %.0f s (--wait-timeout)",
                     (double)limit / 1e9);
        else
            snprintf(p->left_reason, sizeof(p->left_reason), "nothing heard from it for %.0f s (--wait-timeout)",
                     (double)limit / 1e9);
    }
}

void control_tick(struct control *c, uint64_t now_mono_ns)
{
    pthread_mutex_lock(&c->mu);
    if (c->announcing && !c->left && now_mono_ns >= c->announce_next_ns) {
        /* Again and again: a process that subscribes later hears it within
         * a second (no retained messages, see control.h). */
        announce_again_locked(c);
        c->announce_next_ns = now_mono_ns + CONTROL_ANNOUNCE_NS;
    }
    if (c->cfg->mode == MB_MODE_SUB && c->cfg->reconnect && c->up) give_up_silent_locked(c, now_mono_ns);
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
                    if (!c->left) announce_ready_locked(c);
                }
            }
            c->sync_peer = -1;
            /* Next publisher that still needs measuring. */
            for (size_t i = 0; i < c->npubs; i++) {
                bool need = c->sync_after ? !c->pubs[i].synced_after : !c->pubs[i].synced_before;
                if (need && c->pubs[i].count && !c->pubs[i].left) {
                    start_sync_locked(c, (int)i);
                    break;
                }
            }
        } else if (now_mono_ns >= c->sync_next_ns && c->sync_sent < CONTROL_CLOCK_SAMPLES * 2) {
            char topic[400], payload[160];
            snprintf(topic, sizeof(topic), "%s/clock/req/%s", c->prefix, p->id);
            /* t1 is stamped in control_flush, right before it leaves */
            snprintf(payload, sizeof(payload), "{\"from\":\"%s\",\"seq\":%d", c->self_id, c->sync_sent);
            char *dup = strdup(payload);
            if (dup) queue_locked(c, topic, dup);
            if (dup && c->nout > c->head && c->out[c->nout - 1].payload == dup)
                c->out[c->nout - 1].kind = CONTROL_MSG_CLOCK_REQ;
            c->sync_sent++;
            c->sync_next_ns = now_mono_ns + CONTROL_SYNC_GAP_NS;
        }
    }
    pthread_mutex_unlock(&c->mu);
}

void control_flush(struct control *c, control_send_fn send, void *ctx)
{
    for (;;) {
        /* Take one message out under the lock, send it without: the send
         * enters libmosquitto, which takes its own locks (and a callback of
         * it takes ours: holding ours across it inverts the lock order). */
        struct control_msg m;
        pthread_mutex_lock(&c->mu);
        if (c->head == c->nout) {
            c->head = c->nout = 0;
            pthread_mutex_unlock(&c->mu);
            return;
        }
        m = c->out[c->head];
        c->out[c->head++].payload = NULL;
        pthread_mutex_unlock(&c->mu);

        char buf[400];
        const char *payload = m.payload;
        if (m.kind == CONTROL_MSG_CLOCK_RESP) {
            snprintf(buf, sizeof(buf), "{\"from\":\"%s\",\"t1\":%lld,\"t2\":%lld,\"t3\":%llu}", c->self_id,
                     (long long)m.t1, (long long)m.t2, (unsigned long long)control_now_ns(c));
            payload = buf;
        } else if (m.kind == CONTROL_MSG_CLOCK_REQ) {
            /* a clock request: t1 now, as late as possible */
            snprintf(buf, sizeof(buf), "%s,\"t1\":%llu}", m.payload, (unsigned long long)control_now_ns(c));
            payload = buf;
        }
        send(ctx, m.topic, payload ? payload : "", payload ? strlen(payload) : 0);
        free(m.payload);
    }
}

void control_announce_start(struct control *c, uint32_t first, uint32_t count)
{
    pthread_mutex_lock(&c->mu);
    c->start_first = first;
    c->start_count = count;
    announce_start_locked(c);
    c->announcing = true;
    c->announce_next_ns = clock_mono_ns() + CONTROL_ANNOUNCE_NS;
    pthread_mutex_unlock(&c->mu);
}

void control_connected(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    c->conns++;
    c->up = true;
    uint64_t now = clock_mono_ns();
    for (size_t i = 0; i < c->npubs; i++) c->pubs[i].heard_ns = now;
    if (c->announcing && !c->left) {
        /* Back after a loss: the other side may have lost what we said (a
         * broker without persistence keeps nothing), and waits for it. */
        announce_again_locked(c);
        c->announce_next_ns = now + CONTROL_ANNOUNCE_NS;
    }
    pthread_mutex_unlock(&c->mu);
}

void control_lost(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    c->up = false;
    pthread_mutex_unlock(&c->mu);
}

void control_publishing(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    c->publishing = true;
    pthread_mutex_unlock(&c->mu);
}

void control_announce_end(struct control *c, uint32_t first, const uint64_t *sent, uint32_t count)
{
    uint64_t *copy = malloc((count ? count : 1) * sizeof(*copy));
    if (copy && count) memcpy(copy, sent, count * sizeof(*copy));
    pthread_mutex_lock(&c->mu);
    if (copy && !c->ended && !c->left) {
        c->end_sent = copy;
        c->end_first = first;
        c->end_count = count;
        c->ended = true;
        copy = NULL;
        announce_end_locked(c);
        /* Repeated until we leave: a subscriber whose control client was
         * cut off (a broker restart) missed this one. */
        c->announcing = true;
        c->announce_next_ns = clock_mono_ns() + CONTROL_ANNOUNCE_NS;
    }
    pthread_mutex_unlock(&c->mu);
    free(copy);
}

void control_announce_abort(struct control *c, const char *reason)
{
    char topic[400];
    pthread_mutex_lock(&c->mu);
    if (!c->left && !c->ended) {
        cJSON *o = identity_locked(c);
        cJSON_AddBoolToObject(o, "before_publishing", !c->publishing);
        if (reason && *reason) cJSON_AddStringToObject(o, "reason", reason);
        snprintf(topic, sizeof(topic), "%s/pub/%s/abort", c->prefix, c->self_id);
        queue_json(c, topic, o);
        c->left = true;
    }
    pthread_mutex_unlock(&c->mu);
}

void control_clear_start(struct control *c)
{
    control_announce_abort(c, NULL);
}

size_t control_ready_subscribers(struct control *c, bool want_synced)
{
    pthread_mutex_lock(&c->mu);
    size_t n = 0;
    for (size_t i = 0; i < c->nsubs; i++)
        if (c->subs[i].ready && !c->subs[i].gone && (!want_synced || c->subs[i].synced)) n++;
    pthread_mutex_unlock(&c->mu);
    return n;
}

size_t control_done_subscribers(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = 0;
    for (size_t i = 0; i < c->nsubs; i++)
        /* --reconnect: a vanished subscriber may come back for our end */
        if (c->subs[i].done || (c->subs[i].gone && c->subs[i].ready && !c->cfg->reconnect)) n++;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void control_announce_ready(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    announce_ready_locked(c);
    c->announcing = true;
    c->announce_next_ns = clock_mono_ns() + CONTROL_ANNOUNCE_NS;
    pthread_mutex_unlock(&c->mu);
}

void control_announce_done(struct control *c)
{
    char topic[400];
    pthread_mutex_lock(&c->mu);
    snprintf(topic, sizeof(topic), "%s/sub/%s/done", c->prefix, c->self_id);
    queue_json(c, topic, identity_locked(c));
    c->left = true;
    pthread_mutex_unlock(&c->mu);
}

void control_sync_after(struct control *c)
{
    pthread_mutex_lock(&c->mu);
    c->sync_after = true;
    c->sync_peer = -1;
    for (size_t i = 0; i < c->npubs; i++)
        if (!c->pubs[i].synced_after && c->pubs[i].count && !c->pubs[i].left) {
            start_sync_locked(c, (int)i);
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

bool control_publisher_left(struct control *c, char *why, size_t whylen)
{
    pthread_mutex_lock(&c->mu);
    bool found = false;
    for (size_t i = 0; i < c->npubs && !found; i++) {
        const struct control_pub *p = &c->pubs[i];
        if (!p->left) continue;
        found = true;
        snprintf(why, whylen, "publisher %s %s%s%s", p->id,
                 p->left_before_publishing ? "gave up before publishing" : "left without announcing its end",
                 p->left_reason[0] ? ": " : "", p->left_reason);
    }
    pthread_mutex_unlock(&c->mu);
    return found;
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
