// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_tcp_timer.c - one handler per timer: retransmission (RFC 6298, with
 * backoff and Karn's rule), delayed ACK (RFC 1122), persist (zero window
 * probes), keepalive, and TIME_WAIT (or an orphan's FIN_WAIT2 timeout).
 * The user timeout (TCP_USER_TIMEOUT) bounds the first three as Linux's
 * tcp_timer.c does.
 *
 * Timers are absolute times of the firmware's millisecond clock kept in
 * the control block; nfw_timer() scans the table, which at the NIC's few
 * thousand connections costs less than a timer wheel's bookkeeping.
 */
#include "nfw_tcp.h"

/* Keepalive, persist or retransmission gave up: ETIMEDOUT for the OS. */
static void nfw_timer_give_up(struct nfw *fw, struct nfw_conn *c)
{
	nfw_tcp_send_ctl(fw, c, c->snd_nxt, NFW_TCP_RST | NFW_TCP_ACK);
	nfw_conn_close(fw, c, NFW_EV_TIMEDOUT);
}

/*
 * Have the retransmissions run out?  With a user timeout, once it has
 * passed since the segment first went out (Linux's retransmits_timed_out()
 * from retrans_stamp); without, after NFW_MAX_RETRIES backoffs.  Never
 * before the first retransmission.
 */
static bool nfw_rexmt_timed_out(struct nfw *fw, const struct nfw_conn *c)
{
	if (!c->user_timeout_ms)
		return c->backoff >= NFW_MAX_RETRIES;
	return c->backoff &&
	       fw->now_ms - c->rexmt_start_ms >= c->user_timeout_ms;
}

static void nfw_timer_rexmt(struct nfw *fw, struct nfw_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;

	c->t_rexmt = 0;
	if (c->snd_una == c->snd_max)
		return;		/* everything acked meanwhile */
	/* a first timeout: the head segment went out an RTO ago */
	if (!c->backoff)
		c->rexmt_start_ms = fw->now_ms - c->rto_ms;
	if (nfw_rexmt_timed_out(fw, c)) {
		nfw_timer_give_up(fw, c);
		return;
	}
	/* an automatic flow label is drawn anew (sk_rethink_txhash()) */
	if (c->flowlabel & CHW_FLOWLABEL_REHASH)
		nfw_tcp_rehash_flowlabel(fw, c);
	/* RFC 5681 (7): one segment, and half the flight as threshold */
	c->ssthresh = flight / 2 > 2u * c->mss ? flight / 2 : 2u * c->mss;
	c->cwnd = c->mss;
	c->backoff++;
	c->dupacks = 0;
	c->flags &= ~(NFW_CF_RECOVERY | NFW_CF_RTT_TIMING);
	c->recover = c->snd_max;
	c->rexmit_out = 0;
	/* the peer may renege on SACKs (RFC 2018): start over from snd_una */
	nfw_sack_clear(c);
	/* go back to the first unacknowledged byte */
	c->snd_nxt = c->snd_una;
	nfw_tcp_arm_rexmt(fw, c);
	/* not past the user timeout (tcp_clamp_rto_to_user_timeout()) */
	if (c->user_timeout_ms &&
	    c->t_rexmt > c->rexmt_start_ms + c->user_timeout_ms)
		c->t_rexmt = c->rexmt_start_ms + c->user_timeout_ms >
			     fw->now_ms ? c->rexmt_start_ms +
			     c->user_timeout_ms : fw->now_ms + 1;
	nfw_tcp_output(fw, c);
}

static void nfw_timer_persist(struct nfw *fw, struct nfw_conn *c)
{
	c->t_persist = 0;
	if (c->snd_wnd || !SEQ_GT(c->write_seq, c->snd_una)) {
		/* an open window: what cork held back goes now (write wakeup) */
		c->persist_ms = 0;
		c->flags |= NFW_CF_WAKEUP;
		nfw_tcp_output(fw, c);
		c->flags &= ~NFW_CF_WAKEUP;
		return;
	}
	/*
	 * As Linux's tcp_probe_timer(): the window shut for the user
	 * timeout, answered or not, is the end.  Without one, probe on.
	 */
	if (!c->probe_start_ms) {
		c->probe_start_ms = fw->now_ms ? fw->now_ms : 1;
	} else if (c->user_timeout_ms &&
		   fw->now_ms - c->probe_start_ms >= c->user_timeout_ms) {
		nfw_timer_give_up(fw, c);
		return;
	}
	/* as Linux: an old sequence number makes the peer answer at once */
	nfw_tcp_send_ctl(fw, c, c->snd_una - 1, NFW_TCP_ACK);
	if (c->keep_probes < UINT8_MAX)
		c->keep_probes++;
	c->persist_ms = c->persist_ms * 2 < 60000 ? c->persist_ms * 2 : 60000;
	c->t_persist = fw->now_ms + c->persist_ms;
}

/*
 * Linux's tcp_keepalive_timer(): in every state the NIC holds but
 * TIME_WAIT, and not for an orphan in FIN_WAIT2, whose end is its FIN
 * timeout (t_2msl).  Nothing is probed while data or a FIN is in flight
 * or waiting (the retransmission or persist timer watches those).
 */
static void nfw_timer_keep(struct nfw *fw, struct nfw_conn *c)
{
	uint64_t idle = fw->now_ms - c->last_rx_ms;
	uint32_t fin = (c->flags & NFW_CF_FIN_QUEUED) ? 1 : 0;

	c->t_keep = 0;
	if (!c->keepidle_ms || c->state == NFW_TCPS_TIME_WAIT ||
	    (c->state == NFW_TCPS_FIN_WAIT2 && (c->flags & NFW_CF_OS_CLOSED)))
		return;
	if (c->snd_una != c->snd_max || c->snd_max != c->write_seq + fin) {
		c->t_keep = fw->now_ms + c->keepidle_ms;
		return;
	}
	if (idle < c->keepidle_ms) {
		c->keep_probes = 0;
		c->t_keep = c->last_rx_ms + c->keepidle_ms;
		return;
	}
	if (c->user_timeout_ms ?
	    idle >= c->user_timeout_ms && c->keep_probes :
	    c->keep_probes >= c->keepcnt) {
		nfw_timer_give_up(fw, c);
		return;
	}
	nfw_tcp_send_ctl(fw, c, c->snd_una - 1, NFW_TCP_ACK);
	c->keep_probes++;
	c->t_keep = fw->now_ms + c->keepintvl_ms;
}

void nfw_tcp_timers(struct nfw *fw, uint64_t now)
{
	uint32_t i;

	fw->now_ms = now;
	if (fw->nfree == fw->cfg.max_conns)
		return;		/* nothing offloaded: nothing to scan */
	for (i = 0; i < fw->cfg.max_conns; i++) {
		struct nfw_conn *c = &fw->conns[i];

		if (!c->state || c->state == NFW_TCPS_CLOSED)
			continue;
		if (c->t_2msl && now >= c->t_2msl) {
			c->t_2msl = 0;
			nfw_conn_close(fw, c, 0);
			continue;
		}
		if (c->t_delack && now >= c->t_delack) {
			c->t_delack = 0;
			c->flags |= NFW_CF_ACK_NOW;
			nfw_tcp_output(fw, c);
		}
		if (c->t_rexmt && now >= c->t_rexmt)
			nfw_timer_rexmt(fw, c);
		if (c->state == NFW_TCPS_CLOSED)
			continue;
		if (c->t_persist && now >= c->t_persist)
			nfw_timer_persist(fw, c);
		if (c->t_keep && now >= c->t_keep)
			nfw_timer_keep(fw, c);
	}
}

static uint64_t nfw_min_timer(uint64_t best, uint64_t t)
{
	return t && t < best ? t : best;
}

/* The earliest timer of any connection, in ms; UINT64_MAX if none. */
uint64_t nfw_tcp_next_deadline(struct nfw *fw)
{
	uint64_t best = UINT64_MAX;
	uint32_t i;

	if (fw->nfree == fw->cfg.max_conns)
		return best;
	for (i = 0; i < fw->cfg.max_conns; i++) {
		const struct nfw_conn *c = &fw->conns[i];

		if (!c->state || c->state == NFW_TCPS_CLOSED)
			continue;
		best = nfw_min_timer(best, c->t_rexmt);
		best = nfw_min_timer(best, c->t_delack);
		best = nfw_min_timer(best, c->t_persist);
		best = nfw_min_timer(best, c->t_keep);
		best = nfw_min_timer(best, c->t_2msl);
	}
	return best;
}
