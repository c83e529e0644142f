#!/usr/bin/env bash
# make bench-fw: the firmware's instructions per MSS-sized packet, counted
# by callgrind (deterministic: the same binary and input give the same
# count), for a bulk receive and a bulk send, beside the paper's figure.
#
# Counted: everything under the firmware's entry points (nfw_rx_frame,
# nfw_run, nfw_timer), i.e. parsing, lookup, TCP, DMA of the payload,
# events and the OS's per-packet commands.  Two shares are shown apart,
# and included in the total: the Internet checksum (nfw_csum_acc), which
# a NIC computes in its DMA engine, and the DMA copies themselves (the
# host's dma_read/dma_write callbacks, a memcpy here).
#
# Receive runs with the peer's segments arriving one at a time (each
# followed by a firmware run and the OS's answer) and in bursts of 8 and
# 16 (as a NIC's receive queue fills while its processor works; the guest
# bench measured fewer ring messages per packet than bursts of 16 give).
# Send runs with the peer acknowledging every second segment (RFC 1122)
# and every sixteenth (the guest bench's Linux peer, behind GRO, sent one
# ACK per 50 or so).
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

# The largest inclusive count callgrind_annotate gives for a function (a
# function may be listed under two spellings of its file).
incl() { # FILE FUNC
	callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
		awk -v f=":$2 " 'index($0, f) { gsub(",", "", $1); v = $1 + 0;
			if (v > m) m = v } END { print m + 0 }'
}

printf '%-26s %9s %9s %9s %9s %9s %9s\n' "firmware" "instr/pkt" "checksum" \
	"DMA copy" "the rest" "msgs/pkt" "ACKs/pkt"
for run in "rx 1" "rx 8" "rx 16" "tx 2" "tx 16"; do
	set -- $run
	out=$BUILD/fw/callgrind.$1${2:-}
	line=$(valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect=nfw_rx_frame --toggle-collect=nfw_run \
		--toggle-collect=nfw_timer "$bench" "$1" "$N" ${2:-} 2>/dev/null)
	pkts=$(echo "$line" | awk '{ print $2 }')
	total=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$out")
	csum=$(incl "$out" nfw_csum_acc)
	dma=$(( $(incl "$out" cb_dma_write) + $(incl "$out" cb_dma_read) ))
	msgs=$(echo "$line" | sed -n 's/.* \([0-9]*\) ring messages.*/\1/p')
	acks=$(echo "$line" | sed -n 's/.* \([0-9]*\) ACKs \(in\|out\).*/\1/p')
	case $run in
	"rx 1")	name="bulk receive, one by one" ;;
	rx*)	name="bulk receive, bursts of $2" ;;
	"tx 2")	name="bulk send, ACK every 2nd" ;;
	tx*)	name="bulk send, ACK every $2th" ;;
	esac
	printf '%-26s %9d %9d %9d %9d %9s %9s\n' "$name" $((total / pkts)) \
		$((csum / pkts)) $((dma / pkts)) \
		$(((total - csum - dma) / pkts)) \
		"$(awk -v m="$msgs" -v p="$pkts" 'BEGIN { printf "%.2f", m / p }')" \
		"$(awk -v a="$acks" -v p="$pkts" 'BEGIN { printf "%.2f", a / p }')"
done
echo "(paper, Table 2: 3144 instructions per packet; $N segments each;"
echo " callgrind outputs in $BUILD/fw/callgrind.*)"

# The harness: the same path with Linux's TCP and with the firmware's.
if [ "$(id -u)" -eq 0 ]; then
	make -s -C "$REPO/selftests/tools" BUILD="$BUILD" >/dev/null
	make -s -C "$REPO/nic_fw_model/harness" BUILD="$BUILD" all >/dev/null
	BUILD=$BUILD bash "$REPO/nic_fw_model/harness/fw_harness.sh" --bench |
		grep '^bench:' | sed 's/^bench: //'
else
	echo "(the harness throughput needs root: skipped)"
fi
