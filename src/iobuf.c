/* The I/O layer: interposed libc socket calls; see iobuf.h for which and why. */
#include "iobuf.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* The next definition of each interposed call: libc's, or a sanitizer's
 * interceptor in front of it. find_next() looks them up before main; until
 * then (a library constructor doing I/O) the raw syscalls stand in. */
static ssize_t raw_read(int fd, void *buf, size_t n) { return syscall(SYS_read, fd, buf, n); }
static ssize_t raw_recv(int fd, void *buf, size_t n, int fl) { return syscall(SYS_recvfrom, fd, buf, n, fl, NULL, NULL); }
static ssize_t raw_recvfrom(int fd, void *buf, size_t n, int fl, struct sockaddr *a, socklen_t *al)
{
    return syscall(SYS_recvfrom, fd, buf, n, fl, a, al);
}
static ssize_t raw_readv(int fd, const struct iovec *iov, int cnt) { return syscall(SYS_readv, fd, iov, cnt); }
static ssize_t raw_recvmsg(int fd, struct msghdr *m, int fl) { return syscall(SYS_recvmsg, fd, m, fl); }
static ssize_t raw_write(int fd, const void *buf, size_t n) { return syscall(SYS_write, fd, buf, n); }
static ssize_t raw_send(int fd, const void *buf, size_t n, int fl) { return syscall(SYS_sendto, fd, buf, n, fl, NULL, 0); }
static ssize_t raw_sendto(int fd, const void *buf, size_t n, int fl, const struct sockaddr *a, socklen_t al)
{
    return syscall(SYS_sendto, fd, buf, n, fl, a, al);
}
static ssize_t raw_writev(int fd, const struct iovec *iov, int cnt) { return syscall(SYS_writev, fd, iov, cnt); }
static ssize_t raw_sendmsg(int fd, const struct msghdr *m, int fl) { return syscall(SYS_sendmsg, fd, m, fl); }
static int raw_close(int fd) { return (int)syscall(SYS_close, fd); }
static int raw_socketpair(int d, int t, int p, int sv[2]) { return (int)syscall(SYS_socketpair, d, t, p, sv); }

static ssize_t (*next_read)(int, void *, size_t) = raw_read;
static ssize_t (*next_recv)(int, void *, size_t, int) = raw_recv;
static ssize_t (*next_recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *) = raw_recvfrom;
static ssize_t (*next_readv)(int, const struct iovec *, int) = raw_readv;
static ssize_t (*next_recvmsg)(int, struct msghdr *, int) = raw_recvmsg;
static ssize_t (*next_write)(int, const void *, size_t) = raw_write;
static ssize_t (*next_send)(int, const void *, size_t, int) = raw_send;
static ssize_t (*next_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t) = raw_sendto;
static ssize_t (*next_writev)(int, const struct iovec *, int) = raw_writev;
static ssize_t (*next_sendmsg)(int, const struct msghdr *, int) = raw_sendmsg;
static int (*next_close)(int) = raw_close;
static int (*next_socketpair)(int, int, int, int[2]) = raw_socketpair;

#define FIND_NEXT(name) do { \
        void *f = dlsym(RTLD_NEXT, #name); \
        if (f) next_##name = (__typeof__(next_##name))f; \
    } while (0)

__attribute__((constructor)) static void find_next(void)
{
    FIND_NEXT(read);
    FIND_NEXT(recv);
    FIND_NEXT(recvfrom);
    FIND_NEXT(readv);
    FIND_NEXT(recvmsg);
    FIND_NEXT(write);
    FIND_NEXT(send);
    FIND_NEXT(sendto);
    FIND_NEXT(writev);
    FIND_NEXT(sendmsg);
    FIND_NEXT(close);
    FIND_NEXT(socketpair);
}

/* The one process-wide table the interposed calls need: read() has no
 * context argument. Entry fd is written by the thread that owns fd. */
static _Atomic(struct iobuf *) *iobuf_table;
static size_t iobuf_table_len;
static bool iobuf_on = true;

/* Syscall counts, one slot per thread (no cache line shared between workers
 * on the hot path); threads past the last slot share it. Slots outlive their
 * threads: the counts are the process's. */
#define COUNT_SLOTS 128
struct count_slot {
    _Alignas(64) _Atomic uint64_t reads;
    _Atomic uint64_t writes;
};
static struct count_slot count_slots[COUNT_SLOTS];
static atomic_uint count_slots_used;
static _Thread_local struct count_slot *count_mine;
static _Thread_local bool socketpair_refused;

static struct count_slot *counts(void)
{
    if (!count_mine) {
        unsigned i = atomic_fetch_add_explicit(&count_slots_used, 1, memory_order_relaxed);
        count_mine = &count_slots[i < COUNT_SLOTS ? i : COUNT_SLOTS - 1];
    }
    return count_mine;
}

static void count_read(void)
{
    atomic_fetch_add_explicit(&counts()->reads, 1, memory_order_relaxed);
}

static void count_write(void)
{
    atomic_fetch_add_explicit(&counts()->writes, 1, memory_order_relaxed);
}

void iobuf_syscalls(uint64_t *reads, uint64_t *writes)
{
    *reads = *writes = 0;
    for (size_t i = 0; i < COUNT_SLOTS; i++) {
        *reads += atomic_load_explicit(&count_slots[i].reads, memory_order_relaxed);
        *writes += atomic_load_explicit(&count_slots[i].writes, memory_order_relaxed);
    }
}

int iobuf_init(size_t max_fds)
{
    free(iobuf_table);
    iobuf_table_len = 0;
    iobuf_table = calloc(max_fds ? max_fds : 1, sizeof(*iobuf_table));
    if (!iobuf_table) return -1;
    iobuf_table_len = max_fds;
    const char *off = getenv("MQTTBENCH_NO_IOBUF");
    iobuf_on = !off || !*off || strcmp(off, "0") == 0;
    return 0;
}

bool iobuf_enabled(void)
{
    return iobuf_on;
}

void iobuf_refuse_socketpair(bool on)
{
    socketpair_refused = on;
}

static void reset(struct iobuf *b)
{
    b->start = b->end = 0;
    b->out_len = 0;
    b->nends = 0;
    b->completed = 0;
    b->gather = false;
}

void iobuf_attach(int fd, struct iobuf *b, unsigned flags)
{
    if (fd < 0 || (size_t)fd >= iobuf_table_len) return;
    reset(b);
    b->flags = flags | (iobuf_on ? 0 : IOBUF_PASSTHROUGH);
    atomic_store_explicit(&iobuf_table[fd], b, memory_order_release);
}

static struct iobuf *lookup(int fd)
{
    if (fd < 0 || (size_t)fd >= iobuf_table_len) return NULL;
    return atomic_load_explicit(&iobuf_table[fd], memory_order_acquire);
}

/* ---- reads ---- */

/* How a read reached us: read() (sock false), or recv/recvfrom. */
struct in_call {
    bool sock;
    int flags;
    struct sockaddr *addr;
    socklen_t *addrlen;
};

static ssize_t direct_in(int fd, void *buf, size_t n, const struct in_call *c)
{
    count_read();
    if (!c->sock) return next_read(fd, buf, n);
    if (c->addr || c->addrlen) return next_recvfrom(fd, buf, n, c->flags, c->addr, c->addrlen);
    return next_recv(fd, buf, n, c->flags);
}

/* Copy up to n buffered bytes to buf; they stay buffered when peek. */
static size_t take(struct iobuf *b, void *buf, size_t n, bool peek)
{
    size_t avail = b->end - b->start;
    if (n > avail) n = avail;
    memcpy(buf, b->data + b->start, n);
    if (!peek) b->start += (uint32_t)n;
    return n;
}

/* The same into an iovec array. */
static size_t take_iov(struct iobuf *b, const struct iovec *iov, size_t cnt, bool peek)
{
    uint32_t start = b->start;
    size_t got = 0;
    for (size_t i = 0; i < cnt && b->start != b->end; i++) got += take(b, iov[i].iov_base, iov[i].iov_len, false);
    if (peek) b->start = start;
    return got;
}

static ssize_t in_stream(int fd, struct iobuf *b, void *buf, size_t count, const struct in_call *c)
{
    if ((b->flags & IOBUF_PASSTHROUGH) || (c->flags & (MSG_OOB | MSG_ERRQUEUE))) return direct_in(fd, buf, count, c);
    bool peek = c->flags & MSG_PEEK;
    if (b->start == b->end) {
        if (count == 0 || (count >= IOBUF_SIZE && !peek)) return direct_in(fd, buf, count, c);
        /* One syscall for many small reads. */
        struct in_call fill = { .sock = c->sock, .flags = c->flags & MSG_DONTWAIT };
        ssize_t n = direct_in(fd, b->data, IOBUF_SIZE, &fill);
        if (n <= 0) return n;
        b->start = 0;
        b->end = (uint32_t)n;
        b->short_fill = n < IOBUF_SIZE;
    }
    if (c->addrlen) *c->addrlen = 0;
    return (ssize_t)take(b, buf, count, peek);
}

ssize_t read(int fd, void *buf, size_t count)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_read(fd, buf, count);
    return in_stream(fd, b, buf, count, &(struct in_call){ .sock = false });
}

ssize_t recv(int fd, void *buf, size_t count, int flags)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_recv(fd, buf, count, flags);
    return in_stream(fd, b, buf, count, &(struct in_call){ .sock = true, .flags = flags });
}

ssize_t recvfrom(int fd, void *buf, size_t count, int flags, struct sockaddr *addr, socklen_t *addrlen)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_recvfrom(fd, buf, count, flags, addr, addrlen);
    return in_stream(fd, b, buf, count,
                     &(struct in_call){ .sock = true, .flags = flags, .addr = addr, .addrlen = addrlen });
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_readv(fd, iov, iovcnt);
    if (b->start == b->end || iovcnt <= 0) {
        count_read();
        return next_readv(fd, iov, iovcnt);
    }
    return (ssize_t)take_iov(b, iov, (size_t)iovcnt, false);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_recvmsg(fd, msg, flags);
    if (b->start == b->end || (flags & (MSG_OOB | MSG_ERRQUEUE)) || msg->msg_iovlen == 0) {
        count_read();
        return next_recvmsg(fd, msg, flags);
    }
    msg->msg_namelen = 0;
    msg->msg_controllen = 0;
    msg->msg_flags = 0;
    return (ssize_t)take_iov(b, msg->msg_iov, msg->msg_iovlen, flags & MSG_PEEK);
}

/* ---- writes ---- */

bool iobuf_note_end(struct iobuf *b)
{
    /* Nothing gathered: it went straight to the kernel. A full table cannot
     * happen (each message takes more than out_cap / IOBUF_OUT_MSGS bytes);
     * if it did, counting the message now is the lesser error. */
    if (!b->out_len || b->nends == IOBUF_OUT_MSGS) return true;
    b->ends[b->nends++] = b->out_len;
    return false;
}

/* Write what the kernel takes; messages now wholly written move to
 * b->completed. Returns 0, or -1 on a socket error (gathered bytes dropped). */
static int flush_bytes(int fd, struct iobuf *b)
{
    uint32_t sent = 0;
    while (sent < b->out_len) {
        count_write();
        ssize_t n = next_send(fd, b->out + sent, (size_t)(b->out_len - sent), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            int saved = errno;
            b->out_len = 0;
            b->nends = 0;
            errno = saved;
            return -1;
        }
        sent += (uint32_t)n;
    }
    if (!sent) return 0;
    uint32_t done = 0;
    while (done < b->nends && b->ends[done] <= sent) done++;
    memmove(b->out, b->out + sent, b->out_len - sent);
    b->out_len -= sent;
    for (uint32_t i = done; i < b->nends; i++) b->ends[i - done] = b->ends[i] - sent;
    b->nends -= done;
    b->completed += done;
    return 0;
}

int iobuf_flush(int fd, struct iobuf *b)
{
    if (flush_bytes(fd, b) != 0) return -1;
    int done = (int)b->completed;
    b->completed = 0;
    return done;
}

/* Before a write that is not gathered: the gathered bytes go first. Returns
 * 0 when none are left, else -1 (errno EAGAIN: the kernel took only part). */
static int drain_out(int fd, struct iobuf *b)
{
    if (!b->out_len) return 0;
    if (flush_bytes(fd, b) != 0) return -1;
    if (b->out_len) {
        errno = EAGAIN;
        return -1;
    }
    return 0;
}

/* How a write reached us: write() (sock false), or send/sendto. */
struct out_call {
    bool sock;
    int flags;
    const struct sockaddr *addr;
    socklen_t addrlen;
};

static ssize_t out_stream(int fd, struct iobuf *b, const void *buf, size_t count, const struct out_call *c)
{
    bool gather = b->gather && !c->addr && !(c->flags & ~(MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE));
    if (b->out_len && (!gather || b->out_len + count > b->out_cap) && drain_out(fd, b) != 0) return -1;
    if (gather && count <= b->out_cap) {
        memcpy(b->out + b->out_len, buf, count);
        b->out_len += (uint32_t)count;
        return (ssize_t)count;
    }
    count_write();
    if (!c->sock) return next_write(fd, buf, count);
    if (c->addr) return next_sendto(fd, buf, count, c->flags, c->addr, c->addrlen);
    return next_send(fd, buf, count, c->flags);
}

ssize_t write(int fd, const void *buf, size_t count)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_write(fd, buf, count);
    return out_stream(fd, b, buf, count, &(struct out_call){ .sock = false });
}

ssize_t send(int fd, const void *buf, size_t count, int flags)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_send(fd, buf, count, flags);
    return out_stream(fd, b, buf, count, &(struct out_call){ .sock = true, .flags = flags });
}

ssize_t sendto(int fd, const void *buf, size_t count, int flags, const struct sockaddr *addr, socklen_t addrlen)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_sendto(fd, buf, count, flags, addr, addrlen);
    return out_stream(fd, b, buf, count,
                      &(struct out_call){ .sock = true, .flags = flags, .addr = addr, .addrlen = addrlen });
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_writev(fd, iov, iovcnt);
    if (drain_out(fd, b) != 0) return -1;
    count_write();
    return next_writev(fd, iov, iovcnt);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    struct iobuf *b = lookup(fd);
    if (!b) return next_sendmsg(fd, msg, flags);
    if (drain_out(fd, b) != 0) return -1;
    count_write();
    return next_sendmsg(fd, msg, flags);
}

/* ---- the rest ---- */

int close(int fd)
{
    if (fd >= 0 && (size_t)fd < iobuf_table_len) {
        struct iobuf *b = atomic_exchange_explicit(&iobuf_table[fd], NULL, memory_order_acq_rel);
        if (b) reset(b);
    }
    return next_close(fd);
}

int socketpair(int domain, int type, int protocol, int sv[2])
{
    if (socketpair_refused) {
        errno = EPERM;
        return -1;
    }
    return next_socketpair(domain, type, protocol, sv);
}
