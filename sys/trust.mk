# sys/trust.mk: the install policy at boot (docs/TRUST.md, "In the OS"):
# the capsules_trust image, five demo capsules with their evidence modules
# (NAME.trust beside NAME.vcap) and a Policy that asks for 3 rebuilders
# and 2 witness cosignatures in D2. sys/trust-image makes the log, the
# cosigned checkpoints, the attestations and the evidence.

TRUST     := $(CAPS)/trust
TRUST_CAPS := vouched trust64k fewrebuilt unlogged unwitnessed replayed
# the second image's (sys/trust-image, "capsules_trust2")
TRUST2_CAPS := dupattest otherbytes wrongtree splitview newer
$(foreach c,$(TRUST2_CAPS),$(eval $(call demo_capsule,$(c),1.0.0,serve)))
$(foreach c,$(filter-out trust64k,$(TRUST_CAPS)),$(eval $(call demo_capsule,$(c),1.0.0,serve)))
# exactly 64 KiB (sys/capsules.mk), its checkpoint cosigned by all three
# witnesses: the bench figures (bench/README.md, "trustbench")
$(eval $(call capsule64k,trust64k,1.0.0))

$(TRUST)/.made: sys/trust-image $(CAPKEY)/alice.json $(TRUST_CAPS:%=$(CAPS)/%-1.0.0.vcap) \
                $(TRUST2_CAPS:%=$(CAPS)/%-1.0.0.vcap) \
                tools/vrebuild/vevidence | $(B)/tools/vlog $(VCAPSULE)
	@echo "  TRUST   $(TRUST)"
	$(Q)sys/trust-image $(TRUST) $(B)/tools/vlog $(VCAPSULE) tools/vrebuild/vevidence \
	    $(CAPKEY)/alice.json $(CAPS)
	@touch $@
$(TRUST)/policy.bin $(TRUST_CAPS:%=$(TRUST)/%-1.0.0.trust) \
    $(TRUST2_CAPS:%=$(TRUST)/%-1.0.0.trust): $(TRUST)/.made
	@:
ALL += $(TRUST)/.made

# No system manifest: init verifies the capsules, says why it refused
# each, then stops for want of a manifest, which ends the run (the image
# needs 14 of its 16 modules for the capsules, policy and init already).
$(eval $(call image,capsules_trust,$(B)/user/init.elf $(TRUST)/policy.bin \
    $(foreach c,$(TRUST_CAPS),$(CAPS)/$(c)-1.0.0.vcap $(TRUST)/$(c)-1.0.0.trust),test quiet))

# The rules the first image does not break (tests/scenarios/capsules_trust2.scn):
# vouched first (it sets the memory), then one capsule per rule.
$(eval $(call image,capsules_trust2,$(B)/user/init.elf $(TRUST)/policy.bin \
    $(foreach c,vouched $(filter-out newer,$(TRUST2_CAPS)),$(CAPS)/$(c)-1.0.0.vcap \
                            $(TRUST)/$(c)-1.0.0.trust),test quiet))

# `capsule info` in the shell (tests/scenarios/capsules_trust_info.scn): the
# trust policy, an unsigned system manifest (sys/trust-info.json) running
# vouched as service "calm", and fewrebuilt refused.
$(eval $(call manifest,capsules_trust_info,sys/trust-info.json))
$(eval $(call image,capsules_trust_info,$(B)/user/init.elf $(B)/sys/capsules_trust_info/system.manifest \
    $(B)/user/serial.elf $(B)/user/logd.elf $(B)/user/timerd.elf $(B)/user/naming.elf \
    $(B)/user/vshell.elf $(TRUST)/policy.bin \
    $(foreach c,vouched fewrebuilt,$(CAPS)/$(c)-1.0.0.vcap $(TRUST)/$(c)-1.0.0.trust),test quiet))

# The memory across reboots (tests/scenarios/capsules_trust_store.scn): the
# store scenarios' system (sys/store.mk) without virtio-rng, unsigned, with
# the trust policy; service calm runs vouched (size 5); newer (size 9, with
# the consistency proof from 5) is verified beside it. The first boot
# remembers size 9 in the store; the second refuses vouched.
$(CAPS)/trust-store.json: $(CAPS)/store.json sys/trust.mk
	$(Q)python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); \
	  d["services"]=[s for s in d["services"] if s["name"] not in ("virtio-rng","demo")] \
	    + [{"name":"calm","binary":{"capsule":{"name":"vouched"}},"restart":"onFailure", \
	        "priority":8,"dependencies":["serial"], \
	        "capabilities":[{"name":"console","type":"service","source":"serial"}]}]; \
	  [s.__setitem__("capabilities",[c for c in s.get("capabilities",[]) \
	    if c.get("source") not in ("virtio-rng","demo")]) for s in d["services"]]; \
	  json.dump(d,open(sys.argv[2],"w"),indent=1)' $< $@
$(eval $(call manifest,capsules_trust_store,$(CAPS)/trust-store.json))
$(eval $(call image,capsules_trust_store,$(B)/user/init.elf \
    $(B)/sys/capsules_trust_store/system.manifest $(B)/user/serial.elf $(B)/user/logd.elf \
    $(B)/user/timerd.elf $(B)/user/naming.elf $(B)/user/vshell.elf $(B)/user/devmgr.elf \
    $(B)/user/virtio-blk.elf $(B)/user/store.elf $(TRUST)/policy.bin \
    $(foreach c,vouched newer,$(CAPS)/$(c)-1.0.0.vcap $(TRUST)/$(c)-1.0.0.trust),test quiet))
