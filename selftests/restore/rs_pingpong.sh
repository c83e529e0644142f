#!/bin/sh
# One connection goes back and forth between the NIC and the host stack
# every 50 ms while it moves data both ways: the administrator restores it
# (echo restore all) and hands it off again (echo handoff all: a restored
# socket is held, bp_host.c).  300 MB in all, every byte verified at both
# ends: 100 MB each way with non-blocking sockets (poll), then 50 MB each
# way with blocking ones, whose calls sleep in TCP or in the bypass
# protocol when the connection changes sides under them.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark

# pingpong PORT BYTES SEED: one duplex transfer, flipped until it ends
pingpong() {
	local rs0 ag0 ok0 t0 rc flips=0
	rs0=$(hp_stat restored)
	ag0=$(hp_stat handoff_again)
	ok0=$(hp_stat handoff_ok)
	( serve_xfer duplex "$1" "$2" "$3" 1 ) >/tmp/rs_pp.out 2>&1 &
	XFER=$!
	wait_for "[ \$(( \$(hp_stat handoff_ok) - $ok0 )) -ge 1 ]" 60 ||
		{ cat /tmp/rs_pp.out; fail "the connection was not offloaded"; }
	t0=$(date +%s)
	while kill -0 $XFER 2>/dev/null; do
		echo "restore all" >/proc/net/handoff ||
			fail "the restore write failed"
		usleep 50000
		echo "handoff all" >/proc/net/handoff ||
			fail "the handoff write failed"
		usleep 50000
		flips=$((flips + 1))
	done
	wait $XFER
	rc=$?
	cat /tmp/rs_pp.out
	RESTORED=$(( $(hp_stat restored) - rs0 ))
	AGAIN=$(( $(hp_stat handoff_again) - ag0 ))
	echo "${GUEST_XFER_OPTS:-non-blocking}: $(( $(date +%s) - t0 )) s," \
		"$flips rounds, restored $RESTORED times, handed off again" \
		"$AGAIN times"
	[ $rc -eq 0 ] || {
		grep -E '^(restore|offloaded|held|handoff|refused|command_|events_|conns_)' /proc/net/handoff
		dmesg | grep -B3 -A20 -E "WARNING|BUG|disagree|handoff:" | head -60
		fail "the transfer failed"
	}
	[ "$RESTORED" -ge 10 ] || fail "only $RESTORED restores"
	[ "$AGAIN" -ge 10 ] || fail "only $AGAIN handoffs of the restored connection"
}

pingpong 5501 100000000 41
GUEST_XFER_OPTS=--blocking pingpong 5502 50000000 42
grep -E '^refused_' /proc/net/handoff | grep -v ' 0$' || true
[ "$(hp_stat restore_failed)" -eq 0 ] || fail "restores failed"
[ "$(hp_stat held)" -eq 0 ] || fail "sockets still held after their close"
dmesg_check
