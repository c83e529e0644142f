// SPDX-License-Identifier: GPL-2.0
/*
 * bp_host.c - connections the OS took back and may hand off again.
 *
 * A restored socket runs on the host's TCP, but is "held": it keeps a
 * module-owned copy of TCP's proto whose process-context operations pass
 * through a gate.  Each call counts itself in and runs TCP's operation.
 * To hand the connection off again (`echo handoff all >/proc/net/handoff`,
 * or the OS's policy), the gate closes, the callers asleep in TCP (for
 * data or for room) are woken with TIF_NOTIFY_SIGNAL so that they return
 * and restart their call, the last one out lets the handoff go on, and
 * only then is the bypass protocol swapped in, under the socket lock as
 * at accept().  So no thread is ever inside TCP's code for a socket whose
 * connection the NIC has: a call dispatched to TCP a moment before the
 * switch waits at the gate and restarts into the bypass protocol.
 *
 * A socket a program connect()ed is held the same way from the moment its
 * connect() returns (bp_active.c), and handed off once established: at
 * once, or at the first send or receive that finds it so.
 *
 * What the core calls under the socket lock (backlog_rcv, release_cb,
 * keepalive) and outside process context (hashing) stays TCP's own: the
 * switch holds the same lock.  A held socket has our copy of TCP's
 * proto_ops (bp_intercept.c): its poll is tcp_poll, its splice_read
 * passes the gate (bp_host_splice_read()), as a receive does.  Closing,
 * disconnecting or installing a ULP ends the holding:
 * the socket becomes plain TCP first, and rmmod does the same to all.
 */
#include <linux/delay.h>
#include <linux/sched/signal.h>
#include <net/transp_v6.h>

#include "bp.h"

struct bp_host {
	struct sock *sk;
	struct proto *base_prot;	/* tcp_prot or tcpv6_prot */
	const struct proto_ops *saved_ops;	/* TCP's, put back at the end */
	refcount_t ref;			/* the socket's, and each caller's */
	atomic_t users;			/* callers inside TCP's operations */
	bool closed;			/* the gate: under sk_callback_lock */
	bool detached;			/* under bp_hosts_lock: let go once */
	bool active;			/* made by connect() (bp_active.c) */
	bool fresh;			/* ... and never offloaded yet */
	unsigned long connecting;	/* bit 0: hand off once established */
	u32 pass;			/* under bp_hosts_lock */
	spinlock_t lock;		/* callers */
	struct list_head callers;
	struct list_head node;		/* bp_hosts */
	wait_queue_head_t wq;		/* gate opened, last caller out */
};

/* A call inside the gate, for the handoff to wake if it sleeps. */
struct bp_host_caller {
	struct list_head node;
	struct task_struct *task;
	bool restartable;		/* may be woken to restart */
	bool kicked;
	bool connected;			/* to hand the connection off first */
};

static LIST_HEAD(bp_hosts);
static DEFINE_SPINLOCK(bp_hosts_lock);
static atomic_t bp_nr_held = ATOMIC_INIT(0);
static struct proto bp_hprot4, bp_hprot6;

static void bp_h_release(struct sock *sk);
static void bp_host_connected(struct sock *sk);

static struct tcp_ulp_ops bp_host_ulp_ops = {
	.name = "handoff-held",
	.release = bp_h_release,
};

#define BP_ENTER()	int __srcu_idx = srcu_read_lock(&bp_srcu)
#define BP_LEAVE()	srcu_read_unlock(&bp_srcu, __srcu_idx)

/* sk's hold, or NULL; under the socket lock or sk_callback_lock. */
static struct bp_host *bp_host_of(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	if (icsk->icsk_ulp_ops != &bp_host_ulp_ops)
		return NULL;
	return (__force struct bp_host *)icsk->icsk_ulp_data;
}

/* Whether sk is held now (a hint: the gate decides). */
bool bp_host_is_held(const struct sock *sk)
{
	return READ_ONCE(inet_csk(sk)->icsk_ulp_ops) == &bp_host_ulp_ops;
}

bool bp_host_holds(const struct sock *sk, const struct bp_host *hs)
{
	return bp_host_of(sk) == hs;
}

/* Made by connect(): net.handoff.ports applies to the peer's port. */
bool bp_host_active(const struct bp_host *hs)
{
	return hs->active;
}

static void bp_host_put(struct bp_host *hs)
{
	if (refcount_dec_and_test(&hs->ref))
		kfree(hs);
}

int bp_nr_held_read(void)
{
	return atomic_read(&bp_nr_held);
}

/*
 * A hold for sk, being restored (locked), to install as it leaves the
 * bypass protocol; NULL if it will be plain TCP (unloading, an orphan,
 * no memory).
 */
struct bp_host *bp_host_alloc(struct sock *sk, struct proto *base_prot,
			      const struct proto_ops *saved_ops, bool active)
{
	struct bp_host *hs;

	if (READ_ONCE(bp_unloading) || !sk->sk_socket ||
	    sock_flag(sk, SOCK_DEAD))
		return NULL;
	hs = kzalloc(sizeof(*hs), GFP_KERNEL);
	if (!hs)
		return NULL;
	hs->sk = sk;
	hs->base_prot = base_prot;
	hs->saved_ops = saved_ops;
	hs->active = active;
	refcount_set(&hs->ref, 1);
	spin_lock_init(&hs->lock);
	INIT_LIST_HEAD(&hs->callers);
	INIT_LIST_HEAD(&hs->node);
	init_waitqueue_head(&hs->wq);
	return hs;
}

/*
 * The socket is held from now on: called with sk_callback_lock written,
 * in the same section that takes the bypass protocol away, so that no
 * call ever reaches TCP's operations without the gate.
 */
void bp_host_install(struct sock *sk, struct bp_host *hs)
{
	spin_lock_bh(&bp_hosts_lock);
	list_add_tail(&hs->node, &bp_hosts);
	spin_unlock_bh(&bp_hosts_lock);
	atomic_inc(&bp_nr_held);
	/*
	 * Our copy of TCP's ops: splice() passes the gate too (poll is
	 * tcp_poll still, for a socket that is not a bypass one).
	 */
	bp_sk_switch(sk, &bp_host_ulp_ops, hs,
		     hs->base_prot == &tcp_prot ? &bp_hprot4 : &bp_hprot6,
		     bp_ops_for(hs->saved_ops));
}

/*
 * The socket stops being held and is plain TCP (locked, or being closed
 * by its last user), unless a handoff took the ULP slot over.  Once per
 * hold: whoever comes second finds it done.
 */
static void bp_host_detach(struct sock *sk, struct bp_host *hs,
			   bool releasing)
{
	spin_lock_bh(&bp_hosts_lock);
	if (hs->detached) {
		spin_unlock_bh(&bp_hosts_lock);
		return;
	}
	hs->detached = true;
	list_del_init(&hs->node);
	spin_unlock_bh(&bp_hosts_lock);
	atomic_dec(&bp_nr_held);
	/* tcp_cleanup_ulp(), releasing, clears the ULP ops once we return */
	write_lock_bh(&sk->sk_callback_lock);
	if (bp_host_of(sk) == hs)
		bp_sk_switch(sk, releasing ? &bp_host_ulp_ops : NULL, NULL,
			     hs->base_prot, hs->saved_ops);
	write_unlock_bh(&sk->sk_callback_lock);
	bp_host_put(hs);
}

/* ---- the gate ------------------------------------------------------------ */

/*
 * Into the gate: sk's hold with this caller counted in, or NULL if sk is
 * no longer held (the call goes wherever sk->sk_prot now says).
 */
static struct bp_host *bp_host_enter(struct sock *sk, struct bp_host_caller *c,
				     bool restartable)
{
	struct bp_host *hs;

	for (;;) {
		read_lock_bh(&sk->sk_callback_lock);
		hs = bp_host_of(sk);
		if (!hs) {
			read_unlock_bh(&sk->sk_callback_lock);
			return NULL;
		}
		refcount_inc(&hs->ref);
		if (!hs->closed) {
			atomic_inc(&hs->users);
			read_unlock_bh(&sk->sk_callback_lock);
			break;
		}
		read_unlock_bh(&sk->sk_callback_lock);
		/* a handoff or unload under way: bounded, see gate_close */
		wait_event(hs->wq, !READ_ONCE(hs->closed));
		bp_host_put(hs);
	}
	c->task = current;
	c->restartable = restartable;
	c->kicked = false;
	/* a data call on a connect()ed socket now established: hand off */
	c->connected = restartable && READ_ONCE(hs->connecting) &&
		       (1 << inet_sk_state_load(sk)) &
		       (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT) &&
		       test_and_clear_bit(0, &hs->connecting);
	spin_lock_bh(&hs->lock);
	list_add(&c->node, &hs->callers);
	spin_unlock_bh(&hs->lock);
	return hs;
}

/* Out of the gate; a call woken for a handoff restarts. */
static int bp_host_leave(struct bp_host *hs, struct bp_host_caller *c,
			 int ret)
{
	spin_lock_bh(&hs->lock);
	list_del(&c->node);
	spin_unlock_bh(&hs->lock);
	if (c->kicked && (ret == -EINTR || ret == -ERESTARTSYS))
		ret = bp_restart();
	if (atomic_dec_and_test(&hs->users))
		wake_up_all(&hs->wq);
	bp_host_put(hs);
	return ret;
}

/* Wake the callers asleep in TCP (for data, room or a connection). */
static void bp_host_kick(struct bp_host *hs)
{
	struct bp_host_caller *c;
	struct socket_wq *wq;

	spin_lock_bh(&hs->lock);
	list_for_each_entry(c, &hs->callers, node) {
		if (!c->restartable)
			continue;
		c->kicked = true;
		set_tsk_thread_flag(c->task, TIF_NOTIFY_SIGNAL);
	}
	spin_unlock_bh(&hs->lock);
	rcu_read_lock();
	wq = rcu_dereference(hs->sk->sk_wq);
	if (wq)
		wake_up_interruptible_all(&wq->wait);
	rcu_read_unlock();
}

static void bp_host_gate_open(struct bp_host *hs)
{
	WRITE_ONCE(hs->closed, false);
	wake_up_all(&hs->wq);
}

/*
 * Close sk's gate and wait for the callers inside to leave, waking them
 * again every 20 ms.  False if another closer has it, the socket is no
 * longer held, or the callers did not leave in time (gate open again).
 */
static bool bp_host_gate_close(struct sock *sk, struct bp_host *hs,
			       unsigned long timeout)
{
	bool forever = timeout == MAX_SCHEDULE_TIMEOUT;
	unsigned long end = jiffies + (forever ? 0 : timeout);

	write_lock_bh(&sk->sk_callback_lock);
	if (hs->closed || bp_host_of(sk) != hs) {
		write_unlock_bh(&sk->sk_callback_lock);
		return false;
	}
	hs->closed = true;
	write_unlock_bh(&sk->sk_callback_lock);
	while (atomic_read(&hs->users)) {
		bp_host_kick(hs);
		if (wait_event_timeout(hs->wq, !atomic_read(&hs->users),
				       msecs_to_jiffies(20)))
			break;
		if (!forever && time_after(jiffies, end)) {
			bp_host_gate_open(hs);
			return false;
		}
	}
	return true;
}

/* sk's hold with a reference, or NULL. */
static struct bp_host *bp_host_get(struct sock *sk)
{
	struct bp_host *hs;

	read_lock_bh(&sk->sk_callback_lock);
	hs = bp_host_of(sk);
	if (hs)
		refcount_inc(&hs->ref);
	read_unlock_bh(&sk->sk_callback_lock);
	return hs;
}

/*
 * No thread asleep in TCP's code for sk (locked, its gate closed) but
 * those the gate counted, who have all left: a call that began before
 * the socket was held (one racing an active open's connect(), see
 * bp_active.c) would sleep on after the switch in code that no longer
 * sees the connection.  TCP's sleeps (for data, room, a connection) all
 * wait with woken_wake_function; pollers do not.
 */
bool bp_host_quiet(struct sock *sk)
{
	struct wait_queue_entry *w;
	struct socket_wq *wq;
	unsigned long flags;
	bool quiet = true;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (wq) {
		spin_lock_irqsave(&wq->wait.lock, flags);
		list_for_each_entry(w, &wq->wait.head, entry) {
			if (w->func == woken_wake_function) {
				quiet = false;
				break;
			}
		}
		spin_unlock_irqrestore(&wq->wait.lock, flags);
	}
	rcu_read_unlock();
	return quiet;
}

/* ---- handing off again --------------------------------------------------- */

/*
 * Hand sk's connection off again (sk referenced by the caller).  0 if the
 * NIC has it now; otherwise it goes on, held, on the host stack.
 */
int bp_host_handoff(struct sock *sk)
{
	struct bp_host *hs = bp_host_get(sk);
	int err = -EBUSY;

	if (!hs)
		return -ENOENT;
	if (bp_host_gate_close(sk, hs, HZ)) {
		struct bp_host *now;
		bool gone, taken;

		bp_try_handoff(sk, hs->saved_ops, hs);
		/*
		 * No longer held by hs: the handoff took the ULP slot over
		 * (and the connection may even be back, held anew), or a
		 * close let go meanwhile.  Either way hs is done.
		 */
		read_lock_bh(&sk->sk_callback_lock);
		now = bp_host_of(sk);
		gone = now != hs;
		taken = gone && (now || bp_sk_is_bypass(sk));
		read_unlock_bh(&sk->sk_callback_lock);
		if (gone)
			bp_host_detach(sk, hs, false);
		if (taken) {
			/* a connect()ed socket's first is no handoff again */
			if (!hs->fresh)
				bp_count(BP_C_REHANDOFF);
			err = 0;
		}
		bp_host_gate_open(hs);
	}
	bp_host_put(hs);
	return err;
}

/* Every held socket, once; how many the NICs took. */
int bp_host_handoff_all(void)
{
	static atomic_t passes;
	u32 pass = atomic_inc_return(&passes);
	int n = 0;

	for (;;) {
		struct sock *sk = NULL;
		struct bp_host *hs;

		spin_lock_bh(&bp_hosts_lock);
		list_for_each_entry(hs, &bp_hosts, node) {
			if (hs->pass == pass)
				continue;
			hs->pass = pass;
			if (refcount_inc_not_zero(&hs->sk->sk_refcnt)) {
				sk = hs->sk;
				break;
			}
		}
		spin_unlock_bh(&bp_hosts_lock);
		if (!sk)
			return n;
		n += !bp_host_handoff(sk);
		sock_put(sk);
	}
}

/*
 * Unloading, after every connection was restored: every held socket
 * becomes plain TCP.  Callers at the gate restart into TCP.
 */
void bp_host_release_all(void)
{
	for (;;) {
		struct sock *sk = NULL;
		struct bp_host *hs;

		spin_lock_bh(&bp_hosts_lock);
		hs = list_first_entry_or_null(&bp_hosts, struct bp_host, node);
		if (hs && refcount_inc_not_zero(&hs->sk->sk_refcnt)) {
			sk = hs->sk;
			refcount_inc(&hs->ref);
		}
		spin_unlock_bh(&bp_hosts_lock);
		if (!hs)
			return;
		if (!sk) {	/* being destroyed: its release unlists it */
			msleep(20);
			continue;
		}
		if (bp_host_gate_close(sk, hs, MAX_SCHEDULE_TIMEOUT)) {
			lock_sock(sk);
			if (bp_host_of(sk) == hs)
				bp_host_detach(sk, hs, false);
			release_sock(sk);
			bp_host_gate_open(hs);
		} else {
			msleep(20);	/* a handoff has the gate: it fails */
		}
		bp_host_put(hs);
		sock_put(sk);
	}
}

/* ---- the operations: TCP's, through the gate ----------------------------- */

/*
 * Call TCP's op for a held socket, or, if the socket moved on (handed
 * off, or plain TCP after unloading) while the call was on its way,
 * restart it into whatever the socket is now.  Inside bp_srcu.
 */
#define BP_HOST_CALL(sk, restartable, call)				\
({									\
	struct bp_host_caller __c;					\
	struct bp_host *__hs = bp_host_enter(sk, &__c, restartable);	\
	int __ret = -ERESTARTSYS;					\
									\
	if (__hs && unlikely(__c.connected)) {				\
		bp_host_leave(__hs, &__c, 0);				\
		bp_host_connected(sk);					\
		__ret = READ_ONCE(sk->sk_prot)->call;			\
	} else if (__hs) {						\
		__ret = bp_host_leave(__hs, &__c,			\
				      __hs->base_prot->call);		\
	} else {							\
		__ret = bp_restart();					\
	}								\
	__ret;								\
})

static int bp_h_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	int ret;

	BP_ENTER();
	ret = BP_HOST_CALL(sk, true, sendmsg(sk, msg, size));
	BP_LEAVE();
	return ret;
}

static int bp_h_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			int flags, int *addr_len)
{
	int ret;

	BP_ENTER();
	ret = BP_HOST_CALL(sk, true, recvmsg(sk, msg, len, flags, addr_len));
	BP_LEAVE();
	return ret;
}

static int bp_h_sendpage(struct sock *sk, struct page *page, int offset,
			 size_t size, int flags)
{
	int ret;

	BP_ENTER();
	ret = BP_HOST_CALL(sk, true, sendpage(sk, page, offset, size, flags));
	BP_LEAVE();
	return ret;
}

static int bp_h_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	int ret;

	BP_ENTER();
	ret = BP_HOST_CALL(sk, false, ioctl(sk, cmd, arg));
	BP_LEAVE();
	return ret;
}

static int bp_h_getsockopt(struct sock *sk, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	int ret;

	BP_ENTER();
	ret = BP_HOST_CALL(sk, false,
			   getsockopt(sk, level, optname, optval, optlen));
	BP_LEAVE();
	return ret;
}

/*
 * splice() from a held socket (its ops' splice_read, bp_intercept.c):
 * TCP's, through the gate like a receive, and the handoff of a socket
 * connect() made, if this is the first call to find it established.
 */
ssize_t bp_host_splice_read(struct socket *sock, loff_t *ppos,
			    struct pipe_inode_info *pipe, size_t len,
			    unsigned int flags)
{
	struct sock *sk = sock->sk;
	struct bp_host_caller c;
	struct bp_host *hs;
	ssize_t ret;
	int err;

	hs = bp_host_enter(sk, &c, true);
	if (!hs)	/* handed off or let go meanwhile: whatever sk is now */
		return READ_ONCE(sock->ops)->splice_read(sock, ppos, pipe, len,
							 flags);
	if (unlikely(c.connected)) {
		bp_host_leave(hs, &c, 0);
		bp_host_connected(sk);
		return READ_ONCE(sock->ops)->splice_read(sock, ppos, pipe, len,
							 flags);
	}
	ret = hs->saved_ops->splice_read(sock, ppos, pipe, len, flags);
	err = bp_host_leave(hs, &c, ret < 0 ? (int)ret : 0);
	return ret < 0 ? err : ret;
}

/* sk (locked) is no longer held, if it was: plain TCP. */
void bp_host_drop(struct sock *sk)
{
	struct bp_host *hs = bp_host_of(sk);

	if (hs)
		bp_host_detach(sk, hs, false);
}

/* Stop holding sk (it becomes plain TCP): for what only TCP may do. */
static void bp_host_let_go(struct sock *sk)
{
	lock_sock(sk);
	bp_host_drop(sk);
	release_sock(sk);
}

/*
 * A connect()ed socket's connection is established, and no caller is
 * inside the gate: hand it off, or, if the NIC cannot have it, let the
 * socket be plain TCP, as a refused accepted one is.
 */
static void bp_host_connected(struct sock *sk)
{
	if (bp_host_handoff(sk))
		bp_host_let_go(sk);
}

/*
 * connect() returned on sk, in the connecting task (bp_active.c): hold the
 * socket from now on, so that every call passes the gate, and hand the
 * connection off once it is established: now, or at the first send or
 * receive that finds it so (after a non-blocking connect()).
 */
void bp_host_hold_connecting(struct sock *sk)
{
	struct bp_host *hs = NULL;
	bool now = false;

	lock_sock(sk);
	if ((sk->sk_prot == &tcp_prot ||
	     (IS_ENABLED(CONFIG_IPV6) && sk->sk_prot == &tcpv6_prot)) &&
	    !inet_csk(sk)->icsk_ulp_ops && sk->sk_socket &&
	    (1 << sk->sk_state) &
	    (TCPF_SYN_SENT | TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))
		hs = bp_host_alloc(sk, sk->sk_prot, sk->sk_socket->ops, true);
	if (hs) {
		hs->fresh = true;
		now = sk->sk_state != TCP_SYN_SENT;
		if (!now)
			set_bit(0, &hs->connecting);
		write_lock_bh(&sk->sk_callback_lock);
		bp_host_install(sk, hs);
		write_unlock_bh(&sk->sk_callback_lock);
		bp_count(BP_C_ACTIVE_HELD);
	}
	release_sock(sk);
	if (now)
		bp_host_connected(sk);
}

static int bp_h_setsockopt(struct sock *sk, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	int ret;

	BP_ENTER();
	/* a ULP (kTLS) needs the slot we hold: let the socket go first */
	if (level == SOL_TCP && optname == TCP_ULP)
		bp_host_let_go(sk);
	ret = BP_HOST_CALL(sk, false,
			   setsockopt(sk, level, optname, optval, optlen));
	BP_LEAVE();
	return ret;
}

static int bp_h_disconnect(struct sock *sk, int flags)
{
	int ret;

	BP_ENTER();
	/* connect(AF_UNSPEC): a new life, plain TCP */
	bp_host_let_go(sk);
	ret = READ_ONCE(sk->sk_prot)->disconnect(sk, flags);
	BP_LEAVE();
	return ret;
}

/* shutdown() cannot restart: it follows the socket wherever it went. */
static void bp_h_shutdown(struct sock *sk, int how)
{
	struct bp_host_caller c;
	struct bp_host *hs;

	BP_ENTER();
	hs = bp_host_enter(sk, &c, false);
	if (hs) {
		hs->base_prot->shutdown(sk, how);
		bp_host_leave(hs, &c, 0);
	} else {
		READ_ONCE(sk->sk_prot)->shutdown(sk, how);
	}
	BP_LEAVE();
}

/*
 * The last reference to the file is gone, so no other call is inside:
 * the socket is plain TCP before TCP closes it (no orphan keeps our proto).
 */
static void bp_h_close(struct sock *sk, long timeout)
{
	BP_ENTER();
	bp_host_let_go(sk);
	READ_ONCE(sk->sk_prot)->close(sk, timeout);
	BP_LEAVE();
}

/* The ULP release (tcp_cleanup_ulp()): a held socket being destroyed. */
static void bp_h_release(struct sock *sk)
{
	struct bp_host *hs;

	BP_ENTER();
	hs = bp_host_of(sk);
	if (hs)
		bp_host_detach(sk, hs, true);
	BP_LEAVE();
}

static void bp_hprot_build(struct proto *p, const struct proto *base)
{
	*p = *base;
	p->close = bp_h_close;
	p->shutdown = bp_h_shutdown;
	p->disconnect = bp_h_disconnect;
	p->sendmsg = bp_h_sendmsg;
	p->recvmsg = bp_h_recvmsg;
	p->sendpage = bp_h_sendpage;
	p->setsockopt = bp_h_setsockopt;
	p->getsockopt = bp_h_getsockopt;
	p->ioctl = bp_h_ioctl;
}

void bp_host_init(void)
{
	bp_hprot_build(&bp_hprot4, &tcp_prot);
#if IS_ENABLED(CONFIG_IPV6)
	bp_hprot_build(&bp_hprot6, &tcpv6_prot);
#endif
}
