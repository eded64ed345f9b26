# tools/vkey/rules.mk: the host key and capsule library (libvhost.a, shared
# by vkey, vcapsule and their tests) and the vkey tool.
#
# The BIP39 English word list comes from the Debian package python3-mnemonic
# through scripts/fetch-deps (sha256-pinned) and becomes a C table in
# $(B)/gen/bip39_english.c; it is never committed.

VHOST_CFLAGS := $(TOOL_CFLAGS) -Itools/vkey -Itools/vcapsule -Itools/common -Itools/vlog -DVECTRA_SCHEMA='"$(abspath schema/capsule.capnp)"'
VHOST_LIBS   := -lsodium -largon2 -lcrypto
VHOST_SRCS   := tools/vkey/host.c tools/vkey/bip39.c tools/vkey/slip10.c tools/vkey/keys.c \
                tools/vcapsule/json.c tools/vcapsule/capsule_build.c tools/vlog/tlog_host.c
VHOST_OBJS   := $(VHOST_SRCS:%.c=$(B)/tools/obj/%.o) $(B)/tools/obj/gen/bip39_english.o
VHOST_LIB    := $(B)/tools/libvhost.a

deps/bip39/english.txt: scripts/fetch-deps
	@scripts/fetch-deps --quiet bip39-wordlist
	@touch $@

# One quoted word per line; refuses a list that is not 2048 sorted
# lower-case words (the binary search in bip39.c depends on it).
$(B)/gen/bip39_english.c: deps/bip39/english.txt
	@mkdir -p $(@D)
	@n=$$(grep -cE '^[a-z]{3,8}$$' $<); [ "$$n" = 2048 ] && [ "$$(wc -l < $<)" = 2048 ] || \
	  { echo "bip39: $< is not 2048 lower-case words" >&2; exit 1; }
	@LC_ALL=C sort -c $< || { echo "bip39: $< is not sorted" >&2; exit 1; }
	@{ echo '/* generated from deps/bip39/english.txt (python3-mnemonic); do not edit */'; \
	   echo '#include "bip39.h"'; \
	   echo 'const char *const bip39_english[2048] = {'; \
	   sed 's/.*/    "&",/' $<; \
	   echo '};'; } > $@.tmp && mv $@.tmp $@

$(B)/tools/obj/gen/bip39_english.o: $(B)/gen/bip39_english.c
	@mkdir -p $(@D)
	$(HOSTCC) $(VHOST_CFLAGS) -c $< -o $@

$(B)/tools/obj/tools/vkey/%.o: tools/vkey/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(VHOST_CFLAGS) -MMD -MP -c $< -o $@

$(B)/tools/obj/tools/vcapsule/%.o: tools/vcapsule/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(VHOST_CFLAGS) -MMD -MP -c $< -o $@

$(VHOST_LIB): $(VHOST_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

$(B)/tools/vkey: $(B)/tools/obj/tools/vkey/vkey.o $(TOOLCLI_LIB) $(VHOST_LIB) $(LIB_HOST)
	$(HOSTCC) $(TOOL_LDFLAGS) -o $@ $^ $(VHOST_LIBS)

TOOLS += $(B)/tools/vkey

# host tests of this component
TEST_DEPS_test_bip39   := $(VHOST_LIB)
TEST_LIBS_test_bip39   := $(VHOST_LIB) $(LIB_HOST) $(VHOST_LIBS)
TEST_DEPS_test_slip10  := $(VHOST_LIB)
TEST_LIBS_test_slip10  := $(VHOST_LIB) $(LIB_HOST) $(VHOST_LIBS)
TEST_DEPS_test_argon2  := $(VHOST_LIB)
TEST_LIBS_test_argon2  := $(VHOST_LIB) $(LIB_HOST) $(VHOST_LIBS)
TEST_LIBS_test_crypto_sha3 := -lcrypto
TEST_DEPS_test_capsule := $(VHOST_LIB)
TEST_LIBS_test_capsule := $(VHOST_LIB) $(LIB_HOST) $(VHOST_LIBS)

-include $(VHOST_OBJS:.o=.d) $(B)/tools/obj/tools/vkey/vkey.d

# seeds for fuzz/capsule_parser (byte 0 picks the mode, see the target)
FUZZ_SEEDS_capsule_parser = $(wildcard tests/capsule/fuzz-seeds/*)
