# tools/crashplug/rules.mk: the QEMU TCG plugin that cuts the machine at a
# guest instruction count (scripts/store-crash). A shared object QEMU
# loads; it links against nothing but libc (QEMU provides the plugin API).

$(B)/tools/crashplug.so: tools/crashplug/crashplug.c
	@mkdir -p $(@D)
	$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -fPIC -shared -fvisibility=hidden -o $@ $<

TOOLS += $(B)/tools/crashplug.so
