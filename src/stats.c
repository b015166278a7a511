/* Per-worker counters: init and merge after the run. */
#include "stats.h"

#include <string.h>

void stats_init(struct stats *s)
{
    memset(s, 0, sizeof(*s));
    hist_init(&s->lat);
    hist_init(&s->lat_tick);
    hist_init(&s->service_lat);
    hist_init(&s->lat_outage);
    hist_init(&s->connect_lat);
    hist_init(&s->connect_tcp);
    hist_init(&s->connect_tls);
    hist_init(&s->connect_connack);
    hist_init(&s->reconnect_time);
}

static uint64_t min_nonzero(uint64_t a, uint64_t b)
{
    if (!a) return b;
    if (!b) return a;
    return a < b ? a : b;
}

void stats_merge(struct stats *dst, const struct stats *src)
{
    dst->pub_done += src->pub_done;
    dst->pub_bytes += src->pub_bytes;
    dst->pub_errors += src->pub_errors;
    if (!dst->pub_error[0]) memcpy(dst->pub_error, src->pub_error, sizeof(dst->pub_error));
    dst->pub_missed_slots += src->pub_missed_slots;
    if (src->pub_max_lag_ns > dst->pub_max_lag_ns) dst->pub_max_lag_ns = src->pub_max_lag_ns;
    if (src->pub_last_done_ns > dst->pub_last_done_ns) dst->pub_last_done_ns = src->pub_last_done_ns;
    dst->sub_valid += src->sub_valid;
    dst->sub_unique += src->sub_unique;
    dst->sub_frontier += src->sub_frontier;
    dst->sub_foreign += src->sub_foreign;
    dst->sub_negative += src->sub_negative;
    dst->rx_first_ns = min_nonzero(dst->rx_first_ns, src->rx_first_ns);
    if (src->rx_last_ns > dst->rx_last_ns) dst->rx_last_ns = src->rx_last_ns;
    hist_merge(&dst->lat, &src->lat);
    hist_merge(&dst->service_lat, &src->service_lat);
    hist_merge(&dst->lat_outage, &src->lat_outage);
    dst->disconnects += src->disconnects;
    dst->reconnects += src->reconnects;
    hist_merge(&dst->reconnect_time, &src->reconnect_time);
    dst->lost_unsent += src->lost_unsent;
    dst->sub_warmup += src->sub_warmup;
    hist_merge(&dst->connect_lat, &src->connect_lat);
    hist_merge(&dst->connect_tcp, &src->connect_tcp);
    hist_merge(&dst->connect_tls, &src->connect_tls);
    hist_merge(&dst->connect_connack, &src->connect_connack);
    dst->connect_first_ns = min_nonzero(dst->connect_first_ns, src->connect_first_ns);
    if (src->tls_last_ns > dst->tls_last_ns) dst->tls_last_ns = src->tls_last_ns;
    dst->sub_qos_granted |= src->sub_qos_granted;
    dst->pub_qos_granted |= src->pub_qos_granted;
    dst->conn.started += src->conn.started;
    dst->conn.done += src->conn.done;
    for (int k = 0; k < STATS_CONN_NFAIL; k++) dst->conn.failed[k] += src->conn.failed[k];
    dst->conn.takeovers += src->conn.takeovers;
    dst->conn.late += src->conn.late;
    dst->conn.slot_waits += src->conn.slot_waits;
    if (src->conn.max_lag_ns > dst->conn.max_lag_ns) dst->conn.max_lag_ns = src->conn.max_lag_ns;
    if (src->conn.last_done_ns > dst->conn.last_done_ns) dst->conn.last_done_ns = src->conn.last_done_ns;
    if (src->flow_held_ns > dst->flow_held_ns) dst->flow_held_ns = src->flow_held_ns;
}
