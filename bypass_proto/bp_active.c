// SPDX-License-Identifier: GPL-2.0
/*
 * bp_active.c - active open: connections a program makes with connect()
 * are handed off too, once established (net.handoff.active).
 *
 * A kretprobe on inet_stream_connect() (IPv4 and IPv6 stream sockets)
 * sees each connect() that succeeded or is in progress.  It may not
 * sleep, and the socket is unlocked by then, so it only queues a task
 * work: the connecting task runs it on its way back to user space, in
 * process context, before the program can use the socket for anything
 * else.  There the socket becomes "held" (bp_host.c), with every call
 * through the gate, and the connection is handed off as soon as it is
 * established: at once after a blocking connect(), or at the first send
 * or receive that finds it so after a non-blocking one.
 *
 * A call another thread began in TCP before the hold (racing the
 * connect() itself) is not counted by the gate; if one sleeps there when
 * the handoff comes, the connection stays on TCP (refused_busy).
 *
 * Only what the NIC could take is held: user sockets of TCP's own proto
 * with no ULP, whose route leaves by a handoff NIC, to a peer's port in
 * net.handoff.ports (the service's port: the peer's, for these).  Those
 * are not counted as tried; the handoff checks the list again.
 */
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/task_work.h>
#include <net/transp_v6.h>

#include "bp.h"

struct bp_active_work {
	struct callback_head cb;
	struct sock *sk;
};

/* Works queued and not yet run: unloading waits for them to run. */
static atomic_t bp_active_pending = ATOMIC_INIT(0);
static bool bp_active_probing;

/* The connection leaves by a handoff NIC (the route connect() chose). */
static bool bp_active_route_ok(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get(sk);

	return dst && dst->dev && dst->dev->netdev_ops == &hnd_netdev_ops;
}

static void bp_active_run(struct callback_head *cb)
{
	struct bp_active_work *w = container_of(cb, struct bp_active_work, cb);
	struct sock *sk = w->sk;
	int idx = srcu_read_lock(&bp_srcu);

	atomic_dec(&bp_active_pending);
	kfree(w);
	/* an exiting task runs its works too: nothing to hold then */
	if (!(current->flags & PF_EXITING) && !READ_ONCE(bp_unloading))
		bp_host_hold_connecting(sk);
	sock_put(sk);
	srcu_read_unlock(&bp_srcu, idx);
}

/* At inet_stream_connect()'s return, in the kretprobe: may not sleep. */
static void bp_active_connected(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct bp_active_work *w;

	if (!READ_ONCE(bp_policy.active) || !READ_ONCE(bp_policy.enable) ||
	    READ_ONCE(bp_unloading) || !sk || !sock->file ||
	    sock->type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP ||
	    (current->flags & (PF_KTHREAD | PF_EXITING)) ||
	    inet_csk(sk)->icsk_ulp_ops ||
	    !(sk->sk_prot == &tcp_prot ||
	      (IS_ENABLED(CONFIG_IPV6) && sk->sk_prot == &tcpv6_prot)) ||
	    !bp_port_allowed(ntohs(inet_sk(sk)->inet_dport)) ||
	    !bp_ops_learn(READ_ONCE(sock->ops)))
		return;
	rcu_read_lock();
	if (!bp_active_route_ok(sk)) {
		rcu_read_unlock();
		return;
	}
	rcu_read_unlock();
	w = kmalloc(sizeof(*w), GFP_ATOMIC);
	if (!w)
		return;
	init_task_work(&w->cb, bp_active_run);
	w->sk = sk;
	sock_hold(sk);
	atomic_inc(&bp_active_pending);
	if (task_work_add(current, &w->cb, TWA_RESUME)) {
		atomic_dec(&bp_active_pending);
		sock_put(sk);
		kfree(w);
	}
}

static int bp_connect_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	*(struct socket **)ri->data =
		(struct socket *)regs_get_kernel_argument(regs, 0);
	return 0;
}

static int bp_connect_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	/* an int: only the register's low half is defined */
	int ret = (int)regs_return_value(regs);

	if (!ret || ret == -EINPROGRESS)
		bp_active_connected(*(struct socket **)ri->data);
	return 0;
}

static struct kretprobe bp_connect_krp = {
	.kp.symbol_name = "inet_stream_connect",
	.entry_handler = bp_connect_entry,
	.handler = bp_connect_ret,
	.data_size = sizeof(struct socket *),
	.maxactive = 64,
};

int bp_active_init(void)
{
	int err = register_kretprobe(&bp_connect_krp);

	/* accepted connections are still offloaded: not fatal */
	if (err)
		pr_warn("handoff: cannot probe inet_stream_connect (%d): connect()ed connections stay on the host stack\n",
			err);
	bp_active_probing = !err;
	return 0;
}

/*
 * Unloading, with bp_unloading set: no new works, and the queued ones
 * run (their tasks are on their way back to user space, where they find
 * bp_unloading and do nothing) before the module's code goes.  Each work
 * enters bp_srcu before it uncounts itself, so the final
 * synchronize_srcu() covers its last instructions.
 */
void bp_active_stop(void)
{
	if (bp_active_probing)
		unregister_kretprobe(&bp_connect_krp);
	bp_active_probing = false;
	while (atomic_read(&bp_active_pending))
		msleep(20);
}
