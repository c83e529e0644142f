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

static struct proto bp_prot4, bp_prot6;

struct proto *bp_proto_for(const struct proto *base)
{
	if (base == &tcp_prot)
		return &bp_prot4;
	if (IS_ENABLED(CONFIG_IPV6) && base == &tcpv6_prot)
		return &bp_prot6;
	return NULL;
}

/* ---- send ---------------------------------------------------------------- */

static int bp_wait_send_space(struct sock *sk, struct bp_conn *bc,
			      long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
	set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
	sk_wait_event(sk, timeo, sk->sk_err ||
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
	struct device *dev = &bc->bn->hd->pdev->dev;
	long timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	bool more = flags & (MSG_MORE | MSG_SENDPAGE_NOTLAST);
	int copied = 0, err = 0;

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
			dma_sync_single_range_for_device(dev, ch->dma, off, got,
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

static int bp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
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
static int bp_sendpage(struct sock *sk, struct page *page, int offset,
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

static void bp_splice_eof(struct socket *sock)
{
	struct sock *sk = sock->sk;

	lock_sock(sk);
	bp_tx_push(bp_conn_of(sk), true);
	release_sock(sk);
}

/* Room in the send ring: what sk_stream_wait_memory() and poll ask. */
static bool bp_stream_memory_free(const struct sock *sk, int wake)
{
	return bp_tx_space(bp_conn_of(sk)) > 0;
}

/* ---- receive ------------------------------------------------------------- */

static int bp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
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
		sk_wait_event(sk, &timeo,
			      bp_rx_avail(bc) > (peek ? (u32)copied : 0) ||
			      sk->sk_err || sk->sk_state == TCP_CLOSE ||
			      (sk->sk_shutdown & RCV_SHUTDOWN), &wait);
		sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
		remove_wait_queue(sk_sleep(sk), &wait);
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
	struct bp_conn *bc = bp_conn_of(sk);
	int state, shutdown;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);
	state = inet_sk_state_load(sk);
	shutdown = READ_ONCE(sk->sk_shutdown);

	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (bp_rx_avail(bc) >= min_t(u32, sock_rcvlowat(sk, 0, INT_MAX),
				    bc->rx_nr * BP_CHUNK / 2))
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

static int bp_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	struct bp_conn *bc = bp_conn_of(sk);
	int answ;

	switch (cmd) {
	case SIOCINQ:
		lock_sock(sk);
		answ = bp_rx_avail(bc);
		release_sock(sk);
		break;
	case SIOCATMARK:
		answ = 0;		/* urgent data is not offloaded */
		break;
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		/* the NIC does not report what it sent, only what was acked */
		lock_sock(sk);
		answ = bc->tx_written - bc->tx_acked;
		release_sock(sk);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(answ, (int __user *)arg);
}

static void bp_keepalive(struct sock *sk, int valbool)
{
	u32 idle = valbool ? keepalive_time_when(tcp_sk(sk)) / HZ : 0;

	bp_cmd(bp_conn_of(sk), CHW_OP_CTRL, 0, CHW_CC_KEEPALIVE, idle);
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

static int bp_setsockopt(struct sock *sk, int level, int optname,
			 sockptr_t optval, unsigned int optlen)
{
	struct bp_conn *bc = bp_conn_of(sk);
	int val, err;

	if (level != SOL_TCP)
		return bc->base_prot->setsockopt(sk, level, optname, optval,
						 optlen);
	if (optname == TCP_KEEPIDLE) {
		if (optlen < sizeof(int) ||
		    copy_from_sockptr(&val, optval, sizeof(val)))
			return -EFAULT;
		if (val < 1 || val > MAX_TCP_KEEPIDLE)
			return -EINVAL;
		lock_sock(sk);
		WRITE_ONCE(tcp_sk(sk)->keepalive_time, val * HZ);
		if (sock_flag(sk, SOCK_KEEPOPEN))
			bp_cmd(bc, CHW_OP_CTRL, 0, CHW_CC_KEEPALIVE, val);
		release_sock(sk);
		return 0;
	}
	if (!bp_tcp_opt_passes(optname))
		return -EOPNOTSUPP;	/* not while the NIC has the connection */
	/* TCP keeps the value (getsockopt shows it); its queues are empty */
	err = bc->base_prot->setsockopt(sk, level, optname, optval, optlen);
	if (!err && optname == TCP_NODELAY) {
		lock_sock(sk);
		bp_cmd(bc, CHW_OP_CTRL, 0, CHW_CC_NODELAY,
		       !!(tcp_sk(sk)->nonagle & TCP_NAGLE_OFF));
		release_sock(sk);
	}
	return err;
}

/* TCP_INFO: TCP's view from the handoff, with the NIC's byte counts. */
static int bp_get_info(struct sock *sk, char __user *optval, int __user *optlen)
{
	struct bp_conn *bc = bp_conn_of(sk);
	struct tcp_info info;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	len = min_t(unsigned int, len, sizeof(info));
	if (len < 0)
		return -EINVAL;
	tcp_get_info(sk, &info);
	lock_sock(sk);
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

static int bp_getsockopt(struct sock *sk, int level, int optname,
			 char __user *optval, int __user *optlen)
{
	struct bp_conn *bc = bp_conn_of(sk);

	if (level == SOL_TCP && optname == TCP_INFO)
		return bp_get_info(sk, optval, optlen);
	if (level == SOL_TCP && (optname == TCP_ZEROCOPY_RECEIVE ||
				 optname == TCP_REPAIR_WINDOW ||
				 optname == TCP_CC_INFO))
		return -EOPNOTSUPP;
	return bc->base_prot->getsockopt(sk, level, optname, optval, optlen);
}

static int bp_disconnect(struct sock *sk, int flags)
{
	return -EOPNOTSUPP;	/* connect(AF_UNSPEC) on an offloaded socket */
}

/* ---- the protocol -------------------------------------------------------- */

static void bp_proto_build(struct proto *p, const struct proto *base)
{
	*p = *base;
	p->close = bp_close;
	p->shutdown = bp_shutdown;
	p->disconnect = bp_disconnect;
	p->sendmsg = bp_sendmsg;
	p->recvmsg = bp_recvmsg;
	p->sendpage = bp_sendpage;
	p->splice_eof = bp_splice_eof;
	p->setsockopt = bp_setsockopt;
	p->getsockopt = bp_getsockopt;
	p->ioctl = bp_ioctl;
	p->keepalive = bp_keepalive;
	p->backlog_rcv = bp_backlog_rcv;
	p->release_cb = bp_release_cb;
	p->stream_memory_free = bp_stream_memory_free;
}

int bp_proto_init(void)
{
	bp_proto_build(&bp_prot4, &tcp_prot);
#if IS_ENABLED(CONFIG_IPV6)
	bp_proto_build(&bp_prot6, &tcpv6_prot);
#endif
	return 0;
}
