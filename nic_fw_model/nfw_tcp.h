/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * nfw_tcp.h - the firmware's TCP for handed-off connections.
 *
 * The OS does every handshake; the firmware takes connections from
 * ESTABLISHED on (or any later state) and gives them back intact.  The
 * split follows FreeBSD: input (nfw_tcp_input.c), output
 * (nfw_tcp_output.c), timers (nfw_tcp_timer.c), plus the connection table
 * (nfw_conn.c), state import/export (nfw_tcp_state.c) and the commands
 * that drive it (nfw_conn_cmd.c).
 *
 * Data never lives on the NIC longer than it must: the send queue is a
 * list of (host address, length) pairs fetched by DMA when a segment is
 * (re)transmitted; in-order received data is written at once into buffers
 * the OS posted.  Only out-of-order segments are held in NIC memory.
 */
#ifndef NFW_TCP_H
#define NFW_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "nfw_priv.h"

/* Sequence space arithmetic (RFC 9293 section 3.4), as in FreeBSD. */
#define SEQ_LT(a, b)	((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b)	((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)	((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b)	((int32_t)((a) - (b)) >= 0)
#define SEQ_MIN(a, b)	(SEQ_LT(a, b) ? (a) : (b))
#define SEQ_MAX(a, b)	(SEQ_GT(a, b) ? (a) : (b))

/* Linux's TCP state numbering, which the state block also uses. */
enum nfw_tcp_state {
	NFW_TCPS_ESTABLISHED	= 1,
	NFW_TCPS_FIN_WAIT1	= 4,
	NFW_TCPS_FIN_WAIT2	= 5,
	NFW_TCPS_TIME_WAIT	= 6,
	NFW_TCPS_CLOSED		= 7,
	NFW_TCPS_CLOSE_WAIT	= 8,
	NFW_TCPS_LAST_ACK	= 9,
	NFW_TCPS_CLOSING	= 11,
};

/* Protocol constants, Linux's where Linux and the RFCs allow a choice. */
#define NFW_RTO_MIN_MS		200
#define NFW_RTO_MAX_MS		120000
#define NFW_RTO_INIT_MS		1000
#define NFW_DELACK_MS		40
#define NFW_PERSIST_MIN_MS	200
#define NFW_TIME_WAIT_MS	60000
#define NFW_MAX_RETRIES		15	/* RTOs before giving up */
#define NFW_KEEP_PROBES		9	/* default of keepcnt */
#define NFW_KEEP_INTVL_MS	75000	/* default of keepintvl_ms */
#define NFW_MAX_SACK_OUT	3	/* blocks we send beside timestamps */
#define NFW_PAWS_IDLE_MS	(24ULL * 24 * 3600 * 1000)	/* RFC 7323 */
#define NFW_OOO_MAX_SEGS	256	/* held out-of-order segments */
#define NFW_SACK_BLOCKS		16	/* scoreboard of the peer's SACKs */

/* Connection flags. */
#define NFW_CF_SACK		(1u << 0)	/* SACK permitted both ways */
#define NFW_CF_TS		(1u << 1)	/* timestamps in use */
#define NFW_CF_NODELAY		(1u << 2)	/* no Nagle */
#define NFW_CF_FIN_QUEUED	(1u << 3)	/* send FIN after write_seq */
#define NFW_CF_FIN_SENT		(1u << 4)	/* FIN is at write_seq */
#define NFW_CF_FIN_RCVD		(1u << 5)	/* peer's FIN consumed */
#define NFW_CF_ACK_NOW		(1u << 6)	/* send an ACK this round */
#define NFW_CF_OS_CLOSED	(1u << 7)	/* the application is gone */
#define NFW_CF_RECOVERY		(1u << 8)	/* NewReno fast recovery */
#define NFW_CF_RTT_TIMING	(1u << 9)	/* rtt_seq is being timed */
#define NFW_CF_CORK		(1u << 10)	/* TCP_CORK: no partial segment */
#define NFW_CF_MORE		(1u << 11)	/* this SEND's round: as corked */
#define NFW_CF_URGENT		(1u << 12)	/* URG seen: take no new data */
#define NFW_CF_WAKEUP		(1u << 13)	/* probe timer: send a held tail */
#define NFW_CF_PMTU_LOCKED	(1u << 14)	/* path MTU clamped to the
						 * minimum: no DF (Linux's
						 * locked route MTU) */
#define NFW_CF_PRESSURE_ASKED	(1u << 15)	/* restore asked: memory short */

/* Pending news for the OS, flushed to the event ring in this order. */
#define NFW_EV_RECV		(1u << 0)
#define NFW_EV_ACK		(1u << 1)
#define NFW_EV_PEER_FIN		(1u << 2)
#define NFW_EV_RESET		(1u << 3)
#define NFW_EV_TIMEDOUT		(1u << 4)
#define NFW_EV_FREED		(1u << 5)
#define NFW_EV_RESTORE		(1u << 6)	/* ask the OS to take it back */
#define NFW_EV_PMTU		(1u << 7)	/* the path MTU went down */
#define NFW_EV_SOFT_ERR		(1u << 8)	/* soft_err changed */
#define NFW_EV_SENT		(1u << 9)	/* CHW_CC_SENT: sent_reported */

/* A piece of the send queue in host memory. */
struct nfw_send_pair {
	uint64_t addr;
	uint32_t len;
	uint32_t psh;			/* ends an application write: PSH */
};

/* A receive buffer the OS posted. */
struct nfw_rbuf {
	uint64_t addr;
	uint32_t len;
	uint32_t used;			/* bytes the NIC wrote */
};
#define NFW_RBUFS		CHW_CONN_POST_SLOTS	/* posted buffers */

/* What a connection costs the NIC's memory at least. */
#define NFW_CONN_COST	(sizeof(struct nfw_conn) + \
			 CHW_CONN_SEND_SLOTS * sizeof(struct nfw_send_pair))

/* An out-of-order segment held until the hole before it fills. */
struct nfw_ooo {
	struct nfw_ooo *next;		/* in sequence order */
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

/*
 * The control block.  Hot fields first (what every segment touches), then
 * the timers, then what only handoff, restore and the OS's commands use.
 */
struct nfw_conn {
	/* -- send sequence space -- */
	uint32_t snd_una;		/* oldest unacknowledged */
	uint32_t snd_nxt;		/* next to send */
	uint32_t snd_max;		/* highest sent + 1 */
	uint32_t write_seq;		/* end of the host's send queue */
	uint32_t snd_wnd;		/* peer's window, bytes */
	uint32_t snd_wl1;		/* seq of last window update */
	uint32_t snd_wl2;		/* ack of last window update */
	uint32_t max_window;		/* largest window the peer offered */
	uint32_t cwnd;			/* congestion window, bytes */
	uint32_t ssthresh;		/* slow start threshold, bytes */
	uint32_t recover;		/* snd_max when recovery began */
	uint32_t rexmit_nxt;		/* SACK recovery: next hole to fill */
	uint32_t rexmit_out;		/* bytes resent in this recovery */
	uint32_t high_sack;		/* highest byte the peer SACKed */
	uint32_t sacked;		/* bytes SACKed above snd_una */
	uint32_t sack_l[NFW_SACK_BLOCKS], sack_r[NFW_SACK_BLOCKS];
	uint8_t nsack;			/* scoreboard blocks, in order */
	uint16_t mss;			/* payload per segment, TS included */
	uint8_t snd_wscale;		/* shift of the peer's windows */
	uint8_t rcv_wscale;		/* shift of ours */
	uint8_t dupacks;
	uint8_t state;			/* enum nfw_tcp_state */
	uint16_t flags;			/* NFW_CF_* */

	/* -- receive sequence space -- */
	uint32_t rcv_nxt;		/* next expected */
	uint32_t rcv_adv;		/* right edge we advertised */
	uint32_t copied_seq;		/* the application read up to here */
	uint32_t rcvbuf;		/* the OS's receive buffer size */
	uint32_t segs_unacked;		/* full segments since our last ACK */
	uint32_t rcv_wup;		/* rcv_nxt when we last sent a window */
	uint32_t rcv_ssthresh;		/* the window may grow to this now
					 * (Linux's rcv_ssthresh) */
	uint32_t window_clamp;		/* TCP_WINDOW_CLAMP; never above it */

	/* -- timestamps (RFC 7323) -- */
	uint32_t ts_offset;		/* TSval = now_ms + ts_offset */
	uint32_t ts_recent;		/* peer's TSval to echo */
	uint64_t ts_recent_ms;		/* when ts_recent was taken */

	/* -- round trip (RFC 6298) -- */
	uint32_t srtt_us;		/* 0: no sample yet */
	uint32_t rttvar_us;
	uint32_t rto_ms;
	uint32_t rtt_seq;		/* timed segment without timestamps */
	uint64_t rtt_start_ms;
	uint8_t backoff;		/* RTOs in a row */
	uint8_t keep_probes;		/* keepalive or zero-window probes
					 * unanswered (Linux's probes_out) */
	uint64_t probe_start_ms;	/* first unanswered zero-window probe,
					 * for the user timeout; 0 none */
	uint64_t rexmt_start_ms;	/* first RTO of this run of backoffs,
					 * for the user timeout; 0 none */

	/* -- timers: absolute ms of the firmware clock, 0 off -- */
	uint64_t t_rexmt;
	uint64_t t_delack;
	uint64_t t_persist;
	uint64_t t_keep;
	uint64_t t_2msl;
	uint32_t keepidle_ms;		/* 0: keepalive off */
	uint32_t keepintvl_ms;		/* between keepalive probes */
	uint8_t keepcnt;		/* probes unanswered before ETIMEDOUT */
	uint32_t user_timeout_ms;	/* TCP_USER_TIMEOUT, 0: off */
	uint32_t fin_timeout_ms;	/* an orphan's FIN_WAIT2 lifetime, or
					 * CHW_FIN_TIMEOUT_RST */
	uint32_t persist_ms;		/* current persist interval */

	/* -- news for the OS -- */
	uint32_t ev_pending;		/* NFW_EV_* */
	uint16_t restore_reason;	/* CHW_RESTORE_*, with NFW_EV_RESTORE */
	uint32_t acked_unreported;	/* bytes for the next CHW_EV_ACK */
	uint64_t recv_addr;		/* placed data not yet reported */
	uint32_t recv_len;
	uint8_t recv_flags;
	uint32_t notsent_lowat;		/* CHW_CC_NOTSENT_LOWAT, 0: off */
	uint64_t sent_reported;		/* the last CHW_CC_SENT's value */
	struct nfw_conn *ev_next;	/* on fw->conn_ev_list */
	bool on_ev_list;

	/* -- send queue: a ring of pairs from snd_una on -- */
	struct nfw_send_pair *pairs;
	uint32_t pair_head;		/* ring index of the pair at snd_una */
	uint32_t pair_count;
	uint32_t pair_cap;		/* power of two */
	uint32_t pair_off;		/* bytes of pairs[head] already acked */
	uint32_t fetch_pair;		/* 1 + the pair the last fetch ended
					 * in, counted from head; 0: none */
	uint32_t fetch_seq;		/* the sequence number it starts at */
	uint32_t fetch_len;		/* its length and host address */
	uint64_t fetch_addr;
	uint32_t fetch_psh_end;		/* its end if it carries PSH, else
					 * its start (no segment ends there) */

	/* -- receive buffers and reassembly -- */
	struct nfw_rbuf rbuf[NFW_RBUFS];
	uint32_t rbuf_head;		/* the buffer being filled */
	uint32_t rbuf_count;
	uint32_t rbuf_room;		/* bytes posted, not yet written */
	struct nfw_ooo *ooo;
	uint32_t ooo_segs;
	uint32_t ooo_bytes;

	/* -- identity and route -- */
	uint32_t cid;			/* slot | generation << slot bits */
	struct nfw_conn *hnext;		/* 4-tuple hash chain */
	uint8_t v6;
	uint8_t soft_err;		/* Linux errno an ICMP error left
					 * (sk_err_soft), 0 none */
	uint32_t flowlabel;		/* IPv6: CHW_FLOWLABEL_* */
	uint8_t tos;
	uint8_t ttl;
	uint16_t ip_id;
	uint16_t mtu;
	uint16_t lport, pport;		/* host order */
	uint8_t laddr[16], paddr[16];
	uint8_t lmac[6], pmac[6];

	/* -- what every segment's headers start from (nfw_tcp_output.c) -- */
	uint8_t hdr_len;		/* 0: not built yet */
	uint8_t hdr[NFW_ETH_HLEN + 40 + 32];	/* Ethernet, IP (length and id
					 * 0), TCP: ports, option kinds */
	uint64_t hdr_sum;		/* the IPv4 header's running sum */
	uint64_t pseudo_sum;		/* the pseudo-header's, length apart */

	/* -- accounting, from the handoff on (CHW_OP_INFO) -- */
	uint32_t mem;			/* NIC memory charged */
	uint64_t last_rx_ms;		/* any segment: for idle choice,
					 * keepalive and the last ACK's age */
	uint64_t last_data_rx_ms;	/* a segment with data; 0 never */
	uint64_t last_data_tx_ms;	/* a segment with data; 0 never */
	uint64_t bytes_sent;		/* data, retransmissions too */
	uint64_t bytes_rcvd;		/* in-order data taken */
	uint64_t bytes_acked;		/* sequence space the peer acked */
	uint64_t bytes_rexmit;		/* data sent again */
	uint32_t rexmits;		/* segments sent again */
	uint32_t segs_in;		/* segments taken, pure ACKs too */
	uint32_t segs_out;		/* segments sent, every kind */
	uint32_t data_segs_in;		/* of them with data */
	uint32_t data_segs_out;
};

/* Equal IPv4 or IPv6 addresses, compared a word at a time. */
static inline bool nfw_addr_eq(const uint8_t *a, const uint8_t *b, bool v6)
{
	uint64_t x[2], y[2];
	uint32_t u, v;

	if (!v6) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return u == v;
	}
	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]));
}

/* nfw_conn.c: the table, memory, and news for the OS */
int nfw_conn_init(struct nfw *fw);
void nfw_conn_fini(struct nfw *fw);
void nfw_conn_reset_all(struct nfw *fw);
uint32_t nfw_conn_slots_free(struct nfw *fw);
struct nfw_conn *nfw_conn_alloc(struct nfw *fw, int *status);
void nfw_conn_free(struct nfw *fw, struct nfw_conn *c);
struct nfw_conn *nfw_conn_by_cid(struct nfw *fw, uint32_t cid);
struct nfw_conn *nfw_conn_lookup(struct nfw *fw, bool v6,
				 const uint8_t *laddr, const uint8_t *paddr,
				 uint16_t lport, uint16_t pport);
void nfw_conn_hash(struct nfw *fw, struct nfw_conn *c);
bool nfw_mem_charge(struct nfw *fw, struct nfw_conn *c, uint32_t bytes);
void nfw_mem_uncharge(struct nfw *fw, struct nfw_conn *c, uint32_t bytes);
/* News for the OS: c goes on the list flushed to the event ring. */
static inline void nfw_conn_news(struct nfw *fw, struct nfw_conn *c,
				 uint32_t ev)
{
	c->ev_pending |= ev;
	if (!c->on_ev_list) {
		c->on_ev_list = true;
		c->ev_next = NULL;
		*fw->ev_tail = c;
		fw->ev_tail = &c->ev_next;
	}
}
void nfw_conn_flush_events(struct nfw *fw);
bool nfw_conn_flush_one(struct nfw *fw, struct nfw_conn *c);
void nfw_resource_changed(struct nfw *fw);
void nfw_conn_close(struct nfw *fw, struct nfw_conn *c, uint32_t why);

/* nfw_tcp_input.c */
bool nfw_tcp_rx(struct nfw *fw, const uint8_t *frame, size_t len);
bool nfw_tcp_fin_wait2_orphan(struct nfw *fw, struct nfw_conn *c);

/* nfw_tcp_icmp.c */
bool nfw_tcp_icmp(struct nfw *fw, const struct nfw_pkt *pkt);
void nfw_tcp_rehash_flowlabel(struct nfw *fw, struct nfw_conn *c);
/*
 * An acceptable ACK arrived: something worked, so the soft error is
 * forgotten, as Linux's tcp_ack() clears sk_err_soft.
 */
static inline void nfw_tcp_soft_err_ack(struct nfw *fw, struct nfw_conn *c)
{
	if (__builtin_expect(c->soft_err != 0, 0)) {
		c->soft_err = 0;
		nfw_conn_news(fw, c, NFW_EV_SOFT_ERR);
	}
}

/* nfw_tcp_output.c */
void nfw_tcp_output(struct nfw *fw, struct nfw_conn *c);

/*
 * Nothing to send but perhaps an ACK: the send queue all sent (and the
 * FIN, if one is queued), and an open window (else a probe may be due).
 */
static inline bool nfw_tcp_all_sent(const struct nfw_conn *c)
{
	if (!c->snd_wnd)
		return false;
	if (c->snd_nxt == c->write_seq)
		return !(c->flags & NFW_CF_FIN_QUEUED);
	return SEQ_GT(c->snd_nxt, c->write_seq);	/* our FIN is out */
}

/*
 * Bytes of the send queue sent at least once since the handoff, as the
 * OS counts them (CHW_EV_ACK's lengths, then what is in flight): our FIN
 * is not one of them.  bytes_acked counts from the handoff too.
 */
static inline uint64_t nfw_tcp_sent_total(const struct nfw_conn *c)
{
	if (SEQ_GT(c->snd_una, c->write_seq))	/* our FIN acknowledged */
		return c->bytes_acked - 1;
	return c->bytes_acked +
	       (uint32_t)(SEQ_MIN(c->snd_max, c->write_seq) - c->snd_una);
}

/*
 * TCP_NOTSENT_LOWAT on the NIC: what the OS knows was sent lags behind
 * snd_max; report when the OS's answer to tcp_stream_memory_free(),
 * ((write_seq - snd_nxt) << wake) < lowat, would change for either
 * wake (0: sendmsg, 1: poll and the wake-up), so that nobody sleeps
 * where Linux would have woken them.  Queues CHW_CC_SENT if so.
 */
static inline bool nfw_notsent_crossed(uint64_t before, uint64_t now,
				       uint32_t lowat)
{
	return (before >= lowat && now < lowat) ||
	       ((before << 1) >= lowat && (now << 1) < lowat);
}
void nfw_tcp_sent_check(struct nfw *fw, struct nfw_conn *c, bool always);

/* Bytes of receive window the OS can take now: buffer room and posts. */
static inline uint32_t nfw_tcp_rcv_space(const struct nfw_conn *c)
{
	/* copied_seq stops in front of an unread FIN, as in Linux */
	uint32_t unread = c->rcv_nxt - c->copied_seq -
			  ((c->flags & NFW_CF_FIN_RCVD) ? 1 : 0);
	uint32_t space = c->rcvbuf > unread ? c->rcvbuf - unread : 0;

	return space < c->rbuf_room ? space : c->rbuf_room;
}

/*
 * The window we may offer now: the room there is, but no more than
 * rcv_ssthresh, which grows as data arrives (Linux's tcp_grow_window()),
 * so a handoff does not throw the whole buffer open at once.
 */
static inline uint32_t nfw_tcp_rcv_wnd(const struct nfw_conn *c)
{
	uint32_t space = nfw_tcp_rcv_space(c);

	return space < c->rcv_ssthresh ? space : c->rcv_ssthresh;
}

/*
 * In-order data arrived: the window may grow by two segments, up to the
 * buffer and the clamp, as Linux's tcp_grow_window() lets it for a peer
 * that sends full segments.
 */
static inline void nfw_tcp_grow_window(struct nfw_conn *c)
{
	if (c->rcv_ssthresh < c->rcvbuf) {
		c->rcv_ssthresh += 2u * c->mss;
		if (c->window_clamp && c->rcv_ssthresh > c->window_clamp)
			c->rcv_ssthresh = c->window_clamp;
	}
}

/*
 * Nothing to send but the send queue's last bytes, less than a segment,
 * which Nagle holds while data is in flight (RFC 896; no NODELAY, no
 * FIN behind them, less than half the peer's largest window), in an open
 * window (else a probe may be due) and with no SACK blocks to carry
 * (which shrink the segment).  nfw_tcp_output() would send nothing.
 */
static inline bool nfw_tcp_nagle_holds(const struct nfw_conn *c)
{
	uint32_t avail = c->write_seq - c->snd_nxt;

	return SEQ_GT(c->write_seq, c->snd_nxt) && avail < c->mss &&
	       c->snd_nxt != c->snd_una && c->snd_wnd && !c->ooo &&
	       !(c->flags & (NFW_CF_NODELAY | NFW_CF_FIN_QUEUED)) &&
	       avail < c->max_window / 2;
}

/* Nothing for nfw_tcp_output() to do, decided without a call. */
static inline bool nfw_tcp_quiet(const struct nfw_conn *c)
{
	return !(c->flags & NFW_CF_ACK_NOW) &&
	       (nfw_tcp_all_sent(c) || nfw_tcp_nagle_holds(c));
}
void nfw_tcp_send_ctl(struct nfw *fw, struct nfw_conn *c, uint32_t seq,
		      uint8_t tcp_flags);
void nfw_tcp_rexmit_una(struct nfw *fw, struct nfw_conn *c);
int nfw_tcp_rexmit(struct nfw *fw, struct nfw_conn *c, uint32_t seq,
		   uint32_t len);
void nfw_tcp_drop_acked(struct nfw *fw, struct nfw_conn *c, uint32_t acked);

/* nfw_tcp_sack.c */
bool nfw_sack_update(struct nfw_conn *c, const uint32_t *blk,
		     unsigned int nblk);
void nfw_sack_advance(struct nfw_conn *c);
void nfw_sack_clear(struct nfw_conn *c);
bool nfw_sack_loss_detected(const struct nfw_conn *c);
uint32_t nfw_sack_pipe(const struct nfw_conn *c);
void nfw_sack_output(struct nfw *fw, struct nfw_conn *c);

/* nfw_tcp_timer.c */
void nfw_tcp_timers(struct nfw *fw, uint64_t now);
/* Fold one RTT sample into srtt and rttvar; RTO from them (RFC 6298). */
static inline void nfw_tcp_rto_update(struct nfw_conn *c, uint32_t rtt_us)
{
	uint32_t rto;

	if (!rtt_us)
		rtt_us = 1;
	if (!c->srtt_us) {
		c->srtt_us = rtt_us;
		c->rttvar_us = rtt_us / 2;
	} else {
		uint32_t delta = c->srtt_us > rtt_us ? c->srtt_us - rtt_us :
			rtt_us - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + delta) / 4;
		c->srtt_us = (7 * c->srtt_us + rtt_us) / 8;
	}
	rto = (c->srtt_us + 4 * c->rttvar_us) / 1000;
	if (rto < NFW_RTO_MIN_MS)
		rto = NFW_RTO_MIN_MS;
	if (rto > NFW_RTO_MAX_MS)
		rto = NFW_RTO_MAX_MS;
	c->rto_ms = rto;
}
static inline uint32_t nfw_rto_backed_off(const struct nfw_conn *c)
{
	uint64_t rto = (uint64_t)c->rto_ms << c->backoff;

	return rto > NFW_RTO_MAX_MS ? NFW_RTO_MAX_MS : (uint32_t)rto;
}

static inline void nfw_tcp_arm_rexmt(struct nfw *fw, struct nfw_conn *c)
{
	c->t_rexmt = fw->now_ms + nfw_rto_backed_off(c);
}
uint64_t nfw_tcp_next_deadline(struct nfw *fw);

/* nfw_tcp_state.c */
int nfw_tcp_import(struct nfw *fw, uint64_t addr, uint32_t len,
		   struct nfw_conn **out);
int nfw_tcp_export(struct nfw *fw, struct nfw_conn *c, uint64_t addr,
		   uint32_t len, uint32_t *written);
void nfw_tcp_info(struct nfw *fw, const struct nfw_conn *c,
		  struct chw_conn_info *ci);

/*
 * nfw_pressure.c: under NIC memory pressure (free < total / LOW_DIV) ask
 * the OS to restore the idlest connections until free > total / HIGH_DIV.
 */
#define NFW_MEM_LOW_DIV		16
#define NFW_MEM_HIGH_DIV	8
#define NFW_PRESSURE_MAX_ASK	32	/* victims per evaluation */
bool nfw_pressure_low(const struct nfw *fw);
unsigned int nfw_pressure_victims(struct nfw *fw, uint32_t *slots,
				  unsigned int max);
void nfw_pressure_check(struct nfw *fw);

/* nfw_conn_cmd.c */
void nfw_conn_cmd(struct nfw *fw, uint32_t idx, const struct chw_msg *m);

#endif /* NFW_TCP_H */
