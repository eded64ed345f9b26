# user/rules.mk: the user runtime (user/rt) and programs. Every directory
# user/<prog>/ holding .c files becomes build/user/<prog>.elf, except rt/
# and libraries with their own rules.mk.

RT_SRCS := $(sort $(wildcard user/rt/*.c))
RT_OBJS := $(RT_SRCS:%.c=$(B)/%.o)
RT_CRT0 := $(B)/user/rt/crt0.o
RT_LIB  := $(B)/user/librt.a
USER_LDS := user/user.ld

$(RT_LIB): $(RT_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

# Every user object may include generated schema headers (build/gen).
$(B)/user/%.o: user/%.c | $(SCHEMA_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(USER_CFLAGS) -I$(B)/gen -MMD -MP -c $< -o $@
$(B)/user/%.o: user/%.S
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -Iinclude -D__ASSEMBLY__ -c $< -o $@

# A directory with a rules.mk of its own (a library such as user/libsodium)
# is not a program.
USER_LIBDIRS := rt $(patsubst user/%/rules.mk,%,$(wildcard user/*/rules.mk))
USER_PROGS := $(filter-out $(USER_LIBDIRS),$(patsubst user/%/,%,$(sort $(dir $(wildcard user/*/*.c)))))
USER_ELFS  := $(USER_PROGS:%=$(B)/user/%.elf)
ALL += $(USER_ELFS)

user_objs = $(patsubst %.c,$(B)/%.o,$(wildcard user/$(1)/*.c))

# USER_EXTRA_LIBS_<prog>: archives a program links besides the runtime
# (init: $(B)/user/libsodium.a, set in sys/capsules.mk).
.SECONDEXPANSION:
$(B)/user/%.elf: $$(call user_objs,$$*) $(RT_CRT0) $(RT_LIB) $(SCHEMA_LIB_USER) $(LIB_USER) $(USER_LDS) $$(USER_EXTRA_LIBS_$$*)
	@echo "  LD      $@"
	$(Q)$(LD) $(USER_LDFLAGS) -T $(USER_LDS) -o $@ $(RT_CRT0) $(call user_objs,$*) --start-group $(USER_EXTRA_LIBS_$*) $(RT_LIB) $(SCHEMA_LIB_USER) $(LIB_USER) --end-group

-include $(RT_OBJS:.o=.d) $(foreach p,$(USER_PROGS),$(patsubst %.c,$(B)/%.d,$(wildcard user/$p/*.c)))

# The test suite's K_OK/K_EQ nest statement expressions on purpose.
$(B)/user/ktest/%.o: USER_CFLAGS += -Wno-shadow
