/* jsonfile: write a JSON document to a file atomically, the way result files
 * are written: a temp file in the same directory, fsync, rename. */
#ifndef MB_JSONFILE_H
#define MB_JSONFILE_H

#include <stddef.h>

struct cJSON;

/* Write root, pretty-printed and newline-terminated, to path atomically,
 * creating path's directory (one level) when it is missing. Readers see the
 * old file or the whole new one, never a part. Returns 0, or -1 with err
 * ("PATH: why", errlen bytes) filled; on failure nothing is left beside path. */
int jsonfile_write(const struct cJSON *root, const char *path, char *err, size_t errlen);

#endif
