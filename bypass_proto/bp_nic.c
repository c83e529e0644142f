// SPDX-License-Identifier: GPL-2.0
/*
 * bp_nic.c - the bypass protocol's side of each handoff NIC: its
 * connections by id, its advertised resources, and commands out.
 */
#include <linux/delay.h>

#include "bp.h"

LIST_HEAD(bp_nics);
DEFINE_MUTEX(bp_nics_lock);

static void bp_count_cmds(const struct chw_msg *m, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		bp_count(BP_C_MSG_TX_BASE + (m[i].op & 15));
}

/*
 * Post n commands that need no answer.  *posted says how many the ring
 * took (in order); the caller keeps the rest for later.  Spins briefly
 * when the ring is full, as the NIC drains it in microseconds.
 */
void bp_cmds_post(struct bp_nic *bn, struct chw_msg *m, unsigned int n,
		  unsigned int *posted)
{
	unsigned int done = 0, tries = 0;

	while (done < n && tries++ < 100) {
		int k = hnd_cmd_post(bn->hd, m + done, n - done);

		if (k < 0)
			break;
		done += k;
		if (done < n)
			udelay(5);
	}
	bp_count_cmds(m, done);
	*posted = done;
}

/* One command for bc's connection (CTRL and the like). */
int bp_cmd(struct bp_conn *bc, u8 op, u8 flags, u16 arg, u64 val)
{
	struct chw_msg m = {
		.op = op,
		.flags = flags,
		.arg = cpu_to_le16(arg),
		.cid = cpu_to_le32(bc->cid),
		.val = cpu_to_le64(val),
	};
	unsigned int posted;

	if (bc->flags & (BP_F_NIC_FREED | BP_F_RESTORING))
		return -ENOTCONN;
	bp_cmds_post(bc->bn, &m, 1, &posted);
	return posted ? 0 : -EIO;
}

/* The NIC no longer knows bc: no more events or late packets for it. */
void bp_conn_unlink(struct bp_conn *bc)
{
	struct bp_nic *bn = bc->bn;

	xa_erase_bh(&bn->conns, bc->cid);
	spin_lock_bh(&bn->lock);
	list_del_init(&bc->node);
	spin_unlock_bh(&bn->lock);
	bp_tuple_del(bc);
}

int bp_nic_add(struct hnd_dev *hd)
{
	struct bp_nic *bn = kzalloc(sizeof(*bn), GFP_KERNEL);

	if (!bn)
		return -ENOMEM;
	bn->hd = hd;
	bn->netdev = hd->netdev;
	xa_init_flags(&bn->conns, XA_FLAGS_LOCK_BH);
	spin_lock_init(&bn->lock);
	INIT_LIST_HEAD(&bn->conn_list);
	/* until the NIC's first CHW_EV_RESOURCE: what it was built with */
	atomic_set(&bn->free_conns, hnd_rd(hd, CHW_REG_MAX_CONNS));
	bn->free_mem_kb = hnd_rd(hd, CHW_REG_NIC_MEM_KB);
	hd->bp = bn;
	hnd_set_event_handler(hd, bp_event, bn);
	mutex_lock(&bp_nics_lock);
	list_add_tail(&bn->list, &bp_nics);
	mutex_unlock(&bp_nics_lock);
	return 0;
}

/*
 * The NIC goes away (driver unbound, device removed).  Its connections'
 * state goes with it: each ends with ECONNRESET, as a host whose NIC died
 * would see; the sockets stay valid until their owners close them.
 */
void bp_nic_remove(struct hnd_dev *hd)
{
	struct bp_nic *bn = hd->bp;
	struct bp_conn *bc;
	int i;

	if (!bn)
		return;
	mutex_lock(&bp_nics_lock);
	list_del(&bn->list);
	mutex_unlock(&bp_nics_lock);
	WRITE_ONCE(bn->gone, true);
	smp_mb();	/* pairs with bp_try_handoff(): bp_route() sees gone */
	/* a handoff under way may hold bn (bp_route() took no reference) */
	bp_handoffs_wait();
	for (;;) {
		spin_lock_bh(&bn->lock);
		bc = list_first_entry_or_null(&bn->conn_list, struct bp_conn,
					      node);
		if (bc && !refcount_inc_not_zero(&bc->sk->sk_refcnt)) {
			list_del_init(&bc->node);
			bc = NULL;
		}
		spin_unlock_bh(&bn->lock);
		if (!bc)
			break;
		bp_conn_kill(bc, ECONNRESET);
	}
	/* ended ones too: nothing may stay mapped for a gone device */
	for (;;) {
		struct sock *sk = NULL;

		spin_lock_bh(&bp_all_lock);
		list_for_each_entry(bc, &bp_all, all_node)
			if (bc->bn == bn && !bc->detached &&
			    refcount_inc_not_zero(&bc->sk->sk_refcnt)) {
				bc->detached = true;
				sk = bc->sk;
				break;
			}
		spin_unlock_bh(&bp_all_lock);
		if (!sk)
			break;
		lock_sock(sk);
		if (bp_conn_of(sk) == bc)
			bp_bufs_detach(bc);
		release_sock(sk);
		sock_put(sk);
	}
	hnd_set_event_handler(hd, NULL, NULL);
	hd->bp = NULL;
	/* late-packet readers may still hold a connection that points here */
	synchronize_rcu();
	/* and no event handler runs any more: restores it queued are done */
	flush_workqueue(bp_wq);
	/*
	 * A working NIC answers every FORWARD in microseconds, and the
	 * answer runs module code: wait for them (a hung one is failed by
	 * the driver when its device goes, which must not wait on us).
	 */
	for (i = 0; i < 250 && atomic_read(&bp_fwd_inflight); i++)
		msleep(20);
	xa_destroy(&bn->conns);
	kfree(bn);
}
