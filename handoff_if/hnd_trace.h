/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hnd_trace.h - tracepoints of the handoff NIC's driver (system
 * "handoff_nic"): a device failure, what declared it, and how its reset
 * ended.  See bypass_proto/bp_trace.h for the protocol's own.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM handoff_nic

#if !defined(_HND_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _HND_TRACE_H

#include <linux/netdevice.h>
#include <linux/tracepoint.h>

/* why: what declared the failure; outcome: "restarted" or "dead" (err). */
TRACE_EVENT(handoff_nic_failure,
	TP_PROTO(const struct net_device *dev, const char *why,
		 const char *outcome, int err),
	TP_ARGS(dev, why, outcome, err),
	TP_STRUCT__entry(
		__string(dev, netdev_name(dev))
		__string(why, why)
		__string(outcome, outcome)
		__field(int, err)
	),
	TP_fast_assign(
		__assign_str(dev, netdev_name(dev));
		__assign_str(why, why);
		__assign_str(outcome, outcome);
		__entry->err = err;
	),
	TP_printk("dev=%s why=\"%s\" outcome=%s err=%d", __get_str(dev),
		  __get_str(why), __get_str(outcome), __entry->err)
);

#endif /* _HND_TRACE_H */

/* out of tree: the header is found beside its users */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE hnd_trace
#include <trace/define_trace.h>
