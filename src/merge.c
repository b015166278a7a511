/* merge: several results of one concurrent run into one result, on typed
 * data: the checks on the inputs, the merge by the workers' rules, and the
 * command. */
#include "merge.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "metrics.h"
#include "reader.h"
#include "result.h"
#include "series.h"

static bool has_pub(const struct run_result *r) { return mb_mode_publishes(r->cfg->mode); }
static bool has_sub(const struct run_result *r) { return mb_mode_subscribes(r->cfg->mode); }

/* Same scenario, or pub + sub of one run id. Sets *split for the latter. */
static int check_scenarios(const struct run_result *in, const char *const *names, size_t n, bool *split,
                           char *err, size_t errlen)
{
    static const char *const split_keys[] = { "qos", "protocol", "topic", "run_id" };
    char diff[700];
    size_t first_pub = n, first_sub = n;
    bool any_both = false;
    for (size_t i = 0; i < n; i++) {
        if (in[i].repeat || in[i].runs)
            return errmsg_set(err, errlen, "%s: a --repeat result; merge takes the results of one run's processes",
                              names[i]);
        if (in[i].cfg->mode == MB_MODE_CONN)
            return errmsg_set(err, errlen, "%s: a conn result; merge takes pub, sub and both results (compare conn "
                              "results instead)", names[i]);
        if (has_pub(&in[i]) && has_sub(&in[i])) any_both = true;
        else if (has_pub(&in[i]) && first_pub == n) first_pub = i;
        else if (has_sub(&in[i]) && first_sub == n) first_sub = i;
    }
    *split = first_pub < n && first_sub < n;
    if (*split && any_both)
        return errmsg_set(err, errlen, "cannot merge `both` results with `pub`/`sub` results");
    for (size_t i = 1; i < n; i++) {
        size_t ref = *split ? (has_pub(&in[i]) ? first_pub : first_sub) : 0;
        int nd = i == ref ? 0 : metrics_scenario_diff(&in[ref], &in[i], diff, sizeof(diff));
        if (nd < 0) return -2;
        if (nd > 0)
            return errmsg_set(err, errlen, "%s and %s ran different scenarios: %s", names[ref], names[i], diff);
    }
    for (size_t i = 0; *split && i < n; i++) {
        if (!has_sub(&in[i]))
            continue;
        int nd = metrics_scenario_diff_keys(&in[first_pub], &in[i], split_keys,
                                            sizeof(split_keys) / sizeof(split_keys[0]), diff, sizeof(diff));
        if (nd < 0) return -2;
        if (nd > 0)
            return errmsg_set(err, errlen, "%s (pub) and %s (sub) are not parts of one run: %s", names[first_pub],
                              names[i], diff);
    }
    return 0;
}

/* out->sources: every input's sources (a merged input's carry over), or the
 * input itself; (*owner)[k] is the input of source k. Returns 0 or -2. */
static int collect_sources(const struct run_result *in, const char *const *names, size_t n,
                           struct run_result *out, size_t **owner)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += in[i].nsources ? in[i].nsources : 1;
    *owner = calloc(total, sizeof(**owner));
    out->sources = result_alloc(out, total * sizeof(*out->sources));
    if (!*owner || !out->sources)
        return -2;
    for (size_t i = 0; i < n; i++) {
        const struct run_result *r = &in[i];
        struct result_source self = { .path = names[i], .pid = r->env.pid, .mode = r->cfg->mode,
                                      .status = r->status, .run_id = r->cfg->run_id };
        snprintf(self.hostname, sizeof(self.hostname), "%s", r->env.hostname);
        snprintf(self.start_time, sizeof(self.start_time), "%s", r->env.start_time);
        const struct result_source *from = r->nsources ? r->sources : &self;
        for (size_t k = 0; k < (r->nsources ? r->nsources : 1); k++) {
            struct result_source *s = &out->sources[out->nsources];
            *s = from[k];
            if (!(s->path = result_strdup(out, from[k].path)))
                return -2;
            (*owner)[out->nsources++] = i;
        }
    }
    return 0;
}

/* Refuse two sources that are one process: a copy of a result would count
 * it twice. A process is its run id, host, pid, start time and mode (an
 * older file without a pid is told apart by the rest). */
static int check_processes(const struct run_result *out, const size_t *owner, const char *const *names,
                           char *err, size_t errlen)
{
    for (size_t a = 0; a < out->nsources; a++) {
        for (size_t b = a + 1; b < out->nsources; b++) {
            const struct result_source *x = &out->sources[a], *y = &out->sources[b];
            if (x->run_id != y->run_id || x->pid != y->pid || x->mode != y->mode ||
                strcmp(x->hostname, y->hostname) != 0 || strcmp(x->start_time, y->start_time) != 0)
                continue;
            char host[80];
            reader_sanitize(x->hostname, 48, host, sizeof(host));
            return errmsg_set(err, errlen, "%s and %s hold the result of one process (run id %016" PRIx64 ", %s on %s, "
                              "pid %ld, started %s): its messages would count twice", names[owner[a]],
                              names[owner[b]], x->run_id, result_mode_name(x->mode), host, x->pid, x->start_time);
        }
    }
    return 0;
}

/* A warning in out when the inputs did not all run at the same time: each
 * ran from its start time (to the second) for its connect, warm-up and
 * measured phases, plus its wait at a start barrier at most. */
static void check_overlap(const struct run_result *in, const char *const *names, size_t n, struct run_result *out)
{
    size_t late = 0, early = 0;
    double late_start = -1, early_end = -1;
    for (size_t i = 0; i < n; i++) {
        const struct mb_config *c = in[i].cfg;
        double start = result_start_s(&in[i]);
        double end = start + 1 + in[i].connect_s + (double)c->warmup_ns / 1e9 + in[i].measure_s +
                     (c->wait_subscribers ? (double)c->wait_timeout_ns / 1e9 : 0);
        if (start > late_start) late_start = start, late = i;
        if (early_end < 0 || end < early_end) early_end = end, early = i;
    }
    if (late_start <= early_end + 1)
        return;
    char text[256];
    snprintf(text, sizeof(text), "%s started at %s, %.0f s after %s (started at %s) had ended: not one run",
             names[late], in[late].env.start_time, late_start - early_end, names[early], in[early].env.start_time);
    result_add_warning(out, text);
}

/* Inputs of one role (pub, sub or both) that ran as shards (config.shards
 * > 1) must be shards of one split: the same N, each index once (two
 * processes with one index ran the same publishers). A shard that is not
 * among the inputs is a warning in out. *index and *count: the shard the
 * merged result is, when every input is the same one (the pub and sub of
 * `both --shard`), else 0 of 1 (the whole run). */
static int check_shards(const struct run_result *in, const char *const *names, size_t n, struct run_result *out,
                        long *index, long *count, char *err, size_t errlen)
{
    bool one_shard = true;
    for (size_t i = 1; i < n; i++)
        if (in[i].cfg->shard_index != in[0].cfg->shard_index || in[i].cfg->shard_count != in[0].cfg->shard_count)
            one_shard = false;
    *index = one_shard ? in[0].cfg->shard_index : 0;
    *count = one_shard ? in[0].cfg->shard_count : 1;
    for (enum mb_mode role = MB_MODE_PUB; role <= MB_MODE_BOTH; role++) {
        size_t ref = n;
        for (size_t i = 0; i < n; i++) {
            const struct mb_config *c = in[i].cfg;
            if (c->mode != role)
                continue;
            if (ref == n) {
                ref = i;
                continue;
            }
            const struct mb_config *r = in[ref].cfg;
            if ((c->shard_count > 1 || r->shard_count > 1) && c->shard_count != r->shard_count)
                return errmsg_set(err, errlen, "%s ran as %s shard %ld of %ld, %s as shard %ld of %ld: not one split",
                                  names[ref], result_mode_name(role), r->shard_index, r->shard_count, names[i],
                                  c->shard_index, c->shard_count);
            for (size_t k = ref; c->shard_count > 1 && k < i; k++)
                if (in[k].cfg->mode == role && in[k].cfg->shard_index == c->shard_index)
                    return errmsg_set(err, errlen, "%s and %s are both %s shard %ld of %ld: they ran the same "
                                      "share, which would count twice", names[k], names[i], result_mode_name(role),
                                      c->shard_index, c->shard_count);
        }
        long N = ref < n ? in[ref].cfg->shard_count : 1;
        if (N <= 1 || one_shard)
            continue;
        char missing[160] = "";
        size_t used = 0, nmissing = 0;
        for (long k = 0; k < N; k++) {
            bool found = false;
            for (size_t i = 0; i < n && !found; i++)
                found = in[i].cfg->mode == role && in[i].cfg->shard_index == k;
            if (found)
                continue;
            if (nmissing++ < 10 && used + 16 < sizeof(missing))
                used += (size_t)snprintf(missing + used, sizeof(missing) - used, "%s%ld", nmissing > 1 ? ", " : "", k);
            else if (nmissing == 11)
                snprintf(missing + used, sizeof(missing) - used, ", ...");
        }
        if (nmissing) {
            char text[320];
            snprintf(text, sizeof(text), "%zu of the %ld %s shards %s missing (%s): the %s are those of the other "
                     "shards", nmissing, N, result_mode_name(role), nmissing == 1 ? "is" : "are", missing,
                     role == MB_MODE_PUB ? "publish counts" : role == MB_MODE_SUB ? "subscribe counts and latencies"
                                                                                  : "counts and latencies");
            result_add_warning(out, text);
        }
    }
    return 0;
}

/* The timeseries of every input on the wall clock: t = 0 of each is its
 * start time + its connect phase. */
static int merge_series(const struct run_result *in, size_t n, struct run_result *out)
{
    struct series *s = calloc(n, sizeof(*s));
    if (!s)
        return -2;
    for (size_t i = 0; i < n; i++) {
        s[i].points = in[i].points;
        s[i].n = in[i].npoints;
        s[i].start_s = result_start_s(&in[i]) + in[i].connect_s;
    }
    int rc = series_merge(s, n, &out->points, &out->npoints) == 0 ? 0 : -2;
    out->cap_points = out->npoints;
    free(s);
    return rc;
}

#define MAX_OF(a, b) ((a) > (b) ? (a) : (b))

/* Add src into dst by the rules the workers' totals follow, and the rest. */
static int merge_one(struct run_result *dst, const struct run_result *src, const char *name, bool *any_null)
{
    stats_merge(&dst->total, &src->total);
    if (src->status > dst->status) {
        dst->status = src->status;
        snprintf(dst->error, sizeof(dst->error), "%s: %s", name, src->error);
    }
    dst->connect_s = MAX_OF(dst->connect_s, src->connect_s);
    dst->measure_s = MAX_OF(dst->measure_s, src->measure_s);
    dst->drain_s = MAX_OF(dst->drain_s, src->drain_s);
    dst->pub_duration_s = MAX_OF(dst->pub_duration_s, src->pub_duration_s);
    dst->sub_duration_s = MAX_OF(dst->sub_duration_s, src->sub_duration_s);
    if (has_sub(src)) {
        *any_null = *any_null || !(src->expected || src->expected_known);
        dst->expected_known = dst->expected_known && src->expected_known;
        dst->lost_exact = dst->lost_exact && src->lost_exact;
        dst->latency_intended = dst->latency_intended && src->latency_intended;
    }
    dst->expected += src->expected;
    dst->lost += src->lost;
    dst->in_flight += src->in_flight;
    dst->duplicates += src->duplicates;
    dst->out_of_order += src->out_of_order;
    dst->forgotten += src->forgotten;
    dst->connect_failures += src->connect_failures;
    dst->tls_per_s += src->tls_per_s;   /* the processes ramped at the same time */
    for (size_t k = 0; k < src->nfailures; k++)
        result_add_failure(dst, src->failures[k].reason, src->failures[k].count);
    dst->clients += src->clients;
    dst->publishers_done += src->publishers_done;
    dst->publishers += src->publishers;
    dst->subscribers += src->subscribers;
    dst->target_msgs_per_s += src->target_msgs_per_s;
    for (size_t k = 0; k < src->nwarnings; k++)
        result_add_warning(dst, src->warnings[k]);
    if (src->nworkers) {
        struct result_worker *w = realloc(dst->workers, (dst->nworkers + src->nworkers) * sizeof(*w));
        if (!w)
            return -2;
        memcpy(w + dst->nworkers, src->workers, src->nworkers * sizeof(*w));
        dst->workers = w;
        dst->nworkers += src->nworkers;
    }
    /* --reconnect: each process's outages as it saw them (times from its own
     * measured phase), one after another; not combined into the run's. */
    if (src->noutages && !dst->outages && !(dst->outages = result_alloc(dst, RESULT_MAX_OUTAGES * sizeof(*dst->outages))))
        return -2;
    for (size_t k = 0; k < src->noutages; k++) {
        if (dst->noutages < RESULT_MAX_OUTAGES) {
            dst->outages[dst->noutages++] = src->outages[k];
        } else if (src->outages[k].counted) {   /* not listed: what it owns is outside the list */
            dst->outages_outside.lost += src->outages[k].lost;
            dst->outages_outside.duplicates += src->outages[k].duplicates;
        }
    }
    dst->outages_total += src->outages_total;
    if (has_sub(src)) dst->outside_counted = dst->outside_counted && src->outside_counted;
    dst->outages_outside.lost += src->outages_outside.lost;
    dst->outages_outside.duplicates += src->outages_outside.duplicates;
    dst->max_utilization = MAX_OF(dst->max_utilization, src->max_utilization);
    dst->generator_saturated = dst->generator_saturated || src->generator_saturated;
    dst->schedule_lagging = dst->schedule_lagging || src->schedule_lagging;
    dst->self_stall.count += src->self_stall.count;
    dst->self_stall.total_s += src->self_stall.total_s;
    dst->self_stall.max_s = MAX_OF(dst->self_stall.max_s, src->self_stall.max_s);
    dst->flow_on = dst->flow_on || src->flow_on;
    dst->flow_paced_by_window = dst->flow_paced_by_window || src->flow_paced_by_window;
    dst->cpu_user_s += src->cpu_user_s;
    dst->cpu_sys_s += src->cpu_sys_s;
    dst->peak_rss_kb = MAX_OF(dst->peak_rss_kb, src->peak_rss_kb);
    dst->read_syscalls += src->read_syscalls;
    dst->write_syscalls += src->write_syscalls;
    return 0;
}

/* out's config, environment and clock: the first input's (split: the first
 * pub's config as `both` with the first sub's subscribers; the clock of the
 * first input that subscribed), with the earliest start time and the longest
 * --coalesce wait any input made, as shard `shard` of `shards` (check_shards). */
static int merge_header(const struct run_result *in, size_t n, bool split, long shard, long shards,
                        struct run_result *out)
{
    size_t first_pub = 0, first_sub = n, earliest = 0;
    while (split && !has_pub(&in[first_pub])) first_pub++;
    for (size_t i = n; i-- > 0;) {
        if (has_sub(&in[i])) first_sub = i;
        if (result_start_s(&in[i]) <= result_start_s(&in[earliest])) earliest = i;
    }
    struct mb_config *c = result_set_config(out, in[first_pub].cfg);
    if (!c)
        return -2;
    c->shard_index = shard;
    c->shard_count = shards;
    if (split) {
        c->mode = MB_MODE_BOTH;
        c->subscribers = in[first_sub].cfg->subscribers;
    }
    out->env = in[0].env;
    memcpy(out->env.start_time, in[earliest].env.start_time, sizeof(out->env.start_time));
    for (size_t i = 0; i < n; i++) {
        out->env.io_layer_off |= in[i].env.io_layer_off;   /* off anywhere: off */
        out->coalesce_ns = MAX_OF(out->coalesce_ns, in[i].coalesce_ns);   /* waited anywhere: waited */
    }
    out->clock = in[first_sub < n ? first_sub : 0].clock;
    out->merged_split = split;
    out->expected_known = out->lost_exact = out->latency_intended = true;
    out->outside_counted = first_sub < n;   /* then as every subscribing input */
    return 0;
}

int merge_results(const struct run_result *in, const char *const *names, size_t n, struct run_result *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    stats_init(&out->total);
    if (n < 2 || n > MERGE_MAX_INPUTS)
        return errmsg_set(err, errlen, "merge takes 2 to %d results, got %zu", MERGE_MAX_INPUTS, n);
    bool split = false, any_null = false;
    size_t *owner = NULL;
    int rc = collect_sources(in, names, n, out, &owner);
    if (rc == 0) rc = check_processes(out, owner, names, err, errlen);
    if (rc == 0) rc = check_scenarios(in, names, n, &split, err, errlen);
    long shard = 0, shards = 1;
    if (rc == 0) rc = check_shards(in, names, n, out, &shard, &shards, err, errlen);
    if (rc == 0) rc = merge_header(in, n, split, shard, shards, out);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = merge_one(out, &in[i], names[i], &any_null);
    if (rc == 0 && any_null) {
        out->expected = 0;              /* some input did not know: the sum would be a part */
        out->expected_known = out->lost_exact = false;
    }
    if (rc == 0) rc = merge_series(in, n, out);
    if (rc == 0) check_overlap(in, names, n, out);
    free(owner);

    /* What merge writes must read back: sums past 2^53, for one, do not. */
    cJSON *doc = rc == 0 ? result_to_json(out) : NULL;
    if (rc == 0 && !doc) rc = -2;
    if (doc) {
        struct run_result *back = malloc(sizeof(*back));
        char why[400];
        int brc = back ? result_from_json(doc, back, why, sizeof(why)) : -2;
        if (brc == -1) errmsg_set(err, errlen, "the merged result would not be valid: %s", why);
        rc = brc;
        if (back) result_free(back);
        free(back);
        cJSON_Delete(doc);
    }
    if (rc == -2) errmsg_set(err, errlen, "out of memory");
    return rc;
}

static void usage(FILE *f)
{
    fputs("usage: mqttbench merge A.json B.json [C.json ...] -o OUT.json\n"
          "       mqttbench merge - -o OUT.json < LOGS\n"
          "\n"
          "Merge the results of processes that ran one scenario at the same time (for\n"
          "example one per host, or the shards of --shard) into one result: counts\n"
          "summed, latency histograms merged exactly, rates recomputed over the longest\n"
          "duration. A `pub` result and a `sub` result of the same --run-id merge into\n"
          "a `both` result. An input (- is standard input) may hold several results one\n"
          "after the other, as `kubectl logs` prints those of --json -; other lines in\n"
          "it are skipped.\n"
          "\n"
          "  -o, --output OUT  where to write the merged result (atomically; - for stdout)\n"
          "  --help            this text\n"
          "\n"
          "Exit status: 0 merged, 1 the output could not be written, 2 bad usage,\n"
          "an unusable input, or inputs of different scenarios.\n", f);
}

/* The results in path ("-": standard input) appended to in[*n] and
 * names[*n] (a copy the caller frees): one result, or several one after
 * the other as `kubectl logs` or `srun` print them (reader_split). A lone
 * result is named path, one of several "path:LINE" (the line it starts on).
 * Other text among several is skipped, and said on stderr. 0, -1 (an
 * unusable input, err filled) or -2 (out of memory). */
static int load_input(const char *path, struct run_result *in, char **names, size_t *n, char *err, size_t errlen)
{
    char *buf;
    size_t len, ndocs, text;
    struct reader_doc *docs = malloc(MERGE_MAX_INPUTS * sizeof(*docs));
    if (!docs)
        return -2;
    int rc = reader_load_stream(path, &buf, &len, err, errlen);
    if (rc == 0 && reader_split(buf, len, docs, MERGE_MAX_INPUTS, &ndocs, &text) != 0)
        rc = errmsg_set(err, errlen, "%s: more than %d results", path, MERGE_MAX_INPUTS);
    if (rc == 0 && ndocs <= 1 && text == 0) {
        docs[0] = (struct reader_doc){ .start = 0, .len = len, .line = 0 };   /* the whole file, as ever */
        ndocs = 1;
    }
    if (rc == 0 && ndocs == 0)
        rc = errmsg_set(err, errlen, "%s: no result in it (%zu lines of other text)", path, text);
    for (size_t k = 0; rc == 0 && k < ndocs; k++) {
        if (*n == MERGE_MAX_INPUTS) {
            rc = errmsg_set(err, errlen, "merge takes at most %d results; %s brings more", MERGE_MAX_INPUTS, path);
            break;
        }
        char name[4096];
        const char *shown = strcmp(path, "-") ? path : "<stdin>";
        if (docs[k].line) snprintf(name, sizeof(name), "%s:%zu", shown, docs[k].line);
        else snprintf(name, sizeof(name), "%s", shown);
        if (!(names[*n] = strdup(name))) {
            rc = -2;
            break;
        }
        rc = result_parse(buf + docs[k].start, docs[k].len, names[*n], &in[*n], err, errlen);
        (*n)++;   /* in[*n] is freed on failure too */
    }
    if (rc == 0 && text && ndocs)
        fprintf(stderr, "mqttbench merge: %s: %zu result%s; %zu line%s of other text skipped\n", path, ndocs,
                ndocs == 1 ? "" : "s", text, text == 1 ? "" : "s");
    if (rc == -2 && !err[0]) errmsg_set(err, errlen, "out of memory");
    free(buf);
    free(docs);
    return rc;
}

int merge_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'H' },
        { NULL, 0, NULL, 0 },
    };
    const char *outpath = NULL;
    opterr = 0;
    optind = 0;                 /* 0: glibc re-initialises getopt, whatever ran before */
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
        const char *flag = argv[optind - 1];
        if (opt == 'o') {
            outpath = optarg;
        } else if (opt == 'H') {
            usage(stdout);
            return MERGE_EXIT_OK;
        } else if (opt == ':') {
            fprintf(stderr, "mqttbench merge: %s: needs a value\n", flag);
            return MERGE_EXIT_USAGE;
        } else {
            fprintf(stderr, "mqttbench merge: unknown option '%s' (see mqttbench merge --help)\n", flag);
            return MERGE_EXIT_USAGE;
        }
    }
    if (!outpath) {
        fprintf(stderr, "mqttbench merge: -o OUT.json is required (see mqttbench merge --help)\n");
        return MERGE_EXIT_USAGE;
    }
    if (optind == argc) {
        fprintf(stderr, "mqttbench merge: needs at least 2 results (files, or - for standard input), got none\n");
        return MERGE_EXIT_USAGE;
    }
    /* One spare entry for the merged result. */
    struct run_result *in = calloc(MERGE_MAX_INPUTS + 1, sizeof(*in)), *merged = NULL;
    char **names = calloc(MERGE_MAX_INPUTS, sizeof(*names));
    char err[1024];
    size_t n = 0;
    int code = MERGE_EXIT_USAGE;
    if (!in || !names) {
        fprintf(stderr, "mqttbench merge: out of memory\n");
        code = MERGE_EXIT_FAILED;
        goto out;
    }
    for (int a = optind; a < argc; a++) {
        int rc = load_input(argv[a], in, names, &n, err, sizeof(err));
        if (rc != 0) {
            fprintf(stderr, "mqttbench merge: %s\n", err);
            code = rc == -2 ? MERGE_EXIT_FAILED : MERGE_EXIT_USAGE;
            goto out;
        }
    }
    if (n < 2) {
        fprintf(stderr, "mqttbench merge: needs at least 2 results, got %zu\n", n);
        goto out;
    }
    merged = &in[n];
    int rc = merge_results(in, (const char *const *)names, n, merged, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "mqttbench merge: %s\n", err);
        code = rc == -2 ? MERGE_EXIT_FAILED : MERGE_EXIT_USAGE;
        goto out;
    }
    if (result_write(merged, outpath, err, sizeof(err)) != 0) {
        fprintf(stderr, "mqttbench merge: %s\n", err);
        code = MERGE_EXIT_FAILED;
        goto out;
    }
    FILE *says = strcmp(outpath, "-") ? stdout : stderr;   /* -o -: stdout carries the result */
    fprintf(says, "mqttbench merge: %zu results into %s: mode %s, status %s", n, outpath,
            result_mode_name(merged->cfg->mode), result_status_name(merged->status));
    if (merged->cfg->mode != MB_MODE_SUB) fprintf(says, ", published %" PRIu64, merged->total.pub_done);
    if (merged->cfg->mode != MB_MODE_PUB) fprintf(says, ", received %" PRIu64, merged->total.sub_unique);
    fprintf(says, "\n");
    for (size_t i = 0; i < merged->nwarnings; i++)
        fprintf(stderr, "mqttbench merge: warning: %s\n", merged->warnings[i]);
    code = MERGE_EXIT_OK;
out:
    for (size_t i = 0; in && i <= n; i++)
        result_free(&in[i]);
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(in);
    free(names);
    return code;
}
