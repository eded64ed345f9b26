/*
 * printk.c: kprintf and panic over the early console. The formatter is a
 * deliberately small subset of printf (%s %c %d %i %u %x %p %% with
 * flags '-', '0', '#', a width, and the l/ll/z length modifiers): enough
 * for boot logs and fault reports, nothing that could fault itself on
 * a bad argument except %s with a bad pointer, which kernel code never
 * passes from user memory.
 */
#include "arch.h"

static void put(char c) { arch_console_putc(c); }

static void put_num(uint64_t v, unsigned base, bool neg, int width, char pad, bool left,
                    const char *prefix)
{
    char buf[24];
    int n = 0;
    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    int len = n + (neg ? 1 : 0) + (int)strlen(prefix);
    if (!left && pad == ' ')
        for (; width > len; width--)
            put(' ');
    if (neg)
        put('-');
    for (const char *p = prefix; *p; p++)
        put(*p);
    if (!left && pad == '0')
        for (; width > len; width--)
            put('0');
    while (n)
        put(buf[--n]);
    for (; left && width > len; width--)
        put(' ');
}

void kvprintf(const char *fmt, va_list ap)
{
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(*f);
            continue;
        }
        bool left = false, alt = false;
        char pad = ' ';
        int width = 0, lng = 0;
        for (f++;; f++) {
            if (*f == '-')
                left = true;
            else if (*f == '0')
                pad = '0';
            else if (*f == '#')
                alt = true;
            else
                break;
        }
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (*f++ - '0');
        while (*f == 'l' || *f == 'z') {
            lng++;
            f++;
        }
        switch (*f) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_num(v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, pad, left, "");
            break;
        }
        case 'u':
            put_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, false, width, pad,
                    left, "");
            break;
        case 'x':
            put_num(lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, false, width, pad,
                    left, alt ? "0x" : "");
            break;
        case 'p':
            put_num((uint64_t)va_arg(ap, void *), 16, false, width, pad, left, "0x");
            break;
        case 'c':
            put((char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = (int)strlen(s);
            for (; !left && width > len; width--)
                put(' ');
            while (*s)
                put(*s++);
            for (; left && width > len; width--)
                put(' ');
            break;
        }
        case '%':
            put('%');
            break;
        case 0:
            return;
        default:
            put('%');
            put(*f);
        }
    }
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
