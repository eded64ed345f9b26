# tests/rules.mk: host unit tests. Every tests/host/test_*.c becomes one
# executable linked with vtest_main and the host build of lib/. A test that
# needs a host library adds it as TEST_LIBS_<name> (e.g. TEST_LIBS_test_crypto
# := -lsodium) in its component's rules.mk.

HOST_TEST_SRCS := $(sort $(wildcard tests/host/test_*.c))
HOST_TESTS += $(HOST_TEST_SRCS:tests/host/%.c=$(B)/host/tests/%)

$(B)/host/tests/vtest_main.o: tests/host/vtest_main.c tests/host/vtest.h
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host/tests/%.o: tests/host/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

.SECONDEXPANSION:
$(B)/host/tests/%: $(B)/host/tests/%.o $(B)/host/tests/vtest_main.o $(LIB_HOST) $$(TEST_DEPS_$$*)
	$(HOSTCC) $(HOST_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(TEST_LIBS_$*)

-include $(HOST_TEST_SRCS:tests/host/%.c=$(B)/host/tests/%.d)
