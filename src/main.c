/* mqttbench: subcommand dispatch, broker selection, results, exit status.
 * Only main decides the exit code:
 *   0   the run completed (status "ok")
 *   1   the run failed: no broker, connection lost, results or the summary
 *       not writable
 *   2   bad usage or an unusable result path: nothing connected, nothing written
 *   130 interrupted by SIGINT, SIGTERM or SIGHUP: results written with status
 *       "aborted" */
#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "compare.h"
#include "html.h"
#include "merge.h"
#include "metricsrv.h"
#include "iobuf.h"
#include "jsonfile.h"
#include "metrics.h"
#include "preflight.h"
#include "processes.h"
#include "options.h"
#include "report.h"
#include "result.h"
#include "run.h"
#include "sweep.h"
#include "sysinfo.h"
#include "tls.h"
#include "topology.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    if (interrupted) {          /* a second signal: leave now */
        signal(sig, SIG_DFL);
        raise(sig);
    }
    interrupted = 1;
}

/* SIGINT, SIGTERM and SIGHUP (a closed terminal or a dropped ssh session)
 * end the run with an "aborted" result. SIGQUIT keeps its default, a core
 * dump: it is the way to ask for one. No SA_RESTART: a blocking call (the
 * open of a FIFO without a reader) returns EINTR instead of holding the
 * process. */
static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* True when standard output is a pipe or socket nobody reads any more. */
static bool stdout_reader_gone(void)
{
    struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* The exit code once standard output is flushed: code, or failed_code when
 * something printed there was lost (a full disk, /dev/full, EIO after a
 * hangup), said in one line on stderr. A reader that stopped reading
 * (`| head`, EPIPE) is not an error: it chose to stop. A result written with
 * --json - is checked where it is written. */
static int finish_stdout(int code, int failed_code)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) return code;
    int e = errno;
    if (e == EPIPE || stdout_reader_gone()) return code;
    fprintf(stderr, "mqttbench: cannot write to standard output: %s\n", e ? strerror(e) : "write error");
    return code ? code : failed_code;
}

/* Decide where to connect; start a private broker when asked or when `both`
 * finds nothing on 127.0.0.1:1883. Returns 0, or -1 with err filled. */
static int choose_target(const struct mb_config *cfg, struct broker *broker, char *ip, size_t iplen,
                         int *port, struct result_env *env, char *err, size_t errlen)
{
    bool spawn = cfg->spawn_broker;
    if (!spawn && cfg->mode == MB_MODE_BOTH && !cfg->host && !cfg->port && !cfg->tls &&
        !broker_accepts("127.0.0.1", 1883, 300))
        spawn = true;
    if (spawn) {
        long nfiles = 4L * (cfg->publishers + cfg->subscribers + cfg->conn_clients) + 1024;
        if (broker_spawn(broker, cfg->broker_max_queued, nfiles, err, errlen) != 0) return -1;
        snprintf(ip, iplen, "127.0.0.1");
        *port = broker->port;
        env->broker_spawned = true;
        fprintf(stderr, "mqttbench: %s; started mosquitto %s on 127.0.0.1:%d (config in %s)\n",
                cfg->spawn_broker ? "--spawn-broker" : "no broker on 127.0.0.1:1883",
                broker_local_version(), broker->port, broker->dir);
    } else {
        const char *host = cfg->host ? cfg->host : "127.0.0.1";
        *port = cfg->port ? cfg->port : cfg->tls ? TLS_DEFAULT_PORT : 1883;
        if (broker_resolve(host, ip, iplen, err, errlen) != 0) return -1;
    }
    snprintf(env->broker_address, sizeof(env->broker_address), "%s:%d",
             cfg->host ? cfg->host : ip, *port);
    return 0;
}

static int exit_code(enum result_status s)
{
    return s == RESULT_OK ? EXIT_OK : s == RESULT_ABORTED ? EXIT_INTERRUPTED : EXIT_FAILED;
}

/* Subscribe rate for both/sub, publish rate for pub: how runs are ranked. */
static double primary_rate(const struct run_result *r)
{
    double s = r->cfg->mode == MB_MODE_PUB ? r->pub_duration_s : r->sub_duration_s;
    uint64_t n = r->cfg->mode == MB_MODE_PUB ? r->total.pub_done : r->total.sub_unique;
    return s > 0 ? (double)n / s : 0;
}

/* Where the result went, for the summary: the path, "standard output" for
 * "-", the parent for a child of both --processes (its path is a pipe), or
 * NULL when it was not written. */
static const char *result_place(const struct mb_config *cfg, const char *json_path, bool written)
{
    if (!written) return NULL;
    if (cfg->child) return "sent to the both --processes parent, which merges it";
    return strcmp(json_path, "-") ? json_path : "standard output";
}

/* --report, --csv and --hgrm of r, named after its result file. Returns
 * code, or EXIT_FAILED when one could not be written and code was EXIT_OK. */
static int write_outputs(const struct mb_config *cfg, const struct run_result *r, const char *json_path, int code)
{
    if (!cfg->report_path && !cfg->csv_path && !cfg->hgrm_path) return code;
    const char *slash = strrchr(json_path, '/');
    struct html_run run = { !strcmp(json_path, "-") ? "this run" : slash ? slash + 1 : json_path, r };
    if (html_write_outputs(&run, 1, cfg->report_path, cfg->csv_path, cfg->hgrm_path, "mqttbench: ") && code == EXIT_OK)
        return EXIT_FAILED;
    return code;
}

/* Stop serving metrics after their last write; code, or EXIT_FAILED when the
 * --metrics-file could not be written and code was EXIT_OK. */
static int stop_metrics(struct metricsrv *m, int code)
{
    char err[512];
    if (metricsrv_stop(m, err, sizeof(err)) == 0) return code;
    fprintf(stderr, "mqttbench: %s\n", err);
    return code == EXIT_OK ? EXIT_FAILED : code;
}

/* --repeat N: N runs with fresh connections (run ids id..id+N-1) against one
 * broker; the file holds the median run's result at the top level, "repeat"
 * (median, min, max of each metric) and "runs" (every run). The summary goes
 * to out. Returns the exit code. */
static int repeat_runs(struct mb_config *cfg, const struct run_target *target, struct run_result *first,
                       const char *json_path, FILE *out)
{
    long n = cfg->repeat;
    struct run_result *runs = calloc((size_t)n, sizeof(*runs));
    struct mb_config *cfgs = calloc((size_t)n, sizeof(*cfgs));
    struct metrics *m = calloc((size_t)n, sizeof(*m));
    char err[512];
    if (!runs || !cfgs || !m) {
        fprintf(stderr, "mqttbench: out of memory\n");
        return EXIT_FAILED;
    }
    long done = 0;
    enum result_status worst = RESULT_OK;
    for (long k = 0; k < n; k++) {
        cfgs[k] = *cfg;
        cfgs[k].run_id = cfg->run_id + (uint64_t)k;
        runs[k].env = first->env;
        result_init(&runs[k], &cfgs[k]);
        run_execute(&cfgs[k], target, &runs[k], &interrupted);
        done++;
        metrics_extract(&runs[k], &m[k]);
        fprintf(stderr, "mqttbench: run %ld/%ld %s, %.0f msgs/s, p99 %.1f us, lost %llu\n", k + 1, n,
                result_status_name(runs[k].status), primary_rate(&runs[k]),
                (double)hist_percentile(&runs[k].total.lat, 99) / 1e3, (unsigned long long)runs[k].lost);
        if (runs[k].status != RESULT_OK) {
            worst = runs[k].status;
            fprintf(stderr, "mqttbench: %s\n", runs[k].error);
            break;
        }
    }
    /* The median run (by rate) stands for the scenario at the top level. */
    long med = 0;
    if (worst == RESULT_OK) {
        long *order = calloc((size_t)done, sizeof(*order));
        for (long i = 0; order && i < done; i++) order[i] = i;
        for (long i = 1; order && i < done; i++)
            for (long j = i; j > 0 && primary_rate(&runs[order[j]]) < primary_rate(&runs[order[j - 1]]); j--) {
                long t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        if (order) med = order[(done - 1) / 2];
        free(order);
    } else {
        med = done - 1;   /* the run that failed */
    }
    int code = exit_code(worst);
    struct metrics_spread spread;   /* the file: the median run, the summary, every run */
    struct run_result top = runs[med];
    top.repeat = worst == RESULT_OK && metrics_repeat(m, (size_t)done, &spread) == 0 ? &spread : NULL;
    top.runs = runs;
    top.nruns = (size_t)done;
    bool written = result_write(&top, json_path, err, sizeof(err)) == 0;
    if (!written) {
        fprintf(stderr, "mqttbench: %s\n", err);
        if (!code) code = EXIT_FAILED;
    }
    code = write_outputs(cfg, &top, json_path, code);
    report_summary(out, &runs[med], result_place(cfg, json_path, written));
    if (done > 1 && top.repeat) {
        fprintf(out, "\n  repeat       %ld runs; the summary above is the median run (by rate)\n", done);
        fprintf(out, "  %-22s %14s %14s %14s\n", "", "median", "min", "max");
        for (size_t f = 0; f < METRICS_NFIELDS; f++)
            if (metrics_has(&spread.median, f))
                fprintf(out, "  %-22s %14.1f %14.1f %14.1f\n", metrics_fields[f].row,
                        metrics_value(&spread.median, f), metrics_value(&spread.min, f), metrics_value(&spread.max, f));
    }
    for (long k = 0; k < n; k++) result_free(&runs[k]);
    free(runs);
    free(cfgs);
    free(m);
    return code;
}

/* One sweep step: a full run on fresh connections; mqttbench set the pace
 * when report_bottleneck says so. */
struct sweep_ctx {
    const struct run_target *target;
    struct result_env env;
};

static int sweep_step(void *ctx, const struct mb_config *cfg, struct run_result *r, bool *tool_limited)
{
    struct sweep_ctx *c = ctx;
    r->env = c->env;
    run_execute(cfg, c->target, r, &interrupted);
    enum report_bottleneck b = report_bottleneck(r);
    *tool_limited = b == REPORT_GENERATOR || b == REPORT_SELF_STALL;
    return interrupted ? -1 : 0;
}

/* sweep: the steps (sweep.h); the file holds the knee step's result at the
 * top level (the highest passing one, else the first), "sweep" and every
 * step in "runs". Exit 0 when the search ran to its end (whatever the knee),
 * 1 when the first step's run itself failed, 130 when interrupted. */
static int sweep_runs(struct mb_config *cfg, const struct run_target *target, struct run_result *first,
                      const char *json_path, FILE *out)
{
    char err[512];
    struct sweep *s = calloc(1, sizeof(*s));
    struct run_result *runs = calloc(SWEEP_MAX_STEPS, sizeof(*runs));
    struct mb_config *cfgs = calloc(SWEEP_MAX_STEPS, sizeof(*cfgs));
    struct sweep_step *steps = calloc(SWEEP_MAX_STEPS, sizeof(*steps));
    if (!s || !runs || !cfgs || !steps) {
        fprintf(stderr, "mqttbench: out of memory\n");
        return EXIT_FAILED;
    }
    /* options_parse checked both: they parse */
    sweep_parse_objective(cfg->slo, &s->obj, err, sizeof(err));
    int n = cfg->rates ? sweep_parse_rates(cfg->rates, s->rates, SWEEP_MAX_RATES, err, sizeof(err))
                       : sweep_geometric(cfg->sweep_from, cfg->sweep_to, cfg->sweep_steps, s->rates, SWEEP_MAX_RATES,
                                         err, sizeof(err));
    s->nrates = n > 0 ? (size_t)n : 0;
    s->find_max = cfg->find_max;
    s->resolution = cfg->resolution;
    s->step_s = (double)cfg->step_duration_ns / 1e9;
    s->warmup_s = (double)cfg->warmup_ns / 1e9;
    struct sweep_ctx ctx = { target, first->env };
    size_t done = sweep_execute(s, cfg, cfgs, runs, steps, sweep_step, &ctx, stderr);
    struct sweep_knee k;
    sweep_knee(steps, done, &k);
    size_t top_i = k.pass >= 0 ? (size_t)k.pass : 0;
    int code = interrupted ? EXIT_INTERRUPTED : done && runs[0].status == RESULT_FAILED ? EXIT_FAILED : EXIT_OK;
    if (code == EXIT_FAILED) fprintf(stderr, "mqttbench: %s\n", runs[0].error);
    struct run_result top = runs[top_i];
    top.runs = runs;
    top.nruns = done;
    top.sweep = s;
    if (interrupted) top.status = RESULT_ABORTED, snprintf(top.error, sizeof(top.error), "interrupted");
    bool written = done && result_write(&top, json_path, err, sizeof(err)) == 0;
    if (!written) {
        fprintf(stderr, "mqttbench: %s\n", done ? err : "no step ran");
        if (!code) code = EXIT_FAILED;
    }
    if (done) {
        code = write_outputs(cfg, &top, json_path, code);
        report_summary(out, &runs[top_i], result_place(cfg, json_path, written));
        sweep_print(out, s, runs, done);
    }
    for (size_t i = 0; i < done; i++) result_free(&runs[i]);
    free(runs);
    free(cfgs);
    free(steps);
    free(s);
    return code;
}

/* pub, sub and both. Returns the exit code. */
static int bench_main(int argc, char **argv)
{
    char err[512] = "";
    struct mb_config cfg;
    switch (options_parse(argc, argv, &cfg, err, sizeof(err))) {
    case OPTIONS_EXIT_OK:
        return EXIT_OK;
    case OPTIONS_ERROR:
        fprintf(stderr, "mqttbench: %s\n", err);
        return EXIT_USAGE;
    case OPTIONS_RUN:
        break;
    }
    options_hide_secrets(argc, argv, &cfg);
    if (topology_check(&cfg, err, sizeof(err)) != 0) {   /* a filter that hears no publisher */
        fprintf(stderr, "mqttbench: %s\n", err);
        return EXIT_USAGE;
    }

    char json_path[4096];
    if (cfg.json_path) snprintf(json_path, sizeof(json_path), "%s", cfg.json_path);
    else result_default_path(&cfg, json_path, sizeof(json_path));
    /* A path the result cannot go to is found now, not after the run. */
    if (jsonfile_check(json_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "mqttbench: %s\n", err);
        return EXIT_USAGE;
    }
    if (html_check_outputs(cfg.report_path, cfg.csv_path, cfg.hgrm_path, err, sizeof(err)) != 0 ||
        (cfg.metrics_file && jsonfile_check(cfg.metrics_file, err, sizeof(err)) != 0)) {
        fprintf(stderr, "mqttbench: %s\n", err);
        return EXIT_USAGE;
    }
    /* TLS: every file read and checked now, before anything connects. */
    struct tls *tls = NULL;
    if (cfg.tls && !(tls = tls_new(&cfg, cfg.host ? cfg.host : "127.0.0.1", err, sizeof(err)))) {
        fprintf(stderr, "mqttbench: %s\n", err);
        return EXIT_USAGE;
    }
    /* With the result on standard output, the summary goes to stderr. */
    FILE *out = strcmp(json_path, "-") ? stdout : stderr;
    /* Preflight: every fd the hard limit allows; iobuf tracks fds below it.
     * Before any thread starts: the interposed calls of every thread read
     * the table iobuf_init makes. */
    long nofile = preflight_raise_nofile();
    if (iobuf_init((size_t)(nofile > (1L << 22) ? (1L << 22) : nofile)) != 0) {
        fprintf(stderr, "mqttbench: out of memory\n");
        tls_free(tls);
        return EXIT_FAILED;
    }
    /* Live metrics: the address is taken now, before anything connects. */
    struct metricsrv *metrics = NULL;
    if ((cfg.metrics_listen || cfg.metrics_file) &&
        metricsrv_start(&metrics, cfg.metrics_listen, cfg.metrics_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "mqttbench: %s\n", err);
        tls_free(tls);
        return EXIT_USAGE;
    }
    mosquitto_lib_init();
    install_signals();

    struct run_result res;
    memset(&res, 0, sizeof(res));
    result_init(&res, &cfg);
    sysinfo_fill(&res.env);
    if (tls) tls_facts(tls, &res.env.tls);

    struct broker broker;
    memset(&broker, 0, sizeof(broker));
    char ip[128];
    int port = 0;
    if (preflight_check(&cfg, nofile, err, sizeof(err)) != 0 ||
        choose_target(&cfg, &broker, ip, sizeof(ip), &port, &res.env, err, sizeof(err)) != 0) {
        res.status = RESULT_FAILED;
        snprintf(res.error, sizeof(res.error), "%s", err);
        sysinfo_resources(&res.cpu_user_s, &res.cpu_sys_s, &res.peak_rss_kb);
    } else if (cfg.processes) {
        /* Two processes write two results; the merged one is the result. */
        bool written;
        int code = processes_run(&cfg, argc, argv, ip, port, json_path, &interrupted, &written, err, sizeof(err));
        broker_stop(&broker);
        if (err[0]) fprintf(stderr, "mqttbench: %s\n", err);
        if (written)
            fprintf(out, "\ncombined result (publishers and subscribers as two processes): %s\n",
                    result_place(&cfg, json_path, true));
        mosquitto_lib_cleanup();
        tls_free(tls);
        return code;
    } else if (cfg.sweep) {
        cfg.port = port;
        struct run_target target = { .ip = ip, .port = port, .tls = tls, .metrics = metrics };
        int code = sweep_runs(&cfg, &target, &res, json_path, out);
        broker_stop(&broker);
        mosquitto_lib_cleanup();
        tls_free(tls);
        return stop_metrics(metrics, code);
    } else if (cfg.repeat > 1) {
        cfg.port = port;
        struct run_target target = { .ip = ip, .port = port, .tls = tls, .metrics = metrics };
        int code = repeat_runs(&cfg, &target, &res, json_path, out);
        broker_stop(&broker);
        mosquitto_lib_cleanup();
        tls_free(tls);
        return stop_metrics(metrics, code);
    } else {
        cfg.port = port;   /* the results record the port in effect */
        struct run_target target = { .ip = ip, .port = port, .tls = tls, .metrics = metrics };
        run_execute(&cfg, &target, &res, &interrupted);
    }
    broker_stop(&broker);

    int code = exit_code(res.status);
    if (res.status != RESULT_OK) fprintf(stderr, "mqttbench: %s\n", res.error);
    bool written = result_write(&res, json_path, err, sizeof(err)) == 0;
    if (!written) {
        fprintf(stderr, "mqttbench: %s\n", err);
        if (code == EXIT_OK) code = EXIT_FAILED;
    }
    code = write_outputs(&cfg, &res, json_path, code);
    report_summary(out, &res, result_place(&cfg, json_path, written));
    result_free(&res);
    mosquitto_lib_cleanup();
    tls_free(tls);
    return stop_metrics(metrics, code);
}

int main(int argc, char **argv)
{
    /* Commands that read results instead of running a benchmark. compare
     * says 2 for an output it could not write, merge 1. */
    if (argc >= 2 && !strcmp(argv[1], "compare")) return finish_stdout(compare_main(argc - 1, argv + 1), EXIT_USAGE);
    if (argc >= 2 && !strcmp(argv[1], "merge")) return finish_stdout(merge_main(argc - 1, argv + 1), EXIT_FAILED);
    if (argc >= 2 && !strcmp(argv[1], "report")) return finish_stdout(html_report_main(argc - 1, argv + 1), EXIT_FAILED);
    return finish_stdout(bench_main(argc, argv), EXIT_FAILED);
}
