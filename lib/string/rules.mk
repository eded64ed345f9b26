# lib/string/rules.mk: vstring must be self-contained.
#
# The kernel and the user runtime define memcpy, memset, ... by calling the
# vs_ functions, so if the compiler turned a loop in vstring.c into a call
# to memcpy (loop-idiom recognition), memcpy would call itself. This stamp
# fails the build if the kernel or user object of vstring.c references any
# symbol it does not define; test_vstring depends on it.

VSTRING_SELFCHECK := $(B)/check/vstring-selfcontained

$(VSTRING_SELFCHECK): $(B)/kernel/lib/string/vstring.o $(B)/user/lib/string/vstring.o
	@mkdir -p $(@D)
	@for o in $^; do \
	    u=$$(nm -u $$o); \
	    if [ -n "$$u" ]; then echo "$$o calls outside itself:"; echo "$$u"; exit 1; fi; \
	done
	@touch $@

ALL += $(VSTRING_SELFCHECK)
TEST_DEPS_test_vstring := $(VSTRING_SELFCHECK)
