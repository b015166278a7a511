/* conn_plan: the connect schedule of `mqttbench conn` (see conn_plan.h). */
#include "conn_plan.h"

#include <math.h>

#include "errmsg.h"

void conn_defaults(struct mb_config *cfg)
{
    if (!cfg->conn_clients) cfg->conn_clients = CONN_DEFAULT_CLIENTS;
    if (!cfg->rate_given) cfg->rate = CONN_DEFAULT_RATE;
    if (!cfg->count_given && !cfg->duration_ns) cfg->duration_ns = CONN_DEFAULT_DURATION_NS;
}

uint64_t conn_total(const struct mb_config *cfg)
{
    if (cfg->count_given) return cfg->count;
    return (uint64_t)floor(cfg->rate * ((double)cfg->duration_ns / 1e9) + 1e-9);
}

uint64_t conn_interval_ns(const struct mb_config *cfg)
{
    return cfg->rate > 0 ? (uint64_t)(1e9 / cfg->rate) : 0;
}

uint64_t conn_id_number(const struct mb_config *cfg, uint64_t k)
{
    return cfg->id_pool > 0 ? k % (uint64_t)cfg->id_pool : k;
}

int conn_validate(const struct mb_config *cfg, char *err, size_t errlen)
{
    if (!(cfg->rate > 0))
        return errmsg_set(err, errlen, "--rate: conn needs a rate above 0 (connects per second)");
    if (cfg->rate > 1e6)
        return errmsg_set(err, errlen, "--rate: conn makes at most 1000000 connects per second");
    if (cfg->count_given && cfg->duration_ns)
        return errmsg_set(err, errlen, "--count: not with --duration in conn (give the connects or the time)");
    if (conn_total(cfg) < 1)
        return errmsg_set(err, errlen, "--duration: at --rate %g, %.3f s holds no connect", cfg->rate,
                          (double)cfg->duration_ns / 1e9);
    if (conn_total(cfg) > UINT32_MAX)
        return errmsg_set(err, errlen, "--count: conn makes at most %u connects in a run", (unsigned)UINT32_MAX);
    return 0;
}
