// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_ev.c - the event ring, NIC to host.
 *
 * The host knows an entry is new by its phase bit (CHW_EV_PHASE in flags),
 * which flips each time the producer index wraps: the first pass over a
 * zeroed ring writes phase 1.  An entry is written with the old phase
 * first and its flags byte last, so the host never sees half an event.
 * The ring is never overrun: producers check nfw_ev_space() and wait for
 * the host's consumer doorbell instead of dropping.
 */
#include "nfw_priv.h"

static uint8_t nfw_ev_phase(const struct nfw_ring *ring, uint32_t idx)
{
	return (idx & ring->size) ? 0 : CHW_EV_PHASE;
}

/* Post one 16-byte event.  False if the ring is full or unreachable. */
bool nfw_ev_post(struct nfw *fw, const void *msg)
{
	struct nfw_ring *ring = &fw->ring[CHW_RING_EV];
	uint8_t ev[16];
	uint64_t at;
	uint8_t phase;

	if (!nfw_ev_space(fw))
		return false;
	at = nfw_ring_entry_addr(ring, ring->head);
	phase = nfw_ev_phase(ring, ring->head);
	memcpy(ev, msg, sizeof(ev));
	ev[1] = (ev[1] & ~CHW_EV_PHASE) | (phase ^ CHW_EV_PHASE);
	if (fw->ops.dma_write(fw->opaque, at, ev, sizeof(ev)))
		goto dma_error;
	nfw_wmb();
	ev[1] ^= CHW_EV_PHASE;
	if (fw->ops.dma_write(fw->opaque, at + 1, &ev[1], 1))
		goto dma_error;
	ring->head++;
	nfw_ring_publish_head(ring);
	nfw_stat_add(fw, CHW_STAT_EVENTS, 1);
	nfw_irq_batch(fw, CHW_VEC_EV);
	return true;

dma_error:
	nfw_dma_error(fw, at, sizeof(ev), "ev");
	nfw_or(&fw->status_reg, CHW_STATUS_RING_ERR);
	nfw_stat_add(fw, CHW_STAT_RING_ERRORS, 1);
	nfw_ring_disable(ring);
	return false;
}
