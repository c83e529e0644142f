#!/bin/sh
# The end of an offloaded connection, as on the host stack: our SHUT_WR
# (the peer reads EOF, we still receive), the peer's (we read EOF and
# still send), close with SO_LINGER 0 or with unread data (the peer gets
# ECONNRESET), with SO_LINGER N (close returns once all is delivered, or
# after N seconds), and close right after writing (the orphaned
# connection still delivers every byte, then EOF).  Every connection is
# freed at both ends: gone from /proc/net/handoff (after the NIC's
# TIME_WAIT) and from the peer's sockets.  With offload on and off.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
off0=$(hp_stat offloaded); closed0=$(hp_ended)
for mode in on off; do
	base=5900
	[ $mode = on ] || base=5950
	sc_mode $mode
	sc_run shut_wr $((base + 1))
	sc_run peer_shut $((base + 2))
	sc_run linger0 $((base + 3))
	sc_run linger $((base + 4))
	sc_run linger_timeout $((base + 5)) "" "--rcvbuf 16384"
	sc_run unread_close $((base + 6))
	sc_run orphan $((base + 7)) "" "--rcvbuf 16384"
	sc_run orphan_stream $((base + 8))
	sc_done
	# the peer closed last, or was reset: nothing of these stays there
	sc_peer_freed $((base + 1)) $((base + 3)) $((base + 4)) \
		$((base + 5)) $((base + 6)) $((base + 7)) $((base + 8))
done
sc_same
sc_freed "$off0" "$closed0" 8 5901 5902 5903 5904 5905 5906 5907 5908
bp_defaults
dmesg_check
