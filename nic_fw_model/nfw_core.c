// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_core.c - the firmware's register file, control and main loop.
 *
 * MMIO writes only record the value and flag the work (NFW_PEND_*); the
 * firmware thread picks the flags up in nfw_run().  A doorbell never waits
 * for the firmware, and the firmware never holds anything the MMIO side
 * needs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "nfw_tcp.h"

void nfw_log(struct nfw *fw, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!fw->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fw->ops.log(fw->opaque, msg);
}

struct nfw *nfw_create(const struct nfw_config *cfg,
		       const struct nfw_ops *ops, void *opaque)
{
	struct nfw *fw = calloc(1, sizeof(*fw));

	if (!fw)
		return NULL;
	fw->cfg = *cfg;
	fw->ops = *ops;
	fw->opaque = opaque;
	fw->frame = malloc(CHW_TX_MAX_FRAME);
	fw->seg = malloc(CHW_TX_MAX_FRAME);
	if (!fw->frame || !fw->seg || !cfg->max_conns ||
	    cfg->max_conns >= (1u << CHW_CID_SLOT_BITS) ||
	    nfw_conn_init(fw)) {
		nfw_destroy(fw);
		return NULL;
	}
	fw->link_up = 1;
	nfw_reset(fw);
	return fw;
}

void nfw_destroy(struct nfw *fw)
{
	if (!fw)
		return;
	nfw_conn_fini(fw);
	free(fw->frame);
	free(fw->seg);
	free(fw);
}

uint64_t nfw_stat(struct nfw *fw, unsigned int idx)
{
	if (idx >= CHW_STAT_COUNT)
		return 0;
	return __atomic_load_n(&fw->stats[idx], __ATOMIC_RELAXED);
}

static uint32_t nfw_status(struct nfw *fw)
{
	uint32_t st = nfw_load(&fw->status_reg) & ~CHW_STATUS_LINK_UP;

	if (nfw_load(&fw->link_up))
		st |= CHW_STATUS_LINK_UP;
	return st;
}

static uint64_t nfw_ring_reg_read(struct nfw *fw, unsigned int r,
				  unsigned int off)
{
	struct nfw_ring *ring = &fw->ring[r];

	switch (off) {
	case CHW_RING_BASE_LO:
		return nfw_load(&ring->base_lo_reg);
	case CHW_RING_BASE_HI:
		return nfw_load(&ring->base_hi_reg);
	case CHW_RING_SIZE:
		return nfw_load(&ring->size_reg);
	case CHW_RING_TAIL:
		return nfw_load(&ring->tail_reg);
	case CHW_RING_HEAD:
		return nfw_load(&ring->head_reg);
	}
	return 0;
}

uint64_t nfw_mmio_read(struct nfw *fw, uint64_t addr, unsigned int size)
{
	const uint8_t *mac = fw->cfg.mac;

	if (addr >= CHW_REG_STATS &&
	    addr < CHW_REG_STATS + 8 * CHW_STAT_COUNT) {
		uint64_t v = nfw_stat(fw, (addr - CHW_REG_STATS) / 8);

		/* 4-byte reads of a counter see its two halves */
		if (size == 4)
			return (addr & 4) ? v >> 32 : (uint32_t)v;
		return v;
	}
	if (addr >= CHW_REG_RING(0) && addr < CHW_REG_RING(CHW_NUM_RINGS))
		return nfw_ring_reg_read(fw, (addr - CHW_REG_RING(0)) / 0x20,
					 (addr - CHW_REG_RING(0)) % 0x20);

	switch (addr) {
	case CHW_REG_ID:
		return CHW_ID_MAGIC;
	case CHW_REG_VERSION:
		return CHW_ABI_VERSION;
	case CHW_REG_FEATURES:
		return CHW_FEAT_CSUM | CHW_FEAT_TSO | CHW_FEAT_SG |
		       CHW_FEAT_HANDOFF;
	case CHW_REG_CTRL:
		return nfw_load(&fw->ctrl_reg);
	case CHW_REG_STATUS:
		return nfw_status(fw);
	case CHW_REG_IRQ_CAUSE:
		return nfw_load(&fw->irq_cause);
	case CHW_REG_IRQ_MASK:
		return nfw_load(&fw->irq_mask);
	case CHW_REG_MAC_LO:
		return mac[0] | mac[1] << 8 | mac[2] << 16 |
		       (uint32_t)mac[3] << 24;
	case CHW_REG_MAC_HI:
		return mac[4] | mac[5] << 8;
	case CHW_REG_NIC_MEM_KB:
		return fw->cfg.nic_mem_kb;
	case CHW_REG_MAX_CONNS:
		return fw->cfg.max_conns;
	case CHW_REG_CONN_LIMIT:
		return nfw_load(&fw->conn_limit_reg);
	}
	return 0;
}

static bool nfw_ring_reg_write(struct nfw *fw, unsigned int r,
			       unsigned int off, uint32_t val)
{
	struct nfw_ring *ring = &fw->ring[r];

	switch (off) {
	case CHW_RING_BASE_LO:
		nfw_store(&ring->base_lo_reg, val);
		return false;
	case CHW_RING_BASE_HI:
		nfw_store(&ring->base_hi_reg, val);
		return false;
	case CHW_RING_SIZE:
		nfw_store(&ring->size_reg, val);
		return false;
	case CHW_RING_TAIL:
		nfw_store(&ring->tail_reg, val);
		nfw_or(&fw->pending, NFW_PEND_RING(r));
		return true;
	}
	nfw_log(fw, "write to read-only ring register 0x%x",
		CHW_REG_RING(r) + off);
	return false;
}

bool nfw_mmio_write(struct nfw *fw, uint64_t addr, uint64_t val,
		    unsigned int size)
{
	uint32_t v = (uint32_t)val, old;

	if (size != 4) {
		nfw_log(fw, "%u-byte write to register 0x%llx ignored", size,
			(unsigned long long)addr);
		return false;
	}
	if (addr >= CHW_REG_RING(0) && addr < CHW_REG_RING(CHW_NUM_RINGS))
		return nfw_ring_reg_write(fw, (addr - CHW_REG_RING(0)) / 0x20,
					  (addr - CHW_REG_RING(0)) % 0x20, v);

	switch (addr) {
	case CHW_REG_CTRL:
		/*
		 * A reset's completion must be this reset's: clear RESET_DONE
		 * now, so a driver polling for it cannot see an old one and
		 * write its rings while the firmware is still wiping them.
		 */
		if (v & CHW_CTRL_RESET)
			nfw_and(&fw->status_reg, ~CHW_STATUS_RESET_DONE);
		nfw_store(&fw->ctrl_reg, v & CHW_CTRL_ENABLE);
		nfw_or(&fw->pending, (v & CHW_CTRL_RESET) ?
			NFW_PEND_RESET : NFW_PEND_CTRL);
		return true;
	case CHW_REG_IRQ_CAUSE:
		nfw_and(&fw->irq_cause, ~v);
		return false;
	case CHW_REG_IRQ_ARM:
		nfw_irq_arm(fw, v & CHW_IRQ_ALL);
		return false;
	case CHW_REG_IRQ_MASK:
		nfw_store(&fw->irq_mask, v & CHW_IRQ_ALL);
		nfw_irq_arm(fw, 0);
		return false;
	case CHW_REG_CONN_LIMIT:
		/*
		 * A raised limit is new capacity: announce it.  A lowered one
		 * takes effect at the next handoff, unannounced, so the OS may
		 * hand off on its older advertisement and be refused, as with
		 * any advertisement overtaken by events.
		 */
		old = nfw_xchg(&fw->conn_limit_reg, v);
		if (v == old || (v && (!old || v < old)))
			return false;
		nfw_or(&fw->pending, NFW_PEND_RESOURCE);
		return true;
	case CHW_REG_FAULT:
		if (v == CHW_FAULT_HANG || v == CHW_FAULT_STALL) {
			/* only a hang says so: a stall leaves the OS to tell */
			if (v == CHW_FAULT_HANG)
				nfw_or(&fw->status_reg, CHW_STATUS_FAILED);
			nfw_store(&fw->fault_reg, v);
			return true;
		}
		break;
	}
	nfw_log(fw, "write of 0x%x to register 0x%llx ignored", v,
		(unsigned long long)addr);
	return false;
}

bool nfw_set_link(struct nfw *fw, bool up)
{
	if (nfw_xchg(&fw->link_up, up ? 1 : 0) == (up ? 1u : 0u))
		return false;
	nfw_or(&fw->pending, NFW_PEND_LINK);
	return true;
}

void nfw_reset(struct nfw *fw)
{
	unsigned int r;

	fw->enabled = false;
	fw->failed = false;
	nfw_store(&fw->fault_reg, 0);
	nfw_store(&fw->conn_limit_reg, 0);
	nfw_conn_reset_all(fw);
	for (r = 0; r < CHW_NUM_RINGS; r++) {
		struct nfw_ring *ring = &fw->ring[r];

		nfw_ring_disable(ring);
		nfw_store(&ring->base_lo_reg, 0);
		nfw_store(&ring->base_hi_reg, 0);
		nfw_store(&ring->size_reg, 0);
		nfw_store(&ring->tail_reg, 0);
		nfw_store(&ring->head_reg, 0);
	}
	nfw_store(&fw->ctrl_reg, 0);
	nfw_store(&fw->irq_mask, 0);
	nfw_store(&fw->irq_armed, CHW_IRQ_ALL);
	nfw_store(&fw->irq_want, 0);
	nfw_store(&fw->irq_cause, 0);
	fw->irq_batch = 0;
	nfw_store(&fw->pending, 0);
	nfw_store(&fw->status_reg, CHW_STATUS_RESET_DONE);
}

static void nfw_enable(struct nfw *fw)
{
	unsigned int r;

	for (r = 0; r < CHW_NUM_RINGS; r++) {
		if (!nfw_ring_enable(fw, r)) {
			while (r--)
				nfw_ring_disable(&fw->ring[r]);
			nfw_or(&fw->status_reg, CHW_STATUS_RING_ERR);
			nfw_stat_add(fw, CHW_STAT_RING_ERRORS, 1);
			return;
		}
	}
	fw->enabled = true;
	nfw_and(&fw->status_reg, ~(CHW_STATUS_RESET_DONE |
				   CHW_STATUS_RING_ERR));
	nfw_or(&fw->status_reg, CHW_STATUS_ENABLED);
}

static void nfw_disable(struct nfw *fw)
{
	unsigned int r;

	/* without rings the connections cannot be served or restored */
	nfw_conn_reset_all(fw);
	for (r = 0; r < CHW_NUM_RINGS; r++)
		nfw_ring_disable(&fw->ring[r]);
	fw->enabled = false;
	nfw_and(&fw->status_reg, ~CHW_STATUS_ENABLED);
}

static void nfw_control(struct nfw *fw)
{
	bool want = nfw_load(&fw->ctrl_reg) & CHW_CTRL_ENABLE;

	if (want && !fw->enabled)
		nfw_enable(fw);
	else if (!want && fw->enabled)
		nfw_disable(fw);
}

unsigned int nfw_run(struct nfw *fw)
{
	uint32_t pend = nfw_xchg(&fw->pending, 0);
	unsigned int ret = 0;

	if (pend & NFW_PEND_RESET) {
		uint32_t link = nfw_load(&fw->link_up);

		nfw_reset(fw);
		nfw_store(&fw->link_up, link);
		return 0;
	}
	if (nfw_load(&fw->fault_reg)) {
		fw->failed = true;
		return 0;
	}
	if (pend & NFW_PEND_CTRL)
		nfw_control(fw);
	if (pend & NFW_PEND_LINK) {
		nfw_or(&fw->irq_cause, CHW_IRQ_MISC);
		nfw_irq_batch(fw, CHW_VEC_MISC);
	}
	/* a run per burst of frames: each step is skipped when idle */
	if (fw->enabled) {
		uint32_t rings = pend & (NFW_PEND_RING(CHW_NUM_RINGS) - 1);

		for (; rings; rings &= rings - 1)
			nfw_ring_doorbell(fw, __builtin_ctz(rings));
		if (pend & NFW_PEND_RING(CHW_RING_RX))
			ret |= NFW_RUN_RX_READY;
		if (pend & NFW_PEND_RESOURCE)
			fw->res_dirty = true;
		if (nfw_ring_pending(&fw->ring[CHW_RING_TX]))
			nfw_tx_run(fw);
		/* news to post, or memory short: victims to ask back */
		if (fw->ev_list || fw->res_dirty || nfw_pressure_low(fw))
			nfw_conn_flush_events(fw);
		if (nfw_ring_pending(&fw->ring[CHW_RING_CMD])) {
			nfw_cmd_run(fw);
			if (fw->ev_list || fw->res_dirty)
				nfw_conn_flush_events(fw);
		}
	}
	if (fw->irq_batch)
		nfw_irq_flush(fw);
	if (nfw_load(&fw->pending))
		ret |= NFW_RUN_AGAIN;
	return ret;
}

void nfw_timer(struct nfw *fw)
{
	if (!fw->enabled || fw->failed)
		return;
	nfw_tcp_timers(fw, nfw_now_ms(fw));
	nfw_conn_flush_events(fw);
	nfw_irq_flush(fw);
}

uint64_t nfw_next_deadline_ns(struct nfw *fw)
{
	uint64_t ms;

	if (!fw->enabled || fw->failed)
		return UINT64_MAX;
	ms = nfw_tcp_next_deadline(fw);
	return ms == UINT64_MAX ? ms : ms * 1000000;
}
