// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fw_tcp_ack.c - when the firmware acknowledges received data.
 *
 * The firmware ACKs as Linux does: every second full-sized segment while
 * the window it would offer is no smaller than the one it offered last;
 * while the window shrinks (data waits for the reader), with the OS's
 * RECVD, or on the delayed-ACK timer.
 */
#include <string.h>

#include "fw_conn.h"
#include "../nfw_pkt.h"

#define MSS	1448

/* The peer's next in-order data segment, acknowledging all we sent. */
static void peer_data(struct fw_host *h, uint32_t *seq, uint32_t len)
{
	static uint8_t frame[2048], tcp[32 + MSS];

	memset(tcp, 0, 32);
	nfw_put_be32(tcp + 4, *seq);
	nfw_put_be32(tcp + 8, h->seq_end);
	tcp[12] = 8 << 4;
	tcp[13] = NFW_TCP_ACK;
	nfw_put_be16(tcp + 14, 8192);
	memcpy(tcp + 20, "\x01\x01\x08\x0a", 4);
	nfw_put_be32(tcp + 24, 1000 + *seq);
	nfw_put_be32(tcp + 28, h->tsval);
	memset(tcp + 32, 0x5a, len);
	nfw_rx_frame(h->fw, frame, fw_conn_frame(frame, tcp, 32 + len));
	*seq += len;
}

static void os_cmd(struct fw_host *h, uint8_t op, uint32_t cid, uint64_t len,
		   uint64_t addr)
{
	struct chw_msg m;

	memset(&m, 0, sizeof(m));
	m.op = op;
	m.cid = htole32(cid);
	if (op == CHW_OP_RECVD) {
		((struct chw_cmd_recvd *)&m)->len = htole64(len);
	} else {
		((struct chw_cmd_post *)&m)->len = htole16(len);
		((struct chw_cmd_post *)&m)->addr = htole64(addr);
	}
	host_post_cmd(h, &m);
	nfw_run(h->fw);
}

/*
 * Let the firmware send what the handoff left queued and the peer
 * acknowledge it all, so that what follows is receive alone.
 */
static void settle(struct fw_host *h)
{
	static uint8_t frame[128], tcp[32];
	uint32_t end;
	int i;

	for (i = 0; i < 8; i++) {
		end = h->seq_end;
		memset(tcp, 0, sizeof(tcp));
		nfw_put_be32(tcp + 4, CONN_RCV_NXT);
		nfw_put_be32(tcp + 8, end);
		tcp[12] = 8 << 4;
		tcp[13] = NFW_TCP_ACK;
		nfw_put_be16(tcp + 14, 8192);
		memcpy(tcp + 20, "\x01\x01\x08\x0a", 4);
		nfw_put_be32(tcp + 24, 1000);
		nfw_put_be32(tcp + 28, h->tsval);
		nfw_rx_frame(h->fw, frame, fw_conn_frame(frame, tcp, 32));
		fw_conn_events(h);
		if (h->seq_end == end)
			break;
	}
}

/* The acknowledgment number of the last frame the firmware sent. */
static uint32_t last_ack(const struct fw_host *h)
{
	return nfw_get_be32(h->frames[h->nframes - 1] + 14 + 20 + 8);
}

/* Data waiting for the reader: no ACK until the reader's RECVD. */
void test_ack_held_while_window_shrinks(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h), seq = CONN_RCV_NXT;
	unsigned int sent;

	settle(&h);
	sent = h.tx_frames;
	peer_data(&h, &seq, MSS);
	peer_data(&h, &seq, MSS);
	fw_conn_events(&h);
	CHECK(h.tx_frames == sent);		/* held back */
	os_cmd(&h, CHW_OP_RECVD, cid, 2 * MSS, 0);
	CHECK(h.tx_frames == sent + 1);		/* sent with the read */
	CHECK(h.nframes && last_ack(&h) == seq);
	host_fini(&h);
}

/* The window holds (buffers posted as fast as data comes): every second
 * full segment is acknowledged at once. */
void test_ack_every_second_segment(void)
{
	struct fw_host h;
	uint32_t cid = fw_conn_setup(&h), seq = CONN_RCV_NXT;
	unsigned int i, sent;

	settle(&h);
	sent = h.tx_frames;
	peer_data(&h, &seq, MSS);
	fw_conn_events(&h);
	CHECK(h.tx_frames == sent);		/* one: the timer's */
	/* more posted than the 64 KiB the handoff offered: no update yet */
	for (i = 0; i < 4; i++)
		os_cmd(&h, CHW_OP_POST, cid, 16384, host_alloc(&h, 16384));
	CHECK(h.tx_frames == sent);
	peer_data(&h, &seq, MSS);
	CHECK(h.tx_frames == sent + 1);
	CHECK(h.nframes && last_ack(&h) == seq);
	peer_data(&h, &seq, MSS);
	CHECK(h.tx_frames == sent + 1);
	host_fini(&h);
}
