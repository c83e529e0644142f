// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fw_unit.c - unit tests of the firmware's NIC core on the host: registers,
 * rings, interrupts, TX offloads, RX, and refusal of bad input.  KTAP out.
 */
#include <stdlib.h>
#include <string.h>

#include "fw_host.h"
#include "../nfw_pkt.h"

/* ---- frames ------------------------------------------------------------- */

/* An independent checksum, byte by byte, to judge the firmware's. */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static bool ref_l4_ok(const uint8_t *f, size_t len, bool v6)
{
	const uint8_t *ip = f + 14;
	size_t l4 = v6 ? 14 + 40 : 14 + (ip[0] & 0xf) * 4;
	uint32_t l4len = len - l4, sum = 0;

	if (v6) {
		sum = ref_sum(ip + 8, 32, 0);
		sum += ip[6];
	} else {
		sum = ref_sum(ip + 12, 8, 0);
		sum += ip[9];
		if (ref_sum(ip, l4 - 14, 0) != 0xffff)
			return false;
	}
	sum += l4len;
	return ref_sum(f + l4, l4len, sum) == 0xffff;
}

/*
 * A TCP frame as Linux hands it to a NIC with offloads: the TCP checksum
 * field holds the pseudo-header sum (no length for TSO).
 */
static size_t make_tcp(uint8_t *f, bool v6, size_t payload, uint8_t flags,
		       bool tso)
{
	size_t l3 = 14, l4 = v6 ? 54 : 34, hl = l4 + 32;
	uint32_t ps;
	size_t i;

	memset(f, 0, hl);
	memcpy(f, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x12\x34\x56", 12);
	if (v6) {
		nfw_put_be16(f + 12, NFW_ETH_P_IPV6);
		f[l3] = 0x60;
		nfw_put_be16(f + l3 + 4, 32 + payload);
		f[l3 + 6] = NFW_IPPROTO_TCP;
		f[l3 + 7] = 64;
		f[l3 + 8 + 15] = 1;
		f[l3 + 24 + 15] = 2;
	} else {
		nfw_put_be16(f + 12, NFW_ETH_P_IP);
		f[l3] = 0x45;
		nfw_put_be16(f + l3 + 2, 20 + 32 + payload);
		nfw_put_be16(f + l3 + 4, 0x1234);
		f[l3 + 6] = 0x40;
		f[l3 + 8] = 64;
		f[l3 + 9] = NFW_IPPROTO_TCP;
		memcpy(f + l3 + 12, "\x0a\x4d\x00\x02\x0a\x4d\x00\x01", 8);
		nfw_put_be16(f + l3 + 10, ~ref_sum(f + l3, 20, 0));
	}
	nfw_put_be16(f + l4, 5001);
	nfw_put_be16(f + l4 + 2, 40000);
	nfw_put_be32(f + l4 + 4, 1000);
	nfw_put_be32(f + l4 + 8, 7);
	f[l4 + 12] = 8 << 4;
	f[l4 + 13] = flags;
	nfw_put_be16(f + l4 + 14, 512);
	/* timestamp option, as Linux sends it */
	memcpy(f + l4 + 20, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02",
	       12);
	for (i = 0; i < payload; i++)
		f[hl + i] = (uint8_t)(i * 7 + 3);
	ps = v6 ? ref_sum(f + l3 + 8, 32, 0) : ref_sum(f + l3 + 12, 8, 0);
	ps += NFW_IPPROTO_TCP + (tso ? 0 : 32 + payload);
	nfw_put_be16(f + l4 + 16, ref_sum(NULL, 0, ps));
	return hl + payload;
}

/* Post one frame as one TX descriptor (or as `frags` equal fragments). */
static void tx_post(struct fw_host *h, const uint8_t *f, size_t len,
		    uint8_t flags, uint8_t cstart, uint8_t coff, uint16_t mss,
		    int frags)
{
	size_t per = (len + frags - 1) / frags, off = 0;
	int i;

	for (i = 0; i < frags; i++) {
		size_t n = len - off < per ? len - off : per;
		uint64_t buf = host_alloc(h, n);
		uint32_t slot = h->tail[CHW_RING_TX] &
				(h->ring_size[CHW_RING_TX] - 1);
		struct chw_tx_desc *d = host_ptr(h, h->ring_addr[CHW_RING_TX] +
					       slot * 16);

		memcpy(host_ptr(h, buf), f + off, n);
		memset(d, 0, sizeof(*d));
		d->addr = htole64(buf);
		d->len = htole16(n);
		d->flags = (i == 0 ? flags : 0) |
			   (i == frags - 1 ? CHW_TX_EOP : 0);
		d->csum_start = cstart;
		d->csum_off = coff;
		d->mss = htole16(mss);
		h->tail[CHW_RING_TX]++;
		off += n;
	}
	host_doorbell(h, CHW_RING_TX, h->tail[CHW_RING_TX]);
}

static struct chw_tx_desc *tx_desc(struct fw_host *h, uint32_t idx)
{
	return host_ptr(h, h->ring_addr[CHW_RING_TX] +
			(idx & (h->ring_size[CHW_RING_TX] - 1)) * 16);
}

static struct chw_rx_desc *rx_desc(struct fw_host *h, uint32_t idx)
{
	return host_ptr(h, h->ring_addr[CHW_RING_RX] +
			(idx & (h->ring_size[CHW_RING_RX] - 1)) * 16);
}

static void rx_post(struct fw_host *h, uint64_t addr, uint16_t len)
{
	struct chw_rx_desc *d = rx_desc(h, h->tail[CHW_RING_RX]);

	memset(d, 0, sizeof(*d));
	d->addr = htole64(addr);
	d->buf_len = htole16(len);
	host_doorbell(h, CHW_RING_RX, h->tail[CHW_RING_RX] + 1);
}

/* ---- tests -------------------------------------------------------------- */

static void test_identity(void)
{
	struct fw_host h;

	host_init(&h, 64, 64, 64, 64);
	CHECK(host_rd(&h, CHW_REG_ID) == CHW_ID_MAGIC);
	CHECK(host_rd(&h, CHW_REG_VERSION) == CHW_ABI_VERSION);
	CHECK(host_rd(&h, CHW_REG_MAC_LO) == 0x12005452);
	CHECK(host_rd(&h, CHW_REG_MAC_HI) == 0x5634);
	CHECK(host_rd(&h, CHW_REG_MAX_CONNS) == 64);
	CHECK(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_RESET_DONE);
	CHECK(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_LINK_UP);
	CHECK(host_enable(&h));
	/* reset forgets the rings; its completion is not an old one's */
	host_wr(&h, CHW_REG_CTRL, CHW_CTRL_RESET);
	CHECK(!(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_RESET_DONE));
	host_run(&h);
	CHECK(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_RESET_DONE);
	CHECK(!(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_ENABLED));
	CHECK(host_rd(&h, CHW_REG_RING(CHW_RING_TX) + CHW_RING_SIZE) == 0);
	host_fini(&h);
}

static void test_bad_ring_config(void)
{
	struct fw_host h;

	host_init(&h, 64, 100, 64, 64);	/* 100: not a power of two */
	CHECK(!host_enable(&h));
	CHECK(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_RING_ERR);
	CHECK(nfw_stat(h.fw, CHW_STAT_RING_ERRORS) == 1);
	host_fini(&h);
}

/* NOPs across several wraps of small rings: each answered once, in order. */
static void test_nop_wraps(void)
{
	struct fw_host h;
	struct chw_msg ev;
	uint32_t i, got = 0;

	host_init(&h, 16, 16, 16, 16);
	CHECK(host_enable(&h));
	for (i = 0; i < 1000; i++) {
		struct chw_cmd_nop nop = { .op = CHW_OP_NOP,
					   .cookie = htole32(i) };

		host_post_cmd(&h, &nop);
		host_run(&h);
		while (host_next_event(&h, &ev)) {
			struct chw_ev_done *d = (void *)&ev;

			CHECK(d->op == CHW_EV_DONE && d->cmd_op == CHW_OP_NOP);
			CHECK(d->status == CHW_ST_OK);
			CHECK(le32toh(d->val) == got);
			CHECK(le32toh(d->cmd_idx) == got);
			got++;
		}
	}
	CHECK(got == 1000);
	CHECK(h.irqs[CHW_VEC_EV] >= 1);
	host_fini(&h);
}

/* A full event ring makes the firmware wait, not drop. */
static void test_ev_ring_full_waits(void)
{
	struct fw_host h;
	struct chw_msg ev;
	uint32_t i, got = 0;

	host_init(&h, 16, 16, 64, 16);
	CHECK(host_enable(&h));
	for (i = 0; i < 40; i++) {
		struct chw_cmd_nop nop = { .op = CHW_OP_NOP,
					   .cookie = htole32(i) };

		host_post_cmd(&h, &nop);
	}
	host_run(&h);
	/* it stops taking commands before their answers could overrun */
	i = host_rd(&h, CHW_REG_RING(CHW_RING_CMD) + CHW_RING_HEAD);
	CHECK(i > 0 && i <= 16);
	while (got < 40) {
		if (!host_next_event(&h, &ev)) {
			host_run(&h);
			if (!host_next_event(&h, &ev))
				break;
		}
		CHECK(le32toh(((struct chw_ev_done *)&ev)->val) == got);
		got++;
	}
	CHECK(got == 40);
	host_fini(&h);
}

/*
 * A hang stops the firmware and says so in STATUS; a stall stops it
 * silently (the driver's heartbeat must tell).  Neither answers a NOP;
 * a reset revives both.
 */
static void check_fault(uint32_t fault, bool says_so)
{
	struct chw_cmd_nop nop = { .op = CHW_OP_NOP };
	struct fw_host h;
	struct chw_msg ev;

	host_init(&h, 16, 16, 16, 16);
	CHECK(host_enable(&h));
	host_wr(&h, CHW_REG_FAULT, fault);
	host_run(&h);
	CHECK(!!(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_FAILED) == says_so);
	CHECK(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_ENABLED);
	host_post_cmd(&h, &nop);
	host_run(&h);
	CHECK(!host_next_event(&h, &ev));
	CHECK(host_rd(&h, CHW_REG_RING(CHW_RING_CMD) + CHW_RING_HEAD) == 0);

	host_wr(&h, CHW_REG_CTRL, CHW_CTRL_RESET);
	host_run(&h);
	CHECK(!(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_FAILED));
	/* new rings, as the driver gives it: it serves again */
	memset(h.tail, 0, sizeof(h.tail));
	memset(host_ptr(&h, h.ring_addr[CHW_RING_CMD]), 0, 16 * 16);
	CHECK(host_enable(&h));
	host_post_cmd(&h, &nop);
	host_run(&h);
	CHECK(host_next_event(&h, &ev));
	CHECK(((struct chw_ev_done *)&ev)->status == CHW_ST_OK);
	host_fini(&h);
}

static void test_fault_hang(void) { check_fault(CHW_FAULT_HANG, true); }
static void test_fault_stall(void) { check_fault(CHW_FAULT_STALL, false); }

/* Each malformed command gets its own error event; the ring goes on. */
static void test_bad_commands(void)
{
	static const struct { uint8_t op; uint8_t status; } cases[] = {
		{ 0x00, CHW_ST_BAD_OP }, { 0x7f, CHW_ST_BAD_OP },
		{ 0xff, CHW_ST_BAD_OP }, { CHW_OP_SEND, CHW_ST_BAD_CID },
		{ CHW_OP_RECVD, CHW_ST_BAD_CID }, { CHW_OP_CTRL, CHW_ST_BAD_CID },
		{ CHW_OP_RESTORE, CHW_ST_BAD_CID },
		{ CHW_OP_FORWARD, CHW_ST_BAD_LEN }, { CHW_OP_POST, CHW_ST_BAD_CID },
		{ CHW_OP_NOP, CHW_ST_OK },
	};
	struct fw_host h;
	struct chw_msg ev;
	unsigned int i;

	host_init(&h, 16, 16, 16, 16);
	CHECK(host_enable(&h));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chw_msg m = { .op = cases[i].op, .cid = htole32(77),
				     .val = htole64(1ULL << 50) };
		struct chw_ev_done *d = (void *)&ev;

		host_post_cmd(&h, &m);
		host_run(&h);
		CHECK(host_next_event(&h, &ev));
		CHECK(d->op == CHW_EV_DONE && d->cmd_op == cases[i].op);
		CHECK(d->status == cases[i].status);
	}
	CHECK(nfw_stat(h.fw, CHW_STAT_CMD_ERRORS) == 9);
	host_fini(&h);
}

static void test_doorbell_out_of_range(void)
{
	struct fw_host h;

	host_init(&h, 16, 16, 16, 16);
	CHECK(host_enable(&h));
	host_doorbell(&h, CHW_RING_CMD, 17);	/* more than the ring holds */
	host_run(&h);
	CHECK(host_rd(&h, CHW_REG_STATUS) & CHW_STATUS_RING_ERR);
	CHECK(nfw_stat(h.fw, CHW_STAT_RING_ERRORS) == 1);
	CHECK(nfw_stat(h.fw, CHW_STAT_CMDS) == 0);
	host_fini(&h);
}

static void test_irq_moderation(void)
{
	struct fw_host h;
	struct chw_cmd_nop nop = { .op = CHW_OP_NOP };
	struct chw_msg ev;

	host_init(&h, 16, 16, 16, 64);
	CHECK(host_enable(&h));
	host_post_cmd(&h, &nop);
	host_run(&h);
	CHECK(h.irqs[CHW_VEC_EV] == 1);
	host_post_cmd(&h, &nop);
	host_run(&h);
	CHECK(h.irqs[CHW_VEC_EV] == 1);		/* disarmed: quiet */
	host_wr(&h, CHW_REG_IRQ_ARM, CHW_IRQ_EV);
	CHECK(h.irqs[CHW_VEC_EV] == 2);		/* news meanwhile: fires */
	host_wr(&h, CHW_REG_IRQ_ARM, CHW_IRQ_EV);
	CHECK(h.irqs[CHW_VEC_EV] == 2);		/* no news: stays armed */
	host_wr(&h, CHW_REG_IRQ_MASK, CHW_IRQ_EV);
	host_post_cmd(&h, &nop);
	host_run(&h);
	CHECK(h.irqs[CHW_VEC_EV] == 2);		/* masked */
	host_wr(&h, CHW_REG_IRQ_MASK, 0);
	CHECK(h.irqs[CHW_VEC_EV] == 3);		/* unmasked: fires */
	while (host_next_event(&h, &ev))
		;
	host_fini(&h);
}

static void test_tx_csum(void)
{
	struct fw_host h;
	uint8_t f[2048];
	size_t len;
	int frags;

	host_init(&h, 64, 16, 16, 16);
	CHECK(host_enable(&h));
	for (frags = 1; frags <= 3; frags++) {
		host_clear_frames(&h);
		len = make_tcp(f, frags == 2, 1000 + frags, NFW_TCP_ACK, false);
		tx_post(&h, f, len, CHW_TX_CSUM, frags == 2 ? 54 : 34, 16, 0,
			frags);
		host_run(&h);
		CHECK(h.nframes == 1);
		if (h.nframes == 1) {
			CHECK(h.frame_len[0] == len);
			CHECK(ref_l4_ok(h.frames[0], len, frags == 2));
		}
		CHECK(tx_desc(&h, h.tail[CHW_RING_TX] - 1)->status ==
		      CHW_DESC_DONE);
	}
	CHECK(h.irqs[CHW_VEC_TX] >= 1);
	host_fini(&h);
}

static void check_tso(bool v6)
{
	struct fw_host h;
	static uint8_t f[CHW_TX_MAX_FRAME];
	size_t payload = 60000, len, hl = v6 ? 54 + 32 : 34 + 32;
	unsigned int i, mss = 1448, want = (payload + mss - 1) / mss;
	size_t got = 0;

	host_init(&h, 64, 16, 16, 16);
	CHECK(host_enable(&h));
	len = make_tcp(f, v6, payload, NFW_TCP_ACK | NFW_TCP_PSH | NFW_TCP_CWR,
		       true);
	tx_post(&h, f, len, CHW_TX_TSO, hl - 32, 16, mss, 5);
	host_run(&h);
	CHECK(h.nframes == want);
	for (i = 0; i < h.nframes; i++) {
		const uint8_t *s = h.frames[i];
		size_t seg = h.frame_len[i] - hl;
		uint8_t fl = s[hl - 32 + 13];

		CHECK(seg == (i + 1 < want ? mss : payload - mss * (want - 1)));
		CHECK(ref_l4_ok(s, h.frame_len[i], v6));
		CHECK(nfw_get_be32(s + hl - 32 + 4) == 1000 + i * mss);
		CHECK(!memcmp(s + hl, f + hl + i * mss, seg));
		CHECK(!!(fl & NFW_TCP_PSH) == (i + 1 == want));
		CHECK(!!(fl & NFW_TCP_CWR) == (i == 0));
		if (!v6)
			CHECK(nfw_get_be16(s + 18) == 0x1234 + i);
		got += seg;
	}
	CHECK(got == payload);
	CHECK(nfw_stat(h.fw, CHW_STAT_TX_TSO_SEGS) == want);
	host_fini(&h);
}

static void test_tso_v4(void) { check_tso(false); }
static void test_tso_v6(void) { check_tso(true); }

/* A fragment outside RAM: the frame is refused and counted, the next goes. */
static void test_tx_bad_address(void)
{
	struct fw_host h;
	uint8_t f[256];
	size_t len;
	struct chw_tx_desc *d;

	host_init(&h, 64, 16, 16, 16);
	CHECK(host_enable(&h));
	len = make_tcp(f, false, 100, NFW_TCP_ACK, false);
	tx_post(&h, f, len, 0, 0, 0, 0, 1);
	d = tx_desc(&h, h.tail[CHW_RING_TX] - 1);
	d->addr = htole64(1ULL << 46);
	tx_post(&h, f, len, 0, 0, 0, 0, 1);
	host_run(&h);
	CHECK(d->status == (CHW_DESC_DONE | CHW_DESC_ERR));
	CHECK(tx_desc(&h, h.tail[CHW_RING_TX] - 1)->status == CHW_DESC_DONE);
	CHECK(h.nframes == 1);
	CHECK(nfw_stat(h.fw, CHW_STAT_TX_ERRORS) == 1);
	CHECK(nfw_stat(h.fw, CHW_STAT_DMA_ERRORS) == 1);
	/* a TSO request whose headers are not TCP is refused too */
	memset(f + 12, 0, 2);
	tx_post(&h, f, len, CHW_TX_TSO, 34, 16, 1000, 1);
	host_run(&h);
	CHECK(tx_desc(&h, h.tail[CHW_RING_TX] - 1)->status ==
	      (CHW_DESC_DONE | CHW_DESC_ERR));
	CHECK(nfw_stat(h.fw, CHW_STAT_TX_ERRORS) == 2);
	host_fini(&h);
}

static void test_rx(void)
{
	struct fw_host h;
	uint8_t f[2048];
	size_t len;
	uint64_t b0, b1, b2;
	struct chw_rx_desc *d;

	host_init(&h, 16, 16, 16, 16);
	CHECK(host_enable(&h));
	len = make_tcp(f, false, 500, NFW_TCP_ACK, false);
	nfw_csum_insert(f, len, 34, 16);

	/* no buffer yet: the frame waits */
	CHECK(!nfw_rx_frame(h.fw, f, len));
	b0 = host_alloc(&h, 2048);
	rx_post(&h, b0, 2048);
	CHECK(nfw_run(h.fw) & NFW_RUN_RX_READY);
	CHECK(nfw_rx_frame(h.fw, f, len));
	host_run(&h);
	d = rx_desc(&h, 0);
	CHECK(d->status == CHW_DESC_DONE);
	CHECK(le16toh(d->pkt_len) == len);
	CHECK(d->flags & CHW_RX_CSUM_OK);
	CHECK(!memcmp(host_ptr(&h, b0), f, len));
	CHECK(h.irqs[CHW_VEC_RX] == 1);

	/* a corrupted payload is delivered without CSUM_OK */
	b1 = host_alloc(&h, 2048);
	rx_post(&h, b1, 2048);
	host_run(&h);
	f[len - 1] ^= 0xff;
	CHECK(nfw_rx_frame(h.fw, f, len));
	CHECK(rx_desc(&h, 1)->status == CHW_DESC_DONE);
	CHECK(!(rx_desc(&h, 1)->flags & CHW_RX_CSUM_OK));

	/* a bad buffer is refused; the frame goes to the next one */
	rx_post(&h, 1ULL << 46, 2048);
	b2 = host_alloc(&h, 2048);
	rx_post(&h, b2, 2048);
	host_run(&h);
	CHECK(nfw_rx_frame(h.fw, f, len));
	CHECK(rx_desc(&h, 2)->status == (CHW_DESC_DONE | CHW_DESC_ERR));
	CHECK(rx_desc(&h, 3)->status == CHW_DESC_DONE);
	CHECK(nfw_stat(h.fw, CHW_STAT_RX_ERRORS) == 1);

	/* a frame longer than the buffer is dropped, the buffer kept */
	rx_post(&h, host_alloc(&h, 64), 64);
	host_run(&h);
	CHECK(nfw_rx_frame(h.fw, f, len));
	CHECK(rx_desc(&h, 4)->status == 0);
	CHECK(nfw_stat(h.fw, CHW_STAT_RX_DROPS) == 1);
	CHECK(nfw_stat(h.fw, CHW_STAT_RX_FRAMES) == 3);
	host_fini(&h);
}

/* Malformed frames from the wire never upset the parser. */
static void test_rx_malformed(void)
{
	uint8_t f[128];
	struct nfw_pkt pkt;
	size_t len;
	unsigned int i;

	len = make_tcp(f, false, 10, NFW_TCP_ACK, false);
	for (i = 0; i <= len; i++)
		(void)nfw_csum_verify_l4(f, i);	/* every truncation */
	f[14] = 0x4f;				/* IHL past the end */
	CHECK(nfw_pkt_parse(&pkt, f, 40) < 0);
	f[14] = 0x45;
	nfw_put_be16(f + 16, 2000);		/* total length too long */
	CHECK(nfw_pkt_parse(&pkt, f, len) < 0);
	CHECK(!nfw_csum_verify_l4(f, len));
}

/*
 * The fast checksum against ref_sum(): every length to past a few blocks,
 * every alignment, and chains split at every even point, on data whose
 * words make the carries ripple (all-ones and random bytes).
 */
static void test_csum_fast(void)
{
	static uint8_t buf[512 + 16];
	size_t len, off, cut;
	unsigned int i, round;

	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = round ? (uint8_t)(rand() >> 7) : 0xff;
		for (off = 0; off < 16; off++)
			for (len = 0; len + off <= sizeof(buf); len++)
				CHECK(nfw_csum_fold(nfw_csum_add(0, buf + off,
								 len)) ==
				      ref_sum(buf + off, len, 0));
		for (cut = 0; cut <= 300; cut += 2)
			CHECK(nfw_csum_fold(nfw_csum_add(
				      nfw_csum_add(0x1fffe, buf + 3, cut),
				      buf + 3 + cut, 301 - cut)) ==
			      ref_sum(buf + 3, 301, 0x1fffe));
	}
}

/* fw_tcp_ack.c */
void test_ack_held_while_window_shrinks(void);
void test_ack_every_second_segment(void);
/* fw_tcp_opts.c */
void test_info(void);
void test_cork_and_more(void);
void test_notsent_lowat(void);
void test_cork_probe_timer(void);
void test_keepalive_close_wait(void);
void test_user_timeout(void);
void test_fin_wait2_orphan(void);
void test_fin_wait2_rst(void);
void test_time_wait_acks_fin(void);
void test_sockopts_on_wire(void);
void test_window_grows(void);
void test_urgent_restore(void);
void test_psh_on_write_end(void);
void test_psh_write_ends_in_burst(void);
void test_handoff_no_ack(void);

static const struct fw_test tests[] = {
	{ "fw_identity", test_identity },
	{ "fw_bad_ring_config", test_bad_ring_config },
	{ "fw_nop_wraps", test_nop_wraps },
	{ "fw_ev_ring_full_waits", test_ev_ring_full_waits },
	{ "fw_bad_commands_nic", test_bad_commands },
	{ "fw_doorbell_out_of_range", test_doorbell_out_of_range },
	{ "fw_irq_moderation", test_irq_moderation },
	{ "fw_tx_csum", test_tx_csum },
	{ "fw_tso_v4", test_tso_v4 },
	{ "fw_tso_v6", test_tso_v6 },
	{ "fw_tx_bad_address", test_tx_bad_address },
	{ "fw_rx", test_rx },
	{ "fw_rx_malformed", test_rx_malformed },
	{ "fw_fault_hang", test_fault_hang },
	{ "fw_fault_stall", test_fault_stall },
	{ "fw_csum_fast", test_csum_fast },
	{ "fw_ack_held_while_window_shrinks",
	  test_ack_held_while_window_shrinks },
	{ "fw_ack_every_second_segment", test_ack_every_second_segment },
	{ "fw_info", test_info },
	{ "fw_cork_and_more", test_cork_and_more },
	{ "fw_cork_probe_timer", test_cork_probe_timer },
	{ "fw_notsent_lowat", test_notsent_lowat },
	{ "fw_keepalive_close_wait", test_keepalive_close_wait },
	{ "fw_user_timeout", test_user_timeout },
	{ "fw_fin_wait2_orphan", test_fin_wait2_orphan },
	{ "fw_fin_wait2_rst", test_fin_wait2_rst },
	{ "fw_time_wait_acks_fin", test_time_wait_acks_fin },
	{ "fw_sockopts_on_wire", test_sockopts_on_wire },
	{ "fw_window_grows", test_window_grows },
	{ "fw_urgent_restore", test_urgent_restore },
	{ "fw_psh_on_write_end", test_psh_on_write_end },
	{ "fw_psh_write_ends_in_burst", test_psh_write_ends_in_burst },
	{ "fw_handoff_no_ack", test_handoff_no_ack },
	{ NULL, NULL },
};

static const struct fw_test *const tables[] = { tests, fw_pressure_tests,
						 fw_icmp_tests };

int main(void)
{
	unsigned int i, t, n = 0, bad = 0;
	const struct fw_test *k;

	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (k = tables[t]; k->name; k++)
			n++;
	printf("TAP version 13\n1..%u\n", n);
	i = 0;
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (k = tables[t]; k->name; k++) {
			test_failed = 0;
			k->fn();
			printf("%sok %u %s\n", test_failed ? "not " : "",
			       ++i, k->name);
			bad += test_failed;
		}
	}
	printf("# %u passed, %u failed\n", n - bad, bad);
	return bad ? 1 : 0;
}
