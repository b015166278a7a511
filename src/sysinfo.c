/* Environment facts for the result JSON. */
#include "sysinfo.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "iobuf.h"
#include "options.h"
#include "version.h"

static void cpu_model(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(out, len, "%s", colon);
        break;
    }
    fclose(f);
}

void sysinfo_fill(struct result_env *env)
{
    if (gethostname(env->hostname, sizeof(env->hostname)) != 0) snprintf(env->hostname, sizeof(env->hostname), "unknown");
    env->hostname[sizeof(env->hostname) - 1] = '\0';
    cpu_model(env->cpu_model, sizeof(env->cpu_model));
    env->cpu_count = options_ncpus();
    struct utsname u;
    if (uname(&u) == 0) snprintf(env->kernel, sizeof(env->kernel), "%s %s %s", u.sysname, u.release, u.machine);
    else snprintf(env->kernel, sizeof(env->kernel), "unknown");
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(env->start_time, sizeof(env->start_time), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(env->version, sizeof(env->version), "%s", MB_VERSION);
    snprintf(env->git_revision, sizeof(env->git_revision), "%s", MB_GIT_REV);
    snprintf(env->libmosquitto, sizeof(env->libmosquitto), "%s", version_libmosquitto());
    env->pid = (long)getpid();
    env->io_layer_off = !iobuf_enabled();
}

void sysinfo_resources(double *user_s, double *sys_s, long *peak_rss_kb)
{
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    getrusage(RUSAGE_SELF, &ru);
    *user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    *sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    *peak_rss_kb = ru.ru_maxrss;
}

void sysinfo_syscalls(uint64_t *reads, uint64_t *writes)
{
    iobuf_syscalls(reads, writes);
}
