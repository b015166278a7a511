/* shard: one part of a run of N identical command lines (see shard.h). */
#include "shard.h"

#include <stdio.h>
#include <string.h>

#include "errmsg.h"

/* Digits only (no sign, no space), at most SHARD_MAX: 0 with *out, or -1. */
static int read_number(const char *s, size_t len, long *out)
{
    long v = 0;
    if (len == 0 || len > 7) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > SHARD_MAX) return -1;
    *out = v;
    return 0;
}

int shard_parse(const char *arg, long *index, long *count, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(32)];
    if (!strcmp(arg, "auto")) {
        *index = *count = -1;
        return 0;
    }
    const char *slash = strchr(arg, '/');
    long i, n;
    errmsg_sanitize(arg, 32, shown, sizeof(shown));
    if (!slash || read_number(arg, (size_t)(slash - arg), &i) != 0 || read_number(slash + 1, strlen(slash + 1), &n) != 0)
        return errmsg_set(err, errlen, "--shard: expected I/N (shard I of N, from 0) or auto, got '%s'", shown);
    if (n < 1) return errmsg_set(err, errlen, "--shard: at least 1 shard, got '%s'", shown);
    if (i >= n) return errmsg_set(err, errlen, "--shard: shard %ld of %ld does not exist (0 to %ld)", i, n, n - 1);
    *index = i;
    *count = n;
    return 0;
}

/* The launchers --shard auto knows: the variable of this process's index
 * and that of the number of processes (NULL: --shards or MQTTBENCH_SHARDS). */
static const struct {
    const char *index, *count;
} launchers[] = {
    { "JOB_COMPLETION_INDEX", NULL },
    { "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE" },
    { "PMI_RANK", "PMI_SIZE" },
    { "SLURM_PROCID", "SLURM_NTASKS" },
};

/* The variable name's value as a number: 0, or -1 with err. */
static int env_number(shard_getenv_fn get, const char *name, long *out, char *err, size_t errlen)
{
    const char *v = get(name);
    char shown[ERRMSG_SHOWN(32)];
    if (v && read_number(v, strlen(v), out) == 0) return 0;
    errmsg_sanitize(v, 32, shown, sizeof(shown));
    return v ? errmsg_set(err, errlen, "--shard auto: %s is '%s', not a number from 0 to %ld", name, shown, SHARD_MAX)
             : errmsg_set(err, errlen, "--shard auto: %s is not set", name);
}

int shard_from_env(shard_getenv_fn get, long shards_flag, long *index, long *count, const char **source,
                   char *err, size_t errlen)
{
    for (size_t k = 0; k < sizeof(launchers) / sizeof(launchers[0]); k++) {
        const char *v = get(launchers[k].index);
        if (!v || !*v) continue;
        long i, n = shards_flag;
        if (env_number(get, launchers[k].index, &i, err, errlen) != 0) return -1;
        /* Kubernetes does not tell a pod the Job's completions. */
        const char *size_var = launchers[k].count ? launchers[k].count : "MQTTBENCH_SHARDS";
        const char *size = get(size_var);
        if (size && *size) {
            if (env_number(get, size_var, &n, err, errlen) != 0) return -1;
            if (shards_flag && n != shards_flag)
                return errmsg_set(err, errlen, "--shards %ld, but %s is %ld", shards_flag, size_var, n);
        } else if (launchers[k].count || !shards_flag) {
            return errmsg_set(err, errlen, "--shard auto: %s is set but %s is not%s", launchers[k].index, size_var,
                              launchers[k].count ? "" : " (or give --shards N, the Job's completions)");
        } else {
            size_var = "--shards";
        }
        if (n < 1 || i >= n)
            return errmsg_set(err, errlen, "--shard auto: %s is %ld, not below %ld (%s)", launchers[k].index, i, n,
                              size_var);
        *index = i;
        *count = n;
        *source = launchers[k].index;
        return 0;
    }
    return errmsg_set(err, errlen, "--shard auto: none of JOB_COMPLETION_INDEX, OMPI_COMM_WORLD_RANK, PMI_RANK, "
                      "SLURM_PROCID is set (give --shard I/N)");
}

uint64_t shard_share(uint64_t total, long index, long count, uint64_t *first)
{
    uint64_t i = (uint64_t)index, n = (uint64_t)count, base = total / n, extra = total % n;
    *first = i * base + (i < extra ? i : extra);
    return base + (i < extra ? 1 : 0);
}

int shard_configure(struct mb_config *cfg, shard_getenv_fn get, long max_peers, char *err, size_t errlen)
{
    long i, n;
    const char *source = "--shard";
    if (!cfg->shard_arg) {
        if (cfg->shards_given) return errmsg_set(err, errlen, "--shards: only with --shard auto");
        cfg->shard_index = 0;
        cfg->shard_count = 1;
        return 0;
    }
    if (cfg->sweep) return errmsg_set(err, errlen, "--shard: not with sweep (each step is a run of its own)");
    if (shard_parse(cfg->shard_arg, &i, &n, err, errlen) != 0) return -1;
    if (n < 0 && shard_from_env(get, cfg->shards_given ? cfg->shard_count : 0, &i, &n, &source, err, errlen) != 0)
        return -1;
    if (cfg->shards_given && n != cfg->shard_count)
        return errmsg_set(err, errlen, "--shards %ld, but --shard says %ld shards", cfg->shard_count, n);
    bool pub = cfg->mode != MB_MODE_SUB, sub = cfg->mode != MB_MODE_PUB;
    if (pub && cfg->publishers < n)
        return errmsg_set(err, errlen, "--shard: %ld shards need at least %ld publishers (--publishers is %d)", n, n,
                          cfg->publishers);
    if (sub && cfg->subscribers < n)
        return errmsg_set(err, errlen, "--shard: %ld shards need at least %ld subscribers (--subscribers is %d)", n,
                          n, cfg->subscribers);
    if (n > max_peers && !cfg->no_control)
        return errmsg_set(err, errlen, "--shard: %ld shards, but a process of the control plane follows at most %ld "
                          "of the other side; use at most %ld shards, or --no-control", n, max_peers, max_peers);
    if (cfg->mode == MB_MODE_BOTH && (!cfg->host || !cfg->run_id_given))
        return errmsg_set(err, errlen, "--shard: both needs --host and --run-id (every shard's broker and run)");
    cfg->shard_index = i;
    cfg->shard_count = n;
    /* both: a pub and a sub process, coordinated with the other shards'. */
    if (cfg->mode == MB_MODE_BOTH) cfg->processes = true;
    cfg->shard_whole.set = true;
    cfg->shard_whole.publishers = cfg->publishers;
    cfg->shard_whole.subscribers = cfg->subscribers;
    cfg->shard_whole.count = cfg->count;
    cfg->shard_whole.rate = cfg->rate;
    cfg->shard_whole.first_publisher = cfg->first_publisher;
    cfg->shard_whole.id_prefix = cfg->id_prefix;

    uint64_t before;
    if (pub) {
        uint64_t P = (uint64_t)cfg->publishers, p = shard_share(P, i, n, &before);
        /* Each publisher's quota as in one process: count/P, and one more
         * for the first count%P publishers of the run. */
        uint64_t rest = cfg->count % P, extra = rest > before ? rest - before : 0;
        cfg->count = p * (cfg->count / P) + (extra < p ? extra : p);
        cfg->rate = cfg->rate * (double)p / (double)P;
        cfg->first_publisher += (long)before;
        cfg->publishers = (int)p;
    }
    if (sub) {
        cfg->subscribers = (int)shard_share((uint64_t)cfg->subscribers, i, n, &before);
        cfg->first_subscriber = (long)before;
    }
    snprintf(cfg->shard_id_prefix, sizeof(cfg->shard_id_prefix), "%s-%ld", cfg->id_prefix, i);
    cfg->id_prefix = cfg->shard_id_prefix;
    return 0;
}

void shard_whole_config(struct mb_config *cfg)
{
    if (!cfg->shard_whole.set) return;
    cfg->publishers = cfg->shard_whole.publishers;
    cfg->subscribers = cfg->shard_whole.subscribers;
    cfg->count = cfg->shard_whole.count;
    cfg->rate = cfg->shard_whole.rate;
    cfg->first_publisher = cfg->shard_whole.first_publisher;
    cfg->id_prefix = cfg->shard_whole.id_prefix;
    cfg->shard_whole.set = false;
}
