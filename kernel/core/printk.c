/*
 * printk.c: kprintf and panic over the early console, formatted by
 * lib/fmt (the same engine the user runtime's printf uses). Kernel code
 * never passes user memory to %s.
 */
#include "arch.h"
#include "fmt/fmt.h"

static void console_sink(void *ctx, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        arch_console_putc(s[i]);
}

void kvprintf(const char *fmt, va_list ap)
{
    fmt_vformat(console_sink, 0, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    kprintf("\nPANIC: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    kernel_halt(EXIT_PANIC);
}

void kernel_halt(int status)
{
    if (kopt_test)
        arch_exit(status);
    kprintf("kernel: halted\n");
    arch_halt();
}
