// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_rx.c - the host stack's receive path: place a frame from the wire in
 * the next RX buffer the host posted, with its checksum verified.
 */
#include "nfw_tcp.h"

/* Write back length and flags, then the status byte the host polls. */
static int nfw_rx_complete(struct nfw *fw, uint32_t idx, uint16_t pkt_len,
			   uint8_t flags, uint8_t status)
{
	struct nfw_ring *ring = &fw->ring[CHW_RING_RX];
	uint64_t at = nfw_ring_entry_addr(ring, idx);
	uint8_t wb[3];

	wb[0] = pkt_len & 0xff;
	wb[1] = pkt_len >> 8;
	wb[2] = flags;
	if (fw->ops.dma_write(fw->opaque,
			      at + offsetof(struct chw_rx_desc, pkt_len),
			      wb, sizeof(wb)))
		return -1;
	nfw_wmb();
	return fw->ops.dma_write(fw->opaque,
				 at + offsetof(struct chw_rx_desc, status),
				 &status, 1);
}

/*
 * A frame for the host stack: the next RX buffer it posted.  Kept out of
 * line so that offloaded segments, the hot path, do not pay its frame.
 */
static __attribute__((noinline)) bool nfw_rx_host(struct nfw *fw,
						  const void *frame,
						  size_t len)
{
	struct nfw_ring *ring = &fw->ring[CHW_RING_RX];

	while (nfw_ring_pending(ring)) {
		const struct chw_rx_desc *d = nfw_ring_peek(fw, CHW_RING_RX,
							    ring->head);
		uint32_t idx = ring->head;
		uint64_t addr;
		uint16_t buf_len;
		uint8_t flags = 0;

		if (!d) {
			nfw_or(&fw->status_reg, CHW_STATUS_RING_ERR);
			nfw_stat_add(fw, CHW_STAT_RING_ERRORS, 1);
			nfw_ring_disable(ring);
			return true;
		}
		addr = nfw_le64(d->addr);
		buf_len = nfw_le16(d->buf_len);
		if (len > buf_len) {
			/* the host sized its buffers for its MTU */
			nfw_stat_add(fw, CHW_STAT_RX_DROPS, 1);
			return true;
		}
		ring->head++;
		nfw_ring_publish_head(ring);
		nfw_irq_batch(fw, CHW_VEC_RX);
		if (fw->ops.dma_write(fw->opaque, addr, frame, len)) {
			/* a bad buffer: give it back refused, try the next */
			nfw_dma_error(fw, addr, len, "rx buffer");
			nfw_stat_add(fw, CHW_STAT_RX_ERRORS, 1);
			if (nfw_rx_complete(fw, idx, 0, 0,
					    CHW_DESC_DONE | CHW_DESC_ERR))
				nfw_dma_error(fw, addr, 1, "rx writeback");
			continue;
		}
		if (nfw_csum_verify_l4(frame, len)) {
			flags |= CHW_RX_CSUM_OK;
			nfw_stat_add(fw, CHW_STAT_RX_CSUM_OK, 1);
		}
		if (nfw_rx_complete(fw, idx, len, flags, CHW_DESC_DONE)) {
			nfw_dma_error(fw, addr, 1, "rx writeback");
			continue;
		}
		nfw_stat_add(fw, CHW_STAT_RX_FRAMES, 1);
		nfw_stat_add(fw, CHW_STAT_RX_BYTES, len);
		return true;
	}
	nfw_stat_add(fw, CHW_STAT_RX_NO_BUF, 1);
	return false;
}

bool nfw_rx_frame(struct nfw *fw, const void *frame, size_t len)
{
	if (!fw->enabled || fw->failed || !fw->ring[CHW_RING_RX].size ||
	    !nfw_load(&fw->link_up))
		return true;	/* a stopped NIC drops what arrives */

	/* the lookup layer: offloaded connections' segments go to TCP */
	if (nfw_tcp_rx(fw, frame, len))
		return true;
	return nfw_rx_host(fw, frame, len);
}
