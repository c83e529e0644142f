// SPDX-License-Identifier: GPL-2.0
/*
 * bp_entry.c - the bypass protocol's struct proto, and the doors into
 * the module it opens.
 *
 * Like kTLS, a module-owned copy of TCP's struct proto (one per family)
 * with the data-path operations replaced; everything about addresses,
 * hashing and ports stays TCP's.
 *
 * An offloaded socket holds no module reference (rmmod restores every
 * connection to TCP instead, bp_restore.c), so each operation the core
 * calls through it runs inside bp_srcu: unloading gives every socket
 * TCP's proto back, wakes the sleepers (who restart their calls into
 * TCP), and then waits in synchronize_srcu() for the last one to leave.
 */
#include <net/transp_v6.h>

#include "bp.h"

static struct proto bp_prot4, bp_prot6;

#define BP_ENTER()	int __srcu_idx = srcu_read_lock(&bp_srcu)
#define BP_LEAVE()	srcu_read_unlock(&bp_srcu, __srcu_idx)

static void bp_e_close(struct sock *sk, long timeout)
{
	BP_ENTER();
	bp_close(sk, timeout);
	BP_LEAVE();
}

static void bp_e_shutdown(struct sock *sk, int how)
{
	BP_ENTER();
	bp_shutdown(sk, how);
	BP_LEAVE();
}

static int bp_e_disconnect(struct sock *sk, int flags)
{
	int ret;

	BP_ENTER();
	ret = bp_disconnect(sk, flags);
	BP_LEAVE();
	return ret;
}

static int bp_e_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	int ret;

	BP_ENTER();
	ret = bp_sendmsg(sk, msg, size);
	BP_LEAVE();
	return ret;
}

static int bp_e_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			int flags, int *addr_len)
{
	int ret;

	BP_ENTER();
	ret = bp_recvmsg(sk, msg, len, flags, addr_len);
	BP_LEAVE();
	return ret;
}

static int bp_e_sendpage(struct sock *sk, struct page *page, int offset,
			 size_t size, int flags)
{
	int ret;

	BP_ENTER();
	ret = bp_sendpage(sk, page, offset, size, flags);
	BP_LEAVE();
	return ret;
}

static void bp_e_splice_eof(struct socket *sock)
{
	BP_ENTER();
	bp_splice_eof(sock);
	BP_LEAVE();
}

static int bp_e_setsockopt(struct sock *sk, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	int ret;

	BP_ENTER();
	ret = bp_setsockopt(sk, level, optname, optval, optlen);
	BP_LEAVE();
	return ret;
}

static int bp_e_getsockopt(struct sock *sk, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	int ret;

	BP_ENTER();
	ret = bp_getsockopt(sk, level, optname, optval, optlen);
	BP_LEAVE();
	return ret;
}

static int bp_e_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	int ret;

	BP_ENTER();
	ret = bp_ioctl(sk, cmd, arg);
	BP_LEAVE();
	return ret;
}

static void bp_e_keepalive(struct sock *sk, int valbool)
{
	BP_ENTER();
	bp_keepalive(sk, valbool);
	BP_LEAVE();
}

static int bp_e_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	int ret;

	BP_ENTER();
	ret = bp_backlog_rcv(sk, skb);
	BP_LEAVE();
	return ret;
}

static void bp_e_release_cb(struct sock *sk)
{
	BP_ENTER();
	bp_release_cb(sk);
	BP_LEAVE();
}

static bool bp_e_stream_memory_free(const struct sock *sk, int wake)
{
	bool ret;

	BP_ENTER();
	ret = bp_stream_memory_free(sk, wake);
	BP_LEAVE();
	return ret;
}

/* The ULP release, from tcp_v4_destroy_sock(). */
void bp_e_destroy(struct sock *sk)
{
	BP_ENTER();
	bp_destroy(sk);
	BP_LEAVE();
}

static void bp_proto_build(struct proto *p, const struct proto *base)
{
	*p = *base;
	p->close = bp_e_close;
	p->shutdown = bp_e_shutdown;
	p->disconnect = bp_e_disconnect;
	p->sendmsg = bp_e_sendmsg;
	p->recvmsg = bp_e_recvmsg;
	p->sendpage = bp_e_sendpage;
	p->splice_eof = bp_e_splice_eof;
	p->setsockopt = bp_e_setsockopt;
	p->getsockopt = bp_e_getsockopt;
	p->ioctl = bp_e_ioctl;
	p->keepalive = bp_e_keepalive;
	p->backlog_rcv = bp_e_backlog_rcv;
	p->release_cb = bp_e_release_cb;
	p->stream_memory_free = bp_e_stream_memory_free;
}

struct proto *bp_proto_for(const struct proto *base)
{
	if (base == &tcp_prot)
		return &bp_prot4;
	if (IS_ENABLED(CONFIG_IPV6) && base == &tcpv6_prot)
		return &bp_prot6;
	return NULL;
}

/*
 * The one place a socket changes hands: to the bypass protocol
 * (bp_handoff.c), to a hold (bp_host.c), back to TCP (bp_restore.c,
 * bp_host.c) or to TCP for its teardown (bp_close.c).  The ULP slot, the
 * proto, its backlog handler and, if given, the socket's ops are published
 * together, under sk_callback_lock written (every reader of the slot
 * outside the socket lock takes it) and the socket lock (or, for a dead
 * socket being destroyed, its last reference): see "Lock order" in bp.h.
 * prot is TCP's own or one of ours built on it, never a proto someone
 * else swapped in (sockmap's, a ULP's): bp_handoff.c refuses those.
 */
void bp_sk_switch(struct sock *sk, const struct tcp_ulp_ops *ulp, void *ctx,
		  struct proto *prot, const struct proto_ops *ops)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	lockdep_assert_held_write(&sk->sk_callback_lock);
	if (!sock_flag(sk, SOCK_DEAD))
		sock_owned_by_me(sk);
	rcu_assign_pointer(icsk->icsk_ulp_data, (void __rcu *)ctx);
	WRITE_ONCE(icsk->icsk_ulp_ops, ulp);
	sk->sk_backlog_rcv = prot->backlog_rcv;
	WRITE_ONCE(sk->sk_prot, prot);
	if (ops && sk->sk_socket)
		WRITE_ONCE(sk->sk_socket->ops, ops);
}

bool bp_sk_is_bypass(const struct sock *sk)
{
	return READ_ONCE(sk->sk_prot)->close == bp_e_close;
}

int bp_proto_init(void)
{
	bp_proto_build(&bp_prot4, &tcp_prot);
#if IS_ENABLED(CONFIG_IPV6)
	bp_proto_build(&bp_prot6, &tcpv6_prot);
#endif
	return 0;
}
