#!/bin/sh
# MSG_ZEROCOPY on an offloaded socket: with SO_ZEROCOPY every send
# completes on the error queue (POLLERR, ids in order; the bytes were
# copied into the send ring, so SO_EE_CODE_ZEROCOPY_COPIED, as TCP says
# on a route without scatter-gather); without it, none.  Off: the same.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
zc0=$(hp_stat zerocopy_copied)
scenarios() {
	sc_run zerocopy $((base + 1))
}
sc_on_off 6500 scenarios
[ "$(hp_stat zerocopy_copied)" -eq $((zc0 + 5)) ] ||
	fail "zerocopy_copied $zc0 -> $(hp_stat zerocopy_copied), expected 5 more"
dmesg_check
