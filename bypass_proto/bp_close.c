// SPDX-License-Identifier: GPL-2.0
/*
 * bp_close.c - the end of an offloaded connection: shutdown, close,
 * the NIC letting go, and the socket's teardown.
 *
 * close() asks the NIC for a FIN (or a RST, for SO_LINGER 0 or unread
 * data, as tcp_close() does) and orphans the socket; the NIC finishes the
 * connection on its own (FIN handshake, TIME_WAIT) and says CHW_CC_FREED,
 * and only then is the socket destroyed, because until then the NIC may
 * still read the send ring.  The teardown itself is TCP's
 * (inet_csk_destroy_sock()); our part runs as the socket's ULP release,
 * from tcp_v4_destroy_sock(), which also drops the module reference the
 * handoff took, after we have given the socket back TCP's proto.
 */
#include "bp.h"

/* Ask for our FIN once everything written is with the NIC. */
void bp_send_fin(struct bp_conn *bc, u16 code)
{
	struct sock *sk = bc->sk;

	if (!(bc->flags & BP_F_FIN_SENT)) {
		bc->flags |= BP_F_FIN_SENT;
		if (sk->sk_state == TCP_ESTABLISHED)
			tcp_set_state(sk, TCP_FIN_WAIT1);
		else if (sk->sk_state == TCP_CLOSE_WAIT)
			tcp_set_state(sk, TCP_LAST_ACK);
	}
	bc->fin_code = code;
	bp_tx_push(bc, 0);
}

/* inet_shutdown() calls this with the socket locked. */
void bp_shutdown(struct sock *sk, int how)
{
	struct bp_conn *bc = bp_conn_of(sk);

	if (!bc) {
		tcp_shutdown(sk, how);	/* restored */
		return;
	}
	if (!(how & SEND_SHUTDOWN) ||
	    (bc->flags & (BP_F_FIN_SENT | BP_F_NIC_FREED)))
		return;
	bp_send_fin(bc, CHW_CC_SHUT_WR);
}

/*
 * The NIC no longer has the connection (CHW_CC_FREED, or the NIC is
 * gone): nothing more will come, and nothing of ours is read any more.
 */
void bp_nic_freed(struct sock *sk, struct bp_conn *bc)
{
	u32 i;

	bc->flags |= BP_F_NIC_FREED;
	bp_conn_unlink(bc);
	bp_count(BP_C_CLOSED);
	for (i = 0; i < BP_MAX_CHUNKS; i++) {
		struct bp_chunk *ch = &bc->tx[i];

		if (ch->page) {
			dma_unmap_page(&bc->bn->hd->pdev->dev, ch->dma,
				       BP_CHUNK, DMA_TO_DEVICE);
			__free_pages(ch->page, BP_CHUNK_ORDER);
			ch->page = NULL;
		}
	}
	sk_wmem_queued_add(sk, -sk->sk_wmem_queued);
	bc->tx_acked = bc->tx_posted = bc->tx_written;
	tcp_set_state(sk, TCP_CLOSE);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
}

/*
 * Destroy an orphaned socket the NIC is done with.  The socket's spinlock
 * is held and no user owns it; bc is freed on return.
 */
void bp_finish(struct sock *sk, struct bp_conn *bc)
{
	if (bc->flags & BP_F_DESTROYED)
		return;
	bc->flags |= BP_F_DESTROYED;
	tcp_set_state(sk, TCP_CLOSE);
	inet_csk_destroy_sock(sk);
}

/*
 * SO_LINGER: TCP's close() waits until the peer acknowledged our FIN
 * (sk_stream_wait_close()).  The NIC reports acknowledged bytes but not
 * the FIN, and frees the connection only after TIME_WAIT, so waiting for
 * CHW_CC_FREED would always take the whole linger time: wait until every
 * byte written was acknowledged (the peer's ACK of the last byte is
 * normally the one that covers the FIN), or the NIC let go.
 */
static bool bp_linger(struct sock *sk, struct bp_conn *bc, long *timeout)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while (bp_conn_of(sk) == bc && !(bc->flags & BP_F_NIC_FREED) &&
	       bc->tx_acked != bc->tx_written &&
	       *timeout && !signal_pending(current))
		sk_wait_event(sk, timeout, bp_wait_cond(sk, bc,
			      (bc->flags & BP_F_NIC_FREED) ||
			      bc->tx_acked == bc->tx_written), &wait);
	remove_wait_queue(sk_sleep(sk), &wait);
	/* false: restored meanwhile, bc is gone */
	return bp_conn_of(sk) == bc;
}

void bp_close(struct sock *sk, long timeout)
{
	struct bp_conn *bc;

	lock_sock(sk);
	bc = bp_conn_of(sk);
	if (!bc) {
		/* restored between the call and here: TCP closes it */
		release_sock(sk);
		bp_base_prot(sk)->close(sk, timeout);
		return;
	}
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (!(bc->flags & BP_F_NIC_FREED)) {
		/* RFC 2525: unread data on close means a reset */
		if (bp_rx_avail(bc) ||
		    (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
			bc->flags |= BP_F_ABORTED;
			bp_cmd(bc, CHW_OP_CTRL, 0, CHW_CC_ABORT, 0);
		} else {
			bp_opts_close(sk, bc);
			bp_send_fin(bc, CHW_CC_CLOSE);
			if (sock_flag(sk, SOCK_LINGER) && timeout &&
			    !bp_linger(sk, bc, &timeout)) {
				/* restored while lingering: TCP closes it */
				release_sock(sk);
				bp_base_prot(sk)->close(sk, timeout);
				return;
			}
		}
	}
	sock_hold(sk);
	sock_orphan(sk);
	/* before release: the NIC's FREED may destroy the orphan at once */
	this_cpu_inc(*sk->sk_prot->orphan_count);
	release_sock(sk);

	local_bh_disable();
	bh_lock_sock(sk);
	bc = bp_conn_of(sk);
	if (bc && (bc->flags & BP_F_NIC_FREED))
		bp_finish(sk, bc);
	bh_unlock_sock(sk);
	local_bh_enable();
	sock_put(sk);
}

/* The ULP release, from tcp_v4_destroy_sock(): our part of the teardown. */
void bp_destroy(struct sock *sk)
{
	struct bp_conn *bc = bp_conn_of(sk);

	if (!bc)
		return;
	if (!(bc->flags & BP_F_NIC_FREED))
		bp_conn_unlink(bc);
	spin_lock_bh(&bp_all_lock);
	list_del_init(&bc->all_node);
	spin_unlock_bh(&bp_all_lock);
	bp_bufs_free(bc);
	sk_wmem_queued_add(sk, -sk->sk_wmem_queued);
	/*
	 * TCP's own teardown goes on with TCP's proto; tcp_cleanup_ulp()
	 * clears the ULP ops itself once we return.
	 */
	write_lock_bh(&sk->sk_callback_lock);
	bp_sk_switch(sk, &bp_ulp_ops, NULL, bc->base_prot, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	atomic_dec(&bp_nr_offloaded);
	kfree_rcu(bc, rcu);
}

/*
 * End bc's connection from process context (its NIC is going): the peer
 * gets a RST if the NIC can still send one, the application ECONNRESET.
 * The caller holds a reference on the socket, which this drops.
 */
void bp_conn_kill(struct bp_conn *bc, int err)
{
	struct sock *sk = bc->sk;

	lock_sock(sk);
	if (bp_conn_of(sk) == bc && !(bc->flags & BP_F_NIC_FREED)) {
		if (!READ_ONCE(bc->bn->hd->failed))
			bp_cmd(bc, CHW_OP_CTRL, 0, CHW_CC_ABORT, 0);
		bp_conn_error(sk, err);
		bp_nic_freed(sk, bc);
	} else if (bp_conn_of(sk) == bc) {
		bp_conn_unlink(bc);
	}
	release_sock(sk);

	local_bh_disable();
	bh_lock_sock(sk);
	bc = bp_conn_of(sk);
	if (bc && sock_flag(sk, SOCK_DEAD) && (bc->flags & BP_F_NIC_FREED))
		bp_finish(sk, bc);
	bh_unlock_sock(sk);
	local_bh_enable();
	sock_put(sk);
}
