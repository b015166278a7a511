/*
 * probe — broker-ceiling probe for mqttbench, with no client library.
 *
 * A minimal raw-socket MQTT 3.1.1 client, blocking and single-threaded.  It
 * measures what the broker can do when the client side costs almost nothing,
 * so that mqttbench's figures can be compared with a ceiling measured in the
 * same run on the same machine.
 *
 *   probe pub --host H --port P --topic T --count N [--size B]
 *       CONNECT (clean session), wait for CONNACK, then send N QoS 0 PUBLISH
 *       packets with B-byte payloads.  All packets are identical, so one 64 KiB
 *       buffer is filled once with as many whole packets as fit and written
 *       again and again (full-write handling); the last batch is a prefix of
 *       it.  Memory stays flat whatever N is.  Then DISCONNECT, wait for the
 *       broker to close (so every packet has been read by the broker), close.
 *       seconds = first PUBLISH write to the broker's close after DISCONNECT
 *       (the end of the last write if the broker does not close in time).
 *
 *   probe sub --host H --port P --topic T --count N [--timeout-s S]
 *             [--ready-file F]
 *       CONNECT, SUBSCRIBE at QoS 0, wait for SUBACK, print "ready" on stderr
 *       (and create F), then read() 64 KiB at a time and parse packets
 *       incrementally until N PUBLISH packets have arrived or no data came for
 *       S seconds.  seconds = from the read() that brought the first message
 *       to the read() that brought the last one.
 *
 * Output (stdout, one line):
 *   role=pub|sub messages=M seconds=S msgs_per_s=R cpu_user_s=U cpu_sys_s=Y
 *       start_s=A end_s=B
 * CPU is getrusage(RUSAGE_SELF) for the whole process, connect included.
 * start_s and end_s are the two ends of seconds on CLOCK_MONOTONIC (shared by
 * every process of the machine), so that a script can time from the pub's
 * first write to the sub's last message (bench/peers.sh does).
 *
 * Exit status: 0 done (sub: also when the timeout hit after >= 1 message; the
 * line then shows fewer messages than asked), 1 error (one line on stderr),
 * 2 bad arguments (usage on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define BATCH_BYTES   (64 * 1024)
#define READ_BYTES    (64 * 1024)
#define MAX_REMAINING 268435455u            /* largest MQTT remaining length */
#define MAX_SIZE      (16u * 1024 * 1024)   /* payload cap: keeps buffers sane */

static const char *prog = "probe";

static void usage(void)
{
	fprintf(stderr,
		"usage: %s pub|sub --host H --port P --topic T --count N [--size B (pub, default 16)]"
		" [--timeout-s S (default 10)] [--ready-file F (sub)] [--keepalive S (default 60)]"
		" [--id CLIENT_ID]\n", prog);
	exit(2);
}

static void die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- options */

struct opts {
	int is_pub;
	const char *host;
	unsigned port;
	const char *topic;
	uint64_t count;
	unsigned size;
	unsigned timeout_s;
	unsigned keepalive;
	const char *ready_file;
	const char *id;
};

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	uint64_t v;
	int have_port = 0, have_count = 0;

	memset(o, 0, sizeof *o);
	o->size = 16;
	o->timeout_s = 10;
	o->keepalive = 60;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "pub") == 0)
		o->is_pub = 1;
	else if (strcmp(argv[1], "sub") == 0)
		o->is_pub = 0;
	else if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage();
	else {
		fprintf(stderr, "%s: unknown role '%s' (pub or sub)\n", prog, argv[1]);
		usage();
	}

	for (int i = 2; i < argc; i++) {
		const char *name = argv[i], *val;
		char namebuf[64];
		const char *eq = strchr(name, '=');
		if (strncmp(name, "--", 2) != 0) {
			fprintf(stderr, "%s: unexpected argument '%s'\n", prog, name);
			usage();
		}
		if (eq) {                                  /* --opt=value */
			size_t n = (size_t)(eq - name);
			if (n >= sizeof namebuf)
				usage();
			memcpy(namebuf, name, n);
			namebuf[n] = '\0';
			name = namebuf;
			val = eq + 1;
		} else {
			if (strcmp(name, "--help") == 0)
				usage();
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: %s needs a value\n", prog, name);
				usage();
			}
			val = argv[++i];
		}

		if (strcmp(name, "--host") == 0) {
			if (!*val) usage();
			o->host = val;
		} else if (strcmp(name, "--port") == 0) {
			if (parse_u64(val, 1, 65535, &v)) goto bad;
			o->port = (unsigned)v;
			have_port = 1;
		} else if (strcmp(name, "--topic") == 0) {
			o->topic = val;
		} else if (strcmp(name, "--count") == 0) {
			if (parse_u64(val, 1, UINT64_MAX / 2, &v)) goto bad;
			o->count = v;
			have_count = 1;
		} else if (strcmp(name, "--size") == 0) {
			if (parse_u64(val, 0, MAX_SIZE, &v)) goto bad;
			o->size = (unsigned)v;
		} else if (strcmp(name, "--timeout-s") == 0) {
			if (parse_u64(val, 1, 86400, &v)) goto bad;
			o->timeout_s = (unsigned)v;
		} else if (strcmp(name, "--keepalive") == 0) {
			if (parse_u64(val, 2, 65535, &v)) goto bad;
			o->keepalive = (unsigned)v;
		} else if (strcmp(name, "--ready-file") == 0) {
			if (!*val) usage();
			o->ready_file = val;
		} else if (strcmp(name, "--id") == 0) {
			o->id = val;
		} else {
			fprintf(stderr, "%s: unknown option '%s'\n", prog, name);
			usage();
		}
		continue;
bad:
		fprintf(stderr, "%s: bad value for %s: '%s'\n", prog, name, val);
		usage();
	}

	if (!o->host || !have_port || !o->topic || !have_count) {
		fprintf(stderr, "%s: --host, --port, --topic and --count are required\n", prog);
		usage();
	}
	size_t tl = strlen(o->topic);
	if (tl == 0 || tl > 65535) {
		fprintf(stderr, "%s: topic must be 1..65535 bytes\n", prog);
		usage();
	}
	if (o->is_pub && strpbrk(o->topic, "+#")) {
		fprintf(stderr, "%s: a publish topic cannot contain '+' or '#'\n", prog);
		usage();
	}
	if (o->is_pub && o->ready_file) {
		fprintf(stderr, "%s: --ready-file is for sub\n", prog);
		usage();
	}
}

/* ------------------------------------------------------------- socket I/O */

static int connect_tcp(const char *host, unsigned port)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16];
	int fd = -1, rc, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof portstr, "%u", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc)
		die("cannot resolve %s: %s", host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die("cannot connect to %s:%u: %s", host, port, strerror(err));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static void set_timeout(int fd, int which, double seconds)
{
	struct timeval tv;
	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	if (setsockopt(fd, SOL_SOCKET, which, &tv, sizeof tv))
		die("setsockopt(%s): %s", which == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO",
		    strerror(errno));
}

/* Write all of buf; a send() that makes no progress for SO_SNDTIMEO fails. */
static void write_all(int fd, const uint8_t *buf, size_t len, const char *what)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			die("writing %s: broker accepted no data for the whole send timeout", what);
		} else {
			die("writing %s: %s", what, n == 0 ? "wrote 0 bytes" : strerror(errno));
		}
	}
}

/* ---------------------------------------------------------- MQTT encoding */

static size_t put_varint(uint8_t *p, uint32_t v)
{
	size_t n = 0;
	do {
		uint8_t b = v % 128;
		v /= 128;
		if (v)
			b |= 0x80;
		p[n++] = b;
	} while (v);
	return n;
}

static size_t put_str(uint8_t *p, const char *s, size_t len)
{
	p[0] = (uint8_t)(len >> 8);
	p[1] = (uint8_t)(len & 0xff);
	memcpy(p + 2, s, len);
	return 2 + len;
}

static void send_connect(int fd, const char *id, unsigned keepalive)
{
	size_t idlen = strlen(id);
	size_t rem = 10 + 2 + idlen;                  /* variable header + client id */
	uint8_t *pkt = malloc(rem + 5);
	size_t n = 0;

	if (!pkt)
		die("out of memory");
	if (idlen > 65535)
		die("client id too long");
	pkt[n++] = 0x10;
	n += put_varint(pkt + n, (uint32_t)rem);
	n += put_str(pkt + n, "MQTT", 4);
	pkt[n++] = 4;                                 /* protocol level: 3.1.1 */
	pkt[n++] = 0x02;                              /* clean session */
	pkt[n++] = (uint8_t)(keepalive >> 8);
	pkt[n++] = (uint8_t)(keepalive & 0xff);
	n += put_str(pkt + n, id, idlen);
	write_all(fd, pkt, n, "CONNECT");
	free(pkt);
}

static void send_subscribe(int fd, const char *topic)
{
	size_t tl = strlen(topic);
	size_t rem = 2 + 2 + tl + 1;
	uint8_t *pkt = malloc(rem + 5);
	size_t n = 0;

	if (!pkt)
		die("out of memory");
	pkt[n++] = 0x82;
	n += put_varint(pkt + n, (uint32_t)rem);
	pkt[n++] = 0x00;                              /* packet id 1 */
	pkt[n++] = 0x01;
	n += put_str(pkt + n, topic, tl);
	pkt[n++] = 0x00;                              /* requested QoS 0 */
	write_all(fd, pkt, n, "SUBSCRIBE");
	free(pkt);
}

/* ---------------------------------------------------- incremental parsing */

enum { ST_HEADER, ST_LENGTH, ST_BODY };

struct parser {
	int state;
	uint8_t type;          /* first byte of the current packet */
	uint32_t len;          /* remaining length being decoded / decoded */
	uint32_t shift;        /* varint: 7 * bytes decoded so far */
	uint32_t left;         /* body bytes still to come */
	uint8_t head[4];       /* first body bytes, for CONNACK / SUBACK */
	uint32_t nhead;

	uint64_t publishes;
	int connack;           /* CONNACK seen (return code 0) */
	int suback;            /* SUBACK seen (granted) */
	uint64_t pingresps;
};

static const char *connack_reason(uint8_t rc)
{
	switch (rc) {
	case 1: return "unacceptable protocol version";
	case 2: return "client identifier rejected";
	case 3: return "server unavailable";
	case 4: return "bad user name or password";
	case 5: return "not authorized";
	default: return "unknown return code";
	}
}

static void packet_done(struct parser *p)
{
	switch (p->type >> 4) {
	case 3:                                       /* PUBLISH */
		p->publishes++;
		break;
	case 2:                                       /* CONNACK */
		if (p->len != 2 || p->nhead < 2)
			die("malformed CONNACK (remaining length %" PRIu32 ")", p->len);
		if (p->head[1] != 0)
			die("broker refused the connection: CONNACK %u (%s)", p->head[1],
			    connack_reason(p->head[1]));
		if (p->connack)
			die("protocol error: second CONNACK");
		p->connack = 1;
		break;
	case 9:                                       /* SUBACK */
		if (p->len != 3 || p->nhead < 3)
			die("malformed SUBACK (remaining length %" PRIu32 ")", p->len);
		if (p->head[0] != 0 || p->head[1] != 1)
			die("SUBACK for unexpected packet id %u", (p->head[0] << 8) | p->head[1]);
		if (p->head[2] == 0x80)
			die("broker refused the subscription (SUBACK 0x80)");
		if (p->head[2] > 2)
			die("malformed SUBACK return code 0x%02x", p->head[2]);
		p->suback = 1;
		break;
	case 13:                                      /* PINGRESP */
		p->pingresps++;
		break;
	default:
		die("unexpected packet from broker: type %u, remaining length %" PRIu32,
		    p->type >> 4, p->len);
	}
}

static void parser_feed(struct parser *p, const uint8_t *buf, size_t n)
{
	size_t i = 0;

	while (i < n) {
		switch (p->state) {
		case ST_HEADER:
			p->type = buf[i++];
			if ((p->type >> 4) == 0)
				die("protocol error: packet type 0 from broker");
			p->len = 0;
			p->shift = 0;
			p->state = ST_LENGTH;
			break;
		case ST_LENGTH: {
			uint8_t b = buf[i++];
			p->len |= (uint32_t)(b & 0x7f) << p->shift;
			p->shift += 7;
			if (b & 0x80) {
				if (p->shift >= 28)
					die("protocol error: remaining length longer than 4 bytes");
				break;
			}
			p->left = p->len;
			p->nhead = 0;
			if (p->left == 0) {
				packet_done(p);
				p->state = ST_HEADER;
			} else {
				p->state = ST_BODY;
			}
			break;
		}
		case ST_BODY: {
			size_t take = n - i;
			if (take > p->left)
				take = p->left;
			/* Keep the first few body bytes, except for PUBLISH (not needed). */
			if (p->nhead < sizeof p->head && (p->type >> 4) != 3) {
				size_t k = sizeof p->head - p->nhead;
				if (k > take)
					k = take;
				memcpy(p->head + p->nhead, buf + i, k);
				p->nhead += (uint32_t)k;
			}
			i += take;
			p->left -= (uint32_t)take;
			if (p->left == 0) {
				packet_done(p);
				p->state = ST_HEADER;
			}
			break;
		}
		}
	}
}

/* Read until the parser's flag (CONNACK or SUBACK) is set. */
static void wait_for(int fd, struct parser *p, const int *flag, uint8_t *buf,
		     const char *what, unsigned timeout_s)
{
	while (!*flag) {
		ssize_t n = read(fd, buf, READ_BYTES);
		if (n > 0) {
			parser_feed(p, buf, (size_t)n);
		} else if (n == 0) {
			die("broker closed the connection while waiting for %s", what);
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			die("no %s from broker within %u s", what, timeout_s);
		} else {
			die("reading %s: %s", what, strerror(errno));
		}
	}
}

static void report(const char *role, uint64_t messages, double start, double end)
{
	struct rusage ru;
	double seconds = end - start;
	double rate = seconds > 0 ? (double)messages / seconds : 0.0;

	if (getrusage(RUSAGE_SELF, &ru))
		die("getrusage: %s", strerror(errno));
	printf("role=%s messages=%" PRIu64 " seconds=%.6f msgs_per_s=%.0f cpu_user_s=%.6f cpu_sys_s=%.6f"
	       " start_s=%.6f end_s=%.6f\n",
	       role, messages, seconds, rate,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	       start, end);
	if (fflush(stdout) || ferror(stdout))
		die("writing the result to stdout failed");
}

/* -------------------------------------------------------------- publisher */

static int run_pub(const struct opts *o)
{
	static const uint8_t disconnect[2] = { 0xe0, 0x00 };
	struct parser p;
	size_t tl = strlen(o->topic);
	uint64_t rem64 = 2 + (uint64_t)tl + o->size;
	uint8_t *rbuf, *batch, *pkt;
	size_t pktlen, cap, per_batch, full_bytes;
	uint64_t left;
	double t0, t1;

	if (rem64 > MAX_REMAINING)
		die("packet too large");
	uint8_t lenbuf[4];
	size_t lenlen = put_varint(lenbuf, (uint32_t)rem64);
	pktlen = 1 + lenlen + (size_t)rem64;

	rbuf = malloc(READ_BYTES);
	cap = pktlen > BATCH_BYTES ? pktlen : BATCH_BYTES;
	batch = malloc(cap);
	if (!rbuf || !batch)
		die("out of memory");

	/* One packet, then the batch: as many whole copies as fit. */
	pkt = batch;
	pkt[0] = 0x30;                                /* PUBLISH, QoS 0, no retain */
	memcpy(pkt + 1, lenbuf, lenlen);
	put_str(pkt + 1 + lenlen, o->topic, tl);
	for (size_t k = 0; k < o->size; k++)
		pkt[1 + lenlen + 2 + tl + k] = (uint8_t)('a' + k % 26);
	per_batch = cap / pktlen;
	for (size_t k = 1; k < per_batch; k++)
		memcpy(batch + k * pktlen, pkt, pktlen);
	full_bytes = per_batch * pktlen;

	int fd = connect_tcp(o->host, o->port);
	set_timeout(fd, SO_RCVTIMEO, o->timeout_s);
	set_timeout(fd, SO_SNDTIMEO, o->timeout_s);

	char idbuf[64];
	const char *id = o->id;
	if (!id) {
		snprintf(idbuf, sizeof idbuf, "probe-pub-%ld", (long)getpid());
		id = idbuf;
	}
	memset(&p, 0, sizeof p);
	send_connect(fd, id, o->keepalive);
	wait_for(fd, &p, &p.connack, rbuf, "CONNACK", o->timeout_s);

	t0 = now_s();
	for (left = o->count; left >= per_batch; left -= per_batch)
		write_all(fd, batch, full_bytes, "PUBLISH batch");
	if (left)
		write_all(fd, batch, (size_t)left * pktlen, "PUBLISH batch");
	t1 = now_s();

	/*
	 * DISCONNECT, then wait for the broker to close the connection: it
	 * reads in order, so by then it has read and routed every PUBLISH.  The
	 * loopback socket buffers hold megabytes, so the end of the last write
	 * says little; the publisher's time ends at the broker's close.
	 */
	write_all(fd, disconnect, sizeof disconnect, "DISCONNECT");
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = read(fd, rbuf, READ_BYTES);
		if (n > 0)
			continue;                     /* nothing expected; ignore */
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			t1 = now_s();
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			fprintf(stderr, "%s: warning: broker did not close within %u s after DISCONNECT;"
				" seconds ends at the last write\n", prog, o->timeout_s);
		} else {
			fprintf(stderr, "%s: warning: after DISCONNECT: %s; seconds ends at the last write\n",
				prog, strerror(errno));
		}
		break;
	}
	close(fd);

	report("pub", o->count, t0, t1);
	free(batch);
	free(rbuf);
	return 0;
}

/* ------------------------------------------------------------- subscriber */

static int run_sub(const struct opts *o)
{
	static const uint8_t pingreq[2] = { 0xc0, 0x00 };
	static const uint8_t disconnect[2] = { 0xe0, 0x00 };
	struct parser p;
	uint8_t *buf = malloc(READ_BYTES);
	double t_first = 0, t_last = 0, last_data, last_sent, now;
	/* The read timeout is a tick for the idle and keepalive checks. */
	double tick = o->timeout_s < 1 ? o->timeout_s : 1.0;
	double ping_every = o->keepalive / 2.0;
	int timed_out = 0;

	if (!buf)
		die("out of memory");

	int fd = connect_tcp(o->host, o->port);
	set_timeout(fd, SO_RCVTIMEO, o->timeout_s);
	set_timeout(fd, SO_SNDTIMEO, o->timeout_s);

	char idbuf[64];
	const char *id = o->id;
	if (!id) {
		snprintf(idbuf, sizeof idbuf, "probe-sub-%ld", (long)getpid());
		id = idbuf;
	}
	memset(&p, 0, sizeof p);
	send_connect(fd, id, o->keepalive);
	wait_for(fd, &p, &p.connack, buf, "CONNACK", o->timeout_s);
	send_subscribe(fd, o->topic);
	wait_for(fd, &p, &p.suback, buf, "SUBACK", o->timeout_s);
	last_sent = last_data = now_s();
	if (p.publishes)                      /* arrived in the same read as SUBACK */
		t_first = t_last = last_data;

	if (o->ready_file) {
		int rfd = open(o->ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (rfd < 0)
			die("cannot create ready file %s: %s", o->ready_file, strerror(errno));
		close(rfd);
	}
	fprintf(stderr, "ready\n");
	set_timeout(fd, SO_RCVTIMEO, tick);

	while (p.publishes < o->count) {
		ssize_t n = read(fd, buf, READ_BYTES);
		now = now_s();
		if (n > 0) {
			uint64_t before = p.publishes;
			parser_feed(&p, buf, (size_t)n);
			last_data = now;
			if (p.publishes != before) {
				if (before == 0)
					t_first = now;
				t_last = now;
			}
		} else if (n == 0) {
			die("broker closed the connection after %" PRIu64 " of %" PRIu64 " messages",
			    p.publishes, o->count);
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (now - last_data >= o->timeout_s) {
				timed_out = 1;
				break;
			}
		} else {
			die("read: %s", strerror(errno));
		}
		if (now - last_sent >= ping_every) {
			write_all(fd, pingreq, sizeof pingreq, "PINGREQ");
			last_sent = now;
		}
	}

	/* Best effort: a failed DISCONNECT does not change what was measured. */
	(void)send(fd, disconnect, sizeof disconnect, MSG_NOSIGNAL);
	close(fd);

	report("sub", p.publishes, t_first, t_last);
	free(buf);
	if (timed_out) {
		fprintf(stderr, "%s: no data for %u s: received %" PRIu64 " of %" PRIu64 " messages\n",
			prog, o->timeout_s, p.publishes, o->count);
		if (p.publishes == 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (argc > 0 && argv[0] && *argv[0]) {
		const char *s = strrchr(argv[0], '/');
		prog = s ? s + 1 : argv[0];
	}
	parse_args(argc, argv, &o);
	return o.is_pub ? run_pub(&o) : run_sub(&o);
}
