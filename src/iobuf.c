/* Interposed read()/close()/socketpair(); see iobuf.h for why. */
#include "iobuf.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The one process-wide table the interposed calls need: read() has no
 * context argument. Entry fd is written by the thread that owns fd. */
static _Atomic(struct iobuf *) *iobuf_table;
static size_t iobuf_table_len;
static atomic_bool iobuf_active;

int iobuf_init(size_t max_fds)
{
    iobuf_table = calloc(max_fds ? max_fds : 1, sizeof(*iobuf_table));
    if (!iobuf_table) return -1;
    iobuf_table_len = max_fds;
    atomic_store(&iobuf_active, true);
    return 0;
}

static void reset(struct iobuf *b)
{
    b->start = b->end = 0;
    b->out_len = 0;
    b->nends = 0;
    b->completed = 0;
    b->gather = false;
}

void iobuf_attach(int fd, struct iobuf *b)
{
    if (fd < 0 || (size_t)fd >= iobuf_table_len) return;
    reset(b);
    atomic_store_explicit(&iobuf_table[fd], b, memory_order_release);
}

static struct iobuf *lookup(int fd)
{
    if (fd < 0 || (size_t)fd >= iobuf_table_len) return NULL;
    return atomic_load_explicit(&iobuf_table[fd], memory_order_acquire);
}

ssize_t read(int fd, void *buf, size_t count)
{
    struct iobuf *b = lookup(fd);
    if (!b) return syscall(SYS_read, fd, buf, count);
    if (b->start == b->end) {
        if (count >= IOBUF_SIZE) return syscall(SYS_read, fd, buf, count);
        long n = syscall(SYS_read, fd, b->data, (size_t)IOBUF_SIZE);
        if (n <= 0) return n;
        b->start = 0;
        b->end = (uint32_t)n;
    }
    size_t avail = b->end - b->start;
    if (count > avail) count = avail;
    memcpy(buf, b->data + b->start, count);
    b->start += (uint32_t)count;
    return (ssize_t)count;
}

int close(int fd)
{
    if (fd >= 0 && (size_t)fd < iobuf_table_len) {
        struct iobuf *b = atomic_exchange_explicit(&iobuf_table[fd], NULL, memory_order_acq_rel);
        if (b) reset(b);
    }
    return (int)syscall(SYS_close, fd);
}

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
        long n = syscall(SYS_write, fd, b->out + sent, (size_t)(b->out_len - sent));
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

ssize_t write(int fd, const void *buf, size_t count)
{
    struct iobuf *b = lookup(fd);
    if (!b || (!b->gather && !b->out_len)) return syscall(SYS_write, fd, buf, count);
    if (b->out_len && (!b->gather || b->out_len + count > b->out_cap)) {
        /* Keep the byte order: what was gathered goes first. */
        if (flush_bytes(fd, b) != 0) return -1;
        if (b->out_len) {
            errno = EAGAIN;
            return -1;
        }
    }
    if (!b->gather || count > b->out_cap) return syscall(SYS_write, fd, buf, count);
    memcpy(b->out + b->out_len, buf, count);
    b->out_len += (uint32_t)count;
    return (ssize_t)count;
}

int socketpair(int domain, int type, int protocol, int sv[2])
{
    if (atomic_load_explicit(&iobuf_active, memory_order_relaxed)) {
        errno = EMFILE;
        return -1;
    }
    return (int)syscall(SYS_socketpair, domain, type, protocol, sv);
}
