#!/usr/bin/env bash
# make check-debug: the guest suites on the debug kernel
# (scripts/build-debug-kernel.sh: lockdep, KASAN, kmemleak,
# DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS).  Everything goes to build/debug, so
# the normal build's artefacts stay as they are:
#   build/debug/src           a copy of the modules' sources, built there
#                             against the debug kernel's tree (kbuild
#                             builds M= in place)
#   build/debug/initramfs.cpio.gz
#   build/debug/results       the suites' KTAP, the console, and
#                             debug-kernel.tap: the console's lockdep,
#                             KASAN, kmemleak, DEBUG_OBJECTS, BUG, WARNING
#                             and Oops reports, one test each
#
# Usage: check-debug.sh SUITE...  (needs root, like run_vm.sh).  Exits
# non-zero if a suite failed or the kernel reported anything.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build
D=$BUILD/debug
RESULTS=$D/results
[ $# -gt 0 ] || set -- nic bypass restore semantics apps visibility

t0=$(date +%s)
tree=$(bash "$REPO/scripts/build-debug-kernel.sh" | tail -n 1)
t1=$(date +%s)

# The modules, built in a copy of their sources.
rm -rf "$D/src"
mkdir -p "$D/src" "$RESULTS"
cp -r "$REPO/Kbuild" "$REPO/handoff_if" "$REPO/bypass_proto" "$D/src/"
make -C "$tree" M="$D/src" W=1 modules
# tls.ko and the crypto it needs come from the debug kernel's tree
bash "$REPO/scripts/mkinitramfs.sh" "$D/initramfs.cpio.gz" "$D/src" "$tree"
t2=$(date +%s)

rm -f "$RESULTS"/*
set +e
HND_APPEND="loglevel=5 ${HND_APPEND:-}" HND_VM_TIMEOUT=${HND_VM_TIMEOUT:-14400} \
	bash "$REPO/selftests/run_vm.sh" --kernel "$tree/arch/x86/boot/bzImage" \
	--initrd "$D/initramfs.cpio.gz" --results "$RESULTS" \
	$(printf -- '--suite %s ' "$@")
set -e
t3=$(date +%s)

bash "$REPO/scripts/debug-splats.sh" "$RESULTS/console-check.log" \
	>"$RESULTS/debug-kernel.tap" || true
cat "$RESULTS/debug-kernel.tap"
echo "check-debug: kernel $((t1 - t0)) s, modules and initramfs $((t2 - t1)) s, guest $((t3 - t2)) s" |
	tee "$RESULTS/timings.txt"
taps=()
for s in "$@"; do taps+=("$RESULTS/$s.tap"); done
bash "$REPO/scripts/summary.sh" "${taps[@]}" "$RESULTS/debug-kernel.tap"
