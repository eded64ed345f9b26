# tools/vcapsule/rules.mk: the vcapsule tool. Its manifest/JSON/signing code
# is part of libvhost.a (defined in tools/vkey/rules.mk, included after
# this file, hence the literal paths below); its command line is
# tools/common's libtoolcli.a.

$(B)/tools/vcapsule: $(B)/tools/obj/tools/vcapsule/vcapsule.o $(TOOLCLI_LIB) \
                   $(B)/tools/libvhost.a $(LIB_HOST)
	$(HOSTCC) $(TOOL_LDFLAGS) -o $@ $^ -lsodium -largon2 -lcrypto

TOOLS += $(B)/tools/vcapsule

-include $(B)/tools/obj/tools/vcapsule/vcapsule.d
