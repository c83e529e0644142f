#!/bin/sh
# 100 MB each way over one offloaded connection, then both ways at once;
# SHA-256 equal at both ends.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
ok0=$(hp_stat handoff_ok)
serve_xfer send 5101 100000000 11
serve_xfer recv 5102 100000000 12
serve_xfer duplex 5103 16000000 13 2
ok=$(( $(hp_stat handoff_ok) - ok0 ))
echo "connections handed off: $ok"
[ "$ok" -eq 4 ] || { cat /proc/net/handoff; fail "expected 4 offloaded connections, saw $ok"; }
cat /proc/net/handoff | grep -E '^(msg_|late_|events_refused|command_errors)'
[ "$(hp_stat events_refused)" -eq 0 ] || fail "events were refused"
dmesg_check
