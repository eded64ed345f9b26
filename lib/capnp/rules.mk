# lib/capnp/rules.mk: tests and interop artefacts of the Cap'n Proto runtime.
# (The runtime itself is lib/capnp/*.c, built by mk/lib.mk for every world;
# the generator is tools/capnpc-c; schemas are compiled by schema/rules.mk.)
#
# Interop data, made at build time by Debian's capnp from tests/capnp/*.json
# (the test schema's TestAll), one file per encoding:
#   $(B)/capnp-interop/<case>.bin     standard framing, one segment
#   $(B)/capnp-interop/<case>.segs    standard framing, many tiny segments
#                                     (far and double-far pointers)
#   $(B)/capnp-interop/<case>.packed  packed framing
#   $(B)/capnp-interop/<case>.canon   canonical bytes
# Note: this file is read before schema/rules.mk and tools/, so paths to
# their products are spelled out here rather than taken from variables.

CAPNP ?= capnp
CAPNP_IO_DIR := $(B)/capnp-interop
CAPNP_TEST_SCHEMA := tests/capnp/test.capnp
CAPNP_CASES := $(sort $(basename $(notdir $(wildcard tests/capnp/*.json))))
CAPNP_IO_FILES := $(foreach c,$(CAPNP_CASES),$(addprefix $(CAPNP_IO_DIR)/$(c).,bin segs packed canon))

$(CAPNP_IO_DIR)/%.bin: tests/capnp/%.json $(CAPNP_TEST_SCHEMA)
	@mkdir -p $(@D)
	$(CAPNP) convert json:binary $(CAPNP_TEST_SCHEMA) TestAll < $< > $@
$(CAPNP_IO_DIR)/%.segs: tests/capnp/%.json $(CAPNP_TEST_SCHEMA)
	@mkdir -p $(@D)
	$(CAPNP) convert --segment-size=3 json:binary $(CAPNP_TEST_SCHEMA) TestAll < $< > $@
$(CAPNP_IO_DIR)/%.packed: tests/capnp/%.json $(CAPNP_TEST_SCHEMA)
	@mkdir -p $(@D)
	$(CAPNP) convert json:packed $(CAPNP_TEST_SCHEMA) TestAll < $< > $@
$(CAPNP_IO_DIR)/%.canon: tests/capnp/%.json $(CAPNP_TEST_SCHEMA)
	@mkdir -p $(@D)
	$(CAPNP) convert json:canonical $(CAPNP_TEST_SCHEMA) TestAll < $< > $@

# The test cases in C (tests/capnp/cases.c) and the capnp_io helper the
# interop script drives.
CAPNP_TEST_GEN_H := $(B)/gen/tests/capnp/test.capnp.h
CAPNP_TEST_GEN_O := $(B)/gen/host/tests/capnp/test.capnp.o
CAPNP_TEST_CFLAGS := -I$(B)/gen -I. -DCAPNP_IO_DIR='"$(CAPNP_IO_DIR)"'
CAPNP_IO := $(B)/host/capnp/capnp_io

$(B)/host/capnp/%.o: tests/capnp/%.c $(CAPNP_TEST_GEN_H)
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) $(CAPNP_TEST_CFLAGS) -MMD -MP -c $< -o $@

$(CAPNP_IO): $(B)/host/capnp/capnp_io.o $(B)/host/capnp/cases.o $(CAPNP_TEST_GEN_O) $(LIB_HOST)
	$(HOSTCC) $(HOST_LDFLAGS) -o $@ $^

ALL += $(CAPNP_IO) $(CAPNP_IO_FILES)

# Host tests of the generated code and of interop.
CAPNP_GEN_TESTS := $(B)/host/tests/test_capnp_gen $(B)/host/tests/test_capnp_interop \
                   $(B)/host/tests/test_capnp_reflect
$(CAPNP_GEN_TESTS:%=%.o): HOST_CFLAGS += $(CAPNP_TEST_CFLAGS)
$(CAPNP_GEN_TESTS:%=%.o): $(CAPNP_TEST_GEN_H) $(B)/gen/schema/system.capnp.h \
                          $(B)/gen/schema/naming.capnp.h $(B)/gen/schema/log.capnp.h \
                          $(B)/gen/schema/console.capnp.h $(B)/gen/schema/supervisor.capnp.h
TEST_DEPS_test_capnp_gen := $(B)/host/capnp/cases.o $(CAPNP_TEST_GEN_O) $(B)/host/libschema.a
TEST_LIBS_test_capnp_gen := $(LIB_HOST)
TEST_DEPS_test_capnp_reflect := $(CAPNP_TEST_GEN_O) $(B)/host/libschema.a
TEST_LIBS_test_capnp_reflect := $(LIB_HOST)
TEST_DEPS_test_capnp_interop := $(B)/host/capnp/cases.o $(CAPNP_TEST_GEN_O) $(CAPNP_IO_FILES)
TEST_LIBS_test_capnp_interop := $(LIB_HOST)

# Seeds for fuzz/capnp_reader (see fuzz/rules.mk): the interop messages,
# each behind the byte that tells the target its framing (0 stream,
# 1 packed, 2 flat).
CAPNP_SEED_DIR := $(B)/capnp-seeds
FUZZ_SEEDS_capnp_reader := $(CAPNP_IO_FILES:$(CAPNP_IO_DIR)/%=$(CAPNP_SEED_DIR)/%)
capnp_seed_mode = $(if $(filter %.packed,$(1)),\001,$(if $(filter %.canon,$(1)),\002,\000))
$(CAPNP_SEED_DIR)/%: $(CAPNP_IO_DIR)/%
	@mkdir -p $(@D)
	{ printf '$(call capnp_seed_mode,$@)'; cat $<; } > $@

-include $(B)/host/capnp/capnp_io.d $(B)/host/capnp/cases.d

# The generator run on capnp's own schema.capnp, and a real
# CodeGeneratorRequest to read with the result: the generated readers must
# agree with the generator's hand-written bootstrap readers.
CAPNP_STD_GEN := $(B)/gen/std
$(CAPNP_STD_GEN)/capnp/schema.capnp.stamp: /usr/include/capnp/schema.capnp $(B)/tools/capnpc-c
	@mkdir -p $(CAPNP_STD_GEN)
	$(CAPNP) compile --src-prefix=/usr/include/ -o$(abspath $(B)/tools/capnpc-c):$(CAPNP_STD_GEN) $<
	@touch $@
$(CAPNP_STD_GEN)/capnp/schema.capnp.h $(CAPNP_STD_GEN)/capnp/schema.capnp.c: \
		$(CAPNP_STD_GEN)/capnp/schema.capnp.stamp ;
$(B)/host/capnp/std-schema.o: $(CAPNP_STD_GEN)/capnp/schema.capnp.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -I$(CAPNP_STD_GEN) -c $< -o $@
$(CAPNP_IO_DIR)/request.bin: $(CAPNP_TEST_SCHEMA) schema/system.capnp
	@mkdir -p $(@D)
	$(CAPNP) compile -o- $(CAPNP_TEST_SCHEMA) schema/system.capnp > $@

$(B)/host/tests/test_capnp_interop.o: HOST_CFLAGS += -I$(CAPNP_STD_GEN)
$(B)/host/tests/test_capnp_interop.o: $(CAPNP_STD_GEN)/capnp/schema.capnp.h
TEST_DEPS_test_capnp_interop += $(B)/host/capnp/std-schema.o $(CAPNP_IO_DIR)/request.bin
