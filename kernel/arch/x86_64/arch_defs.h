/*
 * arch_defs.h (x86_64): constants and the register frame that portable
 * code may name but not interpret.
 *
 * struct regs is the user register save area inside each Task. Its tail
 * (rip, cs, rflags, rsp, ss) is exactly the frame the CPU pushes on an
 * interrupt, because the TSS's RSP0 points at the end of the current
 * Task's regs: a trap from user mode saves state straight into the Task,
 * and the kernel runs on one stack per CPU that holds nothing between
 * entries. entry.S builds the same layout by hand for `syscall`.
 */
#ifndef ARCH_DEFS_H
#define ARCH_DEFS_H

#define DIRECT_BASE 0xffff800000000000ull
#define DIRECT_MAX  (512ull << 30)          /* one PML4 slot of direct map */
#define KERNEL_VMA  0xffffffff80000000ull

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b
#define SEL_UCODE 0x23
#define SEL_TSS   0x28

#define VEC_SYSCALL 0x100   /* regs.vector for a syscall entry (not an IDT vector) */
#define VEC_IRQ_BASE 32      /* line l on vector 32 + l: PIC lines, then MSI lines */
#define VEC_IRQ_END  80      /* one past the last line's vector (V_IRQ_LINES) */
#define VEC_IOMMU    80      /* the IOMMU's fault event */
#define VEC_NSTUBS   81      /* entry.S's stubs: exceptions, lines, the IOMMU */
#define VEC_APIC_SPURIOUS 0xff

/* Offsets into struct regs, for entry.S. */
#define REGS_RAX 48
#define REGS_VECTOR 120
#define REGS_RIP 136
#define REGS_SIZE 176

#ifndef __ASSEMBLY__
#include <stdint.h>

struct regs {
    uint64_t rdi, rsi, rdx, r10, r8, r9;   /* the system-call arguments, in order */
    uint64_t rax, rbx, rcx, rbp, r11, r12, r13, r14, r15;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;   /* the CPU's interrupt frame */
};
_Static_assert(sizeof(struct regs) == REGS_SIZE, "entry.S frame layout");
_Static_assert(__builtin_offsetof(struct regs, rax) == REGS_RAX, "entry.S frame layout");
_Static_assert(__builtin_offsetof(struct regs, vector) == REGS_VECTOR, "entry.S frame layout");
_Static_assert(__builtin_offsetof(struct regs, rip) == REGS_RIP, "entry.S frame layout");
_Static_assert(REGS_SIZE % 16 == 0, "the CPU aligns RSP0 to 16 before pushing");

/* System-call arguments and results, as portable code sees them. The
 * six argument registers are saved side by side in argument order, so the
 * handlers read them in place. */
#define REGS_SYSNO(r) ((r)->rax)
#define REGS_ARGS(r) ((const uint64_t *)&(r)->rdi)
_Static_assert(__builtin_offsetof(struct regs, r9) == 5 * 8, "arguments are consecutive");
#define REGS_SET_RESULT(r, err, val) ((r)->rax = (uint64_t)(err), (r)->rdx = (val))
/* Make the call again on resume: back over the 2-byte `syscall`; rax and
 * the arguments are as the Task left them (nothing was written). */
#define REGS_RESTART_SYSCALL(r) ((r)->rip -= 2)
#define REGS_IP(r) ((r)->rip)
#define REGS_SP(r) ((r)->rsp)

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
#define arch_read_cycles rdtsc  /* arch.h's arch_cycles: inline, so kmain's rdtsc stays in kmain */
static inline uint64_t rdtsc(void)
{
    uint64_t v;   /* rdtsc zeroes the high halves of rax and rdx: three instructions in all */
    __asm__ volatile("rdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax" : "=a"(v) : : "rdx");
    return v;
}
/* a * b / c with a 128-bit product (one mul, one div: the quotient must
 * fit 64 bits); arch.h's arch_muldiv. */
static inline uint64_t arch_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t q, r;
    __asm__("mulq %2\n\tdivq %3" : "=a"(q), "=&d"(r) : "rm"(b), "rm"(c), "0"(a) : "cc");
    return q;
}
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void wrmsr(uint32_t msr, uint64_t v) { __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }
static inline uint64_t rdmsr(uint32_t msr) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo; }
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
#endif
#endif
