// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* fw_conn.c - see fw_conn.h. */
#include <stdlib.h>
#include <string.h>

#include "fw_conn.h"
#include "../nfw_pkt.h"

void fw_conn_drain(struct fw_host *h)
{
	struct chw_msg ev;
	int i;

	for (i = 0; i < 8; i++) {
		nfw_timer(h->fw);
		nfw_run(h->fw);
		while (host_next_event(h, &ev))
			;
	}
	host_clear_frames(h);
}

void fw_conn_events(struct fw_host *h)
{
	struct chw_msg ev;

	nfw_run(h->fw);
	while (host_next_event(h, &ev))
		;
	nfw_run(h->fw);
}

uint32_t fw_conn_setup(struct fw_host *h)
{
	uint64_t addr, data;
	struct chw_conn_state *st;
	struct chw_send_range *r;
	struct chw_cmd_handoff m = { .op = CHW_OP_HANDOFF };
	struct chw_cmd_post p = { .op = CHW_OP_POST };
	struct chw_msg ev;
	uint32_t cid = CHW_CID_NONE;

	host_init(h, 16, 16, 64, 256);
	if (!host_enable(h))
		abort();
	addr = host_alloc(h, 4096);
	data = host_alloc(h, 8192);
	st = host_ptr(h, addr);
	memset(st, 0, sizeof(*st));
	st->version = htole16(CHW_STATE_VERSION);
	st->hdr_len = htole16(sizeof(*st));
	st->nr_send = htole16(1);
	st->family = 4;
	st->tcp_state = 1;
	memcpy(st->local_mac, "\x52\x54\x00\x12\x34\x56", 6);
	memcpy(st->peer_mac, "\x52\x54\x00\x00\x00\x01", 6);
	st->mtu = htole16(1500);
	st->mss = htole16(1448);
	memcpy(st->local_addr, CONN_LADDR, 4);
	memcpy(st->peer_addr, CONN_PADDR, 4);
	st->local_port = htobe16(CONN_LPORT);
	st->peer_port = htobe16(CONN_PPORT);
	st->opt = CHW_OPT_SACK | CHW_OPT_TS | CHW_OPT_WSCALE;
	st->snd_wscale = 7;
	st->rcv_wscale = 7;
	st->snd_una = htole32(CONN_SND_UNA);
	st->snd_nxt = htole32(CONN_SND_UNA + 4096);
	st->write_seq = htole32(CONN_SND_UNA + 8192);
	st->snd_wnd = htole32(65536);
	st->max_window = htole32(65536);
	st->rcv_nxt = htole32(CONN_RCV_NXT);
	st->rcv_wnd = htole32(65536);
	st->rcv_wup = htole32(CONN_RCV_NXT);
	st->copied_seq = htole32(CONN_RCV_NXT);
	st->rcvbuf = htole32(1 << 20);
	r = (struct chw_send_range *)(st + 1);
	r->addr = htole64(data);
	r->len = htole32(8192);
	m.state_len = htole16(sizeof(*st) + sizeof(*r));
	m.state_addr = htole64(addr);
	host_post_cmd(h, &m);
	nfw_run(h->fw);
	while (host_next_event(h, &ev))
		if (ev.op == CHW_EV_DONE && ((struct chw_ev_done *)&ev)->status == 0)
			cid = le32toh(ev.cid);
	if (cid == CHW_CID_NONE)
		abort();
	p.cid = htole32(cid);
	p.len = htole16(16384);
	p.addr = htole64(host_alloc(h, 16384));
	host_post_cmd(h, &p);
	fw_conn_drain(h);
	return cid;
}

/* A frame from the peer to the connection: tcp (header and payload, ports
 * overwritten) in Ethernet and IPv4, with correct checksums. */
size_t fw_conn_frame(uint8_t *f, const uint8_t *tcp, size_t len)
{
	uint8_t *ip = f + 14, *th = ip + 20;
	uint32_t sum;

	if (len > 1500 - 20)
		len = 1500 - 20;
	memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x54\x00\x00\x00\x01\x08\x00", 14);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	nfw_put_be16(ip + 2, 20 + len);
	ip[8] = 64;
	ip[9] = NFW_IPPROTO_TCP;
	memcpy(ip + 12, CONN_PADDR, 4);
	memcpy(ip + 16, CONN_LADDR, 4);
	nfw_put_be16(ip + 10, ~nfw_csum_fold(nfw_csum_add(0, ip, 20)));
	memcpy(th, tcp, len);
	if (len >= 20) {
		nfw_put_be16(th, CONN_PPORT);
		nfw_put_be16(th + 2, CONN_LPORT);
		nfw_put_be16(th + 16, 0);
		sum = nfw_csum_add(0, ip + 12, 8) + NFW_IPPROTO_TCP + len;
		sum = nfw_csum_add(sum, th, len);
		nfw_put_be16(th + 16, ~nfw_csum_fold(sum));
	}
	return 14 + 20 + len;
}

