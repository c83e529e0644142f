// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_main.c - handoff_nic.ko: the handoff NIC's driver (an ordinary
 * Ethernet NIC, plus the command and event rings of connection handoff).
 * The protocol that hands connections off, handoff.ko, is a module of its
 * own that attaches through hnd_client.c.  This file only registers the
 * parts.
 */
#include <linux/module.h>

#include "hnd.h"
#define CREATE_TRACE_POINTS
#include "hnd_trace.h"

static int __init hnd_init(void)
{
	int err;

	hnd_debugfs_init();
	err = hnd_pci_register();
	if (err)
		hnd_debugfs_exit();
	return err;
}

static void __exit hnd_exit(void)
{
	hnd_pci_unregister();
	hnd_debugfs_exit();
}

module_init(hnd_init);
module_exit(hnd_exit);

MODULE_DESCRIPTION("Handoff NIC: Ethernet driver and the rings of TCP connection handoff");
MODULE_AUTHOR("The connection handoff team");
MODULE_VERSION(HANDOFF_VERSION);
MODULE_LICENSE("GPL");
