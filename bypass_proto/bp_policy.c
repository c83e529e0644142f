// SPDX-License-Identifier: GPL-2.0
/*
 * bp_policy.c - the OS's offload policy beyond a single handoff: whether
 * a NIC may take one more connection, and when connections go back.
 *
 * Handing off (bp_policy_take_slot(), from the handoff under the socket
 * lock): the NIC's link must be up, the NIC must have advertised a free
 * slot beyond net.handoff.headroom, and in adaptive mode the NIC must not
 * be running short of slots or memory (with hysteresis, below).
 *
 * Taking back (the re-check pass, a work item): every offloaded
 * connection is looked at and restored to the host stack when
 *   - its NIC's link is down (administratively or carrier lost): the NIC
 *     can no longer move its bytes, the host stack will once the link or
 *     another route is back (the paper's "network link failure");
 *   - its route now leaves by another interface, or through another next
 *     hop than the one the NIC sends to (the paper's "route change"):
 *     the NIC cannot follow routes, the host stack does;
 *   - its local port is no longer in net.handoff.ports;
 *   - it has been idle (no event from the NIC: no data either way, no
 *     acknowledgement) longer than net.handoff.idle_restore_s.
 * The pass runs when a handoff NIC goes down or loses its carrier
 * (netdevice notifier), when a route changes (FIB notifier), when the
 * ports or the idle time are written, every second while idle restore is
 * on, and once more a handoff timeout after each of those: a handoff
 * that chose its NIC just before the change has finished by then.
 *
 * The NIC's own requests (ch_os_restore: TIME_WAIT, memory pressure) are
 * bp_restore_asked()'s; under pressure the NIC picks its idlest
 * connections itself (nic_fw_model/nfw_pressure.c) and the OS honours
 * them always: the NIC knows what its memory holds.
 */
#include <linux/workqueue.h>
#include <net/fib_notifier.h>
#include <net/ip6_route.h>
#include <net/route.h>

#include "bp.h"

/* How many sockets one pass takes per NIC before it goes round again. */
#define BP_PASS_BATCH		256

static void bp_recheck(struct work_struct *work);
static DECLARE_DELAYED_WORK(bp_recheck_work, bp_recheck);
static bool bp_policy_running;

/* ---- handing off -------------------------------------------------------- */

/*
 * Adaptive mode: stop offloading to a NIC when its free slots or its
 * free memory fall under adaptive_low_pct of what it has, resume when
 * both are back over adaptive_high_pct.  The gap keeps a NIC at its
 * limit from flapping between taking and refusing with every connection
 * that ends; the low mark keeps room for the connections it already has
 * to grow (send pairs, out-of-order segments), which it would otherwise
 * refuse mid-stream.  Slots count against CHW_REG_CONN_LIMIT when set.
 */
static bool bp_adaptive_paused(struct bp_nic *bn, int free_conns)
{
	u32 slots = hnd_rd(bn->hd, CHW_REG_MAX_CONNS);
	u32 limit = hnd_rd(bn->hd, CHW_REG_CONN_LIMIT);
	u32 mem_kb = hnd_rd(bn->hd, CHW_REG_NIC_MEM_KB);
	u32 low = READ_ONCE(bp_policy.adaptive_low_pct);
	u32 high = max_t(u32, READ_ONCE(bp_policy.adaptive_high_pct), low);
	bool paused = READ_ONCE(bn->adaptive_paused);
	u64 conn_pct, mem_pct;

	if (limit && limit < slots)
		slots = limit;
	if (!slots || !mem_kb)
		return false;
	conn_pct = div_u64((u64)free_conns * 100, slots);
	mem_pct = div_u64((u64)READ_ONCE(bn->free_mem_kb) * 100, mem_kb);
	if (!paused && (conn_pct < low || mem_pct < low)) {
		paused = true;
		bp_count(BP_C_ADAPTIVE_PAUSES);
	} else if (paused && conn_pct >= high && mem_pct >= high) {
		paused = false;
	}
	WRITE_ONCE(bn->adaptive_paused, paused);
	return paused;
}

/*
 * May bn take one more connection?  Takes the advertised slot if so
 * (BP_REF_COUNT); otherwise the reason it may not.
 */
enum bp_refusal bp_policy_take_slot(struct bp_nic *bn)
{
	int headroom = max(READ_ONCE(bp_policy.headroom), 0);
	int v = atomic_read(&bn->free_conns);

	/* no handoff while the link is down: the NIC could not send */
	if (!netif_running(bn->netdev) || !netif_carrier_ok(bn->netdev))
		return BP_REF_ROUTE;
	for (;;) {
		if (v <= 0)
			return BP_REF_NO_SLOT;
		if (v <= headroom)
			return BP_REF_HEADROOM;
		if (READ_ONCE(bp_policy.adaptive) && bp_adaptive_paused(bn, v))
			return BP_REF_ADAPTIVE;
		if (atomic_try_cmpxchg(&bn->free_conns, &v, v - 1))
			return BP_REF_COUNT;
	}
}

/* ---- taking back ---------------------------------------------------------- */

/* The next hop's MAC for this route, if resolved, differs from the NIC's. */
static bool bp_nexthop_moved(const struct bp_conn *bc, struct dst_entry *dst)
{
	const struct bp_tuple *t = &bc->tuple;
	u8 mac[ETH_ALEN];
	struct neighbour *n;
	bool moved = false;

	n = dst_neigh_lookup(dst, t->family == 4 ?
			     (const void *)&t->paddr.s6_addr32[0] :
			     (const void *)&t->paddr);
	if (!n)
		return false;
	if (READ_ONCE(n->nud_state) & NUD_VALID) {
		neigh_ha_snapshot(mac, n, dst->dev);
		moved = !ether_addr_equal(mac, bc->peer_mac);
	}
	neigh_release(n);
	return moved;
}

/*
 * Does the connection's route still leave by its NIC, to the same next
 * hop?  A route that no longer exists (unreachable, blackhole) counts as
 * moved: the host stack copes with that, the NIC cannot.
 */
static bool bp_egress_moved(const struct bp_conn *bc)
{
	const struct bp_tuple *t = &bc->tuple;
	const struct sock *sk = bc->sk;
	struct net *net = sock_net(sk);
	struct dst_entry *dst;
	bool moved;

	if (t->family == 4) {
		struct flowi4 fl4 = {
			.flowi4_oif = READ_ONCE(sk->sk_bound_dev_if),
			.flowi4_mark = READ_ONCE(sk->sk_mark),
			.flowi4_proto = IPPROTO_TCP,
			.flowi4_uid = sock_net_uid(net, sk),
			.daddr = t->paddr.s6_addr32[0],
			.saddr = t->laddr.s6_addr32[0],
			.fl4_sport = t->lport,
			.fl4_dport = t->pport,
		};
		struct rtable *rt = ip_route_output_key(net, &fl4);

		if (IS_ERR(rt))
			return true;
		dst = &rt->dst;
	} else {
		struct flowi6 fl6 = {
			.flowi6_oif = READ_ONCE(sk->sk_bound_dev_if),
			.flowi6_mark = READ_ONCE(sk->sk_mark),
			.flowi6_proto = IPPROTO_TCP,
			.flowi6_uid = sock_net_uid(net, sk),
			.daddr = t->paddr,
			.saddr = t->laddr,
			.fl6_sport = t->lport,
			.fl6_dport = t->pport,
		};

		dst = ip6_route_output(net, NULL, &fl6);
		if (dst->error) {
			dst_release(dst);
			return true;
		}
	}
	moved = dst->dev != bc->bn->netdev || bp_nexthop_moved(bc, dst);
	dst_release(dst);
	return moved;
}

/* Why bc should go back, or BP_RS_COUNT: it stays. */
static enum bp_trigger bp_why_restore(const struct bp_conn *bc, bool link_down)
{
	unsigned long last = READ_ONCE(bc->last_active) ?: bc->since;
	int idle_s = READ_ONCE(bp_policy.idle_restore_s);

	if (link_down)
		return BP_RS_LINK;
	if (!bp_conn_port_allowed(bc))
		return BP_RS_POLICY;
	if (bp_egress_moved(bc))
		return BP_RS_ROUTE;
	if (idle_s > 0 && time_after(jiffies, last + (unsigned long)idle_s * HZ))
		return BP_RS_IDLE;
	return BP_RS_COUNT;
}

/* Each trigger's restored_<trigger> counter in /proc/net/handoff. */
static const enum bp_counter bp_trigger_counter[BP_RS_COUNT] = {
	[BP_RS_LINK] = BP_C_RS_LINK, [BP_RS_ROUTE] = BP_C_RS_ROUTE,
	[BP_RS_POLICY] = BP_C_RS_POLICY, [BP_RS_IDLE] = BP_C_RS_IDLE,
};

struct bp_victim {
	struct sock *sk;
	enum bp_trigger why;
};

/*
 * The connections of bn that should go back, each with a reference on
 * its socket, at most max.  *more: there may be others.
 */
static int bp_collect(struct bp_nic *bn, struct bp_victim *v, int max,
		      bool *more)
{
	bool link_down = !netif_running(bn->netdev) ||
			 !netif_carrier_ok(bn->netdev);
	struct bp_conn *bc;
	int n = 0;

	spin_lock_bh(&bn->lock);
	list_for_each_entry(bc, &bn->conn_list, node) {
		enum bp_trigger why;

		if (n == max) {
			*more = true;
			break;
		}
		why = bp_why_restore(bc, link_down);
		if (why == BP_RS_COUNT ||
		    !refcount_inc_not_zero(&bc->sk->sk_refcnt))
			continue;
		v[n].sk = bc->sk;
		v[n].why = why;
		n++;
	}
	spin_unlock_bh(&bn->lock);
	return n;
}

static void bp_recheck(struct work_struct *work)
{
	struct bp_victim *v;
	struct bp_nic *bn;
	bool more = false;
	int i, n;

	if (READ_ONCE(bp_unloading))
		return;
	v = kmalloc_array(BP_PASS_BATCH, sizeof(*v), GFP_KERNEL);
	if (!v) {
		more = true;
		goto out;
	}
	mutex_lock(&bp_nics_lock);
	list_for_each_entry(bn, &bp_nics, list) {
		bool answers = true;

		n = bp_collect(bn, v, BP_PASS_BATCH, &more);
		for (i = 0; i < n; i++) {
			int err;

			/*
			 * A NIC that lets a restore time out is not answering:
			 * leave it to its failure handling rather than hold
			 * bp_nics_lock a timeout per connection.
			 */
			if (!answers || READ_ONCE(bn->gone)) {
				sock_put(v[i].sk);
				continue;
			}
			err = bp_restore_sk(v[i].sk, v[i].why);
			if (!err)
				bp_count(bp_trigger_counter[v[i].why]);
			else if (err == -ETIMEDOUT)
				answers = false;
		}
	}
	mutex_unlock(&bp_nics_lock);
	kfree(v);
out:
	if (more)
		mod_delayed_work(bp_wq, &bp_recheck_work, 1);
	else if (READ_ONCE(bp_policy.idle_restore_s) > 0)
		queue_delayed_work(bp_wq, &bp_recheck_work, HZ);
}

static void bp_kick_followup(struct work_struct *work);
static DECLARE_DELAYED_WORK(bp_followup_work, bp_kick_followup);

/*
 * Something that may send connections back changed: re-check them after
 * delay, and once more when a handoff that raced with the change (it had
 * chosen its NIC, or passed the port check, just before) has finished or
 * timed out.  Any context.
 */
static void bp_policy_kick_after(unsigned long delay)
{
	if (!READ_ONCE(bp_policy_running))
		return;
	mod_delayed_work(bp_wq, &bp_recheck_work, delay);
	mod_delayed_work(bp_wq, &bp_followup_work, delay +
			 msecs_to_jiffies(READ_ONCE(bp_policy.handoff_timeout_ms) +
					  100));
}

static void bp_kick_followup(struct work_struct *work)
{
	if (READ_ONCE(bp_policy_running))
		mod_delayed_work(bp_wq, &bp_recheck_work, 0);
}

void bp_policy_kick(void)
{
	bp_policy_kick_after(0);
}

/* A handoff NIC went down or lost its carrier. */
static int bp_netdev_event(struct notifier_block *nb, unsigned long event,
			   void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (dev->netdev_ops != &hnd_netdev_ops)
		return NOTIFY_DONE;
	if ((event == NETDEV_DOWN || event == NETDEV_CHANGE) &&
	    (!netif_running(dev) || !netif_carrier_ok(dev)))
		bp_policy_kick();
	return NOTIFY_DONE;
}

static struct notifier_block bp_netdev_nb = {
	.notifier_call = bp_netdev_event,
};

/*
 * A route, rule or next hop changed (IPv4 under RTNL, IPv6 in atomic
 * context): only schedule.  A short delay lets a burst (a table dump, a
 * routing daemon's update) make one pass.
 */
static int bp_fib_event(struct notifier_block *nb, unsigned long event,
			void *ptr)
{
	bp_policy_kick_after(msecs_to_jiffies(20));
	return NOTIFY_DONE;
}

static struct notifier_block bp_fib_nb = {
	.notifier_call = bp_fib_event,
};
static bool bp_fib_registered;

int bp_policy_init(void)
{
	int err;

	err = register_netdevice_notifier(&bp_netdev_nb);
	if (err)
		return err;
	/* no route notices: a change is then seen by the next other pass */
	bp_fib_registered = !register_fib_notifier(&init_net, &bp_fib_nb,
						   NULL, NULL);
	if (!bp_fib_registered)
		pr_warn("handoff: no FIB notifier: route changes are noticed late\n");
	WRITE_ONCE(bp_policy_running, true);
	bp_policy_kick();
	return 0;
}

/* Before unloading restores everything: no pass runs after this. */
void bp_policy_exit(void)
{
	if (bp_fib_registered)
		unregister_fib_notifier(&init_net, &bp_fib_nb);
	unregister_netdevice_notifier(&bp_netdev_nb);
	WRITE_ONCE(bp_policy_running, false);
	cancel_delayed_work_sync(&bp_followup_work);
	cancel_delayed_work_sync(&bp_recheck_work);
}
