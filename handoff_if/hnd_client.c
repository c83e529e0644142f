// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_client.c - the driver's one client: the connection-handoff protocol
 * (handoff.ko, bypass_proto/) attaches to every handoff NIC through here.
 *
 * The protocol is a module of its own so that it can be unloaded while
 * the NICs stay: it restores every offloaded connection to the host stack
 * first, and the connections carry on through the same NIC as ordinary
 * traffic.  Devices and the client may come and go in any order; each
 * device sees add() once it and the client are both there, and remove()
 * before either goes.
 */
#include <linux/module.h>

#include "hnd.h"

static DEFINE_MUTEX(hnd_client_lock);
static LIST_HEAD(hnd_devs);		/* probed devices, under the lock */
static const struct hnd_client *hnd_the_client;

static void hnd_client_add(const struct hnd_client *c, struct hnd_dev *hd)
{
	int err;

	if (hd->client_paused)
		return;		/* a failed device: hnd_client_dev_resume() */
	err = c->add(hd);

	if (err)
		netdev_warn(hd->netdev, "no connection handoff on this NIC: %d\n",
			    err);
}

/* A device is ready (probe): the client, if any, may use it. */
void hnd_client_dev_add(struct hnd_dev *hd)
{
	mutex_lock(&hnd_client_lock);
	list_add_tail(&hd->client_node, &hnd_devs);
	if (hnd_the_client)
		hnd_client_add(hnd_the_client, hd);
	mutex_unlock(&hnd_client_lock);
}

/* A device goes (remove), while it still works: the client lets go. */
void hnd_client_dev_remove(struct hnd_dev *hd)
{
	mutex_lock(&hnd_client_lock);
	if (hnd_the_client && hd->bp)
		hnd_the_client->remove(hd);
	list_del(&hd->client_node);
	mutex_unlock(&hnd_client_lock);
}

/*
 * The device failed (hnd_health.c) and was reset: the client lets go of
 * it (its connections are lost) and adds no more until it serves again.
 */
void hnd_client_dev_pause(struct hnd_dev *hd)
{
	mutex_lock(&hnd_client_lock);
	hd->client_paused = true;
	if (hnd_the_client && hd->bp)
		hnd_the_client->remove(hd);
	mutex_unlock(&hnd_client_lock);
}

/* The failed device serves again: the client may hand off to it. */
void hnd_client_dev_resume(struct hnd_dev *hd)
{
	mutex_lock(&hnd_client_lock);
	hd->client_paused = false;
	if (hnd_the_client && !hd->bp)
		hnd_client_add(hnd_the_client, hd);
	mutex_unlock(&hnd_client_lock);
}

int hnd_client_register(const struct hnd_client *c)
{
	struct hnd_dev *hd;

	mutex_lock(&hnd_client_lock);
	if (hnd_the_client) {
		mutex_unlock(&hnd_client_lock);
		return -EBUSY;
	}
	hnd_the_client = c;
	list_for_each_entry(hd, &hnd_devs, client_node)
		hnd_client_add(c, hd);
	mutex_unlock(&hnd_client_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(hnd_client_register);

void hnd_client_unregister(const struct hnd_client *c)
{
	struct hnd_dev *hd;

	mutex_lock(&hnd_client_lock);
	if (hnd_the_client == c) {
		list_for_each_entry(hd, &hnd_devs, client_node)
			if (hd->bp)
				c->remove(hd);
		hnd_the_client = NULL;
	}
	mutex_unlock(&hnd_client_lock);
}
EXPORT_SYMBOL_GPL(hnd_client_unregister);
