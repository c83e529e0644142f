#!/usr/bin/env bash
# make bench: boot the guest with the instruction-counting plugin, run the
# same workloads with offload on and off (selftests/bench/guest.sh), and
# print the figures side by side (bench/report.py), also kept in
# build/results/bench.txt.  HND_BENCH_MB: megabytes each way per bulk
# phase; HND_BENCH_REQS: requests per short-connection phase;
# HND_BENCH_ROUNDS: how many times each phase runs.
#
# Figures, not a test: nothing here judges speed.  It fails only if the
# run itself went wrong (a transfer broke, a phase or a marker is missing,
# a connection was or was not offloaded against the plan).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=$REPO/build/results
KVER=${KVER:-$(ls /usr/src | sed -n 's/^linux-headers-\(.*-amd64\)$/\1/p' | sort -V | tail -n 1)}

bash "$REPO/selftests/run_vm.sh" --bench --timeout "${HND_BENCH_TIMEOUT:-1800}" >/dev/null || {
	echo "bench: the guest run failed; see $RESULTS/console-bench.log" >&2
	exit 1
}
{
	python3 "$REPO/bench/report.py" "$RESULTS/bench.raw" "$RESULTS/insn_marks.txt"
	echo
	echo "$(date -u +%Y-%m-%d), guest kernel $KVER," \
		"$("$REPO/build/qemu-system-x86_64" --version | head -n 1)," \
		"commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "reproduce: make bench BENCH_MB=${HND_BENCH_MB:-64} BENCH_REQS=${HND_BENCH_REQS:-200} BENCH_ROUNDS=${HND_BENCH_ROUNDS:-3} (as root)"
} >"$RESULTS/bench.txt.tmp"
mv "$RESULTS/bench.txt.tmp" "$RESULTS/bench.txt"
cat "$RESULTS/bench.txt"
