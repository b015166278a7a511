/* reader: every class of malformed result file is refused with one line
 * naming the file and the problem; getters validate type and range;
 * reader_histogram validates everything hist_restore needs, and sums that
 * no values in [min, max] could give. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"
#include "options.h"
#include "reader.h"
#include "result.h"
#include "test.h"

#define SCHEMA_OK "{\"schema\":\"mqttbench.result.v1\""

static char err[1024];

static int one_line(const char *s)
{
    return s[0] != '\0' && strchr(s, '\n') == NULL;
}

/* Parse text; returns the reader_parse status and leaves the message in err. */
static int parse(const char *text)
{
    cJSON *doc = NULL;
    err[0] = '\0';
    int rc = reader_parse(text, strlen(text), "F.json", &doc, err, sizeof(err));
    if ((rc == 0) != (doc != NULL)) return 99;      /* contract: *out set iff success */
    cJSON_Delete(doc);
    return rc;
}

/* parse() must refuse text with a one-line "F.json: ..." message holding want. */
static void refuse(const char *name, const char *text, const char *want)
{
    int rc = parse(text);
    CHECKF(name, rc == -1 && strncmp(err, "F.json: ", 8) == 0 && strstr(err, want) && one_line(err),
           "rc %d, err '%s', wanted '%s'", rc, err, want);
}

static char *repeat_char(char c, size_t n, const char *prefix, const char *suffix)
{
    size_t lp = strlen(prefix), ls = strlen(suffix);
    char *s = malloc(lp + n + ls + 1);
    memcpy(s, prefix, lp);
    memset(s + lp, c, n);
    memcpy(s + lp + n, suffix, ls + 1);
    return s;
}

static void test_parse(void)
{
    CHECK("parse: minimal result accepted", parse(SCHEMA_OK "}") == 0);
    CHECK("parse: leading/trailing whitespace accepted", parse(" \n" SCHEMA_OK "} \n") == 0);

    cJSON *doc = (cJSON *)1;
    CHECK("parse: zero bytes refused", reader_parse("", 0, "F.json", &doc, err, sizeof(err)) == -1 && doc == NULL);
    CHECKF("parse: zero bytes says empty", strcmp(err, "F.json: empty file") == 0, "%s", err);
    refuse("parse: whitespace only", "  \n\t ", "no JSON value");
    refuse("parse: truncated in a string", SCHEMA_OK ",\"publish\":{\"mess", "unexpected end of file");
    refuse("parse: truncated after a colon", SCHEMA_OK ",\"a\":", "truncated?");
    refuse("parse: invalid token", SCHEMA_OK ",\"a\":x}", "invalid JSON at line 1, column 37, near 'x}'");
    refuse("parse: position on line 3", "{\n \"schema\": \"mqttbench.result.v1\",\n \"a\": tru\n}",
           "at line 3, column 7");
    refuse("parse: NaN is not JSON (cJSON refuses it)", SCHEMA_OK ",\"x\":NaN}", "invalid JSON");
    refuse("parse: Infinity is not JSON", SCHEMA_OK ",\"x\":-Infinity}", "invalid JSON");
    refuse("parse: trailing garbage", SCHEMA_OK "} x", "invalid JSON");
    refuse("parse: two documents", SCHEMA_OK "}" SCHEMA_OK "}", "invalid JSON");
    refuse("parse: top level array", "[1,2]", "is an array, expected an object");
    refuse("parse: top level string", "\"mqttbench.result.v1\"", "is a string");
    refuse("parse: duplicate key", SCHEMA_OK ",\"a\":1,\"a\":2}", "key \"a\" appears twice");
    refuse("parse: duplicate schema", SCHEMA_OK ",\"schema\":\"x\"}", "key \"schema\" appears twice");
    refuse("parse: duplicate key nested", SCHEMA_OK ",\"c\":[{\"q\":1,\"z\":0,\"q\":1}]}", "key \"q\" appears twice");
    refuse("parse: schema missing", "{\"status\":\"ok\"}", "no \"schema\" key");
    refuse("parse: schema a number", "{\"schema\":1}", "\"schema\" is a number");
    refuse("parse: schema of another version", "{\"schema\":\"mqttbench.result.v2\"}",
           "schema \"mqttbench.result.v2\", expected \"mqttbench.result.v1\"");
    refuse("parse: another tool's schema, made printable", "{\"schema\":\"a\\nb\\u0007c\"}", "schema \"a?b?c\"");

    /* A NUL byte would end cJSON's view of the text early: refused outright. */
    const char nul[] = SCHEMA_OK "}\0garbage";
    doc = NULL;
    int rc = reader_parse(nul, sizeof(nul) - 1, "F.json", &doc, err, sizeof(err));
    CHECKF("parse: NUL byte refused", rc == -1 && strstr(err, "NUL byte at line 1, column 33"), "%d %s", rc, err);

    /* Not NUL-terminated input: reader_parse copies; a read past len would show under ASan. */
    char *exact = malloc(strlen(SCHEMA_OK "}"));
    memcpy(exact, SCHEMA_OK "}", strlen(SCHEMA_OK "}"));
    rc = reader_parse(exact, strlen(SCHEMA_OK "}"), "F.json", &doc, err, sizeof(err));
    CHECK("parse: unterminated buffer accepted", rc == 0);
    cJSON_Delete(doc);
    free(exact);

    /* Nesting: 64 levels pass, 65 do not; 100000 '[' are refused before cJSON recurses. */
    char *ok64 = repeat_char('[', 63, SCHEMA_OK ",\"a\":", "");
    char *closed = malloc(strlen(ok64) + 63 + 2);
    sprintf(closed, "%s%.*s}", ok64, 63,
            "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    CHECKF("parse: 64 levels accepted", parse(closed) == 0, "%s", err);
    free(closed);
    free(ok64);
    char *deep65 = repeat_char('[', 64, SCHEMA_OK ",\"a\":", "");
    refuse("parse: 65 levels refused", deep65, "nested deeper than 64 levels at line 1, column 100");
    free(deep65);
    char *deep = repeat_char('[', 100000, "", "");
    refuse("parse: 100000 '[' refused", deep, "nested deeper than 64 levels");
    free(deep);
    char *deepobj = malloc(6 * 100000 + 1);
    for (size_t i = 0; i < 100000; i++) memcpy(deepobj + 6 * i, "{\"a\":1", 6);
    deepobj[6 * 100000] = '\0';
    refuse("parse: 100000 nested objects refused", deepobj, "nested deeper than 64 levels");
    free(deepobj);
    char *instring = repeat_char('[', 100000, SCHEMA_OK ",\"s\":\"", "\"}");
    CHECKF("parse: brackets inside a string do not nest", parse(instring) == 0, "%s", err);
    free(instring);
    refuse("parse: escaped quote keeps the string open", SCHEMA_OK ",\"s\":\"\\\"[[[\"}x", "invalid JSON");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_load(void)
{
    char dir[] = "/tmp/mqttbench-test-reader.XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK("load: temp dir", 0);
        return;
    }
    char path[256], big[256];
    cJSON *doc = (cJSON *)1;

    CHECK("load: a directory refused", reader_load(dir, &doc, err, sizeof(err)) == -1 && doc == NULL);
    CHECKF("load: a directory says so", strstr(err, "is a directory") && strncmp(err, dir, strlen(dir)) == 0,
           "%s", err);

    snprintf(path, sizeof(path), "%s/empty.json", dir);
    write_file(path, "");
    CHECK("load: empty file refused", reader_load(path, &doc, err, sizeof(err)) == -1);
    CHECKF("load: empty file message", strstr(err, "empty.json: empty file") != NULL, "%s", err);

    snprintf(path, sizeof(path), "%s/missing.json", dir);
    CHECK("load: missing file refused", reader_load(path, &doc, err, sizeof(err)) == -1);
    CHECKF("load: missing file message", strstr(err, "cannot open: No such file") != NULL, "%s", err);

    snprintf(path, sizeof(path), "%s/ok.json", dir);
    write_file(path, SCHEMA_OK ",\"mode\":\"both\"}\n");
    int rc = reader_load(path, &doc, err, sizeof(err));
    CHECKF("load: a good file", rc == 0 && doc && cJSON_IsObject(doc), "%s", err);
    cJSON_Delete(doc);

    snprintf(path, sizeof(path), "%s/bad.json", dir);
    write_file(path, SCHEMA_OK ",\"mode\":}\n");
    CHECK("load: invalid JSON refused", reader_load(path, &doc, err, sizeof(err)) == -1);
    CHECKF("load: invalid JSON names the file", strstr(err, "bad.json: invalid JSON at line 1") != NULL, "%s", err);

    /* 100 MB (sparse): refused from its size, without reading it. */
    snprintf(big, sizeof(big), "%s/big.json", dir);
    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ok = fd >= 0 && ftruncate(fd, 100L * 1000 * 1000) == 0;
    if (fd >= 0) close(fd);
    CHECK("load: made a 100 MB file", ok);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = reader_load(big, &doc, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    CHECKF("load: 100 MB file refused by size", rc == -1 && strstr(err, "100000000 bytes, over the 64 MiB limit"),
           "%d %s", rc, err);
    CHECKF("load: 100 MB file not read", ms < 200, "took %.1f ms", ms);
    unlink(big);

    /* A stream of unknown size is read in a bounded loop. */
    rc = reader_load("/dev/zero", &doc, err, sizeof(err));
    CHECKF("load: endless stream stops at the limit", rc == -1 && strstr(err, "/dev/zero: more than 64 MiB"),
           "%d %s", rc, err);
    rc = reader_load("/dev/null", &doc, err, sizeof(err));
    CHECKF("load: empty stream refused", rc == -1 && strstr(err, "/dev/null: empty file"), "%d %s", rc, err);

    unlink(path);
    snprintf(path, sizeof(path), "%s/empty.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/ok.json", dir);
    unlink(path);
    rmdir(dir);
}

static void test_getters(void)
{
    cJSON *doc;
    const char *text = SCHEMA_OK ",\"publish\":{\"messages\":20000,\"rate\":1.5,\"neg\":-3,\"name\":\"x\","
                       "\"big\":9007199254740994,\"max\":9007199254740992,\"inf\":1e400,\"half\":2.5},"
                       "\"subscribe\":null,\"n\":7}";
    if (reader_parse(text, strlen(text), "F.json", &doc, err, sizeof(err)) != 0) {
        CHECKF("getters: document parses", 0, "%s", err);
        return;
    }
    double d;
    uint64_t u;
    const char *s;
    const cJSON *o;
    CHECK("getters: count", reader_count(doc, "publish.messages", &u, err, sizeof(err)) == 0 && u == 20000);
    CHECK("getters: number", reader_number(doc, "publish.rate", 0, 10, &d, err, sizeof(err)) == 0 && d == 1.5);
    CHECK("getters: top-level key", reader_number(doc, "n", 0, 10, &d, err, sizeof(err)) == 0 && d == 7);
    CHECK("getters: 2^53 is a count", reader_count(doc, "publish.max", &u, err, sizeof(err)) == 0 &&
                                          u == (UINT64_C(1) << 53));
    CHECK("getters: string", reader_string(doc, "publish.name", &s, err, sizeof(err)) == 0 && !strcmp(s, "x"));
    CHECK("getters: object", reader_object(doc, "publish", 0, &o, err, sizeof(err)) == 0 && o);
    CHECK("getters: nullable null", reader_object(doc, "subscribe", 1, &o, err, sizeof(err)) == 0 && o == NULL);
    CHECK("getters: reader_find", reader_find(doc, "publish.rate") && !reader_find(doc, "publish.nope") &&
                                      !reader_find(doc, "subscribe.lost") && !reader_find(doc, ""));

    CHECK("getters: missing", reader_count(doc, "publish.bytes", &u, err, sizeof(err)) == -1 &&
                                  !strcmp(err, "publish.bytes: missing"));
    CHECK("getters: missing parent", reader_count(doc, "resources.cpu_user_s", &u, err, sizeof(err)) == -1 &&
                                         !strcmp(err, "resources: missing"));
    CHECKF("getters: parent is null", reader_count(doc, "subscribe.lost", &u, err, sizeof(err)) == -1 &&
                                          !strcmp(err, "subscribe: expected an object, found null"), "%s", err);
    CHECKF("getters: wrong type", reader_number(doc, "publish.name", 0, 1, &d, err, sizeof(err)) == -1 &&
                                      !strcmp(err, "publish.name: expected a number, found a string"), "%s", err);
    CHECKF("getters: object wanted", reader_object(doc, "n", 1, &o, err, sizeof(err)) == -1 &&
                                         !strcmp(err, "n: expected an object or null, found a number"), "%s", err);
    CHECKF("getters: string wanted", reader_string(doc, "publish", &s, err, sizeof(err)) == -1 &&
                                         !strcmp(err, "publish: expected a string, found an object"), "%s", err);
    CHECKF("getters: negative", reader_number(doc, "publish.neg", 0, 10, &d, err, sizeof(err)) == -1 &&
                                    !strcmp(err, "publish.neg: negative (-3)"), "%s", err);
    CHECKF("getters: negative count", reader_count(doc, "publish.neg", &u, err, sizeof(err)) == -1 &&
                                          strstr(err, "negative"), "%s", err);
    CHECKF("getters: above 2^53", reader_count(doc, "publish.big", &u, err, sizeof(err)) == -1 &&
                                      strstr(err, "publish.big: 9007199254740994 is above the maximum"), "%s", err);
    CHECKF("getters: not whole", reader_count(doc, "publish.half", &u, err, sizeof(err)) == -1 &&
                                     !strcmp(err, "publish.half: 2.5 is not a whole number"), "%s", err);
    CHECKF("getters: 1e400 is not finite", reader_number(doc, "publish.inf", 0, 1e308, &d, err, sizeof(err)) == -1 &&
                                               !strcmp(err, "publish.inf: not a finite number"), "%s", err);
    CHECKF("getters: above hi", reader_number(doc, "publish.rate", 0, 1, &d, err, sizeof(err)) == -1 &&
                                    strstr(err, "above the maximum 1"), "%s", err);
    CHECKF("getters: below lo", reader_number(doc, "publish.rate", 2, 10, &d, err, sizeof(err)) == -1 &&
                                    strstr(err, "below the minimum 2"), "%s", err);
    CHECK("getters: not an object", reader_number(cJSON_GetObjectItem(doc, "n"), "x", 0, 1, &d, err, sizeof(err)) == -1 &&
                                        strstr(err, "not in an object"));
    CHECK("getters: error without a buffer", reader_number(doc, "nope", 0, 1, &d, NULL, 0) == -1);
    cJSON_Delete(doc);
}

/* A latency_us object, as the writer makes it, for the values given. */
static cJSON *latency_for(const uint64_t *v, size_t n)
{
    static struct mb_config cfg;
    static struct run_result r;
    memset(&r, 0, sizeof(r));
    cfg.mode = MB_MODE_BOTH;
    cfg.topic = cfg.id_prefix = cfg.shape = cfg.control_prefix = "x";
    result_init(&r, &cfg);
    stats_init(&r.total);
    for (size_t i = 0; i < n; i++) hist_record(&r.total.lat, v[i]);
    cJSON *doc = result_to_json(&r);
    cJSON *lat = cJSON_DetachItemFromObjectCaseSensitive(doc, "latency_us");
    cJSON_Delete(doc);
    return lat;
}

/* Apply edit (a JSON fragment replacing key in latency_us.histogram, or the
 * whole histogram when key is NULL) and run reader_histogram. */
static int hist_with(const char *key, const char *json_value)
{
    static const uint64_t vals[] = { 1000, 1500, 2000, 250000, 250001, 9000000 };
    static struct hist h;
    cJSON *lat = latency_for(vals, 6);
    cJSON *hj = cJSON_GetObjectItem(lat, "histogram");
    if (key) {
        cJSON *v = json_value ? cJSON_Parse(json_value) : NULL;
        if (v) cJSON_ReplaceItemInObjectCaseSensitive(hj, key, v);
        else cJSON_DeleteItemFromObjectCaseSensitive(hj, key);
    }
    err[0] = '\0';
    int rc = reader_histogram(lat, &h, err, sizeof(err));
    if (rc != 0 && h.count != 0) rc = 99;       /* contract: h left empty */
    cJSON_Delete(lat);
    return rc;
}

static void hist_refuse(const char *name, const char *key, const char *value, const char *want)
{
    int rc = hist_with(key, value);
    CHECKF(name, rc == -1 && strstr(err, want) && one_line(err), "rc %d, err '%s', wanted '%s'", rc, err, want);
}

static void test_histogram(void)
{
    static struct hist h, want;
    uint64_t vals[1000];
    hist_init(&want);
    for (size_t i = 0; i < 1000; i++) {
        vals[i] = 1000 + i * i * 37;
        hist_record(&want, vals[i]);
    }
    cJSON *lat = latency_for(vals, 1000);
    /* through text, the way a file arrives */
    char *text = cJSON_PrintUnformatted(lat);
    cJSON *back = cJSON_Parse(text);
    int rc = reader_histogram(back, &h, err, sizeof(err));
    CHECKF("histogram: round trip", rc == 0, "%s", err);
    CHECK("histogram: same counts", h.count == 1000 && memcmp(h.counts, want.counts, sizeof(h.counts)) == 0);
    CHECK("histogram: same min/max/sums", h.min_ns == want.min_ns && h.max_ns == want.max_ns &&
                                              h.sum_ns == want.sum_ns && h.sumsq_ns == want.sumsq_ns);
    CHECK("histogram: same p99", hist_percentile(&h, 99) == hist_percentile(&want, 99));
    free(text);
    cJSON_Delete(back);
    cJSON_Delete(lat);

    lat = latency_for(NULL, 0);
    CHECKF("histogram: empty is fine", reader_histogram(lat, &h, err, sizeof(err)) == 0 && h.count == 0, "%s", err);
    cJSON_Delete(lat);

    CHECK("histogram: the test document is valid", hist_with(NULL, NULL) == 0);
    hist_refuse("histogram: odd bucket array", "buckets", "[10,1,11]", "3 values, expected (index, count) pairs");
    hist_refuse("histogram: index out of range", "buckets", "[3840,6]", "index 3840 out of range");
    hist_refuse("histogram: unsorted indices", "buckets", "[20,3,10,3]", "out of order");
    hist_refuse("histogram: duplicate index", "buckets", "[10,3,10,3]", "duplicate or out of order");
    hist_refuse("histogram: negative count", "buckets", "[10,-6]", "buckets[1]: expected a whole number");
    hist_refuse("histogram: fractional count", "buckets", "[10,5.5]", "buckets[1]");
    hist_refuse("histogram: string in buckets", "buckets", "[10,\"6\"]", "found a string");
    hist_refuse("histogram: count above 2^53", "buckets", "[10,18014398509481984]", "buckets[1]");
    hist_refuse("histogram: buckets not an array", "buckets", "{}", "buckets: expected an array, found an object");
    hist_refuse("histogram: buckets missing", "buckets", NULL, "buckets: missing");
    hist_refuse("histogram: min not in the lowest bucket", "min_ns", "1500", "not in lowest non-empty bucket");
    hist_refuse("histogram: max not in the highest bucket", "max_ns", "8000000", "not in highest non-empty bucket");
    hist_refuse("histogram: min above max", "min_ns", "9000001", "above max");
    hist_refuse("histogram: max_ns huge", "max_ns", "1e300", "histogram.max_ns: 1e+300 is above");
    hist_refuse("histogram: sum negative", "sum_ns", "-1", "histogram.sum_ns: negative");
    hist_refuse("histogram: sum puts the mean outside", "sum_ns", "1", "the mean would lie outside");
    hist_refuse("histogram: absurd sumsq (reliability #18)", "sumsq_ns", "1e308",
                "histogram.sumsq_ns: 1e+308 does not fit the values' count, min_ns and max_ns");
    hist_refuse("histogram: sumsq below count * min^2", "sumsq_ns", "1", "sumsq_ns: 1 does not fit");
    /* 6 values with sum 9504501 and sumsq below sum^2 / 6: a negative variance */
    hist_refuse("histogram: negative variance", "sumsq_ns", "1.4e13", "sumsq_ns: 14000000000000 does not fit");
    hist_refuse("histogram: sumsq a string", "sumsq_ns", "\"x\"", "sumsq_ns: expected a number");
    hist_refuse("histogram: layout", "layout", "\"hdr\"", "layout: \"hdr\", expected \"log-linear-v1\"");
    hist_refuse("histogram: unit", "unit", "\"us\"", "unit: \"us\", expected \"ns\"");
    char *many = malloc(2 * 3841 * 8 + 8);
    size_t o = 0;
    o += (size_t)sprintf(many + o, "[");
    for (int i = 0; i < 3841; i++) o += (size_t)sprintf(many + o, "%s%d,1", i ? "," : "", i);
    sprintf(many + o, "]");
    hist_refuse("histogram: more pairs than buckets", "buckets", many, "more than 3840");
    free(many);

    uint64_t v[] = { 5000, 6000 };
    lat = latency_for(v, 2);
    cJSON_DeleteItemFromObjectCaseSensitive(lat, "histogram");
    CHECKF("histogram: missing object", reader_histogram(lat, &h, err, sizeof(err)) == -1 &&
                                            !strcmp(err, "histogram: missing"), "%s", err);
    cJSON_Delete(lat);
    CHECK("histogram: NULL latency object", reader_histogram(NULL, &h, err, sizeof(err)) == -1);
}

/* reader_split: the results in a stream as `kubectl logs` prints them. */
static void test_split(void)
{
    struct reader_doc d[4];
    size_t n = 9, text = 9;
    const char *one = "\n{\"a\": {\"b\": \"}{\"}}\n";
    CHECK("split: one result", reader_split(one, strlen(one), d, 4, &n, &text) == 0 && n == 1 && text == 0 &&
                               d[0].start == 1 && d[0].len == strlen(one) - 2 && d[0].line == 2);
    const char *logs = "summary line\n  {not a result}\n{\"x\": 1}\n\nmore text\n{\"y\": [1,\n2]}{\"z\": 3}\ntail";
    CHECK("split: results among text, back to back", reader_split(logs, strlen(logs), d, 4, &n, &text) == 0 &&
                                                      n == 3 && text == 4 && d[0].line == 3 && d[1].line == 6 &&
                                                      d[2].line == 7 && !strncmp(logs + d[2].start, "{\"z\": 3}", d[2].len));
    const char *cut = "{\"x\": 1}\n{\"y\": \"open";
    CHECK("split: a cut-off result runs to the end", reader_split(cut, strlen(cut), d, 4, &n, &text) == 0 && n == 2 &&
                                                      d[1].start + d[1].len == strlen(cut));
    CHECK("split: more than max is refused", reader_split(cut, strlen(cut), d, 1, &n, &text) == -1);
    CHECK("split: only text", reader_split("a\nb\n\n", 5, d, 4, &n, &text) == 0 && n == 0 && text == 2);
}

int main(void)
{
    test_split();
    test_parse();
    test_load();
    test_getters();
    test_histogram();
    return test_failures ? 1 : 0;
}
