# user/services/keyd/program.mk: what keyd links besides the runtime (the identity core and both freestanding libsodium subsets).
USER_EXTRA_LIBS_keyd = $(IDENT_LIB) $(B)/user/libsodium-keys.a $(B)/user/libsodium.a
$(B)/user/services/keyd/%.o: USER_CFLAGS += -Iuser/lib/ident
