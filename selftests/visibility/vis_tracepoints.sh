#!/bin/sh
# The module's tracepoints (system "handoff", bypass_proto/bp_trace.h)
# through tracefs: each handoff with its result (ok with its NIC and id,
# or the refusal's name), each restore with its trigger (the
# administrator's, a call only TCP runs, the NIC's TIME_WAIT) and the
# state the connection came back in.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
trace_on handoff

# refused: the port is not listed
echo 7999 >/proc/sys/net/handoff/ports
serve_xfer send 6951 100000 61
bp_defaults
# offloaded, then taken back mid-transfer by the administrator
serve_xfer duplex 6952 8000000 62 4 >/tmp/vis.out 2>&1 &
X=$!
wait_for "[ \$(hp_stat offloaded) -ge 4 ]" 30 ||
	{ cat /tmp/vis.out; fail "the 4 connections were not offloaded"; }
echo "restore all" >/proc/net/handoff
wait $X || { cat /tmp/vis.out; fail "a transfer failed after the restore"; }
# offloaded, and the guest closes first: the NIC asks back for TIME_WAIT
serve_xfer send 6953 100000 63
wait_for "trace_dump | grep -q 'trigger=time_wait'" 10
trace_dump >/tmp/vis.trace
echo 0 >$TRACEFS/events/handoff/enable
grep -c . /tmp/vis.trace | sed 's/^/trace lines: /'

expect() { # PATTERN WHAT
	grep -qE "$1" /tmp/vis.trace || { tail -20 /tmp/vis.trace; fail "no tracepoint: $2"; }
	echo "seen: $2: $(grep -E "$1" /tmp/vis.trace | head -n 1 | sed 's/.*: handoff/handoff/')"
}
expect "handoff: [^ ]+:6951 -> [^ ]+:[0-9]+ dev= cid=00000000 result=port" \
	"a refusal for the port list"
expect "handoff: [^ ]+:6952 -> .* dev=eth[0-9] cid=[0-9a-f]{8} result=ok" \
	"a handoff with its NIC and id"
expect "handoff_restore: [^ ]+:6952 -> .* trigger=admin state=[0-9]+ err=0" \
	"the administrator's restore"
expect "handoff_restore: [^ ]+:6953 -> .* trigger=time_wait state=6 err=0" \
	"the NIC's TIME_WAIT restore (state 6)"
n=$(grep -cE "handoff: [^ ]+:6952 .*result=ok" /tmp/vis.trace)
[ "$n" -eq 4 ] || fail "$n handoff events for the 4 connections on 6952"
dmesg_check
