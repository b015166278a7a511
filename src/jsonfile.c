/* jsonfile: exact JSON text (numbers that read back bit-exact) and atomic
 * file writes (temp file + fsync + rename). */
#include "jsonfile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"

/* A growing text buffer; ok turns false for good when memory runs out. */
struct text {
    char *p;
    size_t len, cap;
    bool ok;
};

static void put(struct text *t, const char *s, size_t n)
{
    if (!t->ok)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *np = realloc(t->p, cap);
        if (!np) {
            t->ok = false;
            return;
        }
        t->p = np;
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void put_tabs(struct text *t, int n)
{
    for (int i = 0; i < n; i++)
        put(t, "\t", 1);
}

/* A JSON string literal, escaped the way cJSON escapes (UTF-8 passes through). */
static void put_string(struct text *t, const char *s)
{
    put(t, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        char esc[8];
        switch (*c) {
        case '"': puts_(t, "\\\""); break;
        case '\\': puts_(t, "\\\\"); break;
        case '\b': puts_(t, "\\b"); break;
        case '\f': puts_(t, "\\f"); break;
        case '\n': puts_(t, "\\n"); break;
        case '\r': puts_(t, "\\r"); break;
        case '\t': puts_(t, "\\t"); break;
        default:
            if (*c < 0x20) {
                snprintf(esc, sizeof(esc), "\\u%04x", *c);
                puts_(t, esc);
            } else {
                put(t, (const char *)c, 1);
            }
        }
    }
    put(t, "\"", 1);
}

/* x in cJSON_Print's layout (tabs, one key per line, arrays on one line),
 * with numbers in the fewest digits that read back as the same double. */
static void put_value(struct text *t, const cJSON *x, int depth)
{
    if (cJSON_IsNumber(x)) {
        char num[40];
        if (isfinite(x->valuedouble)) reader_number_text(x->valuedouble, num, sizeof(num));
        else snprintf(num, sizeof(num), "null");
        puts_(t, num);
    } else if (cJSON_IsString(x)) {
        put_string(t, x->valuestring);
    } else if (cJSON_IsRaw(x)) {
        puts_(t, x->valuestring ? x->valuestring : "null");
    } else if (cJSON_IsTrue(x)) {
        puts_(t, "true");
    } else if (cJSON_IsFalse(x)) {
        puts_(t, "false");
    } else if (cJSON_IsArray(x)) {
        put(t, "[", 1);
        for (const cJSON *c = x->child; c; c = c->next) {
            put_value(t, c, depth + 1);     /* cJSON indents objects in arrays one more */
            if (c->next)
                put(t, ", ", 2);
        }
        put(t, "]", 1);
    } else if (cJSON_IsObject(x)) {
        put(t, "{\n", 2);
        for (const cJSON *c = x->child; c; c = c->next) {
            put_tabs(t, depth + 1);
            put_string(t, c->string);
            put(t, ":\t", 2);
            put_value(t, c, depth + 1);
            if (c->next)
                put(t, ",", 1);
            put(t, "\n", 1);
        }
        put_tabs(t, depth);
        put(t, "}", 1);
    } else {
        puts_(t, "null");
    }
}

char *jsonfile_print(const cJSON *root)
{
    struct text t = { .ok = true };
    put_value(&t, root, 0);
    if (!t.ok) {
        free(t.p);
        return NULL;
    }
    return t.p;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int jsonfile_write(const cJSON *root, const char *path, char *err, size_t errlen)
{
    char *text = jsonfile_print(root);
    if (!text) {
        snprintf(err, errlen, "%s: out of memory formatting JSON", path);
        return -1;
    }
    char dir[4096], tmp[4200];
    snprintf(dir, sizeof(dir), "%s", path);
    char *d = dirname(dir);
    if (mkdir(d, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create directory %s: %s", path, d, strerror(errno));
        free(text);
        return -1;
    }
    snprintf(tmp, sizeof(tmp), "%s/.mqttbench-json-XXXXXX", d);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a temp file in %s: %s", path, d, strerror(errno));
        free(text);
        return -1;
    }
    int rc = write_all(fd, text, strlen(text));
    if (rc == 0) rc = write_all(fd, "\n", 1);
    if (rc == 0) rc = fchmod(fd, 0644);
    if (rc == 0) rc = fsync(fd);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    free(text);
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}
