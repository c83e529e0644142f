#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR MIT)
#
# repair_selftest.sh - TCP_REPAIR export/import (repair.c) on live
# connections between two network namespaces joined by a veth pair:
#
#   rpr-t-PID: vt 10.99.0.1/24 fd99::1/64   <-- veth -->   rpr-p-PID: vp 10.99.0.2/24 fd99::2/64
#   repair_selftest test (moves its sockets)              repair_selftest peer
#
# KTAP on stdout.  Exit 0 pass, 1 fail, 4 skip (not root, or no netns/veth).
# The binary is $REPAIR_SELFTEST, else ../../build/harness/repair_selftest.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${REPAIR_SELFTEST:-$HERE/../../build/harness/repair_selftest}
NS_T=rpr-t-$$
NS_P=rpr-p-$$
CTL_PORT=7300
DATA_PORT=7301
PEER_PID=

skip() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit 4
}

cleanup() {
	# the peer ends when the test closes the control connection; this is
	# for a test that died
	if [ -n "$PEER_PID" ]; then
		kill "$PEER_PID" 2>/dev/null
		wait "$PEER_PID" 2>/dev/null
	fi
	ip netns del "$NS_T" 2>/dev/null
	ip netns del "$NS_P" 2>/dev/null
}

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, TCP_REPAIR)"
[ -x "$BIN" ] || { echo "repair_selftest.sh: no $BIN (run make)" >&2; exit 1; }
command -v tc >/dev/null || skip "needs tc (iproute2)"

trap cleanup EXIT

ip netns add "$NS_T" || skip "cannot create network namespaces"
ip netns add "$NS_P" || skip "cannot create network namespaces"
ip -n "$NS_T" link add vt type veth peer name vp netns "$NS_P" ||
	skip "cannot create a veth pair"

setup() {
	local ns=$1 dev=$2 n=$3

	ip -n "$ns" link set lo up &&
	ip -n "$ns" addr add "10.99.0.$n/24" dev "$dev" &&
	ip -n "$ns" addr add "fd99::$n/64" dev "$dev" nodad &&
	ip -n "$ns" link set "$dev" up
}
setup "$NS_T" vt 1 || exit 1
setup "$NS_P" vp 2 || exit 1

ip netns exec "$NS_P" "$BIN" peer "$CTL_PORT" "$DATA_PORT" &
PEER_PID=$!

ip netns exec "$NS_T" timeout 600 "$BIN" test "$NS_P" vp 10.99.0.2 fd99::2 \
	"$CTL_PORT" "$DATA_PORT"
rc=$?
[ "$rc" -eq 0 ] || rc=1
exit "$rc"
