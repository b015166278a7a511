/* shard: N identical command lines as one run (--shard I/N, --shard auto).
 *
 * The command line describes the whole run: --publishers, --subscribers,
 * --count and --rate are the run's totals. Shard I of N runs its share:
 *   publishers   P/N, the first P%N shards one more, numbered on from the
 *                shards before it (--first-publisher K: from K);
 *   count, rate  those of its publishers: each publisher's quota is what it
 *                would be in one process (count/P, the first count%P
 *                publishers of the run one more), and each publishes at
 *                rate/P;
 *   subscribers  S/N, the first S%N shards one more, numbered on (for %i);
 *   id prefix    "<--id-prefix>-<I>", so no two shards share a client id.
 * In `both`, shard I runs as `both --processes` does, a `pub` and a `sub`
 * process, but with the wall clock and the other shards' processes: its pub
 * waits for N subs, its sub for N pubs (needs --host and --run-id).
 * Shares of the shards differ by at most one publisher and one subscriber,
 * and the sums over all shards are the totals exactly. The result's `config`
 * records the whole run as given, with `shard` and `shards`: every shard
 * records the same scenario, and `merge` adds the shares back up.
 *
 * --shard auto takes I and N from the launcher's environment, the first of:
 *   JOB_COMPLETION_INDEX  Kubernetes indexed Job; N from --shards or
 *                         MQTTBENCH_SHARDS
 *   OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE   Open MPI's mpirun
 *   PMI_RANK, PMI_SIZE    MPICH/Hydra, Slurm's PMI
 *   SLURM_PROCID, SLURM_NTASKS                   srun
 * (the launcher that started this process comes before one it may run
 * under: mpirun inside a Slurm allocation leaves SLURM_PROCID at the
 * step's). No allocation, no I/O but the getenv passed in. */
#ifndef MB_SHARD_H
#define MB_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define SHARD_MAX 1000000L   /* most shards: one publisher each at --publishers' limit */

/* Looks up an environment variable (getenv, or a test's table). */
typedef char *(*shard_getenv_fn)(const char *name);

/* Read --shard's value: "I/N" (digits, I < N <= SHARD_MAX) into *index and
 * *count, or "auto" (*index = *count = -1). 0, or -1 with one line in err. */
int shard_parse(const char *arg, long *index, long *count, char *err, size_t errlen);

/* --shard auto: I and N from the environment as above. shards_flag is
 * --shards (0 when not given); it must agree with the environment's N.
 * *source names the variable used. 0, or -1 with one line in err: no
 * launcher variable set, a value that is not a number, I >= N, a size
 * missing or disagreeing with --shards. */
int shard_from_env(shard_getenv_fn get, long shards_flag, long *index, long *count, const char **source,
                   char *err, size_t errlen);

/* Shard index of count of total items: how many it gets (total/count, the
 * first total%count shards one more), and in *first how many come before. */
uint64_t shard_share(uint64_t total, long index, long count, uint64_t *first);

/* Once every option was read and the defaults derived: resolve --shard
 * (explicit or from the environment via get), check that the run can be
 * split (at least one publisher and subscriber per shard, at most
 * max_peers shards while the control plane is on, since each process
 * follows at most that many of the other side; both: --host and --run-id
 * given, and --processes set), keep the whole run's values
 * in cfg->shard_whole and put this shard's share into cfg. Without --shard,
 * cfg is left as it is (shard 0 of 1). 0, or -1 with one line in err. */
int shard_configure(struct mb_config *cfg, shard_getenv_fn get, long max_peers, char *err, size_t errlen);

/* cfg as `config` records it: with the whole run's values put back when cfg
 * is a shard's (cfg->shard_whole.set); unchanged otherwise. */
void shard_whole_config(struct mb_config *cfg);

#endif
