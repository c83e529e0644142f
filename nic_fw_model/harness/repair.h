/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * repair.h - move a live Linux TCP connection out of a kernel socket into a
 * struct chw_conn_state (plus its queued bytes) and back into a new kernel
 * socket, with Linux's TCP_REPAIR.  User space, libc only.
 *
 * The host test harness uses it to hand a connection from the host's TCP to
 * the NIC firmware model and back, exactly as the wire ABI carries it.
 *
 * Needs CAP_NET_ADMIN (TCP_REPAIR, SO_SNDBUFFORCE) and, to restore a
 * connection whose peer already sent its FIN, CAP_NET_RAW.
 */
#ifndef NFW_HARNESS_REPAIR_H
#define NFW_HARNESS_REPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "../../handoff_if/chw_abi.h"

/*
 * One connection, out of the kernel.
 *
 * st is little-endian as the ABI says, with nr_send = 0 (the queues are
 * carried here, not as chw_send_range entries) and the route fields (MACs,
 * mtu, tos, ttl) zero: the caller knows the route, this library does not.
 *
 * Sequence relations, all modulo 2^32:
 *   sndq_len     == write_seq - snd_una
 *   sndq_notsent == write_seq - snd_nxt
 *   rcvq_len     == rcv_nxt - copied_seq - (opt & CHW_OPT_FIN_RCVD ? 1 : 0)
 * i.e. copied_seq is Linux's: it stops in front of an unread FIN, which
 * takes one sequence number but no byte in rcvq.
 *
 * Fields Linux does not expose are set to what a receiver can live with:
 * ts_recent = 0, ts_recent_age_ms = 0xffffffff (never echoed), snd_wl2 =
 * snd_una (Linux has no WL2; its window-update test uses snd_una).
 *
 * ts_val is Linux's TCP_TIMESTAMP value.  Since 6.7 its low bit says that
 * the connection uses microsecond TSvals (it is cleared for millisecond
 * ones, so the TSval may read 1 tick low); a consumer must mask it, and
 * pass it back with the bit as it found it.
 *
 * mss is tcpi_snd_mss, the payload of a full segment with the options in
 * use; import turns it back into Linux's clamp (+12 with timestamps).
 * Linux sizes a new socket's header for timestamps whenever the
 * net.ipv4.tcp_timestamps sysctl is on, so a restored connection without
 * timestamps then reports an MSS 12 bytes low (while still sending full
 * segments), and each further move loses those 12 bytes for real.
 */
struct repair_conn {
	struct chw_conn_state st;
	uint8_t *sndq;		/* [snd_una, write_seq): unacked, then unsent */
	size_t sndq_len;
	size_t sndq_notsent;	/* the last sndq_notsent bytes were never sent */
	uint8_t *rcvq;		/* unread bytes [copied_seq, rcv_nxt) */
	size_t rcvq_len;
	/*
	 * CLOCK_MONOTONIC (ns) when st.ts_val was read.  Import advances
	 * ts_val by the time since, so the TSval clock runs on while the
	 * connection is out of the kernel; 0: use ts_val as it is (set it
	 * to what the connection sends now).
	 */
	uint64_t taken_ns;
};

/*
 * Put fd (an ESTABLISHED or CLOSE_WAIT TCP socket, IPv4 or IPv6, v4-mapped
 * IPv6 reported as IPv4) into repair mode and read everything into rc.
 *
 * The socket keeps processing packets in repair mode, so the read is
 * retried until two passes agree; after it returns, the caller must keep
 * the peer's packets away from fd until fd is closed (anything it accepts
 * then is lost).  fd is left in repair mode with TCP_REPAIR_QUEUE set to
 * TCP_SEND_QUEUE, so that it can no longer put new data on the wire (only
 * retransmit), and closing it sends nothing to the peer: close it soon.
 * On failure repair mode is turned off again and rc holds nothing to free.
 *
 * Returns 0 or -errno (-EINVAL: not a TCP socket in a state handled here;
 * -EAGAIN: the connection kept changing under the read).
 */
int repair_export(int fd, struct repair_conn *rc);

/*
 * Build a new socket from rc in repair mode (bind, connect without a SYN,
 * queues, options, windows, timestamp clock), leave repair mode, and queue
 * the never-sent bytes normally.  A CLOSE_WAIT connection gets the peer's
 * FIN back by a raw segment to itself, the way CRIU does it.
 *
 * The socket is AF_INET for family 4 (also when the exported one was an
 * AF_INET6 socket with v4-mapped addresses) and AF_INET6 for family 6
 * (no scope id: link-local addresses are not supported).  Its buffers are
 * st.sndbuf and st.rcvbuf, or more if the queues need it, and autotuning
 * stays on (the ABI does not say whether the application locked them).
 *
 * The 4-tuple must be free: close the exported socket first.  rc is not
 * modified.  The new fd is blocking, with SOCK_CLOEXEC.
 *
 * Returns 0 and the fd in *fd_out, or -errno: -EINVAL for a block that
 * is malformed, inconsistent with the queue lengths, or in a state other
 * than ESTABLISHED or CLOSE_WAIT (with CHW_OPT_FIN_RCVD); -EOPNOTSUPP for
 * CHW_OPT_FIN_SENT.
 */
int repair_import(const struct repair_conn *rc, int *fd_out);

/* Free the queues and zero rc. */
void repair_conn_free(struct repair_conn *rc);

#endif /* NFW_HARNESS_REPAIR_H */
