/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hnd.h - the handoff NIC's PCI driver: private state and the command and
 * event ring API the bypass protocol uses.
 */
#ifndef HND_H
#define HND_H

#include <linux/completion.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/wait.h>

#include "chw_abi.h"

#define HND_DRV_NAME		"handoff_nic"
#define HND_TX_RING_SIZE	1024
#define HND_RX_RING_SIZE	1024
#define HND_CMD_RING_SIZE	4096
#define HND_EV_RING_SIZE	8192
#define HND_RX_BUF_LEN		1536	/* ETH_FRAME_LEN + VLAN, rounded */
#define HND_TX_WAKE_THRESH	(MAX_SKB_FRAGS + 2)

/* Driver-side counters, shown by ethtool -S beside the device's own. */
struct hnd_sw_stats {
	u64 tx_packets, tx_bytes, tx_busy, tx_linearized, tx_csum_help;
	u64 tx_desc_err;		/* frames the device refused */
	u64 tx_descs;			/* descriptors posted (make bench) */
	u64 rx_packets, rx_bytes, rx_csum_ok, rx_alloc_fail;
	u64 rx_desc_err;		/* buffers the device refused */
	u64 cmds, cmd_ring_full, events, ev_unhandled, cmd_errors;
	u64 cmd_timeouts;
	struct u64_stats_sync syncp;
};

struct hnd_tx_buf {
	struct sk_buff *skb;		/* set on the frame's EOP slot */
	dma_addr_t dma;
	u32 len;
	bool is_page;			/* dma_unmap_page vs _single */
};

struct hnd_rx_buf {
	struct sk_buff *skb;		/* NULL: a refused test buffer */
	dma_addr_t dma;
};

/*
 * A command waiting for its CHW_EV_DONE, matched by command index: a
 * sleeper (comp) or, if cb is set, a callback run in the event softirq.
 */
struct hnd_cmd_wait {
	u32 idx;
	struct chw_ev_done done;
	struct completion comp;
	void (*cb)(struct hnd_cmd_wait *w);
	/* hnd_cmd_exec_answered(): runs before any later event */
	void (*answered)(void *arg, const struct chw_ev_done *done);
	void *answered_arg;
};

/* The status a waiter sees when the device went away first. */
#define HND_ST_GONE	0xff

/* The state of a NOP round-trip test (debugfs nop_test). */
struct hnd_nop_test {
	unsigned long *seen;		/* bitmap of cookies answered */
	u32 n;
	atomic_t done;
	atomic_t dup;
	atomic_t bad;
};

typedef void (*hnd_event_fn)(void *ctx, const struct chw_msg *ev);

struct hnd_dev {
	struct pci_dev *pdev;
	struct net_device *netdev;
	void __iomem *regs;
	int irq[CHW_NUM_VECTORS];

	/* TX: producer under netif_tx_lock, consumer in NAPI */
	struct chw_tx_desc *tx_ring;
	dma_addr_t tx_ring_dma;
	struct hnd_tx_buf *tx_buf;
	u32 tx_head;			/* next slot to fill */
	u32 tx_clean;			/* oldest slot not completed */

	/* RX: NAPI only */
	struct chw_rx_desc *rx_ring;
	dma_addr_t rx_ring_dma;
	struct hnd_rx_buf *rx_buf;
	u32 rx_head;			/* next slot to complete */
	u32 rx_tail;			/* next slot to fill */
	unsigned long rx_inject_bad;	/* bit 0: post a bad buffer next */

	/* commands: any context, under cmd_lock */
	spinlock_t cmd_lock;
	struct chw_msg *cmd_ring;
	dma_addr_t cmd_ring_dma;
	u32 cmd_tail;			/* next command index */
	u32 cmd_head;			/* device's head, last read */
	struct hnd_cmd_wait **cmd_wait;	/* per slot, or NULL */
	wait_queue_head_t cmd_room;	/* waiters for ring space */

	/* events: ev_napi only */
	struct chw_msg *ev_ring;
	dma_addr_t ev_ring_dma;
	u32 ev_head;			/* next event to read */
	hnd_event_fn ev_handler;	/* the bypass protocol's */
	void *ev_ctx;
	struct hnd_nop_test *nop;	/* a running NOP test, or NULL */

	struct napi_struct napi;	/* RX and TX completions */
	struct napi_struct ev_napi;	/* events */
	bool failed;			/* the device stopped answering */

	struct hnd_sw_stats stats;
	struct dentry *debugfs;
	void *bp;			/* the bypass protocol's per-NIC state */
	struct list_head client_node;	/* hnd_client.c */
};

static inline void hnd_wr(struct hnd_dev *hd, u32 reg, u32 val)
{
	writel(val, hd->regs + reg);
}

static inline u32 hnd_rd(struct hnd_dev *hd, u32 reg)
{
	return readl(hd->regs + reg);
}

static inline void hnd_stat_inc(struct hnd_dev *hd, u64 *ctr)
{
	u64_stats_update_begin(&hd->stats.syncp);
	(*ctr)++;
	u64_stats_update_end(&hd->stats.syncp);
}

/* hnd_pci.c */
int hnd_pci_register(void);
void hnd_pci_unregister(void);
int hnd_dev_reset(struct hnd_dev *hd);

/* hnd_netdev.c */
extern const struct net_device_ops hnd_netdev_ops;
void hnd_netdev_setup(struct hnd_dev *hd);
int hnd_rx_fill(struct hnd_dev *hd, gfp_t gfp);
void hnd_rx_free(struct hnd_dev *hd);
void hnd_tx_free(struct hnd_dev *hd);
int hnd_napi_poll(struct napi_struct *napi, int budget);
int hnd_tx_inject_bad(struct hnd_dev *hd);
void hnd_rx_inject_bad(struct hnd_dev *hd);
void hnd_link_update(struct hnd_dev *hd);

/* hnd_cmdq.c: the command and event rings */
int hnd_cmd_post(struct hnd_dev *hd, const struct chw_msg *cmds,
		 unsigned int n);
int hnd_cmd_exec(struct hnd_dev *hd, const struct chw_msg *cmd,
		 struct chw_ev_done *done, unsigned long timeout);
int hnd_cmd_exec_answered(struct hnd_dev *hd, const struct chw_msg *cmd,
			  struct chw_ev_done *done, unsigned long timeout,
			  void (*answered)(void *arg,
					   const struct chw_ev_done *done),
			  void *arg);
int hnd_cmd_submit(struct hnd_dev *hd, const struct chw_msg *cmd,
		   struct hnd_cmd_wait *w);
void hnd_cmd_fail_all(struct hnd_dev *hd);
void hnd_set_event_handler(struct hnd_dev *hd, hnd_event_fn fn, void *ctx);
int hnd_ev_napi_poll(struct napi_struct *napi, int budget);
int hnd_status_to_errno(u8 status);
int hnd_nop_test(struct hnd_dev *hd, u32 n, char *res, size_t len);

/*
 * hnd_client.c: the connection-handoff protocol (handoff.ko) is told of
 * each handoff NIC appearing (add) and going (remove, the NIC still
 * working).  One client at a time.
 */
struct hnd_client {
	int (*add)(struct hnd_dev *hd);
	void (*remove)(struct hnd_dev *hd);
};
int hnd_client_register(const struct hnd_client *c);
void hnd_client_unregister(const struct hnd_client *c);
void hnd_client_dev_add(struct hnd_dev *hd);
void hnd_client_dev_remove(struct hnd_dev *hd);

/* bypass_proto/bp_nic.c: the client */
int bp_nic_add(struct hnd_dev *hd);
void bp_nic_remove(struct hnd_dev *hd);

/* hnd_ethtool.c */
extern const struct ethtool_ops hnd_ethtool_ops;

/* hnd_debugfs.c */
void hnd_debugfs_init(void);
void hnd_debugfs_exit(void);
void hnd_debugfs_add(struct hnd_dev *hd);
void hnd_debugfs_remove(struct hnd_dev *hd);

#endif /* HND_H */
