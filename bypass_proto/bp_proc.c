// SPDX-License-Identifier: GPL-2.0
/*
 * bp_proc.c - /proc/net/handoff: the OS's global view of what it handed
 * to its NICs.  First "name value" lines (counters, then each NIC's
 * advertised resources), then one line per offloaded connection.
 *
 * Writing to it is the administrator's restore (ch_nic_restore):
 *   echo restore all >/proc/net/handoff        every connection
 *   echo restore 00100003 >/proc/net/handoff   the one with that id
 *   echo restore dev eth1 >/proc/net/handoff   every one on that NIC
 * The connections go back to the host stack mid-stream, nothing lost,
 * and are "held" (bp_host.c): the OS may hand them off again,
 *   echo handoff all >/proc/net/handoff        every held connection
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "bp.h"

static const char * const bp_counter_names[BP_C_COUNT] = {
	[BP_C_TRIED] = "handoff_tried",
	[BP_C_OK] = "handoff_ok",
	[BP_C_REFUSED] = "handoff_refused",
	[BP_C_FWD_PKTS] = "late_forwarded",
	[BP_C_FWD_ICMP] = "late_icmp_forwarded",
	[BP_C_FWD_REASM] = "late_reassembled_forwarded",
	[BP_C_PMTU] = "pmtu_lowered",
	[BP_C_FWD_DROPS] = "late_dropped",
	[BP_C_EV_BAD] = "events_refused",
	[BP_C_CMD_ERRORS] = "command_errors",
	[BP_C_CMD_STALE] = "command_stale",
	[BP_C_CLOSED] = "conns_closed",
	[BP_C_RESETS] = "conns_reset",
	[BP_C_RESTORED] = "restored",
	[BP_C_RESTORE_FAILED] = "restore_failed",
	[BP_C_RESTORE_ASKED] = "restore_asked",
	[BP_C_RESTORE_DECLINED] = "restore_declined",
	[BP_C_RESTORE_PRESSURE] = "restore_asked_pressure",
	[BP_C_RS_LINK] = "restored_link",
	[BP_C_RS_ROUTE] = "restored_route",
	[BP_C_RS_POLICY] = "restored_policy",
	[BP_C_RS_IDLE] = "restored_idle",
	[BP_C_ADAPTIVE_PAUSES] = "adaptive_pauses",
	[BP_C_SEND_SLOTS_FULL] = "send_slots_full",
	[BP_C_REHANDOFF] = "handoff_again",
	[BP_C_RESTORE_URGENT] = "restore_asked_urgent",
	[BP_C_RS_CALL] = "restored_call",
	[BP_C_ZC_COPIED] = "zerocopy_copied",
	[BP_C_ACTIVE_HELD] = "active_held",
	[BP_C_SENT_REPORTS] = "notsent_sent_reports",
	[BP_C_MSG_TX_BASE + CHW_OP_HANDOFF] = "msg_handoff",
	[BP_C_MSG_TX_BASE + CHW_OP_RESTORE] = "msg_restore",
	[BP_C_MSG_TX_BASE + CHW_OP_SEND] = "msg_send",
	[BP_C_MSG_TX_BASE + CHW_OP_RECVD] = "msg_recvd",
	[BP_C_MSG_TX_BASE + CHW_OP_CTRL] = "msg_ctrl",
	[BP_C_MSG_TX_BASE + CHW_OP_FORWARD] = "msg_forward",
	[BP_C_MSG_TX_BASE + CHW_OP_POST] = "msg_post",
	[BP_C_MSG_TX_BASE + CHW_OP_INFO] = "msg_info",
	[BP_C_MSG_RX_BASE + (CHW_EV_DONE & 15)] = "msg_os_done",
	[BP_C_MSG_RX_BASE + (CHW_EV_RECV & 15)] = "msg_os_recv",
	[BP_C_MSG_RX_BASE + (CHW_EV_ACK & 15)] = "msg_os_ack",
	[BP_C_MSG_RX_BASE + (CHW_EV_CTRL & 15)] = "msg_os_ctrl",
	[BP_C_MSG_RX_BASE + (CHW_EV_RESOURCE & 15)] = "msg_os_resource",
	[BP_C_MSG_RX_BASE + (CHW_EV_RESTORE & 15)] = "msg_os_restore",
};

static const char *bp_state_name(int state)
{
	static const char * const names[] = {
		[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_SYN_SENT] = "SYN_SENT",
		[TCP_SYN_RECV] = "SYN_RECV", [TCP_FIN_WAIT1] = "FIN_WAIT1",
		[TCP_FIN_WAIT2] = "FIN_WAIT2", [TCP_TIME_WAIT] = "TIME_WAIT",
		[TCP_CLOSE] = "CLOSE", [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
		[TCP_LAST_ACK] = "LAST_ACK", [TCP_LISTEN] = "LISTEN",
		[TCP_CLOSING] = "CLOSING",
	};

	if (state < ARRAY_SIZE(names) && names[state])
		return names[state];
	return "?";
}

static void bp_show_conn(struct seq_file *m, const struct bp_conn *bc)
{
	const struct bp_tuple *t = &bc->tuple;

	seq_printf(m, "%08x %-8s %-11s ", bc->cid, netdev_name(bc->bn->netdev),
		   bp_state_name(READ_ONCE(bc->sk->sk_state)));
	if (t->family == 4)
		seq_printf(m, "%pI4:%u %pI4:%u", &t->laddr.s6_addr32[0],
			   ntohs(t->lport), &t->paddr.s6_addr32[0],
			   ntohs(t->pport));
	else
		seq_printf(m, "[%pI6c]:%u [%pI6c]:%u", &t->laddr,
			   ntohs(t->lport), &t->paddr, ntohs(t->pport));
	seq_printf(m, " %llu %llu %u\n", READ_ONCE(bc->tx_acked),
		   READ_ONCE(bc->rx_recv) + bc->pre_len,
		   jiffies_to_msecs(jiffies - bc->since) / 1000);
}

static int bp_proc_show(struct seq_file *m, void *v)
{
	struct bp_nic *bn;
	struct bp_conn *bc;
	int i;

	seq_printf(m, "enabled %d\n", READ_ONCE(bp_policy.enable));
	seq_printf(m, "offloaded %d\n", atomic_read(&bp_nr_offloaded));
	seq_printf(m, "held %d\n", bp_nr_held_read());
	for (i = 0; i < BP_REF_COUNT; i++)
		seq_printf(m, "refused_%s %lld\n", bp_refusal_names[i],
			   atomic64_read(&bp_counters[BP_C_REF_BASE + i]));
	for (i = 0; i < BP_C_COUNT; i++)
		if (bp_counter_names[i])
			seq_printf(m, "%s %lld\n", bp_counter_names[i],
				   atomic64_read(&bp_counters[i]));
	mutex_lock(&bp_nics_lock);
	list_for_each_entry(bn, &bp_nics, list)
		seq_printf(m, "nic %s free_conns %d free_send %u free_mem_kb %u adaptive_paused %d\n",
			   netdev_name(bn->netdev),
			   atomic_read(&bn->free_conns),
			   READ_ONCE(bn->free_send),
			   READ_ONCE(bn->free_mem_kb),
			   READ_ONCE(bn->adaptive_paused));
	seq_puts(m, "connections: cid nic state local peer bytes_sent_acked bytes_received age_s\n");
	list_for_each_entry(bn, &bp_nics, list) {
		spin_lock_bh(&bn->lock);
		list_for_each_entry(bc, &bn->conn_list, node)
			bp_show_conn(m, bc);
		spin_unlock_bh(&bn->lock);
	}
	mutex_unlock(&bp_nics_lock);
	return 0;
}

static int bp_proc_open(struct inode *inode, struct file *file)
{
	return single_open(file, bp_proc_show, NULL);
}

/* Every connection on the NIC named name; the others stay where they are. */
static int bp_proc_restore_dev(const char *name)
{
	struct bp_nic *bn;
	int err = -ENODEV;

	mutex_lock(&bp_nics_lock);
	list_for_each_entry(bn, &bp_nics, list)
		if (!strcmp(netdev_name(bn->netdev), name)) {
			bp_restore_nic(bn, 0, true, BP_RS_ADMIN);
			err = 0;
			break;
		}
	mutex_unlock(&bp_nics_lock);
	return err;
}

static ssize_t bp_proc_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct bp_nic *bn;
	char buf[32], *arg;
	bool all;
	u32 cid = 0;

	if (!capable(CAP_NET_ADMIN))
		return -EPERM;
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	arg = strim(buf);
	if (!strcmp(arg, "handoff all")) {
		bp_host_handoff_all();
		return len;
	}
	if (strncmp(arg, "restore ", 8))
		return -EINVAL;
	arg = skip_spaces(arg + 8);
	if (!strncmp(arg, "dev ", 4))
		return bp_proc_restore_dev(skip_spaces(arg + 4)) ?: len;
	all = !strcmp(arg, "all");
	if (!all && kstrtou32(arg, 16, &cid))
		return -EINVAL;
	if (all) {
		bp_restore_all(BP_RS_ADMIN);
		return len;
	}
	mutex_lock(&bp_nics_lock);
	list_for_each_entry(bn, &bp_nics, list)
		if (bp_restore_nic(bn, cid, false, BP_RS_ADMIN)) {
			mutex_unlock(&bp_nics_lock);
			return len;
		}
	mutex_unlock(&bp_nics_lock);
	return -ENOENT;
}

static const struct proc_ops bp_proc_ops = {
	.proc_open = bp_proc_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = bp_proc_write,
};

int bp_proc_init(void)
{
	if (!proc_create("handoff", 0644, init_net.proc_net, &bp_proc_ops))
		return -ENOMEM;
	return 0;
}

void bp_proc_exit(void)
{
	remove_proc_entry("handoff", init_net.proc_net);
}
