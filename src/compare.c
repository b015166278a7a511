/* compare: BASE vs NEW result, a side-by-side table and a CI verdict. */
#include "compare.h"
#include "sweep.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonfile.h"
#include "reader.h"
#include "result.h"

#define COMPARE_SCHEMA "mqttbench.compare.v1"
#define PCT_EPSILON 1e-9        /* a change exactly at the limit is not beyond it */

const char *compare_verdict_name(enum compare_verdict v)
{
    switch (v) {
    case COMPARE_BETTER: return "better";
    case COMPARE_WORSE: return "worse";
    case COMPARE_NOISE: return "within noise";
    case COMPARE_ALLOWED: return "allowed";
    case COMPARE_INFO: return "-";
    }
    return "-";
}

static void judge_limit(struct compare_row *r, const char *label, enum metrics_kind kind, bool base_repeats,
                        double limit)
{
    if (base_repeats && r->new_value >= r->base_min && r->new_value <= r->base_max) {
        r->verdict = COMPARE_NOISE;         /* inside what the base itself varied by */
        return;
    }
    if (!r->pct_valid) {
        r->verdict = COMPARE_INFO;          /* base 0: no run to measure a change against */
        return;
    }
    double bad = kind == METRICS_THROUGHPUT ? -r->delta_pct : r->delta_pct;   /* > 0: worse */
    if (bad > limit + PCT_EPSILON) {
        r->verdict = COMPARE_WORSE;
        snprintf(r->why, sizeof(r->why), "%s %s %.1f%% (limit %g%%)", label,
                 kind == METRICS_THROUGHPUT ? "dropped" : "rose", bad, limit);
    } else if (-bad > limit + PCT_EPSILON) {
        r->verdict = COMPARE_BETTER;
    } else {
        r->verdict = COMPARE_NOISE;
    }
}

void compare_evaluate(const struct metrics_spread *base, const struct metrics_spread *nw,
                      const struct compare_opts *o, struct compare_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    bool base_repeats = base->runs > 1;
    for (size_t i = 0; i < METRICS_NFIELDS; i++) {
        struct compare_row *r = &rep->rows[i];
        enum metrics_kind kind = metrics_fields[i].kind;
        r->verdict = COMPARE_INFO;
        r->present = metrics_has(&base->median, i) && metrics_has(&nw->median, i);
        if (!r->present)
            continue;
        /* Loss is a correctness figure: the worst run counts, not the median. */
        const struct metrics *b = kind == METRICS_LOSS ? &base->max : &base->median;
        const struct metrics *n = kind == METRICS_LOSS ? &nw->max : &nw->median;
        r->base = metrics_value(b, i);
        r->new_value = metrics_value(n, i);
        r->base_min = metrics_value(&base->min, i);
        r->base_max = metrics_value(&base->max, i);
        r->delta = r->new_value - r->base;
        if (r->base != 0) {
            r->delta_pct = r->delta / r->base * 100.0;
            r->pct_valid = isfinite(r->delta_pct);
        }
        switch (kind) {
        case METRICS_THROUGHPUT:
            judge_limit(r, metrics_fields[i].label, kind, base_repeats, o->max_throughput_drop_pct);
            break;
        case METRICS_LATENCY:
            judge_limit(r, metrics_fields[i].label, kind, base_repeats, o->max_latency_rise_pct);
            break;
        case METRICS_LOSS:
            if (r->new_value > 0 && r->new_value > r->base) {
                r->verdict = o->allow_loss ? COMPARE_ALLOWED : COMPARE_WORSE;
                snprintf(r->why, sizeof(r->why), "%s: %.0f messages in NEW%s (base %.0f); --allow-loss accepts it",
                         metrics_fields[i].label, r->new_value, nw->runs > 1 ? " in its worst run" : "",
                         r->base);
            } else {
                r->verdict = r->new_value < r->base ? COMPARE_BETTER : COMPARE_NOISE;
            }
            break;
        case METRICS_INFO:
            break;
        }
        if (r->verdict == COMPARE_WORSE)
            rep->regressions++;
    }
}

/* ---- the command ---- */

struct compare_cli {
    struct compare_opts opts;
    bool force, markdown;
    const char *json_out;
    const char *base_path, *new_path;
    const struct sweep_verdict *sweep;   /* two sweeps: what was compared */
};

static void usage(FILE *f)
{
    fputs("usage: mqttbench compare BASE.json NEW.json [options]\n"
          "\n"
          "Compare two result files of the same scenario and decide whether NEW regressed.\n"
          "\n"
          "  --max-throughput-drop PCT  publish/subscribe msgs/s may drop this much (default 10)\n"
          "  --max-latency-rise PCT     latency p50 and p99 may rise this much (default 20)\n"
          "  --allow-loss               lost or duplicate messages in NEW are not a regression\n"
          "  --force                    compare different scenarios (or a base that did not\n"
          "                             complete) instead of refusing\n"
          "  --json OUT                 also write the verdict as JSON to OUT (atomically)\n"
          "  --format text|markdown     table format on stdout (default text)\n"
          "  --help                     this text\n"
          "\n"
          "A base with --repeat runs gives each metric a spread: a NEW value inside the\n"
          "base's [min, max] is within noise. With repeats on both sides medians are compared.\n"
          "\n"
          "Exit status: 0 within the limits, 1 regression (one 'regression:' line per metric\n"
          "on stderr), 2 unusable input, different scenarios, or bad usage.\n", f);
}

static int parse_pct(const char *flag, const char *s, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end != s && *end == '%')
        end++;
    if (end == s || *end != '\0' || !isfinite(v) || v < 0 || v > max) {
        fprintf(stderr, "mqttbench compare: %s: '%s' is not a percentage in [0, %g]\n", flag, s, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Returns -1 to continue, or the exit code to return now. */
static int parse_args(int argc, char **argv, struct compare_cli *c)
{
    enum { O_DROP = 256, O_RISE, O_ALLOW_LOSS, O_FORCE, O_JSON, O_FORMAT, O_HELP };
    static const struct option opts[] = {
        { "max-throughput-drop", required_argument, NULL, O_DROP },
        { "max-latency-rise", required_argument, NULL, O_RISE },
        { "allow-loss", no_argument, NULL, O_ALLOW_LOSS },
        { "force", no_argument, NULL, O_FORCE },
        { "json", required_argument, NULL, O_JSON },
        { "format", required_argument, NULL, O_FORMAT },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 },
    };
    memset(c, 0, sizeof(*c));
    c->opts.max_throughput_drop_pct = 10;
    c->opts.max_latency_rise_pct = 20;
    opterr = 0;
    optind = 0;                 /* 0: glibc re-initialises getopt, whatever ran before */
    int opt;
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        const char *flag = argv[optind - 1];
        switch (opt) {
        case O_DROP:
            if (parse_pct("--max-throughput-drop", optarg, 100, &c->opts.max_throughput_drop_pct) != 0)
                return COMPARE_EXIT_UNUSABLE;
            break;
        case O_RISE:
            if (parse_pct("--max-latency-rise", optarg, 1e6, &c->opts.max_latency_rise_pct) != 0)
                return COMPARE_EXIT_UNUSABLE;
            break;
        case O_ALLOW_LOSS: c->opts.allow_loss = true; break;
        case O_FORCE: c->force = true; break;
        case O_JSON: c->json_out = optarg; break;
        case O_FORMAT:
            if (strcmp(optarg, "text") == 0) {
                c->markdown = false;
            } else if (strcmp(optarg, "markdown") == 0) {
                c->markdown = true;
            } else {
                fprintf(stderr, "mqttbench compare: --format: '%s', expected text or markdown\n", optarg);
                return COMPARE_EXIT_UNUSABLE;
            }
            break;
        case O_HELP:
            usage(stdout);
            return COMPARE_EXIT_OK;
        case ':':
            fprintf(stderr, "mqttbench compare: %s: needs a value\n", flag);
            return COMPARE_EXIT_UNUSABLE;
        default:
            fprintf(stderr, "mqttbench compare: unknown option '%s' (see mqttbench compare --help)\n", flag);
            return COMPARE_EXIT_UNUSABLE;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "mqttbench compare: expected BASE.json and NEW.json, got %d file%s "
                "(see mqttbench compare --help)\n", argc - optind, argc - optind == 1 ? "" : "s");
        return COMPARE_EXIT_UNUSABLE;
    }
    c->base_path = argv[optind];
    c->new_path = argv[optind + 1];
    return -1;
}

static void fmt_value(char *buf, size_t len, double v, int decimals, bool sign)
{
    snprintf(buf, len, sign ? "%+.*f" : "%.*f", decimals, v);
}

static void fmt_pct(char *buf, size_t len, const struct compare_row *r)
{
    if (r->pct_valid) snprintf(buf, len, "%+.1f%%", r->delta_pct);
    else snprintf(buf, len, "-");
}

void compare_scenario_line(const struct run_result *res, char *buf, size_t len)
{
    const struct mb_config *c = res->cfg;
    size_t used;
#define APPEND(...) do { if (used < len) used += (size_t)snprintf(buf + used, len - used, __VA_ARGS__); } while (0)
    if (c->mode == MB_MODE_CONN) {
        used = (size_t)snprintf(buf, len, "conn, %d clients, %.15g connects/s, lifetime %.15g s%s", c->conn_clients,
                                c->rate, (double)c->lifetime_ns / 1e9, c->conn_subscribe ? ", subscribing" : "");
        if (c->count > 0) APPEND(", %llu connects", (unsigned long long)c->count);
        if (c->duration_ns > 0) APPEND(", %.15g s", (double)c->duration_ns / 1e9);
        if (c->id_pool) APPEND(", id pool %ld", c->id_pool);
        return;
    }
    used = (size_t)snprintf(buf, len, "%s, QoS %d, %llu-byte payloads", result_mode_name(c->mode), c->qos,
                            (unsigned long long)c->size);
    if (c->count > 0) APPEND(", %llu messages", (unsigned long long)c->count);
    if (c->duration_ns > 0) APPEND(", %.15g s", (double)c->duration_ns / 1e9);
    if (c->publishers > 0) APPEND(", %d publisher%s", c->publishers, c->publishers == 1 ? "" : "s");
    if (c->subscribers > 0) APPEND(", %d subscriber%s", c->subscribers, c->subscribers == 1 ? "" : "s");
#undef APPEND
}

/* The printed cells of one table row ("-" where the metric is absent). */
struct row_cells {
    char base[48], new_value[48], delta[48], pct[24], range[112];
};

static void format_cells(const struct compare_row *r, size_t i, struct row_cells *cl)
{
    snprintf(cl->base, sizeof(cl->base), "-");
    snprintf(cl->new_value, sizeof(cl->new_value), "-");
    snprintf(cl->delta, sizeof(cl->delta), "-");
    snprintf(cl->pct, sizeof(cl->pct), "-");
    snprintf(cl->range, sizeof(cl->range), "-");
    if (!r->present) return;
    int dec = metrics_fields[i].decimals;
    fmt_value(cl->base, sizeof(cl->base), r->base, dec, false);
    fmt_value(cl->new_value, sizeof(cl->new_value), r->new_value, dec, false);
    fmt_value(cl->delta, sizeof(cl->delta), r->delta, dec, true);
    fmt_pct(cl->pct, sizeof(cl->pct), r);
    if (metrics_fields[i].kind != METRICS_LOSS) {
        char lo[48], hi[48];
        fmt_value(lo, sizeof(lo), r->base_min, dec, false);
        fmt_value(hi, sizeof(hi), r->base_max, dec, false);
        snprintf(cl->range, sizeof(cl->range), "%s..%s", lo, hi);
    }
}

/* Whether the tables show metric i: conn's metrics when a side is a conn
 * run, the message metrics when a side is not (the JSON has every row). */
static bool row_shown(const struct metrics_spread *base, const struct metrics_spread *nw, size_t i)
{
    bool conn = base->median.has_conn || nw->median.has_conn;
    switch (metrics_fields[i].side) {
    case METRICS_CONN: return conn;
    case METRICS_PUB:
    case METRICS_SUB: return !base->median.has_conn || !nw->median.has_conn;
    case METRICS_ANY: return true;
    }
    return true;
}

static void print_text(FILE *f, const struct compare_cli *c, const struct compare_report *rep,
                       const struct metrics_spread *base, const struct metrics_spread *nw, const char *scenario)
{
    bool range = base->runs > 1;
    fprintf(f, "mqttbench compare\n");
    fprintf(f, "  base      %s (%d run%s)\n", c->base_path, base->runs, base->runs == 1 ? "" : "s");
    fprintf(f, "  new       %s (%d run%s)\n", c->new_path, nw->runs, nw->runs == 1 ? "" : "s");
    fprintf(f, "  scenario  %s\n", scenario);
    fprintf(f, "  limits    throughput drop %g%%, latency p50/p99 rise %g%%, loss %s\n\n",
            c->opts.max_throughput_drop_pct, c->opts.max_latency_rise_pct,
            c->opts.allow_loss ? "allowed" : "not allowed");
    const char *fmt = range ? "%-20s %14s %14s %14s %9s  %-12s  %s\n" : "%-20s %14s %14s %14s %9s  %s\n";
    fprintf(f, fmt, "metric", "base", "new", "delta", "delta %", "verdict", "base range");
    for (size_t i = 0; i < METRICS_NFIELDS; i++) {
        const struct compare_row *r = &rep->rows[i];
        struct row_cells cl;
        if (!row_shown(base, nw, i)) continue;
        format_cells(r, i, &cl);
        fprintf(f, fmt, metrics_fields[i].row, cl.base, cl.new_value, cl.delta, cl.pct,
                compare_verdict_name(r->verdict), cl.range);
    }
    if (base->runs > 1 || nw->runs > 1)
        fprintf(f, "\n(medians of the runs; lost and duplicates: the worst run)\n");
    if (rep->regressions)
        fprintf(f, "\nverdict: REGRESSION (%d metric%s beyond the limits)\n", rep->regressions,
                rep->regressions == 1 ? "" : "s");
    else
        fprintf(f, "\nverdict: OK (within the limits)\n");
}

static void print_markdown(FILE *f, const struct compare_cli *c, const struct compare_report *rep,
                           const struct metrics_spread *base, const struct metrics_spread *nw, const char *scenario)
{
    bool range = base->runs > 1;
    fprintf(f, "### mqttbench compare: %s\n\n", rep->regressions ? "REGRESSION" : "OK");
    fprintf(f, "base `%s` (%d run%s), new `%s` (%d run%s)  \n", c->base_path, base->runs,
            base->runs == 1 ? "" : "s", c->new_path, nw->runs, nw->runs == 1 ? "" : "s");
    fprintf(f, "scenario: %s  \n", scenario);
    fprintf(f, "limits: throughput drop %g%%, latency p50/p99 rise %g%%, loss %s\n\n",
            c->opts.max_throughput_drop_pct, c->opts.max_latency_rise_pct,
            c->opts.allow_loss ? "allowed" : "not allowed");
    fprintf(f, "| metric | base | new | delta | delta %% | verdict |%s\n", range ? " base range |" : "");
    fprintf(f, "|---|---:|---:|---:|---:|---|%s\n", range ? "---:|" : "");
    for (size_t i = 0; i < METRICS_NFIELDS; i++) {
        const struct compare_row *r = &rep->rows[i];
        struct row_cells cl;
        if (!row_shown(base, nw, i)) continue;
        format_cells(r, i, &cl);
        const char *v = compare_verdict_name(r->verdict);
        fprintf(f, "| %s | %s | %s | %s | %s | %s%s%s |", metrics_fields[i].row, cl.base, cl.new_value, cl.delta,
                cl.pct, r->verdict == COMPARE_WORSE ? "**" : "", v, r->verdict == COMPARE_WORSE ? "**" : "");
        if (range)
            fprintf(f, " %s |", cl.range);
        fputc('\n', f);
    }
    if (base->runs > 1 || nw->runs > 1)
        fprintf(f, "\nMedians of the runs; lost and duplicates: the worst run.\n");
    if (rep->regressions) {
        fprintf(f, "\nRegressions:\n");
        for (size_t i = 0; i < METRICS_NFIELDS; i++)
            if (rep->rows[i].verdict == COMPARE_WORSE)
                fprintf(f, "- %s\n", rep->rows[i].why);
    }
}

/* The verdict document for --json. error/differences may be NULL. */
static cJSON *verdict_json(const struct compare_cli *c, const struct compare_report *rep,
                           const struct metrics_spread *base, const struct metrics_spread *nw,
                           const char *status_problem, const char *differences, const char *error, int code)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "schema", COMPARE_SCHEMA);
    cJSON_AddStringToObject(o, "verdict", code == COMPARE_EXIT_OK ? "pass"
                                          : code == COMPARE_EXIT_REGRESSION ? "regression" : "unusable");
    cJSON_AddNumberToObject(o, "exit_code", code);
    cJSON_AddStringToObject(o, "base", c->base_path);
    cJSON_AddStringToObject(o, "new", c->new_path);
    if (error)
        cJSON_AddStringToObject(o, "error", error);
    cJSON *t = cJSON_AddObjectToObject(o, "limits");
    cJSON_AddNumberToObject(t, "max_throughput_drop_pct", c->opts.max_throughput_drop_pct);
    cJSON_AddNumberToObject(t, "max_latency_rise_pct", c->opts.max_latency_rise_pct);
    cJSON_AddBoolToObject(t, "allow_loss", c->opts.allow_loss);
    cJSON_AddBoolToObject(o, "forced", c->force);
    if (differences) cJSON_AddStringToObject(o, "scenario_differences", differences);
    else cJSON_AddNullToObject(o, "scenario_differences");
    if (c->sweep && c->sweep->judged) {
        const struct sweep_verdict *sv = c->sweep;
        cJSON *w = cJSON_AddObjectToObject(o, "sweep");
        cJSON_AddNumberToObject(w, "base_knee", sv->base_knee);
        if (isinf(sv->base_fail)) cJSON_AddNullToObject(w, "base_first_failing");
        else cJSON_AddNumberToObject(w, "base_first_failing", sv->base_fail);
        cJSON_AddNumberToObject(w, "new_knee", sv->new_knee);
        if (isinf(sv->new_fail)) cJSON_AddNullToObject(w, "new_first_failing");
        else cJSON_AddNumberToObject(w, "new_first_failing", sv->new_fail);
        cJSON_AddNumberToObject(w, "knee_change_pct", sv->drop_pct ? -sv->drop_pct : 0.0);
        cJSON_AddBoolToObject(w, "new_tool_limited", sv->new_tool_limited);
        cJSON *regs = cJSON_AddArrayToObject(o, "regressions");
        if (status_problem) cJSON_AddItemToArray(regs, cJSON_CreateString(status_problem));
    }
    if (base && nw && rep) {
        cJSON_AddNumberToObject(o, "base_runs", base->runs);
        cJSON_AddNumberToObject(o, "new_runs", nw->runs);
        cJSON *rows = cJSON_AddArrayToObject(o, "rows");
        for (size_t i = 0; i < METRICS_NFIELDS; i++) {
            const struct compare_row *r = &rep->rows[i];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "metric", metrics_fields[i].key);
            cJSON_AddStringToObject(e, "label", metrics_fields[i].row);
            if (r->present) {
                cJSON_AddNumberToObject(e, "base", r->base);
                cJSON_AddNumberToObject(e, "new", r->new_value);
                cJSON_AddNumberToObject(e, "delta", r->delta);
                if (r->pct_valid) cJSON_AddNumberToObject(e, "delta_pct", r->delta_pct);
                else cJSON_AddNullToObject(e, "delta_pct");
                cJSON_AddNumberToObject(e, "base_min", r->base_min);
                cJSON_AddNumberToObject(e, "base_max", r->base_max);
            } else {
                static const char *const keys[] = { "base", "new", "delta", "delta_pct", "base_min", "base_max" };
                for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) cJSON_AddNullToObject(e, keys[k]);
            }
            cJSON_AddStringToObject(e, "verdict", compare_verdict_name(r->verdict));
            cJSON_AddBoolToObject(e, "regression", r->verdict == COMPARE_WORSE);
            cJSON_AddItemToArray(rows, e);
        }
        cJSON *regs = cJSON_AddArrayToObject(o, "regressions");
        if (status_problem)
            cJSON_AddItemToArray(regs, cJSON_CreateString(status_problem));
        for (size_t i = 0; i < METRICS_NFIELDS; i++)
            if (rep->rows[i].verdict == COMPARE_WORSE)
                cJSON_AddItemToArray(regs, cJSON_CreateString(rep->rows[i].why));
    }
    return o;
}

static int finish(const struct compare_cli *c, const struct compare_report *rep,
                  const struct metrics_spread *base, const struct metrics_spread *nw,
                  const char *status_problem, const char *differences, const char *error, int code)
{
    if (!c->json_out)
        return code;
    char err[512];
    cJSON *v = verdict_json(c, rep, base, nw, status_problem, differences, error, code);
    if (!v || jsonfile_write(v, c->json_out, err, sizeof(err)) != 0) {
        if (!v) snprintf(err, sizeof(err), "%s: out of memory", c->json_out);
        fprintf(stderr, "mqttbench compare: %s\n", err);
        code = COMPARE_EXIT_UNUSABLE;
    }
    cJSON_Delete(v);
    return code;
}

int compare_main(int argc, char **argv)
{
    struct compare_cli c;
    int code = parse_args(argc, argv, &c);
    if (code >= 0)
        return code;

    char err[700], status_problem[700] = "", differences[1024] = "";
    struct run_result *bres = calloc(2, sizeof(*bres)), *nres = bres + 1;
    struct metrics_spread base, nw;
    if (!bres) {
        fprintf(stderr, "mqttbench compare: out of memory\n");
        return finish(&c, NULL, NULL, NULL, NULL, NULL, "out of memory", COMPARE_EXIT_UNUSABLE);
    }
    if (result_load(c.base_path, bres, err, sizeof(err)) != 0 || result_load(c.new_path, nres, err, sizeof(err)) != 0) {
        fprintf(stderr, "mqttbench compare: %s\n", err);
        code = finish(&c, NULL, NULL, NULL, NULL, NULL, err, COMPARE_EXIT_UNUSABLE);
        goto out;
    }
    metrics_extract_spread(bres, &base);
    metrics_extract_spread(nres, &nw);

    if (bres->status != RESULT_OK && !c.force) {
        snprintf(err, sizeof(err), "%s: the base run has status \"%s\", not a baseline (--force compares anyway)",
                 c.base_path, result_status_name(bres->status));
        fprintf(stderr, "mqttbench compare: %s\n", err);
        code = finish(&c, NULL, NULL, NULL, NULL, NULL, err, COMPARE_EXIT_UNUSABLE);
        goto out;
    }
    struct mb_config same_rate;   /* two sweeps: their knee steps differ in rate by design */
    const struct mb_config *new_cfg = nres->cfg;
    if (bres->sweep && nres->sweep) {
        same_rate = *nres->cfg;
        same_rate.rate = bres->cfg->rate;
        nres->cfg = &same_rate;
    }
    int ndiff = metrics_scenario_diff(bres, nres, differences, sizeof(differences));
    nres->cfg = new_cfg;
    if (ndiff < 0) {
        fprintf(stderr, "mqttbench compare: out of memory\n");
        code = finish(&c, NULL, NULL, NULL, NULL, NULL, "out of memory", COMPARE_EXIT_UNUSABLE);
        goto out;
    }
    if (ndiff > 0 && !c.force) {
        snprintf(err, sizeof(err), "%s and %s ran different scenarios: %s (--force compares anyway)",
                 c.base_path, c.new_path, differences);
        fprintf(stderr, "mqttbench compare: %s\n", err);
        code = finish(&c, NULL, NULL, NULL, NULL, differences, err, COMPARE_EXIT_UNUSABLE);
        goto out;
    }
    if (ndiff > 0)
        fprintf(stderr, "mqttbench compare: warning: different scenarios, compared because of --force: %s\n",
                differences);

    if (bres->sweep || nres->sweep) {   /* two sweeps: the knee is what is compared (sweep.h) */
        struct sweep_verdict sv = { 0 };
        if (!bres->sweep || !nres->sweep) {
            snprintf(err, sizeof(err), "%s is a sweep and %s is not", bres->sweep ? c.base_path : c.new_path,
                     bres->sweep ? c.new_path : c.base_path);
            code = COMPARE_EXIT_UNUSABLE;
        } else {
            code = sweep_compare(bres, nres, c.opts.max_throughput_drop_pct, c.markdown, stdout, &sv, err,
                                 sizeof(err));
        }
        fflush(stdout);
        if (code) fprintf(stderr, "%s%s\n", code == 1 ? "regression: " : "mqttbench compare: ", err);
        c.sweep = &sv;
        code = finish(&c, NULL, NULL, NULL, code == COMPARE_EXIT_REGRESSION ? err : NULL, ndiff ? differences : NULL,
                      code == COMPARE_EXIT_UNUSABLE ? err : NULL, code);
        goto out;
    }

    struct compare_report rep;
    compare_evaluate(&base, &nw, &c.opts, &rep);
    if (nres->status != RESULT_OK) {
        char why[400];
        reader_sanitize(nres->error, 300, why, sizeof(why));
        snprintf(status_problem, sizeof(status_problem), "the new run has status \"%s\"%s%s",
                 result_status_name(nres->status), why[0] ? ": " : "", why);
    }
    char scenario[400];
    compare_scenario_line(bres, scenario, sizeof(scenario));
    if (c.markdown) print_markdown(stdout, &c, &rep, &base, &nw, scenario);
    else print_text(stdout, &c, &rep, &base, &nw, scenario);
    fflush(stdout);
    if (status_problem[0])
        fprintf(stderr, "regression: %s\n", status_problem);
    for (size_t i = 0; i < METRICS_NFIELDS; i++)
        if (rep.rows[i].verdict == COMPARE_WORSE)
            fprintf(stderr, "regression: %s\n", rep.rows[i].why);
    code = rep.regressions || status_problem[0] ? COMPARE_EXIT_REGRESSION : COMPARE_EXIT_OK;
    code = finish(&c, &rep, &base, &nw, status_problem[0] ? status_problem : NULL,
                  ndiff ? differences : NULL, NULL, code);
out:
    result_free(bres);
    result_free(nres);
    free(bres);
    return code;
}
