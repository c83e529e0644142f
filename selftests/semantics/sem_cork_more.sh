#!/bin/sh
# TCP_CORK and MSG_MORE on an offloaded socket hold a short write back as
# TCP does (the NIC is told: CHW_CC_CORK, CHW_SEND_MORE): the peer sees
# nothing while corked, everything once uncorked or on the next write.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
for mode in on off; do
	base=6600
	[ $mode = on ] || base=6650
	sc_mode $mode
	sc_run cork $((base + 1))
	sc_done
done
sc_same
dmesg_check
