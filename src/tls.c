/* TLS: one OpenSSL context for every client, its checks before the run, and
 * the reasons a TLS connection failed. See tls.h. */
#include "tls.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mosquitto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "errmsg.h"

#define TLS_MAX_PSK 256          /* bytes of a pre-shared key (OpenSSL allows 512) */
#define TLS_MAX_PSK_IDENTITY 128

struct tls {
    SSL_CTX *ctx;
    char host[256];             /* the broker's name or address, checked against its certificate */
    char sni[256];              /* host name sent as SNI; "" for a numeric address */
    char psk_identity[TLS_MAX_PSK_IDENTITY + 1];
    unsigned char psk[TLS_MAX_PSK];
    size_t psk_len;
    const char *passphrase;     /* while the key is read; NULL afterwards */
    bool passphrase_asked;      /* the key wanted one */
    bool free_buffers_safe;     /* this OpenSSL's SSL_free_buffers may be used (tls_release_buffers) */
    struct tls_facts facts;
};

/* Hex digits to bytes; -1 when s is not an even number of hex digits or
 * longer than max bytes. */
static int hex_decode(const char *s, unsigned char *out, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2 || n / 2 > max) return -1;
    for (size_t i = 0; i < n; i += 2) {
        int v = 0;
        for (size_t k = 0; k < 2; k++) {
            char ch = s[i + k];
            int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                  : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        out[i / 2] = (unsigned char)v;
    }
    return (int)(n / 2);
}

static bool numeric_host(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int tls_options_check(const struct mb_config *cfg, char *err, size_t errlen)
{
    if (cfg->spawn_broker)
        return errmsg_set(err, errlen, "--spawn-broker: the mosquitto mqttbench starts has no TLS listener; "
                          "start a broker with one and give --host/--port");
    if (cfg->cert && !cfg->key) return errmsg_set(err, errlen, "--cert: needs --key (the certificate's private key)");
    if (cfg->key && !cfg->cert) return errmsg_set(err, errlen, "--key: needs --cert (the key's certificate)");
    if (cfg->key_password_env && !cfg->key)
        return errmsg_set(err, errlen, "--key-password-env: needs --key (the key the passphrase opens)");
    if (cfg->psk && !cfg->psk_identity) return errmsg_set(err, errlen, "--psk: needs --psk-identity");
    if (cfg->psk_identity && !cfg->psk)
        return errmsg_set(err, errlen, "--psk-identity: needs --psk (or the key in MQTTBENCH_PSK)");
    if (cfg->psk && (cfg->cafile || cfg->capath || cfg->cert || cfg->tls_use_os_certs || cfg->insecure))
        return errmsg_set(err, errlen, "--psk: cannot be combined with %s (a PSK connection has no certificates)",
                          cfg->cafile ? "--cafile" : cfg->capath ? "--capath" : cfg->cert ? "--cert"
                          : cfg->insecure ? "--insecure" : "--tls-use-os-certs");
    unsigned char psk[TLS_MAX_PSK];
    if (cfg->psk && hex_decode(cfg->psk, psk, sizeof(psk)) < 0)
        return errmsg_set(err, errlen, "--psk: expected an even number of hex digits, at most %d (the value is not "
                          "shown)", 2 * TLS_MAX_PSK);
    return 0;
}

/* The key's passphrase, from the environment; never a prompt. */
static int passphrase_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    struct tls *t = u;
    t->passphrase_asked = true;
    if (!t->passphrase) return -1;
    size_t n = strlen(t->passphrase);
    if (n > (size_t)size) return -1;
    memcpy(buf, t->passphrase, n);
    return (int)n;
}

static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
                           unsigned char *psk, unsigned int max_psk_len)
{
    (void)hint;
    const struct tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (!t || strlen(t->psk_identity) >= max_identity_len || t->psk_len > max_psk_len) return 0;
    memcpy(identity, t->psk_identity, strlen(t->psk_identity) + 1);
    memcpy(psk, t->psk, t->psk_len);
    return (unsigned int)t->psk_len;
}

static __thread struct tls_seen *watch;   /* tls_watch */

void tls_watch(struct tls_seen *seen)
{
    watch = seen;
}

/* The broker's certificate checked: keep the first error for the message. */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
    if (!ok && watch && !watch->verify_error) watch->verify_error = X509_STORE_CTX_get_error(x);
    return ok;
}

/* SNI: libmosquitto names the address it connects to, a numeric one here;
 * the broker should hear the name it was given. The ClientHello is built
 * after the start of the handshake. Its write done (the loop step that
 * leaves the ClientHello state) is when TCP was up. */
static void info_cb(const SSL *ssl, int where, int ret)
{
    (void)ret;
    if (where & SSL_CB_HANDSHAKE_START) {
        const struct tls *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
        if (t && t->sni[0]) SSL_set_tlsext_host_name((SSL *)ssl, t->sni);
    } else if ((where & SSL_CB_CONNECT_LOOP) && SSL_get_state(ssl) == TLS_ST_CW_CLNT_HELLO && watch &&
               !watch->hello_ns) {
        watch->hello_ns = clock_mono_ns();
    }
}

/* OpenSSL's reason for the last error ("no certificate or crl found"), or
 * fallback; the queue is emptied. */
static const char *ssl_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : fallback;
}

/* A file option's path must name a readable file (or directory). */
static int check_readable(const char *flag, const char *path, bool dir, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(200)];
    errmsg_sanitize(path, 200, shown, sizeof(shown));
    struct stat st;
    if (stat(path, &st) != 0) return errmsg_set(err, errlen, "%s: cannot read '%s': %s", flag, shown, strerror(errno));
    if (dir && !S_ISDIR(st.st_mode)) return errmsg_set(err, errlen, "%s: '%s' is not a directory", flag, shown);
    if (!dir && S_ISDIR(st.st_mode)) return errmsg_set(err, errlen, "%s: '%s' is a directory", flag, shown);
    if (dir) {
        DIR *d = opendir(path);
        if (!d) return errmsg_set(err, errlen, "%s: cannot read '%s': %s", flag, shown, strerror(errno));
        closedir(d);
        return 0;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errmsg_set(err, errlen, "%s: cannot read '%s': %s", flag, shown, strerror(errno));
    close(fd);
    return 0;
}

/* The trust store: --cafile, --capath, the system's. */
static int load_trust(struct tls *t, const struct mb_config *cfg, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(200)];
    if (cfg->cafile) {
        if (check_readable("--cafile", cfg->cafile, false, err, errlen)) return -1;
        if (SSL_CTX_load_verify_file(t->ctx, cfg->cafile) != 1) {
            errmsg_sanitize(cfg->cafile, 200, shown, sizeof(shown));
            return errmsg_set(err, errlen, "--cafile: no CA certificate in '%s' (%s)", shown,
                              ssl_reason("not PEM"));
        }
    }
    if (cfg->capath) {
        if (check_readable("--capath", cfg->capath, true, err, errlen)) return -1;
        if (SSL_CTX_load_verify_dir(t->ctx, cfg->capath) != 1) {
            errmsg_sanitize(cfg->capath, 200, shown, sizeof(shown));
            return errmsg_set(err, errlen, "--capath: cannot use '%s' (%s)", shown, ssl_reason("unknown error"));
        }
    }
    bool os = cfg->tls_use_os_certs || (!cfg->cafile && !cfg->capath && !cfg->psk);
    if (os && SSL_CTX_set_default_verify_paths(t->ctx) != 1)
        return errmsg_set(err, errlen, "--tls-use-os-certs: cannot load the system's CA store (%s)",
                          ssl_reason("unknown error"));
    return 0;
}

/* The client certificate and its key; the key's passphrase from the
 * environment. */
static int load_identity(struct tls *t, const struct mb_config *cfg, char *err, size_t errlen)
{
    char cert[ERRMSG_SHOWN(200)], key[ERRMSG_SHOWN(200)];
    errmsg_sanitize(cfg->cert, 200, cert, sizeof(cert));
    errmsg_sanitize(cfg->key, 200, key, sizeof(key));
    if (check_readable("--cert", cfg->cert, false, err, errlen) ||
        check_readable("--key", cfg->key, false, err, errlen))
        return -1;
    if (SSL_CTX_use_certificate_chain_file(t->ctx, cfg->cert) != 1)
        return errmsg_set(err, errlen, "--cert: no certificate in '%s' (%s)", cert, ssl_reason("not PEM"));
    const char *var = cfg->key_password_env ? cfg->key_password_env : TLS_KEY_PASSWORD_ENV;
    t->passphrase = getenv(var);
    if (cfg->key_password_env && !t->passphrase)
        return errmsg_set(err, errlen, "--key-password-env: the environment variable %s is not set", var);
    t->passphrase_asked = false;
    int ok = SSL_CTX_use_PrivateKey_file(t->ctx, cfg->key, SSL_FILETYPE_PEM);
    t->passphrase = NULL;
    if (ok != 1 && t->passphrase_asked && !getenv(var))
        return errmsg_set(err, errlen, "--key: '%s' is encrypted and no passphrase was given: put it in the "
                          "environment variable %s (or name another with --key-password-env)", key, var);
    if (ok != 1 && t->passphrase_asked) {
        ERR_clear_error();
        return errmsg_set(err, errlen, "--key: cannot decrypt '%s' with the passphrase in %s", key, var);
    }
    /* OpenSSL checks the key against the certificate as it loads it */
    if (ok != 1 && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
        return errmsg_set(err, errlen, "--key: no private key in '%s' (%s)", key, ssl_reason("not PEM"));
    if (ok != 1 || SSL_CTX_check_private_key(t->ctx) != 1) {
        ERR_clear_error();
        return errmsg_set(err, errlen, "--key: '%s' is not the key of the certificate in --cert '%s'", key, cert);
    }
    return 0;
}

/* Versions, ciphers, ALPN, modes. */
static int set_protocol(struct tls *t, const struct mb_config *cfg, char *err, size_t errlen)
{
    int v = cfg->tls_version && !strcmp(cfg->tls_version, "tlsv1.3") ? TLS1_3_VERSION
          : cfg->tls_version ? TLS1_2_VERSION : 0;
    if (!SSL_CTX_set_min_proto_version(t->ctx, v ? v : TLS1_2_VERSION) || !SSL_CTX_set_max_proto_version(t->ctx, v))
        return errmsg_set(err, errlen, "--tls-version: OpenSSL refuses %s (%s)", cfg->tls_version,
                          ssl_reason("unknown error"));
    char shown[ERRMSG_SHOWN(64)];
    if (cfg->ciphers && SSL_CTX_set_cipher_list(t->ctx, cfg->ciphers) != 1) {
        errmsg_sanitize(cfg->ciphers, 64, shown, sizeof(shown));
        return errmsg_set(err, errlen, "--ciphers: no cipher in '%s' that OpenSSL knows (%s)", shown,
                          ssl_reason("no cipher match"));
    }
    if (cfg->tls13_ciphers && SSL_CTX_set_ciphersuites(t->ctx, cfg->tls13_ciphers) != 1) {
        errmsg_sanitize(cfg->tls13_ciphers, 64, shown, sizeof(shown));
        return errmsg_set(err, errlen, "--tls13-ciphers: no TLS 1.3 cipher suite in '%s' that OpenSSL knows (%s)",
                          shown, ssl_reason("no cipher match"));
    }
    if (cfg->tls_alpn) {
        unsigned char wire[256];
        size_t n = strlen(cfg->tls_alpn);
        wire[0] = (unsigned char)n;
        memcpy(wire + 1, cfg->tls_alpn, n);
        if (SSL_CTX_set_alpn_protos(t->ctx, wire, (unsigned int)n + 1) != 0)   /* 0 is success here */
            return errmsg_set(err, errlen, "--tls-alpn: OpenSSL refuses it (%s)", ssl_reason("unknown error"));
    }
    /* Free a connection's record buffers while it holds nothing; let a
     * write be retried from another address (libmosquitto retries from
     * the same one, but nothing depends on it). Never kernel TLS: the I/O
     * layer buffers reads (iobuf.h). Every handshake a full one: no
     * client session cache. */
    SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_ENABLE_KTLS
    SSL_CTX_clear_options(t->ctx, SSL_OP_ENABLE_KTLS);
#endif
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
    return 0;
}

/* SSL_free_buffers is safe from OpenSSL 3.0.14, 3.1.6, 3.2.2 and 3.3.1 on. */
static bool openssl_free_buffers_safe(void)
{
    unsigned long v = OpenSSL_version_num();   /* 0xMNN00PP0 */
    unsigned long minor = (v >> 20) & 0xff, patch = (v >> 4) & 0xff;
    if ((v >> 28) != 3) return (v >> 28) > 3;
    static const unsigned long first_safe[] = { 14, 6, 2, 1 };   /* by minor version */
    return minor >= 4 || patch >= first_safe[minor];
}

struct tls *tls_new(const struct mb_config *cfg, const char *host, char *err, size_t errlen)
{
    struct tls *t = calloc(1, sizeof(*t));
    if (!t) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    ERR_clear_error();
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) {
        errmsg_set(err, errlen, "cannot create a TLS context: %s", ssl_reason("unknown error"));
        free(t);
        return NULL;
    }
    SSL_CTX_set_app_data(t->ctx, t);
    /* Never a prompt on the terminal, whatever asks for a passphrase. */
    SSL_CTX_set_default_passwd_cb(t->ctx, passphrase_cb);
    SSL_CTX_set_default_passwd_cb_userdata(t->ctx, t);
    SSL_CTX_set_info_callback(t->ctx, info_cb);
    if (set_protocol(t, cfg, err, errlen) || (!cfg->psk && load_trust(t, cfg, err, errlen)) ||
        (cfg->cert && load_identity(t, cfg, err, errlen))) {
        tls_free(t);
        return NULL;
    }
    if (cfg->psk) {
        t->psk_len = (size_t)hex_decode(cfg->psk, t->psk, sizeof(t->psk));
        snprintf(t->psk_identity, sizeof(t->psk_identity), "%s", cfg->psk_identity);
        SSL_CTX_set_psk_client_callback(t->ctx, psk_cb);
    }
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, verify_cb);
    bool numeric = numeric_host(host);
    snprintf(t->host, sizeof(t->host), "%s", host);
    if (!numeric) snprintf(t->sni, sizeof(t->sni), "%s", host);
    if (!cfg->psk && !cfg->insecure) {
        X509_VERIFY_PARAM *p = SSL_CTX_get0_param(t->ctx);
        X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if ((numeric ? X509_VERIFY_PARAM_set1_ip_asc(p, host) : X509_VERIFY_PARAM_set1_host(p, host, 0)) != 1) {
            char shown[ERRMSG_SHOWN(64)];
            errmsg_sanitize(host, 64, shown, sizeof(shown));
            errmsg_set(err, errlen, "--host: cannot check certificates against '%s' (%s)", shown,
                       ssl_reason("unknown error"));
            tls_free(t);
            return NULL;
        }
    }
    snprintf(t->facts.library, sizeof(t->facts.library), "%s", OpenSSL_version(OPENSSL_VERSION));
    t->free_buffers_safe = openssl_free_buffers_safe();
    snprintf(t->facts.verify, sizeof(t->facts.verify), "%s",
             cfg->psk ? "psk" : cfg->insecure ? "chain (--insecure: not the host name)" : "chain and host name");
    return t;
}

void tls_free(struct tls *t)
{
    if (!t) return;
    SSL_CTX_free(t->ctx);   /* the clients hold references of their own until destroyed */
    OPENSSL_cleanse(t->psk, sizeof(t->psk));
    free(t);
}

void tls_facts(const struct tls *t, struct tls_facts *f)
{
    *f = t->facts;
}

int tls_attach(const struct tls *t, struct mosquitto *m)
{
    /* Without WITH_DEFAULTS off, libmosquitto would apply its own settings
     * to the shared context on every connect (and refuse it without its
     * cafile). */
    if (mosquitto_int_option(m, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) != MOSQ_ERR_SUCCESS) return -1;
    return mosquitto_void_option(m, MOSQ_OPT_SSL_CTX, t->ctx) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

bool tls_handshaking(struct mosquitto *m)
{
    SSL *s = mosquitto_ssl_get(m);
    return s && !SSL_is_init_finished(s);
}

bool tls_wants_write(struct mosquitto *m)
{
    SSL *s = mosquitto_ssl_get(m);
    return s && SSL_want_write(s);
}

bool tls_pending(struct mosquitto *m)
{
    SSL *s = mosquitto_ssl_get(m);
    return s && SSL_has_pending(s);
}

void tls_release_buffers(const struct tls *t, struct mosquitto *m)
{
    SSL *s = mosquitto_ssl_get(m);
    if (t->free_buffers_safe && s && SSL_is_init_finished(s) && !SSL_has_pending(s)) SSL_free_buffers(s);
}

void tls_note_session(struct mosquitto *m, const struct tls *t, struct tls_facts *f)
{
    SSL *s = mosquitto_ssl_get(m);
    if (!s || f->protocol[0]) return;
    *f = t->facts;
    snprintf(f->protocol, sizeof(f->protocol), "%s", SSL_get_version(s));
    const SSL_CIPHER *c = SSL_get_current_cipher(s);
    snprintf(f->cipher, sizeof(f->cipher), "%s", c ? SSL_CIPHER_get_name(c) : "");
    const unsigned char *alpn = NULL;
    unsigned int n = 0;
    SSL_get0_alpn_selected(s, &alpn, &n);
    snprintf(f->alpn, sizeof(f->alpn), "%.*s", alpn ? (int)n : 0, alpn ? (const char *)alpn : "");
}

int tls_peek_closed(int fd)
{
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return 1;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return errno;
    return 0;
}

void tls_reason(long verify_result, const char *ssl_error, enum tls_auth auth, const char *host, char *reason,
                size_t rlen, char *hint, size_t hlen)
{
    char shown[ERRMSG_SHOWN(64)];
    errmsg_sanitize(host, 64, shown, sizeof(shown));
    hint[0] = '\0';
    if (verify_result != X509_V_OK) {
        snprintf(reason, rlen, "TLS: the broker's certificate: %s", X509_verify_cert_error_string(verify_result));
        switch (verify_result) {
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            snprintf(hint, hlen, "(it is not issued for %s; connect with a name it has, or --insecure to skip "
                     "the host name check)", shown);
            break;
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            snprintf(hint, hlen, "(no CA in --cafile/--capath signed it)");
            break;
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
            snprintf(hint, hlen, "(or this host's clock is wrong)");
            break;
        }
        return;
    }
    /* "error:0A00045C:SSL routines::tlsv13 alert certificate required" */
    const char *why = ssl_error ? strrchr(ssl_error, ':') : NULL;
    why = why && why[1] ? why + 1 : ssl_error && *ssl_error ? ssl_error : "handshake failed";
    errmsg_sanitize(why, 80, shown, sizeof(shown));
    snprintf(reason, rlen, "TLS: %s", shown);
    if (!strcmp(why, TLS_CLOSED_AFTER_HANDSHAKE) && auth == TLS_AUTH_NONE)
        snprintf(hint, hlen, "(with TLS 1.3 a broker that wants a client certificate does this: give --cert and --key)");
    else if (!strcmp(why, TLS_CLOSED_AFTER_HANDSHAKE) && auth == TLS_AUTH_CERT)
        snprintf(hint, hlen, "(with TLS 1.3 a broker that refuses the client certificate in --cert does this)");
    else if (auth == TLS_AUTH_PSK && (strstr(why, "handshake failure") || strstr(why, "unknown psk identity") ||
                                 strstr(why, "decrypt error") || strstr(why, "bad record mac")))
        snprintf(hint, hlen, "(does the broker know this --psk-identity, with this key?)");
    else if (strstr(why, "certificate required") || (strstr(why, "handshake failure") && auth == TLS_AUTH_NONE))
        snprintf(hint, hlen, "(the broker wants a client certificate: give --cert and --key)");
    else if (auth == TLS_AUTH_CERT && (strstr(why, "unknown ca") || strstr(why, "bad certificate") ||
                             strstr(why, "certificate unknown") || strstr(why, "certificate expired") ||
                             strstr(why, "decrypt error")))
        snprintf(hint, hlen, "(the broker refused the client certificate in --cert)");
    else if (strstr(why, "wrong version number") || strstr(why, "packet length too long") ||
             strstr(why, "unexpected eof") || strstr(why, "record layer failure"))
        snprintf(hint, hlen, "(is the broker's port a TLS listener?)");
    else if (strstr(why, "protocol version") || strstr(why, "unsupported protocol") ||
             strstr(why, "no protocols available"))
        snprintf(hint, hlen, "(the broker and --tls-version have no TLS version in common)");
    else if (strstr(why, "no shared cipher") || strstr(why, "no ciphers available"))
        snprintf(hint, hlen, "(the broker and --ciphers/--tls13-ciphers have no cipher in common)");
}

void tls_failure(const struct tls *t, long verify_error, const char *ssl_error, char *reason, size_t rlen,
                 char *hint, size_t hlen)
{
    enum tls_auth auth = t->psk_len ? TLS_AUTH_PSK : SSL_CTX_get0_certificate(t->ctx) ? TLS_AUTH_CERT : TLS_AUTH_NONE;
    tls_reason(verify_error, ssl_error, auth, t->host, reason, rlen, hint, hlen);
}
