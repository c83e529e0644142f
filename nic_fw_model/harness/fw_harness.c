// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * fw_harness - the firmware against Linux's TCP, with real connections.
 *
 *   fw_harness --os NS --wire NS --xfer PATH [--mem-kb N] [--fuzz CMD]
 *              [TEST...]
 *
 * The OS side's Linux TCP accepts a connection from the peer (hnd_xfer in
 * the wire namespace); the harness hands it to the firmware with
 * TCP_REPAIR, plays the application through commands and events, and may
 * restore it to Linux.  Both ends check every byte and compare SHA-256.
 * KTAP on stdout; exit 0 if every test passed.  See hh.h for the topology.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hh.h"
#include "../nfw_tcp.h"
#include "../../selftests/tools/stream.h"

static const char *ns_os, *ns_wire, *xfer_path, *fuzz_cmd;
static struct hh_nic nic;
static int next_port = 20000;

#define OS_ADDR4	"10.88.0.2"
#define OS_ADDR6	"fd88::2"

#define note(...) do { printf("# " __VA_ARGS__); printf("\n"); } while (0)

static int listen_in_os(bool v6, int port)
{
	int fd = hh_socket_in(ns_os, v6 ? AF_INET6 : AF_INET, SOCK_STREAM);
	int one = 1;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6) {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	if (bind(fd, (void *)&ss, len) || listen(fd, 1024)) {
		perror("listen");
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Accept while the harness moves the handshake's frames. */
static int accept_pumping(int lfd, int timeout_ms)
{
	uint64_t end = hh_now_ms() + timeout_ms;

	while (hh_now_ms() < end) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		hh_pump(&nic, 5, lfd, POLLIN);
	}
	return -1;
}

/* Start hnd_xfer in the wire namespace connecting to us. */
static int peer_start(const char *mode, bool v6, int port, uint64_t bytes,
		      uint64_t seed, const char *extra, const char *out,
		      int flows)
{
	char target[64], sbytes[32], sseed[32], sflows[16];
	char *argv[24];
	int n = 0;

	snprintf(target, sizeof(target), v6 ? "%s:%d" : "%s:%d",
		 v6 ? OS_ADDR6 : OS_ADDR4, port);
	snprintf(sbytes, sizeof(sbytes), "%llu", (unsigned long long)bytes);
	snprintf(sseed, sizeof(sseed), "%llu", (unsigned long long)seed);
	snprintf(sflows, sizeof(sflows), "%d", flows);
	argv[n++] = "ip";
	argv[n++] = "netns";
	argv[n++] = "exec";
	argv[n++] = (char *)ns_wire;
	argv[n++] = (char *)xfer_path;
	argv[n++] = (char *)mode;
	argv[n++] = "--connect";
	argv[n++] = target;
	argv[n++] = "--bytes";
	argv[n++] = sbytes;
	argv[n++] = "--seed";
	argv[n++] = sseed;
	argv[n++] = "--flows";
	argv[n++] = sflows;
	argv[n++] = "--timeout";
	argv[n++] = "600";
	if (extra) {
		static char buf[128];
		char *tok;

		snprintf(buf, sizeof(buf), "%s", extra);
		for (tok = strtok(buf, " "); tok && n < 22;
		     tok = strtok(NULL, " "))
			argv[n++] = tok;
	}
	argv[n] = NULL;
	return hh_spawn(argv, out);
}

/* Wait for the peer to exit, moving frames meanwhile (we are its wire). */
static int peer_wait(int pid, int timeout_s)
{
	uint64_t end = hh_now_ms() + timeout_s * 1000ULL;
	int st;

	while (hh_now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		hh_pump(&nic, 5, -1, 0);
	}
	return hh_wait(pid, 0);
}

/* The SHA-256 the peer printed on the line starting with key. */
static bool peer_digest(const char *out, const char *key, char hex[65])
{
	char line[256];
	FILE *f = fopen(out, "r");
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char k[16], h[80];
		int idx;
		unsigned long long bytes;

		if (sscanf(line, "%15s %d bytes %llu sha256 %79s", k, &idx,
			   &bytes, h) == 4 && !strcmp(k, key)) {
			snprintf(hex, 65, "%.64s", h);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void peer_show(const char *out)
{
	char line[256];
	FILE *f = fopen(out, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("# peer: %s", line);
	fclose(f);
}

/* What one transfer test does. */
struct xfer_spec {
	const char *peer_mode;		/* "send", "recv", "duplex" */
	uint64_t bytes;
	bool v6;
	const char *peer_extra;		/* e.g. "--rate 1M" */
	int restore_at_pct;		/* restore to Linux there (0: never) */
	int pingpong_ms;		/* handoff/restore every so often */
	bool nonempty;			/* hand off with queues non-empty */
	bool expect_reset;
	bool close_first;		/* we close (CLOSE) right after sending */
	int timeout_s;
	bool (*midway)(struct hh_conn *c);	/* once, at 30% */
	bool no_handoff;		/* stay on Linux: the baseline */
	double *mbps;			/* out: the application's throughput */
};

static bool run_xfer(const struct xfer_spec *spec)
{
	struct xfer_spec copy = *spec, *sp = &copy;
	bool sp_midway_done = false;
	uint64_t seed = 1000 + next_port;
	int port = next_port++, lfd, fd, pid, rc;
	bool rx = strcmp(sp->peer_mode, "recv") != 0;	/* we receive */
	bool tx = strcmp(sp->peer_mode, "send") != 0;	/* we send */
	struct hh_conn c;
	char out[64], tx_hex[65], rx_hex[65], peer_hex[65];
	uint64_t end, next_switch = 0, t0;
	size_t rcvq = 0, sndq = 0;
	bool ok = true;

	snprintf(out, sizeof(out), "/tmp/hh-peer-%d-%d.out", (int)getpid(), port);
	lfd = listen_in_os(sp->v6, port);
	if (lfd < 0)
		return false;
	pid = peer_start(sp->peer_mode, sp->v6, port, sp->bytes,
			 !strcmp(sp->peer_mode, "duplex") ?
			 STREAM_REPLY_SEED(seed) : seed,
			 sp->peer_extra, out, 1);
	fd = accept_pumping(lfd, 10000);
	if (getenv("HH_VERBOSE"))
		note("accepted: fd %d", fd);
	close(lfd);
	if (fd < 0) {
		note("no connection from the peer");
		peer_wait(pid, 1);
		return false;
	}
	/* a duplex peer sends REPLY(seed) and expects seed back */
	hh_conn_init(&c, &nic, fd, seed,
		     !strcmp(sp->peer_mode, "duplex") ?
		     STREAM_REPLY_SEED(seed) : seed,
		     tx ? sp->bytes : 0, rx ? sp->bytes : 0);
	c.close_after_send = sp->close_first;

	if (sp->nonempty) {
		/*
		 * Let both queues fill before the handoff: the peer sends
		 * while we do not read, and we write until the socket (its
		 * buffer kept below the send area) takes no more.
		 */
		int sndbuf = 128 << 10;

		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		c.hold_reads = true;
		c.hold_fin = true;
		end = hh_now_ms() + 500;
		while (hh_now_ms() < end) {
			hh_conn_step(&c);
			hh_pump(&nic, 5, -1, 0);
		}
		c.hold_reads = false;
		c.hold_fin = false;
	}
	rc = sp->no_handoff ? 0 : hh_conn_handoff(&c, &rcvq, &sndq);
	if (sp->no_handoff) {
		note("left on Linux's TCP (baseline)");
	} else if (rc) {
		note("handoff failed: %d", rc);
		ok = false;
	} else {
		note("handed off as cid 0x%x with %zu unread and %zu unsent/unacked bytes",
		     c.cid, rcvq, sndq);
	}
	if (sp->nonempty && (!rcvq || !sndq)) {
		note("queues were not both non-empty at handoff");
		ok = false;
	}
	if (sp->pingpong_ms)
		next_switch = hh_now_ms() + sp->pingpong_ms;

	t0 = hh_now_ms();
	end = hh_now_ms() + sp->timeout_s * 1000ULL;
	uint64_t next_dbg = hh_now_ms() + 2000;
	while (ok && !hh_conn_done(&c) && !c.reset && hh_now_ms() < end) {
		if (getenv("HH_VERBOSE") && hh_now_ms() > next_dbg &&
		    c.cid != CHW_CID_NONE) {
			struct nfw_conn *k = nfw_conn_by_cid(nic.fw, c.cid);

			next_dbg = hh_now_ms() + 2000;
			if (k)
				note("rcvd %llu sent %llu acked %llu | una %u nxt-una %u max-una %u wr-una %u cwnd %u ssth %u rto %u bo %u rex %u dup %u fl 0x%x swnd %u | rcv_adv-nxt %u ooo %u rbufs %u sacked %u",
				     (unsigned long long)c.rcvd, (unsigned long long)c.sent,
				     (unsigned long long)c.acked, k->snd_una,
				     k->snd_nxt - k->snd_una, k->snd_max - k->snd_una,
				     k->write_seq - k->snd_una, k->cwnd, k->ssthresh,
				     k->rto_ms, k->backoff, k->rexmits, k->dupacks,
				     k->flags, k->snd_wnd, k->rcv_adv - k->rcv_nxt,
				     k->ooo_segs, k->rbuf_count, k->sacked);
		}
		uint64_t goal = (rx ? sp->bytes : 0) + (tx ? sp->bytes : 0);

		hh_conn_step(&c);
		hh_pump(&nic, 5, c.fd, POLLIN | POLLOUT);
		if (sp->midway && !sp_midway_done && c.cid != CHW_CID_NONE &&
		    (c.rcvd + c.sent) * 100 >= goal * 30) {
			if (!sp->midway(&c))
				ok = false;
			sp_midway_done = true;
		}
		if (sp->restore_at_pct && c.cid != CHW_CID_NONE &&
		    (c.rcvd + c.sent) * 100 >= goal * sp->restore_at_pct) {
			rc = hh_conn_restore(&c);
			note("restored to Linux at %llu+%llu bytes: %d",
			     (unsigned long long)c.rcvd,
			     (unsigned long long)c.sent, rc);
			ok = !rc;
		}
		if (next_switch && hh_now_ms() >= next_switch &&
		    !c.peer_fin && c.sent < c.send_total) {
			rc = c.cid != CHW_CID_NONE ? hh_conn_restore(&c) :
			     hh_conn_handoff(&c, NULL, NULL);
			if (rc) {
				note("switch %u failed: %d",
				     c.handoffs + c.restores, rc);
				ok = false;
			}
			next_switch = hh_now_ms() + sp->pingpong_ms;
		}
	}
	if (sp->mbps)
		*sp->mbps = (c.rcvd + c.sent) / 1e3 /
			    (hh_now_ms() - t0 ? hh_now_ms() - t0 : 1);
	if (!hh_conn_done(&c) && !c.reset) {
		note("incomplete: sent %llu/%llu received %llu/%llu fin %d",
		     (unsigned long long)c.sent,
		     (unsigned long long)c.send_total,
		     (unsigned long long)c.rcvd,
		     (unsigned long long)c.recv_total, c.peer_fin);
		ok = false;
	}
	if (sp->expect_reset != c.reset) {
		note("reset %s", c.reset ? "unexpected" : "expected, not seen");
		ok = false;
	}
	if (c.bad_at >= 0) {
		note("CORRUPT: received stream differs at byte %lld", c.bad_at);
		ok = false;
	}
	hh_conn_close(&c);
	/* let the close go out and the peer finish */
	end = hh_now_ms() + 5000;
	while (hh_now_ms() < end && !c.freed && c.fd < 0 &&
	       c.cid != CHW_CID_NONE)
		hh_pump(&nic, 5, -1, 0);
	rc = peer_wait(pid, 20);
	if (rc && !sp->expect_reset) {
		note("peer exited with %d", rc);
		peer_show(out);
		ok = false;
	}
	hh_conn_digest(&c, tx_hex, rx_hex);
	if (rx && !sp->expect_reset) {
		if (!peer_digest(out, strcmp(sp->peer_mode, "duplex") ?
				 "flow" : "sent", peer_hex) ||
		    strcmp(peer_hex, rx_hex)) {
			note("sha256 of the peer's stream differs: %.16s here, %.16s there (%llu bytes read)",
			     rx_hex, peer_hex, (unsigned long long)c.rcvd);
			peer_show(out);
			ok = false;
		}
	}
	if (tx) {
		if (!peer_digest(out, "flow", peer_hex) ||
		    strcmp(peer_hex, tx_hex)) {
			note("sha256 of our stream differs at the peer");
			ok = false;
		}
	}
	if (ok)
		note("%s %llu bytes: sha256 equal at both ends (handoffs %u, restores %u)",
		     sp->peer_mode, (unsigned long long)sp->bytes, c.handoffs,
		     c.restores);
	if (c.fd >= 0)
		close(c.fd);
	hh_conn_forget(&c);	/* c lives on this stack frame only */
	unlink(out);
	return ok;
}

/* ---- the tests ---------------------------------------------------------- */

static bool t_bulk_rx(void)
{
	struct xfer_spec s = { .peer_mode = "send", .bytes = 256u << 20,
			       .timeout_s = 300 };

	return run_xfer(&s);
}

static bool t_bulk_tx(void)
{
	struct xfer_spec s = { .peer_mode = "recv", .bytes = 256u << 20,
			       .timeout_s = 300 };

	return run_xfer(&s);
}

static bool t_bidir(void)
{
	struct xfer_spec s = { .peer_mode = "duplex", .bytes = 64u << 20,
			       .timeout_s = 300 };
	struct xfer_spec s6 = { .peer_mode = "duplex", .bytes = 16u << 20,
				.v6 = true, .timeout_s = 300 };

	return run_xfer(&s) && run_xfer(&s6);
}

static bool t_netem(void)
{
	struct xfer_spec s = { .peer_mode = "duplex", .bytes = 32u << 20,
			       .timeout_s = 600 };
	bool ok;

	/* 5% loss, 25% reordering, 1% duplication, 20 ms delay, both ways */
	nic.imp = (struct hh_impair){ .loss = 0.05, .dup = 0.01,
				      .reorder = 0.25, .delay_ms = 20 };
	ok = run_xfer(&s);
	nic.imp = (struct hh_impair){ 0 };
	return ok;
}

static bool t_zero_window(void)
{
	struct xfer_spec s = { .peer_mode = "recv", .bytes = 8u << 20,
			       .peer_extra = "--rate 1M", .timeout_s = 120 };

	return run_xfer(&s);
}

static bool t_peer_close(void)
{
	struct xfer_spec s = { .peer_mode = "send", .bytes = 1u << 20,
			       .timeout_s = 60 };

	return run_xfer(&s);
}

static bool t_local_close(void)
{
	struct xfer_spec s = { .peer_mode = "recv", .bytes = 1u << 20,
			       .close_first = true, .timeout_s = 60 };

	return run_xfer(&s);
}

static bool t_rst(void)
{
	struct xfer_spec s = { .peer_mode = "send", .bytes = 8u << 20,
			       .peer_extra = "--rst-after 1M",
			       .expect_reset = true, .timeout_s = 60 };

	return run_xfer(&s);
}

static bool t_handoff_nonempty(void)
{
	struct xfer_spec s = { .peer_mode = "duplex", .bytes = 8u << 20,
			       .peer_extra = "--rate 2M", .nonempty = true,
			       .timeout_s = 120 };

	return run_xfer(&s);
}

static bool t_restore_roundtrip(void)
{
	struct xfer_spec s = { .peer_mode = "duplex", .bytes = 32u << 20,
			       .restore_at_pct = 50, .timeout_s = 300 };

	return run_xfer(&s);
}

/*
 * Every kind of malformed command, sent while c transfers: each must get
 * its own error event with the right status, and c must not notice.
 */
static bool bad_commands(struct hh_conn *c)
{
	uint64_t outside = HH_RAM_BASE + nic.ram_size + 4096;
	uint64_t state = hh_alloc(&nic, 4096);
	struct chw_conn_state *st = hh_ptr(&nic, state);
	uint8_t *junk;
	struct {
		const char *what;
		struct chw_msg m;
		uint8_t status;
	} cases[] = {
		{ "unknown opcode", { .op = 0x7f }, CHW_ST_BAD_OP },
		{ "stale connection id",
		  { .op = CHW_OP_SEND, .arg = htole16(100),
		    .cid = htole32(c->cid ^ (1u << CHW_CID_SLOT_BITS)),
		    .val = htole64(c->send_area) }, CHW_ST_BAD_CID },
		{ "no such slot", { .op = CHW_OP_RECVD, .cid = htole32(4000) },
		  CHW_ST_BAD_CID },
		{ "send of length 0",
		  { .op = CHW_OP_SEND, .cid = htole32(c->cid),
		    .val = htole64(c->send_area) }, CHW_ST_BAD_LEN },
		{ "send outside guest memory",
		  { .op = CHW_OP_SEND, .arg = htole16(1000),
		    .cid = htole32(c->cid), .val = htole64(outside) },
		  CHW_ST_DMA },
		{ "recvd beyond what arrived",
		  { .op = CHW_OP_RECVD, .cid = htole32(c->cid),
		    .val = htole64(1ULL << 40) }, CHW_ST_BAD_LEN },
		{ "unknown ctrl code",
		  { .op = CHW_OP_CTRL, .arg = htole16(999),
		    .cid = htole32(c->cid) }, CHW_ST_BAD_CODE },
		{ "post outside guest memory",
		  { .op = CHW_OP_POST, .arg = htole16(4096),
		    .cid = htole32(c->cid), .val = htole64(outside) },
		  CHW_ST_DMA },
		{ "handoff state outside guest memory",
		  { .op = CHW_OP_HANDOFF, .arg = htole16(sizeof(*st)),
		    .val = htole64(outside) }, CHW_ST_DMA },
		{ "handoff of a bad state block",
		  { .op = CHW_OP_HANDOFF, .arg = htole16(sizeof(*st)),
		    .val = htole64(state) }, CHW_ST_BAD_STATE },
		{ "handoff state too short",
		  { .op = CHW_OP_HANDOFF, .arg = htole16(8),
		    .val = htole64(state) }, CHW_ST_BAD_LEN },
		{ "restore into too small a buffer",
		  { .op = CHW_OP_RESTORE, .arg = htole16(16),
		    .cid = htole32(c->cid), .val = htole64(state) },
		  CHW_ST_BAD_LEN },
		{ "forward of a frame for nobody",
		  { .op = CHW_OP_FORWARD, .arg = htole16(100),
		    .val = htole64(state) }, CHW_ST_BAD_CID },
		{ "forward of length 0",
		  { .op = CHW_OP_FORWARD, .val = htole64(state) },
		  CHW_ST_BAD_LEN },
	};
	unsigned int i, errors0 = nic.errors;
	bool ok = true;

	/* a state block that is wrong in its version only */
	memset(st, 0, sizeof(*st));
	st->version = htole16(CHW_STATE_VERSION + 7);
	st->hdr_len = htole16(sizeof(*st));
	junk = hh_ptr(&nic, state + sizeof(*st));
	for (i = 0; i < 100; i++)
		junk[i] = (uint8_t)(i * 37);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct chw_ev_done d;
		int st_got;

		if (cases[i].m.op == CHW_OP_FORWARD && cases[i].m.arg)
			cases[i].m.val = htole64(state + sizeof(*st));
		st_got = hh_cmd_wait(&nic, &cases[i].m, &d);
		if (st_got != cases[i].status) {
			note("%s: status %d, expected %u", cases[i].what,
			     st_got, cases[i].status);
			ok = false;
		}
	}
	note("%u malformed commands, %u error events, the transfer goes on",
	     i, nic.errors - errors0);
	return ok && nic.errors - errors0 == i;
}

static bool t_bad_commands(void)
{
	struct xfer_spec s = { .peer_mode = "duplex", .bytes = 8u << 20,
			       .midway = bad_commands, .timeout_s = 120 };

	return run_xfer(&s);
}

#define HH_MEM_KB	16384
static uint32_t base_mem_kb = HH_MEM_KB;	/* --mem-kb */

/* A fresh NIC with mem_kb of memory, on the same taps. */
static int nic_reinit(uint32_t mem_kb)
{
	int tap_os = nic.tap_os, tap_wire = nic.tap_wire;
	uint8_t os_mac[6], wire_mac[6];

	memcpy(os_mac, nic.os_mac, 6);
	memcpy(wire_mac, nic.wire_mac, 6);
	hh_nic_fini(&nic);
	memset(&nic, 0, sizeof(nic));
	if (hh_nic_init(&nic, 64, mem_kb))
		return -1;
	nic.ns_os = ns_os;
	nic.tap_os = tap_os;
	nic.tap_wire = tap_wire;
	memcpy(nic.os_mac, os_mac, 6);
	memcpy(nic.wire_mac, wire_mac, 6);
	return 0;
}

/*
 * More connections than NIC memory holds: the handoffs that do not fit
 * are refused whole, the resource events say the NIC is full, and every
 * connection, offloaded or not, delivers its bytes.
 */
static bool t_capacity(void)
{
	enum { N = 48 };
	static struct hh_conn conns[N];
	uint64_t seed = 4242, end;
	int port = next_port++, lfd, pid, i, rc, offloaded = 0, refused = 0;
	char out[64];
	bool ok = true, all;

	/* a NIC whose memory holds about a dozen connections */
	if (nic_reinit(24))
		return false;

	snprintf(out, sizeof(out), "/tmp/hh-peer-%d-%d.out", (int)getpid(), port);
	lfd = listen_in_os(false, port);
	/* the peer sends and closes first: no TIME_WAIT on the NIC's side */
	pid = peer_start("send", false, port, 256u << 10, seed, NULL, out, N);
	for (i = 0; i < N && ok; i++) {
		int fd = accept_pumping(lfd, 10000);

		if (fd < 0) {
			note("connection %d never came", i);
			ok = false;
			break;
		}
		hh_conn_init(&conns[i], &nic, fd, seed, seed, 0, 256u << 10);
		conns[i].flow = i;
		conns[i].fin_after_eof = true;
	}
	close(lfd);
	for (i = 0; i < N && ok; i++) {
		rc = hh_conn_handoff(&conns[i], NULL, NULL);
		if (!rc)
			offloaded++;
		else if (rc == -CHW_ST_NO_MEM || rc == -CHW_ST_NO_CONN)
			refused++;
		else {
			note("handoff %d: unexpected %d", i, rc);
			ok = false;
		}
	}
	note("%d offloaded, %d refused for lack of NIC memory; resources: %u conns, %u KiB free",
	     offloaded, refused, le32toh(nic.res.free_conns),
	     le32toh(nic.res.free_mem_kb));
	if (!offloaded || !refused || le32toh(nic.res.free_conns) != 0)
		ok = false;

	end = hh_now_ms() + 120000;
	do {
		all = true;
		for (i = 0; i < N; i++) {
			hh_conn_step(&conns[i]);
			all &= hh_conn_done(&conns[i]) && !conns[i].reset &&
			       conns[i].bad_at < 0;
		}
		hh_pump(&nic, 5, -1, 0);
	} while (!all && hh_now_ms() < end);
	for (i = 0; i < N; i++) {
		if (getenv("HH_VERBOSE"))
			note("conn %d: fd %d cid 0x%x sent %llu acked %llu fin %d",
			     i, conns[i].fd, conns[i].cid,
			     (unsigned long long)conns[i].sent,
			     (unsigned long long)conns[i].acked,
			     conns[i].fin_sent);
		hh_conn_close(&conns[i]);
	}
	rc = peer_wait(pid, 60);
	for (i = 0; i < N; i++)
		hh_conn_forget(&conns[i]);
	if (rc) {
		note("peer exited with %d", rc);
		peer_show(out);
		ok = false;
	}
	if (!all) {
		note("not every connection received its stream intact");
		ok = false;
	}
	/* the connections end; their memory comes back */
	end = hh_now_ms() + 5000;
	while (hh_now_ms() < end)
		hh_pump(&nic, 5, -1, 0);
	note("after the transfers: %u conns free", le32toh(nic.res.free_conns));
	if (le32toh(nic.res.free_conns) == 0)
		ok = false;
	unlink(out);

	return !nic_reinit(base_mem_kb) && ok;
}

/*
 * fw_harness --bench: the same 256 MB through the same harness, once left
 * on Linux's TCP (frames through the NIC's host path) and once handed off
 * to the firmware; each way, and the ratio.
 */
static int bench(void)
{
	static const char *const modes[] = { "send", "recv" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		double linux_mbps = 0, fw_mbps = 0;
		struct xfer_spec s = { .peer_mode = modes[i],
				       .bytes = 256u << 20, .timeout_s = 300,
				       .no_handoff = true, .mbps = &linux_mbps };

		if (!run_xfer(&s))
			return 1;
		s.no_handoff = false;
		s.mbps = &fw_mbps;
		if (!run_xfer(&s))
			return 1;
		printf("bench: bulk %s: Linux TCP %.1f MB/s, firmware %.1f MB/s, ratio %.2f\n",
		       i ? "send" : "receive", linux_mbps, fw_mbps,
		       fw_mbps / linux_mbps);
	}
	return 0;
}

/* The firmware's fuzz targets, briefly: no finding allowed. */
static bool t_fuzz_smoke(void)
{
	int rc;

	if (!fuzz_cmd) {
		note("no --fuzz command given");
		return false;
	}
	rc = system(fuzz_cmd);
	note("fuzzers: %s", rc ? "FOUND something (see build/fuzz/)" :
	     "no crash, leak or undefined behaviour");
	return rc == 0;
}

static const struct {
	const char *name;
	bool (*fn)(void);
} tests[] = {
	{ "fw_bulk_rx", t_bulk_rx },
	{ "fw_bulk_tx", t_bulk_tx },
	{ "fw_bidir", t_bidir },
	{ "fw_netem_loss", t_netem },
	{ "fw_zero_window", t_zero_window },
	{ "fw_peer_close", t_peer_close },
	{ "fw_local_close", t_local_close },
	{ "fw_rst", t_rst },
	{ "fw_handoff_nonempty", t_handoff_nonempty },
	{ "fw_restore_roundtrip", t_restore_roundtrip },
	{ "fw_capacity", t_capacity },
	{ "fw_bad_commands", t_bad_commands },
	{ "fw_fuzz_smoke", t_fuzz_smoke },
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "os", required_argument, NULL, 'o' },
		{ "wire", required_argument, NULL, 'w' },
		{ "xfer", required_argument, NULL, 'x' },
		{ "mem-kb", required_argument, NULL, 'm' },
		{ "fuzz", required_argument, NULL, 'f' },
		{ "bench", no_argument, NULL, 'b' },
		{ }
	};
	unsigned int i, n = sizeof(tests) / sizeof(tests[0]), run = 0, bad = 0;
	bool bench_mode = false;

	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'o': ns_os = optarg; break;
		case 'w': ns_wire = optarg; break;
		case 'x': xfer_path = optarg; break;
		case 'm': base_mem_kb = atoi(optarg); break;
		case 'f': fuzz_cmd = optarg; break;
		case 'b': bench_mode = true; break;
		default: return 2;
		}
	}
	if (!ns_os || !ns_wire || !xfer_path) {
		fprintf(stderr, "usage: fw_harness --os NS --wire NS --xfer PATH [TEST...]\n");
		return 2;
	}
	if (hh_nic_init(&nic, 64, base_mem_kb))
		return 1;
	nic.ns_os = ns_os;
	nic.tap_os = hh_tap_open(ns_os, "hos0", nic.os_mac);
	nic.tap_wire = hh_tap_open(ns_wire, "hwire0", nic.wire_mac);
	if (nic.tap_os < 0 || nic.tap_wire < 0)
		return 1;

	if (bench_mode)
		return bench();
	for (i = 0; i < n; i++) {
		int k;
		bool want = optind == argc;

		for (k = optind; k < argc; k++)
			want |= !strcmp(argv[k], tests[i].name);
		run += want;
	}
	printf("TAP version 13\n1..%u\n", run);
	run = 0;
	for (i = 0; i < n; i++) {
		bool want = optind == argc, ok;
		int k;

		for (k = optind; k < argc; k++)
			want |= !strcmp(argv[k], tests[i].name);
		if (!want)
			continue;
		note("%s", tests[i].name);
		ok = tests[i].fn();
		printf("%sok %u %s\n", ok ? "" : "not ", ++run, tests[i].name);
		bad += !ok;
	}
	note("frames: to wire %llu, from wire %llu, to the OS %llu",
	     (unsigned long long)nic.frames_to_wire,
	     (unsigned long long)nic.frames_from_wire,
	     (unsigned long long)nic.frames_to_os);
	hh_nic_fini(&nic);
	return bad ? 1 : 0;
}
