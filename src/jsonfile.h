/* jsonfile: write a JSON document the way result files are written (a
 * regular file atomically; a device, a FIFO or standard output in place),
 * with numbers that read back bit-exact. The one place mqttbench, merge and
 * compare reach the file system to write. */
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

/* Where a result can go, decided the same way by jsonfile_check and
 * jsonfile_write (symlinks are followed, never replaced):
 *   "-"                      standard output (file descriptor 1; stdio's
 *                            stdout is flushed first);
 *   a character device or a FIFO (such as /dev/null)
 *                            opened and written in place, no temp file, no
 *                            sync; a FIFO's open waits for its reader;
 *   a regular file, or nothing yet
 *                            written atomically: a temp file in the same
 *                            directory (the target's, for a symlink), fsync,
 *                            rename; the directory is created (one level)
 *                            when missing. Readers see the old file or the
 *                            whole new one, never a part.
 * Refused: an empty name, a name ending in '/', a directory, a block device,
 * a socket, a symlink to a missing file, and the regular file that is
 * already this process's standard output (use "-"). */

/* Check, before a run, that jsonfile_write(path) can succeed: the checks
 * above, the directory exists or can be created, and a file can be created
 * in it (mkstemp + unlink; a directory it had to create is removed again);
 * a device or FIFO must be writable (access(2); not opened). Returns 0, or -1
 * with err ("PATH: why", one line, errlen bytes) filled. */
int jsonfile_check(const char *path, char *err, size_t errlen);

/* Write jsonfile_print(root) and a newline to path as described above.
 * Returns 0, or -1 with err ("PATH: why" or "standard output: why", errlen
 * bytes) filled; on failure no temp file is left beside path and a regular
 * file at path is untouched. */
int jsonfile_write(const struct cJSON *root, const char *path, char *err, size_t errlen);

/* Write len bytes of text to path the same way (any text: a report, CSV,
 * metrics). Returns as jsonfile_write. */
int jsonfile_write_text(const char *path, const char *text, size_t len, char *err, size_t errlen);

#endif
