/* series: per-second progress series merged on the wall clock. */
#include "series.h"

#include <math.h>
#include <stdlib.h>

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* The merged second of a point. */
static long long second_of(const struct series *s, size_t j, double t0)
{
    return (long long)floor(s->start_s - t0 + s->points[j].t_s + 0.5);
}

int series_merge(const struct series *in, size_t n, struct result_point **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    double t0 = INFINITY;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += in[i].n;
        if (in[i].n && in[i].start_s < t0)
            t0 = in[i].start_s;
    }
    if (total == 0)
        return 0;
    long long *keys = malloc(total * sizeof(*keys));
    size_t *next = calloc(n, sizeof(*next));
    struct result_point *res = malloc(total * sizeof(*res));
    if (!keys || !next || !res) {
        free(keys);
        free(next);
        free(res);
        return -1;
    }
    size_t nkeys = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < in[i].n; j++)
            keys[nkeys++] = second_of(&in[i], j, t0);
    qsort(keys, nkeys, sizeof(*keys), cmp_ll);

    size_t nres = 0;
    for (size_t k = 0; k < nkeys; k++) {
        if (k > 0 && keys[k] == keys[k - 1])
            continue;
        struct result_point m = { 0, 0, 0, 0, 0 };
        for (size_t i = 0; i < n; i++) {
            const struct series *s = &in[i];
            while (next[i] < s->n && second_of(s, next[i], t0) <= keys[k]) {
                const struct result_point *p = &s->points[next[i]];
                if (second_of(s, next[i], t0) == keys[k]) {
                    double w = s->start_s - t0 + p->t_s;
                    m.t_s = w > m.t_s ? w : m.t_s;
                    m.p50_us = p->p50_us > m.p50_us ? p->p50_us : m.p50_us;
                    m.p99_us = p->p99_us > m.p99_us ? p->p99_us : m.p99_us;
                }
                next[i]++;
            }
            if (next[i] > 0) {
                m.sent += s->points[next[i] - 1].sent;
                m.received += s->points[next[i] - 1].received;
            }
        }
        res[nres++] = m;
    }
    free(keys);
    free(next);
    *out = res;
    *nout = nres;
    return 0;
}
