/* nullbroker: an MQTT broker that routes nothing, to measure the generator.
 *
 *   nullbroker [-p PORT] [-P PORT_FILE] [--source COUNT] [--size BYTES]
 *              [--source-topic TOPIC] [--window N] [--run-id HEX]
 *
 * A benchmark tool (bench/capacity.sh), not a test mock: the tests run a real
 * broker. One thread, one epoll loop, any number of connections on
 * 127.0.0.1:PORT (a free port when PORT is 0 or not given; the port is written
 * to PORT_FILE, atomically, once it listens). MQTT 3.1, 3.1.1 and 5. Packets
 * are parsed across read boundaries. It answers
 *   CONNECT -> CONNACK (accepted), SUBSCRIBE -> SUBACK granting the QoS asked,
 *   UNSUBSCRIBE -> UNSUBACK, PUBLISH QoS 1 -> PUBACK, QoS 2 -> PUBREC,
 *   PUBREL -> PUBCOMP, PINGREQ -> PINGRESP, DISCONNECT -> close,
 * and discards everything else, including every PUBLISH's payload.
 *
 * Source mode (--source COUNT): a SUBSCRIBE that holds the filter TOPIC
 * (--source-topic, default mqttbench/test) starts a flood of COUNT valid
 * mqttbench messages to that connection: publisher index 0, sequence numbers
 * 0 .. COUNT-1, the run tag of --run-id (default 0; `mqttbench sub` without
 * --run-id accepts any), a CLOCK_REALTIME send stamp per write, BYTES bytes of
 * payload (default 16) in mqttbench's format (src/payload.h), written in
 * 64 KiB writes. At the QoS granted, capped at 1; at QoS 1 at most --window
 * messages (default 10000, < 65535) wait for their PUBACK.
 *
 * SIGTERM or SIGINT end it; it prints what it saw on stderr. Exit 0, 1 when it
 * cannot start, 2 for bad usage. */
#include "../src/payload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define WRITE_CHUNK 65536
#define PACKET_MAX (256u << 20)   /* MQTT's largest remaining length, plus the header */

struct opts {
    uint64_t source_count;
    size_t size;
    const char *source_topic;
    unsigned window;
    uint64_t run_id;
};

struct buf {
    uint8_t *p;
    size_t len, cap;
};

struct conn {
    int fd;
    int v5;
    uint32_t events;
    struct buf in, out;
    /* Source mode */
    uint64_t to_send;           /* messages not yet queued */
    uint32_t seq;
    int qos;
    unsigned unacked;
    uint16_t next_pid;
    uint8_t *msg;               /* one whole PUBLISH packet, the template */
    size_t msg_len, payload_off, pid_off;
};

static struct opts O = { .size = 16, .source_topic = "mqttbench/test", .window = 10000 };
static int epfd;
static uint64_t n_publish, n_sent, n_conns;

static int buf_reserve(struct buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int out_put(struct conn *c, const uint8_t *p, size_t n)
{
    if (buf_reserve(&c->out, n) < 0)
        return -1;
    memcpy(c->out.p + c->out.len, p, n);
    c->out.len += n;
    return 0;
}

static size_t varint_put(uint8_t *p, size_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v % 128;
        v /= 128;
        p[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

/* Decode a variable byte integer from p[0..avail-1]: bytes used, 0 when more
 * bytes are needed, -1 when malformed (more than 4 bytes). */
static int varint_get(const uint8_t *p, size_t avail, size_t *v)
{
    size_t mult = 1, val = 0;
    for (int i = 0; i < 4; i++) {
        if ((size_t)i >= avail)
            return 0;
        val += (size_t)(p[i] & 0x7F) * mult;
        if (!(p[i] & 0x80)) {
            *v = val;
            return i + 1;
        }
        mult *= 128;
    }
    return -1;
}

static void conn_free(struct conn *c)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in.p);
    free(c->out.p);
    free(c->msg);
    free(c);
}

static int ack(struct conn *c, uint8_t type, const uint8_t *pid)
{
    uint8_t p[4] = { type, 2, pid[0], pid[1] };
    return out_put(c, p, 4);
}

/* Build the PUBLISH template of the flood: fixed header, topic, packet id
 * (QoS 1), no properties (v5), the payload set up by payload_init. */
static int source_prepare(struct conn *c, const uint8_t *topic, size_t tlen, int qos)
{
    size_t rem = 2 + tlen + (qos ? 2 : 0) + (c->v5 ? 1 : 0) + O.size;
    free(c->msg);
    c->msg = malloc(5 + rem);
    if (!c->msg)
        return -1;
    uint8_t *p = c->msg;
    size_t n = 0;
    p[n++] = (uint8_t)(0x30 | (qos << 1));
    n += varint_put(p + n, rem);
    p[n++] = (uint8_t)(tlen >> 8);
    p[n++] = (uint8_t)tlen;
    memcpy(p + n, topic, tlen);
    n += tlen;
    c->pid_off = n;
    if (qos)
        n += 2;
    if (c->v5)
        p[n++] = 0;
    c->payload_off = n;
    payload_init(p + n, O.size, O.run_id, 0);
    c->msg_len = n + O.size;
    c->qos = qos;
    c->to_send = O.source_count;
    c->seq = 0;
    c->unacked = 0;
    c->next_pid = 1;
    return 0;
}

/* Queue flood messages until the output holds WRITE_CHUNK bytes, the count
 * is done or (QoS 1) the window is full. One clock read per call. */
static int source_fill(struct conn *c)
{
    if (!c->to_send || c->out.len >= WRITE_CHUNK)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    size_t room = (WRITE_CHUNK - c->out.len) / c->msg_len + 1;
    if (buf_reserve(&c->out, room * c->msg_len) < 0)
        return -1;
    while (c->to_send && c->out.len < WRITE_CHUNK && (!c->qos || c->unacked < O.window)) {
        uint8_t *m = c->out.p + c->out.len;
        memcpy(m, c->msg, c->msg_len);
        payload_stamp(m + c->payload_off, c->seq++, now);
        if (c->qos) {
            m[c->pid_off] = (uint8_t)(c->next_pid >> 8);
            m[c->pid_off + 1] = (uint8_t)c->next_pid;
            c->next_pid = c->next_pid == 65535 ? 1 : c->next_pid + 1;
            c->unacked++;
        }
        c->out.len += c->msg_len;
        c->to_send--;
        n_sent++;
    }
    return 0;
}

/* Skip a v5 property block at p (avail bytes): bytes used, -1 when malformed. */
static int skip_props(const uint8_t *p, size_t avail)
{
    size_t plen;
    int k = varint_get(p, avail, &plen);
    if (k <= 0 || (size_t)k + plen > avail)
        return -1;
    return k + (int)plen;
}

/* Handle one whole packet: type/flags byte b0, body p[0..len-1]. -1 closes. */
static int handle_packet(struct conn *c, uint8_t b0, const uint8_t *p, size_t len)
{
    switch (b0 >> 4) {
    case 1: {                                  /* CONNECT */
        if (len < 2)
            return -1;
        size_t nl = (size_t)p[0] << 8 | p[1];
        if (len < 2 + nl + 1)
            return -1;
        c->v5 = p[2 + nl] == 5;
        if (c->v5) {
            static const uint8_t ca5[] = { 0x20, 3, 0, 0, 0 };
            return out_put(c, ca5, sizeof ca5);
        }
        static const uint8_t ca[] = { 0x20, 2, 0, 0 };
        return out_put(c, ca, sizeof ca);
    }
    case 3: {                                  /* PUBLISH */
        int qos = (b0 >> 1) & 3;
        n_publish++;
        if (qos == 0)
            return 0;
        if (len < 2)
            return -1;
        size_t tl = (size_t)p[0] << 8 | p[1];
        if (len < 2 + tl + 2 || qos == 3)
            return -1;
        return ack(c, qos == 1 ? 0x40 : 0x50, p + 2 + tl);
    }
    case 4:                                    /* PUBACK (to the flood) */
        if (c->unacked)
            c->unacked--;
        return 0;
    case 6:                                    /* PUBREL */
        return len < 2 ? -1 : ack(c, 0x70, p);
    case 8:                                    /* SUBSCRIBE */
    case 10: {                                 /* UNSUBSCRIBE */
        int sub = (b0 >> 4) == 8;
        if (len < 2)
            return -1;
        size_t off = 2;
        if (c->v5) {
            int k = skip_props(p + off, len - off);
            if (k < 0)
                return -1;
            off += (size_t)k;
        }
        uint8_t codes[256];
        size_t nc = 0;
        while (off < len) {
            if (len - off < 2)
                return -1;
            size_t tl = (size_t)p[off] << 8 | p[off + 1];
            if (len - off < 2 + tl + (sub ? 1 : 0) || nc == sizeof codes)
                return -1;
            const uint8_t *topic = p + off + 2;
            int q = sub ? (p[off + 2 + tl] & 3) : 0;
            if (q == 3)
                return -1;
            codes[nc++] = (uint8_t)q;
            if (sub && O.source_count && tl == strlen(O.source_topic) &&
                memcmp(topic, O.source_topic, tl) == 0 &&
                source_prepare(c, topic, tl, q > 1 ? 1 : q) < 0)
                return -1;
            off += 2 + tl + (sub ? 1 : 0);
        }
        if (!nc)
            return -1;
        uint8_t h[8];
        size_t body = 2 + (c->v5 ? 1 : 0) + ((sub || c->v5) ? nc : 0);
        size_t n = 0;
        h[n++] = sub ? 0x90 : 0xB0;
        n += varint_put(h + n, body);
        h[n++] = p[0];
        h[n++] = p[1];
        if (c->v5)
            h[n++] = 0;
        if (out_put(c, h, n) < 0)
            return -1;
        return (sub || c->v5) ? out_put(c, codes, nc) : 0;
    }
    case 12: {                                 /* PINGREQ */
        static const uint8_t pr[] = { 0xD0, 0 };
        return out_put(c, pr, sizeof pr);
    }
    case 14:                                   /* DISCONNECT */
        return -1;
    default:                                   /* PUBREC, PUBCOMP, AUTH, ...: discarded */
        return 0;
    }
}

/* Parse every whole packet in c->in; keep a partial one for the next read. */
static int parse(struct conn *c)
{
    size_t off = 0;
    while (c->in.len - off >= 2) {
        size_t rem = 0;
        int k = varint_get(c->in.p + off + 1, c->in.len - off - 1, &rem);
        if (k == 0)
            break;
        if (k < 0 || rem > PACKET_MAX)
            return -1;
        size_t total = 1 + (size_t)k + rem;
        if (c->in.len - off < total) {
            if (buf_reserve(&c->in, total - (c->in.len - off)) < 0)
                return -1;
            break;
        }
        if (handle_packet(c, c->in.p[off], c->in.p + off + 1 + k, rem) < 0)
            return -1;
        off += total;
    }
    memmove(c->in.p, c->in.p + off, c->in.len - off);
    c->in.len -= off;
    return 0;
}

static int flush_out(struct conn *c)
{
    size_t off = 0;
    for (;;) {
        if (source_fill(c) < 0)
            return -1;
        if (off == c->out.len)
            break;
        ssize_t w = write(c->fd, c->out.p + off, c->out.len - off);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return -1;
        }
        off += (size_t)w;
        if (off == c->out.len) {
            c->out.len = 0;
            off = 0;
        } else {
            break;                            /* the socket is full */
        }
    }
    memmove(c->out.p, c->out.p + off, c->out.len - off);
    c->out.len -= off;
    return 0;
}

static void conn_service(struct conn *c, uint32_t ev)
{
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        for (;;) {
            if (buf_reserve(&c->in, READ_CHUNK) < 0)
                goto close;
            ssize_t r = read(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len);
            if (r == 0)
                goto close;
            if (r < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                goto close;
            }
            c->in.len += (size_t)r;
            if (parse(c) < 0)
                goto close;
            if ((size_t)r < READ_CHUNK)
                break;
        }
    }
    if (flush_out(c) < 0)
        goto close;
    uint32_t want = EPOLLIN;
    if (c->out.len || (c->to_send && (!c->qos || c->unacked < O.window)))
        want |= EPOLLOUT;
    if (want != c->events) {
        struct epoll_event e = { .events = want, .data.ptr = c };
        epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e);
        c->events = want;
    }
    return;
close:
    conn_free(c);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "port", required_argument, NULL, 'p' },
        { "port-file", required_argument, NULL, 'P' },
        { "source", required_argument, NULL, 's' },
        { "size", required_argument, NULL, 'z' },
        { "source-topic", required_argument, NULL, 't' },
        { "window", required_argument, NULL, 'w' },
        { "run-id", required_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 },
    };
    int port = 0, opt;
    const char *port_file = NULL;
    char *end;

    while ((opt = getopt_long(argc, argv, "p:P:", lo, NULL)) != -1) {
        errno = 0;
        switch (opt) {
        case 'p': port = (int)strtol(optarg, &end, 10); break;
        case 'P': port_file = optarg; end = optarg + strlen(optarg); break;
        case 's': O.source_count = strtoull(optarg, &end, 10); break;
        case 'z': O.size = strtoul(optarg, &end, 10); break;
        case 't': O.source_topic = optarg; end = optarg + strlen(optarg); break;
        case 'w': O.window = (unsigned)strtoul(optarg, &end, 10); break;
        case 'r': O.run_id = strtoull(optarg, &end, 16); break;
        default: goto usage;
        }
        if (errno || *end || end == optarg)
            goto usage;
    }
    if (optind != argc || port < 0 || port > 65535 || O.size < PAYLOAD_HEADER_SIZE ||
        O.size > (64u << 20) || O.window == 0 || O.window >= 65535)
        goto usage;

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    if (lfd >= 0)
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4096) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
        fprintf(stderr, "nullbroker: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK);
    epfd = epoll_create1(0);
    if (sfd < 0 || epfd < 0) {
        fprintf(stderr, "nullbroker: cannot set up epoll: %s\n", strerror(errno));
        return 1;
    }
    int lid = 0, sid = 0;   /* their addresses tell them from connections */
    struct epoll_event e = { .events = EPOLLIN, .data.ptr = &lid };
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &e);
    e.data.ptr = &sid;
    epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &e);

    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            fprintf(stderr, "nullbroker: cannot write %s: %s\n", port_file, strerror(errno));
            return 1;
        }
    } else {
        printf("%d\n", ntohs(a.sin_port));
        fflush(stdout);
    }

    for (int running = 1; running;) {
        struct epoll_event evs[256];
        int n = epoll_wait(epfd, evs, 256, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == &sid) {
                running = 0;
            } else if (evs[i].data.ptr == &lid) {
                int cfd;
                while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct conn *c = calloc(1, sizeof *c);
                    if (!c) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c->fd = cfd;
                    c->events = EPOLLIN;
                    struct epoll_event ce = { .events = EPOLLIN, .data.ptr = c };
                    if (epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ce) < 0) {
                        close(cfd);
                        free(c);
                        continue;
                    }
                    n_conns++;
                }
            } else {
                conn_service(evs[i].data.ptr, evs[i].events);
            }
        }
    }
    fprintf(stderr, "nullbroker: %llu connections, %llu publishes received, %llu messages sent\n",
            (unsigned long long)n_conns, (unsigned long long)n_publish, (unsigned long long)n_sent);
    return 0;

usage:
    fprintf(stderr, "usage: nullbroker [-p PORT] [-P PORT_FILE] [--source COUNT] [--size BYTES]\n"
                    "                  [--source-topic TOPIC] [--window N] [--run-id HEX]\n");
    return 2;
}
