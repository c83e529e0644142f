#!/bin/sh
# A handoff NIC is unplugged (device_del from QEMU's monitor: ACPI
# hot-unplug) under offloaded transfers.  The driver's remove runs while
# the device still answers: the connections offloaded to it end with
# ECONNRESET at both ends (their state goes with the device), the other
# NIC's offloaded transfers finish intact.  Plugged back (device_add), the
# NIC is probed again and takes new handoffs.  No kernel complaint.
. /selftests/lib.sh
hnd_up
hnd_up2
bp_defaults
dmesg_mark

hnd_xfer duplex --listen 5631 --bytes 500000000 --seed 61 --flows 4 \
	--timeout 300 >/tmp/rm_b.out 2>&1 &
B=$!
usleep 300000
peer "hnd_xfer duplex --connect $GUEST_ADDR2:5631 --bytes 500000000 --seed $(( 61 ^ 0x5eed0000 )) --flows 4 --timeout 300 >cli.5631 2>&1 &" ||
	fail "peer: could not start the client"
wait_for "[ \$(hp_conns $IF2 | wc -l) -ge 4 ]" 60 ||
	{ cat /proc/net/handoff; fail "the 4 connections were not offloaded to $IF2"; }
ok0=$(hp_stat handoff_ok)
serve_xfer duplex 5632 4000000 62 4 >/tmp/rm_a.out 2>&1 &
A=$!
wait_for "[ \$(( \$(hp_stat handoff_ok) - $ok0 )) -ge 4 ]" 60 ||
	{ cat /tmp/rm_a.out; fail "the 4 connections were not offloaded to $IF"; }
sleep 1

hmp "device_del hnd1" || fail "the monitor refused device_del"
wait_for '! hnd_ifname $MAC2 >/dev/null' 60 || fail "$IF2 was not unplugged"
echo "$IF2 unplugged"
wait $B && fail "the transfers through the unplugged NIC did not fail"
n=$(grep -c 'flow [0-9]*: Connection reset by peer' /tmp/rm_b.out)
[ "$n" -eq 4 ] || { cat /tmp/rm_b.out; fail "$n of the 4 flows on the unplugged NIC ended with ECONNRESET"; }
grep -q CORRUPT /tmp/rm_b.out && fail "a flow on the unplugged NIC read wrong bytes"
wait_for "[ \"\$(peer \"ss -tanH state all '( dport = :5631 )' | wc -l\")\" = 0 ]" 60 ||
	{ peer "ss -tan state all '( dport = :5631 )'"; fail "the peer still holds connections to the unplugged NIC"; }
wait $A || { cat /tmp/rm_a.out; fail "an offloaded transfer over $IF failed"; }
cat /tmp/rm_a.out

hmp "device_add handoff-nic,netdev=n1,mac=$MAC2,max-conns=4096,id=hnd1" ||
	fail "the monitor refused device_add"
hnd_up2
ok0=$(hp_stat handoff_ok)
serve_xfer_at "$GUEST_ADDR2" duplex 5633 2000000 63 2 ||
	fail "offloaded transfer through the plugged-back NIC"
[ $(( $(hp_stat handoff_ok) - ok0 )) -ge 2 ] ||
	fail "the plugged-back NIC took no handoffs"
echo "plugged back, $IF2 takes handoffs again"
dmesg_check
