// SPDX-License-Identifier: GPL-2.0
/*
 * bp_buf.c - an offloaded connection's two rings in host memory.
 *
 * Receive: rx_nr chunks, all posted to the NIC at handoff.  The NIC fills
 * them in order and reports each piece with CHW_EV_RECV; a chunk the
 * application has read to its end is posted again.  Bytes the application
 * read are returned with one CHW_OP_RECVD per batch, which is what opens
 * the NIC's advertised window.
 *
 * Send: chunks allocated as the application writes and freed when the
 * peer has acknowledged all of a chunk.  A chunk is reused only once all
 * of its previous bytes were acknowledged, so the NIC may read any byte
 * it was given until CHW_EV_ACK covers it (Section 3.2: data is fetched
 * at transmission, never copied to the NIC ahead of time).
 *
 * All of it runs under the socket lock (or with it held by bottom halves
 * while no user owns the socket).
 */
#include "bp.h"

static struct device *bp_dev(const struct bp_conn *bc)
{
	return &bc->bn->hd->pdev->dev;
}

static int bp_chunk_alloc(struct bp_conn *bc, struct bp_chunk *ch,
			  enum dma_data_direction dir, gfp_t gfp)
{
	ch->page = alloc_pages(gfp | __GFP_NOWARN, BP_CHUNK_ORDER);
	if (!ch->page)
		return -ENOMEM;
	ch->dma = dma_map_page(bp_dev(bc), ch->page, 0, BP_CHUNK, dir);
	if (dma_mapping_error(bp_dev(bc), ch->dma)) {
		__free_pages(ch->page, BP_CHUNK_ORDER);
		ch->page = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void bp_chunk_free(struct bp_conn *bc, struct bp_chunk *ch,
			  enum dma_data_direction dir)
{
	if (!ch->page)
		return;
	dma_unmap_page(bp_dev(bc), ch->dma, BP_CHUNK, dir);
	__free_pages(ch->page, BP_CHUNK_ORDER);
	ch->page = NULL;
}

int bp_rx_alloc(struct bp_conn *bc, u32 bytes)
{
	u32 i;

	bc->rx_nr = clamp_t(u32, bytes / BP_CHUNK, BP_RX_MIN_CHUNKS,
			    BP_RX_MAX_CHUNKS);
	for (i = 0; i < bc->rx_nr; i++)
		if (bp_chunk_alloc(bc, &bc->rx[i], DMA_FROM_DEVICE,
				   GFP_KERNEL))
			return -ENOMEM;
	return 0;
}

/* Make sure the send chunk holding byte pos exists. */
int bp_tx_chunk(struct bp_conn *bc, u64 pos)
{
	struct bp_chunk *ch = &bc->tx[(pos / BP_CHUNK) % bc->tx_nr];

	if (ch->page)
		return 0;
	return bp_chunk_alloc(bc, ch, DMA_TO_DEVICE, GFP_KERNEL);
}

void bp_bufs_free(struct bp_conn *bc)
{
	u32 i;

	for (i = 0; i < BP_MAX_CHUNKS; i++) {
		bp_chunk_free(bc, &bc->rx[i], DMA_FROM_DEVICE);
		bp_chunk_free(bc, &bc->tx[i], DMA_TO_DEVICE);
	}
	kvfree(bc->pre);
	bc->pre = NULL;
}

/*
 * The NIC is going away: keep the bytes still to be read in memory of our
 * own (they are read first, as pre-handoff data is) and let go of every
 * DMA mapping while the device still exists.  Under the socket lock.
 */
int bp_bufs_detach(struct bp_conn *bc)
{
	u32 avail = bp_rx_avail(bc), i;
	int err = 0;
	u8 *buf;

	if (avail > bc->pre_len - bc->pre_off) {
		struct kvec kv;
		struct iov_iter it;

		buf = kvmalloc(avail, GFP_KERNEL);
		if (buf) {
			kv.iov_base = buf;
			kv.iov_len = avail;
			iov_iter_kvec(&it, ITER_DEST, &kv, 1, avail);
			bp_rx_copy(bc, &it, 0, avail);
			kvfree(bc->pre);
			bc->pre = buf;
			bc->pre_len = avail;
			bc->pre_off = 0;
		} else {
			err = -ENOMEM;	/* the unread bytes are lost */
		}
		bc->rx_read = bc->rx_recv;
	}
	for (i = 0; i < BP_MAX_CHUNKS; i++) {
		bp_chunk_free(bc, &bc->rx[i], DMA_FROM_DEVICE);
		bp_chunk_free(bc, &bc->tx[i], DMA_TO_DEVICE);
	}
	return err;
}

/* ---- receive ------------------------------------------------------------- */

/*
 * Copy len unread bytes, starting off bytes past the first unread one,
 * to the application.  Returns the bytes copied (short on a fault).
 */
u32 bp_rx_copy(struct bp_conn *bc, struct iov_iter *to, u32 off, u32 len)
{
	u32 done = 0;

	while (done < len) {
		u32 pre = bc->pre_len - bc->pre_off, n, got;
		const u8 *src;

		if (off < pre) {
			src = bc->pre + bc->pre_off + off;
			n = min(len - done, pre - off);
		} else {
			u64 pos = bc->rx_read + (off - pre);
			const struct bp_chunk *ch =
				&bc->rx[(pos / BP_CHUNK) % bc->rx_nr];

			src = page_address(ch->page) + pos % BP_CHUNK;
			n = min_t(u32, len - done, BP_CHUNK - pos % BP_CHUNK);
		}
		got = copy_to_iter(src, n, to);
		done += got;
		off += got;
		if (got != n)
			break;
	}
	return done;
}

void bp_rx_consume(struct bp_conn *bc, u32 len)
{
	u32 pre = min(len, bc->pre_len - bc->pre_off);

	bc->pre_off += pre;
	if (bc->pre && bc->pre_off == bc->pre_len) {
		kvfree(bc->pre);
		bc->pre = NULL;
		bc->pre_len = bc->pre_off = 0;
	}
	bc->rx_read += len - pre;
	bc->rx_unacked += len;
}

/*
 * Tell the NIC what the application read (RECVD) and give back the
 * chunks it read to their end (POST).  What the command ring cannot take
 * now stays counted and goes with the next call.
 */
void bp_rx_return(struct bp_conn *bc)
{
	struct chw_msg m[1 + BP_RX_MAX_CHUNKS];
	unsigned int n = 0, posted = 0;
	u64 cap = (u64)bc->rx_nr * BP_CHUNK, posted_to = bc->rx_posted;

	if (bc->flags & (BP_F_NIC_FREED | BP_F_RESTORING))
		return;
	if (bc->rx_unacked) {
		struct chw_cmd_recvd *r = (void *)&m[n++];

		memset(r, 0, sizeof(*r));
		r->op = CHW_OP_RECVD;
		r->cid = cpu_to_le32(bc->cid);
		r->len = cpu_to_le64(bc->rx_unacked);
	}
	while (posted_to + BP_CHUNK - bc->rx_read <= cap) {
		const struct bp_chunk *ch =
			&bc->rx[(posted_to / BP_CHUNK) % bc->rx_nr];
		struct chw_cmd_post *p = (void *)&m[n++];

		memset(p, 0, sizeof(*p));
		p->op = CHW_OP_POST;
		p->cid = cpu_to_le32(bc->cid);
		p->len = cpu_to_le16(BP_CHUNK);
		p->addr = cpu_to_le64(ch->dma);
		posted_to += BP_CHUNK;
	}
	if (!n)
		return;
	bp_cmds_post(bc->bn, m, n, &posted);
	if (posted && bc->rx_unacked) {
		bc->rx_unacked = 0;
		posted--;
	}
	bc->rx_posted += (u64)posted * BP_CHUNK;
}

/* ---- send ---------------------------------------------------------------- */

/*
 * Bytes the application may write now: a chunk is reused only when all
 * of its previous bytes were acknowledged, and SO_SNDBUF still counts.
 */
u32 bp_tx_space(const struct bp_conn *bc)
{
	const struct sock *sk = bc->sk;
	u64 cap = (u64)bc->tx_nr * BP_CHUNK;
	u64 used = bc->tx_written - round_down(bc->tx_acked, BP_CHUNK);

	if (READ_ONCE(sk->sk_wmem_queued) >= READ_ONCE(sk->sk_sndbuf) ||
	    used >= cap)
		return 0;
	return min_t(u64, cap - used,
		     READ_ONCE(sk->sk_sndbuf) - READ_ONCE(sk->sk_wmem_queued));
}

/*
 * tcp_stream_memory_free()'s TCP_NOTSENT_LOWAT test, ((write_seq -
 * snd_nxt) << wake) < tcp_notsent_lowat(), with snd_nxt what the NIC
 * reported sent (CHW_CC_SENT, while it has the threshold) or, past it,
 * acknowledged.  Our FIN is in neither count.
 */
bool bp_tx_notsent_ok(const struct sock *sk, const struct bp_conn *bc,
		      int wake)
{
	u32 notsent = bc->tx_written - max(READ_ONCE(bc->tx_sent),
					   READ_ONCE(bc->tx_acked));

	return (notsent << wake) < tcp_notsent_lowat(tcp_sk(sk));
}

/*
 * Give the NIC what was written and not yet sent, one SEND per piece
 * within a chunk, as many as its send slots allow.  The SEND that ends
 * where an application's write ended (tx_psh_at) carries PSH, as
 * tcp_push() marks it; more (CHW_SEND_MORE) on the last one: the writer
 * said MSG_MORE, hold a short tail back this once.
 */
void bp_tx_push(struct bp_conn *bc, u8 more)
{
	struct chw_msg m[16];
	u32 lens[16];
	unsigned int n = 0, posted = 0, i;
	u64 pos = bc->tx_posted;

	if (bc->flags & (BP_F_NIC_FREED | BP_F_RESTORING))
		return;
	while (pos < bc->tx_written && n < ARRAY_SIZE(m) &&
	       bc->send_count + n < CHW_CONN_SEND_SLOTS) {
		const struct bp_chunk *ch = &bc->tx[(pos / BP_CHUNK) % bc->tx_nr];
		u32 off = pos % BP_CHUNK;
		u32 len = min_t(u64, BP_CHUNK - off, bc->tx_written - pos);
		struct chw_cmd_send *s = (void *)&m[n];

		memset(s, 0, sizeof(*s));
		s->op = CHW_OP_SEND;
		s->cid = cpu_to_le32(bc->cid);
		s->len = cpu_to_le16(len);
		s->addr = cpu_to_le64(ch->dma + off);
		lens[n++] = len;
		pos += len;
		if (pos == bc->tx_psh_at)
			s->flags |= CHW_SEND_PSH;
	}
	/* the rest waits in the ring for an ACK to free a slot, never lost */
	if (pos < bc->tx_written && bc->send_count + n >= CHW_CONN_SEND_SLOTS)
		bp_count(BP_C_SEND_SLOTS_FULL);
	if (!n)
		goto fin;
	if (pos == bc->tx_written)
		m[n - 1].flags |= more;
	bp_cmds_post(bc->bn, m, n, &posted);
	for (i = 0; i < posted; i++) {
		bc->sends[(bc->send_head + bc->send_count) %
			  CHW_CONN_SEND_SLOTS] = lens[i];
		bc->send_count++;
		bc->tx_posted += lens[i];
	}
	/* more than one batch: go on while the ring takes them */
	if (posted == ARRAY_SIZE(m) && bc->tx_posted < bc->tx_written) {
		bp_tx_push(bc, more);
		return;
	}
fin:
	/* the FIN goes behind the last byte, never before it */
	if (bc->fin_code && bc->tx_posted == bc->tx_written) {
		struct chw_cmd_ctrl c = {
			.op = CHW_OP_CTRL,
			.code = cpu_to_le16(bc->fin_code),
			.cid = cpu_to_le32(bc->cid),
		};

		bp_cmds_post(bc->bn, (struct chw_msg *)&c, 1, &posted);
		if (posted)
			bc->fin_code = 0;
	}
}

/*
 * The peer acknowledged len more bytes: free the SEND slots they cover
 * and the chunks now wholly acknowledged.
 */
void bp_tx_acked(struct bp_conn *bc, u32 len)
{
	u64 old = bc->tx_acked, pos;

	bc->tx_acked += len;
	sk_wmem_queued_add(bc->sk, -(int)len);
	bc->send_acked += len;
	while (bc->send_count && bc->send_acked >= bc->sends[bc->send_head]) {
		bc->send_acked -= bc->sends[bc->send_head];
		bc->send_head = (bc->send_head + 1) % CHW_CONN_SEND_SLOTS;
		bc->send_count--;
	}
	for (pos = round_down(old, BP_CHUNK);
	     pos + BP_CHUNK <= bc->tx_acked; pos += BP_CHUNK) {
		/* the chunk may hold the writer's next bytes: keep it */
		if (pos + BP_CHUNK > bc->tx_written ||
		    pos / BP_CHUNK % bc->tx_nr ==
		    bc->tx_written / BP_CHUNK % bc->tx_nr)
			continue;
		bp_chunk_free(bc, &bc->tx[(pos / BP_CHUNK) % bc->tx_nr],
			      DMA_TO_DEVICE);
	}
}
