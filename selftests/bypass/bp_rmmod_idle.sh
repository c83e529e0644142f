#!/bin/sh
# With no offloaded connection and no intercepted listener left, the module
# unloads cleanly, and loads again with offload working.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 90 ||
	{ cat /proc/net/handoff; fail "connections still offloaded"; }
rmmod handoff || fail "rmmod failed"
[ ! -e /proc/net/handoff ] || fail "/proc/net/handoff outlived the module"
hnd_up
bp_defaults
serve_xfer duplex 5701 1000000 71
[ "$(hp_stat handoff_ok)" -eq 1 ] || fail "the reloaded module did not offload"
dmesg_check
