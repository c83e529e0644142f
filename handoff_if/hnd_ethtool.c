// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_ethtool.c - ethtool -i and -S: the driver's counters beside the
 * device's own (read from BAR0, 64 bits each).
 */
#include <linux/ethtool.h>

#include "hnd.h"

struct hnd_stat_desc {
	char name[ETH_GSTRING_LEN];
	size_t off;
};

#define HND_SW_STAT(f) { #f, offsetof(struct hnd_sw_stats, f) }
static const struct hnd_stat_desc hnd_sw_stats_desc[] = {
	HND_SW_STAT(tx_packets), HND_SW_STAT(tx_bytes), HND_SW_STAT(tx_busy),
	HND_SW_STAT(tx_linearized), HND_SW_STAT(tx_csum_help),
	HND_SW_STAT(tx_desc_err), HND_SW_STAT(tx_descs),
	HND_SW_STAT(rx_packets),
	HND_SW_STAT(rx_bytes), HND_SW_STAT(rx_csum_ok),
	HND_SW_STAT(rx_alloc_fail), HND_SW_STAT(rx_desc_err),
	HND_SW_STAT(cmds), HND_SW_STAT(cmd_ring_full), HND_SW_STAT(events),
	HND_SW_STAT(ev_unhandled), HND_SW_STAT(cmd_errors),
	HND_SW_STAT(cmd_timeouts), HND_SW_STAT(dev_failures),
	HND_SW_STAT(dev_restarts),
};

/* Names of enum chw_stat, in order. */
static const char hnd_dev_stats_desc[][ETH_GSTRING_LEN] = {
	"dev_tx_frames", "dev_tx_bytes", "dev_tx_tso_segs", "dev_tx_csum",
	"dev_tx_errors", "dev_rx_frames", "dev_rx_bytes", "dev_rx_csum_ok",
	"dev_rx_no_buf", "dev_rx_drops", "dev_rx_errors", "dev_dma_errors",
	"dev_cmds", "dev_cmd_errors", "dev_events", "dev_ring_errors",
	"dev_irqs",
	"dev_tcp_rx_no_buf",
	"dev_tcp_rx_ooo",
	"dev_tcp_rexmt",
	"dev_icmp_pmtu",
	"dev_icmp_soft",
	"dev_icmp_ignored",
	"dev_icmp_bad",
};
static_assert(ARRAY_SIZE(hnd_dev_stats_desc) == CHW_STAT_COUNT);

#define HND_NUM_SW_STATS ARRAY_SIZE(hnd_sw_stats_desc)

static void hnd_get_drvinfo(struct net_device *nd,
			    struct ethtool_drvinfo *info)
{
	struct hnd_dev *hd = netdev_priv(nd);
	u32 ver = hnd_rd(hd, CHW_REG_VERSION);

	strscpy(info->driver, HND_DRV_NAME, sizeof(info->driver));
	snprintf(info->fw_version, sizeof(info->fw_version), "abi %u.%u",
		 ver >> 16, ver & 0xffff);
	strscpy(info->bus_info, pci_name(hd->pdev), sizeof(info->bus_info));
}

static int hnd_get_sset_count(struct net_device *nd, int sset)
{
	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return HND_NUM_SW_STATS + CHW_STAT_COUNT;
}

static void hnd_get_strings(struct net_device *nd, u32 sset, u8 *data)
{
	unsigned int i;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < HND_NUM_SW_STATS; i++, data += ETH_GSTRING_LEN)
		memcpy(data, hnd_sw_stats_desc[i].name, ETH_GSTRING_LEN);
	for (i = 0; i < CHW_STAT_COUNT; i++, data += ETH_GSTRING_LEN)
		memcpy(data, hnd_dev_stats_desc[i], ETH_GSTRING_LEN);
}

static void hnd_get_ethtool_stats(struct net_device *nd,
				  struct ethtool_stats *stats, u64 *data)
{
	struct hnd_dev *hd = netdev_priv(nd);
	unsigned int i, start;

	do {
		start = u64_stats_fetch_begin(&hd->stats.syncp);
		for (i = 0; i < HND_NUM_SW_STATS; i++)
			data[i] = *(u64 *)((u8 *)&hd->stats +
					   hnd_sw_stats_desc[i].off);
	} while (u64_stats_fetch_retry(&hd->stats.syncp, start));
	for (i = 0; i < CHW_STAT_COUNT; i++)
		data[HND_NUM_SW_STATS + i] =
			readq(hd->regs + CHW_REG_STATS + 8 * i);
}

static int hnd_get_link_ksettings(struct net_device *nd,
				  struct ethtool_link_ksettings *ks)
{
	ethtool_link_ksettings_zero_link_mode(ks, supported);
	ks->base.speed = SPEED_10000;
	ks->base.duplex = DUPLEX_FULL;
	ks->base.port = PORT_OTHER;
	ks->base.autoneg = AUTONEG_DISABLE;
	return 0;
}

const struct ethtool_ops hnd_ethtool_ops = {
	.get_drvinfo = hnd_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = hnd_get_sset_count,
	.get_strings = hnd_get_strings,
	.get_ethtool_stats = hnd_get_ethtool_stats,
	.get_link_ksettings = hnd_get_link_ksettings,
};
