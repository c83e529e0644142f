#!/bin/sh
# Non-blocking calls on an offloaded connection behave as on the host
# stack: recv with no data gives EAGAIN (MSG_DONTWAIT, O_NONBLOCK, and
# after SO_RCVTIMEO), a short read when less is there, 0 at EOF; a write
# into a full send buffer is partial, then EAGAIN; SO_SNDBUF (inherited
# from the listener, then raised) bounds what is queued; writes resume
# once the peer reads, every byte arriving.  With offload on and off.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
off0=$(hp_stat offloaded); closed0=$(hp_ended)
for mode in on off; do
	base=5800
	[ $mode = on ] || base=5850
	sc_mode $mode
	sc_run nb_recv $((base + 1))
	sc_run nb_send $((base + 2)) "--sndbuf 32768" "--rcvbuf 16384"
	sc_done
done
sc_same
sc_freed "$off0" "$closed0" 2 5801 5802
bp_defaults
dmesg_check
