# mk/lib.mk: the freestanding pure-logic library, compiled for each world.
#
# lib/ holds code with no architecture or OS dependency: it includes only
# <stdint.h>, <stddef.h>, <stdbool.h>, its own headers and include/vectra.
# The kernel, user programs and host tests each link their own archive;
# an archive pulls in only the objects a program uses.

LIB_SRCS := $(sort $(wildcard lib/*.c lib/*/*.c))

LIB_KERNEL_OBJS := $(LIB_SRCS:%.c=$(B)/kernel/%.o)
LIB_USER_OBJS   := $(LIB_SRCS:%.c=$(B)/user/%.o)
LIB_HOST_OBJS   := $(LIB_SRCS:%.c=$(B)/host/%.o)

LIB_KERNEL := $(B)/kernel/libvectra.a
LIB_USER   := $(B)/user/libvectra.a
LIB_HOST   := $(B)/host/libvectra.a

$(LIB_KERNEL): $(LIB_KERNEL_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
$(LIB_USER): $(LIB_USER_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
$(LIB_HOST): $(LIB_HOST_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

$(B)/kernel/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@
$(B)/user/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@
$(B)/host/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

-include $(LIB_KERNEL_OBJS:.o=.d) $(LIB_USER_OBJS:.o=.d) $(LIB_HOST_OBJS:.o=.d)
