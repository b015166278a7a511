/* Build-time version strings; MB_VERSION/MB_GIT_REV come from the Makefile. */
#include <mosquitto.h>
#include <stdio.h>

#ifndef MB_VERSION
#define MB_VERSION "0.0.0"
#endif
#ifndef MB_GIT_REV
#define MB_GIT_REV "unknown"
#endif

const char version_string[] = MB_VERSION;
const char version_git_rev[] = MB_GIT_REV;

const char *version_libmosquitto(void)
{
    static char buf[32];
    int major, minor, rev;
    mosquitto_lib_version(&major, &minor, &rev);
    snprintf(buf, sizeof(buf), "%d.%d.%d", major, minor, rev);
    return buf;
}
