// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_conn_cmd.c - the OS's commands for offloaded connections: the
 * paper's ch_nic_handoff, restore, send, recvd, ctrl, forward and post,
 * and the query of a connection's live figures (info).
 *
 * Each handler validates every field first and answers a bad one with an
 * error event, leaving the connection (and every other) as it was.
 */
#include <stdlib.h>

#include "nfw_tcp.h"

/*
 * A window update is worth a segment of its own only when the window at
 * least doubles, Linux's rule (tcp_cleanup_rbuf()): the ACK every second
 * segment already carries the window while data flows, so this is for a
 * peer that has nearly filled what we offered.  Never for less than a
 * segment's worth (receiver SWS avoidance, RFC 1122 4.2.3.3).
 */
static inline bool nfw_window_opens(const struct nfw_conn *c)
{
	uint32_t offered = SEQ_GT(c->rcv_adv, c->rcv_nxt) ?
			   c->rcv_adv - c->rcv_nxt : 0;
	uint32_t now = nfw_tcp_rcv_wnd(c);
	uint32_t step = c->mss < c->rcvbuf / 2 ? c->mss : c->rcvbuf / 2;

	return now / 2 >= offered && now - offered >= step;
}

static int nfw_cmd_handoff(struct nfw *fw, const struct chw_cmd_handoff *m,
			   uint32_t *cid)
{
	struct nfw_conn *c;
	int st = nfw_tcp_import(fw, le64toh(m->state_addr),
				le16toh(m->state_len), &c);

	if (st)
		return st;
	*cid = c->cid;
	/*
	 * Linux sends nothing because a connection moved: data or a FIN
	 * that is due goes, and an ACK it owed (data since the last window
	 * it sent) goes when its delayed-ACK timer would have sent it.
	 */
	if (c->rcv_nxt != c->rcv_wup)
		c->t_delack = fw->now_ms + NFW_DELACK_MS;
	if (!nfw_tcp_all_sent(c))
		nfw_tcp_output(fw, c);
	return CHW_ST_OK;
}

/*
 * ch_nic_ctrl's query: the connection's live figures (TCP_INFO), written
 * whole or not at all; the connection stays.
 */
static int nfw_cmd_info(struct nfw *fw, struct nfw_conn *c,
			const struct chw_cmd_info *m, uint32_t *written)
{
	uint64_t addr = le64toh(m->buf_addr);
	struct chw_conn_info ci;

	if (le16toh(m->buf_len) < sizeof(ci))
		return CHW_ST_BAD_LEN;
	nfw_tcp_info(fw, c, &ci);
	if (fw->ops.dma_write(fw->opaque, addr, &ci, sizeof(ci))) {
		nfw_dma_error(fw, addr, sizeof(ci), "info");
		return CHW_ST_DMA;
	}
	*written = sizeof(ci);
	return CHW_ST_OK;
}

static int nfw_cmd_restore(struct nfw *fw, struct nfw_conn *c,
			   const struct chw_cmd_restore *m, uint32_t *written)
{
	bool with_info = m->flags & CHW_RESTORE_INFO;
	uint32_t room = le16toh(m->buf_len);
	uint64_t addr = le64toh(m->buf_addr);
	struct chw_conn_info ci;
	int st;

	if (m->flags & ~CHW_RESTORE_INFO)
		return CHW_ST_BAD_OP;
	if (with_info) {
		if (room < sizeof(ci))
			return CHW_ST_BAD_LEN;
		room -= sizeof(ci);
	}
	/* everything the OS has not heard yet comes before the state */
	if (!nfw_conn_flush_one(fw, c))
		return CHW_ST_NOT_READY;
	st = nfw_tcp_export(fw, c, addr, room, written);
	if (st)
		return st;
	if (with_info) {
		/* the figures as exported: nothing moves in between */
		nfw_tcp_info(fw, c, &ci);
		if (fw->ops.dma_write(fw->opaque, addr + *written, &ci,
				      sizeof(ci))) {
			nfw_dma_error(fw, addr + *written, sizeof(ci),
				      "restore");
			return CHW_ST_DMA;
		}
		*written += sizeof(ci);
	}
	nfw_conn_free(fw, c);
	return CHW_ST_OK;
}

static int nfw_pairs_grow(struct nfw *fw, struct nfw_conn *c)
{
	uint32_t cap = c->pair_cap * 2, i;
	struct nfw_send_pair *p;

	if (!nfw_mem_charge(fw, c, c->pair_cap * sizeof(*p)))
		return CHW_ST_NO_MEM;
	p = malloc(cap * sizeof(*p));
	if (!p) {
		nfw_mem_uncharge(fw, c, c->pair_cap * sizeof(*p));
		return CHW_ST_NO_MEM;
	}
	for (i = 0; i < c->pair_count; i++)
		p[i] = c->pairs[(c->pair_head + i) & (c->pair_cap - 1)];
	free(c->pairs);
	c->pairs = p;
	c->pair_head = 0;
	c->pair_cap = cap;
	fw->res_dirty = true;
	return CHW_ST_OK;
}

static int nfw_cmd_send(struct nfw *fw, struct nfw_conn *c,
			const struct chw_cmd_send *m)
{
	uint64_t addr = le64toh(m->addr);
	uint32_t len = le16toh(m->len);
	int st;

	if (!len)
		return CHW_ST_BAD_LEN;
	if (c->flags & NFW_CF_FIN_QUEUED)
		return CHW_ST_NOT_READY;	/* no data after FIN */
	if (fw->ops.dma_ok && !fw->ops.dma_ok(fw->opaque, addr, len)) {
		nfw_dma_error(fw, addr, len, "send");
		return CHW_ST_DMA;
	}
	if (c->pair_count == c->pair_cap) {
		st = nfw_pairs_grow(fw, c);
		if (st)
			return st;
	}
	c->pairs[(c->pair_head + c->pair_count) & (c->pair_cap - 1)] =
		(struct nfw_send_pair){
			.addr = addr, .len = len,
			.psh = !!(m->flags & CHW_SEND_PSH),
		};
	c->pair_count++;
	c->write_seq += len;
	/* MSG_MORE corks this round only, as in Linux's tcp_push() */
	if (m->flags & CHW_SEND_MORE) {
		c->flags |= NFW_CF_MORE;
		nfw_tcp_output(fw, c);
		c->flags &= ~NFW_CF_MORE;
	} else {
		nfw_tcp_output(fw, c);
	}
	return CHW_ST_OK;
}

static int nfw_cmd_recvd(struct nfw *fw, struct nfw_conn *c,
			 const struct chw_cmd_recvd *m)
{
	uint64_t len = le64toh(m->len);
	uint32_t unread = c->rcv_nxt - c->copied_seq;

	if (c->flags & NFW_CF_FIN_RCVD)
		unread--;		/* the FIN is no byte to read */
	if (len > unread)
		return CHW_ST_BAD_LEN;
	c->copied_seq += (uint32_t)len;
	/*
	 * The ACK held back while the window shrank (nfw_tcp_input.c) goes
	 * with the read, as in Linux's tcp_cleanup_rbuf(): more than a
	 * segment arrived since the last one.
	 */
	if (c->rcv_nxt - c->rcv_wup > c->mss || nfw_window_opens(c)) {
		c->flags |= NFW_CF_ACK_NOW;
		nfw_tcp_output(fw, c);
	}
	return CHW_ST_OK;
}

static int nfw_cmd_post(struct nfw *fw, struct nfw_conn *c,
			const struct chw_cmd_post *m)
{
	uint64_t addr = le64toh(m->addr);
	uint32_t len = le16toh(m->len);
	struct nfw_rbuf *b;

	if (!len)
		return CHW_ST_BAD_LEN;
	if (c->rbuf_count == NFW_RBUFS)
		return CHW_ST_NO_MEM;
	if (fw->ops.dma_ok && !fw->ops.dma_ok(fw->opaque, addr, len)) {
		nfw_dma_error(fw, addr, len, "post");
		return CHW_ST_DMA;
	}
	b = &c->rbuf[(c->rbuf_head + c->rbuf_count) % NFW_RBUFS];
	b->addr = addr;
	b->len = len;
	b->used = 0;
	c->rbuf_count++;
	c->rbuf_room += len;
	if (nfw_window_opens(c)) {
		c->flags |= NFW_CF_ACK_NOW;
		nfw_tcp_output(fw, c);
	}
	return CHW_ST_OK;
}

/* TCP_CORK, TCP_KEEPINTVL and TCP_KEEPCNT's limits in Linux */
#define NFW_KEEPINTVL_MAX	32767	/* seconds */
#define NFW_KEEPCNT_MAX		127
/* Linux raises a smaller TCP_WINDOW_CLAMP to SOCK_MIN_RCVBUF / 2. */
#define NFW_WINDOW_CLAMP_MIN	1152

/*
 * The socket options that change segments on the wire (TCP_CORK, the
 * keepalive and user timeouts, TCP_LINGER2, TCP_WINDOW_CLAMP,
 * TCP_QUICKACK, IP_TOS, IP_TTL, TCP_NOTSENT_LOWAT).  Returns a CHW_ST_*
 * status, having changed nothing if the value is bad; *out set if
 * nfw_tcp_output() is due.  False for a code that is not one of these.
 */
static bool nfw_cmd_sockopt(struct nfw *fw, struct nfw_conn *c,
			    uint16_t code, uint64_t v, int *st, bool *out)
{
	*st = CHW_ST_BAD_LEN;
	*out = false;
	switch (code) {
	case CHW_CC_CORK:
		if (v > 1)
			return true;
		if (v) {
			c->flags |= NFW_CF_CORK;
		} else {
			c->flags &= ~NFW_CF_CORK;
			*out = true;	/* what is due now goes */
		}
		break;
	case CHW_CC_KEEPINTVL:
		if (!v || v > NFW_KEEPINTVL_MAX)
			return true;
		c->keepintvl_ms = (uint32_t)v * 1000;
		break;
	case CHW_CC_KEEPCNT:
		if (!v || v > NFW_KEEPCNT_MAX)
			return true;
		c->keepcnt = (uint8_t)v;
		break;
	case CHW_CC_USER_TIMEOUT:
		if (v > INT32_MAX)
			return true;
		c->user_timeout_ms = (uint32_t)v;
		break;
	case CHW_CC_FIN_TIMEOUT:
		if (v > UINT32_MAX)
			return true;
		c->fin_timeout_ms = v ? (uint32_t)v : CHW_FIN_TIMEOUT_DEFAULT;
		/* an orphan already waiting: from now, by the new rule */
		if (c->state == NFW_TCPS_FIN_WAIT2 &&
		    (c->flags & NFW_CF_OS_CLOSED))
			nfw_tcp_fin_wait2_orphan(fw, c);
		break;
	case CHW_CC_WINDOW_CLAMP:
		if (v > (1u << 30))
			return true;
		if (v && v < NFW_WINDOW_CLAMP_MIN)
			v = NFW_WINDOW_CLAMP_MIN;
		c->window_clamp = (uint32_t)v;
		if (v && c->rcv_ssthresh > v)
			c->rcv_ssthresh = (uint32_t)v;
		break;
	case CHW_CC_QUICKACK:
		if (v > 1)
			return true;
		/* a delayed ACK armed, or data not acknowledged yet */
		if (v && (c->t_delack || c->rcv_nxt != c->rcv_wup)) {
			c->flags |= NFW_CF_ACK_NOW;
			*out = true;
		}
		break;
	case CHW_CC_TOS:
		if (v > 0xff)
			return true;
		/* ECN's two bits are not ours to set: the NIC has no ECN */
		c->tos = (uint8_t)v & ~3u;
		c->hdr_len = 0;		/* the headers are built again */
		break;
	case CHW_CC_TTL:
		if (!v || v > 0xff)
			return true;
		c->ttl = (uint8_t)v;
		c->hdr_len = 0;
		break;
	case CHW_CC_NOTSENT_LOWAT:
		if (v > UINT32_MAX)
			return true;
		c->notsent_lowat = (uint32_t)v;
		/* the OS's view of what was sent may be old: bring it up */
		nfw_tcp_sent_check(fw, c, true);
		break;
	default:
		return false;
	}
	*st = CHW_ST_OK;
	return true;
}

static int nfw_cmd_ctrl(struct nfw *fw, struct nfw_conn *c,
			const struct chw_cmd_ctrl *m)
{
	uint64_t v = le64toh(m->value);
	bool out;
	int st;

	if (nfw_cmd_sockopt(fw, c, le16toh(m->code), v, &st, &out)) {
		if (out && c->state != NFW_TCPS_CLOSED)
			nfw_tcp_output(fw, c);
		return st;
	}
	switch (le16toh(m->code)) {
	case CHW_CC_CLOSE:
		c->flags |= NFW_CF_OS_CLOSED;
		/* already in FIN_WAIT2: its FIN timeout starts now */
		if (c->state == NFW_TCPS_FIN_WAIT2 &&
		    !nfw_tcp_fin_wait2_orphan(fw, c))
			return CHW_ST_OK;
		/* fall through */
	case CHW_CC_SHUT_WR:
		c->flags |= NFW_CF_FIN_QUEUED;
		break;
	case CHW_CC_ABORT:
		nfw_tcp_send_ctl(fw, c, c->snd_nxt, NFW_TCP_RST | NFW_TCP_ACK);
		nfw_conn_close(fw, c, 0);
		return CHW_ST_OK;
	case CHW_CC_NODELAY:
		if (v)
			c->flags |= NFW_CF_NODELAY;
		else
			c->flags &= ~NFW_CF_NODELAY;
		break;
	case CHW_CC_KEEPALIVE:
		c->keepidle_ms = v > 86400 * 7 ? 86400u * 7000 : v * 1000;
		c->t_keep = v ? fw->now_ms + c->keepidle_ms : 0;
		c->keep_probes = 0;
		return CHW_ST_OK;
	case CHW_CC_SNDBUF:
		return CHW_ST_OK;	/* the OS's buffer: nothing to do */
	case CHW_CC_RCVBUF:
		if (v < 4096 || v > (1u << 30))
			return CHW_ST_BAD_LEN;
		c->rcvbuf = (uint32_t)v;
		break;
	default:
		return CHW_ST_BAD_CODE;
	}
	nfw_tcp_output(fw, c);
	return CHW_ST_OK;
}

/* ch_nic_forward: a frame the OS received for us; take it as from the wire. */
static int nfw_cmd_forward(struct nfw *fw, const struct chw_cmd_forward *m)
{
	uint64_t addr = le64toh(m->addr);
	uint32_t len = le16toh(m->len);

	if (len < NFW_ETH_HLEN)
		return CHW_ST_BAD_LEN;
	if (fw->ops.dma_read(fw->opaque, addr, fw->frame, len)) {
		nfw_dma_error(fw, addr, len, "forward");
		return CHW_ST_DMA;
	}
	return nfw_tcp_rx(fw, fw->frame, len) ? CHW_ST_OK : CHW_ST_BAD_CID;
}

void nfw_conn_cmd(struct nfw *fw, uint32_t idx, const struct chw_msg *m)
{
	uint32_t cid = le32toh(m->cid), val = 0;
	struct nfw_conn *c = NULL;
	int st;

	switch (m->op) {
	case CHW_OP_HANDOFF:
		st = nfw_cmd_handoff(fw, (const void *)m, &val);
		/* the answer carries the new id and echoes the cookie */
		nfw_cmd_done(fw, idx, m->op, st, st ? CHW_CID_NONE : val, cid);
		return;
	case CHW_OP_FORWARD:
		st = nfw_cmd_forward(fw, (const void *)m);
		break;
	default:
		c = nfw_conn_by_cid(fw, cid);
		if (!c) {
			st = CHW_ST_BAD_CID;
			break;
		}
		switch (m->op) {
		case CHW_OP_RESTORE:
			st = nfw_cmd_restore(fw, c, (const void *)m, &val);
			break;
		case CHW_OP_SEND:
			st = nfw_cmd_send(fw, c, (const void *)m);
			break;
		case CHW_OP_RECVD:
			st = nfw_cmd_recvd(fw, c, (const void *)m);
			break;
		case CHW_OP_CTRL:
			st = nfw_cmd_ctrl(fw, c, (const void *)m);
			break;
		case CHW_OP_POST:
			st = nfw_cmd_post(fw, c, (const void *)m);
			break;
		case CHW_OP_INFO:
			st = nfw_cmd_info(fw, c, (const void *)m, &val);
			break;
		default:
			st = CHW_ST_BAD_OP;
			break;
		}
	}
	if (st || m->op == CHW_OP_RESTORE || m->op == CHW_OP_FORWARD ||
	    m->op == CHW_OP_INFO)
		nfw_cmd_done(fw, idx, m->op, st, cid, val);
}
