# Connection-handoff TCP offload: top-level build.
#
#   make          the module, QEMU with the handoff NIC, the guest initramfs
#   make check    every test: firmware unit tests on the host, then the
#                 guest suites in QEMU (needs root: netns and tap)
#   make demo     boot the guest and serve real traffic through the NIC
#   make bench    one workload with offload on and off over the same NIC:
#                 guest instructions per KB, throughput, ring messages
#                 per packet, side by side (build/results/bench.txt)
#   make C=1      the module through sparse
#   make check-debug  the guest suites on a debug kernel (lockdep, KASAN,
#                 kmemleak; built once into /var/cache/handoff-nic, 22
#                 minutes the first time on 2 shared cores):
#                 build/debug/results
#
# Dependencies are installed by scripts/deps.sh (apt-get, idempotent).

KVER ?= $(shell ls /usr/src 2>/dev/null | sed -n 's/^linux-headers-\(.*-amd64\)$$/\1/p' | sort -V | tail -n 1)
KDIR ?= /usr/src/linux-headers-$(KVER)
BUILD := $(CURDIR)/build
export KVER KDIR

.PHONY: all deps module qemu initramfs fw-test fw-harness bench-fw bench-plugin bench tools check check-debug checkpatch dkms-check demo clean help

all: module qemu initramfs

help:
	@sed -n '1,/^$$/p' Makefile

deps:
	@bash scripts/deps.sh

module: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

qemu: deps
	@mkdir -p $(BUILD)
	@bash scripts/build-qemu.sh $(BUILD)/qemu-system-x86_64 >/dev/null

tools: deps
	$(MAKE) -C selftests/tools BUILD=$(BUILD)

initramfs: module tools
	bash scripts/mkinitramfs.sh $(BUILD)/initramfs.cpio.gz

fw-test: deps
	$(MAKE) -C nic_fw_model/tests BUILD=$(BUILD) run

# The firmware against Linux's TCP through two taps (needs tools: hnd_xfer).
fw-harness: deps tools
	$(MAKE) -C nic_fw_model/harness BUILD=$(BUILD) check

SUITES := nic bypass restore semantics apps visibility

# Every suite runs even if an earlier one failed; the summary decides.
# The firmware's instructions per packet (callgrind).
bench-fw: deps
	bash scripts/bench-fw.sh

# dkms add/build for every kernel with headers, then removed (root).
dkms-check: deps
	bash scripts/dkms-check.sh

# The kernel's checkpatch.pl on every file of the two modules.
checkpatch: deps
	bash scripts/checkpatch.sh $(BUILD)/results/checkpatch.tap

check: all bench-plugin
	@rm -rf $(BUILD)/results
	-$(MAKE) checkpatch
	-$(MAKE) fw-test
	-$(MAKE) fw-harness
	-bash selftests/run_vm.sh $(addprefix --suite ,$(SUITES))
	@bash scripts/summary.sh $(addprefix $(BUILD)/results/,checkpatch.tap fw_unit.tap repair.tap firmware.tap $(addsuffix .tap,$(SUITES)))

# The guest suites on Debian's 6.1 built with lockdep, KASAN, kmemleak,
# DEBUG_ATOMIC_SLEEP and DEBUG_OBJECTS (scripts/build-debug-kernel.sh); the
# modules and initramfs are built apart, in build/debug.  Not in check: the
# kernel's first build is too long for CI.
check-debug: deps qemu tools
	bash scripts/check-debug.sh $(SUITES)

demo: all bench-plugin
	bash scripts/demo.sh

# The guest-instruction counter (a TCG plugin) for the QEMU just built.
bench-plugin: qemu
	$(MAKE) -C bench BUILD=$(BUILD) \
		QEMU_BUILD=$$(cat $(BUILD)/qemu-system-x86_64.build)

# Offload on and off side by side (needs root); not a test: no verdict
# on speed, only figures.  BENCH_MB: megabytes each way per bulk phase;
# BENCH_REQS: requests per short-connection phase; BENCH_ROUNDS: how many
# times each phase runs (the tables show medians).
BENCH_MB ?= 64
BENCH_REQS ?= 200
BENCH_ROUNDS ?= 3
bench: all bench-plugin
	HND_BENCH_MB=$(BENCH_MB) HND_BENCH_REQS=$(BENCH_REQS) \
		HND_BENCH_ROUNDS=$(BENCH_ROUNDS) bash scripts/bench.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)
