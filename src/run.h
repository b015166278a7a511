/* run: one benchmark run from connect to drain. Builds the workers, steers
 * them through the phases, prints progress, and fills a struct run_result. */
#ifndef MB_RUN_H
#define MB_RUN_H

#include <signal.h>
#include <stdbool.h>

#include "options.h"
#include "result.h"

struct metricsrv;

/* Where to connect, and where live metrics go. */
struct run_target {
    const char *ip;     /* numeric address */
    int port;
    struct metricsrv *metrics;  /* --metrics-listen/--metrics-file (metricsrv.h); NULL = none */
};

/* Run the benchmark cfg describes against target. *interrupted becomes
 * non-zero from a signal handler to stop early. Fills res (res->env must be
 * filled by the caller); res->status says how it ended, res->error why.
 * Never exits the process. */
void run_execute(const struct mb_config *cfg, const struct run_target *target,
                 struct run_result *res, volatile sig_atomic_t *interrupted);

#endif
