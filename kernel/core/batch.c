/*
 * batch.c: many system calls in one trap (capOS's submission ring).
 *
 * batch(calls, n, results) runs the caller's array of struct
 * v_batch_call in order, each through the same handler, with the same
 * validation and the same result, as the direct call: the handlers read
 * their arguments in place from a kernel copy of the call, exactly as
 * they read registers. Results go to a separate array of struct
 * v_batch_result, so the kernel reads 56 bytes and writes 16 per call.
 * What a trap costs (entry, exit, the straight-back check) is paid once
 * for the batch.
 *
 * Invariants:
 *   - calls are taken CHUNK at a time: the chunk's results are checked
 *     mapped writable and its calls copied in before any of them runs (a
 *     chunk that is not ends the batch: V_EFAULT for the first, else the
 *     count so far); the results of those that ran are written back
 *     together, results past the call that stopped the batch untouched
 *     (so a call's own output must not point into the result array);
 *   - a batch stops after a call that ended, suspended or blocked the
 *     caller, and before one that was preempted (SYS_RESTART): that call
 *     did not finish, and the batch's count covers only those that did;
 *   - a Task has at most one batched call waiting: batch_wait_va names its
 *     result exactly while it is blocked in it; the wait's result goes
 *     there (signal.c's wait_result) and the batch's own, the count
 *     including that call, into its registers. A Task that unmapped its
 *     result array meanwhile loses only that result.
 */
#include "core/aspace.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/syscall.h"

#define CHUNK 32

static struct v_ret nested(struct task *self, const struct sys_args *a)
{
    return sys_err(V_EINVAL);                  /* no batches inside batches */
}

/* The dispatch table as batches see it: the system call table, with
 * batch itself refused. Every number below V_NSYSCALLS has a handler
 * (V_SYSCALLS has no gaps), so a lookup is one range check and a load. */
static const sys_fn batch_table[V_NSYSCALLS] = {
#define V_X(num, name, nargs, cls) [num] = V_SYS_##name == V_SYS_batch ? nested : sys_##name,
    V_SYSCALLS(V_X)
#undef V_X
};

static void put_back(uint64_t va, const struct v_batch_result *r, unsigned n)
{
    (void)arch_copy_to_user(va, r, n * sizeof *r);     /* unmapped meanwhile: lost */
}

static bool still_running(struct task *self)
{
    return sched_cur == self && self->state == TASK_RUNNABLE && !self->suspended;
}

/* batch(calls, n, results) -> calls completed */
static struct v_ret run_batch(struct task *self, const struct sys_args *a)
{
    uint64_t cva = a->a[0], n = a->a[1], rva = a->a[2];
    if (n > V_BATCH_MAX)
        return sys_err(V_ETOOBIG);
    if (cva % 8 || rva % sizeof(struct v_batch_result))
        return sys_err(V_EALIGN);
    struct v_batch_call call[CHUNK];
    struct v_batch_result res[CHUNK];
    for (uint64_t done = 0; done < n;) {
        unsigned m = (unsigned)(n - done < CHUNK ? n - done : CHUNK);
        uint64_t rat = rva + done * sizeof *res;
        /* results must be able to go back before any call of the chunk runs */
        if (!arch_pt_user_writable(task_as_root(self), rat, m * sizeof *res) ||
            arch_copy_from_user(call, cva + done * sizeof *call, m * sizeof *call) != V_OK)
            return done ? sys_ok(done) : sys_err(V_EFAULT);
        for (unsigned i = 0; i < m; i++) {
            uint64_t no = call[i].sysno;
            struct v_ret r;
            if (__builtin_expect(no >= V_NSYSCALLS, 0)) {
                r = sys_err(V_ENOSYS);
            } else {
                self->ctr_class[syscall_class[no]]++;
                r = batch_table[no](self, (const struct sys_args *)call[i].arg);
            }
            if (__builtin_expect(r.err < 0, 0)) {
                if (r.err == SYS_RESTART) {     /* preempted: submitting it again finishes it */
                    put_back(rat, res, i);
                    return sys_ok(done + i);
                }
                res[i] = (struct v_batch_result){V_EPENDING, 0};
                put_back(rat, res, i + 1);
                if (sched_cur == self && self->state == TASK_BLOCKED) {
                    self->batch_wait_va = rat + i * sizeof *res;
                    self->batch_done = done + i + 1;
                }
                return sys_err(SYS_DEFER);
            }
            res[i] = (struct v_batch_result){r.err, r.val};
            /* only a call that changed a run queue can have stopped us */
            if (sched_changed && !still_running(self)) {
                put_back(rat, res, i + 1);
                return sys_ok(done + i + 1);
            }
        }
        put_back(rat, res, m);
        done += m;
    }
    return sys_ok(n);
}

/* A deletion's drain cannot be owed to one call of a batch (the batch's
 * count is the only result the Task sees at once): inside one, a drain
 * runs to the end, passing its preemption points. */
struct v_ret sys_batch(struct task *self, const struct sys_args *a)
{
    cap_drain_no_stop = true;
    struct v_ret r = run_batch(self, a);
    cap_drain_no_stop = false;
    return r;
}

void batch_wait_done(struct task *t, int64_t err, uint64_t val)
{
    struct v_batch_result *r = arch_pt_user_ptr(task_as_root(t), t->batch_wait_va, true);
    if (r)
        *r = (struct v_batch_result){err, val};
    REGS_SET_RESULT(&t->regs, V_OK, t->batch_done);
    t->batch_wait_va = 0;
}
