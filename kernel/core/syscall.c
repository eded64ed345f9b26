/*
 * syscall.c: one entry for every system call, one place that writes the
 * result registers (STYLE.md rule 3), and the per-Task counters that
 * behavioural profiles read.
 */
#include "core/syscall.h"
#include "core/sched.h"

const sys_fn syscall_table[V_NSYSCALLS] = {
#define V_X(num, name, nargs, cls) [num] = sys_##name,
    V_SYSCALLS(V_X)
#undef V_X
};

const uint8_t syscall_class[V_NSYSCALLS] = {
#define V_X(num, name, nargs, cls) [num] = V_CLASS_##cls,
    V_SYSCALLS(V_X)
#undef V_X
};

void syscall_dispatch(struct regs *r);
_Static_assert(sizeof(struct sys_args) == 6 * sizeof(uint64_t), "arguments read in place");
#define V_X(num, name, nargs, cls) +1
_Static_assert(0 V_SYSCALLS(V_X) == V_NSYSCALLS, "system call numbers have no gaps");
#undef V_X

/* Write ret and leave. A call that blocked has its result written when
 * it is woken; a Task that destroyed itself has nothing to return to; a
 * preempted call is made again when its Task next runs. self's regs are
 * the ones syscall_entry saved. */
static inline __attribute__((always_inline)) NORETURN void leave(struct task *self,
                                                                 struct v_ret ret)
{
    if (__builtin_expect(ret.err >= 0, 1)) {
        if (sched_cur == self) {
            REGS_SET_RESULT(&self->regs, ret.err, ret.val);
            /* nothing changed who runs: straight back, no scheduling */
            if (!sched_changed)
                arch_resume(&self->regs);
        }
    } else if (ret.err == SYS_RESTART && sched_cur == self) {
        REGS_RESTART_SYSCALL(&self->regs);
    }
    sched_run();
}

/* Off the null path: work owed from an earlier call, or no such call. A
 * drain owed (reap) is the only way a call can be owed (reap_owed is set
 * only with a drain left: captable.c), so one test covers both. */
static __attribute__((noinline, cold)) NORETURN void dispatch_slow(struct task *self,
                                                                   uint64_t n)
{
    if (self->reap && !cap_drain_owed())
        leave(self, sys_restart());     /* a deletion's drain, stopped again */
    if (self->reap_owed) {
        self->reap_owed = 0;            /* the deletion this call made is complete */
        leave(self, sys_ok(0));
    }
    if (n >= V_NSYSCALLS)
        leave(self, sys_err(V_ENOSYS));
    self->ctr_class[syscall_class[n]]++;
    leave(self, syscall_table[n](self, (const struct sys_args *)REGS_ARGS(&self->regs)));
}

/* r is the caller's own regs (syscall_entry saved them in sched_cur's);
 * after the handler they are reached again through self, so that only
 * self lives across the call. */
void syscall_dispatch(struct regs *r)
{
    struct task *self = sched_cur;
    uint64_t n = REGS_SYSNO(r);
    if (__builtin_expect(self->reap != 0 || n >= V_NSYSCALLS, 0))
        dispatch_slow(self, n);
    self->ctr_class[syscall_class[n]]++;
    leave(self, syscall_table[n](self, (const struct sys_args *)REGS_ARGS(r)));
}

struct v_ret sys_yield(struct task *self, const struct sys_args *a)
{
    sched_yield(self);
    return sys_ok(0);
}

struct v_ret sys_clock(struct task *self, const struct sys_args *a)
{
    return sys_ok(sched_ticks() * (1000000 / SCHED_HZ));
}
