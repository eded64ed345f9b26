# user/lib/lwip/rules.mk: lwIP 2.1.3, compiled from the pinned Debian source
# package (scripts/fetch-deps lwip -> deps/lwip-2.1.3, never committed)
# with this directory's lwipopts.h and arch/cc.h, twice:
#   $(B)/user/liblwip.a   freestanding user world, for the netstack Task
#   $(B)/host/liblwip.a   host world with ASan+UBSan, for the host tests
# The user archive may need nothing from a C library beyond LWIP_LIBC
# (checked at archive time), all of which user/lib/rt provides.
# docs/NETWORK.md, "The lwIP build".

LWIP_DIR   := deps/lwip-2.1.3
LWIP_STAMP := $(LWIP_DIR)/.vectra-fetched
LWIP_FILES := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
              core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c \
              core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
              core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c \
              core/ipv4/ip4_frag.c netif/ethernet.c
LWIP_LIBC  := memcpy memmove memset memcmp strlen strncmp atoi vprintf
LWIP_INC   := -Iuser/lib/lwip/include -I$(LWIP_DIR)/src/include

LWIP_UOBJS := $(LWIP_FILES:%.c=$(B)/user/lib/lwip/src/%.o) $(B)/user/lib/lwip/port.o
LWIP_HOBJS := $(LWIP_FILES:%.c=$(B)/host/lwip/src/%.o) $(B)/host/lwip/port.o
LWIP_LIB      := $(B)/user/liblwip.a
LWIP_LIB_HOST := $(B)/host/liblwip.a

# Third-party code: our warnings are not its style (-w). The port file
# is ours and takes the full warnings.
LWIP_UCFLAGS := $(LWIP_INC) $(filter-out $(WARN),$(USER_CFLAGS)) -w
LWIP_HCFLAGS := $(LWIP_INC) $(filter-out $(WARN),$(HOST_CFLAGS)) -w

$(LWIP_STAMP): scripts/fetch-deps
	@scripts/fetch-deps --quiet lwip
	@touch $@

$(addprefix $(LWIP_DIR)/src/,$(LWIP_FILES)): $(LWIP_STAMP)
	@:

$(B)/user/lib/lwip/src/%.o: $(LWIP_DIR)/src/%.c user/lib/lwip/include/lwipopts.h user/lib/lwip/include/arch/cc.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(LWIP_UCFLAGS) -c $< -o $@
$(B)/host/lwip/src/%.o: $(LWIP_DIR)/src/%.c user/lib/lwip/include/lwipopts.h user/lib/lwip/include/arch/cc.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(LWIP_HCFLAGS) -c $< -o $@

$(B)/user/lib/lwip/port.o: user/lib/lwip/port.c $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LWIP_INC) $(USER_CFLAGS) -MMD -MP -c $< -o $@
$(B)/host/lwip/port.o: user/lib/lwip/port.c $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(LWIP_INC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(LWIP_LIB): $(LWIP_UOBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
	@bad=$$(nm -u $@ | awk 'NF==2 {print $$2}' | sort -u | \
	  grep -vxF -e "$$(nm --defined-only $@ | awk 'NF==3 {print $$3}')" \
	  $(foreach f,$(LWIP_LIBC) v_clock rt_die rt_log sys_now,-e $(f)) || true); \
	  [ -z "$$bad" ] || { echo "lwIP needs undefined symbols: $$bad" >&2; rm -f $@; exit 1; }
$(LWIP_LIB_HOST): $(LWIP_HOBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

ALL += $(LWIP_LIB) $(LWIP_LIB_HOST)
-include $(B)/user/lib/lwip/port.d $(B)/host/lwip/port.d

# ---- the netstack Task (user/services/netstack, a program: no rules.mk of its own) ----
$(B)/user/services/netstack/%.o: USER_CFLAGS += $(LWIP_INC)
$(B)/user/services/netstack/main.o $(B)/user/services/netstack/sock.o $(B)/user/services/netstack/link.o $(B)/user/services/netstack/sockproto.o $(B)/user/services/netstack/nic.o: $(LWIP_STAMP) $(B)/gen/schema/socket.capnp.h $(B)/gen/schema/netif.capnp.h

# Host builds of the netstack's pure parts, for the tests and the fuzzer.
NETSTACK_HCFLAGS := $(HOST_CFLAGS) $(LWIP_INC) -I$(B)/gen -Iuser/services/netstack
$(B)/host/netstack/%.o: user/services/netstack/%.c $(LWIP_STAMP) $(B)/gen/schema/socket.capnp.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(NETSTACK_HCFLAGS) -MMD -MP -c $< -o $@
-include $(wildcard $(B)/host/netstack/*.d)

# tests/host/test_netstack.c: two lwIP stacks (two processes) over the link seam
$(B)/host/tests/test_netstack.o: HOST_CFLAGS += $(LWIP_INC) -I$(B)/gen -Iuser/services/netstack
$(B)/host/tests/test_netstack.o: $(LWIP_STAMP) $(B)/gen/schema/socket.capnp.h
TEST_DEPS_test_netstack := $(B)/host/netstack/link.o $(B)/host/netstack/sockproto.o $(LWIP_LIB_HOST) $(SCHEMA_LIB_HOST)

FUZZ_SRCS_sockproto = user/services/netstack/sockproto.c $(wildcard lib/capnp/*.c) $(B)/gen/schema/socket.capnp.c
FUZZ_DEPS_sockproto = $(B)/gen/schema/socket.capnp.h user/services/netstack/sockproto.h $(wildcard lib/capnp/*.h)

# The network image (sys/net.json): log, naming, the stack and its in-guest
# test client (tests/scenarios/net_loopback.scn). A separate image, so the
# default one does not carry the stack.
NET_MODULES := $(B)/user/init.elf $(B)/sys/net/system.manifest $(B)/user/logd.elf \
               $(B)/user/naming.elf $(B)/user/netstack.elf $(B)/user/nettest.elf
$(eval $(call manifest,net,sys/net.json))
$(eval $(call image,net,$(NET_MODULES),test quiet))
