// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * repair_selftest.c - moves live TCP connections out of the kernel and back
 * with repair.c, and checks every byte on both sides.
 *
 * Two roles, run by repair_selftest.sh in two network namespaces joined by
 * a veth pair:
 *
 *   repair_selftest peer CTL_PORT DATA_PORT
 *	listens on both ports (dual-stack) and obeys one-line commands on
 *	the control connection, acting on the current data connection.
 *   repair_selftest test PEER_NS PEER_DEV PEER_V4 PEER_V6 CTL_PORT DATA_PORT
 *	drives the scenarios and prints KTAP.
 *
 * Each direction of a data connection carries a fixed byte stream
 * (splitmix64 of the word index, seeded per scenario and direction), so
 * the receiver checks every byte against its position: a byte lost,
 * duplicated or reordered across the move shows up as a mismatch.
 *
 * While a connection moves, the peer's namespace drops everything the peer
 * sends (a pfifo qdisc with room for no packet on its veth).  That keeps
 * the test deterministic: the test's data stays unacknowledged, so the
 * exported send queue holds sent-but-unacked bytes as well as unsent ones,
 * and no segment from the peer can reach the test's namespace while no
 * socket owns the 4-tuple (it would be answered with a RST).  CRIU does
 * the same with netfilter.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "repair.h"

#define IO_TIMEOUT_MS	20000	/* no progress for this long: fail */
#define CHUNK		65536

static char why[512];		/* the reason for the last failure */

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- byte streams -------------------------------------------------------- */

struct stream {
	uint64_t seed;
	uint64_t pos;		/* bytes sent, or received and checked */
};

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void stream_fill(uint64_t seed, uint64_t pos, uint8_t *buf, size_t len)
{
	uint64_t word = UINT64_MAX, v = 0;
	size_t i;

	for (i = 0; i < len; i++, pos++) {
		if (pos >> 3 != word) {
			word = pos >> 3;
			v = splitmix64(seed << 40 ^ word);
		}
		buf[i] = v >> ((pos & 7) * 8);
	}
}

/* Check len bytes that should be the stream from pos on. */
static int stream_check(uint64_t seed, uint64_t pos, const uint8_t *buf,
			size_t len)
{
	uint8_t want[CHUNK];
	size_t off, n, i;

	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		stream_fill(seed, pos + off, want, n);
		if (!memcmp(want, buf + off, n))
			continue;
		for (i = 0; want[i] == buf[off + i]; i++)
			;
		return fail("stream %" PRIu64 ": byte %" PRIu64
			    " is 0x%02x, want 0x%02x", seed, pos + off + i,
			    buf[off + i], want[i]);
	}
	return 0;
}

/*
 * Move tx_n bytes of tx out and rx_n bytes of rx in, at the same time (a
 * side that only sent could deadlock with a peer doing the same).
 */
static int pump(int fd, struct stream *tx, uint64_t tx_n, struct stream *rx,
		uint64_t rx_n)
{
	static uint8_t buf[CHUNK];
	uint64_t tx_end = tx ? tx->pos + tx_n : 0;
	uint64_t rx_end = rx ? rx->pos + rx_n : 0;
	int flags = fcntl(fd, F_GETFL);
	int ret = 0;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while ((tx && tx->pos < tx_end) || (rx && rx->pos < rx_end)) {
		struct pollfd pfd = { .fd = fd };
		ssize_t n;
		size_t len;

		if (tx && tx->pos < tx_end)
			pfd.events |= POLLOUT;
		if (rx && rx->pos < rx_end)
			pfd.events |= POLLIN;
		n = poll(&pfd, 1, IO_TIMEOUT_MS);
		if (n <= 0) {
			ret = fail("no progress for %d ms (sent %" PRIu64
				   " of %" PRIu64 ", got %" PRIu64 " of %"
				   PRIu64 ")", IO_TIMEOUT_MS,
				   tx ? tx_n - (tx_end - tx->pos) : 0, tx_n,
				   rx ? rx_n - (rx_end - rx->pos) : 0, rx_n);
			break;
		}
		if (pfd.revents & POLLOUT) {
			len = tx_end - tx->pos < CHUNK ? tx_end - tx->pos : CHUNK;
			stream_fill(tx->seed, tx->pos, buf, len);
			n = send(fd, buf, len, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN) {
				ret = fail("send: %s", strerror(errno));
				break;
			}
			if (n > 0)
				tx->pos += n;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (!rx || rx->pos >= rx_end) {
				ret = fail("socket error or hangup (revents 0x%x)",
					   pfd.revents);
				break;
			}
			len = rx_end - rx->pos < CHUNK ? rx_end - rx->pos : CHUNK;
			n = recv(fd, buf, len, 0);
			if (n == 0) {
				ret = fail("EOF after %" PRIu64 " of %" PRIu64
					   " bytes", rx_n - (rx_end - rx->pos),
					   rx_n);
				break;
			}
			if (n < 0 && errno != EAGAIN) {
				ret = fail("recv: %s", strerror(errno));
				break;
			}
			if (n > 0) {
				ret = stream_check(rx->seed, rx->pos, buf, n);
				if (ret)
					break;
				rx->pos += n;
			}
		}
	}
	fcntl(fd, F_SETFL, flags);
	return ret;
}

/* Wait for the peer's FIN: the next read returns 0. */
static int expect_eof(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t b;
	ssize_t n;

	if (poll(&pfd, 1, IO_TIMEOUT_MS) <= 0)
		return fail("no EOF within %d ms", IO_TIMEOUT_MS);
	n = recv(fd, &b, 1, MSG_DONTWAIT);
	if (n != 0)
		return fail("read after the data gave %zd (%s), not EOF", n,
			    n < 0 ? strerror(errno) : "a byte");
	return 0;
}

/* ---- control connection ------------------------------------------------ */

static int ctl_send(int fd, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[len++] = '\n';
	if (send(fd, line, len, MSG_NOSIGNAL) != len)
		return fail("control send: %s", strerror(errno));
	return 0;
}

static int ctl_line(int fd, char *line, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size) {
		if (timeout_ms >= 0 && poll(&pfd, 1, timeout_ms) <= 0)
			return fail("control: no answer within %d ms", timeout_ms);
		n = recv(fd, line + len, 1, 0);
		if (n <= 0)
			return fail("control connection closed");
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = 0;
	return 0;
}

/* The peer's answer to the last command: "ok" or "fail <reason>". */
static int ctl_result(int fd)
{
	char line[600];

	if (ctl_line(fd, line, sizeof(line), 2 * IO_TIMEOUT_MS))
		return -1;
	if (strcmp(line, "ok"))
		return fail("peer: %s", line);
	return 0;
}

/* ---- peer ---------------------------------------------------------------- */

static int listen_on(int port)
{
	struct sockaddr_in6 a = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	int fd, one = 1, zero = 0;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    /* dual-stack: IPv4 clients arrive as v4-mapped */
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
		perror("peer: listen");
		exit(1);
	}
	return fd;
}

static int peer_main(int ctl_port, int data_port)
{
	int lctl = listen_on(ctl_port), ldata = listen_on(data_port);
	struct stream tx = { 0 }, rx = { 0 };
	int ctl, data = -1, ret;
	char line[128];
	uint64_t a, b;

	ctl = accept(lctl, NULL, NULL);
	if (ctl < 0) {
		perror("peer: accept");
		return 1;
	}
	for (;;) {
		if (ctl_line(ctl, line, sizeof(line), -1))
			return 0;	/* the test has gone */
		why[0] = 0;
		ret = 0;
		switch (line[0]) {
		case 'A':	/* A seed_to_test seed_from_test: accept */
			if (sscanf(line + 1, "%" SCNu64 " %" SCNu64, &a, &b) != 2)
				return 1;
			data = accept(ldata, NULL, NULL);
			ret = data < 0 ? fail("accept: %s", strerror(errno)) : 0;
			tx = (struct stream){ .seed = a };
			rx = (struct stream){ .seed = b };
			break;
		case 'X':	/* X n m: send n, receive m, together */
			if (sscanf(line + 1, "%" SCNu64 " %" SCNu64, &a, &b) != 2)
				return 1;
			ret = pump(data, &tx, a, &rx, b);
			break;
		case 'F':	/* F: send our FIN */
			ret = shutdown(data, SHUT_WR) ?
			      fail("shutdown: %s", strerror(errno)) : 0;
			break;
		case 'E':	/* E: the test's FIN must come next */
			ret = expect_eof(data);
			break;
		case 'C':	/* C: close the data connection */
			close(data);
			data = -1;
			break;
		case 'Q':
			return 0;
		default:
			ret = fail("unknown command '%s'", line);
		}
		if (ret)
			ctl_send(ctl, "fail %s", why);
		else
			ctl_send(ctl, "ok");
	}
}

/* ---- test ---------------------------------------------------------------- */

static const char *peer_ns, *peer_dev, *peer_v4, *peer_v6;
static int ctl_port, data_port, ctl = -1;
static bool blocked;

/* Drop (or stop dropping) everything the peer's namespace sends. */
static int block_peer(bool on)
{
	char cmd[256];
	int r;

	if (on)
		snprintf(cmd, sizeof(cmd),
			 "ip netns exec %s tc qdisc replace dev %s root pfifo limit 0",
			 peer_ns, peer_dev);
	else
		snprintf(cmd, sizeof(cmd),
			 "ip netns exec %s tc qdisc del dev %s root",
			 peer_ns, peer_dev);
	r = system(cmd);
	if (r)
		return fail("'%s' exited with %d", cmd, r);
	blocked = on;
	return 0;
}

/* After a failure: the counters that tell a stall's cause, both sides. */
static void dump_counters(void)
{
	static const char counters[] =
		"TcpExtPAWSEstab TcpExtTCPTimeouts TcpExtTCPLossProbes "
		"TcpExtTCPChallengeACK TcpExtTCPZeroWindowDrop TcpRetransSegs "
		"TcpOutRsts TcpExtTCPACKSkippedPAWS";
	char cmd[512];

	fflush(stdout);
	snprintf(cmd, sizeof(cmd),
		 "nstat -asz %s | sed -n 's/^Tcp/# test: &/p'; "
		 "ip netns exec %s nstat -asz %s | sed -n 's/^Tcp/# peer: &/p'",
		 counters, peer_ns, counters);
	if (system(cmd))
		printf("# (no counters)\n");
	fflush(stdout);
}

static int tcp_info_of(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, SOL_TCP, TCP_INFO, ti, &len))
		return fail("TCP_INFO: %s", strerror(errno));
	return 0;
}

/*
 * The peer's tcpi_bytes_received on the connection from our port, read
 * with ss in its namespace (its replies on the control connection would
 * be dropped while it is blocked).
 */
static int64_t peer_bytes_received(const uint8_t *port_be)
{
	char cmd[256], line[4096], *p;
	int64_t got = -1;
	uint16_t port;
	FILE *f;

	memcpy(&port, port_be, 2);
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s ss -Htni state connected dport = :%u",
		 peer_ns, ntohs(port));
	f = popen(cmd, "r");
	if (!f)
		return fail("popen: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "bytes_received:");
		if (p)
			got = strtoll(p + 15, NULL, 10);
	}
	pclose(f);
	if (got < 0)
		return fail("no bytes_received in '%s'", cmd);
	return got;
}

/* Poll an ioctl until it reads want. */
static int wait_ioctl(int fd, unsigned long req, const char *name, int want)
{
	struct timespec ts = { 0, 1000000 };
	int v = -1, i;

	for (i = 0; i < 5000; i++) {
		if (ioctl(fd, req, &v))
			return fail("%s: %s", name, strerror(errno));
		if (v == want)
			return 0;
		nanosleep(&ts, NULL);
	}
	return fail("%s stays at %d, want %d", name, v, want);
}

static int wait_tcp_state(int fd, int state)
{
	struct timespec ts = { 0, 1000000 };
	struct tcp_info ti;
	int i;

	for (i = 0; i < 5000; i++) {
		if (tcp_info_of(fd, &ti))
			return -1;
		if (ti.tcpi_state == state)
			return 0;
		nanosleep(&ts, NULL);
	}
	return fail("TCP state stays %u, want %d", ti.tcpi_state, state);
}

/* Write a sysctl of the test's namespace; returns the old value or -1. */
static int sysctl_set(const char *name, int val)
{
	char path[128], buf[32];
	int fd, old = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		old = atoi(buf);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", val);
	if (pwrite(fd, buf, n, 0) != n)
		old = -1;
	close(fd);
	return old;
}

/* Connect to the peer: af AF_INET, AF_INET6, or AF_INET6 to a v4-mapped. */
static int connect_peer(int af, const char *addr, int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s6 = (void *)&ss;
	struct sockaddr_in *s4 = (void *)&ss;
	socklen_t len;
	int fd;

	if (af == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		len = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) {
			/* an IPv4 address: write it v4-mapped */
			s6->sin6_addr.s6_addr[10] = 0xff;
			s6->sin6_addr.s6_addr[11] = 0xff;
			inet_pton(AF_INET, addr, &s6->sin6_addr.s6_addr[12]);
		}
		len = sizeof(*s6);
	}
	fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		fail("connect to %s port %d: %s", addr, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The ABI's view of a socket's addresses, to compare old and new. */
static int abi_addrs(int fd, uint8_t out[36])
{
	struct sockaddr_storage ss[2];
	socklen_t len[2] = { sizeof(ss[0]), sizeof(ss[1]) };
	int i;

	if (getsockname(fd, (struct sockaddr *)&ss[0], &len[0]) ||
	    getpeername(fd, (struct sockaddr *)&ss[1], &len[1]))
		return fail("getsockname/getpeername: %s", strerror(errno));
	memset(out, 0, 36);
	for (i = 0; i < 2; i++) {
		struct sockaddr_in6 *s6 = (void *)&ss[i];
		struct sockaddr_in *s4 = (void *)&ss[i];
		uint8_t *o = out + i * 18;

		if (ss[i].ss_family == AF_INET) {
			memcpy(o, &s4->sin_addr, 4);
			memcpy(o + 16, &s4->sin_port, 2);
		} else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memcpy(o, &s6->sin6_addr.s6_addr[12], 4);
			memcpy(o + 16, &s6->sin6_port, 2);
		} else {
			memcpy(o, &s6->sin6_addr, 16);
			memcpy(o + 16, &s6->sin6_port, 2);
		}
	}
	return 0;
}

struct scenario {
	const char *name;
	int af;			/* the test's socket family */
	bool v6;		/* peer address: IPv6, else IPv4 */
	uint8_t family;		/* what the export must report */
	bool nodelay;		/* TCP_NODELAY on the old socket */
	bool close_wait;	/* the peer sends its FIN before the move */
	bool bare;		/* no timestamps, SACK or window scaling */
	size_t before;		/* bytes each way before the move */
	size_t after;		/* bytes each way after the move */
};

#define STEPS 6

static const char *const step_names[STEPS] = {
	"connect, transfer, queue data both ways",
	"export with unread, unacked and unsent bytes",
	"import into a new socket",
	"unread bytes come out of the new socket",
	"peer gets the queued bytes once and in order",
	"transfer over the new socket",
};

static const struct scenario scenarios[] = {
	{ "ipv4", AF_INET, false, 4, true, false, false, 1 << 20, 4 << 20 },
	{ "ipv6", AF_INET6, true, 6, false, false, false, 1 << 20, 4 << 20 },
	{ "ipv4 on a v4-mapped AF_INET6 socket", AF_INET6, false, 4, false,
	  false, false, 256 << 10, 1 << 20 },
	{ "ipv4 CLOSE_WAIT", AF_INET, false, 4, true, true, false,
	  256 << 10, 2 << 20 },
	{ "ipv6 CLOSE_WAIT", AF_INET6, true, 6, false, true, false,
	  256 << 10, 1 << 20 },
	{ "ipv4 without timestamps, SACK, window scaling", AF_INET, false, 4,
	  false, false, true, 256 << 10, 1 << 20 },
};

#define PEER_QUEUED	100000	/* sent by the peer before the move */
#define TEST_READS	30000	/* of which the test reads this much */
#define TEST_SNDBUF	(1 << 20)	/* at least, halved: see queue_unsent() */
#define OLD_SOCKET_HOLD_MS 300	/* between export and close: past one RTO */

static int test_nr;

static void report(bool ok, const char *sc, const char *step, bool skip)
{
	printf("%s %d %s: %s%s\n", ok ? "ok" : "not ok", ++test_nr, sc, step,
	       skip ? " # SKIP an earlier step failed" : "");
	if (!ok)
		printf("# %s\n", why);
	fflush(stdout);
}

/*
 * With the peer's ACKs dropped, queue more than the connection may have in
 * flight, so that some of it stays unsent whatever the timing: cwnd cannot
 * grow without ACKs, and a loss probe adds at most a segment or two.
 */
static int queue_unsent(int fd, struct stream *tx, size_t *queued)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	static uint8_t buf[CHUNK];
	struct tcp_info ti;
	size_t need;
	ssize_t n;
	int v;

	if (tcp_info_of(fd, &ti))
		return -1;
	/*
	 * Twice the flight: ACKs already on their way when the block went up
	 * may still open cwnd (seen on a loaded machine: all of one cwnd's
	 * worth plus the margin went out).
	 */
	need = 2 * (size_t)(ti.tcpi_snd_cwnd + 4) * ti.tcpi_snd_mss + (512 << 10);
	/* room for skb overhead; the kernel doubles what it is given */
	v = need < TEST_SNDBUF ? TEST_SNDBUF : need;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		return fail("SO_SNDBUFFORCE: %s", strerror(errno));
	while (*queued < need) {
		stream_fill(tx->seed, tx->pos, buf, CHUNK);
		n = send(fd, buf, CHUNK, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			tx->pos += n;
			*queued += n;
		} else if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, 1000) <= 0)
				return fail("send buffer full after %zu of %zu "
					    "bytes", *queued, need);
		} else {
			return fail("send: %s", n ? strerror(errno) : "0");
		}
	}
	return 0;
}

/*
 * One connection moved.  Returns the number of steps passed; a step that
 * fails ends the run, since the peer's side is then in an unknown state.
 */
static int run_scenario(const struct scenario *sc, int idx)
{
	struct stream tx = { .seed = 2 * idx + 2 }, rx = { .seed = 2 * idx + 1 };
	const char *addr = sc->v6 ? peer_v6 : peer_v4;
	uint64_t sndq_at, rcvq_at;
	uint8_t addrs_old[36], addrs_new[36];
	struct repair_conn rc = { 0 };
	struct tcp_info ti_old, ti_new;
	int fd = -1, nfd = -1, step = 0, one = 1, v;
	struct timespec hold = { 0, OLD_SOCKET_HOLD_MS * 1000000 };
	socklen_t optlen;
	size_t queued = 0;
	int64_t got;
	bool mss_ok;

	/* 1: a connection with traffic behind it and bytes in every queue */
	if (sc->bare) {
		/* options are settled by the SYN: only the connect needs it */
		static const char *const opts[] = {
			"tcp_timestamps", "tcp_sack", "tcp_window_scaling",
		};
		int old[3], i;

		for (i = 0; i < 3; i++)
			old[i] = sysctl_set(opts[i], 0);
		fd = connect_peer(sc->af, addr, data_port);
		for (i = 0; i < 3; i++)
			if (old[i] >= 0)
				sysctl_set(opts[i], old[i]);
		for (i = 0; i < 3; i++)
			if (old[i] < 0) {
				fail("cannot set net.ipv4.%s", opts[i]);
				goto out;
			}
	} else {
		fd = connect_peer(sc->af, addr, data_port);
	}
	if (fd < 0)
		goto out;
	if (sc->nodelay)
		setsockopt(fd, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ctl_send(ctl, "A %" PRIu64 " %" PRIu64, rx.seed, tx.seed) ||
	    ctl_result(ctl))
		goto out;
	if (ctl_send(ctl, "X %zu %zu", sc->before, sc->before) ||
	    pump(fd, &tx, sc->before, &rx, sc->before) || ctl_result(ctl))
		goto out;
	/* the peer queues bytes the test only partly reads */
	if (ctl_send(ctl, "X %d 0", PEER_QUEUED) || ctl_result(ctl) ||
	    pump(fd, NULL, 0, &rx, TEST_READS))
		goto out;
	if (sc->close_wait) {
		if (ctl_send(ctl, "F") || ctl_result(ctl) ||
		    wait_tcp_state(fd, TCP_CLOSE_WAIT))
			goto out;
	}
	if (wait_ioctl(fd, SIOCINQ, "SIOCINQ", PEER_QUEUED - TEST_READS) ||
	    wait_ioctl(fd, SIOCOUTQ, "SIOCOUTQ", 0))
		goto out;

	/*
	 * From here the peer's ACKs are dropped: what the test queues now
	 * stays unacknowledged (and mostly unsent, once cwnd is used up).
	 */
	if (block_peer(true))
		goto out;
	sndq_at = tx.pos;
	if (queue_unsent(fd, &tx, &queued))
		goto out;
	if (tcp_info_of(fd, &ti_old) || abi_addrs(fd, addrs_old))
		goto out;
	report(true, sc->name, step_names[step++], false);

	/* 2: export, and check it against what the test knows */
	rcvq_at = rx.pos;
	v = repair_export(fd, &rc);
	if (v) {
		fail("repair_export: %s", strerror(-v));
		goto out;
	}
	printf("# %s: sndq %zu (%zu unsent) rcvq %zu mss %u/%u wscale %u/%u"
	       " opt 0x%x ts_val %u srtt %u us cwnd %u bufs %u/%u\n",
	       sc->name, rc.sndq_len, rc.sndq_notsent, rc.rcvq_len,
	       le16toh(rc.st.mss), le16toh(rc.st.rcv_mss), rc.st.snd_wscale,
	       rc.st.rcv_wscale, rc.st.opt, le32toh(rc.st.ts_val),
	       le32toh(rc.st.srtt_us), le32toh(rc.st.snd_cwnd),
	       le32toh(rc.st.sndbuf), le32toh(rc.st.rcvbuf));
	if (rc.st.family != sc->family) {
		fail("family %u, want %u", rc.st.family, sc->family);
		goto out;
	}
	if (rc.st.tcp_state != (sc->close_wait ? TCP_CLOSE_WAIT : TCP_ESTABLISHED) ||
	    !(rc.st.opt & CHW_OPT_FIN_RCVD) != !sc->close_wait) {
		fail("state %u, opt 0x%x", rc.st.tcp_state, rc.st.opt);
		goto out;
	}
	if ((sc->bare && (rc.st.opt & (CHW_OPT_TS | CHW_OPT_SACK | CHW_OPT_WSCALE))) ||
	    !(rc.st.opt & CHW_OPT_NODELAY) != !sc->nodelay ||
	    !(rc.st.opt & CHW_OPT_TS) != !(ti_old.tcpi_options & TCPI_OPT_TIMESTAMPS) ||
	    !(rc.st.opt & CHW_OPT_SACK) != !(ti_old.tcpi_options & TCPI_OPT_SACK) ||
	    !(rc.st.opt & CHW_OPT_WSCALE) != !(ti_old.tcpi_options & TCPI_OPT_WSCALE)) {
		fail("options 0x%x, tcpi_options 0x%x, nodelay %d", rc.st.opt,
		     ti_old.tcpi_options, sc->nodelay);
		goto out;
	}
	if (rc.sndq_len != queued || !rc.sndq_notsent ||
	    rc.sndq_notsent >= rc.sndq_len ||
	    rc.rcvq_len != PEER_QUEUED - TEST_READS) {
		fail("queues: send %zu (%zu unsent), receive %zu", rc.sndq_len,
		     rc.sndq_notsent, rc.rcvq_len);
		goto out;
	}
	if (le32toh(rc.st.write_seq) - le32toh(rc.st.snd_una) != rc.sndq_len ||
	    le32toh(rc.st.write_seq) - le32toh(rc.st.snd_nxt) != rc.sndq_notsent ||
	    le32toh(rc.st.rcv_nxt) - le32toh(rc.st.copied_seq) !=
	    rc.rcvq_len + sc->close_wait) {
		fail("sequence numbers do not match the queues");
		goto out;
	}
	if (memcmp(rc.st.local_addr, addrs_old, 16) ||
	    memcmp(&rc.st.local_port, addrs_old + 16, 2) ||
	    memcmp(rc.st.peer_addr, addrs_old + 18, 16) ||
	    memcmp(&rc.st.peer_port, addrs_old + 34, 2)) {
		fail("addresses or ports differ from the socket's");
		goto out;
	}
	if (le16toh(rc.st.mss) != ti_old.tcpi_snd_mss || !rc.st.mss ||
	    le32toh(rc.st.max_window) < le32toh(rc.st.snd_wnd)) {
		fail("mss %u (tcpi %u), snd_wnd %u > max_window %u",
		     le16toh(rc.st.mss), ti_old.tcpi_snd_mss,
		     le32toh(rc.st.snd_wnd), le32toh(rc.st.max_window));
		goto out;
	}
	if (stream_check(tx.seed, sndq_at, rc.sndq, rc.sndq_len) ||
	    stream_check(rx.seed, rcvq_at, rc.rcvq, rc.rcvq_len))
		goto out;
	report(true, sc->name, step_names[step++], false);

	/*
	 * 3: the old socket goes silently, the new one takes over.  Keep
	 * the old one open a while first: its loss probe and first
	 * retransmission timeout fire meanwhile, and what they send must
	 * not confuse the peer or the new socket.
	 */
	nanosleep(&hold, NULL);
	close(fd);
	fd = -1;
	/* the peer got no byte beyond the snd_nxt we exported */
	got = peer_bytes_received(addrs_old + 16);
	if (got < 0)
		goto out;
	if ((uint64_t)got > sndq_at + rc.sndq_len - rc.sndq_notsent) {
		fail("the peer got %" PRId64 " bytes, the export says %" PRIu64
		     " were sent", got,
		     sndq_at + rc.sndq_len - rc.sndq_notsent);
		goto out;
	}
	v = repair_import(&rc, &nfd);
	if (v) {
		fail("repair_import: %s", strerror(-v));
		goto out;
	}
	if (block_peer(false) || tcp_info_of(nfd, &ti_new) ||
	    abi_addrs(nfd, addrs_new))
		goto out;
	if (memcmp(addrs_old, addrs_new, sizeof(addrs_old))) {
		fail("the new socket has other addresses or ports");
		goto out;
	}
	/*
	 * connect() sizes the TCP header for timestamps whenever the sysctl
	 * enables them, whatever the restored connection uses: without
	 * timestamps Linux then reports an MSS 12 bytes low (it still sends
	 * full segments: tcp_current_mss() corrects for the real options).
	 */
	mss_ok = ti_new.tcpi_snd_mss == ti_old.tcpi_snd_mss ||
		 (!(rc.st.opt & CHW_OPT_TS) &&
		  ti_new.tcpi_snd_mss + 12 == ti_old.tcpi_snd_mss);
	if (ti_new.tcpi_state != rc.st.tcp_state ||
	    ti_new.tcpi_options != ti_old.tcpi_options ||
	    ti_new.tcpi_snd_wscale != ti_old.tcpi_snd_wscale ||
	    ti_new.tcpi_rcv_wscale != ti_old.tcpi_rcv_wscale || !mss_ok) {
		fail("new socket: state %u options 0x%x wscale %u/%u mss %u; "
		     "old: options 0x%x wscale %u/%u mss %u",
		     ti_new.tcpi_state, ti_new.tcpi_options,
		     ti_new.tcpi_snd_wscale, ti_new.tcpi_rcv_wscale,
		     ti_new.tcpi_snd_mss, ti_old.tcpi_options,
		     ti_old.tcpi_snd_wscale, ti_old.tcpi_rcv_wscale,
		     ti_old.tcpi_snd_mss);
		goto out;
	}
	optlen = sizeof(v);
	if (getsockopt(nfd, SOL_TCP, TCP_NODELAY, &v, &optlen) ||
	    !v != !sc->nodelay) {
		fail("TCP_NODELAY is %d on the new socket", v);
		goto out;
	}
	/* the TSval clock went on from where the old socket left it */
	optlen = sizeof(v);
	if (getsockopt(nfd, SOL_TCP, TCP_TIMESTAMP, &v, &optlen)) {
		fail("TCP_TIMESTAMP: %s", strerror(errno));
		goto out;
	}
	if ((rc.st.opt & CHW_OPT_TS) &&
	    (uint32_t)v - le32toh(rc.st.ts_val) > 60000) {
		fail("TSval clock at %u on the new socket, %u on the old",
		     (uint32_t)v, le32toh(rc.st.ts_val));
		goto out;
	}
	report(true, sc->name, step_names[step++], false);

	/* 4: what the application had not read yet, then the peer's FIN */
	if (pump(nfd, NULL, 0, &rx, rc.rcvq_len))
		goto out;
	if (sc->close_wait && expect_eof(nfd))
		goto out;
	report(true, sc->name, step_names[step++], false);

	/* 5: the peer reads everything the old socket had queued */
	if (ctl_send(ctl, "X 0 %zu", queued) || ctl_result(ctl))
		goto out;
	report(true, sc->name, step_names[step++], false);

	/* 6: the new socket is a working connection */
	if (sc->close_wait) {
		/* the peer has closed its side: send only, then our FIN */
		if (ctl_send(ctl, "X 0 %zu", sc->after) ||
		    pump(nfd, &tx, sc->after, NULL, 0) || ctl_result(ctl))
			goto out;
		if (shutdown(nfd, SHUT_WR)) {
			fail("shutdown: %s", strerror(errno));
			goto out;
		}
		if (ctl_send(ctl, "E") || ctl_result(ctl))
			goto out;
	} else {
		if (ctl_send(ctl, "X %zu %zu", sc->after, sc->after) ||
		    pump(nfd, &tx, sc->after, &rx, sc->after) || ctl_result(ctl))
			goto out;
	}
	if (ctl_send(ctl, "C") || ctl_result(ctl))
		goto out;
	report(true, sc->name, step_names[step++], false);

out:
	if (step < STEPS) {
		report(false, sc->name, step_names[step], false);
		dump_counters();
		if (blocked)
			block_peer(false);
	}
	repair_conn_free(&rc);
	if (fd >= 0)
		close(fd);
	if (nfd >= 0)
		close(nfd);
	return step;
}

static int test_main(void)
{
	size_t i, nsc = sizeof(scenarios) / sizeof(scenarios[0]);
	struct timespec ts = { 0, 10000000 };
	bool failed = false;
	int tries, step;

	printf("TAP version 13\n1..%zu\n", nsc * STEPS);
	fflush(stdout);

	/* the peer may still be starting */
	for (tries = 0; tries < 500; tries++) {
		ctl = connect_peer(AF_INET, peer_v4, ctl_port);
		if (ctl >= 0)
			break;
		nanosleep(&ts, NULL);
	}
	if (ctl < 0) {
		printf("# %s\n", why);
		for (i = 0; i < nsc * STEPS; i++)
			printf("not ok %zu no peer\n", i + 1);
		return 1;
	}

	for (i = 0; i < nsc; i++) {
		if (failed) {
			for (step = 0; step < STEPS; step++)
				report(true, scenarios[i].name,
				       step_names[step], true);
			continue;
		}
		step = run_scenario(&scenarios[i], i);
		if (step < STEPS) {
			failed = true;
			for (step++; step < STEPS; step++)
				report(true, scenarios[i].name,
				       step_names[step], true);
		}
	}
	ctl_send(ctl, "Q");
	close(ctl);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "peer"))
		return peer_main(atoi(argv[2]), atoi(argv[3]));
	if (argc == 8 && !strcmp(argv[1], "test")) {
		peer_ns = argv[2];
		peer_dev = argv[3];
		peer_v4 = argv[4];
		peer_v6 = argv[5];
		ctl_port = atoi(argv[6]);
		data_port = atoi(argv[7]);
		return test_main();
	}
	fprintf(stderr,
		"usage: %s peer CTL_PORT DATA_PORT\n"
		"       %s test PEER_NS PEER_DEV PEER_V4 PEER_V6 CTL_PORT DATA_PORT\n",
		argv[0], argv[0]);
	return 2;
}
