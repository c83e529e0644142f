#!/bin/sh
# Adaptive mode (net.handoff.adaptive) with 16 slots (conn_limit), the low
# mark at 25% and the high one at 50%: of 16 connections held open by the
# peer, 13 are offloaded and offload stops with 3 slots (under 25%) still
# free; 4 more opened meanwhile stay on the host stack too; once the NIC
# is empty again offload resumes.  Every transfer intact.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
limit=$(hnd_debugfs)/conn_limit
trap 'echo 0 >$limit; sysctl -qw net.handoff.adaptive_low_pct=10 net.handoff.adaptive_high_pct=20' EXIT
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 30 || fail "connections left from before"
echo 16 >$limit
sysctl -qw net.handoff.adaptive=1 net.handoff.adaptive_low_pct=25 \
	net.handoff.adaptive_high_pct=50
ok0=$(hp_stat handoff_ok); ad0=$(hp_stat refused_adaptive)
slot0=$(hp_stat refused_no_slot); p0=$(hp_stat adaptive_pauses)
( PEER_XFER_OPTS="--delay-ms 15000" serve_xfer duplex 5451 1000000 45 16 ) \
	>/tmp/rs_ad1.out 2>&1 &
x1=$!
wait_for "[ \$(( \$(hp_stat handoff_ok) + \$(hp_stat refused_adaptive) - $ok0 - $ad0 )) -ge 16 ]" 30 ||
	{ cat /tmp/rs_ad1.out; fail "the first 16 were not all accepted"; }
ok1=$(hp_stat handoff_ok)
serve_xfer duplex 5452 1000000 46 4 >/tmp/rs_ad2.out 2>&1 ||
	{ cat /tmp/rs_ad2.out; fail "a transfer on the host stack failed"; }
ok2=$(hp_stat handoff_ok)
wait $x1 || { cat /tmp/rs_ad1.out; fail "a transfer failed"; }
ad=$(( $(hp_stat refused_adaptive) - ad0 ))
slot=$(( $(hp_stat refused_no_slot) - slot0 ))
echo "offloaded $(( ok1 - ok0 )) of 16, then $(( ok2 - ok1 )) of 4; refused by adaptive mode $ad, for want of a slot $slot; pauses $(( $(hp_stat adaptive_pauses) - p0 ))"
grep '^nic ' /proc/net/handoff
[ $(( ok1 - ok0 )) -eq 13 ] || fail "expected 13 of the first 16 offloaded"
[ $(( ok2 - ok1 )) -eq 0 ] || fail "expected none of the next 4 offloaded"
[ "$ad" -eq 7 ] || fail "expected 7 refused by adaptive mode"
[ "$slot" -eq 0 ] || fail "the NIC's last slots were used"
# every connection ended: the NIC is empty, offload resumes
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 30 || fail "connections still offloaded"
ok0=$(hp_stat handoff_ok)
serve_xfer duplex 5453 1000000 47
[ $(( $(hp_stat handoff_ok) - ok0 )) -eq 1 ] || fail "offload did not resume"
dmesg_check
