/* metricsrv: OpenMetrics text, a tiny HTTP server thread and the textfile. */
#include "metricsrv.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "errmsg.h"
#include "jsonfile.h"
#include "result.h"
#include "version.h"

const double metricsrv_buckets_s[METRICSRV_NBUCKETS] = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

#define METRICSRV_REQUEST_MAX 8192          /* bytes of a request read before answering */
#define METRICSRV_IO_TIMEOUT_MS 2000        /* a scraper that stalls longer is dropped */
#define METRICSRV_POLL_MS 200               /* how often the thread looks for new text to write */
#define METRICSRV_CONNECT_EVERY_NS 500000000ull   /* connect-phase updates, at most */

/* ---- the text ---- */

static const char *const phases[] = { "connect", "warmup", "measure", "drain", "done" };

/* le as a plain decimal ("0.00005", "2.5", "10"): no exponent, no trailing zeros. */
static void fmt_le(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.6f", v);
    char *dot = strchr(buf, '.');
    if (!dot) return;
    char *end = buf + strlen(buf) - 1;
    while (end > dot && *end == '0') *end-- = '\0';
    if (end == dot) *end = '\0';
}

/* A counter family: OpenMetrics names the family without _total. */
static void counter(FILE *f, bool om, const char *name, const char *help, uint64_t v)
{
    fprintf(f, "# HELP mqttbench_%s%s %s\n# TYPE mqttbench_%s%s counter\nmqttbench_%s_total %llu\n", name,
            om ? "" : "_total", help, name, om ? "" : "_total", name, (unsigned long long)v);
}

static void gauge(FILE *f, const char *name, const char *help, uint64_t v)
{
    fprintf(f, "# HELP mqttbench_%s %s\n# TYPE mqttbench_%s gauge\nmqttbench_%s %llu\n", name, help, name, name,
            (unsigned long long)v);
}

int metricsrv_format(FILE *f, const struct metricsrv_state *s, bool om)
{
    const char *info = "mqttbench's run: its id, command and version (the value is 1).";
    if (om) fprintf(f, "# HELP mqttbench_run %s\n# TYPE mqttbench_run info\n", info);
    else fprintf(f, "# HELP mqttbench_run_info %s\n# TYPE mqttbench_run_info gauge\n", info);
    fprintf(f, "mqttbench_run_info{run_id=\"%s\",mode=\"%s\",version=\"%s\"} 1\n", s->run_id,
            result_mode_name(s->mode), version_string);
    fputs("# HELP mqttbench_phase The run's phase: 1 for the current one (connect, warmup, measure, drain, done).\n"
          "# TYPE mqttbench_phase gauge\n", f);
    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
        fprintf(f, "mqttbench_phase{phase=\"%s\"} %d\n", phases[i], s->phase && !strcmp(s->phase, phases[i]));
    counter(f, om, "messages_published", "Publishes completed in the measured phase (QoS 0: written to the socket, "
            "QoS 1: PUBACKed, QoS 2: PUBCOMPed).", s->published);
    counter(f, om, "messages_received", "Unique messages received in the measured phase (a duplicate counts once).",
            s->received);
    counter(f, om, "messages_lost", "Expected messages that never arrived; counted when the run's delivery "
            "accounting ends (0 until mqttbench_final is 1).", s->lost);
    counter(f, om, "messages_duplicated", "Second and later copies received; counted when the run's delivery "
            "accounting ends (0 until mqttbench_final is 1).", s->duplicates);
    counter(f, om, "errors", "Clients that failed, and (once mqttbench_final is 1) publish calls that failed.",
            s->errors);
    counter(f, om, "reconnects", "Lost connections made again (--reconnect; 0 without it).", s->reconnects);
    gauge(f, "clients_connected", "Clients connected and subscribed now.", s->connected);
    if (s->in_flight_known)
        gauge(f, "messages_in_flight", "Messages the publishers completed that the subscribers have not received yet "
              "(one per expected copy; lost ones stay in flight).", s->in_flight);
    gauge(f, "final", "1 once the run ended and these are its exact totals, as in its result file.", s->final);

    fputs("# HELP mqttbench_latency_seconds End-to-end latency of the messages received in the measured phase.\n"
          "# TYPE mqttbench_latency_seconds histogram\n", f);
    const struct hist *h = &s->latency;
    uint64_t below = 0;
    size_t i = 0;
    for (size_t b = 0; b < METRICSRV_NBUCKETS; b++) {
        uint64_t le_ns = (uint64_t)(metricsrv_buckets_s[b] * 1e9 + 0.5);
        for (; i < HIST_BUCKETS; i++) {
            if (!h->counts[i]) continue;
            if (hist_bucket_value(h, i) > le_ns) break;
            below += h->counts[i];
        }
        char le[32];
        fmt_le(metricsrv_buckets_s[b], le, sizeof(le));
        fprintf(f, "mqttbench_latency_seconds_bucket{le=\"%s\"} %llu\n", le, (unsigned long long)below);
    }
    fprintf(f, "mqttbench_latency_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
    fprintf(f, "mqttbench_latency_seconds_sum %.9f\n", h->sum_ns / 1e9);
    fprintf(f, "mqttbench_latency_seconds_count %llu\n", (unsigned long long)h->count);
    if (om) fputs("# EOF\n", f);
    return ferror(f) ? -1 : 0;
}

/* ---- the server ---- */

struct metricsrv {
    int listen_fd;              /* -1: not listening */
    int wake_fd;                /* eventfd: metricsrv_stop wakes the thread */
    int port;
    const char *file_path;      /* NULL: no file */
    pthread_t thread;
    bool thread_started;
    atomic_bool stopping;

    /* the controller's: only the thread that publishes touches these */
    struct metricsrv_state st;
    uint64_t last_publish_ns;

    /* shared between the controller and the server thread, under lock */
    pthread_mutex_t lock;
    char *text, *om;            /* the latest texts (NULL before the first) */
    size_t text_len, om_len;
    uint64_t generation;

    /* the server thread's */
    uint64_t file_generation;   /* the generation the file holds */
};

/* Format the state and hand it to the server thread. */
static void publish(struct metricsrv *m)
{
    char *t = NULL, *o = NULL;
    size_t tl = 0, ol = 0;
    FILE *f = open_memstream(&t, &tl), *g = open_memstream(&o, &ol);
    bool ok = f && g;
    if (f) ok = metricsrv_format(f, &m->st, false) == 0 && ok, ok = fclose(f) == 0 && ok;
    if (g) ok = metricsrv_format(g, &m->st, true) == 0 && ok, ok = fclose(g) == 0 && ok;
    if (!ok || !t || !o) {      /* out of memory: keep serving the last text */
        free(t);
        free(o);
        return;
    }
    pthread_mutex_lock(&m->lock);
    char *old_t = m->text, *old_o = m->om;
    m->text = t;
    m->text_len = tl;
    m->om = o;
    m->om_len = ol;
    m->generation++;
    pthread_mutex_unlock(&m->lock);
    free(old_t);
    free(old_o);
    m->last_publish_ns = clock_mono_ns();
}

/* A copy of the latest text (caller frees), its length and generation;
 * NULL before the first or when out of memory. */
static char *latest(struct metricsrv *m, bool om, size_t *len, uint64_t *gen)
{
    pthread_mutex_lock(&m->lock);
    const char *src = om ? m->om : m->text;
    size_t n = om ? m->om_len : m->text_len;
    char *copy = src ? malloc(n + 1) : NULL;
    if (copy) {
        memcpy(copy, src, n);
        copy[n] = '\0';
    }
    *len = n;
    if (gen) *gen = m->generation;
    pthread_mutex_unlock(&m->lock);
    return copy;
}

static int write_file(struct metricsrv *m, char *err, size_t errlen)
{
    size_t len;
    uint64_t gen;
    char *text = latest(m, false, &len, &gen);
    if (!text || gen == m->file_generation) {
        free(text);
        return 0;
    }
    int rc = jsonfile_write_text(m->file_path, text, len, err, errlen);
    free(text);
    if (rc == 0) m->file_generation = gen;
    return rc;
}

static void send_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;     /* the scraper left or stalled: drop it */
        p += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len, bool head)
{
    char hdr[256];
    int n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n", status, type, len);
    send_all(fd, hdr, (size_t)n);
    if (!head) send_all(fd, body, len);
}

/* Whether the request's Accept header asks for OpenMetrics (as Prometheus does). */
static bool wants_openmetrics(const char *req)
{
    for (const char *line = strstr(req, "\n"); line; line = strstr(line + 1, "\n")) {
        if (strncasecmp(line + 1, "accept:", 7)) continue;
        const char *end = strchr(line + 1, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), line + 1);
        return strstr(buf, "application/openmetrics-text") != NULL;
    }
    return false;
}

/* Answer one connection: GET or HEAD /metrics, 404 elsewhere, 405 for other methods. */
static void serve_one(struct metricsrv *m)
{
    int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return;
    struct timeval tv = { METRICSRV_IO_TIMEOUT_MS / 1000, (METRICSRV_IO_TIMEOUT_MS % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    char req[METRICSRV_REQUEST_MAX];
    size_t got = 0;
    while (got < sizeof(req) - 1) {
        ssize_t n = recv(fd, req + got, sizeof(req) - 1 - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
    }
    req[got] = '\0';
    static const char plain[] = "text/plain; charset=utf-8";
    bool head = !strncmp(req, "HEAD ", 5);
    if (!got) {
        /* nothing asked */
    } else if (strncmp(req, "GET ", 4) && !head) {
        static const char msg[] = "only GET and HEAD\n";
        respond(fd, "405 Method Not Allowed", plain, msg, sizeof(msg) - 1, false);
    } else {
        const char *path = req + (head ? 5 : 4);
        size_t plen = strcspn(path, " ?\r\n");
        if (plen == 8 && !strncmp(path, "/metrics", 8)) {
            bool om = wants_openmetrics(req);
            size_t len;
            char *body = latest(m, om, &len, NULL);
            if (body)
                respond(fd, "200 OK", om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                         : "text/plain; version=0.0.4; charset=utf-8", body, len, head);
            else
                respond(fd, "503 Service Unavailable", plain, "no metrics yet\n", 15, head);
            free(body);
        } else {
            static const char msg[] = "mqttbench serves /metrics\n";
            respond(fd, "404 Not Found", plain, msg, sizeof(msg) - 1, head);
        }
    }
    close(fd);
}

static void *server_main(void *arg)
{
    struct metricsrv *m = arg;
    while (!atomic_load(&m->stopping)) {
        struct pollfd p[2] = { { .fd = m->wake_fd, .events = POLLIN }, { .fd = m->listen_fd, .events = POLLIN } };
        int n = poll(p, m->listen_fd >= 0 ? 2 : 1, METRICSRV_POLL_MS);
        if (atomic_load(&m->stopping)) break;
        if (n > 0 && m->listen_fd >= 0 && (p[1].revents & POLLIN)) serve_one(m);
        if (m->file_path) {
            char err[512];
            write_file(m, err, sizeof(err));   /* a failure is tried again; the last write counts */
        }
    }
    return NULL;
}

/* Listen on "HOST:PORT", "[V6]:PORT" or ":PORT". */
static int open_listener(struct metricsrv *m, const char *addr, char *err, size_t errlen)
{
    char shown[ERRMSG_SHOWN(200)], host[256];
    errmsg_sanitize(addr, 200, shown, sizeof(shown));
    const char *colon = strrchr(addr, ':');
    if (!colon || !colon[1])
        return errmsg_set(err, errlen, "--metrics-listen %s: expected ADDR:PORT (127.0.0.1:9464, [::1]:9464, :9464)",
                          shown);
    size_t hl = (size_t)(colon - addr);
    if (hl >= sizeof(host)) return errmsg_set(err, errlen, "--metrics-listen %s: address too long", shown);
    memcpy(host, addr, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || !(colon[1] >= '0' && colon[1] <= '9'))
        return errmsg_set(err, errlen, "--metrics-listen %s: the port is not a number from 0 to 65535", shown);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE },
                    *res = NULL;
    int gai = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
    if (gai != 0) return errmsg_set(err, errlen, "--metrics-listen %s: %s", shown, gai_strerror(gai));
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) return errmsg_set(err, errlen, "--metrics-listen %s: cannot listen: %s", shown, strerror(saved));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        m->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    m->listen_fd = fd;
    fprintf(stderr, "mqttbench: metrics on http://%s%s%s:%d/metrics\n", strchr(host, ':') ? "[" : "",
            host[0] ? host : "0.0.0.0", strchr(host, ':') ? "]" : "", m->port);
    return 0;
}

int metricsrv_start(struct metricsrv **out, const char *listen_addr, const char *file_path, char *err, size_t errlen)
{
    *out = NULL;
    struct metricsrv *m = calloc(1, sizeof(*m));
    if (!m) return errmsg_set(err, errlen, "out of memory");
    m->listen_fd = -1;
    m->file_path = file_path;
    pthread_mutex_init(&m->lock, NULL);
    hist_init(&m->st.latency);
    m->st.phase = "connect";
    m->wake_fd = eventfd(0, EFD_CLOEXEC);
    if (m->wake_fd < 0) {
        errmsg_set(err, errlen, "--metrics-listen: eventfd: %s", strerror(errno));
        goto fail;
    }
    if (listen_addr && open_listener(m, listen_addr, err, errlen) != 0) goto fail;
    /* The thread takes no signal: SIGINT and friends stay with the run. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&m->thread, NULL, server_main, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        errmsg_set(err, errlen, "--metrics-%s: cannot start its thread: %s", listen_addr ? "listen" : "file",
                   strerror(rc));
        goto fail;
    }
    m->thread_started = true;
    *out = m;
    return 0;
fail:
    if (m->listen_fd >= 0) close(m->listen_fd);
    if (m->wake_fd >= 0) close(m->wake_fd);
    pthread_mutex_destroy(&m->lock);
    free(m);
    return -1;
}

int metricsrv_port(const struct metricsrv *m)
{
    return m ? m->port : 0;
}

void metricsrv_begin(struct metricsrv *m, const struct mb_config *cfg)
{
    if (!m) return;
    struct metricsrv_state *s = &m->st;
    uint64_t id = cfg->run_id;
    memset(s, 0, offsetof(struct metricsrv_state, latency));
    hist_reset(&s->latency);
    snprintf(s->run_id, sizeof(s->run_id), "%016llx", (unsigned long long)id);
    s->mode = cfg->mode;
    s->phase = "connect";
    publish(m);
}

void metricsrv_phase(struct metricsrv *m, int phase)
{
    if (!m) return;
    const char *name = phase == PHASE_CONNECT ? "connect" : phase == PHASE_WARMUP ? "warmup"
                       : phase == PHASE_MEASURE ? "measure" : phase == PHASE_STOP_PUBLISHING ? "drain" : NULL;
    if (!name || !strcmp(name, m->st.phase)) return;   /* PHASE_STOP: "done" comes with the totals */
    m->st.phase = name;
    publish(m);
}

void metricsrv_connecting(struct metricsrv *m, uint64_t connected, uint64_t failed)
{
    if (!m) return;
    if (m->st.connected == connected && m->st.errors == failed) return;
    m->st.connected = connected;
    m->st.errors = failed;
    if (clock_mono_ns() - m->last_publish_ns >= METRICSRV_CONNECT_EVERY_NS) publish(m);
}

void metricsrv_tick(struct metricsrv *m, uint64_t published, uint64_t received, const struct hist *latency_since,
                    uint64_t connected, uint64_t failed, bool in_flight_known, uint64_t in_flight)
{
    if (!m) return;
    struct metricsrv_state *s = &m->st;
    s->published = published;
    s->received = received;
    if (latency_since) hist_merge(&s->latency, latency_since);
    s->connected = connected;
    s->errors = failed;
    s->in_flight_known = in_flight_known;
    s->in_flight = in_flight;
    publish(m);
}

void metricsrv_reconnects(struct metricsrv *m, uint64_t reconnects)
{
    if (m) m->st.reconnects = reconnects;
}

void metricsrv_final(struct metricsrv *m, const struct run_result *r)
{
    if (!m) return;
    struct metricsrv_state *s = &m->st;
    const struct stats *t = &r->total;
    s->phase = "done";
    s->published = t->pub_done;
    s->received = t->sub_unique;
    s->lost = r->lost;
    s->duplicates = r->duplicates;
    s->errors = r->connect_failures + t->pub_errors;
    s->reconnects = t->reconnects;
    s->connected = 0;
    s->in_flight_known = r->cfg->mode == MB_MODE_BOTH;
    s->in_flight = 0;
    s->final = true;
    memcpy(&s->latency, &t->lat, sizeof(s->latency));
    publish(m);
}

int metricsrv_stop(struct metricsrv *m, char *err, size_t errlen)
{
    if (!m) return 0;
    atomic_store(&m->stopping, true);
    uint64_t one = 1;
    if (write(m->wake_fd, &one, sizeof(one)) < 0) { /* the poll timeout ends the wait anyway */ }
    if (m->thread_started) pthread_join(m->thread, NULL);
    int rc = m->file_path ? write_file(m, err, errlen) : 0;
    if (m->listen_fd >= 0) close(m->listen_fd);
    close(m->wake_fd);
    pthread_mutex_destroy(&m->lock);
    free(m->text);
    free(m->om);
    free(m);
    return rc;
}
