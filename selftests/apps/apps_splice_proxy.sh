#!/bin/sh
# haproxy (unmodified, TCP mode, splice-request and splice-response) in the
# guest between a client and a backend, both hnd_xfer on the peer: 64 MB
# through it each way, then 32 MB each way at once; every byte checked at
# the receiving end, the SHA-256 of each stream equal at both ends, and
# haproxy's splice counter must show the bytes went through splice().
# haproxy's front connections are accepted (offloaded with offload on),
# its back ones made by connect() (offloaded only with net.handoff.active).
# Then socat (read/write, a process per connection) as the proxy, the same
# transfers.  All with offload on, then off.
. /selftests/lib.sh
app_need haproxy socat
hnd_up
dmesg_mark
d=/tmp/haproxy
mkdir -p $d
cat >$d/haproxy.cfg <<CONF
global
	maxconn 256
	stats socket $d/stats.sock mode 600 level admin
defaults
	mode tcp
	timeout connect 10s
	timeout client 300s
	timeout server 300s
	option splice-request
	option splice-response
frontend fe
	bind :9000
	default_backend be
backend be
	server peer $PEER_ADDR:9001
CONF
haproxy -f $d/haproxy.cfg -db >$d/out 2>&1 &
hpid=$!
socat -t 30 TCP-LISTEN:9100,reuseaddr,fork TCP:$PEER_ADDR:9101 >$d/socat.out 2>&1 &
spid=$!
# killed however the test ends: holding our stdout they would hang the runner
trap 'kill $hpid $spid 2>/dev/null' EXIT
app_listening 9000 $d/out
app_listening 9100 $d/socat.out

spliced() {
	echo "show info" | socat - UNIX-CONNECT:$d/stats.sock |
		awk -F': ' '/^TotalSplic/ { print $2 }'
}

# proxy_xfer FRONT_PORT up|down|duplex BYTES SEED FLOWS: the peer's client
# connects to the guest's proxy at FRONT_PORT, which connects to the
# peer's backend at FRONT_PORT + 1; both ends check and hash every flow.
# (hnd_xfer knows a flow by the order of its connection: through a proxy
# that order may change, so more than one flow only one way.)
proxy_xfer() {
	local fp=$1 bp=$(($1 + 1)) dir=$2 bytes=$3 seed=$4 flows=$5
	local bmode=$2 cmode cseed=$4 cli be
	case $dir in
	up) bmode=recv cmode=send ;;
	down) bmode=send cmode=recv ;;
	duplex) cmode=duplex cseed=$(( $4 ^ 0x5eed0000 )) ;;	# STREAM_REPLY_SEED
	esac
	peer "hnd_xfer $bmode $PEER_CC --listen $bp --bytes $bytes --seed $seed --flows $flows >be.$bp 2>&1 &" ||
		fail "peer: could not start the backend"
	# (socat does not retry a refused connect)
	peer_listening $bp
	cli=$(peer "hnd_xfer $cmode $PEER_CC --connect $GUEST_ADDR:$fp --bytes $bytes --seed $cseed --flows $flows 2>&1") ||
		{ echo "$cli"; peer "cat be.$bp"; fail "port $fp, $dir: the client failed"; }
	wait_for "peer 'grep -q ^summary be.$bp' >/dev/null" 60 ||
		{ peer "cat be.$bp"; fail "port $fp, $dir: the backend did not finish"; }
	be=$(peer "cat be.$bp")
	echo "$be" | grep -q 'summary.* ok$' || { echo "$be"; fail "port $fp, $dir: the backend saw a broken stream"; }
	echo "port $fp, $dir: client $(echo "$cli" | grep ^summary)"
	if [ "$dir" = duplex ]; then
		same_digests "$(echo "$cli" | sed -n 's/^sent/flow/p')" "$(echo "$be" | grep '^flow')"
		same_digests "$(echo "$cli" | grep '^flow')" "$(echo "$be" | sed -n 's/^sent/flow/p')"
	else
		same_digests "$cli" "$be"
	fi
}

# through PROXY FRONT_PORT DIR BYTES SEED FLOWS: proxy_xfer, then the
# connections the module saw: FLOWS accepted, and as many made by
# connect() if it offloads those (with offload off it may see them or not)
through() {
	local what="$1 $3" min=$6 max=$6 s s0
	shift
	s0=$(spliced)
	app_mark
	proxy_xfer "$@"
	if [ -n "$ACTIVE" ]; then
		max=$(($5 * 2))
		[ "$APP_MODE" = off ] || min=$max
	fi
	# (a socket held after connect() is handed off at its first send or
	# receive once established; one only ever spliced from is not: the
	# "down" way, if haproxy's first read of the backend is a splice())
	app_offloaded "$what" $min $max
	[ "$1" = 9000 ] || return 0
	# haproxy must have spliced at least half of what went through it
	s=$(( $(spliced) - s0 ))
	echo "haproxy spliced $s bytes"
	[ "$s" -ge $(( $3 * $5 / 2 )) ] || fail "haproxy did not splice ($s bytes)"
}

for mode in on off; do
	app_mode $mode
	ACTIVE=
	app_active "9000-9001 9100-9101" && ACTIVE=1
	for p in 9000 9100; do
		proxy=haproxy
		[ $p = 9000 ] || proxy=socat
		through $proxy $p up 67108864 11 1
		through $proxy $p down 67108864 12 1
		through $proxy $p duplex 33554432 13 1
	done
done
app_alive $hpid || { cat $d/out; fail "haproxy died"; }
app_alive $spid || { cat $d/socat.out; fail "socat died"; }
[ -e /proc/sys/net/handoff/active ] && sysctl -qw net.handoff.active=0
grep -iE 'alert|emerg' $d/out && fail "haproxy complained (above)"
dmesg_check
app_done
