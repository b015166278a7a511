/* Unit tests for src/units.c: good and bad inputs for every parser, and the
 * formatters' output. */
#include "units.h"
#include "test.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#define OVERFLOW "99999999999999999999"     /* > UINT64_MAX (1.8e19) */

struct u64_case {
    const char *in;
    int ok;
    uint64_t want;
};

/* Inputs every strict parser must refuse. */
static const char *const common_bad[] = {
    "", "abc", "10x", "-5", "+5", " 5", "5 ", "1.", ".5", "1..2", "1e6", "0x10",
    "inf", "nan", "5kk", OVERFLOW,
};

static void run_u64_cases(const char *fn, int (*parse)(const char *, uint64_t *),
                          const struct u64_case *cases, size_t n)
{
    char label[128];
    for (size_t i = 0; i < n; i++) {
        uint64_t out = 12345;
        int rc = parse(cases[i].in, &out);
        if (cases[i].ok) {
            snprintf(label, sizeof(label), "%s(\"%s\") = %" PRIu64, fn, cases[i].in, cases[i].want);
            CHECKF(label, rc == 0 && out == cases[i].want, "rc=%d out=%" PRIu64, rc, out);
        } else {
            snprintf(label, sizeof(label), "%s(\"%s\") rejected", fn, cases[i].in);
            CHECKF(label, rc == -1 && out == 12345, "rc=%d out=%" PRIu64, rc, out);
        }
    }
    for (size_t i = 0; i < sizeof(common_bad) / sizeof(common_bad[0]); i++) {
        uint64_t out = 12345;
        snprintf(label, sizeof(label), "%s(\"%s\") rejected", fn, common_bad[i]);
        CHECK(label, parse(common_bad[i], &out) == -1 && out == 12345);
    }
    uint64_t out;
    snprintf(label, sizeof(label), "%s(NULL) rejected", fn);
    CHECK(label, parse(NULL, &out) == -1);
}

static void test_count(void)
{
    static const struct u64_case cases[] = {
        { "0", 1, 0 },
        { "1000000", 1, 1000000 },
        { "10k", 1, 10000 },
        { "10K", 1, 10000 },
        { "1M", 1, 1000000 },
        { "2m", 1, 2000000 },
        { "3g", 1, 3000000000u },
        { "3G", 1, 3000000000u },
        { "1.5k", 1, 1500 },
        { "0.001k", 1, 1 },
        { "2.50M", 1, 2500000 },
        { "1.0", 1, 1 },
        { "007", 1, 7 },
        { "18446744073709551615", 1, UINT64_MAX },
        { "18446744073709551616", 0, 0 },
        { "18446744073709551.615k", 1, UINT64_MAX },
        { "18446744073709551.616k", 0, 0 },
        { "18446744073709552k", 0, 0 },
        { "1.5", 0, 0 },
        { "0.0001k", 0, 0 },
        { "10ms", 0, 0 },
        { "10 k", 0, 0 },
        { "1kB", 0, 0 },
    };
    run_u64_cases("units_parse_count", units_parse_count, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_duration(void)
{
    static const struct u64_case cases[] = {
        { "0", 1, 0 },
        { "30", 1, UINT64_C(30000000000) },
        { "30s", 1, UINT64_C(30000000000) },
        { "500ms", 1, UINT64_C(500000000) },
        { "250us", 1, UINT64_C(250000) },
        { "100ns", 1, 100 },
        { "2m", 1, UINT64_C(120000000000) },
        { "1h", 1, UINT64_C(3600000000000) },
        { "1.5s", 1, UINT64_C(1500000000) },
        { "0.5ms", 1, UINT64_C(500000) },
        { "1.5", 1, UINT64_C(1500000000) },
        { "0.000000001s", 1, 1 },
        { "1.5ns", 0, 0 },
        { "0.0000000001s", 0, 0 },
        { "18446744073s", 1, UINT64_C(18446744073000000000) },
        { "18446744074s", 0, 0 },
        { "10x", 0, 0 },
        { "5S", 0, 0 },
        { "5sec", 0, 0 },
        { "5 s", 0, 0 },
        { "5min", 0, 0 },
    };
    run_u64_cases("units_parse_duration_ns", units_parse_duration_ns, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_size(void)
{
    static const struct u64_case cases[] = {
        { "0", 1, 0 },
        { "100", 1, 100 },
        { "100B", 1, 100 },
        { "1k", 1, 1024 },
        { "1K", 1, 1024 },
        { "1kB", 1, 1024 },
        { "1KB", 1, 1024 },
        { "1KiB", 1, 1024 },
        { "1.5KiB", 1, 1536 },
        { "0.5k", 1, 512 },
        { "1M", 1, UINT64_C(1048576) },
        { "1MB", 1, UINT64_C(1048576) },
        { "2MiB", 1, UINT64_C(2097152) },
        { "1G", 1, UINT64_C(1073741824) },
        { "0.1k", 0, 0 },
        { "1m", 0, 0 },
        { "1kiB", 0, 0 },
        { "1b", 0, 0 },
        { "1BB", 0, 0 },
        { "17179869184G", 0, 0 },
    };
    run_u64_cases("units_parse_size", units_parse_size, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_rate(void)
{
    static const struct {
        const char *in;
        int ok;
        double want;
    } cases[] = {
        { "0", 1, 0.0 },
        { "10k", 1, 10000.0 },
        { "10K", 1, 10000.0 },
        { "1M", 1, 1e6 },
        { "50000/s", 1, 50000.0 },
        { "2.5k/s", 1, 2500.0 },
        { "0.5", 1, 0.5 },
        { "1.25", 1, 1.25 },
        { "", 0, 0 },
        { "abc", 0, 0 },
        { "10x", 0, 0 },
        { "-5", 0, 0 },
        { "+5", 0, 0 },
        { "1e3", 0, 0 },
        { "0x10", 0, 0 },
        { "inf", 0, 0 },
        { "nan", 0, 0 },
        { "10/s/s", 0, 0 },
        { "10/m", 0, 0 },
        { "/s", 0, 0 },
        { "10m", 0, 0 },
        { "10 k", 0, 0 },
        { OVERFLOW, 1, 99999999999999999999.0 },
    };
    char label[128];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double out = -1.0;
        int rc = units_parse_rate(cases[i].in, &out);
        if (cases[i].ok) {
            snprintf(label, sizeof(label), "units_parse_rate(\"%s\") = %g", cases[i].in, cases[i].want);
            CHECKF(label, rc == 0 && out == cases[i].want, "rc=%d out=%g", rc, out);
        } else {
            snprintf(label, sizeof(label), "units_parse_rate(\"%s\") rejected", cases[i].in);
            CHECKF(label, rc == -1 && out == -1.0, "rc=%d out=%g", rc, out);
        }
    }
    /* 400 digits overflows a double. */
    char big[402];
    memset(big, '9', 400);
    big[400] = '\0';
    double out = -1.0;
    CHECK("units_parse_rate(400 digits) rejected", units_parse_rate(big, &out) == -1 && out == -1.0);
    CHECK("units_parse_rate(NULL) rejected", units_parse_rate(NULL, &out) == -1);
}

static void test_int(void)
{
    long out = 42;
    CHECK("units_parse_int(\"7\") in [1,10]", units_parse_int("7", 1, 10, &out) == 0 && out == 7);
    CHECK("units_parse_int(\"0\") in [0,0]", units_parse_int("0", 0, 0, &out) == 0 && out == 0);
    CHECK("units_parse_int LONG_MAX", units_parse_int("9223372036854775807", LONG_MIN, LONG_MAX, &out) == 0 &&
                                      out == LONG_MAX);
    out = 42;
    CHECK("units_parse_int(\"11\") above max rejected", units_parse_int("11", 1, 10, &out) == -1 && out == 42);
    CHECK("units_parse_int(\"0\") below min rejected", units_parse_int("0", 1, 10, &out) == -1 && out == 42);
    CHECK("units_parse_int(\"-5\") below min 0 rejected", units_parse_int("-5", 0, 10, &out) == -1 && out == 42);
    /* No sign at all, even where the range allows it: "-0" once ran as 0
     * (--qos -0, --first-publisher -0) although signs are documented as refused. */
    static const char *const bad[] = { "", "abc", "10x", "+5", " 5", "5 ", "-", "--5", "1.5", "1k", "0x10",
                                       OVERFLOW, "-99999999999999999999", "-0", "-3", "-1", "+0" };
    char label[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(label, sizeof(label), "units_parse_int(\"%s\") rejected", bad[i]);
        CHECK(label, units_parse_int(bad[i], LONG_MIN, LONG_MAX, &out) == -1 && out == 42);
    }
    CHECK("units_parse_int(NULL) rejected", units_parse_int(NULL, 0, 1, &out) == -1);
}

static void test_format(void)
{
    static const struct {
        uint64_t v;
        const char *want;
    } counts[] = {
        { 0, "0" }, { 999, "999" }, { 1000, "1.00k" }, { 1234, "1.23k" }, { 12345, "12.3k" },
        { 123456, "123k" }, { 999499, "999k" }, { 999500, "1.00M" }, { 1230000, "1.23M" },
        { 45600000, "45.6M" }, { 789000000000u, "789G" }, { UINT64_MAX, "18.4E" },
    };
    static const struct {
        uint64_t ns;
        const char *want;
    } durs[] = {
        { 0, "0ns" }, { 850, "850ns" }, { 999, "999ns" }, { 1000, "1.00us" }, { 12300, "12.3us" },
        { 250000000, "250ms" }, { 999999, "1.00ms" }, { 1500000000, "1.50s" }, { 9996000000u, "10.0s" },
        { UINT64_C(3600000000000), "3600s" },
    };
    char buf[32], label[128];
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        const char *got = units_format_count(counts[i].v, buf, sizeof(buf));
        snprintf(label, sizeof(label), "units_format_count(%" PRIu64 ") = \"%s\"", counts[i].v, counts[i].want);
        CHECKF(label, got == buf && strcmp(buf, counts[i].want) == 0, "got \"%s\"", buf);
    }
    for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        const char *got = units_format_duration(durs[i].ns, buf, sizeof(buf));
        snprintf(label, sizeof(label), "units_format_duration(%" PRIu64 ") = \"%s\"", durs[i].ns, durs[i].want);
        CHECKF(label, got == buf && strcmp(buf, durs[i].want) == 0, "got \"%s\"", buf);
    }
    char small[4];
    units_format_duration(1500000000, small, sizeof(small));
    CHECKF("units_format_duration truncates to buffer", strcmp(small, "1.5") == 0, "got \"%s\"", small);
    char untouched = 'x';
    CHECK("units_format_count with len 0 writes nothing",
          units_format_count(5, &untouched, 0) == &untouched && untouched == 'x');
}

int main(void)
{
    test_count();
    test_duration();
    test_size();
    test_rate();
    test_int();
    test_format();
    return test_failures ? 1 : 0;
}
