/* reader: defensive loading of result files and validating getters.
 *
 * Defence in depth against hostile input: the size is bounded before reading,
 * the nesting depth is checked on the raw bytes before cJSON recurses, cJSON
 * always gets a NUL-terminated copy with its length, and every value is
 * type- and range-checked before use (no double reaches an integer cast
 * unless it is an integer in [0, 2^53]). */
#include "errmsg.h"
#include "reader.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hist.h"
#include "result.h"

#define READER_STREAM_CHUNK ((size_t)64 << 10)   /* first buffer when the size is unknown */
#define READER_PATH_MAX 255                      /* longest dotted path reader_find accepts */


void reader_sanitize(const char *s, size_t max, char *buf, size_t len)
{
    errmsg_sanitize(s, max, buf, len);
}

void reader_show_value(const cJSON *x, char *buf, size_t len)
{
    char num[32];
    if (!x) {
        snprintf(buf, len, "(none)");
    } else if (cJSON_IsNumber(x)) {
        reader_number_text(x->valuedouble, num, sizeof(num));
        snprintf(buf, len, "%s", num);
    } else if (cJSON_IsString(x) && x->valuestring) {
        reader_sanitize(x->valuestring, 40, buf, len);
    } else {
        char *s = cJSON_PrintUnformatted(x);
        reader_sanitize(s ? s : "?", 40, buf, len);
        free(s);
    }
}

void reader_number_text(double v, char *buf, size_t len)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, v);
        if (!isfinite(v) || strtod(buf, NULL) == v)
            break;
    }
}

/* 1-based line and column of byte offset off in buf. */
static void text_position(const char *buf, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static const char *type_name(const cJSON *x)
{
    if (!x) return "nothing";
    if (cJSON_IsNull(x)) return "null";
    if (cJSON_IsBool(x)) return "a boolean";
    if (cJSON_IsNumber(x)) return "a number";
    if (cJSON_IsString(x)) return "a string";
    if (cJSON_IsArray(x)) return "an array";
    if (cJSON_IsObject(x)) return "an object";
    return "an invalid value";
}

/* Raw-byte checks before cJSON: no NUL byte, nesting at most READER_MAX_DEPTH
 * (brackets inside strings do not count), something besides whitespace.
 * *open_at_end tells whether a string or a bracket was still open at the end
 * (then a parse error means a truncated file). */
static int scan_bytes(const char *buf, size_t len, const char *name, bool *open_at_end,
                      char *err, size_t errlen)
{
    size_t depth = 0, line, col;
    bool in_string = false, escaped = false, seen_value = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\0') {
            text_position(buf, i, &line, &col);
            return errmsg_set(err, errlen, "%s: NUL byte at line %zu, column %zu: not a JSON text", name, line, col);
        }
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            seen_value = true;
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > READER_MAX_DEPTH) {
                text_position(buf, i, &line, &col);
                return errmsg_set(err, errlen, "%s: JSON nested deeper than %d levels at line %zu, column %zu",
                               name, READER_MAX_DEPTH, line, col);
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    if (!seen_value)
        return errmsg_set(err, errlen, "%s: no JSON value (only whitespace)", name);
    *open_at_end = in_string || depth > 0;
    return 0;
}

/* Depth of x counted like scan_bytes, stopping early past limit. A second
 * line of defence: scan_bytes already bounds it, so the recursion is shallow. */
static bool too_deep(const cJSON *x, int level, int limit)
{
    if (!cJSON_IsArray(x) && !cJSON_IsObject(x))
        return false;
    if (level > limit)
        return true;
    for (const cJSON *c = x->child; c; c = c->next)
        if (too_deep(c, level + 1, limit))
            return true;
    return false;
}

static int cmp_keys(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return strcmp(x ? x : "", y ? y : "");
}

/* Find an object anywhere in x holding a key twice (JSON allows it, but cJSON
 * would keep the first and Python the last: two readers, two answers).
 * Returns the duplicated key, or NULL; *oom set when out of memory. */
static const char *duplicate_key(const cJSON *x, bool *oom)
{
    if (!cJSON_IsArray(x) && !cJSON_IsObject(x))
        return NULL;
    if (cJSON_IsObject(x)) {
        size_t n = 0;
        for (const cJSON *c = x->child; c; c = c->next)
            n++;
        if (n > 1) {
            const char **keys = malloc(n * sizeof(*keys));
            if (!keys) {
                *oom = true;
                return NULL;
            }
            size_t i = 0;
            for (const cJSON *c = x->child; c; c = c->next)
                keys[i++] = c->string;
            qsort(keys, n, sizeof(*keys), cmp_keys);
            const char *dup = NULL;
            for (i = 1; i < n && !dup; i++)
                if (cmp_keys(&keys[i - 1], &keys[i]) == 0)
                    dup = keys[i] ? keys[i] : "";
            free(keys);
            if (dup)
                return dup;
        }
    }
    for (const cJSON *c = x->child; c; c = c->next) {
        const char *dup = duplicate_key(c, oom);
        if (dup || *oom)
            return dup;
    }
    return NULL;
}

/* reader_parse on a buffer that has a NUL at buf[len]. */
static int parse_terminated(const char *buf, size_t len, const char *name, cJSON **out,
                            char *err, size_t errlen)
{
    *out = NULL;
    if (len == 0)
        return errmsg_set(err, errlen, "%s: empty file", name);
    if (len > READER_MAX_BYTES) {
        return errmsg_set(err, errlen, "%s: %zu bytes, over the %zu MiB limit for a result file",
                       name, len, READER_MAX_BYTES >> 20);
    }
    bool open_at_end = false;
    if (scan_bytes(buf, len, name, &open_at_end, err, errlen) != 0)
        return -1;

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
    if (!root) {
        size_t off = (end && end >= buf && end <= buf + len) ? (size_t)(end - buf) : len;
        if (open_at_end)
            off = len;          /* cJSON points at the start of the unfinished value */
        size_t line, col;
        text_position(buf, off, &line, &col);
        if (off >= len) {
            errmsg_set(err, errlen, "%s: invalid JSON: unexpected end of file at line %zu, column %zu (truncated?)",
                    name, line, col);
        } else {
            char near[40];
            char raw[24];
            size_t n = len - off < sizeof(raw) - 1 ? len - off : sizeof(raw) - 1;
            memcpy(raw, buf + off, n);
            raw[n] = '\0';
            reader_sanitize(raw, 16, near, sizeof(near));
            errmsg_set(err, errlen, "%s: invalid JSON at line %zu, column %zu, near '%s'", name, line, col, near);
        }
        return -1;
    }
    if (too_deep(root, 1, READER_MAX_DEPTH)) {
        errmsg_set(err, errlen, "%s: JSON nested deeper than %d levels", name, READER_MAX_DEPTH);
        cJSON_Delete(root);
        return -1;
    }
    if (!cJSON_IsObject(root)) {
        errmsg_set(err, errlen, "%s: the JSON text is %s, expected an object (a result file)", name, type_name(root));
        cJSON_Delete(root);
        return -1;
    }
    bool oom = false;
    const char *dup = duplicate_key(root, &oom);
    if (dup || oom) {
        char key[80];
        reader_sanitize(dup, 48, key, sizeof(key));
        if (oom) errmsg_set(err, errlen, "%s: out of memory checking the keys", name);
        else errmsg_set(err, errlen, "%s: key \"%s\" appears twice in one object", name, key);
        cJSON_Delete(root);
        return -1;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    if (!schema) {
        errmsg_set(err, errlen, "%s: no \"schema\" key: not an mqttbench result (expected schema \"%s\")",
                name, RESULT_SCHEMA);
        cJSON_Delete(root);
        return -1;
    }
    if (!cJSON_IsString(schema) || !schema->valuestring) {
        errmsg_set(err, errlen, "%s: \"schema\" is %s, expected the string \"%s\"", name, type_name(schema),
                RESULT_SCHEMA);
        cJSON_Delete(root);
        return -1;
    }
    if (strcmp(schema->valuestring, RESULT_SCHEMA) != 0) {
        char found[96];
        reader_sanitize(schema->valuestring, 64, found, sizeof(found));
        errmsg_set(err, errlen, "%s: schema \"%s\", expected \"%s\"", name, found, RESULT_SCHEMA);
        cJSON_Delete(root);
        return -1;
    }
    *out = root;
    return 0;
}

int reader_parse(const char *buf, size_t len, const char *name, cJSON **out, char *err, size_t errlen)
{
    *out = NULL;
    if (len > READER_MAX_BYTES)
        return errmsg_set(err, errlen, "%s: %zu bytes, over the %zu MiB limit for a result file",
                       name, len, READER_MAX_BYTES >> 20);
    char *copy = malloc(len + 1);
    if (!copy)
        return errmsg_set(err, errlen, "%s: out of memory", name);
    if (len)
        memcpy(copy, buf, len);
    copy[len] = '\0';
    int rc = parse_terminated(copy, len, name, out, err, errlen);
    free(copy);
    return rc;
}

/* Every byte of path ("-": standard input) into a new buffer with a NUL
 * after them (*buf, the caller frees it), refused past max bytes ("over the
 * LIMIT MiB limit for WHAT"). 0, or -1 with err "PATH: problem". */
static int read_bytes(const char *path, size_t max, const char *what, char **out, size_t *outlen, char *err,
                      size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    bool std_in = !strcmp(path, "-");
    int fd = std_in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errmsg_set(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        errmsg_set(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        rc = -1;
    } else if (S_ISDIR(st.st_mode)) {
        errmsg_set(err, errlen, "%s: is a directory, not a result file", path);
        rc = -1;
    } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
        errmsg_set(err, errlen, "%s: empty file", path);
        rc = -1;
    } else if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
        errmsg_set(err, errlen, "%s: %" PRIu64 " bytes, over the %zu MiB limit for %s", path, (uint64_t)st.st_size,
                   max >> 20, what);
        rc = -1;
    }
    /* A regular file's size and one more (notices a file that grew). */
    size_t cap = rc == 0 && S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : READER_STREAM_CHUNK;
    char *buf = rc == 0 ? malloc(cap + 1) : NULL;
    size_t len = 0;
    if (rc == 0 && !buf) {
        errmsg_set(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    while (rc == 0) {
        if (len == cap) {
            if (cap > max)
                break;                  /* the size check below reports it */
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                errmsg_set(err, errlen, "%s: out of memory", path);
                rc = -1;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            errmsg_set(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (!std_in)
        close(fd);
    if (rc == 0 && len > max) {
        errmsg_set(err, errlen, "%s: more than %zu MiB, over the limit for %s", path, max >> 20, what);
        rc = -1;
    }
    if (rc != 0) {
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return 0;
}

int reader_load(const char *path, cJSON **out, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    *out = NULL;
    if (read_bytes(path, READER_MAX_BYTES, "a result file", &buf, &len, err, errlen) != 0)
        return -1;
    int rc = parse_terminated(buf, len, path, out, err, errlen);
    free(buf);
    return rc;
}

int reader_load_stream(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
    return read_bytes(path, READER_MAX_STREAM_BYTES, "a stream of results", buf, len, err, errlen);
}

/* Where the JSON value starting at buf[i] ('{') ends: one past its closing
 * brace, or len when it does not close (a truncated document). Brackets in
 * strings do not count. */
static size_t value_end(const char *buf, size_t len, size_t i)
{
    size_t depth = 0;
    bool in_string = false, escaped = false;
    for (; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return len;
}

int reader_split(const char *buf, size_t len, struct reader_doc *docs, size_t max, size_t *ndocs,
                 size_t *text_lines)
{
    size_t i = 0, line = 1, n = 0, text = 0;
    while (i < len) {
        if (buf[i] == '{') {
            size_t end = value_end(buf, len, i);
            if (n == max)
                return -1;
            docs[n++] = (struct reader_doc){ .start = i, .len = end - i, .line = line };
            for (size_t k = i; k < end; k++)
                line += buf[k] == '\n';
            i = end;
            while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r'))
                i++;
            if (i < len && buf[i] == '\n') {
                i++;
                line++;
            }
            continue;
        }
        /* A line of other text (or only whitespace) up to its newline. */
        size_t eol = i;
        bool blank = true;
        while (eol < len && buf[eol] != '\n') {
            if (buf[eol] != ' ' && buf[eol] != '\t' && buf[eol] != '\r')
                blank = false;
            eol++;
        }
        text += !blank;
        i = eol < len ? eol + 1 : len;
        line++;
    }
    *ndocs = n;
    *text_lines = text;
    return 0;
}

/* Walk dotted_path below obj. Returns the item, or NULL with err naming the
 * first step that is missing or not an object. */
static const cJSON *lookup(const cJSON *obj, const char *path, char *err, size_t errlen)
{
    size_t plen = path ? strlen(path) : 0;
    if (!path || plen == 0 || plen > READER_PATH_MAX) {
        errmsg_set(err, errlen, "(bad key path)");
        return NULL;
    }
    if (!cJSON_IsObject(obj)) {
        errmsg_set(err, errlen, "%s: looked up in %s, not in an object", path, type_name(obj));
        return NULL;
    }
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        int shown = (int)(p - path) + (int)n;      /* the path up to this step */
        const cJSON *found = NULL;
        for (const cJSON *c = obj->child; c; c = c->next) {
            if (c->string && strlen(c->string) == n && memcmp(c->string, p, n) == 0) {
                found = c;
                break;
            }
        }
        if (!found) {
            errmsg_set(err, errlen, "%.*s: missing", shown, path);
            return NULL;
        }
        if (!dot)
            return found;
        if (!cJSON_IsObject(found)) {
            errmsg_set(err, errlen, "%.*s: expected an object, found %s", shown, path, type_name(found));
            return NULL;
        }
        obj = found;
        p = dot + 1;
    }
}

const cJSON *reader_find(const cJSON *obj, const char *dotted_path)
{
    return lookup(obj, dotted_path, NULL, 0);
}

int reader_number(const cJSON *obj, const char *dotted_path, double lo, double hi,
                  double *out, char *err, size_t errlen)
{
    const cJSON *x = lookup(obj, dotted_path, err, errlen);
    if (!x)
        return -1;
    if (!cJSON_IsNumber(x))
        return errmsg_set(err, errlen, "%s: expected a number, found %s", dotted_path, type_name(x));
    double v = x->valuedouble;
    if (!isfinite(v))
        return errmsg_set(err, errlen, "%s: not a finite number", dotted_path);
    char vt[32], limit[32];
    reader_number_text(v, vt, sizeof(vt));
    if (v < lo) {
        reader_number_text(lo, limit, sizeof(limit));
        if (lo == 0.0) errmsg_set(err, errlen, "%s: negative (%s)", dotted_path, vt);
        else errmsg_set(err, errlen, "%s: %s is below the minimum %s", dotted_path, vt, limit);
        return -1;
    }
    if (v > hi) {
        reader_number_text(hi, limit, sizeof(limit));
        return errmsg_set(err, errlen, "%s: %s is above the maximum %s", dotted_path, vt, limit);
    }
    *out = v;
    return 0;
}

int reader_count(const cJSON *obj, const char *dotted_path, uint64_t *out, char *err, size_t errlen)
{
    double v;
    if (reader_number(obj, dotted_path, 0.0, READER_MAX_COUNT, &v, err, errlen) != 0)
        return -1;
    if (floor(v) != v) {
        char vt[32];
        reader_number_text(v, vt, sizeof(vt));
        return errmsg_set(err, errlen, "%s: %s is not a whole number", dotted_path, vt);
    }
    *out = (uint64_t)v;
    return 0;
}

int reader_string(const cJSON *obj, const char *dotted_path, const char **out, char *err, size_t errlen)
{
    const cJSON *x = lookup(obj, dotted_path, err, errlen);
    if (!x)
        return -1;
    if (!cJSON_IsString(x) || !x->valuestring)
        return errmsg_set(err, errlen, "%s: expected a string, found %s", dotted_path, type_name(x));
    *out = x->valuestring;
    return 0;
}

int reader_object(const cJSON *obj, const char *dotted_path, int nullable, const cJSON **out,
                  char *err, size_t errlen)
{
    const cJSON *x = lookup(obj, dotted_path, err, errlen);
    if (!x)
        return -1;
    if (nullable && cJSON_IsNull(x)) {
        *out = NULL;
        return 0;
    }
    if (!cJSON_IsObject(x))
        return errmsg_set(err, errlen, "%s: expected an object%s, found %s", dotted_path, nullable ? " or null" : "",
                       type_name(x));
    *out = x;
    return 0;
}

int reader_histogram(const cJSON *latency_obj, struct hist *h, char *err, size_t errlen)
{
    hist_init(h);
    const cJSON *hj;
    const char *layout, *unit;
    if (reader_object(latency_obj, "histogram", 0, &hj, err, errlen) != 0 ||
        reader_string(latency_obj, "histogram.layout", &layout, err, errlen) != 0 ||
        reader_string(latency_obj, "histogram.unit", &unit, err, errlen) != 0)
        return -1;
    if (strcmp(layout, "log-linear-v1") != 0) {
        char found[80];
        reader_sanitize(layout, 48, found, sizeof(found));
        return errmsg_set(err, errlen, "histogram.layout: \"%s\", expected \"log-linear-v1\"", found);
    }
    if (strcmp(unit, "ns") != 0) {
        char found[80];
        reader_sanitize(unit, 48, found, sizeof(found));
        return errmsg_set(err, errlen, "histogram.unit: \"%s\", expected \"ns\"", found);
    }
    uint64_t min_ns, max_ns;
    double sum_ns, sumsq_ns;
    if (reader_count(latency_obj, "histogram.min_ns", &min_ns, err, errlen) != 0 ||
        reader_count(latency_obj, "histogram.max_ns", &max_ns, err, errlen) != 0 ||
        reader_number(latency_obj, "histogram.sum_ns", 0.0, DBL_MAX, &sum_ns, err, errlen) != 0 ||
        reader_number(latency_obj, "histogram.sumsq_ns", 0.0, DBL_MAX, &sumsq_ns, err, errlen) != 0)
        return -1;

    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(hj, "buckets");
    if (!arr)
        return errmsg_set(err, errlen, "histogram.buckets: missing");
    if (!cJSON_IsArray(arr)) {
        return errmsg_set(err, errlen, "histogram.buckets: expected an array, found %s", type_name(arr));
    }
    size_t n = 0;
    for (const cJSON *c = arr->child; c; c = c->next) {
        if (++n > 2 * (size_t)HIST_BUCKETS)
            return errmsg_set(err, errlen, "histogram.buckets: more than %u (index, count) pairs", HIST_BUCKETS);
    }
    if (n % 2 != 0)
        return errmsg_set(err, errlen, "histogram.buckets: %zu values, expected (index, count) pairs", n);
    uint64_t *pairs = malloc((n ? n : 1) * sizeof(*pairs));
    if (!pairs)
        return errmsg_set(err, errlen, "histogram.buckets: out of memory");
    size_t i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        double v = c->valuedouble;
        if (!cJSON_IsNumber(c) || !isfinite(v) || v < 0 || v > READER_MAX_COUNT || floor(v) != v) {
            errmsg_set(err, errlen, "histogram.buckets[%zu]: expected a whole number in [0, 2^53], found %s",
                    i, cJSON_IsNumber(c) ? "another number" : type_name(c));
            free(pairs);
            return -1;
        }
        pairs[i] = (uint64_t)v;
    }
    char why[160];
    int rc = hist_restore(h, pairs, n / 2, min_ns, max_ns, sum_ns, sumsq_ns, why, sizeof(why));
    free(pairs);
    if (rc != 0)
        return errmsg_set(err, errlen, "histogram: %s", why);
    if (h->count > 0) {
        /* Every value lies in [min, max]: so do the mean and the root mean
         * square, and the variance is not negative (allowing for rounding). */
        double cnt = (double)h->count, lo = (double)min_ns, hi = (double)max_ns;
        const char *bad = NULL;
        double v = 0;
        if (sum_ns < cnt * lo * (1 - 1e-9) || sum_ns > cnt * hi * (1 + 1e-9))
            bad = "sum_ns", v = sum_ns;
        else if (sumsq_ns < cnt * lo * lo * (1 - 1e-9) || sumsq_ns > cnt * hi * hi * (1 + 1e-9))
            bad = "sumsq_ns", v = sumsq_ns;
        else if (sumsq_ns * cnt < sum_ns * sum_ns * (1 - 1e-9))
            bad = "sumsq_ns", v = sumsq_ns;
        if (bad) {
            char vt[32];
            reader_number_text(v, vt, sizeof(vt));
            errmsg_set(err, errlen, "histogram.%s: %s does not fit the values' count, min_ns and max_ns%s", bad, vt,
                       strcmp(bad, "sum_ns") == 0 ? " (the mean would lie outside [min_ns, max_ns])" : "");
            hist_init(h);
            return -1;
        }
    }
    return 0;
}
