# user/services/netstack/program.mk: what netstack links besides the runtime (lwIP (user/lib/lwip)).
USER_EXTRA_LIBS_netstack = $(LWIP_LIB)
