/*
 * console.c: the early console on COM1, polled. The kernel uses it from
 * the first instruction until the serial driver Task takes the port, and
 * always for panics. Output is synchronous: a line written before a crash
 * is on the wire before the crash.
 */
#include "arch.h"

#define COM1 0x3f8

void arch_console_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts */
    outb(COM1 + 3, 0x80);   /* DLAB */
    outb(COM1 + 0, 0x01);   /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    outb(COM1 + 2, 0xc7);   /* FIFO on, cleared */
    outb(COM1 + 4, 0x03);   /* DTR, RTS */
}

void arch_console_putc(char c)
{
    if (c == '\n')
        arch_console_putc('\r');
    for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
        ;
    outb(COM1, (uint8_t)c);
}
