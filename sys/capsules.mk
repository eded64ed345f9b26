# sys/capsules.mk: capsules in boot images (docs/CAPSULE.md, "In the OS").
#
# A capsule image is init, a system manifest, the services it names,
# policy.bin (what the system trusts) and one module per capsule version
# (*.vcap; module names are file basenames). Everything signed here is
# signed at build time in $(B)/capsules/keys by throwaway keys:
#   alice    the test Person of tests/capsule/words.txt (all-zero entropy,
#            a published test vector, never a real Person), trusted by the
#            policy; she certifies the Machine key "vectra-build"
#   mallory  a Person drawn fresh at each build and trusted by nobody (the
#            stranger capsule); her words stay in the build directory
#   machine  one sealed Machine key, passphrase in pass.txt (build only)
# Nothing secret is committed. The capsules are user/tests/capdemo in versions
# and modes (user/tests/capdemo/main.c), built by user/tests/capdemo/capsule-tool.


CAPS      := $(B)/capsules
CAPKEY    := $(CAPS)/keys
CAPTOOL   := user/tests/capdemo/capsule-tool
VKEY      := $(B)/tools/vkey
VCAPSULE  := $(B)/tools/vcapsule
CAP_WORDS := tests/capsule/words.txt
CAP_VALID := --not-before 1700000000 --not-after 4102444800

# ---- keys, certificates, policy ----
$(CAPKEY)/pass.txt:
	@mkdir -p $(@D)
	@echo "vectra capsule test machine key (build directory only)" > $@
$(CAPKEY)/machine.vmkey: | $(CAPKEY)/pass.txt $(VKEY)
	@echo "  VKEY    $@"
	$(Q)rm -f $@; $(VKEY) machine new -o $@ --passphrase-file $(CAPKEY)/pass.txt > /dev/null
$(CAPKEY)/alice.vperson: $(CAP_WORDS) | $(VKEY)
	@mkdir -p $(@D)
	$(Q)rm -f $@; $(VKEY) person restore --name alice --words-file $< -o $@ > /dev/null
$(CAPKEY)/mallory.words: | $(VKEY)
	@mkdir -p $(@D)
	$(Q)rm -f $(CAPKEY)/mallory.vperson; \
	  $(VKEY) person new --name mallory -o $(CAPKEY)/mallory.vperson > $@.tmp 2> /dev/null && mv $@.tmp $@
$(CAPKEY)/%.json: $(CAPKEY)/%.vperson
	$(Q)$(VKEY) person show $< --json > $@
$(CAPKEY)/alice.vcert: $(CAPKEY)/machine.vmkey $(CAP_WORDS)
	$(Q)rm -f $@; $(VKEY) cert issue --words-file $(CAP_WORDS) --machine $< --name vectra-build \
	    --domains D0,D1,D2,D3,D4 $(CAP_VALID) --serial 1 -o $@ > /dev/null
$(CAPKEY)/mallory.vcert: $(CAPKEY)/machine.vmkey $(CAPKEY)/mallory.words
	$(Q)rm -f $@; $(VKEY) cert issue --words-file $(CAPKEY)/mallory.words --machine $< \
	    --name mallory-laptop --domains D0,D1,D2,D3,D4 $(CAP_VALID) --serial 2 -o $@ > /dev/null

# Trust domains: D0 core (the basic services only), D1-D2 services, D3
# drivers (hardware), D4 untrusted applications (the console only).
$(CAPS)/policy.json: $(CAPKEY)/alice.json $(CAPTOOL) sys/capsules.mk
	$(Q)$(CAPTOOL) policy $@ --person $< \
	    --rule "D0:IPC_SRV,svc:log,svc:serial,svc:timer:alice" \
	    --rule "D1:IPC_SRV,svc:*:alice" --rule "D2:IPC_SRV,svc:*:alice" \
	    --rule "D3:IPC_SRV,svc:*,IPC_INTRODUCE,HW_IRQ,HW_IOPORT,DEBUG_CONSOLE:alice" \
	    --rule "D4:svc:serial:alice"
$(CAPS)/policy.bin: $(CAPS)/policy.json | $(VCAPSULE)
	@echo "  POLICY  $@"
	$(Q)$(VCAPSULE) policy $< -o $@ --force > /dev/null
# Image modules are in ALL too: the .img descriptors alone would not bring
# back a deleted module (the Makefile marks every target .SECONDARY).
ALL += $(CAPS)/policy.bin

# ---- capsules ----
# $(call capsule,NAME,VER,MODE,DOMAIN,REQUIRES,PROVIDES,SYSCALLS,MEM_MAX,RATES,SIGNER)
# makes $(CAPS)/NAME-VER.vcap: capdemo in MODE, signed by SIGNER's certificate.
# Lists are space-separated here.
CAP_SYSCALLS := cap mem signal ring misc
CAP_REQUIRES := IPC_SRV svc:serial
define capsule
$(CAPS)/$(1)-$(2)/capdemo.elf: $(B)/user/capdemo.elf $(CAPTOOL) sys/capsules.mk
	@mkdir -p $$(@D)
	$(Q)$(OBJCOPY) --strip-debug $$< $$@.tmp && $(CAPTOOL) conf $$@.tmp $$@ $(3) $(2) && rm -f $$@.tmp
$(CAPS)/$(1)-$(2)/manifest.json: $(CAPTOOL) sys/capsules.mk
	@mkdir -p $$(@D)
	$(Q)$(CAPTOOL) manifest -o $$@ --name $(1) --ver $(2) --domain $(4) \
	    --requires '$(subst $(space),$(comma),$(strip $(5)))' \
	    --provides '$(subst $(space),$(comma),$(strip $(6)))' \
	    --syscalls '$(subst $(space),$(comma),$(strip $(7)))' \
	    $(if $(8),--mem-max $(8)) $(foreach r,$(9),--rate $(r))
$(CAPS)/$(1)-$(2).vcap: $(CAPS)/$(1)-$(2)/manifest.json $(CAPS)/$(1)-$(2)/capdemo.elf \
                        $(CAPKEY)/$(10).vcert | $(VCAPSULE)
	@echo "  VCAP    $$@"
	$(Q)$(VCAPSULE) build $$< -o $$@.unsigned --force > /dev/null
	$(Q)$(VCAPSULE) sign $$@.unsigned --key $(CAPKEY)/machine.vmkey --cert $(CAPKEY)/$(10).vcert \
	    --passphrase-file $(CAPKEY)/pass.txt -o $$@ --force > /dev/null
	@rm -f $$@.unsigned
ALL += $(CAPS)/$(1)-$(2).vcap
endef

demo_capsule = $(call capsule,$(1),$(2),$(3),D2,$(CAP_REQUIRES),svc:demo,$(CAP_SYSCALLS),262144,syscalls:2000:1000,alice)
$(eval $(call demo_capsule,demo,1.0.0,serve))
$(eval $(call demo_capsule,demo,1.0.1,serve))
$(eval $(call demo_capsule,demo,1.0.1-rc.1,serve))
$(eval $(call demo_capsule,demo,1.1.0,crash))
$(eval $(call demo_capsule,demo,1.2.0,silent))
$(eval $(call demo_capsule,demo,1.3.0,serve))
$(eval $(call demo_capsule,tamper,1.0.0,serve))
$(eval $(call capsule,stranger,1.0.0,serve,D2,$(CAP_REQUIRES),,$(CAP_SYSCALLS),,,mallory))
$(eval $(call capsule,reach,1.0.0,serve,D2,$(CAP_REQUIRES) HW_IOPORT,,$(CAP_SYSCALLS),,,alice))
$(eval $(call capsule,hog,1.0.0,hog,D2,$(CAP_REQUIRES),,$(CAP_SYSCALLS),262144,,alice))
$(eval $(call capsule,rogue,1.0.0,rogue,D2,$(CAP_REQUIRES),,$(CAP_SYSCALLS),,,alice))
$(eval $(call capsule,chatty,1.0.0,chatty,D2,$(CAP_REQUIRES),,$(CAP_SYSCALLS),,syscalls:500:200,alice))

# A tampered capsule: tamper-1.0.0 with one bit of its program flipped.
$(CAPS)/bad/tamper-1.0.0.vcap: $(CAPS)/tamper-1.0.0.vcap $(CAPTOOL)
	@mkdir -p $(@D)
	$(Q)$(CAPTOOL) flip $< $@
ALL += $(CAPS)/bad/tamper-1.0.0.vcap

# The signed system manifest: capsule "system", one data blob
# "system.manifest", as the module system.vcap. init boots only from a
# verified one when the image has one.
# $(call system_capsule,IMAGE) makes $(CAPS)/sys-IMAGE/system.vcap.
define system_capsule
$(CAPS)/sys-$(1)/system.manifest: $(B)/sys/$(1)/system.manifest
	@mkdir -p $$(@D)
	$(Q)cp $$< $$@
$(CAPS)/sys-$(1)/manifest.json: $(CAPTOOL) sys/capsules.mk
	@mkdir -p $$(@D)
	$(Q)$(CAPTOOL) manifest -o $$@ --name system --ver 1.0.0 --domain D0 --data system.manifest
$(CAPS)/sys-$(1)/system.vcap: $(CAPS)/sys-$(1)/manifest.json $(CAPS)/sys-$(1)/system.manifest \
                              $(CAPKEY)/alice.vcert | $(VCAPSULE)
	@echo "  VCAP    $$@"
	$(Q)$(VCAPSULE) build $$< -o $$@.unsigned --force > /dev/null
	$(Q)$(VCAPSULE) sign $$@.unsigned --key $(CAPKEY)/machine.vmkey --cert $(CAPKEY)/alice.vcert \
	    --passphrase-file $(CAPKEY)/pass.txt -o $$@ --force > /dev/null
	@rm -f $$@.unsigned
ALL += $(CAPS)/sys-$(1)/system.vcap
endef

# ---- images ----
CAP_SERVICES := $(B)/user/serial.elf $(B)/user/logd.elf $(B)/user/timerd.elf \
                $(B)/user/naming.elf $(B)/user/vshell.elf $(CAPS)/policy.bin

# 1. refusals: a tampered capsule, an over-reaching one, one signed by a
#    stranger, a service granted more than its capsule requires; demo runs
#    the newest valid version (1.0.1, above 1.0.1-rc.1 and 1.0.0).
$(eval $(call manifest,capsules_refuse,sys/capsules-refuse.json))
$(eval $(call system_capsule,capsules_refuse))
#    A second copy of demo 1.0.0 under another module name is refused
#    (DUPLICATE: one VCID, one module).
$(CAPS)/dup/demo-copy.vcap: $(CAPS)/demo-1.0.0.vcap
	@mkdir -p $(@D); cp $< $@
ALL += $(CAPS)/dup/demo-copy.vcap
$(eval $(call image,capsules_refuse,$(B)/user/init.elf $(CAPS)/sys-capsules_refuse/system.vcap \
    $(CAP_SERVICES) $(CAPS)/demo-1.0.0.vcap $(CAPS)/demo-1.0.1.vcap \
    $(CAPS)/demo-1.0.1-rc.1.vcap $(CAPS)/bad/tamper-1.0.0.vcap \
    $(CAPS)/reach-1.0.0.vcap $(CAPS)/stranger-1.0.0.vcap $(CAPS)/dup/demo-copy.vcap,test quiet))

# 2. upgrade and rollback: demo pinned to 1.0.0 by VCID, three more versions.
CAP_DEMOS := $(CAPS)/demo-1.0.0.vcap $(CAPS)/demo-1.0.1.vcap $(CAPS)/demo-1.1.0.vcap \
             $(CAPS)/demo-1.2.0.vcap
$(CAPS)/upgrade.json: sys/capsules-upgrade.json $(CAPTOOL) $(CAPS)/demo-1.0.0.vcap
	$(Q)$(CAPTOOL) system $< $@ $(CAPS)/demo-1.0.0.vcap
$(eval $(call manifest,capsules_upgrade,$(CAPS)/upgrade.json))
$(eval $(call system_capsule,capsules_upgrade))
$(eval $(call image,capsules_upgrade,$(B)/user/init.elf $(CAPS)/sys-capsules_upgrade/system.vcap \
    $(CAP_SERVICES) $(CAP_DEMOS),test quiet))

# 3. quarantine: three capsules that break their intent profiles, one that keeps it.
$(eval $(call manifest,capsules_quarantine,sys/capsules-quarantine.json))
$(eval $(call system_capsule,capsules_quarantine))
$(eval $(call image,capsules_quarantine,$(B)/user/init.elf \
    $(CAPS)/sys-capsules_quarantine/system.vcap $(CAP_SERVICES) $(CAPS)/hog-1.0.0.vcap \
    $(CAPS)/rogue-1.0.0.vcap $(CAPS)/chatty-1.0.0.vcap $(CAPS)/demo-1.0.0.vcap,test quiet))

# 4. a tampered system manifest: init refuses to boot from it.
$(CAPS)/sys-bad/system.vcap: $(CAPS)/sys-capsules_refuse/system.vcap $(CAPTOOL)
	@mkdir -p $(@D)
	$(Q)$(CAPTOOL) flip $< $@
ALL += $(CAPS)/sys-bad/system.vcap
$(eval $(call image,capsules_badsystem,$(B)/user/init.elf $(CAPS)/sys-bad/system.vcap \
    $(CAP_SERVICES) $(CAPS)/demo-1.0.0.vcap,test quiet))

# 5. capbench: the capsule figures of `make bench` (bench/README.md). init
#    in its "capbench" mode (capsuleStart verifies the version again before
#    starting it), user/bench/capbench driving it through the Supervisor
#    interface, and two versions of a 64 KiB capsule "bench": capdemo
#    (serve) plus a data blob of zero bytes, pad.bin, sized so that the
#    signed capsule is exactly 65 536 bytes, every byte of which the
#    verifier hashes. No intent profile, so init's profile monitor does not
#    tick between samples. bench/rules.mk boots the image under icount;
#    capbench_quick (2 samples) is for tests/scenarios/capbench.scn.
CAP64K := 65536
CAP64K_PAD := import json, sys; m = json.load(open(sys.argv[1])); \
    m["blobs"].append({"name": "pad.bin", "file": "pad.bin"}); \
    open(sys.argv[2], "w").write(json.dumps(m, indent=1) + "\n")
# capsule64k NAME VER [BYTES]: capdemo and pad.bin, signed, exactly BYTES (64 KiB).
define capsule64k
$(CAPS)/$(1)-$(2)/capdemo.elf: $(B)/user/capdemo.elf $(CAPTOOL) sys/capsules.mk
	@mkdir -p $$(@D)
	$(Q)$(OBJCOPY) --strip-debug $$< $$@.tmp && $(CAPTOOL) conf $$@.tmp $$@ serve $(2) && rm -f $$@.tmp
$(CAPS)/$(1)-$(2)/manifest.json: $(CAPTOOL) sys/capsules.mk
	@mkdir -p $$(@D)
	$(Q)$(CAPTOOL) manifest -o $$@.tmp --name $(1) --ver $(2) --domain D2 --requires IPC_SRV \
	    --provides svc:$(1)
	$(Q)$(PYTHON) -c '$$(CAP64K_PAD)' $$@.tmp $$@ && rm -f $$@.tmp
$(CAPS)/$(1)-$(2).vcap: $(CAPS)/$(1)-$(2)/manifest.json $(CAPS)/$(1)-$(2)/capdemo.elf \
                        $(CAPKEY)/alice.vcert | $(VCAPSULE)
	@echo "  VCAP    $$@ ($(or $(3),$(CAP64K)) bytes)"
	$(Q)set -e; pad=$(CAPS)/$(1)-$(2)/pad.bin; \
	build() { rm -f $$@ $$@.unsigned; \
	    $(VCAPSULE) build $$< -o $$@.unsigned --force > /dev/null; \
	    $(VCAPSULE) sign $$@.unsigned --key $(CAPKEY)/machine.vmkey \
	        --cert $(CAPKEY)/alice.vcert --passphrase-file $(CAPKEY)/pass.txt -o $$@ --force > /dev/null; \
	    rm -f $$@.unsigned; }; \
	head -c 8 /dev/zero > $$$$pad; build; \
	size=$$$$(stat -c %s $$@); \
	if [ $$$$size -gt $(or $(3),$(CAP64K)) ]; then echo "$$@: $$$$size bytes without padding" >&2; \
	    rm -f $$@; exit 1; fi; \
	head -c $$$$(($(or $(3),$(CAP64K)) - size + 8)) /dev/zero > $$$$pad; build; \
	if [ $$$$(stat -c %s $$@) != $(or $(3),$(CAP64K)) ]; then echo "$$@: not $(or $(3),$(CAP64K)) bytes" >&2; \
	    rm -f $$@; exit 1; fi
ALL += $(CAPS)/$(1)-$(2).vcap
endef
$(eval $(call capsule64k,bench,1.0.0))
$(eval $(call capsule64k,bench,1.0.1))
# The scaling rows (capsule_verify_1m, _4m): two more capsules of 1 MiB and
# 4 MiB in the capbench image only (not capbench_quick), which init
# verifies at boot and scripts/bench reads from its "verified in" lines.
$(eval $(call capsule64k,scale1m,1.0.0,1048576))
$(eval $(call capsule64k,scale4m,1.0.0,4194304))
CAPBENCH_SCALE := $(CAPS)/scale1m-1.0.0.vcap $(CAPS)/scale4m-1.0.0.vcap

# sys/capbench.json names the bench service's first version by VCID and
# capbench's sample count as "@samples".
define capbench_image
$(CAPS)/$(1).json: sys/capbench.json $(CAPTOOL) $(CAPS)/bench-1.0.0.vcap
	$(Q)$(CAPTOOL) system $$< $$@.tmp $(CAPS)/bench-1.0.0.vcap
	$(Q)sed 's/"@samples"/"$(2)"/' $$@.tmp > $$@ && rm -f $$@.tmp
endef
$(eval $(call capbench_image,capbench,100))
$(eval $(call capbench_image,capbench_quick,2))
$(foreach i,capbench capbench_quick,$(eval $(call manifest,$(i),$(CAPS)/$(i).json)) \
    $(eval $(call system_capsule,$(i))) \
    $(eval $(call image,$(i),$(B)/user/init.elf $(CAPS)/sys-$(i)/system.vcap $(CAPS)/policy.bin \
        $(CAPS)/bench-1.0.0.vcap $(CAPS)/bench-1.0.1.vcap $(if $(filter capbench,$(i)),$(CAPBENCH_SCALE)) \
        $(B)/user/capbench.elf,test quiet capbench)))
