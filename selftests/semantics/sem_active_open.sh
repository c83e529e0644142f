#!/bin/sh
# Active open (net.handoff.active): connections the guest makes with
# connect() are offloaded once established, the blocking way (at
# connect()'s return) and the event-driven way (non-blocking connect(),
# handed off at the first send, receive or splice()); 100 MB each way,
# every byte checked at both ends.  net.handoff.ports applies to the
# peer's port for them.  With active=0 the same client stays on the host
# stack.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark

# delta NAME BEFORE: how much a /proc/net/handoff counter grew
delta() { echo $(( $(hp_stat "$1") - $2 )); }
expect() { # WHAT HELD OK
	local held ok
	held=$(delta active_held "$held0")
	ok=$(delta handoff_ok "$ok0")
	echo "$1: held $held, offloaded $ok"
	[ "$held" -eq "$2" ] && [ "$ok" -eq "$3" ] ||
		{ cat /proc/net/handoff; fail "$1: expected $2 held and $3 offloaded"; }
	# a first handoff, not one of a restored connection
	[ "$(hp_stat handoff_again)" -eq "$again0" ] ||
		fail "$1: counted as handed off again"
}
mark() {
	held0=$(hp_stat active_held); ok0=$(hp_stat handoff_ok)
	again0=$(hp_stat handoff_again)
}

sysctl -qw net.handoff.active=0
mark
xfer_to_peer 6601 2000000 41
expect "active=0" 0 0

# the test's own ports: the peer agent's connections (7000) stay out
sysctl -qw net.handoff.active=1
echo 6601-6699 >/proc/sys/net/handoff/ports
mark
xfer_to_peer 6602 100000000 42
xfer_from_peer 6603 100000000 43
expect "blocking connect()" 2 2

mark
GUEST_XFER_OPTS=--async-connect xfer_to_peer 6604 16000000 44 4
GUEST_XFER_OPTS=--async-connect xfer_from_peer 6605 16000000 45 4
expect "non-blocking connect()" 8 8

# a client that only ever splice()s from its socket (a splicing proxy's
# backend): the handoff comes at the first splice()
mark
GUEST_XFER_OPTS="--async-connect --splice" xfer_from_peer 6608 16000000 48 2
expect "non-blocking connect(), splice() only" 2 2

# the port list names the service's port: the peer's
echo 6606 >/proc/sys/net/handoff/ports
mark
xfer_to_peer 6606 1000000 46
expect "peer's port listed" 1 1
echo 6600 >/proc/sys/net/handoff/ports
mark
xfer_to_peer 6607 1000000 47
expect "peer's port not listed" 0 0

bp_defaults
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 30 ||
	{ cat /proc/net/handoff; fail "connections left on the NIC"; }
dmesg_check
