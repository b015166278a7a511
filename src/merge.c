/* merge: several results of one concurrent run into one result file: the
 * command, the checks on the inputs, the kind of merge (mergesec.c builds
 * the merged document). */
#include "merge.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jsonfile.h"
#include "mergesec.h"
#include "metrics.h"
#include "reader.h"

/* "YYYY-MM-DDTHH:MM:SSZ" as seconds since the epoch. */
static int parse_utc(const char *s, double *out)
{
    struct tm tm;
    int len = 0;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &len) != 6 || len != 20 || s[len] != '\0')
        return -1;
    if (tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = (double)t;
    return 0;
}

static int status_rank(const char *s)
{
    if (strcmp(s, "ok") == 0) return 0;
    if (strcmp(s, "aborted") == 0) return 1;
    if (strcmp(s, "failed") == 0) return 2;
    return -1;
}

/* Validate each input and fill m->in. */
static int check_inputs(struct mergesec *m)
{
    char why[400];
    for (size_t i = 0; i < m->n; i++) {
        struct mergesec_input *in = &m->in[i];
        struct metrics met;
        const char *status, *start;
        const cJSON *x;
        if (metrics_extract(in->doc, &met, why, sizeof(why)) != 0 ||
            reader_string(in->doc, "status", &status, why, sizeof(why)) != 0 ||
            reader_object(in->doc, "config", 0, &x, why, sizeof(why)) != 0 ||
            reader_object(in->doc, "environment", 0, &x, why, sizeof(why)) != 0 ||
            reader_string(in->doc, "environment.start_time", &start, why, sizeof(why)) != 0)
            return mergesec_fail(m, "%s: %s", in->name, why);
        x = reader_find(in->doc, "repeat");
        if (x && !cJSON_IsNull(x))
            return mergesec_fail(m, "%s: a --repeat result; merge takes the results of one run's processes", in->name);
        in->status = status_rank(status);
        if (in->status < 0) {
            char shown[40];
            reader_sanitize(status, 16, shown, sizeof(shown));
            return mergesec_fail(m, "%s: status: \"%s\", expected \"ok\", \"aborted\" or \"failed\"", in->name, shown);
        }
        if (in->status != 0 && reader_string(in->doc, "error", &status, why, sizeof(why)) != 0)
            return mergesec_fail(m, "%s: %s", in->name, why);
        if (parse_utc(start, &in->start_s) != 0) {
            char shown[64];
            reader_sanitize(start, 32, shown, sizeof(shown));
            return mergesec_fail(m, "%s: environment.start_time: \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", in->name, shown);
        }
        double connect = 0;
        if (reader_find(in->doc, "phases.connect_s") &&
            reader_number(in->doc, "phases.connect_s", 0, MERGE_MAX_SECONDS, &connect, why, sizeof(why)) != 0)
            return mergesec_fail(m, "%s: %s", in->name, why);
        in->start_s += connect;
        in->pub = met.has_pub;
        in->sub = met.has_sub;
    }
    return 0;
}

/* Same scenario, or pub + sub of one run id. Sets *split for the latter. */
static int check_scenarios(struct mergesec *m, bool *split)
{
    static const char *const split_keys[] = { "config.qos", "config.protocol", "config.topic", "config.run_id" };
    char diff[700];
    size_t first_pub = m->n, first_sub = m->n;
    bool any_both = false;
    for (size_t i = 0; i < m->n; i++) {
        if (m->in[i].pub && m->in[i].sub) any_both = true;
        else if (m->in[i].pub && first_pub == m->n) first_pub = i;
        else if (m->in[i].sub && first_sub == m->n) first_sub = i;
    }
    *split = first_pub < m->n && first_sub < m->n;
    if (*split && any_both)
        return mergesec_fail(m, "cannot merge `both` results with `pub`/`sub` results");
    for (size_t i = 1; i < m->n; i++) {
        size_t ref = *split ? (m->in[i].pub ? first_pub : first_sub) : 0;
        if (i == ref)
            continue;
        if (metrics_scenario_diff(m->in[ref].doc, m->in[i].doc, diff, sizeof(diff)) > 0)
            return mergesec_fail(m, "%s and %s ran different scenarios: %s", m->in[ref].name, m->in[i].name, diff);
    }
    if (*split) {
        for (size_t i = 0; i < m->n; i++) {
            if (!m->in[i].sub)
                continue;
            if (metrics_scenario_diff_keys(m->in[first_pub].doc, m->in[i].doc, split_keys,
                                           sizeof(split_keys) / sizeof(split_keys[0]), diff, sizeof(diff)) > 0)
                return mergesec_fail(m, "%s (pub) and %s (sub) are not parts of one run: %s", m->in[first_pub].name,
                            m->in[i].name, diff);
        }
    }
    return 0;
}

int merge_results(cJSON *const *inputs, const char *const *names, size_t n, cJSON **out,
                  char *err, size_t errlen)
{
    *out = NULL;
    struct mergesec m = { .n = n, .err = err, .errlen = errlen };
    if (n < 2) {
        snprintf(err, errlen, "merge needs at least 2 results, got %zu", n);
        return -1;
    }
    m.in = calloc(n, sizeof(*m.in));
    cJSON *root = cJSON_CreateObject();
    int rc = 0;
    bool split = false;
    if (!m.in || !root) {
        m.oom = true;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        m.in[i].doc = inputs[i];
        m.in[i].name = names[i];
    }
    rc = check_inputs(&m);
    if (rc == 0)
        rc = check_scenarios(&m, &split);
    if (rc == 0)
        rc = mergesec_build(&m, root, split);
out:
    free(m.in);
    if (rc == 0 && m.oom) {
        snprintf(err, errlen, "out of memory");
        rc = -2;
    }
    if (rc != 0) {
        cJSON_Delete(root);
        return rc;
    }
    *out = root;
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: mqttbench merge A.json B.json [C.json ...] -o OUT.json\n"
          "\n"
          "Merge the results of processes that ran one scenario at the same time (for\n"
          "example one per host) into one result: counts summed, latency histograms\n"
          "merged exactly, rates recomputed over the longest duration. A `pub` result\n"
          "and a `sub` result of the same --run-id merge into a `both` result.\n"
          "\n"
          "  -o, --output OUT  where to write the merged result (atomically)\n"
          "  --help            this text\n"
          "\n"
          "Exit status: 0 merged, 1 the output could not be written, 2 bad usage,\n"
          "an unusable input, or inputs of different scenarios.\n", f);
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
    size_t n = (size_t)(argc - optind);
    if (!outpath) {
        fprintf(stderr, "mqttbench merge: -o OUT.json is required (see mqttbench merge --help)\n");
        return MERGE_EXIT_USAGE;
    }
    if (n < 2) {
        fprintf(stderr, "mqttbench merge: needs at least 2 result files, got %zu\n", n);
        return MERGE_EXIT_USAGE;
    }
    const char *const *names = (const char *const *)(argv + optind);
    struct stat *st = calloc(n, sizeof(*st));
    cJSON **docs = calloc(n, sizeof(*docs));
    char err[1024];
    int code = MERGE_EXIT_USAGE;
    if (!st || !docs) {
        fprintf(stderr, "mqttbench merge: out of memory\n");
        code = MERGE_EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (reader_load(names[i], &docs[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "mqttbench merge: %s\n", err);
            goto out;
        }
        if (stat(names[i], &st[i]) == 0 && S_ISREG(st[i].st_mode)) {
            for (size_t j = 0; j < i; j++) {
                if (S_ISREG(st[j].st_mode) && st[j].st_dev == st[i].st_dev && st[j].st_ino == st[i].st_ino) {
                    fprintf(stderr, "mqttbench merge: %s and %s are the same file\n", names[j], names[i]);
                    goto out;
                }
            }
        }
    }
    cJSON *merged;
    int rc = merge_results(docs, names, n, &merged, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "mqttbench merge: %s\n", err);
        code = rc == -2 ? MERGE_EXIT_FAILED : MERGE_EXIT_USAGE;
        goto out;
    }
    if (jsonfile_write(merged, outpath, err, sizeof(err)) != 0) {
        fprintf(stderr, "mqttbench merge: %s\n", err);
        code = MERGE_EXIT_FAILED;
    } else {
        const cJSON *p = reader_find(merged, "publish.messages"), *s = reader_find(merged, "subscribe.messages");
        printf("mqttbench merge: %zu results into %s: mode %s, status %s", n, outpath,
               cJSON_GetStringValue(reader_find(merged, "mode")), cJSON_GetStringValue(reader_find(merged, "status")));
        if (cJSON_IsNumber(p)) printf(", published %.0f", p->valuedouble);
        if (cJSON_IsNumber(s)) printf(", received %.0f", s->valuedouble);
        printf("\n");
        code = MERGE_EXIT_OK;
    }
    cJSON_Delete(merged);
out:
    if (docs)
        for (size_t i = 0; i < n; i++)
            cJSON_Delete(docs[i]);
    free(docs);
    free(st);
    return code;
}
