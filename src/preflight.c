/* Resource checks before connecting: fds and local ports. */
#include "preflight.h"

#include <stdio.h>
#include <sys/resource.h>

#define PREFLIGHT_FD_MARGIN 64   /* stdio, epoll and eventfds, result file, $SYS client */

long preflight_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1L << 30) ? (1L << 30) : (long)rl.rlim_cur;
}

long preflight_fds_needed(const struct mb_config *cfg)
{
    return (long)cfg->publishers + cfg->subscribers + cfg->conn_clients + 1 + cfg->threads * 2 + PREFLIGHT_FD_MARGIN;
}

/* Local ports per source address, from net.ipv4.ip_local_port_range. */
static long local_ports(void)
{
    long lo = 32768, hi = 60999;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &lo, &hi) != 2) {
            lo = 32768;
            hi = 60999;
        }
        fclose(f);
    }
    return hi >= lo ? hi - lo + 1 : 0;
}

int preflight_check(const struct mb_config *cfg, long nofile, char *err, size_t errlen)
{
    long clients = (long)cfg->publishers + cfg->subscribers + cfg->conn_clients + 1;
    long need = preflight_fds_needed(cfg);
    if (need > nofile) {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        snprintf(err, errlen,
                 "%ld clients need about %ld file descriptors, but this process may open %ld "
                 "(hard limit %lld): raise it (`ulimit -Hn %ld; ulimit -n %ld` as root, or LimitNOFILE= "
                 "for a service) or use fewer clients per process",
                 clients, need, nofile, (long long)rl.rlim_max, need, need);
        return -1;
    }
    long ports = local_ports();
    long sources = cfg->nbind ? cfg->nbind : 1;
    if (clients > ports * sources) {
        snprintf(err, errlen,
                 "%ld connections to one broker address need as many local ports, but "
                 "net.ipv4.ip_local_port_range gives %ld per source address: add --bind-address "
                 "addresses (%ld ports each) or widen the range (sysctl net.ipv4.ip_local_port_range)",
                 clients, ports, ports);
        return -1;
    }
    return 0;
}
