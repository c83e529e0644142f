/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * fuzz_conn.h - a firmware with one offloaded connection, for the fuzz
 * targets: they aim commands and segments at a connection that exists.
 */
#ifndef FUZZ_CONN_H
#define FUZZ_CONN_H

#include "../tests/fw_host.h"

/* The connection: 10.0.0.2:5001 (NIC side) <-> 10.0.0.1:40000 (peer). */
#define FUZZ_LADDR	"\x0a\x00\x00\x02"
#define FUZZ_PADDR	"\x0a\x00\x00\x01"
#define FUZZ_LPORT	5001
#define FUZZ_PPORT	40000
#define FUZZ_SND_UNA	1000u
#define FUZZ_RCV_NXT	7u

/* Make the firmware, enable it, hand the connection off; its id. */
uint32_t fuzz_setup(struct fw_host *h);
/* Run the firmware and consume every event. */
void fuzz_drain(struct fw_host *h);

#endif
