# sys/rules.mk: system images — a manifest (JSON, turned into canonical
# Cap'n Proto bytes with Debian's capnp) packed with the programs it names.
#
# $(call manifest,NAME,JSON) makes $(B)/sys/NAME/system.manifest, the boot
# module init looks for by name.

define manifest
$(B)/sys/$(1)/system.manifest: $(2) schema/system.capnp
	@mkdir -p $$(@D)
	@echo "  CAPNP   $$@"
	$(Q)capnp convert json:canonical schema/system.capnp SystemManifest < $(2) > $$@.tmp && mv $$@.tmp $$@
ALL += $(B)/sys/$(1)/system.manifest
endef

$(eval $(call manifest,supervise,tests/manifests/supervise.json))
$(eval $(call image,supervise,$(B)/user/init.elf $(B)/sys/supervise/system.manifest $(B)/user/naming.elf $(B)/user/svcprobe.elf,test quiet))

# A service granted the most a Bundle can hold (svc_start's item list).
$(eval $(call manifest,grants,tests/manifests/grants.json))
$(eval $(call image,grants,$(B)/user/init.elf $(B)/sys/grants/system.manifest $(B)/user/naming.elf $(B)/user/svcprobe.elf,test quiet))

# The system `make run` boots: init, the manifest, and the services it names.
SYSTEM_MODULES := $(B)/user/init.elf $(B)/sys/system/system.manifest $(B)/user/serial.elf \
                  $(B)/user/logd.elf $(B)/user/timerd.elf $(B)/user/naming.elf $(B)/user/vshell.elf
$(eval $(call manifest,system,sys/system.json))
$(eval $(call image,system,$(SYSTEM_MODULES),test quiet))

# boot_to_prompt_20 (scripts/bench): the system with 15 idle services more.
$(B)/bench/system-20.json: sys/system.json scripts/bench-manifest
	@mkdir -p $(@D)
	$(Q)$(PYTHON) scripts/bench-manifest 20 < $< > $@.tmp && mv $@.tmp $@
$(eval $(call manifest,system20,$(B)/bench/system-20.json))
$(eval $(call image,system20,$(B)/user/init.elf $(B)/sys/system20/system.manifest $(filter-out $(B)/user/init.elf $(B)/sys/system/system.manifest,$(SYSTEM_MODULES)) $(B)/user/svcprobe.elf,test quiet))

# boot_to_prompt_100 and the init_100_services scenario: 95 idle services more.
$(B)/bench/system-100.json: sys/system.json scripts/bench-manifest
	@mkdir -p $(@D)
	$(Q)$(PYTHON) scripts/bench-manifest 100 < $< > $@.tmp && mv $@.tmp $@
$(eval $(call manifest,system100,$(B)/bench/system-100.json))
$(eval $(call image,system100,$(B)/user/init.elf $(B)/sys/system100/system.manifest $(filter-out $(B)/user/init.elf $(B)/sys/system/system.manifest,$(SYSTEM_MODULES)) $(B)/user/svcprobe.elf,test quiet))

# The system plus a service that faults every three seconds, for tests.
$(eval $(call manifest,system-test,tests/manifests/system-test.json))
$(eval $(call image,system-test,$(B)/user/init.elf $(B)/sys/system-test/system.manifest $(filter-out $(B)/user/init.elf $(B)/sys/system/system.manifest,$(SYSTEM_MODULES)) $(B)/user/svcprobe.elf,test quiet))

# 10 000 random bytes to type at the shell (fixed seed: the same every run).
$(B)/sys/random-input.bin:
	@mkdir -p $(@D)
	@$(PYTHON) -c "import random,sys; r=random.Random(10000); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(10000)))" > $@
ALL += $(B)/sys/random-input.bin

# Capsule images and their keys (init verifies capsules; docs/CAPSULE.md).
-include sys/capsules.mk
-include sys/trust.mk
-include sys/run.mk
-include sys/store.mk
-include sys/ident.mk
