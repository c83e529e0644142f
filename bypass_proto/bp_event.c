// SPDX-License-Identifier: GPL-2.0
/*
 * bp_event.c - the NIC's news (ch_os_recv, ch_os_ack, ch_os_ctrl,
 * ch_os_resource) reaching sockets.
 *
 * Events arrive in the event ring's NAPI, in softirq context, like TCP's
 * receive path, and follow its locking rule (and chtls's): with the
 * socket's spinlock held, apply at once if no user owns the socket,
 * otherwise note the news in the connection and let release_sock() apply
 * it through bp_release_cb().  Every field of an event is checked first:
 * a bad one is counted and dropped, never applied.
 */
#include <net/inet6_connection_sock.h>

#include "bp.h"

/*
 * Bytes [at, at + len) of the receive ring must be where the NIC says it
 * wrote them, inside buffers it was given.  Syncs them for the CPU.
 */
static bool bp_rx_check(struct bp_conn *bc, u64 at, u64 addr, u32 len)
{
	struct device *dev = &bc->bn->hd->pdev->dev;

	if (!len || at + len - bc->rx_read > (u64)bc->rx_nr * BP_CHUNK)
		return false;
	while (len) {
		const struct bp_chunk *ch = &bc->rx[(at / BP_CHUNK) % bc->rx_nr];
		u32 off = at % BP_CHUNK, n = min_t(u32, len, BP_CHUNK - off);

		if (ch->dma + off != addr)
			return false;
		dma_sync_single_range_for_cpu(dev, ch->dma, off, n,
					      DMA_FROM_DEVICE);
		at += n;
		addr += n;
		len -= n;
	}
	return true;
}

/* The connection ended with err (reset, timeout, a NIC gone). */
void bp_conn_error(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, err);
	/* poll reads the error after the state: publish it first */
	smp_wmb();
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	bp_count(BP_C_RESETS);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

/* The NIC's state changes, in the order it reported them. */
static void bp_ctrl_apply(struct sock *sk, struct bp_conn *bc, u32 what)
{
	if (what & BP_DEF_PEER_FIN) {
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
		sock_set_flag(sk, SOCK_DONE);
		switch (sk->sk_state) {
		case TCP_ESTABLISHED:
			tcp_set_state(sk, TCP_CLOSE_WAIT);
			break;
		case TCP_FIN_WAIT1:
			tcp_set_state(sk, TCP_CLOSING);
			break;
		case TCP_FIN_WAIT2:
			tcp_set_state(sk, TCP_TIME_WAIT);
			break;
		}
		if (!sock_flag(sk, SOCK_DEAD)) {
			sk->sk_state_change(sk);
			sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
		}
	}
	if (what & (BP_DEF_RESET | BP_DEF_TIMEDOUT)) {
		/* as tcp_write_err(): an ICMP's soft error before ETIMEDOUT */
		int err = (what & BP_DEF_TIMEDOUT) ?
			  (READ_ONCE(sk->sk_err_soft) ?: ETIMEDOUT) :
			  sk->sk_state == TCP_CLOSE_WAIT ? EPIPE : ECONNRESET;

		bp_conn_error(sk, err);
	}
	if (what & BP_DEF_FREED)
		bp_nic_freed(sk, bc);
}

static void bp_recv_apply(struct sock *sk, struct bp_conn *bc, u64 len)
{
	WRITE_ONCE(bc->rx_recv, bc->rx_recv + len);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
}

static void bp_ack_apply(struct sock *sk, struct bp_conn *bc, u64 len)
{
	bp_tx_acked(bc, len);
	/* SENDs that waited for a free slot, or the FIN behind them */
	bp_tx_push(bc, 0);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_write_space(sk);
}

/*
 * CHW_CC_SENT: the NIC sent the queue up to sent (TCP_NOTSENT_LOWAT);
 * writers and pollers look again, as TCP's write_space lets them.
 */
static void bp_sent_apply(struct sock *sk, struct bp_conn *bc, u64 sent)
{
	if (sent <= bc->tx_sent)
		return;
	WRITE_ONCE(bc->tx_sent, sent);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_write_space(sk);
}

static u32 bp_ctrl_bit(u16 code)
{
	switch (code) {
	case CHW_CC_PEER_FIN:	return BP_DEF_PEER_FIN;
	case CHW_CC_RESET:	return BP_DEF_RESET;
	case CHW_CC_TIMEDOUT:	return BP_DEF_TIMEDOUT;
	case CHW_CC_FREED:	return BP_DEF_FREED;
	}
	return 0;
}

/*
 * The NIC lowered the path MTU after an ICMP: the route learns it, as
 * tcp_v4_mtu_reduced() and tcp_v6_mtu_reduced() update it, so that the
 * host's TCP sends with it after a restore (tcp_current_mss() syncs the
 * MSS to the route's MTU) and other connections to the peer use it.
 * While the user owns the socket the route is left alone (Linux defers
 * to release_sock(); the restored TCP would learn it from the next
 * ICMP instead).
 */
static bool bp_pmtu_lowered(struct sock *sk, struct bp_conn *bc, u64 mtu,
			    bool now)
{
	if (mtu < 68 || mtu > 65535)
		return false;
	bp_count(BP_C_PMTU);
	if (!now)
		return true;
	if (bc->tuple.family == 6)
		inet6_csk_update_pmtu(sk, mtu);
	else
		inet_csk_update_pmtu(sk, mtu);
	return true;
}

/* One event for bc, with the socket's spinlock held. */
static bool bp_conn_event(struct sock *sk, struct bp_conn *bc,
			  const struct chw_msg *ev)
{
	bool now = !sock_owned_by_user(sk);
	u64 len = le64_to_cpu(ev->val);
	u32 bit;

	if (bc->flags & BP_F_NIC_FREED)
		return false;		/* nothing comes after FREED */
	switch (ev->op) {
	case CHW_EV_RECV: {
		const struct chw_ev_recv *r = (const void *)ev;

		len = le16_to_cpu(r->len);
		if (!bp_rx_check(bc, bc->rx_recv + bc->def_recv,
				 le64_to_cpu(r->addr), len))
			return false;
		if (now)
			bp_recv_apply(sk, bc, len);
		else
			bc->def_recv += len;
		return true;
	}
	case CHW_EV_ACK:
		if (!len || len > bc->tx_written - bc->tx_acked - bc->def_acked)
			return false;
		if (now)
			bp_ack_apply(sk, bc, len);
		else
			bc->def_acked += len;
		return true;
	case CHW_EV_CTRL:
		switch (le16_to_cpu(((const struct chw_ev_ctrl *)ev)->code)) {
		case CHW_CC_SOFT_ERR:
			/* tcp_v4_err() keeps it even while the user owns */
			if (len > MAX_ERRNO)
				return false;
			WRITE_ONCE(sk->sk_err_soft, (int)len);
			return true;
		case CHW_CC_PMTU:
			return bp_pmtu_lowered(sk, bc, len, now);
		case CHW_CC_SENT:
			if (len > bc->tx_written)
				return false;
			bp_count(BP_C_SENT_REPORTS);
			if (now)
				bp_sent_apply(sk, bc, len);
			else
				bc->def_sent = max(bc->def_sent, len);
			return true;
		}
		bit = bp_ctrl_bit(le16_to_cpu(((const struct chw_ev_ctrl *)ev)->code));
		if (!bit)
			return false;
		if (!now) {
			bc->def_ctrl |= bit;
			return true;
		}
		bp_ctrl_apply(sk, bc, bit);
		/* an orphan the NIC is done with goes now */
		if ((bc->flags & BP_F_NIC_FREED) && sock_flag(sk, SOCK_DEAD))
			bp_finish(sk, bc);
		return true;
	}
	return false;
}

static void bp_sock_event(struct bp_nic *bn, const struct chw_msg *ev)
{
	u32 cid = le32_to_cpu(ev->cid);
	struct bp_conn *bc;
	struct sock *sk;
	bool ok = false;

	rcu_read_lock();
	bc = xa_load(&bn->conns, cid);
	sk = bc ? bc->sk : NULL;
	if (sk && !refcount_inc_not_zero(&sk->sk_refcnt))
		sk = NULL;
	rcu_read_unlock();
	if (sk) {
		bh_lock_sock(sk);
		/*
		 * The connection may have ended while we looked it up; or
		 * its handoff, which owns the socket, is about to switch it
		 * (the news waits for that in bc).
		 */
		if (bp_conn_of(sk) == bc ||
		    (READ_ONCE(bc->handing_off) && sock_owned_by_user(sk)))
			ok = bp_conn_event(sk, bc, ev);
		if (ok)		/* for net.handoff.idle_restore_s */
			WRITE_ONCE(bc->last_active, jiffies);
		bh_unlock_sock(sk);
		sock_put(sk);
	}
	if (!ok) {
		bp_count(BP_C_EV_BAD);
		net_warn_ratelimited("handoff: %s: event 0x%x for connection 0x%x refused (unknown, ended, or out of range)\n",
				     netdev_name(bn->netdev), ev->op, cid);
	}
}

/*
 * Only failures of posted commands come here.  One for a connection the
 * NIC no longer knows is a race, not a fault: the NIC ended it (the
 * peer's reset, a timeout) while a SEND or CTRL was on its way, and its
 * end is already an event behind this one.  Counted, quietly.
 */
static void bp_cmd_failed(struct bp_nic *bn, const struct chw_ev_done *d)
{
	if (d->status == CHW_ST_OK)
		return;
	if (d->status == CHW_ST_BAD_CID) {
		bp_count(BP_C_CMD_STALE);
		return;
	}
	bp_count(BP_C_CMD_ERRORS);
	net_warn_ratelimited("handoff: %s: command op 0x%x for connection 0x%x failed: status %u\n",
			     netdev_name(bn->netdev), d->cmd_op,
			     le32_to_cpu(d->cid), d->status);
}

/* The event handler the driver calls, in the event ring's NAPI. */
void bp_event(void *ctx, const struct chw_msg *ev)
{
	struct bp_nic *bn = ctx;

	bp_count(BP_C_MSG_RX_BASE + (ev->op & 15));
	switch (ev->op) {
	case CHW_EV_RECV:
	case CHW_EV_ACK:
	case CHW_EV_CTRL:
		bp_sock_event(bn, ev);
		break;
	case CHW_EV_RESOURCE: {
		const struct chw_ev_resource *r = (const void *)ev;

		atomic_set(&bn->free_conns, le32_to_cpu(r->free_conns));
		WRITE_ONCE(bn->free_send, le32_to_cpu(r->free_send));
		WRITE_ONCE(bn->free_mem_kb, le32_to_cpu(r->free_mem_kb));
		break;
	}
	case CHW_EV_DONE:
		bp_cmd_failed(bn, (const struct chw_ev_done *)ev);
		break;
	case CHW_EV_RESTORE:
		bp_restore_asked(bn, (const struct chw_ev_restore *)ev);
		break;
	default:
		bp_count(BP_C_EV_BAD);
		break;
	}
}

/* TCP's deferred work for a quiesced socket: none, but its references. */
#define BP_TCP_DEFERRED	(TCPF_TSQ_DEFERRED | TCPF_WRITE_TIMER_DEFERRED | \
			 TCPF_DELACK_TIMER_DEFERRED | TCPF_MTU_REDUCED_DEFERRED)

static void bp_drop_tcp_deferred(struct sock *sk)
{
	unsigned long flags, nflags;
	int n;

	do {
		flags = READ_ONCE(sk->sk_tsq_flags);
		if (!(flags & BP_TCP_DEFERRED))
			return;
		nflags = flags & ~BP_TCP_DEFERRED;
	} while (cmpxchg(&sk->sk_tsq_flags, flags, nflags) != flags);
	/* each deferral took a reference (see tcp_release_cb()) */
	for (n = hweight_long(flags & BP_TCP_DEFERRED); n; n--)
		__sock_put(sk);
}

/* Apply what came while the user owned the socket, in causal order. */
void bp_apply_deferred(struct sock *sk, struct bp_conn *bc)
{
	if (bc->def_recv) {
		u64 n = bc->def_recv;

		bc->def_recv = 0;
		bp_recv_apply(sk, bc, n);
	}
	if (bc->def_acked) {
		u64 n = bc->def_acked;

		bc->def_acked = 0;
		bp_ack_apply(sk, bc, n);
	}
	if (bc->def_sent) {
		u64 n = bc->def_sent;

		bc->def_sent = 0;
		bp_sent_apply(sk, bc, n);
	}
	if (bc->def_ctrl) {
		u32 what = bc->def_ctrl;

		bc->def_ctrl = 0;
		bp_ctrl_apply(sk, bc, what);
	}
}

/* release_sock(): the socket's spinlock is held, the user still owns it. */
void bp_release_cb(struct sock *sk)
{
	struct bp_conn *bc = bp_conn_of(sk);

	if (!bc) {
		bp_base_prot(sk)->release_cb(sk);	/* restored */
		return;
	}
	bp_drop_tcp_deferred(sk);
	bp_apply_deferred(sk, bc);
	if (bc->tx_posted != bc->tx_written)
		bp_tx_push(bc, 0);
}
