/*
 * timer.c: the timer seam on the PC platform. With an HPET (ACPI's HPET
 * table) whose main counter is 64 bits wide and whose timer 0 can take
 * the legacy route, the kernel is tickless: the main counter, started at
 * 0 here, is the clock, and timer 0 in 64-bit one-shot mode interrupts
 * on line 0 (legacy replacement: the PIT's line, pin 2 of the I/O APIC)
 * when the counter reaches the comparator the portable layer asked for.
 * Without one, the PIT ticks on line 0 at the rate asked, as before.
 *
 * Why the HPET and not the local APIC timer: QEMU TCG offers no TSC-
 * deadline mode (CPUID.1:ECX[24] is clear, printed at boot), and the
 * local APIC timer's rate is not architectural: it must be measured
 * against another clock, by busy-waiting at boot (about a million
 * instructions under icount for 1 ms) or by drifting. The HPET's period
 * is in its capability register (femtoseconds), and its comparator is
 * matched against the clock itself, so a deadline cannot drift from the
 * clock it was computed on. docs/DECISIONS.md has the rest.
 *
 * Invariants: the counter only runs forward from 0 (never written after
 * arch_timer_init) and is read so that a carry between its halves never
 * shows; conversions round a deadline up to the next count, so
 * the interrupt is never before the time asked; a comparator already
 * passed is refused rather than written (a 64-bit comparator behind the
 * counter would not match for 2^64 counts).
 */
#include "arch.h"
#include "core/platform.h"

#define PIT_HZ 1193182u

#define HPET_CAP      0x000
#define HPET_CONF     0x010
#define HPET_COUNTER  0x0f0
#define HPET_T0_CONF  0x100
#define HPET_T0_CMP   0x108

#define CAP_COUNT_64  (1ull << 13)
#define CAP_LEG_RT    (1ull << 15)
#define CONF_ENABLE   1ull
#define CONF_LEG_RT   2ull
#define TN_INT_ENB    (1ull << 2)
#define TN_PERIODIC   (1ull << 3)
#define TN_SIZE_64    (1ull << 5)
#define TN_32MODE     (1ull << 8)

static volatile uint64_t *hpet;         /* 0: the PIT ticks */
static uint64_t period_fs;              /* one count, in femtoseconds */

static uint64_t hpet_rd(unsigned r) { return hpet[r / 8]; }
static void hpet_wr(unsigned r, uint64_t v) { hpet[r / 8] = v; }

/* The main counter, read as two 32-bit halves (an emulated HPET may
 * split a 64-bit read into two, and the low half can carry between
 * them): high, low, high again until both highs agree. */
static uint64_t hpet_counter(void)
{
    volatile const uint32_t *c = (volatile const uint32_t *)hpet + HPET_COUNTER / 4;
    uint32_t hi = c[1];
    for (;;) {
        uint32_t lo = c[0], hi2 = c[1];
        if (hi == hi2)
            return (uint64_t)hi << 32 | lo;
        hi = hi2;
    }
}

/* a * b / c and its remainder (arch_muldiv's, with the remainder). */
static inline uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c, uint64_t *rem)
{
    uint64_t q, r;
    __asm__("mulq %2\n\tdivq %3" : "=a"(q), "=&d"(r) : "rm"(b), "rm"(c), "0"(a) : "cc");
    *rem = r;
    return q;
}

static bool hpet_init(void)
{
    if (!platform.hpet_base || !(hpet = arch_kmap_device(platform.hpet_base, 1)))
        return false;
    uint64_t cap = hpet_rd(HPET_CAP);
    period_fs = cap >> 32;
    /* The specification bounds the period to 100 ns; a 64-bit read that
     * came back as its low half alone (no period) means 8-byte access
     * does not work here. */
    if (!period_fs || period_fs > 100000000ull || !(cap & CAP_COUNT_64) || !(cap & CAP_LEG_RT) ||
        !(hpet_rd(HPET_T0_CONF) & TN_SIZE_64)) {
        kprintf("timer: HPET unusable (capabilities %#lx): the PIT ticks\n", cap);
        hpet = 0;
        return false;
    }
    hpet_wr(HPET_CONF, 0);                                  /* halted */
    hpet_wr(HPET_T0_CONF, (hpet_rd(HPET_T0_CONF) & ~(TN_PERIODIC | TN_32MODE | 0x3e00ull |
                                                     2ull)) | TN_INT_ENB);   /* edge, one-shot */
    hpet_wr(HPET_T0_CMP, ~0ull);
    hpet_wr(HPET_COUNTER, 0);
    hpet_wr(HPET_CONF, CONF_ENABLE | CONF_LEG_RT);          /* timer 0 on line 0; the PIT off it */
    return true;
}

bool arch_timer_init(unsigned hz)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    bool deadline = c & (1u << 24);
    if (hpet_init()) {
        if (!kopt_quiet)
            kprintf("timer: tickless: HPET one-shot, %lu fs a count (CPUID TSC-deadline: %s)\n",
                    period_fs, deadline ? "offered, not used" : "absent");
        arch_irq_unmask(0);
        return true;
    }
    unsigned div = PIT_HZ / hz;
    outb(0x43, 0x34);            /* channel 0, lo/hi, rate generator */
    outb(0x40, (uint8_t)div);
    outb(0x40, (uint8_t)(div >> 8));
    arch_irq_unmask(0);
    return false;
}

uint64_t arch_timer_ns(void)
{
    return hpet ? arch_muldiv(hpet_counter(), period_fs, 1000000) : 0;
}

bool arch_timer_arm(uint64_t ns)
{
    if (ns == ~0ull) {
        hpet_wr(HPET_T0_CMP, ~0ull);    /* never */
        return true;
    }
    uint64_t rem;
    uint64_t count = muldiv(ns, 1000000, period_fs, &rem);
    count += rem != 0;           /* never before ns */
    hpet_wr(HPET_T0_CMP, count);
    if (hpet_counter() < count)
        return true;
    hpet_wr(HPET_T0_CMP, ~0ull); /* passed while being written: the caller runs it now */
    return false;
}
