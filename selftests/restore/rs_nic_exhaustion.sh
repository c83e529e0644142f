#!/bin/sh
# Twice as many connections as the NIC has slots (CHW_REG_CONN_LIMIT 16,
# through the driver's debugfs).  The first 16, held open and silent by
# the peer for a while, take every slot; the next 16, opened meanwhile,
# stay on the host stack, refused for want of a slot (by the OS, told by
# the NIC's resource events, or by the NIC when its limit overtook its
# last advertisement).  Then all 32 transfers run, every byte checked.
# Adaptive mode is off so that every slot is used (rs_adaptive).
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
limit=$(hnd_debugfs)/conn_limit
trap 'echo 0 >$limit; sysctl -qw net.handoff.adaptive=1' EXIT
sysctl -qw net.handoff.adaptive=0
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 30 || fail "connections left from before"
echo 16 >$limit
ok0=$(hp_stat handoff_ok)
( PEER_XFER_OPTS="--delay-ms 15000" serve_xfer duplex 5441 1000000 43 16 ) \
	>/tmp/rs_ex1.out 2>&1 &
x1=$!
wait_for "[ \$(( \$(hp_stat handoff_ok) - $ok0 )) -ge 16 ]" 30 ||
	{ cat /tmp/rs_ex1.out; fail "the first 16 were not offloaded"; }
ok1=$(hp_stat handoff_ok); slot1=$(hp_stat refused_no_slot)
nic1=$(hp_stat refused_nic)
serve_xfer duplex 5442 1000000 44 16 >/tmp/rs_ex2.out 2>&1 ||
	{ cat /tmp/rs_ex2.out; fail "a transfer on the host stack failed"; }
ok=$(( $(hp_stat handoff_ok) - ok1 ))
slot=$(( $(hp_stat refused_no_slot) - slot1 ))
nic=$(( $(hp_stat refused_nic) - nic1 ))
echo "second 16: offloaded $ok, refused by the OS for want of a slot $slot, by the NIC $nic"
grep '^nic ' /proc/net/handoff
wait $x1 || { cat /tmp/rs_ex1.out; fail "an offloaded transfer failed"; }
cat /tmp/rs_ex1.out /tmp/rs_ex2.out | grep -v '^flow\|^sent'
echo "first 16: offloaded $(( ok1 - ok0 ))"
[ $(( ok1 - ok0 )) -eq 16 ] || fail "expected the first 16 offloaded"
[ "$ok" -eq 0 ] || fail "expected none of the second 16 offloaded"
[ $((slot + nic)) -eq 16 ] || fail "expected 16 refused for want of a slot"
dmesg_check
