# lib/store/rules.mk: the store's host tests and fuzz target (the library
# itself is part of lib/, built for every world by mk/lib.mk).

TEST_LIBS_test_store := -lsodium
TEST_LIBS_test_store_crash := -lsodium

# The fuzz target links the store and lib/string; it stubs SHA-256 with
# libFuzzer-friendly arithmetic so the fuzzer can reach the parser.
FUZZ_SRCS_store_image = lib/store/store.c lib/string/vstring.c $(wildcard lib/fat/*.c)
FUZZ_DEPS_store_image = lib/store/store.h $(wildcard lib/fat/*.h)

# Seeds: the first 400 KB of a FAT32 volume (one FAT, so the root
# directory and files start before 400 KB) made by mkfs.vfat and mcopy
# (mode byte 0x80).
$(B)/fuzz/seeds/fat.seed: lib/store/rules.mk
	@mkdir -p $(@D)
	@rm -f $@.img; mkfs.vfat -F 32 -s 1 -f 1 -C $@.img 40000 >/dev/null
	@echo hello > $@.txt; MTOOLS_SKIP_CHECK=1 mmd -i $@.img ::/caps
	@MTOOLS_SKIP_CHECK=1 mcopy -i $@.img $@.txt '::/caps/hello-1.0.0.vcap'
	@MTOOLS_SKIP_CHECK=1 mcopy -i $@.img $@.txt '::/A long name.txt'
	@{ printf '\200'; head -c 400000 $@.img; } > $@; rm -f $@.img $@.txt
FUZZ_SEEDS_store_image = $(B)/fuzz/seeds/fat.seed
