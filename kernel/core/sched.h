/*
 * sched: fixed-priority preemptive scheduling, round robin within a
 * level, one CPU.
 *
 * Invariants: a Task is on its level's run queue exactly when its state
 * is TASK_RUNNABLE; the running Task is the head of the highest
 * non-empty level (sched_run makes it so). A blocked Task is on no queue
 * and costs nothing until a signal makes it runnable.
 */
#ifndef CORE_SCHED_H
#define CORE_SCHED_H

#include "core/task.h"

#define SCHED_LEVELS 32
#define SCHED_HZ 1000           /* timer tick */
#define SCHED_QUANTUM 10        /* ticks before round robin within a level */

void sched_init(void);
void sched_make_runnable(struct task *t);   /* append to its level */
void sched_remove(struct task *t);          /* off the run queue */
void sched_yield(struct task *t);           /* to the tail of its level */
struct task *sched_current(void);
NORETURN void sched_run(void);              /* resume the right Task, or idle */
void sched_tick(void);
uint64_t sched_ticks(void);
void kernel_irq(unsigned line);

#endif
