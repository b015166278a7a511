/* delayproxy: a TCP proxy that holds every byte a fixed time, for the tests.
 *
 *   delayproxy -t TARGET_PORT -d DELAY_US -P PORT_FILE -o REPORT_FILE
 *
 * Listens on a free 127.0.0.1 port (written to PORT_FILE, atomically, once it
 * listens: wait for that file, not for a fixed time), connects every accepted
 * connection to 127.0.0.1:TARGET_PORT and forwards the bytes of both
 * directions, each chunk read written no earlier than DELAY_US after the read
 * returned. One thread, one epoll loop, a CLOCK_MONOTONIC timerfd armed for the
 * earliest chunk due; FIFO queues per direction and connection; TCP_NODELAY and
 * TCP_QUICKACK on every socket, so the kernel adds no hold of its own.
 *
 * The hold a chunk really got is measured (clock after its last write() minus
 * clock after its read()) and, per direction, its median, mean and max are
 * written to REPORT_FILE when the proxy ends (SIGTERM or SIGINT), as lines
 * "KEY VALUE":
 *   delay_us 2000
 *   c2s_chunks N   c2s_bytes N   c2s_hold_median_us X   c2s_hold_mean_us X   c2s_hold_max_us X
 *   s2c_...        (the same for broker -> client)
 * c2s is client -> target (publishes), s2c target -> client (deliveries).
 * Exit status 0, or 1 with one line on stderr when it cannot start. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_MAX 65536
#define QUEUE_MAX (4u << 20)   /* bytes queued per direction before reading pauses */
#define MAX_CONNS 1024

enum { C2S = 0, S2C = 1 };

struct chunk {
    struct chunk *next;
    uint64_t read_ns;            /* CLOCK_MONOTONIC when read() returned */
    uint64_t due_ns;             /* read_ns + the delay */
    size_t len, off;
    unsigned char data[];
};

struct dir {                     /* one direction of one connection */
    int from, to;                /* socket fds */
    struct chunk *head, *tail;
    size_t queued;               /* bytes */
    int eof;                     /* read side saw EOF */
    int shut;                    /* write side shut down after EOF */
    int blocked;                 /* the head waits for the socket to be writable */
};

struct conn {
    int used;
    int fd[2];                   /* [0] client side, [1] target side */
    struct dir d[2];             /* d[C2S]: fd[0] -> fd[1]; d[S2C]: fd[1] -> fd[0] */
    uint32_t events[2];          /* epoll events currently registered per fd */
};

struct stats {                   /* holds of one direction, ns */
    uint64_t *v;
    size_t n, cap;
    uint64_t bytes;
};

static struct conn conns[MAX_CONNS];
static struct stats st[2];
static int epfd;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void stats_add(struct stats *s, uint64_t hold_ns, size_t bytes)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        uint64_t *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return;                /* keep what we have; the report says how many */
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = hold_ns;
    s->bytes += bytes;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void stats_print(FILE *f, const char *name, struct stats *s)
{
    double med = 0, mean = 0, max = 0, sum = 0;

    if (s->n) {
        qsort(s->v, s->n, sizeof *s->v, cmp_u64);
        med = s->n % 2 ? (double)s->v[s->n / 2]
                       : ((double)s->v[s->n / 2 - 1] + (double)s->v[s->n / 2]) / 2;
        for (size_t i = 0; i < s->n; i++)
            sum += (double)s->v[i];
        mean = sum / (double)s->n;
        max = (double)s->v[s->n - 1];
    }
    fprintf(f, "%s_chunks %zu\n%s_bytes %llu\n", name, s->n, name, (unsigned long long)s->bytes);
    fprintf(f, "%s_hold_median_us %.1f\n%s_hold_mean_us %.1f\n%s_hold_max_us %.1f\n",
            name, med / 1e3, name, mean / 1e3, name, max / 1e3);
}

static int set_nonblock_nodelay(int fd)
{
    int one = 1;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        return -1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Register what fd i of c should wait for: readable while its reading
 * direction may read, writable while its writing direction has a blocked head. */
static void conn_arm(struct conn *c, int i, int want_out)
{
    struct dir *rd = &c->d[i == 0 ? C2S : S2C];
    uint32_t ev = 0;
    if (!rd->eof && rd->queued < QUEUE_MAX)
        ev |= EPOLLIN;
    if (want_out)
        ev |= EPOLLOUT;
    if (ev == c->events[i])
        return;
    struct epoll_event e = { .events = ev, .data.u64 = (uint64_t)(c - conns) * 2 + (uint64_t)i };
    if (!ev)
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd[i], NULL);
    else
        epoll_ctl(epfd, c->events[i] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd[i], &e);
    c->events[i] = ev;
}

static void conn_close(struct conn *c)
{
    for (int k = 0; k < 2; k++) {
        struct chunk *ch = c->d[k].head;
        while (ch) {
            struct chunk *n = ch->next;
            free(ch);
            ch = n;
        }
        close(c->fd[k]);
    }
    memset(c, 0, sizeof *c);
}

/* Write every due chunk of direction d; returns -1 on a broken socket, else
 * 0 (d->blocked says whether a due chunk waits for the socket). */
static int dir_flush(struct dir *d, struct stats *s, uint64_t now)
{
    d->blocked = 0;
    while (d->head && d->head->due_ns <= now) {
        struct chunk *ch = d->head;
        ssize_t w = write(d->to, ch->data + ch->off, ch->len - ch->off);
        if (w < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
            d->blocked = 1;
            return 0;
        }
        ch->off += (size_t)w;
        if (ch->off < ch->len) {
            d->blocked = 1;
            return 0;
        }
        stats_add(s, now_ns() - ch->read_ns, ch->len);
        d->head = ch->next;
        if (!d->head)
            d->tail = NULL;
        d->queued -= ch->len;
        free(ch);
    }
    if (!d->head && d->eof && !d->shut) {
        shutdown(d->to, SHUT_WR);
        d->shut = 1;
    }
    return 0;
}

static uint64_t delay_ns;

/* Service connection c: read what is readable, write what is due. */
static void conn_service(struct conn *c, int readable_fd)
{
    uint64_t now;

    if (readable_fd >= 0) {
        int k = readable_fd == 0 ? C2S : S2C;
        struct dir *d = &c->d[k];
        while (!d->eof && d->queued < QUEUE_MAX) {
            struct chunk *ch = malloc(sizeof *ch + CHUNK_MAX);
            if (!ch) {
                conn_close(c);
                return;
            }
            ssize_t r = read(d->from, ch->data, CHUNK_MAX);
            /* ACK at once, as a peer that wants no Nagle stall would: a
             * delayed ACK here would hold the sender's next small segment
             * (a broker with Nagle on) for up to the delayed-ACK time, a
             * delay the proxy did not mean and does not measure. */
            int one = 1;
            setsockopt(d->from, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
            if (r <= 0) {
                free(ch);
                if (r == 0)
                    d->eof = 1;
                else if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                else {
                    conn_close(c);
                    return;
                }
                break;
            }
            ch->read_ns = now_ns();
            ch->due_ns = ch->read_ns + delay_ns;
            ch->len = (size_t)r;
            ch->off = 0;
            ch->next = NULL;
            if (d->tail)
                d->tail->next = ch;
            else
                d->head = ch;
            d->tail = ch;
            d->queued += (size_t)r;
        }
    }
    now = now_ns();
    for (int k = 0; k < 2; k++) {
        if (dir_flush(&c->d[k], &st[k], now) < 0) {
            conn_close(c);
            return;
        }
    }
    if (c->d[C2S].shut && c->d[S2C].shut) {
        conn_close(c);
        return;
    }
    /* fd 0 writes S2C, fd 1 writes C2S. */
    conn_arm(c, 0, c->d[S2C].blocked);
    conn_arm(c, 1, c->d[C2S].blocked);
}

static void arm_timer(int tfd)
{
    uint64_t due = 0;
    for (int i = 0; i < MAX_CONNS; i++) {
        if (!conns[i].used)
            continue;
        for (int k = 0; k < 2; k++) {
            struct chunk *h = conns[i].d[k].head;
            /* A blocked head waits for EPOLLOUT, not for the timer. */
            if (h && !conns[i].d[k].blocked && (!due || h->due_ns < due))
                due = h->due_ns;
        }
    }
    struct itimerspec its = { 0 };
    if (due) {
        its.it_value.tv_sec = (time_t)(due / 1000000000u);
        its.it_value.tv_nsec = (long)(due % 1000000000u);
    }
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int write_file_atomic(const char *path, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fputs(text, f);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    int target_port = 0, opt;
    long delay_us = -1;
    const char *port_file = NULL, *report_file = NULL;

    while ((opt = getopt(argc, argv, "t:d:P:o:")) != -1) {
        switch (opt) {
        case 't': target_port = atoi(optarg); break;
        case 'd': delay_us = atol(optarg); break;
        case 'P': port_file = optarg; break;
        case 'o': report_file = optarg; break;
        default: goto usage;
        }
    }
    if (target_port <= 0 || target_port > 65535 || delay_us < 0 || !port_file || !report_file)
        goto usage;
    delay_ns = (uint64_t)delay_us * 1000u;

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 128) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
        fprintf(stderr, "delayproxy: cannot listen on 127.0.0.1: %s\n", strerror(errno));
        return 1;
    }

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    epfd = epoll_create1(0);
    if (sfd < 0 || tfd < 0 || epfd < 0) {
        fprintf(stderr, "delayproxy: cannot set up epoll: %s\n", strerror(errno));
        return 1;
    }
    /* data.u64 of the three special fds: above any connection's. */
    const uint64_t ID_LISTEN = UINT64_MAX, ID_SIGNAL = UINT64_MAX - 1, ID_TIMER = UINT64_MAX - 2;
    struct epoll_event e = { .events = EPOLLIN, .data.u64 = ID_LISTEN };
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &e);
    e.data.u64 = ID_SIGNAL;
    epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &e);
    e.data.u64 = ID_TIMER;
    epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &e);

    char buf[64];
    snprintf(buf, sizeof buf, "%d\n", ntohs(a.sin_port));
    if (write_file_atomic(port_file, buf) != 0) {
        fprintf(stderr, "delayproxy: cannot write %s: %s\n", port_file, strerror(errno));
        return 1;
    }

    for (int running = 1; running;) {
        struct epoll_event evs[64];
        int n = epoll_wait(epfd, evs, 64, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            uint64_t id = evs[i].data.u64;
            if (id == ID_SIGNAL) {
                running = 0;
            } else if (id == ID_TIMER) {
                uint64_t x;
                if (read(tfd, &x, sizeof x) < 0) { /* spurious: rearmed below */ }
                for (int c = 0; c < MAX_CONNS; c++)
                    if (conns[c].used)
                        conn_service(&conns[c], -1);
            } else if (id == ID_LISTEN) {
                int cfd;
                while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    int slot = -1;
                    for (int c = 0; c < MAX_CONNS && slot < 0; c++)
                        if (!conns[c].used)
                            slot = c;
                    int tfd2 = socket(AF_INET, SOCK_STREAM, 0);
                    struct sockaddr_in t = { .sin_family = AF_INET,
                                             .sin_port = htons((uint16_t)target_port),
                                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                    /* A blocking connect: on loopback it completes at once. */
                    if (slot < 0 || tfd2 < 0 || connect(tfd2, (struct sockaddr *)&t, sizeof t) < 0 ||
                        set_nonblock_nodelay(tfd2) < 0 || set_nonblock_nodelay(cfd) < 0) {
                        close(cfd);
                        if (tfd2 >= 0)
                            close(tfd2);
                        continue;
                    }
                    struct conn *c = &conns[slot];
                    c->used = 1;
                    c->fd[0] = cfd;
                    c->fd[1] = tfd2;
                    c->d[C2S] = (struct dir){ .from = cfd, .to = tfd2 };
                    c->d[S2C] = (struct dir){ .from = tfd2, .to = cfd };
                    conn_arm(c, 0, 0);
                    conn_arm(c, 1, 0);
                }
            } else {
                struct conn *c = &conns[id / 2];
                int fdi = (int)(id % 2);
                if (!c->used)
                    continue;
                conn_service(c, (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ? fdi : -1);
            }
        }
        arm_timer(tfd);
    }

    FILE *f = fopen(report_file, "w");
    if (!f) {
        fprintf(stderr, "delayproxy: cannot write %s: %s\n", report_file, strerror(errno));
        return 1;
    }
    fprintf(f, "delay_us %ld\n", delay_us);
    stats_print(f, "c2s", &st[C2S]);
    stats_print(f, "s2c", &st[S2C]);
    return fclose(f) == 0 ? 0 : 1;

usage:
    fprintf(stderr, "usage: delayproxy -t TARGET_PORT -d DELAY_US -P PORT_FILE -o REPORT_FILE\n");
    return 2;
}
