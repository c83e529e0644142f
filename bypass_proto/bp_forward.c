// SPDX-License-Identifier: GPL-2.0
/*
 * bp_forward.c - late packets: segments of an offloaded connection that
 * reach the host anyway go to the NIC with ch_nic_forward, never to the
 * host's TCP, which would answer for a connection it no longer runs.
 *
 * Two ways in.  While the handoff is in progress the acceptor owns the
 * socket, so TCP queues what arrives in the socket's backlog; the handoff
 * points sk_backlog_rcv here before releasing the socket.  After it, a
 * netfilter hook at PRE_ROUTING steals the connection's segments (and
 * ICMP errors quoting them) before TCP sees them.  Either way the frame is
 * rebuilt whole (Ethernet, IP, TCP; lengths and checksums recomputed,
 * since TCP's backlog may have merged segments) in a buffer the NIC reads
 * by DMA; the command's completion frees it.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/jhash.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

#include "bp.h"

#define BP_FWD_MAX	65535		/* chw_cmd_forward.len */

struct bp_fwd {
	struct hnd_cmd_wait w;
	struct device *dev;
	dma_addr_t dma;
	u32 len;
	u8 frame[];
};

/* ---- the tuple table ------------------------------------------------------ */

static u32 bp_tuple_hash(const struct bp_tuple *t)
{
	return jhash2((const u32 *)&t->laddr, 8,
		      ((__force u32)t->lport << 16 | (__force u32)t->pport) ^
		      t->family);
}

static bool bp_tuple_eq(const struct bp_tuple *a, const struct bp_tuple *b)
{
	return a->family == b->family && a->lport == b->lport &&
	       a->pport == b->pport && ipv6_addr_equal(&a->laddr, &b->laddr) &&
	       ipv6_addr_equal(&a->paddr, &b->paddr);
}

void bp_tuple_add(struct bp_conn *bc)
{
	spin_lock_bh(&bp_tuples_lock);
	hash_add_rcu(bp_tuples, &bc->hnode, bp_tuple_hash(&bc->tuple));
	spin_unlock_bh(&bp_tuples_lock);
}

void bp_tuple_del(struct bp_conn *bc)
{
	spin_lock_bh(&bp_tuples_lock);
	if (!hlist_unhashed(&bc->hnode))
		hlist_del_init_rcu(&bc->hnode);
	spin_unlock_bh(&bp_tuples_lock);
}

/* Under rcu_read_lock(). */
static struct bp_conn *bp_tuple_find(const struct bp_tuple *t)
{
	struct bp_conn *bc;

	hash_for_each_possible_rcu(bp_tuples, bc, hnode, bp_tuple_hash(t))
		if (bp_tuple_eq(&bc->tuple, t))
			return bc;
	return NULL;
}

/* ---- forwarding ----------------------------------------------------------- */

/* FORWARDs the NIC has not answered: their callback is module code. */
atomic_t bp_fwd_inflight = ATOMIC_INIT(0);

static void bp_fwd_done(struct hnd_cmd_wait *w)
{
	struct bp_fwd *f = container_of(w, struct bp_fwd, w);

	if (w->done.status != CHW_ST_OK)
		bp_count(BP_C_FWD_DROPS);
	dma_unmap_single(f->dev, f->dma, f->len, DMA_TO_DEVICE);
	kfree(f);
	atomic_dec(&bp_fwd_inflight);
}

static struct bp_fwd *bp_fwd_alloc(struct bp_conn *bc, u32 len, __be16 proto)
{
	struct bp_fwd *f;
	struct ethhdr *eth;

	if (len > BP_FWD_MAX)
		return NULL;
	f = kmalloc(sizeof(*f) + len, GFP_ATOMIC);
	if (!f)
		return NULL;
	f->len = len;
	eth = (struct ethhdr *)f->frame;
	ether_addr_copy(eth->h_dest, bc->local_mac);
	ether_addr_copy(eth->h_source, bc->peer_mac);
	eth->h_proto = proto;
	return f;
}

static void bp_fwd_send(struct bp_conn *bc, struct bp_fwd *f)
{
	struct chw_cmd_forward c = {
		.op = CHW_OP_FORWARD,
		.len = cpu_to_le16(f->len),
		.cid = cpu_to_le32(bc->cid),
	};

	f->dev = &bc->bn->hd->pdev->dev;
	f->dma = dma_map_single(f->dev, f->frame, f->len, DMA_TO_DEVICE);
	if (dma_mapping_error(f->dev, f->dma))
		goto drop;
	c.addr = cpu_to_le64(f->dma);
	f->w.cb = bp_fwd_done;
	atomic_inc(&bp_fwd_inflight);
	if (hnd_cmd_submit(bc->bn->hd, (struct chw_msg *)&c, &f->w)) {
		atomic_dec(&bp_fwd_inflight);
		dma_unmap_single(f->dev, f->dma, f->len, DMA_TO_DEVICE);
		goto drop;
	}
	bp_count(BP_C_MSG_TX_BASE + CHW_OP_FORWARD);
	return;
drop:
	bp_count(BP_C_FWD_DROPS);
	kfree(f);
}

/*
 * A TCP segment for bc: skb's network header is its IP header, its
 * transport header the TCP header, and the segment runs to the skb's end.
 */
static void bp_forward_tcp(struct bp_conn *bc, struct sk_buff *skb)
{
	int thoff = skb_transport_offset(skb);
	u32 tcplen = skb->len - thoff, iplen;
	struct tcphdr *th;
	struct bp_fwd *f;
	__wsum csum;

	if (thoff < 0 || skb->len < thoff + sizeof(*th))
		goto drop;
	if (bc->tuple.family == 4) {
		const struct iphdr *iph = ip_hdr(skb);
		struct iphdr *ip;

		iplen = iph->ihl * 4;
		f = bp_fwd_alloc(bc, ETH_HLEN + iplen + tcplen,
				 htons(ETH_P_IP));
		if (!f)
			goto drop;
		ip = (struct iphdr *)(f->frame + ETH_HLEN);
		memcpy(ip, iph, iplen);
		ip->tot_len = htons(iplen + tcplen);
		ip_send_check(ip);
		th = (struct tcphdr *)((u8 *)ip + iplen);
		if (skb_copy_bits(skb, thoff, th, tcplen))
			goto free;
		th->check = 0;
		csum = csum_partial(th, tcplen, 0);
		th->check = csum_tcpudp_magic(ip->saddr, ip->daddr, tcplen,
					      IPPROTO_TCP, csum);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);
		struct ipv6hdr *ip6;

		iplen = sizeof(*ip6);
		if (ip6h->nexthdr != IPPROTO_TCP)
			goto drop;	/* extension headers: not ours */
		f = bp_fwd_alloc(bc, ETH_HLEN + iplen + tcplen,
				 htons(ETH_P_IPV6));
		if (!f)
			goto drop;
		ip6 = (struct ipv6hdr *)(f->frame + ETH_HLEN);
		memcpy(ip6, ip6h, iplen);
		ip6->payload_len = htons(tcplen);
		th = (struct tcphdr *)(ip6 + 1);
		if (skb_copy_bits(skb, thoff, th, tcplen))
			goto free;
		th->check = 0;
		csum = csum_partial(th, tcplen, 0);
		th->check = csum_ipv6_magic(&ip6->saddr, &ip6->daddr, tcplen,
					    IPPROTO_TCP, csum);
	}
	bp_count(BP_C_FWD_PKTS);
	bp_fwd_send(bc, f);
	return;
free:
	kfree(f);
drop:
	bp_count(BP_C_FWD_DROPS);
}

/* An ICMP error about bc: the whole datagram, as it came. */
static void bp_forward_icmp(struct bp_conn *bc, struct sk_buff *skb,
			    __be16 proto)
{
	struct bp_fwd *f = bp_fwd_alloc(bc, ETH_HLEN + skb->len, proto);

	if (!f || skb_copy_bits(skb, 0, f->frame + ETH_HLEN, skb->len)) {
		kfree(f);
		bp_count(BP_C_FWD_DROPS);
		return;
	}
	bp_count(BP_C_FWD_ICMP);
	bp_fwd_send(bc, f);
}

/* The socket's backlog while the handoff held it, drained by release. */
int bp_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct bp_conn *bc = bp_conn_of(sk);

	if (!bc)	/* restored before the backlog drained: TCP's */
		return bp_base_prot(sk)->backlog_rcv(sk, skb);
	if (!(bc->flags & BP_F_NIC_FREED))
		bp_forward_tcp(bc, skb);
	else
		bp_count(BP_C_FWD_DROPS);
	consume_skb(skb);
	return 0;
}

/* ---- segments that come during a restore ---------------------------------- */

/*
 * A segment (or ICMP error) of a connection being restored waits here,
 * taken at PRE_ROUTING with what IP needs to go on with it, until the
 * restore's outcome: into TCP's input if the NIC let the connection go,
 * to the NIC if it refused.  Letting it through to TCP at once raced the
 * restore on another CPU: past the hook before the refusal, it could
 * reach the socket after it, a bypass socket again that TCP must not
 * touch.
 */
struct bp_rs_held {
	struct list_head node;
	struct sk_buff *skb;
	struct net *net;
	int (*okfn)(struct net *net, struct sock *sk, struct sk_buff *skb);
	unsigned int thoff;
	__be16 proto;
	bool icmp;
};

/* To the NIC: the segment (TCP header at thoff) or the ICMP quoting it. */
static void bp_fwd_skb(struct bp_conn *bc, struct sk_buff *skb, bool icmp,
		       unsigned int thoff, __be16 proto)
{
	if (icmp) {
		bp_forward_icmp(bc, skb, proto);
	} else {
		skb_set_transport_header(skb, thoff);
		bp_forward_tcp(bc, skb);
	}
	consume_skb(skb);
}

/* The restore starts (sk locked): segments wait from now on. */
void bp_rs_hold_open(struct bp_conn *bc)
{
	spin_lock_bh(&bc->rs_lock);
	bc->rs_open = true;
	spin_unlock_bh(&bc->rs_lock);
}

/*
 * The restore's outcome (sk locked): tcps, the NIC let go (or never
 * answered), or it kept the connection, BP_F_RESTORING cleared first.
 */
void bp_rs_hold_close(struct bp_conn *bc, bool tcps)
{
	struct bp_rs_held *h, *tmp;
	LIST_HEAD(held);

	spin_lock_bh(&bc->rs_lock);
	bc->rs_open = false;
	list_splice_init(&bc->rs_held, &held);
	spin_unlock_bh(&bc->rs_lock);
	list_for_each_entry_safe(h, tmp, &held, node) {
		struct net_device *dev = h->skb->dev;

		if (tcps) {
			/* as a netfilter queue gives a packet back */
			local_bh_disable();
			h->okfn(h->net, NULL, h->skb);
			local_bh_enable();
		} else {
			bp_fwd_skb(bc, h->skb, h->icmp, h->thoff, h->proto);
		}
		dev_put(dev);
		kfree(h);
	}
}

/* In the hook, bc being restored: the skb waits, or the outcome is in. */
static unsigned int bp_rs_hold(struct bp_conn *bc, struct sk_buff *skb,
			       bool icmp, unsigned int thoff, __be16 proto,
			       const struct nf_hook_state *state)
{
	struct bp_rs_held *h;

	spin_lock(&bc->rs_lock);
	if (!bc->rs_open) {
		/* decided: TCP's (still marked), or the NIC kept it */
		bool kept = !(READ_ONCE(bc->flags) & BP_F_RESTORING);

		spin_unlock(&bc->rs_lock);
		if (!kept)
			return NF_ACCEPT;
		bp_fwd_skb(bc, skb, icmp, thoff, proto);
		return NF_STOLEN;
	}
	h = kmalloc(sizeof(*h), GFP_ATOMIC);
	if (!h) {
		spin_unlock(&bc->rs_lock);
		bp_count(BP_C_FWD_DROPS);	/* a loss: the peer resends */
		kfree_skb(skb);
		return NF_STOLEN;
	}
	h->skb = skb;
	h->net = state->net;
	h->okfn = state->okfn;
	h->thoff = thoff;
	h->proto = proto;
	h->icmp = icmp;
	dev_hold(skb->dev);
	list_add_tail(&h->node, &bc->rs_held);
	spin_unlock(&bc->rs_lock);
	return NF_STOLEN;
}

/* ---- the netfilter hooks --------------------------------------------------- */

/*
 * Both families' hooks end here: if t is offloaded, its segment (TCP
 * header at thoff) or the ICMP error quoting it goes to the NIC, or
 * waits for the restore under way.
 */
static unsigned int bp_nf_steal(const struct bp_tuple *t, struct sk_buff *skb,
				bool icmp, unsigned int thoff, __be16 proto,
				const struct nf_hook_state *state)
{
	unsigned int verdict = NF_STOLEN;
	struct bp_conn *bc;

	rcu_read_lock();
	bc = bp_tuple_find(t);
	if (!bc)
		verdict = NF_ACCEPT;
	else if (READ_ONCE(bc->flags) & BP_F_RESTORING)
		verdict = bp_rs_hold(bc, skb, icmp, thoff, proto, state);
	else
		bp_fwd_skb(bc, skb, icmp, thoff, proto);
	rcu_read_unlock();
	return verdict;
}

/* The connection an ICMP error quotes: its inner header is ours -> peer. */
static bool bp_icmp_tuple4(struct sk_buff *skb, unsigned int off,
			   struct bp_tuple *t)
{
	struct iphdr _iph;
	const struct iphdr *iph;
	__be16 _ports[2];
	const __be16 *ports;

	iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
	if (!iph || iph->protocol != IPPROTO_TCP || iph->ihl < 5)
		return false;
	ports = skb_header_pointer(skb, off + iph->ihl * 4, sizeof(_ports),
				   _ports);
	if (!ports)
		return false;
	memset(t, 0, sizeof(*t));
	t->family = 4;
	t->laddr.s6_addr32[0] = iph->saddr;
	t->paddr.s6_addr32[0] = iph->daddr;
	t->lport = ports[0];
	t->pport = ports[1];
	return true;
}

static unsigned int bp_nf_ipv4(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct bp_tuple t;
	bool icmp = false;

	if (!atomic_read(&bp_nr_offloaded) || ip_is_fragment(iph))
		return NF_ACCEPT;	/* see bp_nf_ipv4_reasm() */
	if (iph->protocol == IPPROTO_TCP) {
		struct tcphdr _th;
		const struct tcphdr *th;

		th = skb_header_pointer(skb, iph->ihl * 4, sizeof(_th), &_th);
		if (!th)
			return NF_ACCEPT;
		memset(&t, 0, sizeof(t));
		t.family = 4;
		t.laddr.s6_addr32[0] = iph->daddr;
		t.paddr.s6_addr32[0] = iph->saddr;
		t.lport = th->dest;
		t.pport = th->source;
	} else if (iph->protocol == IPPROTO_ICMP) {
		struct icmphdr _ih;
		const struct icmphdr *ih;

		ih = skb_header_pointer(skb, iph->ihl * 4, sizeof(_ih), &_ih);
		if (!ih || (ih->type != ICMP_DEST_UNREACH &&
			    ih->type != ICMP_TIME_EXCEEDED &&
			    ih->type != ICMP_PARAMETERPROB &&
			    ih->type != ICMP_SOURCE_QUENCH) ||
		    !bp_icmp_tuple4(skb, iph->ihl * 4 + sizeof(_ih), &t))
			return NF_ACCEPT;
		icmp = true;
	} else {
		return NF_ACCEPT;
	}

	return bp_nf_steal(&t, skb, icmp, iph->ihl * 4, htons(ETH_P_IP), state);
}

/*
 * IPv4 fragments pass the hook above (it cannot tell whose they are) and
 * ip_local_deliver() reassembles them before LOCAL_IN: here the datagram
 * is whole, and if it is an offloaded connection's segment (or an ICMP
 * error quoting one) it goes to the NIC like any late packet, not to the
 * quiesced host TCP.  The NIC takes it as it is, larger than the MTU:
 * its TCP has no limit of segment size on receive (Linux's does not
 * either; GRO hands it such segments all the time), so forwarding the
 * datagram whole is exact, where cutting it again would invent segment
 * boundaries the peer never sent.  Only reassembled datagrams
 * (frag_max_size set by ip_frag_reasm()) are looked at.
 */
static unsigned int bp_nf_ipv4_reasm(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	if (!IPCB(skb)->frag_max_size || !atomic_read(&bp_nr_offloaded))
		return NF_ACCEPT;
	if (bp_nf_ipv4(priv, skb, state) != NF_STOLEN)
		return NF_ACCEPT;
	bp_count(BP_C_FWD_REASM);
	return NF_STOLEN;
}

static unsigned int bp_nf_ipv6(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct bp_tuple t;
	bool icmp = false;

	if (!atomic_read(&bp_nr_offloaded))
		return NF_ACCEPT;
	memset(&t, 0, sizeof(t));
	t.family = 6;
	if (ip6h->nexthdr == IPPROTO_TCP) {
		struct tcphdr _th;
		const struct tcphdr *th;

		th = skb_header_pointer(skb, sizeof(*ip6h), sizeof(_th), &_th);
		if (!th)
			return NF_ACCEPT;
		t.laddr = ip6h->daddr;
		t.paddr = ip6h->saddr;
		t.lport = th->dest;
		t.pport = th->source;
	} else if (ip6h->nexthdr == IPPROTO_ICMPV6) {
		struct {
			struct icmp6hdr ih;
			struct ipv6hdr inner;
			__be16 ports[2];
		} _q;
		const typeof(_q) *q;

		q = skb_header_pointer(skb, sizeof(*ip6h), sizeof(_q), &_q);
		if (!q || q->ih.icmp6_type >= 128 ||
		    q->inner.nexthdr != IPPROTO_TCP)
			return NF_ACCEPT;
		t.laddr = q->inner.saddr;
		t.paddr = q->inner.daddr;
		t.lport = q->ports[0];
		t.pport = q->ports[1];
		icmp = true;
	} else {
		return NF_ACCEPT;
	}

	return bp_nf_steal(&t, skb, icmp, sizeof(*ip6h), htons(ETH_P_IPV6),
			   state);
}

static const struct nf_hook_ops bp_nf_ops[] = {
	{
		.hook = bp_nf_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		/* before conntrack: the host never tracks what it won't see */
		.priority = NF_IP_PRI_RAW_BEFORE_DEFRAG,
	},
	{
		.hook = bp_nf_ipv4_reasm,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_FIRST,
	},
	{
		.hook = bp_nf_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_RAW_BEFORE_DEFRAG,
	},
};

int bp_forward_init(void)
{
	return nf_register_net_hooks(&init_net, bp_nf_ops,
				     ARRAY_SIZE(bp_nf_ops));
}

void bp_forward_exit(void)
{
	nf_unregister_net_hooks(&init_net, bp_nf_ops, ARRAY_SIZE(bp_nf_ops));
}
