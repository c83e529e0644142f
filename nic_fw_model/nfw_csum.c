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
 * Sum n 64-byte blocks at p into acc (end-around carry).  This loop is
 * where receive and send spend their checksum time, so on x86-64 it is
 * one add-with-carry per eight bytes, as Linux's csum_partial does: the
 * carry of each add rides into the next and lea/dec leave it alone.
 * Elsewhere, 32-bit halves summed into 64 bits cannot overflow for any
 * frame we see, and need no carry at all.
 */
static uint64_t nfw_csum_blocks(uint64_t acc, const uint8_t *p, size_t n)
{
#if defined(__x86_64__) && !defined(NFW_CSUM_PORTABLE)
	if (!n)
		return acc;
	__asm__("clc\n"
		"1:\n\t"
		"adcq 0(%[p]), %[acc]\n\t"
		"adcq 8(%[p]), %[acc]\n\t"
		"adcq 16(%[p]), %[acc]\n\t"
		"adcq 24(%[p]), %[acc]\n\t"
		"adcq 32(%[p]), %[acc]\n\t"
		"adcq 40(%[p]), %[acc]\n\t"
		"adcq 48(%[p]), %[acc]\n\t"
		"adcq 56(%[p]), %[acc]\n\t"
		"lea 64(%[p]), %[p]\n\t"
		"dec %[n]\n\t"
		"jnz 1b\n\t"
		"adcq $0, %[acc]"
		: [acc] "+r" (acc), [p] "+r" (p), [n] "+r" (n)
		: "m" (*(const uint8_t (*)[n * 64])p)
		: "cc");
	return acc;
#else
	uint64_t hi = 0, lo = 0;
	uint32_t w[16];
	unsigned int i;

	for (; n; n--, p += 64) {
		memcpy(w, p, 64);
		for (i = 0; i < 16; i += 2) {
			lo += w[i];
			hi += w[i + 1];
		}
	}
	return nfw_add_carry(acc, nfw_add_carry(lo, hi));
#endif
}

/*
 * Add len bytes at data to a running sum in the CPU's byte order (see
 * nfw_pkt.h).  The one's-complement sum does not care which byte of a
 * word is high (RFC 1071 2.(B)), nor where a word sits in a wider add
 * (2^16 is 1 modulo 0xffff), so eight bytes at a time are added as they
 * lie in memory and the result is swapped once, when it is folded.
 */
uint64_t nfw_csum_acc(uint64_t acc, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t w;

	if (len >= 64) {
		acc = nfw_csum_blocks(acc, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		acc = nfw_add_carry(acc, w);
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		acc = nfw_add_carry(acc, w);
	}
	return acc;
}

/* The 16-bit sum, in network order as a number, of a running sum. */
uint16_t nfw_csum_acc_fold(uint64_t acc)
{
	uint32_t r;

	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	r = (uint32_t)acc;
	r = (r & 0xffff) + (r >> 16);
	r = (r & 0xffff) + (r >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	r = ((r >> 8) | (r << 8)) & 0xffff;
#endif
	return (uint16_t)r;
}

/*
 * Add len bytes at data to a one's-complement accumulator (the sum of
 * big-endian 16-bit words).  Only the last call of a chain may have an
 * odd length.
 */
uint32_t nfw_csum_add(uint32_t sum, const void *data, size_t len)
{
	sum += nfw_csum_acc_fold(nfw_csum_acc(0, data, len));
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

/* The pseudo-header of pkt's L4 segment of l4_len bytes, as a running sum. */
static uint64_t nfw_csum_pseudo_acc(const struct nfw_pkt *pkt, uint32_t l4_len)
{
	const uint8_t *l3 = pkt->frame + pkt->l3_off;
	uint64_t acc = nfw_csum_word(pkt->proto) + nfw_csum_word(l4_len >> 16) +
		       nfw_csum_word(l4_len & 0xffff);

	if (pkt->v6)
		return nfw_csum_acc(acc, l3 + 8, 32);
	return nfw_csum_acc(acc, l3 + 12, 8);
}

/* True if the L4 checksum of a parsed, unfragmented frame is right. */
bool nfw_csum_l4_ok(const struct nfw_pkt *pkt)
{
	uint32_t l4_len = pkt->l3_end - pkt->l4_off;
	uint64_t acc = nfw_csum_pseudo_acc(pkt, l4_len);

	acc = nfw_csum_acc(acc, pkt->frame + pkt->l4_off, l4_len);
	return nfw_csum_acc_fold(acc) == 0xffff;
}

/*
 * True if the frame is TCP or UDP over IPv4/IPv6 (unfragmented) and its
 * L4 checksum is right: the host may then skip verifying it.
 */
bool nfw_csum_verify_l4(const uint8_t *frame, size_t len)
{
	struct nfw_pkt pkt;
	uint32_t l4_len;

	if (nfw_pkt_parse(&pkt, frame, len) < 0 || pkt.frag)
		return false;
	if (pkt.proto != NFW_IPPROTO_TCP && pkt.proto != NFW_IPPROTO_UDP)
		return false;
	l4_len = pkt.l3_end - pkt.l4_off;
	if (pkt.proto == NFW_IPPROTO_UDP && l4_len >= 8 &&
	    frame[pkt.l4_off + 6] == 0 && frame[pkt.l4_off + 7] == 0)
		return !pkt.v6;	/* no checksum: allowed on IPv4 only */
	return nfw_csum_l4_ok(&pkt);
}
