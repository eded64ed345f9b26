# lib/store/rules.mk: the store's host tests and fuzz target (the library
# itself is part of lib/, built for every world by mk/lib.mk).

TEST_LIBS_test_store := -lsodium
TEST_LIBS_test_store_crash := -lsodium

# The fuzz target links the store and lib/string; it stubs SHA-256 with
# libFuzzer-friendly arithmetic so the fuzzer can reach the parser.
FUZZ_SRCS_store_image = lib/store/store.c lib/string/vstring.c $(wildcard lib/fat/*.c)
FUZZ_DEPS_store_image = lib/store/store.h $(wildcard lib/fat/*.h)
