// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_pkt.c - header parsing shared by TX offloads and RX verification.
 * Every length is checked against the frame before it is trusted: frames
 * come from the wire and from the host, and either may be malformed.
 */
#include "nfw_pkt.h"

int nfw_pkt_parse(struct nfw_pkt *pkt, const uint8_t *frame, size_t len)
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
			    pkt->proto != NFW_IPPROTO_UDP;
		pkt->l4_off = off + 40;
		pkt->l3_end = off + 40 + plen;
		return 0;
	}
	return -1;
}
