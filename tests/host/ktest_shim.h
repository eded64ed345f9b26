/*
 * ktest_shim.h: lets host tests compile pure kernel files (kernel/core
 * cap.c, reticle.c) unchanged. "Physical" addresses are host pointers
 * minus DIRECT_BASE, so the kernel's direct-map arithmetic lands back on
 * the host pointer. panic() longjmps into the test framework.
 */
#ifndef KTEST_SHIM_H
#define KTEST_SHIM_H
#include <stdint.h>
#define HOST_PHYS(p) ((uint64_t)(uintptr_t)(p) - 0xffff800000000000ull)
#endif
