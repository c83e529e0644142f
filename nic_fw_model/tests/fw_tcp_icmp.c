// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fw_tcp_icmp.c - ICMP errors about an offloaded connection, as Linux's
 * tcp_v4_err() takes them: frag-needed lowers the MSS and what no longer
 * fits goes again; other unreachables are soft errors a timeout reports;
 * anything that does not hold together is counted and refused.
 */
#include <errno.h>
#include <string.h>

#include "fw_conn.h"
#include "../nfw_tcp.h"

#define MSS		1448
#define TH(f)		((f) + 14 + 20)

static void peer_ack(struct fw_host *h, uint32_t ack)
{
	static uint8_t frame[2048], tcp[32];

	memset(tcp, 0, 32);
	nfw_put_be32(tcp + 4, CONN_RCV_NXT);
	nfw_put_be32(tcp + 8, ack);
	tcp[12] = 8 << 4;
	tcp[13] = NFW_TCP_ACK;
	nfw_put_be16(tcp + 14, 8192);
	memcpy(tcp + 20, "\x01\x01\x08\x0a", 4);
	nfw_put_be32(tcp + 24, 1000);
	nfw_put_be32(tcp + 28, h->tsval);
	nfw_rx_frame(h->fw, frame, fw_conn_frame(frame, tcp, 32));
}

/*
 * A router's ICMP error to the connection's address quoting our segment
 * with sequence seq (IP header and 8 bytes of TCP); mtu in the second
 * half of the rest-of-header word.  Returns the frame's length.
 */
static size_t icmp_frame(uint8_t *f, uint8_t type, uint8_t code,
			 uint16_t mtu, uint32_t seq)
{
	uint8_t *ip = f + 14, *icmp = ip + 20, *in = icmp + 8, *th = in + 20;

	memset(f, 0, 14 + 20 + 8 + 28);
	memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x54\x00\x00\x00\x09\x08\x00", 14);
	ip[0] = 0x45;
	nfw_put_be16(ip + 2, 20 + 8 + 28);
	ip[8] = 64;
	ip[9] = NFW_IPPROTO_ICMP;
	memcpy(ip + 12, "\x0a\x00\x00\x09", 4);	/* the router */
	memcpy(ip + 16, CONN_LADDR, 4);
	nfw_put_be16(ip + 10, ~nfw_csum_fold(nfw_csum_add(0, ip, 20)));
	icmp[0] = type;
	icmp[1] = code;
	nfw_put_be16(icmp + 6, mtu);
	in[0] = 0x45;
	nfw_put_be16(in + 2, 1500);
	in[6] = 0x40;
	in[8] = 63;
	in[9] = NFW_IPPROTO_TCP;
	memcpy(in + 12, CONN_LADDR, 4);
	memcpy(in + 16, CONN_PADDR, 4);
	nfw_put_be16(th, CONN_LPORT);
	nfw_put_be16(th + 2, CONN_PPORT);
	nfw_put_be32(th + 4, seq);
	nfw_put_be16(icmp + 2, ~nfw_csum_fold(nfw_csum_add(0, icmp, 36)));
	return 14 + 20 + 36;
}

/* Run, and the value of the last CTRL event with code, or -1. */
static int64_t ctrl_value(struct fw_host *h, uint16_t code)
{
	struct chw_msg ev;
	int64_t v = -1;

	nfw_run(h->fw);
	while (host_next_event(h, &ev))
		if (ev.op == CHW_EV_CTRL &&
		    le16toh(((struct chw_ev_ctrl *)&ev)->code) == code)
			v = (int64_t)le64toh(((struct chw_ev_ctrl *)&ev)->value);
	return v;
}

/* Frag-needed for data in flight: smaller segments, the data resent. */
void test_icmp_frag_needed(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	struct nfw_conn *c = nfw_conn_by_cid(h.fw, cid);
	uint8_t f[128];
	uint32_t una, i, mss = 1280 - 20 - 20 - 12;
	bool all_fit = true;

	fw_conn_drain(&h);
	CHECK(c && c->mss == MSS);
	una = c->snd_una;
	CHECK(c->snd_max - una > mss);		/* full segments in flight */
	host_clear_frames(&h);
	nfw_rx_frame(h.fw, f, icmp_frame(f, 3, 4, 1280, una));
	CHECK(nfw_stat(h.fw, CHW_STAT_ICMP_PMTU) == 1);
	CHECK(c->mss == mss && c->mtu == 1280);
	CHECK(ctrl_value(&h, CHW_CC_PMTU) == 1280);
	/* resent from snd_una, no segment past the new MSS */
	CHECK(h.nframes > 0);
	CHECK(h.nframes && nfw_get_be32(TH(h.frames[0]) + 4) == una);
	for (i = 0; i < h.nframes; i++)
		all_fit &= h.frame_len[i] <= 14u + 1280;
	CHECK(all_fit);
	/* the transfer goes on: the peer acks, new data goes in new MSS */
	peer_ack(&h, h.seq_end);
	fw_conn_events(&h);
	CHECK(SEQ_GT(c->snd_una, una));
	host_fini(&h);
}

/* What Linux ignores, and what does not hold together, changes nothing. */
void test_icmp_refused(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	struct nfw_conn *c = nfw_conn_by_cid(h.fw, cid);
	uint8_t f[128];
	size_t n;

	fw_conn_drain(&h);
	/* quoting a sequence number outside [snd_una, snd_nxt] */
	nfw_rx_frame(h.fw, f, icmp_frame(f, 3, 4, 1280, c->snd_una - 1));
	nfw_rx_frame(h.fw, f, icmp_frame(f, 3, 4, 1280, c->snd_max + 1));
	/* a larger MTU: never raised */
	nfw_rx_frame(h.fw, f, icmp_frame(f, 3, 4, 9000, c->snd_una));
	/* source quench: ignored */
	nfw_rx_frame(h.fw, f, icmp_frame(f, 4, 0, 0, c->snd_una));
	CHECK(nfw_stat(h.fw, CHW_STAT_ICMP_IGNORED) == 4);
	/* a bad checksum; another destination than the connection's */
	n = icmp_frame(f, 3, 4, 1280, c->snd_una);
	f[14 + 20 + 2] ^= 1;
	nfw_rx_frame(h.fw, f, n);
	n = icmp_frame(f, 3, 4, 1280, c->snd_una);
	f[14 + 19] ^= 1;
	nfw_put_be16(f + 14 + 10, 0);
	nfw_put_be16(f + 14 + 10, ~nfw_csum_fold(nfw_csum_add(0, f + 14, 20)));
	nfw_rx_frame(h.fw, f, n);
	CHECK(nfw_stat(h.fw, CHW_STAT_ICMP_BAD) == 2);
	/* truncated: not the connection's to judge, the host's */
	n = icmp_frame(f, 3, 4, 1280, c->snd_una);
	nfw_put_be16(f + 14 + 2, 20 + 8 + 20);
	nfw_put_be16(f + 14 + 10, 0);
	nfw_put_be16(f + 14 + 10, ~nfw_csum_fold(nfw_csum_add(0, f + 14, 20)));
	nfw_rx_frame(h.fw, f, 14 + 20 + 8 + 20);
	CHECK(nfw_stat(h.fw, CHW_STAT_ICMP_BAD) == 2);
	CHECK(c->mss == MSS && c->mtu == 1500);
	CHECK(nfw_stat(h.fw, CHW_STAT_ICMP_PMTU) == 0);
	/* below min_pmtu: 552, and DF off from then on */
	nfw_rx_frame(h.fw, f, icmp_frame(f, 3, 4, 300, c->snd_una));
	CHECK(c->mtu == 552 && c->mss == 552 - 40 - 12);
	CHECK(c->flags & NFW_CF_PMTU_LOCKED);
	fw_conn_drain(&h);
	host_fini(&h);
}

/* Host unreachable: a soft error, reported by the timeout, cleared by an ACK. */
void test_icmp_soft_error(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h);
	struct nfw_conn *c = nfw_conn_by_cid(h.fw, cid);
	uint8_t f[128];
	int64_t v = -1;
	int i;

	fw_conn_drain(&h);
	nfw_rx_frame(h.fw, f, icmp_frame(f, 3, 1, 0, c->snd_una));
	CHECK(nfw_stat(h.fw, CHW_STAT_ICMP_SOFT) == 1);
	CHECK(ctrl_value(&h, CHW_CC_SOFT_ERR) == EHOSTUNREACH);
	/* an acceptable ACK: something worked */
	peer_ack(&h, c->snd_una);
	CHECK(ctrl_value(&h, CHW_CC_SOFT_ERR) == 0);
	CHECK(c->soft_err == 0);
	/* again, and then nothing answers: the timeout carries it */
	nfw_rx_frame(h.fw, f, icmp_frame(f, 11, 0, 0, c->snd_una));
	CHECK(ctrl_value(&h, CHW_CC_SOFT_ERR) == EHOSTUNREACH);
	for (i = 0; i < 200 && v < 0; i++) {
		host_clock_advance(&h, 10000ULL * 1000000);
		nfw_timer(h.fw);
		v = ctrl_value(&h, CHW_CC_TIMEDOUT);
	}
	CHECK(v == EHOSTUNREACH);
	host_fini(&h);
}

/* ---- IPv6: packet-too-big and the flow label ---- */

#define V6_L	"\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02"
#define V6_P	"\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
#define V6_R	"\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09"
#define LABEL	0x5a5a5u

/* The connection of fw_conn_setup() over IPv6 with a flow label. */
static uint32_t v6_setup(struct fw_host *h, uint32_t flowlabel)
{
	struct chw_cmd_handoff m = { .op = CHW_OP_HANDOFF };
	struct chw_conn_state *st;
	struct chw_send_range *r;
	struct chw_msg ev;
	uint32_t cid = CHW_CID_NONE;
	uint64_t addr;

	host_init(h, 16, 16, 64, 256);
	CHECK(host_enable(h));
	addr = host_alloc(h, 4096);
	st = host_ptr(h, addr);
	memset(st, 0, sizeof(*st));
	st->version = htole16(CHW_STATE_VERSION);
	st->hdr_len = htole16(sizeof(*st));
	st->nr_send = htole16(1);
	st->family = 6;
	st->tcp_state = 1;
	memcpy(st->local_mac, "\x52\x54\x00\x12\x34\x56", 6);
	memcpy(st->peer_mac, "\x52\x54\x00\x00\x00\x01", 6);
	st->mtu = htole16(1500);
	st->mss = htole16(1500 - 40 - 20 - 12);
	memcpy(st->local_addr, V6_L, 16);
	memcpy(st->peer_addr, V6_P, 16);
	st->local_port = htobe16(CONN_LPORT);
	st->peer_port = htobe16(CONN_PPORT);
	st->opt = CHW_OPT_SACK | CHW_OPT_TS | CHW_OPT_WSCALE;
	st->snd_wscale = 7;
	st->rcv_wscale = 7;
	st->snd_una = htole32(CONN_SND_UNA);
	st->snd_nxt = htole32(CONN_SND_UNA);
	st->write_seq = htole32(CONN_SND_UNA + 8192);
	st->snd_wnd = htole32(65536);
	st->max_window = htole32(65536);
	st->rcv_nxt = htole32(CONN_RCV_NXT);
	st->rcv_wnd = htole32(65536);
	st->rcv_wup = htole32(CONN_RCV_NXT);
	st->copied_seq = htole32(CONN_RCV_NXT);
	st->rcvbuf = htole32(1 << 20);
	st->flowlabel = htole32(flowlabel);
	r = (struct chw_send_range *)(st + 1);
	r->addr = htole64(host_alloc(h, 8192));
	r->len = htole32(8192);
	m.state_len = htole16(sizeof(*st) + sizeof(*r));
	m.state_addr = htole64(addr);
	host_post_cmd(h, &m);
	nfw_run(h->fw);
	while (host_next_event(h, &ev))
		if (ev.op == CHW_EV_DONE && ((struct chw_ev_done *)&ev)->status == 0)
			cid = le32toh(ev.cid);
	return cid;
}

static uint32_t frame_label(const uint8_t *f)
{
	return (uint32_t)(f[15] & 0xf) << 16 | f[16] << 8 | f[17];
}

/* A router's packet-too-big quoting our segment with sequence seq. */
static size_t too_big_frame(uint8_t *f, uint32_t mtu, uint32_t seq)
{
	uint8_t *ip = f + 14, *icmp = ip + 40, *in = icmp + 8, *th = in + 40;
	uint32_t len = 8 + 40 + 20, sum;

	memset(f, 0, 14 + 40 + len);
	memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x54\x00\x00\x00\x09\x86\xdd", 14);
	ip[0] = 0x60;
	nfw_put_be16(ip + 4, len);
	ip[6] = NFW_IPPROTO_ICMPV6;
	ip[7] = 64;
	memcpy(ip + 8, V6_R, 16);
	memcpy(ip + 24, V6_L, 16);
	icmp[0] = 2;
	nfw_put_be32(icmp + 4, mtu);
	in[0] = 0x60;
	nfw_put_be16(in + 4, 1440);
	in[6] = NFW_IPPROTO_TCP;
	in[7] = 64;
	memcpy(in + 8, V6_L, 16);
	memcpy(in + 24, V6_P, 16);
	nfw_put_be16(th, CONN_LPORT);
	nfw_put_be16(th + 2, CONN_PPORT);
	nfw_put_be32(th + 4, seq);
	nfw_put_be32(th + 12, 0x80100000);
	sum = nfw_csum_add(0, ip + 8, 32) + NFW_IPPROTO_ICMPV6 + len;
	sum = nfw_csum_add(sum, icmp, len);
	nfw_put_be16(icmp + 2, ~nfw_csum_fold(sum));
	return 14 + 40 + len;
}

/*
 * The handoff's flow label on every segment; packet-too-big lowers the
 * MSS (not below 1280); an RTO draws a new automatic label, a fixed
 * label stays; RESTORE gives the label back.
 */
void test_icmpv6_too_big_flowlabel(void)
{
	struct fw_host h;
	uint32_t cid = v6_setup(&h, LABEL | CHW_FLOWLABEL_REHASH);
	struct nfw_conn *c = nfw_conn_by_cid(h.fw, cid);
	uint64_t buf = host_alloc(&h, 4096);
	struct chw_cmd_restore rm = {
		.op = CHW_OP_RESTORE, .buf_len = htole16(4096),
		.cid = htole32(cid), .buf_addr = htole64(buf),
	};
	struct chw_conn_state *st = host_ptr(&h, buf);
	uint32_t i, una, mss = 1280 - 40 - 20 - 12, label;
	bool same = true, fit = true;
	uint8_t f[256];

	CHECK(c != NULL);
	if (!c)
		return;
	fw_conn_events(&h);
	CHECK(h.nframes > 1);
	for (i = 0; i < h.nframes; i++)
		same &= frame_label(h.frames[i]) == LABEL;
	CHECK(same);
	una = c->snd_una;
	host_clear_frames(&h);
	nfw_rx_frame(h.fw, f, too_big_frame(f, 1200, una));	/* < 1280 */
	CHECK(c->mtu == 1500);
	nfw_rx_frame(h.fw, f, too_big_frame(f, 1280, una));
	CHECK(c->mtu == 1280 && c->mss == mss);
	CHECK(ctrl_value(&h, CHW_CC_PMTU) == 1280);
	CHECK(h.nframes > 0);
	for (i = 0; i < h.nframes; i++)
		fit &= h.frame_len[i] <= 14u + 1280;
	CHECK(fit);
	CHECK(nfw_stat(h.fw, CHW_STAT_ICMP_PMTU) == 1 &&
	      nfw_stat(h.fw, CHW_STAT_ICMP_IGNORED) == 1);
	/* an RTO: a new label, on every segment after it */
	host_clear_frames(&h);
	host_clock_advance(&h, 1500ULL * 1000000);
	nfw_timer(h.fw);
	fw_conn_events(&h);
	CHECK(h.nframes > 0);
	label = h.nframes ? frame_label(h.frames[0]) : LABEL;
	CHECK(label != LABEL);
	CHECK((c->flowlabel & CHW_FLOWLABEL_MASK) == label);
	/* restore: the label last used */
	host_post_cmd(&h, &rm);
	fw_conn_events(&h);
	CHECK(le32toh(st->flowlabel) == (label | CHW_FLOWLABEL_REHASH));
	CHECK(le16toh(st->mtu) == 1280 && le16toh(st->mss) == mss);
	host_fini(&h);

	/* a label of the socket's own (no REHASH): an RTO keeps it */
	cid = v6_setup(&h, LABEL);
	fw_conn_events(&h);
	host_clear_frames(&h);
	host_clock_advance(&h, 1500ULL * 1000000);
	nfw_timer(h.fw);
	fw_conn_events(&h);
	CHECK(h.nframes > 0 && frame_label(h.frames[0]) == LABEL);
	host_fini(&h);
}

const struct fw_test fw_icmp_tests[] = {
	{ "fw_icmp_frag_needed", test_icmp_frag_needed },
	{ "fw_icmp_refused", test_icmp_refused },
	{ "fw_icmp_soft_error", test_icmp_soft_error },
	{ "fw_icmpv6_too_big_flowlabel", test_icmpv6_too_big_flowlabel },
	{ NULL, NULL },
};
