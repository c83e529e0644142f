#!/bin/sh
# rmmod of the connection-handoff protocol while 64 transfers run both
# ways, 32 of them offloaded and 32 restored before (held: they could be
# handed off again): every connection is restored to the host stack first
# or let go of, and finishes there, through the same NIC, with every byte
# verified.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
load_64_offloaded 5411 41 /tmp/rs_rmmod.out
for cid in $(sed '1,/^connections:/d' /proc/net/handoff | awk '{ print $1 }' | head -n 32); do
	echo "restore $cid" >/proc/net/handoff || fail "restore $cid failed"
done
echo "offloaded before rmmod: $(hp_stat offloaded), held $(hp_stat held)"
[ "$(hp_stat held)" -ge 1 ] || fail "no restored connection is held"
t0=$(date +%s)
rmmod handoff || fail "rmmod failed"
echo "rmmod took $(( $(date +%s) - t0 )) s"
[ ! -e /proc/net/handoff ] || fail "/proc/net/handoff outlived the module"
hnd_driver_loaded || fail "the driver went too"
wait $XFER
rc=$?
echo "the transfers ended $(( $(date +%s) - t0 )) s after rmmod began"
cat /tmp/rs_rmmod.out
[ $rc -eq 0 ] || {
	dmesg | grep -B3 -A20 -E "WARNING|BUG|handoff:" | head -60
	fail "a transfer failed after rmmod"
}
dmesg_check
# loaded again, offload works again
hnd_up
bp_defaults
serve_xfer duplex 5412 1000000 42
[ "$(hp_stat handoff_ok)" -eq 1 ] || fail "the reloaded module did not offload"
dmesg_check
