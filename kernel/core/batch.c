/*
 * batch.c: many system calls in one trap (capOS's submission ring).
 *
 * batch(entries, n) runs the caller's array of struct v_batch_entry in
 * order, each through the same handler, with the same validation and the
 * same result, as the direct call: the handlers read their arguments in
 * place from a kernel copy of the entry, exactly as they read registers.
 * What a trap costs (entry, exit, the straight-back check) is paid once
 * for the batch; an entry costs its handler and 64 bytes of copying.
 *
 * Invariants:
 *   - the array is read 64 entries (one page) at a time, checked mapped
 *     writable and copied before any of those entries runs (a chunk that
 *     is not ends the batch: V_EFAULT for the first, else the count so
 *     far); each entry that ran has err and val written
 *     back, entries after the one that stopped the batch are untouched
 *     (so outputs of batched calls must not point into the array);
 *   - a batch stops after an entry that ended, suspended or blocked the
 *     caller, and before one that was preempted (SYS_RESTART): that entry
 *     did not run, and the batch's result counts only what did;
 *   - a Task has at most one batched call waiting: batch_wait_va names its
 *     entry exactly while it is blocked in it; the wait's result goes
 *     there (signal.c's wait_result) and the batch's own result, the count
 *     including that entry, into its registers. A Task that unmapped its
 *     array meanwhile loses only that entry's result.
 */
#include "core/aspace.h"
#include "core/sched.h"
#include "core/signal.h"
#include "core/syscall.h"

#define CHUNK (PAGE_SIZE / sizeof(struct v_batch_entry))

/* Write back entries [0, n) of the chunk at va: their results. */
static void put_back(uint64_t va, const struct v_batch_entry *e, unsigned n)
{
    (void)arch_copy_to_user(va, e, n * sizeof *e);     /* a caller that unmapped it lost it */
}

static bool still_running(struct task *self)
{
    return sched_cur == self && self->state == TASK_RUNNABLE && !self->suspended;
}

/* batch(entries, n) -> entries completed */
struct v_ret sys_batch(struct task *self, const struct sys_args *a)
{
    uint64_t va = a->a[0], n = a->a[1];
    if (n > V_BATCH_MAX)
        return sys_err(V_ETOOBIG);
    if (va % sizeof(struct v_batch_entry))
        return sys_err(V_EALIGN);
    struct v_batch_entry e[CHUNK];
    for (uint64_t done = 0; done < n;) {
        unsigned m = (unsigned)(n - done < CHUNK ? n - done : CHUNK);
        uint64_t at = va + done * sizeof *e;
        /* results must be able to go back before anything of it runs */
        if (!arch_pt_user_writable(task_as_root(self), at, m * sizeof *e) ||
            arch_copy_from_user(e, at, m * sizeof *e) != V_OK)
            return done ? sys_ok(done) : sys_err(V_EFAULT);
        for (unsigned i = 0; i < m; i++) {
            uint32_t no = e[i].sysno;
            struct v_ret r;
            if (no >= V_NSYSCALLS) {
                r = sys_err(V_ENOSYS);
            } else if (no == V_SYS_batch) {
                r = sys_err(V_EINVAL);          /* no batches inside batches */
            } else {
                self->ctr_class[syscall_class[no]]++;
                r = syscall_table[no](self, (const struct sys_args *)e[i].arg);
            }
            if (r.err == SYS_RESTART) {         /* preempted: running it again finishes it */
                put_back(at, e, i);
                return sys_ok(done + i);
            }
            if (r.err == SYS_DEFER) {
                e[i].err = V_EPENDING;
                e[i].val = 0;
                put_back(at, e, i + 1);
                if (sched_cur == self && self->state == TASK_BLOCKED) {
                    self->batch_wait_va = at + i * sizeof *e;
                    self->batch_done = done + i + 1;
                }
                return sys_err(SYS_DEFER);
            }
            e[i].err = (int32_t)r.err;
            e[i].val = r.val;
            /* only a call that changed a run queue can have stopped us */
            if (sched_changed && !still_running(self)) {
                put_back(at, e, i + 1);
                return sys_ok(done + i + 1);
            }
        }
        put_back(at, e, m);
        done += m;
    }
    return sys_ok(n);
}

void batch_wait_done(struct task *t, int64_t err, uint64_t val)
{
    struct v_batch_entry *e = arch_pt_user_ptr(task_as_root(t), t->batch_wait_va, true);
    if (e) {
        e->err = (int32_t)err;
        e->val = val;
    }
    REGS_SET_RESULT(&t->regs, V_OK, t->batch_done);
    t->batch_wait_va = 0;
}
