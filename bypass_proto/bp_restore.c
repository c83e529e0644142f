// SPDX-License-Identifier: GPL-2.0
/*
 * bp_restore.c - ch_nic_restore: a connection comes back from the NIC to
 * the host's TCP in mid-stream, with no byte lost (Section 3: the OS keeps
 * control and may take any connection back at any time).
 *
 * Under the socket lock: ask the NIC for the connection's state (it frees
 * the connection once it has written it), apply the news that came before
 * its answer, check that the NIC's sequence space and our rings agree, and
 * rebuild the quiesced tcp_sock the way TCP_REPAIR does (the helpers
 * behind that option are not exported; tcp_sendmsg_locked() is):
 *
 *   unread data       -> the receive queue (repair, TCP_RECV_QUEUE)
 *   sent, unacked     -> the retransmission queue (repair, TCP_SEND_QUEUE:
 *                        queued as sent, the RTO timer armed)
 *   written, unsent   -> sent normally
 *   our FIN           -> tcp_shutdown(), after the data
 *
 * Sequence numbers, windows, timestamps and estimators come from the NIC.
 * The peer sees at most a retransmission.  Threads asleep in a bypass
 * operation wake to find their socket TCP's again and restart their call
 * (bp_proto.c), so they never sleep in module code that may be unloading.
 */
#include <linux/kmemleak.h>
#include <linux/uio.h>

#include "bp.h"
#include "bp_trace.h"

/*
 * Room for the state block, every send range the NIC may hold, and the
 * connection's figures (CHW_RESTORE_INFO).
 */
#define BP_RESTORE_RANGES	(CHW_CONN_SEND_SLOTS + BP_MAX_CHUNKS)
#define BP_RESTORE_BUF	(sizeof(struct chw_conn_state) + \
			 BP_RESTORE_RANGES * sizeof(struct chw_send_range) + \
			 sizeof(struct chw_conn_info))

/* Where the figures start, after the state block and nr send ranges. */
static size_t bp_restore_info_at(u16 nr)
{
	return sizeof(struct chw_conn_state) +
	       nr * sizeof(struct chw_send_range);
}

/* Ask the NIC for bc's state; it lets the connection go if it answers. */
static int bp_fetch_state(struct bp_conn *bc, struct chw_conn_state *st)
{
	struct chw_ev_done done;
	u16 nr;
	struct device *dev = &bc->bn->hd->pdev->dev;
	struct chw_cmd_restore c = {
		.op = CHW_OP_RESTORE,
		.flags = CHW_RESTORE_INFO,
		.buf_len = cpu_to_le16(BP_RESTORE_BUF),
		.cid = cpu_to_le32(bc->cid),
	};
	dma_addr_t dma;
	int err;

	dma = dma_map_single(dev, st, BP_RESTORE_BUF, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, dma))
		return -ENOMEM;
	c.buf_addr = cpu_to_le64(dma);
	bp_count(BP_C_MSG_TX_BASE + CHW_OP_RESTORE);
	err = hnd_cmd_exec(bc->bn->hd, (struct chw_msg *)&c, &done,
			   msecs_to_jiffies(bp_policy.handoff_timeout_ms));
	if (err == -ETIMEDOUT)
		return err;	/* the NIC may still write: leave it mapped */
	dma_unmap_single(dev, dma, BP_RESTORE_BUF, DMA_FROM_DEVICE);
	if (err)
		return err;
	nr = le16_to_cpu(st->nr_send);
	if (le16_to_cpu(st->version) != CHW_STATE_VERSION ||
	    le16_to_cpu(st->hdr_len) != sizeof(*st) ||
	    nr > BP_RESTORE_RANGES ||
	    le32_to_cpu(done.val) != bp_restore_info_at(nr) +
				     sizeof(struct chw_conn_info))
		return -EPROTO;
	return 0;
}

/*
 * TCP's counters go on from the NIC's (CHW_RESTORE_INFO): what the NIC
 * counted since the handoff is added to what TCP had counted before it,
 * as TCP_INFO showed them while offloaded (bp_info.c).
 */
static void bp_counters_back(struct sock *sk, const struct chw_conn_state *st)
{
	const struct chw_conn_info *ci = (const void *)st +
		bp_restore_info_at(le16_to_cpu(st->nr_send));
	struct tcp_sock *tp = tcp_sk(sk);

	tp->total_retrans += le32_to_cpu(ci->total_retrans);
	tp->segs_in += le32_to_cpu(ci->segs_in);
	tp->segs_out += le32_to_cpu(ci->segs_out);
	tp->data_segs_in += le32_to_cpu(ci->data_segs_in);
	tp->data_segs_out += le32_to_cpu(ci->data_segs_out);
	tp->bytes_sent += le64_to_cpu(ci->bytes_sent);
	tp->bytes_retrans += le64_to_cpu(ci->bytes_retrans);
	tp->bytes_acked += le64_to_cpu(ci->bytes_acked);
	tp->bytes_received += le64_to_cpu(ci->bytes_received);
}

/*
 * Feed len bytes at p to tcp_sendmsg_locked(); in repair mode they go to
 * the queue tp->repair_queue names, otherwise out as new data.  It takes
 * them in pieces (the receive queue at most 17 pages a call).
 */
static int bp_tcp_feed(struct sock *sk, const void *p, u32 len)
{
	struct kvec kv = { .iov_base = (void *)p, .iov_len = len };
	/* never SIGPIPE: the caller is whoever asked for the restore */
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	int ret;

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &kv, 1, len);
	while (msg_data_left(&msg)) {
		ret = tcp_sendmsg_locked(sk, &msg, msg_data_left(&msg));
		if (ret < 0)
			return ret;
		if (!ret)
			return -ENOBUFS;
	}
	return 0;
}

/* Bytes [from, from + len) of the receive side (pre, then the ring). */
static int bp_feed_rx(struct sock *sk, struct bp_conn *bc, u32 len)
{
	u32 pre = bc->pre_len - bc->pre_off, n;
	u64 pos = bc->rx_read;
	int err;

	n = min(len, pre);
	err = bp_tcp_feed(sk, bc->pre + bc->pre_off, n);
	for (len -= n; !err && len; len -= n, pos += n) {
		const struct bp_chunk *ch = &bc->rx[(pos / BP_CHUNK) % bc->rx_nr];

		n = min_t(u32, len, BP_CHUNK - pos % BP_CHUNK);
		err = bp_tcp_feed(sk, page_address(ch->page) + pos % BP_CHUNK,
				  n);
	}
	return err;
}

/* Bytes [at, at + len) of the send ring. */
static int bp_feed_tx(struct sock *sk, struct bp_conn *bc, u64 at, u32 len)
{
	int err = 0;
	u32 n;

	for (; !err && len; len -= n, at += n) {
		const struct bp_chunk *ch = &bc->tx[(at / BP_CHUNK) % bc->tx_nr];

		n = min_t(u32, len, BP_CHUNK - at % BP_CHUNK);
		err = bp_tcp_feed(sk, page_address(ch->page) + at % BP_CHUNK,
				  n);
	}
	return err;
}

/*
 * The first unacknowledged data byte.  The NIC's snd_una counts our FIN
 * once it is acknowledged; TCP's is sent again after the data (it only
 * makes the peer acknowledge it once more), so it is not counted here.
 */
static u32 bp_data_una(const struct chw_conn_state *st)
{
	u32 una = le32_to_cpu(st->snd_una), end = le32_to_cpu(st->write_seq);

	if ((st->opt & CHW_OPT_FIN_SENT) && una == end + 1)
		return end;
	return una;
}

/* TCP's sequence space, windows, clocks and estimators: the NIC's. */
/*
 * IPv6: the automatic flow label the NIC last used (it draws a new one
 * at each RTO, as sk_rethink_txhash() does) goes on: the host's TCP
 * makes it from sk_txhash (rol32(hash, 16), ip6_make_flowlabel()), so
 * the hash is set to give it back.  Left alone if it already does.
 */
static void bp_load_flowlabel(struct sock *sk, u32 flowlabel)
{
	u32 label = flowlabel & CHW_FLOWLABEL_MASK;
	u32 mine = rol32(READ_ONCE(sk->sk_txhash), 16) & CHW_FLOWLABEL_MASK;
	u32 cmp = CHW_FLOWLABEL_MASK & ~be32_to_cpu(IPV6_FLOWLABEL_STATELESS_FLAG);

	if ((flowlabel & CHW_FLOWLABEL_REHASH) && ((label ^ mine) & cmp))
		WRITE_ONCE(sk->sk_txhash, ror32(label, 16));
}

static void bp_load_state(struct sock *sk, const struct chw_conn_state *st,
			  u32 unread)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	u32 snd_una = bp_data_una(st);
	u32 rcv_end = le32_to_cpu(st->rcv_nxt) -
		      !!(st->opt & CHW_OPT_FIN_RCVD);
	u32 age = le32_to_cpu(st->ts_recent_age_ms);
	u32 srtt = le32_to_cpu(st->srtt_us);

	/* data is queued again below, advancing these to the NIC's */
	if (st->family == 6)
		bp_load_flowlabel(sk, le32_to_cpu(st->flowlabel));
	tp->snd_una = snd_una;
	tp->snd_nxt = snd_una;
	tp->write_seq = snd_una;
	tp->pushed_seq = snd_una;
	tp->snd_up = snd_una;
	tp->snd_sml = snd_una;
	tp->snd_wl1 = le32_to_cpu(st->snd_wl1);
	tp->snd_wnd = le32_to_cpu(st->snd_wnd);
	tp->max_window = max(tp->max_window, le32_to_cpu(st->max_window));
	tp->rcv_nxt = rcv_end - unread;
	tp->copied_seq = tp->rcv_nxt;
	tp->rcv_wup = tp->rcv_nxt;

	if (tp->rx_opt.tstamp_ok) {
		tp->tsoffset = le32_to_cpu(st->ts_val) - tcp_time_stamp_raw();
		tp->rx_opt.ts_recent = le32_to_cpu(st->ts_recent);
		tp->rx_opt.ts_recent_stamp = age == U32_MAX ? 0 :
			ktime_get_seconds() - age / MSEC_PER_SEC;
	}
	if (srtt) {
		tp->srtt_us = srtt << 3;
		tp->mdev_us = max(le32_to_cpu(st->rttvar_us) << 2,
				  jiffies_to_usecs(TCP_RTO_MIN));
		tp->mdev_max_us = tp->mdev_us;
		tp->rttvar_us = tp->mdev_us;
	}
	/*
	 * The RTO from the estimators, not the NIC's: that one may be backed
	 * off by a loss, and TCP would start from it, doubling on.
	 */
	if (srtt)
		icsk->icsk_rto = __tcp_set_rto(tp);
	else
		icsk->icsk_rto = clamp_t(unsigned long,
					 msecs_to_jiffies(le32_to_cpu(st->rto_ms)),
					 TCP_RTO_MIN, TCP_TIMEOUT_INIT);
	tcp_bound_rto(sk);
	icsk->icsk_backoff = 0;
	icsk->icsk_retransmits = 0;
	icsk->icsk_probes_out = 0;
	/*
	 * No recovery, undo or loss probe of TCP's from before the handoff
	 * survives: its sequence numbers are long gone (and after 2 GB
	 * would compare the wrong way).  The congestion module starts over,
	 * as tcp_reinit_congestion_control() starts one (released first:
	 * some allocate in init).
	 */
	if (icsk->icsk_ca_ops->release)
		icsk->icsk_ca_ops->release(sk);
	memset(icsk->icsk_ca_priv, 0, sizeof(icsk->icsk_ca_priv));
	if (icsk->icsk_ca_ops->init)
		icsk->icsk_ca_ops->init(sk);
	if (icsk->icsk_ca_ops->set_state)
		icsk->icsk_ca_ops->set_state(sk, TCP_CA_Open);
	icsk->icsk_ca_state = TCP_CA_Open;
	tp->high_seq = snd_una;
	tp->undo_marker = 0;
	tp->undo_retrans = -1;
	tp->retrans_stamp = 0;
	tp->tlp_high_seq = 0;
	tp->prior_ssthresh = 0;
	tp->rack.mstamp = 0;
	tp->rack.advanced = 0;
	tp->rx_opt.num_sacks = 0;
	tp->rx_opt.dsack = 0;
	tp->is_sack_reneg = 0;
	tcp_snd_cwnd_set(tp, max_t(u32, le32_to_cpu(st->snd_cwnd), 2));
	tp->snd_ssthresh = le32_to_cpu(st->snd_ssthresh) ?:
			   TCP_INFINITE_SSTHRESH;
	tp->lsndtime = tcp_jiffies32;
	tp->rcv_tstamp = tcp_jiffies32;
	icsk->icsk_ack.lrcvtime = tcp_jiffies32;
}

/*
 * The socket is TCP's again: its proto, backlog handler, buffer sizes
 * and operations as before the handoff; held by hs if given (the proto
 * then TCP's behind a gate, bp_host.c).  bc stays readable (its rings
 * hold the data still to be queued) but is no longer reachable.
 */
void bp_unswitch(struct sock *sk, struct bp_conn *bc, struct bp_host *hs)
{
	if (!(bc->flags & BP_F_NIC_FREED))
		bp_conn_unlink(bc);
	spin_lock_bh(&bp_all_lock);
	list_del_init(&bc->all_node);
	spin_unlock_bh(&bp_all_lock);
	write_lock_bh(&sk->sk_callback_lock);
	if (hs)
		bp_host_install(sk, hs);
	else
		bp_sk_switch(sk, NULL, NULL, bc->base_prot, bc->saved_ops);
	write_unlock_bh(&sk->sk_callback_lock);
	sk_wmem_queued_add(sk, -sk->sk_wmem_queued);
	sk->sk_userlocks = bc->saved_userlocks;
	WRITE_ONCE(sk->sk_sndbuf, bc->saved_sndbuf);
}

/* Queue the rings' bytes into TCP as the NIC left them. */
static int bp_requeue(struct sock *sk, struct bp_conn *bc,
		      const struct chw_conn_state *st, u32 unread)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 snd_una = bp_data_una(st);
	/* the NIC's queue, and what we had not yet given it (no slot) */
	u32 nic_queued = le32_to_cpu(st->write_seq) - snd_una;
	u32 queued = bc->tx_written - bc->tx_acked;
	u32 sent = min_t(u32, le32_to_cpu(st->snd_nxt) - snd_una, nic_queued);
	u32 lowat = tp->notsent_lowat;
	int sndbuf = sk->sk_sndbuf, err;
	u8 shutdown = sk->sk_shutdown;

	/*
	 * Room for the unread bytes (queued compactly) and for a full window
	 * as the NIC advertised it (at TCP's 2:1 of buffer to window), and no
	 * more: a larger buffer would open larger windows than TCP would
	 * have, and a few dozen restored connections would then push TCP
	 * into memory pressure, where it drops what it advertised room for.
	 */
	WRITE_ONCE(sk->sk_rcvbuf, max_t(int, sk->sk_rcvbuf,
					unread + 2 * le32_to_cpu(st->rcv_wnd)));
	WRITE_ONCE(sk->sk_sndbuf, max_t(int, sndbuf, 2 * queued + SOCK_MIN_SNDBUF));
	/*
	 * Never "no room": tcp_sendmsg_locked() would wait, and an orphan
	 * has no socket to wait on.
	 */
	tp->notsent_lowat = UINT_MAX;
	/*
	 * TCP queues data only in the states that may still send; the
	 * FINs are put back after the data (bp_resume_state()).
	 */
	tcp_set_state(sk, (st->opt & CHW_OPT_FIN_RCVD) ? TCP_CLOSE_WAIT :
			  TCP_ESTABLISHED);
	WRITE_ONCE(sk->sk_shutdown, shutdown & ~SEND_SHUTDOWN);

	tp->repair = 1;
	tp->repair_queue = TCP_RECV_QUEUE;
	err = bp_feed_rx(sk, bc, unread);
	tp->repair_queue = TCP_SEND_QUEUE;
	if (!err)
		err = bp_feed_tx(sk, bc, bc->tx_acked, sent);
	tp->repair = 0;
	tp->repair_queue = TCP_NO_QUEUE;
	if (!err)
		err = bp_feed_tx(sk, bc, bc->tx_acked + sent, queued - sent);

	tp->notsent_lowat = lowat;
	WRITE_ONCE(sk->sk_sndbuf, sndbuf);
	WRITE_ONCE(sk->sk_shutdown, shutdown);
	if (err)
		return err;
	if (tp->snd_una + queued != tp->write_seq)
		return -EPROTO;
	if (st->opt & CHW_OPT_FIN_RCVD)
		tp->rcv_nxt++;		/* the FIN: TCP_CLOSE_WAIT below */
	/*
	 * Never a smaller window than the NIC advertised, and TCP's grows
	 * from there as it would have (rcv_ssthresh paces the growth).
	 */
	tp->rcv_wup = tp->rcv_nxt;
	tp->rcv_wnd = le32_to_cpu(st->rcv_wnd);
	tp->rcv_ssthresh = max_t(u32, tp->rcv_wnd, 4 * tp->advmss);
	if (tp->window_clamp)
		tp->rcv_ssthresh = min(tp->rcv_ssthresh, tp->window_clamp);
	return 0;
}

/* The state TCP goes on in; our FIN is sent again by TCP if it was ours. */
static void bp_resume_state(struct sock *sk, const struct chw_conn_state *st,
			    bool fin_asked)
{
	if (st->opt & CHW_OPT_FIN_RCVD) {
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
		sock_set_flag(sk, SOCK_DONE);
	}
	if (st->tcp_state == TCP_TIME_WAIT) {
		/*
		 * Only the timer is left: TCP's own TIME_WAIT sees it out.
		 * An orphan is destroyed by it, which must wait until the
		 * socket is unlocked (bp_restore_sk()); it waits in
		 * FIN_WAIT2, where TCP only acknowledges a repeated FIN.
		 */
		struct tcp_sock *tp = tcp_sk(sk);

		/* our FIN was sent and acknowledged: it counts now */
		tp->snd_una = le32_to_cpu(st->snd_nxt);
		tp->snd_nxt = tp->snd_una;
		tp->write_seq = tp->snd_una;
		WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
		if (sock_flag(sk, SOCK_DEAD))
			tcp_set_state(sk, TCP_FIN_WAIT2);
		else
			tcp_time_wait(sk, TCP_TIME_WAIT, 0);
		return;
	}
	if ((st->opt & CHW_OPT_FIN_SENT) || fin_asked) {
		/*
		 * TCP sends the FIN at write_seq again (a peer that had it
		 * already just acknowledges it once more), or for the first
		 * time if the NIC had not been asked yet.
		 */
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
		tcp_shutdown(sk, SEND_SHUTDOWN);
	}
	if (sock_flag(sk, SOCK_KEEPOPEN))
		inet_csk_reset_keepalive_timer(sk,
					       keepalive_time_when(tcp_sk(sk)));
}

/*
 * Take bc's connection back.  The socket is locked by the caller (process
 * context).  0: TCP's again, bc freed.  -ENOENT: the NIC no longer had it
 * (its end is on the way as an event), nothing changed.  Other errors:
 * the connection could not be rebuilt and was reset.
 */
const char *const bp_trigger_names[BP_RS_COUNT] = {
	[BP_RS_ADMIN] = "admin", [BP_RS_UNLOAD] = "unload",
	[BP_RS_LINK] = "link", [BP_RS_ROUTE] = "route",
	[BP_RS_POLICY] = "policy", [BP_RS_IDLE] = "idle",
	[BP_RS_CALL] = "call", [BP_RS_TIME_WAIT] = "time_wait",
	[BP_RS_PRESSURE] = "pressure", [BP_RS_URGENT] = "urgent",
};

static int bp_restore_conn(struct sock *sk, struct bp_conn *bc, bool *tw)
{
	struct bp_host *hs = NULL;
	struct chw_conn_state *st;
	u32 unread, nic_unread, nic_queued;
	int err;

	if (bc->flags & (BP_F_NIC_FREED | BP_F_ABORTED | BP_F_DESTROYED))
		return -ENOENT;
	st = kzalloc(BP_RESTORE_BUF, GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	/* no more commands for it; its segments wait for the outcome */
	bp_rs_hold_open(bc);
	WRITE_ONCE(bc->flags, bc->flags | BP_F_RESTORING);
	err = bp_fetch_state(bc, st);
	/*
	 * The NIC let go (or will never answer): what waited goes to TCP's
	 * input now, into the backlog of the socket we own, ahead of what
	 * comes later; a refusal sends it to the NIC, which kept it.
	 */
	if (err != -ETIMEDOUT && err) {
		WRITE_ONCE(bc->flags, bc->flags & ~BP_F_RESTORING);
		bp_rs_hold_close(bc, false);
	} else {
		bp_rs_hold_close(bc, true);
	}
	if (err == -ETIMEDOUT) {
		/*
		 * The NIC may answer later (freeing the connection and
		 * perhaps its id for another) or never (hung): the state is
		 * lost to us either way.  End the connection and never name
		 * that id again; st may still be written, it is the NIC's
		 * (left, and so told to kmemleak).
		 */
		kmemleak_not_leak(st);
		bp_count(BP_C_RESTORE_FAILED);
		bp_conn_error(sk, ECONNRESET);
		bp_nic_freed(sk, bc);
		return err;
	}
	/* what the NIC said before its answer, in order */
	bp_apply_deferred(sk, bc);
	if (err) {
		kfree(st);
		if (bc->flags & BP_F_NIC_FREED)
			return -ENOENT;
		bp_count(BP_C_RESTORE_FAILED);
		/* the NIC refused: it keeps the connection, we keep using it */
		bp_tx_push(bc, 0);
		bp_rx_return(bc);
		return err == -ENOENT ? -EIO : err;
	}

	unread = bp_rx_avail(bc);
	nic_unread = le32_to_cpu(st->rcv_nxt) - le32_to_cpu(st->copied_seq) -
		     !!(st->opt & CHW_OPT_FIN_RCVD);
	nic_queued = le32_to_cpu(st->write_seq) - bp_data_una(st);
	if (nic_unread != unread + bc->rx_unacked ||
	    nic_queued != bc->tx_posted - bc->tx_acked ||
	    le32_to_cpu(st->snd_nxt) - bp_data_una(st) > nic_queued + 1) {
		net_err_ratelimited("handoff: restore of %08x: NIC and host disagree (unread %u/%u+%u, queued %u/%llu): reset\n",
				    bc->cid, nic_unread, unread, bc->rx_unacked,
				    nic_queued, bc->tx_posted - bc->tx_acked);
		err = -EPROTO;
	}

	bp_load_state(sk, st, unread);
	/* still open: held, so that it may be handed off again */
	if (st->tcp_state != TCP_TIME_WAIT)
		hs = bp_host_alloc(sk, bc->base_prot, bc->saved_ops,
				   bc->active);
	bp_unswitch(sk, bc, hs);
	if (!err)
		err = bp_requeue(sk, bc, st, unread);
	if (err) {
		/* an orphan is destroyed by bp_restore_sk() once unlocked */
		net_err_ratelimited("handoff: restore of %08x (state %u, %s) failed (%d): reset\n",
				    bc->cid, st->tcp_state,
				    sock_flag(sk, SOCK_DEAD) ? "orphan" : "open",
				    err);
		bp_count(BP_C_RESTORE_FAILED);
		bp_host_drop(sk);
		WRITE_ONCE(sk->sk_err, ECONNRESET);
		tcp_clear_xmit_timers(sk);	/* the requeue may have armed */
		tcp_set_state(sk, TCP_CLOSE);
		if (!sock_flag(sk, SOCK_DEAD))
			sk_error_report(sk);
	} else {
		bp_resume_state(sk, st, bc->flags & BP_F_FIN_SENT);
		bp_counters_back(sk, st);
		*tw = st->tcp_state == TCP_TIME_WAIT;
		bp_count(BP_C_RESTORED);
	}
	kfree(st);
	bp_bufs_free(bc);
	atomic_dec(&bp_nr_offloaded);
	kfree_rcu(bc, rcu);

	/* sleepers in bypass operations wake to a TCP socket and restart */
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk->sk_data_ready(sk);
		sk->sk_write_space(sk);
	}
	return err;
}

/*
 * Give bc's connection back to sk's TCP (sk locked), for why: the
 * handoff_restore tracepoint says so, with the state it came back in.
 */
int bp_restore_locked(struct sock *sk, struct bp_conn *bc, bool *tw,
		      enum bp_trigger why)
{
	u32 cid = bc->cid;	/* bc is freed once restored */
	int err = bp_restore_conn(sk, bc, tw);

	trace_handoff_restore(sk, cid, bp_trigger_names[why],
			      *tw ? TCP_TIME_WAIT : sk->sk_state, err);
	return err;
}

/*
 * Restore the connection of sk, on which the caller holds a reference
 * (dropped here).  An orphan whose connection could not be rebuilt, or
 * that the NIC let go meanwhile, is destroyed as bp_close() would.
 */
int bp_restore_sk(struct sock *sk, enum bp_trigger why)
{
	struct bp_conn *bc;
	int err = -ENOENT;
	bool tw = false, dead;

	lock_sock(sk);
	bc = bp_conn_of(sk);
	if (bc && bp_sk_is_bypass(sk))
		err = bp_restore_locked(sk, bc, &tw, why);
	/* an owner's close() after the release is TCP's business */
	dead = sock_flag(sk, SOCK_DEAD);
	release_sock(sk);

	local_bh_disable();
	bh_lock_sock(sk);
	bc = bp_conn_of(sk);
	if (dead && !sock_owned_by_user(sk)) {
		/*
		 * Not by state alone: a restored orphan TCP finished while
		 * we released the socket was destroyed by TCP already.
		 */
		if (bc && (bc->flags & BP_F_NIC_FREED))
			bp_finish(sk, bc);
		else if (!bc && err && err != -ENOENT)
			inet_csk_destroy_sock(sk);
		else if (!bc && !err && tw && sk->sk_state == TCP_FIN_WAIT2)
			tcp_time_wait(sk, TCP_TIME_WAIT, 0);
	}
	bh_unlock_sock(sk);
	local_bh_enable();
	sock_put(sk);
	return err;
}

/*
 * For what only TCP may do (bp_sockopt.c's table): the connection comes
 * back first, under the socket lock the caller holds, and TCP runs the
 * call.  When the reason lasts (a ULP, a congestion module, MD5 keys:
 * @lasting), the socket becomes plain TCP and is never handed off again;
 * otherwise it is held, as after any restore.  0: the socket is TCP's.
 * An error is the one the caller returns: the connection had already
 * ended on the NIC, or could not be rebuilt and was reset.
 */
int bp_restore_first_locked(struct sock *sk, bool lasting)
{
	struct bp_conn *bc = bp_conn_of(sk);
	bool tw = false;
	int err = 0;

	if (bc && bp_sk_is_bypass(sk)) {
		bp_count(BP_C_RS_CALL);
		err = bp_restore_locked(sk, bc, &tw, BP_RS_CALL);
		if (err)
			return sock_error(sk) ?: -ENOTCONN;
	}
	if (lasting)
		bp_host_drop(sk);
	return 0;
}

int bp_restore_first(struct sock *sk, bool lasting)
{
	int err;

	lock_sock(sk);
	err = bp_restore_first_locked(sk, lasting);
	release_sock(sk);
	return err;
}

/* The next connection of bn this pass has not tried, with a reference. */
static struct sock *bp_next_sk(struct bp_nic *bn, u32 pass, u32 cid, bool any)
{
	struct sock *sk = NULL;
	struct bp_conn *bc;

	spin_lock_bh(&bn->lock);
	list_for_each_entry(bc, &bn->conn_list, node) {
		if (!any && bc->cid != cid)
			continue;
		if (bc->restore_pass == pass)
			continue;
		bc->restore_pass = pass;
		if (refcount_inc_not_zero(&bc->sk->sk_refcnt)) {
			sk = bc->sk;
			break;
		}
	}
	spin_unlock_bh(&bn->lock);
	return sk;
}

/*
 * Restore every connection of bn (any), or the one with id cid.  Returns
 * how many came back.  Process context.
 */
int bp_restore_nic(struct bp_nic *bn, u32 cid, bool any, enum bp_trigger why)
{
	static atomic_t passes;
	u32 pass = atomic_inc_return(&passes);
	struct sock *sk;
	int n = 0;

	while ((sk = bp_next_sk(bn, pass, cid, any)))
		n += !bp_restore_sk(sk, why);
	return n;
}

/* Every connection on every NIC (rmmod, or an administrator). */
int bp_restore_all(enum bp_trigger why)
{
	struct bp_nic *bn;
	int n = 0;

	mutex_lock(&bp_nics_lock);
	list_for_each_entry(bn, &bp_nics, list)
		n += bp_restore_nic(bn, 0, true, why);
	mutex_unlock(&bp_nics_lock);
	return n;
}

/*
 * Unloading, the NICs gone: sockets whose connection already ended on
 * the NIC (their owners have not closed them yet) become closed TCP
 * sockets, the bytes they still had to read queued for TCP's recvmsg.
 */
void bp_release_ended(void)
{
	for (;;) {
		struct tcp_sock *tp;
		struct bp_conn *bc;
		struct sock *sk;
		u32 unread;

		spin_lock_bh(&bp_all_lock);
		bc = list_first_entry_or_null(&bp_all, struct bp_conn,
					      all_node);
		if (bc)
			list_del_init(&bc->all_node);
		sk = bc && refcount_inc_not_zero(&bc->sk->sk_refcnt) ?
		     bc->sk : NULL;
		spin_unlock_bh(&bp_all_lock);
		if (!bc)
			return;
		if (!sk)
			continue;	/* being destroyed: bp_destroy() frees bc */

		lock_sock(sk);
		if (bp_conn_of(sk) == bc) {
			tp = tcp_sk(sk);
			unread = bp_rx_avail(bc);
			bp_unswitch(sk, bc, NULL);
			/* TCP queues received data only while it may send */
			tp->rcv_nxt = tp->copied_seq;
			sk->sk_state = TCP_ESTABLISHED;
			tp->repair = 1;
			tp->repair_queue = TCP_RECV_QUEUE;
			if (bp_feed_rx(sk, bc, unread))
				net_warn_ratelimited("handoff: %u unread bytes lost at unload\n",
						     unread);
			tp->repair = 0;
			tp->repair_queue = TCP_NO_QUEUE;
			sk->sk_state = TCP_CLOSE;
			bp_bufs_free(bc);
			atomic_dec(&bp_nr_offloaded);
			kfree_rcu(bc, rcu);
			sk->sk_state_change(sk);
		}
		release_sock(sk);
		sock_put(sk);
	}
}

/* ---- the NIC asks (ch_os_restore) ----------------------------------------- */

struct workqueue_struct *bp_wq;

struct bp_restore_work {
	struct work_struct work;
	struct bp_nic *bn;
	u32 cid;
	enum bp_trigger why;
};

static void bp_restore_work(struct work_struct *work)
{
	struct bp_restore_work *rw =
		container_of(work, struct bp_restore_work, work);
	struct sock *sk = NULL;
	struct bp_conn *bc;

	rcu_read_lock();
	bc = xa_load(&rw->bn->conns, rw->cid);
	if (bc && refcount_inc_not_zero(&bc->sk->sk_refcnt))
		sk = bc->sk;
	rcu_read_unlock();
	if (sk)
		bp_restore_sk(sk, rw->why);
	kfree(rw);
}

/*
 * In the event NAPI: the NIC asks for a connection back.  The OS decides
 * (net.handoff.timewait_return for TIME_WAIT), and restores in process
 * context; bp_nic_remove() waits for what is queued.
 */
void bp_restore_asked(struct bp_nic *bn, const struct chw_ev_restore *ev)
{
	u16 reason = le16_to_cpu(ev->reason);
	struct bp_restore_work *rw;

	if (reason != CHW_RESTORE_TIME_WAIT && reason != CHW_RESTORE_PRESSURE &&
	    reason != CHW_RESTORE_URGENT) {
		bp_count(BP_C_EV_BAD);
		return;
	}
	bp_count(BP_C_RESTORE_ASKED);
	if (reason == CHW_RESTORE_PRESSURE)
		bp_count(BP_C_RESTORE_PRESSURE);
	if (reason == CHW_RESTORE_URGENT)
		bp_count(BP_C_RESTORE_URGENT);
	/*
	 * Urgent data is never declined: the NIC holds the peer's data back
	 * until TCP has the connection (unloading restores it anyway).
	 */
	if ((reason == CHW_RESTORE_TIME_WAIT &&
	     !READ_ONCE(bp_policy.timewait_return)) ||
	    READ_ONCE(bn->gone) || READ_ONCE(bp_unloading)) {
		bp_count(BP_C_RESTORE_DECLINED);
		return;		/* the NIC keeps it and sees it through */
	}
	rw = kmalloc(sizeof(*rw), GFP_ATOMIC);
	if (!rw) {
		bp_count(BP_C_RESTORE_DECLINED);
		return;
	}
	INIT_WORK(&rw->work, bp_restore_work);
	rw->bn = bn;
	rw->cid = le32_to_cpu(ev->cid);
	rw->why = reason == CHW_RESTORE_TIME_WAIT ? BP_RS_TIME_WAIT :
		  reason == CHW_RESTORE_PRESSURE ? BP_RS_PRESSURE : BP_RS_URGENT;
	queue_work(bp_wq, &rw->work);
}
