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
 * Every offloaded socket and every intercepted listener holds a module
 * reference, so by the time this runs none is left.
 */
void bp_exit(void)
{
	bp_intercept_exit();
	bp_forward_exit();
	bp_proc_exit();
	bp_sysctl_exit();
}
