#!/bin/sh
# Two handoff NICs in one guest.  Each connection is handed to the NIC of
# its route (the address the peer connected to), and an administrator's
# restore of one NIC (echo restore dev IF >/proc/net/handoff) takes back
# that NIC's connections only: the other NIC's stay offloaded.  The
# transfers finish, restored ones on the host stack, with every byte of
# both NICs' streams verified.
. /selftests/lib.sh
hnd_up
hnd_up2
bp_defaults
dmesg_mark
rs0=$(hp_stat restored)
rf0=$(hp_stat restore_failed)
ok0=$(hp_stat handoff_ok)

# 16 connections through each NIC, 6 MB each way each
serve_xfer_at "$GUEST_ADDR" duplex 5611 6000000 41 16 >/tmp/two_a.out 2>&1 &
A=$!
serve_xfer_at "$GUEST_ADDR2" duplex 5612 6000000 42 16 >/tmp/two_b.out 2>&1 &
B=$!
wait_for "[ \$(( \$(hp_stat handoff_ok) - $ok0 )) -ge 32 ]" 60 ||
	{ cat /tmp/two_a.out /tmp/two_b.out; fail "the 32 connections were not offloaded"; }
sleep 1

hp_conns "$IF" >/tmp/two_on_a
hp_conns "$IF2" >/tmp/two_on_b
echo "offloaded: $(wc -l </tmp/two_on_a) on $IF, $(wc -l </tmp/two_on_b) on $IF2"
[ "$(grep -c " $GUEST_ADDR:5611$" /tmp/two_on_a)" -eq 16 ] ||
	{ cat /tmp/two_on_a; fail "$IF does not carry its 16 connections (above)"; }
[ "$(grep -c " $GUEST_ADDR2:5612$" /tmp/two_on_b)" -eq 16 ] ||
	{ cat /tmp/two_on_b; fail "$IF2 does not carry its 16 connections (above)"; }
grep -qv ":5611$" /tmp/two_on_a && fail "$IF carries another NIC's connection"
grep -qv ":5612$" /tmp/two_on_b && fail "$IF2 carries another NIC's connection"

echo "restore dev $IF2" >/proc/net/handoff || fail "the restore write failed"
hp_conns "$IF" >/tmp/two_after_a
left=$(hp_conns "$IF2" | wc -l)
n=$(( $(hp_stat restored) - rs0 ))
echo "after restore dev $IF2: $(wc -l </tmp/two_after_a) on $IF, $left on $IF2; restored $n"
[ "$left" -eq 0 ] || fail "$IF2 still has offloaded connections"
# the other NIC's connections are all still there, untouched
cmp -s /tmp/two_on_a /tmp/two_after_a ||
	{ diff /tmp/two_on_a /tmp/two_after_a; fail "the restore touched $IF's connections"; }
[ "$n" -eq 16 ] || fail "restored $n connections, not $IF2's 16"
echo "restore dev nosuch" 2>/dev/null >/proc/net/handoff &&
	fail "a restore of a NIC that does not exist was accepted"

wait $A || { cat /tmp/two_a.out; fail "a transfer over $IF (offloaded) failed"; }
wait $B || { cat /tmp/two_b.out; fail "a transfer over $IF2 (restored) failed"; }
echo "$IF:"; cat /tmp/two_a.out
echo "$IF2:"; cat /tmp/two_b.out
[ "$(hp_stat restore_failed)" -eq "$rf0" ] || fail "restores failed"
dmesg_check
