#!/bin/sh
# The handoff NIC's link goes down under 64 offloaded transfers: every
# connection comes back to the host stack (the NIC can no longer move its
# bytes; the host stack waits for the link like any other connection).
# While the link is down nothing is handed off; once it is up the
# transfers finish on the host stack, every byte checked, and new
# connections are offloaded again.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
# The peer runs CUBIC (PEER_CC in lib.sh).  With the host's BBR (v1), the
# 64 connections' losses during the outage can trip its policer
# detection, which then paces a connection at a few hundred bytes a second
# for 48 round trips: a tail of many minutes that is the peer's, not ours.
rs0=$(hp_stat restored_link); rf0=$(hp_stat restore_failed)
load_64_offloaded 5411 41 /tmp/rs_link.out
echo "offloaded before the link went down: $(hp_stat offloaded)"
grep -E '^(restored|restore_|conns_)' /proc/net/handoff | tr '\n' ' '; echo
ok0=$(hp_stat handoff_ok)
t0=$(date +%s)
ip link set "$IF" down
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 60 || {
	sed -n '/^connections:/,$p' /proc/net/handoff | head
	fail "connections still offloaded with the link down"
}
n=$(( $(hp_stat restored_link) - rs0 ))
echo "restored for the link: $n in $(( $(date +%s) - t0 )) s"
sleep 1
[ "$(hp_stat handoff_ok)" -eq "$ok0" ] || fail "a handoff while the link was down"
ip link set "$IF" up
wait_for '[ "$(cat /sys/class/net/$IF/operstate)" = up ]' 10 ||
	fail "$IF did not come up again"
wait $XFER
rc=$?
echo "the transfers ended $(( $(date +%s) - t0 )) s after the link went down"
cat /tmp/rs_link.out
[ $rc -eq 0 ] || {
	grep -E '^(restore|offloaded|command_|events_|conns_)' /proc/net/handoff
	dmesg | grep -B3 -A20 -E "WARNING|BUG|disagree|handoff:" | head -60
	fail "a transfer failed after the link came back"
}
[ "$n" -ge 1 ] || fail "nothing was restored for the link"
[ "$(hp_stat restore_failed)" -eq "$rf0" ] || fail "restores failed"
# the link is up: new connections go to the NIC again
ok0=$(hp_stat handoff_ok)
serve_xfer duplex 5412 1000000 42
[ $(( $(hp_stat handoff_ok) - ok0 )) -eq 1 ] ||
	fail "no handoff after the link came back"
dmesg_check
