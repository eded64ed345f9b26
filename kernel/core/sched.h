/*
 * sched: fixed-priority preemptive scheduling, round robin within a
 * level, one CPU.
 *
 * Invariants: a Task is on its level's run queue exactly when it is
 * TASK_RUNNABLE and not suspended; the Task that runs is the head of the
 * highest non-empty level (sched_run makes it so). A blocked Task is on
 * no queue and costs nothing until a signal makes it runnable.
 *
 * Time: the kernel counts in ticks of 1/SCHED_HZ s. Tickless (a one-shot
 * timer over a clock, when the platform has one) the tick is the clock
 * read, and the timer is armed for the earliest of the first signal
 * deadline and, while a Task runs, the end of its quantum; idle with no
 * deadline, nothing is armed and no timer interrupt comes. Otherwise a
 * periodic interrupt counts the ticks, as before.
 */
#ifndef CORE_SCHED_H
#define CORE_SCHED_H

#include "core/task.h"

#define SCHED_LEVELS (V_PRIO_MAX + 1)
#define SCHED_HZ 1000           /* timer tick */
#define SCHED_QUANTUM 10        /* ticks before round robin within a level */

void sched_make_runnable(struct task *t);   /* state RUNNABLE; queued unless suspended */
void sched_remove(struct task *t);          /* off the run queue (state unchanged) */
void sched_yield(struct task *t);           /* to the tail of its level */
void sched_to_front(struct task *t);        /* to the head of its level (hand-off) */
void sched_forget(struct task *t);          /* t is going away: drop every pointer to it */
/* out (the head of its level) leaves the queue and in takes its place:
 * the direct hand-off of signal_call. */
void sched_swap_head(struct task *out, struct task *in);
extern struct task *sched_cur;              /* the Task resumed last, or 0 in idle */
extern bool sched_changed;                  /* queues changed since it was resumed */
static inline struct task *sched_current(void) { return sched_cur; }
NORETURN void sched_run(void);              /* resume the right Task, or idle */
void sched_tick(void);              /* the timer's interrupt */
void sched_timer_start(void);       /* at boot: the timer, tickless or periodic */
void sched_deadline(uint64_t tick); /* signal.c: the first deadline is now tick */
extern bool sched_tickless;
extern uint64_t sched_timer_irqs;   /* timer interrupts taken since boot */
#define SCHED_NS_PER_TICK (1000000000ull / SCHED_HZ)
/* The tick count. Periodic: counted by the tick. Tickless: the clock's
 * tick as read at some cycle, read again (sched_ticks_read) once the
 * cycle counter reaches sched_tick_next, a tick's worth of cycles later,
 * so it lags the clock by at most one tick, as the periodic count does,
 * at the cost of one rdtsc and one compare (reading the clock is three
 * device reads and a division). Periodic: sched_tick_next is never
 * reached. */
extern uint64_t sched_tick_count, sched_tick_next, sched_tick_cyc;
uint64_t sched_ticks_read(uint64_t cyc);
static inline uint64_t sched_ticks(void)
{
    uint64_t c = arch_cycles();
    if (__builtin_expect(c >= sched_tick_next, 0))
        return sched_ticks_read(c);
    return sched_tick_count;
}
void kernel_irq(unsigned line);

#endif
