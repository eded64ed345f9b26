# lib/random/rules.mk: the pool's host test checks ChaCha20 against libsodium.
TEST_LIBS_test_random := -lsodium
