#!/bin/sh
# Connections that reach TIME_WAIT on the NIC come back to the host, which
# sees TIME_WAIT out, and their NIC slots are free again at once, not a
# minute later (net.handoff.timewait_return).  busybox httpd closes first,
# so each of its connections ends in TIME_WAIT on our side.  With the
# knob off the NIC keeps them.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
nic_free() { sed -n 's/^nic .* free_conns \([0-9]*\) .*/\1/p' /proc/net/handoff | head -n 1; }
# host TIME_WAIT sockets on local port 8080 (0x1F90), state 06; httpd
# listens dual-stack, so its connections are in tcp6 (v4-mapped)
host_tw() { cat /proc/net/tcp /proc/net/tcp6 | grep -c ':1F90 [0-9A-F:]* 06 '; }
www=/tmp/www
mkdir -p $www
head -c 20000 /dev/urandom >$www/f
sum=$(sha256sum $www/f | cut -d' ' -f1)
# its own output, and killed however the test ends: a background job
# holding our stdout would keep the runner waiting
httpd -f -p 8080 -h $www >/dev/null 2>&1 &
hpid=$!
trap 'kill $hpid 2>/dev/null' EXIT
usleep 300000
free0=$(nic_free)

get() { # N: N requests, each its own connection, every response checked
	peer "bad=0; for i in \$(seq 1 $1); do s=\$(curl -sf --max-time 30 http://$GUEST_ADDR:8080/f | sha256sum | cut -d' ' -f1); [ \"\$s\" = $sum ] || bad=\$((bad + 1)); done; echo bad \$bad" |
		grep -q '^bad 0$' || fail "bad responses"
}

sysctl -qw net.handoff.timewait_return=1
ok0=$(hp_stat handoff_ok); rs0=$(hp_stat restored); ask0=$(hp_stat restore_asked)
get 50
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 20 ||
	{ cat /proc/net/handoff; fail "connections stayed on the NIC"; }
ok=$(( $(hp_stat handoff_ok) - ok0 )); rs=$(( $(hp_stat restored) - rs0 ))
ask=$(( $(hp_stat restore_asked) - ask0 ))
# the ones curl closed first end without TIME_WAIT on our side
echo "timewait_return=1: 50 requests, $ok offloaded, $ask reached TIME_WAIT and were asked back, $rs restored, host TIME_WAIT sockets $(host_tw)"
[ "$ok" -eq 50 ] || fail "not every connection was offloaded"
[ "$ask" -ge 1 ] || fail "no connection reached TIME_WAIT on the NIC"
[ "$rs" -eq "$ask" ] || {
	grep -E '^(conns_|restore|late_|events_|command_)' /proc/net/handoff
	fail "not every connection asked for came back"
}
[ "$(host_tw)" -ge "$rs" ] || fail "the host does not hold them in TIME_WAIT"
wait_for '[ "$(nic_free)" -eq "$free0" ]' 10 ||
	fail "NIC slots not free again ($(nic_free) of $free0)"
echo "NIC free connection slots: $(nic_free) of $free0 before"

sysctl -qw net.handoff.timewait_return=0
dec0=$(hp_stat restore_declined)
get 5
usleep 500000
dec=$(( $(hp_stat restore_declined) - dec0 ))
echo "timewait_return=0: 5 requests, $dec reached TIME_WAIT and stay on the NIC (offloaded $(hp_stat offloaded))"
[ "$dec" -ge 1 ] && [ "$(hp_stat offloaded)" -ge "$dec" ] ||
	fail "the NIC did not keep them"
sysctl -qw net.handoff.timewait_return=1
dmesg_check
