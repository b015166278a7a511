/* sysinfo: facts about this machine and this process for the results. */
#ifndef MB_SYSINFO_H
#define MB_SYSINFO_H

#include "result.h"

/* Fill hostname, CPU model and count, kernel, start time (now, ISO 8601
 * UTC), mqttbench's and libmosquitto's versions and this process's pid in
 * env. Never fails: unknown facts become "unknown". */
void sysinfo_fill(struct result_env *env);

/* This process's CPU time (seconds) and peak resident set size (KiB). */
void sysinfo_resources(double *user_s, double *sys_s, long *peak_rss_kb);

/* Read- and write-family syscalls this process made so far (/proc/self/io
 * syscr, syscw); 0 when unknown. */
void sysinfo_syscalls(uint64_t *reads, uint64_t *writes);

#endif
