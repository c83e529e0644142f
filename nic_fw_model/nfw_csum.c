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

#if defined(__x86_64__) && !defined(NFW_CSUM_PORTABLE)
/* Add k quadwords at p to acc, carries going around: "addq; adcq...". */
#define NFW_ADC(off)	"adcq " #off "(%[p]), %[acc]\n\t"
#define NFW_ADC_CHAIN(k, body)						\
	__asm__("addq 0(%[p]), %[acc]\n\t" body "adcq $0, %[acc]"	\
		: [acc] "+r" (acc)					\
		: [p] "r" (p), "m" (*(const uint8_t (*)[8 * (k)])p)	\
		: "cc")

/*
 * Sum n quadwords at p into acc (end-around carry).  This is where
 * receive and send spend their checksum time, so it is one add-with-carry
 * per eight bytes, as Linux's csum_partial(): 128 bytes per turn of the
 * loop, whose lea and dec leave the carry alone, then what is left in
 * straight lines of 8, 4, 2 and 1.
 */
static uint64_t nfw_csum_words(uint64_t acc, const uint8_t *p, size_t n)
{
	size_t turns = n / 16;

	if (turns) {
		__asm__("clc\n"
			"1:\n\t"
			NFW_ADC(0) NFW_ADC(8) NFW_ADC(16) NFW_ADC(24)
			NFW_ADC(32) NFW_ADC(40) NFW_ADC(48) NFW_ADC(56)
			NFW_ADC(64) NFW_ADC(72) NFW_ADC(80) NFW_ADC(88)
			NFW_ADC(96) NFW_ADC(104) NFW_ADC(112) NFW_ADC(120)
			"lea 128(%[p]), %[p]\n\t"
			"dec %[n]\n\t"
			"jnz 1b\n\t"
			"adcq $0, %[acc]"
			: [acc] "+r" (acc), [p] "+r" (p), [n] "+r" (turns)
			: : "cc", "memory");	/* reads 128 * turns bytes */
	}
	if (n & 8) {
		NFW_ADC_CHAIN(8, NFW_ADC(8) NFW_ADC(16) NFW_ADC(24) NFW_ADC(32)
				 NFW_ADC(40) NFW_ADC(48) NFW_ADC(56));
		p += 64;
	}
	if (n & 4) {
		NFW_ADC_CHAIN(4, NFW_ADC(8) NFW_ADC(16) NFW_ADC(24));
		p += 32;
	}
	if (n & 2) {
		NFW_ADC_CHAIN(2, NFW_ADC(8));
		p += 16;
	}
	if (n & 1)
		NFW_ADC_CHAIN(1, "");
	return acc;
}
#else
/*
 * Elsewhere, 32-bit halves summed into 64 bits cannot overflow for any
 * frame we see, and need no carry at all.
 */
static uint64_t nfw_csum_words(uint64_t acc, const uint8_t *p, size_t n)
{
	uint64_t hi = 0, lo = 0;
	uint32_t w[2];

	for (; n; n--, p += 8) {
		memcpy(w, p, 8);
		lo += w[0];
		hi += w[1];
	}
	return nfw_add_carry(acc, nfw_add_carry(lo, hi));
}
#endif

/*
 * Add len bytes at data to a running sum in the CPU's byte order (see
 * nfw_pkt.h).  The one's-complement sum does not care which byte of a
 * word is high (RFC 1071 2.(B)), nor where a word sits in a wider add
 * (2^16 is 1 modulo 0xffff), so eight bytes at a time are added as they
 * lie in memory and the result is swapped once, when it is folded.  Every
 * piece of a chain but the last must have an even length.
 */
uint64_t nfw_csum_acc(uint64_t acc, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (len >= 8) {
		acc = nfw_csum_words(acc, p, len / 8);
		p += len & ~(size_t)7;
		len &= 7;
	}
	/* the tail in fixed-size pieces, each at an even offset */
	if (len & 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		acc = nfw_add_carry(acc, v);
		p += 4;
	}
	if (len & 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		acc = nfw_add_carry(acc, v);
		p += 2;
	}
	if (len & 1)	/* the high byte of a last, padded word */
		acc = nfw_add_carry(acc, nfw_csum_word((uint16_t)(*p << 8)));
	return acc;
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
