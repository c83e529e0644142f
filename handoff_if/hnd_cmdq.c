// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_cmdq.c - the command ring (OS -> NIC) and the event ring (NIC -> OS).
 *
 * Commands are posted from any context under cmd_lock, many per doorbell.
 * A command that completes (NOP, HANDOFF, RESTORE) can be waited for: the
 * waiter sits in the slot of its command index until the CHW_EV_DONE with
 * that index arrives.  Events are read in their own NAPI instance, so the
 * bypass protocol's handler runs in softirq context, like TCP's receive.
 */
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/slab.h>

#include "hnd.h"

#define HND_CMD_SLOT(i)	((i) & (HND_CMD_RING_SIZE - 1))
#define HND_EV_SLOT(i)	((i) & (HND_EV_RING_SIZE - 1))

int hnd_status_to_errno(u8 status)
{
	switch (status) {
	case CHW_ST_OK:		return 0;
	case CHW_ST_BAD_OP:	return -EOPNOTSUPP;
	case CHW_ST_BAD_CID:	return -ENOENT;
	case CHW_ST_BAD_LEN:	return -EINVAL;
	case CHW_ST_DMA:	return -EFAULT;
	case CHW_ST_BAD_STATE:	return -EINVAL;
	case CHW_ST_NO_CONN:	return -ENOSPC;
	case CHW_ST_NO_MEM:	return -ENOMEM;
	case CHW_ST_BAD_CODE:	return -EINVAL;
	case CHW_ST_NOT_READY:	return -EAGAIN;
	}
	return -EIO;
}

/*
 * Free command slots.  The device's head is read from its register only
 * when the ring looks full; a slot whose waiter has not yet seen its
 * completion stays taken.  Called with cmd_lock held.
 */
static u32 hnd_cmd_room(struct hnd_dev *hd)
{
	u32 room = HND_CMD_RING_SIZE - (hd->cmd_tail - hd->cmd_head);

	if (!room) {
		u32 head = hnd_rd(hd, CHW_REG_RING(CHW_RING_CMD) + CHW_RING_HEAD);

		/* a reset device reads 0: keep what we knew */
		if (hd->cmd_tail - head <= HND_CMD_RING_SIZE)
			hd->cmd_head = head;
		room = HND_CMD_RING_SIZE - (hd->cmd_tail - hd->cmd_head);
	}
	if (room && hd->cmd_wait[HND_CMD_SLOT(hd->cmd_tail)])
		return 0;
	return room;
}

static void hnd_cmd_doorbell(struct hnd_dev *hd)
{
	/* commands before the doorbell */
	wmb();
	hnd_wr(hd, CHW_REG_RING(CHW_RING_CMD) + CHW_RING_TAIL, hd->cmd_tail);
}

/*
 * Post up to n commands that need no answer (one doorbell).  Returns how
 * many were posted, 0 if the ring is full, or -EIO if the NIC failed.
 */
int hnd_cmd_post(struct hnd_dev *hd, const struct chw_msg *cmds,
		 unsigned int n)
{
	unsigned int i;

	spin_lock_bh(&hd->cmd_lock);
	if (hd->failed) {
		spin_unlock_bh(&hd->cmd_lock);
		return -EIO;
	}
	for (i = 0; i < n && hnd_cmd_room(hd); i++)
		hd->cmd_ring[HND_CMD_SLOT(hd->cmd_tail++)] = cmds[i];
	if (i)
		hnd_cmd_doorbell(hd);
	spin_unlock_bh(&hd->cmd_lock);
	u64_stats_update_begin(&hd->stats.syncp);
	hd->stats.cmds += i;
	if (i < n)
		hd->stats.cmd_ring_full++;
	u64_stats_update_end(&hd->stats.syncp);
	return i;
}
EXPORT_SYMBOL_GPL(hnd_cmd_post);

/*
 * Post one command and sleep until its CHW_EV_DONE arrives, at most
 * timeout jiffies.  Returns the errno of its status, or -ETIMEDOUT.
 * If answered is set, it runs in the event softirq with the answer
 * before any later event reaches the client (a HANDOFF's new id must be
 * known before the connection's first events), unless the wait timed
 * out first.
 */
int hnd_cmd_exec_answered(struct hnd_dev *hd, const struct chw_msg *cmd,
			  struct chw_ev_done *done, unsigned long timeout,
			  void (*answered)(void *arg,
					   const struct chw_ev_done *done),
			  void *arg)
{
	unsigned long deadline = jiffies + timeout;
	struct hnd_cmd_wait w;
	u32 slot;

	init_completion(&w.comp);
	w.cb = NULL;
	w.answered = answered;
	w.answered_arg = arg;
	for (;;) {
		spin_lock_bh(&hd->cmd_lock);
		if (hd->failed) {
			spin_unlock_bh(&hd->cmd_lock);
			return -EIO;
		}
		if (hnd_cmd_room(hd))
			break;
		spin_unlock_bh(&hd->cmd_lock);
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(50, 200);
	}
	w.idx = hd->cmd_tail;
	slot = HND_CMD_SLOT(w.idx);
	hd->cmd_wait[slot] = &w;
	hd->cmd_ring[slot] = *cmd;
	hd->cmd_tail++;
	hnd_cmd_doorbell(hd);
	spin_unlock_bh(&hd->cmd_lock);
	hnd_stat_inc(hd, &hd->stats.cmds);

	if (!wait_for_completion_timeout(&w.comp, deadline - jiffies + 1)) {
		bool raced;

		spin_lock_bh(&hd->cmd_lock);
		raced = hd->cmd_wait[slot] != &w;
		if (!raced)
			hd->cmd_wait[slot] = NULL;
		spin_unlock_bh(&hd->cmd_lock);
		if (!raced) {
			hnd_stat_inc(hd, &hd->stats.cmd_timeouts);
			return -ETIMEDOUT;
		}
		/* the answer is being delivered: w lives until it is */
		wait_for_completion(&w.comp);
	}
	if (done)
		*done = w.done;
	return hnd_status_to_errno(w.done.status);
}
EXPORT_SYMBOL_GPL(hnd_cmd_exec_answered);

int hnd_cmd_exec(struct hnd_dev *hd, const struct chw_msg *cmd,
		 struct chw_ev_done *done, unsigned long timeout)
{
	return hnd_cmd_exec_answered(hd, cmd, done, timeout, NULL, NULL);
}
EXPORT_SYMBOL_GPL(hnd_cmd_exec);

/*
 * Post one command whose CHW_EV_DONE runs w->cb (in the event softirq, or
 * from hnd_cmd_fail_all() if the device goes first).  Does not sleep.
 * Returns 0, -EBUSY if the ring is full, or -EIO if the NIC failed.
 */
int hnd_cmd_submit(struct hnd_dev *hd, const struct chw_msg *cmd,
		   struct hnd_cmd_wait *w)
{
	u32 slot;

	spin_lock_bh(&hd->cmd_lock);
	if (hd->failed || !hnd_cmd_room(hd)) {
		bool failed = hd->failed;

		spin_unlock_bh(&hd->cmd_lock);
		if (!failed)
			hnd_stat_inc(hd, &hd->stats.cmd_ring_full);
		return failed ? -EIO : -EBUSY;
	}
	w->answered = NULL;
	w->idx = hd->cmd_tail;
	slot = HND_CMD_SLOT(w->idx);
	hd->cmd_wait[slot] = w;
	hd->cmd_ring[slot] = *cmd;
	hd->cmd_tail++;
	hnd_cmd_doorbell(hd);
	spin_unlock_bh(&hd->cmd_lock);
	hnd_stat_inc(hd, &hd->stats.cmds);
	return 0;
}
EXPORT_SYMBOL_GPL(hnd_cmd_submit);

static void hnd_cmd_finish(struct hnd_cmd_wait *w)
{
	if (w->answered)
		w->answered(w->answered_arg, &w->done);
	if (w->cb)
		w->cb(w);
	else
		complete(&w->comp);
}

/*
 * The device stopped (reset or removal): answer every command still
 * waiting with HND_ST_GONE, so no sleeper waits out its timeout and no
 * callback's buffer leaks.
 */
void hnd_cmd_fail_all(struct hnd_dev *hd)
{
	u32 i;

	for (i = 0; i < HND_CMD_RING_SIZE; i++) {
		struct hnd_cmd_wait *w;

		spin_lock_bh(&hd->cmd_lock);
		w = hd->cmd_wait[i];
		hd->cmd_wait[i] = NULL;
		spin_unlock_bh(&hd->cmd_lock);
		if (!w)
			continue;
		memset(&w->done, 0, sizeof(w->done));
		w->done.op = CHW_EV_DONE;
		w->done.status = HND_ST_GONE;
		local_bh_disable();
		hnd_cmd_finish(w);
		local_bh_enable();
	}
}

void hnd_set_event_handler(struct hnd_dev *hd, hnd_event_fn fn, void *ctx)
{
	napi_disable(&hd->ev_napi);
	hd->ev_ctx = ctx;
	hd->ev_handler = fn;
	napi_enable(&hd->ev_napi);
}
EXPORT_SYMBOL_GPL(hnd_set_event_handler);

/* A NOP answer during a NOP test: count it once, or as a duplicate. */
static void hnd_nop_answer(struct hnd_nop_test *t, u32 cookie)
{
	if (cookie >= t->n)
		atomic_inc(&t->bad);
	else if (test_and_set_bit(cookie, t->seen))
		atomic_inc(&t->dup);
	else
		atomic_inc(&t->done);
}

static void hnd_ev_done(struct hnd_dev *hd, const struct chw_msg *m)
{
	const struct chw_ev_done *d = (const void *)m;
	u32 idx = le32_to_cpu(d->cmd_idx);
	struct hnd_cmd_wait *w;

	spin_lock(&hd->cmd_lock);
	w = hd->cmd_wait[HND_CMD_SLOT(idx)];
	if (w && w->idx == idx) {
		hd->cmd_wait[HND_CMD_SLOT(idx)] = NULL;
		w->done = *d;
		spin_unlock(&hd->cmd_lock);
		hnd_cmd_finish(w);
		return;
	}
	if (d->cmd_op == CHW_OP_NOP && hd->nop) {
		hnd_nop_answer(hd->nop, le32_to_cpu(d->val));
		spin_unlock(&hd->cmd_lock);
		return;
	}
	spin_unlock(&hd->cmd_lock);

	/*
	 * An answer nobody waits for: a posted command that failed.  The
	 * client that posted it judges it (a command racing the NIC's own
	 * end of its connection is no news); without one, it is logged.
	 */
	if (d->status != CHW_ST_OK)
		hnd_stat_inc(hd, &hd->stats.cmd_errors);
	if (hd->ev_handler)
		hd->ev_handler(hd->ev_ctx, m);
	else if (d->status != CHW_ST_OK)
		net_warn_ratelimited("%s: command %u (op 0x%x, cid 0x%x) failed: status %u\n",
				     netdev_name(hd->netdev), idx, d->cmd_op,
				     le32_to_cpu(d->cid), d->status);
}

static void hnd_ev_dispatch(struct hnd_dev *hd, const struct chw_msg *m)
{
	if (m->op == CHW_EV_DONE) {
		hnd_ev_done(hd, m);
		return;
	}
	if (hd->ev_handler)
		hd->ev_handler(hd->ev_ctx, m);
	else
		hnd_stat_inc(hd, &hd->stats.ev_unhandled);
}

int hnd_ev_napi_poll(struct napi_struct *napi, int budget)
{
	struct hnd_dev *hd = container_of(napi, struct hnd_dev, ev_napi);
	int done = 0;

	while (done < budget) {
		struct chw_msg *e = &hd->ev_ring[HND_EV_SLOT(hd->ev_head)];
		u8 phase = (hd->ev_head & HND_EV_RING_SIZE) ? 0 : CHW_EV_PHASE;
		struct chw_msg m;

		if ((READ_ONCE(e->flags) & CHW_EV_PHASE) != phase)
			break;
		/* the body was written before the phase */
		dma_rmb();
		m = *e;
		hd->ev_head++;
		done++;
		hnd_ev_dispatch(hd, &m);
	}
	if (done) {
		u64_stats_update_begin(&hd->stats.syncp);
		hd->stats.events += done;
		u64_stats_update_end(&hd->stats.syncp);
		/* the device may be waiting for room */
		hnd_wr(hd, CHW_REG_RING(CHW_RING_EV) + CHW_RING_TAIL,
		       hd->ev_head);
	}
	if (done < budget && napi_complete_done(napi, done))
		hnd_wr(hd, CHW_REG_IRQ_ARM, CHW_IRQ_EV);
	return done;
}

/*
 * Send n NOPs, each with its own cookie, as fast as the ring takes them,
 * and check that each comes back exactly once.  Writes a one-line report.
 */
int hnd_nop_test(struct hnd_dev *hd, u32 n, char *res, size_t len)
{
	struct hnd_nop_test *t;
	unsigned long idle_since = jiffies;
	u32 sent = 0, answered, last = 0;
	ktime_t start;
	int err = 0;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->seen = bitmap_zalloc(n, GFP_KERNEL);
	if (!t->seen) {
		kfree(t);
		return -ENOMEM;
	}
	t->n = n;
	spin_lock_bh(&hd->cmd_lock);
	if (hd->nop)
		err = -EBUSY;
	else
		hd->nop = t;
	spin_unlock_bh(&hd->cmd_lock);
	if (err)
		goto out_free;

	start = ktime_get();
	while (sent < n || atomic_read(&t->done) + atomic_read(&t->dup) < sent) {
		struct chw_msg batch[64];
		u32 k, want = min_t(u32, n - sent, ARRAY_SIZE(batch));
		int posted = 0;

		for (k = 0; k < want; k++) {
			struct chw_cmd_nop *c = (void *)&batch[k];

			memset(c, 0, sizeof(*c));
			c->op = CHW_OP_NOP;
			c->cookie = cpu_to_le32(sent + k);
		}
		if (want) {
			posted = hnd_cmd_post(hd, batch, want);
			if (posted < 0) {
				err = posted;
				break;
			}
			sent += posted;
		}
		answered = atomic_read(&t->done);
		if (posted || answered != last) {
			idle_since = jiffies;
			last = answered;
		} else if (time_after(jiffies, idle_since + 5 * HZ)) {
			break;	/* nothing moves: the rest is lost */
		}
		if (!posted && answered == last)
			usleep_range(20, 100);
		cond_resched();
	}

	spin_lock_bh(&hd->cmd_lock);
	hd->nop = NULL;
	spin_unlock_bh(&hd->cmd_lock);
	answered = atomic_read(&t->done);
	scnprintf(res, len,
		  "nops %u sent %u answered %u lost %u duplicated %u bad %u usecs %lld\n",
		  n, sent, answered, sent - answered, atomic_read(&t->dup),
		  atomic_read(&t->bad),
		  ktime_us_delta(ktime_get(), start));
out_free:
	bitmap_free(t->seen);
	kfree(t);
	return err;
}
