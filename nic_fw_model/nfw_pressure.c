// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_pressure.c - NIC memory pressure: when free memory falls under a low
 * watermark, ask the OS to take back the connections that use the NIC
 * least (ch_os_restore, CHW_RESTORE_PRESSURE), the longest idle first,
 * until what they hold would bring free memory back over a high one.
 *
 * Memory held by out-of-order segments does not count: it is transient
 * (freed when the hole fills), and when it runs short the NIC holds no
 * more of them (the peer sends them again).  A busy, lossy moment must
 * not cost connections their offload; only what lasts (connections, send
 * pairs) does.
 *
 * Why the NIC chooses: only it knows what each connection costs (its
 * send pairs, the out-of-order segments it holds) and when each last
 * heard from its peer.  Why the longest idle: a connection that moves no
 * data gains nothing from offload, and its restore costs the host
 * nothing but a control block; the busy ones are what the NIC is for.
 * The OS decides (it may decline); a connection is asked once.  The
 * memory of those asked counts as coming back for a while, so that a
 * slow OS is not answered by asking for more; after that, while the
 * pressure lasts, the next idlest are asked.
 */
#include "nfw_tcp.h"

/* Evaluate at most this often: a scan of the table each time. */
#define NFW_PRESSURE_PERIOD_MS	100
/*
 * How long the memory of connections already asked for counts as on its
 * way back.  An OS restores in milliseconds; one that has not after this
 * long declined (it need not say so), and the next idlest are asked.
 */
#define NFW_PRESSURE_PATIENCE_MS	2000

/* NIC memory c's out-of-order segments hold. */
static uint64_t nfw_ooo_mem(const struct nfw_conn *c)
{
	return c->ooo_bytes + (uint64_t)c->ooo_segs * sizeof(struct nfw_ooo);
}

/* Free memory, counting what out-of-order segments hold as free. */
static uint64_t nfw_lasting_free(const struct nfw *fw)
{
	uint64_t free_mem = fw->mem_total - fw->mem_used;
	uint32_t i;

	for (i = 0; i < fw->cfg.max_conns; i++) {
		const struct nfw_conn *c = &fw->conns[i];

		if (c->state && c->state != NFW_TCPS_CLOSED)
			free_mem += nfw_ooo_mem(c);
	}
	return free_mem;
}

/* Under the low watermark, out-of-order segments included (cheap). */
bool nfw_pressure_low(const struct nfw *fw)
{
	return fw->mem_total - fw->mem_used < fw->mem_total / NFW_MEM_LOW_DIV;
}

/* Bytes to free to be over the high watermark again, for good. */
static uint64_t nfw_pressure_deficit(const struct nfw *fw)
{
	uint64_t free_mem = nfw_lasting_free(fw);
	uint64_t want = fw->mem_total / NFW_MEM_HIGH_DIV;

	if (free_mem >= fw->mem_total / NFW_MEM_LOW_DIV)
		return 0;	/* out-of-order segments: they pass */
	return want - free_mem;
}

/* A connection worth asking: live, not yet asked, not only a timer. */
static bool nfw_pressure_candidate(const struct nfw_conn *c)
{
	if (!c->state || c->state == NFW_TCPS_CLOSED ||
	    c->state == NFW_TCPS_TIME_WAIT)
		return false;
	return !(c->flags & NFW_CF_PRESSURE_ASKED) &&
	       !(c->ev_pending & (NFW_EV_FREED | NFW_EV_RESTORE));
}

/* Memory of the connections asked for lately, still on the NIC. */
static uint64_t nfw_pressure_pending(const struct nfw *fw)
{
	uint64_t sum = 0;
	uint32_t i;

	if (!fw->pressure_asked_ms ||
	    fw->now_ms >= fw->pressure_asked_ms + NFW_PRESSURE_PATIENCE_MS)
		return 0;
	for (i = 0; i < fw->cfg.max_conns; i++) {
		const struct nfw_conn *c = &fw->conns[i];

		if (c->state && c->state != NFW_TCPS_CLOSED &&
		    (c->flags & NFW_CF_PRESSURE_ASKED))
			sum += c->mem;
	}
	return sum;
}

/*
 * Choose victims: the longest idle candidates (least recent last_rx_ms;
 * the lower slot on a tie, so the choice is repeatable) until their
 * memory covers the deficit, at most max.  Fills slots[], returns how
 * many.  Selection by repeated minimum: max is small and the table is
 * the NIC's few thousand slots.
 */
unsigned int nfw_pressure_victims(struct nfw *fw, uint32_t *slots,
				  unsigned int max)
{
	uint64_t deficit = nfw_pressure_deficit(fw);
	uint64_t covered = nfw_pressure_pending(fw);
	unsigned int n = 0, k;
	uint32_t i;

	while (n < max && covered < deficit) {
		const struct nfw_conn *best = NULL;
		uint32_t best_slot = 0;

		for (i = 0; i < fw->cfg.max_conns; i++) {
			const struct nfw_conn *c = &fw->conns[i];
			bool taken = false;

			if (!nfw_pressure_candidate(c))
				continue;
			for (k = 0; k < n && !taken; k++)
				taken = slots[k] == i;
			if (taken)
				continue;
			if (!best || c->last_rx_ms < best->last_rx_ms) {
				best = c;
				best_slot = i;
			}
		}
		if (!best)
			break;
		slots[n++] = best_slot;
		covered += best->mem - nfw_ooo_mem(best);
	}
	return n;
}

/*
 * Called as the news is flushed: cheap unless memory is short.  Asks for
 * the victims' restore; their slots and memory come back when the OS
 * restores them (or, if it declines, when they end).
 */
void nfw_pressure_check(struct nfw *fw)
{
	uint32_t slots[NFW_PRESSURE_MAX_ASK];
	unsigned int n, i;

	if (!nfw_pressure_low(fw) || fw->now_ms < fw->pressure_next_ms)
		return;
	fw->pressure_next_ms = fw->now_ms + NFW_PRESSURE_PERIOD_MS;
	n = nfw_pressure_victims(fw, slots, NFW_PRESSURE_MAX_ASK);
	for (i = 0; i < n; i++) {
		struct nfw_conn *c = &fw->conns[slots[i]];

		c->flags |= NFW_CF_PRESSURE_ASKED;
		c->restore_reason = CHW_RESTORE_PRESSURE;
		nfw_conn_news(fw, c, NFW_EV_RESTORE);
	}
	if (n) {
		fw->pressure_asked += n;
		fw->pressure_asked_ms = fw->now_ms;
	}
}
