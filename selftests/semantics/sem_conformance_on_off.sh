#!/bin/sh
# Every sockcheck scenario, one connection each, with offload on and then
# off: readiness, non-blocking calls, half-closes, linger and resets
# (sc_basic.c), and peeking, MSG_WAITALL four times past the receive
# ring, MSG_TRUNC, SIOCINQ/OUTQ/OUTQNSD, SO_RCVLOWAT with SO_RCVTIMEO, a
# slow reader into zero windows, options, TCP_NOTSENT_LOWAT, cork,
# TCP_INFO, urgent data both ways, zero-copy completions and splice
# (sc_sem.c).  Both runs
# pass the same checks, word for word; the on run offloaded every
# connection (the ones only TCP can serve come back to it first).
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
off0=$(hp_stat offloaded); closed0=$(hp_ended)
SLOW="--rcvbuf 16384"
scenarios() {
	sc_run poll_data $((base + 1)) "" "$SLOW"
	sc_run poll_reset $((base + 2))
	sc_run reset_read $((base + 3))
	sc_run reset_write $((base + 4)) "" "$SLOW"
	sc_run nb_recv $((base + 5))
	sc_run nb_send $((base + 6)) "--sndbuf 32768" "$SLOW"
	sc_run shut_wr $((base + 7))
	sc_run peer_shut $((base + 8))
	sc_run linger0 $((base + 9))
	sc_run linger $((base + 10))
	sc_run linger_timeout $((base + 11)) "" "$SLOW"
	sc_run unread_close $((base + 12))
	sc_run orphan $((base + 13)) "" "$SLOW"
	sc_run orphan_stream $((base + 14))
	sc_run peek $((base + 15))
	sc_run waitall $((base + 16))
	sc_run trunc $((base + 17))
	sc_run queues $((base + 18)) "" "$SLOW"
	sc_run lowat_timeo $((base + 19))
	sc_run zero_window $((base + 20))
	sc_run options $((base + 21))
	sc_run opts_restore $((base + 22))
	sc_run cork $((base + 23))
	sc_run tcp_info $((base + 24)) "--presend 3000" "--presend 3000"
	sc_run urgent_in $((base + 25))
	sc_run urgent_out $((base + 26))
	sc_run zerocopy $((base + 27))
	sc_run splice $((base + 28))
	sc_run tx_timestamp $((base + 29))
	sc_run notsent_lowat $((base + 30)) "" "$SLOW"
}
sc_on_off 6100 scenarios
n=$(wc -l </tmp/sc_checks.on)
[ "$n" -ge 40 ] || fail "only $n checks"
grep -E '^(restored_call|restore_asked_urgent|zerocopy_copied|command_stale|command_errors) ' /proc/net/handoff
bp_defaults
dmesg_check
