// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * repair.c - export a kernel TCP connection to a struct chw_conn_state and
 * import it back, with TCP_REPAIR (see repair.h).
 *
 * The sequence is CRIU's (soccr/soccr.c), checked against the rules that
 * net/ipv4/tcp.c enforces on each repair option:
 *
 *  - TCP_QUEUE_SEQ may only be set while the socket is still closed, so
 *    both queues' starting sequence numbers go in before connect().
 *  - connect() in repair mode sends no SYN and moves straight to
 *    ESTABLISHED; write_seq and rcv_nxt are taken from TCP_QUEUE_SEQ.
 *  - TCP_REPAIR_OPTIONS only works on an ESTABLISHED socket that has sent
 *    nothing, so it comes right after connect().
 *  - TCP_REPAIR_WINDOW refuses an rcv_wup beyond rcv_nxt, and rcv_nxt only
 *    reaches its old value once the receive queue has been written back,
 *    so the windows go in after the queues (not before, as a naive reading
 *    of the option list suggests: that fails with EINVAL whenever the
 *    application left data unread).
 *  - Data written in repair mode with TCP_SEND_QUEUE is marked as sent
 *    without being transmitted (and arms the retransmit timer); data
 *    written with TCP_RECV_QUEUE lands in the receive queue as if it had
 *    arrived.  Bytes never sent are written after repair mode is left, so
 *    they go out under the usual window and congestion rules.
 *  - A repair-mode connect() computes the cached MSS before
 *    TCP_REPAIR_OPTIONS can set the clamp, and nothing recomputes it
 *    later: without help the new socket sends 524-byte segments.
 *  - Nothing restores srtt, rttvar, cwnd, ssthresh, rcv_mss or
 *    ts_recent: the new socket starts with an initial RTO of 1 s and the
 *    initial cwnd, and learns the rest from the peer's next segments.
 *
 * Linux has no repair option for a received FIN.  Like CRIU, a CLOSE_WAIT
 * connection is rebuilt as ESTABLISHED with rcv_nxt in front of the FIN,
 * and a FIN|ACK segment from the peer's address is then sent to it through
 * a raw socket (it loops back through the local stack).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
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

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK		72	/* Linux 5.14 */
#endif
#ifndef SIOCOUTQNSD
#define SIOCOUTQNSD		0x894B
#endif

#define TCPOLEN_TSTAMP_ALIGNED	12	/* what timestamps take off each segment */
#define EXPORT_TRIES		32
#define FIN_WAIT_MS		2000	/* for the looped-back FIN to be processed */
#define SEND_WAIT_MS		10000	/* for room for the never-sent bytes */

static int set_int(int fd, int level, int name, int val)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) < 0)
		return -errno;
	return 0;
}

static int get_int(int fd, int level, int name, int *val)
{
	socklen_t len = sizeof(*val);

	if (getsockopt(fd, level, name, val, &len) < 0)
		return -errno;
	return 0;
}

static int get_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, SOL_TCP, TCP_INFO, ti, &len) < 0)
		return -errno;
	return 0;
}

/* ---- export ------------------------------------------------------------ */

/* What can change under us while repair mode is on: packets still arrive. */
struct snap {
	uint8_t state;
	uint32_t write_seq;
	uint32_t rcv_nxt;
	int outq;		/* write_seq - snd_una */
	int notsent;		/* write_seq - snd_nxt */
	int inq;		/* rcv_nxt - copied_seq, minus a FIN */
	struct tcp_repair_window win;
};

static int queue_seq(int fd, int queue, uint32_t *seq)
{
	socklen_t len = sizeof(*seq);
	int err;

	err = set_int(fd, SOL_TCP, TCP_REPAIR_QUEUE, queue);
	if (err)
		return err;
	if (getsockopt(fd, SOL_TCP, TCP_QUEUE_SEQ, seq, &len) < 0)
		return -errno;
	return 0;
}

/*
 * Read the receive side in TCP_RECV_QUEUE mode, then the send side in
 * TCP_SEND_QUEUE mode, and stay there: see repair_export().
 */
static int take_snap(int fd, struct snap *s)
{
	socklen_t len = sizeof(s->win);
	struct tcp_info ti;
	int err;

	memset(s, 0, sizeof(*s));
	err = queue_seq(fd, TCP_RECV_QUEUE, &s->rcv_nxt);
	if (err)
		return err;
	if (ioctl(fd, SIOCINQ, &s->inq) < 0)
		return -errno;
	err = queue_seq(fd, TCP_SEND_QUEUE, &s->write_seq);
	if (err)
		return err;
	if (ioctl(fd, SIOCOUTQ, &s->outq) < 0 ||
	    ioctl(fd, SIOCOUTQNSD, &s->notsent) < 0)
		return -errno;
	if (getsockopt(fd, SOL_TCP, TCP_REPAIR_WINDOW, &s->win, &len) < 0)
		return -errno;
	err = get_info(fd, &ti);
	if (err)
		return err;
	s->state = ti.tcpi_state;
	return 0;
}

static bool snap_equal(const struct snap *a, const struct snap *b)
{
	return a->state == b->state && a->write_seq == b->write_seq &&
	       a->rcv_nxt == b->rcv_nxt && a->outq == b->outq &&
	       a->notsent == b->notsent && a->inq == b->inq &&
	       !memcmp(&a->win, &b->win, sizeof(a->win));
}

/*
 * Copy a queue out with MSG_PEEK.  Ask for one byte more than expected so
 * that a queue which changed under us shows up as a short or long read;
 * -EAGAIN then means "take the snapshot again".  The send queue is copied
 * skb by skb and fails with EFAULT if the buffer is too short.
 */
static int peek_queue(int fd, int queue, size_t len, uint8_t **bufp)
{
	uint8_t *buf;
	ssize_t n;
	int err;

	*bufp = NULL;
	err = set_int(fd, SOL_TCP, TCP_REPAIR_QUEUE, queue);
	if (err)
		return err;
	if (!len)
		return 0;
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	n = recv(fd, buf, len + 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0) {
		err = -errno;
		free(buf);
		return (err == -EFAULT || err == -EAGAIN) ? -EAGAIN : err;
	}
	if ((size_t)n != len) {
		free(buf);
		return -EAGAIN;
	}
	*bufp = buf;
	return 0;
}

/* Fill a 16-byte ABI address and its port from a socket address. */
static int put_addr(const struct sockaddr_storage *ss, uint8_t *addr,
		    __be16 *port, uint8_t *family)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		memcpy(addr, &s4->sin_addr, 4);
		*port = s4->sin_port;
		*family = 4;
	} else if (ss->ss_family == AF_INET6 &&
		   IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		/* IPv4 on the wire: that is what the NIC must speak */
		memcpy(addr, &s6->sin6_addr.s6_addr[12], 4);
		*port = s6->sin6_port;
		*family = 4;
	} else if (ss->ss_family == AF_INET6) {
		memcpy(addr, &s6->sin6_addr, 16);
		*port = s6->sin6_port;
		*family = 6;
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

int repair_export(int fd, struct repair_conn *rc)
{
	struct chw_conn_state *st = &rc->st;
	struct sockaddr_storage la, pa;
	socklen_t alen;
	struct timespec taken;
	struct tcp_info ti;
	struct snap a, b;
	uint8_t lfam, pfam;
	int val, err, try;
	bool fin;

	memset(rc, 0, sizeof(*rc));
	err = get_int(fd, SOL_SOCKET, SO_PROTOCOL, &val);
	if (err)
		return err;
	if (val != IPPROTO_TCP)
		return -EINVAL;

	/* Check the state before repair mode: it is refused on listeners */
	err = get_info(fd, &ti);
	if (err)
		return err;
	if (ti.tcpi_state != TCP_ESTABLISHED && ti.tcpi_state != TCP_CLOSE_WAIT)
		return -EINVAL;

	alen = sizeof(la);
	if (getsockname(fd, (struct sockaddr *)&la, &alen) < 0)
		return -errno;
	alen = sizeof(pa);
	if (getpeername(fd, (struct sockaddr *)&pa, &alen) < 0)
		return -errno;
	err = put_addr(&la, st->local_addr, &st->local_port, &lfam);
	if (!err)
		err = put_addr(&pa, st->peer_addr, &st->peer_port, &pfam);
	if (err)
		return err;
	if (lfam != pfam)
		return -EINVAL;

	err = set_int(fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON);
	if (err)
		return err;

	/*
	 * Repair mode does not stop the socket: ACKs still trim the send
	 * queue, data still lands in the receive queue, and timers still
	 * send.  Read the sequence numbers, the queues, and the numbers
	 * again, until two passes agree; then the queues match the numbers.
	 *
	 * Each pass ends in TCP_SEND_QUEUE mode, and the socket is left in
	 * it.  In that mode whatever tcp_write_xmit() would send from the
	 * write queue (a tail loss probe takes new data when it can) is
	 * only marked as sent, never transmitted; so snd_nxt as read here
	 * stays the peer's view, and the new socket cannot be ACKed beyond
	 * what it thinks it has sent (it would drop every such ACK and
	 * stall).  What can still leave the old socket: retransmissions of
	 * bytes below snd_nxt, and zero-window probes.
	 */
	for (try = 0; try < EXPORT_TRIES; try++) {
		err = take_snap(fd, &a);
		if (err)
			goto fail;
		if (a.state != TCP_ESTABLISHED && a.state != TCP_CLOSE_WAIT) {
			err = -EINVAL;
			goto fail;
		}
		if (a.outq < a.notsent || a.inq < 0) {
			err = -EPROTO;
			goto fail;
		}
		err = peek_queue(fd, TCP_RECV_QUEUE, a.inq, &rc->rcvq);
		if (!err)
			err = peek_queue(fd, TCP_SEND_QUEUE, a.outq, &rc->sndq);
		if (!err)
			err = take_snap(fd, &b);
		if (!err && snap_equal(&a, &b))
			break;
		free(rc->rcvq);
		free(rc->sndq);
		rc->rcvq = rc->sndq = NULL;
		if (err && err != -EAGAIN)
			goto fail;
		err = -EAGAIN;
		usleep(1000);
	}
	if (err)
		goto fail;

	err = get_info(fd, &ti);
	if (err)
		goto fail;

	rc->sndq_len = a.outq;
	rc->sndq_notsent = a.notsent;
	rc->rcvq_len = a.inq;
	/* a FIN can only have come after everything in the receive queue */
	fin = a.state == TCP_CLOSE_WAIT;

	st->version = htole16(CHW_STATE_VERSION);
	st->hdr_len = htole16(sizeof(*st));
	st->nr_send = 0;
	st->family = lfam;
	st->tcp_state = a.state;
	st->mss = htole16(ti.tcpi_snd_mss);
	st->rcv_mss = htole16(ti.tcpi_rcv_mss);

	if (ti.tcpi_options & TCPI_OPT_SACK)
		st->opt |= CHW_OPT_SACK;
	if (ti.tcpi_options & TCPI_OPT_TIMESTAMPS)
		st->opt |= CHW_OPT_TS;
	if (ti.tcpi_options & TCPI_OPT_WSCALE) {
		st->opt |= CHW_OPT_WSCALE;
		st->snd_wscale = ti.tcpi_snd_wscale;
		st->rcv_wscale = ti.tcpi_rcv_wscale;
	}
	if (fin)
		st->opt |= CHW_OPT_FIN_RCVD;
	if (!get_int(fd, SOL_TCP, TCP_NODELAY, &val) && val)
		st->opt |= CHW_OPT_NODELAY;

	st->snd_una = htole32(a.write_seq - a.outq);
	st->snd_nxt = htole32(a.write_seq - a.notsent);
	st->snd_wnd = htole32(a.win.snd_wnd);
	st->snd_wl1 = htole32(a.win.snd_wl1);
	st->snd_wl2 = htole32(a.write_seq - a.outq);
	st->max_window = htole32(a.win.max_window);
	st->write_seq = htole32(a.write_seq);

	st->rcv_nxt = htole32(a.rcv_nxt);
	st->rcv_wnd = htole32(a.win.rcv_wnd);
	st->rcv_wup = htole32(a.win.rcv_wup);
	st->copied_seq = htole32(a.rcv_nxt - a.inq - fin);

	err = get_int(fd, SOL_TCP, TCP_TIMESTAMP, &val);
	if (err)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &taken);
	rc->taken_ns = (uint64_t)taken.tv_sec * 1000000000 + taken.tv_nsec;
	st->ts_val = htole32((uint32_t)val);
	st->ts_recent = 0;
	st->ts_recent_age_ms = htole32(0xffffffff);

	st->srtt_us = htole32(ti.tcpi_rtt);
	st->rttvar_us = htole32(ti.tcpi_rttvar);
	st->rto_ms = htole32(ti.tcpi_rto / 1000);
	st->snd_cwnd = htole32(ti.tcpi_snd_cwnd);
	st->snd_ssthresh = htole32(ti.tcpi_snd_ssthresh);

	err = get_int(fd, SOL_SOCKET, SO_SNDBUF, &val);
	if (err)
		goto fail;
	st->sndbuf = htole32(val);
	err = get_int(fd, SOL_SOCKET, SO_RCVBUF, &val);
	if (err)
		goto fail;
	st->rcvbuf = htole32(val);
	return 0;

fail:
	repair_conn_free(rc);
	set_int(fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF);
	return err;
}

/* ---- import ------------------------------------------------------------ */

static socklen_t make_addr(uint8_t family, const uint8_t *addr, __be16 port,
			   struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (void *)ss;
	struct sockaddr_in *s4 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == 4) {
		s4->sin_family = AF_INET;
		s4->sin_port = port;
		memcpy(&s4->sin_addr, addr, 4);
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = port;
	memcpy(&s6->sin6_addr, addr, 16);
	return sizeof(*s6);
}

static int set_queue_seq(int fd, int queue, uint32_t seq)
{
	int err;

	err = set_int(fd, SOL_TCP, TCP_REPAIR_QUEUE, queue);
	if (err)
		return err;
	if (setsockopt(fd, SOL_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)) < 0)
		return -errno;
	return 0;
}

/*
 * Write a queue back in repair mode.  Each call may take less than asked
 * (the receive queue is rebuilt one skb of at most MAX_SKB_FRAGS pages at a
 * time); a refusal with a big chunk is retried smaller, as CRIU does for
 * kernels that allocated the receive skb linearly.
 */
static int write_repair_queue(int fd, int queue, const uint8_t *buf, size_t len)
{
	size_t off = 0, chunk = len;
	ssize_t n;
	int err;

	err = set_int(fd, SOL_TCP, TCP_REPAIR_QUEUE, queue);
	if (err)
		return err;
	while (off < len) {
		if (chunk > len - off)
			chunk = len - off;
		n = send(fd, buf + off, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += n;
			continue;
		}
		err = n < 0 ? -errno : -EIO;
		if (chunk <= 4096)
			return err == -EAGAIN ? -ENOBUFS : err;
		chunk /= 2;
	}
	return 0;
}

/* Normal send of the never-sent bytes: the connection is live by now. */
static int write_unsent(int fd, const uint8_t *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	size_t off = 0;
	ssize_t n;
	int r;

	while (off < len) {
		n = send(fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return -errno;
		r = poll(&pfd, 1, SEND_WAIT_MS);
		if (r < 0)
			return -errno;
		if (!r)
			return -ETIMEDOUT;
	}
	return 0;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/*
 * Give the rebuilt socket the peer's FIN: a bare FIN|ACK from the peer's
 * address and port at sequence seq, sent through a raw socket to our own
 * address.  Locally addressed output loops back with its route attached,
 * so reverse-path filtering never sees the foreign source.  It carries no
 * timestamp option: Linux accepts that, and it leaves ts_recent at 0 so
 * that the socket never echoes a made-up TSval to the peer.
 */
static int inject_fin(const struct chw_conn_state *st, uint32_t seq,
		      uint32_t ack, uint16_t win)
{
	uint8_t pkt[60], tcp[20], pseudo[40];
	struct sockaddr_storage dst;
	size_t iplen, plen;
	socklen_t dlen;
	uint16_t csum;
	uint32_t sum;
	int fd, err = 0;

	memset(tcp, 0, sizeof(tcp));
	memcpy(tcp + 0, &st->peer_port, 2);
	memcpy(tcp + 2, &st->local_port, 2);
	seq = htonl(seq);
	ack = htonl(ack);
	memcpy(tcp + 4, &seq, 4);
	memcpy(tcp + 8, &ack, 4);
	tcp[12] = 5 << 4;			/* data offset: no options */
	tcp[13] = 0x11;				/* FIN | ACK */
	win = htons(win);
	memcpy(tcp + 14, &win, 2);

	memset(pkt, 0, sizeof(pkt));
	memset(pseudo, 0, sizeof(pseudo));
	if (st->family == 4) {
		iplen = 20;
		pkt[0] = 0x45;
		pkt[3] = iplen + sizeof(tcp);	/* total length, < 256 */
		pkt[6] = 0x40;			/* DF */
		pkt[8] = 64;			/* TTL */
		pkt[9] = IPPROTO_TCP;
		memcpy(pkt + 12, st->peer_addr, 4);
		memcpy(pkt + 16, st->local_addr, 4);
		/* the kernel fills in the IPv4 header checksum */
		memcpy(pseudo, st->peer_addr, 4);
		memcpy(pseudo + 4, st->local_addr, 4);
		pseudo[9] = IPPROTO_TCP;
		pseudo[11] = sizeof(tcp);
		plen = 12;
	} else {
		iplen = 40;
		pkt[0] = 0x60;
		pkt[5] = sizeof(tcp);		/* payload length */
		pkt[6] = IPPROTO_TCP;
		pkt[7] = 64;			/* hop limit */
		memcpy(pkt + 8, st->peer_addr, 16);
		memcpy(pkt + 24, st->local_addr, 16);
		memcpy(pseudo, st->peer_addr, 16);
		memcpy(pseudo + 16, st->local_addr, 16);
		pseudo[35] = sizeof(tcp);
		pseudo[39] = IPPROTO_TCP;
		plen = 40;
	}
	sum = csum_add(0, pseudo, plen);
	sum = csum_add(sum, tcp, sizeof(tcp));
	csum = csum_fold(sum);
	memcpy(tcp + 16, &csum, 2);
	memcpy(pkt + iplen, tcp, sizeof(tcp));

	/* IPPROTO_RAW implies a header we write ourselves, v4 and v6 alike */
	fd = socket(st->family == 4 ? AF_INET : AF_INET6,
		    SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	dlen = make_addr(st->family, st->local_addr, 0, &dst);
	if (sendto(fd, pkt, iplen + sizeof(tcp), 0,
		   (struct sockaddr *)&dst, dlen) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int wait_state(int fd, uint8_t state, int ms)
{
	struct timespec ts = { 0, 1000000 };
	struct tcp_info ti;
	int err;

	for (;;) {
		err = get_info(fd, &ti);
		if (err)
			return err;
		if (ti.tcpi_state == state)
			return 0;
		if (ms-- <= 0)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}

/*
 * Buffer sizes: the exported ones, but at least room for the queues we are
 * about to write back (with room for skb overhead), since a repair-mode
 * write that does not fit fails instead of waiting.
 */
static int set_bufs(int fd, uint32_t want, size_t queued, bool snd)
{
	uint64_t need = (uint64_t)queued + queued / 2 + 65536;
	int v, err;

	if (need > want)
		want = need > INT32_MAX ? INT32_MAX : need;
	/* the kernel doubles what it is given */
	v = (want + 1) / 2;
	err = set_int(fd, SOL_SOCKET, snd ? SO_SNDBUFFORCE : SO_RCVBUFFORCE, v);
	if (err == -EPERM)
		err = set_int(fd, SOL_SOCKET, snd ? SO_SNDBUF : SO_RCVBUF, v);
	return err;
}

/*
 * st.ts_val advanced by the time since rc->taken_ns.  Its low bit is
 * Linux's flag for a microsecond clock (6.7 on), and clear for a
 * millisecond one, which may thus read one tick low: round the advance up
 * to an even number of ticks, at least one more than the time passed, so
 * that the flag stays and the clock is never behind.  Ahead is harmless.
 */
static int ts_now(const struct repair_conn *rc)
{
	uint32_t val = le32toh(rc->st.ts_val);
	struct timespec now;
	uint64_t ns;

	if (!rc->taken_ns)
		return (int)val;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (uint64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	if (ns < rc->taken_ns)
		return (int)val;
	ns -= rc->taken_ns;
	if (val & 1)
		val += (uint32_t)(ns / 1000 + 2) & ~1u;
	else
		val += (uint32_t)(ns / 1000000 + 2) & ~1u;
	return (int)val;
}

int repair_import(const struct repair_conn *rc, int *fd_out)
{
	const struct chw_conn_state *st = &rc->st;
	uint32_t snd_una, snd_nxt, write_seq, rcv_nxt, copied_seq, mss;
	struct sockaddr_storage la, pa;
	struct tcp_repair_window win;
	struct tcp_repair_opt opts[4];
	socklen_t llen, plen;
	size_t sent_len;
	int fd, err, n = 0;
	bool fin;

	*fd_out = -1;
	if (le16toh(st->version) != CHW_STATE_VERSION ||
	    le16toh(st->hdr_len) != sizeof(*st) || st->nr_send)
		return -EINVAL;
	if (st->family != 4 && st->family != 6)
		return -EAFNOSUPPORT;

	fin = st->opt & CHW_OPT_FIN_RCVD;
	if (st->tcp_state != (fin ? TCP_CLOSE_WAIT : TCP_ESTABLISHED))
		return -EINVAL;
	/*
	 * Our own FIN (FIN_WAIT1/2, CLOSING, LAST_ACK) would take a
	 * shutdown() in repair mode and, once acknowledged, a forged ACK:
	 * not done here.
	 */
	if (st->opt & CHW_OPT_FIN_SENT)
		return -EOPNOTSUPP;

	snd_una = le32toh(st->snd_una);
	snd_nxt = le32toh(st->snd_nxt);
	write_seq = le32toh(st->write_seq);
	copied_seq = le32toh(st->copied_seq);
	rcv_nxt = le32toh(st->rcv_nxt) - fin;	/* in front of the FIN */
	if (write_seq - snd_una != rc->sndq_len ||
	    write_seq - snd_nxt != rc->sndq_notsent ||
	    rcv_nxt - copied_seq != rc->rcvq_len ||
	    (rc->sndq_len && !rc->sndq) || (rc->rcvq_len && !rc->rcvq))
		return -EINVAL;
	mss = le16toh(st->mss);
	if (!mss)
		return -EINVAL;
	/*
	 * What Linux wants back is the MSS clamp, which it compares with the
	 * path MTU before it takes the timestamp option's 12 bytes off; the
	 * ABI carries the payload size after that.
	 */
	if (st->opt & CHW_OPT_TS)
		mss += TCPOLEN_TSTAMP_ALIGNED;
	sent_len = rc->sndq_len - rc->sndq_notsent;

	llen = make_addr(st->family, st->local_addr, st->local_port, &la);
	plen = make_addr(st->family, st->peer_addr, st->peer_port, &pa);

	fd = socket(st->family == 4 ? AF_INET : AF_INET6,
		    SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;

	err = set_int(fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON);
	if (!err)
		err = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	/* before connect(): the initial windows are computed from them */
	if (!err)
		err = set_bufs(fd, le32toh(st->sndbuf), rc->sndq_len, true);
	if (!err)
		err = set_bufs(fd, le32toh(st->rcvbuf), rc->rcvq_len, false);
	if (!err)
		err = set_queue_seq(fd, TCP_RECV_QUEUE, copied_seq);
	if (!err)
		err = set_queue_seq(fd, TCP_SEND_QUEUE, snd_una);
	/*
	 * connect() computes the MSS from the path MTU and the clamp, and a
	 * repair-mode connect() never does so again: TCP_REPAIR_OPTIONS
	 * changes the clamp but not the cached MSS, which would stay at
	 * 536 - 12 bytes.  A user MSS is what connect() takes the clamp
	 * from, so set one for the duration.
	 */
	if (!err)
		err = set_int(fd, SOL_TCP, TCP_MAXSEG, mss);
	if (err)
		goto fail;

	if (bind(fd, (struct sockaddr *)&la, llen) < 0 ||
	    connect(fd, (struct sockaddr *)&pa, plen) < 0) {
		err = -errno;
		goto fail;
	}

	opts[n].opt_code = TCPOPT_MAXSEG;
	opts[n++].opt_val = mss;
	if (st->opt & CHW_OPT_WSCALE) {
		opts[n].opt_code = TCPOPT_WINDOW;
		opts[n++].opt_val = st->snd_wscale | (uint32_t)st->rcv_wscale << 16;
	}
	if (st->opt & CHW_OPT_SACK) {
		opts[n].opt_code = TCPOPT_SACK_PERMITTED;
		opts[n++].opt_val = 0;
	}
	if (st->opt & CHW_OPT_TS) {
		opts[n].opt_code = TCPOPT_TIMESTAMP;
		opts[n++].opt_val = 0;
	}
	if (setsockopt(fd, SOL_TCP, TCP_REPAIR_OPTIONS, opts,
		       n * sizeof(opts[0])) < 0) {
		err = -errno;
		goto fail;
	}
	/* the application did not ask for a user MSS: clear ours */
	err = set_int(fd, SOL_TCP, TCP_MAXSEG, 0);
	if (err)
		goto fail;

	/*
	 * Our TSval clock goes on from where the peer last saw it, and runs
	 * on for the time the connection spent outside a socket: the old
	 * socket may have retransmitted with later TSvals after the export,
	 * and the peer drops anything older than what it last saw (PAWS).
	 */
	if (st->opt & CHW_OPT_TS) {
		err = set_int(fd, SOL_TCP, TCP_TIMESTAMP, ts_now(rc));
		if (err)
			goto fail;
	}

	err = write_repair_queue(fd, TCP_RECV_QUEUE, rc->rcvq, rc->rcvq_len);
	if (!err)
		err = write_repair_queue(fd, TCP_SEND_QUEUE, rc->sndq, sent_len);
	if (!err)
		err = set_int(fd, SOL_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE);
	if (err)
		goto fail;

	/*
	 * With the FIN left out, rcv_nxt is one lower than when the window
	 * was advertised: move rcv_wup back with it and keep the window's
	 * right edge where the peer saw it.
	 */
	win.snd_wl1 = le32toh(st->snd_wl1);
	win.snd_wnd = le32toh(st->snd_wnd);
	win.max_window = le32toh(st->max_window);
	win.rcv_wnd = le32toh(st->rcv_wnd) + fin;
	win.rcv_wup = le32toh(st->rcv_wup) - fin;
	if (setsockopt(fd, SOL_TCP, TCP_REPAIR_WINDOW, &win, sizeof(win)) < 0) {
		err = -errno;
		goto fail;
	}

	if (fin) {
		uint32_t w = win.snd_wnd;

		if (st->opt & CHW_OPT_WSCALE)
			w >>= st->snd_wscale;
		err = inject_fin(st, rcv_nxt, snd_una, w > 0xffff ? 0xffff : w);
		if (!err)
			err = wait_state(fd, TCP_CLOSE_WAIT, FIN_WAIT_MS);
		if (err)
			goto fail;
	}

	if (st->opt & CHW_OPT_NODELAY) {
		err = set_int(fd, SOL_TCP, TCP_NODELAY, 1);
		if (err)
			goto fail;
	}

	/* in ESTABLISHED this also sends a window probe: the peer's ACK
	 * refreshes snd_wnd and gives ts_recent a real value */
	err = set_int(fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF);
	if (err)
		goto fail;

	err = write_unsent(fd, rc->sndq + sent_len, rc->sndq_notsent);
	if (err)
		goto fail;

	/*
	 * SO_*BUFFORCE locked the sizes; the ABI cannot say whether the
	 * application had locked them, so hand them back to autotuning
	 * (which only grows them).  Kernels before 5.14 keep the lock.
	 */
	set_int(fd, SOL_SOCKET, SO_BUF_LOCK, 0);

	*fd_out = fd;
	return 0;

fail:
	/* back in repair mode (if we had left it), closing sends nothing */
	set_int(fd, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON);
	close(fd);
	return err;
}

void repair_conn_free(struct repair_conn *rc)
{
	free(rc->sndq);
	free(rc->rcvq);
	memset(rc, 0, sizeof(*rc));
}
