# user/ident/rules.mk: the identity core (ident.h: words, Person key,
# sealed Machine key, certificate in vkey's formats) as the OS archive
# $(B)/user/libident.a, with the BIP-0039 word list vkey uses
# ($(B)/gen/bip39_english.c, from tools/vkey/rules.mk). user/keyd links it
# with both freestanding libsodium subsets; tests/host/test_ident.c builds
# the same ident.c for the host and checks it against vkey. bigmem.c is
# Argon2id's memory in a Task (keyd's, identbench's).

IDENT_LIB   := $(B)/user/libident.a
IDENT_OBJS  := $(B)/user/ident/ident.o $(B)/user/ident/bip39_english.o $(B)/user/ident/bigmem.o
IDENT_SODIUM_INC = -Iuser/libsodium/include -isystem $(SODIUM_SRC)/include -isystem $(B)/user/libsodium/gen

$(B)/user/ident/ident.o: user/ident/ident.c $(B)/user/libsodium/gen/sodium/version.h deps/libsodium-1.0.18/.vectra-fetched | $(SCHEMA_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(USER_CFLAGS) -I$(B)/gen $(IDENT_SODIUM_INC) -MMD -MP -c $< -o $@

$(B)/user/ident/bip39_english.o: $(B)/gen/bip39_english.c
	@mkdir -p $(@D)
	$(Q)$(CC) $(USER_CFLAGS) -Itools/vkey -c $< -o $@

$(IDENT_LIB): $(IDENT_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
ALL += $(IDENT_LIB)

# (= not :=: user/libsodium/rules.mk, read after this file, defines the archives)
USER_EXTRA_LIBS_keyd = $(IDENT_LIB) $(B)/user/libsodium-keys.a $(B)/user/libsodium.a
$(B)/user/keyd/%.o: USER_CFLAGS += -Iuser/ident
# the identity figures of make bench (bench/rules.mk's identbench image)
USER_EXTRA_LIBS_identbench = $(IDENT_LIB) $(B)/user/libsodium-keys.a $(B)/user/libsodium.a
$(B)/user/identbench/%.o: USER_CFLAGS += -Iuser/ident


# The host build of the same file, for tests/host/test_ident.c.
$(B)/host/ident/ident.o: user/ident/ident.c | $(SCHEMA_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -I$(B)/gen -MMD -MP -c $< -o $@
$(B)/host/tests/test_ident.o: HOST_CFLAGS += -Iuser/ident -Itools/vkey -I$(B)/gen
TEST_DEPS_test_ident := $(B)/host/ident/ident.o $(VHOST_LIB) $(SCHEMA_LIB_HOST)
TEST_LIBS_test_ident := $(VHOST_LIB) $(SCHEMA_LIB_HOST) $(LIB_HOST) -largon2 $(VHOST_LIBS)

-include $(B)/user/ident/ident.d $(B)/host/ident/ident.d
