/* preflight: will the requested clients fit this process and this host?
 * Checked before anything connects, so a run fails at once with advice
 * instead of half-way through its connect ramp. */
#ifndef MB_PREFLIGHT_H
#define MB_PREFLIGHT_H

#include <stddef.h>

#include "options.h"

/* Raise RLIMIT_NOFILE's soft limit to the hard limit. Returns the soft limit
 * now in force. */
long preflight_raise_nofile(void);

/* File descriptors the run needs: one per client (iobuf.c removes
 * libmosquitto's socketpair) plus a margin for the process itself. */
long preflight_fds_needed(const struct mb_config *cfg);

/* Check the fd limit and the local port range against cfg's clients.
 * Returns 0, or -1 with err saying what to change. */
int preflight_check(const struct mb_config *cfg, long nofile, char *err, size_t errlen);

#endif
