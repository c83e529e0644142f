#!/bin/sh
# When the NIC has no connection slot, the connection works on the host
# stack: the NIC refuses the handoff (if the OS's view of its resources
# was stale), or the OS, told by the NIC's resource event, does not ask.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
limit=$(hnd_debugfs)/conn_limit
# a slow offloaded connection keeps one slot busy throughout
ok0=$(hp_stat handoff_ok)
PEER_XFER_OPTS="--rate 150000" serve_xfer duplex 5500 600000 50 >/tmp/slow 2>&1 &
spid=$!
wait_for "[ \$(( \$(hp_stat handoff_ok) - $ok0 )) -ge 1 ]" 30 ||
	{ cat /tmp/slow; fail "the slow connection was not offloaded"; }
echo 1 >$limit
nic0=$(hp_stat refused_nic); slot0=$(hp_stat refused_no_slot)
serve_xfer duplex 5501 1000000 51
serve_xfer duplex 5502 1000000 52
nic=$(( $(hp_stat refused_nic) - nic0 )); slot=$(( $(hp_stat refused_no_slot) - slot0 ))
echo "refused by the NIC $nic, by the OS for want of a slot $slot"
grep '^nic ' /proc/net/handoff
wait $spid || { cat /tmp/slow; fail "the slow offloaded connection failed"; }
echo 0 >$limit
# which refuses depends on whether a resource event overtook the limit
[ $((nic + slot)) -eq 2 ] || fail "expected both to stay on the host stack"
# this NIC's line: the guest may have a second NIC
wait_for '[ "$(awk -v n=$IF "\$1 == \"nic\" && \$2 == n {print \$4}" /proc/net/handoff)" -gt 0 ]' 5 ||
	fail "raising the limit was not announced"
ok0=$(hp_stat handoff_ok)
serve_xfer duplex 5503 1000000 53
[ $(( $(hp_stat handoff_ok) - ok0 )) -eq 1 ] || fail "offload did not resume"
dmesg_check
