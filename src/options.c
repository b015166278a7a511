/* Command-line parsing with getopt_long, following mosquitto_pub/sub and
 * emqtt-bench conventions (-h host, -p port, -t topic, -q qos ...). What
 * each flag is lives in its row of optspec.c; here are the commands, the
 * checks across options and the defaults that follow from others. */
#include "options.h"

#include <getopt.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn_plan.h"
#include "control.h"
#include "errmsg.h"
#include "flow.h"
#include "optspec.h"
#include "payload.h"
#include "result.h"
#include "shard.h"
#include "sweep.h"
#include "tls.h"
#include "version.h"

/* getopt_long's tables, made from the rows: a row's val is OPT_VAL0 + its
 * index, its letter its short form. */
#define OPT_VAL0 256

struct getopt_tables {
    struct option longs[OPT_MAX_ROWS + 1];
    char shorts[2 * OPT_MAX_ROWS + 3];   /* "+:" and a letter and ':' per row */
};

/* permute false: stop at the first argument that is not an option. */
static void getopt_tables(struct getopt_tables *t, bool permute)
{
    size_t i = 0, n = 0;
    if (!permute) t->shorts[n++] = '+';
    t->shorts[n++] = ':';
    for (const struct opt_spec *s = opt_specs; s->name && i < OPT_MAX_ROWS; s++, i++) {
        t->longs[i] = (struct option){ s->name, optspec_takes_value(s) ? required_argument : no_argument, NULL,
                                       OPT_VAL0 + (int)i };
        if (s->short_name) {
            t->shorts[n++] = s->short_name;
            if (optspec_takes_value(s)) t->shorts[n++] = ':';
        }
    }
    t->longs[i] = (struct option){ NULL, 0, NULL, 0 };
    t->shorts[n] = '\0';
}

/* The row getopt_long's return value opt stands for, or NULL. */
static const struct opt_spec *row_of(int opt)
{
    if (opt >= OPT_VAL0) return &opt_specs[opt - OPT_VAL0];
    OPT_FOR_EACH(s)
        if (s->short_name && s->short_name == opt) return s;
    return NULL;
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
        "  sweep  both at rising rates: the highest rate that meets an objective (--slo), and its curve\n"
        "  pub    run publishers only (pair with `mqttbench sub` elsewhere)\n"
        "  sub    run subscribers only\n"
        "  conn   connection churn: clients connect and disconnect at a rate; CONNACK latency, failures\n"
        "  compare BASE.json NEW.json   compare two results; exit 1 on a regression\n"
        "  merge A.json B.json ... -o OUT.json   combine results of one run (hosts, processes)\n"
        "  report A.json [B.json ...] -o OUT.html   HTML report with charts; --csv, --hgrm exports\n"
        "\n"
        "  mqttbench <command> --help   options of one command\n"
        "  mqttbench --version          version and git revision\n"
        "\n"
        "Example: mqttbench both --count 1M --qos 1 --publishers 4 --subscribers 4\n"
        "Exit status: 0 ok, 1 the run failed, 2 bad usage, 130 interrupted (see mqttbench(1)).\n",
        MB_VERSION);
}

#define HELP_COLUMN 27   /* where the text of an option starts */
#define HELP_WIDTH  100  /* lines are wrapped before this column */

/* text from column col on, wrapped at HELP_WIDTH, continued at HELP_COLUMN. */
static void print_wrapped(FILE *f, const char *text, int col)
{
    while (*text) {
        size_t room = (size_t)(HELP_WIDTH - col), n = strlen(text);
        if (n > room) {
            n = room;
            while (n > 0 && text[n] != ' ') n--;
            if (n == 0) n = strcspn(text, " ");
        }
        fprintf(f, "%.*s\n", (int)n, text);
        text += n;
        while (*text == ' ') text++;
        if (*text) fprintf(f, "%*s", HELP_COLUMN, "");
        col = HELP_COLUMN;
    }
}

/* The help of a command named name taking the rows of modes (mode for
 * help_pub and help_sub). */
static void print_help(FILE *f, const char *name, enum mb_mode mode, unsigned modes)
{
    fprintf(f, "Usage: mqttbench %s [options]\n", name);
    for (int sec = 0; sec < OPT_NSECTIONS; sec++) {
        bool first = true;
        OPT_FOR_EACH(s) {
            if (s->section != (enum opt_section)sec || !(s->modes & modes) || (s->flags & OPT_HIDDEN))
                continue;
            if (first) fprintf(f, "\n%s:\n", opt_section_names[sec]);
            first = false;
            char left[64], text[512];
            const char *help = mode == MB_MODE_PUB && s->help_pub ? s->help_pub
                             : mode == MB_MODE_SUB && s->help_sub ? s->help_sub
                             : mode == MB_MODE_CONN && s->help_conn ? s->help_conn : s->help;
            int col = snprintf(left, sizeof(left), "  %c%c%s--%s%s%s", s->short_name ? '-' : ' ',
                               s->short_name ? s->short_name : ' ', s->short_name ? ", " : "  ", s->name,
                               s->arg ? " " : "", s->arg ? s->arg : "");
            if (s->def) snprintf(text, sizeof(text), "%s (default %s)", help, s->def);
            else snprintf(text, sizeof(text), "%s", help);
            fprintf(f, "%s%*s", left, col < HELP_COLUMN - 1 ? HELP_COLUMN - col : 2, "");
            print_wrapped(f, text, col < HELP_COLUMN - 1 ? HELP_COLUMN : col + 2);
        }
    }
}

void options_print_help(FILE *f, enum mb_mode mode)
{
    print_help(f, result_mode_name(mode), mode, 1u << mode);
}

/* The name a message should use for getopt_long's return value opt: its
 * long form, or else the argument as given (sanitized), in buf. */
static const char *flag_name(int opt, const char *fallback, char *buf, size_t len)
{
    const struct opt_spec *s = row_of(opt);
    if (s) {
        snprintf(buf, len, "--%s", s->name);
        return buf;
    }
    errmsg_sanitize(fallback, len > 4 ? len - 4 : 0, buf, len);
    return buf;
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

/* Defaults that follow from other options, once every option was read. */
static int derive_defaults(struct mb_config *cfg, char *err, size_t errlen)
{
    bool pub = mb_mode_publishes(cfg->mode);
    if (!pub) cfg->publishers = 0;
    if (!mb_mode_subscribes(cfg->mode)) cfg->subscribers = 0;
    if (cfg->mode == MB_MODE_CONN) conn_defaults(cfg);
    if (cfg->pub_qos < 0) cfg->pub_qos = cfg->qos;
    if (cfg->sub_qos < 0) cfg->sub_qos = cfg->qos;
    if (!cfg->threads) cfg->threads = options_ncpus();
    if (pub && !cfg->count_given && cfg->duration_ns == 0)
        cfg->count = 1000000;
    if (cfg->backlog == UINT64_MAX) cfg->backlog = flow_default_backlog(cfg);
    if (!cfg->coalesce_given) cfg->coalesce_ns = flow_default_coalesce_ns(cfg);
    if (!cfg->run_id_given) cfg->run_id = random_run_id();
    if (cfg->sweep && !cfg->warmup_given) cfg->warmup_ns = 1000000000ull;
    const char *psk_env = getenv("MQTTBENCH_PSK"), *password_env = getenv("MQTTBENCH_PASSWORD");
    if (!cfg->psk && psk_env && *psk_env) cfg->psk = psk_env;
    if (!cfg->password && cfg->username && password_env) cfg->password = password_env;
    cfg->tls = cfg->cafile || cfg->capath || cfg->tls_use_os_certs || cfg->cert || cfg->key ||
               cfg->key_password_env || cfg->insecure || cfg->tls_version || cfg->ciphers || cfg->tls13_ciphers ||
               cfg->tls_alpn || cfg->psk || cfg->psk_identity;
    return shard_configure(cfg, getenv, CONTROL_MAX_PEERS, err, errlen);
}

/* sweep: the steps set the rate, the length and the runs themselves. */
static int validate_sweep(const struct mb_config *c, char *err, size_t errlen)
{
    const char *own = c->rate > 0 ? "--rate" : c->count_given ? "--count" : c->duration_ns ? "--duration"
                    : c->repeat > 1 ? "--repeat" : c->processes ? "--processes" : NULL;
    if (own)
        return errmsg_set(err, errlen, "%s: not with sweep (each step's rate and length come from --rates or "
                          "--from/--to and --step-duration)", own);
    if (c->rates && (c->sweep_from > 0 || c->sweep_to > 0))
        return errmsg_set(err, errlen, "--rates: not with --from/--to (give one or the other)");
    if (!c->rates && !(c->sweep_from > 0 && c->sweep_to > 0))
        return errmsg_set(err, errlen, "sweep: needs --rates R1,R2,... or --from R --to R");
    if (!c->rates) {
        double r[SWEEP_MAX_RATES];
        if (sweep_geometric(c->sweep_from, c->sweep_to, c->sweep_steps, r, SWEEP_MAX_RATES, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* Cross-option checks, after every option was read and the defaults derived. */
static int validate(const struct mb_config *cfg, char *err, size_t errlen)
{
    bool pub = mb_mode_publishes(cfg->mode);
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
    const char *const side[] = { cfg->report_path, cfg->csv_path, cfg->hgrm_path, cfg->metrics_file };
    static const char *const side_flag[] = { "--report", "--csv", "--hgrm", "--metrics-file" };
    for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++)
        if (side[i] && !strcmp(side[i], "-"))
            return errmsg_set(err, errlen, "%s: standard output (-) holds the summary or the result; give a file",
                              side_flag[i]);
    if (cfg->processes && (cfg->report_path || cfg->csv_path || cfg->hgrm_path))
        return errmsg_set(err, errlen, "%s: not with --processes (run mqttbench report on the merged result)",
                          cfg->report_path ? "--report" : cfg->csv_path ? "--csv" : "--hgrm");
    if (cfg->processes && (cfg->metrics_listen || cfg->metrics_file))
        return errmsg_set(err, errlen, "%s: not with --processes (run the pub and sub commands, each with its own)",
                          cfg->metrics_listen ? "--metrics-listen" : "--metrics-file");
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
    if (pub && cfg->rate > 0 && cfg->rate < 0.001)
        return errmsg_set(err, errlen, "--rate: too small");
    if (cfg->tls && tls_options_check(cfg, err, errlen) != 0) return -1;
    if (cfg->mode == MB_MODE_CONN && conn_validate(cfg, err, errlen) != 0) return -1;
    return cfg->sweep ? validate_sweep(cfg, err, errlen) : 0;
}

enum options_status options_parse(int argc, char **argv, struct mb_config *cfg,
                                  char *err, size_t errlen)
{
    if (argc < 2) {
        errmsg_set(err, errlen, "missing command: expected pub, sub, both, sweep or conn");
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
    } else if (!strcmp(cmd, "both") || !strcmp(cmd, "sweep")) {
        mode = MB_MODE_BOTH;
    } else if (!strcmp(cmd, "conn")) {
        mode = MB_MODE_CONN;
    } else {
        char shown[ERRMSG_SHOWN(64)];
        errmsg_sanitize(cmd, 64, shown, sizeof(shown));
        errmsg_set(err, errlen, "unknown command '%s': expected pub, sub, both, sweep or conn (see mqttbench --help)",
                   shown);
        return OPTIONS_ERROR;
    }
    /* Not given: the row's default; -1 for what derive_defaults decides. */
    if (optspec_defaults(cfg, mode, err, errlen) != 0) return OPTIONS_ERROR;
    cfg->sweep = !strcmp(cmd, "sweep");
    unsigned takes = cfg->sweep ? OPT_BOTH | OPT_SWEEP : 1u << mode;
    cfg->pub_qos = cfg->sub_qos = -1;
    cfg->backlog = UINT64_MAX;
    struct getopt_tables t;
    getopt_tables(&t, true);

    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    opterr = 0;
    optind = 0;                 /* 0: glibc re-initialises getopt, whatever ran before */
    int opt, idx;
    bool child_mode = false;
    for (int i = 1; i < sub_argc; i++)
        if (!strcmp(sub_argv[i], "--child")) child_mode = true;
    while ((opt = getopt_long(sub_argc, sub_argv, t.shorts, t.longs, &idx)) != -1) {
        char flagbuf[64];
        const char *flag = flag_name(opt, sub_argv[optind - 1], flagbuf, sizeof(flagbuf));
        const struct opt_spec *s = row_of(opt);
        if (opt == ':') {
            errmsg_set(err, errlen, "%s: needs a value", flag);
            return OPTIONS_ERROR;
        }
        if (opt == '?' || !s) {
            if (optopt)
                errmsg_set(err, errlen, "unknown option '-%c' (see mqttbench %s --help)",
                           optopt > 0x20 && optopt < 0x7f ? optopt : '?', cmd);
            else errmsg_set(err, errlen, "unknown option '%s' (see mqttbench %s --help)", flag, cmd);
            return OPTIONS_ERROR;
        }
        if (s->kind == OPT_HELP) {
            print_help(stdout, cmd, mode, takes);
            return OPTIONS_EXIT_OK;
        }
        if (s->kind == OPT_VERSION) {
            printf("mqttbench %s (git %s), libmosquitto %s\n", MB_VERSION, MB_GIT_REV, version_libmosquitto());
            return OPTIONS_EXIT_OK;
        }
        if (!(s->modes & takes)) {
            if (child_mode) continue;   /* both --processes passes every option on */
            errmsg_set(err, errlen, "%s: not an option of '%s' (see mqttbench %s --help)", flag, cmd, cmd);
            return OPTIONS_ERROR;
        }
        if (optspec_apply(s, cfg, optarg ? optarg : "", err, errlen) != 0)
            return OPTIONS_ERROR;
    }
    if (optind < sub_argc) {
        char shown[ERRMSG_SHOWN(64)];
        errmsg_sanitize(sub_argv[optind], 64, shown, sizeof(shown));
        errmsg_set(err, errlen, "unexpected argument '%s' (see mqttbench %s --help)", shown, cmd);
        return OPTIONS_ERROR;
    }
    if (derive_defaults(cfg, err, errlen) != 0) return OPTIONS_ERROR;
    return validate(cfg, err, errlen) != 0 ? OPTIONS_ERROR : OPTIONS_RUN;
}

int options_child_args(int argc, char **argv, char **out)
{
    int n = 0, opt, idx;
    /* no permuting: options_parse accepted argv, so it holds nothing else */
    struct getopt_tables t;
    getopt_tables(&t, false);
    opterr = 0;
    optind = 0;
    int start = 1;
    while ((opt = getopt_long(argc - 1, argv + 1, t.shorts, t.longs, &idx)) != -1) {
        const struct opt_spec *s = row_of(opt);
        /* every short option takes a value, so each option is whole arguments */
        if (!s || !(s->flags & (OPT_PARENT | OPT_SECRET)))   /* secrets go by environment */
            for (int i = start; i < optind; i++) out[n++] = argv[1 + i];
        start = optind;
    }
    return n;
}

void options_hide_secrets(int argc, char **argv, struct mb_config *cfg)
{
    static char *copies[8];   /* reachable for the life of the process */
    size_t ncopies = 0;
    OPT_FOR_EACH(s) {
        if (!(s->flags & OPT_SECRET)) continue;
        const char **f = optspec_field(s, cfg);
        for (int i = 1; *f && i < argc && ncopies < sizeof(copies) / sizeof(copies[0]); i++) {
            size_t len = strlen(argv[i]);
            if (*f < argv[i] || *f > argv[i] + len) continue;   /* not in this argument */
            char *copy = strdup(*f);
            if (!copy) return;
            memset(argv[i] + (*f - argv[i]), 'x', strlen(*f));
            *f = copies[ncopies++] = copy;
        }
    }
}

void options_secrets_to_env(const struct mb_config *cfg)
{
    if (cfg->password) setenv("MQTTBENCH_PASSWORD", cfg->password, 1);
    if (cfg->psk) setenv("MQTTBENCH_PSK", cfg->psk, 1);
}
