# user/lib/libsodium/rules.mk: the freestanding libsodium subset for the OS-side
# capsule verifier, compiled from the pinned Debian source package
# (scripts/fetch-deps libsodium -> deps/libsodium-1.0.18, never committed)
# with freestanding user-space flags into $(B)/user/libsodium.a.
#
# Subset: SHA-256, SHA-512, Ed25519 sign/verify (ref10, 64-bit field
# arithmetic), crypto_verify_*. It needs only memcpy, memmove, memset and
# abort from a C library (checked below); glue.c supplies the three
# sodium_* utilities, shim.c the C functions for the link check.
# tests/host/test_sodium_free.c links the archive and runs RFC 8032 vectors.

SODIUM_DIR   := deps/libsodium-1.0.18
SODIUM_SRC   := $(SODIUM_DIR)/src/libsodium
SODIUM_STAMP := $(SODIUM_DIR)/.vectra-fetched
SODIUM_FILES := crypto_hash/sha256/cp/hash_sha256_cp.c crypto_hash/sha256/hash_sha256.c \
                crypto_hash/sha512/cp/hash_sha512_cp.c crypto_hash/sha512/hash_sha512.c \
                crypto_sign/ed25519/ref10/open.c crypto_sign/ed25519/ref10/sign.c \
                crypto_core/ed25519/ref10/ed25519_ref10.c crypto_verify/sodium/verify.c
SODIUM_OBJS  := $(SODIUM_FILES:%.c=$(B)/user/lib/libsodium/%.o) $(B)/user/lib/libsodium/glue.o \
                $(B)/user/lib/libsodium/capsule_crypto.o
SODIUM_LIB   := $(B)/user/libsodium.a
SODIUM_SHIM  := $(B)/user/libsodium-shim.a
SODIUM_LIBC  := memcpy memmove memset memcmp strlen abort
# capsule_crypto.o (the verifier's OS crypto) also takes SHA-256 and SHA3 from libvectra
SODIUM_EXTRA := sha3_512 sha256_cpu

# Third-party code: our warnings are not its style, so they are off (-w);
# the freestanding flags are the user world's.
SODIUM_CFLAGS := -Iuser/lib/libsodium/include -I$(B)/user/lib/libsodium/gen -I$(SODIUM_SRC)/include \
                 -I$(SODIUM_SRC)/include/sodium -DCONFIGURED=1 -DHAVE_TI_MODE \
                 -DNATIVE_LITTLE_ENDIAN $(filter-out $(WARN),$(USER_CFLAGS)) -w

$(SODIUM_STAMP): scripts/fetch-deps
	@scripts/fetch-deps --quiet libsodium
	@touch $@

$(addprefix $(SODIUM_SRC)/,$(SODIUM_FILES)) $(SODIUM_SRC)/include/sodium/version.h.in: $(SODIUM_STAMP)
	@:

$(B)/user/lib/libsodium/gen/sodium/version.h: $(SODIUM_SRC)/include/sodium/version.h.in
	@mkdir -p $(@D)
	sed -e 's/@VERSION@/1.0.18/' -e 's/@SODIUM_LIBRARY_VERSION_MAJOR@/10/' \
	    -e 's/@SODIUM_LIBRARY_VERSION_MINOR@/3/' -e 's/@SODIUM_LIBRARY_MINIMAL_DEF@//' $< > $@

$(B)/user/lib/libsodium/%.o: $(SODIUM_SRC)/%.c $(B)/user/lib/libsodium/gen/sodium/version.h
	@mkdir -p $(@D)
	$(CC) $(SODIUM_CFLAGS) -c $< -o $@

$(B)/user/lib/libsodium/capsule_crypto.o: user/lib/libsodium/capsule_crypto.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(B)/user/lib/libsodium/glue.o: user/lib/libsodium/glue.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c $< -o $@

$(B)/user/lib/libsodium/shim.o: user/lib/libsodium/shim.c
	@mkdir -p $(@D)
	$(CC) -Iuser/lib/libsodium/include $(USER_CFLAGS) -fno-builtin -c $< -o $@

# The archive may need nothing beyond the C functions listed above.
$(SODIUM_LIB): $(SODIUM_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
	@bad=$$(nm -u $@ | awk 'NF==2 {print $$2}' | sort -u | \
	  grep -vxF -e "$$(nm --defined-only $@ | awk 'NF==3 {print $$3}')" \
	  $(foreach f,$(SODIUM_LIBC) $(SODIUM_EXTRA),-e $(f)) || true); \
	  [ -z "$$bad" ] || { echo "libsodium subset needs undefined symbols: $$bad" >&2; rm -f $@; exit 1; }

$(SODIUM_SHIM): $(B)/user/lib/libsodium/shim.o
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

ALL += $(SODIUM_LIB) $(SODIUM_SHIM)

# the host test links the freestanding (non-PIC) archive, hence -no-pie
TEST_DEPS_test_sodium_free := $(SODIUM_LIB)
TEST_LIBS_test_sodium_free := $(SODIUM_LIB) $(LIB_HOST) -no-pie

# lib/crypto/sha256.c, which replaced libsodium's SHA-256 in the OS, is
# checked against the host's libsodium
TEST_LIBS_test_crypto_sha256 := -lsodium

# The key-handling subset (user/services/keyd, docs/KEYS.md "In the OS"): Argon2id
# (reference fill, any number of lanes computed one after another),
# BLAKE2b, XChaCha20-Poly1305-IETF (ChaCha20 ref, Poly1305 donna) and
# HMAC-SHA512, into $(B)/user/libsodium-keys.a beside the verify subset.
# argon2-core.c allocates its memory with sodium_big_malloc/_free (the
# program supplies them: multi-page frames for the 64 MiB); glue-keys.c
# gives errno and sodium_misuse, and refuses the encoded ("$argon2id$...")
# string form, which needs base64 and which nothing here uses. randombytes_buf is referenced only by the
# unused keygen function and supplied by the program (from randomd).
SODIUM_KEYS_FILES := crypto_pwhash/argon2/argon2.c crypto_pwhash/argon2/argon2-core.c \
                     crypto_pwhash/argon2/argon2-fill-block-ref.c \
                     crypto_pwhash/argon2/blake2b-long.c \
                     crypto_generichash/blake2b/ref/blake2b-ref.c \
                     crypto_generichash/blake2b/ref/blake2b-compress-ref.c \
                     crypto_generichash/blake2b/ref/generichash_blake2b.c \
                     crypto_aead/xchacha20poly1305/sodium/aead_xchacha20poly1305.c \
                     crypto_core/hchacha20/core_hchacha20.c crypto_stream/chacha20/stream_chacha20.c \
                     crypto_stream/chacha20/ref/chacha20_ref.c \
                     crypto_onetimeauth/poly1305/onetimeauth_poly1305.c \
                     crypto_onetimeauth/poly1305/donna/poly1305_donna.c \
                     crypto_auth/hmacsha512/auth_hmacsha512.c crypto_sign/ed25519/ref10/keypair.c
SODIUM_KEYS_OBJS  := $(SODIUM_KEYS_FILES:%.c=$(B)/user/libsodium-keys/%.o) $(B)/user/libsodium-keys/glue-keys.o
SODIUM_KEYS_LIB   := $(B)/user/libsodium-keys.a
SODIUM_KEYS_EXTRA := sodium_big_malloc sodium_big_free randombytes_buf strncmp

$(addprefix $(SODIUM_SRC)/,$(SODIUM_KEYS_FILES)): $(SODIUM_STAMP)
	@:

$(B)/user/libsodium-keys/%.o: $(SODIUM_SRC)/%.c $(B)/user/lib/libsodium/gen/sodium/version.h
	@mkdir -p $(@D)
	$(CC) $(SODIUM_CFLAGS) -Dmalloc=sodium_big_malloc -Dfree=sodium_big_free -c $< -o $@

$(B)/user/libsodium-keys/glue-keys.o: user/lib/libsodium/glue-keys.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c $< -o $@

# What it needs beyond itself: the verify subset's archive, the C
# functions listed above, and the program's allocator and randomness.
$(SODIUM_KEYS_LIB): $(SODIUM_KEYS_OBJS) $(SODIUM_LIB)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $(SODIUM_KEYS_OBJS)
	@bad=$$(nm -u $@ | awk 'NF==2 {print $$2}' | sort -u | \
	  grep -vxF -e "$$(nm --defined-only $@ $(SODIUM_LIB) | awk 'NF==3 {print $$3}')" \
	  $(foreach f,$(SODIUM_LIBC) $(SODIUM_KEYS_EXTRA),-e $(f)) || true); \
	  [ -z "$$bad" ] || { echo "libsodium keys subset needs undefined symbols: $$bad" >&2; rm -f $@; exit 1; }

ALL += $(SODIUM_KEYS_LIB)

# tests/host/test_sodium_keys_free.c links the key subset (non-PIC, hence -no-pie)
TEST_DEPS_test_sodium_keys_free := $(SODIUM_KEYS_LIB) $(SODIUM_LIB)
TEST_LIBS_test_sodium_keys_free := $(SODIUM_KEYS_LIB) $(SODIUM_LIB) $(LIB_HOST) -no-pie
