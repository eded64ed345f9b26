# sys/store.mk: the store service (user/services/store, docs/STORE.md) in `make
# run` and in its scenarios (tests/scenarios/store_*.scn).
#
#   build/disk.img        `make run`'s disk: a store made by tools/vimage
#                         holding demo 1.0.0 and 1.0.1 (1.0.1 active); kept
#                         between runs, `make reset` makes a fresh one
#   build/store/test.img  the scenarios' master image (the same content);
#                         scenario.py copies it per run (`diskfile:`)

VIMAGE := $(B)/tools/vimage
STORE_CAPS := $(CAPS)/demo-1.0.0.vcap $(CAPS)/demo-1.0.1.vcap

$(B)/store/test.img: $(VIMAGE) $(CAPS)/policy.bin $(STORE_CAPS) sys/store.mk
	@mkdir -p $(@D)
	@rm -f $@
	$(Q)$(VIMAGE) make $@ --policy $(CAPS)/policy.bin --size 16384 $(STORE_CAPS) > /dev/null
ALL += $(B)/store/test.img

# An existing disk.img that holds a store is kept; anything else (the
# zeros of an older build) becomes a fresh store.
$(RUN_DISK)-store: $(B)/store/test.img $(RUN_DISK)
	@if [ ! -e $(RUN_DISK) ] || ! $(VIMAGE) inspect $(RUN_DISK) > /dev/null 2>&1; then \
	    cp $(B)/store/test.img $(RUN_DISK); echo "  STORE   $(RUN_DISK) (fresh store)"; fi
	@touch $@
ALL += $(RUN_DISK)-store

reset: $(B)/store/test.img
	cp $(B)/store/test.img $(RUN_DISK)
	@echo "$(RUN_DISK): a fresh store (demo 1.0.0, 1.0.1)"
.PHONY: reset

# The store scenarios' system: the devices and the store service.
$(eval $(call run_system,store,,sys/devices.json sys/store.json,$(DEVICE_MODULES) $(B)/user/store.elf))
$(eval $(call image,store,$(store_MODULES),test quiet))

# Damaged copies of the test image for tests/scenarios/store_corrupt_*.scn
# (scripts/store-flip): demo 1.0.1's blob, the newest root's catalog, the
# newest superblock, and both superblocks.
STORE_FLIPS := blob:blob:demo:1.0.1 catalog:catalog sb1:sb:1 both:both
define store_flip
$(B)/store/flip-$(1).img: $(B)/store/test.img scripts/store-flip
	$(Q)scripts/store-flip $(VIMAGE) $$< $$@ $(2)
ALL += $(B)/store/flip-$(1).img
endef
$(foreach f,$(STORE_FLIPS),$(eval $(call store_flip,$(firstword $(subst :, ,$(f))),$(patsubst $(firstword $(subst :, ,$(f))):%,%,$(f)))))

# QEMU blkdebug rules for tests/scenarios/store_ioerror.scn: every read of
# a sector of demo 1.0.0's blob (its second block) fails with EIO, and so
# does every write.
$(B)/store/eio-blob.conf: $(B)/store/test.img sys/store.mk
	$(Q)s=$$($(VIMAGE) inspect $< --json | python3 -c 'import json,sys; i=json.load(sys.stdin); \
	    f=[c["file"] for c in i["capsules"] if c["ver"]=="1.0.0"][0]; \
	    print([b["start"] for b in i["blobs"] if b["sha256"]==f][0]*i["block_size"]//512)'); \
	  printf '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "%s"\n[inject-error]\nevent = "write_aio"\nerrno = "5"\n' $$((s+8)) > $@
ALL += $(B)/store/eio-blob.conf

# The interchange volume (tests/scenarios/store_fat.scn): FAT32 made with
# dosfstools and mtools, holding a capsule not in the store, a text file
# and a directory with a long name.
$(B)/store/fat.img: $(CAPS)/demo-1.2.0.vcap $(CAPS)/demo-1.3.0.vcap $(CAPS)/bad/tamper-1.0.0.vcap sys/store.mk
	@mkdir -p $(@D)
	@rm -f $@ $@.tmp
	$(Q)mkfs.vfat -F 32 -s 1 -C $@.tmp 40000 > /dev/null
	$(Q)printf 'Vectra interchange volume\n' > $@.txt
	$(Q)MTOOLS_SKIP_CHECK=1 mcopy -i $@.tmp $@.txt ::/README.TXT
	$(Q)MTOOLS_SKIP_CHECK=1 mcopy -i $@.tmp $< ::/demo-1.2.0.vcap
	$(Q)MTOOLS_SKIP_CHECK=1 mcopy -i $@.tmp $(CAPS)/demo-1.3.0.vcap ::/demo-1.3.0.vcap
	$(Q)MTOOLS_SKIP_CHECK=1 mcopy -i $@.tmp $(CAPS)/bad/tamper-1.0.0.vcap ::/tamper-1.0.0.vcap
	$(Q)MTOOLS_SKIP_CHECK=1 mmd -i $@.tmp '::/capsules-for-later'
	$(Q)rm -f $@.txt; mv $@.tmp $@
ALL += $(B)/store/fat.img

# The FAT scenarios' system: the store system and the FAT service on a
# second virtio-blk driver instance (the second disk).
$(eval $(call run_system,storefat,,sys/devices.json sys/store.json sys/fat.json,\
    $(DEVICE_MODULES) $(B)/user/store.elf $(B)/user/fatfs.elf))
$(eval $(call image,storefat,$(storefat_MODULES),test quiet))

# tests/scenarios/store_fallback.scn: generation 1 is demo 1.0.1 (confirmed);
# generation 2, staged offline, pins demo 1.2.0, which never answers its
# readiness probe: init must fall back to generation 1 by itself.
$(B)/store/fallback.img: $(VIMAGE) $(CAPS)/policy.bin $(CAPS)/demo-1.0.1.vcap $(CAPS)/demo-1.2.0.vcap sys/store.mk
	@mkdir -p $(@D)
	@rm -f $@
	$(Q)$(VIMAGE) make $@ --policy $(CAPS)/policy.bin --size 1024 $(CAPS)/demo-1.0.1.vcap \
	    --next $(CAPS)/demo-1.2.0.vcap > /dev/null
ALL += $(B)/store/fallback.img

# tests/scenarios/store_full.scn: a store with room for one more demo capsule
# but not two (512-byte blocks, 200 KiB).
$(B)/store/small.img: $(VIMAGE) $(CAPS)/policy.bin $(CAPS)/demo-1.0.1.vcap sys/store.mk
	@mkdir -p $(@D)
	@rm -f $@
	$(Q)$(VIMAGE) make $@ --policy $(CAPS)/policy.bin --size 150 --block 512 $(CAPS)/demo-1.0.1.vcap > /dev/null
ALL += $(B)/store/small.img

# scripts/bench's store rows: the storefat system with init in its
# "storebench" mode (user/init/capstore.c: installs a 64 KiB and a 1 MiB
# capsule from FAT, reads the 1 MiB blob back, then exits), on a copy of
# test.img and this FAT volume.
$(B)/store/benchfat.img: $(CAPS)/bench-1.0.0.vcap $(CAPS)/scale1m-1.0.0.vcap sys/store.mk
	@mkdir -p $(@D)
	@rm -f $@ $@.tmp
	$(Q)mkfs.vfat -F 32 -s 1 -C $@.tmp 40000 > /dev/null
	$(Q)MTOOLS_SKIP_CHECK=1 mcopy -i $@.tmp $(CAPS)/bench-1.0.0.vcap ::/bench-1.0.0.vcap
	$(Q)MTOOLS_SKIP_CHECK=1 mcopy -i $@.tmp $(CAPS)/scale1m-1.0.0.vcap ::/scale1m-1.0.0.vcap
	$(Q)mv $@.tmp $@
ALL += $(B)/store/benchfat.img
$(eval $(call image,storebench,$(storefat_MODULES),test quiet storebench))

# `make soak` (fuzz/rules.mk) also runs the store's crash test in QEMU at
# 200 seeded cut points, `make soak-store` alone (scripts/store-crash, about
# 25 min; make test runs 20 of them, tests/tools/store_crash.sh).
SOAK_POINTS ?= 200
soak-store: $(B)/.setup-done
	@$(MAKE) --no-print-directory -j$(JOBS) all
	$(PYTHON) scripts/store-crash $(B) --points $(SOAK_POINTS) --seed 14 --log store_soak.log
soak: soak-store
.PHONY: soak-store
