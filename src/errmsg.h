/* errmsg: the one way modules fill a caller's error buffer, and the one way a
 * value from outside (a flag's value, a path, a string from a file) is shown
 * inside a message. */
#ifndef MB_ERRMSG_H
#define MB_ERRMSG_H

#include <stddef.h>

/* printf into err (errlen bytes, truncated); does nothing when err is NULL
 * or errlen is 0. Returns -1, so a failing function can end with
 * `return errmsg_set(err, errlen, "...", ...);`. */
__attribute__((format(printf, 3, 4)))
int errmsg_set(char *err, size_t errlen, const char *fmt, ...);

/* Copy s into buf (len bytes) for a message: printable ASCII kept, anything
 * else (control characters, escape sequences, bytes >= 0x7f) as '?', cut to
 * at most max characters with "..." appended, so an echoed value can neither
 * break the one-line message nor reach the terminal as a control sequence.
 * s NULL is shown as "". */
void errmsg_sanitize(const char *s, size_t max, char *buf, size_t len);

/* Room errmsg_sanitize needs for a value cut to max characters. */
#define ERRMSG_SHOWN(max) ((max) + 4)

#endif
