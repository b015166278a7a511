/* processes: `both --processes` — the publishers and the subscribers as two
 * child processes (`sub` and `pub`) on this host, coordinated through the
 * broker exactly as separate hosts are (run id, start barrier, end
 * announcements), sharing CLOCK_MONOTONIC instead of estimating an offset.
 * Their two results are merged into one. With --shard (shard.h) the pub
 * and sub are one shard's: they stamp with the wall clock, and wait for the
 * other shards' processes too (N subs, N pubs). */
#ifndef MB_PROCESSES_H
#define MB_PROCESSES_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* Run cfg's scenario as two processes against ip:port; argv is mqttbench's
 * own (argv[1] == "both"), passed on to the children with --processes,
 * --spawn-broker, --host, --port, --json and --run-id replaced. Each child
 * writes its result into a pipe to this process (no temp files); the merged
 * result goes to json_path (jsonfile_write: "-" is stdout, and the
 * children's summaries then go to stderr). When *interrupted turns true,
 * SIGTERM is sent to both children once; they end with "aborted" results,
 * which are merged. The children run in their own process groups and get
 * SIGTERM when this process dies. Returns the exit code main should use
 * (0 ok, 1 failed, 130 interrupted, or a child's status); err says why when
 * it is not 0; *written tells whether the merged result was written. */
int processes_run(const struct mb_config *cfg, int argc, char **argv, const char *ip, int port,
                  const char *json_path, volatile sig_atomic_t *interrupted, bool *written,
                  char *err, size_t errlen);

#endif
