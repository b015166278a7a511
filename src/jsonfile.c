/* jsonfile: atomic JSON file writes (temp file + fsync + rename). */
#include "jsonfile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int jsonfile_write(const cJSON *root, const char *path, char *err, size_t errlen)
{
    char *text = cJSON_Print(root);
    if (!text) {
        snprintf(err, errlen, "%s: out of memory formatting JSON", path);
        return -1;
    }
    char dir[4096], tmp[4200];
    snprintf(dir, sizeof(dir), "%s", path);
    char *d = dirname(dir);
    if (mkdir(d, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create directory %s: %s", path, d, strerror(errno));
        free(text);
        return -1;
    }
    snprintf(tmp, sizeof(tmp), "%s/.mqttbench-json-XXXXXX", d);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a temp file in %s: %s", path, d, strerror(errno));
        free(text);
        return -1;
    }
    int rc = write_all(fd, text, strlen(text));
    if (rc == 0) rc = write_all(fd, "\n", 1);
    if (rc == 0) rc = fchmod(fd, 0644);
    if (rc == 0) rc = fsync(fd);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    free(text);
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}
