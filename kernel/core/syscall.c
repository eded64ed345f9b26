/*
 * syscall.c: one entry for every system call, one place that writes the
 * result registers (STYLE.md rule 3).
 */
#include "core/syscall.h"
#include "core/sched.h"

typedef struct v_ret (*sys_fn)(struct task *, const struct sys_args *);

static const sys_fn table[V_NSYSCALLS] = {
#define V_X(num, name, nargs) [num] = sys_##name,
    V_SYSCALLS(V_X)
#undef V_X
};

void syscall_dispatch(struct regs *r);
void syscall_dispatch(struct regs *r)
{
    struct task *self = sched_current();
    uint64_t n = REGS_SYSNO(r);
    struct v_ret ret;
    if (n < V_NSYSCALLS && table[n]) {
        struct sys_args a = {{REGS_ARG0(r), REGS_ARG1(r), REGS_ARG2(r), REGS_ARG3(r),
                              REGS_ARG4(r), REGS_ARG5(r)}};
        ret = table[n](self, &a);
    } else {
        ret = sys_err(V_ENOSYS);
    }
    if (ret.err != SYS_DEFER)
        REGS_SET_RESULT(r, ret.err, ret.val);
    sched_run();
}

struct v_ret sys_yield(struct task *self, const struct sys_args *a)
{
    sched_yield(self);
    return sys_ok(0);
}

struct v_ret sys_task_exit(struct task *self, const struct sys_args *a)
{
    task_exit(self, (int64_t)a->a[0]);
    return sys_ok(0);
}

/* debug_write(ptr, len): bytes to the kernel console, at most 4 KiB a call. */
struct v_ret sys_debug_write(struct task *self, const struct sys_args *a)
{
    uint64_t ptr = a->a[1], len = a->a[2];
    char buf[256];
    if (len > 4096)
        return sys_err(V_ETOOBIG);
    for (uint64_t done = 0; done < len;) {
        uint64_t n = len - done < sizeof buf ? len - done : sizeof buf;
        if (arch_copy_from_user(buf, ptr + done, n) != V_OK)
            return sys_err(V_EFAULT);
        for (uint64_t i = 0; i < n; i++)
            arch_console_putc(buf[i]);
        done += n;
    }
    return sys_ok(len);
}
