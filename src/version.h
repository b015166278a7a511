/* Version strings, fixed at build time (Makefile passes them to version.c). */
#ifndef MB_VERSION_H
#define MB_VERSION_H

extern const char version_string[];   /* e.g. "0.1.0" */
extern const char version_git_rev[];  /* short git revision, or "unknown" */
#define MB_VERSION version_string
#define MB_GIT_REV version_git_rev

/* libmosquitto's runtime version as "2.0.11" (static buffer). */
const char *version_libmosquitto(void);

#endif
