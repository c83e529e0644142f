// SPDX-License-Identifier: GPL-2.0
/*
 * insn_mark - execute the instruction-count marker once (insn_mark.h), for
 * a shell script that delimits a benchmark phase.  The plugin numbers the
 * snapshots in the order they happen.  The phase then also holds the end
 * of one insn_mark process and the start of the next: measure that with
 * two insn_mark in a row and subtract it.
 */
#include "insn_mark.h"

int main(void)
{
	insn_mark();
	return 0;
}
