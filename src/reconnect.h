/* reconnect: the --reconnect backoff, pure (no I/O). A client that lost its
 * connection waits MIN before its first attempt, twice as long after each
 * failed attempt, at most MAX. */
#ifndef MB_RECONNECT_H
#define MB_RECONNECT_H

#include <stddef.h>
#include <stdint.h>

/* "MIN..MAX" (durations such as 100ms..5s) or one duration (a fixed wait).
 * Returns 0, or -1 with err filled (name is the option, for the message). */
int reconnect_parse(const char *arg, const char *name, uint64_t *min_ns, uint64_t *max_ns, char *err, size_t errlen);

/* The wait before attempt number `attempt` (0 = the first after the loss). */
uint64_t reconnect_delay_ns(uint64_t min_ns, uint64_t max_ns, unsigned attempt);

#endif
