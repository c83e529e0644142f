#!/bin/sh
# net.handoff.headroom keeps NIC slots free: with 8 slots (conn_limit),
# headroom 3 and adaptive mode off, of 8 connections held open by the
# peer 5 are offloaded and 3 stay on the host stack (refused_headroom);
# every transfer intact.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
limit=$(hnd_debugfs)/conn_limit
trap 'echo 0 >$limit; sysctl -qw net.handoff.headroom=0 net.handoff.adaptive=1' EXIT
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 30 || fail "connections left from before"
echo 8 >$limit
sysctl -qw net.handoff.adaptive=0 net.handoff.headroom=3
ok0=$(hp_stat handoff_ok); hr0=$(hp_stat refused_headroom)
slot0=$(hp_stat refused_no_slot)
PEER_XFER_OPTS="--delay-ms 8000" serve_xfer duplex 5491 500000 50 8
ok=$(( $(hp_stat handoff_ok) - ok0 ))
hr=$(( $(hp_stat refused_headroom) - hr0 ))
slot=$(( $(hp_stat refused_no_slot) - slot0 ))
echo "offloaded $ok, kept on the host for the headroom $hr, for want of a slot $slot"
[ "$ok" -eq 5 ] || fail "expected 5 offloaded"
[ "$hr" -eq 3 ] || fail "expected 3 refused for the headroom"
dmesg_check
