/* Unit tests for src/hist.c: bucket layout, percentiles against exact sorted
 * data, mean/stdev, merge, encode/restore. */
#include "hist.h"
#include "test.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_VALUES 200000
#define REL_ERR_MAX (1.0 / 256.0)       /* design bound; the brief's limit is 1% */

/* splitmix64: a small seeded generator so every run sees the same data. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform double in (0, 1). */
static double rng_unit(uint64_t *state)
{
    return ((double)(rng_next(state) >> 11) + 0.5) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Exact percentile of sorted values with the rank rule hist.h documents. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double pct)
{
    if (pct <= 0.0)
        return sorted[0];
    if (pct >= 100.0)
        return sorted[n - 1];
    double x = pct * (double)n / 100.0;
    size_t rank = (size_t)ceil(x - x * 1e-12);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

static double rel_err(uint64_t got, uint64_t want)
{
    if (want == 0)
        return got == 0 ? 0.0 : 1.0;
    return fabs((double)got - (double)want) / (double)want;
}

static void test_bucket_layout(void)
{
    int bad_roundtrip = 0, bad_contig = 0, bad_width = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        uint64_t lo = hist_bucket_low(i), w = hist_bucket_width(i);
        if (hist_bucket_index(lo) != i || hist_bucket_index(lo + w - 1) != i)
            bad_roundtrip++;
        if (i + 1 < HIST_BUCKETS && hist_bucket_low(i + 1) != lo + w)
            bad_contig++;
        /* Half a bucket is at most 1/256 of its lowest value (width 1 is exact). */
        if (w > 1 && (double)(w / 2) / (double)lo > REL_ERR_MAX)
            bad_width++;
        if (i > 0 && hist_bucket_index(lo - 1) != i - 1)
            bad_roundtrip++;
    }
    CHECKF("hist bucket low/high map back to their index", bad_roundtrip == 0, "%d bad", bad_roundtrip);
    CHECKF("hist buckets are contiguous", bad_contig == 0, "%d gaps", bad_contig);
    CHECKF("hist half-width <= 1/256 of bucket low", bad_width == 0, "%d too wide", bad_width);
    CHECK("hist first bucket starts at 0", hist_bucket_low(0) == 0);
    CHECK("hist last bucket ends at HIST_MAX_NS",
          hist_bucket_low(HIST_BUCKETS - 1) + hist_bucket_width(HIST_BUCKETS - 1) - 1 == HIST_MAX_NS);
    CHECK("hist HIST_BUCKETS is 3840", HIST_BUCKETS == 3840);
}

static void test_boundaries(void)
{
    CHECK("hist index(0) == 0", hist_bucket_index(0) == 0);
    CHECK("hist index(255) == 255", hist_bucket_index(255) == 255);
    CHECK("hist index(256) == 256", hist_bucket_index(256) == 256);
    CHECK("hist index(257) == 256", hist_bucket_index(257) == 256);
    CHECK("hist index(258) == 257", hist_bucket_index(258) == 257);
    CHECK("hist index(511) == 383", hist_bucket_index(511) == 383);
    CHECK("hist index(512) == 384", hist_bucket_index(512) == 384);
    CHECK("hist width(256) == 2", hist_bucket_width(256) == 2);
    CHECK("hist width(384) == 4", hist_bucket_width(384) == 4);
    CHECK("hist index(2^36-1) == last", hist_bucket_index(HIST_MAX_NS) == HIST_BUCKETS - 1);
    CHECK("hist index(2^36) clamped to last", hist_bucket_index(HIST_MAX_NS + 1) == HIST_BUCKETS - 1);
    CHECK("hist index(UINT64_MAX) clamped to last", hist_bucket_index(UINT64_MAX) == HIST_BUCKETS - 1);

    static struct hist h;
    hist_init(&h);
    CHECK("hist empty: count 0", h.count == 0);
    CHECK("hist empty: min is UINT64_MAX", h.min_ns == UINT64_MAX);
    CHECK("hist empty: p50 is 0", hist_percentile(&h, 50) == 0);
    CHECK("hist empty: p100 is 0", hist_percentile(&h, 100) == 0);
    CHECK("hist empty: mean 0", hist_mean_ns(&h) == 0.0);
    CHECK("hist empty: stdev 0", hist_stdev_ns(&h) == 0.0);

    hist_record(&h, 0);
    CHECK("hist single 0: p50 == 0", hist_percentile(&h, 50) == 0);
    CHECK("hist single 0: min/max 0", h.min_ns == 0 && h.max_ns == 0);
    hist_record(&h, 255);
    CHECK("hist 255 exact at p100", hist_percentile(&h, 100) == 255);
    CHECK("hist 255 exact at p99", hist_percentile(&h, 99) == 255);

    hist_reset(&h);
    CHECK("hist reset empties", h.count == 0 && h.counts[0] == 0 && h.min_ns == UINT64_MAX && h.max_ns == 0);
    hist_record(&h, HIST_MAX_NS);
    CHECK("hist 2^36-1 counted in last bucket", h.counts[HIST_BUCKETS - 1] == 1);
    CHECK("hist 2^36-1 p50 exact (clamped to min/max)", hist_percentile(&h, 50) == HIST_MAX_NS);

    uint64_t huge = UINT64_C(1) << 40;
    hist_reset(&h);
    hist_record(&h, huge);
    hist_record(&h, UINT64_MAX);
    CHECK("hist huge values clamped into last bucket", h.counts[HIST_BUCKETS - 1] == 2 && h.count == 2);
    CHECK("hist huge: min exact", h.min_ns == huge);
    CHECK("hist huge: max exact", h.max_ns == UINT64_MAX);
    CHECK("hist huge: p100 returns exact max", hist_percentile(&h, 100) == UINT64_MAX);
    CHECK("hist huge: p0 returns exact min", hist_percentile(&h, 0) == huge);
    CHECK("hist huge: p50 clamped up to min", hist_percentile(&h, 50) == huge);
}

/* Values 1..200 all sit in width-1 buckets, so every percentile is exact and
 * the rank rule itself is tested. */
static void test_rank_rule(void)
{
    static struct hist h;
    hist_init(&h);
    for (uint64_t v = 200; v >= 1; v--)
        hist_record(&h, v);
    CHECK("hist rank: p0 = min", hist_percentile(&h, 0) == 1);
    CHECK("hist rank: p0.1 -> rank 1", hist_percentile(&h, 0.1) == 1);
    CHECK("hist rank: p0.5 -> rank 1", hist_percentile(&h, 0.5) == 1);
    CHECK("hist rank: p0.6 -> rank 2", hist_percentile(&h, 0.6) == 2);
    CHECK("hist rank: p1 -> rank 2", hist_percentile(&h, 1) == 2);
    CHECK("hist rank: p50 -> 100", hist_percentile(&h, 50) == 100);
    CHECK("hist rank: p90 -> 180", hist_percentile(&h, 90) == 180);
    CHECK("hist rank: p99 -> 198", hist_percentile(&h, 99) == 198);
    CHECK("hist rank: p99.5 -> 199", hist_percentile(&h, 99.5) == 199);
    CHECK("hist rank: p99.9 -> 200", hist_percentile(&h, 99.9) == 200);
    CHECK("hist rank: p100 = max", hist_percentile(&h, 100) == 200);
    CHECK("hist rank: pct > 100 clamps to max", hist_percentile(&h, 150) == 200);
    CHECK("hist rank: pct < 0 clamps to min", hist_percentile(&h, -5) == 1);

    /* 99.9 * 41000 / 100 is 40959.00000000001 in floating point; the rank must
     * still be 40959 (value 100), not 40960 (value 200). */
    hist_reset(&h);
    for (int i = 0; i < 40958; i++)
        hist_record(&h, 0);
    hist_record(&h, 100);
    for (int i = 0; i < 41; i++)
        hist_record(&h, 200);
    CHECK("hist rank: p99.9 of 41000 is rank 40959 despite rounding", hist_percentile(&h, 99.9) == 100);
    CHECK("hist rank: p99.91 of 41000 is rank 40960", hist_percentile(&h, 99.91) == 200);
}

enum dist { DIST_LOG_UNIFORM, DIST_EXPONENTIAL, DIST_UNIFORM, DIST_BIMODAL };

static uint64_t draw(enum dist d, uint64_t *rng)
{
    switch (d) {
    case DIST_LOG_UNIFORM:              /* 1 us .. 60 s, uniform in log */
        return (uint64_t)exp(log(1e3) + rng_unit(rng) * (log(60e9) - log(1e3)));
    case DIST_EXPONENTIAL:              /* mean 2 ms */
        return (uint64_t)(-log(rng_unit(rng)) * 2e6);
    case DIST_UNIFORM:                  /* 0 .. 5000 ns, crosses the linear region */
        return rng_next(rng) % 5001;
    case DIST_BIMODAL:                  /* 90% near 300 us, 10% near 40 ms */
        return rng_next(rng) % 10 ? 300000 + rng_next(rng) % 20000 : 40000000 + rng_next(rng) % 5000000;
    }
    return 0;
}

static void test_distribution(enum dist d, const char *name, uint64_t seed)
{
    static uint64_t values[N_VALUES], sorted[N_VALUES];
    static struct hist whole, a, b, merged, restored;
    static uint64_t pairs[2 * HIST_BUCKETS];
    static const double pcts[] = { 0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 99.999, 100 };
    char label[160];
    uint64_t rng = seed;

    hist_init(&whole);
    hist_init(&a);
    hist_init(&b);
    for (size_t i = 0; i < N_VALUES; i++) {
        values[i] = draw(d, &rng);
        hist_record(&whole, values[i]);
        hist_record(i < N_VALUES / 2 ? &a : &b, values[i]);
    }
    memcpy(sorted, values, sizeof(values));
    qsort(sorted, N_VALUES, sizeof(sorted[0]), cmp_u64);

    snprintf(label, sizeof(label), "hist %s: count", name);
    CHECK(label, whole.count == N_VALUES);
    snprintf(label, sizeof(label), "hist %s: min/max exact", name);
    CHECK(label, whole.min_ns == sorted[0] && whole.max_ns == sorted[N_VALUES - 1]);

    for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
        uint64_t got = hist_percentile(&whole, pcts[i]);
        uint64_t want = exact_percentile(sorted, N_VALUES, pcts[i]);
        double e = rel_err(got, want);
        snprintf(label, sizeof(label), "hist %s: p%g within 1/256 (and 1%%)", name, pcts[i]);
        CHECKF(label, e <= REL_ERR_MAX && e <= 0.01, "got %" PRIu64 " want %" PRIu64 " err %.5f%%", got, want, e * 100);
    }
    snprintf(label, sizeof(label), "hist %s: p0/p100 exact", name);
    CHECK(label, hist_percentile(&whole, 0) == sorted[0] && hist_percentile(&whole, 100) == sorted[N_VALUES - 1]);

    /* Exact mean and stdev, two-pass in long double. */
    long double sum = 0, ss = 0;
    for (size_t i = 0; i < N_VALUES; i++)
        sum += values[i];
    long double mean = sum / N_VALUES;
    for (size_t i = 0; i < N_VALUES; i++)
        ss += ((long double)values[i] - mean) * ((long double)values[i] - mean);
    double sd = (double)sqrtl(ss / N_VALUES);
    double em = fabs(hist_mean_ns(&whole) - (double)mean) / (double)mean;
    double es = fabs(hist_stdev_ns(&whole) - sd) / sd;
    snprintf(label, sizeof(label), "hist %s: mean exact to 1e-9", name);
    CHECKF(label, em <= 1e-9, "got %.3f want %.3Lf", hist_mean_ns(&whole), mean);
    snprintf(label, sizeof(label), "hist %s: stdev exact to 1e-6", name);
    CHECKF(label, es <= 1e-6, "got %.3f want %.3f", hist_stdev_ns(&whole), sd);

    /* Merge of the two halves equals the whole. */
    hist_init(&merged);
    hist_merge(&merged, &a);
    hist_merge(&merged, &b);
    snprintf(label, sizeof(label), "hist %s: merge counts identical", name);
    CHECK(label, memcmp(merged.counts, whole.counts, sizeof(whole.counts)) == 0 && merged.count == whole.count);
    snprintf(label, sizeof(label), "hist %s: merge min/max identical", name);
    CHECK(label, merged.min_ns == whole.min_ns && merged.max_ns == whole.max_ns);
    snprintf(label, sizeof(label), "hist %s: merge sums equal to 1e-12", name);
    CHECK(label, fabs(merged.sum_ns - whole.sum_ns) <= 1e-12 * whole.sum_ns &&
                 fabs(merged.sumsq_ns - whole.sumsq_ns) <= 1e-12 * whole.sumsq_ns);
    int same = 1;
    for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
        same &= hist_percentile(&merged, pcts[i]) == hist_percentile(&whole, pcts[i]);
    snprintf(label, sizeof(label), "hist %s: merge percentiles identical", name);
    CHECK(label, same);

    /* Encode / restore round trip. */
    size_t n = hist_encode(&whole, pairs, HIST_BUCKETS);
    size_t nonempty = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        nonempty += whole.counts[i] != 0;
    snprintf(label, sizeof(label), "hist %s: encode returns non-empty bucket count", name);
    CHECKF(label, n == nonempty && n > 0, "n=%zu nonempty=%zu", n, nonempty);
    char err[128] = "";
    int rc = hist_restore(&restored, pairs, n, whole.min_ns, whole.max_ns, whole.sum_ns, whole.sumsq_ns,
                          err, sizeof(err));
    snprintf(label, sizeof(label), "hist %s: restore succeeds", name);
    CHECKF(label, rc == 0, "%s", err);
    snprintf(label, sizeof(label), "hist %s: restore is byte-identical", name);
    CHECK(label, memcmp(&restored, &whole, sizeof(whole)) == 0);
}

static void test_encode_restore_errors(void)
{
    static struct hist h;
    char err[128];
    uint64_t pairs[8];

    hist_init(&h);
    CHECK("hist encode of empty returns 0", hist_encode(&h, NULL, 0) == 0);
    CHECK("hist restore of nothing leaves empty",
          hist_restore(&h, NULL, 0, 5, 7, 1.0, 1.0, err, sizeof(err)) == 0 && h.count == 0 && h.min_ns == UINT64_MAX);

    /* Truncation: report the full count but never write past max_pairs. */
    hist_record(&h, 1);
    hist_record(&h, 2);
    hist_record(&h, 3);
    for (size_t i = 0; i < 8; i++)
        pairs[i] = 777;
    size_t n = hist_encode(&h, pairs, 2);
    CHECK("hist encode truncated returns full count", n == 3);
    CHECK("hist encode truncated writes first pairs", pairs[0] == 1 && pairs[1] == 1 && pairs[2] == 2 && pairs[3] == 1);
    CHECK("hist encode truncated stops at max_pairs", pairs[4] == 777 && pairs[5] == 777);

    uint64_t bad_index[] = { 3, 1, HIST_BUCKETS, 1 };
    err[0] = '\0';
    CHECK("hist restore rejects index >= HIST_BUCKETS",
          hist_restore(&h, bad_index, 2, 3, 3, 3, 9, err, sizeof(err)) == -1 && err[0] != '\0');
    CHECK("hist failed restore leaves h empty", h.count == 0 && h.counts[3] == 0);

    uint64_t dup[] = { 3, 1, 3, 1 };
    err[0] = '\0';
    CHECK("hist restore rejects duplicate index",
          hist_restore(&h, dup, 2, 3, 3, 6, 18, err, sizeof(err)) == -1 && err[0] != '\0');
    uint64_t unsorted[] = { 9, 1, 3, 1 };
    err[0] = '\0';
    CHECK("hist restore rejects unsorted index",
          hist_restore(&h, unsorted, 2, 3, 9, 12, 90, err, sizeof(err)) == -1 && err[0] != '\0');
    uint64_t overflow[] = { 3, UINT64_MAX, 9, 1 };
    err[0] = '\0';
    CHECK("hist restore rejects count overflow",
          hist_restore(&h, overflow, 2, 3, 9, 12, 90, err, sizeof(err)) == -1 && err[0] != '\0');

    uint64_t good[] = { 3, 2, 9, 1 };
    CHECK("hist restore accepts consistent input",
          hist_restore(&h, good, 2, 3, 9, 15, 99, err, sizeof(err)) == 0 && h.count == 3 && h.max_ns == 9);
    CHECK("hist restore rejects min > max",
          hist_restore(&h, good, 2, 9, 3, 15, 99, err, sizeof(err)) == -1);
    CHECK("hist restore rejects min outside lowest bucket",
          hist_restore(&h, good, 2, 2, 9, 15, 99, err, sizeof(err)) == -1);
    CHECK("hist restore rejects max outside highest bucket",
          hist_restore(&h, good, 2, 3, 10, 15, 99, err, sizeof(err)) == -1);
    CHECK("hist restore rejects NaN sum",
          hist_restore(&h, good, 2, 3, 9, NAN, 99, err, sizeof(err)) == -1);
    CHECK("hist restore rejects negative sumsq",
          hist_restore(&h, good, 2, 3, 9, 15, -1, err, sizeof(err)) == -1);
    CHECK("hist restore with errlen 0 still fails cleanly",
          hist_restore(&h, bad_index, 2, 3, 3, 3, 9, NULL, 0) == -1);

    /* decode_add accumulates onto existing counts and is all-or-nothing. */
    hist_init(&h);
    hist_record(&h, 3);
    CHECK("hist decode_add adds counts", hist_decode_add(&h, good, 2, err, sizeof(err)) == 0 &&
                                         h.count == 4 && h.counts[3] == 3 && h.counts[9] == 1);
    uint64_t half_bad[] = { 3, 5, HIST_BUCKETS + 7, 1 };
    CHECK("hist decode_add rejects and leaves h unchanged",
          hist_decode_add(&h, half_bad, 2, err, sizeof(err)) == -1 && h.count == 4 && h.counts[3] == 3);
    uint64_t total_over[] = { 100, UINT64_MAX - 2 };
    CHECK("hist decode_add rejects total count overflow",
          hist_decode_add(&h, total_over, 1, err, sizeof(err)) == -1 && h.count == 4);
}

static void test_stdev_known(void)
{
    static struct hist h;
    hist_init(&h);
    /* 2,4,4,4,5,5,7,9: mean 5, population stdev 2. */
    static const uint64_t v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    for (size_t i = 0; i < 8; i++)
        hist_record(&h, v[i]);
    CHECK("hist mean of known set is 5", hist_mean_ns(&h) == 5.0);
    CHECK("hist stdev of known set is 2", fabs(hist_stdev_ns(&h) - 2.0) < 1e-12);
    /* Ten copies of 60000000001 make sumsq/n - mean^2 come out at -524288 in
     * double arithmetic: the clamp must turn that into 0, not NaN. */
    hist_reset(&h);
    for (int i = 0; i < 10; i++)
        hist_record(&h, UINT64_C(60000000001));
    CHECK("hist stdev clamps negative variance to 0", hist_stdev_ns(&h) == 0.0);
    /* With 1000 copies rounding goes the other way; the error stays tiny. */
    for (int i = 10; i < 1000; i++)
        hist_record(&h, UINT64_C(60000000001));
    CHECKF("hist stdev of a large constant is within 1e-7 of the mean",
           hist_stdev_ns(&h) >= 0.0 && hist_stdev_ns(&h) < 1e-7 * hist_mean_ns(&h), "stdev %.1f", hist_stdev_ns(&h));
}

int main(void)
{
    test_bucket_layout();
    test_boundaries();
    test_rank_rule();
    test_stdev_known();
    test_distribution(DIST_LOG_UNIFORM, "log-uniform 1us..60s", 1);
    test_distribution(DIST_EXPONENTIAL, "exponential 2ms", 2);
    test_distribution(DIST_UNIFORM, "uniform 0..5000ns", 3);
    test_distribution(DIST_BIMODAL, "bimodal 300us/40ms", 4);
    test_encode_restore_errors();
    return test_failures ? 1 : 0;
}
