// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_tcp_sack.c - the SACK scoreboard and loss recovery from it, after
 * RFC 6675: what the peer holds above snd_una tells which segments are
 * lost (DupThresh segments SACKed above them) and which need no resend.
 * During recovery each ACK lets out what "pipe" leaves of cwnd: first the
 * holes, in order, then new data.
 */
#include "nfw_tcp.h"

#define NFW_DUPTHRESH	3

/* Bytes the scoreboard says the peer holds above snd_una. */
static uint32_t nfw_sack_sum(const struct nfw_conn *c)
{
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < c->nsack; i++)
		sum += c->sack_r[i] - c->sack_l[i];
	return sum;
}

static void nfw_sack_remove(struct nfw_conn *c, unsigned int i)
{
	for (; i + 1 < c->nsack; i++) {
		c->sack_l[i] = c->sack_l[i + 1];
		c->sack_r[i] = c->sack_r[i + 1];
	}
	c->nsack--;
}

/* Forget what snd_una passed; trim a block it cuts. */
void nfw_sack_advance(struct nfw_conn *c)
{
	unsigned int i = 0;

	while (i < c->nsack) {
		if (SEQ_LEQ(c->sack_r[i], c->snd_una)) {
			nfw_sack_remove(c, i);
			continue;
		}
		if (SEQ_LT(c->sack_l[i], c->snd_una))
			c->sack_l[i] = c->snd_una;
		i++;
	}
	c->sacked = nfw_sack_sum(c);
	if (!c->nsack)
		c->high_sack = c->snd_una;
}

/*
 * Merge one block from the peer.  Blocks outside (snd_una, snd_max] are
 * ignored (RFC 2018 allows nothing else).  Returns true if it told us
 * something new.
 */
static bool nfw_sack_add(struct nfw_conn *c, uint32_t l, uint32_t r)
{
	unsigned int i, at;
	uint32_t before = c->sacked;

	if (!SEQ_LT(l, r) || SEQ_LEQ(r, c->snd_una) || SEQ_GT(r, c->snd_max))
		return false;
	if (SEQ_LT(l, c->snd_una))
		l = c->snd_una;
	/* swallow every block it overlaps or touches */
	for (i = 0; i < c->nsack;) {
		if (SEQ_LEQ(l, c->sack_r[i]) && SEQ_GEQ(r, c->sack_l[i])) {
			l = SEQ_MIN(l, c->sack_l[i]);
			r = SEQ_MAX(r, c->sack_r[i]);
			nfw_sack_remove(c, i);
			continue;
		}
		i++;
	}
	if (c->nsack == NFW_SACK_BLOCKS)
		return false;	/* scoreboard full: recovery still works */
	for (at = 0; at < c->nsack && SEQ_LT(c->sack_l[at], l); at++)
		;
	for (i = c->nsack; i > at; i--) {
		c->sack_l[i] = c->sack_l[i - 1];
		c->sack_r[i] = c->sack_r[i - 1];
	}
	c->sack_l[at] = l;
	c->sack_r[at] = r;
	c->nsack++;
	c->sacked = nfw_sack_sum(c);
	if (SEQ_GT(r, c->high_sack))
		c->high_sack = r;
	return c->sacked != before;
}

bool nfw_sack_update(struct nfw_conn *c, const uint32_t *blk,
		     unsigned int nblk)
{
	bool news = false;
	unsigned int i;

	for (i = 0; i < nblk; i++)
		news |= nfw_sack_add(c, blk[2 * i], blk[2 * i + 1]);
	return news;
}

void nfw_sack_clear(struct nfw_conn *c)
{
	c->nsack = 0;
	c->sacked = 0;
	c->high_sack = c->snd_una;
}

/* Is seq covered by a SACK block?  *next: where the block ends. */
static bool nfw_sack_covers(const struct nfw_conn *c, uint32_t seq,
			    uint32_t *next)
{
	unsigned int i;

	for (i = 0; i < c->nsack; i++) {
		if (SEQ_GEQ(seq, c->sack_l[i]) && SEQ_LT(seq, c->sack_r[i])) {
			*next = c->sack_r[i];
			return true;
		}
		if (SEQ_LT(seq, c->sack_l[i])) {
			*next = c->sack_l[i];	/* the hole ends here */
			return false;
		}
	}
	*next = c->high_sack;
	return false;
}

/* RFC 6675 IsLost() for the first hole: enough SACKed above it? */
bool nfw_sack_loss_detected(const struct nfw_conn *c)
{
	return c->sacked >= NFW_DUPTHRESH * (uint32_t)c->mss ||
	       c->dupacks >= NFW_DUPTHRESH;
}

/*
 * Bytes in flight as RFC 6675 counts them, simplified: what lies above the
 * highest SACKed byte, plus what recovery sent again.  The holes below it
 * are taken as lost, the SACKed blocks as arrived.
 */
uint32_t nfw_sack_pipe(const struct nfw_conn *c)
{
	uint32_t low = SEQ_MAX(c->high_sack, c->snd_una);

	return (SEQ_GT(c->snd_max, low) ? c->snd_max - low : 0) +
	       c->rexmit_out;
}

/*
 * Send what recovery allows: holes below the highest SACKed byte first,
 * then, through nfw_tcp_output(), new data.
 */
void nfw_sack_output(struct nfw *fw, struct nfw_conn *c)
{
	uint32_t pipe = nfw_sack_pipe(c);

	if (SEQ_LT(c->rexmit_nxt, c->snd_una))
		c->rexmit_nxt = c->snd_una;
	while (pipe + c->mss <= c->cwnd &&
	       SEQ_LT(c->rexmit_nxt, c->high_sack)) {
		uint32_t seq = c->rexmit_nxt, end, len;

		if (nfw_sack_covers(c, seq, &end)) {
			c->rexmit_nxt = end;
			continue;
		}
		len = end - seq;
		if (len > c->mss)
			len = c->mss;
		if (nfw_tcp_rexmit(fw, c, seq, len))
			return;
		c->rexmit_nxt = seq + len;
		c->rexmit_out += len;
		pipe += len;
	}
	nfw_tcp_output(fw, c);
}
