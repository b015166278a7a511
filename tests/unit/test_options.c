/* Unit tests for src/options.c: what the command line accepts and refuses,
 * and that every refusal is one printable line. */
#include "options.h"
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Every argv made by parse(), freed at the end: cfg's strings point into them. */
static char **kept[256];
static size_t nkept;

static void free_kept(void)
{
    for (size_t k = 0; k < nkept; k++) {
        for (char **a = kept[k]; *a; a++) free(*a);
        free(kept[k]);
    }
}

/* Parse the NULL-terminated words after "mqttbench" into cfg; err gets the
 * message. Returns options_parse's status. argv is a fresh copy each time. */
static enum options_status parse(struct mb_config *cfg, char *err, size_t errlen, ...)
{
    char **argv = calloc(64, sizeof(char *));
    if (nkept < sizeof(kept) / sizeof(kept[0])) kept[nkept++] = argv;
    int argc = 0;
    argv[argc++] = strdup("mqttbench");
    va_list ap;
    va_start(ap, errlen);
    for (const char *a; argc < 63 && (a = va_arg(ap, const char *));)
        argv[argc++] = strdup(a);
    va_end(ap);
    argv[argc] = NULL;
    err[0] = '\0';
    return options_parse(argc, argv, cfg, err, errlen);
}

/* True when err is one line of printable ASCII. */
static int printable_line(const char *err)
{
    for (const unsigned char *c = (const unsigned char *)err; *c; c++)
        if (*c < 0x20 || *c >= 0x7f) return 0;
    return err[0] != '\0';
}

#define REFUSED(label, want, ...) do { \
        struct mb_config cfg_; \
        char err_[512]; \
        enum options_status st_ = parse(&cfg_, err_, sizeof(err_), __VA_ARGS__, (const char *)NULL); \
        CHECKF(label, st_ == OPTIONS_ERROR && strstr(err_, (want)) && printable_line(err_), \
               "status %d, message '%s', want '%s'", (int)st_, err_, (want)); \
    } while (0)

#define ACCEPTED(label, cond, ...) do { \
        struct mb_config cfg; \
        char err_[512]; \
        enum options_status st_ = parse(&cfg, err_, sizeof(err_), __VA_ARGS__, (const char *)NULL); \
        CHECKF(label, st_ == OPTIONS_RUN && (cond), "status %d: %s", (int)st_, err_); \
    } while (0)

/* Whole numbers take digits only: "-0" once ran as 0 although the man page
 * says signs are refused. */
static void test_signs(void)
{
    REFUSED("--qos -0 refused", "--qos", "both", "--qos", "-0");
    REFUSED("--qos +1 refused", "--qos", "both", "--qos", "+1");
    REFUSED("--pub-qos -0 refused", "--pub-qos", "both", "--pub-qos", "-0");
    REFUSED("--first-publisher -0 refused", "--first-publisher", "pub", "--first-publisher", "-0");
    REFUSED("--broker-max-queued -0 refused", "--broker-max-queued", "both", "--broker-max-queued", "-0");
    REFUSED("--session-expiry -0 refused", "--session-expiry", "both", "-V", "5", "--session-expiry", "-0");
    REFUSED("--port ' 80' refused", "--port", "both", "--port", " 80");
    REFUSED("--keepalive 60s refused", "--keepalive", "both", "--keepalive", "60s");
    ACCEPTED("--qos 2 accepted", cfg.qos == 2, "both", "--qos", "2");
    ACCEPTED("--first-publisher 0 accepted", cfg.first_publisher == 0, "pub", "--first-publisher", "0");
    ACCEPTED("--session-expiry 0 accepted", cfg.session_expiry_s == 0, "both", "-V", "5", "--session-expiry", "0");
}

/* A run id is written as %016llx, so it is read as hex digits only. */
static void test_run_id(void)
{
    static const char *const bad[] = { "-1", "+1", " 1", "1 ", "0x1", "-0x1", "0X1", "", "12345678901234567", "1g" };
    char label[96];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(label, sizeof(label), "--run-id '%s' refused", bad[i]);
        REFUSED(label, "--run-id: expected 1 to 16 hex digits", "both", "--run-id", bad[i]);
    }
    ACCEPTED("--run-id 16 hex digits, either case", cfg.run_id == 0xabcdef0123456789ull && cfg.run_id_given,
             "both", "--run-id", "ABCdef0123456789");
    ACCEPTED("--run-id 1", cfg.run_id == 1, "both", "--run-id", "1");
}

/* Counts, durations and rates are bounded so that nothing built from them wraps. */
static void test_bounds(void)
{
    REFUSED("--count 2^64-1 refused (once wrapped the per-publisher check)", "--count",
            "both", "--count", "18446744073709551615");
    REFUSED("--count 2^64-1 with 2 publishers refused", "--count",
            "pub", "--count", "18446744073709551615", "--publishers", "2");
    /* A quota of 2^32-1 is the clients' "no count"; 2^32-2 is the most. */
    REFUSED("--count 2^32-1 for one publisher refused", "--count: at most 4294967294 messages per publisher",
            "both", "--count", "4294967295");
    ACCEPTED("--count 2^32-2 for one publisher accepted", cfg.count == 4294967294ull, "pub", "--count", "4294967294");
    ACCEPTED("--count 2*(2^32-2) for two publishers accepted", cfg.count == 8589934588ull,
             "pub", "--count", "8589934588", "--publishers", "2");
    REFUSED("--count 2*(2^32-2)+1 for two publishers refused", "per publisher",
            "pub", "--count", "8589934589", "--publishers", "2");
    REFUSED("sub --count above 2^53 refused", "--count: at most 9007199254740992", "sub", "--count", "9007199254740993");
    REFUSED("--backlog 2^64-1 refused", "--backlog: at most", "both", "--backlog", "18446744073709551615");
    REFUSED("--report-every above 2^53 refused", "--report-every: at most", "both", "--report-every", "10000000G");
    REFUSED("--warmup 2^64-1 ns refused (once wrapped now + warmup)", "--warmup: at most 8760h",
            "both", "--warmup", "18446744073709551615ns");
    REFUSED("--duration 8761h refused", "--duration: at most 8760h", "both", "--duration", "8761h");
    REFUSED("--sub-delay 9000h refused", "--sub-delay: at most", "sub", "--sub-delay", "9000h");
    REFUSED("--drain-timeout 9000h refused", "--drain-timeout: at most", "both", "--drain-timeout", "9000h");
    REFUSED("--connect-timeout 9000h refused", "--connect-timeout: at most", "both", "--connect-timeout", "9000h");
    REFUSED("--wait-timeout 9000h refused", "--wait-timeout: at most", "pub", "--wait-timeout", "9000h");
    ACCEPTED("--duration 8760h accepted", cfg.duration_ns == 8760ull * 3600 * 1000000000, "both", "--duration", "8760h");
    REFUSED("--rate 2000M refused", "--rate: at most 1000M", "both", "--rate", "2000M");
    REFUSED("--rate 1e20 digits refused", "--rate: at most", "both", "--rate", "100000000000000000000");
    REFUSED("--connect-rate 2000M refused", "--connect-rate: at most 1000M", "both", "--connect-rate", "2000M");
    ACCEPTED("--rate 1000M accepted", cfg.rate == 1e9, "both", "--rate", "1000M");
}

/* Whatever the user typed, the message stays one printable line. */
static void test_echo(void)
{
    REFUSED("--port with a newline: one line", "--port: expected a whole number", "pub", "--port", "1\n");
    REFUSED("--port with an escape sequence: shown as ?", "got '1?[2J'", "pub", "--port", "1\033[2J");
    REFUSED("--count with a newline: one line", "--count", "both", "--count", "5\nx");
    REFUSED("--run-id with a newline: one line", "--run-id", "both", "--run-id", "1\n");
    REFUSED("--protocol with a tab: one line", "--protocol", "both", "-V", "5\t");
    REFUSED("--topic with a newline: one line", "--topic", "pub", "--topic", "a/#\nb");
    REFUSED("--bind-address with a newline: one line", "--bind-address: '10.0.0.1?' is not",
            "both", "--bind-address", "127.0.0.1,10.0.0.1\n");
    REFUSED("unknown option with a newline: one line", "unknown option '--fo?o'", "both", "--fo\no");
    REFUSED("unknown short option, a control character: one line", "unknown option '-?'", "both", "-\001");
    REFUSED("unexpected argument with a newline: one line", "unexpected argument 'a?b'", "both", "a\nb");
    REFUSED("unknown command with an escape: one line", "unknown command 'x?y'", "x\033y");
    char longval[300];
    memset(longval, '9', sizeof(longval) - 1);
    longval[sizeof(longval) - 1] = '\0';
    REFUSED("a very long value is cut with ...", "...'", "both", "--port", longval);
}

/* --bind-address is copied out: argv is passed on unchanged to the children
 * of both --processes (once it was split in place and they saw only A). */
static void test_bind_address(void)
{
    char *argv[] = { strdup("mqttbench"), strdup("both"), strdup("--bind-address"),
                     strdup("127.0.0.1,,::1,127.0.0.2"), NULL };
    struct mb_config cfg;
    char err[512] = "";
    enum options_status st = options_parse(4, argv, &cfg, err, sizeof(err));
    CHECKF("--bind-address A,,B,C parsed", st == OPTIONS_RUN && cfg.nbind == 3, "%d %s", (int)st, err);
    CHECK("--bind-address addresses in order", cfg.nbind == 3 && !strcmp(cfg.bind_addresses[0], "127.0.0.1") &&
          !strcmp(cfg.bind_addresses[1], "::1") && !strcmp(cfg.bind_addresses[2], "127.0.0.2"));
    CHECKF("--bind-address leaves argv unchanged", !strcmp(argv[3], "127.0.0.1,,::1,127.0.0.2"), "argv[3] '%s'", argv[3]);
    for (int i = 0; argv[i]; i++) free(argv[i]);
    REFUSED("--bind-address only commas refused", "--bind-address: expected one or more", "both", "--bind-address", ",,");
    REFUSED("--bind-address a name refused", "--bind-address: 'localhost' is not", "both", "--bind-address", "localhost");
}

/* --json -: the result on stdout, so nothing else may print there. */
static void test_json_stdout(void)
{
    ACCEPTED("--json - accepted", !strcmp(cfg.json_path, "-"), "both", "--json", "-");
    REFUSED("--json - with --report-every refused", "--report-every: prints on standard output",
            "both", "--json", "-", "--report-every", "10");
    REFUSED("--json empty refused", "--json", "both", "--json", "");
}

int main(void)
{
    test_signs();
    test_run_id();
    test_bounds();
    test_echo();
    test_bind_address();
    test_json_stdout();
    free_kept();
    return test_failures ? 1 : 0;
}
