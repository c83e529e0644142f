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
#include <asm/ioctls.h>
#include <linux/sockios.h>
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

static int bp_wait_send_space(struct sock *sk, struct bp_conn *bc,
			      long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
	set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	sk_wait_event(sk, timeo, bp_conn_of(sk) != bc || sk->sk_err ||
		      (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) ||
		      (bc->flags & BP_F_NIC_FREED) || bp_tx_space(bc), &wait);
	remove_wait_queue(sk_sleep(sk), &wait);
	return 0;
}

/*
 * Copy from the application into the send ring and tell the NIC, one
 * SEND per contiguous piece.  The usual stream semantics: a blocking
 * sender waits for room, a non-blocking one gets what fitted or EAGAIN.
 */
static int bp_send_iter(struct sock *sk, struct iov_iter *from, int flags)
{
	struct bp_conn *bc = bp_conn_of(sk);
	long timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	bool more = flags & (MSG_MORE | MSG_SENDPAGE_NOTLAST);
	int copied = 0, err = 0;

	if (!bc)
		return bp_restart();	/* restored: TCP's sendmsg now */
	while (iov_iter_count(from)) {
		struct bp_chunk *ch;
		u32 space, off, n;
		size_t got;

		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN) ||
		    (bc->flags & BP_F_NIC_FREED)) {
			err = -EPIPE;
			break;
		}
		space = bp_tx_space(bc);
		if (!space) {
			bp_tx_push(bc, false);
			if (!timeo) {
				err = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				err = sock_intr_errno(timeo);
				break;
			}
			bp_wait_send_space(sk, bc, &timeo);
			/* restored meanwhile: bc is gone, TCP takes the rest */
			if (bp_conn_of(sk) != bc)
				return copied ?: bp_restart();
			continue;
		}
		off = bc->tx_written % BP_CHUNK;
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
			bp_tx_push(bc, false);
	}
	bp_tx_push(bc, !more);
	if (copied)
		return copied;
	return sk_stream_error(sk, flags, err);
}

int bp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	int ret;

	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;	/* urgent data is not offloaded */
	lock_sock(sk);
	ret = bp_send_iter(sk, &msg->msg_iter, msg->msg_flags);
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
	if (bc)
		bp_tx_push(bc, true);
	release_sock(sk);
}

/* Room in the send ring: what sk_stream_wait_memory() and poll ask. */
bool bp_stream_memory_free(const struct sock *sk, int wake)
{
	struct bp_conn *bc;
	bool ret;

	rcu_read_lock();
	bc = bp_conn_of(sk);
	ret = bc ? bp_tx_space(bc) > 0 : tcp_stream_memory_free(sk, wake);
	rcu_read_unlock();
	return ret;
}

/* ---- receive ------------------------------------------------------------- */

int bp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
	       int flags, int *addr_len)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	bool peek = flags & MSG_PEEK;
	struct bp_conn *bc;
	int copied = 0, target;
	long timeo;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return flags & MSG_OOB ? -EINVAL : -EAGAIN;
	lock_sock(sk);
	bc = bp_conn_of(sk);
	if (!bc) {
		release_sock(sk);
		return bp_restart();	/* restored: TCP's recvmsg now */
	}
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	/* a low-water mark beyond the ring would never be met */
	target = min_t(int, sock_rcvlowat(sk, flags & MSG_WAITALL, len),
		       bc->rx_nr * BP_CHUNK / 2);
	len = min_t(size_t, len, INT_MAX);

	while (copied < len) {
		u32 avail = bp_rx_avail(bc), n, got;

		if (peek)
			avail = avail > copied ? avail - copied : 0;
		if (avail) {
			n = min_t(u32, avail, len - copied);
			got = bp_rx_copy(bc, &msg->msg_iter, peek ? copied : 0,
					 n);
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
		sk_wait_event(sk, &timeo, bp_conn_of(sk) != bc ||
			      bp_rx_avail(bc) > (peek ? (u32)copied : 0) ||
			      sk->sk_err || sk->sk_state == TCP_CLOSE ||
			      (sk->sk_shutdown & RCV_SHUTDOWN), &wait);
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

/* ---- readiness ----------------------------------------------------------- */

static bool bp_stream_writeable(struct sock *sk)
{
	return sk_stream_is_writeable(sk);
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

/* ---- control ------------------------------------------------------------- */

int bp_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	struct bp_conn *bc;
	int answ;

	lock_sock(sk);
	bc = bp_conn_of(sk);
	release_sock(sk);
	if (!bc)
		return bp_base_prot(sk)->ioctl(sk, cmd, arg);
	switch (cmd) {
	case SIOCINQ:
		lock_sock(sk);
		bc = bp_conn_of(sk);
		answ = bc ? bp_rx_avail(bc) : 0;
		release_sock(sk);
		break;
	case SIOCATMARK:
		answ = 0;		/* urgent data is not offloaded */
		break;
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		/* the NIC does not report what it sent, only what was acked */
		lock_sock(sk);
		bc = bp_conn_of(sk);
		answ = bc ? bc->tx_written - bc->tx_acked : 0;
		release_sock(sk);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(answ, (int __user *)arg);
}

/* sock_setsockopt(SO_KEEPALIVE) calls this with the socket locked. */
void bp_keepalive(struct sock *sk, int valbool)
{
	u32 idle = valbool ? keepalive_time_when(tcp_sk(sk)) / HZ : 0;
	struct bp_conn *bc = bp_conn_of(sk);

	if (bc)
		bp_cmd(bc, CHW_OP_CTRL, 0, CHW_CC_KEEPALIVE, idle);
	else
		bp_base_prot(sk)->keepalive(sk, valbool);
}

/* The TCP options that mean the same on the NIC, or only store a value. */
static bool bp_tcp_opt_passes(int optname)
{
	switch (optname) {
	case TCP_NODELAY:
	case TCP_CORK:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_QUICKACK:
	case TCP_USER_TIMEOUT:
	case TCP_LINGER2:
	case TCP_NOTSENT_LOWAT:
	case TCP_WINDOW_CLAMP:
	case TCP_DEFER_ACCEPT:
	case TCP_SYNCNT:
		return true;
	}
	return false;
}

int bp_setsockopt(struct sock *sk, int level, int optname,
		  sockptr_t optval, unsigned int optlen)
{
	struct bp_conn *bc;
	int val, err;

	/* restored, or not TCP's level: TCP's own */
	if (!bp_conn_of(sk) || level != SOL_TCP)
		return bp_base_prot(sk)->setsockopt(sk, level, optname, optval,
						    optlen);
	if (optname == TCP_KEEPIDLE) {
		if (optlen < sizeof(int) ||
		    copy_from_sockptr(&val, optval, sizeof(val)))
			return -EFAULT;
		if (val < 1 || val > MAX_TCP_KEEPIDLE)
			return -EINVAL;
		lock_sock(sk);
		WRITE_ONCE(tcp_sk(sk)->keepalive_time, val * HZ);
		bc = bp_conn_of(sk);
		if (bc && sock_flag(sk, SOCK_KEEPOPEN))
			bp_cmd(bc, CHW_OP_CTRL, 0, CHW_CC_KEEPALIVE, val);
		release_sock(sk);
		return 0;
	}
	if (!bp_tcp_opt_passes(optname))
		return -EOPNOTSUPP;	/* not while the NIC has the connection */
	/* TCP keeps the value (getsockopt shows it); its queues are empty */
	err = bp_base_prot(sk)->setsockopt(sk, level, optname, optval, optlen);
	if (!err && optname == TCP_NODELAY) {
		lock_sock(sk);
		bc = bp_conn_of(sk);
		if (bc)
			bp_cmd(bc, CHW_OP_CTRL, 0, CHW_CC_NODELAY,
			       !!(tcp_sk(sk)->nonagle & TCP_NAGLE_OFF));
		release_sock(sk);
	}
	return err;
}

/* TCP_INFO: TCP's view from the handoff, with the NIC's byte counts. */
static int bp_get_info(struct sock *sk, char __user *optval, int __user *optlen)
{
	struct bp_conn *bc;
	struct tcp_info info;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	len = min_t(unsigned int, len, sizeof(info));
	if (len < 0)
		return -EINVAL;
	tcp_get_info(sk, &info);
	lock_sock(sk);
	bc = bp_conn_of(sk);
	if (!bc) {
		release_sock(sk);
		return bp_base_prot(sk)->getsockopt(sk, SOL_TCP, TCP_INFO,
						    optval, optlen);
	}
	info.tcpi_state = inet_sk_state_load(sk);
	info.tcpi_bytes_acked = bc->tx_acked;
	info.tcpi_bytes_sent = bc->tx_posted;
	info.tcpi_notsent_bytes = bc->tx_written - bc->tx_posted;
	info.tcpi_bytes_received = bc->rx_recv + bc->pre_len;
	info.tcpi_unacked = DIV_ROUND_UP(bc->tx_posted - bc->tx_acked,
					 max_t(u32, info.tcpi_snd_mss, 1));
	release_sock(sk);
	if (put_user(len, optlen) || copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}

int bp_getsockopt(struct sock *sk, int level, int optname,
		  char __user *optval, int __user *optlen)
{
	if (!bp_conn_of(sk))
		return bp_base_prot(sk)->getsockopt(sk, level, optname, optval,
						    optlen);
	if (level == SOL_TCP && optname == TCP_INFO)
		return bp_get_info(sk, optval, optlen);
	if (level == SOL_TCP && (optname == TCP_ZEROCOPY_RECEIVE ||
				 optname == TCP_REPAIR_WINDOW ||
				 optname == TCP_CC_INFO))
		return -EOPNOTSUPP;
	return bp_base_prot(sk)->getsockopt(sk, level, optname, optval,
					    optlen);
}

int bp_disconnect(struct sock *sk, int flags)
{
	if (!bp_conn_of(sk))
		return bp_base_prot(sk)->disconnect(sk, flags);
	return -EOPNOTSUPP;	/* connect(AF_UNSPEC) on an offloaded socket */
}
