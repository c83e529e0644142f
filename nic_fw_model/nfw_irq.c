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
	unsigned int v;

	for (v = 0; v < CHW_NUM_VECTORS; v++) {
		uint32_t bit = 1u << v;

		if (!(ready & bit))
			continue;
		if (!(nfw_and(&fw->irq_armed, ~bit) & bit))
			continue;	/* not armed, or another thread fired */
		nfw_and(&fw->irq_want, ~bit);
		nfw_stat_add(fw, CHW_STAT_IRQS, 1);
		fw->ops.raise_irq(fw->opaque, v);
	}
}

void nfw_irq_notify(struct nfw *fw, unsigned int vec)
{
	uint32_t bit = 1u << vec;

	nfw_or(&fw->irq_cause, bit);
	nfw_or(&fw->irq_want, bit);
	nfw_irq_try_fire(fw, bit);
}

/* Re-arm vecs; a vector whose news arrived meanwhile fires now. */
void nfw_irq_arm(struct nfw *fw, uint32_t vecs)
{
	nfw_or(&fw->irq_armed, vecs);
	nfw_irq_try_fire(fw, CHW_IRQ_ALL);
}

void nfw_irq_flush(struct nfw *fw)
{
	uint32_t batch = fw->irq_batch;
	unsigned int v;

	fw->irq_batch = 0;
	for (v = 0; v < CHW_NUM_VECTORS; v++)
		if (batch & (1u << v))
			nfw_irq_notify(fw, v);
}
