/* export: the percentile distribution (HdrHistogram's levels, mqttbench's
 * values), the .hgrm text and the per-second CSV. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "sample.h"
#include "test.h"

/* What f printed, as a string (caller frees). */
static char *capture(int (*print)(FILE *, const void *), const void *arg, int *rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    *rc = print(f, arg);
    fclose(f);
    return text;
}

static int print_hist(FILE *f, const void *h)
{
    return export_hgrm(f, h);
}

static void test_levels(void)
{
    static struct hist h;
    hist_init(&h);
    for (uint64_t v = 1; v <= 100000; v++) hist_record(&h, v * 100);
    struct export_pct_row *rows;
    long n = export_percentiles(&h, 5, &rows);
    /* HdrHistogram's levels: steps of 10 up to 50%, 5 up to 75%, 2.5 up to
     * 87.5%, 1.25 up to 93.75%, ... */
    static const double want[] = { 0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 77.5, 80, 82.5, 85, 87.5,
                                   88.75, 90, 91.25, 92.5, 93.75, 94.375 };
    bool levels = n > 22;
    for (size_t i = 0; levels && i < sizeof(want) / sizeof(want[0]); i++)
        levels = fabs(rows[i].percentile - want[i]) < 1e-9;
    CHECKF("percentiles: HdrHistogram's levels", levels, "n %ld, rows[6] %g", n, n > 6 ? rows[6].percentile : -1);
    bool values = true, counts = true;
    for (long i = 1; i < n - 1; i++) {
        values = values && rows[i].value_ns == hist_percentile(&h, rows[i].percentile);
        counts = counts && rows[i].total_count >= rows[i - 1].total_count &&
                 100.0 * (double)rows[i].total_count / (double)h.count >= rows[i].percentile;
    }
    CHECK("percentiles: each value is hist_percentile at its level", values);
    CHECK("percentiles: counts grow and reach each level", counts);
    CHECK("percentiles: first row is the exact min", rows[0].value_ns == 100 && rows[0].total_count == 1);
    CHECK("percentiles: last row is 100% at the exact max", rows[n - 1].percentile == 100.0 &&
                                                                 rows[n - 1].value_ns == 10000000 &&
                                                                 rows[n - 1].total_count == 100000);
    CHECK("percentiles: the level before 100% is below it", rows[n - 2].percentile < 100.0);
    free(rows);

    hist_init(&h);
    hist_record(&h, 5000);
    hist_record(&h, 5001);
    n = export_percentiles(&h, 5, &rows);
    CHECK("percentiles: one bucket gives 0% and 100%", n == 2 && rows[0].percentile == 0 && rows[0].value_ns == 5000 &&
                                                           rows[0].total_count == 2 && rows[1].value_ns == 5001);
    free(rows);

    /* Two buckets, 1 and 999 values: the second bucket's first level is the
     * one after 0 (10%), reported once, then 100%. */
    hist_init(&h);
    hist_record(&h, 1000);
    for (int i = 0; i < 999; i++) hist_record(&h, 900000);
    n = export_percentiles(&h, 5, &rows);
    CHECKF("percentiles: the last bucket is reported once before 100%",
           n == 3 && rows[1].percentile == 10 && rows[1].total_count == 1000 && rows[2].percentile == 100,
           "n %ld", n);
    free(rows);

    hist_init(&h);
    n = export_percentiles(&h, 5, &rows);
    CHECK("percentiles: empty histogram, no rows", n == 0 && rows == NULL);
}

static void test_hgrm(void)
{
    static struct hist h;
    hist_init(&h);
    for (uint64_t v = 1; v <= 1000; v++) hist_record(&h, v * 1000);
    int rc;
    char *t = capture(print_hist, &h, &rc);
    CHECK("hgrm: printed", rc == 0 && t);
    CHECK("hgrm: header as HdrHistogram's", !strncmp(t, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n", 57));
    CHECK("hgrm: first row", strstr(t, "\n    0.001000 0.000000000000          1           1.00\n") != NULL);
    /* 50%: the bucket of 500000 ns, [499712, 501760) (500 and 501 us), midpoint 500736. */
    CHECKF("hgrm: 50% row", strstr(t, "\n    0.500736 0.500000000000        501           2.00\n") != NULL, "%s", t);
    CHECK("hgrm: 100% row without the last column", strstr(t, "\n    1.000000 1.000000000000       1000\n#[Mean") != NULL);
    CHECK("hgrm: footer", strstr(t, "#[Mean    =     0.500500, StdDeviation   =     0.288675]\n"
                                    "#[Max     =     1.000000, Total count    =         1000]\n"
                                    "#[Buckets =           29, SubBuckets     =          256]\n") != NULL);
    size_t len = strlen(t);
    CHECK("hgrm: ends with the footer", len > 0 && t[len - 1] == '\n' && strstr(t, "SubBuckets") > t + len - 40);
    free(t);

    hist_init(&h);
    t = capture(print_hist, &h, &rc);
    CHECK("hgrm: empty histogram: header and footer only",
          rc == 0 && !strcmp(t, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
                                "#[Mean    =     0.000000, StdDeviation   =     0.000000]\n"
                                "#[Max     =     0.000000, Total count    =            0]\n"
                                "#[Buckets =           29, SubBuckets     =          256]\n"));
    free(t);
}

static void test_csv(void)
{
    static struct run_result r;
    static struct mb_config c;
    sample_result(&r, &c, MB_MODE_BOTH);
    int rc;
    char *t = capture(export_print_csv, &r, &rc);
    CHECK("csv: printed", rc == 0 && t);
    CHECK("csv: header", !strncmp(t, "t_s,phase,sent,received,sent_per_s,received_per_s,p50_us,p99_us\n", 64));
    size_t lines = 0;
    for (const char *p = t; *p; p++) lines += *p == '\n';
    CHECK("csv: one row a point", lines == r.npoints + 1);
    /* Point 2 of the sample: t 2.0002, 16000 sent, 47980 received, the
     * interval 1.0001 s after point 1. */
    CHECKF("csv: a row", strstr(t, "\n2.000200,measure,16000,47980,7999.200,23987.601,241.000,1760.500\n") != NULL, "%s", t);
    free(t);

    r.points[1].p50_us = 0;
    r.points[1].p99_us = 0;
    r.points[2].t_s = r.points[1].t_s;     /* no interval: no rate */
    r.measure_s = 3.0;
    r.drain_s = 1.0;
    t = capture(export_print_csv, &r, &rc);
    CHECKF("csv: none is an empty cell", strstr(t, "\n2.000200,drain,16000,47980,7999.200,23987.601,,\n") != NULL, "%s", t);
    CHECK("csv: measure until publishing ended", strstr(t, "\n1.000100,measure,") != NULL);
    CHECKF("csv: a zero interval has no rate; drain after publishing ended",
           strstr(t, "\n2.000200,drain,24000,71970,,,361.500,2640.750\n") != NULL, "%s", t);
    free(t);
    result_free(&r);
}

static void test_second(void)
{
    static struct run_result r;
    static struct mb_config c;
    sample_result(&r, &c, MB_MODE_BOTH);
    struct export_second s;
    export_second(&r, 0, &s);
    CHECK("second: the first interval starts at 0", s.sent_per_s == 8000 / 1.0001 && s.received_per_s == 23990 / 1.0001);
    result_free(&r);
}

int main(void)
{
    test_levels();
    test_hgrm();
    test_csv();
    test_second();
    return test_failures ? 1 : 0;
}
