/* Command-line options: one read-only configuration struct for the whole run.
 * Parsed once in main, validated before anything connects, then passed down
 * as const. Strings point into argv (which parsing leaves unchanged) or at
 * string literals, or are held in the struct: nothing to free. Each flag is
 * one row of the table in optspec.c, which says where its value goes here. */
#ifndef MB_OPTIONS_H
#define MB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MB_MAX_BIND 64    /* --bind-address: most addresses */
#define MB_ADDR_LEN 46    /* room for a numeric IPv6 address and its NUL (INET6_ADDRSTRLEN) */

enum mb_mode { MB_MODE_PUB, MB_MODE_SUB, MB_MODE_BOTH, MB_MODE_CONN };

/* Whether a command runs publishers, subscribers (conn runs neither: it
 * only connects and disconnects, see conn.h). */
static inline bool mb_mode_publishes(enum mb_mode m) { return m == MB_MODE_PUB || m == MB_MODE_BOTH; }
static inline bool mb_mode_subscribes(enum mb_mode m) { return m == MB_MODE_SUB || m == MB_MODE_BOTH; }

struct mb_config {
    enum mb_mode mode;

    /* connection */
    const char *host;          /* as given; NULL when not given */
    int port;                  /* 0 when not given (then 1883 or the spawned broker's) */
    bool spawn_broker;         /* --spawn-broker: always start our own mosquitto */
    const char *topic;         /* publish topic pattern: %i index, %c client id, %h hostname */
    const char *sub_topic;     /* subscription filter pattern; NULL = derived from topic/shape */
    const char *shape;         /* "all" (default), "fan-in", "fan-out" or "pairs" */
    int pub_qos, sub_qos;      /* default: --qos */
    bool retain;               /* publish with the retain flag */
    bool clean;                /* clean session / clean start (default true) */
    long session_expiry_s;     /* MQTT 5 session expiry interval; -1 = not sent */
    const char *id_prefix;
    int keepalive_s;
    int protocol;              /* 4 (MQTT 3.1.1) or 5 */
    const char *username;
    const char *password;      /* never written to results */

    /* TLS (tls.h): any of these options turns it on */
    bool tls;                  /* a TLS option was given: connect with TLS (default port 8883) */
    const char *cafile;        /* CA certificates (PEM file) */
    const char *capath;        /* directory of hashed CA certificates */
    bool tls_use_os_certs;     /* trust the system's CA store too */
    const char *cert, *key;    /* client certificate chain and its private key (PEM) */
    const char *key_password_env; /* environment variable with the key's passphrase;
                                     NULL: MQTTBENCH_KEY_PASSWORD */
    bool insecure;             /* do not check the broker's host name */
    const char *tls_version;   /* "tlsv1.2" or "tlsv1.3": only that version; NULL: 1.2 or later */
    const char *ciphers;       /* TLS 1.2 cipher list (OpenSSL syntax) */
    const char *tls13_ciphers; /* TLS 1.3 cipher suites (OpenSSL syntax) */
    const char *tls_alpn;      /* ALPN protocol to offer */
    const char *psk;           /* pre-shared key in hex; never written anywhere */
    const char *psk_identity;

    /* messages */
    int qos;
    uint64_t size;             /* payload bytes, >= PAYLOAD_HEADER_SIZE */
    uint64_t count;            /* total messages across all publishers; 0 = unbounded */
    bool count_given;
    uint64_t duration_ns;      /* 0 = no time limit */

    /* clients and pacing */
    int publishers;
    int subscribers;
    int threads;               /* worker threads */
    double rate;               /* aggregate msgs/s; 0 = as fast as the broker takes them (conn: connects/s) */
    bool rate_given;
    int inflight;              /* per publisher: queued-unwritten (QoS 0) or unacked (QoS 1/2) */
    uint64_t backlog;          /* both: publishers pause while subscribers are this many
                                  messages behind; 0 = never pause (flood) */
    uint64_t sub_delay_ns;     /* per-message processing delay in subscribers (slow consumer) */
    uint64_t coalesce_ns;      /* a subscribers' worker waits this long after a wake-up that found messages */
    uint64_t drain_timeout_ns; /* subscribers stop after this long without a message */
    uint64_t connect_timeout_ns;
    const char *reconnect;     /* --reconnect as given; NULL: a lost connection fails the run */
    uint64_t reconnect_min_ns, reconnect_max_ns; /* its backoff (reconnect.h) */
    double connect_rate;       /* new connections per second, all workers; 0 = all at once */
    uint64_t warmup_ns;        /* publish this long before measuring; excluded from results */
    char bind_addresses[MB_MAX_BIND][MB_ADDR_LEN]; /* source addresses, used round robin; none = any */
    int nbind;

    /* separate processes and hosts */
    const char *control_prefix;  /* control topics live under <prefix>/<run id> */
    long expect_publishers;      /* sub: publishing processes to wait for (0 = whatever announces) */
    long wait_subscribers;       /* pub: subscribing processes that must be ready first */
    uint64_t wait_timeout_ns;
    long first_publisher;        /* pub: index of this process's first publisher */
    bool clock_monotonic;        /* stamp with CLOCK_MONOTONIC (processes on one host) */
    bool processes;              /* both: publishers and subscribers as two processes */
    bool child;                  /* started by both --processes (options of the other side ignored) */
    bool no_control;             /* pub/sub: no announcements (for brokers that refuse them) */

    /* shards (shard.h): the command line is the whole run, this process one part */
    const char *shard_arg;       /* --shard as given ("I/N" or "auto"); NULL: not sharded */
    long shard_index;            /* this process's shard: 0 .. shard_count-1 */
    long shard_count;            /* --shards, or the N of --shard; 1 when not sharded */
    bool shards_given;
    long first_subscriber;       /* sub: index of this process's first subscriber (%i) */
    struct {                     /* the whole run's values, which `config` records */
        bool set;                /* cfg holds a shard's share */
        int publishers, subscribers;
        uint64_t count;
        double rate;
        long first_publisher;
        const char *id_prefix;
    } shard_whole;
    char shard_id_prefix[80];    /* "<--id-prefix>-<shard>" (id_prefix points here) */

    /* run identity */
    uint64_t run_id;           /* random unless --run-id */
    bool run_id_given;

    /* spawned broker */
    long broker_max_queued;    /* max_queued_messages for a broker we start */

    long repeat;               /* runs of the scenario, each with fresh connections */

    /* output */
    const char *json_path;     /* NULL: results/mqttbench-<mode>-<UTC>.json */
    const char *report_path;   /* --report: the run's HTML report; NULL = none (html.h) */
    const char *csv_path;      /* --csv: the per-second series (export.h); NULL = none */
    const char *hgrm_path;     /* --hgrm: the latency distribution as HdrHistogram text; NULL = none */
    const char *metrics_listen;  /* --metrics-listen ADDR:PORT (metricsrv.h); NULL = none */
    const char *metrics_file;    /* --metrics-file: the same text, rewritten every second; NULL = none */
    bool quiet;
    uint64_t report_every;     /* 0 = off */
    bool warmup_given;
    bool coalesce_given;

    /* sweep (sweep.h): `both` at rising rates, judged against an objective */
    bool sweep;                /* the sweep command (mode is MB_MODE_BOTH) */
    const char *slo;           /* --slo, checked by sweep_parse_objective */
    const char *rates;         /* --rates, checked by sweep_parse_rates; NULL = --from/--to */
    double sweep_from, sweep_to;
    long sweep_steps;
    bool find_max;
    double resolution;         /* a fraction: 0.05 for "5%" */
    uint64_t step_duration_ns;

    /* conn (conn.h): connection churn; --rate is connects/s, --count the connects */
    int conn_clients;          /* --clients: connections open at most at once (slots) */
    uint64_t lifetime_ns;      /* --lifetime: how long each connection stays once ready; 0 = none */
    bool conn_subscribe;       /* --subscribe: SUBSCRIBE to --topic, ready at its SUBACK */
    long id_pool;              /* --id-pool: client ids cycle over this many; 0 = every id unique */
};

/* What options_parse asks main to do. */
enum options_status {
    OPTIONS_RUN = 0,      /* cfg is filled and valid */
    OPTIONS_EXIT_OK = 1,  /* --help or --version was printed to stdout: exit 0 */
    OPTIONS_ERROR = -1,   /* err holds one line naming the flag and the problem */
};

/* Parse argv (argv[1] is the subcommand) into cfg, with defaults for what is
 * not given, and validate every value. Prints help/version itself.
 * Returns an options_status; on OPTIONS_ERROR, err (errlen bytes) holds the message. */
enum options_status options_parse(int argc, char **argv, struct mb_config *cfg,
                                  char *err, size_t errlen);

/* The --help text of a command: every row of optspec.c that mode takes, by
 * section, except hidden ones. */
void options_print_help(FILE *f, enum mb_mode mode);

/* Copy the values of secret options given on the command line (OPT_SECRET
 * rows: --password, --psk) out of argv, point cfg at the copies (kept for
 * the life of the process) and overwrite their bytes in argv, so the
 * process title (/proc/PID/cmdline, ps) no longer shows them. Call once,
 * right after options_parse. */
void options_hide_secrets(int argc, char **argv, struct mb_config *cfg);

/* both --processes: the environment variables that carry cfg's secrets to a
 * child instead of its command line: MQTTBENCH_PASSWORD, MQTTBENCH_PSK.
 * Call in the child, before exec. */
void options_secrets_to_env(const struct mb_config *cfg);

/* both --processes: of argv as options_parse accepted it (argv[1] is the
 * command), the arguments after the command that its children get, in
 * order: every option except those the parent sets for them (OPT_PARENT
 * rows: host, port, run id, result file ...) and the secrets (OPT_SECRET
 * rows, passed by options_secrets_to_env). Stores pointers into argv in
 * out (room for argc entries); returns how many. */
int options_child_args(int argc, char **argv, char **out);

/* A mode's name ("pub", "sub", "both"): result_mode_name in result.h. */

/* Number of online CPUs (at least 1). */
int options_ncpus(void);

#endif
