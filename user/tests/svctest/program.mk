# user/tests/svctest/program.mk: what svctest links besides the runtime (the in-guest test framework).
USER_EXTRA_LIBS_svctest = $(SUITE_LIB)
