// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_tx.c - the host stack's transmit path: gather a frame's fragments,
 * insert its checksum or cut it into MSS-sized segments (TSO), send it.
 *
 * A frame the NIC cannot send (a fragment outside guest RAM, a frame too
 * long, offload fields that do not fit the headers) is refused: its EOP
 * descriptor is written back with CHW_DESC_ERR, it is counted, and the
 * ring goes on with the next frame.
 */
#include "nfw_priv.h"
#include "nfw_pkt.h"

/*
 * Cut one TCP frame of up to 64 KiB into segments of at most mss payload
 * bytes, each with its own IP length, IPv4 id and checksum, TCP sequence
 * number and checksum.  FIN and PSH stay on the last segment, CWR on the
 * first.  Returns the number of segments sent, or -1 if the headers do not
 * describe a TCP frame that can be segmented.
 */
int nfw_tso_segment(struct nfw *fw, uint8_t *frame, size_t len,
		    unsigned int l4_off, unsigned int mss)
{
	struct nfw_pkt pkt;
	unsigned int hdr_len, payload, off, nseg = 0;
	uint32_t seq;
	uint16_t ip_id;
	uint8_t flags;

	if (nfw_pkt_parse(&pkt, frame, len) < 0 || pkt.frag ||
	    pkt.proto != NFW_IPPROTO_TCP || pkt.l4_off != l4_off ||
	    (size_t)pkt.l4_off + 20 > len || mss == 0)
		return -1;
	hdr_len = l4_off + (frame[l4_off + 12] >> 4) * 4;
	if (hdr_len < l4_off + 20 || hdr_len > len ||
	    pkt.l3_end != len)
		return -1;
	payload = len - hdr_len;
	seq = nfw_get_be32(frame + l4_off + 4);
	flags = frame[l4_off + 13];
	ip_id = pkt.v6 ? 0 : nfw_get_be16(frame + pkt.l3_off + 4);

	for (off = 0; off < payload || (payload == 0 && nseg == 0);
	     off += mss) {
		unsigned int chunk = payload - off < mss ? payload - off : mss;
		bool last = off + chunk >= payload;
		uint8_t *seg = fw->seg;
		uint8_t *ip = seg + pkt.l3_off;
		uint8_t *th = seg + l4_off;
		uint32_t sum;

		memcpy(seg, frame, hdr_len);
		memcpy(seg + hdr_len, frame + hdr_len + off, chunk);
		if (pkt.v6) {
			nfw_put_be16(ip + 4, hdr_len - pkt.l3_off - 40 + chunk);
		} else {
			nfw_put_be16(ip + 2, hdr_len - pkt.l3_off + chunk);
			nfw_put_be16(ip + 4, ip_id + nseg);
			nfw_put_be16(ip + 10, 0);
			nfw_put_be16(ip + 10, ~nfw_csum_fold(
				nfw_csum_add(0, ip, l4_off - pkt.l3_off)));
		}
		nfw_put_be32(th + 4, seq + off);
		th[13] = flags;
		if (!last)
			th[13] &= ~(NFW_TCP_FIN | NFW_TCP_PSH);
		if (nseg)
			th[13] &= ~NFW_TCP_CWR;
		nfw_put_be16(th + 16, 0);
		/* the addresses in frame are the segment's too */
		sum = nfw_csum_pseudo(&pkt, hdr_len - l4_off + chunk);
		sum = nfw_csum_add(sum, th, hdr_len - l4_off + chunk);
		nfw_put_be16(th + 16, ~nfw_csum_fold(sum));

		fw->ops.tx_frame(fw->opaque, seg, hdr_len + chunk);
		nseg++;
		if (last)
			break;
	}
	return nseg;
}

/* Gather the fragments [head, eop] into fw->frame.  Returns its length. */
static long nfw_tx_gather(struct nfw *fw, uint32_t eop, bool *bad)
{
	struct nfw_ring *ring = &fw->ring[CHW_RING_TX];
	size_t len = 0;
	uint32_t idx;

	for (idx = ring->head; idx != eop + 1; idx++) {
		const struct chw_tx_desc *d = nfw_ring_peek(fw, CHW_RING_TX,
							    idx);
		uint64_t addr;
		uint16_t flen;

		if (!d)
			return -1;
		addr = nfw_le64(d->addr);
		flen = nfw_le16(d->len);
		if (*bad)
			continue;
		if (flen == 0 || len + flen > CHW_TX_MAX_FRAME) {
			nfw_log(fw, "tx: fragment length %u (frame %zu)", flen,
				len);
			*bad = true;
			continue;
		}
		if (fw->ops.dma_read(fw->opaque, addr, fw->frame + len,
				     flen)) {
			nfw_dma_error(fw, addr, flen, "tx");
			*bad = true;
			continue;
		}
		len += flen;
	}
	return len;
}

static bool nfw_tx_frame(struct nfw *fw, const struct chw_tx_desc *first,
			 size_t len)
{
	uint8_t flags = first->flags;

	if (len < NFW_ETH_HLEN)
		return false;
	if (flags & CHW_TX_TSO) {
		int n = nfw_tso_segment(fw, fw->frame, len, first->csum_start,
					nfw_le16(first->mss));

		if (n < 0)
			return false;
		nfw_stat_add(fw, CHW_STAT_TX_TSO_SEGS, n);
		nfw_stat_add(fw, CHW_STAT_TX_FRAMES, n);
		nfw_stat_add(fw, CHW_STAT_TX_BYTES, len);
		return true;
	}
	if (flags & CHW_TX_CSUM) {
		if (nfw_csum_insert(fw->frame, len, first->csum_start,
				    first->csum_off))
			return false;
		nfw_stat_add(fw, CHW_STAT_TX_CSUM, 1);
	}
	fw->ops.tx_frame(fw->opaque, fw->frame, len);
	nfw_stat_add(fw, CHW_STAT_TX_FRAMES, 1);
	nfw_stat_add(fw, CHW_STAT_TX_BYTES, len);
	return true;
}

/* Find the EOP descriptor of the frame at head; false if not produced. */
static bool nfw_tx_find_eop(struct nfw *fw, uint32_t *eop, bool *too_long)
{
	struct nfw_ring *ring = &fw->ring[CHW_RING_TX];
	uint32_t idx;

	*too_long = false;
	for (idx = ring->head; idx != ring->tail; idx++) {
		const struct chw_tx_desc *d = nfw_ring_peek(fw, CHW_RING_TX,
							    idx);

		if (!d)
			return false;
		if ((d->flags & CHW_TX_EOP) ||
		    idx - ring->head + 1 == CHW_TX_MAX_FRAGS) {
			*too_long = !(d->flags & CHW_TX_EOP);
			*eop = idx;
			return true;
		}
	}
	return false;
}

static void nfw_tx_ring_broken(struct nfw *fw)
{
	nfw_or(&fw->status_reg, CHW_STATUS_RING_ERR);
	nfw_stat_add(fw, CHW_STAT_RING_ERRORS, 1);
	nfw_ring_disable(&fw->ring[CHW_RING_TX]);
}

void nfw_tx_run(struct nfw *fw)
{
	struct nfw_ring *ring = &fw->ring[CHW_RING_TX];
	bool sent = false;

	while (ring->size && nfw_ring_pending(ring)) {
		struct chw_tx_desc first;
		uint32_t eop;
		bool bad, ok;
		long len;
		uint8_t status;
		const void *d = nfw_ring_peek(fw, CHW_RING_TX, ring->head);

		if (!d) {
			nfw_tx_ring_broken(fw);
			break;
		}
		memcpy(&first, d, sizeof(first));
		if (!nfw_tx_find_eop(fw, &eop, &bad))
			break;	/* the rest of the frame is not posted yet */
		if (bad)
			nfw_log(fw, "tx: frame of %u fragments without EOP",
				CHW_TX_MAX_FRAGS);
		len = nfw_tx_gather(fw, eop, &bad);
		if (len < 0) {
			nfw_tx_ring_broken(fw);
			break;
		}
		ok = !bad && nfw_tx_frame(fw, &first, len);
		if (!ok)
			nfw_stat_add(fw, CHW_STAT_TX_ERRORS, 1);

		status = CHW_DESC_DONE | (ok ? 0 : CHW_DESC_ERR);
		if (fw->ops.dma_write(fw->opaque,
				      nfw_ring_entry_addr(ring, eop) +
				      offsetof(struct chw_tx_desc, status),
				      &status, 1))
			nfw_dma_error(fw, nfw_ring_entry_addr(ring, eop), 1,
				      "tx writeback");
		ring->head = eop + 1;
		sent = true;
	}
	if (sent) {
		nfw_ring_publish_head(ring);
		nfw_irq_batch(fw, CHW_VEC_TX);
	}
}
