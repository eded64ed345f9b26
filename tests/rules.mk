# tests/rules.mk: host unit tests. Every tests/host/test_*.c becomes one
# executable linked with vtest_main and the host build of lib/. A test that
# needs a host library adds it as TEST_LIBS_<name> (e.g. TEST_LIBS_test_crypto
# := -lsodium) in its component's rules.mk.

HOST_TEST_SRCS := $(sort $(wildcard tests/host/test_*.c))
HOST_TESTS += $(HOST_TEST_SRCS:tests/host/%.c=$(B)/host/tests/%)

$(B)/host/tests/vtest_main.o: tests/host/vtest_main.c tests/host/vtest.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/tests/%.o: tests/host/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

.SECONDEXPANSION:
$(B)/host/tests/%: $(B)/host/tests/%.o $(B)/host/tests/vtest_main.o $(LIB_HOST) $$(TEST_DEPS_$$*)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(HOST_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(TEST_LIBS_$*)

-include $(HOST_TEST_SRCS:tests/host/%.c=$(B)/host/tests/%.d)

# Hostile boot modules: random bytes, and a real ELF cut short.
$(B)/images/garbage.bin: tests/rules.mk
	@mkdir -p $(@D)
	@$(PYTHON) -c "import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(4096)))" > $@
$(B)/images/truncated.elf: $(B)/user/hello.elf
	@mkdir -p $(@D)
	@head -c 200 $< > $@
$(B)/images/wx.elf: $(B)/user/hello.elf
	@mkdir -p $(@D)
	@$(PYTHON) scripts/elf-make-wx $< $@

$(eval $(call image,hello,$(B)/user/hello.elf,test))
$(eval $(call image,fault,$(B)/user/faulter.elf,test))
$(eval $(call image,garbage,$(B)/images/garbage.bin,test))
$(eval $(call image,truncated,$(B)/images/truncated.elf,test))
$(eval $(call image,wx,$(B)/images/wx.elf,test))
$(eval $(call image,nomodule,,test))
# 17 boot modules, one more than the boot information holds.
$(eval $(call image,too-many-modules,$(foreach i,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17,$(B)/user/hello.elf),test))

# The GRUB ISO under SeaBIOS and under OVMF (UEFI).
IMAGES += $(B)/images/iso-bios.img $(B)/images/iso-uefi.img
$(B)/images/iso-bios.img: tests/rules.mk
	@mkdir -p $(@D); printf 'iso: %s\n' $(B)/vectra-test.iso > $@
$(B)/images/iso-uefi.img: tests/rules.mk
	@mkdir -p $(@D); printf 'iso: %s\nfirmware: ovmf\n' $(B)/vectra-test.iso > $@

# Host tests that compile pure kernel files unchanged (see tests/host/ktest_shim.h).
KHOST_CFLAGS := $(HOST_CFLAGS) -Ikernel -Ikernel/arch/$(ARCH) -Wno-missing-prototypes
$(B)/host/kernel/%.o: kernel/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(KHOST_CFLAGS) -MMD -MP -c $< -o $@
$(B)/host/tests/test_cap.o $(B)/host/tests/test_reticle.o: HOST_CFLAGS += -Ikernel -Ikernel/arch/$(ARCH)
TEST_DEPS_test_cap := $(B)/host/kernel/core/cap.o
TEST_DEPS_test_reticle := $(B)/host/kernel/core/reticle.o
TEST_LIBS_test_ring := -lpthread

# The kernel's in-guest suite: user/tests/ktest as the root Task, user/tests/kchild beside it.
$(eval $(call image,ktest,$(B)/user/ktest.elf $(B)/user/kchild.elf $(B)/user/timerd.elf,test quiet))
# PRE0001 at full size under icount: a 10^6-node revocation beside a 1 ms timer.
$(eval $(call image,ktest-revoke,$(B)/user/ktest.elf $(B)/user/kchild.elf $(B)/user/timerd.elf,test quiet revoke=1000000))
$(eval $(call image,root-delete-self,$(B)/user/hello.elf,test delete=self))
$(eval $(call image,root-delete-table,$(B)/user/hello.elf,test delete=table))
$(eval $(call image,root-delete-aspace,$(B)/user/hello.elf,test delete=aspace))
# make fuzz's in-guest part: the syscall fuzzer at 10^6 calls (tests/long/).
$(eval $(call image,ktest-fuzz,$(B)/user/ktest.elf $(B)/user/kchild.elf $(B)/user/timerd.elf,test quiet fuzz=1000000 soak=1000))

# The system as `make run` boots it: no "test" on the command line, so the
# kernel does not end QEMU by itself (tests/scenarios/run_halt.scn).
$(eval $(call image,system-run,$(SYSTEM_MODULES),quiet))
