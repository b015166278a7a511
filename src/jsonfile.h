/* jsonfile: write a JSON document to a file atomically, the way result files
 * are written (a temp file in the same directory, fsync, rename), with
 * numbers that read back bit-exact. */
#ifndef MB_JSONFILE_H
#define MB_JSONFILE_H

#include <stddef.h>

struct cJSON;

/* root as JSON text in cJSON_Print's layout, except that every number is
 * written in the fewest digits (15 to 17) that read back as the same double:
 * cJSON prints 15 digits whenever they give the number back within
 * DBL_EPSILON, which loses the last bits of sums, means and counts above
 * ~1e15. Non-finite numbers become null. Caller frees the text; NULL when out
 * of memory. */
char *jsonfile_print(const struct cJSON *root);

/* Write jsonfile_print(root) and a newline to path atomically,
 * creating path's directory (one level) when it is missing. Readers see the
 * old file or the whole new one, never a part. Returns 0, or -1 with err
 * ("PATH: why", errlen bytes) filled; on failure nothing is left beside path. */
int jsonfile_write(const struct cJSON *root, const char *path, char *err, size_t errlen);

#endif
