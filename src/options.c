/* Command-line parsing with getopt_long, following mosquitto_pub/sub and
 * emqtt-bench conventions (-h host, -p port, -t topic, -q qos ...). */
#include "options.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "flow.h"
#include "payload.h"
#include "reader.h"
#include "tls.h"
#include "units.h"
#include "version.h"

#define MB_MAX_CLIENTS 1000000L
#define MB_MAX_SIZE    268435000ULL /* MQTT's remaining-length limit, less room for the topic */
/* Bounds on every count, duration and rate, so that no sum or product made
 * from them wraps: a count above 2^53 would not even read back exactly from
 * the result file (JSON numbers are doubles), a year is longer than any
 * benchmark, and a message per nanosecond is faster than any broker. */
#define MB_MAX_COUNT       ((uint64_t)READER_MAX_COUNT)
#define MB_MAX_DURATION_NS (UINT64_C(365) * 24 * 3600 * 1000000000)
#define MB_MAX_RATE        1e9

enum {
    OPT_ID_PREFIX = 256, OPT_PROTOCOL_LONG, OPT_DURATION, OPT_PUBLISHERS,
    OPT_SUBSCRIBERS, OPT_THREADS, OPT_RATE, OPT_INFLIGHT, OPT_JSON, OPT_QUIET,
    OPT_REPORT_EVERY, OPT_DRAIN_TIMEOUT, OPT_CONNECT_TIMEOUT, OPT_SUB_DELAY,
    OPT_SPAWN_BROKER, OPT_RUN_ID, OPT_BROKER_MAX_QUEUED, OPT_HELP, OPT_VERSION, OPT_BACKLOG,
    OPT_CONNECT_RATE, OPT_WARMUP, OPT_BIND_ADDRESS, OPT_SUB_TOPIC, OPT_SHAPE, OPT_PUB_QOS,
    OPT_SUB_QOS, OPT_RETAIN, OPT_NO_CLEAN, OPT_SESSION_EXPIRY, OPT_CONTROL_PREFIX,
    OPT_EXPECT_PUBLISHERS, OPT_WAIT_SUBSCRIBERS, OPT_WAIT_TIMEOUT, OPT_FIRST_PUBLISHER, OPT_CLOCK,
    OPT_PROCESSES, OPT_CHILD, OPT_NO_CONTROL, OPT_REPEAT,
    OPT_CAFILE, OPT_CAPATH, OPT_CERT, OPT_KEY, OPT_KEY_PASSWORD_ENV, OPT_INSECURE, OPT_TLS_VERSION,
    OPT_CIPHERS, OPT_TLS13_CIPHERS, OPT_TLS_ALPN, OPT_PSK, OPT_PSK_IDENTITY, OPT_TLS_USE_OS_CERTS,
};

static const struct option long_opts[] = {
    { "host",              required_argument, NULL, 'h' },
    { "port",              required_argument, NULL, 'p' },
    { "topic",             required_argument, NULL, 't' },
    { "id-prefix",         required_argument, NULL, OPT_ID_PREFIX },
    { "sub-topic",         required_argument, NULL, OPT_SUB_TOPIC },
    { "shape",             required_argument, NULL, OPT_SHAPE },
    { "pub-qos",           required_argument, NULL, OPT_PUB_QOS },
    { "sub-qos",           required_argument, NULL, OPT_SUB_QOS },
    { "retain",            no_argument,       NULL, OPT_RETAIN },
    { "no-clean",          no_argument,       NULL, OPT_NO_CLEAN },
    { "session-expiry",    required_argument, NULL, OPT_SESSION_EXPIRY },
    { "keepalive",         required_argument, NULL, 'k' },
    { "protocol",          required_argument, NULL, 'V' },
    { "username",          required_argument, NULL, 'u' },
    { "password",          required_argument, NULL, 'P' },
    { "qos",               required_argument, NULL, 'q' },
    { "size",              required_argument, NULL, 's' },
    { "count",             required_argument, NULL, 'n' },
    { "duration",          required_argument, NULL, OPT_DURATION },
    { "publishers",        required_argument, NULL, OPT_PUBLISHERS },
    { "subscribers",       required_argument, NULL, OPT_SUBSCRIBERS },
    { "threads",           required_argument, NULL, OPT_THREADS },
    { "rate",              required_argument, NULL, OPT_RATE },
    { "inflight",          required_argument, NULL, OPT_INFLIGHT },
    { "sub-delay",         required_argument, NULL, OPT_SUB_DELAY },
    { "backlog",           required_argument, NULL, OPT_BACKLOG },
    { "drain-timeout",     required_argument, NULL, OPT_DRAIN_TIMEOUT },
    { "connect-timeout",   required_argument, NULL, OPT_CONNECT_TIMEOUT },
    { "connect-rate",      required_argument, NULL, OPT_CONNECT_RATE },
    { "warmup",            required_argument, NULL, OPT_WARMUP },
    { "bind-address",      required_argument, NULL, OPT_BIND_ADDRESS },
    { "spawn-broker",      no_argument,       NULL, OPT_SPAWN_BROKER },
    { "broker-max-queued", required_argument, NULL, OPT_BROKER_MAX_QUEUED },
    { "run-id",            required_argument, NULL, OPT_RUN_ID },
    { "control-prefix",    required_argument, NULL, OPT_CONTROL_PREFIX },
    { "expect-publishers", required_argument, NULL, OPT_EXPECT_PUBLISHERS },
    { "wait-subscribers",  required_argument, NULL, OPT_WAIT_SUBSCRIBERS },
    { "wait-timeout",      required_argument, NULL, OPT_WAIT_TIMEOUT },
    { "first-publisher",   required_argument, NULL, OPT_FIRST_PUBLISHER },
    { "clock",             required_argument, NULL, OPT_CLOCK },
    { "processes",         no_argument,       NULL, OPT_PROCESSES },
    { "child",             no_argument,       NULL, OPT_CHILD },
    { "no-control",        no_argument,       NULL, OPT_NO_CONTROL },
    { "cafile",            required_argument, NULL, OPT_CAFILE },
    { "capath",            required_argument, NULL, OPT_CAPATH },
    { "cert",              required_argument, NULL, OPT_CERT },
    { "key",               required_argument, NULL, OPT_KEY },
    { "key-password-env",  required_argument, NULL, OPT_KEY_PASSWORD_ENV },
    { "insecure",          no_argument,       NULL, OPT_INSECURE },
    { "tls-version",       required_argument, NULL, OPT_TLS_VERSION },
    { "ciphers",           required_argument, NULL, OPT_CIPHERS },
    { "tls13-ciphers",     required_argument, NULL, OPT_TLS13_CIPHERS },
    { "tls-alpn",          required_argument, NULL, OPT_TLS_ALPN },
    { "psk",               required_argument, NULL, OPT_PSK },
    { "psk-identity",      required_argument, NULL, OPT_PSK_IDENTITY },
    { "tls-use-os-certs",  no_argument,       NULL, OPT_TLS_USE_OS_CERTS },
    { "json",              required_argument, NULL, OPT_JSON },
    { "repeat",            required_argument, NULL, OPT_REPEAT },
    { "quiet",             no_argument,       NULL, OPT_QUIET },
    { "report-every",      required_argument, NULL, OPT_REPORT_EVERY },
    { "help",              no_argument,       NULL, OPT_HELP },
    { "version",           no_argument,       NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};
static const char short_opts[] = ":h:p:t:k:V:u:P:q:s:n:";

const char *options_mode_name(enum mb_mode mode)
{
    switch (mode) {
    case MB_MODE_PUB: return "pub";
    case MB_MODE_SUB: return "sub";
    case MB_MODE_BOTH: return "both";
    }
    return "?";
}

int options_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

static void print_top_help(FILE *f)
{
    fprintf(f,
        "mqttbench %s — benchmark an MQTT broker: throughput, latency, exact delivery accounting\n"
        "\n"
        "Usage: mqttbench <command> [options]\n"
        "\n"
        "Commands:\n"
        "  both   run publishers and subscribers in this process (the usual benchmark)\n"
        "  pub    run publishers only (pair with `mqttbench sub` elsewhere)\n"
        "  sub    run subscribers only\n"
        "  compare BASE.json NEW.json   compare two results; exit 1 on a regression\n"
        "  merge A.json B.json ... -o OUT.json   combine results of one run (hosts, processes)\n"
        "\n"
        "  mqttbench <command> --help   options of one command\n"
        "  mqttbench --version          version and git revision\n"
        "\n"
        "Example: mqttbench both --count 1M --qos 1 --publishers 4 --subscribers 4\n"
        "Exit status: 0 ok, 1 the run failed, 2 bad usage, 130 interrupted (see mqttbench(1)).\n",
        MB_VERSION);
}

static void print_cmd_help(FILE *f, enum mb_mode mode)
{
    bool pub = mode != MB_MODE_SUB, sub = mode != MB_MODE_PUB;
    fprintf(f, "Usage: mqttbench %s [options]\n\n", options_mode_name(mode));
    fprintf(f,
        "Connection:\n"
        "  -h, --host HOST          broker host (default 127.0.0.1%s)\n"
        "  -p, --port PORT          broker port (default 1883; 8883 with TLS)\n"
        "      --spawn-broker       start a private mosquitto on a free 127.0.0.1 port\n"
        "      --broker-max-queued N  max_queued_messages of a broker we start (default 1000)\n"
        "  -t, --topic TOPIC        topic (default mqttbench/test); %%i client index,\n"
        "                           %%c client id, %%h hostname\n"
        "      --sub-topic FILTER   subscription filter (default: the topic, or as --shape says;\n"
        "                           $share/GROUP/FILTER: one delivery per group)\n"
        "      --shape SHAPE        all (every subscriber gets every message), fan-in\n"
        "                           (TOPIC/%%i -> TOPIC/+), fan-out (1 publisher), pairs (i -> i)\n"
        "      --id-prefix PREFIX   client id prefix (default mqttbench)\n"
        "  -k, --keepalive SECONDS  keepalive (default 60)\n"
        "  -V, --protocol VERSION   3.1.1 or 5 (default 3.1.1)\n"
        "  -u, --username USER      -P, --password PASS\n"
        "      --connect-timeout T  give up connecting after T (default 10s)\n"
        "      --connect-rate R     new connections per second (default 2000; 0 = all at once)\n"
        "      --bind-address A,B   source addresses for the connections, round robin\n"
        "                           (each address gives another local port range)\n"
        "%s"
        "\n"
        "TLS (any of these turns it on; one context shared by every connection):\n"
        "      --cafile FILE        CA certificates (PEM) to verify the broker with\n"
        "      --capath DIR         directory of hashed CA certificates\n"
        "      --tls-use-os-certs   trust the system's CA store (the default without --cafile/--capath/--psk)\n"
        "      --cert FILE          client certificate (PEM chain), with --key FILE its private key\n"
        "      --key-password-env VAR  the key's passphrase is in VAR (default MQTTBENCH_KEY_PASSWORD);\n"
        "                           an encrypted key without one is refused, never prompted for\n"
        "      --insecure           do not check the broker's host name (the chain still is)\n"
        "      --tls-version V      tlsv1.2 or tlsv1.3: only that version (default: 1.2 or later)\n"
        "      --ciphers LIST       TLS 1.2 ciphers;  --tls13-ciphers LIST  TLS 1.3 cipher suites\n"
        "      --tls-alpn PROTO     ALPN protocol to offer\n"
        "      --psk HEX            pre-shared key (or MQTTBENCH_PSK), with --psk-identity ID\n"
        "\n"
        "Messages:\n"
        "  -q, --qos 0|1|2          quality of service (default 0)\n"
        "      --pub-qos Q, --sub-qos Q  separate QoS for publishing and subscribing\n"
        "      --retain             publish with the retain flag\n"
        "      --no-clean           persistent sessions (clean session off / clean start off)\n"
        "      --session-expiry S   MQTT 5 session expiry interval in seconds\n",
        mode == MB_MODE_BOTH ? "; if nothing listens there, a private mosquitto is started" : "",
        mode == MB_MODE_BOTH ? "      --warmup T           publish for T before measuring; not in the results\n" : "");
    if (pub)
        fprintf(f,
        "  -s, --size BYTES         payload size, at least %d (default 64; 1k = 1024)\n"
        "  -n, --count N            messages in total across all publishers (default 1M; 10k, 1M ok)\n",
        PAYLOAD_HEADER_SIZE);
    else
        fprintf(f,
        "  -n, --count N            messages each subscriber expects; stop when they arrived\n");
    fprintf(f,
        "      --duration T         stop after T (30s, 500ms, 2m)\n"
        "      --run-id HEX         run identifier (default: random%s)\n"
        "%s"
        "\n"
        "Clients and pacing:\n", sub && !pub ? "; sub accepts any run unless given" : "",
        mode == MB_MODE_BOTH ?
        "      --processes          publishers and subscribers as two processes on this host,\n"
        "                           coordinated as separate hosts are (monotonic clock shared)\n" :
        mode == MB_MODE_PUB ?
        "      --wait-subscribers N wait until N sub processes of this run are ready (and have\n"
        "                           measured this host's clock) before publishing\n"
        "      --wait-timeout T     how long to wait for them (default 30s)\n"
        "      --first-publisher K  number this process's publishers from K (several pub hosts)\n"
        "      --control-prefix P   control topics: P/<run id>/... (default mqttbench/ctl)\n"
        "      --no-control         no announcements (a plain publisher)\n" :
        "      --expect-publishers N  stop once N pub processes of this run announced their end\n"
        "                           and their messages arrived (or the drain timeout passed)\n"
        "      --wait-timeout T     fail when they have not announced themselves by then (30s)\n"
        "      --control-prefix P   control topics: P/<run id>/... (default mqttbench/ctl)\n"
        "      --no-control         ignore announcements\n");
    if (pub)
        fprintf(f,
        "      --publishers N       publishing clients (default 1)\n"
        "      --rate R             aggregate msgs/s on a fixed schedule; 0 = as fast as possible\n"
        "      --inflight N         per publisher: messages queued but not yet written (QoS 0)\n"
        "                           or not yet acknowledged (QoS 1/2) (default 20)\n");
    if (sub)
        fprintf(f,
        "      --subscribers N      subscribing clients (default 1)\n"
        "      --sub-delay T        per-message processing delay in subscribers (slow consumer)\n"
        "      --drain-timeout T    stop waiting for messages after T without one (default 3s)\n");
    fprintf(f,
        "%s"
        "      --threads N          worker threads (default: number of cores, %d)\n"
        "\n"
        "Output:\n"
        "      --json FILE          result file (default results/mqttbench-%s-<UTC time>.json;\n"
        "                           - for stdout, the summary then on stderr)\n"
        "      --repeat N           run the scenario N times (fresh connections, run ids\n"
        "                           id..id+N-1); one file with every run, median, min, max\n"
        "      --quiet              no progress lines\n"
        "      --report-every N     print the %s count every N messages\n"
        "      --help               this text\n",
        mode == MB_MODE_BOTH ?
        "      --backlog N          publishers pause while subscribers are N messages behind\n"
        "                           (default 500 at QoS 0, 10 publishing at QoS 1, 100 at QoS 2;\n"
        "                           0 = never)\n" :
        mode == MB_MODE_PUB ?
        "      --drain-timeout T    give up on unacknowledged publishes after T without progress,\n"
        "                           and wait at most T + 3s for subscribers at the end (default 3s)\n" : "",
        options_ncpus(), options_mode_name(mode), mode == MB_MODE_PUB ? "sent" : "received");
}

static int parse_long(const char *flag, const char *arg, long min, long max, long *out,
                      char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(64)];
    errmsg_sanitize(arg, 64, shown, sizeof(shown));
    if (units_parse_int(arg, min, max, out) != 0)
        return errmsg_set(err, errlen, "%s: expected a whole number from %ld to %ld, got '%s'",
                          flag, min, max, shown);
    return 0;
}

static int parse_count_flag(const char *flag, const char *arg, uint64_t *out, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(64)];
    errmsg_sanitize(arg, 64, shown, sizeof(shown));
    uint64_t u;
    if (units_parse_count(arg, &u) != 0)
        return errmsg_set(err, errlen, "%s: expected a count such as 1000, 10k or 1M, got '%s'", flag, shown);
    if (u > MB_MAX_COUNT)
        return errmsg_set(err, errlen, "%s: at most %" PRIu64 " (2^53, the largest count a result file "
                          "holds exactly), got '%s'", flag, MB_MAX_COUNT, shown);
    *out = u;
    return 0;
}

static int parse_duration_flag(const char *flag, const char *arg, uint64_t *out, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(64)];
    errmsg_sanitize(arg, 64, shown, sizeof(shown));
    uint64_t ns;
    if (units_parse_duration_ns(arg, &ns) != 0)
        return errmsg_set(err, errlen, "%s: expected a duration such as 30s, 500ms or 2m, got '%s'", flag, shown);
    if (ns > MB_MAX_DURATION_NS)
        return errmsg_set(err, errlen, "%s: at most 8760h (365 days), got '%s'", flag, shown);
    *out = ns;
    return 0;
}

/* A rate (per second) from 0 to MB_MAX_RATE; what names the unit in messages. */
static int parse_rate_flag(const char *flag, const char *arg, const char *what, double *out,
                           char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(64)];
    errmsg_sanitize(arg, 64, shown, sizeof(shown));
    double r;
    if (units_parse_rate(arg, &r) != 0)
        return errmsg_set(err, errlen, "%s: expected %s such as 5000, 50k or 0 (unlimited), got '%s'",
                          flag, what, shown);
    if (r > MB_MAX_RATE)
        return errmsg_set(err, errlen, "%s: at most 1000M %s, got '%s'", flag, what, shown);
    *out = r;
    return 0;
}

/* The name a message should use for option opt: its long form, or else the
 * argument as given (sanitized), in buf. */
static const char *flag_name(int opt, const char *fallback, char *buf, size_t len)
{
    for (const struct option *o = long_opts; o->name; o++)
        if (o->val == opt) {
            snprintf(buf, len, "--%s", o->name);
            return buf;
        }
    errmsg_sanitize(fallback, len > 4 ? len - 4 : 0, buf, len);
    return buf;
}

static void set_defaults(struct mb_config *cfg, enum mb_mode mode)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mode = mode;
    cfg->topic = "mqttbench/test";
    cfg->id_prefix = "mqttbench";
    cfg->keepalive_s = 60;
    cfg->protocol = 4;
    cfg->qos = 0;
    cfg->pub_qos = cfg->sub_qos = -1;
    cfg->shape = "all";
    cfg->clean = true;
    cfg->session_expiry_s = -1;
    cfg->size = 64;
    cfg->publishers = mode == MB_MODE_SUB ? 0 : 1;
    cfg->subscribers = mode == MB_MODE_PUB ? 0 : 1;
    cfg->threads = options_ncpus();
    cfg->inflight = 20;
    cfg->drain_timeout_ns = 3000000000ull;
    cfg->connect_timeout_ns = 10000000000ull;
    cfg->connect_rate = 2000;
    cfg->control_prefix = "mqttbench/ctl";
    cfg->wait_timeout_ns = 30000000000ull;
    cfg->broker_max_queued = 1000;
    cfg->repeat = 1;
    cfg->backlog = UINT64_MAX;   /* set in validate(): depends on the QoS */
}

/* A TLS option's value: not empty; it turns TLS on. */
static int set_tls_string(struct mb_config *cfg, const char **field, const char *arg, const char *flag,
                          char *err, size_t errlen)
{
    if (!*arg) return errmsg_set(err, errlen, "%s: must not be empty", flag);
    *field = arg;
    cfg->tls = true;
    return 0;
}

/* Handles one option; returns 0, or -1 with err filled. */
static int apply_option(struct mb_config *cfg, int opt, const char *arg, const char *flag,
                        char *err, size_t errlen)
{
    long v;
    uint64_t u;
    char shown[ERRMSG_SHOWN(64)];   /* arg as messages may echo it */
    errmsg_sanitize(arg, 64, shown, sizeof(shown));
    switch (opt) {
    case 'h':
        if (!*arg) return errmsg_set(err, errlen, "--host: must not be empty");
        cfg->host = arg;
        return 0;
    case 'p':
        if (parse_long("--port", arg, 1, 65535, &v, err, errlen)) return -1;
        cfg->port = (int)v;
        return 0;
    case 't': cfg->topic = arg; return 0;
    case OPT_ID_PREFIX:
        if (!*arg || strlen(arg) > 64) return errmsg_set(err, errlen, "--id-prefix: must be 1 to 64 characters");
        cfg->id_prefix = arg;
        return 0;
    case 'k':
        if (parse_long("--keepalive", arg, 5, 65535, &v, err, errlen)) return -1;
        cfg->keepalive_s = (int)v;
        return 0;
    case 'V':
        if (!strcmp(arg, "3.1.1") || !strcmp(arg, "311") || !strcmp(arg, "mqttv311")) cfg->protocol = 4;
        else if (!strcmp(arg, "5") || !strcmp(arg, "mqttv5")) cfg->protocol = 5;
        else return errmsg_set(err, errlen, "--protocol: expected 3.1.1 or 5, got '%s'", shown);
        return 0;
    case OPT_SUB_TOPIC: cfg->sub_topic = arg; return 0;
    case OPT_SHAPE:
        if (strcmp(arg, "all") && strcmp(arg, "fan-in") && strcmp(arg, "fan-out") && strcmp(arg, "pairs"))
            return errmsg_set(err, errlen, "--shape: expected all, fan-in, fan-out or pairs, got '%s'", shown);
        cfg->shape = arg;
        return 0;
    case OPT_PUB_QOS:
    case OPT_SUB_QOS:
        if (units_parse_int(arg, 0, 2, &v) != 0)
            return errmsg_set(err, errlen, "%s: must be 0, 1 or 2, got '%s'", opt == OPT_PUB_QOS ? "--pub-qos" : "--sub-qos", shown);
        if (opt == OPT_PUB_QOS) cfg->pub_qos = (int)v;
        else cfg->sub_qos = (int)v;
        return 0;
    case OPT_RETAIN: cfg->retain = true; return 0;
    case OPT_NO_CLEAN: cfg->clean = false; return 0;
    case OPT_SESSION_EXPIRY:
        return parse_long("--session-expiry", arg, 0, 4294967295L, &cfg->session_expiry_s, err, errlen);
    case 'u': cfg->username = arg; return 0;
    case 'P': cfg->password = arg; return 0;
    case 'q':
        if (units_parse_int(arg, 0, 2, &v) != 0)
            return errmsg_set(err, errlen, "--qos: must be 0, 1 or 2, got '%s'", shown);
        cfg->qos = (int)v;
        return 0;
    case 's':
        if (units_parse_size(arg, &u) != 0)
            return errmsg_set(err, errlen, "--size: expected bytes such as 64, 1k or 1M, got '%s'", shown);
        if (u < PAYLOAD_HEADER_SIZE)
            return errmsg_set(err, errlen, "--size: must be at least %d bytes (the payload header), got '%s'",
                        PAYLOAD_HEADER_SIZE, shown);
        if (u > MB_MAX_SIZE)
            return errmsg_set(err, errlen, "--size: at most %llu bytes (MQTT's limit), got '%s'",
                        (unsigned long long)MB_MAX_SIZE, shown);
        cfg->size = u;
        return 0;
    case 'n':
        if (arg[0] == '-') return errmsg_set(err, errlen, "--count: must be at least 1, got '%s'", shown);
        if (parse_count_flag("--count", arg, &u, err, errlen)) return -1;
        if (u == 0) return errmsg_set(err, errlen, "--count: must be at least 1, got '%s'", shown);
        cfg->count = u;
        cfg->count_given = true;
        return 0;
    case OPT_DURATION:
        if (parse_duration_flag("--duration", arg, &u, err, errlen)) return -1;
        if (u == 0) return errmsg_set(err, errlen, "--duration: must be more than 0, got '%s'", shown);
        cfg->duration_ns = u;
        return 0;
    case OPT_PUBLISHERS:
        if (parse_long("--publishers", arg, 1, MB_MAX_CLIENTS, &v, err, errlen)) return -1;
        cfg->publishers = (int)v;
        return 0;
    case OPT_SUBSCRIBERS:
        if (parse_long("--subscribers", arg, 1, MB_MAX_CLIENTS, &v, err, errlen)) return -1;
        cfg->subscribers = (int)v;
        return 0;
    case OPT_THREADS:
        if (parse_long("--threads", arg, 1, 1024, &v, err, errlen)) return -1;
        cfg->threads = (int)v;
        return 0;
    case OPT_RATE:
        return parse_rate_flag("--rate", arg, "msgs/s", &cfg->rate, err, errlen);
    case OPT_INFLIGHT:
        if (parse_long("--inflight", arg, 1, 65535, &v, err, errlen)) return -1;
        cfg->inflight = (int)v;
        return 0;
    case OPT_BACKLOG:
        if (parse_count_flag("--backlog", arg, &cfg->backlog, err, errlen)) return -1;
        return 0;
    case OPT_SUB_DELAY: return parse_duration_flag("--sub-delay", arg, &cfg->sub_delay_ns, err, errlen);
    case OPT_DRAIN_TIMEOUT:
        if (parse_duration_flag("--drain-timeout", arg, &u, err, errlen)) return -1;
        if (u == 0) return errmsg_set(err, errlen, "--drain-timeout: must be more than 0, got '%s'", shown);
        cfg->drain_timeout_ns = u;
        return 0;
    case OPT_CONNECT_TIMEOUT:
        if (parse_duration_flag("--connect-timeout", arg, &u, err, errlen)) return -1;
        if (u == 0) return errmsg_set(err, errlen, "--connect-timeout: must be more than 0, got '%s'", shown);
        cfg->connect_timeout_ns = u;
        return 0;
    case OPT_CONNECT_RATE:
        return parse_rate_flag("--connect-rate", arg, "connections/s", &cfg->connect_rate, err, errlen);
    case OPT_WARMUP:
        return parse_duration_flag("--warmup", arg, &cfg->warmup_ns, err, errlen);
    case OPT_BIND_ADDRESS: {
        /* A comma-separated list, copied out: argv stays as given, since
         * both --processes passes it on to its children. Empty items are skipped. */
        cfg->nbind = 0;
        for (const char *a = arg; *a;) {
            size_t n = strcspn(a, ",");
            if (n > 0) {
                if (cfg->nbind == MB_MAX_BIND)
                    return errmsg_set(err, errlen, "--bind-address: at most %d addresses", MB_MAX_BIND);
                char one[MB_ADDR_LEN + 1], shown_one[ERRMSG_SHOWN(64)];
                snprintf(one, sizeof(one), "%.*s", (int)(n < MB_ADDR_LEN ? n : MB_ADDR_LEN), a);
                struct in6_addr tmp6;
                struct in_addr tmp4;
                if (n >= MB_ADDR_LEN ||
                    (inet_pton(AF_INET, one, &tmp4) != 1 && inet_pton(AF_INET6, one, &tmp6) != 1)) {
                    errmsg_sanitize(one, MB_ADDR_LEN, shown_one, sizeof(shown_one));
                    return errmsg_set(err, errlen, "--bind-address: '%s%s' is not an IP address", shown_one,
                                      n >= MB_ADDR_LEN ? "..." : "");
                }
                memcpy(cfg->bind_addresses[cfg->nbind++], one, n + 1);
            }
            a += n;
            if (*a == ',') a++;
        }
        if (!cfg->nbind) return errmsg_set(err, errlen, "--bind-address: expected one or more IP addresses");
        return 0;
    }
    case OPT_CONTROL_PREFIX:
        if (!*arg || strchr(arg, '+') || strchr(arg, '#') || strlen(arg) > 200)
            return errmsg_set(err, errlen, "--control-prefix: expected a topic prefix without wildcards, got '%s'", shown);
        cfg->control_prefix = arg;
        return 0;
    case OPT_EXPECT_PUBLISHERS:
        return parse_long("--expect-publishers", arg, 1, 64, &cfg->expect_publishers, err, errlen);
    case OPT_WAIT_SUBSCRIBERS:
        return parse_long("--wait-subscribers", arg, 1, 64, &cfg->wait_subscribers, err, errlen);
    case OPT_WAIT_TIMEOUT:
        if (parse_duration_flag("--wait-timeout", arg, &cfg->wait_timeout_ns, err, errlen)) return -1;
        if (!cfg->wait_timeout_ns) return errmsg_set(err, errlen, "--wait-timeout: must be more than 0");
        return 0;
    case OPT_FIRST_PUBLISHER:
        return parse_long("--first-publisher", arg, 0, (long)PAYLOAD_MAX_PUBLISHERS - 1, &cfg->first_publisher,
                          err, errlen);
    case OPT_CLOCK:
        if (!strcmp(arg, "monotonic")) cfg->clock_monotonic = true;
        else if (!strcmp(arg, "realtime")) cfg->clock_monotonic = false;
        else return errmsg_set(err, errlen, "--clock: expected realtime or monotonic, got '%s'", shown);
        return 0;
    case OPT_PROCESSES: cfg->processes = true; return 0;
    case OPT_CHILD: cfg->child = true; return 0;
    case OPT_NO_CONTROL: cfg->no_control = true; return 0;
    case OPT_SPAWN_BROKER: cfg->spawn_broker = true; return 0;
    case OPT_BROKER_MAX_QUEUED:
        return parse_long("--broker-max-queued", arg, 0, 1000000000L, &cfg->broker_max_queued, err, errlen);
    case OPT_RUN_ID:
        /* Printed as %016llx: accepted the same way, 1 to 16 hex digits and
         * nothing else (no sign, no space, no 0x), so one run has one spelling. */
        if (!*arg || strlen(arg) > 16 || strspn(arg, "0123456789abcdefABCDEF") != strlen(arg))
            return errmsg_set(err, errlen, "--run-id: expected 1 to 16 hex digits, got '%s'", shown);
        cfg->run_id = strtoull(arg, NULL, 16);
        cfg->run_id_given = true;
        return 0;
    case OPT_CAFILE: return set_tls_string(cfg, &cfg->cafile, arg, flag, err, errlen);
    case OPT_CAPATH: return set_tls_string(cfg, &cfg->capath, arg, flag, err, errlen);
    case OPT_CERT: return set_tls_string(cfg, &cfg->cert, arg, flag, err, errlen);
    case OPT_KEY: return set_tls_string(cfg, &cfg->key, arg, flag, err, errlen);
    case OPT_KEY_PASSWORD_ENV: return set_tls_string(cfg, &cfg->key_password_env, arg, flag, err, errlen);
    case OPT_TLS_VERSION: return set_tls_string(cfg, &cfg->tls_version, arg, flag, err, errlen);
    case OPT_CIPHERS: return set_tls_string(cfg, &cfg->ciphers, arg, flag, err, errlen);
    case OPT_TLS13_CIPHERS: return set_tls_string(cfg, &cfg->tls13_ciphers, arg, flag, err, errlen);
    case OPT_TLS_ALPN: return set_tls_string(cfg, &cfg->tls_alpn, arg, flag, err, errlen);
    case OPT_PSK: return set_tls_string(cfg, &cfg->psk, arg, flag, err, errlen);
    case OPT_PSK_IDENTITY: return set_tls_string(cfg, &cfg->psk_identity, arg, flag, err, errlen);
    case OPT_INSECURE: cfg->insecure = cfg->tls = true; return 0;
    case OPT_TLS_USE_OS_CERTS: cfg->tls_use_os_certs = cfg->tls = true; return 0;
    case OPT_JSON:
        if (!*arg) return errmsg_set(err, errlen, "--json: file name must not be empty");
        cfg->json_path = arg;
        return 0;
    case OPT_QUIET: cfg->quiet = true; return 0;
    case OPT_REPEAT: return parse_long("--repeat", arg, 1, 1000, &cfg->repeat, err, errlen);
    case OPT_REPORT_EVERY:
        if (parse_count_flag("--report-every", arg, &cfg->report_every, err, errlen)) return -1;
        if (cfg->report_every == 0) return errmsg_set(err, errlen, "--report-every: must be at least 1");
        return 0;
    }
    return errmsg_set(err, errlen, "%s: not handled", flag);
}

/* Cross-option checks, after every option was read. */
static int validate(struct mb_config *cfg, char *err, size_t errlen)
{
    bool pub = cfg->mode != MB_MODE_SUB;
    char topic[ERRMSG_SHOWN(64)], sub_topic[ERRMSG_SHOWN(64)];
    errmsg_sanitize(cfg->topic, 64, topic, sizeof(topic));
    errmsg_sanitize(cfg->sub_topic, 64, sub_topic, sizeof(sub_topic));
    if (!cfg->topic[0]) return errmsg_set(err, errlen, "--topic: must not be empty");
    if (strlen(cfg->topic) > 1000) return errmsg_set(err, errlen, "--topic: at most 1000 characters");
    if (cfg->sub_topic && !cfg->sub_topic[0]) return errmsg_set(err, errlen, "--sub-topic: must not be empty");
    if (cfg->sub_topic && strlen(cfg->sub_topic) > 1000) return errmsg_set(err, errlen, "--sub-topic: at most 1000 characters");
    if (pub && mosquitto_pub_topic_check(cfg->topic) != MOSQ_ERR_SUCCESS)
        return errmsg_set(err, errlen, "--topic: a publish topic cannot contain + or # wildcards, got '%s'", topic);
    if (!cfg->sub_topic && mosquitto_sub_topic_check(cfg->topic) != MOSQ_ERR_SUCCESS)
        return errmsg_set(err, errlen, "--topic: not a valid topic filter: '%s'", topic);
    if (cfg->sub_topic && mosquitto_sub_topic_check(cfg->sub_topic) != MOSQ_ERR_SUCCESS)
        return errmsg_set(err, errlen, "--sub-topic: not a valid topic filter: '%s'", sub_topic);
    for (const char *p = cfg->topic; (p = strchr(p, '%')); p += 2)
        if (p[1] != 'i' && p[1] != 'c' && p[1] != 'h')
            return errmsg_set(err, errlen, "--topic: unknown pattern '%%%c' (use %%i, %%c or %%h)",
                              p[1] > 0x20 && p[1] < 0x7f ? p[1] : '?');
    if (cfg->pub_qos < 0) cfg->pub_qos = cfg->qos;
    if (cfg->sub_qos < 0) cfg->sub_qos = cfg->qos;
    if (!strcmp(cfg->shape, "pairs") && cfg->mode == MB_MODE_BOTH && cfg->publishers != cfg->subscribers)
        return errmsg_set(err, errlen, "--shape pairs: needs as many --publishers as --subscribers (%d vs %d)",
                    cfg->publishers, cfg->subscribers);
    if (cfg->mode == MB_MODE_SUB && cfg->expect_publishers && !cfg->run_id_given && !cfg->child)
        return errmsg_set(err, errlen, "--expect-publishers: needs --run-id (the publishers' run id)");
    if ((cfg->expect_publishers || cfg->wait_subscribers) && cfg->no_control)
        return errmsg_set(err, errlen, "--no-control: cannot be combined with %s",
                    cfg->expect_publishers ? "--expect-publishers" : "--wait-subscribers");
    if (cfg->mode == MB_MODE_PUB && cfg->wait_subscribers && !cfg->run_id_given && !cfg->child)
        return errmsg_set(err, errlen, "--wait-subscribers: needs --run-id (the subscribers' run id)");
    if (cfg->repeat > 1 && cfg->processes)
        return errmsg_set(err, errlen, "--repeat: not with --processes (repeat the pub and sub commands instead)");
    if (cfg->session_expiry_s >= 0 && cfg->protocol != 5)
        return errmsg_set(err, errlen, "--session-expiry: needs -V 5 (an MQTT 5 property)");
    if (cfg->spawn_broker && cfg->host)
        return errmsg_set(err, errlen, "--spawn-broker: cannot be combined with --host");
    if (cfg->json_path && !strcmp(cfg->json_path, "-") && cfg->report_every)
        return errmsg_set(err, errlen, "--report-every: prints on standard output, where --json - puts the result");
    if (cfg->password && !cfg->username)
        return errmsg_set(err, errlen, "--password: needs --username");
    if (!cfg->psk && cfg->psk_identity && getenv("MQTTBENCH_PSK") && *getenv("MQTTBENCH_PSK"))
        cfg->psk = getenv("MQTTBENCH_PSK");
    if (cfg->tls && tls_options_check(cfg, err, errlen) != 0) return -1;
    if (pub && !cfg->count_given && cfg->duration_ns == 0)
        cfg->count = 1000000;
    if (pub && cfg->count) {
        uint64_t p = (uint64_t)cfg->publishers;
        /* The largest quota, computed without the +1 that once wrapped to 0;
         * a quota of UINT32_MAX means "no count" to the clients. */
        uint64_t per_pub = cfg->count / p + (cfg->count % p != 0);
        if (per_pub > UINT32_MAX - 1)
            return errmsg_set(err, errlen, "--count: at most %u messages per publisher; add --publishers",
                              (unsigned)(UINT32_MAX - 1));
    }
    if (pub && (uint64_t)cfg->publishers > PAYLOAD_MAX_PUBLISHERS)
        return errmsg_set(err, errlen, "--publishers: at most %u", (unsigned)PAYLOAD_MAX_PUBLISHERS);
    if (cfg->backlog == UINT64_MAX) cfg->backlog = flow_default_backlog(cfg);
    if (pub && cfg->rate > 0 && cfg->rate < 0.001)
        return errmsg_set(err, errlen, "--rate: too small");
    return 0;
}

static uint64_t random_run_id(void)
{
    uint64_t id = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&id, sizeof(id), 1, f) != 1) id = 0;
        fclose(f);
    }
    if (!id) id = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
    return id;
}

enum options_status options_parse(int argc, char **argv, struct mb_config *cfg,
                                  char *err, size_t errlen)
{
    if (argc < 2) {
        errmsg_set(err, errlen, "missing command: expected pub, sub or both");
        return OPTIONS_ERROR;
    }
    const char *cmd = argv[1];
    enum mb_mode mode;
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        print_top_help(stdout);
        return OPTIONS_EXIT_OK;
    } else if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("mqttbench %s (git %s), libmosquitto %s\n", MB_VERSION, MB_GIT_REV, version_libmosquitto());
        return OPTIONS_EXIT_OK;
    } else if (!strcmp(cmd, "pub")) {
        mode = MB_MODE_PUB;
    } else if (!strcmp(cmd, "sub")) {
        mode = MB_MODE_SUB;
    } else if (!strcmp(cmd, "both")) {
        mode = MB_MODE_BOTH;
    } else {
        char shown[ERRMSG_SHOWN(64)];
        errmsg_sanitize(cmd, 64, shown, sizeof(shown));
        errmsg_set(err, errlen, "unknown command '%s': expected pub, sub or both (see mqttbench --help)", shown);
        return OPTIONS_ERROR;
    }
    set_defaults(cfg, mode);

    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    opterr = 0;
    optind = 0;                 /* 0: glibc re-initialises getopt, whatever ran before */
    int opt, idx;
    bool child_mode = false;
    for (int i = 1; i < sub_argc; i++)
        if (!strcmp(sub_argv[i], "--child")) child_mode = true;
    while ((opt = getopt_long(sub_argc, sub_argv, short_opts, long_opts, &idx)) != -1) {
        char flagbuf[64];
        const char *flag = flag_name(opt, sub_argv[optind - 1], flagbuf, sizeof(flagbuf));
        if (opt == '?') {
            if (optopt)
                errmsg_set(err, errlen, "unknown option '-%c' (see mqttbench %s --help)",
                           optopt > 0x20 && optopt < 0x7f ? optopt : '?', cmd);
            else errmsg_set(err, errlen, "unknown option '%s' (see mqttbench %s --help)", flag, cmd);
            return OPTIONS_ERROR;
        }
        if (opt == ':') {
            errmsg_set(err, errlen, "%s: needs a value", flag);
            return OPTIONS_ERROR;
        }
        if (opt == OPT_HELP) {
            print_cmd_help(stdout, mode);
            return OPTIONS_EXIT_OK;
        }
        if (opt == OPT_VERSION) {
            printf("mqttbench %s (git %s), libmosquitto %s\n", MB_VERSION, MB_GIT_REV, version_libmosquitto());
            return OPTIONS_EXIT_OK;
        }
        bool wrong_side = (mode == MB_MODE_SUB &&
                           (opt == OPT_PUBLISHERS || opt == OPT_RATE || opt == OPT_INFLIGHT || opt == 's')) ||
                          (mode == MB_MODE_PUB && (opt == OPT_SUBSCRIBERS || opt == OPT_SUB_DELAY)) ||
                          (mode != MB_MODE_BOTH && (opt == OPT_BACKLOG || opt == OPT_WARMUP));
        wrong_side = wrong_side ||
                     (mode != MB_MODE_SUB && opt == OPT_EXPECT_PUBLISHERS) ||
                     (mode != MB_MODE_PUB && (opt == OPT_WAIT_SUBSCRIBERS || opt == OPT_FIRST_PUBLISHER)) ||
                     (mode == MB_MODE_BOTH && opt == OPT_WAIT_TIMEOUT) ||
                     (mode != MB_MODE_BOTH && opt == OPT_PROCESSES);
        if (wrong_side && child_mode) continue;   /* both --processes passes every option on */
        if (wrong_side) {
            errmsg_set(err, errlen, "%s: not an option of '%s' (see mqttbench %s --help)", flag, cmd, cmd);
            return OPTIONS_ERROR;
        }
        if (apply_option(cfg, opt, optarg ? optarg : "", flag, err, errlen) != 0)
            return OPTIONS_ERROR;
    }
    if (optind < sub_argc) {
        char shown[ERRMSG_SHOWN(64)];
        errmsg_sanitize(sub_argv[optind], 64, shown, sizeof(shown));
        errmsg_set(err, errlen, "unexpected argument '%s' (see mqttbench %s --help)", shown, cmd);
        return OPTIONS_ERROR;
    }
    if (validate(cfg, err, errlen) != 0) return OPTIONS_ERROR;
    if (!cfg->run_id_given) cfg->run_id = random_run_id();
    return OPTIONS_RUN;
}
