// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * hh_nic.c - the harness's NIC: the firmware, a block of "host memory",
 * the four rings as a driver would set them up, and the loop that moves
 * frames between the taps and the firmware and events to connections.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hh.h"

#define HH_RX_RING	256
#define HH_CMD_RING	1024
#define HH_EV_RING	4096
#define HH_RX_BUF	2048

struct hh_delayed {
	struct hh_delayed *next;
	uint64_t due_ms;
	bool to_nic;			/* else to the wire */
	size_t len;
	uint8_t data[];
};

uint64_t hh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

void *hh_ptr(struct hh_nic *nic, uint64_t addr)
{
	return nic->ram + (addr - HH_RAM_BASE);
}

uint64_t hh_alloc(struct hh_nic *nic, uint64_t len)
{
	uint64_t a = nic->ram_next;

	nic->ram_next += (len + 63) & ~63ULL;
	if (nic->ram_next - HH_RAM_BASE > nic->ram_size) {
		fprintf(stderr, "hh: out of host memory\n");
		abort();
	}
	return a;
}

static bool hh_in_ram(struct hh_nic *nic, uint64_t addr, size_t len)
{
	return addr >= HH_RAM_BASE && len <= nic->ram_size &&
	       addr - HH_RAM_BASE <= nic->ram_size - len;
}

/* ---- firmware callbacks ------------------------------------------------ */

static int hh_dma_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	struct hh_nic *nic = opaque;

	if (!hh_in_ram(nic, addr, len))
		return -1;
	memcpy(buf, hh_ptr(nic, addr), len);
	return 0;
}

static int hh_dma_write(void *opaque, uint64_t addr, const void *buf,
			size_t len)
{
	struct hh_nic *nic = opaque;

	if (!hh_in_ram(nic, addr, len))
		return -1;
	memcpy(hh_ptr(nic, addr), buf, len);
	return 0;
}

static bool hh_dma_ok(void *opaque, uint64_t addr, size_t len)
{
	return hh_in_ram(opaque, addr, len);
}

static void hh_raise_irq(void *opaque, unsigned int vector)
{
	/* the harness polls its rings after every round */
}

static uint64_t hh_rand(struct hh_nic *nic)
{
	nic->rng ^= nic->rng << 13;
	nic->rng ^= nic->rng >> 7;
	nic->rng ^= nic->rng << 17;
	return nic->rng;
}

static bool hh_chance(struct hh_nic *nic, double p)
{
	return p > 0 && (hh_rand(nic) % 1000000) < p * 1000000;
}

static void hh_wire_write(struct hh_nic *nic, const void *frame, size_t len)
{
	if (write(nic->tap_wire, frame, len) == (ssize_t)len)
		nic->frames_to_wire++;
}

static void hh_delay_frame(struct hh_nic *nic, const void *frame, size_t len,
			   uint64_t due, bool to_nic)
{
	struct hh_delayed *d = malloc(sizeof(*d) + len), **p;

	if (!d)
		return;
	d->due_ms = due;
	d->to_nic = to_nic;
	d->len = len;
	memcpy(d->data, frame, len);
	for (p = &nic->delayed; *p && (*p)->due_ms <= due; p = &(*p)->next)
		;
	d->next = *p;
	*p = d;
}

static void hh_to_nic(struct hh_nic *nic, const void *frame, size_t len);
static void hh_rx_drain(struct hh_nic *nic);

/*
 * The wire between the NIC and the peer, both ways: it may lose,
 * duplicate, delay and reorder frames, as netem would (the host kernel
 * may have no netem, and this way both directions are impaired alike).
 */
static void hh_wire_impair(struct hh_nic *nic, const void *frame, size_t len,
			   bool to_nic)
{
	struct hh_impair *imp = &nic->imp;
	int copies = 1, i;

	if (hh_chance(nic, imp->loss))
		return;
	if (hh_chance(nic, imp->dup))
		copies = 2;
	for (i = 0; i < copies; i++) {
		if (!imp->delay_ms || hh_chance(nic, imp->reorder)) {
			if (to_nic)
				hh_to_nic(nic, frame, len);
			else
				hh_wire_write(nic, frame, len);
		} else {
			hh_delay_frame(nic, frame, len,
				       hh_now_ms() + imp->delay_ms, to_nic);
		}
	}
}

/* The firmware puts a frame on the wire. */
static void hh_tx_frame(void *opaque, const void *frame, size_t len)
{
	hh_wire_impair(opaque, frame, len, false);
}

static uint64_t hh_now_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void hh_log(void *opaque, const char *msg)
{
	if (getenv("HH_VERBOSE"))
		fprintf(stderr, "fw: %s\n", msg);
}

static const struct nfw_ops hh_ops = {
	.dma_read = hh_dma_read,
	.dma_write = hh_dma_write,
	.dma_ok = hh_dma_ok,
	.raise_irq = hh_raise_irq,
	.tx_frame = hh_tx_frame,
	.now_ns = hh_now_ns,
	.log = hh_log,
};

/* ---- rings -------------------------------------------------------------- */

static void hh_wr(struct hh_nic *nic, uint32_t reg, uint32_t val)
{
	nfw_mmio_write(nic->fw, reg, val, 4);
}

static void hh_rx_post(struct hh_nic *nic)
{
	while (nic->rx_tail - nic->rx_head < HH_RX_RING) {
		uint32_t slot = nic->rx_tail & (HH_RX_RING - 1);
		struct chw_rx_desc *d = hh_ptr(nic, nic->ring_addr[CHW_RING_RX] +
					       slot * 16);

		memset(d, 0, sizeof(*d));
		d->addr = htole64(nic->rx_buf[slot]);
		d->buf_len = htole16(HH_RX_BUF);
		nic->rx_tail++;
	}
	hh_wr(nic, CHW_REG_RING(CHW_RING_RX) + CHW_RING_TAIL, nic->rx_tail);
}

int hh_nic_init(struct hh_nic *nic, uint32_t max_conns, uint32_t mem_kb)
{
	static const uint32_t sizes[CHW_NUM_RINGS] = {
		16, HH_RX_RING, HH_CMD_RING, HH_EV_RING,
	};
	struct nfw_config cfg = {
		.mac = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc },
		.nic_mem_kb = mem_kb,
		.max_conns = max_conns,
	};
	unsigned int r, i;

	nic->ram_size = 512ULL << 20;
	nic->ram = calloc(1, nic->ram_size);
	nic->rx_buf = calloc(HH_RX_RING, sizeof(*nic->rx_buf));
	nic->ram_next = HH_RAM_BASE;
	nic->rng = 0x9e3779b97f4a7c15ULL;
	nic->fw = nfw_create(&cfg, &hh_ops, nic);
	if (!nic->ram || !nic->rx_buf || !nic->fw)
		return -1;
	for (r = 0; r < CHW_NUM_RINGS; r++) {
		nic->ring_size[r] = sizes[r];
		nic->ring_addr[r] = hh_alloc(nic, sizes[r] * 16);
		hh_wr(nic, CHW_REG_RING(r) + CHW_RING_BASE_LO,
		      (uint32_t)nic->ring_addr[r]);
		hh_wr(nic, CHW_REG_RING(r) + CHW_RING_BASE_HI,
		      nic->ring_addr[r] >> 32);
		hh_wr(nic, CHW_REG_RING(r) + CHW_RING_SIZE, sizes[r]);
	}
	for (i = 0; i < HH_RX_RING; i++)
		nic->rx_buf[i] = hh_alloc(nic, HH_RX_BUF);
	hh_wr(nic, CHW_REG_CTRL, CHW_CTRL_ENABLE);
	nfw_run(nic->fw);
	if (!(nfw_mmio_read(nic->fw, CHW_REG_STATUS, 4) & CHW_STATUS_ENABLED))
		return -1;
	hh_rx_post(nic);
	nfw_run(nic->fw);
	return 0;
}

void hh_nic_fini(struct hh_nic *nic)
{
	struct hh_delayed *d;

	while ((d = nic->delayed)) {
		nic->delayed = d->next;
		free(d);
	}
	nfw_destroy(nic->fw);
	free(nic->rx_buf);
	free(nic->ram);
}

/* Frames the firmware gave the host stack: to the OS-side kernel. */
static void hh_rx_drain(struct hh_nic *nic)
{
	bool any = false;

	while (nic->rx_head != nic->rx_tail) {
		uint32_t slot = nic->rx_head & (HH_RX_RING - 1);
		struct chw_rx_desc *d = hh_ptr(nic, nic->ring_addr[CHW_RING_RX] +
					       slot * 16);

		if (!(d->status & CHW_DESC_DONE))
			break;
		if (!(d->status & CHW_DESC_ERR) &&
		    write(nic->tap_os, hh_ptr(nic, nic->rx_buf[slot]),
			  le16toh(d->pkt_len)) > 0)
			nic->frames_to_os++;
		nic->rx_head++;
		any = true;
	}
	if (any)
		hh_rx_post(nic);
}

uint32_t hh_cmd(struct hh_nic *nic, const void *msg)
{
	uint32_t idx = nic->cmd_tail;
	uint32_t slot = idx & (HH_CMD_RING - 1);

	while (nic->cmd_tail - (uint32_t)nfw_mmio_read(nic->fw,
			CHW_REG_RING(CHW_RING_CMD) + CHW_RING_HEAD, 4) >=
	       HH_CMD_RING)
		hh_pump(nic, 1, -1, 0);
	memcpy(hh_ptr(nic, nic->ring_addr[CHW_RING_CMD] + slot * 16), msg, 16);
	nic->cmd_tail++;
	hh_wr(nic, CHW_REG_RING(CHW_RING_CMD) + CHW_RING_TAIL, nic->cmd_tail);
	return idx;
}

static struct chw_ev_done hh_done;
static uint32_t hh_done_idx = UINT32_MAX;

static void hh_event(struct hh_nic *nic, const struct chw_msg *ev)
{
	struct hh_conn *c;

	switch (ev->op) {
	case CHW_EV_DONE: {
		const struct chw_ev_done *d = (const void *)ev;

		if (d->status != CHW_ST_OK) {
			nic->errors++;
			nic->last_err = *d;
		}
		hh_done = *d;
		hh_done_idx = le32toh(d->cmd_idx);
		return;
	}
	case CHW_EV_RESOURCE:
		memcpy(&nic->res, ev, sizeof(nic->res));
		nic->res_events++;
		return;
	case CHW_EV_RESTORE:
		nic->restore_asks++;
		break;
	}
	c = nic->conn[CHW_CID_SLOT(le32toh(ev->cid)) % HH_MAX_CONNS];
	if (c && c->cid == le32toh(ev->cid))
		hh_conn_event(c, ev);
}

static void hh_ev_drain(struct hh_nic *nic)
{
	uint32_t size = HH_EV_RING;
	bool any = false;

	for (;;) {
		struct chw_msg *e = hh_ptr(nic, nic->ring_addr[CHW_RING_EV] +
					   (nic->ev_head & (size - 1)) * 16);
		uint8_t phase = (nic->ev_head & size) ? 0 : CHW_EV_PHASE;
		struct chw_msg m;

		if ((e->flags & CHW_EV_PHASE) != phase)
			break;
		m = *e;
		nic->ev_head++;
		any = true;
		hh_event(nic, &m);
	}
	if (any)
		hh_wr(nic, CHW_REG_RING(CHW_RING_EV) + CHW_RING_TAIL,
		      nic->ev_head);
}

/* Post msg and pump until its DONE arrives.  Returns its status. */
int hh_cmd_wait(struct hh_nic *nic, const void *msg, struct chw_ev_done *d)
{
	uint32_t idx = hh_cmd(nic, msg);
	uint64_t give_up = hh_now_ms() + 5000;

	while (hh_done_idx != idx) {
		if (hh_now_ms() > give_up) {
			fprintf(stderr, "hh: command %u got no answer\n", idx);
			return -1;
		}
		hh_pump(nic, 1, -1, 0);
	}
	hh_done_idx = UINT32_MAX;
	if (d)
		*d = hh_done;
	return hh_done.status;
}

/* A frame from the wire reaches the NIC; wait for an RX buffer if need be. */
static void hh_to_nic(struct hh_nic *nic, const void *frame, size_t len)
{
	while (!nfw_rx_frame(nic->fw, frame, len)) {
		nfw_run(nic->fw);
		hh_rx_drain(nic);
	}
}

static void hh_release_delayed(struct hh_nic *nic)
{
	uint64_t now = hh_now_ms();
	struct hh_delayed *d;

	while ((d = nic->delayed) && d->due_ms <= now) {
		nic->delayed = d->next;
		if (d->to_nic)
			hh_to_nic(nic, d->data, d->len);
		else
			hh_wire_write(nic, d->data, d->len);
		free(d);
	}
}

/*
 * One round: frames both ways, timers, commands, events.  Waits at most
 * timeout_ms for something to happen (or for extra_fd to be ready for ev).
 */
void hh_pump(struct hh_nic *nic, int timeout_ms, int extra_fd, short ev)
{
	struct pollfd pfd[3] = {
		{ .fd = nic->tap_os, .events = POLLIN },
		{ .fd = nic->wire_paused ? -1 : nic->tap_wire, .events = POLLIN },
		{ .fd = extra_fd, .events = ev },
	};
	uint64_t deadline = nfw_next_deadline_ns(nic->fw) / 1000000;
	uint64_t now = hh_now_ms();
	uint8_t frame[9216];
	int i, n;

	if (deadline != UINT64_MAX / 1000000 && deadline < now + timeout_ms)
		timeout_ms = deadline > now ? (int)(deadline - now) : 0;
	if (nic->delayed && nic->delayed->due_ms < now + timeout_ms)
		timeout_ms = nic->delayed->due_ms > now ?
			     (int)(nic->delayed->due_ms - now) : 0;
	poll(pfd, 3, timeout_ms);

	/* the OS-side kernel's frames go straight to the wire */
	for (i = 0; i < 256; i++) {
		n = read(nic->tap_os, frame, sizeof(frame));
		if (n <= 0)
			break;
		hh_wire_write(nic, frame, n);
	}
	for (i = 0; i < 256 && !nic->wire_paused; i++) {
		n = read(nic->tap_wire, frame, sizeof(frame));
		if (n <= 0)
			break;
		nic->frames_from_wire++;
		hh_wire_impair(nic, frame, n, true);
	}
	hh_release_delayed(nic);
	nfw_timer(nic->fw);
	while (nfw_run(nic->fw) & NFW_RUN_AGAIN)
		;
	hh_rx_drain(nic);
	hh_ev_drain(nic);
	nfw_run(nic->fw);	/* events freed room: pending news */
	hh_ev_drain(nic);
}
