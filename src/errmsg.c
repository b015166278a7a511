/* Filling error buffers, and showing outside values in them. */
#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>

int errmsg_set(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void errmsg_sanitize(const char *s, size_t max, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    size_t o = 0, i = 0;
    if (!s)
        s = "";
    for (; s[i] && i < max && o + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (s[i] && i == max) {
        for (int k = 0; k < 3 && o + 1 < len; k++)
            buf[o++] = '.';
    }
    buf[o] = '\0';
}
