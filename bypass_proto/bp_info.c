// SPDX-License-Identifier: GPL-2.0
/*
 * bp_info.c - what TCP_INFO and SIOCOUTQNSD say while the NIC has the
 * connection: the NIC's live figures (CHW_OP_INFO), asked when asked.
 *
 * The quiesced tcp_sock keeps what TCP counted up to the handoff; the
 * NIC counts from the handoff on, so byte and segment counters are the
 * sum of both, and everything the NIC runs (state, RTT, windows,
 * congestion, retransmissions, times) is the NIC's alone.  What only the
 * host knows (options negotiated, the receive side's space and RTT
 * estimate) stays TCP's.
 */
#include "bp.h"

/* Ask the NIC for bc's figures; the socket is locked. */
static int bp_info_fetch(struct bp_conn *bc, struct chw_conn_info *ci)
{
	struct device *dev = &bc->bn->hd->pdev->dev;
	struct chw_cmd_info c = {
		.op = CHW_OP_INFO,
		.buf_len = cpu_to_le16(sizeof(*ci)),
		.cid = cpu_to_le32(bc->cid),
	};
	struct chw_ev_done done;
	dma_addr_t dma;
	int err;

	if (bc->flags & (BP_F_NIC_FREED | BP_F_RESTORING))
		return -ENOTCONN;
	dma = dma_map_single(dev, ci, sizeof(*ci), DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, dma))
		return -ENOMEM;
	c.buf_addr = cpu_to_le64(dma);
	bp_count(BP_C_MSG_TX_BASE + CHW_OP_INFO);
	err = hnd_cmd_exec(bc->bn->hd, (struct chw_msg *)&c, &done,
			   msecs_to_jiffies(bp_policy.handoff_timeout_ms));
	if (err == -ETIMEDOUT)
		return err;	/* the NIC may still write: leave it mapped */
	dma_unmap_single(dev, dma, sizeof(*ci), DMA_FROM_DEVICE);
	if (!err && le32_to_cpu(done.val) < sizeof(*ci))
		err = -EPROTO;
	return err;
}

/*
 * SIOCOUTQNSD: written, not yet sent (write_seq - snd_nxt in TCP): what
 * the NIC has not sent, and what is still on its way to the NIC.
 */
int bp_info_notsent(struct sock *sk, struct bp_conn *bc, int *answ)
{
	struct chw_conn_info *ci = kzalloc(sizeof(*ci), GFP_KERNEL);
	u32 nic;
	int err;

	if (!ci)
		return -ENOMEM;
	err = bp_info_fetch(bc, ci);
	if (!err) {
		nic = le32_to_cpu(ci->write_seq) - le32_to_cpu(ci->snd_nxt);
		/* past write_seq is our FIN, sent */
		if ((s32)nic < 0)
			nic = 0;
		*answ = nic + (u32)(bc->tx_written - bc->tx_posted);
	}
	if (err != -ETIMEDOUT)
		kfree(ci);
	return err;
}

static u32 bp_segs(u32 bytes, u32 mss)
{
	return DIV_ROUND_UP(bytes, max_t(u32, mss, 1));
}

/* TCP's tcp_info, with what the NIC runs taken from its figures. */
static void bp_info_merge(struct sock *sk, struct bp_conn *bc,
			  const struct chw_conn_info *ci, struct tcp_info *info)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = le32_to_cpu(ci->snd_mss);
	u32 una = le32_to_cpu(ci->snd_una), nxt = le32_to_cpu(ci->snd_nxt);
	u32 end = le32_to_cpu(ci->write_seq);

	info->tcpi_state = ci->tcp_state;
	info->tcpi_ca_state = ci->ca_state;
	info->tcpi_retransmits = ci->backoff;
	info->tcpi_backoff = ci->backoff;
	info->tcpi_probes = ci->probes;
	info->tcpi_rto = le32_to_cpu(ci->rto_us);
	info->tcpi_ato = le32_to_cpu(ci->ato_us);
	info->tcpi_snd_mss = mss;
	info->tcpi_rcv_mss = le32_to_cpu(ci->rcv_mss);
	/* our FIN, sent and not acknowledged, is no segment of data */
	if (after(nxt, end))
		nxt = end;
	info->tcpi_unacked = after(nxt, una) ? bp_segs(nxt - una, mss) : 0;
	info->tcpi_sacked = le32_to_cpu(ci->sacked_out);
	info->tcpi_lost = le32_to_cpu(ci->lost_out);
	info->tcpi_retrans = le32_to_cpu(ci->retrans_out);
	info->tcpi_last_data_sent = le32_to_cpu(ci->last_data_sent_ms);
	info->tcpi_last_data_recv = le32_to_cpu(ci->last_data_recv_ms);
	info->tcpi_last_ack_recv = le32_to_cpu(ci->last_ack_recv_ms);
	info->tcpi_pmtu = le32_to_cpu(ci->pmtu);
	info->tcpi_rtt = le32_to_cpu(ci->srtt_us);
	info->tcpi_rttvar = le32_to_cpu(ci->rttvar_us);
	info->tcpi_snd_ssthresh = le32_to_cpu(ci->snd_ssthresh);
	info->tcpi_snd_cwnd = le32_to_cpu(ci->snd_cwnd);
	info->tcpi_snd_wnd = le32_to_cpu(ci->snd_wnd);
	info->tcpi_notsent_bytes = (end - nxt) +
				   (u32)(bc->tx_written - bc->tx_posted);

	/* counters: TCP's up to the handoff, the NIC's since */
	info->tcpi_total_retrans = tp->total_retrans +
				   le32_to_cpu(ci->total_retrans);
	info->tcpi_segs_in = tp->segs_in + le32_to_cpu(ci->segs_in);
	info->tcpi_segs_out = tp->segs_out + le32_to_cpu(ci->segs_out);
	info->tcpi_data_segs_in = tp->data_segs_in +
				  le32_to_cpu(ci->data_segs_in);
	info->tcpi_data_segs_out = tp->data_segs_out +
				   le32_to_cpu(ci->data_segs_out);
	info->tcpi_bytes_sent = tp->bytes_sent + le64_to_cpu(ci->bytes_sent);
	info->tcpi_bytes_retrans = tp->bytes_retrans +
				   le64_to_cpu(ci->bytes_retrans);
	info->tcpi_bytes_acked = tp->bytes_acked + le64_to_cpu(ci->bytes_acked);
	info->tcpi_bytes_received = tp->bytes_received +
				    le64_to_cpu(ci->bytes_received);
}

/* getsockopt(TCP_INFO) on an offloaded socket. */
int bp_info_getsockopt(struct sock *sk, char __user *optval,
		       int __user *optlen)
{
	struct chw_conn_info *ci;
	struct tcp_info info;
	struct bp_conn *bc;
	int len, err;

	if (get_user(len, optlen))
		return -EFAULT;
	len = min_t(unsigned int, len, sizeof(info));
	if (len < 0)
		return -EINVAL;
	ci = kzalloc(sizeof(*ci), GFP_KERNEL);
	if (!ci)
		return -ENOMEM;
	tcp_get_info(sk, &info);
	lock_sock(sk);
	bc = bp_conn_of(sk);
	err = bc ? bp_info_fetch(bc, ci) : -ENOENT;
	if (!err)
		bp_info_merge(sk, bc, ci, &info);
	release_sock(sk);
	if (err != -ETIMEDOUT)
		kfree(ci);
	if (err == -ENOENT)	/* restored meanwhile: TCP's own */
		return bp_base_prot(sk)->getsockopt(sk, SOL_TCP, TCP_INFO,
						    optval, optlen);
	/* the connection ended on the NIC: what TCP saw, as TCP would */
	if (err == -ENOTCONN)
		info.tcpi_state = inet_sk_state_load(sk);
	else if (err)
		return err;
	if (put_user(len, optlen) || copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}
