#!/bin/sh
# splice() from an offloaded socket to a pipe (what haproxy's splicing
# does): 1 MiB, every byte checked, and EAGAIN with SPLICE_F_NONBLOCK and
# nothing to read; the same with offload off.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
scenarios() {
	sc_run splice $((base + 1))
}
sc_on_off 6400 scenarios
dmesg_check
