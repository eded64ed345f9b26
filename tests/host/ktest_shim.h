/*
 * ktest_shim.h: lets host tests compile pure kernel files (kernel/core
 * cap.c, reticle.c) unchanged. "Physical" addresses are host pointers
 * minus DIRECT_BASE, so the kernel's direct-map arithmetic lands back on
 * the host pointer. panic() fails the running case (vtest_fail).
 */
#ifndef KTEST_SHIM_H
#define KTEST_SHIM_H
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "kernel.h"
#include "vtest.h"

#define HOST_PHYS(p) ((uint64_t)(uintptr_t)(p) - 0xffff800000000000ull)

/* What the kernel files need from the rest of the kernel. Each host test
 * is a single file, so these are defined once in its program. */
bool kopt_test, kopt_quiet;
void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    vtest_fail(__FILE__, __LINE__, "kernel panic: %s", buf);
}
#endif
