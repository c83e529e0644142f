// SPDX-License-Identifier: GPL-2.0
/*
 * sc_sem.c - sockcheck's scenarios of the socket surface an application
 * meets beyond readiness and close: peeking, MSG_WAITALL far past the
 * receive ring, MSG_TRUNC, the queue ioctls, SO_RCVLOWAT with a timeout,
 * a slow reader, options, TCP_NOTSENT_LOWAT, TCP_CORK and MSG_MORE,
 * TCP_INFO, urgent data both ways, MSG_ZEROCOPY completions, splice(),
 * keepalive, user and FIN_WAIT2 timeouts (the semantics suite).
 *
 * Each check says what Linux's TCP does, so that a run with offload on
 * and one with it off print the same "ok" lines; figures that differ
 * from run to run go on "info" lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h>	/* the full struct tcp_info */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockcheck.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY	0x4000000
#endif
#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY	5
#endif

static int ioctl_int(unsigned long req, const char *what)
{
	int n;

	if (ioctl(d, req, &n))
		die(what);
	return n;
}

/* Wait up to ms for ioctl req to say want; false (and a FAIL) if not. */
static bool wait_ioctl(unsigned long req, int want, int ms, const char *what)
{
	double end = now() + ms / 1000.0;
	int n;

	while ((n = ioctl_int(req, what)) != want) {
		if (now() > end) {
			check(false, what, "still %d after %d ms, expected %d",
			      n, ms, want);
			return false;
		}
		msleep(20);
	}
	return true;
}

/*
 * The peer sends n bytes (less than the receive buffer holds); we wait
 * until all of them are ours to read.
 */
static void peer_sends(uint64_t n, const char *what)
{
	char want[64];

	snprintf(want, sizeof(want), "sent %llu", (unsigned long long)n);
	peer_do(what, want, "send %llu", (unsigned long long)n);
	if (wait_ioctl(SIOCINQ, (int)n, WAIT_MS, "SIOCINQ"))
		say("ok SIOCINQ says all %llu bytes are here",
		    (unsigned long long)n);
}

/* The peer sends n bytes, as many as it likes, and we read them all. */
static void peer_streams(uint64_t n, const char *what)
{
	char want[64];

	snprintf(want, sizeof(want), "sent %llu", (unsigned long long)n);
	peer_cmd("send %llu", (unsigned long long)n);
	recv_exact(n, what);
	peer_check("the peer's writes all completed", want);
}

/* MSG_PEEK looks without taking; MSG_PEEK on nothing is EAGAIN. */
static void sc_peek(void)
{
	long long bad = -1;
	uint64_t at = rx_off;
	ssize_t r;

	peer_sends(3000, "the peer wrote 3000 bytes");
	r = recv_pat(1000, MSG_PEEK, &bad);
	check(r == 1000, "MSG_PEEK of 1000: 1000 bytes, the stream's",
	      "saw %s (bad byte %lld)", res(r), bad);
	rx_off = at;
	r = recv_pat(5000, MSG_PEEK, &bad);
	check(r == 3000, "MSG_PEEK of 5000: the same 3000 bytes again",
	      "saw %s (bad byte %lld)", res(r), bad);
	rx_off = at;
	check(ioctl_int(SIOCINQ, "SIOCINQ") == 3000,
	      "SIOCINQ after peeking: still 3000", "saw %d",
	      ioctl_int(SIOCINQ, "SIOCINQ"));
	recv_exact(3000, "read the 3000 bytes peeked at");
	check_err(recv(d, buf, 10, MSG_PEEK | MSG_DONTWAIT), EAGAIN,
		  "MSG_PEEK with nothing to read: EAGAIN");
}

/*
 * One blocking MSG_WAITALL read of 1 MiB, four times the largest receive
 * ring the NIC fills: it returns all of it, as TCP's does.
 */
static void sc_waitall(void)
{
	const size_t n = 1 << 20;
	unsigned char *big = malloc(n);
	long long bad;
	ssize_t r;

	if (!big)
		die("malloc");
	peer_cmd("send %zu", n);
	r = recv(d, big, n, MSG_WAITALL);
	bad = r > 0 ? bad_pat(big, r, rx_off) : -1;
	check(r == (ssize_t)n && bad < 0,
	      "one MSG_WAITALL read of 1 MiB: all of it, the stream's",
	      "saw %s, bad byte %lld", res(r), bad);
	if (r > 0)
		rx_off += r;
	peer_check("the peer wrote 1 MiB", "sent 1048576");
	free(big);
}

/* MSG_TRUNC: the bytes are discarded and counted, not copied. */
static void sc_trunc(void)
{
	long long bad = -1;
	ssize_t r;

	peer_sends(1000, "the peer wrote 1000 bytes");
	r = recv(d, NULL, 400, MSG_TRUNC);
	check(r == 400, "MSG_TRUNC of 400: 400 bytes discarded", "saw %s",
	      res(r));
	if (r > 0)
		rx_off += r;
	r = recv(d, NULL, 100, MSG_TRUNC | MSG_PEEK);
	check(r == 100, "MSG_TRUNC | MSG_PEEK of 100: 100, nothing taken",
	      "saw %s", res(r));
	check(ioctl_int(SIOCINQ, "SIOCINQ") == 600,
	      "SIOCINQ after them: 600", "saw %d",
	      ioctl_int(SIOCINQ, "SIOCINQ"));
	r = recv_pat(1000, 0, &bad);
	check(r == 600, "the next read: the 600 bytes after the discarded",
	      "saw %s (bad byte %lld)", res(r), bad);
}

/*
 * SIOCINQ, SIOCOUTQ and SIOCOUTQNSD through a transfer into a peer that
 * does not read (run with the peer's --rcvbuf small): written bytes wait,
 * some of them not yet sent; once the peer reads, all are acknowledged.
 */
static void sc_queues(void)
{
	ssize_t first;
	int oq, nsd;

	peer_sends(5000, "the peer wrote 5000 bytes");
	recv_exact(5000, "read them");
	check(ioctl_int(SIOCINQ, "SIOCINQ") == 0, "SIOCINQ after reading: 0",
	      "saw %d", ioctl_int(SIOCINQ, "SIOCINQ"));
	check(outq() == 0 && ioctl_int(SIOCOUTQNSD, "SIOCOUTQNSD") == 0,
	      "SIOCOUTQ and SIOCOUTQNSD with nothing written: 0",
	      "saw %d and %d", outq(), ioctl_int(SIOCOUTQNSD, "SIOCOUTQNSD"));
	set_nonblock(true);
	fill_full(0, &first, "filled the send buffer: EAGAIN");
	set_nonblock(false);
	oq = outq();
	nsd = ioctl_int(SIOCOUTQNSD, "SIOCOUTQNSD");
	say("info SIOCOUTQ %d SIOCOUTQNSD %d", oq, nsd);
	check(oq > 0 && (uint64_t)oq <= tx_off,
	      "SIOCOUTQ: what the peer has not acknowledged",
	      "saw %d of %llu written", oq, (unsigned long long)tx_off);
	check(nsd > 0 && nsd <= oq,
	      "SIOCOUTQNSD: some not yet sent (the window is closed)",
	      "saw %d, SIOCOUTQ %d", nsd, oq);
	peer_drain("the peer read everything");
	if (wait_ioctl(SIOCOUTQ, 0, WAIT_MS, "SIOCOUTQ") &&
	    wait_ioctl(SIOCOUTQNSD, 0, WAIT_MS, "SIOCOUTQNSD"))
		say("ok SIOCOUTQ and SIOCOUTQNSD back to 0");
}

/*
 * SO_RCVLOWAT with SO_RCVTIMEO: a read waits for the mark and returns what
 * it has when the time is up; poll says readable only at the mark.
 */
static void sc_lowat_timeo(void)
{
	long long bad = -1;
	double t0, dt;
	ssize_t r;

	set_int(SOL_SOCKET, SO_RCVLOWAT, 1000, "SO_RCVLOWAT");
	set_timeo(d, SO_RCVTIMEO, 1);
	peer_sends(500, "the peer wrote 500 bytes, under the mark");
	check_ready(OUT_, "500 bytes under SO_RCVLOWAT 1000: not readable");
	t0 = now();
	r = recv_pat(2000, 0, &bad);
	dt = now() - t0;
	say("info the read took %.3f s", dt);
	check(r == 500 && dt > 0.8 && dt < 3,
	      "a read waits out SO_RCVTIMEO 1 s, then returns the 500",
	      "saw %s after %.3f s (bad byte %lld)", res(r), dt, bad);
	peer_sends(600, "the peer wrote 600 more");
	check_ready(OUT_, "600 bytes under SO_RCVLOWAT 1000: not readable");
	peer_do("the peer wrote 500 more", "sent 500", "send 500");
	wait_ready(POLLIN, WAIT_MS, BY_POLL);
	check_ready(IN_ | OUT_, "1100 bytes: readable");
	recv_exact(1100, "read the 1100");
	set_timeo(d, SO_RCVTIMEO, 30);
	set_int(SOL_SOCKET, SO_RCVLOWAT, 1, "SO_RCVLOWAT");
}

/* A reader that sleeps while the peer writes 2 MiB: zero windows, then all. */
static void sc_zero_window(void)
{
	peer_cmd("send %d", 2 << 20);
	msleep(3000);
	recv_exact(2 << 20, "a slow reader gets all 2 MiB written meanwhile");
	peer_check("the peer's writes all completed", "sent 2097152");
}

/*
 * TCP_NOTSENT_LOWAT 16 KiB into a peer that does not read (its
 * --rcvbuf small): writes stop with EAGAIN once 16 KiB wait unsent
 * (tcp_stream_memory_free()), poll says not writable (it asks for less
 * than half the mark), a blocking write waits out SO_SNDTIMEO; as the
 * peer reads, poll says writable again and a blocked writer wakes.
 */
#define LOWAT	16384
static void sc_notsent_lowat(void)
{
	unsigned long long base;
	char want[64];
	ssize_t first, r;
	double t0, dt;
	int nsd;

	set_int(SOL_SOCKET, SO_SNDBUF, 1 << 20, "SO_SNDBUF");
	set_int(IPPROTO_TCP, TCP_NOTSENT_LOWAT, LOWAT, "TCP_NOTSENT_LOWAT");
	check(get_int(IPPROTO_TCP, TCP_NOTSENT_LOWAT) == LOWAT,
	      "TCP_NOTSENT_LOWAT reads back 16384", "saw %d",
	      get_int(IPPROTO_TCP, TCP_NOTSENT_LOWAT));
	check_ready(OUT_, "nothing written: writable");
	set_nonblock(true);
	fill_full(0, &first, "filled to the mark: EAGAIN");
	nsd = ioctl_int(SIOCOUTQNSD, "SIOCOUTQNSD");
	say("info SIOCOUTQ %d SIOCOUTQNSD %d", outq(), nsd);
	check(nsd >= LOWAT, "SIOCOUTQNSD: at least the mark unsent",
	      "saw %d", nsd);
	check_ready(0, "16 KiB unsent: not writable");
	check_err(send_pat(100, 0), EAGAIN,
		  "a 100-byte write at the mark: EAGAIN");
	set_nonblock(false);
	set_timeo(d, SO_SNDTIMEO, 1);
	t0 = now();
	r = send_pat(100, 0);
	dt = now() - t0;
	say("info the blocking write took %.3f s", dt);
	check(r < 0 && errno == EAGAIN && dt > 0.8 && dt < 3,
	      "a blocking write waits out SO_SNDTIMEO 1 s: EAGAIN",
	      "saw %s after %.3f s", res(r), dt);
	peer_drain("the peer read everything");
	if (wait_ready(OUT_, WAIT_MS, BY_POLL))
		say("ok the peer read: writable again");
	check_ready(OUT_, "all read: writable");
	r = send_pat(100, MSG_DONTWAIT);
	check(r == 100, "a 100-byte write under the mark goes", "saw %s",
	      res(r));

	/* a writer blocked at the mark wakes as the peer reads */
	base = tx_off;
	set_nonblock(true);
	fill_full(0, &first, "filled to the mark again: EAGAIN");
	set_nonblock(false);
	check_ready(0, "again 16 KiB unsent: not writable");
	set_timeo(d, SO_SNDTIMEO, 30);
	peer_cmd("drain %llu", (unsigned long long)(tx_off - base) + 100);
	t0 = now();
	r = send_pat(4096, 0);
	say("info the blocked write took %.3f s", now() - t0);
	check(r == 4096, "a blocked write wakes when the peer reads",
	      "saw %s", res(r));
	snprintf(want, sizeof(want), "drained %llu ok",
		 (unsigned long long)(tx_off - base) - 4096 + 100);
	peer_check("the peer read all before the last write", want);
	peer_cmd("drain 4096");
	peer_check("the peer read the last write", "drained 4096 ok");
}

/* Options servers set on every connection: each takes, and reads back. */
static void sc_options(void)
{
	static const struct {
		int level, name, val;
		const char *what;
		bool readback;
	} o[] = {
		{ IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY", true },
		{ IPPROTO_TCP, TCP_KEEPIDLE, 30, "TCP_KEEPIDLE", true },
		{ IPPROTO_TCP, TCP_KEEPINTVL, 5, "TCP_KEEPINTVL", true },
		{ IPPROTO_TCP, TCP_KEEPCNT, 4, "TCP_KEEPCNT", true },
		{ SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE", true },
		{ IPPROTO_TCP, TCP_USER_TIMEOUT, 20000, "TCP_USER_TIMEOUT", true },
		{ IPPROTO_TCP, TCP_LINGER2, 10, "TCP_LINGER2", true },
		{ IPPROTO_TCP, TCP_WINDOW_CLAMP, 65536, "TCP_WINDOW_CLAMP", true },
		{ IPPROTO_TCP, TCP_QUICKACK, 1, "TCP_QUICKACK", false },
		{ IPPROTO_IP, IP_TOS, 0x10, "IP_TOS", true },
		{ IPPROTO_IP, IP_TTL, 33, "IP_TTL", true },
		{ IPPROTO_TCP, TCP_CORK, 1, "TCP_CORK on", true },
		{ IPPROTO_TCP, TCP_CORK, 0, "TCP_CORK off", true },
		{ SOL_SOCKET, SO_RCVBUF, 65536, "SO_RCVBUF", false },
		{ SOL_SOCKET, SO_SNDBUF, 131072, "SO_SNDBUF", false },
	};
	size_t i;

	for (i = 0; i < sizeof(o) / sizeof(o[0]); i++) {
		char what[96];
		int got;

		snprintf(what, sizeof(what), "setsockopt %s %d", o[i].what,
			 o[i].val);
		if (setsockopt(d, o[i].level, o[i].name, &o[i].val,
			       sizeof(int))) {
			check(false, what, "%s", errname(errno));
			continue;
		}
		got = get_int(o[i].level, o[i].name);
		if (o[i].readback)
			check(got == o[i].val, what, "getsockopt says %d", got);
		else
			say("ok %s", what);
		say("info %s reads back %d", o[i].what, got);
	}
	say("info TCP_MAXSEG %d", get_int(IPPROTO_TCP, TCP_MAXSEG));
	peer_cmd("readeof");
	send_all(200000, "then 200000 bytes go out");
	shutdown(d, SHUT_WR);
	peer_eof("the peer read them all, then EOF");
	peer_streams(100000, "and the peer's 100000 come in");
}

/*
 * What only TCP runs (the connection comes back to the host first): a
 * congestion module, TCP_MAXSEG (TCP_NOTSENT_LOWAT, which the NIC runs,
 * here on the restored socket).  The data goes on.
 */
static void sc_opts_restore(void)
{
	char cc[16] = "reno", got[16] = "";
	socklen_t len = sizeof(got);

	if (setsockopt(d, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)) ||
	    getsockopt(d, IPPROTO_TCP, TCP_CONGESTION, got, &len))
		check(false, "TCP_CONGESTION reno", "%s", errname(errno));
	else
		check(!strcmp(got, "reno"), "TCP_CONGESTION reno",
		      "reads back '%s'", got);
	set_int(IPPROTO_TCP, TCP_NOTSENT_LOWAT, 16384, "TCP_NOTSENT_LOWAT");
	check(get_int(IPPROTO_TCP, TCP_NOTSENT_LOWAT) == 16384,
	      "TCP_NOTSENT_LOWAT 16384", "reads back %d",
	      get_int(IPPROTO_TCP, TCP_NOTSENT_LOWAT));
	set_int(IPPROTO_TCP, TCP_MAXSEG, 1000, "TCP_MAXSEG");
	say("ok TCP_MAXSEG 1000 taken");
	peer_cmd("readeof");
	send_all(300000, "then 300000 bytes go out");
	shutdown(d, SHUT_WR);
	peer_eof("the peer read them all, then EOF");
	peer_streams(300000, "and the peer's 300000 come in");
}

/* The peer's wait for what it was told is on its way, in seconds. */
static double peer_drain_time(const char *what)
{
	double t0 = now(), dt;

	peer_drain(what);
	dt = now() - t0;
	say("info %s: %.3f s", what, dt);
	return dt;
}

/*
 * TCP_CORK holds writes shorter than a segment back; with nothing in
 * flight, TCP's zero-window probe timer sends them after the RTO (at
 * least 200 ms: the "200 ms ceiling" of tcp(7)), or uncorking at once.
 * MSG_MORE holds the same way, until the next write without it.
 */
static void sc_cork(void)
{
	double dt;
	int i;

	set_int(IPPROTO_TCP, TCP_CORK, 1, "TCP_CORK");
	for (i = 0; i < 5; i++)
		if (send_pat(100, 0) != 100)
			die("send");
	peer_do("corked, 5 writes of 100 bytes: the peer sees none in 100 ms",
		"nodata", "nodata 100");
	dt = peer_drain_time("still corked: the peer gets the 500 bytes");
	check(dt < 1.5, "still corked: they came after the RTO", "%.3f s", dt);
	for (i = 0; i < 3; i++)
		if (send_pat(100, 0) != 100)
			die("send");
	peer_do("corked, 3 writes of 100 bytes: the peer sees none in 100 ms",
		"nodata", "nodata 100");
	set_int(IPPROTO_TCP, TCP_CORK, 0, "TCP_CORK");
	peer_drain("uncorked: the peer reads the 300");
	if (send_pat(300, MSG_MORE) != 300)
		die("send");
	peer_do("300 bytes with MSG_MORE: the peer sees none in 100 ms",
		"nodata", "nodata 100");
	if (send_pat(200, 0) != 200)
		die("send");
	peer_drain("the next write without it: the peer reads all 500");
}

static struct tcp_info tcp_info_now(void)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(d, IPPROTO_TCP, TCP_INFO, &ti, &len))
		die("TCP_INFO");
	return ti;
}

/*
 * TCP_INFO counts every byte each way, those before the handoff too (the
 * peer wrote some before we accepted: --presend), and its figures move.
 */
static void sc_tcp_info(void)
{
	struct tcp_info a, b, c;

	if (opt.presend) {
		wait_ioctl(SIOCINQ, opt.presend, WAIT_MS, "SIOCINQ");
		recv_exact(opt.presend, "read what the peer wrote before accept");
	}
	peer_streams(100000, "the peer's 100000 bytes come in");
	peer_cmd("readeof");
	send_all(500000, "wrote 500000 bytes");
	wait_ioctl(SIOCOUTQ, 0, WAIT_MS, "SIOCOUTQ");
	a = tcp_info_now();
	say("info rtt %u us, rttvar %u, cwnd %u, ssthresh %u, mss %u, segs in %u out %u, data segs in %u out %u, retrans %u, bytes sent %llu retrans %llu",
	    a.tcpi_rtt, a.tcpi_rttvar, a.tcpi_snd_cwnd, a.tcpi_snd_ssthresh,
	    a.tcpi_snd_mss, a.tcpi_segs_in, a.tcpi_segs_out,
	    a.tcpi_data_segs_in, a.tcpi_data_segs_out, a.tcpi_total_retrans,
	    (unsigned long long)a.tcpi_bytes_sent,
	    (unsigned long long)a.tcpi_bytes_retrans);
	check(a.tcpi_state == 1, "TCP_INFO state: ESTABLISHED", "saw %u",
	      a.tcpi_state);
	check(a.tcpi_bytes_received == rx_off,
	      "TCP_INFO bytes_received: every byte read, those before accept too",
	      "saw %llu, read %llu", (unsigned long long)a.tcpi_bytes_received,
	      (unsigned long long)rx_off);
	check(a.tcpi_bytes_acked == tx_off,
	      "TCP_INFO bytes_acked: every byte written",
	      "saw %llu, wrote %llu", (unsigned long long)a.tcpi_bytes_acked,
	      (unsigned long long)tx_off);
	check(a.tcpi_bytes_sent >= tx_off, "TCP_INFO bytes_sent: at least those",
	      "saw %llu", (unsigned long long)a.tcpi_bytes_sent);
	check(a.tcpi_rtt > 0 && a.tcpi_snd_cwnd > 0 && a.tcpi_snd_mss > 0,
	      "TCP_INFO rtt, cwnd and mss are set", "rtt %u cwnd %u mss %u",
	      a.tcpi_rtt, a.tcpi_snd_cwnd, a.tcpi_snd_mss);
	check(a.tcpi_data_segs_in >= rx_off / a.tcpi_rcv_mss &&
	      a.tcpi_data_segs_out >= tx_off / a.tcpi_snd_mss &&
	      a.tcpi_segs_in >= a.tcpi_data_segs_in &&
	      a.tcpi_segs_out >= a.tcpi_data_segs_out,
	      "TCP_INFO segment counts cover the bytes", "in %u/%u out %u/%u",
	      a.tcpi_data_segs_in, a.tcpi_segs_in, a.tcpi_data_segs_out,
	      a.tcpi_segs_out);
	check(a.tcpi_unacked == 0 && a.tcpi_notsent_bytes == 0,
	      "TCP_INFO all acknowledged: nothing unacked, nothing unsent",
	      "unacked %u notsent %u", a.tcpi_unacked, a.tcpi_notsent_bytes);
	send_all(300000, "wrote 300000 more");
	wait_ioctl(SIOCOUTQ, 0, WAIT_MS, "SIOCOUTQ");
	b = tcp_info_now();
	check(b.tcpi_bytes_acked == tx_off &&
	      b.tcpi_data_segs_out > a.tcpi_data_segs_out &&
	      b.tcpi_segs_in > a.tcpi_segs_in,
	      "TCP_INFO moves with the transfer",
	      "acked %llu of %llu, data segs out %u -> %u, segs in %u -> %u",
	      (unsigned long long)b.tcpi_bytes_acked,
	      (unsigned long long)tx_off, a.tcpi_data_segs_out,
	      b.tcpi_data_segs_out, a.tcpi_segs_in, b.tcpi_segs_in);
	/* offloaded, TCP_CONGESTION restores first: TCP counts on */
	if (setsockopt(d, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5))
		die("TCP_CONGESTION");
	c = tcp_info_now();
	check(c.tcpi_bytes_acked == tx_off && c.tcpi_bytes_received == rx_off &&
	      c.tcpi_data_segs_out >= b.tcpi_data_segs_out &&
	      c.tcpi_segs_in >= b.tcpi_segs_in &&
	      c.tcpi_bytes_sent >= b.tcpi_bytes_sent,
	      "TCP_INFO after TCP_CONGESTION counts on: every byte each way",
	      "acked %llu of %llu, received %llu of %llu, data segs out %u -> %u",
	      (unsigned long long)c.tcpi_bytes_acked,
	      (unsigned long long)tx_off,
	      (unsigned long long)c.tcpi_bytes_received,
	      (unsigned long long)rx_off, b.tcpi_data_segs_out,
	      c.tcpi_data_segs_out);
	shutdown(d, SHUT_WR);
	peer_eof("the peer read every byte, then EOF");
}

/* ---- urgent data ---------------------------------------------------------- */

static volatile sig_atomic_t urg_signals;

static void on_sigurg(int sig)
{
	urg_signals++;
}

static int atmark(void)
{
	return ioctl_int(SIOCATMARK, "SIOCATMARK");
}

/*
 * The peer's urgent byte: POLLPRI and SIGURG, a read that stops at the
 * mark, sockatmark, recv(MSG_OOB); then with SO_OOBINLINE, the byte in
 * the stream after the mark.
 */
static void sc_urgent_in(void)
{
	struct sigaction sa = { .sa_handler = on_sigurg };
	long long bad = -1;
	unsigned char b;
	ssize_t r;

	sigaction(SIGURG, &sa, NULL);
	if (fcntl(d, F_SETOWN, getpid()))
		die("F_SETOWN");
	check_err(recv(d, &b, 1, MSG_OOB), EINVAL,
		  "recv(MSG_OOB) with no urgent data: EINVAL");
	check(atmark() == 0, "sockatmark with no urgent data: 0", "saw 1");
	peer_do("the peer wrote 100 bytes", "sent 100", "send 100");
	peer_do("then 1 urgent byte", "oob 100", "oob");
	peer_do("then 100 bytes", "sent 100", "send 100");
	wait_ready(POLLPRI, WAIT_MS, BY_SELECT);
	check(urg_signals > 0, "SIGURG came", "no signal");
	r = recv_pat(1000, 0, &bad);
	check(r == 100, "a read stops at the mark: 100 bytes",
	      "saw %s (bad byte %lld)", res(r), bad);
	check(atmark() == 1, "sockatmark at the mark: 1", "saw 0");
	r = recv(d, &b, 1, MSG_OOB);
	check(r == 1 && b == pat(100), "recv(MSG_OOB): the urgent byte",
	      "saw %s, byte %u", res(r), b);
	rx_off = 101;		/* out of band: not in the stream */
	check_err(recv(d, &b, 1, MSG_OOB), EINVAL,
		  "recv(MSG_OOB) again: EINVAL");
	recv_exact(100, "then the 100 bytes after it");

	set_int(SOL_SOCKET, SO_OOBINLINE, 1, "SO_OOBINLINE");
	urg_signals = 0;
	peer_do("the peer wrote 50 bytes", "sent 50", "send 50");
	peer_do("then 1 urgent byte", "oob 251", "oob");
	peer_do("then 50 bytes", "sent 50", "send 50");
	wait_ready(POLLPRI, WAIT_MS, BY_POLL);
	check(urg_signals > 0, "SO_OOBINLINE: SIGURG came", "no signal");
	r = recv_pat(1000, 0, &bad);
	check(r == 50, "SO_OOBINLINE: a read stops at the mark: 50 bytes",
	      "saw %s (bad byte %lld)", res(r), bad);
	check(atmark() == 1, "SO_OOBINLINE: sockatmark at the mark: 1",
	      "saw 0");
	check_err(recv(d, &b, 1, MSG_OOB), EINVAL,
		  "SO_OOBINLINE: recv(MSG_OOB) is EINVAL");
	recv_exact(51, "SO_OOBINLINE: the urgent byte in the stream, then 50");
}

/* Our urgent byte: the peer gets it out of band, the stream around it. */
static void sc_urgent_out(void)
{
	unsigned char b;
	ssize_t r;

	send_all(100, "wrote 100 bytes");
	peer_do("the peer read them", "drained 100 ok", "drain 100");
	b = pat(tx_off);
	r = send(d, &b, 1, MSG_OOB);
	check(r == 1, "send(MSG_OOB) of 1 byte", "saw %s", res(r));
	tx_off++;
	peer_do("the peer's recv(MSG_OOB) gets it", "oob ok", "recvoob 100");
	send_all(100, "wrote 100 more");
	peer_do("the peer read them", "drained 100 ok", "drain 100");
}

/* ---- MSG_ZEROCOPY --------------------------------------------------------- */

/* Completions on the error queue until ids [id0, id0 + n) are all in. */
static bool zc_reap(uint32_t id0, uint32_t n, const char *what)
{
	uint32_t done = 0, copied = 0, lo = ~0u, hi = 0;
	double end = now() + WAIT_MS / 1000.0;

	while (done < n && now() < end) {
		char control[128];
		struct msghdr msg = { .msg_control = control,
				      .msg_controllen = sizeof(control) };
		struct cmsghdr *cm;
		struct sock_extended_err *ee;

		if (recvmsg(d, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN)
				die("recvmsg(MSG_ERRQUEUE)");
			wait_ready(POLLERR, WAIT_MS, BY_POLL);
			continue;
		}
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm || cm->cmsg_level != SOL_IP ||
		    cm->cmsg_type != IP_RECVERR) {
			check(false, what, "a message that is no IP_RECVERR");
			return false;
		}
		ee = (struct sock_extended_err *)CMSG_DATA(cm);
		if (ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY || ee->ee_errno) {
			check(false, what, "origin %u errno %u", ee->ee_origin,
			      ee->ee_errno);
			return false;
		}
		lo = ee->ee_info < lo ? ee->ee_info : lo;
		hi = ee->ee_data > hi ? ee->ee_data : hi;
		done += ee->ee_data - ee->ee_info + 1;
		if (ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
			copied += ee->ee_data - ee->ee_info + 1;
	}
	say("info zero-copy completions: ids %u..%u, %u of them copied", lo,
	    hi, copied);
	check(done == n && lo == id0 && hi == id0 + n - 1, what,
	      "%u completions, ids %u..%u", done, lo, hi);
	return done == n;
}

/*
 * MSG_ZEROCOPY with SO_ZEROCOPY: every send completes on the error queue
 * (POLLERR), ids in order; without SO_ZEROCOPY the flag does nothing.
 */
/*
 * n stream bytes sent with MSG_ZEROCOPY from buffers of their own, which
 * stay untouched until their completions are in (zc_reap()).
 */
static void zc_send(unsigned char **bufs, int nbufs, size_t n)
{
	int i;

	for (i = 0; i < nbufs; i++) {
		bufs[i] = malloc(n);
		if (!bufs[i])
			die("malloc");
		fill_pat(bufs[i], n, tx_off);
		if (send(d, bufs[i], n, MSG_ZEROCOPY) != (ssize_t)n)
			die("send with MSG_ZEROCOPY");
		tx_off += n;
	}
}

/*
 * MSG_ZEROCOPY with SO_ZEROCOPY: every send completes on the error queue
 * (POLLERR), ids in order; without SO_ZEROCOPY the flag does nothing.
 */
static void sc_zerocopy(void)
{
	unsigned char *bufs[5];
	int i;

	peer_cmd("readeof");
	for (i = 0; i < 3; i++)
		if (send_pat(65536, MSG_ZEROCOPY) != 65536)
			die("send without SO_ZEROCOPY");
	msleep(200);
	check(!(ready_poll() & POLLERR),
	      "MSG_ZEROCOPY without SO_ZEROCOPY: no completion", "POLLERR");
	set_int(SOL_SOCKET, SO_ZEROCOPY, 1, "SO_ZEROCOPY");
	zc_send(bufs, 3, 65536);
	zc_reap(0, 3, "3 MSG_ZEROCOPY sends: completions 0..2");
	zc_send(bufs + 3, 2, 100000);
	zc_reap(3, 2, "2 more: completions 3..4");
	for (i = 0; i < 5; i++)
		free(bufs[i]);
	shutdown(d, SHUT_WR);
	peer_eof("the peer read every byte, then EOF");
}

/* ---- transmit timestamps ---------------------------------------------------- */

/*
 * The next SO_TIMESTAMPING message on the error queue: its key (OPT_ID:
 * the byte it stamps), whether it is a software send timestamp with a
 * time.  False if none comes within WAIT_MS.
 */
static bool ts_reap(uint32_t *key)
{
	double end = now() + WAIT_MS / 1000.0;

	while (now() < end) {
		char control[256];
		struct msghdr msg = { .msg_control = control,
				      .msg_controllen = sizeof(control) };
		struct scm_timestamping *tss = NULL;
		struct sock_extended_err *ee = NULL;
		struct cmsghdr *cm;

		if (recvmsg(d, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN)
				die("recvmsg(MSG_ERRQUEUE)");
			wait_ready(POLLERR, WAIT_MS, BY_POLL);
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SO_TIMESTAMPING)
				tss = (struct scm_timestamping *)CMSG_DATA(cm);
			else if (cm->cmsg_level == SOL_IP &&
				 cm->cmsg_type == IP_RECVERR)
				ee = (struct sock_extended_err *)CMSG_DATA(cm);
		}
		if (!tss || !ee || ee->ee_origin != SO_EE_ORIGIN_TIMESTAMPING ||
		    ee->ee_info != SCM_TSTAMP_SND ||
		    (!tss->ts[0].tv_sec && !tss->ts[0].tv_nsec))
			return false;
		*key = ee->ee_data;
		return true;
	}
	return false;
}

/*
 * SO_TIMESTAMPING software transmit timestamps with OPT_ID: one per
 * write, keyed by its last byte, as TCP takes them when the segment
 * leaves (an offloaded connection goes back to TCP first).
 */
static void sc_tx_timestamp(void)
{
	uint32_t key = ~0u;
	bool got;

	peer_cmd("readeof");
	set_int(SOL_SOCKET, SO_TIMESTAMPING,
		SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
		SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY,
		"SO_TIMESTAMPING");
	send_all(1000, "wrote 1000 bytes");
	got = ts_reap(&key);
	check(got && key == 999,
	      "a software send timestamp for the write's last byte (key 999)",
	      "%s, key %u", got ? "one" : "none", key);
	send_all(500, "wrote 500 more");
	got = ts_reap(&key);
	check(got && key == 1499, "and one for the next write's (key 1499)",
	      "%s, key %u", got ? "one" : "none", key);
	shutdown(d, SHUT_WR);
	peer_eof("the peer read every byte, then EOF");
}

/* ---- splice ----------------------------------------------------------------- */

/* splice() from the socket to a pipe: every byte, and EAGAIN with none. */
static void sc_splice(void)
{
	const uint64_t n = 1 << 20;
	uint64_t got = 0;
	int p[2];

	if (pipe(p))
		die("pipe");
	check_err(splice(d, NULL, p[1], NULL, 4096, SPLICE_F_NONBLOCK),
		  EAGAIN, "splice with nothing to read, SPLICE_F_NONBLOCK: EAGAIN");
	peer_cmd("send %llu", (unsigned long long)n);
	while (got < n) {
		ssize_t r = splice(d, NULL, p[1], NULL, 65536, 0), m;
		long long bad;

		if (r <= 0) {
			check(false, "splice of 1 MiB", "%s after %llu",
			      res(r), (unsigned long long)got);
			break;
		}
		for (m = 0; m < r; ) {
			ssize_t k = read(p[0], buf, r - m);

			if (k <= 0)
				die("read from the pipe");
			bad = bad_pat(buf, k, rx_off);
			if (bad >= 0) {
				check(false, "splice of 1 MiB",
				      "wrong byte at %lld", bad);
				goto out;
			}
			rx_off += k;
			m += k;
		}
		got += r;
	}
	say("ok splice from the socket: 1 MiB, every byte the stream's");
out:
	peer_check("the peer wrote 1 MiB", "sent 1048576");
	close(p[0]);
	close(p[1]);
}

/* ---- timeouts (the shell says which way to take the peer away) ------------ */

/* Wait for a blocking read to fail; its error and how long it took. */
static double read_fails(int *err)
{
	double t0 = now();
	ssize_t r;

	set_timeo(d, SO_RCVTIMEO, 60);
	r = recv(d, buf, 1, 0);
	*err = r < 0 ? errno : 0;
	return now() - t0;
}

/* Keepalive 1 s idle, 1 s apart, 3 probes: ETIMEDOUT after about 4 s. */
static void sc_keepalive(void)
{
	double dt;
	int err;

	set_int(SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	set_int(IPPROTO_TCP, TCP_KEEPIDLE, 1, "TCP_KEEPIDLE");
	set_int(IPPROTO_TCP, TCP_KEEPINTVL, 1, "TCP_KEEPINTVL");
	set_int(IPPROTO_TCP, TCP_KEEPCNT, 3, "TCP_KEEPCNT");
	peer_do("the peer's link went down", "link down", "link down");
	dt = read_fails(&err);
	say("info keepalive gave up after %.3f s", dt);
	check(err == ETIMEDOUT && dt > 3 && dt < 8,
	      "keepalive 1+3x1 s: the read fails with ETIMEDOUT after about 4 s",
	      "%s after %.3f s", errname(err), dt);
	peer_do("the peer's link is up", "link up", "link up");
}

/* TCP_USER_TIMEOUT 3 s with data in flight: ETIMEDOUT after about 3 s. */
static void sc_user_timeout(void)
{
	double dt;
	int err;

	set_int(IPPROTO_TCP, TCP_USER_TIMEOUT, 3000, "TCP_USER_TIMEOUT");
	peer_do("the peer's link went down", "link down", "link down");
	send_all(10000, "wrote 10000 bytes nobody acknowledges");
	dt = read_fails(&err);
	say("info the user timeout fired after %.3f s", dt);
	check(err == ETIMEDOUT && dt > 2 && dt < 8,
	      "TCP_USER_TIMEOUT 3 s: the read fails with ETIMEDOUT after about 3 s",
	      "%s after %.3f s", errname(err), dt);
	peer_do("the peer's link is up", "link up", "link up");
}

/* Whether /proc/net/tcp lists a socket on our local port. */
static bool port_listed(unsigned int port)
{
	char line[256], want[16];
	FILE *f = fopen("/proc/net/tcp", "r");
	bool found = false;

	if (!f)
		die("/proc/net/tcp");
	snprintf(want, sizeof(want), ":%04X ", port);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want) && strstr(line, want) < line + 20)
			found = true;	/* the local address column */
	fclose(f);
	return found;
}

/*
 * Closed while the peer keeps its side open: the orphan waits in
 * FIN_WAIT2 for net.ipv4.tcp_fin_timeout (3 s, set by the shell), then
 * is gone without a segment.
 */
static void sc_fin_wait2(void)
{
	unsigned int port = atoi(opt.listen_port);
	double t0, dt;

	send_all(1000, "wrote 1000 bytes");
	peer_drain("the peer read them");
	close(d);
	d = -1;
	t0 = now();
	msleep(1500);
	check(port_listed(port), "1.5 s after close: still in FIN_WAIT2",
	      "gone already");
	while (port_listed(port) && now() - t0 < 30)
		msleep(100);
	dt = now() - t0;
	say("info gone after %.3f s", dt);
	check(dt > 2.5 && dt < 8,
	      "the orphan is gone after tcp_fin_timeout 3 s", "after %.3f s",
	      dt);
	peer_do("the peer's side saw no reset: it reads EOF", "eof",
		"recv");
	peer_do("the peer closed", "closed", "close");
}

const struct sc_scenario sc_sem[] = {
	{ "peek", sc_peek },
	{ "waitall", sc_waitall },
	{ "trunc", sc_trunc },
	{ "queues", sc_queues },
	{ "lowat_timeo", sc_lowat_timeo },
	{ "zero_window", sc_zero_window },
	{ "options", sc_options },
	{ "opts_restore", sc_opts_restore },
	{ "cork", sc_cork },
	{ "notsent_lowat", sc_notsent_lowat },
	{ "tcp_info", sc_tcp_info },
	{ "urgent_in", sc_urgent_in },
	{ "urgent_out", sc_urgent_out },
	{ "zerocopy", sc_zerocopy },
	{ "tx_timestamp", sc_tx_timestamp },
	{ "splice", sc_splice },
	{ "keepalive", sc_keepalive },
	{ "user_timeout", sc_user_timeout },
	{ "fin_wait2", sc_fin_wait2 },
	{ NULL, NULL }
};
