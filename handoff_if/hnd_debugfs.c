// SPDX-License-Identifier: GPL-2.0
/*
 * hnd_debugfs.c - test hooks under /sys/kernel/debug/handoff_nic/<pci>/:
 *
 *   nop_test   write N: N NOPs round-trip; read: the last report
 *   inject     write "tx", "rx" or "cmd": one malformed request the
 *              device must refuse, count and survive; "hang" or
 *              "stall": the firmware stops (CHW_FAULT_HANG says so in
 *              its status, CHW_FAULT_STALL does not), for the watchdog
 */
#include <linux/debugfs.h>
#include <linux/slab.h>

#include "hnd.h"

static struct dentry *hnd_debugfs_root;
static DEFINE_MUTEX(hnd_debugfs_lock);
static char hnd_nop_report[160] = "no test run\n";

static ssize_t hnd_nop_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	struct hnd_dev *hd = f->private_data;
	char res[sizeof(hnd_nop_report)];
	u32 n;
	int err;

	err = kstrtou32_from_user(ubuf, len, 0, &n);
	if (err)
		return err;
	if (n == 0 || n > 10000000)
		return -EINVAL;
	err = hnd_nop_test(hd, n, res, sizeof(res));
	if (err)
		return err;
	mutex_lock(&hnd_debugfs_lock);
	strscpy(hnd_nop_report, res, sizeof(hnd_nop_report));
	mutex_unlock(&hnd_debugfs_lock);
	return len;
}

static ssize_t hnd_nop_read(struct file *f, char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	char res[sizeof(hnd_nop_report)];

	mutex_lock(&hnd_debugfs_lock);
	strscpy(res, hnd_nop_report, sizeof(res));
	mutex_unlock(&hnd_debugfs_lock);
	return simple_read_from_buffer(ubuf, len, ppos, res, strlen(res));
}

static const struct file_operations hnd_nop_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = hnd_nop_read,
	.write = hnd_nop_write,
	.llseek = default_llseek,
};

/* Commands the firmware must refuse, each with its own error event. */
static int hnd_inject_cmds(struct hnd_dev *hd)
{
	struct chw_msg bad[3] = {
		{ .op = 0x7f },					/* unknown op */
		{ .op = CHW_OP_SEND, .arg = cpu_to_le16(100),	/* no such cid */
		  .cid = cpu_to_le32(0x12345), .val = cpu_to_le64(1ULL << 46) },
		{ .op = CHW_OP_RECVD, .cid = cpu_to_le32(CHW_CID_NONE),
		  .val = cpu_to_le64(1) },
	};
	int n = hnd_cmd_post(hd, bad, ARRAY_SIZE(bad));

	if (n < 0)
		return n;
	return n == ARRAY_SIZE(bad) ? 0 : -EBUSY;
}

static ssize_t hnd_inject_write(struct file *f, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct hnd_dev *hd = f->private_data;
	char what[8];
	int err;

	if (len == 0 || len >= sizeof(what))
		return -EINVAL;
	if (copy_from_user(what, ubuf, len))
		return -EFAULT;
	what[len] = '\0';
	strim(what);
	if (!strcmp(what, "tx")) {
		err = hnd_tx_inject_bad(hd);
	} else if (!strcmp(what, "rx")) {
		hnd_rx_inject_bad(hd);
		err = 0;
	} else if (!strcmp(what, "cmd")) {
		err = hnd_inject_cmds(hd);
	} else if (!strcmp(what, "hang")) {
		hnd_wr(hd, CHW_REG_FAULT, CHW_FAULT_HANG);
		err = 0;
	} else if (!strcmp(what, "stall")) {
		hnd_wr(hd, CHW_REG_FAULT, CHW_FAULT_STALL);
		err = 0;
	} else {
		err = -EINVAL;
	}
	return err ?: len;
}

static const struct file_operations hnd_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = hnd_inject_write,
	.llseek = default_llseek,
};

/* conn_limit: the NIC's CHW_REG_CONN_LIMIT (live connections, 0 = all). */
static int hnd_conn_limit_get(void *data, u64 *val)
{
	*val = hnd_rd(data, CHW_REG_CONN_LIMIT);
	return 0;
}

static int hnd_conn_limit_set(void *data, u64 val)
{
	if (val > U32_MAX)
		return -EINVAL;
	hnd_wr(data, CHW_REG_CONN_LIMIT, val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(hnd_conn_limit_fops, hnd_conn_limit_get,
			 hnd_conn_limit_set, "%llu\n");

void hnd_debugfs_add(struct hnd_dev *hd)
{
	hd->debugfs = debugfs_create_dir(pci_name(hd->pdev), hnd_debugfs_root);
	debugfs_create_file("nop_test", 0600, hd->debugfs, hd, &hnd_nop_fops);
	debugfs_create_file("inject", 0200, hd->debugfs, hd, &hnd_inject_fops);
	debugfs_create_file_unsafe("conn_limit", 0600, hd->debugfs, hd,
				   &hnd_conn_limit_fops);
}

void hnd_debugfs_remove(struct hnd_dev *hd)
{
	debugfs_remove_recursive(hd->debugfs);
}

void hnd_debugfs_init(void)
{
	hnd_debugfs_root = debugfs_create_dir(HND_DRV_NAME, NULL);
}

void hnd_debugfs_exit(void)
{
	debugfs_remove_recursive(hnd_debugfs_root);
}
