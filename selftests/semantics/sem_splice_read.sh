#!/bin/sh
# splice() from an offloaded socket to a pipe (what haproxy's splicing
# does): 1 MiB, every byte checked, and EAGAIN with SPLICE_F_NONBLOCK and
# nothing to read; the same with offload off.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
for mode in on off; do
	base=6400
	[ $mode = on ] || base=6450
	sc_mode $mode
	sc_run splice $((base + 1))
	sc_done
done
sc_same
dmesg_check
