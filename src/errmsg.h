/* errmsg: the one way modules fill a caller's error buffer. */
#ifndef MB_ERRMSG_H
#define MB_ERRMSG_H

#include <stddef.h>

/* printf into err (errlen bytes, truncated); does nothing when err is NULL
 * or errlen is 0. */
__attribute__((format(printf, 3, 4)))
void errmsg_set(char *err, size_t errlen, const char *fmt, ...);

#endif
