/*
 * signal.c: see signal.h. Deadlines are kept in one list sorted by tick,
 * so a tick costs one comparison unless something expires.
 */
#include "core/signal.h"
#include "core/label.h"
#include "core/object.h"
#include "core/sched.h"
#include "core/syscall.h"

static struct tnode deadlines;      /* sentinel of a circular list */

static inline void tq_remove(struct tnode *n)
{
    if (!n->deadline)
        return;
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = 0;
    n->deadline = 0;
}

static void tq_insert(struct tnode *n, uint64_t deadline)
{
    if (!deadlines.next)
        deadlines.next = deadlines.prev = &deadlines;
    tq_remove(n);
    struct tnode *p = deadlines.next;
    while (p != &deadlines && p->deadline <= deadline)
        p = p->next;
    n->deadline = deadline;
    n->next = p;
    n->prev = p->prev;
    p->prev->next = n;
    p->prev = n;
    if (deadlines.next == n)
        sched_deadline(deadline);
}

uint64_t signal_first_deadline(void)
{
    return deadlines.next && deadlines.next != &deadlines ? deadlines.next->deadline : 0;
}

/* Microseconds to a tick deadline, rounding up and adding the tick in
 * progress, so a wait is never shorter than asked. */
static uint64_t deadline_after(uint64_t us)
{
    uint64_t per = 1000000 / SCHED_HZ;
    uint64_t t = us / per + (us % per != 0);
    return sched_ticks() + t + 1;
}

/* The one place a wait's result is written: in the Task's registers, or
 * in the batch entry that is waiting. */
static inline __attribute__((always_inline)) void wait_result(struct task *t, int64_t err,
                                                               uint64_t val)
{
    tq_remove(&t->wait_node);
    t->waiting = 0;
    if (__builtin_expect(t->batch_wait_va != 0, 0))
        batch_wait_done(t, err, val);
    else
        REGS_SET_RESULT(&t->regs, err, val);
}

static void finish_wait(struct task *t, int64_t err, uint64_t val)
{
    wait_result(t, err, val);
    sched_make_runnable(t);
}

bool signal_deliver(struct task *t, uint64_t bits)
{
    t->pending |= bits;
    if (t->state != TASK_BLOCKED || !(t->pending & t->waiting))
        return false;
    uint64_t fired = t->pending & t->waiting;
    t->pending &= ~fired;
    finish_wait(t, V_OK, fired);
    return true;
}

void signal_cancel(struct task *t)
{
    tq_remove(&t->wait_node);
    tq_remove(&t->timer_node);
    t->waiting = 0;
    t->batch_wait_va = 0;
}

void signal_tick(uint64_t now)
{
    if (!deadlines.next)
        return;
    while (deadlines.next != &deadlines && deadlines.next->deadline <= now) {
        struct tnode *n = deadlines.next;
        tq_remove(n);
        struct task *t = n->task;
        if (n->is_timer)
            signal_deliver(t, 1ull << t->timer_bit);
        else if (t->state == TASK_BLOCKED)
            finish_wait(t, V_ETIMEOUT, 0);
    }
}

/* Block self until a bit of mask is raised or timeout_us passes. */
static struct v_ret wait_for(struct task *self, uint64_t mask, uint64_t timeout_us)
{
    uint64_t fired = self->pending & mask;
    if (fired) {
        self->pending &= ~fired;
        return sys_ok(fired);
    }
    if (timeout_us == 0)
        return sys_err(V_ETIMEOUT);
    sched_remove(self);
    self->state = TASK_BLOCKED;
    self->waiting = mask;
    if (timeout_us != V_TIMEOUT_NEVER)
        tq_insert(&self->wait_node, deadline_after(timeout_us));
    return sys_err(SYS_DEFER);
}

static inline __attribute__((always_inline)) int check_signal_cap(struct task *self, uint64_t h, uint64_t bits, struct cap **out)
{
    int e = cap_lookup(task_table(self), h, V_TYPE_SIGNAL, V_R_WRITE, out);
    if (e)
        return e;
    if (bits == 0)
        return V_EINVAL;
    if (bits & ~(*out)->arg)
        return V_ERIGHTS;
    if (!task_flows(self, (*out)->obj))
        return V_EFLOW;             /* signal bits carry bits (docs/LABELS.md) */
    return V_OK;
}

/* signal_mint(task, bits, dst): a SIGNAL capability that may raise bits on task. */
struct v_ret sys_signal_mint(struct task *self, const struct sys_args *a)
{
    struct captable *tab = task_table(self);
    struct cap *tc, *dst;
    int e = cap_lookup(tab, a->a[0], V_TYPE_TASK, V_R_CONTROL, &tc);
    if (e)
        return sys_err(e);
    if (a->a[1] == 0)
        return sys_err(V_EINVAL);
    if ((e = cap_dest(tab, a->a[2], &dst)))
        return sys_err(e);
    cap_insert(dst, tc, V_TYPE_SIGNAL, V_R_WRITE | V_R_GRANT | V_R_READ, tc->obj, a->a[1], 0,
               0);
    return sys_ok(cap_handle(tab, dst));
}

/* signal_raise(signal, bits) */
struct v_ret sys_signal_raise(struct task *self, const struct sys_args *a)
{
    struct cap *sc;
    int e = check_signal_cap(self, a->a[0], a->a[1], &sc);
    if (e)
        return sys_err(e);
    self->ctr_signals++;
    signal_deliver(sc->obj, a->a[1]);
    return sys_ok(0);
}

/* signal_wait(mask, timeout_us) -> fired bits */
struct v_ret sys_signal_wait(struct task *self, const struct sys_args *a)
{
    if (a->a[0] == 0)
        return sys_err(V_EINVAL);
    return wait_for(self, a->a[0], a->a[1]);
}

/* Raise bits on peer, then wait for mask (signal_call and ring_call).
 * Direct hand-off: when the peer waits for one of these bits at our
 * priority and we are about to wait, it takes our place at the head of
 * the run queue and runs next, with no other queue work. */
static inline __attribute__((always_inline)) struct v_ret
call_task(struct task *self, struct task *peer, uint64_t bits, uint64_t mask, uint64_t timeout)
{
    self->ctr_signals++;
    if (peer != self && peer->state == TASK_BLOCKED && (peer->waiting & bits) &&
        !peer->suspended && peer->prio == self->prio && !(self->pending & mask) &&
        timeout != 0 && sched_cur == self && !sched_changed) {
        peer->pending |= bits;
        uint64_t fired = peer->pending & peer->waiting;
        peer->pending &= ~fired;
        wait_result(peer, V_OK, fired);
        peer->state = TASK_RUNNABLE;
        sched_swap_head(self, peer);
        self->state = TASK_BLOCKED;
        self->waiting = mask;
        if (timeout != V_TIMEOUT_NEVER)
            tq_insert(&self->wait_node, deadline_after(timeout));
        return sys_err(SYS_DEFER);
    }
    if (signal_deliver(peer, bits) && peer != self)
        sched_to_front(peer);
    return wait_for(self, mask, timeout);
}

struct v_ret signal_call_task(struct task *self, struct task *peer, uint64_t bits,
                              uint64_t mask, uint64_t timeout)
{
    return call_task(self, peer, bits, mask, timeout);
}

struct v_ret signal_wait_self(struct task *self, uint64_t mask, uint64_t timeout)
{
    return wait_for(self, mask, timeout);
}

/* signal_call(signal, bits, mask, timeout_us): raise, then wait; the
 * woken Task runs next if its priority allows (direct hand-off). */
struct v_ret sys_signal_call(struct task *self, const struct sys_args *a)
{
    struct cap *sc;
    int e = check_signal_cap(self, a->a[0], a->a[1], &sc);
    if (e)
        return sys_err(e);
    if (a->a[2] == 0)
        return sys_err(V_EINVAL);
    return call_task(self, sc->obj, a->a[1], a->a[2], a->a[3]);
}

/* timer_set(bit, delay_us): raise bit on self once, delay_us from now;
 * 0 disarms. */
struct v_ret sys_timer_set(struct task *self, const struct sys_args *a)
{
    if (a->a[0] > 63)
        return sys_err(V_EINVAL);
    if (a->a[1] == 0) {
        tq_remove(&self->timer_node);
        return sys_ok(0);
    }
    if (a->a[1] == V_TIMEOUT_NEVER)
        return sys_err(V_EINVAL);
    self->timer_bit = (uint8_t)a->a[0];
    tq_insert(&self->timer_node, deadline_after(a->a[1]));
    return sys_ok(0);
}
