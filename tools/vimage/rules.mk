# tools/vimage/rules.mk: the vimage tool (disk images holding a capsule
# store, lib/store). It verifies capsules with lib/capsule through
# libvhost.a's host crypto (tools/vkey/rules.mk) and shares tools/common's
# command line.

$(B)/tools/obj/tools/vimage/%.o: tools/vimage/%.c
	@mkdir -p $(@D)
	$(HOSTCC) $(VHOST_CFLAGS) -MMD -MP -c $< -o $@

$(B)/tools/vimage: $(B)/tools/obj/tools/vimage/vimage.o $(TOOLCLI_LIB) $(B)/tools/libvhost.a \
                   $(LIB_HOST)
	$(HOSTCC) $(TOOL_LDFLAGS) -o $@ $^ -lsodium -largon2 -lcrypto

TOOLS += $(B)/tools/vimage

-include $(B)/tools/obj/tools/vimage/vimage.d
