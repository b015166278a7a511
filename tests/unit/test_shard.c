/* Unit tests for src/shard.c: the split of one run over N shards, --shard's
 * value, the launchers' environment, and what `config` records. */
#include "shard.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "result.h"
#include "test.h"

/* A fake environment: NAME=VALUE pairs, NULL-terminated. */
static const char *const *env_now;
static char *fake_getenv(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = env_now; e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=') return (char *)*e + n + 1;
    return NULL;
}

static void test_parse(void)
{
    long i = 9, n = 9;
    char err[256];
    CHECK("parse: 1/3", shard_parse("1/3", &i, &n, err, sizeof(err)) == 0 && i == 1 && n == 3);
    CHECK("parse: 0/1", shard_parse("0/1", &i, &n, err, sizeof(err)) == 0 && i == 0 && n == 1);
    CHECK("parse: auto", shard_parse("auto", &i, &n, err, sizeof(err)) == 0 && i == -1 && n == -1);
    CHECKF("parse: 3/3 is refused, naming the range",
           shard_parse("3/3", &i, &n, err, sizeof(err)) == -1 && strstr(err, "0 to 2"), "%s", err);
    CHECKF("parse: 0/0 is refused", shard_parse("0/0", &i, &n, err, sizeof(err)) == -1 &&
           !strcmp(err, "--shard: at least 1 shard, got '0/0'"), "%s", err);
    const char *bad[] = { "", "1", "1/", "/3", "-1/3", "1/-3", "+1/3", " 1/3", "1/3 ", "a/3", "1/3/4", "1.0/3",
                          "99999999/100000000", "Auto" };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        char label[64];
        snprintf(label, sizeof(label), "parse: '%s' is refused with one line", bad[k]);
        int rc = shard_parse(bad[k], &i, &n, err, sizeof(err));
        CHECKF(label, rc == -1 && strstr(err, "--shard: expected I/N") && !strchr(err, '\n'), "rc %d, '%s'", rc, err);
    }
}

/* Shares of every total over every count: exact sums, contiguous, differing
 * by at most one. */
static void test_share(void)
{
    bool sums = true, contiguous = true, even = true;
    for (uint64_t total = 0; total <= 50; total++) {
        for (long n = 1; n <= 12; n++) {
            uint64_t sum = 0, lo = UINT64_MAX, hi = 0, next = 0;
            for (long i = 0; i < n; i++) {
                uint64_t first, s = shard_share(total, i, n, &first);
                if (first != next) contiguous = false;
                next = first + s;
                sum += s;
                if (s < lo) lo = s;
                if (s > hi) hi = s;
            }
            if (sum != total) sums = false;
            if (hi - lo > 1) even = false;
        }
    }
    CHECK("share: the shares add up to the total", sums);
    CHECK("share: each shard starts where the one before ended", contiguous);
    CHECK("share: shares differ by at most one", even);
    uint64_t first;
    CHECK("share: 10 over 3 is 4, 3, 3", shard_share(10, 0, 3, &first) == 4 && first == 0 &&
                                         shard_share(10, 1, 3, &first) == 3 && first == 4 &&
                                         shard_share(10, 2, 3, &first) == 3 && first == 7);
    CHECK("share: no wrap at 2^53", shard_share(9007199254740992ull, 2, 3, &first) == 3002399751580330ull &&
                                    first == 6004799503160662ull);
}

static void test_env(void)
{
    long i = -5, n = -5;
    const char *src = NULL;
    char err[256];
    const char *k8s[] = { "JOB_COMPLETION_INDEX=2", NULL };
    env_now = k8s;
    CHECK("env: JOB_COMPLETION_INDEX with --shards", shard_from_env(fake_getenv, 4, &i, &n, &src, err, sizeof(err)) == 0 &&
                                                     i == 2 && n == 4 && !strcmp(src, "JOB_COMPLETION_INDEX"));
    CHECKF("env: JOB_COMPLETION_INDEX without --shards or MQTTBENCH_SHARDS is refused",
           shard_from_env(fake_getenv, 0, &i, &n, &src, err, sizeof(err)) == -1 && strstr(err, "MQTTBENCH_SHARDS") &&
           strstr(err, "--shards"), "%s", err);
    CHECKF("env: an index not below --shards is refused",
           shard_from_env(fake_getenv, 2, &i, &n, &src, err, sizeof(err)) == -1 &&
           strstr(err, "JOB_COMPLETION_INDEX is 2, not below 2"), "%s", err);
    const char *k8s_env[] = { "JOB_COMPLETION_INDEX=0", "MQTTBENCH_SHARDS=3", NULL };
    env_now = k8s_env;
    CHECK("env: MQTTBENCH_SHARDS", shard_from_env(fake_getenv, 0, &i, &n, &src, err, sizeof(err)) == 0 && i == 0 && n == 3);
    CHECKF("env: --shards disagreeing with MQTTBENCH_SHARDS is refused",
           shard_from_env(fake_getenv, 4, &i, &n, &src, err, sizeof(err)) == -1 &&
           strstr(err, "--shards 4, but MQTTBENCH_SHARDS is 3"), "%s", err);
    const char *slurm[] = { "SLURM_PROCID=1", "SLURM_NTASKS=3", "SLURM_JOB_ID=7", NULL };
    env_now = slurm;
    CHECK("env: SLURM_PROCID/SLURM_NTASKS", shard_from_env(fake_getenv, 0, &i, &n, &src, err, sizeof(err)) == 0 &&
                                            i == 1 && n == 3 && !strcmp(src, "SLURM_PROCID"));
    CHECK("env: --shards agreeing with SLURM_NTASKS", shard_from_env(fake_getenv, 3, &i, &n, &src, err, sizeof(err)) == 0);
    CHECKF("env: --shards disagreeing with SLURM_NTASKS is refused",
           shard_from_env(fake_getenv, 2, &i, &n, &src, err, sizeof(err)) == -1 &&
           strstr(err, "--shards 2, but SLURM_NTASKS is 3"), "%s", err);
    const char *slurm_no_size[] = { "SLURM_PROCID=1", NULL };
    env_now = slurm_no_size;
    CHECKF("env: SLURM_PROCID without SLURM_NTASKS is refused",
           shard_from_env(fake_getenv, 0, &i, &n, &src, err, sizeof(err)) == -1 &&
           strstr(err, "SLURM_PROCID is set but SLURM_NTASKS is not"), "%s", err);
    const char *slurm_bad[] = { "SLURM_PROCID=3", "SLURM_NTASKS=3", NULL };
    env_now = slurm_bad;
    CHECKF("env: SLURM_PROCID not below SLURM_NTASKS is refused",
           shard_from_env(fake_getenv, 0, &i, &n, &src, err, sizeof(err)) == -1 && strstr(err, "SLURM_PROCID is 3"),
           "%s", err);
    const char *mpi_in_slurm[] = { "SLURM_PROCID=0", "SLURM_NTASKS=1", "OMPI_COMM_WORLD_RANK=5",
                                   "OMPI_COMM_WORLD_SIZE=8", NULL };
    env_now = mpi_in_slurm;
    CHECK("env: mpirun inside a Slurm step: the MPI rank", shard_from_env(fake_getenv, 0, &i, &n, &src, err,
                                                                          sizeof(err)) == 0 && i == 5 && n == 8 &&
                                                           !strcmp(src, "OMPI_COMM_WORLD_RANK"));
    const char *pmi[] = { "PMI_RANK=2", "PMI_SIZE=4", NULL };
    env_now = pmi;
    CHECK("env: PMI_RANK/PMI_SIZE", shard_from_env(fake_getenv, 0, &i, &n, &src, err, sizeof(err)) == 0 && i == 2 && n == 4);
    const char *garbage[] = { "PMI_RANK=2x", "PMI_SIZE=4", NULL };
    env_now = garbage;
    CHECKF("env: an index that is not a number is refused, sanitized",
           shard_from_env(fake_getenv, 0, &i, &n, &src, err, sizeof(err)) == -1 &&
           strstr(err, "PMI_RANK is '2x', not a number"), "%s", err);
    const char *ctl[] = { "SLURM_PROCID=\x1b[31m", "SLURM_NTASKS=3", NULL };
    env_now = ctl;
    CHECKF("env: control characters are not echoed",
           shard_from_env(fake_getenv, 0, &i, &n, &src, err, sizeof(err)) == -1 && !strchr(err, '\x1b'), "%s", err);
    const char *none[] = { "HOME=/root", "JOB_COMPLETION_INDEX=", NULL };
    env_now = none;
    CHECKF("env: no launcher is refused, naming the variables",
           shard_from_env(fake_getenv, 0, &i, &n, &src, err, sizeof(err)) == -1 &&
           strstr(err, "none of JOB_COMPLETION_INDEX, OMPI_COMM_WORLD_RANK, PMI_RANK, SLURM_PROCID is set"), "%s", err);
    env_now = NULL;
}

/* A pub or sub config as options_parse would leave it before the split. */
static struct mb_config base(enum mb_mode mode, int P, int S, uint64_t count, double rate, const char *shard)
{
    struct mb_config c;
    memset(&c, 0, sizeof(c));
    c.mode = mode;
    c.publishers = mode == MB_MODE_SUB ? 0 : P;
    c.subscribers = mode == MB_MODE_PUB ? 0 : S;
    c.count = count;
    c.rate = rate;
    c.id_prefix = "mqttbench";
    c.shard_arg = shard;
    c.shard_count = 1;
    return c;
}

/* run.c's rule: publisher j of p gets count/p, the first count%p one more. */
static uint64_t quota(uint64_t count, uint64_t p, uint64_t j)
{
    return count / p + (j < count % p ? 1 : 0);
}

static void test_configure(void)
{
    char err[256], arg[32];
    struct mb_config c = base(MB_MODE_PUB, 10, 0, 1000, 30000, "1/3");
    CHECK("configure: pub 1/3 of 10 publishers", shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == 0 &&
                                                 c.publishers == 3 && c.first_publisher == 4 && c.count == 300 &&
                                                 fabs(c.rate - 9000) < 1e-9 && c.shard_index == 1 && c.shard_count == 3);
    CHECKF("configure: the shard's client id prefix", !strcmp(c.id_prefix, "mqttbench-1"), "%s", c.id_prefix);
    shard_whole_config(&c);
    CHECK("configure: config records the whole run", c.publishers == 10 && c.first_publisher == 0 && c.count == 1000 &&
                                                     c.rate == 30000 && !strcmp(c.id_prefix, "mqttbench") &&
                                                     c.shard_index == 1 && c.shard_count == 3);

    /* Every split of small runs: publishers, subscribers and messages add up,
     * and each publisher's quota is the one it has in one process. */
    bool exact = true, same_quota = true, rate_ok = true, subs_ok = true;
    for (int P = 1; P <= 9 && exact; P++) {
        for (long N = 1; N <= P; N++) {
            for (uint64_t C = 0; C <= 30; C++) {
                uint64_t sum = 0;
                long pubs = 0, next = 5;
                double rate = 0;
                for (long i = 0; i < N; i++) {
                    snprintf(arg, sizeof(arg), "%ld/%ld", i, N);
                    struct mb_config s = base(MB_MODE_PUB, P, 0, C, 1000, arg);
                    s.first_publisher = 5;
                    if (shard_configure(&s, fake_getenv, 64, err, sizeof(err)) != 0 || s.first_publisher != next) {
                        exact = false;
                        break;
                    }
                    for (int j = 0; j < s.publishers; j++)
                        if (quota(s.count, (uint64_t)s.publishers, (uint64_t)j) !=
                            quota(C, (uint64_t)P, (uint64_t)(s.first_publisher - 5 + j)))
                            same_quota = false;
                    next += s.publishers;
                    sum += s.count;
                    pubs += s.publishers;
                    rate += s.rate;
                    if (fabs(s.rate / s.publishers - 1000.0 / P) > 1e-9) rate_ok = false;
                }
                if (sum != C || pubs != P) exact = false;
                if (fabs(rate - 1000) > 1e-6) rate_ok = false;
            }
            long subs = 0, nextsub = 0;
            for (long i = 0; i < N; i++) {
                snprintf(arg, sizeof(arg), "%ld/%ld", i, N);
                struct mb_config s = base(MB_MODE_SUB, 0, P, 500, 0, arg);
                if (shard_configure(&s, fake_getenv, 64, err, sizeof(err)) != 0 || s.first_subscriber != nextsub ||
                    s.count != 500)
                    subs_ok = false;
                nextsub += s.subscribers;
                subs += s.subscribers;
            }
            if (subs != P) subs_ok = false;
        }
    }
    CHECK("configure: shares add up to the run's publishers and messages", exact);
    CHECK("configure: every publisher's quota is the one it has in one process", same_quota);
    CHECK("configure: every publisher runs at rate/P, and the rates add up", rate_ok);
    CHECK("configure: sub shards split the subscribers, numbered on; sub's --count is per subscriber", subs_ok);

    c = base(MB_MODE_PUB, 2, 0, 100, 0, "0/3");
    CHECKF("configure: fewer publishers than shards is refused",
           shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == -1 &&
           strstr(err, "3 shards need at least 3 publishers (--publishers is 2)"), "%s", err);
    c = base(MB_MODE_SUB, 0, 1, 0, 0, "1/2");
    CHECKF("configure: fewer subscribers than shards is refused",
           shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == -1 && strstr(err, "subscribers"), "%s", err);
    c = base(MB_MODE_PUB, 100, 0, 100, 0, "0/65");
    CHECKF("configure: more shards than the control plane follows is refused",
           shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == -1 && strstr(err, "at most 64") &&
           strstr(err, "--no-control"), "%s", err);
    c.no_control = true;
    CHECK("configure: ... but not with --no-control", shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == 0 &&
                                                      c.publishers == 2);
    c = base(MB_MODE_PUB, 4, 0, 100, 0, NULL);
    c.shards_given = true;
    CHECKF("configure: --shards without --shard is refused",
           shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == -1 && strstr(err, "--shards: only with --shard"),
           "%s", err);
    c = base(MB_MODE_PUB, 4, 0, 100, 0, NULL);
    CHECK("configure: no --shard: shard 0 of 1, nothing changed",
          shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == 0 && c.shard_index == 0 && c.shard_count == 1 &&
          c.publishers == 4 && c.count == 100 && !c.shard_whole.set && !strcmp(c.id_prefix, "mqttbench"));
    c = base(MB_MODE_PUB, 4, 0, 100, 0, "1/2");
    c.shards_given = true;
    c.shard_count = 3;
    CHECKF("configure: --shards disagreeing with --shard I/N is refused",
           shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == -1 && strstr(err, "--shards 3, but --shard says 2"),
           "%s", err);
    c = base(MB_MODE_BOTH, 4, 4, 100, 0, "1/2");
    CHECKF("configure: both without --host and --run-id is refused",
           shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == -1 && strstr(err, "needs --host and --run-id"),
           "%s", err);
    c.host = "broker";
    c.run_id_given = true;
    CHECK("configure: both runs as a pub and a sub process, with its share of both sides",
          shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == 0 && c.processes && c.publishers == 2 &&
          c.first_publisher == 2 && c.subscribers == 2 && c.first_subscriber == 2 && c.count == 50);
    const char *slurm[] = { "SLURM_PROCID=2", "SLURM_NTASKS=3", NULL };
    env_now = slurm;
    c = base(MB_MODE_PUB, 7, 0, 70, 0, "auto");
    CHECK("configure: auto from SLURM_PROCID", shard_configure(&c, fake_getenv, 64, err, sizeof(err)) == 0 &&
                                               c.shard_index == 2 && c.shard_count == 3 && c.publishers == 2 &&
                                               c.first_publisher == 5 && c.count == 20);
    env_now = NULL;
}

/* Through options_parse and the result writer: `config` holds the command
 * line's values and the resolved shard. */
static void test_recorded(void)
{
    char *argv[] = { "mqttbench", "pub", "--publishers", "5", "--count", "1001", "--rate", "500", "--shard", "auto",
                     "--shards", "2", "--id-prefix", "pod", NULL };
    struct mb_config cfg;
    char err[256];
    setenv("JOB_COMPLETION_INDEX", "1", 1);
    enum options_status st = options_parse(14, argv, &cfg, err, sizeof(err));
    unsetenv("JOB_COMPLETION_INDEX");
    CHECKF("recorded: pub --shard auto --shards 2 parses", st == OPTIONS_RUN, "%s", err);
    if (st != OPTIONS_RUN) return;
    CHECK("recorded: this process runs shard 1's share", cfg.publishers == 2 && cfg.first_publisher == 3 &&
                                                         cfg.count == 400 && !strcmp(cfg.id_prefix, "pod-1"));
    struct run_result r;
    memset(&r, 0, sizeof(r));
    r.env.latency_monotonic = false;
    r.cfg = &cfg;
    cJSON *o = result_config_json(&r);
    const cJSON *pubs = cJSON_GetObjectItem(o, "publishers"), *count = cJSON_GetObjectItem(o, "count");
    const cJSON *rate = cJSON_GetObjectItem(o, "rate"), *prefix = cJSON_GetObjectItem(o, "id_prefix");
    const cJSON *shard = cJSON_GetObjectItem(o, "shard"), *shards = cJSON_GetObjectItem(o, "shards");
    const cJSON *first = cJSON_GetObjectItem(o, "first_publisher");
    CHECK("recorded: config has the whole run's publishers, count, rate, first publisher and prefix",
          pubs && pubs->valuedouble == 5 && count && count->valuedouble == 1001 && rate && rate->valuedouble == 500 &&
          first && first->valuedouble == 0 && prefix && !strcmp(prefix->valuestring, "pod"));
    CHECK("recorded: config has shard 1 of 2", shard && shard->valuedouble == 1 && shards && shards->valuedouble == 2);
    cJSON_Delete(o);
}

int main(void)
{
    test_parse();
    test_share();
    test_env();
    test_configure();
    test_recorded();
    return test_failures ? 1 : 0;
}
