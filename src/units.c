/* units: strict number-with-suffix parsing and compact formatting (see units.h). */
#include "units.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One accepted suffix and its multiplier. */
struct units_suffix {
    const char *name;
    uint64_t mult;
};

/* A decimal number ip.frac split exactly: frac holds the significant fraction
 * digits (trailing zeros dropped) and nfrac how many there are, so the value is
 * ip + frac / 10^nfrac. */
struct units_decimal {
    uint64_t ip;
    uint64_t frac;
    unsigned nfrac;
};

#define UNITS_MAX_FRAC_DIGITS 19    /* 10^19 still fits in uint64_t */

static int units_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* End of the number syntax digits ['.' digits] at the start of s, or NULL when
 * s does not start with it. */
static const char *units_number_end(const char *s)
{
    const char *p = s;
    if (!units_is_digit(*p))
        return NULL;
    while (units_is_digit(*p))
        p++;
    if (*p == '.') {
        p++;
        if (!units_is_digit(*p))
            return NULL;
        while (units_is_digit(*p))
            p++;
    }
    return p;
}

/* Parse the number in [s, end) (already checked by units_number_end) exactly.
 * Returns -1 when the integer part overflows or the fraction is too long. */
static int units_decimal_parse(const char *s, const char *end, struct units_decimal *d)
{
    const char *p = s;
    d->ip = 0;
    d->frac = 0;
    d->nfrac = 0;
    for (; p < end && *p != '.'; p++) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (d->ip > (UINT64_MAX - digit) / 10)
            return -1;
        d->ip = d->ip * 10 + digit;
    }
    if (p == end)
        return 0;
    unsigned zeros = 0;                 /* zeros seen but not yet appended */
    for (p++; p < end; p++) {
        if (*p == '0') {
            zeros++;
            continue;
        }
        unsigned add = zeros + 1;
        if (d->nfrac + add > UNITS_MAX_FRAC_DIGITS)
            return -1;
        for (unsigned i = 0; i < zeros; i++)
            d->frac *= 10;
        d->frac = d->frac * 10 + (uint64_t)(*p - '0');
        d->nfrac += add;
        zeros = 0;
    }
    return 0;
}

static uint64_t units_gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* *out = d * mult exactly; -1 on overflow or when the result is not whole. */
static int units_decimal_scale(const struct units_decimal *d, uint64_t mult, uint64_t *out)
{
    if (mult != 0 && d->ip > UINT64_MAX / mult)
        return -1;
    uint64_t whole = d->ip * mult;
    if (d->frac == 0) {
        *out = whole;
        return 0;
    }
    uint64_t pow10 = 1;
    for (unsigned i = 0; i < d->nfrac; i++)
        pow10 *= 10;
    /* frac * mult / pow10 is whole iff pow10/g divides frac, g = gcd(mult, pow10). */
    uint64_t g = units_gcd(mult, pow10);
    uint64_t den = pow10 / g;
    if (d->frac % den != 0)
        return -1;
    uint64_t q = d->frac / den, m = mult / g;
    if (m != 0 && q > UINT64_MAX / m)
        return -1;
    uint64_t part = q * m;
    if (part > UINT64_MAX - whole)
        return -1;
    *out = whole + part;
    return 0;
}

/* Multiplier of the suffix [s, s+len) in table (n entries); -1 if not found. */
static int units_suffix_find(const char *s, size_t len, const struct units_suffix *table,
                             size_t n, uint64_t *mult)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(table[i].name) == len && memcmp(table[i].name, s, len) == 0) {
            *mult = table[i].mult;
            return 0;
        }
    }
    return -1;
}

/* Shared body of the exact integer parsers. */
static int units_parse_scaled(const char *s, const struct units_suffix *table, size_t n,
                              uint64_t *out)
{
    struct units_decimal d;
    uint64_t mult, v;
    if (s == NULL)
        return -1;
    const char *end = units_number_end(s);
    if (end == NULL || units_decimal_parse(s, end, &d) != 0)
        return -1;
    if (units_suffix_find(end, strlen(end), table, n, &mult) != 0)
        return -1;
    if (units_decimal_scale(&d, mult, &v) != 0)
        return -1;
    *out = v;
    return 0;
}

#define UNITS_N(table) (sizeof(table) / sizeof((table)[0]))

int units_parse_count(const char *s, uint64_t *out)
{
    static const struct units_suffix table[] = {
        { "", 1 },
        { "k", 1000 }, { "K", 1000 },
        { "m", 1000000 }, { "M", 1000000 },
        { "g", 1000000000 }, { "G", 1000000000 },
    };
    return units_parse_scaled(s, table, UNITS_N(table), out);
}

int units_parse_duration_ns(const char *s, uint64_t *out_ns)
{
    static const struct units_suffix table[] = {
        { "", UINT64_C(1000000000) },
        { "ns", 1 },
        { "us", UINT64_C(1000) },
        { "ms", UINT64_C(1000000) },
        { "s", UINT64_C(1000000000) },
        { "m", UINT64_C(60000000000) },
        { "h", UINT64_C(3600000000000) },
    };
    return units_parse_scaled(s, table, UNITS_N(table), out_ns);
}

int units_parse_size(const char *s, uint64_t *out_bytes)
{
    static const struct units_suffix table[] = {
        { "", 1 }, { "B", 1 },
        { "k", UINT64_C(1) << 10 }, { "K", UINT64_C(1) << 10 }, { "kB", UINT64_C(1) << 10 },
        { "KB", UINT64_C(1) << 10 }, { "KiB", UINT64_C(1) << 10 },
        { "M", UINT64_C(1) << 20 }, { "MB", UINT64_C(1) << 20 }, { "MiB", UINT64_C(1) << 20 },
        { "G", UINT64_C(1) << 30 }, { "GB", UINT64_C(1) << 30 }, { "GiB", UINT64_C(1) << 30 },
    };
    return units_parse_scaled(s, table, UNITS_N(table), out_bytes);
}

int units_parse_rate(const char *s, double *out)
{
    static const struct units_suffix table[] = {
        { "", 1 }, { "k", 1000 }, { "K", 1000 }, { "M", 1000000 },
    };
    uint64_t mult;
    if (s == NULL)
        return -1;
    const char *end = units_number_end(s);
    if (end == NULL)
        return -1;
    size_t len = strlen(end);
    if (len >= 2 && strcmp(end + len - 2, "/s") == 0)
        len -= 2;
    if (units_suffix_find(end, len, table, UNITS_N(table), &mult) != 0)
        return -1;

    /* The syntax check above means strtod sees plain digits[.digits]; it must
     * stop exactly where that ends (it would also take "1e5" or "0x10"). */
    char *num_end;
    errno = 0;
    double v = strtod(s, &num_end);
    if (num_end != end || errno == ERANGE)
        return -1;
    v *= (double)mult;
    if (!isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int units_parse_int(const char *s, long min, long max, long *out)
{
    if (s == NULL || !units_is_digit(*s))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Print v / scale[i] with three significant digits and names[i], picking the
 * largest unit not above v (names[0] with scale 1 prints the integer exactly). */
static const char *units_format_scaled(uint64_t v, const char *const *names,
                                       const double *scales, size_t n,
                                       char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return buf;
    size_t i = 0;
    while (i + 1 < n && (double)v >= scales[i + 1])
        i++;
    if (i == 0) {
        snprintf(buf, len, "%" PRIu64 "%s", v, names[0]);
        return buf;
    }
    double x = (double)v / scales[i];
    if (x >= 999.5 && i + 1 < n) {          /* would print as "1000k": use "1.00M" */
        i++;
        x = (double)v / scales[i];
    }
    if (x < 9.995)
        snprintf(buf, len, "%.2f%s", x, names[i]);
    else if (x < 99.95)
        snprintf(buf, len, "%.1f%s", x, names[i]);
    else
        snprintf(buf, len, "%.0f%s", x, names[i]);
    return buf;
}

const char *units_format_count(uint64_t v, char *buf, size_t len)
{
    static const char *const names[] = { "", "k", "M", "G", "T", "P", "E" };
    static const double scales[] = { 1, 1e3, 1e6, 1e9, 1e12, 1e15, 1e18 };
    return units_format_scaled(v, names, scales, UNITS_N(names), buf, len);
}

const char *units_format_duration(uint64_t ns, char *buf, size_t len)
{
    static const char *const names[] = { "ns", "us", "ms", "s" };
    static const double scales[] = { 1, 1e3, 1e6, 1e9 };
    return units_format_scaled(ns, names, scales, UNITS_N(names), buf, len);
}
