/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bp.h - the bypass protocol: what a socket becomes once its connection
 * has been handed off to the NIC (Kim & Rixner, EuroSys'06, Section 3).
 *
 * The socket stays a TCP socket in every table (its port stays reserved,
 * /proc and ss still list it), but its sk_prot is a module-owned copy of
 * TCP's whose operations relay the application's requests to the NIC as
 * commands, and the NIC's events back to the application.  The host's
 * tcp_sock is quiesced: no timers, empty queues, packets diverted.
 *
 * Data lives in host memory, in chunks of BP_CHUNK bytes the NIC reaches
 * by DMA: a receive ring the NIC fills in order (posted with CHW_OP_POST,
 * reported with CHW_EV_RECV) and a send ring the NIC reads when it
 * transmits (CHW_OP_SEND, freed by CHW_EV_ACK).  Both are addressed by
 * free-running byte counters; byte k of a ring is in chunk (k / BP_CHUNK)
 * modulo the ring's chunk count.
 */
#ifndef BP_H
#define BP_H

/*
 * Lock order, outermost first (design.rst, "Lock order"):
 *
 *   bp_nics_lock		mutex: the NIC list; never held with a socket
 *   the socket lock		lock_sock(), or bh_lock_sock() in softirq
 *   sk->sk_callback_lock	written by bp_sk_switch()'s callers, read by
 *				whoever looks at the ULP slot unlocked
 *   bp_hosts_lock		under sk_callback_lock in bp_host_install()
 *   bn->lock, bn->conns (its xarray lock), bp_all_lock,
 *   bp_tuples_lock, bc->rs_lock, hs->lock, a socket's wait queue lock
 *				leaves: none is taken under another
 *
 * bp_srcu is no lock but every entry from the core holds it (rmmod waits
 * in synchronize_srcu()); bp_ports_mutex and bp_ops_lock are taken alone.
 * Sleeping is allowed under the socket lock (lock_sock()) only.
 */

#include <linux/hashtable.h>
#include <linux/srcu.h>
#include <linux/netdevice.h>
#include <linux/xarray.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "hnd.h"

#define BP_CHUNK		(16 * 1024)	/* one POST or SEND at most */
#define BP_CHUNK_ORDER		get_order(BP_CHUNK)
#define BP_MAX_CHUNKS		64		/* per ring: 1 MiB */
#define BP_RX_MIN_CHUNKS	2
/* the receive ring is all posted at once: no more than the NIC takes */
#define BP_RX_MAX_CHUNKS	CHW_CONN_POST_SLOTS

/* Why a connection was not handed off: /proc/net/handoff counts each. */
enum bp_refusal {
	BP_REF_DISABLED,	/* net.handoff.enable = 0 */
	BP_REF_PORT,		/* local port not in net.handoff.ports */
	BP_REF_MAX,		/* net.handoff.max_conns reached */
	BP_REF_STATE,		/* not ESTABLISHED/CLOSE_WAIT, or repair */
	BP_REF_ROUTE,		/* egress is not a handoff NIC, no neighbour */
	BP_REF_NO_SLOT,		/* the NIC advertised no free connection */
	BP_REF_HEADROOM,	/* net.handoff.headroom: slots kept free */
	BP_REF_ADAPTIVE,	/* net.handoff.adaptive: the NIC is full */
	BP_REF_ECN,		/* ECN negotiated: the NIC does not do it */
	BP_REF_BUSY,		/* a call began in TCP before the hold */
	BP_REF_NIC,		/* the NIC answered the handoff with an error */
	BP_REF_TIMEOUT,		/* the NIC did not answer in time */
	BP_REF_NOMEM,		/* host buffers could not be allocated */
	BP_REF_QUEUE,		/* socket queues larger than our buffers */
	BP_REF_COUNT
};

/* What a restore was for (the handoff_restore tracepoint's trigger). */
enum bp_trigger {
	BP_RS_ADMIN,		/* written to /proc/net/handoff */
	BP_RS_UNLOAD,		/* rmmod */
	BP_RS_LINK,		/* bp_policy.c: the link went down */
	BP_RS_ROUTE,		/* ... the route leaves by another device */
	BP_RS_POLICY,		/* ... the port left net.handoff.ports */
	BP_RS_IDLE,		/* ... idle past net.handoff.idle_restore_s */
	BP_RS_CALL,		/* a call only TCP runs (bp_restore_first) */
	BP_RS_TIME_WAIT,	/* the NIC asked: TIME_WAIT */
	BP_RS_PRESSURE,		/* ... it is short of memory */
	BP_RS_URGENT,		/* ... the peer sent urgent data */
	BP_RS_COUNT
};

/* Global counters, shown by /proc/net/handoff. */
enum bp_counter {
	BP_C_TRIED,
	BP_C_OK,
	BP_C_REFUSED,		/* then by reason: BP_C_REF_BASE + reason */
	BP_C_REF_BASE,
	BP_C_FWD_PKTS = BP_C_REF_BASE + BP_REF_COUNT,	/* late packets */
	BP_C_FWD_ICMP,
	BP_C_FWD_REASM,		/* ... of them reassembled datagrams */
	BP_C_PMTU,		/* path MTUs the NIC lowered, routed */
	BP_C_FWD_DROPS,		/* could not be forwarded (counted, lost) */
	BP_C_EV_BAD,		/* events refused: bad id, length, address */
	BP_C_CMD_ERRORS,	/* posted commands the NIC refused */
	BP_C_CMD_STALE,		/* ... for a connection it had just ended */
	BP_C_CLOSED,		/* offloaded connections ended */
	BP_C_RESETS,		/* ... of which by reset or timeout */
	BP_C_RESTORED,		/* connections given back to the host */
	BP_C_RESTORE_FAILED,	/* restores refused by the NIC or reset */
	BP_C_RESTORE_ASKED,	/* the NIC asked for a restore */
	BP_C_RESTORE_DECLINED,	/* ... and policy said no */
	BP_C_RESTORE_PRESSURE,	/* ... for want of NIC memory */
	BP_C_RS_LINK,		/* restores for a link down (bp_policy.c) */
	BP_C_RS_ROUTE,		/* ... a route to another interface */
	BP_C_RS_POLICY,		/* ... a port no longer in net.handoff.ports */
	BP_C_RS_IDLE,		/* ... idle past net.handoff.idle_restore_s */
	BP_C_ADAPTIVE_PAUSES,	/* adaptive mode stopped offloading to a NIC */
	BP_C_SEND_SLOTS_FULL,	/* bytes waited for a SEND slot (bp_buf.c) */
	BP_C_REHANDOFF,		/* restored connections handed off again */
	BP_C_RESTORE_URGENT,	/* the NIC asked: the peer sent urgent data */
	BP_C_RS_CALL,		/* restores for a call only TCP runs */
	BP_C_ZC_COPIED,		/* MSG_ZEROCOPY sends copied, completed */
	BP_C_ACTIVE_HELD,	/* connect()ed sockets held for a handoff */
	BP_C_SENT_REPORTS,	/* CHW_CC_SENT taken (TCP_NOTSENT_LOWAT) */
	BP_C_MSG_TX_BASE,	/* commands by opcode: + op */
	BP_C_MSG_RX_BASE = BP_C_MSG_TX_BASE + 16,	/* events: + (op & 15) */
	BP_C_COUNT = BP_C_MSG_RX_BASE + 16
};

struct bp_chunk {
	struct page *page;
	dma_addr_t dma;
};

/* A handoff NIC, as the bypass protocol sees it. */
struct bp_nic {
	struct list_head list;		/* bp_nics */
	struct hnd_dev *hd;
	struct net_device *netdev;
	struct xarray conns;		/* cid -> struct bp_conn */
	spinlock_t lock;		/* conn_list */
	struct list_head conn_list;
	atomic_t free_conns;		/* the NIC's last advertisement */
	u32 free_send, free_mem_kb;
	bool gone;			/* being removed: no new handoffs */
	bool adaptive_paused;		/* bp_policy.c: no handoffs for now */
};

/* The 4-tuple of an offloaded connection, for late packets. */
struct bp_tuple {
	u8 family;			/* 4 or 6 */
	__be16 lport, pport;
	struct in6_addr laddr, paddr;	/* IPv4 in s6_addr32[0] */
};

/* Deferred news (the user owned the socket when it came). */
#define BP_DEF_PEER_FIN		(1u << 0)
#define BP_DEF_RESET		(1u << 1)
#define BP_DEF_TIMEDOUT		(1u << 2)
#define BP_DEF_FREED		(1u << 3)

/* Per-connection flags, under the socket lock. */
#define BP_F_FIN_SENT		(1u << 0)	/* CLOSE/SHUT_WR sent */
#define BP_F_NIC_FREED		(1u << 1)	/* the NIC let go of it */
#define BP_F_DESTROYED		(1u << 2)	/* teardown started */
#define BP_F_ABORTED		(1u << 3)	/* we sent ABORT */
#define BP_F_RESTORING		(1u << 4)	/* RESTORE sent: no commands */

struct bp_conn {
	struct sock *sk;
	struct bp_nic *bn;
	u32 cid;
	u32 flags;
	struct proto *base_prot;	/* tcp_prot or tcpv6_prot */
	const struct proto_ops *saved_ops;	/* the socket's, to put back */
	int saved_sndbuf;
	u8 saved_userlocks;
	u32 restore_pass;		/* under bn->lock: bp_restore_nic() */
	bool detached;			/* under bp_all_lock: NIC removed */
	struct list_head node;		/* bn->conn_list */
	struct list_head all_node;	/* bp_all: until TCP's again */
	struct hlist_node hnode;	/* bp_tuples */
	struct bp_tuple tuple;
	u8 local_mac[ETH_ALEN], peer_mac[ETH_ALEN];
	unsigned long since;		/* jiffies at handoff */
	unsigned long last_active;	/* jiffies of the last event, 0 none */
	struct bp_host *held;		/* during a handoff: the hold ending */
	bool cid_known;			/* in bn->conns under cid */
	bool handing_off;		/* known to the NIC, not yet switched */
	bool active;			/* made by connect(): policy by peer port */

	/* receive ring: NIC fills [rx_read, rx_recv), posted to rx_posted */
	struct bp_chunk rx[BP_MAX_CHUNKS];
	u32 rx_nr;
	u64 rx_recv, rx_read, rx_posted;
	u32 rx_unacked;			/* read but not yet told (RECVD) */
	u8 *pre;			/* unread data from before handoff */
	u32 pre_len, pre_off;

	/* send ring: [tx_acked, tx_posted) at the NIC, to tx_written ours */
	struct bp_chunk tx[BP_MAX_CHUNKS];
	u32 tx_nr;
	u64 tx_written, tx_posted, tx_acked;
	u64 tx_psh_at;			/* where the last pushed write ended */
	u64 tx_sent;			/* sent at least once: CHW_CC_SENT */
	u32 lowat_nic;			/* the NIC's CHW_CC_NOTSENT_LOWAT, 0 off */
	u32 sends[CHW_CONN_SEND_SLOTS];	/* lengths of SENDs not yet acked */
	u32 send_head, send_count, send_acked;
	u16 fin_code;			/* CLOSE or SHUT_WR once all is sent */

	/*
	 * Segments that came while a restore was under way (bp_forward.c):
	 * held from the restore's start (rs_open) to its outcome.
	 */
	spinlock_t rs_lock;
	struct list_head rs_held;
	bool rs_open;

	/* news that came while the user owned the socket */
	u64 def_recv, def_acked, def_sent;
	u32 def_ctrl;

	struct rcu_head rcu;
};

extern struct tcp_ulp_ops bp_ulp_ops;

/*
 * The socket's connection on the NIC, or NULL (TCP's, or held: the ULP
 * slot then holds a struct bp_host).  Under the socket lock or
 * sk_callback_lock, which every change of the slot holds.
 */
static inline struct bp_conn *bp_conn_of(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	if (READ_ONCE(icsk->icsk_ulp_ops) != &bp_ulp_ops)
		return NULL;
	return (__force struct bp_conn *)icsk->icsk_ulp_data;
}

/*
 * An sk_wait_event() condition on bc, which runs once without the socket
 * lock: a restore may free bc meanwhile (kfree_rcu()), so bc is looked at
 * only inside an RCU section and only while it is still sk's.
 */
#define bp_wait_cond(sk, bc, cond)					\
({									\
	bool __r;							\
									\
	rcu_read_lock();						\
	__r = bp_conn_of(sk) != (bc) || (cond);				\
	rcu_read_unlock();						\
	__r;								\
})

static inline u32 bp_rx_avail(const struct bp_conn *bc)
{
	return bc->pre_len - bc->pre_off +
	       (u32)(READ_ONCE(bc->rx_recv) - bc->rx_read);
}

/* bp_main.c */
extern atomic64_t bp_counters[BP_C_COUNT];
static inline void bp_count(enum bp_counter c)
{
	atomic64_inc(&bp_counters[c]);
}

extern atomic_t bp_nr_offloaded;
extern struct list_head bp_all;		/* every socket with our proto */
extern spinlock_t bp_all_lock;
extern DECLARE_HASHTABLE(bp_tuples, 10);
extern spinlock_t bp_tuples_lock;

/* bp_sysctl.c: net.handoff.* */
struct bp_policy {
	int enable;
	int max_conns;
	int rcvbuf;
	int sndbuf;
	int handoff_timeout_ms;
	int handoff_delay_ms;
	int timewait_return;
	int headroom;
	int idle_restore_s;
	int adaptive;
	int adaptive_low_pct;
	int adaptive_high_pct;
	int active;
};
extern struct bp_policy bp_policy;
bool bp_port_allowed(u16 port);
bool bp_conn_port_allowed(const struct bp_conn *bc);
int bp_sysctl_init(void);
void bp_sysctl_exit(void);

/* bp_policy.c: when to offload, and when to take connections back */
enum bp_refusal bp_policy_take_slot(struct bp_nic *bn);
void bp_policy_kick(void);
int bp_policy_init(void);
void bp_policy_exit(void);

/* bp_proc.c */
int bp_proc_init(void);
void bp_proc_exit(void);

/* bp_nic.c: the driver's client */
int bp_nic_add(struct hnd_dev *hd);
void bp_nic_remove(struct hnd_dev *hd);

/* bp_intercept.c */
int bp_intercept_init(void);
void bp_intercept_stop(void);
const struct proto_ops *bp_ops_for(const struct proto_ops *base);
bool bp_ops_learn(const struct proto_ops *base);
bool bp_sk_is_bypass(const struct sock *sk);

/* bp_handoff.c */
struct bp_host;
extern const char *const bp_refusal_names[BP_REF_COUNT];
void bp_try_handoff(struct sock *sk, const struct proto_ops *base_ops,
		    struct bp_host *held);
void bp_handoffs_wait(void);

/* bp_restore.c */
extern const char *const bp_trigger_names[BP_RS_COUNT];
int bp_restore_locked(struct sock *sk, struct bp_conn *bc, bool *tw,
		      enum bp_trigger why);
int bp_restore_sk(struct sock *sk, enum bp_trigger why);
int bp_restore_nic(struct bp_nic *bn, u32 cid, bool any, enum bp_trigger why);
int bp_restore_all(enum bp_trigger why);
int bp_restore_first(struct sock *sk, bool lasting);
int bp_restore_first_locked(struct sock *sk, bool lasting);
void bp_restore_asked(struct bp_nic *bn, const struct chw_ev_restore *ev);
extern struct workqueue_struct *bp_wq;
void bp_unswitch(struct sock *sk, struct bp_conn *bc, struct bp_host *hs);
void bp_release_ended(void);

/*
 * Module code a thread may be in (bp_proto.c): every entry from the core
 * holds bp_srcu, so unloading waits for the last one to leave.  A call
 * that finds its socket restored under it restarts, now into TCP.
 */
extern struct srcu_struct bp_srcu;
extern bool bp_unloading;
int bp_restart(void);

/* bp_entry.c: the protocol swapped in, each operation under bp_srcu */
int bp_proto_init(void);
struct proto *bp_proto_for(const struct proto *base);
void bp_sk_switch(struct sock *sk, const struct tcp_ulp_ops *ulp, void *ctx,
		  struct proto *prot, const struct proto_ops *ops);
void bp_e_destroy(struct sock *sk);

/* bp_proto.c: the operations */
struct proto *bp_tcp_prot(const struct sock *sk);
struct proto *bp_base_prot(const struct sock *sk);
int bp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
int bp_sendpage(struct sock *sk, struct page *page, int offset,
		size_t size, int flags);
void bp_splice_eof(struct socket *sock);
bool bp_stream_memory_free(const struct sock *sk, int wake);
int bp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
	       int *addr_len);
__poll_t bp_poll(struct file *file, struct socket *sock,
		 struct poll_table_struct *wait);
ssize_t bp_splice_read(struct socket *sock, struct pipe_inode_info *pipe,
		       size_t len, unsigned int flags);
int bp_disconnect(struct sock *sk, int flags);

/* bp_sockopt.c: options and ioctls, on the NIC or restored first */
int bp_ioctl(struct sock *sk, int cmd, unsigned long arg);
void bp_keepalive(struct sock *sk, int valbool);
int bp_setsockopt(struct sock *sk, int level, int optname,
		  sockptr_t optval, unsigned int optlen);
int bp_getsockopt(struct sock *sk, int level, int optname,
		  char __user *optval, int __user *optlen);
void bp_opt_route_bits(struct sock *sk, u8 *tos, u8 *ttl);
void bp_opts_handoff(struct sock *sk, struct bp_conn *bc);
void bp_opts_lowat(struct sock *sk, struct bp_conn *bc);
void bp_opts_close(struct sock *sk, struct bp_conn *bc);

/* bp_info.c: the NIC's live figures */
int bp_info_getsockopt(struct sock *sk, char __user *optval,
		       int __user *optlen);
int bp_info_notsent(struct sock *sk, struct bp_conn *bc, int *answ);

/* bp_buf.c: the two rings */
int bp_rx_alloc(struct bp_conn *bc, u32 bytes);
int bp_tx_chunk(struct bp_conn *bc, u64 pos);
void bp_bufs_free(struct bp_conn *bc);
int bp_bufs_detach(struct bp_conn *bc);
void bp_rx_return(struct bp_conn *bc);
void bp_tx_push(struct bp_conn *bc, u8 more);
u32 bp_tx_space(const struct bp_conn *bc);
bool bp_tx_notsent_ok(const struct sock *sk, const struct bp_conn *bc,
		      int wake);
void bp_tx_acked(struct bp_conn *bc, u32 len);
u32 bp_rx_copy(struct bp_conn *bc, struct iov_iter *to, u32 off, u32 len);
void bp_rx_consume(struct bp_conn *bc, u32 len);

/* bp_nic.c: commands out, events in */
extern struct list_head bp_nics;
extern struct mutex bp_nics_lock;
int bp_cmd(struct bp_conn *bc, u8 op, u8 flags, u16 arg, u64 val);
void bp_cmds_post(struct bp_nic *bn, struct chw_msg *m, unsigned int n,
		  unsigned int *posted);
void bp_conn_unlink(struct bp_conn *bc);

/* bp_event.c */
void bp_event(void *ctx, const struct chw_msg *ev);
void bp_conn_error(struct sock *sk, int err);
void bp_release_cb(struct sock *sk);
void bp_apply_deferred(struct sock *sk, struct bp_conn *bc);

/* bp_close.c */
void bp_close(struct sock *sk, long timeout);
void bp_shutdown(struct sock *sk, int how);
void bp_destroy(struct sock *sk);
void bp_nic_freed(struct sock *sk, struct bp_conn *bc);
void bp_finish(struct sock *sk, struct bp_conn *bc);
void bp_send_fin(struct bp_conn *bc, u16 code);
void bp_conn_kill(struct bp_conn *bc, int err);

/* bp_host.c: restored sockets, which may be handed off again */
void bp_host_init(void);
struct bp_host *bp_host_alloc(struct sock *sk, struct proto *base_prot,
			      const struct proto_ops *saved_ops, bool active);
bool bp_host_active(const struct bp_host *hs);
bool bp_host_quiet(struct sock *sk);
void bp_host_hold_connecting(struct sock *sk);
bool bp_host_is_held(const struct sock *sk);
ssize_t bp_host_splice_read(struct socket *sock, loff_t *ppos,
			    struct pipe_inode_info *pipe, size_t len,
			    unsigned int flags);
void bp_host_install(struct sock *sk, struct bp_host *hs);
void bp_host_drop(struct sock *sk);
bool bp_host_holds(const struct sock *sk, const struct bp_host *hs);
int bp_host_handoff(struct sock *sk);
int bp_host_handoff_all(void);
void bp_host_release_all(void);
int bp_nr_held_read(void);

/* bp_active.c: connections made by connect() */
int bp_active_init(void);
void bp_active_stop(void);

/* bp_forward.c: late packets */
int bp_forward_init(void);
void bp_forward_exit(void);
int bp_backlog_rcv(struct sock *sk, struct sk_buff *skb);
void bp_rs_hold_open(struct bp_conn *bc);
void bp_rs_hold_close(struct bp_conn *bc, bool tcps);
void bp_tuple_add(struct bp_conn *bc);
void bp_tuple_del(struct bp_conn *bc);
extern atomic_t bp_fwd_inflight;

#endif /* BP_H */
