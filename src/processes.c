/* `both --processes`: fork a `sub` and a `pub`, merge their results.
 *
 * Each child writes its result into a pipe (--json /proc/self/fd/3, a FIFO to
 * jsonfile_write), so nothing is kept on disk that a killed parent could
 * leave behind. The children run in process groups of their own: a signal
 * for mqttbench, from a terminal or to the parent's PID alike, reaches them
 * once, forwarded by the parent, and a parent that dies takes them along
 * (PR_SET_PDEATHSIG). */
#include "processes.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errmsg.h"
#include "merge.h"
#include "reader.h"
#include "result.h"

#define CHILD_RESULT_FD 3
#define CHILD_RESULT_PATH "/proc/self/fd/3"

struct child {
    const char *role;   /* "pub" or "sub" */
    const char *name;   /* its result in messages */
    pid_t pid;          /* 0 once reaped */
    int fd;             /* read end of its result pipe; -1 at end of file */
    char *buf;          /* its result, len bytes */
    size_t len, cap;
    bool too_big;
    int rc;             /* exit code (128 + signal when killed) */
};

/* The child after fork: its own process group, death with the parent, the
 * result pipe on fd 3, and with `--json -` in the parent its summary on
 * stderr (stdout carries the merged result). Then exec. */
static void child_exec(char **args, const char *argv0, int result_fd, pid_t parent, bool result_on_stdout)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);   /* the parent died before prctl */
    if (result_fd == CHILD_RESULT_FD) fcntl(result_fd, F_SETFD, 0);
    else if (dup2(result_fd, CHILD_RESULT_FD) < 0) _exit(127);
    if (result_on_stdout) dup2(STDERR_FILENO, STDOUT_FILENO);
    execv("/proc/self/exe", args);
    execvp(argv0, args);
    _exit(127);
}

static int spawn_child(struct child *c, const struct mb_config *cfg, int argc, char **argv, const char *ip,
                       int port, bool result_on_stdout, char *err, size_t errlen)
{
    char **args = calloc((size_t)argc + 24, sizeof(char *));
    int p[2];
    if (!args) return errmsg_set(err, errlen, "out of memory");
    if (pipe2(p, O_CLOEXEC) != 0) {
        free(args);
        return errmsg_set(err, errlen, "cannot start the %s process: pipe: %s", c->role, strerror(errno));
    }
    char portbuf[16], runid[32], peers[24];
    /* both --shard: the other shards' processes run on other hosts. */
    bool sharded = cfg->shard_count > 1;
    snprintf(peers, sizeof(peers), "%ld", sharded ? cfg->shard_count : 1);
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    snprintf(runid, sizeof(runid), "%016llx", (unsigned long long)cfg->run_id);
    int n = 0;
    args[n++] = argv[0];
    args[n++] = (char *)c->role;
    n += options_child_args(argc, argv, args + n);
    /* TLS checks the broker's certificate against the name it was given */
    const char *host = cfg->tls && cfg->host ? cfg->host : ip;
    const char *fixed[] = { "--child", "--clock", sharded ? "realtime" : "monotonic", "-h", host, "-p", portbuf,
                            "--run-id", runid, "--json", CHILD_RESULT_PATH };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) args[n++] = (char *)fixed[i];
    if (!strcmp(c->role, "pub")) {
        args[n++] = "--wait-subscribers";
        args[n++] = peers;
    } else {
        args[n++] = "--expect-publishers";
        args[n++] = peers;
        args[n++] = "--quiet";   /* one progress stream is enough: the publisher's */
    }
    args[n] = NULL;
    pid_t parent = getpid();
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        options_secrets_to_env(cfg);   /* not on its command line (options_hide_secrets) */
        child_exec(args, argv[0], p[1], parent, result_on_stdout);
    }
    int saved = errno;
    free(args);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return errmsg_set(err, errlen, "cannot start the %s process: %s", c->role, strerror(saved));
    }
    setpgid(pid, pid);   /* as the child does: whichever runs first */
    c->pid = pid;
    c->fd = p[0];
    return 0;
}

/* Send SIGTERM once to every child still running, when mqttbench was asked
 * to stop. The children then end their runs with "aborted" results. */
static void forward_stop(struct child *c, size_t n, volatile sig_atomic_t *interrupted, bool *forwarded)
{
    if (!*interrupted || *forwarded) return;
    for (size_t i = 0; i < n; i++)
        if (c[i].pid > 0) kill(c[i].pid, SIGTERM);
    *forwarded = true;
}

/* Append what is readable on c->fd to c->buf; closes fd at end of file. */
static void read_result(struct child *c)
{
    char chunk[65536];
    ssize_t got = read(c->fd, chunk, sizeof(chunk));
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (got <= 0) {
        close(c->fd);
        c->fd = -1;
        return;
    }
    if (c->too_big || c->len + (size_t)got > READER_MAX_BYTES) {
        c->too_big = true;   /* keep reading, so the child is not blocked */
        return;
    }
    if (c->len + (size_t)got > c->cap) {
        size_t cap = c->cap ? c->cap : sizeof(chunk);
        while (cap < c->len + (size_t)got) cap *= 2;
        char *nb = realloc(c->buf, cap);
        if (!nb) {
            c->too_big = true;
            return;
        }
        c->buf = nb;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, chunk, (size_t)got);
    c->len += (size_t)got;
}

/* Read both results until the children close their pipes, then reap them,
 * forwarding a stop request whenever it comes. */
static void collect(struct child *c, size_t n, volatile sig_atomic_t *interrupted)
{
    bool forwarded = false;
    for (;;) {
        forward_stop(c, n, interrupted, &forwarded);
        struct pollfd p[2];
        size_t who[2], np = 0;
        for (size_t i = 0; i < n && np < 2; i++)
            if (c[i].fd >= 0) {
                p[np] = (struct pollfd){ .fd = c[i].fd, .events = POLLIN };
                who[np++] = i;
            }
        if (np == 0) break;
        if (poll(p, (nfds_t)np, 100) <= 0) continue;   /* a timeout or EINTR: look at the flag again */
        for (size_t k = 0; k < np; k++)
            if (p[k].revents) read_result(&c[who[k]]);
    }
    for (size_t i = 0; i < n; i++) {
        int status;
        while (c[i].pid > 0) {
            pid_t r = waitpid(c[i].pid, &status, 0);
            if (r == c[i].pid) {
                c[i].rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
                c[i].pid = 0;
            } else if (r < 0 && errno != EINTR) {
                c[i].rc = 1;
                c[i].pid = 0;
            }
            forward_stop(c, n, interrupted, &forwarded);
        }
    }
}

int processes_run(const struct mb_config *cfg, int argc, char **argv, const char *ip, int port,
                  const char *json_path, volatile sig_atomic_t *interrupted, bool *written,
                  char *err, size_t errlen)
{
    struct child c[2] = {
        { .role = "pub", .name = "the pub process's result", .fd = -1 },
        { .role = "sub", .name = "the sub process's result", .fd = -1 },
    };
    bool on_stdout = !strcmp(json_path, "-");
    *written = false;
    err[0] = '\0';
    /* The sub first: it subscribes before the pub's start barrier lifts. */
    if (spawn_child(&c[1], cfg, argc, argv, ip, port, on_stdout, err, errlen) != 0) return 1;
    if (spawn_child(&c[0], cfg, argc, argv, ip, port, on_stdout, err, errlen) != 0) {
        kill(c[1].pid, SIGTERM);
        collect(&c[1], 1, interrupted);
        free(c[1].buf);
        return 1;
    }
    collect(c, 2, interrupted);

    int code = c[0].rc ? c[0].rc : c[1].rc;
    struct run_result *in = calloc(3, sizeof(*in));     /* the pub's, the sub's, the merged */
    if (!in) {
        errmsg_set(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < 2; i++) {
        if (c[i].len == 0) {
            errmsg_set(err, errlen, "the %s process exited with status %d and wrote no result", c[i].role, c[i].rc);
            goto out;
        }
        if (c[i].too_big) {
            errmsg_set(err, errlen, "%s: over the %zu MiB limit for a result", c[i].name, READER_MAX_BYTES >> 20);
            goto out;
        }
        if (result_parse(c[i].buf, c[i].len, c[i].name, &in[i], err, errlen) != 0) goto out;
    }
    const char *names[2] = { c[0].name, c[1].name };
    if (merge_results(in, names, 2, &in[2], err, errlen) != 0) goto out;
    if (result_write(&in[2], json_path, err, errlen) != 0) goto out;
    *written = true;
    if (code == 130 && *interrupted)
        errmsg_set(err, errlen, "interrupted; the pub and sub processes stopped and their results were merged");
    else if (code)
        errmsg_set(err, errlen, "the %s process exited with status %d", c[0].rc ? "pub" : "sub", code);
out:
    if (!*written && !code) code = 1;
    for (int i = 0; in && i < 3; i++) result_free(&in[i]);
    free(in);
    free(c[0].buf);
    free(c[1].buf);
    return code;
}
