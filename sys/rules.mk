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

# The system `make run` boots: init, the manifest, and the services it names.
SYSTEM_MODULES := $(B)/user/init.elf $(B)/sys/system/system.manifest $(B)/user/serial.elf \
                  $(B)/user/logd.elf $(B)/user/timerd.elf $(B)/user/naming.elf $(B)/user/vshell.elf
$(eval $(call manifest,system,sys/system.json))
$(eval $(call image,system,$(SYSTEM_MODULES),test quiet))
