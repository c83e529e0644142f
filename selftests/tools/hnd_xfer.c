// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_xfer - move a deterministic byte stream over TCP and prove it
 * arrived intact.
 *
 *   hnd_xfer send|recv --listen PORT | --connect HOST:PORT
 *            [--flows K] [--bytes N] [--seed S] [--timeout SECS]
 *
 * Flow i carries the bytes of a stream fixed by (seed, i), so the receiver
 * checks every byte against what the sender must have sent, and both ends
 * print the stream's SHA-256.  One side sends and the other receives; who
 * listens is independent of who sends.  K flows run at once (poll).  The
 * sender half-closes when done and waits for the receiver's close, so a
 * sender that exits 0 knows the receiver read everything.
 *
 * Output, one line per flow and a summary:
 *   flow 0 bytes 104857600 sha256 <hex> ok
 *   summary flows 1 bytes 104857600 secs 2.10 MBps 49.9 ok
 * Exit 0 if every flow is complete and intact, 1 otherwise, 2 on usage.
 */
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

#include "sha256.h"

#define BUF_SIZE	(128 * 1024)

struct flow {
	int fd;
	unsigned long long off;		/* stream bytes moved */
	struct sha256 sha;
	bool eof_sent;			/* sender: SHUT_WR done */
	bool done;
	long long bad_at;		/* receiver: first wrong byte, or -1 */
};

static struct {
	bool send;
	const char *listen_port;
	const char *host, *port;
	int flows;
	unsigned long long bytes;
	unsigned long long seed;
	int timeout;
} opt = { .flows = 1, .bytes = 1 << 20, .seed = 1, .timeout = 600 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The stream of flow f: byte i is byte i%8 of splitmix64(key + i/8). */
static void stream_bytes(int f, unsigned long long off, uint8_t *buf,
			 size_t n)
{
	uint64_t key = splitmix64(opt.seed) ^ ((uint64_t)f << 40);
	size_t i = 0;

	while (i < n) {
		uint64_t w = splitmix64(key + (off + i) / 8);
		unsigned int b = (off + i) % 8;

		for (; b < 8 && i < n; b++, i++)
			buf[i] = w >> (8 * b);
	}
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
		"                [--flows K] [--bytes N[KMG]] [--seed S] [--timeout SECS]\n");
	exit(2);
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
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
		if (connect(fd, (struct sockaddr *)&ss, alen) == 0)
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
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, opt.flows + 16)) {
		perror("hnd_xfer: bind/listen");
		close(fd);
		return -1;
	}
	return fd;
}

/* Move what can move on one flow.  Returns -1 on a socket error. */
static int flow_io(struct flow *fl, int idx, uint8_t *buf, uint8_t *want)
{
	ssize_t n;

	if (opt.send && !fl->eof_sent) {
		size_t len = opt.bytes - fl->off < BUF_SIZE ?
			     opt.bytes - fl->off : BUF_SIZE;

		if (len) {
			stream_bytes(idx, fl->off, buf, len);
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
		return 0;
	}
	n = recv(fl->fd, buf, BUF_SIZE, 0);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0) {
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
	stream_bytes(idx, fl->off, want, n);
	if (fl->bad_at < 0 && memcmp(buf, want, n)) {
		ssize_t i = 0;

		while (buf[i] == want[i])
			i++;
		fl->bad_at = fl->off + i;
	}
	sha256_update(&fl->sha, buf, n);
	fl->off += n;
	return 0;
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
		{ }
	};
	struct flow *fl;
	struct pollfd *pfd;
	uint8_t *buf, *want;
	unsigned long long total = 0;
	double start, deadline;
	int c, i, lfd = -1, accepted = 0, active, failed = 0;
	char *colon;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "send"))
		opt.send = true;
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
		default: usage();
		}
	}
	if (!!opt.listen_port == !!opt.host || opt.flows < 1)
		usage();

	fl = calloc(opt.flows, sizeof(*fl));
	pfd = calloc(opt.flows + 1, sizeof(*pfd));
	buf = malloc(BUF_SIZE);
	want = malloc(BUF_SIZE);
	if (!fl || !pfd || !buf || !want)
		return 1;
	start = now();
	deadline = start + opt.timeout;
	if (opt.listen_port) {
		lfd = do_listen();
		if (lfd < 0)
			return 1;
	}
	for (i = 0; i < opt.flows; i++) {
		fl[i].fd = -1;
		fl[i].bad_at = -1;
		sha256_init(&fl[i].sha);
		if (opt.host) {
			fl[i].fd = do_connect(deadline);
			if (fl[i].fd < 0)
				return 1;
			set_nonblock(fl[i].fd);
			accepted++;
		}
	}

	for (;;) {
		int n = 0;

		active = 0;
		for (i = 0; i < opt.flows; i++) {
			if (fl[i].fd < 0 || fl[i].done)
				continue;
			pfd[n].fd = fl[i].fd;
			pfd[n].events = POLLIN |
				(opt.send && !fl[i].eof_sent ? POLLOUT : 0);
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
		if (poll(pfd, n, 1000) < 0) {
			perror("poll");
			return 1;
		}
		if (lfd >= 0 && accepted < opt.flows && pfd[n - 1].revents) {
			int fd = accept(lfd, NULL, NULL);

			if (fd >= 0) {
				set_nonblock(fd);
				fl[accepted++].fd = fd;
			}
		}
		for (i = 0; i < opt.flows; i++) {
			if (fl[i].fd < 0 || fl[i].done)
				continue;
			if (flow_io(&fl[i], i, buf, want) < 0) {
				fprintf(stderr, "hnd_xfer: flow %d: %s\n", i,
					strerror(errno));
				fl[i].done = true;
				failed = 1;
			}
		}
	}

	for (i = 0; i < opt.flows; i++) {
		uint8_t dig[32];
		char hex[65];
		bool ok = fl[i].off == opt.bytes && fl[i].bad_at < 0 &&
			  fl[i].done;

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
		double secs = now() - start;

		printf("summary flows %d bytes %llu secs %.2f MBps %.1f %s\n",
		       opt.flows, total, secs, total / secs / 1e6,
		       failed ? "FAIL" : "ok");
	}
	return failed;
}
