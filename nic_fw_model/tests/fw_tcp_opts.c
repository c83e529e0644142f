// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fw_tcp_opts.c - the connection's live figures (INFO), the socket
 * options the OS passes down (CTRL), urgent data, PSH, and the wire
 * around handoff and TIME_WAIT, each as Linux puts it on the wire.
 *
 * Time is the host's clock moved forward (host_clock_advance()), so
 * timers fire when a test says.  A few checks read the control block (nfw_tcp.h) to
 * make a state that frames alone would take long to reach.
 */
#include <string.h>

#include "fw_conn.h"
#include "../nfw_tcp.h"

#define MSS		1448
#define TH(f)		((f) + 14 + 20)		/* TCP header of a frame */

/* A segment from the peer: flags, payload len, acknowledging ack. */
static void peer_seg(struct fw_host *h, uint32_t seq, uint32_t ack,
		     uint8_t flags, uint32_t len)
{
	static uint8_t frame[2048], tcp[32 + MSS];

	memset(tcp, 0, 32);
	nfw_put_be32(tcp + 4, seq);
	nfw_put_be32(tcp + 8, ack);
	tcp[12] = 8 << 4;
	tcp[13] = flags;
	nfw_put_be16(tcp + 14, 8192);
	memcpy(tcp + 20, "\x01\x01\x08\x0a", 4);
	nfw_put_be32(tcp + 24, 1000 + seq);
	nfw_put_be32(tcp + 28, h->tsval);
	memset(tcp + 32, 0x5a, len);
	nfw_rx_frame(h->fw, frame, fw_conn_frame(frame, tcp, 32 + len));
}

/* The peer acknowledges all that was sent, until nothing more goes. */
static void settle(struct fw_host *h)
{
	uint32_t end;
	int i;

	for (i = 0; i < 8; i++) {
		end = h->seq_end;
		peer_seg(h, CONN_RCV_NXT, end, NFW_TCP_ACK, 0);
		fw_conn_events(h);
		if (h->seq_end == end)
			break;
	}
	host_clear_frames(h);
}

/* Post a command and run; the status of its DONE (0 if none), and val. */
static uint8_t cmd(struct fw_host *h, const void *m, uint32_t *val)
{
	struct chw_msg ev;
	uint8_t st = 0;

	host_post_cmd(h, m);
	nfw_run(h->fw);
	while (host_next_event(h, &ev))
		if (ev.op == CHW_EV_DONE) {
			st = ((struct chw_ev_done *)&ev)->status;
			if (val)
				*val = le32toh(((struct chw_ev_done *)&ev)->val);
		}
	return st;
}

static uint8_t ctrl(struct fw_host *h, uint32_t cid, uint16_t code,
		    uint64_t v)
{
	struct chw_cmd_ctrl m = {
		.op = CHW_OP_CTRL, .code = htole16(code), .cid = htole32(cid),
		.value = htole64(v),
	};

	return cmd(h, &m, NULL);
}

static void send_data(struct fw_host *h, uint32_t cid, uint32_t len,
		      uint8_t flags)
{
	struct chw_cmd_send m = {
		.op = CHW_OP_SEND, .flags = flags, .len = htole16(len),
		.cid = htole32(cid), .addr = htole64(host_alloc(h, len)),
	};

	cmd(h, &m, NULL);
}

/* Move time on by ms and run the timers; the events seen, ORed as bits
 * of their CTRL codes' low byte (FREED, TIMEDOUT ...). */
static uint32_t advance(struct fw_host *h, uint64_t ms)
{
	struct chw_msg ev;
	uint32_t seen = 0;

	host_clock_advance(h, ms * 1000000ULL);
	nfw_timer(h->fw);
	nfw_run(h->fw);
	while (host_next_event(h, &ev))
		if (ev.op == CHW_EV_CTRL)
			seen |= 1u << (le16toh(((struct chw_ev_ctrl *)&ev)->code) &
				       0x1f);
	return seen;
}
#define SEEN(code)	(1u << ((code) & 0x1f))

static struct chw_conn_info *info(struct fw_host *h, uint32_t cid,
				  uint8_t *st)
{
	uint64_t buf = host_alloc(h, sizeof(struct chw_conn_info));
	struct chw_cmd_info m = {
		.op = CHW_OP_INFO, .buf_len = htole16(sizeof(struct chw_conn_info)),
		.cid = htole32(cid), .buf_addr = htole64(buf),
	};
	uint32_t val = 0;

	*st = cmd(h, &m, &val);
	CHECK(*st || val == sizeof(struct chw_conn_info));
	return host_ptr(h, buf);
}

/* INFO: live figures from the control block and the new counters. */
void test_info(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	struct chw_cmd_info bad = { .op = CHW_OP_INFO, .buf_len = htole16(8),
				    .cid = htole32(cid) };
	struct chw_conn_info *ci;
	uint8_t st;

	settle(&h);
	peer_seg(&h, CONN_RCV_NXT, h.seq_end, NFW_TCP_ACK | NFW_TCP_PSH, 100);
	fw_conn_events(&h);
	ci = info(&h, cid, &st);
	CHECK(st == CHW_ST_OK);
	CHECK(ci->tcp_state == NFW_TCPS_ESTABLISHED && ci->ca_state == 0);
	CHECK(le32toh(ci->snd_mss) == MSS && le32toh(ci->pmtu) == 1500);
	CHECK(le32toh(ci->rcv_nxt) == CONN_RCV_NXT + 100);
	CHECK(le32toh(ci->snd_una) == CONN_SND_UNA + 8192);
	CHECK(le32toh(ci->write_seq) == CONN_SND_UNA + 8192);
	CHECK(le64toh(ci->bytes_acked) == 8192);
	CHECK(le64toh(ci->bytes_received) == 100);
	CHECK(le64toh(ci->bytes_sent) == 4096);	/* the part not yet sent */
	CHECK(le32toh(ci->data_segs_out) == 3);
	CHECK(le32toh(ci->segs_out) >= 3);
	CHECK(le32toh(ci->data_segs_in) == 1);
	CHECK(le32toh(ci->segs_in) >= 2);
	CHECK(le32toh(ci->snd_cwnd) >= 10 && le32toh(ci->rto_us) >= 200000);
	CHECK(le32toh(ci->rcv_wnd) > 0 && le32toh(ci->snd_wnd) == 8192 << 7);
	CHECK(le32toh(ci->total_retrans) == 0);
	/* too small a buffer, a stale id: refused */
	CHECK(cmd(&h, &bad, NULL) == CHW_ST_BAD_LEN);
	bad.buf_len = htole16(sizeof(*ci));
	bad.cid = htole32(cid ^ 0x10000);
	CHECK(cmd(&h, &bad, NULL) == CHW_ST_BAD_CID);
	host_fini(&h);
}

/* TCP_CORK holds a partial segment until uncorked; MSG_MORE only for its
 * own SEND. */
void test_cork_and_more(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	unsigned int n;

	settle(&h);
	n = h.data_frames;
	CHECK(ctrl(&h, cid, CHW_CC_CORK, 2) == CHW_ST_BAD_LEN);
	CHECK(ctrl(&h, cid, CHW_CC_CORK, 1) == 0);
	send_data(&h, cid, 100, CHW_SEND_PSH);
	CHECK(h.data_frames == n);
	send_data(&h, cid, MSS, CHW_SEND_PSH);	/* a full segment goes */
	CHECK(h.data_frames == n + 1);
	CHECK(ctrl(&h, cid, CHW_CC_CORK, 0) == 0);
	/* uncorked: the rest waits for Nagle (a segment in flight) */
	CHECK(h.data_frames == n + 1);
	settle(&h);
	CHECK(h.data_frames == n + 2);
	n = h.data_frames;

	send_data(&h, cid, 100, CHW_SEND_MORE);
	CHECK(h.data_frames == n);		/* held, as if corked */
	send_data(&h, cid, 100, CHW_SEND_PSH);
	CHECK(h.data_frames == n + 1);		/* both, at once */
	CHECK(h.nframes && h.frame_len[h.nframes - 1] == 14 + 20 + 32 + 200);
	host_fini(&h);
}

/*
 * A corked tail with nothing in flight is not held for ever: the probe
 * timer sends it after the RTO, as Linux's tcp_write_wakeup() does (the
 * "200 ms ceiling" of TCP_CORK); a MSG_MORE tail the same.
 */
void test_cork_probe_timer(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	unsigned int n;

	settle(&h);
	n = h.data_frames;
	CHECK(ctrl(&h, cid, CHW_CC_CORK, 1) == 0);
	send_data(&h, cid, 100, CHW_SEND_PSH);
	advance(&h, 100);
	CHECK(h.data_frames == n);		/* held for now */
	advance(&h, NFW_RTO_MAX_MS);
	CHECK(h.data_frames == n + 1);		/* the probe timer sent it */
	settle(&h);
	n = h.data_frames;
	send_data(&h, cid, 100, CHW_SEND_MORE);
	advance(&h, 100);
	CHECK(h.data_frames == n);
	advance(&h, NFW_RTO_MAX_MS);
	CHECK(h.data_frames == n + 1);
	host_fini(&h);
}

/* Keepalive in CLOSE_WAIT too, with the OS's interval and count; then
 * ETIMEDOUT and a reset. */
void test_keepalive_close_wait(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h), seen;
	unsigned int i;

	settle(&h);
	peer_seg(&h, CONN_RCV_NXT, h.seq_end, NFW_TCP_ACK | NFW_TCP_FIN, 0);
	fw_conn_events(&h);
	CHECK(ctrl(&h, cid, CHW_CC_KEEPCNT, 0) == CHW_ST_BAD_LEN);
	CHECK(ctrl(&h, cid, CHW_CC_KEEPINTVL, 2) == 0);
	CHECK(ctrl(&h, cid, CHW_CC_KEEPCNT, 2) == 0);
	CHECK(ctrl(&h, cid, CHW_CC_KEEPALIVE, 10) == 0);
	host_clear_frames(&h);
	seen = advance(&h, 10001);
	CHECK(h.nframes == 1);			/* the first probe */
	CHECK(h.nframes && nfw_get_be32(TH(h.frames[0]) + 4) ==
	      CONN_SND_UNA + 8191);
	seen |= advance(&h, 2001);
	CHECK(h.nframes == 2);
	CHECK(!(seen & SEEN(CHW_CC_TIMEDOUT)));
	for (i = 0; i < 3 && !(seen & SEEN(CHW_CC_TIMEDOUT)); i++)
		seen |= advance(&h, 2001);
	CHECK(seen & SEEN(CHW_CC_TIMEDOUT));
	CHECK(seen & SEEN(CHW_CC_FREED));
	CHECK(h.nframes == 3 && (TH(h.frames[2])[13] & NFW_TCP_RST));
	host_fini(&h);
}

/* TCP_USER_TIMEOUT ends retransmissions long before 15 backoffs. */
void test_user_timeout(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h), seen = 0;
	unsigned int i;

	settle(&h);
	CHECK(ctrl(&h, cid, CHW_CC_USER_TIMEOUT, 3000) == 0);
	send_data(&h, cid, 100, CHW_SEND_PSH);
	for (i = 0; i < 12 && !(seen & SEEN(CHW_CC_TIMEDOUT)); i++)
		seen |= advance(&h, 500);
	CHECK(seen & SEEN(CHW_CC_TIMEDOUT));
	/* 3 s, not the minutes of 15 backoffs: RTO 1 s, then 2 s (clamped) */
	CHECK(i <= 8);
	host_fini(&h);
}

/* An orphan in FIN_WAIT2 goes silently after its FIN timeout. */
void test_fin_wait2_orphan(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h), seen;

	settle(&h);
	CHECK(ctrl(&h, cid, CHW_CC_FIN_TIMEOUT, 5000) == 0);
	CHECK(ctrl(&h, cid, CHW_CC_CLOSE, 0) == 0);
	CHECK(h.nframes == 1 && (TH(h.frames[0])[13] & NFW_TCP_FIN));
	peer_seg(&h, CONN_RCV_NXT, h.seq_end + 1, NFW_TCP_ACK, 0);
	fw_conn_events(&h);
	CHECK(nfw_conn_by_cid(h.fw, cid) &&
	      nfw_conn_by_cid(h.fw, cid)->state == NFW_TCPS_FIN_WAIT2);
	host_clear_frames(&h);
	seen = advance(&h, 4000);
	CHECK(!(seen & SEEN(CHW_CC_FREED)));
	seen = advance(&h, 1001);
	CHECK(seen & SEEN(CHW_CC_FREED));
	CHECK(h.nframes == 0);			/* not a segment */
	CHECK(!nfw_conn_by_cid(h.fw, cid));
	host_fini(&h);
}

/* CHW_FIN_TIMEOUT_RST: an orphan reaching FIN_WAIT2 is reset. */
void test_fin_wait2_rst(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h), seen;

	settle(&h);
	CHECK(ctrl(&h, cid, CHW_CC_FIN_TIMEOUT, CHW_FIN_TIMEOUT_RST) == 0);
	CHECK(ctrl(&h, cid, CHW_CC_CLOSE, 0) == 0);
	host_clear_frames(&h);
	peer_seg(&h, CONN_RCV_NXT, h.seq_end + 1, NFW_TCP_ACK, 0);
	seen = advance(&h, 0);
	CHECK(seen & SEEN(CHW_CC_FREED));
	CHECK(h.nframes == 1 && (TH(h.frames[0])[13] & NFW_TCP_RST));
	host_fini(&h);
}

/* The peer's FIN that ends in TIME_WAIT is acknowledged at once. */
void test_time_wait_acks_fin(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	struct chw_msg ev;
	bool restore = false;

	settle(&h);
	CHECK(ctrl(&h, cid, CHW_CC_SHUT_WR, 0) == 0);
	peer_seg(&h, CONN_RCV_NXT, h.seq_end + 1, NFW_TCP_ACK, 0);
	fw_conn_events(&h);
	host_clear_frames(&h);
	peer_seg(&h, CONN_RCV_NXT, h.seq_end + 1, NFW_TCP_ACK | NFW_TCP_FIN,
		 0);
	CHECK(h.nframes == 1);
	CHECK(h.nframes && nfw_get_be32(TH(h.frames[0]) + 8) ==
	      CONN_RCV_NXT + 1);
	nfw_run(h.fw);
	while (host_next_event(&h, &ev))
		if (ev.op == CHW_EV_RESTORE)
			restore = le16toh(((struct chw_ev_restore *)&ev)->reason) ==
				  CHW_RESTORE_TIME_WAIT;
	CHECK(restore);
	host_fini(&h);
}

/* Window clamp, QUICKACK, TOS and TTL on the next segment. */
void test_sockopts_on_wire(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	struct nfw_conn *c;
	const uint8_t *ip;

	settle(&h);
	CHECK(ctrl(&h, cid, 99, 0) == CHW_ST_BAD_CODE);
	CHECK(ctrl(&h, cid, CHW_CC_TTL, 0) == CHW_ST_BAD_LEN);
	CHECK(ctrl(&h, cid, CHW_CC_TOS, 256) == CHW_ST_BAD_LEN);
	CHECK(ctrl(&h, cid, CHW_CC_TOS, 0x10) == 0);
	CHECK(ctrl(&h, cid, CHW_CC_TTL, 7) == 0);
	CHECK(ctrl(&h, cid, CHW_CC_WINDOW_CLAMP, 8192) == 0);
	/* one segment: the ACK is delayed, QUICKACK sends it now */
	peer_seg(&h, CONN_RCV_NXT, h.seq_end, NFW_TCP_ACK, 100);
	fw_conn_events(&h);
	CHECK(h.nframes == 0);
	CHECK(ctrl(&h, cid, CHW_CC_QUICKACK, 1) == 0);
	CHECK(h.nframes == 1);
	if (!h.nframes) {
		host_fini(&h);
		return;
	}
	ip = h.frames[0] + 14;
	CHECK(ip[1] == 0x10 && ip[8] == 7);
	CHECK(nfw_csum_fold(nfw_csum_add(0, ip, 20)) == 0xffff);
	/* with nothing promised beyond rcv_nxt, the clamp is the window */
	c = nfw_conn_by_cid(h.fw, cid);
	c->rcv_adv = c->rcv_nxt;
	c->flags |= NFW_CF_ACK_NOW;
	nfw_tcp_output(h.fw, c);
	CHECK(h.nframes == 2 &&
	      (uint32_t)nfw_get_be16(TH(h.frames[1]) + 14) << 7 <= 8192 + 127);
	host_fini(&h);
}

/* After a handoff the window grows from what the OS offered. */
void test_window_grows(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h), seq = CONN_RCV_NXT, win;
	struct chw_cmd_post p = { .op = CHW_OP_POST, .cid = htole32(cid),
				  .len = htole16(60000) };
	unsigned int i;

	settle(&h);
	for (i = 0; i < 8; i++) {
		p.addr = htole64(host_alloc(&h, 60000));
		cmd(&h, &p, NULL);
	}
	for (i = 0; i < 4; i++, seq += MSS)
		peer_seg(&h, seq, h.seq_end, NFW_TCP_ACK, MSS);
	fw_conn_events(&h);
	CHECK(h.nframes >= 1);
	if (!h.nframes) {
		host_fini(&h);
		return;
	}
	win = (uint32_t)nfw_get_be16(TH(h.frames[h.nframes - 1]) + 14) << 7;
	/* 64 KiB offered, 4 segments in: 8 more, not the whole buffer */
	CHECK(win <= 65536 + 8 * MSS + 128);
	host_fini(&h);
}

/* Urgent data: not taken, not acknowledged; the OS is asked to restore. */
void test_urgent_restore(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	struct chw_msg ev;
	unsigned int restores = 0;
	struct nfw_conn *c;

	settle(&h);
	peer_seg(&h, CONN_RCV_NXT, h.seq_end, NFW_TCP_ACK | NFW_TCP_URG |
		 NFW_TCP_PSH, 10);
	nfw_run(h.fw);
	while (host_next_event(&h, &ev))
		if (ev.op == CHW_EV_RESTORE &&
		    le16toh(((struct chw_ev_restore *)&ev)->reason) ==
		    CHW_RESTORE_URGENT)
			restores++;
	CHECK(restores == 1);
	c = nfw_conn_by_cid(h.fw, cid);
	CHECK(c && c->rcv_nxt == CONN_RCV_NXT);
	/* later data, through the predicted path's conditions: dropped */
	peer_seg(&h, CONN_RCV_NXT, h.seq_end, NFW_TCP_ACK, 10);
	fw_conn_events(&h);
	CHECK(c->rcv_nxt == CONN_RCV_NXT);
	/* a pure ACK is still taken */
	send_data(&h, cid, 100, CHW_SEND_PSH);
	peer_seg(&h, CONN_RCV_NXT, h.seq_end, NFW_TCP_ACK, 0);
	CHECK(c->snd_una == h.seq_end);
	CHECK(advance(&h, 100) == 0);		/* still no ACK of data */
	CHECK(c->rcv_nxt == CONN_RCV_NXT);
	host_fini(&h);
}

/* PSH where a write flagged PSH ends, and where the queue empties. */
void test_psh_on_write_end(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	unsigned int i;

	settle(&h);
	/* a shut window, so the writes are all queued before any goes */
	CHECK(ctrl(&h, cid, CHW_CC_NODELAY, 1) == 0);
	nfw_conn_by_cid(h.fw, cid)->snd_wnd = 0;
	send_data(&h, cid, 2 * MSS, CHW_SEND_PSH);
	send_data(&h, cid, 2 * MSS, 0);
	send_data(&h, cid, 100, 0);
	host_clear_frames(&h);
	peer_seg(&h, CONN_RCV_NXT, h.seq_end, NFW_TCP_ACK, 0);
	CHECK(h.nframes == 5);
	for (i = 0; i < h.nframes && i < 5; i++) {
		bool psh = TH(h.frames[i])[13] & NFW_TCP_PSH;

		CHECK(psh == (i == 1 || i == 4));
	}
	host_fini(&h);
}

/*
 * PSH inside a burst, where writes and segments do not line up: only a
 * segment that ends where a PSH write ends carries it (a write ending
 * mid-segment gives none), wherever in the burst it falls.
 */
void test_psh_write_ends_in_burst(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	unsigned int i;

	settle(&h);
	CHECK(ctrl(&h, cid, CHW_CC_NODELAY, 1) == 0);
	nfw_conn_by_cid(h.fw, cid)->snd_wnd = 0;
	send_data(&h, cid, MSS / 2, CHW_SEND_PSH);		/* mid seg 0 */
	send_data(&h, cid, MSS / 2 + 2 * MSS, CHW_SEND_PSH);	/* seg 2 */
	send_data(&h, cid, 3 * MSS, 0);				/* seg 5 */
	send_data(&h, cid, MSS, CHW_SEND_PSH);			/* seg 6 */
	send_data(&h, cid, 100, 0);			/* the queue's end */
	host_clear_frames(&h);
	peer_seg(&h, CONN_RCV_NXT, h.seq_end, NFW_TCP_ACK, 0);
	CHECK(h.nframes == 8);
	for (i = 0; i < h.nframes && i < 8; i++) {
		bool psh = TH(h.frames[i])[13] & NFW_TCP_PSH;

		CHECK(psh == (i == 2 || i == 6 || i == 7));
	}
	host_fini(&h);
}

/* Handed off owing an ACK: Linux's delayed ACK, not one at once. */
void test_handoff_no_ack(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	struct nfw_conn *c = nfw_conn_by_cid(h.fw, cid);

	/* the handoff sent only the data that was due */
	CHECK(c && c->segs_out == c->data_segs_out);
	host_fini(&h);
}

/* An ACK of everything sent, offering win bytes (a multiple of 128). */
static void peer_window(struct fw_host *h, uint32_t win)
{
	static uint8_t frame[2048], tcp[32];

	memset(tcp, 0, sizeof(tcp));
	nfw_put_be32(tcp + 4, CONN_RCV_NXT);
	nfw_put_be32(tcp + 8, h->seq_end);
	tcp[12] = 8 << 4;
	tcp[13] = NFW_TCP_ACK;
	nfw_put_be16(tcp + 14, win >> 7);	/* the peer's scale is 7 */
	memcpy(tcp + 20, "\x01\x01\x08\x0a", 4);
	nfw_put_be32(tcp + 24, 1000 + h->seq_end);
	nfw_put_be32(tcp + 28, h->tsval);
	nfw_rx_frame(h->fw, frame, fw_conn_frame(frame, tcp, sizeof(tcp)));
}

/* Run; the CHW_CC_SENT events seen, and the last one's value in *val. */
static unsigned int sent_events(struct fw_host *h, uint64_t *val)
{
	const struct chw_ev_ctrl *c;
	struct chw_msg ev;
	unsigned int n = 0;

	nfw_run(h->fw);
	while (host_next_event(h, &ev)) {
		c = (const void *)&ev;
		if (ev.op == CHW_EV_CTRL && le16toh(c->code) == CHW_CC_SENT) {
			n++;
			*val = le64toh(c->value);
		}
	}
	return n;
}

/* Open the window until all is sent (cwnd allowing); the SENT events. */
static unsigned int open_all(struct fw_host *h, uint64_t *val)
{
	unsigned int n = 0, i;
	uint32_t end;

	for (i = 0; i < 16; i++) {
		end = h->seq_end;
		peer_window(h, 65536);
		n += sent_events(h, val);
		if (h->seq_end == end)
			break;
	}
	return n;
}

/* Bytes sent at least once since the handoff (the queue began at una). */
#define SENT(h)		((uint64_t)((h)->seq_end - CONN_SND_UNA))

/*
 * TCP_NOTSENT_LOWAT: with a threshold, the NIC reports what it sent
 * (CHW_CC_SENT) when the OS's not-sent figure, written minus the last
 * report, crosses below lowat (sendmsg's test) or lowat / 2 (poll's and
 * the wake-up's), and at no other advance; at once when set; never
 * without a threshold.
 */
void test_notsent_lowat(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h), i;
	uint64_t val = 0, written;
	const uint32_t lowat = 16384;

	settle(&h);
	CHECK(ctrl(&h, cid, CHW_CC_NOTSENT_LOWAT, 1ULL << 32) ==
	      CHW_ST_BAD_LEN);
	/* without a threshold: sending reports nothing */
	send_data(&h, cid, 3000, CHW_SEND_PSH);
	CHECK(sent_events(&h, &val) == 0);
	settle(&h);
	CHECK(SENT(&h) == 8192 + 3000);

	/* set: the OS learns at once what was sent (all of it) */
	host_post_cmd(&h, &(struct chw_cmd_ctrl){ .op = CHW_OP_CTRL,
		.code = htole16(CHW_CC_NOTSENT_LOWAT), .cid = htole32(cid),
		.value = htole64(lowat) });
	CHECK(sent_events(&h, &val) == 1 && val == SENT(&h));

	/* a closed window: 40000 bytes wait, none sent, nothing to say */
	peer_window(&h, 0);
	for (i = 0; i < 4; i++) {
		host_post_cmd(&h, &(struct chw_cmd_send){ .op = CHW_OP_SEND,
			.flags = CHW_SEND_PSH, .len = htole16(10000),
			.cid = htole32(cid),
			.addr = htole64(host_alloc(&h, 10000)) });
	}
	CHECK(sent_events(&h, &val) == 0);
	written = SENT(&h) + 40000;
	CHECK(SENT(&h) == 11192);

	/* 12800 go: 27200 still unsent, above lowat: no report */
	peer_window(&h, 12800);
	CHECK(sent_events(&h, &val) == 0);
	CHECK(SENT(&h) > 11192 && written - SENT(&h) >= lowat);

	/* below lowat, not below lowat / 2: one report, the true figure */
	peer_window(&h, 17920);
	CHECK(written - SENT(&h) < lowat && written - SENT(&h) >= lowat / 2);
	CHECK(sent_events(&h, &val) == 1 && val == SENT(&h));

	/* below lowat / 2 as well: reported once more, then no longer */
	CHECK(open_all(&h, &val) == 1);
	CHECK(SENT(&h) == written && written - val < lowat / 2);

	/* a small write sent at once crosses nothing: no report */
	host_post_cmd(&h, &(struct chw_cmd_send){ .op = CHW_OP_SEND,
		.flags = CHW_SEND_PSH, .len = htole16(1000),
		.cid = htole32(cid), .addr = htole64(host_alloc(&h, 1000)) });
	CHECK(sent_events(&h, &val) == 0);
	CHECK(SENT(&h) == written + 1000);

	/* off: a queue drained from above lowat says nothing */
	CHECK(open_all(&h, &val) == 0);
	written = SENT(&h);
	CHECK(ctrl(&h, cid, CHW_CC_NOTSENT_LOWAT, 0) == 0);
	peer_window(&h, 0);
	for (i = 0; i < 3; i++)
		send_data(&h, cid, 10000, CHW_SEND_PSH);
	CHECK(open_all(&h, &val) == 0);
	CHECK(SENT(&h) == written + 30000);
	host_fini(&h);
}
