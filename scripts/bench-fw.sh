#!/usr/bin/env bash
# make bench-fw: the firmware's instructions per MSS-sized packet, counted
# by callgrind (deterministic: the same binary and input give the same
# count), for a bulk receive and a bulk send, beside the paper's figure.
#
# Counted: everything under the firmware's entry points (nfw_rx_frame,
# nfw_run, nfw_timer), i.e. parsing, lookup, TCP, DMA of the payload,
# events and the OS's per-packet commands.  The checksum share is shown
# apart: a NIC computes it in its DMA engine, the paper's did too.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$REPO/build}
N=${N:-20000}
mkdir -p "$BUILD/fw"
bench=$BUILD/fw/fw_bench
gcc -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -o "$bench" \
	"$REPO"/nic_fw_model/bench/fw_bench.c \
	"$REPO"/nic_fw_model/tests/fw_conn.c "$REPO"/nic_fw_model/tests/fw_host.c \
	"$REPO"/nic_fw_model/nfw_*.c

printf '%-14s %10s %10s %10s %14s\n' "firmware" "instr/pkt" "checksum" "the rest" "paper (Tab. 2)"
for mode in rx tx; do
	out=$BUILD/fw/callgrind.$mode
	line=$(valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect=nfw_rx_frame --toggle-collect=nfw_run \
		--toggle-collect=nfw_timer "$bench" "$mode" "$N" 2>/dev/null)
	pkts=$(echo "$line" | awk '{ print $2 }')
	total=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$out")
	csum=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
		awk '/:nfw_csum_add( |$)/{ gsub(",", "", $1); v = $1 + 0; if (v > m) m = v } END { print m + 0 }')
	name=$([ "$mode" = rx ] && echo "bulk receive" || echo "bulk send")
	printf '%-14s %10d %10d %10d %14s\n' "$name" $((total / pkts)) \
		$((csum / pkts)) $(((total - csum) / pkts)) 3144
done
echo "($N segments each; callgrind outputs in $BUILD/fw/callgrind.{rx,tx})"

# The harness: the same path with Linux's TCP and with the firmware's.
if [ "$(id -u)" -eq 0 ]; then
	make -s -C "$REPO/selftests/tools" BUILD="$BUILD" >/dev/null
	make -s -C "$REPO/nic_fw_model/harness" BUILD="$BUILD" all >/dev/null
	BUILD=$BUILD bash "$REPO/nic_fw_model/harness/fw_harness.sh" --bench |
		grep '^bench:' | sed 's/^bench: //'
else
	echo "(the harness throughput needs root: skipped)"
fi
