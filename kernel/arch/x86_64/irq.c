/*
 * irq.c: the interrupt and timer seams on the PC platform: the two 8259
 * PICs remapped to vectors 32..47 and the PIT on line 0 as the tick.
 * Every line starts masked; a line is unmasked when a driver Task binds
 * it (or for the timer, at boot). The PIT is chosen over the local APIC
 * timer because its rate needs no calibration, which keeps boot short;
 * the seam is the same either way.
 */
#include "arch.h"

#define PIC1 0x20
#define PIC2 0xa0
#define PIT_HZ 1193182u

static uint16_t irq_mask = 0xffff;

static void pic_write_mask(void)
{
    outb(PIC1 + 1, (uint8_t)irq_mask);
    outb(PIC2 + 1, (uint8_t)(irq_mask >> 8));
}

void arch_irq_init(void)
{
    outb(PIC1, 0x11);            /* ICW1: init, ICW4 follows */
    outb(PIC2, 0x11);
    outb(PIC1 + 1, VEC_IRQ_BASE);
    outb(PIC2 + 1, VEC_IRQ_BASE + 8);
    outb(PIC1 + 1, 4);           /* slave on line 2 */
    outb(PIC2 + 1, 2);
    outb(PIC1 + 1, 1);           /* 8086 mode */
    outb(PIC2 + 1, 1);
    irq_mask = 0xffff & ~(1u << 2);   /* cascade line always open */
    pic_write_mask();
}

void arch_irq_unmask(unsigned line)
{
    irq_mask &= (uint16_t)~(1u << line);
    pic_write_mask();
}

void arch_irq_mask(unsigned line)
{
    if (line != 2)
        irq_mask |= (uint16_t)(1u << line);
    pic_write_mask();
}

void arch_irq_eoi(unsigned line)
{
    if (line >= 8)
        outb(PIC2, 0x20);
    outb(PIC1, 0x20);
}

void arch_timer_init(unsigned hz)
{
    unsigned div = PIT_HZ / hz;
    outb(0x43, 0x34);            /* channel 0, lo/hi, rate generator */
    outb(0x40, (uint8_t)div);
    outb(0x40, (uint8_t)(div >> 8));
    arch_irq_unmask(0);
}

void arch_wait_for_interrupt(void)
{
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* A preemption point inside a long kernel operation: the one-instruction
 * shadow of sti lets a pending interrupt in between the nop and the cli. */
void arch_irq_window(void)
{
    __asm__ volatile("sti; nop; cli" ::: "memory");
}
