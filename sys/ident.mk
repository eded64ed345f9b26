# sys/ident.mk: the identity system (docs/KEYS.md "In the OS"): the store
# system plus the entropy service (randomd) and the key service (keyd), for
# tests/scenarios/ident_*.scn. A fresh store is vimage's test image, which
# holds no identity.
$(eval $(call run_system,ident,,sys/devices.json sys/store.json sys/ident.json,\
    $(DEVICE_MODULES) $(B)/user/store.elf $(B)/user/randomd.elf $(B)/user/keyd.elf))
$(eval $(call image,ident,$(ident_MODULES),test quiet))
