/*
 * sched: fixed-priority preemptive scheduling, round robin within a
 * level, one CPU.
 *
 * Invariants: a Task is on its level's run queue exactly when it is
 * TASK_RUNNABLE and not suspended; the Task that runs is the head of the
 * highest non-empty level (sched_run makes it so). A blocked Task is on
 * no queue and costs nothing until a signal makes it runnable.
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
void sched_tick(void);
extern uint64_t sched_tick_count;   /* written by the tick only */
static inline uint64_t sched_ticks(void) { return sched_tick_count; }
void kernel_irq(unsigned line);

#endif
