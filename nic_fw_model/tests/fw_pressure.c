// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fw_pressure.c - unit tests of the NIC's choice under memory pressure
 * (nfw_pressure.c): which connections it asks the OS to take back, that
 * it asks no more than it needs, and stops once memory is back.
 *
 * Memory pressure is made by shrinking the budget under the connections
 * (as if out-of-order segments of others filled it), and idleness by
 * setting each connection's last segment time: the test speaks to the
 * firmware's internals on purpose, to pin down the choice itself.
 */
#include <stdlib.h>
#include <string.h>

#include "fw_host.h"
#include "../nfw_tcp.h"

#define NCONN	8

/* Hand off a connection on local port lport; its id, or CHW_CID_NONE. */
static uint32_t handoff_one(struct fw_host *h, uint16_t lport)
{
	struct chw_cmd_handoff m = { .op = CHW_OP_HANDOFF };
	uint64_t addr = host_alloc(h, 1024);
	struct chw_conn_state *st = host_ptr(h, addr);
	uint32_t cid = CHW_CID_NONE;
	struct chw_msg ev;

	memset(st, 0, sizeof(*st));
	st->version = htole16(CHW_STATE_VERSION);
	st->hdr_len = htole16(sizeof(*st));
	st->family = 4;
	st->tcp_state = NFW_TCPS_ESTABLISHED;
	memcpy(st->local_mac, "\x52\x54\x00\x12\x34\x56", 6);
	memcpy(st->peer_mac, "\x52\x54\x00\x00\x00\x01", 6);
	st->mtu = htole16(1500);
	st->mss = htole16(1448);
	memcpy(st->local_addr, "\x0a\x00\x00\x02", 4);
	memcpy(st->peer_addr, "\x0a\x00\x00\x01", 4);
	st->local_port = htobe16(lport);
	st->peer_port = htobe16(40000);
	st->snd_una = st->snd_nxt = st->write_seq = htole32(1000);
	st->snd_wnd = st->max_window = htole32(65536);
	st->rcv_nxt = st->rcv_wup = st->copied_seq = htole32(7);
	st->rcv_wnd = htole32(65536);
	st->rcvbuf = htole32(1 << 17);
	m.state_len = htole16(sizeof(*st));
	m.state_addr = htole64(addr);
	host_post_cmd(h, &m);
	host_run(h);
	while (host_next_event(h, &ev))
		if (ev.op == CHW_EV_DONE &&
		    ((struct chw_ev_done *)&ev)->cmd_op == CHW_OP_HANDOFF &&
		    ((struct chw_ev_done *)&ev)->status == CHW_ST_OK)
			cid = le32toh(ev.cid);
	return cid;
}

/* The ids the NIC asked back for want of memory, in its order. */
static unsigned int pressure_asks(struct fw_host *h, uint32_t *cids,
				  unsigned int max)
{
	unsigned int n = 0;
	struct chw_msg ev;

	h->fw->pressure_next_ms = 0;	/* evaluate now */
	host_run(h);
	while (host_next_event(h, &ev)) {
		const struct chw_ev_restore *r = (const void *)&ev;

		if (ev.op != CHW_EV_RESTORE)
			continue;
		CHECK(le16toh(r->reason) == CHW_RESTORE_PRESSURE);
		if (n < max)
			cids[n] = le32toh(r->cid);
		n++;
	}
	return n;
}

static struct nfw_conn *conn_of(struct fw_host *h, uint32_t cid)
{
	return &h->fw->conns[CHW_CID_SLOT(cid)];
}

/*
 * Eight connections; idleness (ms since the last segment) set so that
 * the order is neither the slots' nor the handoffs'.  Free memory is put
 * at half a connection, with 2.5 connections' worth to free to reach the
 * high watermark: three connections must be asked, the idlest three, not
 * the one in TIME_WAIT (only its timer is left; it is asked anyway when
 * it enters TIME_WAIT) nor the idlest one that just heard from its peer.
 */
static void setup_pressure(struct fw_host *h, uint32_t *cid, uint64_t *m)
{
	static const uint32_t idle_ms[NCONN] = {
		500, 9000, 100, 7000, 3000, 20000, 8000, 50
	};
	struct nfw *fw;
	unsigned int i;
	uint64_t free_mem;

	host_init(h, 16, 16, 64, 256);
	CHECK(host_enable(h));
	fw = h->fw;
	for (i = 0; i < NCONN; i++) {
		cid[i] = handoff_one(h, 6000 + i);
		CHECK(cid[i] != CHW_CID_NONE);
	}
	if (test_failed)
		return;
	fw->now_ms = 1000000;
	for (i = 0; i < NCONN; i++)
		conn_of(h, cid[i])->last_rx_ms = fw->now_ms - idle_ms[i];
	/* the idlest of all is in TIME_WAIT: not a victim */
	conn_of(h, cid[5])->state = NFW_TCPS_TIME_WAIT;
	*m = conn_of(h, cid[0])->mem;
	for (i = 1; i < NCONN; i++)
		CHECK(conn_of(h, cid[i])->mem == *m);
	/* U = 7F + 8D with F = m/2, D = 2.5m: the rest is "other" memory */
	free_mem = *m / 2;
	fw->mem_used = 7 * free_mem + 20 * *m;
	fw->mem_total = fw->mem_used + free_mem;
	CHECK(nfw_pressure_low(fw));
}

static void test_pressure_victims(void)
{
	uint32_t cid[NCONN], asked[NFW_PRESSURE_MAX_ASK];
	struct fw_host h;
	unsigned int n;
	uint64_t m;

	setup_pressure(&h, cid, &m);
	if (test_failed)
		goto out;
	n = pressure_asks(&h, asked, NFW_PRESSURE_MAX_ASK);
	CHECK(n == 3);
	/* idlest first: 9000 (1), 8000 (6), 7000 (3) ms */
	CHECK(asked[0] == cid[1]);
	CHECK(asked[1] == cid[6]);
	CHECK(asked[2] == cid[3]);
	/* asked once: the same pressure asks for nothing more meanwhile */
	CHECK(pressure_asks(&h, asked, NFW_PRESSURE_MAX_ASK) == 0);
out:
	host_fini(&h);
}

/* A connection that just heard from its peer is not idle any more. */
static void test_pressure_recent_spared(void)
{
	uint32_t cid[NCONN], asked[NFW_PRESSURE_MAX_ASK];
	struct fw_host h;
	unsigned int n;
	uint64_t m;

	setup_pressure(&h, cid, &m);
	if (test_failed)
		goto out;
	conn_of(&h, cid[1])->last_rx_ms = h.fw->now_ms;
	n = pressure_asks(&h, asked, NFW_PRESSURE_MAX_ASK);
	CHECK(n == 3);
	CHECK(asked[0] == cid[6]);
	CHECK(asked[1] == cid[3]);
	CHECK(asked[2] == cid[4]);	/* 3000 ms */
out:
	host_fini(&h);
}

/*
 * The OS restores the victims: memory is over the high watermark, and
 * nothing more is asked even once the patience for them has run out.
 * Without the restores, the next idlest are asked after that patience.
 */
static void test_pressure_relieved(void)
{
	uint32_t cid[NCONN], asked[NFW_PRESSURE_MAX_ASK];
	struct fw_host h;
	unsigned int n, i;
	uint64_t m;

	setup_pressure(&h, cid, &m);
	if (test_failed)
		goto out;
	n = pressure_asks(&h, asked, NFW_PRESSURE_MAX_ASK);
	CHECK(n == 3);
	/* an OS that does not answer: the next idlest after the patience */
	h.fw->now_ms += 5000;
	CHECK(pressure_asks(&h, asked + 3, 8) >= 1);
	CHECK(asked[3] == cid[4]);
	for (i = 0; i < 3; i++) {
		struct chw_cmd_restore r = {
			.op = CHW_OP_RESTORE,
			.buf_len = htole16(4096),
			.cid = htole32(asked[i]),
			.buf_addr = htole64(host_alloc(&h, 4096)),
		};
		struct chw_msg ev;
		bool done = false;

		host_post_cmd(&h, &r);
		host_run(&h);
		while (host_next_event(&h, &ev))
			done |= ev.op == CHW_EV_DONE &&
				((struct chw_ev_done *)&ev)->status == CHW_ST_OK;
		CHECK(done);
	}
	CHECK(!nfw_pressure_low(h.fw));
	h.fw->now_ms += 5000;
	CHECK(pressure_asks(&h, asked, NFW_PRESSURE_MAX_ASK) == 0);
out:
	host_fini(&h);
}

/*
 * The same shortage, but most of it out-of-order segments the
 * connections hold: transient, so nobody is asked back.
 */
static void test_pressure_ooo_passes(void)
{
	uint32_t cid[NCONN], asked[NFW_PRESSURE_MAX_ASK];
	struct nfw_conn *c;
	struct fw_host h;
	uint64_t m;

	setup_pressure(&h, cid, &m);
	if (test_failed)
		goto out;
	c = conn_of(&h, cid[7]);
	c->ooo_segs = 10;
	c->ooo_bytes = 18 * m - 10 * sizeof(struct nfw_ooo);
	CHECK(pressure_asks(&h, asked, NFW_PRESSURE_MAX_ASK) == 0);
	c->ooo_segs = 0;	/* none really held: nothing to free at fini */
	c->ooo_bytes = 0;
out:
	host_fini(&h);
}

const struct fw_test fw_pressure_tests[] = {
	{ "fw_pressure_victims", test_pressure_victims },
	{ "fw_pressure_recent_spared", test_pressure_recent_spared },
	{ "fw_pressure_relieved", test_pressure_relieved },
	{ "fw_pressure_ooo_passes", test_pressure_ooo_passes },
	{ NULL, NULL },
};
