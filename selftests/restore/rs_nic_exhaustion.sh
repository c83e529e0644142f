#!/bin/sh
# Twice as many connections as the NIC has slots (CHW_REG_CONN_LIMIT 16,
# through the driver's debugfs): 16 are offloaded, the other 16 stay on
# the host stack, refused for want of a slot (by the OS, told by the
# NIC's resource events, or by the NIC when a refusal overtook its
# advertisement); all 32 transfers intact.  Adaptive mode is off here so
# that every advertised slot is used (rs_adaptive tests it).
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
limit=$(hnd_debugfs)/conn_limit
trap 'echo 0 >$limit; sysctl -qw net.handoff.adaptive=1' EXIT
sysctl -qw net.handoff.adaptive=0
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 30 || fail "connections left from before"
echo 16 >$limit
ok0=$(hp_stat handoff_ok); slot0=$(hp_stat refused_no_slot)
nic0=$(hp_stat refused_nic)
# the peer's rate keeps every connection open until all 32 are accepted
PEER_XFER_OPTS="--rate 2000000" serve_xfer duplex 5441 300000 43 32
ok=$(( $(hp_stat handoff_ok) - ok0 ))
slot=$(( $(hp_stat refused_no_slot) - slot0 ))
nic=$(( $(hp_stat refused_nic) - nic0 ))
echo "offloaded $ok, refused by the OS for want of a slot $slot, by the NIC $nic"
grep '^nic ' /proc/net/handoff
[ "$ok" -eq 16 ] || fail "expected 16 offloaded, got $ok"
[ $((slot + nic)) -eq 16 ] || fail "expected 16 left on the host stack"
dmesg_check
