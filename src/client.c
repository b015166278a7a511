/* libmosquitto glue: callbacks, connect, publish and socket servicing for one
 * client. See ../shared/libmosquitto-notes.md for the pitfalls handled here:
 * calls made inside callbacks are only queued (so the epoll registration is
 * refreshed after every library call), the library may close the socket
 * itself, and on_publish is the only moment a publish counts as done. */
#include "client.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stddef.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "payload.h"
#include "reconnect.h"
#include "topology.h"

#define CLIENT_READ_BUDGET 4096   /* packets per readiness event before yielding */
#define CLIENT_WRITE_BUDGET 64
#define CLIENT_DELAY_SLICE_NS 10000000ull  /* --sub-delay sleeps this long at most between looks at the phase */

/* The run's first fault, one line (later faults only count). */
__attribute__((format(printf, 2, 3)))
static void set_error(struct client_env *env, const char *fmt, ...)
{
    if (env->error[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(env->error, sizeof(env->error), fmt, ap);
    va_end(ap);
}

/* Count a failure under its reason (the first 8 reasons get their own row). */
static void count_failure(struct client_env *env, const char *why)
{
    size_t n = sizeof(env->failures) / sizeof(env->failures[0]);
    for (size_t i = 0; i < n; i++) {
        if (!env->failures[i].count) snprintf(env->failures[i].reason, sizeof(env->failures[i].reason), "%s", why);
        if (!strcmp(env->failures[i].reason, why) || i == n - 1) {
            env->failures[i].count++;
            return;
        }
    }
}

static bool stopping(const struct client_env *env);

/* Append one item to a growable array; false when out of memory (the item
 * is then left out). */
static bool log_grow(void **items, size_t *n, size_t *cap, size_t size)
{
    if (*n < *cap) return true;
    size_t want = *cap ? *cap * 2 : 16;
    void *p = realloc(*items, want * size);
    if (!p) return false;
    *items = p;
    *cap = want;
    return true;
}
static void complete_publish(struct client *c);

/* --reconnect: a duplicate, or a message redelivered after a reconnect,
 * for the per-outage counts (outage_count_flights). One the log cannot hold
 * (out of memory) is counted outside every outage. */
static void log_flight(struct client_env *env, uint64_t from_ns, uint64_t to_ns, bool duplicate)
{
    if (log_grow((void **)&env->flights, &env->nflights, &env->cap_flights, sizeof(*env->flights)))
        env->flights[env->nflights++] = (struct outage_flight){ from_ns, to_ns, duplicate };
}

/* --reconnect: the connection of a client that was ready is gone, or an
 * attempt to make it again failed: wait the backoff, then try again (the
 * worker calls client_retry). Returns false when the client does not
 * reconnect: no --reconnect, never ready, closing, or lost for longer than
 * --connect-timeout. */
static bool schedule_reconnect(struct client *c)
{
    struct client_env *env = c->env;
    const struct mb_config *cfg = env->cfg;
    if (!cfg->reconnect || !c->was_ready || c->closing || stopping(env)) return false;
    uint64_t now = clock_mono_ns();
    if (!c->lost_ns) {
        c->lost_ns = now;
        c->attempts = 0;
        env->st->disconnects++;
        if (c->role == CLIENT_SYS && env->control) control_lost(env->control);
        atomic_fetch_add_explicit(&env->down, 1, memory_order_relaxed);
        if (env->down_all) atomic_fetch_add_explicit(env->down_all, 1, memory_order_relaxed);
        c->lost_event = 0;
        if (log_grow((void **)&env->lost_log, &env->nlost, &env->cap_lost, sizeof(*env->lost_log))) {
            env->lost_log[env->nlost++] = (struct outage_event){ .lost_ns = now };
            c->lost_event = env->nlost;
        }
        if (c->role == CLIENT_PUB && cfg->pub_qos == 0) {
            /* QoS 0 publishes the library still held went with the connection:
             * they count as sent, so the subscribers' gaps count them lost
             * (the output buffer is reset when the next socket attaches). */
            while (c->outstanding) {
                if (c->warm_done >= c->warm_issued) env->st->lost_unsent++;
                complete_publish(c);
            }
        }
    } else if (now - c->lost_ns > cfg->connect_timeout_ns) {
        return false;
    }
    c->state = CLIENT_CONNECTING;
    c->retry_at_ns = now + reconnect_delay_ns(cfg->reconnect_min_ns, cfg->reconnect_max_ns, c->attempts);
    return true;
}

/* conn: the connect or connection in slot c ended badly. Counted under its
 * kind and reason, never the run's failure. A connection the broker closed
 * after a newer connect with its client id started (--id-pool) is a
 * takeover: the broker did what MQTT asks of it. */
static void conn_failed(struct client *c, enum stats_conn_fail kind, const char *reason)
{
    struct client_env *env = c->env;
    bool taken = env->conn_id_gen && kind != STATS_CONN_REFUSED && kind != STATS_CONN_TLS &&
                 atomic_load_explicit(&env->conn_id_gen[c->conn_id], memory_order_relaxed) != c->conn_gen;
    if (taken) {
        env->st->conn.takeovers++;
    } else {
        env->st->conn.failed[kind]++;
        count_failure(env, reason);
        atomic_fetch_add_explicit(&env->conn_failed, 1, memory_order_relaxed);
    }
    if (!c->conn_settled) {
        c->conn_settled = true;
        atomic_fetch_add_explicit(&env->conn_settled, 1, memory_order_relaxed);
    }
    client_conn_release(c);
    c->state = CLIENT_FAILED;
}

void client_conn_release(struct client *c)
{
    struct client_env *env = c->env;
    if (!c->conn_open) return;
    c->conn_open = false;
    if (atomic_fetch_sub_explicit(&env->conn_id_open[c->conn_id], 1, memory_order_relaxed) >= 2)
        atomic_fetch_sub_explicit(env->conn_overlap, 1, memory_order_relaxed);
}

/* The client failed as kind says (conn counts it so): count it under reason
 * (short, a JSON key); the run's error says reason, and hint (may be NULL)
 * after it. */
static void fail_as(struct client *c, enum stats_conn_fail kind, const char *reason, const char *hint)
{
    if (c->state == CLIENT_FAILED || c->state == CLIENT_CLOSED) return;
    if (c->role == CLIENT_CONN) {
        conn_failed(c, kind, reason);
        return;
    }
    if (schedule_reconnect(c)) return;
    count_failure(c->env, reason);
    bool was_connecting = c->state == CLIENT_CONNECTING || c->state == CLIENT_NEW;
    c->state = CLIENT_FAILED;
    atomic_fetch_add_explicit(&c->env->failed, 1, memory_order_relaxed);
    if (c->lost_ns) {
        atomic_fetch_sub_explicit(&c->env->down, 1, memory_order_relaxed);
        if (c->env->down_all) atomic_fetch_sub_explicit(c->env->down_all, 1, memory_order_relaxed);
        set_error(c->env, "connection to the broker lost and not made again within the connect timeout "
                  "(--reconnect): %s%s%s", reason, hint ? " " : "", hint ? hint : "");
        return;
    }
    set_error(c->env, "%s: %s%s%s", was_connecting ? "could not connect to the broker" : "connection to the broker lost",
              reason, hint ? " " : "", hint ? hint : "");
    if (!was_connecting) c->env->st->disconnects++;
}

/* The client failed: a connection closed before its CONNACK counts as a TCP
 * failure in conn, one closed after as lost. */
static void fail_client(struct client *c, const char *reason, const char *hint)
{
    fail_as(c, c->connacked ? STATS_CONN_LOST : STATS_CONN_TCP, reason, hint);
}

static void mark_failed(struct client *c, const char *why)
{
    fail_client(c, why, NULL);
}

/* The client failed on an answer of the broker: error is the whole line. */
static void fail_answer(struct client *c, const char *reason, const char *error)
{
    set_error(c->env, "%s", error);
    fail_client(c, reason, NULL);
}

void client_conn_timeout(struct client *c)
{
    fail_as(c, STATS_CONN_TIMEOUT, c->connacked ? "no SUBACK within the connect timeout"
                                                : "no CONNACK within the connect timeout", NULL);
}

void client_conn_not_started(struct client_env *env, const char *reason)
{
    env->st->conn.failed[STATS_CONN_TCP]++;
    count_failure(env, reason);
    atomic_fetch_add_explicit(&env->conn_failed, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&env->conn_settled, 1, memory_order_relaxed);
}

static void mark_ready(struct client *c)
{
    if (c->state != CLIENT_CONNECTING) return;
    struct client_env *env = c->env;
    if (env->tls) mosquitto_log_callback_set(c->m, NULL);   /* it formats a line per packet */
    c->state = CLIENT_READY;
    if (!c->was_ready) atomic_fetch_add_explicit(&env->ready, 1, memory_order_relaxed);
    c->was_ready = true;
    if (c->role == CLIENT_CONN) {
        uint64_t now = clock_mono_ns();
        c->conn_ready_ns = now;
        c->conn_settled = true;
        env->st->conn.done++;
        env->st->conn.last_done_ns = now;
        atomic_fetch_add_explicit(&env->conn_done, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&env->conn_settled, 1, memory_order_relaxed);
        if (env->conn_id_open) {
            c->conn_open = true;
            if (atomic_fetch_add_explicit(&env->conn_id_open[c->conn_id], 1, memory_order_relaxed) >= 1)
                atomic_fetch_add_explicit(env->conn_overlap, 1, memory_order_relaxed);
        }
    }
    if (c->lost_ns) {   /* back after a loss (--reconnect) */
        uint64_t now = clock_mono_ns();
        hist_record(&env->st->reconnect_time, now - c->lost_ns);
        if (c->lost_event) env->lost_log[c->lost_event - 1].back_ns = now;
        c->was_lost_ns = c->lost_ns;
        c->back_ns = now;
        if (env->down_all && atomic_fetch_sub_explicit(env->down_all, 1, memory_order_relaxed) == 1)
            atomic_store_explicit(env->all_back_ns, now, memory_order_relaxed);
        env->st->reconnects++;
        atomic_fetch_add_explicit(&env->reconnects, 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&env->down, 1, memory_order_relaxed);
        c->lost_ns = 0;
    }
    if (c->role == CLIENT_SYS && env->control) control_connected(env->control);   /* subscribed, too */
}

/* Whether the client needs EPOLLOUT: until TCP is seen up (to time it),
 * for a TLS handshake that wants to write, else when the library or the
 * I/O layer holds output. libmosquitto's want_write is no guide during a
 * handshake: it stays set after one write wanted the socket. */
static bool want_out(struct client *c)
{
    if (c->state == CLIENT_CONNECTING && !c->tcp_ns) return true;
    if (c->env->tls && !c->tls_ns && tls_handshaking(c->m)) return tls_wants_write(c->m);
    return mosquitto_want_write(c->m) || iobuf_out_pending(c->rbuf);
}

/* Keep the epoll registration in step with the library: the socket may have
 * been closed (fd -1, already gone from epoll) or data may be queued. */
static void update_interest(struct client *c)
{
    if (c->parked) return;
    int fd = mosquitto_socket(c->m);
    if (fd != c->fd) {
        /* A closed fd left the epoll set by itself; never DEL it, the number
         * may already belong to another client's socket. */
        c->fd = fd;
        c->events = 0;
        if (fd < 0) return;
        /* TLS: no write gathering, so libmosquitto's on_publish after
         * SSL_write means the record is in the kernel (iobuf.h). */
        iobuf_attach(fd, c->rbuf, c->env->tls ? IOBUF_NO_GATHER : 0);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (want_out(c)) ev.events |= EPOLLOUT;
        if (epoll_ctl(c->env->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            mark_failed(c, strerror(errno));
            return;
        }
        c->events = ev.events;
        return;
    }
    if (fd < 0) return;
    uint32_t want = EPOLLIN | (want_out(c) ? EPOLLOUT : 0);
    if (want != c->events) {
        struct epoll_event ev = { .events = want, .data.ptr = c };
        if (epoll_ctl(c->env->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) c->events = want;
    }
}

void client_connack_text(int protocol, int rc, char *buf, size_t len)
{
    if (protocol == 5 && rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION)
        snprintf(buf, len, "the broker does not support MQTT 5 (%s); try -V 3.1.1", mosquitto_reason_string(rc));
    else if (protocol == 5 && rc == CONNACK_REFUSED_PROTOCOL_VERSION)
        /* A 3.1.1 broker's answer to a v5 CONNECT (MQTT 5, 4.13.1). */
        snprintf(buf, len, "the broker does not support MQTT 5 (it answered as an MQTT 3.1.1 broker: %s); "
                 "try -V 3.1.1", mosquitto_connack_string(rc));
    else if (protocol == 5 && rc >= 0x80)
        snprintf(buf, len, "%s (MQTT 5 reason code %d)", mosquitto_reason_string(rc), rc);
    else
        snprintf(buf, len, "%s", mosquitto_connack_string(rc));
}

int client_check_grant(const struct mb_config *cfg, int requested, int granted, const char *filter,
                       char *err, size_t errlen)
{
    if (granted < 0 || granted > 2) {
        if (cfg->protocol == 5)
            snprintf(err, errlen, "the broker refused the subscription to '%s' (%s, MQTT 5 reason code %d)", filter,
                     mosquitto_reason_string(granted), granted);
        else
            snprintf(err, errlen, "the broker refused the subscription to '%s' (SUBACK return code 0x%02x)", filter,
                     (unsigned)granted);
        return -1;
    }
    /* A broker grants less than was asked when that is the most it
     * supports: then it cannot take publishes above it either (RabbitMQ 3.x
     * answers a QoS 2 PUBLISH with PUBACK, mosquitto with max_qos closes
     * the connection). Say so before anything is published. */
    if (granted < requested && cfg->mode != MB_MODE_SUB && cfg->pub_qos > granted) {
        snprintf(err, errlen, "the broker granted QoS %d to a QoS %d subscription (it does not support QoS %d%s); "
                 "use %s %d", granted, requested, cfg->pub_qos,
                 cfg->pub_qos == 2 && granted == 1 ? ", like RabbitMQ 3.x" : "",
                 cfg->pub_qos == cfg->qos ? "-q" : "--pub-qos", granted);
        return -1;
    }
    return 0;
}

int client_sys_qos(const struct mb_config *cfg, bool control)
{
    int qos = cfg->mode != MB_MODE_SUB ? cfg->pub_qos : 1;
    return control && qos < 1 ? 1 : qos;
}

/* The client's TLS connection failed: the reason from its verification
 * result or the OpenSSL error libmosquitto logged (env->tls_error). */
static void fail_tls(struct client *c)
{
    char reason[96], hint[160];
    const char *why = c->env->tls_error[0] ? c->env->tls_error : c->tls_ns ? TLS_CLOSED_AFTER_HANDSHAKE : NULL;
    tls_failure(c->env->tls, c->seen.verify_error, why, reason, sizeof(reason), hint, sizeof(hint));
    c->env->tls_error[0] = '\0';
    fail_as(c, STATS_CONN_TLS, reason, hint[0] ? hint : NULL);
}

/* The control client's will, for its next connection (control_will): the
 * broker tells the other processes if this one vanishes. Returns 0 or -1. */
static int set_control_will(struct client *c)
{
    if (c->role != CLIENT_SYS || !c->env->control) return 0;
    char will_topic[400], will[200];
    control_will(c->env->control, will_topic, sizeof(will_topic), will, sizeof(will));
    return mosquitto_will_set(c->m, will_topic, (int)strlen(will), will, 1, false) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

/* libmosquitto logs OpenSSL's error queue line by line, then clears it:
 * keep the first line ("OpenSSL Error[0]: error:...:reason"). Set only on
 * TLS clients until they are ready. */
static void on_log(struct mosquitto *m, void *obj, int level, const char *line)
{
    (void)m;
    struct client *c = obj;
    static const char first[] = "OpenSSL Error[0]: ";
    if (level == MOSQ_LOG_ERR && !strncmp(line, first, sizeof(first) - 1))
        snprintf(c->env->tls_error, sizeof(c->env->tls_error), "%s", line + sizeof(first) - 1);
}

/* TCP is up: the socket was seen writable, or (TLS) the ClientHello
 * reached the kernel, whichever came first. */
static void note_tcp(struct client *c, uint64_t now)
{
    c->tcp_ns = c->seen.hello_ns && c->seen.hello_ns < now ? c->seen.hello_ns : now;
    if (!c->lost_ns)   /* the connect histograms time first connects only */
        hist_record(&c->env->st->connect_tcp, c->tcp_ns - c->connect_start_ns);
}

/* The TLS handshake is done (in a step, or inside the connect call). */
static void note_handshake(struct client *c)
{
    struct client_env *env = c->env;
    uint64_t now = clock_mono_ns();
    if (!c->tcp_ns) note_tcp(c, now);
    c->tls_ns = now;
    if (!c->lost_ns) {   /* first connects only: the ramp's handshakes per second */
        hist_record(&env->st->connect_tls, now - c->tcp_ns);
        if (now > env->st->tls_last_ns) env->st->tls_last_ns = now;
    }
    tls_note_session(c->m, env->tls, &env->tls_facts);
}

/* A handshake that failed with its socket still open: out of the epoll set,
 * which would otherwise report its hangup on every turn until the end. */
static void park(struct client *c)
{
    if (c->fd >= 0) epoll_ctl(c->env->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    c->parked = true;
}

/* One step of the TLS handshake (libmosquitto runs it from loop_read). */
static void handshake_step(struct client *c, uint32_t events)
{
    struct client_env *env = c->env;
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        int closed = tls_peek_closed(c->fd);
        if (closed == 1 && !c->tcp_ns) {
            /* libmosquitto's first handshake write took the error (tls.h) */
            mark_failed(c, strerror(ECONNREFUSED));
        } else if (closed && c->tcp_ns) {
            /* a handshake of this worker succeeded: the port is a TLS listener */
            bool listener_ok = env->tls_facts.protocol[0] != '\0';
            fail_as(c, STATS_CONN_TLS,
                    closed == 1 ? "TLS: the broker closed the connection during the handshake"
                                : "TLS: the broker reset the connection during the handshake",
                    listener_ok ? "(other handshakes on this port succeeded: an overloaded broker does this; "
                                  "try a lower --connect-rate)"
                                : "(is the broker's port a TLS listener?)");
        } else if (closed) {
            mark_failed(c, strerror(closed));
        }
        if (closed) {
            park(c);
            return;
        }
    }
    env->tls_error[0] = '\0';
    tls_watch(&c->seen);
    int rc = mosquitto_loop_read(c->m, 1);
    tls_watch(NULL);
    if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(c->m) < 0) {
        fail_tls(c);
        return;
    }
    if (!c->tcp_ns && c->seen.hello_ns) note_tcp(c, clock_mono_ns());
    if (!tls_handshaking(c->m)) note_handshake(c);
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags)
{
    struct client *c = obj;
    const struct mb_config *cfg = c->env->cfg;
    if (rc != 0) {
        char text[200];
        client_connack_text(cfg->protocol, rc, text, sizeof(text));
        fail_as(c, STATS_CONN_REFUSED, text, NULL);
        return;
    }
    c->connacked = true;
    uint64_t now = clock_mono_ns();
    if (!c->lost_ns) {   /* the connect histograms time first connects only */
        hist_record(&c->env->st->connect_lat, now - c->connect_start_ns);
        uint64_t from = c->tls_ns ? c->tls_ns : c->tcp_ns ? c->tcp_ns : c->connect_start_ns;
        hist_record(&c->env->st->connect_connack, now - from);
    }
    if (c->role == CLIENT_CONN) {
        if (!cfg->conn_subscribe) {
            mark_ready(c);
        } else {
            int src = mosquitto_subscribe(m, NULL, cfg->topic, cfg->qos);
            if (src != MOSQ_ERR_SUCCESS) mark_failed(c, mosquitto_strerror(src));
        }
    } else if (c->role == CLIENT_PUB || (c->role == CLIENT_SUB && c->lost_ns && (flags & 1))) {
        mark_ready(c);   /* a subscriber whose session the broker kept is still subscribed */
    } else if (c->role == CLIENT_SUB) {
        int src = mosquitto_subscribe(m, NULL, c->topic, cfg->sub_qos);
        if (src != MOSQ_ERR_SUCCESS) mark_failed(c, mosquitto_strerror(src));
    } else {
        /* The broker's version, and the control topics: one SUBSCRIBE, one
         * SUBACK. At the publish QoS: what the broker grants is the most it
         * supports, known before anything is published. */
        char topics[4][400];
        char *list[5];
        size_t n = c->env->control ? control_subscriptions(c->env->control, topics, 4) : 0;
        for (size_t i = 0; i < n; i++) list[i] = topics[i];
        list[n++] = (char *)"$SYS/broker/version";
        int src = mosquitto_subscribe_multiple(m, NULL, (int)n, list, client_sys_qos(cfg, c->env->control != NULL),
                                               0, NULL);
        if (src != MOSQ_ERR_SUCCESS) mark_failed(c, mosquitto_strerror(src));
    }
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted)
{
    (void)m; (void)mid;
    struct client *c = obj;
    const struct mb_config *cfg = c->env->cfg;
    struct stats *st = c->env->st;
    char err[300];
    if (n < 1) {
        mark_failed(c, "the broker refused the subscription");
        return;
    }
    if (c->role == CLIENT_CONN) {
        if (granted[0] > 2) fail_as(c, STATS_CONN_SUBSCRIBE, "subscription refused", NULL);
        else mark_ready(c);
        return;
    }
    if (c->role == CLIENT_SUB) {
        if (granted[0] >= 0 && granted[0] <= 2) st->sub_qos_granted |= (uint8_t)(1u << granted[0]);
        if (client_check_grant(cfg, cfg->sub_qos, granted[0], c->topic, err, sizeof(err)) != 0) {
            fail_answer(c, granted[0] > 2 ? "subscription refused" : "QoS not supported", err);
            return;
        }
        mark_ready(c);
        return;
    }
    /* The $SYS/control client: its last filter ($SYS) is optional, the
     * control topics before it are not. */
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (granted[i] > 2 && i < n - 1) {
            mark_failed(c, "the broker refused the control topics (try --no-control)");
            return;
        }
        if (granted[i] <= 2 && granted[i] > best) best = granted[i];
    }
    if (best >= 0 && cfg->mode != MB_MODE_SUB) {
        int asked = client_sys_qos(cfg, c->env->control != NULL);
        st->pub_qos_granted |= (uint8_t)(1u << (best < cfg->pub_qos ? best : cfg->pub_qos));
        if (client_check_grant(cfg, asked, best, "$SYS/broker/version", err, sizeof(err)) != 0) {
            fail_answer(c, "QoS not supported", err);
            return;
        }
    }
    mark_ready(c);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
    (void)m;
    struct client *c = obj;
    const struct mb_config *cfg = c->env->cfg;
    if (c->closing || (rc == 0 && !c->lost_ns)) {
        if (c->state != CLIENT_FAILED) c->state = CLIENT_CLOSED;
        return;
    }
    if (c->env->tls && !c->connacked && (c->env->tls_error[0] || c->tls_ns)) {
        fail_tls(c);   /* TLS 1.3 checks the client certificate after our handshake */
        return;
    }
    const char *hint = NULL;
    if (!c->connacked && cfg->protocol == 5)
        hint = "(no CONNACK: if the broker does not support MQTT 5, try -V 3.1.1)";
    else if (rc == MOSQ_ERR_PROTOCOL && c->role == CLIENT_PUB && cfg->pub_qos == 2)
        hint = "(a broker that does not support QoS 2 answers a QoS 2 PUBLISH with PUBACK, like RabbitMQ 3.x; "
               "try -q 1)";
    fail_client(c, mosquitto_strerror(rc), hint);
}

/* One publish is done: in the kernel (QoS 0), PUBACKed (1) or PUBCOMPed (2). */
static void complete_publish(struct client *c)
{
    struct client_env *env = c->env;
    if (c->warm_done < c->warm_issued) {   /* a warm-up message: not measured */
        c->warm_done++;
        c->outstanding--;
        return;
    }
    struct stats *st = env->st;
    c->outstanding--;
    c->done++;
    st->pub_done++;
    st->pub_bytes += env->cfg->size;
    atomic_store_explicit(&env->live_sent, st->pub_done, memory_order_relaxed);
    atomic_fetch_add_explicit(&env->live_sent_weighted, c->fanout, memory_order_relaxed);
    if (c->done == c->quota) {
        st->pub_last_done_ns = clock_mono_ns();
        atomic_fetch_add_explicit(&env->finished, 1, memory_order_relaxed);
    }
}

/* Count what a flush of gathered output put into the kernel. */
static void flush_output(struct client *c)
{
    if (c->fd < 0 || !c->rbuf->out_cap) return;
    int n = iobuf_flush(c->fd, c->rbuf);
    for (int i = 0; i < n; i++) complete_publish(c);
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
    (void)m; (void)mid;
    struct client *c = obj;
    /* QoS 0 reports right after the write, which may only have reached our
     * output buffer: then it counts when the flush puts it in the kernel. */
    if (c->env->cfg->pub_qos == 0 && !iobuf_note_end(c->rbuf)) return;
    complete_publish(c);
}

static void on_sys_message(struct client *c, const struct mosquitto_message *msg)
{
    size_t n = (size_t)msg->payloadlen;
    if (n >= sizeof(c->env->broker_version)) n = sizeof(c->env->broker_version) - 1;
    memcpy(c->env->broker_version, msg->payload, n);
    c->env->broker_version[n] = '\0';
}

/* The run is stopping (interrupted, failed or done): leave at once. */
static bool stopping(const struct client_env *env)
{
    return env->phase && atomic_load_explicit(env->phase, memory_order_relaxed) >= PHASE_STOP;
}

/* --sub-delay: a slow consumer. It blocks the worker's loop, as processing
 * would, but in slices that look at the phase, so a Ctrl-C is not held up
 * by a queue of delayed messages. */
static void sub_delay(const struct client_env *env)
{
    uint64_t left = env->cfg->sub_delay_ns;
    while (left && !stopping(env)) {
        uint64_t ns = left < CLIENT_DELAY_SLICE_NS ? left : CLIENT_DELAY_SLICE_NS;
        struct timespec d = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
        nanosleep(&d, NULL);   /* an early wake only ends this slice */
        left -= ns;
    }
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
    (void)m;
    struct client *c = obj;
    struct client_env *env = c->env;
    struct stats *st = env->st;
    if (c->role == CLIENT_SYS) {
        if (!strncmp(msg->topic, "$SYS/", 5)) on_sys_message(c, msg);
        else if (env->control)
            control_on_message(env->control, msg->topic, msg->payload, (size_t)msg->payloadlen,
                               control_now_ns(env->control));
        return;
    }
    if (c->role == CLIENT_CONN) return;   /* conn measures connects, not messages */
    uint64_t now = clock_ns(env->stamp_clock) + (uint64_t)env->stamp_skew_ns;
    uint64_t mono = env->stamp_clock == CLOCK_MONOTONIC && !env->stamp_skew_ns ? now : clock_mono_ns();
    struct payload_header h;
    if (payload_decode(msg->payload, (size_t)msg->payloadlen, &h) != 0) {
        st->sub_foreign++;
        return;
    }
    if (env->warm_tag != env->run_tag && h.run_tag == env->warm_tag) {
        st->sub_warmup++;
        c->frontier++;          /* the flow control counts warm-up messages too */
        c->received++;
        return;
    }
    const struct tracker *t = tracker_set_get(&c->tracks, h.pub_index);
    uint64_t before = t ? t->next : 0;
    /* Across hosts: our clock = publisher clock + offset (control.c). */
    int64_t offset = env->control && env->stamp_clock == CLOCK_REALTIME ? control_offset(env->control, h.pub_index) : 0;
    int64_t lat = payload_latency_ns(now - (uint64_t)offset, h.ts_ns48);
    uint64_t sent_mono = lat > 0 && (uint64_t)lat < mono ? mono - (uint64_t)lat : mono;   /* on this process's clock */
    int outcome;
    if ((env->match_run_tag && h.run_tag != env->run_tag) || (c->hears && !topology_match_has(c->hears, h.pub_index)) ||
        (outcome = tracker_set_record(&c->tracks, h.pub_index, h.seq, sent_mono)) < 0) {
        st->sub_foreign++;
        return;
    }
    st->sub_valid++;
    c->received++;
    /* The set may have grown: look the tracker up again. */
    uint64_t advance = tracker_set_get(&c->tracks, h.pub_index)->next - before;
    st->sub_frontier += advance;
    c->frontier += advance;
    if (!st->rx_first_ns) st->rx_first_ns = mono;
    if (env->all_back_ns) {   /* --reconnect: the first message after every client was back */
        uint64_t back = atomic_load_explicit(env->all_back_ns, memory_order_relaxed);
        if (back != env->rx_mark_seen && mono >= back &&
            log_grow((void **)&env->rx_marks, &env->nrx, &env->cap_rx, sizeof(*env->rx_marks))) {
            env->rx_marks[env->nrx++] = (struct outage_rx){ .back_ns = back, .rx_ns = mono };
            env->rx_mark_seen = back;
        }
    }
    st->rx_last_ns = mono;
    atomic_store_explicit(&env->live_last_rx_ns, mono, memory_order_relaxed);
    if (outcome == TRACKER_DUPLICATE && env->all_back_ns) log_flight(env, sent_mono, mono, true);
    if (outcome != TRACKER_DUPLICATE) {
        st->sub_unique++;
        atomic_store_explicit(&env->live_received, st->sub_unique, memory_order_relaxed);
        if (lat < 0) {
            st->sub_negative++;
            lat = 0;
        }
        hist_record(&st->service_lat, (uint64_t)lat);
        if (env->schedule_known) {
            /* Open loop: from the slot the message was due in, so time the
             * generator spent late is part of the latency (no coordinated
             * omission). Same clock: both sides are in this process. */
            uint64_t due = client_due_ns(env, h.pub_index, h.seq);
            lat = now > due ? (int64_t)(now - due) : 0;
        }
        /* --reconnect: a message sent (or due) before the last outage
         * ended, or received while a client is down, was delayed by it:
         * its latency is kept apart from the steady state's. */
        bool delayed = env->all_back_ns &&
                       (atomic_load_explicit(env->down_all, memory_order_relaxed) ||
                        mono - (uint64_t)lat < atomic_load_explicit(env->all_back_ns, memory_order_relaxed));
        hist_record(delayed ? &st->lat_outage : &st->lat, (uint64_t)lat);
        /* sent before this subscriber lost its connection, here after it
         * came back: its session (or the publisher) carried it across */
        if (c->was_lost_ns && sent_mono < c->was_lost_ns) log_flight(env, c->was_lost_ns, c->back_ns, false);
        hist_record(&st->lat_tick, (uint64_t)lat);
    }
    if (env->cfg->sub_delay_ns) sub_delay(env);
}

void client_env_init(struct client_env *env, const struct mb_config *cfg, const char *connect_ip, int port,
                     const struct tls *tls)
{
    memset(env, 0, sizeof(*env));
    env->cfg = cfg;
    env->connect_ip = connect_ip;
    env->port = port;
    env->tls = tls;
}

int client_init(struct client *c, struct client_env *env, enum client_role role,
                uint32_t index, const char *topic, uint32_t quota, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->env = env;
    c->role = role;
    c->index = index;
    c->quota = quota;
    if (role == CLIENT_PUB && quota == 0)   /* --count below --publishers: nothing to send */
        atomic_fetch_add_explicit(&env->finished, 1, memory_order_relaxed);
    c->topic = topic;
    c->fanout = 1;
    c->fd = -1;
    c->state = CLIENT_NEW;
    const struct mb_config *cfg = env->cfg;
    char id[128];
    static const char role_ch[] = { 'p', 's', 'x', 'c' };
    /* The $SYS reader of every process gets its own id: two processes of one
     * run (pub here, sub there) must not take each other's connection. */
    if (role == CLIENT_SYS) {
        /* pid and a random part: in containers every process may be pid 1 */
        uint32_t salt = (uint32_t)(clock_real_ns() ^ ((uint64_t)getpid() << 20));
        snprintf(id, sizeof(id), "%s-%04x-%c%s%ld-%04x", cfg->id_prefix, env->run_tag, role_ch[role],
                 cfg->mode == MB_MODE_PUB ? "p" : cfg->mode == MB_MODE_SUB ? "s" : "b", (long)getpid(),
                 salt & 0xffff);
    } else {
        topology_client_id(cfg, env->run_tag, role_ch[role], index, id, sizeof(id));
    }
    if (role == CLIENT_SUB && tracker_set_init(&c->tracks, 1, PAYLOAD_MAX_PUBLISHERS) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->rbuf = malloc(sizeof(*c->rbuf));
    if (!c->rbuf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(c->rbuf, 0, offsetof(struct iobuf, out));
    c->rbuf->start = c->rbuf->end = 0;
    c->rbuf->out_cap = role == CLIENT_PUB ? IOBUF_OUT_SIZE : 0;
    /* No wake-up socketpair: it serves a select() loop we never run, and
     * costs 2 fds per client and a write per publish (iobuf.h). */
    iobuf_refuse_socketpair(true);
    c->m = mosquitto_new(id, role == CLIENT_SYS ? true : cfg->clean, c);
    iobuf_refuse_socketpair(false);
    if (!c->m) {
        snprintf(err, errlen, "cannot create MQTT client: %s", strerror(errno));
        return -1;
    }
#if LIBMOSQUITTO_VERSION_NUMBER >= 2001000
    mosquitto_int_option(c->m, MOSQ_OPT_DISABLE_SOCKETPAIR, 1);
#endif
    mosquitto_int_option(c->m, MOSQ_OPT_PROTOCOL_VERSION,
                         cfg->protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
    if (env->tls) {
        if (tls_attach(env->tls, c->m) != 0) {
            snprintf(err, errlen, "cannot give the MQTT client its TLS context");
            return -1;
        }
        mosquitto_log_callback_set(c->m, on_log);
    }
    if (role == CLIENT_PUB) mosquitto_int_option(c->m, MOSQ_OPT_SEND_MAXIMUM, cfg->inflight);
    if (cfg->username && mosquitto_username_pw_set(c->m, cfg->username, cfg->password) != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "cannot set username");
        return -1;
    }
    if (set_control_will(c) != 0) {
        snprintf(err, errlen, "cannot set the control client's will");
        return -1;
    }
    mosquitto_connect_with_flags_callback_set(c->m, on_connect);
    mosquitto_disconnect_callback_set(c->m, on_disconnect);
    if (role == CLIENT_PUB) mosquitto_publish_callback_set(c->m, on_publish);
    else {
        mosquitto_subscribe_callback_set(c->m, on_subscribe);
        mosquitto_message_callback_set(c->m, on_message);
    }
    return 0;
}

int client_connect(struct client *c, const char *bind_address)
{
    c->bind_address = bind_address;
    c->state = CLIENT_CONNECTING;
    c->connect_start_ns = clock_mono_ns();
    if (!c->env->st->connect_first_ns) c->env->st->connect_first_ns = c->connect_start_ns;
    const struct mb_config *cfg = c->env->cfg;
    int rc;
    if (c->env->tls) {
        tls_watch(&c->seen);
        c->env->tls_error[0] = '\0';
    }
    if (cfg->session_expiry_s >= 0 && c->role != CLIENT_SYS) {
        /* libmosquitto has no asynchronous connect with properties: connect
         * (blocking TCP handshake), then make the socket non-blocking. */
        mosquitto_property *props = NULL;
        mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, (uint32_t)cfg->session_expiry_s);
        rc = mosquitto_connect_bind_v5(c->m, c->env->connect_ip, c->env->port, cfg->keepalive_s, bind_address, props);
        mosquitto_property_free_all(&props);
        int fd = mosquitto_socket(c->m);
        if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    } else {
        rc = mosquitto_connect_bind_async(c->m, c->env->connect_ip, c->env->port, cfg->keepalive_s, bind_address);
    }
    tls_watch(NULL);
    if (rc == MOSQ_ERR_SUCCESS && c->seen.hello_ns) note_tcp(c, clock_mono_ns());   /* the ClientHello went out */
    if (rc == MOSQ_ERR_SUCCESS && c->env->tls && mosquitto_socket(c->m) >= 0 && !tls_handshaking(c->m))
        note_handshake(c);   /* finished inside the call */
    else if (rc == MOSQ_ERR_SUCCESS && !c->env->tls && cfg->session_expiry_s >= 0 && c->role != CLIENT_SYS)
        note_tcp(c, clock_mono_ns());   /* a blocking connect returns with TCP up */
    /* EPROTO: an SSL_write or SSL_read failed, after a handshake that ended
     * inside the call (a failed handshake is MOSQ_ERR_TLS) */
    bool after_handshake = rc == MOSQ_ERR_ERRNO && errno == EPROTO;
    if (c->env->tls && (rc == MOSQ_ERR_TLS || after_handshake)) {
        if (after_handshake && !c->tls_ns) c->tls_ns = clock_mono_ns();
        fail_tls(c);
        return -1;
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        mark_failed(c, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return -1;
    }
    update_interest(c);
    return c->state == CLIENT_FAILED ? -1 : 0;
}

uint64_t client_retry(struct client *c, uint64_t now_ns)
{
    if (!c->m) return UINT64_MAX;
    if (c->lost_ns && !c->retry_at_ns && c->state == CLIENT_CONNECTING &&
        now_ns - c->lost_ns > c->env->cfg->connect_timeout_ns) {
        fail_client(c, "no CONNACK", NULL);   /* an attempt the broker never answered */
        return UINT64_MAX;
    }
    if (!c->retry_at_ns) return UINT64_MAX;
    if (now_ns < c->retry_at_ns) return c->retry_at_ns;
    c->retry_at_ns = 0;
    c->attempts++;
    /* The old socket, if the library still holds it, closes in the connect
     * call and leaves the epoll set by itself. */
    if (c->parked) c->parked = false;
    c->fd = -1;
    c->events = 0;
    c->tcp_ns = c->tls_ns = 0;
    c->connacked = false;
    memset(&c->seen, 0, sizeof(c->seen));
    if (c->env->tls) mosquitto_log_callback_set(c->m, on_log);
    if (set_control_will(c) != 0) {   /* it names the connection it belongs to */
        fail_client(c, "cannot set the control client's will", NULL);
        return UINT64_MAX;
    }
    client_connect(c, c->bind_address);
    return c->retry_at_ns ? c->retry_at_ns : UINT64_MAX;
}

bool client_handle(struct client *c, uint32_t events)
{
    if (!c->m) return false;
    if (c->state == CLIENT_CONNECTING && !c->tcp_ns && c->fd >= 0 && (events & EPOLLOUT) &&
        !(events & (EPOLLERR | EPOLLHUP)))
        note_tcp(c, clock_mono_ns());
    /* Once: OpenSSL is "in init" again while it reads a TLS 1.3 session
     * ticket, which SSL_read does on its own. */
    if (c->env->tls && c->fd >= 0 && !c->tls_ns && tls_handshaking(c->m)) {
        handshake_step(c, events);
        update_interest(c);
        return c->fd >= 0 && (iobuf_pending(c->rbuf) || tls_pending(c->m));
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        /* loop_read handles one packet per call for QoS 0; keep calling until
         * the socket says EAGAIN instead of paying an epoll_wait per message. */
        for (int i = 0; i < CLIENT_READ_BUDGET; i++) {
            errno = 0;
            int rc = mosquitto_loop_read(c->m, 1);
            if (rc != MOSQ_ERR_SUCCESS || errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (mosquitto_socket(c->m) < 0) break;
            if (c->env->cfg->sub_delay_ns && stopping(c->env)) break;   /* the rest waits for nobody */
            /* The socket was empty at the last fill: back to epoll rather
             * than a read for EAGAIN, or for the one message that trickled
             * in meanwhile (--coalesce then lets more gather). */
            if (iobuf_drained(c->rbuf)) break;
        }
        if (c->env->tls) tls_release_buffers(c->env->tls, c->m);   /* the read that found EAGAIN took one */
    }
    if ((c->role != CLIENT_PUB || c->env->cfg->pub_qos > 0) && c->fd >= 0) {
        /* ACK at once: a broker that leaves Nagle on (mosquitto's default)
         * otherwise holds its next packets to us until our delayed ACK, up
         * to 40 ms. To a subscriber: its queue for us then overflows and it
         * drops messages. To a QoS 1/2 publisher: its acks wait, and the
         * publisher with them (QoS 2 on a stock mosquitto ran at 1/20 of its
         * speed, every PUBREC/PUBCOMP 40 ms late). The control client also
         * times clock exchanges with these packets. */
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
    }
    if ((events & EPOLLOUT) && mosquitto_socket(c->m) >= 0) {
        flush_output(c);
        for (int i = 0; i < CLIENT_WRITE_BUDGET && mosquitto_want_write(c->m) &&
                        !iobuf_out_pending(c->rbuf); i++) {
            errno = 0;
            int rc = mosquitto_loop_write(c->m, 1);
            if (rc != MOSQ_ERR_SUCCESS || errno == EAGAIN || errno == EWOULDBLOCK) break;
        }
        flush_output(c);   /* collects what the write shim flushed on the way */
    }
    update_interest(c);
    return c->fd >= 0 && (iobuf_pending(c->rbuf) || (c->env->tls && tls_pending(c->m)));
}

uint64_t client_due_ns(const struct client_env *env, uint32_t pub_index, uint32_t seq)
{
    return flow_due_ns(env->t0_ns, env->slot_ns, (uint32_t)env->cfg->publishers, pub_index, seq);
}

uint64_t client_next_due_ns(const struct client *c, uint64_t now_ns, bool warm)
{
    const struct client_env *env = c->env;
    if (c->state != CLIENT_READY || (!warm && c->issued >= c->quota) ||
        c->outstanding >= (uint32_t)env->cfg->inflight)
        return UINT64_MAX;
    if (!env->slot_ns) return 0;
    uint64_t due = warm ? flow_due_ns(c->warm_t0_ns, env->slot_ns, (uint32_t)env->cfg->publishers, c->index,
                                      c->warm_issued)
                        : client_due_ns(env, c->index, c->issued);
    return due <= now_ns ? 0 : due;
}

int client_publish_some(struct client *c, uint64_t now_ns, int budget, bool warm)
{
    struct client_env *env = c->env;
    const struct mb_config *cfg = env->cfg;
    int n = 0;
    /* Gather a burst into one write(): a syscall per small message is most of
     * a publisher's cost on TCP. Messages count when the flush below puts
     * them in the kernel (see iobuf.h). */
    bool gather = budget > 1 && c->fd >= 0;
    if (gather) iobuf_gather(c->rbuf, true);
    if (warm && !c->warm_t0_ns) c->warm_t0_ns = now_ns;
    while (n < budget && client_next_due_ns(c, now_ns, warm) == 0) {
        uint64_t ts = clock_ns(env->stamp_clock) + (uint64_t)env->stamp_skew_ns;
        if (env->slot_ns && !warm) {
            uint64_t mono = env->stamp_clock == CLOCK_MONOTONIC ? ts : clock_mono_ns();
            uint64_t due = client_due_ns(env, c->index, c->issued);
            uint64_t lag = mono > due ? mono - due : 0;
            if (lag >= env->slot_ns) env->st->pub_missed_slots++;
            if (lag > env->st->pub_max_lag_ns) env->st->pub_max_lag_ns = lag;
        }
        struct payload_header h = {
            .run_tag = warm ? env->warm_tag : env->run_tag, .pub_index = c->index,
            .seq = warm ? c->warm_issued : c->issued, .ts_ns48 = ts & PAYLOAD_TS_MASK,
        };
        payload_encode(env->scratch, &h);
        c->outstanding++;   /* before the call: QoS 0 completes inside it */
        int rc = mosquitto_publish(c->m, NULL, c->topic, (int)cfg->size, env->scratch, cfg->pub_qos, cfg->retain);
        if (rc != MOSQ_ERR_SUCCESS) {
            c->outstanding--;
            if (!env->st->pub_errors++)
                snprintf(env->st->pub_error, sizeof(env->st->pub_error), "%s", mosquitto_strerror(rc));
            if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST) mark_failed(c, mosquitto_strerror(rc));
            break;
        }
        if (warm) c->warm_issued++;
        else c->issued++;
        n++;
    }
    if (gather) {
        iobuf_gather(c->rbuf, false);
        if (mosquitto_socket(c->m) == c->fd) flush_output(c);
    }
    if (n) update_interest(c);
    return n;
}

void client_stop_publishing(struct client *c)
{
    if (c->role != CLIENT_PUB || c->quota <= c->issued) return;
    bool was_done = c->done == c->quota;
    c->quota = c->issued;
    if (!was_done && c->done == c->quota) {
        c->env->st->pub_last_done_ns = clock_mono_ns();
        atomic_fetch_add_explicit(&c->env->finished, 1, memory_order_relaxed);
    }
}

int client_send(void *client, const char *topic, const char *payload, size_t len)
{
    struct client *c = client;
    if (!c->m || c->state != CLIENT_READY) return -1;
    int rc = mosquitto_publish(c->m, NULL, topic, (int)len, len ? payload : NULL, 1, false);
    update_interest(c);
    return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

void client_misc(struct client *c)
{
    if (!c->m || mosquitto_socket(c->m) < 0) return;
    mosquitto_loop_misc(c->m);
    update_interest(c);
}

void client_close(struct client *c)
{
    if (!c->m) return;
    c->closing = true;
    if (mosquitto_socket(c->m) >= 0 && c->state == CLIENT_READY) {
        mosquitto_disconnect(c->m);
        for (int i = 0; i < 8 && mosquitto_socket(c->m) >= 0 && mosquitto_want_write(c->m); i++)
            if (mosquitto_loop_write(c->m, 1) != MOSQ_ERR_SUCCESS) break;
    }
    mosquitto_destroy(c->m);
    c->m = NULL;
    c->fd = -1;
}

bool client_leaves_session(const struct mb_config *cfg)
{
    /* MQTT 5 ends a session at its expiry (0 unless --session-expiry): the
     * broker does the rest. --run-id: a later run may resume it. */
    return !cfg->clean && cfg->protocol != 5 && !(cfg->run_id_given && !cfg->child);
}

static void on_forget_connect(struct mosquitto *m, void *obj, int rc)
{
    (void)m;
    *(int *)obj = rc == 0 ? 1 : -1;
}

int client_forget_session(struct client *c, uint64_t deadline_ns)
{
    const struct client_env *env = c->env;
    const struct mb_config *cfg = env->cfg;
    char id[128];
    topology_client_id(cfg, env->run_tag, c->role == CLIENT_PUB ? 'p' : 's', c->index, id, sizeof(id));
    int answer = 0;
    struct mosquitto *m = mosquitto_new(id, true, &answer);
    if (!m) return -1;
    if (env->tls && tls_attach(env->tls, m) != 0) {
        mosquitto_destroy(m);
        return -1;
    }
    mosquitto_connect_callback_set(m, on_forget_connect);
    if (cfg->username) mosquitto_username_pw_set(m, cfg->username, cfg->password);
    if (mosquitto_connect_async(m, env->connect_ip, env->port, cfg->keepalive_s) == MOSQ_ERR_SUCCESS) {
        /* Its own small loop: the worker's epoll loop has ended. */
        while (!answer && clock_mono_ns() < deadline_ns) {
            int fd = mosquitto_socket(m);
            if (fd < 0) break;
            bool hs = env->tls && tls_handshaking(m);
            struct pollfd p = { .fd = fd, .events = POLLIN | ((hs ? tls_wants_write(m) : mosquitto_want_write(m))
                                                              ? POLLOUT : 0) };
            if (poll(&p, 1, 10) < 0 && errno != EINTR) break;
            if (hs) {   /* the handshake runs from loop_read (tls.h) */
                if (p.revents && (tls_peek_closed(fd) || mosquitto_loop_read(m, 1) != MOSQ_ERR_SUCCESS)) break;
                continue;
            }
            if ((p.revents & POLLOUT) && mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS) break;
            if ((p.revents & (POLLIN | POLLERR | POLLHUP)) && mosquitto_loop_read(m, 1) != MOSQ_ERR_SUCCESS &&
                errno != EAGAIN)
                break;
        }
        if (answer == 1) {
            mosquitto_disconnect(m);
            for (int i = 0; i < 8 && mosquitto_socket(m) >= 0 && mosquitto_want_write(m); i++)
                if (mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS) break;
        }
    }
    mosquitto_destroy(m);
    return answer == 1 ? 0 : -1;
}

void client_free(struct client *c)
{
    free(c->rbuf);
    c->rbuf = NULL;
    if (c->role == CLIENT_SUB) tracker_set_free(&c->tracks);
}
