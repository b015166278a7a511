/* sysinfo: facts about this machine and this process for the results. */
#ifndef MB_SYSINFO_H
#define MB_SYSINFO_H

#include "result.h"

/* Fill hostname, CPU model and count, kernel, start time (now, ISO 8601
 * UTC), mqttbench's and libmosquitto's versions, this process's pid and
 * whether the I/O layer is off in env. Never fails: unknown facts become
 * "unknown". Call after iobuf_init. */
void sysinfo_fill(struct result_env *env);

/* This process's CPU time (seconds) and peak resident set size (KiB). */
void sysinfo_resources(double *user_s, double *sys_s, long *peak_rss_kb);

/* Syscalls this process made on client sockets so far, reads and writes:
 * the I/O layer's own counts (iobuf.h), whatever call the library used. */
void sysinfo_syscalls(uint64_t *reads, uint64_t *writes);

#endif
