# lib/policy/rules.mk: the host test of the install policy (test_policy.c
# builds real capsules and keys with libvhost and signs with libsodium).

TEST_DEPS_test_policy := $(B)/tools/libvhost.a
TEST_LIBS_test_policy := $(B)/tools/libvhost.a $(LIB_HOST) \
                         -lsodium -largon2 -lcrypto
$(B)/host/tests/test_policy.o: HOST_CFLAGS += -Itools/vlog

# fuzz/policy_evidence: the decision on hostile evidence (see the target)
FUZZ_SRCS_policy_evidence = $(wildcard lib/policy/*.c lib/tlog/*.c lib/capsule/*.c) \
                            lib/string/vstring.c lib/crypto/sha256.c
FUZZ_DEPS_policy_evidence = $(wildcard lib/policy/*.h lib/tlog/*.h lib/capsule/*.h)
FUZZ_SEEDS_policy_evidence = $(wildcard tests/policy/fuzz-seeds/*)
