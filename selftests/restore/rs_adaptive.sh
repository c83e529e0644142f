#!/bin/sh
# Adaptive mode (net.handoff.adaptive): with 16 slots (conn_limit) and the
# low mark at 25%, offload stops once fewer than 4 slots are free, short
# of the NIC's hard limit; it resumes once half are free again.  All
# transfers intact.
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
# the peer's rate keeps every connection open until all 32 are accepted
PEER_XFER_OPTS="--rate 2000000" serve_xfer duplex 5451 300000 44 32
ok=$(( $(hp_stat handoff_ok) - ok0 ))
ad=$(( $(hp_stat refused_adaptive) - ad0 ))
slot=$(( $(hp_stat refused_no_slot) - slot0 ))
echo "offloaded $ok, refused by adaptive mode $ad, for want of a slot $slot, pauses $(( $(hp_stat adaptive_pauses) - p0 ))"
grep '^nic ' /proc/net/handoff
[ "$ad" -ge 1 ] || fail "adaptive mode never refused"
[ "$slot" -eq 0 ] || fail "the NIC's last slots were used"
[ "$ok" -ge 1 ] && [ "$ok" -le 13 ] || fail "expected 1..13 offloaded"
# every connection ended: the NIC is empty, offload resumes
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 30 || fail "connections still offloaded"
ok0=$(hp_stat handoff_ok)
serve_xfer duplex 5452 1000000 45
[ $(( $(hp_stat handoff_ok) - ok0 )) -eq 1 ] || fail "offload did not resume"
dmesg_check
