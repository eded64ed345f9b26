# user/init/program.mk: what init links besides the runtime (init verifies capsules with the freestanding libsodium subset).
USER_EXTRA_LIBS_init = $(B)/user/libsodium.a
