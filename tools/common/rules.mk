# tools/common/rules.mk: libtoolcli.a, the command line the host tools share
# (tools/common/cli.h: --help, usage errors, failure exits, option tables).
# cli.c reports failures with the message host.h recorded, so a tool links
# libtoolcli.a before libvhost.a (tools/vkey/rules.mk).

TOOLCLI_LIB  := $(B)/tools/libtoolcli.a
TOOLCLI_OBJS := $(B)/tools/obj/tools/common/cli.o

$(B)/tools/obj/tools/common/%.o: tools/common/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(TOOL_CFLAGS) -Itools/common -Itools/vkey -MMD -MP -c $< -o $@

$(TOOLCLI_LIB): $(TOOLCLI_OBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

-include $(TOOLCLI_OBJS:.o=.d)
