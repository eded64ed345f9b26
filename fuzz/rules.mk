# fuzz/rules.mk: libFuzzer targets. Every fuzz/<name>.c is a target built
# with clang into $(B)/fuzz/<name>, linking the sources listed in
# FUZZ_SRCS_<name> (set by the component that owns the code under test,
# in its own rules.mk; prerequisites that are not sources, e.g. generated
# headers, go in FUZZ_DEPS_<name>). Seeds: the files in FUZZ_SEEDS_<name>
# are copied into $(B)/fuzz/corpus/<name>/ at build time.
#
#   make fuzz                run every fuzzer for FUZZ_TIME seconds (300),
#                            then make soak (10^6 in-guest system calls,
#                            1 000 restarts of a real service)
#   make test                runs tests/tools/fuzz_short.sh: each fuzzer
#                            for FUZZ_SHORT_TIME seconds (20), PASS/FAIL
# A fuzzer's finds go to $(B)/fuzz/work/<name>/ (kept between runs) and
# crash inputs to $(B)/fuzz/crash-<name>-*.

FUZZ_NAMES := $(sort $(basename $(notdir $(wildcard fuzz/*.c))))
FUZZERS += $(FUZZ_NAMES:%=$(B)/fuzz/%)
FUZZ_TIME ?= 300
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Iinclude -Ilib -I$(B)/gen -I. -fno-omit-frame-pointer \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -Wall -Wextra -Wno-unused-parameter
FUZZ_SEED_STAMPS := $(FUZZ_NAMES:%=$(B)/fuzz/corpus/%.stamp)
ALL += $(FUZZERS) $(FUZZ_SEED_STAMPS)

.SECONDEXPANSION:
$(B)/fuzz/%: fuzz/%.c $$(FUZZ_SRCS_$$*) $$(FUZZ_DEPS_$$*)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ fuzz/$*.c $(FUZZ_SRCS_$*)

$(B)/fuzz/corpus/%.stamp: $$(FUZZ_SEEDS_$$*)
	@mkdir -p $(B)/fuzz/corpus/$*
	$(if $^,cp $^ $(B)/fuzz/corpus/$*/)
	@touch $@

fuzz: $(FUZZERS) $(FUZZ_SEED_STAMPS)
	@for f in $(FUZZ_NAMES); do \
	    mkdir -p $(B)/fuzz/work/$$f; \
	    echo "fuzz: $$f for $(FUZZ_TIME) s"; \
	    $(B)/fuzz/$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	        -artifact_prefix=$(B)/fuzz/crash-$$f- $(B)/fuzz/work/$$f $(B)/fuzz/corpus/$$f \
	        || exit 1; \
	done
	@$(MAKE) --no-print-directory soak

# make soak: the long in-guest runs alone (tests/long/): 10^6 random system
# calls and 1 000 crash-and-restart cycles of a real service, then the
# whole kernel suite; about a minute under TCG. make fuzz ends with it.
soak:
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@echo "soak: 10^6 in-guest system calls, 1 000 service restarts (tests/long/ktest_fuzz.scn)"
	@$(PYTHON) scripts/scenario.py $(B) tests/long/ktest_fuzz.scn | tail -1 | grep -q ' 0 failed' \
	    || { echo "soak: failed: see $(B)/test-logs/ktest_fuzz.log"; exit 1; }
	@grep "KTEST NOTE" $(B)/test-logs/ktest_fuzz.log
.PHONY: soak

# The Cap'n Proto reader (lib/capnp; readers generated from test.capnp
# and system.capnp). Seeds: FUZZ_SEEDS_capnp_reader, in lib/capnp/rules.mk.
FUZZ_SRCS_capnp_reader = $(wildcard lib/capnp/*.c) $(B)/gen/tests/capnp/test.capnp.c \
                         $(B)/gen/schema/system.capnp.c
FUZZ_DEPS_capnp_reader = $(B)/gen/tests/capnp/test.capnp.h $(B)/gen/schema/system.capnp.h \
                         $(wildcard lib/capnp/*.h)

# lib/capsule's parsers and verifier (the target stubs the crypto).
FUZZ_SRCS_capsule_parser = $(wildcard lib/capsule/*.c)
FUZZ_DEPS_capsule_parser = $(wildcard lib/capsule/*.h)
