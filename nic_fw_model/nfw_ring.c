// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_ring.c - descriptor rings in host memory: latching, doorbells and a
 * small cache so that a burst of descriptors costs one DMA read.
 */
#include "nfw_priv.h"

static const char *const nfw_ring_name[CHW_NUM_RINGS] = {
	[CHW_RING_TX] = "tx", [CHW_RING_RX] = "rx",
	[CHW_RING_CMD] = "cmd", [CHW_RING_EV] = "ev",
};

void nfw_dma_error(struct nfw *fw, uint64_t addr, size_t len,
		   const char *what)
{
	nfw_stat_add(fw, CHW_STAT_DMA_ERRORS, 1);
	nfw_log(fw, "%s: DMA to 0x%llx+%zu refused: not guest RAM", what,
		(unsigned long long)addr, len);
}

/* Latch the host's ring registers.  A ring of size 0 stays off. */
bool nfw_ring_enable(struct nfw *fw, unsigned int r)
{
	struct nfw_ring *ring = &fw->ring[r];
	uint32_t size = nfw_load(&ring->size_reg);
	uint64_t base = (uint64_t)nfw_load(&ring->base_hi_reg) << 32 |
			nfw_load(&ring->base_lo_reg);

	nfw_ring_disable(ring);
	if (size == 0)
		return true;
	if (size < CHW_RING_MIN_SIZE || size > CHW_RING_MAX_SIZE ||
	    (size & (size - 1)) || (base & (NFW_ENTRY_SIZE - 1))) {
		nfw_log(fw, "%s ring: bad size %u or base 0x%llx",
			nfw_ring_name[r], size, (unsigned long long)base);
		return false;
	}
	ring->base = base;
	ring->size = size;
	return true;
}

void nfw_ring_disable(struct nfw_ring *ring)
{
	ring->base = 0;
	ring->size = 0;
	ring->head = 0;
	ring->tail = 0;
	ring->cache_n = 0;
	nfw_store(&ring->head_reg, 0);
	nfw_store(&ring->tail_reg, 0);
}

/*
 * Take the host's new index.  For the event ring it is the host's consumer
 * index and may trail our head by at most the ring size; for the others it
 * is the producer index and may lead our head by at most the ring size.
 * Anything else is a host bug: count it, flag it, keep the old index.
 */
void nfw_ring_doorbell(struct nfw *fw, unsigned int r)
{
	struct nfw_ring *ring = &fw->ring[r];
	uint32_t val = nfw_load(&ring->tail_reg);
	uint32_t span;

	if (!ring->size)
		return;
	span = (r == CHW_RING_EV) ? ring->head - val : val - ring->head;
	if (span > ring->size || (r == CHW_RING_EV &&
				  val - ring->tail > ring->size)) {
		nfw_stat_add(fw, CHW_STAT_RING_ERRORS, 1);
		nfw_or(&fw->status_reg, CHW_STATUS_RING_ERR);
		nfw_log(fw, "%s ring: doorbell %u out of range (head %u)",
			nfw_ring_name[r], val, ring->head);
		return;
	}
	ring->tail = val;
}

/*
 * The entry at idx, which must be produced (idx - head < pending).  Reads a
 * batch of entries up to the tail or the end of the ring in one DMA.
 * Returns NULL if the ring itself is not in guest RAM.
 */
const void *nfw_ring_peek(struct nfw *fw, unsigned int r, uint32_t idx)
{
	struct nfw_ring *ring = &fw->ring[r];
	uint32_t n, to_end;

	if (idx - ring->cache_idx < ring->cache_n)
		return ring->cache[idx - ring->cache_idx];

	n = ring->tail - idx;
	to_end = ring->size - (idx & (ring->size - 1));
	if (n > to_end)
		n = to_end;
	if (n > NFW_DESC_BATCH)
		n = NFW_DESC_BATCH;
	if (fw->ops.dma_read(fw->opaque, nfw_ring_entry_addr(ring, idx),
			     ring->cache, n * NFW_ENTRY_SIZE)) {
		ring->cache_n = 0;
		nfw_dma_error(fw, nfw_ring_entry_addr(ring, idx),
			      n * NFW_ENTRY_SIZE, nfw_ring_name[r]);
		return NULL;
	}
	ring->cache_idx = idx;
	ring->cache_n = n;
	return ring->cache[0];
}

