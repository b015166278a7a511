/* optspec: the option table and reading one value by its row (see optspec.h). */
#include "optspec.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "payload.h"
#include "reconnect.h"
#include "shard.h"
#include "sweep.h"
#include "units.h"

#define MB_MAX_CLIENTS 1000000LL
#define MB_MAX_SIZE    268435000LL /* MQTT's remaining-length limit, less room for the topic */

const char *const opt_section_names[OPT_NSECTIONS] = {
    [OPT_SEC_CONNECTION] = "Connection",
    [OPT_SEC_TLS] = "TLS",
    [OPT_SEC_TOPICS] = "Topics and sessions",
    [OPT_SEC_MESSAGES] = "Messages",
    [OPT_SEC_CLIENTS] = "Clients and pacing",
    [OPT_SEC_PROCESSES] = "Separate processes and hosts",
    [OPT_SEC_OUTPUT] = "Output",
    [OPT_SEC_SWEEP] = "Sweep",
    [OPT_SEC_CONN] = "Connection churn",
};

static int parse_size(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                      char *err, size_t errlen)
{
    uint64_t u;
    if (units_parse_size(arg, &u) != 0)
        return errmsg_set(err, errlen, "--%s: expected bytes such as 64, 1k or 1M, got '%s'", s->name, shown);
    if (u < (uint64_t)s->min)
        return errmsg_set(err, errlen, "--%s: must be at least %lld bytes (the payload header), got '%s'", s->name,
                          s->min, shown);
    if (u > (uint64_t)s->max)
        return errmsg_set(err, errlen, "--%s: at most %lld bytes (MQTT's limit), got '%s'", s->name, s->max, shown);
    cfg->size = u;
    return 0;
}

/* A comma-separated list, copied out: argv stays as given, since both
 * --processes passes it on to its children. Empty items are skipped. */
static int parse_bind(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                      char *err, size_t errlen)
{
    (void)shown;
    cfg->nbind = 0;
    for (const char *a = arg; *a;) {
        size_t n = strcspn(a, ",");
        if (n > 0) {
            if (cfg->nbind == MB_MAX_BIND)
                return errmsg_set(err, errlen, "--%s: at most %d addresses", s->name, MB_MAX_BIND);
            char one[MB_ADDR_LEN + 1], shown_one[ERRMSG_SHOWN(64)];
            snprintf(one, sizeof(one), "%.*s", (int)(n < MB_ADDR_LEN ? n : MB_ADDR_LEN), a);
            struct in6_addr tmp6;
            struct in_addr tmp4;
            if (n >= MB_ADDR_LEN ||
                (inet_pton(AF_INET, one, &tmp4) != 1 && inet_pton(AF_INET6, one, &tmp6) != 1)) {
                errmsg_sanitize(one, MB_ADDR_LEN, shown_one, sizeof(shown_one));
                return errmsg_set(err, errlen, "--%s: '%s%s' is not an IP address", s->name, shown_one,
                                  n >= MB_ADDR_LEN ? "..." : "");
            }
            memcpy(cfg->bind_addresses[cfg->nbind++], one, n + 1);
        }
        a += n;
        if (*a == ',') a++;
    }
    if (!cfg->nbind) return errmsg_set(err, errlen, "--%s: expected one or more IP addresses", s->name);
    return 0;
}

static int parse_control_prefix(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                                char *err, size_t errlen)
{
    if (!*arg || strchr(arg, '+') || strchr(arg, '#') || strlen(arg) > 200)
        return errmsg_set(err, errlen, "--%s: expected a topic prefix without wildcards, got '%s'", s->name, shown);
    cfg->control_prefix = arg;
    return 0;
}

static int parse_json(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                      char *err, size_t errlen)
{
    (void)shown;
    if (!*arg) return errmsg_set(err, errlen, "--%s: file name must not be empty", s->name);
    cfg->json_path = arg;
    return 0;
}

/* Checked here, resolved once every option is read (shard_configure). */
static int parse_shard(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                       char *err, size_t errlen)
{
    long i, n;
    (void)s;
    (void)shown;
    if (shard_parse(arg, &i, &n, err, errlen) != 0) return -1;
    cfg->shard_arg = arg;
    return 0;
}

static int parse_reconnect(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                           char *err, size_t errlen)
{
    (void)shown;
    if (reconnect_parse(arg, s->name, &cfg->reconnect_min_ns, &cfg->reconnect_max_ns, err, errlen) != 0) return -1;
    cfg->reconnect = arg;
    return 0;
}

static int parse_slo(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                     char *err, size_t errlen)
{
    (void)s, (void)shown;
    struct sweep_objective o;
    if (sweep_parse_objective(arg, &o, err, errlen) != 0) return -1;
    cfg->slo = arg;
    return 0;
}

static int parse_rates(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                       char *err, size_t errlen)
{
    (void)s, (void)shown;
    double r[SWEEP_MAX_RATES];
    if (sweep_parse_rates(arg, r, SWEEP_MAX_RATES, err, errlen) < 0) return -1;
    cfg->rates = arg;
    return 0;
}

/* A percentage above 0 and below 100 ("5%", "2.5%") as a fraction. */
static int parse_resolution(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                            char *err, size_t errlen)
{
    size_t n = strlen(arg);
    char *end = NULL;
    double v = n > 1 && arg[n - 1] == '%' && arg[0] >= '0' && arg[0] <= '9' ? strtod(arg, &end) : -1;
    if (!end || end != arg + n - 1 || !(v > 0) || v >= 100)
        return errmsg_set(err, errlen, "--%s: expected a percentage such as 5%%, got '%s'", s->name, shown);
    cfg->resolution = v / 100;
    return 0;
}

static const struct opt_choice protocols[] = {
    { "3.1.1", 4 }, { "311", 4 }, { "mqttv311", 4 }, { "5", 5 }, { "mqttv5", 5 }, { NULL, 0 },
};
/* The string field gets the word itself; the values only tell the words apart. */
static const struct opt_choice shapes[] = {
    { "all", 0 }, { "fan-in", 1 }, { "fan-out", 2 }, { "pairs", 3 }, { NULL, 0 },
};
static const struct opt_choice tls_versions[] = { { "tlsv1.2", 12 }, { "tlsv1.3", 13 }, { NULL, 0 } };
static const struct opt_choice clocks[] = { { "realtime", 0 }, { "monotonic", 1 }, { NULL, 0 } };

/* The order of the rows with a key is the order of `config` in the result:
 * a new key goes after the last. --help lists each section's rows in this
 * order. */
const struct opt_spec opt_specs[] = {
    { "host", 'h', OPT_STRING, OPT_FIELD(host), .min = 1, .modes = OPT_ALL | OPT_CONN, .flags = OPT_PARENT,
      .section = OPT_SEC_CONNECTION, .key = "host", .arg = "HOST",
      .help = "broker host (127.0.0.1 when not given; in both, a private mosquitto is started when nothing "
              "listens there)" },
    { "port", 'p', OPT_INT, OPT_FIELD(port), .min = 1, .max = 65535, .modes = OPT_ALL | OPT_CONN, .flags = OPT_PARENT,
      .section = OPT_SEC_CONNECTION, .key = "port", .arg = "PORT",
      .help = "broker port (1883 when not given; 8883 with TLS)" },
    { "spawn-broker", 0, OPT_FLAG, OPT_FIELD(spawn_broker), .modes = OPT_ALL | OPT_CONN, .flags = OPT_PARENT,
      .section = OPT_SEC_CONNECTION, .key = "spawn_broker",
      .help = "start a private mosquitto on a free 127.0.0.1 port" },
    { "broker-max-queued", 0, OPT_INT, OPT_FIELD(broker_max_queued), .min = 0, .max = 1000000000, .def = "1000",
      .modes = OPT_ALL | OPT_CONN, .section = OPT_SEC_CONNECTION, .key = "broker_max_queued", .arg = "N",
      .help = "max_queued_messages of a broker mqttbench starts" },
    { "topic", 't', OPT_STRING, OPT_FIELD(topic), .def = "mqttbench/test", .modes = OPT_ALL | OPT_CONN,
      .flags = OPT_SCENARIO, .section = OPT_SEC_TOPICS, .key = "topic", .arg = "TOPIC",
      .help = "topic; %i client index, %c client id, %h hostname",
      .help_conn = "the --subscribe filter, as given" },
    { "id-prefix", 0, OPT_STRING, OPT_FIELD(id_prefix), .min = 1, .max = 64, .def = "mqttbench",
      .modes = OPT_ALL | OPT_CONN,
      .section = OPT_SEC_CONNECTION, .key = "id_prefix", .arg = "PREFIX", .help = "client id prefix" },
    { "keepalive", 'k', OPT_INT, OPT_FIELD(keepalive_s), .min = 5, .max = 65535, .def = "60",
      .modes = OPT_ALL | OPT_CONN,
      .section = OPT_SEC_CONNECTION, .key = "keepalive_s", .arg = "SECONDS", .help = "keepalive" },
    { "protocol", 'V', OPT_CHOICE, OPT_FIELD(protocol), .choices = protocols, .def = "3.1.1",
      .modes = OPT_ALL | OPT_CONN,
      .flags = OPT_SCENARIO, .section = OPT_SEC_CONNECTION, .key = "protocol", .arg = "VERSION",
      .help = "3.1.1 or 5" },
    { "username", 'u', OPT_STRING, OPT_FIELD(username), .modes = OPT_ALL | OPT_CONN, .section = OPT_SEC_CONNECTION,
      .key = "username", .arg = "USER", .help = "user name" },
    { "password", 'P', OPT_STRING, OPT_FIELD(password), .modes = OPT_ALL | OPT_CONN, .flags = OPT_SECRET,
      .section = OPT_SEC_CONNECTION, .key = "password_set", .arg = "PASS",
      .help = "password (needs --username; never recorded)" },
    { "qos", 'q', OPT_QOS, OPT_FIELD(qos), .def = "0", .modes = OPT_ALL | OPT_CONN, .flags = OPT_SCENARIO,
      .section = OPT_SEC_MESSAGES, .key = "qos", .arg = "0|1|2", .help = "quality of service",
      .help_conn = "QoS of the --subscribe subscriptions" },
    { "size", 's', OPT_CUSTOM, OPT_FIELD(size), .parse = parse_size, .min = PAYLOAD_HEADER_SIZE,
      .max = MB_MAX_SIZE, .def = "64", .modes = OPT_PUB | OPT_BOTH, .flags = OPT_SCENARIO,
      .section = OPT_SEC_MESSAGES, .key = "size", .arg = "BYTES", .help = "payload size in bytes (1k = 1024)" },
    { "count", 'n', OPT_COUNT, OPT_FIELD(count), OPT_GIVEN(count_given), .min = 1, .max = OPT_MAX_COUNT,
      .modes = OPT_ALL | OPT_CONN, .flags = OPT_SCENARIO, .section = OPT_SEC_MESSAGES, .key = "count", .arg = "N",
      .help = "messages in total across all publishers (1M unless --duration is given; 10k, 1M ok)",
      .help_sub = "messages each subscriber expects; stop when they arrived",
      .help_conn = "connects in all, at --rate (instead of --duration)" },
    { "duration", 0, OPT_DURATION, OPT_FIELD(duration_ns), .min = 1, .max = OPT_MAX_DURATION_NS,
      .modes = OPT_ALL | OPT_CONN, .flags = OPT_SCENARIO, .section = OPT_SEC_MESSAGES, .key = "duration_s", .arg = "T",
      .help = "stop after T (30s, 500ms, 2m)",
      .help_conn = "connects for T at --rate (10s when neither --count nor --duration is given)" },
    { "publishers", 0, OPT_INT, OPT_FIELD(publishers), .min = 1, .max = MB_MAX_CLIENTS, .def = "1",
      .modes = OPT_PUB | OPT_BOTH, .flags = OPT_SCENARIO, .section = OPT_SEC_CLIENTS, .key = "publishers",
      .arg = "N", .help = "publishing clients" },
    { "subscribers", 0, OPT_INT, OPT_FIELD(subscribers), .min = 1, .max = MB_MAX_CLIENTS, .def = "1",
      .modes = OPT_SUB | OPT_BOTH, .flags = OPT_SCENARIO, .section = OPT_SEC_CLIENTS, .key = "subscribers",
      .arg = "N", .help = "subscribing clients" },
    { "threads", 0, OPT_INT, OPT_FIELD(threads), .min = 1, .max = 1024, .modes = OPT_ALL | OPT_CONN,
      .section = OPT_SEC_CLIENTS, .key = "threads", .arg = "N",
      .help = "worker threads (the number of cores when not given)" },
    { "rate", 0, OPT_RATE, OPT_FIELD(rate), OPT_GIVEN(rate_given), .max = OPT_MAX_RATE, .unit = "msgs/s",
      .modes = OPT_PUB | OPT_BOTH | OPT_CONN,
      .flags = OPT_SCENARIO, .section = OPT_SEC_CLIENTS, .key = "rate", .arg = "R",
      .help = "aggregate msgs/s on a fixed schedule; 0 = as fast as possible",
      .help_conn = "connects per second on a fixed schedule, open loop (100 when not given)" },
    { "inflight", 0, OPT_INT, OPT_FIELD(inflight), .min = 1, .max = 65535, .def = "20",
      .modes = OPT_PUB | OPT_BOTH, .flags = OPT_SCENARIO, .section = OPT_SEC_CLIENTS, .key = "inflight",
      .arg = "N", .help = "per publisher: messages queued but not yet written (QoS 0) or not yet acknowledged "
                          "(QoS 1/2)" },
    { "backlog", 0, OPT_COUNT, OPT_FIELD(backlog), .min = 0, .max = OPT_MAX_COUNT, .modes = OPT_BOTH,
      .flags = OPT_SCENARIO, .section = OPT_SEC_CLIENTS, .key = "backlog", .arg = "N",
      .help = "publishers pause while subscribers are N messages behind (500 at QoS 0, 10 publishing at "
              "QoS 1, 100 at QoS 2 when not given; 0 = never)" },
    { "coalesce", 0, OPT_DURATION, OPT_FIELD(coalesce_ns), OPT_GIVEN(coalesce_given), .min = 0,
      .max = 10000000, .modes = OPT_SUB | OPT_BOTH, .flags = OPT_NEWER, .section = OPT_SEC_CLIENTS,
      .key = "coalesce_s", .arg = "T",
      .help = "a thread with only subscribers waits T after a wake-up that found messages, so the next read "
              "finds more (100us in `both` without --rate at QoS 0 when not given, else 0; at most 10ms)" },
    { "sub-delay", 0, OPT_DURATION, OPT_FIELD(sub_delay_ns), .min = 0, .max = OPT_MAX_DURATION_NS,
      .modes = OPT_SUB | OPT_BOTH, .section = OPT_SEC_CLIENTS, .key = "sub_delay_s", .arg = "T",
      .help = "per-message processing delay in subscribers (slow consumer)" },
    { "drain-timeout", 0, OPT_DURATION, OPT_FIELD(drain_timeout_ns), .min = 1, .max = OPT_MAX_DURATION_NS,
      .def = "3s", .modes = OPT_ALL, .section = OPT_SEC_CLIENTS, .key = "drain_timeout_s", .arg = "T",
      .help = "stop waiting for messages after T without one",
      .help_pub = "give up on unacknowledged publishes after T without progress, and wait at most T + 3s "
                  "for subscribers at the end" },
    { "connect-timeout", 0, OPT_DURATION, OPT_FIELD(connect_timeout_ns), .min = 1, .max = OPT_MAX_DURATION_NS,
      .def = "10s", .modes = OPT_ALL | OPT_CONN, .section = OPT_SEC_CONNECTION, .key = "connect_timeout_s", .arg = "T",
      .help = "give up connecting after T" },
    { "reconnect", 0, OPT_CUSTOM, OPT_FIELD(reconnect), .parse = parse_reconnect, .modes = OPT_ALL,
      .flags = OPT_NEWER, .section = OPT_SEC_CONNECTION, .key = "reconnect", .arg = "MIN..MAX",
      .help = "a client that loses its connection reconnects (same client id and session settings), first "
              "after MIN, then twice as long each attempt up to MAX, for at most --connect-timeout; the run "
              "goes on (without it a lost connection fails the run)" },
    { "run-id", 0, OPT_HEX, OPT_FIELD(run_id), OPT_GIVEN(run_id_given), .modes = OPT_ALL | OPT_CONN,
      .flags = OPT_PARENT,
      .section = OPT_SEC_MESSAGES, .key = "run_id", .arg = "HEX",
      .help = "run identifier (random when not given; sub then accepts any run)",
      .help_conn = "run identifier, whose tag the client ids hold (random when not given)" },
    { "report-every", 0, OPT_COUNT, OPT_FIELD(report_every), .min = 1, .max = OPT_MAX_COUNT, .modes = OPT_ALL,
      .section = OPT_SEC_OUTPUT, .key = "report_every", .arg = "N",
      .help = "print the count sent (pub) or received every N messages" },
    { "shape", 0, OPT_CHOICE, OPT_FIELD(shape), .choices = shapes, .def = "all", .modes = OPT_ALL,
      .flags = OPT_SCENARIO, .section = OPT_SEC_TOPICS, .key = "shape", .arg = "SHAPE",
      .help = "all (every subscriber gets every message), fan-in (TOPIC/%i -> TOPIC/+), fan-out (1 publisher), "
              "pairs (i -> i)" },
    { "sub-topic", 0, OPT_STRING, OPT_FIELD(sub_topic), .modes = OPT_ALL, .flags = OPT_SCENARIO,
      .section = OPT_SEC_TOPICS, .key = "sub_topic", .arg = "FILTER",
      .help = "subscription filter (the topic, or as --shape says, when not given; $share/GROUP/FILTER: one "
              "delivery per group)" },
    { "pub-qos", 0, OPT_QOS, OPT_FIELD(pub_qos), .modes = OPT_ALL, .flags = OPT_SCENARIO,
      .section = OPT_SEC_MESSAGES, .key = "pub_qos", .arg = "Q", .help = "QoS of the publishes (--qos when not given)" },
    { "sub-qos", 0, OPT_QOS, OPT_FIELD(sub_qos), .modes = OPT_ALL, .flags = OPT_SCENARIO,
      .section = OPT_SEC_MESSAGES, .key = "sub_qos", .arg = "Q",
      .help = "QoS of the subscriptions (--qos when not given)" },
    { "retain", 0, OPT_FLAG, OPT_FIELD(retain), .modes = OPT_ALL, .flags = OPT_SCENARIO,
      .section = OPT_SEC_TOPICS, .key = "retain", .help = "publish with the retain flag" },
    { "no-clean", 0, OPT_FLAG_OFF, OPT_FIELD(clean), .modes = OPT_ALL, .flags = OPT_SCENARIO,
      .section = OPT_SEC_TOPICS, .key = "clean",
      .help = "persistent sessions (clean session off / clean start off)" },
    { "session-expiry", 0, OPT_INT, OPT_FIELD(session_expiry_s), .min = 0, .max = 4294967295LL, .modes = OPT_ALL,
      .flags = OPT_SCENARIO | OPT_UNSET_NEG, .section = OPT_SEC_TOPICS, .key = "session_expiry_s", .arg = "S",
      .help = "MQTT 5 session expiry interval in seconds" },
    { "connect-rate", 0, OPT_RATE, OPT_FIELD(connect_rate), .max = OPT_MAX_RATE, .unit = "connections/s",
      .def = "2000", .modes = OPT_ALL, .section = OPT_SEC_CONNECTION, .key = "connect_rate", .arg = "R",
      .help = "new connections per second; 0 = all at once" },
    { "bind-address", 0, OPT_CUSTOM, OPT_FIELD(bind_addresses), .parse = parse_bind, .modes = OPT_ALL | OPT_CONN,
      .section = OPT_SEC_CONNECTION, .key = "bind_addresses", .arg = "A[,B...]",
      .help = "source addresses for the connections, round robin (each address gives another local port range)" },
    { "warmup", 0, OPT_DURATION, OPT_FIELD(warmup_ns), OPT_GIVEN(warmup_given), .min = 0,
      .max = OPT_MAX_DURATION_NS, .modes = OPT_BOTH, .section = OPT_SEC_MESSAGES, .key = "warmup_s", .arg = "T",
      .help = "publish for T before measuring; not in the results (sweep: before each step, 1s when not given)" },
    { "control-prefix", 0, OPT_CUSTOM, OPT_FIELD(control_prefix), .parse = parse_control_prefix,
      .def = "mqttbench/ctl", .modes = OPT_ALL, .section = OPT_SEC_PROCESSES, .key = "control_prefix",
      .arg = "P", .help = "control topics: P/<run id>/..." },
    { "no-control", 0, OPT_FLAG, OPT_FIELD(no_control), .modes = OPT_ALL, .flags = OPT_RECORD_NOT,
      .section = OPT_SEC_PROCESSES, .key = "control",
      .help = "pub: no announcements (a plain publisher); sub: ignore announcements" },
    { "expect-publishers", 0, OPT_INT, OPT_FIELD(expect_publishers), .min = 1, .max = 64, .modes = OPT_SUB,
      .section = OPT_SEC_PROCESSES, .key = "expect_publishers", .arg = "N",
      .help = "stop once N pub processes of this run announced their end and their messages arrived (or the "
              "drain timeout passed)" },
    { "wait-subscribers", 0, OPT_INT, OPT_FIELD(wait_subscribers), .min = 1, .max = 64, .modes = OPT_PUB,
      .section = OPT_SEC_PROCESSES, .key = "wait_subscribers", .arg = "N",
      .help = "wait until N sub processes of this run are ready (and have measured this host's clock) before "
              "publishing" },
    { "wait-timeout", 0, OPT_DURATION, OPT_FIELD(wait_timeout_ns), .min = 1, .max = OPT_MAX_DURATION_NS,
      .def = "30s", .modes = OPT_PUB | OPT_SUB, .section = OPT_SEC_PROCESSES, .key = "wait_timeout_s", .arg = "T",
      .help = "how long --wait-subscribers waits for the subscribers",
      .help_sub = "fail when the publishers have not announced themselves by then, or (--reconnect) when one "
                  "has been silent that long" },
    { "first-publisher", 0, OPT_INT, OPT_FIELD(first_publisher), .min = 0, .max = PAYLOAD_MAX_PUBLISHERS - 1,
      .modes = OPT_PUB, .section = OPT_SEC_PROCESSES, .key = "first_publisher", .arg = "K",
      .help = "number this process's publishers from K (several pub hosts)" },
    /* Recorded as the clock the run's latencies use (result.c), which in
     * both is always the monotonic one. */
    { "clock", 0, OPT_CHOICE, OPT_FIELD(clock_monotonic), .choices = clocks, .def = "realtime", .modes = OPT_ALL,
      .flags = OPT_HIDDEN, .section = OPT_SEC_PROCESSES, .key = "clock", .arg = "realtime|monotonic",
      .help = "the clock of payload stamps and latencies in pub and sub" },
    { "processes", 0, OPT_FLAG, OPT_FIELD(processes), .modes = OPT_BOTH, .flags = OPT_PARENT,
      .section = OPT_SEC_PROCESSES, .key = "processes",
      .help = "publishers and subscribers as two processes on this host, coordinated as separate hosts are "
              "(monotonic clock shared)" },
    { "repeat", 0, OPT_INT, OPT_FIELD(repeat), .min = 1, .max = 1000, .def = "1", .modes = OPT_ALL,
      .section = OPT_SEC_OUTPUT, .key = "repeat", .arg = "N",
      .help = "run the scenario N times (fresh connections, run ids id..id+N-1); one file with every run, "
              "median, min, max" },
    { "quiet", 0, OPT_FLAG, OPT_FIELD(quiet), .modes = OPT_ALL | OPT_CONN, .section = OPT_SEC_OUTPUT, .key = "quiet",
      .help = "no progress lines" },
    /* TLS (tls.h): any of these turns it on, and the default port becomes 8883. */
    { "cafile", 0, OPT_STRING, OPT_FIELD(cafile), .min = 1, .modes = OPT_ALL | OPT_CONN, .flags = OPT_NEWER,
      .section = OPT_SEC_TLS, .key = "cafile", .arg = "FILE",
      .help = "CA certificates (PEM) to verify the broker with" },
    { "capath", 0, OPT_STRING, OPT_FIELD(capath), .min = 1, .modes = OPT_ALL | OPT_CONN, .flags = OPT_NEWER,
      .section = OPT_SEC_TLS, .key = "capath", .arg = "DIR",
      .help = "directory of CA certificates named by their hash (c_rehash)" },
    { "tls-use-os-certs", 0, OPT_FLAG, OPT_FIELD(tls_use_os_certs), .modes = OPT_ALL | OPT_CONN, .flags = OPT_NEWER,
      .section = OPT_SEC_TLS, .key = "tls_use_os_certs",
      .help = "trust the system's CA store too (without --cafile, --capath or --psk it is the trust store)" },
    { "cert", 0, OPT_STRING, OPT_FIELD(cert), .min = 1, .modes = OPT_ALL | OPT_CONN, .flags = OPT_NEWER,
      .section = OPT_SEC_TLS,
      .key = "cert", .arg = "FILE",
      .help = "client certificate (PEM, with its chain) for brokers that want one; needs --key" },
    { "key", 0, OPT_STRING, OPT_FIELD(key), .min = 1, .modes = OPT_ALL | OPT_CONN, .flags = OPT_NEWER,
      .section = OPT_SEC_TLS,
      .key = "key", .arg = "FILE", .help = "the client certificate's private key (PEM)" },
    { "key-password-env", 0, OPT_STRING, OPT_FIELD(key_password_env), .min = 1, .modes = OPT_ALL | OPT_CONN,
      .flags = OPT_NEWER, .section = OPT_SEC_TLS, .key = "key_password_env", .arg = "VAR",
      .help = "the environment variable holding the key's passphrase (MQTTBENCH_KEY_PASSWORD when not given); "
              "an encrypted key without one is refused, never prompted for" },
    { "insecure", 0, OPT_FLAG, OPT_FIELD(insecure), .modes = OPT_ALL | OPT_CONN, .flags = OPT_NEWER,
      .section = OPT_SEC_TLS,
      .key = "insecure",
      .help = "do not check that the broker's certificate is for the host connected to (its chain still is)" },
    { "tls-version", 0, OPT_CHOICE, OPT_FIELD(tls_version), .choices = tls_versions, .modes = OPT_ALL | OPT_CONN,
      .flags = OPT_NEWER, .section = OPT_SEC_TLS, .key = "tls_version", .arg = "tlsv1.2|tlsv1.3",
      .help = "only this TLS version (1.2 or later when not given)" },
    { "ciphers", 0, OPT_STRING, OPT_FIELD(ciphers), .min = 1, .modes = OPT_ALL | OPT_CONN, .flags = OPT_NEWER,
      .section = OPT_SEC_TLS, .key = "ciphers", .arg = "LIST", .help = "TLS 1.2 ciphers, in OpenSSL's syntax" },
    { "tls13-ciphers", 0, OPT_STRING, OPT_FIELD(tls13_ciphers), .min = 1, .modes = OPT_ALL | OPT_CONN,
      .flags = OPT_NEWER,
      .section = OPT_SEC_TLS, .key = "tls13_ciphers", .arg = "LIST",
      .help = "TLS 1.3 cipher suites, in OpenSSL's syntax" },
    { "tls-alpn", 0, OPT_STRING, OPT_FIELD(tls_alpn), .min = 1, .max = 255, .modes = OPT_ALL | OPT_CONN,
      .flags = OPT_NEWER,
      .section = OPT_SEC_TLS, .key = "tls_alpn", .arg = "PROTOCOL", .help = "ALPN protocol to offer" },
    { "psk", 0, OPT_STRING, OPT_FIELD(psk), .min = 1, .modes = OPT_ALL | OPT_CONN, .flags = OPT_SECRET | OPT_NEWER,
      .section = OPT_SEC_TLS, .key = "psk_set", .arg = "HEX",
      .help = "pre-shared key in hex, instead of certificates (or in MQTTBENCH_PSK; never recorded); needs "
              "--psk-identity" },
    { "psk-identity", 0, OPT_STRING, OPT_FIELD(psk_identity), .min = 1, .max = 128, .modes = OPT_ALL | OPT_CONN,
      .flags = OPT_NEWER, .section = OPT_SEC_TLS, .key = "psk_identity", .arg = "ID",
      .help = "the identity of the pre-shared key" },
    /* Recorded as resolved: `config` holds the whole run's values (shard.h). */
    { "shard", 0, OPT_CUSTOM, OPT_FIELD(shard_index), .parse = parse_shard, .modes = OPT_ALL, .flags = OPT_NEWER,
      .section = OPT_SEC_PROCESSES, .key = "shard", .arg = "I/N|auto",
      .help = "run shard I of N of the run the other options describe (its share of publishers, subscribers, "
              "count and rate); auto: from JOB_COMPLETION_INDEX, OMPI_COMM_WORLD_RANK, PMI_RANK or SLURM_PROCID" },
    { "shards", 0, OPT_INT, OPT_FIELD(shard_count), OPT_GIVEN(shards_given), .min = 1, .max = SHARD_MAX, .def = "1",
      .modes = OPT_ALL, .flags = OPT_NEWER, .section = OPT_SEC_PROCESSES, .key = "shards", .arg = "N",
      .help = "the number of shards, for --shard auto with JOB_COMPLETION_INDEX (else MQTTBENCH_SHARDS); must "
              "agree with the launcher's" },
    /* conn (conn.h) */
    { "clients", 0, OPT_INT, OPT_FIELD(conn_clients), .min = 1, .max = MB_MAX_CLIENTS, .modes = OPT_CONN,
      .flags = OPT_SCENARIO | OPT_NEWER, .section = OPT_SEC_CONN, .key = "clients", .arg = "N",
      .help = "connections open at most at once (100 when not given); a connect due while all N are busy "
              "starts late, and the result says so" },
    { "lifetime", 0, OPT_DURATION, OPT_FIELD(lifetime_ns), .min = 0, .max = OPT_MAX_DURATION_NS, .modes = OPT_CONN,
      .flags = OPT_SCENARIO | OPT_NEWER, .section = OPT_SEC_CONN, .key = "lifetime_s", .arg = "T",
      .help = "how long each connection stays once ready, then DISCONNECT; 0 = at once" },
    { "subscribe", 0, OPT_FLAG, OPT_FIELD(conn_subscribe), .modes = OPT_CONN, .flags = OPT_SCENARIO | OPT_NEWER,
      .section = OPT_SEC_CONN, .key = "subscribe",
      .help = "each connection subscribes to --topic and is ready at its SUBACK" },
    { "id-pool", 0, OPT_INT, OPT_FIELD(id_pool), .min = 1, .max = MB_MAX_CLIENTS, .modes = OPT_CONN,
      .flags = OPT_SCENARIO | OPT_NEWER, .section = OPT_SEC_CONN, .key = "id_pool", .arg = "K",
      .help = "client ids cycle over K ids (unique when not given): a connect whose id is still connected makes "
              "the broker take that session over, which is counted" },
    /* Not recorded. */
    { "json", 0, OPT_CUSTOM, OPT_FIELD(json_path), .parse = parse_json, .modes = OPT_ALL | OPT_CONN,
      .flags = OPT_UNRECORDED | OPT_PARENT, .section = OPT_SEC_OUTPUT, .arg = "FILE",
      .help = "result file (results/mqttbench-<command>-<UTC time>.json when not given; - for stdout, the "
              "summary then on stderr)" },
    { "report", 0, OPT_STRING, OPT_FIELD(report_path), .min = 1, .modes = OPT_ALL,
      .flags = OPT_UNRECORDED | OPT_PARENT, .section = OPT_SEC_OUTPUT, .arg = "FILE",
      .help = "also write the run's HTML report to FILE when it ends (as mqttbench report does)" },
    { "csv", 0, OPT_STRING, OPT_FIELD(csv_path), .min = 1, .modes = OPT_ALL,
      .flags = OPT_UNRECORDED | OPT_PARENT, .section = OPT_SEC_OUTPUT, .arg = "FILE",
      .help = "also write the per-second series as CSV to FILE when the run ends" },
    { "hgrm", 0, OPT_STRING, OPT_FIELD(hgrm_path), .min = 1, .modes = OPT_ALL,
      .flags = OPT_UNRECORDED | OPT_PARENT, .section = OPT_SEC_OUTPUT, .arg = "FILE",
      .help = "also write the latency distribution as HdrHistogram percentile text (ms) to FILE" },
    { "metrics-listen", 0, OPT_STRING, OPT_FIELD(metrics_listen), .min = 1, .modes = OPT_ALL,
      .flags = OPT_UNRECORDED | OPT_PARENT, .section = OPT_SEC_OUTPUT, .arg = "ADDR:PORT",
      .help = "serve live OpenMetrics/Prometheus text on http://ADDR:PORT/metrics during the run" },
    { "metrics-file", 0, OPT_STRING, OPT_FIELD(metrics_file), .min = 1, .modes = OPT_ALL,
      .flags = OPT_UNRECORDED | OPT_PARENT, .section = OPT_SEC_OUTPUT, .arg = "FILE",
      .help = "rewrite FILE with the same metrics every second, atomically (node_exporter's textfile collector)" },
    /* sweep: recorded in the result's "sweep" section, not in config. */
    { "slo", 0, OPT_CUSTOM, OPT_FIELD(slo), .parse = parse_slo, .def = SWEEP_DEFAULT_SLO, .modes = OPT_SWEEP,
      .flags = OPT_UNRECORDED, .section = OPT_SEC_SWEEP, .arg = "OBJECTIVE",
      .help = "what a step must meet, e.g. 'p99<10ms,loss=0,dup=0,rate>=95%': pN or max of the corrected latency, "
              "loss and dup as a count or a percentage, rate as the share of the target published" },
    { "rates", 0, OPT_CUSTOM, OPT_FIELD(rates), .parse = parse_rates, .modes = OPT_SWEEP, .flags = OPT_UNRECORDED,
      .section = OPT_SEC_SWEEP, .arg = "R1,R2,...", .help = "the steps' target rates (msgs/s, rising)" },
    { "from", 0, OPT_RATE, OPT_FIELD(sweep_from), .max = OPT_MAX_RATE, .unit = "msgs/s", .modes = OPT_SWEEP,
      .flags = OPT_UNRECORDED, .section = OPT_SEC_SWEEP, .arg = "R", .help = "the first step's rate (with --to)" },
    { "to", 0, OPT_RATE, OPT_FIELD(sweep_to), .max = OPT_MAX_RATE, .unit = "msgs/s", .modes = OPT_SWEEP,
      .flags = OPT_UNRECORDED, .section = OPT_SEC_SWEEP, .arg = "R", .help = "the last planned step's rate" },
    { "steps", 0, OPT_INT, OPT_FIELD(sweep_steps), .min = 2, .max = SWEEP_MAX_RATES, .def = "6", .modes = OPT_SWEEP,
      .flags = OPT_UNRECORDED, .section = OPT_SEC_SWEEP, .arg = "N",
      .help = "rates from --from to --to, geometric" },
    { "find-max", 0, OPT_FLAG, OPT_FIELD(find_max), .modes = OPT_SWEEP, .flags = OPT_UNRECORDED,
      .section = OPT_SEC_SWEEP,
      .help = "after the first failing step, bisect between it and the highest passing one to --resolution" },
    { "resolution", 0, OPT_CUSTOM, OPT_FIELD(resolution), .parse = parse_resolution, .def = "5%",
      .modes = OPT_SWEEP, .flags = OPT_UNRECORDED, .section = OPT_SEC_SWEEP, .arg = "P%",
      .help = "--find-max stops when the first failing rate is within P% above the highest passing one" },
    { "step-duration", 0, OPT_DURATION, OPT_FIELD(step_duration_ns), .min = 100000000, .max = OPT_MAX_DURATION_NS,
      .def = "5s", .modes = OPT_SWEEP, .flags = OPT_UNRECORDED, .section = OPT_SEC_SWEEP, .arg = "T",
      .help = "how long each step publishes, after its warm-up" },
    { "child", 0, OPT_FLAG, OPT_FIELD(child), .modes = OPT_ALL, .flags = OPT_UNRECORDED | OPT_HIDDEN,
      .section = OPT_SEC_PROCESSES, .help = "started by both --processes: options of the other side are ignored" },
    { "help", 0, OPT_HELP, .modes = OPT_ALL | OPT_CONN, .flags = OPT_UNRECORDED, .section = OPT_SEC_OUTPUT,
      .help = "this text" },
    { "version", 0, OPT_VERSION, .modes = OPT_ALL | OPT_CONN, .flags = OPT_UNRECORDED, .section = OPT_SEC_OUTPUT,
      .help = "version and git revision" },
    { NULL, 0, OPT_FLAG, .modes = 0 },
};

bool optspec_takes_value(const struct opt_spec *s)
{
    return s->kind != OPT_FLAG && s->kind != OPT_FLAG_OFF && s->kind != OPT_HELP && s->kind != OPT_VERSION;
}

const struct opt_spec *optspec_find(const char *name)
{
    OPT_FOR_EACH(s)
        if (!strcmp(s->name, name)) return s;
    return NULL;
}

void *optspec_field(const struct opt_spec *s, struct mb_config *cfg)
{
    return s->ctype == OPT_C_NONE ? NULL : (char *)cfg + s->offset;
}

const void *optspec_cfield(const struct opt_spec *s, const struct mb_config *cfg)
{
    return s->ctype == OPT_C_NONE ? NULL : (const char *)cfg + s->offset;
}

long long optspec_get_int(const struct opt_spec *s, const struct mb_config *cfg)
{
    const void *f = optspec_cfield(s, cfg);
    switch (s->ctype) {
    case OPT_C_INT: return *(const int *)f;
    case OPT_C_LONG: return *(const long *)f;
    case OPT_C_BOOL: return *(const bool *)f;
    default: return 0;
    }
}

void optspec_set_int(const struct opt_spec *s, struct mb_config *cfg, long long v)
{
    void *f = optspec_field(s, cfg);
    switch (s->ctype) {
    case OPT_C_INT: *(int *)f = (int)v; break;
    case OPT_C_LONG: *(long *)f = (long)v; break;
    case OPT_C_BOOL: *(bool *)f = v != 0; break;
    default: break;
    }
}

/* The first word of value v: how it is recorded and named. */
static const char *first_word(const struct opt_spec *s, int v)
{
    for (const struct opt_choice *c = s->choices; c->name; c++)
        if (c->value == v) return c->name;
    return NULL;
}

int optspec_choice_value(const struct opt_spec *s, const char *word)
{
    for (const struct opt_choice *c = s->choices; word && c->name; c++)
        if (!strcmp(c->name, word)) return c->value;
    return -1;
}

const char *optspec_choice_name(const struct opt_spec *s, const struct mb_config *cfg)
{
    if (s->ctype == OPT_C_STR) {
        int v = optspec_choice_value(s, *(const char *const *)optspec_cfield(s, cfg));
        return v < 0 ? NULL : first_word(s, v);
    }
    return first_word(s, (int)optspec_get_int(s, cfg));
}

size_t optspec_choice_words(const struct opt_spec *s, const char **words, size_t max)
{
    size_t n = 0;
    for (const struct opt_choice *c = s->choices; c->name; c++)
        if (first_word(s, c->value) == c->name && n < max) words[n++] = c->name;
    return n;
}

/* "a, b or c": the first word of each value. */
static void choice_list(const struct opt_spec *s, char *buf, size_t len)
{
    const char *words[16];
    size_t n = optspec_choice_words(s, words, 16), used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        int w = snprintf(buf + used, len - used, "%s%s", k == 0 ? "" : k == n - 1 ? " or " : ", ", words[k]);
        if (w < 0 || (size_t)w >= len - used) break;
        used += (size_t)w;
    }
}

static int apply_count(const struct opt_spec *s, const char *arg, const char *shown, uint64_t *out,
                       char *err, size_t errlen)
{
    uint64_t u;
    if (arg[0] == '-' && s->min > 0)
        return errmsg_set(err, errlen, "--%s: must be at least %lld, got '%s'", s->name, s->min, shown);
    if (units_parse_count(arg, &u) != 0)
        return errmsg_set(err, errlen, "--%s: expected a count such as 1000, 10k or 1M, got '%s'", s->name, shown);
    if (u > (uint64_t)OPT_MAX_COUNT)
        return errmsg_set(err, errlen, "--%s: at most %lld (2^53, the largest count a result file holds exactly), "
                          "got '%s'", s->name, OPT_MAX_COUNT, shown);
    if (u > (uint64_t)s->max)
        return errmsg_set(err, errlen, "--%s: at most %lld, got '%s'", s->name, s->max, shown);
    if (u < (uint64_t)s->min)
        return errmsg_set(err, errlen, "--%s: must be at least %lld, got '%s'", s->name, s->min, shown);
    *out = u;
    return 0;
}

static int apply_duration(const struct opt_spec *s, const char *arg, const char *shown, uint64_t *out,
                          char *err, size_t errlen)
{
    uint64_t ns;
    char limit[32];
    if (units_parse_duration_ns(arg, &ns) != 0)
        return errmsg_set(err, errlen, "--%s: expected a duration such as 30s, 500ms or 2m, got '%s'", s->name,
                          shown);
    if (ns > (uint64_t)OPT_MAX_DURATION_NS)
        return errmsg_set(err, errlen, "--%s: at most 8760h (365 days), got '%s'", s->name, shown);
    if (ns > (uint64_t)s->max)
        return errmsg_set(err, errlen, "--%s: at most %s, got '%s'", s->name,
                          units_format_duration((uint64_t)s->max, limit, sizeof(limit)), shown);
    if (ns < (uint64_t)s->min)
        return s->min == 1 ? errmsg_set(err, errlen, "--%s: must be more than 0, got '%s'", s->name, shown)
                           : errmsg_set(err, errlen, "--%s: at least %s, got '%s'", s->name,
                                        units_format_duration((uint64_t)s->min, limit, sizeof(limit)), shown);
    *out = ns;
    return 0;
}

static int apply_value(const struct opt_spec *s, struct mb_config *cfg, const char *arg, const char *shown,
                       char *err, size_t errlen)
{
    void *f = optspec_field(s, cfg);
    long v;
    switch (s->kind) {
    case OPT_INT:
        if (units_parse_int(arg, (long)s->min, (long)s->max, &v) != 0)
            return errmsg_set(err, errlen, "--%s: expected a whole number from %lld to %lld, got '%s'", s->name,
                              s->min, s->max, shown);
        optspec_set_int(s, cfg, v);
        return 0;
    case OPT_QOS:
        if (units_parse_int(arg, 0, 2, &v) != 0)
            return errmsg_set(err, errlen, "--%s: must be 0, 1 or 2, got '%s'", s->name, shown);
        optspec_set_int(s, cfg, v);
        return 0;
    case OPT_COUNT:
        return apply_count(s, arg, shown, f, err, errlen);
    case OPT_DURATION:
        return apply_duration(s, arg, shown, f, err, errlen);
    case OPT_RATE: {
        double r;
        if (units_parse_rate(arg, &r) != 0)
            return errmsg_set(err, errlen, "--%s: expected %s such as 5000, 50k or 0 (unlimited), got '%s'",
                              s->name, s->unit, shown);
        if (r > (double)s->max)
            return errmsg_set(err, errlen, "--%s: at most %lldM %s, got '%s'", s->name, s->max / 1000000, s->unit,
                              shown);
        *(double *)f = r;
        return 0;
    }
    case OPT_HEX:
        /* Recorded as %016llx: read the same way, 1 to 16 hex digits and
         * nothing else (no sign, no space, no 0x), so one value has one spelling. */
        if (!*arg || strlen(arg) > 16 || strspn(arg, "0123456789abcdefABCDEF") != strlen(arg))
            return errmsg_set(err, errlen, "--%s: expected 1 to 16 hex digits, got '%s'", s->name, shown);
        *(uint64_t *)f = strtoull(arg, NULL, 16);
        return 0;
    case OPT_STRING:
        if (strlen(arg) < (size_t)s->min || (s->max > 0 && strlen(arg) > (size_t)s->max))
            return s->max > 0 ? errmsg_set(err, errlen, "--%s: must be %lld to %lld characters", s->name, s->min,
                                           s->max)
                              : errmsg_set(err, errlen, "--%s: must not be empty", s->name);
        *(const char **)f = arg;
        return 0;
    case OPT_CHOICE: {
        int c = optspec_choice_value(s, arg);
        if (c < 0) {
            char words[128];
            choice_list(s, words, sizeof(words));
            return errmsg_set(err, errlen, "--%s: expected %s, got '%s'", s->name, words, shown);
        }
        if (s->ctype == OPT_C_STR) *(const char **)f = first_word(s, c);
        else optspec_set_int(s, cfg, c);
        return 0;
    }
    case OPT_FLAG:
    case OPT_FLAG_OFF:
        *(bool *)f = s->kind == OPT_FLAG;
        return 0;
    case OPT_CUSTOM:
        return s->parse(s, cfg, arg, shown, err, errlen);
    case OPT_HELP:
    case OPT_VERSION:
        return 0;
    }
    return errmsg_set(err, errlen, "--%s: not handled", s->name);
}

int optspec_apply(const struct opt_spec *s, struct mb_config *cfg, const char *arg, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(64)];
    if (s->flags & OPT_SECRET) snprintf(shown, sizeof(shown), "(not shown)");
    else errmsg_sanitize(arg, 64, shown, sizeof(shown));
    if (apply_value(s, cfg, arg, shown, err, errlen) != 0) return -1;
    if (s->given_at) *(bool *)((char *)cfg + s->given_at) = true;
    return 0;
}

int optspec_defaults(struct mb_config *cfg, enum mb_mode mode, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = mode;
    OPT_FOR_EACH(s) {
        if (s->kind == OPT_FLAG_OFF) *(bool *)optspec_field(s, cfg) = true;
        if (s->flags & OPT_UNSET_NEG) optspec_set_int(s, cfg, -1);
        if (s->def && apply_value(s, cfg, s->def, s->def, err, errlen) != 0) return -1;
    }
    return 0;
}
