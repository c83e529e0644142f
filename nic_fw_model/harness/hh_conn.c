// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * hh_conn.c - one connection as the OS and its application see it, on the
 * host's TCP (a kernel socket) or offloaded (commands and events).
 *
 * The application writes one test stream and reads another, checking every
 * byte (selftests/tools/stream.c), in either mode; handoff and restore
 * move the connection between the modes without the application noticing.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hh.h"
#include "../../selftests/tools/stream.h"

#define HH_CHUNK	32768
#define HH_STATE_BUF	(sizeof(struct chw_conn_state) + \
			 CHW_STATE_MAX_SEND * sizeof(struct chw_send_range))

void hh_conn_init(struct hh_conn *c, struct hh_nic *nic, int fd,
		  uint64_t seed_tx, uint64_t seed_rx, uint64_t send_total,
		  uint64_t recv_total)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->nic = nic;
	c->fd = fd;
	c->cid = CHW_CID_NONE;
	c->seed_tx = seed_tx;
	c->seed_rx = seed_rx;
	c->send_total = send_total;
	c->recv_total = recv_total;
	c->bad_at = -1;
	sha256_init(&c->sha_tx);
	sha256_init(&c->sha_rx);
	c->send_area = hh_alloc(nic, HH_SEND_AREA);
	for (i = 0; i < HH_RBUFS; i++)
		c->rbuf[i] = hh_alloc(nic, HH_RBUF_LEN);
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* The application reads n bytes of its incoming stream. */
static void hh_app_read(struct hh_conn *c, const uint8_t *buf, size_t n)
{
	if (c->bad_at < 0)
		c->bad_at = stream_check(c->seed_rx, c->flow, c->rcvd, buf, n);
	sha256_update(&c->sha_rx, buf, n);
	c->rcvd += n;
}

/* ---- on the host's TCP ------------------------------------------------- */

static void hh_conn_kstep(struct hh_conn *c)
{
	uint8_t buf[HH_CHUNK];
	ssize_t n;

	while (c->sent < c->send_total) {
		size_t len = c->send_total - c->sent < sizeof(buf) ?
			     c->send_total - c->sent : sizeof(buf);

		stream_bytes(c->seed_tx, c->flow, c->sent, buf, len);
		n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			break;
		sha256_update(&c->sha_tx, buf, n);
		c->sent += n;
	}
	if (c->sent == c->send_total && !c->fin_sent && !c->hold_fin &&
	    (!c->fin_after_eof || c->peer_fin)) {
		shutdown(c->fd, SHUT_WR);
		c->fin_sent = true;
	}
	while (!c->peer_fin && !c->hold_reads) {
		n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			hh_app_read(c, buf, n);
			continue;
		}
		if (n == 0)
			c->peer_fin = true;
		else if (errno == ECONNRESET)
			c->reset = c->peer_fin = true;
		break;
	}
}

/* ---- offloaded ---------------------------------------------------------- */

static void hh_conn_ostep(struct hh_conn *c)
{
	struct hh_nic *nic = c->nic;

	while (c->sent < c->send_total &&
	       c->sent - c->acked < HH_SEND_AREA) {
		uint32_t off = c->sent % HH_SEND_AREA;
		uint64_t len = c->send_total - c->sent;
		struct chw_cmd_send m = { .op = CHW_OP_SEND };

		if (len > HH_CHUNK)
			len = HH_CHUNK;
		if (len > HH_SEND_AREA - off)
			len = HH_SEND_AREA - off;
		if (len > HH_SEND_AREA - (c->sent - c->acked))
			len = HH_SEND_AREA - (c->sent - c->acked);
		stream_bytes(c->seed_tx, c->flow, c->sent,
			     hh_ptr(nic, c->send_area + off), len);
		sha256_update(&c->sha_tx, hh_ptr(nic, c->send_area + off), len);
		m.len = htole16(len);
		m.cid = htole32(c->cid);
		m.addr = htole64(c->send_area + off);
		if (c->sent + len == c->send_total)
			m.flags = CHW_SEND_PSH;
		hh_cmd(nic, &m);
		c->sent += len;
	}
	if (c->sent == c->send_total && !c->fin_sent &&
	    (!c->fin_after_eof || c->peer_fin)) {
		struct chw_cmd_ctrl m = {
			.op = CHW_OP_CTRL,
			.code = htole16(c->close_after_send ? CHW_CC_CLOSE :
					CHW_CC_SHUT_WR),
			.cid = htole32(c->cid),
		};

		hh_cmd(nic, &m);
		c->fin_sent = true;
	}
}

static void hh_post(struct hh_conn *c, unsigned int i)
{
	struct chw_cmd_post m = {
		.op = CHW_OP_POST,
		.len = htole16(HH_RBUF_LEN),
		.cid = htole32(c->cid),
		.addr = htole64(c->rbuf[i]),
	};

	hh_cmd(c->nic, &m);
}

/* Commands that events asked for are sent here, outside the event loop. */
static void hh_conn_flush_cmds(struct hh_conn *c)
{
	unsigned int i;

	if (c->recvd_pending) {
		struct chw_cmd_recvd m = {
			.op = CHW_OP_RECVD,
			.cid = htole32(c->cid),
			.len = htole64(c->recvd_pending),
		};

		c->recvd_pending = 0;
		hh_cmd(c->nic, &m);
	}
	for (i = 0; i < HH_RBUFS; i++) {
		if (c->post_pending & (1u << i)) {
			c->post_pending &= ~(1u << i);
			hh_post(c, i);
		}
	}
}

void hh_conn_event(struct hh_conn *c, const struct chw_msg *ev)
{
	uint32_t slot = CHW_CID_SLOT(c->cid) % HH_MAX_CONNS;

	switch (ev->op) {
	case CHW_EV_RECV: {
		const struct chw_ev_recv *r = (const void *)ev;
		uint64_t addr = le64toh(r->addr);
		uint32_t len = le16toh(r->len);
		unsigned int i;

		hh_app_read(c, hh_ptr(c->nic, addr), len);
		c->recvd_pending += len;
		for (i = 0; i < HH_RBUFS; i++) {
			if (addr < c->rbuf[i] || addr >= c->rbuf[i] + HH_RBUF_LEN)
				continue;
			if (r->flags & CHW_RECV_BUF_DONE)
				c->post_pending |= 1u << i;
		}
		break;
	}
	case CHW_EV_ACK:
		c->acked += le64toh(((const struct chw_ev_ack *)ev)->len);
		break;
	case CHW_EV_CTRL:
		switch (le16toh(((const struct chw_ev_ctrl *)ev)->code)) {
		case CHW_CC_PEER_FIN:
			c->peer_fin = true;
			break;
		case CHW_CC_RESET:
			c->reset = c->peer_fin = true;
			break;
		case CHW_CC_TIMEDOUT:
			c->timedout = true;
			break;
		case CHW_CC_FREED:
			c->freed = true;
			c->nic->conn[slot] = NULL;
			c->recvd_pending = 0;
			c->post_pending = 0;
			c->cid = CHW_CID_NONE;
			break;
		}
		break;
	}
}

void hh_conn_step(struct hh_conn *c)
{
	if (c->fd >= 0) {
		hh_conn_kstep(c);
	} else if (c->cid != CHW_CID_NONE) {
		hh_conn_flush_cmds(c);
		hh_conn_ostep(c);
	}
}

bool hh_conn_done(const struct hh_conn *c)
{
	return c->sent == c->send_total && c->rcvd == c->recv_total &&
	       c->peer_fin;
}

/* ---- handoff and restore ------------------------------------------------ */

/* Lay the last n bytes the application wrote into the send area. */
static unsigned int hh_sndq_to_area(struct hh_conn *c, const uint8_t *q,
				    size_t n, struct chw_send_range *r)
{
	uint64_t start = c->sent - n;
	unsigned int nr = 0;

	while (n) {
		uint32_t off = start % HH_SEND_AREA;
		size_t k = HH_SEND_AREA - off < n ? HH_SEND_AREA - off : n;

		memcpy(hh_ptr(c->nic, c->send_area + off), q, k);
		r[nr].addr = htole64(c->send_area + off);
		r[nr].len = htole32(k);
		r[nr].rsvd = 0;
		nr++;
		q += k;
		n -= k;
		start += k;
	}
	return nr;
}

int hh_conn_handoff(struct hh_conn *c, size_t *rcvq, size_t *sndq)
{
	struct hh_nic *nic = c->nic;
	struct repair_conn rc;
	struct chw_conn_state *st;
	struct chw_ev_done d;
	uint64_t buf = hh_alloc(nic, HH_STATE_BUF);
	unsigned int nr, i;
	int err, off = 0;
	uint32_t fin;

	nic->wire_paused = true;	/* the peer's frames wait in the tap */
	err = repair_export(c->fd, &rc);
	if (err) {
		nic->wire_paused = false;
		return err;
	}
	if (rc.sndq_len > HH_SEND_AREA) {
		setsockopt(c->fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
		repair_conn_free(&rc);
		nic->wire_paused = false;
		return -E2BIG;
	}
	st = hh_ptr(nic, buf);
	*st = rc.st;
	fin = (st->opt & CHW_OPT_FIN_RCVD) ? 1 : 0;
	memcpy(st->local_mac, nic->os_mac, 6);
	memcpy(st->peer_mac, nic->wire_mac, 6);
	st->mtu = htole16(1500);
	st->ttl = 64;
	/* the application reads the socket's queue right after handoff */
	st->copied_seq = htole32(le32toh(st->rcv_nxt) - fin);
	nr = hh_sndq_to_area(c, rc.sndq, rc.sndq_len,
			     (struct chw_send_range *)(st + 1));
	st->nr_send = htole16(nr);
	{
		struct chw_cmd_handoff m = {
			.op = CHW_OP_HANDOFF,
			.state_len = htole16(sizeof(*st) + nr * 16),
			.cookie = htole32(0x1234),
			.state_addr = htole64(buf),
		};

		err = hh_cmd_wait(nic, &m, &d);
	}
	if (err) {
		/* refused: the host's TCP carries on */
		setsockopt(c->fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
		repair_conn_free(&rc);
		nic->wire_paused = false;
		return err > 0 ? -err : err;
	}
	c->cid = le32toh(d.cid);
	nic->conn[CHW_CID_SLOT(c->cid) % HH_MAX_CONNS] = c;
	hh_app_read(c, rc.rcvq, rc.rcvq_len);
	c->acked = c->sent - rc.sndq_len;
	if (rcvq)
		*rcvq = rc.rcvq_len;
	if (sndq)
		*sndq = rc.sndq_len;
	repair_conn_free(&rc);
	close(c->fd);		/* in repair mode: silently */
	c->fd = -1;
	for (i = 0; i < HH_RBUFS; i++)
		hh_post(c, i);
	c->handoffs++;
	nic->wire_paused = false;
	return 0;
}

struct hh_import {
	struct repair_conn *rc;
	int fd;
};

static int hh_import_here(void *p)
{
	struct hh_import *im = p;

	return repair_import(im->rc, &im->fd);
}

int hh_conn_restore(struct hh_conn *c)
{
	struct hh_nic *nic = c->nic;
	struct chw_conn_state *st;
	struct chw_send_range *r;
	struct repair_conn rc;
	struct chw_ev_done d;
	uint64_t buf = hh_alloc(nic, HH_STATE_BUF);
	struct chw_cmd_restore m = {
		.op = CHW_OP_RESTORE,
		.buf_len = htole16(HH_STATE_BUF > 65535 ? 65535 : HH_STATE_BUF),
		.cid = htole32(c->cid),
		.buf_addr = htole64(buf),
	};
	uint32_t slot = CHW_CID_SLOT(c->cid) % HH_MAX_CONNS;
	size_t done = 0;
	unsigned int i;
	int err, fd;

	hh_conn_flush_cmds(c);
	struct hh_import im = { .rc = &rc, .fd = -1 };

	err = hh_cmd_wait(nic, &m, &d);
	if (err)
		return err > 0 ? -err : err;
	/* until the new socket exists, the peer's frames must wait */
	nic->wire_paused = true;
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		rc.taken_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	}
	nic->conn[slot] = NULL;
	c->recvd_pending = 0;
	c->post_pending = 0;
	c->cid = CHW_CID_NONE;

	st = hh_ptr(nic, buf);
	r = (struct chw_send_range *)(st + 1);
	{
		uint64_t taken = rc.taken_ns;

		memset(&rc, 0, sizeof(rc));
		rc.taken_ns = taken;
	}
	rc.st = *st;
	rc.st.nr_send = 0;
	rc.sndq_len = le32toh(st->write_seq) - le32toh(st->snd_una);
	rc.sndq_notsent = le32toh(st->write_seq) - le32toh(st->snd_nxt);
	if (st->opt & CHW_OPT_FIN_SENT)
		rc.sndq_notsent = 0;
	rc.sndq = malloc(rc.sndq_len + 1);
	for (i = 0; i < le16toh(st->nr_send); i++) {
		memcpy(rc.sndq + done, hh_ptr(nic, le64toh(r[i].addr)),
		       le32toh(r[i].len));
		done += le32toh(r[i].len);
	}
	/* the application already read everything the NIC delivered */
	rc.st.copied_seq = htole32(le32toh(st->rcv_nxt) -
				   ((st->opt & CHW_OPT_FIN_RCVD) ? 1 : 0));
	/* the new socket belongs in the OS's namespace */
	err = hh_in_ns(nic->ns_os, hh_import_here, &im);
	fd = im.fd;
	free(rc.sndq);
	nic->wire_paused = false;
	if (err)
		return err;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->fd = fd;
	c->restores++;
	return 0;
}

void hh_conn_close(struct hh_conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	} else if (c->cid != CHW_CID_NONE) {
		struct chw_cmd_ctrl m = {
			.op = CHW_OP_CTRL,
			.code = htole16(CHW_CC_CLOSE),
			.cid = htole32(c->cid),
		};

		hh_cmd(c->nic, &m);
	}
}

void hh_conn_digest(struct hh_conn *c, char tx[65], char rx[65])
{
	struct sha256 s;
	uint8_t d[32];

	s = c->sha_tx;
	sha256_final(&s, d);
	sha256_hex(d, tx);
	s = c->sha_rx;
	sha256_final(&s, d);
	sha256_hex(d, rx);
}

/* The application is gone: events for c must find nobody. */
void hh_conn_forget(struct hh_conn *c)
{
	if (c->cid != CHW_CID_NONE &&
	    c->nic->conn[CHW_CID_SLOT(c->cid) % HH_MAX_CONNS] == c)
		c->nic->conn[CHW_CID_SLOT(c->cid) % HH_MAX_CONNS] = NULL;
}
