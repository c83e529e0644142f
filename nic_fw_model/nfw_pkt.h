/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * nfw_pkt.h - parsing of the Ethernet/IP/TCP headers the NIC looks at.
 */
#ifndef NFW_PKT_H
#define NFW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NFW_ETH_HLEN		14
#define NFW_ETH_P_IP		0x0800
#define NFW_ETH_P_IPV6		0x86dd
#define NFW_ETH_P_8021Q		0x8100
#define NFW_IPPROTO_TCP		6
#define NFW_IPPROTO_UDP		17
#define NFW_IPPROTO_ICMP	1
#define NFW_IPPROTO_ICMPV6	58

#define NFW_TCP_FIN		0x01
#define NFW_TCP_SYN		0x02
#define NFW_TCP_RST		0x04
#define NFW_TCP_PSH		0x08
#define NFW_TCP_ACK		0x10
#define NFW_TCP_URG		0x20
#define NFW_TCP_ECE		0x40
#define NFW_TCP_CWR		0x80

/* Where the layers of a frame start; filled by nfw_pkt_parse(). */
struct nfw_pkt {
	const uint8_t *frame;
	size_t len;
	uint16_t l3_off;	/* IP header */
	uint16_t l4_off;	/* TCP/UDP header */
	uint16_t l3_end;	/* end of the IP datagram (padding excluded) */
	uint8_t proto;		/* L4 protocol */
	bool v6;
	bool frag;		/* an IPv4 fragment (or v6 with ext headers) */
};


static inline uint16_t nfw_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t nfw_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/*
 * Parse Ethernet (optionally one VLAN tag), IPv4 or IPv6 (no extension
 * headers) up to the L4 header.  Returns 0, or -1 for a frame that is not
 * IP or whose lengths do not hold together.  Every length is checked
 * against the frame before it is trusted: frames come from the wire and
 * from the host, and either may be malformed.  Inline, because every
 * frame from the wire is parsed first.
 */
static inline int nfw_pkt_parse(struct nfw_pkt *pkt, const uint8_t *frame,
				size_t len)
{
	size_t off = NFW_ETH_HLEN;
	uint16_t type;

	pkt->frame = frame;
	pkt->len = len;
	pkt->frag = false;
	if (len < NFW_ETH_HLEN)
		return -1;
	type = nfw_get_be16(frame + 12);
	if (type == NFW_ETH_P_8021Q) {
		if (len < NFW_ETH_HLEN + 4)
			return -1;
		type = nfw_get_be16(frame + 16);
		off += 4;
	}
	pkt->l3_off = off;

	if (type == NFW_ETH_P_IP) {
		const uint8_t *ip = frame + off;
		unsigned int ihl, tot;

		if (len < off + 20 || (ip[0] >> 4) != 4)
			return -1;
		ihl = (ip[0] & 0xf) * 4;
		tot = nfw_get_be16(ip + 2);
		if (ihl < 20 || tot < ihl || off + tot > len)
			return -1;
		pkt->v6 = false;
		pkt->proto = ip[9];
		pkt->frag = (nfw_get_be16(ip + 6) & 0x3fff) != 0;
		pkt->l4_off = off + ihl;
		pkt->l3_end = off + tot;
		return 0;
	}
	if (type == NFW_ETH_P_IPV6) {
		const uint8_t *ip6 = frame + off;
		unsigned int plen;

		if (len < off + 40 || (ip6[0] >> 4) != 6)
			return -1;
		plen = nfw_get_be16(ip6 + 4);
		if (off + 40 + plen > len)
			return -1;
		pkt->v6 = true;
		pkt->proto = ip6[6];
		/* extension headers: not parsed, so not trusted */
		pkt->frag = pkt->proto != NFW_IPPROTO_TCP &&
			    pkt->proto != NFW_IPPROTO_UDP &&
			    pkt->proto != NFW_IPPROTO_ICMPV6;
		pkt->l4_off = off + 40;
		pkt->l3_end = off + 40 + plen;
		return 0;
	}
	return -1;
}

static inline void nfw_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void nfw_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/*
 * nfw_csum.c: the Internet checksum (RFC 1071).
 *
 * Two forms.  nfw_csum_add() keeps a 32-bit sum of big-endian words, for
 * code that mixes in numbers.  The hot paths keep a running sum in the
 * CPU's byte order instead (nfw_csum_acc(), one fold at the end), adding
 * header fields to it with nfw_csum_word(); every chunk but the last must
 * have an even length.
 */
uint64_t nfw_csum_acc(uint64_t acc, const void *data, size_t len);

/*
 * The 16-bit sum, in network order as a number, of a running sum.  Each
 * halving adds the value to itself rotated by half its width: the upper
 * half then holds the sum of both halves with its end-around carry (the
 * fold Linux's csum_fold() and csum_from64() do).
 */
static inline uint16_t nfw_csum_acc_fold(uint64_t acc)
{
	uint32_t r = (acc + (acc >> 32 | acc << 32)) >> 32;

	r = (r + (r >> 16 | r << 16)) >> 16;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16((uint16_t)r);
#else
	return (uint16_t)r;
#endif
}

/* Add v to a running sum, the carry going around. */
static inline uint64_t nfw_csum_plus(uint64_t acc, uint64_t v)
{
	acc += v;
	return acc + (acc < v);
}

/* A 16-bit number as the running sum sees it (it lies big-endian in
 * the packet, so on a little-endian CPU the sum sees it swapped). */
static inline uint64_t nfw_csum_word(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

/* The same for a 32-bit number: its two big-endian words. */
static inline uint64_t nfw_csum_word32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

uint32_t nfw_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t nfw_csum_fold(uint32_t sum);
uint32_t nfw_csum_pseudo(const struct nfw_pkt *pkt, uint32_t l4_len);
bool nfw_csum_verify_l4(const uint8_t *frame, size_t len);
int nfw_csum_insert(uint8_t *frame, size_t len, unsigned int start,
		    unsigned int off);

/* The pseudo-header of pkt's L4 segment of l4_len bytes, as a running sum. */
static inline uint64_t nfw_csum_pseudo_acc(const struct nfw_pkt *pkt,
					   uint32_t l4_len)
{
	const uint8_t *l3 = pkt->frame + pkt->l3_off;
	uint64_t acc = nfw_csum_word(pkt->proto) + nfw_csum_word32(l4_len);
	uint32_t src, dst;

	if (pkt->v6)
		return nfw_csum_acc(acc, l3 + 8, 32);
	memcpy(&src, l3 + 12, 4);
	memcpy(&dst, l3 + 16, 4);
	return acc + src + dst;		/* no carry out of 2^34 */
}

/*
 * True if the L4 checksum of a parsed, unfragmented frame is right.
 * Inline: every segment of an offloaded connection is checked here.
 */
static inline bool nfw_csum_l4_ok(const struct nfw_pkt *pkt)
{
	uint32_t l4_len = pkt->l3_end - pkt->l4_off;
	uint64_t acc = nfw_csum_pseudo_acc(pkt, l4_len);

	acc = nfw_csum_acc(acc, pkt->frame + pkt->l4_off, l4_len);
	return nfw_csum_acc_fold(acc) == 0xffff;
}

#endif /* NFW_PKT_H */
