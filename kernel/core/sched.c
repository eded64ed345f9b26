/*
 * sched.c: see sched.h.
 */
#include "core/sched.h"
#include "core/signal.h"
#include "core/aspace.h"
#include "core/label.h"

static struct {
    struct task *head, *tail;
} rq[SCHED_LEVELS];
static uint32_t nonempty;           /* bit i: level i has a Task */
struct task *sched_cur;             /* last Task resumed, or 0 in idle */
bool sched_changed;                 /* a queue changed since sched_cur was resumed */
static struct task *fpu_owner;      /* whose state is in the FPU registers */
static unsigned quantum_left = SCHED_QUANTUM;   /* periodic */
uint64_t sched_tick_count;
uint64_t sched_tick_next = ~0ull, sched_tick_cyc;  /* periodic: never read */
#define ticks sched_tick_count
bool sched_tickless;
uint64_t sched_timer_irqs;
#define QUANTUM_NS (SCHED_QUANTUM * SCHED_NS_PER_TICK)
#define NEVER (~0ull)
/* Tickless, a quantum is measured in CPU cycles (arch_cycles: one cheap
 * instruction when a Task is resumed after another), converted through a
 * rate measured against the clock at the timer's interrupts. The timer
 * is always armed no later than the running Task's quantum end: from the
 * interrupt, and when a Task is resumed from idle. */
static uint64_t quantum_start;      /* tickless: arch_cycles() when sched_cur was resumed */
static uint64_t armed = NEVER;      /* tickless: the deadline armed, ns */
static uint64_t cal_ns, cal_cyc;    /* the clock and the cycle counter, read together */
/* cycles a quantum: until measured, as if at 100 MHz (a faster counter
 * then only reads the clock more often than it needs to) */
static uint64_t quantum_cyc = QUANTUM_NS / 10;
static bool calibrated;


void sched_make_runnable(struct task *t)
{
    KASSERT(t->prio < SCHED_LEVELS);
    sched_changed = true;
    t->state = TASK_RUNNABLE;
    if (t->suspended)
        return;
    t->rq_next = 0;
    t->rq_prev = rq[t->prio].tail;
    if (rq[t->prio].tail)
        rq[t->prio].tail->rq_next = t;
    else
        rq[t->prio].head = t;
    rq[t->prio].tail = t;
    nonempty |= 1u << t->prio;
}

static bool on_queue(struct task *t)
{
    return t->rq_prev || rq[t->prio].head == t;
}

void sched_remove(struct task *t)
{
    sched_changed = true;
    if (!on_queue(t))
        return;
    if (t->rq_prev)
        t->rq_prev->rq_next = t->rq_next;
    else
        rq[t->prio].head = t->rq_next;
    if (t->rq_next)
        t->rq_next->rq_prev = t->rq_prev;
    else
        rq[t->prio].tail = t->rq_prev;
    if (!rq[t->prio].head)
        nonempty &= ~(1u << t->prio);
    t->rq_next = t->rq_prev = 0;
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
    t->rq_prev = 0;
    t->rq_next = rq[t->prio].head;
    if (rq[t->prio].head)
        rq[t->prio].head->rq_prev = t;
    rq[t->prio].head = t;
    if (!rq[t->prio].tail)
        rq[t->prio].tail = t;
    nonempty |= 1u << t->prio;
}

void sched_swap_head(struct task *out, struct task *in)
{
    KASSERT(rq[out->prio].head == out && in->prio == out->prio && !in->suspended);
    sched_changed = true;
    in->rq_prev = 0;
    in->rq_next = out->rq_next;
    if (out->rq_next)
        out->rq_next->rq_prev = in;
    else
        rq[out->prio].tail = in;
    rq[out->prio].head = in;
    out->rq_next = out->rq_prev = 0;
}

void sched_forget(struct task *t)
{
    sched_remove(t);
    if (sched_cur == t)
        sched_cur = 0;
    if (fpu_owner == t)
        fpu_owner = 0;
}

void sched_timer_start(void)
{
    sched_tickless = arch_timer_init(SCHED_HZ);
    cal_ns = arch_timer_ns();
    cal_cyc = arch_cycles();
    if (sched_tickless) {
        sched_tick_cyc = quantum_cyc / SCHED_QUANTUM;
        sched_ticks_read(cal_cyc);
    }
}

uint64_t sched_ticks_read(uint64_t cyc)
{
    sched_tick_count = arch_timer_ns() / SCHED_NS_PER_TICK;
    sched_tick_next = cyc + sched_tick_cyc;
    return sched_tick_count;
}

/* The cycle rate, from the clock: first over the first millisecond, then
 * over windows of at least a second. */
static void calibrate(uint64_t now, uint64_t cyc)
{
    uint64_t dn = now - cal_ns;
    if (dn < (calibrated ? 1000000000ull : 1000000ull) || cyc <= cal_cyc)
        return;
    uint64_t q = arch_muldiv(cyc - cal_cyc, QUANTUM_NS, dn);
    if (q) {
        quantum_cyc = q;
        sched_tick_cyc = q / SCHED_QUANTUM ? q / SCHED_QUANTUM : 1;
    }
    calibrated = true;
    cal_ns = now;
    cal_cyc = cyc;
}

/* The clock, estimated from the cycle counter (no device read): only to
 * arm a quantum's end, which the interrupt checks in cycles anyway. */
static uint64_t estimated_ns(uint64_t cyc)
{
    return cal_ns + arch_muldiv(cyc - cal_cyc, QUANTUM_NS, quantum_cyc);
}

/* Arm the timer for ns unless it is armed for no later; a deadline that
 * passed while being armed becomes an interrupt as soon as can be: 10 us
 * on, then twice as far each time that too passes before it is written
 * (an emulated timer's register writes can take that long). */
static void arm(uint64_t ns)
{
    if (ns >= armed)
        return;
    armed = ns;
    for (uint64_t margin = 10000; !arch_timer_arm(ns); margin *= 2)
        ns = arch_timer_ns() + margin;
}

static uint64_t first_deadline_ns(void)
{
    uint64_t d = signal_first_deadline();
    return d ? d * SCHED_NS_PER_TICK : NEVER;
}

void sched_deadline(uint64_t tick)
{
    if (sched_tickless)
        arm(tick * SCHED_NS_PER_TICK);
}

void sched_tick(void)
{
    sched_timer_irqs++;
    if (!sched_tickless) {
        ticks++;
        signal_tick(ticks);
        if (sched_cur && --quantum_left == 0) {
            quantum_left = SCHED_QUANTUM;
            sched_yield(sched_cur);
        }
        return;
    }
    armed = NEVER;
    uint64_t now = arch_timer_ns(), cyc = arch_cycles();
    calibrate(now, cyc);
    sched_tick_count = now / SCHED_NS_PER_TICK;
    sched_tick_next = cyc + sched_tick_cyc;
    signal_tick(sched_tick_count);
    uint64_t next = first_deadline_ns();
    if (sched_cur) {
        uint64_t ran = cyc - quantum_start;
        if (ran >= quantum_cyc) {
            quantum_start = cyc;
            ran = 0;
            sched_yield(sched_cur);
        }
        uint64_t end = now + arch_muldiv(quantum_cyc - ran, QUANTUM_NS, quantum_cyc);
        if (end < next)
            next = end;
    }
    if (next != NEVER)
        arm(next);
}

/* Going idle: no quantum runs, so only a deadline may interrupt. */
static void idle_timer(void)
{
    uint64_t next = first_deadline_ns();
    if (armed == next)
        return;
    armed = NEVER;
    if (next == NEVER)
        arch_timer_arm(NEVER);
    else
        arm(next);
}

/* See cap.h. Ticks and wake-ups that were pending are taken here; then
 * another Task should run if it is of higher priority, or the current
 * one's quantum ran out and it went to the back of its level. */
bool cap_preempt_point(void)
{
    arch_irq_window();
    struct task *t = sched_cur;
    if (!t || !sched_changed || !nonempty)
        return false;
    unsigned level = 31 - (unsigned)__builtin_clz(nonempty);
    return level > t->prio || rq[t->prio].head != t;
}

/* Enter user mode as t; returns only if kernel work t's space owes (a
 * label change's walk) stopped at a preemption point first. */
static void resume(struct task *t)
{
    sched_changed = false;
    if (t != sched_cur) {
        if (sched_tickless) {
            quantum_start = arch_cycles();
            if (!sched_cur)         /* from idle: nothing may be armed */
                arm(estimated_ns(quantum_start) + QUANTUM_NS);
        } else {
            quantum_left = SCHED_QUANTUM;
        }
        sched_cur = t;
    }
    if (__builtin_expect(label_walks_owed != 0, 0) && aspace_of(t->aspace.obj)->filtering &&
        !label_filter_owed(aspace_of(t->aspace.obj)))
        return;
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
            continue;
        }
        sched_cur = 0;
        if (sched_tickless)
            idle_timer();
        arch_wait_for_interrupt();
    }
}
