// SPDX-License-Identifier: GPL-2.0
/*
 * bp_intercept.c - finding the connections to hand off, without a kernel
 * patch.  A kprobe on inet_listen() gives each eligible listener a
 * module-owned copy of its proto_ops; accept() copies a listener's ops to
 * the new socket, so the copy's accept runs inet_accept() and then the
 * handoff, in the acceptor's process context where it may sleep, before
 * the application ever sees the descriptor.
 *
 * Only plain TCP sockets of user space qualify: not kernel sockets, not
 * sockets with a ULP (kTLS, MPTCP subflows), not ones already ours.
 * Listeners made before the module loaded are not seen.
 */
#include <linux/kprobes.h>
#include <net/inet_common.h>
#include <net/transp_v6.h>

#include "bp.h"

/* The listener's family's ops, with accept and poll ours. */
static struct proto_ops bp_ops4, bp_ops6;
static bool bp_ops6_ready;
static DEFINE_SPINLOCK(bp_ops_lock);

static int bp_accept(struct socket *sock, struct socket *newsock, int flags,
		     bool kern)
{
	int err = inet_accept(sock, newsock, flags, kern);

	if (!err && !kern)
		bp_try_handoff(newsock->sk);
	return err;
}

static void bp_ops_build(struct proto_ops *ops, const struct proto_ops *base)
{
	*ops = *base;
	ops->owner = THIS_MODULE;
	ops->accept = bp_accept;
	ops->poll = bp_poll;
}

static bool bp_ops_ours(const struct proto_ops *ops)
{
	return ops == &bp_ops4 || ops == &bp_ops6;
}

/* Called in the kprobe: may not sleep. */
static void bp_intercept_listener(struct socket *sock)
{
	const struct proto_ops *base = READ_ONCE(sock->ops);
	struct sock *sk = sock->sk;
	struct proto_ops *ops;

	if (!sk || !sock->file || sock->type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP || bp_ops_ours(base) ||
	    inet_csk(sk)->icsk_ulp_ops)
		return;
	if (sk->sk_prot == &tcp_prot && base == &inet_stream_ops) {
		ops = &bp_ops4;
	} else if (IS_ENABLED(CONFIG_IPV6) && sk->sk_prot == &tcpv6_prot &&
		   base->family == PF_INET6 && base->accept == inet_accept) {
		/* inet6_stream_ops is not exported: copy the first we see */
		spin_lock(&bp_ops_lock);
		if (!bp_ops6_ready) {
			bp_ops_build(&bp_ops6, base);
			bp_ops6_ready = true;
		}
		spin_unlock(&bp_ops_lock);
		ops = &bp_ops6;
	} else {
		return;
	}
	/* sock_release() puts the owner of whatever ops the socket has */
	__module_get(THIS_MODULE);
	WRITE_ONCE(sock->ops, ops);
}

static int bp_listen_pre(struct kprobe *p, struct pt_regs *regs)
{
	bp_intercept_listener((struct socket *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kprobe bp_listen_kp = {
	.symbol_name = "inet_listen",
	.pre_handler = bp_listen_pre,
};

bool bp_sk_is_bypass(const struct sock *sk)
{
	return READ_ONCE(sk->sk_prot)->close == bp_close;
}

int bp_intercept_init(void)
{
	int err;

	bp_ops_build(&bp_ops4, &inet_stream_ops);
	err = register_kprobe(&bp_listen_kp);
	if (err)
		pr_err("handoff: cannot probe inet_listen (%d): no connection will be offloaded\n",
		       err);
	return err;
}

void bp_intercept_exit(void)
{
	unregister_kprobe(&bp_listen_kp);
}
