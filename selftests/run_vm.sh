#!/usr/bin/env bash
# Boot the guest with the handoff NIC and run test suites (or the demo, or
# a shell) in it.  The host side: a network namespace holding the tap
# device, QEMU, and the peer agent; the host's Linux TCP is the peer.
#
#   run_vm.sh --suite nic [--suite ...]   KTAP to build/results/<suite>.tap
#   run_vm.sh --demo
#   run_vm.sh --bench        make bench's guest run, counting guest
#                            instructions (bench/insn_count.c); raw
#                            figures to build/results/bench.raw
#   run_vm.sh --shell
#   --smp N      guest CPUs (default $HND_SMP or 1)
#   --nics N     handoff NICs in the guest (1 or 2; 2 by default for the
#                suites and the shell, 1 for demo and bench): the second on
#                tap1, the peer's 10.78.0.1, for the several-NIC tests
#   --kernel F   the guest's kernel (default /boot/vmlinuz-$KVER; also
#                HND_KERNEL)
#   --initrd F   its initramfs (default build/initramfs.cpio.gz; also
#                HND_INITRD)
#   --results D  where KTAP and logs go (default build/results; also
#                HND_RESULTS): make check-debug keeps its own
#   HND_APPEND   more kernel command line (make check-debug: loglevel=5,
#                so that lockdep's warnings reach the console)
#
# Needs root (namespaces, tap).  Exits non-zero if any test failed.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build
RESULTS=${HND_RESULTS:-$BUILD/results}
KVER=${KVER:-$(ls /usr/src | sed -n 's/^linux-headers-\(.*-amd64\)$/\1/p' | sort -V | tail -n 1)}
kernel=${HND_KERNEL:-/boot/vmlinuz-$KVER}
initrd=${HND_INITRD:-$BUILD/initramfs.cpio.gz}
PEER_ADDR=10.77.0.1
MAC=52:54:00:12:34:56
PEER_ADDR2=10.78.0.1
MAC2=52:54:00:12:34:57
nics=
smp=${HND_SMP:-1}
mode=check
suites=()
timeout=${HND_VM_TIMEOUT:-3000}

while [ $# -gt 0 ]; do
	case $1 in
	--suite) suites+=("$2"); shift ;;
	--demo) mode=demo ;;
	--bench) mode=bench ;;
	--shell) mode=shell ;;
	--timeout) timeout=$2; shift ;;
	--nics) nics=$2; shift ;;
	--smp) smp=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--results) RESULTS=$2; shift ;;
	*) echo "usage: $0 [--nics N] [--smp N] [--kernel F] [--initrd F] [--results D] --suite NAME... | --demo | --bench | --shell" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$nics" ]; then
	case $mode in demo|bench) nics=1 ;; *) nics=2 ;; esac
fi
case $nics in 1|2) ;; *) echo "run_vm.sh: --nics is 1 or 2" >&2; exit 2 ;; esac
if [ "$(id -u)" -ne 0 ]; then
	echo "run_vm.sh: needs root for the network namespace and tap device" >&2
	exit 4
fi
for f in "$BUILD/qemu-system-x86_64" "$initrd" "$kernel"; do
	[ -e "$f" ] || { echo "run_vm.sh: missing $f (run make)" >&2; exit 1; }
done

ns=hnd-$$-$RANDOM
work=$(mktemp -d /tmp/hnd-peer.XXXXXX)
agent=
cleanup() {
	[ -n "$agent" ] && kill "$agent" 2>/dev/null
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	[ -n "${KEEP_PEER_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev tap0 mode tap
ip -n "$ns" addr add "$PEER_ADDR/24" dev tap0
ip -n "$ns" link set tap0 up
if [ "$nics" -eq 2 ]; then
	ip -n "$ns" tuntap add dev tap1 mode tap
	ip -n "$ns" addr add "$PEER_ADDR2/24" dev tap1
	ip -n "$ns" link set tap1 up
fi

ip netns exec "$ns" python3 "$REPO/selftests/peer_agent.py" \
	--listen "$PEER_ADDR:7000" --workdir "$work" \
	--path "$BUILD/tools/host" &
agent=$!

mkdir -p "$RESULTS"
raw=$RESULTS/ktap.raw
rm -f "$raw"
suite_list=$(IFS=,; echo "${suites[*]:-}")
cmdline="console=ttyS0 quiet panic=-1 no_timer_check hnd_mode=$mode hnd_suites=$suite_list${HND_APPEND:+ $HND_APPEND}"
qemu_extra=()
if [ "$nics" -eq 2 ]; then
	qemu_extra+=(-netdev tap,id=n1,ifname=tap1,script=no,downscript=no
		-device "handoff-nic,netdev=n1,mac=$MAC2,max-conns=4096,id=hnd1")
fi
if [ "$mode" = demo ] && [ -e "$BUILD/bench/libinsn_count.so" ]; then
	# the demo's guest reads its instruction counts through the peer
	smp=1
	qemu_extra+=(-plugin "$BUILD/bench/libinsn_count.so,out=$work/insn_marks.txt")
fi
if [ "$mode" = bench ]; then
	plugin=$BUILD/bench/libinsn_count.so
	[ -e "$plugin" ] || { echo "run_vm.sh: missing $plugin (make bench-plugin)" >&2; exit 1; }
	rm -f "$RESULTS/insn_marks.txt"
	# one CPU keeps the plugin's inline counters exact
	smp=1
	qemu_extra+=(-plugin "$plugin,out=$RESULTS/insn_marks.txt")
	cmdline="$cmdline hnd_bench_mb=${HND_BENCH_MB:-64} hnd_bench_rounds=${HND_BENCH_ROUNDS:-3} hnd_bench_reqs=${HND_BENCH_REQS:-200}"
fi
# The monitor on a socket in the peer's directory: tests unplug and plug
# devices with it (hmp in selftests/lib.sh: device_del hnd1, device_add).
qemu=(
	"$BUILD/qemu-system-x86_64" -accel tcg -m 2048 -smp "$smp"
	-display none -no-reboot
	-monitor "unix:$work/monitor.sock,server=on,wait=off"
	-L /usr/share/seabios -L /usr/share/qemu
	-kernel "$kernel" -initrd "$initrd"
	-append "$cmdline"
	-netdev tap,id=n0,ifname=tap0,script=no,downscript=no
	-device handoff-nic,netdev=n0,mac=$MAC,max-conns=4096
	"${qemu_extra[@]}"
)
if [ "$mode" = shell ]; then
	ip netns exec "$ns" "${qemu[@]}" -serial mon:stdio
	exit 0
fi

console=$RESULTS/console-$mode.log
set +e
timeout "$timeout" ip netns exec "$ns" "${qemu[@]}" \
	-serial stdio -serial "file:$raw" </dev/null | tee "$console"
qemu_rc=${PIPESTATUS[0]}
set -e
[ "$qemu_rc" -eq 0 ] || echo "run_vm.sh: QEMU exited with $qemu_rc" >&2
cp "$work/peer.log" "$RESULTS/peer-$mode.log" 2>/dev/null || true

if [ "$mode" = demo ]; then
	grep -q '^DEMO-EXIT 0' "$console"
	exit
fi
if [ "$mode" = bench ]; then
	tr -d '\r' <"$raw" >"$RESULTS/bench.raw"
	grep -q '^BENCH-EXIT 0' "$RESULTS/bench.raw"
	exit
fi

# Split the KTAP streams and judge each suite.
passed=0 failed=0 skipped=0
for s in "${suites[@]}"; do
	tap=$RESULTS/$s.tap
	tr -d '\r' <"$raw" | sed -n "/^KTAP-BEGIN $s\$/,/^KTAP-END $s\$/p" |
		sed '1d;$d' >"$tap"
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap")
	ok=$(grep -c '^ok ' "$tap" || true)
	skip=$(grep -c '^ok .* # SKIP' "$tap" || true)
	bad=$(grep -c '^not ok ' "$tap" || true)
	if [ -z "$plan" ] || [ $((ok + bad)) -ne "$plan" ]; then
		echo "suite $s: incomplete KTAP (plan ${plan:-none}, $((ok + bad)) results)"
		bad=$(( ${plan:-1} - ok ))
		[ "$bad" -gt 0 ] || bad=1
	fi
	grep -E '^(not )?ok ' "$tap" | sed "s/^/$s: /"
	passed=$((passed + ok - skip)); skipped=$((skipped + skip)); failed=$((failed + bad))
done
echo "guest: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
