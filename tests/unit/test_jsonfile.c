/* jsonfile: numbers read back bit-exact (where cJSON_Print may lose the last
 * bits), strings escaped as JSON, the layout of cJSON_Print, atomic writes,
 * and what happens to paths that are not regular files. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsonfile.h"
#include "reader.h"
#include "test.h"

/* Print x alone, parse it back with cJSON, and return the number. */
static double round_trip(double x, char *text, size_t len)
{
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNumber(x));
    char *s = jsonfile_print(a);
    snprintf(text, len, "%s", s ? s : "(null)");
    cJSON *b = cJSON_Parse(s);
    double v = cJSON_IsNumber(cJSON_GetArrayItem(b, 0)) ? cJSON_GetArrayItem(b, 0)->valuedouble : NAN;
    free(s);
    cJSON_Delete(a);
    cJSON_Delete(b);
    return v;
}

static void test_numbers(void)
{
    static const double cases[] = {
        0, 1, -1, 0.1, 0.1 + 0.2, 152.576, 1e300, 5e-324, 9007199254740993.0, 9007199254740992.0,
        123456789012345678.0, 3.5420896244244214e+18, 311725007971.0, 1.0 / 3.0, 2.0 / 3.0 * 1e9,
        7793.125199275, 6076.6800348211, 6076.680034821102, 1e15 + 1, 1e16 + 2,
    };
    char text[64], name[128];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double v = round_trip(cases[i], text, sizeof(text));
        snprintf(name, sizeof(name), "number %s reads back bit-exact", text);
        CHECKF(name, v == cases[i], "%.17g became %.17g", cases[i], v);
    }
    round_trip(152.576, text, sizeof(text));
    CHECKF("number: shortest form", !strcmp(text, "[152.576]"), "%s", text);
    round_trip(311725007971.0, text, sizeof(text));
    CHECKF("number: integers without exponent", !strcmp(text, "[311725007971]"), "%s", text);
    round_trip(INFINITY, text, sizeof(text));
    CHECKF("number: infinity becomes null", !strcmp(text, "[null]"), "%s", text);
    round_trip(NAN, text, sizeof(text));
    CHECKF("number: NaN becomes null", !strcmp(text, "[null]"), "%s", text);

    /* The case that motivates jsonfile: cJSON_Print keeps 15 digits that give
     * the number back only within DBL_EPSILON. */
    double lossy = 0, x = 1152.4328849;
    for (int i = 0; i < 8; i++, x = nextafter(x, INFINITY)) {
        cJSON *n = cJSON_CreateNumber(x);
        char *s = cJSON_PrintUnformatted(n);
        if (strtod(s, NULL) != x) lossy = x;
        free(s);
        cJSON_Delete(n);
        if (lossy) break;
    }
    if (lossy) {
        CHECK("number: exact where cJSON_Print is not", round_trip(lossy, text, sizeof(text)) == lossy);
    } else {
        printf("# cJSON_Print was exact for the doubles next to 1152.4328849 here\n");
    }
}

static void test_layout(void)
{
    const char *src = "{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001é\",\"a\":[1,2,{\"k\":true}],\"o\":{},\"e\":[],"
                      "\"n\":null,\"f\":false,\"x\":2.5}";
    cJSON *doc = cJSON_Parse(src);
    char *mine = jsonfile_print(doc), *theirs = cJSON_Print(doc);
    CHECKF("layout: as cJSON_Print", mine && theirs && !strcmp(mine, theirs), "\n%s\nvs\n%s", mine, theirs);
    cJSON *back = cJSON_Parse(mine);
    CHECK("layout: reads back equal", back && cJSON_Compare(doc, back, 1));
    CHECK("layout: escapes", mine && strstr(mine, "\"q\\\"b\\\\n\\n\\t\\u0001é\""));
    free(mine);
    free(theirs);
    cJSON_Delete(back);
    cJSON_Delete(doc);
}

static void test_write(void)
{
    char dir[] = "/tmp/mqttbench-test-jsonfile.XXXXXX", path[256], err[512];
    if (!mkdtemp(dir)) {
        CHECK("write: temp dir", 0);
        return;
    }
    snprintf(path, sizeof(path), "%s/sub/out.json", dir);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "mqttbench.result.v1");
    cJSON_AddNumberToObject(doc, "sum_ns", 3.5420896244244214e+18);
    int rc = jsonfile_write(doc, path, err, sizeof(err));
    CHECKF("write: creates the directory and the file", rc == 0, "%s", err);
    cJSON *back = NULL;
    rc = reader_load(path, &back, err, sizeof(err));
    CHECKF("write: reads back", rc == 0 && cJSON_GetObjectItem(back, "sum_ns")->valuedouble == 3.5420896244244214e+18,
           "%s", err);
    cJSON_Delete(back);
    FILE *f = fopen(path, "r");
    char buf[256] = "";
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f) fclose(f);
    CHECK("write: ends with a newline", n > 0 && buf[n - 1] == '\n');
    char sub[256];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    DIR *d = opendir(sub);
    int entries = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' || strncmp(e->d_name, ".mqttbench", 10) == 0) entries++;
    if (d) closedir(d);
    CHECK("write: no temp file left", entries == 1);
    rc = jsonfile_write(doc, "/proc/nope/deeper/x.json", err, sizeof(err));
    CHECKF("write: unwritable path fails with a message", rc == -1 && strncmp(err, "/proc/nope/deeper/x.json: ", 26) == 0,
           "%s", err);
    cJSON_Delete(doc);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

/* Entries of dir whose name starts with ".mqttbench" (temp files). */
static int temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strncmp(e->d_name, ".mqttbench", 10) == 0) n++;
    if (d) closedir(d);
    return n;
}

static int file_has(const char *path, const char *want)
{
    char buf[4096] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    return strstr(buf, want) != NULL;
}

static mode_t type_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (st.st_mode & S_IFMT) : 0;
}

/* Refused before a run (jsonfile_check) and by the write itself, with the
 * path first in a one-line message containing want; nothing is created. */
static void refused(const char *label, const cJSON *doc, const char *path, const char *want)
{
    char err[512] = "", err2[512] = "", name[160];
    mode_t before = type_of(path);
    int rc = jsonfile_check(path, err, sizeof(err));
    snprintf(name, sizeof(name), "%s: refused before the run", label);
    CHECKF(name, rc == -1 && strstr(err, want) && !strchr(err, '\n'), "rc %d, '%s', want '%s'", rc, err, want);
    rc = jsonfile_write(doc, path, err2, sizeof(err2));
    snprintf(name, sizeof(name), "%s: refused by the write", label);
    CHECKF(name, rc == -1 && strstr(err2, want), "rc %d, '%s'", rc, err2);
    snprintf(name, sizeof(name), "%s: left as it was", label);
    CHECKF(name, type_of(path) == before, "type %o, was %o", (unsigned)type_of(path), (unsigned)before);
}

static void test_paths(void)
{
    char dir[] = "/tmp/mqttbench-test-paths.XXXXXX", p[512], q[512], err[512];
    if (!mkdtemp(dir)) {
        CHECK("paths: temp dir", 0);
        return;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "schema", "mqttbench.result.v1");
    cJSON_AddStringToObject(doc, "marker", "new-result");

    /* Unusable paths: refused before the run, with a reason. */
    snprintf(p, sizeof(p), "%s/adir", dir);
    mkdir(p, 0755);
    refused("a directory", doc, p, "is a directory");
    snprintf(p, sizeof(p), "%s/newdir/", dir);
    refused("a trailing slash", doc, p, "ends in /");
    CHECK("a trailing slash: no directory created", type_of(p) == 0);
    snprintf(q, sizeof(q), "%s/afile", dir);
    FILE *f = fopen(q, "w");
    if (f) fclose(f);
    snprintf(p, sizeof(p), "%s/afile/x.json", dir);
    refused("under a regular file", doc, p, "Not a directory");
    snprintf(p, sizeof(p), "%s/afile/sub/x.json", dir);
    refused("two levels under a regular file", doc, p, "Not a directory");
    /* Even root cannot create a directory in /proc. */
    refused("a directory that cannot be created", doc, "/proc/mqttbench-nope/x.json", "cannot create directory");
    snprintf(p, sizeof(p), "%s/missing/deeper/x.json", dir);
    refused("two missing levels", doc, p, "cannot create directory");
    snprintf(q, sizeof(q), "%s/missing", dir);
    CHECK("two missing levels: nothing created", type_of(q) == 0);
    refused("an empty name", doc, "", "empty");

    /* A missing directory (one level) passes the check and is not left behind. */
    snprintf(p, sizeof(p), "%s/later/x.json", dir);
    snprintf(q, sizeof(q), "%s/later", dir);
    CHECKF("a missing directory passes the check", jsonfile_check(p, err, sizeof(err)) == 0, "%s", err);
    CHECK("the check leaves no directory behind", type_of(q) == 0);
    CHECK("the check leaves no temp file", temp_files(dir) == 0);

    /* A socket and a block device are refused. */
    snprintf(p, sizeof(p), "%s/sock", dir);
    int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", p);
    if (sfd >= 0 && bind(sfd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
        refused("a socket", doc, p, "is a socket");
    else
        CHECKF("a socket: set up", 0, "%s", strerror(errno));
    if (sfd >= 0) close(sfd);
    snprintf(p, sizeof(p), "%s/blk", dir);
    if (mknod(p, S_IFBLK | 0600, makedev(7, 0)) == 0)
        refused("a block device", doc, p, "is a block device");
    else
        printf("SKIP a block device: mknod: %s (needs root)\n", strerror(errno));

    /* A character device is written in place, never replaced: /dev/null, and
     * /dev/full, whose ENOSPC must be reported. */
    CHECKF("/dev/null passes the check", jsonfile_check("/dev/null", err, sizeof(err)) == 0, "%s", err);
    CHECKF("/dev/null is written", jsonfile_write(doc, "/dev/null", err, sizeof(err)) == 0, "%s", err);
    struct stat st;
    CHECK("/dev/null is still the null device", stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) &&
          major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
    CHECK("/dev/null: no temp file in /dev", temp_files("/dev") == 0);
    int rc = jsonfile_write(doc, "/dev/full", err, sizeof(err));
    CHECKF("/dev/full: the write fails with ENOSPC", rc == -1 && strstr(err, "/dev/full: cannot write: No space"),
           "rc %d, '%s'", rc, err);
    snprintf(p, sizeof(p), "%s/null", dir);
    if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0) {
        CHECKF("a null device node is written", jsonfile_write(doc, p, err, sizeof(err)) == 0, "%s", err);
        CHECK("a null device node stays a device", type_of(p) == S_IFCHR);
    } else {
        printf("SKIP a null device node: mknod: %s (needs root)\n", strerror(errno));
    }

    /* A FIFO is written in place to its reader. */
    snprintf(p, sizeof(p), "%s/fifo", dir);
    snprintf(q, sizeof(q), "%s/fifo.out", dir);
    if (mkfifo(p, 0600) == 0) {
        fflush(stdout);
        pid_t reader = fork();
        if (reader == 0) {
            int in = open(p, O_RDONLY), out = open(q, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            char buf[4096];
            ssize_t n;
            while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n) break;
            _exit(0);
        }
        CHECKF("a FIFO passes the check", jsonfile_check(p, err, sizeof(err)) == 0, "%s", err);
        CHECKF("a FIFO is written", jsonfile_write(doc, p, err, sizeof(err)) == 0, "%s", err);
        waitpid(reader, NULL, 0);
        CHECK("a FIFO's reader got the result", file_has(q, "new-result"));
        CHECK("a FIFO stays a FIFO", type_of(p) == S_IFIFO);
    } else {
        CHECKF("a FIFO: set up", 0, "%s", strerror(errno));
    }

    /* A symlink is followed: the target is replaced (atomically, in its own
     * directory), the link stays. */
    snprintf(q, sizeof(q), "%s/other", dir);
    mkdir(q, 0755);
    snprintf(q, sizeof(q), "%s/other/target.json", dir);
    f = fopen(q, "w");
    if (f) {
        fputs("{\"old\": true}\n", f);
        fclose(f);
    }
    snprintf(p, sizeof(p), "%s/link.json", dir);
    if (symlink("other/target.json", p) != 0) CHECKF("symlink: set up", 0, "%s", strerror(errno));
    CHECKF("a symlink passes the check", jsonfile_check(p, err, sizeof(err)) == 0, "%s", err);
    CHECKF("a symlink is written", jsonfile_write(doc, p, err, sizeof(err)) == 0, "%s", err);
    CHECK("a symlink stays a symlink", type_of(p) == S_IFLNK);
    CHECK("a symlink's target holds the result", file_has(q, "new-result"));
    snprintf(q, sizeof(q), "%s/other", dir);
    CHECK("a symlink: no temp file in either directory", temp_files(dir) == 0 && temp_files(q) == 0);
    snprintf(p, sizeof(p), "%s/dangling.json", dir);
    if (symlink("nowhere/x.json", p) != 0) CHECKF("dangling symlink: set up", 0, "%s", strerror(errno));
    refused("a dangling symlink", doc, p, "a symbolic link to nowhere/x.json, which does not exist");

    /* "-" is standard output; the file that is standard output is refused. */
    snprintf(p, sizeof(p), "%s/stdout.txt", dir);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    int rc_dash = jsonfile_write(doc, "-", err, sizeof(err));
    char err2[512] = "";
    int rc_same = jsonfile_check(p, err2, sizeof(err2));
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    CHECKF("\"-\" writes to standard output", rc_dash == 0 && file_has(p, "new-result"), "rc %d %s", rc_dash, err);
    CHECKF("the file that is standard output is refused", rc_same == -1 && strstr(err2, "use --json -"),
           "rc %d '%s'", rc_same, err2);
    CHECK("no temp file left anywhere", temp_files(dir) == 0);

    cJSON_Delete(doc);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("note: could not remove %s\n", dir);
}

int main(void)
{
    test_numbers();
    test_layout();
    test_write();
    test_paths();
    return test_failures ? 1 : 0;
}
