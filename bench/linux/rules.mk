# bench/linux/rules.mk: the Linux baseline benchmark (see bench/README.md).
#
# These are ordinary static Linux programs run as /init of an initramfs by
# scripts/bench-linux, so they use plain gcc flags, not mk/config.mk's
# flags for Vectra's own code.

LINUX_BENCH_CC     := gcc
LINUX_BENCH_CFLAGS := -static -O2 -Wall -Wextra -Werror

$(B)/bench/linux-bench: bench/linux/linux-bench.c
	@mkdir -p $(@D)
	$(LINUX_BENCH_CC) $(LINUX_BENCH_CFLAGS) -o $@ $<

$(B)/bench/linux-tiny: bench/linux/linux-tiny.c
	@mkdir -p $(@D)
	$(LINUX_BENCH_CC) $(LINUX_BENCH_CFLAGS) -nostdlib -fno-stack-protector \
		-fno-asynchronous-unwind-tables -Wl,--build-id=none -o $@ $<

$(B)/bench/linux-big: bench/linux/linux-big.c bench/linux/linux-tiny.c
	@mkdir -p $(@D)
	$(LINUX_BENCH_CC) $(LINUX_BENCH_CFLAGS) -nostdlib -fno-stack-protector \
		-fno-asynchronous-unwind-tables -Wl,--build-id=none -o $@ $<

ALL += $(B)/bench/linux-bench $(B)/bench/linux-tiny $(B)/bench/linux-big
