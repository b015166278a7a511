/* libFuzzer target for the result reader: bytes go through result_parse
 * (reader_parse, the path reader_load takes after reading a file, then
 * result_from_json, the one typed reader), then through everything that consumes a typed result:
 * metrics_extract_spread, compare_evaluate, metrics_scenario_diff and
 * merge_results. Oracle: whatever the reader accepts, the writer's text of
 * it must read back and give the same text again, and so must the merge of
 * it with another process's copy of it. Built by `make fuzz`, run by
 * `make fuzz-run` (tests/fuzz/fuzz.mk). */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "jsonfile.h"
#include "merge.h"
#include "metrics.h"
#include "reader.h"
#include "result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The writer's text of r (NULL when out of memory). */
static char *text_of(const struct run_result *r)
{
    cJSON *doc = result_to_json(r);
    char *text = doc ? jsonfile_print(doc) : NULL;
    cJSON_Delete(doc);
    return text;
}

/* text into r; -1 when refused, -2 out of memory. */
static int read_text(const char *text, struct run_result *r, char *err, size_t errlen)
{
    return result_parse(text, strlen(text), "text", r, err, errlen);
}

/* The oracle: t1 (the writer's text of a result) reads back into *again and
 * its text is t1 again. Aborts otherwise; returns 0, or -1 when out of memory. */
static int same_after_round_trip(const char *t1, struct run_result *again)
{
    char err[512];
    int rc = read_text(t1, again, err, sizeof(err));
    if (rc == -2)
        return -1;
    if (rc != 0)
        abort();                /* the writer wrote something the reader refuses */
    char *t2 = text_of(again);
    if (t2 && strcmp(t1, t2) != 0)
        abort();                /* written, read, written: not the same bytes */
    free(t2);
    return t2 ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct run_result r, back, other, merged, merged_back;
    char err[512];
    int rc = result_parse((const char *)data, size, "fuzz", &r, err, sizeof(err));
    char *t1 = rc == 0 ? text_of(&r) : NULL;
    if (t1 && same_after_round_trip(t1, &back) == 0) {
        struct metrics_spread s;
        struct compare_report rep;
        struct compare_opts o = { 10, 20, false };
        char diff[256];
        metrics_extract_spread(&r, &s);
        compare_evaluate(&s, &s, &o, &rep);
        (void)metrics_scenario_diff(&r, &back, diff, sizeof(diff));

        /* merged with the same result from another process */
        if (read_text(t1, &other, err, sizeof(err)) == 0) {
            other.env.pid++;
            for (size_t i = 0; i < other.nsources; i++)
                other.sources[i].pid++;
            struct run_result in[2] = { r, other };
            const char *names[2] = { "a", "b" };
            if (merge_results(in, names, 2, &merged, err, sizeof(err)) == 0) {
                char *m1 = text_of(&merged);
                if (m1)
                    (void)same_after_round_trip(m1, &merged_back);
                free(m1);
            }
        }
    }
    free(t1);
    result_free(&r);
    result_free(&back);
    result_free(&other);
    result_free(&merged);
    result_free(&merged_back);
    return 0;
}
