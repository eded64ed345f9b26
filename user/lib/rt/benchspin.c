/*
 * benchspin.c: the benchmarks' idle spinner (benchspin.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "benchspin.h"
#include "rt.h"

/* Global, not static: only the spinner's assembly writes it, and GCC
 * would otherwise place a variable it never sees written in .rodata. */
struct benchspin benchspin;

/* The spinner's whole program: six instructions a loop, never a call. */
__attribute__((naked, noreturn)) static void spin_loop(void)
{
    __asm__ volatile("lea benchspin(%rip), %rcx\n"
                     "1: rdtsc\n\t"
                     "shl $32, %rdx\n\t"
                     "or %rdx, %rax\n\t"
                     "mov %rax, (%rcx)\n\t"
                     "incq 8(%rcx)\n\t"
                     "jmp 1b");
}

void benchspin_start(uint64_t stack_va, const char *who)
{
    v_handle mem = rt_memory();
    struct v_ret t = v_retype(mem, V_TYPE_TASK, 0, V_SLOT_ANY);
    struct v_ret tab = v_retype(mem, V_TYPE_CAPTABLE, V_CAPTABLE_MIN_BITS, V_SLOT_ANY);
    if (t.err || tab.err || rt_map_frames(mem, stack_va, 1, V_R_READ | V_R_WRITE, 0) ||
        v_task_config(t.val, tab.val, rt_aspace(), 0, 0, 0).err ||
        v_task_start(t.val, (uint64_t)spin_loop, stack_va + 4096, 0).err)
        rt_die("%s: cannot start the spinner", who);
    v_signal_wait(1ull << 40, 20000);       /* let it run once: it must be counting */
    struct v_taskinfo ti;
    if (!benchspin.count && !v_task_info((v_handle)t.val, (uint64_t)&ti).err)
        rt_die("%s: the spinner does not run: state %u vector %llu at %#llx (%#llx)", who,
               ti.state, (unsigned long long)ti.fault.vector, (unsigned long long)ti.fault.ip,
               (unsigned long long)ti.fault.addr);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void benchspin_report(const char *name, uint64_t *s, size_t n)
{
    qsort(s, n, sizeof *s, cmp_u64);
    printf("bench %s unit=insn median=%llu p99=%llu min=%llu n=%zu\n", name,
           (unsigned long long)s[n / 2], (unsigned long long)s[(n * 99 + 99) / 100 - 1],
           (unsigned long long)s[0], n);
}
