// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_csum.c - the Internet checksum (RFC 1071) as the NIC computes it:
 * inserted for the host's CHECKSUM_PARTIAL frames, verified on receive.
 */
#include "nfw_priv.h"
#include "nfw_pkt.h"

static inline uint64_t nfw_add_carry(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

/*
 * Add len bytes at data to a one's-complement accumulator (the sum of
 * big-endian 16-bit words).  The sum is independent of byte order (RFC
 * 1071 2.(B)), so the words are added eight bytes at a time in the CPU's
 * order and the folded result swapped once.  Only the last call of a
 * chain may have an odd length.
 */
uint32_t nfw_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0, w[4];
	uint32_t r;

	for (; len >= 32; p += 32, len -= 32) {
		memcpy(w, p, 32);
		acc = nfw_add_carry(acc, w[0]);
		acc = nfw_add_carry(acc, w[1]);
		acc = nfw_add_carry(acc, w[2]);
		acc = nfw_add_carry(acc, w[3]);
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(w, p, 8);
		acc = nfw_add_carry(acc, w[0]);
	}
	if (len) {
		w[0] = 0;
		memcpy(w, p, len);
		acc = nfw_add_carry(acc, w[0]);
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	r = (uint32_t)acc;
	r = (r & 0xffff) + (r >> 16);
	r = (r & 0xffff) + (r >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	r = ((r >> 8) | (r << 8)) & 0xffff;
#endif
	sum += r;
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

uint16_t nfw_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Fill in the checksum of [start, len) at start + off, the way Linux's
 * CHECKSUM_PARTIAL asks: the field already holds the pseudo-header sum.
 * A UDP checksum of zero is sent as 0xffff (RFC 768).
 */
int nfw_csum_insert(uint8_t *frame, size_t len, unsigned int start,
		    unsigned int off)
{
	uint16_t csum;

	if (start >= len || off + 2 > len - start)
		return -1;
	csum = ~nfw_csum_fold(nfw_csum_add(0, frame + start, len - start));
	if (csum == 0 && off == 6)
		csum = 0xffff;
	frame[start + off] = csum >> 8;
	frame[start + off + 1] = csum & 0xff;
	return 0;
}

/* Sum of the pseudo-header for an L4 segment of l4_len bytes. */
uint32_t nfw_csum_pseudo(const struct nfw_pkt *pkt, uint32_t l4_len)
{
	const uint8_t *l3 = pkt->frame + pkt->l3_off;
	uint32_t sum;

	if (pkt->v6)
		sum = nfw_csum_add(0, l3 + 8, 32);
	else
		sum = nfw_csum_add(0, l3 + 12, 8);
	sum += pkt->proto;
	sum += l4_len >> 16;
	sum += l4_len & 0xffff;
	return sum;
}

/*
 * True if the frame is TCP or UDP over IPv4/IPv6 (unfragmented) and its
 * L4 checksum is right: the host may then skip verifying it.
 */
bool nfw_csum_verify_l4(const uint8_t *frame, size_t len)
{
	struct nfw_pkt pkt;
	uint32_t l4_len, sum;

	if (nfw_pkt_parse(&pkt, frame, len) < 0 || pkt.frag)
		return false;
	if (pkt.proto != NFW_IPPROTO_TCP && pkt.proto != NFW_IPPROTO_UDP)
		return false;
	l4_len = pkt.l3_end - pkt.l4_off;
	if (pkt.proto == NFW_IPPROTO_UDP && l4_len >= 8 &&
	    frame[pkt.l4_off + 6] == 0 && frame[pkt.l4_off + 7] == 0)
		return !pkt.v6;	/* no checksum: allowed on IPv4 only */
	sum = nfw_csum_pseudo(&pkt, l4_len);
	sum = nfw_csum_add(sum, frame + pkt.l4_off, l4_len);
	return nfw_csum_fold(sum) == 0xffff;
}
