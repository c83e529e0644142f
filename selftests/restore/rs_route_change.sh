#!/bin/sh
# A route change makes another interface the egress for the peer (a host
# route through lo): the offloaded transfers to it are restored, since the
# NIC cannot follow routes; when the route goes, they finish on the host
# stack over the NIC again, every byte checked.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
trap "ip route del $PEER_ADDR/32 2>/dev/null" EXIT
rt0=$(hp_stat restored_route); rf0=$(hp_stat restore_failed)
ok0=$(hp_stat handoff_ok)
( serve_xfer duplex 5471 4000000 48 8 ) >/tmp/rs_rt.out 2>&1 &
x=$!
wait_for "[ \$(( \$(hp_stat handoff_ok) - $ok0 )) -ge 8 ]" 60 ||
	fail "the 8 connections were not offloaded"
ip route add "$PEER_ADDR/32" dev lo || fail "could not add the route"
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 30 ||
	fail "connections still offloaded after the route change"
n=$(( $(hp_stat restored_route) - rt0 ))
echo "restored for the route: $n"
ip route del "$PEER_ADDR/32"
wait $x || {
	cat /tmp/rs_rt.out
	grep -E '^(restore|offloaded|command_|events_|conns_)' /proc/net/handoff
	dmesg | grep -B3 -A20 -E "WARNING|BUG|disagree|handoff:" | head -60
	fail "a transfer failed after the route change"
}
cat /tmp/rs_rt.out
[ "$n" -eq 8 ] || fail "expected 8 restored for the route"
[ "$(hp_stat restore_failed)" -eq "$rf0" ] || fail "restores failed"
dmesg_check
