// SPDX-License-Identifier: GPL-2.0
/*
 * sc_basic.c - sockcheck's scenarios of readiness, non-blocking calls,
 * shutdown and close (the bypass suite's bp_poll_semantics,
 * bp_nonblocking and bp_shutdown_close).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockcheck.h"

/*
 * Readiness through a connection's life: idle, data, SO_RCVLOWAT, a full
 * send buffer and its draining, the peer's FIN (RDHUP, EOF), our own
 * shutdown (HUP).
 */
static void sc_poll_data(void)
{
	ssize_t first;

	check_ready(OUT_, "idle: writable only");

	peer_cmd("late send 100");
	wait_ready(POLLIN, WAIT_MS, BY_EPOLL);
	peer_check("the peer wrote 100 bytes (epoll_wait woke)", "sent 100");
	check_ready(IN_ | OUT_, "100 bytes in: readable and writable");

	set_int(SOL_SOCKET, SO_RCVLOWAT, 200, "SO_RCVLOWAT");
	check_ready(OUT_, "100 bytes under SO_RCVLOWAT 200: not readable");
	peer_cmd("late send 100");
	wait_ready(POLLIN, WAIT_MS, BY_SELECT);
	peer_check("the peer wrote 100 more (select woke)", "sent 100");
	check_ready(IN_ | OUT_, "200 bytes at SO_RCVLOWAT 200: readable");
	set_int(SOL_SOCKET, SO_RCVLOWAT, 1, "SO_RCVLOWAT");
	recv_exact(200, "read the 200 bytes");
	check_ready(OUT_, "all read: writable only");

	/* the peer does not read: our send buffer fills */
	set_int(SOL_SOCKET, SO_SNDBUF, 16384, "SO_SNDBUF");
	fill_full(MSG_DONTWAIT, &first, "send buffer filled: EAGAIN");
	check_ready(0, "send buffer full: neither readable nor writable");
	peer_cmd("drain %llu", (unsigned long long)tx_off);
	wait_ready(POLLOUT, WAIT_MS, BY_POLL);
	check_ready(OUT_, "the peer read: writable again (poll woke)");
	{
		char want[64];

		snprintf(want, sizeof(want), "drained %llu ok",
			 (unsigned long long)tx_off);
		peer_check("the peer read every byte", want);
	}

	peer_do("the peer shut down its side", "shut", "shut");
	wait_ready(POLLRDHUP, WAIT_MS, BY_EPOLL);
	check_ready(IN_ | OUT_ | POLLRDHUP,
		    "peer's FIN: readable, RDHUP, writable, no HUP");
	check_eof("read at the peer's FIN: EOF");
	check_ready(IN_ | OUT_ | POLLRDHUP, "EOF read: still the same");

	if (shutdown(d, SHUT_WR))
		die("shutdown");
	check_ready(IN_ | OUT_ | POLLRDHUP | POLLHUP,
		    "both directions shut: HUP, readable, writable");
	peer_cmd("readeof");
	peer_eof("the peer read every byte, then our FIN");
	peer_do("the peer closed", "closed", "close");
	check_ready(IN_ | OUT_ | POLLRDHUP | POLLHUP,
		    "after the peer's close: the same");
}

/* A RST from the peer: ERR and HUP, ECONNRESET once, then EOF and EPIPE. */
static void sc_poll_reset(void)
{
	int err;

	check_ready(OUT_, "idle: writable only");
	peer_do("the peer aborted (SO_LINGER 0 close)", "closed", "rst");
	wait_ready(POLLERR, WAIT_MS, BY_POLL);
	check_ready(IN_ | OUT_ | POLLRDHUP | POLLHUP | POLLERR,
		    "peer's RST: ERR, HUP, RDHUP, readable, writable");
	err = get_int(SOL_SOCKET, SO_ERROR);
	check(err == ECONNRESET, "SO_ERROR after the RST: ECONNRESET",
	      "saw %s", errname(err));
	check_ready(IN_ | OUT_ | POLLRDHUP | POLLHUP,
		    "error taken by SO_ERROR: ERR gone, HUP stays");
}

/*
 * The same RST while we sleep in read(), the error taken by it; then a
 * RST while we sleep in write() with a full buffer.
 */
static void sc_reset_read(void)
{
	peer_cmd("late rst");
	check_err(recv(d, buf, 1, 0), ECONNRESET,
		  "a read sleeping when the RST comes: ECONNRESET");
	peer_check("the peer aborted (SO_LINGER 0 close)", "closed");
	check_ready(IN_ | OUT_ | POLLRDHUP | POLLHUP,
		    "error taken by read: HUP, RDHUP, readable, writable");
	check_eof("the next read: EOF");
	check_err(send(d, "x", 1, MSG_NOSIGNAL), EPIPE,
		  "write after the RST: EPIPE");
}

static void sc_reset_write(void)
{
	ssize_t first;

	set_nonblock(true);
	fill_full(0, &first, "filled the send buffer: EAGAIN");
	set_nonblock(false);
	peer_cmd("late rst");
	check_err(send_pat(BUF_SIZE, 0), ECONNRESET,
		  "a write sleeping for room when the RST comes: ECONNRESET");
	peer_check("the peer aborted (SO_LINGER 0 close)", "closed");
	check_ready(IN_ | OUT_ | POLLRDHUP | POLLHUP,
		    "error taken by write: HUP, RDHUP, readable, writable");
	check_err(send(d, "x", 1, MSG_NOSIGNAL), EPIPE,
		  "the next write: EPIPE");
	check_eof("a read: EOF");
}

/* recv with no data: EAGAIN however non-blocking is asked for. */
static void sc_nb_recv(void)
{
	struct timeval tv = { 0, 300000 };
	long long bad = -1;
	double t0, dt;
	ssize_t r;

	check_err(recv(d, buf, 10, MSG_DONTWAIT), EAGAIN,
		  "recv MSG_DONTWAIT, no data: EAGAIN");
	set_nonblock(true);
	check_err(recv(d, buf, 10, 0), EAGAIN,
		  "recv on O_NONBLOCK, no data: EAGAIN");
	check_err(read(d, buf, 10), EAGAIN,
		  "read on O_NONBLOCK, no data: EAGAIN");
	set_nonblock(false);

	if (setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("SO_RCVTIMEO");
	t0 = now();
	r = recv(d, buf, 10, 0);
	dt = now() - t0;
	say("info recv with SO_RCVTIMEO 300 ms returned after %.3f s", dt);
	check(r < 0 && errno == EAGAIN && dt >= 0.25 && dt < 5,
	      "blocking recv with SO_RCVTIMEO 300 ms, no data: EAGAIN after it",
	      "saw %s after %.3f s", res(r), dt);
	tv.tv_sec = 30;
	tv.tv_usec = 0;
	if (setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("SO_RCVTIMEO");

	peer_do("the peer wrote 10 bytes", "sent 10", "send 10");
	wait_ready(POLLIN, WAIT_MS, BY_POLL);
	set_nonblock(true);
	r = recv_pat(100, 0, &bad);
	check(r == 10, "O_NONBLOCK recv of 100 with 10 queued: 10", "saw %s",
	      r == -2 ? "wrong data" : res(r));
	check_err(recv(d, buf, 100, 0), EAGAIN, "then EAGAIN");

	/* SO_RCVLOWAT: readable only once all of it is there */
	set_int(SOL_SOCKET, SO_RCVLOWAT, 50000, "SO_RCVLOWAT");
	peer_do("the peer wrote 50000 bytes", "sent 50000", "send 50000");
	wait_ready(POLLIN, WAIT_MS, BY_EPOLL);
	r = recv_pat(BUF_SIZE, 0, &bad);
	check(r == 50000,
	      "readable at SO_RCVLOWAT 50000: recv gives all 50000", "saw %s",
	      r == -2 ? "wrong data" : res(r));
	set_int(SOL_SOCKET, SO_RCVLOWAT, 1, "SO_RCVLOWAT");
	check_err(recv(d, buf, 100, 0), EAGAIN, "then EAGAIN");

	peer_do("the peer shut down its side", "shut", "shut");
	wait_ready(POLLRDHUP, WAIT_MS, BY_POLL);
	check_eof("O_NONBLOCK recv at EOF: 0, not EAGAIN");
	close(d);
	d = -1;
	peer_cmd("readeof");
	peer_eof("the peer saw our FIN");
}

/*
 * A full send buffer: partial write, EAGAIN, SO_SNDBUF respected (set on
 * the listener, then larger on the connection); progress once the peer
 * reads.  The peer's small SO_RCVBUF (--rcvbuf) keeps its window small,
 * so what we queue is what SO_SNDBUF allows.
 */
static void sc_nb_send(void)
{
	int sb = get_int(SOL_SOCKET, SO_SNDBUF), sb2, q1, q2, eagains = 0;
	uint64_t target;
	ssize_t first;
	char what[96];

	snprintf(what, sizeof(what),
		 "SO_SNDBUF %d set on the listener: %d on the connection",
		 opt.sndbuf, 2 * opt.sndbuf);
	check(sb == 2 * opt.sndbuf, what, "saw %d", sb);

	set_nonblock(true);
	fill_full(0, &first, "O_NONBLOCK writes into a full buffer: EAGAIN");
	check(first > 0 && first < BUF_SIZE,
	      "the first write of 256 KiB: partial", "saw %s", res(first));
	q1 = outq();
	/*
	 * TCP counts its buffers' overhead against SO_SNDBUF and may pass it
	 * by one segment; the bypass protocol counts bytes.  Between half and
	 * all of it (and a segment) is queued either way.
	 */
	check(q1 >= sb / 2 && q1 <= sb + 16384,
	      "bytes queued (SIOCOUTQ) within SO_SNDBUF", "SIOCOUTQ %d, SO_SNDBUF %d",
	      q1, sb);
	check_err(send_pat(1000, 0), EAGAIN, "another write: EAGAIN");
	check_ready(0, "buffer full: not writable");

	peer_cmd("drain %llu", (unsigned long long)tx_off);
	wait_ready(POLLOUT, WAIT_MS, BY_EPOLL);
	check_ready(OUT_, "the peer read: writable (epoll_wait woke)");
	{
		char want[64];

		snprintf(want, sizeof(want), "drained %llu ok",
			 (unsigned long long)tx_off);
		peer_check("the peer read every byte", want);
	}

	/* a larger SO_SNDBUF on the connection, MSG_DONTWAIT on a blocking fd */
	set_nonblock(false);
	set_int(SOL_SOCKET, SO_SNDBUF, 4 * opt.sndbuf, "SO_SNDBUF");
	sb2 = get_int(SOL_SOCKET, SO_SNDBUF);
	fill_full(MSG_DONTWAIT, &first,
		  "MSG_DONTWAIT writes on a blocking socket, buffer full: EAGAIN");
	q2 = outq();
	check(q2 >= sb2 / 2 && q2 <= sb2 + 16384,
	      "SO_SNDBUF raised on the connection: SIOCOUTQ within it",
	      "SIOCOUTQ %d, SO_SNDBUF %d", q2, sb2);
	check(q2 > q1 + sb / 2, "the larger SO_SNDBUF queues more",
	      "SIOCOUTQ %d after %d", q2, q1);

	/* the peer reads on: non-blocking writes, waiting in poll */
	peer_cmd("readeof");
	set_nonblock(true);
	target = tx_off + (2 << 20);
	while (tx_off < target) {
		ssize_t r = send_pat(target - tx_off, 0);

		if (r > 0)
			continue;
		if (r == 0 || errno != EAGAIN) {
			check(false, "write while the peer reads", "saw %s",
			      res(r));
			break;
		}
		eagains++;
		if (!wait_ready(POLLOUT, WAIT_MS, BY_POLL))
			break;
	}
	/* how often EAGAIN came depends on who is faster: not checked */
	say("info 2 MiB more written with %d EAGAIN", eagains);
	check(tx_off == target,
	      "2 MiB more as the peer read: non-blocking writes, poll on EAGAIN",
	      "%llu of %llu written, %d EAGAIN", (unsigned long long)tx_off,
	      (unsigned long long)target, eagains);
	close(d);
	d = -1;
	peer_eof("the peer read every byte, then EOF");
}

/* Our SHUT_WR: the peer sees EOF; we still receive, then its EOF. */
static void sc_shut_wr(void)
{
	peer_cmd("readeof");
	send_all(100000, "wrote 100000 bytes");
	if (shutdown(d, SHUT_WR))
		die("shutdown");
	check_err(send(d, "x", 1, MSG_NOSIGNAL), EPIPE,
		  "write after SHUT_WR: EPIPE");
	check_ready(OUT_, "after SHUT_WR: writable (as TCP says), no HUP");
	peer_eof("the peer read the 100000 bytes, then EOF");
	peer_cmd("send 200000");
	recv_exact(200000, "we still receive after SHUT_WR: 200000 bytes");
	peer_check("the peer could still write", "sent 200000");
	peer_do("the peer shut down its side", "shut", "shut");
	check_eof("then the peer's EOF");
	check_ready(IN_ | OUT_ | POLLRDHUP | POLLHUP,
		    "both directions shut: HUP, readable, writable");
	close(d);
	d = -1;
	peer_do("the peer closed", "closed", "close");
}

/* The peer's SHUT_WR: we read EOF and can still send. */
static void sc_peer_shut(void)
{
	peer_cmd("send 100000");
	recv_exact(100000, "read 100000 bytes");
	peer_check("the peer wrote them", "sent 100000");
	peer_cmd("late shut");
	check_eof("a read sleeping when the peer's FIN comes: EOF");
	peer_check("the peer shut down its side", "shut");
	check_eof("and EOF again");
	check_ready(IN_ | OUT_ | POLLRDHUP, "at EOF: readable, RDHUP, writable");
	peer_cmd("readeof");
	send_all(1 << 20, "we still write after the peer's FIN: 1 MiB");
	close(d);
	d = -1;
	peer_eof("the peer read the 1 MiB, then EOF");
	peer_do("the peer closed", "closed", "close");
}

/* close() with SO_LINGER 0: a RST, the peer's read fails. */
static void sc_linger0(void)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	send_all(1000, "wrote 1000 bytes");
	peer_drain("the peer read them");
	if (setsockopt(d, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		die("SO_LINGER");
	close(d);
	d = -1;
	peer_do("SO_LINGER 0 close: the peer's read fails with ECONNRESET",
		"err ECONNRESET", "recv");
	peer_do("the peer closed", "closed", "close");
}

/*
 * close() with SO_LINGER 10 returns once the peer has every byte; with
 * SO_LINGER 1 and a peer that does not read, after that second, and the
 * connection still delivers everything, then EOF.
 */
static void sc_linger(void)
{
	struct linger l = { .l_onoff = 1, .l_linger = 10 };
	double t0, dt;

	peer_cmd("readeof");
	send_all(200000, "wrote 200000 bytes while the peer reads");
	if (setsockopt(d, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		die("SO_LINGER");
	t0 = now();
	close(d);
	dt = now() - t0;
	d = -1;
	say("info close with SO_LINGER 10 took %.3f s", dt);
	check(dt < 3, "close with SO_LINGER 10: returns when all is delivered",
	      "took %.3f s", dt);
	peer_eof("the peer read every byte, then EOF");
	peer_do("the peer closed", "closed", "close");
}

static void sc_linger_timeout(void)
{
	struct linger l = { .l_onoff = 1, .l_linger = 1 };
	double t0, dt;
	ssize_t first;

	set_nonblock(true);
	fill_full(0, &first, "filled the send buffer: EAGAIN");
	set_nonblock(false);
	if (setsockopt(d, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
		die("SO_LINGER");
	t0 = now();
	close(d);
	dt = now() - t0;
	d = -1;
	say("info close with SO_LINGER 1 took %.3f s", dt);
	check(dt > 0.9 && dt < 5,
	      "close with SO_LINGER 1, the peer not reading: returns after 1 s",
	      "took %.3f s", dt);
	peer_cmd("readeof");
	peer_eof("then the peer read every byte, then EOF");
	peer_do("the peer closed", "closed", "close");
}

/* close() with unread data: a RST (RFC 2525), as TCP does. */
static void sc_unread_close(void)
{
	peer_do("the peer wrote 1000 bytes", "sent 1000", "send 1000");
	wait_ready(POLLIN, WAIT_MS, BY_POLL);
	close(d);
	d = -1;
	peer_do("close with unread data: the peer's read fails with ECONNRESET",
		"err ECONNRESET", "recv");
	peer_do("the peer closed", "closed", "close");
}

/*
 * Write until the buffer is full while the peer does not read, close at
 * once: the orphaned connection still delivers every byte, then the FIN.
 */
static void sc_orphan(void)
{
	ssize_t first;

	set_nonblock(true);
	fill_full(0, &first, "filled the send buffer: EAGAIN");
	close(d);
	d = -1;
	peer_cmd("readeof");
	peer_eof("after our close the peer read every byte written, then EOF");
	peer_do("the peer closed", "closed", "close");
}

/* The same while the peer reads: close right after a 2 MiB write. */
static void sc_orphan_stream(void)
{
	peer_cmd("readeof");
	send_all(2 << 20, "wrote 2 MiB while the peer reads");
	close(d);
	d = -1;
	peer_eof("after our close the peer read all 2 MiB, then EOF");
	peer_do("the peer closed", "closed", "close");
}

const struct sc_scenario sc_basic[] = {
	{ "poll_data", sc_poll_data },
	{ "poll_reset", sc_poll_reset },
	{ "reset_read", sc_reset_read },
	{ "reset_write", sc_reset_write },
	{ "nb_recv", sc_nb_recv },
	{ "nb_send", sc_nb_send },
	{ "shut_wr", sc_shut_wr },
	{ "peer_shut", sc_peer_shut },
	{ "linger0", sc_linger0 },
	{ "linger", sc_linger },
	{ "linger_timeout", sc_linger_timeout },
	{ "unread_close", sc_unread_close },
	{ "orphan", sc_orphan },
	{ "orphan_stream", sc_orphan_stream },
	{ NULL, NULL }
};
