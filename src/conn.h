/* conn: `mqttbench conn`, connection churn. Clients connect at --rate
 * (open loop, conn_plan.h), each stays --lifetime once ready (CONNACK, and
 * SUBACK with --subscribe), then sends DISCONNECT; at most --clients are
 * open at once. Measured: the connect timings (stats connect_*: TCP, TLS,
 * CONNACK), connects done per second, failures by kind and reason, and
 * --id-pool takeovers. It runs on the workers of worker.c (one epoll loop per
 * thread, the connection slots as its clients) and merges their stats after
 * they joined, like run.c. */
#ifndef MB_CONN_H
#define MB_CONN_H

#include <signal.h>
#include <stdint.h>

#include "options.h"
#include "result.h"

struct worker;
struct run_target;

/* The worker's share of the schedule, on its thread, every loop turn while
 * the phase is PHASE_MEASURE: end lifetimes and timeouts, free the slots of
 * ended connects, start the connects that are due. Returns the ns until it
 * needs its next turn, at most max_ns. */
uint64_t conn_worker_turn(struct worker *w, uint64_t now_ns, uint64_t max_ns);

/* Run the conn benchmark cfg describes against target: fills res as
 * run_execute does (res->env filled by the caller); res->status says how it
 * ended: failed when not one connect succeeded, aborted when interrupted.
 * Never exits the process. */
void conn_execute(const struct mb_config *cfg, const struct run_target *target, struct run_result *res,
                  volatile sig_atomic_t *interrupted);

#endif
