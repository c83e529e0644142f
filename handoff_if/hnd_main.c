// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_main.c - the handoff module: TCP offload through connection handoff
 * (Kim & Rixner, EuroSys'06).  This file only registers the parts.
 */
#include <linux/module.h>

#include "hnd.h"

static int __init handoff_init(void)
{
	int err;

	err = bp_init();
	if (err)
		return err;
	hnd_debugfs_init();
	err = hnd_pci_register();
	if (err) {
		hnd_debugfs_exit();
		bp_exit();
	}
	return err;
}

static void __exit handoff_exit(void)
{
	/* connections go back to the host stack while their NICs are here */
	bp_exit_begin();
	hnd_pci_unregister();
	hnd_debugfs_exit();
	bp_exit();
}

module_init(handoff_init);
module_exit(handoff_exit);

MODULE_DESCRIPTION("TCP offload through connection handoff: NIC driver and bypass protocol");
MODULE_LICENSE("GPL");
