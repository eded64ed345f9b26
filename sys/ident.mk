# sys/ident.mk: the identity system (docs/KEYS.md "In the OS"): the store
# system plus the entropy service (randomd) and the key service (keyd), for
# tests/scenarios/ident_*.scn. A fresh store is vimage's test image, which
# holds no identity. sys/ident.json also amends the shell: its "init" is
# the read-only facet (interfaceId = SupervisorReader_TYPE_ID, schema/
# keys.capnp, in decimal), and keyd's "session.init" introduce grant into
# init is what a login hands the shell (docs/KEYS.md "The session").
$(eval $(call run_system,ident,,sys/devices.json sys/store.json sys/ident.json,\
    $(DEVICE_MODULES) $(B)/user/store.elf $(B)/user/randomd.elf $(B)/user/keyd.elf))
$(eval $(call image,ident,$(ident_MODULES),test quiet))
