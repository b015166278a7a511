/* hist: log-linear latency histogram; the layout is described in hist.h.
 *
 * With k = msb(v) - 7 (k >= 1 above the linear region) the index formula
 * 256 + (k-1)*128 + ((v >> k) - 128) simplifies to k*128 + (v >> k), and a
 * bucket index idx >= 256 decodes as k = idx/128 - 1, low = (idx - k*128) << k. */
#include "errmsg.h"
#include "hist.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(HIST_BUCKETS == (HIST_LINEAR_MAX + 1) + 28 * HIST_SUB_BUCKETS,
               "HIST_BUCKETS must cover [0, 2^36) with 128 sub-buckets per octave");

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min_ns = UINT64_MAX;
}

void hist_reset(struct hist *h)
{
    hist_init(h);
}

size_t hist_bucket_index(uint64_t value_ns)
{
    uint64_t v = value_ns > HIST_MAX_NS ? HIST_MAX_NS : value_ns;
    if (v <= HIST_LINEAR_MAX)
        return (size_t)v;
    unsigned k = (unsigned)(63 - __builtin_clzll(v)) - 7;
    return (size_t)(((uint64_t)k << 7) + (v >> k));
}

uint64_t hist_bucket_low(size_t idx)
{
    if (idx <= HIST_LINEAR_MAX)
        return (uint64_t)idx;
    unsigned k = (unsigned)(idx >> 7) - 1;
    return (uint64_t)(idx - ((size_t)k << 7)) << k;
}

uint64_t hist_bucket_width(size_t idx)
{
    if (idx <= HIST_LINEAR_MAX)
        return 1;
    return UINT64_C(1) << ((idx >> 7) - 1);
}

void hist_record(struct hist *h, uint64_t value_ns)
{
    double v = (double)value_ns;
    h->counts[hist_bucket_index(value_ns)]++;
    h->count++;
    if (value_ns < h->min_ns)
        h->min_ns = value_ns;
    if (value_ns > h->max_ns)
        h->max_ns = value_ns;
    h->sum_ns += v;
    h->sumsq_ns += v * v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    if (src->count == 0)
        return;
    for (size_t i = 0; i < HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    if (src->min_ns < dst->min_ns)
        dst->min_ns = src->min_ns;
    if (src->max_ns > dst->max_ns)
        dst->max_ns = src->max_ns;
    dst->sum_ns += src->sum_ns;
    dst->sumsq_ns += src->sumsq_ns;
}

/* ceil(pct/100 * count) in [1, count]. pct*count/100 can land a hair above an
 * integer through rounding (e.g. 99.9% of 1000); treat anything within a
 * relative 1e-12 of the integer below as that integer. */
static uint64_t hist_rank(double pct, uint64_t count)
{
    double x = pct * (double)count / 100.0;
    if (x >= (double)count)
        return count;
    double fl = floor(x);
    uint64_t rank = (uint64_t)fl;
    if (x - fl > x * 1e-12)
        rank++;
    if (rank < 1)
        rank = 1;
    return rank > count ? count : rank;
}

uint64_t hist_percentile(const struct hist *h, double pct)
{
    if (h->count == 0)
        return 0;
    if (!(pct > 0.0))               /* also catches NaN */
        return h->min_ns;
    if (pct >= 100.0)
        return h->max_ns;

    uint64_t rank = hist_rank(pct, h->count);
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            return hist_bucket_value(h, i);
    }
    return h->max_ns;               /* counts[] sum below count: inconsistent input */
}

uint64_t hist_bucket_value(const struct hist *h, size_t idx)
{
    uint64_t mid = hist_bucket_low(idx) + hist_bucket_width(idx) / 2;
    if (h->min_ns <= h->max_ns) {
        if (mid < h->min_ns)
            mid = h->min_ns;
        if (mid > h->max_ns)
            mid = h->max_ns;
    }
    return mid;
}

double hist_mean_ns(const struct hist *h)
{
    return h->count ? h->sum_ns / (double)h->count : 0.0;
}

double hist_stdev_ns(const struct hist *h)
{
    if (h->count == 0)
        return 0.0;
    double n = (double)h->count;
    double mean = h->sum_ns / n;
    double var = h->sumsq_ns / n - mean * mean;
    return var > 0.0 ? sqrt(var) : 0.0;
}

size_t hist_encode(const struct hist *h, uint64_t *pairs, size_t max_pairs)
{
    size_t n = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        if (h->counts[i] == 0)
            continue;
        if (n < max_pairs) {
            pairs[2 * n] = (uint64_t)i;
            pairs[2 * n + 1] = h->counts[i];
        }
        n++;
    }
    return n;
}


int hist_decode_add(struct hist *h, const uint64_t *pairs, size_t npairs,
                    char *err, size_t errlen)
{
    /* Validate everything first so that a bad input leaves h unchanged. */
    uint64_t total = h->count;
    for (size_t i = 0; i < npairs; i++) {
        uint64_t idx = pairs[2 * i], c = pairs[2 * i + 1];
        if (idx >= HIST_BUCKETS) {
            errmsg_set(err, errlen, "histogram bucket index %" PRIu64 " out of range (max %" PRIu64 ")",
                         idx, (uint64_t)HIST_BUCKETS - 1);
            return -1;
        }
        if (i > 0 && idx <= pairs[2 * (i - 1)]) {
            errmsg_set(err, errlen, "histogram bucket index %" PRIu64 " duplicate or out of order (after %" PRIu64 ")",
                         idx, pairs[2 * (i - 1)]);
            return -1;
        }
        if (c > UINT64_MAX - total || c > UINT64_MAX - h->counts[idx]) {
            errmsg_set(err, errlen, "histogram count overflow at bucket %" PRIu64 " (count %" PRIu64 ")",
                         idx, c);
            return -1;
        }
        total += c;
    }
    for (size_t i = 0; i < npairs; i++)
        h->counts[pairs[2 * i]] += pairs[2 * i + 1];
    h->count = total;
    return 0;
}

int hist_restore(struct hist *h, const uint64_t *pairs, size_t npairs,
                 uint64_t min_ns, uint64_t max_ns, double sum_ns, double sumsq_ns,
                 char *err, size_t errlen)
{
    hist_init(h);
    if (hist_decode_add(h, pairs, npairs, err, errlen) != 0)
        return -1;
    if (h->count == 0)
        return 0;

    size_t first = 0, last = HIST_BUCKETS - 1;
    while (h->counts[first] == 0)
        first++;
    while (h->counts[last] == 0)
        last--;
    if (min_ns > max_ns) {
        errmsg_set(err, errlen, "histogram min %" PRIu64 " above max %" PRIu64, min_ns, max_ns);
    } else if (hist_bucket_index(min_ns) != first) {
        errmsg_set(err, errlen, "histogram min %" PRIu64 " not in lowest non-empty bucket %" PRIu64,
                     min_ns, (uint64_t)first);
    } else if (hist_bucket_index(max_ns) != last) {
        errmsg_set(err, errlen, "histogram max %" PRIu64 " not in highest non-empty bucket %" PRIu64,
                     max_ns, (uint64_t)last);
    } else if (!isfinite(sum_ns) || !isfinite(sumsq_ns) || sum_ns < 0.0 || sumsq_ns < 0.0) {
        errmsg_set(err, errlen, "histogram sums must be finite and non-negative");
    } else {
        h->min_ns = min_ns;
        h->max_ns = max_ns;
        h->sum_ns = sum_ns;
        h->sumsq_ns = sumsq_ns;
        return 0;
    }
    hist_init(h);
    return -1;
}
