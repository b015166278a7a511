/* processes: `both --processes` — the publishers and the subscribers as two
 * child processes (`sub` and `pub`) on this host, coordinated through the
 * broker exactly as separate hosts are (run id, start barrier, end
 * announcements), sharing CLOCK_MONOTONIC instead of estimating an offset.
 * Their two results are merged into one. */
#ifndef MB_PROCESSES_H
#define MB_PROCESSES_H

#include <signal.h>
#include <stddef.h>

#include "options.h"

/* Run cfg's scenario as two processes against ip:port; argv is mqttbench's
 * own (argv[1] == "both"), passed on to the children with --processes,
 * --spawn-broker, --host, --port, --json and --run-id replaced. Writes the
 * merged result to json_path. Returns the exit code main should use
 * (0 ok, 1 failed, 130 interrupted); err says why when it is not 0. */
int processes_run(const struct mb_config *cfg, int argc, char **argv, const char *ip, int port,
                  const char *json_path, volatile sig_atomic_t *interrupted, char *err, size_t errlen);

#endif
