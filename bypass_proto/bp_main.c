// SPDX-License-Identifier: GPL-2.0
/*
 * bp_main.c - the bypass protocol's parts, set up and taken down in order:
 * policy (sysctl), visibility (/proc), late-packet diversion (netfilter),
 * and last the interception of listeners, which starts handoffs.
 */
#include "bp.h"

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

int bp_init(void)
{
	int err;

	err = bp_proto_init();
	if (err)
		return err;
	err = bp_sysctl_init();
	if (err)
		return err;
	err = bp_proc_init();
	if (err)
		goto err_sysctl;
	err = bp_forward_init();
	if (err)
		goto err_proc;
	err = bp_intercept_init();
	if (err)
		goto err_forward;
	return 0;

err_forward:
	bp_forward_exit();
err_proc:
	bp_proc_exit();
err_sysctl:
	bp_sysctl_exit();
	return err;
}

/*
 * Unloading, while the NICs are still there: no new listeners or
 * handoffs, listeners back to TCP's ops, and every offloaded connection
 * restored to the host stack.  What cannot be restored (a failed NIC)
 * ends with ECONNRESET when its NIC is removed next.
 */
void bp_exit_begin(void)
{
	WRITE_ONCE(bp_unloading, true);
	bp_intercept_stop();
	bp_restore_all();
}

/*
 * After the NICs are gone no socket has our proto or ops; threads still
 * in our code were woken and restart their calls: wait for the last.
 */
void bp_exit(void)
{
	bp_release_ended();
	bp_forward_exit();
	bp_proc_exit();
	bp_sysctl_exit();
	synchronize_srcu(&bp_srcu);
}
