/* conn_plan: the schedule of `mqttbench conn` (connection churn), as pure
 * arithmetic. Connect k (0 .. total-1) is due at t0 + k * interval, open
 * loop: it is started then however slow the ones before it are, unless all
 * --clients connections are busy (it then starts late, and is counted so).
 * Connect k runs on worker k mod T. Its client id is number k, or k mod
 * --id-pool with a pool. */
#ifndef MB_CONN_PLAN_H
#define MB_CONN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define CONN_DEFAULT_CLIENTS 100
#define CONN_DEFAULT_RATE 100.0          /* connects/s */
#define CONN_DEFAULT_DURATION_NS 10000000000ull

/* conn's defaults that follow from other options (options.c's
 * derive_defaults): --clients, --rate, and --duration unless --count. */
void conn_defaults(struct mb_config *cfg);

/* conn's cross-option checks. 0, or -1 with one line in err. */
int conn_validate(const struct mb_config *cfg, char *err, size_t errlen);

/* Connects in the run: --count, or --rate times --duration (rounded down). */
uint64_t conn_total(const struct mb_config *cfg);

/* ns between two connects of the run (1e9 / rate). */
uint64_t conn_interval_ns(const struct mb_config *cfg);

/* The client id number of connect k: k, or k mod --id-pool. */
uint64_t conn_id_number(const struct mb_config *cfg, uint64_t k);

#endif
