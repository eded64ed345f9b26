/*
 * trap.c: the trap seam. Decodes what entry.S saved and hands it to
 * portable code: user exceptions become Task faults, device interrupts
 * become kernel_irq(), and a kernel-mode exception is either a user-copy
 * fault with a fixup (arch_copy_*_user) or a kernel bug, reported in full
 * before the kernel halts.
 */
#include "arch.h"
#include "core/sched.h"
#include "core/task.h"
#include "vtd.h"

static const char *const exc_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
    "reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
    "reserved 27", "#HV hypervisor injection", "#VC VMM communication",
    "#SX security", "reserved 31",
};

const char *arch_fault_name(uint64_t vector)
{
    return vector < 32 ? exc_names[vector] : "interrupt";
}

void arch_dump_regs(const struct regs *r)
{
    kprintf("  rip=%016lx cs=%04lx rflags=%016lx rsp=%016lx ss=%04lx\n", r->rip, r->cs,
            r->rflags, r->rsp, r->ss);
    kprintf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    kprintf("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
    kprintf("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n", r->r9, r->r10, r->r11, r->r12);
    kprintf("  r13=%016lx r14=%016lx r15=%016lx cr2=%016lx\n", r->r13, r->r14, r->r15,
            read_cr2());
}

void trap_user(struct regs *r);
void trap_kernel(struct regs *r);

static void trap_interrupt(uint64_t v)
{
    if (v == VEC_IOMMU) {
        vtd_fault_event();
        arch_irq_eoi(V_IRQ_MSI_FIRST);        /* delivered by message, as MSI lines are */
    } else if (v >= VEC_IRQ_BASE && v < VEC_IRQ_END) {
        arch_irq_eoi((unsigned)(v - VEC_IRQ_BASE));
        kernel_irq((unsigned)(v - VEC_IRQ_BASE));
    }
}

void trap_user(struct regs *r)
{
    uint64_t v = r->vector;
    if (v < 32) {
        struct v_fault f = {
            .vector = v, .error = r->error, .ip = r->rip, .sp = r->rsp,
            .addr = v == 14 ? read_cr2() : 0,
        };
        task_fault(sched_current(), &f);
    } else {
        trap_interrupt(v);
    }
    sched_run();
}

struct extable_entry {
    uint64_t insn, fixup;
};
extern const struct extable_entry __extable_start[], __extable_end[];

void trap_kernel(struct regs *r)
{
    uint64_t v = r->vector;
    if (v >= VEC_IRQ_BASE) {
        trap_interrupt(v);
        return;
    }
    if (v == 14) {
        for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
            if (e->insn == r->rip) {
                r->rip = e->fixup;
                return;
            }
    }
    kprintf("\nPANIC: kernel exception %s (vector %lu) error=%#lx at rip=%#lx cr2=%#lx\n",
            arch_fault_name(v), v, r->error, r->rip, read_cr2());
    arch_dump_regs(r);
    kernel_halt(EXIT_PANIC);
}
