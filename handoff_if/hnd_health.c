// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_health.c - telling a failed device, and what follows.
 *
 * The firmware holds the state of every connection handed to it, and a
 * hung firmware takes that state with it: nothing the host has is enough
 * to rebuild those connections.  So a failure is handled the way a host
 * whose NIC died would see it: the offloaded connections end with
 * ECONNRESET, everything else goes on.  Then the device is reset and
 * given new rings, so it serves again, first as a plain NIC (the host
 * stack's connections through it resume), then for new handoffs.  Only a
 * device that cannot even be reset stays failed.
 *
 * A watchdog tells a failure each watchdog_ms: the status register (the
 * firmware's own fault bit, a device reset behind our back, or all-ones
 * from a device gone from the bus), and a heartbeat, one NOP through the
 * command ring.  Three ticks with the NOP unanswered and the device's
 * command head not moving mean it hung; a busy device moves its head.
 */
#include <linux/module.h>
#include <linux/rtnetlink.h>

#include "hnd.h"
#include "hnd_trace.h"

static unsigned int watchdog_ms = 1000;
module_param(watchdog_ms, uint, 0644);
MODULE_PARM_DESC(watchdog_ms, "Device health check interval in ms (0: off)");

#define HND_HB_MISSES	3	/* ticks without progress before failing */

static unsigned long hnd_health_interval(void)
{
	return msecs_to_jiffies(READ_ONCE(watchdog_ms) ?: 1000);
}

/* The heartbeat's answer, in the event softirq or from hnd_cmd_fail_all(). */
static void hnd_hb_done(struct hnd_cmd_wait *w)
{
	struct hnd_dev *hd = container_of(w, struct hnd_dev, hb);

	atomic_inc(&hd->hb_answers);
	WRITE_ONCE(hd->hb_pending, false);
}

static void hnd_hb_post(struct hnd_dev *hd)
{
	struct chw_msg nop = { .op = CHW_OP_NOP };

	if (READ_ONCE(hd->hb_pending))
		return;
	WRITE_ONCE(hd->hb_pending, true);
	hd->hb.cb = hnd_hb_done;
	/* a full ring counts as no progress: the head tells */
	if (hnd_cmd_submit(hd, &nop, &hd->hb))
		WRITE_ONCE(hd->hb_pending, false);
}

/* Why the device is deemed failed, or NULL if it is well. */
static const char *hnd_health_check(struct hnd_dev *hd)
{
	u32 st = hnd_rd(hd, CHW_REG_STATUS), head, answers;

	if (st == ~0u)
		return "it no longer answers on the bus";
	if (st & CHW_STATUS_FAILED)
		return "the firmware reports a fault";
	if (!(st & CHW_STATUS_ENABLED))
		return "it was reset behind the driver's back";
	head = hnd_rd(hd, CHW_REG_RING(CHW_RING_CMD) + CHW_RING_HEAD);
	answers = atomic_read(&hd->hb_answers);
	if (answers != hd->hb_seen_answers || head != hd->hb_seen_head ||
	    !READ_ONCE(hd->hb_pending))
		hd->hb_missed = 0;
	else if (++hd->hb_missed >= HND_HB_MISSES)
		return "its heartbeat went unanswered";
	hd->hb_seen_answers = answers;
	hd->hb_seen_head = head;
	hnd_hb_post(hd);
	return NULL;
}

static void hnd_watchdog(struct work_struct *work)
{
	struct hnd_dev *hd = container_of(to_delayed_work(work),
					  struct hnd_dev, watchdog);
	const char *why = NULL;

	if (READ_ONCE(hd->health_stop))
		return;
	if (READ_ONCE(watchdog_ms))
		why = hnd_health_check(hd);
	if (why)
		hnd_health_fail(hd, why);
	else
		queue_delayed_work(system_wq, &hd->watchdog,
				   hnd_health_interval());
}

/*
 * In order: no more commands; the data path held; the device reset, so
 * that it no longer reaches any buffer; every waiting command answered
 * (HND_ST_GONE), so no handoff or restore waits for a dead device; the
 * client lets go (its connections end with ECONNRESET, its buffers are
 * freed: safe now that DMA has stopped); then new rings.
 */
static void hnd_fail_work(struct work_struct *work)
{
	struct hnd_dev *hd = container_of(work, struct hnd_dev, fail_work);
	bool gone;
	int err;

	hnd_stat_inc(hd, &hd->stats.dev_failures);
	netdev_err(hd->netdev, "device failed: %s; its offloaded connections are lost, resetting it\n",
		   hd->fail_why);
	spin_lock_bh(&hd->cmd_lock);
	hd->failed = true;
	spin_unlock_bh(&hd->cmd_lock);
	rtnl_lock();
	hnd_netdev_quiesce(hd);
	rtnl_unlock();

	gone = hnd_rd(hd, CHW_REG_ID) != CHW_ID_MAGIC;
	err = gone ? -ENODEV : hnd_dev_reset(hd);
	hnd_cmd_fail_all(hd);
	hnd_client_dev_pause(hd);
	if (err) {
		/* it may still reach memory: nothing of ours is posted to it */
		hd->dead = true;
		netdev_err(hd->netdev, "device could not be reset (%d): it stays down\n",
			   err);
		trace_handoff_nic_failure(hd->netdev, hd->fail_why, "dead", err);
		return;
	}

	rtnl_lock();
	err = hnd_dev_restart(hd);
	if (!err) {
		spin_lock_bh(&hd->cmd_lock);
		hd->failed = false;
		spin_unlock_bh(&hd->cmd_lock);
		hnd_netdev_resume(hd);
	}
	rtnl_unlock();
	if (err) {
		hd->dead = true;
		netdev_err(hd->netdev, "device refused new rings (%d): it stays down\n",
			   err);
		trace_handoff_nic_failure(hd->netdev, hd->fail_why, "dead", err);
		return;
	}
	hnd_stat_inc(hd, &hd->stats.dev_restarts);
	netdev_info(hd->netdev, "device serves again after its reset\n");
	trace_handoff_nic_failure(hd->netdev, hd->fail_why, "restarted", 0);
	WRITE_ONCE(hd->hb_pending, false);
	hd->hb_missed = 0;
	hnd_client_dev_resume(hd);
	if (!READ_ONCE(hd->health_stop))
		queue_delayed_work(system_wq, &hd->watchdog,
				   hnd_health_interval());
}

/* Declare the device failed (the watchdog, or a caller that knows). */
void hnd_health_fail(struct hnd_dev *hd, const char *why)
{
	if (READ_ONCE(hd->health_stop) || READ_ONCE(hd->dead))
		return;
	hd->fail_why = why;
	/* long: the client's teardown sleeps on sockets and its workqueue */
	queue_work(system_long_wq, &hd->fail_work);
}

void hnd_health_start(struct hnd_dev *hd)
{
	INIT_DELAYED_WORK(&hd->watchdog, hnd_watchdog);
	INIT_WORK(&hd->fail_work, hnd_fail_work);
	init_completion(&hd->hb.comp);
	queue_delayed_work(system_wq, &hd->watchdog, hnd_health_interval());
}

/* The device is being removed: a failure being handled finishes first. */
void hnd_health_stop(struct hnd_dev *hd)
{
	WRITE_ONCE(hd->health_stop, true);
	cancel_delayed_work_sync(&hd->watchdog);
	cancel_work_sync(&hd->fail_work);
	/* the failure's end may have queued one more check */
	cancel_delayed_work_sync(&hd->watchdog);
}
