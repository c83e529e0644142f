/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bp_trace.h - tracepoints of the bypass protocol (system "handoff"):
 * every handoff with its result (ok, or why it was refused), every
 * restore with what triggered it and how it ended.  For perf trace,
 * bpftrace, or tracefs:
 *   echo 1 >/sys/kernel/tracing/events/handoff/enable
 *   cat /sys/kernel/tracing/trace_pipe
 * Documentation/design.rst lists the fields.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM handoff

#if !defined(_BP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _BP_TRACE_H

#include <linux/tracepoint.h>
#include <net/sock.h>
#include <trace/events/net_probe_common.h>

/* A handoff's outcome: cid and NIC when taken, the refusal's name if not. */
TRACE_EVENT(handoff,
	TP_PROTO(const struct sock *sk, const char *dev, u32 cid,
		 const char *result),
	TP_ARGS(sk, dev, cid, result),
	TP_STRUCT__entry(
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
		__string(dev, dev)
		__field(u32, cid)
		__string(result, result)
	),
	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		memset(__entry->saddr, 0, sizeof(__entry->saddr));
		memset(__entry->daddr, 0, sizeof(__entry->daddr));
		TP_STORE_ADDR_PORTS(__entry, inet, sk);
		__assign_str(dev, dev);
		__entry->cid = cid;
		__assign_str(result, result);
	),
	TP_printk("%pISpc -> %pISpc dev=%s cid=%08x result=%s",
		  __entry->saddr, __entry->daddr, __get_str(dev),
		  __entry->cid, __get_str(result))
);

/* A restore: what asked for it, the TCP state it came back in, errno. */
TRACE_EVENT(handoff_restore,
	TP_PROTO(const struct sock *sk, u32 cid, const char *trigger,
		 int state, int err),
	TP_ARGS(sk, cid, trigger, state, err),
	TP_STRUCT__entry(
		__array(__u8, saddr, sizeof(struct sockaddr_in6))
		__array(__u8, daddr, sizeof(struct sockaddr_in6))
		__field(u32, cid)
		__string(trigger, trigger)
		__field(int, state)
		__field(int, err)
	),
	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		memset(__entry->saddr, 0, sizeof(__entry->saddr));
		memset(__entry->daddr, 0, sizeof(__entry->daddr));
		TP_STORE_ADDR_PORTS(__entry, inet, sk);
		__entry->cid = cid;
		__assign_str(trigger, trigger);
		__entry->state = state;
		__entry->err = err;
	),
	TP_printk("%pISpc -> %pISpc cid=%08x trigger=%s state=%d err=%d",
		  __entry->saddr, __entry->daddr, __entry->cid,
		  __get_str(trigger), __entry->state, __entry->err)
);

#endif /* _BP_TRACE_H */

/* out of tree: the header is found beside its users */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE bp_trace
#include <trace/define_trace.h>
