// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_tcp_output.c - decide what to send and send it.
 *
 * nfw_tcp_output() is the one place that sends new data, retransmits after
 * a timeout (snd_nxt pulled back to snd_una), sends FIN and sends the ACKs
 * that input asked for.  Segments are built whole here: Ethernet, IP, TCP
 * with timestamps and SACK blocks, and the payload fetched by DMA from the
 * host's send queue at the moment of transmission.
 */
#include "nfw_tcp.h"

#define NFW_TCPOPT_NOP		1
#define NFW_TCPOPT_SACK		5
#define NFW_TCPOPT_TS		8

/*
 * The window field for the next segment.  The right edge never moves left
 * (RFC 9293 3.8.6.2.2: do not shrink), and moves right only by a useful
 * amount (RFC 1122 receiver SWS avoidance), and no further than
 * rcv_ssthresh lets it (nfw_tcp_rcv_wnd()).
 */
static inline __attribute__((always_inline)) uint16_t
nfw_tcp_window(struct nfw_conn *c)
{
	uint32_t space = nfw_tcp_rcv_wnd(c);
	uint32_t right = c->rcv_nxt + space;
	uint32_t step = c->mss < c->rcvbuf / 2 ? c->mss : c->rcvbuf / 2;
	uint32_t win, field, edge;

	if (SEQ_LT(right, c->rcv_adv) ||
	    (SEQ_GT(right, c->rcv_adv) && right - c->rcv_adv < step &&
	     SEQ_GT(c->rcv_adv, c->rcv_nxt)))
		right = c->rcv_adv;
	win = SEQ_GT(right, c->rcv_nxt) ? right - c->rcv_nxt : 0;
	field = win >> c->rcv_wscale;
	/* rounding down must not pull the edge back either */
	if ((field << c->rcv_wscale) < win && SEQ_LEQ(right, c->rcv_adv))
		field++;
	if (field > 0xffff)
		field = 0xffff;
	win = field << c->rcv_wscale;
	/*
	 * The edge we hold ourselves to, but never past the room there is:
	 * taking each rounded-up edge as the next promise would creep past
	 * the posted buffers, a little with every ACK.
	 */
	edge = c->rcv_nxt + win;
	if (SEQ_GT(edge, c->rcv_nxt + space))
		edge = c->rcv_nxt + space;
	if (SEQ_GT(edge, c->rcv_adv))
		c->rcv_adv = edge;
	return field;
}

/*
 * Copy [off, off + len) of the send queue (off from snd_una) by DMA.  New
 * data is fetched where the last fetch ended, so the walk starts at the
 * pair it ended in rather than at snd_una's: with a megabyte in flight
 * that is a dozen pairs fewer for every segment.
 */
static __attribute__((noinline)) int
nfw_send_fetch_walk(struct nfw *fw, struct nfw_conn *c, uint32_t off,
		    uint8_t *buf, uint32_t len)
{
	uint32_t seq = c->snd_una + off, i = 0, pos = off + c->pair_off;
	uint32_t start = c->snd_una - c->pair_off;	/* of pairs[head] */
	const struct nfw_send_pair *p = NULL;

	if (c->fetch_pair && c->fetch_pair <= c->pair_count &&
	    SEQ_LEQ(c->fetch_seq, seq)) {
		i = c->fetch_pair - 1;
		start = c->fetch_seq;
		pos = seq - start;
	}
	for (; i < c->pair_count && len; i++) {
		uint32_t n;

		p = &c->pairs[(c->pair_head + i) & (c->pair_cap - 1)];
		if (pos >= p->len) {
			pos -= p->len;
			start += p->len;
			continue;
		}
		n = p->len - pos < len ? p->len - pos : len;
		if (fw->ops.dma_read(fw->opaque, p->addr + pos, buf, n)) {
			nfw_dma_error(fw, p->addr + pos, n, "tcp send");
			return -1;
		}
		buf += n;
		len -= n;
		if (len) {
			pos = 0;
			start += p->len;
		}
	}
	if (len || !p)
		return -1;
	c->fetch_pair = i;		/* 1 + the pair the fetch ended in */
	c->fetch_seq = start;
	c->fetch_addr = p->addr;	/* and that pair */
	c->fetch_len = p->len;
	c->fetch_psh_end = start + (p->psh ? p->len : 0);
	return 0;
}

/*
 * The common case first: all of it in the pair the last fetch ended in
 * (which the cursor keeps a copy of), one DMA and the cursor stays.
 */
static inline int nfw_send_fetch(struct nfw *fw, struct nfw_conn *c,
				 uint32_t off, uint8_t *buf, uint32_t len)
{
	uint32_t pos = c->snd_una + off - c->fetch_seq;

	if (c->fetch_pair && pos < c->fetch_len &&
	    c->fetch_len - pos >= len) {
		if (fw->ops.dma_read(fw->opaque, c->fetch_addr + pos, buf,
				     len)) {
			nfw_dma_error(fw, c->fetch_addr + pos, len,
				      "tcp send");
			return -1;
		}
		return 0;
	}
	return nfw_send_fetch_walk(fw, c, off, buf, len);
}

/* Drop acked bytes from the front of the send queue. */
void nfw_tcp_drop_acked(struct nfw *fw, struct nfw_conn *c, uint32_t acked)
{
	while (acked && c->pair_count) {
		struct nfw_send_pair *p = &c->pairs[c->pair_head];
		uint32_t left = p->len - c->pair_off;

		if (acked < left) {
			c->pair_off += acked;
			return;
		}
		acked -= left;
		c->pair_off = 0;
		c->pair_head = (c->pair_head + 1) & (c->pair_cap - 1);
		c->pair_count--;
		/* the fetch cursor counts from head; forgotten with its pair */
		if (c->fetch_pair)
			c->fetch_pair--;
	}
}

/*
 * One SACK block from the held segments starting at o, overlapping and
 * adjacent ones merged.  Returns the segment after the block.
 */
static const struct nfw_ooo *nfw_ooo_block(const struct nfw_ooo *o,
					   uint32_t *l, uint32_t *r)
{
	*l = o->seq;
	*r = o->seq + o->len;
	for (o = o->next; o && SEQ_LEQ(o->seq, *r); o = o->next)
		*r = SEQ_MAX(*r, o->seq + o->len);
	return o;
}

/* SACK blocks the next segment carries. */
static unsigned int nfw_sack_blocks(const struct nfw_conn *c)
{
	const struct nfw_ooo *o = c->ooo;
	unsigned int n = 0;
	uint32_t l, r;

	if (!(c->flags & NFW_CF_SACK))
		return 0;
	for (; o && n < NFW_MAX_SACK_OUT; n++)
		o = nfw_ooo_block(o, &l, &r);
	return n;
}

/* Payload per segment now: SACK blocks take room, as in Linux. */
static uint32_t nfw_tcp_mss_now(const struct nfw_conn *c)
{
	unsigned int n = c->ooo ? nfw_sack_blocks(c) : 0;

	return c->mss - (n ? 4 + 8 * n : 0);
}

static inline __attribute__((always_inline)) uint8_t *
nfw_put_tcp_opts(struct nfw *fw, struct nfw_conn *c, uint8_t *p)
{
	unsigned int n = c->ooo ? nfw_sack_blocks(c) : 0, i;
	const struct nfw_ooo *o = c->ooo;

	if (c->flags & NFW_CF_TS) {
		/* NOP NOP TS 10 are the template's (nfw_tcp_hdr_build()) */
		nfw_put_be32(p + 4, (uint32_t)fw->now_ms + c->ts_offset);
		nfw_put_be32(p + 8, c->ts_recent);
		p += 12;
	}
	if (n) {
		*p++ = NFW_TCPOPT_NOP;
		*p++ = NFW_TCPOPT_NOP;
		*p++ = NFW_TCPOPT_SACK;
		*p++ = 2 + 8 * n;
		for (i = 0; i < n; i++, p += 8) {
			uint32_t l, r;

			o = nfw_ooo_block(o, &l, &r);
			nfw_put_be32(p, l);
			nfw_put_be32(p + 4, r);
		}
	}
	return p;
}

/* The TCP header's constant part: ports, and the timestamp option's
 * kinds (every segment of a connection with timestamps carries it). */
static void nfw_tcp_hdr_build_tcp(struct nfw_conn *c, uint8_t *th)
{
	nfw_put_be16(th, c->lport);
	nfw_put_be16(th + 2, c->pport);
	if (c->flags & NFW_CF_TS) {
		th[20] = NFW_TCPOPT_NOP;
		th[21] = NFW_TCPOPT_NOP;
		th[22] = NFW_TCPOPT_TS;
		th[23] = 10;
	}
}

/*
 * The Ethernet, IP and TCP headers of every segment of c, built once:
 * only the IP length and (IPv4) id change from segment to segment, and
 * their checksums are the template's plus those fields; of TCP the
 * ports and the timestamp option's kinds are there.
 */
static void nfw_tcp_hdr_build(struct nfw_conn *c)
{
	uint8_t *f = c->hdr, *ip = f + NFW_ETH_HLEN;
	uint64_t pseudo = nfw_csum_word(NFW_IPPROTO_TCP);

	memset(c->hdr, 0, sizeof(c->hdr));
	memcpy(f, c->pmac, 6);
	memcpy(f + 6, c->lmac, 6);
	nfw_put_be16(f + 12, c->v6 ? NFW_ETH_P_IPV6 : NFW_ETH_P_IP);
	if (c->v6) {
		ip[0] = 0x60 | c->tos >> 4;
		ip[1] = (uint8_t)(c->tos << 4) |
			((c->flowlabel >> 16) & 0xf);
		ip[2] = (uint8_t)(c->flowlabel >> 8);
		ip[3] = (uint8_t)c->flowlabel;
		ip[6] = NFW_IPPROTO_TCP;
		ip[7] = c->ttl;
		memcpy(ip + 8, c->laddr, 16);
		memcpy(ip + 24, c->paddr, 16);
		c->pseudo_sum = nfw_csum_acc(pseudo, ip + 8, 32);
		c->hdr_len = NFW_ETH_HLEN + 40;
		nfw_tcp_hdr_build_tcp(c, ip + 40);
		return;
	}
	ip[0] = 0x45;
	ip[1] = c->tos;
	/* DF: PMTU discovery, unless the path MTU is locked at the minimum */
	if (!(c->flags & NFW_CF_PMTU_LOCKED))
		nfw_put_be16(ip + 6, 0x4000);
	ip[8] = c->ttl;
	ip[9] = NFW_IPPROTO_TCP;
	memcpy(ip + 12, c->laddr, 4);
	memcpy(ip + 16, c->paddr, 4);
	c->hdr_sum = nfw_csum_acc(0, ip, 20);
	c->pseudo_sum = nfw_csum_acc(pseudo, ip + 12, 8);
	c->hdr_len = NFW_ETH_HLEN + 20;
	nfw_tcp_hdr_build_tcp(c, ip + 20);
}

/*
 * The frame's headers in fw->pkt: Ethernet, IP and TCP from the
 * connection's template, then the TCP options.  Returns the TCP header,
 * its length (options included) in *thl.
 */
static inline __attribute__((always_inline)) uint8_t *
nfw_tcp_hdr_start(struct nfw *fw, struct nfw_conn *c, uint32_t *thl)
{
	uint8_t *th;

	if (!c->hdr_len)
		nfw_tcp_hdr_build(c);
	/* constant size: the compiler copies it in a few moves */
	memcpy(fw->pkt, c->hdr, sizeof(c->hdr));
	th = fw->pkt + c->hdr_len;
	*thl = nfw_put_tcp_opts(fw, c, th + 20) - th;
	return th;
}

/*
 * Build and send one segment: seq, tcp_flags, and len payload bytes from
 * the send queue at seq (len at most nfw_tcp_mss_now()).  *win is the
 * window field: if negative, computed here (nfw_tcp_window()) and left
 * there for the next segment of the same output round, which would
 * compute the same (nothing it depends on changes between the two, and
 * its first result is its own fixed point).  Returns 0, or -1 if the
 * payload could not be fetched (a host buffer that went bad).
 */
static int nfw_tcp_xmit_win(struct nfw *fw, struct nfw_conn *c, uint32_t seq,
			    uint32_t len, uint8_t tcp_flags, int *win)
{
	uint8_t *f = fw->pkt, *ip = f + NFW_ETH_HLEN, *th;
	uint32_t l4_len, thl;
	uint64_t sum;

	th = nfw_tcp_hdr_start(fw, c, &thl);
	if (len) {
		if (nfw_send_fetch(fw, c, seq - c->snd_una, th + thl, len))
			return -1;
		/* the end of an application write (the fetch's pair) */
		if (seq + len == c->fetch_psh_end)
			tcp_flags |= NFW_TCP_PSH;
		c->data_segs_out++;
		c->last_data_tx_ms = fw->now_ms;
	}
	c->segs_out++;

	if (tcp_flags & NFW_TCP_RST) {
		th[14] = th[15] = 0;
	} else {
		if (*win < 0)
			*win = nfw_tcp_window(c);
		nfw_put_be16(th + 14, *win);
	}
	nfw_put_be32(th + 4, seq);
	nfw_put_be32(th + 8, c->rcv_nxt);
	th[12] = (thl / 4) << 4;
	th[13] = tcp_flags;
	l4_len = thl + len;

	if (c->v6) {
		nfw_put_be16(ip + 4, l4_len);
	} else {
		nfw_put_be16(ip + 2, 20 + l4_len);
		nfw_put_be16(ip + 4, c->ip_id);
		sum = nfw_csum_plus(c->hdr_sum, nfw_csum_word(20 + l4_len) +
					     nfw_csum_word(c->ip_id++));
		nfw_put_be16(ip + 10, ~nfw_csum_acc_fold(sum));
	}
	sum = nfw_csum_plus(c->pseudo_sum, nfw_csum_word(l4_len));
	sum = nfw_csum_acc(sum, th, l4_len);
	nfw_put_be16(th + 16, ~nfw_csum_acc_fold(sum));

	fw->ops.tx_frame(fw->opaque, f, c->hdr_len + l4_len);
	nfw_stat_add(fw, CHW_STAT_TX_FRAMES, 1);
	nfw_stat_add(fw, CHW_STAT_TX_BYTES, c->hdr_len + l4_len);

	if (!(tcp_flags & NFW_TCP_RST)) {
		/* every segment carries our latest ACK */
		c->flags &= ~NFW_CF_ACK_NOW;
		c->t_delack = 0;
		c->segs_unacked = 0;
		c->rcv_wup = c->rcv_nxt;
	}
	return 0;
}

static int nfw_tcp_xmit(struct nfw *fw, struct nfw_conn *c, uint32_t seq,
			uint32_t len, uint8_t tcp_flags)
{
	int win = -1;

	return nfw_tcp_xmit_win(fw, c, seq, len, tcp_flags, &win);
}

/* A segment with no data: an ACK, a keepalive, a probe, a reset. */
void nfw_tcp_send_ctl(struct nfw *fw, struct nfw_conn *c, uint32_t seq,
		      uint8_t tcp_flags)
{
	nfw_tcp_xmit(fw, c, seq, 0, tcp_flags);
}

/*
 * A segment of a burst that reaches the end of the pair the fetch cursor
 * holds, or lies past it (then the walk moves the cursor on): fetched as
 * nfw_tcp_xmit_win() fetches it, with PSH if it ends an application
 * write.  Whatever follows it in the burst comes here too (it starts at
 * or past that end), so PSH is taken off again here.  Returns -1 if the
 * send queue could not be read.
 */
static __attribute__((noinline)) int
nfw_burst_edge(struct nfw *fw, struct nfw_conn *c, uint32_t seq, uint8_t *th,
	       uint8_t *buf, uint32_t mss)
{
	if (nfw_send_fetch(fw, c, seq - c->snd_una, buf, mss))
		return -1;
	th[13] = seq + mss == c->fetch_psh_end ? NFW_TCP_ACK | NFW_TCP_PSH :
						 NFW_TCP_ACK;
	return 0;
}

/*
 * n full segments of new data, one after the other, each what the loop
 * of nfw_tcp_output() would send through nfw_tcp_xmit_win(): the headers
 * are built once, and for each segment only what differs is written (the
 * sequence number, the IP id, the checksums).  The caller checked that
 * nothing but new data is due (no recovery, no dupacks, nothing held
 * out of order, snd_nxt at snd_max) and that none of the n is the
 * queue's last (FIN, Nagle and cork are the loop's).  A segment that
 * ends an application write carries PSH, as Linux's GSO puts it on the
 * last segment of a write.
 *
 * Where the next PSH may fall is known before the segments go: only at
 * the end of the pair the fetch cursor holds ([base, bound) of the
 * sequence space, at addr in host memory).  A segment that ends short of
 * bound is one DMA from addr, with no other test; the one that reaches
 * bound, and the next one (which starts a pair), go through
 * nfw_burst_edge(), which moves the cursor, sets or clears PSH, and
 * gives the next bound.  The counters are summed once, after the loop.
 * Returns -1 if the send queue could not be read.
 */
static int nfw_tcp_burst(struct nfw *fw, struct nfw_conn *c, uint32_t n,
			 uint32_t mss, int *win)
{
	uint8_t *f = fw->pkt, *ip = f + NFW_ETH_HLEN, *th, *data;
	uint32_t thl, l4_len, flen, seq = c->snd_nxt, i, base, bound;
	uint16_t ip_id = c->ip_id;
	uint64_t ipsum = 0, tsum, addr;
	int ret = 0;

	th = nfw_tcp_hdr_start(fw, c, &thl);
	data = th + thl;
	if (*win < 0)
		*win = nfw_tcp_window(c);
	nfw_put_be16(th + 14, *win);
	nfw_put_be32(th + 8, c->rcv_nxt);
	th[12] = (thl / 4) << 4;
	th[13] = NFW_TCP_ACK;
	l4_len = thl + mss;
	flen = c->hdr_len + l4_len;
	if (c->v6) {
		nfw_put_be16(ip + 4, l4_len);
	} else {
		nfw_put_be16(ip + 2, 20 + l4_len);
		ipsum = nfw_csum_plus(c->hdr_sum, nfw_csum_word(20 + l4_len));
	}
	tsum = nfw_csum_plus(c->pseudo_sum, nfw_csum_word(l4_len));
	if (!(c->flags & (NFW_CF_TS | NFW_CF_RTT_TIMING))) {
		c->flags |= NFW_CF_RTT_TIMING;
		c->rtt_seq = seq;
		c->rtt_start_ms = fw->now_ms;
	}
	/* no cursor, or one behind us: the first segment is an edge */
	base = c->fetch_seq;
	addr = c->fetch_addr;
	bound = c->fetch_pair && SEQ_LEQ(base, seq) ? base + c->fetch_len :
						      seq;
	for (i = 0; i < n; i++, seq += mss) {
		if (__builtin_expect(SEQ_LT(seq + mss, bound), 1)) {
			if (fw->ops.dma_read(fw->opaque, addr + (seq - base),
					     data, mss)) {
				nfw_dma_error(fw, addr + (seq - base), mss,
					      "tcp send");
				ret = -1;
				break;
			}
		} else {
			if (nfw_burst_edge(fw, c, seq, th, data, mss)) {
				ret = -1;
				break;
			}
			base = c->fetch_seq;
			addr = c->fetch_addr;
			bound = base + c->fetch_len;
		}
		nfw_put_be32(th + 4, seq);
		if (!c->v6) {
			nfw_put_be16(ip + 4, ip_id);
			nfw_put_be16(ip + 10, ~nfw_csum_acc_fold(
				nfw_csum_plus(ipsum, nfw_csum_word(ip_id))));
			ip_id++;
		}
		th[16] = th[17] = 0;
		nfw_put_be16(th + 16, ~nfw_csum_acc_fold(
					nfw_csum_acc(tsum, th, l4_len)));
		fw->ops.tx_frame(fw->opaque, f, flen);
	}
	if (!i)
		return ret;
	c->snd_nxt = c->snd_max = seq;
	c->ip_id = ip_id;
	nfw_stat_add(fw, CHW_STAT_TX_FRAMES, i);
	nfw_stat_add(fw, CHW_STAT_TX_BYTES, (uint64_t)i * flen);
	c->bytes_sent += (uint64_t)i * mss;
	c->segs_out += i;
	c->data_segs_out += i;
	c->last_data_tx_ms = fw->now_ms;
	/* every segment carries our latest ACK */
	c->flags &= ~NFW_CF_ACK_NOW;
	c->t_delack = 0;
	c->segs_unacked = 0;
	c->rcv_wup = c->rcv_nxt;
	if (!c->t_rexmt)
		nfw_tcp_arm_rexmt(fw, c);
	c->t_persist = 0;
	return ret;
}

/* A host buffer of the send queue failed: the stream cannot go on. */
static void nfw_tcp_send_broken(struct nfw *fw, struct nfw_conn *c)
{
	nfw_log(fw, "conn 0x%x: send buffer unreadable, resetting", c->cid);
	nfw_tcp_send_ctl(fw, c, c->snd_nxt, NFW_TCP_RST | NFW_TCP_ACK);
	nfw_conn_close(fw, c, NFW_EV_RESET);
}

static void nfw_tcp_send(struct nfw *fw, struct nfw_conn *c)
{
	uint32_t mss, cwnd;
	int win = -1;

	/* the common cases on receive: nothing to do, or only an ACK */
	if (nfw_tcp_all_sent(c)) {
		/*
		 * TIME_WAIT too: the ACK of the FIN that took us there goes
		 * now, before the OS takes the connection back (the peer
		 * would otherwise resend its FIN after an RTO).
		 */
		if ((c->flags & NFW_CF_ACK_NOW) &&
		    c->state != NFW_TCPS_CLOSED)
			nfw_tcp_send_ctl(fw, c, c->snd_nxt, NFW_TCP_ACK);
		return;
	}
	if (c->state == NFW_TCPS_CLOSED || c->state == NFW_TCPS_TIME_WAIT)
		return;
	/*
	 * What the loop does not change: the state (sending FIN moves it
	 * to FIN_WAIT1 or LAST_ACK, not out of the send states), the
	 * segment size (SACK blocks), cwnd, dupacks, recovery.
	 */
	mss = nfw_tcp_mss_now(c);
	cwnd = c->cwnd;
	/* limited transmit (RFC 3042): a segment per early dupack */
	if (c->dupacks && c->dupacks < 3 && !(c->flags & NFW_CF_RECOVERY))
		cwnd += c->dupacks * c->mss;
	/*
	 * Bulk send: full segments of new data, all but the queue's last
	 * (its PSH, FIN and Nagle are the loop's), go out together.
	 */
	if (!c->dupacks && !c->ooo && c->snd_nxt == c->snd_max &&
	    !(c->flags & NFW_CF_RECOVERY) && SEQ_GT(c->write_seq, c->snd_nxt)) {
		uint32_t off = c->snd_nxt - c->snd_una;
		uint32_t avail = c->write_seq - c->snd_nxt;
		uint32_t lim = c->snd_wnd > off ? c->snd_wnd - off : 0;
		uint32_t n;

		if (lim > cwnd - off || cwnd <= off)
			lim = cwnd > off ? cwnd - off : 0;
		if (lim > avail)
			lim = avail;
		n = lim / mss;
		if (n && n * mss == avail)
			n--;
		if (n && nfw_tcp_burst(fw, c, n, mss, &win)) {
			nfw_tcp_send_broken(fw, c);
			return;
		}
	}
	for (;;) {
		uint32_t off = c->snd_nxt - c->snd_una;
		uint32_t avail = SEQ_GT(c->write_seq, c->snd_nxt) ?
				 c->write_seq - c->snd_nxt : 0;
		uint32_t len, seq = c->snd_nxt, room;
		bool fin, send;
		uint8_t tf = NFW_TCP_ACK;

		/* the peer's window bounds what is outstanding; cwnd bounds
		 * what is in flight, which in SACK recovery is the pipe */
		len = c->snd_wnd > off ? c->snd_wnd - off : 0;
		if ((c->flags & NFW_CF_RECOVERY) && (c->flags & NFW_CF_SACK))
			room = cwnd > nfw_sack_pipe(c) ?
			       cwnd - nfw_sack_pipe(c) : 0;
		else
			room = cwnd > off ? cwnd - off : 0;
		if (len > room)
			len = room;
		if (len > avail)
			len = avail;
		if (len > mss)
			len = mss;
		fin = (c->flags & NFW_CF_FIN_QUEUED) &&
		      SEQ_LEQ(c->snd_nxt, c->write_seq) &&
		      c->snd_nxt + len == c->write_seq;

		if (len == mss)
			send = true;
		else if ((c->flags & (NFW_CF_CORK | NFW_CF_MORE)) &&
			 !(c->flags & NFW_CF_WAKEUP) && !(fin && len == avail))
			send = false;	/* corked: full segments, or FIN */
		else if (len && len == avail &&
			 (off == 0 || (c->flags & NFW_CF_NODELAY) || fin))
			send = true;	/* Nagle: one small segment in flight */
		else if (len && len >= c->max_window / 2)
			send = true;
		else if (fin && len == avail)
			send = true;
		else
			send = false;

		if (!send) {
			if (c->flags & NFW_CF_ACK_NOW)
				nfw_tcp_xmit_win(fw, c, c->snd_nxt, 0,
						 NFW_TCP_ACK, &win);
			break;
		}
		if (fin)
			tf |= NFW_TCP_FIN;
		if (len && len == avail)
			tf |= NFW_TCP_PSH;
		if (nfw_tcp_xmit_win(fw, c, seq, len, tf, &win)) {
			nfw_tcp_send_broken(fw, c);
			return;
		}
		if (len && !(c->flags & (NFW_CF_TS | NFW_CF_RTT_TIMING)) &&
		    SEQ_GEQ(seq, c->snd_max)) {
			c->flags |= NFW_CF_RTT_TIMING;
			c->rtt_seq = seq;
			c->rtt_start_ms = fw->now_ms;
		}
		if (SEQ_LT(seq, c->snd_max) && len) {
			c->rexmits++;
			c->bytes_rexmit += len;
		}
		c->snd_nxt += len + (fin ? 1 : 0);
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		c->bytes_sent += len;
		if (fin && !(c->flags & NFW_CF_FIN_SENT)) {
			c->flags |= NFW_CF_FIN_SENT;
			if (c->state == NFW_TCPS_ESTABLISHED)
				c->state = NFW_TCPS_FIN_WAIT1;
			else if (c->state == NFW_TCPS_CLOSE_WAIT)
				c->state = NFW_TCPS_LAST_ACK;
		}
		if (!c->t_rexmt)
			nfw_tcp_arm_rexmt(fw, c);
		c->t_persist = 0;
	}

	/*
	 * A zero window with data waiting: probe it (RFC 9293 3.8.6.1).  A
	 * corked (or MSG_MORE) tail with nothing in flight waits for the same
	 * timer, as in Linux (tcp_check_probe_timer()): when it fires, the
	 * tail goes out (tcp_write_wakeup(), the "200 ms ceiling" of cork).
	 */
	if ((c->snd_wnd == 0 || SEQ_GT(c->write_seq, c->snd_nxt)) &&
	    SEQ_GT(c->write_seq, c->snd_una) &&
	    c->snd_nxt == c->snd_una && !c->t_rexmt && !c->t_persist) {
		c->probe_start_ms = 0;	/* a new zero window */
		if (!c->persist_ms)
			c->persist_ms = c->rto_ms > NFW_PERSIST_MIN_MS ?
					c->rto_ms : NFW_PERSIST_MIN_MS;
		c->t_persist = fw->now_ms + c->persist_ms;
	}
}

/*
 * What the OS knows was sent (sent_reported) against what was: report
 * if its answer to "not sent < lowat" (or "< lowat / 2") changes, or,
 * with always, if it differs at all (a threshold was just set).
 */
void nfw_tcp_sent_check(struct nfw *fw, struct nfw_conn *c, bool always)
{
	uint64_t sent = nfw_tcp_sent_total(c), written;

	if (!c->notsent_lowat || sent <= c->sent_reported)
		return;
	/* the queue's end as the OS counts it */
	written = sent + (SEQ_GT(c->write_seq, c->snd_max) ?
			  c->write_seq - c->snd_max : 0);
	if (always || nfw_notsent_crossed(written - c->sent_reported,
					  written - sent, c->notsent_lowat)) {
		c->sent_reported = sent;
		nfw_conn_news(fw, c, NFW_EV_SENT);
	}
}

void nfw_tcp_output(struct nfw *fw, struct nfw_conn *c)
{
	uint32_t snd_max = c->snd_max;

	nfw_tcp_send(fw, c);
	if (c->notsent_lowat && c->snd_max != snd_max &&
	    c->state != NFW_TCPS_CLOSED)
		nfw_tcp_sent_check(fw, c, false);
}

/*
 * Send [seq, seq + len) again (len at most a segment), with FIN if it ends
 * where our FIN is.  Returns -1 if the connection broke meanwhile.
 */
int nfw_tcp_rexmit(struct nfw *fw, struct nfw_conn *c, uint32_t seq,
		   uint32_t len)
{
	uint8_t tf = NFW_TCP_ACK;
	uint32_t mss = nfw_tcp_mss_now(c);

	if (len > mss)
		len = mss;
	if (SEQ_GT(seq + len, c->write_seq))
		len = SEQ_GT(c->write_seq, seq) ? c->write_seq - seq : 0;
	if ((c->flags & NFW_CF_FIN_SENT) && seq + len == c->write_seq)
		tf |= NFW_TCP_FIN;
	if (!len && !(tf & NFW_TCP_FIN))
		return 0;
	if (nfw_tcp_xmit(fw, c, seq, len, tf)) {
		nfw_tcp_send_broken(fw, c);
		return -1;
	}
	c->rexmits++;
	c->bytes_rexmit += len;
	c->bytes_sent += len;
	nfw_stat_add(fw, CHW_STAT_TCP_REXMT, 1);
	c->flags &= ~NFW_CF_RTT_TIMING;		/* Karn */
	return 0;
}

/* Retransmit the first unacknowledged segment (fast retransmit). */
void nfw_tcp_rexmit_una(struct nfw *fw, struct nfw_conn *c)
{
	nfw_tcp_rexmit(fw, c, c->snd_una, c->mss);
}
