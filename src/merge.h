/* merge: `mqttbench merge A.json B.json ... -o OUT.json` — one result from the
 * results of processes that ran one scenario at the same time (several hosts,
 * or a `pub` and a `sub` of one run id). Documented in docs/ci.md. */
#ifndef MB_MERGE_H
#define MB_MERGE_H

#include <stddef.h>

struct cJSON;

/* Exit codes of `mqttbench merge` (main returns them unchanged). */
enum { MERGE_EXIT_OK = 0, MERGE_EXIT_FAILED = 1, MERGE_EXIT_USAGE = 2 };

/* Merge n >= 2 parsed result documents (names[i] names inputs[i] in
 * messages). Inputs must share a scenario (metrics_scenario_diff), except
 * that `pub` and `sub` results of one config.run_id merge into a `both`
 * result (publish from the pub inputs, subscribe and latency from the sub
 * inputs; their qos, protocol and topic must agree). Counts are summed,
 * the latency histograms (latency_us, service_latency_us, connect.time_us)
 * merged exactly and their keys rebuilt as the writer builds them, rates
 * recomputed as messages / the longest duration, the timeseries merged by
 * wall-clock second, status is the worst input's, and "sources" lists the
 * inputs; keys merge does not know are left out (docs/ci.md has every rule).
 * Results of --repeat are refused. Nothing in the inputs is modified. On success *out is the merged document (caller frees it with
 * cJSON_Delete) and 0 is returned; -1 means an input is unusable (err:
 * "NAME: problem", or the scenario differences), -2 out of memory. */
int merge_results(struct cJSON *const *inputs, const char *const *names, size_t n,
                  struct cJSON **out, char *err, size_t errlen);

/* The `merge` command; argv[0] is "merge". Returns MERGE_EXIT_OK,
 * MERGE_EXIT_FAILED (the output could not be written), or MERGE_EXIT_USAGE
 * (bad usage, an unusable input, different scenarios). Errors go to stderr. */
int merge_main(int argc, char **argv);

#endif
