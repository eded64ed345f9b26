# Vectra: one make builds kernel, userland and host tools with -Werror.
#
#   make          build everything
#   make run      boot to the console in QEMU (TCG)
#   make test     host unit tests (ASan+UBSan) and QEMU scenarios
#   make iso      GRUB Multiboot2 image for BIOS and UEFI (make run-iso, make run-uefi)
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
include mk/image.mk
-include tests/images-services.mk
include $(sort $(wildcard kernel/rules.mk user/rules.mk user/*/rules.mk user/*/*/rules.mk tools/*/rules.mk \
                          lib/*/rules.mk tests/rules.mk bench/rules.mk fuzz/rules.mk \
                          schema/rules.mk sys/rules.mk))

# What `make run` boots: the root Task and the modules it reads
# (sys/run.mk: the system, the demo capsule and any APP=user/NAME).
RUN_MODULES = $(RUN_IMAGE_MODULES)
RUN_CMDLINE =

include mk/iso.mk
$(eval $(call iso,vectra,$(RUN_MODULES),$(RUN_CMDLINE)))
# The tests' ISO is the plain system, whatever APP or RUN_MODULES say.
$(eval $(call iso,vectra-test,$(SYSTEM_MODULES),test))
iso: $(B)/vectra.iso
ALL += $(B)/vectra-test.iso

all: $(ALL) $(TOOLS) $(HOST_TESTS) $(IMAGES)

# Stamp: re-run setup only when the package list in it changes or a probe fails.
$(B)/.setup-done: scripts/setup
	@mkdir -p $(@D)
	@scripts/setup --quiet
	@touch $@

setup:
	scripts/setup

JOBS ?= $(shell nproc 2>/dev/null || echo 2)

test: $(B)/.setup-done
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@$(PYTHON) scripts/test-all $(B) $(HOST_TESTS)

# QEMU exits 33 when the system halts (isa-debug-exit): success for make.
QEMU_DONE = ; s=$$?; [ $$s -eq 33 ] && exit 0; exit $$s

run: $(B)/.setup-done
	@$(MAKE) --no-print-directory -j$(JOBS) all
	$(QEMU_RUN) -kernel $(KERNEL_ELF) -initrd "$(subst $(space),$(comma),$(strip $(RUN_MODULES)))" \
	    $(if $(RUN_CMDLINE),-append "$(RUN_CMDLINE)") $(QEMU_DONE)

run-iso: $(B)/.setup-done
	@$(MAKE) --no-print-directory iso
	$(QEMU_RUN) -cdrom $(B)/vectra.iso $(QEMU_DONE)

# The same ISO under UEFI firmware (OVMF, from scripts/setup's packages).
run-uefi: $(B)/.setup-done
	@$(MAKE) --no-print-directory iso
	$(QEMU_RUN) -bios $(OVMF) -cdrom $(B)/vectra.iso $(QEMU_DONE)

# `make debug [TASK=NAME]`: what `make run` boots, halted before the first
# instruction with QEMU's gdb stub on 127.0.0.1:1234 (never another
# address); prints the one gdb command that attaches with the kernel's
# symbols and TASK's (user/NAME, default init). Both are built with -g
# and frame pointers, so `bt` walks kernel and Task frames.
TASK ?= init
DEBUG_GDB = gdb -q $(KERNEL_ELF) -ex 'target remote 127.0.0.1:1234' \
	    -ex 'add-symbol-file $(B)/user/$(TASK).elf' -ex 'break kmain' -ex continue
debug: $(B)/.setup-done
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@echo "make debug: QEMU is halted, waiting for gdb. In another terminal:"
	@echo "  $(DEBUG_GDB)"
	$(QEMU_RUN) -gdb tcp:127.0.0.1:1234 -S -kernel $(KERNEL_ELF) \
	    -initrd "$(subst $(space),$(comma),$(strip $(RUN_MODULES)))" \
	    $(if $(RUN_CMDLINE),-append "$(RUN_CMDLINE)") $(QEMU_DONE)

clean:
	rm -rf $(CLEAN_DIRS)

# Editors: $(B)/compile_commands.json from the commands `all` runs.
compile_commands:
	@$(PYTHON) scripts/compile-commands $(B)

# .clang-format applied to the C lines changed since FORMAT_BASE (not the
# whole tree: docs/DECISIONS.md). format-check prints what would change
# and fails if anything would.
FORMAT_BASE ?= main
FORMAT_DIFF = git diff -U0 --no-color $(FORMAT_BASE) -- '*.c' '*.h' ':!deps' | clang-format-diff-14 -p1
format:
	@$(FORMAT_DIFF) -i
format-check:
	@out=$$($(FORMAT_DIFF)); [ -z "$$out" ] || { echo "$$out"; echo "format-check: the lines above differ from .clang-format (make format)"; exit 1; }

.PHONY: all setup test run run-iso run-uefi debug clean iso bench fuzz compile_commands format format-check
.SECONDARY:

