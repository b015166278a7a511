/* hist: log-linear (HDR-style) latency histogram in nanoseconds.
 *
 * Layout: values 0..255 each have their own bucket (index = value). Above that,
 * for k >= 1 the range [2^(7+k), 2^(8+k)) is split into 128 sub-buckets of width
 * 2^k, so index = 256 + (k-1)*128 + ((v >> k) - 128) with k = msb(v) - 7.
 * A bucket midpoint is within 1/256 (< 0.4%) of any value in the bucket.
 * Values above HIST_MAX_NS (~68.7 s) are counted in the top bucket; min_ns and
 * max_ns stay exact.
 *
 * One struct hist per thread: recording is O(1), allocation-free and lock-free
 * because nothing is shared. Merge the per-thread histograms after the threads
 * join. The struct is about 30 KiB; embed it or allocate it, do not put many on
 * a small stack. */
#ifndef MB_HIST_H
#define MB_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_LINEAR_MAX 255u                    /* last value with a bucket of its own */
#define HIST_SUB_BUCKETS 128u                   /* sub-buckets per power of two above it */
#define HIST_MAX_NS ((UINT64_C(1) << 36) - 1)   /* largest value tracked without clamping */
#define HIST_BUCKETS 3840u                      /* 256 + 28 * 128 */

struct hist {
    uint64_t count;                 /* number of values recorded */
    uint64_t min_ns;                /* smallest value recorded, exact; UINT64_MAX when empty */
    uint64_t max_ns;                /* largest value recorded, exact; 0 when empty */
    double sum_ns;                  /* sum of values (for the mean) */
    double sumsq_ns;                /* sum of squared values (for the stdev), ns^2 */
    uint64_t counts[HIST_BUCKETS];  /* values per bucket; see hist_bucket_index */
};

/* Make h empty: all counts and sums zero, min_ns = UINT64_MAX, max_ns = 0. */
void hist_init(struct hist *h);

/* Same as hist_init; named for clearing a histogram between phases. */
void hist_reset(struct hist *h);

/* Record one value in nanoseconds. O(1), no allocation, never fails; values
 * above HIST_MAX_NS go to the top bucket but still update min/max/sums exactly. */
void hist_record(struct hist *h, uint64_t value_ns);

/* Add every value of src to dst (counts, min, max, sums). Exact for the counts:
 * merging the halves of a data set gives the same buckets as recording it whole. */
void hist_merge(struct hist *dst, const struct hist *src);

/* Value in ns at percentile pct (0..100; values outside are clamped). The rank is
 * ceil(pct/100 * count), at least 1; the result is the midpoint of the bucket
 * holding that rank, clamped to [min_ns, max_ns]. pct 0 returns min_ns exactly,
 * pct 100 returns max_ns exactly, and an empty histogram returns 0. */
uint64_t hist_percentile(const struct hist *h, double pct);

/* The value in ns that stands for bucket idx (idx < HIST_BUCKETS) of h in
 * every percentile: the bucket's midpoint, clamped to [min_ns, max_ns]. */
uint64_t hist_bucket_value(const struct hist *h, size_t idx);

/* Mean in ns; 0 when empty. */
double hist_mean_ns(const struct hist *h);

/* Population standard deviation in ns from the sums; 0 when empty. A negative
 * variance from rounding is treated as 0. The sum-of-squares formula loses
 * precision when the stdev is tiny next to the mean: expect an absolute error
 * of roughly 1e-8 * mean (under 1 us at a 60 s mean). */
double hist_stdev_ns(const struct hist *h);

/* Bucket index for value_ns (values above HIST_MAX_NS map to HIST_BUCKETS - 1). */
size_t hist_bucket_index(uint64_t value_ns);

/* Lowest value in ns of bucket idx (idx < HIST_BUCKETS). */
uint64_t hist_bucket_low(size_t idx);

/* Width in ns of bucket idx (idx < HIST_BUCKETS): the bucket holds
 * [hist_bucket_low(idx), hist_bucket_low(idx) + width). */
uint64_t hist_bucket_width(size_t idx);

/* Write the non-empty buckets as (index, count) pairs in increasing index order:
 * pair i goes to pairs[2*i] (index) and pairs[2*i+1] (count); pairs must hold
 * 2 * max_pairs values. Returns the number of non-empty buckets; if that exceeds
 * max_pairs only the first max_pairs were written (like snprintf).
 * max_pairs >= HIST_BUCKETS always suffices. pairs may be NULL when max_pairs is 0.
 * min/max/sums are not encoded: the caller stores those fields itself. */
size_t hist_encode(const struct hist *h, uint64_t *pairs, size_t max_pairs);

/* Add encoded (index, count) pairs to h's bucket counts and count (min/max/sums
 * are left alone). Indices must be < HIST_BUCKETS and strictly increasing.
 * Returns 0, or -1 with a message in err (errlen bytes, may be 0) for a bad
 * index, a duplicate or unsorted index, or a count overflow; on error h is
 * unchanged. */
int hist_decode_add(struct hist *h, const uint64_t *pairs, size_t npairs,
                    char *err, size_t errlen);

/* Rebuild h from hist_encode pairs plus the separately stored stats: init,
 * decode the pairs, then set min/max/sums. When the pairs hold no values the
 * stats are ignored and h is left empty. Besides hist_decode_add's checks this
 * rejects min_ns > max_ns, a min_ns/max_ns outside the lowest/highest non-empty
 * bucket, and negative or non-finite sums. Returns 0, or -1 with a message in
 * err; on error h is left empty (initialised). */
int hist_restore(struct hist *h, const uint64_t *pairs, size_t npairs,
                 uint64_t min_ns, uint64_t max_ns, double sum_ns, double sumsq_ns,
                 char *err, size_t errlen);

#endif
