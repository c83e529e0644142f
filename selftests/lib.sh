# Helpers for the guest's tests (busybox sh).  Source it: . /selftests/lib.sh
#
# Topology (made by selftests/run_vm.sh): the guest's handoff NIC and a tap
# device in a network namespace on the host; the host's Linux TCP is the
# peer, reached at $PEER_ADDR, and its agent at $PEER_CTL.

PEER_ADDR=10.77.0.1
GUEST_ADDR=10.77.0.2
PEER_CTL=$PEER_ADDR:7000
MODULE=/lib/modules/handoff.ko
KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

log() { echo "$*"; }
fail() { echo "FAIL: $*"; exit $KSFT_FAIL; }
skip() { echo "SKIP: $*"; exit $KSFT_SKIP; }

# Run a shell command on the host peer; its status is ours.
peer() { peerctl "$PEER_CTL" "$*"; }

# The interface the handoff driver made, if any.
hnd_ifname() {
	local d drv
	for d in /sys/class/net/*; do
		drv=$(readlink "$d/device/driver" 2>/dev/null)
		[ "${drv##*/}" = handoff_nic ] && { echo "${d##*/}"; return 0; }
	done
	return 1
}

hnd_loaded() { grep -q '^handoff ' /proc/modules; }

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

# Load the module if needed, address and raise the interface, wait for
# the link.  Sets IF.
hnd_up() {
	hnd_loaded || insmod "$MODULE" || fail "insmod $MODULE"
	wait_for 'hnd_ifname >/dev/null' 5 || fail "no handoff_nic interface"
	IF=$(hnd_ifname)
	ip addr show dev "$IF" | grep -q "$GUEST_ADDR/" ||
		ip addr add "$GUEST_ADDR/24" dev "$IF"
	ip link set "$IF" up
	wait_for '[ "$(cat /sys/class/net/$IF/operstate)" = up ]' 10 ||
		fail "$IF did not come up"
}

# The driver's debugfs directory for $IF.
hnd_debugfs() {
	local pci
	pci=$(readlink "/sys/class/net/$IF/device")
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
	peer "hnd_xfer recv --listen $port --bytes $bytes --seed $seed --flows $flows >recv.$port 2>&1 &" ||
		fail "peer: could not start the receiver"
	out=$(hnd_xfer send --connect "$PEER_ADDR:$port" --bytes "$bytes" \
		--seed "$seed" --flows "$flows") || { echo "$out"; fail "send to peer"; }
	echo "guest sent:   ${out##*summary}"
	wait_for "peer 'grep -q ^summary recv.$port' >/dev/null" 60 ||
		fail "peer receiver did not finish"
	peer "cat recv.$port" >/tmp/recv.$port
	grep -q 'summary.* ok$' /tmp/recv.$port || { cat /tmp/recv.$port; fail "peer received a broken stream"; }
	same_digests "$out" "$(cat /tmp/recv.$port)"
}

xfer_from_peer() { # PORT BYTES SEED [FLOWS]
	local port=$1 bytes=$2 seed=$3 flows=${4:-1} out
	peer "hnd_xfer send --listen $port --bytes $bytes --seed $seed --flows $flows >send.$port 2>&1 &" ||
		fail "peer: could not start the sender"
	out=$(hnd_xfer recv --connect "$PEER_ADDR:$port" --bytes "$bytes" \
		--seed "$seed" --flows "$flows") || { echo "$out"; fail "receive from peer"; }
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
