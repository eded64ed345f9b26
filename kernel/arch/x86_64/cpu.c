/*
 * cpu.c: the CPU-local seam for x86_64: GDT, TSS, IDT, the syscall MSRs
 * and control-register features. One CPU for now; these tables become an
 * array indexed by CPU when SMP arrives, nothing else changes.
 *
 * Invariant: cpu_tss.rsp0 always points at the end of the register area of
 * the Task about to run in user mode (arch_set_kernel_entry), so a trap
 * from user mode saves the Task's state into the Task itself.
 */
#include "arch.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp0, rsp1, rsp2;
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS layout (SDM vol 3 fig 8-11)");

struct idt_entry {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, zero;
} __attribute__((packed));

static uint64_t gdt[7] __attribute__((aligned(16)));
struct tss cpu_tss __attribute__((aligned(16)));   /* entry.S reads rsp0 */
static struct idt_entry idt[256] __attribute__((aligned(16)));

#define IST_STACK_SIZE 8192
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

extern const uint64_t isr_table[VEC_NSTUBS];   /* entry.S: a stub per vector below */
extern void isr_spurious(void), isr_unexpected(void);
extern void syscall_entry(void);
extern bool cpu_has_smap;        /* usercopy.c */

static void set_gate(unsigned vec, uint64_t handler, unsigned ist, unsigned dpl)
{
    idt[vec] = (struct idt_entry){
        .off0 = (uint16_t)handler,
        .sel = SEL_KCODE,
        .ist = (uint8_t)ist,
        .type = (uint8_t)(0x8e | (dpl << 5)),   /* present, interrupt gate */
        .off1 = (uint16_t)(handler >> 16),
        .off2 = (uint32_t)(handler >> 32),
    };
}

void arch_cpu_init(void)
{
    gdt[0] = 0;
    gdt[1] = 0x00af9a000000ffffull;   /* 0x08 kernel code, 64-bit */
    gdt[2] = 0x00cf92000000ffffull;   /* 0x10 kernel data */
    gdt[3] = 0x00cff2000000ffffull;   /* 0x18 user data (DPL 3) */
    gdt[4] = 0x00affa000000ffffull;   /* 0x20 user code, 64-bit (DPL 3) */
    uint64_t t = (uint64_t)&cpu_tss;
    gdt[5] = (sizeof cpu_tss - 1) | ((t & 0xffffff) << 16) | (0x89ull << 40) |
             (((t >> 24) & 0xff) << 56);
    gdt[6] = t >> 32;

    for (int i = 0; i < 3; i++)
        cpu_tss.ist[i] = (uint64_t)&ist_stacks[i][IST_STACK_SIZE];
    cpu_tss.iomap_base = sizeof cpu_tss;      /* no I/O bitmap: ring 3 port I/O faults */

    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) gdtr = {sizeof gdt - 1, (uint64_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "mov %1, %%ds\n\tmov %1, %%es\n\tmov %1, %%ss\n\t"
                     "pushq %2\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\tlretq\n1:\n\t"
                     "ltr %w3"
                     :
                     : "m"(gdtr), "r"((uint64_t)SEL_KDATA), "i"(SEL_KCODE), "r"(SEL_TSS)
                     : "rax", "memory");

    for (unsigned v = 0; v < VEC_NSTUBS; v++)
        set_gate(v, isr_table[v], 0, 0);
    set_gate(2, isr_table[2], 1, 0);    /* NMI: own stack */
    set_gate(8, isr_table[8], 2, 0);    /* double fault: own stack */
    set_gate(18, isr_table[18], 3, 0);  /* machine check: own stack */
    set_gate(3, isr_table[3], 0, 3);    /* int3 from user mode is #BP, not #GP */
    set_gate(4, isr_table[4], 0, 3);    /* into likewise */
    for (unsigned v = VEC_NSTUBS; v < 256; v++)
        set_gate(v, (uint64_t)(v == VEC_APIC_SPURIOUS ? isr_spurious : isr_unexpected), 0, 0);
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = {sizeof idt - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" ::"m"(idtr));

    /* syscall/sysret: CS/SS from STAR; IF, DF, TF, AC cleared on entry. */
    wrmsr(0xC0000080, rdmsr(0xC0000080) | 1);                 /* EFER.SCE */
    wrmsr(0xC0000081, ((uint64_t)0x10 << 48) | ((uint64_t)SEL_KCODE << 32));
    wrmsr(0xC0000082, (uint64_t)syscall_entry);               /* LSTAR */
    wrmsr(0xC0000084, 0x47700);                               /* FMASK: TF IF DF AC NT */

    /* SSE for user code (the kernel itself is built without it);
     * SMEP/SMAP so the kernel never runs or reads user pages by accident. */
    uint32_t a, b, c, d;
    cpuid(7, 0, &a, &b, &c, &d);
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= (1 << 9) | (1 << 10);          /* OSFXSR, OSXMMEXCPT */
    if (b & (1 << 7))
        cr4 |= 1 << 20;                   /* SMEP */
    if (b & (1 << 20)) {
        cr4 |= 1 << 21;                   /* SMAP */
        cpu_has_smap = true;
    }
    cr4 |= 1 << 7;                        /* PGE */
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
    uint64_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 &= ~(1ull << 2);                  /* EM off */
    cr0 |= (1 << 1) | (1 << 5) | (1 << 16);  /* MP, NE, WP */
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
    __asm__ volatile("fninit");
}

void arch_set_kernel_entry(struct regs *r)
{
    cpu_tss.rsp0 = (uint64_t)(r + 1);
}

void arch_regs_init_user(struct regs *r, uint64_t ip, uint64_t sp, uint64_t arg)
{
    *r = (struct regs){0};
    r->rip = ip;
    r->rsp = sp;
    r->rdi = arg;
    r->cs = SEL_UCODE;
    r->ss = SEL_UDATA;
    r->rflags = 0x202;                    /* IF */
}

void arch_fpu_switch(void *save, const void *load)
{
    if (save)
        __asm__ volatile("fxsave64 (%0)" ::"r"(save) : "memory");
    __asm__ volatile("fxrstor64 (%0)" ::"r"(load) : "memory");
}

void arch_fpu_init_image(void *img)
{
    uint8_t *b = img;
    memset(b, 0, 512);
    b[0] = 0x7f;            /* FCW 0x037f: x87 exceptions masked */
    b[1] = 0x03;
    b[24] = 0x80;           /* MXCSR 0x1f80: SSE exceptions masked */
    b[25] = 0x1f;
}

void arch_halt(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

uint32_t arch_io_in(uint16_t port, unsigned width)
{
    return width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
}

void arch_io_out(uint16_t port, unsigned width, uint32_t value)
{
    if (width == 1)
        outb(port, (uint8_t)value);
    else if (width == 2)
        outw(port, (uint16_t)value);
    else
        outl(port, value);
}

void arch_exit(int status)
{
    outb(0xf4, (uint8_t)status);          /* isa-debug-exit, if QEMU has one */
    arch_halt();
}
