/* Clocks used for timing and for payload timestamps.
 * All values are nanoseconds. CLOCK_MONOTONIC serves everything measured inside
 * one process (phases, rates, latency in `both`); CLOCK_REALTIME stamps payloads
 * when publisher and subscriber are separate processes that may run on different
 * hosts (their clocks then have to agree; see docs/results.md). */
#ifndef MB_CLOCK_H
#define MB_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic time in ns since an arbitrary start. */
static inline uint64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wall-clock time in ns since the Unix epoch. */
static inline uint64_t clock_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The clock selected for payload stamps: CLOCK_MONOTONIC or CLOCK_REALTIME. */
static inline uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
