/* SPDX-License-Identifier: GPL-2.0 */
/*
 * insn_mark.h - the marker instruction bench/insn_count.c (a QEMU TCG
 * plugin) answers with a snapshot of the guest's instruction count: the
 * Bochs magic breakpoint, xchg %bx,%bx, a register swap with no effect
 * that nothing else in the guest executes.  Without the plugin it costs
 * one instruction.
 */
#ifndef SELFTEST_INSN_MARK_H
#define SELFTEST_INSN_MARK_H

static inline void insn_mark(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("xchg %%bx, %%bx" ::: "memory");
#endif
}

#endif
