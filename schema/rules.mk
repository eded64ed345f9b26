# schema/rules.mk: Cap'n Proto schemas -> C, via capnp and tools/capnpc-c.
#
# Every schema/*.capnp (and the test schema tests/capnp/*.capnp) becomes
#   $(B)/gen/<dir>/<name>.capnp.h   types and static inline accessors
#   $(B)/gen/<dir>/<name>.capnp.c   default values / constants with storage
# Generated files are build products: never edited, never committed.
#
# Using them (from another component's rules.mk):
#   - compile with -I$(B)/gen and #include "schema/system.capnp.h";
#   - make your objects depend on the header, e.g.
#       $(B)/user/init/main.o: $(B)/gen/schema/system.capnp.h
#     (order matters only on the first build; -MMD tracks it afterwards);
#   - link the world's archive of the .c files: $(SCHEMA_LIB_KERNEL),
#     $(SCHEMA_LIB_USER) or $(SCHEMA_LIB_HOST).

CAPNP ?= capnp
GEN := $(B)/gen

SCHEMAS := $(sort $(wildcard schema/*.capnp))
TEST_SCHEMAS := $(sort $(wildcard tests/capnp/*.capnp))
SCHEMA_HDRS := $(SCHEMAS:%=$(GEN)/%.h)
SCHEMA_GEN_SRCS := $(SCHEMAS:%=$(GEN)/%.c)
TEST_SCHEMA_HDRS := $(TEST_SCHEMAS:%=$(GEN)/%.h)
TEST_SCHEMA_GEN_SRCS := $(TEST_SCHEMAS:%=$(GEN)/%.c)

# One capnp run writes both files. A schema may import its neighbours, so
# each depends on every schema. The generator rewrites a file only if its
# content changes, and the stamp records the run, so relinking the
# generator (whenever lib/ changes) does not rebuild everything that
# includes generated headers.
$(GEN)/%.capnp.stamp: %.capnp $(B)/tools/capnpc-c $(SCHEMAS) $(TEST_SCHEMAS)
	@mkdir -p $(GEN)
	$(CAPNP) compile -o$(abspath $(B)/tools/capnpc-c):$(GEN) $<
	@touch $@
$(GEN)/%.capnp.h $(GEN)/%.capnp.c: $(GEN)/%.capnp.stamp ;

SCHEMA_LIB_KERNEL := $(B)/kernel/libschema.a
SCHEMA_LIB_USER := $(B)/user/libschema.a
SCHEMA_LIB_HOST := $(B)/host/libschema.a

$(GEN)/kernel/%.o: $(GEN)/%.c
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -I$(GEN) -c $< -o $@
$(GEN)/user/%.o: $(GEN)/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -I$(GEN) -c $< -o $@
$(GEN)/host/%.o: $(GEN)/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -I$(GEN) -c $< -o $@

$(SCHEMA_LIB_KERNEL): $(SCHEMA_GEN_SRCS:$(GEN)/%.c=$(GEN)/kernel/%.o)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
$(SCHEMA_LIB_USER): $(SCHEMA_GEN_SRCS:$(GEN)/%.c=$(GEN)/user/%.o)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
$(SCHEMA_LIB_HOST): $(SCHEMA_GEN_SRCS:$(GEN)/%.c=$(GEN)/host/%.o)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

# Building all three archives also proves every schema's generated code
# compiles cleanly in the kernel, user and host worlds.
ALL += $(SCHEMA_HDRS) $(SCHEMA_LIB_KERNEL) $(SCHEMA_LIB_USER) $(SCHEMA_LIB_HOST)
