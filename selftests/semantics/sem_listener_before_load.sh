#!/bin/sh
# A server that was listening before the module loaded has its
# connections offloaded too: loading finds its listener in TCP's
# listening hash and gives it the bypass protocol's accept.
. /selftests/lib.sh
hnd_up
dmesg_mark
hnd_loaded && { rmmod handoff || fail "rmmod handoff"; }
sockcheck guest peek --listen 6991 --ctl "$PEER_ADDR:7991" >/tmp/sc.6991 2>&1 &
gpid=$!
wait_for "grep -q ':1B4F ' /proc/net/tcp" 10 || fail "sockcheck did not listen"
insmod "$MODULE" || fail "insmod $MODULE"
bp_defaults
ok0=$(hp_stat handoff_ok)
peer "sockcheck peer --connect $GUEST_ADDR:6991 --ctl-listen 7991 >sc.6991 2>&1 &" ||
	fail "peer: could not start sockcheck"
wait $gpid || { cat /tmp/sc.6991; fail "the scenario failed"; }
grep -E '^(ok|FAIL)' /tmp/sc.6991
[ $(( $(hp_stat handoff_ok) - ok0 )) -eq 1 ] ||
	fail "the connection to the older listener was not offloaded"
echo "the connection to a listener older than the module was offloaded"
dmesg_check
