# tools/capnpc-c: the Cap'n Proto -> C generator (a `capnp compile` plugin).
# It links the host build of lib/ (it reads its input with lib/capnp).

CAPNPC_C := $(B)/tools/capnpc-c
CAPNPC_C_SRCS := $(wildcard tools/capnpc-c/*.c)
CAPNPC_C_OBJS := $(CAPNPC_C_SRCS:%.c=$(B)/host/%.o)
TOOLS += $(CAPNPC_C)

$(B)/host/tools/capnpc-c/%.o: tools/capnpc-c/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(TOOL_CFLAGS) -MMD -MP -c $< -o $@

$(CAPNPC_C): $(CAPNPC_C_OBJS) $(LIB_HOST)
	@mkdir -p $(@D)
	$(HOSTCC) $(TOOL_LDFLAGS) -o $@ $^

-include $(CAPNPC_C_OBJS:.o=.d)
