# mk/image.mk: boot images for QEMU scenarios and benchmarks.
# build/images/NAME.img names a kernel, its modules and its command line;
# scripts/scenario.py turns it into QEMU arguments. Any rules.mk may call
#     $(eval $(call image,NAME,MODULES,CMDLINE))
# MODULES: the root Task's ELF first, then whatever it reads.

KERNEL_ELF := $(B)/kernel.elf

define image
IMAGES += $(B)/images/$(1).img
$(B)/images/$(1).img: $(KERNEL_ELF) $(2) mk/image.mk
	@mkdir -p $$(@D)
	@printf 'kernel: %s\nmodules: %s\ncmdline: %s\n' $(KERNEL_ELF) "$(subst $(space),$(comma),$(strip $(2)))" "$(3)" > $$@
endef
