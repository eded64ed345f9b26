# user/tests/suite/rules.mk: libsuite.a, the in-guest test framework (suite.h)
# that user/tests/ktest and user/tests/svctest link. Its own rules.mk makes user/tests/suite
# a library, not a program (user/rules.mk); its object is built by the
# ordinary user rule.

SUITE_LIB := $(B)/user/libsuite.a

$(SUITE_LIB): $(B)/user/tests/suite/suite.o
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^


-include $(B)/user/tests/suite/suite.d
