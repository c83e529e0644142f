#!/bin/sh
# Segments that arrive while a handoff is under way (the acceptor holds the
# socket for net.handoff.handoff_delay_ms) wait in the socket's backlog and
# are forwarded to the NIC (ch_nic_forward): none lost, none answered by
# the host's TCP.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
sysctl -qw net.handoff.handoff_delay_ms=500
fwd0=$(hp_stat late_forwarded); drop0=$(hp_stat late_dropped)
# the peer sends slowly, so its window is open while the handoff waits
PEER_XFER_OPTS="--rate 400000" serve_xfer recv 5601 2000000 61
PEER_XFER_OPTS="--rate 400000" serve_xfer duplex 5602 1000000 62
serve_xfer recv 5603 8000000 63
sysctl -qw net.handoff.handoff_delay_ms=0
fwd=$(( $(hp_stat late_forwarded) - fwd0 )); drop=$(( $(hp_stat late_dropped) - drop0 ))
echo "late segments forwarded to the NIC: $fwd, dropped: $drop"
[ "$fwd" -gt 0 ] || fail "no late segment was seen"
[ "$drop" -eq 0 ] || fail "late segments were dropped"
dmesg_check
