# Connection-handoff TCP offload: top-level build.
#
#   make          the module, QEMU with the handoff NIC, the guest initramfs
#   make check    every test: firmware unit tests on the host, then the
#                 guest suites in QEMU (needs root: netns and tap)
#   make demo     boot the guest and serve real traffic through the NIC
#   make C=1      the module through sparse
#
# Dependencies are installed by scripts/deps.sh (apt-get, idempotent).

KVER ?= $(shell ls /usr/src 2>/dev/null | sed -n 's/^linux-headers-\(.*-amd64\)$$/\1/p' | sort -V | tail -n 1)
KDIR ?= /usr/src/linux-headers-$(KVER)
BUILD := $(CURDIR)/build
export KVER KDIR

.PHONY: all deps module qemu initramfs fw-test fw-harness bench-fw tools check demo clean help

all: module qemu initramfs

help:
	@sed -n '1,/^$$/p' Makefile

deps:
	@bash scripts/deps.sh

module: deps
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

qemu: deps
	@mkdir -p $(BUILD)
	@ln -sfn "$$(bash scripts/build-qemu.sh | tail -n 1)" $(BUILD)/qemu-system-x86_64

tools: deps
	$(MAKE) -C selftests/tools BUILD=$(BUILD)

initramfs: module tools
	bash scripts/mkinitramfs.sh $(BUILD)/initramfs.cpio.gz

fw-test: deps
	$(MAKE) -C nic_fw_model/tests BUILD=$(BUILD) run

# The firmware against Linux's TCP through two taps (needs tools: hnd_xfer).
fw-harness: deps tools
	$(MAKE) -C nic_fw_model/harness BUILD=$(BUILD) check

SUITES := nic bypass

# Every suite runs even if an earlier one failed; the summary decides.
# The firmware's instructions per packet (callgrind).
bench-fw: deps
	bash scripts/bench-fw.sh

check: all
	@rm -rf $(BUILD)/results
	-$(MAKE) fw-test
	-$(MAKE) fw-harness
	-bash selftests/run_vm.sh $(addprefix --suite ,$(SUITES))
	@bash scripts/summary.sh $(addprefix $(BUILD)/results/,fw_unit.tap repair.tap firmware.tap $(addsuffix .tap,$(SUITES)))

demo: all
	bash scripts/demo.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)
