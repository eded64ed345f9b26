/*
 * sched.c: see sched.h.
 */
#include "core/sched.h"
#include "core/signal.h"
#include "core/aspace.h"

static struct {
    struct task *head, *tail;
} rq[SCHED_LEVELS];
static uint32_t nonempty;           /* bit i: level i has a Task */
static struct task *current;        /* last Task resumed, or 0 in idle */
static struct task *fpu_owner;      /* whose state is in the FPU registers */
static unsigned quantum_left = SCHED_QUANTUM;
static uint64_t ticks;

struct task *sched_current(void) { return current; }
uint64_t sched_ticks(void) { return ticks; }

void sched_make_runnable(struct task *t)
{
    KASSERT(t->prio < SCHED_LEVELS);
    t->state = TASK_RUNNABLE;
    if (t->suspended)
        return;
    t->rq_next = 0;
    if (rq[t->prio].tail)
        rq[t->prio].tail->rq_next = t;
    else
        rq[t->prio].head = t;
    rq[t->prio].tail = t;
    nonempty |= 1u << t->prio;
}

void sched_remove(struct task *t)
{
    struct task **pp = &rq[t->prio].head, *prev = 0;
    while (*pp && *pp != t) {
        prev = *pp;
        pp = &(*pp)->rq_next;
    }
    if (!*pp)
        return;
    *pp = t->rq_next;
    if (rq[t->prio].tail == t)
        rq[t->prio].tail = prev;
    if (!rq[t->prio].head)
        nonempty &= ~(1u << t->prio);
    t->rq_next = 0;
}

void sched_yield(struct task *t)
{
    if (t->state != TASK_RUNNABLE || rq[t->prio].head == rq[t->prio].tail)
        return;
    sched_remove(t);
    sched_make_runnable(t);
}

void sched_to_front(struct task *t)
{
    if (t->state != TASK_RUNNABLE || t->suspended || rq[t->prio].head == t)
        return;
    sched_remove(t);
    t->rq_next = rq[t->prio].head;
    rq[t->prio].head = t;
    if (!rq[t->prio].tail)
        rq[t->prio].tail = t;
    nonempty |= 1u << t->prio;
}

void sched_forget(struct task *t)
{
    sched_remove(t);
    if (current == t)
        current = 0;
    if (fpu_owner == t)
        fpu_owner = 0;
}

void sched_tick(void)
{
    ticks++;
    signal_tick(ticks);
    if (current && --quantum_left == 0) {
        quantum_left = SCHED_QUANTUM;
        sched_yield(current);
    }
}

static NORETURN void resume(struct task *t)
{
    if (t != current) {
        current = t;
        quantum_left = SCHED_QUANTUM;
    }
    if (t != fpu_owner) {
        arch_fpu_switch(fpu_owner ? fpu_owner->fpu : 0, t->fpu);
        fpu_owner = t;
    }
    arch_as_switch(task_as_root(t));
    arch_set_kernel_entry(&t->regs);
    arch_resume(&t->regs);
}

void sched_run(void)
{
    for (;;) {
        if (nonempty) {
            unsigned level = 31 - (unsigned)__builtin_clz(nonempty);
            resume(rq[level].head);
        }
        current = 0;
        arch_wait_for_interrupt();
    }
}
