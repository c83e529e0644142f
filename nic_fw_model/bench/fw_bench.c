// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fw_bench - drive the firmware through a bulk receive or a bulk send of
 * MSS-sized segments, with nothing else around it, so that callgrind can
 * count the firmware's instructions per packet (scripts/bench-fw.sh).
 *
 *   fw_bench rx N [B] N data segments in, B at a time (default 1), the
 *                     firmware ACKs and delivers
 *   fw_bench tx N [E] the firmware sends N data segments; an ACK comes
 *                     back for every E-th (default 2)
 *
 * Everything the firmware does per packet is counted: parsing, TCP, DMA
 * of payload to or from host memory, events and the OS's commands for
 * the packet (RECVD, reposted buffers, SENDs).  The bench's own work
 * (building frames, reading events) is outside the counted functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/fw_conn.h"
#include "../nfw_pkt.h"

#define MSS		1448
#define RBUFS		8
#define RBUF_LEN	32768
#define SEND_CHUNK	61440
#define SEND_AREA	(1u << 20)

static void post_buf(struct fw_host *h, uint32_t cid, uint64_t addr)
{
	struct chw_cmd_post p = {
		.op = CHW_OP_POST, .cid = htole32(cid),
		.len = htole16(RBUF_LEN), .addr = htole64(addr),
	};

	host_post_cmd(h, &p);
}

/*
 * The OS's side of the events of one run, as the bypass layer does it
 * (bp_rx_return()): the reader takes what arrived, one RECVD says so for
 * all of it, and each buffer filled to its end is posted again.
 */
static uint64_t handle_events(struct fw_host *h, uint32_t cid,
			      const uint64_t *rbuf)
{
	struct chw_msg ev;
	uint64_t acked = 0, read = 0;
	uint64_t done[RBUFS];
	unsigned int ndone = 0, i;

	while (host_next_event(h, &ev)) {
		if (ev.op == CHW_EV_RECV) {
			const struct chw_ev_recv *r = (const void *)&ev;

			read += le16toh(r->len);
			for (i = 0; i < RBUFS && (r->flags & CHW_RECV_BUF_DONE); i++)
				if (le64toh(r->addr) >= rbuf[i] &&
				    le64toh(r->addr) < rbuf[i] + RBUF_LEN)
					done[ndone++] = rbuf[i];
		} else if (ev.op == CHW_EV_ACK) {
			acked += le64toh(((struct chw_ev_ack *)&ev)->len);
		}
	}
	if (read) {
		struct chw_cmd_recvd m = {
			.op = CHW_OP_RECVD, .cid = htole32(cid),
			.len = htole64(read),
		};

		host_post_cmd(h, &m);
	}
	for (i = 0; i < ndone; i++)
		post_buf(h, cid, done[i]);
	return acked;
}

/* Events and commands, the messages that cross the bus for the OS. */
static uint64_t ring_messages(struct fw_host *h)
{
	return nfw_stat(h->fw, CHW_STAT_EVENTS) + nfw_stat(h->fw, CHW_STAT_CMDS);
}

/* A segment from the peer: seq, ack, payload len, timestamps. */
static size_t peer_segment(uint8_t *f, uint32_t seq, uint32_t ack,
			   uint32_t len, uint32_t tsval, uint32_t tsecr)
{
	static uint8_t tcp[32 + MSS];

	memset(tcp, 0, 32);
	nfw_put_be32(tcp + 4, seq);
	nfw_put_be32(tcp + 8, ack);
	tcp[12] = 8 << 4;
	tcp[13] = NFW_TCP_ACK;
	nfw_put_be16(tcp + 14, 8192);		/* << 7: 1 MiB */
	memcpy(tcp + 20, "\x01\x01\x08\x0a", 4);
	nfw_put_be32(tcp + 24, tsval);
	nfw_put_be32(tcp + 28, tsecr);
	memset(tcp + 32, 0x5a, len);
	return fw_conn_frame(f, tcp, 32 + len);
}

/*
 * Bulk receive: the peer's segments come in bursts of `burst` frames (a
 * NIC's receive queue fills while its processor is busy, and the QEMU
 * device feeds every queued frame before it runs the firmware), then the
 * firmware runs, the OS answers its events, and the firmware runs again
 * for the OS's commands.  burst 1 is the worst case: every segment alone.
 */
static void bench_rx(struct fw_host *h, uint32_t cid, unsigned int n,
		     unsigned int burst)
{
	static uint8_t frame[2048];
	uint64_t rbuf[RBUFS];
	uint32_t seq = CONN_RCV_NXT;
	unsigned int i, j, acks;
	uint64_t msgs;

	for (i = 0; i < RBUFS; i++) {
		rbuf[i] = host_alloc(h, RBUF_LEN);
		post_buf(h, cid, rbuf[i]);
	}
	nfw_run(h->fw);
	handle_events(h, cid, rbuf);
	acks = h->tx_frames;
	msgs = ring_messages(h);
	for (i = 0; i < n; i += burst) {
		for (j = i; j < n && j < i + burst; j++) {
			/* acknowledging what was sent, no more: a segment
			 * acknowledging more would be answered at once */
			size_t len = peer_segment(frame, seq, h->seq_end, MSS,
						  100 + j, h->tsval);

			nfw_rx_frame(h->fw, frame, len);
			seq += MSS;
		}
		nfw_run(h->fw);
		handle_events(h, cid, rbuf);
		nfw_run(h->fw);
	}
	acks = h->tx_frames - acks;
	msgs = ring_messages(h) - msgs;
	printf("rx: %u segments in, %u bytes delivered, bursts of %u, "
	       "%u ACKs out, %llu ring messages\n", n, seq - CONN_RCV_NXT,
	       burst, acks, (unsigned long long)msgs);
}

/*
 * Bulk send: the OS keeps up to 1 MiB queued in 60 KiB SENDs, and the
 * peer acknowledges every `every`-th segment with an ACK of its own, in
 * the order the segments arrived (2: RFC 1122's every second full-sized
 * segment; a Linux peer behind GRO acknowledges far fewer).
 */
static void bench_tx(struct fw_host *h, uint32_t cid, unsigned int n,
		     unsigned int every)
{
	static uint8_t frame[2048];
	uint64_t area = host_alloc(h, SEND_AREA), sent = 0, acked = 0;
	uint32_t acked_seq = CONN_SND_UNA;
	unsigned int tsval = 100, acks = 0;
	uint64_t msgs;
	uint64_t rbuf[RBUFS] = { 0 };

	h->data_frames = 0;
	msgs = ring_messages(h);
	while (h->data_frames < n) {
		while (sent - acked < SEND_AREA - SEND_CHUNK) {
			struct chw_cmd_send m = {
				.op = CHW_OP_SEND, .cid = htole32(cid),
				.len = htole16(SEND_CHUNK),
				.addr = htole64(area + sent % SEND_AREA),
			};

			if ((sent % SEND_AREA) + SEND_CHUNK > SEND_AREA)
				m.len = htole16(SEND_AREA - sent % SEND_AREA);
			host_post_cmd(h, &m);
			sent += le16toh(m.len);
			nfw_run(h->fw);
		}
		if (acked_seq != h->seq_end) {
			uint32_t ack = acked_seq + every * MSS;
			size_t len;

			if ((int32_t)(ack - h->seq_end) > 0)
				ack = h->seq_end;	/* all there is */
			len = peer_segment(frame, CONN_RCV_NXT, ack, 0, tsval++,
					   h->tsval);
			acked_seq = ack;
			acks++;
			nfw_rx_frame(h->fw, frame, len);
			nfw_run(h->fw);
		}
		acked += handle_events(h, cid, rbuf);
	}
	msgs = ring_messages(h) - msgs;
	printf("tx: %u segments out, %llu bytes acknowledged, ACKs in for "
	       "every %u, %u ACKs in, %llu ring messages\n", h->data_frames,
	       (unsigned long long)acked, every, acks,
	       (unsigned long long)msgs);
}

int main(int argc, char **argv)
{
	struct fw_host h;
	unsigned int n = argc > 2 ? atoi(argv[2]) : 10000;
	unsigned int opt = argc > 3 ? atoi(argv[3]) : 0;
	uint32_t cid;

	if (argc < 2 || (strcmp(argv[1], "rx") && strcmp(argv[1], "tx"))) {
		fprintf(stderr, "usage: fw_bench rx|tx [N]\n");
		return 2;
	}
	cid = fw_conn_setup(&h);
	h.seq_only = true;
	if (!strcmp(argv[1], "rx"))
		bench_rx(&h, cid, n, opt ? opt : 1);
	else
		bench_tx(&h, cid, n, opt ? opt : 2);
	host_fini(&h);
	return 0;
}
