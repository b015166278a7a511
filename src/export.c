/* export: CSV of the per-second series and HdrHistogram percentile text. */
#include "export.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "jsonfile.h"

/* The step after level: HdrHistogram's PercentileIterator keeps the step
 * fixed within each halving of the distance to 100% and halves it at the
 * next, so every "nine" gets the same number of rows. */
static double next_level(double level, int ticks)
{
    long long halvings = (long long)(log(100.0 / (100.0 - level)) / log(2.0));
    double reporting_ticks = (double)ticks * pow(2.0, (double)(halvings + 1));
    return level + 100.0 / reporting_ticks;
}

static int push_row(struct export_pct_row **rows, size_t *n, size_t *cap, double level, uint64_t value,
                    uint64_t count)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        struct export_pct_row *p = realloc(*rows, ncap * sizeof(*p));
        if (!p) return -1;
        *rows = p;
        *cap = ncap;
    }
    (*rows)[(*n)++] = (struct export_pct_row){ .percentile = level, .value_ns = value, .total_count = count };
    return 0;
}

long export_percentiles(const struct hist *h, int ticks_per_half, struct export_pct_row **rows)
{
    *rows = NULL;
    if (h->count == 0) return 0;
    if (ticks_per_half < 1) ticks_per_half = 1;
    size_t n = 0, cap = 0;
    double level = 0.0, total = (double)h->count;
    uint64_t cum = 0;
    for (size_t i = 0; i < HIST_BUCKETS && cum < h->count; i++) {
        if (!h->counts[i]) continue;
        cum += h->counts[i];
        double share = 100.0 * (double)cum / total;
        while (share >= level) {
            uint64_t v = n == 0 ? h->min_ns : hist_bucket_value(h, i);
            if (push_row(rows, &n, &cap, level, v, cum) != 0) goto oom;
            level = next_level(level, ticks_per_half);
            if (cum >= h->count) break;     /* the last bucket: once, then 100% */
        }
    }
    if (push_row(rows, &n, &cap, 100.0, h->max_ns, h->count) != 0) goto oom;
    return (long)n;
oom:
    free(*rows);
    *rows = NULL;
    return -1;
}

int export_hgrm(FILE *f, const struct hist *h)
{
    struct export_pct_row *rows;
    long n = export_percentiles(h, EXPORT_TICKS_PER_HALF, &rows);
    if (n < 0) return -1;
    fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    for (long i = 0; i < n; i++) {
        double ms = (double)rows[i].value_ns / 1e6, p = rows[i].percentile / 100.0;
        if (rows[i].percentile < 100.0)
            fprintf(f, "%12.6f %2.12f %10" PRIu64 " %14.2f\n", ms, p, rows[i].total_count, 1.0 / (1.0 - p));
        else
            fprintf(f, "%12.6f %2.12f %10" PRIu64 "\n", ms, p, rows[i].total_count);
    }
    free(rows);
    fprintf(f, "#[Mean    = %12.6f, StdDeviation   = %12.6f]\n", hist_mean_ns(h) / 1e6, hist_stdev_ns(h) / 1e6);
    fprintf(f, "#[Max     = %12.6f, Total count    = %12" PRIu64 "]\n", (double)h->max_ns / 1e6, h->count);
    /* HdrHistogram's terms: bucket 0 holds 0..255 in 256 sub-buckets, each
     * later one a power of two in the upper 128 of its 256. */
    fprintf(f, "#[Buckets = %12u, SubBuckets     = %12u]\n", HIST_BUCKETS / HIST_SUB_BUCKETS - 1,
            HIST_LINEAR_MAX + 1);
    return ferror(f) ? -1 : 0;
}

void export_second(const struct run_result *r, size_t i, struct export_second *row)
{
    const struct result_point *p = &r->points[i];
    double t0 = i ? r->points[i - 1].t_s : 0;
    uint64_t s0 = i ? r->points[i - 1].sent : 0, r0 = i ? r->points[i - 1].received : 0;
    double dt = p->t_s - t0;
    memset(row, 0, sizeof(*row));
    row->t_s = p->t_s;
    /* Publishing ended drain_s before the end of the measured phase. */
    row->phase = r->drain_s > 0 && p->t_s > r->measure_s - r->drain_s ? "drain" : "measure";
    row->sent = p->sent;
    row->received = p->received;
    row->sent_per_s = dt > 0 && p->sent >= s0 ? (double)(p->sent - s0) / dt : -1;
    row->received_per_s = dt > 0 && p->received >= r0 ? (double)(p->received - r0) / dt : -1;
    row->p50_us = p->p50_us;
    row->p99_us = p->p99_us;
}

/* A value, or an empty cell for none. */
static void csv_cell(FILE *f, double v, bool none)
{
    if (none) fputs(",", f);
    else fprintf(f, ",%.3f", v);
}

int export_csv(FILE *f, const struct run_result *r)
{
    fputs("t_s,phase,sent,received,sent_per_s,received_per_s,p50_us,p99_us\n", f);
    for (size_t i = 0; i < r->npoints; i++) {
        struct export_second s;
        export_second(r, i, &s);
        fprintf(f, "%.6f,%s,%" PRIu64 ",%" PRIu64, s.t_s, s.phase, s.sent, s.received);
        csv_cell(f, s.sent_per_s, s.sent_per_s < 0);
        csv_cell(f, s.received_per_s, s.received_per_s < 0);
        csv_cell(f, s.p50_us, s.p50_us <= 0);
        csv_cell(f, s.p99_us, s.p99_us <= 0);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

int export_print_csv(FILE *f, const void *result)
{
    return export_csv(f, result);
}

int export_print_hgrm(FILE *f, const void *result)
{
    return export_hgrm(f, &((const struct run_result *)result)->total.lat);
}

int export_write(const char *path, int (*print)(FILE *f, const void *arg), const void *arg,
                 char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return errmsg_set(err, errlen, "out of memory");
    int rc = print(f, arg);
    if (fclose(f) != 0) rc = -1;
    if (rc != 0) {
        free(text);
        char shown[ERRMSG_SHOWN(200)];
        errmsg_sanitize(path, 200, shown, sizeof(shown));
        return errmsg_set(err, errlen, "%s: out of memory formatting it", shown);
    }
    rc = jsonfile_write_text(path, text, len, err, errlen);
    free(text);
    return rc;
}
