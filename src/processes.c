/* `both --processes`: fork a `sub` and a `pub`, merge their results. */
#include "processes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "merge.h"
#include "result.h"

/* Options the parent decides for its children (with their argument count). */
static int replaced_option(const char *a)
{
    static const char *const with_value[] = { "-h", "--host", "-p", "--port", "--json", "--run-id", NULL };
    for (int i = 0; with_value[i]; i++) {
        size_t n = strlen(with_value[i]);
        if (!strcmp(a, with_value[i])) return 2;
        if (!strncmp(a, with_value[i], n) && a[n] == '=') return 1;
        if (with_value[i][1] != '-' && !strncmp(a, with_value[i], 2) && a[2]) return 1;   /* -p1883 */
    }
    if (!strcmp(a, "--processes") || !strcmp(a, "--spawn-broker")) return 1;
    return 0;
}

static pid_t spawn_child(const char *role, const struct mb_config *cfg, int argc, char **argv, const char *ip,
                         int port, const char *json, char *err, size_t errlen)
{
    char **args = calloc((size_t)argc + 24, sizeof(char *));
    if (!args) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    static char portbuf[16], runid[32];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    snprintf(runid, sizeof(runid), "%016llx", (unsigned long long)cfg->run_id);
    int n = 0;
    args[n++] = argv[0];
    args[n++] = (char *)role;
    for (int i = 2; i < argc; i++) {
        int skip = replaced_option(argv[i]);
        if (skip) {
            i += skip - 1;
            continue;
        }
        args[n++] = argv[i];
    }
    const char *fixed[] = { "--child", "--clock", "monotonic", "-h", ip, "-p", portbuf, "--run-id", runid,
                            "--json", json };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) args[n++] = (char *)fixed[i];
    if (!strcmp(role, "pub")) {
        args[n++] = "--wait-subscribers";
        args[n++] = "1";
    } else {
        args[n++] = "--expect-publishers";
        args[n++] = "1";
        args[n++] = "--quiet";   /* one progress stream is enough: the publisher's */
    }
    args[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execv("/proc/self/exe", args);
        execvp(argv[0], args);
        _exit(127);
    }
    free(args);
    if (pid < 0) snprintf(err, errlen, "cannot start the %s process: %s", role, strerror(errno));
    return pid;
}

static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return 1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int processes_run(const struct mb_config *cfg, int argc, char **argv, const char *ip, int port,
                  const char *json_path, volatile sig_atomic_t *interrupted, char *err, size_t errlen)
{
    (void)interrupted;   /* a terminal Ctrl-C reaches the children too; they write aborted results */
    char dir[] = "/tmp/mqttbench-processes-XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot create a temp dir: %s", strerror(errno));
        return 1;
    }
    char sub_json[128], pub_json[128];
    snprintf(sub_json, sizeof(sub_json), "%s/sub.json", dir);
    snprintf(pub_json, sizeof(pub_json), "%s/pub.json", dir);
    int code = 1;
    pid_t sub = spawn_child("sub", cfg, argc, argv, ip, port, sub_json, err, errlen);
    if (sub < 0) goto out;
    pid_t pub = spawn_child("pub", cfg, argc, argv, ip, port, pub_json, err, errlen);
    if (pub < 0) {
        kill(sub, SIGTERM);
        wait_child(sub);
        goto out;
    }
    int pub_rc = wait_child(pub);
    int sub_rc = wait_child(sub);

    struct run_result *in = calloc(3, sizeof(*in));
    const char *names[2] = { pub_json, sub_json };
    int mrc = in ? 0 : -1;
    if (!in) snprintf(err, errlen, "out of memory");
    if (mrc == 0 && (result_load(pub_json, &in[0], err, errlen) != 0 || result_load(sub_json, &in[1], err, errlen) != 0))
        mrc = -1;
    if (mrc == 0) mrc = merge_results(in, names, 2, &in[2], err, errlen);
    if (mrc == 0) mrc = result_write(&in[2], json_path, err, errlen);
    for (int i = 0; in && i < 3; i++) result_free(&in[i]);
    free(in);
    if (mrc != 0) goto out;
    code = pub_rc ? pub_rc : sub_rc;
    if (code) snprintf(err, errlen, "the %s process exited with status %d", pub_rc ? "pub" : "sub", code);
out:
    unlink(sub_json);
    unlink(pub_json);
    rmdir(dir);
    return code;
}
