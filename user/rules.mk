# user/rules.mk: the user runtime (user/lib/rt) and programs, laid out by
# role: user/init, user/vshell (the shell), user/services, user/drivers,
# user/apps (programs the shell starts), user/tests and user/bench (in-guest
# tests and benchmarks), user/examples, user/lib (libraries). Every
# directory holding .c files becomes build/user/<its name>.elf, except
# user/lib/rt and libraries with a rules.mk of their own; names are unique
# across roles. A program's own link inputs are in its program.mk.

RT_SRCS := $(sort $(wildcard user/lib/rt/*.c))
RT_OBJS := $(RT_SRCS:%.c=$(B)/%.o)
RT_CRT0 := $(B)/user/lib/rt/crt0.o
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

# A directory with a rules.mk of its own (a library such as user/lib/libsodium)
# is not a program.
USER_LIBDIRS := user/lib/rt $(patsubst %/rules.mk,%,$(wildcard user/*/rules.mk user/*/*/rules.mk))
USER_PROG_DIRS := $(filter-out $(USER_LIBDIRS),$(patsubst %/,%,$(sort $(dir $(wildcard user/*/*.c user/*/*/*.c)))))
USER_PROGS := $(notdir $(USER_PROG_DIRS))
ifneq ($(words $(USER_PROGS)),$(words $(sort $(USER_PROGS))))
$(error user/: two programs share a name: $(USER_PROG_DIRS))
endif
$(foreach d,$(USER_PROG_DIRS),$(eval USER_DIR_$(notdir $(d)) := $(d)))
USER_ELFS  := $(USER_PROGS:%=$(B)/user/%.elf)
ALL += $(USER_ELFS)

user_objs = $(patsubst %.c,$(B)/%.o,$(wildcard $(USER_DIR_$(1))/*.c))

# USER_EXTRA_LIBS_<prog>: archives a program links besides the runtime,
# set in the program's own program.mk (= not :=: the libraries' rules.mk
# may be read after it).
include $(wildcard $(USER_PROG_DIRS:%=%/program.mk))
.SECONDEXPANSION:
$(B)/user/%.elf: $$(call user_objs,$$*) $(RT_CRT0) $(RT_LIB) $(SCHEMA_LIB_USER) $(LIB_USER) $(USER_LDS) $$(USER_EXTRA_LIBS_$$*)
	@echo "  LD      $@"
	$(Q)$(LD) $(USER_LDFLAGS) -T $(USER_LDS) -o $@ $(RT_CRT0) $(call user_objs,$*) --start-group $(USER_EXTRA_LIBS_$*) $(RT_LIB) $(SCHEMA_LIB_USER) $(LIB_USER) --end-group

-include $(RT_OBJS:.o=.d) $(foreach d,$(USER_PROG_DIRS),$(patsubst %.c,$(B)/%.d,$(wildcard $d/*.c)))
