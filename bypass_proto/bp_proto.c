// SPDX-License-Identifier: GPL-2.0
/*
 * bp_proto.c - the bypass protocol's operations: what the application's
 * calls do once its connection lives on the NIC.
 *
 * Like kTLS, a module-owned copy of TCP's struct proto (one per family)
 * with the data-path operations replaced; everything about addresses,
 * hashing and ports stays TCP's.  Every operation runs under the socket
 * lock; the NIC's events that arrive meanwhile wait in the connection's
 * deferred fields until release_sock() runs bp_release_cb().
 */
#include <linux/fs.h>
#include <linux/pipe_fs_i.h>
#include <linux/splice.h>
#include <net/inet_common.h>
#include <net/transp_v6.h>

#include "bp.h"

/* TCP's proto for sk's family. */
struct proto *bp_tcp_prot(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return &tcpv6_prot;
#endif
	return &tcp_prot;
}

/*
 * Whose operations run when a call finds its socket restored (bc NULL)
 * between the dispatch and here: the socket's proto now (TCP's, or the
 * held socket's gate, bp_host.c), or TCP's for what a bypass socket
 * leaves to TCP.
 */
struct proto *bp_base_prot(const struct sock *sk)
{
	struct proto *p = READ_ONCE(sk->sk_prot);

	return bp_sk_is_bypass(sk) ? bp_tcp_prot(sk) : p;
}

/* ---- send ---------------------------------------------------------------- */

/*
 * sk_stream_wait_memory(): until there is room, and with lowat until
 * less than TCP_NOTSENT_LOWAT is unsent (a CHW_CC_SENT or an ACK wakes
 * us through sk_write_space, as TCP's write_space wakes its writers).
 */
static int bp_wait_send_space(struct sock *sk, struct bp_conn *bc,
			      long *timeo, bool lowat)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
	set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	sk_wait_event(sk, timeo, bp_wait_cond(sk, bc, sk->sk_err ||
		      (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) ||
		      (bc->flags & BP_F_NIC_FREED) || (bp_tx_space(bc) &&
		      (!lowat || bp_tx_notsent_ok(sk, bc, 0)))), &wait);
	remove_wait_queue(sk_sleep(sk), &wait);
	return 0;
}

/*
 * Copy from the application into the send ring and tell the NIC, one
 * SEND per contiguous piece.  The usual stream semantics: a blocking
 * sender waits for room, a non-blocking one gets what fitted or EAGAIN.
 * TCP_NOTSENT_LOWAT is asked where tcp_sendmsg() asks it, before a new
 * skb: here before a new chunk; bytes go on into a chunk begun, as into
 * TCP's unsent tail skb.
 */
static int bp_send_iter(struct sock *sk, struct iov_iter *from, int flags)
{
	struct bp_conn *bc = bp_conn_of(sk);
	long timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	bool more = flags & (MSG_MORE | MSG_SENDPAGE_NOTLAST);
	int copied = 0, err = 0;

	if (!bc)
		return bp_restart();	/* restored: TCP's sendmsg now */
	bp_opts_lowat(sk, bc);		/* net.ipv4.tcp_notsent_lowat moved */
	while (iov_iter_count(from)) {
		struct bp_chunk *ch;
		u32 space, off, n;
		bool lowat;
		size_t got;

		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN) ||
		    (bc->flags & BP_F_NIC_FREED)) {
			err = -EPIPE;
			break;
		}
		space = bp_tx_space(bc);
		off = bc->tx_written % BP_CHUNK;
		lowat = !off && !bp_tx_notsent_ok(sk, bc, 0);
		if (!space || lowat) {
			bp_tx_push(bc, 0);
			if (!timeo) {
				err = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				err = sock_intr_errno(timeo);
				break;
			}
			bp_wait_send_space(sk, bc, &timeo, lowat);
			/* restored meanwhile: bc is gone, TCP takes the rest */
			if (bp_conn_of(sk) != bc)
				return copied ?: bp_restart();
			continue;
		}
		n = min_t(size_t, min(space, BP_CHUNK - off),
			  iov_iter_count(from));
		err = bp_tx_chunk(bc, bc->tx_written);
		if (err)
			break;
		ch = &bc->tx[(bc->tx_written / BP_CHUNK) % bc->tx_nr];
		got = copy_from_iter(page_address(ch->page) + off, n, from);
		if (got) {
			dma_sync_single_range_for_device(&bc->bn->hd->pdev->dev,
							 ch->dma, off, got,
							 DMA_TO_DEVICE);
			bc->tx_written += got;
			sk_wmem_queued_add(sk, got);
			copied += got;
		}
		if (got != n) {
			err = -EFAULT;
			break;
		}
		if (off + n == BP_CHUNK)
			bp_tx_push(bc, 0);
	}
	/* tcp_push(): PSH at the end of the write, unless more is coming */
	if (!more)
		bc->tx_psh_at = bc->tx_written;
	bp_tx_push(bc, more ? CHW_SEND_MORE : 0);
	if (copied)
		return copied;
	return sk_stream_error(sk, flags, err);
}

/*
 * What only TCP's sendmsg does: urgent data, a record's end (MSG_EOR
 * keeps later writes out of its last segment), Fast Open, ancillary data
 * (timestamping requests) and io_uring's zero-copy buffers.  The
 * connection comes back to TCP first; it may be handed off again.
 */
static bool bp_send_needs_tcp(const struct msghdr *msg)
{
	return (msg->msg_flags & (MSG_OOB | MSG_EOR | MSG_FASTOPEN)) ||
	       msg->msg_controllen || msg->msg_ubuf;
}

/*
 * SO_TIMESTAMPING's transmit timestamps: TCP takes them as its segments
 * leave, which the NIC does not report.  Set for good (a setsockopt of
 * SOL_SOCKET, which never reaches us), so the connection stays on TCP.
 */
static bool bp_send_timestamped(const struct sock *sk)
{
	return READ_ONCE(sk->sk_tsflags) & SOF_TIMESTAMPING_TX_RECORD_MASK;
}

int bp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct ubuf_info *uarg = NULL;
	int ret;

	if (bp_send_needs_tcp(msg) || bp_send_timestamped(sk)) {
		ret = bp_restore_first(sk, bp_send_timestamped(sk));
		if (ret)
			return ret;
		return READ_ONCE(sk->sk_prot)->sendmsg(sk, msg, size);
	}
	lock_sock(sk);
	/*
	 * MSG_ZEROCOPY: the bytes are copied into the send ring, so the
	 * completion is posted once they are, marked copied
	 * (SO_EE_CODE_ZEROCOPY_COPIED), as TCP posts it on a route
	 * without scatter-gather.
	 */
	if ((msg->msg_flags & MSG_ZEROCOPY) && size &&
	    sock_flag(sk, SOCK_ZEROCOPY)) {
		uarg = msg_zerocopy_realloc(sk, size, NULL);
		if (!uarg) {
			release_sock(sk);
			return -ENOBUFS;
		}
		uarg_to_msgzc(uarg)->zerocopy = 0;
	}
	ret = bp_send_iter(sk, &msg->msg_iter, msg->msg_flags);
	if (uarg) {
		if (ret > 0) {
			bp_count(BP_C_ZC_COPIED);
			net_zcopy_put(uarg);
		} else {
			net_zcopy_put_abort(uarg, true);
		}
	}
	release_sock(sk);
	return ret;
}

/* sendfile() and splice() to the socket (busybox httpd sends files so). */
int bp_sendpage(struct sock *sk, struct page *page, int offset,
		size_t size, int flags)
{
	struct bio_vec bv = { .bv_page = page, .bv_offset = offset,
			      .bv_len = size };
	struct iov_iter it;
	int ret;

	if ((flags & (MSG_OOB | MSG_EOR)) || bp_send_timestamped(sk)) {
		ret = bp_restore_first(sk, bp_send_timestamped(sk));
		if (ret)
			return ret;
		return READ_ONCE(sk->sk_prot)->sendpage(sk, page, offset, size,
							flags);
	}
	iov_iter_bvec(&it, ITER_SOURCE, &bv, 1, size);
	lock_sock(sk);
	ret = bp_send_iter(sk, &it, flags);
	release_sock(sk);
	return ret;
}

void bp_splice_eof(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct bp_conn *bc;

	lock_sock(sk);
	bc = bp_conn_of(sk);
	if (bc) {
		bc->tx_psh_at = bc->tx_written;
		bp_tx_push(bc, 0);
	}
	release_sock(sk);
}

/*
 * Room in the send ring and less than TCP_NOTSENT_LOWAT unsent: what
 * sk_stream_write_space() and poll ask (wake 1), as tcp_stream_memory_free.
 */
bool bp_stream_memory_free(const struct sock *sk, int wake)
{
	struct bp_conn *bc;
	bool ret;

	rcu_read_lock();
	bc = bp_conn_of(sk);
	ret = bc ? bp_tx_space(bc) > 0 && bp_tx_notsent_ok(sk, bc, wake) :
		   tcp_stream_memory_free(sk, wake);
	rcu_read_unlock();
	return ret;
}

/* ---- receive ------------------------------------------------------------- */

/*
 * What only TCP's recvmsg does: a timestamp with each read (SO_TIMESTAMP,
 * SO_TIMESTAMPING), taken as the host's TCP receives the segments.
 */
static bool bp_recv_needs_tcp(const struct sock *sk)
{
	return sock_flag(sk, SOCK_RCVTSTAMP) ||
	       (READ_ONCE(sk->sk_tsflags) &
		(SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RAW_HARDWARE));
}

int bp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
	       int flags, int *addr_len)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	bool peek = flags & MSG_PEEK, trunc = flags & MSG_TRUNC;
	struct bp_conn *bc;
	int copied = 0, target;
	long timeo;

	/* the socket's error queue (zero-copy completions): TCP reads it */
	if (flags & MSG_ERRQUEUE)
		return bp_tcp_prot(sk)->recvmsg(sk, msg, len, flags, addr_len);
	/*
	 * Urgent data never waits on the NIC (CHW_RESTORE_URGENT): there is
	 * none to read, which tcp_recv_urg() answers so.
	 */
	if (flags & MSG_OOB)
		return bp_conn_of(sk) ? -EINVAL :
		       bp_base_prot(sk)->recvmsg(sk, msg, len, flags, addr_len);
	if (bp_recv_needs_tcp(sk)) {
		copied = bp_restore_first(sk, true);
		if (copied)
			return copied;
		return READ_ONCE(sk->sk_prot)->recvmsg(sk, msg, len, flags,
						       addr_len);
	}
	lock_sock(sk);
	bc = bp_conn_of(sk);
	if (!bc) {
		release_sock(sk);
		return bp_restart();	/* restored: TCP's recvmsg now */
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	/*
	 * What is read is consumed and its room posted again before we
	 * sleep, so any target is met in time; a peek keeps it all, and a
	 * target beyond the ring would never be.
	 */
	if (peek)
		target = min_t(int, target, bc->rx_nr * BP_CHUNK / 2);
	len = min_t(size_t, len, INT_MAX);

	while (copied < len) {
		u32 avail = bp_rx_avail(bc), n, got;

		if (peek)
			avail = avail > copied ? avail - copied : 0;
		if (avail) {
			n = min_t(u32, avail, len - copied);
			/* MSG_TRUNC: the bytes are counted, not copied */
			got = trunc ? n :
			      bp_rx_copy(bc, &msg->msg_iter,
					 peek ? copied : 0, n);
			if (!peek)
				bp_rx_consume(bc, got);
			copied += got;
			if (got != n) {
				if (!copied)
					copied = -EFAULT;
				break;
			}
			continue;
		}
		if (copied >= target)
			break;
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			    signal_pending(current))
				break;
		} else {
			/*
			 * tcp_recvmsg()'s order: a reset reports its error
			 * once before the EOF it also implies, unless the
			 * peer's FIN came first.
			 */
			if (sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}
		/* reopen the window before sleeping on it */
		bp_rx_return(bc);
		add_wait_queue(sk_sleep(sk), &wait);
		sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
		sk_wait_event(sk, &timeo, bp_wait_cond(sk, bc,
			      bp_rx_avail(bc) > (peek ? (u32)copied : 0) ||
			      sk->sk_err || sk->sk_state == TCP_CLOSE ||
			      (sk->sk_shutdown & RCV_SHUTDOWN)), &wait);
		sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
		remove_wait_queue(sk_sleep(sk), &wait);
		if (bp_conn_of(sk) != bc) {
			/* restored meanwhile: bc is gone, TCP has the rest */
			release_sock(sk);
			return copied ?: bp_restart();
		}
	}
	bp_rx_return(bc);
	release_sock(sk);
	return copied;
}

/*
 * splice() from an offloaded socket: the ring's bytes copied into pages
 * of the pipe (tcp_splice_read() lends it the skbs' pages instead), as
 * much as the pipe takes; the call's blocking and its errors are
 * recvmsg()'s, which are tcp_splice_read()'s.
 */
ssize_t bp_splice_read(struct socket *sock, struct pipe_inode_info *pipe,
		       size_t len, unsigned int flags)
{
	struct sock *sk = sock->sk;
	struct msghdr msg = {};
	int addr_len, fl = 0;
	size_t room;

	room = (size_t)(pipe->max_usage -
			pipe_occupancy(pipe->head, pipe->tail)) << PAGE_SHIFT;
	if (!room)
		return -EAGAIN;
	len = min(len, room);
	if ((sock->file->f_flags & O_NONBLOCK) || (flags & SPLICE_F_NONBLOCK))
		fl = MSG_DONTWAIT;
	iov_iter_pipe(&msg.msg_iter, ITER_DEST, pipe, len);
	return READ_ONCE(sk->sk_prot)->recvmsg(sk, &msg, len, fl, &addr_len);
}

/* ---- readiness ----------------------------------------------------------- */

/* tcp_poll()'s test: TCP_NOTSENT_LOWAT with wake 1, half the mark */
static bool bp_stream_writeable(struct sock *sk)
{
	return __sk_stream_is_writeable(sk, 1);
}

/* tcp_poll() for a connection on the NIC: the same bits, from our rings. */
static __poll_t bp_poll_bypass(struct file *file, struct socket *sock,
			       poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct bp_conn *bc;
	int state, shutdown;
	__poll_t mask = 0;
	u32 avail, rx_half;

	sock_poll_wait(file, sock, wait);
	/* the ULP slot changes (bc, held, none) under this lock */
	read_lock_bh(&sk->sk_callback_lock);
	bc = bp_conn_of(sk);
	if (!bc) {
		read_unlock_bh(&sk->sk_callback_lock);
		return tcp_poll(file, sock, NULL);	/* restored */
	}
	avail = bp_rx_avail(bc);
	rx_half = bc->rx_nr * BP_CHUNK / 2;
	read_unlock_bh(&sk->sk_callback_lock);
	state = inet_sk_state_load(sk);
	shutdown = READ_ONCE(sk->sk_shutdown);

	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (avail && avail >= min_t(u32, sock_rcvlowat(sk, 0, INT_MAX),
				    rx_half))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!(shutdown & SEND_SHUTDOWN)) {
		if (bp_stream_writeable(sk)) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else {
			sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			/* an ACK may have freed room since the test above */
			smp_mb__after_atomic();
			if (bp_stream_writeable(sk))
				mask |= EPOLLOUT | EPOLLWRNORM;
		}
	} else {
		mask |= EPOLLOUT | EPOLLWRNORM;
	}
	/* the error is published before the state (see bp_event.c) */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

__poll_t bp_poll(struct file *file, struct socket *sock,
		 struct poll_table_struct *wait)
{
	if (bp_sk_is_bypass(sock->sk))
		return bp_poll_bypass(file, sock, wait);
	return tcp_poll(file, sock, wait);
}

/* ---- control ----------------------------------------------------------- */

/*
 * connect(AF_UNSPEC), under the socket lock: a new life for the socket,
 * which TCP gives it, so the connection comes back first and stays.
 */
int bp_disconnect(struct sock *sk, int flags)
{
	int err = bp_restore_first_locked(sk, true);

	if (err)
		return err;
	return READ_ONCE(sk->sk_prot)->disconnect(sk, flags);
}
