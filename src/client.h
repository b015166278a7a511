/* client: all libmosquitto glue, and only here. One struct client wraps one
 * struct mosquitto driven by its worker's epoll loop through the external-loop
 * API (mosquitto_socket / loop_read / loop_write / want_write / loop_misc).
 * Every function here runs on the owning worker's thread only. */
#ifndef MB_CLIENT_H
#define MB_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "control.h"
#include "flow.h"
#include "iobuf.h"
#include "options.h"
#include "outage.h"
#include "stats.h"
#include "tls.h"
#include "tracker.h"

struct mosquitto;

enum client_role { CLIENT_PUB, CLIENT_SUB, CLIENT_SYS, CLIENT_CONN /* conn: one connection slot (conn.h) */ };

enum client_state {
    CLIENT_NEW,         /* created, not connecting yet */
    CLIENT_CONNECTING,  /* TCP/CONNECT/SUBSCRIBE under way */
    CLIENT_READY,       /* connected (and subscribed) */
    CLIENT_FAILED,      /* refused, or lost while the run needed it */
    CLIENT_CLOSED,      /* disconnected on purpose */
};

/* Run phases, in order. Workers and clients only read the phase. */
enum run_phase {
    PHASE_CONNECT = 0,      /* connect and subscribe every client; publish nothing */
    PHASE_WARMUP = 1,       /* publish under the warm-up tag; nothing is measured */
    PHASE_MEASURE = 2,      /* publishers follow their quota and schedule */
    PHASE_STOP_PUBLISHING = 3, /* no new messages; in-flight ones complete, subscribers drain */
    PHASE_STOP = 4,         /* disconnect everything and leave the thread */
};

struct client_env;

/* Shared by the clients of one worker; owned by the worker. The atomics are
 * written by the worker thread and read by the main thread. */
struct client_env {
    const struct mb_config *cfg;
    const char *connect_ip;     /* numeric address: libmosquitto then skips DNS */
    int port;
    clockid_t stamp_clock;      /* clock of payload timestamps */
    uint16_t run_tag;
    uint16_t warm_tag;          /* run tag of warm-up messages */
    bool match_run_tag;         /* false: accept messages of any run (sub without --run-id) */
    uint64_t slot_ns;           /* paced: ns between two messages of one publisher; 0 = unpaced */
    bool schedule_known;        /* subscribers can compute each message's intended send
                                   time (paced, publishers in this process) */
    uint64_t t0_ns;             /* monotonic start of the measured phase (publish schedule origin) */
    uint64_t connect_interval_ns; /* this worker's spacing between two connects; 0 = none */
    struct stats *st;
    struct control *control;    /* pub/sub processes: the run's control plane; NULL in `both` */
    int64_t stamp_skew_ns;      /* added to payload stamps (test-only clock skew) */
    uint8_t *scratch;           /* cfg->size bytes, the outgoing payload */
    int epfd;

    _Atomic uint32_t ready;     /* clients that connected (and subscribed); a loss does not count down */
    _Atomic uint32_t finished;  /* publishers whose quota completed */
    _Atomic uint32_t failed;    /* clients in CLIENT_FAILED */
    _Atomic uint32_t down;      /* --reconnect: clients that lost their connection and are not back yet */
    _Atomic uint64_t reconnects; /* --reconnect: connections lost and made again */
    _Atomic uint32_t *down_all; /* --reconnect: the run's clients down, every worker's; NULL without */
    _Atomic uint64_t *all_back_ns; /* --reconnect: when down_all last fell to 0 (the last client back) */
    struct outage_event *lost_log; /* --reconnect: this worker's lost connections; read after join */
    size_t nlost, cap_lost;
    struct outage_rx *rx_marks; /* --reconnect: the first message this worker received after each
                                   all_back_ns; read after join */
    size_t nrx, cap_rx;
    uint64_t rx_mark_seen;      /* the all_back_ns of the last mark */
    struct outage_flight *flights; /* --reconnect: duplicates and delayed messages received; read after join */
    size_t nflights, cap_flights;
    _Atomic uint64_t live_sent;       /* = st->pub_done, for progress lines */
    _Atomic uint64_t live_sent_weighted; /* completed publishes times their fanout: what
                                            the subscribers should receive in all */
    _Atomic uint64_t live_received;   /* = st->sub_unique */
    _Atomic uint64_t live_last_rx_ns; /* = st->rx_last_ns */
    struct flow *flow;          /* `both` flow control (flow.h); NULL: publishers never
                                   wait for subscribers */
    const _Atomic int *phase;   /* the run's phase (enum run_phase), for the stop */
    char error[256];            /* first fault seen by this worker; read after join */
    struct {
        char reason[96];
        uint32_t count;
    } failures[8];              /* connect/connection failures by reason; read after join */
    char broker_version[96];    /* from $SYS/broker/version, when the broker sends it */
    const struct tls *tls;      /* the process's TLS context; NULL: plain TCP */
    char tls_error[160];        /* the first OpenSSL error libmosquitto logged for a client
                                   still connecting; consumed by its failure */
    struct tls_facts tls_facts; /* negotiated by this worker's first handshake; read after join */

    /* conn (conn.h) */
    _Atomic uint64_t *conn_id_gen;  /* --id-pool: per id number, connects started with it (every
                                       worker's); NULL without a pool */
    _Atomic uint64_t *conn_id_open; /* --id-pool: per id number, ready connections not yet closed */
    _Atomic uint64_t *conn_overlap; /* --id-pool: connections ready while another with their id was:
                                       a takeover the broker has still to make (or we to see) */
    _Atomic uint64_t conn_started;  /* = st->conn.started, for the controller */
    _Atomic uint64_t conn_settled;  /* connects that became ready or ended before it */
    _Atomic uint64_t conn_done;     /* = st->conn.done */
    _Atomic uint64_t conn_failed;   /* failures of every kind */
};

struct client {
    struct mosquitto *m;
    struct client_env *env;
    enum client_role role;
    enum client_state state;
    uint32_t index;             /* publisher or subscriber index */
    const char *topic;          /* publish topic or subscription filter (owned by the topology) */
    uint32_t fanout;            /* publisher: receivers that should get each of its messages */
    int fd;                     /* registered in env->epfd, -1 when none */
    uint32_t events;            /* epoll events registered */
    bool closing;               /* disconnect requested by us */
    bool connacked;             /* the broker accepted the connection */
    struct iobuf *rbuf;         /* read buffer under libmosquitto (see iobuf.h) */

    uint64_t connect_start_ns;  /* monotonic time of the connect call */
    uint64_t tcp_ns, tls_ns;    /* monotonic times TCP came up and the TLS handshake ended; 0 = not yet */
    struct tls_seen seen;       /* TLS: what the handshake steps saw (tls_watch) */
    bool parked;                /* failed with its socket open: out of epoll until closed */
    const char *bind_address;   /* of its connect, again for a reconnect */

    /* --reconnect */
    bool was_ready;             /* it was ready once: a loss is reconnected, not failed */
    uint64_t lost_ns;           /* monotonic time the connection was lost; 0 = connected (or never) */
    uint64_t retry_at_ns;       /* next attempt; 0 = none waiting (connected, or an attempt under way) */
    unsigned attempts;          /* attempts since the loss */
    size_t lost_event;          /* its entry in env->lost_log, plus 1; 0: none */
    uint64_t was_lost_ns, back_ns; /* its last loss that ended, and when it was back; 0: none */

    /* conn: one connect of the schedule in this slot */
    uint64_t conn_seq;          /* its number k in the run */
    uint64_t conn_id;           /* its client id number (conn_id_number) */
    uint64_t conn_gen;          /* --id-pool: the value of env->conn_id_gen[conn_id] it set */
    uint64_t conn_ready_ns;     /* monotonic time it became ready; 0 = not yet */
    bool conn_settled;          /* ready, or ended before it */
    bool conn_open;             /* --id-pool: counted in env->conn_id_open */

    /* publisher */
    uint32_t warm_issued, warm_done; /* warm-up messages; completions come first, in order */
    uint64_t warm_t0_ns;        /* schedule origin of the warm-up */
    uint32_t quota;             /* messages to send */
    uint32_t issued;            /* next sequence number */
    uint32_t done;              /* completed (on_publish) */
    uint32_t outstanding;       /* issued - done: bounded by --inflight */

    /* subscriber */
    struct tracker_set tracks;  /* per publisher: loss, duplicates, reordering */
    uint64_t frontier;          /* messages received or known skipped, all publishers */
    uint64_t received;          /* messages of this run received, duplicates and warm-up included */
    const struct topology_match *hears; /* `both`: the publishers it should hear (others are
                                           foreign); NULL: any */
};

/* Zero env and fill what every client of a run shares: cfg, the numeric
 * address connected to (not copied), port, the TLS context (NULL: plain TCP).
 * The caller sets the rest (clock, run tag, pacing ...). */
void client_env_init(struct client_env *env, const struct mb_config *cfg, const char *connect_ip, int port,
                     const struct tls *tls);

/* Create the libmosquitto instance for role/index (client id
 * "<prefix>-<run tag>-<p|s|x><index>"). topic is the publish topic or the
 * subscription filter (not copied: must outlive the client); quota is the
 * publisher's message count. Returns 0, or -1 with err filled. */
int client_init(struct client *c, struct client_env *env, enum client_role role,
                uint32_t index, const char *topic, uint32_t quota, char *err, size_t errlen);

/* Start a non-blocking connect (from bind_address when not NULL) and register
 * the socket with env->epfd.
 * Returns 0, or -1 (the client is then CLIENT_FAILED and env->error says why). */
int client_connect(struct client *c, const char *bind_address);

/* --reconnect: make the attempt that is due. Returns the monotonic time of
 * the client's next attempt, UINT64_MAX when none is waiting. */
uint64_t client_retry(struct client *c, uint64_t now_ns);

/* Service epoll events on the client's socket: read until EAGAIN (bounded),
 * write what is queued, then update the epoll registration. While a TLS
 * handshake is under way, drive it instead (tls.h). Returns true when
 * buffered input is left, in the I/O layer or in OpenSSL (epoll will not
 * report it): call again soon with EPOLLIN. */
bool client_handle(struct client *c, uint32_t events);

/* Publish while the inflight window, the quota and the schedule allow, at most
 * budget messages. Returns how many were issued. */
int client_publish_some(struct client *c, uint64_t now_ns, int budget, bool warm);

/* Paced: the monotonic time message seq of publisher pub_index is due
 * (flow_due_ns on this run's schedule). */
uint64_t client_due_ns(const struct client_env *env, uint32_t pub_index, uint32_t seq);

/* Monotonic time of the client's next scheduled message; 0 when it could send
 * now, UINT64_MAX when it has nothing to send (quota reached or window full). */
uint64_t client_next_due_ns(const struct client *c, uint64_t now_ns, bool warm);

/* Stop issuing new messages: the quota becomes what was issued so far. */
void client_stop_publishing(struct client *c);

/* Publish a control message (QoS 1, not retained) on the $SYS/control client.
 * Returns 0 or -1. */
int client_send(void *client, const char *topic, const char *payload, size_t len);

/* One line for a refused CONNACK: rc is an MQTT 5 reason code (protocol 5)
 * or a 3.1.1 return code. A broker without MQTT 5 gets "the broker does not
 * support MQTT 5 (...); try -V 3.1.1". */
void client_connack_text(int protocol, int rc, char *buf, size_t len);

/* A SUBACK's answer for one filter: granted is the QoS granted or a failure
 * code (0x80, or an MQTT 5 reason code). Returns -1 with err filled when the
 * run cannot go on: the subscription was refused, or the grant shows the
 * broker cannot take the publish QoS (a downgrade below cfg->pub_qos in pub
 * or both). A downgrade the run can live with returns 0. */
int client_check_grant(const struct mb_config *cfg, int requested, int granted, const char *filter,
                       char *err, size_t errlen);

/* The QoS of the $SYS/control client's subscriptions: the publish QoS (the
 * probe of what the broker supports), at least 1 for the control topics. */
int client_sys_qos(const struct mb_config *cfg, bool control);

/* conn: the connect in slot c took longer than --connect-timeout to become
 * ready: counted as a timeout (the caller then closes it). */
void client_conn_timeout(struct client *c);

/* conn: the slot's connection is closing (lifetime over, or the run's end):
 * it no longer holds its client id. */
void client_conn_release(struct client *c);

/* conn: count a connect that could not even start (client_init failed) under
 * reason, as a TCP-level failure. */
void client_conn_not_started(struct client_env *env, const char *reason);

/* Keepalive and housekeeping, about once a second. */
void client_misc(struct client *c);

/* Send DISCONNECT if connected, flush best-effort, destroy the instance.
 * The tracker set stays valid for the final accounting (free with client_free). */
void client_close(struct client *c);

/* True when cfg's clients leave persistent sessions on the broker that
 * nobody will resume: --no-clean (MQTT 3.1.1), without a --run-id of the
 * user's (their client ids hold the random run tag). */
bool client_leaves_session(const struct mb_config *cfg);

/* After client_close of a publisher or subscriber: remove its persistent
 * session from the broker (connect with a clean session, then disconnect),
 * giving up at deadline_ns (monotonic). Returns 0, or -1 when it could not. */
int client_forget_session(struct client *c, uint64_t deadline_ns);

/* Release what client_close leaves (the tracker set). */
void client_free(struct client *c);

#endif
