# mk/iso.mk: `make iso` builds a GRUB Multiboot 2 image (BIOS and UEFI in
# one hybrid ISO) that boots the same kernel and modules as `make run`.
# $(call iso,NAME,MODULES,CMDLINE) makes build/NAME.iso.

define iso
$(B)/$(1).iso: $(KERNEL_ELF) $(2) mk/iso.mk Makefile
	@echo "  ISO     $$@"
	$(Q)rm -rf $(B)/iso-$(1) && mkdir -p $(B)/iso-$(1)/boot/grub
	$(Q)cp $(KERNEL_ELF) $(B)/iso-$(1)/boot/kernel.elf
	$(Q)for m in $(2); do cp $$$$m $(B)/iso-$(1)/boot/; done
	$(Q){ echo 'set timeout=0'; echo 'set default=0'; \
	   echo 'serial --unit=0 --speed=115200'; echo 'terminal_input serial console'; \
	   echo 'terminal_output serial console'; \
	   echo 'menuentry "Vectra" {'; \
	   echo '  multiboot2 /boot/kernel.elf $(3)'; \
	   for m in $(2); do b=$$$$(basename $$$$m); echo "  module2 /boot/$$$$b $$$$b"; done; \
	   echo '  boot'; echo '}'; } > $(B)/iso-$(1)/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $$@ $(B)/iso-$(1) >$(B)/iso-$(1).log 2>&1 || { cat $(B)/iso-$(1).log; exit 1; }
endef
