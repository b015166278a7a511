/* jsonfile: exact JSON text (numbers that read back bit-exact) and safe
 * result writes: atomic for files (temp file + fsync + rename), in place for
 * character devices and FIFOs, "-" for standard output. */
#include "jsonfile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
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

/* How a path is written. */
enum jsonfile_kind {
    JSONFILE_STDOUT,    /* "-": file descriptor 1 */
    JSONFILE_STREAM,    /* an existing character device or FIFO: opened and written in place */
    JSONFILE_REPLACE,   /* a regular file, or nothing yet: temp file + rename */
};

struct jsonfile_target {
    enum jsonfile_kind kind;
    char path[PATH_MAX];    /* what is opened or replaced: a symlink's target, not the link */
    char dir[PATH_MAX];     /* REPLACE: where the temp file goes (path's directory) */
    char shown[ERRMSG_SHOWN(200)];  /* the path as given, for messages */
};

static const char *kind_name(mode_t m)
{
    return S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : S_ISDIR(m) ? "a directory" :
           S_ISLNK(m) ? "a symbolic link" : S_ISCHR(m) ? "a character device" : S_ISFIFO(m) ? "a FIFO" :
           "not a regular file";
}

/* Decide how path is written, following symlinks. Returns 0, or -1 with err. */
static int resolve(const char *path, struct jsonfile_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    errmsg_sanitize(path, 200, t->shown, sizeof(t->shown));
    if (!strcmp(path, "-")) {
        t->kind = JSONFILE_STDOUT;
        snprintf(t->shown, sizeof(t->shown), "standard output");
        return 0;
    }
    size_t len = strlen(path);
    if (len == 0)
        return errmsg_set(err, errlen, "the result file name is empty");
    if (len >= PATH_MAX)
        return errmsg_set(err, errlen, "%s: path too long", t->shown);
    if (path[len - 1] == '/')
        return errmsg_set(err, errlen, "%s: names a directory (ends in /), not a file", t->shown);
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return errmsg_set(err, errlen, "%s: is a directory", t->shown);
        if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
            t->kind = JSONFILE_STREAM;
            snprintf(t->path, sizeof(t->path), "%s", path);
            return 0;
        }
        if (!S_ISREG(st.st_mode))
            return errmsg_set(err, errlen, "%s: is %s; results go to a regular file, a character device "
                              "(such as /dev/null) or a FIFO", t->shown, kind_name(st.st_mode));
        struct stat out;
        if (fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == st.st_dev && out.st_ino == st.st_ino)
            return errmsg_set(err, errlen, "%s: is this process's standard output; use --json - to write "
                              "the result there", t->shown);
        if (!realpath(path, t->path))
            return errmsg_set(err, errlen, "%s: %s", t->shown, strerror(errno));
    } else if (errno == ENOENT) {
        char target[PATH_MAX], shown[ERRMSG_SHOWN(200)];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n >= 0) {
            target[n] = '\0';
            errmsg_sanitize(target, 200, shown, sizeof(shown));
            return errmsg_set(err, errlen, "%s: a symbolic link to %s, which does not exist; give the "
                              "target's path to create it", t->shown, shown);
        }
        snprintf(t->path, sizeof(t->path), "%s", path);
    } else {
        return errmsg_set(err, errlen, "%s: %s", t->shown, strerror(errno));
    }
    t->kind = JSONFILE_REPLACE;
    char copy[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", t->path);
    snprintf(t->dir, sizeof(t->dir), "%s", dirname(copy));
    return 0;
}

/* Create t->dir when it is missing (one level). *created says whether it was. */
static int make_dir(const struct jsonfile_target *t, bool *created, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(200)];
    *created = false;
    if (mkdir(t->dir, 0777) == 0) {
        *created = true;
        return 0;
    }
    if (errno == EEXIST)
        return 0;
    errmsg_sanitize(t->dir, 200, shown, sizeof(shown));
    return errmsg_set(err, errlen, "%s: cannot create directory %s: %s", t->shown, shown, strerror(errno));
}

/* A temp file beside t->path; fd or -1 with err filled. */
static int make_temp(const struct jsonfile_target *t, char *tmp, size_t tmplen, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(200)];
    snprintf(tmp, tmplen, "%s/.mqttbench-json-XXXXXX", t->dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        errmsg_sanitize(t->dir, 200, shown, sizeof(shown));
        errmsg_set(err, errlen, "%s: cannot create a file in %s: %s", t->shown, shown, strerror(errno));
    }
    return fd;
}

/* Write text to a temp file in t->dir, sync it and rename it over t->path.
 * On failure nothing is left behind (not even a directory it created). */
static int replace_file(const struct jsonfile_target *t, const char *text, size_t len, char *err, size_t errlen)
{
    bool created;
    if (make_dir(t, &created, err, errlen) != 0)
        return -1;
    char tmp[PATH_MAX + 32];
    int fd = make_temp(t, tmp, sizeof(tmp), err, errlen);
    if (fd < 0) {
        if (created)
            rmdir(t->dir);
        return -1;
    }
    int rc = write_all(fd, text, len);
    if (rc == 0) rc = fchmod(fd, 0644);
    if (rc == 0) rc = fsync(fd);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    struct stat st;
    if (rc == 0 && lstat(t->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* It became something else since resolve(): never rename over that. */
        unlink(tmp);
        return errmsg_set(err, errlen, "%s: is now %s; not replaced", t->shown, kind_name(st.st_mode));
    }
    if (rc == 0 && rename(tmp, t->path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        if (created)
            rmdir(t->dir);
        return errmsg_set(err, errlen, "%s: cannot write: %s", t->shown, strerror(saved));
    }
    return 0;
}

int jsonfile_check(const char *path, char *err, size_t errlen)
{
    struct jsonfile_target t;
    if (resolve(path, &t, err, errlen) != 0)
        return -1;
    if (t.kind == JSONFILE_STDOUT)
        return 0;
    if (t.kind == JSONFILE_STREAM) {
        /* Not opened now: opening a FIFO waits for its reader, and opening
         * some devices does something. */
        if (access(t.path, W_OK) != 0)
            return errmsg_set(err, errlen, "%s: %s", t.shown, strerror(errno));
        return 0;
    }
    bool created;
    if (make_dir(&t, &created, err, errlen) != 0)
        return -1;
    char tmp[PATH_MAX + 32];
    int fd = make_temp(&t, tmp, sizeof(tmp), err, errlen);
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    if (created)
        rmdir(t.dir);
    return fd >= 0 ? 0 : -1;
}

int jsonfile_write(const cJSON *root, const char *path, char *err, size_t errlen)
{
    char *text = jsonfile_print(root);
    if (!text) {
        char shown[ERRMSG_SHOWN(200)];
        errmsg_sanitize(path, 200, shown, sizeof(shown));
        return errmsg_set(err, errlen, "%s: out of memory formatting JSON", shown);
    }
    size_t len = strlen(text);
    text[len++] = '\n';     /* over the NUL: the buffer is written by length */
    int rc = jsonfile_write_text(path, text, len, err, errlen);
    free(text);
    return rc;
}

int jsonfile_write_text(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
    struct jsonfile_target t;
    if (resolve(path, &t, err, errlen) != 0)
        return -1;
    int rc = -1;
    if (t.kind == JSONFILE_STDOUT) {
        fflush(stdout);     /* whatever stdio holds goes first */
        if (write_all(STDOUT_FILENO, text, len) == 0)
            rc = 0;
        else
            errmsg_set(err, errlen, "standard output: cannot write the result: %s", strerror(errno));
    } else if (t.kind == JSONFILE_STREAM) {
        int fd = open(t.path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
            errmsg_set(err, errlen, "%s: cannot open: %s", t.shown, strerror(errno));
        } else {
            rc = write_all(fd, text, len);
            int saved = errno;
            if (close(fd) != 0 && rc == 0) {
                rc = -1;
                saved = errno;
            }
            if (rc != 0)
                errmsg_set(err, errlen, "%s: cannot write: %s", t.shown, strerror(saved));
        }
    } else {
        rc = replace_file(&t, text, len, err, errlen);
    }
    return rc;
}
