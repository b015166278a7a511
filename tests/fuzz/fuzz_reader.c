/* libFuzzer target for the result reader: bytes go through reader_parse (the
 * path reader_load takes after reading a file), then through everything that
 * consumes a parsed result: metrics_extract(_spread), reader_histogram,
 * metrics_scenario_diff, compare_evaluate, merge_results and, for the merged
 * document, jsonfile_print and reader_parse again. Built by
 * `make fuzz`, run by `make fuzz-run` (tests/fuzz/fuzz.mk). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "hist.h"
#include "jsonfile.h"
#include "merge.h"
#include "metrics.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hist h;
    char err[512];
    cJSON *root;
    if (reader_parse((const char *)data, size, "fuzz", &root, err, sizeof(err)) != 0)
        return 0;

    struct metrics m;
    struct metrics_spread s;
    int have_metrics = metrics_extract(root, &m, err, sizeof(err)) == 0;
    if (metrics_extract_spread(root, &s, err, sizeof(err)) == 0) {
        struct compare_opts o = { 10, 20, false };
        struct compare_report rep;
        compare_evaluate(&s, &s, &o, &rep);
    }
    (void)have_metrics;
    const cJSON *lat = reader_find(root, "latency_us");
    if (lat)
        (void)reader_histogram(lat, &h, err, sizeof(err));
    char diff[256];
    (void)metrics_scenario_diff(root, root, diff, sizeof(diff));

    /* merge the document with a copy of itself */
    cJSON *copy = cJSON_Duplicate(root, 1);
    if (copy) {
        cJSON *in[2] = { root, copy }, *merged = NULL;
        const char *names[2] = { "a", "b" };
        if (merge_results(in, names, 2, &merged, err, sizeof(err)) == 0) {
            /* what merge writes must read back */
            char *text = jsonfile_print(merged);
            if (text) {
                cJSON *again;
                if (reader_parse(text, strlen(text), "merged", &again, err, sizeof(err)) != 0)
                    abort();        /* merge wrote something the reader refuses */
                cJSON_Delete(again);
                free(text);
            }
            cJSON_Delete(merged);
        }
        cJSON_Delete(copy);
    }
    cJSON_Delete(root);
    return 0;
}
