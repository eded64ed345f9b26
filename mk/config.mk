# mk/config.mk: toolchains and flags, one place.
#
# Three worlds are built from this tree and never mix objects:
#   kernel  freestanding, ring 0: no red zone, no SSE, kernel code model
#   user    freestanding, ring 3: static ELF linked low, our own runtime
#   host    ordinary Linux programs (tools, tests) with ASan + UBSan
# The pure-logic library lib/ is compiled once for each world.

B        ?= build
Q        := $(if $(V),,@)     # make V=1 shows every command
CC       := gcc
HOSTCC   := gcc
CLANG    := clang
LD       := ld
AR       := ar
OBJCOPY  := objcopy
PYTHON   := python3
QEMU     := qemu-system-x86_64

GCC_INC  := $(shell $(CC) -print-file-name=include)
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Wimplicit-fallthrough

# Freestanding flags shared by kernel and user code.
FREE_CFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
            -fno-asynchronous-unwind-tables -fno-strict-aliasing -fno-common \
            -fno-tree-loop-distribute-patterns \
            -nostdinc -isystem $(GCC_INC) -Iinclude -Ilib -g -O2 $(WARN)

# The architecture behind kernel/arch.h: its arch_defs.h is found through
# -I, so portable code never names it.
ARCH     ?= x86_64
KERNEL_CFLAGS := $(FREE_CFLAGS) -mno-red-zone -mno-mmx -mno-sse -mno-sse2 -mno-avx \
            -mcmodel=kernel -fno-omit-frame-pointer -Ikernel -Ikernel/arch/$(ARCH) -DVECTRA_KERNEL
KERNEL_ASFLAGS := -Iinclude -Ikernel -Ikernel/arch/$(ARCH) -DVECTRA_KERNEL -D__ASSEMBLY__
KERNEL_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

USER_CFLAGS := $(FREE_CFLAGS) -mcmodel=small -Iuser/lib/rt/include -DVECTRA_USER
USER_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack --gc-sections

HOST_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_CFLAGS := -std=gnu11 -g -O1 -Iinclude -Ilib -Itests/host $(WARN) $(HOST_SAN)
HOST_LDFLAGS := $(HOST_SAN)

# Tools are host programs too; they are built with the sanitizers so the
# tests that drive them with hostile input catch memory errors.
TOOL_CFLAGS := $(HOST_CFLAGS)
TOOL_LDFLAGS := $(HOST_LDFLAGS)

# QEMU: TCG always (see docs/DECISIONS.md); isa-debug-exit lets a test end the VM.
# `make run`: serial console on the terminal; QEMU's escape key is Ctrl-]
# (-echr 0x1d), not Ctrl-A, which the shell uses for Home: Ctrl-] x quits,
# Ctrl-] c the monitor. `halt` ends QEMU: init writes a second
# isa-debug-exit device at 0x501 (the kernel's at 0xf4 is below the ports
# init holds; user/init/control.c); `reboot` resets the machine (no
# -no-reboot here; the tests keep it).
QEMU_RUN  := $(QEMU) -machine q35 -cpu max -m 256M -smp 1 -display none -echr 0x1d \
            -serial mon:stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
            -device isa-debug-exit,iobase=0x501,iosize=0x01
OVMF      := /usr/share/ovmf/OVMF.fd

space := $(subst ,, )
comma := ,
