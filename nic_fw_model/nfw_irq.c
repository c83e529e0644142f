// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * nfw_irq.c - interrupt moderation: each vector fires once, then waits to
 * be re-armed.
 *
 * Two bit sets decide: irq_want (the vector has news) and irq_armed (the
 * host is ready for an interrupt).  Whoever takes the armed bit with an
 * atomic and-not is the one that fires, so an interrupt is neither lost
 * when news and re-arming race on two threads, nor sent twice.
 */
#include "nfw_priv.h"

static void nfw_irq_try_fire(struct nfw *fw, uint32_t vecs)
{
	uint32_t ready = vecs & nfw_load(&fw->irq_want) &
			 ~nfw_load(&fw->irq_mask);

	/*
	 * Only armed vectors can fire: while the host has not re-armed
	 * (it is still busy with the last interrupt's news) nothing is
	 * tried.  A re-arm racing with this sees our irq_want (set before
	 * this load) in its own nfw_irq_try_fire(), and fires.
	 */
	ready &= nfw_load(&fw->irq_armed);
	for (; ready; ready &= ready - 1) {
		unsigned int v = __builtin_ctz(ready);
		uint32_t bit = 1u << v;

		if (!(nfw_and(&fw->irq_armed, ~bit) & bit))
			continue;	/* not armed, or another thread fired */
		nfw_and(&fw->irq_want, ~bit);
		nfw_stat_add(fw, CHW_STAT_IRQS, 1);
		fw->ops.raise_irq(fw->opaque, v);
	}
}

/* News on the vectors in bits: note the causes, fire what is armed. */
static void nfw_irq_news(struct nfw *fw, uint32_t bits)
{
	nfw_or(&fw->irq_cause, bits);
	nfw_or(&fw->irq_want, bits);
	/* nothing armed (the host still busy with the last ones): no try */
	if (bits & nfw_load(&fw->irq_armed))
		nfw_irq_try_fire(fw, bits);
}

void nfw_irq_notify(struct nfw *fw, unsigned int vec)
{
	nfw_irq_news(fw, 1u << vec);
}

/* Re-arm vecs; a vector whose news arrived meanwhile fires now. */
void nfw_irq_arm(struct nfw *fw, uint32_t vecs)
{
	nfw_or(&fw->irq_armed, vecs);
	nfw_irq_try_fire(fw, CHW_IRQ_ALL);
}

/* The news of a run, all vectors at once. */
void nfw_irq_flush(struct nfw *fw)
{
	uint32_t batch = fw->irq_batch;

	fw->irq_batch = 0;
	if (batch)
		nfw_irq_news(fw, batch);
}
