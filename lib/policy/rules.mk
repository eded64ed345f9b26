# lib/policy/rules.mk: the host test of the install policy (test_policy.c
# builds real capsules and keys with libvhost and signs with libsodium).

TEST_DEPS_test_policy := $(B)/tools/libvhost.a
TEST_LIBS_test_policy := $(B)/tools/libvhost.a $(LIB_HOST) \
                         -lsodium -largon2 -lcrypto
$(B)/host/tests/test_policy.o: HOST_CFLAGS += -Itools/vlog
