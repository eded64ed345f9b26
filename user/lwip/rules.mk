# user/lwip/rules.mk: lwIP 2.1.3, compiled from the pinned Debian source
# package (scripts/fetch-deps lwip -> deps/lwip-2.1.3, never committed)
# with this directory's lwipopts.h and arch/cc.h, twice:
#   $(B)/user/liblwip.a   freestanding user world, for the netstack Task
#   $(B)/host/liblwip.a   host world with ASan+UBSan, for the host tests
# The user archive may need nothing from a C library beyond LWIP_LIBC
# (checked at archive time), all of which user/rt provides.
# docs/NETWORK.md, "The lwIP build".

LWIP_DIR   := deps/lwip-2.1.3
LWIP_STAMP := $(LWIP_DIR)/.vectra-fetched
LWIP_FILES := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
              core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c \
              core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
              core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c \
              core/ipv4/ip4_frag.c netif/ethernet.c
LWIP_LIBC  := memcpy memmove memset memcmp strlen strncmp atoi vprintf
LWIP_INC   := -Iuser/lwip/include -I$(LWIP_DIR)/src/include

LWIP_UOBJS := $(LWIP_FILES:%.c=$(B)/user/lwip/src/%.o) $(B)/user/lwip/port.o
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

$(B)/user/lwip/src/%.o: $(LWIP_DIR)/src/%.c user/lwip/include/lwipopts.h user/lwip/include/arch/cc.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(LWIP_UCFLAGS) -c $< -o $@
$(B)/host/lwip/src/%.o: $(LWIP_DIR)/src/%.c user/lwip/include/lwipopts.h user/lwip/include/arch/cc.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(HOSTCC) $(LWIP_HCFLAGS) -c $< -o $@

$(B)/user/lwip/port.o: user/lwip/port.c $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LWIP_INC) $(USER_CFLAGS) -MMD -MP -c $< -o $@
$(B)/host/lwip/port.o: user/lwip/port.c $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(LWIP_INC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(LWIP_LIB): $(LWIP_UOBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^
	@bad=$$(nm -u $@ | awk 'NF==2 {print $$2}' | sort -u | \
	  grep -vxF -e "$$(nm --defined-only $@ | awk 'NF==3 {print $$3}')" \
	  $(foreach f,$(LWIP_LIBC) v_clock rt_die sys_now,-e $(f)) || true); \
	  [ -z "$$bad" ] || { echo "lwIP needs undefined symbols: $$bad" >&2; rm -f $@; exit 1; }
$(LWIP_LIB_HOST): $(LWIP_HOBJS)
	@mkdir -p $(@D); rm -f $@; $(AR) rcs $@ $^

ALL += $(LWIP_LIB) $(LWIP_LIB_HOST)
-include $(B)/user/lwip/port.d $(B)/host/lwip/port.d
