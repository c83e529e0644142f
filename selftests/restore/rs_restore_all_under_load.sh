#!/bin/sh
# 64 offloaded connections moving data both ways; an administrator takes
# them all back (echo restore all >/proc/net/handoff) in mid-transfer; the
# transfers finish on the host stack with every byte verified.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
rs0=$(hp_stat restored)
load_64_offloaded 5401 31 /tmp/rs_all.out
echo "offloaded before restore: $(hp_stat offloaded)"
t0=$(date +%s)
echo "restore all" >/proc/net/handoff || fail "the restore write failed"
echo "offloaded after restore: $(hp_stat offloaded)"
wait $XFER
rc=$?
echo "the transfers ended $(( $(date +%s) - t0 )) s after the restore"
cat /tmp/rs_all.out
[ $rc -eq 0 ] || {
	grep -E '^(restore|offloaded|command_|events_|conns_)' /proc/net/handoff
	sed -n '/^connections:/,$p' /proc/net/handoff
	dmesg | grep -B3 -A20 -E "WARNING|BUG|disagree|handoff:" | head -60
	fail "a transfer failed after the restore"
}
n=$(( $(hp_stat restored) - rs0 ))
echo "connections restored: $n, restore_failed $(hp_stat restore_failed)"
[ "$n" -ge 1 ] || fail "nothing was restored"
[ "$(hp_stat offloaded)" -eq 0 ] || fail "connections still offloaded"
[ "$(hp_stat restore_failed)" -eq 0 ] || fail "restores failed"
dmesg_check
