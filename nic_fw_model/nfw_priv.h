/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * nfw_priv.h - the firmware's private state and helpers.
 */
#ifndef NFW_PRIV_H
#define NFW_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <endian.h>

#include "nfw.h"
#include "nfw_pkt.h"
#include "../handoff_if/chw_abi.h"

/* Values shared with MMIO threads go through these. */
#define nfw_load(p)		__atomic_load_n((p), __ATOMIC_SEQ_CST)
#define nfw_store(p, v)		__atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define nfw_or(p, v)		__atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define nfw_and(p, v)		__atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define nfw_xchg(p, v)		__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
/* Order DMA writes the host may observe (descriptor before status). */
#define nfw_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)

/* Pending work flags, set by MMIO writes, taken by nfw_run(). */
#define NFW_PEND_RING(r)	(1u << (r))
#define NFW_PEND_CTRL		(1u << 8)
#define NFW_PEND_RESET		(1u << 9)
#define NFW_PEND_LINK		(1u << 10)
#define NFW_PEND_RESOURCE	(1u << 11)	/* announce what is free */

/* Every ring entry (descriptor, command, event) is 16 bytes. */
#define NFW_ENTRY_SIZE		16

/* Descriptors read from host memory in one DMA, per ring. */
#define NFW_DESC_BATCH		32

/*
 * A ring as the firmware sees it.  The registers the host writes live in
 * the *_reg fields (atomics); base and size are latched at enable time so
 * the host cannot move a live ring under the firmware.
 */
struct nfw_ring {
	uint32_t base_lo_reg, base_hi_reg, size_reg;	/* host-written */
	uint32_t tail_reg;				/* doorbell */
	uint32_t head_reg;				/* published head */

	uint64_t base;		/* latched DMA address */
	uint32_t size;		/* latched entries, 0: ring off */
	uint32_t head;		/* firmware's index */
	uint32_t tail;		/* last valid doorbell */

	/* descriptor cache: entries [cache_idx, cache_idx + cache_n) */
	uint32_t cache_idx;
	uint32_t cache_n;
	_Alignas(16) uint8_t cache[NFW_DESC_BATCH][16];
};

struct nfw {
	struct nfw_config cfg;
	struct nfw_ops ops;
	void *opaque;

	/* register file: written by MMIO threads, read by the firmware */
	uint32_t ctrl_reg;
	uint32_t conn_limit_reg;	/* CHW_REG_CONN_LIMIT */
	uint32_t status_reg;
	uint32_t pending;		/* NFW_PEND_* */
	uint32_t irq_cause;		/* CHW_IRQ_* seen, W1C */
	uint32_t irq_armed;		/* vectors allowed to fire once */
	uint32_t irq_want;		/* vectors with news not yet signalled */
	uint32_t irq_mask;		/* vectors the host disabled */
	uint32_t link_up;
	uint32_t fault_reg;		/* CHW_FAULT_* injected, 0 none */
	uint64_t stats[CHW_STAT_COUNT];

	/* firmware-thread state */
	bool enabled;
	bool failed;			/* fault injected: serve nothing */
	uint32_t irq_batch;		/* vectors to notify at end of run */
	struct nfw_ring ring[CHW_NUM_RINGS];

	uint8_t *frame;			/* TX gather buffer */
	uint8_t *seg;			/* one TSO segment */

	/* offloaded connections: nfw_conn.c */
	struct nfw_conn *conns;		/* cfg.max_conns slots */
	uint16_t *gen;			/* per slot, survives free */
	uint32_t *free_slot;		/* stack of free slots */
	uint32_t nfree;
	struct nfw_conn **hash;		/* 4-tuple buckets */
	uint32_t hash_mask;
	uint64_t mem_total, mem_used;	/* the NIC memory budget */
	struct nfw_conn *ev_list;	/* connections with news */
	struct nfw_conn **ev_tail;
	bool res_dirty;			/* resources changed: tell the OS */
	uint64_t pressure_next_ms;	/* nfw_pressure.c: next evaluation */
	uint64_t pressure_asked;	/* restores asked for want of memory */
	uint64_t pressure_asked_ms;	/* when last asked, 0 never */
	uint64_t now_ms;		/* clock at the start of this run */
	uint8_t *pkt;			/* scratch for one TCP segment */
	struct nfw_conn *rx_last;	/* the last frame's connection */
};

/* little-endian helpers for ABI fields */
static inline uint16_t nfw_le16(uint16_t v) { return le16toh(v); }
static inline uint32_t nfw_le32(uint32_t v) { return le32toh(v); }
static inline uint64_t nfw_le64(uint64_t v) { return le64toh(v); }

static inline void nfw_stat_add(struct nfw *fw, enum chw_stat idx,
				uint64_t n)
{
	__atomic_fetch_add(&fw->stats[idx], n, __ATOMIC_RELAXED);
}

/* The firmware's clock in ms: read for every segment, so inline. */
static inline uint64_t nfw_now_ms(struct nfw *fw)
{
	return fw->ops.now_ns(fw->opaque) / 1000000;
}

void nfw_log(struct nfw *fw, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* nfw_irq.c */
void nfw_irq_notify(struct nfw *fw, unsigned int vec);
void nfw_irq_arm(struct nfw *fw, uint32_t vecs);
static inline void nfw_irq_batch(struct nfw *fw, unsigned int vec)
{
	fw->irq_batch |= 1u << vec;
}
void nfw_irq_flush(struct nfw *fw);

/* nfw_ring.c */
bool nfw_ring_enable(struct nfw *fw, unsigned int r);
void nfw_ring_disable(struct nfw_ring *ring);
void nfw_ring_doorbell(struct nfw *fw, unsigned int r);
/* Entries the host produced that the firmware has not consumed. */
static inline uint32_t nfw_ring_pending(const struct nfw_ring *ring)
{
	return ring->tail - ring->head;
}
const void *nfw_ring_peek(struct nfw *fw, unsigned int r, uint32_t idx);
static inline uint64_t nfw_ring_entry_addr(const struct nfw_ring *ring,
					   uint32_t idx)
{
	return ring->base + (uint64_t)(idx & (ring->size - 1)) *
			    NFW_ENTRY_SIZE;
}
static inline void nfw_ring_publish_head(struct nfw_ring *ring)
{
	nfw_store(&ring->head_reg, ring->head);
}
void nfw_dma_error(struct nfw *fw, uint64_t addr, size_t len,
		   const char *what);

/* nfw_csum.c: see nfw_pkt.h */

/* nfw_tx.c */
void nfw_tx_run(struct nfw *fw);
int nfw_tso_segment(struct nfw *fw, uint8_t *frame, size_t len,
		    unsigned int l4_off, unsigned int mss);

/* nfw_rx.c: see nfw_rx_frame() in nfw.h */

/* nfw_ev.c */
/* Free event slots (none while the ring is off). */
static inline uint32_t nfw_ev_space(const struct nfw *fw)
{
	const struct nfw_ring *ring = &fw->ring[CHW_RING_EV];

	if (!ring->size)
		return 0;
	return ring->size - (ring->head - ring->tail);
}
bool nfw_ev_post(struct nfw *fw, const void *msg);

/* nfw_cmd.c */
void nfw_cmd_run(struct nfw *fw);
void nfw_cmd_done(struct nfw *fw, uint32_t idx, uint8_t op, uint8_t status,
		  uint32_t cid, uint32_t val);
#define NFW_EV_RESERVE	8	/* event slots a command may need */

#endif /* NFW_PRIV_H */
