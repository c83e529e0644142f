# Helpers for the guest's tests (busybox sh).  Source it: . /selftests/lib.sh
#
# Topology (made by selftests/run_vm.sh): the guest's handoff NIC and a tap
# device in a network namespace on the host; the host's Linux TCP is the
# peer, reached at $PEER_ADDR, and its agent at $PEER_CTL.

PEER_ADDR=10.77.0.1
GUEST_ADDR=10.77.0.2
PEER_CTL=$PEER_ADDR:7000
DRIVER=/lib/modules/handoff_nic.ko	# the NIC's driver
MODULE=/lib/modules/handoff.ko		# the connection-handoff protocol
KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4
# The peer's transfers run Linux's default congestion control, whatever
# this machine chose: the host here runs BBR (v1), which after the drops
# of a guest whose TCP is short of memory paced some connections at a few
# kbit/s for minutes.  (A namespace may not pick CUBIC by sysctl when the
# host does not allow it; a root socket may.)
PEER_CC="--cc cubic"

log() { echo "$*"; }
fail() { echo "FAIL: $*"; exit $KSFT_FAIL; }
skip() { echo "SKIP: $*"; exit $KSFT_SKIP; }

# Run a shell command on the host peer; its status is ours.
peer() { peerctl "$PEER_CTL" "$*"; }

# The second handoff NIC (run_vm.sh --nics 2, the default for the
# suites): its own tap and subnet, the same peer.
PEER_ADDR2=10.78.0.1
GUEST_ADDR2=10.78.0.2
MAC1=52:54:00:12:34:56
MAC2=52:54:00:12:34:57

# The interface the handoff driver made with MAC (default: the first
# NIC's; any handoff NIC if none has that MAC), if any.
hnd_ifname() {
	local d drv any=
	for d in /sys/class/net/*; do
		drv=$(readlink "$d/device/driver" 2>/dev/null)
		[ "${drv##*/}" = handoff_nic ] || continue
		[ "$(cat "$d/address")" = "${1:-$MAC1}" ] &&
			{ echo "${d##*/}"; return 0; }
		[ -n "$any" ] || any=${d##*/}
	done
	[ -z "${1:-}" ] && [ -n "$any" ] && { echo "$any"; return 0; }
	return 1
}

hnd_loaded() { grep -q '^handoff ' /proc/modules; }
hnd_driver_loaded() { grep -q '^handoff_nic ' /proc/modules; }

# Wait up to $2 seconds (default 10) for command $1 to succeed.
wait_for() {
	local cmd=$1 n=$(( ${2:-10} * 10 ))
	while [ $n -gt 0 ]; do
		eval "$cmd" && return 0
		usleep 100000
		n=$((n - 1))
	done
	return 1
}

# Load the driver and the protocol if needed, address and raise the
# interface, wait for the link.  Sets IF.
hnd_up() {
	hnd_driver_loaded || insmod "$DRIVER" || fail "insmod $DRIVER"
	hnd_loaded || insmod "$MODULE" || fail "insmod $MODULE"
	wait_for 'hnd_ifname >/dev/null' 5 || fail "no handoff_nic interface"
	IF=$(hnd_ifname)
	ip addr show dev "$IF" | grep -q "$GUEST_ADDR/" ||
		ip addr add "$GUEST_ADDR/24" dev "$IF"
	ip link set "$IF" up
	wait_for '[ "$(cat /sys/class/net/$IF/operstate)" = up ]' 10 ||
		fail "$IF did not come up"
}

# The second NIC, after hnd_up: address and raise it.  Sets IF2; skips
# the test if the guest has one NIC only.
hnd_up2() {
	wait_for "hnd_ifname $MAC2 >/dev/null" 5 ||
		skip "no second handoff NIC (run_vm.sh --nics 2)"
	IF2=$(hnd_ifname $MAC2)
	ip addr show dev "$IF2" | grep -q "$GUEST_ADDR2/" ||
		ip addr add "$GUEST_ADDR2/24" dev "$IF2"
	ip link set "$IF2" up
	wait_for '[ "$(cat /sys/class/net/$IF2/operstate)" = up ]' 10 ||
		fail "$IF2 did not come up"
}

# The driver's debugfs directory for $IF (or the interface given).
hnd_debugfs() {
	local pci
	pci=$(readlink "/sys/class/net/${1:-$IF}/device")
	echo "/sys/kernel/debug/handoff_nic/${pci##*/}"
}

# One ethtool -S counter of $IF.
hnd_stat() { ethtool -S "$IF" | awk -v k="$1:" '$1 == k { print $2 }'; }

# Fail if the kernel complained since the test started.
dmesg_mark() { dmesg -c >/dev/null; }
dmesg_check() {
	if dmesg | grep -E 'BUG|WARNING|Oops|Call Trace|general protection'; then
		fail "the kernel complained (above)"
	fi
}

# Send N bytes of stream SEED from the guest to the peer (peer listens on
# PORT) and compare both ends' SHA-256; then the other way round.
xfer_to_peer() { # PORT BYTES SEED [FLOWS]
	local port=$1 bytes=$2 seed=$3 flows=${4:-1} out
	peer "hnd_xfer recv $PEER_CC --listen $port --bytes $bytes --seed $seed --flows $flows >recv.$port 2>&1 &" ||
		fail "peer: could not start the receiver"
	out=$(hnd_xfer send ${GUEST_XFER_OPTS:-} --connect "$PEER_ADDR:$port" \
		--bytes "$bytes" --seed "$seed" --flows "$flows") ||
		{ echo "$out"; fail "send to peer"; }
	echo "guest sent:   ${out##*summary}"
	wait_for "peer 'grep -q ^summary recv.$port' >/dev/null" 60 ||
		fail "peer receiver did not finish"
	peer "cat recv.$port" >/tmp/recv.$port
	grep -q 'summary.* ok$' /tmp/recv.$port || { cat /tmp/recv.$port; fail "peer received a broken stream"; }
	same_digests "$out" "$(cat /tmp/recv.$port)"
}

xfer_from_peer() { # PORT BYTES SEED [FLOWS]
	local port=$1 bytes=$2 seed=$3 flows=${4:-1} out
	peer "hnd_xfer send $PEER_CC --listen $port --bytes $bytes --seed $seed --flows $flows >send.$port 2>&1 &" ||
		fail "peer: could not start the sender"
	out=$(hnd_xfer recv ${GUEST_XFER_OPTS:-} --connect "$PEER_ADDR:$port" \
		--bytes "$bytes" --seed "$seed" --flows "$flows") ||
		{ echo "$out"; fail "receive from peer"; }
	echo "guest recvd:  ${out##*summary}"
	wait_for "peer 'grep -q ^summary send.$port' >/dev/null" 60 ||
		fail "peer sender did not finish"
	peer "cat send.$port" >/tmp/send.$port
	same_digests "$out" "$(cat /tmp/send.$port)"
}

# Both ends must report the same digest for every flow.
same_digests() {
	local a b
	a=$(echo "$1" | awk '/^flow/ { print $2, $4, $6 }' | sort)
	b=$(echo "$2" | awk '/^flow/ { print $2, $4, $6 }' | sort)
	[ -n "$a" ] && [ "$a" = "$b" ] || { echo "guest: $a"; echo "peer:  $b"; fail "digests differ"; }
	echo "sha256 equal at both ends for $(echo "$a" | wc -l) flow(s)"
}

# One "name value" line of /proc/net/handoff.
hp_stat() { awk -v k="$1" '$1 == k { print $2; exit }' /proc/net/handoff; }

# Offloaded connections that left the NIC: ended there, or given back to
# the host (a connection in TIME_WAIT is, net.handoff.timewait_return).
hp_ended() { echo $(( $(hp_stat conns_closed) + $(hp_stat restored) )); }

# The guest serves: it listens on PORT and does MODE (send, recv, duplex)
# with each of FLOWS connections the peer opens; both ends' digests must
# agree.  Connections accepted in the guest are the ones handed off.
serve_xfer() { # MODE PORT BYTES SEED [FLOWS]
	local mode=$1 port=$2 bytes=$3 seed=$4 flows=${5:-1} pmode pseed=$4 out
	case $mode in
	send) pmode=recv ;;
	recv) pmode=send ;;
	*) pmode=duplex; pseed=$(( $4 ^ 0x5eed0000 )) ;;	# STREAM_REPLY_SEED
	esac
	hnd_xfer "$mode" ${GUEST_XFER_OPTS:-} --listen "$port" --bytes "$bytes" --seed "$seed" \
		--flows "$flows" >/tmp/srv.$port 2>&1 &
	local pid=$!
	usleep 300000
	peer "hnd_xfer $pmode $PEER_CC --connect $GUEST_ADDR:$port --bytes $bytes --seed $pseed --flows $flows ${PEER_XFER_OPTS:-} >cli.$port 2>&1 &" ||
		fail "peer: could not start the client"
	wait $pid || { cat /tmp/srv.$port; peer "cat cli.$port"; fail "guest side of the transfer failed"; }
	wait_for "peer 'grep -q ^summary cli.$port' >/dev/null" 60 ||
		fail "peer client did not finish"
	out=$(peer "cat cli.$port")
	echo "$out" | grep -q 'summary.* ok$' || { echo "$out"; fail "peer saw a broken stream"; }
	echo "guest $mode: $(grep ^summary /tmp/srv.$port)"
	if [ "$mode" = duplex ]; then
		# what one end sent is what the other received, both ways
		same_digests "$(sed -n 's/^sent/flow/p' /tmp/srv.$port)" \
			"$(echo "$out" | grep '^flow')"
		same_digests "$(grep '^flow' /tmp/srv.$port)" \
			"$(echo "$out" | sed -n 's/^sent/flow/p')"
	else
		same_digests "$(cat /tmp/srv.$port)" "$out"
	fi
}

# The restore tests' load: 64 duplex transfers of 6 MB each way started in
# the background (output to OUT, pid in XFER), returning once every one of
# them is offloaded and a second has passed, so that all are moving.
load_64_offloaded() { # PORT SEED OUT
	local ok0
	ok0=$(hp_stat handoff_ok)
	( serve_xfer duplex "$1" 6000000 "$2" 64 ) >"$3" 2>&1 &
	XFER=$!
	wait_for "[ \$(( \$(hp_stat handoff_ok) - $ok0 )) -ge 64 ]" 60 ||
		{ cat "$3"; fail "the 64 connections were not offloaded"; }
	sleep 1
}

# How hard the guest's TCP was pressed for memory (a restore moves the
# NIC's buffered bytes into TCP's accounting at once): since boot.
tcp_pressure_report() {
	awk '/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) k[$i] = i; h = 1 }
		else printf "TCP memory pressure %d times, %d ms; receive drops %d, prunes %d\n",
			$k["TCPMemoryPressures"], $k["TCPMemoryPressuresChrono"],
			$k["TCPRcvQDrop"], $k["PruneCalled"] }' /proc/net/netstat
}

# Offload on, all ports, defaults.
bp_defaults() {
	sysctl -qw net.handoff.enable=1 net.handoff.max_conns=4096 \
		net.handoff.handoff_delay_ms=0 net.handoff.headroom=0 \
		net.handoff.idle_restore_s=0 net.handoff.adaptive=1 \
		net.handoff.adaptive_low_pct=10 net.handoff.adaptive_high_pct=20 \
		net.handoff.active=0
	# busybox sysctl does not write an empty value: every port
	echo >/proc/sys/net/handoff/ports
	[ -z "$(cat /proc/sys/net/handoff/ports)" ] || fail "ports not reset"
}

# ---- sockcheck: socket semantics with offload on and off -------------------
# Each scenario of selftests/tools/sockcheck.c is one connection: the guest
# accepts it (so it may be offloaded) and checks what the socket calls
# say, the peer (the host's TCP) acts when told over a control connection.
# A test runs its scenarios with offload on and then off: both runs must
# pass, with the same checks, the on run offloading each connection and
# the off run none.

# sc_mode on|off: offload on (the defaults) or off for what follows.
sc_mode() {
	SC_MODE=$1 SC_N=0 SC_FAILED=
	bp_defaults
	[ "$1" = on ] || sysctl -qw net.handoff.enable=0
	SC_OK0=$(hp_stat handoff_ok)
	: >/tmp/sc_checks.$1
}

# sc_run SCENARIO PORT [GUEST_OPTS] [PEER_OPTS]; the peer connects to
# $SC_ADDR (default $GUEST_ADDR), through that address's NIC.  The peer
# is $SC_PEER (default "sockcheck peer"; ktls_peer for sc_ktls.c's).
sc_run() {
	local scen=$1 port=$2 cport=$(( $2 + 1000 )) gpid rc=0
	echo "## $scen, offload $SC_MODE, port $port"
	sockcheck guest "$scen" --listen "$port" --ctl "$PEER_ADDR:$cport" \
		${3:-} >/tmp/sc.$port 2>&1 &
	gpid=$!
	peer "${SC_PEER:-sockcheck peer} --connect ${SC_ADDR:-$GUEST_ADDR}:$port --ctl-listen $cport ${4:-} >sc.$port 2>&1 &" ||
		{ kill $gpid; fail "peer: could not start sockcheck"; }
	wait $gpid || rc=1
	wait_for "peer 'grep -q ^done sc.$port' >/dev/null" 30 || rc=1
	grep -v '^info peer' /tmp/sc.$port
	if [ $rc -ne 0 ]; then
		peer "cat sc.$port" | sed 's/^/peer: /'
		SC_FAILED="$SC_FAILED $scen"
	fi
	grep -E '^(ok|FAIL)' /tmp/sc.$port | sed "s/^/$scen: /" >>/tmp/sc_checks.$SC_MODE
	SC_N=$((SC_N + 1))
}

# sc_done: every scenario passed; on: all offloaded, off: none.  A
# failure is reported here and fails the test in sc_same, after the other
# run has been seen too.
sc_done() {
	local n=$(( $(hp_stat handoff_ok) - SC_OK0 ))
	echo "offload $SC_MODE: $n of $SC_N connections offloaded"
	if [ -n "$SC_FAILED" ]; then
		echo "FAIL: offload $SC_MODE:$SC_FAILED"
		SC_BAD=1
	fi
	if [ "$SC_MODE" = on ] && [ "$n" -ne "$SC_N" ]; then
		echo "FAIL: offload on: not every connection was offloaded"
		SC_BAD=1
	elif [ "$SC_MODE" = off ] && [ "$n" -ne 0 ]; then
		echo "FAIL: offload off: a connection was offloaded"
		SC_BAD=1
	fi
}

# sc_on_off BASE FN: FN's scenarios (sc_run ... $((base + i))) with offload
# on, ports from BASE, then off, from BASE + 50; then sc_same.
sc_on_off() {
	local mode
	for mode in on off; do
		base=$1
		[ $mode = on ] || base=$(( $1 + 50 ))
		sc_mode $mode
		"$2"
		sc_done
	done
	sc_same
}

# sc_same: both runs passed, with the same checks.
sc_same() {
	[ -z "${SC_BAD:-}" ] || fail "see above"
	diff /tmp/sc_checks.on /tmp/sc_checks.off ||
		fail "offload on and off differ (above)"
	echo "the same $(wc -l </tmp/sc_checks.on) checks passed with offload on and off"
}

# sc_freed OFFLOADED0 CLOSED0 N PORT...: the N connections offloaded since
# the counters were OFFLOADED0 (offloaded) and CLOSED0 (hp_ended) were
# all freed (the NIC's TIME_WAIT is 60 s): none of PORTs in
# /proc/net/handoff, offloaded back down.
sc_freed() {
	local off0=$1 closed0=$2 n=$3 p ports=
	shift 3
	for p in "$@"; do ports="$ports|:$p"; done
	ports=${ports#|}
	if ! wait_for "[ \$(hp_stat offloaded) -le $off0 ] &&
		! sed '1,/^connections:/d' /proc/net/handoff | grep -qE ' [0-9.]+($ports) '" 120; then
		cat /proc/net/handoff
		fail "offloaded connections were not freed"
	fi
	[ $(( $(hp_ended) - closed0 )) -ge "$n" ] ||
		fail "conns_closed + restored grew by less than $n"
	echo "all $n offloaded connections left the NIC (offloaded $(hp_stat offloaded), closed or restored +$(( $(hp_ended) - closed0 )))"
}

# sc_peer_freed PORT...: the peer holds no socket to those guest ports.
sc_peer_freed() {
	local p
	for p in "$@"; do
		wait_for "[ \"\$(peer \"ss -tanH state all '( dport = :$p )' | wc -l\")\" = 0 ]" 30 ||
			{ peer "ss -tan state all '( dport = :$p )'"; fail "the peer still has a socket to port $p"; }
	done
	echo "the peer holds no socket to ports $*"
}

# ktls_load: tls.ko and the AES-GCM it needs (mkinitramfs.sh copies them
# from the guest kernel's tree), in order; skips the test if they are not
# there or do not load.
ktls_load() {
	local m
	for m in gf128mul ghash-generic ctr gcm tls; do
		grep -q "^$(echo $m | tr - _) " /proc/modules && continue
		[ -e /lib/modules/ktls/$m.ko ] ||
			skip "no /lib/modules/ktls/$m.ko in the initramfs (kTLS)"
		insmod /lib/modules/ktls/$m.ko ||
			skip "insmod $m.ko failed: no kTLS in this guest"
	done
}

# ---- several NICs ----------------------------------------------------------

# hp_conns NIC: the offloaded connections /proc/net/handoff lists on NIC,
# one "cid local-address" line each.
hp_conns() {
	sed '1,/^connections:/d' /proc/net/handoff |
		awk -v n="$1" '$2 == n { print $1, $4 }'
}

# The guest serves MODE as serve_xfer does, but at ADDR (the peer connects
# there, so the connections take that address's NIC).
serve_xfer_at() { # ADDR MODE PORT BYTES SEED [FLOWS]
	local addr=$1
	shift
	( GUEST_ADDR=$addr; serve_xfer "$@" )
}

# One command for QEMU's monitor (HMP), sent by the peer: the monitor's
# socket is in the peer's directory (run_vm.sh).  Fails, saying why, if
# the monitor answered with an error.
hmp() {
	local out
	out=$(peer "echo '$*' | socat -t 2 - UNIX-CONNECT:monitor.sock") ||
		return 1
	echo "$out" | grep -a 'Error' && return 1
	return 0
}

# ---- tracepoints ------------------------------------------------------------
# trace_on SYSTEM...: tracefs mounted, the buffer emptied, every event of
# each system (handoff, handoff_nic) on.  trace_dump: what they recorded.
TRACEFS=/sys/kernel/tracing
trace_on() {
	local sys
	[ -d $TRACEFS/events ] || mount -t tracefs nodev $TRACEFS ||
		skip "no tracefs"
	echo >$TRACEFS/trace
	for sys in "$@"; do
		[ -d $TRACEFS/events/$sys ] || fail "no tracepoints of $sys"
		echo 1 >$TRACEFS/events/$sys/enable
	done
}
trace_dump() { grep -v '^#' $TRACEFS/trace; }

# ---- apps: unmodified programs over offloaded connections -------------------
# A test runs its program with offload on and then off (app_mode), marks
# the counters before each phase (app_mark) and checks after it what
# happened to the connections the guest accepted since (app_offloaded).

# app_need PROG...: skip unless the initramfs has each (scripts/deps.sh
# installs them on the host, mkinitramfs.sh copies them in).
app_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null || skip "$p is not in the initramfs"
	done
}

# app_mode on|off: offload on (the defaults) or off for what follows.
app_mode() {
	APP_MODE=$1
	bp_defaults
	[ "$1" = on ] || sysctl -qw net.handoff.enable=0
	echo "## offload $1"
}

# app_active PORTS: offload connections made by connect() too, if the
# module can (net.handoff.active), and only those of PORTS (the service's
# port: the local one if accepted, the peer's if connected), so that
# peerctl's own connections to the agent stay out of the count; says so
# and returns 1 if it cannot.
app_active() {
	if [ -e /proc/sys/net/handoff/active ]; then
		sysctl -qw net.handoff.active=1
		echo "$1" >/proc/sys/net/handoff/ports
		return 0
	fi
	echo "net.handoff.active absent: connections made by connect() stay on the host stack and are checked for their outcome only"
	return 1
}

app_mark() {
	APP_TRIED0=$(hp_stat handoff_tried)
	APP_OK0=$(hp_stat handoff_ok)
	APP_REF0=$(hp_stat handoff_refused)
	APP_HELD0=$(hp_stat active_held)
}

# app_offloaded WHAT MIN [MAX]: the module saw at least MIN (at most MAX)
# connections since app_mark; with offload on every one was offloaded and
# none refused, with offload off none was offloaded.  A failure is told
# here and fails the test in app_done, after the other steps have run.
app_offloaded() {
	local what=$1 min=$2 max=${3:-$2} tried ok ref
	tried=$(( $(hp_stat handoff_tried) - APP_TRIED0 ))
	ok=$(( $(hp_stat handoff_ok) - APP_OK0 ))
	ref=$(( $(hp_stat handoff_refused) - APP_REF0 ))
	echo "$what: offload $APP_MODE: connections seen $tried, offloaded $ok, refused $ref${APP_HELD0:+, held after connect() $(( $(hp_stat active_held) - APP_HELD0 ))}"
	[ "$tried" -ge "$min" ] && [ "$tried" -le "$max" ] ||
		app_bad "$what: $tried connections seen, expected $min to $max"
	if [ "$APP_MODE" = on ]; then
		[ "$ok" -eq "$tried" ] && [ "$ref" -eq 0 ] || {
			grep '^refused' /proc/net/handoff | grep -v ' 0$'
			app_bad "$what: not every connection was offloaded"
		}
	else
		[ "$ok" -eq 0 ] || app_bad "$what: a connection was offloaded with offload off"
	fi
	return 0
}

app_bad() {
	echo "FAIL: $*"
	APP_FAILED="${APP_FAILED:+$APP_FAILED; }$*"
}

# app_done: fail if app_offloaded found anything wrong.
app_done() {
	[ -z "${APP_FAILED:-}" ] || fail "$APP_FAILED"
}

# app_listening PORT [LOG...]: wait until something listens on TCP PORT;
# if nothing does, show the server's LOGs and fail.
app_listening() {
	local port=$1
	shift
	wait_for "netstat -ltn | grep -q ':$port '" 20 && return 0
	[ $# -eq 0 ] || cat "$@"
	fail "nothing listens on port $port"
}

# peer_listening PORT: wait until something listens on TCP PORT on the peer.
peer_listening() {
	wait_for "peer 'ss -ltnH sport = :$1 | grep -q .' >/dev/null" 20 ||
		fail "nothing listens on the peer's port $1"
}

# app_alive PID: the process runs (not gone, not a zombie).
app_alive() {
	local st
	st=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

# app_wait PID SECS: wait up to SECS for a child to end; its status, or
# 124 (and it is killed) if it did not.
app_wait() {
	wait_for "! app_alive $1" "$2" || { kill -9 "$1" 2>/dev/null; wait "$1"; return 124; }
	wait "$1"
}

# app_stop PID: end a server (TERM, then KILL after 10 s).
app_stop() {
	kill "$1" 2>/dev/null
	app_wait "$1" 10 >/dev/null
	return 0
}
