/* tls: TLS for every client of the process through one OpenSSL context.
 *
 * One SSL_CTX (libmosquitto's MOSQ_OPT_SSL_CTX) holds the CA store, the
 * client certificate and key, the versions, ciphers, ALPN and PSK: they are
 * read once, before anything connects, and thousands of connections share
 * them. Each connection then costs only its SSL object; the context sets
 * SSL_MODE_RELEASE_BUFFERS, so OpenSSL frees a connection's record buffers
 * (about 17 KiB each way) when it has nothing buffered, and client.c gives
 * back the read buffer after each burst of reads (tls_release_buffers).
 *
 * What libmosquitto 2.0 leaves to us with its own context: told not to
 * apply its defaults (MOSQ_OPT_SSL_CTX_WITH_DEFAULTS 0; it would otherwise
 * change the shared context on every connect), it applies none of its TLS
 * settings (cafile, insecure, psk ...), so verification, the host name
 * check and the PSK callback are set here.
 * It sends the address it connects to as SNI (a numeric IP here, see
 * client_env.connect_ip); the context replaces it with the host name given
 * at the start of each handshake.
 *
 * Driving a handshake from an external loop (client.c): libmosquitto runs
 * SSL_connect from mosquitto_loop_read only (loop_write does nothing while
 * the handshake is under way), and treats any SSL_ERROR_SYSCALL during it
 * (a refused or closed connection) as "try again". So client.c calls
 * loop_read on readable and writable events while tls_handshaking(), and
 * looks at the socket itself (tls_peek_closed) before each call.
 *
 * Secrets: the PSK and the key's passphrase are used here only; they are
 * never copied into messages or results. */
#ifndef MB_TLS_H
#define MB_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define TLS_DEFAULT_PORT 8883
#define TLS_KEY_PASSWORD_ENV "MQTTBENCH_KEY_PASSWORD"

struct mosquitto;
struct tls;

/* What a run used: written to the result's environment.tls. */
struct tls_facts {
    char library[64];       /* OpenSSL_version(OPENSSL_VERSION) at run time */
    char protocol[16];      /* negotiated by the first connection: "TLSv1.3" */
    char cipher[64];        /* negotiated cipher suite */
    char alpn[64];          /* protocol the broker selected; "" = none */
    char verify[64];        /* what was checked: "chain and host name", "chain", "psk" */
};

/* The rules between cfg's TLS options (no file is opened; each value's
 * own bounds are its row's, optspec.c): --cert needs --key and the
 * reverse, --psk needs --psk-identity and excludes certificates, --psk is
 * hex, no --spawn-broker (its broker has no TLS listener).
 * Returns 0, or -1 with err (one line, no secret in it). */
int tls_options_check(const struct mb_config *cfg, char *err, size_t errlen);

/* The context for cfg's TLS options, for a broker reached as host (checked
 * against its certificate unless --insecure; a numeric address is checked
 * as an IP). Every file is read now: a missing or unreadable file, a file
 * without a certificate or key, a key that does not match its certificate,
 * an encrypted key without a passphrase (never prompted for) fail here.
 * Returns the context, or NULL with err (one line; paths may appear in it,
 * secrets never). Free with tls_free. */
struct tls *tls_new(const struct mb_config *cfg, const char *host, char *err, size_t errlen);

void tls_free(struct tls *t);

/* What t was built with (library, verification); the negotiated fields
 * stay empty until tls_note_session fills them. */
void tls_facts(const struct tls *t, struct tls_facts *f);

/* Make m connect with t's context. Returns 0, or -1. */
int tls_attach(const struct tls *t, struct mosquitto *m);

/* What a handshake step saw, for tls_watch. */
struct tls_seen {
    uint64_t hello_ns;      /* when the ClientHello reached the kernel (TCP is up then); 0 = not yet */
    long verify_error;      /* the first X509_V_ERR_* of the broker's certificate; 0 = none */
};

/* While seen is set (not NULL) on the calling thread, handshake steps fill
 * it in (hello_ns once). Set it around every libmosquitto call that may
 * run a handshake step, and clear it after: a step may even finish the
 * handshake inside mosquitto_connect_async, when the broker answers before
 * the call returns (a loaded loopback), and a failure there frees the SSL
 * object with its verification result before the call returns. */
void tls_watch(struct tls_seen *seen);

/* True while m's TLS handshake is under way (m has an SSL object that has
 * not finished its handshake). */
bool tls_handshaking(struct mosquitto *m);

/* True while m's handshake waits for the socket to take more bytes. */
bool tls_wants_write(struct mosquitto *m);

/* True when OpenSSL holds bytes of m's connection that no read has taken
 * (decrypted or not): epoll will not report them. */
bool tls_pending(struct mosquitto *m);

/* Give back m's idle record buffers (about 17 KiB each) when OpenSSL holds no
 * byte of the connection: SSL_MODE_RELEASE_BUFFERS frees the read buffer
 * only once a record is used up, and the read that finds the socket empty
 * (EAGAIN, the end of every read burst) allocates it again. Call after a
 * burst of reads. No-op where SSL_free_buffers has a known use-after-free
 * (OpenSSL 3.0 before 3.0.14, CVE-2024-4741). */
void tls_release_buffers(const struct tls *t, struct mosquitto *m);

/* After m's handshake: t's facts with m's protocol, cipher and ALPN into f
 * (only when f's protocol is still empty: the first handshake stands). */
void tls_note_session(struct mosquitto *m, const struct tls *t, struct tls_facts *f);

/* Socket state before driving a handshake step: 0 open, 1 the broker
 * closed it (EOF), or an errno (ECONNREFUSED, ECONNRESET ...). */
int tls_peek_closed(int fd);

/* Why a TLS connection of t failed, as a short reason ("TLS: the broker's
 * certificate: certificate has expired") and a hint (may be ""), from
 * verify_error (tls_seen) and ssl_error, the first OpenSSL error line
 * libmosquitto logged (may be NULL or ""). */
void tls_failure(const struct tls *t, long verify_error, const char *ssl_error, char *reason, size_t rlen,
                 char *hint, size_t hlen);

/* For tls_failure's ssl_error when a connection whose handshake had
 * finished was closed before its CONNACK and OpenSSL had nothing to say:
 * with TLS 1.3 the broker checks the client's certificate after the
 * client's handshake has ended, and its alert may be lost when our next
 * write meets the closed connection (ECONNRESET). */
#define TLS_CLOSED_AFTER_HANDSHAKE "the broker closed the connection after the handshake"

/* How the client authenticates itself, for tls_reason's hints. */
enum tls_auth { TLS_AUTH_NONE, TLS_AUTH_CERT, TLS_AUTH_PSK };

/* The same from the parts (pure; unit-tested): verify_result an
 * X509_V_ERR_* (X509_V_OK when the broker's certificate was not at fault),
 * auth what the client offered, host the name checked. */
void tls_reason(long verify_result, const char *ssl_error, enum tls_auth auth, const char *host, char *reason,
                size_t rlen, char *hint, size_t hlen);

#endif
