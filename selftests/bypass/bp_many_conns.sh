#!/bin/sh
# 1000 connections at once, all offloaded, each carrying its own stream
# both ways (64 KiB each way), every byte verified at both ends.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
ok0=$(hp_stat handoff_ok)
# on failure the NIC's view helps: out-of-order, no buffer, retransmits
( serve_xfer duplex 5301 65536 21 1000 ) || {
	ethtool -S "$IF" | grep -E 'tcp_|err'
	grep -E '^(late_|events_|command_)' /proc/net/handoff
	fail "the transfer failed (above)"
}
ok=$(( $(hp_stat handoff_ok) - ok0 ))
echo "connections handed off: $ok"
[ "$ok" -eq 1000 ] || { grep refused /proc/net/handoff; fail "expected 1000 offloaded connections"; }
[ "$(hp_stat events_refused)" -eq 0 ] || fail "events were refused"
dmesg_check
