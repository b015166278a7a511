/* broker: find the broker to benchmark, or start a private mosquitto.
 * A spawned broker listens on a free 127.0.0.1 port with a generated config in
 * a temp dir of its own, runs in its own process group (a terminal Ctrl-C
 * reaches mqttbench only) and dies with mqttbench (PR_SET_PDEATHSIG). */
#ifndef MB_BROKER_H
#define MB_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct broker {
    pid_t pid;              /* 0 when we did not start one */
    int port;
    char dir[256];          /* temp dir holding mosquitto.conf and mosquitto.log */
};

/* True when something accepts TCP connections on ip:port within timeout_ms. */
bool broker_accepts(const char *ip, int port, int timeout_ms);

/* Resolve host (name or address) to a numeric address in out (len bytes).
 * Returns 0, or -1 with err filled. */
int broker_resolve(const char *host, char *out, size_t len, char *err, size_t errlen);

/* Start mosquitto on a free 127.0.0.1 port and wait until it accepts.
 * max_queued is its max_queued_messages; nfiles the file descriptors it should
 * be able to open. Returns 0; -1 with err filled (b->pid stays 0); or -2 when
 * mosquitto is not installed (err says how to install it). */
int broker_spawn(struct broker *b, long max_queued, long nfiles, char *err, size_t errlen);

/* True while the spawned broker process is alive. */
bool broker_alive(struct broker *b);

/* Stop a spawned broker (SIGTERM, then SIGKILL after 2 s), remove its temp dir.
 * Safe to call when none was started, and more than once. */
void broker_stop(struct broker *b);

/* mosquitto's version ("2.0.11"), from `mosquitto -h`; "" if unknown. */
const char *broker_local_version(void);

#endif
