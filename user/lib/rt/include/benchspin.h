/*
 * benchspin.h: the idle spinner of the benchmarks that wait for a device
 * (user/bench/blkbench, user/netbench; bench/README.md "Idle under icount").
 *
 * Under -icount a halted CPU counts no instructions, but its clock jumps
 * to the next timer by an amount that depends on the host. So while a
 * benchmark waits for its device the CPU never halts: a priority-0 Task
 * in the caller's address space (it holds nothing) stores the TSC and
 * counts its loops, BENCHSPIN_INSNS instructions each. A sample is the
 * TSC delta less BENCHSPIN_INSNS × the loops in it.
 */
#ifndef RT_BENCHSPIN_H
#define RT_BENCHSPIN_H

#include <stddef.h>
#include <stdint.h>

#include "rt.h"

#define BENCHSPIN_INSNS 6

struct benchspin {
    volatile uint64_t tsc, count;
};
extern struct benchspin benchspin;

/* Start the spinner (its stack page at stack_va, from the caller's
 * Reticle) and wait until it has run once; ends the Task if it cannot. */
void benchspin_start(uint64_t stack_va, const char *who);

/* One figure's line from its n samples (sorted here): median s[n/2],
 * p99 by nearest rank, minimum. */
void benchspin_report(const char *name, uint64_t *s, size_t n);

static inline uint64_t benchspin_tsc(void) { return rt_tsc(); }

#endif
