// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_pci.c - PCI probe and remove of the handoff NIC.
 *
 * All four rings live from probe to remove: the command and event rings
 * serve the bypass protocol whether or not the interface is up.  Probe
 * unwinds with labels named after what they undo; remove mirrors probe.
 */
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/interrupt.h>
#include <linux/iopoll.h>
#include <linux/module.h>

#include "hnd.h"

static const struct pci_device_id hnd_pci_ids[] = {
	{ PCI_DEVICE(CHW_PCI_VENDOR_ID, CHW_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, hnd_pci_ids);

/* Stop all DMA and forget the rings; the firmware answers within ms. */
int hnd_dev_reset(struct hnd_dev *hd)
{
	u32 st;
	int err;

	hnd_wr(hd, CHW_REG_CTRL, CHW_CTRL_RESET);
	err = readl_poll_timeout(hd->regs + CHW_REG_STATUS, st,
				 st & CHW_STATUS_RESET_DONE, 100, 1000000);
	if (err)
		dev_err(&hd->pdev->dev, "reset timed out (status 0x%x)\n", st);
	return err;
}

static void hnd_ring_regs(struct hnd_dev *hd, int r, dma_addr_t dma,
			  u32 size)
{
	hnd_wr(hd, CHW_REG_RING(r) + CHW_RING_BASE_LO, lower_32_bits(dma));
	hnd_wr(hd, CHW_REG_RING(r) + CHW_RING_BASE_HI, upper_32_bits(dma));
	hnd_wr(hd, CHW_REG_RING(r) + CHW_RING_SIZE, size);
}

static int hnd_rings_alloc(struct hnd_dev *hd)
{
	struct device *dev = &hd->pdev->dev;

	hd->tx_ring = dma_alloc_coherent(dev, HND_TX_RING_SIZE *
					 sizeof(*hd->tx_ring),
					 &hd->tx_ring_dma, GFP_KERNEL);
	hd->rx_ring = dma_alloc_coherent(dev, HND_RX_RING_SIZE *
					 sizeof(*hd->rx_ring),
					 &hd->rx_ring_dma, GFP_KERNEL);
	hd->cmd_ring = dma_alloc_coherent(dev, HND_CMD_RING_SIZE *
					  sizeof(*hd->cmd_ring),
					  &hd->cmd_ring_dma, GFP_KERNEL);
	hd->ev_ring = dma_alloc_coherent(dev, HND_EV_RING_SIZE *
					 sizeof(*hd->ev_ring),
					 &hd->ev_ring_dma, GFP_KERNEL);
	hd->tx_buf = kcalloc(HND_TX_RING_SIZE, sizeof(*hd->tx_buf),
			     GFP_KERNEL);
	hd->rx_buf = kcalloc(HND_RX_RING_SIZE, sizeof(*hd->rx_buf),
			     GFP_KERNEL);
	hd->cmd_wait = kcalloc(HND_CMD_RING_SIZE, sizeof(*hd->cmd_wait),
			       GFP_KERNEL);
	if (!hd->tx_ring || !hd->rx_ring || !hd->cmd_ring || !hd->ev_ring ||
	    !hd->tx_buf || !hd->rx_buf || !hd->cmd_wait)
		return -ENOMEM;
	return 0;
}

static void hnd_rings_free(struct hnd_dev *hd)
{
	struct device *dev = &hd->pdev->dev;

	kfree(hd->cmd_wait);
	kfree(hd->rx_buf);
	kfree(hd->tx_buf);
	if (hd->ev_ring)
		dma_free_coherent(dev, HND_EV_RING_SIZE * sizeof(*hd->ev_ring),
				  hd->ev_ring, hd->ev_ring_dma);
	if (hd->cmd_ring)
		dma_free_coherent(dev, HND_CMD_RING_SIZE *
				  sizeof(*hd->cmd_ring), hd->cmd_ring,
				  hd->cmd_ring_dma);
	if (hd->rx_ring)
		dma_free_coherent(dev, HND_RX_RING_SIZE * sizeof(*hd->rx_ring),
				  hd->rx_ring, hd->rx_ring_dma);
	if (hd->tx_ring)
		dma_free_coherent(dev, HND_TX_RING_SIZE * sizeof(*hd->tx_ring),
				  hd->tx_ring, hd->tx_ring_dma);
}

static int hnd_dev_enable(struct hnd_dev *hd)
{
	u32 st;
	int err;

	hnd_ring_regs(hd, CHW_RING_TX, hd->tx_ring_dma, HND_TX_RING_SIZE);
	hnd_ring_regs(hd, CHW_RING_RX, hd->rx_ring_dma, HND_RX_RING_SIZE);
	hnd_ring_regs(hd, CHW_RING_CMD, hd->cmd_ring_dma, HND_CMD_RING_SIZE);
	hnd_ring_regs(hd, CHW_RING_EV, hd->ev_ring_dma, HND_EV_RING_SIZE);
	hnd_wr(hd, CHW_REG_CTRL, CHW_CTRL_ENABLE);
	err = readl_poll_timeout(hd->regs + CHW_REG_STATUS, st,
				 st & (CHW_STATUS_ENABLED | CHW_STATUS_RING_ERR),
				 100, 1000000);
	if (err || !(st & CHW_STATUS_ENABLED)) {
		dev_err(&hd->pdev->dev, "device refused its rings (status 0x%x)\n",
			st);
		return err ?: -EIO;
	}
	return 0;
}

/*
 * A failed device was reset, every command answered and every buffer of
 * its client let go (hnd_health.c); NAPI and TX are quiesced, rtnl held.
 * Give it fresh rings, as probe did.
 */
int hnd_dev_restart(struct hnd_dev *hd)
{
	int err;

	napi_disable(&hd->ev_napi);
	hnd_tx_free(hd);
	hnd_rx_free(hd);
	memset(hd->tx_ring, 0, HND_TX_RING_SIZE * sizeof(*hd->tx_ring));
	memset(hd->rx_ring, 0, HND_RX_RING_SIZE * sizeof(*hd->rx_ring));
	memset(hd->cmd_ring, 0, HND_CMD_RING_SIZE * sizeof(*hd->cmd_ring));
	/* stale phase bits would read as new events */
	memset(hd->ev_ring, 0, HND_EV_RING_SIZE * sizeof(*hd->ev_ring));
	spin_lock_bh(&hd->cmd_lock);
	hd->cmd_tail = 0;
	hd->cmd_head = 0;
	spin_unlock_bh(&hd->cmd_lock);
	hd->ev_head = 0;
	err = hnd_dev_enable(hd);
	if (!err)
		err = hnd_rx_fill(hd, GFP_KERNEL);
	napi_enable(&hd->ev_napi);
	/* an event vector that fired while NAPI was off stays disarmed */
	local_bh_disable();
	napi_schedule(&hd->ev_napi);
	local_bh_enable();
	return err;
}

static irqreturn_t hnd_irq_data(int irq, void *data)
{
	struct hnd_dev *hd = data;

	napi_schedule(&hd->napi);
	return IRQ_HANDLED;
}

static irqreturn_t hnd_irq_ev(int irq, void *data)
{
	struct hnd_dev *hd = data;

	napi_schedule(&hd->ev_napi);
	return IRQ_HANDLED;
}

static irqreturn_t hnd_irq_misc(int irq, void *data)
{
	struct hnd_dev *hd = data;

	hnd_wr(hd, CHW_REG_IRQ_CAUSE, CHW_IRQ_MISC);
	hnd_link_update(hd);
	hnd_wr(hd, CHW_REG_IRQ_ARM, CHW_IRQ_MISC);
	return IRQ_HANDLED;
}

static int hnd_irqs_request(struct hnd_dev *hd)
{
	static const irq_handler_t handler[CHW_NUM_VECTORS] = {
		[CHW_VEC_RX] = hnd_irq_data, [CHW_VEC_TX] = hnd_irq_data,
		[CHW_VEC_EV] = hnd_irq_ev, [CHW_VEC_MISC] = hnd_irq_misc,
	};
	int v, err;

	err = pci_alloc_irq_vectors(hd->pdev, CHW_NUM_VECTORS,
				    CHW_NUM_VECTORS, PCI_IRQ_MSIX);
	if (err < 0)
		return err;
	for (v = 0; v < CHW_NUM_VECTORS; v++) {
		hd->irq[v] = pci_irq_vector(hd->pdev, v);
		err = request_irq(hd->irq[v], handler[v], 0,
				  pci_name(hd->pdev), hd);
		if (err)
			goto err_free;
	}
	return 0;

err_free:
	while (v--)
		free_irq(hd->irq[v], hd);
	pci_free_irq_vectors(hd->pdev);
	return err;
}

static void hnd_irqs_free(struct hnd_dev *hd)
{
	int v;

	for (v = 0; v < CHW_NUM_VECTORS; v++)
		free_irq(hd->irq[v], hd);
	pci_free_irq_vectors(hd->pdev);
}

static int hnd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct net_device *netdev;
	struct hnd_dev *hd;
	u8 mac[ETH_ALEN];
	u32 lo, hi, ver;
	int err;

	err = pci_enable_device_mem(pdev);
	if (err)
		return err;
	err = pci_request_regions(pdev, HND_DRV_NAME);
	if (err)
		goto err_disable;
	pci_set_master(pdev);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		goto err_regions;

	netdev = alloc_etherdev(sizeof(*hd));
	if (!netdev) {
		err = -ENOMEM;
		goto err_regions;
	}
	SET_NETDEV_DEV(netdev, &pdev->dev);
	hd = netdev_priv(netdev);
	hd->pdev = pdev;
	hd->netdev = netdev;
	spin_lock_init(&hd->cmd_lock);
	init_waitqueue_head(&hd->cmd_room);
	u64_stats_init(&hd->stats.syncp);
	pci_set_drvdata(pdev, hd);

	hd->regs = pci_iomap(pdev, CHW_BAR_REGS, 0);
	if (!hd->regs) {
		err = -ENOMEM;
		goto err_netdev;
	}
	ver = hnd_rd(hd, CHW_REG_VERSION);
	if (hnd_rd(hd, CHW_REG_ID) != CHW_ID_MAGIC ||
	    ver >> 16 != CHW_ABI_MAJOR) {
		dev_err(&pdev->dev, "not a handoff NIC of ABI %u (id 0x%x, version 0x%x)\n",
			CHW_ABI_MAJOR, hnd_rd(hd, CHW_REG_ID), ver);
		err = -ENODEV;
		goto err_iounmap;
	}
	err = hnd_dev_reset(hd);
	if (err)
		goto err_iounmap;

	lo = hnd_rd(hd, CHW_REG_MAC_LO);
	hi = hnd_rd(hd, CHW_REG_MAC_HI);
	mac[0] = lo; mac[1] = lo >> 8; mac[2] = lo >> 16; mac[3] = lo >> 24;
	mac[4] = hi; mac[5] = hi >> 8;
	if (!is_valid_ether_addr(mac)) {
		dev_warn(&pdev->dev, "invalid MAC %pM, using a random one\n",
			 mac);
		eth_random_addr(mac);
	}
	eth_hw_addr_set(netdev, mac);
	hnd_netdev_setup(hd);

	err = hnd_rings_alloc(hd);
	if (err)
		goto err_rings;
	netif_napi_add(netdev, &hd->napi, hnd_napi_poll);
	netif_napi_add(netdev, &hd->ev_napi, hnd_ev_napi_poll);
	err = hnd_irqs_request(hd);
	if (err)
		goto err_napi;
	err = hnd_dev_enable(hd);
	if (err)
		goto err_irqs;
	err = hnd_rx_fill(hd, GFP_KERNEL);
	if (err)
		goto err_enable;
	napi_enable(&hd->ev_napi);

	netif_carrier_off(netdev);
	err = register_netdev(netdev);
	if (err)
		goto err_ev_napi;
	hnd_link_update(hd);
	hnd_debugfs_add(hd);
	hnd_client_dev_add(hd);
	hnd_health_start(hd);
	netdev_info(netdev, "handoff NIC %s, ABI %u.%u, MAC %pM, %u connection slots, %u KiB NIC memory\n",
		    pci_name(pdev), ver >> 16, ver & 0xffff, mac,
		    hnd_rd(hd, CHW_REG_MAX_CONNS),
		    hnd_rd(hd, CHW_REG_NIC_MEM_KB));
	return 0;

err_ev_napi:
	napi_disable(&hd->ev_napi);
err_enable:
	hnd_dev_reset(hd);
	hnd_rx_free(hd);
err_irqs:
	hnd_irqs_free(hd);
err_napi:
	netif_napi_del(&hd->ev_napi);
	netif_napi_del(&hd->napi);
err_rings:
	hnd_rings_free(hd);
err_iounmap:
	pci_iounmap(pdev, hd->regs);
err_netdev:
	free_netdev(netdev);
err_regions:
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
	return err;
}

static void hnd_remove(struct pci_dev *pdev)
{
	struct hnd_dev *hd = pci_get_drvdata(pdev);

	/* a failure being handled finishes first */
	hnd_health_stop(hd);
	hnd_debugfs_remove(hd);
	/* offloaded connections end (or go home) while the NIC still works */
	hnd_client_dev_remove(hd);
	unregister_netdev(hd->netdev);
	napi_disable(&hd->ev_napi);
	/* the device must stop DMA before its buffers go */
	hnd_dev_reset(hd);
	hnd_cmd_fail_all(hd);
	hnd_rx_free(hd);
	hnd_tx_free(hd);
	hnd_irqs_free(hd);
	netif_napi_del(&hd->ev_napi);
	netif_napi_del(&hd->napi);
	hnd_rings_free(hd);
	pci_iounmap(pdev, hd->regs);
	free_netdev(hd->netdev);
	pci_release_regions(pdev);
	pci_disable_device(pdev);
}

static void hnd_shutdown(struct pci_dev *pdev)
{
	struct hnd_dev *hd = pci_get_drvdata(pdev);

	hnd_dev_reset(hd);
}

static struct pci_driver hnd_pci_driver = {
	.name = HND_DRV_NAME,
	.id_table = hnd_pci_ids,
	.probe = hnd_probe,
	.remove = hnd_remove,
	.shutdown = hnd_shutdown,
};

int hnd_pci_register(void)
{
	return pci_register_driver(&hnd_pci_driver);
}

void hnd_pci_unregister(void)
{
	pci_unregister_driver(&hnd_pci_driver);
}
