/* Per-worker measurement state. Each worker owns one struct stats and is the
 * only thread that writes it; the main thread reads it after the worker joined
 * (or through worker snapshots), so the hot path needs no atomics or locks. */
#ifndef MB_STATS_H
#define MB_STATS_H

#include <stdint.h>

#include "hist.h"

/* conn: the kinds of failure, in the order of the result's conn.failed. */
enum stats_conn_fail {
    STATS_CONN_REFUSED,     /* CONNACK with a refusal code */
    STATS_CONN_TIMEOUT,     /* no CONNACK (or SUBACK) within --connect-timeout */
    STATS_CONN_TCP,         /* the TCP connect failed, or the connection closed before CONNACK */
    STATS_CONN_TLS,         /* the TLS handshake failed */
    STATS_CONN_SUBSCRIBE,   /* --subscribe: the SUBACK refused it */
    STATS_CONN_LOST,        /* a ready connection closed before its lifetime ended (not a takeover) */
    STATS_CONN_NFAIL
};

struct stats {
    /* publishing: counted at completion (on_publish), never at enqueue */
    uint64_t pub_done;          /* completed publishes */
    uint64_t pub_bytes;         /* payload bytes of completed publishes */
    uint64_t pub_errors;        /* mosquitto_publish calls that failed */
    char pub_error[64];         /* the first failure's reason; "" = none */
    uint64_t pub_last_done_ns;  /* monotonic time the last publisher finished */
    uint64_t pub_missed_slots;  /* paced: messages sent a whole slot or more after their time */
    uint64_t pub_max_lag_ns;    /* paced: the latest a message left after its scheduled time */

    /* subscribing */
    uint64_t sub_valid;         /* messages with a valid header of this run (incl. duplicates) */
    uint64_t sub_unique;        /* first arrivals: what `received` counts */
    uint64_t sub_frontier;      /* unique messages plus those known skipped (gaps): how far
                                   the subscribers have got through the streams */
    uint64_t sub_foreign;       /* no valid header, another run, or an unknown publisher */
    uint64_t sub_negative;      /* latency below zero (clocks of two hosts disagree) */
    uint64_t rx_first_ns;       /* monotonic time of the first valid message, 0 = none */
    uint64_t rx_last_ns;        /* monotonic time of the last valid message */
    struct hist lat;            /* end-to-end latency from the intended send time (the
                                   schedule's slot when paced and known, else the send call) */
    struct hist service_lat;    /* end-to-end latency from the actual send call */
    struct hist lat_outage;     /* --reconnect: as lat, for messages an outage delayed (kept out of lat) */
    struct hist lat_tick;       /* end-to-end latency since the last progress tick */

    uint64_t sub_warmup;        /* warm-up messages received (not measured) */

    /* connections */
    struct hist connect_lat;    /* connect call to CONNACK */
    struct hist connect_tcp;    /* connect call to the socket first seen writable (TCP up) */
    struct hist connect_tls;    /* TCP up to the TLS handshake done (TLS only) */
    struct hist connect_connack; /* TLS handshake done (TCP up without TLS) to CONNACK */
    uint64_t connect_first_ns;  /* monotonic time of the first connect call, 0 = none */
    uint64_t tls_last_ns;       /* monotonic time the last TLS handshake completed, 0 = none */
    uint64_t disconnects;       /* connections lost during the run */
    uint64_t reconnects;        /* --reconnect: lost connections made again */
    struct hist reconnect_time; /* --reconnect: the loss to ready again (resubscribed) */
    uint64_t lost_unsent;       /* QoS 0 publishes still in the client when its connection was lost */
    uint8_t sub_qos_granted;    /* bit q set: a subscriber's SUBACK granted QoS q */
    uint8_t pub_qos_granted;    /* bit q set: the broker supports publishing at QoS q (the
                                   $SYS/control client's SUBACK, capped at the publish QoS) */

    /* conn (conn.h): connection churn, counted per connect */
    struct stats_conn {
        uint64_t started;       /* connects started */
        uint64_t done;          /* connects that became ready (CONNACK accepted; SUBACK with --subscribe) */
        uint64_t failed[STATS_CONN_NFAIL]; /* connects or connections that failed, by kind */
        uint64_t takeovers;     /* connections the broker closed for a newer connect with their id */
        uint64_t late;          /* connects started a whole interval or more after they were due */
        uint64_t slot_waits;    /* ... of them, because every --clients connection was busy */
        uint64_t max_lag_ns;    /* the latest a connect started after it was due */
        uint64_t last_done_ns;  /* monotonic time the last connect became ready, 0 = none */
    } conn;

    /* flow control (`both`) */
    uint64_t flow_held_ns;      /* measured phase: time the publishers were held by the
                                   --backlog window alone (merged: the longest worker's) */
};

/* Zero everything and initialise the histograms. */
void stats_init(struct stats *s);

/* Add src's counts and histograms into dst (min/max times taken as the
 * earliest first and latest last). lat_tick is not merged. */
void stats_merge(struct stats *dst, const struct stats *src);

#endif
