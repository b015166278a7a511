/* Unit tests for src/tls.c and the TLS side of the options: which flags
 * turn TLS on, the rules between them, the messages a failed handshake
 * gives, and secrets kept off the command line. Files and handshakes are
 * tests/integration/tls.sh's. */
#include "options.h"
#include "test.h"
#include "tls.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509_vfy.h>

#define PSK "00112233445566778899aabbccddeeff"

static char *argv_store[64];
static int argc_store;

/* Parse "mqttbench WORDS..." (NULL-terminated) into cfg; the argv stays in
 * argv_store until the next call. */
static enum options_status parse(struct mb_config *cfg, char *err, size_t errlen, ...)
{
    for (int i = 0; i < argc_store; i++) free(argv_store[i]);
    argc_store = 0;
    argv_store[argc_store++] = strdup("mqttbench");
    va_list ap;
    va_start(ap, errlen);
    for (const char *a; argc_store < 63 && (a = va_arg(ap, const char *));) argv_store[argc_store++] = strdup(a);
    va_end(ap);
    argv_store[argc_store] = NULL;
    err[0] = '\0';
    return options_parse(argc_store, argv_store, cfg, err, errlen);
}

static void test_turns_on(void)
{
    struct mb_config cfg;
    char err[512];
    CHECK("plain: no TLS", parse(&cfg, err, sizeof(err), "both", NULL) == OPTIONS_RUN && !cfg.tls);
    static const char *const one[][3] = {
        { "--cafile", "ca.pem", NULL }, { "--capath", "/etc/ssl/certs", NULL }, { "--tls-use-os-certs", NULL },
        { "--insecure", NULL }, { "--tls-version", "tlsv1.3", NULL }, { "--ciphers", "HIGH", NULL },
        { "--tls13-ciphers", "TLS_AES_128_GCM_SHA256", NULL }, { "--tls-alpn", "mqtt", NULL },
    };
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        char label[96];
        snprintf(label, sizeof(label), "%s turns TLS on", one[i][0]);
        CHECKF(label, parse(&cfg, err, sizeof(err), "pub", one[i][0], one[i][1], NULL) == OPTIONS_RUN && cfg.tls,
               "%s", err);
    }
    CHECK("--cert and --key turn TLS on",
          parse(&cfg, err, sizeof(err), "sub", "--cert", "c.pem", "--key", "k.pem", NULL) == OPTIONS_RUN && cfg.tls);
    CHECK("--psk and --psk-identity turn TLS on",
          parse(&cfg, err, sizeof(err), "both", "--psk", PSK, "--psk-identity", "id", NULL) == OPTIONS_RUN &&
          cfg.tls && !strcmp(cfg.psk, PSK));
    CHECK("--tls-version is kept as its word",
          parse(&cfg, err, sizeof(err), "both", "--tls-version", "tlsv1.2", NULL) == OPTIONS_RUN &&
          !strcmp(cfg.tls_version, "tlsv1.2"));
    setenv("MQTTBENCH_PSK", PSK, 1);
    CHECK("MQTTBENCH_PSK stands for --psk",
          parse(&cfg, err, sizeof(err), "both", "--psk-identity", "id", NULL) == OPTIONS_RUN && cfg.psk &&
          !strcmp(cfg.psk, PSK));
    unsetenv("MQTTBENCH_PSK");
}

/* Refused with exit 2 and one line holding want, never the secret. */
static void refused(const char *name, const char *want, ...)
{
    struct mb_config cfg;
    char err[512];
    const char *w[16] = { 0 };
    va_list ap;
    va_start(ap, want);
    for (int i = 0; i < 15 && (w[i] = va_arg(ap, const char *)); i++) { }
    va_end(ap);
    enum options_status st = parse(&cfg, err, sizeof(err), w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8],
                                   w[9], NULL);
    CHECKF(name, st == OPTIONS_ERROR && strstr(err, want) && !strchr(err, '\n') && !strstr(err, PSK), "%d '%s'",
           st, err);
}

static void test_rules(void)
{
    refused("--cert needs --key", "--cert: needs --key", "both", "--cert", "c.pem", NULL);
    refused("--key needs --cert", "--key: needs --cert", "both", "--key", "k.pem", NULL);
    refused("--key-password-env needs --key", "--key-password-env: needs --key", "both", "--key-password-env", "V",
            NULL);
    refused("--psk needs --psk-identity", "--psk: needs --psk-identity", "both", "--psk", PSK, NULL);
    refused("--psk-identity needs --psk", "--psk-identity: needs --psk", "both", "--psk-identity", "id", NULL);
    refused("--psk excludes --cafile", "--psk: cannot be combined with --cafile", "both", "--psk", PSK,
            "--psk-identity", "id", "--cafile", "ca.pem", NULL);
    refused("--psk excludes --insecure", "--psk: cannot be combined with --insecure", "both", "--psk", PSK,
            "--psk-identity", "id", "--insecure", NULL);
    refused("--psk odd digits, value not shown", "--psk: expected an even number of hex digits", "both", "--psk",
            PSK "0", "--psk-identity", "id", NULL);
    refused("--psk not hex, value not shown", "--psk: expected an even number of hex digits", "both", "--psk",
            PSK "zz", "--psk-identity", "id", NULL);
    refused("--tls-version", "--tls-version: expected tlsv1.2 or tlsv1.3", "both", "--tls-version", "tlsv1.1", NULL);
    refused("TLS excludes --spawn-broker", "--spawn-broker: the mosquitto mqttbench starts has no TLS listener",
            "both", "--spawn-broker", "--cafile", "ca.pem", NULL);
}

static void reason(const char *name, long verify, const char *ssl_error, enum tls_auth auth, const char *want_reason,
                   const char *want_hint)
{
    char r[128], h[200];
    tls_reason(verify, ssl_error, auth, "broker.example", r, sizeof(r), h, sizeof(h));
    CHECKF(name, !strcmp(r, want_reason) && (want_hint ? strstr(h, want_hint) != NULL : h[0] == '\0'),
           "'%s' '%s'", r, h);
}

static void test_reasons(void)
{
    reason("unknown CA", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "error:0A000086:SSL routines::certificate "
           "verify failed", TLS_AUTH_NONE, "TLS: the broker's certificate: unable to get local issuer certificate",
           "no CA in --cafile/--capath signed it");
    reason("self-signed", X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, NULL, TLS_AUTH_NONE,
           "TLS: the broker's certificate: self-signed certificate", "no CA in --cafile/--capath signed it");
    reason("host name", X509_V_ERR_HOSTNAME_MISMATCH, NULL, TLS_AUTH_NONE,
           "TLS: the broker's certificate: hostname mismatch", "not issued for broker.example");
    reason("expired", X509_V_ERR_CERT_HAS_EXPIRED, NULL, TLS_AUTH_CERT,
           "TLS: the broker's certificate: certificate has expired", "clock");
    reason("certificate required (1.3)", X509_V_OK, "error:0A00045C:SSL routines::tlsv13 alert certificate required",
           TLS_AUTH_NONE, "TLS: tlsv13 alert certificate required", "give --cert and --key");
    reason("handshake failure without a certificate (1.2)", X509_V_OK,
           "error:0A000410:SSL routines::sslv3 alert handshake failure", TLS_AUTH_NONE,
           "TLS: sslv3 alert handshake failure", "give --cert and --key");
    reason("client certificate refused", X509_V_OK, "error:0A000418:SSL routines::tlsv1 alert unknown ca",
           TLS_AUTH_CERT, "TLS: tlsv1 alert unknown ca", "refused the client certificate");
    reason("PSK refused", X509_V_OK, "error:0A000410:SSL routines::sslv3 alert handshake failure", TLS_AUTH_PSK,
           "TLS: sslv3 alert handshake failure", "--psk-identity");
    reason("not a TLS listener", X509_V_OK, "error:0A00010B:SSL routines::wrong version number", TLS_AUTH_NONE,
           "TLS: wrong version number", "TLS listener");
    reason("nothing logged", X509_V_OK, NULL, TLS_AUTH_NONE, "TLS: handshake failed", NULL);
    reason("closed after the handshake, no certificate", X509_V_OK, TLS_CLOSED_AFTER_HANDSHAKE, TLS_AUTH_NONE,
           "TLS: " TLS_CLOSED_AFTER_HANDSHAKE, "wants a client certificate does this: give --cert and --key");
    reason("closed after the handshake, a certificate given", X509_V_OK, TLS_CLOSED_AFTER_HANDSHAKE, TLS_AUTH_CERT,
           "TLS: " TLS_CLOSED_AFTER_HANDSHAKE, "refuses the client certificate in --cert");
    reason("closed after the handshake, PSK", X509_V_OK, TLS_CLOSED_AFTER_HANDSHAKE, TLS_AUTH_PSK,
           "TLS: " TLS_CLOSED_AFTER_HANDSHAKE, NULL);
    reason("control bytes in the error are not echoed", X509_V_OK, "error:1:x::bad\033[31m", TLS_AUTH_NONE,
           "TLS: bad?[31m", NULL);
}

static void test_secrets(void)
{
    struct mb_config cfg;
    char err[512];
    CHECK("parse -u -P --psk", parse(&cfg, err, sizeof(err), "both", "-u", "me", "-P", "pw-secret", "--psk=" PSK,
                                     "--psk-identity", "id", NULL) == OPTIONS_RUN);
    options_hide_secrets(argc_store, argv_store, &cfg);
    bool shown = false;
    for (int i = 0; i < argc_store; i++) shown = shown || strstr(argv_store[i], "pw-secret") || strstr(argv_store[i], PSK);
    CHECK("secrets overwritten in argv", !shown);
    bool named = false;
    for (int i = 0; i < argc_store; i++) named = named || !strcmp(argv_store[i], "--psk=" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    CHECK("--psk=HEX keeps its name, the value x'ed out", named);
    CHECK("cfg keeps the secrets", !strcmp(cfg.password, "pw-secret") && !strcmp(cfg.psk, PSK));
    char *out[64];
    int n = options_child_args(argc_store, argv_store, out);
    bool passed = false;
    for (int i = 0; i < n; i++) passed = passed || !strcmp(out[i], "-P") || !strncmp(out[i], "--psk=", 6);
    CHECK("children get no secret option", !passed);
    options_secrets_to_env(&cfg);
    CHECK("children get them by environment", getenv("MQTTBENCH_PASSWORD") && getenv("MQTTBENCH_PSK") &&
          !strcmp(getenv("MQTTBENCH_PASSWORD"), "pw-secret") && !strcmp(getenv("MQTTBENCH_PSK"), PSK));
    CHECK("a child reads them back", parse(&cfg, err, sizeof(err), "sub", "-u", "me", "--psk-identity", "id",
                                           "--child", NULL) == OPTIONS_RUN &&
          cfg.password && !strcmp(cfg.password, "pw-secret") && cfg.psk && !strcmp(cfg.psk, PSK));
    unsetenv("MQTTBENCH_PASSWORD");
    unsetenv("MQTTBENCH_PSK");
}

static void test_context(void)
{
    struct mb_config cfg;
    char err[512];
    parse(&cfg, err, sizeof(err), "both", "--cafile", "/nonexistent/ca.pem", NULL);
    struct tls *t = tls_new(&cfg, "127.0.0.1", err, sizeof(err));
    CHECKF("a missing --cafile", !t && !strcmp(err, "--cafile: cannot read '/nonexistent/ca.pem': No such file or "
                                                 "directory"), "%s", err);
    parse(&cfg, err, sizeof(err), "both", "--cafile", "/", NULL);
    t = tls_new(&cfg, "127.0.0.1", err, sizeof(err));
    CHECKF("a directory as --cafile", !t && strstr(err, "--cafile: '/' is a directory"), "%s", err);
    parse(&cfg, err, sizeof(err), "both", "--capath", "/dev/null", NULL);
    t = tls_new(&cfg, "127.0.0.1", err, sizeof(err));
    CHECKF("a file as --capath", !t && strstr(err, "--capath: '/dev/null' is not a directory"), "%s", err);
    parse(&cfg, err, sizeof(err), "both", "--tls-use-os-certs", "--ciphers", "NO-SUCH-CIPHER", NULL);
    t = tls_new(&cfg, "127.0.0.1", err, sizeof(err));
    CHECKF("an unknown cipher", !t && strstr(err, "--ciphers: no cipher in 'NO-SUCH-CIPHER'"), "%s", err);
    parse(&cfg, err, sizeof(err), "both", "--psk", PSK, "--psk-identity", "id", "--tls-version", "tlsv1.3", NULL);
    t = tls_new(&cfg, "broker.example", err, sizeof(err));
    struct tls_facts f;
    if (t) tls_facts(t, &f);
    CHECKF("a PSK context", t && !strcmp(f.verify, "psk") && !strncmp(f.library, "OpenSSL", 7) && !f.protocol[0],
           "%s", err);
    tls_free(t);
    parse(&cfg, err, sizeof(err), "both", "--tls-use-os-certs", "--insecure", NULL);
    t = tls_new(&cfg, "broker.example", err, sizeof(err));
    if (t) tls_facts(t, &f);
    CHECKF("--insecure says what is checked", t && strstr(f.verify, "not the host name"), "%s", err);
    tls_free(t);
}

int main(void)
{
    test_turns_on();
    test_rules();
    test_reasons();
    test_secrets();
    test_context();
    for (int i = 0; i < argc_store; i++) free(argv_store[i]);
    return test_failures ? 1 : 0;
}
