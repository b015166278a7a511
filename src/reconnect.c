/* reconnect: the --reconnect backoff (see reconnect.h). */
#include "reconnect.h"

#include <stdio.h>
#include <string.h>


#include "errmsg.h"
#include "units.h"

int reconnect_parse(const char *arg, const char *name, uint64_t *min_ns, uint64_t *max_ns, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(64)];
    errmsg_sanitize(arg, 64, shown, sizeof(shown));
    const char *dots = strstr(arg, "..");
    char lo[64];
    const char *hi = dots ? dots + 2 : arg;
    size_t n = dots ? (size_t)(dots - arg) : strlen(arg);
    snprintf(lo, sizeof(lo), "%.*s", (int)(n < sizeof(lo) ? n : 0), arg);
    uint64_t a = 0, b = 0;
    if (n >= sizeof(lo) || units_parse_duration_ns(lo, &a) != 0 || units_parse_duration_ns(hi, &b) != 0 || a == 0)
        return errmsg_set(err, errlen, "--%s: expected a backoff such as 100ms..5s (first wait..longest wait), "
                          "got '%s'", name, shown);
    if (b < a)
        return errmsg_set(err, errlen, "--%s: the longest wait is shorter than the first, got '%s'", name, shown);
    *min_ns = a;
    *max_ns = b;
    return 0;
}

uint64_t reconnect_delay_ns(uint64_t min_ns, uint64_t max_ns, unsigned attempt)
{
    uint64_t d = min_ns;
    for (unsigned i = 0; i < attempt && d < max_ns; i++) d *= 2;
    return d < max_ns ? d : max_ns;
}
