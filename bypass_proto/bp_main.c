// SPDX-License-Identifier: GPL-2.0
/*
 * bp_main.c - handoff.ko, the connection-handoff protocol: its parts set
 * up and taken down in order: policy (sysctl), visibility (/proc),
 * late-packet diversion (netfilter), the interception of listeners, which
 * starts handoffs, and last the NICs (through the driver, handoff_nic.ko).
 */
#include <linux/module.h>

#include "bp.h"
#define CREATE_TRACE_POINTS
#include "bp_trace.h"

static const struct hnd_client bp_client = {
	.add = bp_nic_add,
	.remove = bp_nic_remove,
};

atomic64_t bp_counters[BP_C_COUNT];
atomic_t bp_nr_offloaded = ATOMIC_INIT(0);
DEFINE_HASHTABLE(bp_tuples, 10);
DEFINE_SPINLOCK(bp_tuples_lock);
LIST_HEAD(bp_all);
DEFINE_SPINLOCK(bp_all_lock);
DEFINE_SRCU(bp_srcu);
bool bp_unloading;

/*
 * A bypass operation found its socket given back to TCP while it slept:
 * have the system call run again from the top, now into TCP, as after a
 * signal with SA_RESTART.  TIF_NOTIFY_SIGNAL makes the way back to user
 * space look at -ERESTARTSYS without a signal being sent.
 */
int bp_restart(void)
{
	set_tsk_thread_flag(current, TIF_NOTIFY_SIGNAL);
	return -ERESTARTSYS;
}

static int __init bp_init(void)
{
	int err;

	err = bp_proto_init();
	if (err)
		return err;
	bp_host_init();
	/* restores the NICs ask for run here, in process context */
	bp_wq = alloc_workqueue("handoff", 0, 0);
	if (!bp_wq)
		return -ENOMEM;
	err = bp_sysctl_init();
	if (err)
		goto err_wq;
	err = bp_proc_init();
	if (err)
		goto err_sysctl;
	err = bp_forward_init();
	if (err)
		goto err_proc;
	err = bp_intercept_init();
	if (err)
		goto err_forward;
	bp_active_init();
	err = hnd_client_register(&bp_client);
	if (err)
		goto err_intercept;
	err = bp_policy_init();
	if (err)
		goto err_client;
	return 0;

err_client:
	hnd_client_unregister(&bp_client);
err_intercept:
	WRITE_ONCE(bp_unloading, true);	/* task works queued do nothing */
	bp_active_stop();
	bp_intercept_stop();
err_forward:
	bp_forward_exit();
err_proc:
	bp_proc_exit();
err_sysctl:
	bp_sysctl_exit();
err_wq:
	destroy_workqueue(bp_wq);
	return err;
}

/*
 * Unloading.  While the NICs are still ours: no new listeners or
 * handoffs, listeners back to TCP's ops, and every offloaded connection
 * restored to the host stack, where it goes on through the same NIC.
 * What cannot be restored (a failed NIC) ends with ECONNRESET as we let
 * go of its NIC.  Then no socket has our proto or ops; threads still in
 * our code were woken and restart their calls: wait for the last.
 */
static void __exit bp_exit(void)
{
	WRITE_ONCE(bp_unloading, true);
	smp_mb();	/* pairs with bp_try_handoff() */
	bp_policy_exit();
	bp_active_stop();
	bp_intercept_stop();
	/* a handoff under way finishes (or fails) before the restore */
	bp_handoffs_wait();
	bp_restore_all(BP_RS_UNLOAD);
	/* restored sockets (held, or just now) are plain TCP's */
	bp_host_release_all();
	hnd_client_unregister(&bp_client);
	destroy_workqueue(bp_wq);
	bp_release_ended();
	bp_forward_exit();
	bp_proc_exit();
	bp_sysctl_exit();
	synchronize_srcu(&bp_srcu);
	/*
	 * A task preempted between loading one of our function pointers and
	 * entering bp_srcu: every task has passed a voluntary switch since.
	 */
	synchronize_rcu_tasks();
}

module_init(bp_init);
module_exit(bp_exit);

MODULE_DESCRIPTION("TCP offload through connection handoff (Kim & Rixner, EuroSys'06): the bypass protocol");
MODULE_AUTHOR("The connection handoff team");
MODULE_VERSION(HANDOFF_VERSION);
MODULE_LICENSE("GPL");
