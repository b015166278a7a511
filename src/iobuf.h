/* iobuf: buffered socket reads and no wake-up socketpair under libmosquitto.
 *
 * libmosquitto 2.0 reads every packet with two or three read() calls (the
 * command byte, the remaining length, the body): three syscalls per 16-byte
 * message, most of a subscriber's CPU. It also opens a socketpair per client
 * (2 of its 3 fds) and writes a byte to it on every publish, only to wake a
 * select() loop we never run. This module interposes read(), close() and
 * socketpair() for the whole process (libmosquitto's calls resolve to these
 * definitions in the executable):
 *   - read() on a socket attached with iobuf_attach fills a per-client buffer
 *     with one syscall and serves the small reads from it; others pass through;
 *   - close() detaches the fd first, so a reused fd number never sees stale data;
 *   - socketpair() fails with EMFILE once iobuf_init ran; libmosquitto then
 *     works without the pair (it only logs a warning we do not collect);
 *   - write() on a publisher's socket during a burst appends to its output
 *     buffer: a burst of small publishes costs one syscall, not one each.
 *     libmosquitto then reports a QoS 0 publish (on_publish) when it is in
 *     our buffer, so the caller notes each message's end with iobuf_note_end
 *     and counts it done only when iobuf_flush says its bytes reached the
 *     kernel. Any write on an fd with gathered bytes flushes them first, so
 *     bytes never leave out of order.
 * Buffered bytes are invisible to epoll: a caller that stops reading before
 * EAGAIN must look at iobuf_pending() and come back without waiting. */
#ifndef MB_IOBUF_H
#define MB_IOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOBUF_SIZE 4096       /* input bytes per client: ~200 small messages per read() */
#define IOBUF_OUT_SIZE 4096   /* output bytes a publisher gathers during one burst */
#define IOBUF_OUT_MSGS 256    /* messages one output buffer tracks */

struct iobuf {
    uint32_t start, end;      /* unread bytes are data[start..end) */
    uint8_t data[IOBUF_SIZE];

    /* Output gathering, publishers only (out_cap == 0: none). While `gather`
     * is set, write() on the fd appends to out instead of calling the kernel;
     * iobuf_flush() then hands the burst to the kernel in one write(). */
    bool gather;
    uint32_t out_cap, out_len;
    uint32_t nends;                 /* messages in out, not yet in the kernel */
    uint32_t completed;             /* messages written since iobuf_flush last said */
    uint32_t ends[IOBUF_OUT_MSGS];  /* byte offset in out where each ends */
    uint8_t out[IOBUF_OUT_SIZE];
};

/* Allocate the fd table for fds below max_fds and turn the shims on.
 * Call once, before any client exists. Returns 0, or -1 when out of memory. */
int iobuf_init(size_t max_fds);

/* Route reads of fd through b (owned by the caller, outlives the attachment).
 * fds beyond the table are left unbuffered. */
void iobuf_attach(int fd, struct iobuf *b);

/* Start (on=true) or stop gathering writes of the attached fd into b->out. */
static inline void iobuf_gather(struct iobuf *b, bool on)
{
    b->gather = on && b->out_cap;
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

#endif
