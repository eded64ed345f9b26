/*
 * sched.c: see sched.h.
 */
#include "core/sched.h"

static struct {
    struct task *head, *tail;
} rq[SCHED_LEVELS];
static uint32_t nonempty;           /* bit i: level i has a Task */
static struct task *current;        /* last Task resumed, or 0 in idle */
static struct task *fpu_owner;      /* whose state is in the FPU registers */
static unsigned quantum_left;
static uint64_t ticks;

void sched_init(void)
{
    quantum_left = SCHED_QUANTUM;
}

struct task *sched_current(void) { return current; }
uint64_t sched_ticks(void) { return ticks; }

void sched_make_runnable(struct task *t)
{
    KASSERT(t->prio < SCHED_LEVELS);
    t->state = TASK_RUNNABLE;
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

void sched_tick(void)
{
    ticks++;
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
    arch_as_switch(t->as_root);
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
