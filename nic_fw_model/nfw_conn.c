// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_conn.c - the table of offloaded connections, the NIC memory budget,
 * and the news each connection owes the OS.
 *
 * Connections live in a fixed array indexed by the slot bits of their id;
 * the id's top bits are the slot's generation, bumped at every free, so a
 * stale id is refused.  A 4-tuple hash sends frames from the wire to their
 * connection.  Everything a connection holds (its control block, its send
 * pairs, its out-of-order segments) is charged to one budget, the NIC's
 * memory, which the OS learns through CHW_EV_RESOURCE.
 */
#include <stdlib.h>

#include "nfw_tcp.h"

#define NFW_GEN_MASK	((1u << (32 - CHW_CID_SLOT_BITS)) - 1)

int nfw_conn_init(struct nfw *fw)
{
	uint32_t n = fw->cfg.max_conns, buckets = 1, i;

	while (buckets < 2 * n)
		buckets <<= 1;
	fw->conns = calloc(n, sizeof(*fw->conns));
	fw->gen = calloc(n, sizeof(*fw->gen));
	fw->free_slot = calloc(n, sizeof(*fw->free_slot));
	fw->hash = calloc(buckets, sizeof(*fw->hash));
	fw->pkt = malloc(NFW_ETH_HLEN + 4 + 60 + 60 + 65536);
	if (!fw->conns || !fw->gen || !fw->free_slot || !fw->hash || !fw->pkt)
		return -1;
	fw->hash_mask = buckets - 1;
	fw->mem_total = (uint64_t)fw->cfg.nic_mem_kb * 1024;
	for (i = 0; i < n; i++)
		fw->gen[i] = 1;
	nfw_conn_reset_all(fw);
	return 0;
}

void nfw_conn_fini(struct nfw *fw)
{
	if (fw->conns)
		nfw_conn_reset_all(fw);
	free(fw->conns);
	free(fw->gen);
	free(fw->free_slot);
	free(fw->hash);
	free(fw->pkt);
}

static void nfw_conn_release(struct nfw_conn *c)
{
	struct nfw_ooo *o, *next;

	for (o = c->ooo; o; o = next) {
		next = o->next;
		free(o);
	}
	free(c->pairs);
}

/* Forget every connection (device reset): nothing is reported. */
void nfw_conn_reset_all(struct nfw *fw)
{
	uint32_t i, n = fw->cfg.max_conns;

	for (i = 0; i < n; i++) {
		struct nfw_conn *c = &fw->conns[i];

		if (c->state) {
			nfw_conn_release(c);
			fw->gen[i] = (fw->gen[i] + 1) & NFW_GEN_MASK;
		}
		memset(c, 0, sizeof(*c));
	}
	for (i = 0; i < n; i++)
		fw->free_slot[i] = n - 1 - i;
	fw->nfree = n;
	memset(fw->hash, 0, (fw->hash_mask + 1) * sizeof(*fw->hash));
	fw->mem_used = 0;
	fw->ev_list = NULL;
	fw->ev_tail = &fw->ev_list;
	fw->res_dirty = false;
}

bool nfw_mem_charge(struct nfw *fw, struct nfw_conn *c, uint32_t bytes)
{
	if (fw->mem_used + bytes > fw->mem_total)
		return false;
	fw->mem_used += bytes;
	c->mem += bytes;
	return true;
}

void nfw_mem_uncharge(struct nfw *fw, struct nfw_conn *c, uint32_t bytes)
{
	fw->mem_used -= bytes;
	c->mem -= bytes;
}

/* Slots a handoff may take: the free ones, within CHW_REG_CONN_LIMIT. */
uint32_t nfw_conn_slots_free(struct nfw *fw)
{
	uint32_t limit = nfw_load(&fw->conn_limit_reg);
	uint32_t live = fw->cfg.max_conns - fw->nfree;

	if (!limit || limit >= fw->cfg.max_conns)
		return fw->nfree;
	return live >= limit ? 0 : limit - live;
}

/* A free slot with its memory charged, or NULL with a CHW_ST_* status. */
struct nfw_conn *nfw_conn_alloc(struct nfw *fw, int *status)
{
	struct nfw_conn *c;
	uint32_t slot;

	if (!nfw_conn_slots_free(fw)) {
		*status = CHW_ST_NO_CONN;
		fw->res_dirty = true;	/* the OS's view was stale */
		return NULL;
	}
	if (fw->mem_used + NFW_CONN_COST > fw->mem_total) {
		*status = CHW_ST_NO_MEM;
		return NULL;
	}
	slot = fw->free_slot[--fw->nfree];
	c = &fw->conns[slot];
	memset(c, 0, sizeof(*c));
	c->cid = slot | (uint32_t)fw->gen[slot] << CHW_CID_SLOT_BITS;
	nfw_mem_charge(fw, c, sizeof(*c));
	fw->res_dirty = true;
	return c;
}

/*
 * Every frame from the wire is hashed, so the hash takes the addresses a
 * word at a time (a multiplicative mix per word) rather than byte by byte.
 */
static uint32_t nfw_hash_tuple(bool v6, const uint8_t *laddr,
			       const uint8_t *paddr, uint16_t lport,
			       uint16_t pport)
{
	uint32_t h = (uint32_t)lport << 16 | pport, l, p;
	unsigned int i, n = v6 ? 16 : 4;

	for (i = 0; i < n; i += 4) {
		memcpy(&l, laddr + i, 4);
		memcpy(&p, paddr + i, 4);
		h = (h ^ l) * 0x9e3779b1u;
		h = (h ^ p) * 0x85ebca6bu;
	}
	return h ^ (h >> 15);
}

static struct nfw_conn **nfw_bucket(struct nfw *fw, const struct nfw_conn *c)
{
	return &fw->hash[nfw_hash_tuple(c->v6, c->laddr, c->paddr, c->lport,
					c->pport) & fw->hash_mask];
}

void nfw_conn_hash(struct nfw *fw, struct nfw_conn *c)
{
	struct nfw_conn **b = nfw_bucket(fw, c);

	c->hnext = *b;
	*b = c;
}

static void nfw_conn_unhash(struct nfw *fw, struct nfw_conn *c)
{
	struct nfw_conn **p;

	for (p = nfw_bucket(fw, c); *p; p = &(*p)->hnext) {
		if (*p == c) {
			*p = c->hnext;
			return;
		}
	}
}

struct nfw_conn *nfw_conn_lookup(struct nfw *fw, bool v6,
				 const uint8_t *laddr, const uint8_t *paddr,
				 uint16_t lport, uint16_t pport)
{
	struct nfw_conn *c;

	c = fw->hash[nfw_hash_tuple(v6, laddr, paddr, lport, pport) &
		     fw->hash_mask];
	for (; c; c = c->hnext)
		if (c->lport == lport && c->pport == pport && c->v6 == v6 &&
		    nfw_addr_eq(c->laddr, laddr, v6) &&
		    nfw_addr_eq(c->paddr, paddr, v6))
			return c;
	return NULL;
}

/* The live connection named by cid, or NULL if unknown or stale. */
struct nfw_conn *nfw_conn_by_cid(struct nfw *fw, uint32_t cid)
{
	uint32_t slot = CHW_CID_SLOT(cid);
	struct nfw_conn *c;

	if (slot >= fw->cfg.max_conns)
		return NULL;
	c = &fw->conns[slot];
	if (c->cid != cid || !c->state || c->state == NFW_TCPS_CLOSED)
		return NULL;
	return c;
}

static void nfw_conn_ev_unlink(struct nfw *fw, struct nfw_conn *c)
{
	struct nfw_conn **p, *prev = NULL;

	for (p = &fw->ev_list; *p; prev = *p, p = &(*p)->ev_next) {
		if (*p != c)
			continue;
		*p = c->ev_next;
		if (fw->ev_tail == &c->ev_next)
			fw->ev_tail = prev ? &prev->ev_next : &fw->ev_list;
		break;
	}
	c->on_ev_list = false;
}

/* Return a slot; its id's generation moves on. */
void nfw_conn_free(struct nfw *fw, struct nfw_conn *c)
{
	uint32_t slot = CHW_CID_SLOT(c->cid);

	if (c->on_ev_list)
		nfw_conn_ev_unlink(fw, c);

	if (c->state != NFW_TCPS_CLOSED)
		nfw_conn_unhash(fw, c);
	nfw_conn_release(c);
	fw->mem_used -= c->mem;
	fw->gen[slot] = (fw->gen[slot] + 1) & NFW_GEN_MASK;
	if (!fw->gen[slot])
		fw->gen[slot] = 1;
	memset(c, 0, sizeof(*c));
	fw->free_slot[fw->nfree++] = slot;
	fw->res_dirty = true;
}

/*
 * The connection is over (peer reset, timeout, orderly close done, or the
 * OS aborted): stop it now, tell the OS why and that it is freed, and
 * return its memory.  The slot itself is returned once FREED is posted.
 */
void nfw_conn_close(struct nfw *fw, struct nfw_conn *c, uint32_t why)
{
	struct nfw_ooo *o, *next;

	nfw_conn_unhash(fw, c);
	c->state = NFW_TCPS_CLOSED;
	c->t_rexmt = c->t_delack = c->t_persist = c->t_keep = c->t_2msl = 0;
	for (o = c->ooo; o; o = next) {
		next = o->next;
		nfw_mem_uncharge(fw, c, sizeof(*o) + o->len);
		free(o);
	}
	c->ooo = NULL;
	c->ooo_segs = c->ooo_bytes = 0;
	nfw_conn_news(fw, c, why | NFW_EV_FREED);
}

static bool nfw_post_ctrl_value(struct nfw *fw, struct nfw_conn *c,
				uint16_t code, uint64_t value)
{
	struct chw_ev_ctrl ev = {
		.op = CHW_EV_CTRL,
		.code = htole16(code),
		.cid = htole32(c->cid),
		.value = htole64(value),
	};

	return nfw_ev_post(fw, &ev);
}

static bool nfw_post_ctrl(struct nfw *fw, struct nfw_conn *c, uint16_t code)
{
	return nfw_post_ctrl_value(fw, c, code, 0);
}

/*
 * The first of c's news: data received, bytes acknowledged, then sent
 * (CHW_CC_SENT; all the
 * news of a transfer, flushed by nfw_conn_flush_events() without the
 * rest of the walk).  Returns false if the event ring filled first.
 */
static inline __attribute__((always_inline)) bool
nfw_conn_flush_data(struct nfw *fw, struct nfw_conn *c)
{
	if ((c->ev_pending & NFW_EV_RECV) && c->recv_len) {
		struct chw_ev_recv ev = {
			.op = CHW_EV_RECV,
			.flags = c->recv_flags,
			.len = htole16(c->recv_len),
			.cid = htole32(c->cid),
			.addr = htole64(c->recv_addr),
		};

		if (!nfw_ev_post(fw, &ev))
			return false;
		c->recv_len = 0;
		c->recv_flags = 0;
	}
	c->ev_pending &= ~NFW_EV_RECV;
	if ((c->ev_pending & NFW_EV_ACK) && c->acked_unreported) {
		struct chw_ev_ack ev = {
			.op = CHW_EV_ACK,
			.cid = htole32(c->cid),
			.len = htole64(c->acked_unreported),
		};

		if (!nfw_ev_post(fw, &ev))
			return false;
		c->acked_unreported = 0;
	}
	c->ev_pending &= ~NFW_EV_ACK;
	if ((c->ev_pending & NFW_EV_SENT) &&
	    !nfw_post_ctrl_value(fw, c, CHW_CC_SENT, c->sent_reported))
		return false;
	c->ev_pending &= ~NFW_EV_SENT;
	return true;
}

/*
 * Post what c owes the OS, in causal order: data, acknowledgements, end of
 * stream, errors, and last the end of the connection.  Returns false if
 * the event ring filled first; the rest stays pending.
 */
bool nfw_conn_flush_one(struct nfw *fw, struct nfw_conn *c)
{
	if (!nfw_conn_flush_data(fw, c))
		return false;
	if (c->ev_pending & NFW_EV_PEER_FIN) {
		if (!nfw_post_ctrl(fw, c, CHW_CC_PEER_FIN))
			return false;
		c->ev_pending &= ~NFW_EV_PEER_FIN;
	}
	/* before a timeout, which reports the soft error */
	if (c->ev_pending & NFW_EV_SOFT_ERR) {
		if (!nfw_post_ctrl_value(fw, c, CHW_CC_SOFT_ERR, c->soft_err))
			return false;
		c->ev_pending &= ~NFW_EV_SOFT_ERR;
	}
	if (c->ev_pending & NFW_EV_PMTU) {
		if (!nfw_post_ctrl_value(fw, c, CHW_CC_PMTU, c->mtu))
			return false;
		c->ev_pending &= ~NFW_EV_PMTU;
	}
	if (c->ev_pending & NFW_EV_RESET) {
		if (!nfw_post_ctrl(fw, c, CHW_CC_RESET))
			return false;
		c->ev_pending &= ~NFW_EV_RESET;
	}
	if (c->ev_pending & NFW_EV_TIMEDOUT) {
		if (!nfw_post_ctrl_value(fw, c, CHW_CC_TIMEDOUT, c->soft_err))
			return false;
		c->ev_pending &= ~NFW_EV_TIMEDOUT;
	}
	if ((c->ev_pending & NFW_EV_RESTORE) &&
	    !(c->ev_pending & NFW_EV_FREED)) {
		struct chw_ev_restore ev = {
			.op = CHW_EV_RESTORE,
			.reason = htole16(c->restore_reason),
			.cid = htole32(c->cid),
		};

		if (!nfw_ev_post(fw, &ev))
			return false;
	}
	c->ev_pending &= ~NFW_EV_RESTORE;
	if (c->ev_pending & NFW_EV_FREED) {
		if (!nfw_post_ctrl(fw, c, CHW_CC_FREED))
			return false;
		c->ev_pending = 0;
		nfw_conn_free(fw, c);
		return true;
	}
	return true;
}

/* Post the pending news of every connection, oldest first. */
void nfw_conn_flush_events(struct nfw *fw)
{
	nfw_pressure_check(fw);
	while (fw->ev_list) {
		struct nfw_conn *c = fw->ev_list;
		struct nfw_conn *next = c->ev_next;	/* c may be freed */

		/* data and acknowledgements, the news of a transfer, here */
		if (!(c->ev_pending & ~(NFW_EV_RECV | NFW_EV_ACK |
					NFW_EV_SENT))) {
			if (!nfw_conn_flush_data(fw, c))
				break;
		} else if (!nfw_conn_flush_one(fw, c)) {
			break;
		}
		if (c->state)
			c->on_ev_list = false;
		fw->ev_list = next;
		if (!next)
			fw->ev_tail = &fw->ev_list;
	}
	if (fw->res_dirty)
		nfw_resource_changed(fw);
}

/* Tell the OS what the NIC can still take (ch_os_resource). */
void nfw_resource_changed(struct nfw *fw)
{
	uint64_t free_mem = fw->mem_total - fw->mem_used;
	uint64_t by_mem = free_mem / NFW_CONN_COST;
	uint32_t slots = nfw_conn_slots_free(fw);
	struct chw_ev_resource ev = {
		.op = CHW_EV_RESOURCE,
		.free_conns = htole32(by_mem < slots ? by_mem : slots),
		.free_send = htole32(free_mem / sizeof(struct nfw_send_pair) >
				     UINT32_MAX ? UINT32_MAX :
				     free_mem / sizeof(struct nfw_send_pair)),
		.free_mem_kb = htole32(free_mem / 1024),
	};

	if (nfw_ev_space(fw) && nfw_ev_post(fw, &ev))
		fw->res_dirty = false;
}
