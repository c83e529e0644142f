// SPDX-License-Identifier: GPL-2.0
/*
 * bp_handoff.c - ch_nic_handoff: a connection the OS established moves to
 * the NIC, right after accept(), before the application sees it.
 *
 * Under the socket lock: check the policy and the route, copy the data
 * still in TCP's queues into the connection's rings (the paper's
 * prototype could not hand off non-empty buffers), describe the state in
 * a struct chw_conn_state, and wait for the NIC's answer.  Packets that
 * arrive meanwhile wait in the socket's backlog.  If the NIC takes it,
 * quiesce the host's tcp_sock and swap in the bypass protocol (as kTLS
 * swaps in its own); if not, nothing was changed and the connection
 * simply stays on the host stack.
 */
#include <linux/delay.h>
#include <linux/kmemleak.h>
#include <net/ip6_route.h>
#include <net/route.h>

#include "bp.h"
#include "bp_trace.h"

/*
 * Our per-socket teardown hook; see bp_close.c.  No owner: an offloaded
 * socket holds no module reference, since unloading restores every one
 * of them to TCP first (bp_restore.c).
 */
struct tcp_ulp_ops bp_ulp_ops = {
	.name = "handoff",
	.release = bp_e_destroy,
};

/* Each refusal's name, for the log and /proc/net/handoff's refused_<name>. */
const char *const bp_refusal_names[BP_REF_COUNT] = {
	[BP_REF_DISABLED] = "disabled", [BP_REF_PORT] = "port",
	[BP_REF_MAX] = "max_conns", [BP_REF_STATE] = "state",
	[BP_REF_ROUTE] = "route", [BP_REF_NO_SLOT] = "no_slot",
	[BP_REF_HEADROOM] = "headroom", [BP_REF_ADAPTIVE] = "adaptive",
	[BP_REF_ECN] = "ecn", [BP_REF_BUSY] = "busy",
	[BP_REF_NIC] = "nic", [BP_REF_TIMEOUT] = "timeout",
	[BP_REF_NOMEM] = "nomem", [BP_REF_QUEUE] = "queue",
};

static void bp_refuse(struct sock *sk, const struct bp_nic *bn,
		      enum bp_refusal why)
{
	trace_handoff(sk, bn ? netdev_name(bn->netdev) : "", 0,
		      bp_refusal_names[why]);
	bp_count(BP_C_REFUSED);
	bp_count(BP_C_REF_BASE + why);
	if (why >= BP_REF_NIC)
		net_info_ratelimited("handoff: port %u (peer's %u) stays on the host stack: %s\n",
				     ntohs(inet_sk(sk)->inet_sport),
				     ntohs(inet_sk(sk)->inet_dport),
				     bp_refusal_names[why]);
}

static bool bp_is_v4(const struct sock *sk)
{
	return sk->sk_family == AF_INET ||
	       ipv6_addr_v4mapped(&sk->sk_v6_daddr);
}

/*
 * The NIC the connection leaves by, and the next hop's MAC.  Only a
 * handoff NIC, and only with a resolved neighbour: the NIC builds frames
 * itself and cannot ask ARP.
 */
static struct bp_nic *bp_route(struct sock *sk, struct bp_conn *bc,
			       u16 *mtu)
{
	struct dst_entry *dst = sk_dst_get(sk);
	struct bp_nic *bn = NULL;
	struct neighbour *n;
	const void *daddr;

	if (!dst)
		return NULL;
	if (!dst->dev || dst->dev->netdev_ops != &hnd_netdev_ops)
		goto out;
	bn = READ_ONCE(((struct hnd_dev *)netdev_priv(dst->dev))->bp);
	if (!bn || READ_ONCE(bn->gone) || !netif_carrier_ok(dst->dev)) {
		bn = NULL;
		goto out;
	}
	daddr = dst->ops->family == AF_INET ?
		(const void *)&inet_sk(sk)->inet_daddr :
		(const void *)&sk->sk_v6_daddr;
	n = dst_neigh_lookup(dst, daddr);
	if (!n) {
		bn = NULL;
		goto out;
	}
	if (READ_ONCE(n->nud_state) & NUD_VALID)
		neigh_ha_snapshot(bc->peer_mac, n, dst->dev);
	else
		bn = NULL;
	neigh_release(n);
	ether_addr_copy(bc->local_mac, dst->dev->dev_addr);
	*mtu = dst_mtu(dst);
out:
	dst_release(dst);
	return bn;
}

/* Copy one skb's unacknowledged bytes to their place in the send ring. */
static int bp_take_skb(struct bp_conn *bc, const struct sk_buff *skb,
		       u32 snd_una, u32 bytes, u32 *copied)
{
	u32 seq = TCP_SKB_CB(skb)->seq;
	u32 off = before(seq, snd_una) ? snd_una - seq : 0;
	u32 at = seq + off - snd_una, len;

	if (off >= skb->len)
		return 0;
	for (len = skb->len - off; len; ) {
		u32 o = at % BP_CHUNK, n = min(len, BP_CHUNK - o);
		struct bp_chunk *ch = &bc->tx[at / BP_CHUNK];

		if (at + n > bytes)
			return -EINVAL;
		if (bp_tx_chunk(bc, at))
			return -ENOMEM;
		if (skb_copy_bits(skb, skb->len - len,
				  page_address(ch->page) + o, n))
			return -EFAULT;
		at += n;
		len -= n;
		*copied += n;
	}
	return 0;
}

/*
 * Copy [snd_una, write_seq) from TCP's queues, the retransmission queue
 * and then the write queue, into the send ring.
 */
static int bp_take_sendq(struct sock *sk, struct bp_conn *bc, u32 bytes)
{
	u32 snd_una = tcp_sk(sk)->snd_una, copied = 0;
	struct sk_buff *skb;
	int err;

	bc->tx_nr = clamp_t(u32, DIV_ROUND_UP(max_t(u32, bp_policy.sndbuf,
						       bytes), BP_CHUNK),
			    BP_RX_MIN_CHUNKS, BP_MAX_CHUNKS);
	if (bytes > (bc->tx_nr - 1) * BP_CHUNK)
		return -ENOSPC;
	skb_rbtree_walk(skb, &sk->tcp_rtx_queue) {
		err = bp_take_skb(bc, skb, snd_una, bytes, &copied);
		if (err)
			return err;
	}
	skb_queue_walk(&sk->sk_write_queue, skb) {
		err = bp_take_skb(bc, skb, snd_una, bytes, &copied);
		if (err)
			return err;
	}
	return copied == bytes ? 0 : -EINVAL;
}

/*
 * The unread bytes of the receive queue, kept to be read first.  Walk it
 * as tcp_recvmsg() does, by sequence number: a segment that partly
 * overlapped what was already queued is queued whole (tcp_data_queue()),
 * so an skb may begin before the previous one ends.
 */
static int bp_take_recvq(struct sock *sk, struct bp_conn *bc, u32 bytes)
{
	u32 seq = tcp_sk(sk)->copied_seq, copied = 0;
	struct sk_buff *skb;

	if (!bytes)
		return 0;
	bc->pre = kvmalloc(bytes, GFP_KERNEL);
	if (!bc->pre)
		return -ENOMEM;
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 start = TCP_SKB_CB(skb)->seq, off, len;

		if (!before(seq, start + skb->len))
			continue;	/* all of it already taken */
		if (after(start, seq))
			return -EINVAL;	/* a hole: not TCP's receive queue */
		off = seq - start;
		len = min(skb->len - off, bytes - copied);
		if (skb_copy_bits(skb, off, bc->pre + copied, len))
			return -EFAULT;
		copied += len;
		seq += len;
		if (copied == bytes)
			break;
	}
	bc->pre_len = copied;
	return copied == bytes ? 0 : -EINVAL;
}

/*
 * The flow label the host's TCP puts in the connection's segments, as
 * ip6_xmit() makes it (ip6_make_flowlabel()): the socket's own label
 * (np->flow_label), or the automatic one, the socket's transmit hash
 * (sk_txhash, which the skb's hash is) rotated; CHW_FLOWLABEL_REHASH when
 * Linux would draw a new hash at a retransmission timeout
 * (sk_rethink_txhash()).  0 for IPv4 and v4-mapped connections.
 */
static u32 bp_flowlabel(const struct sock *sk)
{
	const struct ipv6_pinfo *np = inet6_sk(sk);
	const struct net *net = sock_net(sk);
	int mode = net->ipv6.sysctl.auto_flowlabels;
	u32 label, hash = READ_ONCE(sk->sk_txhash);
	bool autolabel;

	if (bp_is_v4(sk) || !np)
		return 0;
	label = be32_to_cpu(np->flow_label) & CHW_FLOWLABEL_MASK;
	autolabel = np->autoflowlabel_set ? np->autoflowlabel :
		    (mode == IP6_AUTO_FLOW_LABEL_OPTOUT ||
		     mode == IP6_AUTO_FLOW_LABEL_FORCED);
	if (label || mode == IP6_AUTO_FLOW_LABEL_OFF ||
	    (!autolabel && mode != IP6_AUTO_FLOW_LABEL_FORCED) || !hash)
		return label;
	label = rol32(hash, 16) & CHW_FLOWLABEL_MASK;
	if (net->ipv6.sysctl.flowlabel_state_ranges)
		label |= be32_to_cpu(IPV6_FLOWLABEL_STATELESS_FLAG);
	if (READ_ONCE(sk->sk_txrehash) == SOCK_TXREHASH_ENABLED)
		label |= CHW_FLOWLABEL_REHASH;
	return label;
}

static void bp_fill_state(struct sock *sk, struct bp_conn *bc,
			  struct chw_conn_state *st, u16 mtu, u32 sndq)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);
	bool fin_rcvd = sk->sk_state == TCP_CLOSE_WAIT;
	u64 age;

	memset(st, 0, sizeof(*st));
	st->version = cpu_to_le16(CHW_STATE_VERSION);
	st->hdr_len = cpu_to_le16(sizeof(*st));
	st->tcp_state = sk->sk_state;
	bc->tuple.lport = inet->inet_sport;
	bc->tuple.pport = inet->inet_dport;
	if (bp_is_v4(sk)) {
		st->family = 4;
		bc->tuple.laddr.s6_addr32[0] = inet->inet_rcv_saddr;
		bc->tuple.paddr.s6_addr32[0] = inet->inet_daddr;
		memcpy(st->local_addr, &inet->inet_rcv_saddr, 4);
		memcpy(st->peer_addr, &inet->inet_daddr, 4);
	} else {
		st->family = 6;
		bc->tuple.laddr = sk->sk_v6_rcv_saddr;
		bc->tuple.paddr = sk->sk_v6_daddr;
		memcpy(st->local_addr, &sk->sk_v6_rcv_saddr, 16);
		memcpy(st->peer_addr, &sk->sk_v6_daddr, 16);
	}
	bc->tuple.family = st->family;
	st->local_port = inet->inet_sport;
	st->peer_port = inet->inet_dport;
	memcpy(st->local_mac, bc->local_mac, ETH_ALEN);
	memcpy(st->peer_mac, bc->peer_mac, ETH_ALEN);
	st->mtu = cpu_to_le16(mtu);
	st->mss = cpu_to_le16(tp->mss_cache);
	st->rcv_mss = cpu_to_le16(icsk->icsk_ack.rcv_mss);

	if (tp->rx_opt.sack_ok)
		st->opt |= CHW_OPT_SACK;
	if (tp->rx_opt.tstamp_ok)
		st->opt |= CHW_OPT_TS;
	if (tp->rx_opt.wscale_ok) {
		st->opt |= CHW_OPT_WSCALE;
		st->snd_wscale = tp->rx_opt.snd_wscale;
		st->rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	if (fin_rcvd)
		st->opt |= CHW_OPT_FIN_RCVD;
	if (tp->nonagle & TCP_NAGLE_OFF)
		st->opt |= CHW_OPT_NODELAY;
	bp_opt_route_bits(sk, &st->tos, &st->ttl);
	st->flowlabel = cpu_to_le32(bp_flowlabel(sk));

	st->snd_una = cpu_to_le32(tp->snd_una);
	st->snd_nxt = cpu_to_le32(tp->snd_nxt);
	st->snd_wnd = cpu_to_le32(tp->snd_wnd);
	st->snd_wl1 = cpu_to_le32(tp->snd_wl1);
	st->snd_wl2 = cpu_to_le32(tp->snd_una);
	st->max_window = cpu_to_le32(tp->max_window);
	st->write_seq = cpu_to_le32(tp->snd_una + sndq);
	st->rcv_nxt = cpu_to_le32(tp->rcv_nxt);
	st->rcv_wnd = cpu_to_le32(tp->rcv_wnd);
	st->rcv_wup = cpu_to_le32(tp->rcv_wup);
	/* ours stops in front of the FIN, Linux's passes it once read */
	st->copied_seq = cpu_to_le32(tp->rcv_nxt - fin_rcvd - bc->pre_len);

	st->ts_val = cpu_to_le32(tcp_time_stamp_raw() + tp->tsoffset);
	st->ts_recent = cpu_to_le32(tp->rx_opt.ts_recent);
	age = tp->rx_opt.ts_recent_stamp ?
	      (ktime_get_seconds() - tp->rx_opt.ts_recent_stamp) * 1000 :
	      U32_MAX;
	st->ts_recent_age_ms = cpu_to_le32(min_t(u64, age, U32_MAX));

	st->srtt_us = cpu_to_le32(tp->srtt_us >> 3);
	st->rttvar_us = cpu_to_le32(tp->mdev_us >> 2);
	st->rto_ms = cpu_to_le32(jiffies_to_msecs(icsk->icsk_rto));
	st->snd_cwnd = cpu_to_le32(tcp_snd_cwnd(tp));
	st->snd_ssthresh = cpu_to_le32(tcp_in_initial_slowstart(tp) ?
				       0 : tp->snd_ssthresh);
	st->sndbuf = cpu_to_le32(bc->tx_nr * BP_CHUNK);
	st->rcvbuf = cpu_to_le32(bc->rx_nr * BP_CHUNK);
}

/*
 * The send ring's first bytes as the state block's ranges, each also a
 * SEND slot the NIC now holds.  Returns how many.
 */
static u16 bp_fill_ranges(struct bp_conn *bc, struct chw_send_range *r,
			  u32 bytes)
{
	u16 n = 0;
	u32 at;

	for (at = 0; at < bytes; at += BP_CHUNK, n++) {
		u32 len = min_t(u32, BP_CHUNK, bytes - at);

		dma_sync_single_range_for_device(&bc->bn->hd->pdev->dev,
						 bc->tx[n].dma, 0, len,
						 DMA_TO_DEVICE);
		r[n].addr = cpu_to_le64(bc->tx[n].dma);
		r[n].len = cpu_to_le32(len);
		r[n].rsvd = 0;
		bc->sends[n] = len;
	}
	bc->send_count = n;
	bc->tx_written = bc->tx_posted = bytes;
	return n;
}

/* The host's TCP stops: no timers, no queues, no deferred work. */
static void bp_quiesce_tcp(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct rb_node *p = rb_first(&sk->tcp_rtx_queue);
	struct sk_buff *skb;

	tcp_clear_xmit_timers(sk);
	inet_csk_delete_keepalive_timer(sk);
	inet_csk(sk)->icsk_ack.pending = 0;
	while (p) {
		skb = rb_to_skb(p);
		p = rb_next(p);
		tcp_rtx_queue_unlink_and_free(skb, sk);
	}
	/* as tcp_write_queue_purge(): the anchor shares the destructor */
	while ((skb = skb_peek(&sk->sk_write_queue))) {
		tcp_unlink_write_queue(skb, sk);
		tcp_wmem_free_skb(sk, skb);
	}
	INIT_LIST_HEAD(&tp->tsorted_sent_queue);
	tcp_clear_all_retrans_hints(tp);
	tp->packets_out = 0;
	tp->sacked_out = 0;
	tp->lost_out = 0;
	tp->retrans_out = 0;
	__skb_queue_purge(&sk->sk_receive_queue);
	/* beyond a hole: not acknowledged, the peer sends it again */
	p = rb_first(&tp->out_of_order_queue);
	while (p) {
		skb = rb_to_skb(p);
		p = rb_next(p);
		rb_erase(&skb->rbnode, &tp->out_of_order_queue);
		kfree_skb(skb);
	}
	tp->ooo_last_skb = NULL;
	tp->rx_opt.num_sacks = 0;
	sk_mem_reclaim(sk);
}

/* The NIC has it: the socket becomes a bypass socket. */
static void bp_switch(struct sock *sk, struct bp_conn *bc, u32 sndq)
{
	struct proto *prot = bp_proto_for(bc->base_prot);

	bp_quiesce_tcp(sk);
	atomic_inc(&bp_nr_offloaded);
	spin_lock_bh(&bc->bn->lock);
	list_add_tail(&bc->node, &bc->bn->conn_list);
	spin_unlock_bh(&bc->bn->lock);
	spin_lock_bh(&bp_all_lock);
	list_add_tail(&bc->all_node, &bp_all);
	spin_unlock_bh(&bp_all_lock);
	bp_tuple_add(bc);

	bc->saved_sndbuf = sk->sk_sndbuf;
	bc->saved_userlocks = sk->sk_userlocks;
	write_lock_bh(&sk->sk_callback_lock);
	/* a held socket had TCP's ops: poll is ours again */
	bp_sk_switch(sk, &bp_ulp_ops, bc, prot,
		     bc->held ? bp_ops_for(bc->saved_ops) : NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	/* bp_conn_of(sk) is bc now: news goes the usual way */
	WRITE_ONCE(bc->handing_off, false);

	/*
	 * What may be queued is the send ring, or less if the application
	 * asked for less with SO_SNDBUF (on the listener: the child inherits
	 * it), as TCP would honour it.
	 */
	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK)) {
		sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
		WRITE_ONCE(sk->sk_sndbuf, bc->tx_nr * BP_CHUNK);
	}
	sk_wmem_queued_add(sk, sndq);
	bp_opts_handoff(sk, bc);
	/* the receive ring, all of it, for the NIC to fill */
	bp_rx_return(bc);
	bp_count(BP_C_OK);
	/* pollers of a held socket asked tcp_poll(): ask again */
	if (bc->held) {
		sk->sk_data_ready(sk);
		sk->sk_write_space(sk);
	}
}

/*
 * The NIC's answer, in the event softirq before any later event: the
 * connection's first events (an ACK for the data it was handed, say)
 * may follow at once, and must find it.  They are deferred, as the
 * handoff owns the socket, and applied once it is switched.
 */
static void bp_handoff_answered(void *arg, const struct chw_ev_done *done)
{
	struct bp_conn *bc = arg;

	if (done->status != CHW_ST_OK)
		return;
	bc->cid = le32_to_cpu(done->cid);
	bc->cid_known = !xa_insert(&bc->bn->conns, bc->cid, bc, GFP_ATOMIC);
}

/* Ask the NIC; 0 and bc->cid set, or the refusal. */
static enum bp_refusal bp_ask_nic(struct bp_conn *bc,
				  struct chw_conn_state *st, u32 len)
{
	struct device *dev = &bc->bn->hd->pdev->dev;
	struct chw_cmd_handoff c = {
		.op = CHW_OP_HANDOFF,
		.state_len = cpu_to_le16(len),
		.cookie = cpu_to_le32(atomic64_read(&bp_counters[BP_C_TRIED])),
	};
	dma_addr_t dma;
	int err;

	dma = dma_map_single(dev, st, len, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, dma))
		return BP_REF_NOMEM;
	c.state_addr = cpu_to_le64(dma);
	bp_count(BP_C_MSG_TX_BASE + CHW_OP_HANDOFF);
	err = hnd_cmd_exec_answered(bc->bn->hd, (struct chw_msg *)&c, NULL,
				    msecs_to_jiffies(bp_policy.handoff_timeout_ms),
				    bp_handoff_answered, bc);
	if (err == -ETIMEDOUT)
		return BP_REF_TIMEOUT;	/* and the block stays mapped */
	dma_unmap_single(dev, dma, len, DMA_TO_DEVICE);
	if (err)
		return BP_REF_NIC;
	if (!bc->cid_known) {
		/* the NIC reused an id we still hold: do not mix them up */
		bp_cmd(bc, CHW_OP_CTRL, 0, CHW_CC_ABORT, 0);
		return BP_REF_NIC;
	}
	return BP_REF_COUNT;
}

static int bp_handoff_locked(struct sock *sk, struct bp_conn *bc)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct chw_send_range *ranges;
	struct chw_conn_state *st;
	u32 sndq, unread, rcv_right, len;
	enum bp_refusal why;
	u16 mtu = 0, nr;

	if ((sk->sk_state != TCP_ESTABLISHED &&
	     sk->sk_state != TCP_CLOSE_WAIT) || tp->repair ||
	    (bc->held ? !bp_host_holds(sk, bc->held) :
	     sk->sk_prot != bc->base_prot || inet_csk(sk)->icsk_ulp_ops) ||
	    rcu_access_pointer(sk->sk_filter) || tp->urg_data ||
	    !bp_proto_for(bc->base_prot))	/* not TCP's own: sockmap's */
		return BP_REF_STATE;
	/* the firmware neither echoes nor sets CE: TCP keeps these */
	if (tp->ecn_flags & TCP_ECN_OK)
		return BP_REF_ECN;
	if (bc->held && !bp_host_quiet(sk))
		return BP_REF_BUSY;
	bc->bn = bp_route(sk, bc, &mtu);
	if (!bc->bn)
		return BP_REF_ROUTE;
	why = bp_policy_take_slot(bc->bn);
	if (why != BP_REF_COUNT)
		return why;

	sndq = tp->write_seq - tp->snd_una;
	unread = tp->rcv_nxt - tp->copied_seq -
		 (sk->sk_state == TCP_CLOSE_WAIT &&
		  tp->copied_seq != tp->rcv_nxt ? 1 : 0);
	/* never less room than the window TCP already advertised */
	rcv_right = tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt;
	if (bp_rx_alloc(bc, max_t(u32, bp_policy.rcvbuf,
				  round_up(rcv_right + unread, BP_CHUNK))))
		return BP_REF_NOMEM;
	switch (bp_take_sendq(sk, bc, sndq)) {
	case 0:
		break;
	case -ENOSPC:
		return BP_REF_QUEUE;
	default:
		return BP_REF_NOMEM;
	}
	if (bp_take_recvq(sk, bc, unread))
		return BP_REF_NOMEM;

	len = sizeof(*st) + bc->tx_nr * sizeof(*ranges);
	st = kzalloc(len, GFP_KERNEL);
	if (!st)
		return BP_REF_NOMEM;
	ranges = (struct chw_send_range *)(st + 1);
	bp_fill_state(sk, bc, st, mtu, sndq);
	nr = bp_fill_ranges(bc, ranges, sndq);
	st->nr_send = cpu_to_le16(nr);
	len = sizeof(*st) + nr * sizeof(*ranges);

	/* for tests: let packets arrive while the handoff is under way */
	if (bp_policy.handoff_delay_ms)
		msleep(bp_policy.handoff_delay_ms);

	WRITE_ONCE(bc->handing_off, true);
	why = bp_ask_nic(bc, st, len);
	if (why == BP_REF_TIMEOUT) {
		kmemleak_not_leak(st);	/* the NIC may still read it: left */
		return why;
	}
	kfree(st);
	if (why != BP_REF_COUNT)
		return why;
	bp_switch(sk, bc, sndq);
	trace_handoff(sk, netdev_name(bc->bn->netdev), bc->cid, "ok");
	return BP_REF_COUNT;
}

static void bp_handoff_one(struct sock *sk, const struct proto_ops *base_ops,
			   struct bp_host *held)
{
	enum bp_refusal why;
	struct bp_conn *bc;

	bp_count(BP_C_TRIED);
	if (!READ_ONCE(bp_policy.enable) || READ_ONCE(bp_unloading)) {
		bp_refuse(sk, NULL, BP_REF_DISABLED);
		return;
	}
	/* the service's port: ours if accepted, the peer's if connected */
	if (!bp_port_allowed(ntohs(held && bp_host_active(held) ?
				   inet_sk(sk)->inet_dport :
				   inet_sk(sk)->inet_sport))) {
		bp_refuse(sk, NULL, BP_REF_PORT);
		return;
	}
	if (atomic_read(&bp_nr_offloaded) >= READ_ONCE(bp_policy.max_conns)) {
		bp_refuse(sk, NULL, BP_REF_MAX);
		return;
	}
	bc = kzalloc(sizeof(*bc), GFP_KERNEL);
	if (!bc) {
		bp_refuse(sk, NULL, BP_REF_NOMEM);
		return;
	}
	bc->sk = sk;
	bc->base_prot = held ? bp_tcp_prot(sk) : sk->sk_prot;
	bc->saved_ops = base_ops;
	bc->held = held;
	bc->active = held && bp_host_active(held);
	bc->since = jiffies;
	bc->tx_nr = 1;
	INIT_LIST_HEAD(&bc->node);
	INIT_LIST_HEAD(&bc->all_node);
	INIT_HLIST_NODE(&bc->hnode);
	spin_lock_init(&bc->rs_lock);
	INIT_LIST_HEAD(&bc->rs_held);

	lock_sock(sk);
	why = bp_handoff_locked(sk, bc);
	release_sock(sk);
	if (why == BP_REF_COUNT)
		return;	/* bc is the socket's now, and may be gone already */
	bp_refuse(sk, bc->bn, why);
	/* a slot taken but not used: the NIC never saw this one */
	if (why == BP_REF_NOMEM || why == BP_REF_QUEUE)
		atomic_inc(&bc->bn->free_conns);
	/* a timed-out NIC may still read the buffers: they are not freed */
	if (why != BP_REF_TIMEOUT && bc->bn)
		bp_bufs_free(bc);
	if (why != BP_REF_TIMEOUT)
		kfree(bc);
}

static atomic_t bp_handoffs_running = ATOMIC_INIT(0);

/*
 * Called by the listener's accept() with the new, unlocked socket, or
 * for a held one (bp_host.c, its gate closed).  Unloading waits for the
 * handoffs under way (bp_handoffs_running), so that none finishes after
 * it has restored every connection.
 */
void bp_try_handoff(struct sock *sk, const struct proto_ops *base_ops,
		    struct bp_host *held)
{
	atomic_inc(&bp_handoffs_running);
	smp_mb__after_atomic();	/* pairs with bp_handoffs_wait()'s callers */
	bp_handoff_one(sk, base_ops, held);
	atomic_dec(&bp_handoffs_running);
}

/*
 * Wait for the handoffs under way to finish or fail (each is bounded by
 * handoff_timeout_ms).  The caller has made new ones impossible first
 * (bp_unloading, or its NIC gone) and ordered that with smp_mb().
 */
void bp_handoffs_wait(void)
{
	while (atomic_read(&bp_handoffs_running))
		msleep(20);
}
