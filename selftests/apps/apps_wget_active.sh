#!/bin/sh
# busybox wget in the guest downloads 64 MB from an HTTP server on the
# peer over a connection it made itself with connect(), offloaded
# (net.handoff.active=1); SHA-256 of what the peer served and of what the
# guest received must agree.  Then the same with offload off.
. /selftests/lib.sh
hnd_up
bp_defaults
dmesg_mark
command -v wget >/dev/null || skip "no wget in the guest"
port=6701

# (the agent reads one line per command)
peer "head -c 64M /dev/urandom >big.bin && sha256sum big.bin | cut -d' ' -f1 >big.sha" ||
	fail "peer: could not make the file"
peer "python3 -m http.server --bind $PEER_ADDR $port >http.log 2>&1 & echo \$! >http.pid" ||
	fail "peer: could not start the HTTP server"
want=$(peer "cat big.sha") || fail "peer: no digest"
wait_for "peer 'ss -ltn | grep -q :$port' >/dev/null" 20 ||
	fail "peer: HTTP server not listening"

fetch() { # MODE: on (offloaded) or off
	local held0 ok0 got held ok
	held0=$(hp_stat active_held)
	ok0=$(hp_stat handoff_ok)
	got=$(wget -q -O - "http://$PEER_ADDR:$port/big.bin" | sha256sum | cut -d' ' -f1)
	held=$(( $(hp_stat active_held) - held0 ))
	ok=$(( $(hp_stat handoff_ok) - ok0 ))
	echo "offload $1: held $held, offloaded $ok, sha256 $got"
	[ "$got" = "$want" ] || fail "offload $1: sha256 $got, the peer served $want"
	if [ "$1" = on ]; then
		[ "$held" -eq 1 ] && [ "$ok" -eq 1 ] || fail "the download was not offloaded"
	else
		[ "$ok" -eq 0 ] || fail "offloaded with offload off"
	fi
}

sysctl -qw net.handoff.active=1
echo $port >/proc/sys/net/handoff/ports
fetch on
sysctl -qw net.handoff.enable=0
fetch off
peer "kill \$(cat http.pid); rm -f big.bin"
bp_defaults
wait_for '[ "$(hp_stat offloaded)" -eq 0 ]' 30 ||
	{ cat /proc/net/handoff; fail "connections left on the NIC"; }
dmesg_check
