# Vectra: one make builds kernel, userland and host tools with -Werror.
#
#   make          build everything
#   make run      boot to the console in QEMU (TCG)
#   make test     host unit tests (ASan+UBSan) and QEMU scenarios
#   make iso      GRUB Multiboot2 image for BIOS and UEFI
#   make bench    benchmarks under TCG icount (guest instruction counts)
#   make fuzz     libFuzzer targets (longer runs than make test's)
#
# Each component contributes a rules.mk fragment that appends to the
# variables below; the fragments are the only place that names sources.

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

include mk/config.mk

ALL         :=   # every default build product
HOST_TESTS  :=   # host unit-test executables, run by make test
TOOLS       :=   # host tools
FUZZERS     :=   # libFuzzer executables
IMAGES      :=   # boot images (directories of modules) used by scenarios
CLEAN_DIRS  := $(B)

include mk/lib.mk
include $(sort $(wildcard kernel/rules.mk user/rules.mk user/*/rules.mk tools/*/rules.mk \
                          lib/*/rules.mk tests/rules.mk bench/rules.mk fuzz/rules.mk \
                          schema/rules.mk))

all: $(ALL) $(TOOLS) $(HOST_TESTS) $(IMAGES)

# Stamp: re-run setup only when the package list in it changes or a probe fails.
$(B)/.setup-done: scripts/setup
	@mkdir -p $(@D)
	@scripts/setup --quiet
	@touch $@

setup:
	scripts/setup

test: $(B)/.setup-done
	@$(MAKE) --no-print-directory all
	@$(PYTHON) scripts/test-all $(B) $(HOST_TESTS)

run: $(B)/.setup-done
	@$(MAKE) --no-print-directory all
	$(QEMU_BASE:-display none=) -display none -kernel $(B)/kernel.elf -initrd "$(RUN_MODULES)"

clean:
	rm -rf $(CLEAN_DIRS)

.PHONY: all setup test run clean iso bench fuzz
.SECONDARY:
