#!/bin/sh
# iperf3 (unmodified) in the guest as the server: the peer's iperf3 runs
# 3 s each of -c, -R, --bidir, -P 8 and -R -Z (sendfile) against it, each
# must finish without error, every direction moving bytes, no receiver
# counting more than its sender sent (the peer's iperf3_check reads the
# JSON, with the server's report), and the guest's server must exit 0.
# Then the guest as the client of an iperf3 server on the peer (-c, -R,
# -Z): connections made by connect(), offloaded if net.handoff.active
# exists, otherwise checked for their outcome only.
# With offload on every connection (the control one and each stream) is
# offloaded and none refused; then the same with offload off.
. /selftests/lib.sh
app_need iperf3
hnd_up
dmesg_mark
port=5200

# guest_server CONNS OPTS...: one test against "iperf3 -s -1" in the guest
guest_server() {
	local conns=$1 streams=1 spid out what
	shift
	what="iperf3 -c${*:+ $*}"
	case "$*" in *-P*) streams=8 ;; esac
	port=$((port + 1))
	app_mark
	iperf3 -s -1 -p $port -J >/tmp/ipf.$port 2>&1 &
	spid=$!
	app_listening $port /tmp/ipf.$port
	# (the agent runs one line)
	out=$(peer "timeout 60 iperf3 -c $GUEST_ADDR -p $port -t 3 -J --get-server-output $* >ipf.$port 2>&1; iperf3_check ipf.$port --streams $streams") ||
		{ echo "$out"; peer "tail -20 ipf.$port"; kill $spid; fail "$what"; }
	echo "$out" | sed "s/^/$what: /"
	app_wait $spid 30 || { tail -20 /tmp/ipf.$port; fail "iperf3 -s (for $what) failed"; }
	grep -q '"error"' /tmp/ipf.$port && { grep '"error"' /tmp/ipf.$port; fail "iperf3 -s reported an error"; }
	app_offloaded "$what" $conns
}

# guest_client CONNS OPTS...: the guest's iperf3 -c against the peer's -s
guest_client() {
	local conns=$1 out what
	shift
	what="guest iperf3 -c${*:+ $*}"
	port=$((port + 1))
	app_mark
	peer "timeout 60 iperf3 -s -1 -p $port -J >ipfs.$port 2>&1 &"
	peer_listening $port
	iperf3 -c $PEER_ADDR -p $port -t 3 -J "$@" >/tmp/ipfc.$port 2>&1 ||
		{ tail -20 /tmp/ipfc.$port; fail "$what failed"; }
	grep -q '"error"' /tmp/ipfc.$port && fail "the guest's iperf3 -c reported an error"
	wait_for "! peer 'ss -ltnH sport = :$port | grep -q .' >/dev/null" 20 ||
		fail "the peer's iperf3 -s did not finish"
	out=$(peer "iperf3_check --server ipfs.$port") || { echo "$out"; fail "the peer's iperf3 -s"; }
	echo "$out" | sed "s/^/$what: /"
	# seen by the module only if it offloads connect()'s connections
	if [ -z "$ACTIVE" ]; then
		app_offloaded "$what" 0
	elif [ "$APP_MODE" = on ]; then
		app_offloaded "$what" $conns
	else
		app_offloaded "$what" 0 $conns
	fi
}

for mode in on off; do
	app_mode $mode
	guest_server 2
	guest_server 2 -R
	guest_server 3 --bidir
	guest_server 9 -P 8
	guest_server 2 -R -Z
	ACTIVE=
	app_active 5200-5299 && ACTIVE=1
	guest_client 2
	guest_client 2 -R
	guest_client 2 -Z
done
[ -z "$ACTIVE" ] || sysctl -qw net.handoff.active=0
dmesg_check
app_done
