// SPDX-License-Identifier: GPL-2.0
/*
 * bp_intercept.c - finding the connections to hand off, without a kernel
 * patch.  A kretprobe on inet_listen() gives each eligible listener a
 * module-owned copy of its proto_ops; accept() copies a listener's ops to
 * the new socket, so the copy's accept runs inet_accept() and then the
 * handoff, in the acceptor's process context where it may sleep, before
 * the application ever sees the descriptor.
 *
 * Only plain TCP sockets of user space qualify: not kernel sockets, not
 * sockets with a ULP (kTLS, MPTCP subflows), not ones already ours.
 * Listeners made before the module loaded are found in TCP's listening
 * hash at load.
 *
 * The ops hold no module reference, so that rmmod works while servers
 * run: unloading gives every listener TCP's ops back (they are all in the
 * listening hash) and wakes its acceptors, who restart the call.  (A
 * listener taken out of the hash by connect(AF_UNSPEC) keeps our ops; do
 * not unload under one of those.)
 */
#include <linux/kmemleak.h>
#include <linux/kprobes.h>
#include <net/inet_common.h>
#include <net/transp_v6.h>

#include "bp.h"

/*
 * The listener's family's ops, with accept and poll ours.  Allocated, and
 * left behind on unload with TCP's accept and poll back in them: a socket
 * may have copied them just as unloading gave its listener TCP's ops back
 * (do_accept() reads sock->ops twice), and must find kernel code there.
 */
static struct proto_ops *bp_ops4, *bp_ops6;	/* not const: see above */
static const struct proto_ops *bp_base6;
static DEFINE_SPINLOCK(bp_ops_lock);

static bool bp_ops_ours(const struct proto_ops *ops)
{
	return ops && (ops == bp_ops4 || ops == bp_ops6);
}

static const struct proto_ops *bp_base_ops(const struct proto_ops *ops)
{
	if (ops == bp_ops6)
		return bp_base6;
	if (ops == bp_ops4)
		return &inet_stream_ops;
	return ops;
}

/* Ours for a socket whose TCP ops are base (a held one handed off). */
const struct proto_ops *bp_ops_for(const struct proto_ops *base)
{
	if (base == &inet_stream_ops)
		return bp_ops4;
	if (base && base == READ_ONCE(bp_base6))
		return bp_ops6;
	return base;
}

/*
 * Wait for a connection as inet_csk_accept() does, but here, where
 * unloading can wake us: the call then restarts with TCP's own ops.
 */
static int bp_wait_connect(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	int err = 0;

	add_wait_queue_exclusive(sk_sleep(sk), &wait);
	for (;;) {
		if (!reqsk_queue_empty(&inet_csk(sk)->icsk_accept_queue))
			break;
		if (READ_ONCE(bp_unloading)) {
			err = bp_restart();
			break;
		}
		if (inet_sk_state_load(sk) != TCP_LISTEN) {
			err = -EINVAL;
			break;
		}
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		*timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, *timeo);
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return err;
}

/*
 * inet_accept(), then the handoff.  The new socket was given our ops (by
 * do_accept()); it keeps them only if it was offloaded (for poll), so
 * nothing but offloaded sockets and listeners ever calls into the module.
 */
static int bp_accept(struct socket *sock, struct socket *newsock, int flags,
		     bool kern)
{
	const struct proto_ops *base = bp_base_ops(sock->ops);
	long timeo = sock_rcvtimeo(sock->sk, flags & O_NONBLOCK);
	int idx = srcu_read_lock(&bp_srcu);
	int err;

	for (;;) {
		err = inet_accept(sock, newsock, flags | O_NONBLOCK, kern);
		if (err != -EAGAIN || !timeo)
			break;
		err = bp_wait_connect(sock->sk, &timeo);
		if (err)
			break;
	}
	if (!err) {
		if (!kern)
			bp_try_handoff(newsock->sk, base, NULL);
		if (!bp_sk_is_bypass(newsock->sk))
			WRITE_ONCE(newsock->ops, base);
	}
	srcu_read_unlock(&bp_srcu, idx);
	return err;
}

static __poll_t bp_poll_entry(struct file *file, struct socket *sock,
			      struct poll_table_struct *wait)
{
	int idx = srcu_read_lock(&bp_srcu);
	__poll_t mask = bp_poll(file, sock, wait);

	srcu_read_unlock(&bp_srcu, idx);
	return mask;
}

static ssize_t bp_splice_read_entry(struct socket *sock, loff_t *ppos,
				    struct pipe_inode_info *pipe, size_t len,
				    unsigned int flags)
{
	int idx = srcu_read_lock(&bp_srcu);
	ssize_t ret;

	if (bp_sk_is_bypass(sock->sk))
		ret = bp_splice_read(sock, pipe, len, flags);
	else if (bp_host_is_held(sock->sk))
		ret = bp_host_splice_read(sock, ppos, pipe, len, flags);
	else
		ret = bp_base_ops(sock->ops)->splice_read(sock, ppos, pipe,
							  len, flags);
	srcu_read_unlock(&bp_srcu, idx);
	return ret;
}

static int bp_set_rcvlowat_entry(struct sock *sk, int val)
{
	int idx = srcu_read_lock(&bp_srcu);
	int ret = tcp_set_rcvlowat(sk, val);

	/* TCP woke its readers by its own (empty) queue: ours may be ready */
	if (!ret && bp_sk_is_bypass(sk))
		sk->sk_data_ready(sk);
	srcu_read_unlock(&bp_srcu, idx);
	return ret;
}

/*
 * No owner: sockets with these ops hold no module reference (see exit).
 * What reads TCP's queues directly (splice, SO_RCVLOWAT's wakeup) is ours
 * too, for the offloaded sockets that keep these ops.
 */
static void bp_ops_build(struct proto_ops *ops, const struct proto_ops *base)
{
	*ops = *base;
	ops->owner = NULL;
	ops->accept = bp_accept;
	ops->poll = bp_poll_entry;
	ops->splice_read = bp_splice_read_entry;
	ops->set_rcvlowat = bp_set_rcvlowat_entry;
}

/*
 * Whether we have a copy of base, a TCP socket's ops: IPv4's always;
 * inet6_stream_ops is not exported, so the first IPv6 TCP socket seen
 * (listening, or connecting: bp_active.c) teaches us its address.  Any
 * context.
 */
bool bp_ops_learn(const struct proto_ops *base)
{
	if (base == &inet_stream_ops)
		return true;
	if (!IS_ENABLED(CONFIG_IPV6) || !base || base->family != PF_INET6 ||
	    base->accept != inet_accept)
		return false;
	if (READ_ONCE(bp_base6))
		return READ_ONCE(bp_base6) == base;
	spin_lock(&bp_ops_lock);
	if (!bp_base6) {
		bp_ops_build(bp_ops6, base);
		/* the copy is whole before bp_ops_for() may hand it out */
		smp_store_release(&bp_base6, base);
	}
	spin_unlock(&bp_ops_lock);
	return bp_base6 == base;
}

/* At inet_listen()'s return, in the kretprobe: may not sleep. */
static void bp_intercept_listener(struct socket *sock)
{
	const struct proto_ops *base = READ_ONCE(sock->ops);
	struct sock *sk = sock->sk;

	if (!sk || !sock->file || sock->type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP || bp_ops_ours(base) ||
	    inet_csk(sk)->icsk_ulp_ops || READ_ONCE(bp_unloading) ||
	    inet_sk_state_load(sk) != TCP_LISTEN)
		return;
	if (!(sk->sk_prot == &tcp_prot ||
	      (IS_ENABLED(CONFIG_IPV6) && sk->sk_prot == &tcpv6_prot)) ||
	    !bp_ops_learn(base))
		return;
	WRITE_ONCE(sock->ops, bp_ops_for(base));
}

/*
 * A kretprobe, so only a listen() that succeeded gets our ops: every
 * socket that has them is then in the listening hash, where unloading
 * finds it again.
 */
static int bp_listen_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	*(struct socket **)ri->data =
		(struct socket *)regs_get_kernel_argument(regs, 0);
	return 0;
}

static int bp_listen_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	if (!regs_return_value(regs))
		bp_intercept_listener(*(struct socket **)ri->data);
	return 0;
}

static struct kretprobe bp_listen_krp = {
	.kp.symbol_name = "inet_listen",
	.entry_handler = bp_listen_entry,
	.handler = bp_listen_ret,
	.data_size = sizeof(struct socket *),
	.maxactive = 64,
};

/* fn on every socket in TCP's listening hash, under its bucket's lock. */
static void bp_listeners_each(void (*fn)(struct sock *sk))
{
	struct inet_hashinfo *h = &tcp_hashinfo;
	unsigned int i;

	for (i = 0; i <= h->lhash2_mask; i++) {
		struct inet_listen_hashbucket *ilb = &h->lhash2[i];
		struct hlist_nulls_node *node;
		struct sock *sk;

		spin_lock_bh(&ilb->lock);
		sk_nulls_for_each(sk, node, &ilb->nulls_head)
			fn(sk);
		spin_unlock_bh(&ilb->lock);
	}
}

/*
 * Loading: listeners made before the module get our ops as a new one
 * would (an acceptor already asleep in TCP's accept() takes one more
 * connection on the host stack; its next call is ours).
 */
static void bp_listener_adopt(struct sock *sk)
{
	if (sk->sk_socket)
		bp_intercept_listener(sk->sk_socket);
}

/* Unloading: TCP's ops back, and the acceptors woken to restart. */
static void bp_listener_release(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;

	if (sock && bp_ops_ours(READ_ONCE(sock->ops))) {
		WRITE_ONCE(sock->ops, bp_base_ops(sock->ops));
		wake_up_interruptible_all(sk_sleep(sk));
	}
}

int bp_intercept_init(void)
{
	int err;

	bp_ops4 = kzalloc(sizeof(*bp_ops4), GFP_KERNEL);
	bp_ops6 = kzalloc(sizeof(*bp_ops6), GFP_KERNEL);
	if (!bp_ops4 || !bp_ops6) {
		kfree(bp_ops4);
		kfree(bp_ops6);
		return -ENOMEM;
	}
	bp_ops_build(bp_ops4, &inet_stream_ops);
	err = register_kretprobe(&bp_listen_krp);
	if (err) {
		pr_err("handoff: cannot probe inet_listen (%d): no connection will be offloaded\n",
		       err);
		kfree(bp_ops4);
		kfree(bp_ops6);
		return err;
	}
	bp_listeners_each(bp_listener_adopt);
	return 0;
}

/* TCP's own operations back in ops, for sockets that copied them. */
static void bp_ops_restore(struct proto_ops *ops, const struct proto_ops *base)
{
	WRITE_ONCE(ops->poll, base->poll);
	WRITE_ONCE(ops->accept, base->accept);
	WRITE_ONCE(ops->splice_read, base->splice_read);
	WRITE_ONCE(ops->set_rcvlowat, base->set_rcvlowat);
}

/* Unloading, first step: no new listener, none left with our ops. */
void bp_intercept_stop(void)
{
	unregister_kretprobe(&bp_listen_krp);
	bp_listeners_each(bp_listener_release);
	/* see bp_ops4: kernel code only, and kept (a few hundred bytes) */
	bp_ops_restore(bp_ops4, &inet_stream_ops);
	kmemleak_not_leak(bp_ops4);
	kmemleak_not_leak(bp_ops6);
	spin_lock(&bp_ops_lock);
	if (bp_base6)
		bp_ops_restore(bp_ops6, bp_base6);
	spin_unlock(&bp_ops_lock);
}

