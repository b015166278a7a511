/* Unit tests for src/iobuf.c on socketpairs of our own: buffered reads through
 * every read call, gathered writes leaving in order through every write call,
 * the completion counts of iobuf_note_end/iobuf_flush, the syscall counts,
 * the attachment flags, MQTTBENCH_NO_IOBUF and the scoped socketpair refusal. */
#include "iobuf.h"
#include "test.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static struct iobuf buf;

static void counts(uint64_t *r, uint64_t *w)
{
    iobuf_syscalls(r, w);
}

/* A non-blocking connected pair; sv[0] attached with flags, sv[1] the peer. */
static void pair(int sv[2], unsigned flags, uint32_t out_cap)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) {
        perror("socketpair");
        exit(1);
    }
    memset(&buf, 0, offsetof(struct iobuf, out));
    buf.out_cap = out_cap;
    iobuf_attach(sv[0], &buf, flags);
}

static void unpair(int sv[2])
{
    close(sv[0]);
    close(sv[1]);
}

/* What the peer has received so far (non-blocking), as a string. */
static const char *peer_got(int fd)
{
    static char got[16384];
    ssize_t n = read(fd, got, sizeof(got) - 1);
    got[n > 0 ? n : 0] = '\0';
    return got;
}

static void test_pass_through(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) exit(1);
    uint64_t r0, w0, r1, w1;
    counts(&r0, &w0);
    char c[8];
    CHECK("unattached: write", write(sv[1], "ab", 2) == 2);
    CHECK("unattached: read takes only what is asked", read(sv[0], c, 1) == 1 && c[0] == 'a');
    CHECK("unattached: the rest stays in the kernel", recv(sv[0], c, 8, 0) == 1 && c[0] == 'b');
    counts(&r1, &w1);
    CHECK("unattached: not counted", r1 == r0 && w1 == w0);
    unpair(sv);
}

static void test_reads(void)
{
    int sv[2];
    pair(sv, 0, 0);
    uint64_t r0, w0, r, w;
    counts(&r0, &w0);
    char c[16] = "";
    CHECK("reads: peer writes", write(sv[1], "hello world!", 12) == 12);
    CHECK("read: one byte", read(sv[0], c, 1) == 1 && c[0] == 'h');
    counts(&r, &w);
    CHECK("read: one syscall filled the buffer", r == r0 + 1 && w == w0);
    CHECK("read: buffered bytes pending", iobuf_pending(&buf));
    CHECK("read: served from the buffer", read(sv[0], c, 4) == 4 && memcmp(c, "ello", 4) == 0);
    CHECK("recv MSG_PEEK: not consumed", recv(sv[0], c, 2, MSG_PEEK) == 2 && memcmp(c, " w", 2) == 0);
    CHECK("recv: then consumed", recv(sv[0], c, 2, 0) == 2 && memcmp(c, " w", 2) == 0);
    struct sockaddr_storage sa;
    socklen_t salen = sizeof(sa);
    CHECK("recvfrom: served, no address",
          recvfrom(sv[0], c, 2, 0, (struct sockaddr *)&sa, &salen) == 2 && memcmp(c, "or", 2) == 0 && salen == 0);
    char v1[1], v2[8];
    struct iovec iov[2] = { { v1, 1 }, { v2, 8 } };
    CHECK("readv: served across two iovecs", readv(sv[0], iov, 2) == 3 && v1[0] == 'l' && memcmp(v2, "d!", 2) == 0);
    counts(&r, &w);
    CHECK("reads: still one syscall", r == r0 + 1);
    CHECK("reads: buffer empty", !iobuf_pending(&buf));
    errno = 0;
    CHECK("read: empty socket gives EAGAIN", read(sv[0], c, 1) == -1 && errno == EAGAIN);
    counts(&r, &w);
    CHECK("read: the EAGAIN syscall counted", r == r0 + 2);

    /* recvmsg from the buffer, and a large read straight to the caller. */
    CHECK("recvmsg: peer writes", write(sv[1], "xyz", 3) == 3);
    CHECK("recvmsg: read fills", read(sv[0], c, 1) == 1 && c[0] == 'x');
    struct iovec mi = { c, sizeof(c) };
    char ctl[64];
    struct msghdr m = { .msg_iov = &mi, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
    CHECK("recvmsg: served, no control data",
          recvmsg(sv[0], &m, 0) == 2 && memcmp(c, "yz", 2) == 0 && m.msg_controllen == 0);
    static char big[IOBUF_SIZE + 10], got[IOBUF_SIZE + 10];
    memset(big, 'q', sizeof(big));
    counts(&r0, &w0);
    CHECK("large read: peer writes", write(sv[1], big, sizeof(big)) == (ssize_t)sizeof(big));
    CHECK("large read: straight to the caller", read(sv[0], got, sizeof(got)) == (ssize_t)sizeof(got) &&
          !iobuf_pending(&buf));
    counts(&r, &w);
    CHECK("large read: one syscall", r == r0 + 1);
    unpair(sv);
}

static void test_gather(void)
{
    int sv[2];
    pair(sv, 0, IOBUF_OUT_SIZE);
    uint64_t r0, w0, r, w;
    counts(&r0, &w0);
    CHECK("note_end: nothing gathered is already in the kernel", iobuf_note_end(&buf));
    CHECK("flush: nothing to do", iobuf_flush(sv[0], &buf) == 0);
    counts(&r, &w);
    CHECK("flush: nothing to do, no syscall", w == w0);

    iobuf_gather(&buf, true);
    CHECK("gather: write", write(sv[0], "m1,", 3) == 3 && !iobuf_note_end(&buf));
    CHECK("gather: send MSG_NOSIGNAL", send(sv[0], "m2,", 3, MSG_NOSIGNAL) == 3 && !iobuf_note_end(&buf));
    CHECK("gather: sendto without address", sendto(sv[0], "m3,", 3, 0, NULL, 0) == 3 && !iobuf_note_end(&buf));
    counts(&r, &w);
    CHECK("gather: no syscall yet", w == w0);
    CHECK("gather: nothing reached the peer", peer_got(sv[1])[0] == '\0');
    CHECK("gather: output pending", iobuf_out_pending(&buf));
    iobuf_gather(&buf, false);
    CHECK("flush: three messages completed", iobuf_flush(sv[0], &buf) == 3);
    counts(&r, &w);
    CHECK("flush: one syscall", w == w0 + 1);
    CHECK("flush: bytes in order", strcmp(peer_got(sv[1]), "m1,m2,m3,") == 0);
    CHECK("flush: nothing pending", !iobuf_out_pending(&buf));

    /* A write that is not gathered sends the gathered bytes first. */
    iobuf_gather(&buf, true);
    write(sv[0], "A", 1);
    iobuf_note_end(&buf);
    struct iovec iov = { "B", 1 };
    CHECK("writev: goes out after the gathered bytes", writev(sv[0], &iov, 1) == 1);
    CHECK("writev: order kept", strcmp(peer_got(sv[1]), "AB") == 0);
    write(sv[0], "C", 1);
    iobuf_note_end(&buf);
    iov.iov_base = "D";
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    CHECK("sendmsg: goes out after the gathered bytes", sendmsg(sv[0], &m, 0) == 1);
    CHECK("sendmsg: order kept", strcmp(peer_got(sv[1]), "CD") == 0);
    write(sv[0], "E", 1);
    iobuf_note_end(&buf);
    struct sockaddr_storage sa = { .ss_family = AF_UNIX };
    errno = 0;
    CHECK("sendto with an address: not gathered (EISCONN on a connected socket)",
          sendto(sv[0], "F", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno == EISCONN);
    CHECK("sendto with an address: gathered bytes went first", strcmp(peer_got(sv[1]), "E") == 0);
    write(sv[0], "G", 1);
    iobuf_note_end(&buf);
    iobuf_gather(&buf, false);
    CHECK("write after gathering: direct", write(sv[0], "H", 1) == 1);
    CHECK("write after gathering: order kept", strcmp(peer_got(sv[1]), "GH") == 0);
    CHECK("flush: the messages flushed on the way are reported", iobuf_flush(sv[0], &buf) == 4);

    /* A full buffer flushes before taking more; the counts follow. */
    static char msg[1500];
    memset(msg, 'x', sizeof(msg));
    counts(&r0, &w0);
    iobuf_gather(&buf, true);
    for (int i = 0; i < 3; i++) {
        msg[0] = (char)('1' + i);
        write(sv[0], msg, sizeof(msg));
        iobuf_note_end(&buf);
    }
    counts(&r, &w);
    CHECK("full buffer: the first two left in one syscall", w == w0 + 1);
    iobuf_gather(&buf, false);
    CHECK("full buffer: three messages completed", iobuf_flush(sv[0], &buf) == 3);
    const char *got = peer_got(sv[1]);
    CHECK("full buffer: order kept", strlen(got) == 3 * sizeof(msg) && got[0] == '1' &&
          got[sizeof(msg)] == '2' && got[2 * sizeof(msg)] == '3');
    unpair(sv);
}

/* A peer that does not read: gathered messages complete only when the
 * kernel has taken all of their bytes. */
static void test_partial_flush(void)
{
    int sv[2];
    pair(sv, 0, IOBUF_OUT_SIZE);
    static char fill[65536];
    size_t filled = 0;
    ssize_t n;
    while ((n = write(sv[0], fill, sizeof(fill))) > 0) filled += (size_t)n;
    CHECK("stalled: socket full", errno == EAGAIN && filled > 0);
    iobuf_gather(&buf, true);
    int gathered = 0;
    for (int i = 0; i < 3; i++) {
        gathered += write(sv[0], "msg", 3) == 3;
        iobuf_note_end(&buf);
    }
    CHECK("stalled: three messages gathered", gathered == 3);
    iobuf_gather(&buf, false);
    CHECK("stalled: flush completes nothing", iobuf_flush(sv[0], &buf) == 0);
    CHECK("stalled: output still pending", iobuf_out_pending(&buf));
    errno = 0;
    CHECK("stalled: a direct write waits behind the gathered bytes",
          write(sv[0], "z", 1) == -1 && errno == EAGAIN);
    static char drain[65536];
    while (read(sv[1], drain, sizeof(drain)) > 0) {}
    CHECK("drained: flush completes all three", iobuf_flush(sv[0], &buf) == 3);
    CHECK("drained: the gathered bytes arrive", strcmp(peer_got(sv[1]), "msgmsgmsg") == 0);
    unpair(sv);
}

static void test_no_gather(void)
{
    int sv[2];
    pair(sv, IOBUF_NO_GATHER, IOBUF_OUT_SIZE);
    uint64_t r0, w0, r, w;
    counts(&r0, &w0);
    iobuf_gather(&buf, true);
    CHECK("NO_GATHER: gathering stays off", !buf.gather);
    CHECK("NO_GATHER: write", write(sv[0], "tls", 3) == 3);
    CHECK("NO_GATHER: message already in the kernel", iobuf_note_end(&buf));
    counts(&r, &w);
    CHECK("NO_GATHER: one syscall", w == w0 + 1);
    CHECK("NO_GATHER: bytes arrived", strcmp(peer_got(sv[1]), "tls") == 0);
    CHECK("NO_GATHER: reads still buffered", write(sv[1], "ab", 2) == 2 && read(sv[0], (char[1]){0}, 1) == 1 &&
          iobuf_pending(&buf));
    unpair(sv);
}

static void test_close_detaches(void)
{
    int sv[2];
    pair(sv, 0, 0);
    char c[8];
    write(sv[1], "xyz", 3);
    read(sv[0], c, 1);
    int fd = sv[0];
    unpair(sv);
    CHECK("close: buffer emptied", !iobuf_pending(&buf));
    int nv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, nv) != 0) exit(1);
    uint64_t r0, w0, r, w;
    counts(&r0, &w0);
    errno = 0;
    CHECK("close: fd number reused", nv[0] == fd || nv[1] == fd);
    CHECK("close: the new socket sees no stale bytes", read(fd, c, 8) == -1 && errno == EAGAIN);
    counts(&r, &w);
    CHECK("close: the new socket is not attached", r == r0);
    unpair(nv);
}

static void test_switched_off(void)
{
    setenv("MQTTBENCH_NO_IOBUF", "1", 1);
    CHECK("off: init", iobuf_init(1024) == 0);
    CHECK("off: not enabled", !iobuf_enabled());
    int sv[2];
    pair(sv, 0, IOBUF_OUT_SIZE);
    uint64_t r0, w0, r, w;
    counts(&r0, &w0);
    char c[8];
    write(sv[1], "abc", 3);
    CHECK("off: read takes one byte", read(sv[0], c, 1) == 1 && c[0] == 'a');
    CHECK("off: nothing buffered", !iobuf_pending(&buf));
    CHECK("off: next read from the kernel", read(sv[0], c, 8) == 2 && c[0] == 'b');
    iobuf_gather(&buf, true);
    CHECK("off: gathering stays off", !buf.gather);
    CHECK("off: write", write(sv[0], "w", 1) == 1 && iobuf_note_end(&buf));
    counts(&r, &w);
    CHECK("off: every syscall still counted", r == r0 + 2 && w == w0 + 1);
    unpair(sv);
    setenv("MQTTBENCH_NO_IOBUF", "0", 1);
    CHECK("\"0\" means on", iobuf_init(1024) == 0 && iobuf_enabled());
    unsetenv("MQTTBENCH_NO_IOBUF");
    CHECK("unset means on", iobuf_init(1024) == 0 && iobuf_enabled());
}

static void *other_thread_pair(void *arg)
{
    int sv[2];
    int rc = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    if (rc == 0) unpair(sv);
    *(int *)arg = rc;
    return NULL;
}

static void test_socketpair(void)
{
    int sv[2];
    iobuf_refuse_socketpair(true);
    errno = 0;
    CHECK("refused: socketpair fails", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 && errno == EPERM);
    int rc = -1;
    pthread_t t;
    pthread_create(&t, NULL, other_thread_pair, &rc);
    pthread_join(t, NULL);
    CHECK("refused: only on this thread", rc == 0);
    iobuf_refuse_socketpair(false);
    CHECK("allowed again", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    unpair(sv);
}

int main(void)
{
    unsetenv("MQTTBENCH_NO_IOBUF");
    if (iobuf_init(1024) != 0) return 1;
    test_pass_through();
    test_reads();
    test_gather();
    test_partial_flush();
    test_no_gather();
    test_close_detaches();
    test_switched_off();
    test_socketpair();
    return test_failures ? 1 : 0;
}
