/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * nfw.h - the handoff NIC's firmware: its interface to the host device.
 *
 * The firmware is a plain C library with no QEMU dependency.  It models the
 * NIC's processor: it owns the register file, the TX/RX/command/event rings
 * and the offload engine.  Whatever embeds it (the QEMU device, the host
 * unit tests, the TCP harness) supplies struct nfw_ops and calls the entry
 * points below.
 *
 * Threads: nfw_mmio_read(), nfw_mmio_write() and nfw_set_link() may be
 * called from any thread at any time; they only touch atomics and never
 * wait.  Everything else (nfw_run(), nfw_rx_frame(), nfw_reset()) runs on
 * one thread at a time, the NIC's processor.  Callbacks are made from the
 * thread that called the entry point; raise_irq may also be called from
 * nfw_mmio_write()'s thread.
 */
#ifndef NFW_H
#define NFW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nfw;

struct nfw_ops {
	/*
	 * Copy between host (guest) memory and the NIC.  Return 0, or -1 if
	 * any byte of [addr, addr + len) is not host RAM the NIC may touch:
	 * the firmware then refuses the request and counts it.
	 */
	int (*dma_read)(void *opaque, uint64_t addr, void *buf, size_t len);
	int (*dma_write)(void *opaque, uint64_t addr, const void *buf,
			 size_t len);
	/*
	 * Optional: true if all of [addr, addr + len) is host RAM, without
	 * copying.  Lets the firmware refuse a bad send or receive buffer
	 * when the OS posts it rather than when it is first used.
	 */
	bool (*dma_ok)(void *opaque, uint64_t addr, size_t len);
	/* Signal MSI-X vector CHW_VEC_*.  Thread-safe. */
	void (*raise_irq)(void *opaque, unsigned int vector);
	/* Put one Ethernet frame (no FCS) on the wire.  The buffer is reused. */
	void (*tx_frame)(void *opaque, const void *frame, size_t len);
	/* Monotonic time in nanoseconds. */
	uint64_t (*now_ns)(void *opaque);
	/* A guest error worth telling the user about (optional). */
	void (*log)(void *opaque, const char *msg);
};

struct nfw_config {
	uint8_t mac[6];
	uint32_t nic_mem_kb;		/* memory budget for offload state */
	uint32_t max_conns;		/* connection slots */
};

struct nfw *nfw_create(const struct nfw_config *cfg,
		       const struct nfw_ops *ops, void *opaque);
void nfw_destroy(struct nfw *fw);

/* Register access from the host.  A write returning true needs nfw_run(). */
uint64_t nfw_mmio_read(struct nfw *fw, uint64_t addr, unsigned int size);
bool nfw_mmio_write(struct nfw *fw, uint64_t addr, uint64_t val,
		    unsigned int size);

/* The link went up or down.  Returns true if nfw_run() is needed. */
bool nfw_set_link(struct nfw *fw, bool up);

/*
 * A frame arrived from the wire.  Returns false if it cannot be taken now
 * (no host RX buffer): offer it again after nfw_run() reports RX buffers.
 * Frames taken or dropped return true.
 */
bool nfw_rx_frame(struct nfw *fw, const void *frame, size_t len);

/* Result bits of nfw_run(). */
#define NFW_RUN_AGAIN		(1u << 0)	/* work left: call again */
#define NFW_RUN_RX_READY	(1u << 1)	/* RX buffers were posted */

/* Serve what the host asked for: control, doorbells, interrupts. */
unsigned int nfw_run(struct nfw *fw);

/* Power-on reset: stop all DMA, forget every ring and connection. */
void nfw_reset(struct nfw *fw);

/*
 * Timers of offloaded connections.  nfw_next_deadline_ns() says when
 * nfw_timer() next has work (UINT64_MAX: none); calling it early is fine.
 */
void nfw_timer(struct nfw *fw);
uint64_t nfw_next_deadline_ns(struct nfw *fw);

/* Read a statistics counter (enum chw_stat). */
uint64_t nfw_stat(struct nfw *fw, unsigned int idx);

#endif /* NFW_H */
