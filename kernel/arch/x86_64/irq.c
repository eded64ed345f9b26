/*
 * irq.c: the interrupt and timer seams on the PC platform: the two 8259
 * PICs remapped to vectors 32..47 and the PIT on line 0 as the tick;
 * the local APIC, enabled beside them, receives message-signalled
 * interrupts (lines 16.. on vectors 48..) and the IOMMU's fault event.
 * Every legacy line starts masked; a line is unmasked when a driver Task
 * binds it (or for the timer, at boot). An MSI line cannot be masked
 * here (only its device can), so the portable layer latches it instead.
 * The PIT is chosen over the local APIC timer because its rate needs no
 * calibration, which keeps boot short; the seam is the same either way.
 *
 * The PIC's interrupts reach the CPU through the local APIC's LINT0 in
 * ExtINT mode, which leaves the APIC's in-service register alone: only
 * vectors delivered by message need an APIC EOI.
 */
#include "arch.h"
#include "vtd.h"

#define PIC1 0x20
#define PIC2 0xa0
#define PIT_HZ 1193182u

static uint16_t irq_mask = 0xffff;

static void pic_write_mask(void)
{
    outb(PIC1 + 1, (uint8_t)irq_mask);
    outb(PIC2 + 1, (uint8_t)(irq_mask >> 8));
}

#define LAPIC_ID    0x020
#define LAPIC_TPR   0x080
#define LAPIC_EOI   0x0b0
#define LAPIC_SVR   0x0f0
#define LAPIC_TIMER 0x320
#define LAPIC_LINT0 0x350
#define LAPIC_LINT1 0x360
#define LAPIC_ERROR 0x370
#define LVT_MASKED  (1u << 16)

volatile uint32_t *lapic;        /* entry.S's spurious stub reads it too */
static uint32_t lapic_id;

static void lapic_write(unsigned reg, uint32_t v) { lapic[reg / 4] = v; }
static uint32_t lapic_read(unsigned reg) { return lapic[reg / 4]; }

static void lapic_init(void)
{
    uint64_t base = rdmsr(0x1b);
    if (!(base & (1u << 11)))
        wrmsr(0x1b, base | (1u << 11));      /* globally enabled */
    lapic = arch_kmap_device(base & 0xffffff000ull, 1);
    if (!lapic) {
        kprintf("irq: cannot map the local APIC: no message-signalled interrupts\n");
        return;
    }
    lapic_id = lapic_read(LAPIC_ID) >> 24;
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_TIMER, LVT_MASKED);
    lapic_write(LAPIC_ERROR, LVT_MASKED);
    lapic_write(LAPIC_LINT0, 0x700);          /* ExtINT: the PIC, as before */
    lapic_write(LAPIC_LINT1, 0x400);          /* NMI */
    lapic_write(LAPIC_SVR, 0x100 | VEC_APIC_SPURIOUS);
}

uint32_t lapic_apic_id(void) { return lapic_id; }

uint64_t arch_msi_message(unsigned line)
{
    if (!lapic || line < V_IRQ_MSI_FIRST || line >= V_IRQ_LINES)
        return 0;
    uint64_t remapped;
    if (vtd_msi_message(line, &remapped))
        return remapped;
    uint32_t data = VEC_IRQ_BASE + line;      /* fixed delivery, edge */
    uint32_t addr = 0xfee00000u | lapic_id << 12;
    return data | (uint64_t)addr << 32;
}

void arch_irq_init(void)
{
    lapic_init();
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
    if (line >= V_IRQ_LEGACY_LINES)
        return;
    irq_mask &= (uint16_t)~(1u << line);
    pic_write_mask();
}

void arch_irq_mask(unsigned line)
{
    if (line >= V_IRQ_LEGACY_LINES)
        return;
    if (line != 2)
        irq_mask |= (uint16_t)(1u << line);
    pic_write_mask();
}

void arch_irq_eoi(unsigned line)
{
    if (line >= V_IRQ_LEGACY_LINES) {
        lapic_write(LAPIC_EOI, 0);
        return;
    }
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
