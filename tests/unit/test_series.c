/* series_merge: per-second progress series of concurrent processes, merged
 * on the wall clock (cumulative counts carried forward, p50/p99 the max). */
#include <stdlib.h>

#include "series.h"
#include "test.h"

int main(void)
{
    struct result_point *out = (struct result_point *)1;
    size_t n = 99;
    CHECK("no series: no points", series_merge(NULL, 0, &out, &n) == 0 && out == NULL && n == 0);

    /* A: ticks at ~1 s and ~2 s, a final point at 2.3 s (shares second 2).
     * B: started 0.6 s later, ticks at ~1 s and ~2 s of its own clock, which
     * land at 1.602 (second 2) and 2.604 (second 3) of the merged clock. */
    const struct result_point a[] = {
        { 1.001, 100, 90, 10, 20 }, { 2.003, 200, 190, 11, 21 }, { 2.3, 230, 230, 12, 50 },
    };
    const struct result_point b[] = {
        { 1.002, 1000, 0, 0, 0 }, { 2.004, 2000, 0, 0, 0 },
    };
    struct series in[] = { { a, 3, 1000.0 }, { b, 2, 1000.6 }, { NULL, 0, 5.0 } };
    int rc = series_merge(in, 3, &out, &n);
    CHECKF("merge: points per wall-clock second", rc == 0 && n == 3, "rc %d n %zu", rc, n);
    if (rc == 0 && n == 3) {
        CHECKF("second 1: A only", out[0].sent == 100 && out[0].received == 90 && out[0].t_s == 1.001,
               "%llu %llu %g", (unsigned long long)out[0].sent, (unsigned long long)out[0].received, out[0].t_s);
        CHECKF("second 2: A's final point and B's first tick", out[1].sent == 230 + 1000 && out[1].received == 230,
               "%llu %llu", (unsigned long long)out[1].sent, (unsigned long long)out[1].received);
        CHECKF("second 2: t is the latest point's", out[1].t_s == 2.3, "%.17g", out[1].t_s);
        CHECKF("second 2: p50/p99 the largest in that second", out[1].p50_us == 12 && out[1].p99_us == 50,
               "%g %g", out[1].p50_us, out[1].p99_us);
        CHECKF("second 3: A carried forward", out[2].sent == 230 + 2000 && out[2].received == 230,
               "%llu %llu", (unsigned long long)out[2].sent, (unsigned long long)out[2].received);
        CHECKF("second 3: B's tick on the merged clock", out[2].t_s > 2.6039 && out[2].t_s < 2.6041, "%.17g",
               out[2].t_s);
        CHECKF("second 3: no latency in it", out[2].p50_us == 0 && out[2].p99_us == 0, "%g", out[2].p99_us);
    }
    free(out);

    /* One series alone comes back unchanged. */
    struct series one = { a, 2, 0 };
    rc = series_merge(&one, 1, &out, &n);
    CHECK("one series: unchanged", rc == 0 && n == 2 && out[0].t_s == a[0].t_s && out[1].sent == a[1].sent &&
                                       out[1].p99_us == a[1].p99_us);
    free(out);
    return test_failures ? 1 : 0;
}
