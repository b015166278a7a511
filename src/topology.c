/* Topic expansion, shapes, share groups and the expected-delivery matrix. */
#include "topology.h"

#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "payload.h"

#define TOPOLOGY_MAX_CHECKS 4000000ull  /* topic matches tried when nothing shortcuts them */

void topology_client_id(const struct mb_config *cfg, uint16_t run_tag, char role, uint32_t index,
                        char *buf, size_t len)
{
    snprintf(buf, len, "%s-%04x-%c%u", cfg->id_prefix, run_tag, role, index);
}

/* Expand %i, %c and %h of pattern into a new string. */
static char *expand(const char *pattern, uint32_t index, const char *client_id, const char *hostname)
{
    size_t cap = strlen(pattern) + 1, len = 0;
    for (const char *p = pattern; *p; p++)
        if (*p == '%') cap += strlen(client_id) + strlen(hostname) + 16;
    char *out = malloc(cap);
    if (!out) return NULL;
    for (const char *p = pattern; *p; p++) {
        if (p[0] == '%' && (p[1] == 'i' || p[1] == 'c' || p[1] == 'h')) {
            if (p[1] == 'i') len += (size_t)snprintf(out + len, cap - len, "%u", index);
            else len += (size_t)snprintf(out + len, cap - len, "%s", p[1] == 'c' ? client_id : hostname);
            p++;
        } else {
            out[len++] = *p;
        }
    }
    out[len] = '\0';
    return out;
}

/* The publish pattern and subscription pattern that cfg's shape implies. */
static void shape_patterns(const struct mb_config *cfg, char *pub, char *sub, size_t len)
{
    bool per_pub = !strcmp(cfg->shape, "fan-in") || !strcmp(cfg->shape, "pairs");
    if (per_pub && !strstr(cfg->topic, "%i")) snprintf(pub, len, "%s/%%i", cfg->topic);
    else snprintf(pub, len, "%s", cfg->topic);
    if (cfg->sub_topic) {
        snprintf(sub, len, "%s", cfg->sub_topic);
    } else if (!strcmp(cfg->shape, "fan-in")) {
        /* One wildcard level where each publisher's topic differs. */
        size_t o = 0;
        for (const char *p = pub; *p && o + 2 < len; p++) {
            if (p[0] == '%' && (p[1] == 'i' || p[1] == 'c')) {
                sub[o++] = '+';
                p++;
            } else {
                sub[o++] = *p;
            }
        }
        sub[o] = '\0';
    } else {
        snprintf(sub, len, "%s", pub);
    }
}

static const char *share_filter(const char *filter, size_t *group_len)
{
    if (strncmp(filter, "$share/", 7) != 0) return NULL;
    const char *slash = strchr(filter + 7, '/');
    if (!slash) return NULL;
    *group_len = (size_t)(slash - filter);
    return slash + 1;
}

static int add_match(struct topology_match *m, uint32_t pub)
{
    if ((m->n & (m->n - 1)) == 0) {   /* grow at powers of two */
        uint32_t *np = realloc(m->pubs, (m->n ? m->n * 2 : 1) * sizeof(*np));
        if (!np) return -1;
        m->pubs = np;
    }
    m->pubs[m->n++] = pub;
    return 0;
}

int topology_build(struct topology *t, const struct mb_config *cfg, const char *hostname,
                   uint16_t run_tag, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    size_t P = (size_t)cfg->publishers, S = (size_t)cfg->subscribers;
    t->npubs = P;
    t->nsubs = S;
    char pub_pat[1100], sub_pat[1100], id[128];
    shape_patterns(cfg, pub_pat, sub_pat, sizeof(pub_pat));
    if (mosquitto_validate_utf8(cfg->id_prefix, (int)strlen(cfg->id_prefix)) != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "--id-prefix is not valid UTF-8 (MQTT client ids must be)");
        return -1;
    }
    t->pub_topics = calloc(P ? P : 1, sizeof(char *));
    t->sub_filters = calloc(S ? S : 1, sizeof(char *));
    t->sub_receiver = calloc(S ? S : 1, sizeof(uint32_t));
    t->receiver_members = calloc(S ? S : 1, sizeof(uint32_t));
    t->receiver_shared = calloc(S ? S : 1, sizeof(bool));
    t->matches = calloc(S ? S : 1, sizeof(*t->matches));
    t->pub_fanout = calloc(P ? P : 1, sizeof(uint32_t));
    if (!t->pub_topics || !t->sub_filters || !t->sub_receiver || !t->receiver_members ||
        !t->receiver_shared || !t->matches || !t->pub_fanout)
        goto nomem;
    for (size_t i = 0; i < P; i++) {
        uint32_t gi = (uint32_t)(i + (size_t)cfg->first_publisher);   /* index across processes */
        topology_client_id(cfg, run_tag, 'p', gi, id, sizeof(id));
        if (!(t->pub_topics[i] = expand(pub_pat, gi, id, hostname))) goto nomem;
        if (mosquitto_pub_topic_check(t->pub_topics[i]) != MOSQ_ERR_SUCCESS) {
            snprintf(err, errlen, "--topic: '%s' expands to '%s', not a valid publish topic", pub_pat, t->pub_topics[i]);
            return -1;
        }
    }
    /* Receivers: each plain subscriber, and each share group (same group, same filter). */
    for (size_t j = 0; j < S; j++) {
        topology_client_id(cfg, run_tag, 's', (uint32_t)j, id, sizeof(id));
        uint32_t gj = (uint32_t)(j + (size_t)cfg->first_subscriber);   /* index across shards */
        if (!(t->sub_filters[j] = expand(sub_pat, gj, id, hostname))) goto nomem;
        if (mosquitto_sub_topic_check(t->sub_filters[j]) != MOSQ_ERR_SUCCESS) {
            snprintf(err, errlen, "--sub-topic: '%s' expands to '%s', not a valid filter", sub_pat, t->sub_filters[j]);
            return -1;
        }
        size_t glen;
        size_t r = t->nreceivers;
        if (share_filter(t->sub_filters[j], &glen)) {
            for (size_t k = 0; k < j; k++)
                if (t->receiver_shared[t->sub_receiver[k]] && !strcmp(t->sub_filters[k], t->sub_filters[j])) {
                    r = t->sub_receiver[k];
                    break;
                }
        }
        if (r == t->nreceivers) {
            t->nreceivers++;
            t->receiver_shared[r] = share_filter(t->sub_filters[j], &glen) != NULL;
        }
        t->sub_receiver[j] = (uint32_t)r;
        t->receiver_members[r]++;
    }
    /* What each receiver should hear. Shapes shortcut the all-pairs check. */
    bool pairs = !strcmp(cfg->shape, "pairs") && !cfg->sub_topic;
    if (!pairs && (uint64_t)P * t->nreceivers > TOPOLOGY_MAX_CHECKS) {
        snprintf(err, errlen, "--topic/--sub-topic: %zu publishers x %zu subscribers is too many topic pairs to "
                 "check; use --shape", P, t->nreceivers);
        return -1;
    }
    t->uniform = true;
    for (size_t r = 0, j = 0; r < t->nreceivers; r++) {
        while (t->sub_receiver[j] != r) j++;   /* first member of r */
        size_t glen = 0;
        const char *filter = share_filter(t->sub_filters[j], &glen);
        if (!filter) filter = t->sub_filters[j];
        struct topology_match *m = &t->matches[r];
        if (pairs) {
            if (j < P) {
                bool ok = false;
                mosquitto_topic_matches_sub(filter, t->pub_topics[j], &ok);
                if (ok && add_match(m, (uint32_t)j) != 0) goto nomem;
            }
        } else {
            for (size_t i = 0; i < P; i++) {
                bool ok = false;
                mosquitto_topic_matches_sub(filter, t->pub_topics[i], &ok);
                if (ok && add_match(m, (uint32_t)i) != 0) goto nomem;
            }
        }
        if (m->n == P && P > 0) {
            m->all = true;
            free(m->pubs);
            m->pubs = NULL;
        }
        if (!m->all || t->receiver_shared[r]) t->uniform = false;
        if (m->all) for (size_t i = 0; i < P; i++) t->pub_fanout[i]++;
        else for (uint32_t k = 0; k < m->n; k++) t->pub_fanout[m->pubs[k]]++;
    }
    return 0;
nomem:
    snprintf(err, errlen, "out of memory building the topology");
    return -1;
}

int topology_check(const struct mb_config *cfg, char *err, size_t errlen)
{
    char host[256];
    if (gethostname(host, sizeof(host)) != 0) snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    struct topology t;
    if (topology_build(&t, cfg, host, payload_run_tag(cfg->run_id), err, errlen) != 0) {
        topology_free(&t);   /* what it built before it failed */
        return -1;
    }
    int rc = 0;
    /* Every mode: ids, topics and filters are valid. `both`: each is heard. */
    for (size_t r = 0, j = 0; cfg->mode == MB_MODE_BOTH && r < t.nreceivers && rc == 0; r++) {
        while (t.sub_receiver[j] != r) j++;   /* first member of r */
        if (t.matches[r].all || t.matches[r].n) continue;
        const char *topic = t.npubs ? t.pub_topics[0] : "";
        bool dot = strchr(topic, '.') || strchr(t.sub_filters[j], '.');
        errmsg_set(err, errlen, "subscriber %zu's filter '%s' matches no publisher topic (publisher 0 publishes to "
                   "'%s'%s)", j, t.sub_filters[j], topic,
                   dot ? "; '.' is not a level separator in MQTT, though RabbitMQ maps it to '/'" : "");
        rc = -1;
    }
    topology_free(&t);
    return rc;
}

void topology_free(struct topology *t)
{
    for (size_t i = 0; t->pub_topics && i < t->npubs; i++) free(t->pub_topics[i]);
    for (size_t j = 0; t->sub_filters && j < t->nsubs; j++) free(t->sub_filters[j]);
    for (size_t r = 0; t->matches && r < t->nreceivers; r++) free(t->matches[r].pubs);
    free(t->pub_topics);
    free(t->sub_filters);
    free(t->sub_receiver);
    free(t->receiver_members);
    free(t->receiver_shared);
    free(t->matches);
    free(t->pub_fanout);
    memset(t, 0, sizeof(*t));
}
