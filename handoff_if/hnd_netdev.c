// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_netdev.c - the handoff NIC as an ordinary Ethernet NIC: transmit
 * with scatter-gather, checksum offload and TSO; receive with checksum
 * verification; one NAPI instance for both.
 */
#include <linux/etherdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>

#include "hnd.h"

#define HND_RX_SLOT(i)	((i) & (HND_RX_RING_SIZE - 1))
#define HND_TX_SLOT(i)	((i) & (HND_TX_RING_SIZE - 1))

/* Address of the test buffer that lies outside any guest's RAM. */
#define HND_BAD_DMA_ADDR	(1ULL << 46)

void hnd_link_update(struct hnd_dev *hd)
{
	bool up;

	/* a failed device has no link until it serves again */
	if (READ_ONCE(hd->quiesced))
		return;
	up = hnd_rd(hd, CHW_REG_STATUS) & CHW_STATUS_LINK_UP;

	if (up && !netif_carrier_ok(hd->netdev))
		netif_carrier_on(hd->netdev);
	else if (!up && netif_carrier_ok(hd->netdev))
		netif_carrier_off(hd->netdev);
}

/* ---- receive ----------------------------------------------------------- */

static int hnd_rx_post(struct hnd_dev *hd, struct sk_buff *skb)
{
	u32 slot = HND_RX_SLOT(hd->rx_tail);
	struct chw_rx_desc *d = &hd->rx_ring[slot];
	struct hnd_rx_buf *b = &hd->rx_buf[slot];
	dma_addr_t dma;

	dma = dma_map_single(&hd->pdev->dev, skb->data, HND_RX_BUF_LEN,
			     DMA_FROM_DEVICE);
	if (dma_mapping_error(&hd->pdev->dev, dma))
		return -ENOMEM;
	b->skb = skb;
	b->dma = dma;
	d->addr = cpu_to_le64(dma);
	d->buf_len = cpu_to_le16(HND_RX_BUF_LEN);
	d->pkt_len = 0;
	d->flags = 0;
	d->status = 0;
	hd->rx_tail++;
	return 0;
}

/* Give the device buffers up to a full ring; ring the doorbell once. */
int hnd_rx_fill(struct hnd_dev *hd, gfp_t gfp)
{
	u32 start = hd->rx_tail;

	while (hd->rx_tail - hd->rx_head < HND_RX_RING_SIZE) {
		struct sk_buff *skb;

		if (test_and_clear_bit(0, &hd->rx_inject_bad)) {
			u32 slot = HND_RX_SLOT(hd->rx_tail++);

			hd->rx_buf[slot].skb = NULL;
			hd->rx_ring[slot] = (struct chw_rx_desc) {
				.addr = cpu_to_le64(HND_BAD_DMA_ADDR),
				.buf_len = cpu_to_le16(HND_RX_BUF_LEN),
			};
			continue;
		}
		skb = __netdev_alloc_skb_ip_align(hd->netdev, HND_RX_BUF_LEN,
						  gfp);
		if (!skb || hnd_rx_post(hd, skb)) {
			dev_kfree_skb_any(skb);
			hnd_stat_inc(hd, &hd->stats.rx_alloc_fail);
			break;
		}
	}
	if (hd->rx_tail != start) {
		/* descriptors before the doorbell */
		wmb();
		hnd_wr(hd, CHW_REG_RING(CHW_RING_RX) + CHW_RING_TAIL,
		       hd->rx_tail);
	}
	return hd->rx_tail == hd->rx_head ? -ENOMEM : 0;
}

void hnd_rx_free(struct hnd_dev *hd)
{
	for (; hd->rx_head != hd->rx_tail; hd->rx_head++) {
		struct hnd_rx_buf *b = &hd->rx_buf[HND_RX_SLOT(hd->rx_head)];

		if (!b->skb)
			continue;
		dma_unmap_single(&hd->pdev->dev, b->dma, HND_RX_BUF_LEN,
				 DMA_FROM_DEVICE);
		dev_kfree_skb_any(b->skb);
		b->skb = NULL;
	}
	hd->rx_head = 0;
	hd->rx_tail = 0;
}

/*
 * Ask for one buffer whose address no guest RAM backs, posted at the next
 * refill: the device reaches it a ring's worth of frames later, must refuse
 * it (CHW_DESC_ERR), count it, and go on with the next buffer.
 */
void hnd_rx_inject_bad(struct hnd_dev *hd)
{
	set_bit(0, &hd->rx_inject_bad);
	local_bh_disable();
	napi_schedule(&hd->napi);
	local_bh_enable();
}

static int hnd_rx_poll(struct hnd_dev *hd, int budget)
{
	int done = 0;

	while (done < budget && hd->rx_head != hd->rx_tail) {
		u32 slot = HND_RX_SLOT(hd->rx_head);
		struct chw_rx_desc *d = &hd->rx_ring[slot];
		struct hnd_rx_buf *b = &hd->rx_buf[slot];
		struct sk_buff *skb = b->skb;
		u8 status = READ_ONCE(d->status);
		u16 len;

		if (!(status & CHW_DESC_DONE))
			break;
		/* length and flags were written before status */
		dma_rmb();
		hd->rx_head++;
		if (!skb) {
			/* the refused test buffer: the device said so */
			if (status & CHW_DESC_ERR)
				hnd_stat_inc(hd, &hd->stats.rx_desc_err);
			continue;
		}
		dma_unmap_single(&hd->pdev->dev, b->dma, HND_RX_BUF_LEN,
				 DMA_FROM_DEVICE);
		b->skb = NULL;
		len = le16_to_cpu(d->pkt_len);
		if ((status & CHW_DESC_ERR) || len < ETH_HLEN ||
		    len > HND_RX_BUF_LEN) {
			hnd_stat_inc(hd, &hd->stats.rx_desc_err);
			hd->netdev->stats.rx_errors++;
			dev_kfree_skb_any(skb);
			continue;
		}
		skb_put(skb, len);
		skb->protocol = eth_type_trans(skb, hd->netdev);
		if ((d->flags & CHW_RX_CSUM_OK) &&
		    (hd->netdev->features & NETIF_F_RXCSUM)) {
			skb->ip_summed = CHECKSUM_UNNECESSARY;
		}
		u64_stats_update_begin(&hd->stats.syncp);
		if (skb->ip_summed == CHECKSUM_UNNECESSARY)
			hd->stats.rx_csum_ok++;
		hd->stats.rx_packets++;
		hd->stats.rx_bytes += len;
		u64_stats_update_end(&hd->stats.syncp);
		napi_gro_receive(&hd->napi, skb);
		done++;
	}
	hnd_rx_fill(hd, GFP_ATOMIC);
	return done;
}

/* ---- transmit ---------------------------------------------------------- */

static u32 hnd_tx_room(const struct hnd_dev *hd)
{
	return HND_TX_RING_SIZE - (hd->tx_head - hd->tx_clean);
}

static void hnd_tx_unmap(struct hnd_dev *hd, struct hnd_tx_buf *b)
{
	if (!b->len)
		return;
	if (b->is_page)
		dma_unmap_page(&hd->pdev->dev, b->dma, b->len, DMA_TO_DEVICE);
	else
		dma_unmap_single(&hd->pdev->dev, b->dma, b->len,
				 DMA_TO_DEVICE);
	b->len = 0;
}

/* Reclaim completed frames; wake the queue when there is room again. */
static void hnd_tx_clean(struct hnd_dev *hd, int budget)
{
	struct netdev_queue *txq = netdev_get_tx_queue(hd->netdev, 0);
	unsigned int pkts = 0, bytes = 0;
	u32 i;

	for (i = hd->tx_clean; i != hd->tx_head; i++) {
		struct hnd_tx_buf *b = &hd->tx_buf[HND_TX_SLOT(i)];
		struct chw_tx_desc *d = &hd->tx_ring[HND_TX_SLOT(i)];
		u8 status;
		u32 j;

		if (!(d->flags & CHW_TX_EOP))
			continue;	/* a frame completes at its EOP */
		status = READ_ONCE(d->status);
		if (!(status & CHW_DESC_DONE))
			break;
		dma_rmb();
		if (status & CHW_DESC_ERR) {
			hnd_stat_inc(hd, &hd->stats.tx_desc_err);
			hd->netdev->stats.tx_errors++;
		}
		for (j = hd->tx_clean; j != i + 1; j++)
			hnd_tx_unmap(hd, &hd->tx_buf[HND_TX_SLOT(j)]);
		if (b->skb) {
			pkts++;
			bytes += b->skb->len;
			napi_consume_skb(b->skb, budget);
			b->skb = NULL;
		}
		hd->tx_clean = i + 1;
	}
	netdev_tx_completed_queue(txq, pkts, bytes);
	/* make tx_clean visible before checking the queue state */
	smp_mb();
	if (netif_tx_queue_stopped(txq) &&
	    hnd_tx_room(hd) >= HND_TX_WAKE_THRESH) {
		__netif_tx_lock(txq, smp_processor_id());
		if (netif_tx_queue_stopped(txq) &&
		    hnd_tx_room(hd) >= HND_TX_WAKE_THRESH)
			netif_tx_wake_queue(txq);
		__netif_tx_unlock(txq);
	}
}

void hnd_tx_free(struct hnd_dev *hd)
{
	for (; hd->tx_clean != hd->tx_head; hd->tx_clean++) {
		struct hnd_tx_buf *b = &hd->tx_buf[HND_TX_SLOT(hd->tx_clean)];

		hnd_tx_unmap(hd, b);
		dev_kfree_skb_any(b->skb);
		b->skb = NULL;
	}
	hd->tx_head = 0;
	hd->tx_clean = 0;
}

static void hnd_tx_desc(struct hnd_dev *hd, u32 idx, dma_addr_t dma, u32 len,
			u8 flags, u8 csum_start, u8 csum_off, u16 mss)
{
	struct chw_tx_desc *d = &hd->tx_ring[HND_TX_SLOT(idx)];

	d->addr = cpu_to_le64(dma);
	d->len = cpu_to_le16(len);
	d->flags = flags;
	d->status = 0;
	d->csum_start = csum_start;
	d->csum_off = csum_off;
	d->mss = cpu_to_le16(mss);
}

/* Offload fields for the first descriptor; false if software must do it. */
static bool hnd_tx_offload(struct sk_buff *skb, u8 *flags, u8 *start,
			   u8 *off, u16 *mss)
{
	*flags = 0;
	*start = 0;
	*off = 0;
	*mss = 0;
	if (skb_is_gso(skb)) {
		if (!(skb_shinfo(skb)->gso_type & (SKB_GSO_TCPV4 |
						   SKB_GSO_TCPV6)) ||
		    skb_transport_offset(skb) > U8_MAX)
			return false;
		*flags = CHW_TX_TSO;
		*start = skb_transport_offset(skb);
		*mss = skb_shinfo(skb)->gso_size;
		return true;
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		if (skb_checksum_start_offset(skb) > U8_MAX ||
		    skb->csum_offset > U8_MAX - 1)
			return false;
		*flags = CHW_TX_CSUM;
		*start = skb_checksum_start_offset(skb);
		*off = skb->csum_offset;
	}
	return true;
}

static netdev_tx_t hnd_start_xmit(struct sk_buff *skb, struct net_device *nd)
{
	struct hnd_dev *hd = netdev_priv(nd);
	struct netdev_queue *txq = netdev_get_tx_queue(nd, 0);
	struct device *dev = &hd->pdev->dev;
	u8 flags, start, off;
	u32 first = hd->tx_head, idx = first;
	u16 mss;
	int f;

	if (skb_put_padto(skb, ETH_ZLEN))
		return NETDEV_TX_OK;
	if (!hnd_tx_offload(skb, &flags, &start, &off, &mss)) {
		if (skb_is_gso(skb)) {
			/* advertised features make this unreachable */
			dev_kfree_skb_any(skb);
			nd->stats.tx_dropped++;
			return NETDEV_TX_OK;
		}
		if (skb_checksum_help(skb))
			goto drop;
		hnd_stat_inc(hd, &hd->stats.tx_csum_help);
		flags = 0;
	}
	if (skb_shinfo(skb)->nr_frags + 1 > CHW_TX_MAX_FRAGS) {
		if (skb_linearize(skb))
			goto drop;
		hnd_stat_inc(hd, &hd->stats.tx_linearized);
	}
	if (hnd_tx_room(hd) < skb_shinfo(skb)->nr_frags + 1) {
		netif_tx_stop_queue(txq);
		hnd_stat_inc(hd, &hd->stats.tx_busy);
		return NETDEV_TX_BUSY;
	}

	/* the head, then each page fragment */
	hd->tx_buf[HND_TX_SLOT(idx)].dma =
		dma_map_single(dev, skb->data, skb_headlen(skb), DMA_TO_DEVICE);
	if (dma_mapping_error(dev, hd->tx_buf[HND_TX_SLOT(idx)].dma))
		goto drop;
	hd->tx_buf[HND_TX_SLOT(idx)].len = skb_headlen(skb);
	hd->tx_buf[HND_TX_SLOT(idx)].is_page = false;
	hnd_tx_desc(hd, idx, hd->tx_buf[HND_TX_SLOT(idx)].dma,
		    skb_headlen(skb), flags, start, off, mss);
	for (f = 0; f < skb_shinfo(skb)->nr_frags; f++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[f];
		struct hnd_tx_buf *b;
		dma_addr_t dma;

		idx++;
		b = &hd->tx_buf[HND_TX_SLOT(idx)];
		dma = skb_frag_dma_map(dev, frag, 0, skb_frag_size(frag),
				       DMA_TO_DEVICE);
		if (dma_mapping_error(dev, dma))
			goto unmap;
		b->dma = dma;
		b->len = skb_frag_size(frag);
		b->is_page = true;
		hnd_tx_desc(hd, idx, dma, b->len, 0, 0, 0, 0);
	}
	hd->tx_ring[HND_TX_SLOT(idx)].flags |= CHW_TX_EOP;
	hd->tx_buf[HND_TX_SLOT(idx)].skb = skb;
	hd->tx_head = idx + 1;

	u64_stats_update_begin(&hd->stats.syncp);
	hd->stats.tx_packets++;
	hd->stats.tx_bytes += skb->len;
	hd->stats.tx_descs += idx + 1 - first;
	u64_stats_update_end(&hd->stats.syncp);
	netdev_tx_sent_queue(txq, skb->len);
	skb_tx_timestamp(skb);

	if (hnd_tx_room(hd) < HND_TX_WAKE_THRESH) {
		netif_tx_stop_queue(txq);
		/* pairs with the barrier in hnd_tx_clean() */
		smp_mb();
		if (hnd_tx_room(hd) >= HND_TX_WAKE_THRESH)
			netif_tx_start_queue(txq);
	}
	if (!netdev_xmit_more() || netif_xmit_stopped(txq)) {
		/* descriptors before the doorbell */
		wmb();
		hnd_wr(hd, CHW_REG_RING(CHW_RING_TX) + CHW_RING_TAIL,
		       hd->tx_head);
	}
	return NETDEV_TX_OK;

unmap:
	for (; idx != first - 1; idx--)
		hnd_tx_unmap(hd, &hd->tx_buf[HND_TX_SLOT(idx)]);
drop:
	dev_kfree_skb_any(skb);
	nd->stats.tx_dropped++;
	return NETDEV_TX_OK;
}

/*
 * Queue one frame whose only fragment lies outside guest RAM: the device
 * must complete it with CHW_DESC_ERR and carry on with the next frame.
 */
int hnd_tx_inject_bad(struct hnd_dev *hd)
{
	struct netdev_queue *txq = netdev_get_tx_queue(hd->netdev, 0);
	int err = 0;

	__netif_tx_lock_bh(txq);
	if (hnd_tx_room(hd) < 1) {
		err = -EBUSY;
	} else {
		hnd_tx_desc(hd, hd->tx_head, HND_BAD_DMA_ADDR, ETH_ZLEN,
			    CHW_TX_EOP, 0, 0, 0);
		hd->tx_buf[HND_TX_SLOT(hd->tx_head)].skb = NULL;
		hd->tx_buf[HND_TX_SLOT(hd->tx_head)].len = 0;
		hd->tx_head++;
		/* the descriptor before the doorbell */
		wmb();
		hnd_wr(hd, CHW_REG_RING(CHW_RING_TX) + CHW_RING_TAIL,
		       hd->tx_head);
	}
	__netif_tx_unlock_bh(txq);
	return err;
}

/* ---- NAPI and netdev ops ----------------------------------------------- */

int hnd_napi_poll(struct napi_struct *napi, int budget)
{
	struct hnd_dev *hd = container_of(napi, struct hnd_dev, napi);
	int done;

	hnd_tx_clean(hd, budget);
	done = hnd_rx_poll(hd, budget);
	if (done < budget && napi_complete_done(napi, done))
		hnd_wr(hd, CHW_REG_IRQ_ARM, CHW_IRQ_RX | CHW_IRQ_TX);
	return done;
}

/*
 * A failed device is about to be reset and given new rings: no NAPI poll
 * and no transmit may touch the old ones.  Under rtnl, so that open and
 * stop see the same state (they leave NAPI to hnd_netdev_resume()).
 */
void hnd_netdev_quiesce(struct hnd_dev *hd)
{
	ASSERT_RTNL();
	WRITE_ONCE(hd->quiesced, true);
	netif_carrier_off(hd->netdev);
	if (netif_running(hd->netdev)) {
		netif_tx_disable(hd->netdev);
		napi_disable(&hd->napi);
	}
}

/* The device serves again, as a plain NIC to start with. */
void hnd_netdev_resume(struct hnd_dev *hd)
{
	ASSERT_RTNL();
	/* the frames freed with the old ring were never completed */
	netdev_tx_reset_queue(netdev_get_tx_queue(hd->netdev, 0));
	WRITE_ONCE(hd->quiesced, false);
	if (netif_running(hd->netdev)) {
		napi_enable(&hd->napi);
		netif_tx_wake_all_queues(hd->netdev);
		local_bh_disable();
		napi_schedule(&hd->napi);
		local_bh_enable();
	}
	hnd_link_update(hd);
}

static int hnd_open(struct net_device *nd)
{
	struct hnd_dev *hd = netdev_priv(nd);

	if (hd->quiesced)
		return 0;	/* hnd_netdev_resume() starts it */
	napi_enable(&hd->napi);
	hnd_link_update(hd);
	netif_start_queue(nd);
	/* completions that arrived while down */
	napi_schedule(&hd->napi);
	return 0;
}

static int hnd_stop(struct net_device *nd)
{
	struct hnd_dev *hd = netdev_priv(nd);

	netif_stop_queue(nd);
	if (!hd->quiesced)
		napi_disable(&hd->napi);
	netif_carrier_off(nd);
	return 0;
}

static void hnd_get_stats64(struct net_device *nd,
			    struct rtnl_link_stats64 *s)
{
	struct hnd_dev *hd = netdev_priv(nd);
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&hd->stats.syncp);
		s->tx_packets = hd->stats.tx_packets;
		s->tx_bytes = hd->stats.tx_bytes;
		s->rx_packets = hd->stats.rx_packets;
		s->rx_bytes = hd->stats.rx_bytes;
	} while (u64_stats_fetch_retry(&hd->stats.syncp, start));
	s->tx_errors = nd->stats.tx_errors;
	s->tx_dropped = nd->stats.tx_dropped;
	s->rx_errors = nd->stats.rx_errors;
}

static void hnd_tx_timeout(struct net_device *nd, unsigned int txqueue)
{
	struct hnd_dev *hd = netdev_priv(nd);

	netdev_err(nd, "TX stalled: head %u clean %u device head %u status 0x%x\n",
		   hd->tx_head, hd->tx_clean,
		   hnd_rd(hd, CHW_REG_RING(CHW_RING_TX) + CHW_RING_HEAD),
		   hnd_rd(hd, CHW_REG_STATUS));
}

const struct net_device_ops hnd_netdev_ops = {
	.ndo_open = hnd_open,
	.ndo_stop = hnd_stop,
	.ndo_start_xmit = hnd_start_xmit,
	.ndo_get_stats64 = hnd_get_stats64,
	.ndo_tx_timeout = hnd_tx_timeout,
	.ndo_validate_addr = eth_validate_addr,
	.ndo_set_mac_address = eth_mac_addr,
};
/* the protocol tells its NICs' routes by these */
EXPORT_SYMBOL_GPL(hnd_netdev_ops);

void hnd_netdev_setup(struct hnd_dev *hd)
{
	struct net_device *nd = hd->netdev;
	netdev_features_t f = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM |
			      NETIF_F_TSO | NETIF_F_TSO6 | NETIF_F_TSO_ECN;

	nd->netdev_ops = &hnd_netdev_ops;
	nd->ethtool_ops = &hnd_ethtool_ops;
	nd->watchdog_timeo = 5 * HZ;
	nd->hw_features = f;
	nd->features = f;
	nd->vlan_features = f;
	nd->min_mtu = ETH_MIN_MTU;
	nd->max_mtu = ETH_DATA_LEN;
	/* the whole frame, headers included, must fit the device's 64 KiB */
	netif_set_tso_max_size(nd, CHW_TX_MAX_FRAME - 256);
	netif_set_tso_max_segs(nd, 1024);
}
