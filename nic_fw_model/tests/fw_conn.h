/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * fw_conn.h - a firmware with one offloaded connection, for the fuzz
 * targets: they aim commands and segments at a connection that exists.
 */
#ifndef FW_CONN_H
#define FW_CONN_H

#include "fw_host.h"

/* The connection: 10.0.0.2:5001 (NIC side) <-> 10.0.0.1:40000 (peer). */
#define CONN_LADDR	"\x0a\x00\x00\x02"
#define CONN_PADDR	"\x0a\x00\x00\x01"
#define CONN_LPORT	5001
#define CONN_PPORT	40000
#define CONN_SND_UNA	1000u
#define CONN_RCV_NXT	7u

/* Make the firmware, enable it, hand the connection off; its id. */
uint32_t fw_conn_setup(struct fw_host *h);
/* Build a frame peer -> connection around tcp; returns its length. */
size_t fw_conn_frame(uint8_t *f, const uint8_t *tcp, size_t len);
/* Run the firmware and consume every event. */
void fw_conn_drain(struct fw_host *h);
/* The same without the firmware's timers (or forgetting its frames). */
void fw_conn_events(struct fw_host *h);

#endif
