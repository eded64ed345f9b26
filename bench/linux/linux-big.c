/*
 * linux-big: linux-tiny padded to 8 MiB, the Linux side of kbench's
 * spawn_8m (a one-segment, read-only program of 8 MiB whose entry exits
 * at once). The padding is initialised, constant data, so it is in the
 * file and in a read-only PT_LOAD segment, as kbench's padded ELF is.
 */
__attribute__((used, aligned(4096))) const unsigned char linux_big_pad[8u << 20] = {1};

#include "linux-tiny.c"
