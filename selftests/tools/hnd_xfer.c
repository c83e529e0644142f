// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_xfer - move a deterministic byte stream over TCP and prove it
 * arrived intact.
 *
 *   hnd_xfer send|recv|duplex --listen PORT | --connect HOST:PORT
 *            [--flows K] [--bytes N] [--seed S] [--timeout SECS]
 *            [--rate BYTES_PER_SEC] [--rst-after N] [--delay-ms MS]
 *            [--bench] [--blocking] [--async-connect] [--splice]
 *
 * Flow i carries the bytes of a stream fixed by (seed, i), so the receiver
 * checks every byte against what the sender must have sent, and both ends
 * print the stream's SHA-256.  One side sends and the other receives; who
 * listens is independent of who sends.  K flows run at once (poll).  The
 * sender half-closes when done and waits for the receiver's close, so a
 * sender that exits 0 knows the receiver read everything.  --rate caps the
 * total throughput (a slow reader makes the other side meet a zero
 * window); --rst-after aborts each flow with a RST after N bytes;
 * --delay-ms (connecting side) holds every flow open and silent that long
 * before any byte moves, so that all K connections exist at once.
 * --blocking leaves the sockets blocking, so that sends wait for room and
 * receives for data inside the kernel (as most programs do); --cc sets the
 * sockets' congestion control (TCP_CONGESTION); --async-connect connects
 * as event-driven clients do (non-blocking connect(), poll for POLLOUT,
 * SO_ERROR), so the first data call meets a connection just established;
 * --splice receives with splice() through a pipe, as splicing proxies do.  In
 * duplex mode each flow sends its stream and at the same time receives
 * and checks the answering stream (STREAM_REPLY_SEED) of the same length.
 *
 * --bench (make bench; send or recv) keeps the program's own work out of
 * the transfer: the sender makes the whole stream in memory before it,
 * the receiver keeps all it gets and checks and hashes it after.  The
 * transfer, from waiting for the peer to the last byte, sits between two
 * instruction-count markers (insn_mark.h) and is timed from the first
 * connection on.
 *
 * Output, one line per flow and a summary:
 *   flow 0 bytes 104857600 sha256 <hex> ok
 *   summary flows 1 bytes 104857600 secs 2.101 MBps 49.9 ok
 * Exit 0 if every flow is complete and intact, 1 otherwise, 2 on usage.
 */
#define _GNU_SOURCE	/* splice() */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "insn_mark.h"
#include "sha256.h"
#include "stream.h"

#define BUF_SIZE	(128 * 1024)

struct flow {
	int fd;
	unsigned long long off;		/* stream bytes moved (duplex: in) */
	struct sha256 sha;
	unsigned long long txoff;	/* duplex: bytes sent */
	struct sha256 sha_tx;
	bool eof_sent;			/* sender: SHUT_WR done */
	bool eof_rcvd;			/* duplex: the peer's EOF came */
	bool done;
	long long bad_at;		/* receiver: first wrong byte, or -1 */
	uint8_t *whole;			/* --bench: the whole stream */
	int pipe[2];			/* --splice: what splice() fills */
};

static struct {
	bool send;
	bool duplex;
	const char *listen_port;
	const char *host, *port;
	int flows;
	unsigned long long bytes;
	unsigned long long seed;
	int timeout;
	unsigned long long rate;	/* bytes/s over all flows, 0: no cap */
	unsigned long long rst_after;	/* abort after this many bytes */
	unsigned int delay_ms;		/* connected, silent, before moving */
	bool bench;			/* stream work before and after */
	bool blocking;			/* sockets left blocking */
	bool async_connect;		/* non-blocking connect(), then poll */
	bool splice;			/* receive with splice() */
	const char *cc;			/* congestion control, or NULL */
} opt = { .flows = 1, .bytes = 1 << 20, .seed = 1, .timeout = 600 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10;
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: hnd_xfer send|recv --listen PORT | --connect HOST:PORT\n"
		"                [--flows K] [--bytes N[KMG]] [--seed S] [--timeout SECS]\n"
		"                [--rate BYTES_PER_SEC] [--rst-after N] [--delay-ms MS]\n"
		"                [--bench] [--blocking] [--async-connect] [--splice]\n");
	exit(2);
}

/* --cc: say so if the kernel refuses, and go on with its default. */
static void set_cc(int fd)
{
	if (opt.cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, opt.cc,
				 strlen(opt.cc)))
		fprintf(stderr, "hnd_xfer: TCP_CONGESTION %s: %s\n", opt.cc,
			strerror(errno));
}

static void set_nonblock(int fd)
{
	if (opt.blocking)
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/*
 * --splice: what a splicing proxy does, the socket's bytes into a pipe
 * with splice(), then out of it; recv()'s answer.
 */
static ssize_t splice_recv(struct flow *fl, uint8_t *p, size_t max)
{
	ssize_t n, got = 0;

	if (fl->pipe[0] < 0 && pipe(fl->pipe))
		return -1;
	n = splice(fl->fd, NULL, fl->pipe[1], NULL, max,
		   opt.blocking ? 0 : SPLICE_F_NONBLOCK);
	while (n > 0 && got < n) {
		ssize_t r = read(fl->pipe[0], p + got, n - got);

		if (r <= 0)
			return -1;
		got += r;
	}
	return n;
}

/*
 * connect() on a non-blocking socket, then wait for the outcome as
 * event-driven clients do: POLLOUT, and the error in SO_ERROR.
 */
static int connect_async(int fd, const struct sockaddr *sa, socklen_t alen)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t elen = sizeof(int);
	int flags = fcntl(fd, F_GETFL), err = 0;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, sa, alen) && errno != EINPROGRESS)
		return -1;
	if (poll(&p, 1, opt.timeout * 1000) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) {
		errno = err ?: errno;
		return -1;
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

/* Connect to a numeric address, retrying while the peer is not listening. */
static int do_connect(double deadline)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t alen;
	int err;

	if (inet_pton(AF_INET, opt.host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(atoi(opt.port));
		alen = sizeof(*a4);
	} else if (inet_pton(AF_INET6, opt.host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(atoi(opt.port));
		alen = sizeof(*a6);
	} else {
		fprintf(stderr, "hnd_xfer: %s: not a numeric address\n",
			opt.host);
		return -1;
	}
	for (;;) {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);

		if (fd < 0) {
			perror("socket");
			return -1;
		}
		set_cc(fd);
		if ((opt.async_connect ?
		     connect_async(fd, (struct sockaddr *)&ss, alen) :
		     connect(fd, (struct sockaddr *)&ss, alen)) == 0)
			return fd;
		err = errno;
		close(fd);
		if ((err != ECONNREFUSED && err != ETIMEDOUT &&
		     err != EHOSTUNREACH) || now() > deadline) {
			fprintf(stderr, "hnd_xfer: connect %s:%s: %s\n", opt.host,
				opt.port, strerror(err));
			return -1;
		}
		usleep(100 * 1000);
	}
}

static int do_listen(void)
{
	struct sockaddr_in6 a = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(atoi(opt.listen_port)),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0) {
		perror("socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_cc(fd);	/* accepted sockets inherit it */
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, opt.flows + 16)) {
		perror("hnd_xfer: bind/listen");
		close(fd);
		return -1;
	}
	return fd;
}

/* Abort a flow with a RST (SO_LINGER 0), as --rst-after asks. */
static void flow_abort(struct flow *fl)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fl->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fl->fd);
	fl->fd = -1;
	fl->done = true;
}

/*
 * Move what can move on one flow, at most max bytes.  Returns the bytes
 * moved, or -1 on a socket error.
 */
static ssize_t flow_io(struct flow *fl, int idx, uint8_t *buf, size_t max)
{
	ssize_t n;

	if (max > BUF_SIZE)
		max = BUF_SIZE;
	if (opt.rst_after && fl->off >= opt.rst_after) {
		flow_abort(fl);
		return 0;
	}
	if (opt.rst_after && opt.rst_after - fl->off < max)
		max = opt.rst_after - fl->off;
	if (opt.duplex && !fl->eof_sent) {
		size_t len = opt.bytes - fl->txoff < max ?
			     opt.bytes - fl->txoff : max;

		if (len) {
			stream_bytes(opt.seed, idx, fl->txoff, buf, len);
			n = send(fl->fd, buf, len, MSG_NOSIGNAL |
				 (opt.blocking ? 0 : MSG_DONTWAIT));
			if (n < 0 && errno != EAGAIN)
				return -1;
			if (n > 0) {
				sha256_update(&fl->sha_tx, buf, n);
				fl->txoff += n;
			}
		}
		if (fl->txoff == opt.bytes) {
			shutdown(fl->fd, SHUT_WR);
			fl->eof_sent = true;
		}
	}
	if (opt.send && !fl->eof_sent) {
		size_t len = opt.bytes - fl->off < max ?
			     opt.bytes - fl->off : max;

		if (len && opt.bench) {
			n = send(fl->fd, fl->whole + fl->off, len, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN ? 0 : -1;
			fl->off += n;
		} else if (len) {
			stream_bytes(opt.seed, idx, fl->off, buf, len);
			n = send(fl->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN ? 0 : -1;
			sha256_update(&fl->sha, buf, n);
			fl->off += n;
		}
		if (fl->off == opt.bytes) {
			shutdown(fl->fd, SHUT_WR);
			fl->eof_sent = true;
		}
		return len ? n : 0;
	}
	if (fl->eof_rcvd) {
		if (fl->eof_sent) {
			fl->done = true;
			close(fl->fd);
			fl->fd = -1;
		}
		return 0;
	}
	if (opt.bench && fl->off < opt.bytes) {
		/* straight into the stream's place; checked after */
		if (max > opt.bytes - fl->off)
			max = opt.bytes - fl->off;
		n = recv(fl->fd, fl->whole + fl->off, max, MSG_DONTWAIT);
	} else if (opt.splice) {
		n = splice_recv(fl, buf, max);
	} else {
		n = recv(fl->fd, buf, max, opt.blocking ? 0 : MSG_DONTWAIT);
	}
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		fl->eof_rcvd = true;
		if (opt.duplex && !fl->eof_sent)
			return 0;	/* still sending our half */
		/* closing at once lets a sender waiting for it finish */
		fl->done = true;
		close(fl->fd);
		fl->fd = -1;
		return 0;
	}
	if (opt.send) {
		fprintf(stderr, "hnd_xfer: flow %d: unexpected data\n", idx);
		return -1;
	}
	if (opt.bench) {
		fl->off += n;	/* past opt.bytes: SHORT at the end */
		return n;
	}
	if (fl->bad_at < 0) {
		uint64_t seed = opt.duplex ? STREAM_REPLY_SEED(opt.seed) :
			       opt.seed;

		fl->bad_at = stream_check(seed, idx, fl->off, buf, n);
		if (fl->bad_at >= 0)
			stream_explain(seed, idx, opt.flows, fl->off, buf, n);
	}
	sha256_update(&fl->sha, buf, n);
	fl->off += n;
	return n;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "flows", required_argument, NULL, 'f' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "rst-after", required_argument, NULL, 'R' },
		{ "delay-ms", required_argument, NULL, 'D' },
		{ "bench", no_argument, NULL, 'B' },
		{ "blocking", no_argument, NULL, 'k' },
		{ "cc", required_argument, NULL, 'C' },
		{ "async-connect", no_argument, NULL, 'A' },
		{ "splice", no_argument, NULL, 'P' },
		{ }
	};
	struct flow *fl;
	struct pollfd *pfd;
	uint8_t *buf;
	unsigned long long total = 0, moved = 0;
	double start, deadline, end = 0;
	int c, i, lfd = -1, accepted = 0, active, failed = 0;
	char *colon;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "send"))
		opt.send = true;
	else if (!strcmp(argv[1], "duplex"))
		opt.duplex = true;
	else if (strcmp(argv[1], "recv"))
		usage();
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': opt.listen_port = optarg; break;
		case 'c':
			colon = strrchr(optarg, ':');
			if (!colon)
				usage();
			*colon = '\0';
			opt.host = optarg;
			opt.port = colon + 1;
			break;
		case 'f': opt.flows = atoi(optarg); break;
		case 'b': opt.bytes = parse_size(optarg); break;
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 't': opt.timeout = atoi(optarg); break;
		case 'r': opt.rate = parse_size(optarg); break;
		case 'R': opt.rst_after = parse_size(optarg); break;
		case 'D': opt.delay_ms = atoi(optarg); break;
		case 'B': opt.bench = true; break;
		case 'k': opt.blocking = true; break;
		case 'C': opt.cc = optarg; break;
		case 'A': opt.async_connect = true; break;
		case 'P': opt.splice = true; break;
		default: usage();
		}
	}
	if (!!opt.listen_port == !!opt.host || opt.flows < 1)
		usage();
	if (opt.bench && (opt.duplex || opt.rate || opt.rst_after))
		usage();

	fl = calloc(opt.flows, sizeof(*fl));
	pfd = calloc(opt.flows + 1, sizeof(*pfd));
	buf = malloc(BUF_SIZE);
	if (!fl || !pfd || !buf)
		return 1;
	start = now();
	deadline = start + opt.timeout;
	if (opt.listen_port) {
		lfd = do_listen();
		if (lfd < 0)
			return 1;
	}
	for (i = 0; opt.bench && i < opt.flows; i++) {
		fl[i].whole = malloc(opt.bytes ? opt.bytes : 1);
		if (!fl[i].whole) {
			perror("hnd_xfer: --bench");
			return 1;
		}
		if (opt.send)
			stream_bytes(opt.seed, i, 0, fl[i].whole, opt.bytes);
	}
	if (opt.bench) {
		insn_mark();
		start = now();
		deadline = start + opt.timeout;
	}
	for (i = 0; i < opt.flows; i++) {
		fl[i].fd = -1;
		fl[i].pipe[0] = fl[i].pipe[1] = -1;
		fl[i].bad_at = -1;
		sha256_init(&fl[i].sha);
		sha256_init(&fl[i].sha_tx);
		if (opt.host) {
			fl[i].fd = do_connect(deadline);
			if (fl[i].fd < 0)
				return 1;
			set_nonblock(fl[i].fd);
			accepted++;
		}
	}
	if (opt.host && opt.delay_ms) {
		usleep(opt.delay_ms * 1000ULL);
		deadline += opt.delay_ms / 1000.0;
	}

	for (;;) {
		int n = 0;

		active = 0;
		for (i = 0; i < opt.flows; i++) {
			if (fl[i].fd < 0 || fl[i].done)
				continue;
			pfd[n].fd = fl[i].fd;
			pfd[n].events = (fl[i].eof_rcvd ? 0 : POLLIN) |
				((opt.send || opt.duplex) && !fl[i].eof_sent ?
				 POLLOUT : 0);
			pfd[n].revents = 0;
			n++;
			active++;
		}
		if (lfd >= 0 && accepted < opt.flows) {
			pfd[n].fd = lfd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			n++;
		}
		if (!n)
			break;
		if (now() > deadline) {
			fprintf(stderr, "hnd_xfer: timed out after %d s\n",
				opt.timeout);
			failed = 1;
			break;
		}
		if (poll(pfd, n, opt.rate ? 10 : 1000) < 0) {
			perror("poll");
			return 1;
		}
		if (lfd >= 0 && accepted < opt.flows && pfd[n - 1].revents) {
			int fd = accept(lfd, NULL, NULL);

			if (fd >= 0) {
				set_nonblock(fd);
				if (opt.bench && !accepted)
					start = now();	/* not the wait */
				fl[accepted++].fd = fd;
			}
		}
		for (i = 0; i < opt.flows; i++) {
			size_t max = BUF_SIZE;
			ssize_t got;

			if (fl[i].fd < 0 || fl[i].done)
				continue;
			if (opt.rate) {
				double allowed = opt.rate * (now() - start);

				if (allowed < moved + 1)
					continue;
				max = allowed - moved < max ? allowed - moved : max;
			}
			got = flow_io(&fl[i], i, buf, max);
			if (got > 0)
				moved += got;
			if (got < 0) {
				fprintf(stderr, "hnd_xfer: flow %d: %s\n", i,
					strerror(errno));
				fl[i].done = true;
				failed = 1;
			}
		}
	}

	if (opt.bench) {
		insn_mark();
		end = now();
	}
	for (i = 0; opt.bench && i < opt.flows; i++) {
		size_t got = fl[i].off < opt.bytes ? fl[i].off : opt.bytes;

		if (!opt.send) {
			fl[i].bad_at = stream_check(opt.seed, i, 0,
						    fl[i].whole, got);
			if (fl[i].bad_at >= 0)
				stream_explain(opt.seed, i, opt.flows, 0,
					       fl[i].whole, got);
		}
		sha256_update(&fl[i].sha, fl[i].whole, got);
		free(fl[i].whole);
	}

	for (i = 0; i < opt.flows; i++) {
		uint8_t dig[32];
		char hex[65];
		bool ok = fl[i].off == (opt.rst_after ? opt.rst_after :
					opt.bytes) && fl[i].bad_at < 0 &&
			  fl[i].done;

		if (opt.duplex) {
			sha256_final(&fl[i].sha_tx, dig);
			sha256_hex(dig, hex);
			printf("sent %d bytes %llu sha256 %s %s\n", i,
			       fl[i].txoff, hex,
			       fl[i].txoff == opt.bytes ? "ok" : "SHORT");
			failed |= fl[i].txoff != opt.bytes;
			total += fl[i].txoff;
		}
		sha256_final(&fl[i].sha, dig);
		sha256_hex(dig, hex);
		if (fl[i].bad_at >= 0)
			printf("flow %d bytes %llu sha256 %s CORRUPT at %lld\n", i,
			       fl[i].off, hex, fl[i].bad_at);
		else
			printf("flow %d bytes %llu sha256 %s %s\n", i, fl[i].off,
			       hex, ok ? "ok" : "SHORT");
		failed |= !ok;
		total += fl[i].off;
		if (fl[i].fd >= 0)
			close(fl[i].fd);
	}
	{
		double secs = (end ? end : now()) - start;

		printf("summary flows %d bytes %llu secs %.3f MBps %.1f %s\n",
		       opt.flows, total, secs, total / secs / 1e6,
		       failed ? "FAIL" : "ok");
	}
	return failed;
}
