/*
 * arch.h: the twelve seams between portable kernel code (kernel/core) and
 * an architecture (kernel/arch/<arch>). A port defines every function
 * below; portable code calls nothing else of the architecture and never
 * tests which architecture it is on.
 *
 *   boot         arch_boot_info          loader protocol -> struct boot_info
 *   memory model arch_phys_to_virt ...   the direct map of physical memory
 *   paging       arch_pt_* / arch_as_*   page tables of one address space
 *   traps        arch_trap_init          exceptions and the syscall entry
 *   interrupts   arch_irq_*              device lines to the kernel
 *   timer        arch_timer_*            a one-shot deadline over a clock, or a periodic tick
 *   context      arch_regs_* / arch_resume  user register state, entering user mode
 *   user-copy    arch_copy_{from,to}_user   faults become V_EFAULT
 *   CPU-local    arch_cpu_init           per-CPU tables (GDT, TSS, stacks)
 *   console      arch_console_*          the early serial console
 *   I/O          arch_io_* / arch_exit   port I/O, halting, leaving QEMU
 *   IOMMU        arch_iommu_* / arch_iopt_*  DMA remapping: per-device page tables
 */
#ifndef ARCH_H
#define ARCH_H

#include "kernel.h"
#include "arch_defs.h"

/* ---- boot ---- */
#define BOOT_MAX_REGIONS 64
#define BOOT_MAX_MODULES 16
struct boot_region {
    paddr_t base, size;
};
struct boot_module {
    paddr_t base, size;
    char name[64];
};
struct boot_info {
    const char *protocol;
    struct boot_region ram[BOOT_MAX_REGIONS];   /* usable RAM, sorted, disjoint */
    unsigned nram;
    struct boot_module modules[BOOT_MAX_MODULES];
    unsigned nmodules;
    unsigned dropped_modules;                   /* beyond BOOT_MAX_MODULES */
    char first_dropped[64];                     /* the name of the first of them */
    char cmdline[256];
    paddr_t info_base, info_size;               /* the loader's structure, kept intact until parsed */
    /* The ACPI RSDP (from a loader's tag, or found in the firmware's
     * areas), copied here because the loader's memory is reused: */
    uint8_t rsdp[36];
    uint32_t rsdp_len;                          /* 0: none found */
    paddr_t rsdp_at;
};
/* Returns false (with a message printed) if the loader is unknown. */
bool arch_boot_info(uint32_t magic, paddr_t info, struct boot_info *bi);

/* ---- memory model ---- */
static inline void *arch_phys_to_virt(paddr_t p) { return (void *)(p + DIRECT_BASE); }
static inline paddr_t arch_virt_to_phys(const void *v)
{
    uint64_t a = (uint64_t)v;
    return a >= KERNEL_VMA ? a - KERNEL_VMA : a - DIRECT_BASE;
}

/* ---- paging ---- */
/* Page-table pages come from a caller-supplied source, so the caller
 * decides whose memory pays for them (a Reticle, or boot memory). */
typedef paddr_t (*pt_alloc_fn)(void *ctx);
enum { MAP_R = 1, MAP_W = 2, MAP_X = 4, MAP_USER = 8, MAP_UNCACHED = 16 };
void arch_paging_init(const struct boot_info *bi, pt_alloc_fn alloc, void *ctx);
/* A new root table whose kernel half is shared with every other. */
void arch_as_init(paddr_t root);
/* Map npages of physically contiguous memory from pa at va. Stops with
 * V_ENOMEM or V_EEXIST at the first page it cannot map (callers check
 * first with arch_pt_probe, so they never see
 * a half-made run). */
int arch_pt_map(paddr_t root, uint64_t va, paddr_t pa, unsigned npages, unsigned flags,
                pt_alloc_fn alloc, void *ctx);
void arch_as_switch(paddr_t root);
paddr_t arch_as_current(void);        /* the root the CPU translates through now */
paddr_t arch_kernel_root(void);
/* At boot only (boot memory pays for its tables): an uncached kernel
 * window onto device registers; 0 if it cannot be made. */
void *arch_kmap_device(paddr_t pa, unsigned npages);
paddr_t arch_boot_page(void);             /* a zeroed page of boot memory, or 0 */
/* Is any of npages from va mapped (tombstones aside)? If not, *need is
 * the number of page-table pages mapping them would add. */
bool arch_pt_probe(paddr_t root, uint64_t va, unsigned npages, unsigned *need);
/* The kernel's address of user va in root (any space, current or not),
 * if it is mapped user-accessible (and writable, if write); else 0. */
void *arch_pt_user_ptr(paddr_t root, uint64_t va, bool write);
/* Is [va, va+n) user memory, mapped user-readable (or -writable) in root
 * throughout? */
bool arch_pt_user_readable(paddr_t root, uint64_t va, uint64_t n);
bool arch_pt_user_writable(paddr_t root, uint64_t va, uint64_t n);
/* Clear each leaf of the run that still maps the expected page (pa + i
 * pages); leaves mapping anything else are left alone. */
void arch_pt_unmap(paddr_t root, uint64_t va, paddr_t pa, unsigned npages);
/* The same leaves, pointed instead at the one page tomb (user, writable,
 * never executable) and marked as tombstones: a Task whose mapping was
 * revoked under it reads and writes tomb instead of faulting. A
 * tombstone counts as free for arch_pt_probe and arch_pt_map. */
void arch_pt_tombstone(paddr_t root, uint64_t va, paddr_t pa, unsigned npages, paddr_t tomb);
/* Hand every user-half page-table page below root to release, and
 * empty the root's user half. */
void arch_pt_free_tables(paddr_t root, void (*release)(paddr_t, void *), void *ctx);
/* Visit the present user leaves below root (tombstones excepted) from
 * *va on, at most budget leaf tables (512 leaves each), with each leaf's
 * physical page, whether it is writable and whether it is uncached
 * (device memory); fn says what becomes of it: PT_KEEP, PT_READONLY
 * (write cleared) or PT_UNMAP. *va becomes where to go on from, and true
 * is returned once the whole user half was visited (*va is then
 * ARCH_PT_FILTER_DONE). The TLB is flushed if anything changed in the
 * current space. Used when a label changes (core/label.c), one budget
 * between preemption points. */
enum { PT_KEEP, PT_READONLY, PT_UNMAP };
#define ARCH_PT_FILTER_DONE (1ull << 47)
bool arch_pt_filter(paddr_t root, uint64_t *va, unsigned budget,
                    unsigned (*fn)(paddr_t pa, bool writable, bool device, void *ctx), void *ctx);

/* ---- traps / context ---- */
struct regs;
void arch_trap_init(void);
void arch_regs_init_user(struct regs *r, uint64_t ip, uint64_t sp, uint64_t arg);
NORETURN void arch_resume(struct regs *r);   /* enter user mode with r */
void arch_set_kernel_entry(struct regs *r);  /* where the next user trap saves state */
void arch_fpu_switch(void *save, const void *load);  /* FXSAVE images; save may be 0 */
void arch_fpu_init_image(void *img);        /* a clean FPU/SSE state */
const char *arch_fault_name(uint64_t vector);
void arch_dump_regs(const struct regs *r);

/* ---- interrupts / timer ---- */
void arch_irq_init(void);
bool arch_irq_via_ioapic(void);       /* legacy lines through an I/O APIC, the PICs masked */
void arch_irq_unmask(unsigned line);
void arch_irq_mask(unsigned line);
/* Start the timer, whose interrupt is line 0: true if it is a one-shot
 * deadline timer over a free-running clock (tickless; arch_timer_ns and
 * arch_timer_arm work), false if it ticks periodically at hz. */
bool arch_timer_init(unsigned hz);
uint64_t arch_timer_ns(void);         /* the clock: nanoseconds since arch_timer_init */
/* Interrupt once the clock reaches ns (replacing the deadline armed
 * before); false, and nothing armed, if it already has. ns = ~0: disarm. */
bool arch_timer_arm(uint64_t ns);
static inline uint64_t arch_cycles(void) { return arch_read_cycles(); }  /* free-running (boot timing, quanta) */
/* arch_muldiv(a, b, c) (arch_defs.h, inline): a * b / c, the product
 * 128 bits wide; the quotient must fit 64 bits. */
void arch_wait_for_interrupt(void);   /* sti; hlt; cli: returns after one interrupt */
void arch_irq_window(void);           /* sti; nop; cli: take what is pending, if anything */
void arch_irq_eoi(unsigned line);
/* The message an MSI line's device writes: data | address << 32. */
uint64_t arch_msi_message(unsigned line);
/* Only the PCI function source (bus << 8 | devfn) may raise the MSI line
 * from now on, or any device if source < 0; where interrupts are not
 * remapped nothing can check it, and this does nothing. */
void arch_msi_source(unsigned line, int32_t source);

/* ---- user copy ---- */
int arch_copy_from_user(void *dst, uint64_t usrc, size_t n);
int arch_copy_to_user(uint64_t udst, const void *src, size_t n);

/* ---- CPU-local ---- */
void arch_cpu_init(void);

/* ---- console ---- */
void arch_console_init(void);
void arch_console_putc(char c);

/* ---- I/O ---- */
/* Port I/O of width 1, 2 or 4 bytes (callers check the width and that
 * the port is one the caller's capability covers). */
uint32_t arch_io_in(uint16_t port, unsigned width);
void arch_io_out(uint16_t port, unsigned width, uint32_t value);
/* ---- IOMMU ---- */
/* At boot: take over the remapping unit whose registers are at base and
 * turn translation on, after which a device with no space attached
 * reaches nothing. False (and DMA unconfined) if the unit cannot be used;
 * else *addr_bits is the width of every device address space. */
bool arch_iommu_init(paddr_t base, unsigned *addr_bits);
bool arch_iommu_bus_ok(unsigned bus);     /* has a context table */
bool arch_iommu_remaps_interrupts(void);
/* Point a PCI source id (bus << 8 | devfn) at the page-table tree whose
 * top table is top, tagged domain; or stop it reaching anything. Both
 * flush the unit's caches before returning. */
void arch_iommu_attach(uint16_t source, paddr_t top, uint16_t domain);
void arch_iommu_detach(uint16_t source, uint16_t domain);
/* Second-level tables below a zeroed top table, as arch_pt_* are for the
 * CPU: probe says whether any page of the run is mapped and how many
 * tables mapping it would add; map cannot fail after a probe said no;
 * unmap clears the leaves that still map pa + i pages and flushes the
 * domain's cached translations. */
bool arch_iopt_probe(paddr_t top, uint64_t iova, unsigned npages, unsigned *need);
void arch_iopt_map(paddr_t top, uint64_t iova, paddr_t pa, unsigned npages, bool read,
                   bool write, pt_alloc_fn alloc, void *ctx);
void arch_iopt_unmap(paddr_t top, uint64_t iova, paddr_t pa, unsigned npages, uint16_t domain);
void arch_iopt_free_tables(paddr_t top, void (*release)(paddr_t, void *), void *ctx);

NORETURN void arch_exit(int status);  /* isa-debug-exit when present, then halt */
NORETURN void arch_halt(void);

#endif
