// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* fw_host.c - see fw_host.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fw_host.h"

int test_failed;

void *host_ptr(struct fw_host *h, uint64_t addr)
{
	return h->ram + (addr - RAM_BASE);
}

static bool in_ram(uint64_t addr, size_t len)
{
	return addr >= RAM_BASE && len <= RAM_SIZE &&
	       addr - RAM_BASE <= RAM_SIZE - len;
}

static int cb_dma_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	struct fw_host *h = opaque;

	if (!in_ram(addr, len))
		return -1;
	memcpy(buf, host_ptr(h, addr), len);
	return 0;
}

static int cb_dma_write(void *opaque, uint64_t addr, const void *buf,
			size_t len)
{
	struct fw_host *h = opaque;

	if (!in_ram(addr, len))
		return -1;
	memcpy(host_ptr(h, addr), buf, len);
	return 0;
}

static void cb_raise_irq(void *opaque, unsigned int vector)
{
	struct fw_host *h = opaque;

	h->irqs[vector]++;
}

/* TCP over IPv4 without IP options, as the firmware sends it */
static void host_note_segment(struct fw_host *h, const uint8_t *f, size_t len)
{
	const uint8_t *th = f + 34;
	uint32_t seq, payload;
	unsigned int thl;

	h->tx_frames++;
	if (len < 54)
		return;
	thl = (th[12] >> 4) * 4;
	payload = len - 34 - thl;
	seq = (uint32_t)th[4] << 24 | th[5] << 16 | th[6] << 8 | th[7];
	if (payload) {
		h->data_frames++;
		if ((int32_t)(seq + payload - h->seq_end) > 0)
			h->seq_end = seq + payload;
	}
	if (thl >= 32 && th[22] == 8)
		h->tsval = (uint32_t)th[24] << 24 | th[25] << 16 |
			   th[26] << 8 | th[27];
}

static void cb_tx_frame(void *opaque, const void *frame, size_t len)
{
	struct fw_host *h = opaque;

	host_note_segment(h, frame, len);
	if (h->seq_only)
		return;
	if (h->nframes == MAX_FRAMES)
		return;
	h->frames[h->nframes] = malloc(len);
	memcpy(h->frames[h->nframes], frame, len);
	h->frame_len[h->nframes++] = len;
}

/*
 * Tests' time: added to the clock.  One host at a time, so a file-scope
 * value (host_init() zeroes it): the clock callback then needs nothing
 * kept across clock_gettime(), one instruction over the plain clock
 * (the per-host field cost four, which bench-fw counted per read).
 */
static uint64_t host_clock_skew_ns;

void host_clock_advance(struct fw_host *h, uint64_t ns)
{
	(void)h;
	host_clock_skew_ns += ns;
}

static uint64_t cb_now_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec + host_clock_skew_ns;
}

static const struct nfw_ops host_ops = {
	.dma_read = cb_dma_read,
	.dma_write = cb_dma_write,
	.raise_irq = cb_raise_irq,
	.tx_frame = cb_tx_frame,
	.now_ns = cb_now_ns,
};

uint64_t host_alloc(struct fw_host *h, size_t len)
{
	uint64_t a = h->buf_next;

	h->buf_next += (len + 63) & ~63ULL;
	return a;
}

void host_init(struct fw_host *h, uint32_t tx, uint32_t rx, uint32_t cmd,
	       uint32_t ev)
{
	struct nfw_config cfg = {
		.mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
		.nic_mem_kb = 16384,
		.max_conns = 64,
	};
	uint32_t sizes[CHW_NUM_RINGS] = { tx, rx, cmd, ev };
	unsigned int r;

	memset(h, 0, sizeof(*h));
	host_clock_skew_ns = 0;
	h->ram = calloc(1, RAM_SIZE);
	h->fw = nfw_create(&cfg, &host_ops, h);
	h->buf_next = RAM_BASE;
	for (r = 0; r < CHW_NUM_RINGS; r++) {
		h->ring_size[r] = sizes[r];
		h->ring_addr[r] = host_alloc(h, sizes[r] * 16);
	}
}

void host_clear_frames(struct fw_host *h)
{
	unsigned int i;

	for (i = 0; i < h->nframes; i++)
		free(h->frames[i]);
	h->nframes = 0;
}

void host_fini(struct fw_host *h)
{
	host_clear_frames(h);
	nfw_destroy(h->fw);
	free(h->ram);
}

void host_wr(struct fw_host *h, uint32_t reg, uint32_t val)
{
	nfw_mmio_write(h->fw, reg, val, 4);
}

uint32_t host_rd(struct fw_host *h, uint32_t reg)
{
	return (uint32_t)nfw_mmio_read(h->fw, reg, 4);
}

void host_run(struct fw_host *h)
{
	int i;

	for (i = 0; i < 100 && (nfw_run(h->fw) & NFW_RUN_AGAIN); i++)
		;
}

bool host_enable(struct fw_host *h)
{
	unsigned int r;

	for (r = 0; r < CHW_NUM_RINGS; r++) {
		host_wr(h, CHW_REG_RING(r) + CHW_RING_BASE_LO,
			(uint32_t)h->ring_addr[r]);
		host_wr(h, CHW_REG_RING(r) + CHW_RING_BASE_HI,
			h->ring_addr[r] >> 32);
		host_wr(h, CHW_REG_RING(r) + CHW_RING_SIZE, h->ring_size[r]);
	}
	host_wr(h, CHW_REG_CTRL, CHW_CTRL_ENABLE);
	host_run(h);
	return host_rd(h, CHW_REG_STATUS) & CHW_STATUS_ENABLED;
}

void host_doorbell(struct fw_host *h, unsigned int ring, uint32_t tail)
{
	h->tail[ring] = tail;
	host_wr(h, CHW_REG_RING(ring) + CHW_RING_TAIL, tail);
}

void host_post_cmd(struct fw_host *h, const void *msg)
{
	uint32_t slot = h->tail[CHW_RING_CMD] & (h->ring_size[CHW_RING_CMD] - 1);

	memcpy(host_ptr(h, h->ring_addr[CHW_RING_CMD] + slot * 16), msg, 16);
	host_doorbell(h, CHW_RING_CMD, h->tail[CHW_RING_CMD] + 1);
}

/* Read the next event if its phase says it is new; ack it to the NIC. */
bool host_next_event(struct fw_host *h, struct chw_msg *out)
{
	uint32_t size = h->ring_size[CHW_RING_EV];
	struct chw_msg *e = host_ptr(h, h->ring_addr[CHW_RING_EV] +
				     (h->ev_head & (size - 1)) * 16);
	uint8_t phase = (h->ev_head & size) ? 0 : CHW_EV_PHASE;

	if ((e->flags & CHW_EV_PHASE) != phase)
		return false;
	*out = *e;
	h->ev_head++;
	host_wr(h, CHW_REG_RING(CHW_RING_EV) + CHW_RING_TAIL, h->ev_head);
	return true;
}
