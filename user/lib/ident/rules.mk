# user/lib/ident/rules.mk: the identity core (ident.h: words, Person key,
# sealed Machine key, certificate in vkey's formats) as the OS archive
# $(B)/user/libident.a, with the BIP-0039 word list vkey uses
# ($(B)/gen/bip39_english.c, from tools/vkey/rules.mk). user/services/keyd links it
# with both freestanding libsodium subsets; tests/host/test_ident.c builds
# the same ident.c for the host and checks it against vkey. bigmem.c is
# Argon2id's memory in a Task (keyd's, identbench's).

IDENT_LIB   := $(B)/user/libident.a
IDENT_OBJS  := $(B)/user/lib/ident/ident.o $(B)/user/lib/ident/bip39_english.o $(B)/user/lib/ident/bigmem.o
IDENT_SODIUM_INC = -Iuser/lib/libsodium/include -isystem $(SODIUM_SRC)/include -isystem $(B)/user/lib/libsodium/gen

$(B)/user/lib/ident/ident.o: user/lib/ident/ident.c $(B)/user/lib/libsodium/gen/sodium/version.h deps/libsodium-1.0.18/.vectra-fetched | $(SCHEMA_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(USER_CFLAGS) -I$(B)/gen $(IDENT_SODIUM_INC) -MMD -MP -c $< -o $@

$(B)/user/lib/ident/bip39_english.o: $(B)/gen/bip39_english.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itools/vkey -c $< -o $@

$(IDENT_LIB): $(IDENT_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
ALL += $(IDENT_LIB)

# (= not :=: user/lib/libsodium/rules.mk, read after this file, defines the archives)
# the identity figures of make bench (bench/rules.mk's identbench image)
USER_EXTRA_LIBS_identbench = $(IDENT_LIB) $(B)/user/libsodium-keys.a $(B)/user/libsodium.a
$(B)/user/bench/identbench/%.o: USER_CFLAGS += -Iuser/lib/ident


# The host build of the same file, for tests/host/test_ident.c.
$(B)/host/ident/ident.o: user/lib/ident/ident.c | $(SCHEMA_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -I$(B)/gen -MMD -MP -c $< -o $@
$(B)/host/tests/test_ident.o: HOST_CFLAGS += -Iuser/lib/ident -Itools/vkey -I$(B)/gen
TEST_DEPS_test_ident := $(B)/host/ident/ident.o $(VHOST_LIB) $(SCHEMA_LIB_HOST)
TEST_LIBS_test_ident := $(VHOST_LIB) $(SCHEMA_LIB_HOST) $(LIB_HOST) -largon2 $(VHOST_LIBS)

-include $(B)/user/lib/ident/ident.d $(B)/host/ident/ident.d
