// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_tcp_input.c - a segment from the wire for an offloaded connection:
 * validate, then process in RFC 9293's order for synchronized states
 * (3.10.7.4): timestamps and PAWS, sequence acceptability, RST, SYN, ACK
 * (congestion control, RTT, send window), data, FIN.
 */
#include <stdlib.h>

#include "nfw_tcp.h"

#define NFW_TCPOPT_EOL		0
#define NFW_TCPOPT_NOP		1
#define NFW_TCPOPT_SACK		5
#define NFW_TCPOPT_TS		8
#define NFW_CWND_MAX		(16u << 20)

/* A parsed TCP segment. */
struct nfw_seg {
	uint32_t seq, ack, len, wnd;
	uint8_t flags;
	const uint8_t *data;
	bool has_ts;
	uint32_t tsval, tsecr;
	unsigned int nsack;
	uint32_t sack[8];		/* left, right pairs */
};

static int nfw_seg_parse(struct nfw_seg *s, const struct nfw_pkt *pkt)
{
	const uint8_t *th = pkt->frame + pkt->l4_off, *o, *end;
	unsigned int thl;

	if (pkt->l4_off + 20u > pkt->l3_end)
		return -1;
	thl = (th[12] >> 4) * 4;
	if (thl < 20 || pkt->l4_off + thl > pkt->l3_end)
		return -1;
	s->seq = nfw_get_be32(th + 4);
	s->ack = nfw_get_be32(th + 8);
	s->flags = th[13];
	s->wnd = nfw_get_be16(th + 14);
	s->data = th + thl;
	s->len = pkt->l3_end - pkt->l4_off - thl;
	s->nsack = 0;
	/* what every segment of a Linux peer carries: NOP NOP TS */
	if (thl == 32 && nfw_get_be32(th + 20) == 0x0101080a) {
		s->has_ts = true;
		s->tsval = nfw_get_be32(th + 24);
		s->tsecr = nfw_get_be32(th + 28);
		return 0;
	}
	s->has_ts = false;
	s->tsval = s->tsecr = 0;
	for (o = th + 20, end = th + thl; o < end;) {
		if (*o == NFW_TCPOPT_EOL)
			break;
		if (*o == NFW_TCPOPT_NOP) {
			o++;
			continue;
		}
		if (o + 2 > end || o[1] < 2 || o + o[1] > end)
			return -1;	/* an option running past the header */
		if (o[0] == NFW_TCPOPT_TS && o[1] == 10) {
			s->has_ts = true;
			s->tsval = nfw_get_be32(o + 2);
			s->tsecr = nfw_get_be32(o + 6);
		} else if (o[0] == NFW_TCPOPT_SACK && o[1] >= 10 &&
			   (o[1] - 2) % 8 == 0) {
			unsigned int i, n = (o[1] - 2) / 8;

			for (i = 0; i < n && i < 4; i++) {
				s->sack[2 * i] = nfw_get_be32(o + 2 + 8 * i);
				s->sack[2 * i + 1] = nfw_get_be32(o + 6 + 8 * i);
			}
			s->nsack = i;
		}
		o += o[1];
	}
	return 0;
}

/* Report placed bytes now: the next ones go elsewhere. */
static bool nfw_recv_flush(struct nfw *fw, struct nfw_conn *c)
{
	if (!c->recv_len)
		return true;
	return nfw_conn_flush_one(fw, c);
}

/*
 * n more bytes of the head buffer b are used (placed, or given up after a
 * failed DMA): the OS hears of it, and a full buffer is passed on to it.
 * False if that news could not be posted yet (the event ring is full).
 */
static inline __attribute__((always_inline)) bool
nfw_rbuf_used(struct nfw *fw, struct nfw_conn *c, struct nfw_rbuf *b,
	      uint32_t n)
{
	b->used += n;
	c->rbuf_room -= n;
	if (!c->on_ev_list || !(c->ev_pending & NFW_EV_RECV))
		nfw_conn_news(fw, c, NFW_EV_RECV);
	if (b->used != b->len)
		return true;
	c->recv_flags |= CHW_RECV_BUF_DONE;
	c->rbuf_head = (c->rbuf_head + 1) % NFW_RBUFS;
	c->rbuf_count--;
	return nfw_recv_flush(fw, c);
}

/*
 * Write in-order data into the buffers the OS posted.  Returns the bytes
 * placed: fewer than len when the posts run out (or the event ring is
 * full); the rest is not acknowledged and the peer will send it again.
 */
static uint32_t nfw_tcp_place(struct nfw *fw, struct nfw_conn *c,
			      const uint8_t *data, uint32_t len)
{
	uint32_t placed = 0;

	while (len && c->rbuf_count) {
		struct nfw_rbuf *b = &c->rbuf[c->rbuf_head];
		uint64_t at = b->addr + b->used;
		uint32_t n = b->len - b->used < len ? b->len - b->used : len;

		if (c->recv_len && c->recv_addr + c->recv_len != at &&
		    !nfw_recv_flush(fw, c))
			break;
		if (fw->ops.dma_write(fw->opaque, at, data, n)) {
			nfw_dma_error(fw, at, n, "tcp receive");
			n = b->len - b->used;	/* give the buffer up */
		} else {
			if (!c->recv_len)
				c->recv_addr = at;
			c->recv_len += n;
			placed += n;
			data += n;
			len -= n;
		}
		if (!nfw_rbuf_used(fw, c, b, n))
			break;
	}
	c->rcv_nxt += placed;
	c->bytes_rcvd += placed;
	return placed;
}

/* Hold an out-of-order segment, in sequence order, within the budget. */
static void nfw_ooo_insert(struct nfw *fw, struct nfw_conn *c, uint32_t seq,
			   const uint8_t *data, uint32_t len)
{
	struct nfw_ooo **p, *o;

	for (p = &c->ooo; *p && SEQ_LT((*p)->seq, seq); p = &(*p)->next)
		;
	/* already held whole: nothing new */
	for (o = c->ooo; o; o = o->next)
		if (SEQ_LEQ(o->seq, seq) &&
		    SEQ_GEQ(o->seq + o->len, seq + len))
			return;
	if (c->ooo_segs >= NFW_OOO_MAX_SEGS ||
	    !nfw_mem_charge(fw, c, sizeof(*o) + len))
		return;		/* the peer will retransmit */
	o = malloc(sizeof(*o) + len);
	if (!o) {
		nfw_mem_uncharge(fw, c, sizeof(*o) + len);
		return;
	}
	o->seq = seq;
	o->len = len;
	memcpy(o->data, data, len);
	o->next = *p;
	*p = o;
	c->ooo_segs++;
	c->ooo_bytes += len;
}

/* Move held segments that the new rcv_nxt reaches into host buffers. */
static void nfw_ooo_drain(struct nfw *fw, struct nfw_conn *c)
{
	struct nfw_ooo *o;

	while ((o = c->ooo) && SEQ_LEQ(o->seq, c->rcv_nxt)) {
		if (SEQ_GT(o->seq + o->len, c->rcv_nxt)) {
			uint32_t skip = c->rcv_nxt - o->seq;
			uint32_t want = o->len - skip;

			if (nfw_tcp_place(fw, c, o->data + skip, want) < want)
				return;
		}
		c->ooo = o->next;
		c->ooo_segs--;
		c->ooo_bytes -= o->len;
		nfw_mem_uncharge(fw, c, sizeof(*o) + o->len);
		free(o);
	}
}

/*
 * Only a timer is left, and a slot held for a minute: ask the OS to take
 * the connection back (ch_os_restore), whose TIME_WAIT costs far less.
 * Until it does, or if it does not, the NIC sees TIME_WAIT out itself.
 */
static void nfw_enter_time_wait(struct nfw *fw, struct nfw_conn *c)
{
	c->state = NFW_TCPS_TIME_WAIT;
	c->t_rexmt = c->t_persist = c->t_keep = c->t_delack = 0;
	c->t_2msl = fw->now_ms + NFW_TIME_WAIT_MS;
	c->restore_reason = CHW_RESTORE_TIME_WAIT;
	nfw_conn_news(fw, c, NFW_EV_RESTORE);
}

/*
 * Urgent data (RFC 9293 3.8.5) is the host's to deliver: Linux's
 * out-of-band byte, SIGURG, POLLPRI, sockatmark.  At the first URG the
 * NIC asks the OS to take the connection back and from then on takes no
 * data past rcv_nxt, this segment's included: never acknowledged, it
 * comes again, to the host's TCP.  Segments with nothing new (pure ACKs,
 * old data) go on as usual.  Returns true if the segment is dropped.
 */
static bool nfw_tcp_urgent(struct nfw *fw, struct nfw_conn *c,
			   const struct nfw_seg *s, uint32_t seglen)
{
	if (!(c->flags & NFW_CF_URGENT)) {
		c->flags |= NFW_CF_URGENT;
		c->restore_reason = CHW_RESTORE_URGENT;
		nfw_conn_news(fw, c, NFW_EV_RESTORE);
	}
	if (!seglen || SEQ_LEQ(s->seq + seglen, c->rcv_nxt))
		return false;
	nfw_stat_add(fw, CHW_STAT_RX_DROPS, 1);
	return true;
}

/*
 * An orphan (the application closed) got to FIN_WAIT2: it waits for the
 * peer's FIN fin_timeout_ms at most, then goes without a word (Linux's
 * FIN_WAIT2 timewait socket expiring), or is reset at once if the OS
 * said so (TCP_LINGER2 < 0).  As in Linux's tcp_fin_time(), never less
 * than 3.5 RTOs.  Returns false if the connection is gone.
 */
bool nfw_tcp_fin_wait2_orphan(struct nfw *fw, struct nfw_conn *c)
{
	uint32_t min = c->rto_ms * 4 - c->rto_ms / 2;
	uint32_t tmo = c->fin_timeout_ms;

	if (tmo == CHW_FIN_TIMEOUT_RST) {
		nfw_tcp_send_ctl(fw, c, c->snd_nxt, NFW_TCP_RST | NFW_TCP_ACK);
		nfw_conn_close(fw, c, 0);
		return false;
	}
	c->t_2msl = fw->now_ms + (tmo > min ? tmo : min);
	return true;
}

/* RFC 5961: answer a suspicious RST or SYN with an ACK, nothing more. */
static void nfw_challenge_ack(struct nfw *fw, struct nfw_conn *c)
{
	nfw_tcp_send_ctl(fw, c, c->snd_nxt, NFW_TCP_ACK);
}

/* RFC 9293 3.10.7.4, first check: does the segment overlap the window? */
static bool nfw_seg_acceptable(const struct nfw_conn *c,
			       const struct nfw_seg *s, uint32_t seglen)
{
	uint32_t wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ?
		       c->rcv_adv - c->rcv_nxt : 0;

	if (!seglen)
		return wnd ? SEQ_GEQ(s->seq, c->rcv_nxt) &&
			     SEQ_LT(s->seq, c->rcv_nxt + wnd) :
			     s->seq == c->rcv_nxt;
	if (!wnd)
		return false;
	return (SEQ_GEQ(s->seq, c->rcv_nxt) &&
		SEQ_LT(s->seq, c->rcv_nxt + wnd)) ||
	       (SEQ_GEQ(s->seq + seglen - 1, c->rcv_nxt) &&
		SEQ_LT(s->seq + seglen - 1, c->rcv_nxt + wnd));
}

/* An RTT sample from the echoed timestamp, or from the timed segment. */
static inline __attribute__((always_inline)) void
nfw_tcp_rtt_sample(struct nfw *fw, struct nfw_conn *c, const struct nfw_seg *s)
{
	if (s->has_ts && s->tsecr && (c->flags & NFW_CF_TS)) {
		uint32_t rtt = (uint32_t)fw->now_ms + c->ts_offset - s->tsecr;

		if (rtt < 60000)
			nfw_tcp_rto_update(c, rtt * 1000 + 500);
		c->backoff = 0;
	} else if ((c->flags & NFW_CF_RTT_TIMING) &&
		   SEQ_GT(s->ack, c->rtt_seq)) {
		c->flags &= ~NFW_CF_RTT_TIMING;
		nfw_tcp_rto_update(c, (fw->now_ms - c->rtt_start_ms) * 1000 +
				      500);
		c->backoff = 0;
	}
}

static bool nfw_sack_on(const struct nfw_conn *c)
{
	return c->flags & NFW_CF_SACK;
}

/* Loss detected: halve, and start recovery (RFC 6675, or RFC 6582). */
static void nfw_tcp_enter_recovery(struct nfw *fw, struct nfw_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;

	/* RFC 6582 3.2: not for losses from before a timeout's recovery */
	if (SEQ_LT(c->snd_una, c->recover))
		return;
	c->ssthresh = flight / 2 > 2u * c->mss ? flight / 2 : 2u * c->mss;
	c->recover = c->snd_max;
	c->flags |= NFW_CF_RECOVERY;
	c->flags &= ~NFW_CF_RTT_TIMING;
	if (nfw_sack_on(c)) {
		c->cwnd = c->ssthresh;
		c->rexmit_nxt = c->snd_una;
		c->rexmit_out = 0;
		nfw_sack_output(fw, c);
	} else {
		c->cwnd = c->ssthresh + 3u * c->mss;
		nfw_tcp_rexmit_una(fw, c);
	}
	nfw_tcp_arm_rexmt(fw, c);
}

/* New data acknowledged: RFC 5681 growth, or progress in recovery. */
static inline __attribute__((always_inline)) void
nfw_tcp_cc_ack(struct nfw *fw, struct nfw_conn *c, uint32_t acked)
{
	if (c->flags & NFW_CF_RECOVERY) {
		if (SEQ_GEQ(c->snd_una, c->recover)) {
			/* full ACK: deflate to the threshold */
			uint32_t flight = c->snd_max - c->snd_una;

			c->cwnd = flight + c->mss < c->ssthresh ?
				  flight + c->mss : c->ssthresh;
			c->flags &= ~NFW_CF_RECOVERY;
			c->rexmit_out = 0;
		} else if (nfw_sack_on(c)) {
			c->rexmit_out -= acked < c->rexmit_out ? acked :
					 c->rexmit_out;
			nfw_sack_output(fw, c);
		} else {
			/* partial ACK: the next hole, deflate by what left */
			nfw_tcp_rexmit_una(fw, c);
			c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
			c->cwnd += c->mss;
			nfw_tcp_arm_rexmt(fw, c);
		}
		return;
	}
	if (c->cwnd < c->ssthresh)
		c->cwnd += acked < 2u * c->mss ? acked : 2u * c->mss;
	else
		c->cwnd += (uint32_t)c->mss * c->mss / c->cwnd ?: 1;
	if (c->cwnd > NFW_CWND_MAX)
		c->cwnd = NFW_CWND_MAX;
}

/* A duplicate ACK (RFC 5681, or RFC 6675's: one with new SACK news). */
static void nfw_tcp_dupack(struct nfw *fw, struct nfw_conn *c)
{
	if (c->flags & NFW_CF_RECOVERY) {
		if (nfw_sack_on(c))
			nfw_sack_output(fw, c);
		else
			c->cwnd += c->mss;	/* NewReno inflation */
		return;
	}
	c->dupacks++;
	if (nfw_sack_on(c) ? nfw_sack_loss_detected(c) : c->dupacks >= 3)
		nfw_tcp_enter_recovery(fw, c);
	/* below the threshold, limited transmit sends in output */
}

/* The ACK moved snd_una: RTT, the send queue, congestion control. */
static inline __attribute__((always_inline)) void
nfw_tcp_new_ack(struct nfw *fw, struct nfw_conn *c, const struct nfw_seg *s)
{
	uint32_t end = SEQ_MIN(s->ack, c->write_seq);
	uint32_t data = SEQ_GT(end, c->snd_una) ? end - c->snd_una : 0;
	uint32_t acked = s->ack - c->snd_una;

	nfw_tcp_rtt_sample(fw, c, s);
	/* the common case inline: the front pair only shortens */
	if (c->pair_count &&
	    data < c->pairs[c->pair_head].len - c->pair_off)
		c->pair_off += data;
	else
		nfw_tcp_drop_acked(fw, c, data);
	c->snd_una = s->ack;
	c->bytes_acked += acked;
	if (c->nsack) {
		nfw_sack_advance(c);
	} else {
		/* what nfw_sack_advance() does with no blocks */
		c->sacked = 0;
		c->high_sack = c->snd_una;
	}
	if (SEQ_LT(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	if (data) {
		c->acked_unreported += data;
		nfw_conn_news(fw, c, NFW_EV_ACK);
	}
	nfw_tcp_cc_ack(fw, c, acked);
	if (!(c->flags & NFW_CF_RECOVERY))
		c->dupacks = 0;
	if (c->snd_una == c->snd_max)
		c->t_rexmt = 0;
	else if (!(c->flags & NFW_CF_RECOVERY))
		nfw_tcp_arm_rexmt(fw, c);
	/*
	 * SACK may show a loss on an ACK that still moved snd_una; not
	 * without blocks: then nothing is SACKed and dupacks is 0 outside
	 * recovery.
	 */
	if (c->nsack && nfw_sack_on(c) && !(c->flags & NFW_CF_RECOVERY) &&
	    nfw_sack_loss_detected(c))
		nfw_tcp_enter_recovery(fw, c);
}

/* Send window update (RFC 9293 3.10.7.4, fifth check). */
static void nfw_tcp_snd_wnd_update(struct nfw_conn *c,
				   const struct nfw_seg *s, uint32_t wnd)
{
	if (SEQ_LT(c->snd_wl1, s->seq) ||
	    (c->snd_wl1 == s->seq && SEQ_LEQ(c->snd_wl2, s->ack))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		if (wnd > c->max_window)
			c->max_window = wnd;
		if (wnd) {
			c->t_persist = 0;
			c->persist_ms = 0;
		}
	}
}

/* Returns false if the connection is gone. */
static bool nfw_tcp_ack(struct nfw *fw, struct nfw_conn *c,
			const struct nfw_seg *s)
{
	uint32_t wnd = s->wnd << c->snd_wscale;
	bool sack_news;

	if (SEQ_GT(s->ack, c->snd_max)) {
		c->flags |= NFW_CF_ACK_NOW;	/* acks what we never sent */
		return true;
	}
	if (SEQ_LT(s->ack, c->snd_una - c->max_window)) {
		nfw_challenge_ack(fw, c);	/* RFC 5961 section 5 */
		return true;
	}
	if (SEQ_GEQ(s->ack, c->snd_una))
		nfw_tcp_soft_err_ack(fw, c);

	sack_news = nfw_sack_on(c) && s->nsack &&
		    nfw_sack_update(c, s->sack, s->nsack);
	if (SEQ_LEQ(s->ack, c->snd_una)) {
		bool dup = s->ack == c->snd_una && c->snd_una != c->snd_max &&
			   (nfw_sack_on(c) ? sack_news :
			    !s->len && !(s->flags & NFW_TCP_FIN) &&
			    wnd == c->snd_wnd);

		if (dup)
			nfw_tcp_dupack(fw, c);
		else if (s->ack != c->snd_una || s->len)
			c->dupacks = 0;
	} else {
		nfw_tcp_new_ack(fw, c, s);
	}
	nfw_tcp_snd_wnd_update(c, s, wnd);

	/* our FIN acknowledged */
	if ((c->flags & NFW_CF_FIN_SENT) &&
	    SEQ_GEQ(c->snd_una, c->write_seq + 1)) {
		switch (c->state) {
		case NFW_TCPS_FIN_WAIT1:
			c->state = NFW_TCPS_FIN_WAIT2;
			if ((c->flags & NFW_CF_OS_CLOSED) &&
			    !nfw_tcp_fin_wait2_orphan(fw, c))
				return false;
			break;
		case NFW_TCPS_CLOSING:
			nfw_enter_time_wait(fw, c);
			break;
		case NFW_TCPS_LAST_ACK:
			nfw_conn_close(fw, c, 0);
			return false;
		}
	}
	return true;
}

/*
 * In-order data was taken: ACK now, or let the delayed-ACK timer do it.
 * RFC 1122/5681 ask for an ACK at least every second full-sized segment;
 * Linux (__tcp_ack_snd_check()) sends it at once only if the window it
 * would offer is no smaller than the one it last offered.  While the
 * window shrinks (the data waits for the reader) the reader's progress
 * sends it (RECVD here, tcp_cleanup_rbuf() there), or the timer.  One
 * ACK per read rather than per two segments, as the host stack does.
 */
static inline void nfw_tcp_ack_or_delay(struct nfw *fw,
					struct nfw_conn *c, uint32_t len)
{
	uint32_t unacked = c->segs_unacked + (len >= c->mss);
	uint32_t ssthresh = c->rcv_ssthresh, space;

	/* once grown to the buffer, rcv_ssthresh is a test and no more */
	if (__builtin_expect(ssthresh < c->rcvbuf, 0)) {
		nfw_tcp_grow_window(c);
		ssthresh = c->rcv_ssthresh;
	}
	/* read before the store below, which the compiler must assume
	 * could change them (nfw_tcp_rcv_wnd(), from the locals) */
	space = unacked >= 2 ? nfw_tcp_rcv_space(c) : 0;
	c->segs_unacked = unacked;
	if (unacked >= 2 && (space < ssthresh ? space : ssthresh) >=
			    c->rcv_adv - c->rcv_wup)
		c->flags |= NFW_CF_ACK_NOW;
	else if (!c->t_delack)
		c->t_delack = fw->now_ms + NFW_DELACK_MS;
}

static void nfw_tcp_data(struct nfw *fw, struct nfw_conn *c,
			 const struct nfw_seg *s)
{
	uint32_t seq = s->seq, len = s->len;
	const uint8_t *data = s->data;

	/* trim what we have already and what lies past the window */
	if (SEQ_LT(seq, c->rcv_nxt)) {
		uint32_t dup = c->rcv_nxt - seq;

		dup = dup < len ? dup : len;
		seq += dup;
		data += dup;
		len -= dup;
		c->flags |= NFW_CF_ACK_NOW;
	}
	if (SEQ_GT(seq + len, c->rcv_adv)) {
		len = SEQ_GT(c->rcv_adv, seq) ? c->rcv_adv - seq : 0;
		c->flags |= NFW_CF_ACK_NOW;	/* RFC 9293: ACK what is past it */
	}
	if (!len)
		return;

	if (seq != c->rcv_nxt) {
		nfw_stat_add(fw, CHW_STAT_TCP_OOO, 1);
		nfw_ooo_insert(fw, c, seq, data, len);
		c->flags |= NFW_CF_ACK_NOW;	/* a dupack, with SACK */
		return;
	}
	if (nfw_tcp_place(fw, c, data, len) < len) {
		/* no buffer posted: say so now, or the peer waits for RTO */
		nfw_stat_add(fw, CHW_STAT_TCP_NO_BUF, 1);
		c->flags |= NFW_CF_ACK_NOW;
	}
	if (c->ooo) {
		nfw_ooo_drain(fw, c);
		c->flags |= NFW_CF_ACK_NOW;	/* a hole filled */
	}
	if (s->flags & NFW_TCP_PSH)
		c->recv_flags |= CHW_RECV_PSH;
	nfw_tcp_ack_or_delay(fw, c, len);
}

static void nfw_tcp_fin(struct nfw *fw, struct nfw_conn *c)
{
	c->flags |= NFW_CF_ACK_NOW;
	if (c->flags & NFW_CF_FIN_RCVD)
		return;		/* a retransmitted FIN: ACK it again */
	c->flags |= NFW_CF_FIN_RCVD;
	c->rcv_nxt++;
	nfw_conn_news(fw, c, NFW_EV_PEER_FIN);
	switch (c->state) {
	case NFW_TCPS_ESTABLISHED:
		c->state = NFW_TCPS_CLOSE_WAIT;
		break;
	case NFW_TCPS_FIN_WAIT1:
		c->state = NFW_TCPS_CLOSING;	/* simultaneous close */
		break;
	case NFW_TCPS_FIN_WAIT2:
		nfw_enter_time_wait(fw, c);
		break;
	}
}

static void nfw_tcp_time_wait(struct nfw *fw, struct nfw_conn *c,
			      const struct nfw_seg *s)
{
	if (s->flags & NFW_TCP_RST)
		return;		/* RFC 1337: TIME_WAIT ignores RST */
	/*
	 * A new connection on the same 4-tuple (RFC 9293 3.10.7.4, RFC 6191):
	 * a SYN past what we received.  Let the old one go (the OS hears
	 * FREED and forgets it); the SYN is dropped and its retransmission
	 * reaches the OS, which owns every handshake.
	 */
	if ((s->flags & NFW_TCP_SYN) && !(s->flags & NFW_TCP_ACK) &&
	    SEQ_GT(s->seq, c->rcv_nxt)) {
		nfw_conn_close(fw, c, 0);
		return;
	}
	if (s->flags & NFW_TCP_FIN)
		c->t_2msl = fw->now_ms + NFW_TIME_WAIT_MS;
	nfw_tcp_send_ctl(fw, c, c->snd_nxt, NFW_TCP_ACK);
}

/*
 * The predicted data segment when nothing is in the way: no reassembly,
 * all of it within the window and the buffer being filled, after what is
 * yet to be reported.  It is placed as nfw_tcp_data() would place it, in
 * one piece.  False, having changed nothing, for anything else (or a
 * DMA failure, which nfw_tcp_data() meets again and handles).
 */
static bool nfw_tcp_data_whole(struct nfw *fw, struct nfw_conn *c,
			       const struct nfw_seg *s)
{
	struct nfw_rbuf *b = &c->rbuf[c->rbuf_head];
	uint64_t at = b->addr + b->used;
	uint32_t len = s->len;

	if (c->ooo || !c->rbuf_count || b->len - b->used < len ||
	    SEQ_GT(s->seq + len, c->rcv_adv) ||
	    (c->recv_len && c->recv_addr + c->recv_len != at) ||
	    fw->ops.dma_write(fw->opaque, at, s->data, len))
		return false;
	if (!c->recv_len)
		c->recv_addr = at;
	c->recv_len += len;
	nfw_rbuf_used(fw, c, b, len);	/* if the ring is full, later */
	c->rcv_nxt += len;
	c->bytes_rcvd += len;
	if (s->flags & NFW_TCP_PSH)
		c->recv_flags |= CHW_RECV_PSH;
	nfw_tcp_ack_or_delay(fw, c, len);
	return true;
}

/*
 * A segment with data came in, in order or not, new or not (Linux's
 * data_segs_in and tcpi_last_data_recv).  Counted where the segment's
 * length is tested anyway: in the predicted path's data branch, or once
 * that path has said no.
 */
static inline void nfw_tcp_data_seen(struct nfw *fw, struct nfw_conn *c)
{
	c->data_segs_in++;
	c->last_data_rx_ms = fw->now_ms;
}

/*
 * Header prediction (Van Jacobson's, as in FreeBSD's tcp_input()): in a
 * bulk transfer nearly every segment is either the next in-order data,
 * acknowledging nothing new, or a pure ACK of new data.  For these the
 * checks below cannot fail (PAWS passes, the segment is acceptable, no
 * RST, SYN, FIN or URG, and no urgent data seen before: the flags must
 * be ACK, PSH at most; no SACK news, no state change), so they are skipped
 * and the segment goes straight to the work the full path would do.
 * Anything else returns false and takes the full path.
 */
static bool nfw_tcp_predicted(struct nfw *fw, struct nfw_conn *c,
			      const struct nfw_seg *s)
{
	if (c->state != NFW_TCPS_ESTABLISHED ||
	    (s->flags & ~NFW_TCP_PSH) != NFW_TCP_ACK ||
	    s->seq != c->rcv_nxt || s->nsack ||
	    (c->flags & (NFW_CF_RECOVERY | NFW_CF_OS_CLOSED |
			 NFW_CF_FIN_SENT | NFW_CF_URGENT)))
		return false;
	if ((c->flags & NFW_CF_TS) &&
	    (!s->has_ts || SEQ_LT(s->tsval, c->ts_recent)))
		return false;
	if (s->len ? s->ack != c->snd_una || !SEQ_GT(c->rcv_adv, c->rcv_nxt) :
		     !SEQ_GT(s->ack, c->snd_una) ||
		     SEQ_GT(s->ack, c->snd_max) || c->nsack)
		return false;

	if (c->flags & NFW_CF_TS) {
		c->ts_recent = s->tsval;
		c->ts_recent_ms = fw->now_ms ? fw->now_ms : 1;
	}
	nfw_tcp_soft_err_ack(fw, c);
	if (s->len) {
		nfw_tcp_data_seen(fw, c);
		c->dupacks = 0;
		nfw_tcp_snd_wnd_update(c, s, s->wnd << c->snd_wscale);
		if (!nfw_tcp_data_whole(fw, c, s))
			nfw_tcp_data(fw, c, s);
	} else {
		nfw_tcp_new_ack(fw, c, s);
		nfw_tcp_snd_wnd_update(c, s, s->wnd << c->snd_wscale);
	}
	if (!nfw_tcp_quiet(c))
		nfw_tcp_output(fw, c);
	return true;
}

static void nfw_tcp_input(struct nfw *fw, struct nfw_conn *c,
			  const struct nfw_pkt *pkt)
{
	struct nfw_seg s;
	uint32_t seglen;

	if (nfw_seg_parse(&s, pkt)) {
		nfw_stat_add(fw, CHW_STAT_RX_DROPS, 1);
		return;
	}
	c->last_rx_ms = fw->now_ms;
	c->keep_probes = 0;
	c->segs_in++;
	if (c->keepidle_ms)
		c->t_keep = fw->now_ms + c->keepidle_ms;
	if (nfw_tcp_predicted(fw, c, &s))
		return;
	if (s.len)
		nfw_tcp_data_seen(fw, c);
	if (c->state == NFW_TCPS_TIME_WAIT) {
		nfw_tcp_time_wait(fw, c, &s);
		return;
	}
	seglen = s.len + ((s.flags & NFW_TCP_FIN) ? 1 : 0);

	/* PAWS (RFC 7323 5.3) */
	if ((c->flags & NFW_CF_TS) && s.has_ts && !(s.flags & NFW_TCP_RST) &&
	    c->ts_recent_ms && SEQ_LT(s.tsval, c->ts_recent) &&
	    fw->now_ms - c->ts_recent_ms < NFW_PAWS_IDLE_MS) {
		nfw_tcp_send_ctl(fw, c, c->snd_nxt, NFW_TCP_ACK);
		return;
	}
	if (!nfw_seg_acceptable(c, &s, seglen)) {
		if (!(s.flags & NFW_TCP_RST))
			nfw_tcp_send_ctl(fw, c, c->snd_nxt, NFW_TCP_ACK);
		return;
	}
	if (s.flags & NFW_TCP_RST) {
		/* RFC 5961 section 3: only an exact RST resets */
		if (s.seq == c->rcv_nxt)
			nfw_conn_close(fw, c, NFW_EV_RESET);
		else
			nfw_challenge_ack(fw, c);
		return;
	}
	if (s.flags & NFW_TCP_SYN) {
		nfw_challenge_ack(fw, c);	/* RFC 5961 section 4 */
		return;
	}
	if (!(s.flags & NFW_TCP_ACK))
		return;
	if (((s.flags & NFW_TCP_URG) || (c->flags & NFW_CF_URGENT)) &&
	    nfw_tcp_urgent(fw, c, &s, seglen))
		return;

	/* timestamps to echo (RFC 7323 4.3) */
	if (s.has_ts && (c->flags & NFW_CF_TS) &&
	    SEQ_LEQ(s.seq, c->rcv_nxt)) {
		c->ts_recent = s.tsval;
		c->ts_recent_ms = fw->now_ms ? fw->now_ms : 1;
	}
	if (!nfw_tcp_ack(fw, c, &s))
		return;

	switch (c->state) {
	case NFW_TCPS_ESTABLISHED:
	case NFW_TCPS_FIN_WAIT1:
	case NFW_TCPS_FIN_WAIT2:
		if (s.len && (c->flags & NFW_CF_OS_CLOSED)) {
			/* nobody will read it: reset, as Linux does */
			nfw_tcp_send_ctl(fw, c, c->snd_nxt,
					 NFW_TCP_RST | NFW_TCP_ACK);
			nfw_conn_close(fw, c, 0);
			return;
		}
		nfw_tcp_data(fw, c, &s);
		break;
	default:
		break;		/* the peer already sent FIN */
	}
	if ((s.flags & NFW_TCP_FIN) && s.seq + s.len == c->rcv_nxt)
		nfw_tcp_fin(fw, c);
	else if ((s.flags & NFW_TCP_FIN) && (c->flags & NFW_CF_FIN_RCVD))
		c->flags |= NFW_CF_ACK_NOW;
	nfw_tcp_output(fw, c);
}

/*
 * The connection of a frame.  Frames come in trains of one connection,
 * so the last one found is tried first.  A freed slot is zeroed and a
 * closed connection is unhashed in state CLOSED, so a match in any other
 * state is hashed, and is what the hash (one connection per 4-tuple)
 * would find.
 */
static struct nfw_conn *nfw_tcp_find(struct nfw *fw,
				     const struct nfw_pkt *pkt)
{
	const uint8_t *ip = pkt->frame + pkt->l3_off;
	const uint8_t *th = pkt->frame + pkt->l4_off;
	const uint8_t *laddr = pkt->v6 ? ip + 24 : ip + 16;
	const uint8_t *paddr = pkt->v6 ? ip + 8 : ip + 12;
	uint16_t lport = nfw_get_be16(th + 2), pport = nfw_get_be16(th);
	struct nfw_conn *c = fw->rx_last;

	if (c && c->state && c->state != NFW_TCPS_CLOSED &&
	    c->lport == lport && c->pport == pport && c->v6 == pkt->v6 &&
	    nfw_addr_eq(c->laddr, laddr, pkt->v6) &&
	    nfw_addr_eq(c->paddr, paddr, pkt->v6))
		return c;
	c = nfw_conn_lookup(fw, pkt->v6, laddr, paddr, lport, pport);
	if (c)
		fw->rx_last = c;
	return c;
}

/*
 * A frame from the wire: if it belongs to an offloaded connection, run it
 * through TCP and return true; otherwise return false (the host's).
 */
bool nfw_tcp_rx(struct nfw *fw, const uint8_t *frame, size_t len)
{
	struct nfw_pkt pkt;
	struct nfw_conn *c;

	if (fw->nfree == fw->cfg.max_conns)
		return false;		/* nothing offloaded */
	if (nfw_pkt_parse(&pkt, frame, len) < 0 || pkt.frag)
		return false;
	if (__builtin_expect(pkt.proto != NFW_IPPROTO_TCP, 0))
		return (pkt.proto == NFW_IPPROTO_ICMP ||
			pkt.proto == NFW_IPPROTO_ICMPV6) &&
		       nfw_tcp_icmp(fw, &pkt);
	if (pkt.l4_off + 20u > pkt.l3_end)
		return false;
	c = nfw_tcp_find(fw, &pkt);
	if (!c)
		return false;
	if (!nfw_csum_l4_ok(&pkt)) {
		nfw_stat_add(fw, CHW_STAT_RX_DROPS, 1);
		return true;		/* ours, but damaged */
	}
	nfw_stat_add(fw, CHW_STAT_RX_FRAMES, 1);
	nfw_stat_add(fw, CHW_STAT_RX_BYTES, len);
	/* the clock only for our segments: the host's frames pass by */
	fw->now_ms = nfw_now_ms(fw);
	nfw_tcp_input(fw, c, &pkt);
	return true;
}
