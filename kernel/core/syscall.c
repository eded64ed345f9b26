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

void syscall_dispatch(struct regs *r)
{
    struct task *self = sched_cur;
    uint64_t n = REGS_SYSNO(r);
    struct v_ret ret;
    if (__builtin_expect(self->reap != 0, 0) && !cap_drain_owed()) {
        ret = sys_restart();            /* a deletion's drain, stopped again */
    } else if (__builtin_expect(self->reap_owed, 0)) {
        self->reap_owed = 0;            /* the deletion this call made is complete */
        ret = sys_ok(0);
    } else if (n < V_NSYSCALLS) {
        self->ctr_class[syscall_class[n]]++;
        ret = syscall_table[n](self, (const struct sys_args *)REGS_ARGS(r));
    } else {
        ret = sys_err(V_ENOSYS);
    }
    /* A call that blocked has its result written when it is woken; a
     * Task that destroyed itself has nothing to return to; a preempted
     * call is made again when its Task next runs. */
    if (__builtin_expect(ret.err >= 0, 1)) {
        if (sched_cur == self) {
            REGS_SET_RESULT(r, ret.err, ret.val);
            /* nothing changed who runs: straight back, no scheduling */
            if (!sched_changed)
                arch_resume(r);
        }
    } else if (ret.err == SYS_RESTART && sched_cur == self) {
        REGS_RESTART_SYSCALL(r);
    }
    sched_run();
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
