/* metricsrv: the OpenMetrics / Prometheus text, and the server answering
 * on a loopback socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metricsrv.h"
#include "test.h"

static char *text_of(const struct metricsrv_state *s, bool om)
{
    char *t = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&t, &len);
    metricsrv_format(f, s, om);
    fclose(f);
    return t;
}

static void test_format(void)
{
    static struct metricsrv_state s;
    memset(&s, 0, sizeof(s));
    hist_init(&s.latency);
    snprintf(s.run_id, sizeof(s.run_id), "00000000000fe11a");
    s.mode = MB_MODE_BOTH;
    s.phase = "measure";
    s.published = 1000;
    s.received = 990;
    s.connected = 3;
    s.in_flight_known = true;
    s.in_flight = 10;
    /* 40 µs, 100 µs (its bucket's value is above 100 µs: counted at 250 µs),
     * 99.5 µs, 3 ms, 20 s (above every bound but +Inf). */
    hist_record(&s.latency, 40000);
    hist_record(&s.latency, 100000);
    hist_record(&s.latency, 99500);
    hist_record(&s.latency, 3000000);
    hist_record(&s.latency, 20000000000ull);
    char *t = text_of(&s, false);
    CHECK("text: run info", strstr(t, "mqttbench_run_info{run_id=\"00000000000fe11a\",mode=\"both\",version=\"") != NULL);
    CHECK("text: counter family named with _total",
          strstr(t, "# TYPE mqttbench_messages_published_total counter\nmqttbench_messages_published_total 1000\n") != NULL);
    CHECK("text: the current phase", strstr(t, "mqttbench_phase{phase=\"measure\"} 1\n") &&
                                         strstr(t, "mqttbench_phase{phase=\"done\"} 0\n"));
    CHECK("text: gauges", strstr(t, "mqttbench_clients_connected 3\n") && strstr(t, "mqttbench_messages_in_flight 10\n") &&
                              strstr(t, "mqttbench_final 0\n"));
    CHECKF("text: buckets by each value's bucket", strstr(t, "{le=\"0.00005\"} 1\n") && strstr(t, "{le=\"0.0001\"} 2\n") &&
                                                      strstr(t, "{le=\"0.00025\"} 3\n") && strstr(t, "{le=\"0.0025\"} 3\n") &&
                                                      strstr(t, "{le=\"0.005\"} 4\n") && strstr(t, "{le=\"10\"} 4\n") &&
                                                      strstr(t, "{le=\"+Inf\"} 5\n"), "%s", strstr(t, "_bucket"));
    CHECK("text: sum in seconds and count", strstr(t, "mqttbench_latency_seconds_sum 20.003239500\n") &&
                                                strstr(t, "mqttbench_latency_seconds_count 5\n"));
    CHECK("text: no EOF marker", !strstr(t, "# EOF"));
    free(t);

    t = text_of(&s, true);
    CHECK("openmetrics: counter family without _total",
          strstr(t, "# TYPE mqttbench_messages_published counter\nmqttbench_messages_published_total 1000\n") != NULL);
    CHECK("openmetrics: an info family", strstr(t, "# TYPE mqttbench_run info\nmqttbench_run_info{") != NULL);
    size_t len = strlen(t);
    CHECK("openmetrics: ends with # EOF", len > 6 && !strcmp(t + len - 6, "# EOF\n"));
    free(t);

    s.in_flight_known = false;
    t = text_of(&s, false);
    CHECK("in flight only when known", !strstr(t, "in_flight"));
    free(t);
}

/* GET or HEAD path from the server on port; the whole answer (caller frees). */
static char *ask(int port, const char *request)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return NULL;
    }
    if (write(fd, request, strlen(request)) < 0) { /* the read below sees nothing */ }
    size_t cap = 65536, got = 0;
    char *buf = calloc(1, cap);
    ssize_t n;
    while ((n = read(fd, buf + got, cap - 1 - got)) > 0) got += (size_t)n;
    close(fd);
    return buf;
}

static void test_server(void)
{
    struct metricsrv *m;
    char err[256];
    CHECK("server: refuses an address without a port", metricsrv_start(&m, "127.0.0.1", NULL, err, sizeof(err)) == -1 &&
                                                            strstr(err, "expected ADDR:PORT"));
    CHECK("server: refuses a port that is not a number", metricsrv_start(&m, "127.0.0.1:x", NULL, err, sizeof(err)) == -1);
    CHECK("server: starts on a free port", metricsrv_start(&m, "127.0.0.1:0", NULL, err, sizeof(err)) == 0 &&
                                               metricsrv_port(m) > 0);
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", metricsrv_port(m));
    struct metricsrv *m2;
    CHECK("server: a port in use is refused", metricsrv_start(&m2, addr, NULL, err, sizeof(err)) == -1 &&
                                                  strstr(err, "cannot listen: Address already in use"));
    static struct mb_config cfg;
    cfg.mode = MB_MODE_PUB;
    cfg.run_id = 0xabc;
    metricsrv_begin(m, &cfg);
    metricsrv_phase(m, 2);
    int port = metricsrv_port(m);
    char *r = ask(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK("server: GET /metrics", r && !strncmp(r, "HTTP/1.1 200 OK\r\n", 17) &&
                                      strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") &&
                                      strstr(r, "\r\n\r\n# HELP mqttbench_run_info") &&
                                      strstr(r, "run_id=\"0000000000000abc\",mode=\"pub\"") &&
                                      strstr(r, "mqttbench_phase{phase=\"measure\"} 1"));
    free(r);
    r = ask(port, "GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n");
    CHECK("server: OpenMetrics when asked", r && strstr(r, "Content-Type: application/openmetrics-text; version=1.0.0") &&
                                                strstr(r, "# EOF\n"));
    free(r);
    r = ask(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
    CHECK("server: HEAD has no body", r && !strncmp(r, "HTTP/1.1 200 OK", 15) && !strstr(r, "# HELP"));
    free(r);
    r = ask(port, "GET / HTTP/1.1\r\n\r\n");
    CHECK("server: elsewhere 404", r && !strncmp(r, "HTTP/1.1 404 ", 13));
    free(r);
    r = ask(port, "POST /metrics HTTP/1.1\r\n\r\n");
    CHECK("server: other methods 405", r && !strncmp(r, "HTTP/1.1 405 ", 13));
    free(r);
    CHECK("server: stops", metricsrv_stop(m, err, sizeof(err)) == 0);
    CHECK("server: gone after stop", ask(port, "GET /metrics HTTP/1.1\r\n\r\n") == NULL);
}

int main(void)
{
    test_format();
    test_server();
    return test_failures ? 1 : 0;
}
