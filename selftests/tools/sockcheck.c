// SPDX-License-Identifier: GPL-2.0
/*
 * sockcheck - socket semantics of one TCP connection, checked against
 * what Linux's own TCP does: readiness (select, poll, epoll), EAGAIN and
 * partial writes, shutdown and close.
 *
 *   sockcheck guest SCENARIO --listen PORT --ctl HOST:CPORT
 *             [--sndbuf BYTES] [--timeout SECS]
 *   sockcheck peer --connect HOST:PORT --ctl-listen CPORT
 *             [--rcvbuf BYTES] [--timeout SECS]
 *
 * --sndbuf sets SO_SNDBUF on the guest's listener (the connection
 * inherits it), --rcvbuf SO_RCVBUF on the peer's socket before it
 * connects (a small window makes the guest's send buffer fill).
 *
 * The guest side is the server: it accepts the data connection (so the
 * handoff module may offload it) and runs SCENARIO on it.  The peer side
 * is the client, on the host's TCP.  Beside the data connection there is
 * a control connection, which the guest opens to the peer (an active
 * open, never offloaded): the guest sends the peer one command per line
 * and the peer answers each with one line, so every step happens in a
 * known order.  The peer's commands:
 *
 *   send N       write N stream bytes (blocking)        -> "sent N"
 *   drain N      read exactly N bytes, check each        -> "drained N ok"
 *   readeof      read and check until EOF or an error    -> "eof N ok" or
 *                                                           "err E after N"
 *   recv         one recv, 10 s at most                  -> "data N",
 *                                                           "eof", "err E"
 *   shut         shutdown(SHUT_WR)                       -> "shut"
 *   rst          SO_LINGER 0, close: a RST               -> "closed"
 *   close        close()                                 -> "closed"
 *   bye          exit                                    -> "bye"
 *   late CMD     CMD after 200 ms, so that the guest is already waiting
 *                for what it does (a wakeup is tested, not a poll)
 *
 * Both streams carry pattern bytes (a function of the byte's offset), so
 * every byte is checked where it arrives.  The guest prints one line per
 * check: "ok WHAT" or "FAIL WHAT: expected X, saw Y"; measurements that
 * differ from run to run go on "info" lines, so the ok lines of a run
 * with offload and one without can be compared as text.  Exit 0 if every
 * check passed, 1 otherwise, 2 on usage.
 *
 * Scenarios: poll_data poll_reset reset_read reset_write nb_recv nb_send
 * shut_wr peer_shut linger0 linger linger_timeout unread_close orphan
 * orphan_stream (see each one's comment); sc_sem.c and sc_ktls.c hold more.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockcheck.h"

int d = -1, c = -1;
uint64_t tx_off, rx_off;

struct sc_opt opt = { .timeout = 300 };

int fails;
unsigned char buf[BUF_SIZE];

/* ---- output -------------------------------------------------------------- */

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void check(bool good, const char *what, const char *fmt, ...)
{
	char saw[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(saw, sizeof(saw), fmt, ap);
	va_end(ap);
	if (good) {
		say("ok %s", what);
	} else {
		say("FAIL %s: %s", what, saw);
		fails++;
	}
}

void die(const char *what)
{
	say("FAIL %s: %s", what, strerror(errno));
	exit(1);
}

const char *errname(int e)
{
	static char s[32];

	switch (e) {
	case 0:			return "none";
	case EAGAIN:		return "EAGAIN";
	case EPIPE:		return "EPIPE";
	case ECONNRESET:	return "ECONNRESET";
	case ENOTCONN:		return "ENOTCONN";
	case ETIMEDOUT:		return "ETIMEDOUT";
	case EINTR:		return "EINTR";
	case EFAULT:		return "EFAULT";
	case EINVAL:		return "EINVAL";
	}
	snprintf(s, sizeof(s), "errno %d", e);
	return s;
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- the stream ---------------------------------------------------------- */

unsigned char pat(uint64_t off)
{
	return (unsigned char)(off * 7 + (off >> 8) * 13 + (off >> 16) + 1);
}

void fill_pat(unsigned char *p, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pat(off + i);
}

/* Offset of the first byte of p[0..n) that is not the stream's, or -1. */
long long bad_pat(const unsigned char *p, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != pat(off + i))
			return (long long)(off + i);
	return -1;
}

/* send() the next n stream bytes; the result as send() gives it. */
ssize_t send_pat(size_t n, int flags)
{
	ssize_t r;

	if (n > BUF_SIZE)
		n = BUF_SIZE;
	fill_pat(buf, n, tx_off);
	r = send(d, buf, n, flags | MSG_NOSIGNAL);
	if (r > 0)
		tx_off += r;
	return r;
}

/* recv() up to n bytes and check them; -2 if they are not the stream. */
ssize_t recv_pat(size_t n, int flags, long long *bad)
{
	ssize_t r;

	if (n > BUF_SIZE)
		n = BUF_SIZE;
	r = recv(d, buf, n, flags);
	if (r > 0) {
		*bad = bad_pat(buf, r, rx_off);
		rx_off += r;
		if (*bad >= 0)
			return -2;
	}
	return r;
}

/* ---- the control connection ---------------------------------------------- */

void ctl_put(const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	if (send(c, line, n, MSG_NOSIGNAL) != n)
		die("control connection: send");
}

/* One line from the control connection (SO_RCVTIMEO bounds the wait). */
bool ctl_get(char *line, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = recv(c, line + n, 1, 0);

		/* a scenario's signal (SIGURG) may come while we wait */
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	return true;
}

/* Guest: a command to the peer; its answer comes with peer_ans(). */
static char last_cmd[128];

void peer_cmd(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_cmd, sizeof(last_cmd), fmt, ap);
	va_end(ap);
	ctl_put("%s", last_cmd);
}

char *peer_ans(void)
{
	static char ans[128];

	if (!ctl_get(ans, sizeof(ans))) {
		say("FAIL peer command '%s': no answer (%s)", last_cmd,
		    strerror(errno));
		exit(1);
	}
	say("info peer %s -> %s", last_cmd, ans);
	return ans;
}

/* The answer to the last command must be exactly want. */
bool peer_check(const char *what, const char *want)
{
	const char *ans = peer_ans();
	bool good = !strcmp(ans, want);

	check(good, what, "peer said '%s' to '%s', expected '%s'", ans,
	      last_cmd, want);
	return good;
}


/* ---- readiness ----------------------------------------------------------- */


const char *ev_names(unsigned int ev)
{
	static const struct { unsigned int bit; const char *name; } n[] = {
		{ POLLIN, "IN" }, { POLLRDNORM, "RDNORM" }, { POLLPRI, "PRI" },
		{ POLLOUT, "OUT" }, { POLLWRNORM, "WRNORM" },
		{ POLLRDHUP, "RDHUP" }, { POLLHUP, "HUP" }, { POLLERR, "ERR" },
	};
	static char s[96];
	size_t i;

	s[0] = 0;
	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (ev & n[i].bit)
			snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s%s",
				 s[0] ? "|" : "", n[i].name);
	return s[0] ? s : "none";
}

unsigned int ready_poll(void)
{
	struct pollfd p = { .fd = d, .events = EV_ALL };

	if (poll(&p, 1, 0) < 0)
		die("poll");
	return p.revents;
}

unsigned int ready_epoll(void)
{
	struct epoll_event ev = { .events = EV_ALL };
	int ep = epoll_create1(0), n;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev))
		die("epoll");
	n = epoll_wait(ep, &ev, 1, 0);
	close(ep);
	if (n < 0)
		die("epoll_wait");
	return n ? ev.events : 0;
}

/* select's three sets, as "rwx" with '-' for a set that does not hold d */
const char *ready_select(void)
{
	static char s[4];
	struct timeval tv = { 0, 0 };
	fd_set r, w, x;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(d, &r);
	FD_SET(d, &w);
	FD_SET(d, &x);
	if (select(d + 1, &r, &w, &x, &tv) < 0)
		die("select");
	s[0] = FD_ISSET(d, &r) ? 'r' : '-';
	s[1] = FD_ISSET(d, &w) ? 'w' : '-';
	s[2] = FD_ISSET(d, &x) ? 'x' : '-';
	return s;
}

/* What select must say when poll says ev (the kernel's POLLIN_SET...). */
const char *select_of(unsigned int ev)
{
	static char s[4];

	s[0] = ev & (POLLIN | POLLRDNORM | POLLHUP | POLLERR) ? 'r' : '-';
	s[1] = ev & (POLLOUT | POLLWRNORM | POLLERR) ? 'w' : '-';
	s[2] = ev & POLLPRI ? 'x' : '-';
	s[3] = 0;
	return s;
}

/* poll, epoll and select must all say exactly want, now. */
void check_ready(unsigned int want, const char *what)
{
	unsigned int p = ready_poll(), e = ready_epoll();
	char sel[4], ws[4], line[192];

	strcpy(sel, ready_select());
	strcpy(ws, select_of(want));
	snprintf(line, sizeof(line), "%s: poll/epoll %s, select %s", what,
		 ev_names(want), ws);
	if (p == want && e == want && !strcmp(sel, ws)) {
		say("ok %s", line);
		return;
	}
	say("FAIL %s: poll saw %s", line, ev_names(p));
	say("     epoll saw %s, select saw %s", ev_names(e), sel);
	fails++;
}

/*
 * Block (in poll, epoll or select, so each one's wakeups are used) until
 * every bit of want holds; false after ms.  The socket's wakeups are what
 * is tested here, so the wait is a real sleep, not a spin.
 */
bool wait_ready(unsigned int want, int ms, enum how how)
{
	double end = now() + ms / 1000.0;
	/* sleep for want's events (HUP and ERR always wake a waiter) */
	unsigned int ev = want & ~(POLLHUP | POLLERR);

	while ((ready_poll() & want) != want) {
		int left = (int)((end - now()) * 1000);

		if (left <= 0) {
			say("FAIL waiting %d ms for %s: now %s", ms,
			    ev_names(want), ev_names(ready_poll()));
			fails++;
			return false;
		}
		if (how == BY_POLL) {
			struct pollfd p = { .fd = d, .events = ev };

			poll(&p, 1, left);
		} else if (how == BY_EPOLL) {
			struct epoll_event e = { .events = ev };
			int ep = epoll_create1(0);

			if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, d, &e))
				die("epoll");
			epoll_wait(ep, &e, 1, left);
			close(ep);
		} else {
			struct timeval tv = { left / 1000, left % 1000 * 1000 };
			fd_set r, w;

			FD_ZERO(&r);
			FD_ZERO(&w);
			if (ev & (POLLIN | POLLRDHUP) || !ev)
				FD_SET(d, &r);
			if (ev & POLLOUT)
				FD_SET(d, &w);
			select(d + 1, &r, &w, NULL, &tv);
		}
	}
	return true;
}

/* ---- guest helpers ------------------------------------------------------- */

void set_int(int level, int name, int val, const char *what)
{
	if (setsockopt(d, level, name, &val, sizeof(val)))
		die(what);
}

int get_int(int level, int name)
{
	socklen_t len = sizeof(int);
	int val;

	if (getsockopt(d, level, name, &val, &len))
		die("getsockopt");
	return val;
}

void set_nonblock(bool on)
{
	int fl = fcntl(d, F_GETFL);

	if (fl < 0 || fcntl(d, F_SETFL, on ? fl | O_NONBLOCK :
						 fl & ~O_NONBLOCK))
		die("fcntl");
}

int outq(void)
{
	int n;

	if (ioctl(d, SIOCOUTQ, &n))
		die("SIOCOUTQ");
	return n;
}

/* Blocking: write n stream bytes. */
void send_all(uint64_t n, const char *what)
{
	while (n) {
		ssize_t r = send_pat(n, 0);

		if (r <= 0) {
			check(false, what, "send failed after %llu bytes: %s",
			      (unsigned long long)tx_off, errname(errno));
			return;
		}
		n -= r;
	}
	say("ok %s", what);
}

/* Blocking: read exactly n stream bytes, each checked. */
void recv_exact(uint64_t n, const char *what)
{
	long long bad = -1;

	while (n) {
		ssize_t r = recv_pat(n, 0, &bad);

		if (r <= 0) {
			check(false, what, "%s at byte %lld",
			      r == 0 ? "EOF" : r == -2 ? "wrong data" :
			      errname(errno),
			      r == -2 ? bad : (long long)rx_off);
			return;
		}
		n -= r;
	}
	say("ok %s", what);
}

/*
 * Write until the send buffer is full (EAGAIN with flags or O_NONBLOCK).
 * ACKs of what was in flight may free room after the first EAGAIN, so
 * write again after a pause until a pass writes nothing: then the peer's
 * window is closed and the buffer full.  *first is the first send()'s
 * result, for bytes of BUF_SIZE.  Returns the bytes written.
 */
uint64_t fill(int flags, ssize_t *first, int *last_err)
{
	uint64_t total = 0;
	int pass;

	*first = send_pat(BUF_SIZE, flags);
	if (*first < 0) {
		*last_err = errno;
		return 0;
	}
	total = *first;
	for (pass = 0; pass < 40; pass++) {
		uint64_t before = total;
		ssize_t r;

		while ((r = send_pat(BUF_SIZE, flags)) > 0)
			total += r;
		*last_err = errno;
		if (r == 0 || *last_err != EAGAIN)
			break;
		if (pass && total == before)
			break;
		msleep(300);
	}
	return total;
}

/* ---- scenarios (guest side) ---------------------------------------------- */



/* The result of one call, as "3", "EOF" or "EAGAIN", for messages. */
const char *res(ssize_t r)
{
	static char s[32];

	if (r < 0)
		return errname(errno);
	if (r == 0)
		return "EOF";
	snprintf(s, sizeof(s), "%zd bytes", r);
	return s;
}

/* A blocking read that must see EOF. */
void check_eof(const char *what)
{
	ssize_t r = recv(d, buf, 1, 0);

	check(r == 0, what, "saw %s", res(r));
}

/* A call that must fail with err. */

/* Write until the buffer is full; checks that it ended in EAGAIN. */
uint64_t fill_full(int flags, ssize_t *first, const char *what)
{
	uint64_t w;
	int err = 0;

	w = fill(flags, first, &err);
	say("info %s: wrote %llu bytes, first send %zd, SIOCOUTQ %d, SO_SNDBUF %d",
	    what, (unsigned long long)w, *first, outq(),
	    get_int(SOL_SOCKET, SO_SNDBUF));
	check(err == EAGAIN, what, "the writes ended in %s",
	      errname(err));
	return w;
}

/* The peer reads what was written since the last drain; ok if intact. */
void peer_drain(const char *what)
{
	static uint64_t drained;	/* what earlier calls had read */
	unsigned long long n = tx_off - drained;
	char want[64];

	snprintf(want, sizeof(want), "drained %llu ok", n);
	peer_cmd("drain %llu", n);
	if (peer_check(what, want))
		drained = tx_off;
}

void peer_eof(const char *what)
{
	char want[64];

	snprintf(want, sizeof(want), "eof %llu ok",
		 (unsigned long long)tx_off);
	peer_check(what, want);
}

/* ---- connections ----------------------------------------------------------- */

void set_timeo(int fd, int name, int secs)
{
	struct timeval tv = { secs, 0 };

	if (setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv)))
		die("SO_RCVTIMEO/SO_SNDTIMEO");
}

int tcp_listen(const char *port, int sndbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(atoi(port)) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)))
		die("socket");
	if (sndbuf && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				 sizeof(sndbuf)))
		die("SO_SNDBUF on the listener");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4))
		die("bind/listen");
	return fd;
}

int tcp_accept(int lfd, int secs)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	if (poll(&p, 1, secs * 1000) != 1) {
		say("FAIL nobody connected in %d s", secs);
		exit(1);
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	return fd;
}

/* Connect, retrying for a while as the other side may not listen yet. */
int tcp_connect(const char *host, const char *port, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(atoi(port)) };
	double end = now() + 20;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "sockcheck: %s: not an IPv4 address\n", host);
		exit(2);
	}
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket");
		if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
					 sizeof(rcvbuf)))
			die("SO_RCVBUF");
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		close(fd);
		if (now() > end)
			die("connect");
		msleep(100);
	}
}

/* ---- main ---------------------------------------------------------------- */

static const struct sc_scenario *sc_find(const char *name)
{
	const struct sc_scenario *tables[] = { sc_basic, sc_sem, sc_ktls }, *s;
	size_t i;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		for (s = tables[i]; s->name; s++)
			if (!strcmp(s->name, name))
				return s;
	return NULL;
}

static int guest_main(const char *scenario)
{
	const struct sc_scenario *sc = sc_find(scenario);
	int lfd;

	if (!sc) {
		fprintf(stderr, "sockcheck: no scenario '%s'\n", scenario);
		return 2;
	}
	lfd = tcp_listen(opt.listen_port, opt.sndbuf);
	d = tcp_accept(lfd, 30);
	close(lfd);
	set_timeo(d, SO_RCVTIMEO, 30);
	set_timeo(d, SO_SNDTIMEO, 30);
	c = tcp_connect(opt.host, opt.port, 0);
	set_timeo(c, SO_RCVTIMEO, opt.timeout);
	say("info scenario %s", scenario);
	sc->run();
	peer_cmd("bye");
	peer_ans();
	if (d >= 0)
		close(d);
	say("summary %s %s", scenario, fails ? "FAIL" : "ok");
	return fails ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: sockcheck guest SCENARIO --listen PORT --ctl HOST:PORT [--sndbuf N]\n"
			"       sockcheck peer --connect HOST:PORT --ctl-listen PORT [--rcvbuf N]\n");
	exit(2);
}

static void split(char *hp)
{
	char *colon = strrchr(hp, ':');

	if (!colon)
		usage();
	*colon = 0;
	opt.host = hp;
	opt.port = colon + 1;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "ctl", required_argument, NULL, 'c' },
		{ "connect", required_argument, NULL, 'C' },
		{ "ctl-listen", required_argument, NULL, 'L' },
		{ "sndbuf", required_argument, NULL, 's' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "presend", required_argument, NULL, 'p' },
		{ "link", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	bool guest;
	int o;

	if (argc < 2)
		usage();
	guest = !strcmp(argv[1], "guest");
	if (!guest && strcmp(argv[1], "peer"))
		usage();
	while ((o = getopt_long(argc - 1, argv + 1, "", lo, NULL)) != -1) {
		switch (o) {
		case 'l': opt.listen_port = optarg; break;
		case 'c': case 'C': split(optarg); break;
		case 'L': opt.ctl_listen = optarg; break;
		case 's': opt.sndbuf = atoi(optarg); break;
		case 'r': opt.rcvbuf = atoi(optarg); break;
		case 't': opt.timeout = atoi(optarg); break;
		case 'p': opt.presend = atoi(optarg); break;
		case 'k': opt.link = optarg; break;
		default: usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(opt.timeout);
	if (guest) {
		if (optind + 1 != argc - 1 || !opt.listen_port || !opt.host)
			usage();
		return guest_main(argv[optind + 1]);
	}
	if (!opt.ctl_listen || !opt.host)
		usage();
	return peer_main();
}
