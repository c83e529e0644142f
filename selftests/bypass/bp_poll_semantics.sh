#!/bin/sh
# select, poll and epoll on an offloaded connection say what they say on
# the host stack: writable when idle, readable with data (and only at
# SO_RCVLOWAT), not writable with a full send buffer and writable again
# when the peer reads, RDHUP and EOF at the peer's FIN, HUP when both
# directions are shut, ERR and HUP at a RST (the error taken once, by
# SO_ERROR, by a read or a write sleeping when it comes).  Waits sleep in
# each of them, so their wakeups are tested too.  Every scenario runs
# with offload on and off.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
off0=$(hp_stat offloaded); closed0=$(hp_ended)
for mode in on off; do
	base=5700
	[ $mode = on ] || base=5750
	sc_mode $mode
	sc_run poll_data $((base + 1)) "" "--rcvbuf 16384"
	sc_run poll_reset $((base + 2))
	sc_run reset_read $((base + 3))
	sc_run reset_write $((base + 4)) "" "--rcvbuf 16384"
	sc_done
done
sc_same
sc_freed "$off0" "$closed0" 4 5701 5702 5703 5704
bp_defaults
dmesg_check
