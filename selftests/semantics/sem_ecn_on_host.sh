#!/bin/sh
# ECN (RFC 3168): the firmware neither echoes CE nor reacts to ECE, so a
# connection that negotiated ECN stays on the host's TCP (refused_ecn),
# which does it as Linux does; the same peer without ECN is offloaded.
# The peer asks for ECN with its namespace's net.ipv4.tcp_ecn=1 (the
# guest's default, 2, accepts it).  Every byte checked both ways.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark

ecn0=$(peer "sysctl -n net.ipv4.tcp_ecn") || fail "peer: no tcp_ecn"
run() { # PEER_ECN EXPECT_OFFLOADED EXPECT_REFUSED_ECN PORT SEED
	local ok0 ref0 ok ref
	peer "sysctl -qw net.ipv4.tcp_ecn=$1" || fail "peer: cannot set tcp_ecn"
	ok0=$(hp_stat handoff_ok)
	ref0=$(hp_stat refused_ecn)
	serve_xfer duplex "$4" 4000000 "$5"
	ok=$(( $(hp_stat handoff_ok) - ok0 ))
	ref=$(( $(hp_stat refused_ecn) - ref0 ))
	echo "peer tcp_ecn=$1: offloaded $ok, refused for ECN $ref"
	[ "$ok" -eq "$2" ] && [ "$ref" -eq "$3" ] ||
		fail "peer tcp_ecn=$1: expected $2 offloaded and $3 refused for ECN"
}
run 1 0 1 6881 51
run 0 1 0 6882 52
peer "sysctl -qw net.ipv4.tcp_ecn=$ecn0"
dmesg_check
