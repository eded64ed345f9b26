# tools/vlog/rules.mk: the vlog transparency-log tool (docs/TLOG.md) and the
# host tests of lib/tlog. tlog_host.c is lib/tlog's crypto on libsodium.

VLOG_CFLAGS := $(TOOL_CFLAGS) -Itools/vlog -Itools/common -Itools/vkey

$(B)/tools/obj/tools/vlog/%.o: tools/vlog/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(VLOG_CFLAGS) -MMD -MP -c $< -o $@

TEST_DEPS_test_tlog := $(B)/tools/obj/tools/vlog/tlog_host.o
TEST_LIBS_test_tlog := -lsodium
$(B)/host/tests/test_tlog.o: HOST_CFLAGS += -Itools/vlog

-include $(B)/tools/obj/tools/vlog/tlog_host.d

VLOG_OBJS := $(B)/tools/obj/tools/vlog/vlog.o $(B)/tools/obj/tools/vlog/tlog_host.o
$(B)/tools/vlog: $(VLOG_OBJS) $(TOOLCLI_LIB) $(B)/tools/libvhost.a $(LIB_HOST)
	$(HOSTCC) $(TOOL_LDFLAGS) -o $@ $^ -lsodium -largon2 -lcrypto

TOOLS += $(B)/tools/vlog

-include $(B)/tools/obj/tools/vlog/vlog.d
