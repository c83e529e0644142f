// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_tcp_state.c - a connection's state in and out: ch_nic_handoff reads
 * a struct chw_conn_state from host memory, ch_nic_restore writes one back.
 *
 * Every field the OS sends is checked before the NIC commits to anything:
 * a handoff is taken whole or refused with a status, never half done.
 */
#include <stdlib.h>

#include "nfw_tcp.h"

static bool nfw_state_ok(uint8_t st)
{
	switch (st) {
	case NFW_TCPS_ESTABLISHED:
	case NFW_TCPS_CLOSE_WAIT:
	case NFW_TCPS_FIN_WAIT1:
	case NFW_TCPS_FIN_WAIT2:
	case NFW_TCPS_CLOSING:
	case NFW_TCPS_LAST_ACK:
		return true;
	}
	return false;
}

/* Is the FIN bookkeeping consistent with the TCP state? */
static bool nfw_fin_ok(uint8_t st, uint8_t opt)
{
	bool sent = opt & CHW_OPT_FIN_SENT, rcvd = opt & CHW_OPT_FIN_RCVD;

	switch (st) {
	case NFW_TCPS_ESTABLISHED:
		return !sent && !rcvd;
	case NFW_TCPS_CLOSE_WAIT:
		return !sent && rcvd;
	case NFW_TCPS_FIN_WAIT1:
	case NFW_TCPS_FIN_WAIT2:
		return sent && !rcvd;
	default:	/* CLOSING, LAST_ACK */
		return sent && rcvd;
	}
}

static int nfw_state_check(const struct chw_conn_state *st)
{
	uint32_t snd_una = le32toh(st->snd_una), snd_nxt = le32toh(st->snd_nxt);
	uint32_t write_seq = le32toh(st->write_seq);
	uint32_t fin = (st->opt & CHW_OPT_FIN_SENT) ? 1 : 0;
	uint16_t mtu = le16toh(st->mtu), mss = le16toh(st->mss);

	if (le16toh(st->version) != CHW_STATE_VERSION ||
	    le16toh(st->hdr_len) != sizeof(*st))
		return CHW_ST_BAD_STATE;
	if ((st->family != 4 && st->family != 6) ||
	    !nfw_state_ok(st->tcp_state) || !nfw_fin_ok(st->tcp_state, st->opt))
		return CHW_ST_BAD_STATE;
	/* IPv4: down to Linux's min_pmtu, where an ICMP may take a route */
	if (mtu < (st->family == 6 ? 1280 : 552) || mtu > 9216 ||
	    mss < 64 || mss > mtu - 40 ||
	    st->snd_wscale > 14 || st->rcv_wscale > 14 ||
	    !st->local_port || !st->peer_port)
		return CHW_ST_BAD_STATE;
	if (SEQ_GT(snd_una, snd_nxt) || SEQ_GT(snd_nxt, write_seq + fin) ||
	    SEQ_GT(le32toh(st->copied_seq), le32toh(st->rcv_nxt)) ||
	    SEQ_GT(le32toh(st->rcv_wup), le32toh(st->rcv_nxt)))
		return CHW_ST_BAD_STATE;
	if (write_seq - snd_una > (1u << 30))
		return CHW_ST_BAD_STATE;
	return CHW_ST_OK;
}

static uint32_t nfw_pow2_at_least(uint32_t n)
{
	uint32_t p = CHW_CONN_SEND_SLOTS;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * ch_nic_handoff: take the connection described at addr.  Returns a
 * CHW_ST_* status; on CHW_ST_OK *out is the new, hashed connection.
 */
int nfw_tcp_import(struct nfw *fw, uint64_t addr, uint32_t len,
		   struct nfw_conn **out)
{
	struct chw_conn_state st;
	struct chw_send_range *ranges = NULL;
	struct nfw_conn *c;
	uint32_t nr, i, total = 0, cap;
	int status;

	if (len < sizeof(st))
		return CHW_ST_BAD_LEN;
	if (fw->ops.dma_read(fw->opaque, addr, &st, sizeof(st))) {
		nfw_dma_error(fw, addr, sizeof(st), "handoff");
		return CHW_ST_DMA;
	}
	status = nfw_state_check(&st);
	if (status)
		return status;
	nr = le16toh(st.nr_send);
	if (nr > CHW_STATE_MAX_SEND ||
	    len != sizeof(st) + nr * sizeof(struct chw_send_range))
		return CHW_ST_BAD_LEN;
	if (nr) {
		ranges = malloc(nr * sizeof(*ranges));
		if (!ranges)
			return CHW_ST_NO_MEM;
		if (fw->ops.dma_read(fw->opaque, addr + sizeof(st), ranges,
				     nr * sizeof(*ranges))) {
			nfw_dma_error(fw, addr + sizeof(st),
				      nr * sizeof(*ranges), "handoff");
			free(ranges);
			return CHW_ST_DMA;
		}
	}
	for (i = 0; i < nr; i++) {
		uint64_t a = le64toh(ranges[i].addr);
		uint32_t l = le32toh(ranges[i].len);

		if (!l || l > (1u << 30) ||
		    (fw->ops.dma_ok && !fw->ops.dma_ok(fw->opaque, a, l))) {
			free(ranges);
			return l ? CHW_ST_DMA : CHW_ST_BAD_LEN;
		}
		total += l;
	}
	if (total != le32toh(st.write_seq) - le32toh(st.snd_una)) {
		free(ranges);
		return CHW_ST_BAD_STATE;
	}
	if (nfw_conn_lookup(fw, st.family == 6, st.local_addr, st.peer_addr,
			    be16toh(st.local_port), be16toh(st.peer_port))) {
		free(ranges);
		return CHW_ST_BAD_STATE;	/* this 4-tuple is ours already */
	}

	c = nfw_conn_alloc(fw, &status);
	if (!c) {
		free(ranges);
		return status;
	}
	cap = nfw_pow2_at_least(nr);
	c->pairs = calloc(cap, sizeof(*c->pairs));
	if (!c->pairs || !nfw_mem_charge(fw, c, cap * sizeof(*c->pairs))) {
		free(ranges);
		c->state = NFW_TCPS_CLOSED;	/* never hashed */
		nfw_conn_free(fw, c);
		return CHW_ST_NO_MEM;
	}
	c->pair_cap = cap;
	for (i = 0; i < nr; i++) {
		c->pairs[i].addr = le64toh(ranges[i].addr);
		c->pairs[i].len = le32toh(ranges[i].len);
	}
	/* what the application wrote ends at write_seq */
	if (nr)
		c->pairs[nr - 1].psh = 1;
	c->pair_count = nr;
	free(ranges);

	c->v6 = st.family == 6;
	memcpy(c->laddr, st.local_addr, 16);
	memcpy(c->paddr, st.peer_addr, 16);
	c->lport = be16toh(st.local_port);
	c->pport = be16toh(st.peer_port);
	memcpy(c->lmac, st.local_mac, 6);
	memcpy(c->pmac, st.peer_mac, 6);
	c->mtu = le16toh(st.mtu);
	c->mss = le16toh(st.mss);
	c->tos = st.tos;
	c->ttl = st.ttl ? st.ttl : 64;
	/* the host TCP's label, kept: a handoff changes nothing on the wire */
	c->flowlabel = c->v6 ? le32toh(st.flowlabel) &
			       (CHW_FLOWLABEL_MASK | CHW_FLOWLABEL_REHASH) : 0;
	c->state = st.tcp_state;
	if (st.opt & CHW_OPT_SACK)
		c->flags |= NFW_CF_SACK;
	if (st.opt & CHW_OPT_TS)
		c->flags |= NFW_CF_TS;
	if (st.opt & CHW_OPT_NODELAY)
		c->flags |= NFW_CF_NODELAY;
	if (st.opt & CHW_OPT_FIN_SENT)
		c->flags |= NFW_CF_FIN_QUEUED | NFW_CF_FIN_SENT;
	if (st.opt & CHW_OPT_FIN_RCVD)
		c->flags |= NFW_CF_FIN_RCVD;
	if (st.opt & CHW_OPT_WSCALE) {
		c->snd_wscale = st.snd_wscale;
		c->rcv_wscale = st.rcv_wscale;
	}

	c->snd_una = le32toh(st.snd_una);
	c->snd_nxt = le32toh(st.snd_nxt);
	c->snd_max = c->snd_nxt;
	c->write_seq = le32toh(st.write_seq);
	c->snd_wnd = le32toh(st.snd_wnd);
	c->snd_wl1 = le32toh(st.snd_wl1);
	c->snd_wl2 = le32toh(st.snd_wl2);
	c->max_window = le32toh(st.max_window);
	if (c->max_window < c->snd_wnd)
		c->max_window = c->snd_wnd;
	c->recover = c->snd_una;
	c->high_sack = c->snd_una;
	c->rcv_nxt = le32toh(st.rcv_nxt);
	c->rcv_wup = le32toh(st.rcv_wup);
	c->rcv_adv = c->rcv_wup + le32toh(st.rcv_wnd);
	if (SEQ_LT(c->rcv_adv, c->rcv_nxt))
		c->rcv_adv = c->rcv_nxt;
	c->copied_seq = le32toh(st.copied_seq);
	c->rcvbuf = le32toh(st.rcvbuf) ? le32toh(st.rcvbuf) : 128u << 10;
	/* the window grows from what the OS offered, as it would have */
	c->rcv_ssthresh = c->rcv_adv - c->rcv_nxt > c->mss ?
			  c->rcv_adv - c->rcv_nxt : c->mss;
	c->keepintvl_ms = NFW_KEEP_INTVL_MS;
	c->keepcnt = NFW_KEEP_PROBES;
	c->fin_timeout_ms = CHW_FIN_TIMEOUT_DEFAULT;

	fw->now_ms = nfw_now_ms(fw);
	c->ts_offset = le32toh(st.ts_val) - (uint32_t)fw->now_ms;
	c->ts_recent = le32toh(st.ts_recent);
	if (le32toh(st.ts_recent_age_ms) != UINT32_MAX &&
	    fw->now_ms > le32toh(st.ts_recent_age_ms))
		c->ts_recent_ms = fw->now_ms - le32toh(st.ts_recent_age_ms);

	c->srtt_us = le32toh(st.srtt_us);
	c->rttvar_us = le32toh(st.rttvar_us);
	c->rto_ms = le32toh(st.rto_ms);
	if (c->rto_ms < NFW_RTO_MIN_MS || c->rto_ms > NFW_RTO_MAX_MS)
		c->rto_ms = NFW_RTO_INIT_MS;
	c->cwnd = le32toh(st.snd_cwnd) ? le32toh(st.snd_cwnd) * c->mss :
		  10u * c->mss;
	c->ssthresh = le32toh(st.snd_ssthresh) &&
		      le32toh(st.snd_ssthresh) < (1u << 16) ?
		      le32toh(st.snd_ssthresh) * c->mss : 1u << 30;
	c->ip_id = (uint16_t)(c->snd_nxt ^ c->rcv_nxt);
	c->last_rx_ms = fw->now_ms;

	nfw_conn_hash(fw, c);
	if (c->snd_una != c->snd_max)
		nfw_tcp_arm_rexmt(fw, c);
	*out = c;
	return CHW_ST_OK;
}

/*
 * ch_nic_restore: write c's state to the host and let the connection go.
 * Data the peer sent that the NIC held out of order is not exported: it
 * was never acknowledged, and the peer sends it again.
 */
int nfw_tcp_export(struct nfw *fw, struct nfw_conn *c, uint64_t addr,
		   uint32_t len, uint32_t *written)
{
	uint32_t need = sizeof(struct chw_conn_state) +
			c->pair_count * sizeof(struct chw_send_range);
	struct chw_conn_state st;
	uint8_t opt = 0;
	uint32_t i;

	if (len < need)
		return CHW_ST_BAD_LEN;
	if (c->flags & NFW_CF_SACK)
		opt |= CHW_OPT_SACK;
	if (c->flags & NFW_CF_TS)
		opt |= CHW_OPT_TS;
	if (c->snd_wscale || c->rcv_wscale)
		opt |= CHW_OPT_WSCALE;
	if (c->flags & NFW_CF_NODELAY)
		opt |= CHW_OPT_NODELAY;
	if (c->flags & NFW_CF_FIN_SENT)
		opt |= CHW_OPT_FIN_SENT;
	if (c->flags & NFW_CF_FIN_RCVD)
		opt |= CHW_OPT_FIN_RCVD;

	memset(&st, 0, sizeof(st));
	st.version = htole16(CHW_STATE_VERSION);
	st.hdr_len = htole16(sizeof(st));
	st.nr_send = htole16(c->pair_count);
	st.family = c->v6 ? 6 : 4;
	st.tcp_state = c->state;
	memcpy(st.local_mac, c->lmac, 6);
	memcpy(st.peer_mac, c->pmac, 6);
	st.mtu = htole16(c->mtu);
	st.mss = htole16(c->mss);
	st.rcv_mss = htole16(c->mss);
	memcpy(st.local_addr, c->laddr, 16);
	memcpy(st.peer_addr, c->paddr, 16);
	st.local_port = htobe16(c->lport);
	st.peer_port = htobe16(c->pport);
	st.opt = opt;
	st.snd_wscale = c->snd_wscale;
	st.rcv_wscale = c->rcv_wscale;
	st.tos = c->tos;
	st.ttl = c->ttl;
	st.snd_una = htole32(c->snd_una);
	/* what is past snd_una the host sends again if it must */
	st.snd_nxt = htole32(c->snd_max);
	st.snd_wnd = htole32(c->snd_wnd);
	st.snd_wl1 = htole32(c->snd_wl1);
	st.snd_wl2 = htole32(c->snd_wl2);
	st.max_window = htole32(c->max_window);
	st.write_seq = htole32(c->write_seq);
	st.rcv_nxt = htole32(c->rcv_nxt);
	st.rcv_wnd = htole32(c->rcv_adv - c->rcv_nxt);
	st.rcv_wup = htole32(c->rcv_nxt);
	st.copied_seq = htole32(c->copied_seq);
	st.ts_val = htole32((uint32_t)fw->now_ms + c->ts_offset);
	st.ts_recent = htole32(c->ts_recent);
	st.ts_recent_age_ms = htole32(c->ts_recent_ms ?
				      (uint32_t)(fw->now_ms - c->ts_recent_ms) :
				      UINT32_MAX);
	st.srtt_us = htole32(c->srtt_us);
	st.rttvar_us = htole32(c->rttvar_us);
	st.rto_ms = htole32(c->rto_ms);
	st.snd_cwnd = htole32(c->cwnd / c->mss ? c->cwnd / c->mss : 1);
	st.snd_ssthresh = htole32(c->ssthresh >= (1u << 30) ? 0 :
				  c->ssthresh / c->mss);
	st.sndbuf = 0;
	st.rcvbuf = htole32(c->rcvbuf);
	st.flowlabel = htole32(c->flowlabel);

	if (fw->ops.dma_write(fw->opaque, addr, &st, sizeof(st))) {
		nfw_dma_error(fw, addr, sizeof(st), "restore");
		return CHW_ST_DMA;
	}
	for (i = 0; i < c->pair_count; i++) {
		const struct nfw_send_pair *p =
			&c->pairs[(c->pair_head + i) & (c->pair_cap - 1)];
		uint32_t off = i ? 0 : c->pair_off;
		struct chw_send_range r = {
			.addr = htole64(p->addr + off),
			.len = htole32(p->len - off),
		};
		uint64_t at = addr + sizeof(st) + i * sizeof(r);

		if (fw->ops.dma_write(fw->opaque, at, &r, sizeof(r))) {
			nfw_dma_error(fw, at, sizeof(r), "restore");
			return CHW_ST_DMA;
		}
	}
	*written = need;
	return CHW_ST_OK;
}

/* Bytes to segments, a partial one counted. */
static uint32_t nfw_segs(const struct nfw_conn *c, uint32_t bytes)
{
	return (bytes + c->mss - 1) / c->mss;
}

/* ms since t, 0 if never (t is 0). */
static uint32_t nfw_ago(const struct nfw *fw, uint64_t t)
{
	uint64_t d = t && fw->now_ms > t ? fw->now_ms - t : 0;

	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/*
 * Linux's congestion state: recovery (fast retransmit under way), loss
 * (after an RTO, until what was out then is acknowledged: snd_una short
 * of recover outside recovery), disorder (dupacks or SACKs seen), open.
 * And the scoreboard's counts as Linux keeps them, in segments.
 */
static uint8_t nfw_tcp_ca_state(const struct nfw_conn *c, uint32_t *retrans,
				uint32_t *lost, uint32_t *sacked)
{
	uint32_t below = c->high_sack - c->snd_una;	/* holes and SACKs */

	*sacked = (c->flags & NFW_CF_SACK) ? nfw_segs(c, c->sacked) :
		  c->dupacks;
	if (c->flags & NFW_CF_RECOVERY) {
		if (c->flags & NFW_CF_SACK) {
			*retrans = nfw_segs(c, c->rexmit_out);
			*lost = below > c->sacked ?
				nfw_segs(c, below - c->sacked) : 1;
		} else {
			*retrans = *lost = 1;	/* NewReno: the head */
		}
		return 3;
	}
	if (SEQ_LT(c->snd_una, c->recover)) {
		uint32_t out = c->snd_max - c->snd_una;
		uint32_t resent = SEQ_LT(c->snd_nxt, c->snd_max) ?
				  c->snd_nxt - c->snd_una : out;

		*retrans = nfw_segs(c, resent);
		*lost = nfw_segs(c, out > c->sacked ? out - c->sacked : 0);
		return 4;
	}
	*retrans = *lost = 0;
	return c->dupacks || c->sacked ? 1 : 0;
}

/* CHW_OP_INFO: c's live figures, as Linux's tcp_get_info() gives them. */
void nfw_tcp_info(struct nfw *fw, const struct nfw_conn *c,
		  struct chw_conn_info *ci)
{
	uint32_t retrans, lost, sacked;
	uint32_t fin = (c->flags & NFW_CF_FIN_QUEUED) ? 1 : 0;

	fw->now_ms = nfw_now_ms(fw);
	memset(ci, 0, sizeof(*ci));
	ci->tcp_state = c->state;
	ci->ca_state = nfw_tcp_ca_state(c, &retrans, &lost, &sacked);
	ci->backoff = c->backoff;
	ci->probes = c->keep_probes;
	ci->rto_us = htole32(nfw_rto_backed_off(c) * 1000u);
	ci->ato_us = htole32(NFW_DELACK_MS * 1000u);
	ci->srtt_us = htole32(c->srtt_us);
	ci->rttvar_us = htole32(c->rttvar_us);
	ci->snd_cwnd = htole32(c->cwnd / c->mss);
	ci->snd_ssthresh = htole32(c->ssthresh >= (1u << 30) ? INT32_MAX :
				   c->ssthresh / c->mss);
	ci->snd_mss = htole32(c->mss);
	ci->rcv_mss = htole32(c->mss);
	ci->snd_una = htole32(c->snd_una);
	/* Linux's snd_nxt is the next new byte: after an RTO, snd_max */
	ci->snd_nxt = htole32(c->snd_max);
	ci->write_seq = htole32(c->write_seq + fin);	/* a FIN counts */
	ci->rcv_nxt = htole32(c->rcv_nxt);
	ci->copied_seq = htole32(c->copied_seq);
	ci->snd_wnd = htole32(c->snd_wnd);
	ci->rcv_wnd = htole32(SEQ_GT(c->rcv_adv, c->rcv_nxt) ?
			      c->rcv_adv - c->rcv_nxt : 0);
	ci->retrans_out = htole32(retrans);
	ci->lost_out = htole32(lost);
	ci->sacked_out = htole32(sacked);
	ci->total_retrans = htole32(c->rexmits);
	ci->segs_in = htole32(c->segs_in);
	ci->segs_out = htole32(c->segs_out);
	ci->data_segs_in = htole32(c->data_segs_in);
	ci->data_segs_out = htole32(c->data_segs_out);
	ci->last_data_sent_ms = htole32(nfw_ago(fw, c->last_data_tx_ms));
	ci->last_data_recv_ms = htole32(nfw_ago(fw, c->last_data_rx_ms));
	ci->last_ack_recv_ms = htole32(nfw_ago(fw, c->last_rx_ms));
	ci->pmtu = htole32(c->mtu);
	ci->bytes_sent = htole64(c->bytes_sent);
	ci->bytes_retrans = htole64(c->bytes_rexmit);
	ci->bytes_acked = htole64(c->bytes_acked);
	ci->bytes_received = htole64(c->bytes_rcvd);
}
