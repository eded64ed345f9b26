# tools/tls/rules.mk: wolfSSL 5.5.4, TLS 1.3 only (user_settings.h), from
# the pinned Debian source package (scripts/fetch-deps wolfssl ->
# deps/wolfssl-5.5.4, never committed), and the host probe built on it.
#
#   $(B)/tools/libwolfssl13.a   the library, host build (-O2, no sanitizers:
#                               third-party code, ours is vtls.c)
#   $(B)/tools/tlsprobe         the TLS 1.3 client tests/tools/tls13.sh drives
#   $(B)/check/tls13-only       fails the build if a TLS 1.2 or older method
#                               is linked into the library at all
#   $(B)/check/tls-user-link    the same sources, freestanding user flags,
#                               linked into a Task with stub I/O (links, never run)

WOLFSSL_DIR   := deps/wolfssl-5.5.4
WOLFSSL_STAMP := $(WOLFSSL_DIR)/.vectra-fetched
WOLFSSL_FILES := src/ssl.c src/tls.c src/tls13.c src/internal.c src/keys.c src/wolfio.c \
    wolfcrypt/src/aes.c wolfcrypt/src/sha.c wolfcrypt/src/sha256.c wolfcrypt/src/sha512.c \
    wolfcrypt/src/hmac.c wolfcrypt/src/hash.c wolfcrypt/src/random.c wolfcrypt/src/asn.c \
    wolfcrypt/src/coding.c wolfcrypt/src/memory.c wolfcrypt/src/logging.c wolfcrypt/src/error.c \
    wolfcrypt/src/wc_port.c wolfcrypt/src/ecc.c wolfcrypt/src/curve25519.c \
    wolfcrypt/src/fe_operations.c wolfcrypt/src/ge_operations.c wolfcrypt/src/ed25519.c \
    wolfcrypt/src/chacha.c wolfcrypt/src/poly1305.c wolfcrypt/src/chacha20_poly1305.c \
    wolfcrypt/src/rsa.c wolfcrypt/src/sp_int.c wolfcrypt/src/wolfmath.c wolfcrypt/src/kdf.c \
    wolfcrypt/src/wc_encrypt.c wolfcrypt/src/signature.c
WOLFSSL_HOST_OBJS := $(WOLFSSL_FILES:%.c=$(B)/tools/wolfssl/%.o)
WOLFSSL_HOST_LIB  := $(B)/tools/libwolfssl13.a
WOLFSSL_CFLAGS    := -DWOLFSSL_USER_SETTINGS -Itools/tls -I$(WOLFSSL_DIR)

$(WOLFSSL_STAMP): scripts/fetch-deps
	@scripts/fetch-deps --quiet wolfssl
	@touch $@
$(addprefix $(WOLFSSL_DIR)/,$(WOLFSSL_FILES)): $(WOLFSSL_STAMP)
	@:

$(B)/tools/wolfssl/%.o: $(WOLFSSL_DIR)/%.c tools/tls/user_settings.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) -std=gnu11 -O2 -g -w $(WOLFSSL_CFLAGS) -c $< -o $@
$(WOLFSSL_HOST_LIB): $(WOLFSSL_HOST_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

$(B)/tools/obj/tools/tls/%.o: tools/tls/%.c tools/tls/user_settings.h $(WOLFSSL_STAMP)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(TOOL_CFLAGS) $(WOLFSSL_CFLAGS) -MMD -MP -c $< -o $@
$(B)/tools/tlsprobe: $(B)/tools/obj/tools/tls/tlsprobe.o $(B)/tools/obj/tools/tls/vtls.o $(WOLFSSL_HOST_LIB)
	@echo "  LD      $@"
	$(Q)$(HOSTCC) $(TOOL_LDFLAGS) -o $@ $^

# No protocol version but 1.3 may exist in the library: the only version
# constructor is MakeTLSv1_3 (wolfSSLv23_* and wolfTLS_* exist but, with
# 1.2 compiled out, build a TLS 1.3 method too; vtls uses neither).
$(B)/check/tls13-only: $(WOLFSSL_HOST_LIB)
	@mkdir -p $(@D)
	@bad=$$(nm -g --defined-only $< | grep -E ' (Make(TLSv1_[0-2]|TLSv1|SSLv3|DTLS[a-z0-9_]*)|(wolfTLSv1_[0-2]|wolfTLSv1|wolfSSLv3|wolfDTLS[a-z0-9_]*)_(client|server)_method[a-z_]*)$$' || true); \
	  if [ -n "$$bad" ]; then echo "tls13-only: the library has older protocol methods:"; echo "$$bad"; exit 1; fi
	@nm -g --defined-only $< | grep -q ' MakeTLSv1_3$$' || { echo "tls13-only: no TLS 1.3"; exit 1; }
	@touch $@

# The freestanding build: the same files with the user world's flags and
# VECTRA_FREESTANDING (user I/O callbacks, no file system, randomness from
# rt_random); fsinc/ supplies the one header the runtime lacks.
WOLFSSL_USER_OBJS := $(WOLFSSL_FILES:%.c=$(B)/user/wolfssl/%.o)
WOLFSSL_USER_LIB  := $(B)/user/libwolfssl13.a
WOLFSSL_USER_CFLAGS := $(filter-out $(WARN),$(USER_CFLAGS)) -w -DVECTRA_FREESTANDING \
                       -Itools/tls/fsinc $(WOLFSSL_CFLAGS)
$(B)/user/wolfssl/%.o: $(WOLFSSL_DIR)/%.c tools/tls/user_settings.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(WOLFSSL_USER_CFLAGS) -c $< -o $@
$(WOLFSSL_USER_LIB): $(WOLFSSL_USER_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
$(B)/user/tls/%.o: tools/tls/%.c tools/tls/user_settings.h $(WOLFSSL_STAMP) | $(SCHEMA_HDRS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(USER_CFLAGS) -DVECTRA_FREESTANDING -Itools/tls/fsinc $(WOLFSSL_CFLAGS) -I$(B)/gen -c $< -o $@
# Links, never runs: every symbol wolfSSL needs is in the runtime or glue.
# The runtime's paths are spelled out: this file is read before
# user/rules.mk defines RT_CRT0, RT_LIB and USER_LDS, and a prerequisite
# list is expanded when read (an empty one let -j link a half-built librt).
$(B)/check/tls-user.elf: $(B)/user/tls/vtls.o $(B)/user/tls/os_glue.o $(WOLFSSL_USER_LIB) $(B)/user/lib/rt/crt0.o $(B)/user/librt.a $(SCHEMA_LIB_USER) $(LIB_USER) user/user.ld
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(LD) $(USER_LDFLAGS) -T $(USER_LDS) -o $@ $(RT_CRT0) $(B)/user/tls/vtls.o $(B)/user/tls/os_glue.o \
	    --start-group $(WOLFSSL_USER_LIB) $(RT_LIB) $(SCHEMA_LIB_USER) $(LIB_USER) --end-group

TOOLS += $(B)/tools/tlsprobe
ALL += $(B)/check/tls-user.elf
ALL += $(B)/check/tls13-only
-include $(B)/tools/obj/tools/tls/*.d
