/*
 * irq.c: the interrupt seam on the PC platform. Legacy (ISA) lines 0..15
 * reach the CPU through the I/O APIC when ACPI's MADT names one at GSI 0
 * (each line on the pin the MADT's interrupt source overrides give it,
 * with their polarity and trigger), the two 8259 PICs then remapped to
 * vectors 32..47 and fully masked; without an I/O APIC they come from the
 * PICs through the local APIC's LINT0 in ExtINT mode, as before. Either
 * way line l is vector 32 + l. The local APIC also receives message-
 * signalled interrupts (lines 16.. on vectors 48..) and the IOMMU's fault
 * event.
 *
 * When the IOMMU remaps interrupts, an I/O APIC pin is programmed in the
 * remappable format: it names interrupt-remapping entry l (vtd.c made
 * entries 0..15 for the legacy lines, tied to the I/O APIC's source id),
 * never a vector or a CPU directly.
 *
 * Every line starts masked; a line is unmasked when a driver Task binds
 * it (or for the timer, at boot). An MSI line cannot be masked here (only
 * its device can), so the portable layer latches it instead.
 *
 * The timer seam (the clock and the one-shot deadline) is timer.c's.
 */
#include "arch.h"
#include "vtd.h"
#include "core/platform.h"

#define PIC1 0x20
#define PIC2 0xa0

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

/* ---- the I/O APIC (82093AA datasheet; ICH9 datasheet 13.5) ---- */
#define IOAPIC_VER   0x01
#define IOAPIC_RTE   0x10               /* pin p: 0x10 + 2p (low), + 1 (high) */
#define RTE_LEVEL    (1u << 15)
#define RTE_LOW      (1u << 13)
#define RTE_MASKED   (1u << 16)

static volatile uint32_t *ioapic;      /* 0: the PICs deliver the legacy lines */
static unsigned ioapic_pins;
static struct {
    uint8_t pin;
    bool level, low, usable;
    uint32_t lo;                        /* the pin's low word as last written */
} isa[V_IRQ_LEGACY_LINES];

static void ioapic_write(unsigned reg, uint32_t v)
{
    ioapic[0] = reg;
    ioapic[4] = v;
}
static uint32_t ioapic_read(unsigned reg)
{
    ioapic[0] = reg;
    return ioapic[4];
}

/* Where each ISA line is, from the MADT: identity unless an interrupt
 * source override moves it; ISA lines are edge and active high unless
 * the override says otherwise. A pin that an override gives to another
 * line (IRQ0 on pin 2 moves the PIC cascade's pin) is not identity-
 * mapped twice. */
static void ioapic_init(void)
{
    const struct acpi_platform *p = &platform.acpi;
    paddr_t base = 0;
    for (uint32_t i = 0; platform.has_acpi && i < p->nioapics; i++)
        if (p->ioapic[i].gsi_base == 0)
            base = p->ioapic[i].addr;
    if (!base || !lapic || !(ioapic = arch_kmap_device(base & ~0xfffull, 1))) {
        ioapic = 0;
        return;
    }
    ioapic = (volatile uint32_t *)((volatile uint8_t *)ioapic + (base & 0xfff));
    ioapic_pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
    for (unsigned l = 0; l < V_IRQ_LEGACY_LINES; l++)
        isa[l] = (typeof(isa[l])){.pin = (uint8_t)l, .usable = true};
    for (uint32_t i = 0; i < p->nisos; i++) {
        unsigned src = p->iso[i].source, gsi = p->iso[i].gsi;
        if (src >= V_IRQ_LEGACY_LINES)
            continue;
        for (unsigned l = 0; l < V_IRQ_LEGACY_LINES; l++)
            if (l != src && isa[l].pin == gsi)
                isa[l].usable = false;
        isa[src].pin = (uint8_t)gsi;
        isa[src].usable = gsi < 256;
        isa[src].low = ACPI_MPS_POLARITY(p->iso[i].flags) == 3;
        isa[src].level = ACPI_MPS_TRIGGER(p->iso[i].flags) == 3;
    }
    for (uint32_t i = 0; i < p->nnmi_gsis; i++)
        for (unsigned l = 0; l < V_IRQ_LEGACY_LINES; l++)
            if (isa[l].pin == p->nmi_gsi[i].gsi)
                isa[l].usable = false;
    for (unsigned pin = 0; pin < ioapic_pins; pin++) {
        ioapic_write(IOAPIC_RTE + 2 * pin, RTE_MASKED);
        ioapic_write(IOAPIC_RTE + 2 * pin + 1, 0);
    }
    for (unsigned l = 0; l < V_IRQ_LEGACY_LINES; l++) {
        if (isa[l].pin >= ioapic_pins)
            isa[l].usable = false;
        isa[l].lo = RTE_MASKED;
    }
}

bool ioapic_line_level(unsigned line)
{
    return line < V_IRQ_LEGACY_LINES && isa[line].level;
}

/* Unmasking writes the whole entry: in the remappable format once the
 * IOMMU remaps interrupts (its vector field still the line's, which the
 * I/O APIC matches against the EOI of a level-triggered line), else in
 * the compatibility format, fixed delivery to this CPU. */
static void ioapic_unmask(unsigned line)
{
    if (!isa[line].usable)
        return;
    uint32_t lo = (VEC_IRQ_BASE + line) | (isa[line].level ? RTE_LEVEL : 0) |
                  (isa[line].low ? RTE_LOW : 0);
    uint32_t hi = lapic_id << 24;
    if (arch_iommu_remaps_interrupts()) {
        lo |= (line >> 15 & 1) << 11;                   /* handle[15] */
        hi = 1u << 16 | (line & 0x7fff) << 17;          /* remappable, handle[14:0] */
    }
    ioapic_write(IOAPIC_RTE + 2 * isa[line].pin + 1, hi);
    ioapic_write(IOAPIC_RTE + 2 * isa[line].pin, lo);
    isa[line].lo = lo;
}

static void ioapic_mask(unsigned line)
{
    if (!isa[line].usable || (isa[line].lo & RTE_MASKED))
        return;
    isa[line].lo |= RTE_MASKED;
    ioapic_write(IOAPIC_RTE + 2 * isa[line].pin, isa[line].lo);
}

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
    ioapic_init();
    outb(PIC1, 0x11);            /* ICW1: init, ICW4 follows */
    outb(PIC2, 0x11);
    outb(PIC1 + 1, VEC_IRQ_BASE);
    outb(PIC2 + 1, VEC_IRQ_BASE + 8);
    outb(PIC1 + 1, 4);           /* slave on line 2 */
    outb(PIC2 + 1, 2);
    outb(PIC1 + 1, 1);           /* 8086 mode */
    outb(PIC2 + 1, 1);
    if (ioapic) {
        irq_mask = 0xffff;       /* every PIC line masked, for good */
        pic_write_mask();
        lapic_write(LAPIC_LINT0, LVT_MASKED | 0x700);
        if (!kopt_quiet)
            kprintf("irq: I/O APIC with %u pins: the legacy lines, the 8259s masked\n",
                    ioapic_pins);
        return;
    }
    irq_mask = 0xffff & ~(1u << 2);   /* cascade line always open */
    pic_write_mask();
    kprintf("irq: no I/O APIC: the legacy lines come from the 8259s\n");
}

bool arch_irq_via_ioapic(void) { return ioapic != 0; }

void arch_irq_unmask(unsigned line)
{
    if (line >= V_IRQ_LEGACY_LINES)
        return;
    if (ioapic) {
        ioapic_unmask(line);
        return;
    }
    irq_mask &= (uint16_t)~(1u << line);
    pic_write_mask();
}

void arch_irq_mask(unsigned line)
{
    if (line >= V_IRQ_LEGACY_LINES)
        return;
    if (ioapic) {
        ioapic_mask(line);
        return;
    }
    if (line != 2)
        irq_mask |= (uint16_t)(1u << line);
    pic_write_mask();
}

void arch_irq_eoi(unsigned line)
{
    if (line >= V_IRQ_LEGACY_LINES || ioapic) {
        lapic_write(LAPIC_EOI, 0);
        return;
    }
    if (line >= 8)
        outb(PIC2, 0x20);
    outb(PIC1, 0x20);
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
