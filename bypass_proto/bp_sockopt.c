// SPDX-License-Identifier: GPL-2.0
/*
 * bp_sockopt.c - socket options and ioctls on an offloaded socket.
 *
 * The rule: exactly what TCP does, or TCP does it.  Every option takes
 * one of three paths (Documentation/design.rst has the table):
 *
 *   TCP      TCP's own setsockopt runs; it only stores the value, or acts
 *            on what the quiesced socket no longer has (listener and
 *            connect-time options), so nothing on the NIC changes.
 *   NIC      TCP's own setsockopt runs (getsockopt and the checks are
 *            TCP's), then the NIC is told the value it must act on
 *            (ch_nic_ctrl): what servers set on every connection.
 *   RESTORE  the connection comes back to TCP first, under the socket
 *            lock, and TCP runs the call.  For what is rare or changes
 *            the connection for good (a ULP such as kTLS, a congestion
 *            module, MD5 keys, repair); such a socket stays on the host.
 *
 * SOL_SOCKET options never come here (sock_setsockopt() runs them): they
 * change fields the bypass protocol reads where it needs them
 * (sk_sndbuf, SO_LINGER, SO_RCVLOWAT, SO_OOBINLINE), or reach us through
 * the proto's keepalive().
 */
#include <asm/ioctls.h>
#include <linux/sockios.h>
#include <net/ipv6.h>

#include "bp.h"

enum bp_opt_path {
	BP_OPT_TCP,
	BP_OPT_NIC,
	BP_OPT_RESTORE,
};

static enum bp_opt_path bp_tcp_opt_path(int optname)
{
	switch (optname) {
	case TCP_NODELAY:
	case TCP_CORK:
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_USER_TIMEOUT:
	case TCP_LINGER2:		/* the NIC is told at close */
	case TCP_WINDOW_CLAMP:
	case TCP_QUICKACK:
	case TCP_NOTSENT_LOWAT:		/* the NIC reports what it sent */
		return BP_OPT_NIC;
	case TCP_DEFER_ACCEPT:		/* listener and connect-time options */
	case TCP_SYNCNT:
	case TCP_FASTOPEN:
	case TCP_FASTOPEN_CONNECT:
	case TCP_FASTOPEN_KEY:
	case TCP_FASTOPEN_NO_COOKIE:
	case TCP_SAVE_SYN:
		return BP_OPT_TCP;
	default:
		/*
		 * TCP_ULP, TCP_CONGESTION, TCP_MAXSEG, TCP_MD5SIG(_EXT), the
		 * repair options, TCP_INQ (a cmsg per read), thin streams,
		 * TCP_TX_DELAY, and whatever a later kernel adds.
		 */
		return BP_OPT_RESTORE;
	}
}

static enum bp_opt_path bp_ip_opt_path(int optname)
{
	switch (optname) {
	case IP_TOS:
	case IP_TTL:
		return BP_OPT_NIC;
	case IP_PKTINFO:		/* ancillary data TCP never sends */
	case IP_RECVTTL:
	case IP_RECVTOS:
	case IP_RECVOPTS:
	case IP_RETOPTS:
	case IP_PASSSEC:
	case IP_RECVORIGDSTADDR:
	case IP_FREEBIND:		/* bind-time */
	case IP_TRANSPARENT:
	case IP_BIND_ADDRESS_NO_PORT:
	case IP_MULTICAST_IF:		/* datagram-only */
	case IP_MULTICAST_TTL:
	case IP_MULTICAST_LOOP:
	case IP_MULTICAST_ALL:
		return BP_OPT_TCP;
	default:
		/* IP_OPTIONS, IP_MINTTL, IP_MTU_DISCOVER, IP_RECVERR, ... */
		return BP_OPT_RESTORE;
	}
}

static enum bp_opt_path bp_ipv6_opt_path(int optname)
{
	switch (optname) {
	case IPV6_TCLASS:
	case IPV6_UNICAST_HOPS:
		return BP_OPT_NIC;
	case IPV6_V6ONLY:		/* bind-time */
	case IPV6_RECVPKTINFO:		/* ancillary data TCP never sends */
	case IPV6_2292PKTINFO:
	case IPV6_RECVHOPLIMIT:
	case IPV6_2292HOPLIMIT:
	case IPV6_RECVTCLASS:
	case IPV6_FREEBIND:
	case IPV6_TRANSPARENT:
	case IPV6_MULTICAST_IF:
	case IPV6_MULTICAST_HOPS:
	case IPV6_MULTICAST_LOOP:
		return BP_OPT_TCP;
	default:
		/* IPV6_AUTOFLOWLABEL, IPV6_MTU_DISCOVER, IPV6_RECVERR, ... */
		return BP_OPT_RESTORE;
	}
}

static enum bp_opt_path bp_opt_path(int level, int optname)
{
	switch (level) {
	case SOL_TCP:
		return bp_tcp_opt_path(optname);
	case SOL_IP:
		return bp_ip_opt_path(optname);
	case SOL_IPV6:
		return bp_ipv6_opt_path(optname);
	default:
		return BP_OPT_TCP;	/* TCP refuses it with ENOPROTOOPT */
	}
}

/* The TOS (traffic class) and TTL (hop limit) the connection's frames carry. */
void bp_opt_route_bits(struct sock *sk, u8 *tos, u8 *ttl)
{
	const struct inet_sock *inet = inet_sk(sk);
	int hops;

	if (sk->sk_family == AF_INET || ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		*tos = inet->tos;
		hops = inet->uc_ttl;
		if (hops < 0)
			hops = READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_default_ttl);
		*ttl = hops;
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	*tos = inet6_sk(sk)->tclass;
	hops = inet6_sk(sk)->hop_limit;
	if (hops < 0)
		hops = READ_ONCE(sock_net(sk)->ipv6.devconf_all->hop_limit);
	*ttl = hops;
#endif
}

static void bp_ctrl(struct bp_conn *bc, u16 code, u64 value)
{
	bp_cmd(bc, CHW_OP_CTRL, 0, code, value);
}

/*
 * TCP_NOTSENT_LOWAT, or net.ipv4.tcp_notsent_lowat when it is unset
 * (tcp_notsent_lowat()): the NIC's threshold for its CHW_CC_SENT
 * reports, 0 for none (UINT_MAX, the sysctl's default).  Locked; at
 * handoff, after setsockopt, and at each send (the sysctl may move).
 */
void bp_opts_lowat(struct sock *sk, struct bp_conn *bc)
{
	u32 lowat = tcp_notsent_lowat(tcp_sk(sk));

	if (lowat == UINT_MAX)
		lowat = 0;
	if (lowat == bc->lowat_nic)
		return;
	bc->lowat_nic = lowat;
	bp_ctrl(bc, CHW_CC_NOTSENT_LOWAT, lowat);
}

/* The NIC's copy of what TCP now holds for (level, optname); locked. */
static void bp_opt_tell_nic(struct sock *sk, struct bp_conn *bc, int level,
			    int optname, int val)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u8 tos, ttl;

	if (level != SOL_TCP) {
		bp_opt_route_bits(sk, &tos, &ttl);
		bp_ctrl(bc, CHW_CC_TOS, tos);
		bp_ctrl(bc, CHW_CC_TTL, ttl);
		return;
	}
	switch (optname) {
	case TCP_NODELAY:
		bp_ctrl(bc, CHW_CC_NODELAY, !!(tp->nonagle & TCP_NAGLE_OFF));
		break;
	case TCP_CORK:
		bp_ctrl(bc, CHW_CC_CORK, !!(tp->nonagle & TCP_NAGLE_CORK));
		break;
	case TCP_KEEPINTVL:
		bp_ctrl(bc, CHW_CC_KEEPINTVL, keepalive_intvl_when(tp) / HZ);
		break;
	case TCP_KEEPCNT:
		bp_ctrl(bc, CHW_CC_KEEPCNT, keepalive_probes(tp));
		break;
	case TCP_USER_TIMEOUT:
		bp_ctrl(bc, CHW_CC_USER_TIMEOUT,
			READ_ONCE(inet_csk(sk)->icsk_user_timeout));
		break;
	case TCP_WINDOW_CLAMP:
		bp_ctrl(bc, CHW_CC_WINDOW_CLAMP, tp->window_clamp);
		break;
	case TCP_QUICKACK:
		if (val & 1)
			bp_ctrl(bc, CHW_CC_QUICKACK, 1);
		break;
	case TCP_NOTSENT_LOWAT:
		bp_opts_lowat(sk, bc);
		break;
	}
}

/*
 * At handoff (bp_switch()): what the application set before, beyond
 * what the state block carries, so the NIC starts where TCP was.
 */
void bp_opts_handoff(struct sock *sk, struct bp_conn *bc)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (sock_flag(sk, SOCK_KEEPOPEN))
		bp_ctrl(bc, CHW_CC_KEEPALIVE, keepalive_time_when(tp) / HZ);
	if (tp->keepalive_intvl)
		bp_opt_tell_nic(sk, bc, SOL_TCP, TCP_KEEPINTVL, 0);
	if (tp->keepalive_probes)
		bp_opt_tell_nic(sk, bc, SOL_TCP, TCP_KEEPCNT, 0);
	if (inet_csk(sk)->icsk_user_timeout)
		bp_opt_tell_nic(sk, bc, SOL_TCP, TCP_USER_TIMEOUT, 0);
	if (tp->nonagle & TCP_NAGLE_CORK)
		bp_opt_tell_nic(sk, bc, SOL_TCP, TCP_CORK, 0);
	if (tp->window_clamp && tp->window_clamp < bc->rx_nr * BP_CHUNK)
		bp_opt_tell_nic(sk, bc, SOL_TCP, TCP_WINDOW_CLAMP, 0);
	/* what TCP had sent of the queue handed over */
	bc->tx_sent = min_t(u64, tp->snd_nxt - tp->snd_una, bc->tx_written);
	bp_opts_lowat(sk, bc);
}

/*
 * At close: how long an orphan may wait in FIN_WAIT2, as tcp_fin_time()
 * says (TCP_LINGER2, else net.ipv4.tcp_fin_timeout), when it is not the
 * NIC's default.
 */
void bp_opts_close(struct sock *sk, struct bp_conn *bc)
{
	u32 ms;

	if (tcp_sk(sk)->linger2 < 0)
		ms = CHW_FIN_TIMEOUT_RST;
	else
		ms = jiffies_to_msecs(tcp_fin_time(sk));
	if (ms != CHW_FIN_TIMEOUT_DEFAULT)
		bp_ctrl(bc, CHW_CC_FIN_TIMEOUT, ms);
}

/* sock_setsockopt(SO_KEEPALIVE) calls this with the socket locked. */
void bp_keepalive(struct sock *sk, int valbool)
{
	u32 idle = valbool ? keepalive_time_when(tcp_sk(sk)) / HZ : 0;
	struct bp_conn *bc = bp_conn_of(sk);

	if (bc)
		bp_ctrl(bc, CHW_CC_KEEPALIVE, idle);
	else
		bp_base_prot(sk)->keepalive(sk, valbool);
}

/*
 * TCP_KEEPIDLE: TCP's own would re-arm its keepalive timer on the
 * quiesced socket, so the value is stored here, as tcp_sock_set_keepidle
 * does, and the NIC's timer re-armed instead.
 */
static int bp_set_keepidle(struct sock *sk, int val)
{
	struct bp_conn *bc;

	if (val < 1 || val > MAX_TCP_KEEPIDLE)
		return -EINVAL;
	lock_sock(sk);
	WRITE_ONCE(tcp_sk(sk)->keepalive_time, val * HZ);
	bc = bp_conn_of(sk);
	if (bc && sock_flag(sk, SOCK_KEEPOPEN))
		bp_ctrl(bc, CHW_CC_KEEPALIVE, val);
	release_sock(sk);
	return 0;
}

int bp_setsockopt(struct sock *sk, int level, int optname,
		  sockptr_t optval, unsigned int optlen)
{
	enum bp_opt_path path = bp_opt_path(level, optname);
	struct bp_conn *bc;
	int val = 0, err;

	if (!bp_conn_of(sk))	/* restored: TCP's own */
		return bp_base_prot(sk)->setsockopt(sk, level, optname, optval,
						    optlen);
	if (path == BP_OPT_RESTORE) {
		err = bp_restore_first(sk, true);
		if (err)
			return err;
		return READ_ONCE(sk->sk_prot)->setsockopt(sk, level, optname,
							  optval, optlen);
	}
	if (path == BP_OPT_NIC && optlen >= sizeof(int) &&
	    copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	if (level == SOL_TCP && optname == TCP_KEEPIDLE) {
		if (optlen < sizeof(int))
			return -EINVAL;
		return bp_set_keepidle(sk, val);
	}
	/* TCP keeps the value (getsockopt shows it); its queues are empty */
	err = bp_base_prot(sk)->setsockopt(sk, level, optname, optval, optlen);
	if (err || path != BP_OPT_NIC)
		return err;
	lock_sock(sk);
	bc = bp_conn_of(sk);
	if (bc)
		bp_opt_tell_nic(sk, bc, level, optname, val);
	release_sock(sk);
	return 0;
}

int bp_getsockopt(struct sock *sk, int level, int optname,
		  char __user *optval, int __user *optlen)
{
	int err;

	if (bp_conn_of(sk) && level == SOL_TCP) {
		switch (optname) {
		case TCP_INFO:
			return bp_info_getsockopt(sk, optval, optlen);
		case TCP_CC_INFO:	/* the NIC runs its own */
		case TCP_ZEROCOPY_RECEIVE:
		case TCP_REPAIR_WINDOW:
			err = bp_restore_first(sk, true);
			if (err)
				return err;
			return READ_ONCE(sk->sk_prot)->getsockopt(sk, level,
					optname, optval, optlen);
		}
	}
	/* TCP's stored values */
	return bp_base_prot(sk)->getsockopt(sk, level, optname, optval,
					    optlen);
}

/* tcp_ioctl(), from the NIC's figures. */
int bp_ioctl(struct sock *sk, int cmd, unsigned long arg)
{
	struct bp_conn *bc;
	int answ, err = 0;

	switch (cmd) {
	case SIOCINQ:
	case SIOCATMARK:
	case SIOCOUTQ:
	case SIOCOUTQNSD:
		break;
	default:
		return bp_base_prot(sk)->ioctl(sk, cmd, arg);
	}
	lock_sock(sk);
	bc = bp_conn_of(sk);
	if (!bc) {
		release_sock(sk);
		return bp_base_prot(sk)->ioctl(sk, cmd, arg);
	}
	switch (cmd) {
	case SIOCINQ:
		answ = bp_rx_avail(bc);
		break;
	case SIOCATMARK:
		/* urgent data never stays on the NIC (CHW_RESTORE_URGENT) */
		answ = 0;
		break;
	case SIOCOUTQ:
		answ = bc->tx_written - bc->tx_acked;
		break;
	default:	/* SIOCOUTQNSD: the NIC knows what it sent */
		err = bp_info_notsent(sk, bc, &answ);
		break;
	}
	release_sock(sk);
	if (err)
		return err;
	return put_user(answ, (int __user *)arg);
}
