# sys/run.mk: the system `make run` boots (docs/USING.md): sys/system.json's
# services, a policy, and the demo capsule in two versions (demo pinned to
# 1.0.0, so `capsule upgrade demo 1.0.1` and `capsule rollback demo` can be
# tried), as a signed system capsule like the capsule test images.
#
#   make run APP=user/examples/greeter     also package user/examples/greeter (any user/NAME
#                                 program) as capsule NAME 1.0.0 (domain D2,
#                                 signed by the build keys) and run it as
#                                 service NAME with a console connection
#
# APP is remembered in $(CAPS)/run/app.txt only to rebuild the manifest
# when it changes; a plain `make run` boots without it again. The test
# ISO never depends on it.

APP_NAMES := $(notdir $(patsubst %/,%,$(APP)))
RUN_DIR   := $(CAPS)/run

$(RUN_DIR)/app.txt: FORCE
	@mkdir -p $(@D)
	@echo '$(APP_NAMES)' | cmp -s - $@ || echo '$(APP_NAMES)' > $@
FORCE:
.PHONY: FORCE

$(foreach a,$(APP),$(if $(wildcard $(patsubst %/,%,$(a))/*.c),,$(error APP=$(APP): no $(a)/*.c to build)))

# One capsule per APP: its ELF (debug info stripped) and a manifest.
define app_capsule
$(RUN_DIR)/app-$(1)/$(1).elf: $(B)/user/$(1).elf
	@mkdir -p $$(@D)
	$(Q)$(OBJCOPY) --strip-debug $$< $$@
$(RUN_DIR)/app-$(1)/manifest.json: $(CAPTOOL) sys/run.mk
	@mkdir -p $$(@D)
	$(Q)$(CAPTOOL) manifest -o $$@ --name $(1) --ver 1.0.0 --domain D2 --entry $(1).elf \
	    --requires '$(subst $(space),$(comma),$(strip $(CAP_REQUIRES)))' --provides svc:$(1) \
	    --syscalls '$(subst $(space),$(comma),$(strip $(CAP_SYSCALLS)))'
$(RUN_DIR)/$(1)-1.0.0.vcap: $(RUN_DIR)/app-$(1)/manifest.json $(RUN_DIR)/app-$(1)/$(1).elf \
                            $(CAPKEY)/alice.vcert | $(VCAPSULE)
	@echo "  VCAP    $$@"
	$(Q)$(VCAPSULE) build $$< -o $$@.unsigned --force > /dev/null
	$(Q)$(VCAPSULE) sign $$@.unsigned --key $(CAPKEY)/machine.vmkey --cert $(CAPKEY)/alice.vcert \
	    --passphrase-file $(CAPKEY)/pass.txt -o $$@ --force > /dev/null
	@rm -f $$@.unsigned
endef
$(foreach a,$(APP_NAMES),$(eval $(call app_capsule,$(a))))

# $(call run_system,NAME,APPS[,MORE.json,MODULES]): $(CAPS)/sys-NAME/system.vcap,
# the signed manifest of the system, demo, APPS and MORE.json's services
# (whose programs are MODULES), and NAME_MODULES, its image.
define run_system
$(CAPS)/$(1).json: sys/system.json scripts/run-manifest $(RUN_DIR)/app.txt $(CAPTOOL) \
                  $(CAPS)/demo-1.0.0.vcap $(3)
	$(Q)scripts/run-manifest $(foreach m,$(3),--add $(m)) $$< $$@.tmp $(2) && \
	  $(CAPTOOL) system $$@.tmp $$@ $(CAPS)/demo-1.0.0.vcap && rm -f $$@.tmp
$$(eval $$(call manifest,$(1),$(CAPS)/$(1).json))
$$(eval $$(call system_capsule,$(1)))
$(1)_MODULES := $(B)/user/init.elf $(CAPS)/sys-$(1)/system.vcap $(CAP_SERVICES) \
                $(CAPS)/demo-1.0.0.vcap $(CAPS)/demo-1.0.1.vcap \
                $(foreach a,$(2),$(RUN_DIR)/$(a)-1.0.0.vcap) $(4)
ALL += $$($(1)_MODULES)
endef

# Devices (docs/DEVICES.md): `make run` also starts the device manager and
# the virtio drivers of sys/devices.json, on q35 with an IOMMU, a virtio-blk
# disk (build/disk.img, 16 MiB of zeros when missing; kept across runs)
# and a virtio-rng. Modern-only virtio (disable-legacy) with
# iommu_platform, so device DMA goes through the IOMMU.
DEVICE_MODULES := $(B)/user/devmgr.elf $(B)/user/virtio-blk.elf $(B)/user/virtio-rng.elf
RUN_DISK := $(B)/disk.img
$(RUN_DISK):
	@mkdir -p $(@D)
	truncate -s 16M $@
ALL += $(RUN_DISK)
QEMU_DEVICES = -device intel-iommu -drive file=$(1),if=none,id=disk0,format=raw \
               -device virtio-blk-pci,drive=disk0,disable-legacy=on,iommu_platform=on \
               -device virtio-rng-pci,disable-legacy=on,iommu_platform=on
QEMU_RUN += $(call QEMU_DEVICES,$(RUN_DISK))

$(eval $(call run_system,run,$(APP_NAMES),sys/devices.json sys/store.json,$(DEVICE_MODULES) $(B)/user/store.elf))
RUN_IMAGE_MODULES := $(run_MODULES)

# For the scenarios: the same system without an APP, and with
# user/examples/greeter (the tour of docs/USING.md, tests/tools/using_doc.sh).
$(if $(filter greeter,$(APP_NAMES)),,$(eval $(call app_capsule,greeter)))
$(eval $(call run_system,tour,greeter))
# The device scenarios' system (tests/scenarios/devices_*.scn): also a
# block client (user/tests/blktest) and a second virtio-blk driver instance in
# its DMA-escape mode, for a second disk.
$(eval $(call run_system,devices,,sys/devices.json tests/manifests/devices-test.json,\
    $(DEVICE_MODULES) $(B)/user/blktest.elf))
$(eval $(call image,devices,$(devices_MODULES),test quiet))
$(eval $(call image,run,$(filter-out $(RUN_DIR)/%,$(run_MODULES)),test quiet))
$(eval $(call image,tour,$(tour_MODULES),test quiet))

# The block benchmark's system (scripts/bench, user/bench/blkbench): the
# devices system and the benchmark client, on the Linux bench's disk.
$(eval $(call run_system,blkbench,,sys/devices.json tests/manifests/blkbench.json,\
    $(DEVICE_MODULES) $(B)/user/blkbench.elf))
$(eval $(call image,blkbench,$(blkbench_MODULES),test quiet))

# Device grants that must be refused (tests/scenarios/devices_badgrants.scn).
$(eval $(call run_system,devices-bad,,sys/devices.json tests/manifests/devices-bad.json,$(DEVICE_MODULES)))
$(eval $(call image,devices-bad,$(devices-bad_MODULES),test quiet))

# The network (docs/NETWORK.md): the devices system, the virtio-net driver
# and the stack on en0 (sys/netdev.json), for tests/scenarios/net_*.scn.
# QEMU user networking with restrict=on: nothing leaves the machine but
# the hostfwd/guestfwd rules a scenario names, all on 127.0.0.1.
NET_DEV_MODULES := $(B)/user/virtio-net.elf $(B)/user/netstack.elf $(B)/user/nettools.elf
$(eval $(call run_system,netdev,,sys/devices.json sys/netdev.json,$(DEVICE_MODULES) $(NET_DEV_MODULES)))
$(eval $(call image,netdev,$(netdev_MODULES),test quiet))
# Two machines on one wire (tests/scenarios/net_pair.scn): the same
# system with en0 configured statically from the manifest (sys/netpair.json:
# 10.0.3.<the MAC's last byte>/24).
$(eval $(call run_system,netpair,,sys/devices.json sys/netpair.json,$(DEVICE_MODULES) $(NET_DEV_MODULES)))
$(eval $(call image,netpair,$(netpair_MODULES),test quiet))
# The network benchmark's system (scripts/bench, user/apps/nettools/bench.c): the
# netdev system and the benchmark's servers, driven from the host.
# (The servers are nettools' tool 5: an image holds at most 16 modules.)
$(eval $(call run_system,netbench,,sys/devices.json sys/netdev.json tests/manifests/netbench.json,\
    $(DEVICE_MODULES) $(NET_DEV_MODULES)))
$(eval $(call image,netbench,$(netbench_MODULES),test quiet))

# `make run-net [NET_PORT=7000]`: the system with the network (the netdev
# system: sys/system.json's services, the devices, the virtio-net driver,
# the stack and the tools; no store) on QEMU's user network with
# restrict=on: nothing leaves the machine but what the guest is offered,
# and 127.0.0.1:NET_PORT on the host is forwarded to the guest's port 7000,
# where `listen 7000` answers (docs/USING.md, docs/NETWORK.md). A separate
# target because `make run`'s image is full: a boot image holds at most 16
# modules (struct v_bootinfo), and the network's three do not fit beside
# the store's.
NET_PORT ?= 7000
QEMU_NET = -netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$(NET_PORT)-:7000 \
           -device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on
run-net: $(B)/.setup-done
	@$(MAKE) --no-print-directory -j$(JOBS) all
	$(QEMU_RUN) $(QEMU_NET) -kernel $(KERNEL_ELF) \
	    -initrd "$(subst $(space),$(comma),$(strip $(netdev_MODULES)))" $(QEMU_DONE)
.PHONY: run-net
