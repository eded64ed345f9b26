# user/tests/ktest/program.mk: what ktest links besides the runtime (the in-guest test framework).
USER_EXTRA_LIBS_ktest = $(SUITE_LIB)
# The test suite's K_OK/K_EQ nest statement expressions on purpose.
$(B)/user/tests/ktest/%.o: USER_CFLAGS += -Wno-shadow
