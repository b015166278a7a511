/* merge: several results of one concurrent run into one result file. */
#include "merge.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "hist.h"
#include "histjson.h"
#include "jsonfile.h"
#include "metrics.h"
#include "reader.h"
#include "result.h"

#define MERGE_MAX_SECONDS 1e9       /* largest t or duration accepted, s (~31 years) */
#define MERGE_MAX_RSS_KB  1e15

enum side { SIDE_ALL, SIDE_PUB, SIDE_SUB };

struct input {
    const cJSON *doc;
    const char *name;
    bool pub, sub;              /* the result has that side */
    int status;                 /* 0 ok, 1 aborted, 2 failed */
    double start_s;             /* environment.start_time + phases.connect_s, seconds since the epoch */
};

/* Merge state: the inputs and where errors go. */
struct merger {
    struct input *in;
    size_t n;
    char *err;
    size_t errlen;
    bool oom;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct merger *m, const char *fmt, ...)
{
    if (m->err && m->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->err, m->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool uses(const struct input *in, enum side s)
{
    return s == SIDE_ALL || (s == SIDE_PUB ? in->pub : in->sub);
}

/* Whether every input of side s has key (an extra key may be missing). */
static bool all_have(const struct merger *m, enum side s, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (uses(&m->in[i], s) && !reader_find(m->in[i].doc, key))
            return false;
    return true;
}

static int sum_count(struct merger *m, enum side s, const char *key, uint64_t *out)
{
    char why[300];
    uint64_t total = 0;
    for (size_t i = 0; i < m->n; i++) {
        uint64_t v;
        if (!uses(&m->in[i], s))
            continue;
        if (reader_count(m->in[i].doc, key, &v, why, sizeof(why)) != 0)
            return fail(m, "%s: %s", m->in[i].name, why);
        total += v;
        if ((double)total > READER_MAX_COUNT)
            return fail(m, "%s: the sum of %s exceeds 2^53", m->in[i].name, key);
    }
    *out = total;
    return 0;
}

/* Sum (or with take_max, the largest) of a non-negative number at key. */
static int fold_number(struct merger *m, enum side s, const char *key, double hi, bool take_max, double *out)
{
    char why[300];
    double acc = 0;
    for (size_t i = 0; i < m->n; i++) {
        double v;
        if (!uses(&m->in[i], s))
            continue;
        if (reader_number(m->in[i].doc, key, 0, hi, &v, why, sizeof(why)) != 0)
            return fail(m, "%s: %s", m->in[i].name, why);
        acc = take_max ? (v > acc ? v : acc) : acc + v;
    }
    *out = acc;
    return 0;
}

/* Add the folded value at key (path below the root) to obj as name. An extra
 * key (optional) that some input lacks is left out. */
static int add_count(struct merger *m, cJSON *obj, enum side s, const char *key, const char *name, bool optional)
{
    uint64_t v;
    if (optional && !all_have(m, s, key))
        return 0;
    if (sum_count(m, s, key, &v) != 0)
        return -1;
    if (!cJSON_AddNumberToObject(obj, name, (double)v))
        m->oom = true;
    return 0;
}

static int add_number(struct merger *m, cJSON *obj, enum side s, const char *key, const char *name,
                      double hi, bool take_max, bool optional, double *value)
{
    double v;
    if (optional && !all_have(m, s, key))
        return 0;
    if (fold_number(m, s, key, hi, take_max, &v) != 0)
        return -1;
    if (!cJSON_AddNumberToObject(obj, name, v))
        m->oom = true;
    if (value)
        *value = v;
    return 0;
}

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
static int check_inputs(struct merger *m)
{
    char why[400];
    for (size_t i = 0; i < m->n; i++) {
        struct input *in = &m->in[i];
        struct metrics met;
        const char *status, *start;
        const cJSON *x;
        if (metrics_extract(in->doc, &met, why, sizeof(why)) != 0 ||
            reader_string(in->doc, "status", &status, why, sizeof(why)) != 0 ||
            reader_object(in->doc, "config", 0, &x, why, sizeof(why)) != 0 ||
            reader_object(in->doc, "environment", 0, &x, why, sizeof(why)) != 0 ||
            reader_string(in->doc, "environment.start_time", &start, why, sizeof(why)) != 0)
            return fail(m, "%s: %s", in->name, why);
        x = reader_find(in->doc, "repeat");
        if (x && !cJSON_IsNull(x))
            return fail(m, "%s: a --repeat result; merge takes the results of one run's processes", in->name);
        in->status = status_rank(status);
        if (in->status < 0) {
            char shown[40];
            reader_sanitize(status, 16, shown, sizeof(shown));
            return fail(m, "%s: status: \"%s\", expected \"ok\", \"aborted\" or \"failed\"", in->name, shown);
        }
        if (in->status != 0 && reader_string(in->doc, "error", &status, why, sizeof(why)) != 0)
            return fail(m, "%s: %s", in->name, why);
        if (parse_utc(start, &in->start_s) != 0) {
            char shown[64];
            reader_sanitize(start, 32, shown, sizeof(shown));
            return fail(m, "%s: environment.start_time: \"%s\" is not YYYY-MM-DDTHH:MM:SSZ", in->name, shown);
        }
        double connect = 0;
        if (reader_find(in->doc, "phases.connect_s") &&
            reader_number(in->doc, "phases.connect_s", 0, MERGE_MAX_SECONDS, &connect, why, sizeof(why)) != 0)
            return fail(m, "%s: %s", in->name, why);
        in->start_s += connect;
        in->pub = met.has_pub;
        in->sub = met.has_sub;
    }
    return 0;
}

/* Same scenario, or pub + sub of one run id. Sets *split for the latter. */
static int check_scenarios(struct merger *m, bool *split)
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
        return fail(m, "cannot merge `both` results with `pub`/`sub` results");
    for (size_t i = 1; i < m->n; i++) {
        size_t ref = *split ? (m->in[i].pub ? first_pub : first_sub) : 0;
        if (i == ref)
            continue;
        if (metrics_scenario_diff(m->in[ref].doc, m->in[i].doc, diff, sizeof(diff)) > 0)
            return fail(m, "%s and %s ran different scenarios: %s", m->in[ref].name, m->in[i].name, diff);
    }
    if (*split) {
        for (size_t i = 0; i < m->n; i++) {
            if (!m->in[i].sub)
                continue;
            if (metrics_scenario_diff_keys(m->in[first_pub].doc, m->in[i].doc, split_keys,
                                           sizeof(split_keys) / sizeof(split_keys[0]), diff, sizeof(diff)) > 0)
                return fail(m, "%s (pub) and %s (sub) are not parts of one run: %s", m->in[first_pub].name,
                            m->in[i].name, diff);
        }
    }
    return 0;
}

static int merge_publish(struct merger *m, cJSON *root)
{
    cJSON *p = cJSON_AddObjectToObject(root, "publish");
    uint64_t msgs;
    double dur;
    if (!p) {
        m->oom = true;
        return 0;
    }
    if (sum_count(m, SIDE_PUB, "publish.messages", &msgs) != 0 ||
        fold_number(m, SIDE_PUB, "publish.duration_s", MERGE_MAX_SECONDS, true, &dur) != 0)
        return -1;
    cJSON_AddNumberToObject(p, "messages", (double)msgs);
    if (add_count(m, p, SIDE_PUB, "publish.bytes", "bytes", false) != 0 ||
        add_count(m, p, SIDE_PUB, "publish.errors", "errors", false) != 0)
        return -1;
    cJSON_AddNumberToObject(p, "duration_s", dur);
    cJSON_AddNumberToObject(p, "msgs_per_s", dur > 0 ? (double)msgs / dur : 0.0);
    if (add_count(m, p, SIDE_PUB, "publish.publishers", "publishers", true) != 0 ||
        add_number(m, p, SIDE_PUB, "publish.target_msgs_per_s", "target_msgs_per_s", METRICS_MAX_VALUE, false,
                   true, NULL) != 0 ||
        add_count(m, p, SIDE_PUB, "publish.missed_slots", "missed_slots", true) != 0 ||
        add_number(m, p, SIDE_PUB, "publish.max_lag_ms", "max_lag_ms", METRICS_MAX_VALUE, true, true, NULL) != 0 ||
        add_count(m, p, SIDE_PUB, "publish.publishers_done", "publishers_done", true) != 0)
        return -1;
    return 0;
}

static int merge_subscribe(struct merger *m, cJSON *root)
{
    cJSON *s = cJSON_AddObjectToObject(root, "subscribe");
    uint64_t msgs;
    double dur;
    if (!s) {
        m->oom = true;
        return 0;
    }
    if (sum_count(m, SIDE_SUB, "subscribe.messages", &msgs) != 0 ||
        fold_number(m, SIDE_SUB, "subscribe.duration_s", MERGE_MAX_SECONDS, true, &dur) != 0)
        return -1;
    cJSON_AddNumberToObject(s, "messages", (double)msgs);
    /* expected: known only when every input knew it */
    bool known = true;
    for (size_t i = 0; i < m->n; i++) {
        const cJSON *e = reader_find(m->in[i].doc, "subscribe.expected");
        if (m->in[i].sub && !cJSON_IsNumber(e))
            known = false;
    }
    if (known) {
        if (add_count(m, s, SIDE_SUB, "subscribe.expected", "expected", false) != 0)
            return -1;
    } else {
        cJSON_AddNullToObject(s, "expected");
    }
    if (add_count(m, s, SIDE_SUB, "subscribe.lost", "lost", false) != 0)
        return -1;
    bool exact = known;
    for (size_t i = 0; i < m->n; i++)
        if (m->in[i].sub && !cJSON_IsTrue(reader_find(m->in[i].doc, "subscribe.lost_exact")))
            exact = false;
    cJSON_AddBoolToObject(s, "lost_exact", exact);
    if (add_count(m, s, SIDE_SUB, "subscribe.duplicates", "duplicates", false) != 0 ||
        add_count(m, s, SIDE_SUB, "subscribe.out_of_order", "out_of_order", false) != 0 ||
        add_count(m, s, SIDE_SUB, "subscribe.foreign", "foreign", false) != 0)
        return -1;
    cJSON_AddNumberToObject(s, "duration_s", dur);
    cJSON_AddNumberToObject(s, "msgs_per_s", dur > 0 ? (double)msgs / dur : 0.0);
    if (add_count(m, s, SIDE_SUB, "subscribe.subscribers", "subscribers", true) != 0)
        return -1;
    return 0;
}

/* Whether every input of side s has an object at key. */
static bool all_objects(const struct merger *m, enum side s, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (uses(&m->in[i], s) && !cJSON_IsObject(reader_find(m->in[i].doc, key)))
            return false;
    return true;
}

/* A latency object (latency_us, service_latency_us, connect.time_us) merged
 * over the inputs of side s: the histograms merged exactly, the keys rebuilt
 * the way the writer makes them (histjson), and "from" kept when every input
 * says the same. Added to obj as name; *out (may be NULL) gets it. */
static int merge_latency(struct merger *m, cJSON *obj, enum side s, const char *key, const char *name,
                         cJSON **out)
{
    struct hist *total = malloc(sizeof(*total)), *one = malloc(sizeof(*one));
    char why[300];
    int rc = 0;
    const char *from = NULL;
    bool same_from = true;
    if (!total || !one) {
        m->oom = true;
        goto out;
    }
    hist_init(total);
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        if (!uses(&m->in[i], s))
            continue;
        const cJSON *lat = reader_find(m->in[i].doc, key);
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(lat, "from");
        if (reader_histogram(lat, one, why, sizeof(why)) != 0) {
            rc = fail(m, "%s: %s.%s", m->in[i].name, key, why);
            break;
        }
        hist_merge(total, one);
        if (!cJSON_IsString(f) || (from && strcmp(from, f->valuestring) != 0))
            same_from = false;
        else
            from = f->valuestring;
    }
    if (rc == 0) {
        cJSON *l = histjson_latency_us(total);
        if (!l || !cJSON_AddItemToObject(obj, name, l)) {
            cJSON_Delete(l);
            m->oom = true;
        } else {
            if (same_from && from)
                cJSON_AddStringToObject(l, "from", from);
            if (out)
                *out = l;
        }
    }
out:
    free(total);
    free(one);
    return rc;
}

/* connect (extra): counts summed, failure reasons summed by reason, connect
 * times merged exactly, clients_per_s = connected / the longest connect phase. */
static int merge_connect(struct merger *m, cJSON *root)
{
    if (!all_objects(m, SIDE_ALL, "connect"))
        return 0;
    cJSON *c = cJSON_AddObjectToObject(root, "connect");
    if (!c) {
        m->oom = true;
        return 0;
    }
    if (add_count(m, c, SIDE_ALL, "connect.clients", "clients", true) != 0 ||
        add_count(m, c, SIDE_ALL, "connect.connected", "connected", true) != 0 ||
        add_count(m, c, SIDE_ALL, "connect.failures", "failures", true) != 0)
        return -1;
    if (all_objects(m, SIDE_ALL, "connect.failure_reasons")) {
        cJSON *fr = cJSON_AddObjectToObject(c, "failure_reasons");
        if (!fr) {
            m->oom = true;
            return 0;
        }
        for (size_t i = 0; i < m->n; i++) {
            const cJSON *in = reader_find(m->in[i].doc, "connect.failure_reasons");
            for (const cJSON *r = in->child; r; r = r->next) {
                double v = r->valuedouble;
                if (!cJSON_IsNumber(r) || !(v >= 0 && v <= READER_MAX_COUNT) || floor(v) != v) {
                    char shown[64];
                    reader_sanitize(r->string, 40, shown, sizeof(shown));
                    return fail(m, "%s: connect.failure_reasons.%s: expected a count", m->in[i].name, shown);
                }
                cJSON *have = cJSON_GetObjectItemCaseSensitive(fr, r->string);
                if (have) cJSON_SetNumberValue(have, have->valuedouble + v);
                else if (!cJSON_AddNumberToObject(fr, r->string, v)) m->oom = true;
            }
        }
    }
    const cJSON *connected = cJSON_GetObjectItemCaseSensitive(c, "connected");
    if (connected && all_have(m, SIDE_ALL, "phases.connect_s")) {
        double connect_s;
        if (fold_number(m, SIDE_ALL, "phases.connect_s", MERGE_MAX_SECONDS, true, &connect_s) != 0)
            return -1;
        cJSON_AddNumberToObject(c, "clients_per_s", connect_s > 0 ? connected->valuedouble / connect_s : 0);
    }
    if (all_objects(m, SIDE_ALL, "connect.time_us") &&
        merge_latency(m, c, SIDE_ALL, "connect.time_us", "time_us", NULL) != 0)
        return -1;
    if (add_count(m, c, SIDE_ALL, "connect.disconnects", "disconnects", true) != 0)
        return -1;
    return 0;
}

/* clock (extra): the receiving side's clock estimate, from the first input
 * that subscribed (or the first input). */
static void merge_clock(struct merger *m, cJSON *root)
{
    size_t from = 0;
    while (from < m->n && !m->in[from].sub)
        from++;
    const cJSON *ck = reader_find(m->in[from < m->n ? from : 0].doc, "clock");
    if (!cJSON_IsObject(ck))
        return;
    cJSON *d = cJSON_Duplicate(ck, 1);
    if (!d || !cJSON_AddItemToObject(root, "clock", d)) {
        cJSON_Delete(d);
        m->oom = true;
    }
}

/* One timeseries point of one input, placed on the merged clock. */
struct tpoint {
    double w;           /* seconds since the merged start */
    long long key;      /* the wall-clock second it belongs to: w rounded */
    double sent, received, p50, p99;
};

static int cmp_key(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Timeseries by wall-clock second: each input's point at start_time +
 * connect_s + t goes to second round(that - merged start); progress ticks
 * land near whole seconds, so each second gets one tick per input (an
 * input's final, partial point shares a second with its last tick when it
 * came less than half a second later). Per second, t is the latest point's,
 * sent and received are the sums of each input's latest cumulative values,
 * and p50/p99 are the largest of the inputs' values in that second (an upper
 * bound: the per-second histograms are not in the files). */
static int merge_timeseries(struct merger *m, cJSON *root)
{
    char why[300];
    double t0 = INFINITY;
    size_t total = 0;
    for (size_t i = 0; i < m->n; i++) {
        const cJSON *ts = reader_find(m->in[i].doc, "timeseries");
        if (!cJSON_IsArray(ts))
            return fail(m, "%s: timeseries: expected an array, found %s", m->in[i].name, ts ? "another type" : "nothing");
        total += (size_t)cJSON_GetArraySize(ts);
        if (m->in[i].start_s < t0)
            t0 = m->in[i].start_s;
    }
    cJSON *arr = cJSON_AddArrayToObject(root, "timeseries");
    struct tpoint **pts = calloc(m->n, sizeof(*pts));
    size_t *np = calloc(m->n, sizeof(*np));
    long long *keys = malloc((total ? total : 1) * sizeof(*keys));
    int rc = 0;
    size_t nkeys = 0;
    if (!arr || !pts || !np || !keys) {
        m->oom = true;
        goto out;
    }
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        const cJSON *ts = reader_find(m->in[i].doc, "timeseries");
        size_t cnt = (size_t)cJSON_GetArraySize(ts), j = 0;
        pts[i] = malloc((cnt ? cnt : 1) * sizeof(**pts));
        if (!pts[i]) {
            m->oom = true;
            goto out;
        }
        double last_t = 0;
        for (const cJSON *e = ts->child; e && rc == 0; e = e->next, j++) {
            struct tpoint *p = &pts[i][j];
            uint64_t sent, received;
            double t;
            if (reader_number(e, "t", 0, MERGE_MAX_SECONDS, &t, why, sizeof(why)) != 0 ||
                reader_count(e, "sent", &sent, why, sizeof(why)) != 0 ||
                reader_count(e, "received", &received, why, sizeof(why)) != 0 ||
                reader_number(e, "p50", 0, METRICS_MAX_VALUE, &p->p50, why, sizeof(why)) != 0 ||
                reader_number(e, "p99", 0, METRICS_MAX_VALUE, &p->p99, why, sizeof(why)) != 0) {
                rc = fail(m, "%s: timeseries[%zu].%s", m->in[i].name, j, why);
                break;
            }
            if (t < last_t) {
                rc = fail(m, "%s: timeseries[%zu].t: %.17g goes back in time", m->in[i].name, j, t);
                break;
            }
            last_t = t;
            p->w = m->in[i].start_s - t0 + t;
            p->key = (long long)floor(p->w + 0.5);
            p->sent = (double)sent;
            p->received = (double)received;
            keys[nkeys++] = p->key;
        }
        np[i] = j;
    }
    if (rc != 0)
        goto out;
    qsort(keys, nkeys, sizeof(*keys), cmp_key);
    size_t *next = calloc(m->n, sizeof(*next));
    if (!next) {
        m->oom = true;
        goto out;
    }
    for (size_t k = 0; k < nkeys; k++) {
        if (k > 0 && keys[k] == keys[k - 1])
            continue;
        double sent = 0, received = 0, p50 = 0, p99 = 0, w = 0;
        for (size_t i = 0; i < m->n; i++) {
            while (next[i] < np[i] && pts[i][next[i]].key <= keys[k]) {
                const struct tpoint *p = &pts[i][next[i]];
                if (p->key == keys[k]) {
                    p50 = p->p50 > p50 ? p->p50 : p50;
                    p99 = p->p99 > p99 ? p->p99 : p99;
                    w = p->w > w ? p->w : w;
                }
                next[i]++;
            }
            if (next[i] > 0) {
                sent += pts[i][next[i] - 1].sent;
                received += pts[i][next[i] - 1].received;
            }
        }
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(arr, e)) {
            cJSON_Delete(e);
            m->oom = true;
            break;
        }
        cJSON_AddNumberToObject(e, "t", w);
        cJSON_AddNumberToObject(e, "sent", sent);
        cJSON_AddNumberToObject(e, "received", received);
        cJSON_AddNumberToObject(e, "p50", p50);
        cJSON_AddNumberToObject(e, "p99", p99);
    }
    free(next);
out:
    if (pts)
        for (size_t i = 0; i < m->n; i++)
            free(pts[i]);
    free(pts);
    free(np);
    free(keys);
    return rc;
}

/* workers (extra): every input's workers, in input order. */
static void merge_workers(struct merger *m, cJSON *root)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "workers");
    if (!arr) {
        m->oom = true;
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        const cJSON *ws = reader_find(m->in[i].doc, "workers");
        if (!cJSON_IsArray(ws))
            continue;
        for (const cJSON *w = ws->child; w; w = w->next) {
            cJSON *d = cJSON_Duplicate(w, 1);
            if (!d || !cJSON_AddItemToArray(arr, d)) {
                cJSON_Delete(d);
                m->oom = true;
                return;
            }
        }
    }
}

static int merge_resources(struct merger *m, cJSON *root)
{
    cJSON *r = cJSON_AddObjectToObject(root, "resources");
    if (!r) {
        m->oom = true;
        return 0;
    }
    if (add_number(m, r, SIDE_ALL, "resources.cpu_user_s", "cpu_user_s", METRICS_MAX_VALUE, false, false, NULL) ||
        add_number(m, r, SIDE_ALL, "resources.cpu_sys_s", "cpu_sys_s", METRICS_MAX_VALUE, false, false, NULL) ||
        add_number(m, r, SIDE_ALL, "resources.peak_rss_kb", "peak_rss_kb", MERGE_MAX_RSS_KB, true, false, NULL) ||
        add_count(m, r, SIDE_ALL, "resources.read_syscalls", "read_syscalls", true) ||
        add_count(m, r, SIDE_ALL, "resources.write_syscalls", "write_syscalls", true))
        return -1;
    return 0;
}

/* Set obj[key] to item (taking it), replacing any old value. */
static void set_item(struct merger *m, cJSON *obj, const char *key, cJSON *item)
{
    bool ok = item && (cJSON_GetObjectItemCaseSensitive(obj, key)
                           ? cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)
                           : cJSON_AddItemToObject(obj, key, item));
    if (!ok) {
        cJSON_Delete(item);
        m->oom = true;
    }
}

static int merge_header(struct merger *m, cJSON *root, bool split)
{
    size_t worst = 0, first_pub = 0, first_sub = 0;
    for (size_t i = m->n; i-- > 0;) {
        if (m->in[i].status >= m->in[worst].status) worst = i;
        if (m->in[i].pub) first_pub = i;
        if (m->in[i].sub) first_sub = i;
    }
    static const char *const names[] = { "ok", "aborted", "failed" };
    const char *mode;
    char why[300];
    if (reader_string(m->in[split ? first_pub : 0].doc, "mode", &mode, why, sizeof(why)) != 0)
        return fail(m, "%s: %s", m->in[0].name, why);
    cJSON_AddStringToObject(root, "schema", RESULT_SCHEMA);
    cJSON_AddStringToObject(root, "status", names[m->in[worst].status]);
    if (m->in[worst].status != 0) {
        char buf[700], shown[560];
        const cJSON *e = reader_find(m->in[worst].doc, "error");
        reader_sanitize(cJSON_IsString(e) ? e->valuestring : "unknown error", 500, shown, sizeof(shown));
        snprintf(buf, sizeof(buf), "%s: %s", m->in[worst].name, shown);
        cJSON_AddStringToObject(root, "error", buf);
    }
    cJSON_AddStringToObject(root, "mode", split ? "both" : mode);

    cJSON *cfg = cJSON_Duplicate(reader_find(m->in[split ? first_pub : 0].doc, "config"), 1);
    if (!cfg || !cJSON_AddItemToObject(root, "config", cfg)) {
        cJSON_Delete(cfg);
        m->oom = true;
        return 0;
    }
    if (split) {
        const cJSON *subs = reader_find(m->in[first_sub].doc, "config.subscribers");
        set_item(m, cfg, "mode", cJSON_CreateString("both"));
        if (subs)
            set_item(m, cfg, "subscribers", cJSON_Duplicate(subs, 1));
    }

    /* environment: the first input's, with the earliest start time */
    size_t earliest = 0;
    for (size_t i = 1; i < m->n; i++)
        if (m->in[i].start_s < m->in[earliest].start_s)
            earliest = i;
    cJSON *env = cJSON_Duplicate(reader_find(m->in[0].doc, "environment"), 1);
    if (!env || !cJSON_AddItemToObject(root, "environment", env)) {
        cJSON_Delete(env);
        m->oom = true;
        return 0;
    }
    const cJSON *st = reader_find(m->in[earliest].doc, "environment.start_time");
    set_item(m, env, "start_time", cJSON_Duplicate(st, 1));

    if (all_have(m, SIDE_ALL, "phases")) {
        /* extra: every numeric key all inputs have; the longest phase, the summed failures */
        const cJSON *first = reader_find(m->in[0].doc, "phases");
        cJSON *ph = cJSON_AddObjectToObject(root, "phases");
        if (!ph) {
            m->oom = true;
            return 0;
        }
        for (const cJSON *k = cJSON_IsObject(first) ? first->child : NULL; k; k = k->next) {
            char key[96];
            if (!cJSON_IsNumber(k) || strlen(k->string) > 64)
                continue;
            snprintf(key, sizeof(key), "phases.%s", k->string);
            if (strcmp(k->string, "connect_failures") == 0
                    ? add_count(m, ph, SIDE_ALL, key, k->string, true)
                    : add_number(m, ph, SIDE_ALL, key, k->string, MERGE_MAX_SECONDS, true, true, NULL))
                return -1;
        }
    }
    return 0;
}

static int merge_sources(struct merger *m, cJSON *root, bool split)
{
    cJSON *mg = cJSON_AddObjectToObject(root, "merged");
    cJSON *src = cJSON_AddArrayToObject(root, "sources");
    if (!mg || !src) {
        m->oom = true;
        return 0;
    }
    cJSON_AddNumberToObject(mg, "inputs", (double)m->n);
    cJSON_AddStringToObject(mg, "kind", split ? "pub+sub" : "same scenario");
    cJSON_AddStringToObject(mg, "timeseries_percentiles", "max of the inputs' values in each second (an upper bound)");
    for (size_t i = 0; i < m->n; i++) {
        const cJSON *doc = m->in[i].doc;
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(src, e)) {
            cJSON_Delete(e);
            m->oom = true;
            return 0;
        }
        const cJSON *host = reader_find(doc, "environment.hostname"), *runid = reader_find(doc, "config.run_id");
        cJSON_AddStringToObject(e, "path", m->in[i].name);
        if (cJSON_IsString(host)) cJSON_AddStringToObject(e, "hostname", host->valuestring);
        else cJSON_AddNullToObject(e, "hostname");
        cJSON_AddStringToObject(e, "mode", m->in[i].pub && m->in[i].sub ? "both" : m->in[i].pub ? "pub" : "sub");
        cJSON_AddStringToObject(e, "status", cJSON_GetStringValue(reader_find(doc, "status")));
        if (cJSON_IsString(runid)) cJSON_AddStringToObject(e, "run_id", runid->valuestring);
        else cJSON_AddNullToObject(e, "run_id");
    }
    return 0;
}

int merge_results(cJSON *const *inputs, const char *const *names, size_t n, cJSON **out,
                  char *err, size_t errlen)
{
    *out = NULL;
    struct merger m = { .n = n, .err = err, .errlen = errlen };
    if (n < 2) {
        snprintf(err, errlen, "merge needs at least 2 results, got %zu", n);
        return -1;
    }
    m.in = calloc(n, sizeof(*m.in));
    cJSON *root = cJSON_CreateObject();
    int rc = 0;
    bool split = false, any_pub = false, any_sub = false;
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
    for (size_t i = 0; i < n && rc == 0; i++) {
        any_pub = any_pub || m.in[i].pub;
        any_sub = any_sub || m.in[i].sub;
    }
    if (rc == 0)
        rc = merge_header(&m, root, split);
    if (rc == 0 && !m.oom)
        rc = merge_connect(&m, root);
    if (rc == 0 && !m.oom) {
        if (any_pub) rc = merge_publish(&m, root);
        else cJSON_AddNullToObject(root, "publish");
    }
    if (rc == 0 && !m.oom) {
        if (any_sub) rc = merge_subscribe(&m, root);
        else cJSON_AddNullToObject(root, "subscribe");
    }
    if (rc == 0 && !m.oom) {
        cJSON *lat = NULL;
        if (!any_sub) {
            cJSON_AddNullToObject(root, "latency_us");
        } else if (merge_latency(&m, root, SIDE_SUB, "latency_us", "latency_us", &lat) != 0) {
            rc = -1;
        } else if (lat) {
            rc = add_count(&m, lat, SIDE_SUB, "latency_us.negative", "negative", true);
        }
    }
    if (rc == 0 && !m.oom) {
        if (!any_sub) cJSON_AddNullToObject(root, "service_latency_us");
        else if (all_objects(&m, SIDE_SUB, "service_latency_us"))
            rc = merge_latency(&m, root, SIDE_SUB, "service_latency_us", "service_latency_us", NULL);
    }
    if (rc == 0 && !m.oom)
        merge_clock(&m, root);
    if (rc == 0 && !m.oom)
        rc = merge_timeseries(&m, root);
    if (rc == 0 && !m.oom) {
        merge_workers(&m, root);
        bool saturated = false, lagging = false, has_lagging = false;
        for (size_t i = 0; i < n; i++) {
            const cJSON *lag = reader_find(m.in[i].doc, "schedule_lagging");
            saturated = saturated || cJSON_IsTrue(reader_find(m.in[i].doc, "generator_saturated"));
            lagging = lagging || cJSON_IsTrue(lag);
            has_lagging = has_lagging || cJSON_IsBool(lag);
        }
        cJSON_AddBoolToObject(root, "generator_saturated", saturated);
        if (has_lagging)
            cJSON_AddBoolToObject(root, "schedule_lagging", lagging);
        rc = merge_resources(&m, root);
    }
    if (rc == 0 && !m.oom)
        rc = merge_sources(&m, root, split);
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
