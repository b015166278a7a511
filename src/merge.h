/* merge: `mqttbench merge A.json B.json ... -o OUT.json` — one result from the
 * results of processes that ran one scenario at the same time (several hosts,
 * or a `pub` and a `sub` of one run id). Documented in docs/ci.md. */
#ifndef MB_MERGE_H
#define MB_MERGE_H

#include <stddef.h>

struct run_result;

/* Exit codes of `mqttbench merge` (main returns them unchanged). */
enum { MERGE_EXIT_OK = 0, MERGE_EXIT_FAILED = 1, MERGE_EXIT_USAGE = 2 };

#define MERGE_MAX_INPUTS 1024

/* Merge n (2 .. MERGE_MAX_INPUTS) results read by result_from_json
 * (names[i] names in[i] in messages) into *out (zeroed first; the caller
 * frees it with result_free, also on failure). Inputs must share a scenario
 * (metrics_scenario_diff), except that `pub` and `sub` results of one
 * config.run_id merge into a `both` result (publish from the pub inputs,
 * subscribe and latency from the sub inputs; their qos, protocol and topic
 * must agree). Two inputs holding the result of one process (same run id,
 * host, pid, start time and mode, also inside merged inputs) are refused.
 * The typed data are combined by the workers' rules (stats_merge,
 * result_add_failure), plus: phases and durations the longest, the
 * timeseries on the wall clock (series_merge), warnings concatenated, status
 * the worst input's, and "sources" listing every process. Inputs that did
 * not run at the same time give a warning in the result. --repeat results are
 * refused. The merged result passes result_from_json. Returns 0, -1 when an
 * input is unusable (err: "NAME: problem", or what differs), or -2 when out
 * of memory. */
int merge_results(const struct run_result *in, const char *const *names, size_t n, struct run_result *out,
                  char *err, size_t errlen);

/* The `merge` command; argv[0] is "merge". Returns MERGE_EXIT_OK,
 * MERGE_EXIT_FAILED (the output could not be written), or MERGE_EXIT_USAGE
 * (bad usage, an unusable input, different scenarios). Errors go to stderr. */
int merge_main(int argc, char **argv);

#endif
