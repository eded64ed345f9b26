# kernel/rules.mk: the kernel ELF. Portable code in core/, x86_64 in arch/.

KERNEL_SRCS := $(sort $(wildcard kernel/core/*.c kernel/arch/x86_64/*.c))
KERNEL_ASMS := $(sort $(wildcard kernel/arch/x86_64/*.S))
KERNEL_OBJS := $(KERNEL_SRCS:%.c=$(B)/%.o) $(KERNEL_ASMS:%.S=$(B)/%.o)
KERNEL_LDS  := kernel/arch/x86_64/kernel.ld

ALL += $(KERNEL_ELF)

$(B)/kernel/%.o: kernel/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/kernel/%.o: kernel/%.S
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(KERNEL_ASFLAGS) -MMD -MP -c $< -o $@

$(KERNEL_ELF): $(KERNEL_OBJS) $(LIB_KERNEL) $(KERNEL_LDS)
	@echo "  LD      $@"
	$(Q)$(LD) $(KERNEL_LDFLAGS) -T $(KERNEL_LDS) -o $@ $(KERNEL_OBJS) $(LIB_KERNEL)
	@scripts/check-kernel-image $@

-include $(KERNEL_OBJS:.o=.d)
