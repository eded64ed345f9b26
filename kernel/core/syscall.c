/*
 * syscall.c: one entry for every system call, one place that writes the
 * result registers (STYLE.md rule 3), and the per-Task counters that
 * behavioural profiles read.
 */
#include "core/syscall.h"
#include "core/sched.h"

typedef struct v_ret (*sys_fn)(struct task *, const struct sys_args *);

static const sys_fn table[V_NSYSCALLS] = {
#define V_X(num, name, nargs, cls) [num] = sys_##name,
    V_SYSCALLS(V_X)
#undef V_X
};

static const uint8_t class_of[V_NSYSCALLS] = {
#define V_X(num, name, nargs, cls) [num] = V_CLASS_##cls,
    V_SYSCALLS(V_X)
#undef V_X
};

void syscall_dispatch(struct regs *r);
void syscall_dispatch(struct regs *r)
{
    struct task *self = sched_current();
    uint64_t n = REGS_SYSNO(r);
    struct v_ret ret;
    if (n < V_NSYSCALLS) {
        struct sys_args a = {{REGS_ARG0(r), REGS_ARG1(r), REGS_ARG2(r), REGS_ARG3(r),
                              REGS_ARG4(r), REGS_ARG5(r)}};
        self->ctr_class[class_of[n]]++;
        ret = table[n](self, &a);
    } else {
        ret = sys_err(V_ENOSYS);
    }
    /* A call that blocked has its result written when it is woken; a
     * Task that destroyed itself has nothing to return to. */
    if (ret.err != SYS_DEFER && sched_current() == self)
        REGS_SET_RESULT(r, ret.err, ret.val);
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
