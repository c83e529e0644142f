#!/bin/sh
# TCP_USER_TIMEOUT 3 s on an offloaded connection: the peer vanishes with
# data in flight and the read fails with ETIMEDOUT after about 3 s, as on
# the host stack.
. /selftests/lib.sh
hnd_up
hnd_up2
bp_defaults
dmesg_mark
scenarios() {
	SC_ADDR=$GUEST_ADDR2 sc_run user_timeout $((base + 1)) "" "--link tap1"
}
sc_on_off 6800 scenarios
dmesg_check
