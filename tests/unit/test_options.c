/* Unit tests for src/options.c: what the command line accepts and refuses,
 * and that every refusal is one printable line. */
#include "optspec.h"
#include "options.h"
#include "result.h"
#include "test.h"

#include <cjson/cJSON.h>
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

/* both --processes passes its options on, except those it sets for its
 * children; a value that looks like one of those (-t -h) stays a value. */
static void test_child_args(void)
{
    const char *words[] = { "mqttbench", "both", "--processes", "-t", "-h", "--json=x.json", "-p1883", "--host",
                            "127.0.0.1", "--qos", "1", "--run-id", "5", "--jso", "y.json", "--spawn-broker",
                            "--bind-address", "127.0.0.1", "-n10k", "--retain", NULL };
    char *argv[32], *out[32];
    int argc = 0;
    for (; words[argc]; argc++) argv[argc] = strdup(words[argc]);
    argv[argc] = NULL;
    struct mb_config cfg;
    char err[512] = "";
    /* --host with --spawn-broker is refused: parse without it */
    char *parse_argv[32];
    int pargc = 0;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--spawn-broker")) parse_argv[pargc++] = argv[i];
    parse_argv[pargc] = NULL;
    enum options_status st = options_parse(pargc, parse_argv, &cfg, err, sizeof(err));
    CHECKF("child args: the parent's options parse", st == OPTIONS_RUN && !strcmp(cfg.topic, "-h"), "%d %s", (int)st,
           err);
    int n = options_child_args(argc, argv, out);
    char joined[512] = "";
    for (int i = 0; i < n; i++) {
        strcat(joined, i ? " " : "");
        strcat(joined, out[i]);
    }
    CHECKF("child args: all but host, port, json, run id, processes and spawn-broker",
           !strcmp(joined, "-t -h --qos 1 --bind-address 127.0.0.1 -n10k --retain"), "'%s'", joined);
    for (int i = 0; i < argc; i++) free(argv[i]);
}

/* --- the option table --------------------------------------------------- */

static bool ctype_fits(const struct opt_spec *s)
{
    switch (s->kind) {
    case OPT_INT: return s->ctype == OPT_C_INT || s->ctype == OPT_C_LONG;
    case OPT_QOS: return s->ctype == OPT_C_INT;
    case OPT_COUNT: case OPT_DURATION: case OPT_HEX: return s->ctype == OPT_C_U64;
    case OPT_RATE: return s->ctype == OPT_C_DOUBLE;
    case OPT_STRING: return s->ctype == OPT_C_STR;
    case OPT_CHOICE: return s->ctype == OPT_C_INT || s->ctype == OPT_C_BOOL || s->ctype == OPT_C_STR;
    case OPT_FLAG: case OPT_FLAG_OFF: return s->ctype == OPT_C_BOOL;
    case OPT_CUSTOM: return s->ctype != OPT_C_NONE;
    case OPT_HELP: case OPT_VERSION: return s->ctype == OPT_C_NONE;
    }
    return false;
}

/* Every row complete and consistent; what one row says, no other row says. */
static void test_table(void)
{
    char label[160];
    OPT_FOR_EACH(s) {
        bool ok = s->name[0] && s->help && s->help[0];
        snprintf(label, sizeof(label), "table: --%s has a name and help text", s->name);
        CHECK(label, ok);
        snprintf(label, sizeof(label), "table: --%s has a config key or is marked not recorded", s->name);
        CHECK(label, (s->key != NULL) != ((s->flags & OPT_UNRECORDED) != 0) && (!s->key || strcmp(s->key, "mode")));
        snprintf(label, sizeof(label), "table: --%s field type fits its kind", s->name);
        CHECKF(label, ctype_fits(s) && (s->ctype != OPT_C_OTHER || !strcmp(s->name, "bind-address")), "kind %d ctype %d",
               (int)s->kind, (int)s->ctype);
        snprintf(label, sizeof(label), "table: --%s names its value exactly when it takes one", s->name);
        CHECK(label, (s->arg != NULL) == optspec_takes_value(s));
        /* options_child_args relies on it: no cluster of letters (-ab) */
        snprintf(label, sizeof(label), "table: --%s has a letter only if it takes a value", s->name);
        CHECK(label, !s->short_name || optspec_takes_value(s));
        snprintf(label, sizeof(label), "table: --%s has commands, a section, and what its kind needs", s->name);
        CHECK(label, s->modes && !(s->modes & ~(unsigned)(OPT_ALL | OPT_CONN | OPT_SWEEP)) && s->section < OPT_NSECTIONS &&
                         (s->kind != OPT_CHOICE || s->choices) && (s->kind != OPT_CUSTOM || s->parse) &&
                         (s->kind != OPT_RATE || s->unit) && s->min <= (s->max ? s->max : s->min) &&
                         (!(s->flags & OPT_RECORD_NOT) || s->kind == OPT_FLAG) &&
                         (!(s->flags & OPT_UNSET_NEG) || s->kind == OPT_INT) && (!(s->flags & OPT_SCENARIO) || s->key));
        /* A secret is a string recorded only as given or not, and never part
         * of what compare and merge show. */
        if (s->flags & OPT_SECRET) {
            size_t n = s->key ? strlen(s->key) : 0;
            snprintf(label, sizeof(label), "table: secret --%s is a string recorded as %s", s->name, s->key);
            CHECK(label, s->ctype == OPT_C_STR && n > 4 && !strcmp(s->key + n - 4, "_set") &&
                             !(s->flags & OPT_SCENARIO) && !s->def);
        }
        /* The default is spelled once, in .def, and --help prints it from there. */
        const char *texts[] = { s->help, s->help_pub, s->help_sub };
        for (size_t i = 0; i < 3; i++) {
            snprintf(label, sizeof(label), "table: --%s help text does not spell a default", s->name);
            if (texts[i] && strstr(texts[i], "default")) CHECKF(label, false, "'%s'", texts[i]);
        }
        if (s->def) {
            struct mb_config cfg;
            char err[256] = "";
            memset(&cfg, 0, sizeof(cfg));
            snprintf(label, sizeof(label), "table: the default of --%s is a value it accepts", s->name);
            CHECKF(label, optspec_apply(s, &cfg, s->def, err, sizeof(err)) == 0, "%s", err);
        }
        for (const struct opt_spec *t = opt_specs; t != s; t++) {
            snprintf(label, sizeof(label), "table: --%s and --%s differ in name, letter, key and field", t->name,
                     s->name);
            if (!strcmp(t->name, s->name) || (s->short_name && t->short_name == s->short_name) ||
                (s->key && t->key && !strcmp(s->key, t->key)) ||
                (s->ctype != OPT_C_NONE && t->ctype != OPT_C_NONE && s->offset == t->offset))
                CHECK(label, false);
        }
    }
    size_t rows = 0;
    OPT_FOR_EACH(s) rows++;
    CHECKF("table: at most OPT_MAX_ROWS rows", rows <= OPT_MAX_ROWS, "%zu", rows);
    struct mb_config cfg;
    char err[256] = "";
    int rc = 0;
    for (int m = MB_MODE_PUB; m <= MB_MODE_CONN; m++) rc |= optspec_defaults(&cfg, (enum mb_mode)m, err, sizeof(err));
    CHECKF("table: every row's defaults for every command", rc == 0, "%s", err);
}

/* The options of a command's --help: the name on each option line. */
static bool help_lists(const char *help, const char *name)
{
    char want[80];
    snprintf(want, sizeof(want), "--%s", name);
    for (const char *line = help; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "  ", 2) || strncmp(line + 6, "--", 2)) continue;
        size_t n = strcspn(line + 6, " \n");
        if (n == strlen(want) && !strncmp(line + 6, want, n)) return true;
    }
    return false;
}

/* --help lists exactly the options a command takes (but internal ones). */
static void test_help(void)
{
    char label[160];
    for (int m = MB_MODE_PUB; m <= MB_MODE_CONN; m++) {
        char *help = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&help, &len);
        options_print_help(f, (enum mb_mode)m);
        fclose(f);
        /* the text as one line: a default may be wrapped */
        char *flat = malloc(len + 1);
        size_t k = 0;
        for (const char *c = help; *c; c++)
            if (!(*c == ' ' || *c == '\n') || (k && flat[k - 1] != ' ')) flat[k++] = *c == '\n' ? ' ' : *c;
        flat[k] = '\0';
        const char *mode = result_mode_name((enum mb_mode)m);
        OPT_FOR_EACH(s) {
            bool want = (s->modes & (1u << m)) && !(s->flags & OPT_HIDDEN);
            snprintf(label, sizeof(label), "help: %s --help %s --%s", mode, want ? "lists" : "leaves out", s->name);
            CHECK(label, help_lists(help, s->name) == want);
            if (want && s->def) {
                char text[160];
                snprintf(text, sizeof(text), "(default %s)", s->def);
                snprintf(label, sizeof(label), "help: %s --help gives the default of --%s", mode, s->name);
                CHECK(label, strstr(flat, text) != NULL);
            }
        }
        for (const char *c = help; *c; c = strchr(c, '\n') + 1) {
            snprintf(label, sizeof(label), "help: %s --help lines fit 100 columns", mode);
            if (strcspn(c, "\n") > 100) CHECKF(label, false, "'%.*s'", (int)strcspn(c, "\n"), c);
        }
        free(help);
        free(flat);
    }
    /* A command refuses what its help leaves out (the first row of another side). */
    ACCEPTED("modes: both takes --warmup", cfg.warmup_ns == 1000000000ull, "both", "--warmup", "1s");
    REFUSED("modes: pub refuses --warmup", "--warmup: not an option of 'pub'", "pub", "--warmup", "1s");
    ACCEPTED("sweep: takes both's options and its own, warm-up 1s per step by default",
             cfg.sweep && cfg.mode == MB_MODE_BOTH && cfg.qos == 1 && cfg.warmup_ns == 1000000000ull &&
                 cfg.find_max && cfg.resolution == 0.02 && !strcmp(cfg.rates, "1k,2k"),
             "sweep", "--qos", "1", "--rates", "1k,2k", "--find-max", "--resolution", "2%");
    REFUSED("sweep: both refuses --slo", "--slo: not an option of 'both'", "both", "--slo", "p99<1ms");
    REFUSED("sweep: refuses --rate", "--rate: not with sweep", "sweep", "--rates", "1k", "--rate", "5k");
    REFUSED("sweep: refuses --count", "--count: not with sweep", "sweep", "--rates", "1k", "--count", "5k");
    REFUSED("sweep: needs rates", "needs --rates", "sweep");
    REFUSED("sweep: --rates or --from", "--rates: not with --from", "sweep", "--rates", "1k", "--from", "1k", "--to", "2k");
    REFUSED("sweep: a bad objective", "--slo: unknown term 'lat<5ms'", "sweep", "--rates", "1k", "--slo", "lat<5ms");
    REFUSED("sweep: falling rates", "--rates: must rise", "sweep", "--rates", "2k,1k");
    REFUSED("sweep: --to below --from", "--to: must be above --from", "sweep", "--from", "2k", "--to", "1k");
    REFUSED("sweep: a bad resolution", "--resolution: expected a percentage", "sweep", "--rates", "1k",
            "--resolution", "5");
    ACCEPTED("modes: a child ignores the other side's options", cfg.subscribers == 0, "pub", "--child", "--subscribers",
             "5", "--sub-delay", "1s");
}

/* A secret never reaches the result's config, and is never echoed. */
static void test_secrets(void)
{
    struct mb_config cfg;
    char err[512] = "";
    enum options_status st = parse(&cfg, err, sizeof(err), "both", "-u", "user", "-P", "hunter2-secret", NULL);
    CHECKF("secret: -P parsed", st == OPTIONS_RUN && cfg.password && !strcmp(cfg.password, "hunter2-secret"), "%s", err);
    struct run_result r;
    memset(&r, 0, sizeof(r));
    result_init(&r, &cfg);
    cJSON *conf = result_config_json(&r);
    char *text = conf ? cJSON_PrintUnformatted(conf) : NULL;
    CHECKF("secret: config says password_set, not the password",
           text && !strstr(text, "hunter2") && strstr(text, "\"password_set\":true"), "%s", text ? text : "(null)");
    free(text);
    cJSON_Delete(conf);
    struct run_result copy;
    memset(&copy, 0, sizeof(copy));
    struct mb_config *kept_cfg = result_set_config(&copy, &cfg);
    CHECK("secret: a result's own copy of the config holds no password",
          kept_cfg && kept_cfg->password && !strcmp(kept_cfg->password, OPT_NOT_RECORDED));
    result_free(&copy);
    /* whatever value a secret row refuses, the message does not echo it */
    OPT_FOR_EACH(s) {
        if (!(s->flags & OPT_SECRET)) continue;
        static const char *const bad[] = { "", "-1", "bad\nsecret", "x" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            char label[160];
            struct mb_config c;
            memset(&c, 0, sizeof(c));
            err[0] = '\0';
            int rc = optspec_apply(s, &c, bad[i], err, sizeof(err));
            snprintf(label, sizeof(label), "secret: --%s refused value %zu not echoed", s->name, i);
            CHECKF(label, rc == 0 || !bad[i][0] || !strstr(err, bad[i]), "%s", err);
        }
    }
}

/* --- the man page: an entry per row ------------------------------------- */

/* One roff line as plain text appended to out (len bytes): the arguments of
 * the font macros (.B, .BI, .RB ...; joined without spaces where the fonts
 * alternate), text lines as they are, other requests as nothing; escapes
 * \- \fX \& \(xx resolved. */
static void roff_text(const char *line, char *out, size_t len)
{
    char buf[1024];
    size_t n = 0;
    if (line[0] == '.') {
        size_t m = strcspn(line + 1, " \n");
        bool font = m >= 1 && m <= 2 && strchr("BIR", line[1]) && (m == 1 || strchr("BIR", line[2]));
        if (!font) return;
        bool spaced = m == 1;
        const char *a = line + 1 + m;
        while (*a == ' ') a++;
        while (*a && *a != '\n' && n < sizeof(buf) - 1) {
            if (*a == '"') {
                for (a++; *a && *a != '"' && n < sizeof(buf) - 1; a++) buf[n++] = *a;
                if (*a == '"') a++;
            } else {
                while (*a && *a != ' ' && *a != '\n' && n < sizeof(buf) - 1) buf[n++] = *a++;
            }
            while (*a == ' ') a++;
            if (spaced && *a && *a != '\n' && n < sizeof(buf) - 1) buf[n++] = ' ';
        }
    } else {
        for (; *line && *line != '\n' && n < sizeof(buf) - 1; line++) buf[n++] = *line;
    }
    buf[n] = '\0';
    size_t used = strlen(out);
    if (used && used < len - 1) out[used++] = ' ';
    for (const char *c = buf; *c && used < len - 1; c++) {
        if (c[0] == '\\' && c[1] == '-') out[used++] = '-', c++;
        else if (c[0] == '\\' && c[1] == 'f' && c[2]) c += 2;
        else if (c[0] == '\\' && c[1] == '&') c++;
        else if (c[0] == '\\' && c[1] == '(' && c[2] && c[3]) out[used++] = '*', c += 3;
        else out[used++] = *c;
    }
    out[used] = '\0';
}

struct man_entry {
    char head[256];      /* the .TP line after, as text: "-h, --host HOST" */
    char body[4096];     /* the text up to the next entry */
    char section[64];    /* the .SS it is in */
};

/* The entries of the man page's OPTIONS section (.TP at the outer level);
 * returns how many, at most max. */
static size_t man_entries(FILE *f, struct man_entry *e, size_t max)
{
    char line[1024], section[64] = "";
    size_t n = 0;
    int depth = 0;
    bool in_options = false, head_next = false;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, ".SH", 3)) {
            in_options = !strncmp(line, ".SH OPTIONS", 11);
            continue;
        }
        if (!in_options) continue;
        if (!strncmp(line, ".SS ", 4)) {
            snprintf(section, sizeof(section), "%.*s", (int)strcspn(line + 4, "\n"), line + 4);
            head_next = false;
            depth = 0;
            continue;
        }
        if (!strncmp(line, ".RS", 3)) depth++;
        if (!strncmp(line, ".RE", 3)) depth--;
        if (!strncmp(line, ".TP", 3) && depth == 0 && section[0] && n < max) {
            memset(&e[n], 0, sizeof(e[n]));
            snprintf(e[n].section, sizeof(e[n].section), "%s", section);
            n++;
            head_next = true;
            continue;
        }
        if (!n || !section[0]) continue;
        if (head_next) roff_text(line, e[n - 1].head, sizeof(e[n - 1].head));
        else roff_text(line, e[n - 1].body, sizeof(e[n - 1].body));
        head_next = false;
    }
    return n;
}

/* Whether text holds word as a whole: not followed by a letter, digit or '-'. */
static bool has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; (p = strstr(p, word)); p++) {
        char next = p[n];
        if (!(next >= 'a' && next <= 'z') && !(next >= '0' && next <= '9') && next != '-') return true;
    }
    return false;
}

static FILE *open_man_page(void)
{
    FILE *f = fopen("docs/mqttbench.1", "r");
    if (!f) {   /* run from elsewhere: next to this file's tree */
        char path[512];
        snprintf(path, sizeof(path), "%s", __FILE__);
        char *slash = strstr(path, "tests/unit/");
        if (slash) {
            snprintf(slash, sizeof(path) - (size_t)(slash - path), "docs/mqttbench.1");
            f = fopen(path, "r");
        }
    }
    return f;
}

/* The marks the man page puts first in the entry of an option that not every
 * command takes. */
static const char *mode_mark(unsigned modes)
{
    switch (modes) {
    case OPT_PUB: return "(pub only)";
    case OPT_SUB: return "(sub only)";
    case OPT_BOTH: return "(both only)";
    case OPT_PUB | OPT_BOTH: return "(pub, both)";
    case OPT_SUB | OPT_BOTH: return "(sub, both)";
    case OPT_PUB | OPT_SUB: return "(pub, sub)";
    case OPT_SWEEP: return "(sweep only)";
    case OPT_CONN: return "(conn only)";
    case OPT_PUB | OPT_BOTH | OPT_CONN: return "(pub, both, conn)";
    default: return NULL;
    }
}

/* Every row has an entry in its section, with its names, its value's name,
 * its default and its commands; every entry is a row. */
static void test_man_page(void)
{
    static struct man_entry e[128];
    char label[200];
    FILE *f = open_man_page();
    CHECK("man: docs/mqttbench.1 found", f != NULL);
    if (!f) return;
    size_t n = man_entries(f, e, 128);
    fclose(f);
    CHECKF("man: OPTIONS has entries", n > 40, "%zu", n);
    OPT_FOR_EACH(s) {
        char name[80], with_arg[160], shortf[8];
        snprintf(name, sizeof(name), "--%s", s->name);
        snprintf(with_arg, sizeof(with_arg), "--%s %s", s->name, s->arg ? s->arg : "");
        snprintf(shortf, sizeof(shortf), "-%c,", s->short_name);
        const struct man_entry *m = NULL;
        for (size_t i = 0; i < n && !m; i++)
            if (has_word(e[i].head, name)) m = &e[i];
        snprintf(label, sizeof(label), "man: --%s has an entry", s->name);
        CHECK(label, m != NULL);
        if (!m) continue;
        snprintf(label, sizeof(label), "man: --%s entry heads with its names and value", s->name);
        CHECKF(label, (!s->arg || strstr(m->head, with_arg)) && (!s->short_name || strstr(m->head, shortf)), "'%s'",
               m->head);
        snprintf(label, sizeof(label), "man: --%s is under %s", s->name, opt_section_names[s->section]);
        CHECKF(label, !strcmp(m->section, opt_section_names[s->section]), "under '%s'", m->section);
        if (s->def) {
            char want[160];
            snprintf(want, sizeof(want), "Default %s", s->def);
            snprintf(label, sizeof(label), "man: --%s says \"%s\"", s->name, want);
            CHECKF(label, has_word(m->body, want), "'%.300s'", m->body);
        }
        const char *mark = mode_mark(s->modes);
        snprintf(label, sizeof(label), "man: --%s entry starts with %s", s->name, mark ? mark : "no command mark");
        bool marked = false;
        for (unsigned k = 1; k <= OPT_SWEEP; k++)
            if (mode_mark(k) && !strncmp(m->body, mode_mark(k), strlen(mode_mark(k)))) marked = true;
        CHECKF(label, mark ? !strncmp(m->body, mark, strlen(mark)) : !marked, "'%.80s'", m->body);
    }
    for (size_t i = 0; i < n; i++) {
        for (const char *p = e[i].head; (p = strstr(p, "--")); p += 2) {
            char name[80];
            snprintf(name, sizeof(name), "%.*s", (int)strcspn(p + 2, " ,"), p + 2);
            snprintf(label, sizeof(label), "man: entry --%s is an option", name);
            CHECK(label, optspec_find(name) != NULL);
        }
    }
}

/* The man page's list of the scenario keys is the table's. */
static void test_man_scenario(void)
{
    static const char lead[] = "the same mode and config's ";
    char text[16384] = "", line[1024], want[1024] = "";
    FILE *f = open_man_page();
    while (f && fgets(line, sizeof(line), f)) roff_text(line, text, sizeof(text));
    if (f) fclose(f);
    const char *p = strstr(text, lead);
    char got[1024] = "";
    if (p) snprintf(got, sizeof(got), "%.*s", (int)strcspn(p + strlen(lead), "."), p + strlen(lead));
    size_t k = 0, total = 0;
    OPT_FOR_EACH(s) total += (s->flags & OPT_SCENARIO) != 0;
    OPT_FOR_EACH(s) {
        if (!(s->flags & OPT_SCENARIO)) continue;
        k++;
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", k == 1 ? "" : k == total ? " and " : ", ",
                 s->key);
    }
    CHECKF("man: compare's scenario keys are the table's, in order", !strcmp(got, want), "man '%s', table '%s'", got,
           want);
}

int main(void)
{
    test_signs();
    test_run_id();
    test_bounds();
    test_echo();
    test_bind_address();
    test_json_stdout();
    test_child_args();
    test_table();
    test_help();
    test_secrets();
    test_man_page();
    test_man_scenario();
    free_kept();
    return test_failures ? 1 : 0;
}
