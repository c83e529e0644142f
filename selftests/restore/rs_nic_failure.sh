#!/bin/sh
# A handoff NIC fails under offloaded transfers: its firmware hangs
# (CHW_FAULT_HANG through debugfs inject, told by the status register),
# and later stalls silently (CHW_FAULT_STALL, told by the heartbeat).  The
# driver's watchdog tells each; the connections offloaded to that NIC end
# with ECONNRESET (their state died with the firmware), and an
# administrator's restore of them, asked while it is hung, returns rather
# than waiting forever (those that time out end with ECONNRESET too).
# Meanwhile the other NIC's offloaded transfers and a host-stack transfer
# finish intact.  The failed NIC is reset and serves again: the host stack
# through it, then new handoffs.  No kernel complaint; both modules unload.
. /selftests/lib.sh
hnd_up
hnd_up2
bp_defaults
# 5623 and 5625 stay on the host stack
echo "5621 5622 5626 5627" >/proc/sys/net/handoff/ports
dmesg_mark
# echo restore dev IF2 while it is hung: it returns, done or refused
# (ENODEV once the watchdog has taken the NIC from the protocol).
restore_hung() {
	local t=$(date +%s) rc=0
	timeout 60 sh -c "echo restore dev $IF2 >/proc/net/handoff" 2>/tmp/rs_hung.err ||
		rc=$?
	[ $(( $(date +%s) - t )) -lt 50 ] ||
		fail "the restore of $1's connections did not return"
	echo "the restore asked of $1 returned after $(( $(date +%s) - t )) s: $([ $rc -eq 0 ] && echo done || cat /tmp/rs_hung.err)"
}
# one ethtool -S counter of the NIC that fails
stat2() { ethtool -S "$IF2" | awk -v k="$1:" '$1 == k { print $2 }'; }
reset0=$(hp_stat conns_reset)
fail0=$(stat2 dev_failures)
restart0=$(stat2 dev_restarts)

# on the NIC that fails: 8 offloaded flows, far from done when it fails
hnd_xfer duplex --listen 5622 --bytes 500000000 --seed 52 --flows 8 \
	--timeout 300 >/tmp/fail_b.out 2>&1 &
B=$!
usleep 300000
peer "hnd_xfer duplex --connect $GUEST_ADDR2:5622 --bytes 500000000 --seed $(( 52 ^ 0x5eed0000 )) --flows 8 --timeout 300 >cli.5622 2>&1 &" ||
	fail "peer: could not start the client"
wait_for "[ \$(hp_conns $IF2 | wc -l) -ge 8 ]" 60 ||
	{ cat /proc/net/handoff; fail "the 8 connections were not offloaded to $IF2"; }

# on the other NIC: 8 offloaded flows and 4 on the host stack
ok0=$(hp_stat handoff_ok)
serve_xfer duplex 5621 4000000 51 8 >/tmp/fail_a.out 2>&1 &
A=$!
serve_xfer duplex 5623 4000000 53 4 >/tmp/fail_c.out 2>&1 &
C=$!
wait_for "[ \$(( \$(hp_stat handoff_ok) - $ok0 )) -ge 8 ]" 60 ||
	{ cat /tmp/fail_a.out; fail "the 8 connections were not offloaded to $IF"; }
sleep 1
echo "offloaded: $(hp_conns $IF | wc -l) on $IF, $(hp_conns $IF2 | wc -l) on $IF2"

trace_on handoff_nic
echo hang >"$(hnd_debugfs "$IF2")/inject" || fail "could not inject the hang"
t0=$(date +%s)
# a restore asked of the hung NIC must give up, not wait forever
restore_hung "the hung NIC"
wait_for "[ \$(stat2 dev_failures) -gt $fail0 ]" 30 ||
	fail "the watchdog did not tell the hang"
wait_for "[ \$(stat2 dev_restarts) -gt $restart0 ]" 30 ||
	fail "the failed NIC was not restarted"
echo "failure told and the NIC restarted within $(( $(date +%s) - t0 )) s"
trace_dump | grep "handoff_nic_failure: dev=$IF2 .*outcome=restarted err=0" ||
	{ trace_dump | tail; fail "no handoff_nic_failure tracepoint for $IF2"; }
dmesg | grep -E "handoff|$IF2" | tail -n 5

wait $B && fail "the transfers through the failed NIC did not fail"
cat /tmp/fail_b.out
n=$(grep -c 'flow [0-9]*: Connection reset by peer' /tmp/fail_b.out)
[ "$n" -eq 8 ] || fail "$n of the 8 flows on the failed NIC ended with ECONNRESET"
grep -q CORRUPT /tmp/fail_b.out && fail "a flow on the failed NIC read wrong bytes"
[ -z "$(hp_conns "$IF2")" ] || fail "connections still listed on $IF2"
echo "conns_reset +$(( $(hp_stat conns_reset) - reset0 ))"

wait $A || { cat /tmp/fail_a.out; fail "an offloaded transfer over $IF failed"; }
wait $C || { cat /tmp/fail_c.out; fail "a host-stack transfer over $IF failed"; }
echo "$IF offloaded:"; cat /tmp/fail_a.out
echo "$IF host stack:"; cat /tmp/fail_c.out

# the peer's ends of the failed connections are gone too (RST from the host)
wait_for "[ \"\$(peer \"ss -tanH state all '( dport = :5622 )' | wc -l\")\" = 0 ]" 120 ||
	{ peer "ss -tan state all '( dport = :5622 )'"; fail "the peer still holds connections to the failed NIC"; }

# the failed NIC serves again: the host stack, then new handoffs
ping -c 3 -W 2 "$PEER_ADDR2" >/dev/null || fail "no ping through $IF2 after its reset"
( PEER_ADDR=$PEER_ADDR2; xfer_to_peer 5625 4000000 55 ) ||
	fail "host-stack transfer through $IF2 after its reset"
ok0=$(hp_stat handoff_ok)
serve_xfer_at "$GUEST_ADDR2" duplex 5626 2000000 56 4 ||
	fail "offloaded transfer through $IF2 after its reset"
[ $(( $(hp_stat handoff_ok) - ok0 )) -ge 4 ] ||
	fail "the restarted NIC took no new handoffs"
echo "after its reset, $IF2 carried host-stack and offloaded transfers"

# A silent stall (no status bit): only the heartbeat tells it.  The
# restores asked meanwhile time out: each of those connections ends with
# ECONNRESET too, its id never used again.
rf0=$(hp_stat restore_failed)
hnd_xfer duplex --listen 5626 --bytes 500000000 --seed 57 --flows 4 \
	--timeout 300 >/tmp/fail_d.out 2>&1 &
D=$!
usleep 300000
peer "hnd_xfer duplex --connect $GUEST_ADDR2:5626 --bytes 500000000 --seed $(( 57 ^ 0x5eed0000 )) --flows 4 --timeout 300 >cli.5626 2>&1 &" ||
	fail "peer: could not start the client"
wait_for "[ \$(hp_conns $IF2 | wc -l) -ge 4 ]" 60 ||
	{ cat /proc/net/handoff; fail "the 4 connections were not offloaded to $IF2"; }
sleep 1
echo stall >"$(hnd_debugfs "$IF2")/inject" || fail "could not inject the stall"
t0=$(date +%s)
restore_hung "the stalled NIC"
echo "restore_failed +$(( $(hp_stat restore_failed) - rf0 ))"
wait_for "[ \$(stat2 dev_restarts) -gt $(( restart0 + 1 )) ]" 30 ||
	fail "the stall was not told, or the NIC not restarted"
echo "stall told and the NIC restarted within $(( $(date +%s) - t0 )) s"
dmesg | grep "$IF2: device failed" | tail -n 1 | grep -q heartbeat ||
	fail "the stall was not told by the heartbeat"
wait $D && fail "the transfers through the stalled NIC did not fail"
n=$(grep -c 'flow [0-9]*: Connection reset by peer' /tmp/fail_d.out)
[ "$n" -eq 4 ] || { cat /tmp/fail_d.out; fail "$n of the 4 flows on the stalled NIC ended with ECONNRESET"; }
grep -q CORRUPT /tmp/fail_d.out && fail "a flow on the stalled NIC read wrong bytes"
[ -z "$(hp_conns "$IF2")" ] || fail "connections still listed on $IF2"
# another port: the stalled transfer's peer may still be writing its file
serve_xfer_at "$GUEST_ADDR2" duplex 5627 2000000 58 2 ||
	fail "offloaded transfer through $IF2 after its second reset"

bp_defaults
dmesg_check
rmmod handoff || fail "rmmod handoff"
rmmod handoff_nic || fail "rmmod handoff_nic"
dmesg_check
hnd_up
