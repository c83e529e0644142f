#!/bin/sh
# TCP_CORK and MSG_MORE on an offloaded socket hold a short write back as
# TCP does (the NIC is told: CHW_CC_CORK, CHW_SEND_MORE): the peer sees
# nothing while corked, everything once uncorked or on the next write.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
scenarios() {
	sc_run cork $((base + 1))
}
sc_on_off 6600 scenarios
dmesg_check
