#!/usr/bin/env bash
# The firmware against Linux's TCP: two namespaces, a tap in each, and
# fw_harness between them (see hh.h).  Needs root; exit 4 without it.
#   fw_harness.sh [TEST...]     KTAP on stdout
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$here/../../build}
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP fw_harness needs root"; exit 4; }

os=hhos-$$
wire=hhwire-$$
cleanup() {
	ip netns del "$os" 2>/dev/null || true
	ip netns del "$wire" 2>/dev/null || true
}
trap cleanup EXIT

setup() { # NS IF ADDR4 ADDR6 MAC
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" tuntap add dev "$2" mode tap
	ip -n "$1" link set "$2" address "$5"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" addr add "$4/64" dev "$2" nodad
	ip -n "$1" link set "$2" up
	# the harness's taps carry offloaded segments the kernel never saw
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_rmem="4096 131072 6291456"
}
setup "$os" hos0 10.88.0.2 fd88::2 02:88:00:00:00:02
setup "$wire" hwire0 10.88.0.1 fd88::1 02:88:00:00:00:01

"$BUILD/harness/fw_harness" --os "$os" --wire "$wire" \
	--xfer "$BUILD/tools/host/hnd_xfer" \
	--fuzz "make -s -C $here/../fuzz BUILD=$BUILD smoke" "$@"
