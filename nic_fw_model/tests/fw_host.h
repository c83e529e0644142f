/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * fw_host.h - a host for the firmware in unit tests: a block of "guest
 * RAM", the four rings laid out in it, and the callbacks the firmware
 * calls (DMA, interrupts, frames out).  DMA outside the block fails, as it
 * does in QEMU for addresses outside guest RAM.
 */
#ifndef FW_HOST_H
#define FW_HOST_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../nfw.h"
#include "../../handoff_if/chw_abi.h"

#define RAM_BASE	0x100000ULL
#define RAM_SIZE	(16u << 20)
#define MAX_FRAMES	256

struct fw_host {
	struct nfw *fw;
	uint8_t *ram;
	unsigned int irqs[CHW_NUM_VECTORS];
	/* frames the firmware transmitted */
	bool seq_only;			/* keep only what a benchmark needs */
	unsigned int tx_frames;		/* every frame sent */
	unsigned int data_frames;	/* frames with payload */
	uint32_t seq_end;		/* highest end sent */
	uint32_t tsval;			/* last TSval sent */
	unsigned int nframes;
	uint8_t *frames[MAX_FRAMES];
	size_t frame_len[MAX_FRAMES];
	/* ring placement in RAM and the host's indices */
	uint64_t ring_addr[CHW_NUM_RINGS];
	uint32_t ring_size[CHW_NUM_RINGS];
	uint32_t tail[CHW_NUM_RINGS];
	uint32_t ev_head;		/* next event to read */
	uint64_t buf_next;		/* bump allocator for buffers */
};

void host_init(struct fw_host *h, uint32_t tx, uint32_t rx, uint32_t cmd,
	       uint32_t ev);
void host_fini(struct fw_host *h);
void *host_ptr(struct fw_host *h, uint64_t addr);
uint64_t host_alloc(struct fw_host *h, size_t len);
void host_wr(struct fw_host *h, uint32_t reg, uint32_t val);
uint32_t host_rd(struct fw_host *h, uint32_t reg);
void host_run(struct fw_host *h);
bool host_enable(struct fw_host *h);
void host_doorbell(struct fw_host *h, unsigned int ring, uint32_t tail);
void host_post_cmd(struct fw_host *h, const void *msg);
bool host_next_event(struct fw_host *h, struct chw_msg *out);
void host_clear_frames(struct fw_host *h);
void host_clock_advance(struct fw_host *h, uint64_t ns);	/* tests' time */

/* A named test; tables of them end with a NULL name. */
struct fw_test {
	const char *name;
	void (*fn)(void);
};
extern const struct fw_test fw_pressure_tests[];	/* fw_pressure.c */
extern const struct fw_test fw_icmp_tests[];	/* fw_tcp_icmp.c */

/* KTAP-style checks: a failed check fails the current test. */
extern int test_failed;
#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, \
		       #cond); \
		test_failed = 1; \
	} \
} while (0)

#endif
