/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * chw_abi.h - the connection-handoff NIC's wire ABI.
 *
 * The one truth shared by the kernel module (handoff_if/, bypass_proto/),
 * the QEMU device (qemu_dev/) and the NIC firmware (nic_fw_model/).  Every
 * structure here crosses the PCI bus: fields are fixed-width and
 * little-endian unless named otherwise (__be16 ports are copied from and to
 * TCP headers as they are), padding is explicit, and each structure is
 * followed by a size assertion.  Documentation/wire-abi.rst describes the
 * protocol built on top of these formats.
 *
 * The design follows Kim & Rixner, "TCP Offload through Connection Handoff"
 * (EuroSys'06): the OS hands established connections to the NIC with
 * CHW_OP_HANDOFF and relays the application's requests as 16-byte commands;
 * the NIC reports back with 16-byte events.
 */
#ifndef CHW_ABI_H
#define CHW_ABI_H

#include <linux/types.h>

#ifdef __cplusplus
#define CHW_STATIC_ASSERT(e, m) static_assert(e, m)
#else
#define CHW_STATIC_ASSERT(e, m) _Static_assert(e, m)
#endif

/* ---- PCI identity -------------------------------------------------------
 *
 * 0x1234 is the vendor ID QEMU uses for its own non-standard devices (the
 * "edu" device is 0x1234:0x11e8).  The IDs are not allocated by the PCI-SIG:
 * this device exists only in our QEMU build.
 */
#define CHW_PCI_VENDOR_ID	0x1234
#define CHW_PCI_DEVICE_ID	0x4843	/* "CH" */
#define CHW_PCI_REVISION	0x01
#define CHW_PCI_CLASS		0x020000	/* Ethernet controller */

#define CHW_BAR_REGS		0	/* BAR0: registers below, 16 KiB MMIO */
#define CHW_BAR_MSIX		1	/* BAR1: MSI-X table and PBA */
#define CHW_BAR_REGS_SIZE	0x4000

/* ---- BAR0 registers (32-bit unless noted) -------------------------------- */
#define CHW_REG_ID		0x000	/* RO: CHW_ID_MAGIC */
#define CHW_REG_VERSION		0x004	/* RO: CHW_ABI_VERSION */
#define CHW_REG_FEATURES	0x008	/* RO: CHW_FEAT_* */
#define CHW_REG_CTRL		0x00c	/* RW: CHW_CTRL_* */
#define CHW_REG_STATUS		0x010	/* RO: CHW_STATUS_* */
#define CHW_REG_IRQ_CAUSE	0x014	/* RW1C: CHW_IRQ_* causes seen */
#define CHW_REG_IRQ_ARM		0x018	/* WO: re-arm the vectors set */
#define CHW_REG_IRQ_MASK	0x01c	/* RW: vectors that never fire */
#define CHW_REG_MAC_LO		0x020	/* RO: MAC bytes 0-3 */
#define CHW_REG_MAC_HI		0x024	/* RO: MAC bytes 4-5 */
#define CHW_REG_NIC_MEM_KB	0x028	/* RO: firmware memory budget */
#define CHW_REG_MAX_CONNS	0x02c	/* RO: connection slots */
#define CHW_REG_FAULT		0x030	/* WO: CHW_FAULT_* (fault injection) */
#define CHW_REG_CONN_LIMIT	0x034	/* RW: live connections allowed, 0 all */

#define CHW_ID_MAGIC		0x4e434843	/* "CHCN" read as bytes */
#define CHW_ABI_MAJOR		1
/* 1.1: flowlabel, ICMP counters, PMTU, SOFT_ERR and SENT events */
#define CHW_ABI_MINOR		1
#define CHW_ABI_VERSION		((CHW_ABI_MAJOR << 16) | CHW_ABI_MINOR)

#define CHW_FEAT_CSUM		(1u << 0)	/* TX checksum, RX verification */
#define CHW_FEAT_TSO		(1u << 1)	/* TCP segmentation, v4 and v6 */
#define CHW_FEAT_SG		(1u << 2)	/* TX frames of many descriptors */
#define CHW_FEAT_HANDOFF	(1u << 3)	/* the command and event rings */

#define CHW_CTRL_ENABLE		(1u << 0)	/* rings live; DMA allowed */
#define CHW_CTRL_RESET		(1u << 1)	/* self-clearing: stop all DMA */

#define CHW_STATUS_ENABLED	(1u << 0)	/* the device took ENABLE */
#define CHW_STATUS_LINK_UP	(1u << 1)
#define CHW_STATUS_RESET_DONE	(1u << 2)	/* set when a reset completed */
#define CHW_STATUS_RING_ERR	(1u << 3)	/* a doorbell out of range */
#define CHW_STATUS_FAILED	(1u << 4)	/* firmware stopped (fault) */

/*
 * Interrupts: one MSI-X vector per cause.  A vector fires once, then stays
 * quiet (disarmed) until the driver writes its bit to CHW_REG_IRQ_ARM; if
 * its cause arose meanwhile, arming fires it at once.  This is what NAPI
 * wants: no interrupt while polling, none lost when polling stops.
 */
#define CHW_VEC_RX		0
#define CHW_VEC_TX		1
#define CHW_VEC_EV		2
#define CHW_VEC_MISC		3	/* link change, errors */
#define CHW_NUM_VECTORS		4
#define CHW_IRQ_RX		(1u << CHW_VEC_RX)
#define CHW_IRQ_TX		(1u << CHW_VEC_TX)
#define CHW_IRQ_EV		(1u << CHW_VEC_EV)
#define CHW_IRQ_MISC		(1u << CHW_VEC_MISC)
#define CHW_IRQ_ALL		((1u << CHW_NUM_VECTORS) - 1)

/*
 * Fault injection, for the failure tests: the firmware stops serving.  A
 * hang says so (CHW_STATUS_FAILED); a stall is silent, as a firmware
 * stuck in a loop would be.  A reset revives either.
 */
#define CHW_FAULT_HANG		0x48414e47	/* "HANG" */
#define CHW_FAULT_STALL		0x5354414c	/* "STAL" */

/*
 * Rings.  Each ring is an array of 16-byte entries in host memory whose
 * size is a power of two.  Indices are free-running 32-bit counters; the
 * slot of index i is i & (size - 1).  For TX, RX and CMD the driver
 * produces (writes TAIL) and the device consumes (HEAD); for EV the device
 * produces (HEAD) and the driver writes its consumer index to TAIL so the
 * device knows which entries it may overwrite.
 */
#define CHW_RING_TX		0
#define CHW_RING_RX		1
#define CHW_RING_CMD		2
#define CHW_RING_EV		3
#define CHW_NUM_RINGS		4

#define CHW_REG_RING(r)		(0x100 + 0x20 * (r))
#define CHW_RING_BASE_LO	0x00	/* RW: DMA address, 16-byte aligned */
#define CHW_RING_BASE_HI	0x04
#define CHW_RING_SIZE		0x08	/* RW: entries, power of two, 0 off */
#define CHW_RING_TAIL		0x0c	/* WO doorbell: driver's index */
#define CHW_RING_HEAD		0x10	/* RO: device's index */

#define CHW_RING_MIN_SIZE	16
#define CHW_RING_MAX_SIZE	32768

/*
 * Statistics: 64-bit read-only counters at CHW_REG_STATS + 8 * index,
 * read with one 8-byte access.  Counters of the host-stack path and of the
 * firmware's guard against bad input; Documentation/wire-abi.rst lists them.
 */
#define CHW_REG_STATS		0x400
enum chw_stat {
	CHW_STAT_TX_FRAMES,		/* frames put on the wire */
	CHW_STAT_TX_BYTES,
	CHW_STAT_TX_TSO_SEGS,		/* segments made by TSO */
	CHW_STAT_TX_CSUM,		/* checksums inserted */
	CHW_STAT_TX_ERRORS,		/* frames refused (bad descriptor) */
	CHW_STAT_RX_FRAMES,		/* frames given to the host */
	CHW_STAT_RX_BYTES,
	CHW_STAT_RX_CSUM_OK,		/* L4 checksums verified */
	CHW_STAT_RX_NO_BUF,		/* frames waiting: no RX buffer */
	CHW_STAT_RX_DROPS,		/* frames dropped (too long, queue) */
	CHW_STAT_RX_ERRORS,		/* RX buffers refused (bad address) */
	CHW_STAT_DMA_ERRORS,		/* DMA refused: outside guest RAM */
	CHW_STAT_CMDS,			/* commands consumed */
	CHW_STAT_CMD_ERRORS,		/* commands refused */
	CHW_STAT_EVENTS,		/* events produced */
	CHW_STAT_RING_ERRORS,		/* doorbells out of range */
	CHW_STAT_IRQS,			/* interrupts raised */
	CHW_STAT_TCP_NO_BUF,		/* offloaded bytes dropped: no POST */
	CHW_STAT_TCP_OOO,		/* offloaded segments held out of order */
	CHW_STAT_TCP_REXMT,		/* offloaded segments retransmitted */
	/* ICMP errors quoting an offloaded connection (1.1) */
	CHW_STAT_ICMP_PMTU,		/* frag-needed/too-big: MSS lowered */
	CHW_STAT_ICMP_SOFT,		/* other errors: kept as soft error */
	CHW_STAT_ICMP_IGNORED,		/* valid, but Linux would ignore it */
	CHW_STAT_ICMP_BAD,		/* refused: lengths, checksum, tuple */
	CHW_STAT_COUNT
};

/* ---- TX and RX descriptors --------------------------------------------- */

/*
 * One TX frame is a chain of descriptors ending in one with CHW_TX_EOP.
 * The first descriptor's csum_start, csum_off and mss apply to the frame.
 * The device writes status (DONE, and ERR if it refused the frame) into
 * the EOP descriptor once it no longer reads the frame's buffers.
 */
struct chw_tx_desc {
	__le64 addr;		/* DMA address of this fragment */
	__le16 len;		/* fragment length in bytes */
	__u8 flags;		/* CHW_TX_*, set by the driver */
	__u8 status;		/* CHW_DESC_*, written back by the device */
	__u8 csum_start;	/* L4 header offset from the frame start */
	__u8 csum_off;		/* offset of the checksum field in L4 */
	__le16 mss;		/* TSO: payload bytes per segment */
};
CHW_STATIC_ASSERT(sizeof(struct chw_tx_desc) == 16, "chw_tx_desc size");

#define CHW_TX_EOP		(1u << 0)	/* last fragment of the frame */
#define CHW_TX_CSUM		(1u << 1)	/* insert the L4 checksum */
#define CHW_TX_TSO		(1u << 2)	/* segment TCP by mss (IPv4/6) */
#define CHW_TX_MAX_FRAGS	32		/* descriptors per frame */
#define CHW_TX_MAX_FRAME	65536		/* bytes per frame incl. headers */

/*
 * The driver posts empty buffers; the device fills one per frame and
 * writes back pkt_len and flags, then status (last, as a single byte).
 */
struct chw_rx_desc {
	__le64 addr;		/* DMA address of the buffer */
	__le16 buf_len;		/* driver: buffer size */
	__le16 pkt_len;		/* device: frame length */
	__u8 flags;		/* device: CHW_RX_* */
	__u8 status;		/* device: CHW_DESC_*, written last */
	__le16 rsvd;
};
CHW_STATIC_ASSERT(sizeof(struct chw_rx_desc) == 16, "chw_rx_desc size");

#define CHW_RX_CSUM_OK		(1u << 0)	/* TCP/UDP checksum verified */

#define CHW_DESC_DONE		(1u << 0)
#define CHW_DESC_ERR		(1u << 1)	/* refused: bad address/length */

/* ---- Commands (OS -> NIC) and events (NIC -> OS) ------------------------ */

/*
 * Opcodes.  The paper's six NIC commands and five OS events, plus NOP and a
 * completion event.  Every command is 16 bytes; HANDOFF and RESTORE point
 * at a variable-length state block (struct chw_conn_state) in host memory.
 */
enum chw_op {
	CHW_OP_NOP		= 0x01,	/* echo: completes with DONE */
	CHW_OP_HANDOFF		= 0x02,	/* ch_nic_handoff */
	CHW_OP_RESTORE		= 0x03,	/* ch_nic_restore */
	CHW_OP_SEND		= 0x04,	/* ch_nic_send */
	CHW_OP_RECVD		= 0x05,	/* ch_nic_recvd */
	CHW_OP_CTRL		= 0x06,	/* ch_nic_ctrl */
	CHW_OP_FORWARD		= 0x07,	/* ch_nic_forward */
	CHW_OP_POST		= 0x08,	/* ch_nic_post */
	CHW_OP_INFO		= 0x09,	/* live figures; the NIC keeps it */

	CHW_EV_DONE		= 0x80,	/* a command completed (or failed) */
	CHW_EV_RECV		= 0x81,	/* ch_os_recv */
	CHW_EV_ACK		= 0x82,	/* ch_os_ack */
	CHW_EV_CTRL		= 0x83,	/* ch_os_ctrl */
	CHW_EV_RESOURCE		= 0x84,	/* ch_os_resource */
	CHW_EV_RESTORE		= 0x85,	/* ch_os_restore */
};

/*
 * Connection ids carry a generation in their top bits so that a stale id
 * (a connection freed and its slot reused) is refused, not misapplied.
 */
#define CHW_CID_SLOT_BITS	20
#define CHW_CID_SLOT(cid)	((cid) & ((1u << CHW_CID_SLOT_BITS) - 1))
#define CHW_CID_GEN(cid)	((cid) >> CHW_CID_SLOT_BITS)
#define CHW_CID_NONE		0xffffffffu

/* The common shape of every command and event; the op selects the view. */
struct chw_msg {
	__u8 op;		/* enum chw_op */
	__u8 flags;		/* per op; events: CHW_EV_PHASE */
	__le16 arg;		/* per op */
	__le32 cid;		/* connection id, or as the op says */
	__le64 val;		/* per op: an address, a count, a cookie */
};
CHW_STATIC_ASSERT(sizeof(struct chw_msg) == 16, "chw_msg size");

/* NOP: the firmware answers with CHW_EV_DONE echoing cookie. */
struct chw_cmd_nop {
	__u8 op;		/* CHW_OP_NOP */
	__u8 flags;		/* 0 */
	__le16 rsvd;
	__le32 cookie;		/* echoed in chw_ev_done.val */
	__le64 rsvd2;
};
CHW_STATIC_ASSERT(sizeof(struct chw_cmd_nop) == 16, "chw_cmd_nop size");

/* ch_nic_handoff: take the connection described at state_addr. */
struct chw_cmd_handoff {
	__u8 op;		/* CHW_OP_HANDOFF */
	__u8 flags;		/* 0 */
	__le16 state_len;	/* bytes of the state block */
	__le32 cookie;		/* the OS's token, echoed in the DONE */
	__le64 state_addr;	/* DMA address of struct chw_conn_state */
};
CHW_STATIC_ASSERT(sizeof(struct chw_cmd_handoff) == 16, "handoff size");

/* ch_nic_restore: write the state to buf_addr and free the connection. */
struct chw_cmd_restore {
	__u8 op;		/* CHW_OP_RESTORE */
	__u8 flags;		/* CHW_RESTORE_* */
	__le16 buf_len;		/* room at buf_addr */
	__le32 cid;
	__le64 buf_addr;	/* DMA address for struct chw_conn_state */
};
CHW_STATIC_ASSERT(sizeof(struct chw_cmd_restore) == 16, "restore size");
/*
 * After the state block and its send ranges, a struct chw_conn_info with
 * the connection's figures as at the restore: its counters (segments,
 * bytes, retransmissions since the handoff) go back into TCP's, so that
 * TCP_INFO counts on across the move.  The answer's length includes it.
 */
#define CHW_RESTORE_INFO	(1u << 0)

/* ch_nic_send: append len bytes at addr to the connection's send queue. */
struct chw_cmd_send {
	__u8 op;		/* CHW_OP_SEND */
	__u8 flags;		/* CHW_SEND_* */
	__le16 len;		/* 1..65535 bytes, physically contiguous */
	__le32 cid;
	__le64 addr;		/* stays valid until CHW_EV_ACK covers it */
};
CHW_STATIC_ASSERT(sizeof(struct chw_cmd_send) == 16, "send size");
#define CHW_SEND_PSH		(1u << 0)	/* end of an application write */
/*
 * The application said more is coming (MSG_MORE, or sendfile() with pages
 * to follow): the transmission this SEND triggers holds back a last
 * segment shorter than the MSS, as if corked.  Later triggers (an ACK, a
 * timer, the next SEND) apply the usual Nagle rule, as in Linux, where
 * MSG_MORE corks only the push of its own call.
 */
#define CHW_SEND_MORE		(1u << 1)
/*
 * SENDs a connection may have outstanding (not yet covered by CHW_EV_ACK)
 * that the NIC always takes; more may be refused with CHW_ST_NO_MEM when
 * NIC memory is short, so the OS keeps to this many or retries.
 */
#define CHW_CONN_SEND_SLOTS	64

/* ch_nic_recvd: the application consumed len bytes; reopen the window. */
struct chw_cmd_recvd {
	__u8 op;		/* CHW_OP_RECVD */
	__u8 flags;		/* 0 */
	__le16 rsvd;
	__le32 cid;
	__le64 len;
};
CHW_STATIC_ASSERT(sizeof(struct chw_cmd_recvd) == 16, "recvd size");

/* ch_nic_ctrl: a change the application asked for. */
struct chw_cmd_ctrl {
	__u8 op;		/* CHW_OP_CTRL */
	__u8 flags;		/* 0 */
	__le16 code;		/* enum chw_ctrl */
	__le32 cid;
	__le64 value;		/* per code: option value */
};
CHW_STATIC_ASSERT(sizeof(struct chw_cmd_ctrl) == 16, "ctrl size");

enum chw_ctrl {
	CHW_CC_CLOSE = 1,	/* send FIN after queued data */
	CHW_CC_SHUT_WR = 2,	/* shutdown(SHUT_WR) */
	CHW_CC_ABORT = 3,	/* send RST, free */
	CHW_CC_NODELAY = 4,	/* value: 0 or 1 */
	CHW_CC_KEEPALIVE = 5,	/* value: idle seconds, 0 off */
	CHW_CC_SNDBUF = 6,	/* value: bytes */
	CHW_CC_RCVBUF = 7,	/* value: bytes */
	CHW_CC_CORK = 8,	/* value: 0 or 1 (TCP_CORK); 0 flushes */
	CHW_CC_KEEPINTVL = 9,	/* value: seconds between keepalive probes */
	CHW_CC_KEEPCNT = 10,	/* value: unanswered probes before ETIMEDOUT */
	CHW_CC_USER_TIMEOUT = 11,	/* value: ms (TCP_USER_TIMEOUT), 0 off */
	/*
	 * value: ms an orphan may wait in FIN_WAIT2 for the peer's FIN
	 * (TCP_LINGER2 or net.ipv4.tcp_fin_timeout), then it is freed
	 * without a segment; CHW_FIN_TIMEOUT_RST: reset it at once when it
	 * gets there (TCP_LINGER2 < 0).  Default CHW_FIN_TIMEOUT_DEFAULT.
	 */
	CHW_CC_FIN_TIMEOUT = 12,
	CHW_CC_WINDOW_CLAMP = 13,	/* value: bytes, 0 no clamp */
	CHW_CC_QUICKACK = 14,	/* value 1: ACK what is pending now */
	CHW_CC_TOS = 15,	/* value: IPv4 TOS or IPv6 traffic class */
	CHW_CC_TTL = 16,	/* value: IPv4 TTL or IPv6 hop limit */
	/*
	 * value: bytes, 0 off (TCP_NOTSENT_LOWAT, or the sysctl): while set,
	 * the NIC reports with CHW_CC_SENT what it has sent, at the points
	 * where the OS's answer to "not sent < lowat" (and "< lowat / 2",
	 * poll's) could change; setting it reports at once.
	 */
	CHW_CC_NOTSENT_LOWAT = 17,

	/* NIC -> OS codes, in chw_ev_ctrl.code */
	CHW_CC_PEER_FIN = 0x81,	/* EOF for the reader */
	CHW_CC_RESET = 0x82,	/* peer reset: ECONNRESET */
	CHW_CC_FREED = 0x83,	/* the NIC freed the connection */
	/*
	 * Retransmissions, probes or keepalives gave up.  value: the NIC's
	 * last soft error (below), 0 none; the OS reports its socket's
	 * soft error if it has one, else ETIMEDOUT, as tcp_write_err().
	 */
	CHW_CC_TIMEDOUT = 0x84,
	/*
	 * (1.1) An ICMP frag-needed or packet-too-big lowered the path MTU:
	 * value is the MTU the NIC now sends with.  The OS records it in
	 * its route (as tcp_v4_mtu_reduced() does) so that the host's TCP
	 * uses it after a restore.
	 */
	CHW_CC_PMTU = 0x85,
	/*
	 * (1.1) The connection's soft error changed (Linux's sk_err_soft):
	 * value is a Linux errno an ICMP error gave (EHOSTUNREACH ...), or
	 * 0 when an acceptable ACK cleared it.
	 */
	CHW_CC_SOFT_ERR = 0x86,
	/*
	 * value: bytes of the send queue sent at least once, counted from
	 * the handoff as CHW_EV_ACK's lengths are (our FIN not included);
	 * only while CHW_CC_NOTSENT_LOWAT is set
	 */
	CHW_CC_SENT = 0x87,
};

#define CHW_FIN_TIMEOUT_DEFAULT	60000		/* Linux's tcp_fin_timeout */
#define CHW_FIN_TIMEOUT_RST	0xffffffffu

/*
 * ch_nic_forward: a frame the OS received for an offloaded connection.
 * Always answered with CHW_EV_DONE, so the OS knows when its buffer is free.
 */
struct chw_cmd_forward {
	__u8 op;		/* CHW_OP_FORWARD */
	__u8 flags;		/* 0 */
	__le16 len;		/* frame length, from the Ethernet header */
	__le32 cid;
	__le64 addr;
};
CHW_STATIC_ASSERT(sizeof(struct chw_cmd_forward) == 16, "forward size");

/* ch_nic_post: a host buffer the NIC may fill with received data. */
struct chw_cmd_post {
	__u8 op;		/* CHW_OP_POST */
	__u8 flags;		/* 0 */
	__le16 len;
	__le32 cid;
	__le64 addr;
};
CHW_STATIC_ASSERT(sizeof(struct chw_cmd_post) == 16, "post size");
/*
 * Receive buffers a connection may have posted and not yet filled; more
 * are refused with CHW_ST_NO_MEM, so the OS posts at most this many.
 */
#define CHW_CONN_POST_SLOTS	16

/* Events carry the ring's phase in flags; see Documentation/wire-abi.rst. */
#define CHW_EV_PHASE		(1u << 7)

/* A command completed; status is enum chw_status. */
struct chw_ev_done {
	__u8 op;		/* CHW_EV_DONE */
	__u8 flags;		/* CHW_EV_PHASE */
	__u8 cmd_op;		/* the command's opcode */
	__u8 status;		/* enum chw_status */
	__le32 cid;		/* the connection (HANDOFF: the new id) */
	__le32 cmd_idx;		/* the command's ring index */
	__le32 val;		/* NOP, HANDOFF: cookie; RESTORE: length */
};
CHW_STATIC_ASSERT(sizeof(struct chw_ev_done) == 16, "done size");

/* ch_os_recv: len bytes of stream data were written at addr. */
struct chw_ev_recv {
	__u8 op;		/* CHW_EV_RECV */
	__u8 flags;		/* CHW_EV_PHASE | CHW_RECV_* */
	__le16 len;
	__le32 cid;
	__le64 addr;		/* inside a buffer given with CHW_OP_POST */
};
CHW_STATIC_ASSERT(sizeof(struct chw_ev_recv) == 16, "recv size");
#define CHW_RECV_PSH		(1u << 0)
#define CHW_RECV_BUF_DONE	(1u << 1)	/* the posted buffer is full */

/* ch_os_ack: the peer acknowledged len more bytes of the send queue. */
struct chw_ev_ack {
	__u8 op;		/* CHW_EV_ACK */
	__u8 flags;		/* CHW_EV_PHASE */
	__le16 rsvd;
	__le32 cid;
	__le64 len;
};
CHW_STATIC_ASSERT(sizeof(struct chw_ev_ack) == 16, "ack size");

/* ch_os_ctrl: a state change on the NIC's side. */
struct chw_ev_ctrl {
	__u8 op;		/* CHW_EV_CTRL */
	__u8 flags;		/* CHW_EV_PHASE */
	__le16 code;		/* enum chw_ctrl, NIC -> OS codes */
	__le32 cid;
	__le64 value;
};
CHW_STATIC_ASSERT(sizeof(struct chw_ev_ctrl) == 16, "ev ctrl size");

/* ch_os_resource: what the NIC can still take. */
struct chw_ev_resource {
	__u8 op;		/* CHW_EV_RESOURCE */
	__u8 flags;		/* CHW_EV_PHASE */
	__le16 rsvd;
	__le32 free_conns;	/* connection slots */
	__le32 free_send;	/* send address/length entries */
	__le32 free_mem_kb;	/* NIC memory for buffers */
};
CHW_STATIC_ASSERT(sizeof(struct chw_ev_resource) == 16, "resource size");

/* ch_os_restore: the NIC asks the OS to take the connection back. */
struct chw_ev_restore {
	__u8 op;		/* CHW_EV_RESTORE */
	__u8 flags;		/* CHW_EV_PHASE */
	__le16 reason;		/* enum chw_restore_reason */
	__le32 cid;
	__le64 rsvd;
};
CHW_STATIC_ASSERT(sizeof(struct chw_ev_restore) == 16, "ev restore size");

enum chw_restore_reason {
	CHW_RESTORE_TIME_WAIT	= 1,	/* only timers left: host does it */
	CHW_RESTORE_PRESSURE	= 2,	/* NIC memory is short */
	/*
	 * The peer sent urgent data (URG).  The NIC took neither that
	 * segment nor any later data (the peer sends them again), so the
	 * host's TCP, once it has the connection, delivers the urgent byte
	 * as Linux does (SIGURG, POLLPRI, SO_OOBINLINE, sockatmark).
	 */
	CHW_RESTORE_URGENT	= 3,
};

/* Completion status; the driver maps each to an errno. */
enum chw_status {
	CHW_ST_OK		= 0,
	CHW_ST_BAD_OP		= 1,	/* unknown opcode (or flag) */
	CHW_ST_BAD_CID		= 2,	/* no such connection (or stale) */
	CHW_ST_BAD_LEN		= 3,	/* a length out of range */
	CHW_ST_DMA		= 4,	/* an address outside guest memory */
	CHW_ST_BAD_STATE	= 5,	/* state block malformed */
	CHW_ST_NO_CONN		= 6,	/* no connection slot left */
	CHW_ST_NO_MEM		= 7,	/* NIC memory exhausted */
	CHW_ST_BAD_CODE		= 8,	/* unknown ctrl code */
	CHW_ST_NOT_READY	= 9,	/* connection in a state that forbids */
};

/*
 * ch_nic_ctrl's query: the connection's live figures, written as
 * struct chw_conn_info at buf_addr (at most buf_len bytes); the DONE's val
 * is the length written.  The connection stays on the NIC.  What TCP_INFO,
 * SIOCOUTQNSD and ss report while the NIC has the connection.
 */
struct chw_cmd_info {
	__u8 op;		/* CHW_OP_INFO */
	__u8 flags;		/* 0 */
	__le16 buf_len;		/* room at buf_addr */
	__le32 cid;
	__le64 buf_addr;	/* DMA address for struct chw_conn_info */
};
CHW_STATIC_ASSERT(sizeof(struct chw_cmd_info) == 16, "info size");

/*
 * Counters count from the handoff (the OS adds what its TCP counted
 * before); times are milliseconds before the answer, 0 if never.
 */
struct chw_conn_info {
	__u8 tcp_state;		/* Linux TCP_* numbering */
	__u8 ca_state;		/* Linux TCP_CA_*: 0 open, 3 recovery, 4 loss */
	__u8 backoff;		/* RTOs in a row (tcpi_retransmits) */
	__u8 probes;		/* zero-window or keepalive probes unanswered */
	__le32 rto_us;
	__le32 ato_us;		/* delayed-ACK timeout */
	__le32 srtt_us;		/* 0: no sample yet */
	__le32 rttvar_us;
	__le32 snd_cwnd;	/* segments */
	__le32 snd_ssthresh;	/* segments */
	__le32 snd_mss;
	__le32 rcv_mss;		/* estimate of the peer's */
	__le32 snd_una;
	__le32 snd_nxt;
	__le32 write_seq;	/* end of the send queue */
	__le32 rcv_nxt;
	__le32 copied_seq;
	__le32 snd_wnd;		/* the peer's window, bytes */
	__le32 rcv_wnd;		/* the window last advertised, bytes */
	__le32 retrans_out;	/* segments retransmitted, not yet acked */
	__le32 lost_out;	/* segments deemed lost */
	__le32 sacked_out;	/* segments the peer SACKed */
	__le32 total_retrans;	/* segments retransmitted */
	__le32 segs_in;		/* segments received, pure ACKs too */
	__le32 segs_out;	/* segments sent, retransmissions too */
	__le32 data_segs_in;
	__le32 data_segs_out;
	__le32 last_data_sent_ms;
	__le32 last_data_recv_ms;
	__le32 last_ack_recv_ms;
	__le32 pmtu;
	__le64 bytes_sent;	/* data bytes sent, retransmissions too */
	__le64 bytes_retrans;
	__le64 bytes_acked;
	__le64 bytes_received;	/* in-order data bytes taken */
};
CHW_STATIC_ASSERT(sizeof(struct chw_conn_info) == 144, "conn info size");

/* ---- Connection state block (handoff and restore) ----------------------- */

#define CHW_STATE_VERSION	1

/*
 * What the NIC needs to carry on a connection, and gives back on restore:
 * the set of Linux's TCP_REPAIR plus a running TCP's estimators.  Sequence
 * numbers are absolute.
 *
 * Send side: sent-but-unacknowledged and unsent data stay in host memory;
 * the block ends with nr_send entries describing [snd_una, write_seq) in
 * stream order.  Receive side: data up to rcv_nxt is already in host
 * memory; [copied_seq, rcv_nxt) is what the application has not read
 * (as in Linux, copied_seq stops in front of a received FIN),
 * which the NIC counts against the window.  The NIC never accepts in-order
 * data it cannot place in a buffer the OS posted, so a restore never has
 * received data to hand back: the OS must post buffers covering the
 * window it advertised before handing off.
 */
struct chw_conn_state {
	__le16 version;		/* CHW_STATE_VERSION */
	__le16 hdr_len;		/* sizeof(struct chw_conn_state) */
	__le16 nr_send;		/* struct chw_send_range entries that follow */
	__u8 family;		/* 4 or 6 */
	__u8 tcp_state;		/* Linux TCP_* state numbering */

	/* route: the frames the NIC builds */
	__u8 local_mac[6];
	__u8 peer_mac[6];	/* next hop */
	__le16 mtu;
	__le16 mss;		/* send MSS (segment payload) */
	__le16 rcv_mss;		/* estimate of the peer's MSS */
	__u8 local_addr[16];	/* IPv4 in the first 4 bytes */
	__u8 peer_addr[16];
	__be16 local_port;
	__be16 peer_port;

	/* options */
	__u8 opt;		/* CHW_OPT_* */
	__u8 snd_wscale;	/* shift for the peer's windows */
	__u8 rcv_wscale;	/* shift for our windows */
	__u8 tos;
	__u8 ttl;
	__u8 rsvd[5];

	/* send sequence space */
	__le32 snd_una;
	__le32 snd_nxt;
	__le32 snd_wnd;		/* peer's window, unscaled bytes */
	__le32 snd_wl1;
	__le32 snd_wl2;
	__le32 max_window;
	__le32 write_seq;	/* end of the send queue (snd_una + bytes) */

	/* receive sequence space */
	__le32 rcv_nxt;
	__le32 rcv_wnd;		/* window last advertised, bytes */
	__le32 rcv_wup;		/* rcv_nxt when it was advertised */
	__le32 copied_seq;	/* first byte the application has not read */

	/*
	 * timestamps (RFC 7323): the TSval the connection would send now
	 * (Linux: TCP_TIMESTAMP in repair mode); each side derives its own
	 * clock offset from it, so TSval never jumps back across a move.
	 */
	__le32 ts_val;
	__le32 ts_recent;	/* peer's last TSval to echo */
	__le32 ts_recent_age_ms;	/* how old ts_recent is */

	/* estimators */
	__le32 srtt_us;
	__le32 rttvar_us;
	__le32 rto_ms;
	__le32 snd_cwnd;	/* segments */
	__le32 snd_ssthresh;	/* segments */

	/* buffers */
	__le32 sndbuf;		/* bytes the OS lets the send queue hold */
	__le32 rcvbuf;		/* bytes of receive buffer */
	/*
	 * (1.1, was reserved) IPv6: the flow label of every segment the
	 * connection sends, CHW_FLOWLABEL_MASK, as the host's TCP put it
	 * in its segments (np->flow_label, or the automatic label from
	 * sk_txhash, ip6_make_flowlabel()); CHW_FLOWLABEL_REHASH if it is
	 * the automatic one and the socket allows rehashing, so that, as
	 * in Linux, every retransmission timeout draws a new one
	 * (sk_rethink_txhash()).  0 for IPv4.  On restore, the label the
	 * NIC last used.
	 */
	__le32 flowlabel;
};
CHW_STATIC_ASSERT(sizeof(struct chw_conn_state) == 160, "conn state size");

#define CHW_OPT_SACK		(1u << 0)	/* SACK permitted both ways */
#define CHW_OPT_TS		(1u << 1)	/* timestamps in use */
#define CHW_OPT_WSCALE		(1u << 2)	/* window scaling in use */
#define CHW_OPT_FIN_SENT	(1u << 3)	/* our FIN is at write_seq */
#define CHW_OPT_FIN_RCVD	(1u << 4)	/* peer's FIN at rcv_nxt - 1 */
#define CHW_OPT_NODELAY		(1u << 5)

#define CHW_FLOWLABEL_MASK	0x000fffffu
#define CHW_FLOWLABEL_REHASH	(1u << 31)

/* One contiguous piece of the send queue, in host memory. */
struct chw_send_range {
	__le64 addr;
	__le32 len;
	__le32 rsvd;
};
CHW_STATIC_ASSERT(sizeof(struct chw_send_range) == 16, "send range size");

#define CHW_STATE_MAX_SEND	1024	/* ranges in one state block */

#endif /* CHW_ABI_H */
