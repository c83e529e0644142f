// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_tcp_icmp.c - ICMP and ICMPv6 errors about an offloaded connection,
 * taken as Linux 6.1's tcp_v4_err() and tcp_v6_err() take them (RFC 5927,
 * RFC 1191, RFC 8201, RFC 1122 4.2.3.9).
 *
 * An error arrives from the wire, or from the OS with ch_nic_forward (its
 * netfilter hook steals the ICMP errors that quote offloaded connections).
 * Everything in it is checked before it is believed: the lengths, the
 * checksum (Linux's icmp_rcv() and icmpv6_rcv() check it), the quoted
 * header (IPv4/IPv6 carrying TCP, from our address and port to the peer's)
 * and the quoted sequence number, which must lie in [snd_una, snd_nxt]
 * (Linux's OUTOFWINDOWICMPS check): an attacker off the path cannot lower
 * the MSS or plant an error.
 *
 * Then, as Linux:
 *  - frag-needed (IPv4 type 3 code 4) and packet-too-big (ICMPv6 type 2)
 *    lower the path MTU, never raise it; IPv4 MTUs below min_pmtu (552)
 *    become 552 with DF off from then on (a locked route MTU, as
 *    __ip_rt_update_pmtu() does), IPv6 MTUs below 1280 are ignored; the
 *    MSS follows (tcp_sync_mss()) and what was sent in larger segments
 *    goes again (tcp_simple_retransmit()), cwnd kept in segments;
 *  - source quench is ignored;
 *  - every other error of an established connection is soft
 *    (RFC 1122 4.2.3.9): its errno is kept as the connection's soft error
 *    (sk_err_soft), which a later timeout reports instead of ETIMEDOUT and
 *    an acceptable ACK clears; IPv4 net/host unreachable also undo one
 *    RTO backoff if they quote snd_una (RFC 6069, tcp_ld_RTO_revert()).
 * Each outcome is counted (CHW_STAT_ICMP_*).  The OS hears of a new MTU
 * (CHW_CC_PMTU, for its route) and of soft errors (CHW_CC_SOFT_ERR).
 */
#include <errno.h>

#include "nfw_tcp.h"

#define NFW_ICMP_DEST_UNREACH	3
#define NFW_ICMP_SOURCE_QUENCH	4
#define NFW_ICMP_TIME_EXCEEDED	11
#define NFW_ICMP_PARAMETERPROB	12
#define NFW_ICMP_FRAG_NEEDED	4	/* code of DEST_UNREACH */
#define NFW_NR_ICMP_UNREACH	15

#define NFW_ICMPV6_DEST_UNREACH	1
#define NFW_ICMPV6_PKT_TOOBIG	2
#define NFW_ICMPV6_TIME_EXCEED	3
#define NFW_ICMPV6_PARAMPROB	4

#define NFW_IPV4_MIN_PMTU	552	/* net.ipv4.route.min_pmtu */
#define NFW_IPV6_MIN_MTU	1280
#define NFW_TCP_MIN_SND_MSS	48	/* net.ipv4.tcp_min_snd_mss */

/* Linux's icmp_err_convert[], the errno of each unreachable code. */
static const uint8_t nfw_icmp_unreach_errno[NFW_NR_ICMP_UNREACH + 1] = {
	ENETUNREACH,	/* NET_UNREACH */
	EHOSTUNREACH,	/* HOST_UNREACH */
	ENOPROTOOPT,	/* PROT_UNREACH */
	ECONNREFUSED,	/* PORT_UNREACH */
	EMSGSIZE,	/* FRAG_NEEDED (not used: PMTU) */
	EOPNOTSUPP,	/* SR_FAILED */
	ENETUNREACH,	/* NET_UNKNOWN */
	EHOSTDOWN,	/* HOST_UNKNOWN */
	ENONET,		/* HOST_ISOLATED */
	ENETUNREACH,	/* NET_ANO */
	EHOSTUNREACH,	/* HOST_ANO */
	ENETUNREACH,	/* NET_UNR_TOS */
	EHOSTUNREACH,	/* HOST_UNR_TOS */
	EHOSTUNREACH,	/* PKT_FILTERED */
	EHOSTUNREACH,	/* PREC_VIOLATION */
	EHOSTUNREACH,	/* PREC_CUTOFF */
};

/* Linux's icmpv6_err_convert() for destination unreachable codes. */
static const uint8_t nfw_icmpv6_unreach_errno[] = {
	ENETUNREACH,	/* NOROUTE */
	EACCES,		/* ADM_PROHIBITED */
	EHOSTUNREACH,	/* NOT_NEIGHBOUR (reserved) */
	EHOSTUNREACH,	/* ADDR_UNREACH */
	ECONNREFUSED,	/* PORT_UNREACH */
	EACCES,		/* POLICY_FAIL */
	EACCES,		/* REJECT_ROUTE */
};

/* A random flow label, as Linux draws sk_txhash again (net_tx_rndhash()). */
void nfw_tcp_rehash_flowlabel(struct nfw *fw, struct nfw_conn *c)
{
	/* splitmix64 of the clock and the old label: no state to keep */
	uint64_t x = fw->ops.now_ns(fw->opaque) ^
		     ((uint64_t)c->flowlabel << 32) ^ c->cid;
	uint32_t label;

	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	label = (uint32_t)x & CHW_FLOWLABEL_MASK;
	if (label == (c->flowlabel & CHW_FLOWLABEL_MASK))
		label ^= 1;	/* a new one, always */
	c->flowlabel = (c->flowlabel & ~CHW_FLOWLABEL_MASK) | label;
	c->hdr_len = 0;		/* the headers are built again */
}

/*
 * Linux's tcp_mtu_to_mss() and tcp_bound_to_half_wnd(): the payload a
 * segment may carry on a path of mtu bytes, timestamps counted (c->mss is
 * Linux's mss_cache, which counts them).
 */
static uint32_t nfw_tcp_mtu_to_mss(const struct nfw_conn *c, uint32_t mtu)
{
	uint32_t opts = (c->flags & NFW_CF_TS) ? 12 : 0;
	uint32_t hdrs = (c->v6 ? 40 : 20) + 20;
	int32_t mss = (int32_t)mtu - (int32_t)hdrs;
	uint32_t cutoff;

	if (mss < NFW_TCP_MIN_SND_MSS)
		mss = NFW_TCP_MIN_SND_MSS;
	mss -= opts;
	cutoff = c->max_window > 536 ? c->max_window / 2 : c->max_window;
	if (cutoff && (uint32_t)mss > cutoff)
		mss = cutoff > 68 - 20 - opts ? (int32_t)cutoff :
		      (int32_t)(68 - 20 - opts);
	return (uint32_t)mss;
}

/*
 * The path MTU is now mtu (lower than c->mtu): tcp_sync_mss(), then
 * tcp_simple_retransmit().  Linux counts cwnd in segments and leaves it
 * ("units changed"); here it is bytes, so it is scaled to the new MSS.
 * What was sent in segments the path no longer carries goes again from
 * snd_una, in Linux's Loss state: no fast recovery for the holes it left
 * (recover = snd_max), ssthresh at least 3/4 of cwnd
 * (tcp_current_ssthresh()).  If nothing in flight can be larger than the
 * new MSS, nothing is sent again (Linux: no skb marked lost).
 */
static void nfw_tcp_mtu_reduced(struct nfw *fw, struct nfw_conn *c,
				uint32_t mtu)
{
	uint32_t old_mss = c->mss, mss = nfw_tcp_mtu_to_mss(c, mtu);
	uint32_t cwnd_segs, ssthresh_segs;

	c->mtu = mtu;
	nfw_conn_news(fw, c, NFW_EV_PMTU);
	if (mss >= old_mss)
		return;
	c->mss = mss;
	cwnd_segs = c->cwnd / old_mss ? c->cwnd / old_mss : 1;
	c->cwnd = cwnd_segs * mss;
	if (c->ssthresh < (1u << 30)) {
		ssthresh_segs = c->ssthresh / old_mss;
		if (!(c->flags & NFW_CF_RECOVERY) &&
		    ssthresh_segs < (cwnd_segs >> 1) + (cwnd_segs >> 2))
			ssthresh_segs = (cwnd_segs >> 1) + (cwnd_segs >> 2);
		c->ssthresh = ssthresh_segs * mss;
	}
	if (c->snd_max - c->snd_una <= mss)
		return;		/* every segment in flight still fits */
	c->flags &= ~(NFW_CF_RECOVERY | NFW_CF_RTT_TIMING);
	c->recover = c->snd_max;
	c->dupacks = 0;
	c->rexmit_out = 0;
	c->snd_nxt = c->snd_una;
	nfw_tcp_arm_rexmt(fw, c);
	nfw_tcp_output(fw, c);
}

/* A soft error (RFC 1122 4.2.3.9): kept until a timeout or an ACK. */
static void nfw_tcp_soft_err(struct nfw *fw, struct nfw_conn *c, int err)
{
	nfw_stat_add(fw, CHW_STAT_ICMP_SOFT, 1);
	if (c->soft_err != err) {
		c->soft_err = (uint8_t)err;
		nfw_conn_news(fw, c, NFW_EV_SOFT_ERR);
	}
}

/*
 * RFC 6069 (Linux's tcp_ld_RTO_revert()): an unreachable quoting the
 * segment being retransmitted says the path, not congestion, lost it:
 * one backoff is undone, the timer counted from when it went out.
 */
static void nfw_tcp_rto_revert(struct nfw *fw, struct nfw_conn *c,
			       uint32_t seq)
{
	uint64_t sent, due;

	if (seq != c->snd_una || !c->backoff || !c->t_rexmt ||
	    c->snd_una == c->snd_max)
		return;
	sent = c->t_rexmt - nfw_rto_backed_off(c);
	c->backoff--;
	due = sent + nfw_rto_backed_off(c);
	c->t_rexmt = due > fw->now_ms ? due : fw->now_ms;
}

/* A quoted sequence number Linux believes: in [snd_una, snd_nxt]. */
static bool nfw_icmp_seq_ok(const struct nfw_conn *c, uint32_t seq)
{
	return SEQ_GEQ(seq, c->snd_una) && SEQ_LEQ(seq, c->snd_max);
}

/* The connection state in which Linux's handler gets this far. */
static bool nfw_icmp_state_ok(const struct nfw_conn *c)
{
	return c->state != NFW_TCPS_TIME_WAIT && c->state != NFW_TCPS_CLOSED;
}

static void nfw_icmp_v4(struct nfw *fw, struct nfw_conn *c,
			const uint8_t *icmp, uint32_t seq)
{
	uint8_t type = icmp[0], code = icmp[1];
	uint32_t mtu;

	if (!nfw_icmp_state_ok(c) || !nfw_icmp_seq_ok(c, seq))
		goto ignore;
	switch (type) {
	case NFW_ICMP_SOURCE_QUENCH:
		goto ignore;
	case NFW_ICMP_PARAMETERPROB:
		nfw_tcp_soft_err(fw, c, EPROTO);
		return;
	case NFW_ICMP_TIME_EXCEEDED:
		nfw_tcp_soft_err(fw, c, EHOSTUNREACH);
		return;
	case NFW_ICMP_DEST_UNREACH:
		if (code > NFW_NR_ICMP_UNREACH)
			goto ignore;
		if (code != NFW_ICMP_FRAG_NEEDED) {
			if (code <= 1)	/* NET_UNREACH, HOST_UNREACH */
				nfw_tcp_rto_revert(fw, c, seq);
			nfw_tcp_soft_err(fw, c, nfw_icmp_unreach_errno[code]);
			return;
		}
		mtu = nfw_get_be16(icmp + 6);
		if (mtu < NFW_IPV4_MIN_PMTU) {
			/* __ip_rt_update_pmtu(): the minimum, locked */
			mtu = c->mtu < NFW_IPV4_MIN_PMTU ? c->mtu :
			      NFW_IPV4_MIN_PMTU;
			if (mtu < c->mtu && !(c->flags & NFW_CF_PMTU_LOCKED)) {
				c->flags |= NFW_CF_PMTU_LOCKED;
				c->hdr_len = 0;	/* DF off from now on */
			}
		}
		if (mtu >= c->mtu)
			goto ignore;	/* never raised */
		nfw_stat_add(fw, CHW_STAT_ICMP_PMTU, 1);
		nfw_tcp_mtu_reduced(fw, c, mtu);
		return;
	}
ignore:
	nfw_stat_add(fw, CHW_STAT_ICMP_IGNORED, 1);
}

static void nfw_icmp_v6(struct nfw *fw, struct nfw_conn *c,
			const uint8_t *icmp, uint32_t seq)
{
	uint8_t type = icmp[0], code = icmp[1];
	uint32_t mtu;
	int err = EPROTO;

	if (!nfw_icmp_state_ok(c) || !nfw_icmp_seq_ok(c, seq))
		goto ignore;
	switch (type) {
	case NFW_ICMPV6_PKT_TOOBIG:
		mtu = nfw_get_be32(icmp + 4);
		/* tcp_v6_err(), tcp_v6_mtu_reduced(): never below the
		 * minimum, never a larger MSS */
		if (mtu < NFW_IPV6_MIN_MTU || mtu >= c->mtu ||
		    nfw_tcp_mtu_to_mss(c, mtu) >= c->mss)
			goto ignore;
		nfw_stat_add(fw, CHW_STAT_ICMP_PMTU, 1);
		nfw_tcp_mtu_reduced(fw, c, mtu);
		return;
	case NFW_ICMPV6_DEST_UNREACH:
		if (code < sizeof(nfw_icmpv6_unreach_errno))
			err = nfw_icmpv6_unreach_errno[code];
		break;
	case NFW_ICMPV6_TIME_EXCEED:
		err = EHOSTUNREACH;
		break;
	default:		/* PARAMPROB, and errors of unknown type */
		break;
	}
	nfw_tcp_soft_err(fw, c, err);
	return;
ignore:
	nfw_stat_add(fw, CHW_STAT_ICMP_IGNORED, 1);
}

/*
 * An ICMP or ICMPv6 datagram (pkt parsed, unfragmented).  Returns true if
 * it is an error quoting an offloaded connection, taken or refused here;
 * false for everything else, which is the host's.
 */
bool nfw_tcp_icmp(struct nfw *fw, const struct nfw_pkt *pkt)
{
	const uint8_t *icmp = pkt->frame + pkt->l4_off, *in, *th;
	const uint8_t *ip = pkt->frame + pkt->l3_off;
	uint32_t len = pkt->l3_end - pkt->l4_off, inhl;
	struct nfw_conn *c;

	/* the ICMP header, the quoted IP header and 8 bytes of TCP */
	if (len < 8 + 20 + 8)
		return false;
	in = icmp + 8;
	if (!pkt->v6) {
		if (pkt->proto != NFW_IPPROTO_ICMP ||
		    (icmp[0] != NFW_ICMP_DEST_UNREACH &&
		     icmp[0] != NFW_ICMP_SOURCE_QUENCH &&
		     icmp[0] != NFW_ICMP_TIME_EXCEEDED &&
		     icmp[0] != NFW_ICMP_PARAMETERPROB))
			return false;
		inhl = (in[0] & 0xf) * 4;
		if ((in[0] >> 4) != 4 || inhl < 20 || 8 + inhl + 8 > len ||
		    in[9] != NFW_IPPROTO_TCP)
			return false;
	} else {
		if (pkt->proto != NFW_IPPROTO_ICMPV6 || icmp[0] >= 128)
			return false;	/* informational: the host's */
		inhl = 40;
		if ((in[0] >> 4) != 6 || 8 + inhl + 8 > len ||
		    in[6] != NFW_IPPROTO_TCP)
			return false;	/* extension headers: the host's */
	}
	th = in + inhl;
	/* quoted: our segment, from us (source) to the peer */
	c = nfw_conn_lookup(fw, pkt->v6, pkt->v6 ? in + 8 : in + 12,
			    pkt->v6 ? in + 24 : in + 16, nfw_get_be16(th),
			    nfw_get_be16(th + 2));
	if (!c)
		return false;
	/* ours: from here on refused or taken, never the host's */
	if (!nfw_addr_eq(pkt->v6 ? ip + 24 : ip + 16, c->laddr, pkt->v6) ||
	    (pkt->v6 ? !nfw_csum_l4_ok(pkt) :
	     nfw_csum_acc_fold(nfw_csum_acc(0, icmp, len)) != 0xffff)) {
		nfw_stat_add(fw, CHW_STAT_ICMP_BAD, 1);
		return true;
	}
	fw->now_ms = nfw_now_ms(fw);
	if (pkt->v6)
		nfw_icmp_v6(fw, c, icmp, nfw_get_be32(th + 4));
	else
		nfw_icmp_v4(fw, c, icmp, nfw_get_be32(th + 4));
	return true;
}
