/*
 * kernel.h: what every kernel file needs: fixed-width types, the console,
 * panic and assertions, and the few memory helpers the compiler may call.
 *
 * Two kinds of failure and never a third: bad user input is a V_E* code
 * returned to the caller; a broken kernel invariant is KASSERT/panic,
 * which halts loudly with a report. No user action may reach a panic.
 */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vectra/abi.h>

typedef uint64_t paddr_t;

#define PAGE_SIZE 4096ull
#define PAGE_MASK (PAGE_SIZE - 1)
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))
#define NORETURN __attribute__((noreturn))

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define KASSERT(cond)                                                     \
    do {                                                                  \
        if (__builtin_expect(!(cond), 0))                                 \
            panic("assertion failed: %s at %s:%d", #cond, __FILE__,       \
                  __LINE__);                                              \
    } while (0)

/* Kernel command-line switches (core/main.c). */
extern bool kopt_test;    /* "test": end QEMU through isa-debug-exit */
extern bool kopt_quiet;   /* "quiet": fewer boot messages */

/* Status values written to isa-debug-exit; QEMU exits with 2*v+1. */
#define EXIT_PASS  0x10   /* root Task exited with status 0: QEMU exits 33 */
#define EXIT_FAIL  0x11   /* root Task failed or a boot error: QEMU exits 35 */
#define EXIT_PANIC 0x12   /* kernel panic: QEMU exits 37 */
NORETURN void kernel_halt(int status);

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
