/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * hh.h - the firmware's proving ground: a user-space NIC between two tap
 * devices, with Linux's TCP on both sides.
 *
 *   netns os:  tap hos0 10.88.0.2 / fd88::2   the host whose TCP hands off
 *   netns wire: tap hwire0 10.88.0.1 / fd88::1  the peer (hnd_xfer)
 *
 * Frames the OS-side kernel sends go straight to the wire.  Frames from the
 * wire go to the firmware (nfw_rx_frame), whose lookup layer takes those of
 * offloaded connections and passes the rest to its host RX ring, which the
 * harness drains into the OS-side tap.  The harness plays the OS's bypass
 * layer: it hands a kernel socket's connection to the firmware with
 * TCP_REPAIR (repair.c), moves the application's bytes with commands and
 * events, and restores the connection into a fresh kernel socket.
 */
#ifndef HH_H
#define HH_H

#include <stdbool.h>
#include <stdint.h>

#include "../nfw.h"
#include "../../handoff_if/chw_abi.h"
#include "../../selftests/tools/sha256.h"
#include "repair.h"

#define HH_RAM_BASE	0x10000000ULL	/* "host memory" as the NIC sees it */
#define HH_MAX_CONNS	1024
#define HH_RBUFS	8		/* receive buffers per connection */
#define HH_RBUF_LEN	32768
#define HH_SEND_AREA	(1u << 20)	/* send buffer per connection */

struct hh_impair {
	double loss, dup, reorder;	/* probabilities, NIC <-> peer */
	uint32_t delay_ms;
};

struct hh_delayed;

struct hh_nic {
	struct nfw *fw;
	uint8_t *ram;
	uint64_t ram_size, ram_next;	/* bump allocator */
	int tap_os, tap_wire;
	const char *ns_os;		/* where the OS's sockets live */
	bool wire_paused;		/* handoff/restore in progress */
	uint8_t os_mac[6], wire_mac[6];

	uint64_t ring_addr[CHW_NUM_RINGS];
	uint32_t ring_size[CHW_NUM_RINGS];
	uint32_t rx_tail, rx_head, cmd_tail, ev_head;
	uint64_t *rx_buf;

	struct hh_conn *conn[HH_MAX_CONNS];	/* by cid slot */
	struct chw_ev_resource res;	/* the last advertisement */
	unsigned int res_events;
	unsigned int errors;		/* DONE events with a bad status */
	struct chw_ev_done last_err;
	unsigned int restore_asks;

	struct hh_impair imp;
	struct hh_delayed *delayed;	/* impaired frames waiting */
	uint64_t rng;
	uint64_t frames_to_wire, frames_from_wire, frames_to_os;
};

/* One connection as the OS (and its application) sees it. */
struct hh_conn {
	struct hh_nic *nic;
	int fd;				/* kernel socket, or -1 */
	uint32_t cid;			/* CHW_CID_NONE unless offloaded */
	uint64_t seed_tx, seed_rx;	/* streams each way */
	int flow;

	uint64_t send_total, sent, acked;
	bool close_after_send;		/* CLOSE rather than SHUT_WR */
	bool fin_after_eof;		/* close only once the peer did */
	bool fin_sent;
	struct sha256 sha_tx;

	uint64_t recv_total, rcvd;
	bool hold_reads;		/* kernel mode: let the queue fill */
	bool hold_fin;			/* kernel mode: no FIN yet */
	long long bad_at;
	struct sha256 sha_rx;
	bool peer_fin, reset, freed, timedout;

	uint64_t send_area;		/* HH_SEND_AREA bytes of RAM */
	uint64_t rbuf[HH_RBUFS];
	uint64_t recvd_pending;		/* read, not yet told (RECVD) */
	uint32_t post_pending;		/* full buffers to post again */
	uint32_t handoffs, restores;
};

/* hh_net.c */
int hh_in_ns(const char *ns, int (*fn)(void *), void *arg);
int hh_tap_open(const char *ns, const char *ifname, uint8_t mac[6]);
int hh_socket_in(const char *ns, int domain, int type);
int hh_spawn(char *const argv[], const char *out);
int hh_wait(int pid, int timeout_s);

/* hh_nic.c */
int hh_nic_init(struct hh_nic *nic, uint32_t max_conns, uint32_t mem_kb);
void hh_nic_fini(struct hh_nic *nic);
uint64_t hh_alloc(struct hh_nic *nic, uint64_t len);
void *hh_ptr(struct hh_nic *nic, uint64_t addr);
void hh_pump(struct hh_nic *nic, int timeout_ms, int extra_fd, short ev);
uint32_t hh_cmd(struct hh_nic *nic, const void *msg);
int hh_cmd_wait(struct hh_nic *nic, const void *msg, struct chw_ev_done *d);
uint64_t hh_now_ms(void);

/* hh_conn.c */
void hh_conn_init(struct hh_conn *c, struct hh_nic *nic, int fd,
		  uint64_t seed_tx, uint64_t seed_rx, uint64_t send_total,
		  uint64_t recv_total);
int hh_conn_handoff(struct hh_conn *c, size_t *rcvq, size_t *sndq);
int hh_conn_restore(struct hh_conn *c);
void hh_conn_step(struct hh_conn *c);
bool hh_conn_done(const struct hh_conn *c);
void hh_conn_event(struct hh_conn *c, const struct chw_msg *ev);
void hh_conn_digest(struct hh_conn *c, char tx[65], char rx[65]);
void hh_conn_close(struct hh_conn *c);
void hh_conn_forget(struct hh_conn *c);

#endif /* HH_H */
