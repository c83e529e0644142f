#!/bin/sh
# Keepalive on an offloaded connection (1 s idle, probes 1 s apart, 3 of
# them, carried to the NIC): the peer vanishes (its link down, the data
# connection on the second NIC) and the read fails with ETIMEDOUT after
# about 4 s, as on the host stack.
. /selftests/lib.sh
hnd_up
hnd_up2
bp_defaults
dmesg_mark
scenarios() {
	SC_ADDR=$GUEST_ADDR2 sc_run keepalive $((base + 1)) "" "--link tap1"
}
sc_on_off 6700 scenarios
dmesg_check
