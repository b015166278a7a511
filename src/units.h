/* units: strict parsing of CLI numbers with unit suffixes ("10k", "500ms",
 * "64KiB", "5k/s") and compact formatting for human-readable output.
 *
 * Number syntax for every parser below: one or more
 * decimal digits, optionally followed by '.' and one or more digits, then the
 * suffix with nothing in between. Rejected: empty strings, signs, whitespace
 * anywhere, exponents ("1e6"), hex, unknown suffixes, trailing junk, overflow.
 * The integer-valued parsers compute in exact decimal arithmetic (no floating
 * point), so "1.5k" is exactly 1500; a fraction that does not give a whole
 * result ("1.5" as a count, "0.1k" as a size) is rejected, as are fractions
 * with more than 19 significant digits. All parsers return 0 on success, or -1
 * and leave *out untouched. No state, thread-safe. */
#ifndef MB_UNITS_H
#define MB_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* A count: integer with optional decimal suffix k/K (1e3), m/M (1e6) or
 * g/G (1e9). "1000000", "10k", "1M", "1.5k" (= 1500). */
int units_parse_count(const char *s, uint64_t *out);

/* A duration, stored in nanoseconds. Suffix ns, us, ms, s, m (minutes) or h;
 * a bare number means seconds. "500ms", "30s", "2m", "1.5s". The result must
 * be a whole number of nanoseconds ("0.5ns" is rejected). */
int units_parse_duration_ns(const char *s, uint64_t *out_ns);

/* A size in bytes. Units are binary: suffix B (1), k/K/kB/KB/KiB (1024),
 * M/MB/MiB (1024^2), G/GB/GiB (1024^3); no suffix means bytes. "64k" = 65536,
 * "1.5KiB" = 1536. */
int units_parse_size(const char *s, uint64_t *out_bytes);

/* A non-negative rate (per second), as a double: optional suffix k/K (1e3) or
 * M (1e6), optionally followed by "/s". "0", "10k", "50000/s", "2.5k/s". */
int units_parse_rate(const char *s, double *out);

/* A plain base-10 integer in [min, max]: digits and nothing else (no sign,
 * no '.', no whitespace, no suffix), so no value below 0 can be written. */
int units_parse_int(const char *s, long min, long max, long *out);

/* Format v with three significant digits and a decimal suffix: "999", "1.23k",
 * "45.6M", "789G" (k, M, G, T, P, E). Values below 1000 are printed exactly.
 * Writes at most len bytes into buf (NUL-terminated when len > 0, truncated like
 * snprintf) and returns buf. */
const char *units_format_count(uint64_t v, char *buf, size_t len);

/* Format a duration given in ns with three significant digits: "850ns",
 * "12.3us", "250ms", "1.50s"; seconds is the largest unit ("3600s").
 * Same buffer contract as units_format_count; returns buf. */
const char *units_format_duration(uint64_t ns, char *buf, size_t len);

#endif
