/* iobuf: the I/O layer under libmosquitto. It buffers socket reads, gathers a
 * publisher's writes and counts every syscall made on a client socket.
 *
 * Why. libmosquitto 2.0 reads every packet with two or three read() calls (the
 * command byte, the remaining length, the body): three syscalls per 16-byte
 * message, most of a subscriber's CPU. It writes every packet with its own
 * syscall. And it opens a socketpair per client (2 of its 3 fds), writing a
 * byte to it on every publish only to wake a select() loop we never run. The
 * library has no hook for its transport, so this module interposes libc.
 *
 * WHICH CALLS. The executable defines these libc functions, so the calls of
 * every library in the process resolve here (the linker exports an
 * executable's definition of a libc symbol; tests/integration/iobuf.sh checks
 * that the binary does, and that the libraries import nothing else):
 *   reads:  read, recv, recvfrom, readv, recvmsg
 *   writes: write, send, sendto, writev, sendmsg
 *   close, socketpair
 * FOR WHICH FDS. Only fds attached with iobuf_attach (client sockets, by
 * client.c). A call on any other fd goes unchanged and uncounted to the next
 * definition (libc's, or a sanitizer's interceptor: dlsym(RTLD_NEXT)).
 * socketpair() is refused (EPERM) only on a thread inside
 * iobuf_refuse_socketpair(true) ... (false), which client.c puts around
 * mosquitto_new; libmosquitto then works without the pair (it only logs a
 * warning we do not collect). Everywhere else it passes through.
 *
 * On an attached fd:
 *   - read, recv, recvfrom: one syscall fills a 4 KiB buffer (IOBUF_SIZE) and
 *     small reads are served from it. recv's MSG_PEEK is honoured; MSG_OOB and
 *     MSG_ERRQUEUE pass through; other flags but MSG_DONTWAIT are ignored. recvfrom of buffered bytes reports no address (*addrlen = 0,
 *     as Linux does for TCP). readv and recvmsg take buffered bytes first
 *     (recvmsg then returns no address and no control data), else pass through.
 *   - write, send, sendto: while gathering is on (iobuf_gather, a publisher's
 *     burst), a write without an address and without flags other than
 *     MSG_NOSIGNAL, MSG_DONTWAIT and MSG_MORE is appended to the output buffer
 *     (at most IOBUF_OUT_SIZE bytes); iobuf_flush hands the burst to the
 *     kernel with one send(MSG_NOSIGNAL). Any other write (gathering off, an
 *     address, other flags, writev, sendmsg, or a full buffer) first puts the
 *     gathered bytes in the kernel, so bytes never leave out of order; when
 *     the kernel cannot take them all yet, it fails with EAGAIN.
 *   - close detaches the fd first, so a reused fd number never sees stale data.
 *   - every syscall made on it, from any path above and from iobuf_flush,
 *     succeeded or not (EAGAIN included), is counted: iobuf_syscalls.
 * Buffered bytes are invisible to epoll: a caller that stops reading before
 * EAGAIN must look at iobuf_pending() and come back without waiting.
 *
 * QoS 0 COMPLETION. libmosquitto reports a QoS 0 publish (on_publish) right
 * after writing it, which may only have reached the output buffer. So the
 * caller notes each message's end with iobuf_note_end and counts it done only
 * when iobuf_flush says its bytes reached the kernel.
 *
 * SWITCHED OFF. MQTTBENCH_NO_IOBUF set to anything but "" or "0" when
 * iobuf_init runs makes every attachment IOBUF_PASSTHROUGH: no buffering, no
 * gathering, every call goes straight to the kernel, and only the counting
 * stays (the functions cannot be unlinked). For A/B runs; the result's
 * environment.io_layer says "off". The socketpair is still refused around
 * mosquitto_new, so the fds per client (preflight.c) stay the same.
 *
 * WHEN LIBMOSQUITTO OR OPENSSL CHANGES, check:
 *   1. Imports: tests/integration/iobuf.sh lists the I/O calls that
 *      libmosquitto, libssl and libcrypto import and fails on one this module
 *      does not define (say __read_chk, recvmmsg, sendmmsg, splice). Decide
 *      whether it can touch a client socket; interpose it or list it there as
 *      reviewed.
 *   2. How libmosquitto reads and writes a packet (lib/net_mosq.c, net__read
 *      and net__write): 2.0.0-2.0.14 read()/write(); 2.0.15 to 2.0.20 and
 *      develop (2024-10) read()/send(..., MSG_NOSIGNAL). Packets are read a
 *      byte, a length, then a body (lib/packet_mosq.c, packet__read).
 *   3. That on_publish for QoS 0 still follows the write of the PUBLISH within
 *      the same call (lib/packet_mosq.c, packet__write): the rule above.
 *   4. Where the socketpair is opened: mosquitto_reinitialise, inside
 *      mosquitto_new (lib/mosquitto.c). libmosquitto 2.1's
 *      MOSQ_OPT_DISABLE_SOCKETPAIR is read there right after the struct is
 *      zeroed (develop, 2024-10), so it cannot stop the pair mosquitto_new
 *      opens: client.c sets it from 2.1 and still refuses the pair around
 *      mosquitto_new. Drop the refusal once a release honours the option
 *      (iobuf.sh counts the sockets per client).
 *   5. The bounds in tests/integration/iobuf.sh (syscalls per message of a
 *      default 100k QoS 0 `both` run): a library that bypasses the layer
 *      falls below the lower bound, one that defeats it rises past the upper.
 * Checked: libmosquitto 2.0.11 (Debian 12, installed), the sources of 2.0.15,
 * 2.0.20 and develop (2024-10); OpenSSL 3.0 (Debian 12): its socket BIO
 * (crypto/bio/bss_sock.c) reads with read() and writes with write(); it uses
 * recvmsg/sendmsg only with kernel TLS and sendto with an address only for
 * TCP Fast Open, neither of which libmosquitto turns on.
 *
 * TLS (done in client.c and tls.c: TLS clients attach with IOBUF_NO_GATHER,
 * client_handle also reports OpenSSL's pending bytes, no kernel TLS; the
 * QoS 0 argument is in docs/results.md). OpenSSL's socket BIO does its
 * socket I/O on the client's fd through the calls above, so the layer sees
 * TLS records:
 *   - Reads need no change: records are read through the buffer like MQTT
 *     packets. But OpenSSL holds decrypted bytes too (SSL_pending): a loop
 *     that stops before EAGAIN must check both it and iobuf_pending.
 *   - Writes: during a burst, SSL_write's records would be gathered, and
 *     libmosquitto would report a QoS 0 publish when its record is in our
 *     buffer. Either attach TLS clients with IOBUF_NO_GATHER (on_publish then
 *     means "in the kernel", as without the layer; iobuf_note_end returns
 *     true), or keep gathering and prove with a test against a real TLS
 *     listener that the rule holds: SSL_write returns success only once every
 *     byte of the record(s) carrying that PUBLISH was accepted by write(), so
 *     the offset iobuf_note_end records covers them; the BIO is a plain
 *     socket BIO (no BIO_f_buffer keeping bytes of its own); and a write that
 *     failed with EAGAIN is retried by SSL_write with the same bytes. Say in
 *     docs/results.md which was done.
 *   - Never turn on kernel TLS (SSL_OP_ENABLE_KTLS) on an attachment that
 *     buffers reads: KTLS receives records with recvmsg and needs every byte
 *     still in the kernel. Attach such a socket with IOBUF_PASSTHROUGH. */
#ifndef MB_IOBUF_H
#define MB_IOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOBUF_SIZE 4096       /* input bytes per client: ~200 small messages per read() */
#define IOBUF_OUT_SIZE 4096   /* output bytes a publisher gathers during one burst */
#define IOBUF_OUT_MSGS 256    /* messages one output buffer tracks */

/* Attachment flags (iobuf_attach). */
#define IOBUF_NO_GATHER   0x1u  /* writes go straight to the kernel (TLS: see above) */
#define IOBUF_PASSTHROUGH 0x2u  /* no read buffer, no gathering: counting only */

struct iobuf {
    uint32_t start, end;      /* unread bytes are data[start..end) */
    uint32_t flags;           /* IOBUF_* of the current attachment */
    bool short_fill;          /* the last fill got less than it asked: the socket was empty then */
    uint8_t data[IOBUF_SIZE];

    /* Output gathering, publishers only (out_cap == 0: none). While `gather`
     * is set, writes on the fd append to out instead of calling the kernel;
     * iobuf_flush() then hands the burst to the kernel in one syscall. */
    bool gather;
    uint32_t out_cap, out_len;
    uint32_t nends;                 /* messages in out, not yet in the kernel */
    uint32_t completed;             /* messages written since iobuf_flush last said */
    uint32_t ends[IOBUF_OUT_MSGS];  /* byte offset in out where each ends */
    uint8_t out[IOBUF_OUT_SIZE];
};

/* Allocate the fd table for fds below max_fds and read MQTTBENCH_NO_IOBUF.
 * Call once, before any client exists and before the process starts a
 * thread: every thread's interposed calls read the table without a lock
 * (tests may call it again while nothing is attached and no other thread
 * runs). Returns 0, or -1 when out of memory. */
int iobuf_init(size_t max_fds);

/* False when MQTTBENCH_NO_IOBUF turned the layer off at iobuf_init. */
bool iobuf_enabled(void);

/* Route the I/O of fd, a connected stream socket, through b (owned by the
 * caller; it outlives the attachment, which ends when fd is closed). flags:
 * IOBUF_* above, 0 for the full layer. fds beyond the table are left alone
 * (not buffered, not counted). */
void iobuf_attach(int fd, struct iobuf *b, unsigned flags);

/* Refuse socketpair() on the calling thread while on (see above). */
void iobuf_refuse_socketpair(bool on);

/* Syscalls made on attached fds since the process started, reads and writes
 * (see above), over all threads. */
void iobuf_syscalls(uint64_t *reads, uint64_t *writes);

/* Start (on=true) or stop gathering writes of the attached fd into b->out.
 * Without room (out_cap 0) or with IOBUF_NO_GATHER or IOBUF_PASSTHROUGH,
 * gathering stays off. */
static inline void iobuf_gather(struct iobuf *b, bool on)
{
    b->gather = on && b->out_cap && !(b->flags & (IOBUF_NO_GATHER | IOBUF_PASSTHROUGH));
}

/* A message has just been written into b->out (libmosquitto's on_publish).
 * Returns true when it is already in the kernel (nothing gathered: the
 * caller counts it done now); false when iobuf_flush will report it. */
bool iobuf_note_end(struct iobuf *b);

/* Write gathered bytes to fd. Returns how many noted messages are now fully
 * in the kernel (the caller counts them done), or -1 on a socket error (errno
 * set; the gathered bytes are dropped, as a closed socket would drop them).
 * Bytes the kernel could not take now stay gathered: iobuf_out_pending. */
int iobuf_flush(int fd, struct iobuf *b);

/* True when gathered bytes wait for the socket to become writable. */
static inline bool iobuf_out_pending(const struct iobuf *b)
{
    return b->out_len != 0;
}

/* True when b holds bytes that no read has taken yet. */
static inline bool iobuf_pending(const struct iobuf *b)
{
    return b->start != b->end;
}

/* True when every byte b took from the socket was read and its last fill
 * emptied the socket: another read now would most likely say EAGAIN, or
 * find the one message that arrived meanwhile. A reader may go back to
 * epoll (level-triggered) instead. */
static inline bool iobuf_drained(const struct iobuf *b)
{
    return b->start == b->end && b->short_fill;
}

#endif
