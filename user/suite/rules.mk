# user/suite/rules.mk: libsuite.a, the in-guest test framework (suite.h)
# that user/ktest and user/svctest link. Its own rules.mk makes user/suite
# a library, not a program (user/rules.mk); its object is built by the
# ordinary user rule.

SUITE_LIB := $(B)/user/libsuite.a

$(SUITE_LIB): $(B)/user/suite/suite.o
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

USER_EXTRA_LIBS_ktest := $(SUITE_LIB)
USER_EXTRA_LIBS_svctest := $(SUITE_LIB)

-include $(B)/user/suite/suite.d
