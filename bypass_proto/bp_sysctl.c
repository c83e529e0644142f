// SPDX-License-Identifier: GPL-2.0
/*
 * bp_sysctl.c - the OS's offload policy: net.handoff.*
 * (Documentation/design.rst lists each knob with its default and why).
 */
#include <linux/bitmap.h>
#include <linux/sysctl.h>

#include "bp.h"

struct bp_policy bp_policy = {
	.enable = 1,
	.max_conns = 4096,
	.rcvbuf = 128 * 1024,
	.sndbuf = 256 * 1024,
	.handoff_timeout_ms = 1000,
	.handoff_delay_ms = 0,
	.timewait_return = 1,
	.headroom = 0,
	.idle_restore_s = 0,
	.adaptive = 1,
	.adaptive_low_pct = 10,
	.adaptive_high_pct = 20,
	.active = 0,
};

/*
 * net.handoff.ports: the local ports whose connections may be offloaded,
 * as "80 443 5000-5100"; empty means every port.  Readers see one whole
 * version of the set (RCU).
 */
struct bp_ports {
	bool all;
	struct rcu_head rcu;
	DECLARE_BITMAP(map, 65536);
};

static struct bp_ports __rcu *bp_ports;
static DEFINE_MUTEX(bp_ports_mutex);
static char bp_ports_str[256];

bool bp_port_allowed(u16 port)
{
	const struct bp_ports *p;
	bool ok;

	rcu_read_lock();
	p = rcu_dereference(bp_ports);
	ok = !p || p->all || test_bit(port, p->map);
	rcu_read_unlock();
	return ok;
}

/*
 * The port the list applies to: the local one for an accepted connection
 * (the service's), the peer's for one made by connect().
 */
bool bp_conn_port_allowed(const struct bp_conn *bc)
{
	return bp_port_allowed(ntohs(bc->active ? bc->tuple.pport :
					      bc->tuple.lport));
}

/* One "80" or "5000-5100" into p; -EINVAL on anything else. */
static int bp_ports_parse_one(char *tok, struct bp_ports *p)
{
	char *dash = strchr(tok, '-');
	unsigned int lo, hi;

	if (dash)
		*dash = '\0';
	if (kstrtouint(tok, 10, &lo) || lo > 65535)
		return -EINVAL;
	hi = lo;
	if (dash && (kstrtouint(dash + 1, 10, &hi) || hi > 65535 || hi < lo))
		return -EINVAL;
	bitmap_set(p->map, lo, hi - lo + 1);
	return 0;
}

/* Parse "80 443,5000-5100" (s is consumed) into p; -EINVAL if malformed. */
static int bp_ports_parse(char *s, struct bp_ports *p)
{
	bool any = false;
	char *tok;

	while ((tok = strsep(&s, " ,\t\n"))) {
		if (!*tok)
			continue;
		if (bp_ports_parse_one(tok, p))
			return -EINVAL;
		any = true;
	}
	p->all = !any;
	return 0;
}

static int bp_ports_handler(struct ctl_table *table, int write,
			    void *buffer, size_t *lenp, loff_t *ppos)
{
	struct ctl_table tmp = *table;
	struct bp_ports *p, *old;
	char buf[sizeof(bp_ports_str)], work[sizeof(bp_ports_str)];
	int err;

	mutex_lock(&bp_ports_mutex);
	if (!write) {
		err = proc_dostring(table, 0, buffer, lenp, ppos);
		mutex_unlock(&bp_ports_mutex);
		return err;
	}
	strscpy(buf, bp_ports_str, sizeof(buf));
	tmp.data = buf;
	err = proc_dostring(&tmp, 1, buffer, lenp, ppos);
	if (err)
		goto out;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	strscpy(work, buf, sizeof(work));	/* parsing cuts it up */
	err = bp_ports_parse(work, p);
	if (err) {
		kfree(p);
		goto out;
	}
	strscpy(bp_ports_str, strim(buf), sizeof(bp_ports_str));
	old = rcu_replace_pointer(bp_ports, p,
				  lockdep_is_held(&bp_ports_mutex));
	if (old)
		kfree_rcu(old, rcu);
	/* connections on ports no longer listed go back */
	bp_policy_kick();
out:
	mutex_unlock(&bp_ports_mutex);
	return err;
}

/* A knob whose new value may send connections back: re-check them. */
static int bp_recheck_handler(struct ctl_table *table, int write,
			      void *buffer, size_t *lenp, loff_t *ppos)
{
	int err = proc_dointvec_minmax(table, write, buffer, lenp, ppos);

	if (!err && write)
		bp_policy_kick();
	return err;
}

static int bp_zero;
static int bp_one = 1;
static int bp_buf_min = BP_CHUNK * BP_RX_MIN_CHUNKS;
static int bp_buf_max = BP_CHUNK * BP_MAX_CHUNKS;
static int bp_rcvbuf_max = BP_CHUNK * BP_RX_MAX_CHUNKS;
static int bp_ms_max = 60000;
static int bp_pct_max = 100;

static struct ctl_table bp_sysctl_table[] = {
	{
		.procname	= "enable",
		.data		= &bp_policy.enable,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_zero,
		.extra2		= &bp_one,
	},
	{
		.procname	= "ports",
		.data		= bp_ports_str,
		.maxlen		= sizeof(bp_ports_str),
		.mode		= 0644,
		.proc_handler	= bp_ports_handler,
	},
	{
		.procname	= "max_conns",
		.data		= &bp_policy.max_conns,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_zero,
	},
	{
		.procname	= "rcvbuf",
		.data		= &bp_policy.rcvbuf,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_buf_min,
		.extra2		= &bp_rcvbuf_max,
	},
	{
		.procname	= "sndbuf",
		.data		= &bp_policy.sndbuf,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_buf_min,
		.extra2		= &bp_buf_max,
	},
	{
		.procname	= "handoff_timeout_ms",
		.data		= &bp_policy.handoff_timeout_ms,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_one,
		.extra2		= &bp_ms_max,
	},
	{
		.procname	= "handoff_delay_ms",
		.data		= &bp_policy.handoff_delay_ms,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_zero,
		.extra2		= &bp_ms_max,
	},
	{
		.procname	= "timewait_return",
		.data		= &bp_policy.timewait_return,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_zero,
		.extra2		= &bp_one,
	},
	{
		.procname	= "headroom",
		.data		= &bp_policy.headroom,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_zero,
	},
	{
		.procname	= "idle_restore_s",
		.data		= &bp_policy.idle_restore_s,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= bp_recheck_handler,
		.extra1		= &bp_zero,
	},
	{
		.procname	= "adaptive",
		.data		= &bp_policy.adaptive,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_zero,
		.extra2		= &bp_one,
	},
	{
		.procname	= "adaptive_low_pct",
		.data		= &bp_policy.adaptive_low_pct,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_zero,
		.extra2		= &bp_pct_max,
	},
	{
		.procname	= "adaptive_high_pct",
		.data		= &bp_policy.adaptive_high_pct,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_zero,
		.extra2		= &bp_pct_max,
	},
	{
		/* connections made by connect(): 0 never, 1 once established */
		.procname	= "active",
		.data		= &bp_policy.active,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &bp_zero,
		.extra2		= &bp_one,
	},
	{ }
};

static struct ctl_table_header *bp_sysctl_hdr;

int bp_sysctl_init(void)
{
	bp_sysctl_hdr = register_net_sysctl(&init_net, "net/handoff",
					    bp_sysctl_table);
	return bp_sysctl_hdr ? 0 : -ENOMEM;
}

void bp_sysctl_exit(void)
{
	struct bp_ports *p;

	unregister_net_sysctl_table(bp_sysctl_hdr);
	p = rcu_replace_pointer(bp_ports, NULL, true);
	synchronize_rcu();
	kfree(p);
}
